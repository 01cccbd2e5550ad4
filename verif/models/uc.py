"""What one UC command computes (docs/uc_unit.md), with the bit-exact models.

:func:`uc_expected` is the reference of the UC unit's unit tests, of the bench and, through
:class:`verif.common.uc_stimulus.UcLayer`, of the top's directed tests.
"""

from __future__ import annotations

import numpy as np

from sparsetrain.sparse import SparseWeights
from sparsetrain.uc import Mode, UcCommand

from .conv import bias_grad, conv_backward_data, conv_forward, conv_weight_grad, grad_accumulate
from .layers import relu_backward, sgd_update


def uc_expected(cmd: UcCommand, sw: SparseWeights, x=None, dy=None, bias=None, grad=None,
                bgrad=None) -> dict:
    """What the command computes, with the models.

    Args:
        sw: the layer's sparse weights (current values = WGT contents).
        x: ``(C, H, W)`` int16 (FWD, WGRAD; BWD_DATA with ``cmd.relu``: the layer's input, the
            ReLU backward's mask: dX is kept where ``x > 0``, else 0); dy: ``(N, Ho, Wo)`` int16
            (BWD_DATA, WGRAD).
        bias: ``(N,)`` int32 BIAS contents (FWD, UPDATE); None = zeros.
        grad: ``(nnz,)`` int32 old GRAD at the weight addresses (WGRAD gacc, UPDATE).
        bgrad: ``(N,)`` int32 old BGRAD (WGRAD gacc, UPDATE).
    Returns:
        FWD ``{"y": (N, Ho, Wo) int16}``; BWD_DATA ``{"dx": (C, H, W) int16}``;
        WGRAD ``{"grad": (nnz,) int32, "bgrad": (N,) int32 or None}`` (new memory contents);
        UPDATE ``{"wgt": (nnz,) int16, "bias": (N,) int32, "grad": zeros, "bgrad": zeros}``.
    """
    n_out = sw.shape[0]
    z32n = np.zeros(n_out, dtype=np.int32)
    bias = z32n if bias is None else np.asarray(bias, dtype=np.int64)
    grad = np.zeros(sw.nnz, dtype=np.int32) if grad is None else np.asarray(grad, dtype=np.int32)
    bgrad = z32n if bgrad is None else np.asarray(bgrad, dtype=np.int32)
    geo = dict(stride=cmd.stride, pad=cmd.pad, dilation=cmd.dil)
    mode = Mode(cmd.mode)
    if mode == Mode.FWD:
        return {"y": conv_forward(x, sw, bias=bias, relu=bool(cmd.relu), shift=cmd.shift, **geo)}
    if mode == Mode.BWD_DATA:
        dx = conv_backward_data(dy, sw, cmd.x_shape, shift=cmd.shift, **geo)
        if cmd.relu:
            if x is None:
                raise ValueError("BWD_DATA with relu needs x, the ReLU backward's mask map")
            dx = relu_backward(dx, x)
        return {"dx": dx}
    if mode == Mode.WGRAD:
        g = conv_weight_grad(x, dy, sw, shift=cmd.shift, **geo)
        new_g = grad_accumulate(grad, g) if cmd.gacc else g.astype(np.int32)
        new_b = None
        if cmd.bgrad:
            db = bias_grad(dy, shift=cmd.shift)
            new_b = grad_accumulate(bgrad, db) if cmd.gacc else db.astype(np.int32)
        return {"grad": new_g, "bgrad": new_b}
    if mode == Mode.UPDATE:
        wgt = sgd_update(sw.values, grad, cmd.lr_mult, cmd.lr_shift)
        b = sgd_update(bias, bgrad, cmd.lr_mult_b, cmd.lr_shift_b, bits=32)
        return {"wgt": wgt, "bias": b, "grad": np.zeros(sw.nnz, dtype=np.int32), "bgrad": z32n.copy()}
    raise ValueError(f"no model for mode {cmd.mode}")

