/*
 * stack_host_ports.vh: the host port of the single-stack unit harnesses (mp, gap, loss),
 * `include`d as the last entries of the ANSI port list: the testbench loads and reads the stack
 * while the unit is idle (stack_host.vh). hst_sel and the high address bits are unused (the
 * stack is the only memory); a word is 2*LANES pixels (the harness defines BANKS = 2*LANES).
 */
    /* verilator lint_off UNUSEDSIGNAL */
    input  wire [2:0]               hst_sel,
    input  wire [31:0]              hst_addr,
    /* verilator lint_on UNUSEDSIGNAL */
    input  wire                     hst_we,
    input  wire [BANKS*16-1:0]      hst_wdata,
    output wire [BANKS*16-1:0]      hst_rdata
