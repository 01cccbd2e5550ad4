/*
 * Harness of the accelerator top for long simulations: accel_top with its host memory on the
 * HDL side, so no Python runs per clock cycle (docs/performance.md, "Simulator speed").
 *
 * accel_top's AXI4 master goes through axi_stall_gate (optional random stalls, LFSR-driven) to
 * an AXI4 RAM (verif/hdl/axi_host_ram.v, our own; no third-party HDL in this repository). The
 * AXI-Lite register port and the interrupt are the harness's ports; a testbench drives the
 * registers between programs (cocotbext-axi AxiLiteMaster), waits for irq (IRQ_EN set), and
 * loads and reads the host memory through the backdoor: the RAM's array
 * (u_ram.mem[word], HOST_ADDR_W - 2 address bits, 32-bit words) is the one signal made public
 * to the simulator (verif/hdl/accel_top_hdlmem.vlt; verif/common/hdl_tb.py).
 *
 * Host memory map: the RAM answers every address, decoding only the low HOST_ADDR_W bits, so
 * HIGH_ALIAS + a (verif/common/top_tb.py) reaches the same word as a. There are no unmapped
 * addresses and no error responses here: the SLVERR and fault tests stay on the cocotbext-axi
 * path (verif/common/top_tb.py).
 *
 * Clock: the clk port, driven by the testbench (cocotb's GPI clock), or, in a build with
 * +define+HDLMEM_HDL_CLOCK (Verilator --timing), the harness's own 10 ns clock clk_gen (the clk
 * port is then unused): no call through the simulator interface on any clock edge.
 *
 * Parameters: as accel_top (LANES, KMAX, CMAX, NMAX, HMAX, WMAX, FM_DEPTH, WDEPTH, PDEPTH, BDEPTH,
 * PROG_DEPTH, CLASSES_MAX, AXI_ID_W), plus HOST_ADDR_W (host memory of 2^HOST_ADDR_W bytes).
 *
 * Timing: read data one cycle after the address handshake, one beat a cycle; W beats one a cycle
 * from the cycle after the AW handshake; B two cycles after the last W beat (the RAM's cycle plus
 * a response register). That is what cocotbext-axi's AxiRam does without pauses for this DMA
 * (one burst in flight), so a program costs the same cycles on both paths
 * (verif/tests/test_accel_top_hdlmem.py checks it).
 */

`resetall
`timescale 1ns / 1ps
`default_nettype none

module accel_top_hdlmem #
(
`include "top_params.vh"
    // host memory size: 2^HOST_ADDR_W bytes (the RAM decodes the low HOST_ADDR_W address bits)
    parameter HOST_ADDR_W = 20,
`include "uc_params.vh"
)
(
    input  wire        clk,
    input  wire        rst,

    // random AXI stalls on the host memory link (axi_stall_gate); seed: LFSR value at reset
    input  wire        stall_en,
    input  wire [31:0] stall_seed,

    // AXI4-Lite slave: control and status registers (docs/registers.md)
`include "top_axil_ports.vh"

    // interrupt (done / error, masked by IRQ_EN)
    output wire        irq
);

// ------------------------------------------------------------------ clock
wire core_clk;
`ifdef HDLMEM_HDL_CLOCK
reg clk_gen = 1'b0;
always #5 clk_gen = !clk_gen;
assign core_clk = clk_gen;
`else
assign core_clk = clk;
`endif

// ------------------------------------------------------------------ accel_top <-> stall gate
wire [AXI_ID_W-1:0] awid, bid, arid, rid;
wire [31:0]         wdata, rdata;
/* verilator lint_off UNUSEDSIGNAL */
wire [31:0]         awaddr, araddr;     // the RAM decodes bits HOST_ADDR_W-1:0
/* verilator lint_on UNUSEDSIGNAL */
wire [7:0]          awlen, arlen;
wire [2:0]          awsize, arsize;
wire [1:0]          awburst, arburst, bresp, rresp;
wire                wlast, rlast;
wire [3:0]          wstrb;
// AxLOCK / AxCACHE / AxPROT: the RAM has no use for them (no exclusive access, no protection)
/* verilator lint_off UNUSEDSIGNAL */
wire [2:0]          awprot, arprot;
wire                awlock, arlock;
wire [3:0]          awcache, arcache;
/* verilator lint_on UNUSEDSIGNAL */
wire                awvalid, awready, wvalid, wready, bvalid, bready;
wire                arvalid, arready, rvalid, rready;

// stall gate <-> RAM handshakes (B through the response register below)
wire                ram_awvalid, ram_awready, ram_wvalid, ram_wready, ram_bvalid, ram_bready;
wire                ram_arvalid, ram_arready, ram_rvalid, ram_rready;
wire                gate_bvalid, gate_bready;
wire [AXI_ID_W-1:0] ram_bid;
wire [1:0]          ram_bresp;

// B response register: one cycle between the RAM's response and the gate, the cycle
// cocotbext-axi's AxiRam takes (it answers on the clock edge after the last W beat), so that
// every STORE burst costs the same on both paths
reg                 b_valid_reg, b_valid_next;
reg [AXI_ID_W-1:0]  b_id_reg, b_id_next;
reg [1:0]           b_resp_reg, b_resp_next;

assign ram_bready  = !b_valid_reg;
assign gate_bvalid = b_valid_reg;
assign bid         = b_id_reg;
assign bresp       = b_resp_reg;

always @* begin
    b_valid_next = b_valid_reg && !gate_bready;
    b_id_next = b_id_reg;
    b_resp_next = b_resp_reg;
    if (ram_bvalid && ram_bready) begin
        b_valid_next = 1'b1;
        b_id_next = ram_bid;
        b_resp_next = ram_bresp;
    end
end

always @(posedge core_clk) begin
    b_valid_reg <= b_valid_next;
    b_id_reg <= b_id_next;
    b_resp_reg <= b_resp_next;
    if (rst) begin
        b_valid_reg <= 1'b0;
    end
end

accel_top #(
    .ENGINES(ENGINES), .UPD_BANKS(UPD_BANKS), .PROG_DEPTH(PROG_DEPTH), .CLASSES_MAX(CLASSES_MAX), .AXI_ID_W(AXI_ID_W),
`include "uc_param_conns.vh"
) u_top (
    .clk(core_clk), .rst(rst),
`include "top_axil_conns.vh"
    .m_axi_awid(awid), .m_axi_awaddr(awaddr), .m_axi_awlen(awlen), .m_axi_awsize(awsize),
    .m_axi_awburst(awburst), .m_axi_awlock(awlock), .m_axi_awcache(awcache), .m_axi_awprot(awprot),
    .m_axi_awvalid(awvalid), .m_axi_awready(awready),
    .m_axi_wdata(wdata), .m_axi_wstrb(wstrb), .m_axi_wlast(wlast), .m_axi_wvalid(wvalid),
    .m_axi_wready(wready),
    .m_axi_bid(bid), .m_axi_bresp(bresp), .m_axi_bvalid(bvalid), .m_axi_bready(bready),
    .m_axi_arid(arid), .m_axi_araddr(araddr), .m_axi_arlen(arlen), .m_axi_arsize(arsize),
    .m_axi_arburst(arburst), .m_axi_arlock(arlock), .m_axi_arcache(arcache), .m_axi_arprot(arprot),
    .m_axi_arvalid(arvalid), .m_axi_arready(arready),
    .m_axi_rid(rid), .m_axi_rdata(rdata), .m_axi_rresp(rresp), .m_axi_rlast(rlast),
    .m_axi_rvalid(rvalid), .m_axi_rready(rready),
    .irq(irq)
);

// ------------------------------------------------------------------ random stalls
axi_stall_gate u_stall (
    .clk(core_clk), .rst(rst), .enable(stall_en), .seed(stall_seed),
    .s_awvalid(awvalid), .s_awready(awready), .m_awvalid(ram_awvalid), .m_awready(ram_awready),
    .s_wvalid(wvalid), .s_wready(wready), .m_wvalid(ram_wvalid), .m_wready(ram_wready),
    .s_arvalid(arvalid), .s_arready(arready), .m_arvalid(ram_arvalid), .m_arready(ram_arready),
    .s_bvalid(bvalid), .s_bready(bready), .m_bvalid(gate_bvalid), .m_bready(gate_bready),
    .s_rvalid(rvalid), .s_rready(rready), .m_rvalid(ram_rvalid), .m_rready(ram_rready)
);

// ------------------------------------------------------------------ host memory
axi_host_ram #(
    .DATA_W(32), .ADDR_W(HOST_ADDR_W), .ID_W(AXI_ID_W)
) u_ram (
    .clk(core_clk), .rst(rst),
    .s_axi_awid(awid), .s_axi_awaddr(awaddr[HOST_ADDR_W-1:0]), .s_axi_awlen(awlen),
    .s_axi_awsize(awsize), .s_axi_awburst(awburst), .s_axi_awvalid(ram_awvalid),
    .s_axi_awready(ram_awready),
    .s_axi_wdata(wdata), .s_axi_wstrb(wstrb), .s_axi_wlast(wlast), .s_axi_wvalid(ram_wvalid),
    .s_axi_wready(ram_wready),
    .s_axi_bid(ram_bid), .s_axi_bresp(ram_bresp), .s_axi_bvalid(ram_bvalid), .s_axi_bready(ram_bready),
    .s_axi_arid(arid), .s_axi_araddr(araddr[HOST_ADDR_W-1:0]), .s_axi_arlen(arlen),
    .s_axi_arsize(arsize), .s_axi_arburst(arburst), .s_axi_arvalid(ram_arvalid),
    .s_axi_arready(ram_arready),
    .s_axi_rid(rid), .s_axi_rdata(rdata), .s_axi_rresp(rresp), .s_axi_rlast(rlast),
    .s_axi_rvalid(ram_rvalid), .s_axi_rready(ram_rready)
);

endmodule

`resetall
