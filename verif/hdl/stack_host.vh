/*
 * stack_host.vh: the stack of a single-stack unit harness (mp, gap, loss), `include`d in the
 * module body after the unit: fm_stack on the unit's ports A and B (nets of unit_stack_wires.vh)
 * and the host port (stack_host_ports.vh), which owns the stack while the unit is not busy.
 * The harness includes stack_host_nets.vh before the unit (FM_AW, XW, the stack nets).
 *
 * With STACK_HOST_COPY1 defined (the map units' harness), and its parameter RD_PORTS > 1,
 * RD_PORTS copies of the stack as on an engine array: copy 1's port A is the unit's second read
 * port (nets fma2_req, fma2_rdata, declared by the harness), copies 2 .. RD_PORTS-1 its further
 * ones (fmx_req / fmx_rdata, copy k at slot k - 2); every copy's port B takes the same requests
 * as the first copy's (every unit write reaches them all), the host writes all and reads copy
 * hst_copy (a harness port), so that a testbench can check the copies stay equal.
 */
wire host = !busy;
wire [BANKS*16-1:0] hst_rdata0;

fm_stack #(.LANES(LANES), .DEPTH(FM_DEPTH), .XW(XW)) u_stack (
    .clk(clk),
    .a_req(fma_req), .a_rdata(fma_rdata), .b_req(fmb_req), .b_rdata(fmb_rdata),
    .h_en(host), .h_we(host && hst_we), .h_addr(hst_addr[FM_AW-1:0]),
    .h_wdata(hst_wdata), .h_rdata(hst_rdata0)
);

`ifdef STACK_HOST_COPY1
localparam SH_COPIES = (RD_PORTS > 1) ? RD_PORTS : 1;
localparam SH_CW = (SH_COPIES > 1) ? $clog2(SH_COPIES) : 1;
wire [SH_COPIES*BANKS*16-1:0] hst_rdata_c;
wire [(RDX_PORTS+1)*LANES*16-1:0] a_rdata_c;    // port A data of copies 1 .. (copy k at slot k - 1)
reg  [SH_CW-1:0] sel_reg;                          // hst_copy of the read one cycle before
always @(posedge clk) begin
    sel_reg <= hst_copy[SH_CW-1:0];
end
assign hst_rdata_c[0 +: BANKS*16] = hst_rdata0;
assign hst_rdata = hst_rdata_c[BANKS*16*sel_reg +: BANKS*16];
genvar shk;
generate
    for (shk = 1; shk < RDX_PORTS + 2; shk = shk + 1) begin : g_copy
        if (shk < SH_COPIES) begin : g_on
            /* verilator lint_off UNUSEDSIGNAL */
            wire [LANES*16-1:0] b_rdata_k;      // the unit reads port B of copy 0 only
            /* verilator lint_on UNUSEDSIGNAL */
            fm_stack #(.LANES(LANES), .DEPTH(FM_DEPTH), .XW(XW)) u_stack_k (
                .clk(clk),
                .a_req((shk == 1) ? fma2_req : fmx_req[FMA_REQ_W*(shk-2) +: FMA_REQ_W]),
                .a_rdata(a_rdata_c[LANES*16*(shk-1) +: LANES*16]),
                .b_req(fmb_req), .b_rdata(b_rdata_k),
                .h_en(host), .h_we(host && hst_we), .h_addr(hst_addr[FM_AW-1:0]),
                .h_wdata(hst_wdata), .h_rdata(hst_rdata_c[BANKS*16*shk +: BANKS*16])
            );
        end else begin : g_off
            assign a_rdata_c[LANES*16*(shk-1) +: LANES*16] = {(LANES*16){1'b0}};
        end
    end
endgenerate
assign fma2_rdata = a_rdata_c[0 +: LANES*16];
assign fmx_rdata = a_rdata_c[LANES*16 +: RDX_PORTS*LANES*16];
`else
assign hst_rdata = hst_rdata0;
`endif
