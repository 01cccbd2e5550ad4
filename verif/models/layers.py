"""Non-convolution layers of the training loop: ReLU, max pool, GAP, linear, loss, SGD.

Same conventions as :mod:`verif.models.conv`: int16 data in integer mode (exact, saturating,
round half up), float arrays in float mode; maps are ``(..., C, H, W)``.
"""

from __future__ import annotations

import math

import numpy as np

from sparsetrain.numerics import (BIAS_W, DATA_W, GRAD_W, check_acc_range, check_int16, is_float,
                                  requant, round_shift, sat, sat16)


# --------------------------------------------------------------------------------------- ReLU
def relu_forward(x):
    """``max(x, 0)``, same shape and dtype."""
    x = check_int16("x", x)
    return np.maximum(x, 0).astype(x.dtype)


def relu_backward(dy, y):
    """ReLU gradient masked by the forward *output* ``y``: ``dx = dy if y > 0 else 0``.

    ``y == 0`` (including a saturated-negative pre-activation) passes no gradient.
    """
    dy = check_int16("dy", dy)
    y = np.asarray(y)
    if dy.shape != y.shape:
        raise ValueError(f"dy {dy.shape} and y {y.shape} must have the same shape")
    return np.where(y > 0, dy, 0).astype(dy.dtype)


# ----------------------------------------------------------------------------------- max pool
def maxpool_forward(x):
    """2x2, stride-2 max pooling with the argmax of every window.

    Odd sizes: ``Ho = H // 2``, ``Wo = W // 2``; the last row / column of an odd map is not read
    (and gets zero gradient).  Ties: the first maximum in raster order ``(0,0), (0,1), (1,0),
    (1,1)`` wins (a later element replaces the running max only when strictly greater).

    Args:
        x: ``(..., C, H, W)``, H and W >= 2.
    Returns:
        ``(y, argmax)``: ``y`` ``(..., C, Ho, Wo)`` of x's dtype; ``argmax`` uint8 ``2*dy + dx``.
    """
    x = check_int16("x", x)
    if x.ndim < 3 or x.shape[-2] < 2 or x.shape[-1] < 2:
        raise ValueError(f"max pool needs (..., C, H>=2, W>=2), got {x.shape}")
    ho, wo = x.shape[-2] // 2, x.shape[-1] // 2
    best = x[..., 0:2 * ho:2, 0:2 * wo:2].copy()
    arg = np.zeros(best.shape, dtype=np.uint8)
    for k, (dy, dx) in enumerate(((0, 1), (1, 0), (1, 1)), start=1):
        cand = x[..., dy:2 * ho:2, dx:2 * wo:2]
        better = cand > best
        best = np.where(better, cand, best)
        arg = np.where(better, np.uint8(k), arg)
    return best.astype(x.dtype), arg


def maxpool_backward(dy, argmax, x_shape):
    """Route each gradient to its window's argmax; zeros elsewhere.

    Args:
        dy: ``(..., C, Ho, Wo)``; argmax: uint8 from :func:`maxpool_forward`;
        x_shape: forward input shape ``(..., C, H, W)`` (only the last two axes are used).
    Returns:
        ``(..., C, H, W)`` of dy's dtype.
    """
    dy = check_int16("dy", dy)
    argmax = np.asarray(argmax)
    h, w = int(x_shape[-2]), int(x_shape[-1])
    ho, wo = h // 2, w // 2
    if dy.shape[-2:] != (ho, wo) or argmax.shape != dy.shape:
        raise ValueError(f"dy and argmax must end in ({ho}, {wo}), got {dy.shape}, {argmax.shape}")
    dx = np.zeros(dy.shape[:-2] + (h, w), dtype=dy.dtype)
    for k, (oy, ox) in enumerate(((0, 0), (0, 1), (1, 0), (1, 1))):
        dx[..., oy:2 * ho:2, ox:2 * wo:2] = np.where(argmax == k, dy, 0)
    return dx


def argmax_words(y, argmax):
    """The argmax map as the MP unit stores it (MP_FWD's third output, docs/units.md).

    Args:
        y: pooled output ``(..., C, Ho, Wo)`` int16 from :func:`maxpool_forward`; argmax: its
            uint8 ``2*dy + dx`` of the same shape.
    Returns:
        int16 words of the same shape: bits 1:0 the position, bit 2 ``y > 0`` (the window's
        maximum is positive), bits 15:3 zero.
    Raises:
        ValueError: shapes differ, or an argmax value above 3.
    """
    y = check_int16("y", y)
    argmax = np.asarray(argmax)
    if y.shape != argmax.shape:
        raise ValueError(f"y {y.shape} and argmax {argmax.shape} must have the same shape")
    if argmax.size and int(argmax.max()) > 3:
        raise ValueError("argmax values must be 0..3")
    return (argmax.astype(np.int16) | np.where(y > 0, 4, 0).astype(np.int16)).astype(np.int16)


def maxpool_relu_backward(dy, words, x_shape):
    """MP_BWD_RELU: the max-pool backward and the ReLU backward of the layer below it, in one.

    Each gradient goes to its window's argmax (``words & 3``, as :func:`maxpool_backward`) only
    when the window's maximum was positive (bit 2 of the MP unit's argmax word,
    :func:`argmax_words`); other bits are ignored. When the pooled map is a ReLU output ``a``,
    this equals ``relu_backward(maxpool_backward(dy, argmax, a.shape), a)``: the argmax pixel
    holds the maximum, and every other pixel gets 0 from both.

    Args:
        dy: ``(..., C, Ho, Wo)`` int16; words: int16 argmax words of the same shape;
        x_shape: the pool's input shape ``(..., C, H, W)``.
    Returns:
        ``(..., C, H, W)`` of dy's dtype.
    Raises:
        ValueError: as :func:`maxpool_backward`.
    """
    words = np.asarray(words).astype(np.int64)
    dy = check_int16("dy", dy)
    if dy.shape != words.shape:
        raise ValueError(f"dy {dy.shape} and the argmax words {words.shape} must have the same shape")
    masked = np.where((words >> 2) & 1, dy, 0).astype(dy.dtype)
    return maxpool_backward(masked, (words & 3).astype(np.uint8), x_shape)


# ------------------------------------------------------------------------ global average pool
def gap_params(h: int, w: int) -> tuple[int, int]:
    """Reciprocal multiplier and shift for a mean over ``h*w`` pixels.

    ``R = 16 + ceil(log2(h*w))`` and ``M = round_half_up(2**R / (h*w))``, so M has 16-17 bits
    and ``|mean - exact| <= 0.25 LSB + rounding``; ``sum * M`` needs at most 32+17 bits.
    """
    hw = int(h) * int(w)
    if hw < 1:
        raise ValueError("GAP needs at least one pixel")
    r = 16 + (hw - 1).bit_length()
    m = ((1 << r) + hw // 2) // hw
    return m, r


def gap_forward(x):
    """Global average pooling ``(..., C, H, W) -> (..., C)``.

    Integer: ``y = sat16((sum * M + 2**(R-1)) >> R)`` with ``(M, R) = gap_params(H, W)``.
    Float: the exact mean.
    """
    x = check_int16("x", x)
    if x.ndim < 3:
        raise ValueError(f"GAP needs (..., C, H, W), got {x.shape}")
    if is_float(x):
        return x.mean(axis=(-2, -1))
    m, r = gap_params(x.shape[-2], x.shape[-1])
    s = x.astype(np.int64).sum(axis=(-2, -1))
    return sat16(round_shift(s * m, r))


def gap_backward(dy, x_shape):
    """Spread the gradient evenly: ``dx[..., c, :, :] = sat16((dy * M + 2**(R-1)) >> R)``.

    dy: ``(..., C)``; returns ``(..., C, H, W)`` (float: ``dy / (H*W)``).
    """
    dy = check_int16("dy", dy)
    h, w = int(x_shape[-2]), int(x_shape[-1])
    if is_float(dy):
        g = dy / (h * w)
    else:
        m, r = gap_params(h, w)
        g = sat16(round_shift(dy.astype(np.int64) * m, r))
    return np.broadcast_to(g[..., None, None], dy.shape + (h, w)).copy()


# ------------------------------------------------------------------------------------- linear
def linear_forward(x, w, bias=None, shift=0, relu=False):
    """Fully connected layer ``y = requant(b + W x, shift)``.

    Args:
        x: ``(..., K)`` int16; w: ``(M, K)`` int16 dense; bias: ``(M,)`` accumulator scale (int32).
    Returns:
        ``(..., M)`` int16 (float64 in float mode).
    """
    x = check_int16("x", x)
    w = check_int16("w", w)
    if w.ndim != 2 or x.shape[-1] != w.shape[1]:
        raise ValueError(f"x (..., {x.shape[-1]}) and w {w.shape} do not match")
    dt = np.float64 if is_float(x) else np.int64
    acc = np.asarray(x, dtype=dt) @ np.asarray(w, dtype=dt).T
    if bias is not None:
        acc = acc + np.asarray(bias, dtype=dt)
    check_acc_range(acc)
    return requant(acc, shift, relu)


def linear_backward(dy, x, w, shift_dx=0, shift_dw=0):
    """Gradients of a linear layer for one image (or a batch, kept per image).

    Returns ``(dx, dw, db)``:
      * ``dx = requant(W^T dy, shift_dx)`` ``(..., K)`` int16
      * ``dw = sat32(round_shift(dy[m] * x[k], shift_dw))`` ``(..., M, K)`` int32
      * ``db = dy`` widened to int32 ``(..., M)`` (scale: that of dy)
    Accumulate over a batch with :func:`verif.models.conv.grad_accumulate`.
    """
    dy = check_int16("dy", dy)
    x = check_int16("x", x)
    w = check_int16("w", w)
    if w.shape != (dy.shape[-1], x.shape[-1]):
        raise ValueError(f"w {w.shape} does not match dy (..., {dy.shape[-1]}) and x (..., {x.shape[-1]})")
    dt = np.float64 if is_float(dy) else np.int64
    dy64, x64, w64 = (np.asarray(a, dtype=dt) for a in (dy, x, w))
    dx = requant(dy64 @ w64, shift_dx)
    dw = round_shift(dy64[..., :, None] * x64[..., None, :], shift_dw)
    if is_float(dy):
        return dx, dw, dy64
    return dx, sat(dw, GRAD_W).astype(np.int32), dy64.astype(np.int32)


# --------------------------------------------------------------------------- softmax + loss
#: exp table: EXP_LUT[j] = round(2**16 * exp(-j / 16)), 256 entries of 17 bits (EXP_LUT[0] = 65536).
EXP_LUT_FRAC = 4
EXP_LUT = np.array([int(math.floor(65536.0 * math.exp(-j / 16.0) + 0.5)) for j in range(256)], dtype=np.int64)
#: ln table: LN_LUT[j] = round(2**16 * ln(1 + j/256)), indexed by the 8 bits below S's leading one.
LN_LUT = np.array([int(math.floor(65536.0 * math.log1p(j / 256.0) + 0.5)) for j in range(256)], dtype=np.int64)
LN2_Q16 = int(math.floor(65536.0 * math.log(2.0) + 0.5))
RECIP_BITS = 32


def _exp_index(d, in_frac: int):
    """Table index of ``max - y`` (``in_frac`` fraction bits) in steps of 1/16, clipped to 255."""
    if in_frac >= EXP_LUT_FRAC:
        idx = round_shift(d, in_frac - EXP_LUT_FRAC)
    else:
        idx = np.asarray(d, dtype=np.int64) << (EXP_LUT_FRAC - in_frac)
    return np.minimum(idx, 255)


def softmax_xent_grad(logits, label, in_frac: int, grad_frac: int):
    """Softmax cross-entropy: gradient ``softmax(y) - onehot(label)``, predicted class and loss.

    Fixed-point form (what the loss unit computes), for logits ``y`` (K,) int16 with ``in_frac``
    fraction bits (0..15):

    1. ``m = max(y)``, ``pred`` = first index of m (lowest index wins ties).
    2. ``idx_i = min(round_shift(m - y_i, in_frac - 4), 255)`` (left shift if in_frac < 4);
       ``e_i = EXP_LUT[idx_i]`` (~ 2**16 * exp(y_i - m)).
    3. ``S = sum e_i``; one reciprocal ``r = floor(2**32 / S)``.
    4. ``p_i = (e_i * r + 2**(31 - grad_frac)) >> (32 - grad_frac)``, probability with
       ``grad_frac`` (0..15) fraction bits; ``grad_i = sat16(p_i - (i == label) << grad_frac)``.
    5. Loss ``-ln p_label = ln S - 16 ln 2 + idx_label / 16`` in Q8 (unsigned 16 bit, saturating):
       ``ln S = k ln2 + LN_LUT[8 bits below the leading one of S]`` with ``k = msb(S)``.

    Float mode (float logits): exact softmax, ``pred``, and the natural-log loss.

    Args:
        logits: ``(K,)`` or ``(B, K)``; label: int or ``(B,)`` ints in 0..K-1.
    Returns:
        ``(grad, pred, loss)``: grad like logits (int16), pred int(s), loss int(s) in Q8 (float: nats).
    """
    y = check_int16("logits", logits)
    if y.ndim not in (1, 2):
        raise ValueError(f"logits must be (K,) or (B, K), got {y.shape}")
    single = y.ndim == 1
    y2 = y[None, :] if single else y
    labels = np.atleast_1d(np.asarray(label, dtype=np.int64))
    k = y2.shape[-1]
    if labels.shape != (y2.shape[0],):
        raise ValueError(f"need one label per row of logits, got {labels.shape} for {y2.shape}")
    if labels.min() < 0 or labels.max() >= k:
        raise ValueError(f"label out of range 0..{k - 1}: {labels}")
    if not 0 <= grad_frac <= 15 or not 0 <= in_frac <= 15:
        raise ValueError(f"in_frac and grad_frac must be in 0..15, got {in_frac}, {grad_frac}")
    rows = np.arange(y2.shape[0])
    pred = np.argmax(y2, axis=-1)
    onehot = np.zeros(y2.shape, dtype=np.int64)
    onehot[rows, labels] = 1
    if is_float(y2):
        z = np.exp(y2 - y2.max(axis=-1, keepdims=True))
        p = z / z.sum(axis=-1, keepdims=True)
        grad = p - onehot
        loss = -np.log(p[rows, labels])
    else:
        y64 = y2.astype(np.int64)
        idx = _exp_index(y64.max(axis=-1, keepdims=True) - y64, in_frac)
        e = EXP_LUT[idx]
        s = e.sum(axis=-1)
        r = (np.int64(1) << RECIP_BITS) // s
        p = (e * r[:, None] + (np.int64(1) << (RECIP_BITS - 1 - grad_frac))) >> (RECIP_BITS - grad_frac)
        grad = sat16(p - (onehot << grad_frac))
        loss = np.array([_loss_q8(int(si), int(ii)) for si, ii in zip(s, idx[rows, labels])], dtype=np.int64)
    if single:
        return grad[0], int(pred[0]), (loss[0] if is_float(y2) else int(loss[0]))
    return grad, pred, loss


def _loss_q8(s: int, idx_label: int) -> int:
    msb = s.bit_length() - 1
    frac8 = (s >> (msb - 8)) & 0xFF if msb >= 8 else (s << (8 - msb)) & 0xFF
    ln_s = msb * LN2_Q16 + int(LN_LUT[frac8])
    loss_q16 = ln_s - 16 * LN2_Q16 + (idx_label << 12)
    return min(max((loss_q16 + 128) >> 8, 0), 0xFFFF)


# ---------------------------------------------------------------------------------------- SGD
def sgd_update(w, grad, lr_mult: int, lr_shift: int, bits: int = DATA_W):
    """Plain SGD on stored values: ``w <- sat(w - round_shift(grad * lr_mult, lr_shift))``.

    The learning rate is ``lr_mult * 2**-lr_shift`` with ``lr_mult`` unsigned 16-bit and
    ``lr_shift`` 0..63, i.e. one 32x16 multiply and one rounding shift per weight.
    ``bits`` is 16 for weights and 32 (BIAS_W) for biases.  Integer in, same width out
    (int16 for 16 bits, int32 for 32); float mode: ``w - grad * lr_mult * 2**-lr_shift``.
    """
    if not 0 <= int(lr_mult) < (1 << 16):
        raise ValueError(f"lr_mult must be an unsigned 16-bit value, got {lr_mult}")
    if not 0 <= int(lr_shift) < 64:
        raise ValueError(f"lr_shift must be in 0..63, got {lr_shift}")
    if is_float(w) or is_float(grad):
        return np.asarray(w, dtype=np.float64) - np.asarray(grad, dtype=np.float64) * lr_mult * 2.0 ** -lr_shift
    step = round_shift(np.asarray(grad, dtype=np.int64) * int(lr_mult), int(lr_shift))
    out = sat(np.asarray(w, dtype=np.int64) - step, bits)
    return out.astype(np.int16 if bits == DATA_W else (np.int32 if bits == BIAS_W else np.int64))
