/*
 * UC unit MAC lanes and accumulators: pipeline stages P1..P7 of uc_unit (docs/uc_unit.md) for
 * FWD, BWD_DATA and WGRAD. An item (stage I, from uc_gen) becomes LANES products of one weight
 * and LANES stack pixels, accumulated per lane (FWD / BWD_DATA) or summed into one weight
 * gradient (WGRAD); a finished result leaves as stage P8 (o_*) for uc_wb.
 *
 * A flat command (docs/uc_unit.md "Flat small maps") reads and writes maps stored as one row of
 * H*W pixels a channel (W = 2^lw <= LANES): the generator walks that row (x0 = the vector's first
 * flat pixel, the item row i_y = r0 = x0 / W, the map row of that pixel), and the lanes cover
 * LANES / W map rows at once. Lane l is pixel (r0 + l/W, l mod W) of its vector; its input pixel
 * is that plus the kernel offset, at flat
 * column x0 + l + (row offset) * W + (column offset), and it is inside the map when its own row
 * and column are (per-lane bounds, from registers like the row layout's column bounds).
 *
 *   P1  index entry arrives: kernel offsets, input row / column, parity (BWD_DATA stride 2);
 *       weight address registered (BWD_DATA's comes from the index entry)
 *   P2  row inside the map, row index = channel * rows + row (one multiply-add); weight read
 *   P3  weight arrives; lane masks, stack address = base + row index * row words (one
 *       multiply-add)
 *   P4  stack read (port A; port B reads dY in WGRAD), 2 cycles: P5, P6
 *   P6  stack data: one product a lane (one DSP a lane)
 *   P7  accumulate (first / last flags: consecutive results follow with no bubble); WGRAD sums
 *       the lane products (and dY for the bias gradient) of lanes 2p and 2p+1 into accumulator
 *       p < PART = max(LANES/2, 1), a three-input add; uc_wb adds the PART partial sums (R1)
 *
 * The fields an item carries unchanged through P1..P7 (flags, list address, channel, column,
 * output row, bias, output lane mask) travel as one sideband bus through pipe_delay u_sb (its
 * row and column, with the padding applied, are registered at P1 beside it: p1_yb / p1_xb); the weight and lane mask wait for the stack read in pipe_delay u_op. UPDATE items
 * do not enter (uc_wb handles them); only their P1 fields are used.
 *
 * Parameters: rtl/common/uc_pipe_params.vh (LANES, KMAX, FM_AW, WAW, PAW, BAW; PAW, BAW
 * not used here).
 *
 * Latency: 8 cycles from item (I) to result (P8); one item a cycle, no stall.
 */

`resetall
`timescale 1ns / 1ps
`default_nettype none

module uc_mac #
(
// the pipeline's parameters; PAW, BAW unused here
/* verilator lint_off UNUSEDPARAM */
`include "uc_pipe_params.vh"
/* verilator lint_on UNUSEDPARAM */
)
(
    input  wire                     clk,
    input  wire                     rst,

    // command (uc_ctrl)
`include "uc_geom_ports.vh"
    input  wire [2:0]               dil,
    input  wire [7:0]               pad,
    input  wire                     flat,           // a flat command: true map size fh x fw, fw = 2^lw
    input  wire [15:0]              fh,
    input  wire [15:0]              fw,
    input  wire [3:0]               lw,
    // BWD_DATA with the ReLU backward (docs/uc_unit.md "ReLU backward in BWD_DATA"): an output
    // vector's first item is its mask item, which reads the layer's input X at the vector's own
    // pixels (the output row plus m_delta = m_base - x_base, modulo the stack); the vector's
    // lanes where that X is not > 0 leave as 0
    input  wire                     rmask,
    input  wire [FM_AW-1:0]         m_delta,
    output wire                     busy,           // an item is in P1..P8

    // item (stage I, uc_gen)
    input  wire                     i_valid,
    input  wire                     i_first,
    input  wire                     i_last,
    input  wire                     i_zero,
    input  wire                     i_ones,
    input  wire                     i_bsum,
    input  wire [WAW-1:0]           i_a,
    input  wire [15:0]              i_og,
    input  wire [15:0]              i_y,
    input  wire [15:0]              i_x0,
    input  wire [15:0]              i_xc,           // input-side column (0 for a flat command)
    input  wire [FM_AW-1:0]         i_orow,
    input  wire [31:0]              i_bias,
    input  wire [LANES-1:0]         i_omask,

    // P1: the item's index entry (read at stage I): the kernel offsets of both lists (the mode
    // selects after the table lookup, not before it: issue 16, the ECP5's index RAM -> P2 path)
    input  wire [K_W-1:0]           fidx_kx,
    input  wire [K_W-1:0]           fidx_ky,
    input  wire [K_W-1:0]           bidx_kx,
    input  wire [K_W-1:0]           bidx_ky,
    // and the fields of the mode's list
    input  wire [15:0]              idx_ch,         // c (forward list) or n (backward list)
    input  wire [WAW-1:0]           idx_waddr,      // backward list: weight address
    // P1 fields, also of UPDATE items (uc_wb's U1 stage)
    output wire                     p1_ones,
    output wire [WAW-1:0]           p1_a,
    output wire [15:0]              p1_og,

    // weight memory read (P1 -> P2)
    output wire                     wgt_rd_en,
    output wire [WAW-1:0]           wgt_rd_addr,
    input  wire [15:0]              wgt_rd_data,

    // stack port A: vector read (P4 -> P6)
    output wire                     fma_en,
    output wire [FM_AW-1:0]         fma_row,
    output wire signed [XW-1:0]     fma_x,
    output wire                     fma_s2,
    input  wire [LANES*16-1:0]      fma_rdata,
    // stack port B read (WGRAD dY, P4 -> P6); uc_wb writes through it in FWD / BWD_DATA
    output wire                     fmb_rd_en,
    output wire [FM_AW-1:0]         fmb_rd_row,
    output wire [15:0]              fmb_rd_x,
    input  wire [LANES*16-1:0]      fmb_rdata,
    // the same read a cycle early (P3), for an engine array's registered port-B request (uc_unit)
    output wire                     fmb_rd_nx_en,
    output wire [FM_AW-1:0]         fmb_rd_nx_row,
    output wire [15:0]              fmb_rd_nx_x,

    // result (stage P8): finished vector (FWD / BWD_DATA) or weight gradient (WGRAD)
    output wire                     o_valid,
    output wire                     o_ones,
    output wire                     o_bsum,
    output wire [LANES*ACC_W-1:0]   o_bacc,         // WGRAD: bias-gradient partial sums (lanes < PART)
    output wire [WAW-1:0]           o_a,
    output wire [15:0]              o_og,
    output wire [15:0]              o_x0,
    output wire [FM_AW-1:0]         o_orow,
    output wire [LANES-1:0]         o_omask,
    output wire [LANES*ACC_W-1:0]   o_acc
);

localparam K_W = (KMAX > 1) ? $clog2(KMAX) : 1;
// a dilated kernel offset k * dil (k < KMAX, dil 1..4): at most 4 * (KMAX - 1)
localparam KD_W = $clog2(4 * (KMAX - 1) + 1) > 0 ? $clog2(4 * (KMAX - 1) + 1) : 1;
// WGRAD partial sums: lanes 2p and 2p+1 into accumulator p
localparam PART = (LANES > 1) ? LANES / 2 : 1;
// bits of lw that can be set: uc_ctrl sets lw <= log2(LANES) (a flat W = 2^lw <= LANES), so the
// flat shifts select among log2(LANES) + 1 amounts, not 16 (issue 16: 5 LUT levels at P3)
localparam LW_W = (LANES > 2) ? $clog2($clog2(LANES) + 1) : 1;

`include "accel_defs.vh"

// ------------------------------------------------------------------------ sideband bus
// fields an item carries unchanged from I to P7, LSB first
localparam SB_OMASK = 0;
localparam SB_BIAS = SB_OMASK + LANES;
localparam SB_OROW = SB_BIAS + 32;
localparam SB_X0 = SB_OROW + FM_AW;
localparam SB_OG = SB_X0 + 16;
localparam SB_A = SB_OG + 16;
localparam SB_BSUM = SB_A + WAW;
localparam SB_ONES = SB_BSUM + 1;
localparam SB_ZERO = SB_ONES + 1;
localparam SB_LAST = SB_ZERO + 1;
localparam SB_FIRST = SB_LAST + 1;
localparam SB_W = SB_FIRST + 1;
localparam SB_DEPTH = 7;

wire [SB_W-1:0] sb_in = {i_first, i_last, i_zero, i_ones, i_bsum, i_a, i_og, i_x0, i_orow,
                         i_bias, i_omask};
// lw's bits that can be set (the others are always 0)
/* verilator lint_off UNUSEDSIGNAL */
/* verilator coverage_off */
wire [3:0] lw_all = lw;             // (wiring)
/* verilator coverage_on */
/* verilator lint_on UNUSEDSIGNAL */
wire [LW_W-1:0] lw_n = lw_all[LW_W-1:0];
// not every field is used at every stage
/* verilator lint_off UNUSEDSIGNAL */
wire [SB_DEPTH*SB_W-1:0] sb;        // stage Pk at [(k-1)*SB_W +: SB_W]
wire [SB_DEPTH-1:0] sb_valid;       // valid of stage Pk at [k-1]
wire [SB_W-1:0] p7_sb;              // the last stage
/* verilator lint_on UNUSEDSIGNAL */
wire p7_valid;

pipe_delay #(.WIDTH(SB_W), .DEPTH(SB_DEPTH), .VALID(1)) u_sb (
    .clk(clk), .rst(rst),
    .s_data(sb_in), .s_valid(i_valid && !is_update),
    .m_data(p7_sb), .m_valid(p7_valid),
    .tap_data(sb), .tap_valid(sb_valid)
);

// the fields each stage uses
localparam T1 = 0 * SB_W, T2 = 1 * SB_W, T3 = 2 * SB_W, T4 = 3 * SB_W, T6 = 5 * SB_W;
wire             p3_valid = sb_valid[2];
wire [FM_AW-1:0] p3_orow = sb[T3 + SB_OROW +: FM_AW];
wire [FM_AW-1:0] p2_orow = sb[T2 + SB_OROW +: FM_AW];
// the mask item (BWD_DATA with the ReLU backward): a vector's first item
wire             p2_mitem = rmask && sb[T2 + SB_FIRST];
wire [15:0]      p3_x0 = sb[T3 + SB_X0 +: 16];
wire             p2_valid = sb_valid[1];
wire             p2_zero = sb[T2 + SB_ZERO];
wire             p2_ones = sb[T2 + SB_ONES];
wire             p3_zero = sb[T3 + SB_ZERO];
wire             p3_ones = sb[T3 + SB_ONES];
wire [LANES-1:0] p3_omask = sb[T3 + SB_OMASK +: LANES];
wire             p4_valid = sb_valid[3];
wire [FM_AW-1:0] p4_orow = sb[T4 + SB_OROW +: FM_AW];
wire [15:0]      p4_x0 = sb[T4 + SB_X0 +: 16];
wire [LANES-1:0] p6_omask = sb[T6 + SB_OMASK +: LANES];
wire             p7_first = p7_sb[SB_FIRST];
wire             p7_last = p7_sb[SB_LAST];
wire             p7_ones = p7_sb[SB_ONES];
wire             p7_bsum = p7_sb[SB_BSUM];
wire [WAW-1:0]   p7_a = p7_sb[SB_A +: WAW];
wire [15:0]      p7_og = p7_sb[SB_OG +: 16];
wire [15:0]      p7_x0 = p7_sb[SB_X0 +: 16];
wire [FM_AW-1:0] p7_orow = p7_sb[SB_OROW +: FM_AW];
wire [31:0]      p7_bias = p7_sb[SB_BIAS +: 32];
wire [LANES-1:0] p7_omask = p7_sb[SB_OMASK +: LANES];

assign p1_ones = sb[T1 + SB_ONES];
assign p1_a = sb[T1 + SB_A +: WAW];
assign p1_og = sb[T1 + SB_OG +: 16];

// ------------------------------------------------------------------------------ registers
// P1: the item's row and column with the padding (and FWD / WGRAD stride) applied, registered
// beside the sideband (I -> P1), so that P1 adds only the dilated kernel offset (issue 16)
reg signed [XW-1:0] p1_yb_reg, p1_yb_next, p1_xb_reg, p1_xb_next;
// the command's dilated kernel offsets, k * dil for k = 0 .. KMAX-1, registered from the command
// (stable long before its first item reaches P1, as lane_hi below): P1 looks its index entry's
// kx / ky up instead of multiplying, so the index memory's read data meets one mux, not two
// carry chains, before the P1 add (issue 16: the ECP5 top's critical path)
reg [KD_W*KMAX-1:0] kd_tab_reg, kd_tab_next;
// P1: the low KD_W bits of p1_yb / p1_xb plus each dilated offset, carry on top
reg [(KD_W+1)*KMAX-1:0] p1_ylo_tab_reg, p1_ylo_tab_next, p1_xlo_tab_reg, p1_xlo_tab_next;
// P2: input row / column, read channel
reg signed [XW-1:0] p2_ry_reg, p2_ry_next, p2_rx_reg, p2_rx_next;
reg [15:0]      p2_rch_reg, p2_rch_next;
// P2: the weight address, registered at P1 and read at P2, so that BWD_DATA's address (an index
// memory's read data) reaches the weight memory through a flip-flop, not straight from a block
// RAM (issue 16); the weight arrives at P3 and waits in p4_w as before
reg [WAW-1:0]   p2_wa_reg, p2_wa_next;
reg             p2_par_ok_reg, p2_par_ok_next;
// P3: row inside the map (a lane each: a flat command's lanes cover several rows), row index
reg [LANES-1:0] p3_row_ok_reg, p3_row_ok_next;
reg [FM_AW-1:0] p3_r_reg, p3_r_next;      // row index, modulo the stack (as the address)
reg signed [XW-1:0] p3_rx_reg, p3_rx_next;
// the column of the stack read: the input column, or a flat command's flat column (row * W + column)
reg signed [XW-1:0] p3_fx_reg, p3_fx_next;
// P3: the mask item's stack row (the output row moved into X), added at P2 -> P3 beside the row
// index so that P4's address is a select after the DSP, not an add
reg [FM_AW-1:0] p3_mrow_reg, p3_mrow_next;
reg             p3_mitem_reg, p3_mitem_next;
// P4: stack address and lane mask (and whether the read is the mask item's: stride 2 at stride 2)
reg [FM_AW-1:0] p4_addr_reg, p4_addr_next;
reg             p4_ms2_reg, p4_ms2_next;
reg [LANES-1:0] p4_mask_reg, p4_mask_next;
// per-command lane bounds, registered from the command (stable from the command's checks on, long
// before its first item reaches P3): lane l is inside the map when -off(l) <= column < w - off(l),
// off(l) = l (2 l when the read is stride-2), so P3 compares the column with registers only
// (a flat command: off(l) = l mod W, and the row bounds -l/W <= row < H - l/W likewise)
reg [XW*LANES-1:0] lane_lo_reg, lane_lo_next;           // -off(l), signed, a lane each
reg [XW*LANES-1:0] lane_hi_reg, lane_hi_next;           // w - off(l), signed, a lane each
reg [XW*LANES-1:0] lane_ylo_reg, lane_ylo_next;         // -l/W (0 in the row layout)
reg [XW*LANES-1:0] lane_yhi_reg, lane_yhi_next;         // rows - l/W
reg signed [15:0] p4_w_reg, p4_w_next;
reg signed [XW-1:0] p4_rx_reg, p4_rx_next;
// P7: products, and WGRAD's dY lanes for the bias-gradient sum
reg [LANES*32-1:0] p7_prod_reg, p7_prod_next;
reg [LANES*16-1:0] p7_dyb_reg, p7_dyb_next;
// P7: the read pixels > 0 (the mask item's ReLU mask); the vector's mask, kept from its mask item
reg [LANES-1:0] p7_pos_reg, p7_pos_next;
reg [LANES-1:0] rm_reg, rm_next;
// P8: the lanes that leave as 0 (BWD_DATA with the ReLU backward: X not > 0)
reg [LANES-1:0] o_kill;
// accumulators
reg [LANES*ACC_W-1:0] acc_reg, acc_next;
reg [LANES*ACC_W-1:0] acc_b_reg, acc_b_next;    // WGRAD: bias-gradient partial sums
// P8: result
reg             o_valid_reg, o_valid_next;
reg             o_ones_reg, o_ones_next, o_bsum_reg, o_bsum_next;
reg [LANES*ACC_W-1:0] o_bacc_reg, o_bacc_next;
reg [WAW-1:0]   o_a_reg, o_a_next;
reg [15:0]      o_og_reg, o_og_next, o_x0_reg, o_x0_next;
reg [FM_AW-1:0] o_orow_reg, o_orow_next;
reg [LANES-1:0] o_omask_reg, o_omask_next;
reg [LANES*ACC_W-1:0] o_acc_reg, o_acc_next;

// WGRAD's pairs: accumulator p < PART takes lanes 2p and 2p+1 (p itself and zero elsewhere: unused)
wire [LANES*32-1:0] prod_a, prod_b;
wire [LANES*16-1:0] dyb_a, dyb_b;
genvar gp;
generate
    for (gp = 0; gp < LANES; gp = gp + 1) begin : g_pair
        if (gp < PART && LANES > 1) begin : g_in
            assign prod_a[32*gp +: 32] = p7_prod_reg[32*(2*gp) +: 32];
            assign prod_b[32*gp +: 32] = p7_prod_reg[32*(2*gp+1) +: 32];
            assign dyb_a[16*gp +: 16] = p7_dyb_reg[16*(2*gp) +: 16];
            assign dyb_b[16*gp +: 16] = p7_dyb_reg[16*(2*gp+1) +: 16];
        end else begin : g_out
            assign prod_a[32*gp +: 32] = p7_prod_reg[32*gp +: 32];
            assign prod_b[32*gp +: 32] = 32'd0;
            assign dyb_a[16*gp +: 16] = p7_dyb_reg[16*gp +: 16];
            assign dyb_b[16*gp +: 16] = 16'd0;
        end
    end
endgenerate

// P4 -> P6: weight and lane mask wait for the stack data
wire [15:0]       op_w;
wire [LANES-1:0]  op_mask;
/* verilator lint_off UNUSEDSIGNAL */
wire [2*(16+LANES)-1:0] op_taps;
wire [1:0]        op_valid_taps;
wire              op_valid;
/* verilator lint_on UNUSEDSIGNAL */
pipe_delay #(.WIDTH(16 + LANES), .DEPTH(2), .VALID(0)) u_op (
    .clk(clk), .rst(rst),
    .s_data({p4_w_reg, p4_mask_reg}), .s_valid(1'b0),
    .m_data({op_w, op_mask}), .m_valid(op_valid),
    .tap_data(op_taps), .tap_valid(op_valid_taps)
);
wire signed [15:0] p6_w = op_w;
wire [LANES-1:0]   p6_mask = op_mask;

assign busy = (|sb_valid) || o_valid_reg;

assign o_valid = o_valid_reg;
assign o_ones = o_ones_reg;
assign o_bsum = o_bsum_reg;
assign o_bacc = o_bacc_reg;
assign o_a = o_a_reg;
assign o_og = o_og_reg;
assign o_x0 = o_x0_reg;
assign o_orow = o_orow_reg;
assign o_omask = o_omask_reg;
assign o_acc = o_acc_reg;

// ------------------------------------------------------------------------ memory reads
// the map read and its size: X in FWD / WGRAD, dY in BWD_DATA
wire [15:0] rd_rows = is_bwd ? ho : h;
wire [15:0] rd_w = is_bwd ? wo : w;
wire [15:0] rd_rw = is_bwd ? rw_y : rw_x;
wire [FM_AW-1:0] rd_base = is_bwd ? y_base[FM_AW-1:0] : x_base[FM_AW-1:0];
// (a map base's bits above the stack's address: the checks made the maps fit)
/* verilator lint_off UNUSEDSIGNAL */
/* verilator coverage_off */
wire [63-2*FM_AW:0] base_hi = {x_base[31:FM_AW], y_base[31:FM_AW]};
/* verilator coverage_on */
/* verilator lint_on UNUSEDSIGNAL */
wire        rd_s2 = s2 && !is_bwd;
// the map read's true size, for the lanes' bounds (a flat command's fh x fw; a flat command's
// output is as large as its input)
wire [15:0] chk_rows = flat ? fh : rd_rows;
wire [15:0] chk_w = flat ? fw : rd_w;
/* verilator lint_off UNUSEDSIGNAL */
wire [15:0] fw_m1 = fw - 1'b1;
/* verilator lint_on UNUSEDSIGNAL */
// (a flat command's vector starts at column 0 of its first row: uc_gen gives that row as i_y
// and the column as i_xc, registers, so that no select stands in front of P1's adder)

assign wgt_rd_en = p2_valid && !p2_zero && !p2_ones;
assign wgt_rd_addr = p2_wa_reg;

assign fma_en = p4_valid && !is_update;
assign fma_row = p4_addr_reg;
assign fma_x = p4_rx_reg;
// (the mask item of a stride-2 BWD_DATA reads X at its vector's pixels, every other column)
assign fma_s2 = rd_s2 || p4_ms2_reg;
assign fmb_rd_en = p4_valid;
assign fmb_rd_row = p4_orow;
assign fmb_rd_x = p4_x0;
assign fmb_rd_nx_en = p3_valid;
assign fmb_rd_nx_row = p3_orow;
assign fmb_rd_nx_x = p3_x0;

// ------------------------------------------------------------------------ next state
// P1: dilated kernel offsets (dil is 1..4 whenever an item is in the pipeline; a checked list
// has kx, ky < k <= KMAX: an entry of KMAX or more reads as 0 and never reaches P1)
// P1 -> P2 has no carry chain after the index read (issue 16: on the ECP5 the index RAM's
// 5.8 ns clock-to-out was followed by a 20-bit add): the low KD_W bits of the row / column plus
// every table entry are added at I -> P1 into registers (p1_ylo_tab / p1_xlo_tab), the high bits'
// increment beside the read; the entry's kx / ky then only selects a registered sum, and its
// carry the high half.
localparam HI_W = XW - KD_W;
/* verilator lint_off UNUSEDSIGNAL */
reg [15:0] kd_full;
/* verilator lint_on UNUSEDSIGNAL */
localparam KT = 1 << K_W;               // entries an index can name (KMAX and above: offset 0)
reg [KD_W:0] ylo, xlo;                  // selected low sum, carry out on top
reg [HI_W-1:0] yhi_inc, xhi_inc;        // high bits + 1
reg [(KD_W+1)*KT-1:0] ytab, xtab;       // the sums of every index value
integer k;
always @* begin
    for (k = 0; k < KMAX; k = k + 1) begin
        kd_full = mul_dil(k[15:0], dil);
        kd_tab_next[KD_W*k +: KD_W] = kd_full[KD_W-1:0];
    end
    // an index entry of KMAX or more selects no sum: offset 0
    for (k = 0; k < KT; k = k + 1) begin
        ytab[(KD_W+1)*k +: KD_W+1] = {1'b0, p1_yb_reg[KD_W-1:0]};
        xtab[(KD_W+1)*k +: KD_W+1] = {1'b0, p1_xb_reg[KD_W-1:0]};
    end
    for (k = 0; k < KMAX; k = k + 1) begin
        ytab[(KD_W+1)*k +: KD_W+1] = p1_ylo_tab_reg[(KD_W+1)*k +: KD_W+1];
        xtab[(KD_W+1)*k +: KD_W+1] = p1_xlo_tab_reg[(KD_W+1)*k +: KD_W+1];
    end
    // one balanced select a list, straight after its RAM, then the mode's
    ylo = is_bwd ? ytab[(KD_W+1)*bidx_ky +: KD_W+1] : ytab[(KD_W+1)*fidx_ky +: KD_W+1];
    xlo = is_bwd ? xtab[(KD_W+1)*bidx_kx +: KD_W+1] : xtab[(KD_W+1)*fidx_kx +: KD_W+1];
    yhi_inc = p1_yb_reg[XW-1:KD_W] + 1'b1;
    xhi_inc = p1_xb_reg[XW-1:KD_W] + 1'b1;
end
// P2, P3: the row index and the stack word of the row read, both modulo the stack: the low
// FM_AW bits of a sum of products need only the operands' low FM_AW bits, and FM_AW-wide
// operands make each product one DSP (32 x 16 bits took two)
/* verilator lint_off UNUSEDSIGNAL */
/* verilator coverage_off */
wire [FM_AW+XW-1:0] ry_ext = {{FM_AW{p2_ry_reg[XW-1]}}, p2_ry_reg};
/* verilator coverage_on */
/* verilator lint_on UNUSEDSIGNAL */
wire [FM_AW-1:0] p3_addr = rd_base + p3_r_reg * fm_w16(rd_rw);

reg signed [XW-1:0] ys, xs, yn, xn, xl, xh;
reg signed [15:0] px, pm;
reg signed [31:0] pp;
reg signed [ACC_W-1:0] acc_base, op_a, op_b, bacc_base, bop_a, bop_b;
integer l;
integer t;
always @* begin
    // I -> P1: BWD_DATA ~(y + pad); FWD / WGRAD y * s - pad (columns alike). BWD_DATA's P1
    // subtraction is then an add, as in the other modes: y + pad - kd = ~(~(y + pad) + kd), so
    // P1 -> P2 is one adder and one LUT of the mode flags, no select between two adders (issue 16)
    if (is_bwd) begin
        p1_yb_next = ~($signed({4'd0, i_y}) + $signed({12'd0, pad}));
        p1_xb_next = ~($signed({4'd0, i_xc}) + $signed({12'd0, pad}));
    end else begin
        p1_yb_next = $signed({4'd0, s2 ? {i_y[14:0], 1'b0} : i_y}) - $signed({12'd0, pad});
        p1_xb_next = $signed({4'd0, s2 ? {i_xc[14:0], 1'b0} : i_xc}) - $signed({12'd0, pad});
    end
    for (t = 0; t < KMAX; t = t + 1) begin
        p1_ylo_tab_next[(KD_W+1)*t +: KD_W+1] = {1'b0, p1_yb_next[KD_W-1:0]} +
                                                {1'b0, kd_tab_reg[KD_W*t +: KD_W]};
        p1_xlo_tab_next[(KD_W+1)*t +: KD_W+1] = {1'b0, p1_xb_next[KD_W-1:0]} +
                                                {1'b0, kd_tab_reg[KD_W*t +: KD_W]};
    end

    // P1 -> P2: input row / column of the item; BWD_DATA pixel y reads dY row (y + pad - ky*d) / s
    // when that is whole
    ys = {ylo[KD_W] ? yhi_inc : p1_yb_reg[XW-1:KD_W], ylo[KD_W-1:0]};
    xs = {xlo[KD_W] ? xhi_inc : p1_xb_reg[XW-1:KD_W], xlo[KD_W-1:0]};
    yn = is_bwd ? ~ys : ys;
    xn = is_bwd ? ~xs : xs;
    p2_par_ok_next = !(is_bwd && s2) || (!yn[0] && !xn[0]);
    p2_ry_next = (is_bwd && s2) ? (yn >>> 1) : yn;
    p2_rx_next = (is_bwd && s2) ? (xn >>> 1) : xn;
    p2_rch_next = idx_ch;
    p2_wa_next = is_bwd ? idx_waddr : p1_a;

    // P2 -> P3: row inside the map (a lane each, against the registered bounds); row index
    // channel * rows + row (a flat command: its channel's one row); the column of the read
    for (l = 0; l < LANES; l = l + 1) begin
        p3_row_ok_next[l] = !p2_zero && p2_par_ok_reg && p2_ry_reg >= $signed(lane_ylo_reg[XW*l +: XW]) &&
                            p2_ry_reg < $signed(lane_yhi_reg[XW*l +: XW]);
    end
    p3_r_next = fm_w16(p2_rch_reg) * fm_w16(rd_rows) + (flat ? {FM_AW{1'b0}} : ry_ext[FM_AW-1:0]);
    p3_rx_next = p2_rx_reg;
    p3_fx_next = flat ? (p2_ry_reg <<< lw_n) + p2_rx_reg : p2_rx_reg;
    p3_mrow_next = p2_orow + m_delta;
    p3_mitem_next = p2_mitem;

    // the command's lane bounds (one subtraction a lane): lane l's column offset off(l) = l
    // (2 l at stride 2; a flat command: l mod W) and row offset l / W (flat) or 0
    for (l = 0; l < LANES; l = l + 1) begin
        /* verilator lint_off WIDTH */
        xl = flat ? (l & fw_m1) : (rd_s2 ? 2 * l : l);
        xh = flat ? (l >> lw_n) : 0;
        lane_lo_next[XW*l +: XW] = -xl;
        lane_hi_next[XW*l +: XW] = $signed({4'd0, chk_w}) - xl;
        lane_ylo_next[XW*l +: XW] = -xh;
        lane_yhi_next[XW*l +: XW] = $signed({4'd0, chk_rows}) - xh;
        /* verilator lint_on WIDTH */
    end

    // P3 -> P4: the weight (read at P2); lanes inside the map (column + off(l) in 0 .. w-1: the
    // column against the registered bounds) and the output row; stack address
    // (the mask item: its vector's own pixels at the output row moved into X; an i_zero item,
    // so weight 0, no lane masked in and no product: only its read data's signs are kept, P7)
    for (l = 0; l < LANES; l = l + 1) begin
        p4_mask_next[l] = p3_omask[l] && !p3_ones && p3_row_ok_reg[l] &&
                          p3_rx_reg >= $signed(lane_lo_reg[XW*l +: XW]) &&
                          p3_rx_reg < $signed(lane_hi_reg[XW*l +: XW]);
    end
    p4_addr_next = p3_mitem_reg ? p3_mrow_reg : p3_addr;
    p4_ms2_next = p3_mitem_reg && s2;
    p4_w_next = (p3_zero || p3_ones) ? 16'sd0 : $signed(wgt_rd_data);
    p4_rx_next = p3_mitem_reg ? $signed({{(XW-16){1'b0}}, p3_x0}) : p3_fx_reg;

    // P6 -> P7: one multiplier (one DSP) a lane: x * w in FWD / BWD_DATA, x * dY in WGRAD.
    // Every operand stays signed: a part-select (or an unsigned branch) would make it unsigned.
    for (l = 0; l < LANES; l = l + 1) begin
        p7_dyb_next[16*l +: 16] = p6_omask[l] ? fmb_rdata[16*l +: 16] : 16'd0;
        px = fma_rdata[16*l +: 16];
        pm = is_wgrad ? $signed(fmb_rdata[16*l +: 16]) : p6_w;
        pp = px * pm;
        p7_prod_next[32*l +: 32] = p6_mask[l] ? pp : 32'd0;
        p7_pos_next[l] = $signed(px) > 0;
    end

    // P7 -> P8: accumulate, a three-input add a lane: FWD / BWD_DATA lane l adds its product (the
    // first item starts from the bias); WGRAD lane p < PART adds the products of lanes 2p and 2p+1
    // (and dY of those lanes into bias-gradient partial p), and uc_wb sums the PART partials at R1
    // (issue 16: all LANES products into one accumulator here were 6 LUT levels). The partials
    // and their total are exact: the accumulator never overflows inside the parameter limits
    // (verif/models/conv.py), nor does any part of it.
    for (l = 0; l < LANES; l = l + 1) begin
        acc_base = p7_first ? (is_wgrad ? {ACC_W{1'b0}} : {{(ACC_W-32){p7_bias[31]}}, p7_bias})
                            : acc_reg[ACC_W*l +: ACC_W];
        op_a = is_wgrad ? {{(ACC_W-32){prod_a[32*l+31]}}, prod_a[32*l +: 32]}
                        : {{(ACC_W-32){p7_prod_reg[32*l+31]}}, p7_prod_reg[32*l +: 32]};
        op_b = is_wgrad ? {{(ACC_W-32){prod_b[32*l+31]}}, prod_b[32*l +: 32]} : {ACC_W{1'b0}};
        o_acc_next[ACC_W*l +: ACC_W] = acc_base + op_a + op_b;
        bacc_base = p7_first ? {ACC_W{1'b0}} : acc_b_reg[ACC_W*l +: ACC_W];
        bop_a = {{(ACC_W-16){dyb_a[16*l+15]}}, dyb_a[16*l +: 16]};
        bop_b = {{(ACC_W-16){dyb_b[16*l+15]}}, dyb_b[16*l +: 16]};
        o_bacc_next[ACC_W*l +: ACC_W] = (l < PART) ? bacc_base + bop_a + bop_b : {ACC_W{1'b0}};
    end
    // BWD_DATA with the ReLU backward: the vector's mask from its first (mask) item
    rm_next = (p7_valid && p7_first) ? p7_pos_reg : rm_reg;
    for (l = 0; l < LANES; l = l + 1) begin
        o_kill[l] = rmask && !(p7_first ? p7_pos_reg[l] : rm_reg[l]);
    end
    acc_next = p7_valid ? o_acc_next : acc_reg;
    acc_b_next = p7_valid ? o_bacc_next : acc_b_reg;
    o_valid_next = p7_valid && p7_last;
    o_ones_next = p7_ones;
    o_bsum_next = p7_bsum;
    o_a_next = p7_a;
    o_og_next = p7_og;
    o_x0_next = p7_x0;
    o_orow_next = p7_orow;
    o_omask_next = p7_omask;
end

// ------------------------------------------------------------------------------ registers
integer lo;     // the clocked block's lane loop
always @(posedge clk) begin
    p1_yb_reg <= p1_yb_next;
    p1_xb_reg <= p1_xb_next;
    kd_tab_reg <= kd_tab_next;
    p1_ylo_tab_reg <= p1_ylo_tab_next;
    p1_xlo_tab_reg <= p1_xlo_tab_next;
    p2_ry_reg <= p2_ry_next;
    p2_rx_reg <= p2_rx_next;
    p2_rch_reg <= p2_rch_next;
    p2_par_ok_reg <= p2_par_ok_next;
    p2_wa_reg <= p2_wa_next;
    p3_row_ok_reg <= p3_row_ok_next;
    p3_r_reg <= p3_r_next;
    p3_rx_reg <= p3_rx_next;
    p3_fx_reg <= p3_fx_next;
    p3_mrow_reg <= p3_mrow_next;
    p3_mitem_reg <= p3_mitem_next;
    p4_addr_reg <= p4_addr_next;
    p4_ms2_reg <= p4_ms2_next;
    p4_mask_reg <= p4_mask_next;
    lane_lo_reg <= lane_lo_next;
    lane_hi_reg <= lane_hi_next;
    lane_ylo_reg <= lane_ylo_next;
    lane_yhi_reg <= lane_yhi_next;
    p4_w_reg <= p4_w_next;
    p4_rx_reg <= p4_rx_next;
    p7_prod_reg <= p7_prod_next;
    p7_dyb_reg <= p7_dyb_next;
    p7_pos_reg <= p7_pos_next;
    rm_reg <= rm_next;
    acc_reg <= acc_next;
    acc_b_reg <= acc_b_next;
    o_valid_reg <= o_valid_next;
    o_ones_reg <= o_ones_next;
    o_bsum_reg <= o_bsum_next;
    o_bacc_reg <= o_bacc_next;
    o_a_reg <= o_a_next;
    o_og_reg <= o_og_next;
    o_x0_reg <= o_x0_next;
    o_orow_reg <= o_orow_next;
    o_omask_reg <= o_omask_next;
    // (a lane of a masked vector leaves as 0: the flip-flops' synchronous reset, no LUT after the add)
    for (lo = 0; lo < LANES; lo = lo + 1) begin
        o_acc_reg[ACC_W*lo +: ACC_W] <= o_kill[lo] ? {ACC_W{1'b0}} : o_acc_next[ACC_W*lo +: ACC_W];
    end

    if (rst) begin
        o_valid_reg <= 1'b0;
    end
end

`undef ACCEL_DEFS_VH
endmodule

`resetall
