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
 * the pipeline's drain (2 cycles for the max, 4 for the sum, 8 for the gradient: one wide add,
 * shift, compare or multiply a stage) and the division (34 cycles): 3K + 57 cycles.
 */

`resetall
`timescale 1ns / 1ps
`default_nettype none

module loss_unit #
(
`include "loss_params.vh"
)
(
`include "unit_cmd_ports.vh"

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

// the unit's own states (unit_ctl holds the command and the response)
localparam [2:0] S_IDLE = 3'd0, S_CHECK = 3'd1, S_PASS = 3'd2, S_WAIT = 3'd3, S_DIV = 3'd4;

// passes over the logits
localparam [1:0] PS_MAX = 2'd0, PS_SUM = 2'd1, PS_GRAD = 2'd2;

// ------------------------------------------------------------------------------ control
reg [2:0]  state_reg;
reg [1:0]  chk_step_reg;
reg [1:0]  pass_reg;

// the command/response shell (unit_ctl): cmd holds the command, done / done_status end it
localparam UNIT_CMD_W = LOSS_CMD_W;
`include "unit_ctl_inst.vh"
`include "loss_cmd_fields.vh"

reg signed [15:0] max_reg;
reg [15:0] pred_reg;
reg [S_W-1:0] s_reg;
reg [7:0]  idx_label_reg;
reg [16:0] r_reg;
reg [MSB_W-1:0] msb_reg;
reg [7:0]  frac8_reg;
reg [15:0] loss_reg;

// per-command constants of the table index and the gradient (set in S_CHECK)
reg [3:0]  idx_sh_reg;      // |in_frac - 4|
reg        idx_right_reg;   // in_frac >= 4: round and shift right, else shift left
reg [20:0] idx_rnd_reg;     // rounding term of the right shift (0 for a left shift or none)
reg [20:0] idx_thr_reg;     // the shifted index is > 255 exactly when the unshifted one is >= this
reg [3:0]  p_sh_reg;        // p_i = p_round >> (32 - gf) = p_round[33:17] >> (15 - gf)
reg [15:0] p_rnd_reg;       // 2^(15 - gf): the rounding term 2^(31 - gf) is this << 16
reg [35:0] lab_term_reg;    // 2^gf
reg signed [21:0] max_rnd_reg;  // max + idx_rnd (free-running: max is steady after its pass)

// loss of the command, computed during the division (free-running stages, valid long before
// its end): msb * ln2, + LN_LUT, + idx_label / 16, + 128 - 16 ln2, then >>> 8 and saturation
reg [31:0] loss_a_reg, loss_b_reg, loss_c_reg, loss_d_reg;

assign m_rsp_pred = pred_reg;
assign m_rsp_loss = loss_reg;

wire [47:0] y_b = {16'd0, cmd_y_base};
wire [47:0] g_b = {16'd0, cmd_g_base};
wire [47:0] y_e = y_b + {32'd0, cmd_k};
wire [47:0] g_e = g_b + {32'd0, cmd_k};

// the command check over three cycles (chk_step 0: region ends and the shape / label compares
// registered; 1: the range and overlap compares into one flag; 2: the decision)
reg [47:0] y_e_reg, g_e_reg;
reg        bad_shape_reg, bad_label_reg, bad_buf_reg;
wire bad_buf = y_e_reg > FM_DEPTH_48 || g_e_reg > FM_DEPTH_48 || !(y_e_reg <= g_b || g_e_reg <= y_b);

// ---------------------------------------------------------------------- item generator
reg        g_valid;
reg [15:0] g_i;
// the last index K - 1 (registered during the check) and the row y_base + i kept beside g_i: the
// loop end is one compare and the stack request a register (issue 16)
reg [15:0] k_m1_reg;
reg [FM_AW-1:0] g_row;
wire g_last = (g_i == k_m1_reg);

// whole stack words: column 0, stride 1
wire [FM_AW-1:0] fma_row = g_row;
assign m_fma_req = {g_valid, 1'b0, fma_row, {XW{1'b0}}};

// ----------------------------------------------------------------------------- pipeline
// p1: read in the RAM; p2: logit valid; d1: max - y + rounding term; p3: table value (index
// shifted and saturated into the table's address in d1); gradient pass only: q1 product,
// q2 rounding add, q3 shift, q4 label subtraction; p4: saturated gradient written
reg        p1_valid, p2_valid, d1_valid, p3_valid, q1_valid, q2_valid, q3_valid, q4_valid, p4_valid;
reg [15:0] p1_i, p2_i, d1_i;
/* verilator lint_off UNUSEDSIGNAL */
reg [15:0] p3_i;             // its low FM_AW bits address the gradient
/* verilator lint_on UNUSEDSIGNAL */
reg        d1_lab, p3_lab, q1_lab, q2_lab, q3_lab;   // the element is the label's
reg [FM_AW-1:0] q1_row, q2_row, q3_row, q4_row, p4_row;
reg [15:0] p4_grad;

wire signed [15:0] logit = fma_rdata[15:0];

// table index of max - y in steps of 1/16: t = max - y + rounding term (p2 -> d1); then the
// shift and the saturation at 255 (compared before the shift, against a per-command threshold)
reg [20:0] t_reg;
/* verilator lint_off UNUSEDSIGNAL */
wire signed [21:0] t_wide = max_rnd_reg - {{6{logit[15]}}, logit};   // 0..66559
wire [20:0] t_sh = idx_right_reg ? (t_reg >> idx_sh_reg) : (t_reg << idx_sh_reg);
/* verilator lint_on UNUSEDSIGNAL */
wire [7:0] idx = (t_reg >= idx_thr_reg) ? 8'd255 : t_sh[7:0];

wire [16:0] exp_q;
wire [15:0] ln_q;

loss_luts u_luts (
    .clk(clk), .exp_addr(idx), .exp_data(exp_q), .ln_addr(frac8_reg), .ln_data(ln_q)
);

// gradient of the element at p3: pe = e r (q1), + 2^(31-gf) (q2), >> (32-gf) (q3),
// - [label] 2^gf (q4), sat16 (p4)
reg [33:0] pe_reg;
/* verilator lint_off UNUSEDSIGNAL */
reg [33:0] p_round_reg;     // bits 16:0 are shifted out
/* verilator lint_on UNUSEDSIGNAL */
reg [33:0] p_i_reg;
reg signed [35:0] g_wide_reg;
wire [33:0] pe = {17'd0, exp_q} * {17'd0, r_reg};
// psh = 32 - gf is 17..32: shift the top 17 bits by 15 - gf (equal to p_round >> psh)
wire [16:0] p_i_17 = p_round_reg[33:17] >> p_sh_reg;
wire signed [35:0] g_wide = $signed({2'b00, p_i_reg}) - (q3_lab ? $signed(lab_term_reg) : 36'sd0);
wire [15:0] g_sat = (g_wide_reg > 36'sd32767) ? 16'h7fff : g_wide_reg[15:0];

// lane 0 of a whole word (of the 2*LANES-lane write): column 0, stride 1
// (the constant lanes in the request itself, no wire of constants: toggle coverage)
assign m_fmb_req = {p4_valid, p4_valid, 1'b0, p4_row, {XW{1'b0}}, {(2*LANES*16-16){1'b0}}, p4_grad,
                    {(2*LANES-1){1'b0}}, 1'b1};

wire pipe_busy = g_valid | p1_valid | p2_valid | d1_valid | p3_valid | q1_valid | q2_valid |
                 q3_valid | q4_valid | p4_valid;

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
// only bits 7:0 are used (frac8_reg); the shift's upper bits depend on msb_reg, which is one
// stage behind s_reg: an intermediate, left out of toggle coverage
/* verilator coverage_off */
wire [S_W-1:0] s_top = s_reg >> (msb_reg - 8);
/* verilator coverage_on */
/* verilator lint_on UNUSEDSIGNAL */
// loss_q16 + 128 = msb ln2 + LN_LUT + idx_label 2^12 + (128 - 16 ln2), modulo 2^32
localparam [31:0] LOSS_OFS = 32'd128 - 32'd16 * LN2_Q16;
wire signed [31:0] loss_r = $signed(loss_d_reg) >>> 8;
wire [15:0] loss_sat = (loss_r < 0) ? 16'd0 : (loss_r > 32'sd65535) ? 16'hffff : loss_r[15:0];

// per-command constants from the fraction fields
wire [3:0]  c_idx_sh = (cmd_in_frac >= 4'd4) ? (cmd_in_frac - 4'd4) : (4'd4 - cmd_in_frac);
wire [20:0] c_idx_rnd = (cmd_in_frac > 4'd4) ? (21'd1 << (cmd_in_frac - 4'd5)) : 21'd0;
wire [20:0] c_idx_thr = (cmd_in_frac >= 4'd4) ? (21'd256 << (cmd_in_frac - 4'd4)) :
                                               (21'd256 >> (4'd4 - cmd_in_frac));

// ------------------------------------------------------------------ command / response
// done: a rejected command at the check's decision, or the gradient pass drained
wire done_bad = bad_shape_reg || bad_label_reg || bad_buf_reg;
assign done = (state_reg == S_CHECK && chk_step_reg == 2'd2 && done_bad) ||
              (state_reg == S_WAIT && !pipe_busy && !div_start && pass_reg != PS_MAX &&
               pass_reg != PS_SUM);
assign done_status = bad_shape_reg ? ST_BAD_SHAPE : bad_label_reg ? ST_BAD_LABEL :
                     bad_buf_reg ? ST_BAD_BUFFER : ST_OK;

always @(posedge clk) begin
    div_start <= 1'b0;

    // -------- pipeline
    p1_valid <= g_valid;
    p2_valid <= p1_valid;
    d1_valid <= p2_valid && pass_reg != PS_MAX;
    p3_valid <= d1_valid;
    q1_valid <= p3_valid && pass_reg == PS_GRAD;
    q2_valid <= q1_valid;
    q3_valid <= q2_valid;
    q4_valid <= q3_valid;
    p4_valid <= q4_valid;
    p1_i <= g_i; p2_i <= p1_i; d1_i <= p2_i; p3_i <= d1_i;
    d1_lab <= (p2_i == cmd_label);
    p3_lab <= d1_lab; q1_lab <= p3_lab; q2_lab <= q1_lab; q3_lab <= q2_lab;
    t_reg <= t_wide[20:0];
    max_rnd_reg <= {{6{max_reg[15]}}, max_reg} + $signed({1'b0, idx_rnd_reg});
    q1_row <= cmd_g_base[FM_AW-1:0] + fm_w16(p3_i);
    q2_row <= q1_row; q3_row <= q2_row; q4_row <= q3_row; p4_row <= q4_row;
    pe_reg <= pe;
    p_round_reg <= pe_reg + {2'b00, p_rnd_reg, 16'd0};
    p_i_reg <= {17'd0, p_i_17};
    g_wide_reg <= g_wide;
    p4_grad <= g_sat;
    // the loss (free-running; steady from a few cycles into S_DIV)
    frac8_reg <= s_top[7:0];
    loss_a_reg <= {{(32-MSB_W){1'b0}}, msb_reg} * LN2_Q16;
    loss_b_reg <= loss_a_reg + {16'd0, ln_q};
    loss_c_reg <= loss_b_reg + {12'd0, idx_label_reg, 12'd0};
    loss_d_reg <= loss_c_reg + LOSS_OFS;
    if (p2_valid && pass_reg == PS_MAX && (p2_i == 16'd0 || logit > max_reg)) begin
        // strictly greater replaces: the lowest index of the maximum wins
        max_reg <= logit;
        pred_reg <= p2_i;
    end
    if (d1_valid && pass_reg == PS_SUM && d1_lab) begin
        idx_label_reg <= idx;
    end
    if (p3_valid && pass_reg == PS_SUM) begin
        s_reg <= s_reg + {{(S_W-17){1'b0}}, exp_q};
    end

    // -------- control (the command, its cycles and the response: unit_ctl)
    case (state_reg)
    S_CHECK: begin
        chk_step_reg <= chk_step_reg + 1'b1;
        y_e_reg <= y_e;
        g_e_reg <= g_e;
        bad_shape_reg <= (cmd_k == 16'd0 || {16'd0, cmd_k} > KMAX_32);
        bad_label_reg <= (cmd_label >= cmd_k);
        bad_buf_reg <= bad_buf;
        idx_sh_reg <= c_idx_sh;
        idx_right_reg <= (cmd_in_frac >= 4'd4);
        idx_rnd_reg <= c_idx_rnd;
        idx_thr_reg <= c_idx_thr;
        p_sh_reg <= 4'd15 - cmd_grad_frac;
        p_rnd_reg <= 16'd1 << (4'd15 - cmd_grad_frac);
        lab_term_reg <= 36'd1 << cmd_grad_frac;
        if (chk_step_reg == 2'd2) begin
            if (bad_shape_reg || bad_label_reg || bad_buf_reg) begin
                state_reg <= S_IDLE;    // done: the status answers
            end else begin
                pass_reg <= PS_MAX;
                s_reg <= {S_W{1'b0}};
                g_valid <= 1'b1;
                g_i <= 16'd0;
                g_row <= cmd_y_base[FM_AW-1:0];
                k_m1_reg <= cmd_k - 1'b1;       // K >= 1 now
                state_reg <= S_PASS;
            end
        end
    end
    S_PASS: begin
        g_i <= g_i + 1'b1;
        g_row <= g_row + 1'b1;
        if (g_last) begin
            g_valid <= 1'b0;
            state_reg <= S_WAIT;
        end
    end
    S_WAIT: begin
        // the pass drains, then the next one starts (after the division for the gradient)
        if (!pipe_busy && !div_start) begin
            g_i <= 16'd0;
            g_row <= cmd_y_base[FM_AW-1:0];
            case (pass_reg)
            PS_MAX: begin
                pass_reg <= PS_SUM;
                g_valid <= 1'b1;
                state_reg <= S_PASS;
            end
            PS_SUM: begin
                div_start <= 1'b1;
                msb_reg <= s_msb;
                state_reg <= S_DIV;
            end
            default: begin
                state_reg <= S_IDLE;    // done
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
    default: begin      // S_IDLE
        if (cmd_start) begin
            chk_step_reg <= 2'd0;
            state_reg <= S_CHECK;
        end
    end
    endcase

    if (rst) begin
        state_reg <= S_IDLE;
        div_start <= 1'b0;
        g_valid <= 1'b0;
        p1_valid <= 1'b0;
        p2_valid <= 1'b0;
        d1_valid <= 1'b0;
        p3_valid <= 1'b0;
        q1_valid <= 1'b0;
        q2_valid <= 1'b0;
        q3_valid <= 1'b0;
        q4_valid <= 1'b0;
        p4_valid <= 1'b0;
        pred_reg <= 16'd0;
        loss_reg <= 16'd0;
    end
end

`undef ACCEL_DEFS_VH
endmodule

`resetall
