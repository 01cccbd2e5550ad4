/*
 * Engine array write queues: the stack writes (port B: FWD Y, BWD_DATA dX) of ENGINES engines
 * share one write, which goes to every copy of the stack at once (docs/uc_unit.md "Engine
 * array"). Each engine's writes enter its own first-in first-out queue of DEPTH entries; a
 * round-robin arbiter takes one queue's oldest entry a cycle. An engine whose queue holds
 * HOLD_AT or more entries is held (its generator emits no item) until the queue drains below;
 * the flag is a register (the count of the cycle before: issue 16, the generator's loop
 * registers started from a count compare), so the engine stops one item later. The writes still
 * in its pipeline (at most one an item, fewer than DEPTH - HOLD_AT - 1) always fit, so no write
 * is ever dropped.
 *
 * Pairs (issue 14: the one write a cycle bounds the array): an entry holds up to two writes of
 * LANES lanes, a stack write of 2*LANES lanes at stride 1 (fm_stack). Each engine's newest write
 * waits in a holding register (after an entry register, so that every decision starts from
 * flip-flops): a write that continues it (same row, column + LANES; pair_ok: a stride-1 command)
 * joins it, and the held entry enters the queue when it holds two writes, when a write that
 * does not continue it arrives, or when the queue holds at most one entry (the arbiter would
 * otherwise wait for it). In a write-bound command the queues are long, so a row's vectors leave
 * two a cycle. The queue memories are written at one address (wp) from registers only.
 *
 * Two-level arbitration (issue 16: a 16-way round robin and the select behind it were 5 LUT
 * levels): the queues form groups of GS = min(4, ENGINES); each group takes one entry a cycle
 * from its queues (round robin among them) into a two-entry group buffer while that buffer holds
 * fewer than two (a decision from registers only), and a second round robin among the groups'
 * buffers sends one entry a cycle to the stack. A group buffer of two keeps one group at one
 * entry a cycle (it fills while it drains).
 *
 * Parameters:
 *   ENGINES  engines
 *   RW       row (stack word address) width
 *   LANES    lanes of one engine's write
 *   DEPTH    queue entries an engine (power of two)
 *   HOLD_AT  queue fill at which the engine is held
 *
 * Latency: a write leaves 4 cycles after it is offered to an empty queue of an engine that wins
 * the arbitration (the entry register, the holding register, the group buffer, then m_valid
 * registered).
 */

`resetall
`timescale 1ns / 1ps
`default_nettype none

module uc_wq #
(
    // engines
    parameter ENGINES = 4,
    // row (stack word address) width
    parameter RW = 8,
    // lanes of one engine's write (power of two)
    parameter LANES = 4,
    // queue entries an engine (power of two)
    parameter DEPTH = 32,
    // queue fill at which the engine's generator is held (DEPTH - HOLD_AT > pipeline depth + 1)
    parameter HOLD_AT = 16
)
(
    input  wire                     clk,
    input  wire                     rst,

    // a stride-1 command: a write may join its engine's previous one
    input  wire                     pair_ok,

    // each engine's write (engine e at bits [e*RW +: RW], [e*16 +: 16], ...)
    input  wire [ENGINES-1:0]       s_valid,
    input  wire [ENGINES*RW-1:0]    s_row,
    input  wire [ENGINES*16-1:0]    s_x,
    input  wire [ENGINES*LANES*16-1:0] s_data,
    input  wire [ENGINES*LANES-1:0] s_mask,
    output wire [ENGINES-1:0]       hold,

    // the one write a cycle to the stack: 2*LANES lanes from column m_x
    output wire                     m_valid,
    output wire [RW-1:0]            m_row,
    output wire [15:0]              m_x,
    output wire [2*LANES*16-1:0]    m_data,
    output wire [2*LANES-1:0]       m_mask,
    // the write that leaves next cycle (m_valid / m_row / m_x a cycle early; the fields are
    // don't-care without nx_valid), for a caller that registers it with other requests (uc_unit)
    output wire                     nx_valid,
    output wire [RW-1:0]            nx_row,
    output wire [15:0]              nx_x,

    output wire                     busy            // a write is queued or leaving
);

localparam AW = $clog2(DEPTH);
// queues a group, and groups
localparam GS = (ENGINES < 4) ? ENGINES : 4;
localparam NG = ENGINES / GS;
// an entry: its first write (row, column, data, lane mask) and the second one's data and mask
localparam LO_W = RW + 16 + LANES * 16 + LANES;
localparam HI_W = LANES * 16 + LANES;
localparam integer LANES_I = LANES;
localparam [15:0] LANES_16 = LANES_I[15:0];

// the entry registers: each engine's write a cycle after it is offered, and whether it continues
// the engine's previous write (same row, column + LANES)
reg [ENGINES-1:0]        in_v_reg, in_adj_reg;
reg [ENGINES*LO_W-1:0]   in_lo_reg;         // its low HI_W bits: data and mask, a second half
reg [ENGINES*RW-1:0]     last_row_reg;      // the engine's previous write: row
reg [ENGINES*16-1:0]     last_xn_reg;       // and column + LANES

wire [ENGINES*LO_W-1:0] head_lo;            // each queue's oldest entry
wire [ENGINES*HI_W-1:0] head_hi;
reg [ENGINES*AW-1:0] wp_reg, rp_reg;
reg [ENGINES*(AW+1)-1:0] cnt_reg;
// each queue's "not empty", kept as a flip-flop beside its count (cnt_reg != 0), so that the
// round robin starts from a register, not from a count compare (issue 16)
reg [ENGINES-1:0]    nonempty_reg;
// each engine's hold, registered from its queue's count
reg [ENGINES-1:0]    hold_reg;
// the holding register: each engine's newest write (and a second one that joined it)
reg [ENGINES-1:0]    held_v_reg, held_two_reg;
reg [ENGINES*LO_W-1:0] held_lo_reg;
reg [ENGINES*HI_W-1:0] held_hi_reg;
// round robin as masks of the candidates after the last one granted (thermometer: ones from the
// next one up), so that each arbiter is two AND-OR trees of registers (issue 16): mask_reg per
// group over its queues, gmask_reg over the groups
reg [ENGINES-1:0]    mask_reg, mask_next;
reg [NG-1:0]         gmask_reg, gmask_next;
reg                  m_valid_reg, m_valid_next;
reg [LO_W-1:0]       m_lo_reg;
reg [HI_W-1:0]       m_hi_reg;

// the group buffers: two entries a group, written at gw, read at gr, gcnt held (gne: not empty,
// a flip-flop beside the count)
reg [NG*LO_W-1:0]    gb0_lo_reg, gb1_lo_reg;
reg [NG*HI_W-1:0]    gb0_hi_reg, gb1_hi_reg;
reg [NG-1:0]         gw_reg, gr_reg, gne_reg, gne_next, gfull_reg, gfull_next;
reg [NG*2-1:0]       gcnt_reg;

reg [ENGINES-1:0]    nonempty_next, grant;      // queue -> its group's buffer
reg [NG-1:0]         pick;                      // the group takes an entry from a queue
reg [NG-1:0]         take;                      // the group's buffer head leaves
reg                  any;
reg [NG*LO_W-1:0]    plo;                       // each group's granted queue's oldest entry
reg [NG*HI_W-1:0]    phi;
reg [LO_W-1:0]       glo;                       // the granted group's buffer head (AND-OR by take)
reg [HI_W-1:0]       ghi;
// the registered write joins the held one (pair_in); the held entry enters the queue (push)
wire [ENGINES-1:0]   pair_in, push;

assign m_valid = m_valid_reg;
assign {m_row, m_x} = m_lo_reg[LO_W-1 -: RW + 16];
// lanes 0..L-1 from the first write, L..2L-1 from the second (a mask of zeros without one)
assign m_data = {m_hi_reg[HI_W-1 -: LANES * 16], m_lo_reg[LANES +: LANES * 16]};
assign m_mask = {m_hi_reg[LANES-1:0], m_lo_reg[LANES-1:0]};
assign nx_valid = any;
assign {nx_row, nx_x} = glo[LO_W-1 -: RW + 16];

// one queue memory an engine for the first writes and one for the second (one write port each:
// LUT RAM), both written at wp from the holding register
genvar g;
generate
    for (g = 0; g < ENGINES; g = g + 1) begin : g_q
        reg [LO_W-1:0] qlo [0:DEPTH-1];
        reg [HI_W-1:0] qhi [0:DEPTH-1];
        wire [RW-1:0] row = s_row[RW*g +: RW];
        wire [15:0]   x = s_x[16*g +: 16];
        // at most one entry queued (cnt < 2)
        wire          short = (cnt_reg[(AW+1)*g + 1 +: AW] == {AW{1'b0}});
        assign pair_in[g] = in_v_reg[g] && in_adj_reg[g] && held_v_reg[g] && !held_two_reg[g];
        // (a joining write keeps the entry held for one cycle more: it leaves complete)
        assign push[g] = held_v_reg[g] && !pair_in[g] && (held_two_reg[g] || in_v_reg[g] || short);
        always @(posedge clk) begin
            in_v_reg[g] <= s_valid[g];
            in_adj_reg[g] <= pair_ok && row == last_row_reg[RW*g +: RW] &&
                             x == last_xn_reg[16*g +: 16];
            in_lo_reg[LO_W*g +: LO_W] <= {row, x, s_data[LANES*16*g +: LANES*16],
                                          s_mask[LANES*g +: LANES]};
            if (s_valid[g]) begin
                last_row_reg[RW*g +: RW] <= row;
                last_xn_reg[16*g +: 16] <= x + LANES_16;
            end
            // the holding register: a joining write fills its second half; a write that does not
            // join takes it (the held entry leaves in the same cycle, push)
            if (pair_in[g]) begin
                held_two_reg[g] <= 1'b1;
                held_hi_reg[HI_W*g +: HI_W] <= in_lo_reg[LO_W*g +: HI_W];
            end else if (in_v_reg[g]) begin
                held_v_reg[g] <= 1'b1;
                held_two_reg[g] <= 1'b0;
                held_lo_reg[LO_W*g +: LO_W] <= in_lo_reg[LO_W*g +: LO_W];
                held_hi_reg[HI_W*g +: HI_W] <= {HI_W{1'b0}};
            end else if (push[g]) begin
                held_v_reg[g] <= 1'b0;
            end
            if (push[g]) begin
                qlo[wp_reg[AW*g +: AW]] <= held_lo_reg[LO_W*g +: LO_W];
                qhi[wp_reg[AW*g +: AW]] <= held_hi_reg[HI_W*g +: HI_W];
            end
            if (rst) begin
                in_v_reg[g] <= 1'b0;
                held_v_reg[g] <= 1'b0;
            end
        end
        assign head_lo[LO_W*g +: LO_W] = qlo[rp_reg[AW*g +: AW]];
        assign head_hi[HI_W*g +: HI_W] = qhi[rp_reg[AW*g +: AW]];
        // (a register: hold_reg, set from the count below)
    end
endgenerate

assign hold = hold_reg;
assign busy = m_valid_reg || (|nonempty_reg) || (|gne_reg) || (|in_v_reg) || (|held_v_reg);

// round robin: the lowest candidate at or above the mask (after the last one granted), else the
// lowest one; the mask after a grant: the candidates above it, a prefix OR of the requests
// beside the grant's (none above the last: then every one, from the first). Queues within their
// group (while its buffer has room), then the groups' buffers. (Each always block has its own
// loop variables: one integer driven from two blocks is two drivers to synthesis.)
integer i, k, j;
reg [GS-1:0] qreq, qreq_hi;
reg          q_any, q_any_hi, q_bel, q_bel_hi;
reg [NG-1:0] greq_hi;
reg          g_any_hi, g_bel, g_bel_hi;
always @* begin
    grant = {ENGINES{1'b0}};
    mask_next = mask_reg;
    pick = {NG{1'b0}};
    plo = {NG*LO_W{1'b0}};
    phi = {NG*HI_W{1'b0}};
    for (j = 0; j < NG; j = j + 1) begin
        // a group with room (fewer than two entries held: a register) takes one entry
        qreq = gfull_reg[j] ? {GS{1'b0}} : nonempty_reg[GS*j +: GS];
        qreq_hi = qreq & mask_reg[GS*j +: GS];
        q_any = |qreq;
        q_any_hi = |qreq_hi;
        q_bel = 1'b0;
        q_bel_hi = 1'b0;
        pick[j] = q_any;
        for (k = 0; k < GS; k = k + 1) begin
            grant[GS*j + k] = q_any_hi ? (qreq_hi[k] && !q_bel_hi) : (qreq[k] && !q_bel);
            if (q_any) begin
                mask_next[GS*j + k] = q_any_hi ? q_bel_hi : q_bel;
            end
            q_bel_hi = q_bel_hi || qreq_hi[k];
            q_bel = q_bel || qreq[k];
            plo[LO_W*j +: LO_W] = plo[LO_W*j +: LO_W] | (head_lo[LO_W*(GS*j + k) +: LO_W] & {LO_W{grant[GS*j + k]}});
            phi[HI_W*j +: HI_W] = phi[HI_W*j +: HI_W] | (head_hi[HI_W*(GS*j + k) +: HI_W] & {HI_W{grant[GS*j + k]}});
        end
    end
    // the groups' buffers: one head a cycle to the stack
    greq_hi = gne_reg & gmask_reg;
    g_any_hi = |greq_hi;
    any = |gne_reg;
    g_bel = 1'b0;
    g_bel_hi = 1'b0;
    gmask_next = gmask_reg;
    glo = {LO_W{1'b0}};
    ghi = {HI_W{1'b0}};
    for (j = 0; j < NG; j = j + 1) begin
        take[j] = g_any_hi ? (greq_hi[j] && !g_bel_hi) : (gne_reg[j] && !g_bel);
        if (any) begin
            gmask_next[j] = g_any_hi ? g_bel_hi : g_bel;
        end
        g_bel_hi = g_bel_hi || greq_hi[j];
        g_bel = g_bel || gne_reg[j];
        glo = glo | ((gr_reg[j] ? gb1_lo_reg[LO_W*j +: LO_W] : gb0_lo_reg[LO_W*j +: LO_W]) & {LO_W{take[j]}});
        ghi = ghi | ((gr_reg[j] ? gb1_hi_reg[HI_W*j +: HI_W] : gb0_hi_reg[HI_W*j +: HI_W]) & {HI_W{take[j]}});
        // count + pick - take: not empty, and full (two)
        gne_next[j] = pick[j] || gcnt_reg[2*j +: 2] == 2'd2 || (gcnt_reg[2*j +: 2] == 2'd1 && !take[j]);
        gfull_next[j] = (gcnt_reg[2*j +: 2] == 2'd2 && !take[j]) || (gcnt_reg[2*j +: 2] == 2'd1 && pick[j] && !take[j]);
    end
    m_valid_next = any;
    // cnt + push - g != 0: an entry arrives, or at least two are queued, or one that is not granted
    for (i = 0; i < ENGINES; i = i + 1) begin
        nonempty_next[i] = push[i] || cnt_reg[(AW+1)*i +: AW+1] >= 2 ||
                           (cnt_reg[(AW+1)*i +: AW+1] == 1 && !grant[i]);
    end
end

integer e;
always @(posedge clk) begin
    for (e = 0; e < ENGINES; e = e + 1) begin
        if (push[e]) begin
            wp_reg[AW*e +: AW] <= wp_reg[AW*e +: AW] + 1'b1;
        end
        if (grant[e]) begin
            rp_reg[AW*e +: AW] <= rp_reg[AW*e +: AW] + 1'b1;
        end
        cnt_reg[(AW+1)*e +: AW+1] <= cnt_reg[(AW+1)*e +: AW+1] + push[e] - grant[e];
        hold_reg[e] <= cnt_reg[(AW+1)*e +: AW+1] >= HOLD_AT;
    end
    for (e = 0; e < NG; e = e + 1) begin
        if (pick[e] && !gw_reg[e]) begin
            gb0_lo_reg[LO_W*e +: LO_W] <= plo[LO_W*e +: LO_W];
            gb0_hi_reg[HI_W*e +: HI_W] <= phi[HI_W*e +: HI_W];
        end
        if (pick[e] && gw_reg[e]) begin
            gb1_lo_reg[LO_W*e +: LO_W] <= plo[LO_W*e +: LO_W];
            gb1_hi_reg[HI_W*e +: HI_W] <= phi[HI_W*e +: HI_W];
        end
        if (pick[e]) begin
            gw_reg[e] <= !gw_reg[e];
        end
        if (take[e]) begin
            gr_reg[e] <= !gr_reg[e];
        end
        gcnt_reg[2*e +: 2] <= gcnt_reg[2*e +: 2] + {1'b0, pick[e]} - {1'b0, take[e]};
    end
    if (any) begin
        m_lo_reg <= glo;
        m_hi_reg <= ghi;
    end
    mask_reg <= mask_next;
    gmask_reg <= gmask_next;
    // with every queue and buffer empty (between commands) the round robins start again from the
    // first: a command's cycles do not depend on where the one before left the pointers
    if (!(|nonempty_reg) && !(|gne_reg)) begin
        mask_reg <= {ENGINES{1'b1}};
        gmask_reg <= {NG{1'b1}};
    end
    m_valid_reg <= m_valid_next;
    nonempty_reg <= nonempty_next;
    gne_reg <= gne_next;
    gfull_reg <= gfull_next;

    if (rst) begin
        wp_reg <= {ENGINES*AW{1'b0}};
        rp_reg <= {ENGINES*AW{1'b0}};
        cnt_reg <= {ENGINES*(AW+1){1'b0}};
        nonempty_reg <= {ENGINES{1'b0}};
        hold_reg <= {ENGINES{1'b0}};
        mask_reg <= {ENGINES{1'b1}};
        gmask_reg <= {NG{1'b1}};
        gw_reg <= {NG{1'b0}};
        gr_reg <= {NG{1'b0}};
        gcnt_reg <= {NG*2{1'b0}};
        gne_reg <= {NG{1'b0}};
        gfull_reg <= {NG{1'b0}};
        m_valid_reg <= 1'b0;
    end
end

`ifdef ACCEL_ASSERTS
// verilator coverage_off
integer a;
always @(posedge clk) begin
    if (!rst) begin
        for (a = 0; a < ENGINES; a = a + 1) begin
            assert (!(push[a] && cnt_reg[(AW+1)*a +: AW+1] == DEPTH)) else $error("uc_wq: overflow: a write into a full queue");
        end
        for (a = 0; a < NG; a = a + 1) begin
            assert (!(pick[a] && gcnt_reg[2*a +: 2] == 2'd2)) else $error("uc_wq: overflow: an entry into a full group buffer");
            assert (gne_reg[a] == (gcnt_reg[2*a +: 2] != 2'd0) && gfull_reg[a] == (gcnt_reg[2*a +: 2] == 2'd2))
                else $error("uc_wq: group flags differ from the count");
        end
    end
end
// verilator coverage_on
`endif

endmodule

`resetall
