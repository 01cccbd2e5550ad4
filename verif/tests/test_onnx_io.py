"""sparsetrain.onnx_io: ONNX import (pure Python, no simulator).

Hand-built graphs (onnx.helper, verif.common.onnx_graphs) for every supported op and every
refused case, each import checked against onnxruntime (float_train.forward_float); BN folding
against onnxruntime running the BN graph. The export/import round trips are in
test_onnx_round_trip.py.
"""

from __future__ import annotations

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

from sparsetrain.float_train import forward_float  # noqa: E402
from sparsetrain.net import Conv, Gap, Linear  # noqa: E402
from sparsetrain.onnx_io import OnnxImportError, export_onnx, import_onnx  # noqa: E402
from verif.common.onnx_graphs import RNG, G, check_against_ort, run_ort  # noqa: E402


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
