"""`make demo MODEL=<file.onnx>`: the user's ONNX CNN in, the fine-tuned ONNX out.

* :func:`load_model`: :func:`sparsetrain.onnx_io.import_onnx` and the checks against the data
  (input shape ``(C, H, W)`` and class count); any problem is a :class:`KnobError` whose one
  line starts ``MODEL=<file>: `` (the demo prints ``demo: MODEL=...: ...`` and exits 2).
* :func:`prune_quantize_model`: the model's zeros are the pruning mask; DEMO_SPARSITY, only when
  given, prunes the convs after the first one further (as the built-in network); quantization.
* :func:`export_and_check`: ``dequantize_params`` of the fine-tuned integers ->
  ``build/demo/finetuned.onnx``, then onnxruntime's predictions on the test split (its input: the
  Q8-quantized images, the chip's input) against the integer model's. Allowed difference: the
  integer model requantizes every activation and the logits to Q8, so its logits differ from the
  float ones by a few Q8 steps; a prediction may differ only where onnxruntime's two best logits
  are closer than ``MARGIN`` (2 x 4/256; verif/tests/test_onnx_round_trip.py measures 0.005 max error).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from demo.knobs import KnobError
from sparsetrain.net import A_FRAC, W_FRAC, Conv, Net, dequantize_params, quantize_params

#: onnxruntime and the integer model may disagree only below this top-2 logit margin (float units)
MARGIN = 2 * 4 / 2 ** A_FRAC


def load_model(path: str, in_shape: tuple, classes: int) -> tuple[Net, list]:
    """Import ``path``; raise KnobError (one line) unless it fits the data ``in_shape``/``classes``."""
    try:
        from sparsetrain.onnx_io import OnnxImportError, import_onnx
    except ImportError as e:
        raise KnobError(f"MODEL={path}: {e}") from None
    if not Path(path).is_file():
        raise KnobError(f"MODEL={path}: no such file")
    try:
        net, params = import_onnx(path)
    except OnnxImportError as e:
        raise KnobError(f"MODEL={path}: {e}") from None
    if tuple(net.in_shape) != tuple(in_shape):
        raise KnobError(f"MODEL={path}: the model takes {'x'.join(map(str, net.in_shape))} images, the data "
                        f"has {'x'.join(map(str, in_shape))}")
    if net.shapes[-1][0] != classes:
        raise KnobError(f"MODEL={path}: the model has {net.shapes[-1][0]} classes, the data {classes}")
    return net, params


def prune_quantize_model(net: Net, params: list, sparsity: float | None, rule: str):
    """(pruned q, fully dense q for the dense-vs-sparse cycle table).

    ``sparsity`` None: the model's own zeros are the mask (quantization may round a few tiny
    weights to zero too: they join the mask). Otherwise every conv after the first is pruned
    further to about ``sparsity`` (zeros stay zeros); the first conv keeps the model's mask.
    """
    q = quantize_params(net, params, 0.0)
    if sparsity is not None:
        qp = quantize_params(net, params, sparsity, rule)
        first = min(q.convs)
        q.convs.update({i: sw for i, sw in qp.convs.items() if i != first})
    # the dense reference of the cycle table: every weight kept (a zero becomes one LSB)
    # (a depth-wise conv: only its diagonal blocks, the weights it has)
    def all_kept(i, w):
        m = net.structure_mask(i)
        return np.where(w == 0, 2.0 ** -W_FRAC, w) * (1 if m is None else m)
    dense = [p if p is None or not isinstance(layer, Conv) else (all_kept(i, p[0]), p[1])
             for i, (layer, p) in enumerate(zip(net.layers, params))]
    return q, quantize_params(net, dense, 0.0)


def export_and_check(net: Net, q, xq_test, preds_int, path: Path) -> dict:
    """Write the fine-tuned model to ``path``; onnxruntime's predictions against ``preds_int``.

    ``xq_test``: the Q8 test images ``(N, C, H, W)``; ``preds_int``: the integer model's
    predictions on them. Returns {"path", "agree", "n", "beyond_margin", "max_margin_of_differing"}:
    ``beyond_margin`` counts disagreements whose float top-2 margin is >= MARGIN (must be 0).
    """
    import onnxruntime as ort
    from sparsetrain.onnx_io import export_onnx
    model = export_onnx(net, dequantize_params(net, q), path, net.in_shape)
    sess = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    logits = sess.run(None, {"input": (np.asarray(xq_test) / 2 ** A_FRAC).astype(np.float32)})[0]
    pred = logits.argmax(1)
    top2 = np.sort(logits, 1)[:, -2:]
    margin = top2[:, 1] - top2[:, 0]
    diff = pred != np.asarray(preds_int)
    return {"path": str(path), "agree": int((~diff).sum()), "n": int(len(pred)),
            "beyond_margin": int((diff & (margin >= MARGIN)).sum()),
            "max_margin_of_differing": float(margin[diff].max()) if diff.any() else None}


def describe(r: dict) -> str:
    s = (f"ONNX export: {r['path']}: onnxruntime's predictions on the {r['n']} test images equal the integer "
         f"model's on {r['agree']} ({r['agree'] / max(r['n'], 1):.1%})")
    if r["agree"] != r["n"]:
        s += (f"; the {r['n'] - r['agree']} others have a top-2 logit margin < {MARGIN:.4f} (Q8 requantization)"
              if not r["beyond_margin"] else f"; {r['beyond_margin']} differ beyond the Q8 margin {MARGIN:.4f}")
    return s


def write_example(path: str, seed: int = 1, epochs: int = 10, sparsity: float = 0.85) -> str:
    """An example user model: the demo CNN pre-trained on the digits in float (``epochs``), its
    second conv pruned to ``sparsity`` (threshold rule), saved as ONNX at ``path``."""
    from demo.data import load_digits_data
    from demo.run import make_net
    from sparsetrain.float_train import accuracy_float, train_float
    from sparsetrain.onnx_io import export_onnx
    from sparsetrain.sparse import prune
    ds = load_digits_data(seed)
    net = make_net(ds.x_train.shape[1:], ds.classes)
    p, _ = train_float(net, net.init_float(np.random.default_rng(seed)), ds.x_train, ds.y_train, epochs, 32,
                       0.05, 0.9, np.random.default_rng(seed + 1))
    first = min(i for i, layer in enumerate(net.layers) if isinstance(layer, Conv))
    p = [pp if pp is None or i == first or not isinstance(net.layers[i], Conv) else (prune(pp[0], sparsity), pp[1])
         for i, pp in enumerate(p)]
    export_onnx(net, p, path)
    return f"{path}: {len(net.layers)} layers, float test accuracy {accuracy_float(net, p, ds.x_test, ds.y_test):.1%}"


def dilated_depthwise_net(in_shape=(1, 8, 8), classes: int = 10) -> Net:
    """conv3x3(4)-ReLU, depth-wise conv3x3 dilation 2 (group 4)-ReLU, MP, conv3x3 dilation 2
    (8)-ReLU, GAP, FC: a small CNN with a dilated and a depth-wise conv."""
    from sparsetrain.net import Gap, Linear, MaxPool
    return Net(tuple(in_shape), [Conv(4), Conv(4, k=3, pad=2, dilation=2, groups=4), MaxPool(),
                                 Conv(8, k=3, pad=2, dilation=2), Gap(), Linear(classes)])


def write_example_dilated_depthwise(path: str, seed: int = 1, epochs: int = 8, sparsity: float = 0.6) -> str:
    """An example user model with a dilated and a depth-wise conv (:func:`dilated_depthwise_net`),
    pre-trained on the digits in float (``epochs``), its last conv pruned to ``sparsity``
    (threshold rule), saved as ONNX (``dilations``, ``group``) at ``path``."""
    from demo.data import load_digits_data
    from sparsetrain.float_train import accuracy_float, train_float
    from sparsetrain.net import prune_conv
    from sparsetrain.onnx_io import export_onnx
    ds = load_digits_data(seed)
    net = dilated_depthwise_net(ds.x_train.shape[1:], ds.classes)
    p, _ = train_float(net, net.init_float(np.random.default_rng(seed)), ds.x_train, ds.y_train, epochs, 32,
                       0.05, 0.9, np.random.default_rng(seed + 1))
    p[3] = (prune_conv(net, 3, p[3][0], sparsity), p[3][1])
    export_onnx(net, p, path)
    return f"{path}: {len(net.layers)} layers, float test accuracy {accuracy_float(net, p, ds.x_test, ds.y_test):.1%}"


if __name__ == "__main__":
    # python -m demo.onnx_model [example.onnx [dilated_depthwise]]: a pruned digits CNN to try MODEL= with
    import sys
    out = sys.argv[1] if len(sys.argv) > 1 else "build/demo/example.onnx"
    if len(sys.argv) > 2 and sys.argv[2] == "dilated_depthwise":
        print(write_example_dilated_depthwise(out))
    elif len(sys.argv) > 2:
        sys.exit(f"demo.onnx_model: unknown example {sys.argv[2]!r} (the default, or dilated_depthwise)")
    else:
        print(write_example(out))
