/*
 * unit_cmd_ports.vh: the clock, reset and command port group of every compute unit, of its
 * command/response shell (unit_ctl.v) and of its test harness, `include`d first in the ANSI port
 * list. The command word s_cmd_data is UNIT_CMD_W bits: the module declares
 *
 *     localparam UNIT_CMD_W = MP_CMD_W;     // the unit's <UNIT>_CMD_W (unit_cmd.vh)
 *
 * in its body (unit_ctl_inst.vh uses it too); its fields are <UNIT>_CMD_* (unit_cmd.vh).
 * s_cmd_valid/s_cmd_ready handshake the command (taken while the unit is idle). Every line ends
 * with a comma: more ports follow.
 */
    input  wire                     clk,
    input  wire                     rst,

    // command
    input  wire                     s_cmd_valid,
    output wire                     s_cmd_ready,
    input  wire [UNIT_CMD_W-1:0]    s_cmd_data,
