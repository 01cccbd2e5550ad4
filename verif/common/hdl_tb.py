"""Testbench library of ``accel_top_hdlmem`` (verif/hdl/accel_top_hdlmem.v): the accelerator top
with its host memory on the HDL side, for long runs at Verilator speed (make demo, make bench).

No Python runs per clock cycle: the clock is cocotb's GPI clock (``Clock(..., impl="gpi")``, C++
in the simulator interface), the host memory is the harness's AXI RAM, loaded and read back
through the backdoor (:class:`HdlMem`: the RAM's array, the build's one public signal) between
programs, and a program's end is awaited as the rising edge of ``irq`` (IRQ_EN.DONE set at reset)
with a single timer as the time-out. The AXI-Lite registers are cocotbext-axi's AxiLiteMaster (a
few accesses per program; its channel models sleep while idle).

:class:`HdlTB` offers what :class:`verif.common.top_tb.TB` offers the programs of bench/ and
demo/ (``p``, ``axil``, ``ram.write``/``ram.read``, ``heap``, ``put``, ``rd``/``wr``, ``reset``,
``run``, ``wait_done``, ``hi``), so one cocotb module runs on either path
(:func:`make_tb`). What it does not offer: error responses (unmapped addresses, injected
faults), the access log and cocotbext-axi's pause generators; ``stalls=True`` turns on the
harness's own LFSR stall gate instead (verif/hdl/axi_stall_gate.v).
"""

from __future__ import annotations

import json
import logging
import os

from cocotb.clock import Clock
from cocotb.handle import Immediate
from cocotb.triggers import ClockCycles, First, RisingEdge, Timer
from cocotbext.axi import AxiLiteBus, AxiLiteMaster

from sparsetrain.program import HostHeap, Program, Reg
from sparsetrain.uc import UcParams
from verif.common.host_port import HostPort

#: Toplevel name of the HDL-memory harness (make_tb picks HdlTB for it).
HDLMEM_TOPLEVEL = "accel_top_hdlmem"
#: The harness's default host memory: HOST_ADDR_W = 20 (1 MB), as top_tb.HOST_SIZE.
DEFAULT_HOST_ADDR_W = 20


def dut_params() -> dict:
    return json.loads(os.environ.get("DUT_PARAMS", "{}"))


class HdlMem:
    """Backdoor to the harness's host RAM (``u_ram.mem``: 32-bit words, little-endian bytes),
    with the ``write(addr, data)`` / ``read(addr, length)`` calls of cocotbext-axi's AxiRam.

    Writes are immediate (``Immediate``: visible to a read at once and to the RTL at the next
    evaluation); use them between programs only. Addresses wrap at ``size`` bytes as the RAM
    decodes them (the high alias of top_tb reaches the same bytes). Unaligned starts and ends
    read-modify-write their edge words.
    """

    def __init__(self, dut, size: int):
        self.arr = dut.u_ram.mem
        self.size = size
        self._h = {}

    def _word(self, i: int):
        h = self._h.get(i)
        if h is None:
            h = self._h[i] = self.arr[i]
        return h

    def _get(self, i: int) -> int:
        return int(self._word(i).value)

    def _set(self, i: int, v: int) -> None:
        self._word(i).set(Immediate(v))

    def write(self, address: int, data: bytes) -> None:
        data = bytes(data)
        if not data:
            return
        address %= self.size
        if address + len(data) > self.size:
            raise ValueError(f"write of {len(data)} bytes at {address:#x} runs past the host memory")
        lo, hi = address & ~3, (address + len(data) + 3) & ~3
        if lo != address or hi != address + len(data):     # edge words: keep their other bytes
            buf = bytearray(self.read(lo, hi - lo))
            buf[address - lo:address - lo + len(data)] = data
            data = bytes(buf)
        for k in range(0, len(data), 4):
            self._set((lo + k) >> 2, int.from_bytes(data[k:k + 4], "little"))

    def read(self, address: int, length: int) -> bytes:
        address %= self.size
        if address + length > self.size:
            raise ValueError(f"read of {length} bytes at {address:#x} runs past the host memory")
        lo, hi = address & ~3, (address + length + 3) & ~3
        out = bytearray()
        for w in range(lo >> 2, hi >> 2):
            out += self._get(w).to_bytes(4, "little")
        return bytes(out[address - lo:address - lo + length])


class HdlTB(HostPort):
    """Clock (GPI), reset, AXI-Lite master, backdoor host memory, program runs to ``irq``.

    ``stalls``: the harness's random AXI stall gate on (seed ``stall_seed``), applied at reset.
    ``period_ns``: clock period of the GPI clock (cycle counts are what the tests compare, not
    times); a harness built with its own clock (HDLMEM_HDL_CLOCK) runs at 10 ns.
    """

    def __init__(self, dut, stalls: bool = False, stall_seed: int = 1, period_ns: int = 10):
        self.dut = dut
        params = dut_params()
        self.p = UcParams.from_hdl(params)
        self.host_size = 1 << int(params.get("HOST_ADDR_W", DEFAULT_HOST_ADDR_W))
        # a build with +define+HDLMEM_HDL_CLOCK makes its own clock (clk_gen, 10 ns); otherwise the
        # GPI clock drives the clk port
        try:
            self.clk = dut.clk_gen
            self.period_ns, self.clock = 10, None
        except AttributeError:
            self.clk = dut.clk
            self.period_ns = period_ns
            self.clock = Clock(dut.clk, period_ns, unit="ns", impl="gpi")
            self.clock.start()
        self.set_stalls(stalls, stall_seed)
        self.axil = AxiLiteMaster(AxiLiteBus.from_prefix(dut, "s_axil"), self.clk, dut.rst)
        logging.getLogger(f"cocotb.{dut._name}.s_axil").setLevel(logging.WARNING)
        self.ram = HdlMem(dut, self.host_size)
        self.heap = HostHeap(base=0x1000, size=self.host_size - 0x1000)

    def set_stalls(self, enable: bool, seed: int = 1) -> None:
        """The harness's random AXI stalls on or off; the seed takes effect at the next reset."""
        self.stalls = bool(enable)
        self.dut.stall_en.value = int(self.stalls)
        self.dut.stall_seed.value = seed & 0xFFFF_FFFF

    def hi(self, addr: int) -> int:
        """The alias of a host address with every address bit above the RAM's set (the same
        word: the RAM decodes the low HOST_ADDR_W bits); 0xFFF0_0000 + addr for 1 MB, as top_tb."""
        return (0xFFFF_FFFF & ~(self.host_size - 1)) | addr

    async def reset(self) -> None:
        self.dut.rst.value = 1
        await ClockCycles(self.clk, 4)
        self.dut.rst.value = 0
        await ClockCycles(self.clk, 2)
        await self.wr(Reg.IRQ_EN, 0b01)          # irq on DONE (every end, error or not)

    async def start(self, prog_addr: int, prog_len: int) -> None:
        """Clear IRQ_STATUS, set PROG_ADDR / PROG_LEN, start."""
        await self.wr(Reg.IRQ_STATUS, 0b11)
        await self.wr(Reg.PROG_ADDR, prog_addr)
        await self.wr(Reg.PROG_LEN, prog_len)
        await self.wr(Reg.CTRL, 1)

    async def wait_done(self, timeout_cycles: int = 50_000_000) -> tuple[int, int]:
        """Sleep until ``irq`` rises (or the time-out); returns (err_code, err_pc)."""
        if not int(self.dut.irq.value):
            await First(RisingEdge(self.dut.irq), Timer(timeout_cycles * self.period_ns, unit="ns"))
        if not int(self.dut.irq.value):
            raise AssertionError(f"program did not finish in {timeout_cycles} cycles")
        if not (await self.rd(Reg.STATUS)) & 0b10:
            raise AssertionError("irq without STATUS.DONE")
        err = await self.rd(Reg.ERR)
        await self.wr(Reg.IRQ_STATUS, 0b11)
        return err & 0xFF, err >> 16

    async def run(self, prog: Program, timeout_cycles: int = 50_000_000) -> tuple[int, int]:
        """Put a program in host memory, run it (fetched through the high alias), wait for its end;
        returns (err_code, err_pc)."""
        addr = self.put(prog.to_bytes())
        await self.start(self.hi(addr), len(prog))
        return await self.wait_done(timeout_cycles)


def is_hdlmem(dut) -> bool:
    """True when the toplevel is the HDL-memory harness."""
    return dut._name == HDLMEM_TOPLEVEL


def make_tb(dut, **kw):
    """The testbench for the toplevel: :class:`HdlTB` on accel_top_hdlmem, else
    :class:`verif.common.top_tb.TB` (cocotbext-axi AxiRam)."""
    if is_hdlmem(dut):
        return HdlTB(dut, **kw)
    from verif.common.top_tb import TB
    return TB(dut, **kw)


__all__ = ["HdlMem", "HdlTB", "make_tb", "is_hdlmem", "HDLMEM_TOPLEVEL"]
