/*
 * Loop state of the descriptor sequencer (sequencer.v): one level of LOOP / ENDLOOP
 * (docs/program.md) -- whether a loop runs, the pc of its first descriptor, its count and the
 * current iteration. The sequencer checks the descriptors (a LOOP inside a loop or of count 0, an
 * ENDLOOP outside one: ERR LOOP) and moves the pc; this module keeps the state. The iteration
 * also drives gacc_auto and a LOAD / STORE's host step.
 *
 * Parameters: none.
 *
 * Latency: the state changes at the clock edge after a command (run_start, enter, step, stop);
 * again is combinational on the state.
 */

`resetall
`timescale 1ns / 1ps
`default_nettype none

module seq_loop
(
    input  wire        clk,
    input  wire        rst,

    input  wire        run_start,       // a run starts: no loop, iteration 0
    input  wire        enter,           // LOOP: a loop of enter_count iterations ...
    input  wire [15:0] enter_pc,        // ... from this descriptor (the one after the LOOP)
    input  wire [31:0] enter_count,
    input  wire        step,            // ENDLOOP in a loop: the next iteration, or leave the loop
    input  wire        stop,            // the end of a stop (soft reset, watchdog): no loop

    output wire        in_loop,
    output wire [15:0] loop_pc,         // pc of the loop's first descriptor
    output wire [31:0] loop_iter,       // iteration, from 0
    output wire        again            // another iteration follows this one
);

reg        in_loop_reg, in_loop_next;
reg [15:0] loop_pc_reg, loop_pc_next;
reg [31:0] loop_cnt_reg, loop_cnt_next;
reg [31:0] loop_iter_reg, loop_iter_next;

assign in_loop = in_loop_reg;
assign loop_pc = loop_pc_reg;
assign loop_iter = loop_iter_reg;
assign again = loop_iter_reg + 1'b1 < loop_cnt_reg;

always @* begin
    in_loop_next = in_loop_reg;
    loop_pc_next = loop_pc_reg;
    loop_cnt_next = loop_cnt_reg;
    loop_iter_next = loop_iter_reg;

    if (run_start) begin
        in_loop_next = 1'b0;
        loop_iter_next = 32'd0;
    end
    if (enter) begin
        in_loop_next = 1'b1;
        loop_pc_next = enter_pc;
        loop_cnt_next = enter_count;
        loop_iter_next = 32'd0;
    end
    if (step) begin
        if (again) begin
            loop_iter_next = loop_iter_reg + 1'b1;
        end else begin
            in_loop_next = 1'b0;
            loop_iter_next = 32'd0;
        end
    end
    if (stop) begin
        in_loop_next = 1'b0;
    end
end

always @(posedge clk) begin
    in_loop_reg <= in_loop_next;
    loop_pc_reg <= loop_pc_next;
    loop_cnt_reg <= loop_cnt_next;
    loop_iter_reg <= loop_iter_next;

    // control state only
    if (rst) begin
        in_loop_reg <= 1'b0;
    end
end

endmodule

`resetall
