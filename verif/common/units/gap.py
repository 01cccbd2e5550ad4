"""The GAP unit (global average pooling) on the shared environment: parameters, command fields, cover points
``gap.*`` and the :class:`~verif.common.units.table.TableUnit` that describes its harness
(verif/hdl/gap_unit_harness.v).  Stimulus and tests: verif/tests/test_gap_unit.py."""

from __future__ import annotations

from cocotb_coverage.coverage import CoverCross, CoverPoint

from sparsetrain.unit_cmds import UNIT_CMDS
from verif.common.checks import dut_params
from verif.common.units.common import status_points
from verif.common.units.table import TableUnit

DEFAULTS = {"LANES": 8, "CMAX": 256, "HMAX": 256, "WMAX": 256, "FM_DEPTH": 4096}
MODES = {0: "FWD", 1: "BWD"}
FWD, BWD = 0, 1
#: command fields, packed in s_cmd_data (sparsetrain.unit_cmds, rtl/common/unit_cmd.vh)
CMD = UNIT_CMDS["gap"]
FIELDS = list(CMD)


def P() -> dict:
    return dut_params(DEFAULTS)


# ================================================================================== coverage
@CoverPoint("gap.mode", xf=lambda f: f["mode"], bins=list(MODES.values()))
@CoverPoint("gap.pixels_pow2", xf=lambda f: f["pow2"], bins=[False, True])
@CoverPoint("gap.size", xf=lambda f: f["size"], bins=["1x1", "mid", "max"])
@CoverPoint("gap.odd_h", xf=lambda f: f["odd_h"], bins=[False, True])
@CoverPoint("gap.odd_w", xf=lambda f: f["odd_w"], bins=[False, True])
@CoverPoint("gap.data", xf=lambda f: f["data"], bins=["random", "small", "equal", "extreme"])
@CoverPoint("gap.ragged", xf=lambda f: f["ragged"], bins=[False, True] if P()["LANES"] > 1 else [False])
@CoverPoint("gap.stall", xf=lambda f: f["stall"], bins=[False, True])
@CoverCross("gap.mode_x_pow2", items=["gap.mode", "gap.pixels_pow2"])
@CoverCross("gap.mode_x_size", items=["gap.mode", "gap.size"])
@CoverCross("gap.mode_x_data", items=["gap.mode", "gap.data"])
@CoverPoint("gap.full_scale_result", xf=lambda f: f["fullscale"], bins=[True])
def _sample_ok(f):
    pass


_sample_status, _sample_reset = status_points("gap", ["OK", "BAD_MODE", "BAD_SHAPE", "BAD_BUFFER"])


def spec() -> TableUnit:
    p = P()
    return TableUnit("gap_unit", CMD, [], p["LANES"], {0: p["FM_DEPTH"]}, {0: 16}, "gap",
                     _sample_ok, _sample_status, _sample_reset)
