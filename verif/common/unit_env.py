"""Generic pyuvm environment for the command/response compute units (MP, GAP, LC, loss).

Every unit harness (verif/hdl/<unit>_harness.v) has the same shape: ``s_cmd_valid/ready`` plus
``s_cmd_<field>`` ports, ``m_rsp_valid/ready`` plus ``m_rsp_<field>`` ports, ``busy`` and a host
port (``hst_sel``, ``hst_addr``, ``hst_we``, ``hst_wdata``, ``hst_rdata`` one cycle after the
address) that reaches every memory while the unit is idle.  A test module describes its unit with a
:class:`UnitSpec` and builds :class:`UnitItem` s (command + input tensors + expected outputs from
the bit-exact models); this module does the rest:

* :class:`UnitBfm`: clock, reset, host-port loads/reads, the command stream (random valid delays)
  and the response stream (random ready back-pressure), stream-rule checks on both, every cycle.
* Driver: loads the item's inputs (the shadow of every memory follows), offers the command.
* Monitor: waits for the response, reads back *every word of every memory* and publishes it.
* Scoreboard: the read-back must equal the shadow with the expected outputs applied (OK) or the
  unchanged shadow (bad input: nothing written anywhere); the first wrong element is named as
  ``Tensor[c=.., y=.., x=..]`` with the seed; status, extra response fields and
  ``m_rsp_cycles`` (against the testbench's own count) are checked too.
* Coverage: calls the unit's sampling function (cocotb-coverage points) for every result.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import cocotb
from cocotb.clock import Clock
from cocotb.queue import Queue
from cocotb.triggers import ClockCycles, Event, ReadOnly, RisingEdge
from cocotb_coverage.coverage import coverage_db
from pyuvm import (ConfigDB, uvm_analysis_port, uvm_component, uvm_driver, uvm_env, uvm_root,
                   uvm_sequence, uvm_sequence_item, uvm_sequencer, uvm_subscriber, uvm_test)

from verif.common.checks import seed
from verif.common.fm_layout import Memories, Region
from verif.common.stream import never, random_pause

#: status codes shared by every unit (docs/units.md)
STATUS = {0: "OK", 1: "BAD_MODE", 2: "BAD_SHAPE", 3: "BAD_GEOMETRY", 4: "BAD_BUFFER",
          5: "BAD_LIST", 6: "BAD_INDEX", 7: "BAD_LABEL"}
OK, BAD_MODE, BAD_SHAPE, BAD_BUFFER, BAD_LABEL = 0, 1, 2, 4, 7


def status_name(s) -> str:
    return "none" if s is None else STATUS.get(s, f"status{s}")


def high_bits(value: int, max_legal: int, width: int) -> int:
    """``value`` with every bit above the bit length of ``max_legal`` (the largest legal value
    of its command field) set, masked to the port ``width``: always above ``max_legal``, so
    illegal, and it drives every upper bit of the field (toggle coverage of the bits a legal
    command never reaches).  Equal to ``value`` when the field has no such bits."""
    return (value | ~((1 << max(0, max_legal).bit_length()) - 1)) & ((1 << width) - 1)


def cmd_width(field_: str) -> int:
    """Width in bits of the harness port ``s_cmd_<field_>`` (the unit's command field)."""
    return len(getattr(cocotb.top, f"s_cmd_{field_}"))


def high_bits_kw(item, field_: str, max_legal: int) -> dict | None:
    """``{field_: value}`` with every bit of ``item``'s command field above ``max_legal``'s range
    set (:func:`high_bits`), noted in the item's description; None when the field has no such
    bit at these parameters (nothing to test)."""
    legal = item.cmd[field_]
    value = high_bits(legal, max_legal, cmd_width(field_))
    if value == legal:
        return None
    item.desc += f" high bits: {field_}={value:#x} (legal {legal}, max legal {max_legal})"
    return {field_: value}


@dataclass
class UnitSpec:
    """What the environment needs to know about a unit harness."""
    name: str
    cmd_fields: list[str]
    rsp_fields: list[str]              # beyond status and cycles
    lanes: int
    depths: dict[int, int]             # host-port select -> words
    widths: dict[int, int]             # host-port select -> bits (stack: 16 per pixel)
    sample: Callable | None = None     # coverage sampling: sample(item, result)


# ====================================================================================== BFM
@dataclass
class Response:
    status: int | None
    fields: dict = field(default_factory=dict)
    tb_cycles: int | None = None
    note: str = ""


class UnitBfm:
    """Owns the harness pins; one coroutine drives and checks both streams every cycle."""

    def __init__(self, dut, spec: UnitSpec, idle: float = 0.0, backpressure: float = 0.0):
        self.dut, self.spec = dut, spec
        self.clk = dut.clk
        self.cmd_h = {f: getattr(dut, f"s_cmd_{f}") for f in spec.cmd_fields}
        self.rsp_h = {f: getattr(dut, f"m_rsp_{f}") for f in ["status", "cycles"] + spec.rsp_fields}
        self.cycle = 0
        self.accept_cycle: int | None = None
        self.rsp_valid_cycle: int | None = None
        self.responses: list[dict] = []
        self.accepted: Queue = Queue()
        self.errors: list[str] = []
        self.resets = 0
        self.n_accepted = 0
        self.mem = Memories(spec.lanes, spec.depths, spec.widths)
        self._q: list[tuple[dict, object]] = []
        self._in_reset = True
        self._idle = random_pause(idle) if idle else never()
        self._bp = random_pause(backpressure) if backpressure else never()
        Clock(self.clk, 10, unit="ns").start()
        dut.rst.value = 1
        for n in ("hst_we", "hst_sel", "hst_addr", "hst_wdata", "s_cmd_valid"):
            getattr(dut, n).value = 0
        dut.m_rsp_ready.value = 1
        for h in self.cmd_h.values():
            h.value = 0
        cocotb.start_soon(self._pins())

    def _fail(self, msg: str) -> None:
        msg = f"stream rule broken at cycle {self.cycle}: {msg}"
        self.errors.append(msg)
        cocotb.log.error(msg)

    async def _pins(self) -> None:
        d = self.dut
        offered = None
        accepted = False
        cmd_stalled = rsp_stalled = None
        while True:
            await RisingEdge(self.clk)
            self.cycle += 1
            if accepted:
                offered, accepted = None, False
            if self._in_reset:
                offered = cmd_stalled = rsp_stalled = None
            if offered is None and self._q and not self._in_reset and not next(self._idle):
                offered = self._q.pop(0)
                for n, v in offered[0].items():
                    self.cmd_h[n].value = v
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
            if cv and cmd_stalled is not None:
                word = {n: int(h.value) for n, h in self.cmd_h.items()}
                if word != cmd_stalled:
                    self._fail(f"s_cmd fields changed while stalled: {cmd_stalled} -> {word}")
            elif not cv and cmd_stalled is not None:
                self._fail("s_cmd_valid dropped while stalled")
            cmd_stalled = {n: int(h.value) for n, h in self.cmd_h.items()} if cv and not cr else None
            if cv and cr:
                accepted = True
                self.n_accepted += 1
                self.accept_cycle = self.cycle
                self.rsp_valid_cycle = None
                self.accepted.put_nowait((offered[1], self.cycle))
            if rv:
                if self.rsp_valid_cycle is None:
                    self.rsp_valid_cycle = self.cycle
                word = {n: int(h.value.resolve("zeros")) for n, h in self.rsp_h.items()}
                if rsp_stalled is not None and word != rsp_stalled:
                    self._fail(f"m_rsp fields changed while stalled: {rsp_stalled} -> {word}")
                if rr:
                    tb = None if self.accept_cycle is None else self.rsp_valid_cycle - self.accept_cycle
                    self.responses.append({**word, "_tb_cycles": tb})
                    rsp_stalled = None
                else:
                    rsp_stalled = word
            elif rsp_stalled is not None:
                self._fail(f"m_rsp_valid dropped while stalled (word {rsp_stalled})")
                rsp_stalled = None

    async def reset(self, cycles: int = 3) -> None:
        self.dut.rst.value = 1
        self._in_reset = True
        self._q.clear()
        self.resets += 1
        await ClockCycles(self.clk, cycles)
        self.dut.rst.value = 0
        await RisingEdge(self.clk)
        self._in_reset = False
        self.accept_cycle = None

    # ---- host port
    async def write(self, sel: int, addrs) -> None:
        """Write the shadow's words at ``addrs`` of memory ``sel`` (one a cycle)."""
        d = self.dut
        words = self.mem.words[sel]
        for a in sorted(addrs):
            await RisingEdge(self.clk)
            d.hst_sel.value = sel
            d.hst_addr.value = a
            d.hst_wdata.value = words[a]
            d.hst_we.value = 1
        await RisingEdge(self.clk)
        d.hst_we.value = 0

    async def read_all(self) -> Memories:
        """Every word of every memory (keep the test parameter sets' memories small)."""
        d = self.dut
        got = self.mem.copy()
        for sel, depth in self.spec.depths.items():
            prev = None
            for a in list(range(depth)) + [None]:
                await RisingEdge(self.clk)
                if a is not None:
                    d.hst_sel.value = sel
                    d.hst_addr.value = a
                    d.hst_we.value = 0
                await ReadOnly()
                if prev is not None:
                    got.words[sel][prev] = int(d.hst_rdata.value.resolve("zeros"))
                prev = a
        await RisingEdge(self.clk)
        return got

    async def fill_random(self, rnd: random.Random) -> None:
        """Random garbage in every memory (so reads of unloaded words and stray writes show)."""
        for sel, depth in self.spec.depths.items():
            bits = self.spec.widths[sel] * (2 * self.spec.lanes if sel == 0 else 1)
            for a in range(depth):
                self.mem.words[sel][a] = rnd.getrandbits(bits)
            await self.write(sel, range(depth))

    async def load(self, inputs: list[tuple[Region, object]]) -> None:
        touched: dict[int, set[int]] = {}
        for r, arr in inputs:
            touched.setdefault(r.sel, set()).update(self.mem.put(r, arr))
        for sel, addrs in touched.items():
            await self.write(sel, addrs)

    # ---- command
    def queue(self, cmd: dict, item=None) -> None:
        self._q.append((cmd, item))

    async def send(self, cmd: dict, item=None) -> None:
        n0 = self.n_accepted
        self.queue(cmd, item)
        while self.n_accepted == n0:
            await RisingEdge(self.clk)

    async def wait_response(self, max_cycles: int) -> Response:
        start, resets = self.cycle, self.resets
        while not self.responses:
            if self.resets != resets:
                return Response(None, note="reset")
            if self.cycle - start > max_cycles:
                return Response(None, note=f"no response within {max_cycles} cycles (hang)")
            await RisingEdge(self.clk)
        w = self.responses.pop(0)
        tb = w.pop("_tb_cycles")
        return Response(w.pop("status"), w, tb)


# ================================================================================ sequence item
class UnitItem(uvm_sequence_item):
    """One command, its input tensors and the expected result.

    ``inputs``: ``[(Region, array)]`` loaded before the command; ``outputs``: ``[(Region, array)]``
    the command must write (nothing else may change); ``expect``: status; ``rsp``: expected extra
    response fields; ``wrong``: perturb the expectation (checker self-test); ``reset_after``:
    reset this many cycles after the accept; ``tags``: free-form, for coverage.
    """

    def __init__(self, name, cmd: dict, inputs=None, outputs=None, expect: int = OK,
                 rsp: dict | None = None, kind: str = "random", wrong: bool = False,
                 reset_after: int | None = None, budget: int = 20000, tags: dict | None = None,
                 desc: str = ""):
        super().__init__(name)
        self.cmd, self.inputs, self.outputs = cmd, inputs or [], outputs or []
        self.expect, self.rsp = expect, rsp or {}
        self.kind, self.wrong, self.reset_after = kind, wrong, reset_after
        self.budget, self.tags, self.desc = budget, tags or {}, desc
        self.done = Event()

    def regions(self) -> list[Region]:
        return [r for r, _ in self.outputs] + [r for r, _ in self.inputs]

    def __str__(self):
        return f"{self.get_name()} [{self.kind}] {self.desc or self.cmd}"


@dataclass
class Result:
    item: UnitItem
    rsp: Response
    before: Memories | None = None
    got: Memories | None = None
    stall: bool = False


class ItemSeq(uvm_sequence):
    def __init__(self, name="seq", items=None):
        super().__init__(name)
        self.items = items or []

    async def body(self):
        for item in self.items:
            await self.start_item(item)
            await self.finish_item(item)


#: run knobs of the current cocotb test (uvm_root().run_test clears the ConfigDB)
CFG: dict = {}
#: components of the last run
LAST: dict = {}


class Driver(uvm_driver):
    def start_of_simulation_phase(self):
        self.bfm = CFG["bfm"]

    async def run_phase(self):
        bfm = self.bfm
        await bfm.reset()
        await bfm.fill_random(random.Random(random.getrandbits(32)))
        while True:
            item = await self.seq_item_port.get_next_item()
            self.logger.debug("send %s", item)
            await bfm.load(item.inputs)
            item.before = bfm.mem.copy()
            await bfm.send(item.cmd, item)
            if item.reset_after is not None:
                await ClockCycles(bfm.clk, item.reset_after)
                await bfm.reset(cycles=random.randint(1, 4))
            await item.done.wait()
            self.seq_item_port.item_done()


class Monitor(uvm_component):
    def build_phase(self):
        self.ap = uvm_analysis_port("ap", self)

    def start_of_simulation_phase(self):
        self.bfm = CFG["bfm"]

    async def run_phase(self):
        bfm = self.bfm
        while True:
            item, _ = await bfm.accepted.get()
            rsp = await bfm.wait_response(item.budget)
            res = Result(item, rsp, before=item.before, stall=bool(CFG.get("stall")))
            if rsp.status is None and rsp.note == "reset":
                await ClockCycles(bfm.clk, 30)
                await ReadOnly()
                if bfm.responses or int(bfm.dut.m_rsp_valid.value):
                    rsp.note = "reset: a stale response came out after the reset"
                await RisingEdge(bfm.clk)
            elif rsp.status is None:
                await bfm.reset()
            res.got = await bfm.read_all()
            bfm.mem = res.got.copy()           # resynchronise the shadow (errors do not cascade)
            self.ap.write(res)
            item.done.set()


def check_result(res: Result) -> list[str]:
    item, rsp = res.item, res.rsp
    if item.reset_after is not None and rsp.status is None:
        return [rsp.note] if "stale" in rsp.note else []
    if rsp.status is None:
        return [rsp.note]
    if rsp.status != item.expect:
        return [f"status {status_name(rsp.status)} ({rsp.status}), expected {status_name(item.expect)}"]
    exp = res.before.copy()
    if item.expect == OK:
        for r, arr in item.outputs:
            exp.put(r, arr)
        if item.wrong and item.outputs:
            r, arr = item.outputs[0]
            exp.put(r, _flip_first(arr))
    errs = [f"memory written despite {status_name(item.expect)}: {e}" if item.expect != OK else e
            for e in exp.diff(res.got, item.regions())]
    if item.expect == OK:
        for k, v in item.rsp.items():
            if rsp.fields.get(k) != v:
                errs.append(f"m_rsp_{k}: expected {v}, got {rsp.fields.get(k)}")
    if rsp.tb_cycles is not None and abs(rsp.fields["cycles"] - rsp.tb_cycles) > 2:
        errs.append(f"m_rsp_cycles {rsp.fields['cycles']} but the testbench counted {rsp.tb_cycles}")
    return errs


def _flip_first(arr):
    a = arr.copy().reshape(-1)
    a[0] = a[0] ^ 1
    return a.reshape(arr.shape)


class Scoreboard(uvm_subscriber):
    def build_phase(self):
        self.errors: list[str] = []
        self.n = self.n_ok = 0
        self.cycles: list[tuple[str, int]] = []

    def write(self, res: Result):
        self.n += 1
        errs = check_result(res)
        item = res.item
        if errs:
            head = (f"{item} -> status {status_name(res.rsp.status)}, seed {seed()} "
                    f"(rerun: SEED={seed()})")
            self.logger.error("FAIL %s\n    %s", head, "\n    ".join(errs))
            self.errors.append(f"{head}: {errs[0]}")
        else:
            self.n_ok += 1
            if res.rsp.status is not None:
                self.cycles.append((item.get_name(), res.rsp.fields["cycles"]))
                self.logger.info("ok   %s: status %s, %d cycles", item, status_name(res.rsp.status),
                                 res.rsp.fields["cycles"])

    def check_phase(self):
        n_items = CFG.get("n_items")
        if n_items is not None and self.n != n_items:
            self.errors.append(f"{n_items} commands sent but {self.n} results collected")
        if self.errors and CFG.get("raise_in_check", True):
            raise AssertionError(f"{len(self.errors)} failing command(s); first: {self.errors[0]}")
        self.logger.info("scoreboard: %d/%d commands correct", self.n_ok, self.n)


class Coverage(uvm_subscriber):
    def write(self, res: Result):
        sample = CFG["spec"].sample
        if sample is not None:
            sample(res)


class UnitEnv(uvm_env):
    def build_phase(self):
        stall = CFG.get("stall")
        CFG["bfm"] = UnitBfm(cocotb.top, CFG["spec"], idle=0.3 if stall else 0.0,
                             backpressure=0.5 if stall else 0.0)
        self.seqr = uvm_sequencer("seqr", self)
        self.driver = Driver("driver", self)
        self.monitor = Monitor("monitor", self)
        self.scoreboard = Scoreboard("scoreboard", self)
        self.coverage = Coverage("coverage", self)
        ConfigDB().set(None, "*", "SEQR", self.seqr)

    def connect_phase(self):
        self.driver.seq_item_port.connect(self.seqr.seq_item_export)
        self.monitor.ap.connect(self.scoreboard.analysis_export)
        self.monitor.ap.connect(self.coverage.analysis_export)
        LAST["scoreboard"] = self.scoreboard


class UnitTest(uvm_test):
    def build_phase(self):
        self.env = UnitEnv("env", self)

    async def run_phase(self):
        self.raise_objection()
        items = CFG["items"]
        CFG["n_items"] = len(items)
        await ItemSeq("seq", items).start(self.env.seqr)
        await ClockCycles(CFG["bfm"].clk, 5)
        self.drop_objection()


async def run_items(spec: UnitSpec, items: list[UnitItem], stall: bool = False,
                    raise_in_check: bool = True):
    """Run ``items`` through a fresh environment (one cocotb test)."""
    CFG.clear()
    CFG.update(spec=spec, items=items, stall=stall, raise_in_check=raise_in_check)
    cocotb.log.info("seed %s, %d commands, stall=%s", seed(), len(items), stall)
    await uvm_root().run_test(UnitTest)
    bfm = CFG["bfm"]
    assert not bfm.errors, f"stream rule broken: {bfm.errors[0]}"
    return LAST["scoreboard"]


def coverage_holes(prefix: str, path: Path | None = None) -> list[str]:
    """Empty bins of every cover point / cross under ``prefix`` (exports YAML when ``path``)."""
    if path is not None:
        coverage_db.export_to_yaml(filename=str(path))
    holes = []
    for name in sorted(coverage_db):
        if not name.startswith(prefix + "."):
            continue
        cp = coverage_db[name]
        if type(cp).__name__ not in ("CoverPoint", "CoverCross"):
            continue
        miss = [b for b, h in cp.detailed_coverage.items() if not h]
        if miss:
            holes.append(f"{name}: {len(miss)}/{len(cp.detailed_coverage)} bins empty, e.g. {miss[:4]}")
    return holes
