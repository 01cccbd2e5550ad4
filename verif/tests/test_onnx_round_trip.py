"""sparsetrain.onnx_io: ONNX export + import round trips (pure Python, no simulator).

A float round trip (export -> import gives the same Net and identical float32 weights,
onnxruntime = float_train.forward_float); a quantized round trip against the integer model
(verif.models.network.infer_model); ONNX -> chip integers -> a zero learning-rate training step
-> ONNX. The import of single ops and the refusals are in test_onnx_io.py.
"""

from __future__ import annotations

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")
from onnx import helper, numpy_helper  # noqa: E402

from sparsetrain.float_train import forward_float  # noqa: E402
from sparsetrain.net import (A_FRAC, Conv, Gap, Linear, MaxPool, Net, dequantize_params,  # noqa: E402
                             quantize_params)
from sparsetrain.numerics import quantize  # noqa: E402
from sparsetrain.onnx_io import export_onnx, import_onnx  # noqa: E402
from verif.common.onnx_graphs import RNG, G, check_against_ort, f32, run_ort  # noqa: E402
from verif.models.network import infer_model  # noqa: E402


# ------------------------------------------------------------------------------ round trips
def demo_net_params(seed=3):
    net = Net((1, 8, 8), [Conv(16), MaxPool(), Conv(32), Gap(), Linear(10)])
    rng = np.random.default_rng(seed)
    p = net.init_float(rng)
    return net, [None if q is None else (f32(q[0]), f32(rng.standard_normal(q[1].shape) * 0.1)) for q in p]


def test_float_round_trip_and_forward(tmp_path):
    net, params = demo_net_params()
    params[2] = (params[2][0] * (RNG.random(params[2][0].shape) > 0.85), params[2][1])     # pruned conv
    path = tmp_path / "net.onnx"
    m = export_onnx(net, params, path, net.in_shape)
    onnx.checker.check_model(onnx.load(str(path)))
    net2, params2 = import_onnx(path)
    assert net2 == net
    for a, b in zip(params, params2):
        assert (a is None) == (b is None)
        if a is not None:
            assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
    x = RNG.random((16, 1, 8, 8))
    np.testing.assert_allclose(run_ort(m, x), forward_float(net, params, x)[0], atol=1e-5, rtol=0)


def dw_dil_net_params(seed=3):
    """A CNN with a dilated conv and a depth-wise (dilated) conv, float32-exact parameters."""
    net = Net((2, 10, 10), [Conv(6), Conv(6, pad=2, dilation=2, groups=6), MaxPool(), Conv(8, pad=3, dilation=3),
                            Conv(8, k=5, pad=2, stride=2, groups=8, relu=False), Gap(), Linear(4)])
    rng = np.random.default_rng(seed)
    p = net.init_float(rng)
    return net, [None if q is None else (f32(q[0]), f32(rng.standard_normal(q[1].shape) * 0.1)) for q in p]


def test_float_round_trip_dilated_depthwise(tmp_path):
    """Export writes ``dilations`` and ``group`` (with the (C, 1, K, K) weight) back: export ->
    import gives the same Net and identical weights; onnxruntime = forward_float."""
    net, params = dw_dil_net_params()
    params[3] = (params[3][0] * (RNG.random(params[3][0].shape) > 0.7), params[3][1])
    path = tmp_path / "dw.onnx"
    m = export_onnx(net, params, path)
    convs = [n for n in onnx.load(str(path)).graph.node if n.op_type == "Conv"]
    attrs = [{a.name: helper.get_attribute_value(a) for a in n.attribute} for n in convs]
    assert [a.get("dilations", [1, 1]) for a in attrs] == [[1, 1], [2, 2], [3, 3], [1, 1]]
    assert [a.get("group", 1) for a in attrs] == [1, 6, 1, 8]
    assert numpy_helper.to_array(m.graph.initializer[2]).shape == (6, 1, 3, 3)
    net2, params2 = import_onnx(path)
    assert net2 == net
    assert all(a is None or (np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1]))
               for a, b in zip(params, params2))
    x = RNG.random((8, 2, 10, 10))
    np.testing.assert_allclose(run_ort(m, x), forward_float(net, params, x)[0], atol=1e-5, rtol=0)
    bad = [p if p is None else (p[0].copy(), p[1]) for p in params]
    bad[1][0][0, 1, 0, 0] = 1.0                       # a weight off the depth-wise diagonal cannot be written
    with pytest.raises(ValueError, match="off its diagonal blocks"):
        export_onnx(net, bad)


def test_quantized_round_trip_dilated_depthwise():
    """ONNX -> chip integers (block-diagonal depth-wise lists, dilated convs) -> ONNX -> the same
    integers; onnxruntime = the integer model within LOGIT_TOL, predictions within the margin."""
    net, params = dw_dil_net_params(9)
    x = RNG.random((100, 2, 10, 10))
    q, q2, pred_int, logits = quantized_round_trip(net, params, x)
    assert all(np.array_equal(q.convs[i].to_dense(), q2.convs[i].to_dense()) for i in q.convs)
    assert all(np.array_equal(q.biases[i], q2.biases[i]) for i in q.biases)
    assert np.array_equal(q.convs[1].fwd_n, q.convs[1].fwd_c)       # depth-wise list: diagonal only
    from verif.models.network import forward_model
    logits_int = np.array([forward_model(net, q, xx)[0][-1][:, 0, 0] for xx in quantize(x, A_FRAC)]) / 2 ** A_FRAC
    assert np.abs(logits_int - logits).max() <= LOGIT_TOL
    top2 = np.sort(logits, 1)[:, -2:]
    diff = logits.argmax(1) != pred_int
    assert not (diff & (top2[:, 1] - top2[:, 0] >= 2 * LOGIT_TOL)).any()


def test_float_round_trip_of_pretrained_digits():
    """The project's float pre-training (a few epochs) -> export -> import: same Net, weights."""
    from demo.data import load_digits_data
    from demo.run import make_net
    from sparsetrain.float_train import train_float
    ds = load_digits_data(1)
    net = make_net(ds.x_train.shape[1:], ds.classes)
    params, _ = train_float(net, net.init_float(np.random.default_rng(1)), ds.x_train[:256], ds.y_train[:256], 2)
    params = [None if p is None else (f32(p[0]), f32(p[1])) for p in params]
    net2, params2 = import_onnx(export_onnx(net, params))
    assert net2 == net
    assert all(a is None or (np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])) for a, b in zip(params, params2))


#: Allowed difference of the quantized round trip: onnxruntime runs the dequantized weights in
#: float (its input = the Q8-quantized images, so the input rounding is shared), the integer model
#: requantizes every activation to Q8 (round half up, saturating) and gives Q8 logits. So the
#: logits differ by a few Q8 steps: measured max |float - integer/256| = 0.0052 (seeds 5, 6, 7,
#: 200 images each), bounded here by LOGIT_TOL = 4/256; a prediction may then differ only where the
#: two best float logits are closer than 2 * LOGIT_TOL (measured: 1 image of 600, margin 0.0002).
LOGIT_TOL = 4 / 256



def quantized_round_trip(net, params, x):
    q = quantize_params(net, params, 0.85)
    deq = dequantize_params(net, q)
    m = export_onnx(net, deq)
    net2, back = import_onnx(m)
    q2 = quantize_params(net2, back, 0.0)
    xq = quantize(x, A_FRAC)
    pred_int = np.array(infer_model(net, q, xq))
    logits = run_ort(m, xq / 2 ** A_FRAC)
    return q, q2, pred_int, logits


def test_quantized_round_trip_predictions():
    net, params = demo_net_params(5)
    x = RNG.random((200, 1, 8, 8))
    q, q2, pred_int, logits = quantized_round_trip(net, params, x)
    # ONNX -> chip integers again: the same integers (no training = the same network)
    assert all(np.array_equal(q.convs[i].to_dense(), q2.convs[i].to_dense()) for i in q.convs)
    assert all(np.array_equal(q.lin_w[i], q2.lin_w[i]) and np.array_equal(q.biases[i], q2.biases[i]) for i in q.lin_w)
    assert all(np.array_equal(q.biases[i], q2.biases[i]) for i in q.convs)
    pred_ort = logits.argmax(1)
    top2 = np.sort(logits, 1)[:, -2:]
    margin = top2[:, 1] - top2[:, 0]
    diff = pred_ort != pred_int
    from verif.models.network import forward_model
    logits_int = np.array([forward_model(net, q, xx)[0][-1][:, 0, 0] for xx in quantize(x, A_FRAC)]) / 2 ** A_FRAC
    assert np.abs(logits_int - logits).max() <= LOGIT_TOL
    assert not (diff & (margin >= 2 * LOGIT_TOL)).any(), f"disagreement with margin {margin[diff].max()}"
    assert diff.mean() <= 0.02, f"{diff.sum()} of {len(diff)} predictions differ"


def test_quantized_round_trip_check_can_fail():
    """Corrupting one classifier weight in the exported model makes predictions differ."""
    net, params = demo_net_params(5)
    x = RNG.random((200, 1, 8, 8))
    q, _, pred_int, _ = quantized_round_trip(net, params, x)
    deq = dequantize_params(net, q)
    deq[-1] = (deq[-1][0] * -1, deq[-1][1])
    pred_bad = run_ort(export_onnx(net, deq), quantize(x, A_FRAC) / 2 ** A_FRAC).argmax(1)
    assert (pred_bad != pred_int).mean() > 0.05


def test_constant_nodes_as_weights():
    """Weights given by Constant nodes (some exporters) import like initializers."""
    g = G((1, 6, 6)).conv(3).relu().gap().flatten().gemm(2)
    m = g.model()
    w = m.graph.initializer[0]
    const = helper.make_node("Constant", [], [w.name], name="wconst", value=w)
    m.graph.node.insert(0, const)
    del m.graph.initializer[0]
    net, params = check_against_ort(m)
    assert params[0][0].dtype == np.float64 and params[0][0].shape == (3, 1, 3, 3)


def _zero_lr_graph(kind):
    if kind == "plain":
        return G((1, 8, 8)).conv(6, zeros=0.5).bn().relu().pool().conv(8, zeros=0.8).relu().gap().flatten().gemm(10)
    return (G((1, 8, 8)).conv(6, zeros=0.3).relu()
            .conv(6, cin=1, group=6, dilations=[2, 2], pads=[2] * 4, zeros=0.3).bn().relu().pool()
            .conv(8, dilations=[2, 2], pads=[1] * 4, zeros=0.8).relu().gap().flatten().gemm(10))


@pytest.mark.parametrize("kind", ["plain", "dilated_depthwise"])
def test_onnx_chip_onnx_zero_lr_round_trip(kind):
    """ONNX -> chip integers -> a training step with learning rate 0 on the bit-exact model ->
    ONNX gives the same float network within the documented quantization: weights within half a
    Q12 step (2^-13), biases within half a Q20 step, exact zeros kept (and nothing else zero
    except weights below 2^-13, which Q12 rounds to 0)."""
    from verif.models.network import train_step_model
    m = _zero_lr_graph(kind).model()
    net, p_in = import_onnx(m)
    q = quantize_params(net, p_in, 0.0)
    x = RNG.random((4, 1, 8, 8))
    q_after = train_step_model(net, q, quantize(x, A_FRAC), np.arange(4), 0.0).params
    net2, p_out = import_onnx(export_onnx(net, dequantize_params(net, q_after)))
    assert net2 == net
    for a, b in zip(p_in, p_out):
        if a is None:
            continue
        assert np.abs(a[0] - b[0]).max() <= 2.0 ** -13 and np.abs(a[1] - b[1]).max() <= 2.0 ** -21
        assert np.all(b[0][a[0] == 0] == 0)
        assert np.all((b[0] == 0) <= ((a[0] == 0) | (np.abs(a[0]) <= 2.0 ** -13)))
