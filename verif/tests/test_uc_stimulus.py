"""The UC unit's host interface (sparsetrain/uc.py) and its testbench stimulus
(verif/common/uc_stimulus.py, uc_random.py), no simulator: stack layout, list images, commands,
expectations."""

from __future__ import annotations

import random
from dataclasses import replace

import numpy as np
import pytest

from sparsetrain.uc import (CMD_FIELDS, Mode, Sel, UcCommand, UcParams, engine_chunk, engine_owner,
                            engine_ranges, map_to_words, pixel_flat_addr, to_u, words_to_map)
from verif.common.uc_random import Constraints, make_weights, place_stack, random_layer
from verif.common.uc_stimulus import UcLayer, describe_addr, readback_plan
from verif.common.units.uc import compare
from verif.models import (PackedLists, SparseWeights, bias_grad, conv_backward_data, conv_forward,
                          conv_weight_grad, encode_sparse, sgd_update)

SMALL = UcParams(lanes=8, kmax=7, cmax=16, nmax=16, hmax=32, wmax=32, fm_depth=256, wdepth=1024,
                 pdepth=64, bdepth=64)


@pytest.mark.parametrize("lanes", [1, 2, 8])
@pytest.mark.parametrize("shape", [(1, 1, 1), (2, 3, 5), (3, 4, 16), (2, 2, 17), (1, 5, 33)])
def test_map_layout_roundtrip_and_addresses(lanes, shape):
    rng = np.random.default_rng(1)
    x = rng.integers(-32768, 32768, size=shape).astype(np.int16)
    words = map_to_words(x, lanes)
    banks = 2 * lanes
    rw = -(-shape[2] // banks)
    assert len(words) == shape[0] * shape[1] * rw
    assert all(0 <= v < 1 << (16 * banks) for v in words)
    np.testing.assert_array_equal(words_to_map(words, shape, lanes), x)
    base = 7
    for c in range(shape[0]):
        for y in range(shape[1]):
            for xx in range(shape[2]):
                a = pixel_flat_addr(base, shape, c, y, xx, lanes)
                word, bank = divmod(a, banks)
                v = (words[word - base] >> (16 * bank)) & 0xFFFF
                assert v == (int(x[c, y, xx]) & 0xFFFF)
    # slack pixels are zero
    for i, v in enumerate(words):
        if shape[2] % banks and i % rw == rw - 1:
            assert v >> (16 * (shape[2] % banks)) == 0


def test_map_layout_doc_example():
    # L=1: 2 banks; a 1x1x3 map at word base 4: pixels 0,1 in word 4, pixel 2 in word 5 bank 0
    words = map_to_words(np.array([[[1, -2, 3]]], dtype=np.int16), 1)
    assert words == [1 | (0xFFFE << 16), 3]


def _layer(mode, **kw):
    rng = np.random.default_rng(5)
    sw = make_weights(rng, 3, 2, 3, 0.5, "threshold", bits=8, empty_filters=1)
    cmd = UcCommand(mode=mode, cin=2, cout=3, h=6, w=7, k=3, stride=1, dil=1, pad=1, shift=3,
                    x_base=10, y_base=60, fptr_base=5, bptr_base=20, bias_base=3, **kw)
    x = rng.integers(-100, 100, size=(2, 6, 7)).astype(np.int16)
    dy = rng.integers(-100, 100, size=(3, 6, 7)).astype(np.int16)
    bias = rng.integers(-1000, 1000, size=3).astype(np.int32)
    grad = rng.integers(-(1 << 31), (1 << 31) - 1, size=sw.nnz).astype(np.int32)
    bgrad = rng.integers(-(1 << 31), (1 << 31) - 1, size=3).astype(np.int32)
    return UcLayer(cmd=cmd, sw=sw, params=SMALL, x=x, dy=dy, bias=bias, grad=grad, bgrad=bgrad,
                   w_base=100, b_base=300)


def test_images_hold_the_packed_lists():
    layer = _layer(Mode.FWD)
    img = layer.images()
    sw, fmt = layer.sw, SMALL.fmt
    pk = sw.pack(fmt, w_base=100, b_base=300)
    rebuilt = PackedLists(fmt=fmt, shape=sw.shape, w_base=100,
                          wgt=[img[Sel.WGT][100 + a] for a in range(sw.nnz)],
                          fwd_idx=[img[Sel.FIDX][100 + a] for a in range(sw.nnz)],
                          fwd_ptr=[img[Sel.PTR][5 + n] for n in range(3)],
                          bwd_idx=[img[Sel.BIDX][300 + b] for b in range(sw.nnz)],
                          bwd_ptr=[img[Sel.PTR][20 + c] for c in range(2)])
    assert rebuilt.fwd_ptr == pk.fwd_ptr and rebuilt.bwd_idx == pk.bwd_idx
    back = SparseWeights.unpack(rebuilt, b_base=300)
    np.testing.assert_array_equal(back.to_dense(), sw.to_dense())
    # map, bias, grads
    xm = words_to_map([img[Sel.STACK][10 + i] for i in range(SMALL.map_words(2, 6, 7))], (2, 6, 7), 8)
    np.testing.assert_array_equal(xm, layer.x)
    assert [img[Sel.BIAS][3 + n] for n in range(3)] == [int(v) & 0xFFFFFFFF for v in layer.bias]
    assert [img[Sel.GRAD][100 + a] for a in range(sw.nnz)] == [int(v) & 0xFFFFFFFF for v in layer.grad]
    # widths
    for sel, d in img.items():
        assert all(0 <= v < 1 << SMALL.width(sel) for v in d.values()), sel
        assert all(0 <= a < SMALL.depth(sel) for a in d), sel


def test_expected_each_mode_matches_models():
    geo = dict(stride=1, pad=1, dilation=1)
    lay = _layer(Mode.FWD, relu=1)
    np.testing.assert_array_equal(lay.expected()["y"],
                                  conv_forward(lay.x, lay.sw, lay.bias, relu=True, shift=3, **geo))
    lay = _layer(Mode.BWD_DATA)
    np.testing.assert_array_equal(lay.expected()["dx"],
                                  conv_backward_data(lay.dy, lay.sw, (2, 6, 7), shift=3, **geo))
    g = conv_weight_grad(lay.x, lay.dy, lay.sw, shift=3, **geo)
    lay = _layer(Mode.WGRAD, gacc=0, bgrad=0)
    e = lay.expected()
    np.testing.assert_array_equal(e["grad"], g)
    assert e["bgrad"] is None
    lay = _layer(Mode.WGRAD, gacc=1, bgrad=1)
    e = lay.expected()
    exp_g = np.clip(lay.grad.astype(np.int64) + g, -(1 << 31), (1 << 31) - 1)
    np.testing.assert_array_equal(e["grad"], exp_g)
    exp_b = np.clip(lay.bgrad.astype(np.int64) + bias_grad(lay.dy, 3), -(1 << 31), (1 << 31) - 1)
    np.testing.assert_array_equal(e["bgrad"], exp_b)
    lay = _layer(Mode.UPDATE, lr_mult=300, lr_shift=20, lr_mult_b=7, lr_shift_b=3)
    e = lay.expected()
    np.testing.assert_array_equal(e["wgt"], sgd_update(lay.sw.values, lay.grad, 300, 20))
    np.testing.assert_array_equal(e["bias"], sgd_update(lay.bias, lay.bgrad, 7, 3, bits=32))
    assert not e["grad"].any() and not e["bgrad"].any()


def test_expected_images_apply_only_the_writes():
    for mode in Mode:
        lay = _layer(mode, bgrad=1, gacc=1, lr_mult=5, lr_shift=2)
        before = lay.images()
        after = lay.expected_images(before)
        changed = {(s, a) for s in Sel for a in set(before[s]) | set(after[s])
                   if before[s].get(a) != after[s].get(a)}
        regs = lay.regions()
        allowed = {(regs[k].sel, a) for k in lay.writes() for a in regs[k].addrs()}
        assert changed <= allowed, (mode, changed - allowed)
        assert changed, mode
    lay = _layer(Mode.FWD)
    after = lay.expected_images()
    y = words_to_map([after[Sel.STACK][60 + i] for i in range(SMALL.map_words(3, 6, 7))], (3, 6, 7), 8)
    np.testing.assert_array_equal(y, lay.expected()["y"])


@pytest.mark.parametrize("nch,engines", [(1, 4), (3, 4), (5, 4), (8, 4), (10, 16), (16, 16), (64, 16), (7, 2)])
def test_engine_split(nch, engines):
    """The engine array's split (rtl/uc_unit/uc_split.v): contiguous ranges of ceil(nch / E)
    channels that cover every channel once; the owner is the engine whose range holds it."""
    ranges = engine_ranges(nch, engines)
    assert [c for r in ranges for c in r] == list(range(nch))
    chunk = engine_chunk(nch, engines)
    assert chunk == -(-nch // engines) and all(len(r) <= chunk for r in ranges)
    for e, r in enumerate(ranges):
        assert all(engine_owner(c, nch, engines) == e for c in r)
    with pytest.raises(ValueError):
        engine_owner(nch, nch, engines)


def test_array_copies_keep_each_engines_gradients():
    """On an engine array, WGRAD's gradients are expected only in the copy of the engine that ran
    the filter, the other copies keep the loaded words -- and the comparison names a gradient
    found in the wrong copy (the check of the copies can fail)."""
    lay = _layer(Mode.WGRAD, gacc=1, bgrad=1)
    lay = UcLayer(cmd=lay.cmd, sw=lay.sw, params=replace(SMALL, engines=2), x=lay.x, dy=lay.dy,
                  bias=lay.bias, grad=lay.grad, bgrad=lay.bgrad, w_base=100, b_base=300)
    before, exp = lay.images(), lay.expected()
    per_copy = [lay.expected_images(before, exp, copy=e) for e in range(2)]
    start = np.concatenate([[0], np.cumsum(lay.sw.fwd_count)])
    for n in range(3):
        own = engine_owner(n, 3, 2)
        for a in range(start[n], start[n + 1]):
            for e in range(2):
                want = exp["grad"][a] if e == own else lay.grad[a]
                assert per_copy[e][Sel.GRAD][100 + a] == to_u(int(want), 32)
        assert per_copy[own][Sel.BGRAD][3 + n] == to_u(int(exp["bgrad"][n]), 32)
    # engine 1's filter 2 gradients found in copy 0 (a write to the wrong copy): named
    wrong = {Sel.GRAD: dict(per_copy[1][Sel.GRAD])}
    errs = compare(lay, wrong, per_copy[0])
    assert errs and "GRAD[" in errs[0], errs
    # UPDATE zeroes every copy alike; FWD writes every copy alike
    for mode in (Mode.UPDATE, Mode.FWD):
        m = _layer(mode, lr_mult=5, lr_shift=2)
        m = UcLayer(cmd=m.cmd, sw=m.sw, params=replace(SMALL, engines=2), x=m.x, dy=m.dy, bias=m.bias,
                    grad=m.grad, bgrad=m.bgrad, w_base=100, b_base=300)
        assert m.expected_images(copy=0) == m.expected_images(copy=1)


def test_ideal_and_estimated_cycles():
    lay = _layer(Mode.FWD)
    assert lay.ideal_cycles() == lay.sw.nnz * 6 * 7 / 8
    assert lay.est_cycles() >= lay.ideal_cycles()
    # one filter empty: it still costs one item per output vector
    n_empty = int((lay.sw.fwd_count == 0).sum())
    assert n_empty == 1
    assert lay.est_cycles() == 3 + lay.sw.nnz + 6 * 1 * (lay.sw.nnz + n_empty) + 8
    assert _layer(Mode.UPDATE).ideal_cycles() == lay.sw.nnz + 3


def test_ports_masked_to_widths():
    cmd = UcCommand(mode=9, x_base=-1, lr_shift=64 + 5)
    p = cmd.ports()
    assert set(p) == set(CMD_FIELDS)
    assert p["mode"] == 1 and p["x_base"] == 0xFFFFFFFF and p["lr_shift"] == 5


def test_place_stack_no_overlap():
    rnd = random.Random(3)
    for _ in range(200):
        sizes = [rnd.randint(1, 40) for _ in range(rnd.randint(1, 3))]
        bases = place_stack(rnd, sizes, 128, gap=1)
        spans = sorted(zip(bases, sizes))
        assert spans[0][0] >= 1
        for (b0, s0), (b1, _) in zip(spans, spans[1:]):
            assert b0 + s0 < b1
        assert spans[-1][0] + spans[-1][1] <= 127


@pytest.mark.parametrize("seed", range(40))
def test_random_layers_fit(seed):
    rnd = random.Random(seed)
    lay = random_layer(rnd, SMALL, Constraints(cycle_budget=8000))
    c = lay.cmd
    assert 1 <= c.k <= SMALL.kmax and 0 <= c.pad <= c.dil * (c.k // 2) and c.stride in (1, 2)
    assert lay.est_cycles() <= 8000
    img = lay.images()
    for sel, d in img.items():
        assert all(0 <= a < SMALL.depth(sel) for a in d), sel
    exp = lay.expected()
    assert exp
    plan = readback_plan(lay)
    assert plan
    regs = lay.regions()
    x, y = regs["x"], regs["y"]
    assert x.end <= y.base or y.end <= x.base


@pytest.mark.parametrize("seed", range(20))
def test_random_flat_layers(seed):
    """Flat layers (docs/uc_unit.md "Flat small maps"): legal geometry, maps placed as one row of
    H*W pixels a channel, and the images hold each pixel at column y*W + x of its channel's row."""
    rnd = random.Random(seed)
    lay = random_layer(rnd, SMALL, Constraints(flat=True, cycle_budget=8000))
    c = lay.cmd
    assert c.flat == 1 and c.flat_legal(SMALL.lanes, SMALL.hmax)
    assert (c.ho, c.wo) == (c.h, c.w)
    x = lay.regions()["x"]
    assert x.nwords == SMALL.map_words(c.cin, 1, c.h * c.w)
    if lay.mode in (Mode.FWD, Mode.WGRAD):
        img = lay.images()[Sel.STACK]
        got = words_to_map([img[x.base + i] for i in range(x.nwords)], (c.cin, 1, c.h * c.w), SMALL.lanes)
        np.testing.assert_array_equal(got.reshape(c.cin, c.h, c.w), lay.x)
    # a flat pixel is named by its map position
    ch, yy, xx = c.cin - 1, c.h - 1, c.w - 1
    flat_col = yy * c.w + xx
    addr = x.base + ch * SMALL.row_words(c.h * c.w) + flat_col // SMALL.banks
    assert describe_addr(lay, Sel.STACK, addr, flat_col % SMALL.banks).endswith(f"c={ch}, y={yy}, x={xx}]")
    # every broken condition is not legal
    for bad in (dict(stride=2), dict(w=3), dict(w=2 * SMALL.lanes), dict(pad=c.pad + 1)):
        assert not replace(c, **bad).flat_legal(SMALL.lanes, SMALL.hmax), bad


def test_describe_addr():
    lay = _layer(Mode.FWD)
    assert describe_addr(lay, Sel.STACK, 60 + 4, bank=3) == "Y[n=0, y=4, x=3]"
    assert describe_addr(lay, Sel.STACK, 60 + 6, bank=8) == "Y[n=1, y=0, x=8] (slack pixel)"
    assert describe_addr(lay, Sel.GRAD, 102) == "GRAD[entry 2]"
    assert "outside" in describe_addr(lay, Sel.GRAD, 0)


def test_depthwise_and_balanced_weights():
    rng = np.random.default_rng(0)
    sw = make_weights(rng, 4, 4, 3, 0.0, depthwise=True)
    assert (sw.fwd_n == sw.fwd_c).all() and sw.nnz == 4 * 9
    sw = make_weights(rng, 4, 3, 3, 0.85, "balanced")
    assert len(set(sw.fwd_count.tolist())) == 1
    sw = make_weights(rng, 4, 3, 3, 1.0, "threshold")
    assert sw.nnz == 0
    sw = make_weights(rng, 6, 3, 3, 0.85, "threshold", bits=12)
    assert 0.75 <= sw.sparsity <= 0.95
