/*
 * Checks of the sequencer's DMA transfers, before any AXI beat (docs/program.md "Host
 * addresses", docs/registers.md ERR DMA / PROG):
 *   LOAD / STORE  a known memory, count 1 .. 2^20-1, the range inside the memory, no STORE of
 *                 LABEL, the host address (w1 + iteration * w4 inside a loop) 4-byte aligned and
 *                 the transfer's last byte below 2^32 (computed in 64 bits: no wrap-around)
 *   program       PROG_LEN 1 .. PROG_DEPTH, PROG_ADDR 4-byte aligned, PROG_ADDR + 64 * PROG_LEN
 *                 within 2^32
 * and the memory word width in 32-bit beats by selector (docs/program.md "LOAD / STORE memories").
 *
 * Parameters: the top's LANES, KMAX, NMAX (word widths), FM_DEPTH, WDEPTH, PDEPTH, BDEPTH (memory
 * depths) and PROG_DEPTH, as the sequencer's (rtl/common/top_seq_params.vh).
 *
 * Latency: beats combinational; prog_bad registered from PROG_ADDR / PROG_LEN, one cycle after
 * they change (the registers behind them change only by an AXI-Lite write, and START, a later
 * write, reaches the sequencer at least two cycles after the last one: axil_regs answers each
 * write with B before it takes the next, and registers START); host_first and xfer_bad registered, valid
 * XCHK_LAT = 6 cycles after the LOAD / STORE inputs settle (they must stay stable meanwhile: the
 * sequencer waits in S_XCHK). One multiply, or one wide add or compare, a stage:
 *   1  the four 16x16 partial products of iteration * step; words * beats; chip + count
 *   2  the middle partial products summed; the range compare
 *   3  the step offset (64-bit add)
 *   4  the first byte: host address + offset (64-bit add)
 *   5  one past the last byte: first + 4 * words (64-bit add)
 *   6  the 2^32 compare, alignment: xfer_bad
 */

`resetall
`timescale 1ns / 1ps
`default_nettype none

module xfer_check #
(
`include "top_seq_params.vh"
)
(
    input  wire        clk,

    // LOAD / STORE descriptor
    input  wire        store,           // 1 STORE, 0 LOAD
    input  wire [3:0]  sel,             // memory selector (w0 [11:8])
    input  wire [31:0] host_addr,       // w1
    input  wire [31:0] count,           // w2: memory words
    input  wire [31:0] chip_addr,       // w3: first memory word
    input  wire [31:0] host_step,       // w4: host address step per loop iteration
    input  wire        in_loop,
    input  wire [31:0] loop_iter,
    output wire [5:0]  beats,           // 32-bit beats per memory word
    output wire [31:0] host_first,      // host byte address of this iteration's transfer
    output wire        xfer_bad,        // refuse with ERR DMA

    // program fetch
    input  wire [31:0] prog_addr,
    input  wire [15:0] prog_len,
    output wire        prog_bad         // refuse with ERR PROG
);

localparam BANKS = 2 * LANES;
localparam WAW = $clog2(WDEPTH);
localparam K_W = (KMAX > 1) ? $clog2(KMAX) : 1;
localparam N_W = (NMAX > 1) ? $clog2(NMAX) : 1;
localparam BIDX_W = 2 * K_W + N_W + WAW;
localparam PTR_W = 2 * WAW + 1;
localparam integer STACK_BEATS_I = (BANKS * 16 + 31) / 32;
localparam integer BIDX_BEATS_I = (BIDX_W + 31) / 32;
localparam integer PTR_BEATS_I = (PTR_W + 31) / 32;
localparam [5:0] STACK_BEATS = STACK_BEATS_I[5:0];
localparam [5:0] BIDX_BEATS = BIDX_BEATS_I[5:0];
localparam [5:0] PTR_BEATS = PTR_BEATS_I[5:0];
localparam [31:0] FM_DEPTH_32 = FM_DEPTH, WDEPTH_32 = WDEPTH, PDEPTH_32 = PDEPTH,
                  BDEPTH_32 = BDEPTH, PROG_DEPTH_32 = PROG_DEPTH;

// memory selectors of LOAD / STORE (docs/program.md)
localparam [3:0] SEL_STACK = 4'd0, SEL_WGT = 4'd1, SEL_FIDX = 4'd2, SEL_BIDX = 4'd3,
                 SEL_PTR = 4'd4, SEL_GRAD = 4'd5, SEL_BIAS = 4'd6, SEL_BGRAD = 4'd7,
                 SEL_LABEL = 4'd15;

reg [5:0]  beats_sel;
reg [31:0] depth_sel;       // 0: unknown selector

always @* begin
    case (sel)
    SEL_STACK: beats_sel = STACK_BEATS;
    SEL_BIDX: beats_sel = BIDX_BEATS;
    SEL_PTR: beats_sel = PTR_BEATS;
    default: beats_sel = 6'd1;
    endcase
    case (sel)
    SEL_STACK: depth_sel = FM_DEPTH_32;
    SEL_WGT, SEL_FIDX, SEL_BIDX, SEL_GRAD: depth_sel = WDEPTH_32;
    SEL_PTR: depth_sel = PDEPTH_32;
    SEL_BIAS, SEL_BGRAD: depth_sel = BDEPTH_32;
    SEL_LABEL: depth_sel = 32'd1;
    default: depth_sel = 32'd0;
    endcase
end

// host address: 64 bits, so a transfer whose last byte passes 2^32 (also through a loop's step)
// is refused, as is an address not 4-byte aligned
wire [31:0] iter_g = in_loop ? loop_iter : 32'd0;
wire        sel_known = (sel <= SEL_BGRAD) || (sel == SEL_LABEL);
// stage 1
reg [31:0] pp0_reg, pp1_reg, pp2_reg, pp3_reg;      // iteration x step, 16x16 partial products
reg [25:0] words1_reg;                              // host words (count x beats)
reg [32:0] range_end1_reg;                          // chip address + count
reg [31:0] depth1_reg;
reg        pre_bad1_reg;                            // unknown selector, count 0 or >= 2^20, STORE LABEL
// stage 2
reg [32:0] mid2_reg;
reg [63:0] lohi2_reg;
reg [31:0] host2_reg;
reg [25:0] words2_reg;
reg        bad2_reg;
// stage 3
reg [63:0] off3_reg;
reg [31:0] host3_reg;
reg [25:0] words3_reg;
reg        bad3_reg;
// stage 4
reg [63:0] first4_reg;
reg [25:0] words4_reg;
reg        bad4_reg;
// stage 5
reg [63:0] end5_reg;                                // one past the last byte
reg [31:0] first5_reg;
reg        bad5_reg;
// stage 6
reg [31:0] first6_reg;
reg        bad6_reg;

always @(posedge clk) begin
    pp0_reg <= iter_g[15:0] * host_step[15:0];
    pp1_reg <= iter_g[15:0] * host_step[31:16];
    pp2_reg <= iter_g[31:16] * host_step[15:0];
    pp3_reg <= iter_g[31:16] * host_step[31:16];
    words1_reg <= {6'd0, count[19:0]} * {20'd0, beats_sel};
    range_end1_reg <= {1'b0, chip_addr} + {1'b0, count};
    depth1_reg <= depth_sel;
    pre_bad1_reg <= !sel_known || count == 32'd0 || count > 32'h000f_ffff || (sel == SEL_LABEL && store);

    mid2_reg <= {1'b0, pp1_reg} + {1'b0, pp2_reg};
    lohi2_reg <= {pp3_reg, pp0_reg};
    host2_reg <= host_addr;
    words2_reg <= words1_reg;
    bad2_reg <= pre_bad1_reg || range_end1_reg > {1'b0, depth1_reg};

    off3_reg <= lohi2_reg + {15'd0, mid2_reg, 16'd0};
    host3_reg <= host2_reg;
    words3_reg <= words2_reg;
    bad3_reg <= bad2_reg;

    first4_reg <= {32'd0, host3_reg} + off3_reg;
    words4_reg <= words3_reg;
    bad4_reg <= bad3_reg;

    end5_reg <= first4_reg + {36'd0, words4_reg, 2'b00};
    first5_reg <= first4_reg[31:0];
    bad5_reg <= bad4_reg || first4_reg[1:0] != 2'b00;

    first6_reg <= first5_reg;
    bad6_reg <= bad5_reg || end5_reg > 64'h1_0000_0000;
end

assign beats = beats_sel;
assign host_first = first6_reg;
assign xfer_bad = bad6_reg;

// the program: PROG_ADDR aligned and PROG_ADDR + 64 * PROG_LEN within 2^32; registered, so that
// the sequencer's start decision reads a flag, not an add and compares (issue 16)
wire [32:0] prog_end = {1'b0, prog_addr} + {11'd0, prog_len, 6'd0};
reg prog_bad_reg;
always @(posedge clk) begin
    prog_bad_reg <= prog_len == 16'd0 || {16'd0, prog_len} > PROG_DEPTH_32 ||
                    prog_addr[1:0] != 2'b00 || prog_end > 33'h1_0000_0000;
end
assign prog_bad = prog_bad_reg;

endmodule

`resetall
