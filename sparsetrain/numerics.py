"""Fixed-point numerics of the chip, shared by the host software, every model and every RTL block.

The rules are written down in ``docs/numerics.md``; this module is their executable form. The
host needs :func:`quantize` (float parameters and images to the chip's words); the golden models
(:mod:`verif.models`) compute with all of it.

Integer mode (the hardware's): arrays of integer dtype.  All arithmetic is done in ``int64``
(wide enough for the 48-bit accumulator plus rounding constants) and results are saturated,
never wrapped.

Float mode: arrays of floating dtype.  The same functions then compute the real-valued
operation they approximate: a right shift by ``s`` becomes an exact multiply by ``2**-s``,
with no rounding and no saturation.  That makes the models usable for float training and
for finite-difference checks of the gradients.
"""

from __future__ import annotations

import numpy as np

#: Width of activations, weights and gradients (signed two's complement).
DATA_W = 16
#: Width of the MAC accumulator (one DSP48 post-adder); see docs/numerics.md for why it is enough.
ACC_W = 48
#: Width of a bias word (accumulator scale) and of a gradient-memory word.
BIAS_W = 32
GRAD_W = 32
#: Width of the per-operation requantization shift field (shift 0..31).
SHIFT_W = 5
SHIFT_MAX = (1 << SHIFT_W) - 1
#: Learning rate = LR_MULT * 2**-LR_SHIFT; LR_MULT unsigned 16-bit, LR_SHIFT 0..63.
LR_MULT_W = 16
LR_SHIFT_W = 6

INT16_MIN, INT16_MAX = -(1 << 15), (1 << 15) - 1


def is_float(a) -> bool:
    """True when ``a`` holds floating-point data (the models' float mode)."""
    return np.issubdtype(np.asarray(a).dtype, np.floating)


def limits(bits: int) -> tuple[int, int]:
    """Smallest and largest value of a signed ``bits``-wide two's-complement integer."""
    return -(1 << (bits - 1)), (1 << (bits - 1)) - 1


def sat(a, bits: int):
    """Saturate integer ``a`` to signed ``bits`` bits; returns int64. Float input is returned as is."""
    if is_float(a):
        return np.asarray(a, dtype=np.float64)
    lo, hi = limits(bits)
    return np.clip(np.asarray(a, dtype=np.int64), lo, hi)


def sat16(a):
    """Saturate to int16 range and return ``int16`` (float input: returned as float64)."""
    if is_float(a):
        return np.asarray(a, dtype=np.float64)
    return sat(a, DATA_W).astype(np.int16)


def round_shift(a, shift: int):
    """Arithmetic right shift by ``shift`` with round-half-up: ``(a + 2**(shift-1)) >> shift``.

    ``shift == 0`` returns ``a`` unchanged.  Ties round toward +infinity (``-2.5 -> -2``,
    ``2.5 -> 3``), which is what adding half an LSB and dropping bits does in hardware.
    Integer input: returns int64.  Float input: returns ``a * 2**-shift`` exactly.
    """
    shift = int(shift)
    if shift < 0:
        raise ValueError(f"shift must be >= 0, got {shift}")
    if is_float(a):
        return np.asarray(a, dtype=np.float64) * (2.0 ** -shift)
    a = np.asarray(a, dtype=np.int64)
    if shift == 0:
        return a
    return (a + (np.int64(1) << (shift - 1))) >> shift


def requant(acc, shift: int, relu: bool = False, bits: int = DATA_W):
    """Requantize accumulator values to ``bits``-bit data.

    ``y = sat((acc + 2**(shift-1)) >> shift)`` for ``shift > 0``, ``sat(acc)`` for ``shift == 0``;
    with ``relu`` negative results become 0 (after saturation; the order does not matter).

    Args:
        acc: integer array (any shape) of accumulator values, |acc| < 2**(ACC_W-1),
            or a float array (float mode).
        shift: 0..SHIFT_MAX.
        relu: clamp negatives to zero.
        bits: output width (16 for data, 32 for gradient words).
    Returns:
        int16 array for ``bits == 16``, int64 otherwise; float64 in float mode.
    """
    shift = int(shift)
    if not 0 <= shift <= SHIFT_MAX:
        raise ValueError(f"shift must be in 0..{SHIFT_MAX}, got {shift}")
    y = round_shift(acc, shift)
    if not is_float(acc):
        y = sat(y, bits)
    if relu:
        y = np.maximum(y, 0)
    if not is_float(acc) and bits == DATA_W:
        return y.astype(np.int16)
    return y


def quantize(x, frac_bits: int, bits: int = DATA_W):
    """Float -> fixed point with ``frac_bits`` fraction bits: round half up, saturate.

    Returns int16 for ``bits == 16`` (int64 otherwise).
    """
    q = np.floor(np.asarray(x, dtype=np.float64) * (2.0 ** frac_bits) + 0.5)
    lo, hi = limits(bits)
    q = np.clip(q, lo, hi).astype(np.int64)
    return q.astype(np.int16) if bits == DATA_W else q


def dequantize(q, frac_bits: int):
    """Fixed point -> float64: ``q * 2**-frac_bits``."""
    return np.asarray(q, dtype=np.float64) * (2.0 ** -frac_bits)


def check_int16(name: str, a) -> np.ndarray:
    """Return ``a`` as an array, raising ValueError unless it is int16 data or float data."""
    a = np.asarray(a)
    if is_float(a):
        return a
    if a.dtype != np.int16:
        raise ValueError(f"{name} must be int16 (integer mode) or floating (float mode), got {a.dtype}")
    return a


def check_acc_range(acc, what: str = "accumulator") -> None:
    """Raise if an integer accumulator left the ACC_W-bit range (a parameter-limit violation)."""
    if is_float(acc):
        return
    lo, hi = limits(ACC_W)
    acc = np.asarray(acc)
    if acc.size and (acc.min() < lo or acc.max() > hi):
        raise ValueError(f"{what} exceeds the {ACC_W}-bit accumulator range")
