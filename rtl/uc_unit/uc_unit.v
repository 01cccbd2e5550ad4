/*
 * Universal Convolution (UC) unit: one sparse MAC datapath for the forward pass (FWD), the input
 * gradient (BWD_DATA), the sparse weight gradient (WGRAD) and the SGD update (UPDATE).
 *
 * LANES MACs work on one non-zero weight and LANES neighbouring pixels of one row; only the item
 * generator and the address stage change between modes. See docs/uc_unit.md for the lane mapping,
 * the command and status fields and the memory layouts; numerics follow docs/numerics.md.
 *
 * Parameters:
 *   LANES     MAC lanes (power of two)
 *   KMAX      largest kernel size
 *   CMAX      largest input channel count
 *   NMAX      largest output channel count
 *   HMAX      largest map height
 *   WMAX      largest map width
 *   FM_DEPTH  stack words per bank
 *   WDEPTH    weight / index / gradient memory depth
 *   PDEPTH    pointer memory depth
 *   BDEPTH    bias / bias-gradient memory depth
 *
 * Latency: a command is checked (4 cycles), its lists pre-scanned (pointers + non-zeros cycles),
 * then one item enters the pipeline per cycle; the last result is written about 10 cycles after
 * the last item. The response carries the status and the cycle count from accept to response.
 * Memories are external with 1-cycle reads; the stack (fm_stack) has 2-cycle reads.
 */

`resetall
`timescale 1ns / 1ps
`default_nettype none

module uc_unit #
(
    // MAC lanes (power of two)
    parameter LANES = 8,
    // largest kernel size
    parameter KMAX = 11,
    // largest input channel count
    parameter CMAX = 256,
    // largest output channel count
    parameter NMAX = 256,
    // largest map height
    parameter HMAX = 256,
    // largest map width
    parameter WMAX = 256,
    // stack words per bank
    parameter FM_DEPTH = 4096,
    // weight / index / gradient memory depth
    parameter WDEPTH = 65536,
    // pointer memory depth
    parameter PDEPTH = 1024,
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
    input  wire [15:0]              s_cmd_h,
    input  wire [15:0]              s_cmd_w,
    input  wire [7:0]               s_cmd_k,
    input  wire [7:0]               s_cmd_stride,
    input  wire [7:0]               s_cmd_dil,
    input  wire [7:0]               s_cmd_pad,
    input  wire [7:0]               s_cmd_shift,
    input  wire                     s_cmd_relu,
    input  wire                     s_cmd_bgrad,
    input  wire                     s_cmd_gacc,
    input  wire [31:0]              s_cmd_x_base,
    input  wire [31:0]              s_cmd_y_base,
    input  wire [31:0]              s_cmd_fptr_base,
    input  wire [31:0]              s_cmd_bptr_base,
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

    // stack port A: vector read
    output wire                     fma_en,
    output wire [FM_AW-1:0]         fma_row,
    output wire signed [XW-1:0]     fma_x,
    output wire                     fma_s2,
    input  wire [LANES*16-1:0]      fma_rdata,

    // stack port B: vector read (WGRAD dY) or masked write (FWD Y, BWD_DATA dX)
    output wire                     fmb_en,
    output wire                     fmb_we,
    output wire [FM_AW-1:0]         fmb_row,
    output wire signed [XW-1:0]     fmb_x,
    output wire                     fmb_s2,
    output wire [LANES*16-1:0]      fmb_wdata,
    output wire [LANES-1:0]         fmb_wmask,
    input  wire [LANES*16-1:0]      fmb_rdata,

    // weight memory
    output wire                     wgt_rd_en,
    output wire [WAW-1:0]           wgt_rd_addr,
    input  wire [15:0]              wgt_rd_data,
    output wire                     wgt_wr_en,
    output wire [WAW-1:0]           wgt_wr_addr,
    output wire [15:0]              wgt_wr_data,

    // forward and backward index memories, pointer memory
    output wire                     fidx_rd_en,
    output wire [WAW-1:0]           fidx_rd_addr,
    input  wire [FIDX_W-1:0]        fidx_rd_data,
    output wire                     bidx_rd_en,
    output wire [WAW-1:0]           bidx_rd_addr,
    input  wire [BIDX_W-1:0]        bidx_rd_data,
    output wire                     ptr_rd_en,
    output wire [PAW-1:0]           ptr_rd_addr,
    input  wire [PTR_W-1:0]         ptr_rd_data,

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
localparam BANKS = 2 * LANES;
localparam LOG_L = $clog2(LANES);
localparam FM_AW = $clog2(FM_DEPTH);
localparam WAW = $clog2(WDEPTH);
localparam PAW = $clog2(PDEPTH);
localparam BAW = $clog2(BDEPTH);
localparam K_W = (KMAX > 1) ? $clog2(KMAX) : 1;
localparam C_W = (CMAX > 1) ? $clog2(CMAX) : 1;
localparam N_W = (NMAX > 1) ? $clog2(NMAX) : 1;
localparam CNT_W = WAW + 1;
localparam FIDX_W = 2 * K_W + C_W;
localparam BIDX_W = 2 * K_W + N_W + WAW;
localparam PTR_W = WAW + CNT_W;
// signed pixel coordinates: maps up to 2^16 wide plus padding
localparam XW = 20;
localparam ACC_W = 48;

// limits as 32-bit vectors, for width-exact comparisons
localparam [31:0] CMAX_32 = CMAX, NMAX_32 = NMAX, HMAX_32 = HMAX, WMAX_32 = WMAX, KMAX_32 = KMAX;
localparam [31:0] FM_DEPTH_32 = FM_DEPTH, WDEPTH_32 = WDEPTH, PDEPTH_32 = PDEPTH, BDEPTH_32 = BDEPTH;

localparam [2:0] MODE_FWD = 3'd0, MODE_BWD = 3'd1, MODE_WGRAD = 3'd2, MODE_UPDATE = 3'd3;

localparam [3:0] ST_OK = 4'd0, ST_BAD_MODE = 4'd1, ST_BAD_SHAPE = 4'd2, ST_BAD_GEOMETRY = 4'd3,
                 ST_BAD_BUFFER = 4'd4, ST_BAD_LIST = 4'd5, ST_BAD_INDEX = 4'd6;

localparam [2:0] S_IDLE = 3'd0, S_CHECK = 3'd1, S_SCAN = 3'd2, S_RUN = 3'd3, S_DRAIN = 3'd4,
                 S_RESP = 3'd5;

// ------------------------------------------------------------------------- numeric helpers
// requantize to 16 bits: round half up, saturate, optional ReLU
function [15:0] requant16;
    input signed [ACC_W-1:0] a;
    input [4:0] sh;
    input relu;
    reg signed [ACC_W:0] t;
    begin
        t = {a[ACC_W-1], a};
        if (sh != 5'd0) begin
            // signed operands throughout, so >>> is arithmetic
            t = (t + $signed({{ACC_W{1'b0}}, 1'b1} << (sh - 5'd1))) >>> sh;
        end
        if (t > 32767) begin
            requant16 = 16'h7fff;
        end else if (t < -32768) begin
            requant16 = 16'h8000;
        end else begin
            requant16 = t[15:0];
        end
        if (relu && requant16[15]) begin
            requant16 = 16'd0;
        end
    end
endfunction

// saturate a wide signed value to 32 bits
function [31:0] sat32;
    input signed [65:0] v;
    begin
        if (v > 66'sd2147483647) begin
            sat32 = 32'h7fffffff;
        end else if (v < -66'sd2147483648) begin
            sat32 = 32'h80000000;
        end else begin
            sat32 = v[31:0];
        end
    end
endfunction

// round_shift(a, sh) for sh 0..63 on a 66-bit signed value
function signed [65:0] rshift66;
    input signed [65:0] a;
    input [5:0] sh;
    begin
        if (sh == 6'd0) begin
            rshift66 = a;
        end else begin
            rshift66 = (a + $signed({{65{1'b0}}, 1'b1} << (sh - 6'd1))) >>> sh;
        end
    end
endfunction

// x * d for d = dil in 0..7 (the check rejects dil outside 1..4 before any product is used):
// shift-and-add, so no DSP is spent on it; exact modulo 2^16 like a 16-bit product
function [15:0] mul_dil;
    input [15:0] x;
    input [2:0] d;
    begin
        mul_dil = (d[0] ? x : 16'd0) + (d[1] ? {x[14:0], 1'b0} : 16'd0) +
                  (d[2] ? {x[13:0], 2'b00} : 16'd0);
    end
endfunction

// ------------------------------------------------------------------------------ control
reg [2:0]  state_reg;
reg [3:0]  status_reg;
reg [31:0] cycles_reg;
reg [2:0]  chk_step_reg;

// command, latched at accept
reg [2:0]  mode_reg;
reg [15:0] c_reg, n_reg, h_reg, w_reg;
reg [7:0]  k_reg, stride_reg, dil_reg, pad_reg, shift_reg;
reg        relu_reg, bgrad_reg, gacc_reg;
reg [31:0] x_base_reg, y_base_reg, fptr_base_reg, bptr_base_reg, bias_base_reg;
reg [15:0] lr_mult_reg, lr_mult_b_reg;
reg [5:0]  lr_shift_reg, lr_shift_b_reg;

// derived at check time
reg signed [XW-1:0] num_h_reg, num_w_reg;
reg [15:0] ho_reg, wo_reg;
reg [15:0] rw_x_reg, rw_y_reg;    // stack words per row of X-side / Y-side maps
reg [31:0] plane_x_reg, plane_y_reg;
reg [33:0] size_x_reg, size_y_reg;
reg [15:0] ngrp_reg;              // vectors per row

wire s2 = (stride_reg == 8'd2);
wire is_fwd = (mode_reg == MODE_FWD);
wire is_bwd = (mode_reg == MODE_BWD);
wire is_wgrad = (mode_reg == MODE_WGRAD);
wire is_update = (mode_reg == MODE_UPDATE);

assign s_cmd_ready = (state_reg == S_IDLE);
assign m_rsp_valid = (state_reg == S_RESP);
assign m_rsp_status = status_reg;
assign m_rsp_cycles = cycles_reg;
assign busy = (state_reg != S_IDLE);

// ------------------------------------------------------------------------------- prescan
reg [1:0]       scan_phase_reg;
reg [15:0]      scan_p_reg;
reg [CNT_W-1:0] scan_a_reg, scan_end_reg;
reg             scan_chk_reg;      // an index read is in flight: check its data this cycle

wire [15:0] n_ptrs = is_bwd ? c_reg : n_reg;
wire [31:0] ptr_base = is_bwd ? bptr_base_reg : fptr_base_reg;

wire [WAW-1:0]   ptr_start = ptr_rd_data[WAW-1:0];
wire [CNT_W-1:0] ptr_count = ptr_rd_data[PTR_W-1:WAW];
wire [CNT_W:0]   ptr_end = {1'b0, ptr_start} + {1'b0, ptr_count};

// index fields
wire [K_W-1:0] fi_kx = fidx_rd_data[K_W-1:0];
wire [K_W-1:0] fi_ky = fidx_rd_data[2*K_W-1:K_W];
wire [C_W-1:0] fi_c = fidx_rd_data[2*K_W +: C_W];
wire [K_W-1:0] bi_kx = bidx_rd_data[K_W-1:0];
wire [K_W-1:0] bi_ky = bidx_rd_data[2*K_W-1:K_W];
wire [N_W-1:0] bi_n = bidx_rd_data[2*K_W +: N_W];
wire [WAW-1:0] bi_waddr = bidx_rd_data[2*K_W+N_W +: WAW];

wire idx_bad = is_bwd ?
    ({{(8-K_W){1'b0}}, bi_kx} >= k_reg || {{(8-K_W){1'b0}}, bi_ky} >= k_reg ||
     {{(17-N_W){1'b0}}, bi_n} >= {1'b0, n_reg} || {{(32-WAW){1'b0}}, bi_waddr} >= WDEPTH_32) :
    ({{(8-K_W){1'b0}}, fi_kx} >= k_reg || {{(8-K_W){1'b0}}, fi_ky} >= k_reg ||
     {{(17-C_W){1'b0}}, fi_c} >= {1'b0, c_reg});

// ---------------------------------------------------------------------- item generator
reg [1:0]       g_phase_reg;
reg [15:0]      g_og_reg;           // outer loop: n (FWD, WGRAD, UPDATE) or c (BWD_DATA)
reg [WAW-1:0]   g_start_reg;
reg [CNT_W-1:0] g_count_reg;
reg [CNT_W-1:0] g_j_reg;
reg             g_bitem_reg;        // WGRAD: a bias-gradient pseudo entry (empty filter) is next
reg             g_first_reg;        // the next item is the first of this outer-loop channel
reg             g_pref_pend_reg;    // next channel's pointer (and bias) read in flight
reg             g_pref_valid_reg;   // next channel's pointer (and bias) held below
reg [WAW-1:0]   g_nstart_reg;
reg [CNT_W-1:0] g_ncount_reg;
reg [31:0]      g_nbias_reg;
reg [15:0]      g_y_reg, g_xg_reg;
reg [31:0]      g_orow_reg;         // stack word of the output row being produced (WGRAD: dY row)
reg [31:0]      g_obase_reg;        // WGRAD: stack word of this filter's first dY row
reg [31:0]      g_bias_reg;

// item (pipeline stage 0)
reg             i_valid;
reg             i_first, i_last, i_zero, i_ones, i_bsum;
reg [WAW-1:0]   i_a;
reg [15:0]      i_og, i_y, i_x0;
reg [31:0]      i_orow, i_bias;
reg [LANES-1:0] i_omask;

wire [15:0] ny = is_bwd ? h_reg : ho_reg;
wire g_last_j = (g_count_reg == {CNT_W{1'b0}}) || (g_j_reg == g_count_reg - 1'b1);
wire g_last_xg = (g_xg_reg == ngrp_reg - 1'b1);
wire g_last_y = (g_y_reg == ny - 1'b1);
wire g_last_og = (g_og_reg == n_ptrs - 1'b1);
// the item leaving the generator now is the last one of this channel
wire g_end_og = is_update ? (g_j_reg == g_count_reg) :
                is_wgrad ? (g_last_xg && g_last_y && (g_bitem_reg || g_last_j)) :
                (g_last_j && g_last_xg && g_last_y);
// prefetch the next channel's pointer (and bias) while this channel's first item goes out
wire g_pref_issue = running && g_phase_reg == 2'd2 && g_first_reg && !g_last_og;
// next channel's pointer and bias: held, or arriving this cycle
wire [WAW-1:0]   g_nstart = g_pref_valid_reg ? g_nstart_reg : ptr_start;
wire [CNT_W-1:0] g_ncount = g_pref_valid_reg ? g_ncount_reg : ptr_count;
wire [31:0]      g_nbias = g_pref_valid_reg ? g_nbias_reg : bias_rd_data;
wire [15:0] g_x0 = (is_bwd && s2) ? (((g_xg_reg >> 1) << (LOG_L + 1)) | {15'd0, g_xg_reg[0]})
                                   : (g_xg_reg << LOG_L);

reg [LANES-1:0] g_omask;
integer gl;
always @* begin
    for (gl = 0; gl < LANES; gl = gl + 1) begin
        if (is_bwd) begin
            // stride as a choice of two constants, not a multiply: Yosys kept (s2 ? 2 : 1) * gl as one
            // multiplier per lane in the flattened top
            g_omask[gl] = ({16'd0, g_x0} + (s2 ? 32'd2 * gl : 32'd1 * gl)) < {16'd0, w_reg};
        end else begin
            g_omask[gl] = ({16'd0, g_x0} + gl) < {16'd0, wo_reg};
        end
    end
end

// ---------------------------------------------------------------------------- pipeline
// P1: index data arrives
reg             p1_valid, p1_first, p1_last, p1_zero, p1_ones, p1_bsum;
reg [WAW-1:0]   p1_a;
reg [15:0]      p1_og, p1_y, p1_x0;
reg [31:0]      p1_orow, p1_bias;
reg [LANES-1:0] p1_omask;
// P2: weight data arrives
reg             p2_valid, p2_first, p2_last, p2_zero, p2_ones, p2_bsum, p2_par_ok;
reg [WAW-1:0]   p2_a;
reg [15:0]      p2_og, p2_x0, p2_rch;
reg signed [XW-1:0] p2_ry, p2_rx;
reg [31:0]      p2_orow, p2_bias;
reg [LANES-1:0] p2_omask;
// P3: row index known
reg             p3_valid, p3_first, p3_last, p3_ones, p3_bsum, p3_row_ok;
reg [WAW-1:0]   p3_a;
reg [15:0]      p3_og, p3_x0;
reg signed [XW-1:0] p3_rx;
reg [31:0]      p3_r, p3_orow, p3_bias;
reg signed [15:0] p3_w;
reg [LANES-1:0] p3_omask;
// P4..P6: stack read in flight
reg             p4_valid, p4_first, p4_last, p4_ones, p4_bsum;
reg [WAW-1:0]   p4_a;
reg [15:0]      p4_og, p4_x0;
reg signed [XW-1:0] p4_rx;
reg [FM_AW-1:0] p4_addr, p4_addr2;
reg [31:0]      p4_orow, p4_bias;
reg signed [15:0] p4_w;
reg [LANES-1:0] p4_mask, p4_omask;
reg             p5_valid, p5_first, p5_last, p5_ones, p5_bsum;
reg [WAW-1:0]   p5_a;
reg [15:0]      p5_og, p5_x0;
reg [31:0]      p5_orow, p5_bias;
reg signed [15:0] p5_w;
reg [LANES-1:0] p5_mask, p5_omask;
reg             p6_valid, p6_first, p6_last, p6_ones, p6_bsum;
reg [WAW-1:0]   p6_a;
reg [15:0]      p6_og, p6_x0;
reg [31:0]      p6_orow, p6_bias;
reg signed [15:0] p6_w;
reg [LANES-1:0] p6_mask, p6_omask;
// P7: products
reg             p7_valid, p7_first, p7_last, p7_ones, p7_bsum;
reg [WAW-1:0]   p7_a;
reg [15:0]      p7_og, p7_x0;
reg [31:0]      p7_orow, p7_bias;
reg [LANES-1:0] p7_omask;
reg [LANES*32-1:0] p7_prod;
reg [LANES*16-1:0] p7_dyb;          // WGRAD: dY lanes for the bias-gradient sum
// accumulators
reg [LANES*ACC_W-1:0] acc_reg;
reg signed [ACC_W-1:0] acc_b_reg;   // WGRAD: bias-gradient sum
// P8: finished vector (FWD/BWD_DATA) or finished gradient (WGRAD)
reg             o_valid, o_ones, o_bsum;
reg signed [ACC_W-1:0] o_bacc;
reg [WAW-1:0]   o_a;
reg [15:0]      o_og, o_x0;
/* verilator lint_off UNUSEDSIGNAL */
reg [31:0]      o_orow;             // only the low FM_AW bits address the stack
/* verilator lint_on UNUSEDSIGNAL */
reg [LANES-1:0] o_omask;
reg [LANES*ACC_W-1:0] o_acc;
// P9: WGRAD gradient read-modify-write
reg             q_valid, q_ones, q_bsum;
reg [31:0]      q_bg;
reg [WAW-1:0]   q_a;
reg [15:0]      q_og;
reg [31:0]      q_g;
// UPDATE: U1 data arrives, U2 write
reg             u2_valid, u2_ones;
reg [WAW-1:0]   u2_a;
reg [15:0]      u2_og;
reg signed [65:0] u2_w, u2_step;

wire pipe_busy = i_valid | p1_valid | p2_valid | p3_valid | p4_valid | p5_valid | p6_valid |
                 p7_valid | o_valid | q_valid | u2_valid;

// ---------------------------------------------------------------- memory read addresses
wire scanning = (state_reg == S_SCAN);
wire running = (state_reg == S_RUN);

wire scan_upd_issue = scanning && is_update && scan_p_reg != n_ptrs;
assign ptr_rd_en = (scanning && scan_phase_reg == 2'd0) || scan_upd_issue ||
                   (running && g_phase_reg == 2'd0) || g_pref_issue;
assign ptr_rd_addr = scanning ? (ptr_base[PAW-1:0] + scan_p_reg[PAW-1:0]) :
                     g_pref_issue ? (ptr_base[PAW-1:0] + g_og_reg[PAW-1:0] + 1'b1) :
                                    (ptr_base[PAW-1:0] + g_og_reg[PAW-1:0]);

wire scan_issue = scanning && scan_phase_reg == 2'd2;
assign fidx_rd_en = (scan_issue && !is_bwd) || (i_valid && !is_bwd && !is_update);
assign bidx_rd_en = (scan_issue && is_bwd) || (i_valid && is_bwd);
assign fidx_rd_addr = scanning ? scan_a_reg[WAW-1:0] : i_a;
assign bidx_rd_addr = scanning ? scan_a_reg[WAW-1:0] : i_a;

assign wgt_rd_en = is_update ? (i_valid && !i_ones) : (p1_valid && !p1_zero && !p1_ones);
assign wgt_rd_addr = is_update ? i_a : (is_bwd ? bi_waddr : p1_a);

assign grad_rd_en = is_update ? (i_valid && !i_ones) : (o_valid && !o_ones);
assign grad_rd_addr = is_update ? i_a : o_a;

/* verilator lint_off UNUSEDSIGNAL */
wire [31:0] i_bias_addr = bias_base_reg + {16'd0, i_og};
wire [31:0] o_bias_addr = bias_base_reg + {16'd0, o_og};
wire [31:0] g_bias_addr = bias_base_reg + {16'd0, g_og_reg};
/* verilator lint_on UNUSEDSIGNAL */
assign bias_rd_en = is_update ? (i_valid && i_ones) :
                    (is_fwd && ((running && g_phase_reg == 2'd0) || g_pref_issue));
assign bias_rd_addr = is_update ? i_bias_addr[BAW-1:0] :
                      g_pref_issue ? g_bias_addr[BAW-1:0] + 1'b1 : g_bias_addr[BAW-1:0];
assign bgrad_rd_en = is_update ? (i_valid && i_ones) : (o_valid && o_bsum);
assign bgrad_rd_addr = is_update ? i_bias_addr[BAW-1:0] : o_bias_addr[BAW-1:0];

// ------------------------------------------------------------------------ P1 decode
// dilated kernel offsets: dil_reg is 1..4 whenever an item is in the pipeline
/* verilator lint_off UNUSEDSIGNAL */
wire [15:0] kxd_full = mul_dil(is_bwd ? {{(16-K_W){1'b0}}, bi_kx} : {{(16-K_W){1'b0}}, fi_kx}, dil_reg[2:0]);
wire [15:0] kyd_full = mul_dil(is_bwd ? {{(16-K_W){1'b0}}, bi_ky} : {{(16-K_W){1'b0}}, fi_ky}, dil_reg[2:0]);
/* verilator lint_on UNUSEDSIGNAL */
wire [7:0] kxd = kxd_full[7:0];
wire [7:0] kyd = kyd_full[7:0];
reg signed [XW-1:0] c1_ry, c1_rx;
reg c1_par_ok;
reg [15:0] c1_rch;
reg signed [XW-1:0] yn, xn;
always @* begin
    yn = 0;
    xn = 0;
    if (is_bwd) begin
        // input-gradient pixel y reads dY row (y + pad - ky*d) / s when that is whole
        yn = $signed({4'd0, p1_y}) + $signed({12'd0, pad_reg}) - $signed({12'd0, kyd});
        xn = $signed({4'd0, p1_x0}) + $signed({12'd0, pad_reg}) - $signed({12'd0, kxd});
        c1_par_ok = !s2 || (!yn[0] && !xn[0]);
        c1_ry = s2 ? (yn >>> 1) : yn;
        c1_rx = s2 ? (xn >>> 1) : xn;
        c1_rch = {{(16-N_W){1'b0}}, bi_n};
    end else begin
        c1_par_ok = 1'b1;
        c1_ry = $signed({4'd0, s2 ? {p1_y[14:0], 1'b0} : p1_y}) - $signed({12'd0, pad_reg}) +
                $signed({12'd0, kyd});
        c1_rx = $signed({4'd0, s2 ? {p1_x0[14:0], 1'b0} : p1_x0}) - $signed({12'd0, pad_reg}) +
                $signed({12'd0, kxd});
        c1_rch = {{(16-C_W){1'b0}}, fi_c};
    end
end

// ----------------------------------------------------------------- P3 lane masks
wire [15:0] rd_rows = is_bwd ? ho_reg : h_reg;
wire [15:0] rd_w = is_bwd ? wo_reg : w_reg;
wire [15:0] rd_rw = is_bwd ? rw_y_reg : rw_x_reg;
wire [31:0] rd_base = is_bwd ? y_base_reg : x_base_reg;
wire        rd_s2 = s2 && !is_bwd;

reg [LANES-1:0] c3_mask;
reg signed [XW-1:0] c3_xl;
integer ml;
always @* begin
    for (ml = 0; ml < LANES; ml = ml + 1) begin
        /* verilator lint_off WIDTH */
        c3_xl = p3_rx + (rd_s2 ? 2 * ml : ml);
        /* verilator lint_on WIDTH */
        c3_mask[ml] = p3_omask[ml] && !p3_ones && p3_row_ok && c3_xl >= 0 &&
                      c3_xl < $signed({4'd0, rd_w});
    end
end

/* verilator lint_off UNUSEDSIGNAL */
wire [31:0] c3_addr = rd_base + p3_r * {16'd0, rd_rw};
/* verilator lint_on UNUSEDSIGNAL */

// ------------------------------------------------------------------- P6 products
reg [LANES*32-1:0] c6_prod;
reg [LANES*16-1:0] c6_dyb;
integer bl;
always @* begin
    for (bl = 0; bl < LANES; bl = bl + 1) begin
        c6_dyb[16*bl +: 16] = p6_omask[bl] ? fmb_rdata[16*bl +: 16] : 16'd0;
    end
end
reg signed [15:0] c6_x, c6_m;
reg signed [31:0] c6_p;
integer pl;
always @* begin
    for (pl = 0; pl < LANES; pl = pl + 1) begin
        // one multiplier (one DSP) per lane: x * w in FWD / BWD_DATA, x * dY in WGRAD.
        // Every operand stays signed: a part-select (or an unsigned branch) would make it unsigned.
        c6_x = fma_rdata[16*pl +: 16];
        c6_m = is_wgrad ? $signed(fmb_rdata[16*pl +: 16]) : p6_w;
        c6_p = c6_x * c6_m;
        c6_prod[32*pl +: 32] = p6_mask[pl] ? c6_p : 32'd0;
    end
end

// ----------------------------------------------------------------- P7 accumulate
reg [LANES*ACC_W-1:0] c7_acc;
reg signed [ACC_W-1:0] c7_sum;
reg signed [ACC_W-1:0] c7_bsum, c7_bacc;
integer al;
always @* begin
    c7_sum = 0;
    c7_bsum = 0;
    for (al = 0; al < LANES; al = al + 1) begin
        c7_sum = c7_sum + {{(ACC_W-32){p7_prod[32*al+31]}}, p7_prod[32*al +: 32]};
        c7_bsum = c7_bsum + {{(ACC_W-16){p7_dyb[16*al+15]}}, p7_dyb[16*al +: 16]};
    end
    c7_bacc = (p7_first ? {ACC_W{1'b0}} : acc_b_reg) + c7_bsum;
    c7_acc = acc_reg;
    if (is_wgrad) begin
        c7_acc[ACC_W-1:0] = (p7_first ? {ACC_W{1'b0}} : acc_reg[ACC_W-1:0]) + c7_sum;
    end else begin
        for (al = 0; al < LANES; al = al + 1) begin
            c7_acc[ACC_W*al +: ACC_W] =
                (p7_first ? {{(ACC_W-32){p7_bias[31]}}, p7_bias} : acc_reg[ACC_W*al +: ACC_W]) +
                {{(ACC_W-32){p7_prod[32*al+31]}}, p7_prod[32*al +: 32]};
        end
    end
end

// -------------------------------------------------------------------- P8 outputs
reg [LANES*16-1:0] c8_y;
integer ol;
always @* begin
    for (ol = 0; ol < LANES; ol = ol + 1) begin
        c8_y[16*ol +: 16] = requant16(o_acc[ACC_W*ol +: ACC_W], shift_reg[4:0], relu_reg && is_fwd);
    end
end

wire signed [65:0] o_acc0_wide = {{(66-ACC_W){o_acc[ACC_W-1]}}, o_acc[ACC_W-1:0]};
wire [31:0] c8_g = sat32(rshift66(o_acc0_wide, {1'b0, shift_reg[4:0]}));
wire [31:0] c8_bg = sat32(rshift66({{(66-ACC_W){o_bacc[ACC_W-1]}}, o_bacc}, {1'b0, shift_reg[4:0]}));

assign fmb_en = is_wgrad ? p4_valid : (o_valid && (is_fwd || is_bwd));
assign fmb_we = !is_wgrad && o_valid;
assign fmb_row = is_wgrad ? p4_addr2 : o_orow[FM_AW-1:0];
assign fmb_x = is_wgrad ? $signed({4'd0, p4_x0}) : $signed({4'd0, o_x0});
assign fmb_s2 = is_bwd && s2;
assign fmb_wdata = c8_y;
assign fmb_wmask = o_omask;

assign fma_en = p4_valid && !is_update;
assign fma_row = p4_addr;
assign fma_x = p4_rx;
assign fma_s2 = rd_s2;

// P9: WGRAD write back
wire [31:0] q_new = gacc_reg ? sat32({{34{grad_rd_data[31]}}, grad_rd_data} + {{34{q_g[31]}}, q_g}) : q_g;
wire [31:0] q_bnew = gacc_reg ? sat32({{34{bgrad_rd_data[31]}}, bgrad_rd_data} + {{34{q_bg[31]}}, q_bg})
                              : q_bg;
/* verilator lint_off UNUSEDSIGNAL */
wire [31:0] q_bias_addr = bias_base_reg + {16'd0, q_og};
/* verilator lint_on UNUSEDSIGNAL */

// U2: UPDATE write back
wire signed [65:0] u2_new = u2_w - u2_step;
wire [15:0] u2_w16 = (u2_new > 66'sd32767) ? 16'h7fff : (u2_new < -66'sd32768) ? 16'h8000 : u2_new[15:0];
wire [31:0] u2_b32 = sat32(u2_new);
/* verilator lint_off UNUSEDSIGNAL */
wire [31:0] u2_bias_addr = bias_base_reg + {16'd0, u2_og};
/* verilator lint_on UNUSEDSIGNAL */

assign wgt_wr_en = u2_valid && !u2_ones;
assign wgt_wr_addr = u2_a;
assign wgt_wr_data = u2_w16;
assign grad_wr_en = (u2_valid && !u2_ones) || (q_valid && !q_ones);
assign grad_wr_addr = u2_valid ? u2_a : q_a;
assign grad_wr_data = u2_valid ? 32'd0 : q_new;
assign bias_wr_en = u2_valid && u2_ones;
assign bias_wr_addr = u2_bias_addr[BAW-1:0];
assign bias_wr_data = u2_b32;
assign bgrad_wr_en = (u2_valid && u2_ones) || (q_valid && q_bsum);
assign bgrad_wr_addr = u2_valid ? u2_bias_addr[BAW-1:0] : q_bias_addr[BAW-1:0];
assign bgrad_wr_data = u2_valid ? 32'd0 : q_bnew;

// U1: UPDATE step = round_shift(g * lr, lr_shift), computed as the data arrives
wire u1_ones = p1_ones;
// |g * lr| < 2^31 * 2^16: the product is exact in 49 bits (2 DSPs, not 4 for a 66-bit one);
// muxed at 32 bits, so the sign extension stays visible to synthesis
wire [31:0] u1_g = u1_ones ? bgrad_rd_data : grad_rd_data;
wire [15:0] u1_lr = u1_ones ? lr_mult_b_reg : lr_mult_reg;
wire signed [48:0] u1_prod49 = $signed({{17{u1_g[31]}}, u1_g}) * $signed({33'd0, u1_lr});
wire signed [65:0] u1_prod = {{17{u1_prod49[48]}}, u1_prod49};
wire signed [65:0] u1_step = rshift66(u1_prod, u1_ones ? lr_shift_b_reg : lr_shift_reg);
wire signed [65:0] u1_w = u1_ones ? {{34{bias_rd_data[31]}}, bias_rd_data}
                                  : {{50{wgt_rd_data[15]}}, wgt_rd_data};

// ------------------------------------------------------------------ check-time values
wire [7:0] half_k = k_reg >> 1;
// dil_reg may still be illegal in check step 0, where these are used: then ST_BAD_GEOMETRY (or
// ST_BAD_MODE) wins over every shape check and num_h/num_w are never read
wire [15:0] max_pad = mul_dil({8'd0, half_k}, dil_reg[2:0]);
wire [15:0] span_minus1 = mul_dil({8'd0, k_reg} - 16'd1, dil_reg[2:0]);
wire [31:0] x_end = x_base_reg + size_x_reg[31:0];
// ceil(W / 2L), ceil(Wo / 2L), ceil(W / L), ceil(Wo / L)
localparam [31:0] BANKS_M1_32 = BANKS - 1;
localparam [31:0] LANES_M1_32 = LANES - 1;
localparam [16:0] BANKS_M1 = BANKS_M1_32[16:0];
localparam [16:0] LANES_M1 = LANES_M1_32[16:0];
/* verilator lint_off UNUSEDSIGNAL */
wire [16:0] rw_x_full = ({1'b0, w_reg} + BANKS_M1) >> $clog2(BANKS);
wire [16:0] rw_y_full = ({1'b0, wo_reg} + BANKS_M1) >> $clog2(BANKS);
wire [16:0] grp_w_full = ({1'b0, w_reg} + LANES_M1) >> LOG_L;
wire [16:0] grp_wo_full = ({1'b0, wo_reg} + LANES_M1) >> LOG_L;
/* verilator lint_on UNUSEDSIGNAL */
wire [31:0] y_end = y_base_reg + size_y_reg[31:0];

// Check steps 1-4 compute one product each (plane_x = h * rw_x, size_x = plane_x * c,
// plane_y = ho * rw_y, size_y = plane_y * n) on one shared multiplier, with operands only as wide
// as the values step 0 lets through: h <= HMAX; ho <= HMAX + 4 (pad <= dil * (k / 2) gives
// 2 * pad - dil * (k - 1) <= dil <= 4); rw_x, rw_y <= ceil((WMAX + 4) / BANKS) likewise;
// c <= CMAX, n <= NMAX. A plane is below 2^(CHK_H_W + CHK_RW_W) = 2^CHK_A_W, so every operand
// fits and every product is exact: size_x / size_y are the true sizes (no wrap that could let an
// oversized buffer pass). Each width is capped at its register's 16 bits (the full value).
localparam CHK_H_W0 = $clog2(HMAX + 5);
localparam CHK_RW_W0 = $clog2((WMAX + 4 + BANKS - 1) / BANKS + 1);
localparam CHK_CN_W0 = $clog2(((CMAX > NMAX) ? CMAX : NMAX) + 1);
localparam CHK_H_W = (CHK_H_W0 > 16) ? 16 : CHK_H_W0;
localparam CHK_RW_W = (CHK_RW_W0 > 16) ? 16 : CHK_RW_W0;
localparam CHK_CN_W = (CHK_CN_W0 > 16) ? 16 : CHK_CN_W0;
localparam CHK_A_W = CHK_H_W + CHK_RW_W;
localparam CHK_B_W = (CHK_RW_W > CHK_CN_W) ? CHK_RW_W : CHK_CN_W;
localparam CHK_P_W = CHK_A_W + CHK_B_W;
/* verilator lint_off UNUSEDSIGNAL */
reg [31:0] chk_a_full;
reg [15:0] chk_b_full;
/* verilator lint_on UNUSEDSIGNAL */
always @* begin
    case (chk_step_reg)
    3'd1: begin chk_a_full = {16'd0, h_reg}; chk_b_full = rw_x_reg; end
    3'd2: begin chk_a_full = plane_x_reg; chk_b_full = c_reg; end
    3'd3: begin chk_a_full = {16'd0, ho_reg}; chk_b_full = rw_y_reg; end
    default: begin chk_a_full = plane_y_reg; chk_b_full = n_reg; end
    endcase
end
wire [CHK_P_W-1:0] chk_prod = {{CHK_B_W{1'b0}}, chk_a_full[CHK_A_W-1:0]} *
                              {{CHK_A_W{1'b0}}, chk_b_full[CHK_B_W-1:0]};
/* verilator lint_off UNUSEDSIGNAL */
wire [63:0] chk_prod64 = {{(64-CHK_P_W){1'b0}}, chk_prod};
/* verilator lint_on UNUSEDSIGNAL */

// ------------------------------------------------------------------------- sequential
always @(posedge clk) begin
    // -------- pipeline data (no reset needed: valids gate everything)
    p1_first <= i_first; p1_last <= i_last; p1_zero <= i_zero; p1_ones <= i_ones; p1_bsum <= i_bsum;
    p1_a <= i_a; p1_og <= i_og; p1_y <= i_y; p1_x0 <= i_x0; p1_orow <= i_orow;
    p1_bias <= i_bias; p1_omask <= i_omask;

    p2_first <= p1_first; p2_last <= p1_last; p2_zero <= p1_zero; p2_ones <= p1_ones; p2_bsum <= p1_bsum;
    p2_a <= p1_a; p2_og <= p1_og; p2_x0 <= p1_x0; p2_orow <= p1_orow;
    p2_bias <= p1_bias; p2_omask <= p1_omask;
    p2_ry <= c1_ry; p2_rx <= c1_rx; p2_rch <= c1_rch; p2_par_ok <= c1_par_ok;

    p3_first <= p2_first; p3_last <= p2_last; p3_ones <= p2_ones; p3_bsum <= p2_bsum;
    p3_a <= p2_a; p3_og <= p2_og; p3_x0 <= p2_x0; p3_orow <= p2_orow; p3_bias <= p2_bias;
    p3_omask <= p2_omask; p3_rx <= p2_rx;
    p3_w <= (p2_zero || p2_ones) ? 16'sd0 : $signed(wgt_rd_data);
    p3_row_ok <= !p2_zero && p2_par_ok && p2_ry >= 0 && p2_ry < $signed({4'd0, rd_rows});
    p3_r <= {16'd0, p2_rch} * {16'd0, rd_rows} + {{12{p2_ry[XW-1]}}, p2_ry};

    p4_first <= p3_first; p4_last <= p3_last; p4_ones <= p3_ones; p4_bsum <= p3_bsum;
    p4_a <= p3_a; p4_og <= p3_og; p4_x0 <= p3_x0; p4_orow <= p3_orow; p4_bias <= p3_bias;
    p4_w <= p3_w; p4_omask <= p3_omask; p4_rx <= p3_rx;
    p4_addr <= c3_addr[FM_AW-1:0]; p4_mask <= c3_mask;
    // WGRAD dY row y_base + (og * ho + y) * rw_y, kept by the generator (no multiplier)
    p4_addr2 <= p3_orow[FM_AW-1:0];

    p5_first <= p4_first; p5_last <= p4_last; p5_ones <= p4_ones; p5_bsum <= p4_bsum;
    p5_a <= p4_a; p5_og <= p4_og; p5_x0 <= p4_x0; p5_orow <= p4_orow; p5_bias <= p4_bias;
    p5_w <= p4_w; p5_mask <= p4_mask; p5_omask <= p4_omask;

    p6_first <= p5_first; p6_last <= p5_last; p6_ones <= p5_ones; p6_bsum <= p5_bsum;
    p6_a <= p5_a; p6_og <= p5_og; p6_x0 <= p5_x0; p6_orow <= p5_orow; p6_bias <= p5_bias;
    p6_w <= p5_w; p6_mask <= p5_mask; p6_omask <= p5_omask;

    p7_first <= p6_first; p7_last <= p6_last; p7_ones <= p6_ones; p7_bsum <= p6_bsum;
    p7_dyb <= c6_dyb;
    p7_a <= p6_a; p7_og <= p6_og; p7_x0 <= p6_x0; p7_orow <= p6_orow; p7_bias <= p6_bias;
    p7_omask <= p6_omask; p7_prod <= c6_prod;

    if (p7_valid) begin
        acc_reg <= c7_acc;
        acc_b_reg <= c7_bacc;
    end
    o_ones <= p7_ones; o_bsum <= p7_bsum; o_bacc <= c7_bacc; o_a <= p7_a; o_og <= p7_og; o_x0 <= p7_x0; o_orow <= p7_orow;
    o_omask <= p7_omask; o_acc <= c7_acc;

    q_ones <= o_ones; q_bsum <= o_bsum; q_a <= o_a; q_og <= o_og; q_g <= c8_g; q_bg <= c8_bg;

    u2_ones <= p1_ones; u2_a <= p1_a; u2_og <= p1_og; u2_w <= u1_w; u2_step <= u1_step;

    // -------- pipeline valids
    p1_valid <= i_valid;
    p2_valid <= p1_valid && !is_update;
    p3_valid <= p2_valid;
    p4_valid <= p3_valid;
    p5_valid <= p4_valid;
    p6_valid <= p5_valid;
    p7_valid <= p6_valid;
    o_valid <= p7_valid && p7_last;
    q_valid <= o_valid && is_wgrad;
    u2_valid <= p1_valid && is_update;

    // -------- control
    i_valid <= 1'b0;
    if (state_reg != S_IDLE && state_reg != S_RESP) begin
        cycles_reg <= cycles_reg + 1'b1;
    end

    case (state_reg)
    S_IDLE: begin
        if (s_cmd_valid) begin
            mode_reg <= s_cmd_mode;
            c_reg <= s_cmd_cin; n_reg <= s_cmd_cout; h_reg <= s_cmd_h; w_reg <= s_cmd_w;
            k_reg <= s_cmd_k; stride_reg <= s_cmd_stride; dil_reg <= s_cmd_dil;
            pad_reg <= s_cmd_pad; shift_reg <= s_cmd_shift;
            relu_reg <= s_cmd_relu; bgrad_reg <= s_cmd_bgrad; gacc_reg <= s_cmd_gacc;
            x_base_reg <= s_cmd_x_base; y_base_reg <= s_cmd_y_base;
            fptr_base_reg <= s_cmd_fptr_base; bptr_base_reg <= s_cmd_bptr_base;
            bias_base_reg <= s_cmd_bias_base;
            lr_mult_reg <= s_cmd_lr_mult; lr_shift_reg <= s_cmd_lr_shift;
            lr_mult_b_reg <= s_cmd_lr_mult_b; lr_shift_b_reg <= s_cmd_lr_shift_b;
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
            // field checks; output size numerators
            num_h_reg <= $signed({4'd0, h_reg}) + $signed({11'd0, pad_reg, 1'b0}) -
                         $signed({4'd0, span_minus1}) - 1;
            num_w_reg <= $signed({4'd0, w_reg}) + $signed({11'd0, pad_reg, 1'b0}) -
                         $signed({4'd0, span_minus1}) - 1;
            rw_x_reg <= rw_x_full[15:0];
            if (mode_reg > MODE_UPDATE) begin
                status_reg <= ST_BAD_MODE;
                state_reg <= S_RESP;
            end else if ((stride_reg != 8'd1 && stride_reg != 8'd2) ||
                         dil_reg < 8'd1 || dil_reg > 8'd4) begin
                status_reg <= ST_BAD_GEOMETRY;
                state_reg <= S_RESP;
            end else if (c_reg == 0 || {16'd0, c_reg} > CMAX_32 || n_reg == 0 ||
                         {16'd0, n_reg} > NMAX_32 || h_reg == 0 || {16'd0, h_reg} > HMAX_32 ||
                         w_reg == 0 || {16'd0, w_reg} > WMAX_32 || k_reg == 0 ||
                         {24'd0, k_reg} > KMAX_32 || {8'd0, pad_reg} > max_pad ||
                         shift_reg > 8'd31) begin
                status_reg <= ST_BAD_SHAPE;
                state_reg <= S_RESP;
            end
        end
        3'd1: begin
            if (num_h_reg < 0 || num_w_reg < 0) begin
                status_reg <= ST_BAD_SHAPE;
                state_reg <= S_RESP;
            end
            ho_reg <= (s2 ? num_h_reg[16:1] : num_h_reg[15:0]) + 1'b1;
            wo_reg <= (s2 ? num_w_reg[16:1] : num_w_reg[15:0]) + 1'b1;
            plane_x_reg <= chk_prod64[31:0];
        end
        3'd2: begin
            rw_y_reg <= rw_y_full[15:0];
            ngrp_reg <= is_bwd ? (s2 ? {rw_x_reg[14:0], 1'b0} : grp_w_full[15:0]) : grp_wo_full[15:0];
            size_x_reg <= chk_prod64[33:0];
        end
        3'd3: begin
            plane_y_reg <= chk_prod64[31:0];
        end
        3'd4: begin
            size_y_reg <= chk_prod64[33:0];
        end
        default: begin
            // buffer checks (none apply to UPDATE's maps)
            if (!is_update && ({2'd0, x_base_reg} + size_x_reg > {2'd0, FM_DEPTH_32} ||
                               {2'd0, y_base_reg} + size_y_reg > {2'd0, FM_DEPTH_32})) begin
                status_reg <= ST_BAD_BUFFER;
                state_reg <= S_RESP;
            end else if ((is_fwd || is_bwd) && !(x_end <= y_base_reg || y_end <= x_base_reg)) begin
                status_reg <= ST_BAD_BUFFER;
                state_reg <= S_RESP;
            end else if ({2'd0, ptr_base} + {18'd0, n_ptrs} > {2'd0, PDEPTH_32}) begin
                status_reg <= ST_BAD_BUFFER;
                state_reg <= S_RESP;
            end else if ((is_fwd || is_update || (is_wgrad && bgrad_reg)) &&
                         {2'd0, bias_base_reg} + {18'd0, n_reg} > {2'd0, BDEPTH_32}) begin
                status_reg <= ST_BAD_BUFFER;
                state_reg <= S_RESP;
            end else begin
                scan_phase_reg <= 2'd0;
                scan_p_reg <= 16'd0;
                scan_chk_reg <= 1'b0;
                state_reg <= S_SCAN;
            end
        end
        endcase
    end
    S_SCAN: begin
        scan_chk_reg <= 1'b0;
        if (is_update) begin
            // UPDATE reads no index: check each pointer's range, one pointer a cycle
            if (scan_chk_reg && {{(31-CNT_W){1'b0}}, ptr_end} > WDEPTH_32) begin
                status_reg <= ST_BAD_LIST;
                state_reg <= S_RESP;
            end else if (scan_p_reg == n_ptrs) begin
                if (!scan_chk_reg) begin
                    g_phase_reg <= 2'd0;
                    g_og_reg <= 16'd0;
                    g_pref_pend_reg <= 1'b0;
                    g_pref_valid_reg <= 1'b0;
                    state_reg <= S_RUN;
                end
            end else begin
                scan_p_reg <= scan_p_reg + 1'b1;
                scan_chk_reg <= 1'b1;
            end
        end else if (scan_chk_reg && idx_bad) begin
            status_reg <= ST_BAD_INDEX;
            state_reg <= S_RESP;
        end else if (scan_p_reg == n_ptrs) begin
            if (!scan_chk_reg) begin
                g_phase_reg <= 2'd0;
                g_og_reg <= 16'd0;
                g_orow_reg <= is_bwd ? x_base_reg : y_base_reg;
                g_obase_reg <= y_base_reg;
                g_pref_pend_reg <= 1'b0;
                g_pref_valid_reg <= 1'b0;
                state_reg <= S_RUN;
            end
        end else begin
            case (scan_phase_reg)
            2'd0: scan_phase_reg <= 2'd1;
            2'd1: begin
                if ({{(31-CNT_W){1'b0}}, ptr_end} > WDEPTH_32) begin
                    status_reg <= ST_BAD_LIST;
                    state_reg <= S_RESP;
                end else if (ptr_count == 0) begin
                    scan_p_reg <= scan_p_reg + 1'b1;
                    scan_phase_reg <= 2'd0;
                end else begin
                    scan_a_reg <= {1'b0, ptr_start};
                    scan_end_reg <= ptr_end[CNT_W-1:0];
                    scan_phase_reg <= 2'd2;
                end
            end
            default: begin
                scan_chk_reg <= 1'b1;
                scan_a_reg <= scan_a_reg + 1'b1;
                if (scan_a_reg + 1'b1 == scan_end_reg) begin
                    scan_p_reg <= scan_p_reg + 1'b1;
                    scan_phase_reg <= 2'd0;
                end
            end
            endcase
        end
    end
    S_RUN: begin
        // prefetched pointer (and bias) of the next channel arrives one cycle after its read
        if (g_pref_pend_reg) begin
            g_pref_pend_reg <= 1'b0;
            g_pref_valid_reg <= 1'b1;
            g_nstart_reg <= ptr_start;
            g_ncount_reg <= ptr_count;
            g_nbias_reg <= bias_rd_data;
        end
        case (g_phase_reg)
        2'd0: g_phase_reg <= 2'd1;
        2'd1: begin
            g_start_reg <= ptr_start;
            g_count_reg <= ptr_count;
            g_bias_reg <= is_fwd ? bias_rd_data : 32'd0;
            g_j_reg <= {CNT_W{1'b0}};
            g_y_reg <= 16'd0;
            g_xg_reg <= 16'd0;
            g_bitem_reg <= is_wgrad && bgrad_reg && ptr_count == 0;
            g_first_reg <= 1'b1;
            if ((is_wgrad && !bgrad_reg) && ptr_count == 0) begin
                // nothing to produce for this filter
                if (g_last_og) begin
                    state_reg <= S_DRAIN;
                end else begin
                    g_og_reg <= g_og_reg + 1'b1;
                    g_obase_reg <= g_obase_reg + plane_y_reg;
                    g_orow_reg <= g_obase_reg + plane_y_reg;
                    g_phase_reg <= 2'd0;
                end
            end else begin
                g_phase_reg <= 2'd2;
            end
        end
        default: begin
            g_first_reg <= 1'b0;
            if (g_pref_issue) begin
                g_pref_pend_reg <= 1'b1;
            end
            i_valid <= 1'b1;
            i_a <= g_start_reg + g_j_reg[WAW-1:0];
            i_og <= g_og_reg;
            i_y <= g_y_reg;
            i_x0 <= g_x0;
            i_orow <= g_orow_reg;
            i_omask <= g_omask;
            i_bias <= g_bias_reg;
            i_zero <= 1'b0;
            i_ones <= 1'b0;
            i_bsum <= 1'b0;
            if (is_update) begin
                // weights j = 0..count-1, then this channel's bias
                i_ones <= (g_j_reg == g_count_reg);
                i_first <= 1'b1;
                i_last <= 1'b1;
                g_j_reg <= g_j_reg + 1'b1;
            end else if (is_wgrad) begin
                // one weight over every output pixel vector; the first weight of a filter (or a
                // pseudo entry for an empty one) also sums dY for the bias gradient
                i_ones <= g_bitem_reg;
                i_bsum <= bgrad_reg && (g_bitem_reg || g_j_reg == 0);
                i_first <= (g_y_reg == 0) && (g_xg_reg == 0);
                i_last <= g_last_y && g_last_xg;
                if (!g_last_xg) begin
                    g_xg_reg <= g_xg_reg + 1'b1;
                end else begin
                    g_xg_reg <= 16'd0;
                    if (!g_last_y) begin
                        g_y_reg <= g_y_reg + 1'b1;
                        g_orow_reg <= g_orow_reg + {16'd0, rw_y_reg};
                    end else begin
                        g_y_reg <= 16'd0;
                        g_j_reg <= g_j_reg + 1'b1;
                        g_orow_reg <= g_obase_reg;
                    end
                end
            end else begin
                // FWD / BWD_DATA: every non-zero of the channel for one output vector
                i_zero <= (g_count_reg == 0);
                i_first <= (g_j_reg == 0);
                i_last <= g_last_j;
                if (!g_last_j) begin
                    g_j_reg <= g_j_reg + 1'b1;
                end else begin
                    g_j_reg <= {CNT_W{1'b0}};
                    if (!g_last_xg) begin
                        g_xg_reg <= g_xg_reg + 1'b1;
                    end else begin
                        g_xg_reg <= 16'd0;
                        g_orow_reg <= g_orow_reg + {16'd0, is_bwd ? rw_x_reg : rw_y_reg};
                        if (!g_last_y) begin
                            g_y_reg <= g_y_reg + 1'b1;
                        end else begin
                            g_y_reg <= 16'd0;
                        end
                    end
                end
            end
            if (g_end_og) begin
                if (g_last_og) begin
                    state_reg <= S_DRAIN;
                end else begin
                    g_og_reg <= g_og_reg + 1'b1;
                    g_pref_pend_reg <= 1'b0;
                    g_pref_valid_reg <= 1'b0;
                    if (is_wgrad) begin
                        // next filter's dY plane (FWD / BWD_DATA rows just run on)
                        g_obase_reg <= g_obase_reg + plane_y_reg;
                        g_orow_reg <= g_obase_reg + plane_y_reg;
                    end
                    if (g_pref_issue) begin
                        // the next pointer was asked for this very cycle: take it next cycle
                        g_phase_reg <= 2'd1;
                    end else if (is_wgrad && !bgrad_reg && g_ncount == 0) begin
                        // an empty filter produces nothing: phases 0/1 skip it
                        g_phase_reg <= 2'd0;
                    end else begin
                        // go straight on with the prefetched pointer: no bubble between filters
                        g_start_reg <= g_nstart;
                        g_count_reg <= g_ncount;
                        g_bias_reg <= is_fwd ? g_nbias : 32'd0;
                        g_j_reg <= {CNT_W{1'b0}};
                        g_y_reg <= 16'd0;
                        g_xg_reg <= 16'd0;
                        g_bitem_reg <= is_wgrad && bgrad_reg && g_ncount == 0;
                        g_first_reg <= 1'b1;
                    end
                end
            end
        end
        endcase
    end
    S_DRAIN: begin
        if (!pipe_busy) begin
            state_reg <= S_RESP;
        end
    end
    default: begin
        // S_RESP
        if (m_rsp_ready) begin
            state_reg <= S_IDLE;
        end
    end
    endcase

    if (rst) begin
        state_reg <= S_IDLE;
        status_reg <= ST_OK;
        cycles_reg <= 32'd0;
        i_valid <= 1'b0;
        p1_valid <= 1'b0; p2_valid <= 1'b0; p3_valid <= 1'b0; p4_valid <= 1'b0;
        p5_valid <= 1'b0; p6_valid <= 1'b0; p7_valid <= 1'b0;
        o_valid <= 1'b0; q_valid <= 1'b0; u2_valid <= 1'b0;
    end
end

endmodule

`resetall
