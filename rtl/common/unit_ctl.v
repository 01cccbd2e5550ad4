/*
 * Command/response shell of a compute unit: takes one command (s_cmd_*) while idle, holds it
 * for the unit (cmd), counts the command's cycles and answers (m_rsp_*) when the unit says it is
 * done, with the unit's status. The unit keeps only its own check and run states: it starts on
 * `start` (the accept cycle) and raises `done` with `done_status` in the cycle its last state
 * ends (the cycle it used to enter its response state).
 *
 * States: S_IDLE (s_cmd_ready) -> S_RUN (the unit works) -> S_RESP (m_rsp_valid until
 * m_rsp_ready) -> S_IDLE. m_rsp_cycles counts the accept cycle and every S_RUN cycle (the done
 * cycle included): the cycles from command accept to response.
 *
 * Parameters:
 *   CMD_W     command width (the unit's <UNIT>_CMD_W, unit_cmd.vh)
 *
 * Latency: s_cmd_ready is high in S_IDLE; the response is valid the cycle after `done` and
 * leaves on m_rsp_ready; s_cmd_ready returns the cycle after.
 *
 * Contract (immediate assertions when ACCEL_ASSERTS is defined, as rtl/common/stream_assert.v):
 * `done` only in S_RUN.
 */

`resetall
`timescale 1ns / 1ps
`default_nettype none

module unit_ctl #
(
    parameter CMD_W = 8                 // command width
)
(
`include "unit_cmd_ports.vh"

    // to / from the unit
    output wire [CMD_W-1:0]         cmd,            // the accepted command (held until the next)
    output wire                     start,          // a command is accepted this cycle
    input  wire                     done,           // the unit's last cycle of the command
    input  wire [3:0]               done_status,    // its status (ST_*, with done)

    // response
    output wire                     m_rsp_valid,
    input  wire                     m_rsp_ready,
    output wire [3:0]               m_rsp_status,
    output wire [31:0]              m_rsp_cycles,

    // high from command accept until the response is taken
    output wire                     busy
);

// status codes (ST_*); accel_defs.vh also sizes the stack request buses from the including
// module's FM_AW and LANES, which this module has none of: any value serves
localparam FM_AW = 1;
localparam LANES = 1;
// s_cmd_data's width (unit_cmd_ports.vh)
localparam UNIT_CMD_W = CMD_W;
`include "accel_defs.vh"

localparam [1:0] S_IDLE = 2'd0, S_RUN = 2'd1, S_RESP = 2'd2;

reg [1:0]       state_reg, state_next;
reg [3:0]       status_reg, status_next;
reg [31:0]      cycles_reg, cycles_next;
reg [CMD_W-1:0] cmd_reg, cmd_next;

assign s_cmd_ready = (state_reg == S_IDLE);
assign start = s_cmd_valid && (state_reg == S_IDLE);
assign cmd = cmd_reg;
assign m_rsp_valid = (state_reg == S_RESP);
assign m_rsp_status = status_reg;
assign m_rsp_cycles = cycles_reg;
assign busy = (state_reg != S_IDLE);

always @* begin
    state_next = state_reg;
    status_next = status_reg;
    cycles_next = cycles_reg;
    cmd_next = cmd_reg;

    case (state_reg)
    S_IDLE: begin
        if (s_cmd_valid) begin
            cmd_next = s_cmd_data;
            cycles_next = 32'd1;
            status_next = ST_OK;
            state_next = S_RUN;
        end
    end
    S_RUN: begin
        cycles_next = cycles_reg + 1'b1;
        if (done) begin
            status_next = done_status;
            state_next = S_RESP;
        end
    end
    default: begin
        if (m_rsp_ready) begin
            state_next = S_IDLE;
        end
    end
    endcase
end

always @(posedge clk) begin
    state_reg <= state_next;
    status_reg <= status_next;
    cycles_reg <= cycles_next;
    cmd_reg <= cmd_next;

    if (rst) begin
        state_reg <= S_IDLE;
        status_reg <= ST_OK;
        cycles_reg <= 32'd0;
    end
end

`ifdef ACCEL_ASSERTS
always @(posedge clk) begin
    if (!rst) begin
        assert (!done || state_reg == S_RUN) else $error("unit_ctl: done outside a command");
    end
end
`endif

`undef ACCEL_DEFS_VH
endmodule

`resetall
