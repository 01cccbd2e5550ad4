/*
 * top_busy_ports.vh: the five units' busy flags as inputs (which unit runs), shared by the
 * sequencer, its run counters (run_ctrl) and the memory subsystem's muxes (mem_subsys),
 * `include`d inside the ANSI port list (every line ends with a comma: more ports follow).
 */
    input  wire             uc_busy,
    input  wire             mp_busy,
    input  wire             gap_busy,
    input  wire             lc_busy,
    input  wire             loss_busy,
