"""A small CNN description, its quantization and pruning, and the learning-rate fields.

The same :class:`Net` drives the bit-exact models (:mod:`verif.models.network`) and, through
:mod:`sparsetrain.driver`, the accelerator; both must agree bit for bit. Float pre-training of a
:class:`Net`: :mod:`sparsetrain.float_train`.

Fixed-point scheme (docs/numerics.md): activations Q8 (``A_FRAC``), weights Q12 (``W_FRAC``),
biases in accumulator scale Q20, loss gradients Q12 (``G_FRAC``), conv weight gradients
``Q(A+G-wgrad_shift)`` in 32 bits, summed over the mini-batch in the gradient memories.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from sparsetrain.geometry import conv_out_size
from sparsetrain.numerics import quantize
from sparsetrain.sparse import depthwise_dense, encode_sparse, prune, split_dil

A_FRAC = 8
W_FRAC = 12
G_FRAC = 12

#: Largest dilation: the UC unit's command field (``s_cmd_dil``) takes 1..4 (docs/uc_unit.md).
DIL_MAX = 4


@dataclass
class Conv:
    """A convolution layer (+ optional ReLU) as the UC unit runs it.

    ``cout``: output channels N; ``k``: square kernel K; ``stride`` 1 or 2; ``pad``: zero padding
    on every side, >= 0 (the chip takes ``0 .. dilation * (k // 2)``: checked by
    :func:`sparsetrain.driver.check_fits`); ``dilation``: 1..4
    (:data:`DIL_MAX`, the UC command's ``dil`` field; the kernel spans ``dilation*(k-1)+1``
    pixels); ``groups``: 1 (a full convolution) or the input channel count C with ``cout == C``
    (depth-wise: output channel ``n`` sees only input channel ``n``; checked by :class:`Net`,
    which knows C). A depth-wise kernel is kept everywhere as the block-diagonal dense
    ``(C, C, K, K)`` kernel (:func:`sparsetrain.sparse.depthwise_dense`), so the chip stores it as
    an ordinary sparse list holding only the diagonal blocks' non-zeros.
    Raises ValueError (one line) for a value outside these ranges.
    """

    cout: int
    k: int = 3
    stride: int = 1
    pad: int = 1
    relu: bool = True
    wgrad_shift: int = 4          # conv weight gradient kept in Q(A+G-wgrad_shift)
    dilation: int = 1
    groups: int = 1

    def __post_init__(self):
        def whole(name, v, lo, hi=None):
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < lo or (hi is not None and v > hi):
                rng = f"{lo}..{hi}" if hi is not None else f">= {lo}"
                raise ValueError(f"Conv {name}={v!r}: must be an integer {rng}")
        whole("cout", self.cout, 1)
        whole("k", self.k, 1)
        whole("stride", self.stride, 1, 2)
        whole("dilation", self.dilation, 1, DIL_MAX)
        whole("groups", self.groups, 1)
        whole("pad", self.pad, 0)

    @property
    def depthwise(self) -> bool:
        """True for a depth-wise conv (``groups`` = C = N > 1)."""
        return self.groups > 1

    @property
    def bwd_split(self) -> int | None:
        """The ``split_dil`` of this layer's backward list (:meth:`SparseWeights.pack`): the
        dilation at stride 2, where the UC unit reads the list split by parity (four pointers per
        input channel), else None (one pointer a channel)."""
        return split_dil(self.stride, self.dilation)


@dataclass
class MaxPool:
    pass


@dataclass
class Gap:
    pass


@dataclass
class Linear:
    cout: int
    wgrad_shift: int = 4


def lr_to_fixed(factor: float) -> tuple[int, int]:
    """A positive real step factor -> (LR_MULT, LR_SHIFT) with LR_MULT in [2^15, 2^16) if possible."""
    if factor <= 0:
        return 0, 0
    shift = max(0, min(63, 15 - math.floor(math.log2(factor))))
    mult = int(round(factor * (1 << shift)))
    while mult >= 1 << 16 and shift > 0:
        shift -= 1
        mult = int(round(factor * (1 << shift)))
    return min(mult, 0xFFFF), shift


@dataclass
class Net:
    """Layers after an input of shape ``(C, H, W)``; the last layer is a Linear classifier."""

    in_shape: tuple
    layers: list
    shapes: list = field(default_factory=list)      # output shape of every layer

    def __post_init__(self):
        c, h, w = self.in_shape
        self.shapes = []
        for layer in self.layers:
            if isinstance(layer, Conv):
                if layer.groups not in (1, c) or (layer.depthwise and layer.cout != c):
                    raise ValueError(f"layer {len(self.shapes)}: Conv groups={layer.groups} with {c} input and "
                                     f"{layer.cout} output channels: groups must be 1 or C == N (depth-wise)")
                h = conv_out_size(h, layer.k, layer.stride, layer.pad, layer.dilation)
                w = conv_out_size(w, layer.k, layer.stride, layer.pad, layer.dilation)
                c = layer.cout
            elif isinstance(layer, MaxPool):
                h, w = h // 2, w // 2
            elif isinstance(layer, Gap):
                h = w = 1
            elif isinstance(layer, Linear):
                if (h, w) != (1, 1):
                    raise ValueError("a Linear layer needs a (C, 1, 1) input: put Gap before it")
                c = layer.cout
            else:
                raise ValueError(f"unknown layer {layer!r}")
            self.shapes.append((c, h, w))
        if not isinstance(self.layers[-1], Linear):
            raise ValueError("the last layer must be the Linear classifier")

    def in_shape_of(self, i: int) -> tuple:
        return self.in_shape if i == 0 else self.shapes[i - 1]

    def pool_fuses_relu(self, i: int) -> bool:
        """Whether layer ``i`` is a MaxPool whose backward also does the ReLU backward of the
        Conv below it (``i - 1`` a Conv with ReLU): one MP_BWD_RELU command instead of MP_BWD
        and RELU_BWD (docs/units.md, issue 14). The gradient it hands down is then already
        masked, and that Conv runs no RELU_BWD."""
        return (0 < i < len(self.layers) and isinstance(self.layers[i], MaxPool)
                and isinstance(self.layers[i - 1], Conv) and self.layers[i - 1].relu)

    def conv_fuses_relu(self, i: int) -> bool:
        """Whether layer ``i`` is a Conv whose BWD_DATA also does the ReLU backward of the Conv
        below it (``i - 1`` a Conv with ReLU): the UC command's ``relu`` flag in BWD_DATA masks
        dX by the layer's input X > 0 (docs/uc_unit.md "ReLU backward in BWD_DATA", issue 14),
        so that Conv runs no RELU_BWD. The gradient it hands down is then already masked."""
        return (0 < i < len(self.layers) and isinstance(self.layers[i], Conv)
                and isinstance(self.layers[i - 1], Conv) and self.layers[i - 1].relu)

    def relu_fused_above(self, i: int) -> bool:
        """Whether Conv ``i``'s ReLU backward is done by the layer above it: the MaxPool's
        MP_BWD_RELU (:meth:`pool_fuses_relu` of ``i + 1``) or the Conv's BWD_DATA
        (:meth:`conv_fuses_relu` of ``i + 1``)."""
        return self.pool_fuses_relu(i + 1) or self.conv_fuses_relu(i + 1)

    def relu_bwd_needed(self, i: int) -> bool:
        """Whether layer ``i`` is a Conv whose ReLU backward runs as its own RELU_BWD command
        (a ReLU, and no MaxPool or Conv above it doing it: :meth:`relu_fused_above`; the driver
        adds one where a Conv above does it in another map layout,
        :func:`sparsetrain.driver.relu_bwd_cmd`). The driver's
        buffer plan and program, the network model and the demo's timing all ask this."""
        layer = self.layers[i]
        return isinstance(layer, Conv) and layer.relu and not self.relu_fused_above(i)

    def init_float(self, rng: np.random.Generator) -> list:
        """He-initialised float parameters: ``[(w, b) or None]`` per layer."""
        params = []
        for i, layer in enumerate(self.layers):
            cin = self.in_shape_of(i)[0]
            if isinstance(layer, Conv) and layer.depthwise:
                fan = layer.k * layer.k
                params.append((depthwise_dense(rng.standard_normal((cin, 1, layer.k, layer.k)) * math.sqrt(2 / fan)),
                               np.zeros(layer.cout)))
            elif isinstance(layer, Conv):
                fan = cin * layer.k * layer.k
                params.append((rng.standard_normal((layer.cout, cin, layer.k, layer.k)) * math.sqrt(2 / fan),
                               np.zeros(layer.cout)))
            elif isinstance(layer, Linear):
                params.append((rng.standard_normal((layer.cout, cin)) * math.sqrt(1 / cin), np.zeros(layer.cout)))
            else:
                params.append(None)
        return params

    def structure_mask(self, i: int):
        """``(N, C, K, K)`` float mask of the weights layer ``i`` (a Conv) has: all ones, or for a
        depth-wise conv ones on the diagonal blocks only; None for a full conv (no structure)."""
        layer = self.layers[i]
        if not (isinstance(layer, Conv) and layer.depthwise):
            return None
        c = self.in_shape_of(i)[0]
        return depthwise_dense(np.ones((c, 1, layer.k, layer.k)))

    def weight_slots(self, i: int) -> int:
        """How many weights conv layer ``i`` has (``N*C*K*K``; depth-wise ``C*K*K``)."""
        layer = self.layers[i]
        cin = 1 if layer.depthwise else self.in_shape_of(i)[0]
        return layer.cout * cin * layer.k * layer.k


def prune_conv(net: Net, i: int, w, sparsity: float, rule: str = "threshold"):
    """:func:`sparsetrain.sparse.prune` of conv layer ``i``'s kernel ``w`` ``(N, C, K, K)``.

    A depth-wise kernel is pruned on its own weights only (the diagonal blocks, ``(C, 1, K, K)``:
    the structural zeros off the diagonal do not count towards ``sparsity``, and with the
    ``balanced`` rule every filter keeps ``round((1 - sparsity) * K*K)``) and comes back
    block-diagonal, anything off the diagonal dropped.
    """
    if not net.layers[i].depthwise:
        return prune(w, sparsity, rule)
    w = np.asarray(w)
    c = w.shape[0]
    return depthwise_dense(prune(w[np.arange(c), np.arange(c)][:, None], sparsity, rule))


@dataclass
class QParams:
    """Integer parameters: sparse conv kernels, dense linear weights, int32 biases."""

    convs: dict          # layer index -> SparseWeights (int16 values)
    lin_w: dict          # layer index -> (M, K) int16
    biases: dict         # layer index -> (N,) int32, accumulator scale Q(A+W)

    def copy(self) -> "QParams":
        return QParams({i: sw.with_values(sw.values) for i, sw in self.convs.items()},
                       {i: w.copy() for i, w in self.lin_w.items()},
                       {i: b.copy() for i, b in self.biases.items()})

    def differences(self, ref: "QParams") -> list[str]:
        """The tensors of ``ref`` this one does not hold bit-exactly (e.g. parameters read back
        from the accelerator against the model's), as ``conv i weights``, ``linear i weights``,
        ``layer i biases`` (i: the layer index), in that order; empty when all equal. Raises
        KeyError when a layer of ``ref`` is missing here."""
        return ([f"conv {i} weights" for i, sw in ref.convs.items()
                 if not np.array_equal(self.convs[i].values, sw.values)]
                + [f"linear {i} weights" for i, w in ref.lin_w.items() if not np.array_equal(self.lin_w[i], w)]
                + [f"layer {i} biases" for i, b in ref.biases.items() if not np.array_equal(self.biases[i], b)])


def quantize_params(net: Net, params: list, sparsity: float = 0.85, rule: str = "threshold") -> QParams:
    """Prune every conv kernel (:func:`prune_conv`, ``rule`` threshold or balanced) and
    quantize: conv kernels to sparse lists (depth-wise: the diagonal blocks' non-zeros only),
    linear weights dense, biases 32-bit."""
    convs, lin_w, biases = {}, {}, {}
    for i, (layer, p) in enumerate(zip(net.layers, params)):
        if p is None:
            continue
        w, b = p
        if isinstance(layer, Conv):
            convs[i] = encode_sparse(quantize(prune_conv(net, i, w, sparsity, rule), W_FRAC))
        else:
            lin_w[i] = quantize(w, W_FRAC)
        biases[i] = quantize(b, A_FRAC + W_FRAC, bits=32).astype(np.int32)
    return QParams(convs, lin_w, biases)


def lr_factors(layer, lr: float, batch: int) -> tuple[tuple[int, int], tuple[int, int]]:
    """(LR_MULT, LR_SHIFT) for the weights and for the biases of a layer (docs/numerics.md)."""
    s = layer.wgrad_shift
    # weights Q12, gradient Q(A+G-s): step = lr/B * g * 2^(W - (A+G-s))
    fw = lr / batch * 2.0 ** (W_FRAC - (A_FRAC + G_FRAC - s))
    if isinstance(layer, Conv):
        # bias Q(A+W), bias gradient Q(G-s)
        fb = lr / batch * 2.0 ** (A_FRAC + W_FRAC - (G_FRAC - s))
    else:
        # linear bias gradient is dy itself, Q(G)
        fb = lr / batch * 2.0 ** (A_FRAC + W_FRAC - G_FRAC)
    return lr_to_fixed(fw), lr_to_fixed(fb)


def masks_of(q: QParams, net: Net) -> list:
    """Float masks (1 = kept weight) of the pruned conv kernels; None for the other layers."""
    out = []
    for i in range(len(net.layers)):
        if i in q.convs:
            sw = q.convs[i]
            m = np.zeros(sw.shape)
            m[sw.fwd_n, sw.fwd_c, sw.fwd_ky, sw.fwd_kx] = 1.0
            out.append(m)
        else:
            out.append(None)
    return out


def dequantize_params(net: Net, q: QParams) -> list:
    """Integer parameters back to float ``[(w, b) or None]`` (the inverse of :func:`quantize_params`)."""
    out = []
    for i in range(len(net.layers)):
        if i in q.convs:
            out.append((q.convs[i].to_dense().astype(np.float64) / 2 ** W_FRAC, q.biases[i] / 2 ** (A_FRAC + W_FRAC)))
        elif i in q.lin_w:
            out.append((q.lin_w[i].astype(np.float64) / 2 ** W_FRAC, q.biases[i] / 2 ** (A_FRAC + W_FRAC)))
        else:
            out.append(None)
    return out
