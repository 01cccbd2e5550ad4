"""Stimulus of the accelerator top's fuzz campaign (verif/tests/test_accel_top_fuzz.py): random
descriptor programs, mutations of valid programs, fault maps of host beats, and the host memory
map the campaign uses. No simulator needed.

Host memory (the testbench's AXI RAM, ``verif.common.top_tb``): ``HOST_SIZE`` bytes at 0 and
again at ``HIGH_ALIAS``; every other address answers SLVERR. The campaign splits it:

* ``[0x1000, PROG_LO)``: training-step data (``sparsetrain.driver.build_program``'s heap);
* ``[PROG_LO, DATA_LO)``: program images;
* ``[DATA_LO, HOST_SIZE)``: what random LOADs and STOREs point at.
"""

from __future__ import annotations

import bisect
import random

from verif.common.top_tb import HIGH_ALIAS, HOST_SIZE
from sparsetrain.program import DESC_WORDS, FIELDS, Mem, Op, encode, used_mask

PROG_LO = 0x60000
DATA_LO = 0x80000
TOP = 1 << 32
WINDOWS = ((0, HOST_SIZE), (HIGH_ALIAS, HIGH_ALIAS + HOST_SIZE))
UNITS = (Op.UC, Op.MP, Op.GAP, Op.LC, Op.LOSS)
UNKNOWN_OPS = [o for o in range(256) if o not in FIELDS]


def host_off(addr: int):
    """RAM offset of a host byte address, or None where nothing answers."""
    for lo, hi in WINDOWS:
        if lo <= addr < hi:
            return addr - lo
    return None


def ram_write(ram, addr: int, data: bytes) -> None:
    """Write ``data`` at a host address (aliases followed; unmapped bytes dropped)."""
    for i in range(0, len(data), 4):
        off = host_off(addr + i)
        if off is not None:
            ram.write(off, data[i:i + 4])


def ram_words(ram, addr: int, n: int) -> list:
    """``n`` 32-bit host words from ``addr`` (None for an unmapped word)."""
    out = []
    for i in range(n):
        off = host_off(addr + 4 * i)
        out.append(None if off is None else int.from_bytes(ram.read(off, 4), "little"))
    return out


class FaultMap:
    """Host beats that answer SLVERR: the ``beats`` injected (32-bit beat addresses) and every
    address outside the RAM's windows. ``injected`` is what the testbench's ``read_fault`` /
    ``write_fault`` hook takes (it answers unmapped addresses itself); the map itself is what
    the sequencer model takes (``__call__`` and the fast ``first``)."""

    def __init__(self, beats=()):
        self.beats = sorted({int(b) & ~3 for b in beats})
        self._set = set(self.beats)

    def injected(self, addr: int) -> bool:
        return addr in self._set

    def __call__(self, addr: int) -> bool:
        return addr in self._set or host_off(addr) is None

    def first(self, lo: int, hi: int):
        cands = []
        i = bisect.bisect_left(self.beats, lo)
        if i < len(self.beats) and self.beats[i] < hi:
            cands.append(self.beats[i])
        a = lo
        for wlo, whi in WINDOWS:
            if a < wlo:
                break
            if a < whi:
                a = whi
        if a < hi:
            cands.append(a)
        return min(cands) if cands else None

    def __len__(self) -> int:
        return len(self.beats)


def pick_beats(rnd: random.Random, ranges, n: int) -> list:
    """``n`` random 4-byte-aligned addresses inside ``ranges`` (``[(lo, hi)]``)."""
    ranges = [(lo, hi) for lo, hi in ranges if hi - lo >= 4]
    if not ranges:
        return []
    out = []
    for _ in range(n):
        lo, hi = rnd.choice(ranges)
        out.append(lo + 4 * rnd.randrange((hi - lo) // 4))
    return out


class ProgramGen:
    """Random descriptor programs: valid and broken LOAD / STORE, LOOP / ENDLOOP (counts 0, 1..4,
    huge), unit descriptors with random field values, reserved bits, unknown opcodes, bad counts,
    chip ranges and host addresses (unaligned, unmapped, past 2^32 directly or through a loop
    step), END anywhere or missing. ``pokes`` (host address, bytes) are written before a run
    (the label words LOAD LABEL reads)."""

    def __init__(self, rnd: random.Random, params, depth: dict, width: dict):
        self.rnd, self.p, self.depth, self.width = rnd, params, depth, width
        self.pokes: list[tuple[int, bytes]] = []

    def beats(self, sel: int) -> int:
        return max(1, -(-self.width[sel] // 32))

    def host(self, nbytes: int, in_loop: bool) -> tuple[int, int]:
        """(host address, loop step) for a transfer of ``nbytes``."""
        r, rnd = self.rnd.random(), self.rnd
        span = HOST_SIZE - DATA_LO
        base = DATA_LO + 4 * rnd.randrange(max(1, (span - min(nbytes, span)) // 4 - 256))
        step = 0
        if in_loop and rnd.random() < 0.6:
            step = 4 * rnd.randrange(0, 64)
        if r < 0.72:
            addr = base
        elif r < 0.84:
            addr = HIGH_ALIAS + base
        elif r < 0.88:
            addr = base + rnd.randint(1, 3)                                 # unaligned
        elif r < 0.93:
            addr = max(0, TOP - nbytes + 4 * rnd.randint(-3, 3))            # around 2^32
        elif r < 0.96 and in_loop:
            addr, step = HIGH_ALIAS + HOST_SIZE - 0x4000 - nbytes, 0x1000 * rnd.randint(1, 3)
        elif r < 0.98:
            addr = 4 * rnd.randrange(HOST_SIZE // 4, HIGH_ALIAS // 4)       # unmapped
        else:
            addr = rnd.getrandbits(32)
        if step and rnd.random() < 0.05:
            step = rnd.getrandbits(32)
        return addr & 0xFFFF_FFFF, step & 0xFFFF_FFFF

    def loadstore(self, op: int, in_loop: bool) -> list:
        rnd = self.rnd
        sels = [0, 1, 2, 3, 4, 5, 6, 7, 15]
        sel = rnd.choice(sels) if rnd.random() < 0.96 else rnd.randint(8, 14)
        depth = self.depth.get(sel, 64)
        cmax = 8 if sel == Mem.STACK else 48
        count = rnd.randint(1, min(depth, cmax))
        chip = rnd.randint(0, depth - count)
        if sel == Mem.LABEL:
            count, chip = 1, 0
        r = rnd.random()
        if r < 0.02:
            count = 0
        elif r < 0.04:
            chip = depth - count + rnd.randint(1, 3)
        elif r < 0.05:
            count = rnd.choice([depth + 1, 0xF_FFFF])
            chip = 0
        elif r < 0.055:
            chip = rnd.getrandbits(32)
        nbytes = 4 * count * (self.beats(sel) if sel in self.width else 1)
        host, step = self.host(nbytes, in_loop)
        if op == Op.LOAD and sel == Mem.LABEL and host_off(host) is not None and host % 4 == 0:
            lab = rnd.randrange(16) if rnd.random() < 0.6 else rnd.getrandbits(32)
            self.pokes.append((host, lab.to_bytes(4, "little")))
        return encode(op, mem=sel, host_addr=host, count=count, chip_addr=chip & 0xFFFF_FFFF,
                      host_step=step)

    def unit(self) -> list:
        rnd = self.rnd
        op = rnd.choice(UNITS)
        vals = {}
        for f in FIELDS[op]:
            if f.name == "opcode":
                continue
            top = (1 << f.width) - 1
            r = rnd.random()
            if r < 0.55:
                v = rnd.randint(0, min(top, 12))
            elif r < 0.85 and f.width >= 16:
                v = rnd.randint(0, min(top, self.p.fm_depth))
            else:
                v = rnd.randint(0, top)
            vals[f.name] = v
        return encode(op, **vals)

    def reserved(self, words: list) -> list:
        """``words`` with one random reserved bit of its opcode set."""
        op = words[0] & 0xFF
        free = ~used_mask(op) & ((1 << (32 * DESC_WORDS)) - 1)
        for _ in range(64):
            b = self.rnd.randrange(32 * DESC_WORDS)
            if free >> b & 1:
                words = list(words)
                words[b // 32] |= 1 << (b % 32)
                return words
        return words

    def item(self, in_loop: bool) -> list:
        rnd = self.rnd
        r = rnd.random()
        if r < 0.38:
            d = self.loadstore(Op.LOAD, in_loop)
        elif r < 0.64:
            d = self.loadstore(Op.STORE, in_loop)
        elif r < 0.86:
            d = self.unit()
        elif r < 0.90:
            d = [rnd.choice(UNKNOWN_OPS)] + [rnd.getrandbits(32) if rnd.random() < 0.2 else 0
                                             for _ in range(DESC_WORDS - 1)]
        elif r < 0.93:
            d = encode(Op.END)
        elif r < 0.96:
            d = encode(Op.LOOP, count=rnd.randint(0, 3)) if rnd.random() < 0.5 else encode(Op.ENDLOOP)
        else:
            d = [rnd.getrandbits(8) if rnd.random() < 0.5 else rnd.choice(list(FIELDS))] + \
                [rnd.getrandbits(32) for _ in range(DESC_WORDS - 1)]
        if d[0] & 0xFF in FIELDS and rnd.random() < 0.08:
            d = self.reserved(d)
        return d

    def program(self, max_len: int) -> list:
        """A random program of at most ``max_len`` descriptors."""
        rnd = self.rnd
        self.pokes = []
        n = rnd.randint(1, min(max_len - 1, 14))
        descs: list = []
        i = 0
        while i < n:
            if rnd.random() < 0.3 and n - i >= 2:
                body = rnd.randint(1, min(4, n - i - 1))
                r = rnd.random()
                count = (rnd.randint(1, 4) if r < 0.85 else 0 if r < 0.9 else
                         rnd.choice([0xFFFF_FFFF, 1000, rnd.getrandbits(32)]))
                descs.append(encode(Op.LOOP, count=count))
                descs += [self.item(True) for _ in range(body)]
                if rnd.random() < 0.93:
                    descs.append(encode(Op.ENDLOOP))
                i += body + 2
            else:
                descs.append(self.item(False))
                i += 1
        if rnd.random() < 0.9:
            descs.append(encode(Op.END))
        return descs[:max_len]


def mutate(rnd: random.Random, descs: list) -> tuple[list, str]:
    """One mutation of a valid program: bit flips, a swap, a duplicated descriptor or a
    truncation; returns (new descriptors, what was done)."""
    d = [list(x) for x in descs]
    kind = rnd.choice(["flip", "flip", "flip", "swap", "dup", "trunc"])
    if kind == "flip":
        what = []
        for _ in range(rnd.randint(1, 3)):
            i, w, b = rnd.randrange(len(d)), rnd.randrange(DESC_WORDS), rnd.randrange(32)
            d[i][w] ^= 1 << b
            what.append(f"desc {i} w{w} bit {b}")
        return d, "flip " + ", ".join(what)
    if kind == "swap":
        i, j = rnd.randrange(len(d)), rnd.randrange(len(d))
        d[i], d[j] = d[j], d[i]
        return d, f"swap {i} {j}"
    if kind == "dup":
        i, j = rnd.randrange(len(d)), rnd.randrange(len(d) + 1)
        d.insert(j, list(d[i]))
        return d, f"duplicate {i} at {j}"
    n = rnd.randrange(1, len(d))
    return d[:n], f"truncate to {n}"
