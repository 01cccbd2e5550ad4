"""Bit-exact NumPy golden models of the accelerator (see docs/numerics.md, docs/sparse-format.md).

Integer mode (int16 arrays) is what the RTL must match bit for bit; float mode (float arrays)
computes the real-valued operation the integer mode approximates.

The chip's data formats (fixed-point numerics, the sparse lists, pruning) are the host
software's (:mod:`sparsetrain.numerics`, :mod:`sparsetrain.sparse`): the models compute with
them and re-export them here, so ``verif.models.prune`` is the project's one pruning function.
The host package never imports ``verif``.
"""

from sparsetrain.geometry import conv_out_size
from sparsetrain.numerics import (ACC_W, BIAS_W, DATA_W, GRAD_W, SHIFT_MAX, dequantize, quantize,
                                  requant, round_shift, sat, sat16)
from sparsetrain.sparse import (PackedLists, SparseFormat, SparseWeights, depthwise_dense,
                                encode_sparse, prune)

from .conv import (bias_grad, conv_backward_data, conv_forward, conv_weight_grad, grad_accumulate,
                   grad_accumulate_batch)
from .layers import (argmax_words, gap_backward, gap_forward, gap_params, linear_backward,
                     linear_forward, maxpool_backward, maxpool_forward, maxpool_relu_backward,
                     relu_backward, relu_forward, sgd_update, softmax_xent_grad)
from .network import StepResult, forward_model, infer_model, sgd_params, train_step_model
from .uc import uc_expected

__all__ = [name for name in dir() if not name.startswith("_")]
