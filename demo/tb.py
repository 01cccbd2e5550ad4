"""cocotb side of `make demo` (demo/run.py): fine-tune a pruned CNN on the accelerator top.

Not part of the regression: demo/run.py builds ``accel_top`` (parameter set ``demo``) into
build/demo/sim-<sim>/ and runs the one test below with ``DEMO_JOB`` pointing at a pickle:

* ``net``, ``q`` (initial integer parameters), ``x`` (int16 training images), ``y``, ``order``
  (image indices of every epoch), ``batch``, ``lr``;
* ``test_x``/``test_y``: a test subset classified by an inference program after every epoch;
* ``cycle_nets``: ``{name: (net, q)}`` whose layer commands are timed one by one;
* ``progress``: a file that gets one JSON line per mini-batch (demo/run.py draws the bar);
* ``out``: where the results go (a pickle): the parameters after every epoch, per-batch
  counters, RTL test predictions, per-command cycles.

Every mini-batch is one program (sparsetrain.driver.build_program, no debug STOREs): it LOADs the
current parameters, trains on the batch and STOREs the updated parameters, which the next
batch's program loads again.

Two toplevels: ``accel_top_hdlmem`` (Verilator, the default: host memory in the HDL, loaded and
read back through the backdoor, GPI clock, the end of a program awaited as irq; no Python per
clock cycle, verif/common/hdl_tb.py) and ``accel_top`` (Icarus: cocotbext-axi's AxiRam as host
memory, STATUS polled every 256 cycles).
"""

from __future__ import annotations

import json
import logging
import os
import pickle
import time

import cocotb
import numpy as np
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles
from cocotbext.axi import AxiBus, AxiLiteBus, AxiLiteMaster, AxiRam

from sparsetrain.driver import build_program, linear_on_uc
from sparsetrain.net import Conv, Gap, Linear, MaxPool
from sparsetrain.program import HostHeap, Op, Program, Reg
from sparsetrain.uc import UcParams
from verif.common.hdl_tb import HdlTB, is_hdlmem

#: Host memory (bytes): the AxiRam's size; the harness's is 2^HOST_ADDR_W (demo/knobs.py).
HOST_SIZE = 1 << 23


class DemoTB:
    def __init__(self, dut):
        self.dut = dut
        self.p = UcParams.from_hdl(json.loads(os.environ.get("DUT_PARAMS", "{}")))
        self.hdl = HdlTB(dut, period_ns=5) if is_hdlmem(dut) else None
        if self.hdl:
            self.axil, self.ram, self.host_size = self.hdl.axil, self.hdl.ram, self.hdl.host_size
        else:
            cocotb.start_soon(Clock(dut.clk, 5, unit="ns").start())
            self.axil = AxiLiteMaster(AxiLiteBus.from_prefix(dut, "s_axil"), dut.clk, dut.rst)
            self.ram = AxiRam(AxiBus.from_prefix(dut, "m_axi"), dut.clk, dut.rst, size=HOST_SIZE)
            self.host_size = HOST_SIZE
        for port in ("s_axil", "m_axi"):       # the AXI models log every transfer at INFO
            logging.getLogger(f"cocotb.{dut._name}.{port}").setLevel(logging.WARNING)
        self.fresh_heap()

    def fresh_heap(self):
        self.heap = HostHeap(base=0x1000, size=self.host_size - 0x1000)

    async def reset(self):
        if self.hdl:
            await self.hdl.reset()
            return
        self.dut.rst.value = 1
        await ClockCycles(self.dut.clk, 4)
        self.dut.rst.value = 0
        await ClockCycles(self.dut.clk, 2)

    async def rd(self, reg: Reg) -> int:
        return int.from_bytes((await self.axil.read(int(reg), 4)).data, "little")

    async def wait_done(self, what: str) -> dict:
        if self.hdl:
            code, pc = await self.hdl.wait_done(200_000_000)
            err = code | (pc << 16)
        else:
            while True:
                await ClockCycles(self.dut.clk, 256)
                if (await self.rd(Reg.STATUS)) & 0b10:
                    break
            err = await self.rd(Reg.ERR)
        if err & 0xFF:
            raise AssertionError(f"{what}: program stopped with error {err & 0xFF:#x} at descriptor {err >> 16}")
        return {r.name.lower(): await self.rd(r) for r in (Reg.CNT_TOTAL, Reg.CNT_UC, Reg.CNT_POOL,
                                                           Reg.CNT_LC, Reg.CNT_DMA, Reg.N_CORRECT,
                                                           Reg.LOSS_SUM)}

    async def run_program(self, prog: Program, what: str) -> dict:
        addr = prog.place(self.ram.write, self.heap)
        if self.hdl:
            await self.hdl.start(addr, len(prog))
        else:
            for reg, v in ((Reg.PROG_ADDR, addr), (Reg.PROG_LEN, len(prog)), (Reg.CTRL, 1)):
                await self.axil.write(int(reg), int(v).to_bytes(4, "little"))
        return await self.wait_done(what)


def command_tags(net, p: UcParams) -> list[tuple[int, str]]:
    """(layer, phase) of every compute descriptor of a one-image training program on a chip of
    parameters ``p``, in the order sparsetrain.driver.build_program emits them (phase: fwd, loss,
    bwd, wgrad, update; a Linear on the UC unit has two wgrad commands, weights and biases)."""
    n = len(net.layers)
    tags = [(i, "fwd") for i in range(n)] + [(n - 1, "loss")]
    for i in range(n - 1, -1, -1):
        layer = net.layers[i]
        if isinstance(layer, Linear):
            tags += [(i, "wgrad")] * (2 if linear_on_uc(net, p, i) else 1)
            if i > 0:
                tags.append((i, "bwd"))
        elif isinstance(layer, (Gap, MaxPool)):
            if i > 0:
                tags.append((i, "bwd"))
        elif isinstance(layer, Conv):
            if net.relu_bwd_needed(i):
                tags.append((i, "bwd"))          # the ReLU mask (MP unit; a pool above does it)
            tags.append((i, "wgrad"))
            if i > 0:
                tags.append((i, "bwd"))
    tags += [(i, "update") for i, l in enumerate(net.layers) if isinstance(l, (Conv, Linear))]
    return tags


async def time_commands(tb: DemoTB, net, q, image, label) -> list[dict]:
    """Run every compute command of a one-image training step alone (after the parameter and
    image LOADs) and read the busy counters of its unit: cycles per command."""
    tb.fresh_heap()
    run = build_program(net, q, tb.p, [image], [label], tb.ram.write, tb.heap, train=True, debug=False)
    descs = run.prog.descs
    ops = [d[0] & 0xFF for d in descs]
    lo, hi = ops.index(int(Op.LOOP)), ops.index(int(Op.ENDLOOP))
    pre = descs[:lo]
    loads = [d for d, o in zip(descs[lo + 1:hi], ops[lo + 1:hi]) if o == int(Op.LOAD)]
    compute = [d for d, o in zip(descs, ops) if o in (Op.UC, Op.MP, Op.GAP, Op.LC, Op.LOSS)]
    tags = command_tags(net, tb.p)
    if len(tags) != len(compute):
        raise AssertionError(f"{len(compute)} compute commands, {len(tags)} expected")
    out = []
    for d, (layer, phase) in zip(compute, tags):
        prog = Program()
        prog.descs = [list(w) for w in pre + loads + [d]]
        prog.end()
        c = await tb.run_program(prog, f"layer {layer} {phase}")
        out.append({"layer": layer, "phase": phase, "cycles": c["cnt_uc"] + c["cnt_pool"] + c["cnt_lc"]})
    return out


@cocotb.test()
async def demo_finetune(dut):
    """Fine-tune the job's network on the chip, batch after batch; record everything."""
    job = pickle.loads(open(os.environ["DEMO_JOB"], "rb").read())
    tb = DemoTB(dut)
    await tb.reset()
    net, q = job["net"], job["q"]
    x, y, batch, lr = job["x"], job["y"], job["batch"], job["lr"]
    progress = open(job["progress"], "a", buffering=1)
    out = {"epochs": [], "batches": [], "cycles": {}, "test_preds": []}

    def note(**kw):
        progress.write(json.dumps(kw) + "\n")

    async def rtl_test(qq, tag):
        if not len(job["test_y"]):
            return None
        tb.fresh_heap()
        run = build_program(net, qq, tb.p, job["test_x"], job["test_y"], tb.ram.write, tb.heap,
                            train=False, debug=False)
        c = await tb.run_program(run.prog, f"inference {tag}")
        note(kind="test", tag=tag, correct=c["n_correct"], n=len(job["test_y"]), cycles=c["cnt_total"])
        return c

    t0 = time.monotonic()
    c = await rtl_test(q, "before")
    out["test_before"] = c
    for e, order in enumerate(job["order"]):
        for s in range(0, len(order), batch):
            idx = order[s:s + batch]
            tb.fresh_heap()
            run = build_program(net, q, tb.p, x[idx], y[idx], tb.ram.write, tb.heap, lr=lr,
                                train=True, debug=False)
            c = await tb.run_program(run.prog, f"epoch {e} batch {s // batch}")
            q = run.read_params(tb.ram.read)
            c.update(epoch=e, batch=s // batch, images=len(idx), wall=round(time.monotonic() - t0, 2))
            out["batches"].append(c)
            note(kind="batch", **c)
        c = await rtl_test(q, f"epoch {e}")
        out["epochs"].append({"q": q.copy(), "test": c})
        note(kind="epoch", epoch=e)
    for name, (cnet, cq) in job.get("cycle_nets", {}).items():
        xi = np.asarray(job["x"][0])
        if xi.shape != tuple(cnet.in_shape):
            continue
        out["cycles"][name] = await time_commands(tb, cnet, cq, xi, int(job["y"][0]))
        note(kind="cycles", name=name)
    with open(job["out"], "wb") as f:
        pickle.dump(out, f)
    note(kind="done")
