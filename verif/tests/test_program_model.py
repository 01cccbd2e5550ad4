"""The whole-program cycle model (bench/program_model.py): descriptor decoding, AXI burst
splitting, the program interpreter (loops, host steps) and the UC unit's checked-list records as
the model follows them. Its agreement with the RTL is measured by `make bench` (bench/vgg16_top.py,
bench/top.py), not asserted here."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from bench import program_model as pm
from bench.array_model import array_cycles
from bench.cycle_formulas import uc_formula
from sparsetrain.program import Mem, Op, Program
from sparsetrain.uc import Mode, UcCommand, UcParams
from verif.common.uc_random import make_weights

FPTR = 40


def _run(prog: Program, engines: int = 1, lanes: int = 4):
    sw = make_weights(np.random.default_rng(1), 8, 6, 3, 0.7)
    p = UcParams(lanes=lanes, engines=engines)
    return SimpleNamespace(p=p, prog=prog, lay=SimpleNamespace(fptr={3: FPTR}, bias_ptr={}), q=SimpleNamespace(convs={3: sw})), sw


def _fwd(mode=Mode.FWD, **kw) -> UcCommand:
    return UcCommand(mode=int(mode), cin=6, cout=8, h=9, w=9, k=3, pad=1, fptr_base=FPTR, bptr_base=100, **kw)


def test_decode_inverts_the_encoder():
    prog = Program()
    prog.load(Mem.WGT, 17, 300, 0x2340, step=64)
    f = pm.decode(prog.descs[0])
    assert (f["opcode"], f["mem"], f["chip_addr"], f["count"], f["host_addr"], f["host_step"]) == \
        (int(Op.LOAD), int(Mem.WGT), 17, 300, 0x2340, 64)
    with pytest.raises(ValueError):
        pm.decode([0x7F] + [0] * 15)


@pytest.mark.parametrize("addr, beats, want", [(0, 1, 1), (0, 16, 1), (0, 17, 2), (64, 1024, 64),
                                               (4096 - 8, 4, 2), (4096 - 8, 2, 1), (4096 - 60, 20, 2), (4096 - 4, 20, 3)])
def test_bursts_split_at_16_beats_and_4k(addr, beats, want):
    assert pm.bursts(addr, beats) == want


def test_loop_repeats_its_body_and_steps_the_host_address():
    prog = Program()
    prog.loop(3)
    prog.load(Mem.GRAD, 0, 10, 4096 - 20, step=4)     # iteration 0: 2 bursts (4 KB), 1 and 2: 2 too
    prog.store(Mem.GRAD, 0, 1, 0x8000)
    prog.endloop()
    prog.end()
    run, _ = _run(prog)
    m = pm.predict(run, prog_addr=0)
    loads = sum(pm.dma_cycles(False, 10, 1, 4096 - 20 + 4 * i) for i in range(3))
    stores = 3 * pm.dma_cycles(True, 1, 1, 0x8000)
    assert m["dma"] == pm.fetch_cycles(5, 0) + loads + stores
    assert m["executed"] == {"LOOP": 1, "LOAD": 3, "STORE": 3, "ENDLOOP": 3, "END": 1}
    assert m["sequencer"] == pm.SEQ["loop"] * 4 + pm.SEQ["xfer"] * 6 + pm.SEQ["end"]
    assert m["total"] == m["dma"] + m["sequencer"]


@pytest.mark.parametrize("engines", [1, 4])
def test_checked_list_records_as_the_unit_keeps_them(engines):
    """FWD scans; the second FWD and the WGRAD of the same list are checked; a LOAD of PTR drops
    the record (scanned again); UPDATE uses the forward record and makes none."""
    prog = Program()
    for cmd in (_fwd(), _fwd(), _fwd(Mode.WGRAD, bgrad=1)):
        prog.uc(cmd)
    prog.load(Mem.PTR, 0, 1, 0x4000)
    prog.uc(_fwd(Mode.UPDATE))       # no record after the LOAD: scanned
    prog.uc(_fwd())                  # still none (UPDATE makes none): scanned
    prog.uc(_fwd(Mode.UPDATE))       # checked
    prog.end()
    run, sw = _run(prog, engines)
    L = {"t": "conv", "c": 6, "n": 8, "k": 3, "s": 1, "p": 1}
    fwd, bwd = np.asarray(sw.fwd_count), np.asarray(sw.bwd_lists(None)[2])

    def cyc(mode, checked, bgrad=0):
        if engines > 1:
            return array_cycles(mode, L, 9, 9, fwd, bwd, 4, engines, bgrad=bgrad, checked=checked)
        return uc_formula(mode, L, 9, 9, fwd, bwd, 4, bgrad=bgrad, checked=checked)
    want = (cyc("FWD", False) + cyc("FWD", True) + cyc("WGRAD", True, 1) + cyc("UPDATE", False)
            + cyc("FWD", False) + cyc("UPDATE", True))
    assert cyc("FWD", False) > cyc("FWD", True)       # the record matters to the figure
    assert pm.predict(run, prog_addr=0)["uc"] == want


def test_one_engine_calibration_terms_are_added():
    """With a Calib, each one-engine UC command gets its mode's fitted terms (a*N + b*P + e*empty + c)."""
    from bench.cycle_calib import Calib
    prog = Program()
    prog.uc(_fwd())
    prog.uc(_fwd())
    prog.end()
    run, _ = _run(prog)
    plain = pm.predict(run, prog_addr=0)["uc"]
    cal = Calib(uc={"FWD": (0.0, 0.0, 0.0, 5.0), "FWD/checked": (1.0, 0.0, 0.0, 0.0)}, uc_err={})
    assert pm.predict(run, prog_addr=0, uc_cal=cal)["uc"] == plain + 5 + 8     # c = 5 scanned, a*N = 8 checked


def test_unknown_layer_is_refused():
    prog = Program()
    prog.uc(UcCommand(mode=int(Mode.FWD), cin=6, cout=8, h=9, w=9, k=3, pad=1, fptr_base=FPTR + 1))
    prog.end()
    run, _ = _run(prog)
    with pytest.raises(ValueError, match="fptr_base"):
        pm.predict(run)


def test_dma_check_reports_a_difference():
    """check_dma is exact on the formula's own numbers and shows a wrong measurement."""
    store = pm.fetch_cycles(2, 0) + pm.dma_cycles(True, 256, 1, 0)
    load = pm.fetch_cycles(2, 0) + pm.dma_cycles(False, 256, 1, 0)
    good = {"kind": "dma", "op": "store", "words": 256, "dma": store}
    bad = dict(good, op="load")                      # a load that took a store's cycles
    assert [r["diff"] for r in pm.check_dma([good, bad])] == [0, load - store]
    assert load != store


def test_sequencer_fit_recovers_its_constants():
    seq = {"xfer": 9, "unit": 4, "loop": 3, "end": 5}
    progs = [{"LOAD": 30, "LOOP": 1, "UC": 42, "ENDLOOP": 8, "END": 1},
             {"LOAD": 3, "STORE": 4, "MP": 5, "END": 1}, {"LOAD": 1, "END": 1},
             {"LOOP": 2, "ENDLOOP": 9, "LC": 4, "LOSS": 1, "STORE": 2, "END": 1}]
    recs = []
    for ex in progs:
        kinds = {"xfer": ex.get("LOAD", 0) + ex.get("STORE", 0), "loop": ex.get("LOOP", 0) + ex.get("ENDLOOP", 0),
                 "unit": sum(ex.get(k, 0) for k in ("UC", "MP", "GAP", "LC", "LOSS")), "end": ex["END"]}
        recs.append({"kind": "prog", "executed": ex, "uc": 0, "pool": 0, "lc": 0, "dma": 0,
                     "total": sum(seq[k] * n for k, n in kinds.items())})
    assert pm.fit_sequencer(recs) == seq
