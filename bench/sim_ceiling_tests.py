"""cocotb side of bench/sim_ceiling.py: the HDL-memory harness (its own clock) reset, then the
idle chip for ``CEILING_CYCLES`` cycles in one Timer (no Python on any edge); the CPU time of the
wait goes to ``CEILING_OUT`` (JSON)."""

import json
import os
import time

import cocotb
from cocotb.triggers import ClockCycles, Timer


@cocotb.test()
async def idle(dut):
    n = int(os.environ.get("CEILING_CYCLES", "2000000"))
    clk = dut.clk_gen                  # HDLMEM_HDL_CLOCK build: the harness's own 10 ns clock
    dut.stall_en.value = 0
    dut.stall_seed.value = 1
    dut.rst.value = 1
    await ClockCycles(clk, 8)
    dut.rst.value = 0
    t0, c0 = time.time(), time.process_time()
    await Timer(10 * n, unit="ns")
    wall, cpu = time.time() - t0, time.process_time() - c0
    with open(os.environ["CEILING_OUT"], "w") as f:
        json.dump({"cycles": n, "wall_s": wall, "cpu_s": cpu}, f)
