/*
 * uc_params.vh: the shape and memory parameters of the UC unit, shared by uc_unit, its test
 * harness and the top (accel_top), `include`d as the last entries of the module's parameter
 * port list #( ... ) (the last one has no trailing comma; a module's own parameters come first).
 */
    // MAC lanes (power of two)
    parameter LANES = 8,
    // largest kernel size
    parameter KMAX = 11,
    // largest input channel count
    parameter CMAX = 256,
    // largest output channel count
    parameter NMAX = 256,
    // largest map height
    parameter HMAX = 256,
    // largest map width
    parameter WMAX = 256,
    // stack words per bank
    parameter FM_DEPTH = 4096,
    // weight / index / gradient memory depth
    parameter WDEPTH = 65536,
    // pointer memory depth
    parameter PDEPTH = 1024,
    // bias / bias-gradient memory depth
    parameter BDEPTH = 1024
