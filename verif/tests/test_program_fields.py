"""The descriptor field table (sparsetrain.program.FIELDS) and what is generated from it: the RTL check
rtl/top/desc_check.v and the table in docs/program.md must be current; the encoder refuses
values that do not fit; reserved_error follows the table."""

from __future__ import annotations

import pytest

from flow.blocks import ROOT
from sparsetrain.program import (DESC_WORDS, FIELDS, RSV_ERR, Err, Mem, Op, Program, docs_with_fields, encode,
                                 reserved_error, used_mask, verilog_desc_check)


def test_desc_check_v_is_generated_from_the_table():
    got = (ROOT / "rtl" / "top" / "desc_check.v").read_text()
    assert got == verilog_desc_check(), "rtl/top/desc_check.v is stale: python -m sparsetrain.program --verilog"


def test_docs_field_table_is_current():
    text = (ROOT / "docs" / "program.md").read_text()
    assert text == docs_with_fields(text), "docs/program.md field table is stale: python -m sparsetrain.program --docs"


def test_fields_do_not_overlap_and_fit_their_word():
    for op, fields in FIELDS.items():
        seen = 0
        for f in fields:
            assert 0 <= f.lsb and f.lsb + f.width <= 32 and 0 <= f.word < DESC_WORDS, (op, f)
            m = f.mask << (32 * f.word)
            assert not seen & m, f"{Op(op).name}.{f.name} overlaps another field"
            seen |= m
        assert seen == used_mask(op)
        assert op in RSV_ERR


@pytest.mark.parametrize("op,field,value", [
    (Op.LOAD, "count", 1 << 20), (Op.LOAD, "mem", 16), (Op.LOSS, "classes", 0x1000A),
    (Op.GAP, "c", 0x10001), (Op.UC, "lr_shift", 64), (Op.UC, "x_base", -1), (Op.LOOP, "count", 1 << 32),
    (Op.LC, "mode", 8), (Op.LOSS, "in_frac", 16), (Op.MP, "a_base", 1.5)])
def test_encoder_refuses_values_that_do_not_fit(op, field, value):
    with pytest.raises(ValueError, match=field):
        encode(op, **{field: value})


def test_encoder_refuses_unknown_fields_and_builders_check():
    with pytest.raises(ValueError, match="no field"):
        encode(Op.GAP, relu=1)
    with pytest.raises(ValueError, match="count"):
        Program().load(Mem.WGT, 0, 0xFFFF_FFFF, 0x1000)
    with pytest.raises(ValueError, match="host_addr"):
        Program().store(Mem.WGT, 0, 1, 1 << 32)


def test_reserved_error_follows_the_table():
    # the examples
    loss = encode(Op.LOSS, classes=10); loss[1] = 0x1000A
    assert reserved_error(loss) == Err.LOSS | 2
    gap = encode(Op.GAP, c=1); gap[1] = 0x10001
    assert reserved_error(gap) == Err.GAP | 2
    ld = encode(Op.LOAD, mem=1, count=1); ld[0] |= 0x10 << 8
    assert reserved_error(ld) == Err.DMA
    uc = encode(Op.UC, mode=0); uc[15] = 1
    assert reserved_error(uc) == Err.UC | 1          # an unused word: BAD_MODE
    uc = encode(Op.UC, mode=0); uc[4] = 1 << 14
    assert reserved_error(uc) == Err.UC | 2          # above lr_shift: BAD_SHAPE
    assert reserved_error(encode(Op.END)) == 0
    assert reserved_error([0x7F] + [0xFFFF_FFFF] * 15) == 0   # unknown opcode: OPCODE, not this
    for op in FIELDS:                                  # every field at its maximum is legal
        words = encode(op, **{f.name: (1 << f.width) - 1 for f in FIELDS[op] if f.name != "opcode"})
        assert reserved_error(words) == 0, Op(op).name
