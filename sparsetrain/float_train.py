"""Float NumPy training of a :class:`sparsetrain.net.Net` (the dense pre-training before pruning,
and the float reference of a fine-tuning): batched forward/backward, softmax cross-entropy, SGD
with momentum, masks that keep pruned weights at zero.

Convolutions follow the Conv's stride, pad and dilation (tap ``(ky, kx)`` at input offset
``(ky*dilation, kx*dilation)``, as ONNX Conv ``dilations``); a depth-wise conv's weights are the
block-diagonal ``(C, C, K, K)`` kernel (:meth:`sparsetrain.net.Net.structure_mask`): anything off
the diagonal blocks is ignored, gets no gradient and is zeroed by :func:`train_float`.
"""

from __future__ import annotations

import numpy as np

from sparsetrain.net import Conv, Gap, Linear, MaxPool, Net


def _conv_cols(x, k: int, stride: int, pad: int, dil: int = 1):
    """``(B, C, H, W)`` -> im2col matrix ``(B*Ho*Wo, C*k*k)`` and ``(Ho, Wo)``; tap ``(ky, kx)``
    of output ``(yo, xo)`` reads padded input ``(yo*stride + ky*dil, xo*stride + kx*dil)``."""
    b, c, h, w = x.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    span = dil * (k - 1) + 1
    ho = (h + 2 * pad - span) // stride + 1
    wo = (w + 2 * pad - span) // stride + 1
    win = np.lib.stride_tricks.sliding_window_view(xp, (span, span), axis=(2, 3))
    win = win[:, :, ::stride, ::stride][:, :, :ho, :wo][..., ::dil, ::dil]
    return win.transpose(0, 2, 3, 1, 4, 5).reshape(b * ho * wo, c * k * k), (ho, wo)


def _conv_col2im(dcols, x_shape, k: int, stride: int, pad: int, ho: int, wo: int, dil: int = 1):
    b, c, h, w = x_shape
    d = dcols.reshape(b, ho, wo, c, k, k)
    dxp = np.zeros((b, c, h + 2 * pad, w + 2 * pad))
    for ky in range(k):
        for kx in range(k):
            y0, x0 = ky * dil, kx * dil
            dxp[:, :, y0:y0 + stride * (ho - 1) + 1:stride, x0:x0 + stride * (wo - 1) + 1:stride] += \
                d[:, :, :, :, ky, kx].transpose(0, 3, 1, 2)
    return dxp[:, :, pad:pad + h, pad:pad + w]


def forward_float(net: Net, params: list, x):
    """Batched float forward ``(B, C, H, W)`` -> (logits ``(B, K)``, cache for :func:`backward_float`)."""
    cache = []
    a = np.asarray(x, dtype=np.float64)
    for i, (layer, p) in enumerate(zip(net.layers, params)):
        if isinstance(layer, Conv):
            cols, (ho, wo) = _conv_cols(a, layer.k, layer.stride, layer.pad, layer.dilation)
            w, bias = p
            m = net.structure_mask(i)
            if m is not None:       # depth-wise: only the diagonal blocks are weights
                w = w * m
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
            dw = (dyf.T @ cols).reshape(w.shape)
            m = net.structure_mask(i)
            if m is not None:       # depth-wise: no gradient off the diagonal blocks (no weights there)
                dw, w = dw * m, w * m
            grads[i] = (dw, dyf.sum(0))
            if i > 0:
                dy = _conv_col2im(dyf @ w.reshape(w.shape[0], -1), x_shape, layer.k, layer.stride, layer.pad, ho, wo,
                                  layer.dilation)
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
    for i in range(len(net.layers)):      # depth-wise convs: nothing off the diagonal blocks
        m = net.structure_mask(i) if isinstance(net.layers[i], Conv) else None
        if m is not None:
            params[i] = (params[i][0] * m, params[i][1])
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
