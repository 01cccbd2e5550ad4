/*
 * GAP unit FWD datapath (gap_unit.v): from the vector read of an item on stack port A to the
 * channel's mean, ready to be written on port B.
 *
 *   P1, P2  the vector read (2 cycles); the item's flags, channel and lane mask wait beside it
 *   T       the masked lanes registered as the leaves of an adder tree, then log2(LANES)
 *           registered levels (one add a stage) to its root
 *   A       the root accumulated per channel (first item of a channel: restart)
 *   Q1      a finished channel sum (last item of the channel)
 *   QM      x M;  Q2  + 2^(R-1);  Q3  >> R;  Q4  sat16 and the output row: o_valid
 *
 * Numerics (docs/numerics.md, verif.models.layers.gap_forward): y = sat16((sum * M + 2^(R-1))
 * >> R); M (m_s), the rounding constant (half) and R come from gap_unit, fixed long before the
 * first item.
 *
 * Parameters:
 *   LANES   pixels per vector (power of two)
 *   FM_AW   stack word address width
 *   SUM_W   channel sum width (16 + bits of the pixel count)
 *   PROD_W  sum * M + rounding constant width
 *   R_W     width of R
 *
 * Latency: 8 + log2(LANES) cycles from an item (i_valid) to its channel's mean (o_valid, after
 * the channel's last item); one item a cycle, no stall.
 */

`resetall
`timescale 1ns / 1ps
`default_nettype none

module gap_fwd_path #
(
    // pixels per vector (power of two)
    parameter LANES = 8,
    // stack word address width
    parameter FM_AW = 12,
    // largest channel count (the channel index rides along the pipeline in C_W bits)
    parameter CMAX = 256,
    // channel sum width (16 + bits of the pixel count)
    parameter SUM_W = 31,
    // sum * M + rounding constant width
    parameter PROD_W = 50,
    // width of R
    parameter R_W = 6
)
(
    input  wire                     clk,
    input  wire                     rst,

    // an item: its vector is read on port A this cycle
    input  wire                     i_valid,
    input  wire                     i_first,        // first item of a channel
    input  wire                     i_last,         // last item of a channel
    input  wire [((CMAX > 1) ? $clog2(CMAX) : 1)-1:0] i_c,  // channel, < CMAX (C_W bits)
    input  wire [LANES-1:0]         i_mask,         // lanes inside the row
    input  wire [LANES*16-1:0]      fma_rdata,      // port A's read data (2 cycles after the read)

    // scaling (gap_unit): M, 2^(R-1) and R; the output map's first row
    input  wire signed [PROD_W-1:0] m_s,
    input  wire signed [PROD_W-1:0] half,
    input  wire [R_W-1:0]           r,
    input  wire [FM_AW-1:0]         y_row0,

    // the mean of a channel, to be written at row o_row (lane 0)
    output wire                     o_valid,
    output wire [FM_AW-1:0]         o_row,
    output wire [15:0]              o_y,
    output wire                     busy            // an item or a sum is in the datapath
);

// status codes, XW and the fixed-point helpers (sat16)
`include "accel_defs.vh"

localparam LOG_L = (LANES > 1) ? $clog2(LANES) : 0;
localparam TD = 1 + LOG_L;        // P2 -> root of the tree
localparam C_W = (CMAX > 1) ? $clog2(CMAX) : 1;

reg        p1_valid, p2_valid;
reg        p1_first, p2_first, p1_last, p2_last;
reg [C_W-1:0] p1_c, p2_c;
reg [LANES-1:0] p1_mask, p2_mask; // lanes inside the row
integer tn;
reg signed [SUM_W-1:0] acc_reg;
// tree node n (1 .. 2*LANES-1) at [SUM_W*n +: SUM_W]: leaves LANES .. 2*LANES-1, root 1
/* verilator lint_off UNUSEDSIGNAL */
reg [2*LANES*SUM_W-1:0] tree;
// flags of the item in tree stage k (bit / field k-1), from P2 to the root
reg [TD-1:0] t_valid, t_first, t_last;
reg [C_W*TD-1:0] t_c;
// (the last stage's bits only leave through a_*)
wire [TD:0] t_valid_in = {t_valid, p2_valid};
wire [TD:0] t_first_in = {t_first, p2_first};
wire [TD:0] t_last_in = {t_last, p2_last};
wire [C_W*TD+C_W-1:0] t_c_in = {t_c, p2_c};
/* verilator lint_on UNUSEDSIGNAL */
wire        a_valid = t_valid[TD-1];
wire        a_first = t_first[TD-1];
wire        a_last = t_last[TD-1];
wire [C_W-1:0] a_c = t_c[C_W*(TD-1) +: C_W];
wire signed [SUM_W-1:0] root = tree[SUM_W +: SUM_W];
reg        q1_valid, qm_valid, q2_valid, q3_valid, q4_valid;
// channel of a finished sum, zero-extended to a stack row offset (only its FM_AW bits are used)
reg [C_W-1:0] q1_c, qm_c, q2_c, q3_c;
/* verilator lint_off UNUSEDSIGNAL */
wire [FM_AW+C_W-1:0] q3_c_ext = {{FM_AW{1'b0}}, q3_c};
/* verilator lint_on UNUSEDSIGNAL */
reg signed [SUM_W-1:0] q1_sum;
reg signed [PROD_W-1:0] qm_prod, q2_prod, q3_quot;
reg [FM_AW-1:0] q4_row;
reg [15:0] q4_y;

wire signed [SUM_W-1:0] acc_next = a_first ? root : acc_reg + root;
// the quotient (sum * M + 2^(R-1)) >> R, sign-extended to sat16's 66 bits
wire signed [65:0] q3_quot66 = {{(66-PROD_W){q3_quot[PROD_W-1]}}, q3_quot};

assign o_valid = q4_valid;
assign o_row = q4_row;
assign o_y = q4_y;
assign busy = p1_valid | p2_valid | (|t_valid) | q1_valid | qm_valid | q2_valid | q3_valid |
              q4_valid;

always @(posedge clk) begin
    p1_valid <= i_valid;
    p2_valid <= p1_valid;
    p1_first <= i_first;
    p2_first <= p1_first;
    p1_last <= i_last;
    p2_last <= p1_last;
    p1_c <= i_c; p2_c <= p1_c;
    p1_mask <= i_mask;
    p2_mask <= p1_mask;
    // the tree: leaves from the P2 vector, then one registered level of sums a cycle
    for (tn = 0; tn < LANES; tn = tn + 1) begin
        tree[SUM_W*(LANES+tn) +: SUM_W] <= p2_mask[tn] ?
            {{(SUM_W-16){fma_rdata[16*tn+15]}}, fma_rdata[16*tn +: 16]} : {SUM_W{1'b0}};
    end
    for (tn = 1; tn < LANES; tn = tn + 1) begin
        tree[SUM_W*tn +: SUM_W] <= tree[SUM_W*(2*tn) +: SUM_W] + tree[SUM_W*(2*tn+1) +: SUM_W];
    end
    t_valid <= t_valid_in[TD-1:0];
    t_first <= t_first_in[TD-1:0];
    t_last <= t_last_in[TD-1:0];
    t_c <= t_c_in[C_W*TD-1:0];
    if (a_valid) begin
        acc_reg <= acc_next;
    end
    q1_valid <= a_valid && a_last;
    q1_c <= a_c;
    q1_sum <= acc_next;
    qm_valid <= q1_valid;
    qm_c <= q1_c;
    qm_prod <= $signed({{(PROD_W-SUM_W){q1_sum[SUM_W-1]}}, q1_sum}) * m_s;
    q2_valid <= qm_valid;
    q2_c <= qm_c;
    q2_prod <= qm_prod + half;
    q3_valid <= q2_valid;
    q3_c <= q2_c;
    q3_quot <= q2_prod >>> r;
    q4_valid <= q3_valid;
    q4_row <= y_row0 + q3_c_ext[FM_AW-1:0];
    q4_y <= sat16(q3_quot66);

    // control state only
    if (rst) begin
        p1_valid <= 1'b0;
        p2_valid <= 1'b0;
        t_valid <= {TD{1'b0}};
        q1_valid <= 1'b0;
        qm_valid <= 1'b0;
        q2_valid <= 1'b0;
        q3_valid <= 1'b0;
        q4_valid <= 1'b0;
    end
end

`undef ACCEL_DEFS_VH
endmodule

`resetall
