/*
 * UC unit write-back and update: the end of uc_unit's pipeline (docs/uc_unit.md).
 *
 *   P8  FWD / BWD_DATA: requantize the LANES accumulators (round half up, saturate, ReLU in FWD)
 *       over three stages (R1: + 2^(shift-1), R2: >> (shift & ~3), R3: >> (shift & 3), saturate
 *       and ReLU) and write them as one masked stack vector (port B) at R3. WGRAD: the weight
 *       gradient sat32(round_shift(acc, shift)) (and the bias gradient) over the same stages
 *       (R1: the total of uc_mac's max(LANES/2, 1) partial sums + 2^(shift-1) and the gradient
 *       memories read, R2: >> (shift & ~3) and the read data registered, R3: >> (shift & 3),
 *       sat32)
 *   P9  (= R3) WGRAD: add into the gradient memories (gacc) or overwrite them
 *   UPDATE, one weight (or a channel's bias) an item: read w, g at stage I; U1 (= P1): the data
 *       arrive and are registered; U2: g * lr (one multiply); U3: + 2^(lr_shift-1); U4:
 *       >> (lr_shift & ~3); U5: w - (that >> (lr_shift & 3)) (step = round_shift(g * lr,
 *       lr_shift)); U6: saturated; U7: w <- sat(w - step), g <- 0
 *
 * Parameters: OWN_SEL (below) and rtl/common/uc_pipe_params.vh (LANES, KMAX, FM_AW, WAW, PAW,
 * BAW; KMAX, PAW not used here).
 *
 * Latency: P8 writes the stack three cycles after a result arrives (R3); WGRAD writes the gradients
 * three cycles after it (P9 = R3); UPDATE writes seven cycles after its item (U7; eight with
 * OWN_SEL). No stall.
 */

`resetall
`timescale 1ns / 1ps
`default_nettype none

module uc_wb #
(
// 1: UPDATE's gradient read data (upd_*grad_rd_data) arrive a cycle after P1 (U1b: uc_unit's
// two-stage owner select), so the item's other U1 fields are held a cycle; 0: at P1
parameter OWN_SEL = 0,
// the pipeline's parameters; KMAX, PAW unused here
/* verilator lint_off UNUSEDPARAM */
`include "uc_pipe_params.vh"
/* verilator lint_on UNUSEDPARAM */
)
(
    input  wire                     clk,
    input  wire                     rst,

    // command (uc_ctrl)
    input  wire                     is_fwd,
    input  wire                     is_bwd,
    input  wire                     is_wgrad,
    input  wire                     is_update,
    input  wire [4:0]               shift,
    input  wire                     relu,
    input  wire                     gacc,
    input  wire [31:0]              bias_base,
    input  wire [15:0]              lr_mult,
    input  wire [5:0]               lr_shift,
    input  wire [15:0]              lr_mult_b,
    input  wire [5:0]               lr_shift_b,
    output wire                     busy,           // a write is still to come

    // UPDATE item (stage I, uc_gen) and its P1 fields (uc_mac)
    input  wire                     i_valid,
    input  wire                     i_ones,         // the channel's bias, not a weight
    input  wire [WAW-1:0]           i_a,
    input  wire [15:0]              i_og,
    input  wire                     p1_ones,
    input  wire [WAW-1:0]           p1_a,
    input  wire [15:0]              p1_og,

    // result (stage P8, uc_mac)
    input  wire                     o_valid,
    input  wire                     o_ones,
    input  wire                     o_bsum,
    input  wire [LANES*ACC_W-1:0]   o_bacc,         // WGRAD: bias-gradient partial sums (lanes < PART)
    input  wire [WAW-1:0]           o_a,
    input  wire [15:0]              o_og,
    input  wire [15:0]              o_x0,
    input  wire [FM_AW-1:0]         o_orow,
    input  wire [LANES-1:0]         o_omask,
    input  wire [LANES*ACC_W-1:0]   o_acc,

    // stack port B write (FWD Y, BWD_DATA dX)
    output wire                     fmb_wr_en,
    output wire                     fmb_we,
    output wire [FM_AW-1:0]         fmb_wr_row,
    output wire [15:0]              fmb_wr_x,
    output wire [LANES*16-1:0]      fmb_wdata,
    output wire [LANES-1:0]         fmb_wmask,

    // UPDATE reads of the weight and bias memories (uc_unit muxes them with the conv reads)
    output wire                     upd_wgt_rd_en,
    output wire [WAW-1:0]           upd_wgt_rd_addr,
    input  wire [15:0]              wgt_rd_data,
    output wire                     upd_bias_rd_en,
    output wire [BAW-1:0]           upd_bias_rd_addr,
    input  wire [31:0]              bias_rd_data,
    // UPDATE's gradient read data (the filter's owner's copy: uc_unit); WGRAD reads grad_rd_data
    input  wire [31:0]              upd_grad_rd_data,
    input  wire [31:0]              upd_bgrad_rd_data,

    // weight, gradient, bias and bias-gradient memories
    output wire                     wgt_wr_en,
    output wire [WAW-1:0]           wgt_wr_addr,
    output wire [15:0]              wgt_wr_data,
    output wire                     grad_rd_en,
    output wire [WAW-1:0]           grad_rd_addr,
    input  wire [31:0]              grad_rd_data,
    output wire                     grad_wr_en,
    output wire [WAW-1:0]           grad_wr_addr,
    output wire [31:0]              grad_wr_data,
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

`include "accel_defs.vh"

// WGRAD partial sums from uc_mac: lanes 2p and 2p+1 in o_acc / o_bacc lane p < PART
localparam PART = (LANES > 1) ? LANES / 2 : 1;

// ------------------------------------------------------------------------------ registers
// U1 (= P1): UPDATE data arrive
reg             u1_valid_reg, u1_valid_next;
// U1 fields as U2 takes them (P1's, or held a cycle: OWN_SEL, below)
wire             u1_ones, u1b_valid;
wire [WAW-1:0]   u1_a;
wire [15:0]      u1_og, u1_wgt;
wire [31:0]      u1_bias;
// U2 .. U7: UPDATE product, rounding add, shift, difference, saturation, write back (an
// item's flags and addresses at stage Uk, k = 3 .. 7, in bit / field k-3)
reg             u2_valid_reg, u2_valid_next, u2_ones_reg, u2_ones_next;
reg [WAW-1:0]   u2_a_reg, u2_a_next;
reg [15:0]      u2_og_reg, u2_og_next;
reg signed [65:0] u2_w_reg, u2_w_next;
reg [31:0]      u2_g_reg;
reg [15:0]      u2_lr_reg;
reg [5:0]       u2_sh_reg;
/* verilator lint_off UNUSEDSIGNAL */
reg [4:0]       uv_reg, uo_reg;                 // valid, ones at U3 .. U7
reg [5*WAW-1:0] ua_reg;
reg [5*16-1:0]  uog_reg;
reg [5*6-1:0]   ush_reg;
/* verilator lint_on UNUSEDSIGNAL */
reg signed [48:0] u3_prod_reg;
reg signed [65:0] u3_w_reg, u4_w_reg, u5_w_reg;
reg signed [65:0] u4_rnd_reg, u5_step_reg, u6_new_reg;
reg [31:0]      u7_out_reg;
// rounding constants 2^(sh-1) of lr_shift and lr_shift_b (static during a command)
reg signed [65:0] rnd_w_reg, rnd_b_reg;
// R1, R2: a result's fields on the way to P9 (bit / field 0 at R1, 1 at R2), the bias sum's
// rounding add and shift
reg [1:0]       wv_reg, wones_reg, wbsum_reg;
reg [2*WAW-1:0] wa_reg;
reg [2*16-1:0]  wog_reg;
reg signed [ACC_W:0] b1_t_reg, b2_t_reg;
// WGRAD: the weight gradient's partial sums (o_acc lanes < PART, uc_mac) totalled with the
// rounding constant (R1), then shifted (R2); the bias gradient's alike (b1_t, b2_t)
reg signed [ACC_W:0] g1_t_reg, g2_t_reg;
reg signed [ACC_W:0] g_sum, b_sum;
// P9: WGRAD gradient read-modify-write
reg             q_valid_reg, q_valid_next, q_ones_reg, q_ones_next, q_bsum_reg, q_bsum_next;
reg [WAW-1:0]   q_a_reg, q_a_next;
reg [15:0]      q_og_reg, q_og_next;
reg [31:0]      q_g_reg, q_g_next, q_bg_reg, q_bg_next;
// the gradient memories' read data, registered: WGRAD reads a cycle early (R1) so that the add at
// P9 starts from flip-flops, not from a block RAM's output (issue 16: the ECP5 top's gradient
// RAM -> add -> write-data paths). A command writes each gradient once, so no read meets an
// earlier result's write of the same word
reg [31:0]      q_rd_reg, q_brd_reg;

// P8 -> R1 -> R2 -> R3: FWD / BWD_DATA requantization, then the stack write
reg [LANES*(ACC_W+1)-1:0] r1_t, r2_t;   // per lane: + 2^(shift-1), then >> shift
reg [LANES*16-1:0] y;                   // R3: the requantized vector
reg [2:0]       rv_reg;                 // valid at R1 .. R3
reg [3*FM_AW-1:0] rrow_reg;
reg [3*16-1:0]  rx_reg;
reg [3*LANES-1:0] rmask_reg;
reg signed [ACC_W:0] rnd_s_reg;         // 2^(shift-1), 0 for shift 0
// the bits of a rounded value that must equal its sign for sat16 / sat32 after >> shift (static
// during a command, like rnd_s_reg), and R2's flags that they do (per lane; WGRAD's two sums)
reg [ACC_W:0]   m16_reg, m32_reg;
reg [LANES-1:0] r2_one, r2_zero;
reg             g2_one_reg, g2_zero_reg, b2_one_reg, b2_zero_reg;

assign busy = u1_valid_reg || u1b_valid || u2_valid_reg || (|uv_reg) || (|wv_reg) || q_valid_reg || (|rv_reg);

// U1 fields as U2 takes them: P1's, or (OWN_SEL) held a cycle with the read data (U1b), so they
// meet the owner's gradient from uc_unit's second select stage
generate
    if (OWN_SEL) begin : g_u1b
        reg             u1b_valid_reg, u1b_ones_reg;
        reg [WAW-1:0]   u1b_a_reg;
        reg [15:0]      u1b_og_reg, u1b_wgt_reg;
        reg [31:0]      u1b_bias_reg;
        always @(posedge clk) begin
            u1b_valid_reg <= u1_valid_reg;
            u1b_ones_reg <= p1_ones;
            u1b_a_reg <= p1_a;
            u1b_og_reg <= p1_og;
            u1b_wgt_reg <= wgt_rd_data;
            u1b_bias_reg <= bias_rd_data;
            if (rst) begin
                u1b_valid_reg <= 1'b0;
            end
        end
        assign {u1b_valid, u1_ones, u1_a, u1_og, u1_wgt, u1_bias} =
            {u1b_valid_reg, u1b_ones_reg, u1b_a_reg, u1b_og_reg, u1b_wgt_reg, u1b_bias_reg};
    end else begin : g_u1
        assign {u1b_valid, u1_ones, u1_a, u1_og, u1_wgt, u1_bias} =
            {1'b0, p1_ones, p1_a, p1_og, wgt_rd_data, bias_rd_data};
    end
endgenerate

// ------------------------------------------------------------------------ memory addresses
/* verilator lint_off UNUSEDSIGNAL */
wire [31:0] i_bias_addr = bias_base + {16'd0, i_og};
wire [31:0] w1_bias_addr = bias_base + {16'd0, wog_reg[0 +: 16]};
wire [31:0] q_bias_addr = bias_base + {16'd0, q_og_reg};
wire [31:0] u7_bias_addr = bias_base + {16'd0, uog_reg[16*4 +: 16]};
/* verilator lint_on UNUSEDSIGNAL */

assign upd_wgt_rd_en = i_valid && !i_ones;
assign upd_wgt_rd_addr = i_a;
assign upd_bias_rd_en = i_valid && i_ones;
assign upd_bias_rd_addr = i_bias_addr[BAW-1:0];
// WGRAD reads at R1; the data, registered at R2, meet the gradient at P9 (= R3)
assign grad_rd_en = is_update ? (i_valid && !i_ones) : (wv_reg[0] && !wones_reg[0]);
assign grad_rd_addr = is_update ? i_a : wa_reg[0 +: WAW];
assign bgrad_rd_en = is_update ? (i_valid && i_ones) : (wv_reg[0] && wbsum_reg[0]);
assign bgrad_rd_addr = is_update ? i_bias_addr[BAW-1:0] : w1_bias_addr[BAW-1:0];

// ------------------------------------------------------------------------ P8: stack write
assign fmb_wr_en = rv_reg[2] && (is_fwd || is_bwd);
assign fmb_we = !is_wgrad && rv_reg[2];
assign fmb_wr_row = rrow_reg[2*FM_AW +: FM_AW];
assign fmb_wr_x = rx_reg[2*16 +: 16];
assign fmb_wdata = y;
assign fmb_wmask = rmask_reg[2*LANES +: LANES];

// ------------------------------------------------------------------------ write data
// P9: WGRAD add into (gacc) or overwrite the gradient memories
wire [31:0] q_new = gacc ? add_sat32(q_rd_reg, q_g_reg) : q_g_reg;
wire [31:0] q_bnew = gacc ? add_sat32(q_brd_reg, q_bg_reg) : q_bg_reg;
// U7: the saturated w - step written to the weight (16 bits) or bias (32 bits) word
wire u7_valid = uv_reg[4];
wire u7_ones = uo_reg[4];
wire [WAW-1:0] u7_a = ua_reg[WAW*4 +: WAW];

assign wgt_wr_en = u7_valid && !u7_ones;
assign wgt_wr_addr = u7_a;
assign wgt_wr_data = u7_out_reg[15:0];
assign grad_wr_en = (u7_valid && !u7_ones) || (q_valid_reg && !q_ones_reg);
assign grad_wr_addr = u7_valid ? u7_a : q_a_reg;
// (UPDATE writes only zeros, and only from U7: zero for the whole command, a registered select,
// so that an array's copies take their own engine's data with no mux, issue 16)
assign grad_wr_data = is_update ? 32'd0 : q_new;
assign bias_wr_en = u7_valid && u7_ones;
assign bias_wr_addr = u7_bias_addr[BAW-1:0];
assign bias_wr_data = u7_out_reg;
assign bgrad_wr_en = (u7_valid && u7_ones) || (q_valid_reg && q_bsum_reg);
assign bgrad_wr_addr = u7_valid ? u7_bias_addr[BAW-1:0] : q_bias_addr[BAW-1:0];
assign bgrad_wr_data = is_update ? 32'd0 : q_bnew;

// Every data-dependent right shift is split over two stages (issue 16, the UltraScale+ depth):
// by the multiple of 4 in the first (an 8:1 or 16:1 mux), by the rest (a 4:1 mux) in front of
// the next stage's saturation or subtraction. Arithmetic shifts compose exactly:
// (x >>> 4a) >>> b = x >>> (4a + b), so the results are those of one shift.
function [ACC_W:0] shr_fine;
    input [ACC_W:0] f_x;
    input [1:0] f_s;
    begin
        shr_fine = $signed(f_x) >>> f_s;
    end
endfunction

// sat_w(f_x >>> f_s) for a saturation width W of 16 or 32 (numerics.requant, sat32), given
// whether the whole shift's result fits: registers computed beside the coarse shift, "the bits
// that must equal the sign are all ones" (f_one) and "... all zeros" (f_zero), chosen here by the
// sign
function [31:0] sat_fine;
    input [ACC_W:0] f_x;
    input [1:0] f_s;
    input f_one;
    input f_zero;
    input f_w32;                        // saturate to 32 bits, else to 16
    /* verilator lint_off UNUSEDSIGNAL */
    reg [ACC_W:0] f_v;                  // (its bits above 31 are the sign's or dropped)
    /* verilator lint_on UNUSEDSIGNAL */
    begin
        f_v = shr_fine(f_x, f_s);
        if (f_x[ACC_W] ? f_one : f_zero) begin
            sat_fine = f_w32 ? f_v[31:0] : {16'd0, f_v[15:0]};
        end else if (f_w32) begin
            sat_fine = f_x[ACC_W] ? 32'h80000000 : 32'h7fffffff;
        end else begin
            sat_fine = f_x[ACC_W] ? 32'h00008000 : 32'h00007fff;
        end
    end
endfunction

// f_x >>> shift fits in W bits when bits ACC_W..W-1+shift of f_x (the ones of f_m, a register
// per command) all equal its sign: all ones there (fits_one) or all zeros (fits_zero), an AND
// tree of two inputs a bit each, registered apart and chosen by the sign a stage later (issue 16:
// the two trees and the sign's select in one stage were 5 LUT levels), not a compare's carry
// chain
function fits_one;
    input [ACC_W:0] f_x;
    input [ACC_W:0] f_m;
    begin
        fits_one = &(f_x | ~f_m);
    end
endfunction

function fits_zero;
    input [ACC_W:0] f_x;
    input [ACC_W:0] f_m;
    begin
        fits_zero = !(|(f_x & f_m));
    end
endfunction

// sat16 and the optional ReLU (numerics.requant) of a rounded accumulator shifted by f_s more
function [15:0] sat_relu16;
    input [ACC_W:0] f_t;
    input [1:0] f_s;
    input f_one;
    input f_zero;
    input f_relu;
    /* verilator lint_off UNUSEDSIGNAL */
    reg [31:0] f_y;                     // (16-bit saturation: its high half is zero)
    /* verilator lint_on UNUSEDSIGNAL */
    begin
        f_y = sat_fine(f_t, f_s, f_one, f_zero, 1'b0);
        sat_relu16 = (f_relu && f_t[ACC_W]) ? 16'd0 : f_y[15:0];
    end
endfunction

integer l;     // the clocked block's lane loop
integer p;     // the combinational block's partial-sum loop (one loop variable a block)

/* verilator lint_off UNUSEDSIGNAL */
wire signed [65:0] rnd_s66 = rnd66({1'b0, shift});
/* verilator lint_on UNUSEDSIGNAL */

// ------------------------------------------------------------------------ next state
// U1: the gradient, rate and shift of a weight or bias item registered; U2: |g * lr| < 2^31 *
// 2^16: the product is exact in 49 bits (2 DSPs, not 4 for a 66-bit one); muxed at 32 bits, so
// the sign extension stays visible to synthesis
wire [31:0] u1_g = u1_ones ? upd_bgrad_rd_data : upd_grad_rd_data;
wire [15:0] u1_lr = u1_ones ? lr_mult_b : lr_mult;
wire signed [48:0] u2_prod = $signed({{17{u2_g_reg[31]}}, u2_g_reg}) * $signed({33'd0, u2_lr_reg});
// R2: WGRAD's gradient is the rounded, shifted total of the partial sums (acc + 2^(shift-1) does
// not overflow ACC_W+1 bits, so it equals numerics.round_shift)
wire [31:0] g2_sat = sat_fine(g2_t_reg, shift[1:0], g2_one_reg, g2_zero_reg, 1'b1);
wire [31:0] bg2_sat = sat_fine(b2_t_reg, shift[1:0], b2_one_reg, b2_zero_reg, 1'b1);

always @* begin
    // R1: WGRAD's partial sums and the rounding constant, one add of PART + 1 inputs
    g_sum = rnd_s_reg;
    b_sum = rnd_s_reg;
    for (p = 0; p < PART; p = p + 1) begin
        g_sum = g_sum + {o_acc[ACC_W*p+ACC_W-1], o_acc[ACC_W*p +: ACC_W]};
        b_sum = b_sum + {o_bacc[ACC_W*p+ACC_W-1], o_bacc[ACC_W*p +: ACC_W]};
    end

    q_valid_next = wv_reg[1] && is_wgrad;
    q_ones_next = wones_reg[1];
    q_bsum_next = wbsum_reg[1];
    q_a_next = wa_reg[WAW +: WAW];
    q_og_next = wog_reg[16 +: 16];
    q_g_next = g2_sat;
    q_bg_next = bg2_sat;

    // U1 -> U2: step = round_shift(g * lr, lr_shift); the weight (or bias) read with it
    u1_valid_next = i_valid && is_update;
    u2_valid_next = OWN_SEL ? u1b_valid : u1_valid_reg;
    u2_ones_next = u1_ones;
    u2_a_next = u1_a;
    u2_og_next = u1_og;
    u2_w_next = u1_ones ? {{34{u1_bias[31]}}, u1_bias} : {{50{u1_wgt[15]}}, u1_wgt};
end

// ------------------------------------------------------------------------------ registers
always @(posedge clk) begin
    u1_valid_reg <= u1_valid_next;
    u2_valid_reg <= u2_valid_next;
    u2_ones_reg <= u2_ones_next;
    u2_a_reg <= u2_a_next;
    u2_og_reg <= u2_og_next;
    u2_w_reg <= u2_w_next;
    u2_g_reg <= u1_g;
    u2_lr_reg <= u1_lr;
    u2_sh_reg <= u1_ones ? lr_shift_b : lr_shift;
    // U2 .. U7
    uv_reg <= {uv_reg[3:0], u2_valid_reg};
    uo_reg <= {uo_reg[3:0], u2_ones_reg};
    ua_reg <= {ua_reg[4*WAW-1:0], u2_a_reg};
    uog_reg <= {uog_reg[4*16-1:0], u2_og_reg};
    ush_reg <= {ush_reg[4*6-1:0], u2_sh_reg};
    u3_prod_reg <= u2_prod;
    u3_w_reg <= u2_w_reg;
    u4_rnd_reg <= {{17{u3_prod_reg[48]}}, u3_prod_reg} + (uo_reg[0] ? rnd_b_reg : rnd_w_reg);
    u4_w_reg <= u3_w_reg;
    u5_step_reg <= u4_rnd_reg >>> {ush_reg[6*1+2 +: 4], 2'b00};
    u5_w_reg <= u4_w_reg;
    u6_new_reg <= u5_w_reg - (u5_step_reg >>> ush_reg[6*2 +: 2]);
    u7_out_reg <= uo_reg[3] ? sat32(u6_new_reg) : {16'd0, sat16(u6_new_reg)};
    rnd_w_reg <= rnd66(lr_shift);
    // P8 -> R1 -> R2 -> R3: requantize every lane (numerics.requant: sat16(round_shift(a,
    // shift)), ReLU in FWD), one add, shift or saturation a stage
    rv_reg <= {rv_reg[1:0], o_valid && (is_fwd || is_bwd)};
    rrow_reg <= {rrow_reg[2*FM_AW-1:0], o_orow};
    rx_reg <= {rx_reg[2*16-1:0], o_x0};
    rmask_reg <= {rmask_reg[2*LANES-1:0], o_omask};
    rnd_s_reg <= rnd_s66[ACC_W:0];
    m16_reg <= {(ACC_W+1){1'b1}} << ({1'b0, 5'd15} + {1'b0, shift});
    m32_reg <= {(ACC_W+1){1'b1}} << ({1'b0, 5'd31} + {1'b0, shift});
    for (l = 0; l < LANES; l = l + 1) begin
        r1_t[(ACC_W+1)*l +: ACC_W+1] <= {o_acc[ACC_W*l+ACC_W-1], o_acc[ACC_W*l +: ACC_W]} + rnd_s_reg;
        r2_t[(ACC_W+1)*l +: ACC_W+1] <=
            $signed(r1_t[(ACC_W+1)*l +: ACC_W+1]) >>> {shift[4:2], 2'b00};
        r2_one[l] <= fits_one(r1_t[(ACC_W+1)*l +: ACC_W+1], m16_reg);
        r2_zero[l] <= fits_zero(r1_t[(ACC_W+1)*l +: ACC_W+1], m16_reg);
        y[16*l +: 16] <=
            sat_relu16(r2_t[(ACC_W+1)*l +: ACC_W+1], shift[1:0], r2_one[l], r2_zero[l],
                       relu && is_fwd);
    end
    rnd_b_reg <= rnd66(lr_shift_b);
    // R1, R2: a result's fields and its bias sum's rounding add and shift (WGRAD)
    wv_reg <= {wv_reg[0], o_valid};
    wones_reg <= {wones_reg[0], o_ones};
    wbsum_reg <= {wbsum_reg[0], o_bsum};
    wa_reg <= {wa_reg[WAW-1:0], o_a};
    wog_reg <= {wog_reg[15:0], o_og};
    b1_t_reg <= b_sum;
    b2_t_reg <= b1_t_reg >>> {shift[4:2], 2'b00};
    b2_one_reg <= fits_one(b1_t_reg, m32_reg);
    b2_zero_reg <= fits_zero(b1_t_reg, m32_reg);
    g1_t_reg <= g_sum;
    g2_t_reg <= g1_t_reg >>> {shift[4:2], 2'b00};
    g2_one_reg <= fits_one(g1_t_reg, m32_reg);
    g2_zero_reg <= fits_zero(g1_t_reg, m32_reg);
    q_valid_reg <= q_valid_next;
    q_ones_reg <= q_ones_next;
    q_bsum_reg <= q_bsum_next;
    q_a_reg <= q_a_next;
    q_og_reg <= q_og_next;
    q_g_reg <= q_g_next;
    q_bg_reg <= q_bg_next;
    q_rd_reg <= grad_rd_data;
    q_brd_reg <= bgrad_rd_data;

    if (rst) begin
        u1_valid_reg <= 1'b0;
        u2_valid_reg <= 1'b0;
        uv_reg <= 5'd0;
        wv_reg <= 2'd0;
        rv_reg <= 3'd0;
        q_valid_reg <= 1'b0;
    end
end

`undef ACCEL_DEFS_VH
endmodule

`resetall
