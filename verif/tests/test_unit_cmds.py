"""The unit command table (sparsetrain.unit_cmds.UNIT_CMDS) and what is generated from it:
rtl/common/unit_cmd.vh must be current; pack/unpack are inverse and refuse what does not fit;
a field that a descriptor carries has the descriptor field's width (sparsetrain.program.FIELDS)."""

from __future__ import annotations

import random

import pytest

from flow.blocks import ROOT
from sparsetrain.program import FIELDS, Op
from sparsetrain.uc import CMD_FIELDS
from sparsetrain.unit_cmds import FIELD_UNITS, UNIT_CMDS, verilog_cmd_fields, verilog_unit_cmd

#: unit -> descriptor opcode; unit field -> descriptor field where the names differ
OPS = {"uc": Op.UC, "mp": Op.MP, "gap": Op.GAP, "lc": Op.LC, "loss": Op.LOSS}
RENAMED = {("loss", "k"): "classes"}
#: fields the sequencer supplies itself (the label word of LOAD LABEL)
NOT_IN_DESCRIPTOR = {("loss", "label")}


def test_unit_cmd_vh_is_generated_from_the_table():
    got = (ROOT / "rtl" / "common" / "unit_cmd.vh").read_text()
    assert got == verilog_unit_cmd(), "rtl/common/unit_cmd.vh is stale: python -m sparsetrain.program --verilog"


@pytest.mark.parametrize("unit", FIELD_UNITS)
def test_cmd_fields_vh_is_generated_from_the_table(unit):
    """Each unit's cmd_<field> wires (rtl/common/<unit>_cmd_fields.vh) are the table's, every field
    once, at its offset."""
    got = (ROOT / "rtl" / "common" / f"{unit}_cmd_fields.vh").read_text()
    assert got == verilog_cmd_fields(unit), f"rtl/common/{unit}_cmd_fields.vh is stale: python -m sparsetrain.program --verilog"
    for f in UNIT_CMDS[unit].fields.values():
        assert got.count(f" cmd_{f.name} = cmd[{unit.upper()}_CMD_{f.name.upper()}_LSB") == 1


@pytest.mark.parametrize("unit", sorted(UNIT_CMDS))
def test_fields_are_packed_without_gaps(unit):
    lay = UNIT_CMDS[unit]
    lsb = 0
    for f in lay.fields.values():
        assert f.lsb == lsb, (unit, f)
        lsb += f.width
    assert lay.width == lsb


@pytest.mark.parametrize("unit", sorted(UNIT_CMDS))
def test_pack_unpack_round_trip_and_refusals(unit):
    lay = UNIT_CMDS[unit]
    rnd = random.Random(1)
    for _ in range(50):
        v = {n: rnd.getrandbits(w) for n, w in lay.widths.items()}
        word = lay.pack(v)
        assert 0 <= word < (1 << lay.width)
        assert lay.unpack(word) == v
    top = {n: (1 << w) - 1 for n, w in lay.widths.items()}
    assert lay.pack(top) == (1 << lay.width) - 1
    name, width = next(iter(lay.widths.items()))
    with pytest.raises(ValueError, match=name):
        lay.pack({**top, name: 1 << width})
    with pytest.raises(ValueError, match="missing"):
        lay.pack({n: 0 for n in list(lay.widths)[1:]})
    with pytest.raises(ValueError, match="unknown"):
        lay.pack({**top, "no_such_field": 0})


@pytest.mark.parametrize("unit", sorted(UNIT_CMDS))
def test_descriptor_fields_have_the_unit_field_widths(unit):
    desc = {f.name: f.width for f in FIELDS[OPS[unit]]}
    for name, width in UNIT_CMDS[unit].widths.items():
        if (unit, name) in NOT_IN_DESCRIPTOR:
            assert RENAMED.get((unit, name), name) not in desc
            continue
        assert desc[RENAMED.get((unit, name), name)] == width, (unit, name)


def test_uc_cmd_fields_are_the_table():
    assert CMD_FIELDS == UNIT_CMDS["uc"].widths
