/*
 * skid_buffer: full-throughput valid/ready register slice
 *
 * Registers both directions: m_valid/m_data come from a register and s_ready
 * is a register too, which breaks combinational paths in either direction.
 * When the sink stalls, the word that was in flight (accepted because s_ready
 * was still high) is caught in the skid (temp) register.
 *
 * Latency: 1 cycle. Throughput: 1 word/cycle. s_ready is low for the first
 * cycle after reset.
 */

`resetall
`timescale 1ns / 1ps
`default_nettype none

module skid_buffer #
(
    // payload width
    parameter DATA_W = 16
)
(
    input  wire              clk,
    input  wire              rst,

    /*
     * Input stream
     */
    input  wire [DATA_W-1:0] s_data,
    input  wire              s_valid,
    output wire              s_ready,

    /*
     * Output stream
     */
    output wire [DATA_W-1:0] m_data,
    output wire              m_valid,
    input  wire              m_ready
);

reg              s_ready_reg, s_ready_next;
reg [DATA_W-1:0] m_data_reg, m_data_next;
reg              m_valid_reg, m_valid_next;
reg [DATA_W-1:0] temp_data_reg, temp_data_next;
reg              temp_valid_reg, temp_valid_next;

assign s_ready = s_ready_reg;
assign m_data  = m_data_reg;
assign m_valid = m_valid_reg;

always @* begin
    m_valid_next    = m_valid_reg;
    m_data_next     = m_data_reg;
    temp_valid_next = temp_valid_reg;
    temp_data_next  = temp_data_reg;

    // ready next cycle if the skid register stays empty: the sink drains now,
    // or there is nothing that would have to go into the skid register
    s_ready_next = m_ready || (!temp_valid_reg && (!m_valid_reg || !s_valid));

    if (s_ready_reg) begin
        if (m_ready || !m_valid_reg) begin
            // output register free: input goes straight to it
            m_valid_next = s_valid;
            if (s_valid) begin
                m_data_next = s_data;
            end
        end else begin
            // output stalled: catch the in-flight word in the skid register
            temp_valid_next = s_valid;
            if (s_valid) begin
                temp_data_next = s_data;
            end
        end
    end else if (m_ready) begin
        // input blocked: drain the skid register into the output register
        m_valid_next    = temp_valid_reg;
        m_data_next     = temp_data_reg;
        temp_valid_next = 1'b0;
    end
end

always @(posedge clk) begin
    s_ready_reg    <= s_ready_next;
    m_valid_reg    <= m_valid_next;
    m_data_reg     <= m_data_next;
    temp_valid_reg <= temp_valid_next;
    temp_data_reg  <= temp_data_next;

    if (rst) begin
        s_ready_reg    <= 1'b0;
        m_valid_reg    <= 1'b0;
        temp_valid_reg <= 1'b0;
    end
end

endmodule

`resetall
