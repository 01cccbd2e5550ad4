/*
 * Memory subsystem of the accelerator: the on-chip memories with their host port (mem_core:
 * the feature-map stack and the WGT, FIDX, BIDX, PTR, GRAD, BIAS, BGRAD RAMs) and the muxes that
 * give their unit ports to the unit that runs. One unit runs at a time: the stack ports go to
 * the busy one of MP, GAP, LC and loss (the UC unit's otherwise), the weight, gradient and bias
 * RAMs to the LC unit while it is busy (the UC unit's otherwise); the index and pointer RAMs
 * serve the UC unit alone. While no unit is busy the host port (the sequencer's LOAD / STORE)
 * owns the memories (mem_core).
 *
 * Contracts (immediate assertions when ACCEL_ASSERTS is defined, as rtl/common/stream_assert.v):
 * at most one unit busy; a unit drives its memory enables only while it is busy (the muxes
 * select by busy); the host port writes only while no unit is busy.
 *
 * Parameters: as uc_unit (LANES, KMAX, CMAX, NMAX, FM_DEPTH, WDEPTH, PDEPTH, BDEPTH), each
 * commented below.
 *
 * Latency: the muxes are combinational; memories as mem_core (RAM and host reads 1 cycle, stack
 * ports A and B 2 cycles).
 */

`resetall
`timescale 1ns / 1ps
`default_nettype none

module mem_subsys #
(
    // stack vector lanes (power of two): 2*LANES banks
    parameter LANES = 8,
    // largest kernel size (index word widths)
    parameter KMAX = 11,
    // largest input channel count (FIDX word width)
    parameter CMAX = 256,
    // largest output channel count (BIDX word width)
    parameter NMAX = 256,
    // stack words per bank
    parameter FM_DEPTH = 4096,
    // weight / index / gradient memory depth
    parameter WDEPTH = 65536,
    // pointer memory depth
    parameter PDEPTH = 1024,
    // bias memory depth
    parameter BDEPTH = 1024
)
(
    input  wire                     clk,
    input  wire                     rst,            // the units' reset (assertions only)

    // which unit runs
    input  wire                     uc_busy,
    input  wire                     mp_busy,
    input  wire                     gap_busy,
    input  wire                     lc_busy,
    input  wire                     loss_busy,

    // host port (mem_core): owns the memories while no unit is busy
    input  wire [3:0]               hp_sel,
    input  wire [31:0]              hp_addr,
    input  wire                     hp_we,
    input  wire [HST_W-1:0]         hp_wdata,
    output wire [HST_W-1:0]         hp_rdata,

    // uc unit: stack ports
    input  wire                     uc_fma_en,
    input  wire [FM_AW-1:0]         uc_fma_row,
    input  wire signed [XW-1:0]     uc_fma_x,
    input  wire                     uc_fma_s2,
    input  wire                     uc_fmb_en,
    input  wire                     uc_fmb_we,
    input  wire [FM_AW-1:0]         uc_fmb_row,
    input  wire signed [XW-1:0]     uc_fmb_x,
    input  wire                     uc_fmb_s2,
    input  wire [LANES*16-1:0]      uc_fmb_wdata,
    input  wire [LANES-1:0]         uc_fmb_wmask,

    // mp unit: stack ports
    input  wire                     mp_fma_en,
    input  wire [FM_AW-1:0]         mp_fma_row,
    input  wire signed [XW-1:0]     mp_fma_x,
    input  wire                     mp_fma_s2,
    input  wire                     mp_fmb_en,
    input  wire                     mp_fmb_we,
    input  wire [FM_AW-1:0]         mp_fmb_row,
    input  wire signed [XW-1:0]     mp_fmb_x,
    input  wire                     mp_fmb_s2,
    input  wire [LANES*16-1:0]      mp_fmb_wdata,
    input  wire [LANES-1:0]         mp_fmb_wmask,

    // gap unit: stack ports
    input  wire                     gap_fma_en,
    input  wire [FM_AW-1:0]         gap_fma_row,
    input  wire signed [XW-1:0]     gap_fma_x,
    input  wire                     gap_fma_s2,
    input  wire                     gap_fmb_en,
    input  wire                     gap_fmb_we,
    input  wire [FM_AW-1:0]         gap_fmb_row,
    input  wire signed [XW-1:0]     gap_fmb_x,
    input  wire                     gap_fmb_s2,
    input  wire [LANES*16-1:0]      gap_fmb_wdata,
    input  wire [LANES-1:0]         gap_fmb_wmask,

    // lc unit: stack ports
    input  wire                     lc_fma_en,
    input  wire [FM_AW-1:0]         lc_fma_row,
    input  wire signed [XW-1:0]     lc_fma_x,
    input  wire                     lc_fma_s2,
    input  wire                     lc_fmb_en,
    input  wire                     lc_fmb_we,
    input  wire [FM_AW-1:0]         lc_fmb_row,
    input  wire signed [XW-1:0]     lc_fmb_x,
    input  wire                     lc_fmb_s2,
    input  wire [LANES*16-1:0]      lc_fmb_wdata,
    input  wire [LANES-1:0]         lc_fmb_wmask,

    // loss unit: stack ports
    input  wire                     loss_fma_en,
    input  wire [FM_AW-1:0]         loss_fma_row,
    input  wire signed [XW-1:0]     loss_fma_x,
    input  wire                     loss_fma_s2,
    input  wire                     loss_fmb_en,
    input  wire                     loss_fmb_we,
    input  wire [FM_AW-1:0]         loss_fmb_row,
    input  wire signed [XW-1:0]     loss_fmb_x,
    input  wire                     loss_fmb_s2,
    input  wire [LANES*16-1:0]      loss_fmb_wdata,
    input  wire [LANES-1:0]         loss_fmb_wmask,
    output wire [LANES*16-1:0]      fma_rdata,
    output wire [LANES*16-1:0]      fmb_rdata,

    // uc unit: weight, gradient, bias and bias-gradient RAM ports
    input  wire                     uc_wgt_rd_en,
    input  wire [WAW-1:0]           uc_wgt_rd_addr,
    input  wire                     uc_wgt_wr_en,
    input  wire [WAW-1:0]           uc_wgt_wr_addr,
    input  wire [15:0]              uc_wgt_wr_data,
    input  wire                     uc_grad_rd_en,
    input  wire [WAW-1:0]           uc_grad_rd_addr,
    input  wire                     uc_grad_wr_en,
    input  wire [WAW-1:0]           uc_grad_wr_addr,
    input  wire [31:0]              uc_grad_wr_data,
    input  wire                     uc_bias_rd_en,
    input  wire [BAW-1:0]           uc_bias_rd_addr,
    input  wire                     uc_bias_wr_en,
    input  wire [BAW-1:0]           uc_bias_wr_addr,
    input  wire [31:0]              uc_bias_wr_data,
    input  wire                     uc_bgrad_rd_en,
    input  wire [BAW-1:0]           uc_bgrad_rd_addr,
    input  wire                     uc_bgrad_wr_en,
    input  wire [BAW-1:0]           uc_bgrad_wr_addr,
    input  wire [31:0]              uc_bgrad_wr_data,

    // lc unit: weight, gradient, bias and bias-gradient RAM ports
    input  wire                     lc_wgt_rd_en,
    input  wire [WAW-1:0]           lc_wgt_rd_addr,
    input  wire                     lc_wgt_wr_en,
    input  wire [WAW-1:0]           lc_wgt_wr_addr,
    input  wire [15:0]              lc_wgt_wr_data,
    input  wire                     lc_grad_rd_en,
    input  wire [WAW-1:0]           lc_grad_rd_addr,
    input  wire                     lc_grad_wr_en,
    input  wire [WAW-1:0]           lc_grad_wr_addr,
    input  wire [31:0]              lc_grad_wr_data,
    input  wire                     lc_bias_rd_en,
    input  wire [BAW-1:0]           lc_bias_rd_addr,
    input  wire                     lc_bias_wr_en,
    input  wire [BAW-1:0]           lc_bias_wr_addr,
    input  wire [31:0]              lc_bias_wr_data,
    input  wire                     lc_bgrad_rd_en,
    input  wire [BAW-1:0]           lc_bgrad_rd_addr,
    input  wire                     lc_bgrad_wr_en,
    input  wire [BAW-1:0]           lc_bgrad_wr_addr,
    input  wire [31:0]              lc_bgrad_wr_data,
    output wire [15:0]              wgt_rd_data,
    output wire [31:0]              grad_rd_data,
    output wire [31:0]              bias_rd_data,
    output wire [31:0]              bgrad_rd_data,

    // UC unit: index and pointer RAM ports (read only)
    input  wire                     fidx_rd_en,
    input  wire [WAW-1:0]           fidx_rd_addr,
    output wire [FIDX_W-1:0]        fidx_rd_data,
    input  wire                     bidx_rd_en,
    input  wire [WAW-1:0]           bidx_rd_addr,
    output wire [BIDX_W-1:0]        bidx_rd_data,
    input  wire                     ptr_rd_en,
    input  wire [PAW-1:0]           ptr_rd_addr,
    output wire [PTR_W-1:0]         ptr_rd_data
);

localparam BANKS = 2 * LANES;
localparam HST_W = (BANKS * 16 > 64) ? BANKS * 16 : 64;
localparam FM_AW = $clog2(FM_DEPTH);
localparam WAW = $clog2(WDEPTH);
localparam PAW = $clog2(PDEPTH);
localparam BAW = $clog2(BDEPTH);
localparam K_W = (KMAX > 1) ? $clog2(KMAX) : 1;
localparam C_W = (CMAX > 1) ? $clog2(CMAX) : 1;
localparam N_W = (NMAX > 1) ? $clog2(NMAX) : 1;
localparam FIDX_W = 2 * K_W + C_W;
localparam BIDX_W = 2 * K_W + N_W + WAW;
localparam PTR_W = 2 * WAW + 1;
localparam XW = 20;

wire host = !(uc_busy || mp_busy || gap_busy || lc_busy || loss_busy);

// stack ports of the unit that runs (the UC unit's when none of the others is busy)
reg                     fma_en, fma_s2, fmb_en, fmb_we, fmb_s2;
reg [FM_AW-1:0]         fma_row, fmb_row;
reg signed [XW-1:0]     fma_x, fmb_x;
reg [LANES*16-1:0]      fmb_wdata;
reg [LANES-1:0]         fmb_wmask;

always @* begin
    if (mp_busy) begin
        fma_en = mp_fma_en;
        fma_row = mp_fma_row;
        fma_x = mp_fma_x;
        fma_s2 = mp_fma_s2;
        fmb_en = mp_fmb_en;
        fmb_we = mp_fmb_we;
        fmb_row = mp_fmb_row;
        fmb_x = mp_fmb_x;
        fmb_s2 = mp_fmb_s2;
        fmb_wdata = mp_fmb_wdata;
        fmb_wmask = mp_fmb_wmask;
    end else if (gap_busy) begin
        fma_en = gap_fma_en;
        fma_row = gap_fma_row;
        fma_x = gap_fma_x;
        fma_s2 = gap_fma_s2;
        fmb_en = gap_fmb_en;
        fmb_we = gap_fmb_we;
        fmb_row = gap_fmb_row;
        fmb_x = gap_fmb_x;
        fmb_s2 = gap_fmb_s2;
        fmb_wdata = gap_fmb_wdata;
        fmb_wmask = gap_fmb_wmask;
    end else if (lc_busy) begin
        fma_en = lc_fma_en;
        fma_row = lc_fma_row;
        fma_x = lc_fma_x;
        fma_s2 = lc_fma_s2;
        fmb_en = lc_fmb_en;
        fmb_we = lc_fmb_we;
        fmb_row = lc_fmb_row;
        fmb_x = lc_fmb_x;
        fmb_s2 = lc_fmb_s2;
        fmb_wdata = lc_fmb_wdata;
        fmb_wmask = lc_fmb_wmask;
    end else if (loss_busy) begin
        fma_en = loss_fma_en;
        fma_row = loss_fma_row;
        fma_x = loss_fma_x;
        fma_s2 = loss_fma_s2;
        fmb_en = loss_fmb_en;
        fmb_we = loss_fmb_we;
        fmb_row = loss_fmb_row;
        fmb_x = loss_fmb_x;
        fmb_s2 = loss_fmb_s2;
        fmb_wdata = loss_fmb_wdata;
        fmb_wmask = loss_fmb_wmask;
    end else begin
        fma_en = uc_fma_en;
        fma_row = uc_fma_row;
        fma_x = uc_fma_x;
        fma_s2 = uc_fma_s2;
        fmb_en = uc_fmb_en;
        fmb_we = uc_fmb_we;
        fmb_row = uc_fmb_row;
        fmb_x = uc_fmb_x;
        fmb_s2 = uc_fmb_s2;
        fmb_wdata = uc_fmb_wdata;
        fmb_wmask = uc_fmb_wmask;
    end
end

// weight, gradient and bias RAM ports of the LC unit while it is busy, else the UC unit's
reg             wgt_rd_en, wgt_wr_en, grad_rd_en, grad_wr_en;
reg             bias_rd_en, bias_wr_en, bgrad_rd_en, bgrad_wr_en;
reg [WAW-1:0]   wgt_rd_addr, wgt_wr_addr, grad_rd_addr, grad_wr_addr;
reg [BAW-1:0]   bias_rd_addr, bias_wr_addr, bgrad_rd_addr, bgrad_wr_addr;
reg [15:0]      wgt_wr_data;
reg [31:0]      grad_wr_data, bias_wr_data, bgrad_wr_data;

always @* begin
    if (lc_busy) begin
        wgt_rd_en = lc_wgt_rd_en;
        wgt_rd_addr = lc_wgt_rd_addr;
        wgt_wr_en = lc_wgt_wr_en;
        wgt_wr_addr = lc_wgt_wr_addr;
        wgt_wr_data = lc_wgt_wr_data;
        grad_rd_en = lc_grad_rd_en;
        grad_rd_addr = lc_grad_rd_addr;
        grad_wr_en = lc_grad_wr_en;
        grad_wr_addr = lc_grad_wr_addr;
        grad_wr_data = lc_grad_wr_data;
        bias_rd_en = lc_bias_rd_en;
        bias_rd_addr = lc_bias_rd_addr;
        bias_wr_en = lc_bias_wr_en;
        bias_wr_addr = lc_bias_wr_addr;
        bias_wr_data = lc_bias_wr_data;
        bgrad_rd_en = lc_bgrad_rd_en;
        bgrad_rd_addr = lc_bgrad_rd_addr;
        bgrad_wr_en = lc_bgrad_wr_en;
        bgrad_wr_addr = lc_bgrad_wr_addr;
        bgrad_wr_data = lc_bgrad_wr_data;
    end else begin
        wgt_rd_en = uc_wgt_rd_en;
        wgt_rd_addr = uc_wgt_rd_addr;
        wgt_wr_en = uc_wgt_wr_en;
        wgt_wr_addr = uc_wgt_wr_addr;
        wgt_wr_data = uc_wgt_wr_data;
        grad_rd_en = uc_grad_rd_en;
        grad_rd_addr = uc_grad_rd_addr;
        grad_wr_en = uc_grad_wr_en;
        grad_wr_addr = uc_grad_wr_addr;
        grad_wr_data = uc_grad_wr_data;
        bias_rd_en = uc_bias_rd_en;
        bias_rd_addr = uc_bias_rd_addr;
        bias_wr_en = uc_bias_wr_en;
        bias_wr_addr = uc_bias_wr_addr;
        bias_wr_data = uc_bias_wr_data;
        bgrad_rd_en = uc_bgrad_rd_en;
        bgrad_rd_addr = uc_bgrad_rd_addr;
        bgrad_wr_en = uc_bgrad_wr_en;
        bgrad_wr_addr = uc_bgrad_wr_addr;
        bgrad_wr_data = uc_bgrad_wr_data;
    end
end

mem_core #(
    .LANES(LANES), .KMAX(KMAX), .CMAX(CMAX), .NMAX(NMAX), .FM_DEPTH(FM_DEPTH), .WDEPTH(WDEPTH),
    .PDEPTH(PDEPTH), .BDEPTH(BDEPTH)
) u_mem (
    .clk(clk),
    .host(host), .hp_sel(hp_sel), .hp_addr(hp_addr), .hp_we(hp_we), .hp_wdata(hp_wdata),
    .hp_rdata(hp_rdata),
    .fma_en(fma_en), .fma_row(fma_row), .fma_x(fma_x), .fma_s2(fma_s2), .fma_rdata(fma_rdata),
    .fmb_en(fmb_en), .fmb_we(fmb_we), .fmb_row(fmb_row), .fmb_x(fmb_x), .fmb_s2(fmb_s2),
    .fmb_wdata(fmb_wdata), .fmb_wmask(fmb_wmask), .fmb_rdata(fmb_rdata),
    .wgt_rd_en(wgt_rd_en), .wgt_rd_addr(wgt_rd_addr), .wgt_rd_data(wgt_rd_data),
    .wgt_wr_en(wgt_wr_en), .wgt_wr_addr(wgt_wr_addr), .wgt_wr_data(wgt_wr_data),
    .fidx_rd_en(fidx_rd_en), .fidx_rd_addr(fidx_rd_addr), .fidx_rd_data(fidx_rd_data),
    .bidx_rd_en(bidx_rd_en), .bidx_rd_addr(bidx_rd_addr), .bidx_rd_data(bidx_rd_data),
    .ptr_rd_en(ptr_rd_en), .ptr_rd_addr(ptr_rd_addr), .ptr_rd_data(ptr_rd_data),
    .grad_rd_en(grad_rd_en), .grad_rd_addr(grad_rd_addr), .grad_rd_data(grad_rd_data),
    .grad_wr_en(grad_wr_en), .grad_wr_addr(grad_wr_addr), .grad_wr_data(grad_wr_data),
    .bias_rd_en(bias_rd_en), .bias_rd_addr(bias_rd_addr), .bias_rd_data(bias_rd_data),
    .bias_wr_en(bias_wr_en), .bias_wr_addr(bias_wr_addr), .bias_wr_data(bias_wr_data),
    .bgrad_rd_en(bgrad_rd_en), .bgrad_rd_addr(bgrad_rd_addr), .bgrad_rd_data(bgrad_rd_data),
    .bgrad_wr_en(bgrad_wr_en), .bgrad_wr_addr(bgrad_wr_addr), .bgrad_wr_data(bgrad_wr_data)
);

`ifdef ACCEL_ASSERTS
// verilator coverage_off
// the muxes select by busy: one unit at a time, and a unit's memory ports only while it runs
wire uc_mem = uc_fma_en || uc_fmb_en || uc_wgt_rd_en || uc_wgt_wr_en || uc_grad_rd_en ||
              uc_grad_wr_en || uc_bias_rd_en || uc_bias_wr_en || uc_bgrad_rd_en ||
              uc_bgrad_wr_en || fidx_rd_en || bidx_rd_en || ptr_rd_en;
wire lc_mem = lc_fma_en || lc_fmb_en || lc_wgt_rd_en || lc_wgt_wr_en || lc_grad_rd_en ||
              lc_grad_wr_en || lc_bias_rd_en || lc_bias_wr_en || lc_bgrad_rd_en ||
              lc_bgrad_wr_en;

always @(posedge clk) begin
    if (!rst) begin
        assert ($onehot0({uc_busy, mp_busy, gap_busy, lc_busy, loss_busy})) else $error("mem_subsys: one_unit: more than one unit busy");
        assert (!uc_mem || uc_busy) else $error("mem_subsys: uc_ports: UC memory access while not busy");
        assert (!(mp_fma_en || mp_fmb_en) || mp_busy) else $error("mem_subsys: mp_ports: MP stack access while not busy");
        assert (!(gap_fma_en || gap_fmb_en) || gap_busy) else $error("mem_subsys: gap_ports: GAP stack access while not busy");
        assert (!lc_mem || lc_busy) else $error("mem_subsys: lc_ports: LC memory access while not busy");
        assert (!(loss_fma_en || loss_fmb_en) || loss_busy) else $error("mem_subsys: loss_ports: loss stack access while not busy");
        assert (!hp_we || host) else $error("mem_subsys: host_we: host port write while a unit is busy");
    end
end
// verilator coverage_on
`else
wire unused = &{1'b0, rst};
`endif

endmodule

`resetall
