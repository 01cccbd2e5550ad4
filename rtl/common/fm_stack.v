/*
 * Feature-map stack: 2*LANES single-pixel banks addressed so that LANES pixels of one map row
 * at stride 1 or 2, from any start column, fall in distinct banks.
 *
 * Layout: flat pixel address A lives in bank A mod 2L, word A div 2L. A caller names a vector by
 * the word address of its map row (row) and the signed start column (x); lane l is the pixel at
 * column x + l*stride. Columns outside the row (negative ones included) read garbage: the caller
 * masks them, and must mask them on writes too. A port-B write has 2L lanes: at stride 1 all 2L
 * (one a bank), at stride 2 lanes 0..L-1 only (assertion b_wide_s2); reads return L lanes.
 *
 * Parameters:
 *   LANES  pixels per vector (power of two)
 *   DEPTH  words per bank
 *   XW     width of the signed start column
 *
 * Latency: port A and port B reads 2 cycles (RAM, crossbar); host port reads 1 cycle; a port-B
 * write reaches the RAM one cycle after its request (registered), a host write at once.
 * Port B and the host port share each bank's second RAM port; the host wins (use it while idle).
 * Port B must not read in the cycle after a port-B write; a host access then wins over the write
 * (a unit's command never has its host port used so soon: only after a reset).
 */

`resetall
`timescale 1ns / 1ps
`default_nettype none

module fm_stack #
(
    // pixels per vector (power of two)
    parameter LANES = 8,
    // words per bank
    parameter DEPTH = 4096,
    // width of the signed start column
    parameter XW = 20
)
(
    input  wire                      clk,

    // port A: vector read, a_req = {a_en, a_s2, a_row, a_x} (FMA_REQ of accel_defs.vh)
    /* verilator coverage_off */
    input  wire [A_REQ_W-1:0]        a_req,
    /* verilator coverage_on */
    output reg  [LANES*16-1:0]       a_rdata,

    // port B: vector read or masked write,
    // b_req = {b_en, b_we, b_s2, b_row, b_x, b_wdata, b_wmask} (FMB_REQ of accel_defs.vh)
    /* verilator coverage_off */
    input  wire [B_REQ_W-1:0]        b_req,
    /* verilator coverage_on */
    output reg  [LANES*16-1:0]       b_rdata,

    // host port: one whole word (all banks) at a time
    input  wire                      h_en,
    input  wire                      h_we,
    input  wire [AW-1:0]             h_addr,
    input  wire [BANKS*16-1:0]       h_wdata,
    output wire [BANKS*16-1:0]       h_rdata
);

localparam BANKS = 2 * LANES;
localparam BW = $clog2(BANKS);
localparam AW = $clog2(DEPTH);
localparam A_REQ_W = 2 + AW + XW;
localparam B_REQ_W = 3 + AW + XW + BANKS * 16 + BANKS;

// request fields: s2 stride 2, row the word address of the map row, x the signed start column
wire                 a_en, a_s2, b_en, b_we, b_s2;
wire [AW-1:0]        a_row, b_row;
wire signed [XW-1:0] a_x, b_x;
wire [BANKS*16-1:0]  b_wdata;
wire [BANKS-1:0]     b_wmask;
assign {a_en, a_s2, a_row, a_x} = a_req;
assign {b_en, b_we, b_s2, b_row, b_x, b_wdata, b_wmask} = b_req;

// bank outputs, one cycle after the address
wire [BANKS*16-1:0] a_q;
wire [BANKS*16-1:0] b_q;

// start column's bank and stride, kept for the crossbar one cycle later
reg [BW-1:0] a_x_d;
reg          a_s2_d;
reg [BW-1:0] b_x_d;
reg          b_s2_d;

assign h_rdata = b_q;

// word address of each bank's pixel: with x = 2L xw + xl (xw = floor(x / 2L), 0 <= xl < 2L), the
// pixel of bank b is in column 2L xw + b (b >= xl) or 2L (xw + 1) + b (b < xl), so its word is
// row + xw or row + xw + 1: two adds shared by all banks and a select per bank, not three
// adders in series per bank (issue 16). x is sign-extended so that xw is AW bits whatever AW;
// row + xw + 1 is one add with a carry into its low bit ({row, 1} + {xw, 1}, whose low bit is
// always 0: covered as a_word1 / b_word1), not an increment of row + xw in series.
/* verilator lint_off UNUSEDSIGNAL */
/* verilator coverage_off */
wire [XW+AW-1:0] a_x_s = {{AW{a_x[XW-1]}}, a_x};
wire [XW+AW-1:0] b_x_s = {{AW{b_x[XW-1]}}, b_x};
wire [AW:0]   a_word1_c = {a_row, 1'b1} + {a_x_s[BW +: AW], 1'b1};
wire [AW:0]   b_word1_c = {b_row, 1'b1} + {b_x_s[BW +: AW], 1'b1};
/* verilator coverage_on */
/* verilator lint_on UNUSEDSIGNAL */
wire [AW-1:0] a_word0 = a_row + a_x_s[BW +: AW];
wire [AW-1:0] a_word1 = a_word1_c[AW:1];
wire [AW-1:0] b_word0 = b_row + b_x_s[BW +: AW];
wire [AW-1:0] b_word1 = b_word1_c[AW:1];

// a port-B write is registered here, once for all banks, and done the next cycle (wq_*): the
// request mux and the word adds end in flip-flops, and each bank's lane decode, mask and data
// select work on the registered request, not in series with the mux (issue 16). Port B never
// reads in the cycle after a write (a unit's command either writes or reads through it), and
// the host port waits until no unit is busy, at least two cycles after a unit's last write (its
// response, then the sequencer); only a unit reset mid-command can bring a host access right
// after a write: the host wins, the reset command's write is lost
reg                 wq_en;      // a port-B write is pending (dropped if the host port took its cycle)
reg                 wq_s2;
reg [BW-1:0]        wq_xl;      // start column mod 2L
reg [AW-1:0]        wq_word0;
reg [AW-1:0]        wq_word1;
reg [BANKS*16-1:0]  wq_wdata;
reg [BANKS-1:0]     wq_wmask;
initial wq_en = 1'b0;
always @(posedge clk) begin
    wq_en <= b_en && b_we && !h_en;
    wq_s2 <= b_s2;
    wq_xl <= b_x[BW-1:0];
    wq_word0 <= b_word0;
    wq_word1 <= b_word1;
    wq_wdata <= b_wdata;
    wq_wmask <= b_wmask;
end

genvar b;
generate
for (b = 0; b < BANKS; b = b + 1) begin : g_bank
    // the borrow of b - xl: b < xl, the pixel is in the next word
    wire [BW:0]   a_dif = {1'b0, b[BW-1:0]} - {1'b0, a_x[BW-1:0]};
    wire [BW:0]   b_dif = {1'b0, b[BW-1:0]} - {1'b0, b_x[BW-1:0]};
    wire [AW-1:0] a_addr = a_dif[BW] ? a_word1 : a_word0;
    wire [AW-1:0] b_word = b_dif[BW] ? b_word1 : b_word0;
    // the registered write: lane whose pixel falls in this bank, offset o = (b - xl) mod 2L;
    // stride 1 -> lane o (each of the 2L lanes has its bank), stride 2 -> lane o/2 (if o is even)
    wire [BW:0]   q_dif = {1'b0, b[BW-1:0]} - {1'b0, wq_xl};
    wire [BW-1:0] q_off = q_dif[BW-1:0];
    wire [BW-1:0] q_lane = wq_s2 ? (q_off >> 1) : q_off;
    wire          q_lane_ok = !wq_s2 || !q_off[0];
    wire          q_wr = wq_en && q_lane_ok && wq_wmask[q_lane];
    wire [AW-1:0] q_addr = q_dif[BW] ? wq_word1 : wq_word0;
    wire [15:0]   q_data = wq_wdata[16*q_lane +: 16];

    // the host or the registered write owns the port this cycle; its address is ready a cycle
    // early, so the request's word (the late input) meets it in one last select (issue 16)
    wire          q_take = h_en || q_wr;
    wire [AW-1:0] q_take_addr = h_en ? h_addr : q_addr;
    wire [AW-1:0] b_addr = q_take ? q_take_addr : b_word;
    wire          b_we_now = h_en ? h_we : q_wr;
    wire [15:0]   b_wd_now = h_en ? h_wdata[16*b +: 16] : q_data;

    reg [15:0] mem [0:DEPTH-1];
    reg [15:0] a_q_reg;
    reg [15:0] b_q_reg;

    // block RAM powers up as zeros: so does the model (no X in a row's unwritten slack pixels)
    integer i;
    initial begin
        for (i = 0; i < DEPTH; i = i + 1) begin
            mem[i] = 16'd0;
        end
    end

    always @(posedge clk) begin
        if (a_en) begin
            a_q_reg <= mem[a_addr];
        end
        if (b_en || q_take) begin
            if (b_we_now) begin
                mem[b_addr] <= b_wd_now;
            end
            b_q_reg <= mem[b_addr];
        end
    end

    assign a_q[16*b +: 16] = a_q_reg;
    assign b_q[16*b +: 16] = b_q_reg;
end
endgenerate

// crossbar: lane l takes bank (x + l*stride) mod 2L
always @(posedge clk) begin
    a_x_d <= a_x[BW-1:0];
    a_s2_d <= a_s2;
    b_x_d <= b_x[BW-1:0];
    b_s2_d <= b_s2;
end

`ifdef ACCEL_ASSERTS
// verilator coverage_off
// the registered port-B write (wq_*) owns the RAM port in the cycle after its request:
// no port-B read then (a host access wins over it: only after a unit's reset can they meet)
always @(posedge clk) begin
    assert (!wq_en || !(b_en && !b_we)) else $error("fm_stack: wq_port: port-B read in the cycle after a port-B write");
    // a stride-2 write enables lanes 0..L-1 only (its lanes L..2L-1 would meet the same banks)
    assert (!(b_en && b_we && b_s2) || b_wmask[BANKS-1:LANES] == {LANES{1'b0}}) else $error("fm_stack: b_wide_s2: a stride-2 write enables a lane >= LANES");
end
// verilator coverage_on
`endif

genvar l;
generate
for (l = 0; l < LANES; l = l + 1) begin : g_lane
    localparam integer STEP1I = l;
    localparam integer STEP2I = 2 * l;
    localparam [BW-1:0] STEP1 = STEP1I[BW-1:0];
    localparam [BW-1:0] STEP2 = STEP2I[BW-1:0];
    wire [BW-1:0] a_sel = a_x_d + (a_s2_d ? STEP2 : STEP1);
    wire [BW-1:0] b_sel = b_x_d + (b_s2_d ? STEP2 : STEP1);
    always @(posedge clk) begin
        a_rdata[16*l +: 16] <= a_q[16*a_sel +: 16];
        b_rdata[16*l +: 16] <= b_q[16*b_sel +: 16];
    end
end
endgenerate

endmodule

`resetall
