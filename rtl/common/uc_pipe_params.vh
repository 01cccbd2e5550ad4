/*
 * uc_pipe_params.vh: the parameter list of the UC unit's pipeline modules (uc_gen, uc_mac,
 * uc_wb), `include`d as the whole parameter port list #( ... ) (the last parameter: no trailing
 * comma): the lanes, the kernel size and the memories' address widths, as uc_unit derives them
 * from its own parameters (mem_defs.vh); uc_unit passes them on with uc_pipe_param_conns.vh.
 * Each module uses some (the including module waives UNUSEDPARAM around the include).
 */
    // MAC lanes (power of two)
    parameter LANES = 8,
    // largest kernel size
    parameter KMAX = 11,
    // stack word address width
    parameter FM_AW = 12,
    // weight / index / gradient memory address width
    parameter WAW = 16,
    // pointer memory address width
    parameter PAW = 10,
    // bias memory address width
    parameter BAW = 10
