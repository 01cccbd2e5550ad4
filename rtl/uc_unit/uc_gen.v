/*
 * UC unit item generator: walks the layer's pointer table and lists and emits one pipeline item
 * a cycle (stage I of uc_unit's pipeline, docs/uc_unit.md "Pipeline and cycle count").
 *
 * The outer loop runs over the list's channels (n in FWD, WGRAD, UPDATE; c in BWD_DATA). For a
 * channel it reads the pointer (and in FWD the bias: G_FETCH), loads it (G_LOAD), then emits its
 * items (G_EMIT):
 *   FWD / BWD_DATA  for every output row and lane vector, every non-zero of the channel
 *   BWD_DATA, stride 2: the list is split by parity (pointer 4c+q, docs/sparse-format.md), and
 *                   list 4c+q runs only over the rows and lane vectors of its parity class
 *                   (every other row from y0, every other vector from px), where all of its
 *                   entries reach a pixel
 *   WGRAD           for every non-zero, every output row and lane vector (a pseudo item for an
 *                   empty filter when the bias gradient is on)
 *   UPDATE          every weight of the channel, then the channel's bias (UPD_LB > 0: the weights
 *                   of bank UPD_K only, every 2^UPD_LB-th address)
 * While a channel's first item leaves, the next channel's pointer (and bias) is read, so channels
 * follow without a bubble.
 *
 * Parameters: UPD_K, UPD_LB (below) and rtl/common/uc_pipe_params.vh (LANES, KMAX, FM_AW, WAW,
 * PAW, BAW; KMAX not used here).
 *
 * Latency: run_start loads the first channel's pointer read (G_FETCH), one cycle later its data
 * (G_LOAD), then one item a cycle; done is high while the last item of the command is emitted.
 */

`resetall
`timescale 1ns / 1ps
`default_nettype none

module uc_gen #
(
// UPDATE on 2^UPD_LB engines: this one (index UPD_K) emits the weights of bank UPD_K only (address
// mod 2^UPD_LB) and every bias item; UPD_LB = 0: every weight
parameter UPD_K = 0,
parameter UPD_LB = 0,
// the pipeline's parameters; KMAX unused here
/* verilator lint_off UNUSEDPARAM */
`include "uc_pipe_params.vh"
/* verilator lint_on UNUSEDPARAM */
)
(
    input  wire                 clk,
    input  wire                 rst,

    // command (uc_ctrl)
    input  wire                 run_start,      // load the first channel at this edge
    input  wire                 running,
    input  wire                 hold,           // emit no item this cycle (the engine's write queue is full)
    output wire                 done,           // the command's last item leaves now
    input  wire                 is_fwd,
`include "uc_geom_ports.vh"
    input  wire                 bgrad,
    // BWD_DATA with the ReLU backward (docs/uc_unit.md "ReLU backward in BWD_DATA"): every output
    // vector of a non-empty list starts with a mask item (j = -1, i_first and i_zero; uc_mac reads
    // the layer's input X there), so a vector takes count + 1 items
    input  wire                 rmask,
    input  wire                 pad_odd,        // pad[0]: the parity classes' first row / vector
    input  wire [31:0]          plane_x,        // stack words per X-side channel
    input  wire [31:0]          plane_y,
    input  wire [15:0]          ngrp,
    input  wire                 flat,           // a flat command: maps of one row of H*W pixels,
    input  wire [3:0]           lw,             // W = 2^lw (docs/uc_unit.md "Flat small maps")
    input  wire [15:0]          n_ptrs,
    input  wire [PAW-1:0]       ptr_base,       // pointer table of the list (low bits)
    input  wire [15:0]          og_base,        // channel of the first list (an engine's share, uc_split)
    /* verilator lint_off UNUSEDSIGNAL */
    input  wire [31:0]          bias_base,      // low BAW bits used (checked: the table fits)
    /* verilator lint_on UNUSEDSIGNAL */

    // pointer memory (and in FWD the bias memory): this channel's or, prefetched, the next one's
    output wire                 ptr_rd_en,
    output wire [PAW-1:0]       ptr_rd_addr,
    input  wire [PTR_W-1:0]     ptr_rd_data,
    output wire                 bias_rd_en,
    output wire [BAW-1:0]       bias_rd_addr,
    input  wire [31:0]          bias_rd_data,

    // item (pipeline stage I)
    output wire                 i_valid,
    output wire                 i_first,        // first item of an output vector / weight pass
    output wire                 i_last,         // last item of it: the result is complete
    output wire                 i_zero,         // FWD / BWD_DATA: empty channel, bias only
    output wire                 i_ones,         // WGRAD: pseudo entry; UPDATE: the bias item
    output wire                 i_bsum,         // WGRAD: also sum dY for the bias gradient
    output wire [WAW-1:0]       i_a,            // list entry (weight / index address)
    output wire [15:0]          i_og,           // outer-loop channel
    output wire [15:0]          i_y,            // output row
    output wire [15:0]          i_x0,           // first output column of the lane vector
    output wire [15:0]          i_xc,           // its input-side column: x0, or 0 for a flat
                                                // command (its vectors start a map row)
    output wire [FM_AW-1:0]     i_orow,         // stack word of the output row (WGRAD: dY row)
    output wire [31:0]          i_bias,         // FWD: the channel's bias
    output wire [LANES-1:0]     i_omask         // lanes inside the output row
);

localparam LOG_L = $clog2(LANES);
localparam integer LANES_I = LANES;
localparam [15:0] LANES_16 = LANES_I[15:0];
localparam CNT_W = WAW + 1;
localparam PTR_W = WAW + CNT_W;
localparam [CNT_W-1:0] CNT_1 = 1;
localparam [CNT_W-1:0] CNT_2 = 2;

// per-channel phases
localparam [1:0] G_FETCH = 2'd0,    // pointer (and bias) read issued
                 G_LOAD = 2'd1,     // pointer data arrives: load the channel
                 G_EMIT = 2'd2,     // one item a cycle
                 G_DONE = 2'd3;     // the last item has left: nothing more until run_start (an
                                    // engine array clears its run flag a cycle late, issue 16)

// ------------------------------------------------------------------------------ registers
reg [1:0]       phase_reg, phase_next;
reg [15:0]      og_reg, og_next;            // outer loop: n (FWD, WGRAD, UPDATE) or c (BWD_DATA)
reg [WAW-1:0]   start_reg, start_next;
reg [CNT_W-1:0] count_reg, count_next;
reg [CNT_W-1:0] j_reg, j_next;
reg [CNT_W-1:0] j1_reg, j1_next;            // j + 1, kept beside j (no adder after the item's decisions)
reg             bitem_reg, bitem_next;      // WGRAD: a bias pseudo entry (empty filter) is next
reg             first_reg, first_next;      // the next item is the first of this channel
reg             pref_pend_reg, pref_pend_next;   // next channel's pointer (and bias) read in flight
reg             pref_valid_reg, pref_valid_next; // next channel's pointer (and bias) held below
reg [WAW-1:0]   nstart_reg, nstart_next;
reg [CNT_W-1:0] ncount_reg, ncount_next;
reg [31:0]      nbias_reg, nbias_next;
reg [15:0]      y_reg, y_next, xg_reg, xg_next;
// a flat command: the map row of the current vector's first pixel (x0 / W), stepped with xg by
// LANES / W (fstep, 0 for a row-layout command), so that the item's row needs no shift of x0
// (issue 16: the shift put uc_mac's first stage at 6 LUT levels)
reg [15:0]      fr0_reg, fr0_next, fstep_reg, fstep_next;
reg [31:0]      orow_reg, orow_next;        // stack word of the output row (WGRAD: dY row)
// its step to the next row, registered from the command: rw_y (FWD, WGRAD), rw_x (BWD_DATA),
// 2 rw_x (split lists), so that the row add has no select in front (issue 16)
reg [16:0]      orow_inc_reg, orow_inc_next;
// obase + plane_y: the next filter's first row, kept beside obase (no add in front of the selects)
reg [31:0]      obase_pl_reg, obase_pl_next;
reg [31:0]      obase_reg, obase_next;      // WGRAD: stack word of this filter's first dY row
reg [31:0]      bias_reg, bias_next;
// the loops' last indices, registered from the command (stable from its checks on, long before the
// run): a loop end is one compare of a counter with a register
reg [15:0]      ny_m1_reg, ny_m1_next;      // rows - 1 (H in BWD_DATA, else Ho)
reg [15:0]      ngrp_m1_reg, ngrp_m1_next;  // lane vectors a row - 1
reg [15:0]      nptrs_m1_reg, nptrs_m1_next;    // pointers - 1
reg [15:0]      ny_m2_reg, ny_m2_next;      // rows - 2 (split lists: the other possible last row)
reg             h_one_reg, h_one_next;      // one row: a split list of odd rows has none
reg [15:0]      nptrs_m2_reg, nptrs_m2_next;    // pointers - 2: og + 1 is the last list
// the pointer (and bias) memory addresses of list og and og + 1, kept beside og so that the
// memories' address is a register and a select (not the command's base plus og: the ECP5
// critical path of issue 16, mode -> base select -> add -> pointer LUT RAM)
reg [PAW-1:0]   pa_reg, pa_next, pa1_reg, pa1_next, pbase1_reg, pbase1_next;
reg [BAW-1:0]   ba_reg, ba_next, ba1_reg, ba1_next, bbase1_reg, bbase1_next;
reg             last_og_reg, last_og_next;  // og is the last list
// the loop ends as flags beside their counters (issue 16: a counter's compare, the end test and the
// next-state select were 6 LUT levels): a flag moves with its counter, by the same steps, and is
// set from a compare of the counter's present value with a register of the command (ACCEL_ASSERTS
// checks each against the compare it replaces)
reg             lj_reg, lj_next;            // j is the channel's last entry, or it has none
reg             jc_reg, jc_next;            // j == count (UPDATE: the bias item)
reg             cz_reg, cz_next;            // count == 0
reg             cle1_reg, cle1_next;        // a vector's first item is its last: count <= 1
                                            // (count == 0 with the mask item, rmask)
// where j restarts for every vector: 0, or -1 (all ones) with the mask item; and j + 1 there
reg [CNT_W-1:0] j0_reg, j10_reg;
reg             jf_reg, jf_next;            // j == j0: the vector's first item is next
reg [CNT_W-1:0] cm2_reg, cm2_next;          // count - 2
reg             ncz_reg, ncz_next, ncle1_reg, ncle1_next;   // the same of the prefetched count
reg [CNT_W-1:0] ncm2_reg, ncm2_next;
reg             lxg_reg, lxg_next;          // xg is the row's last lane vector
reg             ly_reg, ly_next;            // y is the last row
reg [15:0]      ngrp_m2_reg, ngrp_m2_next;  // lane vectors a row - 2
reg [14:0]      ngh_m2_reg, ngh_m2_next;    // split: (ngrp - 1) / 2 - 1
reg             xg0l_reg, xg0l_next;        // a row's first vector is its last
reg [15:0]      ny_m3_reg, ny_m3_next, ny_m4_reg, ny_m4_next;   // rows - 3, rows - 4
reg             y0l_reg, y0l_next, y1l_reg, y1l_next;   // row 0 / row 1 is the last
// lanes inside the output row: x0 < lim(l) = wo - l (BWD_DATA: w - s*l), 17-bit signed, so that
// the mask is one compare of x0 (no add)
reg [17*LANES-1:0] lim_reg, lim_next;
// split lists (BWD_DATA, stride 2): dX rows 0 and 1 of this channel and of the next one
reg [31:0]      cb0_reg, cb0_next, cb1_reg, cb1_next, nb0_reg, nb0_next, nb1_reg, nb1_next;
reg [31:0]      xb1_reg, xb1_next, xbp_reg, xbp_next, xbp1_reg, xbp1_next;  // x_base + rw_x, + plane_x

reg             i_valid_reg, i_valid_next;
reg             i_first_reg, i_first_next, i_last_reg, i_last_next, i_zero_reg, i_zero_next;
reg             i_ones_reg, i_ones_next, i_bsum_reg, i_bsum_next;
reg [WAW-1:0]   i_a_reg, i_a_next;
reg [15:0]      i_og_reg, i_og_next, i_y_reg, i_y_next, i_x0_reg, i_x0_next;
reg [15:0]      i_xc_reg, i_xc_next;
reg [FM_AW-1:0] i_orow_reg, i_orow_next;
reg [31:0]      i_bias_reg, i_bias_next;
reg [LANES-1:0] i_omask_reg, i_omask_next;

reg             done_int;
reg             load_ch;                    // load the channel ld_* at this edge
reg             og_inc;                     // og moves on to the next list at this edge
reg [LANES-1:0] omask;
// the next output row is the row add's sum (a select after the add, not the add inside the
// select tree of every case: issue 16, 5 LUT levels after the carry chain); the other row
// assignments are in branches exclusive of the add's, except a split list's load below
reg             orow_add;
wire [31:0]     orow_sum = orow_reg + {15'd0, orow_inc_reg};

assign i_valid = i_valid_reg;
assign i_first = i_first_reg;
assign i_last = i_last_reg;
assign i_zero = i_zero_reg;
assign i_ones = i_ones_reg;
assign i_bsum = i_bsum_reg;
assign i_a = i_a_reg;
assign i_og = i_og_reg;
assign i_y = i_y_reg;
assign i_x0 = i_x0_reg;
assign i_xc = i_xc_reg;
assign i_orow = i_orow_reg;
assign i_bias = i_bias_reg;
assign i_omask = i_omask_reg;
assign done = done_int;

wire [WAW-1:0]   ptr_start = ptr_rd_data[WAW-1:0];
wire [CNT_W-1:0] ptr_count = ptr_rd_data[PTR_W-1:WAW];
// UPDATE on banks (UPD_LB > 0): this engine's share of the list's weights a..a+count-1, those of
// bank UPD_K: from a + off (off = (UPD_K - a) mod B), every B-th, ceil((count - off) / B) of them
// = (count + B-1-off) >> UPD_LB (0 when count <= off); its items step j by B (i_a below). The
// share's adds stay off the pointer's direct path into the load decision (issue 16: they made
// uc_gen 7 LUT levels deep at 8 x 4 with 8 banks): with banks an UPDATE's pointer is always
// loaded from the prefetch registers (reg_q below)
wire [WAW-1:0]   u_start;
wire [CNT_W-1:0] u_count;
wire             u_cz, u_cle1;      // UPDATE's share is 0, is at most 1
generate
    if (UPD_LB > 0) begin : g_ubank
        localparam integer KI = UPD_K % (1 << UPD_LB);    // (engines >= B: never run UPDATE)
        localparam [UPD_LB-1:0] KB = KI[UPD_LB-1:0];
        wire [UPD_LB-1:0] off = KB - ptr_start[UPD_LB-1:0];
        wire [UPD_LB-1:0] rnd = ~off;       // B-1-off
        /* verilator lint_off UNUSEDSIGNAL */
        wire [CNT_W-1:0] cnt_r = ptr_count + {{(CNT_W-UPD_LB){1'b0}}, rnd};
        /* verilator lint_on UNUSEDSIGNAL */
        assign u_start = is_update ? ptr_start + {{(WAW-UPD_LB){1'b0}}, off} : ptr_start;
        assign u_count = is_update ? {{UPD_LB{1'b0}}, cnt_r[CNT_W-1:UPD_LB]} : ptr_count;
        // its flags as compares of the count, not after the add: share 0 <=> count <= off,
        // share <= 1 <=> count <= off + B
        assign u_cz = (ptr_count[CNT_W-1:UPD_LB] == {(CNT_W-UPD_LB){1'b0}}) &&
                      (ptr_count[UPD_LB-1:0] <= off);
        assign u_cle1 = (ptr_count[CNT_W-1:UPD_LB+1] == {(CNT_W-UPD_LB-1){1'b0}}) &&
                        (ptr_count[UPD_LB:0] <= {1'b1, off});
    end else begin : g_uall
        assign u_start = ptr_start;
        assign u_count = ptr_count;
        assign u_cz = (ptr_count == {CNT_W{1'b0}});
        assign u_cle1 = (ptr_count[CNT_W-1:1] == {(CNT_W-1){1'b0}});
    end
endgenerate
// an UPDATE on banks
localparam [0:0] UPD_REG = (UPD_LB > 0);
wire upd_q = UPD_REG && is_update;
// flags of the command: wnob_reg = WGRAD without the bias gradient, sh1_reg = a split list of one row
reg  wnob_reg, sh1_reg;
// pointers only through the prefetch registers: an UPDATE on banks (its share's adds) and a
// WGRAD without the bias gradient (its empty-filter skip would decide on the pointer's read data:
// issue 16, the ECP5's critical path ran from the pointer RAM through that decision into the
// generator's enables); a cycle more at the start, after a list of one or two items and for
// each skipped filter
wire reg_q = upd_q || wnob_reg;
reg  uw_reg, uw_next;       // reg_q: G_LOAD waits a cycle for the pointer landing in it

wire [15:0] ny = is_bwd ? h : ho;
// BWD_DATA at stride 2: the backward list is split by parity, list og = 4c + q
wire split = is_bwd && s2;
// last_j = (count == 0) || (j == count - 1)
wire last_j = lj_reg;
// split: vectors of one parity (ngrp is even: the last is ngrp - 2 or ngrp - 1, same upper bits):
// last_xg = split ? (xg[15:1] == (ngrp - 1)[15:1]) : (xg == ngrp - 1)
wire last_xg = lxg_reg;
// split: every other row (the last is h - 1 or h - 2): last_y = (y == ny - 1) || (split && y == ny - 2)
wire last_y = ly_reg;
wire last_og = last_og_reg;
// the flags after a step of their counter by one: j + 1, xg + 1, y + 1
wire lj_inc = cz_reg || (j_reg == cm2_reg);
wire jc_inc = lj_reg && !cz_reg;
wire lxg_inc = (xg_reg == ngrp_m2_reg);
wire ly_inc = (y_reg == ny_m2_reg);
// the item leaving now is the last one of this channel
// (bitem is set only in WGRAD: one LUT of six registers, not a select of two trees)
wire end_og = is_update ? jc_reg : (last_xg && last_y && (last_j || bitem_reg));
// prefetch the next channel's pointer (and bias) while this channel's first item goes out
wire pref_issue = running && phase_reg == G_EMIT && first_reg && !last_og && !hold;
// next channel's pointer and bias: held, or arriving this cycle
wire [31:0]      nbias = pref_valid_reg ? nbias_reg : bias_rd_data;
// the channel to load: the pointer just read (G_LOAD) or the prefetched one (from G_EMIT, so
// channels follow without a bubble); reg_q: always the prefetched one
wire ld_from_ptr = !reg_q && ((phase_reg == G_LOAD) || !pref_valid_reg);
wire [WAW-1:0]   ld_start = ld_from_ptr ? ptr_start : nstart_reg;
wire [CNT_W-1:0] ld_count = ld_from_ptr ? ptr_count : ncount_reg;
// its flags: the pointer's compared at once, the prefetched one's kept beside it
wire ptr_cz = (ptr_count == {CNT_W{1'b0}});
wire ptr_cle1 = rmask ? ptr_cz : (ptr_count[CNT_W-1:1] == {(CNT_W-1){1'b0}});
wire [CNT_W-1:0] ptr_cm2 = ptr_count - CNT_2;
wire ld_cz = ld_from_ptr ? ptr_cz : ncz_reg;
wire ld_cle1 = ld_from_ptr ? ptr_cle1 : ncle1_reg;
wire [31:0]      ld_bias = (phase_reg == G_LOAD) ? bias_rd_data : nbias;
// parity class of the list to load (split): its first row y0 and vector parity px
wire [1:0] ld_q = (phase_reg == G_LOAD) ? og_reg[1:0] : og_reg[1:0] + 2'd1;
wire ld_y0 = ld_q[1] ^ pad_odd;
wire ld_px = ld_q[0] ^ pad_odd;
// WGRAD without the bias gradient: an empty filter produces nothing (skipped); split: a list of
// odd rows when there is only one row has no pixel (skipped)
// (from registers: wnob_reg, sh1_reg, and the prefetched count's flags ncz_reg / nemp_reg, reg_q
// never loading from the read data; in G_LOAD the list og, from G_EMIT og + 1, whose row parity
// is og[1] ^ og[0]: issue 16, the select of ld_q and ld_cz in front of it were a LUT level more
// before load_ch)
// from G_EMIT, flags kept in registers (issue 16: og_reg and ncz_reg were 5-6 LUT levels from
// j_reg at 16 engines): nemp_reg = wnob && the prefetched count is 0 (set as it lands, beside
// ncz_reg); q1_reg = bit 1 of og + 1, stepped with og (og + 2 flips bit 1 of og + 1)
reg  nemp_reg, nemp_next, q1_reg, q1_next;
wire ld_empty_load = (wnob_reg && ncz_reg) || (sh1_reg && (og_reg[1] ^ pad_odd));
wire ld_empty_emit = (pref_valid_reg && nemp_reg) ||
                     (sh1_reg && (q1_reg ^ pad_odd));
// first output column of the lane vector (BWD_DATA stride 2: every other pixel, by parity)
wire [15:0] x0 = (is_bwd && s2) ? (((xg_reg >> 1) << (LOG_L + 1)) | {15'd0, xg_reg[0]})
                                : (xg_reg << LOG_L);

assign ptr_rd_en = (running && phase_reg == G_FETCH) || pref_issue;
assign ptr_rd_addr = pref_issue ? pa1_reg : pa_reg;
assign bias_rd_en = is_fwd && ((running && phase_reg == G_FETCH) || pref_issue);
assign bias_rd_addr = pref_issue ? ba1_reg : ba_reg;

// the item's offset in the list: j, or in UPDATE on banks j * B (every B-th weight)
/* verilator lint_off UNUSEDSIGNAL */
wire [CNT_W+UPD_LB-1:0] j_sh = {{UPD_LB{1'b0}}, j_reg} << UPD_LB;
/* verilator lint_on UNUSEDSIGNAL */
wire [WAW-1:0] j_step = (UPD_LB > 0 && is_update) ? j_sh[WAW-1:0] : j_reg[WAW-1:0];

// ------------------------------------------------------------------------ next state
integer l;
always @* begin
    phase_next = phase_reg;
    og_next = og_reg;
    start_next = start_reg;
    count_next = count_reg;
    j_next = j_reg;
    j1_next = j1_reg;
    jf_next = jf_reg;
    bitem_next = bitem_reg;
    first_next = first_reg;
    pref_pend_next = pref_pend_reg;
    pref_valid_next = pref_valid_reg;
    uw_next = uw_reg;
    nstart_next = nstart_reg;
    ncount_next = ncount_reg;
    ny_m1_next = ny - 1'b1;
    ngrp_m1_next = ngrp - 1'b1;
    nptrs_m1_next = n_ptrs - 1'b1;
    ny_m2_next = ny - 16'd2;
    nptrs_m2_next = n_ptrs - 16'd2;
    pbase1_next = ptr_base + 1'b1;
    bbase1_next = bias_base[BAW-1:0] + 1'b1;
    pa_next = pa_reg;
    pa1_next = pa1_reg;
    ba_next = ba_reg;
    ba1_next = ba1_reg;
    last_og_next = last_og_reg;
    lj_next = lj_reg;
    jc_next = jc_reg;
    cz_next = cz_reg;
    cle1_next = cle1_reg;
    cm2_next = cm2_reg;
    ncz_next = ncz_reg;
    nemp_next = nemp_reg;
    q1_next = q1_reg;
    ncle1_next = ncle1_reg;
    ncm2_next = ncm2_reg;
    lxg_next = lxg_reg;
    ly_next = ly_reg;
    ngrp_m2_next = ngrp - 16'd2;
    ngh_m2_next = ngrp_m1_reg[15:1] - 15'd1;
    xg0l_next = split ? (ngrp_m1_reg[15:1] == 15'd0) : (ngrp_m1_reg == 16'd0);
    ny_m3_next = ny - 16'd3;
    ny_m4_next = ny - 16'd4;
    y0l_next = (ny_m1_reg == 16'd0) || (split && ny_m2_reg == 16'd0);
    y1l_next = (ny_m1_reg == 16'd1) || (split && ny_m2_reg == 16'd1);
    h_one_next = (h == 16'd1);
    xb1_next = x_base + {16'd0, rw_x};
    xbp_next = x_base + plane_x;
    xbp1_next = xbp_reg + {16'd0, rw_x};
    cb0_next = cb0_reg;
    cb1_next = cb1_reg;
    nb0_next = nb0_reg;
    nb1_next = nb1_reg;
    nbias_next = nbias_reg;
    y_next = y_reg;
    xg_next = xg_reg;
    fr0_next = fr0_reg;
    fstep_next = flat ? (LANES_16 >> lw) : 16'd0;
    orow_next = orow_reg;
    orow_add = 1'b0;
    orow_inc_next = split ? {rw_x, 1'b0} : {1'b0, is_bwd ? rw_x : rw_y};
    obase_pl_next = obase_pl_reg;
    obase_next = obase_reg;
    bias_next = bias_reg;
    i_valid_next = 1'b0;
    i_first_next = i_first_reg;
    i_last_next = i_last_reg;
    i_zero_next = i_zero_reg;
    i_ones_next = i_ones_reg;
    i_bsum_next = i_bsum_reg;
    i_a_next = i_a_reg;
    i_og_next = i_og_reg;
    i_y_next = i_y_reg;
    i_x0_next = i_x0_reg;
    i_xc_next = i_xc_reg;
    i_orow_next = i_orow_reg;
    i_bias_next = i_bias_reg;
    i_omask_next = i_omask_reg;
    done_int = 1'b0;
    load_ch = 1'b0;
    og_inc = 1'b0;

    // lanes inside the output row: x0 + s*l < w (BWD_DATA), x0 + l < wo, as x0 < lim(l)
    for (l = 0; l < LANES; l = l + 1) begin
        /* verilator lint_off WIDTH */
        // stride as a choice of two constants, not a multiply: Yosys kept (s2 ? 2 : 1) * l as
        // one multiplier per lane in the flattened top
        lim_next[17*l +: 17] = is_bwd ? ({1'b0, w} - (s2 ? 17'd2 * l : 17'd1 * l))
                                      : ({1'b0, wo} - l);
        /* verilator lint_on WIDTH */
        omask[l] = $signed({1'b0, x0}) < $signed(lim_reg[17*l +: 17]);
    end

    if (run_start) begin
        phase_next = G_FETCH;
        og_next = 16'd0;
        q1_next = 1'b0;
        // the item channel restarts at the first one (uc_split steps UPDATE's owner from it)
        i_og_next = og_base;
        pref_pend_next = 1'b0;
        pref_valid_next = 1'b0;
        uw_next = 1'b0;
        // UPDATE has no map: its x_base / y_base fields are not checked, so nothing takes them
        if (!is_update) begin
            orow_next = is_bwd ? x_base : y_base;
            obase_next = y_base;
            obase_pl_next = y_base + plane_y;
            cb0_next = x_base;
            cb1_next = xb1_reg;
            nb0_next = xbp_reg;
            nb1_next = xbp1_reg;
        end
        pa_next = ptr_base;
        pa1_next = pbase1_reg;
        ba_next = bias_base[BAW-1:0];
        ba1_next = bbase1_reg;
        last_og_next = (nptrs_m1_reg == 16'd0);
    end

    if (running) begin
        // prefetched pointer (and bias) of the next channel arrives one cycle after its read
        if (pref_pend_reg) begin
            pref_pend_next = 1'b0;
            pref_valid_next = 1'b1;
            // (an UPDATE on banks: this engine's share; rmask is never set in UPDATE)
            nstart_next = u_start;
            ncount_next = u_count;
            ncz_next = upd_q ? u_cz : ptr_cz;
            nemp_next = wnob_reg && ptr_cz;
            ncle1_next = upd_q ? u_cle1 : ptr_cle1;
            ncm2_next = upd_q ? u_count - CNT_2 : ptr_cm2;
            nbias_next = bias_rd_data;
        end
        case (phase_reg)
        G_FETCH: begin
            phase_next = G_LOAD;
            if (reg_q) begin
                // the pointer lands in the next cycle: into the prefetch registers, loaded after
                pref_pend_next = 1'b1;
                uw_next = 1'b1;
            end
        end
        G_LOAD: if (uw_reg) begin
            uw_next = 1'b0;
        end else begin
            load_ch = 1'b1;
            // (reg_q loads the prefetch registers: taken)
            if (reg_q) begin
                pref_valid_next = 1'b0;
            end
            // (j restarts here and at a channel's end in G_EMIT, not under load_ch: issue 16,
            // the load decision in front of j_reg was a fifth LUT level at 16 engines)
            j_next = j0_reg;
            jf_next = 1'b1;
            j1_next = j10_reg;
            if (ld_empty_load) begin
                // nothing to produce for this filter
                if (last_og) begin
                    done_int = 1'b1;
                    phase_next = G_DONE;
                end else begin
                    og_next = og_reg + 1'b1;
                    og_inc = 1'b1;
                    obase_next = obase_pl_reg;
                    obase_pl_next = obase_pl_reg + plane_y;
                    orow_next = obase_pl_reg;
                    phase_next = G_FETCH;
                end
            end else begin
                phase_next = G_EMIT;
            end
        end
        G_EMIT: if (!hold) begin
            // (held: nothing moves; a prefetched pointer still lands above)
            first_next = 1'b0;
            if (pref_issue) begin
                pref_pend_next = 1'b1;
            end
            i_valid_next = 1'b1;
            i_a_next = start_reg + j_step;
            i_og_next = (split ? {2'd0, og_reg[15:2]} : og_reg) + og_base;
            // (a flat command walks one row, y = 0: its item row is the vector's map row; a
            // row-layout command's fr0 stays 0)
            i_y_next = y_reg | fr0_reg;
            i_x0_next = x0;
            i_xc_next = flat ? 16'd0 : x0;
            i_orow_next = orow_reg[FM_AW-1:0];
            i_omask_next = omask;
            i_bias_next = bias_reg;
            i_zero_next = 1'b0;
            i_ones_next = 1'b0;
            i_bsum_next = 1'b0;
            if (is_update) begin
                // weights j = 0..count-1, then this channel's bias
                i_ones_next = jc_reg;
                i_first_next = 1'b1;
                i_last_next = 1'b1;
                j_next = j1_reg;
                jf_next = 1'b0;
                j1_next = j1_reg + 1'b1;
                lj_next = lj_inc;
                jc_next = jc_inc;
            end else if (is_wgrad) begin
                // one weight over every output pixel vector; the first weight of a filter (or a
                // pseudo entry for an empty one) also sums dY for the bias gradient
                i_ones_next = bitem_reg;
                i_bsum_next = bgrad && (bitem_reg || j_reg == 0);
                i_first_next = (y_reg == 0) && (xg_reg == 0);
                i_last_next = last_y && last_xg;
                if (!last_xg) begin
                    xg_next = xg_reg + 1'b1;
                        fr0_next = fr0_reg + fstep_reg;
                    lxg_next = lxg_inc;
                end else begin
                    xg_next = 16'd0;
                        fr0_next = 16'd0;
                    lxg_next = xg0l_reg;
                    if (!last_y) begin
                        y_next = y_reg + 1'b1;
                        ly_next = ly_inc;
                        orow_add = 1'b1;
                    end else begin
                        y_next = 16'd0;
                        ly_next = y0l_reg;
                        j_next = j1_reg;
                        jf_next = 1'b0;
                        j1_next = j1_reg + 1'b1;
                        lj_next = lj_inc;
                        jc_next = jc_inc;
                        orow_next = obase_reg;
                    end
                end
            end else begin
                // FWD / BWD_DATA: every non-zero of the channel for one output vector (after its
                // mask item, rmask: no weight, i_zero)
                i_zero_next = cz_reg || (rmask && jf_reg);
                i_first_next = jf_reg;
                i_last_next = last_j;
                if (!last_j) begin
                    j_next = j1_reg;
                    jf_next = 1'b0;
                    j1_next = j1_reg + 1'b1;
                    lj_next = lj_inc;
                    jc_next = jc_inc;
                end else begin
                    j_next = j0_reg;
                    jf_next = 1'b1;
                    j1_next = j10_reg;
                    lj_next = cle1_reg;
                    jc_next = cz_reg;
                    if (split) begin
                        // every other vector and row (the list's end reloads all three)
                        if (!last_xg) begin
                            xg_next = xg_reg + 16'd2;
                            lxg_next = (xg_reg[15:1] == ngh_m2_reg);
                        end else begin
                            xg_next = {15'd0, xg_reg[0]};
                            lxg_next = xg0l_reg;
                            orow_add = 1'b1;
                            y_next = y_reg + 16'd2;
                            ly_next = (y_reg == ny_m3_reg) || (y_reg == ny_m4_reg);
                        end
                    end else if (!last_xg) begin
                        xg_next = xg_reg + 1'b1;
                        fr0_next = fr0_reg + fstep_reg;
                        lxg_next = lxg_inc;
                    end else begin
                        xg_next = 16'd0;
                        fr0_next = 16'd0;
                        lxg_next = xg0l_reg;
                        orow_add = 1'b1;
                        if (!last_y) begin
                            y_next = y_reg + 1'b1;
                            ly_next = ly_inc;
                        end else begin
                            y_next = 16'd0;
                            ly_next = y0l_reg;
                        end
                    end
                end
            end
            if (end_og) begin
                // j restarts whatever follows: the next channel now (load_ch, which also sets
                // lj / jc from its count), or in G_LOAD, or the command ends
                j_next = j0_reg;
                jf_next = 1'b1;
                j1_next = j10_reg;
                lj_next = cle1_reg;
                jc_next = cz_reg;
                if (last_og) begin
                    done_int = 1'b1;
                    phase_next = G_DONE;
                end else begin
                    og_next = og_reg + 1'b1;
                    og_inc = 1'b1;
                    pref_pend_next = 1'b0;
                    pref_valid_next = 1'b0;
                    if (is_wgrad) begin
                        // next filter's dY plane (FWD / BWD_DATA rows just run on)
                        obase_next = obase_pl_reg;
                        obase_pl_next = obase_pl_reg + plane_y;
                        orow_next = obase_pl_reg;
                    end
                    if (pref_issue) begin
                        // the next pointer was asked for this very cycle: take it next cycle
                        // (reg_q: into the prefetch registers, loaded a cycle later)
                        phase_next = G_LOAD;
                        if (reg_q) begin
                            pref_pend_next = 1'b1;
                            uw_next = 1'b1;
                        end
                    end else if (reg_q && !pref_valid_reg) begin
                        // reg_q and the prefetched pointer lands now: loaded (or skipped) next cycle
                        phase_next = G_LOAD;
                        pref_valid_next = 1'b1;
                    end else if (ld_empty_emit) begin
                        // an empty filter produces nothing: G_FETCH / G_LOAD skip it
                        phase_next = G_FETCH;
                    end else begin
                        // go straight on with the prefetched pointer: no bubble between filters
                        load_ch = 1'b1;
                    end
                end
            end
        end
        default: begin
            // G_DONE: wait for the next run_start
        end
        endcase
        // the next list's addresses (and whether it is the last)
        if (og_inc) begin
            q1_next = ~og_reg[1];
            pa_next = pa1_reg;
            pa1_next = pa1_reg + 1'b1;
            ba_next = ba1_reg;
            ba1_next = ba1_reg + 1'b1;
            last_og_next = (og_reg == nptrs_m2_reg);
        end
        // split: the next channel's rows follow its four lists
        if (split && og_inc && og_reg[1:0] == 2'd3) begin
            cb0_next = nb0_reg;
            cb1_next = nb1_reg;
            nb0_next = nb0_reg + plane_x;
            nb1_next = nb1_reg + plane_x;
        end
        if (load_ch) begin
            start_next = ld_start;
            count_next = ld_count;
            cz_next = ld_cz;
            cle1_next = ld_cle1;
            cm2_next = ld_from_ptr ? ptr_cm2 : ncm2_reg;
            bias_next = is_fwd ? ld_bias : 32'd0;
            lj_next = ld_cle1;
            jc_next = ld_cz;
            y_next = 16'd0;
            ly_next = y0l_reg;
            xg_next = 16'd0;
            fr0_next = 16'd0;
            lxg_next = xg0l_reg;
            bitem_next = is_wgrad && bgrad && ld_cz;
            first_next = 1'b1;
            if (split) begin
                // first row and vector of the list's parity class, in this channel or the next
                y_next = {15'd0, ld_y0};
                ly_next = ld_y0 ? y1l_reg : y0l_reg;
                xg_next = {15'd0, ld_px};
                // (after a split row's add in the same cycle: the new list's row wins)
                orow_add = 1'b0;
                orow_next = (og_inc && og_reg[1:0] == 2'd3) ? (ld_y0 ? nb1_reg : nb0_reg)
                                                     : (ld_y0 ? cb1_reg : cb0_reg);
            end
        end
    end
    if (orow_add) begin
        orow_next = orow_sum;
    end
end

// ------------------------------------------------------------------------------ registers
always @(posedge clk) begin
    phase_reg <= phase_next;
    og_reg <= og_next;
    start_reg <= start_next;
    count_reg <= count_next;
    j_reg <= j_next;
    j1_reg <= j1_next;
    jf_reg <= jf_next;
    j0_reg <= {CNT_W{rmask}};
    j10_reg <= rmask ? {CNT_W{1'b0}} : CNT_1;
    bitem_reg <= bitem_next;
    first_reg <= first_next;
    pref_pend_reg <= pref_pend_next;
    pref_valid_reg <= pref_valid_next;
    uw_reg <= uw_next;
    nstart_reg <= nstart_next;
    ncount_reg <= ncount_next;
    nbias_reg <= nbias_next;
    y_reg <= y_next;
    xg_reg <= xg_next;
    fr0_reg <= fr0_next;
    fstep_reg <= fstep_next;
    orow_reg <= orow_next;
    orow_inc_reg <= orow_inc_next;
    obase_pl_reg <= obase_pl_next;
    obase_reg <= obase_next;
    bias_reg <= bias_next;
    ny_m1_reg <= ny_m1_next;
    ngrp_m1_reg <= ngrp_m1_next;
    nptrs_m1_reg <= nptrs_m1_next;
    ny_m2_reg <= ny_m2_next;
    nptrs_m2_reg <= nptrs_m2_next;
    pbase1_reg <= pbase1_next;
    bbase1_reg <= bbase1_next;
    pa_reg <= pa_next;
    pa1_reg <= pa1_next;
    ba_reg <= ba_next;
    ba1_reg <= ba1_next;
    last_og_reg <= last_og_next;
    lj_reg <= lj_next;
    jc_reg <= jc_next;
    cz_reg <= cz_next;
    cle1_reg <= cle1_next;
    cm2_reg <= cm2_next;
    ncz_reg <= ncz_next;
    nemp_reg <= nemp_next;
    q1_reg <= q1_next;
    ncle1_reg <= ncle1_next;
    ncm2_reg <= ncm2_next;
    lxg_reg <= lxg_next;
    ly_reg <= ly_next;
    ngrp_m2_reg <= ngrp_m2_next;
    ngh_m2_reg <= ngh_m2_next;
    xg0l_reg <= xg0l_next;
    ny_m3_reg <= ny_m3_next;
    ny_m4_reg <= ny_m4_next;
    y0l_reg <= y0l_next;
    y1l_reg <= y1l_next;
    lim_reg <= lim_next;
    h_one_reg <= h_one_next;
    wnob_reg <= is_wgrad && !bgrad;
    sh1_reg <= split && h_one_reg;
    xb1_reg <= xb1_next;
    xbp_reg <= xbp_next;
    xbp1_reg <= xbp1_next;
    cb0_reg <= cb0_next;
    cb1_reg <= cb1_next;
    nb0_reg <= nb0_next;
    nb1_reg <= nb1_next;
    i_valid_reg <= i_valid_next;
    i_first_reg <= i_first_next;
    i_last_reg <= i_last_next;
    i_zero_reg <= i_zero_next;
    i_ones_reg <= i_ones_next;
    i_bsum_reg <= i_bsum_next;
    i_a_reg <= i_a_next;
    i_og_reg <= i_og_next;
    i_y_reg <= i_y_next;
    i_x0_reg <= i_x0_next;
    i_xc_reg <= i_xc_next;
    i_orow_reg <= i_orow_next;
    i_bias_reg <= i_bias_next;
    i_omask_reg <= i_omask_next;

    if (rst) begin
        i_valid_reg <= 1'b0;
    end
end

`ifdef ACCEL_ASSERTS
// verilator coverage_off
/* verilator lint_off UNUSEDSIGNAL */
wire [15:0] og_plus1 = og_reg + 1'b1;
/* verilator lint_on UNUSEDSIGNAL */
// every flag equals the compare it replaces while items are emitted
always @(posedge clk) begin
    // an UPDATE on banks: the share's flags from the count alone equal those of the share
    if (!rst && running && pref_pend_reg && upd_q) begin
        assert (u_cz == (u_count == {CNT_W{1'b0}}) && u_cle1 == (u_count[CNT_W-1:1] == {(CNT_W-1){1'b0}}))
            else $error("uc_gen: u_flags: an UPDATE share's flag differs from its compare");
    end
    if (!rst && running && phase_reg == G_EMIT) begin
        assert (lj_reg == ((count_reg == {CNT_W{1'b0}}) || (j_reg == count_reg - 1'b1)))
            else $error("uc_gen: last_j flag differs from its compare");
        assert (!is_update || jc_reg == (j_reg == count_reg))
            else $error("uc_gen: j == count flag differs from its compare");
        assert (cz_reg == (count_reg == {CNT_W{1'b0}}))
            else $error("uc_gen: count == 0 flag differs from its compare");
        assert (is_update || lxg_reg == (split ? (xg_reg[15:1] == ngrp_m1_reg[15:1]) : (xg_reg == ngrp_m1_reg)))
            else $error("uc_gen: last_xg flag differs from its compare");
        assert (is_update || ly_reg == ((y_reg == ny_m1_reg) || (split && y_reg == ny_m2_reg)))
            else $error("uc_gen: last_y flag differs from its compare");
        assert (ld_empty_emit == ((is_wgrad && !bgrad && pref_valid_reg && ncz_reg) ||
                                  (split && h_one_reg && (ld_q[1] ^ pad_odd))))
            else $error("uc_gen: the next list's empty flag differs from its definition");
        assert (q1_reg == og_plus1[1] && (!pref_valid_reg || nemp_reg == (wnob_reg && ncz_reg)))
            else $error("uc_gen: q1 / nemp flags differ from their definitions");
        assert (j1_reg == j_reg + 1'b1) else $error("uc_gen: j + 1 register differs from j + 1");
        assert (jf_reg == (j_reg == j0_reg)) else $error("uc_gen: first-item flag differs from j == j0");
        assert (!bitem_reg || is_wgrad)
            else $error("uc_gen: a bias pseudo entry outside WGRAD");
    end
end
// verilator coverage_on
`endif

endmodule

`resetall
