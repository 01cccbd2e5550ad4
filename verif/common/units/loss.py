"""The loss unit (softmax cross-entropy) on the shared environment: parameters, command fields, cover points
``loss.*`` and the :class:`~verif.common.units.table.TableUnit` that describes its harness
(verif/hdl/loss_unit_harness.v).  Stimulus and tests: verif/tests/test_loss_unit.py."""

from __future__ import annotations

from cocotb_coverage.coverage import CoverCross, CoverPoint

from sparsetrain.unit_cmds import UNIT_CMDS
from verif.common.checks import dut_params
from verif.common.units.table import stack_unit

DEFAULTS = {"LANES": 8, "KMAX": 1024, "FM_DEPTH": 4096}
#: command fields, packed in s_cmd_data (sparsetrain.unit_cmds, rtl/common/unit_cmd.vh)
CMD = UNIT_CMDS["loss"]
FIELDS = list(CMD)


def P() -> dict:
    return dut_params(DEFAULTS)


# ================================================================================== coverage
@CoverPoint("loss.classes", xf=lambda f: f["size"], bins=["1", "2", "mid", "max"])
@CoverPoint("loss.data", xf=lambda f: f["data"], bins=["random", "small", "equal", "extreme", "peaked"])
@CoverPoint("loss.in_frac", xf=lambda f: f["inf"], bins=["<4", "4", ">4"])
@CoverPoint("loss.grad_frac", xf=lambda f: f["gf"], bins=["0", "mid", "15"])
@CoverPoint("loss.tie_in_max", xf=lambda f: f["tie"], bins=[False, True])
@CoverPoint("loss.label_is_pred", xf=lambda f: f["hit"], bins=[False, True])
@CoverPoint("loss.table_clipped", xf=lambda f: f["clip"], bins=[False, True])
@CoverPoint("loss.grad_saturated", xf=lambda f: f["gsat"], bins=[True])
@CoverPoint("loss.stall", xf=lambda f: f["stall"], bins=[False, True])
@CoverCross("loss.data_x_in_frac", items=["loss.data", "loss.in_frac"])
def _sample_ok(f):
    pass


#: a fresh TableUnit of the harness (its only memory: the stack; pred and loss in the response)
spec = stack_unit("loss_unit", "loss", CMD, ["pred", "loss"], ["OK", "BAD_SHAPE", "BAD_BUFFER", "BAD_LABEL"],
                  _sample_ok, P)
