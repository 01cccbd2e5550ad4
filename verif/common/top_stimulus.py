"""Stimulus of the top's network tests: a mini-batch of digits and the small pruned test CNN."""

from __future__ import annotations

import numpy as np

from sparsetrain.net import A_FRAC, Conv, Gap, Linear, MaxPool, Net, quantize_params
from sparsetrain.numerics import quantize


def digits_batch(batch: int, seed: int):
    """``batch`` of scikit-learn's 8x8 digits (a seeded draw): int16 Q8 images ``(B, 1, 8, 8)``, labels."""
    from sklearn.datasets import load_digits
    d = load_digits()
    rng = np.random.default_rng(seed)
    idx = rng.choice(len(d.target), batch, replace=False)
    return quantize(d.images[idx][:, None] / 16.0, A_FRAC), d.target[idx]


def small_cnn(sparsity: float = 0.85):
    """conv(1->8)-ReLU-MP-conv(8->16)-ReLU-GAP-LC(16->10), He-initialised (seed 7), quantized; the
    second conv pruned to ``sparsity`` (threshold rule), the first dense (1 input channel)."""
    net = Net((1, 8, 8), [Conv(8), MaxPool(), Conv(16), Gap(), Linear(10)])
    q = quantize_params(net, net.init_float(np.random.default_rng(7)), sparsity)
    q0 = quantize_params(net, net.init_float(np.random.default_rng(7)), 0.0)
    q.convs[0] = q0.convs[0]
    return net, q


def pool_cnn(sparsity: float = 0.85):
    """conv(1->8)-ReLU-MP-conv(8->16, 85%)-MP-conv(16->8, 85%)-ReLU-GAP-LC(8->10) on 8x8 digits,
    He-initialised (seed 7), quantized, the first conv dense: a training step runs every MP unit
    backward (MP_BWD_RELU for the pool above conv 0 + ReLU, MP_BWD for the pool above conv 2,
    which has no ReLU, RELU_BWD for conv 4 under the GAP) and every UC mode."""
    net = Net((1, 8, 8), [Conv(8), MaxPool(), Conv(16, relu=False), MaxPool(), Conv(8), Gap(), Linear(10)])
    q = quantize_params(net, net.init_float(np.random.default_rng(7)), sparsity)
    q0 = quantize_params(net, net.init_float(np.random.default_rng(7)), 0.0)
    q.convs[0] = q0.convs[0]
    return net, q


def stride2_cnn(sparsity: float = 0.7):
    """conv(1->4)-ReLU-conv(4->8, stride 2, 70%)-ReLU-conv(8->8, 70%)-ReLU-GAP-LC(8->10) on 8x8
    digits, He-initialised (seed 5), quantized: a training step runs BWD_DATA at stride 2 (the
    backward list split by parity), whose input gradient reaches the first conv's update."""
    net = Net((1, 8, 8), [Conv(4), Conv(8, stride=2), Conv(8), Gap(), Linear(10)])
    q = quantize_params(net, net.init_float(np.random.default_rng(5)), sparsity)
    q0 = quantize_params(net, net.init_float(np.random.default_rng(5)), 0.0)
    q.convs[0] = q0.convs[0]
    return net, q
