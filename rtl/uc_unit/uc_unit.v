/*
 * Universal Convolution (UC) unit: one sparse MAC datapath for the forward pass (FWD), the input
 * gradient (BWD_DATA), the sparse weight gradient (WGRAD) and the SGD update (UPDATE).
 *
 * LANES MACs work on one non-zero weight and LANES neighbouring pixels of one row; only the item
 * generator and the address stage change between modes. See docs/uc_unit.md for the lane mapping,
 * the command and status fields and the memory layouts; numerics follow docs/numerics.md.
 *
 * Structure (this module wires them and shares the memory ports between them):
 *   uc_ctrl  command latch, check steps, command state, response
 *   uc_scan  pre-scan of the pointer table and index entries
 *   uc_lcache  the lists that passed a scan since the last list write (their scan is skipped)
 *   uc_gen   item generator (pipeline stage I)
 *   uc_mac   MAC lanes and accumulators (P1..P7; the item sideband rides in a pipe_delay)
 *   uc_wb    requantization and stack write (P8), WGRAD gradient write (P9), UPDATE (U1, U2)
 *
 * Parameters:
 *   LANES     MAC lanes (power of two)
 *   KMAX      largest kernel size
 *   CMAX      largest input channel count
 *   NMAX      largest output channel count
 *   HMAX      largest map height
 *   WMAX      largest map width
 *   FM_DEPTH  stack words per bank
 *   WDEPTH    weight / index / gradient memory depth
 *   PDEPTH    pointer memory depth
 *   BDEPTH    bias / bias-gradient memory depth
 *   LISTS     checked-list records (uc_lcache)
 *
 * Latency: a command is checked (6 cycles), its lists pre-scanned (pointers + non-zeros cycles;
 * none when the list passed a scan since the last write to the PTR / FIDX / BIDX memories),
 * then one item enters the pipeline per cycle; the last result is written about 10 cycles after
 * the last item. The response carries the status and the cycle count from accept to response.
 * Memories are external with 1-cycle reads; the stack (fm_stack) has 2-cycle reads.
 */

`resetall
`timescale 1ns / 1ps
`default_nettype none

module uc_unit #
(
    // checked-list records: lists whose pre-scan result is kept until a list memory is written
    parameter LISTS = 64,
`include "uc_params.vh"
)
(
`include "uc_cmd_ports.vh"

    // stack ports: A vector read; B vector read (WGRAD dY) or masked write (FWD Y, BWD_DATA dX)
`include "unit_stack_ports.vh"

    // response
`include "unit_rsp_ports.vh"

    // high from command accept until the response is taken (memories belong to the unit)
    output wire                     busy,

    // a PTR, FIDX or BIDX memory word is written now (the memories' write enable): every list
    // must be scanned again
    input  wire                     list_wr,

    // forward and backward index memories, pointer memory
    output wire                     fidx_rd_en,
    output wire [WAW-1:0]           fidx_rd_addr,
    input  wire [FIDX_W-1:0]        fidx_rd_data,
    output wire                     bidx_rd_en,
    output wire [WAW-1:0]           bidx_rd_addr,
    input  wire [BIDX_W-1:0]        bidx_rd_data,
    output wire                     ptr_rd_en,
    output wire [PAW-1:0]           ptr_rd_addr,
    input  wire [PTR_W-1:0]         ptr_rd_data,

    // weight, weight-gradient, bias and bias-gradient memories
`include "unit_ram_ports.vh"
);

// ------------------------------------------------------------------------ derived widths
localparam FM_AW = $clog2(FM_DEPTH);
localparam WAW = $clog2(WDEPTH);
localparam PAW = $clog2(PDEPTH);
localparam BAW = $clog2(BDEPTH);
localparam K_W = (KMAX > 1) ? $clog2(KMAX) : 1;
localparam C_W = (CMAX > 1) ? $clog2(CMAX) : 1;
localparam N_W = (NMAX > 1) ? $clog2(NMAX) : 1;
localparam CNT_W = WAW + 1;
localparam FIDX_W = 2 * K_W + C_W;
localparam BIDX_W = 2 * K_W + N_W + WAW;
localparam PTR_W = WAW + CNT_W;
// list identity for uc_lcache: kind, pointer-table base, C, N, K (each as wide as its legal range;
// KMAX <= 255 as the command field k has 8 bits, so KB_W <= 8)
localparam KB_W = $clog2(KMAX + 1);
localparam CB_W = $clog2(CMAX + 1);
localparam NB_W = $clog2(NMAX + 1);
localparam KEY_W = 3 + PAW + CB_W + NB_W + KB_W;

`include "accel_defs.vh"

// ------------------------------------------------------------------------------ wiring
// latched command and derived values (uc_ctrl)
wire        is_fwd, is_bwd, is_wgrad, is_update, s2, relu, bgrad, gacc;
wire [15:0] h, w, ho, wo, rw_x, rw_y, ngrp, n_ptrs;
wire [31:0] plane_x, plane_y, x_base, y_base, bias_base;
wire [PAW-1:0] ptr_base;
wire [2:0]  dil;
wire [7:0]  pad;
wire [4:0]  shift;
wire [15:0] lr_mult, lr_mult_b;
wire [5:0]  lr_shift, lr_shift_b;
wire [7:0]  k;
wire [15:0] c, n;
wire        scan_start, scanning, run_start, running, gen_done, pipe_busy;

// pre-scan (uc_scan)
wire            scan_pass, scan_bad_list, scan_bad_index;
wire            scan_ptr_en, scan_idx_en, scan_skip;
wire [PAW-1:0]  scan_ptr_addr;
wire [WAW-1:0]  scan_idx_addr;

// item, stage I (uc_gen)
wire             i_valid, i_first, i_last, i_zero, i_ones, i_bsum;
wire [WAW-1:0]   i_a;
wire [15:0]      i_og, i_y, i_x0;
wire [FM_AW-1:0] i_orow;
wire [31:0]      i_bias;
wire [LANES-1:0] i_omask;
wire             gen_ptr_en, gen_bias_en;
wire [PAW-1:0]   gen_ptr_addr;
wire [BAW-1:0]   gen_bias_addr;

// MAC pipeline P1..P8 (uc_mac)
wire             mac_busy, p1_ones;
wire [WAW-1:0]   p1_a;
wire [15:0]      p1_og;
wire             mac_wgt_rd_en;
wire [WAW-1:0]   mac_wgt_rd_addr;
wire             mac_fmb_rd_en;
wire [FM_AW-1:0] mac_fmb_rd_row;
wire [15:0]      mac_fmb_rd_x;
wire             fma_en, fma_s2;        // stack port A (m_fma_req): the MAC's vector reads
wire [FM_AW-1:0] fma_row;
wire signed [XW-1:0] fma_x;
wire             o_valid, o_ones, o_bsum;
wire signed [ACC_W-1:0] o_bacc;
wire [WAW-1:0]   o_a;
wire [15:0]      o_og, o_x0;
wire [FM_AW-1:0] o_orow;
wire [LANES-1:0] o_omask;
wire [LANES*ACC_W-1:0] o_acc;

// write-back and update (uc_wb)
wire             wb_busy;
wire             wb_fmb_wr_en;
wire [FM_AW-1:0] wb_fmb_wr_row;
wire [15:0]      wb_fmb_wr_x;
wire             fmb_we;                // stack port B write data (m_fmb_req)
wire [LANES*16-1:0] fmb_wdata;
wire [LANES-1:0] fmb_wmask;
wire             upd_wgt_rd_en, upd_bias_rd_en;
wire [WAW-1:0]   upd_wgt_rd_addr;
wire [BAW-1:0]   upd_bias_rd_addr;

// index entry read the cycle before: fields of the mode's list (forward or backward)
wire [K_W-1:0] fi_kx = fidx_rd_data[K_W-1:0];
wire [K_W-1:0] fi_ky = fidx_rd_data[2*K_W-1:K_W];
wire [C_W-1:0] fi_c = fidx_rd_data[2*K_W +: C_W];
wire [K_W-1:0] bi_kx = bidx_rd_data[K_W-1:0];
wire [K_W-1:0] bi_ky = bidx_rd_data[2*K_W-1:K_W];
wire [N_W-1:0] bi_n = bidx_rd_data[2*K_W +: N_W];
wire [K_W-1:0] idx_kx = is_bwd ? bi_kx : fi_kx;
wire [K_W-1:0] idx_ky = is_bwd ? bi_ky : fi_ky;
wire [15:0]    idx_ch = is_bwd ? {{(16-N_W){1'b0}}, bi_n} : {{(16-C_W){1'b0}}, fi_c};
wire [WAW-1:0] idx_waddr = bidx_rd_data[2*K_W+N_W +: WAW];

assign pipe_busy = i_valid || mac_busy || wb_busy;

// The list a command's pre-scan checks: the forward list (FWD, WGRAD, UPDATE) or the backward
// list (BWD_DATA; at stride 2 split by parity, 4C pointers) at its pointer-table base, with the
// fields the scan compares against (C, N, K).
// Wider field values are refused by the checks before the record is looked at, so the legal
// widths identify the command exactly. UPDATE checks only the pointers: it uses the record of a
// full forward scan but does not make one.
// (a split list's scan also checks each entry's parity class, which depends on dil's parity)
wire [KEY_W-1:0] list_key = {is_bwd, is_bwd && s2, is_bwd && s2 && dil[0], ptr_base, c[CB_W-1:0], n[NB_W-1:0],
                             k[KB_W-1:0]};

// ------------------------------------------------------------------------ memory ports
// pointer and index reads: the pre-scan, then the generator and the items
assign ptr_rd_en = scan_ptr_en || gen_ptr_en;
assign ptr_rd_addr = scanning ? scan_ptr_addr : gen_ptr_addr;
assign fidx_rd_en = (scan_idx_en && !is_bwd) || (i_valid && !is_bwd && !is_update);
assign bidx_rd_en = (scan_idx_en && is_bwd) || (i_valid && is_bwd);
assign fidx_rd_addr = scanning ? scan_idx_addr : i_a;
assign bidx_rd_addr = scanning ? scan_idx_addr : i_a;
// weight and bias reads: the conv pipeline (FWD bias: the generator) or UPDATE
assign wgt_rd_en = is_update ? upd_wgt_rd_en : mac_wgt_rd_en;
assign wgt_rd_addr = is_update ? upd_wgt_rd_addr : mac_wgt_rd_addr;
assign bias_rd_en = is_update ? upd_bias_rd_en : gen_bias_en;
assign bias_rd_addr = is_update ? upd_bias_rd_addr : gen_bias_addr;
// stack port B: dY read in WGRAD, else the result write
wire fmb_en = is_wgrad ? mac_fmb_rd_en : wb_fmb_wr_en;
wire [FM_AW-1:0] fmb_row = is_wgrad ? mac_fmb_rd_row : wb_fmb_wr_row;
wire signed [XW-1:0] fmb_x = $signed({{(XW-16){1'b0}}, is_wgrad ? mac_fmb_rd_x : wb_fmb_wr_x});
wire fmb_s2 = is_bwd && s2;
assign m_fma_req = {fma_en, fma_s2, fma_row, fma_x};
assign m_fmb_req = {fmb_en, fmb_we, fmb_s2, fmb_row, fmb_x, fmb_wdata, fmb_wmask};

// ------------------------------------------------------------------------------ modules
uc_ctrl #(
`include "uc_param_conns.vh"
) u_ctrl (
`include "uc_cmd_conns.vh"
    .is_fwd(is_fwd), .is_bwd(is_bwd), .is_wgrad(is_wgrad), .is_update(is_update), .s2(s2),
    .h(h), .w(w), .ho(ho), .wo(wo), .rw_x(rw_x), .rw_y(rw_y), .plane_x(plane_x), .plane_y(plane_y),
    .ngrp(ngrp), .n_ptrs(n_ptrs), .ptr_base(ptr_base), .dil(dil), .pad(pad), .shift(shift), .relu(relu),
    .bgrad(bgrad), .gacc(gacc), .x_base(x_base), .y_base(y_base), .bias_base(bias_base),
    .lr_mult(lr_mult), .lr_shift(lr_shift), .lr_mult_b(lr_mult_b), .lr_shift_b(lr_shift_b),
    .k(k), .c(c), .n(n),
    .scan_skip(scan_skip), .scan_start(scan_start), .scanning(scanning), .scan_pass(scan_pass),
    .scan_bad_list(scan_bad_list), .scan_bad_index(scan_bad_index),
    .run_start(run_start), .running(running), .gen_done(gen_done), .pipe_busy(pipe_busy)
);

uc_scan #(
    .KMAX(KMAX), .WDEPTH(WDEPTH), .PDEPTH(PDEPTH)
) u_scan (
    .clk(clk),
    .start(scan_start), .scanning(scanning), .is_bwd(is_bwd), .is_update(is_update),
    .split(is_bwd && s2), .dil_odd(dil[0]), .k(k), .c(c), .n(n), .n_ptrs(n_ptrs), .ptr_base(ptr_base),
    .pass(scan_pass), .bad_list(scan_bad_list), .bad_index(scan_bad_index),
    .ptr_rd_en(scan_ptr_en), .ptr_rd_addr(scan_ptr_addr), .ptr_rd_data(ptr_rd_data),
    .idx_rd_en(scan_idx_en), .idx_rd_addr(scan_idx_addr),
    .idx_kx(idx_kx), .idx_ky(idx_ky), .idx_ch(idx_ch), .idx_waddr(idx_waddr)
);

uc_lcache #(
    .LISTS(LISTS), .KEY_W(KEY_W)
) u_lcache (
    .clk(clk), .rst(rst),
    .list_wr(list_wr), .key(list_key), .hit(scan_skip),
    .scan_start(scan_start), .scan_ok(run_start && scanning && !is_update)
);

uc_gen #(
`include "uc_pipe_param_conns.vh"
) u_gen (
    .clk(clk), .rst(rst),
    .run_start(run_start), .running(running), .done(gen_done),
    .is_fwd(is_fwd), .is_bwd(is_bwd), .is_wgrad(is_wgrad), .is_update(is_update), .s2(s2),
    .bgrad(bgrad), .pad_odd(pad[0]), .h(h), .w(w), .ho(ho), .wo(wo), .rw_x(rw_x), .rw_y(rw_y),
    .plane_x(plane_x), .plane_y(plane_y), .ngrp(ngrp), .n_ptrs(n_ptrs), .ptr_base(ptr_base), .x_base(x_base),
    .y_base(y_base), .bias_base(bias_base),
    .ptr_rd_en(gen_ptr_en), .ptr_rd_addr(gen_ptr_addr), .ptr_rd_data(ptr_rd_data),
    .bias_rd_en(gen_bias_en), .bias_rd_addr(gen_bias_addr), .bias_rd_data(bias_rd_data),
    .i_valid(i_valid), .i_first(i_first), .i_last(i_last), .i_zero(i_zero), .i_ones(i_ones),
    .i_bsum(i_bsum), .i_a(i_a), .i_og(i_og), .i_y(i_y), .i_x0(i_x0), .i_orow(i_orow),
    .i_bias(i_bias), .i_omask(i_omask)
);

uc_mac #(
`include "uc_pipe_param_conns.vh"
) u_mac (
    .clk(clk), .rst(rst),
    .is_bwd(is_bwd), .is_wgrad(is_wgrad), .is_update(is_update), .s2(s2),
    .dil(dil), .pad(pad), .h(h), .w(w), .ho(ho), .wo(wo), .rw_x(rw_x), .rw_y(rw_y),
    .x_base(x_base), .y_base(y_base), .busy(mac_busy),
    .i_valid(i_valid), .i_first(i_first), .i_last(i_last), .i_zero(i_zero), .i_ones(i_ones),
    .i_bsum(i_bsum), .i_a(i_a), .i_og(i_og), .i_y(i_y), .i_x0(i_x0), .i_orow(i_orow),
    .i_bias(i_bias), .i_omask(i_omask),
    .idx_kx(idx_kx), .idx_ky(idx_ky), .idx_ch(idx_ch), .idx_waddr(idx_waddr),
    .p1_ones(p1_ones), .p1_a(p1_a), .p1_og(p1_og),
    .wgt_rd_en(mac_wgt_rd_en), .wgt_rd_addr(mac_wgt_rd_addr), .wgt_rd_data(wgt_rd_data),
    .fma_en(fma_en), .fma_row(fma_row), .fma_x(fma_x), .fma_s2(fma_s2), .fma_rdata(fma_rdata),
    .fmb_rd_en(mac_fmb_rd_en), .fmb_rd_row(mac_fmb_rd_row), .fmb_rd_x(mac_fmb_rd_x),
    .fmb_rdata(fmb_rdata),
    .o_valid(o_valid), .o_ones(o_ones), .o_bsum(o_bsum), .o_bacc(o_bacc), .o_a(o_a),
    .o_og(o_og), .o_x0(o_x0), .o_orow(o_orow), .o_omask(o_omask), .o_acc(o_acc)
);

uc_wb #(
`include "uc_pipe_param_conns.vh"
) u_wb (
    .clk(clk), .rst(rst),
    .is_fwd(is_fwd), .is_bwd(is_bwd), .is_wgrad(is_wgrad), .is_update(is_update),
    .shift(shift), .relu(relu), .gacc(gacc), .bias_base(bias_base),
    .lr_mult(lr_mult), .lr_shift(lr_shift), .lr_mult_b(lr_mult_b), .lr_shift_b(lr_shift_b),
    .busy(wb_busy),
    .i_valid(i_valid), .i_ones(i_ones), .i_a(i_a), .i_og(i_og),
    .p1_ones(p1_ones), .p1_a(p1_a), .p1_og(p1_og),
    .o_valid(o_valid), .o_ones(o_ones), .o_bsum(o_bsum), .o_bacc(o_bacc), .o_a(o_a),
    .o_og(o_og), .o_x0(o_x0), .o_orow(o_orow), .o_omask(o_omask), .o_acc(o_acc),
    .fmb_wr_en(wb_fmb_wr_en), .fmb_we(fmb_we), .fmb_wr_row(wb_fmb_wr_row),
    .fmb_wr_x(wb_fmb_wr_x), .fmb_wdata(fmb_wdata), .fmb_wmask(fmb_wmask),
    .upd_wgt_rd_en(upd_wgt_rd_en), .upd_wgt_rd_addr(upd_wgt_rd_addr), .wgt_rd_data(wgt_rd_data),
    .upd_bias_rd_en(upd_bias_rd_en), .upd_bias_rd_addr(upd_bias_rd_addr),
    .bias_rd_data(bias_rd_data),
    .wgt_wr_en(wgt_wr_en), .wgt_wr_addr(wgt_wr_addr), .wgt_wr_data(wgt_wr_data),
    .grad_rd_en(grad_rd_en), .grad_rd_addr(grad_rd_addr), .grad_rd_data(grad_rd_data),
    .grad_wr_en(grad_wr_en), .grad_wr_addr(grad_wr_addr), .grad_wr_data(grad_wr_data),
    .bias_wr_en(bias_wr_en), .bias_wr_addr(bias_wr_addr), .bias_wr_data(bias_wr_data),
    .bgrad_rd_en(bgrad_rd_en), .bgrad_rd_addr(bgrad_rd_addr), .bgrad_rd_data(bgrad_rd_data),
    .bgrad_wr_en(bgrad_wr_en), .bgrad_wr_addr(bgrad_wr_addr), .bgrad_wr_data(bgrad_wr_data)
);

`undef ACCEL_DEFS_VH
endmodule

`resetall
