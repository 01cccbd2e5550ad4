"""The bench's cycle model (bench/cycle_model.py, bench/cycle_calib.py) runs, and its UC formula
agrees with the stimulus driver's estimate (make bench relies on both; nothing else runs them in
the suite).  Figures are not asserted here (they belong in make bench), only consistency."""

from __future__ import annotations

import pytest

from bench import cycle_model as cm
from bench.cycle_calib import Calib, check_formula_against_driver
from sparsetrain import clocks


def test_uc_formula_matches_driver_estimate():
    check_formula_against_driver()


@pytest.mark.parametrize("name", list(cm.NETWORKS))
def test_network_rows_add_up(name):
    r = cm.network(name, 0.925, "threshold", 8, Calib(uc={}, uc_err={}))
    assert r["cycles_per_image"] > 0 and 0 < r["efficiency"] <= 1
    # the phases and the per-layer rows describe the same image
    assert sum(x["cycles"] for x in r["layers"]) == pytest.approx(
        sum(r["phases"][p] for p in ("FWD", "BWD_DATA", "WGRAD", "UPDATE")), abs=len(r["layers"]) + 4)
    # times follow the stated clocks: the measured one first, the assumed one apart
    assert r["epoch100_s"] == pytest.approx(
        clocks.seconds(r["cycles_per_image"] * cm.TRAIN_IMAGES * cm.EPOCHS, clocks.ECP5_MHZ), rel=1e-3)
    assert r["epoch100_s_ultrascale_assumed"] < r["epoch100_s"]


def test_clock_seconds_refuses_a_non_positive_clock():
    with pytest.raises(ValueError):
        clocks.seconds(1000, 0)


def test_array_projection_spreads_and_bounds():
    """bench/array_projection.py: largest-first spreading (its busiest engine), one engine = the
    sum of the items, and no shape above an efficiency of 1."""
    from bench import array_projection as ap
    assert ap.spread([5, 3, 3, 1], 2) == 6 and ap.spread([5, 3, 3, 1], 1) == 12
    assert ap.spread([7], 4) == 7
    for e, lanes in ap.SHAPES:
        eff, cycles = ap.network("AlexNet", e, lanes, "balanced")
        assert 0 < eff <= 1 and cycles > 0
    one, _ = ap.network("VGG16", 1, 8, "threshold")
    wide, _ = ap.network("VGG16", 16, 4, "threshold")
    assert wide > one          # narrow engines fill the small maps' lanes
