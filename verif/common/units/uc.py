"""The UC unit on the shared environment: its pin map, sequence item, load / read-back and check.

* :class:`UcItem`: one command with everything it reads (a :class:`UcLayer`), constrained-random
  ``randomize()`` (done by the sequence when the item has no layer);
* :class:`UcUnit`: loads the item's memory images through the host port, reads back the output
  buffers (:func:`readback_plan`) or, for the items that must write nothing, every word of every
  memory; checks against ``UcLayer.expected_images`` (the models) with :func:`compare`, which
  names the first wrong element in layer terms (``Y[n=1, y=2, x=9]``, ``GRAD[entry 4]``);
* :func:`make_uc_bfm`, :func:`load_images`: the BFM with the UC pin map (also for the bench and
  the back-to-back test, which drive it directly).

Coverage: :mod:`verif.common.units.uc_cov`; directed and bad-input items:
:mod:`verif.common.units.uc_items`.
"""

from __future__ import annotations

import logging
import pickle
import random
from pathlib import Path

from sparsetrain.uc import Mode, Sel, Status, UcParams, engine_owner, to_s
from sparsetrain.unit_cmds import UNIT_CMDS
from verif.common import backdoor
from verif.common.checks import dut_params
from verif.common.fm_layout import ElementDiffs, differing_pixels
from verif.common.uc_random import Constraints, random_layer
from verif.common.uc_stimulus import UcLayer, describe_addr, readback_plan
from verif.common.unit_bfm import UnitBfm
from verif.common.units import uc_cov
from verif.common.units.common import CmdItem, Unit, cycles_error, status_name

HDL_DEFAULTS = UcParams().to_hdl()


def far32(word: int) -> int:
    """The int32 extreme of the other sign than the 32-bit word ``word`` (as an unsigned word):
    the value farthest from it, so a step computed from it differs at any learning rate > 0."""
    return 0x80000000 if word < 0x80000000 else 0x7FFFFFFF
#: the memories a UC command writes, read back from every copy of an engine array
COPY_SELS = (Sel.STACK, Sel.WGT, Sel.GRAD, Sel.BIAS, Sel.BGRAD)
#: read-back key of the other copies' words ({copy: {Sel: {addr: word}}})
COPIES = "copies"


def params() -> UcParams:
    return UcParams.from_hdl(dut_params(HDL_DEFAULTS))


def small_cons(**kw) -> Constraints:
    """Sizes that keep a command (and its load) to a few thousand cycles on Icarus."""
    p = params()
    base = dict(cmax=5, hmax=12 if p.lanes > 1 else 8, cycle_budget=4000 if p.lanes > 1 else 6000,
                flat=None,      # a quarter of the layers flat where the kernel allows it
                # rows of more than one stack word (W > 2L) at every LANES
                wmax=2 * p.banks + 4 if p.lanes > 1 else 8)
    base.update(kw)
    return Constraints(**base)


def make_uc_bfm(dut, p: UcParams, **kw) -> UnitBfm:
    """The BFM with the UC harness's pin map (``kw``: idle, backpressure, checks)."""
    return UnitBfm(dut, UNIT_CMDS["uc"], (), {int(s): p.depth(s) for s in Sel}, sleep_idle=True, **kw)


async def load_images(bfm: UnitBfm, images: dict[Sel, dict[int, int]]) -> None:
    for sel in Sel:
        await bfm.write(sel, images.get(sel, {}))


class UcItem(CmdItem):
    """One command plus its memory contents.

    ``snapshot``: a bad input whose every RAM word (every copy) is read before and after through
    the backdoor and must not change (no-write check; :mod:`verif.common.backdoor`); ``corrupt``:
    ``{Sel: {addr: word}}`` written over the images; ``note``: printed with the item (e.g. the
    high-bits field and value).
    """

    def __init__(self, name, layer: UcLayer | None = None, cons: Constraints | None = None,
                 expect: int = Status.OK, snapshot: bool = False, corrupt: dict | None = None,
                 reset_after: int | None = None, wrong: bool = False, kind: str = "random"):
        super().__init__(name, expect, kind, wrong, reset_after)
        self.layer, self.cons = layer, cons
        self.snapshot, self.corrupt = snapshot, corrupt or {}
        self.note = ""

    def randomize(self):
        self.layer = random_layer(random, params(), self.cons or small_cons())

    def prepare(self):
        if self.layer is None:
            self.randomize()

    def images(self) -> dict:
        img = self.layer.images()
        for sel, words in self.corrupt.items():
            img[sel].update(words)
        return img

    @property
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


class UcUnit(Unit):
    name, prefix = "uc_unit", "uc"
    cmd = UNIT_CMDS["uc"]
    sleep_idle = True
    send_log = logging.INFO
    sample_wrong = True

    def __init__(self):
        self.p = params()
        #: the harness's RAM arrays (backdoor.ram_arrays), found on first use
        self.rams: dict[str, object] | None = None

    def depths(self):
        return {int(s): self.p.depth(s) for s in Sel}

    def make_bfm(self, dut, idle, backpressure):
        return make_uc_bfm(dut, self.p, idle=idle, backpressure=backpressure)

    def describe(self):
        return f"params {self.p}"

    def ports(self, item):
        return item.layer.cmd.ports()

    # -- host port
    async def _load(self, bfm, images) -> None:
        for sel in Sel:
            await bfm.write(sel, images.get(sel, {}))

    def _rams(self, bfm) -> dict[str, object]:
        """The harness's RAM arrays (every engine's copy), for the backdoor no-write check."""
        if self.rams is None:
            self.rams = backdoor.ram_arrays(bfm.dut, self.p.engines, self.p.lanes, self.p.upd_banks)
        return self.rams

    async def _copies(self, bfm, plan: dict[Sel, list[int]]) -> dict[int, dict[Sel, dict[int, int]]]:
        """An engine array's other memory copies (1 .. ENGINES-1): ``plan``'s words of the
        memories a command writes (COPY_SELS; the list memories are written only by the host)."""
        return {e: {sel: await bfm.read(sel, addrs, copy=e) for sel, addrs in plan.items() if sel in COPY_SELS}
                for e in range(1, self.p.engines)}

    def _other_copies_differ(self, bfm, layer: UcLayer, images) -> None:
        """UPDATE on an engine array reads a filter's gradients from its owner's copy only (where
        WGRAD wrote them): the host loads every copy alike, so here every other copy's GRAD and
        BGRAD words of the filter get the int32 extreme of the other sign (backdoor, no cycle
        spent). A select of the
        wrong copy then changes the updated weights; UPDATE zeroes every copy's words anyway."""
        rams, n_all = self._rams(bfm), layer.sw.shape[0]
        a = layer.w_base
        for f, cnt in enumerate(int(c) for c in layer.sw.fwd_count):
            own = engine_owner(f, n_all, self.p.engines)
            words = [(Sel.GRAD, "GRAD", a + i) for i in range(cnt)]
            words.append((Sel.BGRAD, "BGRAD", layer.cmd.bias_base + f))
            for e in range(self.p.engines):
                if e != own:
                    for sel, name, addr in words:
                        arr, i = backdoor.word(f"e{e}.{name}", addr, self.p.upd_banks)
                        backdoor.poke(rams, arr, i, far32(images[sel].get(addr, 0)))
            a += cnt

    async def load(self, bfm, item: UcItem):
        images = item.images()
        await self._load(bfm, images)
        if self.p.engines > 1 and item.layer.mode == Mode.UPDATE and item.expect == Status.OK:
            self._other_copies_differ(bfm, item.layer, images)
        if item.snapshot:
            # a bad input: every RAM word of every copy, through the backdoor (no cycle spent)
            item.before = await backdoor.snapshot(self._rams(bfm), bfm.clk)

    async def readback(self, bfm, item: UcItem, rsp):
        if rsp is None:
            return None                 # lost to a reset, or a hang (the scoreboard says which)
        if item.snapshot:
            # after any write still in flight: the same words, which must not have changed
            return await backdoor.snapshot(self._rams(bfm), bfm.clk, settle=backdoor.SETTLE_CYCLES)
        if rsp.status == Status.OK:
            plan = readback_plan(item.layer)
            got = {sel: await bfm.read(sel, addrs) for sel, addrs in plan.items()}
            got[COPIES] = await self._copies(bfm, plan)
            return got
        return None

    # -- checking
    def check(self, res) -> list[str]:
        item, rsp, layer = res.item, res.rsp, res.item.layer
        if item.snapshot:
            # a bad input: no RAM word of any copy may change (physical words, backdoor)
            return [f"memory written despite {status_name(item.expect)}: {m}"
                    for m in backdoor.diff(res.before, res.got)]
        got = dict(res.got)
        copies = got.pop(COPIES, {})
        exp = layer.expected()
        if item.wrong:  # checker self-test: perturb the first element of the first output
            key = next(k for k, v in exp.items() if v is not None)
            exp[key] = exp[key].copy()
            exp[key].flat[0] = exp[key].flat[0] ^ 1
        errs = compare(layer, got, layer.expected_images(item.images(), exp))
        # an engine array's other copies (loaded alike): the same writes, but each engine's
        # gradients in its own
        for e, words in copies.items():
            errs += [f"copy {e}: {m}" for m in compare(layer, words,
                                                       layer.expected_images(item.images(), exp, copy=e))]
        errs += cycles_error(rsp)
        # FWD / WGRAD spend a cycle per weight and output vector, so nnz*Ho*Wo/L bounds them from
        # below (BWD_DATA does not: with padding, Ho*Wo may exceed the H*W pixels it computes)
        if layer.mode in (Mode.FWD, Mode.WGRAD) and rsp.cycles < layer.ideal_cycles():
            errs.append(f"m_rsp_cycles {rsp.cycles} below the physical limit {layer.ideal_cycles():.1f}")
        # (how fast is the bench's business: bench/uc_unit.py, never an assertion here)
        return errs

    def context(self, item):
        return f": mode {item.layer.cmd.mode_name()}"

    def ok_line(self, res):
        item, lay = res.item, res.item.layer
        if res.rsp.cycles is None or item.expect != Status.OK or item.reset_after is not None:
            return None
        return (f"{item.get_name()}: {res.rsp.cycles} cycles (ideal {lay.ideal_cycles():.1f}, "
                f"est {lay.est_cycles()})")

    def on_fail(self, res):
        item = res.item
        try:  # the failing stimulus and read-back, for offline debugging
            with open(Path.cwd() / f"uc_fail_{item.get_name()}.pkl", "wb") as f:
                pickle.dump({"layer": item.layer, "got": res.got, "rsp": res.rsp,
                             "images": item.images(), "expect": item.expect}, f)
        except Exception as e:  # noqa: BLE001
            logging.getLogger("uc").warning("could not save the failing case: %s", e)

    # -- coverage (verif.common.units.uc_cov)
    sample_reset = staticmethod(uc_cov.sample_reset)
    sample_status = staticmethod(uc_cov.sample_status)
    sample_ok = staticmethod(uc_cov.sample_ok)
    report = staticmethod(uc_cov.report)


def compare(layer: UcLayer, got: dict[Sel, dict[int, int]], expected: dict[Sel, dict[int, int]],
            skip_output_slack: bool = True, limit: int = 10) -> list[str]:
    """Every word of ``got`` against ``expected`` (absent in expected: must be 0 only if the
    word was never loaded -- such words are skipped).  Stack words are compared pixel by pixel;
    the slack pixels (``x >= W``) of the output map are skipped when ``skip_output_slack``.
    Returns messages naming the wrong elements, the first one first."""
    diffs = ElementDiffs(limit)
    p = layer.params
    regs = layer.regions()
    out_key = {int(Mode.FWD): "y", int(Mode.BWD_DATA): "x"}.get(int(layer.cmd.mode))
    out_reg = regs.get(out_key) if out_key else None
    for sel, words in got.items():
        exp_words = expected.get(sel, {})
        for a in sorted(words):
            if a not in exp_words or words[a] == exp_words[a]:
                continue
            g, e = words[a], exp_words[a]
            if sel == Sel.STACK:
                for b, ep, gp in differing_pixels(e, g, p.banks):
                    if skip_output_slack and out_reg is not None and out_reg.base <= a < out_reg.end:
                        w = out_reg.shape[2]
                        if (a - out_reg.base) % p.row_words(w) * p.banks + b >= w:
                            continue
                    diffs.add(lambda: f"{describe_addr(layer, sel, a, bank=b)} (stack word {a} bank {b}): "
                                      f"expected {to_s(ep, 16)}, got {to_s(gp, 16)}")
            else:
                bits = p.width(sel)
                signed = sel in (Sel.WGT, Sel.GRAD, Sel.BIAS, Sel.BGRAD)
                ev, gv = (to_s(e, bits), to_s(g, bits)) if signed else (hex(e), hex(g))
                diffs.add(lambda: f"{describe_addr(layer, sel, a)} ({Sel(sel).name} addr {a}): "
                                  f"expected {ev}, got {gv}")
    return diffs.messages()
