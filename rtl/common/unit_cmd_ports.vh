/*
 * unit_cmd_ports.vh: the clock, reset and command handshake of every compute unit, of its
 * command/response shell (unit_ctl.v) and of its test harness, `include`d first in the ANSI port
 * list; the module declares its command word right after (the unit's <UNIT>_CMD_W bits):
 *
 *     (
 *     `include "unit_cmd_ports.vh"
 *         input  wire [MP_CMD_W-1:0]      s_cmd_data,     // fields: MP_CMD_* (unit_cmd.vh)
 *
 * s_cmd_valid/s_cmd_ready handshake the command (taken while the unit is idle). Every line ends
 * with a comma: more ports follow.
 */
    input  wire                     clk,
    input  wire                     rst,

    // command
    input  wire                     s_cmd_valid,
    output wire                     s_cmd_ready,
