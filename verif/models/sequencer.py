"""Reference model of the descriptor sequencer's *outcome* (docs/program.md, docs/registers.md).

Given a program as the chip will fetch it (descriptor words), PROG_ADDR / PROG_LEN, the chip's
parameters, which host beats answer an error and a step limit, :func:`sequencer_outcome` walks
the program the way ``rtl/top/accel_top.v`` does and returns an :class:`Outcome`:

* the set of acceptable ``(err, pc)`` pairs the run may end with (ERR[7:0], ERR[31:16]);
* the host byte ranges the run's AXI reads and writes may touch (the program fetch and every
  executed LOAD for reads, every executed STORE for writes).

It does not model cycles or on-chip data. What it cannot know it accepts as alternatives:

* a unit descriptor (UC, MP, GAP, LC, LOSS; docs/program.md "opcode" table) may answer any
  status of its class (``class | 1 .. class | 7``, docs/registers.md "Error codes"); the model
  follows the path on which every unit answers OK and adds those errors at every unit
  descriptor the path executes. The one status it does know: LOSS after a LABEL word whose
  bits 31:16 are set answers BAD_LABEL (0x57, docs/program.md "LOAD / STORE memories");
* past ``step_limit`` executed descriptors it stops and accepts ERR WATCHDOG (0x07) at any pc
  (the caller sets the WATCHDOG register so that the chip cannot run further than that).

Sources of every rule (docs/program.md unless said otherwise):

* START: PROG_LEN 0 or above PROG_DEPTH, PROG_ADDR not 4-byte aligned, or
  PROG_ADDR + 64 * PROG_LEN past 2^32 -> ERR PROG at pc 0 with no AXI traffic
  (docs/registers.md PROG_ADDR / PROG_LEN, error PROG).
* The program is fetched in one DMA read of 16 * PROG_LEN words; any error beat -> ERR AXI, pc 0.
* Per pc: pc >= PROG_LEN -> RUNAWAY at pc; a reserved bit (:func:`sparsetrain.program.reserved_error`)
  -> that code, checked before anything else; END -> done, ERR 0, pc = END's index; LOOP inside
  a loop or with count 0 -> LOOP; ENDLOOP outside a loop -> LOOP (one level, no nesting).
* LOAD / STORE: memory selector 0..7 or 15, count 1..2^20-1, chip address + count <= depth of
  that memory, no STORE of LABEL; host address ``w1 + iteration * w4`` (inside a loop)
  computed without wrap, 4-byte aligned, last byte below 2^32 -- else ERR DMA with no beat.
  A memory word of W bits is ceil(W/32) beats. A LOAD with an error beat runs to its end and
  then stops with ERR AXI; a STORE whose burst gets an error response issues no later burst and
  stops with ERR AXI (bursts: INCR, <= 16 beats, never crossing 4 KB, rtl/top/dma.v).
* Any other opcode -> OPCODE.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from typing import Callable, Optional

from sparsetrain.program import FIELDS, Err, Mem, Op, beats_of, reserved_error

#: ``pc`` wildcard in :attr:`Outcome.accept` (WATCHDOG past the step limit)
ANY_PC = -1
#: opcode -> error class of a unit descriptor
UNIT_CLASS = {Op.UC: Err.UC, Op.MP: Err.MP, Op.GAP: Err.GAP, Op.LC: Err.LC, Op.LOSS: Err.LOSS}
#: statuses a unit may answer (docs/units.md, docs/uc_unit.md)
UNIT_STATUSES = range(1, 8)
BAD_LABEL = 7
KNOWN_SEL = {0, 1, 2, 3, 4, 5, 6, 7, 15}
TOP = 1 << 32


@dataclass(frozen=True)
class SeqParams:
    """What the outcome depends on among the chip's parameters: memory depths and word widths
    by selector (docs/program.md "LOAD / STORE memories") and PROG_DEPTH."""

    depth: dict
    width: dict
    prog_depth: int

    @classmethod
    def from_uc(cls, p, prog_depth: int) -> "SeqParams":
        """From a :class:`sparsetrain.uc.UcParams` (as ``verif.common.top_tb.TB.p``)."""
        from sparsetrain.uc import Sel
        depth = {int(s): p.depth(Sel(s)) for s in range(8)}
        width = {int(s): p.width(Sel(s)) for s in range(8)}
        depth[int(Mem.LABEL)], width[int(Mem.LABEL)] = 1, 32
        return cls(depth, width, int(prog_depth))

    def beats(self, sel: int) -> int:
        return beats_of(self.width[sel])


class Ranges:
    """A set of half-open byte ranges ``[lo, hi)``; :meth:`covers` answers for a whole range."""

    def __init__(self):
        self._raw: list[tuple[int, int]] = []
        self._merged: Optional[tuple[list[int], list[int]]] = None

    def add(self, lo: int, hi: int) -> None:
        if hi > lo:
            self._raw.append((lo, hi))
            self._merged = None

    def merged(self) -> list[tuple[int, int]]:
        out: list[list[int]] = []
        for lo, hi in sorted(self._raw):
            if out and lo <= out[-1][1]:
                out[-1][1] = max(out[-1][1], hi)
            else:
                out.append([lo, hi])
        return [(a, b) for a, b in out]

    def covers(self, lo: int, hi: int) -> bool:
        """True when every byte of ``[lo, hi)`` is inside the set."""
        if self._merged is None:
            m = self.merged()
            self._merged = ([a for a, _ in m], [b for _, b in m])
        los, his = self._merged
        i = bisect.bisect_right(los, lo) - 1
        return i >= 0 and hi <= his[i]

    def overlaps(self, lo: int, hi: int) -> bool:
        return any(a < hi and lo < b for a, b in self._raw)

    def __iter__(self):
        return iter(self.merged())

    def __repr__(self) -> str:
        return "[" + ", ".join(f"{a:#x}..{b:#x}" for a, b in self.merged()) + "]"


#: A fault description: ``fault(addr) -> bool`` for one beat's byte address, or an object with
#: ``first(lo, hi) -> int | None`` (the first faulting beat address in [lo, hi)), which is faster
Fault = Callable[[int], bool]


def first_fault(fault, lo: int, hi: int) -> Optional[int]:
    """Address of the first beat in ``[lo, hi)`` (4-byte steps) for which ``fault`` answers."""
    if fault is None or hi <= lo:
        return None
    if hasattr(fault, "first"):
        return fault.first(lo, hi)
    for a in range(lo, hi, 4):
        if fault(a):
            return a
    return None


def burst_end(start: int, addr: int, end: int) -> int:
    """End (exclusive byte address) of the DMA burst holding the beat at ``addr`` of a transfer
    ``[start, end)``: bursts of <= 16 beats that never cross 4 KB (rtl/top/dma.v)."""
    a = start
    while True:
        n = min(16, (end - a) // 4, (0x1000 - (a & 0xFFF)) // 4)
        if addr < a + 4 * n:
            return a + 4 * n
        a += 4 * n


@dataclass
class Outcome:
    """What a run of the program may end with, and where it may touch host memory."""

    accept: set = field(default_factory=set)           # {(err, pc)}; pc ANY_PC = any
    expected: Optional[tuple] = None                   # the all-units-OK path's end (None: cut)
    reads: Ranges = field(default_factory=Ranges)
    writes: Ranges = field(default_factory=Ranges)
    loads: Ranges = field(default_factory=Ranges)      # the LOAD part of ``reads``
    steps: int = 0                                     # descriptors executed on that path
    truncated: bool = False                            # the path passed step_limit
    unit_steps: int = 0                                # unit descriptors executed on it
    beats: int = 0                                     # AXI data beats on it (fetch included)
    visited: set = field(default_factory=set)          # pcs executed on it
    fetch: Optional[tuple] = None                      # program fetch range, if fetched
    trace: list = field(default_factory=list)          # (pc, opcode) of the first steps

    def accepts(self, err: int, pc: int) -> bool:
        return (err, pc) in self.accept or (err, ANY_PC) in self.accept

    def describe(self) -> str:
        acc = sorted(self.accept)
        shown = ", ".join(f"({e:#04x}, {'*' if p == ANY_PC else p})" for e, p in acc[:12])
        more = f" and {len(acc) - 12} more" if len(acc) > 12 else ""
        exp = "cut at the step limit" if self.expected is None else \
            f"({self.expected[0]:#04x}, {self.expected[1]})"
        return (f"model: path {exp} after {self.steps} steps; accepts {shown}{more}; "
                f"trace {self.trace[:24]}")


def sequencer_outcome(descs, prog_addr: int, prog_len: int, params: SeqParams,
                      read_fault=None, write_fault=None, step_limit: int = 100_000,
                      read_word: Optional[Callable[[int], Optional[int]]] = None,
                      trace_len: int = 64) -> Outcome:
    """The outcome of a run (module docstring). ``descs``: the descriptors at PROG_ADDR as the
    chip fetches them (lists of 16 ints; at least ``min(prog_len, PROG_DEPTH)`` of them when
    the fetch can happen). ``read_word(addr)``: the host word at ``addr`` before the run (used for
    LABEL loads; None or a None answer: unknown). ``read_fault`` / ``write_fault``: see
    :data:`Fault`."""
    out = Outcome()
    prog_addr &= 0xFFFF_FFFF
    prog_len &= 0xFFFF
    # ---- START (docs/registers.md PROG_ADDR, PROG_LEN)
    if (prog_len == 0 or prog_len > params.prog_depth or prog_addr % 4
            or prog_addr + 64 * prog_len > TOP):
        return _end(out, Err.PROG, 0)
    fetch_end = prog_addr + 64 * prog_len
    out.fetch = (prog_addr, fetch_end)
    out.reads.add(prog_addr, fetch_end)
    out.beats += 16 * prog_len
    out.visited.add(0)
    if first_fault(read_fault, prog_addr, fetch_end) is not None:
        return _end(out, Err.AXI, 0)
    if len(descs) < prog_len:
        raise ValueError(f"{len(descs)} descriptors given, PROG_LEN is {prog_len}")

    pc = 0
    in_loop, loop_pc, loop_cnt, it = False, 0, 0, 0
    label = None if read_word is None else "unknown"   # "unknown" | "low" | "high" | None
    while True:
        if pc >= prog_len:
            return _end(out, Err.RUNAWAY, pc)
        if out.steps >= step_limit:
            out.truncated = True
            out.accept.add((int(Err.WATCHDOG), ANY_PC))
            return out
        out.steps += 1
        out.visited.add(pc)
        words = [int(w) & 0xFFFF_FFFF for w in descs[pc]]
        op = words[0] & 0xFF
        if len(out.trace) < trace_len:
            out.trace.append((pc, op))
        rsv = reserved_error(words)
        if rsv:
            return _end(out, rsv, pc)
        if op == Op.END:
            return _end(out, Err.NONE, pc)
        if op == Op.LOOP:
            if in_loop or words[1] == 0:
                return _end(out, Err.LOOP, pc)
            in_loop, loop_pc, loop_cnt, it = True, pc + 1, words[1], 0
            pc += 1
        elif op == Op.ENDLOOP:
            if not in_loop:
                return _end(out, Err.LOOP, pc)
            if it + 1 < loop_cnt:
                it += 1
                pc = loop_pc
            else:
                in_loop, it = False, 0
                pc += 1
        elif op in (Op.LOAD, Op.STORE):
            sel = (words[0] >> 8) & 0xF
            count, chip, host = words[2], words[3], words[1] + (it * words[4] if in_loop else 0)
            if (sel not in KNOWN_SEL or count == 0 or count > 0xF_FFFF
                    or chip + count > params.depth[sel] or (op == Op.STORE and sel == Mem.LABEL)):
                return _end(out, Err.DMA, pc)
            nbytes = 4 * count * params.beats(sel)
            if host % 4 or host + nbytes > TOP:
                return _end(out, Err.DMA, pc)
            end = host + nbytes
            out.beats += nbytes // 4
            if op == Op.LOAD:
                out.reads.add(host, end)
                out.loads.add(host, end)
                if first_fault(read_fault, host, end) is not None:
                    return _end(out, Err.AXI, pc)
                if sel == Mem.LABEL and label is not None:
                    v = None if out.writes.overlaps(host, host + 4) else read_word(host)
                    label = "unknown" if v is None else ("high" if v >> 16 else "low")
            else:
                bad = first_fault(write_fault, host, end)
                if bad is not None:
                    out.writes.add(host, burst_end(host, bad, end))
                    return _end(out, Err.AXI, pc)
                out.writes.add(host, end)
            pc += 1
        elif op in UNIT_CLASS:
            cls = int(UNIT_CLASS[Op(op)])
            out.unit_steps += 1
            for s in UNIT_STATUSES:
                out.accept.add((cls | s, pc))
            if op == Op.LOSS and label == "high":
                out.expected = (cls | BAD_LABEL, pc)
                return out
            pc += 1
        else:
            return _end(out, Err.OPCODE, pc)


def _end(out: Outcome, err: int, pc: int) -> Outcome:
    out.expected = (int(err), int(pc))
    out.accept.add(out.expected)
    out.visited.add(pc)
    return out


def unit_opcodes() -> list[int]:
    """Opcodes of the unit descriptors (those with an error class)."""
    return [int(o) for o in UNIT_CLASS]


def known_opcodes() -> list[int]:
    return sorted(FIELDS)
