/*
 * loss_params.vh: the parameter list of loss_unit and of its test harness, `include`d inside the
 * module's parameter port list #( ... ) (the last parameter: no trailing comma).
 */
    // pixels per stack vector (power of two)
    parameter LANES = 8,
    // largest class count
    parameter KMAX = 1024,
    // stack words per bank
    parameter FM_DEPTH = 4096
