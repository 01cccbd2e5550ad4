"""Memory-table units (MP, GAP, LC, loss): the unit hooks and the sequence item.

Such a unit's test describes its harness with a :class:`TableUnit` (command/response fields,
lanes, memory depths and widths, coverage samplers) and builds :class:`UnitItem` s (command +
input tensors + expected outputs from the bit-exact models).  The hooks:

* start: random garbage in every memory (so reads of unloaded words and stray writes show);
* load: the item's inputs through the host port (the shadow of every memory follows);
* read-back: *every word of every memory* (keep the test parameter sets' memories small); the
  shadow is resynchronised to it, so errors do not cascade; a harness with ``copies`` > 1 copies
  of its stack (the MP unit reading two a cycle) has every copy read back whole too, and each
  must equal copy 0 word for word (every write reaches every copy);
* check: the read-back must equal the shadow with the expected outputs applied (OK) or the
  unchanged shadow (bad input: nothing written anywhere); the first wrong element is named as
  ``Tensor[c=.., y=.., x=..]``; extra response fields and ``m_rsp_cycles`` are checked too.
"""

from __future__ import annotations

import random

from sparsetrain.unit_cmds import CmdLayout
from verif.common.fm_layout import Memories, Region
from verif.common.units.common import (OK, CmdItem, Unit, cmd_width, cycles_error, high_bits, status_name,
                                      status_points)


class UnitItem(CmdItem):
    """One command, its input tensors and the expected result.

    ``inputs``: ``[(Region, array)]`` loaded before the command; ``outputs``: ``[(Region, array)]``
    the command must write (nothing else may change); ``rsp``: expected extra response fields;
    ``tags``: free-form, for coverage.
    """

    def __init__(self, name, cmd: dict, inputs=None, outputs=None, expect: int = OK,
                 rsp: dict | None = None, kind: str = "random", wrong: bool = False,
                 reset_after: int | None = None, budget: int = 20000, tags: dict | None = None,
                 desc: str = ""):
        super().__init__(name, expect, kind, wrong, reset_after)
        self.cmd, self.inputs, self.outputs = cmd, inputs or [], outputs or []
        self.rsp, self.budget, self.tags, self.desc = rsp or {}, budget, tags or {}, desc

    def regions(self) -> list[Region]:
        return [r for r, _ in self.outputs] + [r for r, _ in self.inputs]

    def __str__(self):
        return f"{self.get_name()} [{self.kind}] {self.desc or self.cmd}"


def high_bits_kw(item: UnitItem, field_: str, max_legal: int) -> dict | None:
    """``{field_: value}`` with every bit of ``item``'s command field above ``max_legal``'s range
    set (:func:`high_bits`), noted in the item's description; None when the field has no such
    bit at these parameters (nothing to test)."""
    legal = item.cmd[field_]
    value = high_bits(legal, max_legal, cmd_width(field_))
    if value == legal:
        return None
    item.desc += f" high bits: {field_}={value:#x} (legal {legal}, max legal {max_legal})"
    return {field_: value}


def bad_item(it: UnitItem, expect: int, hb: tuple | None = None, **kw) -> UnitItem | None:
    """``it`` made a bad-input item: the command fields ``kw`` set (or, with ``hb = (field,
    largest legal value)``, every bit of that field above its range, :func:`high_bits_kw`),
    ``expect`` the status, no output (nothing may be written).  None when the field has no bit
    above its legal range at these parameters (nothing to test)."""
    if hb is not None:
        kw = high_bits_kw(it, *hb)
        if kw is None:
            return None
    it.cmd.update(kw)
    it.expect, it.outputs, it.rsp = expect, [], {}
    it.desc += f" {kw}"
    return it


def copy_diff(copy: int, words0: list[int], words: list[int]) -> list[str]:
    """The stack copy ``copy`` (``words``) against copy 0 (``words0``), word for word (stack
    words of 2 x LANES pixels): [] when equal, else one message naming the first differing word
    and how many differ."""
    if len(words0) != len(words):
        return [f"stack copy {copy}: {len(words)} words read, copy 0 has {len(words0)}"]
    bad = [a for a, (w0, w) in enumerate(zip(words0, words)) if w0 != w]
    if not bad:
        return []
    a = bad[0]
    return [f"stack copy {copy} differs from copy 0 at word {a} ({words[a]:#x}, copy 0 {words0[a]:#x}); "
            f"{len(bad)} word(s) differ"]


def _flip_first(arr):
    a = arr.copy().reshape(-1)
    a[0] = a[0] ^ 1
    return a.reshape(arr.shape)


class TableUnit(Unit):
    """A unit whose memories are plain tables of words (see the module docstring).
    ``sample(res)``: the unit's coverage sampler for OK results, called with the tags and the
    stall flag (``sample_ok``); ``sample_status`` / ``sample_reset``: its other samplers."""

    def __init__(self, name: str, cmd: CmdLayout, rsp_fields: list[str], lanes: int,
                 depths: dict[int, int], widths: dict[int, int], prefix: str,
                 sample_ok=None, sample_status=None, sample_reset=None, copies: int = 1):
        self.name, self.prefix, self.copies = name, prefix, copies
        self.cmd, self.rsp_fields = cmd, rsp_fields
        self.lanes, self._depths, self.widths = lanes, dict(depths), dict(widths)
        self._ok, self._status, self._reset = sample_ok, sample_status, sample_reset
        self.mem = Memories(lanes, depths, widths)

    def depths(self):
        return self._depths

    async def start(self, bfm):
        rnd = random.Random(random.getrandbits(32))
        for sel, depth in self._depths.items():
            bits = self.widths[sel] * (2 * self.lanes if sel == 0 else 1)
            for a in range(depth):
                self.mem.words[sel][a] = rnd.getrandbits(bits)
            await bfm.write(sel, dict(enumerate(self.mem.words[sel])))

    async def load(self, bfm, item: UnitItem):
        touched: dict[int, set[int]] = {}
        for r, arr in item.inputs:
            touched.setdefault(r.sel, set()).update(self.mem.put(r, arr))
        for sel, addrs in touched.items():
            await bfm.write(sel, {a: self.mem.words[sel][a] for a in addrs})
        item.before = self.mem.copy()

    async def readback(self, bfm, item, rsp) -> Memories:
        got = self.mem.copy()
        for sel, depth in self._depths.items():
            words = await bfm.read(sel, range(depth))
            got.words[sel] = [words[a] for a in range(depth)]
        got.copy_errs = []
        for copy in range(1, self.copies):
            depth = self._depths[0]
            words = await bfm.read(0, range(depth), copy=copy)
            got.copy_errs += copy_diff(copy, got.words[0], [words[a] for a in range(depth)])
        self.mem = got.copy()           # resynchronise the shadow (errors do not cascade)
        return got

    def check(self, res) -> list[str]:
        item, rsp = res.item, res.rsp
        exp = res.before.copy()
        if item.expect == OK:
            for r, arr in item.outputs:
                exp.put(r, arr)
            if item.wrong and item.outputs:
                r, arr = item.outputs[0]
                exp.put(r, _flip_first(arr))
        errs = [f"memory written despite {status_name(item.expect)}: {e}" if item.expect != OK else e
                for e in exp.diff(res.got, item.regions())]
        errs += getattr(res.got, "copy_errs", [])
        if item.expect == OK:
            for k, v in item.rsp.items():
                if rsp.fields.get(k) != v:
                    errs.append(f"m_rsp_{k}: expected {v}, got {rsp.fields.get(k)}")
        return errs + cycles_error(rsp)

    def ok_line(self, res):
        return f"{res.item}: status {status_name(res.rsp.status)}, {res.rsp.cycles} cycles"

    def sample_reset(self, hit):
        if self._reset:
            self._reset(hit)

    def sample_status(self, name):
        if self._status:
            self._status(name)

    def sample_ok(self, res):
        if self._ok and res.item.tags:
            self._ok({**res.item.tags, "stall": res.stall})


def stack_unit(block: str, prefix: str, cmd: CmdLayout, rsp_fields: list[str], statuses: list[str],
               sample_ok, params):
    """The ``spec()`` of a unit whose only memory is the feature-map stack (16-bit pixels,
    FM_DEPTH words of 2 x LANES pixels; gap, mp, loss): a fresh :class:`TableUnit` ``block``
    with the command ``cmd``, response fields ``rsp_fields``, the OK sampler ``sample_ok`` and
    the status / reset cover points of ``prefix`` (``statuses``: the statuses it can answer,
    :func:`~verif.common.units.common.status_points`, made once here); ``params()``: the DUT's
    parameters (LANES, FM_DEPTH, and RD_PORTS when the harness has it: that many stack copies)."""
    sample_status, sample_reset = status_points(prefix, statuses)

    def spec() -> TableUnit:
        p = params()
        return TableUnit(block, cmd, rsp_fields, p["LANES"], {0: p["FM_DEPTH"]}, {0: 16}, prefix,
                         sample_ok, sample_status, sample_reset, copies=p.get("RD_PORTS", 1))
    return spec
