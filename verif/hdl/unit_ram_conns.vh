/*
 * unit_ram_conns.vh: the connections of the weight, weight-gradient, bias and bias-gradient
 * memory ports (unit_ram_ports.vh) to nets of the same names, `include`d as the last entries of
 * an instance's port connection list (a unit's, or mem_core's, in the UC and LC test harnesses;
 * the last one has no trailing comma).
 */
    .wgt_rd_en(wgt_rd_en), .wgt_rd_addr(wgt_rd_addr), .wgt_rd_data(wgt_rd_data),
    .wgt_wr_en(wgt_wr_en), .wgt_wr_addr(wgt_wr_addr), .wgt_wr_data(wgt_wr_data),
    .grad_rd_en(grad_rd_en), .grad_rd_addr(grad_rd_addr), .grad_rd_data(grad_rd_data),
    .grad_wr_en(grad_wr_en), .grad_wr_addr(grad_wr_addr), .grad_wr_data(grad_wr_data),
    .bias_rd_en(bias_rd_en), .bias_rd_addr(bias_rd_addr), .bias_rd_data(bias_rd_data),
    .bias_wr_en(bias_wr_en), .bias_wr_addr(bias_wr_addr), .bias_wr_data(bias_wr_data),
    .bgrad_rd_en(bgrad_rd_en), .bgrad_rd_addr(bgrad_rd_addr), .bgrad_rd_data(bgrad_rd_data),
    .bgrad_wr_en(bgrad_wr_en), .bgrad_wr_addr(bgrad_wr_addr), .bgrad_wr_data(bgrad_wr_data)
