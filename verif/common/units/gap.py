"""The GAP unit (global average pooling) on the shared environment: parameters, command fields, cover points
``gap.*`` and the :class:`~verif.common.units.table.TableUnit` that describes its harness
(verif/hdl/gap_unit_harness.v).  Stimulus and tests: verif/tests/test_gap_unit.py."""

from __future__ import annotations

from cocotb_coverage.coverage import CoverCross, CoverPoint

from sparsetrain.unit_cmds import UNIT_CMDS
from verif.common.checks import dut_params
from verif.common.units.common import map_points
from verif.common.units.table import stack_unit

DEFAULTS = {"LANES": 8, "CMAX": 256, "HMAX": 256, "WMAX": 256, "FM_DEPTH": 4096}
MODES = {0: "FWD", 1: "BWD"}
FWD, BWD = 0, 1
#: command fields, packed in s_cmd_data (sparsetrain.unit_cmds, rtl/common/unit_cmd.vh)
CMD = UNIT_CMDS["gap"]
FIELDS = list(CMD)


def P() -> dict:
    return dut_params(DEFAULTS)


# ================================================================================== coverage
@map_points("gap", MODES, ["1x1", "mid", "max"], P()["LANES"])
@CoverPoint("gap.pixels_pow2", xf=lambda f: f["pow2"], bins=[False, True])
@CoverCross("gap.mode_x_pow2", items=["gap.mode", "gap.pixels_pow2"])
@CoverPoint("gap.full_scale_result", xf=lambda f: f["fullscale"], bins=[True])
def _sample_ok(f):
    pass


#: a fresh TableUnit of the harness (its only memory: the stack)
spec = stack_unit("gap_unit", "gap", CMD, [], ["OK", "BAD_MODE", "BAD_SHAPE", "BAD_BUFFER"], _sample_ok, P)
