"""pyuvm testbench of the MP unit (max pool forward/backward, ReLU backward, the two backwards in
one pass) through verif/hdl/mp_unit_harness.v; contract: docs/units.md, models:
verif.models.layers (maxpool_forward with argmax_words, maxpool_backward, relu_backward,
maxpool_relu_backward), checked bit-exactly.

The environment every unit shares (verif/common/unit_env.py, verif/common/units/table.py) loads
the inputs through the host port, sends
the command with random valid delays, takes the response under random back-pressure, reads back
the *whole stack* and requires it to equal the stack before with exactly the expected outputs
written (first wrong element named as ``Tensor[c, y, x]`` with the seed).

Knobs: ``MP_CASES`` random commands per random test (default 30), ``COCOTB_RANDOM_SEED``.
"""

from __future__ import annotations

import os
import random

import numpy as np

from bench.cycle_formulas import pool_cycles
from verif.common.fm_layout import Region, map_words, place
from verif.common.unit_cases import BadItems, coverage_test, unit_tests
from verif.common.units.common import BAD_BUFFER, BAD_MODE, BAD_SHAPE
from verif.common.units.table import UnitItem
from verif.common.units.mp import MODES, MP_FWD, MP_BWD, MP_BWD_RELU, RELU_BWD, FIELDS, P, spec
from verif.models.layers import (argmax_words, maxpool_backward, maxpool_forward, maxpool_relu_backward,
                                 relu_backward)

MP_CASES = int(os.environ.get("MP_CASES", "30"))
# ================================================================================ stimulus
def gen_data(rng, shape, data: str):
    if data == "small":      # many ties
        return rng.integers(-2, 3, size=shape).astype(np.int16)
    if data == "equal":
        return np.full(shape, rng.integers(-32768, 32768), dtype=np.int16)
    if data == "extreme":
        return rng.choice(np.array([-32768, -32767, -1, 0, 1, 32766, 32767], dtype=np.int16), size=shape)
    return rng.integers(-32768, 32768, size=shape).astype(np.int16)


def xarg_modes(rd_ports: int) -> list[int]:
    """The modes that take the ``xarg`` flag (no argmax map, docs/units.md) at ``rd_ports``:
    MP_FWD always, MP_BWD / MP_BWD_RELU from 4 read ports (their X reads)."""
    return [MP_FWD] + ([MP_BWD, MP_BWD_RELU] if rd_ports >= 4 else [])


def make_item(name, rnd: random.Random, mode=None, c=None, h=None, w=None, data=None,
              kind="random", flat=None, xarg=None) -> UnitItem:
    """``flat``: (flat_x, flat_y), or None for each at random (30 %); ``xarg``: no argmax map
    (MP_FWD writes Y only, MP_BWD finds the argmax from X at a_base), None: at random (30 %)
    where the set allows it (:func:`xarg_modes`)."""
    p = P()
    L, fm = p["LANES"], p["FM_DEPTH"]
    rng = np.random.default_rng(rnd.getrandbits(32))
    mode = rnd.choice(list(MODES)) if mode is None else mode
    if xarg is None:
        xarg = mode in xarg_modes(p["RD_PORTS"]) and rnd.random() < 0.3
    bwdx = bool(xarg) and mode in (MP_BWD, MP_BWD_RELU)
    lo = 1 if mode == RELU_BWD else 2
    c0, h0, w0 = c, h, w
    while True:   # random sizes that fit the stack
        c = c0 or rnd.randint(1, min(p["CMAX"], 4))
        h = h0 or rnd.randint(lo, min(p["HMAX"], 12))
        w = w0 or rnd.randint(lo, min(p["WMAX"], 3 * L + 3))
        ho, wo = (h, w) if mode == RELU_BWD else (h // 2, w // 2)
        xs, ys = (c, h, w), (c, ho, wo)
        # flat maps (docs/uc_unit.md "Flat small maps"), each side at random
        fx, fy = (rnd.random() < 0.3, rnd.random() < 0.3) if flat is None else flat
        nx = map_words((c, 1, h * w) if fx else xs, L)
        ny = map_words((c, 1, ho * wo) if fy else ys, L)
        na = nx if bwdx else ny     # (MP_BWD with xarg: the A region is the forward input X)
        if nx + ny + na <= fm:
            break
        if c0 and h0 and w0:    # a fixed shape that does not fit: the parameter set is wrong
            raise ValueError(f"{name}: C={c} H={h} W={w} ({nx} + 2 x {ny} words) does not fit FM_DEPTH={fm}")
    data = data or rnd.choice(["random", "random", "small", "equal", "extreme"])
    xb, yb, ab = place(rnd, [nx, ny, na], fm)
    rx, ry, ra = (Region(n, 0, b, s, flat=f) for n, b, s, f in
                  (("dX" if mode else "X", xb, xs, fx), ("dY" if mode else "Y", yb, ys, fy),
                   ("Xfwd", ab, xs, fx) if bwdx else ("Yfwd" if mode == RELU_BWD else "ARG", ab, ys, fy)))
    tags = dict(mode=MODES[mode], odd_h=bool(h % 2), odd_w=bool(w % 2), data=data,
                ragged=bool((wo if mode == MP_FWD else w) % L), tie=False, argvals=False,
                extreme=False, posbit=False, flat=(MODES[mode] if fx or fy else None),
                xarg=(MODES[mode] if xarg else None),
                size="min" if (h, w) == (lo, lo) else "max" if (h, w) == (p["HMAX"], p["WMAX"]) else "mid")
    if mode == MP_FWD:
        x = gen_data(rng, xs, data)
        y, arg = maxpool_forward(x)
        win = np.stack([x[:, dy:2 * ho:2, dx:2 * wo:2] for dy, dx in ((0, 0), (0, 1), (1, 0), (1, 1))])
        tags["tie"] = bool(((win == y[None]).sum(axis=0) > 1).any())
        tags["argvals"] = set(np.unique(arg).tolist()) == {0, 1, 2, 3}
        tags["extreme"] = bool(np.isin(x, [-32768, 32767]).any())
        words = argmax_words(y, arg)
        tags["posbit"] = set(np.unique(words >> 2).tolist()) == {0, 1}
        # (xarg: Y only; the whole-stack check holds the A region unchanged)
        inputs, outputs = [(rx, x)], [(ry, y)] + ([] if xarg else [(ra, words)])
    elif bwdx:
        # the argmax words found again from the forward input X
        dy = gen_data(rng, ys, data)
        xf = gen_data(rng, xs, rnd.choice(["random", "small", "extreme"]))
        yf, argf = maxpool_forward(xf)
        arg = argmax_words(yf, argf)
        if mode == MP_BWD:
            dx = maxpool_backward(dy, argf, xs)
        else:
            dx = maxpool_relu_backward(dy, arg, xs)
        tags["argvals"] = set(np.unique(argf).tolist()) == {0, 1, 2, 3}
        tags["posbit"] = set(np.unique(arg >> 2).tolist()) == {0, 1}
        tags["extreme"] = bool(np.isin(dy, [-32768, 32767]).any())
        inputs, outputs = [(ry, dy), (ra, xf)], [(rx, dx)]
    elif mode in (MP_BWD, MP_BWD_RELU):
        # argmax words with the "maximum > 0" bit at random (MP_BWD must ignore it)
        dy = gen_data(rng, ys, data)
        arg = rng.integers(0, 8, size=ys).astype(np.int16)
        if mode == MP_BWD:
            dx = maxpool_backward(dy, (arg & 3).astype(np.uint8), xs)
        else:
            dx = maxpool_relu_backward(dy, arg, xs)
        tags["argvals"] = set(np.unique(arg & 3).tolist()) == {0, 1, 2, 3}
        tags["posbit"] = set(np.unique(arg >> 2).tolist()) == {0, 1}
        tags["extreme"] = bool(np.isin(dy, [-32768, 32767]).any())
        inputs, outputs = [(ry, dy), (ra, arg)], [(rx, dx)]
    else:
        dy = gen_data(rng, xs, data)
        yf = gen_data(rng, xs, rnd.choice(["random", "small", "extreme"]))
        dx = relu_backward(dy, yf)
        tags["extreme"] = bool(np.isin(dy, [-32768, 32767]).any())
        inputs, outputs = [(ry, dy), (ra, yf)], [(rx, dx)]
    cmd = dict(mode=mode, c=c, h=h, w=w, x_base=xb, y_base=yb, a_base=ab, flat_x=int(fx), flat_y=int(fy),
               xarg=int(bool(xarg)))
    vec = -(-max(wo, 1) // L)
    est = 4 * c * (h // 2 + 1) * (-(-((w + 1) // 2) // L) + 1) + 2 * c * h * vec + 50
    # the cycle formula of the model (bench.cycle_formulas.pool_cycles) is the RTL's on every OK
    # command: the scoreboard compares m_rsp_cycles with it (MP_BWD_RELU costs what MP_BWD does;
    # flat maps what the row layout does)
    name_f = "MP_BWD" if mode == MP_BWD_RELU else MODES[mode]
    rsp = {"cycles": pool_cycles(name_f, c, h, w, L, read_ports=p["RD_PORTS"], xarg=bool(xarg))}
    return UnitItem(name, cmd, inputs, outputs, kind=kind, budget=4 * est + 500, tags=tags, rsp=rsp,
                    desc=f"{MODES[mode]} C={c} H={h} W={w} data={data} x@{xb} y@{yb} a@{ab}"
                         + (f" flat x={int(fx)} y={int(fy)}" if fx or fy else "") + (" xarg" if xarg else ""))


def directed_items(rnd: random.Random) -> list[UnitItem]:
    p = P()
    L, hm, wm = p["LANES"], p["HMAX"], p["WMAX"]
    items = []
    for m in MODES:
        lo = 1 if m == RELU_BWD else 2
        shapes = [("min", 1, lo, lo), ("odd3", 2, 3, 3), ("odd_h", 2, 5, 4), ("odd_w", 1, 4, 2 * L + 1),
                  ("lanes_exact", 1, 2, 4 * L), ("largest", 1, hm, wm), ("cmax", p["CMAX"], 2, 3)]
        for tag, c, h, w in shapes:
            items.append(make_item(f"{MODES[m]}_{tag}", rnd, m, c, h, w, kind=tag))
        for data in ("equal", "small", "extreme"):
            items.append(make_item(f"{MODES[m]}_{data}", rnd, m, 2, rnd.choice([4, 5]), rnd.choice([6, 7]),
                                   data=data, kind=data))
    # no argmax map: odd sizes, the largest map, ties, both layouts
    for m in xarg_modes(p["RD_PORTS"]):
        for tag, c, h, w, data, flat in (("xarg_odd", 2, 5, 2 * L + 3, "small", (False, False)),
                                         ("xarg_largest", 1, hm, wm, "random", (False, False)),
                                         ("xarg_flat", 2, 4, 6, "equal", (True, True))):
            items.append(make_item(f"{MODES[m]}_{tag}", rnd, m, c, h, w, data=data, kind=tag, flat=flat,
                                   xarg=True))
    # MP_FWD with xarg has no A region: any a_base is legal (nothing written there)
    it = make_item("MP_FWD_xarg_a_ignored", rnd, MP_FWD, 2, 4, 6, kind="xarg_a_ignored", xarg=True)
    it.cmd["a_base"] = 0xFFFFFFF0
    items.append(it)
    return items


def bad_items(rnd: random.Random) -> list[UnitItem]:
    """One item per bad-input class, each followed by a good command (which must work)."""
    p = P()
    fm = p["FM_DEPTH"]
    # (the row layout: each case's sizes and bases are those of row-layout maps)
    items = BadItems(rnd, make_item,
                     lambda name, kind, umode=MP_FWD: make_item(name, rnd, umode, 2, 4, 6, kind=kind,
                                                                flat=(False, False), xarg=False))
    bad = items.add

    items.map_shapes(p, (4, 5, 7), MP_FWD, (None, MP_BWD, RELU_BWD, MP_BWD_RELU, None, RELU_BWD))
    bad("mp_h1", BAD_SHAPE, MP_FWD, h=1)
    bad("mp_w1", BAD_SHAPE, MP_BWD, w=1)
    bad("x_beyond", BAD_BUFFER, MP_FWD, x_base=fm - 1)
    bad("y_beyond", BAD_BUFFER, MP_BWD, y_base=fm - 1)
    bad("a_beyond", BAD_BUFFER, RELU_BWD, a_base=fm - 2)
    bad("base_huge", BAD_BUFFER, MP_FWD, y_base=0xFFFFFFF0)
    bad("x_y_overlap", BAD_BUFFER, MP_FWD, x_base=10, y_base=11)
    bad("x_a_overlap", BAD_BUFFER, RELU_BWD, x_base=20, a_base=20)
    bad("y_a_overlap_fwd", BAD_BUFFER, MP_FWD, y_base=40, a_base=40)
    # high bits: every command field, all bits above its largest legal value set on a legal
    # command of a random mode (every mode checks every field)
    items.map_high_bits(p, FIELDS, MP_BWD_RELU, ("x_base", "y_base", "a_base"), list(MODES),
                        exempt=("flat_x", "flat_y", "xarg"))
    # no argmax map: not with RELU_BWD; MP_BWD's X reads need 4 read ports
    bad("xarg_relu", BAD_MODE, RELU_BWD, xarg=1)
    if p["RD_PORTS"] < 4:
        bad("xarg_bwd_ports", BAD_MODE, MP_BWD, xarg=1)
        bad("xarg_bwd_relu_ports", BAD_MODE, MP_BWD_RELU, xarg=1)
    # flat maps: a region is ceil(H*W / 2L) words a channel; beyond the stack by one word
    flat = BadItems(rnd, make_item,
                    lambda name, kind, umode=MP_FWD: make_item(name, rnd, umode, 2, 4, 6, kind=kind,
                                                               flat=(True, True), xarg=False))
    flat.add("flat_x_beyond", BAD_BUFFER, MP_BWD, x_base=fm - 2 * -(-24 // (2 * p["LANES"])) + 1)
    flat.add("flat_a_beyond", BAD_BUFFER, MP_FWD, a_base=fm - 2 * -(-6 // (2 * p["LANES"])) + 1)
    # xarg: MP_BWD's A region is X, dX's size (MP_FWD's a_base: directed_items)
    xa = BadItems(rnd, make_item,
                  lambda name, kind, umode=MP_FWD: make_item(name, rnd, umode, 2, 4, 6, kind=kind,
                                                             flat=(False, False), xarg=True))
    if p["RD_PORTS"] >= 4:
        xw = 2 * map_words((1, 4, 6), p["LANES"])
        xa.add("xarg_x_beyond", BAD_BUFFER, MP_BWD, a_base=fm - xw + 1)
        xa.add("xarg_x_dx_overlap", BAD_BUFFER, MP_BWD_RELU, x_base=30, a_base=30 + xw - 1)
    return items + flat + xa


# ====================================================================================== tests
random_commands, directed_edges, bad_inputs, reset_mid_command, checker_catches_wrong_expectation = unit_tests(
    __name__, spec, make_item, cases=MP_CASES, per_case=20,
    random_doc="MP_CASES constrained-random commands of every mode against the models.",
    directed=directed_items,
    directed_doc="""Each mode on the smallest map (2x2 / 1x1), odd H, odd W, W a multiple of 2L, the largest
    map, CMAX channels, all-equal inputs (ties everywhere), small ranges (ties) and saturation
    values.""",
    # killed commands of at least 61 cycles in every set and mode (RELU_BWD at r4: 2*12*2 + 13), so
    # that a reset 1..40 cycles after the accept always lands mid-command
    bad=bad_items, killed=lambda rnd, i: make_item(f"killed{i}", rnd, c=2, h=12, w=12), resets=3, max_delay=40,
    wrong=lambda rnd: [make_item(f"wrong_{MODES[m]}", rnd, m, 1, 4, 4) for m in MODES],
    marks=[f"{ {MP_FWD: 'Y', MP_BWD: 'dX', RELU_BWD: 'dX', MP_BWD_RELU: 'dX'}[m]}[c=0, y=0, x=0]" for m in MODES])
coverage_closed = coverage_test(__name__, "mp", "mp_unit")


# ================================================ pytest entry: both simulators, every set
from verif.common.block_entry import block_test  # noqa: E402

test_mp_unit = block_test("mp_unit")


def test_copy_check_names_the_first_differing_word():
    """The stack-copy check of the RD_PORTS = 2 harness (verif.common.units.table.copy_diff)
    passes equal copies and names the first word where copy 1 differs (checker self-test)."""
    from verif.common.units.table import copy_diff
    w0 = [0x1234, 0x5678, 0x9ABC, 0xDEF0]
    assert copy_diff(1, w0, list(w0)) == []
    errs = copy_diff(1, w0, [0x1234, 0x5679, 0x9ABC, 0])
    assert len(errs) == 1 and "word 1 " in errs[0] and "2 word(s) differ" in errs[0], errs
    assert copy_diff(1, w0, w0[:3]) != []
