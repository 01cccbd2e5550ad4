"""CLI: python -m flow.sim --block B --sim S [--waves] [--seed N] [--params P] [--testcase T]"""

from __future__ import annotations

import argparse
import logging
import sys

from flow.blocks import BLOCKS, get_block
from flow.runner import SIMS, run_block


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m flow.sim", description=__doc__)
    ap.add_argument("--block", required=True, help=f"one of: {', '.join(BLOCKS)}")
    ap.add_argument("--sim", default="verilator", choices=SIMS)
    ap.add_argument("--params", default=None, help="parameter set name (default: the block's first)")
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--testcase", default=None, help="only these cocotb tests (comma list; a bare name includes its parametrized variants)")
    ap.add_argument("--waves", action="store_true")
    ap.add_argument("--coverage", action="store_true", help="Verilator line+toggle coverage")
    a = ap.parse_args(argv)

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    block = get_block(a.block)
    paramset = a.params or block.default_paramset
    n_pass, n_fail = run_block(block, a.sim, paramset=paramset, seed=a.seed, waves=a.waves,
                               testcase=a.testcase, coverage=a.coverage)
    print(f"{block.name} {paramset}-{a.sim}: {n_pass} passed, {n_fail} failed")
    return 1 if n_fail or n_pass == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
