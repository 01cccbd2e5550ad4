"""Scoreboard of the engine array's write queues (rtl/uc_unit/uc_wq.v): every write an engine
offers leaves exactly once, in the engine's order, alone or as the second half of an entry whose
first write it continues.

The rule it checks (docs/uc_unit.md "Engine array", Writes):
- an entry leaves as one 2L-lane write: lanes 0..L-1 are an engine's oldest write not yet out
  (row, column, data, mask), lanes L..2L-1 either nothing (data and mask zero) or that engine's
  next write, which then continues the first one (same row, column + L) and was offered while
  ``pair_ok`` was set;
- nothing else leaves, and when the traffic has drained every write is out.

Which engine an entry comes from is read from its data: the stimulus puts ``tag(e, seq)`` in
lane 0 of every write (never 0, so that an empty second half is told from a present one). The
order in which engines are served is the arbiter's business, not checked here (the test checks
its throughput and its restart separately).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from verif.common.checks import seed

#: sequence numbers kept in a tag (an engine never has this many writes in flight: 32 entries)
SEQ_MOD = 128


def tag(engine: int, seq: int) -> int:
    """Lane 0's value of engine ``engine``'s write number ``seq`` (16 bits, never 0; engines up to
    511)."""
    return 1 + (engine * SEQ_MOD) + (seq % SEQ_MOD)


def untag(value: int) -> tuple[int, int]:
    """(engine, seq mod SEQ_MOD) of a lane-0 value; raises ValueError on 0."""
    if value == 0:
        raise ValueError("lane 0 is 0: no write")
    return (value - 1) // SEQ_MOD, (value - 1) % SEQ_MOD


@dataclass(frozen=True)
class Write:
    """One engine's write: map row (stack word), start column, LANES lane values, lane mask."""
    engine: int
    seq: int
    row: int
    x: int
    data: tuple[int, ...]
    mask: int


class WqScoreboard:
    """Per-engine expected writes; :meth:`observe` checks one leaving entry. A failure raises
    AssertionError naming the entry's number, the engine, the write and the seed."""

    def __init__(self, engines: int, lanes: int):
        self.engines, self.lanes = engines, lanes
        self.pending = [deque() for _ in range(engines)]
        self.entries = self.singles = self.pairs = 0

    def expect(self, w: Write, pair_ok: bool) -> None:
        """An offered write (``pair_ok``: the flag while it was offered)."""
        self.pending[w.engine].append((w, pair_ok))

    def outstanding(self) -> int:
        return sum(len(q) for q in self.pending)

    def _fail(self, msg: str) -> None:
        raise AssertionError(f"uc_wq entry {self.entries}: {msg} (seed {seed()})")

    def observe(self, row: int, x: int, data: list[int], mask: int) -> None:
        """A leaving entry: row, start column, 2L lane values, 2L-bit mask."""
        L = self.lanes
        try:
            e, sq = untag(data[0])
        except ValueError:
            self._fail(f"lane 0 holds no write tag (row {row}, x {x})")
        if e >= self.engines or not self.pending[e]:
            self._fail(f"a write of engine {e} (seq {sq}) that was not offered or already left")
        w, _ = self.pending[e].popleft()
        got = (row, x, tuple(data[:L]), mask & ((1 << L) - 1))
        want = (w.row, w.x, w.data, w.mask)
        if got != want or w.seq % SEQ_MOD != sq:
            self._fail(f"engine {e}: expected its write {w.seq} (row, x, data, mask) = {want}, got {got}")
        hi_data, hi_mask = tuple(data[L:]), mask >> L
        if hi_data[0] == 0:
            if any(hi_data) or hi_mask:
                self._fail(f"engine {e} write {w.seq}: no second write, but lanes L.. hold "
                           f"data {hi_data} mask {hi_mask:#x}")
            self.singles += 1
        else:
            if not self.pending[e]:
                self._fail(f"engine {e} write {w.seq}: a second half {hi_data} with no write left")
            w2, ok2 = self.pending[e].popleft()
            if (hi_data, hi_mask) != (w2.data, w2.mask):
                self._fail(f"engine {e} write {w.seq}: second half should be its write {w2.seq} "
                           f"(data, mask) = {(w2.data, w2.mask)}, got {(hi_data, hi_mask)}")
            if not ok2 or w2.row != w.row or w2.x != (w.x + L) % (1 << 16):
                self._fail(f"engine {e}: writes {w.seq} (row {w.row}, x {w.x}) and {w2.seq} (row "
                           f"{w2.row}, x {w2.x}, pair_ok {ok2}) left as one entry but do not continue")
            self.pairs += 1
        self.entries += 1

    def check_drained(self) -> None:
        left = [(e, q[0][0].seq) for e, q in enumerate(self.pending) if q]
        if left:
            raise AssertionError(f"uc_wq: {self.outstanding()} writes never left; first of engine "
                                 f"{left[0][0]}: write {left[0][1]} (seed {seed()})")
