"""Independent references for the model tests: exact Python-integer arithmetic, no bit tricks.

Kept apart from the models they check (nothing in :mod:`verif.models` uses them) and shared by
the model test modules, so that no test module imports another.
"""

from __future__ import annotations

from fractions import Fraction
from math import floor


def ref_requant(acc: int, shift: int, relu=False, bits=16) -> int:
    """Round half up with exact rationals, then clamp: independent of the model's bit tricks."""
    v = floor(Fraction(int(acc), 1 << shift) + Fraction(1, 2)) if shift else int(acc)
    lo, hi = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    v = min(max(v, lo), hi)
    return max(v, 0) if relu else v
