"""cocotb tests for rtl/common/requant.v, plus the pytest entry that runs them on both simulators.

Reference: sparsetrain.numerics.requant (bit-exact).  m_sat reference: the rounded value left the
OUT_W range, except a negative overflow with relu on (that is an exact 0, not a clip).
"""

from __future__ import annotations

import os
import random

import cocotb
import numpy as np
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, RisingEdge

from verif.common import fcov
from verif.common.checks import Scoreboard, dut_params, to_signed, to_unsigned
from verif.common.stream import StreamMonitor, StreamSink, StreamSource, random_pause
from sparsetrain import numerics

N_CASES = int(os.environ.get("N_CASES", "500"))
# generous: worst case ~3 cycles per word with idles and back-pressure
TIMEOUT_US = 100 + N_CASES * 0.2
DEFAULTS = {"ACC_W": 48, "OUT_W": 16, "SHIFT_W": 5}


def reference(acc: int, shift: int, relu: bool, out_w: int) -> tuple[int, int]:
    """(data, sat) the DUT must produce."""
    data = int(numerics.requant(np.int64(acc), shift, relu, bits=out_w))
    r = int(numerics.round_shift(np.int64(acc), shift))
    lo, hi = numerics.limits(out_w)
    return data, int(r > hi or (r < lo and not relu))


def wrong_reference(acc: int, shift: int, relu: bool, out_w: int) -> tuple[int, int]:
    """Deliberately wrong: truncates instead of rounding (used to prove the checker bites)."""
    lo, hi = numerics.limits(out_w)
    r = acc >> shift
    data = max(lo, min(hi, r))
    return (max(data, 0) if relu else data), int(r > hi or (r < lo and not relu))


class TB:
    def __init__(self, dut, idle: bool = False, backpressure: bool = False, model=reference):
        self.dut = dut
        p = dut_params(DEFAULTS)
        self.acc_w, self.out_w, self.shift_w = p["ACC_W"], p["OUT_W"], p["SHIFT_W"]
        self.model = model
        self.acc_lo, self.acc_hi = numerics.limits(self.acc_w)
        self.out_lo, self.out_hi = numerics.limits(self.out_w)
        self.shift_max = (1 << self.shift_w) - 1
        # functional coverage bins, counted on the output side
        self.bins = dict.fromkeys(["sat_pos", "sat_neg", "relu_zero", "tie", "shift0", "shift_max"], 0)
        # the same bins as cocotb-coverage points (requant.<bin>), merged over runs by `make cov`
        self.cover = fcov.flags("requant", list(self.bins))
        self._inflight: list[tuple[int, int, int]] = []

        dut.rst.value = 1
        Clock(dut.clk, 10, unit="ns").start()
        self.sb = Scoreboard("requant")
        self.src = StreamSource(dut.clk, dut.s_valid, dut.s_ready,
                                {"acc": dut.s_acc, "shift": dut.s_shift, "relu": dut.s_relu},
                                rst=dut.rst, pause=random_pause(0.3) if idle else None)
        self.sink = StreamSink(dut.clk, dut.m_ready, pause=random_pause(0.4) if backpressure else None)
        self.in_mon = StreamMonitor(dut.clk, dut.s_valid, dut.s_ready,
                                    {"acc": dut.s_acc, "shift": dut.s_shift, "relu": dut.s_relu},
                                    rst=dut.rst, name="s", callback=self._on_input)
        self.out_mon = StreamMonitor(dut.clk, dut.m_valid, dut.m_ready,
                                     {"data": dut.m_data, "sat": dut.m_sat},
                                     rst=dut.rst, name="m", callback=self._on_output)

    def _on_input(self, w: dict, cycle: int) -> None:
        acc, shift, relu = to_signed(w["acc"], self.acc_w), w["shift"], w["relu"]
        self.sb.expect(self.model(acc, shift, bool(relu), self.out_w),
                       info=f"acc={acc} shift={shift} relu={relu} (in cycle {cycle})")
        self._inflight.append((acc, shift, relu))

    def _on_output(self, w: dict, cycle: int) -> None:
        data, sat = to_signed(w["data"], self.out_w), w["sat"]
        self.sb.observe((data, sat))
        acc, shift, relu = self._inflight.pop(0) if self._inflight else (0, 0, 0)
        r = int(numerics.round_shift(np.int64(acc), shift))
        self.bins["sat_pos"] += r > self.out_hi
        self.bins["sat_neg"] += r < self.out_lo and not relu
        self.bins["relu_zero"] += bool(relu) and r < 0
        self.bins["tie"] += shift > 0 and (acc & ((1 << shift) - 1)) == 1 << (shift - 1)
        self.bins["shift0"] += shift == 0
        self.bins["shift_max"] += shift == self.shift_max
        for name, hit in (("sat_pos", r > self.out_hi), ("sat_neg", r < self.out_lo and not relu),
                          ("relu_zero", bool(relu) and r < 0),
                          ("tie", shift > 0 and (acc & ((1 << shift) - 1)) == 1 << (shift - 1)),
                          ("shift0", shift == 0), ("shift_max", shift == self.shift_max)):
            if hit:
                self.cover(name)

    async def reset(self, cycles: int = 3) -> None:
        self.dut.rst.value = 1
        self.src.clear()
        await ClockCycles(self.dut.clk, cycles)
        self.dut.rst.value = 0
        self.sb.flush()          # words accepted before reset are lost by design
        self._inflight.clear()
        await RisingEdge(self.dut.clk)

    def send(self, acc: int, shift: int, relu: int) -> None:
        acc = max(self.acc_lo, min(self.acc_hi, acc))
        self.src.send({"acc": to_unsigned(acc, self.acc_w), "shift": shift, "relu": relu})

    async def drain(self) -> None:
        await self.src.wait_idle()
        while self.sb.pending:
            await RisingEdge(self.dut.clk)

    def finish(self) -> None:
        assert not self.in_mon.errors and not self.out_mon.errors
        self.sb.check()
        cocotb.log.info("coverage bins: %s", self.bins)
        fcov.export("requant")

    # ---- stimulus -------------------------------------------------------------------------
    def random_case(self) -> tuple[int, int, int]:
        # the two end shifts get extra weight (20 %), the rest is uniform
        shift = random.choice((0, self.shift_max)) if random.random() < 0.2 else random.randint(0, self.shift_max)
        relu = int(random.random() < 0.3)
        kind = random.random()
        if kind < 0.15:   # near the saturation thresholds
            acc = (random.choice([self.out_hi, self.out_lo]) << shift) + random.randint(-(2 << shift), 2 << shift)
        elif kind < 0.25:  # exact and near ties
            acc = (random.randint(-1000, 1000) << shift) + (1 << shift >> 1) + random.randint(-1, 1)
        else:              # any magnitude
            acc = random.getrandbits(random.randint(0, self.acc_w - 1)) * random.choice([1, -1])
        return acc, shift, relu

    def directed_cases(self) -> list[tuple[int, int]]:
        hi, lo, smax = self.out_hi, self.out_lo, self.shift_max
        accs_any = [0, 1, -1, hi, hi + 1, lo, lo - 1, self.acc_hi, self.acc_lo]
        cases = [(a, 0) for a in accs_any] + [(a, smax) for a in accs_any]
        for s in (1, 2, 3, 4, smax):
            half = 1 << (s - 1)
            cases += [((k << s) + half, s) for k in (-3, -2, -1, 0, 1, 2)]        # ties +-x.5
            cases += [((k << s) + half + d, s) for k in (-1, 0) for d in (-1, 1)]  # next to ties
            for r in (hi, hi + 1, lo, lo - 1):                                   # saturation edges
                cases += [((r << s) + d, s) for d in (-half - 1, -half, 0, half - 1, half)]
        return cases


def _timeout():
    return {"timeout_time": TIMEOUT_US, "timeout_unit": "us"}


@cocotb.test(**_timeout())
@cocotb.parametrize(idle=[False, True], backpressure=[False, True])
async def random_traffic(dut, idle, backpressure):
    """Constrained-random words (N_CASES) against the model; full throughput when unstalled."""
    tb = TB(dut, idle, backpressure)
    await tb.reset()
    for _ in range(N_CASES):
        tb.send(*tb.random_case())
    await tb.drain()
    tb.finish()
    assert tb.sb.n_matched == N_CASES
    if not idle and not backpressure:
        span = tb.out_mon.last_cycle - tb.in_mon.first_cycle + 1
        assert span <= N_CASES + 1, f"throughput: {N_CASES} words took {span} cycles"


@cocotb.test(**_timeout())
@cocotb.parametrize(idle=[False, True], backpressure=[False, True])
async def directed_edges(dut, idle, backpressure):
    """Shift 0 / max, ties +-x.5, extreme accumulators, saturation both sides, relu; all bins hit."""
    tb = TB(dut, idle, backpressure)
    await tb.reset()
    cases = tb.directed_cases()
    for acc, shift in cases:
        for relu in (0, 1):
            tb.send(acc, shift, relu)
    await tb.drain()
    tb.finish()
    missed = [k for k, v in tb.bins.items() if not v]
    assert not missed, f"coverage bins never hit: {missed}"


@cocotb.test(**_timeout())
@cocotb.parametrize(idle=[False, True], backpressure=[False, True])
async def reset_mid_traffic(dut, idle, backpressure):
    """Reset while words are queued and in flight; nothing stale comes out afterwards."""
    tb = TB(dut, idle, backpressure)
    await tb.reset()
    for _ in range(3):
        for _ in range(60):
            tb.send(*tb.random_case())
        await ClockCycles(dut.clk, random.randint(5, 40))
        await tb.reset(cycles=random.randint(1, 3))
        assert not int(dut.m_valid.value), "m_valid high right after reset"
    for _ in range(60):
        tb.send(*tb.random_case())
    await tb.drain()
    tb.finish()


@cocotb.test(expect_fail=True, **_timeout())
async def checker_catches_wrong_model(dut):
    """Scoreboard against a truncating (wrong) model: must report a mismatch (test expects failure)."""
    tb = TB(dut, model=wrong_reference)
    await tb.reset()
    for acc, shift in tb.directed_cases():
        tb.send(acc, shift, 0)
    await tb.drain()
    assert tb.sb.mismatches, "wrong model went unnoticed"
    assert "mismatch at txn" in tb.sb.mismatches[0] and "seed" in tb.sb.mismatches[0]
    tb.sb.check()  # raises AssertionError -> expected failure -> pass


# ---- pytest entry: every parameter set on both simulators ---------------------------------------
from verif.common.block_entry import block_test  # noqa: E402

test_requant = block_test("requant")
