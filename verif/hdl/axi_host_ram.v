/*
 * AXI4 slave RAM: the host memory of the long-run harness (verif/hdl/accel_top_hdlmem.v).
 * Verification only, not part of the accelerator (rtl/).
 *
 * Our own code, written from the AMBA AXI4 specification (ARM IHI 0022) in the project's RTL
 * style: no third-party HDL may be committed to this repository (the harness earlier used a
 * vendored RAM whose source forbids that).
 *
 * What it implements is what accel_top's master (rtl/top/dma.v) issues: one burst at a time on
 * each channel, read and write channels independent of each other; INCR bursts of up to 256
 * beats (FIXED bursts too: the address stays); transfer sizes up to the bus width (a narrow
 * transfer steps the byte address by its size, WSTRB selects the bytes written); any ID (echoed
 * on BID / RID). Not implemented: WRAP bursts (stepped like INCR; an assertion flags them),
 * exclusive access (AxLOCK, AxCACHE, AxPROT are not ports), error responses (BRESP / RRESP are
 * always OKAY), several outstanding bursts. The RAM decodes the low ADDR_W address bits only:
 * every address hits a word (the memory wraps at 2^ADDR_W bytes).
 *
 * Memory: mem[word] of DATA_W bits, word = byte address >> log2(DATA_W/8), byte lanes
 * little-endian; zero at time 0 (as cocotbext-axi's AxiRam starts). The testbench reaches it
 * through the backdoor of verif/common/hdl_tb.py (the array is public in accel_top_hdlmem.vlt).
 *
 * Parameters:
 *   DATA_W  bus width in bits (a multiple of 8, DATA_W/8 a power of two)
 *   ADDR_W  byte address bits decoded (memory of 2^ADDR_W bytes)
 *   ID_W    AXI ID width
 *
 * Latency (cycle n: the handshake's clock edge ends cycle n):
 *   AW handshake in cycle n: WREADY from cycle n+1 (AWREADY low until the response is issued);
 *   W: one beat a cycle, the write lands at that beat's clock edge;
 *   last W beat in cycle n: BVALID in cycle n+1 (later if an earlier B still waits), AWREADY high
 *     again in cycle n+1;
 *   AR handshake in cycle n: first RVALID in cycle n+2 (the read address register, then the
 *     data register), then one beat a cycle while RREADY is high;
 *   last R beat issued: ARREADY high again in the cycle its RVALID first shows.
 * The harness adds one B register after this RAM; together they take the cycles AxiRam takes
 * for the same DMA (verif/tests/test_accel_top_hdlmem.py compares every cycle counter).
 */

`resetall
`timescale 1ns / 1ps
`default_nettype none

module axi_host_ram #
(
    // data bus width in bits (multiple of 8; DATA_W/8 a power of two)
    parameter DATA_W = 32,
    // byte address bits decoded: 2^ADDR_W bytes of memory
    parameter ADDR_W = 20,
    // AXI ID width
    parameter ID_W = 4
)
(
    input  wire                clk,
    input  wire                rst,

    // AXI4 slave: write address
    input  wire [ID_W-1:0]     s_axi_awid,
    input  wire [ADDR_W-1:0]   s_axi_awaddr,
    input  wire [7:0]          s_axi_awlen,
    input  wire [2:0]          s_axi_awsize,
    input  wire [1:0]          s_axi_awburst,
    input  wire                s_axi_awvalid,
    output wire                s_axi_awready,
    // write data
    input  wire [DATA_W-1:0]   s_axi_wdata,
    input  wire [DATA_W/8-1:0] s_axi_wstrb,
    input  wire                s_axi_wlast,
    input  wire                s_axi_wvalid,
    output wire                s_axi_wready,
    // write response
    output wire [ID_W-1:0]     s_axi_bid,
    output wire [1:0]          s_axi_bresp,
    output wire                s_axi_bvalid,
    input  wire                s_axi_bready,
    // read address
    input  wire [ID_W-1:0]     s_axi_arid,
    input  wire [ADDR_W-1:0]   s_axi_araddr,
    input  wire [7:0]          s_axi_arlen,
    input  wire [2:0]          s_axi_arsize,
    input  wire [1:0]          s_axi_arburst,
    input  wire                s_axi_arvalid,
    output wire                s_axi_arready,
    // read data
    output wire [ID_W-1:0]     s_axi_rid,
    output wire [DATA_W-1:0]   s_axi_rdata,
    output wire [1:0]          s_axi_rresp,
    output wire                s_axi_rlast,
    output wire                s_axi_rvalid,
    input  wire                s_axi_rready
);

// bytes a beat, and the byte-offset bits of a word
localparam STRB_W = DATA_W / 8;
localparam OFFS_W = $clog2(STRB_W);
// word address bits: the memory holds 2^WORD_W words
localparam WORD_W = ADDR_W - OFFS_W;
localparam [2:0] SIZE_MAX = OFFS_W[2:0];     // largest AxSIZE (a full-width beat)

// burst types (AxBURST)
// (INCR 2'b01, WRAP 2'b10 and the reserved 2'b11 all step the address as INCR)
localparam [1:0] BURST_FIXED = 2'b00;
// response OKAY (xRESP)
localparam [1:0] RESP_OKAY = 2'b00;

// write channel states
localparam [1:0] WR_IDLE = 2'd0,    // AWREADY high, waiting for an address
                 WR_DATA = 2'd1,    // WREADY high, taking the burst's beats
                 WR_RESP = 2'd2;    // last beat taken, the previous B still waits
// read channel states
localparam [0:0] RD_IDLE = 1'b0,    // ARREADY high, waiting for an address
                 RD_DATA = 1'b1;    // reading one beat a cycle into the R register

// the memory: not reset, zero at time 0 (the loop in the RAMs' idiom, which Yosys-based checks
// drop: bench/synth.py ZERO_INIT; unrolled, it costs yosys minutes and gigabytes)
localparam DEPTH = 1 << WORD_W;
reg [DATA_W-1:0] mem [0:DEPTH-1];

integer i;
initial begin
    for (i = 0; i < DEPTH; i = i + 1) begin
        mem[i] = {DATA_W{1'b0}};
    end
end

`ifdef HOSTMEM_FILES
// Bulk load and dump for multi-megabyte host images (bench/vgg16_top.py), where the word-by-word
// backdoor would take minutes: +HOSTMEM_INIT=<file> loads a $readmemh image (one word a line,
// from word 0) at time 0; +HOSTMEM_DUMP=<file> writes the whole memory ($writememh) at the end of
// the simulation. Only builds with +define+HOSTMEM_FILES have it.
reg [8*1024-1:0] hostmem_file;
initial begin
    if ($value$plusargs("HOSTMEM_INIT=%s", hostmem_file)) begin
        $readmemh(hostmem_file, mem);
    end
end
final begin
    if ($value$plusargs("HOSTMEM_DUMP=%s", hostmem_file)) begin
        $writememh(hostmem_file, mem);
    end
end
`endif

// ------------------------------------------------------------------ write channel
reg [1:0]        wr_state_reg, wr_state_next;
reg [ID_W-1:0]   wr_id_reg, wr_id_next;
reg [ADDR_W-1:0] wr_addr_reg, wr_addr_next;     // byte address of the next beat
reg [7:0]        wr_left_reg, wr_left_next;     // beats after the next one
reg [2:0]        wr_size_reg, wr_size_next;     // transfer size, at most SIZE_MAX
reg              wr_step_reg, wr_step_next;     // address steps (not FIXED)
reg              awready_reg, awready_next;
reg              wready_reg, wready_next;
reg              bvalid_reg, bvalid_next;
reg [ID_W-1:0]   bid_reg, bid_next;
reg              wr_en;                         // this cycle's beat is written

wire [WORD_W-1:0] wr_word = wr_addr_reg[ADDR_W-1:OFFS_W];
wire              aw_fire = s_axi_awvalid && awready_reg;
wire              w_fire = s_axi_wvalid && wready_reg;
wire              b_free = !bvalid_reg || s_axi_bready;    // a new response may be issued

assign s_axi_awready = awready_reg;
assign s_axi_wready  = wready_reg;
assign s_axi_bid     = bid_reg;
assign s_axi_bresp   = RESP_OKAY;
assign s_axi_bvalid  = bvalid_reg;

always @* begin
    wr_state_next = wr_state_reg;
    wr_id_next = wr_id_reg;
    wr_addr_next = wr_addr_reg;
    wr_left_next = wr_left_reg;
    wr_size_next = wr_size_reg;
    wr_step_next = wr_step_reg;
    awready_next = awready_reg;
    wready_next = wready_reg;
    bvalid_next = bvalid_reg && !s_axi_bready;
    bid_next = bid_reg;
    wr_en = 1'b0;

    case (wr_state_reg)
        WR_IDLE: begin
            awready_next = 1'b1;
            if (aw_fire) begin
                wr_id_next = s_axi_awid;
                wr_addr_next = s_axi_awaddr;
                wr_left_next = s_axi_awlen;
                wr_size_next = (s_axi_awsize > SIZE_MAX) ? SIZE_MAX : s_axi_awsize;
                wr_step_next = (s_axi_awburst != BURST_FIXED);
                awready_next = 1'b0;
                wready_next = 1'b1;
                wr_state_next = WR_DATA;
            end
        end
        WR_DATA: begin
            if (w_fire) begin
                wr_en = 1'b1;
                if (wr_step_reg) begin
                    wr_addr_next = wr_addr_reg + ({{(ADDR_W-1){1'b0}}, 1'b1} << wr_size_reg);
                end
                wr_left_next = wr_left_reg - 8'd1;
                if (wr_left_reg == 8'd0) begin
                    // last beat: respond now if the B slot is free, else in WR_RESP
                    wready_next = 1'b0;
                    if (b_free) begin
                        bvalid_next = 1'b1;
                        bid_next = wr_id_reg;
                        awready_next = 1'b1;
                        wr_state_next = WR_IDLE;
                    end else begin
                        wr_state_next = WR_RESP;
                    end
                end
            end
        end
        WR_RESP: begin
            if (b_free) begin
                bvalid_next = 1'b1;
                bid_next = wr_id_reg;
                awready_next = 1'b1;
                wr_state_next = WR_IDLE;
            end
        end
        default: begin
            wr_state_next = WR_IDLE;
        end
    endcase
end

integer b;
always @(posedge clk) begin
    wr_state_reg <= wr_state_next;
    wr_id_reg <= wr_id_next;
    wr_addr_reg <= wr_addr_next;
    wr_left_reg <= wr_left_next;
    wr_size_reg <= wr_size_next;
    wr_step_reg <= wr_step_next;
    awready_reg <= awready_next;
    wready_reg <= wready_next;
    bvalid_reg <= bvalid_next;
    bid_reg <= bid_next;

    // byte lanes selected by WSTRB
    for (b = 0; b < STRB_W; b = b + 1) begin
        if (wr_en && s_axi_wstrb[b]) begin
            mem[wr_word][8*b +: 8] <= s_axi_wdata[8*b +: 8];
        end
    end

    if (rst) begin
        wr_state_reg <= WR_IDLE;
        awready_reg <= 1'b0;
        wready_reg <= 1'b0;
        bvalid_reg <= 1'b0;
    end
end

// ------------------------------------------------------------------ read channel
reg [0:0]        rd_state_reg, rd_state_next;
reg [ID_W-1:0]   rd_id_reg, rd_id_next;
reg [ADDR_W-1:0] rd_addr_reg, rd_addr_next;     // byte address of the next beat
reg [7:0]        rd_left_reg, rd_left_next;     // beats after the next one
reg [2:0]        rd_size_reg, rd_size_next;
reg              rd_step_reg, rd_step_next;
reg              arready_reg, arready_next;
reg              rvalid_reg, rvalid_next;
reg              rlast_reg, rlast_next;
reg [ID_W-1:0]   rid_reg, rid_next;
reg [DATA_W-1:0] rdata_reg;
reg              rd_en;                         // load the R register from mem this cycle

wire [WORD_W-1:0] rd_word = rd_addr_reg[ADDR_W-1:OFFS_W];
wire              ar_fire = s_axi_arvalid && arready_reg;
wire              r_free = !rvalid_reg || s_axi_rready;    // the R register may take a new beat

assign s_axi_arready = arready_reg;
assign s_axi_rid     = rid_reg;
assign s_axi_rdata   = rdata_reg;
assign s_axi_rresp   = RESP_OKAY;
assign s_axi_rlast   = rlast_reg;
assign s_axi_rvalid  = rvalid_reg;

always @* begin
    rd_state_next = rd_state_reg;
    rd_id_next = rd_id_reg;
    rd_addr_next = rd_addr_reg;
    rd_left_next = rd_left_reg;
    rd_size_next = rd_size_reg;
    rd_step_next = rd_step_reg;
    arready_next = arready_reg;
    rvalid_next = rvalid_reg && !s_axi_rready;
    rlast_next = rlast_reg;
    rid_next = rid_reg;
    rd_en = 1'b0;

    case (rd_state_reg)
        RD_IDLE: begin
            arready_next = 1'b1;
            if (ar_fire) begin
                rd_id_next = s_axi_arid;
                rd_addr_next = s_axi_araddr;
                rd_left_next = s_axi_arlen;
                rd_size_next = (s_axi_arsize > SIZE_MAX) ? SIZE_MAX : s_axi_arsize;
                rd_step_next = (s_axi_arburst != BURST_FIXED);
                arready_next = 1'b0;
                rd_state_next = RD_DATA;
            end
        end
        RD_DATA: begin
            if (r_free) begin
                rd_en = 1'b1;
                rvalid_next = 1'b1;
                rid_next = rd_id_reg;
                rlast_next = (rd_left_reg == 8'd0);
                if (rd_step_reg) begin
                    rd_addr_next = rd_addr_reg + ({{(ADDR_W-1){1'b0}}, 1'b1} << rd_size_reg);
                end
                rd_left_next = rd_left_reg - 8'd1;
                if (rd_left_reg == 8'd0) begin
                    arready_next = 1'b1;
                    rd_state_next = RD_IDLE;
                end
            end
        end
        default: begin
            rd_state_next = RD_IDLE;
        end
    endcase
end

always @(posedge clk) begin
    rd_state_reg <= rd_state_next;
    rd_id_reg <= rd_id_next;
    rd_addr_reg <= rd_addr_next;
    rd_left_reg <= rd_left_next;
    rd_size_reg <= rd_size_next;
    rd_step_reg <= rd_step_next;
    arready_reg <= arready_next;
    rvalid_reg <= rvalid_next;
    rlast_reg <= rlast_next;
    rid_reg <= rid_next;
    if (rd_en) begin
        rdata_reg <= mem[rd_word];
    end

    if (rst) begin
        rd_state_reg <= RD_IDLE;
        arready_reg <= 1'b0;
        rvalid_reg <= 1'b0;
    end
end

// ------------------------------------------------------------------ contracts
`ifdef ACCEL_ASSERTS
// verilator coverage_off
localparam [1:0] BURST_WRAP = 2'b10;

always @(posedge clk) begin
    if (!rst) begin
        assert (!aw_fire || s_axi_awburst != BURST_WRAP) else $error("axi_host_ram: aw_wrap: WRAP burst not supported");
        assert (!ar_fire || s_axi_arburst != BURST_WRAP) else $error("axi_host_ram: ar_wrap: WRAP burst not supported");
        assert (!w_fire || s_axi_wlast == (wr_left_reg == 8'd0)) else $error("axi_host_ram: wlast: WLAST does not match AWLEN");
    end
end
// verilator coverage_on
`else
// WLAST is only checked (the burst length comes from AWLEN)
wire unused_wlast = s_axi_wlast;
`endif

endmodule

`resetall
