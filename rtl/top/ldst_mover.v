/*
 * LOAD / STORE data mover of the sequencer: moves memory words between the DMA's 32-bit word
 * streams and the on-chip memories' host port (mem_subsys), a memory word of W bits being
 * ceil(W/32) beats, least significant first (docs/program.md). LOAD LABEL writes the label
 * register instead of a memory.
 *
 * The sequencer checks the descriptor (xfer_check), commands the DMA and pulses start in the same
 * cycle; finish is high for one cycle when the transfer is over (the DMA's done, or a write error
 * response, which ends a STORE early), with dma_err telling how it ended.
 *   LOAD   every completed word is written at its own address; a word one of whose beats came
 *          with an error response is not written (its slot is skipped)
 *   STORE  per word: address on the host port, read data into the beat buffer, its beats to the
 *          DMA's write stream (held while not ready)
 *
 * Parameters:
 *   HST_W  host port word width (at least 64, and the widest memory word)
 *
 * Latency: LOAD writes a word the cycle after its last beat; STORE spends 2 cycles per word
 * before its beats.
 */

`resetall
`timescale 1ns / 1ps
`default_nettype none

module ldst_mover #
(
    // host port word width (at least 64, and the widest memory word)
    parameter HST_W = 256
)
(
    input  wire             clk,
    input  wire             rst,

    // transfer command, with the DMA command of the same cycle
    input  wire             start,
    input  wire             start_store,    // 1 STORE, 0 LOAD
    input  wire [3:0]       start_sel,      // memory selector
    input  wire [31:0]      start_count,    // memory words (>= 1)
    input  wire [31:0]      start_addr,     // first memory word
    input  wire [5:0]       start_beats,    // 32-bit beats per memory word
    output wire             finish,         // pulse: the transfer is over (dma_err: with an error)

    // DMA words and the memories' host port
`include "top_ldst_ports.vh"

    // the label register (LOAD LABEL): 16'hffff when the word had any of bits 31:16 set
    output wire [15:0]      label
);

localparam [3:0] SEL_LABEL = 4'd15;

localparam [2:0] M_IDLE = 3'd0,         // wait for start
                 M_LOAD = 3'd1,         // DMA read words -> host port writes
                 M_STORE_RD = 3'd2,     // memory word address on the host port
                 M_STORE_LAT = 3'd3,    // memory word -> beat buffer
                 M_STORE_W = 3'd4,      // beat buffer -> DMA write stream
                 M_STORE_END = 3'd5;    // wait for the DMA's last B response

reg [2:0]       state_reg, state_next;
reg [5:0]       beat_idx_reg, beat_idx_next;    // beat of the word being moved
reg [5:0]       beats_reg, beats_next;          // beats per memory word
reg [31:0]      words_left_reg, words_left_next;    // STORE: memory words still to move
reg             word_err_reg, word_err_next;    // LOAD: a beat of this word had an error response
reg             ld_adv_reg, ld_adv_next;        // LOAD: a word was completed last cycle
reg [HST_W-1:0] beat_buf_reg, beat_buf_next;    // STORE: the memory word being sent
reg [3:0]       hp_sel_reg, hp_sel_next;
reg [31:0]      hp_addr_reg, hp_addr_next;
reg             hp_we_reg, hp_we_next;
reg [HST_W-1:0] hp_wdata_reg, hp_wdata_next;
reg [15:0]      label_reg, label_next;

wire store_busy = state_reg == M_STORE_RD || state_reg == M_STORE_LAT || state_reg == M_STORE_W;
wire last_beat = beat_idx_reg + 1'b1 == beats_reg;

assign finish = ((state_reg == M_LOAD || state_reg == M_STORE_END) && dma_done) ||
                // a write error response ends the DMA transfer early (no later burst)
                (store_busy && dma_done && dma_err);
assign m_dma_wr_valid = (state_reg == M_STORE_W);
assign m_dma_wr_data = beat_buf_reg[32*beat_idx_reg +: 32];
assign hp_sel = hp_sel_reg;
assign hp_addr = hp_addr_reg;
assign hp_we = hp_we_reg;
assign hp_wdata = hp_wdata_reg;
assign label = label_reg;

always @* begin
    state_next = state_reg;
    beat_idx_next = beat_idx_reg;
    beats_next = beats_reg;
    words_left_next = words_left_reg;
    word_err_next = word_err_reg;
    ld_adv_next = ld_adv_reg;
    beat_buf_next = beat_buf_reg;
    hp_sel_next = hp_sel_reg;
    hp_addr_next = hp_addr_reg;
    hp_we_next = 1'b0;
    hp_wdata_next = hp_wdata_reg;
    label_next = label_reg;

    case (state_reg)
    M_IDLE: begin
        if (start) begin
            beats_next = start_beats;
            words_left_next = start_count;
            hp_sel_next = start_sel;
            hp_addr_next = start_addr;
            beat_idx_next = 6'd0;
            word_err_next = 1'b0;
            ld_adv_next = 1'b0;
            state_next = start_store ? M_STORE_RD : M_LOAD;
        end
    end
    M_LOAD: begin
        // the word completed last cycle was written at hp_addr then (unless it had an error
        // beat); hp_addr moves on either way, so every word keeps its own slot
        if (ld_adv_reg) begin
            hp_addr_next = hp_addr_reg + 1'b1;
        end
        ld_adv_next = 1'b0;
        if (s_dma_rd_valid) begin
            hp_wdata_next[32*beat_idx_reg +: 32] = s_dma_rd_data;
            if (last_beat) begin
                beat_idx_next = 6'd0;
                word_err_next = 1'b0;
                if (hp_sel_reg == SEL_LABEL) begin
                    if (!s_dma_rd_err) begin
                        label_next = (s_dma_rd_data[31:16] != 16'd0) ? 16'hffff : s_dma_rd_data[15:0];
                    end
                end else begin
                    hp_we_next = !(word_err_reg || s_dma_rd_err);
                    ld_adv_next = 1'b1;
                end
            end else begin
                beat_idx_next = beat_idx_reg + 1'b1;
                word_err_next = word_err_reg || s_dma_rd_err;
            end
        end
        if (dma_done) begin
            state_next = M_IDLE;
        end
    end
    M_STORE_RD: begin
        // hp_addr is on the memories' read port this cycle
        state_next = M_STORE_LAT;
    end
    M_STORE_LAT: begin
        beat_buf_next = hp_rdata;
        beat_idx_next = 6'd0;
        state_next = M_STORE_W;
    end
    M_STORE_W: begin
        if (m_dma_wr_ready) begin
            if (last_beat) begin
                beat_idx_next = 6'd0;
                words_left_next = words_left_reg - 1'b1;
                hp_addr_next = hp_addr_reg + 1'b1;
                state_next = (words_left_reg == 32'd1) ? M_STORE_END : M_STORE_RD;
            end else begin
                beat_idx_next = beat_idx_reg + 1'b1;
            end
        end
    end
    default: begin
        // M_STORE_END
        if (dma_done) begin
            state_next = M_IDLE;
        end
    end
    endcase

    if (store_busy && dma_done && dma_err) begin
        state_next = M_IDLE;
    end
end

always @(posedge clk) begin
    state_reg <= state_next;
    beat_idx_reg <= beat_idx_next;
    beats_reg <= beats_next;
    words_left_reg <= words_left_next;
    word_err_reg <= word_err_next;
    ld_adv_reg <= ld_adv_next;
    beat_buf_reg <= beat_buf_next;
    hp_sel_reg <= hp_sel_next;
    hp_addr_reg <= hp_addr_next;
    hp_we_reg <= hp_we_next;
    hp_wdata_reg <= hp_wdata_next;
    label_reg <= label_next;

    if (rst) begin
        state_reg <= M_IDLE;
        ld_adv_reg <= 1'b0;
        hp_we_reg <= 1'b0;
        label_reg <= 16'd0;
    end
end

endmodule

`resetall
