/*
 * unit_stack_wires.vh: the nets between one unit's stack ports (unit_stack_ports.vh) and its
 * fm_stack in a test harness, `include`d in the module body after accel_defs.vh: the request
 * buses fma_req, fmb_req (FMA_REQ, FMB_REQ of accel_defs.vh; left out of toggle coverage as at
 * the unit) and the read data fma_rdata, fmb_rdata.
 */
/* verilator coverage_off */
wire [FMA_REQ_W-1:0] fma_req;
wire [FMB_REQ_W-1:0] fmb_req;
/* verilator coverage_on */
wire [LANES*16-1:0] fma_rdata, fmb_rdata;
