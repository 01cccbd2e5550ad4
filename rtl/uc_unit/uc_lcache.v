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
 * Lookup: the key is registered, each record's comparison with it is registered (match), then
 * reduced in groups of eight (grp) and over the groups (hit): hit is valid four cycles after the
 * key settles and is masked by a write in any of those cycles, including the current one. uc_ctrl
 * reads it at its last check step (seven cycles after the key is latched).
 *
 * Recording is registered (rec_reg, rec_key_reg): the write of a record's key fans out to every
 * record, and scan_ok comes late in the cycle (issue 16, the ECP5's paths into key_mem's clock
 * enables). A list write in the cycle between cancels it (the clear wins); the key written into
 * a record that the clear has invalidated is never matched.
 *
 * Parameters:
 *   LISTS  records kept (>= 1)
 *   KEY_W  width of a list identity
 *
 * Latency: hit four cycles after key; a record takes effect two edges after scan_ok (the next
 * lookup is a later command's, at least six check cycles later).
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


reg [LISTS-1:0] valid_reg, valid_next;
// next record to (over)write, first in first out, one-hot: a record's valid bit and key are
// written by one AND, not a decoder of a binary pointer (issue 16: 6 LUT levels deep)
reg [LISTS-1:0] wr_oh_reg, wr_oh_next;
reg [LISTS-1:0] match_reg, match_next;
reg             hit_reg, hit_next;
// the key registered before the comparisons, and the matches ORed in groups of GRP first (issue
// 16: the key's select in front of the 57-bit compare, and the 64-input OR, were 5 LUT levels)
localparam GRP = 8;
localparam NGRP = (LISTS + GRP - 1) / GRP;
reg [KEY_W-1:0] key_reg;
reg [NGRP-1:0]  grp_reg, grp_next;
reg             rec_ok_reg, rec_ok_next;       // no list write since the scan started
reg             rec_reg;                        // record rec_key_reg now ...
reg [KEY_W-1:0] rec_key_reg;                    // ... (scan_ok and its key, registered)
// the recorded identities and their comparisons are left out of code coverage: they are copies
// of uc_unit's list_key (covered there) and the record's behaviour is covered by valid_reg,
// match_reg, wr_oh_reg and the tests' cover points (uc.list_check)
/* verilator coverage_off */
reg [KEY_W-1:0] key_mem [0:LISTS-1];
wire [LISTS-1:0] match_now;
/* verilator coverage_on */

wire record = rec_reg && !list_wr;
reg [NGRP*GRP-1:0] match_ext;      // match_reg, zero-extended to whole groups
integer i;

// one comparison per record (continuous assignments: a constant word of key_mem each)
genvar g;
generate
    for (g = 0; g < LISTS; g = g + 1) begin : g_match
        assign match_now[g] = valid_reg[g] && key_mem[g] == key_reg && !list_wr;
    end
endgenerate

assign hit = hit_reg && !list_wr;

always @* begin
    valid_next = valid_reg;
    rec_ok_next = rec_ok_reg;

    match_next = match_now;
    match_ext = {(NGRP*GRP){1'b0}};
    match_ext[LISTS-1:0] = match_reg;
    for (i = 0; i < NGRP; i = i + 1) begin
        grp_next[i] = (|match_ext[GRP*i +: GRP]) && !list_wr;
    end
    hit_next = (|grp_reg) && !list_wr;

    if (scan_start) begin
        rec_ok_next = 1'b1;
    end
    wr_oh_next = wr_oh_reg;
    if (record) begin
        valid_next = valid_reg | wr_oh_reg;
        wr_oh_next = (wr_oh_reg << 1) | (wr_oh_reg >> (LISTS - 1));   // rotate
    end
    if (list_wr) begin
        valid_next = {LISTS{1'b0}};
        wr_oh_next = {{(LISTS-1){1'b0}}, 1'b1};
        rec_ok_next = 1'b0;
    end
end

integer r;
always @(posedge clk) begin
    valid_reg <= valid_next;
    wr_oh_reg <= wr_oh_next;
    match_reg <= match_next;
    grp_reg <= grp_next;
    hit_reg <= hit_next;
    key_reg <= key;
    rec_ok_reg <= rec_ok_next;
    rec_reg <= scan_ok && rec_ok_reg && !list_wr;
    rec_key_reg <= key;
    // the key is written even when a list write cancels the record: valid_reg decides
    for (r = 0; r < LISTS; r = r + 1) begin
        if (rec_reg && wr_oh_reg[r]) begin
            key_mem[r] <= rec_key_reg;
        end
    end

    if (rst) begin
        valid_reg <= {LISTS{1'b0}};
        wr_oh_reg <= {{(LISTS-1){1'b0}}, 1'b1};
        match_reg <= {LISTS{1'b0}};
        grp_reg <= {NGRP{1'b0}};
        hit_reg <= 1'b0;
        rec_ok_reg <= 1'b0;
        rec_reg <= 1'b0;
    end
end

endmodule

`resetall
