"""Host-side helpers for the UC unit (docs/uc_unit.md): memory images, commands, expected results.

No simulator is needed here; the cocotb testbench (verif/tests/test_uc_unit.py), the bench
(bench/uc_unit.py) and later the top-level driver use these to

* lay out feature maps in the banked stack (:func:`map_to_words`, :func:`words_to_map`),
* place a layer's sparse lists, pointer tables, biases and gradients (:class:`UcLayer.images`),
* describe one command (:class:`UcCommand`, field names = the ``s_cmd_*`` ports without prefix),
* compute what the unit must leave in memory (:meth:`UcCommand.expected`,
  :meth:`UcLayer.expected_images`) with the bit-exact models of :mod:`verif.models`,
* build constrained-random layers (:func:`random_layer`).

Memory words are Python ints (unsigned, the memory's width); signed data is two's complement.
"""

from __future__ import annotations

import random as _random
from dataclasses import dataclass, field, fields, replace
from enum import IntEnum

import numpy as np

from verif.models import (SparseFormat, SparseWeights, bias_grad, conv_backward_data,
                          conv_forward, conv_out_size, conv_weight_grad, depthwise_dense,
                          encode_sparse, grad_accumulate, prune, prune_balanced, sgd_update)


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


#: Command fields and their port widths (``s_cmd_<name>``), in the order of docs/uc_unit.md.
CMD_FIELDS: dict[str, int] = {
    "mode": 3, "cin": 16, "cout": 16, "h": 16, "w": 16, "k": 8,
    "stride": 8, "dil": 8, "pad": 8, "shift": 8, "relu": 1, "bgrad": 1, "gacc": 1,
    "x_base": 32, "y_base": 32, "fptr_base": 32, "bptr_base": 32, "bias_base": 32,
    "lr_mult": 16, "lr_shift": 6, "lr_mult_b": 16, "lr_shift_b": 6,
}

PIPE_DEPTH = 8  # docs/uc_unit.md: "pipeline depth (~8)"


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

    _HDL = {"LANES": "lanes", "KMAX": "kmax", "CMAX": "cmax", "NMAX": "nmax", "HMAX": "hmax",
            "WMAX": "wmax", "FM_DEPTH": "fm_depth", "WDEPTH": "wdepth", "PDEPTH": "pdepth",
            "BDEPTH": "bdepth"}

    @classmethod
    def from_hdl(cls, params: dict) -> "UcParams":
        """From HDL parameter names (``LANES``, ``FM_DEPTH``, ...); unknown names are ignored."""
        kw = {cls._HDL[k]: int(v) for k, v in params.items() if k in cls._HDL}
        return cls(**kw)

    def to_hdl(self) -> dict[str, int]:
        return {k: getattr(self, v) for k, v in self._HDL.items()}

    @property
    def fmt(self) -> SparseFormat:
        return SparseFormat(kmax=self.kmax, cmax=self.cmax, nmax=self.nmax, wdepth=self.wdepth)

    @property
    def banks(self) -> int:
        return 2 * self.lanes

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
    """One UC command; field names are the ``s_cmd_*`` ports without the prefix."""

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

    def ports(self) -> dict[str, int]:
        """``{field: unsigned value}`` masked to the port widths."""
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

    def expected(self, sw: SparseWeights, x=None, dy=None, bias=None, grad=None, bgrad=None) -> dict:
        """What the command computes, with the models.

        Args:
            sw: the layer's sparse weights (current values = WGT contents).
            x: ``(C, H, W)`` int16 (FWD, WGRAD); dy: ``(N, Ho, Wo)`` int16 (BWD_DATA, WGRAD).
            bias: ``(N,)`` int32 BIAS contents (FWD, UPDATE); None = zeros.
            grad: ``(nnz,)`` int32 old GRAD at the weight addresses (WGRAD gacc, UPDATE).
            bgrad: ``(N,)`` int32 old BGRAD (WGRAD gacc, UPDATE).
        Returns:
            FWD ``{"y": (N, Ho, Wo) int16}``; BWD_DATA ``{"dx": (C, H, W) int16}``;
            WGRAD ``{"grad": (nnz,) int32, "bgrad": (N,) int32 or None}`` (new memory contents);
            UPDATE ``{"wgt": (nnz,) int16, "bias": (N,) int32, "grad": zeros, "bgrad": zeros}``.
        """
        n_out = sw.shape[0]
        z32n = np.zeros(n_out, dtype=np.int32)
        bias = z32n if bias is None else np.asarray(bias, dtype=np.int64)
        grad = np.zeros(sw.nnz, dtype=np.int32) if grad is None else np.asarray(grad, dtype=np.int32)
        bgrad = z32n if bgrad is None else np.asarray(bgrad, dtype=np.int32)
        geo = dict(stride=self.stride, pad=self.pad, dilation=self.dil)
        mode = Mode(self.mode)
        if mode == Mode.FWD:
            return {"y": conv_forward(x, sw, bias=bias, relu=bool(self.relu), shift=self.shift, **geo)}
        if mode == Mode.BWD_DATA:
            return {"dx": conv_backward_data(dy, sw, self.x_shape, shift=self.shift, **geo)}
        if mode == Mode.WGRAD:
            g = conv_weight_grad(x, dy, sw, shift=self.shift, **geo)
            new_g = grad_accumulate(grad, g) if self.gacc else g.astype(np.int32)
            new_b = None
            if self.bgrad:
                db = bias_grad(dy, shift=self.shift)
                new_b = grad_accumulate(bgrad, db) if self.gacc else db.astype(np.int32)
            return {"grad": new_g, "bgrad": new_b}
        if mode == Mode.UPDATE:
            wgt = sgd_update(sw.values, grad, self.lr_mult, self.lr_shift)
            b = sgd_update(bias, bgrad, self.lr_mult_b, self.lr_shift_b, bits=32)
            return {"wgt": wgt, "bias": b, "grad": np.zeros(sw.nnz, dtype=np.int32), "bgrad": z32n.copy()}
        raise ValueError(f"no model for mode {self.mode}")


# ---------------------------------------------------------------------------------- layer
@dataclass
class Region:
    """A named range of one memory (for readback, guards and error messages)."""
    name: str
    sel: Sel
    base: int
    nwords: int
    shape: tuple | None = None     # (C, H, W) for a stack map; None for lists / vectors

    @property
    def end(self) -> int:
        return self.base + self.nwords

    def addrs(self) -> range:
        return range(self.base, self.end)


@dataclass
class UcLayer:
    """A command plus everything in memory it reads: the unit's complete stimulus.

    ``x`` is X (FWD, WGRAD), ``dy`` is dY (BWD_DATA, WGRAD); ``bias``/``bgrad`` per output
    channel, ``grad`` per weight (old GRAD contents).  ``w_base``/``b_base`` place the lists.
    ``background`` (``{Sel: {addr: word}}``) is loaded first: garbage around and under the
    regions the command writes, to catch stray or missing writes.
    """

    cmd: UcCommand
    sw: SparseWeights
    params: UcParams = field(default_factory=UcParams)
    x: np.ndarray | None = None
    dy: np.ndarray | None = None
    bias: np.ndarray | None = None
    grad: np.ndarray | None = None
    bgrad: np.ndarray | None = None
    w_base: int = 0
    b_base: int = 0
    background: dict = field(default_factory=dict)
    tags: dict = field(default_factory=dict)   # generator knobs (sparsity, pruning, kind, ...)

    def __post_init__(self):
        n = self.sw.shape[0]
        if self.bias is None:
            self.bias = np.zeros(n, dtype=np.int32)
        if self.grad is None:
            self.grad = np.zeros(self.sw.nnz, dtype=np.int32)
        if self.bgrad is None:
            self.bgrad = np.zeros(n, dtype=np.int32)

    # -- geometry
    @property
    def mode(self) -> Mode | int:
        """The command's mode (a plain int for the illegal modes 4..7)."""
        try:
            return Mode(self.cmd.mode)
        except ValueError:
            return int(self.cmd.mode)

    @property
    def nnz(self) -> int:
        return self.sw.nnz

    def with_cmd(self, **kw) -> "UcLayer":
        return replace(self, cmd=replace(self.cmd, **kw))

    # -- memory regions
    def regions(self) -> dict[str, Region]:
        """Every region the command reads or writes (keys: x, y, wgt, fidx, bidx, fptr, bptr,
        bias, grad, bgrad).  ``x`` is X / dX, ``y`` is Y / dY."""
        p, c = self.params, self.cmd
        n, ci = self.sw.shape[0], self.sw.shape[1]
        r = {
            "wgt": Region("WGT", Sel.WGT, self.w_base, self.nnz),
            "fidx": Region("FIDX", Sel.FIDX, self.w_base, self.nnz),
            "bidx": Region("BIDX", Sel.BIDX, self.b_base, self.nnz),
            "grad": Region("GRAD", Sel.GRAD, self.w_base, self.nnz),
            "fptr": Region("FWD_PTR", Sel.PTR, c.fptr_base, n),
            "bptr": Region("BWD_PTR", Sel.PTR, c.bptr_base, ci),
            "bias": Region("BIAS", Sel.BIAS, c.bias_base, n),
            "bgrad": Region("BGRAD", Sel.BGRAD, c.bias_base, n),
        }
        xs = (ci, c.h, c.w)
        r["x"] = Region("dX" if self.mode == Mode.BWD_DATA else "X", Sel.STACK, c.x_base,
                        p.map_words(*xs), xs)
        try:
            ys = (n, c.ho, c.wo)
            r["y"] = Region("Y" if self.mode == Mode.FWD else "dY", Sel.STACK, c.y_base,
                            p.map_words(*ys), ys)
        except ValueError:
            pass
        return r

    def reads(self) -> list[str]:
        return {Mode.FWD: ["x", "fptr", "fidx", "wgt", "bias"],
                Mode.BWD_DATA: ["y", "bptr", "bidx", "wgt"],
                Mode.WGRAD: ["x", "y", "fptr", "fidx", "grad"] + (["bgrad"] if self.cmd.bgrad else []),
                Mode.UPDATE: ["fptr", "fidx", "wgt", "grad", "bias", "bgrad"]}.get(self.mode, [])

    def writes(self) -> list[str]:
        return {Mode.FWD: ["y"], Mode.BWD_DATA: ["x"],
                Mode.WGRAD: ["grad"] + (["bgrad"] if self.cmd.bgrad else []),
                Mode.UPDATE: ["wgt", "bias", "grad", "bgrad"]}.get(self.mode, [])

    # -- images
    def images(self) -> dict[Sel, dict[int, int]]:
        """Memory contents to load before the command: background, then every list and map."""
        p = self.params
        img: dict[Sel, dict[int, int]] = {s: dict(self.background.get(s, {})) for s in Sel}
        pk = self.sw.pack(p.fmt, w_base=self.w_base, b_base=self.b_base)
        for a, v in enumerate(pk.wgt):
            img[Sel.WGT][self.w_base + a] = v
        for a, v in enumerate(pk.fwd_idx):
            img[Sel.FIDX][self.w_base + a] = v
        for b, v in enumerate(pk.bwd_idx):
            img[Sel.BIDX][self.b_base + b] = v
        for n, v in enumerate(pk.fwd_ptr):
            img[Sel.PTR][self.cmd.fptr_base + n] = v
        for ci, v in enumerate(pk.bwd_ptr):
            img[Sel.PTR][self.cmd.bptr_base + ci] = v
        for a, v in enumerate(self.grad):
            img[Sel.GRAD][self.w_base + a] = to_u(v, 32)
        for n, v in enumerate(self.bias):
            img[Sel.BIAS][self.cmd.bias_base + n] = to_u(v, 32)
        for n, v in enumerate(self.bgrad):
            img[Sel.BGRAD][self.cmd.bias_base + n] = to_u(v, 32)
        # input maps keep the background's slack pixels (x >= W): the unit must never read them
        if self.x is not None and self.mode in (Mode.FWD, Mode.WGRAD):
            self._merge_map(img, self.cmd.x_base, self.x)
        if self.dy is not None and self.mode in (Mode.BWD_DATA, Mode.WGRAD):
            self._merge_map(img, self.cmd.y_base, self.dy)
        return img

    def expected(self) -> dict:
        return self.cmd.expected(self.sw, x=self.x, dy=self.dy, bias=self.bias, grad=self.grad,
                                 bgrad=self.bgrad)

    def expected_images(self, before: dict[Sel, dict[int, int]] | None = None,
                        exp: dict | None = None) -> dict[Sel, dict[int, int]]:
        """Memory contents after a successful command: ``before`` (default :meth:`images`) with
        the expected writes applied.  Slack pixels (``x >= W``) of an output map keep ``before``."""
        img = {s: dict(v) for s, v in (before or self.images()).items()}
        exp = self.expected() if exp is None else exp
        p, c = self.params, self.cmd
        if self.mode == Mode.FWD:
            self._merge_map(img, c.y_base, exp["y"])
        elif self.mode == Mode.BWD_DATA:
            self._merge_map(img, c.x_base, exp["dx"])
        elif self.mode == Mode.WGRAD:
            for a, v in enumerate(exp["grad"]):
                img[Sel.GRAD][self.w_base + a] = to_u(v, 32)
            if exp["bgrad"] is not None:
                for n, v in enumerate(exp["bgrad"]):
                    img[Sel.BGRAD][c.bias_base + n] = to_u(v, 32)
        elif self.mode == Mode.UPDATE:
            for a, v in enumerate(exp["wgt"]):
                img[Sel.WGT][self.w_base + a] = to_u(v, 16)
                img[Sel.GRAD][self.w_base + a] = 0
            for n, v in enumerate(exp["bias"]):
                img[Sel.BIAS][c.bias_base + n] = to_u(v, 32)
                img[Sel.BGRAD][c.bias_base + n] = 0
        return img

    def _merge_map(self, img, base, m) -> None:
        """Write map ``m`` at ``base`` keeping the slack pixels of ``img``."""
        lanes = self.params.lanes
        banks = 2 * lanes
        c, h, w = m.shape
        rw = self.params.row_words(w)
        old = [img[Sel.STACK].get(base + i, 0) for i in range(c * h * rw)]
        full = np.frombuffer(b"".join(int(v).to_bytes(2 * banks, "little") for v in old),
                             dtype="<i2").reshape(c, h, rw * banks).copy()
        full[:, :, :w] = m
        raw = full.reshape(c * h * rw, banks)
        for i, row in enumerate(raw):
            img[Sel.STACK][base + i] = int.from_bytes(row.tobytes(), "little")

    # -- cycles
    def macs(self) -> int:
        """Non-zero MACs of the conv modes (= nnz * Ho * Wo); UPDATE: nnz + N weight/bias steps."""
        if self.mode not in (Mode.FWD, Mode.BWD_DATA, Mode.WGRAD):
            return self.nnz + self.sw.shape[0]
        return self.nnz * self.cmd.ho * self.cmd.wo

    def ideal_cycles(self) -> float:
        """``nnz * Ho * Wo / LANES`` for the conv modes (UPDATE: ``nnz + N``, one step a cycle)."""
        if self.mode not in (Mode.FWD, Mode.BWD_DATA, Mode.WGRAD):
            return float(self.nnz + self.sw.shape[0])
        return self.nnz * self.cmd.ho * self.cmd.wo / self.params.lanes

    def est_cycles(self) -> int:
        """The docs' cycle formula (prescan + items + pipeline depth), for budgets and reports."""
        c, L = self.cmd, self.params.lanes
        n, ci = self.sw.shape[0], self.sw.shape[1]
        vec = lambda w: -(-w // L)  # noqa: E731
        if self.mode == Mode.FWD:
            items = sum(c.ho * vec(c.wo) * max(1, int(k)) for k in self.sw.fwd_count)
            pre = n + self.nnz
        elif self.mode == Mode.BWD_DATA:
            # stride 2: one parity class at a time, L pixels of one parity per vector
            vecs = vec(c.w) if c.stride == 1 else 2 * -(-c.w // (2 * L))
            items = sum(c.h * vecs * max(1, int(k)) for k in self.sw.bwd_count)
            pre = ci + self.nnz
        elif self.mode == Mode.WGRAD:
            # the bias gradient rides on each filter's first weight; only empty filters add a pass
            empty = int(np.count_nonzero(self.sw.fwd_count == 0))
            items = (self.nnz + empty * c.bgrad) * c.ho * vec(c.wo)
            pre = n + self.nnz
        else:
            items = self.nnz + n
            pre = n          # UPDATE checks pointer ranges only
        return pre + items + PIPE_DEPTH


# ------------------------------------------------------------------------- random layers
def sparsify(w: np.ndarray, sparsity: float, pruning: str) -> np.ndarray:
    """Prune a dense int16 kernel to about ``sparsity``: ``threshold`` (a magnitude quantile as
    rho, :func:`prune`) or ``balanced`` (:func:`prune_balanced`)."""
    if sparsity <= 0:
        return w
    if pruning == "balanced":
        return prune_balanced(w, sparsity)
    mag = np.abs(w.astype(np.int64))
    if sparsity >= 1:
        return np.zeros_like(w)
    rho = float(np.quantile(mag, sparsity, method="higher"))
    return prune(w, max(rho, 1))


def _rand_int16(rng: np.random.Generator, shape, bits: int) -> np.ndarray:
    """Uniform in +-2^bits (clipped to int16), never all-small."""
    hi = min(1 << bits, 32767)
    return rng.integers(-hi, hi + 1, size=shape).astype(np.int16)


def make_weights(rng: np.random.Generator, n: int, c: int, k: int, sparsity: float,
                 pruning: str = "threshold", bits: int = 8, depthwise: bool = False,
                 empty_filters: int = 0) -> SparseWeights:
    """A random int16 kernel ``(N, C, K, K)`` pruned to ``sparsity`` (depth-wise: ``N == C``,
    block-diagonal).  ``empty_filters`` filters are zeroed afterwards."""
    if depthwise:
        if n != c:
            raise ValueError("depth-wise needs N == C")
        w = depthwise_dense(_rand_int16(rng, (c, 1, k, k), bits))
        dense = w[np.arange(c), np.arange(c)][:, None]
        dense = sparsify(dense, sparsity, pruning)
        w = depthwise_dense(dense)
    else:
        w = sparsify(_rand_int16(rng, (n, c, k, k), bits), sparsity, pruning)
    if empty_filters:
        for i in rng.choice(n, size=min(n, empty_filters), replace=False):
            w[i] = 0
    return encode_sparse(w)


def place_stack(rnd: _random.Random, sizes: list[int], depth: int, gap: int = 1) -> list[int]:
    """Random non-overlapping bases for regions of ``sizes`` words in ``depth`` words, with at least
    ``gap`` words between them (room for guard words).  Raises ValueError if they cannot fit."""
    need = sum(sizes) + gap * (len(sizes) + 1)
    if need > depth:
        raise ValueError(f"regions {sizes} do not fit {depth} words")
    slack = depth - need
    cuts = sorted(rnd.randint(0, slack) for _ in sizes)
    order = list(range(len(sizes)))
    rnd.shuffle(order)
    bases = [0] * len(sizes)
    pos, prev = gap, 0
    for j, i in enumerate(order):
        pos += cuts[j] - prev
        prev = cuts[j]
        bases[i] = pos
        pos += sizes[i] + gap
    return bases


@dataclass
class Constraints:
    """Knobs of :func:`random_layer` (None = random)."""
    mode: int | None = None
    cmax: int = 6          # channel counts drawn from 1..cmax (and the parameter limits)
    hmax: int = 12         # map heights drawn from 1..hmax
    wmax: int | None = None  # map widths from 1..wmax (None: hmax); > 2*LANES gives multi-word rows
    k: int | None = None
    stride: int | None = None
    dil: int | None = None
    pad: int | None = None
    sparsity: float | None = None
    pruning: str | None = None
    depthwise: bool | None = None
    empty_filters: int | None = None
    saturate: bool | None = None
    cycle_budget: int = 6000
    background: bool = True


def random_layer(rnd: _random.Random, params: UcParams, cons: Constraints | None = None,
                 tries: int = 200) -> UcLayer:
    """A constrained-random layer + command that fits ``params`` and ``cons.cycle_budget``."""
    cons = cons or Constraints()
    for _ in range(tries):
        try:
            layer = _random_layer_once(rnd, params, cons)
        except ValueError:
            continue
        if layer.est_cycles() <= cons.cycle_budget:
            return layer
    raise RuntimeError(f"no random layer fits the constraints {cons}")


def _random_layer_once(rnd: _random.Random, p: UcParams, cons: Constraints) -> UcLayer:
    rng = np.random.default_rng(rnd.getrandbits(64))
    mode = Mode(cons.mode if cons.mode is not None else rnd.choice(list(Mode)))
    k = cons.k if cons.k is not None else rnd.choice([1, 1, 2, 3, 3, 3, 5, p.kmax, rnd.randint(1, p.kmax)])
    k = min(k, p.kmax)
    dil = cons.dil if cons.dil is not None else (1 if k == 1 else rnd.choice([1, 1, 2, 3, 4]))
    stride = cons.stride if cons.stride is not None else rnd.choice([1, 1, 2])
    pmax = dil * (k // 2)
    pad = cons.pad if cons.pad is not None else rnd.choice([0, pmax, rnd.randint(0, pmax)])
    depthwise = cons.depthwise if cons.depthwise is not None else rnd.random() < 0.15
    cm = min(cons.cmax, p.cmax, p.nmax)
    ci = rnd.randint(1, cm)
    n = ci if depthwise else rnd.randint(1, cm)
    span = dil * (k - 1) + 1
    hmin = max(1, span - 2 * pad)
    hmax = min(cons.hmax, p.hmax, p.wmax)
    if hmin > hmax:
        raise ValueError("kernel too large")
    h = rnd.randint(hmin, hmax)
    wmax = min(cons.wmax or cons.hmax, p.wmax)
    if hmin > wmax:
        raise ValueError("kernel too wide")
    w = rnd.choice([rnd.randint(hmin, wmax), min(wmax, max(hmin, p.lanes)),
                    min(wmax, max(hmin, 2 * p.lanes + 1)), rnd.randint(hmin, wmax)])
    cmd = UcCommand(mode=mode, cin=ci, cout=n, h=h, w=w, k=k, stride=stride, dil=dil, pad=pad)
    ho, wo = cmd.ho, cmd.wo  # raises ValueError when it does not fit
    sp = cons.sparsity if cons.sparsity is not None else rnd.choice(
        [0.0, 1.0, rnd.random(), rnd.uniform(0.5, 0.95), 0.85, 0.95])
    pruning = cons.pruning or rnd.choice(["threshold", "balanced"])
    empty = cons.empty_filters if cons.empty_filters is not None else (
        rnd.randint(1, n) if rnd.random() < 0.15 else 0)
    sat = cons.saturate if cons.saturate is not None else rnd.random() < 0.15
    wbits = 15 if sat else rnd.randint(2, 12)
    xbits = 15 if sat else rnd.randint(2, 12)
    sw = make_weights(rng, n, ci, k, sp, pruning, bits=wbits, depthwise=depthwise, empty_filters=empty)
    if sw.nnz * 1 > p.wdepth:
        raise ValueError("too many weights")
    # requantization shift: about the accumulator's magnitude minus 12 bits, or ~0 to saturate
    terms = max(1, sw.nnz // max(1, n)) if mode != Mode.WGRAD else ho * wo
    mag = wbits + xbits + int(np.log2(terms) / 2)
    if mode == Mode.WGRAD:
        cmd.shift = rnd.randint(0, 2) if sat else min(31, max(0, mag - 24 + rnd.randint(-3, 3)))
    else:
        cmd.shift = rnd.randint(0, 2) if sat else min(31, max(0, mag - 12 + rnd.randint(-3, 3)))
    cmd.relu = int(mode == Mode.FWD and rnd.random() < 0.4)
    cmd.bgrad = int(rnd.random() < 0.6)
    cmd.gacc = int(rnd.random() < 0.5)
    x = _rand_int16(rng, (ci, h, w), xbits)
    dy = _rand_int16(rng, (n, ho, wo), xbits)
    bias_bits = 31 if sat else min(30, wbits + xbits + rnd.randint(-4, 4))
    bias = rng.integers(-(1 << bias_bits), 1 << bias_bits, size=n).astype(np.int64)
    if sat:
        grad = rng.choice([-(1 << 31), (1 << 31) - 1, 0], size=sw.nnz).astype(np.int64) \
            + rng.integers(-1000, 1000, size=sw.nnz)
        bgrad = rng.choice([-(1 << 31), (1 << 31) - 1], size=n).astype(np.int64) \
            + rng.integers(-1000, 1000, size=n)
        grad = np.clip(grad, -(1 << 31), (1 << 31) - 1)
        bgrad = np.clip(bgrad, -(1 << 31), (1 << 31) - 1)
        bias = np.clip(bias, -(1 << 31), (1 << 31) - 1)
    else:
        gb = rnd.randint(4, 30)
        grad = rng.integers(-(1 << gb), 1 << gb, size=sw.nnz)
        bgrad = rng.integers(-(1 << gb), 1 << gb, size=n)
    cmd.lr_mult = rnd.choice([0, 1, 0xFFFF, rnd.randint(0, 0xFFFF)])
    cmd.lr_shift = rnd.choice([0, 63, rnd.randint(0, 63), rnd.randint(10, 40)])
    cmd.lr_mult_b = rnd.choice([0, 1, 0xFFFF, rnd.randint(0, 0xFFFF)])
    cmd.lr_shift_b = rnd.choice([0, 63, rnd.randint(0, 63), rnd.randint(10, 40)])
    # placement
    xs, ys = p.map_words(ci, h, w), p.map_words(n, ho, wo)
    cmd.x_base, cmd.y_base = place_stack(rnd, [xs, ys], p.fm_depth)
    cmd.fptr_base, cmd.bptr_base = place_stack(rnd, [n, ci], p.pdepth)
    (cmd.bias_base,) = place_stack(rnd, [n], p.bdepth)
    w_base, b_base = rnd.randint(1, p.wdepth - sw.nnz - 1), rnd.randint(1, p.wdepth - sw.nnz - 1)
    layer = UcLayer(cmd=cmd, sw=sw, params=p, x=x, dy=dy, bias=bias.astype(np.int32),
                    grad=grad.astype(np.int32), bgrad=bgrad.astype(np.int32), w_base=w_base,
                    b_base=b_base,
                    tags=dict(sparsity=sp, pruning=pruning, depthwise=depthwise, empty=empty, sat=sat))
    if cons.background:
        layer.background = random_background(rng, layer)
    return layer


def random_background(rng: np.random.Generator, layer: UcLayer, guard: int = 2) -> dict:
    """Garbage in every output region (each output must be written) and ``guard`` words around
    every region (must stay untouched)."""
    p = layer.params
    bg: dict[Sel, dict[int, int]] = {s: {} for s in Sel}
    for key, r in layer.regions().items():
        lo, hi = max(0, r.base - guard), min(p.depth(r.sel), r.end + guard)
        addrs = list(range(lo, r.base)) + list(range(r.end, hi))
        if key in layer.writes() or key in ("x", "y"):
            addrs += list(r.addrs())
        bits = p.width(r.sel)
        for a in addrs:
            bg[r.sel][a] = int.from_bytes(rng.bytes((bits + 7) // 8), "little") & ((1 << bits) - 1)
    return bg


def readback_plan(layer: UcLayer, guard: int = 2) -> dict[Sel, list[int]]:
    """Addresses to read after a command: every region the mode reads or writes, plus ``guard``
    words on both sides (so stray writes next to them are caught)."""
    p = layer.params
    plan: dict[Sel, set[int]] = {s: set() for s in Sel}
    regs = layer.regions()
    for key in set(layer.reads()) | set(layer.writes()):
        r = regs.get(key)
        if r is None:
            continue
        lo, hi = max(0, r.base - guard), min(p.depth(r.sel), r.end + guard)
        plan[r.sel].update(range(lo, hi))
    return {s: sorted(a) for s, a in plan.items() if a}


def describe_addr(layer: UcLayer, sel: Sel, addr: int, bank: int | None = None) -> str:
    """Name a memory word in terms of the layer: ``Y[n=2, y=3, x=17]``, ``GRAD[entry 5]`` ..."""
    regs = layer.regions()
    p = layer.params
    for key, r in regs.items():
        if r.sel != sel or not (r.base <= addr < r.end):
            continue
        off = addr - r.base
        if r.shape is not None:
            c, h, w = r.shape
            rw = p.row_words(w)
            ch, rem = divmod(off, h * rw)
            yy, xw = divmod(rem, rw)
            first = "n" if key == "y" else "c"
            if bank is None:
                return f"{r.name}[{first}={ch}, y={yy}, x={xw * p.banks}..{xw * p.banks + p.banks - 1}]"
            xx = xw * p.banks + bank
            return f"{r.name}[{first}={ch}, y={yy}, x={xx}]" + (" (slack pixel)" if xx >= w else "")
        unit = {"fptr": "n", "bptr": "c", "bias": "n", "bgrad": "n"}.get(key, "entry")
        return f"{r.name}[{unit} {off}]"
    return f"{Sel(sel).name}[addr {addr}] (outside the layer's regions)"
