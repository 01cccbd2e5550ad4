"""cocotb side of bench/sim_ceiling.py: the HDL-memory harness (its own clock) reset by its
testbench (verif/common/hdl_tb.py), then the idle chip for ``CEILING_CYCLES`` cycles in one Timer
(no Python on any edge); the CPU time of the wait goes to ``CEILING_OUT`` (JSON)."""

import json
import os
import time

import cocotb
from cocotb.triggers import Timer

from verif.common.hdl_tb import make_tb


@cocotb.test()
async def idle(dut):
    n = int(os.environ.get("CEILING_CYCLES", "2000000"))
    tb = make_tb(dut)
    await tb.reset()
    t0, c0 = time.time(), time.process_time()
    await Timer(tb.period_ns * n, unit="ns")
    wall, cpu = time.time() - t0, time.process_time() - c0
    with open(os.environ["CEILING_OUT"], "w") as f:
        json.dump({"cycles": n, "wall_s": wall, "cpu_s": cpu}, f)
