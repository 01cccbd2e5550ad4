"""Sparse convolution models against independent dense references (no simulator).

References are written another way: scipy.signal.correlate2d on the dense (dilated) kernel for the
forward pass, explicit scatter loops for the input gradient, explicit gather loops for the weight
gradient, and Python-integer (Fraction) rounding for requantization.  Float mode is also checked
by finite differences.  Case counts: ``MODEL_CASES`` (default 24 per test); seed: ``MODEL_SEED``.
"""

from __future__ import annotations

import os
import zlib

import numpy as np
import pytest
from scipy.signal import correlate2d

from verif.models import (conv_backward_data, conv_forward, conv_out_size, conv_weight_grad,
                          bias_grad, depthwise_dense, encode_sparse, grad_accumulate_batch,
                          prune)
from verif.models.reference import ref_requant

N_CASES = int(os.environ.get("MODEL_CASES", "24"))
SEED = int(os.environ.get("MODEL_SEED", "20261125"))


# ------------------------------------------------------------------ independent references
def dilate_kernel(k2d: np.ndarray, d: int) -> np.ndarray:
    k = k2d.shape[0]
    out = np.zeros(((k - 1) * d + 1,) * 2, dtype=k2d.dtype)
    out[::d, ::d] = k2d
    return out


def ref_forward_acc(x, w, stride, pad, dil):
    """Dense correlation per (n, c) with scipy, then stride subsampling.  float64, exact for ints."""
    n_out, c_in, k, _ = w.shape
    xp = np.pad(x.astype(np.float64), ((0, 0), (pad, pad), (pad, pad)))
    ho = conv_out_size(x.shape[1], k, stride, pad, dil)
    wo = conv_out_size(x.shape[2], k, stride, pad, dil)
    acc = np.zeros((n_out, ho, wo))
    for n in range(n_out):
        full = sum(correlate2d(xp[c], dilate_kernel(w[n, c].astype(np.float64), dil), mode="valid")
                   for c in range(c_in))
        acc[n] = np.asarray(full)[::stride, ::stride][:ho, :wo]
    return acc


def ref_backward_acc(dy, w, x_shape, stride, pad, dil):
    """Scatter every output gradient through the dense kernel (explicit loops)."""
    n_out, c_in, k, _ = w.shape
    c, h, wd = x_shape
    acc = np.zeros((c, h, wd), dtype=object)
    acc[...] = 0
    for n in range(n_out):
        for yo in range(dy.shape[1]):
            for xo in range(dy.shape[2]):
                g = int(dy[n, yo, xo])
                if g == 0:
                    continue
                for ci, ky, kx in zip(*np.nonzero(w[n])):
                    yi, xi = yo * stride - pad + ky * dil, xo * stride - pad + kx * dil
                    if 0 <= yi < h and 0 <= xi < wd:
                        acc[ci, yi, xi] += g * int(w[n, ci, ky, kx])
    return acc


def ref_wgrad_acc(x, dy, w, stride, pad, dil):
    """Gather loop per non-zero weight, forward-list order (n, c, ky, kx)."""
    out = []
    c_in, h, wd = x.shape
    for n, ci, ky, kx in zip(*np.nonzero(w)):
        s = 0
        for yo in range(dy.shape[1]):
            for xo in range(dy.shape[2]):
                yi, xi = yo * stride - pad + ky * dil, xo * stride - pad + kx * dil
                if 0 <= yi < h and 0 <= xi < wd:
                    s += int(dy[n, yo, xo]) * int(x[ci, yi, xi])
        out.append(s)
    return out


# ----------------------------------------------------------------------- random case maker
def random_case(rng, kmax=11, small=False):
    """A random legal geometry: stride 1|2, dilation 1..4, pad 0..d*(K//2), K 1..kmax."""
    while True:
        k = int(rng.choice([1, 1, 2, 3, 3, 3, 5, 7, 11] if kmax >= 11 else range(1, kmax + 1)))
        dil = int(rng.integers(1, 5)) if k > 1 else 1
        stride = int(rng.integers(1, 3))
        pad = int(rng.integers(0, dil * (k // 2) + 1))
        c, n = int(rng.integers(1, 5)), int(rng.integers(1, 5))
        h, w = int(rng.integers(1, 10 if small else 14)), int(rng.integers(1, 10 if small else 14))
        try:
            conv_out_size(h, k, stride, pad, dil)
            conv_out_size(w, k, stride, pad, dil)
        except ValueError:
            continue
        sparsity = float(rng.choice([0.0, 0.5, 0.85, 0.95, 1.0]))
        return dict(k=k, dil=dil, stride=stride, pad=pad, c=c, n=n, h=h, w=w, sparsity=sparsity)


def case_id(p):
    return (f"c{p['c']}n{p['n']}_{p['h']}x{p['w']}_k{p['k']}s{p['stride']}d{p['dil']}p{p['pad']}"
            f"_sp{int(p['sparsity'] * 100)}")


def make_operands(rng, p, amp=2000):
    w = rng.integers(-amp, amp + 1, (p["n"], p["c"], p["k"], p["k"])).astype(np.int16)
    w = prune(w, p["sparsity"], "balanced") if rng.random() < 0.5 else \
        np.where(rng.random(w.shape) < p["sparsity"], 0, w).astype(np.int16)
    x = rng.integers(-amp, amp + 1, (p["c"], p["h"], p["w"])).astype(np.int16)
    return w, x


def geo(p):
    """(stride, pad, dilation) of case ``p``: the geometry arguments of every model and reference."""
    return p["stride"], p["pad"], p["dil"]


def case_rng(p, stream: int):
    """The generator of case ``p`` in test ``stream`` (seeded by MODEL_SEED, the stream and the case id)."""
    return np.random.default_rng([SEED, stream, zlib.crc32(case_id(p).encode())])


def dy_operands(p, stream: int):
    """(rng, w, x, sw, dy) of a backward case: :func:`make_operands`, their sparse encoding and
    a random dY (int16, -3000..3000) of the convolution's output shape (N, Ho, Wo)."""
    rng = case_rng(p, stream)
    w, x = make_operands(rng, p)
    ho = conv_out_size(p["h"], p["k"], *geo(p))
    wo = conv_out_size(p["w"], p["k"], *geo(p))
    dy = rng.integers(-3000, 3001, (p["n"], ho, wo)).astype(np.int16)
    return rng, w, x, encode_sparse(w), dy


_rng = np.random.default_rng(SEED)
CASES = [random_case(_rng) for _ in range(N_CASES)]
#: a test of every case of CASES
over_cases = pytest.mark.parametrize("p", CASES, ids=[case_id(p) for p in CASES])


# --------------------------------------------------------------------------- integer mode
@over_cases
def test_conv_forward_int_matches_scipy(p):
    rng = case_rng(p, 1)
    w, x = make_operands(rng, p)
    bias = rng.integers(-(1 << 20), 1 << 20, p["n"]).astype(np.int32)
    shift, relu = int(rng.integers(0, 14)), bool(rng.integers(0, 2))
    sw = encode_sparse(w)
    y = conv_forward(x, sw, bias, *geo(p), relu, shift)
    acc = ref_forward_acc(x, w, *geo(p)) + bias[:, None, None]
    assert y.dtype == np.int16 and y.shape == acc.shape
    ref = np.vectorize(lambda a: ref_requant(int(a), shift, relu))(acc) if acc.size else acc
    bad = np.argwhere(y != ref)
    assert bad.size == 0, f"first mismatch at (n,y,x)={tuple(bad[0])}: {y[tuple(bad[0])]} != {ref[tuple(bad[0])]}"


@over_cases
def test_conv_backward_data_int_matches_scatter_loops(p):
    rng, w, x, sw, dy = dy_operands(p, 2)
    shift = int(rng.integers(0, 14))
    dx = conv_backward_data(dy, sw, x.shape, *geo(p), shift)
    acc = ref_backward_acc(dy, w, x.shape, *geo(p))
    ref = np.vectorize(lambda a: ref_requant(int(a), shift), otypes=[np.int64])(acc)
    bad = np.argwhere(dx != ref)
    assert bad.size == 0, f"first mismatch at (c,y,x)={tuple(bad[0])}"


@over_cases
def test_conv_weight_grad_int_matches_gather_loops(p):
    rng, w, x, sw, dy = dy_operands(p, 3)
    shift = int(rng.integers(0, 8))
    g = conv_weight_grad(x, dy, sw, *geo(p), shift)
    ref = [ref_requant(a, shift, bits=32) for a in ref_wgrad_acc(x, dy, w, *geo(p))]
    assert g.dtype == np.int32 and g.shape == (sw.nnz,)
    assert list(g) == ref


def test_conv_forward_batch_axis_equals_per_image_3x1x5x5():
    rng = np.random.default_rng(7)
    w = rng.integers(-99, 99, (2, 3, 3, 3)).astype(np.int16)
    x = rng.integers(-99, 99, (4, 3, 5, 5)).astype(np.int16)
    sw = encode_sparse(w)
    yb = conv_forward(x, sw, None, 1, 1, 1, True, 2)
    for b in range(4):
        assert np.array_equal(yb[b], conv_forward(x[b], sw, None, 1, 1, 1, True, 2))
    dy = rng.integers(-99, 99, yb.shape).astype(np.int16)
    gb = conv_weight_grad(x, dy, sw, 1, 1, 1, 0)
    dxb = conv_backward_data(dy, sw, x.shape[1:], 1, 1, 1, 0)
    for b in range(4):
        assert np.array_equal(gb[b], conv_weight_grad(x[b], dy[b], sw, 1, 1, 1, 0))
        assert np.array_equal(dxb[b], conv_backward_data(dy[b], sw, x.shape[1:], 1, 1, 1, 0))


# ------------------------------------------------------------------ directed integer edges
def test_conv_forward_saturates_both_ways_1x1x1x1():
    x = np.array([[[32767, -32768]]], dtype=np.int16)
    sw = encode_sparse(np.array([[[[32767]]]], dtype=np.int16))
    assert list(conv_forward(x, sw, shift=0).ravel()) == [32767, -32768]
    assert list(conv_forward(x, sw, shift=14).ravel()) == [32767, -32768]
    assert list(conv_forward(x, sw, shift=15).ravel()) == [32766, -32767]
    # 32767*32767 >> 31 rounds to 0.4999.. -> 0 ; -32768*32767 >> 30 = -0.99997.. -> -1
    assert list(conv_forward(x, sw, shift=31).ravel()) == [0, 0]
    assert list(conv_forward(x, sw, shift=30).ravel()) == [1, -1]


def test_requant_rounding_ties_half_up_1x1():
    # acc = w * x with shift 1: 3 -> 1.5 -> 2, -3 -> -1.5 -> -1, 1 -> 0.5 -> 1, -1 -> -0.5 -> 0
    x = np.array([[[3, -3, 1, -1, 5, -5]]], dtype=np.int16)
    sw = encode_sparse(np.array([[[[1]]]], dtype=np.int16))
    assert list(conv_forward(x, sw, shift=1).ravel()) == [2, -1, 1, 0, 3, -2]
    assert list(conv_forward(x, sw, shift=1, relu=True).ravel()) == [2, 0, 1, 0, 3, 0]


def test_conv_all_zero_kernel_gives_bias_only_2x3x4x4():
    w = np.zeros((2, 3, 3, 3), dtype=np.int16)
    sw = encode_sparse(w)
    assert sw.nnz == 0 and sw.sparsity == 1.0
    x = np.ones((3, 4, 4), dtype=np.int16)
    y = conv_forward(x, sw, np.array([5, -7]), 1, 1, 1, False, 1)
    assert (y[0] == 3).all() and (y[1] == -3).all()
    assert (conv_backward_data(np.ones((2, 4, 4), np.int16), sw, x.shape, 1, 1, 1, 0) == 0).all()
    assert conv_weight_grad(x, np.ones((2, 4, 4), np.int16), sw, 1, 1, 1).shape == (0,)


def test_conv_empty_filter_among_full_ones_3x2x3x3():
    rng = np.random.default_rng(3)
    w = rng.integers(-50, 50, (3, 2, 3, 3)).astype(np.int16)
    w[1] = 0
    sw = encode_sparse(w)
    assert list(sw.fwd_count) == [np.count_nonzero(w[0]), 0, np.count_nonzero(w[2])]
    x = rng.integers(-50, 50, (2, 6, 6)).astype(np.int16)
    y = conv_forward(x, sw, None, 1, 1)
    assert (y[1] == 0).all()


def test_depthwise_is_block_diagonal_pattern_c4_k3_8x8():
    rng = np.random.default_rng(11)
    w_dw = rng.integers(-300, 300, (4, 1, 3, 3)).astype(np.int16)
    w = depthwise_dense(w_dw)
    x = rng.integers(-300, 300, (4, 8, 8)).astype(np.int16)
    y = conv_forward(x, encode_sparse(w), None, 1, 1, 1, False, 3)
    for c in range(4):
        acc = correlate2d(np.pad(x[c], 1).astype(np.float64), w_dw[c, 0].astype(np.float64), mode="valid")
        assert np.array_equal(y[c], np.vectorize(lambda a: ref_requant(int(a), 3))(acc))


def test_weight_grad_accumulates_saturating_over_batch():
    g = np.array([[2**31 - 10, -5], [100, -(2**31)], [-50, 7]], dtype=np.int32)
    acc = grad_accumulate_batch(g)
    # first element saturates at image 2, then 2**31-1 - 50 ; second saturates low then +7
    assert list(acc) == [2**31 - 1 - 50, -(2**31) + 7]


def test_bias_grad_sums_pixels_2x3x3():
    dy = np.arange(18, dtype=np.int16).reshape(2, 3, 3) - 9
    assert list(bias_grad(dy)) == [int(dy[0].sum()), int(dy[1].sum())]
    assert list(bias_grad(dy, 2)) == [ref_requant(int(dy[0].sum()), 2, bits=32),
                                      ref_requant(int(dy[1].sum()), 2, bits=32)]


# ---------------------------------------------------------------------------- float mode
FLOAT_CASES = [random_case(np.random.default_rng([SEED, 9, i]), kmax=5, small=True) for i in range(8)]


@pytest.mark.parametrize("p", FLOAT_CASES, ids=[case_id(p) for p in FLOAT_CASES])
def test_conv_float_gradients_match_finite_differences(p):
    """L = sum(dy * conv(x, w)): dL/dx and dL/dw by central differences equal the models."""
    rng = case_rng(p, 4)
    w = rng.standard_normal((p["n"], p["c"], p["k"], p["k"]))
    w[rng.random(w.shape) < p["sparsity"]] = 0.0
    x = rng.standard_normal((p["c"], p["h"], p["w"]))
    sw = encode_sparse(w)
    y = conv_forward(x, sw, None, *geo(p))
    dy = rng.standard_normal(y.shape)

    def loss(xv, wv):
        return float((dy * conv_forward(xv, encode_sparse(wv) if wv is not None else sw, None, *geo(p))).sum())

    eps = 1e-3
    dx = conv_backward_data(dy, sw, x.shape, *geo(p))
    for idx in [tuple(rng.integers(0, s) for s in x.shape) for _ in range(6)]:
        xp_, xm_ = x.copy(), x.copy()
        xp_[idx] += eps
        xm_[idx] -= eps
        fd = (loss(xp_, None) - loss(xm_, None)) / (2 * eps)
        assert abs(fd - dx[idx]) < 1e-6 * max(1.0, abs(fd)), f"dX at {idx}"
    dw = conv_weight_grad(x, dy, sw, *geo(p))
    for i in range(min(sw.nnz, 6)):
        n, c, ky, kx = sw.fwd_n[i], sw.fwd_c[i], sw.fwd_ky[i], sw.fwd_kx[i]
        wp_, wm_ = w.copy(), w.copy()
        wp_[n, c, ky, kx] += eps
        wm_[n, c, ky, kx] -= eps
        fd = (loss(x, wp_) - loss(x, wm_)) / (2 * eps)
        assert abs(fd - dw[i]) < 1e-6 * max(1.0, abs(fd)), f"dW at entry {i}"


def test_conv_float_shift_scales_exactly():
    w = np.array([[[[0.5]]]])
    x = np.array([[[3.0, -1.0]]])
    assert list(conv_forward(x, encode_sparse(w), shift=2).ravel()) == [0.375, -0.125]


# ------------------------------------------------------------------------------ bad input
def test_conv_rejects_bad_input_with_named_problem():
    sw = encode_sparse(np.ones((2, 3, 3, 3), dtype=np.int16))
    x = np.zeros((3, 6, 6), dtype=np.int16)
    with pytest.raises(ValueError, match="channels|shape"):
        conv_forward(np.zeros((2, 6, 6), np.int16), sw)
    with pytest.raises(ValueError, match="int16"):
        conv_forward(x.astype(np.int32), sw)
    with pytest.raises(ValueError, match="mixing"):
        conv_forward(x.astype(np.float64), sw)
    with pytest.raises(ValueError, match="does not fit"):
        conv_forward(np.zeros((3, 2, 2), np.int16), sw)
    with pytest.raises(ValueError, match="shift"):
        conv_forward(x, sw, shift=32)
    with pytest.raises(ValueError, match="stride"):
        conv_forward(x, sw, stride=0)
    with pytest.raises(ValueError, match="dy must have shape"):
        conv_backward_data(np.zeros((2, 5, 5), np.int16), sw, x.shape, 1, 1)
    with pytest.raises(ValueError, match="bias"):
        conv_forward(x, sw, bias=np.zeros(3))


def test_imatmul_exact_on_both_paths():
    """The integer path's matrix product is exact whether it runs in float64 (small operands) or
    falls back to int64 (operands whose sums could pass 2**53): both equal Python's integer sums."""
    from verif.models.conv import _imatmul
    rng = np.random.default_rng(5)
    for hi in (1 << 15, 1 << 28):          # 17 * 2**30 < 2**53 (float64); 17 * 2**56 is not (int64)
        a = rng.integers(-hi, hi, (3, 17), dtype=np.int64)
        b = rng.integers(-hi, hi, (17, 4), dtype=np.int64)
        want = [[sum(int(a[i, t]) * int(b[t, j]) for t in range(17)) for j in range(4)] for i in range(3)]
        got = _imatmul(a, b)
        assert got.dtype == np.int64 and got.tolist() == want
