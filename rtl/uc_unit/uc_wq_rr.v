/*
 * The write queues' round robin (uc_wq, uc_wq_node): of the requests, the lowest one at or
 * above the mask (the requests after the last one granted), else the lowest one; its entry by an
 * AND-OR of the grant. The mask after a grant is the requests above it (a prefix OR of the
 * requests, not of the grant: when the last request is granted the mask empties, so the next
 * grant starts from the first request, as after a restart). Combinational: the caller keeps the
 * mask in a register.
 *
 * Parameters:
 *   N  requesters
 *   W  entry width
 *
 * Latency: none (combinational).
 */

`resetall
`timescale 1ns / 1ps
`default_nettype none

module uc_wq_rr #
(
    // requesters
    parameter N = 4,
    // entry width
    parameter W = 8
)
(
    input  wire [N-1:0]     req,
    input  wire [N-1:0]     mask,           // the requests after the last one granted (a register)
    input  wire [N*W-1:0]   entries,        // each requester's entry
    output reg  [N-1:0]     grant,          // one-hot, or zero without a request
    output reg  [N-1:0]     mask_next,      // the mask after this cycle (unchanged without a grant)
    output reg              any,            // a request was granted
    output reg  [W-1:0]     entry           // the granted entry (zero without a grant)
);

reg [N-1:0] req_hi;
reg         any_hi, bel, bel_hi;
integer k;
always @* begin
    req_hi = req & mask;
    any = |req;
    any_hi = |req_hi;
    bel = 1'b0;
    bel_hi = 1'b0;
    mask_next = mask;
    entry = {W{1'b0}};
    for (k = 0; k < N; k = k + 1) begin
        grant[k] = any_hi ? (req_hi[k] && !bel_hi) : (req[k] && !bel);
        if (any) begin
            mask_next[k] = any_hi ? bel_hi : bel;
        end
        bel_hi = bel_hi || req_hi[k];
        bel = bel || req[k];
        entry = entry | (entries[W*k +: W] & {W{grant[k]}});
    end
end

endmodule

`resetall
