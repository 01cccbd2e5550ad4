/*
 * pipe_delay: a bus delayed by DEPTH clock cycles, every stage visible (a tapped shift register),
 * with an optional valid bit. For the sideband of a fixed-latency pipeline: the fields an item
 * carries unchanged from stage to stage travel as one bus instead of hand-copied registers.
 *
 * Stage k (k = 0 .. DEPTH-1) holds the word that entered k + 1 cycles ago:
 *   tap_data[k*WIDTH +: WIDTH], tap_valid[k]; m_data / m_valid are the last stage.
 * Data shift every cycle (no enable, no reset: the valid bits qualify them); with VALID = 1 the
 * valid bits shift alongside and are cleared by rst. With VALID = 0 the valid bits are constant
 * 0 (synthesis removes them) and s_valid is ignored.
 *
 * Parameters:
 *   WIDTH  bus width
 *   DEPTH  stages (>= 1)
 *   VALID  1: carry s_valid with reset; 0: data only
 *
 * Latency: DEPTH cycles (stage k: k + 1). Throughput: one word a cycle, no back-pressure.
 */

`resetall
`timescale 1ns / 1ps
`default_nettype none

module pipe_delay #
(
    // bus width
    parameter WIDTH = 8,
    // stages (>= 1)
    parameter DEPTH = 1,
    // 1: carry a valid bit (cleared by rst) with the data; 0: data only
    parameter VALID = 1
)
(
    input  wire                   clk,
    input  wire                   rst,

    input  wire [WIDTH-1:0]       s_data,
    /* verilator lint_off UNUSEDSIGNAL */
    input  wire                   s_valid,     // unused with VALID = 0
    /* verilator lint_on UNUSEDSIGNAL */

    // the last stage
    output wire [WIDTH-1:0]       m_data,
    output wire                   m_valid,

    // every stage: k + 1 cycles old at [k*WIDTH +: WIDTH] / [k]
    output wire [DEPTH*WIDTH-1:0] tap_data,
    output wire [DEPTH-1:0]       tap_valid
);

reg [DEPTH*WIDTH-1:0] data_reg, data_next;
reg [DEPTH-1:0]       valid_reg, valid_next;

assign m_data = data_reg[(DEPTH-1)*WIDTH +: WIDTH];
assign m_valid = valid_reg[DEPTH-1];
assign tap_data = data_reg;
assign tap_valid = valid_reg;

integer k;
always @* begin
    data_next[WIDTH-1:0] = s_data;
    valid_next[0] = (VALID != 0) && s_valid;
    for (k = 1; k < DEPTH; k = k + 1) begin
        data_next[k*WIDTH +: WIDTH] = data_reg[(k-1)*WIDTH +: WIDTH];
        valid_next[k] = valid_reg[k-1];
    end
end

always @(posedge clk) begin
    data_reg <= data_next;
    valid_reg <= valid_next;

    if (rst) begin
        valid_reg <= {DEPTH{1'b0}};
    end
end

endmodule

`resetall
