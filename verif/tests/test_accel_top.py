"""Accelerator top: programs through the sequencer and DMA, bad programs, soft reset (the register
map's tests are in test_accel_top_regs.py).

The host side is cocotbext-axi: an AXI-Lite master on the control registers and an AXI RAM as
host memory. Programs are built with :mod:`sparsetrain.program`; results are read back with STORE
descriptors and checked bit-exactly against :mod:`verif.models` (through verif.common.uc_stimulus).
Case counts: ``TOP_CASES`` (random single-layer programs per mode).

* Host memory: the AXI RAM (``HOST_SIZE``) answers at ``[0, HOST_SIZE)`` and again at the alias
  window ``HIGH_ALIAS + [0, HOST_SIZE)`` (high address bits set); anything else is SLVERR.
* Stalls: ``TB(dut, stalls=True)`` / :meth:`TB.set_backpressure` put seeded random pause
  generators (seed from COCOTB_RANDOM_SEED) on every AXI channel: the host RAM's AW/W/AR
  (ready) and R/B (valid), the AXI-Lite master's AW/W/AR (valid) and B/R (ready).
* Functional coverage (``accel_top.<point>``, :mod:`verif.common.top_cov`): sampled when a
  program finishes from its executed descriptors, ERR class and stall mode; exported to
  ``fcov-accel_top.yml`` at the end of every test; ``functional_coverage_closed`` (last) checks
  that every bin was hit.
"""

from __future__ import annotations

import os
import random

import cocotb
import numpy as np
from cocotb.triggers import ClockCycles

from sparsetrain.program import Err, HostHeap, Mem, Op, Program, Reg, words_to_bytes
from sparsetrain.uc import Mode, engine_owner, to_s, words_to_map
from verif.common import top_cov
from verif.common.checks import failure_of
from verif.common.top_stimulus import digits_batch, pool_cnn, stride2_cnn
from verif.common.top_tb import (HIGH_ALIAS, HOST_SIZE, TB, add_layer_loads, check_tensor,
                                 check_words, prog_depth, run_uc_layer, seed_str, store_and_read)
from verif.common.uc_random import Constraints, random_layer

TOP_CASES = int(os.environ.get("TOP_CASES", "3"))

_seed = seed_str
_prog_depth = prog_depth


# ------------------------------------------------------------------------------------ tests
@cocotb.test()
async def load_store_round_trip_every_memory(dut):
    """LOAD (in a LOOP of 1, from a low host address for half the memories and from the high
    alias for the others; GRAD from the top of the host RAM) then STORE (to the high alias) each
    memory: the words come back unchanged (bit layout of wide words, every data bit of the AXI
    bus both ways)."""
    tb = TB(dut)
    await tb.reset()
    rnd = random.Random(int(_seed()) if _seed().isdigit() else 1)
    for k, mem in enumerate((Mem.STACK, Mem.WGT, Mem.FIDX, Mem.BIDX, Mem.PTR, Mem.GRAD, Mem.BIAS,
                             Mem.BGRAD)):
        width = tb.width(mem)
        words = [rnd.getrandbits(width) for _ in range(3)] + [(1 << width) - 1, 0]
        if mem == Mem.GRAD:         # from the top of the host RAM (address bits 19:17 set)
            host = HOST_SIZE - 0x2000
            tb.ram.write(host, words_to_bytes(words, width))
        else:
            host = tb.put(words_to_bytes(words, width))
        prog = Program()
        prog.loop(1)
        prog.load(mem, 3, len(words), tb.hi(host) if k % 2 else host)
        prog.endloop()
        prog.end()
        err, pc = await tb.run(prog)
        assert err == 0, f"{mem.name}: LOAD failed with error {err:#x} at {pc} (seed {_seed()})"
        got = await store_and_read(tb, mem, 3, len(words))
        check_words(f"{mem.name} round trip", got, words)
    top_cov.export()


@cocotb.test()
@cocotb.parametrize(mode=[Mode.FWD, Mode.BWD_DATA, Mode.WGRAD, Mode.UPDATE], stalls=[False, True])
async def uc_layer_program_matches_model(dut, mode, stalls):
    """Random single-layer programs: LOAD everything, one UC command, STORE the output region;
    with and without random valid/ready stalls on every AXI channel; every second layer flat."""
    tb = TB(dut, stalls=stalls)
    await tb.reset()
    rnd = random.Random(f"{_seed()}-{int(mode)}-{int(stalls)}")
    for case in range(TOP_CASES):
        # every second case flat (docs/uc_unit.md "Flat small maps": the descriptor's flat bit)
        layer = random_layer(rnd, tb.p, Constraints(mode=mode, cmax=4, hmax=10, cycle_budget=3000,
                                                     flat=case % 2 == 1))
        await run_uc_layer(tb, layer)
        expected = layer.expected_images()
        for name in layer.writes():
            region = layer.regions()[name]
            if region.nwords == 0:
                continue
            mem = Mem(int(region.sel))
            got = await store_and_read(tb, mem, region.base, region.nwords)
            check_words(f"case {case} {mode.name} {region.name}", got,
                        [expected[region.sel].get(region.base + i, 0) for i in range(len(got))])
        tb.heap = HostHeap(base=0x1000, size=HOST_SIZE - 0x1000)
    top_cov.export()


@cocotb.test()
async def mp_flat_program_matches_model(dut):
    """MP commands on flat maps (docs/uc_unit.md "Flat small maps") through the descriptor's
    flat_x / flat_y bits: every mode, the full-size or the pooled side flat (one of them at least),
    LOAD the inputs, the command, STORE the outputs, compared with the models."""
    from sparsetrain.uc import map_to_words
    from verif.models.layers import (argmax_words, maxpool_backward, maxpool_forward,
                                     maxpool_relu_backward, relu_backward)
    tb = TB(dut)
    await tb.reset()
    rnd = random.Random(f"{_seed()}-mp-flat")
    rng = np.random.default_rng(rnd.getrandbits(32))
    lanes = tb.p.lanes
    for case in range(2 * TOP_CASES):
        mode = case % 4
        c, h, w = rnd.randint(1, 3), rnd.randint(2, 7), rnd.randint(2, 7)
        fx, fy = [(True, False), (False, True), (True, True)][rnd.randrange(3)]
        ho, wo = (h, w) if mode == 2 else (h // 2, w // 2)
        xs, ys = (c, h, w), (c, ho, wo)
        store = {"x": (c, 1, h * w) if fx else xs, "y": (c, 1, ho * wo) if fy else ys}
        if mode == 0:
            x = rng.integers(-3000, 3000, size=xs).astype(np.int16)
            y, arg = maxpool_forward(x)
            ins, outs = {"x": x}, {"y": y, "a": argmax_words(y, arg)}
        elif mode in (1, 3):
            dy = rng.integers(-3000, 3000, size=ys).astype(np.int16)
            arg = rng.integers(0, 8, size=ys).astype(np.int16)
            dx = (maxpool_backward(dy, (arg & 3).astype(np.uint8), xs) if mode == 1
                  else maxpool_relu_backward(dy, arg, xs))
            ins, outs = {"y": dy, "a": arg}, {"x": dx}
        else:
            dy = rng.integers(-3000, 3000, size=xs).astype(np.int16)
            yf = rng.integers(-3000, 3000, size=xs).astype(np.int16)
            ins, outs = {"y": dy, "a": yf}, {"x": relu_backward(dy, yf)}
        nwords = {k: tb.p.map_words(*store["x" if k == "x" else "y"]) for k in ("x", "y", "a")}
        base = {"x": 3, "y": 3 + nwords["x"] + 1, "a": 3 + nwords["x"] + nwords["y"] + 2}
        prog = Program()
        for k, arr in ins.items():
            words = map_to_words(np.asarray(arr).reshape(store["x" if k == "x" else "y"]), lanes)
            prog.load(Mem.STACK, base[k], len(words), tb.put(words_to_bytes(words, tb.width(Mem.STACK))))
        prog.mp(mode, c, h, w, base["x"], base["y"], base["a"], flat_x=int(fx), flat_y=int(fy))
        prog.end()
        err, pc = await tb.run(prog)
        assert err == 0, f"case {case}: error {err:#x} at {pc} (seed {_seed()})"
        for k, exp in outs.items():
            st = store["x" if k == "x" else "y"]
            got = await store_and_read(tb, Mem.STACK, base[k], nwords[k])
            check_tensor(f"case {case} mode {mode} flat x={int(fx)} y={int(fy)} {k}",
                         words_to_map(got, st, lanes).reshape(exp.shape), np.asarray(exp))
        tb.heap = HostHeap(base=0x1000, size=HOST_SIZE - 0x1000)
    top_cov.export()


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
    from sparsetrain.uc import map_to_words
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
    b = grad_accumulate_batch([bias_grad(d, c.shift) for _, d in images])
    # an engine array: the host reads copy 0, which holds the gradients of engine 0's filters;
    # the other filters' words keep what was loaded there (each engine sums its filters' in its own
    # copy: docs/uc_unit.md "Engine array"; every copy is checked by the UC unit's tests)
    n_f = layer.sw.shape[0]
    mine = [engine_owner(f, n_f, tb.p.engines) == 0 for f in range(n_f)]
    entry_f = np.repeat(np.arange(n_f), np.asarray(layer.sw.fwd_count, dtype=int))
    g = [int(v) if mine[entry_f[a]] else int(layer.grad[a]) for a, v in enumerate(g)]
    b = [int(v) if mine[f] else int(layer.bgrad[f]) for f, v in enumerate(b)]
    got = await store_and_read(tb, Mem.GRAD, layer.w_base, layer.nnz)
    assert [to_s(v, 32) for v in got] == g, f"batch gradient differs (seed {_seed()})"
    gotb = await store_and_read(tb, Mem.BGRAD, c.bias_base, n_f)
    assert [to_s(v, 32) for v in gotb] == b, f"batch bias gradient differs (seed {_seed()})"
    top_cov.export()


@cocotb.test()
async def bad_programs_stop_with_error_and_irq(dut):
    """Unknown opcode (also at the last descriptor of a full program memory), DMA out of range,
    bad loop, runaway, UC/MP/GAP/LC/loss unit errors, AXI read and write errors: each stops
    with its code and pc and raises the interrupt, and nothing is written; then an empty
    program and one longer than PROG_DEPTH stop with PROG."""
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
    # every descriptor bit set (opcode 0xFF): each field's high bits reach the sequencer once
    p = Program(); p.raw([0xFFFFFFFF] * 16); cases.append(("all ones", p, Err.OPCODE, 0))
    p = Program(); p.load(Mem.WGT, tb.p.wdepth - 1, 2, 0x1000); p.end(); cases.append(("dma range", p, Err.DMA, 0))
    # a count and a chip address at the top of the 32-bit range must not wrap into range
    p = Program(); p.raw([Op.LOAD | (Mem.WGT << 8), 0x1000, 0xFFFF_FFFF, 0xFFFF_FFFF]); p.end()
    cases.append(("dma range wrap", p, Err.DMA, 0))
    # the largest loop count is accepted; the error after it stops the program in iteration 0
    p = Program(); p.loop(0xFFFF_FFFF); p.raw([0x7E]); p.endloop(); p.end()
    cases.append(("loop max count", p, Err.OPCODE, 1))
    p = Program(); p.load(9, 0, 1, 0x1000); p.end(); cases.append(("dma sel", p, Err.DMA, 0))
    p = Program(); p.endloop(); cases.append(("endloop", p, Err.LOOP, 0))
    p = Program(); p.loop(0); cases.append(("loop 0", p, Err.LOOP, 0))
    p = Program(); p.load(Mem.GRAD, 0, 1, 0x1000); cases.append(("runaway", p, Err.RUNAWAY, 1))
    from sparsetrain.uc import UcCommand
    p = Program(); p.uc(UcCommand(mode=5)); p.end(); cases.append(("uc mode", p, Err.UC | 1, 0))
    # a layer whose output map overlaps its input map, and one whose map runs past the stack
    overlap = UcCommand(mode=0, cin=2, cout=2, h=4, w=4, k=3, pad=1, x_base=0, y_base=4)
    p = Program(); p.uc(overlap); p.end(); cases.append(("uc overlap", p, Err.UC | 4, 0))
    beyond = UcCommand(mode=0, cin=2, cout=2, h=4, w=4, k=3, pad=1, x_base=0, y_base=tb.p.fm_depth - 2)
    p = Program(); p.uc(beyond); p.end(); cases.append(("uc beyond", p, Err.UC | 4, 0))
    p = Program(); p.mp(0, 2, 4, 4, 0, 4, 100); p.end(); cases.append(("mp overlap", p, Err.MP | 4, 0))
    # GAP: the output vector overlaps the input map; its map runs past the stack
    p = Program(); p.gap(0, 2, 4, 4, 0, 1); p.end(); cases.append(("gap overlap", p, Err.GAP | 4, 0))
    p = Program(); p.gap(1, 2, 4, 4, tb.p.fm_depth - 2, 0); p.end()
    cases.append(("gap beyond", p, Err.GAP | 4, 0))
    # LC: FWD with x and y overlapping; WGRAD whose weights run past the weight memory
    p = Program(); p.lc(0, 4, 4, 0, 0, 2, 0, 0); p.end(); cases.append(("lc overlap", p, Err.LC | 4, 0))
    p = Program(); p.lc(2, 4, 4, 0, 0, 8, tb.p.wdepth - 8, 0); p.end()
    cases.append(("lc beyond", p, Err.LC | 4, 0))
    p = Program(); p.load(Mem.LABEL, 0, 1, tb.put((12).to_bytes(4, "little"))); p.loss(10, 8, 12, 0, 100)
    p.end(); cases.append(("loss label", p, Err.LOSS | 7, 1))
    p = Program(); p.load(Mem.LABEL, 0, 1, tb.put((0xFFFF_FFFF).to_bytes(4, "little")))
    p.loss(10, 8, 12, 0, 100); p.end(); cases.append(("loss label all ones", p, Err.LOSS | 7, 1))
    p = Program(); p.load(Mem.WGT, 0, 1, HOST_SIZE + 0x1000); p.end(); cases.append(("axi", p, Err.AXI, 0))
    p = Program(); p.store(Mem.WGT, 0, 1, HOST_SIZE + 0x1000); p.end()
    cases.append(("axi store", p, Err.AXI, 0))
    p = Program(); p.store(Mem.LABEL, 0, 1, 0x1000); p.end(); cases.append(("store label", p, Err.DMA, 0))
    # a full program memory (cheap LOOP 1 / ENDLOOP pairs) whose last descriptor is bad, and
    # one without END: the error pc has its high bits set
    depth = _prog_depth()
    p = Program()
    for _ in range(depth // 2 - 1):
        p.loop(1); p.endloop()
    p.load(Mem.GRAD, 0, 1, 0x1000); p.raw([0x7F])
    cases.append(("opcode last", p, Err.OPCODE, depth - 1))
    p = Program()
    for _ in range(depth // 2):
        p.loop(1); p.endloop()
    cases.append(("runaway full", p, Err.RUNAWAY, depth))
    for name, prog, code, pc_exp in cases:
        await tb.wr(Reg.IRQ_STATUS, 3)
        err, pc = await tb.run(prog)
        assert err == code, f"{name}: error {err:#x}, expected {int(code):#x}"
        assert pc == pc_exp, f"{name}: error pc {pc}, expected {pc_exp}"
        assert int(dut.irq.value) == 1, f"{name}: no interrupt"
        assert await tb.rd(Reg.IRQ_STATUS) == 3
        top_cov.event("irq_raised")
    # nothing was written: the weight memory still holds the marker
    assert await store_and_read(tb, Mem.WGT, 0, 2) == marker
    # empty program, and one longer than the program memory
    for length in (0, _prog_depth() + 1):
        await tb.wr(Reg.IRQ_STATUS, 3)
        await tb.wr(Reg.PROG_LEN, length)
        await tb.wr(Reg.CTRL, 1)
        err, pc = await tb.wait_done(1000, poll=8)
        assert err == Err.PROG and pc == 0, f"PROG_LEN {length}: error {err:#x} at {pc}"
        assert int(dut.irq.value) == 1, f"PROG_LEN {length}: no interrupt"
        tb.program_done([], err, pc)
    top_cov.export()


@cocotb.test()
async def soft_reset_stops_a_running_program(dut):
    """CTRL.SOFT_RESET in the middle of a long program: idle again, and the next program works;
    the WATCHDOG register stops the same program by itself (ERR WATCHDOG)."""
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
    top_cov.event("soft_reset_while_busy")
    ok = Program()
    ok.load(Mem.WGT, 0, 1, tb.put(words_to_bytes([7], 16)))
    ok.end()
    assert (await tb.run(ok))[0] == 0
    assert await store_and_read(tb, Mem.WGT, 0, 1) == [7]
    # the watchdog stops the same long program by itself: ERR WATCHDOG, then the chip works
    await tb.wr(Reg.WATCHDOG, 1500)
    err, pc = await tb.run(prog, timeout_cycles=5000)
    assert err == Err.WATCHDOG and pc in (1, 2), f"watchdog: error {err:#x} at {pc}"
    await tb.wr(Reg.WATCHDOG, 0)
    assert (await tb.run(ok))[0] == 0
    top_cov.export()


@cocotb.test(timeout_time=20, timeout_unit="sec")
@cocotb.parametrize((("train", "stalls", "cnn"), [(True, False, "pool"), (False, False, "pool"), (False, True, "pool"),
                                                  (True, False, "stride2"), (True, False, "pool_lc")]))
async def minibatch_matches_model_layer_by_layer(dut, train, stalls, cnn):
    """conv(1->8)-ReLU-MP-conv(8->16, 85%)-MP-conv(16->8, 85%)-ReLU-GAP-LC(8->10)-loss on 4
    digits (verif.common.top_stimulus.pool_cnn: MP_BWD_RELU, MP_BWD and RELU_BWD in its
    backward): every layer's output and gradient of every image, the loss counters and every updated weight equal the
    models' bit for bit (training); inference gives the same outputs and predictions, also
    under random valid/ready stalls on every AXI channel (training with stalls is left out to
    keep the run short: the UC-layer programs cover every UC mode with stalls). The driver
    stores the small maps flat (docs/uc_unit.md "The driver's memory plan": the 2 x 2 maps at 4
    lanes, the 4 x 4 ones too at 8). ``cnn`` "stride2" (top_stimulus.stride2_cnn, training): at
    8 lanes its last conv runs flat on the row-layout output of the stride-2 conv, through the
    driver's converted copy (a RELU_BWD in forward; conv 1's own RELU_BWD reads flat, writes rows).
    On an engine array the driver runs the Linear on the UC unit (sparsetrain.driver.linear_on_uc);
    ``cnn`` "pool_lc" trains the pool CNN with it on the LC unit (``build_program(lc=True)``)."""
    from sparsetrain.driver import build_program
    from verif.models.network import infer_model, train_step_model
    tb = TB(dut, stalls=stalls)
    if cnn == "pool_lc" and tb.p.engines == 1:
        cocotb.pass_test("one engine: the LC unit runs the Linear anyway (cnn=pool)")
    await tb.reset()
    net, q = stride2_cnn() if cnn == "stride2" else pool_cnn()
    images, labels = digits_batch(4, 11)
    run = build_program(net, q, tb.p, images, labels, tb.ram.write, tb.heap, lr=0.05, train=train,
                        lc=cnn == "pool_lc")
    await run.start(tb.axil, tb.ram.write, tb.heap)
    code, pc = await tb.wait_done(1_000_000, poll=100)
    tb.program_done(run.prog.descs, code, pc)
    assert code == 0, f"program stopped with error {code:#x} at descriptor {pc} (seed {_seed()})"
    model = train_step_model(net, q, images, labels, lr=0.05)
    for b in range(len(labels)):
        for i in range(len(net.layers)):
            check_tensor(f"image {b} layer {i} output", run.read_tensor(tb.ram.read, "out", i, b),
                         model.acts[b][i])
            if train and ("din", i) in run.debug:
                check_tensor(f"image {b} layer {i} input gradient",
                             run.read_tensor(tb.ram.read, "din", i, b), model.grads[b][i])
    preds = model.preds
    correct = sum(int(p == l) for p, l in zip(preds, labels))
    assert await tb.rd(Reg.N_CORRECT) == correct
    assert await tb.rd(Reg.LOSS_SUM) == sum(int(v) for v in model.losses)
    if train:
        diffs = run.read_params(tb.ram.read).differences(model.params)
        assert not diffs, f"{', '.join(diffs)} differ from the model (seed {_seed()})"
    else:
        assert preds == infer_model(net, q, images)
    cycles = await tb.rd(Reg.CNT_TOTAL)
    dut._log.info("%s of %d images%s: %d cycles (UC %d, pool %d, LC/loss %d, DMA %d)",
                  "training step" if train else "inference", len(labels),
                  " with AXI stalls" if stalls else "", cycles,
                  await tb.rd(Reg.CNT_UC), await tb.rd(Reg.CNT_POOL), await tb.rd(Reg.CNT_LC),
                  await tb.rd(Reg.CNT_DMA))
    top_cov.export()


@cocotb.test()
async def checker_catches_corrupted_result(dut):
    """The top's comparisons can fail: a UC FWD layer run on the chip matches the model, then one
    read-back word flipped (check_words) and one expected output element changed (check_tensor)
    must each be reported, naming the element and the seed."""
    tb = TB(dut)
    await tb.reset()
    rnd = random.Random(f"{_seed()}-checker")
    layer = random_layer(rnd, tb.p, Constraints(mode=Mode.FWD, cmax=3, hmax=6, cycle_budget=1500))
    await run_uc_layer(tb, layer)
    region = layer.regions()["y"]
    got = await store_and_read(tb, Mem.STACK, region.base, region.nwords)
    exp_img = layer.expected_images()[region.sel]
    expected = [exp_img.get(region.base + i, 0) for i in range(len(got))]
    check_words("Y", got, expected)                         # the real result passes
    got_map, exp_map = words_to_map(got, region.shape, tb.p.lanes), layer.expected()["y"]
    check_tensor("Y", got_map, exp_map)

    i = rnd.randrange(len(got))
    bad = list(got)
    bad[i] ^= 1 << rnd.randrange(tb.width(Mem.STACK))
    msg = failure_of(f"a flipped read-back word {i}", check_words, "Y", bad, expected)
    assert f"Y word {i}:" in msg and f"seed {_seed()}" in msg and "expected" in msg, msg

    at = tuple(rnd.randrange(n) for n in exp_map.shape)
    wrong = exp_map.copy()
    wrong[at] = wrong[at] + 1 if wrong[at] < 32767 else wrong[at] - 1
    msg = failure_of(f"a wrong expected element {at}", check_tensor, "Y", got_map, wrong)
    assert f"Y[c={at[0]}, y={at[1]}, x={at[2]}]" in msg and f"seed {_seed()}" in msg, msg
    dut._log.info("checker reports: %s", msg)
    top_cov.export()


@cocotb.test()
async def checked_lists_skip_scan_until_reloaded(dut):
    """Lists LOADed once: of two identical UC commands the second skips the pre-scan (CNT_UC of
    the two-command program = twice the one-command program's less ``UcLayer.scan_cycles()``);
    a LOAD of one corrupted index word (kx >= K) before a third makes it scan again and stop with
    UC BAD_INDEX, its output region still the good commands' (FWD and BWD_DATA)."""
    tb = TB(dut)
    await tb.reset()
    rnd = random.Random(f"{_seed()}-checked")
    for mode in (Mode.FWD, Mode.BWD_DATA):
        layer = random_layer(rnd, tb.p, Constraints(mode=mode, cmax=4, hmax=8, k=3, min_nnz=1, cycle_budget=2000))
        cycles = []
        for n_cmds in (1, 2):
            prog = Program()
            add_layer_loads(tb, prog, layer)
            for _ in range(n_cmds):
                prog.uc(layer.cmd)
            prog.end()
            err, pc = await tb.run(prog)
            assert err == 0, f"{mode.name}: error {err:#x} at {pc} (seed {_seed()})"
            cycles.append(await tb.rd(Reg.CNT_UC))
        assert cycles[1] == 2 * cycles[0] - layer.scan_cycles(), (
            f"{mode.name}: UC busy {cycles[0]} for one command, {cycles[1]} for two; the second should "
            f"skip the {layer.scan_cycles()}-cycle scan (seed {_seed()})")
        # corrupt one index entry through a LOAD: the record is dropped, the scan refuses it
        sel, base = (Mem.BIDX, layer.b_base) if mode == Mode.BWD_DATA else (Mem.FIDX, layer.w_base)
        a = base + rnd.randrange(layer.nnz)
        word = layer.images()[int(sel)][a] | ((1 << tb.p.fmt.k_w) - 1)
        prog = Program()
        prog.uc(layer.cmd)
        prog.load(sel, a, 1, tb.put(words_to_bytes([word], tb.width(sel))))
        prog.uc(layer.cmd)
        prog.end()
        err, pc = await tb.run(prog)
        assert err == Err.UC | 6, f"{mode.name} after a corrupting LOAD: error {err:#x} at {pc} (seed {_seed()})"
        region = layer.regions()[layer.writes()[0]]
        expected = layer.expected_images()
        got = await store_and_read(tb, Mem(int(region.sel)), region.base, region.nwords)
        check_words(f"{mode.name} {region.name} after the refused command", got,
                    [expected[region.sel].get(region.base + i, 0) for i in range(len(got))])
        dut._log.info("%s: UC busy one command %d, two %d (scan %d); corrupted list refused",
                      mode.name, cycles[0], cycles[1], layer.scan_cycles())
    top_cov.export()


@cocotb.test()
async def functional_coverage_closed(dut):
    """Every accel_top functional-coverage bin was hit by the tests above (run the whole module)."""
    holes = top_cov.holes()
    top_cov.export()
    for h in holes:
        cocotb.log.warning("coverage hole: %s", h)
    assert not holes, f"{len(holes)} coverage holes, first: {holes[0]} (seed {_seed()})"


# ---- pytest entry: every parameter set on both simulators ---------------------------------------
from flow.blocks import TOP_ARRAY_SETS  # noqa: E402
from verif.common.block_entry import block_test  # noqa: E402

# the engine arrays e4x4 (with coverage) and e16x4 (64 MACs, issue 14's size; no coverage build) on
# Verilator (Icarus: by hand, `make sim BLOCK=accel_top SIM=icarus PARAMS=e4x4`)
test_accel_top = block_test("accel_top", skip_runs=tuple(("icarus", p) for p in TOP_ARRAY_SETS))
