/*
 * top_seq_param_conns.vh: the parameter overrides that pass the sequencer's parameters
 * (top_seq_params.vh) on under the same names, `include`d as an instance's whole parameter list
 * #( ... ): the sequencer in accel_top, xfer_check in the sequencer.
 */
    .LANES(LANES), .KMAX(KMAX), .NMAX(NMAX), .FM_DEPTH(FM_DEPTH), .WDEPTH(WDEPTH),
    .PDEPTH(PDEPTH), .BDEPTH(BDEPTH), .PROG_DEPTH(PROG_DEPTH)
