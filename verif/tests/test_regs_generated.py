"""The register map has one source, rtl/top/regs.rdl: the files generated from it
(flow.regs.OUTPUTS: docs/registers_map.md, sw/accel_regs.h, sparsetrain/regs.py) must be what
`make regs` makes of it now, and the check must bite on an edit of either side.
Pure Python (no simulator). The RTL itself is walked against the description by the cocotb test
``accel_top_faults: registers_match_the_rdl``."""

from __future__ import annotations

import re
import shutil

import pytest


from flow import regs as flow_regs
from flow.regs import OUTPUTS, RDL, ROOT


@pytest.fixture(scope="module", autouse=True)
def _tools():
    try:
        import peakrdl_cheader  # noqa: F401
        import peakrdl_markdown  # noqa: F401
        import systemrdl  # noqa: F401
    except ImportError as e:
        pytest.fail(f"register tools missing: pip install -e '.[regs]' (make venv does) ({e})")


def test_generated_register_files_are_current():
    bad = flow_regs.stale()
    assert not bad, (f"stale generated register files: {', '.join(bad)}; edit {RDL} and run "
                     "`make regs` (python -m flow.regs), then commit them")


def _copy_tree(tmp_path):
    """A root holding the RDL and files freshly generated from it (whatever the committed
    state: these tests check that the check bites, not the repository)."""
    (tmp_path / RDL).parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / RDL, tmp_path / RDL)
    flow_regs.generate(tmp_path, tmp_path / RDL)
    return tmp_path


def test_stale_check_bites_on_an_rdl_edit(tmp_path):
    root = _copy_tree(tmp_path)
    assert flow_regs.stale(root) == []
    rdl = root / RDL
    text = rdl.read_text()
    # a new reset value of WATCHDOG: every generated file carries it
    edited = text.replace("LIMIT[31:0] = 0;", "LIMIT[31:0] = 0x1000;")
    assert edited != text
    rdl.write_text(edited)
    assert flow_regs.stale(root) == list(OUTPUTS)
    # a new register moves nothing else but is in every file too
    rdl.write_text(text.replace("} WATCHDOG @ 0x3C;",
                                "} WATCHDOG @ 0x3C;\n    reg { field { sw = rw; hw = r; } X[0:0] = 0; } SPARE @ 0x40;"))
    assert flow_regs.stale(root) == list(OUTPUTS)


@pytest.mark.parametrize("out", OUTPUTS)
def test_stale_check_bites_on_a_hand_edit(tmp_path, out):
    root = _copy_tree(tmp_path)
    (root / out).write_text((root / out).read_text() + "\n")
    assert flow_regs.stale(root) == [out]
    (root / out).unlink()
    assert flow_regs.stale(root) == [out]


def test_python_offsets_are_the_programs():
    from sparsetrain import program, regs
    assert program.Reg is regs.Reg
    assert [(r.name, int(r)) for r in regs.Reg] == [(n, g.offset) for n, g in regs.REGS.items()]
    assert regs.MAP_SIZE == 0x40 and max(regs.Reg) + 4 == regs.MAP_SIZE


def test_rtl_offsets_and_id_match_the_rdl():
    """The hand-written RTL's offset table and ID value are the description's (the behaviour
    of every bit is checked in simulation)."""
    from sparsetrain.regs import REGS
    src = (ROOT / "rtl/top/axil_regs.v").read_text()
    offs = {m[1]: int(m[2], 16) for m in re.finditer(r"\bR_(\w+)\s*=\s*8'h([0-9a-fA-F]+)", src)}
    assert offs == {n: r.offset for n, r in REGS.items()}
    idv = re.search(r"ID_VALUE\s*=\s*32'h([0-9a-fA-F_]+)", src)[1].replace("_", "")
    assert int(idv, 16) == REGS["ID"].reset


def test_c_header_compiles_and_matches(tmp_path):
    """sw/accel_regs.h compiles as C; its struct's offsets and field masks are the description's."""
    import subprocess
    cc = shutil.which("cc") or shutil.which("gcc")
    if cc is None:
        pytest.skip("no C compiler")
    from sparsetrain.regs import REGS
    lines = ['#include <stddef.h>', f'#include "{ROOT / "sw/accel_regs.h"}"']
    for r in REGS.values():
        lines.append(f'static_assert(offsetof(accel_regs_t, {r.name}) == {r.offset}, "{r.name}");')
        for f in r.fields:
            lines.append(f'static_assert(ACCEL_REGS__{r.name}__{f.name}_bm == {f.mask}u, "{r.name}.{f.name}");')
    src = tmp_path / "check.c"
    src.write_text("\n".join(lines) + "\n")
    res = subprocess.run([cc, "-std=c11", "-fsyntax-only", str(src)], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
