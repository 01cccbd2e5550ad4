"""Constrained-random UC layers: random pruned kernels, placements and commands.

:func:`random_layer` draws a layer (:class:`verif.common.uc_stimulus.UcLayer`) that fits the
unit's parameters and a cycle budget, within :class:`Constraints`; :func:`random_background` fills
the memories around and under it with garbage so stray and missing writes show.
"""

from __future__ import annotations

import random as _random
from dataclasses import dataclass

import numpy as np

from sparsetrain.sparse import SparseWeights, depthwise_dense, encode_sparse, prune
from sparsetrain.uc import Mode, Sel, UcCommand, UcParams
from verif.common.uc_stimulus import UcLayer


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
        dense = prune(dense, sparsity, pruning)
        w = depthwise_dense(dense)
    else:
        w = prune(_rand_int16(rng, (n, c, k, k), bits), sparsity, pruning)
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
    channels: int | None = None  # C = N = this many (within the limits) instead of drawn
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
    min_nnz: int = 0  # at least this many non-zero weights (a checker self-test needs one)
    largest_map: bool = False  # H and W at their largest (hmax, wmax): with an even K and the
    #                            largest padding the output outgrows the map by dil (Wo <= W + 4)
    saturate: bool | None = None
    flat: bool | None = False  # flat maps (docs/uc_unit.md "Flat small maps"): None: a quarter of
    #                            the layers whose kernel allows it; True: every one (or no layer);
    #                            False: none (the default: other units' tests place row-layout maps)
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
    # flat maps: stride 1, the output as large as the input (2 pad = dil (K - 1)), W = 2^j <= LANES
    same_pad = dil * (k - 1) // 2
    flat = (cons.flat if cons.flat is not None else rnd.random() < 0.25) and not cons.largest_map
    flat = (flat and cons.stride in (None, 1) and dil * (k - 1) % 2 == 0 and same_pad <= pmax
            and cons.pad in (None, same_pad) and p.hmax * p.lanes <= 65535)
    if cons.flat and not flat:
        raise ValueError("no flat geometry within the constraints")
    if flat:
        stride, pad = 1, same_pad
    depthwise = cons.depthwise if cons.depthwise is not None else rnd.random() < 0.15
    cm = min(cons.cmax, p.cmax, p.nmax)
    ci = rnd.randint(1, cm) if cons.channels is None else min(cons.channels, p.cmax, p.nmax)
    n = ci if depthwise or cons.channels is not None else rnd.randint(1, cm)
    span = dil * (k - 1) + 1
    hmin = max(1, span - 2 * pad)
    hmax = min(cons.hmax, p.hmax, p.wmax)
    if hmin > hmax:
        raise ValueError("kernel too large")
    h = hmax if cons.largest_map else rnd.randint(hmin, hmax)
    wmax = min(cons.wmax or cons.hmax, p.wmax)
    if hmin > wmax:
        raise ValueError("kernel too wide")
    w = wmax if cons.largest_map else rnd.choice([
        rnd.randint(hmin, wmax), min(wmax, max(hmin, p.lanes)),
        min(wmax, max(hmin, 2 * p.lanes + 1)), rnd.randint(hmin, wmax)])
    if flat:
        ws = [1 << j for j in range(p.lanes.bit_length()) if (1 << j) <= min(p.lanes, wmax)]
        w = rnd.choice(ws + ws[-2:-1] * 2)      # more often W = L / 2 (the lanes span two rows)
    cmd = UcCommand(mode=mode, cin=ci, cout=n, h=h, w=w, k=k, stride=stride, dil=dil, pad=pad,
                    flat=int(flat))
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
    if sw.nnz < cons.min_nnz:
        raise ValueError("too few weights")
    # requantization shift: about the accumulator's magnitude minus 12 bits, or ~0 to saturate
    terms = max(1, sw.nnz // max(1, n)) if mode != Mode.WGRAD else ho * wo
    mag = wbits + xbits + int(np.log2(terms) / 2)
    if mode == Mode.WGRAD:
        cmd.shift = rnd.randint(0, 2) if sat else min(31, max(0, mag - 24 + rnd.randint(-3, 3)))
    else:
        cmd.shift = rnd.randint(0, 2) if sat else min(31, max(0, mag - 12 + rnd.randint(-3, 3)))
    # (BWD_DATA with relu: the ReLU backward in the same pass, the mask map X at m_base)
    cmd.relu = int(mode in (Mode.FWD, Mode.BWD_DATA) and rnd.random() < 0.4)
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
    xs, ys = p.map_words(*cmd.store_shape((ci, h, w))), p.map_words(*cmd.store_shape((n, ho, wo)))
    if mode == Mode.BWD_DATA and cmd.relu:
        cmd.x_base, cmd.y_base, cmd.m_base = place_stack(rnd, [xs, ys, xs], p.fm_depth)
    else:
        cmd.x_base, cmd.y_base = place_stack(rnd, [xs, ys], p.fm_depth)
    # a stride-2 layer's backward list is split by parity: four pointers a channel
    cmd.fptr_base, cmd.bptr_base = place_stack(rnd, [n, ci * (4 if stride == 2 else 1)], p.pdepth)
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
