"""Passive AXI4 protocol monitor for the accelerator top's ``m_axi_*`` master.

:class:`AxiChecker` holds the rules and works on one sample of the bus per clock cycle (a dict
of ints: ``arvalid``, ``araddr``, ... ``bresp``), so it can be fed a synthetic trace
(:func:`self_test_traces`); :class:`AxiMonitor` samples the DUT's pins at every falling clock
edge (values settled for the next rising edge, where handshakes happen) and never drives.

Rules (AMBA AXI4, IHI0022, and what rtl/top/dma.v promises):

* AR, AW, W: once VALID is high it stays high until READY, with a stable payload (A3.2.1);
* AxSIZE == 2 (32-bit beats), AxBURST == INCR, AxLEN <= 15 (16 beats), a 4-byte aligned
  address, and a burst that stays inside one 4 KB page (A3.4.1);
* WSTRB == 0xF; WLAST exactly on the last beat of the burst of the AW it belongs to (W may
  come before its AW, A3.3.1: such beats wait for the next AW, at most one burst's worth);
* an R beat or a B response only for an outstanding burst; RLAST on the burst's last beat;
* at most ``max_outstanding`` bursts (reads and writes together) in flight.

Everything is recorded: every burst as ``(kind, address, beats, cycle)`` in :attr:`bursts`,
every handshake as ``(cycle, channel)`` in :attr:`handshakes`, the last cycle anything moved in
:attr:`last_move`. Violations go to :attr:`errors` ("cycle N: ..."); :meth:`assert_clean`
raises with the first one and the seed.
"""

from __future__ import annotations

from collections import deque

import cocotb
from cocotb.triggers import FallingEdge, First
from cocotb.utils import get_sim_time

HOLD = {"ar": ("araddr", "arlen", "arsize", "arburst"),
        "aw": ("awaddr", "awlen", "awsize", "awburst"),
        "w": ("wdata", "wstrb", "wlast")}
SIGNALS = ("arvalid", "arready", "araddr", "arlen", "arsize", "arburst",
           "rvalid", "rready", "rlast", "rresp",
           "awvalid", "awready", "awaddr", "awlen", "awsize", "awburst",
           "wvalid", "wready", "wdata", "wstrb", "wlast",
           "bvalid", "bready", "bresp")


class AxiChecker:
    """The protocol rules on a cycle-by-cycle sample stream (see the module docstring)."""

    def __init__(self, name: str = "m_axi", max_outstanding: int = 1, max_errors: int = 50):
        self.name = name
        self.max_outstanding = max_outstanding
        self.max_errors = max_errors
        self.errors: list[str] = []
        self.bursts: list[tuple[str, int, int, int]] = []
        self.handshakes: list[tuple[int, str]] = []
        self.last_move = -1
        self.cycle = 0
        self.clear_state()

    def clear_state(self) -> None:
        """Forget the bus state (after a hard reset; a soft reset keeps it)."""
        self.hold: dict[str, tuple | None] = {"ar": None, "aw": None, "w": None}
        self.hold_since: dict[str, int] = {}
        self.reads: deque[list[int]] = deque()      # [beats, beats seen] of each read burst
        self.aw_for_w: deque[int] = deque()         # beats of the AW bursts awaiting W data
        self.w_count = 0                            # W beats of the current burst so far
        self.w_early: list[tuple[int, int]] = []    # (cycle, wlast) of W beats ahead of their AW
        self.b_wait = 0                             # write bursts whose data is in, awaiting B
        self.writes = 0                             # write bursts in flight (AW .. B)

    def clear_log(self) -> None:
        """Start a new run's records (bursts, handshakes); errors are kept."""
        self.bursts.clear()
        self.handshakes.clear()

    # ---- state queries
    @property
    def outstanding(self) -> int:
        return len(self.reads) + self.writes

    def idle(self) -> bool:
        """Nothing in flight, nothing waiting for READY."""
        return (self.outstanding == 0 and not self.w_early and not self.aw_for_w
                and all(v is None for v in self.hold.values()))

    def _err(self, msg: str) -> None:
        if len(self.errors) < self.max_errors:
            self.errors.append(f"{self.name} cycle {self.cycle}: {msg}")

    # ---- one cycle
    def step(self, cycle: int, s: dict) -> None:
        """Check one sample; ``s`` maps signal names (without the prefix) to ints."""
        self.cycle = cycle
        g = s.get
        for ch in ("ar", "aw", "w"):
            held = self.hold[ch]
            valid = g(f"{ch}valid", 0)
            if held is not None:
                since = self.hold_since[ch]
                if not valid:
                    self._err(f"{ch.upper()}VALID dropped before {ch.upper()}READY (offered since "
                              f"cycle {since})")
                else:
                    now = tuple(g(f, 0) for f in HOLD[ch])
                    if now != held:
                        diff = ", ".join(f"{f} {a:#x}->{b:#x}" for f, a, b in zip(HOLD[ch], held, now)
                                         if a != b)
                        self._err(f"{ch.upper()} payload changed while waiting for READY: {diff}")
            if valid and not g(f"{ch}ready", 0):
                if held is None:
                    self.hold_since[ch] = cycle
                self.hold[ch] = tuple(g(f, 0) for f in HOLD[ch])
            else:
                self.hold[ch] = None
        moved = g("arvalid", 0) or g("awvalid", 0) or g("wvalid", 0)

        if g("arvalid", 0) and g("arready", 0):
            beats = self._addr("AR", g("araddr", 0), g("arlen", 0), g("arsize", 0), g("arburst", 0))
            self.reads.append([beats, 0])
            self.bursts.append(("r", g("araddr", 0), beats, cycle))
            self.handshakes.append((cycle, "ar"))
            self._limit("AR")
        if g("rvalid", 0) and g("rready", 0):
            moved = True
            self.handshakes.append((cycle, "r"))
            if not self.reads:
                self._err("R beat with no read burst outstanding")
            else:
                burst = self.reads[0]
                burst[1] += 1
                last = burst[1] == burst[0]
                if bool(g("rlast", 0)) != last:
                    self._err(f"RLAST {g('rlast', 0)} on beat {burst[1]} of a {burst[0]}-beat burst")
                if last:
                    self.reads.popleft()
        if g("awvalid", 0) and g("awready", 0):
            beats = self._addr("AW", g("awaddr", 0), g("awlen", 0), g("awsize", 0), g("awburst", 0))
            self.bursts.append(("w", g("awaddr", 0), beats, cycle))
            self.handshakes.append((cycle, "aw"))
            self.writes += 1
            self._limit("AW")
            self.aw_for_w.append(beats)
            early, self.w_early = self.w_early, []
            for _, wlast in early:
                self._w_beat(wlast)
        if g("wvalid", 0) and g("wready", 0):
            self.handshakes.append((cycle, "w"))
            if g("wstrb", 0xF) != 0xF:
                self._err(f"WSTRB {g('wstrb', 0):#x}, expected 0xf")
            if self.aw_for_w:
                self._w_beat(g("wlast", 0))
            else:
                self.w_early.append((cycle, g("wlast", 0)))
                if len(self.w_early) > 16:
                    self._err(f"{len(self.w_early)} W beats without an AW (first at cycle "
                              f"{self.w_early[0][0]})")
        if g("bvalid", 0) and g("bready", 0):
            moved = True
            self.handshakes.append((cycle, "b"))
            if self.b_wait == 0:
                self._err("B response with no write burst whose data is complete")
            else:
                self.b_wait -= 1
                self.writes -= 1
        if moved:
            self.last_move = cycle

    def _addr(self, ch: str, addr: int, alen: int, size: int, burst: int) -> int:
        beats = alen + 1
        if size != 2:
            self._err(f"{ch}SIZE {size}, expected 2 (32-bit beats)")
        if burst != 1:
            self._err(f"{ch}BURST {burst}, expected 1 (INCR)")
        if alen > 15:
            self._err(f"{ch}LEN {alen}: more than 16 beats")
        if addr % 4:
            self._err(f"{ch}ADDR {addr:#x} not 4-byte aligned")
        if (addr & 0xFFF) + 4 * beats > 0x1000:
            self._err(f"{ch} burst {addr:#x} + {beats} beats crosses a 4 KB boundary")
        return beats

    def _limit(self, ch: str) -> None:
        if self.outstanding > self.max_outstanding:
            self._err(f"{ch} handshake with {self.outstanding - 1} burst(s) already in flight "
                      f"(at most {self.max_outstanding} allowed)")

    def _w_beat(self, wlast: int) -> None:
        beats = self.aw_for_w[0]
        self.w_count += 1
        last = self.w_count == beats
        if bool(wlast) != last:
            self._err(f"WLAST {wlast} on W beat {self.w_count} of a {beats}-beat burst")
        if last or wlast:
            self.aw_for_w.popleft()
            self.w_count = 0
            self.b_wait += 1

    def finish(self) -> None:
        """End of a trace: W beats still waiting for their AW are a violation."""
        if self.w_early:
            self._err(f"{len(self.w_early)} W beat(s) from cycle {self.w_early[0][0]} never got an AW")
            self.w_early = []

    def run_trace(self, samples) -> list[str]:
        """Feed a list of samples (one a cycle, from cycle 0); returns the errors."""
        for c, s in enumerate(samples):
            self.step(c, s)
        self.finish()
        return self.errors

    def assert_clean(self, seed="?", context: str = "") -> None:
        """AssertionError naming the first violation (cycle), the count and the seed."""
        if self.errors:
            ctx = f", {context}" if context else ""
            raise AssertionError(f"AXI protocol: {len(self.errors)} violation(s), first: "
                                 f"{self.errors[0]} (seed {seed}{ctx})")


class AxiMonitor(AxiChecker):
    """:class:`AxiChecker` on the DUT's ``<prefix>_*`` pins, sampled at every falling edge of
    ``clk`` while anything is in flight or offered; while the bus is idle it sleeps until a
    master VALID rises. ``period_ns``: the clock period (cycle numbers are sim time / period)."""

    def __init__(self, dut, prefix: str = "m_axi", period_ns: int = 10, **kw):
        super().__init__(name=prefix, **kw)
        self.dut = dut
        self.period = period_ns
        self.sig = {n: getattr(dut, f"{prefix}_{n}") for n in SIGNALS}
        self.rst = dut.rst
        self._task = cocotb.start_soon(self._run())

    def now(self) -> int:
        """The current cycle number (sim time / clock period)."""
        return int(get_sim_time("ns")) // self.period

    def stop(self) -> None:
        self._task.cancel()

    def _sample(self) -> dict:
        sig = self.sig
        s = {}
        for ch, ready in (("ar", "arready"), ("aw", "awready"), ("w", "wready")):
            v = int(sig[f"{ch}valid"].value)
            s[f"{ch}valid"] = v
            if v:
                s[ready] = int(sig[ready].value)
                for f in HOLD[ch]:
                    s[f] = int(sig[f].value)
        for ch, extra in (("r", ("rlast", "rresp")), ("b", ("bresp",))):
            v = int(sig[f"{ch}valid"].value)
            s[f"{ch}valid"] = v
            if v:
                s[f"{ch}ready"] = int(sig[f"{ch}ready"].value)
                for f in extra:
                    s[f] = int(sig[f].value)
        return s

    async def _run(self):
        sig = self.sig
        wake = [sig["arvalid"].value_change, sig["awvalid"].value_change,
                sig["wvalid"].value_change, self.rst.value_change]
        clk = self.dut.clk
        while True:
            await FallingEdge(clk)
            if int(self.rst.value):
                self.clear_state()
                continue
            s = self._sample()
            self.step(self.now(), s)
            if self.idle() and not (s["arvalid"] or s["awvalid"] or s["wvalid"]):
                await First(*wake)


def self_test_traces() -> list[tuple[str, list[dict], str]]:
    """Synthetic traces that break one rule each: ``(name, samples, text the first error must
    contain)``; plus ``("clean", ...)`` which must give no error."""
    idle: dict = {}
    ar = dict(arvalid=1, araddr=0x1000, arlen=1, arsize=2, arburst=1)
    aw = dict(awvalid=1, awaddr=0x2000, awlen=1, awsize=2, awburst=1)

    def rbeat(last):
        return dict(rvalid=1, rready=1, rlast=last)

    def wbeat(last, data=0x11):
        return dict(wvalid=1, wready=1, wdata=data, wstrb=0xF, wlast=last)

    clean = [idle, {**ar, "arready": 0}, {**ar, "arready": 1}, rbeat(0), rbeat(1),
             {**aw, "awready": 1}, wbeat(0), {**wbeat(1), "wready": 0}, wbeat(1),
             dict(bvalid=1, bready=1), idle,
             # W ahead of its AW (allowed)
             wbeat(0), wbeat(1), {**aw, "awready": 1}, dict(bvalid=1, bready=1)]
    return [
        ("clean", clean, ""),
        ("ARVALID drop", [{**ar, "arready": 0}, idle], "ARVALID dropped"),
        ("AR payload", [{**ar, "arready": 0}, {**ar, "araddr": 0x1004}], "payload changed"),
        ("W payload", [{**aw, "awready": 1}, {**wbeat(0), "wready": 0}, wbeat(0, data=0x22)],
         "payload changed"),
        ("AWSIZE", [{**aw, "awready": 1, "awsize": 3}], "AWSIZE 3"),
        ("ARBURST", [{**ar, "arready": 1, "arburst": 2}], "ARBURST 2"),
        ("4 KB", [{**ar, "arready": 1, "araddr": 0x1FF8, "arlen": 3}], "crosses a 4 KB"),
        ("WLAST early", [{**aw, "awready": 1}, wbeat(1)], "WLAST 1 on W beat 1 of a 2-beat"),
        ("WLAST missing", [{**aw, "awready": 1}, wbeat(0), wbeat(0)], "WLAST 0 on W beat 2"),
        ("W without AW", [wbeat(0), wbeat(1), idle], "never got an AW"),
        ("outstanding", [{**ar, "arready": 1}, {**ar, "arready": 1}], "already in flight"),
        ("B without W", [dict(bvalid=1, bready=1)], "B response with no write burst"),
        ("R without AR", [rbeat(1)], "R beat with no read burst"),
        ("WSTRB", [{**aw, "awready": 1}, {**wbeat(0), "wstrb": 0x3}], "WSTRB 0x3"),
    ]
