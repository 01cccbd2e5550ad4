"""Sparse format: pruning rules, encoder/decoder and packing round trips, bad input (no simulator)."""

from __future__ import annotations

import numpy as np
import pytest

from verif.models import PackedLists, SparseFormat, SparseWeights, depthwise_dense, encode_sparse, prune

SHAPES = [(1, 1, 1, 1), (4, 3, 3, 3), (8, 1, 11, 11), (3, 16, 1, 1), (16, 8, 5, 5), (2, 2, 7, 7)]


def sid(s):
    return "n{}c{}k{}".format(s[0], s[1], s[2])


@pytest.mark.parametrize("shape", SHAPES, ids=[sid(s) for s in SHAPES])
@pytest.mark.parametrize("sparsity", [0.0, 0.5, 0.85, 1.0])
def test_encode_decode_and_pack_round_trip(shape, sparsity):
    rng = np.random.default_rng([sum(shape), int(sparsity * 100)])
    w = rng.integers(-32768, 32768, shape).astype(np.int16)
    w = prune(w, sparsity, "balanced")
    sw = encode_sparse(w)
    assert np.array_equal(sw.to_dense(), w)
    assert sw.nnz == np.count_nonzero(w)
    # forward list order: grouped by n, inside by (c, ky, kx)
    keys = list(zip(sw.fwd_n, sw.fwd_c, sw.fwd_ky, sw.fwd_kx))
    assert keys == sorted(keys)
    # backward list: grouped by c, inside by (n, ky, kx), pointing at the same weights
    bkeys = list(zip(sw.bwd_c, sw.bwd_n, sw.bwd_ky, sw.bwd_kx))
    assert bkeys == sorted(bkeys)
    for b, a in enumerate(sw.bwd_waddr):
        assert (sw.fwd_n[a], sw.fwd_c[a], sw.fwd_ky[a], sw.fwd_kx[a]) == (
            sw.bwd_n[b], sw.bwd_c[b], sw.bwd_ky[b], sw.bwd_kx[b])
    assert sorted(sw.bwd_waddr) == list(range(sw.nnz))
    for n in range(shape[0]):
        s, c = sw.fwd_start[n], sw.fwd_count[n]
        assert (sw.fwd_n[s:s + c] == n).all() and c == np.count_nonzero(w[n])
    for c in range(shape[1]):
        s, k = sw.bwd_start[c], sw.bwd_count[c]
        assert (sw.bwd_c[s:s + k] == c).all() and k == np.count_nonzero(w[:, c])
    for base in (0, 100):
        packed = sw.pack(SparseFormat(), w_base=base, b_base=base)
        assert np.array_equal(SparseWeights.unpack(packed, b_base=base).to_dense(), w)


@pytest.mark.parametrize("dil", [1, 2, 3, 4])
@pytest.mark.parametrize("shape", [(4, 3, 3, 3), (2, 5, 5, 5), (3, 2, 1, 1)], ids=sid)
def test_backward_list_split_by_parity(shape, dil):
    """Stride-2 layers: four pointers a channel, list 4c+q holds exactly channel c's entries of
    parity class q = 2*((ky*dil)&1) + ((kx*dil)&1), in backward order; the round trip is exact and
    a list of the wrong split is refused."""
    rng = np.random.default_rng([sum(shape), dil])
    w = prune(rng.integers(-999, 999, shape).astype(np.int16), 0.5)
    sw = encode_sparse(w)
    order, start, count = sw.bwd_lists(dil)
    assert len(start) == len(count) == 4 * shape[1] and count.sum() == sw.nnz
    assert sorted(order) == list(range(sw.nnz))
    for g in range(4 * shape[1]):
        c, q = divmod(g, 4)
        ent = order[start[g]:start[g] + count[g]]
        assert list(ent) == sorted(ent)                  # stable: backward order inside a list
        want = [b for b in range(sw.nnz) if sw.bwd_c[b] == c
                and 2 * ((sw.bwd_ky[b] * dil) & 1) + ((sw.bwd_kx[b] * dil) & 1) == q]
        assert list(ent) == want
    if dil % 2 == 0:                                     # even dilation: every entry in class 0
        assert count.reshape(-1, 4)[:, 1:].sum() == 0
    pk = sw.pack(SparseFormat(), w_base=7, b_base=30, split_dil=dil)
    assert len(pk.bwd_ptr) == 4 * shape[1]
    assert np.array_equal(SparseWeights.unpack(pk, b_base=30, split_dil=dil).to_dense(), w)
    with pytest.raises(ValueError, match="backward pointers"):
        SparseWeights.unpack(pk, b_base=30)
    if dil % 2 == 1 and shape[2] > 1 and sw.nnz:
        # swap two lists of one channel that hold entries: parity no longer matches
        g = next(g for g in range(4 * shape[1]) if count[g] and any(
            count[h] for h in range(4 * (g // 4), 4 * (g // 4) + 4) if h != g))
        h = next(h for h in range(4 * (g // 4), 4 * (g // 4) + 4) if h != g and count[h])
        pk.bwd_ptr[g], pk.bwd_ptr[h] = pk.bwd_ptr[h], pk.bwd_ptr[g]
        with pytest.raises(ValueError, match="parity list"):
            SparseWeights.unpack(pk, b_base=30, split_dil=dil)
    with pytest.raises(ValueError, match="dilation"):
        sw.bwd_lists(5)


def test_pack_bit_layout_default_format():
    w = np.zeros((2, 3, 5, 5), dtype=np.int16)
    w[1, 2, 3, 4] = -2
    w[0, 1, 0, 2] = 7
    fmt = SparseFormat()
    assert (fmt.k_w, fmt.c_w, fmt.n_w, fmt.addr_w, fmt.fwd_idx_w, fmt.bwd_idx_w) == (4, 8, 8, 16, 16, 32)
    p = encode_sparse(w).pack(fmt, w_base=10, b_base=20)
    assert p.wgt == [7, 0xFFFE]
    assert p.fwd_idx == [2 | (0 << 4) | (1 << 8), 4 | (3 << 4) | (2 << 8)]
    assert p.fwd_ptr == [10 | (1 << 16), 11 | (1 << 16)]
    # backward: c=0 empty, c=1 -> entry (n0, addr 10), c=2 -> entry (n1, addr 11)
    assert p.bwd_idx == [2 | (0 << 4) | (0 << 8) | (10 << 16), 4 | (3 << 4) | (1 << 8) | (11 << 16)]
    assert p.bwd_ptr == [20 | (0 << 16), 20 | (1 << 16), 21 | (1 << 16)]


def test_pack_field_widths_follow_parameters():
    fmt = SparseFormat(kmax=3, cmax=4, nmax=2, wdepth=128)
    assert (fmt.k_w, fmt.c_w, fmt.n_w, fmt.addr_w, fmt.cnt_w) == (2, 2, 1, 7, 8)
    w = np.ones((2, 4, 3, 3), dtype=np.int16)
    p = encode_sparse(w).pack(fmt)
    assert max(p.fwd_idx) < (1 << fmt.fwd_idx_w) and max(p.bwd_idx) < (1 << fmt.bwd_idx_w)
    assert np.array_equal(SparseWeights.unpack(p).to_dense(), w)


def test_float_kernel_and_threshold():
    w = np.array([[[[0.1, -0.5], [0.3, -0.05]]]])
    sw = encode_sparse(w, rho=0.2)
    assert sw.values.dtype == np.float64 and list(sw.values) == [-0.5, 0.3]
    assert np.array_equal(sw.to_dense(), prune(w, 0.5))     # rho = 0.3, the 0.5 quantile
    with pytest.raises(ValueError, match="int16"):
        sw.pack()


def test_prune_threshold_rule_is_strict_less_than():
    # |w| sorted 0 1 1 2 2 3 3: the 0.5 quantile is 2 (position ceil(0.5 * 6) = 3); 2 is kept
    w = np.array([-3, -2, -1, 0, 1, 2, 3], dtype=np.int16).reshape(1, 1, 1, 7)
    assert list(prune(w, 0.5).ravel()) == [-3, -2, 0, 0, 0, 2, 3]
    assert list(prune(w, 0.0).ravel()) == list(w.ravel()) and not prune(w, 1.0).any()
    with pytest.raises(ValueError, match="rule"):
        prune(w, 0.5, "random")


@pytest.mark.parametrize("shape", [(32, 16, 3, 3), (16, 1, 3, 3), (64, 32, 3, 3), (3, 5, 7, 7), (1, 1, 3, 3)])
@pytest.mark.parametrize("sparsity", [0.3, 0.5, 0.85, 0.9, 0.95, 0.99])
def test_prune_threshold_float_same_as_linear_quantile(shape, sparsity):
    """The threshold rule's rho is numpy's "higher" quantile; on float kernels that prunes exactly
    what the linear-interpolated quantile (the host's rule before the two were one) pruned."""
    w = np.random.default_rng([*shape, int(sparsity * 100)]).standard_normal(shape)
    rho = float(np.quantile(np.abs(w), sparsity))
    assert np.array_equal(prune(w, sparsity), np.where(np.abs(w) < rho, 0.0, w))


def test_prune_balanced_count_rounds_half_to_even():
    # keep = round((1 - 0.5) * 5) = round(2.5) = 2 and round((1 - 0.5) * 7) = round(3.5) = 4
    assert np.count_nonzero(prune(np.arange(1, 6, dtype=np.int16).reshape(1, 5, 1, 1), 0.5, "balanced")) == 2
    assert np.count_nonzero(prune(np.arange(1, 8, dtype=np.int16).reshape(1, 7, 1, 1), 0.5, "balanced")) == 4


def test_prune_balanced_equal_counts_and_largest_kept_8x4x3x3():
    rng = np.random.default_rng(5)
    w = rng.standard_normal((8, 4, 3, 3))
    out = prune(w, 0.85, "balanced")
    keep = round(0.15 * 36)
    for n in range(8):
        assert np.count_nonzero(out[n]) == keep
        kept = np.abs(w[n][out[n] != 0])
        dropped = np.abs(w[n][out[n] == 0])
        assert kept.min() >= dropped.max()


def test_prune_balanced_ties_keep_lower_index():
    w = np.ones((1, 1, 2, 2), dtype=np.int16)
    assert list(prune(w, 0.5, "balanced").ravel()) == [1, 1, 0, 0]


def test_depthwise_dense_block_diagonal():
    w = np.arange(1, 4 * 9 + 1, dtype=np.int16).reshape(4, 1, 3, 3)
    d = depthwise_dense(w)
    sw = encode_sparse(d)
    assert sw.nnz == 36 and list(sw.fwd_count) == [9] * 4 and list(sw.bwd_count) == [9] * 4
    assert (sw.fwd_n == sw.fwd_c).all()


def test_encoder_rejects_bad_input_naming_the_problem():
    with pytest.raises(ValueError, match="ndim"):
        encode_sparse(np.ones((3, 3, 3), np.int16))
    with pytest.raises(ValueError, match="square"):
        encode_sparse(np.ones((1, 1, 3, 2), np.int16))
    with pytest.raises(ValueError, match="dtype.*int32"):
        encode_sparse(np.ones((1, 1, 3, 3), np.int32))
    with pytest.raises(ValueError, match="kernel 13x13 too big"):
        encode_sparse(np.ones((1, 1, 13, 13), np.int16)).pack()
    with pytest.raises(ValueError, match="input channels"):
        encode_sparse(np.ones((1, 300, 1, 1), np.int16)).pack()
    with pytest.raises(ValueError, match="output channels"):
        encode_sparse(np.ones((3, 1, 1, 1), np.int16)).pack(SparseFormat(nmax=2))
    with pytest.raises(ValueError, match="memory depth"):
        encode_sparse(np.ones((4, 4, 3, 3), np.int16)).pack(SparseFormat(wdepth=100))
    with pytest.raises(ValueError, match="values must have shape"):
        encode_sparse(np.ones((1, 1, 2, 2), np.int16)).with_values(np.ones(3, np.int16))
    with pytest.raises(ValueError, match="sparsity"):
        prune(np.ones((1, 1, 2, 2)), 1.5)


def test_unpack_detects_corrupt_words():
    w = np.ones((2, 2, 3, 3), dtype=np.int16)
    p = encode_sparse(w).pack(SparseFormat(kmax=4))
    bad = PackedLists(fmt=p.fmt, shape=p.shape, w_base=0, wgt=p.wgt, fwd_idx=list(p.fwd_idx),
                      fwd_ptr=p.fwd_ptr, bwd_idx=p.bwd_idx, bwd_ptr=p.bwd_ptr)
    bad.fwd_idx[3] = 3  # kx = 3 outside a 3x3 kernel
    with pytest.raises(ValueError, match="outside kernel"):
        SparseWeights.unpack(bad)
    bad2 = PackedLists(fmt=p.fmt, shape=p.shape, w_base=0, wgt=p.wgt, fwd_idx=p.fwd_idx,
                       fwd_ptr=p.fwd_ptr, bwd_idx=list(p.bwd_idx), bwd_ptr=p.bwd_ptr)
    bad2.bwd_idx[0] ^= 1  # kx of one backward entry no longer matches its weight
    with pytest.raises(ValueError, match="does not match"):
        SparseWeights.unpack(bad2)
