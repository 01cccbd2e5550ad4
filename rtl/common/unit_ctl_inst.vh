/*
 * unit_ctl_inst.vh: a compute unit's command/response shell (rtl/common/unit_ctl.v), `include`d
 * in the unit's module body after its state declarations, with UNIT_CMD_W (the unit's
 * <UNIT>_CMD_W) declared before:
 *
 *     localparam UNIT_CMD_W = MP_CMD_W;
 *     `include "unit_ctl_inst.vh"
 *     ...
 *     assign done = ...;          // the unit's last cycle of a command
 *     assign done_status = ...;   // its status (ST_*)
 *
 * It declares cmd (the accepted command: the unit slices its fields from it), cmd_start (a
 * command is accepted this cycle), done and done_status, and drives the unit's s_cmd_ready,
 * m_rsp_valid, m_rsp_status, m_rsp_cycles and busy.
 */
wire [UNIT_CMD_W-1:0] cmd;
wire cmd_start;
wire done;
wire [3:0] done_status;

unit_ctl #(.CMD_W(UNIT_CMD_W)) u_ctl (
`include "unit_shell_conns.vh"
    .cmd(cmd), .start(cmd_start), .done(done), .done_status(done_status)
);
