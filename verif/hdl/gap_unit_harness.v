/*
 * Test harness of the GAP unit: the unit and its stack (fm_stack), plus a host port through which
 * a testbench loads and reads the stack while the unit is idle. The module's body is the map
 * units' harness, map_unit_harness.vh (parameters, ports and host port described there).
 */

`resetall
`timescale 1ns / 1ps
`default_nettype none

`define MAP_UNIT    gap_unit
`define MAP_INST    u_gap
`define MAP_CMD_W   GAP_CMD_W
module gap_unit_harness #
`include "map_unit_harness.vh"

`resetall
