/*
 * top_cnt_ports.vh: the run's counters as outputs (registers CNT_TOTAL, CNT_UC, CNT_POOL,
 * CNT_LC, CNT_DMA, N_CORRECT, LOSS_SUM; docs/registers.md), shared by run_ctrl, which counts,
 * and the sequencer, which passes them to the registers, `include`d inside the ANSI port list
 * (every line ends with a comma: more ports follow).
 */
    output wire [31:0]      cnt_total,
    output wire [31:0]      cnt_uc,
    output wire [31:0]      cnt_pool,
    output wire [31:0]      cnt_lc,
    output wire [31:0]      cnt_dma,
    output wire [31:0]      n_correct,
    output wire [31:0]      loss_sum,
