/*
 * LC unit: dense fully connected layer (the classifier). FWD y = requant(b + W x, shift)
 * (optional ReLU), BWD_DATA dx = requant(W^T dy, shift), WGRAD dW = sat32(round_shift(dy x^T,
 * shift)) and db = dy added into (gacc = 1) or written over (gacc = 0) the gradient memories, and
 * UPDATE (SGD: w <- sat16(w - round_shift(dW * lr_mult, lr_shift)), b likewise in 32 bits, then
 * the gradients are zeroed). Numerics as the UC unit (docs/numerics.md); model
 * verif.models.layers.linear_forward / linear_backward / sgd_update, conv.grad_accumulate.
 *
 * W is M x K (M outputs, K inputs), row-major at w_base of the weight memory; the gradient of a
 * weight lives at the same address of the gradient memory; bias and bias gradient of output m at
 * bias_base + m. Vectors x, y, dx, dy are maps (n, 1, 1) of the stack (docs/uc_unit.md). One MAC
 * per cycle; with WPORTS = 2 (an engine array: the second weight and bias read ports are copy 1's)
 * FWD and BWD_DATA run two MACs a cycle on two outputs at once ("pairs": FWD outputs m, m+1 of one
 * x[k], BWD_DATA outputs k, k+1 of one dy[m]) when the inner loop has at least 2 items (K >= 2 in
 * FWD, M >= 2 in BWD_DATA), so that a pair's two results, written a cycle apart, never meet the
 * next pair's; WGRAD and UPDATE stay at one item a cycle.
 *
 * Parameters:
 *   LANES     pixels per stack vector (power of two)
 *   CMAX      largest input count K
 *   NMAX      largest output count M
 *   FM_DEPTH  stack words per bank
 *   WDEPTH    weight / gradient memory depth
 *   BDEPTH    bias / bias-gradient memory depth
 *   WPORTS    weight and bias read ports: 1, or 2 (FWD / BWD_DATA pairs)
 *
 * Latency: 3 check cycles (fields; the buffer compares into a flag; the decision), then one item
 * per cycle (M*K, plus M bias items in UPDATE; pairs: ceil(M/2)*K in FWD, M*ceil(K/2) in
 * BWD_DATA; the pair's second write hides in the drain) and about 11 cycles of drain (the
 * 9-stage item pipeline: one multiply, or one wide add, shift or
 * compare, a stage). m_rsp_cycles counts accept to response.
 */

`resetall
`timescale 1ns / 1ps
`default_nettype none

module lc_unit #
(
`include "lc_params.vh"
)
(
`include "unit_cmd_ports.vh"

    // stack ports: A vector read (x in FWD / WGRAD, dy in BWD_DATA); B vector read (dy in WGRAD)
    // or masked write (y in FWD, dx in BWD_DATA)
`include "unit_stack_ports.vh"

    // response
`include "unit_rsp_ports.vh"

    // high from command accept until the response is taken (memories belong to the unit)
    output wire                     busy,

    // the second weight and bias read ports (WPORTS = 2: copy 1's; FWD / BWD_DATA pairs; idle
    // with WPORTS = 1)
    output wire                     wgt2_rd_en,
    output wire [WAW-1:0]           wgt2_rd_addr,
    input  wire [15:0]              wgt2_rd_data,
    output wire                     bias2_rd_en,
    output wire [BAW-1:0]           bias2_rd_addr,
    input  wire [31:0]              bias2_rd_data,

    // weight, weight-gradient, bias and bias-gradient memories
`include "unit_ram_ports.vh"
);

// ------------------------------------------------------------------------ derived widths
localparam FM_AW = $clog2(FM_DEPTH);
localparam WAW = $clog2(WDEPTH);
localparam BAW = $clog2(BDEPTH);

localparam [31:0] CMAX_32 = CMAX, NMAX_32 = NMAX;
localparam [31:0] FM_DEPTH_32 = FM_DEPTH, WDEPTH_32 = WDEPTH, BDEPTH_32 = BDEPTH;
localparam [47:0] FM_DEPTH_48 = {16'd0, FM_DEPTH_32}, WDEPTH_48 = {16'd0, WDEPTH_32},
                  BDEPTH_48 = {16'd0, BDEPTH_32};
// two outputs at once in FWD / BWD_DATA (the second weight and bias read ports)
localparam PAIRS = (WPORTS > 1);
// the generator's steps (an output or a pair of them) at each counter's width
localparam [15:0] N_ONE = 16'd1, N_TWO = 16'd2;
localparam [FM_AW-1:0] ROW_ONE = 1, ROW_TWO = 2;
localparam [WAW-1:0] WA_ONE = 1, WA_TWO = 2, WA_THREE = 3;
localparam [BAW-1:0] BA_TWO = 2;

localparam [2:0] MODE_FWD = 3'd0, MODE_BWD = 3'd1, MODE_WGRAD = 3'd2, MODE_UPDATE = 3'd3;

// the unit's own states (unit_ctl holds the command and the response)
localparam [1:0] S_IDLE = 2'd0, S_CHECK = 2'd1, S_RUN = 2'd2, S_DRAIN = 2'd3;

// status codes, XW, ACC_W and the fixed-point helpers (sat32, sat16, rnd66)
`include "accel_defs.vh"

// ------------------------------------------------------------------------------ control
reg [1:0]  state_reg;
reg [2:0]  chk_step_reg;

// the command/response shell (unit_ctl): cmd holds the command, done / done_status end it
localparam UNIT_CMD_W = LC_CMD_W;
`include "unit_ctl_inst.vh"
`include "lc_cmd_fields.vh"
reg [47:0] wsize_reg;             // M * K
reg        bad_buf_reg;           // the buffer compares, registered at check step 1
reg [15:0] cin_m1_reg, cout_m1_reg;   // K - 1, M - 1: the generator's last indices
reg [15:0] cin_m2_reg, cout_m2_reg;   // K - 2, M - 2: a pair's last first index (pairs)
reg        pair_reg;              // this command computes two outputs an item (PAIRS, FWD K >= 2,
                                  // BWD_DATA M >= 2)

wire is_fwd = (cmd_mode == MODE_FWD);
wire is_bwd = (cmd_mode == MODE_BWD);
wire is_wgrad = (cmd_mode == MODE_WGRAD);
wire is_update = (cmd_mode == MODE_UPDATE);

// buffer regions
wire [47:0] x_b = {16'd0, cmd_x_base};
wire [47:0] y_b = {16'd0, cmd_y_base};
wire [47:0] x_e = x_b + {32'd0, cmd_cin};
wire [47:0] y_e = y_b + {32'd0, cmd_cout};
wire [47:0] w_e = {16'd0, cmd_w_base} + wsize_reg;
wire [47:0] b_e = {16'd0, cmd_bias_base} + {32'd0, cmd_cout};
wire uses_stack = !is_update;
wire uses_bias = is_fwd || is_update || (is_wgrad && cmd_bgrad);
wire bad_buf = (uses_stack && (x_e > FM_DEPTH_48 || y_e > FM_DEPTH_48)) ||
               ((is_fwd || is_bwd) && !(x_e <= y_b || y_e <= x_b)) ||
               (w_e > WDEPTH_48) ||
               (uses_bias && b_e > BDEPTH_48);

// ---------------------------------------------------------------------- item generator
// FWD / WGRAD / UPDATE weights: m outer, k inner (weight address + 1 per item);
// BWD_DATA: k outer, m inner (weight address + K per item); UPDATE then M bias items.
reg        g_valid;
reg        g_isb;                 // UPDATE bias item
reg [15:0] g_m, g_k;
// 16-bit counts as addresses of the (possibly deeper than 2^16) memories: zero-extended
/* verilator lint_off UNUSEDSIGNAL */
/* verilator coverage_off */
wire [BAW+15:0] g_m_b = {{BAW{1'b0}}, g_m};
wire [WAW+15:0] cin_w = {{WAW{1'b0}}, cmd_cin};
/* verilator coverage_on */
/* verilator lint_on UNUSEDSIGNAL */
reg [WAW-1:0] g_wa, g_wcol;       // weight address; BWD_DATA: address of (0, k)
reg [WAW-1:0] g_wb;               // pairs: the second output's weight (FWD g_wa + K, BWD_DATA g_wa + 1)
reg [BAW-1:0] g_bb;               // pairs: the second output's bias address (FWD: bias_base + m + 1)
reg [WAW-1:0] cin_p1_reg;         // K + 1: FWD pairs, from the second output's last weight to the
                                  // next pair's second output's first
reg [WAW-1:0] wb_off_reg;         // the second output's weight offset: K (FWD), 1 (BWD_DATA)

// against registered last indices: one compare, no add, before the generator's registers (issue 16)
wire g_last_k = (g_k == cin_m1_reg);
wire g_last_m = (g_m == cout_m1_reg);
wire g_first = is_bwd ? (g_m == 16'd0) : (g_k == 16'd0);
wire g_last = is_bwd ? g_last_m : g_last_k;
// pairs: the pair's second output exists (not past the last), and the pair ends the loop
wire g_hi = is_bwd ? !g_last_k : !g_last_m;
wire g_end_k = g_last_k || (pair_reg && g_k == cin_m2_reg);
wire g_end_m = g_last_m || (pair_reg && g_m == cout_m2_reg);

wire [FM_AW-1:0] x_row0 = cmd_x_base[FM_AW-1:0];
wire [FM_AW-1:0] y_row0 = cmd_y_base[FM_AW-1:0];
// the stack rows of x (x_base + k) and y (y_base + m), kept beside g_k / g_m: the stack request
// is a register and a select, not an add (issue 16)
reg  [FM_AW-1:0] xk_row, ym_row;
wire [BAW-1:0] b_addr0 = cmd_bias_base[BAW-1:0];

wire issue = g_valid && state_reg == S_RUN;

// whole stack words: column 0, stride 1
wire [FM_AW-1:0] fma_row = is_bwd ? ym_row : xk_row;
assign m_fma_req = {issue && !is_update, 1'b0, fma_row, {XW{1'b0}}};

assign wgt_rd_en = issue && (is_fwd || is_bwd || (is_update && !g_isb));
assign wgt_rd_addr = g_wa;
assign grad_rd_en = issue && (is_wgrad || (is_update && !g_isb));
assign grad_rd_addr = g_wa;
assign bias_rd_en = issue && ((is_fwd && g_k == 16'd0) || (is_update && g_isb));
assign bias_rd_addr = b_addr0 + g_m_b[BAW-1:0];
assign bgrad_rd_en = issue && ((is_wgrad && cmd_bgrad && g_k == 16'd0) || (is_update && g_isb));
assign bgrad_rd_addr = b_addr0 + g_m_b[BAW-1:0];
// the second output's weight and (FWD) bias: pair_reg is set in FWD and BWD_DATA only
assign wgt2_rd_en = issue && pair_reg && g_hi;
assign wgt2_rd_addr = g_wb;
assign bias2_rd_en = issue && pair_reg && is_fwd && g_hi && g_k == 16'd0;
assign bias2_rd_addr = g_bb;

// ----------------------------------------------------------------------------- pipeline
// I (issue) -> P1 (memory read data registered) -> P2 (stack data arrives) -> P3 operands
// registered -> P4 product -> P5 accumulate / rounding add -> P6 shift (WGRAD / UPDATE) or the
// requantization's rounding add (FWD / BWD_DATA, at an output's last item) -> P7 saturate /
// subtract or the requantization shift -> P8 sums, or the FWD / BWD_DATA result written (o_*)
// -> P9 saturations -> W: WGRAD / UPDATE memory writes. One multiply, or one wide add, shift
// or compare, a stage. Every address is read and written once a command, and a command's
// response waits for the pipeline to drain, so the depth changes no result.
localparam NP = 9;                // stages P1..P9 (valid bit k-1 = stage Pk)
reg [NP:1] pv;                    // stage valid
// an item's flags and addresses a stage (bit / field k-1 = stage Pk; not every stage reads them)
/* verilator lint_off UNUSEDSIGNAL */
reg [NP:1] pfirst, plast, pisb, pbg;
reg [NP:1] phi;                   // pairs: the item's second output exists
reg [NP*FM_AW-1:0] prow;          // FWD / BWD_DATA result row (y_row0 + m, x_row0 + k)
reg [NP*BAW-1:0]   pba;           // bias / bias-gradient address
reg [NP*WAW-1:0]   pwa;           // weight / gradient address
/* verilator lint_on UNUSEDSIGNAL */
// memory data of the P2 item (registered at P1)
reg signed [15:0] w_d;
reg signed [31:0] g_d, b_d, bg_d;
reg signed [ACC_W-1:0] acc_reg;
reg        o_valid;
reg [FM_AW-1:0] o_row;
reg [15:0] o_val;
// pairs: the second output's memory data, operand, product, accumulator, requantization and its
// result, written the cycle after the first's (o1_*)
reg signed [15:0] w_d1, y3_1;
reg signed [31:0] b_d1, base3_1, base4_1, pr4_1;
reg signed [ACC_W-1:0] acc1_reg;
reg signed [ACC_W:0] fr6_1, fs7_1;
reg        o1_pend, o1_ok;
reg [FM_AW-1:0] o1_row;
reg [15:0] o1_val;

// rounding constants 2^(sh-1) (0 for sh = 0) of the command's shifts, set at S_CHECK
reg signed [65:0] rnd_sh_reg, rnd_lr_reg, rnd_lrb_reg;

// stack data of the P2 item
wire signed [15:0] sa = fma_rdata[15:0];
wire signed [15:0] sb = fmb_rdata[15:0];

// P3: operands. 16x16 product: w * x (FWD / BWD_DATA) or dy * x (WGRAD); 32x16 product:
// g * lr (UPDATE weight item) or bg * lr_b (UPDATE bias item); the value a result is subtracted
// from (UPDATE: w or b) or FWD's bias; WGRAD's gradient and bias-gradient sum (dy + bg, gacc)
reg signed [15:0] x3, y3;
reg signed [31:0] ug3, base3;
reg [15:0]        ulr3;
reg signed [65:0] db3;
// P4: products
reg signed [31:0] pr4;
reg signed [65:0] up4;
reg signed [31:0] base4, g4;
reg signed [65:0] db4;
// P5: accumulator (acc_reg) / rounding add; P6: shift or requantization add; P7: ...
reg signed [65:0] r5, s6, d7, gs8;
reg signed [31:0] g5, g6, g7, base5, base6;
reg signed [65:0] db5, db6, db7, db8;
reg [31:0]        dw7, uo8, wo9, db9;
reg signed [ACC_W:0] fr6, fs7;

wire st_acc = is_fwd || is_bwd;

// FWD / BWD_DATA accumulate at P4 -> P5
wire signed [ACC_W-1:0] acc_init = is_fwd ? {{(ACC_W-32){base4[31]}}, base4} : {ACC_W{1'b0}};
wire signed [ACC_W-1:0] acc_next = (pfirst[4] ? acc_init : acc_reg) + {{(ACC_W-32){pr4[31]}}, pr4};
wire signed [ACC_W-1:0] acc1_init = is_fwd ? {{(ACC_W-32){base4_1[31]}}, base4_1} : {ACC_W{1'b0}};
wire signed [ACC_W-1:0] acc1_next = (pfirst[4] ? acc1_init : acc1_reg) + {{(ACC_W-32){pr4_1[31]}}, pr4_1};

// shift of the P5 -> P6 stage: WGRAD dW shift; UPDATE lr_shift (weights) or lr_shift_b (bias)
wire [5:0] sh5 = is_wgrad ? {1'b0, cmd_shift[4:0]} : (pisb[5] ? cmd_lr_shift_b : cmd_lr_shift);
// requantization of an output (FWD / BWD_DATA): sat16(round_shift(acc, shift)), ReLU in FWD
wire [15:0] fq7 = sat16({{(65-ACC_W){fs7[ACC_W]}}, fs7});
wire [15:0] fq7_1 = sat16({{(65-ACC_W){fs7_1[ACC_W]}}, fs7_1});
// an output's last item at P7: its result is written at P8 (o_*), a pair's second at P9
wire o_last7 = pv[7] && plast[7] && st_acc;

wire pw_wg = pv[NP] && is_wgrad;
wire pw_up = pv[NP] && is_update;

assign grad_wr_en = pw_wg || (pw_up && !pisb[NP]);
assign grad_wr_addr = pwa[(NP-1)*WAW +: WAW];
assign grad_wr_data = is_wgrad ? wo9 : 32'd0;
assign bgrad_wr_en = (pw_wg && pbg[NP]) || (pw_up && pisb[NP]);
assign bgrad_wr_addr = pba[(NP-1)*BAW +: BAW];
assign bgrad_wr_data = is_wgrad ? db9 : 32'd0;
assign wgt_wr_en = pw_up && !pisb[NP];
assign wgt_wr_addr = pwa[(NP-1)*WAW +: WAW];
assign wgt_wr_data = wo9[15:0];
assign bias_wr_en = pw_up && pisb[NP];
assign bias_wr_addr = pba[(NP-1)*BAW +: BAW];
assign bias_wr_data = wo9;

// port B: WGRAD reads dy[m] with the item; FWD / BWD_DATA write the result of an output
// reads dY (WGRAD) or writes lane 0 of a whole word: column 0, stride 1
wire [FM_AW-1:0] fmb_row = o_valid ? o_row : ym_row;
// (the constant lanes in the request itself, no wire of constants: toggle coverage)
assign m_fmb_req = {(issue && is_wgrad) || o_valid, o_valid, 1'b0, fmb_row, {XW{1'b0}},
                    {(2*LANES*16-16){1'b0}}, o_val, {(2*LANES-1){1'b0}}, 1'b1};

wire pipe_busy = g_valid | (|pv) | o_valid | o1_pend;

// ------------------------------------------------------------------ command / response
// done: a rejected command at check step 1 (mode, shape: compared at step 0, registered) or 2
// (buffers), or the pipeline drained
reg  bad_mode_reg, bad_shape_reg;
wire bad_mode = (cmd_mode > MODE_UPDATE);
wire bad_shape = cmd_cin == 16'd0 || {16'd0, cmd_cin} > CMAX_32 ||
                 cmd_cout == 16'd0 || {16'd0, cmd_cout} > NMAX_32 ||
                 (!is_update && cmd_shift > 8'd31);
assign done = (state_reg == S_CHECK && chk_step_reg == 3'd1 && (bad_mode_reg || bad_shape_reg)) ||
              (state_reg == S_CHECK && chk_step_reg == 3'd2 && bad_buf_reg) ||
              (state_reg == S_DRAIN && !pipe_busy);
assign done_status = (state_reg == S_DRAIN) ? ST_OK : (chk_step_reg != 3'd1) ? ST_BAD_BUFFER :
                     bad_mode_reg ? ST_BAD_MODE : ST_BAD_SHAPE;

always @(posedge clk) begin
    // -------- pipeline
    pv <= {pv[NP-1:1], issue};
    pfirst <= {pfirst[NP-1:1], g_first};
    plast <= {plast[NP-1:1], g_last};
    pisb <= {pisb[NP-1:1], g_isb};
    pbg <= {pbg[NP-1:1], cmd_bgrad && g_k == 16'd0};
    phi <= {phi[NP-1:1], pair_reg && g_hi};
    prow <= {prow[(NP-1)*FM_AW-1:0], is_fwd ? ym_row : xk_row};
    pba <= {pba[(NP-1)*BAW-1:0], b_addr0 + g_m_b[BAW-1:0]};
    pwa <= {pwa[(NP-1)*WAW-1:0], g_wa};
    // P1 -> P2: memory read data
    w_d <= wgt_rd_data;
    g_d <= grad_rd_data;
    b_d <= bias_rd_data;
    bg_d <= bgrad_rd_data;
    w_d1 <= wgt2_rd_data;
    b_d1 <= bias2_rd_data;
    // P2 -> P3: operands
    x3 <= sa;
    y3 <= is_wgrad ? sb : w_d;
    ug3 <= pisb[2] ? bg_d : g_d;
    ulr3 <= pisb[2] ? cmd_lr_mult_b : cmd_lr_mult;
    base3 <= (pisb[2] || is_fwd) ? b_d : {{16{w_d[15]}}, w_d};
    db3 <= cmd_gacc ? {{34{bg_d[31]}}, bg_d} + {{50{sb[15]}}, sb} : {{50{sb[15]}}, sb};
    y3_1 <= w_d1;
    base3_1 <= b_d1;
    // P3 -> P4: products
    pr4 <= x3 * y3;
    up4 <= {{34{ug3[31]}}, ug3} * $signed({50'd0, ulr3});
    base4 <= base3;
    g4 <= ug3;
    db4 <= db3;
    pr4_1 <= x3 * y3_1;
    base4_1 <= base3_1;
    // P4 -> P5: accumulate (FWD / BWD_DATA) or the rounding add (WGRAD / UPDATE)
    if (pv[4] && st_acc) begin
        acc_reg <= acc_next;
        acc1_reg <= acc1_next;
    end
    r5 <= (is_wgrad ? {{34{pr4[31]}}, pr4} : up4) +
          (is_wgrad ? rnd_sh_reg : (pisb[4] ? rnd_lrb_reg : rnd_lr_reg));
    g5 <= g4;
    base5 <= base4;
    db5 <= db4;
    // P5 -> P6: the shift; FWD / BWD_DATA: the requantization's rounding add on a finished sum
    s6 <= r5 >>> sh5;
    fr6 <= {acc_reg[ACC_W-1], acc_reg} + rnd_sh_reg[ACC_W:0];
    fr6_1 <= {acc1_reg[ACC_W-1], acc1_reg} + rnd_sh_reg[ACC_W:0];
    g6 <= g5;
    base6 <= base5;
    db6 <= db5;
    // P6 -> P7: WGRAD dW saturated, UPDATE the difference; the requantization shift
    dw7 <= sat32(s6);
    d7 <= {{34{base6[31]}}, base6} - s6;
    fs7 <= fr6 >>> cmd_shift[4:0];
    fs7_1 <= fr6_1 >>> cmd_shift[4:0];
    g7 <= g6;
    db7 <= db6;
    // P7 -> P8: the FWD / BWD_DATA result; WGRAD gradient sum (gacc); UPDATE saturated
    // the output register: an output's result, or a pair's second result a cycle later
    // (assertion o1_meets: no output ends in that cycle)
    o_valid <= o_last7 || (o1_pend && o1_ok);
    o_row <= o1_pend ? o1_row : prow[6*FM_AW +: FM_AW];
    o_val <= o1_pend ? o1_val : (cmd_relu && is_fwd && fq7[15]) ? 16'd0 : fq7;
    o1_pend <= o_last7 && pair_reg;
    o1_ok <= phi[7];
    o1_row <= prow[6*FM_AW +: FM_AW] + 1'b1;
    o1_val <= (cmd_relu && is_fwd && fq7_1[15]) ? 16'd0 : fq7_1;
    gs8 <= cmd_gacc ? {{34{g7[31]}}, g7} + {{34{dw7[31]}}, dw7} : {{34{dw7[31]}}, dw7};
    uo8 <= pisb[7] ? sat32(d7) : {16'd0, sat16(d7)};
    db8 <= db7;
    // P8 -> P9: write data
    wo9 <= is_wgrad ? sat32(gs8) : uo8;
    db9 <= sat32(db8);

    // -------- control (the command, its cycles and the response: unit_ctl)
    case (state_reg)
    S_CHECK: begin
        chk_step_reg <= chk_step_reg + 1'b1;
        case (chk_step_reg)
        3'd0: begin
            wsize_reg <= {32'd0, cmd_cout} * {32'd0, cmd_cin};
            rnd_sh_reg <= rnd66({1'b0, cmd_shift[4:0]});
            rnd_lr_reg <= rnd66(cmd_lr_shift);
            rnd_lrb_reg <= rnd66(cmd_lr_shift_b);
            bad_mode_reg <= bad_mode;
            bad_shape_reg <= bad_shape;
        end
        3'd1: begin
            if (bad_mode_reg || bad_shape_reg) begin
                state_reg <= S_IDLE;    // done: the status answers
            end else begin
                cin_m1_reg <= cmd_cin - 1'b1;   // K, M >= 1 now
                cout_m1_reg <= cmd_cout - 1'b1;
                cin_m2_reg <= cmd_cin - N_TWO;
                cout_m2_reg <= cmd_cout - N_TWO;
                cin_p1_reg <= cin_w[WAW-1:0] + 1'b1;
                wb_off_reg <= is_bwd ? WA_ONE : cin_w[WAW-1:0];
                pair_reg <= PAIRS && ((is_fwd && cmd_cin > 16'd1) || (is_bwd && cmd_cout > 16'd1));
            end
            // the region ends and their compares in one stage, decided in the next (issue 16)
            bad_buf_reg <= bad_buf;
        end
        default: begin
            if (bad_buf_reg) begin
                state_reg <= S_IDLE;    // done: the status answers
            end else begin
                g_valid <= 1'b1;
                g_isb <= 1'b0;
                g_m <= 16'd0;
                ym_row <= y_row0;
                g_k <= 16'd0;
                xk_row <= x_row0;
                g_wa <= cmd_w_base[WAW-1:0];
                g_wcol <= cmd_w_base[WAW-1:0];
                g_wb <= cmd_w_base[WAW-1:0] + wb_off_reg;
                g_bb <= b_addr0 + 1'b1;
                state_reg <= S_RUN;
            end
        end
        endcase
    end
    S_RUN: begin
        if (is_bwd) begin
            if (!g_last_m) begin
                g_m <= g_m + 1'b1;
                ym_row <= ym_row + 1'b1;
                g_wa <= g_wa + cin_w[WAW-1:0];
                g_wb <= g_wb + cin_w[WAW-1:0];
            end else begin
                // the next input (pairs: the next two)
                g_m <= 16'd0;
                ym_row <= y_row0;
                g_k <= g_k + (pair_reg ? N_TWO : N_ONE);
                xk_row <= xk_row + (pair_reg ? ROW_TWO : ROW_ONE);
                g_wa <= g_wcol + (pair_reg ? WA_TWO : WA_ONE);
                g_wcol <= g_wcol + (pair_reg ? WA_TWO : WA_ONE);
                g_wb <= g_wcol + WA_THREE;
                if (g_end_k) begin
                    g_valid <= 1'b0;
                    state_reg <= S_DRAIN;
                end
            end
        end else if (g_isb) begin
            // UPDATE bias items
            g_m <= g_m + 1'b1;
            ym_row <= ym_row + 1'b1;
            if (g_last_m) begin
                g_valid <= 1'b0;
                state_reg <= S_DRAIN;
            end
        end else begin
            g_wa <= g_wa + 1'b1;
            g_wb <= g_wb + 1'b1;
            if (!g_last_k) begin
                g_k <= g_k + 1'b1;
                xk_row <= xk_row + 1'b1;
            end else begin
                // the next output (pairs: the next two, whose first weight follows the second's row)
                g_k <= 16'd0;
                xk_row <= x_row0;
                g_m <= g_m + (pair_reg ? N_TWO : N_ONE);
                ym_row <= ym_row + (pair_reg ? ROW_TWO : ROW_ONE);
                g_bb <= g_bb + BA_TWO;
                if (pair_reg) begin
                    g_wa <= g_wb + 1'b1;
                    g_wb <= g_wb + cin_p1_reg;
                end
                if (g_end_m) begin
                    if (is_update) begin
                        g_m <= 16'd0;
                        ym_row <= y_row0;
                        g_isb <= 1'b1;
                    end else begin
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
        pv <= {NP{1'b0}};
        o_valid <= 1'b0;
        o1_pend <= 1'b0;
    end
end

`ifdef ACCEL_ASSERTS
// verilator coverage_off
// pairs: a pair's second result is written the cycle after the first, when no output ends (the
// inner loop has at least 2 items); the second ports only in pairs
always @(posedge clk) begin
    if (!rst) begin
        assert (!(o1_pend && o_last7)) else $error("lc_unit: o1_meets: an output ends while a pair's second result is written");
        assert (!(wgt2_rd_en || bias2_rd_en) || PAIRS) else $error("lc_unit: port2_idle: a second-port read with WPORTS = 1");
    end
end
// verilator coverage_on
`endif

`undef ACCEL_DEFS_VH
endmodule

`resetall
