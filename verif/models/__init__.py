"""Bit-exact NumPy golden models of the accelerator (see docs/numerics.md, docs/sparse-format.md).

Integer mode (int16 arrays) is what the RTL must match bit for bit; float mode (float arrays)
computes the real-valued operation the integer mode approximates.
"""

from .numerics import (ACC_W, BIAS_W, DATA_W, GRAD_W, SHIFT_MAX, dequantize, quantize, requant,
                       round_shift, sat, sat16)
from .sparse import (PackedLists, SparseFormat, SparseWeights, depthwise_dense, encode_sparse,
                     prune, prune_balanced)
from .conv import (bias_grad, conv_backward_data, conv_forward, conv_out_size, conv_weight_grad,
                   grad_accumulate, grad_accumulate_batch)
from .layers import (gap_backward, gap_forward, gap_params, linear_backward, linear_forward,
                     maxpool_backward, maxpool_forward, relu_backward, relu_forward, sgd_update,
                     softmax_xent_grad)

__all__ = [name for name in dir() if not name.startswith("_")]
