/*
 * Test harness of the contract checkers: one stream_assert with the ordinary stream rule, one
 * with PULSE = 1, one cmd_rsp_assert, a small fm_stack (its port-B write rule: no port-B read
 * or host access in the cycle after a port-B write), a small mem_subsys (its port-mux rules:
 * one unit busy, a unit's memory access only while it is busy and owns the muxes, host writes
 * only while no unit is busy and the registered host flag is set) and a two-bank bank_ram (port
 * 1 reaches bank 1 only and meets no port-0 access there), each driven straight from the testbench, so a test can offer them
 * legal traffic (no report) and each kind of violation (the assertion must fire).
 *
 * Parameters:
 *   WIDTH  payload width of the stream checkers
 *
 * asserts_on is 1 when the checkers hold assertions (ACCEL_ASSERTS defined: Verilator builds),
 * 0 otherwise (Icarus): the tests expect a violation to be reported only when it is 1.
 */

`resetall
`timescale 1ns / 1ps
`default_nettype none

// a test of the checkers, not design logic: no coverage points
// verilator coverage_off
module stream_assert_harness #
(
    // payload width of the stream checkers
    parameter WIDTH = 8
)
(
    input  wire             clk,
    input  wire             rst,

    // stream checked by the ordinary rule (hold, stable)
    input  wire             s_valid,
    input  wire             s_ready,
    input  wire [WIDTH-1:0] s_data,

    // stream checked with PULSE = 1 (valid only while ready)
    input  wire             p_valid,
    input  wire             p_ready,
    input  wire [WIDTH-1:0] p_data,

    // command / response handshakes checked by cmd_rsp_assert
    input  wire             cmd_fire,
    input  wire             rsp_fire,

    // fm_stack port B enables (write when fb_we) and its host port enable
    input  wire             fb_en,
    input  wire             fb_we,
    input  wire             fb_s2,      // port-B stride 2
    input  wire             fb_hi,      // port-B write's lane 1 (of 2 lanes at LANES = 1) enabled
    input  wire             fh_en,

    // mem_subsys: the units' busy flags and stack port-A enables, {uc, mp, gap, lc, loss}, and
    // its host port's write enable (every other request field 0)
    input  wire [4:0]       ms_busy,
    input  wire [4:0]       ms_fm_en,
    input  wire             ms_hp_we,

    // bank_ram of 2 banks (8 words): port 0's and port 1's (bank 1 only) write and read enables
    // and whether each address is odd (bank 1)
    input  wire             br_w0,
    input  wire             br_w0_odd,
    input  wire             br_wx,
    input  wire             br_wx_odd,
    input  wire             br_r0,
    input  wire             br_r0_odd,
    input  wire             br_rx,
    input  wire             br_rx_odd,

    output wire             asserts_on
);

`ifdef ACCEL_ASSERTS
assign asserts_on = 1'b1;
`else
assign asserts_on = 1'b0;
`endif

stream_assert #(.WIDTH(WIDTH)) u_stream (
    .clk(clk), .rst(rst), .valid(s_valid), .ready(s_ready), .data(s_data));

stream_assert #(.WIDTH(WIDTH), .PULSE(1)) u_pulse (
    .clk(clk), .rst(rst), .valid(p_valid), .ready(p_ready), .data(p_data));

cmd_rsp_assert u_txn (
    .clk(clk), .rst(rst), .cmd_fire(cmd_fire), .rsp_fire(rsp_fire));

// one lane, 16 words a bank, an 8-bit column: b_req = {en, we, s2, row, x, wdata, wmask}, a
// write of two lanes (2*LANES)
/* verilator lint_off UNUSEDSIGNAL */
wire [15:0] fm_a_rdata, fm_b_rdata;
wire [31:0] fm_h_rdata;
/* verilator lint_on UNUSEDSIGNAL */
fm_stack #(.LANES(1), .DEPTH(16), .XW(8)) u_fm (
    .clk(clk),
    .a_req({2'b00, 4'd0, 8'd0}), .a_rdata(fm_a_rdata),
    .b_req({fb_en, fb_we, fb_s2, 4'd3, 8'd1, 32'h5678_1234, fb_hi, 1'b1}), .b_rdata(fm_b_rdata),
    .h_en(fh_en), .h_we(1'b0), .h_addr(4'd0), .h_wdata(32'd0), .h_rdata(fm_h_rdata));

// one engine of one lane, 16-word memories (mem_subsys's widths: mem_defs.vh, accel_defs.vh)
localparam LANES = 1, KMAX = 3, CMAX = 4, NMAX = 4;
localparam FM_DEPTH = 16, WDEPTH = 16, PDEPTH = 16, BDEPTH = 16;
/* verilator lint_off UNUSEDPARAM */
`include "mem_defs.vh"
`include "accel_defs.vh"
/* verilator lint_on UNUSEDPARAM */
localparam FMA_PAD = FMA_REQ_W - 1;
/* verilator lint_off UNUSEDSIGNAL */
wire [HST_W-1:0] ms_hp_rdata;
wire ms_list_wr;
wire [LANES*16-1:0] ms_fma_rdata, ms_fmb_rdata, ms_fma2_rdata, ms_uc_fma_rdata, ms_uc_fmb_rdata;
wire [RDX_PORTS*LANES*16-1:0] ms_fmx_rdata;
wire [15:0] ms_wgt, ms_uc_wgt, ms_wgt2;
wire [31:0] ms_grad, ms_bias, ms_bgrad, ms_uc_grad, ms_uc_bias, ms_uc_bgrad, ms_bias2;
wire [FIDX_W-1:0] ms_fidx;
wire [BIDX_W-1:0] ms_bidx;
wire [PTR_W-1:0] ms_ptr;
wire [31:0] ms_xrd;
/* verilator lint_on UNUSEDSIGNAL */
mem_subsys #(
    .ENGINES(1), .LANES(LANES), .KMAX(KMAX), .CMAX(CMAX), .NMAX(NMAX), .FM_DEPTH(FM_DEPTH),
    .WDEPTH(WDEPTH), .PDEPTH(PDEPTH), .BDEPTH(BDEPTH)
) u_ms (
    .clk(clk), .rst(rst),
    .uc_busy(ms_busy[4]), .mp_busy(ms_busy[3]), .gap_busy(ms_busy[2]), .lc_busy(ms_busy[1]),
    .loss_busy(ms_busy[0]),
    .hp_sel(4'd0), .hp_addr(32'd0), .hp_we(ms_hp_we), .hp_wdata({HST_W{1'b0}}), .hp_rdata(ms_hp_rdata),
    .list_wr(ms_list_wr),
    .uc_fma_req({ms_fm_en[4], {FMA_PAD{1'b0}}}), .uc_fmb_req({FMB_REQ_W{1'b0}}),
    .mp_fma_req({ms_fm_en[3], {FMA_PAD{1'b0}}}), .mp_fma2_req({FMA_REQ_W{1'b0}}), .mp_fmx_req({RDX_PORTS*FMA_REQ_W{1'b0}}), .mp_fmb_req({FMB_REQ_W{1'b0}}),
    .gap_fma_req({ms_fm_en[2], {FMA_PAD{1'b0}}}), .gap_fmb_req({FMB_REQ_W{1'b0}}),
    .lc_fma_req({ms_fm_en[1], {FMA_PAD{1'b0}}}), .lc_fmb_req({FMB_REQ_W{1'b0}}),
    .loss_fma_req({ms_fm_en[0], {FMA_PAD{1'b0}}}), .loss_fmb_req({FMB_REQ_W{1'b0}}),
    .fma_rdata(ms_fma_rdata), .fmb_rdata(ms_fmb_rdata), .fma2_rdata(ms_fma2_rdata), .fmx_rdata(ms_fmx_rdata),
    .uc_fma_rdata(ms_uc_fma_rdata), .uc_fmb_rdata(ms_uc_fmb_rdata),
    .uc_ram_req({RAM_REQ_W{1'b0}}), .lc_ram_req({RAM_REQ_W{1'b0}}), .lc_rd2_req({(2+WAW+BAW){1'b0}}),
    .wgt2_rd_data(ms_wgt2), .bias2_rd_data(ms_bias2),
    .wgt_rd_data(ms_wgt), .grad_rd_data(ms_grad), .bias_rd_data(ms_bias), .bgrad_rd_data(ms_bgrad),
    .uc_wgt_rd_data(ms_uc_wgt), .uc_grad_rd_data(ms_uc_grad), .uc_bias_rd_data(ms_uc_bias),
    .uc_bgrad_rd_data(ms_uc_bgrad),
    .fidx_rd_en(1'b0), .fidx_rd_addr({WAW{1'b0}}), .fidx_rd_data(ms_fidx),
    .bidx_rd_en(1'b0), .bidx_rd_addr({WAW{1'b0}}), .bidx_rd_data(ms_bidx),
    .ptr_rd_en(1'b0), .ptr_rd_addr({PAW{1'b0}}), .ptr_rd_data(ms_ptr),
    .wgt_xwr_en(1'b0), .wgt_xwr_addr({WAW{1'b0}}), .wgt_xwr_data(16'd0),
    .grad_xrd_en(1'b0), .grad_xrd_addr({WAW{1'b0}}), .grad_xrd_data(ms_xrd),
    .grad_xwr_en(1'b0), .grad_xwr_addr({WAW{1'b0}}), .grad_xwr_data(32'd0));

// two banks of 4-bit words (its port rules: port 1 reaches bank 1 only, and meets no port-0
// access of that bank)
/* verilator lint_off UNUSEDSIGNAL */
wire [3:0] br_q0, br_q1;
/* verilator lint_on UNUSEDSIGNAL */
bank_ram #(.DATA_W(4), .DEPTH(8), .BANKS(2)) u_br (
    .clk(clk),
    .wr_en(br_w0), .wr_addr({2'b01, br_w0_odd}), .wr_data(4'h3),
    .rd_en(br_r0), .rd_addr({2'b10, br_r0_odd}), .rd_data(br_q0),
    .x_wr_en(br_wx), .x_wr_addr({2'b10, br_wx_odd}), .x_wr_data(4'h5),
    .x_rd_en(br_rx), .x_rd_addr({2'b01, br_rx_odd}), .x_rd_data(br_q1));

`undef ACCEL_DEFS_VH
`undef MEM_DEFS_VH
endmodule
// verilator coverage_on

`resetall
