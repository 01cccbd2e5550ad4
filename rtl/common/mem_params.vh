/*
 * mem_params.vh: the parameter list of the accelerator's memories (mem_core, and the top's
 * mem_subsys around it), `include`d inside the module's parameter port list #( ... ) (the last
 * parameter: no trailing comma): word widths (LANES, KMAX, CMAX, NMAX) and depths (FM_DEPTH,
 * WDEPTH, PDEPTH, BDEPTH), as uc_unit's.
 */
    // stack vector lanes (power of two): 2*LANES banks
    parameter LANES = 8,
    // largest kernel size (index word widths)
    parameter KMAX = 11,
    // largest input channel count (FIDX word width)
    parameter CMAX = 256,
    // largest output channel count (BIDX word width)
    parameter NMAX = 256,
    // stack words per bank
    parameter FM_DEPTH = 4096,
    // weight / index / gradient memory depth
    parameter WDEPTH = 65536,
    // pointer memory depth
    parameter PDEPTH = 1024,
    // bias memory depth
    parameter BDEPTH = 1024
