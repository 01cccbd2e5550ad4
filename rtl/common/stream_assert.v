/*
 * Stream contract checker: the valid/ready rule of a stream port, written as immediate
 * assertions next to the logic that must keep it (AXI4 / AXI4-Lite channels, unit command and
 * response ports, the DMA's word streams).
 *
 * Rules checked every clock edge outside reset:
 *   hold     a transfer offered (valid high, ready low) stays offered: valid is high next cycle
 *   stable   ... and its payload (data) is unchanged
 *   pulse    (PULSE = 1 only) the producer raises valid only while ready is high, so every
 *            transfer completes in the cycle it is offered (the sequencer's one-cycle commands
 *            to idle units); this implies hold and stable
 * A reset (rst) ends an offer: valid may drop in or after a reset cycle, as AXI allows.
 *
 * The assertions exist only when ACCEL_ASSERTS is defined (Verilator builds: +define+ACCEL_ASSERTS
 * --assert, flow/runner.py); otherwise the module is empty and costs nothing (Icarus, synthesis).
 * A failure prints "%Error: ... Assertion failed in <instance>: stream_assert: <rule>: ..." and
 * stops the simulation (Verilator).
 *
 * Parameters:
 *   WIDTH  payload width (bits compared by the stable rule)
 *   PULSE  1: valid must never be high while ready is low; 0: the ordinary stream rule
 *
 * Latency: none (a checker: no outputs).
 */

`resetall
`timescale 1ns / 1ps
`default_nettype none

// a checker, not design logic: no coverage points
// verilator coverage_off
module stream_assert #
(
    // payload width (bits compared by the stable rule)
    parameter WIDTH = 1,
    // 1: valid only while ready (one-cycle commands); 0: the ordinary stream rule
    parameter PULSE = 0
)
(
    input  wire             clk,
    input  wire             rst,

    // the stream as seen between producer and consumer
    input  wire             valid,
    input  wire             ready,
    input  wire [WIDTH-1:0] data
);

`ifdef ACCEL_ASSERTS
reg             wait_reg;      // last cycle: valid high, ready low (cleared by rst)
reg [WIDTH-1:0] data_reg;      // last cycle's payload

always @(posedge clk) begin
    if (rst) begin
        wait_reg <= 1'b0;
    end else begin
        if (wait_reg) begin
            assert (valid) else $error("stream_assert: hold: valid dropped before ready");
            assert (data == data_reg) else $error("stream_assert: stable: payload changed while not ready");
        end
        if (PULSE != 0) begin
            assert (!valid || ready) else $error("stream_assert: pulse: valid raised while not ready");
        end
        wait_reg <= valid && !ready;
    end
    data_reg <= data;
end
`else
// no assertions in this build: the ports are unused
wire unused = &{1'b0, clk, rst, valid, ready, data, PULSE != 0};
`endif

endmodule
// verilator coverage_on

`resetall
