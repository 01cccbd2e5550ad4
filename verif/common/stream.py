"""Valid/ready stream components for cocotb 2.x testbenches.

Timing convention (all components): drive right after ``RisingEdge(clk)``, sample in
``ReadOnly()`` of the same cycle.  A sample with valid && ready means a transfer at the *next*
rising edge.  Cycles with reset high are ignored (nothing transfers during reset).

Fields are given as ``{name: handle}``; values are raw unsigned ints (callers sign-convert).
"""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Callable, Iterator

import cocotb
from cocotb.triggers import ReadOnly, RisingEdge


def random_pause(p: float) -> Iterator[bool]:
    """Endless pause pattern: True (pause this cycle) with probability ``p``.

    Uses the ``random`` module, which cocotb seeds per test from COCOTB_RANDOM_SEED.
    """
    while True:
        yield random.random() < p


def never() -> Iterator[bool]:
    while True:
        yield False


def _read(handle) -> int | str:
    """Raw unsigned value, or the bit string when it holds X/Z (so it can still be compared)."""
    v = handle.value
    return int(v) if v.is_resolvable else str(v)


def _in_reset(rst) -> bool:
    if rst is None:
        return False
    v = rst.value
    return not v.is_resolvable or bool(int(v))  # X on reset counts as reset


class StreamSource:
    """Drives ``valid`` + fields from a queue; holds each word until accepted (stream rule).

    ``pause`` (idle insertion) is consulted only before starting a new word, never while one is
    being offered.
    """

    def __init__(self, clk, valid, ready, fields: dict, rst=None, pause: Iterator[bool] | None = None):
        self.clk, self.valid, self.ready, self.fields, self.rst = clk, valid, ready, fields, rst
        self.pause = pause or never()
        self.queue: deque[dict] = deque()
        self.count = 0  # words accepted
        self._busy = False
        valid.value = 0
        self._task = cocotb.start_soon(self._run())

    def send(self, word: dict) -> None:
        self.queue.append(word)

    def stop(self) -> None:
        """Stop driving (the test takes over the bus)."""
        self._task.cancel()

    def clear(self) -> None:
        """Drop queued words (the word on the bus is dropped at the next reset cycle)."""
        self.queue.clear()

    @property
    def idle(self) -> bool:
        return not self.queue and not self._busy

    async def wait_idle(self) -> None:
        while not self.idle:
            await RisingEdge(self.clk)

    async def _run(self) -> None:
        accepted = False
        while True:
            await RisingEdge(self.clk)
            if accepted:
                self._busy = False
                self.count += 1
            if _in_reset(self.rst):
                self._busy = False
            if not self._busy:
                if self.queue and not next(self.pause) and not _in_reset(self.rst):
                    word = self.queue.popleft()
                    for name, h in self.fields.items():
                        h.value = word[name]
                    self._busy = True
                self.valid.value = int(self._busy)
            await ReadOnly()
            accepted = self._busy and bool(self.ready.value) and not _in_reset(self.rst)


class StreamSink:
    """Drives ``ready``: always high, or low on the cycles ``pause`` says (back-pressure)."""

    def __init__(self, clk, ready, pause: Iterator[bool] | None = None):
        self.clk, self.ready = clk, ready
        self.pause = pause or never()
        ready.value = 0
        self._task = cocotb.start_soon(self._run())

    async def _run(self) -> None:
        while True:
            await RisingEdge(self.clk)
            self.ready.value = int(not next(self.pause))


class StreamMonitor:
    """Observes a stream: reports every transfer to ``callback`` and checks the stream rule.

    Stream rule: while valid && !ready, valid must stay high and the fields must not change
    on the next cycle.  A violation raises AssertionError naming the cycle (which fails the test)
    and is kept in ``errors``.
    """

    def __init__(self, clk, valid, ready, fields: dict, rst=None, name: str = "stream",
                 callback: Callable[[dict, int], None] | None = None):
        self.clk, self.valid, self.ready, self.fields, self.rst = clk, valid, ready, fields, rst
        self.name = name
        self.callback = callback
        self.cycle = 0            # cycles since the monitor started
        self.count = 0            # transfers seen
        self.first_cycle: int | None = None
        self.last_cycle: int | None = None
        self.errors: list[str] = []
        self._task = cocotb.start_soon(self._run())

    def _fail(self, msg: str) -> None:
        msg = f"{self.name}: stream rule broken at cycle {self.cycle}: {msg}"
        self.errors.append(msg)
        raise AssertionError(msg)

    async def _run(self) -> None:
        stalled: dict | None = None  # fields of a word offered but not taken last cycle
        while True:
            await RisingEdge(self.clk)
            await ReadOnly()
            self.cycle += 1
            if _in_reset(self.rst):
                stalled = None
                continue
            valid = _read(self.valid)
            ready = _read(self.ready)
            if valid not in (0, 1) or ready not in (0, 1):
                self._fail(f"valid={valid} ready={ready} not 0/1")
            word = {n: _read(h) for n, h in self.fields.items()} if valid else None
            if stalled is not None:
                if not valid:
                    self._fail(f"valid dropped while stalled (word {stalled})")
                if word != stalled:
                    self._fail(f"data changed while stalled: {stalled} -> {word}")
            if valid and ready:
                self.count += 1
                if self.first_cycle is None:
                    self.first_cycle = self.cycle
                self.last_cycle = self.cycle
                if self.callback:
                    self.callback(word, self.cycle)
            stalled = word if valid and not ready else None
