"""Dilated and depth-wise convolutions in the host software (no simulator): sparsetrain.net.Conv
(``dilation`` 1..4, ``groups`` = C = N), the float reference (sparsetrain.float_train), the
bit-exact network model (verif.models.network), pruning/quantization and the driver's program.

Independent references: the float forward against plain loops over the definition (ONNX Conv
with ``dilations`` and ``group``), its gradients against finite differences, the integer model
against the float reference within the Q8/Q12 quantization, the driver's descriptors decoded
from their bits. onnxruntime as a third reference: verif/tests/test_onnx_io.py,
test_onnx_round_trip.py.
"""

from __future__ import annotations

import numpy as np
import pytest

from sparsetrain.float_train import backward_float, forward_float, softmax_xent_float, train_float
from sparsetrain.net import (A_FRAC, W_FRAC, Conv, Gap, Linear, MaxPool, Net, dequantize_params, masks_of,
                             prune_conv, quantize_params)
from sparsetrain.numerics import quantize
from sparsetrain.sparse import depthwise_compact, depthwise_dense
from verif.common.checks import central_difference

RNG = np.random.default_rng(41)


def dw_dil_net():
    """conv3x3(4) d1, depth-wise conv3x3 d2 (group 4), MP, conv3x3 d3 (8), depth-wise conv5x5 d2
    stride 2 (group 8, no ReLU), GAP, FC(3)."""
    return Net((2, 10, 10), [Conv(4), Conv(4, pad=2, dilation=2, groups=4), MaxPool(),
                             Conv(8, pad=3, dilation=3), Conv(8, k=5, pad=4, dilation=2, stride=2, groups=8, relu=False),
                             Gap(), Linear(3)])


def params_of(net, seed=0):
    rng = np.random.default_rng(seed)
    return [None if p is None else (p[0], rng.standard_normal(p[1].shape) * 0.1) for p in net.init_float(rng)]


# --------------------------------------------------------------------------- the description
@pytest.mark.parametrize("kw, msg", [
    ({"dilation": 5}, "Conv dilation=5: must be an integer 1..4"),
    ({"dilation": 0}, "Conv dilation=0: must be an integer 1..4"),
    ({"dilation": 2.0}, "Conv dilation=2.0: must be an integer 1..4"),
    ({"groups": 0}, "Conv groups=0: must be an integer >= 1"),
    ({"stride": 3}, "Conv stride=3: must be an integer 1..2"),
    ({"k": 0}, "Conv k=0: must be an integer >= 1"),
    ({"pad": -1}, "Conv pad=-1: must be an integer >= 0"),
])
def test_conv_refuses_bad_fields(kw, msg):
    with pytest.raises(ValueError) as e:
        Conv(4, **kw)
    assert str(e.value) == msg


@pytest.mark.parametrize("layers, msg", [
    ([Conv(4, groups=2)], "layer 0: Conv groups=2 with 4 input and 4 output channels: groups must be 1 or C == N"),
    ([Conv(8, groups=4)], "layer 0: Conv groups=4 with 4 input and 8 output channels: groups must be 1 or C == N"),
    ([Conv(4), Conv(4, groups=3)], "layer 1: Conv groups=3 with 4 input and 4 output channels"),
])
def test_net_refuses_groups_other_than_1_or_depthwise(layers, msg):
    with pytest.raises(ValueError) as e:
        Net((4, 8, 8), layers + [Gap(), Linear(2)])
    assert str(e.value).startswith(msg) and "\n" not in str(e.value)


def test_shapes_follow_dilation():
    net = dw_dil_net()
    # 10 -> 10 (k3 p1) -> 10 (k3 d2 p2) -> 5 (MP) -> 5 (k3 d3 p3) -> 1 + (5 + 8 - 9) // 2 = 3
    assert [s[1] for s in net.shapes] == [10, 10, 5, 5, 3, 1, 1]
    assert net.shapes[1][0] == 4 and net.layers[1].depthwise and not net.layers[3].depthwise
    with pytest.raises(ValueError, match="does not fit"):
        Net((1, 4, 4), [Conv(2, k=3, pad=0, dilation=2), Gap(), Linear(2)])     # span 5 > 4


def test_init_float_depthwise_is_block_diagonal():
    net = dw_dil_net()
    p = net.init_float(np.random.default_rng(1))
    for i in (1, 4):
        w = p[i][0]
        assert w.shape == (net.shapes[i][0],) * 2 + (net.layers[i].k,) * 2
        assert np.array_equal(depthwise_dense(depthwise_compact(w)), w)
        assert np.count_nonzero(w) == w.shape[0] * w.shape[2] ** 2
        assert np.array_equal(net.structure_mask(i) != 0, w != 0)
    assert net.structure_mask(0) is None and net.weight_slots(1) == 4 * 9 and net.weight_slots(3) == 8 * 4 * 9


# --------------------------------------------------------------------- the float reference
def loop_conv(x, w, b, stride, pad, dil, groups):
    """The ONNX Conv definition with loops (one image (C, H, W), w (N, C/groups, K, K))."""
    c, h, wd = x.shape
    n, cg, k, _ = w.shape
    xp = np.pad(x, ((0, 0), (pad, pad), (pad, pad)))
    span = dil * (k - 1) + 1
    ho, wo = (h + 2 * pad - span) // stride + 1, (wd + 2 * pad - span) // stride + 1
    y = np.zeros((n, ho, wo))
    per = n // groups
    for o in range(n):
        g = o // per
        for yo in range(ho):
            for xo in range(wo):
                acc = b[o]
                for ci in range(cg):
                    for ky in range(k):
                        for kx in range(k):
                            acc += w[o, ci, ky, kx] * xp[g * cg + ci, yo * stride + ky * dil, xo * stride + kx * dil]
                y[o, yo, xo] = acc
    return y


@pytest.mark.parametrize("dil", [1, 2, 3, 4])
@pytest.mark.parametrize("depthwise", [False, True])
@pytest.mark.parametrize("stride", [1, 2])
def test_float_conv_equals_the_definition(dil, depthwise, stride):
    k, c = 3, 3
    pad = dil * (k // 2) - (dil > 2)
    layer = Conv(c if depthwise else 4, k=k, stride=stride, pad=pad, dilation=dil, groups=c if depthwise else 1,
                 relu=False)
    net = Net((c, 11, 11), [layer, Gap(), Linear(2)])
    p = params_of(net, dil)
    x = RNG.random((2, c, 11, 11))
    _, cache = forward_float(net, p, x)
    got = cache[0][2]                                    # the conv's output (before Gap)
    w = depthwise_compact(p[0][0]) if depthwise else p[0][0]
    for j in range(2):
        want = loop_conv(x[j], w, p[0][1], stride, pad, dil, layer.groups)
        np.testing.assert_allclose(got[j], want, atol=1e-12, rtol=0)


def test_float_reference_check_can_fail():
    """The loop reference tells dilation 2 from 1 and depth-wise from full."""
    x = RNG.random((3, 9, 9))
    w = RNG.standard_normal((3, 1, 3, 3))
    b = np.zeros(3)
    assert not np.allclose(loop_conv(x, w, b, 1, 2, 2, 3), loop_conv(x, w, b, 1, 1, 1, 3))
    full = depthwise_dense(w) + 0.1                     # off-diagonal weights that a depth-wise conv ignores
    net = Net((3, 9, 9), [Conv(3, groups=3, relu=False), Gap(), Linear(2)])
    p = params_of(net)
    y_dw = forward_float(net, [(full, p[0][1])] + p[1:], x[None])[1][0][2][0]
    y_full = loop_conv(x, full, p[0][1], 1, 1, 1, 1)
    assert not np.allclose(y_dw, y_full)
    np.testing.assert_allclose(y_dw, loop_conv(x, w + 0.1, p[0][1], 1, 1, 1, 3), atol=1e-12)


def test_float_gradients_match_finite_differences():
    net = dw_dil_net()
    p = params_of(net, 3)
    x, y = RNG.random((3, 2, 10, 10)), np.array([0, 2, 1])

    def loss():
        return softmax_xent_float(forward_float(net, p, x)[0], y)[0]
    logits, cache = forward_float(net, p, x)
    g = backward_float(net, p, cache, softmax_xent_float(logits, y)[1])
    rng = np.random.default_rng(5)
    for i in (0, 1, 3, 4, 6):
        w = p[i][0]
        m = net.structure_mask(i)
        idx_all = np.argwhere(m != 0) if m is not None else np.argwhere(np.ones(w.shape))
        for idx in map(tuple, idx_all[rng.choice(len(idx_all), 4, replace=False)]):
            assert abs(central_difference(loss, w, idx) - g[i][0][idx]) < 1e-6, (i, idx)
        if m is not None:      # a depth-wise conv has no weights off its diagonal blocks: no gradient
            assert not g[i][0][m == 0].any() and g[i][0][m != 0].any()


def test_train_float_learns_and_keeps_depthwise_block_diagonal():
    net = dw_dil_net()
    p0 = params_of(net, 4)
    p0[1] = (p0[1][0] + 0.01, p0[1][1])            # junk off the diagonal: train_float drops it
    x = RNG.random((64, 2, 10, 10))
    y = (x[:, 0, :5].mean((1, 2)) > x[:, 1, 5:].mean((1, 2))).astype(int) * 2
    p1, losses = train_float(net, p0, x, y, 15, 16, 0.05, 0.9, np.random.default_rng(0))
    assert losses[-1] < 0.7 * losses[0], losses
    for i in (1, 4):
        assert not p1[i][0][net.structure_mask(i) == 0].any()


# ------------------------------------------------------------------------ pruning, quantization
@pytest.mark.parametrize("rule", ["threshold", "balanced"])
def test_prune_conv_depthwise_counts_its_own_weights(rule):
    net = Net((8, 6, 6), [Conv(8, k=5, pad=2, groups=8), Gap(), Linear(2)])
    w = net.init_float(np.random.default_rng(2))[0][0]
    pw = prune_conv(net, 0, w, 0.6, rule)
    m = net.structure_mask(0)
    assert not pw[m == 0].any()
    kept = np.count_nonzero(pw) / net.weight_slots(0)
    assert abs(kept - 0.4) < 0.03, kept
    if rule == "balanced":
        assert all(np.count_nonzero(pw[n]) == round(0.4 * 25) for n in range(8))
    q = quantize_params(net, [(w, np.zeros(8)), None, (np.zeros((2, 8)), np.zeros(2))], 0.6, rule)
    sw = q.convs[0]
    assert sw.shape == (8, 8, 5, 5) and sw.nnz == np.count_nonzero(pw)
    assert np.array_equal(sw.fwd_n, sw.fwd_c)              # every list entry is on the diagonal
    assert np.array_equal(masks_of(q, net)[0] != 0, pw != 0)


# ----------------------------------------------------------------------- the bit-exact model
def test_integer_model_follows_the_float_reference():
    """forward_model (bit-exact, Q8 activations, Q12 weights) of the quantized net = forward_float
    of the dequantized net within the requantization (a few Q8 steps)."""
    from verif.models.network import forward_model
    net = dw_dil_net()
    p = params_of(net, 6)
    q = quantize_params(net, p, 0.5)
    deq = dequantize_params(net, q)
    xq = quantize(RNG.random((12, 2, 10, 10)), A_FRAC)
    want = forward_float(net, deq, xq / 2 ** A_FRAC)[0]
    got = np.array([forward_model(net, q, x)[0][-1][:, 0, 0] for x in xq]) / 2 ** A_FRAC
    err = np.abs(got - want).max()
    assert err <= 6 / 2 ** A_FRAC, err
    # and it bites: the model run without the dilation is far off
    nodil = Net(net.in_shape, [Conv(4), Conv(4, pad=1, groups=4), MaxPool(), Conv(8, pad=1),
                               Conv(8, k=5, pad=2, stride=2, groups=8, relu=False), Gap(), Linear(3)])
    bad = np.array([forward_model(nodil, q, x)[0][-1][:, 0, 0] for x in xq]) / 2 ** A_FRAC
    assert np.abs(bad - want).max() > 10 * err


def test_train_step_model_follows_the_float_gradient():
    """One training step of the bit-exact model: every conv's weight change is -lr * the float
    gradient (of the dequantized net on the same Q8 images), up to the fixed-point rounding (Q12
    loss gradients requantized at every layer: measured relative error 0.02..0.23 per layer, seeds
    7 and 8, largest at the first conv); depth-wise lists keep their diagonal entries. It bites:
    the float gradient of the net without the dilations is far from the model's step."""
    from verif.models.network import train_step_model
    net = dw_dil_net()
    nodil = Net(net.in_shape, [Conv(4), Conv(4, pad=1, groups=4), MaxPool(), Conv(8, pad=1),
                               Conv(8, k=5, pad=2, stride=2, groups=8, relu=False), Gap(), Linear(3)])
    for seed in (7, 8):
        q = quantize_params(net, params_of(net, seed), 0.3)
        xq = quantize(np.random.default_rng(seed).random((8, 2, 10, 10)), A_FRAC)
        labels = np.arange(8) % 3
        lr = 2.0
        q1 = train_step_model(net, q, xq, labels, lr).params
        deq = dequantize_params(net, q)

        def float_grad(n):
            logits, cache = forward_float(n, deq, xq / 2 ** A_FRAC)
            return backward_float(n, deq, cache, softmax_xent_float(logits, labels)[1])
        g, g_bad = float_grad(net), float_grad(nodil)
        for i in (0, 1, 3, 4):
            sw0, sw1 = q.convs[i], q1.convs[i]
            assert np.array_equal(sw0.fwd_n, sw1.fwd_n) and np.array_equal(sw0.fwd_c, sw1.fwd_c)
            step = (sw1.values.astype(np.float64) - sw0.values) / 2 ** W_FRAC
            at = (sw0.fwd_n, sw0.fwd_c, sw0.fwd_ky, sw0.fwd_kx)
            rel = np.linalg.norm(step + lr * g[i][0][at]) / np.linalg.norm(lr * g[i][0][at])
            assert rel < 0.3, (seed, i, rel)
            if i in (1, 3, 4):
                bad = np.linalg.norm(step + lr * g_bad[i][0][at]) / np.linalg.norm(lr * g_bad[i][0][at])
                assert bad > 2 * rel and bad > 0.3, (seed, i, rel, bad)


# ------------------------------------------------------------------------------- the driver
def _uc_descs(prog):
    """The UC descriptors of a program as {field: value} (decoded from the bits, sparsetrain.program.FIELDS)."""
    from sparsetrain.program import FIELDS, Op
    out = []
    for d in prog.descs:
        if d[0] & 0xFF == Op.UC:
            out.append({f.name: (d[f.word] >> f.lsb) & ((1 << f.width) - 1) for f in FIELDS[Op.UC]})
    return out


def test_driver_program_carries_dilation_and_depthwise_lists():
    from sparsetrain.driver import build_program, check_fits, plan
    from sparsetrain.program import HostHeap, Mem, Op
    from sparsetrain.uc import UcParams
    p = UcParams.from_hdl({"LANES": 8, "KMAX": 7, "CMAX": 64, "NMAX": 64, "HMAX": 64, "WMAX": 64,
                           "FM_DEPTH": 8192, "WDEPTH": 16384, "PDEPTH": 256, "BDEPTH": 256})
    net = dw_dil_net()
    q = quantize_params(net, params_of(net, 2), 0.5)
    check_fits(net, p)
    lay = plan(net, q, p)
    nnz = {i: sw.nnz for i, sw in q.convs.items()}
    assert nnz[1] <= 4 * 9 and nnz[4] <= 8 * 25                  # depth-wise: the diagonal blocks only
    assert lay.used["weights"] == sum(nnz.values()) + 8 * 3 and lay.used["bwd index"] == sum(nnz.values())
    # a stride-2 conv's backward list is split by parity: four pointers a channel
    assert lay.used["pointers"] == sum(net.layers[i].cout + net.in_shape_of(i)[0] * (4 if net.layers[i].stride == 2 else 1)
                                       for i in q.convs)
    mem = {}
    run = build_program(net, q, p, np.zeros((2, 2, 10, 10), np.int16), [0, 1], lambda a, d: mem.__setitem__(a, d),
                        HostHeap(size=1 << 22), debug=False)
    ucs = _uc_descs(run.prog)
    conv_ids = sorted(q.convs)
    # forward (4), then per conv from the last: WGRAD [+ BWD_DATA], then the 4 UPDATEs
    assert len(ucs) == 4 + 4 + 3 + 4
    want_dil = {net.layers[i].dilation for i in conv_ids}
    for d in ucs:
        i = [j for j in conv_ids if lay.fptr[j] == d["fptr_base"]]
        assert len(i) == 1
        layer = net.layers[i[0]]
        assert (d["dil"], d["pad"], d["stride"], d["k"], d["cin"], d["cout"]) == (
            layer.dilation, layer.pad, layer.stride, layer.k, net.in_shape_of(i[0])[0], layer.cout)
    assert {d["dil"] for d in ucs} == want_dil == {1, 2, 3}
    # every conv's weights are loaded as its list: nnz words at its base (depth-wise: the diagonal
    # blocks' weights only), the values of the sparse list
    from sparsetrain.program import bytes_to_words
    loads = {(d[0] >> 8 & 0xF, d[3]): (d[1], d[2] & 0xFFFFF) for d in run.prog.descs if d[0] & 0xFF == Op.LOAD}
    for i in conv_ids:
        host, count = loads[(Mem.WGT, lay.w_base[i])]
        assert count == nnz[i]
        assert bytes_to_words(mem[host], 16)[:count] == [int(v) & 0xFFFF for v in q.convs[i].values]


@pytest.mark.parametrize("layer, msg", [
    (Conv(4, k=3, pad=2), "layer 0: conv pad 2 above dilation*(k//2) = 1 (the UC unit's limit)"),
    (Conv(4, k=3, pad=3, dilation=2), "layer 0: conv pad 3 above dilation*(k//2) = 2"),
    (Conv(4, k=9, pad=4), "layer 0: conv 2->4 k9 beyond the parameters"),
])
def test_check_fits_refuses_what_the_uc_unit_refuses(layer, msg):
    from sparsetrain.driver import check_fits
    from sparsetrain.uc import UcParams
    net = Net((2, 12, 12), [layer, Gap(), Linear(2)])
    with pytest.raises(ValueError) as e:
        check_fits(net, UcParams(kmax=7))
    assert str(e.value).startswith(msg)
    check_fits(Net((2, 12, 12), [Conv(4, k=3, pad=2, dilation=2), Gap(), Linear(2)]), UcParams(kmax=7))
