"""Register map of the accelerator, GENERATED from rtl/top/regs.rdl by `python -m flow.regs`:
do not edit (edit the SystemRDL file and run `make regs`).

* ``Reg``: byte offsets (also ``sparsetrain.program.Reg``);
* ``<REG>_<FIELD>_MASK`` / ``_SHIFT``: field masks and positions;
* ``REGS``: every register with its reset value and fields (name, lsb, width, access
  RO / WO / RW / W1C, reset, singlepulse), walked by the register test of the top.
"""

from __future__ import annotations

from enum import IntEnum
from typing import NamedTuple

#: Bytes of the address map (registers at 0 .. 0x3c).
MAP_SIZE = 0x40
REG_WIDTH = 32


class Reg(IntEnum):
    ID = 0x00
    CTRL = 0x04
    STATUS = 0x08
    ERR = 0x0C
    PROG_ADDR = 0x10
    PROG_LEN = 0x14
    IRQ_EN = 0x18
    IRQ_STATUS = 0x1C
    CNT_TOTAL = 0x20
    CNT_UC = 0x24
    CNT_POOL = 0x28
    CNT_LC = 0x2C
    CNT_DMA = 0x30
    N_CORRECT = 0x34
    LOSS_SUM = 0x38
    WATCHDOG = 0x3C


# field masks and positions
ID_VERSION_MASK = 0x0000FFFF
ID_VERSION_SHIFT = 0
ID_MAGIC_MASK = 0xFFFF0000
ID_MAGIC_SHIFT = 16
CTRL_START_MASK = 0x00000001
CTRL_START_SHIFT = 0
CTRL_SOFT_RESET_MASK = 0x00000002
CTRL_SOFT_RESET_SHIFT = 1
STATUS_BUSY_MASK = 0x00000001
STATUS_BUSY_SHIFT = 0
STATUS_DONE_MASK = 0x00000002
STATUS_DONE_SHIFT = 1
STATUS_ERROR_MASK = 0x00000004
STATUS_ERROR_SHIFT = 2
ERR_CODE_MASK = 0x000000FF
ERR_CODE_SHIFT = 0
ERR_PC_MASK = 0xFFFF0000
ERR_PC_SHIFT = 16
PROG_ADDR_ADDR_MASK = 0xFFFFFFFF
PROG_ADDR_ADDR_SHIFT = 0
PROG_LEN_LEN_MASK = 0x0000FFFF
PROG_LEN_LEN_SHIFT = 0
IRQ_EN_DONE_MASK = 0x00000001
IRQ_EN_DONE_SHIFT = 0
IRQ_EN_ERROR_MASK = 0x00000002
IRQ_EN_ERROR_SHIFT = 1
IRQ_STATUS_DONE_MASK = 0x00000001
IRQ_STATUS_DONE_SHIFT = 0
IRQ_STATUS_ERROR_MASK = 0x00000002
IRQ_STATUS_ERROR_SHIFT = 1
CNT_TOTAL_COUNT_MASK = 0xFFFFFFFF
CNT_TOTAL_COUNT_SHIFT = 0
CNT_UC_COUNT_MASK = 0xFFFFFFFF
CNT_UC_COUNT_SHIFT = 0
CNT_POOL_COUNT_MASK = 0xFFFFFFFF
CNT_POOL_COUNT_SHIFT = 0
CNT_LC_COUNT_MASK = 0xFFFFFFFF
CNT_LC_COUNT_SHIFT = 0
CNT_DMA_COUNT_MASK = 0xFFFFFFFF
CNT_DMA_COUNT_SHIFT = 0
N_CORRECT_COUNT_MASK = 0xFFFFFFFF
N_CORRECT_COUNT_SHIFT = 0
LOSS_SUM_SUM_MASK = 0xFFFFFFFF
LOSS_SUM_SUM_SHIFT = 0
WATCHDOG_LIMIT_MASK = 0xFFFFFFFF
WATCHDOG_LIMIT_SHIFT = 0


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


REGS: dict[str, Register] = {
    'ID': Register('ID', 0x00, (
        Field('VERSION', 0, 16, 'RO', 0x1, False, 'Version number'),
        Field('MAGIC', 16, 16, 'RO', 0x5350, False, 'Magic: ASCII "SP"'),
    ), 'Reads "SP" and version 1.'),
    'CTRL': Register('CTRL', 0x04, (
        Field('START', 0, 1, 'WO', 0x0, True, 'Run the program (ignored while busy): clears DONE and ERR, latches PROG_ADDR and PROG_LEN.'),
        Field('SOFT_RESET', 1, 1, 'WO', 0x0, True, 'Stop and reset the sequencer, DMA and units (docs/registers.md, soft reset). Ends quietly: no DONE, no interrupt.'),
    ), 'Write-only (reads 0). A write acts only when WSTRB[0] is set; SOFT_RESET wins over START.'),
    'STATUS': Register('STATUS', 0x08, (
        Field('BUSY', 0, 1, 'RO', 0x0, False, 'A program is running (or a soft reset is completing).'),
        Field('DONE', 1, 1, 'RO', 0x0, False, 'The last run ended; sticky until the next START.'),
        Field('ERROR', 2, 1, 'RO', 0x0, False, 'The last run ended with an error (ERR.CODE != 0).'),
    ), 'Status'),
    'ERR': Register('ERR', 0x0C, (
        Field('CODE', 0, 8, 'RO', 0x0, False, 'Error code of the last run (0 = none).'),
        Field('PC', 16, 16, 'RO', 0x0, False, 'Descriptor index (pc) where the run stopped.'),
    ), 'Error of the last run (codes: docs/registers.md, sparsetrain.program.Err).'),
    'PROG_ADDR': Register('PROG_ADDR', 0x10, (
        Field('ADDR', 0, 32, 'RW', 0x0, False, 'Host byte address of the program (64-byte descriptors, 4-byte aligned, PROG_ADDR + 64 x PROG_LEN <= 2^32, else ERR PROG).'),
    ), 'Program address'),
    'PROG_LEN': Register('PROG_LEN', 0x14, (
        Field('LEN', 0, 16, 'RW', 0x0, False, 'Number of descriptors (1..PROG_DEPTH).'),
    ), 'Program length'),
    'IRQ_EN': Register('IRQ_EN', 0x18, (
        Field('DONE', 0, 1, 'RW', 0x0, False, 'Interrupt when a run ends.'),
        Field('ERROR', 1, 1, 'RW', 0x0, False, 'Interrupt when a run ends with an error.'),
    ), 'Interrupt enable'),
    'IRQ_STATUS': Register('IRQ_STATUS', 0x1C, (
        Field('DONE', 0, 1, 'W1C', 0x0, False, 'A run ended.'),
        Field('ERROR', 1, 1, 'W1C', 0x0, False, 'A run ended with an error.'),
    ), 'Set by the end of a run, cleared by writing 1 (a set in the same cycle as a clear wins). irq = |(IRQ_STATUS & IRQ_EN).'),
    'CNT_TOTAL': Register('CNT_TOTAL', 0x20, (
        Field('COUNT', 0, 32, 'RO', 0x0, False, 'Cycles of the last run (START to done); kept until the next START.'),
    ), 'Total cycles'),
    'CNT_UC': Register('CNT_UC', 0x24, (
        Field('COUNT', 0, 32, 'RO', 0x0, False, 'Cycles the UC unit was busy in the last run.'),
    ), 'UC busy cycles'),
    'CNT_POOL': Register('CNT_POOL', 0x28, (
        Field('COUNT', 0, 32, 'RO', 0x0, False, 'Cycles the MP / GAP units were busy in the last run.'),
    ), 'Pool busy cycles'),
    'CNT_LC': Register('CNT_LC', 0x2C, (
        Field('COUNT', 0, 32, 'RO', 0x0, False, 'Cycles the LC / loss units were busy in the last run.'),
    ), 'LC busy cycles'),
    'CNT_DMA': Register('CNT_DMA', 0x30, (
        Field('COUNT', 0, 32, 'RO', 0x0, False, 'Cycles spent fetching the program and in LOAD / STORE in the last run.'),
    ), 'DMA cycles'),
    'N_CORRECT': Register('N_CORRECT', 0x34, (
        Field('COUNT', 0, 32, 'RO', 0x0, False, 'Correct predictions counted by the loss unit in the last run.'),
    ), 'Correct predictions'),
    'LOSS_SUM': Register('LOSS_SUM', 0x38, (
        Field('SUM', 0, 32, 'RO', 0x0, False, 'Sum of the loss (Q8) over the last run.'),
    ), 'Loss sum'),
    'WATCHDOG': Register('WATCHDOG', 0x3C, (
        Field('LIMIT', 0, 32, 'RW', 0x0, False, 'Cycle limit of a run (counted as CNT_TOTAL); 0 = off. A run that reaches it is stopped as by SOFT_RESET and ends with ERR WATCHDOG, DONE, ERROR and the interrupt.'),
    ), 'Watchdog'),
}
