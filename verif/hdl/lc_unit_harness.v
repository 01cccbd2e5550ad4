/*
 * Test harness of the LC unit: the unit, its stack (fm_stack) and its weight, gradient, bias and
 * bias-gradient memories (sdp_ram), plus a host port through which a testbench loads and reads
 * every memory while the unit is idle.
 *
 * Parameters: as lc_unit (LANES, CMAX, NMAX, FM_DEPTH, WDEPTH, BDEPTH).
 *
 * Host port: hst_sel 0 stack, 1 WGT, 2 GRAD, 3 BIAS, 4 BGRAD; hst_rdata is the word at the
 * address presented (hst_sel, hst_addr) one cycle before. A stack word is 2*LANES pixels (bank b
 * at bits [16b+15:16b]); other memories use the low bits. Ignored while busy.
 */

`resetall
`timescale 1ns / 1ps
`default_nettype none

module lc_unit_harness #
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
    output wire                     busy,

    // host port
    input  wire [2:0]               hst_sel,
    /* verilator lint_off UNUSEDSIGNAL */
    input  wire [31:0]              hst_addr,
    /* verilator lint_on UNUSEDSIGNAL */
    input  wire                     hst_we,
    /* verilator lint_off UNUSEDSIGNAL */
    input  wire [HST_W-1:0]         hst_wdata,
    /* verilator lint_on UNUSEDSIGNAL */
    output reg  [HST_W-1:0]         hst_rdata
);

localparam BANKS = 2 * LANES;
localparam HST_W = (BANKS * 16 > 32) ? BANKS * 16 : 32;
localparam FM_AW = $clog2(FM_DEPTH);
localparam WAW = $clog2(WDEPTH);
localparam BAW = $clog2(BDEPTH);
localparam XW = 20;

wire host = !busy;
wire hw = host && hst_we;

wire fma_en, fma_s2, fmb_en, fmb_we, fmb_s2;
wire [FM_AW-1:0] fma_row, fmb_row;
wire signed [XW-1:0] fma_x, fmb_x;
wire [LANES*16-1:0] fma_rdata, fmb_rdata, fmb_wdata;
wire [LANES-1:0] fmb_wmask;
wire [BANKS*16-1:0] fm_h_rdata;

wire wgt_rd_en, wgt_wr_en, grad_rd_en, grad_wr_en, bias_rd_en, bias_wr_en, bgrad_rd_en, bgrad_wr_en;
wire [WAW-1:0] wgt_rd_addr, wgt_wr_addr, grad_rd_addr, grad_wr_addr;
wire [BAW-1:0] bias_rd_addr, bias_wr_addr, bgrad_rd_addr, bgrad_wr_addr;
wire [15:0] wgt_rd_data, wgt_wr_data;
wire [31:0] grad_rd_data, grad_wr_data, bias_rd_data, bias_wr_data, bgrad_rd_data, bgrad_wr_data;

lc_unit #(
    .LANES(LANES), .CMAX(CMAX), .NMAX(NMAX), .FM_DEPTH(FM_DEPTH), .WDEPTH(WDEPTH), .BDEPTH(BDEPTH)
) u_lc (
    .clk(clk), .rst(rst),
    .s_cmd_valid(s_cmd_valid), .s_cmd_ready(s_cmd_ready), .s_cmd_mode(s_cmd_mode),
    .s_cmd_cin(s_cmd_cin), .s_cmd_cout(s_cmd_cout), .s_cmd_shift(s_cmd_shift),
    .s_cmd_relu(s_cmd_relu), .s_cmd_bgrad(s_cmd_bgrad), .s_cmd_gacc(s_cmd_gacc),
    .s_cmd_x_base(s_cmd_x_base), .s_cmd_y_base(s_cmd_y_base), .s_cmd_w_base(s_cmd_w_base),
    .s_cmd_bias_base(s_cmd_bias_base), .s_cmd_lr_mult(s_cmd_lr_mult),
    .s_cmd_lr_shift(s_cmd_lr_shift), .s_cmd_lr_mult_b(s_cmd_lr_mult_b),
    .s_cmd_lr_shift_b(s_cmd_lr_shift_b),
    .m_rsp_valid(m_rsp_valid), .m_rsp_ready(m_rsp_ready), .m_rsp_status(m_rsp_status),
    .m_rsp_cycles(m_rsp_cycles), .busy(busy),
    .fma_en(fma_en), .fma_row(fma_row), .fma_x(fma_x), .fma_s2(fma_s2), .fma_rdata(fma_rdata),
    .fmb_en(fmb_en), .fmb_we(fmb_we), .fmb_row(fmb_row), .fmb_x(fmb_x), .fmb_s2(fmb_s2),
    .fmb_wdata(fmb_wdata), .fmb_wmask(fmb_wmask), .fmb_rdata(fmb_rdata),
    .wgt_rd_en(wgt_rd_en), .wgt_rd_addr(wgt_rd_addr), .wgt_rd_data(wgt_rd_data),
    .wgt_wr_en(wgt_wr_en), .wgt_wr_addr(wgt_wr_addr), .wgt_wr_data(wgt_wr_data),
    .grad_rd_en(grad_rd_en), .grad_rd_addr(grad_rd_addr), .grad_rd_data(grad_rd_data),
    .grad_wr_en(grad_wr_en), .grad_wr_addr(grad_wr_addr), .grad_wr_data(grad_wr_data),
    .bias_rd_en(bias_rd_en), .bias_rd_addr(bias_rd_addr), .bias_rd_data(bias_rd_data),
    .bias_wr_en(bias_wr_en), .bias_wr_addr(bias_wr_addr), .bias_wr_data(bias_wr_data),
    .bgrad_rd_en(bgrad_rd_en), .bgrad_rd_addr(bgrad_rd_addr), .bgrad_rd_data(bgrad_rd_data),
    .bgrad_wr_en(bgrad_wr_en), .bgrad_wr_addr(bgrad_wr_addr), .bgrad_wr_data(bgrad_wr_data)
);

fm_stack #(.LANES(LANES), .DEPTH(FM_DEPTH), .XW(XW)) u_stack (
    .clk(clk),
    .a_en(fma_en), .a_row(fma_row), .a_x(fma_x), .a_s2(fma_s2), .a_rdata(fma_rdata),
    .b_en(fmb_en), .b_we(fmb_we), .b_row(fmb_row), .b_x(fmb_x), .b_s2(fmb_s2),
    .b_wdata(fmb_wdata), .b_wmask(fmb_wmask), .b_rdata(fmb_rdata),
    .h_en(host), .h_we(hw && hst_sel == 3'd0), .h_addr(hst_addr[FM_AW-1:0]),
    .h_wdata(hst_wdata[BANKS*16-1:0]), .h_rdata(fm_h_rdata)
);

// the host takes each memory's ports while the unit is idle
`define HARNESS_RAM(NAME, SEL, DW, DEPTH_P, AWID, RD_EN, RD_ADDR, RD_DATA, WR_EN, WR_ADDR, WR_DATA) \
    sdp_ram #(.DATA_W(DW), .DEPTH(DEPTH_P)) u_``NAME ( \
        .clk(clk), \
        .wr_en(host ? (hw && hst_sel == SEL) : WR_EN), \
        .wr_addr(host ? hst_addr[AWID-1:0] : WR_ADDR), \
        .wr_data(host ? hst_wdata[DW-1:0] : WR_DATA), \
        .rd_en(host ? 1'b1 : RD_EN), \
        .rd_addr(host ? hst_addr[AWID-1:0] : RD_ADDR), \
        .rd_data(RD_DATA));

`HARNESS_RAM(wgt, 3'd1, 16, WDEPTH, WAW, wgt_rd_en, wgt_rd_addr, wgt_rd_data, wgt_wr_en, wgt_wr_addr, wgt_wr_data)
`HARNESS_RAM(grad, 3'd2, 32, WDEPTH, WAW, grad_rd_en, grad_rd_addr, grad_rd_data, grad_wr_en, grad_wr_addr, grad_wr_data)
`HARNESS_RAM(bias, 3'd3, 32, BDEPTH, BAW, bias_rd_en, bias_rd_addr, bias_rd_data, bias_wr_en, bias_wr_addr, bias_wr_data)
`HARNESS_RAM(bgrad, 3'd4, 32, BDEPTH, BAW, bgrad_rd_en, bgrad_rd_addr, bgrad_rd_data, bgrad_wr_en, bgrad_wr_addr, bgrad_wr_data)

`undef HARNESS_RAM

// read data of the previous cycle's selection
reg [2:0] sel_d;
always @(posedge clk) begin
    sel_d <= hst_sel;
end

always @* begin
    hst_rdata = {HST_W{1'b0}};
    case (sel_d)
    3'd0: hst_rdata[BANKS*16-1:0] = fm_h_rdata;
    3'd1: hst_rdata[15:0] = wgt_rd_data;
    3'd2: hst_rdata[31:0] = grad_rd_data;
    3'd3: hst_rdata[31:0] = bias_rd_data;
    default: hst_rdata[31:0] = bgrad_rd_data;
    endcase
end

endmodule

`resetall
