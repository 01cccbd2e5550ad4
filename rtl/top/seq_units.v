/*
 * The compute units' side of the descriptor sequencer (sequencer.v): which opcodes are unit
 * commands (UC, MP, GAP, LC, LOSS; docs/program.md), the one-cycle command pulse to the unit of
 * the descriptor, and the response of whichever unit answers with the error class its non-zero
 * status maps to (docs/registers.md: ERR = class | status). One unit runs at a time; the units
 * take their command fields from the sequencer's descriptor.
 *
 * Parameters: none.
 *
 * Latency: the command pulse is high the cycle after issue; unit_op and the response are
 * combinational.
 */

`resetall
`timescale 1ns / 1ps
`default_nettype none

module seq_units
(
    input  wire       clk,
    input  wire       rst,

    input  wire [7:0] op,               // the descriptor's opcode
    output wire       unit_op,          // ... is a unit command
    input  wire       issue,            // send it to its unit (one cycle)
    input  wire       stop,             // the end of a stop (soft reset, watchdog): no pulse

`include "top_unit_ports.vh"
    output wire       rsp_valid,        // a unit answered ...
    output wire [3:0] rsp_status,       // ... with this status ...
    output wire [7:0] rsp_err           // ... its error class (ERR = rsp_err | rsp_status)
);

// unit opcodes (docs/program.md)
localparam [7:0] OP_UC = 8'h10, OP_MP = 8'h11, OP_GAP = 8'h12, OP_LC = 8'h13, OP_LOSS = 8'h14;
// unit error classes (docs/registers.md)
localparam [7:0] E_UC = 8'h10, E_MP = 8'h20, E_GAP = 8'h30, E_LC = 8'h40, E_LOSS = 8'h50;
// unit command bits (unit_cmd_*)
localparam U_UC = 0, U_MP = 1, U_GAP = 2, U_LC = 3, U_LOSS = 4;

reg [4:0] unit_cmd_reg, unit_cmd_next;     // command pulse per unit (U_*)
wire [4:0] unit_sel;                       // the opcode's unit (U_*), one-hot

assign unit_sel[U_UC] = op == OP_UC;
assign unit_sel[U_MP] = op == OP_MP;
assign unit_sel[U_GAP] = op == OP_GAP;
assign unit_sel[U_LC] = op == OP_LC;
assign unit_sel[U_LOSS] = op == OP_LOSS;
assign unit_op = unit_sel != 5'd0;
assign uc_cmd_valid = unit_cmd_reg[U_UC];
assign mp_cmd_valid = unit_cmd_reg[U_MP];
assign gap_cmd_valid = unit_cmd_reg[U_GAP];
assign lc_cmd_valid = unit_cmd_reg[U_LC];
assign loss_cmd_valid = unit_cmd_reg[U_LOSS];

assign rsp_valid = uc_rsp_valid || mp_rsp_valid || gap_rsp_valid || lc_rsp_valid ||
                   loss_rsp_valid;
assign rsp_status = uc_rsp_valid ? uc_rsp_status : mp_rsp_valid ? mp_rsp_status :
                    gap_rsp_valid ? gap_rsp_status : lc_rsp_valid ? lc_rsp_status :
                    loss_rsp_status;
assign rsp_err = uc_rsp_valid ? E_UC : mp_rsp_valid ? E_MP : gap_rsp_valid ? E_GAP :
                 lc_rsp_valid ? E_LC : E_LOSS;

always @* begin
    unit_cmd_next = (issue && !stop) ? unit_sel : 5'd0;
end

always @(posedge clk) begin
    unit_cmd_reg <= unit_cmd_next;

    // control state only
    if (rst) begin
        unit_cmd_reg <= 5'd0;
    end
end

endmodule

`resetall
