"""Sparse convolution: forward, input gradient and weight gradient, as the UC unit computes them.

All three take the non-zero weights of a :class:`SparseWeights` from its forward or backward list,
as the hardware's address generator does. Float mode visits them one at a time (the pixel loop
vectorised); integer mode puts the list's entries into a dense matrix (zeros elsewhere) and does
the sums as one matrix product per kernel offset group (im2col), in float64 when every partial sum
is an integer below 2**53 (:func:`_imatmul`: then the sum is exact in any order and equals the
int64 sum), in int64 otherwise. Integer results are identical either way (the sums are exact);
test_models_conv checks both against per-weight loops. Shapes:

* ``x``  input feature map ``(C, H, W)``, optionally with leading batch axes ``(..., C, H, W)``
* ``sw`` sparse kernel of dense shape ``(N, C, K, K)``
* ``y``/``dy`` output map / its gradient ``(..., N, Ho, Wo)`` with
  ``Ho = (H + 2*pad - dilation*(K-1) - 1) // stride + 1`` (same for Wo)

Geometry: output pixel ``(yo, xo)`` of channel n reads input pixel
``(yo*stride - pad + ky*dilation, xo*stride - pad + kx*dilation)`` of channel c for the weight at
``(n, c, ky, kx)``; input pixels outside the map read as zero (zero padding).

Integer mode (int16 data): exact int64 accumulation (the RTL's 48-bit accumulator never
overflows inside the parameter limits; checked) then :func:`requant`.  Float mode: exact sums,
``shift`` scales by ``2**-shift``.
"""

from __future__ import annotations

import numpy as np

from sparsetrain.geometry import conv_out_size
from sparsetrain.numerics import (GRAD_W, check_acc_range, check_int16, is_float, requant, round_shift,
                                  sat)
from sparsetrain.sparse import SparseWeights


def _check_geometry(stride, pad, dilation):
    if int(stride) < 1:
        raise ValueError(f"stride must be >= 1, got {stride}")
    if int(dilation) < 1:
        raise ValueError(f"dilation must be >= 1, got {dilation}")
    if int(pad) < 0:
        raise ValueError(f"pad must be >= 0, got {pad}")


def _mode_arrays(sw: SparseWeights, *arrays):
    """Common dtype handling: int16 everywhere (-> int64 math) or floats (-> float64 math)."""
    floats = [is_float(a) for a in arrays] + [is_float(sw.values)]
    if any(floats) and not all(floats):
        raise ValueError("mixing integer and float arrays: use int16 everywhere or floats everywhere")
    dt = np.float64 if all(floats) else np.int64
    vals = sw.values.astype(dt)
    return dt, vals


def _window(k_off: int, out: int, stride: int) -> slice:
    """Rows (or columns) of the padded map that offset ``k_off`` reads for outputs 0..out-1."""
    return slice(k_off, k_off + stride * (out - 1) + 1, stride)


def _imatmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Exact integer ``a @ b`` (int64 in, int64 out; numpy matmul broadcasting).

    float64 (BLAS) when ``inner * max|a| * max|b| < 2**53``: every product and partial sum is then
    an integer float64 represents exactly, so the result is exact whatever the summation order;
    else numpy's int64 matmul."""
    inner = a.shape[-1]
    amax = int(np.abs(a).max()) if a.size else 0
    bmax = int(np.abs(b).max()) if b.size else 0
    if inner * amax * bmax < (1 << 53):
        return np.matmul(a.astype(np.float64), b.astype(np.float64)).astype(np.int64)
    return np.matmul(a, b)


def _offsets(k: int) -> list[tuple[int, int]]:
    """Kernel offsets (ky, kx) in row-major order: the column order of the im2col matrices."""
    return [(ky, kx) for ky in range(k) for kx in range(k)]


def _im2col(xp, k: int, ho: int, wo: int, stride: int, dilation: int) -> np.ndarray:
    """``(..., C, Hp, Wp)`` padded map -> ``(..., C*K*K, Ho*Wo)``: row ``(c*K + ky)*K + kx`` holds
    the input pixels offset (ky, kx) reads for every output pixel."""
    cols = np.stack([xp[..., _window(ky * dilation, ho, stride), _window(kx * dilation, wo, stride)]
                     for ky, kx in _offsets(k)], axis=-3)          # (..., C, K*K, Ho, Wo)
    return cols.reshape(cols.shape[:-4] + (cols.shape[-4] * k * k, ho * wo))


def _fwd_matrix(sw: SparseWeights, vals) -> np.ndarray:
    """Dense ``(N, C*K*K)`` int64 matrix of the forward list's entries (zeros elsewhere)."""
    n_out, c_in, k, _ = sw.shape
    m = np.zeros((n_out, c_in * k * k), dtype=np.int64)
    col = (sw.fwd_c.astype(np.int64) * k + sw.fwd_ky) * k + sw.fwd_kx
    np.add.at(m, (sw.fwd_n.astype(np.int64), col), vals)
    return m


def _bwd_matrix(sw: SparseWeights, vals) -> np.ndarray:
    """Dense ``(C*K*K, N)`` int64 matrix of the backward list's entries: row (c, ky, kx) of entry b
    is (bwd_c, bwd_ky, bwd_kx), column bwd_n, value ``vals[bwd_waddr]``."""
    n_out, c_in, k, _ = sw.shape
    m = np.zeros((c_in * k * k, n_out), dtype=np.int64)
    row = (sw.bwd_c.astype(np.int64) * k + sw.bwd_ky) * k + sw.bwd_kx
    np.add.at(m, (row, sw.bwd_n.astype(np.int64)), vals[sw.bwd_waddr])
    return m


def _pad(x, pad: int, dt):
    widths = [(0, 0)] * (x.ndim - 2) + [(pad, pad), (pad, pad)]
    return np.pad(np.asarray(x, dtype=dt), widths)


def conv_forward(x, sw: SparseWeights, bias=None, stride=1, pad=0, dilation=1, relu=False, shift=0):
    """Sparse convolution forward pass: ``y = requant(bias + sum_i w_i * X[c_i, ...], shift)``.

    Args:
        x: ``(..., C, H, W)`` int16 (or float).
        sw: sparse kernel ``(N, C, K, K)``.
        bias: ``(N,)`` in accumulator scale (int32 range, frac bits of x plus frac bits of w), or None.
        stride, pad, dilation: geometry (see module docstring).
        relu: clamp negative outputs to zero (after requantization).
        shift: requantization right shift 0..31 (round half up, saturate to int16).
    Returns:
        ``(..., N, Ho, Wo)`` int16 (float64 in float mode).
    """
    x = check_int16("x", x)
    _check_geometry(stride, pad, dilation)
    n_out, c_in, k, _ = sw.shape
    if x.ndim < 3 or x.shape[-3] != c_in:
        raise ValueError(f"x must have shape (..., {c_in}, H, W), got {x.shape}")
    dt, vals = _mode_arrays(sw, x)
    ho = conv_out_size(x.shape[-2], k, stride, pad, dilation)
    wo = conv_out_size(x.shape[-1], k, stride, pad, dilation)
    xp = _pad(x, pad, dt)
    acc = np.zeros(x.shape[:-3] + (n_out, ho, wo), dtype=dt)
    if bias is not None:
        bias = np.asarray(bias)
        if bias.shape != (n_out,):
            raise ValueError(f"bias must have shape ({n_out},), got {bias.shape}")
        acc += bias.astype(dt)[:, None, None]
    if dt is np.int64:
        cols = _im2col(xp, k, ho, wo, stride, dilation)
        acc += _imatmul(_fwd_matrix(sw, vals), cols).reshape(acc.shape)
        check_acc_range(acc)
        return requant(acc, shift, relu)
    for i in range(sw.nnz):
        rows = _window(int(sw.fwd_ky[i]) * dilation, ho, stride)
        cols = _window(int(sw.fwd_kx[i]) * dilation, wo, stride)
        acc[..., sw.fwd_n[i], :, :] += vals[i] * xp[..., sw.fwd_c[i], rows, cols]
    check_acc_range(acc)
    return requant(acc, shift, relu)


def conv_backward_data(dy, sw: SparseWeights, x_shape, stride=1, pad=0, dilation=1, shift=0):
    """Input gradient through the backward list (transposed kernel, offsets negated).

    ``dX[c, y, x] = requant(sum over backward entries (kx, ky, n, waddr) of channel c and all
    (yo, xo) with yo*stride - pad + ky*dilation == y (same for x) of w[waddr] * dY[n, yo, xo])``.
    No bias, no ReLU.  Input pixels that no output reads (stride gaps, dropped border) get 0.

    Args:
        dy: ``(..., N, Ho, Wo)`` int16 (or float).
        sw: sparse kernel ``(N, C, K, K)``.
        x_shape: ``(C, H, W)`` of the forward input.
    Returns:
        ``(..., C, H, W)`` int16 (float64 in float mode).
    """
    dy = check_int16("dy", dy)
    _check_geometry(stride, pad, dilation)
    n_out, c_in, k, _ = sw.shape
    c, h, w = (int(v) for v in x_shape[-3:])
    if c != c_in:
        raise ValueError(f"x_shape has {c} channels, kernel expects {c_in}")
    ho = conv_out_size(h, k, stride, pad, dilation)
    wo = conv_out_size(w, k, stride, pad, dilation)
    if dy.ndim < 3 or dy.shape[-3:] != (n_out, ho, wo):
        raise ValueError(f"dy must have shape (..., {n_out}, {ho}, {wo}), got {dy.shape}")
    dt, vals = _mode_arrays(sw, dy)
    dy = np.asarray(dy, dtype=dt)
    accp = np.zeros(dy.shape[:-3] + (c, h + 2 * pad, w + 2 * pad), dtype=dt)
    if dt is np.int64:
        # (C*K*K, N) @ (..., N, Ho*Wo): every (c, ky, kx) contribution, then added at its offset
        d = _imatmul(_bwd_matrix(sw, vals), dy.reshape(dy.shape[:-2] + (ho * wo,)))
        d = d.reshape(dy.shape[:-3] + (c, k * k, ho, wo))
        for j, (ky, kx) in enumerate(_offsets(k)):
            accp[..., _window(ky * dilation, ho, stride), _window(kx * dilation, wo, stride)] += d[..., j, :, :]
        acc = accp[..., pad:pad + h, pad:pad + w]
        check_acc_range(acc)
        return requant(acc, shift)
    for b in range(sw.nnz):
        rows = _window(int(sw.bwd_ky[b]) * dilation, ho, stride)
        cols = _window(int(sw.bwd_kx[b]) * dilation, wo, stride)
        accp[..., sw.bwd_c[b], rows, cols] += vals[sw.bwd_waddr[b]] * dy[..., sw.bwd_n[b], :, :]
    acc = accp[..., pad:pad + h, pad:pad + w]
    check_acc_range(acc)
    return requant(acc, shift)


def conv_weight_grad(x, dy, sw: SparseWeights, stride=1, pad=0, dilation=1, shift=0):
    """Weight gradient of one image, only at the non-zero weights, in forward-list order.

    ``dW_i = sat32(round_shift(sum_{yo,xo} dY[n_i, yo, xo] * X[c_i, yo*s-pad+ky_i*d, xo*s-pad+kx_i*d], shift))``

    Args:
        x: ``(..., C, H, W)`` int16 (or float); dy: ``(..., N, Ho, Wo)``.
    Returns:
        ``(..., nnz)`` int32 (float64 in float mode); leading axes are kept (one gradient per
        image), because the hardware rounds each image's gradient before accumulating it
        (:func:`grad_accumulate`).
    """
    x = check_int16("x", x)
    dy = check_int16("dy", dy)
    _check_geometry(stride, pad, dilation)
    n_out, c_in, k, _ = sw.shape
    if x.ndim < 3 or x.shape[-3] != c_in:
        raise ValueError(f"x must have shape (..., {c_in}, H, W), got {x.shape}")
    ho = conv_out_size(x.shape[-2], k, stride, pad, dilation)
    wo = conv_out_size(x.shape[-1], k, stride, pad, dilation)
    if dy.shape[-3:] != (n_out, ho, wo) or dy.shape[:-3] != x.shape[:-3]:
        raise ValueError(f"dy must have shape {x.shape[:-3] + (n_out, ho, wo)}, got {dy.shape}")
    dt, _ = _mode_arrays(sw, x, dy)
    xp = _pad(x, pad, dt)
    dy = np.asarray(dy, dtype=dt)
    acc = np.zeros(x.shape[:-3] + (sw.nnz,), dtype=dt)
    if dt is np.int64 and sw.nnz:
        # (..., N, Ho*Wo) @ (..., Ho*Wo, C*K*K): the dense gradient, read at the list's entries
        cols = _im2col(xp, k, ho, wo, stride, dilation)
        g = _imatmul(dy.reshape(dy.shape[:-2] + (ho * wo,)), np.swapaxes(cols, -1, -2))
        col = (sw.fwd_c.astype(np.int64) * k + sw.fwd_ky) * k + sw.fwd_kx
        acc = g[..., sw.fwd_n.astype(np.int64), col]
        check_acc_range(acc)
        gr = round_shift(acc, shift)
        return sat(gr, GRAD_W).astype(np.int32)
    for i in range(sw.nnz):
        rows = _window(int(sw.fwd_ky[i]) * dilation, ho, stride)
        cols = _window(int(sw.fwd_kx[i]) * dilation, wo, stride)
        acc[..., i] = (dy[..., sw.fwd_n[i], :, :] * xp[..., sw.fwd_c[i], rows, cols]).sum(axis=(-2, -1))
    check_acc_range(acc)
    g = round_shift(acc, shift)
    return g if is_float(g) else sat(g, GRAD_W).astype(np.int32)


def bias_grad(dy, shift=0):
    """Bias gradient of one image: ``db[n] = sat32(round_shift(sum_{yo,xo} dY[n], shift))``.

    ``dy``: ``(..., N, Ho, Wo)``; returns ``(..., N)`` int32 (float64 in float mode).
    """
    dy = check_int16("dy", dy)
    s = np.asarray(dy, dtype=np.float64 if is_float(dy) else np.int64).sum(axis=(-2, -1))
    g = round_shift(s, shift)
    return g if is_float(g) else sat(g, GRAD_W).astype(np.int32)


def grad_accumulate(gmem, g):
    """Gradient memory update: ``gmem = sat32(gmem + g)`` (int32 in, int32 out; floats add)."""
    if is_float(g):
        return np.asarray(gmem, dtype=np.float64) + g
    return sat(np.asarray(gmem, dtype=np.int64) + np.asarray(g, dtype=np.int64), GRAD_W).astype(np.int32)


def grad_accumulate_batch(g_batch, gmem=None):
    """Accumulate per-image gradients ``(B, ...)`` in order, saturating after every image."""
    g_batch = np.asarray(g_batch)
    if gmem is None:
        gmem = np.zeros(g_batch.shape[1:], dtype=np.float64 if is_float(g_batch) else np.int32)
    for g in g_batch:
        gmem = grad_accumulate(gmem, g)
    return gmem
