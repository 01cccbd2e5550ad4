/*
 * Engine array work split: each of the ENGINES engines of uc_unit gets a contiguous range of the
 * command's channels (docs/uc_unit.md "Engine array"): output channels n in FWD and WGRAD, input
 * channels c in BWD_DATA (at stride 2 all four parity lists of a channel). Engine e takes the
 * chunk = ceil(nch / ENGINES) channels from ch0 = e * chunk (fewer or none at the end). UPDATE
 * runs on engine 0 over every filter (the weight memory has one write port); the ranges are
 * still those of the forward channels, so that the update finds each filter's gradient in the
 * copy its WGRAD engine wrote (owner, below).
 *
 * For engine e it gives the generator's share: pointer count and base, bias base, the output-side
 * map bases (the plane of its first channel), the first channel; and it finds the owner of a
 * channel (the engine whose range holds it).
 *
 * Parameters:
 *   ENGINES  engines (power of two, >= 2)
 *   PAW      pointer memory address width
 *
 * Latency: the shares are registered over SPLIT_LAT = 4 cycles from run_start (one multiply or
 * one add a stage) and then held until the next command; uc_unit starts the engines 3 cycles
 * later (the generators register their inputs' derived values for 2 cycles before a start).
 */

`resetall
`timescale 1ns / 1ps
`default_nettype none

module uc_split #
(
    // engines (power of two, >= 2)
    parameter ENGINES = 4,
    // pointer memory address width
    parameter PAW = 10
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
    input  wire [31:0]              bias_base,
    input  wire [31:0]              x_base,
    input  wire [31:0]              y_base,
    input  wire [31:0]              plane_x,
    input  wire [31:0]              plane_y,

    // each engine's share (engine e at bits [e*W +: W])
    output wire [ENGINES-1:0]       e_act,          // the engine has at least one list
    output wire [ENGINES*16-1:0]    e_n_ptrs,
    output wire [ENGINES*PAW-1:0]   e_ptr_base,
    output wire [ENGINES*32-1:0]    e_bias_base,
    output wire [ENGINES*32-1:0]    e_x_base,
    output wire [ENGINES*32-1:0]    e_y_base,
    output wire [ENGINES*16-1:0]    e_og_base,

    // owner of a channel (engine 0's item at stage I in UPDATE), registered
    input  wire [15:0]              own_ch,
    output wire [$clog2(ENGINES)-1:0] owner
);

localparam LOG_E = $clog2(ENGINES);
localparam integer E_M1 = ENGINES - 1;

// S1: channel count and chunk
reg [15:0] nch_reg, nch_next, chunk_reg, chunk_next;
// S2: chunk * plane, each engine's first channel
reg [31:0] cpx_reg, cpx_next, cpy_reg, cpy_next;
reg [ENGINES*16-1:0] ch0_reg, ch0_next;
// S3: each engine's plane offsets and remaining channels
reg [ENGINES*32-1:0] offx_reg, offx_next, offy_reg, offy_next;
reg [ENGINES*17-1:0] rem_reg, rem_next;
// S4: the shares
reg [ENGINES-1:0]     act_reg, act_next;
reg [ENGINES*16-1:0]  nptrs_reg, nptrs_next;
reg [ENGINES*PAW-1:0] pbase_reg, pbase_next;
reg [ENGINES*32-1:0]  bbase_reg, bbase_next, xbase_reg, xbase_next, ybase_reg, ybase_next;
reg [LOG_E-1:0]       owner_reg, owner_next;

assign e_act = act_reg;
assign e_n_ptrs = nptrs_reg;
assign e_ptr_base = pbase_reg;
assign e_bias_base = bbase_reg;
assign e_x_base = xbase_reg;
assign e_y_base = ybase_reg;
assign e_og_base = ch0_reg;
assign owner = owner_reg;

integer e;
/* verilator lint_off UNUSEDSIGNAL */
reg [31:0] nch_p, prod;     // 32-bit sums and products; their low bits are used
/* verilator lint_on UNUSEDSIGNAL */
reg [16:0] rem, cnt;
always @* begin
    // S1 (the command's fields are stable from run_start on; the later stages follow every cycle)
    nch_p = {16'd0, is_bwd ? c : n} + E_M1;
    nch_next = run_start ? (is_bwd ? c : n) : nch_reg;
    chunk_next = run_start ? nch_p[LOG_E +: 16] : chunk_reg;
    // S2
    cpx_next = chunk_reg * plane_x;
    cpy_next = chunk_reg * plane_y;
    prod = 32'd0;
    for (e = 0; e < ENGINES; e = e + 1) begin
        prod = e * chunk_reg;
        ch0_next[16*e +: 16] = prod[15:0];
    end
    // S3
    for (e = 0; e < ENGINES; e = e + 1) begin
        offx_next[32*e +: 32] = e * cpx_reg;
        offy_next[32*e +: 32] = e * cpy_reg;
        rem_next[17*e +: 17] = {1'b0, nch_reg} - {1'b0, ch0_reg[16*e +: 16]};
    end
    // S4
    for (e = 0; e < ENGINES; e = e + 1) begin
        rem = rem_reg[17*e +: 17];
        cnt = rem[16] ? 17'd0 : (rem > {1'b0, chunk_reg}) ? {1'b0, chunk_reg} : rem;
        if (is_update) begin
            // UPDATE: engine 0 walks every filter
            cnt = (e == 0) ? {1'b0, nch_reg} : 17'd0;
        end
        act_next[e] = (cnt != 17'd0);
        nptrs_next[16*e +: 16] = split ? {cnt[13:0], 2'b00} : cnt[15:0];
        pbase_next[PAW*e +: PAW] = ptr_base + (split ? {ch0_reg[16*e +: PAW-2], 2'b00} : ch0_reg[16*e +: PAW]);
        bbase_next[32*e +: 32] = bias_base + {16'd0, ch0_reg[16*e +: 16]};
        xbase_next[32*e +: 32] = x_base + offx_reg[32*e +: 32];
        ybase_next[32*e +: 32] = y_base + offy_reg[32*e +: 32];
    end
    // the owner of own_ch: the last engine whose first channel is not above it
    owner_next = {LOG_E{1'b0}};
    for (e = 1; e < ENGINES; e = e + 1) begin
        if (own_ch >= ch0_reg[16*e +: 16]) begin
            owner_next = e[LOG_E-1:0];
        end
    end
end

always @(posedge clk) begin
    nch_reg <= nch_next;
    chunk_reg <= chunk_next;
    cpx_reg <= cpx_next;
    cpy_reg <= cpy_next;
    ch0_reg <= ch0_next;
    offx_reg <= offx_next;
    offy_reg <= offy_next;
    rem_reg <= rem_next;
    act_reg <= act_next;
    nptrs_reg <= nptrs_next;
    pbase_reg <= pbase_next;
    bbase_reg <= bbase_next;
    xbase_reg <= xbase_next;
    ybase_reg <= ybase_next;
    owner_reg <= owner_next;
end

endmodule

`resetall
