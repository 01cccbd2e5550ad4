/*
 * uc_cmd_conns.vh: the connections of an instance's clock, reset, command port (uc_cmd_ports.vh),
 * response port (unit_rsp_ports.vh) and busy to the like-named ports of the including module,
 * `include`d first in the instance's port connection list (every line ends with a comma: more
 * connections follow): uc_ctrl in uc_unit, uc_unit in its harness.
 */
    .clk(clk), .rst(rst),
    .s_cmd_valid(s_cmd_valid), .s_cmd_ready(s_cmd_ready), .s_cmd_data(s_cmd_data),
    .m_rsp_valid(m_rsp_valid), .m_rsp_ready(m_rsp_ready), .m_rsp_status(m_rsp_status),
    .m_rsp_cycles(m_rsp_cycles), .busy(busy),
