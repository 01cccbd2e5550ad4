"""Register map of the accelerator, GENERATED from rtl/top/regs.rdl by `python -m flow.regs`:
do not edit (edit the SystemRDL file and run `make regs`).

* ``Reg``: byte offsets (also ``sparsetrain.program.Reg``);
* ``<REG>_<FIELD>_MASK`` / ``_SHIFT``: field masks and positions;
* ``REGS``: every register with its reset value and fields (name, lsb, width, access
  RO / WO / RW / W1C, reset, singlepulse), walked by the register test of the top.

All three are built from two tables, ``_REGISTERS`` and ``_FIELDS``, by
``sparsetrain.regmap.build`` (where ``Field`` and ``Register`` are defined).
"""

from __future__ import annotations

from sparsetrain.regmap import Field, Register, build  # noqa: F401  (Field, Register: API)

#: Bytes of the address map (registers at 0 .. 0x3c).
MAP_SIZE = 0x40
REG_WIDTH = 32

#: name, byte offset, description
_REGISTERS: tuple[tuple[str, int, str], ...] = (
    ('ID', 0x00, 'Reads "SP" and version 1.'),
    ('CTRL', 0x04, 'Write-only (reads 0). A write acts only when WSTRB[0] is set; SOFT_RESET wins over START.'),
    ('STATUS', 0x08, 'Status'),
    ('ERR', 0x0C, 'Error of the last run (codes: docs/registers.md, sparsetrain.program.Err).'),
    ('PROG_ADDR', 0x10, 'Program address'),
    ('PROG_LEN', 0x14, 'Program length'),
    ('IRQ_EN', 0x18, 'Interrupt enable'),
    ('IRQ_STATUS', 0x1C, 'Set by the end of a run, cleared by writing 1 (a set in the same cycle as a clear wins). irq = |(IRQ_STATUS & IRQ_EN).'),
    ('CNT_TOTAL', 0x20, 'Total cycles'),
    ('CNT_UC', 0x24, 'UC busy cycles'),
    ('CNT_POOL', 0x28, 'Pool busy cycles'),
    ('CNT_LC', 0x2C, 'LC busy cycles'),
    ('CNT_DMA', 0x30, 'DMA cycles'),
    ('N_CORRECT', 0x34, 'Correct predictions'),
    ('LOSS_SUM', 0x38, 'Loss sum'),
    ('WATCHDOG', 0x3C, 'Watchdog'),
)

#: register, field, lsb, width, access, reset, singlepulse, description
_FIELDS: tuple[tuple[str, str, int, int, str, int, bool, str], ...] = (
    ('ID', 'VERSION', 0, 16, 'RO', 0x1, False, 'Version number'),
    ('ID', 'MAGIC', 16, 16, 'RO', 0x5350, False, 'Magic: ASCII "SP"'),
    ('CTRL', 'START', 0, 1, 'WO', 0x0, True, 'Run the program (ignored while busy): clears DONE and ERR, latches PROG_ADDR and PROG_LEN.'),
    ('CTRL', 'SOFT_RESET', 1, 1, 'WO', 0x0, True, 'Stop and reset the sequencer, DMA and units (docs/registers.md, soft reset). Ends quietly: no DONE, no interrupt.'),
    ('STATUS', 'BUSY', 0, 1, 'RO', 0x0, False, 'A program is running (or a soft reset is completing).'),
    ('STATUS', 'DONE', 1, 1, 'RO', 0x0, False, 'The last run ended; sticky until the next START.'),
    ('STATUS', 'ERROR', 2, 1, 'RO', 0x0, False, 'The last run ended with an error (ERR.CODE != 0).'),
    ('ERR', 'CODE', 0, 8, 'RO', 0x0, False, 'Error code of the last run (0 = none).'),
    ('ERR', 'PC', 16, 16, 'RO', 0x0, False, 'Descriptor index (pc) where the run stopped.'),
    ('PROG_ADDR', 'ADDR', 0, 32, 'RW', 0x0, False, 'Host byte address of the program (64-byte descriptors, 4-byte aligned, PROG_ADDR + 64 x PROG_LEN <= 2^32, else ERR PROG).'),
    ('PROG_LEN', 'LEN', 0, 16, 'RW', 0x0, False, 'Number of descriptors (1..PROG_DEPTH).'),
    ('IRQ_EN', 'DONE', 0, 1, 'RW', 0x0, False, 'Interrupt when a run ends.'),
    ('IRQ_EN', 'ERROR', 1, 1, 'RW', 0x0, False, 'Interrupt when a run ends with an error.'),
    ('IRQ_STATUS', 'DONE', 0, 1, 'W1C', 0x0, False, 'A run ended.'),
    ('IRQ_STATUS', 'ERROR', 1, 1, 'W1C', 0x0, False, 'A run ended with an error.'),
    ('CNT_TOTAL', 'COUNT', 0, 32, 'RO', 0x0, False, 'Cycles of the last run (START to done); kept until the next START.'),
    ('CNT_UC', 'COUNT', 0, 32, 'RO', 0x0, False, 'Cycles the UC unit was busy in the last run.'),
    ('CNT_POOL', 'COUNT', 0, 32, 'RO', 0x0, False, 'Cycles the MP / GAP units were busy in the last run.'),
    ('CNT_LC', 'COUNT', 0, 32, 'RO', 0x0, False, 'Cycles the LC / loss units were busy in the last run.'),
    ('CNT_DMA', 'COUNT', 0, 32, 'RO', 0x0, False, 'Cycles spent fetching the program and in LOAD / STORE in the last run.'),
    ('N_CORRECT', 'COUNT', 0, 32, 'RO', 0x0, False, 'Correct predictions counted by the loss unit in the last run.'),
    ('LOSS_SUM', 'SUM', 0, 32, 'RO', 0x0, False, 'Sum of the loss (Q8) over the last run.'),
    ('WATCHDOG', 'LIMIT', 0, 32, 'RW', 0x0, False, 'Cycle limit of a run (counted as CNT_TOTAL); 0 = off. A run that reaches it is stopped as by SOFT_RESET and ends with ERR WATCHDOG, DONE, ERROR and the interrupt.'),
)

#: Every register of the map (address order), the byte offsets, and the field masks and
#: positions <REG>_<FIELD>_MASK / _SHIFT (sparsetrain.regmap.build).
REGS: dict[str, Register]
REGS, Reg, _constants = build(_REGISTERS, _FIELDS, __name__)
globals().update(_constants)
