/*
 * unit_ram_ports.vh: the weight, weight-gradient, bias and bias-gradient memory ports of the UC
 * and LC units (read port: *_rd_en / *_rd_addr, data one cycle later on *_rd_data; write port:
 * *_wr_en / *_wr_addr / *_wr_data), `include`d as the last entries of the ANSI port list (the
 * last port has no trailing comma). The including module defines WAW and BAW (address widths
 * of WDEPTH and BDEPTH).
 */
    // weight memory
    output wire                     wgt_rd_en,
    output wire [WAW-1:0]           wgt_rd_addr,
    input  wire [15:0]              wgt_rd_data,
    output wire                     wgt_wr_en,
    output wire [WAW-1:0]           wgt_wr_addr,
    output wire [15:0]              wgt_wr_data,

    // weight-gradient memory
    output wire                     grad_rd_en,
    output wire [WAW-1:0]           grad_rd_addr,
    input  wire [31:0]              grad_rd_data,
    output wire                     grad_wr_en,
    output wire [WAW-1:0]           grad_wr_addr,
    output wire [31:0]              grad_wr_data,

    // bias and bias-gradient memories
    output wire                     bias_rd_en,
    output wire [BAW-1:0]           bias_rd_addr,
    input  wire [31:0]              bias_rd_data,
    output wire                     bias_wr_en,
    output wire [BAW-1:0]           bias_wr_addr,
    output wire [31:0]              bias_wr_data,
    output wire                     bgrad_rd_en,
    output wire [BAW-1:0]           bgrad_rd_addr,
    input  wire [31:0]              bgrad_rd_data,
    output wire                     bgrad_wr_en,
    output wire [BAW-1:0]           bgrad_wr_addr,
    output wire [31:0]              bgrad_wr_data
