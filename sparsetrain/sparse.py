"""Sparse weight format: pruning, encoding to forward/backward lists, packing to memory words.

The one pruning function of the project is :func:`prune` (threshold and balanced rules); the host
uses it to prune a network (:func:`sparsetrain.net.quantize_params`), the testbench to draw random
kernels; :mod:`verif.models` re-exports it.

The format is specified in ``docs/sparse-format.md``.  In short:

* The **weight memory** holds the non-zero values in forward-list order; a weight's address
  there is its position in the forward list.
* The **forward list** (CSR, grouped by output channel n) gives per n a ``(start, count)`` and per
  non-zero the indirect address ``(kx, ky, c)``; inside a channel entries are sorted by
  ``(c, ky, kx)``.
* The **backward list** (grouped by input channel c) gives per c a ``(start, count)`` and per
  non-zero ``(kx, ky, n, waddr)``, where ``waddr`` points into the same weight memory, so an
  update of a weight is seen by both passes.  Inside a channel entries are sorted by ``(n, ky, kx)``.

Point-wise, depth-wise, large-kernel and atrous convolutions all use this one format: they are
only other patterns of non-zeros (depth-wise = block-diagonal in (n, c)) and other offsets.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from sparsetrain.numerics import is_float


def split_dil(stride: int, dil: int) -> int | None:
    """The ``split_dil`` of a layer's backward list (:meth:`SparseWeights.pack`): its dilation at
    stride 2, where the UC unit reads the list split by parity (four pointers per input channel,
    docs/sparse-format.md), else None (one pointer a channel)."""
    return int(dil) if stride == 2 else None


def parity_class(kx, ky, dil):
    """Parity class ``q = 2 * ((ky * dil) & 1) + ((kx * dil) & 1)`` (0..3) of kernel offsets
    ``(kx, ky)`` (ints or int arrays): the (row, column) parity of the input-gradient pixels such an
    entry reaches at stride 2."""
    return 2 * ((ky * dil) & 1) + ((kx * dil) & 1)


def parity_rows(h: int, pad: int) -> list[int]:
    """Rows of an ``h``-row input-gradient map that the list of parity class q = 0..3 runs over at
    stride 2: ``y0, y0 + 2, ...`` with ``y0 = q[1] ^ pad[0]`` (docs/uc_unit.md, stride 2)."""
    return [len(range((q >> 1) ^ (pad & 1), h, 2)) for q in range(4)]


def clog2(x: int) -> int:
    """Bits needed to hold the values 0..x-1 (at least 1), as Verilog's $clog2 with a floor of 1."""
    return max(1, (int(x) - 1).bit_length())


@dataclass(frozen=True)
class SparseFormat:
    """RTL parameters that fix the field widths of the packed lists (defaults = RTL defaults).

    Attributes:
        kmax: largest kernel size K (kx, ky < kmax).
        cmax: largest number of input channels (c < cmax).
        nmax: largest number of output channels (n < nmax).
        wdepth: weight/index memory depth in entries (addresses < wdepth).
    """

    kmax: int = 11
    cmax: int = 256
    nmax: int = 256
    wdepth: int = 1 << 16

    def _bits_below(bound: str, what: str) -> property:  # noqa: N805 (class-body helper)
        """The width of a field holding values below the attribute ``bound``: clog2 of it."""
        return property(lambda self: clog2(getattr(self, bound)), doc=f"Bits of {what} (< {bound}).")

    k_w = _bits_below("kmax", "a kernel coordinate kx, ky")
    c_w = _bits_below("cmax", "an input channel c")
    n_w = _bits_below("nmax", "an output channel n")
    addr_w = _bits_below("wdepth", "a weight/index memory address")
    del _bits_below

    @property
    def cnt_w(self) -> int:
        """A count may equal wdepth, so it needs one bit more than an address."""
        return self.addr_w + 1

    @property
    def fwd_idx_w(self) -> int:
        return 2 * self.k_w + self.c_w

    @property
    def bwd_idx_w(self) -> int:
        return 2 * self.k_w + self.n_w + self.addr_w

    @property
    def ptr_w(self) -> int:
        return self.addr_w + self.cnt_w


@dataclass
class PackedLists:
    """Memory images of one layer's sparse weights (Python ints, one per memory word).

    ``wgt[a]`` 16-bit value (two's complement, stored as unsigned) at weight address ``a``;
    ``fwd_idx[a]`` index word of the same entry; ``fwd_ptr[n]``; ``bwd_idx[b]``; ``bwd_ptr[c]`` (stride-2 layers: ``bwd_ptr[4 * c + q]``, split by parity).
    Addresses inside the words are absolute (layer base already added).
    """

    fmt: SparseFormat
    shape: tuple
    w_base: int
    wgt: list = field(default_factory=list)
    fwd_idx: list = field(default_factory=list)
    fwd_ptr: list = field(default_factory=list)
    bwd_idx: list = field(default_factory=list)
    bwd_ptr: list = field(default_factory=list)


@dataclass
class SparseWeights:
    """Non-zero weights of a convolution kernel of shape ``(N, C, K, K)`` in both list orders.

    Arrays of length nnz (forward order): ``values`` (int16, or float64 in float mode),
    ``fwd_kx``, ``fwd_ky``, ``fwd_c``, ``fwd_n``.  Per output channel: ``fwd_start``, ``fwd_count``.
    Arrays of length nnz (backward order): ``bwd_waddr`` (index into ``values``), ``bwd_kx``,
    ``bwd_ky``, ``bwd_n``, ``bwd_c``.  Per input channel: ``bwd_start``, ``bwd_count``.
    """

    shape: tuple
    values: np.ndarray
    fwd_kx: np.ndarray
    fwd_ky: np.ndarray
    fwd_c: np.ndarray
    fwd_n: np.ndarray
    fwd_start: np.ndarray
    fwd_count: np.ndarray
    bwd_waddr: np.ndarray
    bwd_kx: np.ndarray
    bwd_ky: np.ndarray
    bwd_n: np.ndarray
    bwd_c: np.ndarray
    bwd_start: np.ndarray
    bwd_count: np.ndarray

    @property
    def nnz(self) -> int:
        return int(self.values.size)

    @property
    def kernel(self) -> int:
        return int(self.shape[2])

    @property
    def sparsity(self) -> float:
        """Fraction of pruned (zero) weights, 0.0 for dense and 1.0 for all-zero."""
        total = int(np.prod(self.shape))
        return 1.0 - self.nnz / total if total else 0.0

    def to_dense(self) -> np.ndarray:
        """Decode back to a dense ``(N, C, K, K)`` kernel of the values' dtype."""
        w = np.zeros(self.shape, dtype=self.values.dtype)
        w[self.fwd_n, self.fwd_c, self.fwd_ky, self.fwd_kx] = self.values
        return w

    def with_values(self, values) -> "SparseWeights":
        """Same lists, new weight values (as after an SGD update; the mask stays fixed)."""
        values = np.asarray(values)
        if values.shape != self.values.shape:
            raise ValueError(f"values must have shape {self.values.shape}, got {values.shape}")
        return replace(self, values=values.copy())

    def permuted(self, n_order=None, c_order=None) -> "SparseWeights":
        """The same kernel with its output and input channels reordered: new filter ``j`` is old
        filter ``n_order[j]``, new input channel ``j`` old channel ``c_order[j]`` (None: unchanged).
        Every entry stays an entry (a zero value too: the mask is kept), in the forward and
        backward list orders of the new indices.

        Raises:
            ValueError: an order that is not a permutation of ``range(N)`` / ``range(C)``.
        """
        n_out, c_in = self.shape[0], self.shape[1]
        inv = []
        for order, size, what in ((n_order, n_out, "n_order"), (c_order, c_in, "c_order")):
            o = np.arange(size) if order is None else np.asarray(order, dtype=np.int64)
            if o.shape != (size,) or not np.array_equal(np.sort(o), np.arange(size)):
                raise ValueError(f"{what} must be a permutation of range({size})")
            inv.append(np.argsort(o))
        return _from_entries(self.shape, inv[0][self.fwd_n], inv[1][self.fwd_c], self.fwd_ky,
                             self.fwd_kx, self.values)

    def bwd_parity(self, dil: int) -> np.ndarray:
        """Parity class ``q = 2 * ((ky * dil) & 1) + ((kx * dil) & 1)`` of every backward entry
        (backward order, int64, values 0..3): the (row, column) parity of the input-gradient pixels
        the entry reaches at stride 2 (docs/sparse-format.md "Stride 2: backward lists split by
        parity"). Raises ValueError for a dilation outside 1..4."""
        if not 1 <= int(dil) <= 4:
            raise ValueError(f"dilation must be 1..4, got {dil}")
        return parity_class(self.bwd_kx, self.bwd_ky, dil)

    def bwd_lists(self, split_dil: int | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The backward list as the memory holds it: ``(order, start, count)``.

        ``order`` (int64, length nnz) lists backward entries (indices into the ``bwd_*`` arrays)
        in memory order; ``start`` / ``count`` (int64) are the pointers, relative to the list's
        first entry. Without ``split_dil`` that is the backward order and one pointer per input
        channel (length C). With ``split_dil`` = the layer's dilation (stride-2 layers), each
        channel's entries are grouped by :meth:`bwd_parity` (stable inside a group) and there are
        four pointers per channel, pointer ``4 * c + q`` for parity class ``q`` (length 4C; empty
        classes have count 0), so the RTL visits only the entries that reach a pixel.
        """
        nnz, c_in = self.nnz, int(self.shape[1])
        if split_dil is None:
            return np.arange(nnz, dtype=np.int64), self.bwd_start.copy(), self.bwd_count.copy()
        group = 4 * self.bwd_c + self.bwd_parity(split_dil)
        order = np.argsort(group, kind="stable").astype(np.int64)
        count = np.bincount(group, minlength=4 * c_in).astype(np.int64)
        start = np.concatenate([[0], np.cumsum(count)[:-1]]).astype(np.int64)
        return order, start, count

    def pack(self, fmt: SparseFormat = SparseFormat(), w_base: int = 0, b_base: int = 0,
             split_dil: int | None = None) -> PackedLists:
        """Pack into memory words (see docs/sparse-format.md for the bit layout).

        Args:
            fmt: field widths (RTL parameters).
            w_base: address of this layer's first entry in the weight / forward-index memory.
            b_base: address of this layer's first entry in the backward-index memory.
            split_dil: for a stride-2 layer, its dilation: the backward list is split by parity,
                four pointers per input channel (:meth:`bwd_lists`); None: one pointer a channel.
        Raises:
            ValueError: float values, a field that does not fit its width, or a dilation outside
                1..4.
        """
        if is_float(self.values):
            raise ValueError("only int16 weights can be packed (quantize first)")
        n_out, c_in, k, _ = self.shape
        _check_fits(fmt, self.shape, w_base + self.nnz, b_base + self.nnz)
        kw, nw, aw = fmt.k_w, fmt.n_w, fmt.addr_w
        p = PackedLists(fmt=fmt, shape=tuple(self.shape), w_base=w_base)
        p.wgt = [int(v) & 0xFFFF for v in self.values]
        p.fwd_idx = [int(kx) | (int(ky) << kw) | (int(c) << (2 * kw))
                     for kx, ky, c in zip(self.fwd_kx, self.fwd_ky, self.fwd_c)]
        p.fwd_ptr = [(w_base + int(s)) | (int(n) << aw) for s, n in zip(self.fwd_start, self.fwd_count)]
        order, b_start, b_count = self.bwd_lists(split_dil)
        p.bwd_idx = [int(self.bwd_kx[b]) | (int(self.bwd_ky[b]) << kw) | (int(self.bwd_n[b]) << (2 * kw))
                     | ((w_base + int(self.bwd_waddr[b])) << (2 * kw + nw)) for b in order]
        p.bwd_ptr = [(b_base + int(s)) | (int(n) << aw) for s, n in zip(b_start, b_count)]
        return p

    @classmethod
    def unpack(cls, p: PackedLists, b_base: int = 0, split_dil: int | None = None) -> "SparseWeights":
        """Inverse of :meth:`pack` (same ``b_base`` and ``split_dil``): rebuild the lists from memory
        words, validating every field (and, split, every entry's parity class). Raises ValueError."""
        fmt = p.fmt
        kw, nw, aw = fmt.k_w, fmt.n_w, fmt.addr_w
        kmask, cmask, nmask, amask = (1 << kw) - 1, (1 << fmt.c_w) - 1, (1 << nw) - 1, (1 << aw) - 1
        vals = np.array([v - 0x10000 if v & 0x8000 else v for v in p.wgt], dtype=np.int16)
        fwd = np.array([(i & kmask, (i >> kw) & kmask, (i >> 2 * kw) & cmask) for i in p.fwd_idx],
                       dtype=np.int64).reshape(-1, 3)
        dense = np.zeros(p.shape, dtype=np.int16)
        n_out, c_in, k, _ = p.shape
        for n, word in enumerate(p.fwd_ptr):
            start, count = (word & amask) - p.w_base, word >> aw
            for a in range(start, start + count):
                kx, ky, c = fwd[a]
                if kx >= k or ky >= k or c >= c_in:
                    raise ValueError(f"forward index entry {a} ({kx},{ky},{c}) outside kernel {p.shape}")
                dense[n, c, ky, kx] = vals[a]
        sw = encode_sparse(dense)
        # The backward list must describe the same weights, each exactly once.
        seen = []
        groups = 1 if split_dil is None else 4
        if len(p.bwd_ptr) != groups * c_in:
            raise ValueError(f"{len(p.bwd_ptr)} backward pointers, expected {groups * c_in}")
        for g, word in enumerate(p.bwd_ptr):
            c = g // groups
            start, count = (word & amask) - b_base, word >> aw
            for b in range(start, start + count):
                i = p.bwd_idx[b]
                kx, ky = i & kmask, (i >> kw) & kmask
                n, a = (i >> 2 * kw) & nmask, ((i >> (2 * kw + nw)) & amask) - p.w_base
                if fwd[a][0] != kx or fwd[a][1] != ky or fwd[a][2] != c or dense[n, c, ky, kx] != vals[a]:
                    raise ValueError(f"backward entry {b} does not match forward entry {a}")
                if groups == 4 and parity_class(kx, ky, split_dil) != g % 4:
                    raise ValueError(f"backward entry {b} ({kx},{ky}) is in parity list {g % 4} of "
                                     f"channel {c}, not its own")
                seen.append(a)
        if sorted(seen) != list(range(len(p.wgt))):
            raise ValueError("backward list does not cover every forward entry exactly once")
        return sw


def _check_fits(fmt: SparseFormat, shape, w_end: int, b_end: int) -> None:
    n_out, c_in, k, _ = shape
    if k > fmt.kmax:
        raise ValueError(f"kernel {k}x{k} too big for the index fields (kmax={fmt.kmax})")
    if c_in > fmt.cmax:
        raise ValueError(f"{c_in} input channels too many for the index fields (cmax={fmt.cmax})")
    if n_out > fmt.nmax:
        raise ValueError(f"{n_out} output channels too many for the index fields (nmax={fmt.nmax})")
    if w_end > fmt.wdepth or b_end > fmt.wdepth:
        raise ValueError(f"list end {max(w_end, b_end)} exceeds the weight memory depth {fmt.wdepth}")


def _check_kernel(w) -> np.ndarray:
    w = np.asarray(w)
    if w.ndim != 4:
        raise ValueError(f"kernel must have shape (N, C, K, K), got ndim={w.ndim}")
    if w.shape[2] != w.shape[3]:
        raise ValueError(f"kernel must be square, got {w.shape[2]}x{w.shape[3]}")
    if w.shape[2] < 1:
        raise ValueError("kernel size must be >= 1")
    if not (is_float(w) or w.dtype == np.int16):
        raise ValueError(f"kernel dtype must be int16 or floating, got {w.dtype}")
    return w


RULES = ("threshold", "balanced")


def prune(w, sparsity: float, rule: str = "threshold"):
    """Prune a kernel ``(N, C, K, K)`` (int16 or float) to about ``sparsity``; same shape and dtype
    (the threshold rule takes an array of any shape).

    ``sparsity`` is the fraction of weights to zero, in [0, 1] (0: a copy, 1: all zero).

    * ``threshold``: magnitude threshold over the whole kernel, ``|w| < rho`` becomes 0, with
      ``rho`` the ``sparsity`` quantile of ``|w|`` taken as the magnitude at sorted position
      ``ceil(sparsity * (size - 1))`` (numpy's ``method="higher"``: rho is one of the weights'
      magnitudes). Weights equal to rho are kept, so ties may keep a few more than asked.
    * ``balanced``: filter-wise (SENTEI-style), every output filter ``w[n]`` keeps its
      ``round((1 - sparsity) * C*K*K)`` largest-magnitude weights, the count rounded half to
      even (Python's ``round``: 2.5 -> 2, 3.5 -> 4; the rule every recorded result uses); ties in
      magnitude: the lower flat index ``(c, ky, kx)`` wins. Weights that are already zero stay
      zero, so a filter may end up with fewer non-zeros.
    """
    if not 0.0 <= sparsity <= 1.0:
        raise ValueError(f"sparsity must be in [0, 1], got {sparsity}")
    if rule == "balanced":
        return _prune_balanced(_check_kernel(w), sparsity)
    w = np.asarray(w)
    if rule != "threshold":
        raise ValueError(f"pruning rule must be one of {', '.join(RULES)}, got {rule!r}")
    if sparsity == 0:
        return w.copy()
    if sparsity == 1:
        return np.zeros_like(w)
    rho = float(np.quantile(np.abs(w.astype(np.float64)), sparsity, method="higher"))
    return _prune_below(w, rho)


def _prune_below(w, rho):
    """The threshold itself: weights with ``|w| < rho`` become 0.  Same shape and dtype as ``w``."""
    w = np.asarray(w)
    out = w.copy()
    out[np.abs(w.astype(np.float64)) < rho] = 0
    return out


def _prune_balanced(w, sparsity: float):
    n_out = w.shape[0]
    per = int(np.prod(w.shape[1:]))
    keep = int(round((1.0 - sparsity) * per))
    flat = w.reshape(n_out, per)
    out = np.zeros_like(flat)
    mag = np.abs(flat.astype(np.float64))
    for n in range(n_out):
        order = np.argsort(-mag[n], kind="stable")[:keep]
        out[n, order] = flat[n, order]
    return out.reshape(w.shape)


def depthwise_dense(w_dw) -> np.ndarray:
    """Depth-wise kernel ``(C, 1, K, K)`` -> block-diagonal dense kernel ``(C, C, K, K)``."""
    w_dw = np.asarray(w_dw)
    if w_dw.ndim != 4 or w_dw.shape[1] != 1:
        raise ValueError(f"depth-wise kernel must have shape (C, 1, K, K), got {w_dw.shape}")
    c = w_dw.shape[0]
    out = np.zeros((c, c) + w_dw.shape[2:], dtype=w_dw.dtype)
    out[np.arange(c), np.arange(c)] = w_dw[:, 0]
    return out


def depthwise_compact(w) -> np.ndarray:
    """Inverse of :func:`depthwise_dense`: block-diagonal ``(C, C, K, K)`` -> ``(C, 1, K, K)`` (the
    ONNX ``group = C`` weight layout). Raises ValueError if the kernel is not square in C or has a
    non-zero weight off the diagonal blocks."""
    w = np.asarray(w)
    if w.ndim != 4 or w.shape[0] != w.shape[1]:
        raise ValueError(f"a depth-wise dense kernel must have shape (C, C, K, K), got {w.shape}")
    c = w.shape[0]
    diag = w[np.arange(c), np.arange(c)][:, None].copy()
    if np.count_nonzero(w) != np.count_nonzero(diag):
        raise ValueError("depth-wise kernel has non-zero weights off its diagonal blocks")
    return diag


def encode_sparse(w, rho=None) -> SparseWeights:
    """Encode a dense kernel into forward and backward lists.

    Args:
        w: dense kernel ``(N, C, K, K)``, int16 (integer mode) or floating (float mode).
        rho: optional pruning threshold; ``|w| < rho`` is pruned before encoding.
    Returns:
        SparseWeights holding only the non-zero weights (values keep int16, floats become float64).
    Raises:
        ValueError: wrong rank, non-square kernel, or a dtype other than int16 / floating.
    """
    w = _check_kernel(w)
    if rho is not None:
        w = _prune_below(w, rho)
    # np.nonzero walks in C order: n, then c, ky, kx -- exactly the forward-list order.
    fn, fc, fky, fkx = (a.astype(np.int64) for a in np.nonzero(w))
    values = w[fn, fc, fky, fkx]
    values = values.astype(np.float64) if is_float(w) else values.astype(np.int16)
    return _from_entries(w.shape, fn, fc, fky, fkx, values)


def encode_dense(w) -> SparseWeights:
    """Encode a dense kernel with **every** entry kept, zeros too (a layer that is not pruned, such
    as the Linear classifier run on the UC unit as a 1 x 1 convolution: an entry whose value
    becomes 0 must still be trained, so it stays in the lists).

    Args:
        w: dense kernel ``(N, C, K, K)``, int16 or floating.
    Returns:
        SparseWeights with ``nnz = N*C*K*K``, values in C order (``w.ravel()``, the forward-list
        order).
    Raises:
        ValueError: as :func:`encode_sparse`.
    """
    w = _check_kernel(w)
    fn, fc, fky, fkx = (a.ravel().astype(np.int64) for a in np.indices(w.shape))
    values = w.ravel()
    values = values.astype(np.float64) if is_float(w) else values.astype(np.int16)
    return _from_entries(w.shape, fn, fc, fky, fkx, values)


def _from_entries(shape, fn, fc, fky, fkx, values) -> SparseWeights:
    """SparseWeights of the entries ``(fn, fc, fky, fkx) = values`` (any order, no duplicates),
    sorted into the forward order (n, c, ky, kx) with the backward lists beside."""
    n_out, c_in, k, _ = shape
    fn, fc, fky, fkx = (np.asarray(a, dtype=np.int64) for a in (fn, fc, fky, fkx))
    order = np.lexsort((fkx, fky, fc, fn))
    fn, fc, fky, fkx = fn[order], fc[order], fky[order], fkx[order]
    values = np.asarray(values)[order]
    fwd_count = np.bincount(fn, minlength=n_out).astype(np.int64)
    fwd_start = np.concatenate([[0], np.cumsum(fwd_count)[:-1]]).astype(np.int64)
    # Backward order: c, then n, ky, kx.
    border = np.lexsort((fkx, fky, fn, fc))
    bwd_count = np.bincount(fc, minlength=c_in).astype(np.int64)
    bwd_start = np.concatenate([[0], np.cumsum(bwd_count)[:-1]]).astype(np.int64)
    return SparseWeights(
        shape=(n_out, c_in, k, k), values=values,
        fwd_kx=fkx, fwd_ky=fky, fwd_c=fc, fwd_n=fn, fwd_start=fwd_start, fwd_count=fwd_count,
        bwd_waddr=border.astype(np.int64), bwd_kx=fkx[border], bwd_ky=fky[border],
        bwd_n=fn[border], bwd_c=fc[border], bwd_start=bwd_start, bwd_count=bwd_count,
    )
