/*
 * uc_pipe_param_conns.vh: the parameter overrides of the UC unit's pipeline modules
 * (uc_pipe_params.vh) in uc_unit, from its parameters and derived widths (mem_defs.vh),
 * `include`d as an instance's whole parameter list #( ... ).
 */
    .LANES(LANES), .KMAX(KMAX), .FM_AW(FM_AW), .WAW(WAW), .PAW(PAW), .BAW(BAW)
