"""The register map's one source, rtl/top/regs.rdl (SystemRDL), and what is generated from it.

``python -m flow.regs`` (``make regs``) regenerates every file of :data:`OUTPUTS`;
``python -m flow.regs --check`` regenerates them into a temporary folder and fails (exit 1),
naming each stale file, when any committed one differs (verif/tests/test_regs_generated.py runs
the same check in ``make test``).

* ``docs/registers_map.md``: the register and field tables (PeakRDL-markdown), linked from
  docs/registers.md;
* ``sw/accel_regs.h``: the C header for host software (PeakRDL-cheader): field masks, positions,
  widths and resets, and the ``accel_regs_t`` struct of the map;
* ``sparsetrain/regs.py``: the Python offsets (``Reg``, re-exported by ``sparsetrain.program``),
  field masks and the register description that the cocotb register test walks.

The hand-written RTL (rtl/top/axil_regs.v) is proved against the description by
``accel_top_faults: registers_match_the_rdl``. Tools: the ``regs`` extra of pyproject.toml
(systemrdl-compiler, peakrdl-markdown, peakrdl-cheader; pinned, so the output is reproducible).
"""

from __future__ import annotations

import argparse
import filecmp
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RDL = "rtl/top/regs.rdl"
DOC = "docs/registers_map.md"
HEADER = "sw/accel_regs.h"
PYMOD = "sparsetrain/regs.py"
#: Every generated file, relative to the root.
OUTPUTS: tuple[str, ...] = (DOC, HEADER, PYMOD)


def compile_rdl(rdl: Path | None = None):
    """The elaborated top address map of ``rdl`` (default: the project's regs.rdl)."""
    try:
        from systemrdl import RDLCompiler
    except ImportError as e:  # pragma: no cover - the message is the point
        raise SystemExit("flow.regs needs the register tools: pip install -e '.[regs]' "
                         f"(make venv installs them) ({e})")
    comp = RDLCompiler()
    comp.compile_file(str(rdl or ROOT / RDL))
    return comp.elaborate().top


def _access(f) -> str:
    """RO / WO / RW / W1C of a field (the words of docs/registers.md)."""
    onwrite = f.get_property("onwrite")
    if onwrite is not None and onwrite.name == "woclr":
        return "W1C"
    r, w = f.is_sw_readable, f.is_sw_writable
    return "RW" if r and w else "RO" if r else "WO"


def _py_str(s: str | None) -> str:
    return repr(" ".join((s or "").split()))


#: The end of sparsetrain/regs.py: the tables made into ``REGS``, ``Reg`` and the field
#: constants by the hand-written generic half, sparsetrain/regmap.py.
_PY_BUILD = '''
#: Every register of the map (address order), the byte offsets, and the field masks and
#: positions <REG>_<FIELD>_MASK / _SHIFT (sparsetrain.regmap.build).
REGS: dict[str, Register]
REGS, Reg, _constants = build(_REGISTERS, _FIELDS, __name__)
globals().update(_constants)
'''


def python_module(top) -> str:
    """sparsetrain/regs.py's text: the register and field tables and the call of
    ``sparsetrain.regmap.build`` that makes the offsets, field masks/shifts and description."""
    regs = list(top.registers())
    out = [
        f'"""Register map of the accelerator, GENERATED from {RDL} by `python -m flow.regs`:',
        'do not edit (edit the SystemRDL file and run `make regs`).',
        '',
        '* ``Reg``: byte offsets (also ``sparsetrain.program.Reg``);',
        '* ``<REG>_<FIELD>_MASK`` / ``_SHIFT``: field masks and positions;',
        '* ``REGS``: every register with its reset value and fields (name, lsb, width, access',
        '  RO / WO / RW / W1C, reset, singlepulse), walked by the register test of the top.',
        '',
        'All three are built from two tables, ``_REGISTERS`` and ``_FIELDS``, by',
        '``sparsetrain.regmap.build`` (where ``Field`` and ``Register`` are defined).',
        '"""',
        '',
        'from __future__ import annotations',
        '',
        'from sparsetrain.regmap import Field, Register, build  # noqa: F401  (Field, Register: API)',
        '',
        f'#: Bytes of the address map (registers at 0 .. {top.size - 4:#04x}).',
        f'MAP_SIZE = {top.size:#04x}',
        'REG_WIDTH = 32',
        '',
        '#: name, byte offset, description',
        '_REGISTERS: tuple[tuple[str, int, str], ...] = (',
    ]
    for r in regs:
        out.append(f'    ({r.inst_name!r}, 0x{r.address_offset:02X}, '
                   f'{_py_str(r.get_property("desc") or r.get_property("name"))}),')
    out += [
        ')',
        '',
        '#: register, field, lsb, width, access, reset, singlepulse, description',
        '_FIELDS: tuple[tuple[str, str, int, int, str, int, bool, str], ...] = (',
    ]
    for r in regs:
        for f in r.fields():
            reset = f.get_property("reset") or 0
            out.append(f'    ({r.inst_name!r}, {f.inst_name!r}, {f.lsb}, {f.width}, {_access(f)!r}, {reset:#x}, '
                       f'{bool(f.get_property("singlepulse"))}, {_py_str(f.get_property("desc"))}),')
    out.append(')')
    return "\n".join(out) + "\n" + _PY_BUILD


def generate(out_root: Path, rdl: Path | None = None) -> list[Path]:
    """Writes every file of :data:`OUTPUTS` under ``out_root`` (same relative paths)."""
    from peakrdl_cheader.exporter import CHeaderExporter
    from peakrdl_markdown import MarkdownExporter

    top = compile_rdl(rdl)
    paths = [out_root / p for p in OUTPUTS]
    for p in paths:
        p.parent.mkdir(parents=True, exist_ok=True)
    MarkdownExporter().export(top, str(out_root / DOC), input_files=[RDL])
    CHeaderExporter().export(top, str(out_root / HEADER))
    (out_root / PYMOD).write_text(python_module(top))
    return paths


def stale(root: Path = ROOT, rdl: Path | None = None) -> list[str]:
    """The generated files under ``root`` that differ from a fresh generation (or are missing)."""
    with tempfile.TemporaryDirectory(prefix="regs-") as tmp:
        generate(Path(tmp), rdl or root / RDL)
        return [p for p in OUTPUTS
                if not (root / p).is_file() or not filecmp.cmp(Path(tmp) / p, root / p, shallow=False)]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m flow.regs", description=__doc__.split("\n\n")[0])
    ap.add_argument("--check", action="store_true",
                    help="regenerate into a temporary folder; exit 1 if a committed file is stale")
    a = ap.parse_args(argv)
    if a.check:
        bad = stale()
        for p in bad:
            print(f"stale: {p} (regenerate with `make regs` after editing {RDL})")
        if not bad:
            print(f"register files up to date with {RDL}: {', '.join(OUTPUTS)}")
        return 1 if bad else 0
    for p in generate(ROOT):
        print(f"wrote {p.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
