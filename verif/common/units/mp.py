"""The MP unit (max pool forward/backward, ReLU backward, both backwards in one) on the shared environment: parameters, command fields, cover points
``mp.*`` and the :class:`~verif.common.units.table.TableUnit` that describes its harness
(verif/hdl/mp_unit_harness.v).  Stimulus and tests: verif/tests/test_mp_unit.py."""

from __future__ import annotations

from cocotb_coverage.coverage import CoverCross, CoverPoint

from sparsetrain.unit_cmds import UNIT_CMDS
from verif.common.checks import dut_params
from verif.common.units.common import map_points
from verif.common.units.table import stack_unit

DEFAULTS = {"LANES": 8, "CMAX": 256, "HMAX": 256, "WMAX": 256, "FM_DEPTH": 4096, "RD_PORTS": 1}
MODES = {0: "MP_FWD", 1: "MP_BWD", 2: "RELU_BWD", 3: "MP_BWD_RELU"}
MP_FWD, MP_BWD, RELU_BWD, MP_BWD_RELU = 0, 1, 2, 3
#: command fields, packed in s_cmd_data (sparsetrain.unit_cmds, rtl/common/unit_cmd.vh)
CMD = UNIT_CMDS["mp"]
FIELDS = list(CMD)


def P() -> dict:
    return dut_params(DEFAULTS)


# ================================================================================== coverage
@map_points("mp", MODES, ["min", "mid", "max"], P()["LANES"])
@CoverCross("mp.mode_x_odd_h", items=["mp.mode", "mp.odd_h"])
@CoverCross("mp.mode_x_odd_w", items=["mp.mode", "mp.odd_w"])
@CoverPoint("mp.fwd_tie", xf=lambda f: f["tie"], bins=[True])
@CoverPoint("mp.argmax_value", xf=lambda f: f["argvals"], bins=[True])
# the argmax word's "maximum > 0" bit at both values in one command: written by MP_FWD, used
# by MP_BWD_RELU, ignored by MP_BWD
@CoverPoint("mp.posbit", xf=lambda f: f["posbit"], bins=[True, False])
@CoverCross("mp.mode_x_posbit", items=["mp.mode", "mp.posbit"],
            ign_bins=[(None, False), ("RELU_BWD", True)])
@CoverPoint("mp.saturation_value", xf=lambda f: f["extreme"], bins=[True])
# flat maps (docs/uc_unit.md "Flat small maps"; flat_x / flat_y) in every mode
@CoverPoint("mp.flat", xf=lambda f: f.get("flat"), bins=list(MODES.values()))
# no argmax map (xarg): MP_FWD, and MP_BWD / MP_BWD_RELU from X where the set has 4 read ports
@CoverPoint("mp.xarg", xf=lambda f: f.get("xarg"),
            bins=["MP_FWD"] + (["MP_BWD", "MP_BWD_RELU"] if P()["RD_PORTS"] >= 4 else []))
def _sample_ok(f):
    pass


#: a fresh TableUnit of the harness (its only memory: the stack)
spec = stack_unit("mp_unit", "mp", CMD, [], ["OK", "BAD_MODE", "BAD_SHAPE", "BAD_BUFFER"], _sample_ok, P)
