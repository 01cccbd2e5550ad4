"""The unit base of the pyuvm environment: status codes, the :class:`Unit` hooks, the command
item base and the checks every unit shares.

A unit (a subclass of :class:`Unit`) tells the environment its pin map (command and response
fields, memory depths), how to load an item's inputs and read its result back through the
harness host port, how to check a result against the models, and what to sample for coverage.
"""

from __future__ import annotations

import logging
from pathlib import Path

import cocotb
from cocotb_coverage.coverage import CoverCross, CoverPoint, coverage_db
from pyuvm import uvm_sequence_item

from sparsetrain.unit_cmds import UNIT_CMDS, CmdLayout
from verif.common.unit_bfm import Response, UnitBfm

#: status codes shared by every unit (docs/units.md, docs/uc_unit.md)
STATUS = {0: "OK", 1: "BAD_MODE", 2: "BAD_SHAPE", 3: "BAD_GEOMETRY", 4: "BAD_BUFFER",
          5: "BAD_LIST", 6: "BAD_INDEX", 7: "BAD_LABEL"}
OK, BAD_MODE, BAD_SHAPE, BAD_BUFFER, BAD_LABEL = 0, 1, 2, 4, 7


def status_name(s) -> str:
    return "none" if s is None else STATUS.get(int(s), f"status{s}")


def high_bits(value: int, max_legal: int, width: int) -> int:
    """``value`` with every bit above the bit length of ``max_legal`` (the largest legal value
    of its command field) set, masked to the port ``width``: always above ``max_legal``, so
    illegal, and it drives every upper bit of the field (toggle coverage of the bits a legal
    command never reaches).  Equal to ``value`` when the field has no such bits."""
    return (value | ~((1 << max(0, max_legal).bit_length()) - 1)) & ((1 << width) - 1)


def cmd_width(field_: str) -> int:
    """Width in bits of the command field ``field_`` of the unit under test (the toplevel
    ``<unit>_unit_harness``; its layout in ``sparsetrain.unit_cmds.UNIT_CMDS``)."""
    return UNIT_CMDS[cocotb.top._name.removesuffix("_unit_harness")].widths[field_]


def cycles_error(rsp: Response) -> list[str]:
    """``m_rsp_cycles`` against the testbench's own count (accept to first m_rsp_valid)."""
    if rsp.tb_cycles is not None and rsp.cycles is not None and abs(rsp.cycles - rsp.tb_cycles) > 2:
        return [f"m_rsp_cycles {rsp.cycles} but the testbench counted {rsp.tb_cycles} cycles "
                f"from accept to response"]
    return []


def coverage_holes(prefix: str, path=None) -> list[str]:
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


def status_points(prefix: str, statuses: list[str]):
    """``(sample_status, sample_reset)``: the cover points ``<prefix>.status`` (one bin per
    status the unit can answer) and ``<prefix>.reset_mid_command`` every unit has."""
    sample_status = CoverPoint(f"{prefix}.status", xf=lambda s: s, bins=list(statuses))(lambda s: None)
    sample_reset = CoverPoint(f"{prefix}.reset_mid_command", xf=lambda b: b, bins=[True])(lambda b: None)
    return sample_status, sample_reset


def map_points(prefix: str, modes: dict[int, str], sizes: list[str], lanes: int):
    """Decorator of a unit's OK-result sampler (called with the item tags and ``stall``) adding
    the cover points every unit working on C x H x W maps by mode has (the pooling units):
    ``<prefix>.mode`` (bins: the names of ``modes``), ``.odd_h``, ``.odd_w``, ``.size`` (bins
    ``sizes``), ``.data`` (random / small / equal / extreme), ``.ragged`` (a row length not a
    multiple of the ``lanes``; only False with one lane), ``.stall`` and the crosses
    ``.mode_x_size``, ``.mode_x_data``. The points exist once this is called: write it as the
    first decorator, so that the unit's own crosses below it may name them."""
    def tag(name):
        return lambda f: f[name]
    points = [CoverPoint(f"{prefix}.mode", xf=tag("mode"), bins=list(modes.values())),
              *(CoverPoint(f"{prefix}.{t}", xf=tag(t), bins=[False, True]) for t in ("odd_h", "odd_w")),
              CoverPoint(f"{prefix}.size", xf=tag("size"), bins=list(sizes)),
              CoverPoint(f"{prefix}.data", xf=tag("data"), bins=["random", "small", "equal", "extreme"]),
              CoverPoint(f"{prefix}.ragged", xf=tag("ragged"), bins=[False, True] if lanes > 1 else [False]),
              CoverPoint(f"{prefix}.stall", xf=tag("stall"), bins=[False, True]),
              *(CoverCross(f"{prefix}.mode_x_{t}", items=[f"{prefix}.mode", f"{prefix}.{t}"])
                for t in ("size", "data"))]

    def deco(f):
        for point in reversed(points):
            f = point(f)
        return f
    return deco


def assert_coverage_closed(prefix: str, block: str) -> None:
    """Export ``<block>_coverage.yml`` (``make cov`` merges it by that name) and fail on any
    empty bin under ``prefix`` (the ``coverage_closed`` test of a unit, run last)."""
    holes = coverage_holes(prefix, Path.cwd() / f"{block}_coverage.yml")
    for h in holes:
        cocotb.log.warning("coverage hole: %s", h)
    assert not holes, f"{len(holes)} coverage holes, first: {holes[0]}"


class CmdItem(uvm_sequence_item):
    """Base sequence item: one command.  ``expect``: status; ``wrong``: the scoreboard perturbs
    the expectation (checker self-test); ``reset_after``: the driver resets this many cycles
    after the accept; ``kind``: directed class, for the log.  ``before`` (set by the unit's
    load) is the memory state the scoreboard compares against."""

    def __init__(self, name, expect: int = OK, kind: str = "random", wrong: bool = False,
                 reset_after: int | None = None):
        super().__init__(name)
        self.expect, self.kind, self.wrong, self.reset_after = expect, kind, wrong, reset_after
        self.before = None

    def prepare(self) -> None:
        """Called by the sequence before the item goes to the driver (randomize here)."""

    budget = 20000      # cycles to wait for the response before calling it a hang


class Unit:
    """Hooks of one unit harness (subclass per unit).  One instance per environment run."""
    name = "unit"                 # block name (log lines)
    prefix = "unit"               # cover-point prefix
    cmd: CmdLayout                # command fields packed in s_cmd_data (sparsetrain.unit_cmds)
    rsp_fields: list[str] = []    # beyond status and cycles
    sleep_idle = False            # BFM pin process sleeps while nothing is in flight
    send_log = logging.DEBUG      # level of the driver's "send <item>" line
    sample_wrong = False          # sample_ok also for checker self-test items

    def depths(self) -> dict[int, int]:
        """Host-port select -> words."""
        return {}

    def make_bfm(self, dut, idle: float, backpressure: float) -> UnitBfm:
        return UnitBfm(dut, self.cmd, self.rsp_fields, self.depths(), idle, backpressure,
                       sleep_idle=self.sleep_idle)

    def describe(self) -> str:
        return self.name

    async def start(self, bfm: UnitBfm) -> None:
        """After the first reset (e.g. fill the memories with garbage)."""

    async def load(self, bfm: UnitBfm, item) -> None:
        """Load the item's inputs through the host port; set ``item.before``."""

    def ports(self, item) -> dict:
        return item.cmd

    async def readback(self, bfm: UnitBfm, item, rsp: Response | None):
        """The read-back after the command (what :meth:`check` compares), or None."""
        return None

    def check(self, res) -> list[str]:
        """Problems of a result whose status is the expected one (models, memories)."""
        return []

    def context(self, item) -> str:
        """Extra words for the failure header (e.g. ``: mode FWD``)."""
        return ""

    def ok_line(self, res) -> str | None:
        return None

    def on_fail(self, res) -> None:
        """Save what helps debugging a failure."""

    # -- coverage: the shared dispatch; a unit provides the three samplers
    def sample(self, res) -> None:
        item, rsp = res.item, res.rsp
        if item.reset_after is not None and rsp.status is None:
            self.sample_reset(True)
            return
        if rsp.status is None:
            return
        self.sample_status(status_name(rsp.status))
        if rsp.status == OK and (self.sample_wrong or not item.wrong):
            self.sample_ok(res)

    def sample_reset(self, hit: bool) -> None:
        pass

    def sample_status(self, name: str) -> None:
        pass

    def sample_ok(self, res) -> None:
        pass

    def report(self, logger) -> None:
        """End of a run (e.g. export the coverage)."""
