/*
 * Random stalls on the five channels of an AXI4 link (verification only): a 32-bit LFSR
 * decides, per channel and per cycle, whether the channel is stalled; a stalled channel has
 * VALID and READY both held low on its two sides (no transfer that cycle). A VALID that one side
 * already shows without READY is never taken back: while a channel's VALID is up and waiting
 * (on either side), the gate stays open for it, so both sides keep the AXI rule "VALID stays
 * until the handshake" (the slave sees its R/B VALID held; the master its AW/W/AR VALID). So the
 * master sees what cocotbext-axi's pause generators give: READY low on AW/W/AR, VALID late on R/B.
 * Payloads pass straight through (only the handshakes are gated).
 *
 * Parameters: none. Stall probability: 1/4 per channel per cycle (two LFSR bits both set).
 *
 * Control: enable (0: the gate is a wire), seed (the LFSR's value at reset; 0 means 1).
 *
 * Latency: none (combinational on the handshake signals; the stall bits are registered).
 */

`resetall
`timescale 1ns / 1ps
`default_nettype none

module axi_stall_gate
(
    input  wire        clk,
    input  wire        rst,

    input  wire        enable,          // stalls on
    input  wire [31:0] seed,            // LFSR state at reset

    // AW: master side (s_) -> slave side (m_)
    input  wire        s_awvalid,
    output wire        s_awready,
    output wire        m_awvalid,
    input  wire        m_awready,
    // W
    input  wire        s_wvalid,
    output wire        s_wready,
    output wire        m_wvalid,
    input  wire        m_wready,
    // AR
    input  wire        s_arvalid,
    output wire        s_arready,
    output wire        m_arvalid,
    input  wire        m_arready,
    // B: slave side (m_) -> master side (s_)
    output wire        s_bvalid,
    input  wire        s_bready,
    input  wire        m_bvalid,
    output wire        m_bready,
    // R
    output wire        s_rvalid,
    input  wire        s_rready,
    input  wire        m_rvalid,
    output wire        m_rready
);

// channel order in the stall / wait vectors
localparam CH_AW = 0, CH_W = 1, CH_AR = 2, CH_B = 3, CH_R = 4, CHANNELS = 5;

reg [31:0]         lfsr_reg, lfsr_next;
reg [CHANNELS-1:0] wait_reg, wait_next;     // VALID shown, no READY yet (the gate stays open)

wire [CHANNELS-1:0] stall;                  // this cycle's stall per channel
wire [CHANNELS-1:0] valid_out, ready_out;   // VALID at the receiver, READY at the sender

genvar g;
generate
    for (g = 0; g < CHANNELS; g = g + 1) begin : g_stall
        // two bits 7 apart (CH_* < 5): P(stall) = 1/4, a different pair per channel
        assign stall[g] = enable && lfsr_reg[3 * g] && lfsr_reg[3 * g + 7] && !wait_reg[g];
    end
endgenerate

assign m_awvalid = s_awvalid && !stall[CH_AW];
assign s_awready = m_awready && !stall[CH_AW];
assign m_wvalid  = s_wvalid  && !stall[CH_W];
assign s_wready  = m_wready  && !stall[CH_W];
assign m_arvalid = s_arvalid && !stall[CH_AR];
assign s_arready = m_arready && !stall[CH_AR];
assign s_bvalid  = m_bvalid  && !stall[CH_B];
assign m_bready  = s_bready  && !stall[CH_B];
assign s_rvalid  = m_rvalid  && !stall[CH_R];
assign m_rready  = s_rready  && !stall[CH_R];

assign valid_out = {s_rvalid, s_bvalid, m_arvalid, m_wvalid, m_awvalid};
assign ready_out = {s_rready, s_bready, m_arready, m_wready, m_awready};

always @* begin
    // Galois LFSR, taps x^32 + x^22 + x^2 + x + 1
    lfsr_next = {1'b0, lfsr_reg[31:1]} ^ (lfsr_reg[0] ? 32'h8020_0003 : 32'd0);
    wait_next = valid_out & ~ready_out;
end

always @(posedge clk) begin
    lfsr_reg <= lfsr_next;
    wait_reg <= wait_next;
    if (rst) begin
        lfsr_reg <= (seed == 32'd0) ? 32'd1 : seed;
        wait_reg <= {CHANNELS{1'b0}};
    end
end

endmodule

`resetall
