/*
 * accel_defs.vh: definitions shared by the compute units (uc_unit and its modules, mp_unit,
 * gap_unit, lc_unit, loss_unit): unit status codes, the signed pixel-coordinate width, the
 * stack port request buses, the units' command bus layouts (unit_cmd.vh), the accumulator
 * width and the fixed-point helpers of
 * docs/numerics.md. The memories and the top (mem_core, mem_subsys, accel_top) and the unit
 * harnesses (verif/hdl) include it for XW, the request bus widths and the command bus widths.
 *
 * Include it inside each module body, after the port list:
 *
 *     `include "accel_defs.vh"
 *     ...
 *     `undef ACCEL_DEFS_VH
 *     endmodule
 *
 * Verilog-2005 has no packages, so the localparams and functions below become the including
 * module's own (function arguments are named f_* so that they hide no signal of the module). The ifndef guard keeps a second include in the same module body from declaring
 * them twice. A macro lives for the whole compilation unit (Verilator, Icarus and Yosys read every
 * file of a build as one), so each including module ends its body with `undef ACCEL_DEFS_VH;
 * without it the next module would find the guard set, get none of these definitions and fail
 * to compile (a loud error, never a silent one).
 *
 * Build flows pass this directory as an include path (flow/blocks.py INCLUDE_DIRS).
 */

`ifndef ACCEL_DEFS_VH
`define ACCEL_DEFS_VH

/* verilator lint_off UNUSEDPARAM */
// signed pixel coordinates on the stack ports: maps up to 2^16 wide plus padding
localparam XW = 20;
// MAC accumulator width (signed)
localparam ACC_W = 48;

/*
 * Stack port request buses, MSB first: a unit drives them (m_fma_req, m_fmb_req), mem_subsys
 * muxes them, mem_core and fm_stack take them; the read data (fma_rdata, fmb_rdata, LANES*16
 * bits each) travel apart.
 *   FMA_REQ = {fma_en, fma_s2, fma_row[FM_AW-1:0], fma_x[XW-1:0]}
 *   FMB_REQ = {fmb_en, fmb_we, fmb_s2, fmb_row[FM_AW-1:0], fmb_x[XW-1:0],
 *              fmb_wdata[2*LANES*16-1:0], fmb_wmask[2*LANES-1:0]}
 * en: access this cycle; we: write (port B); s2: stride 2; row: stack word of the map row;
 * x: signed start column; wdata, wmask: lane pixels and lane write enables (fm_stack.v). A write
 * has 2*LANES lanes (one a bank: 2*LANES pixels at stride 1 from any column fall in distinct
 * banks; issue 14, the MP unit's MP_BWD); at stride 2 only lanes 0..LANES-1 may be enabled. A
 * read returns LANES pixels (fmb_rdata), and a unit that writes LANES lanes leaves the upper
 * half's mask at zero.
 * The widths use the including module's FM_AW (stack word address width) and LANES.
 */
localparam FMA_REQ_W = 2 + FM_AW + XW;
// the map units' further read ports (m_fmx_req / fmx_rdata): port A of stack copies 2 .. 7 of an
// engine array (the MP unit's RD_PORTS = 4 reads copies 2, 3; RD_PORTS = 8 all six)
localparam RDX_PORTS = 6;
localparam FMB_REQ_W = 3 + FM_AW + XW + 2 * LANES * 16 + 2 * LANES;

// unit status codes (m_rsp_status; docs/uc_unit.md, docs/units.md)
localparam [3:0] ST_OK           = 4'd0,
                 ST_BAD_MODE     = 4'd1,
                 ST_BAD_SHAPE    = 4'd2,
                 ST_BAD_GEOMETRY = 4'd3,
                 ST_BAD_BUFFER   = 4'd4,
                 ST_BAD_LIST     = 4'd5,
                 ST_BAD_INDEX    = 4'd6,
                 ST_BAD_LABEL    = 4'd7;
/* verilator lint_on UNUSEDPARAM */

// the units' command buses: <UNIT>_CMD_W and the field offsets in s_cmd_data (generated from
// sparsetrain/unit_cmds.py)
`include "unit_cmd.vh"

// (Verilator -Wall sees the functions of a unit inside an engine of uc_unit's array as hiding
// the array's own: each module has its copy, the same text)
/* verilator lint_off VARHIDDEN */

// the rounding constant 2^(sh-1) of a right shift by sh (0 for sh = 0: no rounding), as a
// 66-bit signed value (numerics.round_shift: round half up)
function signed [65:0] rnd66;
    input [5:0] f_sh;
    integer f_i;
    begin
        // a compare a bit, not a shifter: bit i is set for f_sh = i + 1 (issue 16: one LUT level)
        for (f_i = 0; f_i < 66; f_i = f_i + 1) begin
            rnd66[f_i] = ({26'd0, f_sh} == f_i + 1);
        end
    end
endfunction

// saturate a wide signed value to 32 bits
function [31:0] sat32;
    input signed [65:0] f_v;
    begin
        if (f_v > 66'sd2147483647) begin
            sat32 = 32'h7fffffff;
        end else if (f_v < -66'sd2147483648) begin
            sat32 = 32'h80000000;
        end else begin
            sat32 = f_v[31:0];
        end
    end
endfunction

// sat32(a + b) of two 32-bit signed values: their exact sum in 33 bits, saturated when its top
// two bits differ (one 33-bit carry chain and a LUT level, not a 66-bit add and two 66-bit
// compares: the read-modify-write of a gradient in one cycle, issue 16)
function [31:0] add_sat32;
    input [31:0] f_a;
    input [31:0] f_b;
    reg [32:0] f_s;
    begin
        f_s = {f_a[31], f_a} + {f_b[31], f_b};
        if (f_s[32] != f_s[31]) begin
            add_sat32 = f_s[32] ? 32'h80000000 : 32'h7fffffff;
        end else begin
            add_sat32 = f_s[31:0];
        end
    end
endfunction

// saturate a wide signed value to 16 bits (narrower callers sign-extend to 66 bits)
function [15:0] sat16;
    input signed [65:0] f_v;
    begin
        if (f_v > 66'sd32767) begin
            sat16 = 16'h7fff;
        end else if (f_v < -66'sd32768) begin
            sat16 = 16'h8000;
        end else begin
            sat16 = f_v[15:0];
        end
    end
endfunction

// x * d for a small factor d in 0..7 (a dilation): shift-and-add, so no DSP is spent on it;
// exact modulo 2^16 like a 16-bit product
function [15:0] mul_dil;
    input [15:0] f_x;
    input [2:0] f_d;
    begin
        mul_dil = (f_d[0] ? f_x : 16'd0) + (f_d[1] ? {f_x[14:0], 1'b0} : 16'd0) +
                  (f_d[2] ? {f_x[13:0], 2'b00} : 16'd0);
    end
endfunction

// a 16-bit count or size (a channel, a row length in words) as a stack word address: FM_AW bits,
// zero-extended when the stack has more than 2^16 words (a plain [FM_AW-1:0] select of a 16-bit
// value would then be out of range: 0 in Verilator, x in Icarus), its low bits otherwise
function [FM_AW-1:0] fm_w16;
    input [15:0] f_v;
    /* verilator lint_off UNUSEDSIGNAL */
    reg [FM_AW+15:0] f_t;       // (its bits above FM_AW are dropped)
    /* verilator lint_on UNUSEDSIGNAL */
    begin
        f_t = {{FM_AW{1'b0}}, f_v};
        fm_w16 = f_t[FM_AW-1:0];
    end
endfunction

/* verilator lint_on VARHIDDEN */

`endif
