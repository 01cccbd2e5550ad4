/*
 * top_seq_params.vh: the parameter list of the sequencer and of its LOAD / STORE checks (xfer_check),
 * `include`d as the whole parameter port list #( ... ) (the last parameter: no trailing comma).
 * The top's memory word widths (LANES, KMAX, NMAX), memory depths (LOAD / STORE range checks)
 * and program memory depth.
 */
    // MAC lanes (a stack word is 2*LANES 16-bit pixels)
    parameter LANES = 8,
    // largest kernel size (index word widths)
    parameter KMAX = 11,
    // largest output channel count (index word widths)
    parameter NMAX = 256,
    // stack words per bank
    parameter FM_DEPTH = 4096,
    // weight / index / gradient memory depth
    parameter WDEPTH = 65536,
    // pointer memory depth
    parameter PDEPTH = 1024,
    // bias memory depth
    parameter BDEPTH = 1024,
    // descriptors the program memory holds
    parameter PROG_DEPTH = 256
