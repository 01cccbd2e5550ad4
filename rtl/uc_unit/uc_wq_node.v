/*
 * One node of the engine array's write-queue tree (uc_wq): a round robin over up to four
 * children (the engines' queues, or the nodes of the level below) that takes one child's oldest
 * entry a cycle into a two-entry buffer while the buffer holds fewer than two, and offers the
 * buffer's oldest entry to its parent.
 *
 * Every decision starts from flip-flops: the children's "not empty" flags are registers, this
 * node's "full" is a register (the count after the cycle, kept beside it), and the round robin is
 * a thermometer mask of the children after the last one granted (issue 16: a 16-way round robin
 * and the select behind it were 5 LUT levels; a node of four is 3). The buffer fills while it
 * drains, so one child alone still passes one entry a cycle through a node.
 *
 * Parameters:
 *   N  children (1 to 4)
 *   W  entry width
 *
 * Latency: an entry taken in a cycle is the node's head (ne, head) the next cycle.
 */

`resetall
`timescale 1ns / 1ps
`default_nettype none

module uc_wq_node #
(
    // children (1 to 4)
    parameter N = 4,
    // entry width
    parameter W = 8
)
(
    input  wire             clk,
    input  wire             rst,

    // every queue and node of the tree is empty: the round robin starts again from the first
    // child, so that a command's cycles never depend on the command before (uc_wq)
    input  wire             restart,

    // the children: not empty (registers), their oldest entries, and which one is taken
    input  wire [N-1:0]     c_ne,
    input  wire [N*W-1:0]   c_head,
    output wire [N-1:0]     c_take,

    // to the parent: not empty (a register), the oldest entry, and the parent takes it
    output wire             ne,
    output wire [W-1:0]     head,
    input  wire             p_take
);

// the two-entry buffer: written at gw, read at gr; count, not-empty and full kept as registers
reg [W-1:0] gb0_reg, gb1_reg;
reg         gw_reg, gr_reg;
reg [1:0]   cnt_reg;
reg         ne_reg, ne_next, full_reg, full_next;
// round robin: ones from the child after the last one granted
reg [N-1:0] mask_reg;
wire [N-1:0] mask_next;

wire [N-1:0] req = full_reg ? {N{1'b0}} : c_ne;   // a node with room (fewer than two) takes one
wire         any;
wire [W-1:0] pick_data;                     // the granted child's entry

assign ne = ne_reg;
assign head = gr_reg ? gb1_reg : gb0_reg;

// round robin over the children (uc_wq_rr)
uc_wq_rr #(.N(N), .W(W)) u_rr (
    .req(req), .mask(mask_reg), .entries(c_head),
    .grant(c_take), .mask_next(mask_next), .any(any), .entry(pick_data)
);

always @* begin
    // count + pick - take: not empty, and full (two)
    ne_next = any || cnt_reg == 2'd2 || (cnt_reg == 2'd1 && !p_take);
    full_next = (cnt_reg == 2'd2 && !p_take) || (cnt_reg == 2'd1 && any && !p_take);
end

always @(posedge clk) begin
    if (any && !gw_reg) begin
        gb0_reg <= pick_data;
    end
    if (any && gw_reg) begin
        gb1_reg <= pick_data;
    end
    if (any) begin
        gw_reg <= !gw_reg;
    end
    if (p_take) begin
        gr_reg <= !gr_reg;
    end
    cnt_reg <= cnt_reg + {1'b0, any} - {1'b0, p_take};
    ne_reg <= ne_next;
    full_reg <= full_next;
    mask_reg <= restart ? {N{1'b1}} : mask_next;

    if (rst) begin
        gw_reg <= 1'b0;
        gr_reg <= 1'b0;
        cnt_reg <= 2'd0;
        ne_reg <= 1'b0;
        full_reg <= 1'b0;
        mask_reg <= {N{1'b1}};
    end
end

`ifdef ACCEL_ASSERTS
// verilator coverage_off
always @(posedge clk) begin
    if (!rst) begin
        assert (!(any && cnt_reg == 2'd2)) else $error("uc_wq: overflow: an entry into a full node buffer");
        assert (!(p_take && cnt_reg == 2'd0)) else $error("uc_wq: a take from an empty node buffer");
        assert (ne_reg == (cnt_reg != 2'd0) && full_reg == (cnt_reg == 2'd2))
            else $error("uc_wq: node flags differ from the count");
    end
end
// verilator coverage_on
`endif

endmodule

`resetall
