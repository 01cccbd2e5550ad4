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
 * depths) and PROG_DEPTH, each commented below.
 *
 * Latency: combinational.
 */

`resetall
`timescale 1ns / 1ps
`default_nettype none

module xfer_check #
(
    // MAC lanes (a stack word is 2*LANES 16-bit pixels)
    parameter LANES = 8,
    // largest kernel size (BIDX word width)
    parameter KMAX = 11,
    // largest output channel count (BIDX word width)
    parameter NMAX = 256,
    // stack words per bank
    parameter FM_DEPTH = 4096,
    // weight / index / gradient memory depth
    parameter WDEPTH = 65536,
    // pointer memory depth
    parameter PDEPTH = 1024,
    // bias memory depth
    parameter BDEPTH = 1024,
    // descriptors the program memory holds
    parameter PROG_DEPTH = 256
)
(
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
wire [63:0] host_off = in_loop ? {32'd0, loop_iter} * {32'd0, host_step} : 64'd0;
wire [63:0] host_first64 = {32'd0, host_addr} + host_off;
wire [25:0] host_words = {6'd0, count[19:0]} * {20'd0, beats_sel};
wire [63:0] host_end = host_first64 + {36'd0, host_words, 2'b00};    // one past the last byte
wire        host_bad = host_first64[1:0] != 2'b00 || host_end > 64'h1_0000_0000;
// memory range
wire [32:0] range_end = {1'b0, chip_addr} + {1'b0, count};
wire        sel_known = (sel <= SEL_BGRAD) || (sel == SEL_LABEL);
wire        range_bad = !sel_known || count == 32'd0 || count > 32'h000f_ffff ||
                        range_end > {1'b0, depth_sel};

assign beats = beats_sel;
assign host_first = host_first64[31:0];
assign xfer_bad = range_bad || host_bad || (sel == SEL_LABEL && store);

// the program: PROG_ADDR aligned and PROG_ADDR + 64 * PROG_LEN within 2^32
wire [32:0] prog_end = {1'b0, prog_addr} + {11'd0, prog_len, 6'd0};
assign prog_bad = prog_len == 16'd0 || {16'd0, prog_len} > PROG_DEPTH_32 ||
                  prog_addr[1:0] != 2'b00 || prog_end > 33'h1_0000_0000;

endmodule

`resetall
