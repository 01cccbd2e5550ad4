"""sparsetrain.onnx_io: ONNX import/export (pure Python, no simulator).

Hand-built graphs (onnx.helper) for every supported op and every refused case; a float round
trip (export -> import gives the same Net and identical float32 weights); onnxruntime against
float_train.forward_float; BN folding against onnxruntime running the BN graph; a quantized
round trip against the integer model (verif.models.network.infer_model).
"""

from __future__ import annotations

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

from sparsetrain.float_train import forward_float  # noqa: E402
from sparsetrain.net import (A_FRAC, Conv, Gap, Linear, MaxPool, Net, dequantize_params,  # noqa: E402
                             quantize_params)
from sparsetrain.numerics import quantize  # noqa: E402
from sparsetrain.onnx_io import OnnxImportError, export_onnx, import_onnx  # noqa: E402
from verif.models.network import infer_model  # noqa: E402

RNG = np.random.default_rng(17)


def f32(a):
    return np.asarray(a, dtype=np.float32).astype(np.float64)


def run_ort(model, x):
    s = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    return s.run(None, {s.get_inputs()[0].name: np.asarray(x, np.float32)})[0]


class G:
    """A tiny chain builder: ``G((1, 8, 8)).conv(4).relu().gap().flatten().gemm(3).model()``."""

    def __init__(self, shape=(1, 8, 8)):
        self.c = shape[0]
        self.nodes, self.inits, self.cur, self.n = [], [], "x", 0
        self.x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", *shape])

    def init(self, arr):
        nm = f"t{len(self.inits)}"
        self.inits.append(numpy_helper.from_array(np.asarray(arr, np.float32) if np.asarray(arr).dtype.kind == "f"
                                                  else np.asarray(arr), nm))
        return nm

    def node(self, op, extra=(), name=None, **attrs):
        self.n += 1
        out = f"y{self.n}"
        self.nodes.append(helper.make_node(op, [self.cur, *extra], [out], name=name or f"{op.lower()}{self.n}", **attrs))
        self.cur = out
        return self

    def conv(self, cout, k=3, cin=None, zeros=0.0, bias=True, **attrs):
        w = RNG.standard_normal((cout, cin or self.c, k, k)) * 0.3
        w[RNG.random(w.shape) < zeros] = 0
        self.c = cout
        ins = [self.init(w)] + ([self.init(RNG.standard_normal(cout) * 0.1)] if bias else [])
        attrs.setdefault("pads", [k // 2] * 4)
        return self.node("Conv", ins, kernel_shape=[k, k], **attrs)

    def bn(self, **attrs):
        c = self.c
        ins = [self.init(1 + 0.2 * RNG.standard_normal(c)), self.init(0.1 * RNG.standard_normal(c)),
               self.init(0.1 * RNG.standard_normal(c)), self.init(0.5 + RNG.random(c))]
        return self.node("BatchNormalization", ins, epsilon=1e-3, **attrs)

    def relu(self):
        return self.node("Relu")

    def pool(self, **attrs):
        attrs.setdefault("kernel_shape", [2, 2])
        attrs.setdefault("strides", [2, 2])
        return self.node("MaxPool", **attrs)

    def gap(self):
        return self.node("GlobalAveragePool")

    def flatten(self, **attrs):
        return self.node("Flatten", axis=attrs.pop("axis", 1), **attrs)

    def reshape(self, target):
        return self.node("Reshape", [self.init(np.array(target, np.int64))])

    def gemm(self, m, trans_b=1, **attrs):
        w = RNG.standard_normal((m, self.c) if trans_b else (self.c, m)) * 0.3
        self.c = m
        return self.node("Gemm", [self.init(w), self.init(RNG.standard_normal(m) * 0.1)], transB=trans_b, **attrs)

    def matmul_add(self, m):
        self.node("MatMul", [self.init(RNG.standard_normal((self.c, m)) * 0.3)])
        self.c = m
        return self.node("Add", [self.init(RNG.standard_normal(m) * 0.1)])

    def model(self):
        y = helper.make_tensor_value_info(self.cur, TensorProto.FLOAT, ["N", "K"])
        m = helper.make_model(helper.make_graph(self.nodes, "g", [self.x], [y], self.inits),
                              opset_imports=[helper.make_opsetid("", 13)])
        m.ir_version = 8
        onnx.checker.check_model(m)
        return m


def check_against_ort(model, atol=1e-5):
    """Import ``model`` and compare forward_float with onnxruntime on random inputs."""
    net, params = import_onnx(model)
    x = RNG.random((6, *net.in_shape))
    got, _ = forward_float(net, params, x)
    want = run_ort(model, x)
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, atol=atol, rtol=0)
    return net, params


# ---------------------------------------------------------------------------- supported ops
@pytest.mark.parametrize("k", [1, 3, 5, 7, 11])
@pytest.mark.parametrize("stride", [1, 2])
def test_conv_kernels_strides(k, stride):
    m = G((2, 12, 12)).conv(3, k=k, strides=[stride] * 2, pads=[k // 2] * 4).relu().gap().flatten().gemm(4).model()
    net, _ = check_against_ort(m)
    assert net.layers[0] == Conv(3, k=k, stride=stride, pad=k // 2, relu=True)


@pytest.mark.parametrize("pad", [0, 1, 2])
def test_conv_pads_no_relu_no_bias(pad):
    m = G((1, 9, 9)).conv(4, k=3, pads=[pad] * 4, bias=False).gap().flatten().gemm(3).model()
    net, params = check_against_ort(m)
    assert net.layers[0].pad == pad and not net.layers[0].relu and not params[0][1].any()


@pytest.mark.parametrize("dil", [1, 2, 3, 4])
@pytest.mark.parametrize("stride", [1, 2])
def test_conv_dilations(dil, stride):
    """ONNX Conv ``dilations`` [d, d] (d 1..4, pads up to d*(k//2)) -> Conv.dilation; forward_float
    = onnxruntime."""
    m = G((2, 13, 13)).conv(3, k=3, dilations=[dil, dil], strides=[stride] * 2, pads=[dil] * 4).relu() \
        .gap().flatten().gemm(3).model()
    net, _ = check_against_ort(m)
    assert net.layers[0] == Conv(3, k=3, stride=stride, pad=dil, relu=True, dilation=dil)


@pytest.mark.parametrize("k, dil", [(3, 1), (3, 2), (5, 2), (1, 1)])
def test_conv_depthwise(k, dil):
    """ONNX Conv ``group`` = C with a (C, 1, K, K) weight -> Conv(groups=C) with the block-diagonal
    (C, C, K, K) kernel; with BatchNormalization folded; forward_float = onnxruntime."""
    m = G((3, 9, 9)).conv(5).relu().conv(5, k=k, cin=1, group=5, dilations=[dil] * 2, pads=[dil * (k // 2)] * 4,
                                         zeros=0.3).bn().relu().gap().flatten().gemm(3).model()
    net, params = check_against_ort(m)
    layer = net.layers[1]
    assert layer.depthwise and layer.groups == 5 and layer.dilation == dil and layer.relu
    w_onnx = numpy_helper.to_array(m.graph.initializer[2])               # (5, 1, k, k)
    w = params[1][0]
    assert w.shape == (5, 5, k, k) and not w[net.structure_mask(1) == 0].any()
    assert np.array_equal(w[np.arange(5), np.arange(5)] == 0, w_onnx[:, 0] == 0)    # zeros kept through BN


def test_depthwise_sparsity_prunes_the_diagonal_only():
    m = G((6, 8, 8)).conv(6, k=5, cin=1, group=6, pads=[2] * 4).relu().gap().flatten().gemm(2).model()
    net, p = import_onnx(m, sparsity=0.6)
    z = p[0][0][net.structure_mask(0) != 0] == 0
    assert 0.55 <= z.mean() <= 0.65, z.mean()


def test_full_chain_maxpool_bn_gemm_variants():
    g = G((3, 10, 10)).conv(8).bn().relu().pool().conv(8, zeros=0.6).relu().gap()
    check_against_ort(g.flatten().gemm(5).model())
    g = G((3, 10, 10)).conv(8).relu().pool().conv(6).relu().gap()
    check_against_ort(g.reshape([-1, 6]).gemm(5, trans_b=0, alpha=0.5, beta=2.0).model())
    g = G((3, 10, 10)).conv(8).relu().gap()
    net, _ = check_against_ort(g.reshape([0, 8]).matmul_add(4).model())
    assert [type(layer) for layer in net.layers] == [Conv, Gap, Linear]


def test_bn_folding_equals_onnxruntime_bn_graph():
    """The folded Conv (no BN node left) computes what onnxruntime computes with the BN node."""
    m = G((2, 8, 8)).conv(6, zeros=0.5).bn().relu().pool().conv(5).bn().gap().flatten().gemm(3).model()
    net, params = import_onnx(m)
    assert sum(isinstance(layer, Conv) for layer in net.layers) == 2
    x = RNG.random((8, 2, 8, 8))
    folded = run_ort(export_onnx(net, params), x)          # a BN-free graph
    np.testing.assert_allclose(folded, run_ort(m, x), atol=1e-5, rtol=0)
    np.testing.assert_allclose(forward_float(net, params, x)[0], run_ort(m, x), atol=1e-5, rtol=0)


def test_zeros_are_the_mask_and_sparsity_prunes_further():
    m = G((4, 8, 8)).conv(8, zeros=0.5).bn().relu().gap().flatten().gemm(3).model()
    w_onnx = numpy_helper.to_array(m.graph.initializer[0])
    _, params = import_onnx(m)
    assert np.array_equal(params[0][0] == 0, w_onnx == 0)          # BN folding keeps the zeros
    _, pruned = import_onnx(m, sparsity=0.8)
    z = pruned[0][0] == 0
    assert z[w_onnx == 0].all() and 0.78 <= z.mean() <= 0.9


# ---------------------------------------------------------------------------- refused cases
def base(shape=(2, 8, 8)):
    return G(shape)


def _rect(g):
    g.c = 2
    return g.node("Conv", [g.init(np.ones((2, 2, 3, 1)))], kernel_shape=[3, 1], pads=[1, 0, 1, 0])


def _add(g):
    return g.node("Add", [g.init(np.ones(1))])


REFUSED = {
    # case: (builder, node name substring, op, reason substring)
    "dilation5": (lambda: G((2, 12, 12)).conv(3, dilations=[5, 5], pads=[5] * 4, name="c").relu().gap().flatten()
                  .gemm(2), "Conv", "dilations [5, 5]: must be equal on both axes and 1..4"),
    "dilation_unequal": (lambda: base().conv(3, dilations=[1, 2], pads=[1] * 4).gap().flatten().gemm(2), "Conv",
                         "dilations [1, 2]"),
    "depthwise_multiplier": (lambda: base().conv(4, cin=1, group=2).relu().gap().flatten().gemm(2), "Conv",
                             "depth-wise convolution (group=2) with 4 output channels"),
    "grouped": (lambda: G((4, 8, 8)).conv(4, cin=2, group=2).gap().flatten().gemm(2), "Conv", "grouped"),
    "grouped_n": (lambda: G((6, 8, 8)).conv(3, cin=2, group=3).gap().flatten().gemm(2), "Conv",
                  "grouped convolution (group=3) is not supported: group must be 1 or the input channel count 6"),
    "kernel12": (lambda: G((1, 14, 14)).conv(2, k=12, pads=[0] * 4).gap().flatten().gemm(2), "Conv", "1..11"),
    "stride3": (lambda: base().conv(2, strides=[3, 3]).gap().flatten().gemm(2), "Conv", "strides"),
    "asym_pads": (lambda: base().conv(2, pads=[1, 1, 0, 0]).gap().flatten().gemm(2), "Conv", "pads"),
    "rect_kernel": (lambda: _rect(base()).gap().flatten().gemm(2), "Conv", "square"),
    "sigmoid": (lambda: base().conv(2).node("Sigmoid").gap().flatten().gemm(2), "Sigmoid", "unsupported op"),
    "avgpool": (lambda: base().conv(2).node("AveragePool", kernel_shape=[2, 2]).gap().flatten().gemm(2),
                "AveragePool", "unsupported op"),
    "pool3": (lambda: base().conv(2).relu().pool(kernel_shape=[3, 3]).gap().flatten().gemm(2), "MaxPool", "2x2"),
    "pool_s1": (lambda: base().conv(2).relu().pool(strides=[1, 1]).gap().flatten().gemm(2), "MaxPool", "2x2"),
    "pool_ceil": (lambda: base().conv(2).relu().pool(ceil_mode=1).gap().flatten().gemm(2), "MaxPool", "ceil_mode"),
    "bn_first": (lambda: G((2, 8, 8)).bn().conv(2).gap().flatten().gemm(2), "BatchNormalization", "follow a Conv"),
    "bn_after_relu": (lambda: base().conv(2).relu().bn().gap().flatten().gemm(2), "BatchNormalization", "follow a Conv"),
    "relu_after_pool": (lambda: base().conv(2).pool().relu().gap().flatten().gemm(2), "Relu", "follow a Conv"),
    "flatten_map": (lambda: base().conv(2).relu().flatten().gemm(2, cin=None), "Flatten", "shape"),
    "flatten_axis": (lambda: base().conv(2).gap().flatten(axis=0).gemm(2), "Flatten", "axis"),
    "reshape_bad": (lambda: base().conv(2).gap().reshape([-1, 1, 2]).gemm(2), "Reshape", "shape"),
    "relu_after_gemm": (lambda: base().conv(2).gap().flatten().gemm(3).relu(), "Relu", "classifier"),
    "two_gemms": (lambda: base().conv(2).gap().flatten().gemm(3).gemm(2), "Gemm", "classifier"),
    "gemm_transA": (lambda: base().conv(2).gap().flatten().gemm(2, transA=1), "Gemm", "transA"),
    "add_after_conv": (lambda: _add(base().conv(2)).gap().flatten().gemm(2), "Add", "bias of a MatMul"),
}


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_refused(case):
    build, op, why = REFUSED[case]
    g = build()
    with pytest.raises(OnnxImportError) as e:
        import_onnx(g.model() if case not in ("rect_kernel", "flatten_map") else _unchecked(g))
    msg = str(e.value)
    assert isinstance(e.value, ValueError) and "\n" not in msg
    assert f"({op})" in msg and why in msg, msg
    bad = [n for n in g.nodes if n.op_type == op]
    assert any(f"'{n.name}'" in msg for n in bad), msg       # names the node


def _unchecked(g):
    """Graphs onnx's checker or shape rules reject anyway: import must still refuse them cleanly."""
    y = helper.make_tensor_value_info(g.cur, TensorProto.FLOAT, ["N", "K"])
    m = helper.make_model(helper.make_graph(g.nodes, "g", [g.x], [y], g.inits),
                          opset_imports=[helper.make_opsetid("", 13)])
    return m


def test_refused_graph_level_and_files(tmp_path):
    m = G((2, 8, 8)).conv(2).relu().gap().model()                    # no classifier
    with pytest.raises(OnnxImportError, match="classifier"):
        import_onnx(m)
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"not a protobuf at all \x00\xff")
    with pytest.raises(OnnxImportError, match="bad.onnx"):
        import_onnx(bad)
    with pytest.raises(OnnxImportError, match="no such file"):
        import_onnx(tmp_path / "missing.onnx")


def test_refusal_checker_can_fail():
    """The refusal test's checks are not vacuous: a supported graph imports."""
    net, _ = import_onnx(G().conv(2).relu().gap().flatten().gemm(2).model())
    assert isinstance(net.layers[-1], Linear)


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
