/*
 * UC unit write-back and update: the end of uc_unit's pipeline (docs/uc_unit.md).
 *
 *   P8  FWD / BWD_DATA: requantize the LANES accumulators (round half up, saturate, ReLU in FWD)
 *       and write them as one masked stack vector (port B). WGRAD: the weight gradient
 *       sat32(round_shift(acc, shift)) (and the bias gradient); read the gradient memories
 *   P9  WGRAD: add into the gradient memories (gacc) or overwrite them
 *   UPDATE, one weight (or a channel's bias) an item: read w, g at stage I; U1 (= P1): the data
 *       arrive, step = round_shift(g * lr, lr_shift) (one multiply); U2: w <- sat(w - step),
 *       g <- 0
 *
 * Parameters:
 *   LANES  MAC lanes (power of two)
 *   FM_AW  stack word address width
 *   WAW    weight / index / gradient memory address width
 *   BAW    bias memory address width
 *
 * Latency: P8 writes the stack the cycle a result arrives; WGRAD writes the gradients one cycle
 * later (P9); UPDATE writes two cycles after its item (U2). No stall.
 */

`resetall
`timescale 1ns / 1ps
`default_nettype none

module uc_wb #
(
    // MAC lanes (power of two)
    parameter LANES = 8,
    // stack word address width
    parameter FM_AW = 12,
    // weight / index / gradient memory address width
    parameter WAW = 16,
    // bias memory address width
    parameter BAW = 10
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
    input  wire signed [ACC_W-1:0]  o_bacc,
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

// ------------------------------------------------------------------------------ registers
// U1 (= P1): UPDATE data arrive
reg             u1_valid_reg, u1_valid_next;
// U2: UPDATE write back
reg             u2_valid_reg, u2_valid_next, u2_ones_reg, u2_ones_next;
reg [WAW-1:0]   u2_a_reg, u2_a_next;
reg [15:0]      u2_og_reg, u2_og_next;
reg signed [65:0] u2_w_reg, u2_w_next, u2_step_reg, u2_step_next;
// P9: WGRAD gradient read-modify-write
reg             q_valid_reg, q_valid_next, q_ones_reg, q_ones_next, q_bsum_reg, q_bsum_next;
reg [WAW-1:0]   q_a_reg, q_a_next;
reg [15:0]      q_og_reg, q_og_next;
reg [31:0]      q_g_reg, q_g_next, q_bg_reg, q_bg_next;

reg [LANES*16-1:0] y;           // P8: the requantized vector

assign busy = u1_valid_reg || u2_valid_reg || q_valid_reg;

// ------------------------------------------------------------------------ memory addresses
/* verilator lint_off UNUSEDSIGNAL */
wire [31:0] i_bias_addr = bias_base + {16'd0, i_og};
wire [31:0] o_bias_addr = bias_base + {16'd0, o_og};
wire [31:0] q_bias_addr = bias_base + {16'd0, q_og_reg};
wire [31:0] u2_bias_addr = bias_base + {16'd0, u2_og_reg};
/* verilator lint_on UNUSEDSIGNAL */

assign upd_wgt_rd_en = i_valid && !i_ones;
assign upd_wgt_rd_addr = i_a;
assign upd_bias_rd_en = i_valid && i_ones;
assign upd_bias_rd_addr = i_bias_addr[BAW-1:0];
assign grad_rd_en = is_update ? (i_valid && !i_ones) : (o_valid && !o_ones);
assign grad_rd_addr = is_update ? i_a : o_a;
assign bgrad_rd_en = is_update ? (i_valid && i_ones) : (o_valid && o_bsum);
assign bgrad_rd_addr = is_update ? i_bias_addr[BAW-1:0] : o_bias_addr[BAW-1:0];

// ------------------------------------------------------------------------ P8: stack write
assign fmb_wr_en = o_valid && (is_fwd || is_bwd);
assign fmb_we = !is_wgrad && o_valid;
assign fmb_wr_row = o_orow;
assign fmb_wr_x = o_x0;
assign fmb_wdata = y;
assign fmb_wmask = o_omask;

// ------------------------------------------------------------------------ write data
// P9: WGRAD add into (gacc) or overwrite the gradient memories
wire [31:0] q_new = gacc ? sat32({{34{grad_rd_data[31]}}, grad_rd_data} + {{34{q_g_reg[31]}}, q_g_reg})
                         : q_g_reg;
wire [31:0] q_bnew = gacc ? sat32({{34{bgrad_rd_data[31]}}, bgrad_rd_data} +
                                  {{34{q_bg_reg[31]}}, q_bg_reg})
                          : q_bg_reg;
// U2: w - step, saturated to the weight (16 bits) or bias (32 bits) word
wire signed [65:0] u2_new = u2_w_reg - u2_step_reg;

assign wgt_wr_en = u2_valid_reg && !u2_ones_reg;
assign wgt_wr_addr = u2_a_reg;
assign wgt_wr_data = sat16(u2_new);
assign grad_wr_en = (u2_valid_reg && !u2_ones_reg) || (q_valid_reg && !q_ones_reg);
assign grad_wr_addr = u2_valid_reg ? u2_a_reg : q_a_reg;
assign grad_wr_data = u2_valid_reg ? 32'd0 : q_new;
assign bias_wr_en = u2_valid_reg && u2_ones_reg;
assign bias_wr_addr = u2_bias_addr[BAW-1:0];
assign bias_wr_data = sat32(u2_new);
assign bgrad_wr_en = (u2_valid_reg && u2_ones_reg) || (q_valid_reg && q_bsum_reg);
assign bgrad_wr_addr = u2_valid_reg ? u2_bias_addr[BAW-1:0] : q_bias_addr[BAW-1:0];
assign bgrad_wr_data = u2_valid_reg ? 32'd0 : q_bnew;

// ------------------------------------------------------------------------ next state
// U1: |g * lr| < 2^31 * 2^16: the product is exact in 49 bits (2 DSPs, not 4 for a 66-bit
// one); muxed at 32 bits, so the sign extension stays visible to synthesis
wire [31:0] u1_g = p1_ones ? bgrad_rd_data : grad_rd_data;
wire [15:0] u1_lr = p1_ones ? lr_mult_b : lr_mult;
wire signed [48:0] u1_prod = $signed({{17{u1_g[31]}}, u1_g}) * $signed({33'd0, u1_lr});
// P8: WGRAD's gradient is lane 0's accumulator
wire signed [65:0] acc0 = {{(66-ACC_W){o_acc[ACC_W-1]}}, o_acc[ACC_W-1:0]};

integer l;
always @* begin
    // P8: requantize every lane (ReLU in FWD)
    for (l = 0; l < LANES; l = l + 1) begin
        y[16*l +: 16] = requant16(o_acc[ACC_W*l +: ACC_W], shift, relu && is_fwd);
    end
    q_valid_next = o_valid && is_wgrad;
    q_ones_next = o_ones;
    q_bsum_next = o_bsum;
    q_a_next = o_a;
    q_og_next = o_og;
    q_g_next = sat32(rshift66(acc0, {1'b0, shift}));
    q_bg_next = sat32(rshift66({{(66-ACC_W){o_bacc[ACC_W-1]}}, o_bacc}, {1'b0, shift}));

    // U1 -> U2: step = round_shift(g * lr, lr_shift); the weight (or bias) read with it
    u1_valid_next = i_valid && is_update;
    u2_valid_next = u1_valid_reg;
    u2_ones_next = p1_ones;
    u2_a_next = p1_a;
    u2_og_next = p1_og;
    u2_step_next = rshift66({{17{u1_prod[48]}}, u1_prod}, p1_ones ? lr_shift_b : lr_shift);
    u2_w_next = p1_ones ? {{34{bias_rd_data[31]}}, bias_rd_data} : {{50{wgt_rd_data[15]}}, wgt_rd_data};
end

// ------------------------------------------------------------------------------ registers
always @(posedge clk) begin
    u1_valid_reg <= u1_valid_next;
    u2_valid_reg <= u2_valid_next;
    u2_ones_reg <= u2_ones_next;
    u2_a_reg <= u2_a_next;
    u2_og_reg <= u2_og_next;
    u2_w_reg <= u2_w_next;
    u2_step_reg <= u2_step_next;
    q_valid_reg <= q_valid_next;
    q_ones_reg <= q_ones_next;
    q_bsum_reg <= q_bsum_next;
    q_a_reg <= q_a_next;
    q_og_reg <= q_og_next;
    q_g_reg <= q_g_next;
    q_bg_reg <= q_bg_next;

    if (rst) begin
        u1_valid_reg <= 1'b0;
        u2_valid_reg <= 1'b0;
        q_valid_reg <= 1'b0;
    end
end

`undef ACCEL_DEFS_VH
endmodule

`resetall
