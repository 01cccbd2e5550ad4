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
