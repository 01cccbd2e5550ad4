/*
 * UC unit checked-list record: remembers which lists passed the pre-scan since the last write to
 * the list memories, so that a command whose list is remembered skips the pre-scan (uc_scan).
 * Part of uc_unit (docs/uc_unit.md "Checked lists: the pre-scan once per list").
 *
 * A record is the identity of a list as the pre-scan sees it (KEY: list kind forward/backward,
 * pointer-table base, C, N, K -- the only command fields the scan's result depends on; the rest
 * of what it reads is the PTR and FIDX/BIDX memory contents). LISTS records are kept fully
 * associative and replaced first in, first out. Any write to the PTR, FIDX or BIDX memory
 * (list_wr, the RAMs' own write enable) forgets every record at once, and a scan during which
 * such a write happened records nothing, so a record always describes the memory as it is now.
 * Nothing else writes those memories (the units only read them).
 *
 * Lookup: each record's comparison is registered (match), then reduced (hit): hit is valid two
 * cycles after the key settles and is masked by a write in any of those cycles, including the
 * current one. uc_ctrl reads it at its last check step (five cycles after the key is latched).
 *
 * Parameters:
 *   LISTS  records kept (>= 1)
 *   KEY_W  width of a list identity
 *
 * Latency: hit two cycles after key; record takes effect at the next edge.
 */

`resetall
`timescale 1ns / 1ps
`default_nettype none

module uc_lcache #
(
    // records kept (>= 1)
    parameter LISTS = 64,
    // width of a list identity
    parameter KEY_W = 32
)
(
    input  wire                 clk,
    input  wire                 rst,

    input  wire                 list_wr,        // a PTR / FIDX / BIDX write now: forget everything
    input  wire [KEY_W-1:0]     key,            // the latched command's list identity
    output wire                 hit,            // key's list passed a full scan since the last write
    input  wire                 scan_start,     // a full pre-scan starts at this edge
    input  wire                 scan_ok         // that scan passes now: record key
);

localparam PTR_W = (LISTS > 1) ? $clog2(LISTS) : 1;
localparam [31:0] LISTS_M1_32 = LISTS - 1;
localparam [PTR_W-1:0] LAST = LISTS_M1_32[PTR_W-1:0];

reg [LISTS-1:0] valid_reg, valid_next;
reg [PTR_W-1:0] wr_ptr_reg, wr_ptr_next;       // next record to (over)write, first in first out
reg [LISTS-1:0] match_reg, match_next;
reg             hit_reg, hit_next;
reg             rec_ok_reg, rec_ok_next;       // no list write since the scan started
// the recorded identities and their comparisons are left out of code coverage: they are copies
// of uc_unit's list_key (covered there) and the record's behaviour is covered by valid_reg,
// match_reg, wr_ptr_reg and the tests' cover points (uc.list_check)
/* verilator coverage_off */
reg [KEY_W-1:0] key_mem [0:LISTS-1];
wire [LISTS-1:0] match_now;
/* verilator coverage_on */

wire record = scan_ok && rec_ok_reg && !list_wr;

// one comparison per record (continuous assignments: a constant word of key_mem each)
genvar g;
generate
    for (g = 0; g < LISTS; g = g + 1) begin : g_match
        assign match_now[g] = valid_reg[g] && key_mem[g] == key && !list_wr;
    end
endgenerate

assign hit = hit_reg && !list_wr;

always @* begin
    valid_next = valid_reg;
    wr_ptr_next = wr_ptr_reg;
    rec_ok_next = rec_ok_reg;

    match_next = match_now;
    hit_next = (|match_reg) && !list_wr;

    if (scan_start) begin
        rec_ok_next = 1'b1;
    end
    if (record) begin
        valid_next[wr_ptr_reg] = 1'b1;
        wr_ptr_next = (wr_ptr_reg == LAST) ? {PTR_W{1'b0}} : wr_ptr_reg + 1'b1;
    end
    if (list_wr) begin
        valid_next = {LISTS{1'b0}};
        wr_ptr_next = {PTR_W{1'b0}};
        rec_ok_next = 1'b0;
    end
end

always @(posedge clk) begin
    valid_reg <= valid_next;
    wr_ptr_reg <= wr_ptr_next;
    match_reg <= match_next;
    hit_reg <= hit_next;
    rec_ok_reg <= rec_ok_next;
    if (record) begin
        key_mem[wr_ptr_reg] <= key;
    end

    if (rst) begin
        valid_reg <= {LISTS{1'b0}};
        wr_ptr_reg <= {PTR_W{1'b0}};
        match_reg <= {LISTS{1'b0}};
        hit_reg <= 1'b0;
        rec_ok_reg <= 1'b0;
    end
end

endmodule

`resetall
