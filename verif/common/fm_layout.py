"""Memory layouts seen through a unit harness's host port: the feature-map stack and plain memories.

Stack (docs/uc_unit.md "Stack"): ``2*LANES`` banks; flat pixel address ``A`` is bank ``A mod 2L``,
word ``A div 2L``.  A map ``(C, H, W)`` at word base ``B`` holds pixel ``(c, y, x)`` at flat
address ``(B + (c*H + y) * RW) * 2L + x`` with ``RW = ceil(W / 2L)``.  A vector (1-D tensor) is a
map of shape ``(C, 1, 1)``: one pixel per row word, in bank 0.  A host-port stack word is all
``2L`` pixels, bank ``b`` at bits ``[16b+15:16b]``.  A flat map (``Region.flat``, docs/uc_unit.md
"Flat small maps") is the row layout of ``(C, 1, H*W)``: pixel ``(c, y, x)`` at flat address
``(B + c * ceil(H*W / 2L)) * 2L + y*W + x``.

Plain memories (weights, gradients, biases): element ``i`` of a region at ``base + i``
(row-major for 2-D arrays), ``bits`` wide, two's complement.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from verif.common.checks import to_signed

STACK = 0


def row_words(w: int, lanes: int) -> int:
    return -(-int(w) // (2 * lanes))


def map_words(shape, lanes: int) -> int:
    c, h, w = shape
    return int(c) * int(h) * row_words(w, lanes)


@dataclass(frozen=True)
class Region:
    """A tensor in one memory: ``sel`` 0 is the stack (shape (C, H, W)), others plain memories."""
    name: str
    sel: int
    base: int
    shape: tuple
    bits: int = 16
    flat: bool = False      # a stack map stored flat: the row layout of (C, 1, H*W)

    @property
    def stack(self) -> bool:
        return self.sel == STACK

    @property
    def store_shape(self) -> tuple:
        """The row-layout shape the map lies in: itself, or ``(C, 1, H*W)`` when flat."""
        c, h, w = self.shape
        return (c, 1, h * w) if self.flat else (c, h, w)

    def nwords(self, lanes: int) -> int:
        return map_words(self.store_shape, lanes) if self.stack else int(np.prod(self.shape))

    def end(self, lanes: int) -> int:
        return self.base + self.nwords(lanes)

    def elem_name(self, idx) -> str:
        if self.stack:
            c, y, x = (int(i) for i in idx)
            return f"{self.name}[c={c}, y={y}, x={x}]"
        if len(self.shape) == 2:
            return f"{self.name}[m={int(idx[0])}, k={int(idx[1])}]"
        return f"{self.name}[{int(idx[0])}]"


class Memories:
    """Contents of every memory of a harness (a shadow of the hardware), with region access."""

    def __init__(self, lanes: int, depths: dict[int, int], widths: dict[int, int]):
        self.lanes = lanes
        self.banks = 2 * lanes
        self.depths = dict(depths)
        self.widths = dict(widths)
        self.words: dict[int, list[int]] = {s: [0] * d for s, d in depths.items()}

    def copy(self) -> "Memories":
        m = Memories(self.lanes, self.depths, self.widths)
        m.words = {s: list(v) for s, v in self.words.items()}
        return m

    # ---- stack pixels
    def _flat(self, r: Region, c: int, y: int, x: int) -> int:
        _, h, w = r.shape
        if r.flat:
            return (r.base + c * row_words(h * w, self.lanes)) * self.banks + y * w + x
        return (r.base + (c * h + y) * row_words(w, self.lanes)) * self.banks + x

    def get_px(self, flat: int) -> int:
        word = self.words[STACK][flat // self.banks]
        return (word >> (16 * (flat % self.banks))) & 0xFFFF

    def set_px(self, flat: int, v: int) -> int:
        """Set one pixel; returns the word address."""
        a, b = divmod(flat, self.banks)
        word = self.words[STACK][a]
        self.words[STACK][a] = (word & ~(0xFFFF << 16 * b)) | ((int(v) & 0xFFFF) << 16 * b)
        return a

    # ---- regions
    def put(self, r: Region, arr) -> set[int]:
        """Write a tensor; returns the word addresses touched (only real pixels, not slack)."""
        arr = np.asarray(arr)
        touched: set[int] = set()
        if r.stack:
            arr = arr.reshape(r.shape)
            c_, h_, w_ = r.shape
            for c in range(c_):
                for y in range(h_):
                    for x in range(w_):
                        touched.add(self.set_px(self._flat(r, c, y, x), int(arr[c, y, x])))
        else:
            mask = (1 << self.widths[r.sel]) - 1
            for i, v in enumerate(arr.reshape(-1)):
                self.words[r.sel][r.base + i] = int(v) & mask
                touched.add(r.base + i)
        return touched

    def get(self, r: Region) -> np.ndarray:
        if r.stack:
            c_, h_, w_ = r.shape
            out = np.zeros(r.shape, dtype=np.int64)
            for c in range(c_):
                for y in range(h_):
                    for x in range(w_):
                        out[c, y, x] = to_signed(self.get_px(self._flat(r, c, y, x)), 16)
            return out
        n = int(np.prod(r.shape))
        vals = [to_signed(self.words[r.sel][r.base + i], r.bits) for i in range(n)]
        return np.array(vals, dtype=np.int64).reshape(r.shape)

    def owner(self, sel: int, addr: int, bank: int, regions: list[Region]) -> str:
        """Name of the element at a memory location (for error messages)."""
        for r in regions:
            if r.sel != sel or not (r.base <= addr < r.end(self.lanes)):
                continue
            if r.stack and r.flat:
                c_, h_, w_ = r.shape
                c, xw = divmod(addr - r.base, row_words(h_ * w_, self.lanes))
                p = xw * self.banks + bank
                return (r.elem_name((c,) + divmod(p, w_)) if p < h_ * w_
                        else f"{r.name} slack (c={c}, flat column {p})")
            if r.stack:
                c_, h_, w_ = r.shape
                rw = row_words(w_, self.lanes)
                row, xw = divmod(addr - r.base, rw)
                c, y = divmod(row, h_)
                x = xw * self.banks + bank
                return r.elem_name((c, y, x)) if x < w_ else f"{r.name} slack (c={c}, y={y}, x={x})"
            i = addr - r.base
            idx = np.unravel_index(i, r.shape)
            return r.elem_name(idx)
        return "outside every tensor of the command"

    def diff(self, other: "Memories", regions: list[Region], limit: int = 8) -> list[str]:
        """Differences self (expected) vs other (got), first one first, elements named."""
        diffs = ElementDiffs(limit)
        for sel in sorted(self.words):
            e_words, g_words = self.words[sel], other.words[sel]
            for a in range(len(e_words)):
                e, g = e_words[a], g_words[a]
                if e == g:
                    continue
                if sel == STACK:
                    for b, ep, gp in differing_pixels(e, g, self.banks):
                        diffs.add(lambda: f"{self.owner(sel, a, b, regions)} (stack word {a} bank {b}): "
                                          f"expected {to_signed(ep, 16)}, got {to_signed(gp, 16)}")
                else:
                    bits = self.widths[sel]
                    diffs.add(lambda: f"{self.owner(sel, a, 0, regions)} (memory {sel} addr {a}): "
                                      f"expected {to_signed(e, bits)}, got {to_signed(g, bits)}")
        return diffs.messages()


def differing_pixels(expected: int, got: int, banks: int):
    """``(bank, expected pixel, got pixel)`` of each 16-bit pixel (bank b: bits 16b..16b+15,
    unsigned) in which two stack words of ``banks`` pixels differ, lowest bank first."""
    for b in range(banks):
        ep, gp = (expected >> 16 * b) & 0xFFFF, (got >> 16 * b) & 0xFFFF
        if ep != gp:
            yield b, ep, gp


class ElementDiffs(list):
    """Messages naming wrong elements, the first ``limit`` of them; :meth:`add` counts every
    one, :meth:`messages` adds the total when some were left out."""

    def __init__(self, limit: int):
        super().__init__()
        self.limit, self.total = limit, 0

    def add(self, message) -> None:
        """One more wrong element; ``message()`` (called only while fewer than ``limit`` are
        kept) names it."""
        self.total += 1
        if len(self) < self.limit:
            self.append(message())

    def messages(self) -> list[str]:
        return list(self) + ([f"... {self.total} wrong elements in all"] if self.total > len(self) else [])


def place(rnd, sizes: list[int], depth: int) -> list[int]:
    """Random non-overlapping bases for regions of ``sizes`` words in ``depth`` words."""
    total = sum(sizes)
    if total > depth:
        raise ValueError(f"regions of {sizes} words do not fit in {depth}")
    slack = depth - total
    order = list(range(len(sizes)))
    rnd.shuffle(order)
    cuts = sorted(rnd.randint(0, slack) for _ in sizes)
    bases = [0] * len(sizes)
    pos, prev = 0, 0
    for k, i in enumerate(order):
        pos += cuts[k] - prev
        prev = cuts[k]
        bases[i] = pos
        pos += sizes[i]
    return bases
