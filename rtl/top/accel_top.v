/*
 * Sparse CNN training accelerator top: AXI4-Lite control registers, an AXI4 master DMA, the
 * feature-map stack, the weight / index / gradient / bias memories, the compute units and a
 * sequencer that runs a program of descriptors (docs/program.md) without host help: loads,
 * per-image loops over a mini-batch, unit commands, stores.
 *
 * Parameters: as uc_unit (LANES, KMAX, CMAX, NMAX, HMAX, WMAX, FM_DEPTH, WDEPTH, PDEPTH, BDEPTH),
 * plus PROG_DEPTH (descriptors the program memory holds) and AXI_ID_W.
 *
 * Latency: a descriptor costs its unit's cycles (or its DMA transfer) plus about 4 cycles of
 * fetch and decode.
 */

`resetall
`timescale 1ns / 1ps
`default_nettype none

module accel_top #
(
    // MAC lanes (power of two)
    parameter LANES = 8,
    // largest kernel size
    parameter KMAX = 11,
    // largest input channel count
    parameter CMAX = 256,
    // largest output channel count
    parameter NMAX = 256,
    // largest map height
    parameter HMAX = 256,
    // largest map width
    parameter WMAX = 256,
    // stack words per bank
    parameter FM_DEPTH = 4096,
    // weight / index / gradient memory depth
    parameter WDEPTH = 65536,
    // pointer memory depth
    parameter PDEPTH = 1024,
    // bias memory depth
    parameter BDEPTH = 1024,
    // descriptors the program memory holds
    parameter PROG_DEPTH = 256,
    // largest class count of the loss unit
    parameter CLASSES_MAX = 1024,
    // AXI ID width
    parameter AXI_ID_W = 4
)
(
    input  wire                clk,
    input  wire                rst,

    // AXI4-Lite slave: control and status registers (docs/registers.md)
    input  wire [7:0]          s_axil_awaddr,
    input  wire [2:0]          s_axil_awprot,
    input  wire                s_axil_awvalid,
    output wire                s_axil_awready,
    input  wire [31:0]         s_axil_wdata,
    input  wire [3:0]          s_axil_wstrb,
    input  wire                s_axil_wvalid,
    output wire                s_axil_wready,
    output wire [1:0]          s_axil_bresp,
    output wire                s_axil_bvalid,
    input  wire                s_axil_bready,
    input  wire [7:0]          s_axil_araddr,
    input  wire [2:0]          s_axil_arprot,
    input  wire                s_axil_arvalid,
    output wire                s_axil_arready,
    output wire [31:0]         s_axil_rdata,
    output wire [1:0]          s_axil_rresp,
    output wire                s_axil_rvalid,
    input  wire                s_axil_rready,

    // AXI4 master: host / DDR memory
    output wire [AXI_ID_W-1:0] m_axi_awid,
    output wire [31:0]         m_axi_awaddr,
    output wire [7:0]          m_axi_awlen,
    output wire [2:0]          m_axi_awsize,
    output wire [1:0]          m_axi_awburst,
    output wire                m_axi_awlock,
    output wire [3:0]          m_axi_awcache,
    output wire [2:0]          m_axi_awprot,
    output wire                m_axi_awvalid,
    input  wire                m_axi_awready,
    output wire [31:0]         m_axi_wdata,
    output wire [3:0]          m_axi_wstrb,
    output wire                m_axi_wlast,
    output wire                m_axi_wvalid,
    input  wire                m_axi_wready,
    input  wire [AXI_ID_W-1:0] m_axi_bid,
    input  wire [1:0]          m_axi_bresp,
    input  wire                m_axi_bvalid,
    output wire                m_axi_bready,
    output wire [AXI_ID_W-1:0] m_axi_arid,
    output wire [31:0]         m_axi_araddr,
    output wire [7:0]          m_axi_arlen,
    output wire [2:0]          m_axi_arsize,
    output wire [1:0]          m_axi_arburst,
    output wire                m_axi_arlock,
    output wire [3:0]          m_axi_arcache,
    output wire [2:0]          m_axi_arprot,
    output wire                m_axi_arvalid,
    input  wire                m_axi_arready,
    input  wire [AXI_ID_W-1:0] m_axi_rid,
    input  wire [31:0]         m_axi_rdata,
    input  wire [1:0]          m_axi_rresp,
    input  wire                m_axi_rlast,
    input  wire                m_axi_rvalid,
    output wire                m_axi_rready,

    // interrupt (done / error, masked by IRQ_EN)
    output wire                irq
);

localparam BANKS = 2 * LANES;
localparam HST_W = (BANKS * 16 > 64) ? BANKS * 16 : 64;
localparam FM_AW = $clog2(FM_DEPTH);
localparam WAW = $clog2(WDEPTH);
localparam PAW = $clog2(PDEPTH);
localparam BAW = $clog2(BDEPTH);
localparam PGAW = (PROG_DEPTH > 1) ? $clog2(PROG_DEPTH) : 1;
localparam K_W = (KMAX > 1) ? $clog2(KMAX) : 1;
localparam C_W = (CMAX > 1) ? $clog2(CMAX) : 1;
localparam N_W = (NMAX > 1) ? $clog2(NMAX) : 1;
localparam FIDX_W = 2 * K_W + C_W;
localparam BIDX_W = 2 * K_W + N_W + WAW;
localparam PTR_W = 2 * WAW + 1;
localparam XW = 20;
// 32-bit host words per memory word
localparam integer STACK_BEATS_I = (BANKS * 16 + 31) / 32;
localparam integer BIDX_BEATS_I = (BIDX_W + 31) / 32;
localparam integer PTR_BEATS_I = (PTR_W + 31) / 32;
localparam [5:0] STACK_BEATS = STACK_BEATS_I[5:0];
localparam [5:0] BIDX_BEATS = BIDX_BEATS_I[5:0];
localparam [5:0] PTR_BEATS = PTR_BEATS_I[5:0];

localparam [31:0] FM_DEPTH_32 = FM_DEPTH, WDEPTH_32 = WDEPTH, PDEPTH_32 = PDEPTH,
                  BDEPTH_32 = BDEPTH, PROG_DEPTH_32 = PROG_DEPTH;

// opcodes (docs/program.md)
localparam [7:0] OP_END = 8'h00, OP_LOAD = 8'h01, OP_STORE = 8'h02, OP_LOOP = 8'h03,
                 OP_ENDLOOP = 8'h04, OP_UC = 8'h10, OP_MP = 8'h11, OP_GAP = 8'h12,
                 OP_LC = 8'h13, OP_LOSS = 8'h14;
// memory selectors of LOAD / STORE
localparam [3:0] SEL_STACK = 4'd0, SEL_WGT = 4'd1, SEL_FIDX = 4'd2, SEL_BIDX = 4'd3,
                 SEL_PTR = 4'd4, SEL_GRAD = 4'd5, SEL_BIAS = 4'd6, SEL_BGRAD = 4'd7,
                 SEL_LABEL = 4'd15;
// error codes
localparam [7:0] E_NONE = 8'h00, E_OPCODE = 8'h01, E_AXI = 8'h02, E_DMA = 8'h03, E_LOOP = 8'h04,
                 E_PROG = 8'h05, E_RUNAWAY = 8'h06, E_WATCHDOG = 8'h07, E_UC = 8'h10, E_MP = 8'h20, E_GAP = 8'h30,
                 E_LC = 8'h40, E_LOSS = 8'h50;

localparam [3:0] S_IDLE = 4'd0, S_FETCH = 4'd1, S_RD0 = 4'd2, S_RD1 = 4'd3, S_EXEC = 4'd4,
                 S_LOAD = 4'd5, S_STORE_RD = 4'd6, S_STORE_LAT = 4'd7, S_STORE_W = 4'd8,
                 S_STORE_END = 4'd9, S_UNIT = 4'd10, S_UNIT_WAIT = 4'd11, S_END = 4'd12;

// --------------------------------------------------------------------------- registers
wire start, soft_reset;
wire [31:0] prog_addr;
wire [15:0] prog_len;
wire [31:0] watchdog;
// A stop (CTRL.SOFT_RESET, or the watchdog) aborts the DMA, which finishes its AXI burst in
// flight by the protocol; once it is idle the sequencer and the units are reset. A watchdog
// stop then ends the run with ERR WATCHDOG (done, irq); a soft reset ends it quietly.
reg  stop_pending, stop_wd;
wire dma_idle;
wire wd_fire;
wire stop_now = stop_pending && dma_idle;
wire rst_int = rst || stop_now;
always @(posedge clk) begin
    if (rst || stop_now) begin
        stop_pending <= 1'b0;
        stop_wd <= 1'b0;
    end else if (soft_reset) begin
        stop_pending <= 1'b1;
        stop_wd <= 1'b0;
    end else if (wd_fire) begin
        stop_pending <= 1'b1;
        stop_wd <= 1'b1;
    end
end

reg [3:0]   state;
reg [15:0]  pc;
reg [511:0] desc;
reg [7:0]   err_code;
reg         done_pulse;
reg         in_loop;
reg [15:0]  loop_pc;
reg [31:0]  loop_cnt, loop_iter;
reg [15:0]  label_reg;       // the current image's label (for the loss unit; 16'hffff when the
                             // word had bits 31:16 set, so LOSS answers BAD_LABEL)
reg [15:0]  prog_len_run;    // PROG_LEN latched at START
reg         desc_bad;        // the descriptor in `desc` has a reserved bit set ...
reg [7:0]   desc_err;        // ... and this is its error code
reg [31:0]  cnt_total, cnt_uc, cnt_pool, cnt_lc, cnt_dma;
reg [31:0]  n_correct, loss_sum;

// descriptor fields
wire [7:0]  d_op = desc[7:0];
/* verilator lint_off UNUSEDSIGNAL */
wire [7:0]  d_sub = desc[15:8];
wire [7:0]  d_flags = desc[23:16];
/* verilator lint_on UNUSEDSIGNAL */
wire [31:0] d_w1 = desc[63:32];
wire [31:0] d_w2 = desc[95:64];
wire [31:0] d_w3 = desc[127:96];
wire [31:0] d_w4 = desc[159:128];
wire [31:0] d_w5 = desc[191:160];
wire [31:0] d_w6 = desc[223:192];
wire [31:0] d_w7 = desc[255:224];
wire [31:0] d_w8 = desc[287:256];
wire [31:0] d_w9 = desc[319:288];
wire [31:0] d_w10 = desc[351:320];

axil_regs u_regs (
    .clk(clk), .rst(rst),
    .s_axil_awaddr(s_axil_awaddr), .s_axil_awprot(s_axil_awprot),
    .s_axil_awvalid(s_axil_awvalid), .s_axil_awready(s_axil_awready),
    .s_axil_wdata(s_axil_wdata), .s_axil_wstrb(s_axil_wstrb), .s_axil_wvalid(s_axil_wvalid),
    .s_axil_wready(s_axil_wready), .s_axil_bresp(s_axil_bresp), .s_axil_bvalid(s_axil_bvalid),
    .s_axil_bready(s_axil_bready), .s_axil_araddr(s_axil_araddr), .s_axil_arprot(s_axil_arprot),
    .s_axil_arvalid(s_axil_arvalid), .s_axil_arready(s_axil_arready),
    .s_axil_rdata(s_axil_rdata), .s_axil_rresp(s_axil_rresp), .s_axil_rvalid(s_axil_rvalid),
    .s_axil_rready(s_axil_rready),
    .start(start), .soft_reset(soft_reset), .prog_addr(prog_addr), .prog_len(prog_len),
    .watchdog(watchdog), .busy(state != S_IDLE || stop_pending), .done(done_pulse), .err_code(err_code), .err_pc(pc),
    .cnt_total(cnt_total), .cnt_uc(cnt_uc), .cnt_pool(cnt_pool), .cnt_lc(cnt_lc),
    .cnt_dma(cnt_dma), .n_correct(n_correct), .loss_sum(loss_sum),
    .irq(irq)
);

// ------------------------------------------------------------------------------- DMA
reg         dma_cmd_valid;
reg         dma_cmd_dir;
reg [31:0]  dma_cmd_addr;
reg [23:0]  dma_cmd_len;
wire        dma_done, dma_err, dma_rd_valid, dma_rd_err, dma_wr_ready;
// the sequencer raises a DMA command for one cycle only while the DMA is idle
/* verilator lint_off UNUSEDSIGNAL */
wire        dma_cmd_ready;
/* verilator lint_on UNUSEDSIGNAL */
reg         word_err;        // a beat of the word being assembled came with an error response
wire [31:0] dma_rd_data;
wire        dma_wr_valid = (state == S_STORE_W);
reg [HST_W-1:0] beat_buf;
reg [5:0]   beat_idx;
wire [31:0] dma_wr_data = beat_buf[32*beat_idx +: 32];

dma #(.ID_W(AXI_ID_W)) u_dma (
    .clk(clk), .rst(rst_int), .abort(stop_pending), .idle(dma_idle),
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

// -------------------------------------------------------------------- program memory
reg [511:0] prog_mem [0:PROG_DEPTH-1];
reg [511:0] prog_rdata;
reg [PGAW-1:0] prog_raddr;
always @(posedge clk) begin
    prog_rdata <= prog_mem[prog_raddr];
end
// defined contents from power-up (a 4-state simulator would show X before the first fetch)
integer pm_i;
initial begin
    for (pm_i = 0; pm_i < PROG_DEPTH; pm_i = pm_i + 1) begin
        prog_mem[pm_i] = 512'd0;
    end
    prog_rdata = 512'd0;
end

// reserved bits of the descriptor being read (docs/program.md "Fields"), registered with it
wire       rsv_bad;
wire [7:0] rsv_err;
desc_check u_desc_check (.s_desc(prog_rdata), .bad(rsv_bad), .err(rsv_err));

// ----------------------------------------------------------------- memory host port
// The sequencer's loader owns every memory's second port while it moves data (the units are
// idle then), exactly as the test harnesses' host port does.
reg  [3:0]       hp_sel;
reg  [31:0]      hp_addr;
reg              hp_we;
reg  [HST_W-1:0] hp_wdata;
wire [HST_W-1:0] hp_rdata;
wire             uc_busy, mp_busy, gap_busy, lc_busy, loss_busy;
wire             any_busy = uc_busy || mp_busy || gap_busy || lc_busy || loss_busy;
wire             host = !any_busy;
wire             hw = host && hp_we;

// memory word width in 32-bit beats, by selector
function [5:0] beats_of;
    input [3:0] sel;
    begin
        case (sel)
        SEL_STACK: beats_of = STACK_BEATS;
        SEL_BIDX: beats_of = BIDX_BEATS;
        SEL_PTR: beats_of = PTR_BEATS;
        default: beats_of = 6'd1;
        endcase
    end
endfunction

function [31:0] depth_of;
    input [3:0] sel;
    begin
        case (sel)
        SEL_STACK: depth_of = FM_DEPTH_32;
        SEL_WGT, SEL_FIDX, SEL_BIDX, SEL_GRAD: depth_of = WDEPTH_32;
        SEL_PTR: depth_of = PDEPTH_32;
        SEL_BIAS, SEL_BGRAD: depth_of = BDEPTH_32;
        SEL_LABEL: depth_of = 32'd1;
        default: depth_of = 32'd0;
        endcase
    end
endfunction

// ----------------------------------------------------------------------------- UC unit
reg         uc_cmd_valid;
wire        uc_rsp_valid;
wire [3:0]  uc_rsp_status;
// the sequencer only raises a command while the unit is idle, and times units by their busy
/* verilator lint_off UNUSEDSIGNAL */
wire        uc_cmd_ready;
wire [31:0] uc_rsp_cycles;
/* verilator lint_on UNUSEDSIGNAL */

// stack ports of each unit (u = uc, mp, gap, lc, loss) and the muxed ones
`define STACK_WIRES(u) \
    wire u``_fma_en, u``_fma_s2, u``_fmb_en, u``_fmb_we, u``_fmb_s2; \
    wire [FM_AW-1:0] u``_fma_row, u``_fmb_row; \
    wire signed [XW-1:0] u``_fma_x, u``_fmb_x; \
    wire [LANES*16-1:0] u``_fmb_wdata; \
    wire [LANES-1:0] u``_fmb_wmask;
`STACK_WIRES(uc)
`STACK_WIRES(mp)
`STACK_WIRES(gap)
`STACK_WIRES(lc)
`STACK_WIRES(loss)
`undef STACK_WIRES
wire [LANES*16-1:0] fma_rdata, fmb_rdata;
wire [BANKS*16-1:0] fm_h_rdata;

// the weight / gradient / bias memories serve the UC and the LC unit
`define SHARED_MEM_WIRES(u) \
    wire u``_wgt_rd_en, u``_wgt_wr_en, u``_grad_rd_en, u``_grad_wr_en; \
    wire u``_bias_rd_en, u``_bias_wr_en, u``_bgrad_rd_en, u``_bgrad_wr_en; \
    wire [WAW-1:0] u``_wgt_rd_addr, u``_wgt_wr_addr, u``_grad_rd_addr, u``_grad_wr_addr; \
    wire [BAW-1:0] u``_bias_rd_addr, u``_bias_wr_addr, u``_bgrad_rd_addr, u``_bgrad_wr_addr; \
    wire [15:0] u``_wgt_wr_data; \
    wire [31:0] u``_grad_wr_data, u``_bias_wr_data, u``_bgrad_wr_data;
`SHARED_MEM_WIRES(uc)
`SHARED_MEM_WIRES(lc)
`undef SHARED_MEM_WIRES
wire wgt_rd_en, wgt_wr_en, fidx_rd_en, bidx_rd_en, ptr_rd_en, grad_rd_en, grad_wr_en;
wire bias_rd_en, bias_wr_en, bgrad_rd_en, bgrad_wr_en;
wire [WAW-1:0] wgt_rd_addr, wgt_wr_addr, fidx_rd_addr, bidx_rd_addr, grad_rd_addr, grad_wr_addr;
wire [PAW-1:0] ptr_rd_addr;
wire [BAW-1:0] bias_rd_addr, bias_wr_addr, bgrad_rd_addr, bgrad_wr_addr;
wire [15:0] wgt_rd_data, wgt_wr_data;
wire [FIDX_W-1:0] fidx_rd_data;
wire [BIDX_W-1:0] bidx_rd_data;
wire [PTR_W-1:0] ptr_rd_data;
wire [31:0] grad_rd_data, grad_wr_data, bias_rd_data, bias_wr_data, bgrad_rd_data, bgrad_wr_data;

wire uc_gacc = d_flags[2] || (d_flags[3] && loop_iter != 32'd0);

uc_unit #(
    .LANES(LANES), .KMAX(KMAX), .CMAX(CMAX), .NMAX(NMAX), .HMAX(HMAX), .WMAX(WMAX),
    .FM_DEPTH(FM_DEPTH), .WDEPTH(WDEPTH), .PDEPTH(PDEPTH), .BDEPTH(BDEPTH)
) u_uc (
    .clk(clk), .rst(rst_int),
    .s_cmd_valid(uc_cmd_valid), .s_cmd_ready(uc_cmd_ready), .s_cmd_mode(d_sub[2:0]),
    .s_cmd_cin(d_w1[15:0]), .s_cmd_cout(d_w1[31:16]), .s_cmd_h(d_w2[15:0]), .s_cmd_w(d_w2[31:16]),
    .s_cmd_k(d_w3[7:0]), .s_cmd_stride(d_w3[15:8]), .s_cmd_dil(d_w3[23:16]), .s_cmd_pad(d_w3[31:24]),
    .s_cmd_shift(d_w4[7:0]), .s_cmd_relu(d_flags[0]), .s_cmd_bgrad(d_flags[1]),
    .s_cmd_gacc(uc_gacc), .s_cmd_x_base(d_w5), .s_cmd_y_base(d_w6),
    .s_cmd_fptr_base(d_w7), .s_cmd_bptr_base(d_w8), .s_cmd_bias_base(d_w9),
    .s_cmd_lr_mult(d_w10[15:0]), .s_cmd_lr_shift(d_w4[13:8]), .s_cmd_lr_mult_b(d_w10[31:16]),
    .s_cmd_lr_shift_b(d_w4[21:16]),
    .m_rsp_valid(uc_rsp_valid), .m_rsp_ready(1'b1), .m_rsp_status(uc_rsp_status),
    .m_rsp_cycles(uc_rsp_cycles), .busy(uc_busy),
    .fma_en(uc_fma_en), .fma_row(uc_fma_row), .fma_x(uc_fma_x), .fma_s2(uc_fma_s2), .fma_rdata(fma_rdata),
    .fmb_en(uc_fmb_en), .fmb_we(uc_fmb_we), .fmb_row(uc_fmb_row), .fmb_x(uc_fmb_x), .fmb_s2(uc_fmb_s2),
    .fmb_wdata(uc_fmb_wdata), .fmb_wmask(uc_fmb_wmask), .fmb_rdata(fmb_rdata),
    .wgt_rd_en(uc_wgt_rd_en), .wgt_rd_addr(uc_wgt_rd_addr), .wgt_rd_data(wgt_rd_data),
    .wgt_wr_en(uc_wgt_wr_en), .wgt_wr_addr(uc_wgt_wr_addr), .wgt_wr_data(uc_wgt_wr_data),
    .fidx_rd_en(fidx_rd_en), .fidx_rd_addr(fidx_rd_addr), .fidx_rd_data(fidx_rd_data),
    .bidx_rd_en(bidx_rd_en), .bidx_rd_addr(bidx_rd_addr), .bidx_rd_data(bidx_rd_data),
    .ptr_rd_en(ptr_rd_en), .ptr_rd_addr(ptr_rd_addr), .ptr_rd_data(ptr_rd_data),
    .grad_rd_en(uc_grad_rd_en), .grad_rd_addr(uc_grad_rd_addr), .grad_rd_data(grad_rd_data),
    .grad_wr_en(uc_grad_wr_en), .grad_wr_addr(uc_grad_wr_addr), .grad_wr_data(uc_grad_wr_data),
    .bias_rd_en(uc_bias_rd_en), .bias_rd_addr(uc_bias_rd_addr), .bias_rd_data(bias_rd_data),
    .bias_wr_en(uc_bias_wr_en), .bias_wr_addr(uc_bias_wr_addr), .bias_wr_data(uc_bias_wr_data),
    .bgrad_rd_en(uc_bgrad_rd_en), .bgrad_rd_addr(uc_bgrad_rd_addr), .bgrad_rd_data(bgrad_rd_data),
    .bgrad_wr_en(uc_bgrad_wr_en), .bgrad_wr_addr(uc_bgrad_wr_addr), .bgrad_wr_data(uc_bgrad_wr_data)
);


// ------------------------------------------------------------------- MP, GAP, LC, loss
reg         mp_cmd_valid, gap_cmd_valid, lc_cmd_valid, loss_cmd_valid;
wire        mp_rsp_valid, gap_rsp_valid, lc_rsp_valid, loss_rsp_valid;
wire [3:0]  mp_rsp_status, gap_rsp_status, lc_rsp_status, loss_rsp_status;
wire [15:0] loss_rsp_pred, loss_rsp_loss;
/* verilator lint_off UNUSEDSIGNAL */
wire        mp_cmd_ready, gap_cmd_ready, lc_cmd_ready, loss_cmd_ready;
wire [31:0] mp_rsp_cycles, gap_rsp_cycles, lc_rsp_cycles, loss_rsp_cycles;
/* verilator lint_on UNUSEDSIGNAL */

mp_unit #(.LANES(LANES), .CMAX(CMAX), .HMAX(HMAX), .WMAX(WMAX), .FM_DEPTH(FM_DEPTH)) u_mp (
    .clk(clk), .rst(rst_int),
    .s_cmd_valid(mp_cmd_valid), .s_cmd_ready(mp_cmd_ready), .s_cmd_mode(d_sub[2:0]),
    .s_cmd_c(d_w1[15:0]), .s_cmd_h(d_w2[15:0]), .s_cmd_w(d_w2[31:16]),
    .s_cmd_x_base(d_w5), .s_cmd_y_base(d_w6), .s_cmd_a_base(d_w7),
    .m_rsp_valid(mp_rsp_valid), .m_rsp_ready(1'b1), .m_rsp_status(mp_rsp_status),
    .m_rsp_cycles(mp_rsp_cycles), .busy(mp_busy),
    .fma_en(mp_fma_en), .fma_row(mp_fma_row), .fma_x(mp_fma_x), .fma_s2(mp_fma_s2), .fma_rdata(fma_rdata),
    .fmb_en(mp_fmb_en), .fmb_we(mp_fmb_we), .fmb_row(mp_fmb_row), .fmb_x(mp_fmb_x), .fmb_s2(mp_fmb_s2),
    .fmb_wdata(mp_fmb_wdata), .fmb_wmask(mp_fmb_wmask), .fmb_rdata(fmb_rdata)
);

gap_unit #(.LANES(LANES), .CMAX(CMAX), .HMAX(HMAX), .WMAX(WMAX), .FM_DEPTH(FM_DEPTH)) u_gap (
    .clk(clk), .rst(rst_int),
    .s_cmd_valid(gap_cmd_valid), .s_cmd_ready(gap_cmd_ready), .s_cmd_mode(d_sub[2:0]),
    .s_cmd_c(d_w1[15:0]), .s_cmd_h(d_w2[15:0]), .s_cmd_w(d_w2[31:16]),
    .s_cmd_x_base(d_w5), .s_cmd_y_base(d_w6),
    .m_rsp_valid(gap_rsp_valid), .m_rsp_ready(1'b1), .m_rsp_status(gap_rsp_status),
    .m_rsp_cycles(gap_rsp_cycles), .busy(gap_busy),
    .fma_en(gap_fma_en), .fma_row(gap_fma_row), .fma_x(gap_fma_x), .fma_s2(gap_fma_s2), .fma_rdata(fma_rdata),
    .fmb_en(gap_fmb_en), .fmb_we(gap_fmb_we), .fmb_row(gap_fmb_row), .fmb_x(gap_fmb_x), .fmb_s2(gap_fmb_s2),
    .fmb_wdata(gap_fmb_wdata), .fmb_wmask(gap_fmb_wmask), .fmb_rdata(fmb_rdata)
);

lc_unit #(.LANES(LANES), .CMAX(CMAX), .NMAX(NMAX), .FM_DEPTH(FM_DEPTH), .WDEPTH(WDEPTH),
          .BDEPTH(BDEPTH)) u_lc (
    .clk(clk), .rst(rst_int),
    .s_cmd_valid(lc_cmd_valid), .s_cmd_ready(lc_cmd_ready), .s_cmd_mode(d_sub[2:0]),
    .s_cmd_cin(d_w1[15:0]), .s_cmd_cout(d_w1[31:16]), .s_cmd_shift(d_w4[7:0]),
    .s_cmd_relu(d_flags[0]), .s_cmd_bgrad(d_flags[1]), .s_cmd_gacc(uc_gacc),
    .s_cmd_x_base(d_w5), .s_cmd_y_base(d_w6), .s_cmd_w_base(d_w7), .s_cmd_bias_base(d_w9),
    .s_cmd_lr_mult(d_w10[15:0]), .s_cmd_lr_shift(d_w4[13:8]), .s_cmd_lr_mult_b(d_w10[31:16]),
    .s_cmd_lr_shift_b(d_w4[21:16]),
    .m_rsp_valid(lc_rsp_valid), .m_rsp_ready(1'b1), .m_rsp_status(lc_rsp_status),
    .m_rsp_cycles(lc_rsp_cycles), .busy(lc_busy),
    .fma_en(lc_fma_en), .fma_row(lc_fma_row), .fma_x(lc_fma_x), .fma_s2(lc_fma_s2), .fma_rdata(fma_rdata),
    .fmb_en(lc_fmb_en), .fmb_we(lc_fmb_we), .fmb_row(lc_fmb_row), .fmb_x(lc_fmb_x), .fmb_s2(lc_fmb_s2),
    .fmb_wdata(lc_fmb_wdata), .fmb_wmask(lc_fmb_wmask), .fmb_rdata(fmb_rdata),
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
    .clk(clk), .rst(rst_int),
    .s_cmd_valid(loss_cmd_valid), .s_cmd_ready(loss_cmd_ready),
    .s_cmd_k(d_w1[15:0]), .s_cmd_label(label_reg), .s_cmd_in_frac(d_w3[3:0]),
    .s_cmd_grad_frac(d_w3[11:8]), .s_cmd_y_base(d_w5), .s_cmd_g_base(d_w6),
    .m_rsp_valid(loss_rsp_valid), .m_rsp_ready(1'b1), .m_rsp_status(loss_rsp_status),
    .m_rsp_cycles(loss_rsp_cycles), .m_rsp_pred(loss_rsp_pred), .m_rsp_loss(loss_rsp_loss),
    .busy(loss_busy),
    .fma_en(loss_fma_en), .fma_row(loss_fma_row), .fma_x(loss_fma_x), .fma_s2(loss_fma_s2), .fma_rdata(fma_rdata),
    .fmb_en(loss_fmb_en), .fmb_we(loss_fmb_we), .fmb_row(loss_fmb_row), .fmb_x(loss_fmb_x), .fmb_s2(loss_fmb_s2),
    .fmb_wdata(loss_fmb_wdata), .fmb_wmask(loss_fmb_wmask), .fmb_rdata(fmb_rdata)
);

// one unit runs at a time: its busy selects its ports (the UC unit's otherwise)
`define SEL5(sig) (mp_busy ? mp_``sig : gap_busy ? gap_``sig : lc_busy ? lc_``sig : loss_busy ? loss_``sig : uc_``sig)
wire fma_en = `SEL5(fma_en);
wire [FM_AW-1:0] fma_row = `SEL5(fma_row);
wire signed [XW-1:0] fma_x = `SEL5(fma_x);
wire fma_s2 = `SEL5(fma_s2);
wire fmb_en = `SEL5(fmb_en);
wire fmb_we = `SEL5(fmb_we);
wire [FM_AW-1:0] fmb_row = `SEL5(fmb_row);
wire signed [XW-1:0] fmb_x = `SEL5(fmb_x);
wire fmb_s2 = `SEL5(fmb_s2);
wire [LANES*16-1:0] fmb_wdata = `SEL5(fmb_wdata);
wire [LANES-1:0] fmb_wmask = `SEL5(fmb_wmask);
`undef SEL5
`define SEL2(sig) (lc_busy ? lc_``sig : uc_``sig)
assign wgt_rd_en = `SEL2(wgt_rd_en);
assign wgt_rd_addr = `SEL2(wgt_rd_addr);
assign wgt_wr_en = `SEL2(wgt_wr_en);
assign wgt_wr_addr = `SEL2(wgt_wr_addr);
assign wgt_wr_data = `SEL2(wgt_wr_data);
assign grad_rd_en = `SEL2(grad_rd_en);
assign grad_rd_addr = `SEL2(grad_rd_addr);
assign grad_wr_en = `SEL2(grad_wr_en);
assign grad_wr_addr = `SEL2(grad_wr_addr);
assign grad_wr_data = `SEL2(grad_wr_data);
assign bias_rd_en = `SEL2(bias_rd_en);
assign bias_rd_addr = `SEL2(bias_rd_addr);
assign bias_wr_en = `SEL2(bias_wr_en);
assign bias_wr_addr = `SEL2(bias_wr_addr);
assign bias_wr_data = `SEL2(bias_wr_data);
assign bgrad_rd_en = `SEL2(bgrad_rd_en);
assign bgrad_rd_addr = `SEL2(bgrad_rd_addr);
assign bgrad_wr_en = `SEL2(bgrad_wr_en);
assign bgrad_wr_addr = `SEL2(bgrad_wr_addr);
assign bgrad_wr_data = `SEL2(bgrad_wr_data);
`undef SEL2

// ------------------------------------------------------------------------- memories
fm_stack #(.LANES(LANES), .DEPTH(FM_DEPTH), .XW(XW)) u_stack (
    .clk(clk),
    .a_en(fma_en), .a_row(fma_row), .a_x(fma_x), .a_s2(fma_s2), .a_rdata(fma_rdata),
    .b_en(fmb_en), .b_we(fmb_we), .b_row(fmb_row), .b_x(fmb_x), .b_s2(fmb_s2),
    .b_wdata(fmb_wdata), .b_wmask(fmb_wmask), .b_rdata(fmb_rdata),
    .h_en(host), .h_we(hw && hp_sel == SEL_STACK), .h_addr(hp_addr[FM_AW-1:0]),
    .h_wdata(hp_wdata[BANKS*16-1:0]), .h_rdata(fm_h_rdata)
);

sdp_ram #(.DATA_W(16), .DEPTH(WDEPTH)) u_wgt (
    .clk(clk),
    .wr_en(host ? (hw && hp_sel == SEL_WGT) : wgt_wr_en),
    .wr_addr(host ? hp_addr[WAW-1:0] : wgt_wr_addr),
    .wr_data(host ? hp_wdata[15:0] : wgt_wr_data),
    .rd_en(host ? 1'b1 : wgt_rd_en), .rd_addr(host ? hp_addr[WAW-1:0] : wgt_rd_addr),
    .rd_data(wgt_rd_data));

sdp_ram #(.DATA_W(FIDX_W), .DEPTH(WDEPTH)) u_fidx (
    .clk(clk),
    .wr_en(hw && hp_sel == SEL_FIDX), .wr_addr(hp_addr[WAW-1:0]), .wr_data(hp_wdata[FIDX_W-1:0]),
    .rd_en(host ? 1'b1 : fidx_rd_en), .rd_addr(host ? hp_addr[WAW-1:0] : fidx_rd_addr),
    .rd_data(fidx_rd_data));

sdp_ram #(.DATA_W(BIDX_W), .DEPTH(WDEPTH)) u_bidx (
    .clk(clk),
    .wr_en(hw && hp_sel == SEL_BIDX), .wr_addr(hp_addr[WAW-1:0]), .wr_data(hp_wdata[BIDX_W-1:0]),
    .rd_en(host ? 1'b1 : bidx_rd_en), .rd_addr(host ? hp_addr[WAW-1:0] : bidx_rd_addr),
    .rd_data(bidx_rd_data));

sdp_ram #(.DATA_W(PTR_W), .DEPTH(PDEPTH)) u_ptr (
    .clk(clk),
    .wr_en(hw && hp_sel == SEL_PTR), .wr_addr(hp_addr[PAW-1:0]), .wr_data(hp_wdata[PTR_W-1:0]),
    .rd_en(host ? 1'b1 : ptr_rd_en), .rd_addr(host ? hp_addr[PAW-1:0] : ptr_rd_addr),
    .rd_data(ptr_rd_data));

sdp_ram #(.DATA_W(32), .DEPTH(WDEPTH)) u_grad (
    .clk(clk),
    .wr_en(host ? (hw && hp_sel == SEL_GRAD) : grad_wr_en),
    .wr_addr(host ? hp_addr[WAW-1:0] : grad_wr_addr),
    .wr_data(host ? hp_wdata[31:0] : grad_wr_data),
    .rd_en(host ? 1'b1 : grad_rd_en), .rd_addr(host ? hp_addr[WAW-1:0] : grad_rd_addr),
    .rd_data(grad_rd_data));

sdp_ram #(.DATA_W(32), .DEPTH(BDEPTH)) u_bias (
    .clk(clk),
    .wr_en(host ? (hw && hp_sel == SEL_BIAS) : bias_wr_en),
    .wr_addr(host ? hp_addr[BAW-1:0] : bias_wr_addr),
    .wr_data(host ? hp_wdata[31:0] : bias_wr_data),
    .rd_en(host ? 1'b1 : bias_rd_en), .rd_addr(host ? hp_addr[BAW-1:0] : bias_rd_addr),
    .rd_data(bias_rd_data));

sdp_ram #(.DATA_W(32), .DEPTH(BDEPTH)) u_bgrad (
    .clk(clk),
    .wr_en(host ? (hw && hp_sel == SEL_BGRAD) : bgrad_wr_en),
    .wr_addr(host ? hp_addr[BAW-1:0] : bgrad_wr_addr),
    .wr_data(host ? hp_wdata[31:0] : bgrad_wr_data),
    .rd_en(host ? 1'b1 : bgrad_rd_en), .rd_addr(host ? hp_addr[BAW-1:0] : bgrad_rd_addr),
    .rd_data(bgrad_rd_data));

reg [3:0] hp_sel_d;
always @(posedge clk) begin
    hp_sel_d <= hp_sel;
end

reg [HST_W-1:0] hp_rdata_mux;
always @* begin
    hp_rdata_mux = {HST_W{1'b0}};
    case (hp_sel_d)
    SEL_STACK: hp_rdata_mux[BANKS*16-1:0] = fm_h_rdata;
    SEL_WGT: hp_rdata_mux[15:0] = wgt_rd_data;
    SEL_FIDX: hp_rdata_mux[FIDX_W-1:0] = fidx_rd_data;
    SEL_BIDX: hp_rdata_mux[BIDX_W-1:0] = bidx_rd_data;
    SEL_PTR: hp_rdata_mux[PTR_W-1:0] = ptr_rd_data;
    SEL_GRAD: hp_rdata_mux[31:0] = grad_rd_data;
    SEL_BIAS: hp_rdata_mux[31:0] = bias_rd_data;
    SEL_BGRAD: hp_rdata_mux[31:0] = bgrad_rd_data;
    default: hp_rdata_mux = {HST_W{1'b0}};
    endcase
end
assign hp_rdata = hp_rdata_mux;

// ------------------------------------------------------------------------- sequencer
// the response of whichever unit ran, and the error class it maps to
wire        rsp_valid = uc_rsp_valid || mp_rsp_valid || gap_rsp_valid || lc_rsp_valid || loss_rsp_valid;
wire [3:0]  rsp_status = uc_rsp_valid ? uc_rsp_status : mp_rsp_valid ? mp_rsp_status :
                         gap_rsp_valid ? gap_rsp_status : lc_rsp_valid ? lc_rsp_status : loss_rsp_status;
wire [7:0]  rsp_err = uc_rsp_valid ? E_UC : mp_rsp_valid ? E_MP : gap_rsp_valid ? E_GAP :
                      lc_rsp_valid ? E_LC : E_LOSS;

reg [5:0]   beats_per_word;
reg         ld_adv;          // LOAD: a word was completed last cycle (hp_addr moves on)
reg [31:0]  words_left;      // LOAD / STORE: memory words still to move
reg [PGAW:0] fetch_idx;

// host address of a LOAD / STORE (64 bits: a transfer whose last byte passes 2^32, also through
// a loop's step, is refused with E_DMA before any beat, as is an address not 4-byte aligned)
wire [63:0] host_off = in_loop ? {32'd0, loop_iter} * {32'd0, d_w4} : 64'd0;
wire [63:0] host_first = {32'd0, d_w1} + host_off;
wire [25:0] host_words = {6'd0, d_w2[19:0]} * {20'd0, beats_of(d_sel)};
wire [63:0] host_bytes = {36'd0, host_words, 2'b00};
wire [63:0] host_end = host_first + host_bytes;    // one past the last byte
wire        host_bad = host_first[1:0] != 2'b00 || host_end > 64'h1_0000_0000;
wire [31:0] dma_host_addr = host_first[31:0];
wire [3:0]  d_sel = d_sub[3:0];
// the program fetch: PROG_ADDR aligned and PROG_ADDR + 64 * PROG_LEN within 2^32
wire [32:0] prog_end = {1'b0, prog_addr} + {11'd0, prog_len, 6'd0};
wire        prog_bad = prog_len == 16'd0 || {16'd0, prog_len} > PROG_DEPTH_32 ||
                       prog_addr[1:0] != 2'b00 || prog_end > 33'h1_0000_0000;
// not in S_END: that cycle already ends the run (one done per run, never a second)
assign wd_fire = watchdog != 32'd0 && state != S_IDLE && state != S_END && !stop_pending &&
                 cnt_total >= watchdog;
wire [32:0] d_range_end = {1'b0, d_w3} + {1'b0, d_w2};
wire        sel_known = (d_sel <= SEL_BGRAD) || (d_sel == SEL_LABEL);
wire        dma_range_bad = !sel_known || d_w2 == 32'd0 || d_w2 > 32'h000f_ffff ||
                            d_range_end > {1'b0, depth_of(d_sel)};

always @(posedge clk) begin
    done_pulse <= 1'b0;
    dma_cmd_valid <= 1'b0;
    uc_cmd_valid <= 1'b0;
    mp_cmd_valid <= 1'b0;
    gap_cmd_valid <= 1'b0;
    lc_cmd_valid <= 1'b0;
    loss_cmd_valid <= 1'b0;
    hp_we <= 1'b0;

    if (state != S_IDLE) begin
        cnt_total <= cnt_total + 1'b1;
    end
    if (uc_busy) begin
        cnt_uc <= cnt_uc + 1'b1;
    end
    if (mp_busy || gap_busy) begin
        cnt_pool <= cnt_pool + 1'b1;
    end
    if (lc_busy || loss_busy) begin
        cnt_lc <= cnt_lc + 1'b1;
    end
    if (state == S_FETCH || state == S_LOAD || state == S_STORE_RD || state == S_STORE_LAT ||
        state == S_STORE_W || state == S_STORE_END) begin
        cnt_dma <= cnt_dma + 1'b1;
    end

    case (state)
    S_IDLE: begin
        if (start) begin
            pc <= 16'd0;
            in_loop <= 1'b0;
            loop_iter <= 32'd0;
            err_code <= E_NONE;
            cnt_total <= 32'd1;
            cnt_uc <= 32'd0;
            cnt_pool <= 32'd0;
            cnt_lc <= 32'd0;
            cnt_dma <= 32'd0;
            n_correct <= 32'd0;
            loss_sum <= 32'd0;
            prog_len_run <= prog_len;
            if (prog_bad) begin
                err_code <= E_PROG;
                state <= S_END;
            end else begin
                dma_cmd_valid <= 1'b1;
                dma_cmd_dir <= 1'b0;
                dma_cmd_addr <= prog_addr;
                dma_cmd_len <= {4'd0, prog_len, 4'd0};
                fetch_idx <= {(PGAW+1){1'b0}};
                beat_idx <= 6'd0;
                state <= S_FETCH;
            end
        end
    end
    S_FETCH: begin
        if (dma_rd_valid) begin
            desc[32*beat_idx +: 32] <= dma_rd_data;
            if (beat_idx == 6'd15) begin
                beat_idx <= 6'd0;
                fetch_idx <= fetch_idx + 1'b1;
            end else begin
                beat_idx <= beat_idx + 1'b1;
            end
        end
        if (dma_done) begin
            if (dma_err) begin
                err_code <= E_AXI;
                state <= S_END;
            end else begin
                state <= S_RD0;
            end
        end
    end
    S_RD0: begin
        if (pc >= prog_len_run) begin
            err_code <= E_RUNAWAY;
            state <= S_END;
        end else begin
            state <= S_RD1;
        end
    end
    S_RD1: begin
        desc <= prog_rdata;
        desc_bad <= rsv_bad;
        desc_err <= rsv_err;
        state <= S_EXEC;
    end
    S_EXEC: begin
        // a pending stop dispatches nothing more
        if (stop_pending) begin
            state <= S_EXEC;
        end else if (desc_bad) begin
            err_code <= desc_err;
            state <= S_END;
        end else case (d_op)
        OP_END: state <= S_END;
        OP_LOOP: begin
            if (in_loop || d_w1 == 32'd0) begin
                err_code <= E_LOOP;
                state <= S_END;
            end else begin
                in_loop <= 1'b1;
                loop_pc <= pc + 1'b1;
                loop_cnt <= d_w1;
                loop_iter <= 32'd0;
                pc <= pc + 1'b1;
                state <= S_RD0;
            end
        end
        OP_ENDLOOP: begin
            if (!in_loop) begin
                err_code <= E_LOOP;
                state <= S_END;
            end else if (loop_iter + 1'b1 < loop_cnt) begin
                loop_iter <= loop_iter + 1'b1;
                pc <= loop_pc;
                state <= S_RD0;
            end else begin
                in_loop <= 1'b0;
                loop_iter <= 32'd0;
                pc <= pc + 1'b1;
                state <= S_RD0;
            end
        end
        OP_LOAD, OP_STORE: begin
            if (dma_range_bad || host_bad || (d_sel == SEL_LABEL && d_op == OP_STORE)) begin
                err_code <= E_DMA;
                state <= S_END;
            end else begin
                beats_per_word <= beats_of(d_sel);
                words_left <= d_w2;
                hp_sel <= d_sel;
                hp_addr <= d_w3;
                beat_idx <= 6'd0;
                word_err <= 1'b0;
                ld_adv <= 1'b0;
                dma_cmd_valid <= 1'b1;
                dma_cmd_dir <= (d_op == OP_STORE);
                dma_cmd_addr <= dma_host_addr;
                dma_cmd_len <= d_w2[23:0] * {18'd0, beats_of(d_sel)};
                state <= (d_op == OP_LOAD) ? S_LOAD : S_STORE_RD;
            end
        end
        OP_UC: begin
            uc_cmd_valid <= 1'b1;
            state <= S_UNIT;
        end
        OP_MP: begin
            mp_cmd_valid <= 1'b1;
            state <= S_UNIT;
        end
        OP_GAP: begin
            gap_cmd_valid <= 1'b1;
            state <= S_UNIT;
        end
        OP_LC: begin
            lc_cmd_valid <= 1'b1;
            state <= S_UNIT;
        end
        OP_LOSS: begin
            loss_cmd_valid <= 1'b1;
            state <= S_UNIT;
        end
        default: begin
            err_code <= E_OPCODE;
            state <= S_END;
        end
        endcase
    end
    S_LOAD: begin
        // the word completed last cycle was written at hp_addr then (unless it had an error
        // beat); hp_addr moves on either way, so every word keeps its own slot
        if (ld_adv) begin
            hp_addr <= hp_addr + 1'b1;
        end
        ld_adv <= 1'b0;
        if (dma_rd_valid) begin
            hp_wdata[32*beat_idx +: 32] <= dma_rd_data;
            if (beat_idx + 1'b1 == beats_per_word) begin
                beat_idx <= 6'd0;
                word_err <= 1'b0;
                if (hp_sel == SEL_LABEL) begin
                    if (!dma_rd_err) begin
                        label_reg <= (dma_rd_data[31:16] != 16'd0) ? 16'hffff : dma_rd_data[15:0];
                    end
                end else begin
                    hp_we <= !(word_err || dma_rd_err);
                    ld_adv <= 1'b1;
                end
            end else begin
                beat_idx <= beat_idx + 1'b1;
                word_err <= word_err || dma_rd_err;
            end
        end
        if (dma_done) begin
            if (dma_err) begin
                err_code <= E_AXI;
                state <= S_END;
            end else begin
                pc <= pc + 1'b1;
                state <= S_RD0;
            end
        end
    end
    S_STORE_RD: begin
        // hp_addr is on the memories' read port this cycle
        state <= S_STORE_LAT;
    end
    S_STORE_LAT: begin
        beat_buf <= hp_rdata;
        beat_idx <= 6'd0;
        state <= S_STORE_W;
    end
    S_STORE_W: begin
        if (dma_wr_ready) begin
            if (beat_idx + 1'b1 == beats_per_word) begin
                beat_idx <= 6'd0;
                words_left <= words_left - 1'b1;
                hp_addr <= hp_addr + 1'b1;
                state <= (words_left == 32'd1) ? S_STORE_END : S_STORE_RD;
            end else begin
                beat_idx <= beat_idx + 1'b1;
            end
        end
    end
    S_STORE_END: begin
        if (dma_done) begin
            if (dma_err) begin
                err_code <= E_AXI;
                state <= S_END;
            end else begin
                pc <= pc + 1'b1;
                state <= S_RD0;
            end
        end
    end
    S_UNIT: begin
        // the command is taken in the cycle uc_cmd_valid is high (the unit is idle)
        state <= S_UNIT_WAIT;
    end
    S_UNIT_WAIT: begin
        if (rsp_valid) begin
            if (rsp_status != 4'd0) begin
                err_code <= rsp_err | {4'd0, rsp_status};
                state <= S_END;
            end else begin
                if (loss_rsp_valid) begin
                    n_correct <= n_correct + {31'd0, loss_rsp_pred == label_reg};
                    loss_sum <= loss_sum + {16'd0, loss_rsp_loss};
                end
                pc <= pc + 1'b1;
                state <= S_RD0;
            end
        end
    end
    default: begin
        // S_END; with a stop pending the stop ends the run instead (one done, or none after a
        // soft reset), so the run never reports two ends
        if (!stop_pending) begin
            done_pulse <= 1'b1;
            state <= S_IDLE;
        end
    end
    endcase

    // a write error response ends the DMA transfer early (no later burst): the STORE stops
    if (dma_done && dma_err &&
        (state == S_STORE_RD || state == S_STORE_LAT || state == S_STORE_W)) begin
        err_code <= E_AXI;
        state <= S_END;
    end

    if (rst_int) begin
        // a watchdog stop ends the run with an error (done, irq); reset and soft reset quietly
        state <= S_IDLE;
        err_code <= (stop_wd && !rst) ? E_WATCHDOG : E_NONE;
        done_pulse <= stop_wd && !rst;
        label_reg <= 16'd0;
        desc_bad <= 1'b0;
        ld_adv <= 1'b0;
        dma_cmd_valid <= 1'b0;
        uc_cmd_valid <= 1'b0;
        mp_cmd_valid <= 1'b0;
        gap_cmd_valid <= 1'b0;
        lc_cmd_valid <= 1'b0;
        loss_cmd_valid <= 1'b0;
        hp_we <= 1'b0;
        in_loop <= 1'b0;
        prog_len_run <= 16'd0;
    end
    // the counters of a stopped run stay readable; only a hard reset clears them
    if (rst) begin
        cnt_total <= 32'd0;
        cnt_uc <= 32'd0;
        cnt_pool <= 32'd0;
        cnt_lc <= 32'd0;
        cnt_dma <= 32'd0;
        n_correct <= 32'd0;
        loss_sum <= 32'd0;
    end
end

// program memory write: the assembled descriptor, one cycle after its 16th beat
reg prog_we;
reg [PGAW-1:0] prog_waddr;
always @(posedge clk) begin
    prog_we <= (state == S_FETCH) && dma_rd_valid && beat_idx == 6'd15;
    prog_waddr <= fetch_idx[PGAW-1:0];
    if (prog_we) begin
        prog_mem[prog_waddr] <= desc;
    end
end

always @* begin
    prog_raddr = pc[PGAW-1:0];
end

endmodule

`resetall
