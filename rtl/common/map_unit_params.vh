/*
 * map_unit_params.vh: the parameter list of the map units mp_unit and gap_unit and of their test
 * harnesses, `include`d inside the module's parameter port list #( ... ) (the last parameter:
 * no trailing comma).
 */
    // pixels per vector (power of two)
    parameter LANES = 8,
    // largest channel count
    parameter CMAX = 256,
    // largest map height
    parameter HMAX = 256,
    // largest map width
    parameter WMAX = 256,
    // stack words per bank
    parameter FM_DEPTH = 4096,
    // stack copies the unit reads a cycle: 1, or 2 or 4 on an engine array, whose copies' port A
    // are the unit's further read ports (mp_unit; gap_unit reads one copy whatever this says)
    parameter RD_PORTS = 1
