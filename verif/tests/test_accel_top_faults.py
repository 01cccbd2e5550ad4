"""Accelerator top: directed faults of issue 12, each one a test that failed on the earlier RTL.

* soft reset in the middle of AXI transactions (the AXI rules hold, the next program is exact),
  a runaway program stopped by soft reset and by the WATCHDOG register;
* every descriptor field's high and reserved bits (one at a time, against the field table
  ``sparsetrain.program.FIELDS``), label words with bits 31:16 set;
* host addresses: unaligned, past 2^32 (also through a loop's step), program address;
* bus details: PROG_LEN / PROG_ADDR latched at START, an error beat in a LOAD, IRQ set against
  clear in the same cycle, AXI-Lite byte strobes, a STORE after a write error, defined values
  after reset.

Host memory model, registers and helpers: :mod:`verif.common.top_tb`.
"""

from __future__ import annotations

import random

import cocotb
from cocotb.triggers import ClockCycles, RisingEdge

from verif.common.axi_monitor import AxiMonitor
from verif.common.top_tb import (TB, axil_write_strb, seed_str,
                                 store_and_read)
from sparsetrain.program import (DESC_WORDS, FIELDS, RSV_ERR, Err, Mem, Op, Program, Reg, encode,
                                 reserved_error, used_mask, used_words, words_to_bytes)

PROG_A, PROG_B = 0x8000, 0x9000
ICARUS = "icarus" in (getattr(cocotb, "SIM_NAME", None) or "").lower()


def wgt_bytes(words) -> bytes:
    return words_to_bytes(words, 16)


async def wait_idle(tb: TB, bound: int = 400) -> int:
    """Cycles until STATUS.BUSY falls (fails past ``bound``)."""
    for n in range(0, bound, 4):
        if not (await tb.rd(Reg.STATUS)) & 1:
            return n
        await ClockCycles(tb.dut.clk, 4)
    raise AssertionError(f"still busy {bound} cycles after the soft reset (seed {seed_str()})")


async def start_at(tb: TB, addr: int, prog: Program) -> None:
    tb.ram.write(addr, prog.to_bytes())
    await tb.wr(Reg.PROG_ADDR, addr)
    await tb.wr(Reg.PROG_LEN, len(prog))
    await tb.wr(Reg.CTRL, 1)


@cocotb.test()
async def soft_reset_mid_axi_keeps_the_protocol(dut):
    """Program A (LOAD WGT 40 words from 0x2000; STORE WGT 40 words to 0x6000; END), soft reset
    17, 103 and a spread of other cycles after START; then program B (STORE WGT 8 words to
    0x7000; END) ends OK and stores the words WGT holds (each the old or A's loaded value), A's
    STORE wrote only real WGT words inside its range, nothing else in host memory changed, and
    no AXI VALID dropped or changed before READY."""
    tb = TB(dut)
    await tb.reset()
    watch = AxiMonitor(dut)
    rnd = random.Random(f"{seed_str()}-softreset")
    old = [0x100 + i for i in range(40)]
    new = [0x2000 + i for i in range(40)]
    pre = Program(); pre.load(Mem.WGT, 0, 40, tb.put(wgt_bytes(old))); pre.end()
    delays = [17, 103] + list(range(0, 300, 23)) + [rnd.randrange(300) for _ in range(4)]
    for d in delays:
        assert (await tb.run(pre))[0] == 0
        tb.ram.write(0x2000, wgt_bytes(new))
        tb.ram.write(0x6000, b"\xee" * 160)
        tb.ram.write(0x7000, b"\xdd" * 32)
        snap = tb.ram.read(0, 0x10000)
        a = Program()
        a.load(Mem.WGT, 0, 40, 0x2000); a.store(Mem.WGT, 0, 40, 0x6000); a.end()
        await start_at(tb, PROG_A, a)
        await ClockCycles(dut.clk, d)
        await tb.wr(Reg.CTRL, 2)
        await wait_idle(tb)
        b = Program(); b.store(Mem.WGT, 0, 8, 0x7000); b.end()
        await start_at(tb, PROG_B, b)
        err, pc = await tb.wait_done(5000, poll=8)
        assert (err, pc) == (0, 1), f"delay {d}: program B ended with {err:#x} at {pc} (seed {seed_str()})"
        after = tb.ram.read(0, 0x10000)
        for i in range(8):
            got = int.from_bytes(after[0x7000 + 4 * i:0x7004 + 4 * i], "little")
            assert got in (old[i], new[i]), f"delay {d}: B word {i} = {got:#x} (seed {seed_str()})"
        for i in range(40):
            got = int.from_bytes(after[0x6000 + 4 * i:0x6004 + 4 * i], "little")
            assert got in (0xEEEEEEEE, old[i], new[i]), \
                f"delay {d}: A's STORE word {i} = {got:#x}: not the old host word nor a WGT word"
        changed = [k for k in range(0x10000) if after[k] != snap[k]
                   and not (0x6000 <= k < 0x60A0 or 0x7000 <= k < 0x7020 or k >= PROG_A)]
        assert not changed, f"delay {d}: host byte {changed[0]:#x} written outside A's and B's buffers"
    watch.assert_clean(seed_str(), "soft resets")


@cocotb.test()
async def runaway_stopped_by_soft_reset_and_watchdog(dut):
    """LOOP 0xFFFFFFFF: a soft reset stops it (no DONE, no irq); WATCHDOG stops it by itself with
    ERR WATCHDOG, DONE, ERROR and irq, CNT_TOTAL at the limit; WATCHDOG = 0 turns it off."""
    tb = TB(dut)
    await tb.reset()
    await tb.wr(Reg.IRQ_EN, 3)
    run = Program()
    run.loop(0xFFFF_FFFF); run.load(Mem.WGT, 0, 4, tb.put(bytes(16))); run.endloop(); run.end()
    await start_at(tb, PROG_A, run)
    await ClockCycles(dut.clk, 2000)
    assert (await tb.rd(Reg.STATUS)) & 1, "the runaway program should be running"
    await tb.wr(Reg.CTRL, 2)
    await wait_idle(tb, 100)
    assert (await tb.rd(Reg.STATUS)) == 0 and int(dut.irq.value) == 0, "soft reset raised DONE or irq"
    for limit in (3000, 777):
        await tb.wr(Reg.WATCHDOG, limit)
        await tb.wr(Reg.IRQ_STATUS, 3)
        await start_at(tb, PROG_A, run)
        err, pc = await tb.wait_done(limit + 2000, poll=16)
        assert err == Err.WATCHDOG and 1 <= pc <= 2, f"watchdog {limit}: error {err:#x} at {pc}"
        assert await tb.rd(Reg.STATUS) == 0b110 and await tb.rd(Reg.IRQ_STATUS) == 3
        assert int(dut.irq.value) == 1
        total = await tb.rd(Reg.CNT_TOTAL)
        assert limit <= total <= limit + 64, f"watchdog {limit}: stopped after {total} cycles"
        tb.program_done(run.descs, err, pc)
    # a program shorter than the limit is not touched; 0 turns the watchdog off
    ok = Program(); ok.load(Mem.WGT, 0, 1, tb.put(wgt_bytes([7]))); ok.end()
    assert await tb.run(ok) == (0, 1)
    await tb.wr(Reg.WATCHDOG, 0)
    slow = Program(); slow.loop(60); slow.load(Mem.WGT, 0, 4, tb.put(bytes(16))); slow.endloop(); slow.end()
    assert await tb.run(slow) == (0, 3)
    assert await tb.rd(Reg.CNT_TOTAL) > 777
    assert await store_and_read(tb, Mem.WGT, 0, 1) == [0]


def _reserved_bits(op: int, rnd: random.Random, every: bool = True) -> list[tuple[int, int]]:
    """(word, bit) positions to try for ``op``: every reserved bit of word 0 and of the words it
    uses (so the bit just above every field), and bits 0, 31 and one random bit of every other
    word (665 descriptors over the ten opcodes). ``every=False`` (Icarus, for its speed): of the
    reserved bits of word 0 and the used words, the bit just above each field and bits 0 / 31
    always and a random quarter of the rest, one random bit of every other word (about 225;
    Verilator runs them all in every tier)."""
    used, words = used_mask(op), used_words(op)
    out = []
    for w in range(DESC_WORDS):
        free = [b for b in range(32) if not (used >> (32 * w + b)) & 1]
        if w == 0 or w in words:
            edge = {b for b in free if b in (0, 31) or (used >> (32 * w + b - 1)) & 1}
            out += [(w, b) for b in free if every or b in edge or rnd.random() < 0.25]
        else:
            out += [(w, b) for b in (sorted({0, 31, rnd.randrange(32)}) if every else [rnd.randrange(32)])]
    return out


def _base_descriptor(op: int, tb: TB, src: int) -> list[int]:
    """A descriptor of ``op`` that would run (a LOAD would overwrite the WGT marker)."""
    if op in (Op.LOAD, Op.STORE):
        return encode(op, mem=Mem.WGT, host_addr=src, count=2, chip_addr=0)
    if op == Op.LOOP:
        return encode(op, count=1)
    if op in (Op.UC, Op.LC):
        return encode(op, mode=0, cin=1, cout=1, h=1, w=1, k=1, stride=1, dil=1) if op == Op.UC \
            else encode(op, mode=0, cin=1, cout=1, y_base=4, w_base=0)
    if op in (Op.MP, Op.GAP):
        return encode(op, mode=0, c=1, h=2, w=2, y_base=8)
    if op == Op.LOSS:
        return encode(op, classes=2, y_base=0, g_base=8)
    return encode(op)


@cocotb.test()
async def reserved_and_high_bits_of_every_field(dut):
    """The issue's examples (label 0x00010002 with LOSS of 10 classes: BAD_LABEL; LOSS of
    0x1000A classes; GAP of 0x10001 channels; LOAD selector 0x11), then every reserved bit of
    word 0 and of every used word, and three bits of every unused word, one at a time, of every
    opcode: each stops at once with the error of the field table (RSV_ERR) and writes nothing
    (Icarus: the bit above each field, a random quarter of the other reserved bits of the used
    words and one bit of each unused word)."""
    tb = TB(dut)
    await tb.reset()
    rnd = random.Random(f"{seed_str()}-fields")
    marker = [0x1234, 0x5678]
    src = tb.put(wgt_bytes([0xBAD0, 0xBAD1]))
    setup = Program(); setup.load(Mem.WGT, 0, 2, tb.put(wgt_bytes(marker))); setup.end()
    assert (await tb.run(setup))[0] == 0

    p = Program(); p.load(Mem.LABEL, 0, 1, tb.put((0x0001_0002).to_bytes(4, "little")))
    p.loss(10, 8, 12, 0, 100); p.end()
    assert await tb.run(p) == (Err.LOSS | 7, 1), "label 0x00010002 must be BAD_LABEL"
    loss = encode(Op.LOSS, classes=10, y_base=0, g_base=100); loss[1] = 0x1000A
    p = Program(); p.raw(loss); p.end()
    assert await tb.run(p) == (Err.LOSS | 2, 0), "LOSS of 0x1000A classes"
    gap = encode(Op.GAP, mode=0, c=1, h=4, w=4, y_base=64); gap[1] = 0x10001
    p = Program(); p.raw(gap); p.end()
    assert await tb.run(p) == (Err.GAP | 2, 0), "GAP of 0x10001 channels"
    ld = encode(Op.LOAD, mem=Mem.WGT, host_addr=src, count=2, chip_addr=0); ld[0] |= 0x10 << 8
    p = Program(); p.raw(ld); p.end()
    assert await tb.run(p) == (Err.DMA, 0), "LOAD with memory selector 0x11"

    n = 0
    for op in sorted(FIELDS):
        base = _base_descriptor(op, tb, src)
        assert reserved_error(base) == 0, f"{Op(op).name}: base descriptor has reserved bits"
        for w, b in _reserved_bits(op, rnd, every=not ICARUS):
            d = list(base)
            d[w] |= 1 << b
            expected = RSV_ERR[op][0] if (w == 0 or w not in used_words(op)) else RSV_ERR[op][1]
            assert reserved_error(d) == expected
            p = Program(); p.raw(d); p.end()
            err, pc = await tb.run(p)
            assert (err, pc) == (int(expected), 0), \
                (f"{Op(op).name} word {w} bit {b}: error {err:#x} at {pc}, expected "
                 f"{int(expected):#x} at 0 (seed {seed_str()})")
            n += 1
    dut._log.info("%d single reserved-bit descriptors rejected with their field's error", n)

    # one-descriptor programs: descriptor 0's check (written a cycle after it, seq_prog) is read
    # in the cycle it is written (the bypass); bad and good alternate, so a stale check shows
    for bad in (True, False, True, True, False, False):
        d = encode(Op.END)
        if bad:
            d[1 + rnd.randrange(DESC_WORDS - 1)] |= 1 << rnd.randrange(32)
        p = Program(); p.raw(d)
        got = await tb.run(p)
        assert got == ((int(Err.OPCODE) if bad else 0), 0), \
            f"one-descriptor program, END {'with' if bad else 'without'} a reserved bit: {got} (seed {seed_str()})"
    assert await store_and_read(tb, Mem.WGT, 0, 2) == marker, "a rejected descriptor wrote WGT"


@cocotb.test()
async def host_addresses_are_checked(dut):
    """Unaligned STORE/LOAD host addresses, a LOAD whose last byte passes 2^32 (directly and
    through a loop's step), an unaligned step, and bad program addresses: each stops with
    ERR DMA (PROG for the program) before any beat; the iterations before go through."""
    tb = TB(dut)
    await tb.reset()
    tb.log_access = True
    tb.ram.write(0x9000, b"\x55" * 16)
    cases = []
    p = Program(); p.store(Mem.WGT, 0, 1, 0x9002); p.end(); cases.append(("store 0x9002", p, 0, 0))
    p = Program(); p.load(Mem.WGT, 0, 1, 0x9001); p.end(); cases.append(("load 0x9001", p, 0, 0))
    p = Program(); p.load(Mem.WGT, 0, 4, 0xFFFF_FFF8); p.end(); cases.append(("load 0xfffffff8", p, 0, 0))
    p = Program(); p.load(Mem.WGT, 0, 2, 0xFFFF_FFFC); p.end(); cases.append(("load 2 at top", p, 0, 0))
    p = Program(); p.loop(3); p.load(Mem.WGT, 0, 1, 0xFFFF_0000, 0x8000); p.endloop(); p.end()
    cases.append(("loop step past 2^32", p, 1, 2))
    p = Program(); p.loop(2); p.load(Mem.WGT, 0, 1, 0x1000, 2); p.endloop(); p.end()
    cases.append(("loop step unaligned", p, 1, 1))
    for name, prog, pc_exp, beats_ok in cases:
        addr = tb.put(prog.to_bytes())
        await tb.wr(Reg.PROG_ADDR, addr)
        await tb.wr(Reg.PROG_LEN, len(prog))
        tb.accesses.clear()
        await tb.wr(Reg.CTRL, 1)
        err, pc = await tb.wait_done(4000, poll=8)
        assert (err, pc) == (Err.DMA, pc_exp), f"{name}: error {err:#x} at {pc} (seed {seed_str()})"
        data = [(k, a) for k, a in tb.accesses if not addr <= a < addr + 64 * len(prog)]
        assert len(data) == beats_ok and all(k == "r" for k, _ in data), \
            f"{name}: {len(data)} data beats ({data[:4]}), expected {beats_ok} reads"
    assert tb.ram.read(0x9000, 16) == b"\x55" * 16, "an unaligned STORE wrote host memory"
    # the top of the 32-bit space is still usable: the last word
    tb.ram.write(0xFFFFC, (0x4321).to_bytes(4, "little"))
    p = Program(); p.load(Mem.WGT, 0, 1, 0xFFFF_FFFC); p.end()
    assert await tb.run(p) == (0, 1)
    assert await store_and_read(tb, Mem.WGT, 0, 1) == [0x4321]
    # program address: unaligned, or its end past 2^32 (one descriptor at the very top is fine)
    end1 = Program(); end1.end()
    tb.ram.write(0xFFFC0, end1.to_bytes())
    for addr, length, expected in ((0x8002, 1, Err.PROG), (0xFFFF_FFC0, 2, Err.PROG),
                                   (0xFFFF_FFC0, 1, Err.NONE)):
        tb.accesses.clear()
        await tb.wr(Reg.PROG_ADDR, addr)
        await tb.wr(Reg.PROG_LEN, length)
        await tb.wr(Reg.CTRL, 1)
        err, pc = await tb.wait_done(2000, poll=8)
        assert (err, pc) == (int(expected), 0), f"PROG_ADDR {addr:#x} x {length}: error {err:#x} at {pc}"
        if expected:
            assert not tb.accesses, f"PROG_ADDR {addr:#x}: the fetch started"


@cocotb.test()
async def prog_registers_latched_and_load_error_beat(dut):
    """Writing PROG_LEN and PROG_ADDR while a program runs changes nothing of that run; a 3-word
    WGT LOAD with SLVERR on its second beat writes words 1 and 3 in their own slots and stops
    with ERR AXI."""
    tb = TB(dut)
    await tb.reset()
    prog = Program()
    prog.loop(40); prog.load(Mem.WGT, 0, 16, tb.put(bytes(64))); prog.endloop(); prog.end()
    await start_at(tb, PROG_A, prog)
    await ClockCycles(dut.clk, 100)
    await tb.wr(Reg.PROG_LEN, 1)
    await tb.wr(Reg.PROG_ADDR, 0x40)
    assert await tb.wait_done(20000, poll=16) == (0, 3), "the run followed the new PROG_LEN/ADDR"

    pre = Program(); pre.load(Mem.WGT, 0, 3, tb.put(wgt_bytes([1000, 1001, 1002]))); pre.end()
    assert (await tb.run(pre))[0] == 0
    host = tb.put(wgt_bytes([2000, 2001, 2002]))
    tb.read_fault = lambda a: a == host + 4
    p = Program(); p.load(Mem.WGT, 0, 3, host); p.end()
    assert await tb.run(p) == (Err.AXI, 0)
    tb.read_fault = None
    assert await store_and_read(tb, Mem.WGT, 0, 3) == [2000, 1001, 2002], \
        "the words after an error beat moved out of their slots"


@cocotb.test()
async def store_stops_after_write_error(dut):
    """A 40-word STORE whose first burst answers SLVERR: ERR AXI, no later burst is issued and
    the host words past the first burst are untouched."""
    tb = TB(dut)
    await tb.reset()
    host = 0x20000
    tb.ram.write(host, b"\x77" * 160)
    tb.log_access = True
    tb.write_fault = lambda a: a == host
    p = Program(); p.store(Mem.WGT, 0, 40, host); p.end()
    assert await tb.run(p) == (Err.AXI, 0)
    writes = [a for k, a in tb.accesses if k == "w"]
    assert writes and max(writes) < host + 64, f"write beats after the failing burst: {max(writes):#x}"
    assert tb.ram.read(host + 64, 96) == b"\x77" * 96


@cocotb.test()
async def irq_set_wins_over_clear_in_the_same_cycle(dut):
    """IRQ_STATUS: a write-1-to-clear whose handshake falls in the cycle the run ends loses to the
    new event (bit stays set, irq high). The clear is swept over the cycles around done until
    that exact cycle is hit."""
    tb = TB(dut)
    await tb.reset()
    await tb.wr(Reg.IRQ_EN, 1)
    prog = Program(); prog.load(Mem.WGT, 0, 4, tb.put(bytes(16))); prog.end()
    addr = tb.put(prog.to_bytes())
    await tb.wr(Reg.PROG_ADDR, addr)
    await tb.wr(Reg.PROG_LEN, len(prog))
    events = {}

    async def watch():
        cyc = 0
        while True:
            await RisingEdge(dut.clk)
            cyc += 1
            if int(dut.done_pulse.value):
                events["done"] = cyc
            if int(dut.s_axil_awvalid.value) and int(dut.s_axil_awready.value) \
                    and int(dut.s_axil_awaddr.value) == int(Reg.IRQ_STATUS):
                events["clear"] = cyc

    cocotb.start_soon(watch())
    # how long from START to done
    await tb.wr(Reg.CTRL, 1)
    t0 = dict(events)
    await tb.wait_done(2000, poll=2)
    hits = 0
    for offset in range(0, 120):   # past the run's length (60 was too short once the DMA sized bursts in 2 cycles)
        await tb.wr(Reg.IRQ_STATUS, 1)
        events.clear()
        await tb.wr(Reg.CTRL, 1)
        await ClockCycles(dut.clk, offset)
        await tb.wr(Reg.IRQ_STATUS, 1)
        await tb.wait_done(2000, poll=2)
        status = await tb.rd(Reg.IRQ_STATUS)
        if events.get("clear") == events.get("done"):
            hits += 1
            assert status & 1 and int(dut.irq.value), f"offset {offset}: the clear won over done"
        elif events["clear"] < events["done"]:
            assert status & 1, f"offset {offset}: done before the clear was lost"
        else:
            assert not status & 1, f"offset {offset}: the clear after done did not clear"
        if hits and events["clear"] > events["done"] + 2:
            break
    assert hits, f"no clear landed in the done cycle (seed {seed_str()}, {t0})"


@cocotb.test()
async def axil_byte_strobes(dut):
    """AXI-Lite WSTRB: a byte write to PROG_ADDR+1 changes byte 1 only; each strobe pattern on
    PROG_ADDR / PROG_LEN / WATCHDOG merges bytes; WSTRB 0 on CTRL does not start the chip and on
    IRQ_STATUS clears nothing; strobes without byte 0 on CTRL do nothing either."""
    tb = TB(dut)
    await tb.reset()
    await tb.wr(Reg.PROG_ADDR, 0x1122_3344)
    await tb.axil.write(int(Reg.PROG_ADDR) + 1, b"\xab")
    assert await tb.rd(Reg.PROG_ADDR) == 0x1122_AB44
    rnd = random.Random(f"{seed_str()}-strb")
    for reg, mask in ((Reg.PROG_ADDR, 0xFFFF_FFFF), (Reg.PROG_LEN, 0xFFFF), (Reg.WATCHDOG, 0xFFFF_FFFF)):
        for strb in range(16):
            old, new = rnd.getrandbits(32) & mask, rnd.getrandbits(32)
            await tb.wr(reg, old)
            assert await axil_write_strb(tb, int(reg), new, strb) == 0
            m = sum(0xFF << (8 * i) for i in range(4) if strb >> i & 1)
            expected = ((old & ~m) | (new & m)) & mask
            got = await tb.rd(reg)
            assert got == expected, f"{reg.name} strobe {strb:04b}: {got:#x}, expected {expected:#x}"
    await tb.wr(Reg.WATCHDOG, 0)
    ok = Program(); ok.end()
    addr = tb.put(ok.to_bytes())
    await tb.wr(Reg.PROG_ADDR, addr)
    await tb.wr(Reg.PROG_LEN, 1)
    for strb in (0b0000, 0b0010, 0b1110):
        await axil_write_strb(tb, int(Reg.CTRL), 0xFFFF_FF01, strb)
        await ClockCycles(dut.clk, 20)
        assert await tb.rd(Reg.STATUS) == 0, f"CTRL with WSTRB {strb:04b} started the chip"
    await tb.wr(Reg.IRQ_EN, 1)
    await axil_write_strb(tb, int(Reg.CTRL), 1, 0b0001)
    await tb.wait_done(500, poll=4)
    assert await tb.rd(Reg.IRQ_STATUS) == 1
    await axil_write_strb(tb, int(Reg.IRQ_STATUS), 3, 0)
    assert await tb.rd(Reg.IRQ_STATUS) == 1, "IRQ_STATUS cleared by a write without strobes"
    await axil_write_strb(tb, int(Reg.IRQ_STATUS), 3, 1)
    assert await tb.rd(Reg.IRQ_STATUS) == 0


@cocotb.test()
async def defined_values_after_reset(dut):
    """Right after reset WLAST and the other master outputs are defined (no X on a 4-state
    simulator), and the label register is 0: a LOSS with no LOAD LABEL counts class 0."""
    tb = TB(dut)
    await tb.reset()
    for name in ("m_axi_wlast", "m_axi_wvalid", "m_axi_arvalid", "m_axi_awvalid", "m_axi_rready",
                 "m_axi_bready", "irq", "s_axil_bvalid", "s_axil_rvalid"):
        assert getattr(dut, name).value.is_resolvable, f"{name} is {getattr(dut, name).value} after reset"
    p = Program(); p.loss(4, 8, 12, 0, 8); p.end()
    assert await tb.run(p) == (0, 1)
    assert await tb.rd(Reg.N_CORRECT) == 1, "LOSS on a zero map should predict class 0 = label 0"


# ---- pytest entry: every parameter set on both simulators ---------------------------------------
from flow.blocks import TOP_ARRAY_SETS  # noqa: E402
from verif.common.block_entry import block_test  # noqa: E402

# the top's tests on the engine arrays (e4x4, e16x4): test_accel_top; these by hand (`PARAMS=e4x4`)
test_accel_top_faults = block_test("accel_top_faults", skip_sets=TOP_ARRAY_SETS)
