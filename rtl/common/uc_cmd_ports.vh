/*
 * uc_cmd_ports.vh: the clock, reset and command port of the UC unit, shared by uc_unit, its
 * control (uc_ctrl, which takes the command) and its test harness, `include`d first in the ANSI
 * port list (every line ends with a comma: more ports follow; the response group,
 * unit_rsp_ports.vh, and busy come after). s_cmd_valid/s_cmd_ready handshake the command;
 * s_cmd_data holds its fields UC_CMD_* (unit_cmd.vh, included through accel_defs.vh).
 */
    input  wire                     clk,
    input  wire                     rst,

    // command
    input  wire                     s_cmd_valid,
    output wire                     s_cmd_ready,
    input  wire [UC_CMD_W-1:0]      s_cmd_data,     // fields: UC_CMD_* (unit_cmd.vh)
