"""`make demo`'s network: the CNN for the data's shape, its names, pruning + quantization (the first
conv stays dense), integer accuracy, parameter comparison."""

from __future__ import annotations

import numpy as np

from sparsetrain.net import A_FRAC, Conv, Gap, Linear, MaxPool, Net, dequantize_params, quantize_params
from sparsetrain.numerics import quantize
from verif.models.network import infer_model


def make_net(in_shape, classes: int) -> Net:
    """conv3x3(16)-ReLU-MP-conv3x3(32)-ReLU[-MP-conv3x3(32)-ReLU for maps >= 16]-GAP-linear."""
    layers = [Conv(16), MaxPool(), Conv(32)]
    if min(in_shape[1:]) >= 16:
        layers += [MaxPool(), Conv(32)]
    return Net(tuple(in_shape), layers + [Gap(), Linear(classes)])


def net_name(net: Net) -> str:
    parts = []
    for i, l in enumerate(net.layers):
        if isinstance(l, Conv):
            parts.append(f"conv{l.k}x{l.k}({net.in_shape_of(i)[0]}->{l.cout})")
        elif isinstance(l, MaxPool):
            parts.append("MP")
        elif isinstance(l, Gap):
            parts.append("GAP")
        else:
            parts.append(f"FC({net.in_shape_of(i)[0]}->{l.cout})")
    return "-".join(parts)


def layer_names(net: Net) -> list[str]:
    names, nc, npool = [], 0, 0
    for i, l in enumerate(net.layers):
        if isinstance(l, Conv):
            nc += 1
            names.append(f"conv{nc} {net.in_shape_of(i)[0]}->{l.cout}")
        elif isinstance(l, MaxPool):
            npool += 1
            names.append(f"maxpool{npool}")
        elif isinstance(l, Gap):
            names.append("GAP")
        else:
            names.append(f"FC {net.in_shape_of(i)[0]}->{l.cout} + loss")
    return names


def prune_quantize(net: Net, params: list, sparsity: float, rule: str):
    """Prune every conv except the first (which stays dense), quantize everything."""
    q = quantize_params(net, params, sparsity, rule)
    dense = quantize_params(net, params, 0.0)
    first = min(dense.convs)
    q.convs[first] = dense.convs[first]
    return q, dense


def sparsity_of(q) -> dict:
    pruned = [i for i in sorted(q.convs) if i != min(q.convs)]
    nnz = sum(q.convs[i].nnz for i in pruned)
    tot = sum(int(np.prod(q.convs[i].shape)) for i in pruned)
    all_nnz = sum(sw.nnz for sw in q.convs.values()) + sum(int(np.count_nonzero(w)) for w in q.lin_w.values())
    all_tot = sum(int(np.prod(sw.shape)) for sw in q.convs.values()) + sum(w.size for w in q.lin_w.values())
    return {"pruned_convs": 1 - nnz / tot if tot else 0.0, "all_weights": 1 - all_nnz / all_tot}


def quantize_images(x):
    return quantize(x, A_FRAC)


def accuracy_int(net, q, xq, y) -> float:
    return float(np.mean(np.array(infer_model(net, q, xq)) == y)) if len(y) else 0.0


def same_params(a, b) -> bool:
    return (all(np.array_equal(a.convs[i].values, b.convs[i].values) for i in a.convs)
            and all(np.array_equal(a.lin_w[i], b.lin_w[i]) for i in a.lin_w)
            and all(np.array_equal(a.biases[i], b.biases[i]) for i in a.biases))


def float_params(net: Net, q) -> list:
    """Integer parameters back to float (the float NumPy fine-tuning's start)."""
    return dequantize_params(net, q)
