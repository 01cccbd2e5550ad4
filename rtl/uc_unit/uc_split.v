/*
 * Engine array work split: each of the ENGINES engines of uc_unit gets a contiguous range of the
 * command's channels (docs/uc_unit.md "Engine array"): output channels n in FWD and WGRAD, input
 * channels c in BWD_DATA (at stride 2 all four parity lists of a channel). Engine e takes the
 * chunk = ceil(nch / ENGINES) channels from ch0 = e * chunk (fewer or none at the end). UPDATE
 * runs on engines 0 .. UPD_BANKS-1, each over every filter (on its bank of the weight memory:
 * uc_gen); the ranges are still those of the forward channels, so that the update finds each
 * filter's gradient in the copy its WGRAD engine wrote (owner, below, one an UPDATE engine).
 *
 * For engine e it gives the generator's share: pointer count and base, bias base, the output-side
 * map bases (the plane of its first channel), the first channel; and it finds the owner of a
 * channel (the engine whose range holds it).
 *
 * Addresses are computed modulo the memory they address (FM_AW, BAW bits): the checks made the
 * command's buffers fit, so an engine with lists has its bases inside the memory; an engine
 * without lists does not start, and its bases mean nothing.
 *
 * Parameters:
 *   ENGINES  engines (power of two, >= 2)
 *   UPD_BANKS  UPDATE engines (power of two, <= ENGINES)
 *   FM_AW    stack word address width
 *   PAW      pointer memory address width
 *   BAW      bias memory address width
 *
 * Latency: the shares are registered over SPLIT_LAT = 4 cycles from run_start (a stage: one
 * multiply, one add, or a product by the constant engine index as at most LOG_E shifted terms)
 * and then held until the next command; uc_unit starts the engines 3 cycles later (the
 * generators register their inputs' derived values for 2 cycles before a start).
 */

`resetall
`timescale 1ns / 1ps
`default_nettype none

module uc_split #
(
    // engines (power of two, >= 2)
    parameter ENGINES = 4,
    // UPDATE engines (1, or a power of two up to ENGINES): engines 0 .. UPD_BANKS-1 each walk
    // every filter (uc_gen takes the weights of its bank), each with its owner below
    parameter UPD_BANKS = 1,
    // stack word address width
    parameter FM_AW = 12,
    // pointer memory address width
    parameter PAW = 10,
    // bias memory address width
    parameter BAW = 10
)
(
    input  wire                     clk,

    // the checked command (uc_ctrl), stable from run_start on
    input  wire                     run_start,
    input  wire                     is_bwd,
    input  wire                     is_update,
    input  wire                     split,          // BWD_DATA at stride 2: four pointers a channel
    input  wire [15:0]              c,
    input  wire [15:0]              n,
    input  wire [PAW-1:0]           ptr_base,
    /* verilator lint_off UNUSEDSIGNAL */
    input  wire [31:0]              bias_base,      // low BAW bits used (checked: the table fits)
    input  wire [31:0]              x_base,         // low FM_AW bits used (checked: the maps fit)
    input  wire [31:0]              y_base,
    input  wire [31:0]              plane_x,
    input  wire [31:0]              plane_y,
    /* verilator lint_on UNUSEDSIGNAL */

    // each engine's share (engine e at bits [e*W +: W]; wiring: toggles counted in g_e below)
    /* verilator coverage_off */
    output wire [ENGINES-1:0]       e_act,          // the engine has at least one list
    output wire [ENGINES*16-1:0]    e_n_ptrs,
    output wire [ENGINES*PAW-1:0]   e_ptr_base,
    output wire [ENGINES*32-1:0]    e_bias_base,
    output wire [ENGINES*32-1:0]    e_x_base,
    output wire [ENGINES*32-1:0]    e_y_base,
    output wire [ENGINES*16-1:0]    e_og_base,
    /* verilator coverage_on */

    // owner of a channel (engine k's item at stage I in UPDATE, k < UPD_BANKS: field k), registered
    // (wiring: each field's toggles are counted as g_own[k].o_ch)
    /* verilator coverage_off */
    input  wire [UPD_BANKS*16-1:0]  own_ch,
    /* verilator coverage_on */
    input  wire [UPD_BANKS-1:0]     own_start,      // engine k starts (its item channel restarts at 0)
    output wire [UPD_BANKS*$clog2(ENGINES)-1:0] owner
);

localparam LOG_E = $clog2(ENGINES);
/* verilator lint_off WIDTHTRUNC */
localparam [16:0] E_M1 = ENGINES - 1;
// the last index of the first-channel table ch0x (2 * ENGINES entries: none past the engines)
localparam [LOG_E:0] IC_LAST = 2 * ENGINES - 1;
/* verilator lint_on WIDTHTRUNC */

// S1: channel count and chunk (set at run_start)
reg [15:0]      nch_reg, nch_next, chunk_reg, chunk_next;
// S2: chunk * plane (modulo the stack)
reg [FM_AW-1:0] cpx_reg, cpx_next, cpy_reg, cpy_next;
/* verilator coverage_off */
wire [ENGINES*16-1:0] ch0;              // each engine's first channel (S2; wiring)
/* verilator coverage_on */

// the chunk as FM_AW bits (zero-extended above 2^16 stack words)
/* verilator lint_off UNUSEDSIGNAL */
/* verilator coverage_off */
wire [FM_AW+15:0] chunk_x = {{FM_AW{1'b0}}, chunk_reg};
/* verilator coverage_on */
/* verilator lint_on UNUSEDSIGNAL */

// the owner of own_ch: the last engine whose first channel is not above it. In UPDATE engine 0
// walks the filters in order (own_ch = 0, 1, 2, ... from own_start on, each value at least
// once), so the owner steps by one when own_ch reaches the next engine's first channel: an
// equality with a register (nxt_reg = ch0 of engine owner + 1, or none past the last), not
// ENGINES - 1 magnitude compares and a priority select (issue 16: 6 LUT levels at 16 engines).
// The first channel after it is kept in a register too (nnx_reg, ch0 of engine owner + 2), so that a
// step selects between registers and one table lookup (ch0x by ic) that runs beside the
// equality, not after it (issue 16: 5 levels at 16 x 4)
/* verilator lint_off UNUSEDSIGNAL */
reg [16:0] nch_p;           // channels + ENGINES - 1: its low LOG_E bits are dropped
/* verilator lint_on UNUSEDSIGNAL */
// first channels by index, none (all ones) past the last engine
/* verilator coverage_off */
wire [2*ENGINES*17-1:0] ch0x;
/* verilator coverage_on */
genvar gx;
generate
    for (gx = 0; gx < 2 * ENGINES; gx = gx + 1) begin : g_ch0x
        if (gx < ENGINES) begin : g_in
            assign ch0x[17*gx +: 17] = {1'b0, ch0[16*gx +: 16]};
        end else begin : g_none
            assign ch0x[17*gx +: 17] = {17{1'b1}};
        end
    end
endgenerate
always @* begin
    nch_p = {1'b0, is_bwd ? c : n} + E_M1;
    nch_next = run_start ? (is_bwd ? c : n) : nch_reg;
    chunk_next = run_start ? {{(LOG_E-1){1'b0}}, nch_p[16:LOG_E]} : chunk_reg;
    cpx_next = chunk_x[FM_AW-1:0] * plane_x[FM_AW-1:0];
    cpy_next = chunk_x[FM_AW-1:0] * plane_y[FM_AW-1:0];
end

always @(posedge clk) begin
    nch_reg <= nch_next;
    chunk_reg <= chunk_next;
    cpx_reg <= cpx_next;
    cpy_reg <= cpy_next;
end

// one owner tracker an UPDATE engine (each walks every filter in order)
genvar gk;
generate
    for (gk = 0; gk < UPD_BANKS; gk = gk + 1) begin : g_own
        wire [15:0]     o_ch = own_ch[16*gk +: 16];
        wire            o_start = own_start[gk];
        reg [LOG_E-1:0] owner_reg, owner_next;
        reg [LOG_E:0]   ic_reg, ic_next;                // owner + 3 (held at the table's last index)
        reg [16:0]      nxt_reg, nxt_next;              // ch0 of engine owner + 1 (bit 16: none)
        reg [16:0]      nnx_reg, nnx_next;              // ch0 of engine owner + 2
        reg             inc;
        assign owner[LOG_E*gk +: LOG_E] = owner_reg;
        always @* begin
            inc = ({1'b0, o_ch} == nxt_reg);
            owner_next = inc ? owner_reg + 1'b1 : owner_reg;
            ic_next = (inc && ic_reg != IC_LAST) ? ic_reg + 1'b1 : ic_reg;
            // (held between steps: own_start loads them, after the shares are registered)
            nxt_next = inc ? nnx_reg : nxt_reg;
            nnx_next = inc ? ch0x[17*ic_reg +: 17] : nnx_reg;
            if (o_start) begin
                owner_next = {LOG_E{1'b0}};
                ic_next = 3;
                nxt_next = ch0x[17 +: 17];
                nnx_next = ch0x[34 +: 17];
            end
        end
        always @(posedge clk) begin
            owner_reg <= owner_next;
            ic_reg <= ic_next;
            nxt_reg <= nxt_next;
            nnx_reg <= nnx_next;
        end
`ifdef ACCEL_ASSERTS
        // verilator coverage_off
        // in UPDATE (from two cycles after own_start: own_ch restarted at 0) the stepped owner
        // equals the last engine whose first channel is not above own_ch
        integer e;
        reg [LOG_E-1:0] ref_owner, ref_reg;
        reg [1:0]       arm_reg;
        initial arm_reg = 2'd0;
        always @* begin
            ref_owner = {LOG_E{1'b0}};
            for (e = 1; e < ENGINES; e = e + 1) begin
                if (o_ch >= ch0[16*e +: 16]) begin
                    ref_owner = e[LOG_E-1:0];
                end
            end
        end
        always @(posedge clk) begin
            ref_reg <= ref_owner;
            // (disarmed outside UPDATE: between an UPDATE's accept and its run_start the engine's
            // item channel is still the previous command's)
            arm_reg <= (run_start || !is_update) ? 2'd0 : o_start ? 2'd1 : (arm_reg == 2'd0) ? 2'd0 : 2'd2;
            if (is_update && arm_reg == 2'd2) begin
                assert (owner_reg == ref_reg) else $error("uc_split: the stepped owner differs from its compare");
            end
        end
        // verilator coverage_on
`endif
    end
endgenerate


// x * k for an engine's index k (a constant in each g_e) as shifts and adds: no multiplier
// (DSP) for a constant; at most LOG_E terms, summed once a command as a balanced tree (terms in
// pairs, then pairs of pairs: 3 adds deep up to 256 engines), not one term after another (issue
// 16: the serial sum was 5 adds in series at 64 engines, the UC unit's worst path, chunk_x ->
// ch0 of engine 63; the zero terms of a constant k fold away)
function [31:0] times_index(input [31:0] x, input [15:0] k);
    reg [31:0] p0, p1, p2, p3, p4, p5, p6, p7, q0, q1, q2, q3;
    begin
        p0 = pair_term(x, k, 0);
        p1 = pair_term(x, k, 2);
        p2 = pair_term(x, k, 4);
        p3 = pair_term(x, k, 6);
        p4 = pair_term(x, k, 8);
        p5 = pair_term(x, k, 10);
        p6 = pair_term(x, k, 12);
        p7 = pair_term(x, k, 14);
        q0 = p0 + p1;
        q1 = p2 + p3;
        q2 = p4 + p5;
        q3 = p6 + p7;
        times_index = (q0 + q1) + (q2 + q3);
    end
endfunction

// the terms of k's bits b and b + 1: (x << b if k[b]) + (x << b+1 if k[b+1])
function [31:0] pair_term(input [31:0] x, input [15:0] k, input integer b);
    begin
        pair_term = (k[b] ? (x << b) : 32'd0) + (k[b + 1] ? (x << (b + 1)) : 32'd0);
    end
endfunction

`ifdef ACCEL_ASSERTS
// run_start delayed to the cycle the shares are registered (the assertions' check time)
reg [3:0] rs_d;
initial rs_d = 4'd0;
always @(posedge clk) begin
    rs_d <= {rs_d[2:0], run_start};
end
`endif

// one engine's share
genvar g;
generate
    for (g = 0; g < ENGINES; g = g + 1) begin : g_e
        localparam [15:0] EN = g;
        // S2: first channel; S3: plane offsets, channels left; S4: the share
        reg [15:0]      ch0_reg, ch0_next;
        reg [FM_AW-1:0] offx_reg, offx_next, offy_reg, offy_next;
        reg [16:0]      rem_reg, rem_next;
        // rem > chunk, a compare of registers beside rem (S3), not a compare of rem in front of
        // the share's select (issue 16: e_n_ptrs at 5 LUT levels); rem < 0 is rem's sign bit
        reg             gt_reg, gt_next;
        reg             act_reg, act_next;
        reg [15:0]      nptrs_reg, nptrs_next;
        reg [15:0]      ogb_reg, ogb_next;  // the first item channel (0 in UPDATE)
        reg [PAW-1:0]   pbase_reg, pbase_next;
        reg [BAW-1:0]   bbase_reg, bbase_next;
        reg [FM_AW-1:0] xbase_reg, xbase_next, ybase_reg, ybase_next;
        /* verilator lint_off UNUSEDSIGNAL */
        reg [16:0]      cnt;            // (its top bit: only the assertion's cnt != 0 reads it)
        /* verilator lint_on UNUSEDSIGNAL */
        // the products' scratch (their used low bits are ch0_next, offx_next, offy_next)
        /* verilator lint_off UNUSEDSIGNAL */
        /* verilator coverage_off */
        reg [31:0]      ch0_prod, offx_prod, offy_prod;     // (modulo 2^16 / the stack)
        /* verilator coverage_on */
        /* verilator lint_on UNUSEDSIGNAL */

        assign ch0[16*g +: 16] = ch0_reg;
        // the first channel as a pointer / bias address (zero-extended for memories over 2^16)
        /* verilator lint_off UNUSEDSIGNAL */
        /* verilator coverage_off */
        wire [PAW+15:0] ch0_p = {{PAW{1'b0}}, ch0_reg};
        wire [BAW+15:0] ch0_b = {{BAW{1'b0}}, ch0_reg};
        /* verilator coverage_on */
        /* verilator lint_on UNUSEDSIGNAL */
        // (engine 0 always has a list: the checks made C, N >= 1)
        assign e_act[g] = (g == 0) ? 1'b1 : act_reg;
        assign e_n_ptrs[16*g +: 16] = nptrs_reg;
        assign e_ptr_base[PAW*g +: PAW] = pbase_reg;
        assign e_bias_base[32*g +: 32] = {{(32-BAW){1'b0}}, bbase_reg};
        assign e_x_base[32*g +: 32] = {{(32-FM_AW){1'b0}}, xbase_reg};
        assign e_y_base[32*g +: 32] = {{(32-FM_AW){1'b0}}, ybase_reg};
        assign e_og_base[16*g +: 16] = ogb_reg;

        always @* begin
            ch0_prod = times_index({16'd0, chunk_reg}, EN);
            offx_prod = times_index({{(32-FM_AW){1'b0}}, cpx_reg}, EN);
            offy_prod = times_index({{(32-FM_AW){1'b0}}, cpy_reg}, EN);
            ch0_next = ch0_prod[15:0];
            offx_next = offx_prod[FM_AW-1:0];
            offy_next = offy_prod[FM_AW-1:0];
            rem_next = {1'b0, nch_reg} - {1'b0, ch0_reg};
            // rem > chunk: the next engine's first channel (ch0 + chunk, no wrap below 2^16) is
            // below nch; the last engine never has more than a chunk (chunk = ceil(nch / E))
            gt_next = (g < ENGINES - 1) ? (nch_reg > ch0[16*((g < ENGINES - 1) ? g + 1 : g) +: 16]) : 1'b0;
            // channels of this engine: what is left, at most a chunk; UPDATE: engine 0 walks all
            cnt = rem_reg[16] ? 17'd0 : gt_reg ? {1'b0, chunk_reg} : rem_reg;
            // (UPDATE: engines 0 .. UPD_BANKS-1 walk every filter from the first, each on its bank)
            if (is_update) begin
                cnt = (g < UPD_BANKS) ? {1'b0, nch_reg} : 17'd0;
            end
            // cnt != 0 without its compare (issue 16: the 4 x 2 array's e_act at 5 LUT levels):
            // a chunk is never more than a non-negative rem that is not zero, else rem itself
            act_next = is_update ? ((g < UPD_BANKS) && (nch_reg != 16'd0))
                                 : (!rem_reg[16] && (|rem_reg[15:0]) && (|chunk_reg));
            nptrs_next = split ? {cnt[13:0], 2'b00} : cnt[15:0];
            pbase_next = ptr_base + (is_update ? {PAW{1'b0}} : split ? {ch0_p[PAW-3:0], 2'b00} : ch0_p[PAW-1:0]);
            bbase_next = bias_base[BAW-1:0] + (is_update ? {BAW{1'b0}} : ch0_b[BAW-1:0]);
            ogb_next = is_update ? 16'd0 : ch0_reg;
            xbase_next = x_base[FM_AW-1:0] + offx_reg;
            ybase_next = y_base[FM_AW-1:0] + offy_reg;
        end

`ifdef ACCEL_ASSERTS
        // verilator coverage_off
        always @(posedge clk) begin
            assert (act_next == (cnt != 17'd0)) else $error("uc_split: e_act differs from cnt != 0");
            // (once the command's stages are through: SPLIT_LAT cycles after run_start)
            if (rs_d[3]) begin
                assert (rem_reg[16] || gt_reg == (rem_reg > {1'b0, chunk_reg}))
                    else $error("uc_split: the registered rem > chunk flag differs from rem");
            end
        end
        // verilator coverage_on
`endif

        always @(posedge clk) begin
            ch0_reg <= ch0_next;
            offx_reg <= offx_next;
            offy_reg <= offy_next;
            rem_reg <= rem_next;
            gt_reg <= gt_next;
            act_reg <= act_next;
            nptrs_reg <= nptrs_next;
            ogb_reg <= ogb_next;
            pbase_reg <= pbase_next;
            bbase_reg <= bbase_next;
            xbase_reg <= xbase_next;
            ybase_reg <= ybase_next;
        end
    end
endgenerate

endmodule

`resetall
