/*
 * stack_host.vh: the stack of a single-stack unit harness (mp, gap, loss), `include`d in the
 * module body after the unit: fm_stack on the unit's ports A and B (nets of unit_stack_wires.vh)
 * and the host port (stack_host_ports.vh), which owns the stack while the unit is not busy.
 * The harness includes stack_host_nets.vh before the unit (FM_AW, XW, the stack nets).
 *
 * With STACK_HOST_COPY1 defined (the map units' harness), and its parameter RD_PORTS > 1, a
 * second copy of the stack as on an engine array: its port A is the unit's second read port
 * (nets fma2_req, fma2_rdata, declared by the harness), its port B takes the same requests as
 * the first copy's (every unit write reaches both), the host writes both and reads copy 1 with
 * hst_copy = 1 (a harness port; copy 0 otherwise), so that a testbench can check the copies stay equal.
 * RD_PORTS > 3: copies 2 and 3 as well (port A the unit's fma34_req / fma34_rdata, read by the host
 * with hst_copy = 2, 3).
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
generate
    if (RD_PORTS > 1) begin : g_copy1
        wire [BANKS*16-1:0] hst_rdata1;
        /* verilator lint_off UNUSEDSIGNAL */
        wire [LANES*16-1:0] b_rdata1;       // the unit reads port B of copy 0 only
        /* verilator lint_on UNUSEDSIGNAL */
        reg sel1_reg;                       // hst_copy of the read one cycle before
        always @(posedge clk) begin
            sel1_reg <= hst_copy[0];
        end
        fm_stack #(.LANES(LANES), .DEPTH(FM_DEPTH), .XW(XW)) u_stack1 (
            .clk(clk),
            .a_req(fma2_req), .a_rdata(fma2_rdata), .b_req(fmb_req), .b_rdata(b_rdata1),
            .h_en(host), .h_we(host && hst_we), .h_addr(hst_addr[FM_AW-1:0]),
            .h_wdata(hst_wdata), .h_rdata(hst_rdata1)
        );
        if (RD_PORTS > 3) begin : g_copy23
            // copies 2 and 3 (RD_PORTS = 4): port A the unit's third and fourth read ports
            wire [BANKS*16-1:0] hst_rdata2, hst_rdata3;
            /* verilator lint_off UNUSEDSIGNAL */
            wire [LANES*16-1:0] b_rdata2, b_rdata3;
            /* verilator lint_on UNUSEDSIGNAL */
            reg sel2_reg;
            always @(posedge clk) begin
                sel2_reg <= hst_copy[1];
            end
            fm_stack #(.LANES(LANES), .DEPTH(FM_DEPTH), .XW(XW)) u_stack2 (
                .clk(clk),
                .a_req(fma34_req[0 +: FMA_REQ_W]), .a_rdata(fma34_rdata[0 +: LANES*16]),
                .b_req(fmb_req), .b_rdata(b_rdata2),
                .h_en(host), .h_we(host && hst_we), .h_addr(hst_addr[FM_AW-1:0]),
                .h_wdata(hst_wdata), .h_rdata(hst_rdata2)
            );
            fm_stack #(.LANES(LANES), .DEPTH(FM_DEPTH), .XW(XW)) u_stack3 (
                .clk(clk),
                .a_req(fma34_req[FMA_REQ_W +: FMA_REQ_W]), .a_rdata(fma34_rdata[LANES*16 +: LANES*16]),
                .b_req(fmb_req), .b_rdata(b_rdata3),
                .h_en(host), .h_we(host && hst_we), .h_addr(hst_addr[FM_AW-1:0]),
                .h_wdata(hst_wdata), .h_rdata(hst_rdata3)
            );
            assign hst_rdata = sel2_reg ? (sel1_reg ? hst_rdata3 : hst_rdata2) :
                                          (sel1_reg ? hst_rdata1 : hst_rdata0);
        end else begin : g_two
            assign fma34_rdata = {(2*LANES*16){1'b0}};
            assign hst_rdata = sel1_reg ? hst_rdata1 : hst_rdata0;
        end
    end else begin : g_one
        assign fma2_rdata = {(LANES*16){1'b0}};
        assign fma34_rdata = {(2*LANES*16){1'b0}};
        assign hst_rdata = hst_rdata0;
    end
endgenerate
`else
assign hst_rdata = hst_rdata0;
`endif
