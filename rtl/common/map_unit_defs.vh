/*
 * map_unit_defs.vh: the derived widths and constants of the map units mp_unit and gap_unit
 * (their parameters: map_unit_params.vh), `include`d first in the module body: BANKS (stack
 * banks, 2*LANES), LOG_B, FM_AW (stack word address width), the limits as 32-bit constants for
 * the shape checks, and row_words (the stack words of a map row).
 */
localparam BANKS = 2 * LANES;
localparam LOG_B = $clog2(BANKS);
localparam FM_AW = $clog2(FM_DEPTH);

localparam [31:0] CMAX_32 = CMAX, HMAX_32 = HMAX, WMAX_32 = WMAX, FM_DEPTH_32 = FM_DEPTH;
localparam [31:0] LANES_32 = LANES;

// stack words of a row of v pixels: ceil(v / BANKS) (a word holds 2*LANES pixels)
function [15:0] row_words;
    input [15:0] v;
    /* verilator lint_off UNUSEDSIGNAL */
    reg [31:0] t;
    /* verilator lint_on UNUSEDSIGNAL */
    begin
        t = {16'd0, v} + BANKS - 1;
        row_words = t[LOG_B +: 16];
    end
endfunction
