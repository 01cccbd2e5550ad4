"""Pin-level bus functional model of a unit harness (verif/hdl/<unit>_harness.v).

Every unit harness has the same shape: ``s_cmd_valid/ready`` plus ``s_cmd_data`` (the unit's
command fields packed by its :class:`~sparsetrain.unit_cmds.CmdLayout`, rtl/common/unit_cmd.vh),
``m_rsp_valid/ready`` plus ``m_rsp_status``, ``m_rsp_cycles`` and ``m_rsp_<field>`` ports, and a
host port (``hst_sel``, ``hst_addr``, ``hst_we``, ``hst_wdata``, ``hst_rdata`` one cycle after
the address) that reaches every memory while the unit is idle.  :class:`UnitBfm` owns those pins:

* clock and reset (driven by the driver or the test, never by a monitor);
* the host port: :meth:`write`, :meth:`read` (pipelined, one word a cycle);
* the command stream: :meth:`send` offers a command (``{field: value}``, packed into
  ``s_cmd_data``; after a random valid delay when ``idle``) and returns when it is accepted;
* the response stream: ``m_rsp_ready`` with random back-pressure; :meth:`wait_response` gives the
  driver the response of its command (or None: hang / lost to a reset);
* observation for the passive monitors: every accepted command and every response transfer is
  put into :attr:`seen_cmd` / :attr:`seen_rsp` (:class:`Accepted`, :class:`Response`);
* the stream rule on both streams (valid && !ready: valid and fields hold) every cycle.

One coroutine does all of that per cycle (Icarus pays for every trigger).  ``sleep_idle``: it
sleeps while nothing is in flight (the UC unit's long host-port phases cost no Python work a
cycle).  ``checks=False`` (bench) starts no pin process at all: use :meth:`run_fast`.

Timing convention (as verif/common/stream.py): drive after ``RisingEdge(clk)``, sample in
``ReadOnly()``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cocotb
import cocotb.utils
from cocotb.clock import Clock
from cocotb.queue import Queue
from cocotb.triggers import ClockCycles, Event, ReadOnly, RisingEdge, SimTimeoutError, with_timeout

from sparsetrain.unit_cmds import CmdLayout
from verif.common.stream import never, random_pause


@dataclass
class Accepted:
    """A command transfer seen on ``s_cmd``."""
    item: object
    ports: dict
    cycle: int
    resets: int                 # the BFM's reset count at the accept


@dataclass
class Response:
    """A response transfer seen on ``m_rsp`` (``status`` None: none came, see ``note``)."""
    status: int | None
    fields: dict = field(default_factory=dict)      # m_rsp_cycles and the unit's extra fields
    tb_cycles: int | None = None                     # accept -> first m_rsp_valid, counted here
    resets: int = 0
    note: str = ""

    @property
    def cycles(self) -> int | None:
        return self.fields.get("cycles")


class UnitBfm:
    """Owns the harness pins (see the module docstring).  ``depths``: host-port select ->
    words (writes beyond a memory are dropped: the port would wrap them onto real words)."""

    def __init__(self, dut, cmd: CmdLayout, rsp_fields=(), depths: dict | None = None,
                 idle: float = 0.0, backpressure: float = 0.0, sleep_idle: bool = False,
                 checks: bool = True, period_ns: int = 10):
        self.dut, self.clk = dut, dut.clk
        self.depths = dict(depths or {})
        self.period_ns = period_ns
        self.cmd = cmd
        self.cmd_h = dut.s_cmd_data
        self.rsp_h = {f: getattr(dut, f"m_rsp_{f}") for f in ["status", "cycles", *rsp_fields]}
        self.cycle = 0
        self.resets = 0
        self.n_accepted = 0
        self.errors: list[str] = []
        self.seen_cmd: Queue = Queue()       # Accepted, for the command monitor
        self.seen_rsp: Queue = Queue()       # Response, for the response monitor
        self.responses: list[Response] = []  # for the driver (wait_response)
        self._accept_cycle: int | None = None
        self._rsp_valid_cycle: int | None = None
        self._q: list[tuple[dict, object]] = []
        self._outstanding = 0
        self._sleep = sleep_idle
        self._wake = Event()
        self._rsp_evt = Event()
        self._in_reset = True
        self._idle = random_pause(idle) if idle else never()
        self._bp = random_pause(backpressure) if backpressure else never()
        Clock(self.clk, period_ns, unit="ns").start()
        dut.rst.value = 1
        for n in ("hst_we", "hst_sel", "hst_addr", "hst_wdata", "s_cmd_valid"):
            getattr(dut, n).value = 0
        #: the harness's copy select of host reads (the UC engine array's memory copies), if any
        self.copies = hasattr(dut, "hst_copy")
        if self.copies:
            dut.hst_copy.value = 0
        dut.m_rsp_ready.value = 1
        self.cmd_h.value = 0
        if checks:
            cocotb.start_soon(self._pins())

    def _fail(self, msg: str) -> None:
        msg = f"stream rule broken at cycle {self.cycle}: {msg}"
        self.errors.append(msg)
        cocotb.log.error(msg)

    def _word(self, handles: dict) -> dict:
        return {n: int(h.value.resolve("zeros")) for n, h in handles.items()}

    def _cmd_word(self) -> dict:
        return self.cmd.unpack(int(self.cmd_h.value.resolve("zeros")))

    async def _pins(self) -> None:
        d = self.dut
        offered = None          # (ports, item) on s_cmd
        accepted = False
        cmd_stalled = rsp_stalled = None
        while True:
            if (self._sleep and offered is None and not self._q and self._outstanding <= 0
                    and rsp_stalled is None and not accepted):
                self._wake.clear()          # nothing in flight: sleep until send()
                await self._wake.wait()
            await RisingEdge(self.clk)
            self.cycle += 1
            if accepted:
                offered, accepted = None, False
            if self._in_reset:
                offered = cmd_stalled = rsp_stalled = None
            if offered is None and self._q and not self._in_reset and not next(self._idle):
                offered = self._q.pop(0)
                self.cmd_h.value = self.cmd.pack(offered[0])
            d.s_cmd_valid.value = int(offered is not None)
            d.m_rsp_ready.value = int(not next(self._bp))
            await ReadOnly()
            if self._in_reset:
                continue
            cr, rv = d.s_cmd_ready.value, d.m_rsp_valid.value
            if not (cr.is_resolvable and rv.is_resolvable):
                self._fail(f"s_cmd_ready={cr} m_rsp_valid={rv} not 0/1")
                continue
            cv, cr, rv, rr = int(d.s_cmd_valid.value), int(cr), int(rv), int(d.m_rsp_ready.value)
            # command stream (the testbench's side of the rule)
            if cv and cmd_stalled is not None:
                word = self._cmd_word()
                if word != cmd_stalled:
                    self._fail(f"s_cmd fields changed while stalled: {cmd_stalled} -> {word}")
            elif not cv and cmd_stalled is not None:
                self._fail("s_cmd_valid dropped while stalled")
            cmd_stalled = self._cmd_word() if cv and not cr else None
            if cv and cr:
                accepted = True
                self._outstanding += 1
                self.n_accepted += 1
                self._accept_cycle, self._rsp_valid_cycle = self.cycle, None
                self.seen_cmd.put_nowait(Accepted(offered[1], offered[0], self.cycle, self.resets))
            # response stream (the unit's side)
            if rv:
                if self._rsp_valid_cycle is None:
                    self._rsp_valid_cycle = self.cycle
                word = self._word(self.rsp_h)
                if rsp_stalled is not None and word != rsp_stalled:
                    self._fail(f"m_rsp fields changed while stalled: {rsp_stalled} -> {word}")
                if rr:
                    tb = (None if self._accept_cycle is None
                          else self._rsp_valid_cycle - self._accept_cycle)
                    rsp = Response(word.pop("status"), word, tb, self.resets)
                    self._outstanding -= 1
                    if self._outstanding < 0:
                        self._fail(f"response {word} without a command")
                    self.responses.append(rsp)
                    self.seen_rsp.put_nowait(rsp)
                    self._rsp_evt.set()
                    rsp_stalled = None
                else:
                    rsp_stalled = word
            elif rsp_stalled is not None:
                self._fail(f"m_rsp_valid dropped while stalled (word {rsp_stalled})")
                rsp_stalled = None

    # ----------------------------------------------------------------------- reset
    async def reset(self, cycles: int = 3) -> None:
        """Synchronous reset; queued commands are dropped, the response of a running one is lost."""
        self.dut.rst.value = 1
        self._in_reset = True
        self._q.clear()
        self._outstanding = 0
        self.resets += 1
        self._rsp_evt.set()
        await ClockCycles(self.clk, cycles)
        self.dut.rst.value = 0
        await RisingEdge(self.clk)
        self._in_reset = False
        self._accept_cycle = None

    # ------------------------------------------------------------------- host port
    async def write(self, sel: int, words: dict[int, int]) -> None:
        """Write ``{addr: word}`` into memory ``sel`` (one word a cycle, in address order)."""
        depth = self.depths.get(int(sel))
        if depth is not None:
            words = {a: v for a, v in words.items() if 0 <= a < depth}
        if not words:
            return
        d = self.dut
        for a in sorted(words):
            await RisingEdge(self.clk)
            d.hst_sel.value = int(sel)
            d.hst_addr.value = a
            d.hst_wdata.value = words[a]
            d.hst_we.value = 1
        await RisingEdge(self.clk)
        d.hst_we.value = 0

    async def read(self, sel: int, addrs, copy: int = 0) -> dict[int, int]:
        """Words of memory ``sel`` (pipelined: one address a cycle, data one cycle later);
        ``copy``: of that copy of the memories (harnesses with ``hst_copy``; else only 0)."""
        d = self.dut
        out: dict[int, int] = {}
        if copy and not self.copies:
            raise ValueError(f"copy {copy}: this harness has one copy of its memories")
        prev = None
        for a in list(addrs) + [None]:
            await RisingEdge(self.clk)
            if a is not None:
                d.hst_sel.value = int(sel)
                d.hst_addr.value = a
                d.hst_we.value = 0
                if self.copies:
                    d.hst_copy.value = int(copy)
            await ReadOnly()
            if prev is not None:
                out[prev] = int(d.hst_rdata.value.resolve("zeros"))
            prev = a
        await RisingEdge(self.clk)
        return out

    # --------------------------------------------------------------------- command
    def queue(self, ports: dict, item=None) -> None:
        """Queue a command word (offered when the previous one was accepted)."""
        self._q.append((ports, item))
        self._wake.set()

    async def send(self, ports: dict, item=None) -> int:
        """Offer a command word and wait until it is accepted; returns the reset count then."""
        n0 = self.n_accepted
        self.queue(ports, item)
        while self.n_accepted == n0:
            await RisingEdge(self.clk)
        return self.resets

    async def wait_response(self, max_cycles: int, resets: int | None = None) -> Response | None:
        """The next response, or None when none comes within ``max_cycles`` (hang) or a reset
        after ``resets`` (the count at the accept) lost it."""
        resets = self.resets if resets is None else resets
        deadline = cocotb.utils.get_sim_time("ns") + max_cycles * self.period_ns
        while not self.responses:
            left = deadline - cocotb.utils.get_sim_time("ns")
            if self.resets != resets or left <= 0:
                return None
            self._rsp_evt.clear()
            try:
                await with_timeout(self._rsp_evt.wait(), int(left), "ns")
            except SimTimeoutError:
                pass
        return self.responses.pop(0)

    def take_response(self) -> Response | None:
        return self.responses.pop(0) if self.responses else None

    async def run_fast(self, ports: dict, max_cycles: int) -> Response:
        """Bench path (``checks=False``): send, wait for m_rsp_valid without per-cycle Python."""
        d = self.dut
        self.cmd_h.value = self.cmd.pack(ports)
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
                await with_timeout(RisingEdge(d.m_rsp_valid), max_cycles * self.period_ns, "ns")
            except SimTimeoutError:
                return Response(None, note=f"no response within {max_cycles} cycles (hang)")
            await ReadOnly()
        word = self._word(self.rsp_h)
        await RisingEdge(self.clk)       # m_rsp_ready is held high (no back-pressure here)
        return Response(word.pop("status"), word)
