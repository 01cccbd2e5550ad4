"""The network's fixed-point training step and inference on the bit-exact models.

:func:`train_step_model` runs one mini-batch of a :class:`sparsetrain.net.Net` in the order the
accelerator runs it (the program of :func:`sparsetrain.driver.build_program`); the chip must
produce the same tensors, losses and updated parameters bit for bit. A Conv's dilation goes to
the conv models as is; a depth-wise Conv needs nothing of its own: its ``q.convs`` list is the
block-diagonal kernel's (only the diagonal blocks' weights are stored, trained and updated).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from sparsetrain.net import A_FRAC, G_FRAC, W_FRAC, Conv, Gap, Linear, MaxPool, Net, QParams, lr_factors

from .conv import bias_grad, conv_backward_data, conv_forward, conv_weight_grad, grad_accumulate
from .layers import (argmax_words, gap_backward, gap_forward, linear_backward, linear_forward,
                     maxpool_backward, maxpool_forward, maxpool_relu_backward, relu_backward, sgd_update,
                     softmax_xent_grad)


@dataclass
class StepResult:
    """What one training step (or inference) produced: per-image tensors and the updated params."""

    acts: list = field(default_factory=list)      # per image: list of layer outputs (int16)
    grads: list = field(default_factory=list)     # per image: list of input gradients per layer
    preds: list = field(default_factory=list)
    losses: list = field(default_factory=list)    # Q8
    params: QParams | None = None


def forward_model(net: Net, q: QParams, x) -> tuple[list, list]:
    """One image ``x`` (C, H, W) int16 -> (outputs per layer, argmax per MaxPool layer)."""
    acts, args = [], {}
    a = x
    for i, layer in enumerate(net.layers):
        if isinstance(layer, Conv):
            a = conv_forward(a, q.convs[i], q.biases[i], layer.stride, layer.pad, layer.dilation, layer.relu, W_FRAC)
        elif isinstance(layer, MaxPool):
            a, args[i] = maxpool_forward(a)
        elif isinstance(layer, Gap):
            a = gap_forward(a)[:, None, None]
        elif isinstance(layer, Linear):
            a = linear_forward(a[:, 0, 0], q.lin_w[i], q.biases[i], W_FRAC)[:, None, None]
        acts.append(a)
    return acts, args


def train_step_model(net: Net, q: QParams, images, labels, lr: float) -> StepResult:
    """One mini-batch of SGD on the models, in the order the accelerator runs it.

    Per image: forward, loss gradient, backward through every layer with weight gradients summed
    into 32-bit gradient memories (saturating after each image); then one SGD update of every
    stored weight and bias with ``lr / batch``.
    """
    res = StepResult()
    gmem = {i: np.zeros(sw.nnz, np.int32) for i, sw in q.convs.items()}
    gmem.update({i: np.zeros(w.shape, np.int32) for i, w in q.lin_w.items()})
    bmem = {i: np.zeros(b.shape, np.int32) for i, b in q.biases.items()}
    for x, label in zip(images, labels):
        acts, args = forward_model(net, q, x)
        logits = acts[-1][:, 0, 0]
        g, pred, loss = softmax_xent_grad(logits, int(label), A_FRAC, G_FRAC)
        res.acts.append(acts)
        res.preds.append(pred)
        res.losses.append(loss)
        dy = g[:, None, None]
        img_grads = [None] * len(net.layers)
        for i in range(len(net.layers) - 1, -1, -1):
            layer = net.layers[i]
            a_in = x if i == 0 else acts[i - 1]
            if isinstance(layer, Linear):
                dx, dw, db = linear_backward(dy[:, 0, 0], a_in[:, 0, 0], q.lin_w[i], W_FRAC, layer.wgrad_shift)
                gmem[i] = grad_accumulate(gmem[i], dw)
                bmem[i] = grad_accumulate(bmem[i], db)
                dy = dx[:, None, None]
            elif isinstance(layer, Gap):
                dy = gap_backward(dy[:, 0, 0], a_in.shape)
            elif isinstance(layer, MaxPool):
                if net.pool_fuses_relu(i):
                    # MP_BWD_RELU (as the chip runs it): the gradient handed down is masked by
                    # the ReLU of the Conv below, from the argmax word's "maximum > 0" bit
                    dy = maxpool_relu_backward(dy, argmax_words(acts[i], args[i]), a_in.shape)
                else:
                    dy = maxpool_backward(dy, args[i], a_in.shape)
            elif isinstance(layer, Conv):
                if net.relu_bwd_needed(i):
                    dy = relu_backward(dy, acts[i])
                sw = q.convs[i]
                gmem[i] = grad_accumulate(gmem[i], conv_weight_grad(a_in, dy, sw, layer.stride, layer.pad,
                                                                     layer.dilation, layer.wgrad_shift))
                bmem[i] = grad_accumulate(bmem[i], bias_grad(dy, layer.wgrad_shift))
                if i > 0:
                    dy = conv_backward_data(dy, sw, a_in.shape, layer.stride, layer.pad, layer.dilation, W_FRAC)
                    if net.conv_fuses_relu(i):
                        # BWD_DATA with relu (as the chip runs it): the ReLU backward of the Conv
                        # below, masked by this layer's input
                        dy = relu_backward(dy, a_in)
            img_grads[i] = dy
        res.grads.append(img_grads)
    res.params = sgd_params(net, q, gmem, bmem, lr, len(labels))
    return res


def sgd_params(net: Net, q: QParams, gmem: dict, bmem: dict, lr: float, batch: int) -> QParams:
    out = q.copy()
    for i, layer in enumerate(net.layers):
        if i not in q.biases:
            continue
        (mw, sw_), (mb, sb) = lr_factors(layer, lr, batch)
        if isinstance(layer, Conv):
            out.convs[i] = q.convs[i].with_values(sgd_update(q.convs[i].values, gmem[i], mw, sw_))
        else:
            out.lin_w[i] = sgd_update(q.lin_w[i], gmem[i], mw, sw_)
        out.biases[i] = sgd_update(q.biases[i], bmem[i], mb, sb, bits=32)
    return out


def infer_model(net: Net, q: QParams, images) -> list[int]:
    """Predicted class of every image."""
    return [int(np.argmax(forward_model(net, q, x)[0][-1][:, 0, 0])) for x in images]
