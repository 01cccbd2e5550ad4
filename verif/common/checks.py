"""Scoreboard, seed and parameter helpers shared by the block testbenches."""

from __future__ import annotations

import json
import os
from collections import deque

import cocotb


def seed() -> str:
    """The run's seed (what ``make sim SEED=`` takes); cocotb.RANDOM_SEED is per-test derived."""
    return os.environ.get("COCOTB_RANDOM_SEED", "?")


def dut_params(defaults: dict[str, int]) -> dict[str, int]:
    """Parameters the DUT was built with (flow.runner passes them in DUT_PARAMS)."""
    return {**defaults, **json.loads(os.environ.get("DUT_PARAMS", "{}"))}


def failure_of(what: str, check, *args) -> str:
    """The message of the AssertionError that ``check(*args)`` must raise (a checker's
    self-test: it is given ``what``, a wrong result). Raises AssertionError ``<what> went
    unnoticed`` (with the seed) when it passes instead."""
    try:
        check(*args)
    except AssertionError as e:
        return str(e)
    raise AssertionError(f"{what} went unnoticed (seed {seed()})")


def central_difference(loss, w, idx, eps: float = 1e-6) -> float:
    """The finite-difference derivative of ``loss()`` in the element ``w[idx]`` of a float array
    it reads: (loss at w[idx] + eps - loss at w[idx] - eps) / (2 eps); ``w[idx]`` is restored."""
    old = w[idx]
    w[idx] = old + eps
    lp = loss()
    w[idx] = old - eps
    lm = loss()
    w[idx] = old
    return (lp - lm) / (2 * eps)


def to_signed(v: int, bits: int) -> int:
    v &= (1 << bits) - 1
    return v - (1 << bits) if v >> (bits - 1) else v


def to_unsigned(v: int, bits: int) -> int:
    return v & ((1 << bits) - 1)


class Scoreboard:
    """In-order scoreboard: ``expect()`` model results, ``observe()`` DUT outputs.

    Mismatches are counted and logged (the first in full); ``check()`` raises AssertionError
    with the first mismatch, naming transaction index, inputs, expected, got and seed.
    """

    def __init__(self, name: str, max_logged: int = 5):
        self.name = name
        self.pending: deque[tuple[int, object, str]] = deque()
        self.n_expected = 0
        self.n_matched = 0
        self.mismatches: list[str] = []
        self.max_logged = max_logged
        self.log = cocotb.log

    def expect(self, value, info: str = "") -> None:
        self.pending.append((self.n_expected, value, info))
        self.n_expected += 1

    def _mismatch(self, msg: str) -> None:
        msg = f"{self.name}: {msg} (seed {seed()})"
        if len(self.mismatches) < self.max_logged:
            self.log.error(msg)
        self.mismatches.append(msg)

    def observe(self, got) -> None:
        if not self.pending:
            self._mismatch(f"unexpected output {got!r} (nothing pending)")
            return
        idx, exp, info = self.pending.popleft()
        if got == exp:
            self.n_matched += 1
        else:
            self._mismatch(f"mismatch at txn {idx}: {info}: expected {exp!r}, got {got!r}")

    def flush(self) -> int:
        """Drop pending expectations (e.g. words lost to a reset); returns how many."""
        n = len(self.pending)
        self.pending.clear()
        return n

    def check(self, allow_pending: bool = False) -> None:
        if self.mismatches:
            raise AssertionError(f"{len(self.mismatches)} mismatch(es); first: {self.mismatches[0]}")
        if self.pending and not allow_pending:
            idx, exp, info = self.pending[0]
            raise AssertionError(f"{self.name}: {len(self.pending)} expected output(s) never came; "
                                 f"first txn {idx}: {info}: expected {exp!r} (seed {seed()})")
        self.log.info("%s: %d transactions matched", self.name, self.n_matched)
