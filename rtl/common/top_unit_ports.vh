/*
 * top_unit_ports.vh: the sequencer's side of the five units' command pulses and responses
 * (valid and status), shared by the sequencer and its unit dispatcher seq_units, `include`d
 * inside the ANSI port list (every line ends with a comma: more ports follow). A command is a
 * one-cycle pulse to an idle unit; a response is always taken (the units' m_rsp_ready is 1).
 */
    // command pulses
    output wire             uc_cmd_valid,
    output wire             mp_cmd_valid,
    output wire             gap_cmd_valid,
    output wire             lc_cmd_valid,
    output wire             loss_cmd_valid,
    // responses (always taken)
    input  wire             uc_rsp_valid,
    input  wire             mp_rsp_valid,
    input  wire             gap_rsp_valid,
    input  wire             lc_rsp_valid,
    input  wire             loss_rsp_valid,
    input  wire [3:0]       uc_rsp_status,
    input  wire [3:0]       mp_rsp_status,
    input  wire [3:0]       gap_rsp_status,
    input  wire [3:0]       lc_rsp_status,
    input  wire [3:0]       loss_rsp_status,
