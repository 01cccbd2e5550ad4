"""Accelerator top: registers, programs through the sequencer and DMA, bad programs, soft reset.

The host side is cocotbext-axi: an AXI-Lite master on the control registers and an AXI RAM as
host memory. Programs are built with :mod:`verif.program`; results are read back with STORE
descriptors and checked bit-exactly against :mod:`verif.models` (through verif.uc_driver).
Case counts: ``TOP_CASES`` (random single-layer programs per mode).
"""

from __future__ import annotations

import json
import os
import random

import cocotb
import numpy as np
import pytest
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, RisingEdge
from cocotbext.axi import AxiBus, AxiLiteBus, AxiLiteMaster, AxiRam

from verif.program import (DESC_BYTES, Err, HostHeap, Mem, Program, Reg, bytes_to_words,
                           words_to_bytes)
from verif.uc_driver import Constraints, Mode, Sel, UcParams, random_layer, to_s

TOP_CASES = int(os.environ.get("TOP_CASES", "3"))
HOST_SIZE = 1 << 20


def _params() -> UcParams:
    return UcParams.from_hdl(json.loads(os.environ.get("DUT_PARAMS", "{}")))


def _seed() -> str:
    return os.environ.get("COCOTB_RANDOM_SEED", "?")


class TB:
    """Clock, reset, the AXI-Lite master, the host RAM and program helpers."""

    def __init__(self, dut):
        self.dut = dut
        self.p = _params()
        cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())
        self.axil = AxiLiteMaster(AxiLiteBus.from_prefix(dut, "s_axil"), dut.clk, dut.rst)
        self.ram = AxiRam(AxiBus.from_prefix(dut, "m_axi"), dut.clk, dut.rst, size=HOST_SIZE)
        self.heap = HostHeap(base=0x1000, size=HOST_SIZE - 0x1000)
        # host addresses at and above HOST_SIZE are unmapped: the RAM answers SLVERR there
        for port, name in ((self.ram.read_if, "_read"), (self.ram.write_if, "_write")):
            setattr(port, name, self._unmapped_guard(getattr(port, name)))

    @staticmethod
    def _unmapped_guard(access):
        async def guarded(address, *args):
            if address >= HOST_SIZE:
                raise ValueError(f"unmapped host address {address:#x}")
            return await access(address, *args)
        return guarded

    async def reset(self):
        self.dut.rst.value = 1
        await ClockCycles(self.dut.clk, 4)
        self.dut.rst.value = 0
        await ClockCycles(self.dut.clk, 2)

    async def rd(self, reg: Reg) -> int:
        return int.from_bytes((await self.axil.read(int(reg), 4)).data, "little")

    async def wr(self, reg: Reg, value: int) -> None:
        await self.axil.write(int(reg), int(value).to_bytes(4, "little"))

    def put(self, data: bytes) -> int:
        addr = self.heap.alloc(len(data))
        self.ram.write(addr, data)
        return addr

    async def run(self, prog: Program, timeout_cycles: int = 2_000_000) -> tuple[int, int]:
        """Load and start a program, wait for done; returns (err_code, err_pc)."""
        addr = self.put(prog.to_bytes())
        await self.wr(Reg.PROG_ADDR, addr)
        await self.wr(Reg.PROG_LEN, len(prog))
        await self.wr(Reg.CTRL, 1)
        for _ in range(timeout_cycles // 64):
            await ClockCycles(self.dut.clk, 64)
            status = await self.rd(Reg.STATUS)
            if status & 0b10:
                err = await self.rd(Reg.ERR)
                return err & 0xFF, err >> 16
        raise AssertionError(f"program did not finish in {timeout_cycles} cycles (seed {_seed()})")

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


async def store_and_read(tb: TB, mem: Mem, chip_addr: int, count: int) -> list[int]:
    """Run a one-STORE program and return the memory words."""
    if count == 0:
        return []
    width = tb.width(mem)
    nbytes = len(words_to_bytes([0] * count, width))
    host = tb.heap.alloc(nbytes)
    prog = Program()
    prog.store(mem, chip_addr, count, host)
    prog.end()
    err, pc = await tb.run(prog)
    assert err == 0, f"STORE program failed with error {err:#x} at {pc}"
    return bytes_to_words(tb.ram.read(host, nbytes), width)


# ------------------------------------------------------------------------------------ tests
@cocotb.test()
async def registers_reset_values_and_rw(dut):
    """ID and reset values; R/W registers hold what is written; unmapped offsets answer SLVERR."""
    tb = TB(dut)
    await tb.reset()
    assert await tb.rd(Reg.ID) == 0x53500001
    for reg in (Reg.STATUS, Reg.ERR, Reg.PROG_ADDR, Reg.PROG_LEN, Reg.IRQ_EN, Reg.IRQ_STATUS,
                Reg.CNT_TOTAL, Reg.N_CORRECT):
        assert await tb.rd(reg) == 0, f"{reg.name} not 0 after reset"
    await tb.wr(Reg.PROG_ADDR, 0x12345678)
    await tb.wr(Reg.PROG_LEN, 0xABCD)
    await tb.wr(Reg.IRQ_EN, 3)
    assert await tb.rd(Reg.PROG_ADDR) == 0x12345678
    assert await tb.rd(Reg.PROG_LEN) == 0xABCD
    assert await tb.rd(Reg.IRQ_EN) == 3
    resp = await tb.axil.read(0xFC, 4)
    assert int(resp.resp) == 2, "unmapped read must answer SLVERR"
    resp = await tb.axil.write(0xF0, b"\0\0\0\0")
    assert int(resp.resp) == 2, "unmapped write must answer SLVERR"


@cocotb.test()
async def load_store_round_trip_every_memory(dut):
    """LOAD then STORE each memory: the words come back unchanged (bit layout of wide words)."""
    tb = TB(dut)
    await tb.reset()
    rnd = random.Random(int(_seed()) if _seed().isdigit() else 1)
    for mem in (Mem.STACK, Mem.WGT, Mem.FIDX, Mem.BIDX, Mem.PTR, Mem.GRAD, Mem.BIAS, Mem.BGRAD):
        width = tb.width(mem)
        words = [rnd.getrandbits(width) for _ in range(5)]
        prog = Program()
        prog.load(mem, 3, len(words), tb.put(words_to_bytes(words, width)))
        prog.end()
        err, _ = await tb.run(prog)
        assert err == 0
        got = await store_and_read(tb, mem, 3, len(words))
        assert got == words, f"{mem.name}: stored {words} read back {got} (seed {_seed()})"


@cocotb.test()
@cocotb.parametrize(mode=[Mode.FWD, Mode.BWD_DATA, Mode.WGRAD, Mode.UPDATE])
async def uc_layer_program_matches_model(dut, mode):
    """Random single-layer programs: LOAD everything, one UC command, STORE the output region."""
    tb = TB(dut)
    await tb.reset()
    rnd = random.Random(f"{_seed()}-{int(mode)}")
    for case in range(TOP_CASES):
        layer = random_layer(rnd, tb.p, Constraints(mode=mode, cmax=4, hmax=10, cycle_budget=3000))
        prog = Program()
        add_layer_loads(tb, prog, layer)
        prog.uc(layer.cmd)
        prog.end()
        err, pc = await tb.run(prog)
        assert err == 0, f"case {case} {mode.name}: error {err:#x} at descriptor {pc} (seed {_seed()})"
        expected = layer.expected_images()
        for name in layer.writes():
            region = layer.regions()[name]
            if region.nwords == 0:
                continue
            mem = Mem(int(region.sel))
            got = await store_and_read(tb, mem, region.base, region.nwords)
            for i, g in enumerate(got):
                e = expected[region.sel].get(region.base + i, 0)
                assert g == e, (f"case {case} {mode.name} {region.name} word {i}: got {g:#x} "
                                f"expected {e:#x} (seed {_seed()})")
        tb.heap = HostHeap(base=0x1000, size=HOST_SIZE - 0x1000)


@cocotb.test()
async def loop_steps_host_address_and_gacc_auto(dut):
    """LOOP x3 of (LOAD dY/X by iteration, WGRAD with gacc_auto): the batch sum of 3 images."""
    tb = TB(dut)
    await tb.reset()
    rnd = random.Random(f"{_seed()}-loop")
    layer = random_layer(rnd, tb.p, Constraints(mode=Mode.WGRAD, cmax=3, hmax=8, cycle_budget=2000,
                                                 saturate=False, background=False))
    layer.cmd.bgrad = 1
    layer.cmd.gacc = 0      # gacc_auto decides: image 0 overwrites, the others add
    images = [(layer.x, layer.dy)] + [
        (np.random.default_rng(i).integers(-500, 500, layer.x.shape).astype(np.int16),
         np.random.default_rng(100 + i).integers(-500, 500, layer.dy.shape).astype(np.int16))
        for i in range(2)]
    from verif.uc_driver import map_to_words
    sw = tb.width(Mem.STACK)
    xb = [words_to_bytes(map_to_words(x, tb.p.lanes), sw) for x, _ in images]
    yb = [words_to_bytes(map_to_words(d, tb.p.lanes), sw) for _, d in images]
    step = len(xb[0])
    xh, yh = tb.put(b"".join(xb)), tb.put(b"".join(yb))
    prog = Program()
    add_layer_loads(tb, prog, layer)
    prog.loop(3)
    nx, ny = len(map_to_words(images[0][0], tb.p.lanes)), len(map_to_words(images[0][1], tb.p.lanes))
    prog.load(Mem.STACK, layer.cmd.x_base, nx, xh, step)
    prog.load(Mem.STACK, layer.cmd.y_base, ny, yh, len(yb[0]))
    prog.uc(layer.cmd, gacc_auto=True)
    prog.endloop()
    prog.end()
    err, pc = await tb.run(prog)
    assert err == 0, f"error {err:#x} at {pc}"
    from verif.models import bias_grad, conv_weight_grad, grad_accumulate_batch
    c = layer.cmd
    g = grad_accumulate_batch([conv_weight_grad(x, d, layer.sw, c.stride, c.pad, c.dil, c.shift)
                               for x, d in images])
    got = await store_and_read(tb, Mem.GRAD, layer.w_base, layer.nnz)
    assert [to_s(v, 32) for v in got] == [int(v) for v in g], f"batch gradient differs (seed {_seed()})"
    b = grad_accumulate_batch([bias_grad(d, c.shift) for _, d in images])
    gotb = await store_and_read(tb, Mem.BGRAD, c.bias_base, layer.sw.shape[0])
    assert [to_s(v, 32) for v in gotb] == [int(v) for v in b]


@cocotb.test()
async def bad_programs_stop_with_error_and_irq(dut):
    """Unknown opcode, DMA out of range, bad loop, empty program, runaway, unit error, AXI error:
    each stops with its code and raises the interrupt; a good program runs afterwards."""
    tb = TB(dut)
    await tb.reset()
    await tb.wr(Reg.IRQ_EN, 3)
    marker = [0x1234, 0x5678]
    prog = Program()
    prog.load(Mem.WGT, 0, 2, tb.put(words_to_bytes(marker, 16)))
    prog.end()
    assert (await tb.run(prog))[0] == 0

    cases = []
    p = Program(); p.raw([0x7F]); cases.append(("opcode", p, Err.OPCODE, 0))
    p = Program(); p.load(Mem.WGT, tb.p.wdepth - 1, 2, 0x1000); p.end(); cases.append(("dma range", p, Err.DMA, 0))
    p = Program(); p.load(9, 0, 1, 0x1000); p.end(); cases.append(("dma sel", p, Err.DMA, 0))
    p = Program(); p.endloop(); cases.append(("endloop", p, Err.LOOP, 0))
    p = Program(); p.loop(0); cases.append(("loop 0", p, Err.LOOP, 0))
    p = Program(); p.load(Mem.GRAD, 0, 1, 0x1000); cases.append(("runaway", p, Err.RUNAWAY, 1))
    from verif.uc_driver import UcCommand
    p = Program(); p.uc(UcCommand(mode=5)); p.end(); cases.append(("uc mode", p, Err.UC | 1, 0))
    # a layer whose output map overlaps its input map, and one whose map runs past the stack
    overlap = UcCommand(mode=0, cin=2, cout=2, h=4, w=4, k=3, pad=1, x_base=0, y_base=4)
    p = Program(); p.uc(overlap); p.end(); cases.append(("uc overlap", p, Err.UC | 4, 0))
    beyond = UcCommand(mode=0, cin=2, cout=2, h=4, w=4, k=3, pad=1, x_base=0, y_base=tb.p.fm_depth - 2)
    p = Program(); p.uc(beyond); p.end(); cases.append(("uc beyond", p, Err.UC | 4, 0))
    p = Program(); p.mp(0, 2, 4, 4, 0, 4, 100); p.end(); cases.append(("mp overlap", p, Err.MP | 4, 0))
    p = Program(); p.load(Mem.LABEL, 0, 1, tb.put((12).to_bytes(4, "little"))); p.loss(10, 8, 12, 0, 100)
    p.end(); cases.append(("loss label", p, Err.LOSS | 7, 1))
    p = Program(); p.load(Mem.WGT, 0, 1, HOST_SIZE + 0x1000); p.end(); cases.append(("axi", p, Err.AXI, 0))
    for name, prog, code, pc_exp in cases:
        await tb.wr(Reg.IRQ_STATUS, 3)
        err, pc = await tb.run(prog)
        assert err == code, f"{name}: error {err:#x}, expected {int(code):#x}"
        assert pc == pc_exp, f"{name}: error pc {pc}, expected {pc_exp}"
        assert int(dut.irq.value) == 1, f"{name}: no interrupt"
        assert await tb.rd(Reg.IRQ_STATUS) == 3
    # nothing was written: the weight memory still holds the marker
    assert await store_and_read(tb, Mem.WGT, 0, 2) == marker
    # empty program
    await tb.wr(Reg.PROG_LEN, 0)
    await tb.wr(Reg.CTRL, 1)
    await ClockCycles(dut.clk, 10)
    assert (await tb.rd(Reg.ERR)) & 0xFF == Err.PROG


@cocotb.test()
async def soft_reset_stops_a_running_program(dut):
    """CTRL.SOFT_RESET in the middle of a long program: idle again, and the next program works."""
    tb = TB(dut)
    await tb.reset()
    prog = Program()
    prog.loop(1000)
    prog.load(Mem.WGT, 0, 64, tb.put(bytes(256)))
    prog.endloop()
    prog.end()
    addr = tb.put(prog.to_bytes())
    await tb.wr(Reg.PROG_ADDR, addr)
    await tb.wr(Reg.PROG_LEN, len(prog))
    await tb.wr(Reg.CTRL, 1)
    await ClockCycles(dut.clk, 500)
    assert (await tb.rd(Reg.STATUS)) & 1, "program should still be running"
    await tb.wr(Reg.CTRL, 2)
    await ClockCycles(dut.clk, 50)
    assert (await tb.rd(Reg.STATUS)) & 1 == 0, "still busy after soft reset"
    ok = Program()
    ok.load(Mem.WGT, 0, 1, tb.put(words_to_bytes([7], 16)))
    ok.end()
    assert (await tb.run(ok))[0] == 0
    assert await store_and_read(tb, Mem.WGT, 0, 1) == [7]


def _digits_batch(batch: int, seed: int):
    from sklearn.datasets import load_digits
    from verif.models import quantize
    from verif.net import A_FRAC
    d = load_digits()
    rng = np.random.default_rng(seed)
    idx = rng.choice(len(d.target), batch, replace=False)
    return quantize(d.images[idx][:, None] / 16.0, A_FRAC), d.target[idx]


def _test_net(sparsity: float = 0.85):
    from verif.net import Conv, Gap, Linear, MaxPool, Net, quantize_params
    net = Net((1, 8, 8), [Conv(8), MaxPool(), Conv(16), Gap(), Linear(10)])
    q = quantize_params(net, net.init_float(np.random.default_rng(7)), sparsity)
    # the first conv stays dense (1 input channel): prune only the second, as in the issue
    q0 = quantize_params(net, net.init_float(np.random.default_rng(7)), 0.0)
    q.convs[0] = q0.convs[0]
    return net, q


@cocotb.test(timeout_time=20, timeout_unit="sec")
@cocotb.parametrize(train=[True, False])
async def minibatch_matches_model_layer_by_layer(dut, train):
    """conv(1->8)-ReLU-MP-conv(8->16, 85%)-ReLU-GAP-LC(16->10)-loss on 4 digits: every layer's
    output and gradient of every image, the loss counters and every updated weight equal the
    models' bit for bit (training); inference gives the same outputs and predictions."""
    from verif.accel_driver import build_program
    from verif.net import infer_model, train_step_model, forward_model
    tb = TB(dut)
    await tb.reset()
    net, q = _test_net()
    images, labels = _digits_batch(4, 11)
    run = build_program(net, q, tb.p, images, labels, tb.ram.write, tb.heap, lr=0.05, train=train)
    await run.start(tb.axil, tb.ram.write, tb.heap)
    for _ in range(4000):
        await ClockCycles(dut.clk, 100)
        if (await tb.rd(Reg.STATUS)) & 0b10:
            break
    err = await tb.rd(Reg.ERR)
    assert err & 0xFF == 0, f"program stopped with error {err & 0xFF:#x} at descriptor {err >> 16}"
    model = train_step_model(net, q, images, labels, lr=0.05)
    for b in range(len(labels)):
        for i in range(len(net.layers)):
            got = run.read_tensor(tb.ram.read, "out", i, b)
            exp = model.acts[b][i]
            bad = np.argwhere(got != exp)
            assert bad.size == 0, (f"image {b} layer {i} output differs first at (c,y,x)="
                                   f"{tuple(bad[0])}: {got[tuple(bad[0])]} != {exp[tuple(bad[0])]} "
                                   f"(seed {_seed()})")
            if train and ("din", i) in run.debug:
                got = run.read_tensor(tb.ram.read, "din", i, b)
                exp = model.grads[b][i]
                bad = np.argwhere(got != exp)
                assert bad.size == 0, (f"image {b} layer {i} input gradient differs first at "
                                       f"(c,y,x)={tuple(bad[0])} (seed {_seed()})")
    preds = model.preds
    correct = sum(int(p == l) for p, l in zip(preds, labels))
    assert await tb.rd(Reg.N_CORRECT) == correct
    assert await tb.rd(Reg.LOSS_SUM) == sum(int(v) for v in model.losses)
    if train:
        got_q = run.read_params(tb.ram.read)
        for i, sw in model.params.convs.items():
            assert np.array_equal(got_q.convs[i].values, sw.values), f"conv {i} weights differ"
        for i, w in model.params.lin_w.items():
            assert np.array_equal(got_q.lin_w[i], w), f"linear {i} weights differ"
        for i, b in model.params.biases.items():
            assert np.array_equal(got_q.biases[i], b), f"layer {i} biases differ"
    else:
        assert preds == infer_model(net, q, images)
    cycles = await tb.rd(Reg.CNT_TOTAL)
    dut._log.info("%s of %d images: %d cycles (UC %d, pool %d, LC/loss %d, DMA %d)",
                  "training step" if train else "inference", len(labels), cycles,
                  await tb.rd(Reg.CNT_UC), await tb.rd(Reg.CNT_POOL), await tb.rd(Reg.CNT_LC),
                  await tb.rd(Reg.CNT_DMA))


# ---- pytest entry: every parameter set on both simulators ---------------------------------------
from verif.blocks import BLOCKS  # noqa: E402
from verif.runner import run_block  # noqa: E402

_BLOCK = BLOCKS["accel_top"]


@pytest.mark.sim
@pytest.mark.parametrize("paramset", list(_BLOCK.paramsets))
@pytest.mark.parametrize("sim", ["icarus", "verilator"])
def test_accel_top(sim, paramset):
    n_pass, n_fail = run_block(_BLOCK, sim, paramset=paramset)
    assert n_fail == 0 and n_pass > 0, f"{n_fail} failed, {n_pass} passed"
