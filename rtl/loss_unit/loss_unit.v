/*
 * Loss unit: softmax cross-entropy in fixed point. From K logits y (in_frac fraction bits) and a
 * label it writes the gradient softmax(y) - onehot(label) (grad_frac fraction bits) and answers
 * the predicted class (first index of the maximum) and the loss -ln p_label in Q8.
 *
 * Numerics (docs/numerics.md "Softmax cross-entropy", model verif.models.layers.softmax_xent_grad):
 * idx_i = min(round_shift(max - y_i, in_frac - 4), 255), e_i = EXP_LUT[idx_i], S = sum e_i,
 * one reciprocal r = floor(2^32 / S) (serial divider), p_i = (e_i r + 2^(31-gf)) >> (32-gf),
 * grad_i = sat16(p_i - [i = label] 2^gf); loss = ln S - 16 ln2 + idx_label / 16 with
 * ln S = msb(S) ln2 + LN_LUT[8 bits below the leading one]. The tables are ROMs generated from
 * the model (rtl/loss_unit/loss_luts.v).
 *
 * Logits and gradient are vectors (K, 1, 1) of the stack (docs/uc_unit.md): port A reads, port B
 * writes.
 *
 * Parameters:
 *   LANES     pixels per stack vector (power of two)
 *   KMAX      largest class count
 *   FM_DEPTH  stack words per bank
 *
 * Latency: 3 check cycles, three passes over the logits (max, sum, gradient) of K cycles plus
 * ~4 cycles of pipeline each, and the division (34 cycles): about 3K + 50 cycles.
 */

`resetall
`timescale 1ns / 1ps
`default_nettype none

module loss_unit #
(
`include "loss_params.vh"
)
(
    input  wire                     clk,
    input  wire                     rst,

    // command
    input  wire                     s_cmd_valid,
    output wire                     s_cmd_ready,
    input  wire [LOSS_CMD_W-1:0]    s_cmd_data,     // fields: LOSS_CMD_* (unit_cmd.vh)

    // stack ports: A vector read (logits); B masked vector write (gradient; never read here)
`include "unit_stack_ports.vh"

    // response
`include "unit_rsp_ports.vh"
    output wire [15:0]              m_rsp_pred,
    output wire [15:0]              m_rsp_loss,

    // high from command accept until the response is taken (the stack belongs to the unit)
    output wire                     busy
);

// ------------------------------------------------------------------------ derived widths
localparam FM_AW = $clog2(FM_DEPTH);
localparam K_W = $clog2(KMAX + 1);
// S = sum of K values <= 2^16
localparam S_W = 17 + K_W;
localparam MSB_W = $clog2(S_W);
// dividend 2^32
localparam N_W = 33;
localparam [31:0] LN2_Q16 = 32'd45426;

localparam [31:0] KMAX_32 = KMAX;
localparam [31:0] FM_DEPTH_32 = FM_DEPTH;
localparam [47:0] FM_DEPTH_48 = {16'd0, FM_DEPTH_32};

// status codes and XW
`include "accel_defs.vh"

localparam [3:0] S_IDLE = 4'd0, S_CHECK = 4'd1, S_PASS = 4'd2, S_WAIT = 4'd3, S_DIV = 4'd4,
                 S_RESP = 4'd5;

// passes over the logits
localparam [1:0] PS_MAX = 2'd0, PS_SUM = 2'd1, PS_GRAD = 2'd2;

// ------------------------------------------------------------------------------ control
reg [3:0]  state_reg;
reg [3:0]  status_reg;
reg [31:0] cycles_reg;
reg [1:0]  chk_step_reg;
reg [1:0]  pass_reg;

reg [15:0] k_reg, label_reg;
reg [3:0]  in_frac_reg, grad_frac_reg;
reg [31:0] y_base_reg, g_base_reg;

reg signed [15:0] max_reg;
reg [15:0] pred_reg;
reg [S_W-1:0] s_reg;
reg [7:0]  idx_label_reg;
reg [16:0] r_reg;
reg [MSB_W-1:0] msb_reg;
reg [7:0]  frac8_reg;
reg [15:0] loss_reg;

assign s_cmd_ready = (state_reg == S_IDLE);
assign m_rsp_valid = (state_reg == S_RESP);
assign m_rsp_status = status_reg;
assign m_rsp_cycles = cycles_reg;
assign m_rsp_pred = pred_reg;
assign m_rsp_loss = loss_reg;
assign busy = (state_reg != S_IDLE);

wire [47:0] y_b = {16'd0, y_base_reg};
wire [47:0] g_b = {16'd0, g_base_reg};
wire [47:0] y_e = y_b + {32'd0, k_reg};
wire [47:0] g_e = g_b + {32'd0, k_reg};

// ---------------------------------------------------------------------- item generator
reg        g_valid;
reg [15:0] g_i;
wire g_last = (g_i + 1'b1 == k_reg);

// whole stack words: column 0, stride 1
wire [FM_AW-1:0] fma_row = y_base_reg[FM_AW-1:0] + g_i[FM_AW-1:0];
assign m_fma_req = {g_valid, 1'b0, fma_row, {XW{1'b0}}};

// ----------------------------------------------------------------------------- pipeline
// p1: read in the RAM; p2: logit valid, table index; p3: table value; p4: gradient written
reg        p1_valid, p2_valid, p3_valid, p4_valid;
reg [15:0] p1_i, p2_i, p3_i;
reg [FM_AW-1:0] p4_row;
reg [15:0] p4_grad;

wire signed [15:0] logit = fma_rdata[15:0];

// table index of max - y in steps of 1/16
reg [7:0] idx;
reg [16:0] dmax;
reg [20:0] t21;
reg [3:0]  sh;
always @* begin
    // max >= y, so the 17-bit difference of the sign-extended values is 0..65535
    dmax = {max_reg[15], max_reg} - {logit[15], logit};
    t21 = 21'd0;
    sh = 4'd0;
    if (in_frac_reg >= 4'd4) begin
        sh = in_frac_reg - 4'd4;
        if (sh == 4'd0) begin
            t21 = {4'd0, dmax};
        end else begin
            t21 = ({4'd0, dmax} + (21'd1 << (sh - 4'd1))) >> sh;
        end
    end else begin
        sh = 4'd4 - in_frac_reg;
        t21 = {4'd0, dmax} << sh;
    end
    idx = (t21 > 21'd255) ? 8'd255 : t21[7:0];
end

wire [16:0] exp_q;
wire [15:0] ln_q;

loss_luts u_luts (
    .clk(clk), .exp_addr(idx), .exp_data(exp_q), .ln_addr(frac8_reg), .ln_data(ln_q)
);

// gradient of the element at p3
wire [33:0] pe = {17'd0, exp_q} * {17'd0, r_reg};
wire [5:0]  psh = 6'd32 - {2'd0, grad_frac_reg};
wire [33:0] p_round = pe + (34'd1 << (psh - 6'd1));
wire [33:0] p_i = p_round >> psh;
wire signed [35:0] g_wide = $signed({2'b00, p_i}) -
                            ((p3_i == label_reg) ? ($signed(36'd1) <<< grad_frac_reg) : 36'sd0);
wire [15:0] g_sat = (g_wide > 36'sd32767) ? 16'h7fff : g_wide[15:0];

// lane 0 of a whole word: column 0, stride 1
wire [LANES*16-1:0] fmb_wdata = {{(LANES*16-16){1'b0}}, p4_grad};
wire [LANES-1:0] fmb_wmask = {{(LANES-1){1'b0}}, 1'b1};
assign m_fmb_req = {p4_valid, p4_valid, 1'b0, p4_row, {XW{1'b0}}, fmb_wdata, fmb_wmask};

wire pipe_busy = g_valid | p1_valid | p2_valid | p3_valid | p4_valid;

// ------------------------------------------------------------------------------ divider
reg            div_start;
wire           div_done;
/* verilator lint_off UNUSEDSIGNAL */
wire           div_busy;
wire [N_W-1:0] div_q;
wire [S_W-1:0] div_r;
/* verilator lint_on UNUSEDSIGNAL */

serial_div #(.N_W(N_W), .D_W(S_W)) u_div (
    .clk(clk), .rst(rst),
    .start(div_start), .n({1'b1, 32'd0}), .d(s_reg),
    .busy(div_busy), .done(div_done), .q(div_q), .r(div_r)
);

// leading one of S (S >= 2^16)
function [MSB_W-1:0] msb_of;
    input [S_W-1:0] v;
    integer i;
    begin
        msb_of = {MSB_W{1'b0}};
        for (i = 0; i < S_W; i = i + 1) begin
            if (v[i]) begin
                msb_of = i[MSB_W-1:0];
            end
        end
    end
endfunction

wire [MSB_W-1:0] s_msb = msb_of(s_reg);
/* verilator lint_off UNUSEDSIGNAL */
wire [S_W-1:0] s_top = s_reg >> (s_msb - 8);
/* verilator lint_on UNUSEDSIGNAL */
wire signed [31:0] loss_q16 = $signed({{(32-MSB_W){1'b0}}, msb_reg} * LN2_Q16) +
                              $signed({16'd0, ln_q}) - $signed(32'd16 * LN2_Q16) +
                              $signed({12'd0, idx_label_reg, 12'd0});
wire signed [31:0] loss_r = (loss_q16 + 32'sd128) >>> 8;
wire [15:0] loss_sat = (loss_r < 0) ? 16'd0 : (loss_r > 32'sd65535) ? 16'hffff : loss_r[15:0];

always @(posedge clk) begin
    div_start <= 1'b0;

    // -------- pipeline
    p1_valid <= g_valid;
    p2_valid <= p1_valid;
    p3_valid <= p2_valid && pass_reg != PS_MAX;
    p4_valid <= p3_valid && pass_reg == PS_GRAD;
    p1_i <= g_i; p2_i <= p1_i; p3_i <= p2_i;
    p4_row <= g_base_reg[FM_AW-1:0] + p3_i[FM_AW-1:0];
    p4_grad <= g_sat;
    if (p2_valid && pass_reg == PS_MAX && (p2_i == 16'd0 || logit > max_reg)) begin
        // strictly greater replaces: the lowest index of the maximum wins
        max_reg <= logit;
        pred_reg <= p2_i;
    end
    if (p2_valid && pass_reg == PS_SUM && p2_i == label_reg) begin
        idx_label_reg <= idx;
    end
    if (p3_valid && pass_reg == PS_SUM) begin
        s_reg <= s_reg + {{(S_W-17){1'b0}}, exp_q};
    end

    // -------- control
    if (state_reg != S_IDLE && state_reg != S_RESP) begin
        cycles_reg <= cycles_reg + 1'b1;
    end

    case (state_reg)
    S_IDLE: begin
        if (s_cmd_valid) begin
            k_reg <= s_cmd_data[LOSS_CMD_K_LSB +: LOSS_CMD_K_W];
            label_reg <= s_cmd_data[LOSS_CMD_LABEL_LSB +: LOSS_CMD_LABEL_W];
            in_frac_reg <= s_cmd_data[LOSS_CMD_IN_FRAC_LSB +: LOSS_CMD_IN_FRAC_W];
            grad_frac_reg <= s_cmd_data[LOSS_CMD_GRAD_FRAC_LSB +: LOSS_CMD_GRAD_FRAC_W];
            y_base_reg <= s_cmd_data[LOSS_CMD_Y_BASE_LSB +: LOSS_CMD_Y_BASE_W];
            g_base_reg <= s_cmd_data[LOSS_CMD_G_BASE_LSB +: LOSS_CMD_G_BASE_W];
            cycles_reg <= 32'd1;
            status_reg <= ST_OK;
            chk_step_reg <= 2'd0;
            state_reg <= S_CHECK;
        end
    end
    S_CHECK: begin
        chk_step_reg <= chk_step_reg + 1'b1;
        if (k_reg == 16'd0 || {16'd0, k_reg} > KMAX_32) begin
            status_reg <= ST_BAD_SHAPE;
            state_reg <= S_RESP;
        end else if (label_reg >= k_reg) begin
            status_reg <= ST_BAD_LABEL;
            state_reg <= S_RESP;
        end else if (y_e > FM_DEPTH_48 || g_e > FM_DEPTH_48 || !(y_e <= g_b || g_e <= y_b)) begin
            status_reg <= ST_BAD_BUFFER;
            state_reg <= S_RESP;
        end else begin
            pass_reg <= PS_MAX;
            s_reg <= {S_W{1'b0}};
            g_valid <= 1'b1;
            g_i <= 16'd0;
            state_reg <= S_PASS;
        end
    end
    S_PASS: begin
        g_i <= g_i + 1'b1;
        if (g_last) begin
            g_valid <= 1'b0;
            state_reg <= S_WAIT;
        end
    end
    S_WAIT: begin
        // the pass drains, then the next one starts (after the division for the gradient)
        if (!pipe_busy && !div_start) begin
            g_i <= 16'd0;
            case (pass_reg)
            PS_MAX: begin
                pass_reg <= PS_SUM;
                g_valid <= 1'b1;
                state_reg <= S_PASS;
            end
            PS_SUM: begin
                div_start <= 1'b1;
                msb_reg <= s_msb;
                frac8_reg <= s_top[7:0];
                state_reg <= S_DIV;
            end
            default: begin
                state_reg <= S_RESP;
            end
            endcase
        end
    end
    S_DIV: begin
        if (div_done) begin
            r_reg <= div_q[16:0];
            loss_reg <= loss_sat;
            pass_reg <= PS_GRAD;
            g_valid <= 1'b1;
            state_reg <= S_PASS;
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
        div_start <= 1'b0;
        g_valid <= 1'b0;
        p1_valid <= 1'b0;
        p2_valid <= 1'b0;
        p3_valid <= 1'b0;
        p4_valid <= 1'b0;
        pred_reg <= 16'd0;
        loss_reg <= 16'd0;
    end
end

`undef ACCEL_DEFS_VH
endmodule

`resetall
