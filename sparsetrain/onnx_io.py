"""ONNX in, ONNX out: a user's (pruned) CNN as a :class:`sparsetrain.net.Net` and back.

:func:`import_onnx` reads a chain-shaped ONNX graph into a ``Net`` and float parameters in
sparsetrain's layout (``[(w, b) or None]`` per layer, float64; conv ``w`` ``(N, C, K, K)``
(depth-wise: block-diagonal ``(C, C, K, K)``),
linear ``w`` ``(M, K)``, ``b`` ``(N,)``). :func:`export_onnx` writes a ``Net`` and float
parameters (e.g. ``dequantize_params`` of the chip's integers) as an opset-13 ONNX model.

Supported nodes (everything else raises :class:`OnnxImportError`, nothing is half-imported):

=====================  ==============================================================
ONNX op                becomes
=====================  ==============================================================
Conv                   ``Conv`` (square kernel 1..11, strides 1 or 2 equal on both
                       axes, symmetric equal pads, dilations 1..4 equal on both axes,
                       group 1 or depth-wise group = C = N, bias optional)
BatchNormalization     folded into the Conv it follows (inference form only)
Relu                   the preceding Conv's ``relu=True`` (a Relu elsewhere is refused)
MaxPool                ``MaxPool`` (2x2, stride 2, no pads, floor mode)
GlobalAveragePool      ``Gap``
Flatten / Reshape      nothing: allowed on a ``(C, 1, 1)`` map, before the classifier
Gemm / MatMul(+Add)    ``Linear``: the classifier, the last layer
=====================  ==============================================================

Dilation ``d`` becomes ``Conv.dilation`` (1..4: the UC command's ``dil`` field; larger is
refused). A depth-wise Conv (``group`` = C, weight ``(C, 1, K, K)``, N = C) becomes
``Conv(groups=C)`` with the block-diagonal ``(C, C, K, K)`` kernel
(:func:`sparsetrain.sparse.depthwise_dense`); export writes the ``(C, 1, K, K)`` weight and
``group`` back. Other groups (grouped convs, a depth-wise channel multiplier N = m*C, m > 1)
are refused by name. Zeros already in the weights are the pruning mask: they stay
exact zeros (BN folding multiplies them, ``0 * s == 0``). Requires the ``onnx`` package (the
``onnx`` extra); it is imported lazily so that the rest of ``sparsetrain`` needs only NumPy.
"""

from __future__ import annotations

import numpy as np

from sparsetrain.geometry import conv_out_size
from sparsetrain.net import DIL_MAX, Conv, Gap, Linear, MaxPool, Net, prune_conv
from sparsetrain.sparse import depthwise_compact, depthwise_dense

OPSET = 13
KMAX_ONNX = 11


class OnnxImportError(ValueError):
    """A model the Net cannot express; the message is one line naming the node, its op and why."""


def _onnx():
    try:
        import onnx
        from onnx import numpy_helper
    except ImportError as e:  # pragma: no cover - the extra is part of make demo / make test
        raise ImportError("sparsetrain.onnx_io needs the onnx package: pip install -e .[onnx]") from e
    return onnx, numpy_helper


def _fail(node, why: str):
    name = node.name or (node.output[0] if node.output else "?")
    raise OnnxImportError(f"node {name!r} ({node.op_type}): {why}")


def _attrs(node) -> dict:
    onnx, _ = _onnx()
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def _load(path_or_model):
    onnx, _ = _onnx()
    if isinstance(path_or_model, onnx.ModelProto):
        return path_or_model
    try:
        return onnx.load(str(path_or_model))
    except FileNotFoundError:
        raise OnnxImportError(f"{path_or_model}: no such file") from None
    except Exception as e:  # noqa: BLE001 - protobuf's decode errors have no common base
        raise OnnxImportError(f"{path_or_model}: not an ONNX model ({type(e).__name__}: {e})".splitlines()[0]) from None


def _input_shape(graph, inits) -> tuple[str, tuple]:
    ins = [i for i in graph.input if i.name not in inits]
    if len(ins) != 1:
        raise OnnxImportError(f"graph: needs exactly one image input, has {len(ins)}")
    t = ins[0].type.tensor_type
    dims = [d.dim_value if d.HasField("dim_value") else None for d in t.shape.dim]
    if t.elem_type != 1 or len(dims) != 4 or None in dims[1:]:
        raise OnnxImportError(f"graph input {ins[0].name!r}: must be float (N, C, H, W) with fixed C, H, W, "
                              f"got elem_type {t.elem_type} shape {dims}")
    return ins[0].name, tuple(dims[1:])


def _conv(node, a, w, b, shape) -> tuple[Conv, tuple, np.ndarray]:
    """Check a Conv node's attributes against what :class:`Conv` can express; returns the layer,
    its output shape and the weight in sparsetrain's layout (depth-wise: block-diagonal)."""
    c, h, wd = shape
    if w is None or w.ndim != 4:
        _fail(node, "weight must be a 4-D initializer (N, C/group, kH, kW)")
    group = a.get("group", 1)
    if group != 1:
        if group == c and w.shape[1] == 1 and w.shape[0] == c:
            pass                                                 # depth-wise: groups == C == N
        elif group == c and w.shape[1] == 1:
            _fail(node, f"depth-wise convolution (group={group}) with {w.shape[0]} output channels: "
                        f"only a multiplier of 1 (N == C == {c}) is supported")
        else:
            _fail(node, f"grouped convolution (group={group}) is not supported: group must be 1 or the "
                        f"input channel count {c} (depth-wise)")
    elif w.shape[1] != c:
        _fail(node, f"weight has {w.shape[1]} input channels, the input has {c}")
    kh, kw = w.shape[2:]
    if kh != kw or list(a.get("kernel_shape", [kh, kw])) != [kh, kw]:
        _fail(node, f"kernel {kh}x{kw}: only square kernels are supported")
    if not 1 <= kh <= KMAX_ONNX:
        _fail(node, f"kernel {kh}x{kw}: must be 1..{KMAX_ONNX}")
    dil = list(a.get("dilations", [1, 1]))
    if len(dil) != 2 or dil[0] != dil[1] or not 1 <= dil[0] <= DIL_MAX:
        _fail(node, f"dilations {dil}: must be equal on both axes and 1..{DIL_MAX} (the UC unit's dilation field)")
    st = list(a.get("strides", [1, 1]))
    if st[0] != st[1] or st[0] not in (1, 2):
        _fail(node, f"strides {st}: must be [1, 1] or [2, 2]")
    if a.get("auto_pad", b"NOTSET") not in (b"NOTSET", "NOTSET"):
        _fail(node, f"auto_pad {a['auto_pad']!r}: give explicit pads")
    pads = list(a.get("pads", [0, 0, 0, 0]))
    if len(set(pads)) != 1:
        _fail(node, f"pads {pads}: must be equal on all four sides")
    if b is not None and b.shape != (w.shape[0],):
        _fail(node, f"bias shape {b.shape}: must be ({w.shape[0]},)")
    layer = Conv(int(w.shape[0]), k=int(kh), stride=int(st[0]), pad=int(pads[0]), relu=False,
                 dilation=int(dil[0]), groups=int(group))
    try:
        ho = conv_out_size(h, layer.k, layer.stride, layer.pad, layer.dilation)
        wo = conv_out_size(wd, layer.k, layer.stride, layer.pad, layer.dilation)
    except ValueError as e:
        _fail(node, f"shape: {e}")
    return layer, (layer.cout, ho, wo), (depthwise_dense(w) if layer.depthwise else w.copy())


def import_onnx(path_or_model, sparsity: float | None = None, rule: str = "threshold") -> tuple[Net, list]:
    """Read an ONNX CNN into ``(Net, params)``.

    ``path_or_model``: a file name or an ``onnx.ModelProto``. ``sparsity``: if given, every conv
    kernel is pruned further with :func:`sparsetrain.net.prune_conv` (``rule``; a depth-wise
    kernel on its diagonal blocks only); zeros in the
    model's weights always stay zeros. ``params``: ``[(w, b) or None]`` per layer, float64 (ONNX
    float32 values converted exactly). Raises :class:`OnnxImportError` (a ``ValueError``) with
    one line naming the node, its op type and why, for any node or shape the Net cannot express.
    """
    onnx, numpy_helper = _onnx()
    model = _load(path_or_model)
    g = model.graph
    def arr(t):         # float tensors as float64 (exact), integer ones (Reshape targets) as they are
        return numpy_helper.to_array(t).astype(np.float64) if t.data_type in (1, 10, 11) else numpy_helper.to_array(t)
    inits = {t.name: arr(t) for t in g.initializer}
    x_name, in_shape = _input_shape(g, inits)
    layers, params = [], []
    cur, shape, flat = x_name, in_shape, False
    nodes = list(g.node)
    i, prev_op = 0, None

    def data_input(node, k=0):
        if len(node.input) <= k or node.input[k] != cur:
            _fail(node, f"input {list(node.input)[:1]} is not the previous layer's output {cur!r}: "
                        "only a chain of layers is supported")

    while i < len(nodes):
        node = nodes[i]
        op, a = node.op_type, _attrs(node)
        if op == "Constant":
            if "value" not in a:
                _fail(node, "only a tensor 'value' Constant is supported")
            inits[node.output[0]] = arr(node.attribute[[x.name for x in node.attribute].index("value")].t)
            i += 1
            continue
        if node.domain not in ("", "ai.onnx"):
            _fail(node, f"unsupported op (domain {node.domain!r})")
        if layers and isinstance(layers[-1], Linear) and op not in ("Add",):
            _fail(node, "unsupported: nothing may follow the classifier (Gemm/MatMul must be the last layer)")
        data_input(node)
        if op == "Conv":
            if flat:
                _fail(node, "shape: a Conv after Flatten/Reshape")
            w = inits.get(node.input[1]) if len(node.input) > 1 else None
            b = inits.get(node.input[2]) if len(node.input) > 2 and node.input[2] else None
            if len(node.input) > 2 and node.input[2] and b is None:
                _fail(node, "bias must be an initializer")
            layer, shape, w = _conv(node, a, w, b, shape)
            layers.append(layer)
            params.append((w, np.zeros(layer.cout) if b is None else b.copy()))
        elif op == "BatchNormalization":
            if not layers or not isinstance(layers[-1], Conv) or layers[-1].relu or prev_op != "Conv":
                _fail(node, "unsupported: BatchNormalization must directly follow a Conv (it is folded into it)")
            if a.get("training_mode", 0):
                _fail(node, "attribute training_mode=1: only the inference form can be folded")
            if len(node.output) > 1 and any(node.output[1:]):
                _fail(node, "training outputs (running mean/var) are not supported")
            try:
                gam, bet, mean, var = (inits[n] for n in node.input[1:5])
            except (KeyError, ValueError):
                _fail(node, "scale, B, mean and var must be initializers")
            n = layers[-1].cout
            if any(t.shape != (n,) for t in (gam, bet, mean, var)):
                _fail(node, f"shape: scale/B/mean/var must be ({n},)")
            s = gam / np.sqrt(var + float(a.get("epsilon", 1e-5)))
            w, b = params[-1]
            params[-1] = (w * s[:, None, None, None], (b - mean) * s + bet)
        elif op == "Relu":
            if not layers or not isinstance(layers[-1], Conv) or layers[-1].relu or prev_op not in ("Conv", "BatchNormalization"):
                _fail(node, "unsupported: Relu must directly follow a Conv (or its BatchNormalization)")
            layers[-1].relu = True
        elif op == "MaxPool":
            if flat:
                _fail(node, "shape: MaxPool after Flatten/Reshape")
            bad = {k: v for k, v in a.items() if not (
                (k == "kernel_shape" and list(v) == [2, 2]) or (k == "strides" and list(v) == [2, 2])
                or (k == "pads" and not any(v)) or (k == "dilations" and list(v) == [1, 1])
                or (k in ("ceil_mode", "storage_order") and v == 0) or (k == "auto_pad" and v in (b"NOTSET", "NOTSET")))}
            if bad or list(a.get("strides", [1, 1])) != [2, 2]:
                _fail(node, f"attributes {bad or {'strides': a.get('strides', [1, 1])}}: only 2x2 stride 2 without pads")
            if len(node.output) > 1 and node.output[1]:
                _fail(node, "the Indices output is not supported")
            if min(shape[1:]) < 2:
                _fail(node, f"shape: map {shape[1]}x{shape[2]} is too small for a 2x2 pool")
            layers.append(MaxPool())
            params.append(None)
            shape = (shape[0], shape[1] // 2, shape[2] // 2)
        elif op == "GlobalAveragePool":
            if flat:
                _fail(node, "shape: GlobalAveragePool after Flatten/Reshape")
            layers.append(Gap())
            params.append(None)
            shape = (shape[0], 1, 1)
        elif op in ("Flatten", "Reshape"):
            if shape[1:] != (1, 1):
                _fail(node, f"shape: flattening a {shape[1]}x{shape[2]} map; the classifier needs a (C, 1, 1) "
                            "input (put GlobalAveragePool before it)")
            if op == "Flatten" and a.get("axis", 1) != 1:
                _fail(node, f"attribute axis={a['axis']}: only axis 1 is supported")
            if op == "Reshape":
                t = inits.get(node.input[1]) if len(node.input) > 1 else None
                if t is None:
                    _fail(node, "the target shape must be an initializer or Constant")
                t = [int(v) for v in np.asarray(t).ravel()]
                if not (len(t) == 2 and ((t[0] in (0, -1) or t[0] >= 1) and t[1] == shape[0]
                                         or t[0] == 0 and t[1] == -1)):
                    _fail(node, f"shape: target {t} is not (batch, {shape[0]})")
            flat = True
        elif op in ("Gemm", "MatMul"):
            if not flat and shape[1:] != (1, 1):
                _fail(node, "shape: the classifier needs a flattened (C, 1, 1) input")
            w = inits.get(node.input[1]) if len(node.input) > 1 else None
            if w is None or w.ndim != 2:
                _fail(node, "the weight must be a 2-D initializer")
            if op == "Gemm":
                if a.get("transA", 0):
                    _fail(node, "attribute transA=1 is not supported")
                w = w if a.get("transB", 0) else w.T
                w = w * float(a.get("alpha", 1.0))
                c = inits.get(node.input[2]) if len(node.input) > 2 and node.input[2] else None
                if len(node.input) > 2 and node.input[2] and c is None:
                    _fail(node, "the bias C must be an initializer")
                b = np.zeros(w.shape[0]) if c is None else np.broadcast_to(c, (1, w.shape[0])).reshape(-1) * float(a.get("beta", 1.0))
            else:
                w, b = w.T, np.zeros(w.shape[1])
            if w.shape[1] != shape[0]:
                _fail(node, f"shape: weight takes {w.shape[1]} features, the input has {shape[0]}")
            layers.append(Linear(int(w.shape[0])))
            params.append((np.array(w, dtype=np.float64), np.array(b, dtype=np.float64)))
            shape, flat = (w.shape[0], 1, 1), True
        elif op == "Add":
            if prev_op != "MatMul":
                _fail(node, "unsupported op here: Add is only accepted as the bias of a MatMul classifier")
            other = node.input[1] if node.input[0] == cur else node.input[0]
            bias = inits.get(other)
            m = layers[-1].cout
            if bias is None or bias.size != m or bias.ndim > 2:
                _fail(node, f"shape: the bias must be an initializer of {m} values")
            params[-1] = (params[-1][0], params[-1][1] + bias.reshape(-1))
        else:
            _fail(node, "unsupported op")
        prev_op = op
        if len(node.output) < 1:
            _fail(node, "no output")
        cur = node.output[0]
        i += 1
    outs = [o.name for o in g.output]
    if outs != [cur]:
        raise OnnxImportError(f"graph: the output must be the last layer's {cur!r}, got {outs}")
    if not layers or not isinstance(layers[-1], Linear):
        raise OnnxImportError("graph: the last layer must be the classifier (Gemm or MatMul)")
    try:
        net = Net(in_shape, layers)
    except ValueError as e:
        raise OnnxImportError(f"graph: {e}") from None
    if sparsity is not None:
        params = [p if not isinstance(layer, Conv) else (prune_conv(net, i, p[0], sparsity, rule), p[1])
                  for i, (layer, p) in enumerate(zip(layers, params))]
    return net, params


def export_onnx(net: Net, params: list, path=None, input_shape=None, name: str = "sparsetrain"):
    """Write ``net`` with float ``params`` as an ONNX model (opset 13, float32) and return it.

    ``input_shape``: ``(C, H, W)`` (default ``net.in_shape``); the batch dimension is symbolic
    ``N``. Conv -> ``Conv`` [+ ``Relu``] (``dilations`` when not 1; a depth-wise Conv with
    ``group`` = C and its ``(C, 1, K, K)`` weight), MaxPool -> ``MaxPool`` 2x2/2, Gap ->
    ``GlobalAveragePool``, the classifier -> ``Flatten`` + ``Gemm`` (``transB=1``). Pruned
    weights stay exact zeros. The model passes ``onnx.checker.check_model``. ``path``: also
    saved there when given. Raises ValueError if ``input_shape`` is not ``net.in_shape`` or a
    depth-wise kernel has non-zero weights off its diagonal blocks.
    """
    onnx, numpy_helper = _onnx()
    from onnx import TensorProto, helper
    shape = tuple(net.in_shape if input_shape is None else input_shape)
    if shape != tuple(net.in_shape):
        raise ValueError(f"input_shape {shape} is not the network's {tuple(net.in_shape)}")
    nodes, inits = [], []
    cur, flat = "input", False

    def t(nm, arr):
        inits.append(numpy_helper.from_array(np.ascontiguousarray(arr, dtype=np.float32), nm))
        return nm

    for i, (layer, p) in enumerate(zip(net.layers, params)):
        out = f"l{i}"
        if isinstance(layer, Conv):
            pd = layer.pad
            w = depthwise_compact(p[0]) if layer.depthwise else p[0]
            extra = {"dilations": [layer.dilation] * 2} if layer.dilation != 1 else {}
            if layer.depthwise:
                extra["group"] = layer.groups
            nodes.append(helper.make_node("Conv", [cur, t(f"conv{i}.w", w), t(f"conv{i}.b", p[1])],
                                          [out + ("c" if layer.relu else "")], name=f"conv{i}",
                                          kernel_shape=[layer.k] * 2, strides=[layer.stride] * 2, pads=[pd] * 4,
                                          **extra))
            if layer.relu:
                nodes.append(helper.make_node("Relu", [out + "c"], [out], name=f"relu{i}"))
        elif isinstance(layer, MaxPool):
            nodes.append(helper.make_node("MaxPool", [cur], [out], name=f"maxpool{i}", kernel_shape=[2, 2],
                                          strides=[2, 2]))
        elif isinstance(layer, Gap):
            nodes.append(helper.make_node("GlobalAveragePool", [cur], [out], name=f"gap{i}"))
        elif isinstance(layer, Linear):
            if not flat:
                nodes.append(helper.make_node("Flatten", [cur], [f"flat{i}"], name=f"flatten{i}", axis=1))
                cur, flat = f"flat{i}", True
            nodes.append(helper.make_node("Gemm", [cur, t(f"fc{i}.w", p[0]), t(f"fc{i}.b", p[1])], [out],
                                          name=f"fc{i}", transB=1))
        cur = out
    nodes[-1].output[0] = "logits"
    x = helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", *shape])
    y = helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", net.shapes[-1][0]])
    graph = helper.make_graph(nodes, name, [x], [y], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="sparsetrain")
    model.ir_version = 8          # readable by onnxruntime >= 1.17
    onnx.checker.check_model(model)
    if path is not None:
        onnx.save(model, str(path))
    return model
