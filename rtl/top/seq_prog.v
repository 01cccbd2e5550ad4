/*
 * Program memory of the descriptor sequencer (sequencer.v) and its fill: the program fetch's
 * DMA read beats are counted (fetch_beat: the 32-bit word of the descriptor being assembled,
 * which the sequencer writes into its descriptor register); one cycle after a descriptor's 16th
 * beat the assembled descriptor (wr_desc) is written at the next index. The run reads the
 * descriptor at pc; past_end says pc has reached the PROG_LEN latched at START (ERR RUNAWAY).
 * Each descriptor's reserved-bit check (desc_check, two stages) is done as it is written and kept
 * beside it in a check memory (9 bits a descriptor), so the run reads the check with the
 * descriptor: no check logic after the program memory's read (the ECP5's critical path before).
 *
 * Parameters: PROG_DEPTH, commented below.
 *
 * Latency: rd_desc, rd_bad and rd_err are those of the descriptor at the pc of the cycle before
 * (sdp_ram's registered read); a descriptor's check is written a cycle after the descriptor,
 * and a read of it in that cycle (a one-descriptor program: pc 0 right after the fetch) takes the
 * written value (bypass);
 * fetch_beat and the latched length change at the clock edge after their command.
 */

`resetall
`timescale 1ns / 1ps
`default_nettype none

module seq_prog #
(
    // descriptors the program memory holds
    parameter PROG_DEPTH = 256
)
(
    input  wire         clk,
    input  wire         rst,

    input  wire         run_start,      // START: latch prog_len
    input  wire [15:0]  prog_len,
    input  wire         fetch_start,    // the fetch starts: descriptor 0, beat 0
    input  wire         beat_valid,     // a beat of the fetch arrives (the sequencer assembles it)
    output wire [3:0]   fetch_beat,     // ... it is this word of the descriptor
    input  wire [511:0] wr_desc,        // the assembled descriptor
    input  wire         stop,           // the end of a stop (soft reset, watchdog): length 0

    input  wire [15:0]  pc,
    output wire [511:0] rd_desc,        // the descriptor at pc ...
    output wire         rd_bad,         // ... has a reserved bit set (desc_check) ...
    output wire [7:0]   rd_err,         // ... and this is its error code
    output wire         past_end        // pc >= the latched PROG_LEN
);

localparam PGAW = (PROG_DEPTH > 1) ? $clog2(PROG_DEPTH) : 1;

reg [15:0]     prog_len_run_reg, prog_len_run_next;     // PROG_LEN latched at START
reg [3:0]      fetch_beat_reg, fetch_beat_next;         // beat of the descriptor being fetched
reg [PGAW:0]   fetch_idx_reg, fetch_idx_next;           // descriptors fetched
reg            prog_we_reg, prog_we_next;               // write wr_desc to the program memory ...
reg [PGAW-1:0] prog_waddr_reg, prog_waddr_next;         // ... at this index
reg            chk_we_reg;                              // write its check a cycle later ...
reg [PGAW-1:0] chk_waddr_reg;                           // ... at the same index
reg            byp_reg;                                 // the check read is the one written ...
reg [8:0]      byp_data_reg;                            // ... with this value

assign fetch_beat = fetch_beat_reg;
assign past_end = pc >= prog_len_run_reg;

// written one cycle after a descriptor's 16th beat, read at pc
sdp_ram #(.DATA_W(512), .DEPTH(PROG_DEPTH)) u_prog_mem (
    .clk(clk),
    .wr_en(prog_we_reg), .wr_addr(prog_waddr_reg), .wr_data(wr_desc),
    .rd_en(1'b1), .rd_addr(pc[PGAW-1:0]), .rd_data(rd_desc)
);

// the reserved-bit check of the descriptor being written (wr_desc while prog_we_reg), a cycle later
wire       chk_bad;
wire [7:0] chk_err;
wire [8:0] chk_rd;

desc_check u_check (.clk(clk), .s_desc(wr_desc), .bad(chk_bad), .err(chk_err));

sdp_ram #(.DATA_W(9), .DEPTH(PROG_DEPTH)) u_chk_mem (
    .clk(clk),
    .wr_en(chk_we_reg), .wr_addr(chk_waddr_reg), .wr_data({chk_bad, chk_err}),
    .rd_en(1'b1), .rd_addr(pc[PGAW-1:0]), .rd_data(chk_rd)
);

// sdp_ram reads first: a check written in the cycle it is read comes from byp_data_reg
assign {rd_bad, rd_err} = byp_reg ? byp_data_reg : chk_rd;

always @* begin
    prog_len_run_next = prog_len_run_reg;
    fetch_beat_next = fetch_beat_reg;
    fetch_idx_next = fetch_idx_reg;
    prog_we_next = beat_valid && fetch_beat_reg == 4'd15;
    prog_waddr_next = fetch_idx_reg[PGAW-1:0];

    if (run_start) begin
        prog_len_run_next = prog_len;
    end
    if (fetch_start) begin
        fetch_idx_next = {(PGAW+1){1'b0}};
        fetch_beat_next = 4'd0;
    end
    if (beat_valid) begin
        fetch_beat_next = fetch_beat_reg + 1'b1;
        if (fetch_beat_reg == 4'd15) begin
            fetch_idx_next = fetch_idx_reg + 1'b1;
        end
    end
    if (stop) begin
        prog_len_run_next = 16'd0;
    end
end

always @(posedge clk) begin
    prog_len_run_reg <= prog_len_run_next;
    fetch_beat_reg <= fetch_beat_next;
    fetch_idx_reg <= fetch_idx_next;
    prog_we_reg <= prog_we_next;
    prog_waddr_reg <= prog_waddr_next;
    chk_we_reg <= prog_we_reg;
    chk_waddr_reg <= prog_waddr_reg;
    byp_reg <= chk_we_reg && chk_waddr_reg == pc[PGAW-1:0];
    byp_data_reg <= {chk_bad, chk_err};

    // control state only
    if (rst) begin
        prog_len_run_reg <= 16'd0;
    end
end

endmodule

`resetall
