/*
 * uc_list_conns.vh: the connections of the UC unit's index and pointer memory read ports (FIDX,
 * BIDX, PTR: *_rd_en, *_rd_addr, data one cycle later on *_rd_data) to nets of the same names,
 * `include`d inside an instance's port connection list (every line ends with a comma: more
 * connections follow): uc_unit and the memories (mem_subsys, mem_core) in accel_top and in the
 * UC unit's harness.
 */
    .fidx_rd_en(fidx_rd_en), .fidx_rd_addr(fidx_rd_addr), .fidx_rd_data(fidx_rd_data),
    .bidx_rd_en(bidx_rd_en), .bidx_rd_addr(bidx_rd_addr), .bidx_rd_data(bidx_rd_data),
    .ptr_rd_en(ptr_rd_en), .ptr_rd_addr(ptr_rd_addr), .ptr_rd_data(ptr_rd_data),
