"""The sequencer outcome model (verif/models/sequencer.py) on directed programs with known
outcomes (docs/program.md); no simulator."""

from __future__ import annotations

import pytest

from verif.models.sequencer import ANY_PC, Ranges, SeqParams, burst_end, sequencer_outcome
from sparsetrain.program import Err, Mem, Op, Program, encode
from sparsetrain.uc import UcCommand, UcParams

P = SeqParams.from_uc(UcParams(lanes=8, kmax=7, cmax=16, nmax=16, hmax=32, wmax=32, fm_depth=1024,
                               wdepth=1024, pdepth=64, bdepth=64), prog_depth=128)
BASE = 0x8000


def run(prog: Program, **kw):
    kw.setdefault("prog_addr", BASE)
    kw.setdefault("prog_len", len(prog))
    addr, n = kw.pop("prog_addr"), kw.pop("prog_len")
    return sequencer_outcome(prog.descs, addr, n, P, **kw)


def looped_load(n: int, count: int, host_addr: int, step: int) -> Program:
    """LOOP n; LOAD ``count`` weight words from ``host_addr`` (+ ``step`` each iteration); ENDLOOP; END."""
    p = Program()
    p.loop(n)
    p.load(Mem.WGT, 0, count, host_addr, step=step)
    p.endloop()
    p.end()
    return p


def only(o, err, pc):
    assert o.expected == (int(err), pc), o.describe()
    assert o.accept == {(int(err), pc)}, o.describe()


def test_params():
    assert P.depth[Mem.STACK] == 1024 and P.depth[Mem.PTR] == 64 and P.depth[Mem.LABEL] == 1
    assert P.beats(Mem.STACK) == 8 and P.beats(Mem.WGT) == 1 and P.beats(Mem.LABEL) == 1


def test_end_at_3_and_ranges():
    p = Program()
    p.load(Mem.WGT, 0, 10, 0x1000)
    p.load(Mem.STACK, 0, 2, 0x2000)
    p.store(Mem.GRAD, 4, 3, 0x3000)
    p.end()
    o = run(p)
    only(o, Err.NONE, 3)
    assert o.steps == 4 and not o.truncated
    assert list(o.reads) == [(0x1000, 0x1000 + 40), (0x2000, 0x2000 + 64), (BASE, BASE + 4 * 64)]
    assert list(o.writes) == [(0x3000, 0x300C)]
    assert o.beats == 64 + 10 + 16 + 3
    assert o.reads.covers(0x2010, 0x2040) and not o.reads.covers(0x2030, 0x2044)


def test_runaway_and_pc_past_prog_len():
    p = Program()
    p.load(Mem.GRAD, 0, 1, 0x1000)
    only(run(p), Err.RUNAWAY, 1)
    # PROG_LEN shorter than the program: the END is not part of it
    p.end()
    only(run(p, prog_len=1), Err.RUNAWAY, 1)


def test_loop_counts_and_host_step():
    o = run(looped_load(3, 4, 0x1000, 0x100))
    only(o, Err.NONE, 3)
    assert o.steps == 1 + 3 * 2 + 1
    assert list(o.reads)[:3] == [(0x1000, 0x1010), (0x1100, 0x1110), (0x1200, 0x1210)]
    assert not o.reads.covers(0x1300, 0x1304)
    # outside a loop the step is not applied
    q = Program()
    q.load(Mem.WGT, 0, 4, 0x1000, step=0x100)
    q.end()
    assert (0x1000, 0x1010) in list(run(q).reads)


@pytest.mark.parametrize("name,desc,err", [
    ("range", dict(mem=Mem.WGT, chip_addr=1020, count=5, host_addr=0x1000), Err.DMA),
    ("range ok", dict(mem=Mem.WGT, chip_addr=1020, count=4, host_addr=0x1000), Err.NONE),
    ("count 0", dict(mem=Mem.WGT, chip_addr=0, count=0, host_addr=0x1000), Err.DMA),
    ("sel 9", dict(mem=9, chip_addr=0, count=1, host_addr=0x1000), Err.DMA),
    ("label 2", dict(mem=Mem.LABEL, chip_addr=0, count=2, host_addr=0x1000), Err.DMA),
    ("unaligned", dict(mem=Mem.WGT, chip_addr=0, count=1, host_addr=0x9002), Err.DMA),
    ("past 2^32", dict(mem=Mem.WGT, chip_addr=0, count=4, host_addr=0xFFFF_FFF8), Err.DMA),
    ("up to 2^32", dict(mem=Mem.WGT, chip_addr=0, count=2, host_addr=0xFFFF_FFF8), Err.NONE),
    ("stack beats past 2^32", dict(mem=Mem.STACK, chip_addr=0, count=1, host_addr=0xFFFF_FFF0), Err.DMA),
])
def test_load_checks(name, desc, err):
    p = Program()
    p.raw(encode(Op.LOAD, host_step=0, **desc))
    p.end()
    o = run(p)
    only(o, err, 1 if err == Err.NONE else 0)
    if err != Err.NONE:
        assert list(o.reads) == [(BASE, BASE + 128)], "no LOAD range for a refused LOAD"


def test_store_label_refused():
    p = Program()
    p.store(Mem.LABEL, 0, 1, 0x1000)
    p.end()
    o = run(p)
    only(o, Err.DMA, 0)
    assert not list(o.writes)


def test_host_end_past_2_32_through_loop_step():
    o = run(looped_load(4, 16, 0xFFFF_0000, 0x6000))
    # iterations 0, 1, 2 end at or below 2^32; iteration 3 starts at 2^32 + 0x2000
    only(o, Err.DMA, 1)
    assert list(o.reads)[1:] == [(0xFFFF_0000, 0xFFFF_0040), (0xFFFF_6000, 0xFFFF_6040),
                                 (0xFFFF_C000, 0xFFFF_C040)]
    # the same with a step that keeps the last byte at 2^32 - 1
    only(run(looped_load(4, 16, 0xFFFF_0000, 0x3FF0)), Err.NONE, 3)


def test_reserved_bits():
    cases = [
        ([0x00 | 1 << 24], Err.OPCODE),                                  # END, word 0
        ([0x00] + [0] * 4 + [1], Err.OPCODE),                            # END, word 5
        (encode(Op.LOAD, mem=1, count=1, host_addr=0x1000)[:2] + [1 << 20], Err.DMA),  # count bit 20
        (encode(Op.LOAD, mem=1, count=1, host_addr=0x1000)[:15] + [1], Err.DMA),       # word 15
        ([0x03 | 1 << 31, 2], Err.LOOP),
        ([0x04, 0, 1], Err.LOOP),
        (encode(Op.UC)[:12] + [1], Err.UC | 1),                          # unused word (w12)
        (encode(Op.UC)[:4] + [1 << 14], Err.UC | 2),                     # above lr_shift
        (encode(Op.MP)[:1] + [1 << 16], Err.MP | 2),                     # c is 16 bits
        ([0x12 | 1 << 11], Err.GAP | 1),                                 # mode is 3 bits
        (encode(Op.LOSS)[:3] + [1 << 4], Err.LOSS | 2),                  # in_frac is 4 bits
        (encode(Op.LC)[:8] + [1], Err.LC | 1),                           # w8 unused by LC
    ]
    for words, err in cases:
        p = Program()
        p.load(Mem.WGT, 0, 1, 0x1000)
        p.raw(words)
        p.end()
        only(run(p), err, 1)


def test_loop_errors():
    p = Program(); p.loop(2); p.loop(2); p.endloop(); p.endloop(); p.end()
    only(run(p), Err.LOOP, 1)
    p = Program(); p.endloop(); p.end()
    only(run(p), Err.LOOP, 0)
    p = Program(); p.loop(0); p.end()
    only(run(p), Err.LOOP, 0)
    # a loop left, then ENDLOOP again
    p = Program(); p.loop(2); p.endloop(); p.endloop(); p.end()
    only(run(p), Err.LOOP, 2)


def test_unknown_opcode():
    p = Program(); p.end()
    p.descs[0][0] = 0x7F
    only(run(p), Err.OPCODE, 0)
    p = Program(); p.raw([0x05]); p.end()
    only(run(p), Err.OPCODE, 0)


def test_unit_alternatives():
    p = Program()
    p.load(Mem.WGT, 0, 1, 0x1000)
    p.uc(UcCommand(mode=0))
    p.mp(0, 1, 2, 2, 0, 10, 20)
    p.end()
    o = run(p)
    assert o.expected == (0, 3)
    assert o.accepts(0, 3) and o.accepts(0x11, 1) and o.accepts(0x17, 1) and o.accepts(0x24, 2)
    assert not o.accepts(0x21, 1) and not o.accepts(0x18, 1) and not o.accepts(0x10, 1)
    assert not o.accepts(0, 2) and not o.accepts(Err.WATCHDOG, 3)
    assert o.unit_steps == 2


def test_label_high_bits():
    mem = {0x4000: 0x0001_0002, 0x4004: 0x0000_0002}
    for addr, forced in ((0x4000, True), (0x4004, False)):
        p = Program()
        p.load(Mem.LABEL, 0, 1, addr)
        p.loss(10, 8, 12, 0, 100)
        p.store(Mem.WGT, 0, 1, 0x5000)
        p.end()
        o = run(p, read_word=mem.get)
        if forced:
            assert o.expected == (0x57, 1), o.describe()
            assert not list(o.writes), "the path stops at LOSS"
        else:
            assert o.expected == (0, 3)
            assert list(o.writes) == [(0x5000, 0x5004)]
        assert o.accepts(0x57, 1) and o.accepts(0x51, 1)
    # a label word the program itself overwrote before loading it is unknown
    p = Program()
    p.store(Mem.GRAD, 0, 1, 0x4000)
    p.load(Mem.LABEL, 0, 1, 0x4000)
    p.loss(10, 8, 12, 0, 100)
    p.end()
    assert run(p, read_word=mem.get).expected == (0, 3)


@pytest.mark.parametrize("addr,n,ok", [
    (BASE, 0, False), (BASE, 129, False), (BASE + 2, 1, False), (0xFFFF_FFC0, 2, False),
    (0xFFFF_FFC0, 1, True), (BASE, 128, True), (0xFFFF_FF80, 2, True),
])
def test_prog_checks(addr, n, ok):
    descs = [[0] * 16] * max(n, 1)
    o = sequencer_outcome(descs, addr, n, P)
    if ok:
        only(o, Err.NONE, 0)
        assert o.fetch == (addr, addr + 64 * n)
    else:
        only(o, Err.PROG, 0)
        assert not list(o.reads) and o.fetch is None


def test_faults():
    p = Program()
    p.load(Mem.WGT, 0, 8, 0x1000)
    p.store(Mem.WGT, 0, 40, 0x2000)
    p.end()
    fetch_fault = lambda a: a == BASE + 100  # noqa: E731
    only(run(p, read_fault=fetch_fault), Err.AXI, 0)
    only(run(p, read_fault=lambda a: a == 0x101C), Err.AXI, 0)
    o = run(p, write_fault=lambda a: a == 0x2044)
    only(o, Err.AXI, 1)
    # the failing burst is the second (beats 16..31): nothing after it
    assert list(o.writes) == [(0x2000, 0x2080)]
    o = run(p, write_fault=lambda a: a == 0x2000)
    assert list(o.writes) == [(0x2000, 0x2040)]


def test_burst_end():
    assert burst_end(0x2000, 0x2000, 0x20A0) == 0x2040
    assert burst_end(0x2000, 0x2084, 0x20A0) == 0x20A0
    # 4 KB boundary: 0xFF8 -> two beats, then the next page
    assert burst_end(0x0FF8, 0x0FFC, 0x1100) == 0x1000
    assert burst_end(0x0FF8, 0x1000, 0x1100) == 0x1040


def test_step_limit_watchdog():
    p = Program()
    p.loop(0xFFFF_FFFF)
    p.load(Mem.WGT, 0, 1, 0x1000)
    p.endloop()
    p.end()
    o = run(p, step_limit=1000)
    assert o.truncated and o.expected is None and o.steps == 1000
    assert o.accepts(Err.WATCHDOG, 2) and o.accepts(Err.WATCHDOG, 77)
    assert not o.accepts(Err.NONE, 3)
    assert o.accept == {(int(Err.WATCHDOG), ANY_PC)}


def test_ranges():
    r = Ranges()
    r.add(0x10, 0x20)
    r.add(0x20, 0x30)
    r.add(0x40, 0x44)
    assert list(r) == [(0x10, 0x30), (0x40, 0x44)]
    assert r.covers(0x10, 0x30) and r.covers(0x40, 0x44)
    assert not r.covers(0x2C, 0x34) and not r.covers(0x0, 0x4) and not r.covers(0x44, 0x48)
    assert r.overlaps(0x2C, 0x34) and not r.overlaps(0x30, 0x40)
