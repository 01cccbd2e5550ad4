/*
 * UC unit pre-scan: before a command computes anything, read its pointer table and every index
 * entry of its list and check them, so a bad list is reported before any memory is written
 * (docs/uc_unit.md "Pipeline and cycle count"). Part of uc_unit; uc_ctrl runs it in S_SCAN.
 *
 * For each pointer: read it (SCAN_PTR_RD), check start + count <= WDEPTH (SCAN_PTR_CHK), then read
 * its index entries one a cycle (SCAN_IDX), each compared when its data arrive: kx, ky < K;
 * c < C (forward list) or n < N and the weight address < WDEPTH (backward list); the compares'
 * result is registered (idx_bad_reg) and decides the cycle after (issue 16: the index memory's
 * read data no longer reach uc_ctrl's status in the same cycle). A pointer's range compare is
 * registered the same way (pbad_reg) and decides a cycle after its data arrive. UPDATE reads no
 * index entry: it checks one pointer a cycle.
 *
 * Parameters:
 *   KMAX    largest kernel size
 *   WDEPTH  weight / index / gradient memory depth
 *   PDEPTH  pointer memory depth
 *
 * Latency: two cycles a pointer plus one an index entry (UPDATE: one a pointer); an index entry's
 * verdict two cycles after its read (read data, registered compare), so a list whose last pointer
 * has entries passes two cycles after its last read, one whose last list is empty one cycle
 * after its last pointer's data (UPDATE: likewise); pass, bad_list and bad_index are
 * combinational, valid while scanning (bad_list and bad_index from registers only).
 */

`resetall
`timescale 1ns / 1ps
`default_nettype none

module uc_scan #
(
    // largest kernel size
    parameter KMAX = 11,
    // weight / index / gradient memory depth
    parameter WDEPTH = 65536,
    // pointer memory depth
    parameter PDEPTH = 1024
)
(
    input  wire                 clk,

    // command (uc_ctrl)
    input  wire                 start,          // the checks pass now: scan from this edge
    input  wire                 scanning,
    input  wire                 is_bwd,
    input  wire                 is_update,
    input  wire                 split,          // BWD_DATA at stride 2: the list split by parity
    input  wire                 dil_odd,        // dil[0]: the parity of ky*dil / kx*dil is ky[0] / kx[0]
    input  wire [7:0]           k,
    input  wire [15:0]          c,
    input  wire [15:0]          n,
    input  wire [15:0]          n_ptrs,         // pointers of the list: N, or C in BWD_DATA
    input  wire [PAW-1:0]       ptr_base,       // pointer table of the list (low bits)
    output wire                 pass,           // every entry checked: the run may start
    output wire                 bad_list,       // a list beyond the weight memory
    output wire                 bad_index,      // an index entry outside the layer

    // pointer memory
    output wire                 ptr_rd_en,
    output wire [PAW-1:0]       ptr_rd_addr,
    input  wire [PTR_W-1:0]     ptr_rd_data,
    // index memory (forward or backward list); the entry read the cycle before, decoded
    output wire                 idx_rd_en,
    output wire [WAW-1:0]       idx_rd_addr,
    input  wire [K_W-1:0]       idx_kx,
    input  wire [K_W-1:0]       idx_ky,
    input  wire [15:0]          idx_ch,         // c (forward list) or n (backward list)
    input  wire [WAW-1:0]       idx_waddr       // backward list: weight address
);

localparam WAW = $clog2(WDEPTH);
localparam PAW = $clog2(PDEPTH);
localparam K_W = (KMAX > 1) ? $clog2(KMAX) : 1;
localparam CNT_W = WAW + 1;
localparam PTR_W = WAW + CNT_W;
localparam [CNT_W-1:0] CNT_1 = 1, CNT_2 = 2;
localparam [31:0] WDEPTH_32 = WDEPTH;

// phases of one pointer
localparam [1:0] SCAN_PTR_RD = 2'd0,    // pointer read issued
                 SCAN_PTR_CHK = 2'd1,   // pointer data arrives: check it
                 SCAN_IDX = 2'd2;       // one index entry a cycle

reg [1:0]       phase_reg, phase_next;
reg [15:0]      p_reg, p_next;          // pointer
// 16-bit counts as addresses of the (possibly deeper than 2^16) memories: zero-extended
/* verilator lint_off UNUSEDSIGNAL */
/* verilator coverage_off */
wire [PAW+15:0] p_ext = {{PAW{1'b0}}, p_reg};
/* verilator coverage_on */
/* verilator lint_on UNUSEDSIGNAL */
reg [CNT_W-1:0] a_reg, a_next;          // index entry
// the list's end as a flag: entries left after the next one (rem) and "the entry read now is the
// last" (ilast), so that the walk's decision is no add and compare of a (issue 16: 6 LUT levels)
reg [CNT_W-1:0] rem_reg, rem_next;
reg             ilast_reg, ilast_next;
reg             chk_reg, chk_next;      // an index (UPDATE: pointer) read is in flight: check it
reg             chk2_reg, chk2_next;    // an index entry's registered compare is valid: decide it
// that entry's compares (kx, ky, channel, weight address, parity class), a bit each: ORed when
// decided, so that the index memory's read data end in a flip-flop after one compare (issue 16)
reg [4:0]       idx_bad_reg, idx_bad_next;
reg [15:0]      ch_lim_reg;             // the channel bound of the command's list: N or C
// a pointer's range compare (start + count > WDEPTH), registered and decided a cycle after its
// read data arrive, so that the memory's data end in a flip-flop after one add and compare (issue
// 16); the walk goes on meanwhile (reads only: nothing is written before the scan passes)
reg             pchk_reg, pchk_next;    // a pointer's registered compare is valid: decide it
reg             pbad_reg, pbad_next;
reg [1:0]       q_reg, q_next;          // split: the parity class of the entry read (pointer mod 4)
reg             pass_int, bad_list_int, bad_index_int;
// the list's last pointer as a flag beside p (p == n_ptrs: every pointer read), set from a compare
// of p with the command's n_ptrs - 1 when p steps (issue 16: n_ptrs' select and the 16-bit compare
// in front of the walk's decision were 5 LUT levels)
reg             pend_reg, pend_next;
reg [15:0]      nptrs_m1_reg;           // n_ptrs - 1, registered from the command
reg             nptrs_z_reg;            // n_ptrs == 0
wire            p_inc_end = (p_reg == nptrs_m1_reg);   // p + 1 == n_ptrs

assign pass = pass_int;
assign bad_list = bad_list_int;
assign bad_index = bad_index_int;

// UPDATE reads one pointer a cycle; the other modes read a pointer, then walk its entries
assign ptr_rd_en = (scanning && phase_reg == SCAN_PTR_RD) ||
                   (scanning && is_update && !pend_reg);
assign ptr_rd_addr = ptr_base + p_ext[PAW-1:0];
assign idx_rd_en = scanning && phase_reg == SCAN_IDX;
assign idx_rd_addr = a_reg[WAW-1:0];

wire [WAW-1:0]   ptr_start = ptr_rd_data[WAW-1:0];
wire [CNT_W-1:0] ptr_count = ptr_rd_data[PTR_W-1:WAW];
wire [CNT_W:0]   ptr_end = {1'b0, ptr_start} + {1'b0, ptr_count};
wire             ptr_bad = {{(31-CNT_W){1'b0}}, ptr_end} > WDEPTH_32;
// split lists (docs/sparse-format.md): list 4c+q holds only entries of parity class q,
// q = 2 * ((ky*dil) & 1) + ((kx*dil) & 1); an entry in another class is a bad index
wire par_bad = split && ({idx_ky[0] & dil_odd, idx_kx[0] & dil_odd} != q_reg);
wire [4:0] idx_bad = {{{(8-K_W){1'b0}}, idx_kx} >= k, {{(8-K_W){1'b0}}, idx_ky} >= k,
                      idx_ch >= ch_lim_reg,
                      is_bwd && {{(32-WAW){1'b0}}, idx_waddr} >= WDEPTH_32, par_bad};

always @* begin
    phase_next = phase_reg;
    p_next = p_reg;
    a_next = a_reg;
    rem_next = rem_reg;
    ilast_next = ilast_reg;
    chk_next = chk_reg;
    chk2_next = chk2_reg;
    idx_bad_next = idx_bad;
    pchk_next = 1'b0;
    pbad_next = ptr_bad;
    q_next = q_reg;
    pend_next = pend_reg;
    pass_int = 1'b0;
    bad_list_int = 1'b0;
    bad_index_int = 1'b0;

    if (start) begin
        phase_next = SCAN_PTR_RD;
        p_next = 16'd0;
        pend_next = nptrs_z_reg;
        chk_next = 1'b0;
        chk2_next = 1'b0;
        pchk_next = 1'b0;
    end

    if (scanning) begin
        chk_next = 1'b0;
        // the entry read two cycles ago: its compare was registered last cycle
        chk2_next = chk_reg && !is_update;
        if (is_update) begin
            pchk_next = chk_reg;
            if (pchk_reg && pbad_reg) begin
                bad_list_int = 1'b1;
            end else if (pend_reg) begin
                // (pass: below)
            end else begin
                p_next = p_reg + 1'b1;
                pend_next = p_inc_end;
                chk_next = 1'b1;
            end
        end else if (chk2_reg && (|idx_bad_reg)) begin
            bad_index_int = 1'b1;
        end else if (pchk_reg && pbad_reg) begin
            bad_list_int = 1'b1;
        end else if (pend_reg) begin
            // (pass: below)
        end else begin
            case (phase_reg)
            SCAN_PTR_RD: phase_next = SCAN_PTR_CHK;
            SCAN_PTR_CHK: begin
                pchk_next = 1'b1;
                if (ptr_count == 0) begin
                    p_next = p_reg + 1'b1;
                    pend_next = p_inc_end;
                    phase_next = SCAN_PTR_RD;
                end else begin
                    a_next = {1'b0, ptr_start};
                    rem_next = ptr_count - CNT_2;
                    ilast_next = (ptr_count == CNT_1);
                    phase_next = SCAN_IDX;
                end
            end
            default: begin
                // SCAN_IDX
                chk_next = 1'b1;
                q_next = p_reg[1:0];
                a_next = a_reg + 1'b1;
                rem_next = rem_reg - 1'b1;
                ilast_next = (rem_reg == {CNT_W{1'b0}});
                if (ilast_reg) begin
                    p_next = p_reg + 1'b1;
                    pend_next = p_inc_end;
                    phase_next = SCAN_PTR_RD;
                end
            end
            endcase
        end
        // every pointer read and no verdict pending (then no bad_list / bad_index either): one
        // LUT of registers, not the end of the priority chain above (issue 16)
        pass_int = pend_reg && !chk_reg && !pchk_reg && (is_update || !chk2_reg);
    end
end

// no reset: start initialises the scan, and nothing is read outside S_SCAN
always @(posedge clk) begin
    phase_reg <= phase_next;
    p_reg <= p_next;
    a_reg <= a_next;
    rem_reg <= rem_next;
    ilast_reg <= ilast_next;
    chk_reg <= chk_next;
    chk2_reg <= chk2_next;
    idx_bad_reg <= idx_bad_next;
    ch_lim_reg <= is_bwd ? n : c;
    pchk_reg <= pchk_next;
    pbad_reg <= pbad_next;
    q_reg <= q_next;
    pend_reg <= pend_next;
    nptrs_m1_reg <= n_ptrs - 1'b1;
    nptrs_z_reg <= (n_ptrs == 16'd0);
end

`ifdef ACCEL_ASSERTS
// verilator coverage_off
// the flag equals the compare it replaces while scanning
always @(posedge clk) begin
    if (scanning) begin
        assert (pend_reg == (p_reg == n_ptrs))
            else $error("uc_scan: last-pointer flag differs from its compare");
    end
end
// verilator coverage_on
`endif

endmodule

`resetall
