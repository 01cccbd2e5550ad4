"""Hand-built ONNX graphs and onnxruntime references for the ONNX import/export tests
(verif/tests/test_onnx_io.py, test_onnx_round_trip.py): the chain builder :class:`G`, onnxruntime
on a model (:func:`run_ort`) and an import checked against it (:func:`check_against_ort`).

Needs the ``onnx`` extra (onnx, onnxruntime): the tests import this module after
``pytest.importorskip`` of both.
"""

from __future__ import annotations

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

from sparsetrain.float_train import forward_float
from sparsetrain.onnx_io import import_onnx

#: The graphs' random weights and the tests' random inputs (one stream, seed 17).
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
