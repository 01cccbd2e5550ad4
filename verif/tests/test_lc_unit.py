"""pyuvm testbench of the LC unit (dense fully connected layer: FWD, BWD_DATA, WGRAD, UPDATE)
through verif/hdl/lc_unit_harness.v; contract: docs/units.md, models: verif.models.layers
(linear_forward, linear_backward, sgd_update) and conv.grad_accumulate, checked bit-exactly.

Environment: verif/common/unit_env.py, verif/common/units/table.py (host-port loads, random
valid delays / ready
back-pressure, every word of every memory read back and compared after every command, first wrong
element named with the seed).

Knobs: ``LC_CASES`` random commands per random test (default 24), ``COCOTB_RANDOM_SEED``.
"""

from __future__ import annotations

import os
import random

import cocotb
import numpy as np

from verif.common.fm_layout import Region, place
from verif.common.unit_cases import BadItems, coverage_test, seeded_rnd, timeout, unit_tests
from verif.common.unit_env import run_items
from verif.common.units.common import BAD_BUFFER, BAD_MODE, BAD_SHAPE
from verif.common.units.table import UnitItem
from verif.common.units.lc import (BGRAD, BIAS, BWD, FIELDS, FWD, GRAD, MODES, STACK, UPDATE, WGRAD,
                                   WGT, P, spec)
from verif.models.conv import grad_accumulate
from verif.models.layers import linear_backward, linear_forward, sgd_update

LC_CASES = int(os.environ.get("LC_CASES", "24"))
# ================================================================================ stimulus
def gen(rng, shape, data: str, bits: int = 16):
    lo, hi = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    if data == "small":
        return rng.integers(-3, 4, size=shape)
    if data == "equal":
        return np.full(shape, rng.integers(lo // 4, hi // 4))
    if data == "extreme":
        return rng.choice(np.array([lo, lo + 1, -1, 0, 1, hi - 1, hi]), size=shape)
    return rng.integers(lo, hi + 1, size=shape)


def _bin_shift(s, top):
    return "0" if s == 0 else str(top) if s == top else "mid"


class Case:
    """Operands and placement of one LC command (all memories), from which items are made."""

    def __init__(self, rnd: random.Random, k=None, m=None, data=None):
        p = P()
        self.p = p
        self.rng = np.random.default_rng(rnd.getrandbits(32))
        self.rnd = rnd
        self.k = k or rnd.randint(1, min(p["CMAX"], 24))
        self.m = m or rnd.randint(1, min(p["NMAX"], 10))
        self.data = data or rnd.choice(["random", "random", "small", "equal", "extreme"])
        xb, yb = place(rnd, [self.k, self.m], p["FM_DEPTH"])
        self.x_base, self.y_base = xb, yb
        self.w_base = rnd.randint(0, p["WDEPTH"] - self.k * self.m)
        self.bias_base = rnd.randint(0, p["BDEPTH"] - self.m)
        k, m = self.k, self.m
        self.rx = Region("X", STACK, xb, (k, 1, 1))
        self.ry = Region("Y", STACK, yb, (m, 1, 1))
        self.rw = Region("W", WGT, self.w_base, (m, k), 16)
        self.rg = Region("GRAD", GRAD, self.w_base, (m, k), 32)
        self.rb = Region("BIAS", BIAS, self.bias_base, (m,), 32)
        self.rbg = Region("BGRAD", BGRAD, self.bias_base, (m,), 32)

    def size_bin(self):
        p = self.p
        return "1x1" if (self.k, self.m) == (1, 1) else \
            "max" if (self.k, self.m) == (p["CMAX"], p["NMAX"]) else "mid"

    def cmd(self, mode, **kw):
        c = dict(mode=mode, cin=self.k, cout=self.m, shift=0, relu=0, bgrad=0, gacc=0,
                 x_base=self.x_base, y_base=self.y_base, w_base=self.w_base,
                 bias_base=self.bias_base, lr_mult=0, lr_shift=0, lr_mult_b=0, lr_shift_b=0)
        c.update(kw)
        return c


def make_item(name, rnd: random.Random, mode=None, k=None, m=None, data=None, kind="random",
              **over) -> UnitItem:
    cs = Case(rnd, k, m, data)
    rng, k, m, data = cs.rng, cs.k, cs.m, cs.data
    mode = rnd.choice(list(MODES)) if mode is None else mode
    tags = dict(mode=MODES[mode], size=cs.size_bin(), data=data, relu=None, wgflags=None, lrs=None,
                shift="mid", sat=False)
    if mode in (FWD, BWD, WGRAD):
        shift = over.get("shift", rnd.choice([0, 31, rnd.randint(1, 30), rnd.randint(8, 20)]))
        tags["shift"] = _bin_shift(shift, 31)
    if mode == FWD:
        x, w = gen(rng, k, data).astype(np.int16), gen(rng, (m, k), data).astype(np.int16)
        b = gen(rng, m, rnd.choice(["random", "small", "extreme"]), 32).astype(np.int32)
        relu = over.get("relu", rnd.randint(0, 1))
        y = linear_forward(x, w, b, shift, bool(relu))
        acc = x.astype(np.int64) @ w.astype(np.int64).T + b
        r = (acc + ((1 << shift) >> 1)) >> shift
        tags.update(relu=bool(relu), sat=bool(((r > 32767) | (r < -32768)).any()))
        inputs = [(cs.rx, x), (cs.rw, w), (cs.rb, b)]
        outputs = [(cs.ry, y.reshape(m, 1, 1))]
        cmd = cs.cmd(FWD, shift=shift, relu=relu)
    elif mode == BWD:
        dy, w = gen(rng, m, data).astype(np.int16), gen(rng, (m, k), data).astype(np.int16)
        dx, _, _ = linear_backward(dy, np.zeros(k, np.int16), w, shift_dx=shift)
        acc = dy.astype(np.int64) @ w.astype(np.int64)
        r = (acc + ((1 << shift) >> 1)) >> shift
        tags["sat"] = bool(((r > 32767) | (r < -32768)).any())
        cs.rx = Region("dX", STACK, cs.x_base, (k, 1, 1))
        cs.ry = Region("dY", STACK, cs.y_base, (m, 1, 1))
        inputs = [(cs.ry, dy), (cs.rw, w)]
        outputs = [(cs.rx, dx.reshape(k, 1, 1))]
        cmd = cs.cmd(BWD, shift=shift)
    elif mode == WGRAD:
        x, dy = gen(rng, k, data).astype(np.int16), gen(rng, m, data).astype(np.int16)
        gacc, bgrad = over.get("gacc", rnd.randint(0, 1)), over.get("bgrad", rnd.randint(0, 1))
        g0 = gen(rng, (m, k), over.get("gdata", rnd.choice(["random", "small", "extreme"])), 32).astype(np.int32)
        bg0 = gen(rng, m, rnd.choice(["random", "small", "extreme"]), 32).astype(np.int32)
        _, dw, db = linear_backward(dy, x, w=np.zeros((m, k), np.int16), shift_dw=shift)
        g1 = grad_accumulate(g0, dw) if gacc else dw
        bg1 = grad_accumulate(bg0, db) if gacc else db
        raw = (dy.astype(np.int64)[:, None] * x.astype(np.int64)[None, :] + ((1 << shift) >> 1)) >> shift
        tags.update(wgflags=(gacc, bgrad), sat=bool(gacc and ((g0.astype(np.int64) + raw > 2**31 - 1) |
                                                             (g0.astype(np.int64) + raw < -2**31)).any()))
        cs.ry = Region("dY", STACK, cs.y_base, (m, 1, 1))
        inputs = [(cs.rx, x), (cs.ry, dy), (cs.rg, g0), (cs.rbg, bg0)]
        outputs = [(cs.rg, g1)] + ([(cs.rbg, bg1)] if bgrad else [])
        cmd = cs.cmd(WGRAD, shift=shift, gacc=gacc, bgrad=bgrad)
    else:
        w = gen(rng, (m, k), data).astype(np.int16)
        g = gen(rng, (m, k), data, 32).astype(np.int32)
        b = gen(rng, m, data, 32).astype(np.int32)
        bg = gen(rng, m, data, 32).astype(np.int32)
        lrs = over.get("lr_shift", rnd.choice([0, 63, rnd.randint(1, 62), rnd.randint(10, 30)]))
        lrm = over.get("lr_mult", rnd.choice([0, 1, 65535, rnd.randint(0, 65535)]))
        lrsb = over.get("lr_shift_b", rnd.randint(0, 63))
        lrmb = over.get("lr_mult_b", rnd.randint(0, 65535))
        w1 = sgd_update(w, g, lrm, lrs)
        b1 = sgd_update(b, bg, lrmb, lrsb, bits=32)
        step = (g.astype(object) * lrm + ((1 << lrs) >> 1)) >> lrs
        tags.update(lrs=_bin_shift(lrs, 63), shift="mid",
                    sat=bool(any(not -32768 <= int(v) <= 32767 for v in (w.astype(object) - step).ravel())))
        inputs = [(cs.rw, w), (cs.rg, g), (cs.rb, b), (cs.rbg, bg)]
        outputs = [(cs.rw, w1), (cs.rg, np.zeros((m, k), np.int32)), (cs.rb, b1),
                   (cs.rbg, np.zeros(m, np.int32))]
        cmd = cs.cmd(UPDATE, lr_mult=lrm, lr_shift=lrs, lr_mult_b=lrmb, lr_shift_b=lrsb)
    est = m * k + m + 30
    item = UnitItem(name, cmd, inputs, outputs, kind=kind, budget=4 * est + 500, tags=tags,
                    desc=f"{MODES[mode]} K={k} M={m} data={data} " +
                         " ".join(f"{f}={cmd[f]}" for f in ("shift", "relu", "gacc", "bgrad", "lr_mult", "lr_shift")))
    item.case = cs
    return item


def directed_items(rnd: random.Random) -> list[UnitItem]:
    p = P()
    km, mm = p["CMAX"], p["NMAX"]
    items = []
    for mode in MODES:
        for tag, k, m in (("1x1", 1, 1), ("k1", 1, 5), ("m1", 7, 1), ("max", km, mm)):
            items.append(make_item(f"{MODES[mode]}_{tag}", rnd, mode, k, m, kind=tag))
        # every data kind of every mode, "random" too (the lc.mode_x_data cross must not hang on
        # the random commands' draw: SEED=897719225 at l1 drew no random-data UPDATE)
        for data in ("random", "equal", "small", "extreme"):
            items.append(make_item(f"{MODES[mode]}_{data}", rnd, mode, 6, 4, data=data, kind=data))
    # saturation (shift 0 on extreme data), shift ends, flags
    for mode in (FWD, BWD):
        items.append(make_item(f"{MODES[mode]}_sat", rnd, mode, 9, 3, data="extreme", shift=0, kind="sat"))
        items.append(make_item(f"{MODES[mode]}_shift31", rnd, mode, 9, 3, shift=31, kind="shift"))
    for relu in (0, 1):
        items.append(make_item(f"FWD_relu{relu}", rnd, FWD, 8, 6, shift=12, relu=relu, kind="relu"))
    for gacc in (0, 1):
        for bgrad in (0, 1):
            items.append(make_item(f"WGRAD_g{gacc}b{bgrad}", rnd, WGRAD, 5, 4, gacc=gacc, bgrad=bgrad,
                                   kind="flags"))
    items.append(make_item("WGRAD_sat", rnd, WGRAD, 5, 4, data="extreme", gacc=1, shift=0,
                           gdata="extreme", kind="sat"))
    for lrs in (0, 63):
        items.append(make_item(f"UPDATE_lrs{lrs}", rnd, UPDATE, 5, 3, lr_shift=lrs, lr_mult=65535,
                               data="extreme", kind="lr"))
    items.append(make_item("UPDATE_mid_sat", rnd, UPDATE, 5, 3, lr_shift=8, lr_mult=65535,
                           data="extreme", kind="lr"))
    return items


def bad_items(rnd: random.Random) -> list[UnitItem]:
    p = P()
    items = BadItems(rnd, make_item,
                     lambda name, kind, umode=FWD: make_item(name, rnd, umode, 4, 3, kind=kind, bgrad=1))
    bad = items.add

    for m in (4, 5, 7):
        bad(f"mode{m}", BAD_MODE, FWD, mode=m)
    bad("k0", BAD_SHAPE, FWD, cin=0)
    bad("k_above", BAD_SHAPE, BWD, cin=p["CMAX"] + 1)
    bad("m0", BAD_SHAPE, WGRAD, cout=0)
    bad("m_above", BAD_SHAPE, UPDATE, cout=p["NMAX"] + 1)
    bad("shift32", BAD_SHAPE, FWD, shift=32)
    bad("shift255_wgrad", BAD_SHAPE, WGRAD, shift=255)
    bad("x_beyond", BAD_BUFFER, FWD, x_base=p["FM_DEPTH"] - 3)
    bad("y_beyond", BAD_BUFFER, BWD, y_base=p["FM_DEPTH"] - 2)
    bad("x_beyond_wgrad", BAD_BUFFER, WGRAD, x_base=p["FM_DEPTH"])
    bad("xy_overlap_fwd", BAD_BUFFER, FWD, x_base=5, y_base=8)
    bad("xy_overlap_bwd", BAD_BUFFER, BWD, x_base=9, y_base=7)
    bad("w_beyond", BAD_BUFFER, BWD, w_base=p["WDEPTH"] - 11)
    bad("w_beyond_update", BAD_BUFFER, UPDATE, w_base=p["WDEPTH"] - 1)
    bad("bias_beyond_fwd", BAD_BUFFER, FWD, bias_base=p["BDEPTH"] - 2)
    bad("bias_beyond_update", BAD_BUFFER, UPDATE, bias_base=p["BDEPTH"] - 1)
    bad("bgrad_beyond_wgrad", BAD_BUFFER, WGRAD, bias_base=p["BDEPTH"] - 1, bgrad=1)
    bad("base_huge", BAD_BUFFER, FWD, y_base=0xFFFFFFFF)
    # high bits: every command field with illegal values, all bits above its largest legal value
    # set on a legal command of a random mode that checks the field (shift and the stack bases
    # not in UPDATE; the bias range in FWD, UPDATE and WGRAD with bgrad, which bad() sets);
    # status in the RTL's check order.  The full-width fields (flags, learning rates) have no
    # illegal value: one legal UPDATE drives the learning rates all ones.
    every, stack = list(MODES), [FWD, BWD, WGRAD]
    hb = {"mode": (UPDATE, BAD_MODE, every), "cin": (p["CMAX"], BAD_SHAPE, every),
          "cout": (p["NMAX"], BAD_SHAPE, every), "shift": (31, BAD_SHAPE, stack),
          "x_base": (p["FM_DEPTH"] - 1, BAD_BUFFER, stack),
          "y_base": (p["FM_DEPTH"] - 1, BAD_BUFFER, stack),
          "w_base": (p["WDEPTH"] - 1, BAD_BUFFER, every),
          "bias_base": (p["BDEPTH"] - 1, BAD_BUFFER, [FWD, WGRAD, UPDATE])}
    full_width = {"relu", "bgrad", "gacc", "lr_mult", "lr_shift", "lr_mult_b", "lr_shift_b"}
    items.append(make_item("full_width_lr", rnd, UPDATE, 4, 3, kind="full_width", lr_mult=0xFFFF,
                           lr_shift=63, lr_mult_b=0xFFFF, lr_shift_b=63))
    items.high_bits(hb, FIELDS, exempt=full_width)
    return items


def chain_items(rnd: random.Random, batch: int = 3) -> list[UnitItem]:
    """One mini-batch through the layer, memories loaded once: per image FWD, BWD_DATA and
    WGRAD (gacc 0 for the first image, 1 after), then UPDATE and a FWD with the new weights.
    Expectations are the models chained."""
    cs = Case(rnd, rnd.randint(2, 12), rnd.randint(2, 8), "random")
    rng, k, m = cs.rng, cs.k, cs.m
    w = rng.integers(-3000, 3000, size=(m, k)).astype(np.int16)
    b = rng.integers(-1 << 20, 1 << 20, size=m).astype(np.int32)
    g = bg = None
    items = []
    sh, shdx, shdw = 10, 9, 6
    for i in range(batch):
        x = rng.integers(-2000, 2000, size=k).astype(np.int16)
        dy = rng.integers(-2000, 2000, size=m).astype(np.int16)
        y = linear_forward(x, w, b, sh, False)
        dx, dw, db = linear_backward(dy, x, w, shdx, shdw)
        g = dw if g is None else grad_accumulate(g, dw)
        bg = db if bg is None else grad_accumulate(bg, db)
        ry = Region("Y", STACK, cs.y_base, (m, 1, 1))
        rdy = Region("dY", STACK, cs.y_base, (m, 1, 1))
        rdx = Region("dX", STACK, cs.x_base, (k, 1, 1))
        ins = [(cs.rx, x), (cs.rw, w), (cs.rb, b)] if i == 0 else [(cs.rx, x)]
        items.append(UnitItem(f"chain_fwd{i}", cs.cmd(FWD, shift=sh), ins, [(ry, y.reshape(m, 1, 1))],
                              kind="chain", desc=f"chain FWD image {i} K={k} M={m}"))
        items.append(UnitItem(f"chain_bwd{i}", cs.cmd(BWD, shift=shdx), [(rdy, dy)], [(rdx, dx.reshape(k, 1, 1))],
                              kind="chain", desc=f"chain BWD_DATA image {i}"))
        # WGRAD reads x again: reload it over dX
        items.append(UnitItem(f"chain_wgrad{i}", cs.cmd(WGRAD, shift=shdw, gacc=int(i > 0), bgrad=1),
                              [(cs.rx, x)], [(cs.rg, g), (cs.rbg, bg)], kind="chain",
                              desc=f"chain WGRAD image {i} gacc={int(i > 0)}"))
    lr = dict(lr_mult=rnd.randint(1000, 60000), lr_shift=rnd.randint(12, 20),
              lr_mult_b=rnd.randint(1000, 60000), lr_shift_b=rnd.randint(4, 12))
    w1 = sgd_update(w, g, lr["lr_mult"], lr["lr_shift"])
    b1 = sgd_update(b, bg, lr["lr_mult_b"], lr["lr_shift_b"], bits=32)
    items.append(UnitItem("chain_update", cs.cmd(UPDATE, **lr), [],
                          [(cs.rw, w1), (cs.rg, np.zeros((m, k), np.int32)), (cs.rb, b1),
                           (cs.rbg, np.zeros(m, np.int32))], kind="chain", desc=f"chain UPDATE {lr}"))
    x = rng.integers(-2000, 2000, size=k).astype(np.int16)
    items.append(UnitItem("chain_fwd_after", cs.cmd(FWD, shift=sh, relu=1), [(cs.rx, x)],
                          [(Region("Y", STACK, cs.y_base, (m, 1, 1)),
                            linear_forward(x, w1, b1, sh, True).reshape(m, 1, 1))],
                          kind="chain", desc="chain FWD with the updated weights"))
    return items


# ====================================================================================== tests
random_commands, directed_edges, bad_inputs, reset_mid_command, checker_catches_wrong_expectation = unit_tests(
    __name__, spec, make_item, cases=LC_CASES, per_case=40,
    random_doc="LC_CASES constrained-random commands of every mode against the models.",
    directed=directed_items,
    directed_doc="""Every mode on K = M = 1, K = 1, M = 1, K = CMAX x M = NMAX, all-equal, small-range and
    full-scale data; saturation of y / dx / gradients / SGD, shift 0 and 31, ReLU on/off, all
    four gacc x bgrad combinations, lr_shift 0 and 63.""",
    bad=bad_items, written="word of any memory",
    killed=lambda rnd, i: make_item(f"killed{i}", rnd, list(MODES)[i], 10, 6), resets=len(MODES), max_delay=50,
    wrong=lambda rnd: [make_item(f"wrong_{MODES[m]}", rnd, m, 3, 2, gacc=0, bgrad=1) for m in MODES],
    marks=[{FWD: "Y[c=0, y=0, x=0]", BWD: "dX[c=0, y=0, x=0]", WGRAD: "GRAD[m=0, k=0]",
            UPDATE: "W[m=0, k=0]"}[m] for m in MODES],
    ms=3000, short_ms=1000, base=5)


@cocotb.test(**timeout(3000, base=5))
@cocotb.parametrize(stall=[False, True])
async def minibatch_chain(dut, stall):
    """FWD / BWD_DATA / WGRAD over a mini-batch (gradients accumulated), UPDATE, FWD again."""
    await run_items(spec(), chain_items(seeded_rnd()), stall=stall)


coverage_closed = coverage_test(__name__, "lc", "lc_unit")


# ================================================ pytest entry: both simulators, every set
from verif.common.block_entry import block_test  # noqa: E402

test_lc_unit = block_test("lc_unit")
