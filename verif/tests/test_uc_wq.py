"""cocotb tests of the engine array's write queues (rtl/uc_unit/uc_wq.v, uc_wq_node.v) on their
own, at engine counts the UC unit's sets do not reach (the arbitration tree's second and third
levels: 64 and 256 engines).

Every write an engine offers must leave exactly once, in the engine's order, alone or paired with
the engine's next write when that one continues it (verif/common/wq_check.py). The engines offer
at random rates and stop a random number of writes after ``hold`` rises (fewer than the queue's
room: the UC engine stops one item later). Tests:
- ``random_traffic``: ``N_CASES`` phases of random traffic, each drained and checked, ``pair_ok``
  random per phase, some engines idle;
- ``saturated``: every engine offers every cycle: one entry leaves a cycle (the span from the first
  entry to the last is at most a few cycles longer than the entries), and ``hold`` is reached;
- ``restart``: the same traffic twice, after different histories, leaves in the same cycles and
  order (the round robins start from the first queue whenever everything is empty, so a
  command's cycles never depend on the command before);
- ``reset_mid_traffic``: a reset at a random cycle empties the queues at once (``busy`` and
  ``m_valid`` low), and traffic after it is checked as usual.
The scoreboard's own failures are shown by ``test_wq_scoreboard_catches`` (pytest, no simulator).
"""

from __future__ import annotations

import os
import random

import cocotb
import pytest
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, RisingEdge

from verif.common.checks import seed
from verif.common.wq_check import Write, WqScoreboard, tag

N_CASES = int(os.environ.get("N_CASES", "12"))
#: the most writes an engine offers after it sees ``hold`` (the RTL keeps room for 15)
HOLD_LAG = 10


class TB:
    """Clock, reset and the uc_wq pins; :meth:`phase` drives a batch of writes and checks them."""

    def __init__(self, dut):
        self.dut = dut
        self.E = len(dut.hold.value)
        self.L = len(dut.s_mask.value) // self.E
        self.RW = len(dut.m_row.value)
        self.rnd = random.Random(cocotb.RANDOM_SEED)
        self.sb = WqScoreboard(self.E, self.L)
        self.seq = [0] * self.E
        self.cycle = 0
        self.out_log: list[tuple[int, int, int, tuple, int]] = []   # (cycle, row, x, data, mask)
        self.holds_seen = 0
        for n in ("s_valid", "s_row", "s_x", "s_data", "s_mask", "pair_ok"):
            getattr(dut, n).value = 0
        dut.rst.value = 1
        Clock(dut.clk, 10, unit="ns").start()
        cocotb.start_soon(self._monitor())

    async def reset(self, cycles: int = 2) -> None:
        self.dut.rst.value = 1
        await ClockCycles(self.dut.clk, cycles)
        self.dut.rst.value = 0
        await RisingEdge(self.dut.clk)

    async def _monitor(self) -> None:
        """Samples the outputs at each rising edge (the values of the cycle that ends there):
        each leaving entry goes to the scoreboard; ``nx_*`` must name the next cycle's entry."""
        d, L = self.dut, self.L
        nx = None
        while True:
            await RisingEdge(d.clk)
            self.cycle += 1
            if int(d.rst.value):
                nx = None
                continue
            mv = int(d.m_valid.value)
            if nx is not None:
                got = (mv, int(d.m_row.value), int(d.m_x.value)) if mv else (mv,)
                want = nx if nx[0] else (0,)
                assert got == want, f"uc_wq nx_*: announced {want}, the entry was {got} (seed {seed()})"
            if mv:
                raw = int(d.m_data.value)
                data = [(raw >> (16 * i)) & 0xFFFF for i in range(2 * L)]
                row, x, mask = int(d.m_row.value), int(d.m_x.value), int(d.m_mask.value)
                self.out_log.append((self.cycle, row, x, tuple(data), mask))
                self.sb.observe(row, x, data, mask)
            nv = int(d.nx_valid.value)
            nx = (nv, int(d.nx_row.value), int(d.nx_x.value)) if nv else (0,)

    def make_writes(self, e: int, n: int) -> list[Write]:
        """``n`` writes of engine ``e``: runs of 1..6 adjacent columns (row fixed, x + L) from
        random starts, so that pairs can form; random data and masks (never all lanes off)."""
        out, rnd, L = [], self.rnd, self.L
        while len(out) < n:
            row = rnd.getrandbits(self.RW)
            x = rnd.randrange(0, 1 << 16)
            for _ in range(min(n - len(out), rnd.randint(1, 6))):
                s = self.seq[e]
                self.seq[e] += 1
                data = (tag(e, s),) + tuple(rnd.getrandbits(16) for _ in range(L - 1))
                mask = rnd.randrange(1, 1 << L)
                out.append(Write(e, s, row, x, data, mask))
                x = (x + L) % (1 << 16)
        return out

    async def phase(self, writes: list[list[Write]], rates: list[float], pair_ok: int,
                    reset_at: int | None = None) -> int:
        """Offer each engine's ``writes`` at its ``rate`` (a probability a cycle), holding back
        after ``hold`` as the UC engine does, then wait for the queues to drain and check that
        everything left. ``reset_at``: a reset pulse after that many cycles (the writes then in
        flight are lost by design and forgotten). Returns the cycles the phase took."""
        d, E, L, RW, rnd = self.dut, self.E, self.L, self.RW, self.rnd
        if any(writes[e] and rates[e] <= 0 for e in range(E)):
            raise ValueError("an engine with writes to offer at rate 0")
        idx = [0] * E
        lag = [None] * E
        d.pair_ok.value = pair_ok
        start, t = self.cycle, 0
        total = sum(len(w) for w in writes)
        while any(idx[e] < len(writes[e]) for e in range(E)):
            if reset_at is not None and t == reset_at:
                d.s_valid.value = 0
                await self.reset(rnd.randint(1, 3))
                assert int(d.busy.value) == 0 and int(d.m_valid.value) == 0, \
                    f"uc_wq: busy or m_valid after a reset (seed {seed()})"
                self.sb = WqScoreboard(E, L)
                return self.cycle - start
            hold = int(d.hold.value)
            v = rows = xs = datas = masks = 0
            for e in range(E):
                if idx[e] >= len(writes[e]):
                    continue
                if (hold >> e) & 1:
                    self.holds_seen += 1
                    if lag[e] is None:
                        lag[e] = rnd.randint(0, HOLD_LAG)
                    if lag[e] == 0:
                        continue
                else:
                    lag[e] = None
                if rnd.random() >= rates[e]:
                    continue
                if lag[e]:
                    lag[e] -= 1
                w = writes[e][idx[e]]
                idx[e] += 1
                self.sb.expect(w, bool(pair_ok))
                v |= 1 << e
                rows |= w.row << (RW * e)
                xs |= w.x << (16 * e)
                for i, val in enumerate(w.data):
                    datas |= val << (16 * (L * e + i))
                masks |= w.mask << (L * e)
            d.s_valid.value = v
            d.s_row.value = rows
            d.s_x.value = xs
            d.s_data.value = datas
            d.s_mask.value = masks
            await RisingEdge(d.clk)
            t += 1
        d.s_valid.value = 0
        # drain: every write out within a bound (no hang)
        limit = self.cycle + 2 * total + 64
        while int(d.busy.value) or self.sb.outstanding():
            assert self.cycle < limit, (f"uc_wq: {self.sb.outstanding()} writes still queued "
                                        f"{2 * total + 64} cycles after the last offer (seed {seed()})")
            await RisingEdge(d.clk)
        await RisingEdge(d.clk)
        self.sb.check_drained()
        return self.cycle - start


def _rates(tb: TB) -> list[float]:
    return [tb.rnd.choice((0.0, 0.05, 0.3, 0.7, 1.0)) for _ in range(tb.E)]


@cocotb.test()
async def random_traffic(dut):
    """N_CASES phases of random traffic at random rates; every write leaves once, in order."""
    tb = TB(dut)
    await tb.reset()
    for _ in range(N_CASES):
        rates = _rates(tb)
        n_max = tb.rnd.choice((4, 12, 40))
        writes = [tb.make_writes(e, tb.rnd.randint(0, n_max) if rates[e] else 0) for e in range(tb.E)]
        await tb.phase(writes, rates, tb.rnd.randint(0, 1))
    assert tb.sb.pairs and tb.sb.singles, (f"uc_wq: no {'pair' if not tb.sb.pairs else 'single'} "
                                            f"entry in {tb.sb.entries} (seed {seed()})")
    dut._log.info("uc_wq %d engines x %d lanes: %d entries (%d pairs, %d singles), hold seen %d times",
                  tb.E, tb.L, tb.sb.entries, tb.sb.pairs, tb.sb.singles, tb.holds_seen)


@cocotb.test()
async def saturated(dut):
    """Every engine offers every cycle: an entry leaves every cycle from the first to the last
    (a few cycles of the tail excepted), and the queues fill up to ``hold``."""
    tb = TB(dut)
    await tb.reset()
    per = 40                                    # well above the queue's HOLD_AT (16)
    for pair_ok in (0, 1):
        writes = [tb.make_writes(e, per) for e in range(tb.E)]
        first = len(tb.out_log)
        await tb.phase(writes, [1.0] * tb.E, pair_ok)
        log = tb.out_log[first:]
        span = log[-1][0] - log[0][0] + 1
        gaps = span - len(log)
        dut._log.info("saturated, pair_ok %d: %d entries over %d cycles (%d gaps)", pair_ok, len(log),
                      span, gaps)
        assert gaps <= 8, (f"uc_wq saturated (pair_ok {pair_ok}): {len(log)} entries took {span} "
                           f"cycles: {gaps} cycles without an entry (seed {seed()})")
    assert tb.holds_seen, f"uc_wq saturated: hold never rose (seed {seed()})"


@cocotb.test()
async def restart(dut):
    """The same traffic (every engine offering its writes from the same cycle on) after two
    different histories leaves in the same cycles, in the same order."""
    tb = TB(dut)
    await tb.reset()
    runs = []
    script_rnd = random.Random(tb.rnd.getrandbits(32))
    counts = [script_rnd.randint(0, 8) for _ in range(tb.E)]    # below hold: no random lag
    geometry = script_rnd.getrandbits(32)
    for history in range(2):
        # a different history before each run: the last engine alone, then the first one alone,
        # so that a round robin that kept its place would start the run from another engine
        only = tb.E - 1 if history == 0 else 0
        await tb.phase([tb.make_writes(e, 5) if e == only else [] for e in range(tb.E)],
                       [1.0] * tb.E, 1)
        await ClockCycles(dut.clk, 3 + history)
        first = len(tb.out_log)
        start = tb.cycle
        # the same rows, columns and masks in both runs (pairs alike), from the script's generator
        own, tb.rnd = tb.rnd, random.Random(geometry)
        writes = [tb.make_writes(e, counts[e]) for e in range(tb.E)]
        tb.rnd = own
        await tb.phase(writes, [1.0] * tb.E, 1)
        # the writes differ between the runs only in their data: compare the cycles and the
        # order of the engines
        runs.append([(c - start, (d[0] - 1) // 128) for c, _, _, d, _ in tb.out_log[first:]])
    assert runs[0] == runs[1], (f"uc_wq restart: the same traffic left differently after another "
                                f"history: first difference at entry "
                                f"{next(i for i, (a, b) in enumerate(zip(*runs)) if a != b) if len(runs[0]) == len(runs[1]) else 'count'} "
                                f"(seed {seed()})")


@cocotb.test()
async def reset_mid_traffic(dut):
    """A reset at a random cycle of busy traffic empties everything at once; the next traffic is
    checked as usual."""
    tb = TB(dut)
    await tb.reset()
    for _ in range(max(2, N_CASES // 3)):
        writes = [tb.make_writes(e, 20) for e in range(tb.E)]
        await tb.phase(writes, [1.0] * tb.E, 1, reset_at=tb.rnd.randint(1, 40))
        rates = _rates(tb)
        await tb.phase([tb.make_writes(e, tb.rnd.randint(0, 10) if rates[e] else 0) for e in range(tb.E)],
                       rates, 1)


# ---- pytest entries ---------------------------------------------------------------------------
def test_wq_scoreboard_catches():
    """The scoreboard fails on each kind of wrong entry: a write lost, reordered, altered, paired
    when it does not continue, paired under pair_ok = 0, a second half of garbage, an untagged
    entry, and a write never out."""
    L = 2

    def w(e, s, row, x, d1=7, mask=3):
        return Write(e, s, row, x, (tag(e, s), d1), mask)

    def entry(a, b=None):
        data = list(a.data) + (list(b.data) if b else [0] * L)
        mask = a.mask | ((b.mask << L) if b else 0)
        return a.row, a.x, data, mask

    a, b, c = w(0, 0, 5, 10), w(0, 1, 5, 12), w(0, 2, 6, 0)
    good = WqScoreboard(2, L)
    for x in (a, b, c):
        good.expect(x, True)
    good.observe(*entry(a, b))
    good.observe(*entry(c))
    good.check_drained()

    def fails(observe, ok=True, writes=(a, b, c)):
        sb = WqScoreboard(2, L)
        for x in writes:
            sb.expect(x, ok)
        with pytest.raises(AssertionError):
            observe(sb)
            sb.check_drained()

    fails(lambda sb: (sb.observe(*entry(a)), sb.observe(*entry(c))))              # b lost
    fails(lambda sb: sb.observe(*entry(b)))                                       # reordered
    fails(lambda sb: sb.observe(a.row, a.x + 1, list(a.data) + [0, 0], a.mask))   # altered column
    fails(lambda sb: sb.observe(a.row, a.x, [a.data[0], 8, 0, 0], a.mask))        # altered data
    fails(lambda sb: sb.observe(*entry(b, c)), writes=(b, c))                     # c does not continue b
    fails(lambda sb: sb.observe(*entry(a, b)), ok=False)                          # paired without pair_ok
    fails(lambda sb: sb.observe(a.row, a.x, list(a.data) + [0, 9], a.mask))       # garbage second half
    fails(lambda sb: sb.observe(0, 0, [0, 0, 0, 0], 0))                           # no tag
    fails(lambda sb: sb.observe(*entry(a)))                                       # b, c never out


from verif.common.block_entry import block_test  # noqa: E402

# e256 by hand (``make sim BLOCK=uc_wq PARAMS=e256``): its Verilator build alone takes minutes
test_uc_wq = block_test("uc_wq", skip_sets=("e256",), skip_runs=(("icarus", "e64"),))
