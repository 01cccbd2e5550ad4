/*
 * stack_host.vh: the stack of a single-stack unit harness (mp, gap, loss), `include`d in the
 * module body after the unit: fm_stack on the unit's ports A and B (nets of unit_stack_wires.vh)
 * and the host port (stack_host_ports.vh), which owns the stack while the unit is not busy.
 * The harness includes stack_host_nets.vh before the unit (FM_AW, XW, the stack nets).
 */
wire host = !busy;

fm_stack #(.LANES(LANES), .DEPTH(FM_DEPTH), .XW(XW)) u_stack (
    .clk(clk),
    .a_req(fma_req), .a_rdata(fma_rdata), .b_req(fmb_req), .b_rdata(fmb_rdata),
    .h_en(host), .h_we(host && hst_we), .h_addr(hst_addr[FM_AW-1:0]),
    .h_wdata(hst_wdata), .h_rdata(hst_rdata)
);
