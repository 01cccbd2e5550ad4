"""Accelerator top's registers: the ID, reset values and R/W bits of the hand-listed registers
(docs/registers.md), and the register map's one description (rtl/top/regs.rdl, generated into
sparsetrain.regs) walked on the hand-written RTL (rtl/top/axil_regs.v) - reset values, RW/RO/WO
and W1C fields, byte strobes, unmapped offsets - on both simulators (shares accel_top's build).
"""

from __future__ import annotations

import random

import cocotb
from cocotb.triggers import ClockCycles

from sparsetrain import regs as rdl
from sparsetrain.program import Err, Mem, Program, Reg
from verif.common.fuzz_probes import bytemask
from verif.common.top_tb import TB, axil_write_strb, seed_str


# ---- the ID, reset values and the R/W registers' bits, hand-listed (docs/registers.md)
#: R/W registers and the bits they hold (docs/registers.md); the other bits read 0
RW_MASKS = {Reg.PROG_ADDR: 0xFFFF_FFFF, Reg.PROG_LEN: 0xFFFF, Reg.IRQ_EN: 0x3,
            Reg.WATCHDOG: 0xFFFF_FFFF}
#: read-only registers that read 0 on an idle chip after reset
RO_ZERO = (Reg.STATUS, Reg.ERR, Reg.CNT_TOTAL, Reg.CNT_UC, Reg.CNT_POOL, Reg.CNT_LC, Reg.CNT_DMA,
           Reg.N_CORRECT, Reg.LOSS_SUM)


def _patterns(rnd: random.Random) -> list[int]:
    """Full 32-bit test patterns: all ones, zeros, walking ones, walking zeros, random."""
    return ([0xFFFF_FFFF, 0] + [1 << b for b in range(32)] + [~(1 << b) & 0xFFFF_FFFF for b in range(32)]
            + [rnd.getrandbits(32) for _ in range(8)] + [0xFFFF_FFFF, 0])


@cocotb.test()
async def registers_reset_values_and_rw(dut):
    """ID and reset values; R/W registers hold exactly their defined bits of walking-ones,
    walking-zeros, all-ones/zeros and random 32-bit patterns; writes to RO registers (and CTRL
    without START/SOFT_RESET) change nothing; sub-word and protection-flag accesses decode by
    word; unmapped offsets answer SLVERR."""
    tb = TB(dut)
    await tb.reset()
    rnd = random.Random(f"{seed_str()}-regs")
    assert await tb.rd(Reg.ID) == 0x53500001
    for reg in (*RO_ZERO, *RW_MASKS, Reg.IRQ_STATUS, Reg.CTRL):
        assert await tb.rd(reg) == 0, f"{reg.name} not 0 after reset"
    await tb.wr(Reg.PROG_ADDR, 0x12345678)
    await tb.wr(Reg.PROG_LEN, 0xABCD)
    await tb.wr(Reg.IRQ_EN, 3)
    assert await tb.rd(Reg.PROG_ADDR) == 0x12345678
    assert await tb.rd(Reg.PROG_LEN) == 0xABCD
    assert await tb.rd(Reg.IRQ_EN) == 3
    for reg, mask in RW_MASKS.items():
        for v in _patterns(rnd):
            await tb.wr(reg, v)
            got = await tb.rd(reg)
            assert got == v & mask, (f"{reg.name}: wrote {v:#010x}, read {got:#010x}, expected "
                                     f"{v & mask:#010x} (seed {seed_str()})")
    # the R/W registers keep their value while the others are written
    await tb.wr(Reg.PROG_ADDR, 0xA5C3_0F96)
    await tb.wr(Reg.PROG_LEN, 0x5A3C)
    await tb.wr(Reg.IRQ_EN, 0)
    # read-only registers, IRQ_STATUS (write 1 to clear, nothing set) and CTRL with neither
    # START nor SOFT_RESET ignore every pattern
    for v in (0xFFFF_FFFF, 0xFFFF_FFFC, 0x5555_5554, 0xAAAA_AAA8, 0):
        for reg in (Reg.ID, *RO_ZERO, Reg.IRQ_STATUS):
            await tb.wr(reg, v)
        await tb.wr(Reg.CTRL, v & ~0x3)
    assert await tb.rd(Reg.ID) == 0x53500001
    for reg in (*RO_ZERO, Reg.IRQ_STATUS, Reg.CTRL, Reg.IRQ_EN):
        assert await tb.rd(reg) == 0, f"{reg.name} changed by a write to a read-only register"
    assert await tb.rd(Reg.PROG_ADDR) == 0xA5C3_0F96
    assert await tb.rd(Reg.PROG_LEN) == 0x5A3C
    assert int(dut.irq.value) == 0
    # sub-word accesses and every protection flag: the register decodes the word address only
    for prot in (7, 0):
        data = (await tb.axil.read(int(Reg.PROG_ADDR) + 3, 1, prot=prot)).data
        assert data == bytes([0xA5]), f"byte 3 of PROG_ADDR read as {data!r}"
        resp = await tb.axil.write(int(Reg.ID) + 3, b"\xff", prot=prot)  # RO: ignored, OKAY
        assert int(resp.resp) == 0
        resp = await tb.axil.write(int(Reg.ID) + 1, b"\xff\xff", prot=prot)
        assert int(resp.resp) == 0
    assert await tb.rd(Reg.ID) == 0x53500001
    resp = await tb.axil.read(0xFC, 4)
    assert int(resp.resp) == 2, "unmapped read must answer SLVERR"
    resp = await tb.axil.write(0xF0, b"\0\0\0\0")
    assert int(resp.resp) == 2, "unmapped write must answer SLVERR"
    for off in (0x40, 0x44, 0x80):
        assert int((await tb.axil.read(off, 4)).resp) == 2, f"{off:#x}: unmapped read not SLVERR"
        assert int((await tb.axil.write(off, b"\xff" * 4)).resp) == 2
    assert await tb.rd(Reg.PROG_ADDR) == 0xA5C3_0F96, "an unmapped write changed PROG_ADDR"


# ---- the register map's description (rtl/top/regs.rdl, generated sparsetrain.regs) walked on the RTL


def _kind(reg: rdl.Register) -> str:
    """How the walk treats a register: every field RO, RW or W1C, or a write-only pulse register
    (CTRL). A register of any other mix fails the test (the walk would have to learn it)."""
    kinds = {f.access for f in reg.fields}
    if all(f.singlepulse and f.access == "WO" for f in reg.fields):
        return "PULSE"
    assert len(kinds) == 1 and kinds <= {"RO", "RW", "W1C"}, \
        f"{reg.name}: fields {kinds} of a kind the register walk does not know"
    return kinds.pop()


def _read_value(reg: rdl.Register, value: int) -> int:
    """What a read returns of a register holding ``value``: readable fields only (WO reads 0)."""
    return value & reg.mask("RO", "RW", "W1C")


@cocotb.test()
async def registers_match_the_rdl(dut):
    """Every register of the SystemRDL description (sparsetrain.regs, generated from
    rtl/top/regs.rdl) on the hand-written RTL: reset values; RW fields hold walking ones / zeros,
    all-ones / zeros and random words, bits outside fields read 0, every WSTRB pattern merges
    bytes; RO registers ignore writes (OKAY), at reset and after a run left them non-zero; the
    write-only pulse register (CTRL) reads 0, does nothing without its pulse bits or without the
    strobe of their byte, START runs, SOFT_RESET stops quietly; W1C fields are set by runs, a
    write of 1 clears exactly that field (not without its byte strobe), irq = |(IRQ_STATUS &
    IRQ_EN); every unmapped word offset answers SLVERR (read data 0) and changes nothing; no
    write to one register changes another."""
    tb = TB(dut)
    await tb.reset()
    rnd = random.Random(f"{seed_str()}-rdl")
    regs = list(rdl.REGS.values())
    kinds = {r.name: _kind(r) for r in regs}
    by_kind = {k: [r for r in regs if kinds[r.name] == k] for k in ("RO", "RW", "W1C", "PULSE")}
    # the value each register holds (what a read returns); RO registers re-read after runs
    model = {r.name: _read_value(r, r.reset) for r in regs}

    async def rd(reg: rdl.Register) -> int:
        resp = await tb.axil.read(reg.offset, 4)
        assert int(resp.resp) == 0, f"{reg.name}: read answered {int(resp.resp)} (seed {seed_str()})"
        return int.from_bytes(resp.data, "little")

    async def wr(reg: rdl.Register, value: int, strb: int = 0xF) -> None:
        bresp = await axil_write_strb(tb, reg.offset, value, strb)
        assert bresp == 0, f"{reg.name}: write answered {bresp} (seed {seed_str()})"

    async def check_all(when: str) -> None:
        for r in regs:
            got = await rd(r)
            assert got == model[r.name], (f"{when}: {r.name} reads {got:#010x}, expected "
                                          f"{model[r.name]:#010x} (seed {seed_str()})")
        irq_expected = bool(model["IRQ_STATUS"] & model["IRQ_EN"])
        assert int(dut.irq.value) == irq_expected, f"{when}: irq {int(dut.irq.value)}, expected {irq_expected}"

    async def resample_ro() -> None:
        for r in by_kind["RO"]:
            model[r.name] = await rd(r)

    async def ro_ignore_writes(when: str) -> None:
        for r in by_kind["RO"]:
            for v in (0xFFFF_FFFF, 0, 0x5555_5555, 0xAAAA_AAAA, ~model[r.name] & 0xFFFF_FFFF,
                      rnd.getrandbits(32)):
                await wr(r, v, rnd.choice((0xF, 0x1, 0x8, 0x6, rnd.randrange(16))))
            got = await rd(r)
            assert got == model[r.name], f"{when}: RO {r.name} changed by writes to {got:#010x}"

    # 1. reset values (every register, OKAY)
    assert int(dut.irq.value) == 0
    await check_all("after reset")
    assert model["ID"] == 0x5350_0001

    # 2. read-only registers ignore writes (at reset values)
    await ro_ignore_writes("at reset")
    await check_all("after the RO writes")

    # 3. RW registers: walking ones / zeros and random words; every strobe pattern
    for r in by_kind["RW"]:
        m = r.mask("RW")
        pats = ([1 << b for b in range(32)] + [~(1 << b) & 0xFFFF_FFFF for b in range(32)]
                + [0xFFFF_FFFF, 0, 0x5555_5555, 0xAAAA_AAAA] + [rnd.getrandbits(32) for _ in range(8)])
        for v in pats:
            await wr(r, v)
            got = await rd(r)
            assert got == v & m, (f"RW {r.name}: wrote {v:#010x}, read {got:#010x}, expected "
                                  f"{v & m:#010x} (seed {seed_str()})")
        for strb in range(16):
            old, new = rnd.getrandbits(32), rnd.getrandbits(32)
            await wr(r, old)
            await wr(r, new, strb)
            bm = bytemask(strb)
            expected = ((old & ~bm) | (new & bm)) & m
            got = await rd(r)
            assert got == expected, (f"RW {r.name} WSTRB {strb:04b}: wrote {new:#010x} over "
                                     f"{old:#010x}, read {got:#010x}, expected {expected:#010x}")
        model[r.name] = rnd.getrandbits(32) & m
        await wr(r, model[r.name])
        await check_all(f"after the walk of {r.name}")

    # 4. unmapped word offsets: SLVERR, read data 0, nothing written
    for off in range(rdl.MAP_SIZE, 1 << len(dut.s_axil_awaddr), 4):
        resp = await tb.axil.read(off, 4)
        assert int(resp.resp) == 2 and resp.data == bytes(4), \
            f"unmapped read {off:#x}: resp {int(resp.resp)} data {resp.data.hex()}"
        assert await axil_write_strb(tb, off, 0xFFFF_FFFF, 0xF) == 2, f"unmapped write {off:#x} not SLVERR"
    await check_all("after the unmapped accesses")

    # 5. the pulse register (CTRL): nothing without its pulse bits or their byte's strobe
    ok = Program(); ok.end()
    ok_addr = tb.put(ok.to_bytes())
    runaway = Program(); runaway.loss(4, 8, 12, 0, 8)   # no END: RUNAWAY error at pc 1
    bad_addr = tb.put(runaway.to_bytes())
    setup = {"PROG_ADDR": ok_addr, "PROG_LEN": 1, "WATCHDOG": 0, "IRQ_EN": 0}
    for name, v in setup.items():
        model[name] = v
        await wr(rdl.REGS[name], v)
    for ctrl in by_kind["PULSE"]:
        pulses = ctrl.mask("WO")
        for v in (0xFFFF_FFFF & ~pulses, 0x5555_5555 & ~pulses, rnd.getrandbits(32) & ~pulses):
            await wr(ctrl, v, rnd.randrange(16))
        for f in ctrl.fields:           # one pulse bit, without the strobe of its byte
            for strb in (0, 0xF & ~(1 << (f.lsb // 8))):
                await wr(ctrl, f.mask, strb)
        await ClockCycles(dut.clk, 20)
        await check_all(f"after {ctrl.name} writes without a pulse")
    ctrl = rdl.REGS["CTRL"]
    status = rdl.REGS["STATUS"]
    start_f, soft_f = (next(f for f in ctrl.fields if f.name == n) for n in ("START", "SOFT_RESET"))
    await wr(ctrl, start_f.mask)
    err, _ = await tb.wait_done(2000, poll=4)
    assert err == 0
    assert await rd(ctrl) == 0, "CTRL reads back after START"
    # SOFT_RESET: stops a running program (quietly), not without its byte's strobe
    loop = Program()
    loop.loop(0xFFFF_FFFF); loop.load(Mem.WGT, 0, 4, tb.put(bytes(16))); loop.endloop(); loop.end()
    await wr(rdl.REGS["PROG_ADDR"], tb.put(loop.to_bytes()))
    await wr(rdl.REGS["PROG_LEN"], len(loop))
    await wr(ctrl, start_f.mask)
    await ClockCycles(dut.clk, 100)
    for strb in (0, 0xF & ~(1 << (soft_f.lsb // 8))):
        await wr(ctrl, soft_f.mask, strb)
    await ClockCycles(dut.clk, 100)
    assert await rd(status) == rdl.STATUS_BUSY_MASK, "SOFT_RESET without its byte's strobe stopped the run"
    await wr(ctrl, soft_f.mask)
    await ClockCycles(dut.clk, 100)
    assert await rd(status) == 0, "SOFT_RESET did not stop the run quietly"
    assert await rd(ctrl) == 0, "CTRL reads back after SOFT_RESET"
    for name in ("PROG_ADDR", "PROG_LEN"):
        await wr(rdl.REGS[name], model[name])

    # 6. W1C fields: set by a run (DONE by any, ERROR by a failing one), cleared by a 1 alone
    w1c = rdl.REGS["IRQ_STATUS"]
    wmask = w1c.mask("W1C")

    async def set_by_a_failing_run() -> None:
        await wr(rdl.REGS["PROG_ADDR"], bad_addr)
        await wr(ctrl, rdl.CTRL_START_MASK)
        err, pc = await tb.wait_done(5000, poll=4)
        assert (err, pc) == (int(Err.RUNAWAY), 1), f"the failing run ended with {err:#x} at {pc}"
        model["PROG_ADDR"] = bad_addr
        model[w1c.name] = wmask
        await resample_ro()

    await set_by_a_failing_run()
    assert await rd(w1c) == wmask, "a failing run did not set every IRQ_STATUS field"
    for name in ("STATUS", "ERR", "CNT_TOTAL", "CNT_DMA"):
        assert model[name] != 0, f"{name} still 0 after a run"
    await ro_ignore_writes("after a run")
    model["IRQ_EN"] = rdl.REGS["IRQ_EN"].mask("RW")
    await wr(rdl.REGS["IRQ_EN"], model["IRQ_EN"])
    await check_all("after a failing run, IRQ_EN all set")
    for r in by_kind["W1C"]:
        for f in r.fields:
            if model[r.name] != r.mask("W1C"):
                await set_by_a_failing_run()
            for v, strb in ((0, 0xF), (0xFFFF_FFFF & ~wmask, 0xF), (f.mask, 0xF & ~(1 << (f.lsb // 8))),
                            (0xFFFF_FFFF, 0)):
                await wr(r, v, strb)
            await check_all(f"{r.name}.{f.name}: writes that clear nothing")
            await wr(r, f.mask)
            model[r.name] &= ~f.mask
            await check_all(f"{r.name}.{f.name}: write 1 to clear")
    model["IRQ_EN"] = 0
    await wr(rdl.REGS["IRQ_EN"], 0)
    await set_by_a_failing_run()
    await check_all("IRQ_STATUS set, IRQ_EN 0: no irq")


# ---- pytest entry: every parameter set on both simulators ---------------------------------------
from flow.blocks import TOP_ARRAY_SETS  # noqa: E402
from verif.common.block_entry import block_test  # noqa: E402

test_accel_top_regs = block_test("accel_top_regs", skip_sets=TOP_ARRAY_SETS)
