/*
 * top_ldst_ports.vh: the word paths of a LOAD / STORE: the DMA's read and write words and the
 * memories' host port (mem_subsys), shared by ldst_mover, which moves the words, and the
 * sequencer, which passes them through to it, `include`d inside the ANSI port list (every line
 * ends with a comma: more ports follow). The including module has HST_W (host port word width).
 */
    // DMA transfer end, read words (host -> chip, one a cycle, no back-pressure), write words
    input  wire             dma_done,
    input  wire             dma_err,
    input  wire             s_dma_rd_valid,
    input  wire [31:0]      s_dma_rd_data,
    input  wire             s_dma_rd_err,
    output wire             m_dma_wr_valid,
    input  wire             m_dma_wr_ready,
    output wire [31:0]      m_dma_wr_data,

    // memories' host port (mem_subsys): owned by the sequencer while no unit is busy
    output wire [3:0]       hp_sel,
    output wire [31:0]      hp_addr,
    output wire             hp_we,
    output wire [HST_W-1:0] hp_wdata,
    input  wire [HST_W-1:0] hp_rdata,
