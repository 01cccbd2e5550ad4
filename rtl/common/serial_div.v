/*
 * Serial unsigned divider (restoring, one quotient bit per cycle): q = floor(n / d), r = n mod d.
 *
 * Parameters:
 *   N_W  dividend (and quotient) width
 *   D_W  divisor (and remainder) width
 *
 * Latency: start (one cycle, while idle) -> done (a one-cycle pulse) N_W cycles later; q and r hold
 * until the next start. A divisor of 0 gives q = all ones (callers never divide by 0).
 */

`resetall
`timescale 1ns / 1ps
`default_nettype none

module serial_div #
(
    // dividend (and quotient) width
    parameter N_W = 32,
    // divisor (and remainder) width
    parameter D_W = 32
)
(
    input  wire            clk,
    input  wire            rst,

    input  wire            start,
    input  wire [N_W-1:0]  n,
    input  wire [D_W-1:0]  d,

    output wire            busy,
    output reg             done,
    output wire [N_W-1:0]  q,
    output wire [D_W-1:0]  r
);

localparam CNT_W = $clog2(N_W + 1);

reg [N_W-1:0] quo_reg;
reg [D_W-1:0] rem_reg;
reg [D_W-1:0] d_reg;
reg [CNT_W-1:0] cnt_reg;
reg busy_reg;

// next partial remainder: {rem, next dividend bit}
wire [D_W:0] trial = {rem_reg, quo_reg[N_W-1]};
wire ge = (trial >= {1'b0, d_reg});
// (the top bit of the difference is 0 whenever it is used)
/* verilator lint_off UNUSEDSIGNAL */
wire [D_W:0] diff = trial - {1'b0, d_reg};
/* verilator lint_on UNUSEDSIGNAL */

assign busy = busy_reg;
assign q = quo_reg;
assign r = rem_reg;

always @(posedge clk) begin
    done <= 1'b0;
    if (start && !busy_reg) begin
        quo_reg <= n;
        rem_reg <= {D_W{1'b0}};
        d_reg <= d;
        cnt_reg <= N_W[CNT_W-1:0];
        busy_reg <= 1'b1;
    end else if (busy_reg) begin
        // the remainder stays below d, so the difference fits D_W bits
        rem_reg <= ge ? diff[D_W-1:0] : trial[D_W-1:0];
        quo_reg <= {quo_reg[N_W-2:0], ge};
        cnt_reg <= cnt_reg - 1'b1;
        if (cnt_reg == 1) begin
            busy_reg <= 1'b0;
            done <= 1'b1;
        end
    end

    if (rst) begin
        busy_reg <= 1'b0;
        done <= 1'b0;
    end
end

endmodule

`resetall
