"""The accelerator top's fuzz harness: one program run with every check (verif/tests/
test_accel_top_fuzz.py drives it).

:meth:`Campaign.run` puts a program in host memory, asks the sequencer model
(:mod:`verif.models.sequencer`) what it may end with and where it may touch host memory, sets
the watchdog so that the run ends, starts it -- with SLVERR beats, AXI stalls, random AXI-Lite
traffic (:meth:`Campaign._chaos`) or a soft reset as asked -- and checks:

* the AXI monitor (:class:`verif.common.axi_monitor.AxiMonitor`) saw no protocol violation and
  nothing is left in flight;
* the run ends (DONE; or BUSY low after a soft reset) within a cycle bound (else a *hang*);
* every burst lies inside a range the model allows (reads: fetch and LOADs; writes: STOREs;
  a write outside is a *stray write*); the program is fetched once (START ignored while busy);
* nothing moves on the bus in the 50 cycles after done;
* ERR code and pc are among the model's outcomes; STATUS, IRQ_STATUS and the irq pin agree
  (with the IRQ_EN value the campaign tracked), and none changes after done;
* the sequencer's done (``u_regs.done``, :class:`verif.common.fuzz_probes.DoneWatch`) pulses once, for one cycle (none
  after a soft reset that came first).

All AXI-Lite traffic goes through :class:`verif.common.fuzz_probes.RegPort` (one access at a time, raw channel
transactions: any WSTRB, any byte offset).
"""

from __future__ import annotations

import json
import logging
import random
import struct

import cocotb
from cocotb.triggers import ClockCycles

from verif.common.fuzz_gen import FaultMap, ram_words, ram_write
from verif.common.fuzz_probes import DoneWatch, RegPort, Stats, bytemask
from verif.common.top_tb import prog_depth, seed_str
from verif.models.sequencer import SeqParams, sequencer_outcome
from sparsetrain.program import Err, Reg

RW_REGS = (Reg.PROG_ADDR, Reg.PROG_LEN, Reg.IRQ_EN, Reg.WATCHDOG)
RO_REGS = (Reg.ID, Reg.STATUS, Reg.ERR, Reg.CNT_TOTAL, Reg.CNT_UC, Reg.CNT_POOL, Reg.CNT_LC,
           Reg.CNT_DMA, Reg.N_CORRECT, Reg.LOSS_SUM)
SLVERR = 2
ID_VALUE = 0x5350_0001


class RunResult:
    def __init__(self, outcome, err=None, pc=None, done=False, cycles=0, ok=True):
        self.outcome, self.err, self.pc, self.done, self.cycles, self.ok = outcome, err, pc, done, cycles, ok


class Campaign:
    """One seed's campaign on a :class:`verif.common.top_tb.TB` with an AxiMonitor."""

    WD_CAP = 20_000       # cycle limit of a run whose length the model cannot bound (docs/testplan.md
    #                       derives the loop-iteration coverage bounds from it: keep them together)

    def __init__(self, tb, mon, stats: Stats, seed: int, label: str, max_failures: int = 10):
        self.tb, self.mon, self.stats, self.seed, self.label = tb, mon, stats, seed, label
        self.rnd = random.Random(f"fuzz-{label}-{seed}")
        self.port = RegPort(tb)
        self.params = SeqParams.from_uc(tb.p, prog_depth())
        self.max_failures = max_failures
        self.n_failures0 = len(stats.failures)
        self.shadow = {Reg.PROG_ADDR: 0, Reg.PROG_LEN: 0, Reg.IRQ_EN: 0, Reg.WATCHDOG: 0}
        self.index = 0
        self.failed_programs: list = []
        self.chaos_on = False
        self.dones = DoneWatch.of(tb)
        self.tamper = None      # a function outcome -> outcome (self-test of the checks)
        self.expect_failures = False    # self-test: failures are logged as info
        for port in (tb.ram.write_if, tb.ram.read_if, tb.axil.write_if, tb.axil.read_if):
            port.log.setLevel(logging.ERROR)

    # ---- failures
    def fail(self, kind: str, msg: str, outcome=None, descs=None, extra: str = "") -> None:
        self.stats.c[kind] += 1
        text = (f"[{self.label} seed {self.seed}, program {self.index}] {kind}: {msg}{extra}"
                f" (run seed {seed_str()})")
        if outcome is not None:
            text += f"; {outcome.describe()}"
        (cocotb.log.info if self.expect_failures else cocotb.log.error)(text)
        self.stats.failures.append(text)
        if descs is not None and len(self.failed_programs) < 5 and not self.expect_failures:
            self.failed_programs.append({"failure": text,
                                         "descs": [[f"{w & 0xFFFFFFFF:#010x}" for w in d] for d in descs]})
            with open("fuzz-failures.json", "w") as f:
                json.dump(self.failed_programs, f, indent=1)
        if len(self.stats.failures) - self.n_failures0 >= self.max_failures:
            raise AssertionError(f"{len(self.stats.failures)} fuzz failures, first: {self.stats.failures[0]}")

    # ---- a run
    @staticmethod
    def estimate(o, stalls: bool) -> int:
        """Cycles a run of the model's path takes at most without units (calibrated: the
        campaign logs the largest CNT_TOTAL / estimate it saw)."""
        return (200 + 24 * o.steps + 4 * o.beats) * (6 if stalls else 1)

    def model(self, prog_addr: int, prog_len: int, rf=None, wf=None, wd_cap=None):
        """The model's outcome of the program now in host memory at ``prog_addr``; the step
        limit is what a watchdog of ``wd_cap`` cycles allows (a descriptor takes >= 3 cycles)."""
        ram = self.tb.ram
        nfetch = min(prog_len, self.params.prog_depth)
        words = [w or 0 for w in ram_words(ram, prog_addr & ~3, 16 * nfetch)]
        mdescs = [words[16 * i:16 * i + 16] for i in range(nfetch)]
        return sequencer_outcome(mdescs, prog_addr, prog_len, self.params, rf or FaultMap(),
                                 wf or FaultMap(), step_limit=(wd_cap or self.WD_CAP) // 3 + 2,
                                 read_word=lambda a: ram_words(ram, a, 1)[0])

    def place(self, descs, prog_addr: int, pokes=()) -> None:
        """Write a program image (and ``pokes``) into host memory."""
        ram_write(self.tb.ram, prog_addr, b"".join(struct.pack("<16I", *[w & 0xFFFF_FFFF for w in d])
                                                   for d in descs))
        for a, b in pokes:
            ram_write(self.tb.ram, a, b)

    async def set_reg(self, reg: Reg, value: int) -> None:
        resp = await self.port.write(int(reg), value)
        if resp != 0:
            self.fail("register_mismatches", f"write of {reg.name} answered BRESP {resp}")
        if reg in self.shadow:
            self.shadow[reg] = value & (0xFFFF if reg == Reg.PROG_LEN else 0x3 if reg == Reg.IRQ_EN
                                        else 0xFFFF_FFFF)

    async def run(self, descs, prog_addr: int, prog_len=None, rf=(), wf=(), stalls=False,
                  chaos=False, tight=False, watchdog=None, soft_reset_at=None, unit_budget=20_000,
                  wd_cap=None, pokes=(), what="program") -> RunResult:
        tb, mon, rnd, st = self.tb, self.mon, self.rnd, self.stats.c
        self.index += 1
        st["runs"] += 1
        prog_len = len(descs) if prog_len is None else prog_len
        self.place(descs, prog_addr, pokes)
        rfm, wfm = FaultMap(rf), FaultMap(wf)
        nfetch = min(prog_len, self.params.prog_depth)
        wd_cap = wd_cap or self.WD_CAP
        o = self.model(prog_addr, prog_len, rfm, wfm, wd_cap)
        if self.tamper is not None:
            o = self.tamper(o)
        est = self.estimate(o, stalls)
        loose = bool(o.unit_steps)      # WATCHDOG accepted at the path's pcs
        wd = wd_cap if o.truncated else est + (unit_budget if o.unit_steps else 0)
        if wd > wd_cap and not o.truncated:
            wd, loose = wd_cap, True
        if tight:
            wd, loose = rnd.randint(1, max(2, min(est, 4000))), True
        if watchdog is not None:
            wd, loose, tight = watchdog, True, True
        st["injected_faults"] += len(rfm) + len(wfm)
        st["faulted_runs"] += bool(rf or wf)
        st["stall_runs"] += bool(stalls)

        await self.port.write(int(Reg.IRQ_STATUS), 3)
        await self.set_reg(Reg.IRQ_EN, rnd.randrange(4))
        await self.set_reg(Reg.PROG_ADDR, prog_addr)
        await self.set_reg(Reg.PROG_LEN, prog_len)
        await self.set_reg(Reg.WATCHDOG, wd)
        tb.read_fault = rfm.injected if rf else None
        tb.write_fault = wfm.injected if wf else None
        tb.set_backpressure(stalls)
        mon.clear_log()
        n_err = len(mon.errors)

        n_done = len(self.dones.pulses)
        await self.port.wr(Reg.CTRL, 1)
        t0 = mon.now()
        task = None
        if chaos and soft_reset_at is None:
            st["chaos_runs"] += 1
            window = t0 + 16 * nfetch - 60 if (o.fetch and not tight) else t0
            self.chaos_on = True
            task = cocotb.start_soon(self._chaos(window))
        t_sr = None
        if soft_reset_at is not None:
            await ClockCycles(tb.dut.clk, soft_reset_at)
            await self.port.wr(Reg.CTRL, 2)
            t_sr = mon.now()
            st["soft_resets"] += 1
        bound = wd + (8000 if stalls else 1500)
        done = hung = False
        while True:
            if t_sr is None:            # after a soft reset: back-to-back polls (its duration)
                await ClockCycles(tb.dut.clk, 16)
            status = await self.port.rd(Reg.STATUS)
            if status & 2 or (soft_reset_at is not None and not status & 1):
                done = bool(status & 2)
                break
            if mon.now() - t0 > bound:
                hung = True
                break
        t_done = mon.now()
        if t_sr is not None and not done:
            key = "max_soft_reset_cycles" + ("_stalls" if stalls else "")
            self.stats.extra[key] = max(self.stats.extra.get(key, 0), t_done - t_sr)
        if task is not None:
            self.chaos_on = False
            await task
        res = RunResult(o, done=done)
        pulses = self.dones.pulses[n_done:]
        if hung:
            self.fail("hangs", f"{what} still busy {bound} cycles after START (watchdog {wd})", o, descs)
            await self.recover()
            res.ok = False
            return res

        err_reg, st1 = await self.port.rd(Reg.ERR), status
        await ClockCycles(tb.dut.clk, 50)
        err2, st2 = await self.port.rd(Reg.ERR), await self.port.rd(Reg.STATUS)
        irqs, irq_en = await self.port.rd(Reg.IRQ_STATUS), self.shadow[Reg.IRQ_EN]
        irq_pin = int(tb.dut.irq.value)
        cycles = await self.port.rd(Reg.CNT_TOTAL)
        res.cycles = cycles
        st["cycles"] += cycles
        bad = []
        if (err2, st2) != (err_reg, st1):
            bad.append(("register_mismatches", f"ERR/STATUS changed after done: {err_reg:#x}/{st1:#x} "
                                               f"-> {err2:#x}/{st2:#x}"))
        if irq_pin != int(bool(irqs & irq_en)):
            bad.append(("register_mismatches", f"irq pin {irq_pin} with IRQ_STATUS {irqs:#x}, IRQ_EN {irq_en:#x}"))
        if done:
            err, pc = err_reg & 0xFF, err_reg >> 16
            res.err, res.pc = err, pc
            self.stats.err_hist[err] += 1
            st["watchdog_stops"] += err == Err.WATCHDOG
            exp = 0b010 | (0b100 if err else 0)
            if st1 != exp:
                bad.append(("register_mismatches", f"STATUS {st1:#x}, expected {exp:#x} (ERR {err:#x})"))
            ie = 1 | (2 if err else 0)
            if irqs != ie:
                bad.append(("register_mismatches", f"IRQ_STATUS {irqs:#x}, expected {ie:#x}"))
            pcs = o.visited | {v + 1 for v in o.visited}
            ok = o.accepts(err, pc) or (err == Err.WATCHDOG and loose and pc in pcs)
            if not ok:
                bad.append(("outcome_mismatches", f"ERR {err:#04x} at pc {pc} not expected "
                                                  f"(watchdog {wd}, {cycles} cycles)"))
            if o.expected and err != Err.WATCHDOG and not o.unit_steps and not tight:
                self.stats.max_est_ratio = max(self.stats.max_est_ratio, cycles / est)
        else:
            if (st1, err_reg, irqs) != (0, 0, 0):
                bad.append(("register_mismatches", f"after a soft reset STATUS {st1:#x} ERR {err_reg:#x} "
                                                   f"IRQ_STATUS {irqs:#x}, expected all 0"))
        for kind, addr, beats, cyc in mon.bursts:
            rng = o.reads if kind == "r" else o.writes
            if not rng.covers(addr, addr + 4 * beats):
                name = "stray_writes" if kind == "w" else "stray_reads"
                bad.append((name, f"{'write' if kind == 'w' else 'read'} burst {addr:#x} x {beats} beats "
                                  f"at cycle {cyc} outside {rng}"))
                break
        if len(pulses) != int(done) or any(len(p[1]) != 1 for p in pulses):
            shown = "; ".join(f"cycle {t}: high {len(e)} cycle(s), ERR " + " then ".join(f"{v:#04x}" for v in e)
                              for t, e in pulses[:3])
            bad.append(("register_mismatches", f"{len(pulses)} done pulse(s) ({shown}), expected "
                                               f"{int(done)} of one cycle"))
        t_end = pulses[0][0] if pulses else t_done
        if mon.last_move > t_end:
            bad.append(("protocol_errors", f"bus activity at cycle {mon.last_move}, after done "
                                           f"(cycle {t_end})"))
        if len(mon.errors) > n_err:
            bad.insert(0, ("protocol_errors", mon.errors[n_err]))
        if not mon.idle():
            bad.append(("protocol_errors", f"{mon.outstanding} burst(s) still in flight after done"))
        if (o.fetch and done and res.err != Err.WATCHDOG and soft_reset_at is None
                and not o.loads.overlaps(*o.fetch)):
            lo, hi = o.fetch
            fetched = sum(b for k, a, b, _ in mon.bursts if k == "r" and lo <= a < hi)
            if fetched != (hi - lo) // 4:
                bad.append(("protocol_errors", f"{fetched} program beats read, {(hi - lo) // 4} expected "
                                               f"(a START while busy restarted the run?)"))
        if bad:
            # the bus first (the other checks may follow from it); every kind is counted once
            bad.sort(key=lambda b: b[0] != "protocol_errors")
            others = sorted({k for k, _ in bad[1:]} - {bad[0][0]})
            for k in others:
                self.stats.c[k] += 1
            res.ok = False
            self.fail(bad[0][0], f"{what}: {bad[0][1]}", o, descs,
                      extra=f" [PROG_ADDR {prog_addr:#x} PROG_LEN {prog_len} faults r{rf} w{wf} "
                            f"stalls {stalls} chaos {chaos} soft reset {soft_reset_at}]"
                            + (f" (also {', '.join(others)})" if others else ""))
        if not res.ok and (not mon.idle() or st2 & 1):
            await self.recover()
        tb.read_fault = tb.write_fault = None
        return res

    async def recover(self) -> None:
        """After a failure: soft reset, then hard reset if the chip stays busy."""
        self.tb.read_fault = self.tb.write_fault = None
        await self.port.wr(Reg.CTRL, 2)
        await ClockCycles(self.tb.dut.clk, 2000)
        if (await self.port.rd(Reg.STATUS)) & 1:
            await self.tb.reset()
            self.mon.clear_state()
            for r in self.shadow:
                self.shadow[r] = 0

    # ---- register traffic while a program runs
    async def _chaos(self, busy_until: int) -> None:
        """Random AXI-Lite reads and writes until ``chaos_on`` drops: any offset (unmapped and
        unaligned ones too), any WSTRB; writes to PROG_ADDR / PROG_LEN / IRQ_EN (tracked),
        read-only and unmapped registers, CTRL without effect; CTRL.START and IRQ_STATUS clears
        only before ``busy_until`` (a cycle at which the chip is surely still busy).
        Read answers are checked against the tracked values."""
        rnd, port, st = self.rnd, self.port, self.stats.c

        def in_window():
            return self.mon.now() + 20 < busy_until

        while self.chaos_on:
            await ClockCycles(self.tb.dut.clk, rnd.randint(0, 24))
            if not self.chaos_on:
                return
            st["chaos_ops"] += 1
            busy = self.mon.now() + 30 < busy_until
            r = rnd.random()
            if r < 0.4:
                off = rnd.choice([4 * rnd.randrange(16), 4 * rnd.randrange(16, 64)])
                off += rnd.randint(1, 3) if rnd.random() < 0.2 else 0
                data, resp = await port.read(off)
                word = off & 0xFC
                exp = {0x00: ID_VALUE, 0x04: 0, **{int(k): v for k, v in self.shadow.items()}}.get(word)
                if word >= 0x40 and (resp, data) != (SLVERR, 0):
                    self.fail("register_mismatches", f"read of unmapped {off:#x}: data {data:#x} resp {resp}")
                elif word < 0x40 and (resp != 0 or (exp is not None and data != exp)):
                    self.fail("register_mismatches", f"read {off:#x}: {data:#x} resp {resp}, "
                                                     f"expected {exp} resp 0")
                continue
            strb, data = rnd.randrange(16), rnd.getrandbits(32)
            kinds = ["rw", "rw", "ro", "unmapped", "ctrl", "wdog"] + (["start", "irqclr"] if busy else [])
            kind = rnd.choice(kinds)
            if kind == "rw":
                reg = rnd.choice([Reg.PROG_ADDR, Reg.PROG_LEN, Reg.IRQ_EN])
                off = int(reg) + (rnd.randint(1, 3) if rnd.random() < 0.2 else 0)
                old = self.shadow[reg]
                if reg == Reg.IRQ_EN:
                    new = data & 3 if strb & 1 else old
                else:
                    m = bytemask(strb) & (0xFFFF if reg == Reg.PROG_LEN else 0xFFFF_FFFF)
                    new = (old & ~m) | (data & m)
                resp = await port.write(off, data, strb)
                self.shadow[reg] = new
            elif kind == "ro":
                resp = await port.write(int(rnd.choice(RO_REGS)), data, strb)
            elif kind == "unmapped":
                resp = await port.write(4 * rnd.randrange(16, 64), data, strb)
                if resp != SLVERR:
                    self.fail("register_mismatches", f"write to an unmapped offset answered {resp}")
                continue
            elif kind == "ctrl":     # no START, no SOFT_RESET: byte 0 not written or bits 1:0 clear
                resp = await port.write(int(Reg.CTRL), data & ~3 if strb & 1 else data, strb)
            elif kind == "wdog":     # WSTRB 0 changes nothing
                resp = await port.write(int(Reg.WATCHDOG), data, 0)
            elif kind == "start":    # ignored while busy
                resp = await port.write(int(Reg.CTRL), (data & ~3) | 1, strb | 1, guard=in_window)
            else:
                resp = await port.write(int(Reg.IRQ_STATUS), data, strb, guard=in_window)
            if resp not in (0, None):
                self.fail("register_mismatches", f"{kind} write answered BRESP {resp}")
