"""UC unit stimulus: one command with everything in memory it reads, and what it must leave.

:class:`UcLayer` is the unit's complete stimulus (a :class:`sparsetrain.uc.UcCommand`, the
layer's sparse weights, maps, biases, gradients and background garbage): its memory images before
the command (:meth:`UcLayer.images`) and after it (:meth:`UcLayer.expected_images`, from the
models, :func:`verif.models.uc.uc_expected`). :func:`readback_plan` and :func:`describe_addr` say
what to read back and how to name a word in a mismatch. Constrained-random layers:
:mod:`verif.common.uc_random`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from sparsetrain.sparse import SparseWeights, parity_rows, split_dil
from sparsetrain.uc import Mode, Sel, UcCommand, UcParams, engine_owner, scan_cycles, to_u
from verif.models.uc import uc_expected

PIPE_DEPTH = 8  # docs/uc_unit.md: "pipeline depth (~8)"


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

    ``x`` is X (FWD, WGRAD; BWD_DATA with ``relu``: the ReLU backward's mask map, at ``m_base``),
    ``dy`` is dY (BWD_DATA, WGRAD); ``bias``/``bgrad`` per output
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

    @property
    def bwd_split(self) -> int | None:
        """``split_dil`` of the backward list (:meth:`sparsetrain.sparse.SparseWeights.pack`): the
        dilation at stride 2 (four pointers per input channel, split by parity), else None."""
        c = self.cmd
        return split_dil(c.stride, c.dil) if 1 <= c.dil <= 4 else None

    def packed(self):
        """The layer's lists as memory words (:class:`sparsetrain.sparse.PackedLists`)."""
        return self.sw.pack(self.params.fmt, w_base=self.w_base, b_base=self.b_base,
                            split_dil=self.bwd_split)

    def bwd_counts(self) -> np.ndarray:
        """Entries behind each backward pointer, in pointer order (C, or 4C split by parity)."""
        return self.sw.bwd_lists(self.bwd_split)[2]

    def with_cmd(self, **kw) -> "UcLayer":
        return replace(self, cmd=replace(self.cmd, **kw))

    @property
    def rmask(self) -> bool:
        """BWD_DATA with the ReLU backward: the unit reads the mask map X at ``m_base``."""
        return self.mode == Mode.BWD_DATA and bool(self.cmd.relu)

    # -- memory regions
    def regions(self) -> dict[str, Region]:
        """Every region the command reads or writes (keys: x, y, wgt, fidx, bidx, fptr, bptr,
        bias, grad, bgrad; m for BWD_DATA with relu).  ``x`` is X / dX, ``y`` is Y / dY, ``m`` the
        ReLU backward's mask map X."""
        p, c = self.params, self.cmd
        n, ci = self.sw.shape[0], self.sw.shape[1]
        r = {
            "wgt": Region("WGT", Sel.WGT, self.w_base, self.nnz),
            "fidx": Region("FIDX", Sel.FIDX, self.w_base, self.nnz),
            "bidx": Region("BIDX", Sel.BIDX, self.b_base, self.nnz),
            "grad": Region("GRAD", Sel.GRAD, self.w_base, self.nnz),
            "fptr": Region("FWD_PTR", Sel.PTR, c.fptr_base, n),
            "bptr": Region("BWD_PTR", Sel.PTR, c.bptr_base, len(self.bwd_counts())),
            "bias": Region("BIAS", Sel.BIAS, c.bias_base, n),
            "bgrad": Region("BGRAD", Sel.BGRAD, c.bias_base, n),
        }
        # (a flat command's maps lie as one row a channel: c.store_shape)
        xs = (ci, c.h, c.w)
        r["x"] = Region("dX" if self.mode == Mode.BWD_DATA else "X", Sel.STACK, c.x_base,
                        p.map_words(*c.store_shape(xs)), xs)
        if self.rmask:
            r["m"] = Region("X (ReLU mask)", Sel.STACK, c.m_base, p.map_words(*c.store_shape(xs)), xs)
        try:
            ys = (n, c.ho, c.wo)
            r["y"] = Region("Y" if self.mode == Mode.FWD else "dY", Sel.STACK, c.y_base,
                            p.map_words(*c.store_shape(ys)), ys)
        except ValueError:
            pass
        return r

    def reads(self) -> list[str]:
        return {Mode.FWD: ["x", "fptr", "fidx", "wgt", "bias"],
                Mode.BWD_DATA: ["y", "bptr", "bidx", "wgt"] + (["m"] if self.cmd.relu else []),
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
        pk = self.packed()
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
        if self.x is not None and self.rmask:
            self._merge_map(img, self.cmd.m_base, self.x)
        return img

    def expected(self) -> dict:
        return uc_expected(self.cmd, self.sw, x=self.x, dy=self.dy, bias=self.bias, grad=self.grad,
                                 bgrad=self.bgrad)

    def expected_images(self, before: dict[Sel, dict[int, int]] | None = None,
                        exp: dict | None = None, copy: int = 0) -> dict[Sel, dict[int, int]]:
        """Memory contents after a successful command: ``before`` (default :meth:`images`) with
        the expected writes applied.  Slack pixels (``x >= W``) of an output map keep ``before``.
        ``copy``: which engine's copy of the memories (an engine array: WGRAD writes a filter's
        gradients only into the copy of the engine that ran it, ``engine_owner``; every other
        write goes to every copy)."""
        img = {s: dict(v) for s, v in (before or self.images()).items()}
        exp = self.expected() if exp is None else exp
        p, c = self.params, self.cmd
        n_all = self.sw.shape[0]
        mine = [engine_owner(f, n_all, p.engines) == copy for f in range(n_all)]
        entry_filter = np.repeat(np.arange(n_all), np.asarray(self.sw.fwd_count, dtype=int))
        if self.mode == Mode.FWD:
            self._merge_map(img, c.y_base, exp["y"])
        elif self.mode == Mode.BWD_DATA:
            self._merge_map(img, c.x_base, exp["dx"])
        elif self.mode == Mode.WGRAD:
            for a, v in enumerate(exp["grad"]):
                if mine[entry_filter[a]]:
                    img[Sel.GRAD][self.w_base + a] = to_u(v, 32)
            if exp["bgrad"] is not None:
                for n, v in enumerate(exp["bgrad"]):
                    if mine[n]:
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
        m = np.asarray(m).reshape(self.cmd.store_shape(m.shape))
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
        """``nnz * Ho * Wo / (ENGINES * LANES)`` for the conv modes (UPDATE: ``nnz + N``, one
        step a cycle on engine 0)."""
        if self.mode not in (Mode.FWD, Mode.BWD_DATA, Mode.WGRAD):
            return float(self.nnz + self.sw.shape[0])
        return self.nnz * self.cmd.ho * self.cmd.wo / self.params.macs

    def scan_cycles(self) -> int:
        """Cycles of the command's pre-scan, exactly (:func:`sparsetrain.uc.scan_cycles` of its list:
        the forward list's counts, BWD_DATA's backward ones).  A command whose list passed a scan
        since the last write to the list memories skips it (uc_lcache, docs/uc_unit.md "Checked
        lists") and takes exactly this many cycles fewer."""
        counts = self.bwd_counts() if self.mode == Mode.BWD_DATA else self.sw.fwd_count
        return scan_cycles(self.mode == Mode.UPDATE, counts)

    def list_key(self) -> tuple:
        """The list identity the unit's checked-list record keeps (uc_unit's ``list_key``):
        (backward list?, pointer-table base, C, N, K, split by parity?, split with an odd
        dilation? -- the scan checks a split entry's parity class); UPDATE looks up the forward
        list's."""
        c = self.cmd
        bwd = self.mode == Mode.BWD_DATA
        split = bwd and c.stride == 2
        return (bwd, c.bptr_base if bwd else c.fptr_base, c.cin, c.cout, c.k, split, split and c.dil % 2 == 1)

    def est_cycles(self, checked: bool = False) -> int:
        """The docs' cycle formula (prescan + items + pipeline depth), for budgets and reports;
        ``checked``: the list passed a scan since the last list write, no prescan term."""
        c, L = self.cmd, self.params.lanes
        n, ci = self.sw.shape[0], self.sw.shape[1]
        vec = lambda w: -(-w // L)  # noqa: E731
        if c.flat and self.mode != Mode.UPDATE:
            # one row of H*W pixels a channel (output size = input size)
            c = replace(c, h=1, w=c.h * c.w, pad=0, k=1, dil=1)
        if self.mode == Mode.FWD:
            items = sum(c.ho * vec(c.wo) * max(1, int(k)) for k in self.sw.fwd_count)
            pre = n + self.nnz
        elif self.mode == Mode.BWD_DATA:
            # (with relu: a mask item more a vector of a non-empty list)
            m = int(self.rmask)
            if c.stride == 1:
                items = sum(c.h * vec(c.w) * (max(1, int(k)) + (m if k else 0)) for k in self.sw.bwd_count)
            else:
                # stride 2, lists split by parity: list 4c+q visits only the rows and vectors of
                # its parity class (L pixels of one parity a vector, ceil(W / 2L) vectors a row)
                counts = self.bwd_counts()
                rows = parity_rows(c.h, c.pad)
                items = sum(rows[g % 4] * -(-c.w // (2 * L)) * (max(1, int(k)) + (m if k else 0))
                            for g, k in enumerate(counts))
            pre = len(self.bwd_counts()) + self.nnz
        elif self.mode == Mode.WGRAD:
            # the bias gradient rides on each filter's first weight; only empty filters add a pass
            empty = int(np.count_nonzero(self.sw.fwd_count == 0))
            items = (self.nnz + empty * c.bgrad) * c.ho * vec(c.wo)
            pre = n + self.nnz
        else:
            items = self.nnz + n
            pre = n          # UPDATE checks pointer ranges only
        return (0 if checked else pre) + items + PIPE_DEPTH


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
            c, h, w = layer.cmd.store_shape(r.shape)
            rw = p.row_words(w)
            ch, rem = divmod(off, h * rw)
            yy, xw = divmod(rem, rw)
            first = "n" if key == "y" else "c"
            if bank is None:
                return f"{r.name}[{first}={ch}, y={yy}, x={xw * p.banks}..{xw * p.banks + p.banks - 1}]"
            xx = xw * p.banks + bank
            if layer.cmd.flat and xx < w:
                yy, xx = divmod(xx, r.shape[2])     # a flat map's column y*W + x
            return f"{r.name}[{first}={ch}, y={yy}, x={xx}]" + (" (slack pixel)" if xx >= w else "")
        unit = {"fptr": "n", "bptr": "c", "bias": "n", "bgrad": "n"}.get(key, "entry")
        return f"{r.name}[{unit} {off}]"
    return f"{Sel(sel).name}[addr {addr}] (outside the layer's regions)"
