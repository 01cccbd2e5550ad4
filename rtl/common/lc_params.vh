/*
 * lc_params.vh: the parameter list of lc_unit and of its test harness, `include`d inside the
 * module's parameter port list #( ... ) (the last parameter: no trailing comma).
 */
    // pixels per stack vector (power of two)
    parameter LANES = 8,
    // largest input count K
    parameter CMAX = 256,
    // largest output count M
    parameter NMAX = 256,
    // stack words per bank
    parameter FM_DEPTH = 4096,
    // weight / gradient memory depth
    parameter WDEPTH = 65536,
    // bias / bias-gradient memory depth
    parameter BDEPTH = 1024,
    // weight and bias read ports: 1, or 2 (an engine array: copy 1's weight and bias read ports
    // as well, FWD and BWD_DATA compute two outputs at once)
    parameter WPORTS = 1
