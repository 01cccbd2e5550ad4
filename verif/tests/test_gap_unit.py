"""pyuvm testbench of the GAP unit (global average pooling forward / backward) through
verif/hdl/gap_unit_harness.v; contract: docs/units.md, models: verif.models.layers.gap_forward,
gap_backward (M/R reciprocal of gap_params, derived by the unit), checked bit-exactly.

Same environment as every unit (verif/common/unit_env.py, verif/common/units/table.py):
inputs loaded through the host port,
random valid delays / ready back-pressure, the whole stack read back and compared after every
command (first wrong element named with the seed).

Knobs: ``GAP_CASES`` random commands per random test (default 30), ``COCOTB_RANDOM_SEED``.
"""

from __future__ import annotations

import os
import random

import numpy as np

from bench.cycle_formulas import pool_cycles
from verif.common.fm_layout import Region, map_words, place
from verif.common.unit_cases import BadItems, coverage_test, unit_tests
from verif.common.units.common import BAD_BUFFER
from verif.common.units.table import UnitItem
from verif.common.units.gap import MODES, FWD, BWD, FIELDS, P, spec
from verif.models.layers import gap_backward, gap_forward

GAP_CASES = int(os.environ.get("GAP_CASES", "30"))
# ================================================================================ stimulus
def gen_data(rng, shape, data: str):
    if data == "small":
        return rng.integers(-3, 4, size=shape).astype(np.int16)
    if data == "equal":
        return np.full(shape, rng.integers(-32768, 32768), dtype=np.int16)
    if data == "full":       # every pixel at one end of the range
        return np.full(shape, rng.choice([-32768, 32767]), dtype=np.int16)
    if data == "extreme":
        v = rng.choice([-32768, 32767])
        return rng.choice(np.array([v, v, v, -v - 1 if v > 0 else 32767], dtype=np.int16), size=shape)
    return rng.integers(-32768, 32768, size=shape).astype(np.int16)


def make_item(name, rnd: random.Random, mode=None, c=None, h=None, w=None, data=None,
              kind="random") -> UnitItem:
    p = P()
    L, fm = p["LANES"], p["FM_DEPTH"]
    rng = np.random.default_rng(rnd.getrandbits(32))
    mode = rnd.choice(list(MODES)) if mode is None else mode
    c0, h0, w0 = c, h, w
    while True:
        c = c0 or rnd.randint(1, min(p["CMAX"], 5))
        h = h0 or rnd.randint(1, min(p["HMAX"], 12))
        w = w0 or rnd.randint(1, min(p["WMAX"], 3 * L + 3))
        xs, ys = (c, h, w), (c, 1, 1)
        if map_words(xs, L) + c <= fm:
            break
        if c0 and h0 and w0:    # a fixed shape that does not fit: the parameter set is wrong
            raise ValueError(f"{name}: C={c} H={h} W={w} does not fit FM_DEPTH={fm}")
    data = data or rnd.choice(["random", "random", "small", "equal", "extreme"])
    xb, yb = place(rnd, [map_words(xs, L), c], fm)
    rx, ry = Region("dX" if mode else "X", 0, xb, xs), Region("dY" if mode else "Y", 0, yb, ys)
    pix = h * w
    tags = dict(mode=MODES[mode], pow2=(pix & (pix - 1)) == 0, odd_h=bool(h % 2), odd_w=bool(w % 2),
                data="extreme" if data == "full" else data, ragged=bool(w % L),
                size="1x1" if pix == 1 else "max" if (h, w) == (p["HMAX"], p["WMAX"]) else "mid")
    if mode == FWD:
        x = gen_data(rng, xs, data)
        y = gap_forward(x).reshape(ys)
        inputs, outputs = [(rx, x)], [(ry, y)]
        tags["fullscale"] = bool(np.isin(y, [-32768, 32767]).any())
    else:
        dy = gen_data(rng, ys, data)
        dx = gap_backward(dy.reshape(c), xs)
        inputs, outputs = [(ry, dy)], [(rx, dx)]
        tags["fullscale"] = bool(np.isin(dx, [-32768, 32767]).any())
    cmd = dict(mode=mode, c=c, h=h, w=w, x_base=xb, y_base=yb)
    est = c * h * (-(-w // L)) + 4 * c + 80
    # the model's cycle formula (bench.cycle_formulas.pool_cycles) is the RTL's on every OK command
    rsp = {"cycles": pool_cycles("GAP_BWD" if mode else "GAP_FWD", c, h, w, L, p["HMAX"] * p["WMAX"])}
    return UnitItem(name, cmd, inputs, outputs, kind=kind, budget=4 * est + 500, tags=tags, rsp=rsp,
                    desc=f"{MODES[mode]} C={c} H={h} W={w} data={data} x@{xb} y@{yb}")


def directed_items(rnd: random.Random) -> list[UnitItem]:
    p = P()
    L, hm, wm = p["LANES"], p["HMAX"], p["WMAX"]
    items = []
    for m in MODES:
        shapes = [("1x1", 3, 1, 1), ("pow2", 2, 4, 4), ("odd3", 2, 3, 3), ("p7x5", 1, 7, 5),
                  ("row", 1, 1, 2 * L + 1), ("col", 1, hm, 1), ("lanes_exact", 1, 2, 4 * L),
                  ("largest", 1, hm, wm), ("cmax", p["CMAX"], 1, 3),
                  # BWD: more channels than (or as many as) the pipeline's 8 FIFO slots, 3 rows of
                  # 3 vectors each: the reads run ahead of the writes until the credits run out
                  # and all 8 results wait in the FIFO (a channel's 9 writes outlast the reads)
                  ("cmax_rows", p["CMAX"], 3, 2 * L + 1)]
        for tag, c, h, w in shapes:
            items.append(make_item(f"{MODES[m]}_{tag}", rnd, m, c, h, w, kind=tag))
        for data in ("equal", "small", "extreme"):
            items.append(make_item(f"{MODES[m]}_{data}", rnd, m, 2, rnd.choice([3, 4]), rnd.choice([5, 8]),
                                   data=data, kind=data))
        items.append(make_item(f"{MODES[m]}_full_scale", rnd, m, 2, 1 if m == BWD else 3,
                               1 if m == BWD else 5, data="full", kind="full"))
        items.append(make_item(f"{MODES[m]}_largest_extreme", rnd, m, 1, hm, wm, data="extreme",
                               kind="largest"))
    return items


def bad_items(rnd: random.Random) -> list[UnitItem]:
    p = P()
    fm = p["FM_DEPTH"]
    items = BadItems(rnd, make_item,
                     lambda name, kind, umode=FWD: make_item(name, rnd, umode, 2, 3, 5, kind=kind))
    bad = items.add

    items.map_shapes(p, (2, 5, 7), FWD, (None, BWD, BWD, FWD, None, BWD))
    bad("x_beyond", BAD_BUFFER, FWD, x_base=fm - 1)
    bad("y_beyond", BAD_BUFFER, BWD, y_base=fm - 1)
    bad("base_huge", BAD_BUFFER, FWD, x_base=0xFFFFFFFF)
    bad("x_y_overlap", BAD_BUFFER, FWD, x_base=10, y_base=11)
    bad("y_x_overlap", BAD_BUFFER, BWD, x_base=21, y_base=20)
    # high bits: every command field, all bits above its largest legal value set on a legal
    # command of a random mode (both modes check every field)
    items.map_high_bits(p, FIELDS, BWD, ("x_base", "y_base"), [FWD, BWD])
    return items


# ====================================================================================== tests
random_commands, directed_edges, bad_inputs, reset_mid_command, checker_catches_wrong_expectation = unit_tests(
    __name__, spec, make_item, cases=GAP_CASES, per_case=20,
    random_doc="GAP_CASES constrained-random commands of both modes against the models.",
    directed=directed_items,
    directed_doc="""Both modes on 1x1 maps, power-of-two and odd pixel counts, single rows / columns, W a
    multiple of 2L, the largest map (also with full-scale data), CMAX channels, all-equal,
    small-range and full-scale inputs.""",
    bad=bad_items, killed=lambda rnd, i: make_item(f"killed{i}", rnd, i % 2, c=3, h=8, w=8),
    resets=4, max_delay=60,
    wrong=lambda rnd: [make_item(f"wrong_{MODES[m]}", rnd, m, 1, 4, 4) for m in MODES],
    marks=[f"{ {FWD: 'Y', BWD: 'dX'}[m]}[c=0, y=0, x=0]" for m in MODES])
coverage_closed = coverage_test(__name__, "gap", "gap_unit")


# ================================================ pytest entry: both simulators, every set
from verif.common.block_entry import block_test  # noqa: E402

test_gap_unit = block_test("gap_unit")
