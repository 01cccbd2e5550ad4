"""Testbench library of the accelerator top (``accel_top``): the ``TB`` class and helpers that
every top-level test module (and bench/top_bench_tests.py) shares.

The host side is cocotbext-axi: an AXI-Lite master on the control registers and an AXI RAM as
host memory.

* Host memory: the AXI RAM (``HOST_SIZE``) answers at ``[0, HOST_SIZE)`` and again at the alias
  window ``HIGH_ALIAS + [0, HOST_SIZE)`` (high address bits set); anything else is SLVERR.
* Faults: ``TB.read_fault`` / ``TB.write_fault``, when set, are called with the byte address of
  every data beat; a True answer makes that beat SLVERR (the RAM is not written / read).
* Access log: ``TB.log_access`` on, every data beat's ``(kind, address)`` is appended to
  ``TB.accesses`` (kind "r" or "w"), for checks that a program touched only what it named.
* Stalls: ``TB(dut, stalls=True)`` / :meth:`TB.set_backpressure` put seeded random pause
  generators (seed from COCOTB_RANDOM_SEED) on every AXI channel: the host RAM's AW/W/AR
  (ready) and R/B (valid), the AXI-Lite master's AW/W/AR (valid) and B/R (ready).
"""

from __future__ import annotations

import json
import os
import random

from collections.abc import Iterator

import cocotb
import numpy as np
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles
from cocotbext.axi import AxiBus, AxiLiteBus, AxiLiteMaster, AxiRam

from sparsetrain.program import HostHeap, Mem, Program, Reg, bytes_to_words, words_to_bytes
from sparsetrain.uc import Sel, UcParams
from verif.common import top_cov
from verif.common.host_port import HostPort

HOST_SIZE = 1 << 20
HIGH_ALIAS = 0xFFF0_0000          # the host RAM again, at addresses with bits 31:20 set
STALL_P = 0.35                    # probability that a stall run starts (runs of 1..4 cycles)


def top_params() -> UcParams:
    return UcParams.from_hdl(json.loads(os.environ.get("DUT_PARAMS", "{}")))


def seed_str() -> str:
    return os.environ.get("COCOTB_RANDOM_SEED", "?")


def prog_depth() -> int:
    return int(json.loads(os.environ.get("DUT_PARAMS", "{}")).get("PROG_DEPTH", 256))


def stall_pattern(rnd: random.Random, p: float = STALL_P) -> Iterator[bool]:
    """Endless pause pattern for a cocotbext-axi channel: runs of 1..4 cycles, each run a
    stall with probability ``p``."""
    while True:
        stall = rnd.random() < p
        for _ in range(rnd.randint(1, 4)):
            yield stall


def check_words(what: str, got: list[int], expected: list[int]) -> None:
    """Word-by-word comparison; the first difference names ``what``, the word and the seed."""
    assert len(got) == len(expected), f"{what}: {len(got)} words read, {len(expected)} expected"
    for i, (g, e) in enumerate(zip(got, expected)):
        assert g == e, f"{what} word {i}: got {g:#x} expected {e:#x} (seed {seed_str()})"


def check_tensor(what: str, got: np.ndarray, expected: np.ndarray) -> None:
    """Tensor comparison; the first difference names ``what[c, y, x]``, both values and the seed."""
    assert got.shape == expected.shape, f"{what}: shape {got.shape}, expected {expected.shape}"
    bad = np.argwhere(got != expected)
    if bad.size:
        at = tuple(int(v) for v in bad[0])
        names = ("c", "y", "x") if len(at) == 3 else [f"i{k}" for k in range(len(at))]
        idx = ", ".join(f"{n}={v}" for n, v in zip(names, at))
        raise AssertionError(f"{what}[{idx}]: got {got[at]} expected {expected[at]} "
                             f"({len(bad)} elements differ) (seed {seed_str()})")


class TB(HostPort):
    """Clock, reset, the AXI-Lite master, the host RAM and program helpers.

    ``stalls``: random valid/ready stalls on every AXI channel (:meth:`set_backpressure`).
    """

    def __init__(self, dut, stalls: bool = False):
        self.dut = dut
        self.p = top_params()
        cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())
        self.axil = AxiLiteMaster(AxiLiteBus.from_prefix(dut, "s_axil"), dut.clk, dut.rst)
        self.ram = AxiRam(AxiBus.from_prefix(dut, "m_axi"), dut.clk, dut.rst, size=HOST_SIZE)
        self.heap = HostHeap(base=0x1000, size=HOST_SIZE - 0x1000)
        # host addresses outside [0, HOST_SIZE) and the alias window are unmapped: SLVERR there
        self.read_fault = None
        self.write_fault = None
        self.log_access = False
        self.accesses: list[tuple[str, int]] = []
        for port, name, kind in ((self.ram.read_if, "_read", "r"), (self.ram.write_if, "_write", "w")):
            setattr(port, name, self._unmapped_guard(getattr(port, name), kind))
        # cocotb seeds `random` per test from COCOTB_RANDOM_SEED and the test's name: every test
        # gets its own stall patterns, the same ones when it is rerun alone (TESTCASE=...)
        self.stall_salt = random.getrandbits(32)
        self.stalls = False
        self.set_backpressure(stalls)

    def _unmapped_guard(self, access, kind: str):
        async def guarded(address, *args):
            if self.log_access:
                self.accesses.append((kind, address))
            fault = self.read_fault if kind == "r" else self.write_fault
            if fault is not None and fault(address):
                raise ValueError(f"injected bus error at {address:#x}")
            if address >= HIGH_ALIAS:
                address -= HIGH_ALIAS
            if address >= HOST_SIZE:
                raise ValueError(f"unmapped host address {address:#x}")
            return await access(address, *args)
        return guarded

    @staticmethod
    def hi(addr: int) -> int:
        """The alias of a host address with the high address bits set."""
        return HIGH_ALIAS + addr

    def channels(self) -> dict:
        """Every AXI channel model, by name (the RAM's and the AXI-Lite master's)."""
        w, r = self.ram.write_if, self.ram.read_if
        lw, lr = self.axil.write_if, self.axil.read_if
        return {"m_axi.aw": w.aw_channel, "m_axi.w": w.w_channel, "m_axi.b": w.b_channel,
                "m_axi.ar": r.ar_channel, "m_axi.r": r.r_channel,
                "s_axil.aw": lw.aw_channel, "s_axil.w": lw.w_channel, "s_axil.b": lw.b_channel,
                "s_axil.ar": lr.ar_channel, "s_axil.r": lr.r_channel}

    def set_backpressure(self, enable: bool) -> None:
        """Random stalls on (one seeded pattern per channel) or off on every AXI channel."""
        self.stalls = bool(enable)
        for name, ch in self.channels().items():
            if enable:
                rnd = random.Random(f"{seed_str()}-{self.stall_salt}-stall-{name}")
                ch.set_pause_generator(stall_pattern(rnd))
            else:
                ch.clear_pause_generator()
                ch.pause = False

    def program_done(self, descs, err: int, pc: int) -> None:
        """Functional coverage of a finished program (its executed descriptors, ERR, stalls)."""
        top_cov.sample_program(descs, err, pc, self.stalls)

    async def reset(self):
        self.dut.rst.value = 1
        await ClockCycles(self.dut.clk, 4)
        self.dut.rst.value = 0
        await ClockCycles(self.dut.clk, 2)

    async def wait_done(self, timeout_cycles: int = 2_000_000, poll: int = 64) -> tuple[int, int]:
        """Poll STATUS until DONE; returns (err_code, err_pc)."""
        for _ in range(timeout_cycles // poll):
            await ClockCycles(self.dut.clk, poll)
            if (await self.rd(Reg.STATUS)) & 0b10:
                err = await self.rd(Reg.ERR)
                return err & 0xFF, err >> 16
        raise AssertionError(f"program did not finish in {timeout_cycles} cycles (seed {seed_str()})")

    async def run(self, prog: Program, timeout_cycles: int = 2_000_000) -> tuple[int, int]:
        """Load and start a program (fetched through the high alias), wait for done; samples
        the functional coverage; returns (err_code, err_pc)."""
        addr = self.put(prog.to_bytes())
        await self.wr(Reg.PROG_ADDR, self.hi(addr))
        await self.wr(Reg.PROG_LEN, len(prog))
        await self.wr(Reg.CTRL, 1)
        err, pc = await self.wait_done(timeout_cycles)
        self.program_done(prog.descs, err, pc)
        return err, pc

    def width(self, mem: Mem) -> int:
        return self.p.width(Sel(int(mem)))


def add_layer_loads(tb: TB, prog: Program, layer) -> None:
    """LOAD descriptors for every memory word a UcLayer's command reads."""
    img = layer.images()
    for sel, words in img.items():
        if not words:
            continue
        mem = Mem(int(sel))
        # contiguous runs of addresses, one LOAD each
        addrs = sorted(words)
        run = [addrs[0]]
        for a in addrs[1:] + [None]:
            if a is not None and a == run[-1] + 1:
                run.append(a)
                continue
            data = words_to_bytes([words[x] for x in run], tb.width(mem))
            prog.load(mem, run[0], len(run), tb.put(data))
            if a is not None:
                run = [a]


async def run_uc_layer(tb: TB, layer) -> None:
    """LOAD everything a UcLayer reads, its UC command, END; fails on a program error."""
    prog = Program()
    add_layer_loads(tb, prog, layer)
    prog.uc(layer.cmd)
    prog.end()
    err, pc = await tb.run(prog)
    assert err == 0, f"{layer.mode.name}: error {err:#x} at descriptor {pc} (seed {seed_str()})"


async def store_and_read(tb: TB, mem: Mem, chip_addr: int, count: int) -> list[int]:
    """Run a one-STORE program and return the memory words."""
    if count == 0:
        return []
    width = tb.width(mem)
    nbytes = len(words_to_bytes([0] * count, width))
    host = tb.heap.alloc(nbytes)
    prog = Program()
    prog.store(mem, chip_addr, count, tb.hi(host))
    prog.end()
    err, pc = await tb.run(prog)
    assert err == 0, f"STORE program failed with error {err:#x} at {pc}"
    return bytes_to_words(tb.ram.read(host, nbytes), width)




async def axil_write_strb(tb: TB, addr: int, data: int, strb: int) -> int:
    """One AXI-Lite write with any WSTRB (also 0, which cocotbext's ``write`` cannot send),
    sent on the master's AW and W channels; returns BRESP."""
    wif = tb.axil.write_if
    aw = wif.aw_channel._transaction_obj()
    aw.awaddr = addr
    aw.awprot = 0
    w = wif.w_channel._transaction_obj()
    w.wdata = data & 0xFFFF_FFFF
    w.wstrb = strb & 0xF
    await wif.aw_channel.send(aw)
    await wif.w_channel.send(w)
    b = await wif.b_channel.recv()
    return int(b.bresp)
