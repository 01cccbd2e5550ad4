/*
 * Test harness of the loss unit: the unit and its stack (fm_stack), plus a host port through which
 * a testbench loads and reads the stack while the unit is idle.
 *
 * Parameters: as loss_unit (LANES, KMAX, FM_DEPTH).
 *
 * Host port: hst_sel 0 stack (the only memory); hst_rdata is the word at the address presented
 * one cycle before. A stack word is 2*LANES pixels (bank b at bits [16b+15:16b]). Ignored while
 * busy.
 */

`resetall
`timescale 1ns / 1ps
`default_nettype none

module loss_unit_harness #
(
    // pixels per vector (power of two)
    parameter LANES = 8,
    // largest class count
    parameter KMAX = 1024,
    // stack words per bank
    parameter FM_DEPTH = 4096
)
(
    input  wire                     clk,
    input  wire                     rst,

    // command
    input  wire                     s_cmd_valid,
    output wire                     s_cmd_ready,
    input  wire [LOSS_CMD_W-1:0]    s_cmd_data,     // fields: LOSS_CMD_* (unit_cmd.vh)

    // response
    output wire                     m_rsp_valid,
    input  wire                     m_rsp_ready,
    output wire [3:0]               m_rsp_status,
    output wire [31:0]              m_rsp_cycles,
    output wire [15:0]              m_rsp_pred,
    output wire [15:0]              m_rsp_loss,
    output wire                     busy,

    // host port
    /* verilator lint_off UNUSEDSIGNAL */
    input  wire [2:0]               hst_sel,
    input  wire [31:0]              hst_addr,
    /* verilator lint_on UNUSEDSIGNAL */
    input  wire                     hst_we,
    input  wire [BANKS*16-1:0]      hst_wdata,
    output wire [BANKS*16-1:0]      hst_rdata
);

localparam BANKS = 2 * LANES;
localparam FM_AW = $clog2(FM_DEPTH);

// XW and the stack request widths
`include "accel_defs.vh"

wire host = !busy;

// stack ports: request buses (FMA_REQ, FMB_REQ of accel_defs.vh) and read data
/* verilator coverage_off */
wire [FMA_REQ_W-1:0] fma_req;
wire [FMB_REQ_W-1:0] fmb_req;
/* verilator coverage_on */
wire [LANES*16-1:0] fma_rdata, fmb_rdata;

loss_unit #(
    .LANES(LANES), .KMAX(KMAX), .FM_DEPTH(FM_DEPTH)
) u_loss (
    .clk(clk), .rst(rst),
    .s_cmd_valid(s_cmd_valid), .s_cmd_ready(s_cmd_ready), .s_cmd_data(s_cmd_data),
    .m_rsp_valid(m_rsp_valid), .m_rsp_ready(m_rsp_ready), .m_rsp_status(m_rsp_status),
    .m_rsp_cycles(m_rsp_cycles), .m_rsp_pred(m_rsp_pred), .m_rsp_loss(m_rsp_loss), .busy(busy),
    .m_fma_req(fma_req), .fma_rdata(fma_rdata), .m_fmb_req(fmb_req), .fmb_rdata(fmb_rdata)
);

fm_stack #(.LANES(LANES), .DEPTH(FM_DEPTH), .XW(XW)) u_stack (
    .clk(clk),
    .a_req(fma_req), .a_rdata(fma_rdata), .b_req(fmb_req), .b_rdata(fmb_rdata),
    .h_en(host), .h_we(host && hst_we), .h_addr(hst_addr[FM_AW-1:0]),
    .h_wdata(hst_wdata), .h_rdata(hst_rdata)
);

`undef ACCEL_DEFS_VH
endmodule

`resetall
