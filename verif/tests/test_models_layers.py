"""ReLU, max pool, GAP, linear, softmax cross-entropy and SGD models against independent references."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest

from verif.models import (argmax_words, gap_backward, gap_forward, gap_params, linear_backward,
                          linear_forward, maxpool_backward, maxpool_forward, maxpool_relu_backward,
                          quantize, dequantize, relu_backward, relu_forward, requant, sgd_update,
                          softmax_xent_grad)
from verif.models.reference import ref_requant

MAP_SHAPES = [(1, 2, 2), (3, 5, 7), (4, 8, 8), (2, 9, 4), (1, 1, 32)]


def mid(s):
    return "c{}_{}x{}".format(*s)


# ------------------------------------------------------------------------------------ ReLU
def test_relu_forward_backward_4x6x6():
    rng = np.random.default_rng(1)
    x = rng.integers(-5, 5, (4, 6, 6)).astype(np.int16)
    y = relu_forward(x)
    dy = rng.integers(-100, 100, x.shape).astype(np.int16)
    dx = relu_backward(dy, y)
    for idx in np.ndindex(x.shape):
        assert y[idx] == max(int(x[idx]), 0)
        assert dx[idx] == (dy[idx] if x[idx] > 0 else 0)


# -------------------------------------------------------------------------------- max pool
def ref_maxpool(x):
    c, h, w = x.shape
    y = np.zeros((c, h // 2, w // 2), dtype=x.dtype)
    arg = np.zeros(y.shape, dtype=np.uint8)
    for ci in range(c):
        for yo in range(h // 2):
            for xo in range(w // 2):
                win = [x[ci, 2 * yo + k // 2, 2 * xo + k % 2] for k in range(4)]
                arg[ci, yo, xo] = win.index(max(win))  # first maximum in raster order
                y[ci, yo, xo] = max(win)
    return y, arg


@pytest.mark.parametrize("shape", [s for s in MAP_SHAPES if s[1] >= 2 and s[2] >= 2], ids=mid)
def test_maxpool_matches_loops_with_ties(shape):
    rng = np.random.default_rng(sum(shape))
    x = rng.integers(-3, 3, shape).astype(np.int16)  # small range: many ties
    y, arg = maxpool_forward(x)
    ry, rarg = ref_maxpool(x)
    assert np.array_equal(y, ry) and np.array_equal(arg, rarg)
    dy = rng.integers(-1000, 1000, y.shape).astype(np.int16)
    dx = maxpool_backward(dy, arg, x.shape)
    ref = np.zeros_like(x)
    for ci, yo, xo in np.ndindex(y.shape):
        k = rarg[ci, yo, xo]
        ref[ci, 2 * yo + k // 2, 2 * xo + k % 2] = dy[ci, yo, xo]
    assert np.array_equal(dx, ref)


def test_maxpool_all_equal_window_picks_top_left():
    y, arg = maxpool_forward(np.full((1, 2, 2), 7, np.int16))
    assert int(y[0, 0, 0]) == 7 and int(arg[0, 0, 0]) == 0


def test_maxpool_rejects_1x1_map():
    with pytest.raises(ValueError, match="H>=2"):
        maxpool_forward(np.zeros((1, 1, 4), np.int16))


def test_maxpool_float_gradient_finite_difference():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((2, 5, 6))
    y, arg = maxpool_forward(x)
    dy = rng.standard_normal(y.shape)
    dx = maxpool_backward(dy, arg, x.shape)
    eps = 1e-6
    for idx in np.ndindex(x.shape):
        xp_ = x.copy()
        xp_[idx] += eps
        fd = ((dy * maxpool_forward(xp_)[0]).sum() - (dy * y).sum()) / eps
        assert abs(fd - dx[idx]) < 1e-6


@pytest.mark.parametrize("shape", [s for s in MAP_SHAPES if s[1] >= 2 and s[2] >= 2], ids=mid)
def test_maxpool_relu_backward_is_relu_backward_of_maxpool_backward(shape):
    """MP_BWD_RELU on a pooled ReLU output equals ReLU backward after max-pool backward (the two
    commands it replaces), element by element; ties and zero windows included."""
    rng = np.random.default_rng(sum(shape) + 11)
    c, h, w = shape
    a = relu_forward(rng.integers(-3, 3, (c + 1, h, w)).astype(np.int16))   # many 0s and ties
    a[0, 0:2, 0:2] = 0     # a window whose maximum is 0 (mask bit clear) ...
    a[c] = np.abs(a[c]) + 1    # ... and a channel of positive windows (bit set)
    y, arg = maxpool_forward(a)
    words = argmax_words(y, arg)
    for idx in np.ndindex(y.shape):   # the word format, by hand
        assert int(words[idx]) == int(arg[idx]) + (4 if y[idx] > 0 else 0)
    dy = rng.integers(-32768, 32768, y.shape).astype(np.int16)
    ref = relu_backward(maxpool_backward(dy, arg, a.shape), a)
    assert np.array_equal(maxpool_relu_backward(dy, words, a.shape), ref)
    assert np.any(ref != 0) and np.any((words >> 2) == 0), "a check that sees both mask values"
    # bits 15:3 of a word are ignored
    assert np.array_equal(maxpool_relu_backward(dy, words | np.int16(-8), a.shape), ref)


def test_argmax_words_rejects_bad_input():
    y, arg = maxpool_forward(np.zeros((1, 2, 2), np.int16))
    with pytest.raises(ValueError, match="same shape"):
        argmax_words(y, arg[..., :0])
    with pytest.raises(ValueError, match="0..3"):
        argmax_words(y, arg + 4)
    with pytest.raises(ValueError, match="same shape"):
        maxpool_relu_backward(y, argmax_words(y, arg)[..., :0], (1, 2, 2))


# ------------------------------------------------------------------------------------- GAP
@pytest.mark.parametrize("shape", MAP_SHAPES + [(2, 7, 9), (1, 64, 64)], ids=mid)
def test_gap_forward_backward_exact_formula_and_close_to_mean(shape):
    rng = np.random.default_rng(sum(shape) + 3)
    x = rng.integers(-32768, 32768, shape).astype(np.int16)
    y = gap_forward(x)
    hw = shape[1] * shape[2]
    m, r = gap_params(shape[1], shape[2])
    assert 1 << 15 <= m <= 1 << 17
    for c in range(shape[0]):
        s = int(x[c].astype(np.int64).sum())
        assert y[c] == ref_requant(s * m, r)  # the documented formula, in Python ints
        assert abs(int(y[c]) - Fraction(s, hw)) <= Fraction(3, 4)  # and it is the mean
    dy = rng.integers(-32768, 32768, shape[0]).astype(np.int16)
    dx = gap_backward(dy, shape)
    for c in range(shape[0]):
        assert (dx[c] == ref_requant(int(dy[c]) * m, r)).all()
        assert abs(int(dx[c, 0, 0]) - Fraction(int(dy[c]), hw)) <= Fraction(3, 4)


def test_gap_float_mode_is_mean():
    x = np.arange(12, dtype=np.float64).reshape(1, 3, 4)
    assert gap_forward(x)[0] == 5.5
    assert (gap_backward(np.array([12.0]), x.shape) == 1.0).all()


# ---------------------------------------------------------------------------------- linear
@pytest.mark.parametrize("k,m", [(16, 10), (1, 1), (64, 3)], ids=lambda v: str(v))
def test_linear_matches_loops(k, m):
    rng = np.random.default_rng(k * 100 + m)
    x = rng.integers(-20000, 20000, k).astype(np.int16)
    w = rng.integers(-20000, 20000, (m, k)).astype(np.int16)
    b = rng.integers(-(1 << 30), 1 << 30, m).astype(np.int32)
    shift = 12
    y = linear_forward(x, w, b, shift)
    for i in range(m):
        acc = int(b[i]) + sum(int(w[i, j]) * int(x[j]) for j in range(k))
        assert y[i] == ref_requant(acc, shift)
    dy = rng.integers(-20000, 20000, m).astype(np.int16)
    dx, dw, db = linear_backward(dy, x, w, shift_dx=10, shift_dw=3)
    for j in range(k):
        assert dx[j] == ref_requant(sum(int(w[i, j]) * int(dy[i]) for i in range(m)), 10)
    for i in range(m):
        for j in range(k):
            assert dw[i, j] == ref_requant(int(dy[i]) * int(x[j]), 3, bits=32)
    assert db.dtype == np.int32 and list(db) == list(dy)


def test_linear_float_gradients_finite_difference():
    rng = np.random.default_rng(4)
    x, w, b = rng.standard_normal(5), rng.standard_normal((3, 5)), rng.standard_normal(3)
    dy = rng.standard_normal(3)
    dx, dw, db = linear_backward(dy, x, w)
    eps = 1e-6

    def loss(xv, wv, bv):
        return float(dy @ linear_forward(xv, wv, bv))
    for j in range(5):
        xp_ = x.copy()
        xp_[j] += eps
        assert abs((loss(xp_, w, b) - loss(x, w, b)) / eps - dx[j]) < 1e-5
    for i in range(3):
        for j in range(5):
            wp_ = w.copy()
            wp_[i, j] += eps
            assert abs((loss(x, wp_, b) - loss(x, w, b)) / eps - dw[i, j]) < 1e-5
    assert np.allclose(db, dy)


# ----------------------------------------------------------------------- softmax x-entropy
@pytest.mark.parametrize("classes", [2, 10, 100])
@pytest.mark.parametrize("in_frac,grad_frac", [(8, 12), (4, 15), (2, 8), (12, 14)])
def test_softmax_xent_fixed_point_close_to_float(classes, in_frac, grad_frac):
    rng = np.random.default_rng(classes * 1000 + in_frac * 16 + grad_frac)
    for _ in range(20):
        logits_f = rng.standard_normal(classes) * 3
        q = quantize(logits_f, in_frac)
        label = int(rng.integers(0, classes))
        grad, pred, loss = softmax_xent_grad(q, label, in_frac, grad_frac)
        gf, pf, lf = softmax_xent_grad(dequantize(q, in_frac), label, in_frac, grad_frac)
        assert pred == pf == int(np.argmax(q))
        # table step 1/16 in the exponent: e_i and S each off by <= 3.2 %, so p by <= ~6.5 %
        tol = 0.066 * np.abs(gf + (np.arange(classes) == label)) + 2.0 ** -grad_frac + 1e-9
        assert (np.abs(dequantize(grad, grad_frac) - gf) <= tol).all()
        if lf < 15.0:
            assert abs(loss / 256 - lf) <= 0.04 + 0.04 * lf
        else:  # the exp table ends at 16 nats below the max: the loss is clipped there
            assert loss / 256 >= 15.0
        # probabilities sum to ~1: the label's entry carries the -1
        assert abs(int(grad.astype(np.int64).sum())) <= classes


def test_softmax_xent_ties_all_equal_and_batch():
    q = np.zeros((2, 4), dtype=np.int16)
    grad, pred, loss = softmax_xent_grad(q, [3, 0], 8, 12)
    assert list(pred) == [0, 0]  # all equal: lowest index
    assert list(grad[0]) == [1024, 1024, 1024, 1024 - 4096]
    assert abs(loss[0] / 256 - math.log(4)) < 0.01


def test_softmax_xent_exact_integer_example():
    # y = [0, 16] with in_frac 4: d = [16, 0] -> idx [16, 0] -> e = [24109, 65536]
    grad, pred, loss = softmax_xent_grad(np.array([0, 16], np.int16), 0, 4, 12)
    e = [int(math.floor(65536 * math.exp(-1) + 0.5)), 65536]
    r = (1 << 32) // sum(e)
    p = [(ei * r + (1 << 19)) >> 20 for ei in e]
    assert list(grad) == [p[0] - 4096, p[1]] and pred == 1


def test_softmax_rejects_bad_label_and_fracs():
    with pytest.raises(ValueError, match="label out of range"):
        softmax_xent_grad(np.zeros(10, np.int16), 10, 8, 12)
    with pytest.raises(ValueError, match="grad_frac"):
        softmax_xent_grad(np.zeros(10, np.int16), 1, 8, 16)


# -------------------------------------------------------------------------------------- SGD
def test_sgd_update_matches_python_ints_and_saturates():
    rng = np.random.default_rng(8)
    w = rng.integers(-32768, 32768, 200).astype(np.int16)
    g = rng.integers(-(1 << 31), 1 << 31, 200).astype(np.int32)
    w[:2], g[:2] = [32767, -32768], [-(1 << 31), (1 << 31) - 1]  # force both saturations
    lr_mult, lr_shift = 40000, 30
    out = sgd_update(w, g, lr_mult, lr_shift)
    for i in range(200):
        step = ref_requant(int(g[i]) * lr_mult, lr_shift, bits=64)
        assert out[i] == min(max(int(w[i]) - step, -32768), 32767)
    assert out[0] == 32767 and out[1] == -32768
    assert sgd_update(np.array([5], np.int16), np.array([3], np.int32), 1, 1)[0] == 3  # 1.5 -> 2
    assert sgd_update(np.array([5], np.int16), np.array([-3], np.int32), 1, 1)[0] == 6  # -1.5 -> -1
    b = sgd_update(np.array([2**31 - 1], np.int32), np.array([-100], np.int32), 1, 0, bits=32)
    assert b.dtype == np.int32 and b[0] == 2**31 - 1
    with pytest.raises(ValueError, match="lr_mult"):
        sgd_update(w, g, 1 << 16, 0)


def test_requant_relu_and_bits_32():
    acc = np.array([-(1 << 40), (1 << 40), -7, 7])
    assert list(requant(acc, 2, relu=True)) == [0, 32767, 0, 2]
    assert list(requant(acc, 0, bits=32)) == [-(1 << 31), (1 << 31) - 1, -7, 7]
