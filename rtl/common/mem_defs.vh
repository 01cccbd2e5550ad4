/*
 * mem_defs.vh: widths of the on-chip memories' words and addresses, derived from the memory
 * parameters (LANES, KMAX, CMAX, NMAX, FM_DEPTH, WDEPTH, PDEPTH, BDEPTH), for the modules that
 * carry every memory port: mem_core, mem_subsys, accel_top and the UC unit harness.
 *
 * Include it inside the module body, after the port list (the ports may use the widths), and
 * end the body with `undef MEM_DEFS_VH, as accel_defs.vh (its header says why):
 *
 *     `include "mem_defs.vh"
 *     ...
 *     `undef MEM_DEFS_VH
 *     endmodule
 */

`ifndef MEM_DEFS_VH
`define MEM_DEFS_VH

/* verilator lint_off UNUSEDPARAM */
// stack banks (two per lane) and the host port word: a whole stack word, at least 64 bits
localparam BANKS = 2 * LANES;
localparam HST_W = (BANKS * 16 > 64) ? BANKS * 16 : 64;
// address widths: stack word, weight / index / gradient, pointer, bias
localparam FM_AW = $clog2(FM_DEPTH);
localparam WAW = $clog2(WDEPTH);
localparam PAW = $clog2(PDEPTH);
localparam BAW = $clog2(BDEPTH);
// index entry fields: kernel offset, input channel, output channel
localparam K_W = (KMAX > 1) ? $clog2(KMAX) : 1;
localparam C_W = (CMAX > 1) ? $clog2(CMAX) : 1;
localparam N_W = (NMAX > 1) ? $clog2(NMAX) : 1;
// FIDX word {c, ky, kx}, BIDX word {waddr, n, ky, kx}, PTR word (docs/sparse-format.md)
localparam FIDX_W = 2 * K_W + C_W;
localparam BIDX_W = 2 * K_W + N_W + WAW;
localparam PTR_W = 2 * WAW + 1;
// a unit's weight, gradient and bias RAM ports as one bus (RAM_REQ, rtl/top/mem_subsys.v)
localparam RAM_REQ_W = 8 + 4 * WAW + 16 + 32 + 4 * BAW + 2 * 32;
/* verilator lint_on UNUSEDPARAM */

`endif
