/*
 * Test harness of the GAP unit: the unit and its stack (fm_stack), plus a host port through which
 * a testbench loads and reads the stack while the unit is idle.
 *
 * Parameters: as gap_unit (LANES, CMAX, HMAX, WMAX, FM_DEPTH).
 *
 * Host port: hst_sel 0 stack (the only memory); hst_rdata is the word at the address presented
 * one cycle before. A stack word is 2*LANES pixels (bank b at bits [16b+15:16b]). Ignored while
 * busy.
 */

`resetall
`timescale 1ns / 1ps
`default_nettype none

module gap_unit_harness #
(
`include "map_unit_params.vh"
)
(
    input  wire                     clk,
    input  wire                     rst,

    // command
    input  wire                     s_cmd_valid,
    output wire                     s_cmd_ready,
    input  wire [GAP_CMD_W-1:0]     s_cmd_data,     // fields: GAP_CMD_* (unit_cmd.vh)

    // response
`include "unit_rsp_ports.vh"
    output wire                     busy,

    // host port
`include "stack_host_ports.vh"
);

localparam BANKS = 2 * LANES;
localparam FM_AW = $clog2(FM_DEPTH);

// XW and the stack request widths
`include "accel_defs.vh"

// stack ports: request buses and read data
`include "unit_stack_wires.vh"

gap_unit #(
    .LANES(LANES), .CMAX(CMAX), .HMAX(HMAX), .WMAX(WMAX), .FM_DEPTH(FM_DEPTH)
) u_gap (
    .clk(clk), .rst(rst),
    .s_cmd_valid(s_cmd_valid), .s_cmd_ready(s_cmd_ready), .s_cmd_data(s_cmd_data),
    .m_rsp_valid(m_rsp_valid), .m_rsp_ready(m_rsp_ready), .m_rsp_status(m_rsp_status),
    .m_rsp_cycles(m_rsp_cycles), .busy(busy),
    .m_fma_req(fma_req), .fma_rdata(fma_rdata), .m_fmb_req(fmb_req), .fmb_rdata(fmb_rdata)
);

// the stack and its host port
`include "stack_host.vh"

`undef ACCEL_DEFS_VH
endmodule

`resetall
