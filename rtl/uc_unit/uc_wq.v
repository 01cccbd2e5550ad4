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
 * Arbitration as a tree (issue 16: a 16-way round robin and the select behind it were 5 LUT
 * levels): the queues are level 0; a node (uc_wq_node) of level 1 takes one entry a cycle from up
 * to four queues (round robin among them) into a two-entry buffer while that buffer holds fewer
 * than two (a decision from registers only); a node of level l > 1 does the same over four nodes
 * of level l-1; levels are added until at most four nodes remain (NLV levels: 1 up to 16
 * engines, 2 up to 64, 3 up to 256), and a last round robin among them sends one entry a cycle
 * to the stack. A buffer of two keeps one child at one entry a cycle (it fills while it drains).
 *
 * Parameters:
 *   ENGINES  engines
 *   RW       row (stack word address) width
 *   LANES    lanes of one engine's write
 *   DEPTH    queue entries an engine (power of two)
 *   HOLD_AT  queue fill at which the engine is held
 *
 * Latency: a write leaves 3 + NLV cycles after it is offered to an empty queue of an engine that
 * wins every arbitration (the entry register, the holding register, a node buffer a level, then
 * m_valid registered): 4 up to 16 engines, 5 up to 64.
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
// an entry: its first write (row, column, data, lane mask) and the second one's data and mask;
// in the tree an entry is {lo, hi}
localparam LO_W = RW + 16 + LANES * 16 + LANES;
localparam HI_W = LANES * 16 + LANES;
localparam EW = LO_W + HI_W;
localparam integer LANES_I = LANES;
localparam [15:0] LANES_16 = LANES_I[15:0];

// the tree: level 0 is the queues, a node of level l (uc_wq_node) takes from up to four of
// level l-1, and the top level's nodes (at most four) meet in the last round robin (constant
// functions, evaluated at elaboration only: no hardware, so out of the line coverage)
/* verilator coverage_off */
function integer nodes_at(input integer lv);
    integer i, n;
    begin
        n = ENGINES;
        for (i = 0; i < lv; i = i + 1) begin
            n = (n >= 4) ? n / 4 : 1;
        end
        nodes_at = n;
    end
endfunction
// node levels: the fewest that leave at most four nodes on top (at least one)
function integer levels_of(input integer engines);
    integer lv, n;
    begin
        lv = 1;
        n = (engines >= 4) ? engines / 4 : 1;
        while (n > 4) begin
            lv = lv + 1;
            n = n / 4;
        end
        levels_of = lv;
    end
endfunction
// the first index of level lv in the tree's flat vectors (queues first)
function integer offset_of(input integer lv);
    integer i, o;
    begin
        o = 0;
        for (i = 0; i < lv; i = i + 1) begin
            o = o + nodes_at(i);
        end
        offset_of = o;
    end
endfunction
/* verilator coverage_on */
localparam NLV = levels_of(ENGINES);
localparam OT = offset_of(NLV);          // the top level's first node
localparam NT = nodes_at(NLV);           // and its nodes
localparam TOT = OT + NT;

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

// the tree's flat vectors, queues then each level's nodes: not empty, oldest entry, taken
wire [TOT-1:0]       t_ne;
wire [TOT*EW-1:0]    t_head;
wire [TOT-1:0]       t_take;
wire [ENGINES-1:0]   grant = t_take[ENGINES-1:0];   // a queue's oldest entry leaves
// every queue and node empty: the round robins start again from the first (between commands)
wire                 restart = !(|nonempty_reg) && !(|t_ne[TOT-1:ENGINES]);

// the last round robin, over the top level's buffers, into the output register (a mask of the
// nodes after the last one granted, as in uc_wq_node)
reg [NT-1:0]         gmask_reg;
wire [NT-1:0]        gmask_next;
wire [NT-1:0]        take;
reg                  m_valid_reg;
reg [LO_W-1:0]       m_lo_reg;
reg [HI_W-1:0]       m_hi_reg;
wire                 any;
wire [EW-1:0]        gent;                      // the granted node's head

reg [ENGINES-1:0]    nonempty_next;
// the registered write joins the held one (pair_in); the held entry enters the queue (push)
wire [ENGINES-1:0]   pair_in, push;

assign m_valid = m_valid_reg;
assign {m_row, m_x} = m_lo_reg[LO_W-1 -: RW + 16];
// lanes 0..L-1 from the first write, L..2L-1 from the second (a mask of zeros without one)
assign m_data = {m_hi_reg[HI_W-1 -: LANES * 16], m_lo_reg[LANES +: LANES * 16]};
assign m_mask = {m_hi_reg[LANES-1:0], m_lo_reg[LANES-1:0]};
assign nx_valid = any;
assign {nx_row, nx_x} = gent[EW-1 -: RW + 16];

// one queue memory an engine for the first writes and one for the second (one write port each:
// LUT RAM), both written at wp from the holding register
genvar g, lv, j;
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
        // level 0 of the tree
        assign t_ne[g] = nonempty_reg[g];
        assign t_head[EW*g +: EW] = {head_lo[LO_W*g +: LO_W], head_hi[HI_W*g +: HI_W]};
    end

    // the nodes: node j of level lv takes from children F*j .. F*j+F-1 of level lv-1
    for (lv = 1; lv <= NLV; lv = lv + 1) begin : g_lv
        for (j = 0; j < nodes_at(lv); j = j + 1) begin : g_node
            localparam F = nodes_at(lv - 1) / nodes_at(lv);
            localparam CO = offset_of(lv - 1) + F * j;
            localparam ID = offset_of(lv) + j;
            uc_wq_node #(.N(F), .W(EW)) u_node (
                .clk(clk),
                .rst(rst),
                .restart(restart),
                .c_ne(t_ne[CO +: F]),
                .c_head(t_head[EW*CO +: EW*F]),
                .c_take(t_take[CO +: F]),
                .ne(t_ne[ID]),
                .head(t_head[EW*ID +: EW]),
                .p_take(t_take[ID])
            );
        end
    end
endgenerate

assign hold = hold_reg;
assign busy = m_valid_reg || (|t_ne) || (|in_v_reg) || (|held_v_reg);

// the last round robin, over the top level's buffers (uc_wq_rr)
uc_wq_rr #(.N(NT), .W(EW)) u_rr (
    .req(t_ne[OT +: NT]), .mask(gmask_reg), .entries(t_head[EW*OT +: EW*NT]),
    .grant(take), .mask_next(gmask_next), .any(any), .entry(gent)
);
assign t_take[OT +: NT] = take;

integer i;
always @* begin
    // cnt + push - grant != 0: an entry arrives, or at least two are queued, or one that is not
    // granted
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
    if (any) begin
        {m_lo_reg, m_hi_reg} <= gent;
    end
    // with every queue and buffer empty (between commands) the round robins start again from the
    // first: a command's cycles do not depend on where the one before left the pointers
    gmask_reg <= restart ? {NT{1'b1}} : gmask_next;
    m_valid_reg <= any;
    nonempty_reg <= nonempty_next;

    if (rst) begin
        wp_reg <= {ENGINES*AW{1'b0}};
        rp_reg <= {ENGINES*AW{1'b0}};
        cnt_reg <= {ENGINES*(AW+1){1'b0}};
        nonempty_reg <= {ENGINES{1'b0}};
        hold_reg <= {ENGINES{1'b0}};
        gmask_reg <= {NT{1'b1}};
        m_valid_reg <= 1'b0;
    end
end

`ifdef ACCEL_ASSERTS
// verilator coverage_off
// (the nodes' buffers are checked in uc_wq_node)
integer a;
always @(posedge clk) begin
    if (!rst) begin
        for (a = 0; a < ENGINES; a = a + 1) begin
            assert (!(push[a] && cnt_reg[(AW+1)*a +: AW+1] == DEPTH)) else $error("uc_wq: overflow: a write into a full queue");
            assert (!(grant[a] && cnt_reg[(AW+1)*a +: AW+1] == 0)) else $error("uc_wq: a take from an empty queue");
        end
    end
end
// verilator coverage_on
`endif

endmodule

`resetall
