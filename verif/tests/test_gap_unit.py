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

import cocotb
import numpy as np

from verif.common.fm_layout import Region, map_words, place
from verif.common.unit_cases import BadItems, reset_items, seeded_rnd, timeout, wrong_expectations_caught
from verif.common.unit_env import run_items
from verif.common.units.common import BAD_BUFFER, BAD_MODE, BAD_SHAPE, assert_coverage_closed
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
    return UnitItem(name, cmd, inputs, outputs, kind=kind, budget=4 * est + 500, tags=tags,
                    desc=f"{MODES[mode]} C={c} H={h} W={w} data={data} x@{xb} y@{yb}")


def directed_items(rnd: random.Random) -> list[UnitItem]:
    p = P()
    L, hm, wm = p["LANES"], p["HMAX"], p["WMAX"]
    items = []
    for m in MODES:
        shapes = [("1x1", 3, 1, 1), ("pow2", 2, 4, 4), ("odd3", 2, 3, 3), ("p7x5", 1, 7, 5),
                  ("row", 1, 1, 2 * L + 1), ("col", 1, hm, 1), ("lanes_exact", 1, 2, 4 * L),
                  ("largest", 1, hm, wm), ("cmax", p["CMAX"], 1, 3)]
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

    for m in (2, 5, 7):
        bad(f"mode{m}", BAD_MODE, FWD, mode=m)
    bad("c0", BAD_SHAPE, c=0)
    bad("c_above", BAD_SHAPE, BWD, c=p["CMAX"] + 1)
    bad("h0", BAD_SHAPE, BWD, h=0)
    bad("w0", BAD_SHAPE, FWD, w=0)
    bad("h_above", BAD_SHAPE, h=p["HMAX"] + 1)
    bad("w_above", BAD_SHAPE, BWD, w=p["WMAX"] + 1)
    bad("x_beyond", BAD_BUFFER, FWD, x_base=fm - 1)
    bad("y_beyond", BAD_BUFFER, BWD, y_base=fm - 1)
    bad("base_huge", BAD_BUFFER, FWD, x_base=0xFFFFFFFF)
    bad("x_y_overlap", BAD_BUFFER, FWD, x_base=10, y_base=11)
    bad("y_x_overlap", BAD_BUFFER, BWD, x_base=21, y_base=20)
    # high bits: every command field, all bits above its largest legal value set on a legal
    # command of a random mode (both modes check every field); status in the RTL's check order
    hb = {"mode": (BWD, BAD_MODE), "c": (p["CMAX"], BAD_SHAPE), "h": (p["HMAX"], BAD_SHAPE),
          "w": (p["WMAX"], BAD_SHAPE), "x_base": (fm - 1, BAD_BUFFER), "y_base": (fm - 1, BAD_BUFFER)}
    items.high_bits(hb, FIELDS, modes=[FWD, BWD])
    return items


# ====================================================================================== tests
@cocotb.test(**timeout(20 * GAP_CASES))
@cocotb.parametrize(stall=[False, True])
async def random_commands(dut, stall):
    """GAP_CASES constrained-random commands of both modes against the models."""
    rnd = seeded_rnd()
    await run_items(spec(), [make_item(f"rand{i}", rnd) for i in range(GAP_CASES)], stall=stall)


@cocotb.test(**timeout(2000))
@cocotb.parametrize(stall=[False, True])
async def directed_edges(dut, stall):
    """Both modes on 1x1 maps, power-of-two and odd pixel counts, single rows / columns, W a
    multiple of 2L, the largest map (also with full-scale data), CMAX channels, all-equal,
    small-range and full-scale inputs."""
    await run_items(spec(), directed_items(seeded_rnd()), stall=stall)


@cocotb.test(**timeout(2000))
async def bad_inputs(dut):
    """Every bad-input class answers its status, writes no stack word, does not hang, and the
    next good command works."""
    await run_items(spec(), bad_items(seeded_rnd()), stall=True)


@cocotb.test(**timeout(500))
async def reset_mid_command(dut):
    """Reset while a command runs, then good commands work."""
    rnd = seeded_rnd()
    killed = lambda i: make_item(f"killed{i}", rnd, i % 2, c=3, h=8, w=8)  # noqa: E731
    await run_items(spec(), reset_items(rnd, make_item, killed, 4, 60))


@cocotb.test(**timeout(500))
async def checker_catches_wrong_expectation(dut):
    """A deliberately wrong expectation must be reported, naming the element and the seed."""
    rnd = seeded_rnd()
    items = [make_item(f"wrong_{MODES[m]}", rnd, m, 1, 4, 4) for m in MODES]
    names = {FWD: "Y", BWD: "dX"}
    await wrong_expectations_caught(spec(), items, [f"{names[m]}[c=0, y=0, x=0]" for m in MODES])


@cocotb.test()
async def coverage_closed(dut):
    """Every coverage bin was hit by the tests above (run the whole module)."""
    assert_coverage_closed("gap", "gap_unit")


# ================================================ pytest entry: both simulators, every set
from verif.common.block_entry import block_test  # noqa: E402

test_gap_unit = block_test("gap_unit")
