"""What the top's fuzz campaign (:mod:`verif.common.fuzz_run`) uses besides the AXI monitor: the
raw AXI-Lite register port (:class:`RegPort`), the watch on the sequencer's done pulses
(:class:`DoneWatch`) and the campaign's counters (:class:`Stats`, fuzz-summary.json).
"""

from __future__ import annotations

import json
from collections import Counter

import cocotb
from cocotb.triggers import Lock

from sparsetrain.program import Reg


def bytemask(strb: int) -> int:
    """The 32-bit mask of the bytes a WSTRB ``strb`` (4 bits) writes."""
    return sum(0xFF << (8 * i) for i in range(4) if strb >> i & 1)


class RegPort:
    """AXI-Lite accesses to the control registers, one at a time (a lock), sent as raw channel
    transactions on the testbench's cocotbext master: any byte offset, any WSTRB (also 0)."""

    def __init__(self, tb):
        self.tb = tb
        self.lock = Lock()

    async def read(self, addr: int) -> tuple[int, int]:
        """(RDATA, RRESP) of a read at byte offset ``addr``."""
        async with self.lock:
            rif = self.tb.axil.read_if
            ar = rif.ar_channel._transaction_obj()
            ar.araddr, ar.arprot = addr, 0
            await rif.ar_channel.send(ar)
            r = await rif.r_channel.recv()
            return int(r.rdata), int(r.rresp)

    async def write(self, addr: int, data: int, strb: int = 0xF, guard=None):
        """BRESP of a write at byte offset ``addr``; with ``guard``, a callable checked once the
        bus is ours: a False answer sends nothing and returns None."""
        async with self.lock:
            if guard is not None and not guard():
                return None
            wif = self.tb.axil.write_if
            aw = wif.aw_channel._transaction_obj()
            aw.awaddr, aw.awprot = addr, 0
            w = wif.w_channel._transaction_obj()
            w.wdata, w.wstrb = data & 0xFFFF_FFFF, strb & 0xF
            await wif.aw_channel.send(aw)
            await wif.w_channel.send(w)
            return int((await wif.b_channel.recv()).bresp)

    async def rd(self, reg: Reg) -> int:
        return (await self.read(int(reg)))[0]

    async def wr(self, reg: Reg, value: int) -> None:
        resp = await self.write(int(reg), value)
        assert resp == 0, f"write {reg.name}: BRESP {resp}"


class Stats:
    """Campaign counters (shared by every test of the module), written to fuzz-summary.json."""

    KEYS = ("programs", "mutated_programs", "soft_resets", "injected_faults", "faulted_runs",
            "stall_runs", "chaos_runs", "chaos_ops", "watchdog_stops", "hangs", "stray_writes",
            "stray_reads", "protocol_errors", "outcome_mismatches", "register_mismatches",
            "data_mismatches", "known_good_runs", "training_steps_bit_exact", "runs", "cycles")

    def __init__(self):
        self.c = Counter({k: 0 for k in self.KEYS})
        self.err_hist: Counter = Counter()
        self.seeds: list = []
        self.max_est_ratio = 0.0
        self.failures: list[str] = []
        self.extra: dict = {}       # max_soft_reset_cycles[_stalls]: SOFT_RESET write to BUSY low

    def to_dict(self) -> dict:
        return {**dict(self.c), **self.extra, "error_codes": {f"{k:#04x}": v for k, v in sorted(self.err_hist.items())},
                "seeds": self.seeds, "max_cycles_over_estimate": round(self.max_est_ratio, 3),
                "failures": self.failures[:20]}

    def write(self, path: str = "fuzz-summary.json") -> None:
        with open(path, "w") as f:
            json.dump(self.to_dict(), f, indent=1)


class DoneWatch:
    """Every pulse of the sequencer's done as the register block sees it (``u_regs.done``, with
    ``u_regs.err_code``): ``(first cycle, [ERR code of each cycle it stays high])``. One per
    testbench. Internal signals: Icarus shows every signal, a Verilator build these among the few
    it makes public (flow/runner.py ``PUBLIC_BELOW_TOP``); a build without them is an error, not
    a campaign that silently stops checking the pulses.

    Raises:
        AttributeError: ``dut.u_regs.done`` or ``err_code`` is not visible."""

    def __init__(self, dut):
        self.pulses: list[tuple[int, list[int]]] = []
        try:
            self.sig, self.err, self.clk = dut.u_regs.done, dut.u_regs.err_code, dut.clk
        except AttributeError as e:
            raise AttributeError("fuzz: u_regs.done / u_regs.err_code not visible to cocotb "
                                 "(Verilator: flow/runner.py PUBLIC_BELOW_TOP)") from e
        cocotb.start_soon(self._run())

    @classmethod
    def of(cls, tb) -> "DoneWatch":
        """The watch of a testbench (one per test)."""
        if getattr(tb, "fuzz_dones", None) is None:
            tb.fuzz_dones = cls(tb.dut)
        return tb.fuzz_dones

    async def _run(self):
        from cocotb.triggers import FallingEdge, RisingEdge
        from cocotb.utils import get_sim_time
        while True:
            await RisingEdge(self.sig)
            await FallingEdge(self.clk)
            start, codes = int(get_sim_time("ns")) // 10, []
            while int(self.sig.value):
                codes.append(int(self.err.value))
                await FallingEdge(self.clk)
            self.pulses.append((start, codes))
