/*
 * DMA engine: an AXI4 master (32-bit data) that moves a run of 32-bit words between host memory
 * and a word stream. INCR bursts of up to 16 beats that never cross a 4 KB boundary; one burst
 * in flight. Any SLVERR/DECERR response sets the error flag of the transfer. A read goes on to
 * its end after an error beat (the consumer drops that word); a write stops after the burst
 * whose B response was an error (no later burst is issued).
 *
 * Parameters:
 *   AXI_ID_W  AXI ID width
 *
 * Abort (soft reset, watchdog): no new transfer is accepted and no new burst starts; an address
 * already offered keeps VALID until its handshake and its burst then runs to its end by the
 * protocol (all R beats taken; every W beat sent with the producer's data and the right WLAST;
 * the B response taken), then done and idle. So an abort takes at most one burst: 16 beats plus
 * the slave's address, data and response latencies. The producer must keep feeding s_wr_* until
 * the burst ends (the sequencer does: it is reset only once the DMA is idle).
 *
 * Latency: a burst costs its beats plus the address handshake (and the B response for writes)
 * plus 2 cycles of burst sizing before its address (issue 16: words to the 4 KB boundary and
 * min(16, words left) registered, then their minimum registered).
 * Read data leave on m_rd_* with no back-pressure (the consumer must take one word a cycle).
 */

`resetall
`timescale 1ns / 1ps
`default_nettype none

module dma #
(
    // AXI ID width
    parameter AXI_ID_W = 4
)
(
    input  wire            clk,
    input  wire            rst,
    // finish the burst in flight by the protocol and stop: the AXI bus is left idle
    input  wire            abort,
    output wire            idle,           // no transfer in progress (nothing outstanding on AXI)

    // command: dir 0 = host -> chip (read), 1 = chip -> host (write); addr byte-aligned to 4
    input  wire            s_cmd_valid,
    output wire            s_cmd_ready,
    input  wire            s_cmd_dir,
    /* verilator lint_off UNUSEDSIGNAL */
    input  wire [31:0]     s_cmd_addr,     // bits 1:0 ignored
    /* verilator lint_on UNUSEDSIGNAL */
    input  wire [23:0]     s_cmd_len,      // words, >= 1
    output wire            done,           // one-cycle pulse at the end of a transfer
    output wire            err,            // with done: an error response was seen

    // read words (host -> chip)
    output wire            m_rd_valid,
    output wire [31:0]     m_rd_data,
    output wire            m_rd_err,       // this word came with an error response

    // write words (chip -> host)
    input  wire            s_wr_valid,
    output wire            s_wr_ready,
    input  wire [31:0]     s_wr_data,

    // AXI4 master
`include "top_axi_ports.vh"
);

localparam [3:0] S_IDLE = 4'd0, S_AR = 4'd1, S_R = 4'd2, S_AW = 4'd3, S_W = 4'd4, S_B = 4'd5,
                 S_DONE = 4'd6,
                 S_LEN = 4'd7,      // burst sizing 1: words to the 4 KB boundary, min(16, left)
                 S_LEN2 = 4'd8;     // burst sizing 2: the smaller of the two
localparam [23:0] MAX_BURST = 24'd16;   // beats of the longest burst

reg [3:0]  state_reg, state_next;
reg [31:0] addr_reg, addr_next;
reg [23:0] left_reg, left_next;      // words not yet covered by an issued burst
reg [4:0]  beats_reg, beats_next;    // beats left in the current burst
reg        err_reg, err_next;
reg        dir_reg, dir_next;        // 1: write (AW / W / B), 0: read
reg [10:0] to4k_reg, to4k_next;      // words to the next 4 KB boundary (S_LEN)
reg [4:0]  lim_reg, lim_next;        // min(16, words left) (S_LEN)
reg [4:0]  burst_reg, burst_next;    // the burst's beats (S_LEN2)

// burst length: min(16, words left, words to the next 4 KB boundary)
wire [10:0] to_4k = 11'd1024 - {1'b0, addr_reg[11:2]};
/* verilator lint_off UNUSEDSIGNAL */
wire [23:0] lim = (left_reg < MAX_BURST) ? left_reg : MAX_BURST;   // <= 16: bits 23:5 are 0
/* verilator lint_on UNUSEDSIGNAL */
wire [4:0]  burst = (to4k_reg < {6'd0, lim_reg}) ? to4k_reg[4:0] : lim_reg;
wire [7:0]  axlen = {3'd0, burst_reg} - 8'd1;

assign s_cmd_ready = (state_reg == S_IDLE) && !abort;
assign idle = (state_reg == S_IDLE);
assign done = (state_reg == S_DONE);
assign err = err_reg;

// the attributes of every burst on both address channels: one ID (0), 32-bit beats (AxSIZE 2),
// INCR (AxBURST 1), no exclusive access, normal non-cacheable bufferable (AxCACHE 3), normal
// non-secure data (AxPROT 0)
localparam [AXI_ID_W+12:0] AX_ATTR = {{AXI_ID_W{1'b0}}, 3'd2, 2'b01, 1'b0, 4'b0011, 3'b000};

assign {m_axi_arid, m_axi_arsize, m_axi_arburst, m_axi_arlock, m_axi_arcache, m_axi_arprot} = AX_ATTR;
assign m_axi_araddr = addr_reg;
assign m_axi_arlen = axlen;
assign m_axi_arvalid = (state_reg == S_AR);
assign m_axi_rready = (state_reg == S_R);

assign {m_axi_awid, m_axi_awsize, m_axi_awburst, m_axi_awlock, m_axi_awcache, m_axi_awprot} = AX_ATTR;
assign m_axi_awaddr = addr_reg;
assign m_axi_awlen = axlen;
assign m_axi_awvalid = (state_reg == S_AW);
assign m_axi_wdata = s_wr_data;
assign m_axi_wstrb = 4'hf;
assign m_axi_wlast = (state_reg == S_W) && (beats_reg == 5'd1);
assign m_axi_wvalid = (state_reg == S_W) && s_wr_valid;
assign s_wr_ready = (state_reg == S_W) && m_axi_wready;
assign m_axi_bready = (state_reg == S_B);

assign m_rd_valid = (state_reg == S_R) && m_axi_rvalid;
assign m_rd_data = m_axi_rdata;
assign m_rd_err = (m_axi_rresp != 2'b00);

always @* begin
    state_next = state_reg;
    addr_next = addr_reg;
    left_next = left_reg;
    beats_next = beats_reg;
    err_next = err_reg;
    dir_next = dir_reg;
    to4k_next = to4k_reg;
    lim_next = lim_reg;
    burst_next = burst_reg;

    case (state_reg)
    S_IDLE: begin
        if (s_cmd_valid && !abort) begin
            addr_next = {s_cmd_addr[31:2], 2'b00};
            left_next = s_cmd_len;
            err_next = 1'b0;
            dir_next = s_cmd_dir;
            state_next = (s_cmd_len == 24'd0) ? S_DONE : S_LEN;
        end
    end
    S_LEN: begin
        to4k_next = to_4k;
        lim_next = lim[4:0];
        state_next = S_LEN2;
    end
    S_LEN2: begin
        burst_next = burst;
        state_next = dir_reg ? S_AW : S_AR;
    end
    S_AR, S_AW: begin
        // ARVALID (read) or AWVALID (write) is up: it stays until the handshake, abort or not;
        // then the burst's beats (S_R, or S_W then S_B)
        if (dir_reg ? m_axi_awready : m_axi_arready) begin
            beats_next = burst_reg;
            left_next = left_reg - {19'd0, burst_reg};
            addr_next = addr_reg + {25'd0, burst_reg, 2'b00};
            state_next = dir_reg ? S_W : S_R;
        end
    end
    S_R: begin
        if (m_axi_rvalid) begin
            err_next = err_reg || (m_axi_rresp != 2'b00);
            beats_next = beats_reg - 5'd1;
            if (beats_reg == 5'd1) begin
                state_next = (left_reg == 24'd0 || abort) ? S_DONE : S_LEN;
            end
        end
    end
    S_W: begin
        if (s_wr_valid && m_axi_wready) begin
            beats_next = beats_reg - 5'd1;
            if (beats_reg == 5'd1) begin
                state_next = S_B;
            end
        end
    end
    S_B: begin
        if (m_axi_bvalid) begin
            err_next = err_reg || (m_axi_bresp != 2'b00);
            // a write error ends the transfer: no later burst is issued
            state_next = (left_reg == 24'd0 || abort || m_axi_bresp != 2'b00) ? S_DONE : S_LEN;
        end
    end
    default: begin
        // S_DONE: one cycle
        state_next = S_IDLE;
    end
    endcase
end

always @(posedge clk) begin
    state_reg <= state_next;
    addr_reg <= addr_next;
    left_reg <= left_next;
    beats_reg <= beats_next;
    err_reg <= err_next;
    dir_reg <= dir_next;
    to4k_reg <= to4k_next;
    lim_reg <= lim_next;
    burst_reg <= burst_next;

    if (rst) begin
        state_reg <= S_IDLE;
        beats_reg <= 5'd0;
        err_reg <= 1'b0;
    end
end

// AXI handshake rules (assertions in ACCEL_ASSERTS builds: Verilator --assert; Icarus and
// synthesis see empty checkers): an address or write beat once offered stays offered, unchanged,
// until it is taken, abort or not
stream_assert #(.WIDTH(AXI_ID_W + 32 + 8 + 3 + 2 + 1 + 4 + 3)) u_ar_assert (
    .clk(clk), .rst(rst), .valid(m_axi_arvalid), .ready(m_axi_arready),
    .data({m_axi_arid, m_axi_araddr, m_axi_arlen, m_axi_arsize, m_axi_arburst, m_axi_arlock,
           m_axi_arcache, m_axi_arprot}));
stream_assert #(.WIDTH(AXI_ID_W + 32 + 8 + 3 + 2 + 1 + 4 + 3)) u_aw_assert (
    .clk(clk), .rst(rst), .valid(m_axi_awvalid), .ready(m_axi_awready),
    .data({m_axi_awid, m_axi_awaddr, m_axi_awlen, m_axi_awsize, m_axi_awburst, m_axi_awlock,
           m_axi_awcache, m_axi_awprot}));
stream_assert #(.WIDTH(32 + 4 + 1)) u_w_assert (
    .clk(clk), .rst(rst), .valid(m_axi_wvalid), .ready(m_axi_wready),
    .data({m_axi_wdata, m_axi_wstrb, m_axi_wlast}));

endmodule

`resetall
