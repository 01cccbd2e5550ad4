"""The regression's tiers (flow/regress.py): the CI tier of ``make test`` leaves out exactly the
runs of ``CI_SKIP``, every one of them an existing simulation test, and keeps every Verilator run
and an Icarus run of every block. (Fails when an entry names a renamed set or test.)"""

from __future__ import annotations

import subprocess
import sys

from flow.blocks import ROOT
from flow.regress import CI_SKIP


def _collect(*args: str) -> set[str]:
    out = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider",
                          "-p", "no:xdist", "-m", "sim", *args, "verif/tests"],
                         cwd=ROOT, capture_output=True, text=True, check=True).stdout
    return {ln.strip() for ln in out.splitlines() if "::" in ln}


def test_ci_tier_leaves_out_exactly_ci_skip():
    full, ci = _collect(), _collect("--tier", "ci")
    assert set(CI_SKIP) <= full, f"CI_SKIP names no test: {sorted(set(CI_SKIP) - full)}"
    assert full - ci == set(CI_SKIP)
    # every Verilator run stays; every block with an Icarus run keeps one (the fuzz campaign is
    # a second test module of the top, whose tests and faults keep theirs)
    assert all("icarus" in k for k in CI_SKIP)
    blocks = {k.split("::")[1].split("[")[0] for k in full if "[icarus" in k} - {"test_accel_top_fuzz"}
    assert blocks == {k.split("::")[1].split("[")[0] for k in ci if "[icarus" in k}
