/*
 * map_unit_harness.vh: the test harness of a map unit (mp_unit, gap_unit; the two have the same
 * parameters and ports, map_unit_params.vh): the unit and its stack (fm_stack), plus a host port
 * through which a testbench loads and reads the stack while the unit is idle. The module from
 * its parameter list to endmodule, `include`d by mp_unit_harness.v and gap_unit_harness.v right
 * after their `module` line (the harness's name stays in its own file), which name the unit first:
 *
 *     `define MAP_UNIT    mp_unit             // the unit it holds
 *     `define MAP_INST    u_mp                // the unit's instance name
 *     `define MAP_CMD_W   MP_CMD_W            // the unit's command width (unit_cmd.vh)
 *     module mp_unit_harness #
 *     `include "map_unit_harness.vh"
 *
 * The macros are undefined at the end.
 *
 * Parameters: as the unit (LANES, CMAX, HMAX, WMAX, FM_DEPTH, RD_PORTS: that many copies of the
 * stack, stack_host.vh).
 *
 * Host port: hst_sel 0 stack (the only memory; with RD_PORTS = 2 writes reach both copies and
 * hst_copy 1 reads copy 1); hst_rdata is the word at the address presented
 * one cycle before. A stack word is 2*LANES pixels (bank b at bits [16b+15:16b]). Ignored while
 * busy.
 */

(
`include "map_unit_params.vh"
)
(
`include "unit_cmd_ports.vh"

    // response
`include "unit_rsp_ports.vh"
    output wire                     busy,

    // host port, and the copy a read comes from (its low log2(RD_PORTS) bits; unused with one copy)
    /* verilator lint_off UNUSEDSIGNAL */
    input  wire [7:0]               hst_copy,
    /* verilator lint_on UNUSEDSIGNAL */
`include "stack_host_ports.vh"
);

// BANKS, FM_AW, accel_defs.vh and the stack nets
`include "stack_host_nets.vh"

// s_cmd_data's width (unit_cmd_ports.vh)
localparam UNIT_CMD_W = `MAP_CMD_W;

// the second read port (RD_PORTS = 2): port A of the stack's second copy (with one copy the
// request goes nowhere)
/* verilator coverage_off */
/* verilator lint_off UNUSEDSIGNAL */
wire [FMA_REQ_W-1:0] fma2_req;
/* verilator lint_on UNUSEDSIGNAL */
/* verilator coverage_on */
wire [LANES*16-1:0] fma2_rdata;
// the further ones (RD_PORTS = 4, 8): port A of copies 2 .. 7
/* verilator coverage_off */
/* verilator lint_off UNUSEDSIGNAL */
wire [RDX_PORTS*FMA_REQ_W-1:0] fmx_req;
/* verilator lint_on UNUSEDSIGNAL */
/* verilator coverage_on */
wire [RDX_PORTS*LANES*16-1:0] fmx_rdata;

`MAP_UNIT #(
    .LANES(LANES), .CMAX(CMAX), .HMAX(HMAX), .WMAX(WMAX), .FM_DEPTH(FM_DEPTH), .RD_PORTS(RD_PORTS)
) `MAP_INST (
`include "unit_shell_conns.vh"
    .m_fma_req(fma_req), .fma_rdata(fma_rdata), .m_fmb_req(fmb_req), .fmb_rdata(fmb_rdata),
    .m_fma2_req(fma2_req), .fma2_rdata(fma2_rdata),
    .m_fmx_req(fmx_req), .fmx_rdata(fmx_rdata)
);

// the stack (RD_PORTS copies) and its host port
`define STACK_HOST_COPY1
`include "stack_host.vh"
`undef STACK_HOST_COPY1

`undef ACCEL_DEFS_VH
endmodule

`undef MAP_UNIT
`undef MAP_INST
`undef MAP_CMD_W
