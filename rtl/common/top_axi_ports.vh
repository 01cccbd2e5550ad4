/*
 * top_axi_ports.vh: the AXI4 master port group (32-bit data) of the accelerator top (accel_top)
 * and of its DMA engine (rtl/top/dma.v), which drives it, `include`d as the last entries of the
 * ANSI port list (the last port has no trailing comma). The including module has the parameter
 * AXI_ID_W (AXI ID width). The DMA ignores BID, RID (one ID) and RLAST (it counts the beats).
 */
    // write address
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
    // write data
    output wire [31:0]         m_axi_wdata,
    output wire [3:0]          m_axi_wstrb,
    output wire                m_axi_wlast,
    output wire                m_axi_wvalid,
    input  wire                m_axi_wready,
    // write response
    /* verilator lint_off UNUSEDSIGNAL */
    input  wire [AXI_ID_W-1:0] m_axi_bid,
    /* verilator lint_on UNUSEDSIGNAL */
    input  wire [1:0]          m_axi_bresp,
    input  wire                m_axi_bvalid,
    output wire                m_axi_bready,
    // read address
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
    // read data
    /* verilator lint_off UNUSEDSIGNAL */
    input  wire [AXI_ID_W-1:0] m_axi_rid,
    /* verilator lint_on UNUSEDSIGNAL */
    input  wire [31:0]         m_axi_rdata,
    input  wire [1:0]          m_axi_rresp,
    /* verilator lint_off UNUSEDSIGNAL */
    input  wire                m_axi_rlast,
    /* verilator lint_on UNUSEDSIGNAL */
    input  wire                m_axi_rvalid,
    output wire                m_axi_rready
