"""The pytest entry of a block's test module: its cocotb tests on both simulators and every
parameter set, through :func:`flow.runner.run_block`.  At the bottom of the test module:
``test_<block> = block_test("<block>")`` (pytest collects it under that name)."""

from __future__ import annotations

import pytest

from flow.blocks import BLOCKS
from flow.runner import run_block


def block_test(name: str, skip_sets: tuple[str, ...] = (),
               skip_runs: tuple[tuple[str, str], ...] = (),
               run_tests: dict[tuple[str, str], str] | None = None,
               run_env: dict[tuple[str, str], dict[str, str]] | None = None,
               ci_env: dict[tuple[str, str], dict[str, str]] | None = None):
    """The test ``test_<name>[<sim>-<paramset>]`` (marked ``sim``) for block ``name``;
    ``skip_sets``: parameter sets that are not for the regression (e.g. the bench's);
    ``skip_runs``: ``(sim, paramset)`` pairs left out of it (e.g. a set too large for Icarus,
    which still runs by hand with ``make sim``); ``run_tests``: ``(sim, paramset)`` ->
    comma-separated cocotb test names, the only ones that run (the rest by hand, ``make sim``);
    ``run_env``: ``(sim, paramset)`` -> environment of that run (e.g. a smaller case count for a
    slow simulator); ``ci_env``: the same, added in the CI tier only (``--tier ci``, ``make test``:
    e.g. a test's variants left to ``make regress`` for CI time)."""
    block = BLOCKS.get(name)
    sets = [p for p in block.paramsets if p not in skip_sets] if block else []
    runs = [(s, p) for p in sets for s in ("icarus", "verilator") if (s, p) not in skip_runs]

    @pytest.mark.sim
    @pytest.mark.parametrize("sim,paramset", runs, ids=[f"{s}-{p}" for s, p in runs])
    def test(sim, paramset, request):
        env = dict((run_env or {}).get((sim, paramset), {}))
        if request.config.getoption("tier", "full") == "ci":
            env.update((ci_env or {}).get((sim, paramset), {}))
        n_pass, n_fail = run_block(block, sim, paramset=paramset,
                                   testcase=(run_tests or {}).get((sim, paramset)),
                                   extra_env=env or None)
        assert n_fail == 0 and n_pass > 0, f"{n_fail} failed, {n_pass} passed"

    test.__name__ = test.__qualname__ = f"test_{name}"
    test.__doc__ = f"The {name} cocotb tests on Icarus and Verilator, every parameter set."
    return test
