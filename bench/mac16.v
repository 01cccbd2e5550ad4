/*
 * Lone registered 16x16 multiply-accumulate: the reference design of `make pnr` (flow/pnr.py),
 * placed and routed beside the accelerator top on the same part and speed grade to give the
 * device's practical clock ceiling for this datapath.
 *
 * Built by the project's pipeline rule (one multiply, or one wide add, a stage), as a UC unit
 * MAC lane: the operands are registered at the inputs, their signed 16x16 product is registered
 * (uc_mac P6), and each cycle the product is added into a 48-bit accumulator (ACC_W of
 * rtl/common/accel_defs.vh, uc_mac P7), which is the output.
 *
 * Parameters: none. Latency: 3 cycles from a, b to acc.
 */

`resetall
`timescale 1ns / 1ps
`default_nettype none

module mac16
(
    input  wire               clk,
    input  wire               rst,
    input  wire signed [15:0] a,
    input  wire signed [15:0] b,
    output wire signed [47:0] acc
);

reg signed [15:0] a_reg, b_reg;
reg signed [31:0] prod_reg;
reg signed [47:0] acc_reg;

always @(posedge clk) begin
    a_reg <= a;
    b_reg <= b;
    prod_reg <= a_reg * b_reg;
    acc_reg <= acc_reg + {{16{prod_reg[31]}}, prod_reg};
    if (rst) begin
        acc_reg <= 48'd0;
    end
end

assign acc = acc_reg;

endmodule

`resetall
