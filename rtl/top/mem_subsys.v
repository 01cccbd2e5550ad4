/*
 * Memory subsystem of the accelerator: the on-chip memories with their host port (mem_core:
 * the feature-map stack and the WGT, FIDX, BIDX, PTR, GRAD, BIAS, BGRAD RAMs) and the muxes that
 * give their unit ports to the unit that runs. One unit runs at a time: the stack ports go to
 * the busy one of MP, GAP, LC and loss (the UC unit's otherwise), the weight, gradient and bias
 * RAMs to the LC unit while it is busy (the UC unit's otherwise); the index and pointer RAMs
 * serve the UC unit alone. While no unit is busy the host port (the sequencer's LOAD / STORE)
 * owns the memories (mem_core).
 *
 * Engine array (ENGINES > 1, docs/uc_unit.md "Engine array"): ENGINES copies of the memories,
 * one an engine of the UC unit, whose ports (and read data) are ENGINES wide. Every write that
 * is not the UC unit's own reaches every copy (the host's, the other units': their request goes
 * to every copy); the other units and the host read copy 0. The GRAD and BGRAD copies differ
 * (each engine writes its filters' gradients in its own; the UC unit's UPDATE reads them
 * there): the host reads copy 0's. The MP unit reads two copies a cycle (its second read port,
 * mp_fma2_req, is copy 1's port A; fma2_rdata its data; with ENGINES > 3 four and with ENGINES > 7
 * eight: mp_fmx_req, copies 2 .. 7's port A, copy k at slot k - 2), and so does the LC unit's weight and
 * bias RAMs (copy 1's weight and bias reads are the LC unit's second read ports, lc_rd2_req;
 * wgt2_rd_data, bias2_rd_data their data). A unit's ports arrive as request buses: its stack ports as
 * FMA_REQ / FMB_REQ (accel_defs.vh), muxed as arrays indexed by the busy unit; the UC and LC
 * units' weight, gradient and bias RAM ports as RAM_REQ (below). Request buses are pure wiring:
 * they are left out of coverage (their fields are covered where the units compute them and in
 * fm_stack, which unpacks them).
 *
 * Contracts (immediate assertions when ACCEL_ASSERTS is defined, as rtl/common/stream_assert.v):
 * at most one unit busy; a unit drives its memory enables only while it is busy (the muxes
 * select by busy) and while the registered host flag is low; the host port writes only while no
 * unit is busy and the registered host flag is high.
 *
 * Parameters: ENGINES (copies), UPD_BANKS (banks of the weight and gradient memories) and as uc_unit (rtl/common/uc_params.vh: LANES, KMAX, CMAX, NMAX,
 * FM_DEPTH, WDEPTH, PDEPTH, BDEPTH; HMAX and WMAX are not used here).
 *
 * Latency: the muxes are combinational; memories as mem_core (RAM and host reads 1 cycle, stack
 * ports A and B 2 cycles).
 */

`resetall
`timescale 1ns / 1ps
`default_nettype none

module mem_subsys #
(
    // copies of the memories: the UC unit's engines
    parameter ENGINES = 1,
    // UPDATE engines: banks of the weight and gradient memories (mem_core's x ports, the UC
    // unit's alone)
    parameter UPD_BANKS = 1,
// the UC unit's parameters; HMAX, WMAX unused here (no map shapes)
/* verilator lint_off UNUSEDPARAM */
`include "uc_params.vh"
/* verilator lint_on UNUSEDPARAM */
)
(
    input  wire                     clk,
    input  wire                     rst,            // the units' reset (assertions only)

    // which unit runs
`include "top_busy_ports.vh"

    // host port (mem_core): owns the memories while no unit is busy
    input  wire [3:0]               hp_sel,
    input  wire [31:0]              hp_addr,
    input  wire                     hp_we,
    input  wire [HST_W-1:0]         hp_wdata,
    output wire [HST_W-1:0]         hp_rdata,
    output wire                     list_wr,        // a FIDX, BIDX or PTR word is written now (uc_unit)

    // unit stack ports: request buses (FMA_REQ, FMB_REQ of accel_defs.vh), shared read data
    /* verilator coverage_off */
    input  wire [ENGINES*FMA_REQ_W-1:0] uc_fma_req,     // one a copy
    input  wire [ENGINES*FMB_REQ_W-1:0] uc_fmb_req,
    input  wire [FMA_REQ_W-1:0]     mp_fma_req,
    input  wire [FMA_REQ_W-1:0]     mp_fma2_req,    // the MP unit's second read port: copy 1's port A
    input  wire [RDX_PORTS*FMA_REQ_W-1:0] mp_fmx_req, // its further ones: copies 2 .. 7's (ENGINES > k)
    input  wire [FMB_REQ_W-1:0]     mp_fmb_req,
    input  wire [FMA_REQ_W-1:0]     gap_fma_req,
    input  wire [FMB_REQ_W-1:0]     gap_fmb_req,
    input  wire [FMA_REQ_W-1:0]     lc_fma_req,
    input  wire [FMB_REQ_W-1:0]     lc_fmb_req,
    input  wire [FMA_REQ_W-1:0]     loss_fma_req,
    input  wire [FMB_REQ_W-1:0]     loss_fmb_req,
    /* verilator coverage_on */
    output wire [LANES*16-1:0]      fma_rdata,      // copy 0 (the units but UC)
    output wire [LANES*16-1:0]      fmb_rdata,
    output wire [LANES*16-1:0]      fma2_rdata,     // copy 1's port A (copy 0's with one copy)
    output wire [RDX_PORTS*LANES*16-1:0] fmx_rdata, // copies 2 .. 7's (copy 0's where there is none)
    output wire [ENGINES*LANES*16-1:0] uc_fma_rdata,  // every copy (UC)
    output wire [ENGINES*LANES*16-1:0] uc_fmb_rdata,

    // weight, gradient, bias and bias-gradient RAM ports of the UC and LC units (layout RAM_REQ
    // below), and the shared read data
    /* verilator coverage_off */
    input  wire [ENGINES*RAM_REQ_W-1:0] uc_ram_req,   // one a copy
    input  wire [RAM_REQ_W-1:0]     lc_ram_req,
    // the LC unit's second weight and bias read ports, copy 1's:
    // {wgt2_rd_en, bias2_rd_en, wgt2_rd_addr, bias2_rd_addr}
    input  wire [1+1+WAW+BAW-1:0]   lc_rd2_req,
    /* verilator coverage_on */
    output wire [15:0]              wgt_rd_data,    // copy 0 (LC)
    output wire [31:0]              grad_rd_data,
    output wire [31:0]              bias_rd_data,
    output wire [31:0]              bgrad_rd_data,
    output wire [15:0]              wgt2_rd_data,   // copy 1 (LC's second ports; copy 0's with one copy)
    output wire [31:0]              bias2_rd_data,
    output wire [ENGINES*16-1:0]    uc_wgt_rd_data, // every copy (UC)
    output wire [ENGINES*32-1:0]    uc_grad_rd_data,
    output wire [ENGINES*32-1:0]    uc_bias_rd_data,
    output wire [ENGINES*32-1:0]    uc_bgrad_rd_data,

    // UC unit: index and pointer RAM ports (read only), one a copy
    input  wire [ENGINES-1:0]           fidx_rd_en,
    input  wire [ENGINES*WAW-1:0]       fidx_rd_addr,
    output wire [ENGINES*FIDX_W-1:0]    fidx_rd_data,
    input  wire [ENGINES-1:0]           bidx_rd_en,
    input  wire [ENGINES*WAW-1:0]       bidx_rd_addr,
    output wire [ENGINES*BIDX_W-1:0]    bidx_rd_data,
    input  wire [ENGINES-1:0]           ptr_rd_en,
    input  wire [ENGINES*PAW-1:0]       ptr_rd_addr,
    output wire [ENGINES*PTR_W-1:0]     ptr_rd_data,

    // UC unit: banks 1 .. UPD_BANKS-1 of every copy's weight and gradient memories (XB fields a
    // copy; uc_unit's x ports, only UPDATE uses them)
    /* verilator coverage_off */
    input  wire [ENGINES*XB-1:0]        wgt_xwr_en,
    input  wire [ENGINES*XB*WAW-1:0]    wgt_xwr_addr,
    input  wire [ENGINES*XB*16-1:0]     wgt_xwr_data,
    input  wire [ENGINES*XB-1:0]        grad_xrd_en,
    input  wire [ENGINES*XB*WAW-1:0]    grad_xrd_addr,
    output wire [ENGINES*XB*32-1:0]     grad_xrd_data,
    input  wire [ENGINES*XB-1:0]        grad_xwr_en,
    input  wire [ENGINES*XB*WAW-1:0]    grad_xwr_addr,
    input  wire [ENGINES*XB*32-1:0]     grad_xwr_data
    /* verilator coverage_on */
);

localparam XB = (UPD_BANKS > 1) ? UPD_BANKS - 1 : 1;

// memory word and address widths
`include "mem_defs.vh"

// the stack request widths
`include "accel_defs.vh"

// the host port owns the memories while no unit is busy: registered, a cycle behind busy like
// the owner flags below, so that the memories' port muxes (every RAM of every copy) select by a
// flip-flop, not by the five units' states (issue 16: the 2 x 4 top's critical path ran from the
// loss unit's state through this OR to a weight RAM copy, 14.4 of its 16.2 ns routing). No unit
// touches a memory in its first busy cycle, and the host port waits at least two cycles after a
// unit's response (the sequencer's next descriptor); the assertions below check both
wire any_busy = uc_busy || mp_busy || gap_busy || lc_busy || loss_busy;
reg  host_reg;
always @(posedge clk) begin
    host_reg <= !any_busy;
end
wire host = host_reg;

/*
 * The weight, gradient, bias and bias-gradient RAM ports of a unit as one bus, MSB first
 * (enables first):
 *   RAM_REQ = {wgt_rd_en, wgt_wr_en, grad_rd_en, grad_wr_en,
 *              bias_rd_en, bias_wr_en, bgrad_rd_en, bgrad_wr_en,
 *              wgt_rd_addr, wgt_wr_addr, wgt_wr_data, grad_rd_addr, grad_wr_addr, grad_wr_data,
 *              bias_rd_addr, bias_wr_addr, bias_wr_data, bgrad_rd_addr, bgrad_wr_addr,
 *              bgrad_wr_data}
 */

// stack ports of the unit that runs (the UC unit's when none of the others is busy). The owner is
// registered (a cycle behind busy), so that the port muxes select by flip-flops, not by the units'
// states through a priority encoder (issue 16): no unit touches a memory in its first busy cycle
// (the command checks take at least two) or after busy falls (it drains first); the assertions
// below check both against the registered owner.
// The owner is one-hot (own_*) and the mux an AND-OR of the five requests: 10 inputs a bit, two
// LUT6 levels; a binary index (a 4:1 then a 2:1) mapped to three (issue 16, the top's last
// family over 6 levels: owner -> request -> bank word add -> RAM address)
reg own_uc;                 // the UC unit owns the stack ports (none of the others is busy)
reg own_mp, own_gap, own_lc, own_loss;  // else this one (own_lc: the weight / gradient / bias RAM ports too)
always @(posedge clk) begin
    own_uc <= !(mp_busy || gap_busy || lc_busy || loss_busy);
    own_mp <= mp_busy;
    own_gap <= gap_busy;
    own_lc <= lc_busy;
    own_loss <= loss_busy;
end

// the other units' requests masked by their owner flags (at most one flag set: one unit busy);
// copy 1's port A takes the MP unit's second read port instead of its first
/* verilator coverage_off */
wire [FMA_REQ_W-1:0] nmp_fma_req = ({FMA_REQ_W{own_gap}} & gap_fma_req) |
                                   ({FMA_REQ_W{own_lc}} & lc_fma_req) | ({FMA_REQ_W{own_loss}} & loss_fma_req);
wire [FMA_REQ_W-1:0] oth_fma_req = ({FMA_REQ_W{own_mp}} & mp_fma_req) | nmp_fma_req;
/* verilator lint_off UNUSEDSIGNAL */
wire [FMA_REQ_W-1:0] oth_fma2_req = ({FMA_REQ_W{own_mp}} & mp_fma2_req) | nmp_fma_req;  // (one copy: unused)
/* verilator coverage_on */
wire [RDX_PORTS-1:0] mp_fmx_en;       // the enables of the MP unit's further read ports (assertions)
/* verilator lint_on UNUSEDSIGNAL */
/* verilator coverage_off */
wire [FMB_REQ_W-1:0] oth_fmb_req = ({FMB_REQ_W{own_mp}} & mp_fmb_req) | ({FMB_REQ_W{own_gap}} & gap_fmb_req) |
                                   ({FMB_REQ_W{own_lc}} & lc_fmb_req) | ({FMB_REQ_W{own_loss}} & loss_fmb_req);
/* verilator coverage_on */

// every copy: the stack ports and the weight, gradient and bias RAM ports of the unit that runs
// (while the UC unit runs, each copy its engine's; the other units' requests go to every copy:
// their writes reach them all, their reads use copy 0's data), the index and pointer RAMs its
// engine's; the host port writes every copy and reads copy 0
// (the copies' list writes and host read data beyond copy 0's: the same writes, unread data)
/* verilator lint_off UNUSEDSIGNAL */
wire [ENGINES-1:0] list_wr_c;
wire [ENGINES*HST_W-1:0] hp_rdata_c;
/* verilator lint_on UNUSEDSIGNAL */
assign list_wr = list_wr_c[0];
assign hp_rdata = hp_rdata_c[0 +: HST_W];
assign fma_rdata = uc_fma_rdata[0 +: LANES*16];
assign fmb_rdata = uc_fmb_rdata[0 +: LANES*16];
assign fma2_rdata = uc_fma_rdata[((ENGINES > 1) ? LANES*16 : 0) +: LANES*16];
genvar gx;
generate
    for (gx = 0; gx < RDX_PORTS; gx = gx + 1) begin : g_fmx
        assign fmx_rdata[LANES*16*gx +: LANES*16] = uc_fma_rdata[((ENGINES > gx + 2) ? (gx+2)*LANES*16 : 0) +: LANES*16];
        assign mp_fmx_en[gx] = mp_fmx_req[FMA_REQ_W*(gx+1)-1];
    end
endgenerate
assign wgt_rd_data = uc_wgt_rd_data[0 +: 16];
assign grad_rd_data = uc_grad_rd_data[0 +: 32];
assign bias_rd_data = uc_bias_rd_data[0 +: 32];
assign bgrad_rd_data = uc_bgrad_rd_data[0 +: 32];
assign wgt2_rd_data = uc_wgt_rd_data[((ENGINES > 1) ? 16 : 0) +: 16];
assign bias2_rd_data = uc_bias_rd_data[((ENGINES > 1) ? 32 : 0) +: 32];

genvar g;
generate
    for (g = 0; g < ENGINES; g = g + 1) begin : g_copy
        wire            wgt_rd_en, wgt_wr_en, grad_rd_en, grad_wr_en;
        wire            bias_rd_en, bias_wr_en, bgrad_rd_en, bgrad_wr_en;
        wire [WAW-1:0]  wgt_rd_addr, wgt_wr_addr, grad_rd_addr, grad_wr_addr;
        wire [BAW-1:0]  bias_rd_addr, bias_wr_addr, bgrad_rd_addr, bgrad_wr_addr;
        wire [15:0]     wgt_wr_data;
        wire [31:0]     grad_wr_data, bias_wr_data, bgrad_wr_data;
        /* verilator coverage_off */
        // the other units' port-A request of this copy: the MP unit's port of this copy, if any
        wire [FMA_REQ_W-1:0] oth_k_req;
        if (g == 1) begin : g_oth1
            assign oth_k_req = oth_fma2_req;
        end else if (g >= 2 && g < 2 + RDX_PORTS) begin : g_othx
            assign oth_k_req = ({FMA_REQ_W{own_mp}} & mp_fmx_req[FMA_REQ_W*(g-2) +: FMA_REQ_W]) | nmp_fma_req;
        end else begin : g_oth0
            assign oth_k_req = oth_fma_req;
        end
        wire [FMA_REQ_W-1:0] fma_req = ({FMA_REQ_W{own_uc}} & uc_fma_req[FMA_REQ_W*g +: FMA_REQ_W]) |
                                       oth_k_req;
        wire [FMB_REQ_W-1:0] fmb_req = ({FMB_REQ_W{own_uc}} & uc_fmb_req[FMB_REQ_W*g +: FMB_REQ_W]) |
                                       oth_fmb_req;
        /* verilator coverage_on */
        assign {wgt_rd_en, wgt_wr_en, grad_rd_en, grad_wr_en, bias_rd_en, bias_wr_en, bgrad_rd_en,
                bgrad_wr_en, wgt_rd_addr, wgt_wr_addr, wgt_wr_data, grad_rd_addr, grad_wr_addr,
                grad_wr_data, bias_rd_addr, bias_wr_addr, bias_wr_data, bgrad_rd_addr, bgrad_wr_addr,
                bgrad_wr_data} = own_lc ? lc_ram_req : uc_ram_req[RAM_REQ_W*g +: RAM_REQ_W];
        // copy 1's weight and bias reads: the LC unit's second read ports while it owns the RAMs
        wire            lc2 = own_lc && (g == 1);
        wire            c_wgt_rd_en = lc2 ? lc_rd2_req[1+WAW+BAW] : wgt_rd_en;
        wire            c_bias_rd_en = lc2 ? lc_rd2_req[WAW+BAW] : bias_rd_en;
        wire [WAW-1:0]  c_wgt_rd_addr = lc2 ? lc_rd2_req[BAW +: WAW] : wgt_rd_addr;
        wire [BAW-1:0]  c_bias_rd_addr = lc2 ? lc_rd2_req[0 +: BAW] : bias_rd_addr;

        mem_core #(
            .UPD_BANKS(UPD_BANKS),
            .LANES(LANES), .KMAX(KMAX), .CMAX(CMAX), .NMAX(NMAX), .FM_DEPTH(FM_DEPTH), .WDEPTH(WDEPTH),
            .PDEPTH(PDEPTH), .BDEPTH(BDEPTH)
        ) u_mem (
            .clk(clk),
            .host(host), .hp_sel(hp_sel), .hp_addr(hp_addr), .hp_we(hp_we), .hp_wdata(hp_wdata),
            .hp_rdata(hp_rdata_c[HST_W*g +: HST_W]), .list_wr(list_wr_c[g]),
            .fma_req(fma_req), .fma_rdata(uc_fma_rdata[LANES*16*g +: LANES*16]),
            .fmb_req(fmb_req), .fmb_rdata(uc_fmb_rdata[LANES*16*g +: LANES*16]),
            .wgt_rd_en(c_wgt_rd_en), .wgt_rd_addr(c_wgt_rd_addr), .wgt_rd_data(uc_wgt_rd_data[16*g +: 16]),
            .wgt_wr_en(wgt_wr_en), .wgt_wr_addr(wgt_wr_addr), .wgt_wr_data(wgt_wr_data),
            .fidx_rd_en(fidx_rd_en[g]), .fidx_rd_addr(fidx_rd_addr[WAW*g +: WAW]),
            .fidx_rd_data(fidx_rd_data[FIDX_W*g +: FIDX_W]),
            .bidx_rd_en(bidx_rd_en[g]), .bidx_rd_addr(bidx_rd_addr[WAW*g +: WAW]),
            .bidx_rd_data(bidx_rd_data[BIDX_W*g +: BIDX_W]),
            .ptr_rd_en(ptr_rd_en[g]), .ptr_rd_addr(ptr_rd_addr[PAW*g +: PAW]),
            .ptr_rd_data(ptr_rd_data[PTR_W*g +: PTR_W]),
            .grad_rd_en(grad_rd_en), .grad_rd_addr(grad_rd_addr), .grad_rd_data(uc_grad_rd_data[32*g +: 32]),
            .grad_wr_en(grad_wr_en), .grad_wr_addr(grad_wr_addr), .grad_wr_data(grad_wr_data),
            .bias_rd_en(c_bias_rd_en), .bias_rd_addr(c_bias_rd_addr), .bias_rd_data(uc_bias_rd_data[32*g +: 32]),
            .bias_wr_en(bias_wr_en), .bias_wr_addr(bias_wr_addr), .bias_wr_data(bias_wr_data),
            .bgrad_rd_en(bgrad_rd_en), .bgrad_rd_addr(bgrad_rd_addr),
            .bgrad_rd_data(uc_bgrad_rd_data[32*g +: 32]),
            .bgrad_wr_en(bgrad_wr_en), .bgrad_wr_addr(bgrad_wr_addr), .bgrad_wr_data(bgrad_wr_data),
            .wgt_xwr_en(wgt_xwr_en[XB*g +: XB]), .wgt_xwr_addr(wgt_xwr_addr[XB*WAW*g +: XB*WAW]),
            .wgt_xwr_data(wgt_xwr_data[XB*16*g +: XB*16]),
            .grad_xrd_en(grad_xrd_en[XB*g +: XB]), .grad_xrd_addr(grad_xrd_addr[XB*WAW*g +: XB*WAW]),
            .grad_xrd_data(grad_xrd_data[XB*32*g +: XB*32]),
            .grad_xwr_en(grad_xwr_en[XB*g +: XB]), .grad_xwr_addr(grad_xwr_addr[XB*WAW*g +: XB*WAW]),
            .grad_xwr_data(grad_xwr_data[XB*32*g +: XB*32])
        );
    end
endgenerate

`ifdef ACCEL_ASSERTS
// verilator coverage_off
// the muxes select by busy: one unit at a time, and a unit's memory ports only while it runs
// a unit's stack enables (the MSBs of FMA_REQ and FMB_REQ) and RAM enables (the 8 MSBs of RAM_REQ)
// (the UC unit: any copy's; uc_muxed: its muxed ports, stack and RAM requests, without the list
// RAMs, which are its own)
reg uc_muxed;
integer ge;
always @* begin
    uc_muxed = 1'b0;
    for (ge = 0; ge < ENGINES; ge = ge + 1) begin
        uc_muxed = uc_muxed || uc_fma_req[FMA_REQ_W*ge + FMA_REQ_W-1] ||
                   uc_fmb_req[FMB_REQ_W*ge + FMB_REQ_W-1] || (|uc_ram_req[RAM_REQ_W*ge + RAM_REQ_W-1 -: 8]);
    end
end
wire uc_mem = uc_muxed || (|fidx_rd_en) || (|bidx_rd_en) || (|ptr_rd_en) || (|wgt_xwr_en) ||
              (|grad_xrd_en) || (|grad_xwr_en);
wire mp_fm = mp_fma_req[FMA_REQ_W-1] || mp_fma2_req[FMA_REQ_W-1] || (|mp_fmx_en) ||
             mp_fmb_req[FMB_REQ_W-1];
wire gap_fm = gap_fma_req[FMA_REQ_W-1] || gap_fmb_req[FMB_REQ_W-1];
wire lc_fm = lc_fma_req[FMA_REQ_W-1] || lc_fmb_req[FMB_REQ_W-1];
wire loss_fm = loss_fma_req[FMA_REQ_W-1] || loss_fmb_req[FMB_REQ_W-1];
wire lc_mem = lc_fm || |lc_ram_req[RAM_REQ_W-1 -: 8];

always @(posedge clk) begin
    if (!rst) begin
        assert ($onehot0({uc_busy, mp_busy, gap_busy, lc_busy, loss_busy})) else $error("mem_subsys: one_unit: more than one unit busy");
        assert (!uc_mem || uc_busy) else $error("mem_subsys: uc_ports: UC memory access while not busy");
        assert (!mp_fm || mp_busy) else $error("mem_subsys: mp_ports: MP stack access while not busy");
        assert (!gap_fm || gap_busy) else $error("mem_subsys: gap_ports: GAP stack access while not busy");
        assert (!lc_mem || lc_busy) else $error("mem_subsys: lc_ports: LC memory access while not busy");
        assert (!loss_fm || loss_busy) else $error("mem_subsys: loss_ports: loss stack access while not busy");
        assert (!hp_we || !any_busy) else $error("mem_subsys: host_we: host port write while a unit is busy");
        assert (!hp_we || host) else $error("mem_subsys: host_own: host port write while the memories are the units' (host_reg)");
        // the registered owner: a unit's muxed ports only while the muxes select it
        assert (!uc_muxed || own_uc) else $error("mem_subsys: uc_owner: UC stack / RAM access while another unit owns the ports");
        assert (!mp_fm || own_mp) else $error("mem_subsys: mp_owner: MP stack access while another unit owns the ports");
        assert (!gap_fm || own_gap) else $error("mem_subsys: gap_owner: GAP stack access while another unit owns the ports");
        assert (!lc_mem || own_lc) else $error("mem_subsys: lc_owner: LC memory access while another unit owns the ports");
        assert (!loss_fm || own_loss) else $error("mem_subsys: loss_owner: loss stack access while another unit owns the ports");
        // the registered host flag: no unit access while the host port owns the memories
        assert (!host || !(uc_mem || mp_fm || gap_fm || lc_mem || loss_fm)) else $error("mem_subsys: unit_own: unit memory access while the host port owns the memories (host_reg)");
    end
end
// verilator coverage_on
`else
wire unused = &{1'b0, rst};
`endif

`undef ACCEL_DEFS_VH
`undef MEM_DEFS_VH
endmodule

`resetall
