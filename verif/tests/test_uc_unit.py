"""pyuvm testbench of the UC unit through verif/hdl/uc_unit_harness.v (contract: docs/uc_unit.md).

Structure (as pyuvm's TinyALU example): the sequence item is one command with everything it reads
(:class:`UcItem`, constrained-random ``randomize()``); :class:`verif.common.uc_bfm.UcBfm` owns the pins;
the Driver loads the memories through the harness host port and offers the command (random valid
delays); the Monitor waits for the response (random ready back-pressure), reads the output
buffers back and publishes a :class:`UcResult`; the Scoreboard compares every element with
``UcLayer.expected_images`` bit-exactly (first wrong element named, with mode and seed); the
Coverage subscriber fills cocotb-coverage bins and writes ``uc_unit_coverage.yml`` into the
test directory.  Stream rules on ``s_cmd_*``/``m_rsp_*`` are checked every cycle.

Knobs: ``UC_CASES`` random commands per random test (default 16), ``COCOTB_RANDOM_SEED``.
"""

from __future__ import annotations

import os
import random
from pathlib import Path

import cocotb
import numpy as np
import pytest
from cocotb.triggers import ClockCycles, Event, ReadOnly, RisingEdge
from cocotb_coverage.coverage import CoverCross, CoverPoint, coverage_db
from pyuvm import (ConfigDB, uvm_analysis_port, uvm_component, uvm_driver, uvm_env, uvm_root,
                   uvm_sequence, uvm_sequence_item, uvm_sequencer, uvm_subscriber, uvm_test)

from sparsetrain.uc import CMD_FIELDS, Mode, Sel, Status, UcParams, to_u
from verif.common.checks import dut_params, seed
from verif.common.uc_bfm import UcBfm, UcResponse, UcResult, compare, status_name
from verif.common.unit_env import high_bits
from verif.common.uc_random import Constraints, random_layer
from verif.common.uc_stimulus import UcLayer, readback_plan

UC_CASES = int(os.environ.get("UC_CASES", "16"))
HDL_DEFAULTS = UcParams().to_hdl()
#: run knobs of the current cocotb test (uvm_root().run_test clears the ConfigDB)
CFG: dict = {}
#: components of the last run, for tests that inspect them afterwards
LAST: dict = {}


def params() -> UcParams:
    return UcParams.from_hdl(dut_params(HDL_DEFAULTS))


def small_cons(**kw) -> Constraints:
    """Sizes that keep a command (and its load) to a few thousand cycles on Icarus."""
    p = params()
    base = dict(cmax=5, hmax=12 if p.lanes > 1 else 8, cycle_budget=4000 if p.lanes > 1 else 6000,
                # rows of more than one stack word (W > 2L) at every LANES
                wmax=2 * p.banks + 4 if p.lanes > 1 else 8)
    base.update(kw)
    return Constraints(**base)


# ================================================================================ sequence item
class UcItem(uvm_sequence_item):
    """One command plus its memory contents.

    ``expect``: status the unit must answer; ``snapshot``: dump every memory before and after
    (no-write check); ``corrupt``: ``{Sel: {addr: word}}`` written over the images;
    ``reset_after``: assert reset this many cycles after the accept; ``wrong``: the scoreboard
    uses a deliberately wrong expectation (checker self-test).
    """

    def __init__(self, name, layer: UcLayer | None = None, cons: Constraints | None = None,
                 expect: int = Status.OK, snapshot: bool = False, corrupt: dict | None = None,
                 reset_after: int | None = None, wrong: bool = False, kind: str = "random"):
        super().__init__(name)
        self.layer, self.cons = layer, cons
        self.expect, self.snapshot, self.corrupt = expect, snapshot, corrupt or {}
        self.reset_after, self.wrong, self.kind = reset_after, wrong, kind
        self.note = ""      # printed with the item (e.g. the high-bits field and value)
        self.done = Event()

    def randomize(self):
        self.layer = random_layer(random, params(), self.cons or small_cons())

    def images(self) -> dict:
        img = self.layer.images()
        for sel, words in self.corrupt.items():
            img[sel].update(words)
        return img

    def budget(self) -> int:
        try:
            est = self.layer.est_cycles()
        except (ValueError, ZeroDivisionError):
            est = 500
        if self.kind == "high_bits":
            # rejected in the check cycles: a huge field must not buy a huge hang budget
            return min(4 * est + 2000, 2000)
        return 4 * est + 2000

    def __str__(self):
        c, L = self.layer.cmd, self.layer
        t = L.tags
        return (f"{self.get_name()} [{self.kind}] {L.cmd.mode_name()} C={c.cin} N={c.cout} "
                f"H={c.h} W={c.w} K={c.k} s={c.stride} d={c.dil} p={c.pad} shift={c.shift} "
                f"relu={c.relu} bgrad={c.bgrad} gacc={c.gacc} nnz={L.nnz} "
                f"sparsity={t.get('sparsity', L.sw.sparsity):.2f} {t.get('pruning', '')}"
                + (f" {self.note}" if self.note else ""))


class ItemSeq(uvm_sequence):
    """Runs a list of items; items without a layer are randomized."""

    def __init__(self, name="seq", items=None):
        super().__init__(name)
        self.items = items or []

    async def body(self):
        for item in self.items:
            await self.start_item(item)
            if item.layer is None:
                item.randomize()
            await self.finish_item(item)


# ==================================================================================== driver
class Driver(uvm_driver):
    def start_of_simulation_phase(self):
        self.bfm = CFG["bfm"]

    async def run_phase(self):
        await self.bfm.reset()
        while True:
            item = await self.seq_item_port.get_next_item()
            self.logger.info("send %s", item)
            if item.snapshot and item.expect != Status.OK:
                await self.bfm.shadow_snapshot()       # full dump once, then tracked
                await self.bfm.load(item.images())
                item.before = await self.bfm.shadow_snapshot()
            else:
                self.bfm.invalidate_shadow()
                await self.bfm.load(item.images())
                if item.snapshot:
                    item.before = await self.bfm.snapshot()
            await self.bfm.send(item.layer, item)
            if item.reset_after is not None:
                await ClockCycles(self.bfm.clk, item.reset_after)
                await self.bfm.reset(cycles=random.randint(1, 4))
            await item.done.wait()
            self.seq_item_port.item_done()


# =================================================================================== monitor
class Monitor(uvm_component):
    """Collects each command's response, cycle count and read-back memory."""

    def build_phase(self):
        self.ap = uvm_analysis_port("ap", self)

    def start_of_simulation_phase(self):
        self.bfm = CFG["bfm"]

    async def run_phase(self):
        bfm = self.bfm
        while True:
            item, resets = await bfm.accepted.get()
            rsp = await bfm.wait_response(item.budget(), resets)
            res = UcResult(item, rsp, before=getattr(item, "before", None))
            if rsp.status is None and rsp.note == "reset":
                # a lost command: nothing may come out for it afterwards
                await ClockCycles(bfm.clk, 30)
                await ReadOnly()
                if bfm.responses or int(bfm.dut.m_rsp_valid.value):
                    res.rsp.note = "reset: a stale response came out after the reset"
                await RisingEdge(bfm.clk)
            elif rsp.status is None:
                await bfm.reset()          # recover from a hang, the scoreboard fails it
            elif item.snapshot:
                res.got = await bfm.snapshot()
                if rsp.status == Status.OK:
                    bfm.invalidate_shadow()
            elif rsp.status == Status.OK:
                res.got = await bfm.read_plan(readback_plan(item.layer))
            self.ap.write(res)
            item.done.set()


# ================================================================================ scoreboard
def check_result(res: UcResult) -> list[str]:
    """Problems of one result (empty list: correct)."""
    item, rsp, layer = res.item, res.rsp, res.item.layer
    if item.reset_after is not None and rsp.status is None:
        return [rsp.note] if rsp.note != "reset" else []
    if rsp.status is None:
        return [rsp.note]
    if rsp.status != item.expect:
        return [f"status {status_name(rsp.status)} ({rsp.status}), expected {status_name(item.expect)}"]
    errs = []
    if item.expect != Status.OK:
        # no memory may change: the whole snapshot must equal the one taken before
        errs += [f"memory written despite {status_name(item.expect)}: {e}"
                 for e in compare(layer, res.got, res.before, skip_output_slack=False)]
        return errs
    exp = layer.expected()
    if item.wrong:  # checker self-test: perturb the first element of the first output
        key = next(k for k, v in exp.items() if v is not None)
        exp[key] = exp[key].copy()
        exp[key].flat[0] = exp[key].flat[0] ^ 1
    before = item.images()
    errs += compare(layer, res.got, layer.expected_images(before, exp))
    if rsp.tb_cycles is not None and abs(rsp.cycles - rsp.tb_cycles) > 2:
        errs.append(f"m_rsp_cycles {rsp.cycles} but the testbench counted {rsp.tb_cycles} cycles "
                    f"from accept to response")
    # FWD / WGRAD spend a cycle per weight and output vector, so nnz*Ho*Wo/L bounds them from
    # below (BWD_DATA does not: with padding, Ho*Wo may exceed the H*W pixels it computes)
    if layer.mode in (Mode.FWD, Mode.WGRAD) and rsp.cycles < layer.ideal_cycles():
        errs.append(f"m_rsp_cycles {rsp.cycles} below the physical limit {layer.ideal_cycles():.1f}")
    # (how fast is the bench's business: bench/uc_unit.py, never an assertion here)
    return errs


class Scoreboard(uvm_subscriber):
    def build_phase(self):
        self.errors: list[str] = []
        self.n = 0
        self.n_ok = 0
        self.cycle_diffs: dict[int, int] = {}    # m_rsp_cycles - testbench count -> occurrences
        self.raise_in_check = CFG.get("raise_in_check", True)

    def write(self, res: UcResult):
        self.n += 1
        if res.rsp.cycles is not None and res.rsp.tb_cycles is not None:
            d = res.rsp.cycles - res.rsp.tb_cycles
            self.cycle_diffs[d] = self.cycle_diffs.get(d, 0) + 1
        errs = check_result(res)
        item = res.item
        if errs:
            head = (f"{item} -> status {status_name(res.rsp.status)}: mode {item.layer.cmd.mode_name()}, "
                    f"seed {seed()} (rerun: COCOTB_RANDOM_SEED={seed()})")
            if item.wrong:   # checker self-test: this mismatch is the expected outcome
                self.logger.info("checker self-test caught %s\n    %s", head, errs[0])
                self.errors.append(f"{head}: {errs[0]}")
                return
            self.logger.error("FAIL %s\n    %s", head, "\n    ".join(errs))
            try:  # the failing stimulus and read-back, for offline debugging
                import pickle
                with open(Path.cwd() / f"uc_fail_{item.get_name()}.pkl", "wb") as f:
                    pickle.dump({"layer": item.layer, "got": res.got, "rsp": res.rsp,
                                 "images": item.images(), "expect": item.expect}, f)
            except Exception as e:  # noqa: BLE001
                self.logger.warning("could not save the failing case: %s", e)
            self.errors.append(f"{head}: {errs[0]}")
        else:
            self.n_ok += 1
            if res.rsp.cycles is not None and item.expect == Status.OK and item.reset_after is None:
                lay = item.layer
                self.logger.info("ok   %s: %d cycles (ideal %.1f, est %d)", item.get_name(),
                                 res.rsp.cycles, lay.ideal_cycles(), lay.est_cycles())

    def check_phase(self):
        n_items = CFG.get("n_items")
        if n_items is not None and self.n != n_items:
            self.errors.append(f"{n_items} commands sent but {self.n} results collected")
        if self.errors and self.raise_in_check:
            raise AssertionError(f"{len(self.errors)} failing command(s); first: {self.errors[0]}")
        self.logger.info("scoreboard: %d/%d commands correct; m_rsp_cycles - testbench count: %s",
                         self.n_ok, self.n, self.cycle_diffs)


# ================================================================================== coverage
def _spbin(sp: float) -> str:
    return "0" if sp == 0 else "100" if sp >= 1 else "1-49" if sp < 0.5 else "50-89" if sp < 0.9 else "90-99"


def _kbin(k: int) -> str:
    return "1" if k == 1 else "2" if k == 2 else "3" if k == 3 else "4-5" if k <= 5 else "6+"


def _padbin(c) -> str:
    pmax = c.dil * (c.k // 2)
    return "0" if c.pad == 0 else "max" if c.pad == pmax else "mid"


MODES = [m.name for m in Mode]
SAMPLE_BINS = dict(
    mode=MODES, stride=[1, 2], dil=[1, 2, 3, 4], pad=["0", "mid", "max"],
    kernel=["1", "2", "3", "4-5", "6+"], sparsity=["0", "1-49", "50-89", "90-99", "100"],
)


@CoverPoint("uc.mode", xf=lambda f: f["mode"], bins=MODES)
@CoverPoint("uc.stride", xf=lambda f: f["stride"], bins=SAMPLE_BINS["stride"])
@CoverPoint("uc.dilation", xf=lambda f: f["dil"], bins=SAMPLE_BINS["dil"])
@CoverPoint("uc.pad", xf=lambda f: f["pad"], bins=SAMPLE_BINS["pad"])
@CoverPoint("uc.kernel", xf=lambda f: f["kernel"], bins=SAMPLE_BINS["kernel"])
@CoverPoint("uc.sparsity", xf=lambda f: f["sparsity"], bins=SAMPLE_BINS["sparsity"])
@CoverPoint("uc.pruning", xf=lambda f: f["pruning"], bins=["threshold", "balanced"])
@CoverCross("uc.mode_x_stride", items=["uc.mode", "uc.stride"])
@CoverCross("uc.mode_x_dilation", items=["uc.mode", "uc.dilation"])
@CoverCross("uc.mode_x_pad", items=["uc.mode", "uc.pad"])
@CoverCross("uc.mode_x_kernel", items=["uc.mode", "uc.kernel"])
@CoverCross("uc.mode_x_sparsity", items=["uc.mode", "uc.sparsity"])
@CoverCross("uc.stride_x_dilation_x_pad", items=["uc.stride", "uc.dilation", "uc.pad"])
@CoverPoint("uc.flags.saturation", xf=lambda f: f["sat"], bins=[True])
@CoverPoint("uc.flags.empty_filter", xf=lambda f: f["empty"], bins=[True])
@CoverPoint("uc.flags.all_zero", xf=lambda f: f["nnz"] == 0, bins=[True])
@CoverPoint("uc.flags.depthwise", xf=lambda f: f["depthwise"], bins=[True])
@CoverPoint("uc.flags.relu", xf=lambda f: f["relu"], bins=[True])
@CoverPoint("uc.flags.wgrad_gacc_bgrad", xf=lambda f: f["wgrad_flags"],
            bins=[(0, 0), (0, 1), (1, 0), (1, 1)])
@CoverPoint("uc.flags.wo_not_multiple_of_lanes", xf=lambda f: f["ragged"], bins=[True])
@CoverPoint("uc.flags.multiword_rows", xf=lambda f: f["multiword"], bins=[True])
@CoverPoint("uc.stall", xf=lambda f: f["stall"], bins=[False, True])
def _sample_ok(f):
    pass


@CoverPoint("uc.status", xf=lambda s: s, bins=[s.name for s in Status])
def _sample_status(s):
    pass


@CoverPoint("uc.reset_mid_command", xf=lambda b: b, bins=[True])
def _sample_reset(b):
    pass


def saturated(layer: UcLayer, exp: dict) -> bool:
    """Did any output hit a saturation limit?"""
    lim = {"y": 16, "dx": 16, "wgt": 16, "grad": 32, "bgrad": 32, "bias": 32}
    for k, v in exp.items():
        if v is None or k not in lim or not np.size(v):
            continue
        if layer.mode == Mode.UPDATE and k in ("grad", "bgrad"):
            continue
        hi = (1 << (lim[k] - 1)) - 1
        if (np.asarray(v, dtype=np.int64) >= hi).any() or (np.asarray(v, dtype=np.int64) <= -hi - 1).any():
            return True
    return False


class Coverage(uvm_subscriber):
    def write(self, res: UcResult):
        item, rsp = res.item, res.rsp
        if item.reset_after is not None and rsp.status is None:
            _sample_reset(True)
            return
        if rsp.status is None:
            return
        _sample_status(status_name(rsp.status))
        if rsp.status != Status.OK:
            return
        lay = item.layer
        c = lay.cmd
        exp = lay.expected()
        _sample_ok(dict(
            mode=Mode(c.mode).name, stride=c.stride, dil=c.dil, pad=_padbin(c), kernel=_kbin(c.k),
            sparsity=_spbin(lay.sw.sparsity), pruning=lay.tags.get("pruning", "threshold"),
            sat=saturated(lay, exp), empty=bool((lay.sw.fwd_count == 0).any()) and lay.nnz > 0,
            nnz=lay.nnz, depthwise=bool(lay.tags.get("depthwise")), relu=bool(c.relu and c.mode == 0),
            wgrad_flags=(c.gacc, c.bgrad) if c.mode == Mode.WGRAD else None,
            ragged=c.mode != Mode.UPDATE and c.wo % lay.params.lanes != 0,
            multiword=c.mode != Mode.UPDATE and c.w > lay.params.banks,
            stall=bool(CFG.get("stall"))))

    def report_phase(self):
        path = Path.cwd() / "uc_unit_coverage.yml"
        coverage_db.export_to_yaml(filename=str(path))
        holes = []
        for name in sorted(coverage_db):
            cp = coverage_db[name]
            if not hasattr(cp, "detailed_coverage") or name.count(".") < 1:
                continue
            if type(cp).__name__ not in ("CoverPoint", "CoverCross"):
                continue
            miss = [b for b, h in cp.detailed_coverage.items() if not h]
            if miss:
                holes.append(f"{name}: {len(miss)}/{len(cp.detailed_coverage)} bins empty, e.g. {miss[:4]}")
        self.logger.info("coverage %.1f%% (cumulative over this run) -> %s",
                         coverage_db["uc"].cover_percentage, path)
        for h in holes:
            self.logger.info("coverage hole: %s", h)


# ======================================================================================= env
class UcEnv(uvm_env):
    def build_phase(self):
        CFG["bfm"] = UcBfm(cocotb.top, params(), idle=0.3 if CFG.get("stall") else 0.0,
                           backpressure=0.5 if CFG.get("stall") else 0.0)
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


class UcTest(uvm_test):
    """Base test: runs ``CFG["items"]`` (a list of UcItem) through the environment."""

    def build_phase(self):
        self.env = UcEnv("env", self)

    async def run_phase(self):
        self.raise_objection()
        items = CFG["items"]
        CFG["n_items"] = len(items)
        await ItemSeq("seq", items).start(self.env.seqr)
        await ClockCycles(CFG["bfm"].clk, 5)
        self.drop_objection()


async def run_items(items, stall=False, raise_in_check=True):
    CFG.clear()
    CFG.update(items=items, stall=stall, raise_in_check=raise_in_check)
    cocotb.log.info("seed %s, %d commands, stall=%s, params %s", seed(), len(items), stall, params())
    await uvm_root().run_test(UcTest)
    bfm = CFG["bfm"]
    assert not bfm.errors, f"stream rule broken: {bfm.errors[0]}"


def _timeout(cmds: int):
    # Icarus at a few 10k cycles/s; generous
    return {"timeout_time": 60 + cmds * 30, "timeout_unit": "sec"}


# ============================================================================ directed items
KINDS = ["pointwise", "depthwise", "kmax", "atrous", "stride2", "pad_edges", "empty_filters",
         "all_zero", "dense", "saturation"]


def kind_cons(kind: str, mode: int, rnd: random.Random) -> Constraints:
    p = params()
    c = dict(mode=mode)
    if kind == "pointwise":
        c.update(k=1, dil=1, pad=0, cmax=6)
    elif kind == "depthwise":
        c.update(depthwise=True, k=3, cmax=6)
    elif kind == "kmax":
        c.update(k=p.kmax, cmax=2, hmax=p.kmax + 3, dil=1, cycle_budget=8000)
    elif kind == "atrous":
        c.update(k=3, dil=rnd.randint(2, 4))
    elif kind == "stride2":
        c.update(stride=2, k=rnd.choice([1, 2, 3, 5]))
    elif kind == "pad_edges":
        k = rnd.choice([3, 5])
        d = rnd.choice([1, 2])
        c.update(k=k, dil=d, pad=d * (k // 2), hmax=min(6, d * (k - 1) + 1))
    elif kind == "empty_filters":
        c.update(empty_filters=rnd.randint(1, 3), sparsity=0.5, depthwise=False)
    elif kind == "all_zero":
        c.update(sparsity=1.0)
    elif kind == "dense":
        c.update(sparsity=0.0, depthwise=False)
    elif kind == "saturation":
        c.update(saturate=True)
    return small_cons(**c)


def geometry_items() -> list[UcItem]:
    """One command per bin of the stride x dilation x padding cross (k = 3, or 5 when a middle
    padding needs it), the mode rotating: the cross closes whatever the seed."""
    items = []
    modes = list(Mode)
    i = 0
    for stride in SAMPLE_BINS["stride"]:
        for dil in SAMPLE_BINS["dil"]:
            for pad_bin in SAMPLE_BINS["pad"]:
                k = 5 if (pad_bin == "mid" and dil == 1) else 3
                pmax = dil * (k // 2)
                pad = {"0": 0, "mid": pmax // 2 if pmax > 1 else 1, "max": pmax}[pad_bin]
                span = dil * (k - 1) + 1
                mode = modes[i % len(modes)]
                i += 1
                cons = small_cons(mode=mode, k=k, stride=stride, dil=dil, pad=pad, cmax=2,
                                  hmax=max(span - 2 * pad + 2, 6), wmax=None, cycle_budget=8000)
                items.append(UcItem(f"geometry_s{stride}_d{dil}_p{pad_bin}_{mode.name}", cons=cons,
                                    kind="geometry"))
    return items


def directed_items() -> list[UcItem]:
    items = []
    for kind in KINDS:
        for mode in Mode:
            cons = kind_cons(kind, mode, random)
            items.append(UcItem(f"{kind}_{mode.name}", cons=cons, kind=kind))
    return items + geometry_items()


#: command fields without an illegal value (every value of the port width is legal)
FULL_WIDTH_FIELDS = ("relu", "bgrad", "gacc", "lr_mult", "lr_shift", "lr_mult_b", "lr_shift_b")


def high_bits_table(p: UcParams) -> list[tuple[str, int, tuple, Status]]:
    """``(field, largest legal value, modes that check the field, status)`` for every command
    field with illegal values.  The status follows the RTL's check order (rtl/uc_unit/uc_unit.v,
    check step 0: mode, then stride/dil, then the shape fields; the buffer checks last) with every
    other field legal; a base is only checked in the modes that use its region (docs/uc_unit.md:
    UPDATE uses no map, BWD_DATA only the backward pointer table, bias in FWD/UPDATE/WGRAD+bgrad)."""
    every = tuple(Mode)
    maps = (Mode.FWD, Mode.BWD_DATA, Mode.WGRAD)
    return [
        ("mode", max(Mode), every, Status.BAD_MODE),
        ("stride", 2, every, Status.BAD_GEOMETRY),
        ("dil", 4, every, Status.BAD_GEOMETRY),
        ("cin", p.cmax, every, Status.BAD_SHAPE),
        ("cout", p.nmax, every, Status.BAD_SHAPE),
        ("h", p.hmax, every, Status.BAD_SHAPE),
        ("w", p.wmax, every, Status.BAD_SHAPE),
        ("k", p.kmax, every, Status.BAD_SHAPE),
        ("pad", 4 * (p.kmax // 2), every, Status.BAD_SHAPE),      # dil * (K / 2) at its largest
        ("shift", 31, every, Status.BAD_SHAPE),
        ("x_base", p.fm_depth - 1, maps, Status.BAD_BUFFER),
        ("y_base", p.fm_depth - 1, maps, Status.BAD_BUFFER),
        ("fptr_base", p.pdepth - 1, (Mode.FWD, Mode.WGRAD, Mode.UPDATE), Status.BAD_BUFFER),
        ("bptr_base", p.pdepth - 1, (Mode.BWD_DATA,), Status.BAD_BUFFER),
        ("bias_base", p.bdepth - 1, (Mode.FWD, Mode.WGRAD, Mode.UPDATE), Status.BAD_BUFFER),
    ]


def high_bits_items(rnd: random.Random, base) -> list[UcItem]:
    """The "high bits" family: for every command field with illegal values, a legal command
    (``base(mode)``, in a random mode that checks the field) with every bit of that one field
    above the largest legal value's bit length set.  Each must answer its status, write nothing
    and not hang; the commands after it drive the bits low again.  First, one legal UPDATE with
    the full-width fields (learning rates, flags) all ones, so their every bit is driven too."""
    p = params()
    table = high_bits_table(p)
    covered = {f for f, *_ in table} | set(FULL_WIDTH_FIELDS)
    assert covered == set(CMD_FIELDS), \
        f"command fields without a high-bits case: {set(CMD_FIELDS) - covered}"
    full = base(Mode.UPDATE).with_cmd(relu=1, bgrad=1, gacc=1, lr_mult=0xFFFF, lr_shift=63,
                                      lr_mult_b=0xFFFF, lr_shift_b=63)
    items = [UcItem("full_width_lr_flags", layer=full, kind="full_width")]
    for fld, max_legal, modes, expect in table:
        mode = rnd.choice(modes)
        lay = base(mode)
        if fld == "bias_base" and mode == Mode.WGRAD:
            lay = lay.with_cmd(bgrad=1)           # WGRAD checks the bias range only with bgrad
        old = getattr(lay.cmd, fld)
        v = high_bits(old, max_legal, CMD_FIELDS[fld])
        if v == old:
            continue        # no bit above the legal range at these parameters
        it = UcItem(f"high_bits_{fld}", layer=lay.with_cmd(**{fld: v}), expect=expect,
                    snapshot=True, kind="high_bits")
        it.note = f"high bits: {fld}={v:#x} (legal {old}, max legal {max_legal}) in {Mode(mode).name}"
        items.append(it)
    return items


def bad_items(rnd: random.Random) -> list[UcItem]:
    """One item per bad-input class of the status table (each must answer its status, write
    nothing, and not hang)."""
    p = params()
    fmt = p.fmt
    items: list[UcItem] = []

    def base(mode=Mode.FWD, **kw):
        lay = random_layer(rnd, p, small_cons(mode=mode, cmax=3, hmax=6, k=3, depthwise=False,
                                              sparsity=0.3, empty_filters=0, **kw))
        return lay

    def add(name, expect, lay, corrupt=None):
        items.append(UcItem(name, layer=lay, expect=expect, snapshot=True, corrupt=corrupt, kind="bad"))

    for m in (4, 5, 6, 7):
        add(f"bad_mode_{m}", Status.BAD_MODE, base().with_cmd(mode=m))
    # shape: zero / above the maximum, output < 1, pad too big
    for mode in (Mode.FWD, Mode.BWD_DATA, Mode.WGRAD):
        add(f"shape_cin0_{mode.name}", Status.BAD_SHAPE, base(mode).with_cmd(cin=0))
    add("shape_cout0", Status.BAD_SHAPE, base().with_cmd(cout=0))
    add("shape_h0", Status.BAD_SHAPE, base(Mode.BWD_DATA).with_cmd(h=0))
    add("shape_w0", Status.BAD_SHAPE, base(Mode.WGRAD).with_cmd(w=0))
    add("shape_k0", Status.BAD_SHAPE, base().with_cmd(k=0, pad=0))
    add("shape_cin_above_max", Status.BAD_SHAPE, base().with_cmd(cin=p.cmax + 1))
    add("shape_cout_above_max", Status.BAD_SHAPE, base().with_cmd(cout=p.nmax + 1))
    add("shape_h_above_max", Status.BAD_SHAPE, base().with_cmd(h=p.hmax + 1))
    add("shape_w_above_max", Status.BAD_SHAPE, base().with_cmd(w=p.wmax + 1))
    add("shape_k_above_max", Status.BAD_SHAPE, base().with_cmd(k=p.kmax + 1, pad=0))
    add("shape_no_output", Status.BAD_SHAPE, base().with_cmd(h=2, w=2, k=3, pad=0, dil=1))
    add("shape_no_output_dil", Status.BAD_SHAPE, base().with_cmd(h=6, w=6, k=3, pad=0, dil=4))
    add("shape_pad_too_big", Status.BAD_SHAPE, base().with_cmd(pad=2, k=3, dil=1))
    # geometry
    add("geometry_stride0", Status.BAD_GEOMETRY, base().with_cmd(stride=0))
    add("geometry_stride3", Status.BAD_GEOMETRY, base(Mode.BWD_DATA).with_cmd(stride=3))
    add("geometry_dil0", Status.BAD_GEOMETRY, base().with_cmd(dil=0, pad=0))
    add("geometry_dil5", Status.BAD_GEOMETRY, base(Mode.WGRAD).with_cmd(dil=5, pad=0))
    # buffers
    lay = base()
    xw = lay.regions()["x"].nwords
    add("buffer_x_beyond_stack", Status.BAD_BUFFER, lay.with_cmd(x_base=p.fm_depth - xw + 1))
    lay = base(Mode.BWD_DATA)
    yw = lay.regions()["y"].nwords
    add("buffer_y_beyond_stack", Status.BAD_BUFFER, lay.with_cmd(y_base=p.fm_depth - yw + 1))
    lay = base(Mode.FWD)
    xw, yw = lay.regions()["x"].nwords, lay.regions()["y"].nwords
    add("buffer_x_y_overlap", Status.BAD_BUFFER, lay.with_cmd(y_base=lay.cmd.x_base + xw - 1)
        if lay.cmd.x_base + xw - 1 + yw <= p.fm_depth
        else lay.with_cmd(y_base=lay.cmd.x_base - yw + 1))
    lay = base(Mode.BWD_DATA)
    add("buffer_same_base", Status.BAD_BUFFER, lay.with_cmd(y_base=lay.cmd.x_base))
    lay = base(Mode.FWD)
    add("buffer_fptr_beyond", Status.BAD_BUFFER, lay.with_cmd(fptr_base=p.pdepth - lay.cmd.cout + 1))
    lay = base(Mode.BWD_DATA)
    add("buffer_bptr_beyond", Status.BAD_BUFFER, lay.with_cmd(bptr_base=p.pdepth - lay.cmd.cin + 1))
    lay = base(Mode.FWD)
    add("buffer_bias_beyond", Status.BAD_BUFFER, lay.with_cmd(bias_base=p.bdepth - lay.cmd.cout + 1))
    add("buffer_x_base_huge", Status.BAD_BUFFER, base().with_cmd(x_base=0xFFFFFFF0))
    items.extend(high_bits_items(rnd, base))
    # lists: a pointer (start + count) beyond the weight memory
    aw = fmt.addr_w
    for mode, tab in ((Mode.FWD, "fptr"), (Mode.BWD_DATA, "bptr"), (Mode.WGRAD, "fptr"), (Mode.UPDATE, "fptr")):
        lay = base(mode)
        r = lay.regions()[tab]
        ent = rnd.randrange(r.nwords)
        word = (p.wdepth - 2) | (5 << aw)
        add(f"list_beyond_{mode.name}", Status.BAD_LIST, lay, {Sel.PTR: {r.base + ent: word}})
    lay = base(Mode.FWD)
    add("list_count_max", Status.BAD_LIST, lay,
        {Sel.PTR: {lay.cmd.fptr_base: 1 | (p.wdepth << aw)}})
    # indices: corrupt one FIDX / BIDX word
    kw, nw = fmt.k_w, fmt.n_w

    def fidx(lay, field_, value):
        a = rnd.randrange(lay.nnz)
        word = lay.sw.pack(fmt, lay.w_base, lay.b_base).fwd_idx[a]
        sh = {"kx": 0, "ky": kw, "c": 2 * kw}[field_]
        width = {"kx": kw, "ky": kw, "c": fmt.c_w}[field_]
        word = (word & ~(((1 << width) - 1) << sh)) | (value << sh)
        return {Sel.FIDX: {lay.w_base + a: word}}

    def bidx(lay, field_, value):
        b = rnd.randrange(lay.nnz)
        word = lay.sw.pack(fmt, lay.w_base, lay.b_base).bwd_idx[b]
        sh = {"kx": 0, "ky": kw, "n": 2 * kw}[field_]
        width = {"kx": kw, "ky": kw, "n": nw}[field_]
        word = (word & ~(((1 << width) - 1) << sh)) | (value << sh)
        return {Sel.BIDX: {lay.b_base + b: word}}

    # UPDATE reads no index entry (only the pointers' ranges are checked): not an index error
    for mode in (Mode.FWD, Mode.WGRAD):
        lay = base(mode)
        add(f"index_fwd_kx_{mode.name}", Status.BAD_INDEX, lay, fidx(lay, "kx", lay.cmd.k))
    lay = base(Mode.FWD)
    add("index_fwd_ky", Status.BAD_INDEX, lay, fidx(lay, "ky", min(lay.cmd.k + 1, p.kmax)))
    lay = base(Mode.FWD)
    add("index_fwd_c", Status.BAD_INDEX, lay, fidx(lay, "c", lay.cmd.cin))
    lay = base(Mode.BWD_DATA)
    add("index_bwd_n", Status.BAD_INDEX, lay, bidx(lay, "n", lay.cmd.cout))
    lay = base(Mode.BWD_DATA)
    add("index_bwd_kx", Status.BAD_INDEX, lay, bidx(lay, "kx", lay.cmd.k))
    lay = base(Mode.BWD_DATA)
    add("index_bwd_ky", Status.BAD_INDEX, lay, bidx(lay, "ky", (1 << kw) - 1))
    return items


# =================================================================================== tests
@cocotb.test(**_timeout(2 * UC_CASES))
@cocotb.parametrize(stall=[False, True])
async def random_commands(dut, stall):
    """UC_CASES constrained-random commands of every mode against the models."""
    await run_items([UcItem(f"rand{i}") for i in range(UC_CASES)], stall=stall)


@cocotb.test(**_timeout(45))
@cocotb.parametrize(stall=[False, True])
async def directed_kinds(dut, stall):
    """Each mode on point-wise, depth-wise, KMAX, atrous, stride 2, padding edges, empty filters,
    all-zero, dense and saturating layers; then one command per stride x dilation x padding
    bin (geometry_items)."""
    await run_items(directed_items(), stall=stall)


@cocotb.test(**_timeout(60))
async def bad_inputs(dut):
    """Every bad-input class: status returned, no hang, not one memory word written; among them
    the high-bits family (every bit of one command field above its legal range set)."""
    await run_items(bad_items(random.Random(random.getrandbits(32))), stall=True)


@cocotb.test(**_timeout(12))
@cocotb.parametrize(stall=[False, True])
async def reset_mid_command(dut, stall):
    """Reset while a command runs (its response is lost, nothing stale comes out), then good
    commands work."""
    items = []
    for i in range(3):
        it = UcItem(f"killed{i}", cons=small_cons(cycle_budget=4000))
        it.randomize()
        it.reset_after = random.randint(1, max(2, it.layer.est_cycles() // 2))
        items += [it, UcItem(f"after_reset{i}")]
    await run_items(items, stall=stall)


@cocotb.test(**_timeout(4))
async def checker_catches_wrong_expectation(dut):
    """The scoreboard, fed a deliberately wrong expectation, reports the first wrong element."""
    items = [UcItem(f"wrong_{m.name}", cons=small_cons(mode=m, sparsity=0.3, empty_filters=0), wrong=True)
             for m in Mode]
    await run_items(items, raise_in_check=False)
    sb = LAST["scoreboard"]
    assert len(sb.errors) == 4, f"wrong expectations went unnoticed: {sb.errors}"
    for m, e in zip(Mode, sb.errors):
        assert f"mode {m.name}" in e and "seed" in e and "expected" in e and ", got " in e, e
    assert "Y[n=0, y=0, x=0]" in sb.errors[0] and "dX[c=0, y=0, x=0]" in sb.errors[1], sb.errors[:2]
    assert "GRAD[entry 0]" in sb.errors[2] and "WGT[entry 0]" in sb.errors[3], sb.errors[2:]


@cocotb.test(**_timeout(10))
@cocotb.parametrize(stall=[False, True])
async def back_to_back_chain(dut, stall):
    """FWD -> BWD_DATA -> WGRAD(gacc=0) -> WGRAD(gacc=1) -> UPDATE -> FWD back to back, memories
    loaded once, compared at the end against the models chained."""
    from sparsetrain.uc import UcCommand, map_to_words
    from verif.common.uc_random import make_weights, place_stack
    from verif.common.uc_stimulus import UcLayer
    from verif.models import conv_forward, uc_expected
    p = params()
    rnd = random.Random(random.getrandbits(32))
    rng = np.random.default_rng(rnd.getrandbits(32))
    c, n = rnd.randint(2, 4), rnd.randint(2, 4)
    k = rnd.choice([1, 3])
    h = w = rnd.randint(k + 1, 10)
    stride = rnd.choice([1, 2])
    pad = k // 2
    sw = make_weights(rng, n, c, k, rnd.choice([0.0, 0.3, 0.6]), rnd.choice(["balanced", "threshold"]), bits=8)
    cmd0 = UcCommand(cin=c, cout=n, h=h, w=w, k=k, stride=stride, dil=1, pad=pad, shift=8)
    ho, wo = cmd0.ho, cmd0.wo
    xw, yw, dxw, y2w = p.map_words(c, h, w), p.map_words(n, ho, wo), p.map_words(c, h, w), p.map_words(n, ho, wo)
    xb, yb, dxb, y2b = place_stack(rnd, [xw, yw, dxw, y2w], p.fm_depth)
    x = rng.integers(-600, 600, size=(c, h, w)).astype(np.int16)
    bias = rng.integers(-4000, 4000, size=n).astype(np.int32)
    wb, bb = rnd.randint(0, p.wdepth - sw.nnz), rnd.randint(0, p.wdepth - sw.nnz)
    base = dict(x_base=xb, y_base=yb, fptr_base=1, bptr_base=1 + n, bias_base=2)
    lr = dict(lr_mult=rnd.randint(1, 3000), lr_shift=rnd.randint(8, 20), lr_mult_b=rnd.randint(1, 3000),
              lr_shift_b=rnd.randint(0, 8))
    cmds = [
        UcCommand(**{**cmd0.__dict__, **base, "mode": Mode.FWD, "relu": 0}),
        UcCommand(**{**cmd0.__dict__, **base, "mode": Mode.BWD_DATA, "x_base": dxb, "shift": 6}),
        UcCommand(**{**cmd0.__dict__, **base, "mode": Mode.WGRAD, "gacc": 0, "bgrad": 1, "shift": 4}),
        UcCommand(**{**cmd0.__dict__, **base, "mode": Mode.WGRAD, "gacc": 1, "bgrad": 1, "shift": 4}),
        UcCommand(**{**cmd0.__dict__, **base, **lr, "mode": Mode.UPDATE}),
        UcCommand(**{**cmd0.__dict__, **base, "mode": Mode.FWD, "y_base": y2b, "relu": 1}),
    ]
    # chained models
    y = uc_expected(cmds[0], sw, x=x, bias=bias)["y"]
    dx = uc_expected(cmds[1], sw, dy=y)["dx"]
    g1 = uc_expected(cmds[2], sw, x=x, dy=y)
    g2 = uc_expected(cmds[3], sw, x=x, dy=y, grad=g1["grad"], bgrad=g1["bgrad"])
    up = uc_expected(cmds[4], sw, bias=bias, grad=g2["grad"], bgrad=g2["bgrad"])
    sw2 = sw.with_values(up["wgt"])
    y2 = conv_forward(x, sw2, up["bias"], stride=stride, pad=pad, relu=True, shift=8)
    # load once
    CFG.clear()
    CFG["stall"] = stall
    bfm = UcBfm(dut, p, idle=0.3 if stall else 0.0, backpressure=0.5 if stall else 0.0)
    await bfm.reset()
    lay = UcLayer(cmd=cmds[0], sw=sw, params=p, x=x, bias=bias, w_base=wb, b_base=bb)
    garbage = rng.integers(0, 1 << 62, size=4)
    await bfm.load(lay.images())
    await bfm.write(Sel.GRAD, {wb + a: int(garbage[0] >> (a % 30)) & 0xFFFFFFFF for a in range(sw.nnz)})
    await bfm.write(Sel.BGRAD, {2 + i: int(garbage[1]) & 0xFFFFFFFF for i in range(n)})
    for cmd in cmds:
        bfm.queue(cmd.ports())
    t0 = bfm.cycle
    budget = 20000 + 8 * sum(UcLayer(cmd=cm, sw=sw, params=p).est_cycles() for cm in cmds)
    while len(bfm.responses) < len(cmds) and bfm.cycle - t0 < budget:
        await RisingEdge(bfm.clk)
    st = [status_name(wd["status"]) for wd, _ in bfm.responses]
    cocotb.log.info("chain C=%d N=%d K=%d H=W=%d stride=%d nnz=%d: statuses %s, cycles %s", c, n, k, h,
                    stride, sw.nnz, st, [wd["cycles"] for wd, _ in bfm.responses])
    assert st == ["OK"] * len(cmds), f"statuses {st} (seed {seed()})"
    got = {Sel.STACK: await bfm.read(Sel.STACK, range(p.fm_depth))}
    for sel in (Sel.WGT, Sel.GRAD):
        got[sel] = await bfm.read(sel, range(wb, wb + sw.nnz))
    for sel in (Sel.BIAS, Sel.BGRAD):
        got[sel] = await bfm.read(sel, range(2, 2 + n))
    errs = []
    from sparsetrain.uc import words_to_map, to_s
    for name, base_, ref in (("X", xb, x), ("Y", yb, y), ("dX", dxb, dx), ("Y after update", y2b, y2)):
        m = words_to_map([got[Sel.STACK][base_ + i] for i in range(p.map_words(*ref.shape))], ref.shape, p.lanes)
        bad = np.argwhere(m != ref)
        if bad.size:
            i = tuple(bad[0])
            errs.append(f"{name}{list(i)}: expected {ref[i]}, got {m[i]} ({len(bad)} wrong)")
    wg = np.array([to_s(got[Sel.WGT][wb + a], 16) for a in range(sw.nnz)])
    if (wg != up["wgt"]).any():
        a = int(np.argmax(wg != up["wgt"]))
        errs.append(f"WGT[entry {a}] after UPDATE: expected {up['wgt'][a]}, got {wg[a]}")
    bs = np.array([to_s(got[Sel.BIAS][2 + i], 32) for i in range(n)])
    if (bs != up["bias"]).any():
        errs.append(f"BIAS after UPDATE: expected {up['bias'].tolist()}, got {bs.tolist()}")
    if any(got[Sel.GRAD].values()) or any(got[Sel.BGRAD].values()):
        errs.append("GRAD/BGRAD not zero after UPDATE")
    assert not errs, f"chain (C={c} N={n} K={k} H={h} s={stride} nnz={sw.nnz}, seed {seed()}): " + "; ".join(errs)
    assert not bfm.errors, bfm.errors[:1]


# ==================================================== pytest entry: both simulators, both sets
from flow.blocks import BLOCKS  # noqa: E402
from flow.runner import run_block  # noqa: E402

_BLOCK = BLOCKS.get("uc_unit")


@pytest.mark.sim
@pytest.mark.parametrize("paramset", [p for p in _BLOCK.paramsets if p != "bench"] if _BLOCK else [])
@pytest.mark.parametrize("sim", ["icarus", "verilator"])
def test_uc_unit(sim, paramset):
    n_pass, n_fail = run_block(_BLOCK, sim, paramset=paramset)
    assert n_fail == 0 and n_pass > 0, f"{n_fail} failed, {n_pass} passed"
