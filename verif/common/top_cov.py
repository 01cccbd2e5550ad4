"""Functional coverage of the accelerator top (``accel_top.<point>``), sampled on the host side.

The top-level test calls :func:`sample_program` when a program has finished: it decodes the
program's descriptors (docs/program.md; word 0 = opcode | sub << 8 | flags << 16) that ran
before the error pc (up to the first END when there was no error) and samples what they did,
then the ERR class and whether the AXI streams had random stalls.  :func:`event` samples the
single-bin "did it happen" points (interrupt raised, soft reset while busy).  ``fcov.export``
(``export()`` below) writes the cumulative database at the end of every cocotb test, as the
unit testbenches do; ``make cov`` merges the ``fcov-accel_top.yml`` files.
"""

from __future__ import annotations

from cocotb_coverage.coverage import CoverPoint

from verif.common import fcov
from sparsetrain.program import Err, Mem, Op

PREFIX = "accel_top"

OPCODES = [o.name for o in Op]
LOAD_MEMS = [m.name for m in Mem]                           # LABEL included
STORE_MEMS = [m.name for m in Mem if m != Mem.LABEL]        # STORE of LABEL is a DMA error
UC_MODES = [0, 1, 2, 3]
MP_MODES = [0, 1, 2, 3]
GAP_MODES = [0, 1]
LC_MODES = [0, 1, 2, 3]
LOOP_COUNTS = ["1", ">1"]
HOST_STEPS = ["zero", "nonzero"]
ERR_CLASSES = [e.name for e in Err]
EVENTS = ["irq_raised", "soft_reset_while_busy"]


def err_class(code: int) -> str:
    """ERR[7:0] -> its class name (unit errors 0xNs -> the unit), or hex when unknown."""
    code = int(code) & 0xFF
    base = code & 0xF0 if code >= 0x10 else code
    try:
        return Err(base).name
    except ValueError:
        return f"{code:#04x}"


def _mem_name(sub: int) -> str:
    try:
        return Mem(sub).name
    except ValueError:
        return f"sel{sub}"


def _op_name(op: int) -> str:
    try:
        return Op(op).name
    except ValueError:
        return f"{op:#04x}"


def _when(op: str, key: str):
    """xf: the descriptor's ``key`` if it is an ``op`` descriptor, else None (in no bin; not
    False, which would equal the mode-0 bin)."""
    return lambda d: d[key] if d["op"] == op else None


@CoverPoint(f"{PREFIX}.opcode", xf=lambda d: d["op"], bins=OPCODES)
@CoverPoint(f"{PREFIX}.load_mem", xf=_when("LOAD", "mem"), bins=LOAD_MEMS)
@CoverPoint(f"{PREFIX}.store_mem", xf=_when("STORE", "mem"), bins=STORE_MEMS)
@CoverPoint(f"{PREFIX}.load_host_step", xf=_when("LOAD", "step"), bins=HOST_STEPS)
@CoverPoint(f"{PREFIX}.store_host_step", xf=_when("STORE", "step"), bins=HOST_STEPS)
@CoverPoint(f"{PREFIX}.uc_mode", xf=_when("UC", "mode"), bins=UC_MODES)
@CoverPoint(f"{PREFIX}.mp_mode", xf=_when("MP", "mode"), bins=MP_MODES)
@CoverPoint(f"{PREFIX}.gap_mode", xf=_when("GAP", "mode"), bins=GAP_MODES)
@CoverPoint(f"{PREFIX}.lc_mode", xf=_when("LC", "mode"), bins=LC_MODES)
@CoverPoint(f"{PREFIX}.loop_count", xf=_when("LOOP", "count"), bins=LOOP_COUNTS)
def _sample_desc(d: dict) -> None:
    """One executed descriptor (the decorators do the counting)."""


@CoverPoint(f"{PREFIX}.err_class", xf=lambda err, stalls: err, bins=ERR_CLASSES)
@CoverPoint(f"{PREFIX}.axi_backpressure", xf=lambda err, stalls: stalls, bins=[False, True])
def _sample_end(err: str, stalls: bool) -> None:
    """A finished program: its ERR class and whether the AXI streams stalled at random."""


_event = fcov.flags(PREFIX, EVENTS)


def _decode(w0: int, words: list[int]) -> dict:
    op, sub = w0 & 0xFF, (w0 >> 8) & 0xFF
    d = {"op": _op_name(op), "mem": None, "mode": None, "step": None, "count": None}
    if op in (Op.LOAD, Op.STORE):
        d["mem"] = _mem_name(sub)
        d["step"] = "nonzero" if words[4] else "zero"
    elif op == Op.UC:
        d["mode"] = sub & 0x7
    elif op in (Op.MP, Op.GAP, Op.LC):
        d["mode"] = sub
    elif op == Op.LOOP:
        d["count"] = "1" if words[1] == 1 else (">1" if words[1] > 1 else None)
    return d


def executed(descs: list[list[int]], err_code: int, err_pc: int) -> list[dict]:
    """The decoded descriptors a program ran: those before the error pc (the failing one did
    nothing), or up to and including the first END when it ended without error."""
    out = []
    stop = min(err_pc, len(descs)) if err_code else len(descs)
    for w in descs[:stop]:
        d = _decode(w[0], w)
        out.append(d)
        if not err_code and d["op"] == "END":
            break
    return out


def sample_program(descs: list[list[int]], err_code: int, err_pc: int, stalls: bool) -> list[dict]:
    """Sample every executed descriptor of a finished program, its ERR class and the stall mode."""
    ran = executed(descs, err_code, err_pc)
    for d in ran:
        _sample_desc(d)
    _sample_end(err_class(err_code), bool(stalls))
    return ran


def event(name: str) -> None:
    """``irq_raised`` or ``soft_reset_while_busy``."""
    assert name in EVENTS, name
    _event(name)


def export() -> None:
    """fcov-accel_top.yml in the test directory (cumulative over this simulation's tests)."""
    fcov.export(PREFIX)


def holes() -> list[str]:
    return fcov.holes(PREFIX + ".")
