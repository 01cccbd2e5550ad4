/*
 * Command/response pairing checker: a unit answers every command it takes exactly once, and
 * takes no new command before it has answered (one command in flight). Immediate assertions,
 * present only when ACCEL_ASSERTS is defined (as stream_assert.v).
 *
 * Rules checked every clock edge outside reset:
 *   no_orphan  a response handshake only while a command is in flight
 *   one_deep   a command handshake only while none is in flight (or its response is taken in
 *              the same cycle)
 * A reset (rst, the unit's own reset) cuts a command in flight: it is never answered.
 *
 * Parameters: none.
 *
 * Latency: none (a checker: no outputs).
 */

`resetall
`timescale 1ns / 1ps
`default_nettype none

// a checker, not design logic: no coverage points
// verilator coverage_off
module cmd_rsp_assert
(
    input  wire clk,
    input  wire rst,

    input  wire cmd_fire,   // command handshake (valid && ready)
    input  wire rsp_fire    // response handshake (valid && ready)
);

`ifdef ACCEL_ASSERTS
reg busy_reg;               // a command is in flight (cleared by rst)

always @(posedge clk) begin
    if (rst) begin
        busy_reg <= 1'b0;
    end else begin
        assert (!rsp_fire || busy_reg) else $error("cmd_rsp_assert: no_orphan: response without a command");
        assert (!cmd_fire || !busy_reg || rsp_fire) else $error("cmd_rsp_assert: one_deep: command while one is in flight");
        if (cmd_fire) begin
            busy_reg <= 1'b1;
        end else if (rsp_fire) begin
            busy_reg <= 1'b0;
        end
    end
end
`else
// no assertions in this build: the ports are unused
wire unused = &{1'b0, clk, rst, cmd_fire, rsp_fire};
`endif

endmodule
// verilator coverage_on

`resetall
