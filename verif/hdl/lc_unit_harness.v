/*
 * Test harness of the LC unit: the unit and the accelerator's memories (mem_core: the stack and
 * the weight, gradient, bias and bias-gradient RAMs it uses, as in the top's mem_subsys; the
 * UC unit's index and pointer RAMs are left unused), whose host port a testbench uses to load
 * and read every memory while the unit is idle.
 *
 * Parameters: as lc_unit (LANES, CMAX, NMAX, FM_DEPTH, WDEPTH, BDEPTH, WPORTS). With WPORTS = 2 a
 * second mem_core is copy 1 of the top's mem_subsys: written alike (the host port and the unit's
 * writes reach both), its weight and bias read ports the unit's second ones.
 *
 * Host port: hst_sel 0 stack, 1 WGT, 2 GRAD, 3 BIAS, 4 BGRAD (5-7: no memory, read 0), mapped to
 * mem_core's selectors; hst_rdata is the word at the address presented (hst_sel, hst_addr) one
 * cycle before. A stack word is 2*LANES pixels (bank b at bits [16b+15:16b]); other memories
 * use the low bits. Ignored while busy.
 */

`resetall
`timescale 1ns / 1ps
`default_nettype none

module lc_unit_harness #
(
`include "lc_params.vh"
)
(
`include "unit_cmd_ports.vh"

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

localparam BANKS = 2 * LANES;
localparam HST_W = (BANKS * 16 > 32) ? BANKS * 16 : 32;
localparam FM_AW = $clog2(FM_DEPTH);
localparam WAW = $clog2(WDEPTH);
localparam BAW = $clog2(BDEPTH);

// XW and the stack request widths
`include "accel_defs.vh"
// s_cmd_data's width (unit_cmd_ports.vh)
localparam UNIT_CMD_W = LC_CMD_W;
// mem_core's host port word (at least 64 bits)
localparam CORE_W = (BANKS * 16 > 64) ? BANKS * 16 : 64;

// stack ports: request buses and read data
`include "unit_stack_wires.vh"

wire wgt_rd_en, wgt_wr_en, grad_rd_en, grad_wr_en, bias_rd_en, bias_wr_en, bgrad_rd_en, bgrad_wr_en;
wire [WAW-1:0] wgt_rd_addr, wgt_wr_addr, grad_rd_addr, grad_wr_addr;
wire [BAW-1:0] bias_rd_addr, bias_wr_addr, bgrad_rd_addr, bgrad_wr_addr;
wire [15:0] wgt_rd_data, wgt_wr_data;
wire [31:0] grad_rd_data, grad_wr_data, bias_rd_data, bias_wr_data, bgrad_rd_data, bgrad_wr_data;
// the second weight and bias read ports (WPORTS = 2: copy 1's)
wire wgt2_rd_en, bias2_rd_en;
wire [WAW-1:0] wgt2_rd_addr;
wire [BAW-1:0] bias2_rd_addr;
wire [15:0] wgt2_rd_data;
wire [31:0] bias2_rd_data;

lc_unit #(
    .LANES(LANES), .CMAX(CMAX), .NMAX(NMAX), .FM_DEPTH(FM_DEPTH), .WDEPTH(WDEPTH), .BDEPTH(BDEPTH),
    .WPORTS(WPORTS)
) u_lc (
`include "unit_shell_conns.vh"
    .m_fma_req(fma_req), .fma_rdata(fma_rdata), .m_fmb_req(fmb_req), .fmb_rdata(fmb_rdata),
    .wgt2_rd_en(wgt2_rd_en), .wgt2_rd_addr(wgt2_rd_addr), .wgt2_rd_data(wgt2_rd_data),
    .bias2_rd_en(bias2_rd_en), .bias2_rd_addr(bias2_rd_addr), .bias2_rd_data(bias2_rd_data),
    // weight, weight-gradient, bias and bias-gradient memories
`include "unit_ram_conns.vh"
);

// the host port owns the memories while the unit is idle; this harness's selectors mapped to
// mem_core's (the top's LOAD / STORE selectors): 0 STACK, 1 WGT, 2 GRAD, 3 BIAS, 4 BGRAD
reg [3:0] core_sel;

always @* begin
    case (hst_sel)
    3'd0: core_sel = 4'd0;
    3'd1: core_sel = 4'd1;
    3'd2: core_sel = 4'd5;
    3'd3: core_sel = 4'd6;
    3'd4: core_sel = 4'd7;
    default: core_sel = 4'd8;
    endcase
end

/* verilator lint_off UNUSEDSIGNAL */
wire [CORE_W-1:0] core_rdata;
wire [2:0] fidx_rd_data;        // the UC unit's index and pointer RAMs (KMAX = CMAX = NMAX = 2):
wire [WAW+2:0] bidx_rd_data;    // unused here
wire [2*WAW:0] ptr_rd_data;
wire list_wr;
wire [31:0] xrd_unused;     // mem_core's bank ports (UPDATE's, not the LC unit's)
/* verilator lint_on UNUSEDSIGNAL */

mem_core #(
    .LANES(LANES), .KMAX(2), .CMAX(2), .NMAX(2), .FM_DEPTH(FM_DEPTH), .WDEPTH(WDEPTH),
    .PDEPTH(2), .BDEPTH(BDEPTH)
) u_mem (
    .clk(clk),
    .host(!busy), .hp_sel(core_sel), .hp_addr(hst_addr), .hp_we(hst_we),
    .hp_wdata({{(CORE_W-HST_W){1'b0}}, hst_wdata}), .hp_rdata(core_rdata),
    .list_wr(list_wr),
    .fma_req(fma_req), .fma_rdata(fma_rdata), .fmb_req(fmb_req), .fmb_rdata(fmb_rdata),
    .fidx_rd_en(1'b0), .fidx_rd_addr({WAW{1'b0}}), .fidx_rd_data(fidx_rd_data),
    .bidx_rd_en(1'b0), .bidx_rd_addr({WAW{1'b0}}), .bidx_rd_data(bidx_rd_data),
    .ptr_rd_en(1'b0), .ptr_rd_addr(1'b0), .ptr_rd_data(ptr_rd_data),
    // weight, weight-gradient, bias and bias-gradient memories
`include "unit_ram_conns.vh"
    ,
`include "mem_core_nox_conns.vh"
    .grad_xrd_data(xrd_unused)
);

assign hst_rdata = core_rdata[HST_W-1:0];

generate
    if (WPORTS > 1) begin : g_copy1
        // copy 1: the same weight, gradient and bias writes (its stack is not used); its weight
        // and bias reads are the unit's second ports, the rest of its read data is not used
        /* verilator lint_off UNUSEDSIGNAL */
        wire [CORE_W-1:0] c1_rdata;
        wire [LANES*16-1:0] c1_fma_rdata, c1_fmb_rdata;
        wire [2:0] c1_fidx_rd_data;
        wire [WAW+2:0] c1_bidx_rd_data;
        wire [2*WAW:0] c1_ptr_rd_data;
        wire c1_list_wr;
        wire [31:0] c1_grad_rd_data, c1_bgrad_rd_data, c1_xrd_unused;
        /* verilator lint_on UNUSEDSIGNAL */
        mem_core #(
            .LANES(LANES), .KMAX(2), .CMAX(2), .NMAX(2), .FM_DEPTH(FM_DEPTH), .WDEPTH(WDEPTH),
            .PDEPTH(2), .BDEPTH(BDEPTH)
        ) u_mem1 (
            .clk(clk),
            .host(!busy), .hp_sel(core_sel), .hp_addr(hst_addr), .hp_we(hst_we),
            .hp_wdata({{(CORE_W-HST_W){1'b0}}, hst_wdata}), .hp_rdata(c1_rdata),
            .list_wr(c1_list_wr),
            .fma_req({FMA_REQ_W{1'b0}}), .fma_rdata(c1_fma_rdata),
            .fmb_req({FMB_REQ_W{1'b0}}), .fmb_rdata(c1_fmb_rdata),
            .fidx_rd_en(1'b0), .fidx_rd_addr({WAW{1'b0}}), .fidx_rd_data(c1_fidx_rd_data),
            .bidx_rd_en(1'b0), .bidx_rd_addr({WAW{1'b0}}), .bidx_rd_data(c1_bidx_rd_data),
            .ptr_rd_en(1'b0), .ptr_rd_addr(1'b0), .ptr_rd_data(c1_ptr_rd_data),
            .wgt_rd_en(wgt2_rd_en), .wgt_rd_addr(wgt2_rd_addr), .wgt_rd_data(wgt2_rd_data),
            .wgt_wr_en(wgt_wr_en), .wgt_wr_addr(wgt_wr_addr), .wgt_wr_data(wgt_wr_data),
            .grad_rd_en(1'b0), .grad_rd_addr({WAW{1'b0}}), .grad_rd_data(c1_grad_rd_data),
            .grad_wr_en(grad_wr_en), .grad_wr_addr(grad_wr_addr), .grad_wr_data(grad_wr_data),
            .bias_rd_en(bias2_rd_en), .bias_rd_addr(bias2_rd_addr), .bias_rd_data(bias2_rd_data),
            .bias_wr_en(bias_wr_en), .bias_wr_addr(bias_wr_addr), .bias_wr_data(bias_wr_data),
            .bgrad_rd_en(1'b0), .bgrad_rd_addr({BAW{1'b0}}), .bgrad_rd_data(c1_bgrad_rd_data),
            .bgrad_wr_en(bgrad_wr_en), .bgrad_wr_addr(bgrad_wr_addr), .bgrad_wr_data(bgrad_wr_data),
`include "mem_core_nox_conns.vh"
            .grad_xrd_data(c1_xrd_unused)
        );
    end else begin : g_one
        // one copy: the second ports stay idle (assertion lc_unit: port2_idle)
        assign wgt2_rd_data = wgt_rd_data;
        assign bias2_rd_data = bias_rd_data;
        /* verilator lint_off UNUSEDSIGNAL */
        wire unused2 = &{1'b0, wgt2_rd_en, wgt2_rd_addr, bias2_rd_en, bias2_rd_addr};
        /* verilator lint_on UNUSEDSIGNAL */
    end
endgenerate

`undef ACCEL_DEFS_VH
endmodule

`resetall
