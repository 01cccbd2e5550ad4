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
 * per cycle.
 *
 * Parameters:
 *   LANES     pixels per stack vector (power of two)
 *   CMAX      largest input count K
 *   NMAX      largest output count M
 *   FM_DEPTH  stack words per bank
 *   WDEPTH    weight / gradient memory depth
 *   BDEPTH    bias / bias-gradient memory depth
 *
 * Latency: 2 check cycles, then one item per cycle (M*K, plus M bias items in UPDATE) and about
 * 4 cycles of drain. m_rsp_cycles counts accept to response.
 */

`resetall
`timescale 1ns / 1ps
`default_nettype none

module lc_unit #
(
    // pixels per stack vector (power of two)
    parameter LANES = 8,
    // largest input count K
    parameter CMAX = 256,
    // largest output count M
    parameter NMAX = 256,
    // stack words per bank
    parameter FM_DEPTH = 4096,
    // weight / gradient memory depth
    parameter WDEPTH = 65536,
    // bias / bias-gradient memory depth
    parameter BDEPTH = 1024
)
(
    input  wire                     clk,
    input  wire                     rst,

    // command
    input  wire                     s_cmd_valid,
    output wire                     s_cmd_ready,
    input  wire [2:0]               s_cmd_mode,
    input  wire [15:0]              s_cmd_cin,
    input  wire [15:0]              s_cmd_cout,
    input  wire [7:0]               s_cmd_shift,
    input  wire                     s_cmd_relu,
    input  wire                     s_cmd_bgrad,
    input  wire                     s_cmd_gacc,
    input  wire [31:0]              s_cmd_x_base,
    input  wire [31:0]              s_cmd_y_base,
    input  wire [31:0]              s_cmd_w_base,
    input  wire [31:0]              s_cmd_bias_base,
    input  wire [15:0]              s_cmd_lr_mult,
    input  wire [5:0]               s_cmd_lr_shift,
    input  wire [15:0]              s_cmd_lr_mult_b,
    input  wire [5:0]               s_cmd_lr_shift_b,

    // response
    output wire                     m_rsp_valid,
    input  wire                     m_rsp_ready,
    output wire [3:0]               m_rsp_status,
    output wire [31:0]              m_rsp_cycles,

    // high from command accept until the response is taken (memories belong to the unit)
    output wire                     busy,

    // stack port A: vector read (x in FWD / WGRAD, dy in BWD_DATA)
    /* verilator coverage_off */
    output wire [FMA_REQ_W-1:0]     m_fma_req,      // FMA_REQ (accel_defs.vh)
    /* verilator coverage_on */
    /* verilator lint_off UNUSEDSIGNAL */
    input  wire [LANES*16-1:0]      fma_rdata,
    /* verilator lint_on UNUSEDSIGNAL */

    // stack port B: vector read (dy in WGRAD) or masked write (y in FWD, dx in BWD_DATA)
    /* verilator coverage_off */
    output wire [FMB_REQ_W-1:0]     m_fmb_req,      // FMB_REQ (accel_defs.vh)
    /* verilator coverage_on */
    /* verilator lint_off UNUSEDSIGNAL */
    input  wire [LANES*16-1:0]      fmb_rdata,
    /* verilator lint_on UNUSEDSIGNAL */

    // weight memory
    output wire                     wgt_rd_en,
    output wire [WAW-1:0]           wgt_rd_addr,
    input  wire [15:0]              wgt_rd_data,
    output wire                     wgt_wr_en,
    output wire [WAW-1:0]           wgt_wr_addr,
    output wire [15:0]              wgt_wr_data,

    // weight-gradient memory
    output wire                     grad_rd_en,
    output wire [WAW-1:0]           grad_rd_addr,
    input  wire [31:0]              grad_rd_data,
    output wire                     grad_wr_en,
    output wire [WAW-1:0]           grad_wr_addr,
    output wire [31:0]              grad_wr_data,

    // bias and bias-gradient memories
    output wire                     bias_rd_en,
    output wire [BAW-1:0]           bias_rd_addr,
    input  wire [31:0]              bias_rd_data,
    output wire                     bias_wr_en,
    output wire [BAW-1:0]           bias_wr_addr,
    output wire [31:0]              bias_wr_data,
    output wire                     bgrad_rd_en,
    output wire [BAW-1:0]           bgrad_rd_addr,
    input  wire [31:0]              bgrad_rd_data,
    output wire                     bgrad_wr_en,
    output wire [BAW-1:0]           bgrad_wr_addr,
    output wire [31:0]              bgrad_wr_data
);

// ------------------------------------------------------------------------ derived widths
localparam FM_AW = $clog2(FM_DEPTH);
localparam WAW = $clog2(WDEPTH);
localparam BAW = $clog2(BDEPTH);

localparam [31:0] CMAX_32 = CMAX, NMAX_32 = NMAX;
localparam [31:0] FM_DEPTH_32 = FM_DEPTH, WDEPTH_32 = WDEPTH, BDEPTH_32 = BDEPTH;
localparam [47:0] FM_DEPTH_48 = {16'd0, FM_DEPTH_32}, WDEPTH_48 = {16'd0, WDEPTH_32},
                  BDEPTH_48 = {16'd0, BDEPTH_32};

localparam [2:0] MODE_FWD = 3'd0, MODE_BWD = 3'd1, MODE_WGRAD = 3'd2, MODE_UPDATE = 3'd3;

localparam [2:0] S_IDLE = 3'd0, S_CHECK = 3'd1, S_RUN = 3'd2, S_DRAIN = 3'd3, S_RESP = 3'd4;

// status codes, XW, ACC_W and the fixed-point helpers (requant16, sat32, sat16, rshift66)
`include "accel_defs.vh"

// ------------------------------------------------------------------------------ control
reg [2:0]  state_reg;
reg [3:0]  status_reg;
reg [31:0] cycles_reg;
reg [2:0]  chk_step_reg;

reg [2:0]  mode_reg;
reg [15:0] k_reg, m_reg;
reg [7:0]  shift_reg;
reg        relu_reg, bgrad_reg, gacc_reg;
reg [31:0] x_base_reg, y_base_reg, w_base_reg, bias_base_reg;
reg [15:0] lr_mult_reg, lr_mult_b_reg;
reg [5:0]  lr_shift_reg, lr_shift_b_reg;
reg [47:0] wsize_reg;             // M * K

wire is_fwd = (mode_reg == MODE_FWD);
wire is_bwd = (mode_reg == MODE_BWD);
wire is_wgrad = (mode_reg == MODE_WGRAD);
wire is_update = (mode_reg == MODE_UPDATE);

assign s_cmd_ready = (state_reg == S_IDLE);
assign m_rsp_valid = (state_reg == S_RESP);
assign m_rsp_status = status_reg;
assign m_rsp_cycles = cycles_reg;
assign busy = (state_reg != S_IDLE);

// buffer regions
wire [47:0] x_b = {16'd0, x_base_reg};
wire [47:0] y_b = {16'd0, y_base_reg};
wire [47:0] x_e = x_b + {32'd0, k_reg};
wire [47:0] y_e = y_b + {32'd0, m_reg};
wire [47:0] w_e = {16'd0, w_base_reg} + wsize_reg;
wire [47:0] b_e = {16'd0, bias_base_reg} + {32'd0, m_reg};
wire uses_stack = !is_update;
wire uses_bias = is_fwd || is_update || (is_wgrad && bgrad_reg);
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
reg [WAW-1:0] g_wa, g_wcol;       // weight address; BWD_DATA: address of (0, k)

wire g_last_k = (g_k + 1'b1 == k_reg);
wire g_last_m = (g_m + 1'b1 == m_reg);
wire g_first = is_bwd ? (g_m == 16'd0) : (g_k == 16'd0);
wire g_last = is_bwd ? g_last_m : g_last_k;

wire [FM_AW-1:0] x_row0 = x_base_reg[FM_AW-1:0];
wire [FM_AW-1:0] y_row0 = y_base_reg[FM_AW-1:0];
wire [BAW-1:0] b_addr0 = bias_base_reg[BAW-1:0];

wire issue = g_valid && state_reg == S_RUN;

// whole stack words: column 0, stride 1
wire [FM_AW-1:0] fma_row = is_bwd ? y_row0 + g_m[FM_AW-1:0] : x_row0 + g_k[FM_AW-1:0];
assign m_fma_req = {issue && !is_update, 1'b0, fma_row, {XW{1'b0}}};

assign wgt_rd_en = issue && (is_fwd || is_bwd || (is_update && !g_isb));
assign wgt_rd_addr = g_wa;
assign grad_rd_en = issue && (is_wgrad || (is_update && !g_isb));
assign grad_rd_addr = g_wa;
assign bias_rd_en = issue && ((is_fwd && g_k == 16'd0) || (is_update && g_isb));
assign bias_rd_addr = b_addr0 + g_m[BAW-1:0];
assign bgrad_rd_en = issue && ((is_wgrad && bgrad_reg && g_k == 16'd0) || (is_update && g_isb));
assign bgrad_rd_addr = b_addr0 + g_m[BAW-1:0];

// ----------------------------------------------------------------------------- pipeline
reg        p1_valid, p2_valid;
reg        p1_first, p2_first, p1_last, p2_last, p1_isb, p2_isb, p1_bg, p2_bg;
// (only the bits of a row / bias address offset are used at p2)
/* verilator lint_off UNUSEDSIGNAL */
reg [15:0] p1_m, p2_m, p1_k, p2_k;
/* verilator lint_on UNUSEDSIGNAL */
reg [WAW-1:0] p1_wa, p2_wa;
// memory data of the p2 item (registered at p1)
reg signed [15:0] w_d;
reg signed [31:0] g_d, b_d, bg_d;
reg signed [ACC_W-1:0] acc_reg;
reg        o_valid;
reg [FM_AW-1:0] o_row;
reg [15:0] o_val;

// stack data of the p2 item
wire signed [15:0] sa = fma_rdata[15:0];
wire signed [15:0] sb = fmb_rdata[15:0];

// FWD / BWD_DATA MAC
wire signed [31:0] mac_prod = w_d * sa;
wire signed [ACC_W-1:0] acc_init = is_fwd ? {{(ACC_W-32){b_d[31]}}, b_d} : {ACC_W{1'b0}};
wire signed [ACC_W-1:0] acc_next = (p2_first ? acc_init : acc_reg) +
                                   {{(ACC_W-32){mac_prod[31]}}, mac_prod};

// WGRAD: dW = sat32(round_shift(dy * x, shift)); gradient memories add (gacc) or overwrite
wire signed [31:0] wg_prod = sb * sa;
wire [31:0] wg_dw = sat32(rshift66({{34{wg_prod[31]}}, wg_prod}, {1'b0, shift_reg[4:0]}));
wire signed [65:0] wg_dw66 = {{34{wg_dw[31]}}, wg_dw};
wire [31:0] wg_g = gacc_reg ? sat32({{34{g_d[31]}}, g_d} + wg_dw66) : wg_dw;
wire [31:0] wg_db = gacc_reg ? sat32({{34{bg_d[31]}}, bg_d} + {{50{sb[15]}}, sb}) : {{16{sb[15]}}, sb};

// UPDATE: w - round_shift(g * lr, lr_shift), saturated
wire signed [65:0] up_prod = {{34{g_d[31]}}, g_d} * $signed({50'd0, lr_mult_reg});
wire signed [65:0] up_prod_b = {{34{bg_d[31]}}, bg_d} * $signed({50'd0, lr_mult_b_reg});
wire [15:0] up_w = sat16({{50{w_d[15]}}, w_d} - rshift66(up_prod, lr_shift_reg));
wire [31:0] up_b = sat32({{34{b_d[31]}}, b_d} - rshift66(up_prod_b, lr_shift_b_reg));

wire p2_wg = p2_valid && is_wgrad;
wire p2_up = p2_valid && is_update;

assign grad_wr_en = p2_wg || (p2_up && !p2_isb);
assign grad_wr_addr = p2_wa;
assign grad_wr_data = is_wgrad ? wg_g : 32'd0;
assign bgrad_wr_en = (p2_wg && p2_bg) || (p2_up && p2_isb);
assign bgrad_wr_addr = b_addr0 + p2_m[BAW-1:0];
assign bgrad_wr_data = is_wgrad ? wg_db : 32'd0;
assign wgt_wr_en = p2_up && !p2_isb;
assign wgt_wr_addr = p2_wa;
assign wgt_wr_data = up_w;
assign bias_wr_en = p2_up && p2_isb;
assign bias_wr_addr = b_addr0 + p2_m[BAW-1:0];
assign bias_wr_data = up_b;

// port B: WGRAD reads dy[m] with the item; FWD / BWD_DATA write the result of an output
// reads dY (WGRAD) or writes lane 0 of a whole word: column 0, stride 1
wire [FM_AW-1:0] fmb_row = o_valid ? o_row : y_row0 + g_m[FM_AW-1:0];
wire [LANES*16-1:0] fmb_wdata = {{(LANES*16-16){1'b0}}, o_val};
wire [LANES-1:0] fmb_wmask = {{(LANES-1){1'b0}}, 1'b1};
assign m_fmb_req = {(issue && is_wgrad) || o_valid, o_valid, 1'b0, fmb_row, {XW{1'b0}}, fmb_wdata,
                    fmb_wmask};

wire pipe_busy = g_valid | p1_valid | p2_valid | o_valid;

always @(posedge clk) begin
    // -------- pipeline
    p1_valid <= issue;
    p2_valid <= p1_valid;
    p1_first <= g_first; p2_first <= p1_first;
    p1_last <= g_last; p2_last <= p1_last;
    p1_isb <= g_isb; p2_isb <= p1_isb;
    p1_bg <= bgrad_reg && g_k == 16'd0; p2_bg <= p1_bg;
    p1_m <= g_m; p2_m <= p1_m;
    p1_k <= g_k; p2_k <= p1_k;
    p1_wa <= g_wa; p2_wa <= p1_wa;
    w_d <= wgt_rd_data;
    g_d <= grad_rd_data;
    b_d <= bias_rd_data;
    bg_d <= bgrad_rd_data;
    if (p2_valid && (is_fwd || is_bwd)) begin
        acc_reg <= acc_next;
    end
    o_valid <= p2_valid && p2_last && (is_fwd || is_bwd);
    o_row <= is_fwd ? y_row0 + p2_m[FM_AW-1:0] : x_row0 + p2_k[FM_AW-1:0];
    o_val <= requant16(acc_next, shift_reg[4:0], relu_reg && is_fwd);

    // -------- control
    if (state_reg != S_IDLE && state_reg != S_RESP) begin
        cycles_reg <= cycles_reg + 1'b1;
    end

    case (state_reg)
    S_IDLE: begin
        if (s_cmd_valid) begin
            mode_reg <= s_cmd_mode;
            k_reg <= s_cmd_cin;
            m_reg <= s_cmd_cout;
            shift_reg <= s_cmd_shift;
            relu_reg <= s_cmd_relu;
            bgrad_reg <= s_cmd_bgrad;
            gacc_reg <= s_cmd_gacc;
            x_base_reg <= s_cmd_x_base;
            y_base_reg <= s_cmd_y_base;
            w_base_reg <= s_cmd_w_base;
            bias_base_reg <= s_cmd_bias_base;
            lr_mult_reg <= s_cmd_lr_mult;
            lr_shift_reg <= s_cmd_lr_shift;
            lr_mult_b_reg <= s_cmd_lr_mult_b;
            lr_shift_b_reg <= s_cmd_lr_shift_b;
            cycles_reg <= 32'd1;
            status_reg <= ST_OK;
            chk_step_reg <= 3'd0;
            state_reg <= S_CHECK;
        end
    end
    S_CHECK: begin
        chk_step_reg <= chk_step_reg + 1'b1;
        case (chk_step_reg)
        3'd0: begin
            wsize_reg <= {32'd0, m_reg} * {32'd0, k_reg};
            if (mode_reg > MODE_UPDATE) begin
                status_reg <= ST_BAD_MODE;
                state_reg <= S_RESP;
            end else if (k_reg == 16'd0 || {16'd0, k_reg} > CMAX_32 ||
                         m_reg == 16'd0 || {16'd0, m_reg} > NMAX_32 ||
                         (!is_update && shift_reg > 8'd31)) begin
                status_reg <= ST_BAD_SHAPE;
                state_reg <= S_RESP;
            end
        end
        default: begin
            if (bad_buf) begin
                status_reg <= ST_BAD_BUFFER;
                state_reg <= S_RESP;
            end else begin
                g_valid <= 1'b1;
                g_isb <= 1'b0;
                g_m <= 16'd0;
                g_k <= 16'd0;
                g_wa <= w_base_reg[WAW-1:0];
                g_wcol <= w_base_reg[WAW-1:0];
                state_reg <= S_RUN;
            end
        end
        endcase
    end
    S_RUN: begin
        if (is_bwd) begin
            if (!g_last_m) begin
                g_m <= g_m + 1'b1;
                g_wa <= g_wa + k_reg[WAW-1:0];
            end else begin
                g_m <= 16'd0;
                g_k <= g_k + 1'b1;
                g_wa <= g_wcol + 1'b1;
                g_wcol <= g_wcol + 1'b1;
                if (g_last_k) begin
                    g_valid <= 1'b0;
                    state_reg <= S_DRAIN;
                end
            end
        end else if (g_isb) begin
            // UPDATE bias items
            g_m <= g_m + 1'b1;
            if (g_last_m) begin
                g_valid <= 1'b0;
                state_reg <= S_DRAIN;
            end
        end else begin
            g_wa <= g_wa + 1'b1;
            if (!g_last_k) begin
                g_k <= g_k + 1'b1;
            end else begin
                g_k <= 16'd0;
                g_m <= g_m + 1'b1;
                if (g_last_m) begin
                    if (is_update) begin
                        g_m <= 16'd0;
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
            state_reg <= S_RESP;
        end
    end
    default: begin
        if (m_rsp_ready) begin
            state_reg <= S_IDLE;
        end
    end
    endcase

    if (rst) begin
        state_reg <= S_IDLE;
        status_reg <= ST_OK;
        cycles_reg <= 32'd0;
        g_valid <= 1'b0;
        p1_valid <= 1'b0;
        p2_valid <= 1'b0;
        o_valid <= 1'b0;
    end
end

`undef ACCEL_DEFS_VH
endmodule

`resetall
