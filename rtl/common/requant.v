/*
 * requant: saturating requantizer, accumulator -> data word, valid/ready stream
 *
 *   y = sat_OUT_W((acc + 2^(shift-1)) >>> shift)   shift > 0 (round half up)
 *   y = sat_OUT_W(acc)                             shift = 0
 *   relu: negative y -> 0
 *
 * Bit-exact with sparsetrain/numerics.py:requant(). The rounding add is done
 * in ACC_W+1 bits so it cannot wrap for any acc.
 *
 * m_sat is 1 when the output was clipped (information lost): the rounded value
 * was above the OUT_W range, or below it with relu off (with relu on a large
 * negative value becomes 0 exactly, which is not a clip).
 *
 * Latency: 1 cycle (one registered output stage). Throughput: 1 word/cycle.
 * s_ready = !m_valid || m_ready: combinational path from m_ready to s_ready;
 * put a skid_buffer in front where a registered ready is needed.
 */

`resetall
`timescale 1ns / 1ps
`default_nettype none

module requant #
(
    // accumulator width (signed)
    parameter ACC_W = 48,
    // output data width (signed), OUT_W <= ACC_W
    parameter OUT_W = 16,
    // shift field width; shift range 0..2^SHIFT_W-1 must be < ACC_W
    parameter SHIFT_W = 5
)
(
    input  wire               clk,
    input  wire               rst,

    /*
     * Accumulator input stream
     */
    input  wire [ACC_W-1:0]   s_acc,
    input  wire [SHIFT_W-1:0] s_shift,
    input  wire               s_relu,
    input  wire               s_valid,
    output wire               s_ready,

    /*
     * Requantized output stream
     */
    output wire [OUT_W-1:0]   m_data,
    output wire               m_sat,
    output wire               m_valid,
    input  wire               m_ready
);

// width of the overflow-free rounding sum
localparam SUM_W = ACC_W + 1;
// number of top result bits that must all equal the sign for no saturation
localparam TOP_W = SUM_W - OUT_W + 1;

localparam [OUT_W-1:0] MAX_VAL = {1'b0, {OUT_W-1{1'b1}}};
localparam [OUT_W-1:0] MIN_VAL = {1'b1, {OUT_W-1{1'b0}}};

reg [OUT_W-1:0] m_data_reg, m_data_next;
reg             m_sat_reg, m_sat_next;
reg             m_valid_reg, m_valid_next;

// datapath (combinational)
reg  [SUM_W-1:0] half;      // 2^(shift-1), 0 for shift 0
reg  [SUM_W-1:0] sum;
reg  [SUM_W-1:0] shifted;
reg  [TOP_W-1:0] top;
reg              ovf_pos, ovf_neg;
reg  [OUT_W-1:0] result;
reg              result_sat;

assign s_ready = !m_valid_reg || m_ready;

assign m_data  = m_data_reg;
assign m_sat   = m_sat_reg;
assign m_valid = m_valid_reg;

always @* begin
    // (1 << shift) >> 1 gives 2^(shift-1) for shift > 0 and 0 for shift 0
    half    = ({{SUM_W-1{1'b0}}, 1'b1} << s_shift) >> 1;
    sum     = {s_acc[ACC_W-1], s_acc} + half;
    shifted = $signed(sum) >>> s_shift;
    top     = shifted[SUM_W-1:OUT_W-1];
    ovf_pos = !shifted[SUM_W-1] && (|top);
    ovf_neg = shifted[SUM_W-1] && !(&top);

    if (shifted[SUM_W-1] && s_relu) begin
        result = {OUT_W{1'b0}};
    end else if (ovf_pos) begin
        result = MAX_VAL;
    end else if (ovf_neg) begin
        result = MIN_VAL;
    end else begin
        result = shifted[OUT_W-1:0];
    end
    result_sat = ovf_pos || (ovf_neg && !s_relu);

    // output register: load when empty or being drained
    m_valid_next = m_valid_reg;
    m_data_next  = m_data_reg;
    m_sat_next   = m_sat_reg;
    if (s_ready) begin
        m_valid_next = s_valid;
        if (s_valid) begin
            m_data_next = result;
            m_sat_next  = result_sat;
        end
    end
end

always @(posedge clk) begin
    m_valid_reg <= m_valid_next;
    m_data_reg  <= m_data_next;
    m_sat_reg   <= m_sat_next;

    if (rst) begin
        m_valid_reg <= 1'b0;
    end
end

endmodule

`resetall
