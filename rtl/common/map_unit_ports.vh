/*
 * map_unit_ports.vh: the port list of the map units mp_unit and gap_unit (the two have the same
 * ports; their parameters are map_unit_params.vh), `include`d as the whole ANSI port list
 * ( ... ): clock, reset and command (unit_cmd_ports.vh: the unit declares UNIT_CMD_W), the
 * stack ports (unit_stack_ports.vh), a second read port, the response (unit_rsp_ports.vh) and busy.
 */
`include "unit_cmd_ports.vh"

    // stack ports: A vector read; B masked vector write (never read by this unit)
`include "unit_stack_ports.vh"

    // second read port (RD_PORTS = 2): port A of a second copy of the stack, which every port-B
    // write reaches too (an engine array's copy 1); left at zero / unused by a unit that does not
    // read it
    /* verilator coverage_off */
    output wire [FMA_REQ_W-1:0]     m_fma2_req,     // FMA_REQ (accel_defs.vh)
    /* verilator coverage_on */
    /* verilator lint_off UNUSEDSIGNAL */
    input  wire [LANES*16-1:0]      fma2_rdata,
    /* verilator lint_on UNUSEDSIGNAL */

    // further read ports (RD_PORTS = 4, 8): port A of copies 2 .. 7 (RDX_PORTS, accel_defs.vh),
    // copy k at slot k - 2 (FMA_REQ_W bits of m_fmx_req, LANES*16 of fmx_rdata each)
    /* verilator coverage_off */
    output wire [RDX_PORTS*FMA_REQ_W-1:0] m_fmx_req,
    /* verilator coverage_on */
    /* verilator lint_off UNUSEDSIGNAL */
    input  wire [RDX_PORTS*LANES*16-1:0]  fmx_rdata,
    /* verilator lint_on UNUSEDSIGNAL */

    // response
`include "unit_rsp_ports.vh"

    // high from command accept until the response is taken (the stack belongs to the unit)
    output wire                     busy
