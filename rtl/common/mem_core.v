/*
 * On-chip memories of the accelerator and their host port: the feature-map stack (fm_stack) and
 * the weight (WGT), index (FIDX, BIDX), pointer (PTR), gradient (GRAD), bias (BIAS) and
 * bias-gradient (BGRAD) memories (sdp_ram). Used by the top's mem_subsys (behind the unit port
 * muxes) and by the UC and LC unit test harnesses (verif/hdl), so every test runs the same
 * memories with the same host port.
 *
 * Each memory has a unit port (the stack's fma_req / fmb_req request buses, laid out in
 * accel_defs.vh, with fma_rdata / fmb_rdata, and the *_rd_* / *_wr_* RAM ports, as uc_unit and
 * lc_unit name them) and the host port. While `host` is high (no unit busy) the
 * host port owns every memory's write port and read address (FIDX, BIDX and PTR are written
 * only by the host); the unit ports are then ignored except the stack's port A.
 *
 * Host port: hp_sel 0 STACK, 1 WGT, 2 FIDX, 3 BIDX, 4 PTR, 5 GRAD, 6 BIAS, 7 BGRAD (the LOAD /
 * STORE selectors of docs/program.md); a write goes to the selected memory at hp_addr; hp_rdata
 * is the word at the (hp_sel, hp_addr) presented one cycle before, in the low bits (0 for other
 * selectors). A stack word is 2*LANES pixels, bank b at bits [16b+15:16b]. list_wr is high while
 * a FIDX, BIDX or PTR word is written (the UC unit's checked-list records are then dropped).
 *
 * Parameters: UPD_BANKS (the weight and gradient memories' banks, below) and as uc_unit (LANES,
 * KMAX, CMAX, NMAX: word widths; FM_DEPTH, WDEPTH, PDEPTH, BDEPTH: depths), each commented below.
 *
 * Latency: unit RAM ports and host reads 1 cycle; stack ports A and B 2 cycles (fm_stack).
 */

`resetall
`timescale 1ns / 1ps
`default_nettype none

module mem_core #
(
// weight and gradient memory banks (bank_ram): UPDATE on UPD_BANKS engines, engine k on bank k
// through the x ports below (1: one RAM each, the x ports unused)
parameter UPD_BANKS = 1,
// the UC unit's parameters (as mem_subsys); HMAX, WMAX unused here (no map shapes)
/* verilator lint_off UNUSEDPARAM */
`include "uc_params.vh"
/* verilator lint_on UNUSEDPARAM */
)
(
    input  wire                     clk,

    // host port
    input  wire                     host,           // no unit busy: the host port owns the memories
    input  wire [3:0]               hp_sel,
    input  wire                     hp_we,
    /* verilator lint_off UNUSEDSIGNAL */
    input  wire [31:0]              hp_addr,        // low bits: the selected memory's address
    input  wire [HST_W-1:0]         hp_wdata,       // low bits: the selected memory's word
    /* verilator lint_on UNUSEDSIGNAL */
    output reg  [HST_W-1:0]         hp_rdata,
    output wire                     list_wr,        // a FIDX, BIDX or PTR word is written now

    // stack ports A (read) and B (read / masked write): request buses (FMA_REQ, FMB_REQ of
    // accel_defs.vh, unpacked in fm_stack) and read data
    /* verilator coverage_off */
    input  wire [FMA_REQ_W-1:0]     fma_req,
    input  wire [FMB_REQ_W-1:0]     fmb_req,
    /* verilator coverage_on */
    output wire [LANES*16-1:0]      fma_rdata,
    output wire [LANES*16-1:0]      fmb_rdata,

    // RAM unit ports
    input  wire                     wgt_rd_en,
    input  wire [WAW-1:0]           wgt_rd_addr,
    output wire [15:0]              wgt_rd_data,
    input  wire                     wgt_wr_en,
    input  wire [WAW-1:0]           wgt_wr_addr,
    input  wire [15:0]              wgt_wr_data,
    input  wire                     fidx_rd_en,
    input  wire [WAW-1:0]           fidx_rd_addr,
    output wire [FIDX_W-1:0]        fidx_rd_data,
    input  wire                     bidx_rd_en,
    input  wire [WAW-1:0]           bidx_rd_addr,
    output wire [BIDX_W-1:0]        bidx_rd_data,
    input  wire                     ptr_rd_en,
    input  wire [PAW-1:0]           ptr_rd_addr,
    output wire [PTR_W-1:0]         ptr_rd_data,
    input  wire                     grad_rd_en,
    input  wire [WAW-1:0]           grad_rd_addr,
    output wire [31:0]              grad_rd_data,
    input  wire                     grad_wr_en,
    input  wire [WAW-1:0]           grad_wr_addr,
    input  wire [31:0]              grad_wr_data,
    input  wire                     bias_rd_en,
    input  wire [BAW-1:0]           bias_rd_addr,
    output wire [31:0]              bias_rd_data,
    input  wire                     bias_wr_en,
    input  wire [BAW-1:0]           bias_wr_addr,
    input  wire [31:0]              bias_wr_data,
    input  wire                     bgrad_rd_en,
    input  wire [BAW-1:0]           bgrad_rd_addr,
    output wire [31:0]              bgrad_rd_data,
    input  wire                     bgrad_wr_en,
    input  wire [BAW-1:0]           bgrad_wr_addr,
    input  wire [31:0]              bgrad_wr_data,

    // banks 1 .. UPD_BANKS-1 of the weight and gradient memories (bank_ram's x ports, field
    // k-1 bank k; one unused field when UPD_BANKS = 1): UPDATE's weight writes, gradient reads
    // and gradient writes of engines 1 .. UPD_BANKS-1
    /* verilator lint_off UNUSEDSIGNAL */
    input  wire [XB-1:0]            wgt_xwr_en,
    input  wire [XB*WAW-1:0]        wgt_xwr_addr,
    input  wire [XB*16-1:0]         wgt_xwr_data,
    input  wire [XB-1:0]            grad_xrd_en,
    input  wire [XB*WAW-1:0]        grad_xrd_addr,
    output wire [XB*32-1:0]         grad_xrd_data,
    input  wire [XB-1:0]            grad_xwr_en,
    input  wire [XB*WAW-1:0]        grad_xwr_addr,
    input  wire [XB*32-1:0]         grad_xwr_data
    /* verilator lint_on UNUSEDSIGNAL */
);

localparam XB = (UPD_BANKS > 1) ? UPD_BANKS - 1 : 1;

// memory word and address widths
`include "mem_defs.vh"

// XW and the stack request widths
`include "accel_defs.vh"

// host port selectors (docs/program.md, LOAD / STORE memories)
localparam [3:0] SEL_STACK = 4'd0, SEL_WGT = 4'd1, SEL_FIDX = 4'd2, SEL_BIDX = 4'd3,
                 SEL_PTR = 4'd4, SEL_GRAD = 4'd5, SEL_BIAS = 4'd6, SEL_BGRAD = 4'd7;

wire [BANKS*16-1:0] fm_h_rdata;
wire                hw = host && hp_we;

// a list memory written (only the host writes them): the UC unit forgets which lists it has
// checked (uc_lcache). From the host port's registers alone, not `host` (the units' busy, a
// late signal): the host port writes only while no unit is busy (mem_subsys asserts it), and a
// list_wr without a write would only drop records
assign list_wr = hp_we && (hp_sel == SEL_FIDX || hp_sel == SEL_BIDX || hp_sel == SEL_PTR);

fm_stack #(.LANES(LANES), .DEPTH(FM_DEPTH), .XW(XW)) u_stack (
    .clk(clk),
    .a_req(fma_req), .a_rdata(fma_rdata), .b_req(fmb_req), .b_rdata(fmb_rdata),
    .h_en(host), .h_we(hw && hp_sel == SEL_STACK), .h_addr(hp_addr[FM_AW-1:0]),
    .h_wdata(hp_wdata[BANKS*16-1:0]), .h_rdata(fm_h_rdata)
);

// RAMs the units write: the host port takes both ports while no unit is busy
/* verilator lint_off UNUSEDSIGNAL */
wire [XB*16-1:0] wgt_xrd_unused;    // (UPDATE reads weights through port 0 of the engine's copy)
/* verilator lint_on UNUSEDSIGNAL */
// (the weight and gradient memories are banked: port 0 is the units' and the host's, the x ports
// UPDATE's banks 1 .. UPD_BANKS-1, idle while the host owns the memories)
bank_ram #(.DATA_W(16), .DEPTH(WDEPTH), .BANKS(UPD_BANKS)) u_wgt (
    .clk(clk),
    .wr_en(host ? (hw && hp_sel == SEL_WGT) : wgt_wr_en),
    .wr_addr(host ? hp_addr[WAW-1:0] : wgt_wr_addr),
    .wr_data(host ? hp_wdata[15:0] : wgt_wr_data),
    .rd_en(host ? 1'b1 : wgt_rd_en), .rd_addr(host ? hp_addr[WAW-1:0] : wgt_rd_addr),
    .rd_data(wgt_rd_data),
    .x_wr_en(host ? {XB{1'b0}} : wgt_xwr_en), .x_wr_addr(wgt_xwr_addr), .x_wr_data(wgt_xwr_data),
    .x_rd_en({XB{1'b0}}), .x_rd_addr({XB*WAW{1'b0}}), .x_rd_data(wgt_xrd_unused)
);

bank_ram #(.DATA_W(32), .DEPTH(WDEPTH), .BANKS(UPD_BANKS)) u_grad (
    .clk(clk),
    .wr_en(host ? (hw && hp_sel == SEL_GRAD) : grad_wr_en),
    .wr_addr(host ? hp_addr[WAW-1:0] : grad_wr_addr),
    .wr_data(host ? hp_wdata[31:0] : grad_wr_data),
    .rd_en(host ? 1'b1 : grad_rd_en), .rd_addr(host ? hp_addr[WAW-1:0] : grad_rd_addr),
    .rd_data(grad_rd_data),
    .x_wr_en(host ? {XB{1'b0}} : grad_xwr_en), .x_wr_addr(grad_xwr_addr), .x_wr_data(grad_xwr_data),
    .x_rd_en(host ? {XB{1'b0}} : grad_xrd_en), .x_rd_addr(grad_xrd_addr), .x_rd_data(grad_xrd_data)
);

sdp_ram #(.DATA_W(32), .DEPTH(BDEPTH)) u_bias (
    .clk(clk),
    .wr_en(host ? (hw && hp_sel == SEL_BIAS) : bias_wr_en),
    .wr_addr(host ? hp_addr[BAW-1:0] : bias_wr_addr),
    .wr_data(host ? hp_wdata[31:0] : bias_wr_data),
    .rd_en(host ? 1'b1 : bias_rd_en), .rd_addr(host ? hp_addr[BAW-1:0] : bias_rd_addr),
    .rd_data(bias_rd_data)
);

sdp_ram #(.DATA_W(32), .DEPTH(BDEPTH)) u_bgrad (
    .clk(clk),
    .wr_en(host ? (hw && hp_sel == SEL_BGRAD) : bgrad_wr_en),
    .wr_addr(host ? hp_addr[BAW-1:0] : bgrad_wr_addr),
    .wr_data(host ? hp_wdata[31:0] : bgrad_wr_data),
    .rd_en(host ? 1'b1 : bgrad_rd_en), .rd_addr(host ? hp_addr[BAW-1:0] : bgrad_rd_addr),
    .rd_data(bgrad_rd_data)
);

// RAMs only the host writes (the UC unit's sparse lists)
sdp_ram #(.DATA_W(FIDX_W), .DEPTH(WDEPTH)) u_fidx (
    .clk(clk),
    .wr_en(hw && hp_sel == SEL_FIDX), .wr_addr(hp_addr[WAW-1:0]), .wr_data(hp_wdata[FIDX_W-1:0]),
    .rd_en(host ? 1'b1 : fidx_rd_en), .rd_addr(host ? hp_addr[WAW-1:0] : fidx_rd_addr),
    .rd_data(fidx_rd_data)
);

sdp_ram #(.DATA_W(BIDX_W), .DEPTH(WDEPTH)) u_bidx (
    .clk(clk),
    .wr_en(hw && hp_sel == SEL_BIDX), .wr_addr(hp_addr[WAW-1:0]), .wr_data(hp_wdata[BIDX_W-1:0]),
    .rd_en(host ? 1'b1 : bidx_rd_en), .rd_addr(host ? hp_addr[WAW-1:0] : bidx_rd_addr),
    .rd_data(bidx_rd_data)
);

sdp_ram #(.DATA_W(PTR_W), .DEPTH(PDEPTH)) u_ptr (
    .clk(clk),
    .wr_en(hw && hp_sel == SEL_PTR), .wr_addr(hp_addr[PAW-1:0]), .wr_data(hp_wdata[PTR_W-1:0]),
    .rd_en(host ? 1'b1 : ptr_rd_en), .rd_addr(host ? hp_addr[PAW-1:0] : ptr_rd_addr),
    .rd_data(ptr_rd_data)
);

// host read-back: the memory selected one cycle before
reg [3:0] hp_sel_d;

always @(posedge clk) begin
    hp_sel_d <= hp_sel;
end

always @* begin
    hp_rdata = {HST_W{1'b0}};
    case (hp_sel_d)
    SEL_STACK: hp_rdata[BANKS*16-1:0] = fm_h_rdata;
    SEL_WGT: hp_rdata[15:0] = wgt_rd_data;
    SEL_FIDX: hp_rdata[FIDX_W-1:0] = fidx_rd_data;
    SEL_BIDX: hp_rdata[BIDX_W-1:0] = bidx_rd_data;
    SEL_PTR: hp_rdata[PTR_W-1:0] = ptr_rd_data;
    SEL_GRAD: hp_rdata[31:0] = grad_rd_data;
    SEL_BIAS: hp_rdata[31:0] = bias_rd_data;
    SEL_BGRAD: hp_rdata[31:0] = bgrad_rd_data;
    default: hp_rdata = {HST_W{1'b0}};
    endcase
end

`undef ACCEL_DEFS_VH
`undef MEM_DEFS_VH
endmodule

`resetall
