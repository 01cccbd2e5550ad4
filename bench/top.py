"""Top-level bench: the demo CNN's training step on ``accel_top``, on Verilator and on Icarus.

    python -m bench.top            (part of make bench; SIMS=verilator to skip Icarus)

Runs ``bench/top_bench_tests.py`` (DMA transfers of 1..1024 words, a training step and an
inference of the demo CNN, a training step of a CIFAR-sized CNN, results checked bit-exactly
against the models) with the "bench"
parameter set below, once per simulator, one simulator at a time.  Writes
``build/bench/top_<sim>.json``: the cycle counters of every program, plus the build time, the
run's wall time and the simulated cycles per wall-clock second of every program.
"""

from __future__ import annotations

import dataclasses
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from flow.blocks import BLOCKS  # noqa: E402

OUT_DIR = ROOT / "build" / "bench"
#: The demo's sizes (64-channel convs, maps up to 32x32) with moderate memories (the stack holds
#: every map of the CIFAR-sized CNN of the bench: about 7,900 words a bank).
PARAMS = {"LANES": 8, "KMAX": 7, "CMAX": 64, "NMAX": 64, "HMAX": 32, "WMAX": 32,
          "FM_DEPTH": 8192, "WDEPTH": 16384, "PDEPTH": 256, "BDEPTH": 256,
          "PROG_DEPTH": 128, "CLASSES_MAX": 16}


def run(sim: str, batch: int) -> dict:
    from flow.runner import RUNS, run_block
    base = BLOCKS["accel_top"]
    block = dataclasses.replace(base, name="accel_top_bench", test_module="bench.top_bench_tests",
                                paramsets={"bench": PARAMS})
    raw = OUT_DIR / f"top_{sim}_raw.json"
    raw.unlink(missing_ok=True)
    t0 = time.time()
    n_pass, n_fail = run_block(block, sim, paramset="bench", seed=1,
                               extra_env={"TOP_BENCH_OUT": str(raw), "TOP_BENCH_BATCH": str(batch)})
    total = time.time() - t0
    if not raw.exists() or n_fail:
        return {"sim": sim, "ok": False, "seconds": round(total, 1)}
    data = json.loads(raw.read_text())
    recs = data["records"]
    run_s = sum(r["wall_s"] for r in recs)
    for r in recs:
        r["cycles_per_s"] = round(r["total"] / r["wall_s"], 1) if r["wall_s"] else None
    out = {"sim": sim, "ok": True, "params": PARAMS, "batch": batch, "records": recs,
           "seconds_total": round(total, 1), "seconds_in_programs": round(run_s, 1),
           "seconds_build_and_startup": round(total - run_s, 1),
           "run_record": RUNS[-1] if RUNS else None}
    (OUT_DIR / f"top_{sim}.json").write_text(json.dumps(out, indent=1))
    return out


def main() -> int:
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    sims = [s for s in os.environ.get("SIMS", "verilator,icarus").split(",") if s]
    batch = int(os.environ.get("TOP_BENCH_BATCH", "8"))
    rc = 0
    for sim in sims:
        r = run(sim, batch)
        if not r["ok"]:
            print(f"top bench on {sim} failed", file=sys.stderr)
            rc = 1
            continue
        for rec in r["records"]:
            if rec["kind"] != "dma":
                print(f"{sim}: {rec['kind']} batch {rec['batch']}: {rec['total']} cycles "
                      f"(UC {rec['uc']}, pool {rec['pool']}, LC/loss {rec['lc']}, DMA {rec['dma']}), "
                      f"{rec['wall_s']:.1f} s wall = {rec['cycles_per_s']:.0f} cycles/s")
        print(f"{sim}: whole run {r['seconds_total']} s (build + start-up {r['seconds_build_and_startup']} s)")
    return rc


if __name__ == "__main__":
    sys.exit(main())
