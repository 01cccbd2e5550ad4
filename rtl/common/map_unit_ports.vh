/*
 * map_unit_ports.vh: the port list of the map units mp_unit and gap_unit (the two have the same
 * ports; their parameters are map_unit_params.vh), `include`d as the whole ANSI port list
 * ( ... ): clock, reset and command (unit_cmd_ports.vh: the unit declares UNIT_CMD_W), the
 * stack ports (unit_stack_ports.vh), the response (unit_rsp_ports.vh) and busy.
 */
`include "unit_cmd_ports.vh"

    // stack ports: A vector read; B masked vector write (never read by this unit)
`include "unit_stack_ports.vh"

    // response
`include "unit_rsp_ports.vh"

    // high from command accept until the response is taken (the stack belongs to the unit)
    output wire                     busy
