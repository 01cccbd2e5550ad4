/*
 * Engine array write queues: the stack writes (port B: FWD Y, BWD_DATA dX) of ENGINES engines
 * share one write, which goes to every copy of the stack at once (docs/uc_unit.md "Engine
 * array"). Each engine's writes enter its own first-in first-out queue of DEPTH entries; a
 * round-robin arbiter takes one queue's oldest write a cycle. An engine whose queue holds
 * HOLD_AT or more writes is held (its generator emits no item) until the queue drains below:
 * the writes still in its pipeline (at most one an item, fewer than DEPTH - HOLD_AT) always fit,
 * so no write is ever dropped.
 *
 * Parameters:
 *   ENGINES  engines
 *   W        write width (row, column, data, lane mask)
 *   DEPTH    queue entries an engine (power of two)
 *   HOLD_AT  queue fill at which the engine is held
 *
 * Latency: a write leaves 1 cycle after it enters an empty queue of an engine that wins the
 * arbitration (m_valid registered).
 */

`resetall
`timescale 1ns / 1ps
`default_nettype none

module uc_wq #
(
    // engines
    parameter ENGINES = 4,
    // one write: row, column, data and lane mask
    parameter W = 32,
    // queue entries an engine (power of two)
    parameter DEPTH = 32,
    // queue fill at which the engine's generator is held (DEPTH - HOLD_AT > pipeline depth)
    parameter HOLD_AT = 16
)
(
    input  wire                     clk,
    input  wire                     rst,

    // each engine's write (engine e at bits [e*W +: W])
    input  wire [ENGINES-1:0]       s_valid,
    input  wire [ENGINES*W-1:0]     s_data,
    output wire [ENGINES-1:0]       hold,

    // the one write a cycle to the stack
    output wire                     m_valid,
    output wire [W-1:0]             m_data,
    // the write that leaves next cycle (m_valid / m_data a cycle early; nx_data is don't-care
    // without nx_valid), for a caller that registers it with other requests (uc_unit)
    output wire                     nx_valid,
    output wire [W-1:0]             nx_data,

    output wire                     busy            // a write is queued or leaving
);

localparam AW = $clog2(DEPTH);

wire [ENGINES*W-1:0] head;              // each queue's oldest write
reg [ENGINES*AW-1:0] wp_reg, rp_reg;
reg [ENGINES*(AW+1)-1:0] cnt_reg;
// each queue's "not empty", kept as a flip-flop beside its count (cnt_reg != 0), so that the
// round robin starts from a register, not from a count compare (issue 16)
reg [ENGINES-1:0]    nonempty_reg;
// round robin as a mask of the queues after the last one granted (thermometer: ones from the
// next queue up), so that the arbiter is two AND-OR trees of registers, not an add of the
// pointer and a select per candidate (issue 16: the 4 x 2 array's queues at 5 LUT levels)
reg [ENGINES-1:0]    mask_reg, mask_next;
reg                  m_valid_reg, m_valid_next;
reg [W-1:0]          m_data_reg;

reg [ENGINES-1:0]    nonempty_next, grant;
reg                  any;
reg [W-1:0]          gdata;             // the granted queue's oldest write (AND-OR by grant)

assign m_valid = m_valid_reg;
assign m_data = m_data_reg;
assign nx_valid = any;
assign nx_data = gdata;

// one queue memory an engine (one write port each: LUT RAM)
genvar g;
generate
    for (g = 0; g < ENGINES; g = g + 1) begin : g_q
        reg [W-1:0] q [0:DEPTH-1];
        always @(posedge clk) begin
            if (s_valid[g]) begin
                q[wp_reg[AW*g +: AW]] <= s_data[W*g +: W];
            end
        end
        assign head[W*g +: W] = q[rp_reg[AW*g +: AW]];
        assign hold[g] = cnt_reg[(AW+1)*g +: AW+1] >= HOLD_AT;
    end
endgenerate

assign busy = m_valid_reg || (|nonempty_reg);

// round robin: the lowest non-empty queue at or above the mask (after the last one granted), else
// the lowest non-empty one (each always block has its own loop variables: one integer driven
// from two blocks is two drivers to synthesis)
integer i, k;
reg [ENGINES-1:0] req_hi;
reg               any_hi, below_hi, below;
always @* begin
    req_hi = nonempty_reg & mask_reg;
    any_hi = |req_hi;
    any = |nonempty_reg;
    below_hi = 1'b0;                    // a masked request below queue k
    below = 1'b0;                       // a request below queue k
    for (k = 0; k < ENGINES; k = k + 1) begin
        grant[k] = any_hi ? (req_hi[k] && !below_hi) : (nonempty_reg[k] && !below);
        below_hi = below_hi || req_hi[k];
        below = below || nonempty_reg[k];
    end
    // the queues after the one granted (none after the last: then every queue, from queue 0)
    mask_next = mask_reg;
    if (any) begin
        mask_next = {ENGINES{1'b0}};
        for (k = 1; k < ENGINES; k = k + 1) begin
            mask_next[k] = mask_next[k - 1] || grant[k - 1];
        end
    end
    gdata = {W{1'b0}};
    for (k = 0; k < ENGINES; k = k + 1) begin
        gdata = gdata | (head[W*k +: W] & {W{grant[k]}});
    end
    m_valid_next = any;
    // cnt + s - g != 0: a write arrives, or at least two are queued, or one that is not granted
    for (i = 0; i < ENGINES; i = i + 1) begin
        nonempty_next[i] = s_valid[i] || cnt_reg[(AW+1)*i +: AW+1] >= 2 ||
                           (cnt_reg[(AW+1)*i +: AW+1] == 1 && !grant[i]);
    end
end

integer e;
always @(posedge clk) begin
    for (e = 0; e < ENGINES; e = e + 1) begin
        if (s_valid[e]) begin
            wp_reg[AW*e +: AW] <= wp_reg[AW*e +: AW] + 1'b1;
        end
        if (grant[e]) begin
            rp_reg[AW*e +: AW] <= rp_reg[AW*e +: AW] + 1'b1;
        end
        cnt_reg[(AW+1)*e +: AW+1] <= cnt_reg[(AW+1)*e +: AW+1] + s_valid[e] - grant[e];
    end
    if (any) begin
        m_data_reg <= gdata;
    end
    mask_reg <= mask_next;
    m_valid_reg <= m_valid_next;
    nonempty_reg <= nonempty_next;

    if (rst) begin
        wp_reg <= {ENGINES*AW{1'b0}};
        rp_reg <= {ENGINES*AW{1'b0}};
        cnt_reg <= {ENGINES*(AW+1){1'b0}};
        nonempty_reg <= {ENGINES{1'b0}};
        mask_reg <= {ENGINES{1'b1}};
        m_valid_reg <= 1'b0;
    end
end

`ifdef ACCEL_ASSERTS
// verilator coverage_off
integer a;
always @(posedge clk) begin
    if (!rst) begin
        for (a = 0; a < ENGINES; a = a + 1) begin
            assert (!(s_valid[a] && cnt_reg[(AW+1)*a +: AW+1] == DEPTH)) else $error("uc_wq: overflow: a write into a full queue");
        end
    end
end
// verilator coverage_on
`endif

endmodule

`resetall
