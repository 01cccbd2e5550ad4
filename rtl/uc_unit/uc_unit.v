/*
 * Universal Convolution (UC) unit: one sparse MAC datapath for the forward pass (FWD), the input
 * gradient (BWD_DATA), the sparse weight gradient (WGRAD) and the SGD update (UPDATE).
 *
 * ENGINES engines of LANES MACs each. In an engine, the LANES MACs work on one non-zero weight and
 * LANES neighbouring pixels of one row; only the item generator and the address stage change
 * between modes. The engines share the command, its checks and the pre-scan, and split the
 * command's channels (uc_split). See docs/uc_unit.md for the lane mapping, the engine array, the
 * command and status fields and the memory layouts; numerics follow docs/numerics.md.
 *
 * Structure (this module wires them and shares the memory ports between them):
 *   uc_ctrl  command latch, check steps, command state, response
 *   uc_scan  pre-scan of the pointer table and index entries (on memory copy 0)
 *   uc_lcache  the lists that passed a scan since the last list write (their scan is skipped)
 *   uc_engine  x ENGINES: uc_gen (item generator, stage I), uc_mac (MAC lanes and accumulators,
 *            P1..P7), uc_wb (requantization and stack write, WGRAD gradient write, UPDATE)
 *   uc_split, uc_wq  (ENGINES > 1) each engine's share of the channels; the engines' stack
 *            writes queued onto one write to every stack copy
 *
 * Memories: every port is ENGINES wide, one copy of each memory an engine (engine e at the e-th
 * slice). Engine e reads its copy. Stack and weight / bias writes go to every copy alike (the
 * same request on every slice); the GRAD and BGRAD copies are the engines' own (WGRAD writes
 * the gradient of a filter into the copy of the engine that ran it; UPDATE reads it there and
 * zeroes every copy).
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
 *   ENGINES   engines (1, or a power of two)
 *   OWN_SEL2  engine count above which UPDATE's owner select takes two stages
 *   UPD_BANKS UPDATE engines, one a bank of the weight and gradient memories
 *
 * Latency: a command is checked (6 cycles), its lists pre-scanned (pointers + non-zeros cycles;
 * none when the list passed a scan since the last write to the PTR / FIDX / BIDX memories),
 * then one item enters each engine's pipeline per cycle (ENGINES > 1: the engines start 7 cycles
 * later, after their shares are computed); the last result is written about 10 cycles after the
 * last item (ENGINES > 1: after the write queues drain). The response carries the status and the cycle count from accept to response.
 * Memories are external with 1-cycle reads; the stack (fm_stack) has 2-cycle reads.
 */

`resetall
`timescale 1ns / 1ps
`default_nettype none

module uc_unit #
(
    // checked-list records: lists whose pre-scan result is kept until a list memory is written
    parameter LISTS = 64,
    // engines (1, or a power of two): each a generator, LANES MACs and a write-back
    parameter ENGINES = 1,
    // above this many engines UPDATE selects the owner's gradient over two registered stages
    // (one cycle more an UPDATE): a one-cycle select of 256 copies is 5 LUT levels (issue 16)
    parameter OWN_SEL2 = 64,
    // UPDATE engines (1, or a power of two up to ENGINES): engine k updates the weights of bank
    // k (address mod UPD_BANKS) of the banked weight and gradient memories, UPD_BANKS a cycle
    parameter UPD_BANKS = 1,
`include "uc_params.vh"
)
(
`include "uc_cmd_ports.vh"

    // stack ports of every copy: A vector read; B vector read (WGRAD dY) or masked write (FWD Y,
    // BWD_DATA dX; the same write on every copy)
    /* verilator coverage_off */
    output wire [ENGINES*FMA_REQ_W-1:0] m_fma_req,      // FMA_REQ (accel_defs.vh) a copy
    /* verilator coverage_on */
    input  wire [ENGINES*LANES*16-1:0]  fma_rdata,
    /* verilator coverage_off */
    output wire [ENGINES*FMB_REQ_W-1:0] m_fmb_req,      // FMB_REQ (accel_defs.vh) a copy
    /* verilator coverage_on */
    input  wire [ENGINES*LANES*16-1:0]  fmb_rdata,

    // response
`include "unit_rsp_ports.vh"

    // high from command accept until the response is taken (memories belong to the unit)
    output wire                     busy,

    // a PTR, FIDX or BIDX memory word is written now (the memories' write enable): every list
    // must be scanned again
    input  wire                     list_wr,

    // forward and backward index memories, pointer memory (one read port a copy)
    output wire [ENGINES-1:0]           fidx_rd_en,
    output wire [ENGINES*WAW-1:0]       fidx_rd_addr,
    input  wire [ENGINES*FIDX_W-1:0]    fidx_rd_data,
    output wire [ENGINES-1:0]           bidx_rd_en,
    output wire [ENGINES*WAW-1:0]       bidx_rd_addr,
    input  wire [ENGINES*BIDX_W-1:0]    bidx_rd_data,
    output wire [ENGINES-1:0]           ptr_rd_en,
    output wire [ENGINES*PAW-1:0]       ptr_rd_addr,
    input  wire [ENGINES*PTR_W-1:0]     ptr_rd_data,

    // weight, weight-gradient, bias and bias-gradient memories (one read and one write port a copy)
    output wire [ENGINES-1:0]           wgt_rd_en,
    output wire [ENGINES*WAW-1:0]       wgt_rd_addr,
    input  wire [ENGINES*16-1:0]        wgt_rd_data,
    output wire [ENGINES-1:0]           wgt_wr_en,
    output wire [ENGINES*WAW-1:0]       wgt_wr_addr,
    output wire [ENGINES*16-1:0]        wgt_wr_data,
    output wire [ENGINES-1:0]           grad_rd_en,
    output wire [ENGINES*WAW-1:0]       grad_rd_addr,
    input  wire [ENGINES*32-1:0]        grad_rd_data,
    output wire [ENGINES-1:0]           grad_wr_en,
    output wire [ENGINES*WAW-1:0]       grad_wr_addr,
    output wire [ENGINES*32-1:0]        grad_wr_data,
    output wire [ENGINES-1:0]           bias_rd_en,
    output wire [ENGINES*BAW-1:0]       bias_rd_addr,
    input  wire [ENGINES*32-1:0]        bias_rd_data,
    output wire [ENGINES-1:0]           bias_wr_en,
    output wire [ENGINES*BAW-1:0]       bias_wr_addr,
    output wire [ENGINES*32-1:0]        bias_wr_data,
    output wire [ENGINES-1:0]           bgrad_rd_en,
    output wire [ENGINES*BAW-1:0]       bgrad_rd_addr,
    input  wire [ENGINES*32-1:0]        bgrad_rd_data,
    output wire [ENGINES-1:0]           bgrad_wr_en,
    output wire [ENGINES*BAW-1:0]       bgrad_wr_addr,
    output wire [ENGINES*32-1:0]        bgrad_wr_data,

    // banks 1 .. UPD_BANKS-1 of every copy's weight and gradient memories (mem_core's x ports;
    // copy g's bank k at field XB*g + k-1, one unused field a copy when UPD_BANKS = 1): UPDATE
    // engine k's weight writes and gradient zero writes (alike on every copy) and gradient reads
    // (every copy read, the filter's owner's data taken)
    output wire [ENGINES*XB-1:0]        wgt_xwr_en,
    output wire [ENGINES*XB*WAW-1:0]    wgt_xwr_addr,
    output wire [ENGINES*XB*16-1:0]     wgt_xwr_data,
    output wire [ENGINES*XB-1:0]        grad_xrd_en,
    output wire [ENGINES*XB*WAW-1:0]    grad_xrd_addr,
    /* verilator lint_off UNUSEDSIGNAL */
    input  wire [ENGINES*XB*32-1:0]     grad_xrd_data,
    /* verilator lint_on UNUSEDSIGNAL */
    output wire [ENGINES*XB-1:0]        grad_xwr_en,
    output wire [ENGINES*XB*WAW-1:0]    grad_xwr_addr,
    output wire [ENGINES*XB*32-1:0]     grad_xwr_data
);

// ------------------------------------------------------------------------ derived widths
`include "mem_defs.vh"
localparam LOG_E = (ENGINES > 1) ? $clog2(ENGINES) : 1;
// list identity for uc_lcache: kind, pointer-table base, C, N, K (each as wide as its legal range;
// KMAX <= 255 as the command field k has 8 bits, so KB_W <= 8)
localparam KB_W = $clog2(KMAX + 1);
localparam CB_W = $clog2(CMAX + 1);
localparam NB_W = $clog2(NMAX + 1);
localparam KEY_W = 3 + PAW + CB_W + NB_W + KB_W;
// engines' start after run_start (uc_split's 4 stages, then 3 for the generators' registered inputs)
localparam START_LAT = 7;
// UPDATE's owner select in two stages (above OWN_SEL2 engines, from 4), the first over groups of
// 2^OG_B copies (half the owner's bits, rounded up)
localparam OWN_SEL = (ENGINES >= 4 && ENGINES > OWN_SEL2) ? 1 : 0;
// UPDATE engines (UPD_BANKS) and the x-port fields a copy
localparam UB = UPD_BANKS;
localparam XB = (UPD_BANKS > 1) ? UPD_BANKS - 1 : 1;
`ifndef SYNTHESIS
// a parameter set the RTL does not support stops the simulation at once
initial begin
    if (UPD_BANKS < 1 || UPD_BANKS > ENGINES || (UPD_BANKS & (UPD_BANKS - 1)) != 0) begin
        $display("uc_unit: UPD_BANKS = %0d must be a power of two up to ENGINES = %0d", UPD_BANKS, ENGINES);
        $finish;
    end
end
`endif
localparam OG_B = (LOG_E + 1) / 2;

`include "accel_defs.vh"

// ------------------------------------------------------------------------------ wiring
// latched command and derived values (uc_ctrl)
wire        is_fwd, is_bwd, is_wgrad, is_update, s2, relu, bgrad, gacc;
wire [15:0] h, w, ho, wo, rw_x, rw_y, ngrp, n_ptrs;
wire        flat;                       // a flat command: its true map size fh x fw, fw = 2^lw
wire [15:0] fh, fw;
wire [3:0]  lw;
wire [31:0] plane_x, plane_y, x_base, y_base, bias_base;
wire [PAW-1:0] ptr_base;
wire [2:0]  dil;
wire        rmask;                      // BWD_DATA with the ReLU backward: X at dX's row + m_delta
wire [FM_AW-1:0] m_delta;
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

// the engines: their share and run, and their ports before the copies' muxes (wiring: their
// toggles are counted in uc_split, uc_engine and below it)
/* verilator coverage_off */
wire [ENGINES-1:0]       e_act, e_start, e_running, e_hold, e_done, e_busy;
wire [ENGINES*16-1:0]    e_n_ptrs, e_og_base, e_i_og;
wire [ENGINES*PAW-1:0]   e_ptr_base;
wire [ENGINES*32-1:0]    e_bias_base, e_x_base, e_y_base;
wire [UB*LOG_E-1:0]      owner;         // UPDATE: the copy holding the gradient of engine k's item at P1
wire [ENGINES-1:0]       e_ptr_en, e_fidx_en, e_bidx_en;
wire [ENGINES*PAW-1:0]   e_ptr_addr;
wire [ENGINES*WAW-1:0]   e_idx_addr;
wire [ENGINES*K_W-1:0]   e_kx, e_ky;
wire [ENGINES*16-1:0]    e_ch;
wire [ENGINES*WAW-1:0]   e_waddr;
wire [ENGINES-1:0]       e_fmb_rd_en, e_fmb_wr_en, e_fmb_we;
wire [ENGINES*FM_AW-1:0] e_fmb_rd_row, e_fmb_wr_row;
wire [ENGINES*16-1:0]    e_fmb_rd_x, e_fmb_wr_x;
wire [ENGINES-1:0]       e_fmb_rd_nx_en;
wire [ENGINES*FM_AW-1:0] e_fmb_rd_nx_row;
wire [ENGINES*16-1:0]    e_fmb_rd_nx_x;
wire [ENGINES*LANES*16-1:0] e_fmb_wdata;
wire [ENGINES*LANES-1:0] e_fmb_wmask;
wire [ENGINES-1:0]       e_grad_rd_en, e_grad_wr_en, e_bgrad_rd_en, e_bgrad_wr_en;
wire [ENGINES*WAW-1:0]   e_grad_rd_addr, e_grad_wr_addr;
wire [ENGINES*BAW-1:0]   e_bgrad_rd_addr, e_bgrad_wr_addr;
wire [ENGINES*32-1:0]    e_grad_wr_data, e_bgrad_wr_data, e_upd_grad_rd_data, e_upd_bgrad_rd_data;
wire [ENGINES-1:0]       e_wgt_wr_en, e_bias_wr_en;
wire [ENGINES*WAW-1:0]   e_wgt_wr_addr;
wire [ENGINES*16-1:0]    e_wgt_wr_data;
wire [ENGINES*BAW-1:0]   e_bias_wr_addr;
wire [ENGINES*32-1:0]    e_bias_wr_data;
/* verilator coverage_on */

// the stack write to every copy (the engine's own when ENGINES = 1, else the queues' one; wiring)
/* verilator coverage_off */
wire             wr_en, wr_we;
wire [FM_AW-1:0] wr_row;
wire [15:0]      wr_x;
// the port-B write of 2*LANES lanes (FMB_REQ): one engine's write in the low half, or on an
// array uc_wq's entry of one or two adjacent writes
wire [2*LANES*16-1:0] wr_data2;
wire [2*LANES-1:0] wr_mask2;
wire             wq_busy;
// (ENGINES > 1) the queues' write of the next cycle, for the registered port-B requests
wire             wq_nx_valid;
wire [FM_AW-1:0] wq_nx_row;
wire [15:0]      wq_nx_x;
/* verilator coverage_on */

// engines other than 0 never write the weights or biases (UPDATE runs on engine 0) and feed no
// pre-scan; one engine needs no share, the array not uc_ctrl's running
/* verilator coverage_off */
wire unused = &{1'b0, running, e_act, e_i_og, e_kx, e_ky, e_ch, e_waddr, e_fmb_we, e_wgt_wr_en,
                e_wgt_wr_addr, e_wgt_wr_data, e_bias_wr_en, e_bias_wr_addr, e_bias_wr_data,
                // one engine takes its port-B read at P4, an array a cycle early (registered)
                e_fmb_rd_en, e_fmb_rd_row, e_fmb_rd_x, e_fmb_rd_nx_en, e_fmb_rd_nx_row, e_fmb_rd_nx_x,
                wq_nx_valid, wq_nx_row, wq_nx_x, wr_we, wr_row, wr_x};
/* verilator coverage_on */

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
// every copy: pointer and index reads (copy 0: the pre-scan first), the engine's stack reads,
// weight and bias reads; writes of the weights and biases (UPDATE: engine 0) and of the stack
// (wr_*) to every copy; the gradients: the engine's own copy, in UPDATE engine 0's access on
// every copy (its read data from the owner's copy, below)
genvar g;
generate
    for (g = 0; g < ENGINES; g = g + 1) begin : g_port
        if (g == 0) begin : g_scan
            assign ptr_rd_en[0] = scan_ptr_en || e_ptr_en[0];
            assign ptr_rd_addr[0 +: PAW] = scanning ? scan_ptr_addr : e_ptr_addr[0 +: PAW];
            assign fidx_rd_en[0] = (scan_idx_en && !is_bwd) || e_fidx_en[0];
            assign bidx_rd_en[0] = (scan_idx_en && is_bwd) || e_bidx_en[0];
            assign fidx_rd_addr[0 +: WAW] = scanning ? scan_idx_addr : e_idx_addr[0 +: WAW];
            assign bidx_rd_addr[0 +: WAW] = scanning ? scan_idx_addr : e_idx_addr[0 +: WAW];
        end else begin : g_run
            assign ptr_rd_en[g] = e_ptr_en[g];
            assign ptr_rd_addr[PAW*g +: PAW] = e_ptr_addr[PAW*g +: PAW];
            assign fidx_rd_en[g] = e_fidx_en[g];
            assign bidx_rd_en[g] = e_bidx_en[g];
            assign fidx_rd_addr[WAW*g +: WAW] = e_idx_addr[WAW*g +: WAW];
            assign bidx_rd_addr[WAW*g +: WAW] = e_idx_addr[WAW*g +: WAW];
        end
        // stack port B: dY read in WGRAD, else the write
        if (ENGINES == 1) begin : g_pb
            assign m_fmb_req[FMB_REQ_W*g +: FMB_REQ_W] =
                is_wgrad ? {e_fmb_rd_en[g], 1'b0, 1'b0, e_fmb_rd_row[FM_AW*g +: FM_AW],
                            $signed({{(XW-16){1'b0}}, e_fmb_rd_x[16*g +: 16]}), {2*LANES*16{1'b0}}, {2*LANES{1'b0}}}
                         : {wr_en, wr_we, is_bwd && s2, wr_row, $signed({{(XW-16){1'b0}}, wr_x}),
                            wr_data2, wr_mask2};
        end else begin : g_pb
            // An array registers each copy's port-B control and address fields, selected from
            // the engine's read a cycle early (P3) and the queues' write of the next cycle, so
            // that a copy's port-B address starts from flip-flops: the is_wgrad select is no
            // LUT level between the UC unit and mem_subsys's AND-OR (issue 16: the 2 x 4 top's
            // last paths over 6 LUT levels). Same cycle as the unregistered select; the write
            // data and mask are the queue's registered ones (don't-care with a read)
            reg             pb_en_reg, pb_we_reg, pb_s2_reg;
            reg [FM_AW-1:0] pb_row_reg;
            reg [15:0]      pb_x_reg;
            always @(posedge clk) begin
                pb_en_reg <= is_wgrad ? e_fmb_rd_nx_en[g] : wq_nx_valid;
                pb_we_reg <= !is_wgrad && wq_nx_valid;
                pb_s2_reg <= !is_wgrad && is_bwd && s2;
                if (is_wgrad || wq_nx_valid) begin
                    pb_row_reg <= is_wgrad ? e_fmb_rd_nx_row[FM_AW*g +: FM_AW] : wq_nx_row;
                    pb_x_reg <= is_wgrad ? e_fmb_rd_nx_x[16*g +: 16] : wq_nx_x;
                end
                if (rst) begin
                    pb_en_reg <= 1'b0;
                    pb_we_reg <= 1'b0;
                end
            end
            assign m_fmb_req[FMB_REQ_W*g +: FMB_REQ_W] =
                {pb_en_reg, pb_we_reg, pb_s2_reg, pb_row_reg, $signed({{(XW-16){1'b0}}, pb_x_reg}),
                 wr_data2, wr_mask2};
        end
        assign wgt_wr_en[g] = e_wgt_wr_en[0];
        assign wgt_wr_addr[WAW*g +: WAW] = e_wgt_wr_addr[0 +: WAW];
        assign wgt_wr_data[16*g +: 16] = e_wgt_wr_data[0 +: 16];
        assign bias_wr_en[g] = e_bias_wr_en[0];
        assign bias_wr_addr[BAW*g +: BAW] = e_bias_wr_addr[0 +: BAW];
        assign bias_wr_data[32*g +: 32] = e_bias_wr_data[0 +: 32];
        assign grad_rd_en[g] = is_update ? e_grad_rd_en[0] : e_grad_rd_en[g];
        assign grad_rd_addr[WAW*g +: WAW] = is_update ? e_grad_rd_addr[0 +: WAW] : e_grad_rd_addr[WAW*g +: WAW];
        assign grad_wr_en[g] = is_update ? e_grad_wr_en[0] : e_grad_wr_en[g];
        assign grad_wr_addr[WAW*g +: WAW] = is_update ? e_grad_wr_addr[0 +: WAW] : e_grad_wr_addr[WAW*g +: WAW];
        // (UPDATE writes zero gradients, and every engine's write data is zero in UPDATE: a copy
        // takes its own engine's data, no mux after WGRAD's read-modify-write add, issue 16)
        assign grad_wr_data[32*g +: 32] = e_grad_wr_data[32*g +: 32];
        assign bgrad_rd_en[g] = is_update ? e_bgrad_rd_en[0] : e_bgrad_rd_en[g];
        assign bgrad_rd_addr[BAW*g +: BAW] = is_update ? e_bgrad_rd_addr[0 +: BAW] : e_bgrad_rd_addr[BAW*g +: BAW];
        assign bgrad_wr_en[g] = is_update ? e_bgrad_wr_en[0] : e_bgrad_wr_en[g];
        assign bgrad_wr_addr[BAW*g +: BAW] = is_update ? e_bgrad_wr_addr[0 +: BAW] : e_bgrad_wr_addr[BAW*g +: BAW];
        assign bgrad_wr_data[32*g +: 32] = e_bgrad_wr_data[32*g +: 32];
        // UPDATE: the gradients of an updating engine's item (engine k < UPD_BANKS, bank k)
        // come from the copy of the filter's owner (a port of their own: WGRAD's
        // read-modify-write reads the engine's copy with no mux, issue 16): engine 0's from
        // every copy's port 0, engine k's from every copy's bank-k port (grad_xrd_data); only
        // engine 0 has bias items that write (the bias memories have one port a copy)
        if (g < UB) begin : g_upd
            wire [ENGINES*32-1:0] src_g;    // this engine's gradient read data of every copy
            wire [LOG_E-1:0]      own = owner[LOG_E*g +: LOG_E];
            genvar gc;
            for (gc = 0; gc < ENGINES; gc = gc + 1) begin : g_src
                if (g == 0) begin : g_p0
                    assign src_g[32*gc +: 32] = grad_rd_data[32*gc +: 32];
                end else begin : g_px
                    assign src_g[32*gc +: 32] = grad_xrd_data[32*(XB*gc + ((g > 0) ? g - 1 : 0)) +: 32];
                end
            end
            if (OWN_SEL) begin : g_own2
                // two stages: each group of 2^OG_B copies selects by the owner's low bits into a
                // register, then the groups by its high bits (registered with them); uc_wb's U1
                // fields wait the cycle (OWN_SEL). Two 16:1 selects in place of one 256:1
                localparam NOG = (ENGINES + (1 << OG_B) - 1) >> OG_B;
                wire [NOG*32*(1 << OG_B)-1:0] g_pad = {{(NOG*32*(1 << OG_B)-ENGINES*32){1'b0}}, src_g};
                wire [NOG*32*(1 << OG_B)-1:0] b_pad = {{(NOG*32*(1 << OG_B)-ENGINES*32){1'b0}}, bgrad_rd_data};
                reg [NOG*32-1:0]    og_g_reg, og_b_reg;
                reg [LOG_E-OG_B-1:0] own_hi_reg;
                integer og;
                always @(posedge clk) begin
                    for (og = 0; og < NOG; og = og + 1) begin
                        og_g_reg[32*og +: 32] <= g_pad[32*((og << OG_B) + own[OG_B-1:0]) +: 32];
                        og_b_reg[32*og +: 32] <= b_pad[32*((og << OG_B) + own[OG_B-1:0]) +: 32];
                    end
                    own_hi_reg <= own[LOG_E-1:OG_B];
                end
                assign e_upd_grad_rd_data[32*g +: 32] = og_g_reg[32*own_hi_reg +: 32];
                // (engines k > 0: their bias items write nothing, the own copy's word will do)
                assign e_upd_bgrad_rd_data[32*g +: 32] = (g == 0) ? og_b_reg[32*own_hi_reg +: 32]
                                                                  : bgrad_rd_data[32*g +: 32];
            end else begin : g_own
                assign e_upd_grad_rd_data[32*g +: 32] = src_g[32*own +: 32];
                assign e_upd_bgrad_rd_data[32*g +: 32] = (g == 0) ? bgrad_rd_data[32*own +: 32]
                                                                  : bgrad_rd_data[32*g +: 32];
            end
        end else begin : g_mine
            assign e_upd_grad_rd_data[32*g +: 32] = grad_rd_data[32*g +: 32];
            assign e_upd_bgrad_rd_data[32*g +: 32] = bgrad_rd_data[32*g +: 32];
        end
        // banks 1 .. UPD_BANKS-1 of this copy: UPDATE engine k's weight write, gradient read and
        // gradient (zero) write, the same on every copy
        if (UB > 1) begin : g_xb
            genvar gk;
            for (gk = 1; gk < UB; gk = gk + 1) begin : g_k
                assign wgt_xwr_en[XB*g + gk-1] = e_wgt_wr_en[gk];
                assign wgt_xwr_addr[WAW*(XB*g + gk-1) +: WAW] = e_wgt_wr_addr[WAW*gk +: WAW];
                assign wgt_xwr_data[16*(XB*g + gk-1) +: 16] = e_wgt_wr_data[16*gk +: 16];
                assign grad_xrd_en[XB*g + gk-1] = is_update && e_grad_rd_en[gk];
                assign grad_xrd_addr[WAW*(XB*g + gk-1) +: WAW] = e_grad_rd_addr[WAW*gk +: WAW];
                assign grad_xwr_en[XB*g + gk-1] = is_update && e_grad_wr_en[gk];
                assign grad_xwr_addr[WAW*(XB*g + gk-1) +: WAW] = e_grad_wr_addr[WAW*gk +: WAW];
                assign grad_xwr_data[32*(XB*g + gk-1) +: 32] = e_grad_wr_data[32*gk +: 32];
            end
        end else begin : g_nxb
            assign wgt_xwr_en[g] = 1'b0;
            assign wgt_xwr_addr[WAW*g +: WAW] = {WAW{1'b0}};
            assign wgt_xwr_data[16*g +: 16] = 16'd0;
            assign grad_xrd_en[g] = 1'b0;
            assign grad_xrd_addr[WAW*g +: WAW] = {WAW{1'b0}};
            assign grad_xwr_en[g] = 1'b0;
            assign grad_xwr_addr[WAW*g +: WAW] = {WAW{1'b0}};
            assign grad_xwr_data[32*g +: 32] = 32'd0;
        end
    end
endgenerate

// ------------------------------------------------------------------------------ modules
uc_ctrl #(
`include "uc_param_conns.vh"
) u_ctrl (
`include "uc_cmd_conns.vh"
    .is_fwd(is_fwd), .is_bwd(is_bwd), .is_wgrad(is_wgrad), .is_update(is_update), .s2(s2),
    .h(h), .w(w), .ho(ho), .wo(wo), .flat(flat), .fh(fh), .fw(fw), .lw(lw),
    .rw_x(rw_x), .rw_y(rw_y), .plane_x(plane_x), .plane_y(plane_y),
    .ngrp(ngrp), .n_ptrs(n_ptrs), .ptr_base(ptr_base), .dil(dil), .pad(pad), .shift(shift), .relu(relu),
    .rmask(rmask), .m_delta(m_delta),
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
    .ptr_rd_en(scan_ptr_en), .ptr_rd_addr(scan_ptr_addr), .ptr_rd_data(ptr_rd_data[0 +: PTR_W]),
    .idx_rd_en(scan_idx_en), .idx_rd_addr(scan_idx_addr),
    .idx_kx(e_kx[0 +: K_W]), .idx_ky(e_ky[0 +: K_W]), .idx_ch(e_ch[0 +: 16]), .idx_waddr(e_waddr[0 +: WAW])
);

uc_lcache #(
    .LISTS(LISTS), .KEY_W(KEY_W)
) u_lcache (
    .clk(clk), .rst(rst),
    .list_wr(list_wr), .key(list_key), .hit(scan_skip),
    .scan_start(scan_start), .scan_ok(run_start && scanning && !is_update)
);

generate
    if (ENGINES == 1) begin : g_one
        // one engine: the whole command, started by uc_ctrl, writing the stack directly
        assign e_act = 1'b1;
        assign e_start = run_start;
        assign e_running = running;
        assign gen_done = e_done[0];
        assign pipe_busy = e_busy[0] || wq_busy;     // (wq_busy: 0, no queue)
        assign e_hold = 1'b0;
        assign e_n_ptrs = n_ptrs;
        assign e_ptr_base = ptr_base;
        assign e_bias_base = bias_base;
        assign e_x_base = x_base;
        assign e_y_base = y_base;
        assign e_og_base = 16'd0;
        assign owner = {UB*LOG_E{1'b0}};
        assign {wr_en, wr_we, wr_row, wr_x} = {e_fmb_wr_en[0], e_fmb_we[0], e_fmb_wr_row, e_fmb_wr_x};
        assign wr_data2 = {{LANES*16{1'b0}}, e_fmb_wdata};
        assign wr_mask2 = {{LANES{1'b0}}, e_fmb_wmask};
        assign wq_busy = 1'b0;
        assign {wq_nx_valid, wq_nx_row, wq_nx_x} = {1'b0, {FM_AW{1'b0}}, 16'd0};
    end else begin : g_array
        // the engines start START_LAT cycles after run_start; each runs until its last item
        // (an engine without a list does not start); gen_done when every one has finished.
        // Every signal that crosses the engines' boundary here is a register (issue 16: the OR of
        // 64 engines' combinational done into uc_ctrl's state was 7 LUT levels with the engine
        // synthesised on its own): the start (st_reg's next-to-last stage and e_act, uc_split's
        // fourth stage, are both registers by then), each engine's done (its generator waits in
        // G_DONE while its run flag clears a cycle late), the OR of the run flags, and the
        // engines' busy (registered in the engine, BUSY_REG) in groups of BUSY_G. gen_done comes
        // three cycles after the last item and pipe_busy two cycles late: the drain after the
        // last item hides the first, the second is two cycles more a command
        // (bench/array_model.py FIXED).
        localparam BUSY_G = 8;
        localparam NBG = (ENGINES + BUSY_G - 1) / BUSY_G;
        reg [START_LAT:0]   st_reg;         // one stage more than the start: any_run_reg's lag
        reg [ENGINES-1:0]   start_reg, done_reg, run_reg;
        reg                 any_run_reg;
        reg                 wait_reg;       // between run_start and the last engine's end
        reg [NBG-1:0]       busy_g_reg;
        reg                 wq_busy_reg;
        wire [ENGINES+BUSY_G*NBG-1:0] busy_ext = {{(BUSY_G*NBG){1'b0}}, e_busy};
        integer bg;
        assign e_start = start_reg;
        assign e_running = run_reg;
        assign gen_done = wait_reg && !(|st_reg) && !any_run_reg;
        always @(posedge clk) begin
            st_reg <= {st_reg[START_LAT-1:0], run_start};
            start_reg <= st_reg[START_LAT-2] ? e_act : {ENGINES{1'b0}};
            done_reg <= e_done & run_reg;
            run_reg <= (run_reg & ~done_reg) | start_reg;
            any_run_reg <= |run_reg;
            wait_reg <= (wait_reg && !gen_done) || run_start;
            for (bg = 0; bg < NBG; bg = bg + 1) begin
                busy_g_reg[bg] <= |busy_ext[bg*BUSY_G +: BUSY_G];
            end
            wq_busy_reg <= wq_busy;
            if (rst) begin
                st_reg <= {(START_LAT+1){1'b0}};
                start_reg <= {ENGINES{1'b0}};
                done_reg <= {ENGINES{1'b0}};
                run_reg <= {ENGINES{1'b0}};
                any_run_reg <= 1'b0;
                wait_reg <= 1'b0;
                busy_g_reg <= {NBG{1'b0}};
                wq_busy_reg <= 1'b0;
            end
        end
        // late (the engines' busy two cycles, the queues' one: a write that leaves an engine is
        // in its queue the next cycle, so no cycle is missed): during S_DRAIN nothing enters the
        // engines, so busy only falls
        assign pipe_busy = (|busy_g_reg) || wq_busy_reg;
`ifdef ACCEL_ASSERTS
        // the registered start is the start it replaces: e_act holds over the stage it skips
        always @(posedge clk) begin
            if (!rst) begin
                assert (start_reg == (st_reg[START_LAT-1] ? e_act : {ENGINES{1'b0}}))
                    else $error("uc_unit: the registered engine start differs from st_reg and e_act");
            end
        end
`endif

        uc_split #(
            .ENGINES(ENGINES), .UPD_BANKS(UB), .FM_AW(FM_AW), .PAW(PAW), .BAW(BAW)
        ) u_split (
            .clk(clk), .run_start(run_start), .is_bwd(is_bwd), .is_update(is_update),
            .split(is_bwd && s2), .c(c), .n(n), .ptr_base(ptr_base), .bias_base(bias_base),
            .x_base(x_base), .y_base(y_base), .plane_x(plane_x), .plane_y(plane_y),
            .e_act(e_act), .e_n_ptrs(e_n_ptrs), .e_ptr_base(e_ptr_base), .e_bias_base(e_bias_base),
            .e_x_base(e_x_base), .e_y_base(e_y_base), .e_og_base(e_og_base),
            .own_ch(e_i_og[0 +: 16*UB]), .own_start(e_start[0 +: UB]), .owner(owner)
        );

        // the engines' stack writes, queued; one a cycle to every copy, two adjacent writes of an
        // engine as one of 2*LANES lanes at stride 1 (uc_wq's pairs)
        uc_wq #(
            .ENGINES(ENGINES), .RW(FM_AW), .LANES(LANES), .DEPTH(32), .HOLD_AT(16)
        ) u_wq (
            .clk(clk), .rst(rst), .pair_ok(!(is_bwd && s2)),
            .s_valid(e_fmb_wr_en), .s_row(e_fmb_wr_row), .s_x(e_fmb_wr_x), .s_data(e_fmb_wdata),
            .s_mask(e_fmb_wmask), .hold(e_hold),
            .m_valid(wr_en), .m_row(wr_row), .m_x(wr_x), .m_data(wr_data2), .m_mask(wr_mask2),
            .busy(wq_busy), .nx_valid(wq_nx_valid), .nx_row(wq_nx_row), .nx_x(wq_nx_x)
        );
        assign wr_we = wr_en;
    end
endgenerate

generate
    for (g = 0; g < ENGINES; g = g + 1) begin : g_eng
        uc_engine #(
            .K_W(K_W), .C_W(C_W), .N_W(N_W), .BUSY_REG(ENGINES > 1 ? 1 : 0), .OWN_SEL(OWN_SEL),
            .UPD_K(g), .UPD_LB((UB > 1) ? $clog2(UB) : 0),
            .LANES(LANES), .KMAX(KMAX), .FM_AW(FM_AW), .WAW(WAW), .PAW(PAW), .BAW(BAW)
        ) u_eng (
            .clk(clk), .rst(rst),
            .is_fwd(is_fwd), .is_bwd(is_bwd), .is_wgrad(is_wgrad), .is_update(is_update), .s2(s2),
            .h(h), .w(w), .ho(ho), .wo(wo), .rw_x(rw_x), .rw_y(rw_y), .x_base(x_base), .y_base(y_base),
            .flat(flat), .fh(fh), .fw(fw), .lw(lw),
            .dil(dil), .pad(pad), .shift(shift), .relu(relu), .bgrad(bgrad), .gacc(gacc),
            .rmask(rmask), .m_delta(m_delta),
            .plane_x(plane_x), .plane_y(plane_y), .ngrp(ngrp), .bias_base(bias_base),
            .lr_mult(lr_mult), .lr_shift(lr_shift), .lr_mult_b(lr_mult_b), .lr_shift_b(lr_shift_b),
            .run_start(e_start[g]), .running(e_running[g]), .hold(e_hold[g]), .done(e_done[g]),
            .busy(e_busy[g]),
            .e_n_ptrs(e_n_ptrs[16*g +: 16]), .e_ptr_base(e_ptr_base[PAW*g +: PAW]),
            .e_bias_base(e_bias_base[32*g +: 32]), .e_x_base(e_x_base[32*g +: 32]),
            .e_y_base(e_y_base[32*g +: 32]), .e_og_base(e_og_base[16*g +: 16]), .i_og(e_i_og[16*g +: 16]),
            .ptr_rd_en(e_ptr_en[g]), .ptr_rd_addr(e_ptr_addr[PAW*g +: PAW]),
            .ptr_rd_data(ptr_rd_data[PTR_W*g +: PTR_W]),
            .fidx_rd_en(e_fidx_en[g]), .bidx_rd_en(e_bidx_en[g]), .idx_rd_addr(e_idx_addr[WAW*g +: WAW]),
            .fidx_rd_data(fidx_rd_data[FIDX_W*g +: FIDX_W]), .bidx_rd_data(bidx_rd_data[BIDX_W*g +: BIDX_W]),
            .idx_kx(e_kx[K_W*g +: K_W]), .idx_ky(e_ky[K_W*g +: K_W]), .idx_ch(e_ch[16*g +: 16]),
            .idx_waddr(e_waddr[WAW*g +: WAW]),
            .fma_req(m_fma_req[FMA_REQ_W*g +: FMA_REQ_W]), .fma_rdata(fma_rdata[LANES*16*g +: LANES*16]),
            .fmb_rd_en(e_fmb_rd_en[g]), .fmb_rd_row(e_fmb_rd_row[FM_AW*g +: FM_AW]),
            .fmb_rd_x(e_fmb_rd_x[16*g +: 16]), .fmb_rdata(fmb_rdata[LANES*16*g +: LANES*16]),
            .fmb_rd_nx_en(e_fmb_rd_nx_en[g]), .fmb_rd_nx_row(e_fmb_rd_nx_row[FM_AW*g +: FM_AW]),
            .fmb_rd_nx_x(e_fmb_rd_nx_x[16*g +: 16]),
            .fmb_wr_en(e_fmb_wr_en[g]), .fmb_we(e_fmb_we[g]), .fmb_wr_row(e_fmb_wr_row[FM_AW*g +: FM_AW]),
            .fmb_wr_x(e_fmb_wr_x[16*g +: 16]), .fmb_wdata(e_fmb_wdata[LANES*16*g +: LANES*16]),
            .fmb_wmask(e_fmb_wmask[LANES*g +: LANES]),
            .wgt_rd_en(wgt_rd_en[g]), .wgt_rd_addr(wgt_rd_addr[WAW*g +: WAW]), .wgt_rd_data(wgt_rd_data[16*g +: 16]),
            .wgt_wr_en(e_wgt_wr_en[g]), .wgt_wr_addr(e_wgt_wr_addr[WAW*g +: WAW]), .wgt_wr_data(e_wgt_wr_data[16*g +: 16]),
            .grad_rd_en(e_grad_rd_en[g]), .grad_rd_addr(e_grad_rd_addr[WAW*g +: WAW]),
            .grad_rd_data(grad_rd_data[32*g +: 32]), .upd_grad_rd_data(e_upd_grad_rd_data[32*g +: 32]),
            .grad_wr_en(e_grad_wr_en[g]), .grad_wr_addr(e_grad_wr_addr[WAW*g +: WAW]),
            .grad_wr_data(e_grad_wr_data[32*g +: 32]),
            .bias_rd_en(bias_rd_en[g]), .bias_rd_addr(bias_rd_addr[BAW*g +: BAW]), .bias_rd_data(bias_rd_data[32*g +: 32]),
            .bias_wr_en(e_bias_wr_en[g]), .bias_wr_addr(e_bias_wr_addr[BAW*g +: BAW]),
            .bias_wr_data(e_bias_wr_data[32*g +: 32]),
            .bgrad_rd_en(e_bgrad_rd_en[g]), .bgrad_rd_addr(e_bgrad_rd_addr[BAW*g +: BAW]),
            .bgrad_rd_data(bgrad_rd_data[32*g +: 32]), .upd_bgrad_rd_data(e_upd_bgrad_rd_data[32*g +: 32]),
            .bgrad_wr_en(e_bgrad_wr_en[g]), .bgrad_wr_addr(e_bgrad_wr_addr[BAW*g +: BAW]),
            .bgrad_wr_data(e_bgrad_wr_data[32*g +: 32])
        );
    end
endgenerate

`undef ACCEL_DEFS_VH
`undef MEM_DEFS_VH
endmodule

`resetall
