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
`include "loss_params.vh"
)
(
`include "unit_cmd_ports.vh"

    // response
`include "unit_rsp_ports.vh"
    output wire [15:0]              m_rsp_pred,
    output wire [15:0]              m_rsp_loss,
    output wire                     busy,

    // host port
`include "stack_host_ports.vh"
);

// BANKS, FM_AW, accel_defs.vh and the stack nets
`include "stack_host_nets.vh"

// s_cmd_data's width (unit_cmd_ports.vh)
localparam UNIT_CMD_W = LOSS_CMD_W;

loss_unit #(
    .LANES(LANES), .KMAX(KMAX), .FM_DEPTH(FM_DEPTH)
) u_loss (
`include "unit_shell_conns.vh"
    .m_rsp_pred(m_rsp_pred), .m_rsp_loss(m_rsp_loss),
    .m_fma_req(fma_req), .fma_rdata(fma_rdata), .m_fmb_req(fmb_req), .fmb_rdata(fmb_rdata)
);

// the stack and its host port
`include "stack_host.vh"

`undef ACCEL_DEFS_VH
endmodule

`resetall
