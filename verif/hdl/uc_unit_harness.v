/*
 * Test harness of the UC unit: the unit and the accelerator's memories (mem_core: the stack and
 * every RAM the unit uses, as in the top's mem_subsys), whose host port a testbench uses to load
 * and read the memories while the unit is idle.
 *
 * Parameters: as uc_unit (ENGINES, OWN_SEL2, UPD_BANKS, LANES, KMAX, CMAX, NMAX, HMAX, WMAX, FM_DEPTH, WDEPTH,
 * PDEPTH, BDEPTH). ENGINES copies of the memories (one an engine, docs/uc_unit.md "Engine array").
 *
 * Host port: hst_sel 0 stack, 1 WGT, 2 FIDX, 3 BIDX, 4 PTR, 5 GRAD, 6 BIAS, 7 BGRAD; hst_rdata is
 * the word at the address presented (hst_sel, hst_addr, hst_copy) one cycle before. A write goes
 * to every copy; a read comes from copy hst_copy (the GRAD and BGRAD copies differ: each engine
 * writes its own). A stack word is 2*LANES pixels (bank b at bits [16b+15:16b]); other memories
 * use the low bits. Ignored while busy.
 */

`resetall
`timescale 1ns / 1ps
`default_nettype none

module uc_unit_harness #
(
    // engines (uc_unit): copies of the memories
    parameter ENGINES = 1,
    // engine count above which UPDATE's owner select takes two stages (uc_unit)
    parameter OWN_SEL2 = 64,
    // UPDATE engines: banks of the weight and gradient memories (uc_unit, mem_core)
    parameter UPD_BANKS = 1,
`include "uc_params.vh"
)
(
`include "uc_cmd_ports.vh"

    // response
`include "unit_rsp_ports.vh"
    output wire                     busy,

    // host port
    input  wire [2:0]               hst_sel,
    input  wire [31:0]              hst_addr,
    input  wire [7:0]               hst_copy,       // the copy a read comes from (low bits)
    input  wire                     hst_we,
    input  wire [HST_W-1:0]         hst_wdata,
    output wire [HST_W-1:0]         hst_rdata
);

// memory word and address widths
`include "mem_defs.vh"

// XW and the stack request widths
`include "accel_defs.vh"

localparam E = ENGINES;
localparam CP_W = (ENGINES > 1) ? $clog2(ENGINES) : 1;

// unit <-> memories, every copy
wire [E*FMA_REQ_W-1:0] fma_req;
wire [E*FMB_REQ_W-1:0] fmb_req;
wire [E*LANES*16-1:0] fma_rdata, fmb_rdata;
wire [E-1:0] wgt_rd_en, wgt_wr_en, fidx_rd_en, bidx_rd_en, ptr_rd_en, grad_rd_en, grad_wr_en;
wire [E-1:0] bias_rd_en, bias_wr_en, bgrad_rd_en, bgrad_wr_en;
wire [E*WAW-1:0] wgt_rd_addr, wgt_wr_addr, fidx_rd_addr, bidx_rd_addr, grad_rd_addr, grad_wr_addr;
wire [E*PAW-1:0] ptr_rd_addr;
wire [E*BAW-1:0] bias_rd_addr, bias_wr_addr, bgrad_rd_addr, bgrad_wr_addr;
wire [E*16-1:0] wgt_rd_data, wgt_wr_data;
wire [E*FIDX_W-1:0] fidx_rd_data;
wire [E*BIDX_W-1:0] bidx_rd_data;
wire [E*PTR_W-1:0] ptr_rd_data;
wire [E*32-1:0] grad_rd_data, grad_wr_data, bias_rd_data, bias_wr_data, bgrad_rd_data, bgrad_wr_data;
// banks 1 .. UPD_BANKS-1 of every copy's weight and gradient memories (XB fields a copy)
localparam XB = (UPD_BANKS > 1) ? UPD_BANKS - 1 : 1;
wire [E*XB-1:0] wgt_xwr_en, grad_xrd_en, grad_xwr_en;
wire [E*XB*WAW-1:0] wgt_xwr_addr, grad_xrd_addr, grad_xwr_addr;
wire [E*XB*16-1:0] wgt_xwr_data;
wire [E*XB*32-1:0] grad_xrd_data, grad_xwr_data;
wire [E-1:0] list_wr;   // a host write to FIDX, BIDX or PTR: the unit's checked-list records are dropped
wire [E*HST_W-1:0] rdata;
reg  [CP_W-1:0] copy_reg;  // the copy of the read presented the cycle before

assign hst_rdata = rdata[HST_W*copy_reg +: HST_W];
// copies' list writes are alike (the host's); copy numbers above ENGINES - 1 are not used
wire unused = &{1'b0, list_wr, hst_copy};
always @(posedge clk) begin
    copy_reg <= hst_copy[CP_W-1:0];
end

uc_unit #(
    .ENGINES(ENGINES), .OWN_SEL2(OWN_SEL2), .UPD_BANKS(UPD_BANKS),
`include "uc_param_conns.vh"
) u_uc (
`include "uc_cmd_conns.vh"
    .list_wr(list_wr[0]),
    .m_fma_req(fma_req), .fma_rdata(fma_rdata), .m_fmb_req(fmb_req), .fmb_rdata(fmb_rdata),
`include "uc_list_conns.vh"
    // weight, weight-gradient, bias and bias-gradient memories
`include "unit_ram_conns.vh"
    ,
    .wgt_xwr_en(wgt_xwr_en), .wgt_xwr_addr(wgt_xwr_addr), .wgt_xwr_data(wgt_xwr_data),
    .grad_xrd_en(grad_xrd_en), .grad_xrd_addr(grad_xrd_addr), .grad_xrd_data(grad_xrd_data),
    .grad_xwr_en(grad_xwr_en), .grad_xwr_addr(grad_xwr_addr), .grad_xwr_data(grad_xwr_data)
);

// the host port owns the memories while the unit is idle (selectors as the top's LOAD / STORE)
genvar g;
generate
    for (g = 0; g < E; g = g + 1) begin : g_mem
        mem_core #(
            .UPD_BANKS(UPD_BANKS),
            .LANES(LANES), .KMAX(KMAX), .CMAX(CMAX), .NMAX(NMAX), .FM_DEPTH(FM_DEPTH), .WDEPTH(WDEPTH),
            .PDEPTH(PDEPTH), .BDEPTH(BDEPTH)
        ) u_mem (
            .clk(clk),
            .host(!busy), .hp_sel({1'b0, hst_sel}), .hp_addr(hst_addr), .hp_we(hst_we),
            .hp_wdata(hst_wdata), .hp_rdata(rdata[HST_W*g +: HST_W]), .list_wr(list_wr[g]),
            .fma_req(fma_req[FMA_REQ_W*g +: FMA_REQ_W]), .fma_rdata(fma_rdata[LANES*16*g +: LANES*16]),
            .fmb_req(fmb_req[FMB_REQ_W*g +: FMB_REQ_W]), .fmb_rdata(fmb_rdata[LANES*16*g +: LANES*16]),
            .fidx_rd_en(fidx_rd_en[g]), .fidx_rd_addr(fidx_rd_addr[WAW*g +: WAW]),
            .fidx_rd_data(fidx_rd_data[FIDX_W*g +: FIDX_W]),
            .bidx_rd_en(bidx_rd_en[g]), .bidx_rd_addr(bidx_rd_addr[WAW*g +: WAW]),
            .bidx_rd_data(bidx_rd_data[BIDX_W*g +: BIDX_W]),
            .ptr_rd_en(ptr_rd_en[g]), .ptr_rd_addr(ptr_rd_addr[PAW*g +: PAW]),
            .ptr_rd_data(ptr_rd_data[PTR_W*g +: PTR_W]),
            .wgt_rd_en(wgt_rd_en[g]), .wgt_rd_addr(wgt_rd_addr[WAW*g +: WAW]), .wgt_rd_data(wgt_rd_data[16*g +: 16]),
            .wgt_wr_en(wgt_wr_en[g]), .wgt_wr_addr(wgt_wr_addr[WAW*g +: WAW]), .wgt_wr_data(wgt_wr_data[16*g +: 16]),
            .grad_rd_en(grad_rd_en[g]), .grad_rd_addr(grad_rd_addr[WAW*g +: WAW]), .grad_rd_data(grad_rd_data[32*g +: 32]),
            .grad_wr_en(grad_wr_en[g]), .grad_wr_addr(grad_wr_addr[WAW*g +: WAW]), .grad_wr_data(grad_wr_data[32*g +: 32]),
            .bias_rd_en(bias_rd_en[g]), .bias_rd_addr(bias_rd_addr[BAW*g +: BAW]), .bias_rd_data(bias_rd_data[32*g +: 32]),
            .bias_wr_en(bias_wr_en[g]), .bias_wr_addr(bias_wr_addr[BAW*g +: BAW]), .bias_wr_data(bias_wr_data[32*g +: 32]),
            .bgrad_rd_en(bgrad_rd_en[g]), .bgrad_rd_addr(bgrad_rd_addr[BAW*g +: BAW]),
            .bgrad_rd_data(bgrad_rd_data[32*g +: 32]),
            .bgrad_wr_en(bgrad_wr_en[g]), .bgrad_wr_addr(bgrad_wr_addr[BAW*g +: BAW]),
            .bgrad_wr_data(bgrad_wr_data[32*g +: 32]),
            .wgt_xwr_en(wgt_xwr_en[XB*g +: XB]), .wgt_xwr_addr(wgt_xwr_addr[XB*WAW*g +: XB*WAW]),
            .wgt_xwr_data(wgt_xwr_data[XB*16*g +: XB*16]),
            .grad_xrd_en(grad_xrd_en[XB*g +: XB]), .grad_xrd_addr(grad_xrd_addr[XB*WAW*g +: XB*WAW]),
            .grad_xrd_data(grad_xrd_data[XB*32*g +: XB*32]),
            .grad_xwr_en(grad_xwr_en[XB*g +: XB]), .grad_xwr_addr(grad_xwr_addr[XB*WAW*g +: XB*WAW]),
            .grad_xwr_data(grad_xwr_data[XB*32*g +: XB*32])
        );
    end
endgenerate

`undef ACCEL_DEFS_VH
`undef MEM_DEFS_VH
endmodule

`resetall
