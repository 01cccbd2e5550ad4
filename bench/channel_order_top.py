"""The engine-balanced channel order measured on the top (issue 14; not in CI, not in make bench).

Runs the top bench's CIFAR-sized CNN training step (bench/top_bench_tests.py ``cifar_mini``:
3x32x32, conv 3->16 dense, MP, conv 16->32, MP, conv 32->64, GAP, LC, threshold pruning at 85 %)
on a 16 x 4 engine array twice, with the driver's channel order (``build_program(balance=True)``)
and with the model's order, and prints the cycle counters of both and the whole-program model's
prediction of each (bench/program_model.py). Both runs must update the weights as the model does.

    python -m bench.channel_order_top          (about 5 minutes: one Verilator build, two runs)
"""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.top import PARAMS  # noqa: E402
from flow.blocks import BLOCKS  # noqa: E402
from flow.runner import run_block  # noqa: E402

OUT = ROOT / "build" / "bench"
#: the bench's top parameters as a 16 x 4 engine array (a stack of 4-lane engines: twice the words)
ARRAY = {**PARAMS, "ENGINES": 16, "LANES": 4, "FM_DEPTH": 16384}


def main() -> int:
    block = dataclasses.replace(BLOCKS["accel_top"], name="accel_top_order", test_module="bench.top_bench_tests",
                                paramsets={"e16x4": ARRAY})
    rows = {}
    for bal in ("1", "0"):
        raw = OUT / f"channel_order_{bal}.json"
        raw.unlink(missing_ok=True)
        n_pass, n_fail = run_block(block, "verilator", paramset="e16x4", seed=1,
                                   extra_env={"TOP_BENCH_OUT": str(raw), "TOP_BENCH_DEMO": "0",
                                              "TOP_BENCH_DMA": "0", "TOP_BENCH_BALANCE": bal,
                                              "TOP_BENCH_CIFAR_BATCH": "2"})
        if n_fail or not raw.exists():
            print(f"channel order {bal}: the run failed")
            return 1
        rows[bal] = json.loads(raw.read_text())["records"][0]
    print("| channel order | UC cycles (RTL) | UC (model) | total (RTL) |")
    print("|---|---|---|---|")
    for bal, name in (("0", "the model's"), ("1", "engine-balanced")):
        r = rows[bal]
        print(f"| {name} | {r['uc']:,} | {r['model']['uc']:,} | {r['total']:,} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
