"""Accelerator programs: descriptor encoding and host-memory images (docs/program.md).

A program is a list of 16-word (64-byte) descriptors the sequencer (``rtl/top/sequencer.v``)
runs without host help. This module encodes them and lays out the host memory they refer to;
it needs no simulator.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from enum import IntEnum

# register offsets: generated from rtl/top/regs.rdl (sparsetrain/regs.py, `make regs`)
from sparsetrain.regs import Reg  # noqa: F401  (re-exported: sparsetrain.program.Reg)
from sparsetrain.uc import Sel, UcCommand

DESC_WORDS = 16
DESC_BYTES = 4 * DESC_WORDS


class Op(IntEnum):
    END = 0x00
    LOAD = 0x01
    STORE = 0x02
    LOOP = 0x03
    ENDLOOP = 0x04
    UC = 0x10
    MP = 0x11
    GAP = 0x12
    LC = 0x13
    LOSS = 0x14


#: LOAD / STORE memory selectors: the memories' host-port selectors (sparsetrain.uc.Sel: STACK,
#: WGT, FIDX, BIDX, PTR, GRAD, BIAS, BGRAD = 0..7; the LOAD / STORE mover drives them onto the
#: memory subsystem's host port as they are) and LABEL = 15, the label register.
Mem = IntEnum("Mem", [(s.name, s.value) for s in Sel] + [("LABEL", 15)], module=__name__)


class Err(IntEnum):
    """ERR register codes (low byte)."""
    NONE = 0x00
    OPCODE = 0x01
    AXI = 0x02
    DMA = 0x03
    LOOP = 0x04
    PROG = 0x05
    RUNAWAY = 0x06
    WATCHDOG = 0x07  # the run passed the WATCHDOG cycle limit
    UC = 0x10        # | UC status
    MP = 0x20        # | MP status
    GAP = 0x30       # | GAP status
    LC = 0x40        # | LC status
    LOSS = 0x50      # | loss status


#: Unit status codes the sequencer reports for malformed unit descriptors (docs/units.md)
BAD_MODE, BAD_SHAPE = 1, 2


@dataclass(frozen=True)
class Field:
    """One descriptor field: ``width`` bits of word ``word`` from bit ``lsb``."""
    name: str
    word: int
    lsb: int
    width: int

    @property
    def mask(self) -> int:
        return ((1 << self.width) - 1) << self.lsb


def _f(name, word, lsb, width):
    return Field(name, word, lsb, width)


_OPC = _f("opcode", 0, 0, 8)
_LOADSTORE = (_OPC, _f("mem", 0, 8, 4), _f("host_addr", 1, 0, 32), _f("count", 2, 0, 20),
              _f("chip_addr", 3, 0, 32), _f("host_step", 4, 0, 32))
_MODE = _f("mode", 0, 8, 3)
_FLAGS = (_f("relu", 0, 16, 1), _f("bgrad", 0, 17, 1), _f("gacc", 0, 18, 1), _f("gacc_auto", 0, 19, 1))
_LR = (_f("shift", 4, 0, 8), _f("lr_shift", 4, 8, 6), _f("lr_shift_b", 4, 16, 6),
       _f("lr_mult", 10, 0, 16), _f("lr_mult_b", 10, 16, 16))

#: Every field of every opcode (docs/program.md, "Fields"). A bit that no field of its opcode
#: names is reserved and must be 0: the sequencer stops with the opcode's error (RSV_ERR) without
#: running the descriptor. ``rtl/top/desc_check.v`` is generated from this table
#: (``python -m sparsetrain.program --verilog``; a test checks the committed file is current).
FIELDS: dict[int, tuple[Field, ...]] = {
    0x00: (_OPC,),                                                         # END
    0x01: _LOADSTORE,                                                      # LOAD
    0x02: _LOADSTORE,                                                      # STORE
    0x03: (_OPC, _f("count", 1, 0, 32)),                                   # LOOP
    0x04: (_OPC,),                                                         # ENDLOOP
    0x10: (_OPC, _MODE, *_FLAGS, _f("flat", 0, 20, 1),                     # UC
           _f("cin", 1, 0, 16), _f("cout", 1, 16, 16), _f("h", 2, 0, 16), _f("w", 2, 16, 16),
           _f("k", 3, 0, 8), _f("stride", 3, 8, 8), _f("dil", 3, 16, 8), _f("pad", 3, 24, 8),
           *_LR, _f("x_base", 5, 0, 32), _f("y_base", 6, 0, 32), _f("fptr_base", 7, 0, 32),
           _f("bptr_base", 8, 0, 32), _f("bias_base", 9, 0, 32), _f("m_base", 11, 0, 32)),
    0x11: (_OPC, _MODE, _f("flat_x", 0, 16, 1), _f("flat_y", 0, 17, 1), _f("xarg", 0, 18, 1),  # MP
           _f("c", 1, 0, 16), _f("h", 2, 0, 16), _f("w", 2, 16, 16),
           _f("x_base", 5, 0, 32), _f("y_base", 6, 0, 32), _f("a_base", 7, 0, 32)),
    0x12: (_OPC, _MODE, _f("c", 1, 0, 16), _f("h", 2, 0, 16), _f("w", 2, 16, 16),   # GAP
           _f("x_base", 5, 0, 32), _f("y_base", 6, 0, 32)),
    0x13: (_OPC, _MODE, *_FLAGS, _f("cin", 1, 0, 16), _f("cout", 1, 16, 16), *_LR,  # LC
           _f("x_base", 5, 0, 32), _f("y_base", 6, 0, 32), _f("w_base", 7, 0, 32),
           _f("bias_base", 9, 0, 32)),
    0x14: (_OPC, _f("classes", 1, 0, 16), _f("in_frac", 3, 0, 4), _f("grad_frac", 3, 8, 4),  # LOSS
           _f("y_base", 5, 0, 32), _f("g_base", 6, 0, 32)),
}

#: Error codes for a reserved bit: (bit in word 0 or in a word the opcode does not use,
#: bit above a field inside a word it uses)
RSV_ERR: dict[int, tuple[int, int]] = {
    0x00: (Err.OPCODE, Err.OPCODE),
    0x01: (Err.DMA, Err.DMA),
    0x02: (Err.DMA, Err.DMA),
    0x03: (Err.LOOP, Err.LOOP),
    0x04: (Err.LOOP, Err.LOOP),
    0x10: (Err.UC | BAD_MODE, Err.UC | BAD_SHAPE),
    0x11: (Err.MP | BAD_MODE, Err.MP | BAD_SHAPE),
    0x12: (Err.GAP | BAD_MODE, Err.GAP | BAD_SHAPE),
    0x13: (Err.LC | BAD_MODE, Err.LC | BAD_SHAPE),
    0x14: (Err.LOSS | BAD_MODE, Err.LOSS | BAD_SHAPE),
}

#: The label word (LOAD LABEL): 16 bits; a word with bits 31:16 set makes LOSS answer BAD_LABEL
LABEL_W = 16


def used_mask(op: int) -> int:
    """The 512-bit mask of the bits the fields of ``op`` occupy (word i at bits 32i..32i+31)."""
    m = 0
    for f in FIELDS[op]:
        m |= f.mask << (32 * f.word)
    return m


def used_words(op: int) -> set[int]:
    """Words 1..15 that hold a field of ``op``."""
    return {f.word for f in FIELDS[op] if f.word > 0}


def reserved_error(words) -> int:
    """The error a descriptor's reserved bits give (0 if none, or the opcode is unknown).

    ``words``: 16 32-bit ints. Bits in word 0 or in an unused word take the first code of
    RSV_ERR; bits above a field inside a used word the second. Follows rtl/top/desc_check.v.
    """
    op = int(words[0]) & 0xFF
    if op not in FIELDS:
        return 0
    full = sum((int(w) & 0xFFFFFFFF) << (32 * i) for i, w in enumerate(words))
    rsv = full & ~used_mask(op)
    if not rsv:
        return 0
    in_used = sum(0xFFFFFFFF << (32 * i) for i in used_words(op))
    return int(RSV_ERR[op][0] if rsv & ~in_used else RSV_ERR[op][1])


def encode(op: int, **values) -> list[int]:
    """The 16 words of a descriptor from its field values (names as in FIELDS).

    Raises ValueError for a field ``op`` does not have, or a value that is not an integer in
    ``0 .. 2**width - 1``.
    """
    fields = {f.name: f for f in FIELDS[int(op)]}
    words = [0] * DESC_WORDS
    words[0] = int(op)
    for name, v in values.items():
        if name not in fields:
            raise ValueError(f"{Op(int(op)).name}: no field {name!r}")
        f = fields[name]
        if isinstance(v, bool):
            v = int(v)
        try:
            iv = int(v)
        except (TypeError, ValueError):
            raise ValueError(f"{Op(int(op)).name}.{name}: {v!r} is not an integer") from None
        if iv != v or not 0 <= iv < (1 << f.width):
            raise ValueError(f"{Op(int(op)).name}.{name} = {v!r}: outside 0..{(1 << f.width) - 1} "
                             f"({f.width} bits, docs/program.md)")
        words[f.word] |= iv << f.lsb
    return words


def beats_of(width_bits: int) -> int:
    """32-bit host words per memory word."""
    return max(1, -(-int(width_bits) // 32))


def words_to_bytes(words, width_bits: int) -> bytes:
    """Memory words -> host bytes: each word as ``beats_of(width)`` little-endian 32-bit words."""
    nb = 4 * beats_of(width_bits)
    return b"".join((int(w) & ((1 << (8 * nb)) - 1)).to_bytes(nb, "little") for w in words)


def bytes_to_words(data: bytes, width_bits: int) -> list[int]:
    nb = 4 * beats_of(width_bits)
    mask = (1 << width_bits) - 1
    return [int.from_bytes(data[i:i + nb], "little") & mask for i in range(0, len(data), nb)]


@dataclass
class Program:
    """Builds a descriptor list. Each method appends one descriptor and returns its index."""

    descs: list = field(default_factory=list)

    def _add(self, op: int, **values) -> int:
        """Append ``encode(op, **values)``; ValueError for a value that does not fit its field."""
        self.descs.append(encode(op, **values))
        return len(self.descs) - 1

    def end(self) -> int:
        return self._add(Op.END)

    def load(self, mem: Mem, chip_addr: int, count: int, host_addr: int, step: int = 0) -> int:
        """Host -> chip: ``count`` memory words from ``host_addr + iteration*step``."""
        return self._add(Op.LOAD, mem=mem, host_addr=host_addr, count=count, chip_addr=chip_addr,
                         host_step=step)

    def store(self, mem: Mem, chip_addr: int, count: int, host_addr: int, step: int = 0) -> int:
        """Chip -> host."""
        return self._add(Op.STORE, mem=mem, host_addr=host_addr, count=count, chip_addr=chip_addr,
                         host_step=step)

    def loop(self, count: int) -> int:
        return self._add(Op.LOOP, count=count)

    def endloop(self) -> int:
        return self._add(Op.ENDLOOP)

    def uc(self, cmd: UcCommand, gacc_auto: bool = False) -> int:
        """A UC command; ``gacc_auto``: accumulate gradients except in a loop's first iteration."""
        names = ("mode", "relu", "bgrad", "gacc", "cin", "cout", "h", "w", "k", "stride", "dil", "pad",
                 "shift", "lr_shift", "lr_shift_b", "x_base", "y_base", "fptr_base", "bptr_base",
                 "bias_base", "lr_mult", "lr_mult_b", "flat", "m_base")
        return self._add(Op.UC, gacc_auto=int(gacc_auto), **{n: getattr(cmd, n) for n in names})

    def mp(self, mode: int, c: int, h: int, w: int, x_base: int, y_base: int, a_base: int,
           flat_x: int = 0, flat_y: int = 0, xarg: int = 0) -> int:
        """MP unit: 0 MP_FWD, 1 MP_BWD, 2 RELU_BWD, 3 MP_BWD_RELU (docs/units.md); ``flat_x`` /
        ``flat_y``: the full-size (X, dX) / pooled (Y, argmax, dY) maps stored flat
        (docs/uc_unit.md "Flat small maps"); ``xarg``: no argmax map (MP_FWD writes Y only;
        MP_BWD / MP_BWD_RELU find each window's argmax again from the forward input X at
        ``a_base``, laid out as X: docs/units.md "No argmax map")."""
        return self._add(Op.MP, mode=mode, c=c, h=h, w=w, x_base=x_base, y_base=y_base, a_base=a_base,
                         flat_x=flat_x, flat_y=flat_y, xarg=xarg)

    def gap(self, mode: int, c: int, h: int, w: int, x_base: int, y_base: int) -> int:
        """GAP unit: 0 FWD, 1 BWD."""
        return self._add(Op.GAP, mode=mode, c=c, h=h, w=w, x_base=x_base, y_base=y_base)

    def lc(self, mode: int, cin: int, cout: int, shift: int, x_base: int, y_base: int, w_base: int,
           bias_base: int, relu: int = 0, bgrad: int = 0, gacc: int = 0, gacc_auto: bool = False,
           lr=(0, 0, 0, 0)) -> int:
        """LC unit: 0 FWD, 1 BWD_DATA, 2 WGRAD, 3 UPDATE; ``lr`` = (mult, shift, mult_b, shift_b)."""
        mult, lsh, mult_b, lsh_b = lr
        return self._add(Op.LC, mode=mode, relu=relu, bgrad=bgrad, gacc=gacc, gacc_auto=int(gacc_auto),
                         cin=cin, cout=cout, shift=shift, lr_shift=lsh, lr_shift_b=lsh_b,
                         x_base=x_base, y_base=y_base, w_base=w_base, bias_base=bias_base,
                         lr_mult=mult, lr_mult_b=mult_b)

    def loss(self, classes: int, in_frac: int, grad_frac: int, y_base: int, g_base: int) -> int:
        """Loss unit on the logits at ``y_base``; the label is the last LOAD to LABEL."""
        return self._add(Op.LOSS, classes=classes, in_frac=in_frac, grad_frac=grad_frac,
                         y_base=y_base, g_base=g_base)

    def raw(self, words) -> int:
        """A descriptor given word by word (tests of bad programs)."""
        w = [int(v) & 0xFFFFFFFF for v in words] + [0] * (DESC_WORDS - len(words))
        self.descs.append(w)
        return len(self.descs) - 1

    def to_bytes(self) -> bytes:
        return b"".join(struct.pack("<16I", *d) for d in self.descs)

    def place(self, write, heap: "HostHeap") -> int:
        """Put the descriptors in host memory: 64 bytes each from a block of ``heap``, written
        with ``write(addr, data)``; returns the program's address (PROG_ADDR)."""
        addr = heap.alloc(len(self.descs) * 64)
        write(addr, self.to_bytes())
        return addr

    def __len__(self) -> int:
        return len(self.descs)


class HostHeap:
    """Bump allocator for host memory (4 KB-aligned blocks keep bursts simple to reason about)."""

    def __init__(self, base: int = 0x1000, size: int = 1 << 20, align: int = 64):
        self.base, self.size, self.align, self.next = base, size, align, base

    def alloc(self, nbytes: int) -> int:
        a = -(-self.next // self.align) * self.align
        if a + nbytes > self.base + self.size:
            raise MemoryError(f"host heap exhausted ({nbytes} bytes more)")
        self.next = a + nbytes
        return a


# ---- rtl/top/desc_check.v: generated from FIELDS / RSV_ERR -------------------------------------
def verilog_desc_check() -> str:
    """The text of ``rtl/top/desc_check.v`` (reserved-bit check of a descriptor)."""
    names = {int(o): Op(o).name for o in Op}
    ops = sorted(FIELDS)
    n_ops = len(ops)
    lines = [
        "/*",
        " * Descriptor reserved-bit check (GENERATED by `python -m sparsetrain.program --verilog` from the",
        " * field table sparsetrain.program.FIELDS; do not edit: a test compares this file with the table).",
        " *",
        " * A bit that no field of the descriptor's opcode names is reserved (docs/program.md, \"Fields\").",
        " * `bad` is high when one is set; `err` is the error code: e_rsv for a bit in word 0 or in a",
        " * word the opcode does not use, e_hi for a bit above a field inside a word it uses.",
        " * Unknown opcodes pass (the sequencer answers them with ERR OPCODE).",
        " *",
        " * Two stages for the clock: the first registers, for every opcode, whether a bit outside its",
        " * fields is set (anywhere; in word 0 or an unused word) -- OR trees over constant masks -- and",
        " * the opcode decoded; the second (combinational) selects the descriptor's opcode.",
        " *",
        " * Latency: bad / err are those of the s_desc of the cycle before.",
        " */",
        "",
        "`resetall",
        "`timescale 1ns / 1ps",
        "`default_nettype none",
        "",
        "module desc_check",
        "(",
        "    input  wire         clk,",
        "    input  wire [511:0] s_desc,   // the 16 words, word i at bits 32i+31:32i",
        "    output wire         bad,      // a reserved bit is set (of the s_desc of the cycle before)",
        "    output wire [7:0]   err       // its error code (ERR register), valid with bad",
        ");",
        "",
    ]
    for op in ops:
        used = used_mask(op)
        words = sum(0xFFFFFFFF << (32 * i) for i in used_words(op))
        n = names[op]
        lines.append(f"localparam [511:0] USED_{n} = 512'h{used:0128x};")
        lines.append(f"localparam [511:0] WORDS_{n} = 512'h{words:0128x};")
    lines += [
        "",
        f"// stage 1, one bit an opcode ({', '.join(names[op] for op in ops)})",
        f"reg [{n_ops - 1}:0] hit_reg;    // s_desc has this opcode",
        f"reg [{n_ops - 1}:0] any_reg;    // a bit outside this opcode's fields is set ...",
        f"reg [{n_ops - 1}:0] far_reg;    // ... in word 0 or in a word this opcode does not use",
        "",
        "always @(posedge clk) begin",
    ]
    for k, op in enumerate(ops):
        n = names[op]
        lines += [
            f"    hit_reg[{k}] <= s_desc[7:0] == 8'h{op:02x};",
            f"    any_reg[{k}] <= |(s_desc & ~USED_{n});",
            f"    far_reg[{k}] <= |(s_desc & ~USED_{n} & ~WORDS_{n});",
        ]
    lines += [
        "end",
        "",
        "// stage 2: the descriptor's opcode selects (none for an unknown one)",
        "assign bad = |(hit_reg & any_reg);",
        "assign err =",
    ]
    for k, op in enumerate(ops):
        e0, e1 = RSV_ERR[op]
        end = ";" if k == n_ops - 1 else " |"
        lines.append(f"    ({{8{{hit_reg[{k}]}}}} & (far_reg[{k}] ? 8'h{int(e0):02x} : 8'h{int(e1):02x})){end}")
    lines += [
        "",
        "endmodule",
        "",
        "`resetall",
        "",
    ]
    return "\n".join(lines)


def markdown_fields() -> str:
    """The field table of docs/program.md (between its ``fields:begin/end`` markers)."""
    rows = ["| opcode | field | word | bits | width | reserved bits answer (word 0 or unused word / above a field) |",
            "|---|---|---|---|---|---|"]
    for op in sorted(FIELDS):
        e0, e1 = RSV_ERR[op]
        for i, f in enumerate(FIELDS[op]):
            bits = f"{f.lsb + f.width - 1}:{f.lsb}" if f.width > 1 else f"{f.lsb}"
            errs = f"0x{int(e0):02X} / 0x{int(e1):02X}" if i == 0 else ""
            rows.append(f"| {Op(op).name if i == 0 else ''} | {f.name} | w{f.word} | [{bits}] | {f.width} | {errs} |")
    return "\n".join(rows) + "\n"


DOC_BEGIN, DOC_END = "<!-- fields:begin (python -m sparsetrain.program --docs) -->\n", "<!-- fields:end -->\n"


def docs_with_fields(text: str) -> str:
    """``text`` (docs/program.md) with the generated field table between the markers."""
    a, b = text.index(DOC_BEGIN) + len(DOC_BEGIN), text.index(DOC_END)
    return text[:a] + markdown_fields() + text[b:]


def main(argv=None) -> int:
    import argparse
    from pathlib import Path
    ap = argparse.ArgumentParser(description="descriptor field table tools")
    ap.add_argument("--verilog", action="store_true",
                    help="write rtl/top/desc_check.v from FIELDS and rtl/common/unit_cmd.vh and "
                         "<unit>_cmd_fields.vh from unit_cmds.UNIT_CMDS")
    ap.add_argument("--docs", action="store_true", help="rewrite the field table of docs/program.md")
    args = ap.parse_args(argv)
    if args.docs:
        doc = Path(__file__).resolve().parent.parent / "docs" / "program.md"
        doc.write_text(docs_with_fields(doc.read_text()))
        print(f"wrote {doc}")
    if args.verilog:
        from sparsetrain.unit_cmds import FIELD_UNITS, verilog_cmd_fields, verilog_unit_cmd
        rtl = Path(__file__).resolve().parent.parent / "rtl"
        for out, text in ((rtl / "top" / "desc_check.v", verilog_desc_check()),
                          (rtl / "common" / "unit_cmd.vh", verilog_unit_cmd()),
                          *((rtl / "common" / f"{u}_cmd_fields.vh", verilog_cmd_fields(u)) for u in FIELD_UNITS)):
            out.write_text(text)
            print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
