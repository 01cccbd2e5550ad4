/*
 * stack_host_nets.vh: the widths and nets of a single-stack unit harness (mp, gap, loss),
 * `include`d in the module body after the port list, before the unit: BANKS (stack banks,
 * 2*LANES; stack_host_ports.vh sizes the host words with it) and FM_AW, accel_defs.vh (XW and
 * the stack request widths) and the stack nets (unit_stack_wires.vh). The unit's stack and host
 * port follow the unit (stack_host.vh); the harness undefines ACCEL_DEFS_VH before endmodule.
 */
localparam BANKS = 2 * LANES;
localparam FM_AW = $clog2(FM_DEPTH);

// XW and the stack request widths
`include "accel_defs.vh"

// stack ports: request buses and read data
`include "unit_stack_wires.vh"
