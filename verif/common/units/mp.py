"""The MP unit (max pool forward/backward, ReLU backward) on the shared environment: parameters, command fields, cover points
``mp.*`` and the :class:`~verif.common.units.table.TableUnit` that describes its harness
(verif/hdl/mp_unit_harness.v).  Stimulus and tests: verif/tests/test_mp_unit.py."""

from __future__ import annotations

from cocotb_coverage.coverage import CoverCross, CoverPoint

from sparsetrain.unit_cmds import UNIT_CMDS
from verif.common.checks import dut_params
from verif.common.units.common import status_points
from verif.common.units.table import TableUnit

DEFAULTS = {"LANES": 8, "CMAX": 256, "HMAX": 256, "WMAX": 256, "FM_DEPTH": 4096}
MODES = {0: "MP_FWD", 1: "MP_BWD", 2: "RELU_BWD"}
MP_FWD, MP_BWD, RELU_BWD = 0, 1, 2
#: command fields, packed in s_cmd_data (sparsetrain.unit_cmds, rtl/common/unit_cmd.vh)
CMD = UNIT_CMDS["mp"]
FIELDS = list(CMD)


def P() -> dict:
    return dut_params(DEFAULTS)


# ================================================================================== coverage
@CoverPoint("mp.mode", xf=lambda f: f["mode"], bins=list(MODES.values()))
@CoverPoint("mp.odd_h", xf=lambda f: f["odd_h"], bins=[False, True])
@CoverPoint("mp.odd_w", xf=lambda f: f["odd_w"], bins=[False, True])
@CoverPoint("mp.size", xf=lambda f: f["size"], bins=["min", "mid", "max"])
@CoverPoint("mp.data", xf=lambda f: f["data"], bins=["random", "small", "equal", "extreme"])
# a row length that is not a multiple of the lanes (impossible with one lane)
@CoverPoint("mp.ragged", xf=lambda f: f["ragged"], bins=[False, True] if P()["LANES"] > 1 else [False])
@CoverPoint("mp.stall", xf=lambda f: f["stall"], bins=[False, True])
@CoverCross("mp.mode_x_odd_h", items=["mp.mode", "mp.odd_h"])
@CoverCross("mp.mode_x_odd_w", items=["mp.mode", "mp.odd_w"])
@CoverCross("mp.mode_x_size", items=["mp.mode", "mp.size"])
@CoverCross("mp.mode_x_data", items=["mp.mode", "mp.data"])
@CoverPoint("mp.fwd_tie", xf=lambda f: f["tie"], bins=[True])
@CoverPoint("mp.argmax_value", xf=lambda f: f["argvals"], bins=[True])
@CoverPoint("mp.saturation_value", xf=lambda f: f["extreme"], bins=[True])
def _sample_ok(f):
    pass


_sample_status, _sample_reset = status_points("mp", ["OK", "BAD_MODE", "BAD_SHAPE", "BAD_BUFFER"])


def spec() -> TableUnit:
    p = P()
    return TableUnit("mp_unit", CMD, [], p["LANES"], {0: p["FM_DEPTH"]}, {0: 16}, "mp",
                     _sample_ok, _sample_status, _sample_reset)
