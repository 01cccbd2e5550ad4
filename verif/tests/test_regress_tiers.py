"""The regression's tiers (flow/regress.py): the CI tier of ``make test`` leaves out exactly the
runs of ``CI_SKIP``, every one of them an existing simulation test; it keeps every Verilator run but
the 16-MAC top array (the top's 64-MAC array stays), and an Icarus run of every block (the top's
through its faults and register modules). (Fails when an entry names a renamed set or test.)"""

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
    # every Verilator run stays but e4x4's; the top keeps an array of >= 64 MACs (issue 14)
    assert [k for k in CI_SKIP if "icarus" not in k] == ["verif/tests/test_accel_top.py::test_accel_top[verilator-e4x4]"]
    assert "verif/tests/test_accel_top.py::test_accel_top[verilator-e16x4]" in ci
    # every block with an Icarus run keeps one; the top's test modules (tests, fuzz, faults,
    # registers) are one block, which keeps its faults and register runs
    top = {"test_accel_top", "test_accel_top_fuzz", "test_accel_top_faults", "test_accel_top_regs"}
    def blocks(items):
        return {("top" if n in top else n) for n in (k.split("::")[1].split("[")[0] for k in items if "[icarus" in k)}
    assert blocks(full) == blocks(ci)
    assert {"verif/tests/test_accel_top_faults.py::test_accel_top_faults[icarus-l8]",
            "verif/tests/test_accel_top_regs.py::test_accel_top_regs[icarus-l8]"} <= ci
