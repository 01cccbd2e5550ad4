"""cocotb module of the VGG16 top bench (run by bench/vgg16_top.py; not a pytest file).

One program, already in host memory (bench/vgg16_top.py built it offline and the harness loaded
it with +HOSTMEM_INIT): start it at ``VGG16_PROG`` (``address:descriptors``), wait for its end
(irq), record the cycle counters, the wall and CPU time of the run and when the simulation
started (for the build time), into ``VGG16_OUT`` (JSON). The results are checked by
bench/vgg16_top.py on the host memory the harness dumps at the end (+HOSTMEM_DUMP).
"""

from __future__ import annotations

import json
import os
import time

import cocotb

from sparsetrain.program import Reg
from verif.common.hdl_tb import make_tb


@cocotb.test()
async def vgg16_train(dut):
    started = time.time()
    tb = make_tb(dut)
    await tb.reset()
    addr, n = (int(v) for v in os.environ["VGG16_PROG"].split(":"))
    timeout = int(os.environ.get("VGG16_TIMEOUT_CYCLES", "400000000"))
    t0, cpu0 = time.time(), time.process_time()
    await tb.start(addr, n)
    err, pc = await tb.wait_done(timeout)
    wall, cpu = time.time() - t0, time.process_time() - cpu0
    rec = {"err": err, "err_pc": pc, "sim_started": started, "wall_s": wall, "cpu_s": cpu}
    for name, reg in (("total", Reg.CNT_TOTAL), ("uc", Reg.CNT_UC), ("pool", Reg.CNT_POOL),
                      ("lc", Reg.CNT_LC), ("dma", Reg.CNT_DMA), ("n_correct", Reg.N_CORRECT),
                      ("loss_sum", Reg.LOSS_SUM)):
        rec[name] = await tb.rd(reg)
    with open(os.environ["VGG16_OUT"], "w") as f:
        json.dump(rec, f, indent=1)
    dut._log.info("VGG16 training image: %s", rec)
    assert err == 0, f"program stopped with error {err:#x} at descriptor {pc}"
