/*
 * Sparse CNN training accelerator top: wiring only. axil_regs (AXI4-Lite control and status
 * registers), dma (AXI4 master), sequencer (runs a program of descriptors, docs/program.md:
 * loads, per-image loops over a mini-batch, unit commands, stores; each descriptor's reserved
 * bits checked by desc_check as it is fetched, the field table's check), mem_subsys (the feature-map stack and the weight /
 * index / gradient / bias memories, their host port and the unit port muxes) and the five units
 * (uc_unit, mp_unit, gap_unit, lc_unit, loss_unit), whose command fields are slices of the
 * sequencer's current descriptor. docs/architecture.md draws it.
 *
 * Contracts at the units' ports (ACCEL_ASSERTS builds, rtl/common/stream_assert.v and
 * cmd_rsp_assert.v): a command is raised only while the unit's s_cmd_ready is high (the
 * sequencer's one-cycle pulse to an idle unit), the response stream rule (m_rsp_ready is tied
 * to 1), one response per command; a DMA command only while the DMA is idle, the DMA write
 * stream rule. The AXI channels are checked inside dma and axil_regs.
 *
 * Parameters: as uc_unit (ENGINES, LANES, KMAX, CMAX, NMAX, HMAX, WMAX, FM_DEPTH, WDEPTH, PDEPTH, BDEPTH),
 * plus PROG_DEPTH (descriptors the program memory holds), CLASSES_MAX and AXI_ID_W.
 *
 * Latency: a descriptor costs its unit's cycles (or its DMA transfer) plus about 4 cycles of
 * fetch and decode.
 */

`resetall
`timescale 1ns / 1ps
`default_nettype none

module accel_top #
(
`include "top_params.vh"
`include "uc_params.vh"
)
(
    input  wire                clk,
    input  wire                rst,

    // AXI4-Lite slave: control and status registers (docs/registers.md)
`include "top_axil_ports.vh"

    // interrupt (done / error, masked by IRQ_EN)
    output wire                irq,

    // AXI4 master: host / DDR memory
`include "top_axi_ports.vh"
);

// memory word and address widths
`include "mem_defs.vh"

// the stack request widths
`include "accel_defs.vh"

// ------------------------------------------------------------------ registers, sequencer
wire        start, soft_reset;
wire [31:0] prog_addr, watchdog;
wire [15:0] prog_len;
wire        busy;
wire        done_pulse;         // the run ended (test_accel_top_faults watches it)
wire [7:0]  err_code;
wire [15:0] err_pc;
wire [31:0] cnt_total, cnt_uc, cnt_pool, cnt_lc, cnt_dma, n_correct, loss_sum;
wire        stop_pending, core_rst;
/* verilator lint_off UNUSEDSIGNAL */
wire [511:0] desc;              // the descriptor being run (words 11-15 unused)
/* verilator lint_on UNUSEDSIGNAL */
wire        cmd_gacc;
wire [15:0] label;

// descriptor fields of the unit commands (docs/program.md; each unit uses some bits of a word)
`include "top_desc_fields.vh"

// each unit's s_cmd_data from the descriptor fields, MSB first (layout: rtl/common/unit_cmd.vh,
// generated from sparsetrain/unit_cmds.py; the first field of a unit's table sits at bit 0):
// UC: m_base, flat, lr_shift_b, lr_mult_b, lr_shift, lr_mult, bias/bptr/fptr/y/x_base, gacc, bgrad,
//     relu, shift, {pad, dil, stride, k}, {w, h}, {cout, cin}, mode
wire [UC_CMD_W-1:0]   uc_cmd_data = {d_w11, d_flat, d_w4[21:16], d_w10[31:16], d_w4[13:8], d_w10[15:0], d_w9, d_w8,
                                     d_w7, d_w6, d_w5, cmd_gacc, d_bgrad, d_relu, d_w4[7:0], d_w3,
                                     d_w2, d_w1, d_mode};
// MP: xarg, flat_y, flat_x, a_base, y_base, x_base, {w, h}, c, mode
wire [MP_CMD_W-1:0]   mp_cmd_data = {d_xarg, d_flat_y, d_flat_x, d_w7, d_w6, d_w5, d_w2, d_w1[15:0], d_mode};
// GAP: y_base, x_base, {w, h}, c, mode
wire [GAP_CMD_W-1:0]  gap_cmd_data = {d_w6, d_w5, d_w2, d_w1[15:0], d_mode};
// LC: lr_shift_b, lr_mult_b, lr_shift, lr_mult, bias_base, w_base, y_base, x_base, gacc, bgrad,
//     relu, shift, {cout, cin}, mode
wire [LC_CMD_W-1:0]   lc_cmd_data = {d_w4[21:16], d_w10[31:16], d_w4[13:8], d_w10[15:0], d_w9, d_w7,
                                     d_w6, d_w5, cmd_gacc, d_bgrad, d_relu, d_w4[7:0], d_w1, d_mode};
// loss: g_base, y_base, grad_frac, in_frac, label, k (the descriptor's classes)
wire [LOSS_CMD_W-1:0] loss_cmd_data = {d_w6, d_w5, d_w3[11:8], d_w3[3:0], label, d_w1[15:0]};

// DMA
wire        dma_idle, dma_cmd_valid, dma_cmd_dir, dma_done, dma_err;
wire [31:0] dma_cmd_addr;
wire [23:0] dma_cmd_len;
wire        dma_rd_valid, dma_rd_err, dma_wr_valid, dma_wr_ready;
wire [31:0] dma_rd_data, dma_wr_data;
// the sequencer raises a DMA command for one cycle only while the DMA is idle
/* verilator lint_off UNUSEDSIGNAL */
wire        dma_cmd_ready;
/* verilator lint_on UNUSEDSIGNAL */

// memories' host port
wire [3:0]       hp_sel;
wire [31:0]      hp_addr;
wire             hp_we;
wire [HST_W-1:0] hp_wdata, hp_rdata;

// units: commands, responses, busy
wire        uc_cmd_valid, mp_cmd_valid, gap_cmd_valid, lc_cmd_valid, loss_cmd_valid;
wire        uc_cmd_ready, mp_cmd_ready, gap_cmd_ready, lc_cmd_ready, loss_cmd_ready;
wire        uc_rsp_valid, mp_rsp_valid, gap_rsp_valid, lc_rsp_valid, loss_rsp_valid;
wire [3:0]  uc_rsp_status, mp_rsp_status, gap_rsp_status, lc_rsp_status, loss_rsp_status;
wire [31:0] uc_rsp_cycles, mp_rsp_cycles, gap_rsp_cycles, lc_rsp_cycles, loss_rsp_cycles;
wire [15:0] loss_rsp_pred, loss_rsp_loss;
wire        uc_busy, mp_busy, gap_busy, lc_busy, loss_busy;

// units: stack request buses (FMA_REQ, FMB_REQ of accel_defs.vh; muxed in mem_subsys) and
// shared read data
// (the UC unit's: one a copy of the memories, ENGINES wide)
/* verilator coverage_off */
wire [FMA_REQ_W-1:0] mp_fma_req, gap_fma_req, lc_fma_req, loss_fma_req;
wire [FMA_REQ_W-1:0] mp_fma2_req;     // MP's second read port (ENGINES > 1: copy 1's port A)
wire [RDX_PORTS*FMA_REQ_W-1:0] mp_fmx_req;  // its further ones (copies 2 .. 7, ENGINES > 3 / > 7)
/* verilator lint_off UNUSEDSIGNAL */
wire [FMA_REQ_W-1:0] gap_fma2_req;    // zero: GAP reads one copy
wire [RDX_PORTS*FMA_REQ_W-1:0] gap_fmx_req;
/* verilator lint_on UNUSEDSIGNAL */
wire [FMB_REQ_W-1:0] mp_fmb_req, gap_fmb_req, lc_fmb_req, loss_fmb_req;
wire [ENGINES*FMA_REQ_W-1:0] uc_fma_req;
wire [ENGINES*FMB_REQ_W-1:0] uc_fmb_req;
/* verilator coverage_on */
wire [LANES*16-1:0]  fma_rdata, fmb_rdata, fma2_rdata;
wire [RDX_PORTS*LANES*16-1:0] fmx_rdata;
wire [ENGINES*LANES*16-1:0] uc_fma_rdata, uc_fmb_rdata;

// UC and LC: weight, gradient and bias RAM ports (muxed in mem_subsys); UC: index and pointers
// (UC: one a copy)
/* verilator coverage_off */
wire [ENGINES-1:0]     uc_wgt_rd_en, uc_wgt_wr_en, uc_grad_rd_en, uc_grad_wr_en;
wire [ENGINES-1:0]     uc_bias_rd_en, uc_bias_wr_en, uc_bgrad_rd_en, uc_bgrad_wr_en;
wire [ENGINES*WAW-1:0] uc_wgt_rd_addr, uc_wgt_wr_addr, uc_grad_rd_addr, uc_grad_wr_addr;
wire [ENGINES*BAW-1:0] uc_bias_rd_addr, uc_bias_wr_addr, uc_bgrad_rd_addr, uc_bgrad_wr_addr;
wire [ENGINES*16-1:0]  uc_wgt_wr_data, uc_wgt_rd_data;
wire [ENGINES*32-1:0]  uc_grad_wr_data, uc_bias_wr_data, uc_bgrad_wr_data;
// UPDATE's banks 1 .. UPD_BANKS-1 of every copy's weight and gradient memories (uc_xbank_conns.vh)
localparam XB = (UPD_BANKS > 1) ? UPD_BANKS - 1 : 1;
wire [ENGINES*XB-1:0]     wgt_xwr_en, grad_xrd_en, grad_xwr_en;
wire [ENGINES*XB*WAW-1:0] wgt_xwr_addr, grad_xrd_addr, grad_xwr_addr;
wire [ENGINES*XB*16-1:0]  wgt_xwr_data;
wire [ENGINES*XB*32-1:0]  grad_xrd_data, grad_xwr_data;
wire [ENGINES*32-1:0]  uc_grad_rd_data, uc_bias_rd_data, uc_bgrad_rd_data;
wire [ENGINES*RAM_REQ_W-1:0] uc_ram_req;
/* verilator coverage_on */
genvar g;
generate
    for (g = 0; g < ENGINES; g = g + 1) begin : g_uc_ram
        // RAM_REQ layout: mem_subsys.v
        assign uc_ram_req[RAM_REQ_W*g +: RAM_REQ_W] = {uc_wgt_rd_en[g], uc_wgt_wr_en[g], uc_grad_rd_en[g],
            uc_grad_wr_en[g], uc_bias_rd_en[g], uc_bias_wr_en[g], uc_bgrad_rd_en[g], uc_bgrad_wr_en[g],
            uc_wgt_rd_addr[WAW*g +: WAW], uc_wgt_wr_addr[WAW*g +: WAW], uc_wgt_wr_data[16*g +: 16],
            uc_grad_rd_addr[WAW*g +: WAW], uc_grad_wr_addr[WAW*g +: WAW], uc_grad_wr_data[32*g +: 32],
            uc_bias_rd_addr[BAW*g +: BAW], uc_bias_wr_addr[BAW*g +: BAW], uc_bias_wr_data[32*g +: 32],
            uc_bgrad_rd_addr[BAW*g +: BAW], uc_bgrad_wr_addr[BAW*g +: BAW], uc_bgrad_wr_data[32*g +: 32]};
    end
endgenerate
wire           lc_wgt_rd_en, lc_wgt_wr_en, lc_grad_rd_en, lc_grad_wr_en;
wire           lc_bias_rd_en, lc_bias_wr_en, lc_bgrad_rd_en, lc_bgrad_wr_en;
wire [WAW-1:0] lc_wgt_rd_addr, lc_wgt_wr_addr, lc_grad_rd_addr, lc_grad_wr_addr;
wire [BAW-1:0] lc_bias_rd_addr, lc_bias_wr_addr, lc_bgrad_rd_addr, lc_bgrad_wr_addr;
wire [15:0]    lc_wgt_wr_data;
wire [31:0]    lc_grad_wr_data, lc_bias_wr_data, lc_bgrad_wr_data;
// the LC unit's second weight and bias read ports (ENGINES > 1: copy 1's; FWD / BWD_DATA pairs)
wire           lc_wgt2_rd_en, lc_bias2_rd_en;
wire [WAW-1:0] lc_wgt2_rd_addr;
wire [BAW-1:0] lc_bias2_rd_addr;
wire [15:0]    wgt2_rd_data;
wire [31:0]    bias2_rd_data;
wire [ENGINES-1:0]        fidx_rd_en, bidx_rd_en, ptr_rd_en;
wire [ENGINES*WAW-1:0]    fidx_rd_addr, bidx_rd_addr;
wire [ENGINES*PAW-1:0]    ptr_rd_addr;
wire [15:0]               wgt_rd_data;
wire [31:0]               grad_rd_data, bias_rd_data, bgrad_rd_data;
wire [ENGINES*FIDX_W-1:0] fidx_rd_data;
wire [ENGINES*BIDX_W-1:0] bidx_rd_data;
wire [ENGINES*PTR_W-1:0]  ptr_rd_data;
wire               list_wr;         // a LOAD writes FIDX, BIDX or PTR: the UC unit rechecks its lists

// ------------------------------------------------------------------------- control path
axil_regs u_regs (
    .clk(clk), .rst(rst),
`include "top_axil_conns.vh"
`include "top_csr_conns.vh"
    .irq(irq)
);

sequencer #(
`include "top_seq_param_conns.vh"
) u_seq (
    .clk(clk), .rst(rst),
`include "top_csr_conns.vh"
    .stop_pending(stop_pending), .dma_idle(dma_idle), .core_rst(core_rst),
    .m_dma_cmd_valid(dma_cmd_valid), .m_dma_cmd_dir(dma_cmd_dir), .m_dma_cmd_addr(dma_cmd_addr),
    .m_dma_cmd_len(dma_cmd_len), .dma_done(dma_done), .dma_err(dma_err),
    .s_dma_rd_valid(dma_rd_valid), .s_dma_rd_data(dma_rd_data), .s_dma_rd_err(dma_rd_err),
    .m_dma_wr_valid(dma_wr_valid), .m_dma_wr_ready(dma_wr_ready), .m_dma_wr_data(dma_wr_data),
    .desc(desc), .cmd_gacc(cmd_gacc), .label(label),
`include "top_unit_conns.vh"
    .loss_rsp_pred(loss_rsp_pred), .loss_rsp_loss(loss_rsp_loss),
    .uc_busy(uc_busy), .mp_busy(mp_busy), .gap_busy(gap_busy), .lc_busy(lc_busy),
    .loss_busy(loss_busy),
    .hp_sel(hp_sel), .hp_addr(hp_addr), .hp_we(hp_we), .hp_wdata(hp_wdata), .hp_rdata(hp_rdata)
);

dma #(.AXI_ID_W(AXI_ID_W)) u_dma (
    .clk(clk), .rst(core_rst), .abort(stop_pending), .idle(dma_idle),
    .s_cmd_valid(dma_cmd_valid), .s_cmd_ready(dma_cmd_ready), .s_cmd_dir(dma_cmd_dir),
    .s_cmd_addr(dma_cmd_addr), .s_cmd_len(dma_cmd_len), .done(dma_done), .err(dma_err),
    .m_rd_valid(dma_rd_valid), .m_rd_data(dma_rd_data), .m_rd_err(dma_rd_err),
    .s_wr_valid(dma_wr_valid), .s_wr_ready(dma_wr_ready), .s_wr_data(dma_wr_data),
    .m_axi_awid(m_axi_awid), .m_axi_awaddr(m_axi_awaddr), .m_axi_awlen(m_axi_awlen),
    .m_axi_awsize(m_axi_awsize), .m_axi_awburst(m_axi_awburst), .m_axi_awlock(m_axi_awlock),
    .m_axi_awcache(m_axi_awcache), .m_axi_awprot(m_axi_awprot), .m_axi_awvalid(m_axi_awvalid),
    .m_axi_awready(m_axi_awready), .m_axi_wdata(m_axi_wdata), .m_axi_wstrb(m_axi_wstrb),
    .m_axi_wlast(m_axi_wlast), .m_axi_wvalid(m_axi_wvalid), .m_axi_wready(m_axi_wready),
    .m_axi_bid(m_axi_bid), .m_axi_bresp(m_axi_bresp), .m_axi_bvalid(m_axi_bvalid),
    .m_axi_bready(m_axi_bready), .m_axi_arid(m_axi_arid), .m_axi_araddr(m_axi_araddr),
    .m_axi_arlen(m_axi_arlen), .m_axi_arsize(m_axi_arsize), .m_axi_arburst(m_axi_arburst),
    .m_axi_arlock(m_axi_arlock), .m_axi_arcache(m_axi_arcache), .m_axi_arprot(m_axi_arprot),
    .m_axi_arvalid(m_axi_arvalid), .m_axi_arready(m_axi_arready), .m_axi_rid(m_axi_rid),
    .m_axi_rdata(m_axi_rdata), .m_axi_rresp(m_axi_rresp), .m_axi_rlast(m_axi_rlast),
    .m_axi_rvalid(m_axi_rvalid), .m_axi_rready(m_axi_rready)
);

// ---------------------------------------------------------------------------- memories
mem_subsys #(
    .ENGINES(ENGINES), .UPD_BANKS(UPD_BANKS),
`include "uc_param_conns.vh"
) u_mem (
    .clk(clk), .rst(core_rst),
    .uc_busy(uc_busy), .mp_busy(mp_busy), .gap_busy(gap_busy), .lc_busy(lc_busy),
    .loss_busy(loss_busy),
    .hp_sel(hp_sel), .hp_addr(hp_addr), .hp_we(hp_we), .hp_wdata(hp_wdata), .hp_rdata(hp_rdata),
    .list_wr(list_wr),
    .uc_fma_req(uc_fma_req), .uc_fmb_req(uc_fmb_req), .mp_fma_req(mp_fma_req), .mp_fma2_req(mp_fma2_req), .mp_fmx_req(mp_fmx_req),
    .mp_fmb_req(mp_fmb_req), .gap_fma_req(gap_fma_req), .gap_fmb_req(gap_fmb_req),
    .lc_fma_req(lc_fma_req), .lc_fmb_req(lc_fmb_req), .loss_fma_req(loss_fma_req),
    .loss_fmb_req(loss_fmb_req),
    .fma_rdata(fma_rdata), .fmb_rdata(fmb_rdata), .fma2_rdata(fma2_rdata), .fmx_rdata(fmx_rdata), .uc_fma_rdata(uc_fma_rdata), .uc_fmb_rdata(uc_fmb_rdata),
    .uc_ram_req(uc_ram_req),
    .lc_ram_req({lc_wgt_rd_en, lc_wgt_wr_en, lc_grad_rd_en, lc_grad_wr_en, lc_bias_rd_en,
        lc_bias_wr_en, lc_bgrad_rd_en, lc_bgrad_wr_en, lc_wgt_rd_addr, lc_wgt_wr_addr,
        lc_wgt_wr_data, lc_grad_rd_addr, lc_grad_wr_addr, lc_grad_wr_data, lc_bias_rd_addr,
        lc_bias_wr_addr, lc_bias_wr_data, lc_bgrad_rd_addr, lc_bgrad_wr_addr, lc_bgrad_wr_data}),
    // copy 1's weight and bias reads: the second ports
    .lc_rd2_req({lc_wgt2_rd_en, lc_bias2_rd_en, lc_wgt2_rd_addr, lc_bias2_rd_addr}),
    .wgt2_rd_data(wgt2_rd_data), .bias2_rd_data(bias2_rd_data),
`include "uc_list_conns.vh"
    .wgt_rd_data(wgt_rd_data), .grad_rd_data(grad_rd_data), .bias_rd_data(bias_rd_data),
    .bgrad_rd_data(bgrad_rd_data), .uc_wgt_rd_data(uc_wgt_rd_data), .uc_grad_rd_data(uc_grad_rd_data),
    .uc_bias_rd_data(uc_bias_rd_data), .uc_bgrad_rd_data(uc_bgrad_rd_data),
`include "uc_xbank_conns.vh"
);

// ------------------------------------------------------------------------------- units
uc_unit #(
    .ENGINES(ENGINES), .UPD_BANKS(UPD_BANKS),
`include "uc_param_conns.vh"
) u_uc (
    .clk(clk), .rst(core_rst),
    .s_cmd_valid(uc_cmd_valid), .s_cmd_ready(uc_cmd_ready), .s_cmd_data(uc_cmd_data),
    .m_rsp_valid(uc_rsp_valid), .m_rsp_ready(1'b1), .m_rsp_status(uc_rsp_status),
    .m_rsp_cycles(uc_rsp_cycles), .busy(uc_busy), .list_wr(list_wr),
    .m_fma_req(uc_fma_req), .fma_rdata(uc_fma_rdata), .m_fmb_req(uc_fmb_req), .fmb_rdata(uc_fmb_rdata),
    .wgt_rd_en(uc_wgt_rd_en), .wgt_rd_addr(uc_wgt_rd_addr), .wgt_rd_data(uc_wgt_rd_data),
    .wgt_wr_en(uc_wgt_wr_en), .wgt_wr_addr(uc_wgt_wr_addr), .wgt_wr_data(uc_wgt_wr_data),
`include "uc_list_conns.vh"
    .grad_rd_en(uc_grad_rd_en), .grad_rd_addr(uc_grad_rd_addr), .grad_rd_data(uc_grad_rd_data),
    .grad_wr_en(uc_grad_wr_en), .grad_wr_addr(uc_grad_wr_addr), .grad_wr_data(uc_grad_wr_data),
    .bias_rd_en(uc_bias_rd_en), .bias_rd_addr(uc_bias_rd_addr), .bias_rd_data(uc_bias_rd_data),
    .bias_wr_en(uc_bias_wr_en), .bias_wr_addr(uc_bias_wr_addr), .bias_wr_data(uc_bias_wr_data),
    .bgrad_rd_en(uc_bgrad_rd_en), .bgrad_rd_addr(uc_bgrad_rd_addr), .bgrad_rd_data(uc_bgrad_rd_data),
    .bgrad_wr_en(uc_bgrad_wr_en), .bgrad_wr_addr(uc_bgrad_wr_addr), .bgrad_wr_data(uc_bgrad_wr_data),
`include "uc_xbank_conns.vh"
);

// MP reads two copies of the stack a cycle on an engine array, four from 4 engines, eight from 8
// (issue 14)
mp_unit #(.LANES(LANES), .CMAX(CMAX), .HMAX(HMAX), .WMAX(WMAX), .FM_DEPTH(FM_DEPTH),
          .RD_PORTS((ENGINES > 7) ? 8 : (ENGINES > 3) ? 4 : (ENGINES > 1) ? 2 : 1)) u_mp (
    .clk(clk), .rst(core_rst),
    .s_cmd_valid(mp_cmd_valid), .s_cmd_ready(mp_cmd_ready), .s_cmd_data(mp_cmd_data),
    .m_rsp_valid(mp_rsp_valid), .m_rsp_ready(1'b1), .m_rsp_status(mp_rsp_status),
    .m_rsp_cycles(mp_rsp_cycles), .busy(mp_busy),
    .m_fma_req(mp_fma_req), .fma_rdata(fma_rdata), .m_fmb_req(mp_fmb_req), .fmb_rdata(fmb_rdata),
    .m_fma2_req(mp_fma2_req), .fma2_rdata(fma2_rdata),
    .m_fmx_req(mp_fmx_req), .fmx_rdata(fmx_rdata)
);

gap_unit #(.LANES(LANES), .CMAX(CMAX), .HMAX(HMAX), .WMAX(WMAX), .FM_DEPTH(FM_DEPTH)) u_gap (
    .clk(clk), .rst(core_rst),
    .s_cmd_valid(gap_cmd_valid), .s_cmd_ready(gap_cmd_ready), .s_cmd_data(gap_cmd_data),
    .m_rsp_valid(gap_rsp_valid), .m_rsp_ready(1'b1), .m_rsp_status(gap_rsp_status),
    .m_rsp_cycles(gap_rsp_cycles), .busy(gap_busy),
    .m_fma_req(gap_fma_req), .fma_rdata(fma_rdata), .m_fmb_req(gap_fmb_req), .fmb_rdata(fmb_rdata),
    .m_fma2_req(gap_fma2_req), .fma2_rdata(fma2_rdata),
    .m_fmx_req(gap_fmx_req), .fmx_rdata(fmx_rdata)
);

// LC reads two weight copies a cycle on an engine array (issue 14: FWD / BWD_DATA pairs)
lc_unit #(.LANES(LANES), .CMAX(CMAX), .NMAX(NMAX), .FM_DEPTH(FM_DEPTH), .WDEPTH(WDEPTH),
          .BDEPTH(BDEPTH), .WPORTS((ENGINES > 1) ? 2 : 1)) u_lc (
    .clk(clk), .rst(core_rst),
    .s_cmd_valid(lc_cmd_valid), .s_cmd_ready(lc_cmd_ready), .s_cmd_data(lc_cmd_data),
    .m_rsp_valid(lc_rsp_valid), .m_rsp_ready(1'b1), .m_rsp_status(lc_rsp_status),
    .m_rsp_cycles(lc_rsp_cycles), .busy(lc_busy),
    .m_fma_req(lc_fma_req), .fma_rdata(fma_rdata), .m_fmb_req(lc_fmb_req), .fmb_rdata(fmb_rdata),
    .wgt2_rd_en(lc_wgt2_rd_en), .wgt2_rd_addr(lc_wgt2_rd_addr), .wgt2_rd_data(wgt2_rd_data),
    .bias2_rd_en(lc_bias2_rd_en), .bias2_rd_addr(lc_bias2_rd_addr), .bias2_rd_data(bias2_rd_data),
    .wgt_rd_en(lc_wgt_rd_en), .wgt_rd_addr(lc_wgt_rd_addr), .wgt_rd_data(wgt_rd_data),
    .wgt_wr_en(lc_wgt_wr_en), .wgt_wr_addr(lc_wgt_wr_addr), .wgt_wr_data(lc_wgt_wr_data),
    .grad_rd_en(lc_grad_rd_en), .grad_rd_addr(lc_grad_rd_addr), .grad_rd_data(grad_rd_data),
    .grad_wr_en(lc_grad_wr_en), .grad_wr_addr(lc_grad_wr_addr), .grad_wr_data(lc_grad_wr_data),
    .bias_rd_en(lc_bias_rd_en), .bias_rd_addr(lc_bias_rd_addr), .bias_rd_data(bias_rd_data),
    .bias_wr_en(lc_bias_wr_en), .bias_wr_addr(lc_bias_wr_addr), .bias_wr_data(lc_bias_wr_data),
    .bgrad_rd_en(lc_bgrad_rd_en), .bgrad_rd_addr(lc_bgrad_rd_addr), .bgrad_rd_data(bgrad_rd_data),
    .bgrad_wr_en(lc_bgrad_wr_en), .bgrad_wr_addr(lc_bgrad_wr_addr), .bgrad_wr_data(lc_bgrad_wr_data)
);

loss_unit #(.LANES(LANES), .KMAX(CLASSES_MAX), .FM_DEPTH(FM_DEPTH)) u_loss (
    .clk(clk), .rst(core_rst),
    .s_cmd_valid(loss_cmd_valid), .s_cmd_ready(loss_cmd_ready), .s_cmd_data(loss_cmd_data),
    .m_rsp_valid(loss_rsp_valid), .m_rsp_ready(1'b1), .m_rsp_status(loss_rsp_status),
    .m_rsp_cycles(loss_rsp_cycles), .m_rsp_pred(loss_rsp_pred), .m_rsp_loss(loss_rsp_loss),
    .busy(loss_busy),
    .m_fma_req(loss_fma_req), .fma_rdata(fma_rdata), .m_fmb_req(loss_fmb_req), .fmb_rdata(fmb_rdata)
);

// ---------------------------------------------------------------- contracts (assertions)
// a command only while the unit is ready (one-cycle pulse to an idle unit); the response
// stream rule (m_rsp_ready is tied to 1); one response per command. Payload: the command's
// bus and the response.

stream_assert #(.WIDTH(UC_CMD_W), .PULSE(1)) u_uc_cmd_assert (
    .clk(clk), .rst(core_rst), .valid(uc_cmd_valid), .ready(uc_cmd_ready), .data(uc_cmd_data));
stream_assert #(.WIDTH(36)) u_uc_rsp_assert (
    .clk(clk), .rst(core_rst), .valid(uc_rsp_valid), .ready(1'b1), .data({uc_rsp_status, uc_rsp_cycles}));
cmd_rsp_assert u_uc_txn_assert (
    .clk(clk), .rst(core_rst), .cmd_fire(uc_cmd_valid && uc_cmd_ready), .rsp_fire(uc_rsp_valid));

stream_assert #(.WIDTH(MP_CMD_W), .PULSE(1)) u_mp_cmd_assert (
    .clk(clk), .rst(core_rst), .valid(mp_cmd_valid), .ready(mp_cmd_ready), .data(mp_cmd_data));
stream_assert #(.WIDTH(36)) u_mp_rsp_assert (
    .clk(clk), .rst(core_rst), .valid(mp_rsp_valid), .ready(1'b1), .data({mp_rsp_status, mp_rsp_cycles}));
cmd_rsp_assert u_mp_txn_assert (
    .clk(clk), .rst(core_rst), .cmd_fire(mp_cmd_valid && mp_cmd_ready), .rsp_fire(mp_rsp_valid));

stream_assert #(.WIDTH(GAP_CMD_W), .PULSE(1)) u_gap_cmd_assert (
    .clk(clk), .rst(core_rst), .valid(gap_cmd_valid), .ready(gap_cmd_ready), .data(gap_cmd_data));
stream_assert #(.WIDTH(36)) u_gap_rsp_assert (
    .clk(clk), .rst(core_rst), .valid(gap_rsp_valid), .ready(1'b1), .data({gap_rsp_status, gap_rsp_cycles}));
cmd_rsp_assert u_gap_txn_assert (
    .clk(clk), .rst(core_rst), .cmd_fire(gap_cmd_valid && gap_cmd_ready), .rsp_fire(gap_rsp_valid));

stream_assert #(.WIDTH(LC_CMD_W), .PULSE(1)) u_lc_cmd_assert (
    .clk(clk), .rst(core_rst), .valid(lc_cmd_valid), .ready(lc_cmd_ready), .data(lc_cmd_data));
stream_assert #(.WIDTH(36)) u_lc_rsp_assert (
    .clk(clk), .rst(core_rst), .valid(lc_rsp_valid), .ready(1'b1), .data({lc_rsp_status, lc_rsp_cycles}));
cmd_rsp_assert u_lc_txn_assert (
    .clk(clk), .rst(core_rst), .cmd_fire(lc_cmd_valid && lc_cmd_ready), .rsp_fire(lc_rsp_valid));

stream_assert #(.WIDTH(LOSS_CMD_W), .PULSE(1)) u_loss_cmd_assert (
    .clk(clk), .rst(core_rst), .valid(loss_cmd_valid), .ready(loss_cmd_ready), .data(loss_cmd_data));
stream_assert #(.WIDTH(68)) u_loss_rsp_assert (
    .clk(clk), .rst(core_rst), .valid(loss_rsp_valid), .ready(1'b1), .data({loss_rsp_status, loss_rsp_cycles, loss_rsp_pred, loss_rsp_loss}));
cmd_rsp_assert u_loss_txn_assert (
    .clk(clk), .rst(core_rst), .cmd_fire(loss_cmd_valid && loss_cmd_ready), .rsp_fire(loss_rsp_valid));

// the sequencer's DMA command only while the DMA is idle; its write words: the stream rule
// within a transfer (a write error response ends the transfer with a word still offered)
stream_assert #(.WIDTH(57), .PULSE(1)) u_dma_cmd_assert (
    .clk(clk), .rst(core_rst), .valid(dma_cmd_valid), .ready(dma_idle),
    .data({dma_cmd_dir, dma_cmd_addr, dma_cmd_len}));
stream_assert #(.WIDTH(32)) u_dma_wr_assert (
    .clk(clk), .rst(core_rst || dma_done), .valid(dma_wr_valid), .ready(dma_wr_ready),
    .data(dma_wr_data));

`undef ACCEL_DEFS_VH
`undef MEM_DEFS_VH
endmodule

`resetall
