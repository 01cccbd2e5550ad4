/*
 * mem_core_nox_conns.vh: mem_core's bank ports 1 .. UPD_BANKS-1 of the weight and gradient
 * memories (the x ports, UPDATE's) left idle, for an instance with UPD_BANKS = 1 whose unit runs
 * no banked UPDATE (the LC unit's harness), `include`d in the instance's port connection list
 * (every entry ends with a comma; the includer connects grad_xrd_data, the read data, after it).
 */
    .wgt_xwr_en(1'b0), .wgt_xwr_addr({WAW{1'b0}}), .wgt_xwr_data(16'd0),
    .grad_xrd_en(1'b0), .grad_xrd_addr({WAW{1'b0}}),
    .grad_xwr_en(1'b0), .grad_xwr_addr({WAW{1'b0}}), .grad_xwr_data(32'd0),
