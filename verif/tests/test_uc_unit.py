"""pyuvm testbench of the UC unit through verif/hdl/uc_unit_harness.v (contract: docs/uc_unit.md).

The environment is the one every unit shares (verif/common/unit_env.py: sequencer, driver, BFM,
passive command / response monitors, read-back step, scoreboard, coverage subscriber); the UC
unit's pieces are in verif/common/units/: :mod:`~verif.common.units.uc` (item, pin map, load,
read-back, check against ``UcLayer.expected_images`` naming the first wrong element with mode and
seed), :mod:`~verif.common.units.uc_cov` (cover points ``uc.*``, exported to
``uc_unit_coverage.yml``), :mod:`~verif.common.units.uc_items` (directed and bad-input items).
Stream rules on ``s_cmd_*``/``m_rsp_*`` are checked every cycle.

Knobs: ``UC_CASES`` random commands per random test (default 16), ``UC_DIRECTED_STALLS=0`` (the
directed kinds without the stall variant), ``COCOTB_RANDOM_SEED``.
"""

from __future__ import annotations

import dataclasses
import os
import random

import cocotb
import numpy as np
from cocotb.triggers import RisingEdge

from sparsetrain.uc import Mode, Sel, UcCommand, to_s, words_to_map
from verif.common import backdoor
from verif.common.checks import seed
from verif.common.uc_random import make_weights, place_stack, random_layer
from verif.common.uc_stimulus import UcLayer
from verif.common.unit_env import run_items
from verif.common.units.common import status_name
from verif.common.units.uc import UcItem, UcUnit, load_images, make_uc_bfm, params, small_cons
from verif.common.units.uc_items import bad_items, directed_items
from verif.models import conv_forward, uc_expected

UC_CASES = int(os.environ.get("UC_CASES", "16"))
#: UC_DIRECTED_STALLS=0: the directed kinds without stalls only (the CI tier on the engine arrays;
#: their random commands, bad inputs, resets and chains still run with stalls)
UC_DIRECTED_STALLS = os.environ.get("UC_DIRECTED_STALLS", "1") != "0"


def _timeout(cmds: int):
    # Icarus at a few 10k cycles/s; generous
    return {"timeout_time": 60 + cmds * 30, "timeout_unit": "sec"}


# =================================================================================== tests
@cocotb.test(**_timeout(2 * UC_CASES))
@cocotb.parametrize(stall=[False, True])
async def random_commands(dut, stall):
    """UC_CASES constrained-random commands of every mode against the models."""
    await run_items(UcUnit(), [UcItem(f"rand{i}") for i in range(UC_CASES)], stall=stall)


@cocotb.test(**_timeout(45))
@cocotb.parametrize(stall=[False, True] if UC_DIRECTED_STALLS else [False])
async def directed_kinds(dut, stall):
    """Each mode on point-wise, depth-wise, KMAX, atrous, stride 2, padding edges, empty filters,
    all-zero, dense and saturating layers; then one command per stride x dilation x padding
    bin (geometry_items)."""
    await run_items(UcUnit(), directed_items(), stall=stall)


@cocotb.test(**_timeout(60))
async def bad_inputs(dut):
    """Every bad-input class: status returned, no hang, not one memory word written; among them
    the high-bits family (every bit of one command field above its legal range set)."""
    await run_items(UcUnit(), bad_items(random.Random(random.getrandbits(32))), stall=True)


@cocotb.test(**_timeout(12))
@cocotb.parametrize(stall=[False, True])
async def reset_mid_command(dut, stall):
    """Reset while a command runs (its response is lost, nothing stale comes out), then good
    commands work."""
    items = []
    for i in range(3):
        it = UcItem(f"killed{i}", cons=small_cons(cycle_budget=4000))
        it.randomize()
        it.reset_after = random.randint(1, max(2, it.layer.est_cycles() // 2))
        items += [it, UcItem(f"after_reset{i}")]
    await run_items(UcUnit(), items, stall=stall)


@cocotb.test(**_timeout(4))
async def checker_catches_wrong_expectation(dut):
    """The scoreboard, fed a deliberately wrong expectation, reports the first wrong element."""
    items = [UcItem(f"wrong_{m.name}", cons=small_cons(mode=m, sparsity=0.3, empty_filters=0, min_nnz=1),
                    wrong=True)
             for m in Mode]
    sb = await run_items(UcUnit(), items, raise_in_check=False)
    assert len(sb.errors) == 4, f"wrong expectations went unnoticed: {sb.errors}"
    for m, e in zip(Mode, sb.errors):
        assert f"mode {m.name}" in e and "seed" in e and "expected" in e and ", got " in e, e
    assert "Y[n=0, y=0, x=0]" in sb.errors[0] and "dX[c=0, y=0, x=0]" in sb.errors[1], sb.errors[:2]
    assert "GRAD[entry 0]" in sb.errors[2] and "WGT[entry 0]" in sb.errors[3], sb.errors[2:]


class _StrayWrite(UcUnit):
    """The UC unit whose memories get one word changed behind its back after each response (a
    write the bad command should not have made): the no-write check's self-test."""

    def __init__(self, targets):
        super().__init__()
        self.targets = list(targets)

    async def readback(self, bfm, item, rsp):
        if rsp is not None and self.targets:
            await RisingEdge(bfm.clk)             # out of the monitors' read-only phase
            rams = self._rams(bfm)
            name = self.targets.pop(0)
            # the last engine's copy (its last bank when the memory is banked)
            name = [n for n in rams if n.endswith(name) or (name + ".bank") in n][-1]
            index = random.randrange(len(rams[name]))
            backdoor.poke(rams, name, index, int(rams[name][index].value) ^ 1)
        return await super().readback(bfm, item, rsp)


@cocotb.test(**_timeout(4))
async def checker_catches_stray_write(dut):
    """The no-write check of bad inputs, with one word of a stack bank and then one of the weight
    memory changed after the refusal, reports each (array and word)."""
    rnd = random.Random(random.getrandbits(32))
    items = bad_items(rnd)[:2]
    sb = await run_items(_StrayWrite([".STACK.bank0", ".WGT"]), items, raise_in_check=False)
    assert len(sb.errors) == 2, f"stray writes went unnoticed: {sb.errors}"
    assert "memory written despite" in sb.errors[0] and ".STACK.bank0[" in sb.errors[0], sb.errors[0]
    assert ".WGT[" in sb.errors[1] or ".WGT.bank" in sb.errors[1], sb.errors[1]


@cocotb.test(**_timeout(10))
@cocotb.parametrize(stall=[False, True])
async def back_to_back_chain(dut, stall):
    """FWD -> BWD_DATA -> WGRAD(gacc=0) -> WGRAD(gacc=1) -> UPDATE -> FWD back to back, memories
    loaded once, compared at the end against the models chained."""
    p = params()
    rnd = random.Random(random.getrandbits(32))
    rng = np.random.default_rng(rnd.getrandbits(32))
    c, n = rnd.randint(2, 4), rnd.randint(2, 4)
    k = rnd.choice([1, 3])
    h = w = rnd.randint(k + 1, 10)
    stride = rnd.choice([1, 2])
    pad = k // 2
    sw = make_weights(rng, n, c, k, rnd.choice([0.0, 0.3, 0.6]), rnd.choice(["balanced", "threshold"]), bits=8)
    cmd0 = UcCommand(cin=c, cout=n, h=h, w=w, k=k, stride=stride, dil=1, pad=pad, shift=8)
    ho, wo = cmd0.ho, cmd0.wo
    xw, yw, dxw, y2w = p.map_words(c, h, w), p.map_words(n, ho, wo), p.map_words(c, h, w), p.map_words(n, ho, wo)
    xb, yb, dxb, y2b = place_stack(rnd, [xw, yw, dxw, y2w], p.fm_depth)
    x = rng.integers(-600, 600, size=(c, h, w)).astype(np.int16)
    bias = rng.integers(-4000, 4000, size=n).astype(np.int32)
    wb, bb = rnd.randint(0, p.wdepth - sw.nnz), rnd.randint(0, p.wdepth - sw.nnz)
    base = dict(x_base=xb, y_base=yb, fptr_base=1, bptr_base=1 + n, bias_base=2)
    lr = dict(lr_mult=rnd.randint(1, 3000), lr_shift=rnd.randint(8, 20), lr_mult_b=rnd.randint(1, 3000),
              lr_shift_b=rnd.randint(0, 8))
    cmds = [
        UcCommand(**{**cmd0.__dict__, **base, "mode": Mode.FWD, "relu": 0}),
        UcCommand(**{**cmd0.__dict__, **base, "mode": Mode.BWD_DATA, "x_base": dxb, "shift": 6}),
        UcCommand(**{**cmd0.__dict__, **base, "mode": Mode.WGRAD, "gacc": 0, "bgrad": 1, "shift": 4}),
        UcCommand(**{**cmd0.__dict__, **base, "mode": Mode.WGRAD, "gacc": 1, "bgrad": 1, "shift": 4}),
        UcCommand(**{**cmd0.__dict__, **base, **lr, "mode": Mode.UPDATE}),
        UcCommand(**{**cmd0.__dict__, **base, "mode": Mode.FWD, "y_base": y2b, "relu": 1}),
    ]
    # chained models
    y = uc_expected(cmds[0], sw, x=x, bias=bias)["y"]
    dx = uc_expected(cmds[1], sw, dy=y)["dx"]
    g1 = uc_expected(cmds[2], sw, x=x, dy=y)
    g2 = uc_expected(cmds[3], sw, x=x, dy=y, grad=g1["grad"], bgrad=g1["bgrad"])
    up = uc_expected(cmds[4], sw, bias=bias, grad=g2["grad"], bgrad=g2["bgrad"])
    sw2 = sw.with_values(up["wgt"])
    y2 = conv_forward(x, sw2, up["bias"], stride=stride, pad=pad, relu=True, shift=8)
    # load once
    bfm = make_uc_bfm(dut, p, idle=0.3 if stall else 0.0, backpressure=0.5 if stall else 0.0)
    await bfm.reset()
    lay = UcLayer(cmd=cmds[0], sw=sw, params=p, x=x, bias=bias, w_base=wb, b_base=bb)
    garbage = rng.integers(0, 1 << 62, size=4)
    await load_images(bfm, lay.images())
    await bfm.write(Sel.GRAD, {wb + a: int(garbage[0] >> (a % 30)) & 0xFFFFFFFF for a in range(sw.nnz)})
    await bfm.write(Sel.BGRAD, {2 + i: int(garbage[1]) & 0xFFFFFFFF for i in range(n)})
    for cmd in cmds:
        bfm.queue(cmd.ports())
    t0 = bfm.cycle
    budget = 20000 + 8 * sum(UcLayer(cmd=cm, sw=sw, params=p).est_cycles() for cm in cmds)
    while len(bfm.responses) < len(cmds) and bfm.cycle - t0 < budget:
        await RisingEdge(bfm.clk)
    st = [status_name(r.status) for r in bfm.responses]
    cocotb.log.info("chain C=%d N=%d K=%d H=W=%d stride=%d nnz=%d: statuses %s, cycles %s", c, n, k, h,
                    stride, sw.nnz, st, [r.cycles for r in bfm.responses])
    assert st == ["OK"] * len(cmds), f"statuses {st} (seed {seed()})"
    got = {Sel.STACK: await bfm.read(Sel.STACK, range(p.fm_depth))}
    for sel in (Sel.WGT, Sel.GRAD):
        got[sel] = await bfm.read(sel, range(wb, wb + sw.nnz))
    for sel in (Sel.BIAS, Sel.BGRAD):
        got[sel] = await bfm.read(sel, range(2, 2 + n))
    errs = []
    for name, base_, ref in (("X", xb, x), ("Y", yb, y), ("dX", dxb, dx), ("Y after update", y2b, y2)):
        m = words_to_map([got[Sel.STACK][base_ + i] for i in range(p.map_words(*ref.shape))], ref.shape, p.lanes)
        bad = np.argwhere(m != ref)
        if bad.size:
            i = tuple(bad[0])
            errs.append(f"{name}{list(i)}: expected {ref[i]}, got {m[i]} ({len(bad)} wrong)")
    wg = np.array([to_s(got[Sel.WGT][wb + a], 16) for a in range(sw.nnz)])
    if (wg != up["wgt"]).any():
        a = int(np.argmax(wg != up["wgt"]))
        errs.append(f"WGT[entry {a}] after UPDATE: expected {up['wgt'][a]}, got {wg[a]}")
    bs = np.array([to_s(got[Sel.BIAS][2 + i], 32) for i in range(n)])
    if (bs != up["bias"]).any():
        errs.append(f"BIAS after UPDATE: expected {up['bias'].tolist()}, got {bs.tolist()}")
    if any(got[Sel.GRAD].values()) or any(got[Sel.BGRAD].values()):
        errs.append("GRAD/BGRAD not zero after UPDATE")
    assert not errs, f"chain (C={c} N={n} K={k} H={h} s={stride} nnz={sw.nnz}, seed {seed()}): " + "; ".join(errs)
    assert not bfm.errors, bfm.errors[:1]


# ====================================================== checked lists (uc_lcache): skip, re-check
LIST_SELS = (Sel.FIDX, Sel.BIDX, Sel.PTR)


async def _bench(dut):
    """``(p, rnd, bfm)`` of a checked-list test: the build's parameters, a generator seeded from
    the test's seed, the UC BFM after a reset."""
    p = params()
    rnd = random.Random(random.getrandbits(32))
    bfm = make_uc_bfm(dut, p)
    await bfm.reset()
    return p, rnd, bfm


async def _run_cmd(bfm, lay: UcLayer):
    """Send the layer's command, return its response (fails on a hang)."""
    await bfm.send(lay.cmd.ports())
    rsp = await bfm.wait_response(4 * lay.est_cycles() + 2000)
    assert rsp is not None, f"no response to {lay.cmd.mode_name()} (seed {seed()})"
    return rsp


async def _load(bfm, img, lists: bool):
    """Load the images; ``lists=False``: every memory but FIDX, BIDX and PTR (no list write)."""
    await load_images(bfm, {s: v for s, v in img.items() if lists or s not in LIST_SELS})


async def _check_results(bfm, lay: UcLayer, what: str):
    from verif.common.uc_stimulus import readback_plan
    from verif.common.units.uc import compare
    got = {sel: await bfm.read(sel, addrs) for sel, addrs in readback_plan(lay).items()}
    errs = compare(lay, got, lay.expected_images(lay.images()))
    assert not errs, f"{what} {lay.cmd.mode_name()} (seed {seed()}): " + "; ".join(errs[:3])


def _bad_index_word(lay: UcLayer, p, word: int) -> int:
    """``word`` (an index entry) with kx = 2^K_W - 1 >= K (the layers here have K = 3)."""
    kw = p.fmt.k_w
    return word | ((1 << kw) - 1)


@cocotb.test(**_timeout(40))
async def checked_list_skips_scan(dut):
    """Each mode twice on the same lists, only the data memories reloaded in between: the second
    command skips the pre-scan (exactly ``UcLayer.scan_cycles()`` fewer cycles) and both are
    bit-exact against the models; after one list word is rewritten with its own value the third
    is scanned again (the cold cycle count). UPDATE makes no record (it checks only pointers):
    alone it is scanned each time; WGRAD and UPDATE skip the scan on the record of the FWD scan
    of the same forward list."""
    from verif.common.units import uc_cov
    p, rnd, bfm = await _bench(dut)
    for rep in range(2):
        for mode in Mode:
            lay = random_layer(rnd, p, small_cons(mode=mode, cycle_budget=3000))
            img = lay.images()
            await _load(bfm, img, lists=True)
            cold = await _run_cmd(bfm, lay)
            assert status_name(cold.status) == "OK", f"cold {mode.name}: {status_name(cold.status)}"
            await _check_results(bfm, lay, "cold")
            uc_cov.sample_list_check("scanned")
            await _load(bfm, img, lists=False)
            warm = await _run_cmd(bfm, lay)
            assert status_name(warm.status) == "OK", f"warm {mode.name}: {status_name(warm.status)}"
            await _check_results(bfm, lay, "warm (scan skipped)")
            # UPDATE checks only pointers and makes no record: alone, it is scanned every time
            # (it skips the scan on the record of its layer's FWD or WGRAD, below)
            saved = 0 if mode == Mode.UPDATE else lay.scan_cycles()
            assert cold.cycles - warm.cycles == saved, (
                f"{mode.name} C={lay.cmd.cin} N={lay.cmd.cout} nnz={lay.nnz}: cold {cold.cycles}, "
                f"warm {warm.cycles} cycles; the scan is {lay.scan_cycles()}, expected {saved} saved "
                f"(seed {seed()})")
            if saved:
                uc_cov.sample_list_check("skipped")
            # a list write (even of the word already there) forgets the record
            sel, base = (Sel.PTR, lay.cmd.bptr_base if mode == Mode.BWD_DATA else lay.cmd.fptr_base)
            await _load(bfm, img, lists=False)
            await bfm.write(sel, {base: img[sel][base]})
            again = await _run_cmd(bfm, lay)
            assert status_name(again.status) == "OK" and again.cycles == cold.cycles, (
                f"{mode.name} after a PTR write: {status_name(again.status)}, {again.cycles} cycles, "
                f"cold was {cold.cycles} (seed {seed()})")
            await _check_results(bfm, lay, "re-checked")
            uc_cov.sample_list_check("rechecked_after_write")
            cocotb.log.info("checked list %s C=%d N=%d K=%d nnz=%d: cold %d, warm %d (scan %d), after a write %d",
                            mode.name, lay.cmd.cin, lay.cmd.cout, lay.cmd.k, lay.nnz, cold.cycles, warm.cycles,
                            lay.scan_cycles(), again.cycles)
        # the other commands of a layer on the record of its FWD scan
        lay = random_layer(rnd, p, small_cons(mode=Mode.FWD, cycle_budget=2500))
        img = lay.images()
        await _load(bfm, img, lists=True)
        assert status_name((await _run_cmd(bfm, lay)).status) == "OK"
        for mode in (Mode.WGRAD, Mode.UPDATE):
            rng = np.random.default_rng(rnd.getrandbits(32))
            dy = rng.integers(-300, 300, size=(lay.cmd.cout, lay.cmd.ho, lay.cmd.wo)).astype(np.int16)
            ml = dataclasses.replace(lay.with_cmd(mode=int(mode), gacc=0, bgrad=1), dy=dy)
            await _load(bfm, ml.images(), lists=False)
            r = await _run_cmd(bfm, ml)
            assert status_name(r.status) == "OK"
            await _check_results(bfm, ml, "after FWD's scan")
            # cold reference: the same command after a list write
            await _load(bfm, ml.images(), lists=False)
            await bfm.write(Sel.PTR, {lay.cmd.fptr_base: img[Sel.PTR][lay.cmd.fptr_base]})
            r2 = await _run_cmd(bfm, ml)
            assert r2.cycles - r.cycles == ml.scan_cycles(), (
                f"{mode.name} after FWD: {r.cycles} cycles, cold {r2.cycles}, scan {ml.scan_cycles()} (seed {seed()})")
            await _load(bfm, img, lists=False)
            assert status_name((await _run_cmd(bfm, lay)).status) == "OK"     # FWD again: record back
    uc_cov.report(cocotb.log)
    assert not bfm.errors, bfm.errors[:1]


@cocotb.test(**_timeout(40))
async def relu_bwd_one_item_a_vector(dut):
    """BWD_DATA with ``relu`` (the ReLU backward of the layer below, docs/uc_unit.md "ReLU
    backward in BWD_DATA") at stride 1, stride 2 and on flat maps: bit-exact against the models
    (dX kept where the mask map at ``m_base`` is > 0), and exactly one cycle more a dX vector of a
    non-empty list than the same command without it (``UcLayer.est_cycles`` of both, checked
    lists: no scan on either side); at most that on an array or with a list of one entry."""
    p, rnd, bfm = await _bench(dut)
    kinds = [dict(stride=1), dict(stride=2), dict(stride=1, flat=True, k=3, dil=1)]
    for kw in kinds * 2:
        lay = None
        for _ in range(200):
            cand = random_layer(rnd, p, small_cons(mode=Mode.BWD_DATA, cycle_budget=2500, **kw))
            if cand.cmd.relu and cand.nnz:
                lay = cand
                break
        assert lay is not None, f"no BWD_DATA layer with relu for {kw} (seed {seed()})"
        plain = lay.with_cmd(relu=0)
        await _load(bfm, plain.images(), lists=True)
        r0 = await _run_cmd(bfm, plain)          # scans the list (its record for the others)
        assert status_name(r0.status) == "OK"
        await _check_results(bfm, plain, "BWD_DATA")
        await _load(bfm, lay.images(), lists=False)
        r1 = await _run_cmd(bfm, lay)
        assert status_name(r1.status) == "OK", f"BWD_DATA relu: {status_name(r1.status)} (seed {seed()})"
        await _check_results(bfm, lay, "BWD_DATA relu")
        await _load(bfm, plain.images(), lists=False)
        r2 = await _run_cmd(bfm, plain)
        assert status_name(r2.status) == "OK"
        # (an engine array spreads the input channels, and so the mask items, over its engines:
        # at most the one-engine count more, none when the command is bound by its stack writes)
        want = lay.est_cycles(True) - plain.est_cycles(True)
        diff = r1.cycles - r2.cycles
        # (a list of one entry gives its mask item the cycle in which the next list's pointer
        # arrives, a bubble without it: then fewer than one a vector)
        exact = p.engines == 1 and not any(int(k) == 1 for k in lay.bwd_counts())
        ok = diff == want if exact else 0 <= diff <= want
        assert want > 0 and ok, (
            f"BWD_DATA relu {kw} C={lay.cmd.cin} H={lay.cmd.h} W={lay.cmd.w}: {r1.cycles} cycles, "
            f"{r2.cycles} without relu; expected {want} more, a cycle a vector (seed {seed()})")
        cocotb.log.info("BWD_DATA relu %s C=%d N=%d H=%d W=%d nnz=%d: %d cycles, %d without (+%d; "
                        "one engine +%d)", kw, lay.cmd.cin, lay.cmd.cout, lay.cmd.h, lay.cmd.w, lay.nnz,
                        r1.cycles, r2.cycles, diff, want)


@cocotb.test(**_timeout(60))
async def checked_list_corrupted_rechecked(dut):
    """A list that passed its scan, then corrupted through the host port (an index entry with
    kx >= K, or a pointer beyond the weight memory): the same command is scanned again and
    refused (BAD_INDEX / BAD_LIST) with not one memory word written. UPDATE, which checks only
    pointers, still runs on a corrupted index entry. A command whose shape fields differ from the
    recorded one (C one less) is scanned, not served from the record."""
    from verif.common.units import uc_cov
    p, rnd, bfm = await _bench(dut)
    rams = backdoor.ram_arrays(dut, p.engines, p.lanes, p.upd_banks)
    for rep in range(2):
        for mode in Mode:
            for what in ("index", "pointer"):
                lay = random_layer(rnd, p, small_cons(mode=mode, k=3, min_nnz=1, cycle_budget=2500))
                img = lay.images()
                await _load(bfm, img, lists=True)
                for _ in range(2):        # scanned, then served from the record
                    r = await _run_cmd(bfm, lay)
                    assert status_name(r.status) == "OK", f"{mode.name}: {status_name(r.status)} (seed {seed()})"
                    await _load(bfm, img, lists=False)
                bwd = mode == Mode.BWD_DATA
                if what == "index":
                    sel, base = (Sel.BIDX, lay.b_base) if bwd else (Sel.FIDX, lay.w_base)
                    a = base + rnd.randrange(lay.nnz)
                    bad = {sel: {a: _bad_index_word(lay, p, img[sel][a])}}
                    expect = "OK" if mode == Mode.UPDATE else "BAD_INDEX"
                else:
                    base, cnt = (lay.cmd.bptr_base, lay.cmd.cin) if bwd else (lay.cmd.fptr_base, lay.cmd.cout)
                    a = base + rnd.randrange(cnt)
                    aw = p.fmt.addr_w
                    bad = {Sel.PTR: {a: (p.wdepth - 1) | (2 << aw)}}
                    expect = "BAD_LIST"
                for sel, words in bad.items():
                    await bfm.write(sel, words)
                before = await backdoor.snapshot(rams, bfm.clk)
                r = await _run_cmd(bfm, lay)
                assert status_name(r.status) == expect, (
                    f"{mode.name}, {what} corrupted after its scan: {status_name(r.status)}, expected {expect} "
                    f"(seed {seed()})")
                if expect != "OK":
                    after = await backdoor.snapshot(rams, bfm.clk, settle=backdoor.SETTLE_CYCLES)
                    diff = backdoor.diff(before, after)
                    assert not diff, f"{mode.name} refused ({expect}) but wrote {diff[:4]} (seed {seed()})"
                    uc_cov.sample_list_check("refused_after_write")
                cocotb.log.info("%s, %s corrupted after a passed scan: %s", mode.name, what, status_name(r.status))
        # the record is per shape: C one less makes an entry with c = C-1 illegal
        lay = random_layer(rnd, p, small_cons(mode=Mode.FWD, min_nnz=1, depthwise=False, cycle_budget=2500))
        if lay.cmd.cin > 1:
            img = lay.images()
            await _load(bfm, img, lists=True)
            assert status_name((await _run_cmd(bfm, lay)).status) == "OK"
            narrow = lay.with_cmd(cin=lay.cmd.cin - 1)
            expect = "BAD_INDEX" if int(np.max(lay.sw.fwd_c)) == lay.cmd.cin - 1 else "OK"
            r = await _run_cmd(bfm, narrow)
            assert status_name(r.status) == expect, (
                f"FWD with C-1 after C was checked: {status_name(r.status)}, expected {expect} (seed {seed()})")
    uc_cov.report(cocotb.log)
    assert not bfm.errors, bfm.errors[:1]


@cocotb.test(**_timeout(40))
async def checked_list_records_fifo(dut):
    """More distinct lists than records (uc_unit LISTS = 64): 70 FWD commands whose identities
    differ (pointer-table base 0..27 over copies of one pointer table, C 2..4), each scanned; then
    the oldest ones were replaced first in, first out: the first list is scanned again (and
    replaces the seventh), the last, the eighth and then the seventh are served from the record /
    scanned as the order says; one list write then drops the full table. Cycle counts tell
    which: a checked command takes exactly ``UcLayer.scan_cycles()`` fewer."""
    from verif.common.units import uc_cov
    lists = 64
    p, rnd, bfm = await _bench(dut)
    rng = np.random.default_rng(rnd.getrandbits(32))
    sw = make_weights(rng, 2, 2, 1, 0.0)
    x = rng.integers(-300, 300, size=(4, 2, 2)).astype(np.int16)
    keys = [(base, cin) for base in range(0, 28) for cin in (2, 3, 4)][:lists + 6]

    def layer(key):
        base, cin = key
        cmd = UcCommand(mode=int(Mode.FWD), cin=cin, cout=2, h=2, w=2, k=1, stride=1, dil=1, pad=0, shift=4,
                        x_base=0, y_base=p.map_words(4, 2, 2), fptr_base=base, bptr_base=30, bias_base=0)
        return UcLayer(cmd=cmd, sw=sw, params=p, x=x[:cin], w_base=0, b_base=0)

    img = layer(keys[0]).images()
    await load_images(bfm, img)
    # copies of the two-pointer table over the whole range: a table at any base is a valid list
    ptrs = [img[Sel.PTR][0], img[Sel.PTR][1]]
    await bfm.write(Sel.PTR, {a: ptrs[a % 2] for a in range(p.pdepth)})
    first = {}
    for key in keys:
        r = await _run_cmd(bfm, layer(key))
        assert status_name(r.status) == "OK", f"{key}: {status_name(r.status)} (seed {seed()})"
        first[key] = r.cycles

    async def again(i, checked):
        lay = layer(keys[i])
        r = await _run_cmd(bfm, lay)
        want = first[keys[i]] - (lay.scan_cycles() if checked else 0)
        assert status_name(r.status) == "OK" and r.cycles == want, (
            f"list {i} {keys[i]} again: {r.cycles} cycles, expected {want} "
            f"({'served from its record' if checked else 'scanned: its record was replaced'}; seed {seed()})")
        uc_cov.sample_list_check("skipped" if checked else "rescanned_after_replacement")

    n = len(keys)                       # records now: lists n-64 .. n-1
    await again(0, False)               # replaced: scanned, and recorded over list n-64
    await again(n - 1, True)
    await again(n - lists + 1, True)
    await again(n - lists, False)       # its record went to list 0
    # a full table is dropped by one list write (the word already there): scanned again
    await bfm.write(Sel.PTR, {0: ptrs[0]})
    await again(n - 1, False)
    uc_cov.report(cocotb.log)
    assert not bfm.errors, bfm.errors[:1]


# ==================================================== pytest entry: both simulators, both sets
from verif.common.block_entry import block_test  # noqa: E402

# l64 (one engine of 64 lanes) on Icarus simulates ~2,000 ns/s (bad_inputs alone over 600 s): by
# hand on either simulator (CI time). The engine arrays: e4x2 runs every test on Verilator (with
# coverage) and its random commands on Icarus (all 13 tests pass there in 7 min: by hand); e16x4
# (64 MACs) every test on Verilator and, on Icarus (1,800-3,300 ns/s), its random commands with a
# sixteenth of UC_CASES (1 by default, each stall variant: about 80 s; the rest by hand, `make sim
# BLOCK=uc_unit SIM=icarus PARAMS=e16x4`).
test_uc_unit = block_test(
    "uc_unit", skip_sets=("bench",),
    skip_runs=(("icarus", "l64"), ("verilator", "l64")),
    run_tests={("icarus", "e4x2"): "random_commands", ("icarus", "e16x4"): "random_commands"},
    run_env={("icarus", "e16x4"): {"UC_CASES": str(max(1, UC_CASES // 16))}},
    # CI time: on the arrays the CI tier runs the directed kinds once, without stalls (make regress: both)
    ci_env={("verilator", "e4x2"): {"UC_DIRECTED_STALLS": "0"}, ("verilator", "e16x4"): {"UC_DIRECTED_STALLS": "0"}})
