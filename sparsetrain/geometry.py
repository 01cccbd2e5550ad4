"""Convolution geometry shared by the host software and the models."""

from __future__ import annotations


def conv_out_size(size: int, k: int, stride: int, pad: int, dilation: int) -> int:
    """Output size along one axis; raises ValueError when the kernel does not fit."""
    out = (size + 2 * pad - dilation * (k - 1) - 1) // stride + 1
    if out < 1:
        raise ValueError(f"kernel {k} (dilation {dilation}) does not fit a map of {size} with pad {pad}")
    return out
