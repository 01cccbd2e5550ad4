"""pyuvm testbench of the loss unit (softmax cross-entropy gradient, predicted class, loss in Q8)
through verif/hdl/loss_unit_harness.v; contract: docs/units.md, model:
verif.models.layers.softmax_xent_grad (EXP_LUT / LN_LUT, also the unit's ROMs), checked
bit-exactly: the gradient vector, m_rsp_pred and m_rsp_loss.

Environment: verif/common/unit_env.py, verif/common/units/table.py (whole stack read back
and compared after every command).

Knobs: ``LOSS_CASES`` random commands per random test (default 30), ``COCOTB_RANDOM_SEED``.
"""

from __future__ import annotations

import os
import random

import cocotb
import numpy as np

from verif.common.fm_layout import Region, place
from verif.common.unit_cases import BadItems, coverage_test, seeded_rnd, timeout, unit_tests
from verif.common.unit_env import run_items
from verif.common.units.common import BAD_BUFFER, BAD_LABEL, BAD_SHAPE
from verif.common.units.table import UnitItem
from verif.common.units.loss import FIELDS, P, spec
from verif.models.layers import softmax_xent_grad

LOSS_CASES = int(os.environ.get("LOSS_CASES", "30"))
# ================================================================================ stimulus
def gen(rng, k, data):
    if data == "small":     # ties likely
        return rng.integers(-2, 3, size=k)
    if data == "equal":
        return np.full(k, rng.integers(-32768, 32768))
    if data == "extreme":
        return rng.choice(np.array([-32768, -32767, 0, 32766, 32767]), size=k)
    if data == "peaked":    # one clear winner, the rest far below (table clipped)
        y = rng.integers(-200, 200, size=k)
        y[rng.integers(k)] = 30000
        return y
    return rng.integers(-32768, 32768, size=k) >> int(rng.integers(0, 12))


def make_item(name, rnd: random.Random, k=None, data=None, label=None, in_frac=None, grad_frac=None,
              kind="random") -> UnitItem:
    p = P()
    rng = np.random.default_rng(rnd.getrandbits(32))
    k = k or rnd.randint(1, min(p["KMAX"], 20))
    data = data or rnd.choice(["random", "random", "small", "equal", "extreme", "peaked"])
    y = gen(rng, k, data).astype(np.int16)
    label = rnd.randrange(k) if label is None else label
    in_frac = rnd.randint(0, 15) if in_frac is None else in_frac
    grad_frac = rnd.choice([0, 15, rnd.randint(0, 15)]) if grad_frac is None else grad_frac
    grad, pred, loss = softmax_xent_grad(y, label, in_frac, grad_frac)
    yb, gb = place(rnd, [k, k], p["FM_DEPTH"])
    ry, rg = Region("Y", 0, yb, (k, 1, 1)), Region("dY", 0, gb, (k, 1, 1))
    m = int(y.max())
    d = m - y.astype(np.int64)
    idx = (d + ((1 << (in_frac - 4)) >> 1)) >> (in_frac - 4) if in_frac >= 4 else d << (4 - in_frac)
    p_raw = grad.astype(np.int64) + (np.arange(k) == label) * (1 << grad_frac)
    tags = dict(size="1" if k == 1 else "2" if k == 2 else "max" if k == p["KMAX"] else "mid",
                data=data, inf="<4" if in_frac < 4 else "4" if in_frac == 4 else ">4",
                gf="0" if grad_frac == 0 else "15" if grad_frac == 15 else "mid",
                tie=int((y == m).sum()) > 1, hit=pred == label, clip=bool((idx > 255).any()),
                gsat=bool((p_raw > 32767).any()))
    cmd = dict(k=k, label=label, in_frac=in_frac, grad_frac=grad_frac, y_base=yb, g_base=gb)
    return UnitItem(name, cmd, [(ry, y.reshape(k, 1, 1))], [(rg, grad.astype(np.int16).reshape(k, 1, 1))],
                    rsp=dict(pred=pred, loss=loss), kind=kind, budget=4 * (3 * k + 80) + 500, tags=tags,
                    desc=f"K={k} label={label} in_frac={in_frac} grad_frac={grad_frac} data={data} "
                         f"y@{yb} g@{gb} -> pred {pred} loss {loss}")


def directed_items(rnd: random.Random) -> list[UnitItem]:
    p = P()
    km = p["KMAX"]
    items = [
        make_item("k1", rnd, 1, kind="k1"),
        make_item("k2_tie", rnd, 2, data="equal", label=1, kind="tie"),
        make_item("kmax", rnd, km, kind="kmax"),
        make_item("kmax_equal", rnd, km, data="equal", kind="kmax"),
        make_item("all_equal", rnd, 10, data="equal", label=9, kind="equal"),
        make_item("ties_small", rnd, 12, data="small", kind="tie"),
        make_item("extreme_gf15", rnd, 8, data="extreme", grad_frac=15, in_frac=15, kind="extreme"),
        make_item("extreme_if0", rnd, 8, data="extreme", in_frac=0, kind="extreme"),
        make_item("peaked_hit", rnd, 10, data="peaked", in_frac=8, grad_frac=12, kind="peaked"),
        make_item("gf0", rnd, 6, grad_frac=0, kind="gf"),
        make_item("if4", rnd, 6, in_frac=4, kind="if"),
    ]
    # a sure winner that is not the label, grad_frac 15: p = 2^15 saturates to 32767
    y = np.full(5, -30000, dtype=np.int16)
    y[2] = 30000
    grad, pred, loss = softmax_xent_grad(y, 0, 8, 15)
    it = make_item("grad_sat", rnd, 5, label=0, in_frac=8, grad_frac=15, kind="sat")
    (ry, _), (rg, _) = it.inputs[0], it.outputs[0]
    it.inputs, it.outputs = [(ry, y.reshape(5, 1, 1))], [(rg, grad.reshape(5, 1, 1))]
    it.rsp = dict(pred=pred, loss=loss)
    it.tags.update(gsat=True, hit=False, tie=False, clip=True, data="peaked")
    items.append(it)
    for data in ("random", "small", "equal", "extreme", "peaked"):
        for inf in (2, 4, 11):
            items.append(make_item(f"{data}_if{inf}", rnd, rnd.randint(2, 12), data=data, in_frac=inf,
                                   kind="cross"))
    return items


def bad_items(rnd: random.Random) -> list[UnitItem]:
    p = P()
    fm, km = p["FM_DEPTH"], p["KMAX"]
    items = BadItems(rnd, make_item, lambda name, kind: make_item(name, rnd, 6, kind=kind))
    bad = items.add

    bad("k0", BAD_SHAPE, k=0, label=0)
    bad("k_above", BAD_SHAPE, k=km + 1, label=0)
    bad("label_k", BAD_LABEL, label=6)
    bad("label_ffff", BAD_LABEL, label=0xFFFF)
    bad("y_beyond", BAD_BUFFER, y_base=fm - 5)
    bad("g_beyond", BAD_BUFFER, g_base=fm - 1)
    bad("overlap", BAD_BUFFER, y_base=3, g_base=8)
    bad("same_base", BAD_BUFFER, y_base=12, g_base=12)
    bad("base_huge", BAD_BUFFER, g_base=0xFFFFFFFE)
    # high bits: every command field with illegal values, all bits above its largest legal value
    # set on a legal command (K = 6); status in the RTL's check order (K, then label < K, then
    # the vectors).  in_frac / grad_frac: every value 0..15 is legal (directed_edges drives 0 and 15).
    hb = {"k": (km, BAD_SHAPE), "label": (km - 1, BAD_LABEL), "y_base": (fm - 1, BAD_BUFFER),
          "g_base": (fm - 1, BAD_BUFFER)}
    items.high_bits(hb, FIELDS, exempt={"in_frac", "grad_frac"})
    return items


# ====================================================================================== tests
random_commands, directed_edges, bad_inputs, reset_mid_command = unit_tests(
    __name__, spec, make_item, cases=LOSS_CASES, per_case=20,
    random_doc="LOSS_CASES constrained-random logit vectors, labels and fraction widths against the model.",
    directed=directed_items,
    directed_doc="""K = 1, 2 and KMAX, ties in the max (lowest index wins), all-equal logits, full-scale logits
    (table clipped at 16), in_frac below / at / above 4, grad_frac 0 and 15, a saturating gradient.""",
    bad=bad_items, killed=lambda rnd, i: make_item(f"killed{i}", rnd, min(P()["KMAX"], 16)), resets=4,
    max_delay=90, ms=3000, short_ms=1000)


@cocotb.test(**timeout(1000))
async def checker_catches_wrong_expectation(dut):
    """A deliberately wrong gradient, pred or loss expectation must be reported (element and seed)."""
    rnd = seeded_rnd()
    a = make_item("wrong_grad", rnd, 4)
    a.wrong = True
    b = make_item("wrong_pred", rnd, 4)
    b.rsp["pred"] += 1
    c = make_item("wrong_loss", rnd, 4)
    c.rsp["loss"] += 1
    sb = await run_items(spec(), [a, b, c], raise_in_check=False)
    assert len(sb.errors) == 3, f"wrong expectations went unnoticed: {sb.errors}"
    assert "dY[c=0, y=0, x=0]" in sb.errors[0] and "seed" in sb.errors[0], sb.errors[0]
    assert "m_rsp_pred" in sb.errors[1] and "m_rsp_loss" in sb.errors[2], sb.errors[1:]


coverage_closed = coverage_test(__name__, "loss", "loss_unit")


# ================================================ pytest entry: both simulators, every set
def test_luts_match_model():
    """rtl/loss_unit/loss_luts.v is what scripts/gen_loss_luts.py makes from the model's tables."""
    import importlib.util
    from flow.blocks import ROOT
    spec_ = importlib.util.spec_from_file_location("gen_loss_luts", ROOT / "scripts" / "gen_loss_luts.py")
    mod = importlib.util.module_from_spec(spec_)
    spec_.loader.exec_module(mod)
    assert (ROOT / "rtl" / "loss_unit" / "loss_luts.v").read_text() == mod.generate(), \
        "loss_luts.v is stale: run scripts/gen_loss_luts.py"


from verif.common.block_entry import block_test  # noqa: E402

test_loss_unit = block_test("loss_unit")
