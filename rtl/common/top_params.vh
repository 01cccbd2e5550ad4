/*
 * top_params.vh: the parameters of the accelerator top (accel_top) beside the UC unit's
 * (uc_params.vh), shared by accel_top and its HDL-memory harness (verif/hdl/accel_top_hdlmem.v),
 * `include`d first inside the module's parameter port list #( ... ) (every line ends with a
 * comma: more parameters follow, uc_params.vh last).
 */
    // UC unit engines (1, or a power of two), each with its copy of the memories
    parameter ENGINES = 1,
    // UPDATE engines (1, or a power of two up to ENGINES): banks of the weight and gradient
    // memories, one weight a cycle each (uc_unit, mem_core)
    parameter UPD_BANKS = 1,
    // descriptors the program memory holds
    parameter PROG_DEPTH = 256,
    // largest class count of the loss unit
    parameter CLASSES_MAX = 1024,
    // AXI ID width
    parameter AXI_ID_W = 4,
