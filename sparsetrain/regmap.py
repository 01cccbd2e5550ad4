"""The types of the register map and what is built from its tables: the generic half of
:mod:`sparsetrain.regs`, whose generated half (from rtl/top/regs.rdl by ``python -m flow.regs``)
is the two tables this module turns into ``REGS``, ``Reg`` and the field constants.
"""

from __future__ import annotations

from enum import IntEnum
from typing import Iterable, NamedTuple


class Field(NamedTuple):
    name: str
    lsb: int
    width: int
    access: str          # RO, WO, RW or W1C
    reset: int
    singlepulse: bool    # a write of 1 is a one-cycle pulse (reads 0)
    desc: str

    @property
    def mask(self) -> int:
        return ((1 << self.width) - 1) << self.lsb


class Register(NamedTuple):
    name: str
    offset: int
    fields: tuple[Field, ...]
    desc: str

    @property
    def reset(self) -> int:
        return sum(f.reset << f.lsb for f in self.fields)

    def mask(self, *access: str) -> int:
        """Bits of the fields with one of these access types (all fields when none)."""
        return sum(f.mask for f in self.fields if not access or f.access in access)


def build(registers: Iterable[tuple[str, int, str]], fields: Iterable[tuple], module: str):
    """``(REGS, Reg, constants)`` of the tables: ``registers`` rows (name, byte offset,
    description) in address order, ``fields`` rows (register, field, lsb, width, access, reset,
    singlepulse, description). ``REGS``: name -> :class:`Register`; ``Reg``: an ``IntEnum`` of
    the byte offsets (its ``__module__`` is ``module``); ``constants``: ``<REG>_<FIELD>_MASK``
    and ``<REG>_<FIELD>_SHIFT`` -> the field's mask and lsb."""
    fields = list(fields)
    regs = {name: Register(name, offset, tuple(Field(*f[1:]) for f in fields if f[0] == name), desc)
            for name, offset, desc in registers}
    reg = IntEnum("Reg", [(name, r.offset) for name, r in regs.items()], module=module)
    consts = {}
    for r in regs.values():
        for f in r.fields:
            consts[f"{r.name}_{f.name}_MASK"] = f.mask
            consts[f"{r.name}_{f.name}_SHIFT"] = f.lsb
    return regs, reg, consts
