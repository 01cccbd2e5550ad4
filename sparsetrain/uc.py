"""The UC unit's host interface (docs/uc_unit.md): RTL parameters, command, memory words.

What a host needs to talk to the UC unit, directly or through the top's descriptors:

* its parameters (:class:`UcParams`: memory depths, word widths, the sparse-list field widths),
* the mode, status and memory-select codes (:class:`Mode`, :class:`Status`, :class:`Sel`),
* one command (:class:`UcCommand`, field names = the fields of the unit's ``s_cmd_data``, :data:`CMD_FIELDS`),
* the layout of feature maps in the banked stack (:func:`map_to_words`, :func:`words_to_map`,
  :func:`pixel_flat_addr`).

What a command computes is modelled in :mod:`verif.models.uc`; the testbench's stimulus (a
command with its memory images, constrained-random layers) is in :mod:`verif.common.uc_stimulus`
and :mod:`verif.common.uc_random`.

Memory words are Python ints (unsigned, the memory's width); signed data is two's complement.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

import numpy as np

from sparsetrain.geometry import conv_out_size
from sparsetrain.sparse import SparseFormat
from sparsetrain.unit_cmds import UNIT_CMDS

class Mode(IntEnum):
    FWD = 0
    BWD_DATA = 1
    WGRAD = 2
    UPDATE = 3


class Status(IntEnum):
    OK = 0
    BAD_MODE = 1
    BAD_SHAPE = 2
    BAD_GEOMETRY = 3
    BAD_BUFFER = 4
    BAD_LIST = 5
    BAD_INDEX = 6


class Sel(IntEnum):
    """``hst_sel`` of the harness host port."""
    STACK = 0
    WGT = 1
    FIDX = 2
    BIDX = 3
    PTR = 4
    GRAD = 5
    BIAS = 6
    BGRAD = 7


#: Command fields and their widths in ``s_cmd_data``, in the order of docs/uc_unit.md (the
#: table of every unit: sparsetrain.unit_cmds.UNIT_CMDS).
CMD_FIELDS: dict[str, int] = UNIT_CMDS["uc"].widths

# ------------------------------------------------------------------------------- parameters
@dataclass(frozen=True)
class UcParams:
    """RTL parameters of uc_unit / the harness (defaults = docs/uc_unit.md)."""

    lanes: int = 8
    kmax: int = 11
    cmax: int = 256
    nmax: int = 256
    hmax: int = 256
    wmax: int = 256
    fm_depth: int = 4096
    wdepth: int = 65536
    pdepth: int = 1024
    bdepth: int = 1024
    engines: int = 1
    #: UPDATE engines: banks of the weight and gradient memories (engine k updates bank k)
    upd_banks: int = 1

    _HDL = {"LANES": "lanes", "KMAX": "kmax", "CMAX": "cmax", "NMAX": "nmax", "HMAX": "hmax",
            "WMAX": "wmax", "FM_DEPTH": "fm_depth", "WDEPTH": "wdepth", "PDEPTH": "pdepth",
            "BDEPTH": "bdepth", "ENGINES": "engines", "UPD_BANKS": "upd_banks"}

    @classmethod
    def from_hdl(cls, params: dict) -> "UcParams":
        """From HDL parameter names (``LANES``, ``FM_DEPTH``, ...); unknown names are ignored."""
        kw = {cls._HDL[k]: int(v) for k, v in params.items() if k in cls._HDL}
        return cls(**kw)

    def to_hdl(self) -> dict[str, int]:
        """HDL parameter names and values (``ENGINES`` and ``UPD_BANKS`` only when above 1: the
        other units' harnesses have no such parameters)."""
        return {k: getattr(self, v) for k, v in self._HDL.items()
                if (k != "ENGINES" or self.engines > 1) and (k != "UPD_BANKS" or self.upd_banks > 1)}

    @property
    def fmt(self) -> SparseFormat:
        return SparseFormat(kmax=self.kmax, cmax=self.cmax, nmax=self.nmax, wdepth=self.wdepth)

    @property
    def banks(self) -> int:
        return 2 * self.lanes

    @property
    def macs(self) -> int:
        """MAC lanes of the unit: ``ENGINES * LANES``."""
        return self.engines * self.lanes

    def row_words(self, w: int) -> int:
        """Stack words per map row: ``RW = ceil(W / 2L)``."""
        return -(-int(w) // self.banks)

    def map_words(self, c: int, h: int, w: int) -> int:
        return int(c) * int(h) * self.row_words(w)

    def depth(self, sel: Sel) -> int:
        return {Sel.STACK: self.fm_depth, Sel.PTR: self.pdepth, Sel.BIAS: self.bdepth,
                Sel.BGRAD: self.bdepth}.get(Sel(sel), self.wdepth)

    def width(self, sel: Sel) -> int:
        f = self.fmt
        return {Sel.STACK: 16 * self.banks, Sel.WGT: 16, Sel.FIDX: f.fwd_idx_w, Sel.BIDX: f.bwd_idx_w,
                Sel.PTR: f.ptr_w, Sel.GRAD: 32, Sel.BIAS: 32, Sel.BGRAD: 32}[Sel(sel)]


# ------------------------------------------------------------------------------ pre-scan
def scan_cycles(update: bool, counts) -> int:
    """Cycles of a command's pre-scan (rtl/uc_unit/uc_scan.v), exactly: two a pointer, one an index
    entry, one to pass, then two more when the last list is not empty (its last entry's read and
    registered compare are still in flight) or one when it is empty (the last pointer's registered
    range compare); UPDATE (``update``) reads pointers only: one a pointer plus three.  ``counts``:
    the non-zeros behind each pointer of the scanned list, in pointer order (the forward list's per
    filter; BWD_DATA's per input channel, or per channel and parity class at stride 2).  A command
    whose list is checked (uc_lcache) skips the scan and takes exactly this many cycles fewer.
    Raises ValueError on an empty list."""
    counts = np.asarray(counts)
    if counts.size == 0:
        raise ValueError("a list has at least one pointer")
    if update:
        return int(counts.size) + 3
    return 2 * int(counts.size) + int(counts.sum()) + 1 + (2 if int(counts[-1]) > 0 else 1)


# ------------------------------------------------------------------------------ engine array
def engine_chunk(nch: int, engines: int) -> int:
    """Channels an engine of the array takes: ``ceil(nch / engines)`` (rtl/uc_unit/uc_split.v)."""
    if nch < 1 or engines < 1:
        raise ValueError(f"need nch >= 1 and engines >= 1, got {nch}, {engines}")
    return -(-int(nch) // int(engines))


def engine_ranges(nch: int, engines: int) -> list[range]:
    """The channels each engine runs (docs/uc_unit.md "Engine array"): engine ``e`` takes
    ``range(e*chunk, min((e+1)*chunk, nch))`` (empty at the end), ``chunk`` =
    :func:`engine_chunk`; output channels in FWD / WGRAD, input channels in BWD_DATA."""
    ch = engine_chunk(nch, engines)
    return [range(min(e * ch, nch), min((e + 1) * ch, nch)) for e in range(int(engines))]


def engine_owner(ch: int, nch: int, engines: int) -> int:
    """The engine that runs channel ``ch`` of ``nch`` (whose GRAD / BGRAD copy holds filter ``ch``'s
    gradients after WGRAD).  Raises ValueError outside ``0 <= ch < nch``."""
    if not 0 <= ch < nch:
        raise ValueError(f"channel {ch} outside 0..{nch - 1}")
    return int(ch) // engine_chunk(nch, engines)


def engine_balanced_order(counts, engines: int) -> np.ndarray:
    """An order of the channels (``order[j]`` = the channel placed at position ``j``) that evens
    out the static split's work: the array gives engine ``e`` the contiguous positions of
    :func:`engine_ranges`, so the channels are dealt, largest first, to the engine whose taking it
    raises the busiest engine's work least (the least loaded one on a tie) that still has a free
    position (longest-processing-time first with the split's channel counts), and each engine's
    channels then fill its range (issue 14: filters of different non-zero counts make the engines
    wait on the busiest).

    ``counts``: the work of each channel, ``(C,)`` (a filter's non-zeros), or ``(C, P)`` for ``P``
    commands split over the same channels in the same order (:func:`order_work`: a conv's FWD and
    WGRAD, and the BWD_DATA of the conv that reads its output); then the sum over the commands of
    each one's busiest engine is what is evened out. The identity when that deal does not lower
    it (equal counts, one engine). Raises ValueError on ``engines < 1`` or no channel."""
    counts = np.asarray(counts, dtype=np.int64)
    if counts.ndim == 1:
        counts = counts[:, None]
    n = counts.shape[0]
    ranges = engine_ranges(n, engines)
    if engines == 1:
        return np.arange(n)
    caps = np.array([len(r) for r in ranges])
    bins: list[list[int]] = [[] for _ in caps]
    load = np.zeros((len(caps), counts.shape[1]), dtype=np.int64)
    taken = np.zeros(len(caps), dtype=np.int64)
    for ch in np.argsort(-counts.sum(axis=1), kind="stable"):
        peak = load.max(axis=0)
        cost = np.maximum(peak, load + counts[ch]).sum(axis=1)
        free = np.flatnonzero(taken < caps)
        # (the raised peak, then the engine's own load, then the lowest index)
        e = int(free[np.lexsort((free, load[free].sum(axis=1), cost[free]))[0]])
        bins[e].append(int(ch))
        load[e] += counts[ch]
        taken[e] += 1
    ident = sum(max(int(counts[r.start:r.stop, k].sum()) for r in ranges) for k in range(counts.shape[1]))
    if int(load.max(axis=0).sum()) >= ident:
        return np.arange(n)
    return np.array([ch for b in bins for ch in sorted(b)], dtype=np.int64)


def order_work(fwd_count, out_pixels: int, next_bwd=None, next_in_pixels: int = 0) -> np.ndarray:
    """What each output channel of a conv costs the engine array, for
    :func:`engine_balanced_order`: its filter's FWD and WGRAD, ``2 * fwd_count * out_pixels``
    (``(N, 1)``), and where a conv reads the map in BWD_DATA (directly or through a max pool),
    that BWD_DATA, split by the same channels: ``next_bwd * next_in_pixels`` (``(N, 2)``).
    ``fwd_count``: the conv's non-zeros per filter; ``out_pixels``: its output's H*W;
    ``next_bwd``: the reading conv's non-zeros per input channel; ``next_in_pixels``: its input's
    H*W (items are non-zeros times vectors, vectors about pixels / LANES on both sides)."""
    a = 2 * np.asarray(fwd_count, dtype=np.int64) * int(out_pixels)
    if next_bwd is None:
        return a[:, None]
    b = np.asarray(next_bwd, dtype=np.int64) * int(next_in_pixels)
    if b.shape != a.shape:
        raise ValueError(f"{a.size} filters, {b.size} input channels of the reading conv")
    return np.stack([a, b], axis=1)


# ------------------------------------------------------------------------------ stack maps
def map_to_words(x, lanes: int) -> list[int]:
    """Map ``(C, H, W)`` int16 -> stack words (``C*H*RW`` ints, bank ``b`` at bits ``16b+15:16b``).

    Word ``i`` goes to word address ``base + i``; pixels ``x >= W`` of a row's last word are 0.
    """
    x = np.asarray(x)
    if x.ndim != 3:
        raise ValueError(f"map must be (C, H, W), got {x.shape}")
    c, h, w = x.shape
    banks = 2 * lanes
    rw = -(-w // banks)
    p = np.zeros((c, h, rw * banks), dtype="<i2")
    p[:, :, :w] = x
    raw = p.reshape(c * h * rw, banks)
    return [int.from_bytes(row.tobytes(), "little") for row in raw]


def words_to_map(words, shape, lanes: int) -> np.ndarray:
    """Inverse of :func:`map_to_words`: stack words (from the map's base) -> ``(C, H, W)`` int16."""
    c, h, w = (int(v) for v in shape)
    banks = 2 * lanes
    rw = -(-w // banks)
    n = c * h * rw
    words = list(words)
    if len(words) < n:
        raise ValueError(f"need {n} words for a {shape} map, got {len(words)}")
    nbytes = 2 * banks
    buf = b"".join(int(v).to_bytes(nbytes, "little") for v in words[:n])
    p = np.frombuffer(buf, dtype="<i2").reshape(c, h, rw * banks)
    return p[:, :, :w].astype(np.int16)


def pixel_flat_addr(base: int, shape, c: int, y: int, x: int, lanes: int) -> int:
    """Flat pixel address ``(B + (c*H + y)*RW) * 2L + x`` (bank = addr % 2L, word = addr // 2L)."""
    _, h, w = shape
    banks = 2 * lanes
    return (base + (c * h + y) * (-(-w // banks))) * banks + x


def stack_images(base: int, x, lanes: int) -> dict[int, int]:
    """``{word address: word}`` of a map placed at ``base``."""
    return {base + i: v for i, v in enumerate(map_to_words(x, lanes))}


def to_u(v: int, bits: int) -> int:
    return int(v) & ((1 << bits) - 1)


def to_s(v: int, bits: int) -> int:
    v = int(v) & ((1 << bits) - 1)
    return v - (1 << bits) if v >> (bits - 1) else v


# --------------------------------------------------------------------------------- command
@dataclass
class UcCommand:
    """One UC command; field names are the command fields (:data:`CMD_FIELDS`)."""

    mode: int = Mode.FWD
    cin: int = 1
    cout: int = 1
    h: int = 1
    w: int = 1
    k: int = 1
    stride: int = 1
    dil: int = 1
    pad: int = 0
    shift: int = 0
    relu: int = 0
    bgrad: int = 0
    gacc: int = 0
    x_base: int = 0
    y_base: int = 0
    fptr_base: int = 0
    bptr_base: int = 0
    bias_base: int = 0
    lr_mult: int = 0
    lr_shift: int = 0
    lr_mult_b: int = 0
    lr_shift_b: int = 0
    #: 1: the maps are stored flat (docs/uc_unit.md "Flat small maps": channel c's H*W pixels as
    #: one row, pixel (y, x) at column y*W + x); legal at stride 1 with W a power of two <= LANES
    #: and an output as large as the input (2*pad = dil*(K-1)), else BAD_GEOMETRY
    flat: int = 0
    #: BWD_DATA with ``relu`` = 1: the ReLU backward of the layer's input in the same pass
    #: (docs/uc_unit.md "ReLU backward in BWD_DATA"): dX is kept only where the map at ``m_base``
    #: (the layer's forward input X, stored as dX is) is > 0, else 0. Other modes ignore it.
    m_base: int = 0

    def ports(self) -> dict[str, int]:
        """``{field: unsigned value}`` masked to the field widths (packed into ``s_cmd_data`` by the BFM)."""
        return {f: to_u(getattr(self, f), wd) for f, wd in CMD_FIELDS.items()}

    @property
    def ho(self) -> int:
        if self.stride < 1 or self.dil < 1:
            raise ValueError("stride and dilation must be >= 1")
        return conv_out_size(self.h, self.k, self.stride, self.pad, self.dil)

    @property
    def wo(self) -> int:
        if self.stride < 1 or self.dil < 1:
            raise ValueError("stride and dilation must be >= 1")
        return conv_out_size(self.w, self.k, self.stride, self.pad, self.dil)

    def store_shape(self, shape) -> tuple[int, int, int]:
        """How a map ``(C, H, W)`` of this command lies in the stack: itself, or ``(C, 1, H*W)``
        for a flat command."""
        c, h, w = (int(v) for v in shape)
        return (c, 1, h * w) if self.flat else (c, h, w)

    def flat_legal(self, lanes: int, hmax: int = 256) -> bool:
        """The geometry a flat command needs (the RTL refuses any other with BAD_GEOMETRY):
        stride 1, W a power of two <= ``lanes``, output size = input size, and
        ``hmax * lanes <= 65535`` (the unit's parameters)."""
        w = int(self.w)
        return (self.stride == 1 and 1 <= self.dil <= 4 and w >= 1 and w & (w - 1) == 0
                and w <= lanes and 2 * self.pad == self.dil * (self.k - 1) and hmax * lanes <= 65535)

    @property
    def x_shape(self) -> tuple[int, int, int]:
        return (self.cin, self.h, self.w)

    @property
    def y_shape(self) -> tuple[int, int, int]:
        return (self.cout, self.ho, self.wo)

    def mode_name(self) -> str:
        try:
            return Mode(self.mode).name
        except ValueError:
            return f"mode{self.mode}"
