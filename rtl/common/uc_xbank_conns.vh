/*
 * uc_xbank_conns.vh: the UC unit's bank ports 1 .. UPD_BANKS-1 of the weight and gradient
 * memories (uc_unit's wgt_xwr_*, grad_xrd_*, grad_xwr_*: every copy's, ENGINES * XB fields) to
 * nets of the same names, `include`d as the last entries of an instance's port connection list
 * (uc_unit and mem_subsys in accel_top; the last one has no trailing comma).
 */
    .wgt_xwr_en(wgt_xwr_en), .wgt_xwr_addr(wgt_xwr_addr), .wgt_xwr_data(wgt_xwr_data),
    .grad_xrd_en(grad_xrd_en), .grad_xrd_addr(grad_xrd_addr), .grad_xrd_data(grad_xrd_data),
    .grad_xwr_en(grad_xwr_en), .grad_xwr_addr(grad_xwr_addr), .grad_xwr_data(grad_xwr_data)
