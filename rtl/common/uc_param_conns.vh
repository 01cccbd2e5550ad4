/*
 * uc_param_conns.vh: the parameter overrides that pass the UC unit's parameters (uc_params.vh)
 * on under the same names, `include`d as the last entries of an instance's parameter list
 * #( ... ) (the last one has no trailing comma): uc_unit in accel_top and in its harness,
 * uc_ctrl in uc_unit, mem_subsys in accel_top, accel_top in its HDL-memory harness.
 */
    .LANES(LANES), .KMAX(KMAX), .CMAX(CMAX), .NMAX(NMAX), .HMAX(HMAX), .WMAX(WMAX),
    .FM_DEPTH(FM_DEPTH), .WDEPTH(WDEPTH), .PDEPTH(PDEPTH), .BDEPTH(BDEPTH)
