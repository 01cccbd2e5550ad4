/*
 * Banked simple dual-port RAM: BANKS banks by the address's low bits (bank a mod BANKS, word
 * a div BANKS), so that BANKS accesses of different banks run in one cycle (the weight and
 * gradient memories of mem_core: UPDATE on UPD_BANKS engines, engine k on the addresses of bank
 * k; docs/uc_unit.md "UPDATE on several engines").
 *
 * Port 0 (wr_*, rd_*) reaches every bank: the bank of its address; its read data is that bank's,
 * selected by the address's bank registered with the read. Ports k = 1 .. BANKS-1 (x_*, field
 * k-1) reach bank k only: their addresses are full word addresses whose bank bits are k (an
 * assertion checks it), their read data is bank k's. A port k access takes bank k's port over
 * port 0's in the same cycle; the caller never lets them meet (assertion).
 *
 * Parameters:
 *   DATA_W  word width
 *   DEPTH   words (a multiple of BANKS)
 *   BANKS   banks (a power of two); 1 is one RAM, port 0 alone (the x_* ports unused)
 *
 * Latency: read data 1 cycle after the address (when the port's rd_en); a read of a word written
 * in the same cycle returns the old word (read-first, as sdp_ram).
 */

`resetall
`timescale 1ns / 1ps
`default_nettype none

module bank_ram #
(
    // word width
    parameter DATA_W = 16,
    // words (a multiple of BANKS)
    parameter DEPTH = 1024,
    // banks (a power of two)
    parameter BANKS = 1
)
(
    input  wire                     clk,

    // port 0: any bank
    input  wire                     wr_en,
    input  wire [AW-1:0]            wr_addr,
    input  wire [DATA_W-1:0]        wr_data,
    input  wire                     rd_en,
    input  wire [AW-1:0]            rd_addr,
    output wire [DATA_W-1:0]        rd_data,

    // ports 1 .. BANKS-1: bank k only (field k-1; one unused field when BANKS = 1)
    /* verilator lint_off UNUSEDSIGNAL */
    input  wire [XB-1:0]            x_wr_en,
    input  wire [XB*AW-1:0]         x_wr_addr,
    input  wire [XB*DATA_W-1:0]     x_wr_data,
    input  wire [XB-1:0]            x_rd_en,
    input  wire [XB*AW-1:0]         x_rd_addr,
    /* verilator lint_on UNUSEDSIGNAL */
    output wire [XB*DATA_W-1:0]     x_rd_data
);

localparam AW = (DEPTH > 1) ? $clog2(DEPTH) : 1;
localparam LB = (BANKS > 1) ? $clog2(BANKS) : 0;
localparam XB = (BANKS > 1) ? BANKS - 1 : 1;
localparam BDEPTH = DEPTH / BANKS;

// every bank's read data
wire [BANKS*DATA_W-1:0] q;

genvar k;
generate
    if (BANKS == 1) begin : g_nox
        assign x_rd_data = {DATA_W{1'b0}};
    end
    for (k = 0; k < BANKS; k = k + 1) begin : g_bank
        // this bank's access: port k's (k > 0) when it has one, else port 0's when its address
        // is in this bank
        wire          xw = (k > 0) && x_wr_en[(k > 0) ? k - 1 : 0];
        wire          xr = (k > 0) && x_rd_en[(k > 0) ? k - 1 : 0];
        /* verilator lint_off UNUSEDSIGNAL */
        wire [AW-1:0] xw_a = x_wr_addr[AW*((k > 0) ? k - 1 : 0) +: AW];
        wire [AW-1:0] xr_a = x_rd_addr[AW*((k > 0) ? k - 1 : 0) +: AW];
        wire          pw = wr_en && ((BANKS == 1) || (wr_addr[(LB > 0 ? LB : 1)-1:0] == k));
        wire          we = xw || pw;
        wire [AW-1:0] wa = xw ? xw_a : wr_addr;
        wire [DATA_W-1:0] wd = xw ? x_wr_data[DATA_W*((k > 0) ? k - 1 : 0) +: DATA_W] : wr_data;
        wire          re = xr || rd_en;
        wire [AW-1:0] ra = xr ? xr_a : rd_addr;     // (its bank bits: the bank's own)
        /* verilator lint_on UNUSEDSIGNAL */

        reg [DATA_W-1:0] mem [0:BDEPTH-1];
        reg [DATA_W-1:0] q_reg;

        // block RAM powers up as zeros
        integer i;
        initial begin
            q_reg = {DATA_W{1'b0}};
            for (i = 0; i < BDEPTH; i = i + 1) begin
                mem[i] = {DATA_W{1'b0}};
            end
        end

        always @(posedge clk) begin
            if (we) begin
                mem[wa[AW-1:LB]] <= wd;
            end
            if (re) begin
                q_reg <= mem[ra[AW-1:LB]];
            end
        end

        assign q[DATA_W*k +: DATA_W] = q_reg;
        if (k > 0) begin : g_x
            assign x_rd_data[DATA_W*(k-1) +: DATA_W] = q_reg;
        end

`ifdef ACCEL_ASSERTS
        // verilator coverage_off
        always @(posedge clk) begin
            if (k > 0) begin
                assert (!xw || xw_a[(LB > 0 ? LB : 1)-1:0] == k) else $error("bank_ram: x_bank: a port-k write outside bank k");
                assert (!xr || xr_a[(LB > 0 ? LB : 1)-1:0] == k) else $error("bank_ram: x_bank: a port-k read outside bank k");
                assert (!(xw && pw)) else $error("bank_ram: x_meet: port 0 and port k write bank k at once");
                assert (!(xr && rd_en && rd_addr[(LB > 0 ? LB : 1)-1:0] == k)) else $error("bank_ram: x_meet: port 0 and port k read bank k at once");
            end
        end
        // verilator coverage_on
`endif
    end
endgenerate

// port 0's read data: the bank of the address read, registered with the read
generate
    if (BANKS > 1) begin : g_sel
        reg [LB-1:0] rb_reg;
        initial rb_reg = {LB{1'b0}};
        always @(posedge clk) begin
            if (rd_en) begin
                rb_reg <= rd_addr[LB-1:0];
            end
        end
        assign rd_data = q[DATA_W*rb_reg +: DATA_W];
    end else begin : g_one
        assign rd_data = q;
    end
endgenerate

endmodule

`resetall
