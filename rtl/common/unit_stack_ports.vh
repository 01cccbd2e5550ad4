/*
 * unit_stack_ports.vh: the two feature-map stack ports of every compute unit, `include`d inside
 * the ANSI port list (after the command ports): port A reads a vector; port B reads one or
 * writes one under a lane mask. The request buses are FMA_REQ and FMB_REQ (accel_defs.vh: the
 * including module includes accel_defs.vh in its body and has parameter LANES). The requests
 * are left out of toggle coverage (their fields are covered where the unit builds them); a unit
 * that never reads a port leaves its read data unused. Every line ends with a comma: more ports
 * follow.
 */
    /* verilator coverage_off */
    output wire [FMA_REQ_W-1:0]     m_fma_req,      // FMA_REQ (accel_defs.vh)
    /* verilator coverage_on */
    /* verilator lint_off UNUSEDSIGNAL */
    input  wire [LANES*16-1:0]      fma_rdata,
    /* verilator lint_on UNUSEDSIGNAL */
    /* verilator coverage_off */
    output wire [FMB_REQ_W-1:0]     m_fmb_req,      // FMB_REQ (accel_defs.vh)
    /* verilator coverage_on */
    /* verilator lint_off UNUSEDSIGNAL */
    input  wire [LANES*16-1:0]      fmb_rdata,
    /* verilator lint_on UNUSEDSIGNAL */
