"""Known-good programs of the fuzz campaign (verif.common.fuzz_run.Campaign runs them): a small
LOAD/STORE program that must be bit-exact and write nothing beside its buffer, and a 1-image
training step that must equal verif.models.network.train_step_model bit for bit."""

from __future__ import annotations

from typing import TYPE_CHECKING

from verif.common.fuzz_gen import ram_write

if TYPE_CHECKING:
    from verif.common.fuzz_run import Campaign

# ---- known-good programs -------------------------------------------------------------------
KG_PROG, KG_SRC, KG_DST = 0x7E000, 0x7F000, 0x7F100
TRAIN_PROG = 0x7C000


async def known_good(c: Campaign) -> bool:
    """LOAD 8 WGT words of a fresh pattern, STORE them to a fresh buffer, END: must end with
    (0, 2), give the pattern bit-exact and write nothing beside it (canaries around it)."""
    from sparsetrain.program import Mem, Op, encode, words_to_bytes
    tb, rnd = c.tb, c.rnd
    pattern = [rnd.getrandbits(16) for _ in range(8)]
    dst = KG_DST + 0x80 * rnd.randrange(16)
    ram_write(tb.ram, KG_SRC, words_to_bytes(pattern, 16))
    canary = bytes([0xA5, 0x5A, 0xC3, 0x3C]) * 8
    ram_write(tb.ram, dst - 32, canary + bytes(32) + canary)
    chip = rnd.randrange(tb.p.wdepth - 8)
    descs = [encode(Op.LOAD, mem=Mem.WGT, host_addr=KG_SRC, count=8, chip_addr=chip),
             encode(Op.STORE, mem=Mem.WGT, host_addr=dst, count=8, chip_addr=chip), encode(Op.END)]
    r = await c.run(descs, KG_PROG, what="known-good program")
    c.stats.c["known_good_runs"] += 1
    got = tb.ram.read(dst - 32, 96)
    exp = canary + words_to_bytes(pattern, 16) + canary
    if r.ok and got != exp:
        i = next(k for k in range(96) if got[k] != exp[k])
        c.fail("data_mismatches", f"known-good program: byte {i - 32:+d} of the buffer at {dst:#x} is "
                                  f"{got[i]:#04x}, expected {exp[i]:#04x}", r.outcome, descs)
        return False
    return r.ok


def test_net():
    """conv(1->8)-MP-conv(8->16, 85 % pruned)-GAP-LC(16->10), as the top's minibatch test."""
    import numpy as np
    from sparsetrain.net import Conv, Gap, Linear, MaxPool, Net, quantize_params
    net = Net((1, 8, 8), [Conv(8), MaxPool(), Conv(16), Gap(), Linear(10)])
    q = quantize_params(net, net.init_float(np.random.default_rng(7)), 0.85)
    q.convs[0] = quantize_params(net, net.init_float(np.random.default_rng(7)), 0.0).convs[0]
    return net, q


def digits(n: int, seed: int):
    """``n`` random 8x8 images with 17 grey levels, like scikit-learn's digits (without the
    import, which costs seconds under cocotb's assertion rewriting), and labels 0..9."""
    import numpy as np
    from verif.models import quantize
    from sparsetrain.net import A_FRAC
    rng = np.random.default_rng(seed)
    return (quantize(rng.integers(0, 17, (n, 1, 8, 8)) / 16.0, A_FRAC),
            [int(v) for v in rng.integers(0, 10, n)])


def training_program(c: Campaign, seed: int):
    """A 1-image training step (sparsetrain.driver.build_program) with its data written to host
    memory below PROG_LO; returns (net, q, images, labels, AccelRun)."""
    from sparsetrain.driver import build_program
    from verif.common.fuzz_gen import PROG_LO
    from sparsetrain.program import HostHeap
    net, q = test_net()
    images, labels = digits(1, seed)
    heap = HostHeap(base=0x1000, size=PROG_LO - 0x1000)
    run = build_program(net, q, c.tb.p, images, labels, c.tb.ram.write, heap, lr=0.05)
    return net, q, images, labels, run


async def training_step_bit_exact(c: Campaign, seed: int, stalls: bool = False) -> int:
    """Run a known-good 1-image training step; its updated weights and biases must equal
    verif.models.network.train_step_model's bit for bit. Returns its cycle count."""
    from verif.models.network import train_step_model
    net, q, images, labels, run = training_program(c, seed)
    r = await c.run(run.prog.descs, TRAIN_PROG, stalls=stalls, unit_budget=400_000,
                    wd_cap=2_000_000, what="known-good training step")
    if not r.ok:
        return r.cycles
    if (r.err, r.pc) != (0, len(run.prog) - 1):
        c.fail("outcome_mismatches", f"known-good training step ended with {r.err:#x} at {r.pc}",
               r.outcome, run.prog.descs)
        return r.cycles
    model = train_step_model(net, q, images, labels, lr=0.05)
    diffs = run.read_params(c.tb.ram.read).differences(model.params)
    if diffs:
        c.fail("data_mismatches", f"known-good training step: {', '.join(diffs)} differ from "
                                  f"train_step_model", None, run.prog.descs)
    else:
        c.stats.c["training_steps_bit_exact"] += 1
    return r.cycles
