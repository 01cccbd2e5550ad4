/*
 * MP unit: 2x2 stride-2 max pooling forward (MP_FWD, with the argmax of every window), its
 * backward (MP_BWD: each gradient routed to its window's argmax, zeros elsewhere), the ReLU
 * backward (RELU_BWD: dX = dY where the forward output Y > 0, else 0) and the two backwards in
 * one pass (MP_BWD_RELU: MP_BWD's gradient kept only where the window's maximum is > 0, which
 * is the ReLU backward of the layer below the pool at its argmax; issue 14).
 *
 * The argmax word MP_FWD writes: bits 1:0 the position 2*dy + dx, bit 2 "maximum > 0", bits
 * 15:3 zero. MP_BWD reads bits 1:0, MP_BWD_RELU bits 2:0; both ignore the rest.
 *
 * Flat maps (cmd flat_x: X / dX, flat_y: Y, argmax, dY; docs/uc_unit.md "Flat small maps"): a map
 * stored as one row of H*W pixels a channel, row y at column y*W. The loop rows then step a column
 * offset (g_cx / g_cy) instead of a row word; the vectors stay a map row each, so the cycles are
 * those of the row layout.
 *
 * Maps live in the feature-map stack (layout of docs/uc_unit.md); the unit reads through port A
 * (vector read) and writes through port B (masked vector write). Numerics and odd-size rules:
 * docs/numerics.md (ties: the first maximum in raster order wins; Ho = H/2, Wo = W/2, an odd last
 * row / column is not read in MP_FWD and gets zero gradient in MP_BWD). Commands and status
 * codes: docs/units.md.
 *
 * Parameters:
 *   LANES     pixels per vector (power of two)
 *   CMAX      largest channel count
 *   HMAX      largest map height
 *   WMAX      largest map width
 *   FM_DEPTH  stack words per bank
 *   RD_PORTS  stack copies read a cycle: 1, 2, 4 or 8 (an engine array: the second read port,
 *             m_fma2_req / fma2_rdata, is port A of a copy that every port-B write reaches too;
 *             with 4 and 8, m_fmx_req / fmx_rdata slots 0, 1 (and 2 .. 5) are copies 2, 3 (.. 7))
 *
 * No argmax map (cmd xarg, issue 14): MP_FWD writes Y only; with RD_PORTS = 8 it reads both window
 * rows of 2*LANES pooled pixels in one cycle (rows 2y on copies 0 .. 3, 2y+1 on copies 4 .. 7), one
 * cycle a vector. MP_BWD / MP_BWD_RELU take a_base as the forward input X (C, H, W; laid out as
 * dX, flat_x) and find each window's argmax word again from it (the same first-maximum rule and
 * "maximum > 0" bit as MP_FWD's): phase 0 reads the window rows of X (row 2y on ports A and 2,
 * row 2y+1 on copies 2 and 3: RD_PORTS >= 4), phase 1 reads dY; the same 2 cycles a vector.
 * BAD_MODE: xarg with RELU_BWD, or with MP_BWD / MP_BWD_RELU below 4 read ports.
 *
 * Latency: 7 check cycles (the buffer check: region ends, then compares, then the decision), then
 * one slot per cycle: MP_FWD 4 reads per output vector of LANES pooled pixels (RD_PORTS = 2: 2
 * cycles, a window row each, its even columns on port A and its odd ones on the second port;
 * then the vector's two writes, Y and argmax, fill the write port; RD_PORTS = 4: the same 2
 * cycles for 2*LANES pooled pixels, the upper half's even and odd columns on copies 2 and 3, and
 * Y and argmax written 2*LANES lanes wide), MP_BWD and MP_BWD_RELU 2
 * cycles per vector of LANES windows (2 reads, 2 writes of an input row's 2*LANES pixels at
 * stride 1; 4 writes at stride 2 before issue 14's wide port-B write), RELU_BWD 2 reads per
 * vector (RD_PORTS = 2: one cycle, dY on port A and Y on the second port; RD_PORTS = 4: one
 * cycle a 2*LANES-pixel vector, dY and Y of its upper half on copies 2 and 3, one 2*LANES-lane
 * write); about 7 cycles of drain (the read requests leave from registers: issue 16, one cycle
 * more than before). m_rsp_cycles counts accept to
 * response.
 */

`resetall
`timescale 1ns / 1ps
`default_nettype none

module mp_unit #
(
`include "map_unit_params.vh"
)
(
`include "map_unit_ports.vh"
);

// ------------------------------------------------------------------------ derived widths
// BANKS, LOG_B, FM_AW, the limits as 32-bit constants and row_words
`include "map_unit_defs.vh"
localparam LOG_L = LOG_B - 1;
localparam [31:0] BANKS_M1_32 = BANKS - 1;
// two stack copies read a cycle (issue 14: the pool units on an engine array)
localparam RD2 = (RD_PORTS > 1);
localparam RD4 = (RD_PORTS > 3);
localparam RD8 = (RD_PORTS > 7);
// the generator's column steps: LANES, or 2*LANES (RELU_BWD and MP_FWD with RD_PORTS = 4)
localparam [31:0] LANES2_32 = 2 * LANES;

localparam [2:0] MODE_MP_FWD = 3'd0, MODE_MP_BWD = 3'd1, MODE_RELU_BWD = 3'd2,
                 MODE_MP_BWD_RELU = 3'd3;

// status codes and XW (signed pixel columns, as fm_stack)
`include "accel_defs.vh"

// the unit's own states (unit_ctl holds the command and the response)
localparam [1:0] S_IDLE = 2'd0, S_CHECK = 2'd1, S_RUN = 2'd2, S_DRAIN = 2'd3;

// ------------------------------------------------------------------------------ control
reg [1:0]  state_reg;
reg [2:0]  chk_step_reg;

// the command/response shell (unit_ctl): cmd holds the command, done / done_status end it
localparam UNIT_CMD_W = MP_CMD_W;
`include "unit_ctl_inst.vh"
`include "mp_cmd_fields.vh"

// derived at check time
reg [15:0] ho_reg, wo_reg;        // pooled size (MP) or H, W (ReLU): shape of the Y / A maps
reg [15:0] rw_x_reg, rw_y_reg;    // stack words per row of the X-side / Y-side maps
// per loop row: the row word steps (row layout) and the column steps (flat maps) of the X side
// (2 rows for MP, 1 for ReLU) and of the Y / A side; the X side's second window row (dy = 1)
reg [FM_AW-1:0] rs_x_reg, rs_y_reg, rdy_x_reg;
reg [XW-1:0] cs_x_reg, cs_y_reg, cdy_x_reg;
reg [31:0] hw_x_reg, hw_y_reg;    // H * W and Ho * Wo (a flat map's plane, in pixels)
reg [31:0] plane_x_reg, plane_y_reg;
reg [47:0] size_x_reg, size_y_reg;
reg [15:0] ny_reg, nx_reg;        // loop rows, loop columns (lanes) per row
reg [1:0]  last_ph_reg;           // phases per vector - 1
reg [47:0] x_end_reg, y_end_reg, a_end_reg;   // region ends (check step 4)
reg        bad_buf_reg;           // a region beyond the stack or overlapping (check step 5)

wire is_fwd = (cmd_mode == MODE_MP_FWD);
// MP_BWD and MP_BWD_RELU run alike; bwd_relu masks the gradient with the argmax word's bit 2
wire is_bwd = (cmd_mode == MODE_MP_BWD) || (cmd_mode == MODE_MP_BWD_RELU);
wire bwd_relu = (cmd_mode == MODE_MP_BWD_RELU);
wire is_relu = (cmd_mode == MODE_RELU_BWD);
// RELU_BWD on 2*LANES pixels a cycle, MP_FWD on 2*LANES pooled pixels a vector (RD_PORTS = 4:
// the upper LANES from copies 2 and 3)
wire relu4 = RD4 && is_relu;
wire fwd4 = RD4 && is_fwd;
// no argmax map (cmd_xarg): MP_FWD writes Y only (RD_PORTS = 8: both window rows a cycle, fwd8);
// MP_BWD reads X at a_base and finds the argmax again (bwdx)
wire fwd8 = RD8 && is_fwd && cmd_xarg;
wire fwd_noarg = is_fwd && cmd_xarg;
wire bwdx = is_bwd && cmd_xarg;
wire wide4 = relu4 || fwd4;

// map regions [base, base + size)
wire [47:0] x_end = {16'd0, cmd_x_base} + size_x_reg;
wire [47:0] y_end = {16'd0, cmd_y_base} + size_y_reg;
// (MP_BWD with xarg: the A region is the forward input X, dX's size)
wire [47:0] a_end = {16'd0, cmd_a_base} + (bwdx ? size_x_reg : size_y_reg);
wire [47:0] x_b48 = {16'd0, cmd_x_base};
wire [47:0] y_b48 = {16'd0, cmd_y_base};
wire [47:0] a_b48 = {16'd0, cmd_a_base};
wire ovl_xy = !(x_end_reg <= y_b48 || y_end_reg <= x_b48);
wire ovl_xa = !(x_end_reg <= a_b48 || a_end_reg <= x_b48);
wire ovl_ya = !(y_end_reg <= a_b48 || a_end_reg <= y_b48);
// MP_FWD with xarg has no A region (a_base is not used)
wire bad_buf = x_end_reg > {16'd0, FM_DEPTH_32} || y_end_reg > {16'd0, FM_DEPTH_32} ||
               (!fwd_noarg && (a_end_reg > {16'd0, FM_DEPTH_32} || ovl_xa)) || ovl_xy ||
               (is_fwd && !fwd_noarg && ovl_ya);

// ---------------------------------------------------------------------- item generator
// One slot per cycle: (channel, loop row, vector start column, phase) plus the row pointers of
// the three maps for that channel and loop row.
reg        g_valid;
reg [1:0]  g_ph;
reg [15:0] g_c, g_y, g_x0;
reg [15:0] g_x1;                                // g_x0 + LANES (RELU_BWD, RD_PORTS = 4: the upper half)
reg [FM_AW-1:0] g_row_x, g_row_y, g_row_a;    // X: row 2y (MP) or y (ReLU); Y, A: row y
reg [FM_AW-1:0] g_cb_x, g_cb_y, g_cb_a;       // channel bases
reg [XW-1:0] g_cx, g_cx1, g_cy;               // column offsets: X row 2y (y), its row 2y+1, Y / A row y

// loop ends as down-counters of the steps left and registered "last" flags (no add-and-compare
// in front of the generator's enables): x steps ceil(nx / LANES), rows ny, channels C
reg [15:0] xl_reg, yl_reg, cl_reg;      // steps left after the current one
reg        lx_reg, ly_reg, lc_reg;      // the current step is the last
reg [15:0] xl0_reg, yl0_reg;            // a row's / a channel's steps left at its start
reg        lx0_reg, ly0_reg;
wire g_last_ph = (g_ph == last_ph_reg);
wire [15:0] x_step = wide4 ? LANES2_32[15:0] : LANES_32[15:0];
wire [15:0] g_x0_next = g_x0 + x_step;
wire g_last_x = lx_reg;
wire g_last_y = ly_reg;
wire g_last_c = lc_reg;
wire g_yv = (g_y < ho_reg);                    // MP_BWD: a real window row (y < Ho)

// MP_FWD: the window position a slot reads, k = 2*dy + dx: one a phase (RD_PORTS = 1), or a
// window row a phase (RD_PORTS = 2: dy = phase, port A dx = 0, the second port dx = 1)
wire g_dy = RD2 ? g_ph[0] : g_ph[1];
wire g_dx = RD2 ? 1'b0 : g_ph[0];

// port A reads, and the second port's (RD_PORTS = 2)
reg              rd_en, rd2_en;
reg [FM_AW-1:0]  rd_row, rd2_row;
reg [XW-1:0]     rd_x, rd2_x;
reg              rd_s2;
// the third and fourth ports (RD_PORTS = 4, RELU_BWD): dY and Y of columns x0 + LANES ..
reg              rd3_en, rd4_en;
reg [FM_AW-1:0]  rd3_row, rd4_row;
reg [XW-1:0]     rd3_x, rd4_x;
reg              rd34_s2;
// the fifth to eighth (RD_PORTS = 8, MP_FWD with xarg): window row 2y+1 of the lower and upper half
reg              rd5_en;
reg [FM_AW-1:0]  rd5_row;
reg [XW-1:0]     rd5_x, rd6_x, rd7_x, rd8_x;
always @* begin
    rd5_en = 1'b0;
    rd5_row = g_row_x + rdy_x_reg;
    rd5_x = g_cx1 + {{(XW-17){1'b0}}, g_x0, 1'b0};
    rd6_x = g_cx1 + {{(XW-17){1'b0}}, g_x0, 1'b1};
    rd7_x = g_cx1 + {{(XW-17){1'b0}}, g_x1, 1'b0};
    rd8_x = g_cx1 + {{(XW-17){1'b0}}, g_x1, 1'b1};
    rd3_en = 1'b0;
    rd4_en = 1'b0;
    // (RELU_BWD: dY and Y of the upper half at stride 1)
    rd3_row = g_row_y;
    rd4_row = g_row_a;
    rd3_x = g_cy + {{(XW-16){1'b0}}, g_x1};
    rd4_x = g_cy + {{(XW-16){1'b0}}, g_x1};
    rd34_s2 = 1'b0;
    rd_en = 1'b0;
    rd_row = g_row_x;
    rd_x = g_cy + {{(XW-16){1'b0}}, g_x0};
    rd_s2 = 1'b0;
    rd2_en = 1'b0;
    rd2_row = g_row_a;
    rd2_x = g_cy + {{(XW-16){1'b0}}, g_x0};
    if (g_valid) begin
        if (is_fwd) begin
            // row 2y+dy, columns 2*(x0+l)+dx
            rd_en = 1'b1;
            rd_row = g_dy ? g_row_x + rdy_x_reg : g_row_x;
            rd_x = (g_dy ? g_cx1 : g_cx) + {{(XW-17){1'b0}}, g_x0, g_dx};
            rd_s2 = 1'b1;
            rd2_en = RD2;
            rd2_row = rd_row;
            rd2_x = (g_dy ? g_cx1 : g_cx) + {{(XW-17){1'b0}}, g_x0, 1'b1};
            // RD_PORTS = 4: the upper half's windows (pooled columns x0 + LANES ..), dx = 0 on
            // copy 2 and dx = 1 on copy 3
            rd3_en = RD4;
            rd4_en = RD4;
            rd3_row = rd_row;
            rd4_row = rd_row;
            rd3_x = (g_dy ? g_cx1 : g_cx) + {{(XW-17){1'b0}}, g_x1, 1'b0};
            rd4_x = (g_dy ? g_cx1 : g_cx) + {{(XW-17){1'b0}}, g_x1, 1'b1};
            rd34_s2 = 1'b1;
            // RD_PORTS = 8 without the argmax map: row 2y+1 as well, on copies 4 .. 7
            rd5_en = fwd8;
        end else if (bwdx) begin
            // phase 0: window rows 2y (port A dx = 0, the second port dx = 1) and 2y+1 (copies 2
            // and 3) of X at a_base (its rows: dX's moved by a_base - x_base); phase 1: dY
            rd_en = g_yv;
            rd2_en = g_yv && !g_ph[0];
            rd3_en = g_yv && !g_ph[0];
            rd4_en = g_yv && !g_ph[0];
            if (!g_ph[0]) begin
                rd_row = g_row_x + xd_reg;
                rd_x = g_cx + {{(XW-17){1'b0}}, g_x0, 1'b0};
                rd_s2 = 1'b1;
                rd2_row = rd_row;
                rd2_x = g_cx + {{(XW-17){1'b0}}, g_x0, 1'b1};
                rd3_row = g_row_x + xd1_reg;
                rd4_row = rd3_row;
                rd3_x = g_cx1 + {{(XW-17){1'b0}}, g_x0, 1'b0};
                rd4_x = g_cx1 + {{(XW-17){1'b0}}, g_x0, 1'b1};
                rd34_s2 = 1'b1;
            end else begin
                rd_row = g_row_y;
            end
        end else if (is_bwd) begin
            // phase 0: dY row, phase 1: argmax row (real window rows only)
            rd_en = g_yv && !g_ph[1];
            rd_row = g_ph[0] ? g_row_a : g_row_y;
        end else begin
            // phase 0: dY, phase 1: forward output Y (RD_PORTS = 2: one phase, Y on the
            // second port)
            rd_en = 1'b1;
            rd_row = g_ph[0] ? g_row_a : g_row_y;
            rd2_en = RD2;
            rd3_en = RD4;
            rd4_en = RD4;
        end
    end
end

// the read requests leave the unit from flip-flops (stage p0): the row and column adds above
// end in registers, so that the stack's request mux and bank addresses follow flip-flops only
// (issue 16, twenty-first session: the ECP5's critical path ran from the generator's row
// through these adds into the stack's bank addresses); one cycle more a command
reg              q_en, q2_en, q3_en, q4_en, q_s2, q34_s2, q5_en;
reg [FM_AW-1:0]  q_row, q2_row, q3_row, q4_row, q5_row;
reg [XW-1:0]     q_x, q2_x, q3_x, q4_x, q5_x, q6_x, q7_x, q8_x;
always @(posedge clk) begin
    q5_en <= rd5_en;
    q5_row <= rd5_row;
    q5_x <= rd5_x;
    q6_x <= rd6_x;
    q7_x <= rd7_x;
    q8_x <= rd8_x;
    q_en <= rd_en;
    q2_en <= rd2_en;
    q3_en <= rd3_en;
    q4_en <= rd4_en;
    q_s2 <= rd_s2;
    q34_s2 <= rd34_s2;
    q_row <= rd_row;
    q2_row <= rd2_row;
    q3_row <= rd3_row;
    q4_row <= rd4_row;
    q_x <= rd_x;
    q2_x <= rd2_x;
    q3_x <= rd3_x;
    q4_x <= rd4_x;
    if (rst) begin
        q_en <= 1'b0;
        q2_en <= 1'b0;
        q3_en <= 1'b0;
        q4_en <= 1'b0;
        q5_en <= 1'b0;
    end
end
assign m_fma_req = {q_en, q_s2, q_row, q_x};
// the second port reads at stride 2 exactly when port A does (MP_FWD)
assign m_fma2_req = {q2_en, q_s2, q2_row, q2_x};
// copies 2 .. 7 (slot k - 2); copies 4 .. 7 read window row 2y+1 at stride 2 (MP_FWD, fwd8)
assign m_fmx_req = {q5_en, 1'b1, q5_row, q8_x, q5_en, 1'b1, q5_row, q7_x,
                    q5_en, 1'b1, q5_row, q6_x, q5_en, 1'b1, q5_row, q5_x,
                    q4_en, q34_s2, q4_row, q4_x, q3_en, q34_s2, q3_row, q3_x};

// ----------------------------------------------------------------------------- pipeline
// slot copies: p0 (the read request registered), p1 (read in the RAM), p2 (read data valid),
// p3, p4
reg        p0_valid, p1_valid, p2_valid, p3_valid, p4_valid;
reg [1:0]  p0_ph, p1_ph, p2_ph, p3_ph;
reg [15:0] p0_x0, p1_x0, p2_x0, p3_x0;
reg [XW-1:0] p0_cx, p1_cx, p2_cx, p3_cx, p0_cx1, p1_cx1, p2_cx1, p3_cx1, p0_cy, p1_cy, p2_cy, p3_cy;
reg [15:0] p0_y, p1_y, p2_y, p3_y;
reg [FM_AW-1:0] p0_rx, p1_rx, p2_rx, p3_rx;
reg [FM_AW-1:0] p0_ry, p1_ry, p2_ry, p3_ry;
reg [FM_AW-1:0] p0_ra, p1_ra, p2_ra, p3_ra;

// MP_FWD running maximum and argmax, and whether a value of the window so far is > 0 (the
// maximum is > 0 exactly then: a compare on the read data, beside the others, not after the max)
reg [LANES*16-1:0] best_reg;
reg [LANES*2-1:0]  arg_reg;
reg [LANES-1:0]    pos_reg;
// the upper half's (RD_PORTS = 4: pooled columns x0 + LANES ..)
reg [LANES*16-1:0] best_hi_reg;
reg [LANES*2-1:0]  arg_hi_reg;
reg [LANES-1:0]    pos_hi_reg;
// MP_BWD: dY and argmax word bits 2:0 of the vector being written
reg [LANES*16-1:0] dy_reg;
reg [LANES*16-1:0] hold_dy;
reg [LANES*3-1:0]  hold_arg;
// RELU_BWD result
reg [LANES*16-1:0] relu_reg;

// the read data: port A's (d0) and the second port's (d1: RD_PORTS = 2); RELU_BWD's forward
// output Y and gradient dY (RD_PORTS = 1: Y read in phase 1 after dY in phase 0, kept in dy_reg)
wire [LANES*16-1:0] d0 = fma_rdata;
wire [LANES*16-1:0] d1 = fma2_rdata;
wire [LANES*16-1:0] relu_y = RD2 ? d1 : d0;
wire [LANES*16-1:0] relu_dy = RD2 ? d0 : dy_reg;
// RD_PORTS = 4: the upper half's dY (copy 2) and Y (copy 3)
wire [LANES*16-1:0] d2 = fmx_rdata[0 +: LANES*16];
wire [LANES*16-1:0] d3 = fmx_rdata[LANES*16 +: LANES*16];
// RD_PORTS = 8 (MP_FWD with xarg): window row 2y+1, lower half even / odd (copies 4, 5), upper
// half even / odd (copies 6, 7)
wire [LANES*16-1:0] d4 = fmx_rdata[2*LANES*16 +: LANES*16];
wire [LANES*16-1:0] d5 = fmx_rdata[3*LANES*16 +: LANES*16];
wire [LANES*16-1:0] d6 = fmx_rdata[4*LANES*16 +: LANES*16];
wire [LANES*16-1:0] d7 = fmx_rdata[5*LANES*16 +: LANES*16];
// fwd8: the maximum of row 2y+1 of each window (lower, upper half), beside row 2y's in best_reg /
// best_hi_reg; their maximum is Y, written at p4
reg  [LANES*16-1:0] mx1_reg, mx1_hi_reg;
reg  [LANES*16-1:0] mx1_next, mx1_hi_next, y8_next, y8_hi_next;
// bwdx: the argmax word bits 2:0 found from X (phase 0's reads), held for phase 1
reg  [LANES*3-1:0]  xarg_reg;
reg  [LANES*3-1:0]  xarg_next;
reg  [17:0]         xr0, xr1;

reg [LANES*16-1:0] best_next, relu_next, relu_hi_next, best_hi_next;
// (X's row deltas for bwdx: a_base - x_base, and + the second window row's step)
reg [FM_AW-1:0]    xd_reg, xd1_reg;
reg [LANES*2-1:0]  arg_next, arg_hi_next;
reg [LANES*3-1:0]  arg_rd;
reg [LANES-1:0]    pos_next, pos_hi_next;
integer li;

// one window row of a lane (RD_PORTS >= 2): the running maximum and its argmax {arg, best} after
// the row's even (f_de) and odd (f_do) column: the three compares side by side, then one select
// (f_do wins only over both, f_de over the running maximum; strictly greater replaces, so the
// first maximum in raster order wins); f_first: the window's first row
function [17:0] pool_row;
    input [15:0] f_best;
    input [1:0]  f_arg;
    input [15:0] f_de;
    input [15:0] f_do;
    input        f_first;
    reg g10, g0, g1;
    begin
        g10 = $signed(f_do) > $signed(f_de);
        g0 = $signed(f_de) > $signed(f_best);
        g1 = $signed(f_do) > $signed(f_best);
        if (f_first) begin
            pool_row = {1'b0, g10, g10 ? f_do : f_de};
        end else if (g10 && g1) begin
            pool_row = {2'd3, f_do};
        end else if (g0) begin
            pool_row = {2'd2, f_de};
        end else begin
            pool_row = {f_arg, f_best};
        end
    end
endfunction

always @* begin
    best_next = best_reg;
    arg_next = arg_reg;
    best_hi_next = best_hi_reg;
    arg_hi_next = arg_hi_reg;
    relu_next = relu_reg;
    for (li = 0; li < LANES; li = li + 1) begin
        // RD_PORTS = 4: the upper half's window row, dx = 0 on copy 2 (d2), dx = 1 on copy 3
        // (d3), as the lower half's below
        pos_hi_next[li] = (p2_ph != 2'd0 && pos_hi_reg[li]) || $signed(d2[16*li +: 16]) > 0 ||
                          $signed(d3[16*li +: 16]) > 0;
        {arg_hi_next[2*li +: 2], best_hi_next[16*li +: 16]} =
            pool_row(best_hi_reg[16*li +: 16], arg_hi_reg[2*li +: 2], d2[16*li +: 16], d3[16*li +: 16],
                     p2_ph == 2'd0);
        arg_rd[3*li +: 3] = fma_rdata[16*li +: 3];
        // a window's first slot starts the flag; the second port's value counts with RD_PORTS = 2
        pos_next[li] = (p2_ph != 2'd0 && pos_reg[li]) || $signed(d0[16*li +: 16]) > 0 ||
                       (RD2 && $signed(d1[16*li +: 16]) > 0);
        // strictly greater replaces: the first maximum in raster order wins
        if (RD2) begin
            // a window row a slot (port A its even columns, the second port its odd ones)
            {arg_next[2*li +: 2], best_next[16*li +: 16]} =
                pool_row(best_reg[16*li +: 16], arg_reg[2*li +: 2], d0[16*li +: 16], d1[16*li +: 16],
                         p2_ph == 2'd0);
        end else if (p2_ph == 2'd0 || $signed(fma_rdata[16*li +: 16]) > $signed(best_reg[16*li +: 16])) begin
            best_next[16*li +: 16] = fma_rdata[16*li +: 16];
            arg_next[2*li +: 2] = p2_ph;
        end
        relu_next[16*li +: 16] = ($signed(relu_y[16*li +: 16]) > 0) ? relu_dy[16*li +: 16] : 16'd0;
        relu_hi_next[16*li +: 16] = ($signed(d3[16*li +: 16]) > 0) ? d2[16*li +: 16] : 16'd0;
        // fwd8: row 2y+1's maximum (p2), then Y = the larger of the two rows' (p3)
        mx1_next[16*li +: 16] = ($signed(d5[16*li +: 16]) > $signed(d4[16*li +: 16])) ? d5[16*li +: 16]
                                                                                       : d4[16*li +: 16];
        mx1_hi_next[16*li +: 16] = ($signed(d7[16*li +: 16]) > $signed(d6[16*li +: 16])) ? d7[16*li +: 16]
                                                                                          : d6[16*li +: 16];
        y8_next[16*li +: 16] = ($signed(mx1_reg[16*li +: 16]) > $signed(best_reg[16*li +: 16])) ?
                               mx1_reg[16*li +: 16] : best_reg[16*li +: 16];
        y8_hi_next[16*li +: 16] = ($signed(mx1_hi_reg[16*li +: 16]) > $signed(best_hi_reg[16*li +: 16])) ?
                                  mx1_hi_reg[16*li +: 16] : best_hi_reg[16*li +: 16];
        // bwdx: the window's argmax from X, as MP_FWD finds it: row 2y (d0 even, d1 odd column),
        // then row 2y+1 (d2, d3) against its maximum; bit 2 "maximum > 0"
        xr0 = pool_row(16'd0, 2'd0, d0[16*li +: 16], d1[16*li +: 16], 1'b1);
        xr1 = pool_row(xr0[15:0], xr0[17:16], d2[16*li +: 16], d3[16*li +: 16], 1'b0);
        xarg_next[3*li +: 3] = {$signed(xr1[15:0]) > 0, xr1[17:16]};
    end
end

// port B writes: MP_FWD Y at p3 and argmax at p4 of the last phase (3; RD_PORTS = 2: 1); MP_BWD
// input row 2y + phase (both window positions dx of every lane) at p4 of every phase; RELU_BWD
// dX at p3 of the last phase (1; RD_PORTS = 2: 0). The request is a register, formed
// at the edge into the writing stage from the stage before it (its masks, row and data compared
// and selected there), so that the stack's port-B mux and bank addresses follow flip-flops only
// (issue 16); the write happens in the same cycle as when it was formed from the writing stage.
reg              wr_en;
reg [FM_AW-1:0]  wr_row;
reg [XW-1:0]     wr_x;
reg              wr_s2;
reg [2*LANES*16-1:0] wr_data;   // 2*LANES lanes (FMB_REQ): MP_BWD fills them, the others LANES
reg [2*LANES-1:0] wr_mask;
wire [16:0]      wrow3 = {p3_y, p3_ph[0]};    // MP_BWD: input row 2y + dy, dy = the phase

// per-lane masks and data of the request, one stage before the write (a generate loop: a
// combinational block's loop variable is a latch to synthesis when a branch leaves it unassigned)
wire [LANES-1:0]    mask_p2_wo, mask_p2_w;
wire [LANES-1:0]    mask_p2_w1;                 // RELU_BWD, RD_PORTS = 4: the upper half's lanes
wire [LANES-1:0]    mask_p2_wo1;                // MP_FWD, RD_PORTS = 4: the upper half's lanes
wire [2*LANES-1:0]  mask_p3_bwd;
reg  [LANES-1:0]    m3_wo_reg;                  // mask_p2_wo a stage later: MP_FWD's argmax write
reg  [LANES-1:0]    m3_wo1_reg;                 // and mask_p2_wo1
wire [2*LANES*16-1:0] bwd_wdata_next;
// the argmax words (position 2 bits a lane, covered as arg_reg, and the "maximum > 0" bit,
// covered as pos_reg): bits 15:3 of every lane are constant, so the word is left out of toggle
// coverage
/* verilator coverage_off */
wire [LANES*16-1:0] arg_wdata_next, arg_hi_wdata_next;
/* verilator coverage_on */
// MP_BWD: the values hold_arg / hold_dy take at this edge (they are the write's operands at p4)
wire                hold_take = p2_valid && p2_ph == 2'd1;
// (bwdx: the argmax from X, found in phase 0; dY read in phase 1, its data now)
wire [LANES*3-1:0]  hold_arg_next = hold_take ? (bwdx ? xarg_reg : arg_rd) : hold_arg;
wire [LANES*16-1:0] hold_dy_next = hold_take ? (bwdx ? fma_rdata : dy_reg) : hold_dy;
wire                p3_yok = p3_y < ho_reg;     // MP_BWD: a pooled row
genvar gl;
generate
    for (gl = 0; gl < LANES; gl = gl + 1) begin : g_wlane
        assign mask_p2_wo[gl] = ({16'd0, p2_x0} + gl) < {16'd0, wo_reg};
        assign mask_p2_w[gl] = ({16'd0, p2_x0} + gl) < {16'd0, cmd_w};
        assign mask_p2_w1[gl] = ({16'd0, p2_x0} + LANES + gl) < {16'd0, cmd_w};
        assign mask_p2_wo1[gl] = ({16'd0, p2_x0} + LANES + gl) < {16'd0, wo_reg};
        assign arg_wdata_next[16*gl +: 16] = {13'd0, pos_reg[gl], arg_reg[2*gl +: 2]};
        assign arg_hi_wdata_next[16*gl +: 16] = {13'd0, pos_hi_reg[gl], arg_hi_reg[2*gl +: 2]};
    end
    // MP_BWD writes a whole input row of its LANES windows at stride 1: 2*LANES lanes, lane j
    // the column 2*x0 + j of window j/2 at dx = j%2 (issue 14: two writes a vector, not four)
    for (gl = 0; gl < 2 * LANES; gl = gl + 1) begin : g_wlane2
        localparam integer DXI = gl % 2;
        localparam [0:0] DX = DXI[0:0];
        wire [31:0] wcol = {15'd0, p3_x0, 1'b0} + gl;
        assign mask_p3_bwd[gl] = (wcol < {16'd0, cmd_w}) && (wrow3 < {1'b0, cmd_h});
        // the window's argmax is this pixel (2*dy + dx); MP_BWD_RELU: and its maximum was > 0
        assign bwd_wdata_next[16*gl +: 16] = (p3_yok && m3_wo_reg[gl/2] &&
                                              hold_arg_next[3*(gl/2) +: 2] == {p3_ph[0], DX} &&
                                              (!bwd_relu || hold_arg_next[3*(gl/2) + 2])) ?
                                             hold_dy_next[16*(gl/2) +: 16] : 16'd0;
    end
endgenerate

always @(posedge clk) begin
    m3_wo_reg <= mask_p2_wo;
    m3_wo1_reg <= mask_p2_wo1;
    wr_en <= 1'b0;
    wr_row <= p2_ry;
    wr_x <= p2_cy + {{(XW-16){1'b0}}, p2_x0};
    wr_s2 <= 1'b0;
    wr_data <= {{LANES*16{1'b0}}, best_next};
    wr_mask <= {2*LANES{1'b0}};
    if (is_fwd) begin
        if (fwd8) begin
            // RD_PORTS = 8, no argmax map: Y at p4, the larger of the two window rows' maxima
            wr_en <= p3_valid;
            wr_row <= p3_ry;
            wr_x <= p3_cy + {{(XW-16){1'b0}}, p3_x0};
            wr_data <= {y8_hi_next, y8_next};
            wr_mask <= {m3_wo1_reg, m3_wo_reg};
        end else if (p2_valid && p2_ph == last_ph_reg) begin
            // Y at p3: the running maximum after this edge (RD_PORTS = 4: 2*LANES lanes at
            // stride 1, the upper half's too)
            wr_en <= 1'b1;
            wr_data <= {fwd4 ? best_hi_next : {LANES*16{1'b0}}, best_next};
            wr_mask <= {fwd4 ? mask_p2_wo1 : {LANES{1'b0}}, mask_p2_wo};
        end else if (p3_valid && p3_ph == last_ph_reg && !fwd_noarg) begin
            // argmax at p4: the argmax of the finished window (arg_reg, held since p3)
            wr_en <= 1'b1;
            wr_row <= p3_ra;
            wr_x <= p3_cy + {{(XW-16){1'b0}}, p3_x0};
            wr_data <= {fwd4 ? arg_hi_wdata_next : {LANES*16{1'b0}}, arg_wdata_next};
            wr_mask <= {fwd4 ? m3_wo1_reg : {LANES{1'b0}}, m3_wo_reg};
        end
    end else if (is_bwd) begin
        // input row 2y + dy (dy = the phase), columns 2*x0 .. 2*x0 + 2*LANES - 1
        wr_en <= p3_valid;
        wr_row <= p3_ph[0] ? p3_rx + rdy_x_reg : p3_rx;
        wr_x <= (p3_ph[0] ? p3_cx1 : p3_cx) + {{(XW-17){1'b0}}, p3_x0, 1'b0};
        wr_mask <= mask_p3_bwd;
        wr_data <= bwd_wdata_next;
    end else begin
        // RD_PORTS = 4: 2*LANES lanes at stride 1 (fm_stack takes them from any column)
        wr_en <= p2_valid && p2_ph == last_ph_reg;
        wr_row <= p2_rx;
        wr_x <= p2_cx + {{(XW-16){1'b0}}, p2_x0};
        wr_data <= {relu4 ? relu_hi_next : {LANES*16{1'b0}}, relu_next};
        wr_mask <= {relu4 ? mask_p2_w1 : {LANES{1'b0}}, mask_p2_w};
    end
    if (rst) begin
        wr_en <= 1'b0;
    end
end

assign m_fmb_req = {wr_en, wr_en, wr_s2, wr_row, wr_x, wr_data, wr_mask};

wire pipe_busy = g_valid | p0_valid | p1_valid | p2_valid | p3_valid | p4_valid;

// ------------------------------------------------------------------ command / response
// done: a rejected command at check step 1 (mode, shape: compared at step 0, registered, so that
// the decision reads two flags; issue 16) or 6 (buffers), or the pipeline drained
reg  bad_mode_reg, bad_ch_reg, bad_w_reg;
// (xarg: not with RELU_BWD; MP_BWD's X reads need 4 read ports)
wire bad_mode = (cmd_mode > MODE_MP_BWD_RELU) || (cmd_xarg && is_relu) || (cmd_xarg && is_bwd && !RD4);
// the shape checks in two flags (fewer compares into each register)
wire bad_ch = cmd_c == 16'd0 || {16'd0, cmd_c} > CMAX_32 ||
              cmd_h == 16'd0 || {16'd0, cmd_h} > HMAX_32;
wire bad_w = cmd_w == 16'd0 || {16'd0, cmd_w} > WMAX_32 ||
             (!is_relu && (cmd_h < 16'd2 || cmd_w < 16'd2));
wire bad_shape_reg = bad_ch_reg || bad_w_reg;
assign done = (state_reg == S_CHECK && chk_step_reg == 3'd1 && (bad_mode_reg || bad_shape_reg)) ||
              (state_reg == S_CHECK && chk_step_reg == 3'd6 && bad_buf_reg) ||
              (state_reg == S_DRAIN && !pipe_busy);
assign done_status = (state_reg == S_DRAIN) ? ST_OK : (chk_step_reg != 3'd1) ? ST_BAD_BUFFER :
                     bad_mode_reg ? ST_BAD_MODE : ST_BAD_SHAPE;

always @(posedge clk) begin
    // -------- slot pipeline (no stalls)
    p0_valid <= g_valid && state_reg == S_RUN;
    p1_valid <= p0_valid;
    p2_valid <= p1_valid;
    p3_valid <= p2_valid;
    p4_valid <= p3_valid;
    p0_ph <= g_ph; p1_ph <= p0_ph; p2_ph <= p1_ph; p3_ph <= p2_ph;
    p0_x0 <= g_x0; p1_x0 <= p0_x0; p2_x0 <= p1_x0; p3_x0 <= p2_x0;
    p0_cx <= g_cx; p1_cx <= p0_cx; p2_cx <= p1_cx; p3_cx <= p2_cx;
    p0_cx1 <= g_cx1; p1_cx1 <= p0_cx1; p2_cx1 <= p1_cx1; p3_cx1 <= p2_cx1;
    p0_cy <= g_cy; p1_cy <= p0_cy; p2_cy <= p1_cy; p3_cy <= p2_cy;
    p0_y <= g_y; p1_y <= p0_y; p2_y <= p1_y; p3_y <= p2_y;
    p0_rx <= g_row_x; p1_rx <= p0_rx; p2_rx <= p1_rx; p3_rx <= p2_rx;
    p0_ry <= g_row_y; p1_ry <= p0_ry; p2_ry <= p1_ry; p3_ry <= p2_ry;
    p0_ra <= g_row_a; p1_ra <= p0_ra; p2_ra <= p1_ra; p3_ra <= p2_ra;

    // -------- data path
    if (p2_valid && is_fwd) begin
        best_reg <= best_next;
        arg_reg <= arg_next;
        pos_reg <= pos_next;
        best_hi_reg <= best_hi_next;
        arg_hi_reg <= arg_hi_next;
        pos_hi_reg <= pos_hi_next;
    end
    if (p2_valid && p2_ph == 2'd0) begin
        dy_reg <= fma_rdata;
        xarg_reg <= xarg_next;
    end
    if (p2_valid) begin
        mx1_reg <= mx1_next;
        mx1_hi_reg <= mx1_hi_next;
    end
    if (p2_valid && p2_ph == 2'd1) begin
        hold_dy <= hold_dy_next;
        hold_arg <= hold_arg_next;
        relu_reg <= relu_next;
    end

    // -------- control (the command, its cycles and the response: unit_ctl)
    case (state_reg)
    S_CHECK: begin
        chk_step_reg <= chk_step_reg + 1'b1;
        case (chk_step_reg)
        3'd0: begin
            ho_reg <= is_relu ? cmd_h : {1'b0, cmd_h[15:1]};
            wo_reg <= is_relu ? cmd_w : {1'b0, cmd_w[15:1]};
            rw_x_reg <= row_words(cmd_w);
            hw_x_reg <= {16'd0, cmd_h} * {16'd0, cmd_w};
            bad_mode_reg <= bad_mode;
            bad_ch_reg <= bad_ch;
            bad_w_reg <= bad_w;
        end
        3'd1: begin
            if (bad_mode_reg || bad_shape_reg) begin
                state_reg <= S_IDLE;    // done: the status answers
            end else begin
                // (from checked fields only: their registers stay within the shape's bounds)
                rw_y_reg <= row_words(wo_reg);
                // a flat map's plane: its H*W pixels in whole stack words
                plane_x_reg <= cmd_flat_x ? (hw_x_reg + BANKS_M1_32) >> LOG_B :
                               {16'd0, cmd_h} * {16'd0, rw_x_reg};
                hw_y_reg <= {16'd0, ho_reg} * {16'd0, wo_reg};
                rs_x_reg <= cmd_flat_x ? {FM_AW{1'b0}} :
                            (is_relu ? fm_w16(rw_x_reg) : (fm_w16(rw_x_reg) << 1));
                rdy_x_reg <= cmd_flat_x ? {FM_AW{1'b0}} : fm_w16(rw_x_reg);
                cs_x_reg <= cmd_flat_x ? (is_relu ? {{(XW-16){1'b0}}, cmd_w} : {{(XW-17){1'b0}}, cmd_w, 1'b0})
                                       : {XW{1'b0}};
                cdy_x_reg <= cmd_flat_x ? {{(XW-16){1'b0}}, cmd_w} : {XW{1'b0}};
                cs_y_reg <= cmd_flat_y ? {{(XW-16){1'b0}}, wo_reg} : {XW{1'b0}};
                // loop rows / columns: pooled size (MP_FWD), windows incl. the odd edge (MP_BWD)
                ny_reg <= is_bwd ? cmd_h[15:1] + {15'd0, cmd_h[0]} : ho_reg;
                nx_reg <= is_bwd ? cmd_w[15:1] + {15'd0, cmd_w[0]} : wo_reg;
                // phases a vector: RD_PORTS = 1 MP_FWD 4, RELU_BWD 2; RD_PORTS = 2 MP_FWD 2 (a
                // window row each), RELU_BWD 1; MP_BWD 2 (dY and argmax read, an input row of
                // 2*LANES pixels written, in each)
                // fwd8 (RD_PORTS = 8, no argmax map): 1, both window rows at once
                last_ph_reg <= (is_relu || fwd8) ? ((RD2 || fwd8) ? 2'd0 : 2'd1) :
                               ((is_fwd && RD2) || is_bwd) ? 2'd1 : 2'd3;
            end
        end
        3'd2: begin
            plane_y_reg <= cmd_flat_y ? (hw_y_reg + BANKS_M1_32) >> LOG_B :
                           {16'd0, ho_reg} * {16'd0, rw_y_reg};
            rs_y_reg <= cmd_flat_y ? {FM_AW{1'b0}} : fm_w16(rw_y_reg);
            size_x_reg <= {16'd0, plane_x_reg} * {32'd0, cmd_c};
            xd_reg <= cmd_a_base[FM_AW-1:0] - cmd_x_base[FM_AW-1:0];
            xl0_reg <= wide4 ? (nx_reg - 16'd1) >> (LOG_L + 1) : (nx_reg - 16'd1) >> LOG_L;
            yl0_reg <= ny_reg - 16'd1;
        end
        3'd3: begin
            size_y_reg <= {16'd0, plane_y_reg} * {32'd0, cmd_c};
            xd1_reg <= xd_reg + rdy_x_reg;
            lx0_reg <= (xl0_reg == 16'd0);
            ly0_reg <= (yl0_reg == 16'd0);
        end
        3'd4: begin
            x_end_reg <= x_end;
            y_end_reg <= y_end;
            a_end_reg <= a_end;
        end
        3'd5: begin
            bad_buf_reg <= bad_buf;
        end
        default: begin
            if (bad_buf_reg) begin
                state_reg <= S_IDLE;    // done: the status answers
            end else begin
                g_valid <= 1'b1;
                g_ph <= 2'd0;
                g_c <= 16'd0;
                g_y <= 16'd0;
                g_x0 <= 16'd0;
                g_x1 <= LANES_32[15:0];
                xl_reg <= xl0_reg;
                lx_reg <= lx0_reg;
                yl_reg <= yl0_reg;
                ly_reg <= ly0_reg;
                cl_reg <= cmd_c - 16'd1;
                lc_reg <= (cmd_c == 16'd1);
                g_row_x <= cmd_x_base[FM_AW-1:0];
                g_row_y <= cmd_y_base[FM_AW-1:0];
                g_row_a <= cmd_a_base[FM_AW-1:0];
                g_cx <= {XW{1'b0}};
                g_cx1 <= cdy_x_reg;
                g_cy <= {XW{1'b0}};
                g_cb_x <= cmd_x_base[FM_AW-1:0];
                g_cb_y <= cmd_y_base[FM_AW-1:0];
                g_cb_a <= cmd_a_base[FM_AW-1:0];
                state_reg <= S_RUN;
            end
        end
        endcase
    end
    S_RUN: begin
        if (!g_last_ph) begin
            g_ph <= g_ph + 1'b1;
        end else begin
            g_ph <= 2'd0;
            if (!g_last_x) begin
                g_x0 <= g_x0_next[15:0];
                g_x1 <= g_x1 + x_step;
                xl_reg <= xl_reg - 16'd1;
                lx_reg <= (xl_reg == 16'd1);
            end else begin
                g_x0 <= 16'd0;
                g_x1 <= LANES_32[15:0];
                xl_reg <= xl0_reg;
                lx_reg <= lx0_reg;
                if (!g_last_y) begin
                    g_y <= g_y + 1'b1;
                    yl_reg <= yl_reg - 16'd1;
                    ly_reg <= (yl_reg == 16'd1);
                    g_row_x <= g_row_x + rs_x_reg;
                    g_row_y <= g_row_y + rs_y_reg;
                    g_row_a <= g_row_a + rs_y_reg;
                    g_cx <= g_cx + cs_x_reg;
                    g_cx1 <= g_cx1 + cs_x_reg;
                    g_cy <= g_cy + cs_y_reg;
                end else begin
                    g_y <= 16'd0;
                    yl_reg <= yl0_reg;
                    ly_reg <= ly0_reg;
                    g_c <= g_c + 1'b1;
                    cl_reg <= cl_reg - 16'd1;
                    lc_reg <= (cl_reg == 16'd1);
                    g_row_x <= g_cb_x + plane_x_reg[FM_AW-1:0];
                    g_row_y <= g_cb_y + plane_y_reg[FM_AW-1:0];
                    g_row_a <= g_cb_a + plane_y_reg[FM_AW-1:0];
                    g_cx <= {XW{1'b0}};
                    g_cx1 <= cdy_x_reg;
                    g_cy <= {XW{1'b0}};
                    g_cb_x <= g_cb_x + plane_x_reg[FM_AW-1:0];
                    g_cb_y <= g_cb_y + plane_y_reg[FM_AW-1:0];
                    g_cb_a <= g_cb_a + plane_y_reg[FM_AW-1:0];
                    if (g_last_c) begin
                        g_valid <= 1'b0;
                        state_reg <= S_DRAIN;
                    end
                end
            end
        end
    end
    S_DRAIN: begin
        if (!pipe_busy) begin
            state_reg <= S_IDLE;        // done
        end
    end
    default: begin
        // S_IDLE
        if (cmd_start) begin
            chk_step_reg <= 3'd0;
            state_reg <= S_CHECK;
        end
    end
    endcase

    if (rst) begin
        state_reg <= S_IDLE;
        g_valid <= 1'b0;
        p0_valid <= 1'b0;
        p1_valid <= 1'b0;
        p2_valid <= 1'b0;
        p3_valid <= 1'b0;
        p4_valid <= 1'b0;
    end
end

`undef ACCEL_DEFS_VH
endmodule

`resetall
