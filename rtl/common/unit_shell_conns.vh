/*
 * unit_shell_conns.vh: the connections of a compute unit's clock, reset, command
 * (unit_cmd_ports.vh), response (unit_rsp_ports.vh) and busy ports to nets of the same names,
 * `include`d inside an instance's port connection list: the unit's command/response shell
 * (unit_ctl_inst.vh) and the unit in its test harness. Every line ends with a comma: more
 * connections follow.
 */
    .clk(clk), .rst(rst),
    .s_cmd_valid(s_cmd_valid), .s_cmd_ready(s_cmd_ready), .s_cmd_data(s_cmd_data),
    .m_rsp_valid(m_rsp_valid), .m_rsp_ready(m_rsp_ready), .m_rsp_status(m_rsp_status),
    .m_rsp_cycles(m_rsp_cycles), .busy(busy),
