/*
 * Test harness of the UC unit: the unit and the accelerator's memories (mem_core: the stack and
 * every RAM the unit uses, as in the top's mem_subsys), whose host port a testbench uses to load
 * and read the memories while the unit is idle.
 *
 * Parameters: as uc_unit (LANES, KMAX, CMAX, NMAX, HMAX, WMAX, FM_DEPTH, WDEPTH, PDEPTH, BDEPTH).
 *
 * Host port: hst_sel 0 stack, 1 WGT, 2 FIDX, 3 BIDX, 4 PTR, 5 GRAD, 6 BIAS, 7 BGRAD; hst_rdata is
 * the word at the address presented (hst_sel, hst_addr) one cycle before. A stack word is 2*LANES
 * pixels (bank b at bits [16b+15:16b]); other memories use the low bits. Ignored while busy.
 */

`resetall
`timescale 1ns / 1ps
`default_nettype none

module uc_unit_harness #
(
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
    input  wire                     hst_we,
    input  wire [HST_W-1:0]         hst_wdata,
    output wire [HST_W-1:0]         hst_rdata
);

// memory word and address widths
`include "mem_defs.vh"

// XW and the stack request widths
`include "accel_defs.vh"

// unit <-> memories
// stack ports: request buses and read data
`include "unit_stack_wires.vh"

wire wgt_rd_en, wgt_wr_en, fidx_rd_en, bidx_rd_en, ptr_rd_en, grad_rd_en, grad_wr_en;
wire bias_rd_en, bias_wr_en, bgrad_rd_en, bgrad_wr_en;
wire [WAW-1:0] wgt_rd_addr, wgt_wr_addr, fidx_rd_addr, bidx_rd_addr, grad_rd_addr, grad_wr_addr;
wire [PAW-1:0] ptr_rd_addr;
wire [BAW-1:0] bias_rd_addr, bias_wr_addr, bgrad_rd_addr, bgrad_wr_addr;
wire [15:0] wgt_rd_data, wgt_wr_data;
wire [FIDX_W-1:0] fidx_rd_data;
wire [BIDX_W-1:0] bidx_rd_data;
wire [PTR_W-1:0] ptr_rd_data;
wire [31:0] grad_rd_data, grad_wr_data, bias_rd_data, bias_wr_data, bgrad_rd_data, bgrad_wr_data;
wire list_wr;       // a host write to FIDX, BIDX or PTR: the unit's checked-list records are dropped

uc_unit #(
`include "uc_param_conns.vh"
) u_uc (
`include "uc_cmd_conns.vh"
    .list_wr(list_wr),
    .m_fma_req(fma_req), .fma_rdata(fma_rdata), .m_fmb_req(fmb_req), .fmb_rdata(fmb_rdata),
`include "uc_list_conns.vh"
    // weight, weight-gradient, bias and bias-gradient memories
`include "unit_ram_conns.vh"
);

// the host port owns the memories while the unit is idle (selectors as the top's LOAD / STORE)
mem_core #(
    .LANES(LANES), .KMAX(KMAX), .CMAX(CMAX), .NMAX(NMAX), .FM_DEPTH(FM_DEPTH), .WDEPTH(WDEPTH),
    .PDEPTH(PDEPTH), .BDEPTH(BDEPTH)
) u_mem (
    .clk(clk),
    .host(!busy), .hp_sel({1'b0, hst_sel}), .hp_addr(hst_addr), .hp_we(hst_we),
    .hp_wdata(hst_wdata), .hp_rdata(hst_rdata), .list_wr(list_wr),
    .fma_req(fma_req), .fma_rdata(fma_rdata), .fmb_req(fmb_req), .fmb_rdata(fmb_rdata),
`include "uc_list_conns.vh"
    // weight, weight-gradient, bias and bias-gradient memories
`include "unit_ram_conns.vh"
);

`undef ACCEL_DEFS_VH
`undef MEM_DEFS_VH
endmodule

`resetall
