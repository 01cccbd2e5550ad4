/*
 * Test harness of the contract checkers: one stream_assert with the ordinary stream rule, one
 * with PULSE = 1, one cmd_rsp_assert and a small fm_stack (its port-B write rule: no port-B read
 * or host access in the cycle after a port-B write), each driven straight from the testbench, so
 * a test can offer them legal traffic (no report) and each kind of violation (the assertion must
 * fire).
 *
 * Parameters:
 *   WIDTH  payload width of the stream checkers
 *
 * asserts_on is 1 when the checkers hold assertions (ACCEL_ASSERTS defined: Verilator builds),
 * 0 otherwise (Icarus): the tests expect a violation to be reported only when it is 1.
 */

`resetall
`timescale 1ns / 1ps
`default_nettype none

// a test of the checkers, not design logic: no coverage points
// verilator coverage_off
module stream_assert_harness #
(
    // payload width of the stream checkers
    parameter WIDTH = 8
)
(
    input  wire             clk,
    input  wire             rst,

    // stream checked by the ordinary rule (hold, stable)
    input  wire             s_valid,
    input  wire             s_ready,
    input  wire [WIDTH-1:0] s_data,

    // stream checked with PULSE = 1 (valid only while ready)
    input  wire             p_valid,
    input  wire             p_ready,
    input  wire [WIDTH-1:0] p_data,

    // command / response handshakes checked by cmd_rsp_assert
    input  wire             cmd_fire,
    input  wire             rsp_fire,

    // fm_stack port B enables (write when fb_we) and its host port enable
    input  wire             fb_en,
    input  wire             fb_we,
    input  wire             fh_en,

    output wire             asserts_on
);

`ifdef ACCEL_ASSERTS
assign asserts_on = 1'b1;
`else
assign asserts_on = 1'b0;
`endif

stream_assert #(.WIDTH(WIDTH)) u_stream (
    .clk(clk), .rst(rst), .valid(s_valid), .ready(s_ready), .data(s_data));

stream_assert #(.WIDTH(WIDTH), .PULSE(1)) u_pulse (
    .clk(clk), .rst(rst), .valid(p_valid), .ready(p_ready), .data(p_data));

cmd_rsp_assert u_txn (
    .clk(clk), .rst(rst), .cmd_fire(cmd_fire), .rsp_fire(rsp_fire));

// one lane, 16 words a bank, an 8-bit column: b_req = {en, we, s2, row, x, wdata, wmask}
/* verilator lint_off UNUSEDSIGNAL */
wire [15:0] fm_a_rdata, fm_b_rdata;
wire [31:0] fm_h_rdata;
/* verilator lint_on UNUSEDSIGNAL */
fm_stack #(.LANES(1), .DEPTH(16), .XW(8)) u_fm (
    .clk(clk),
    .a_req({2'b00, 4'd0, 8'd0}), .a_rdata(fm_a_rdata),
    .b_req({fb_en, fb_we, 1'b0, 4'd3, 8'd1, 16'h1234, 1'b1}), .b_rdata(fm_b_rdata),
    .h_en(fh_en), .h_we(1'b0), .h_addr(4'd0), .h_wdata(32'd0), .h_rdata(fm_h_rdata));

endmodule
// verilator coverage_on

`resetall
