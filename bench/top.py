"""Top-level bench: the demo CNN's training step on ``accel_top``, on Verilator and on Icarus.

    python -m bench.top            (part of make bench; SIMS=verilator,verilator-hdlmem to skip Icarus)

Three runs of the same programs (SIMS, default all three): ``verilator`` and ``icarus`` (the host
memory is cocotbext-axi's AxiRam in Python, on every clock edge), ``verilator-hdlmem`` (the
harness accel_top_hdlmem: the host memory is an AXI RAM in the HDL, no Python per cycle; built
with flow.blocks.HDLMEM_SPEED_ARGS and a trained profile, flow/pgo.py; HDLMEM_PGO=0 without).
The two Verilator paths must give the same cycle counters
for every program; ``build/bench/top_speed.{json,md}`` puts their simulated cycles per second side
by side with the ratio.

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


#: Run labels (SIMS) -> (simulator, host-memory path).
RUNS_OF = {"verilator": ("verilator", "axiram"), "verilator-hdlmem": ("verilator", "hdlmem"),
           "icarus": ("icarus", "axiram")}


def hdlmem_speed_args() -> tuple[str, ...]:
    """The harness's speed options: flow.blocks.HDLMEM_SPEED_ARGS, or HDLMEM_ARGS from the
    environment (space-separated; "none" for none) to measure others (docs/performance.md)."""
    from flow.blocks import HDLMEM_SPEED_ARGS
    env = os.environ.get("HDLMEM_ARGS")
    if env is None:
        return HDLMEM_SPEED_ARGS
    return tuple(a for a in env.split() if a != "none")


def bench_block(path: str):
    """The bench's build of accel_top (AxiRam) or of the HDL-memory harness (1 MB host memory,
    profile-guided unless HDLMEM_PGO=0: flow/pgo.py). A harness build with other speed options
    than the default gets a build directory of its own."""
    if path == "hdlmem":
        import hashlib
        from flow.blocks import HDLMEM_SPEED_ARGS
        from flow.pgo import enabled
        base = BLOCKS["accel_top_hdlmem"]
        extra = hdlmem_speed_args()
        name = "accel_top_hdlmem_bench"
        asserts = os.environ.get("RTL_ASSERTS", "1")
        pgo = enabled()
        if extra != HDLMEM_SPEED_ARGS or asserts != "1" or not pgo:
            name += "_" + hashlib.sha1(" ".join([*extra, asserts, str(pgo)]).encode()).hexdigest()[:8]
        return dataclasses.replace(base, name=name, test_module="bench.top_bench_tests",
                                   paramsets={"bench": {**PARAMS, "HOST_ADDR_W": 20}},
                                   verilator_args=base.verilator_args + extra, pgo=pgo)
    return dataclasses.replace(BLOCKS["accel_top"], name="accel_top_bench", test_module="bench.top_bench_tests",
                               paramsets={"bench": PARAMS})


def run(label: str, batch: int) -> dict:
    from flow.runner import RUNS, run_block
    sim, path = RUNS_OF[label]
    block = bench_block(path)
    raw = OUT_DIR / f"top_{label}_raw.json"
    raw.unlink(missing_ok=True)
    t0 = time.time()
    n_pass, n_fail = run_block(block, sim, paramset="bench", seed=1,
                               extra_env={"TOP_BENCH_OUT": str(raw), "TOP_BENCH_BATCH": str(batch)})
    total = time.time() - t0
    if not raw.exists() or n_fail:
        return {"sim": label, "ok": False, "seconds": round(total, 1)}
    data = json.loads(raw.read_text())
    recs = data["records"]
    run_s = sum(r["wall_s"] for r in recs)
    for r in recs:
        r["cycles_per_s"] = round(r["total"] / r["wall_s"], 1) if r["wall_s"] else None
        if r.get("cpu_s"):
            r["cycles_per_cpu_s"] = round(r["total"] / r["cpu_s"], 1)
    out = {"sim": label, "simulator": sim, "host_memory": path, "ok": True, "params": PARAMS, "batch": batch,
           "verilator_args": list(block.verilator_args) if sim == "verilator" else [],
           "records": recs,
           "seconds_total": round(total, 1), "seconds_in_programs": round(run_s, 1),
           "seconds_build_and_startup": round(total - run_s, 1),
           "run_record": RUNS[-1] if RUNS else None}
    (OUT_DIR / f"top_{label}.json").write_text(json.dumps(out, indent=1))
    return out


def speed_table(py: dict, hdl: dict) -> tuple[list[dict], bool]:
    """Side by side, per program of both runs: cycles (must be equal), cycles/s each, ratio."""
    rows, same = [], True
    hrecs = {(r["kind"], r.get("op"), r.get("words"), r["batch"] if "batch" in r else None): r for r in hdl["records"]}
    for r in py["records"]:
        if r["kind"] == "dma":
            continue
        h = hrecs.get((r["kind"], r.get("op"), r.get("words"), r.get("batch")))
        if h is None:
            continue
        eq = all(r[k] == h[k] for k in ("total", "uc", "pool", "lc", "dma"))
        same &= eq
        rows.append({"program": r["kind"], "batch": r["batch"], "cycles": r["total"], "counters_equal": eq,
                     "axiram_cycles_per_s": r["cycles_per_s"], "hdlmem_cycles_per_s": h["cycles_per_s"],
                     "ratio": round(h["cycles_per_s"] / r["cycles_per_s"], 1),
                     "axiram_cycles_per_cpu_s": r.get("cycles_per_cpu_s"),
                     "hdlmem_cycles_per_cpu_s": h.get("cycles_per_cpu_s"),
                     "ratio_cpu": (round(h["cycles_per_cpu_s"] / r["cycles_per_cpu_s"], 1)
                                   if r.get("cycles_per_cpu_s") and h.get("cycles_per_cpu_s") else None)})
    for r, h in zip((x for x in py["records"] if x["kind"] == "dma"), (x for x in hdl["records"] if x["kind"] == "dma")):
        same &= all(r[k] == h[k] for k in ("total", "dma"))
    return rows, same


def load_average() -> str:
    """The machine's load averages (1, 5, 15 min), for the record of a speed figure."""
    try:
        return " / ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "unknown"


def write_speed(rows: list[dict], same: bool) -> None:
    md = ["# Simulated cycles per second: the same programs, host memory in Python (cocotbext-axi AxiRam) "
          "and in the HDL (accel_top_hdlmem), Verilator", "",
          "Wall time, and CPU time of the simulator process (cocotb's Python included; less disturbed by a "
          "busy machine). Load (1/5/15 min) at the end of the run: " + load_average(), "",
          "| program | batch | simulated cycles (both) | counters equal | AxiRam cycles/s | HDL RAM cycles/s | ratio "
          "| AxiRam cycles/CPU-s | HDL RAM cycles/CPU-s | ratio (CPU) |",
          "|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        md.append(f"| {r['program']} | {r['batch']} | {r['cycles']:,} | {'yes' if r['counters_equal'] else 'NO'} | "
                  f"{r['axiram_cycles_per_s']:,.0f} | {r['hdlmem_cycles_per_s']:,.0f} | {r['ratio']}x | "
                  f"{r['axiram_cycles_per_cpu_s'] or 0:,.0f} | {r['hdlmem_cycles_per_cpu_s'] or 0:,.0f} | "
                  f"{r['ratio_cpu']}x |")
    (OUT_DIR / "top_speed.json").write_text(json.dumps({"rows": rows, "all_counters_equal": same,
                                                        "load": load_average()}, indent=1))
    (OUT_DIR / "top_speed.md").write_text("\n".join(md) + "\n")
    print("\n".join(md))


def write_model(done: dict) -> None:
    """The whole-program cycle model (bench/program_model.py, recorded by each program's run)
    against the counters, per run and program -> build/bench/top_model.md / .json."""
    from bench.program_model import compare
    rows = []
    for sim, r in done.items():
        for rec in r.get("records", []) if r.get("ok") else []:
            if "model" in rec:
                rows.append({"sim": sim, "program": rec["kind"], "batch": rec["batch"], **compare(rec["model"], rec)})
    if not rows:
        return
    keys = ("total", "uc", "pool", "lc", "dma")
    md = ["# The whole-program cycle model against the top's counters (bench/program_model.py)", "",
          "Model / RTL (error). UC on one engine is the formula without the calibration of "
          "bench/cycle_calib.py (build/bench/cycle_model.md has the calibrated units).", "",
          "| run | program | batch | " + " | ".join(keys) + " |", "|---|---|---|" + "---|" * len(keys)]
    for r in rows:
        md.append(f"| {r['sim']} | {r['program']} | {r['batch']} | " + " | ".join(
            f"{r[k][0]:,} / {r[k][1]:,} ({r[k][2]:+.2f} %)" if r[k][2] is not None else f"{r[k][0]:,} / {r[k][1]:,}"
            for k in keys) + " |")
    (OUT_DIR / "top_model.json").write_text(json.dumps(rows, indent=1))
    (OUT_DIR / "top_model.md").write_text("\n".join(md) + "\n")
    print("\n".join(md))


def main() -> int:
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    sims = [s for s in os.environ.get("SIMS", "verilator-hdlmem,verilator,icarus").split(",") if s]
    bad = [s for s in sims if s not in RUNS_OF]
    if bad:
        print(f"SIMS: unknown {', '.join(bad)}; known: {', '.join(RUNS_OF)}", file=sys.stderr)
        return 2
    batch = int(os.environ.get("TOP_BENCH_BATCH", "8"))
    rc = 0
    done = {}
    for sim in sims:
        r = run(sim, batch)
        done[sim] = r
        if not r["ok"]:
            print(f"top bench on {sim} failed", file=sys.stderr)
            rc = 1
            continue
        for rec in r["records"]:
            if rec["kind"] != "dma":
                print(f"{sim}: {rec['kind']} batch {rec['batch']}: {rec['total']} cycles "
                      f"(UC {rec['uc']}, pool {rec['pool']}, LC/loss {rec['lc']}, DMA {rec['dma']}), "
                      f"{rec['wall_s']:.1f} s wall = {rec['cycles_per_s']:.0f} cycles/s, "
                      f"{rec.get('cycles_per_cpu_s') or 0:.0f} cycles/CPU-s")
        print(f"{sim}: whole run {r['seconds_total']} s (build + start-up {r['seconds_build_and_startup']} s)")
    write_model(done)
    if done.get("verilator", {}).get("ok") and done.get("verilator-hdlmem", {}).get("ok"):
        rows, same = speed_table(done["verilator"], done["verilator-hdlmem"])
        write_speed(rows, same)
        if not same:
            print("the two host-memory paths gave different cycle counters", file=sys.stderr)
            rc = 1
    return rc


if __name__ == "__main__":
    sys.exit(main())
