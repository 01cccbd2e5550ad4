"""cocotb module of the top-level bench (run by bench/top.py; not a pytest file).

Runs on ``accel_top`` and records the cycle counters (CNT_TOTAL, CNT_UC, CNT_POOL, CNT_LC,
CNT_DMA) of:

* ``dma``: single LOAD and STORE programs of 1 .. 4096 32-bit words (the DMA cost model);
* ``demo_train`` / ``demo_infer``: a whole mini-batch training step (and inference) of the demo
  CNN on digits, no debug STOREs (the program a user would run), checked against the models:
  the updated weights (training) or the predictions (inference) must match bit for bit;
* ``cifar_mini_train``: the same for a CIFAR-10-sized CNN (3x32x32, three convs, random images,
  ``TOP_BENCH_CIFAR_BATCH`` images, default 2; 0 skips it).

Every record also carries the simulator's wall time of that program, for the simulator-speed
table, and its CPU time (``time.process_time()``: cocotb's Python runs inside the simulator
process, so this is the simulator's and the testbench's CPU time together), which a busy machine
disturbs far less than the wall time.  Records go to ``TOP_BENCH_OUT`` (JSON).  Knobs:
``TOP_BENCH_BATCH`` (default 8), ``TOP_BENCH_DEMO`` / ``TOP_BENCH_DMA`` (0: leave the demo
programs / the DMA programs out), ``TOP_BENCH_BALANCE`` (0: the driver keeps the model's channel
order on an engine array, ``build_program(balance=False)``; bench/channel_order_top.py).

It runs on either toplevel (verif.common.hdl_tb.make_tb): ``accel_top`` with cocotbext-axi's
AxiRam as host memory (Python on every clock edge; the end of a program polled every 256 cycles)
or ``accel_top_hdlmem`` with the HDL RAM (GPI clock, backdoor loads, the end awaited as irq):
bench/top.py runs both and reports the ratio of their simulated cycles per second.
"""

from __future__ import annotations

import json
import logging
import os
import time

import cocotb
import numpy as np
from cocotb.utils import get_sim_time

from sparsetrain.program import HostHeap, Mem, Program, Reg
from verif.common.hdl_tb import is_hdlmem, make_tb
from verif.common.top_tb import HOST_SIZE


def demo_net(sparsity: float = 0.85):
    """The demo's digits CNN: conv(1->16)-ReLU-MP-conv(16->32, pruned)-ReLU-GAP-LC(32->10).

    The first conv (one input channel) stays dense, as in the demo and the top-level test."""
    from sparsetrain.net import Conv, Gap, Linear, MaxPool, Net, quantize_params
    net = Net((1, 8, 8), [Conv(16), MaxPool(), Conv(32), Gap(), Linear(10)])
    init = net.init_float(np.random.default_rng(7))
    q = quantize_params(net, init, sparsity)
    q.convs[0] = quantize_params(net, init, 0.0).convs[0]
    return net, q


def cifar_net(sparsity: float = 0.85):
    """A CIFAR-10-sized CNN (3x32x32): conv 3->16 (dense), MP, conv 16->32, MP, conv 32->64 (8x8),
    GAP, LC 64->10; the later convs pruned by threshold."""
    from sparsetrain.net import Conv, Gap, Linear, MaxPool, Net, quantize_params
    net = Net((3, 32, 32), [Conv(16), MaxPool(), Conv(32), MaxPool(), Conv(64), Gap(), Linear(10)])
    init = net.init_float(np.random.default_rng(5))
    q = quantize_params(net, init, sparsity)
    q.convs[0] = quantize_params(net, init, 0.0).convs[0]
    return net, q


NETS = {"demo": demo_net, "cifar_mini": cifar_net}


def random_images(batch: int, shape, seed: int = 3):
    from verif.models import quantize
    from sparsetrain.net import A_FRAC
    rng = np.random.default_rng(seed)
    return quantize(rng.random((batch, *shape)), A_FRAC), rng.integers(0, 10, batch)


def digits(batch: int, seed: int = 11):
    from sklearn.datasets import load_digits
    from verif.models import quantize
    from sparsetrain.net import A_FRAC
    d = load_digits()
    idx = np.random.default_rng(seed).choice(len(d.target), batch, replace=False)
    return quantize(d.images[idx][:, None] / 16.0, A_FRAC), d.target[idx]


async def counters(tb) -> dict:
    return {name: await tb.rd(reg) for name, reg in (
        ("total", Reg.CNT_TOTAL), ("uc", Reg.CNT_UC), ("pool", Reg.CNT_POOL), ("lc", Reg.CNT_LC),
        ("dma", Reg.CNT_DMA))}


def executed(prog: Program, batch: int) -> dict:
    """Descriptors the sequencer runs (a loop body counts once per iteration), by opcode."""
    out: dict[str, int] = {}
    in_loop, count = False, 1
    names = {0x00: "END", 0x01: "LOAD", 0x02: "STORE", 0x03: "LOOP", 0x04: "ENDLOOP", 0x10: "UC",
             0x11: "MP", 0x12: "GAP", 0x13: "LC", 0x14: "LOSS"}
    for d in prog.descs:
        op = d[0] & 0xFF
        if op == 0x03:
            in_loop, count = True, d[1]
        n = count if in_loop and op not in (0x03,) else 1
        out[names.get(op, hex(op))] = out.get(names.get(op, hex(op)), 0) + n
        if op == 0x04:
            in_loop, count = False, 1
    return out


@cocotb.test()
async def top_bench(dut):
    tb = make_tb(dut)
    hdl = is_hdlmem(dut)
    # cocotbext-axi logs every AXI-Lite access at INFO: quiet, so the wall time is the simulator's
    for name in ("s_axil", "m_axi"):
        logging.getLogger(f"cocotb.{dut._name}.{name}").setLevel(logging.WARNING)
    await tb.reset()
    out_path = os.environ["TOP_BENCH_OUT"]
    batch = int(os.environ.get("TOP_BENCH_BATCH", "8"))
    recs = []

    # ---- DMA: one LOAD / STORE of n 32-bit words (GRAD memory: 32-bit words)
    for n in ((1, 16, 256, 1024) if os.environ.get("TOP_BENCH_DMA", "1") != "0" else ()):
        for op in ("load", "store"):
            prog = Program()
            host = tb.put(bytes(4 * n))
            (prog.load if op == "load" else prog.store)(Mem.GRAD, 0, n, host)
            prog.end()
            t0 = time.time()
            err, _ = await tb.run(prog)
            assert err == 0, f"DMA {op} {n}: error {err:#x}"
            recs.append({"kind": "dma", "op": op, "words": n, "descriptors": len(prog),
                         "wall_s": time.time() - t0, **await counters(tb)})
            tb.heap = HostHeap(base=0x1000, size=HOST_SIZE - 0x1000)

    # ---- the demo CNN (digits) and a CIFAR-sized CNN: a training step and an inference each
    from bench.program_model import predict
    from sparsetrain.driver import build_program
    from verif.models.network import infer_model, train_step_model
    cifar_batch = int(os.environ.get("TOP_BENCH_CIFAR_BATCH", "2"))
    balance = os.environ.get("TOP_BENCH_BALANCE", "1") != "0"
    runs = [("demo", batch, True), ("demo", batch, False)] if os.environ.get("TOP_BENCH_DEMO", "1") != "0" else []
    if cifar_batch:
        runs += [("cifar_mini", cifar_batch, True)]
    for net_name, nb, train in runs:
        net, q = NETS[net_name]()
        images, labels = digits(nb) if net_name == "demo" else random_images(nb, net.in_shape)
        tb.heap = HostHeap(base=0x1000, size=HOST_SIZE - 0x1000)
        run = build_program(net, q, tb.p, images, labels, tb.ram.write, tb.heap, lr=0.05, train=train,
                            debug=False, balance=balance)
        t0, cpu0 = time.time(), time.process_time()
        sim0 = get_sim_time("ns")
        prog_addr = await run.start(tb.axil, tb.ram.write, tb.heap)
        # AxiRam path: STATUS polled every 256 cycles (as before); HDL path: wait for irq
        err, pc = await (tb.wait_done(25_600_000) if hdl else tb.wait_done(25_600_000, poll=256))
        wall, cpu = time.time() - t0, time.process_time() - cpu0
        sim_cycles = (get_sim_time("ns") - sim0) / (tb.period_ns if hdl else 10)
        assert err == 0, f"program stopped with error {err:#x} at descriptor {pc}"
        if train:
            model = train_step_model(net, q, images, labels, lr=0.05)
            diffs = run.read_params(tb.ram.read).differences(model.params)
            assert not diffs, f"{', '.join(diffs)} differ from the model"
        correct = sum(int(p == l) for p, l in zip(infer_model(net, q, images), labels))
        assert await tb.rd(Reg.N_CORRECT) == correct
        c = await counters(tb)
        recs.append({"kind": f"{net_name}_{'train' if train else 'infer'}", "net": net_name, "batch": nb,
                     "balance": balance,
                     "path": "hdlmem" if hdl else "axiram",
                     "sparsity": [round(float(sw.sparsity), 4) for sw in q.convs.values()],
                     "descriptors": len(run.prog), "executed": executed(run.prog, nb),
                     "wall_s": wall, "cpu_s": cpu, "sim_cycles": sim_cycles, "checked": True, **c,
                     # the whole-program cycle model of the same program (bench/program_model.py)
                     "model": {k: v for k, v in predict(run, prog_addr).items() if k != "executed"}})
        dut._log.info("%s: %s, %.1f s wall", recs[-1]["kind"], c, wall)

    with open(out_path, "w") as f:
        json.dump({"records": recs, "params": tb.p.to_hdl()}, f, indent=1)
