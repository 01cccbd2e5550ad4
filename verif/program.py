"""Accelerator programs: descriptor encoding and host-memory images (docs/program.md).

A program is a list of 16-word (64-byte) descriptors the sequencer of ``rtl/top/accel_top.v``
runs without host help. This module encodes them and lays out the host memory they refer to;
it needs no simulator.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from enum import IntEnum

from verif.uc_driver import UcCommand

DESC_WORDS = 16
DESC_BYTES = 4 * DESC_WORDS


class Op(IntEnum):
    END = 0x00
    LOAD = 0x01
    STORE = 0x02
    LOOP = 0x03
    ENDLOOP = 0x04
    UC = 0x10
    MP = 0x11
    GAP = 0x12
    LC = 0x13
    LOSS = 0x14


class Mem(IntEnum):
    """LOAD / STORE memory selectors."""
    STACK = 0
    WGT = 1
    FIDX = 2
    BIDX = 3
    PTR = 4
    GRAD = 5
    BIAS = 6
    BGRAD = 7
    LABEL = 15


class Err(IntEnum):
    """ERR register codes (low byte)."""
    NONE = 0x00
    OPCODE = 0x01
    AXI = 0x02
    DMA = 0x03
    LOOP = 0x04
    PROG = 0x05
    RUNAWAY = 0x06
    UC = 0x10        # | UC status
    MP = 0x20        # | MP status
    GAP = 0x30       # | GAP status
    LC = 0x40        # | LC status
    LOSS = 0x50      # | loss status


# register offsets (docs/registers.md)
class Reg(IntEnum):
    ID = 0x00
    CTRL = 0x04
    STATUS = 0x08
    ERR = 0x0C
    PROG_ADDR = 0x10
    PROG_LEN = 0x14
    IRQ_EN = 0x18
    IRQ_STATUS = 0x1C
    CNT_TOTAL = 0x20
    CNT_UC = 0x24
    CNT_POOL = 0x28
    CNT_LC = 0x2C
    CNT_DMA = 0x30
    N_CORRECT = 0x34
    LOSS_SUM = 0x38


def beats_of(width_bits: int) -> int:
    """32-bit host words per memory word."""
    return max(1, -(-int(width_bits) // 32))


def words_to_bytes(words, width_bits: int) -> bytes:
    """Memory words -> host bytes: each word as ``beats_of(width)`` little-endian 32-bit words."""
    nb = 4 * beats_of(width_bits)
    return b"".join((int(w) & ((1 << (8 * nb)) - 1)).to_bytes(nb, "little") for w in words)


def bytes_to_words(data: bytes, width_bits: int) -> list[int]:
    nb = 4 * beats_of(width_bits)
    mask = (1 << width_bits) - 1
    return [int.from_bytes(data[i:i + nb], "little") & mask for i in range(0, len(data), nb)]


@dataclass
class Program:
    """Builds a descriptor list. Each method appends one descriptor and returns its index."""

    descs: list = field(default_factory=list)

    def _add(self, op: int, sub: int = 0, flags: int = 0, words=()) -> int:
        w = [int(op) | (int(sub) << 8) | (int(flags) << 16)] + [int(v) & 0xFFFFFFFF for v in words]
        w += [0] * (DESC_WORDS - len(w))
        self.descs.append(w)
        return len(self.descs) - 1

    def end(self) -> int:
        return self._add(Op.END)

    def load(self, mem: Mem, chip_addr: int, count: int, host_addr: int, step: int = 0) -> int:
        """Host -> chip: ``count`` memory words from ``host_addr + iteration*step``."""
        return self._add(Op.LOAD, mem, 0, [host_addr, count, chip_addr, step])

    def store(self, mem: Mem, chip_addr: int, count: int, host_addr: int, step: int = 0) -> int:
        """Chip -> host."""
        return self._add(Op.STORE, mem, 0, [host_addr, count, chip_addr, step])

    def loop(self, count: int) -> int:
        return self._add(Op.LOOP, 0, 0, [count])

    def endloop(self) -> int:
        return self._add(Op.ENDLOOP)

    def uc(self, cmd: UcCommand, gacc_auto: bool = False) -> int:
        """A UC command; ``gacc_auto``: accumulate gradients except in a loop's first iteration."""
        flags = (cmd.relu & 1) | ((cmd.bgrad & 1) << 1) | ((cmd.gacc & 1) << 2) | (int(gacc_auto) << 3)
        words = [
            cmd.cin | (cmd.cout << 16),
            cmd.h | (cmd.w << 16),
            cmd.k | (cmd.stride << 8) | (cmd.dil << 16) | (cmd.pad << 24),
            cmd.shift | (cmd.lr_shift << 8) | (cmd.lr_shift_b << 16),
            cmd.x_base, cmd.y_base, cmd.fptr_base, cmd.bptr_base, cmd.bias_base,
            cmd.lr_mult | (cmd.lr_mult_b << 16),
        ]
        return self._add(Op.UC, cmd.mode, flags, words)

    def mp(self, mode: int, c: int, h: int, w: int, x_base: int, y_base: int, a_base: int) -> int:
        """MP unit: 0 MP_FWD, 1 MP_BWD, 2 RELU_BWD (docs/units.md)."""
        return self._add(Op.MP, mode, 0, [c, h | (w << 16), 0, 0, x_base, y_base, a_base])

    def gap(self, mode: int, c: int, h: int, w: int, x_base: int, y_base: int) -> int:
        """GAP unit: 0 FWD, 1 BWD."""
        return self._add(Op.GAP, mode, 0, [c, h | (w << 16), 0, 0, x_base, y_base])

    def lc(self, mode: int, cin: int, cout: int, shift: int, x_base: int, y_base: int, w_base: int,
           bias_base: int, relu: int = 0, bgrad: int = 0, gacc: int = 0, gacc_auto: bool = False,
           lr=(0, 0, 0, 0)) -> int:
        """LC unit: 0 FWD, 1 BWD_DATA, 2 WGRAD, 3 UPDATE; ``lr`` = (mult, shift, mult_b, shift_b)."""
        flags = (relu & 1) | ((bgrad & 1) << 1) | ((gacc & 1) << 2) | (int(gacc_auto) << 3)
        mult, lsh, mult_b, lsh_b = lr
        return self._add(Op.LC, mode, flags, [cin | (cout << 16), 0, 0,
                                              shift | (lsh << 8) | (lsh_b << 16),
                                              x_base, y_base, w_base, 0, bias_base,
                                              mult | (mult_b << 16)])

    def loss(self, classes: int, in_frac: int, grad_frac: int, y_base: int, g_base: int) -> int:
        """Loss unit on the logits at ``y_base``; the label is the last LOAD to LABEL."""
        return self._add(Op.LOSS, 0, 0, [classes, 0, in_frac | (grad_frac << 8), 0, y_base, g_base])

    def raw(self, words) -> int:
        """A descriptor given word by word (tests of bad programs)."""
        w = [int(v) & 0xFFFFFFFF for v in words] + [0] * (DESC_WORDS - len(words))
        self.descs.append(w)
        return len(self.descs) - 1

    def to_bytes(self) -> bytes:
        return b"".join(struct.pack("<16I", *d) for d in self.descs)

    def __len__(self) -> int:
        return len(self.descs)


class HostHeap:
    """Bump allocator for host memory (4 KB-aligned blocks keep bursts simple to reason about)."""

    def __init__(self, base: int = 0x1000, size: int = 1 << 20, align: int = 64):
        self.base, self.size, self.align, self.next = base, size, align, base

    def alloc(self, nbytes: int) -> int:
        a = -(-self.next // self.align) * self.align
        if a + nbytes > self.base + self.size:
            raise MemoryError(f"host heap exhausted ({nbytes} bytes more)")
        self.next = a + nbytes
        return a
