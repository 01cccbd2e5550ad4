"""``make cov``'s merging and waivers (flow/cov.py, flow/cov_merge.py), on small synthetic Verilator .dat files.

No simulator: the files are written here in Verilator's coverage.dat format, so the rules that
decide the reported figures (module-level merge, unit ownership, bound waivers and their
violation check) are pinned down independently of any RTL run.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from flow import cov_merge
from flow.blocks import BLOCKS


def _point(file: str, line: int, what: str, hier: str, count: int, kind: str = "toggle",
           module: str = "m") -> str:
    page = f"v_toggle/{module}" if kind == "toggle" else f"v_line/{module}"
    fields = {"f": file, "l": str(line), "n": "1", "page": page, "o": what, "h": hier}
    key = "\x01".join(f"{k}\x02{v}" for k, v in fields.items())
    return f"C '{key}' {count}"


def _dat(tmp: Path, block: str, paramset: str, points: list[str]) -> Path:
    d = tmp / "dat" / block
    d.mkdir(parents=True, exist_ok=True)
    f = d / f"{paramset}-verilator-1.dat"
    f.write_text("# SystemC::Coverage-3\n" + "\n".join(points) + "\n")
    return f


def _bits(file, line, name, hier, counts):
    """Toggle points of name[0..]: counts[i] = (rise, fall) of bit i."""
    out = []
    for i, (up, down) in enumerate(counts):
        out += [_point(file, line, f"{name}[{i}]:0->1", hier, up),
                _point(file, line, f"{name}[{i}]:1->0", hier, down)]
    return out


UC = "rtl/uc_unit/uc_unit.v"


def test_unit_of_maps_files_to_design_units():
    assert cov_merge.unit_of("rtl/uc_unit/uc_unit.v") == "uc_unit"
    assert cov_merge.unit_of("rtl/common/fm_stack.v") == "fm_stack"
    assert cov_merge.unit_of("rtl/top/dma.v") == "accel_top"
    assert cov_merge.unit_of("verif/hdl/mp_unit_harness.v") == "mp_unit"


def test_shared_port_headers_belong_to_the_including_module(tmp_path):
    """A port declared in a shared header (rtl/common/unit_rsp_ports.vh) counts in the row of the
    unit that includes it, under that unit's file (its waivers apply); accel_defs.vh keeps its own."""
    hdr = "rtl/common/unit_rsp_ports.vh"
    a = _dat(tmp_path, "mp_unit", "l8", [
        _point(hdr, 16, "m_rsp_status[3]:0->1", "mp_unit_harness.u_mp", 0, module="mp_unit"),
        # Verilator names a parameterised instance's module with a suffix (gap_unit__pi2)
        _point(hdr, 16, "m_rsp_status[3]:0->1", "gap_unit_harness.u_gap", 1, module="gap_unit__pi2"),
        _point("rtl/common/accel_defs.vh", 5, "sat16", "mp_unit_harness.u_mp", 1, kind="line",
               module="mp_unit"),
        # any other header, e.g. the generated command fields, belongs to its includer too
        _point("rtl/common/mp_cmd_fields.vh", 9, "cmd_c[15]:0->1", "mp_unit_harness.u_mp", 1,
               module="mp_unit")])
    units = cov_merge.merge_units([a], [])
    assert [(p.file, p.count) for p in units["mp_unit"]] == [("rtl/mp_unit/mp_unit.v", 0),
                                                            ("rtl/mp_unit/mp_unit.v", 1)]
    assert [(p.file, p.count) for p in units["gap_unit"]] == [("rtl/gap_unit/gap_unit.v", 1)]
    assert [p.file for p in units["accel_defs"]] == ["rtl/common/accel_defs.vh"]
    assert "unit_rsp_ports" not in units and "mp_cmd_fields" not in units


def test_instances_merge_at_module_level(tmp_path):
    """A bit toggled by one instance (the top's) covers the unit's point of another run."""
    a = _dat(tmp_path, "uc_unit", "l8", _bits(UC, 10, "sig", "uc_unit_harness.u_uc", [(1, 1), (0, 0)]))
    b = _dat(tmp_path, "accel_top", "l8", _bits(UC, 10, "sig", "accel_top.u_uc", [(0, 0), (1, 1)]))
    units = cov_merge.merge_units([a, b], [])
    bc = cov_merge.analyse_unit("uc_unit", units["uc_unit"], 2, [], [])
    assert bc.figures["toggle"] == (4, 4)


def _bound(pattern: str) -> cov_merge.Waiver:
    return cov_merge.Waiver("uc_unit", "bound", pattern, "test")


def test_bound_waiver_waives_bits_at_or_above_the_bound(tmp_path):
    """og < NMAX = 4 (paramset l8 of uc_unit has NMAX 16: use an expression): bits >= 2 waived."""
    pts = _bits(UC, 10, "p1_og", "h.u", [(1, 1), (1, 1), (0, 0), (0, 0)])
    a = _dat(tmp_path, "uc_unit", "l8", pts)
    w = _bound(f"{UC}:re:p\\d_og < NMAX // 4")
    units = cov_merge.merge_units([a], [w])
    bc = cov_merge.analyse_unit("uc_unit", units["uc_unit"], 1, [], [w])
    assert bc.figures["toggle"] == (4, 4)
    assert len(bc.waived["toggle"]) == 4 and not bc.violations


def test_bound_waiver_keeps_holes_below_the_bound(tmp_path):
    """A bit below the bound that never toggled is a hole, not waived."""
    pts = _bits(UC, 10, "p1_og", "h.u", [(1, 1), (0, 0), (0, 0)])
    a = _dat(tmp_path, "uc_unit", "l8", pts)
    w = _bound(f"{UC}:p1_og < 4")
    bc = cov_merge.analyse_unit("uc_unit", cov_merge.merge_units([a], [w])["uc_unit"], 1, [], [w])
    assert bc.figures["toggle"] == (2, 4)
    assert any("p1_og" in h for h in bc.holes["toggle"])


def test_bound_violation_is_reported_and_misses_the_goals(tmp_path):
    """A bit the row says is constant toggled: reported, and the unit's goals are missed."""
    pts = _bits(UC, 10, "p1_og", "h.u", [(1, 1), (1, 1), (1, 0)])
    a = _dat(tmp_path, "uc_unit", "l8", pts)
    w = _bound(f"{UC}:p1_og < 4")
    bc = cov_merge.analyse_unit("uc_unit", cov_merge.merge_units([a], [w])["uc_unit"], 1, [], [w])
    assert bc.violations and "p1_og[2]" in bc.violations[0]
    assert bc.goals_met()["bounds"] is False


def test_bound_is_evaluated_with_each_runs_parameters(tmp_path):
    """Bit 4 is bound in a run with FM_DEPTH 16 but not in one with FM_DEPTH 256: not waived."""
    small = BLOCKS["uc_unit"].paramsets
    assert small["l8"]["FM_DEPTH"] != small["l1"]["FM_DEPTH"]
    bits = [(1, 1)] * 4 + [(0, 0)]
    a = _dat(tmp_path, "uc_unit", "l8", _bits(UC, 10, "o_orow", "h.u", bits))
    b = _dat(tmp_path / "b", "uc_unit", "l1", _bits(UC, 10, "o_orow", "h.u", bits))
    # bound 16 in l8 only (FM_DEPTH of l8 is 256, of l1 1024): 16 if FM_DEPTH == 256 else 1024
    w = _bound(f"{UC}:o_orow < (16 if FM_DEPTH == {small['l8']['FM_DEPTH']} else FM_DEPTH)")
    bc = cov_merge.analyse_unit("uc_unit", cov_merge.merge_units([a, b], [w])["uc_unit"], 2, [], [w])
    assert bc.figures["toggle"] == (8, 10), "bit 4 must stay a hole: the l1 run could toggle it"


@pytest.mark.parametrize("pattern,expected", [
    ("rtl/x.v:re:(a\\|b)_y < HMAX + 1", ("rtl/x.v", "(a\\|b)_y", "HMAX + 1")),
    ("rtl/x.v:g_c < CMAX", ("rtl/x.v", "g_c", "CMAX")),
])
def test_bound_pattern_parts(pattern, expected):
    assert cov_merge.Waiver("b", "bound", pattern, "").bound_parts() == expected
