/*
 * top_axil_ports.vh: the AXI4-Lite slave port group (8-bit byte address, 32-bit data) of the
 * control and status registers (docs/registers.md): axil_regs, the accelerator top (accel_top)
 * and its HDL-memory harness (verif/hdl/accel_top_hdlmem.v), `include`d inside the ANSI port
 * list (every line ends with a comma: more ports follow). The registers are 32-bit words:
 * protection and the address bits 1:0 are ignored.
 */
    /* verilator lint_off UNUSEDSIGNAL */
    input  wire [7:0]          s_axil_awaddr,
    input  wire [2:0]          s_axil_awprot,
    /* verilator lint_on UNUSEDSIGNAL */
    input  wire                s_axil_awvalid,
    output wire                s_axil_awready,
    input  wire [31:0]         s_axil_wdata,
    input  wire [3:0]          s_axil_wstrb,
    input  wire                s_axil_wvalid,
    output wire                s_axil_wready,
    output wire [1:0]          s_axil_bresp,
    output wire                s_axil_bvalid,
    input  wire                s_axil_bready,
    /* verilator lint_off UNUSEDSIGNAL */
    input  wire [7:0]          s_axil_araddr,
    input  wire [2:0]          s_axil_arprot,
    /* verilator lint_on UNUSEDSIGNAL */
    input  wire                s_axil_arvalid,
    output wire                s_axil_arready,
    output wire [31:0]         s_axil_rdata,
    output wire [1:0]          s_axil_rresp,
    output wire                s_axil_rvalid,
    input  wire                s_axil_rready,
