"""Functional coverage helpers shared by the testbenches (cocotb-coverage).

A testbench declares its cover points with cocotb-coverage (``CoverPoint``/``CoverCross`` on a
sampling function) or with :func:`flags` below, samples them, and calls :func:`export` at the
end of each cocotb test.  :func:`export` writes the whole ``coverage_db`` of this simulation
(cumulative over its cocotb tests) to ``fcov-<name>.yml`` in the test directory; the runner
(``flow.runner.collect_coverage``) copies every ``*.yml`` there to ``build/coverage/func/<block>/``
and ``make cov`` (``flow.cov``) merges them per block: bins hit, holes, percentage.

Name the cover points ``<block>.<point>`` so a block's items form one tree.
"""

from __future__ import annotations

from pathlib import Path

from cocotb_coverage.coverage import CoverPoint, coverage_db

_SAMPLERS: dict[str, object] = {}


def flags(prefix: str, names: list[str] | tuple[str, ...]):
    """One single-bin cover point ``<prefix>.<name>`` per event name; returns ``sample(name)``.

    For "did this ever happen" events that are not mutually exclusive (a word can be a rounding
    tie and saturate).  Calling it again with the same prefix reuses the points (coverage_db is
    per simulation, a testbench is built per cocotb test).
    """
    key = f"{prefix}:{','.join(names)}"
    if key not in _SAMPLERS:
        fn = lambda name: None  # noqa: E731  (the decorators do the counting)
        for n in names:
            fn = CoverPoint(f"{prefix}.{n}", xf=lambda name, n=n: name == n, bins=[True])(fn)
        _SAMPLERS[key] = fn
    return _SAMPLERS[key]


def holes(prefix: str = "") -> list[str]:
    """``point: bin`` for every bin of a cover point under ``prefix`` not yet hit enough."""
    out = []
    for name in sorted(coverage_db):
        item = coverage_db[name]
        if not name.startswith(prefix) or type(item).__name__ not in ("CoverPoint", "CoverCross"):
            continue
        out += [f"{name}: {b}" for b, h in item.detailed_coverage.items() if h < item.at_least]
    return out


def export(name: str, directory: str | Path | None = None) -> Path:
    """Write coverage_db to ``<directory>/fcov-<name>.yml`` (default: the test directory, cwd)."""
    path = Path(directory or Path.cwd()) / f"fcov-{name}.yml"
    coverage_db.export_to_yaml(filename=str(path))
    return path
