/*
 * top_unit_conns.vh: the connections of an instance's unit command and response ports
 * (top_unit_ports.vh) to the like-named signals of the including module, `include`d inside the
 * instance's port connection list (every line ends with a comma: more connections follow):
 * accel_top's sequencer and the sequencer's seq_units.
 */
    .uc_cmd_valid(uc_cmd_valid), .mp_cmd_valid(mp_cmd_valid), .gap_cmd_valid(gap_cmd_valid),
    .lc_cmd_valid(lc_cmd_valid), .loss_cmd_valid(loss_cmd_valid),
    .uc_rsp_valid(uc_rsp_valid), .mp_rsp_valid(mp_rsp_valid), .gap_rsp_valid(gap_rsp_valid),
    .lc_rsp_valid(lc_rsp_valid), .loss_rsp_valid(loss_rsp_valid),
    .uc_rsp_status(uc_rsp_status), .mp_rsp_status(mp_rsp_status),
    .gap_rsp_status(gap_rsp_status), .lc_rsp_status(lc_rsp_status),
    .loss_rsp_status(loss_rsp_status),
