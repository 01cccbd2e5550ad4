"""Pin-level bus functional model of verif/hdl/uc_unit_harness.v, and the result checker.

Shared by the pyuvm testbench (verif/tests/test_uc_unit.py) and the bench (bench/uc_bench_tests.py).

* :class:`UcBfm` owns the pins: clock, reset, the harness host port (``hst_*``: loads, reads,
  whole-memory snapshots), the command stream (random valid delays) and the response stream
  (random ready back-pressure), with a stream-rule check on both.
* :func:`compare` checks a read-back against :meth:`UcLayer.expected_images` word by word and
  names the first wrong element in layer terms (``Y[n=1, y=2, x=9]``, ``GRAD[entry 4]``).

Timing convention (as verif/common/stream.py): drive after ``RisingEdge(clk)``, sample in
``ReadOnly()``.  Host-port reads have one cycle of latency (``hst_rdata`` is the data of the
address presented the cycle before).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cocotb
from cocotb.clock import Clock
from cocotb.queue import Queue
import cocotb.utils
from cocotb.triggers import ClockCycles, Event, ReadOnly, RisingEdge, SimTimeoutError, with_timeout

from sparsetrain.uc import CMD_FIELDS, Mode, Sel, Status, UcParams, to_s
from verif.common.stream import never, random_pause
from verif.common.uc_stimulus import UcLayer, describe_addr


@dataclass
class UcResponse:
    status: int | None          # None: no response (hang) or lost to a reset
    cycles: int | None          # m_rsp_cycles
    tb_cycles: int | None       # cycles from the command's accept to the first m_rsp_valid
    note: str = ""


class UcBfm:
    """Owns the harness pins.  ``idle``/``backpressure``: probabilities of a random valid delay
    before a command and of ``m_rsp_ready`` low in a cycle.  ``checks=False`` (bench) drops the
    per-cycle pin process: a command then costs no Python work per cycle (use :meth:`run_fast`).

    One coroutine does everything per cycle (Icarus pays for every trigger): drives the command
    stream and ``m_rsp_ready``, checks the stream rule on both streams (valid && !ready: valid and
    the fields hold on the next cycle), records transfers and counts cycles.
    """

    def __init__(self, dut, params: UcParams, idle: float = 0.0, backpressure: float = 0.0,
                 checks: bool = True, period_ns: int = 10):
        self.dut, self.p = dut, params
        self.clk = dut.clk
        self.rst = dut.rst
        self.checks = checks
        self.period_ns = period_ns
        self.cmd_fields = {f: getattr(dut, f"s_cmd_{f}") for f in CMD_FIELDS}
        self.rsp_fields = {"status": dut.m_rsp_status, "cycles": dut.m_rsp_cycles}
        self.cycle = 0
        self.accept_cycle: int | None = None
        self._rsp_valid_cycle: int | None = None
        self.responses: list[tuple[dict, int]] = []
        self.accepted: Queue = Queue()
        self.errors: list[str] = []
        self.resets = 0
        self.n_accepted = 0
        #: expected contents of every memory, kept by write() once set (see snapshot_shadow)
        self.shadow: dict[Sel, dict[int, int]] | None = None
        self._cmd_q: list[tuple[dict, object]] = []
        self._outstanding = 0           # accepted commands without a response yet
        self._wake = Event()            # the pin process sleeps while nothing is in flight
        self._rsp_evt = Event()
        self._in_reset = True
        self._idle = random_pause(idle) if idle else never()
        self._bp = random_pause(backpressure) if backpressure else never()
        Clock(self.clk, period_ns, unit="ns").start()
        dut.rst.value = 1
        dut.hst_we.value = 0
        dut.hst_sel.value = 0
        dut.hst_addr.value = 0
        dut.hst_wdata.value = 0
        dut.s_cmd_valid.value = 0
        dut.m_rsp_ready.value = 1
        for h in self.cmd_fields.values():
            h.value = 0
        if checks:
            cocotb.start_soon(self._pins())

    def _fail(self, msg: str) -> None:
        msg = f"stream rule broken at cycle {self.cycle}: {msg}"
        self.errors.append(msg)
        cocotb.log.error(msg)

    async def _pins(self) -> None:
        d = self.dut
        busy = None             # (ports, item) offered on s_cmd
        accepted = False
        cmd_stalled = rsp_stalled = None
        while True:
            if (busy is None and not self._cmd_q and self._outstanding <= 0 and rsp_stalled is None
                    and not accepted):
                # nothing in flight: sleep (the host port is being used, or the test is between
                # commands); m_rsp_valid must be low then, checked when waking up
                self._wake.clear()
                await self._wake.wait()
            await RisingEdge(self.clk)
            self.cycle += 1
            if accepted:
                busy, accepted = None, False
            if self._in_reset:
                busy = None
                cmd_stalled = rsp_stalled = None
            if busy is None and self._cmd_q and not self._in_reset and not next(self._idle):
                busy = self._cmd_q.pop(0)
                for name, v in busy[0].items():
                    self.cmd_fields[name].value = v
            d.s_cmd_valid.value = int(busy is not None)
            d.m_rsp_ready.value = int(not next(self._bp))
            await ReadOnly()
            if self._in_reset:
                continue
            cv, cr = d.s_cmd_valid.value, d.s_cmd_ready.value
            rv, rr = d.m_rsp_valid.value, d.m_rsp_ready.value
            if not (cr.is_resolvable and rv.is_resolvable):
                self._fail(f"s_cmd_ready={cr} m_rsp_valid={rv} not 0/1")
                continue
            cv, cr, rv, rr = int(cv), int(cr), int(rv), int(rr)
            # command stream (the testbench's side of the rule)
            if cv and (cmd_stalled is not None or not cr):
                word = {n: int(h.value) for n, h in self.cmd_fields.items()}
                if cmd_stalled is not None and word != cmd_stalled:
                    self._fail(f"s_cmd fields changed while stalled: {cmd_stalled} -> {word}")
                cmd_stalled = word if not cr else None
            elif cmd_stalled is not None:
                self._fail("s_cmd_valid dropped while stalled")
                cmd_stalled = None
            if cv and cr:
                accepted = True
                self._outstanding += 1
                self.n_accepted += 1
                self.accept_cycle = self.cycle
                self._rsp_valid_cycle = None
                self.accepted.put_nowait((busy[1], self.resets))
            # response stream (the unit's side)
            if rv:
                if self._rsp_valid_cycle is None and self.accept_cycle is not None:
                    self._rsp_valid_cycle = self.cycle
                word = {n: int(h.value.resolve("zeros")) for n, h in self.rsp_fields.items()}
                if rsp_stalled is not None and word != rsp_stalled:
                    self._fail(f"m_rsp fields changed while stalled: {rsp_stalled} -> {word}")
                if rr:
                    self.responses.append((word, self.cycle))
                    self._outstanding -= 1
                    if self._outstanding < 0:
                        self._fail(f"response {word} without a command")
                    self._rsp_evt.set()
                    rsp_stalled = None
                else:
                    rsp_stalled = word
            elif rsp_stalled is not None:
                self._fail(f"m_rsp_valid dropped while stalled (word {rsp_stalled})")
                rsp_stalled = None

    # ----------------------------------------------------------------------- clock / reset
    async def reset(self, cycles: int = 3) -> None:
        """Synchronous reset; queued commands are dropped, the response of a running one is lost."""
        self.dut.rst.value = 1
        self._in_reset = True
        self._cmd_q.clear()
        self._outstanding = 0
        self.resets += 1
        self._rsp_evt.set()
        await ClockCycles(self.clk, cycles)
        self.dut.rst.value = 0
        await RisingEdge(self.clk)
        self._in_reset = False
        self.accept_cycle = None

    # -------------------------------------------------------------------------- host port
    async def write(self, sel: Sel, words: dict[int, int]) -> None:
        """Write ``{addr: word}`` into memory ``sel`` through the host port (one word a cycle)."""
        depth = self.p.depth(sel)
        if any(a >= depth or a < 0 for a in words):
            # images of deliberately bad commands may reach beyond a memory: the host port would
            # wrap those addresses onto real words, so they are not written
            words = {a: v for a, v in words.items() if 0 <= a < depth}
        if not words:
            return
        if self.shadow is not None:
            self.shadow[Sel(sel)].update(words)
        d = self.dut
        for a in sorted(words):
            await RisingEdge(self.clk)
            d.hst_sel.value = int(sel)
            d.hst_addr.value = a
            d.hst_wdata.value = words[a]
            d.hst_we.value = 1
        await RisingEdge(self.clk)
        d.hst_we.value = 0

    async def read(self, sel: Sel, addrs) -> dict[int, int]:
        """Read words of memory ``sel`` (pipelined: one address a cycle, data one cycle later)."""
        d = self.dut
        out: dict[int, int] = {}
        prev = None
        for a in list(addrs) + [None]:
            await RisingEdge(self.clk)
            if a is not None:
                d.hst_sel.value = int(sel)
                d.hst_addr.value = a
                d.hst_we.value = 0
            await ReadOnly()
            if prev is not None:
                v = d.hst_rdata.value
                out[prev] = int(v) if v.is_resolvable else int(v.resolve("zeros"))
            prev = a
        await RisingEdge(self.clk)
        return out

    async def load(self, images: dict[Sel, dict[int, int]]) -> None:
        for sel in Sel:
            await self.write(sel, images.get(sel, {}))

    async def read_plan(self, plan: dict[Sel, list[int]]) -> dict[Sel, dict[int, int]]:
        return {sel: await self.read(sel, addrs) for sel, addrs in plan.items()}

    async def snapshot(self) -> dict[Sel, dict[int, int]]:
        """Every word of every memory (keep the harness memories small in the test parameters)."""
        return {sel: await self.read(sel, range(self.p.depth(sel))) for sel in Sel}

    async def shadow_snapshot(self) -> dict[Sel, dict[int, int]]:
        """Contents of every memory without reading them all: one full snapshot the first time,
        then the shadow kept up to date by :meth:`write` (valid while only commands that must not
        write run; call ``invalidate_shadow()`` after any command that writes)."""
        if self.shadow is None:
            self.shadow = await self.snapshot()
        return {s: dict(v) for s, v in self.shadow.items()}

    def invalidate_shadow(self) -> None:
        self.shadow = None

    async def clear(self) -> None:
        """Zero every memory."""
        for sel in Sel:
            await self.write(sel, {a: 0 for a in range(self.p.depth(sel))})

    # ---------------------------------------------------------------------------- command
    async def send(self, layer: UcLayer, item=None) -> None:
        """Offer the command (after a random delay when ``idle``) and wait until it is accepted."""
        n0 = self.n_accepted
        self.queue(layer.cmd.ports(), item if item is not None else layer)
        while self.n_accepted == n0:
            await RisingEdge(self.clk)

    def queue(self, ports: dict, item=None) -> None:
        """Queue a command word (offered when the previous one was accepted)."""
        self._cmd_q.append((ports, item))
        self._wake.set()

    async def wait_response(self, max_cycles: int, resets: int | None = None) -> UcResponse:
        """Wait for the response transfer of the last accepted command (or give up).  A reset
        after ``resets`` (the reset count when the command was accepted) loses the response."""
        resets = self.resets if resets is None else resets
        deadline = cocotb.utils.get_sim_time("ns") + max_cycles * self.period_ns
        while not self.responses:
            if self.resets != resets:
                return UcResponse(None, None, None, "reset")
            left = deadline - cocotb.utils.get_sim_time("ns")
            if left <= 0:
                return UcResponse(None, None, None, f"no response within {max_cycles} cycles (hang)")
            self._rsp_evt.clear()
            try:
                await with_timeout(self._rsp_evt.wait(), int(left), "ns")
            except SimTimeoutError:
                pass
        word, _ = self.responses.pop(0)
        tb = None
        if self.accept_cycle is not None and self._rsp_valid_cycle is not None:
            tb = self._rsp_valid_cycle - self.accept_cycle
        return UcResponse(word["status"], word["cycles"], tb)

    async def run_fast(self, layer: UcLayer, max_cycles: int) -> UcResponse:
        """Bench path (``checks=False``): send, wait for m_rsp_valid without per-cycle Python."""
        d = self.dut
        for name, v in layer.cmd.ports().items():
            self.cmd_fields[name].value = v
        await RisingEdge(self.clk)
        d.s_cmd_valid.value = 1
        while True:
            await ReadOnly()
            if int(d.s_cmd_ready.value):
                break
            await RisingEdge(self.clk)
        await RisingEdge(self.clk)
        d.s_cmd_valid.value = 0
        await ReadOnly()
        if not int(d.m_rsp_valid.value):
            try:
                await with_timeout(RisingEdge(d.m_rsp_valid), max_cycles * 10, "ns")
            except SimTimeoutError:
                return UcResponse(None, None, None, f"no response within {max_cycles} cycles (hang)")
            await ReadOnly()
        st, cy = int(d.m_rsp_status.value), int(d.m_rsp_cycles.value)
        # m_rsp_ready is held high by the sink (no back-pressure in bench mode)
        await RisingEdge(self.clk)
        return UcResponse(st, cy, None)


# ------------------------------------------------------------------------------- checking
def compare(layer: UcLayer, got: dict[Sel, dict[int, int]], expected: dict[Sel, dict[int, int]],
            skip_output_slack: bool = True, limit: int = 10) -> list[str]:
    """Every word of ``got`` against ``expected`` (absent in expected: must be 0 only if the
    word was never loaded -- such words are skipped).  Stack words are compared pixel by pixel;
    the slack pixels (``x >= W``) of the output map are skipped when ``skip_output_slack``.
    Returns messages naming the wrong elements, the first one first."""
    errs: list[str] = []
    p = layer.params
    regs = layer.regions()
    out_key = {int(Mode.FWD): "y", int(Mode.BWD_DATA): "x"}.get(int(layer.cmd.mode))
    out_reg = regs.get(out_key) if out_key else None
    total = 0
    for sel, words in got.items():
        exp_words = expected.get(sel, {})
        for a in sorted(words):
            if a not in exp_words:
                continue
            g, e = words[a], exp_words[a]
            if g == e:
                continue
            if sel == Sel.STACK:
                for b in range(p.banks):
                    gp, ep = (g >> 16 * b) & 0xFFFF, (e >> 16 * b) & 0xFFFF
                    if gp == ep:
                        continue
                    if skip_output_slack and out_reg is not None and out_reg.base <= a < out_reg.end:
                        w = out_reg.shape[2]
                        if (a - out_reg.base) % p.row_words(w) * p.banks + b >= w:
                            continue
                    total += 1
                    if len(errs) < limit:
                        errs.append(f"{describe_addr(layer, sel, a, bank=b)} (stack word {a} bank {b}): "
                                    f"expected {to_s(ep, 16)}, got {to_s(gp, 16)}")
            else:
                total += 1
                if len(errs) < limit:
                    bits = p.width(sel)
                    signed = sel in (Sel.WGT, Sel.GRAD, Sel.BIAS, Sel.BGRAD)
                    ev, gv = (to_s(e, bits), to_s(g, bits)) if signed else (hex(e), hex(g))
                    errs.append(f"{describe_addr(layer, sel, a)} ({sel.name} addr {a}): "
                                f"expected {ev}, got {gv}")
    if total > len(errs):
        errs.append(f"... {total} wrong elements in all")
    return errs


def status_name(s: int | None) -> str:
    if s is None:
        return "none"
    try:
        return Status(s).name
    except ValueError:
        return f"status{s}"


@dataclass
class UcResult:
    """What the monitor collected for one command."""
    item: object
    rsp: UcResponse
    before: dict | None = None      # full snapshot before (bad-input items)
    got: dict = field(default_factory=dict)  # read-back words {Sel: {addr: word}}
