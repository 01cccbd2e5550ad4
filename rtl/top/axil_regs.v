/*
 * Control and status registers of the accelerator on an AXI4-Lite slave (32-bit data).
 * Register map: docs/registers.md. One write and one read in flight at a time; every access
 * answers OKAY except an address outside the map (SLVERR on write, SLVERR + 0 on read).
 * Writes honour WSTRB: a register byte changes only when its strobe is set (a write with no
 * strobe changes nothing); CTRL and IRQ_STATUS act on byte 0's strobe.
 *
 * Parameters: none (8-bit byte addresses: the port group is rtl/common/top_axil_ports.vh).
 *
 * Latency: write response 1 cycle after both AW and W; read data 1 cycle after AR.
 */

`resetall
`timescale 1ns / 1ps
`default_nettype none

module axil_regs
(
    input  wire              clk,
    input  wire              rst,

    // AXI-Lite slave (word registers: protection and the low address bits are ignored)
`include "top_axil_ports.vh"

    // control outputs
    output wire              start,          // one-cycle pulse: run the program
    output wire              soft_reset,     // one-cycle pulse: reset the sequencer and units
    output wire [31:0]       prog_addr,      // host byte address of the program
    output wire [15:0]       prog_len,       // number of descriptors
    output wire [31:0]       watchdog,       // cycle limit of a run (0 = off)

    // status inputs
    input  wire              busy,
    input  wire              done,           // pulse: the program ended (END or error)
    input  wire [7:0]        err_code,       // 0 = none; valid with done
    input  wire [15:0]       err_pc,         // descriptor index of the error
    input  wire [31:0]       cnt_total,      // cycles of the last run
    input  wire [31:0]       cnt_uc,         // cycles the UC unit was busy
    input  wire [31:0]       cnt_pool,       // cycles MP/GAP were busy
    input  wire [31:0]       cnt_lc,         // cycles LC/loss were busy
    input  wire [31:0]       cnt_dma,        // cycles spent in DMA transfers
    input  wire [31:0]       n_correct,      // correct predictions of the last run
    input  wire [31:0]       loss_sum,       // sum of the loss (Q8) of the last run

    output wire              irq
);

localparam [31:0] ID_VALUE = 32'h5350_0001;  // "SP" v1

// register offsets (bytes)
localparam [7:0] R_ID = 8'h00, R_CTRL = 8'h04, R_STATUS = 8'h08, R_ERR = 8'h0c,
                 R_PROG_ADDR = 8'h10, R_PROG_LEN = 8'h14, R_IRQ_EN = 8'h18, R_IRQ_STATUS = 8'h1c,
                 R_CNT_TOTAL = 8'h20, R_CNT_UC = 8'h24, R_CNT_POOL = 8'h28, R_CNT_LC = 8'h2c,
                 R_CNT_DMA = 8'h30, R_N_CORRECT = 8'h34, R_LOSS_SUM = 8'h38, R_WATCHDOG = 8'h3c;

reg        bvalid_reg, bvalid_next;
reg [1:0]  bresp_reg, bresp_next;
reg        rvalid_reg, rvalid_next;
reg [1:0]  rresp_reg, rresp_next;
reg [31:0] rdata_reg, rdata_next;

reg        start_reg, start_next;
reg        soft_reset_reg, soft_reset_next;
reg [31:0] prog_addr_reg, prog_addr_next;
reg [15:0] prog_len_reg, prog_len_next;
reg [31:0] watchdog_reg, watchdog_next;
reg [1:0]  irq_en_reg, irq_en_next;        // bit 0: done, bit 1: error
reg [1:0]  irq_status_reg, irq_status_next;
reg        done_reg, done_next;            // sticky until the next start
reg [7:0]  err_code_reg, err_code_next;
reg [15:0] err_pc_reg, err_pc_next;

// a write happens when address and data are both there and no response is pending
wire do_write = s_axil_awvalid && s_axil_wvalid && !bvalid_reg;
wire do_read = s_axil_arvalid && !rvalid_reg;

assign s_axil_awready = do_write;
assign s_axil_wready = do_write;
assign s_axil_bresp = bresp_reg;
assign s_axil_bvalid = bvalid_reg;
assign s_axil_arready = do_read;
assign s_axil_rdata = rdata_reg;
assign s_axil_rresp = rresp_reg;
assign s_axil_rvalid = rvalid_reg;

assign start = start_reg;
assign soft_reset = soft_reset_reg;
assign prog_addr = prog_addr_reg;
assign prog_len = prog_len_reg;
assign watchdog = watchdog_reg;
assign irq = |(irq_status_reg & irq_en_reg);

wire [7:0] waddr = {s_axil_awaddr[7:2], 2'b00};
wire [7:0] raddr = {s_axil_araddr[7:2], 2'b00};
// the written word merged byte by byte into a register's old value
wire [31:0] bytemask = {{8{s_axil_wstrb[3]}}, {8{s_axil_wstrb[2]}}, {8{s_axil_wstrb[1]}},
                        {8{s_axil_wstrb[0]}}};
function [31:0] merge;
    input [31:0] old;
    input [31:0] val;
    input [31:0] m;
    begin
        merge = (old & ~m) | (val & m);
    end
endfunction
/* verilator lint_off UNUSEDSIGNAL */
wire [31:0] prog_len_merged = merge({16'd0, prog_len_reg}, s_axil_wdata, bytemask);
/* verilator lint_on UNUSEDSIGNAL */
// byte 0 of CTRL / IRQ_STATUS, or zeros when its strobe is clear
wire [1:0] wbyte0 = s_axil_wstrb[0] ? s_axil_wdata[1:0] : 2'd0;

always @* begin
    bvalid_next = bvalid_reg && !s_axil_bready;
    bresp_next = bresp_reg;
    rvalid_next = rvalid_reg && !s_axil_rready;
    rresp_next = rresp_reg;
    rdata_next = rdata_reg;
    start_next = 1'b0;
    soft_reset_next = 1'b0;
    prog_addr_next = prog_addr_reg;
    prog_len_next = prog_len_reg;
    watchdog_next = watchdog_reg;
    irq_en_next = irq_en_reg;
    irq_status_next = irq_status_reg;
    done_next = done_reg;
    err_code_next = err_code_reg;
    err_pc_next = err_pc_reg;

    if (do_write) begin
        bvalid_next = 1'b1;
        bresp_next = 2'b00;
        case (waddr)
        R_CTRL: begin
            if (wbyte0[1]) begin
                soft_reset_next = 1'b1;
            end else if (wbyte0[0] && !busy) begin
                start_next = 1'b1;
                done_next = 1'b0;
                err_code_next = 8'd0;
                err_pc_next = 16'd0;
            end
        end
        R_PROG_ADDR: prog_addr_next = merge(prog_addr_reg, s_axil_wdata, bytemask);
        R_PROG_LEN: prog_len_next = prog_len_merged[15:0];
        R_IRQ_EN: irq_en_next = s_axil_wstrb[0] ? s_axil_wdata[1:0] : irq_en_reg;
        R_IRQ_STATUS: irq_status_next = irq_status_reg & ~wbyte0[1:0];  // write 1 to clear
        R_WATCHDOG: watchdog_next = merge(watchdog_reg, s_axil_wdata, bytemask);
        R_ID, R_STATUS, R_ERR, R_CNT_TOTAL, R_CNT_UC, R_CNT_POOL, R_CNT_LC, R_CNT_DMA,
        R_N_CORRECT, R_LOSS_SUM: ;  // read-only: ignored
        default: bresp_next = 2'b10;
        endcase
    end

    // a run's end is set after any clear of the same cycle: set wins, no event is lost
    if (done) begin
        done_next = 1'b1;
        err_code_next = err_code;
        err_pc_next = err_pc;
        irq_status_next = irq_status_next | {err_code != 8'd0, 1'b1};
    end

    if (do_read) begin
        rvalid_next = 1'b1;
        rresp_next = 2'b00;
        case (raddr)
        R_ID: rdata_next = ID_VALUE;
        R_CTRL: rdata_next = 32'd0;
        R_STATUS: rdata_next = {29'd0, err_code_reg != 8'd0, done_reg, busy};
        R_ERR: rdata_next = {err_pc_reg, 8'd0, err_code_reg};
        R_PROG_ADDR: rdata_next = prog_addr_reg;
        R_PROG_LEN: rdata_next = {16'd0, prog_len_reg};
        R_IRQ_EN: rdata_next = {30'd0, irq_en_reg};
        R_IRQ_STATUS: rdata_next = {30'd0, irq_status_reg};
        R_CNT_TOTAL: rdata_next = cnt_total;
        R_CNT_UC: rdata_next = cnt_uc;
        R_CNT_POOL: rdata_next = cnt_pool;
        R_CNT_LC: rdata_next = cnt_lc;
        R_CNT_DMA: rdata_next = cnt_dma;
        R_N_CORRECT: rdata_next = n_correct;
        R_LOSS_SUM: rdata_next = loss_sum;
        R_WATCHDOG: rdata_next = watchdog_reg;
        default: begin
            rdata_next = 32'd0;
            rresp_next = 2'b10;
        end
        endcase
    end
end

always @(posedge clk) begin
    bvalid_reg <= bvalid_next;
    bresp_reg <= bresp_next;
    rvalid_reg <= rvalid_next;
    rresp_reg <= rresp_next;
    rdata_reg <= rdata_next;
    start_reg <= start_next;
    soft_reset_reg <= soft_reset_next;
    prog_addr_reg <= prog_addr_next;
    prog_len_reg <= prog_len_next;
    watchdog_reg <= watchdog_next;
    irq_en_reg <= irq_en_next;
    irq_status_reg <= irq_status_next;
    done_reg <= done_next;
    err_code_reg <= err_code_next;
    err_pc_reg <= err_pc_next;

    if (rst) begin
        bvalid_reg <= 1'b0;
        rvalid_reg <= 1'b0;
        start_reg <= 1'b0;
        soft_reset_reg <= 1'b0;
        prog_addr_reg <= 32'd0;
        prog_len_reg <= 16'd0;
        watchdog_reg <= 32'd0;
        irq_en_reg <= 2'd0;
        irq_status_reg <= 2'd0;
        done_reg <= 1'b0;
        err_code_reg <= 8'd0;
        err_pc_reg <= 16'd0;
    end
end

// AXI-Lite handshake rules of the slave's responses (assertions in ACCEL_ASSERTS builds): a read
// or write response once offered stays offered, unchanged, until the master takes it
stream_assert #(.WIDTH(34)) u_r_assert (
    .clk(clk), .rst(rst), .valid(s_axil_rvalid), .ready(s_axil_rready),
    .data({s_axil_rdata, s_axil_rresp}));
stream_assert #(.WIDTH(2)) u_b_assert (
    .clk(clk), .rst(rst), .valid(s_axil_bvalid), .ready(s_axil_bready), .data(s_axil_bresp));

endmodule

`resetall
