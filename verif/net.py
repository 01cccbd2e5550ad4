"""A small CNN description and its fixed-point training step on the bit-exact models.

The same :class:`Net` drives the NumPy models (:func:`train_step_model`, :func:`infer_model`)
and, in :mod:`verif.accel_driver`, the simulated accelerator; both must agree bit for bit.

Fixed-point scheme (docs/host-driver.md): activations Q8 (``A_FRAC``), weights Q12 (``W_FRAC``),
biases in accumulator scale Q20, loss gradients Q12 (``G_FRAC``), conv weight gradients
``Q(A+G-wgrad_shift)`` in 32 bits, summed over the mini-batch in the gradient memories.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from verif.models import (bias_grad, conv_backward_data, conv_forward, conv_out_size,
                          conv_weight_grad, encode_sparse, gap_backward, gap_forward,
                          grad_accumulate, linear_backward, linear_forward, maxpool_backward,
                          maxpool_forward, prune, prune_balanced, quantize, relu_backward,
                          sgd_update, softmax_xent_grad)

A_FRAC = 8
W_FRAC = 12
G_FRAC = 12


@dataclass
class Conv:
    cout: int
    k: int = 3
    stride: int = 1
    pad: int = 1
    relu: bool = True
    wgrad_shift: int = 4          # conv weight gradient kept in Q(A+G-wgrad_shift)


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
                h = conv_out_size(h, layer.k, layer.stride, layer.pad, 1)
                w = conv_out_size(w, layer.k, layer.stride, layer.pad, 1)
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

    def init_float(self, rng: np.random.Generator) -> list:
        """He-initialised float parameters: ``[(w, b) or None]`` per layer."""
        params = []
        for i, layer in enumerate(self.layers):
            cin = self.in_shape_of(i)[0]
            if isinstance(layer, Conv):
                fan = cin * layer.k * layer.k
                params.append((rng.standard_normal((layer.cout, cin, layer.k, layer.k)) * math.sqrt(2 / fan),
                               np.zeros(layer.cout)))
            elif isinstance(layer, Linear):
                params.append((rng.standard_normal((layer.cout, cin)) * math.sqrt(1 / cin), np.zeros(layer.cout)))
            else:
                params.append(None)
        return params


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


def quantize_params(net: Net, params: list, sparsity: float = 0.85, rule: str = "threshold") -> QParams:
    """Prune every conv kernel (threshold at the sparsity quantile, or balanced) and quantize."""
    convs, lin_w, biases = {}, {}, {}
    for i, (layer, p) in enumerate(zip(net.layers, params)):
        if p is None:
            continue
        w, b = p
        if isinstance(layer, Conv):
            if rule == "balanced":
                wp = prune_balanced(w, sparsity)
            else:
                rho = float(np.quantile(np.abs(w), sparsity)) if sparsity > 0 else 0.0
                wp = prune(w, rho) if sparsity < 1 else np.zeros_like(w)
            convs[i] = encode_sparse(quantize(wp, W_FRAC))
        else:
            lin_w[i] = quantize(w, W_FRAC)
        biases[i] = quantize(b, A_FRAC + W_FRAC, bits=32).astype(np.int32)
    return QParams(convs, lin_w, biases)


@dataclass
class StepResult:
    """What one training step (or inference) produced: per-image tensors and the updated params."""

    acts: list = field(default_factory=list)      # per image: list of layer outputs (int16)
    grads: list = field(default_factory=list)     # per image: list of input gradients per layer
    preds: list = field(default_factory=list)
    losses: list = field(default_factory=list)    # Q8
    params: QParams | None = None


def forward_model(net: Net, q: QParams, x) -> tuple[list, list]:
    """One image ``x`` (C, H, W) int16 -> (outputs per layer, argmax per MaxPool layer)."""
    acts, args = [], {}
    a = x
    for i, layer in enumerate(net.layers):
        if isinstance(layer, Conv):
            a = conv_forward(a, q.convs[i], q.biases[i], layer.stride, layer.pad, 1, layer.relu, W_FRAC)
        elif isinstance(layer, MaxPool):
            a, args[i] = maxpool_forward(a)
        elif isinstance(layer, Gap):
            a = gap_forward(a)[:, None, None]
        elif isinstance(layer, Linear):
            a = linear_forward(a[:, 0, 0], q.lin_w[i], q.biases[i], W_FRAC)[:, None, None]
        acts.append(a)
    return acts, args


def train_step_model(net: Net, q: QParams, images, labels, lr: float) -> StepResult:
    """One mini-batch of SGD on the models, in the order the accelerator runs it.

    Per image: forward, loss gradient, backward through every layer with weight gradients summed
    into 32-bit gradient memories (saturating after each image); then one SGD update of every
    stored weight and bias with ``lr / batch``.
    """
    res = StepResult()
    gmem = {i: np.zeros(sw.nnz, np.int32) for i, sw in q.convs.items()}
    gmem.update({i: np.zeros(w.shape, np.int32) for i, w in q.lin_w.items()})
    bmem = {i: np.zeros(b.shape, np.int32) for i, b in q.biases.items()}
    for x, label in zip(images, labels):
        acts, args = forward_model(net, q, x)
        logits = acts[-1][:, 0, 0]
        g, pred, loss = softmax_xent_grad(logits, int(label), A_FRAC, G_FRAC)
        res.acts.append(acts)
        res.preds.append(pred)
        res.losses.append(loss)
        dy = g[:, None, None]
        img_grads = [None] * len(net.layers)
        for i in range(len(net.layers) - 1, -1, -1):
            layer = net.layers[i]
            a_in = x if i == 0 else acts[i - 1]
            if isinstance(layer, Linear):
                dx, dw, db = linear_backward(dy[:, 0, 0], a_in[:, 0, 0], q.lin_w[i], W_FRAC, layer.wgrad_shift)
                gmem[i] = grad_accumulate(gmem[i], dw)
                bmem[i] = grad_accumulate(bmem[i], db)
                dy = dx[:, None, None]
            elif isinstance(layer, Gap):
                dy = gap_backward(dy[:, 0, 0], a_in.shape)
            elif isinstance(layer, MaxPool):
                dy = maxpool_backward(dy, args[i], a_in.shape)
            elif isinstance(layer, Conv):
                if layer.relu:
                    dy = relu_backward(dy, acts[i])
                sw = q.convs[i]
                gmem[i] = grad_accumulate(gmem[i], conv_weight_grad(a_in, dy, sw, layer.stride, layer.pad, 1,
                                                                     layer.wgrad_shift))
                bmem[i] = grad_accumulate(bmem[i], bias_grad(dy, layer.wgrad_shift))
                if i > 0:
                    dy = conv_backward_data(dy, sw, a_in.shape, layer.stride, layer.pad, 1, W_FRAC)
            img_grads[i] = dy
        res.grads.append(img_grads)
    res.params = sgd_params(net, q, gmem, bmem, lr, len(labels))
    return res


def lr_factors(layer, lr: float, batch: int) -> tuple[tuple[int, int], tuple[int, int]]:
    """(LR_MULT, LR_SHIFT) for the weights and for the biases of a layer (docs/host-driver.md)."""
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


def sgd_params(net: Net, q: QParams, gmem: dict, bmem: dict, lr: float, batch: int) -> QParams:
    out = q.copy()
    for i, layer in enumerate(net.layers):
        if i not in q.biases:
            continue
        (mw, sw_), (mb, sb) = lr_factors(layer, lr, batch)
        if isinstance(layer, Conv):
            out.convs[i] = q.convs[i].with_values(sgd_update(q.convs[i].values, gmem[i], mw, sw_))
        else:
            out.lin_w[i] = sgd_update(q.lin_w[i], gmem[i], mw, sw_)
        out.biases[i] = sgd_update(q.biases[i], bmem[i], mb, sb, bits=32)
    return out


def infer_model(net: Net, q: QParams, images) -> list[int]:
    """Predicted class of every image."""
    return [int(np.argmax(forward_model(net, q, x)[0][-1][:, 0, 0])) for x in images]


# ------------------------------------------------------------------ float training (pre-training)
def _conv_cols(x, k: int, stride: int, pad: int):
    """``(B, C, H, W)`` -> im2col matrix ``(B*Ho*Wo, C*k*k)`` and ``(Ho, Wo)``."""
    b, c, h, w = x.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    ho = (h + 2 * pad - k) // stride + 1
    wo = (w + 2 * pad - k) // stride + 1
    win = np.lib.stride_tricks.sliding_window_view(xp, (k, k), axis=(2, 3))[:, :, ::stride, ::stride][:, :, :ho, :wo]
    return win.transpose(0, 2, 3, 1, 4, 5).reshape(b * ho * wo, c * k * k), (ho, wo)


def _conv_col2im(dcols, x_shape, k: int, stride: int, pad: int, ho: int, wo: int):
    b, c, h, w = x_shape
    d = dcols.reshape(b, ho, wo, c, k, k)
    dxp = np.zeros((b, c, h + 2 * pad, w + 2 * pad))
    for ky in range(k):
        for kx in range(k):
            dxp[:, :, ky:ky + stride * (ho - 1) + 1:stride, kx:kx + stride * (wo - 1) + 1:stride] += \
                d[:, :, :, :, ky, kx].transpose(0, 3, 1, 2)
    return dxp[:, :, pad:pad + h, pad:pad + w]


def forward_float(net: Net, params: list, x):
    """Batched float forward ``(B, C, H, W)`` -> (logits ``(B, K)``, cache for :func:`backward_float`)."""
    cache = []
    a = np.asarray(x, dtype=np.float64)
    for layer, p in zip(net.layers, params):
        if isinstance(layer, Conv):
            cols, (ho, wo) = _conv_cols(a, layer.k, layer.stride, layer.pad)
            w, bias = p
            y = (cols @ w.reshape(w.shape[0], -1).T + bias).reshape(a.shape[0], ho, wo, -1).transpose(0, 3, 1, 2)
            if layer.relu:
                y = np.maximum(y, 0)
            cache.append((a.shape, cols, y))
            a = y
        elif isinstance(layer, MaxPool):
            b, c, h, w = a.shape
            ho, wo = h // 2, w // 2
            blk = a[:, :, :2 * ho, :2 * wo].reshape(b, c, ho, 2, wo, 2).transpose(0, 1, 2, 4, 3, 5).reshape(b, c, ho, wo, 4)
            arg = blk.argmax(-1)
            cache.append((a.shape, arg))
            a = np.take_along_axis(blk, arg[..., None], -1)[..., 0]
        elif isinstance(layer, Gap):
            cache.append(a.shape)
            a = a.mean(axis=(2, 3))
        elif isinstance(layer, Linear):
            cache.append(a)
            w, bias = p
            a = a @ w.T + bias
    return a, cache


def backward_float(net: Net, params: list, cache, dlogits) -> list:
    """Gradients ``[(dw, db) or None]`` per layer of the mean loss whose logit gradient is given."""
    grads = [None] * len(net.layers)
    dy = dlogits
    for i in range(len(net.layers) - 1, -1, -1):
        layer, p, c = net.layers[i], params[i], cache[i]
        if isinstance(layer, Linear):
            w, _ = p
            grads[i] = (dy.T @ c, dy.sum(0))
            dy = dy @ w
        elif isinstance(layer, Gap):
            b, ch, h, w = c
            dy = np.broadcast_to(dy[:, :, None, None] / (h * w), c)
        elif isinstance(layer, MaxPool):
            shape, arg = c
            b, ch, h, w = shape
            ho, wo = h // 2, w // 2
            blk = np.zeros((b, ch, ho, wo, 4))
            np.put_along_axis(blk, arg[..., None], dy[..., None], -1)
            dx = np.zeros(shape)
            dx[:, :, :2 * ho, :2 * wo] = blk.reshape(b, ch, ho, wo, 2, 2).transpose(0, 1, 2, 4, 3, 5).reshape(b, ch, 2 * ho, 2 * wo)
            dy = dx
        elif isinstance(layer, Conv):
            x_shape, cols, y = c
            w, _ = p
            if layer.relu:
                dy = dy * (y > 0)
            ho, wo = y.shape[2], y.shape[3]
            dyf = dy.transpose(0, 2, 3, 1).reshape(-1, w.shape[0])
            grads[i] = ((dyf.T @ cols).reshape(w.shape), dyf.sum(0))
            if i > 0:
                dy = _conv_col2im(dyf @ w.reshape(w.shape[0], -1), x_shape, layer.k, layer.stride, layer.pad, ho, wo)
    return grads


def softmax_xent_float(logits, labels):
    """(mean loss, gradient of the mean loss w.r.t. the logits)."""
    z = logits - logits.max(1, keepdims=True)
    p = np.exp(z)
    p /= p.sum(1, keepdims=True)
    n = len(labels)
    loss = float(-np.log(p[np.arange(n), labels] + 1e-12).mean())
    p[np.arange(n), labels] -= 1
    return loss, p / n


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


def train_float(net: Net, params: list, x, y, epochs: int, batch: int = 32, lr: float = 0.05,
                momentum: float = 0.9, rng: np.random.Generator | None = None, masks: list | None = None,
                order: list | None = None) -> tuple[list, list]:
    """Mini-batch SGD (with momentum) in float NumPy; returns (new params, mean loss per epoch).

    ``masks`` (from :func:`masks_of`) keeps pruned weights at zero (fine-tuning of the kept
    weights only). ``order``: the image indices of every epoch (default: a shuffle from ``rng``).
    """
    try:     # small matrices: threaded BLAS only fights over the cores (10x slower on 2 cores)
        from threadpoolctl import threadpool_limits
        with threadpool_limits(1):
            return _train_float(net, params, x, y, epochs, batch, lr, momentum, rng, masks, order)
    except ImportError:
        return _train_float(net, params, x, y, epochs, batch, lr, momentum, rng, masks, order)


def _train_float(net, params, x, y, epochs, batch, lr, momentum, rng, masks, order):
    rng = rng or np.random.default_rng(0)
    params = [None if p is None else (p[0].copy(), p[1].copy()) for p in params]
    if masks is not None:
        params = [p if m is None else (p[0] * m, p[1]) for p, m in zip(params, masks)]
    vel = [None if p is None else (np.zeros_like(p[0]), np.zeros_like(p[1])) for p in params]
    losses = []
    for e in range(epochs):
        idx = order[e] if order is not None else rng.permutation(len(y))
        tot, n = 0.0, 0
        for s in range(0, len(idx), batch):
            bi = idx[s:s + batch]
            logits, cache = forward_float(net, params, x[bi])
            loss, dl = softmax_xent_float(logits, y[bi])
            tot += loss * len(bi)
            n += len(bi)
            grads = backward_float(net, params, cache, dl)
            for i, g in enumerate(grads):
                if g is None:
                    continue
                (w, b), (vw, vb) = params[i], vel[i]
                vw *= momentum
                vw -= lr * g[0]
                vb *= momentum
                vb -= lr * g[1]
                w += vw
                b += vb
                if masks is not None and masks[i] is not None:
                    w *= masks[i]
        losses.append(tot / max(n, 1))
    return params, losses


def accuracy_float(net: Net, params: list, x, y, batch: int = 256) -> float:
    correct = 0
    for s in range(0, len(y), batch):
        logits, _ = forward_float(net, params, x[s:s + batch])
        correct += int((logits.argmax(1) == y[s:s + batch]).sum())
    return correct / max(len(y), 1)
