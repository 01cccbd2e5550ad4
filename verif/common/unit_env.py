"""The pyuvm environment of every command/response unit (UC, MP, GAP, LC, loss).

Shaped like pyuvm's TinyALU example; what is particular to a unit comes from its
:class:`verif.common.units.common.Unit` (pin map, load, read-back, model check, coverage):

* sequence item: one command (:class:`~verif.common.units.common.CmdItem` subclasses);
  :class:`ItemSeq` runs a list of them;
* :class:`verif.common.unit_bfm.UnitBfm` owns the pins: clock, reset, host port, command and
  response streams (random valid delays / ready back-pressure), stream-rule checks;
* :class:`Driver`: takes an item from the sequencer, loads its inputs and sends its command
  through the BFM, resets the DUT when the item asks for it (reset mid-command) or when no
  response comes (hang), then asks the :class:`Readback` step for the memories;
* :class:`CmdMonitor` / :class:`RspMonitor`: passive, they only publish the command transfers
  and response transfers the BFM saw;
* :class:`Readback`: the separate checking step between commands: reads the harness memories
  back (what the unit says) and publishes them;
* :class:`Scoreboard`: pairs command, response and read-back, checks the status and the
  protocol (hang, lost or stale response) and calls the unit's model check; names the first
  wrong element with the seed; publishes every :class:`Result`;
* :class:`Coverage`: a subscriber of the scoreboard's results (cocotb-coverage points of the unit).

Configuration: one :class:`EnvConfig` in pyuvm's ``ConfigDB`` (key ``"env_cfg"``), the BFM under
``"BFM"``; :func:`run_items` runs a list of items through a fresh environment (one cocotb test).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

import cocotb
from cocotb.triggers import ClockCycles, RisingEdge
from pyuvm import (ConfigDB, uvm_analysis_port, uvm_component, uvm_driver, uvm_env, uvm_root,
                   uvm_sequence, uvm_sequencer, uvm_subscriber, uvm_test, uvm_tlm_analysis_fifo)

from verif.common.checks import seed
from verif.common.unit_bfm import Accepted, Response
from verif.common.units.common import Unit, status_name

#: cycles after a mid-command reset in which a stale response would show
QUIET_AFTER_RESET = 31


@dataclass
class EnvConfig:
    """Everything a run needs (put in ConfigDB as ``"env_cfg"``)."""
    unit: Unit
    items: list
    stall: bool = False              # random valid delays and ready back-pressure
    raise_in_check: bool = True      # check_phase fails the test on a wrong result


@dataclass
class MemImage:
    """What the read-back step read after one command."""
    item: object
    got: object = None


@dataclass
class Result:
    """One command checked: what the scoreboard saw and compared."""
    item: object
    rsp: Response
    before: object = None
    got: object = None
    stall: bool = False
    protocol: list = field(default_factory=list)   # protocol errors found while pairing


def _cfg(comp) -> EnvConfig:
    return ConfigDB().get(comp, "", "env_cfg")


class ItemSeq(uvm_sequence):
    def __init__(self, name="seq", items=None):
        super().__init__(name)
        self.items = items or []

    async def body(self):
        for item in self.items:
            await self.start_item(item)
            item.prepare()
            await self.finish_item(item)


class Driver(uvm_driver):
    def connect_phase(self):
        self.unit = _cfg(self).unit
        self.bfm = ConfigDB().get(self, "", "BFM")

    async def run_phase(self):
        bfm, unit = self.bfm, self.unit
        await bfm.reset()
        await unit.start(bfm)
        while True:
            item = await self.seq_item_port.get_next_item()
            self.logger.log(unit.send_log, "send %s", item)
            await unit.load(bfm, item)
            resets = await bfm.send(unit.ports(item), item)
            if item.reset_after is not None:
                await ClockCycles(bfm.clk, item.reset_after)
                await bfm.reset(cycles=random.randint(1, 4))
                await ClockCycles(bfm.clk, QUIET_AFTER_RESET)
                rsp = bfm.take_response()
            else:
                rsp = await bfm.wait_response(item.budget, resets)
                if rsp is None:
                    await bfm.reset()          # recover from a hang; the scoreboard fails it
            await self.readback.capture(item, rsp)
            self.seq_item_port.item_done()


class CmdMonitor(uvm_component):
    """Publishes every command transfer (:class:`Accepted`)."""

    def build_phase(self):
        self.ap = uvm_analysis_port("ap", self)

    def connect_phase(self):
        self.bfm = ConfigDB().get(self, "", "BFM")

    async def run_phase(self):
        while True:
            self.ap.write(await self.bfm.seen_cmd.get())


class RspMonitor(CmdMonitor):
    """Publishes every response transfer (:class:`Response`)."""

    async def run_phase(self):
        while True:
            self.ap.write(await self.bfm.seen_rsp.get())


class Readback(uvm_component):
    """The read-back step: after a command, the memories the unit names are read through the
    BFM's host port and published (:class:`MemImage`)."""

    def build_phase(self):
        self.ap = uvm_analysis_port("ap", self)

    def connect_phase(self):
        self.unit = _cfg(self).unit
        self.bfm = ConfigDB().get(self, "", "BFM")

    async def capture(self, item, rsp: Response | None) -> None:
        got = await self.unit.readback(self.bfm, item, rsp)
        if got is None:
            await RisingEdge(self.bfm.clk)     # the monitors publish before the read-back does
        self.ap.write(MemImage(item, got))


def _drain(fifo) -> list:
    out = []
    while True:
        ok, x = fifo.try_get()
        if not ok:
            return out
        out.append(x)


class Scoreboard(uvm_component):
    def build_phase(self):
        self.cmd_fifo = uvm_tlm_analysis_fifo("cmd_fifo", self)
        self.rsp_fifo = uvm_tlm_analysis_fifo("rsp_fifo", self)
        self.mem_fifo = uvm_tlm_analysis_fifo("mem_fifo", self)
        self.ap = uvm_analysis_port("ap", self)
        self.errors: list[str] = []
        self.n = self.n_ok = 0
        self.cycles: list[tuple[str, int]] = []
        self.cycle_diffs: dict[int, int] = {}    # m_rsp_cycles - testbench count -> occurrences

    def connect_phase(self):
        cfg = _cfg(self)
        self.unit, self.stall, self.raise_in_check = cfg.unit, cfg.stall, cfg.raise_in_check
        self.n_items = len(cfg.items)

    async def run_phase(self):
        while True:
            img = await self.mem_fifo.get()
            res = self.pair(img, _drain(self.cmd_fifo), _drain(self.rsp_fifo))
            self.score(res)
            self.ap.write(res)

    def pair(self, img: MemImage, cmds: list[Accepted], rsps: list[Response]) -> Result:
        """The command's response from what the monitors saw since the previous command."""
        item = img.item
        res = Result(item, Response(None), item.before, img.got, self.stall)
        acc = [c for c in cmds if c.item is item]
        if not acc:
            res.protocol.append("command never accepted")
        if len(rsps) > 1:
            res.protocol.append(f"{len(rsps)} responses to one command: {rsps}")
        if rsps and acc and rsps[0].resets != acc[0].resets:
            res.rsp.note = "reset: a stale response came out after the reset"
        elif rsps:
            res.rsp = rsps[0]
        elif item.reset_after is not None:
            res.rsp.note = "reset"
        else:
            res.rsp.note = f"no response within {item.budget} cycles (hang)"
        return res

    def check(self, res: Result) -> list[str]:
        item, rsp = res.item, res.rsp
        if rsp.status is None:
            if item.reset_after is not None and rsp.note == "reset":
                return res.protocol      # lost to the reset, as it should be
            return res.protocol + [rsp.note]
        if rsp.status != item.expect:
            return res.protocol + [f"status {status_name(rsp.status)} ({rsp.status}), "
                                   f"expected {status_name(item.expect)}"]
        return res.protocol + self.unit.check(res)

    def score(self, res: Result) -> None:
        self.n += 1
        item, rsp = res.item, res.rsp
        if rsp.cycles is not None and rsp.tb_cycles is not None:
            d = rsp.cycles - rsp.tb_cycles
            self.cycle_diffs[d] = self.cycle_diffs.get(d, 0) + 1
        errs = self.check(res)
        if errs:
            head = (f"{item} -> status {status_name(rsp.status)}{self.unit.context(item)}, "
                    f"seed {seed()} (rerun: SEED={seed()})")
            self.errors.append(f"{head}: {errs[0]}")
            if item.wrong:      # checker self-test: this mismatch is the expected outcome
                self.logger.info("checker self-test caught %s\n    %s", head, errs[0])
                return
            self.logger.error("FAIL %s\n    %s", head, "\n    ".join(errs))
            self.unit.on_fail(res)
            return
        self.n_ok += 1
        if rsp.status is not None:
            self.cycles.append((item.get_name(), rsp.cycles))
            line = self.unit.ok_line(res)
            if line:
                self.logger.info("ok   %s", line)

    def check_phase(self):
        if self.n != self.n_items:
            self.errors.append(f"{self.n_items} commands sent but {self.n} results collected")
        if self.errors and self.raise_in_check:
            raise AssertionError(f"{len(self.errors)} failing command(s); first: {self.errors[0]}")
        self.logger.info("scoreboard: %d/%d commands correct; m_rsp_cycles - testbench count: %s",
                         self.n_ok, self.n, self.cycle_diffs)


class Coverage(uvm_subscriber):
    def connect_phase(self):
        self.unit = _cfg(self).unit

    def write(self, res: Result):
        self.unit.sample(res)

    def report_phase(self):
        self.unit.report(self.logger)


class UnitEnv(uvm_env):
    def build_phase(self):
        cfg = _cfg(self)
        bfm = cfg.unit.make_bfm(cocotb.top, idle=0.3 if cfg.stall else 0.0,
                                backpressure=0.5 if cfg.stall else 0.0)
        ConfigDB().set(None, "*", "BFM", bfm)
        self.seqr = uvm_sequencer("seqr", self)
        self.driver = Driver("driver", self)
        self.cmd_mon = CmdMonitor("cmd_mon", self)
        self.rsp_mon = RspMonitor("rsp_mon", self)
        self.readback = Readback("readback", self)
        self.scoreboard = Scoreboard("scoreboard", self)
        self.coverage = Coverage("coverage", self)

    def connect_phase(self):
        self.driver.seq_item_port.connect(self.seqr.seq_item_export)
        self.driver.readback = self.readback
        self.cmd_mon.ap.connect(self.scoreboard.cmd_fifo.analysis_export)
        self.rsp_mon.ap.connect(self.scoreboard.rsp_fifo.analysis_export)
        self.readback.ap.connect(self.scoreboard.mem_fifo.analysis_export)
        self.scoreboard.ap.connect(self.coverage.analysis_export)


class UnitTest(uvm_test):
    def build_phase(self):
        self.env = UnitEnv("env", self)

    async def run_phase(self):
        self.raise_objection()
        await ItemSeq("seq", _cfg(self).items).start(self.env.seqr)
        await ClockCycles(ConfigDB().get(self, "", "BFM").clk, 5)
        self.drop_objection()


async def run_items(unit: Unit, items: list, stall: bool = False,
                    raise_in_check: bool = True) -> Scoreboard:
    """Run ``items`` through a fresh environment (one cocotb test); returns its scoreboard."""
    cfg = EnvConfig(unit, items, stall, raise_in_check)
    ConfigDB().clear()
    ConfigDB().set(None, "*", "env_cfg", cfg)
    cocotb.log.info("seed %s, %d commands, stall=%s, %s", seed(), len(items), stall, unit.describe())
    await uvm_root().run_test(UnitTest, keep_set={ConfigDB})
    env = uvm_root().uvm_test_top.env
    bfm = ConfigDB().get(None, "", "BFM")
    assert not bfm.errors, f"stream rule broken: {bfm.errors[0]}"
    return env.scoreboard

