/*
 * top_csr_conns.vh: the control and status connections between the registers (axil_regs) and
 * the sequencer in accel_top, `include`d inside each instance's port connection list (every
 * line ends with a comma: more connections follow): the run's start, stop and program, its
 * state, error and counters.
 */
    .start(start), .soft_reset(soft_reset), .prog_addr(prog_addr), .prog_len(prog_len),
    .watchdog(watchdog), .busy(busy), .done(done_pulse), .err_code(err_code), .err_pc(err_pc),
    .cnt_total(cnt_total), .cnt_uc(cnt_uc), .cnt_pool(cnt_pool), .cnt_lc(cnt_lc),
    .cnt_dma(cnt_dma), .n_correct(n_correct), .loss_sum(loss_sum),
