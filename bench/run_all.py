"""`make bench`: every performance number of docs/performance.md, into build/bench/.

    python -m bench.run_all        (QUICK=1: a short run, without vgg16 and ceiling;
                                    BENCH_STEPS=uc,top,ceiling,vgg16,model,balance,summary)

Steps, one simulation at a time:
  uc       bench/uc_unit.py       UC unit on the layer table (Verilator), bit-exact checked
  top      bench/top.py           demo CNN training step + DMA on accel_top: Verilator with the host
                                  memory in the HDL, Verilator and Icarus with AxiRam (QUICK: the two
                                  Verilator paths): cycles, simulator speed, the two paths' ratio,
                                  the whole-program cycle model against the counters (top_model.md)
  ceiling  bench/sim_ceiling.py   the bare Verilated top (C++ main, no VPI, no Python) against the
                                  cocotb HDL-memory harness, idle and on one program: the speed no
                                  harness can exceed (not in QUICK)
  vgg16    bench/vgg16_top.py     one VGG16 CIFAR-10 training image on accel_top with 64 engines x 4
                                  lanes (256 MACs), Verilator, HDL host memory; bit-exact against the
                                  models layer by layer and on the updated weights; cycle counters
                                  against the whole-program cycle model (bench/program_model.py),
                                  build and run wall time (not in QUICK; not in CI)
  model    bench/cycle_model.py   calibrated cycle model; VGG16 / AlexNet / MobileNetV1 tables
  balance  bench/lane_balance.py  threshold vs balanced pruning: accuracy and lane efficiency
  summary  this file              simulator speed and the regression's wall time per block
                                  (from build/regress/summary-*.json) -> build/bench/summary.md/json
Synthesis is separate: make synth (bench/synth.py).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT_DIR = ROOT / "build" / "bench"
STEPS = {"uc": "bench.uc_unit", "top": "bench.top", "ceiling": "bench.sim_ceiling", "vgg16": "bench.vgg16_top",
         "model": "bench.cycle_model", "balance": "bench.lane_balance"}
#: steps a QUICK run leaves out (minutes of build and simulation)
SLOW_STEPS = ("vgg16", "ceiling")


def regress_times() -> dict | None:
    """Per-block wall time of the newest complete regression summary (not a shard)."""
    cands = [p for p in (ROOT / "build" / "regress").glob("summary-*.json") if "shard" not in p.name]
    if not cands:
        return None
    newest = max(cands, key=lambda p: p.stat().st_mtime)
    d = json.loads(newest.read_text())
    return {"file": str(newest.relative_to(ROOT)), "date": time.strftime("%Y-%m-%d %H:%M", time.gmtime(newest.stat().st_mtime)),
            "sim": d.get("sim") or "both", "wall_seconds": d.get("wall_seconds"), "seeds": d.get("seeds"),
            "blocks": [{k: b[k] for k in ("block", "tests", "pass", "fail", "seconds")} for b in d["blocks"]]}


def summary() -> int:
    out: dict = {"simulators": [], "regress": regress_times()}
    for sim in ("verilator-hdlmem", "verilator", "icarus"):
        p = OUT_DIR / f"top_{sim}.json"
        if not p.exists():
            continue
        d = json.loads(p.read_text())
        for r in d.get("records", []):
            if r["kind"] != "dma":
                out["simulators"].append({"sim": sim, "program": r["kind"], "batch": r["batch"],
                                          "cycles": r["total"], "wall_s": round(r["wall_s"], 2),
                                          "cycles_per_s": r["cycles_per_s"],
                                          "run_s": d["seconds_total"],
                                          "build_and_startup_s": d["seconds_build_and_startup"]})
    md = ["# Bench summary", "", "## Simulator speed (top level: whole programs on accel_top, bench/top.py)", "",
          "verilator-hdlmem: the host memory in the HDL (verif/hdl/accel_top_hdlmem.v); verilator and icarus: "
          "cocotbext-axi's AxiRam in Python.", "",
          "| simulator | program | batch | simulated cycles | wall s | cycles / s | whole run s (incl. build, all programs) |",
          "|---|---|---|---|---|---|---|"]
    for s in out["simulators"]:
        md.append(f"| {s['sim']} | {s['program']} | {s['batch']} | {s['cycles']:,} | {s['wall_s']} | {s['cycles_per_s']:,.0f} | {s['run_s']} |")
    speed = OUT_DIR / "top_speed.md"
    if speed.exists():
        md += ["", "## " + speed.read_text().lstrip("# ")]
        out["hdlmem_speed"] = json.loads((OUT_DIR / "top_speed.json").read_text())
    rg = out["regress"]
    if rg:
        md += ["", f"## Regression wall time per block ({rg['file']}, {rg['date']} UTC, sim {rg['sim']}, "
                   f"seeds {rg['seeds']}, whole run {rg['wall_seconds']} s)", "",
               "| block | tests | pass | fail | seconds |", "|---|---|---|---|---|"]
        for b in rg["blocks"]:
            md.append(f"| {b['block']} | {b['tests']} | {b['pass']} | {b['fail']} | {b['seconds']} |")
    else:
        md += ["", "No regression summary in build/regress/ (run make regress)."]
    (OUT_DIR / "summary.json").write_text(json.dumps(out, indent=1))
    (OUT_DIR / "summary.md").write_text("\n".join(md) + "\n")
    print("\n".join(md))
    return 0


def main() -> int:
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    quick = os.environ.get("QUICK", "") not in ("", "0")
    steps = [s for s in os.environ.get("BENCH_STEPS", "uc,top,ceiling,vgg16,model,balance,summary").split(",") if s]
    if quick and "BENCH_STEPS" not in os.environ:
        steps = [s for s in steps if s not in SLOW_STEPS]
    rc, times = 0, {}
    for step in steps:
        t0 = time.time()
        print(f"==== bench step {step}", flush=True)
        if step == "summary":
            r = summary()
        elif step in STEPS:
            env = dict(os.environ)
            if step == "top" and quick and "SIMS" not in env:
                env["SIMS"] = "verilator-hdlmem,verilator"
            r = subprocess.run([sys.executable, "-m", STEPS[step]], cwd=ROOT, env=env).returncode
        else:
            print(f"unknown step {step}; known: {', '.join([*STEPS, 'summary'])}", file=sys.stderr)
            return 2
        times[step] = round(time.time() - t0, 1)
        if r:
            print(f"bench step {step} FAILED (exit {r})", file=sys.stderr)
            rc = 1
    print("bench steps (s): " + ", ".join(f"{k} {v}" for k, v in times.items()))
    (OUT_DIR / "steps.json").write_text(json.dumps(times))
    return rc


if __name__ == "__main__":
    sys.exit(main())
