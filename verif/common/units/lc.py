"""The LC unit (dense fully connected layer) on the shared environment: parameters, command fields, cover points
``lc.*`` and the :class:`~verif.common.units.table.TableUnit` that describes its harness
(verif/hdl/lc_unit_harness.v).  Stimulus and tests: verif/tests/test_lc_unit.py."""

from __future__ import annotations

from cocotb_coverage.coverage import CoverCross, CoverPoint

from sparsetrain.unit_cmds import UNIT_CMDS
from verif.common.checks import dut_params
from verif.common.units.common import status_points
from verif.common.units.table import TableUnit

DEFAULTS = {"LANES": 8, "CMAX": 256, "NMAX": 256, "FM_DEPTH": 4096, "WDEPTH": 65536, "BDEPTH": 1024,
            "WPORTS": 1}
MODES = {0: "FWD", 1: "BWD_DATA", 2: "WGRAD", 3: "UPDATE"}
FWD, BWD, WGRAD, UPDATE = 0, 1, 2, 3
STACK, WGT, GRAD, BIAS, BGRAD = 0, 1, 2, 3, 4
#: command fields, packed in s_cmd_data (sparsetrain.unit_cmds, rtl/common/unit_cmd.vh)
CMD = UNIT_CMDS["lc"]
FIELDS = list(CMD)


def P() -> dict:
    return dut_params(DEFAULTS)


# ================================================================================== coverage
@CoverPoint("lc.mode", xf=lambda f: f["mode"], bins=list(MODES.values()))
@CoverPoint("lc.size", xf=lambda f: f["size"], bins=["1x1", "mid", "max"])
@CoverPoint("lc.data", xf=lambda f: f["data"], bins=["random", "small", "equal", "extreme"])
@CoverPoint("lc.shift", xf=lambda f: f["shift"], bins=["0", "mid", "31"])
@CoverPoint("lc.saturated", xf=lambda f: f["sat"], bins=[False, True])
@CoverPoint("lc.stall", xf=lambda f: f["stall"], bins=[False, True])
@CoverCross("lc.mode_x_size", items=["lc.mode", "lc.size"])
@CoverCross("lc.mode_x_data", items=["lc.mode", "lc.data"])
@CoverCross("lc.mode_x_saturated", items=["lc.mode", "lc.saturated"])
@CoverPoint("lc.fwd_relu", xf=lambda f: f["relu"], bins=[False, True])
@CoverPoint("lc.wgrad_gacc_bgrad", xf=lambda f: f["wgflags"], bins=[(0, 0), (0, 1), (1, 0), (1, 1)])
@CoverPoint("lc.update_lr_shift", xf=lambda f: f["lrs"], bins=["0", "mid", "63"])
def _sample_ok(f):
    pass


_sample_status, _sample_reset = status_points("lc", ["OK", "BAD_MODE", "BAD_SHAPE", "BAD_BUFFER"])


def spec() -> TableUnit:
    p = P()
    depths = {STACK: p["FM_DEPTH"], WGT: p["WDEPTH"], GRAD: p["WDEPTH"], BIAS: p["BDEPTH"],
              BGRAD: p["BDEPTH"]}
    widths = {STACK: 16, WGT: 16, GRAD: 32, BIAS: 32, BGRAD: 32}
    return TableUnit("lc_unit", CMD, [], p["LANES"], depths, widths, "lc",
                     _sample_ok, _sample_status, _sample_reset)
