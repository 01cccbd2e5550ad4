"""pytest plugin for the regression (loaded by the root conftest.py): simulator filter, seeds,
balanced shards, RTL/functional coverage collection and a per-block summary table.

Options (the Makefile's ``make regress`` / ``make test`` pass them):

``--sim icarus|verilator``  only the simulation tests of that simulator (model tests always run)
``--seeds N``               every simulation test N times, each with its own seed
``--base-seed S``           seeds derive from S and the test (default: random, printed)
``--shard i/N``             only the i-th of N slices, balanced by ``flow/durations.json``
``--rtl-coverage``          Verilator line+toggle coverage; coverage.dat and functional coverage
                            exports collected under build/coverage/ (``make cov`` merges them)
``--update-durations``      write the measured durations back to ``flow/durations.json``
``--regress-out DIR``       write the summary (and measured durations) files there
``--tier ci|full``          ``ci`` (``make test``) leaves out the runs in :data:`CI_SKIP`;
                            ``full`` (default, ``make regress``) runs everything

A simulation test is one marked ``sim`` (the per-block entries that call
``flow.runner.run_block``); the plugin hands it its seed and knobs through the environment
(``COCOTB_RANDOM_SEED``, ``RTL_COVERAGE``, ``RTL_COV_DIR``, ``RTL_RUN_TAG``), so the entries need
no change.  Every simulation test's seed and rerun command is printed at the end, and the
summary goes to ``build/regress/summary-<sim>-<shard>.{md,json}`` (``--regress-out``).
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import re
import shutil
import time
from pathlib import Path

import pytest

from flow.blocks import BLOCKS, ROOT

DURATIONS = ROOT / "flow" / "durations.json"
COV_DIR = ROOT / "build" / "coverage"
SEED_PARAM = "rtl_seed_index"
#: The CI tier (``make test``, ``--tier ci``) within CI's budget: every simulation test runs on
#: Verilator (with RTL coverage; every parameter set but the 16-MAC top array e4x4, the 64-MAC
#: arrays included), and on Icarus each unit at its main parameter set, the UC as the 64-MAC
#: engine array (uc_unit e16x4) and the top through its faults and register tests (every block
#: and parameter set is also compiled by Icarus in ``make lint``). These runs are the full
#: regression's only (``make regress``; each also ``make sim ...``): the same RTL and tests as a
#: run that CI makes, at another parameter set or simulator.
#: (verif/tests/test_regress_tiers.py fails on an entry that names no test.)
CI_SKIP: dict[str, str] = {
    "verif/tests/test_uc_unit.py::test_uc_unit[icarus-l1]": "l1 on Verilator; Icarus runs l8",
    "verif/tests/test_uc_unit.py::test_uc_unit[icarus-e4x2]": "e4x2 on Verilator; Icarus runs e16x4",
    "verif/tests/test_uc_unit.py::test_uc_unit[icarus-l8]": "l8 on Verilator; Icarus runs e16x4",
    "verif/tests/test_accel_top.py::test_accel_top[icarus-l8]":
        "on Verilator (l8, e16x4); the top's faults and register tests on Icarus",
    "verif/tests/test_accel_top.py::test_accel_top[verilator-e4x4]":
        "the top's arrays in CI: e16x4 (64 MACs); coverage goals met without it",
    "verif/tests/test_accel_top_fuzz.py::test_accel_top_fuzz[icarus-l8]":
        "the campaign on Verilator; the top's faults and register tests on Icarus",
    "verif/tests/test_mp_unit.py::test_mp_unit[icarus-l1]": "l1 on Verilator; Icarus runs l8",
    "verif/tests/test_mp_unit.py::test_mp_unit[icarus-r2]": "r2 on Verilator; Icarus runs l8",
    "verif/tests/test_mp_unit.py::test_mp_unit[icarus-r4]": "r4 on Verilator; Icarus runs l8",
    "verif/tests/test_mp_unit.py::test_mp_unit[icarus-r8]": "r8 on Verilator; Icarus runs l8",
    "verif/tests/test_gap_unit.py::test_gap_unit[icarus-l1]": "l1 on Verilator; Icarus runs l8",
    "verif/tests/test_lc_unit.py::test_lc_unit[icarus-l1]": "l1 on Verilator; Icarus runs l8",
    "verif/tests/test_lc_unit.py::test_lc_unit[icarus-w2]": "w2 on Verilator; Icarus runs l8",
    "verif/tests/test_loss_unit.py::test_loss_unit[icarus-l1]": "l1 on Verilator; Icarus runs l8",
}
#: estimated seconds of a test with no recorded duration (2-core machine, coverage on)
DEFAULT_SECONDS = {"verilator": 60.0, "icarus": 60.0, None: 1.0}


# ------------------------------------------------------------------------------------ options
def pytest_addoption(parser):
    g = parser.getgroup("regress", "sparsetrain regression")
    g.addoption("--sim", choices=("icarus", "verilator"), default=None,
                help="only simulation tests of this simulator (model tests always run)")
    g.addoption("--seeds", type=int, default=1, help="seeds per simulation test (default 1)")
    g.addoption("--base-seed", type=int, default=None,
                help="seeds derive from this and the test id (default: random, printed)")
    g.addoption("--shard", default=None, metavar="i/N",
                help="run only the i-th (1-based) of N duration-balanced slices")
    g.addoption("--rtl-coverage", action="store_true",
                help="Verilator line+toggle coverage; collect coverage files under build/coverage")
    g.addoption("--update-durations", action="store_true",
                help="write measured test durations to flow/durations.json")
    g.addoption("--tier", choices=("ci", "full"), default="full",
                help="ci: leave out the runs of flow.regress.CI_SKIP (make test); full: everything")
    g.addoption("--regress-out", default=None, metavar="DIR",
                help="write summary-<tag>.{md,json} and durations-<tag>.json there "
                     "(make regress/test: build/regress)")


def _shard(config) -> tuple[int, int] | None:
    spec = config.getoption("shard")
    if not spec:
        return None
    m = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", spec)
    if not m or not 1 <= int(m.group(1)) <= int(m.group(2)):
        raise pytest.UsageError(f"--shard wants i/N with 1 <= i <= N, got {spec!r}")
    return int(m.group(1)), int(m.group(2))


def run_tag(config) -> str:
    """Name of this session's coverage directory: simulator and shard."""
    sh = _shard(config)
    return f"{config.getoption('sim') or 'all'}-" + (f"shard{sh[0]}of{sh[1]}" if sh else "full")


def _is_worker(config) -> bool:
    return hasattr(config, "workerinput")


def pytest_configure(config):
    _shard(config)  # validate early
    if config.getoption("seeds") < 1:
        raise pytest.UsageError("--seeds must be >= 1")
    if _is_worker(config):
        base = int(config.workerinput["rtl_base_seed"])
    else:
        base = config.getoption("base_seed")
        if base is None:
            env = os.environ.get("REGRESS_SEED", "")
            base = int(env) if env else random.randrange(1 << 31)
    config._rtl_base_seed = base
    config._rtl_records = []
    config._rtl_t0 = time.time()
    if config.getoption("rtl_coverage"):
        cov_run = COV_DIR / "runs" / run_tag(config)
        os.environ["RTL_COVERAGE"] = "1"
        os.environ["RTL_COV_DIR"] = str(cov_run)
        if not _is_worker(config):
            # an unsharded session supersedes every earlier run; a shard replaces only itself
            shutil.rmtree(COV_DIR if not _shard(config) else cov_run, ignore_errors=True)
            cov_run.mkdir(parents=True, exist_ok=True)
    if config.pluginmanager.hasplugin("xdist"):
        config.pluginmanager.register(_XdistHooks(), "rtl_regress_xdist")


class _XdistHooks:
    """Give every xdist worker the controller's base seed (so seeds agree across workers)."""

    @pytest.hookimpl(optionalhook=True)
    def pytest_configure_node(self, node):
        node.workerinput["rtl_base_seed"] = node.config._rtl_base_seed


def pytest_report_header(config):
    opts = [f"SEEDS={config.getoption('seeds')}", f"SEED={config._rtl_base_seed}"]
    if config.getoption("tier") != "full":
        opts.append(f"--tier {config.getoption('tier')}")
    if config.getoption("sim"):
        opts.append(f"SIM={config.getoption('sim')}")
    if config.getoption("shard"):
        opts.append(f"SHARD={config.getoption('shard')}")
    cov = "RTL coverage -> build/coverage/runs/" + run_tag(config) if config.getoption("rtl_coverage") else "no RTL coverage"
    return [f"regress: base seed {config._rtl_base_seed} ({' '.join(opts)} reproduces the seeds); {cov}"]


# ----------------------------------------------------------------- seeds, filter and shards
def _is_sim(item_or_def) -> bool:
    return item_or_def.get_closest_marker("sim") is not None


def pytest_generate_tests(metafunc):
    n = metafunc.config.getoption("seeds")
    if n > 1 and _is_sim(metafunc.definition) and SEED_PARAM in metafunc.fixturenames:
        metafunc.parametrize(SEED_PARAM, range(n), ids=[f"seed{i}" for i in range(n)])


@pytest.fixture
def rtl_seed_index() -> int:
    """Which of the ``--seeds`` runs of a simulation test this is (0 without --seeds)."""
    return 0


def _params(item) -> dict:
    cs = getattr(item, "callspec", None)
    return dict(cs.params) if cs else {}


def duration_key(item) -> str:
    """Test id without the seed index: the key of flow/durations.json."""
    idx = _params(item).get(SEED_PARAM)
    nodeid = item.nodeid
    if idx is not None:
        nodeid = re.sub(rf"(?<=[\[-])seed{idx}-|-seed{idx}(?=\])|\[seed{idx}\]", "", nodeid, count=1)
    return nodeid


def _estimate(item, recorded: dict[str, float]) -> float:
    key = duration_key(item)
    if key in recorded:
        return float(recorded[key])
    return DEFAULT_SECONDS.get(_params(item).get("sim") if _is_sim(item) else None, 1.0)


def balanced_shards(items, n: int, recorded: dict[str, float]) -> list[list]:
    """Deterministic greedy: longest test first, onto the shard with the least work so far."""
    loads = [0.0] * n
    shards: list[list] = [[] for _ in range(n)]
    for it in sorted(items, key=lambda it: (-_estimate(it, recorded), it.nodeid)):
        k = min(range(n), key=lambda i: (loads[i], i))
        loads[k] += _estimate(it, recorded)
        shards[k].append(it)
    return shards


def _load_durations() -> dict[str, float]:
    try:
        return json.loads(DURATIONS.read_text())
    except (OSError, ValueError):
        return {}


def pytest_collection_modifyitems(config, items):
    keep, drop = [], []
    sim = config.getoption("sim")
    ci = config.getoption("tier") == "ci"
    for it in items:
        s = _params(it).get("sim")
        skip = sim and _is_sim(it) and s is not None and s != sim
        (drop if skip or (ci and duration_key(it) in CI_SKIP) else keep).append(it)
    recorded = _load_durations()
    sh = _shard(config)
    if sh:
        mine = {id(it) for it in balanced_shards(keep, sh[1], recorded)[sh[0] - 1]}
        drop += [it for it in keep if id(it) not in mine]
        keep = [it for it in keep if id(it) in mine]
    # longest first (stable): xdist hands them out in this order, so no long test starts last
    keep.sort(key=lambda it: -_estimate(it, recorded))
    items[:] = keep
    if drop:
        config.hook.pytest_deselected(items=drop)


@pytest.fixture(autouse=True)
def _rtl_seed(request, rtl_seed_index):
    """Simulation tests: derive this test's seed and hand it to run_block via the environment."""
    if not _is_sim(request.node):
        yield
        return
    cfg = request.config
    idx = rtl_seed_index
    key = f"{cfg._rtl_base_seed}:{duration_key(request.node)}:{idx}"
    seed = int.from_bytes(hashlib.sha256(key.encode()).digest()[:4], "big") & 0x7FFFFFFF
    env = {"COCOTB_RANDOM_SEED": str(seed)}
    if cfg.getoption("seeds") > 1:
        env["RTL_RUN_TAG"] = f"seed{idx}"
    mp = request.getfixturevalue("monkeypatch")     # restores the environment afterwards
    for k, v in env.items():
        mp.setenv(k, v)
    yield


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    """Attach the run_block records (seed, rerun command, cocotb counts) to the test report."""
    from flow import runner
    start = len(runner.RUNS)
    try:
        yield
    finally:
        runs = runner.RUNS[start:]
        if runs:
            item.user_properties.append(("rtl_runs", json.dumps(runs)))


# ------------------------------------------------------------------------------ reporting
def group_of(nodeid: str) -> str:
    """Block name for a block's test module, otherwise the module ("models_conv", ...)."""
    path = nodeid.split("::")[0]
    mod = path[:-3].replace("/", ".") if path.endswith(".py") else path
    for b in BLOCKS.values():
        if b.test_module == mod:
            return b.name
    stem = Path(path).stem
    return stem[5:] if stem.startswith("test_") else stem


def pytest_runtest_logreport(report):
    # one record per test: the call phase, or a setup/teardown that did not pass
    cfg = _CONFIG.get("config")
    if cfg is None or _is_worker(cfg):
        return
    if report.when == "call" or (report.when != "call" and not report.passed):
        outcome = report.outcome
        if report.when != "call" and report.failed:
            outcome = "error"
        if hasattr(report, "wasxfail"):
            outcome = "xfail" if report.skipped else "xpass"
        runs = []
        for name, value in report.user_properties:
            if name == "rtl_runs":
                runs += json.loads(value)
        cfg._rtl_records.append({"nodeid": report.nodeid, "group": group_of(report.nodeid),
                                 "outcome": outcome, "when": report.when,
                                 "duration": round(report.duration, 2), "runs": runs})


_CONFIG: dict = {}


@pytest.hookimpl(tryfirst=True)
def pytest_sessionstart(session):
    _CONFIG["config"] = session.config


def summarize(records: list[dict]) -> list[dict]:
    # one verdict per test id (a call failure plus a teardown error is one failed test)
    verdict: dict[str, str] = {}
    for r in records:
        o = {"passed": "pass", "xfail": "pass", "skipped": "skip"}.get(r["outcome"], "fail")
        prev = verdict.get(r["nodeid"])
        verdict[r["nodeid"]] = o if prev is None or prev == "pass" or o == "fail" else prev
    rows: dict[str, dict] = {}
    for r in records:
        row = rows.setdefault(r["group"], {"block": r["group"], "tests": 0, "pass": 0, "fail": 0,
                                           "skip": 0, "seeds": set(), "cocotb_tests": 0,
                                           "seconds": 0.0, "_ids": set()})
        if r["nodeid"] not in row["_ids"]:
            row["_ids"].add(r["nodeid"])
            row["tests"] += 1
            row[verdict[r["nodeid"]]] += 1
        row["seconds"] += r["duration"]
        for run in r["runs"]:
            row["seeds"].add(run["seed"])
            row["cocotb_tests"] += (run["n_pass"] or 0) + (run["n_fail"] or 0)
    out = []
    for row in sorted(rows.values(), key=lambda x: x["block"]):
        row.pop("_ids")
        out.append({**row, "seeds": len(row["seeds"]), "seconds": round(row["seconds"], 1)})
    return out


def table(rows: list[dict], wall: float) -> list[str]:
    head = ["block", "tests", "pass", "fail", "skip", "seeds", "cocotb tests", "time (s)"]
    body = [[r["block"], r["tests"], r["pass"], r["fail"], r["skip"], r["seeds"] or "-",
             r["cocotb_tests"] or "-", f"{r['seconds']:.1f}"] for r in rows]
    tot = ["TOTAL", *(sum(r[k] for r in rows) for k in ("tests", "pass", "fail", "skip", "seeds",
                                                         "cocotb_tests")),
           f"{sum(r['seconds'] for r in rows):.1f} (wall {wall:.0f})"]
    body.append(tot)
    widths = [max(len(str(x)) for x in col) for col in zip(head, *body)]
    line = lambda cells: "| " + " | ".join(str(c).ljust(w) for c, w in zip(cells, widths)) + " |"  # noqa: E731
    return [line(head), "|" + "|".join("-" * (w + 2) for w in widths) + "|", *map(line, body)]


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if _is_worker(config):
        return
    records = config._rtl_records
    if not records:
        return
    tr = terminalreporter
    wall = time.time() - config._rtl_t0
    sim_recs = [r for r in records if r["runs"]]
    if sim_recs:
        tr.section("simulation seeds (rerun any one with its command)")
        for r in sorted(sim_recs, key=lambda r: r["nodeid"]):
            for run in r["runs"]:
                res = "PASS" if r["outcome"] == "passed" else r["outcome"].upper()
                counts = f"{run['n_pass']}/{(run['n_pass'] or 0) + (run['n_fail'] or 0)}" if run["n_pass"] is not None else "-"
                tr.write_line(f"{res:5s} {run['block']} {run['paramset']}-{run['sim']} "
                              f"SEED={run['seed']} cocotb {counts}  rerun: {run['rerun']}")
    rows = summarize(records)
    lines = table(rows, wall)
    tr.section("regression summary")
    for ln in lines:
        tr.write_line(ln)
    failed = [r for r in records if r["outcome"] in ("failed", "error", "xpass")]
    for r in failed:
        reruns = "; ".join(run["rerun"] for run in r["runs"]) or f"pytest '{r['nodeid']}'"
        tr.write_line(f"FAILED {r['nodeid']}  rerun: {reruns}", red=True)

    measured: dict[str, float] = {}
    for r in records:
        key = re.sub(r"(?<=[\[-])seed\d+-|-seed\d+(?=\])|\[seed\d+\]", "", r["nodeid"], count=1)
        measured[key] = max(measured.get(key, 0.0), r["duration"])
    if config.getoption("update_durations"):
        merged = {**_load_durations(), **{k: round(v, 1) for k, v in measured.items()}}
        DURATIONS.write_text(json.dumps(merged, indent=1, sort_keys=True) + "\n")
        tr.write_line(f"durations: {len(measured)} test(s) written to {DURATIONS.relative_to(ROOT)}")
    out = config.getoption("regress_out")
    if not out:
        return
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    meta = {"base_seed": config._rtl_base_seed, "seeds": config.getoption("seeds"),
            "sim": config.getoption("sim"), "shard": config.getoption("shard"),
            "rtl_coverage": config.getoption("rtl_coverage"), "wall_seconds": round(wall, 1),
            "exitstatus": int(exitstatus)}
    tag = run_tag(config)
    (out / f"summary-{tag}.json").write_text(
        json.dumps({**meta, "blocks": rows, "tests": records}, indent=1))
    md = [f"# Regression {tag}", "", f"base seed {meta['base_seed']}, {meta['seeds']} seed(s), "
          f"exit status {meta['exitstatus']}", "", *lines, ""]
    (out / f"summary-{tag}.md").write_text("\n".join(md))
    shutil.copyfile(out / f"summary-{tag}.md", out / "summary.md")
    # the longest seed of each test id (what balances --shard; --update-durations keeps them)
    (out / f"durations-{tag}.json").write_text(json.dumps(measured, indent=1, sort_keys=True))
    tr.write_line(f"summary: {out}/summary-{tag}.md (.json: every test's seed and time)")
