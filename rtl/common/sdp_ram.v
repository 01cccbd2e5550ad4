/*
 * Simple dual-port RAM: one write port, one registered read port (block-RAM template).
 *
 * Parameters:
 *   DATA_W  word width
 *   DEPTH   number of words
 *
 * Latency: read data 1 cycle after the address (when rd_en). A read of the address written in
 * the same cycle returns the old word (read-first).
 */

`resetall
`timescale 1ns / 1ps
`default_nettype none

module sdp_ram #
(
    // word width
    parameter DATA_W = 16,
    // number of words
    parameter DEPTH = 1024
)
(
    input  wire              clk,

    // write port
    input  wire              wr_en,
    input  wire [AW-1:0]     wr_addr,
    input  wire [DATA_W-1:0] wr_data,

    // read port
    input  wire              rd_en,
    input  wire [AW-1:0]     rd_addr,
    output reg  [DATA_W-1:0] rd_data
);

localparam AW = (DEPTH > 1) ? $clog2(DEPTH) : 1;

reg [DATA_W-1:0] mem [0:DEPTH-1];

// block RAM powers up as zeros
integer i;
initial begin
    rd_data = {DATA_W{1'b0}};
    for (i = 0; i < DEPTH; i = i + 1) begin
        mem[i] = {DATA_W{1'b0}};
    end
end

always @(posedge clk) begin
    if (wr_en) begin
        mem[wr_addr] <= wr_data;
    end
    if (rd_en) begin
        rd_data <= mem[rd_addr];
    end
end

endmodule

`resetall
