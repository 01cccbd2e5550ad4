/*
 * unit_rsp_ports.vh: the response port group of every compute unit and of its test harness,
 * `include`d inside the ANSI port list (after the command ports, before busy):
 *
 *     // response
 *     `include "unit_rsp_ports.vh"
 *     output wire busy
 *
 * m_rsp_valid/m_rsp_ready handshake the response; m_rsp_status is a status code (ST_*,
 * accel_defs.vh), m_rsp_cycles the cycles from command accept to response. Every line ends with a
 * comma: more ports follow.
 */
    output wire                     m_rsp_valid,
    input  wire                     m_rsp_ready,
    output wire [3:0]               m_rsp_status,
    output wire [31:0]              m_rsp_cycles,
