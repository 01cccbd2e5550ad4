"""cocotb module of the UC-unit bench (run by bench/uc_unit.py on Verilator; not a pytest file).

For every layer variant of ``UC_BENCH_CFG`` (JSON: list of layer specs) it loads the harness
memories once through the host port, runs FWD, BWD_DATA, WGRAD (gacc=0, bias gradient) and UPDATE
back to back, each twice: cold (after a write to the pointer memory, so the lists are
pre-scanned) and warm (the same command again: its list passed a scan, the scan is skipped); it
reads every result back and compares it bit-exactly with the models (a bench that computes
garbage is worthless; on an engine array WGRAD's gradients from the copy of the engine that owns
each filter), and records the unit's cycle counts (rows carry ``checked``).  Rows go to
``UC_BENCH_OUT`` (JSON); any mismatch fails the test.
"""

from __future__ import annotations

import json
import os
import random
import time
import zlib

import cocotb
import numpy as np

from sparsetrain.uc import Mode, Sel, UcCommand, UcParams, engine_owner, to_s, words_to_map
from verif.common.checks import dut_params
from verif.common.units.common import status_name
from verif.common.units.uc import load_images, make_uc_bfm
from verif.common.uc_random import place_stack
from verif.common.uc_stimulus import UcLayer
from verif.models import depthwise_dense, encode_sparse, prune, uc_expected


def build_weights(rng, spec: dict, sparsity: float, pruning: str):
    n, c, k = spec["out_channels"], spec["in_channels"], spec["kernel"]
    if spec.get("depthwise"):
        dw = rng.integers(-63, 64, size=(c, 1, k, k)).astype(np.int16)
        dw[dw == 0] = 1
        dw = prune(dw, sparsity, pruning) if sparsity else dw
        return encode_sparse(depthwise_dense(dw))
    w = rng.integers(-63, 64, size=(n, c, k, k)).astype(np.int16)
    w[w == 0] = 1   # dense means dense
    return encode_sparse(prune(w, sparsity, pruning) if sparsity else w)


def first_mismatch(name: str, got: np.ndarray, exp: np.ndarray) -> str | None:
    bad = np.argwhere(np.asarray(got) != np.asarray(exp))
    if not bad.size:
        return None
    i = tuple(int(v) for v in bad[0])
    return f"{name}{list(i)}: expected {exp[i]}, got {got[i]} ({len(bad)} wrong)"


def entry_filter(sw) -> np.ndarray:
    """The filter of each forward entry (GRAD address, w_base 0)."""
    return np.repeat(np.arange(sw.shape[0]), np.asarray(sw.fwd_count, dtype=int))


async def read_owned(bfm, p: UcParams, sel: Sel, owner_ch, n_out: int) -> dict[int, int]:
    """Read addresses ``0 .. len(owner_ch)-1`` of ``sel``, each from the memory copy of the engine
    that owns its filter ``owner_ch[a]`` (an engine array's WGRAD writes a filter's gradients only
    into its engine's copy, :func:`sparsetrain.uc.engine_owner`); one engine: copy 0."""
    if p.engines == 1:
        return await bfm.read(sel, range(len(owner_ch)))
    got: dict[int, int] = {}
    for e in range(p.engines):
        addrs = [a for a, f in enumerate(owner_ch) if engine_owner(int(f), n_out, p.engines) == e]
        if addrs:
            got.update(await bfm.read(sel, addrs, copy=e))
    return got


@cocotb.test()
async def bench_layers(dut):
    p = UcParams.from_hdl(dut_params(UcParams().to_hdl()))
    cfg = json.loads(os.environ["UC_BENCH_CFG"])
    out_path = os.environ["UC_BENCH_OUT"]
    bfm = make_uc_bfm(dut, p, checks=False)
    await bfm.reset()
    rows, errors = [], []
    for spec in cfg["layers"]:
        for sparsity, pruning in spec["variants"]:
            t0 = time.time()
            rng = np.random.default_rng(zlib.crc32(f"{spec['layer']}/{sparsity}/{pruning}".encode()))
            sw = build_weights(rng, spec, sparsity, pruning)
            c_in, n_out, k = spec["in_channels"], spec["out_channels"], spec["kernel"]
            h = w = spec["size"]
            base = UcCommand(cin=c_in, cout=n_out, h=h, w=w, k=k, stride=spec["stride"],
                             dil=spec["dilation"], pad=spec["pad"], shift=10,
                             flat=int(bool(spec.get("flat"))))
            ho, wo = base.ho, base.wo
            # (a flat layer's maps lie as one row a channel: base.store_shape)
            xst, yst = base.store_shape((c_in, h, w)), base.store_shape((n_out, ho, wo))
            sizes = [p.map_words(*xst), p.map_words(*yst), p.map_words(*yst), p.map_words(*xst)]
            xb, yb, dyb, dxb = place_stack(random.Random(1), sizes, p.fm_depth, gap=0)
            x = rng.integers(-255, 256, size=(c_in, h, w)).astype(np.int16)
            dy = rng.integers(-255, 256, size=(n_out, ho, wo)).astype(np.int16)
            bias = rng.integers(-(1 << 12), 1 << 12, size=n_out).astype(np.int32)
            common = dict(fptr_base=0, bptr_base=n_out, bias_base=0)
            cmds = {
                Mode.FWD: UcCommand(**{**base.__dict__, **common, "mode": Mode.FWD, "x_base": xb,
                                       "y_base": yb, "relu": 1}),
                Mode.BWD_DATA: UcCommand(**{**base.__dict__, **common, "mode": Mode.BWD_DATA,
                                            "x_base": dxb, "y_base": dyb}),
                Mode.WGRAD: UcCommand(**{**base.__dict__, **common, "mode": Mode.WGRAD, "x_base": xb,
                                         "y_base": dyb, "gacc": 0, "bgrad": 1, "shift": 4}),
                Mode.UPDATE: UcCommand(**{**base.__dict__, **common, "mode": Mode.UPDATE,
                                          "lr_mult": 1000, "lr_shift": 24, "lr_mult_b": 1000,
                                          "lr_shift_b": 16}),
            }
            lay = UcLayer(cmd=cmds[Mode.FWD], sw=sw, params=p, x=x, dy=dy, bias=bias, w_base=0,
                          b_base=0)
            img = lay.images()
            img[Sel.STACK].update({a: v for a, v in UcLayer(cmd=cmds[Mode.WGRAD], sw=sw, params=p, x=x,
                                                            dy=dy).images()[Sel.STACK].items()})
            await load_images(bfm, img)
            t_load = time.time() - t0
            exp_f = uc_expected(cmds[Mode.FWD], sw, x=x, bias=bias)
            exp_b = uc_expected(cmds[Mode.BWD_DATA], sw, dy=dy)
            exp_w = uc_expected(cmds[Mode.WGRAD], sw, x=x, dy=dy)
            exp_u = uc_expected(cmds[Mode.UPDATE], sw, bias=bias, grad=exp_w["grad"], bgrad=exp_w["bgrad"])
            tag = f"{spec['layer']} sparsity={sparsity} {pruning}"
            runs = []
            for mode, cmd in cmds.items():
                # cold: a list write (pointer 0 rewritten with its own value) drops the unit's
                # checked-list records; warm: the same command again, its scan skipped (FWD,
                # BWD_DATA, WGRAD with gacc=0 are idempotent; the second UPDATE steps by a zero
                # gradient, so the expected memories are the first one's; it runs after a FWD,
                # whose scan makes the record UPDATE uses)
                runs += [(mode, cmd, False), (mode, cmd, True)]
            for mode, cmd, checked in runs:
                ml = UcLayer(cmd=cmd, sw=sw, params=p)
                if not checked:
                    await bfm.write(Sel.PTR, {0: img[Sel.PTR][0]})
                elif mode == Mode.UPDATE:
                    # UPDATE makes no record of its own (it checks pointers only): as in a
                    # training step, the forward list's record comes from the layer's FWD (its
                    # Y is not read again; X and the lists are unchanged)
                    r0 = await bfm.run_fast(cmds[Mode.FWD].ports(), 4 * ml.est_cycles() + 5000 + 4 * lay.est_cycles())
                    if r0.status != 0:
                        errors.append(f"{tag} FWD before the checked UPDATE: status {status_name(r0.status)}")
                rsp = await bfm.run_fast(ml.cmd.ports(), 4 * ml.est_cycles() + 5000)
                if rsp.status != 0:
                    errors.append(f"{tag} {mode.name}: status {status_name(rsp.status)} {rsp.note}")
                    continue
                # read back and check
                if mode == Mode.FWD:
                    words = await bfm.read(Sel.STACK, range(yb, yb + sizes[1]))
                    got = words_to_map([words[a] for a in sorted(words)], yst, p.lanes).reshape(n_out, ho, wo)
                    err = first_mismatch("Y", got, exp_f["y"])
                elif mode == Mode.BWD_DATA:
                    words = await bfm.read(Sel.STACK, range(dxb, dxb + sizes[3]))
                    got = words_to_map([words[a] for a in sorted(words)], xst, p.lanes).reshape(c_in, h, w)
                    err = first_mismatch("dX", got, exp_b["dx"])
                elif mode == Mode.WGRAD:
                    g = await read_owned(bfm, p, Sel.GRAD, entry_filter(sw), n_out)
                    bg = await read_owned(bfm, p, Sel.BGRAD, np.arange(n_out), n_out)
                    err = (first_mismatch("GRAD", np.array([to_s(g[a], 32) for a in range(sw.nnz)]), exp_w["grad"])
                           or first_mismatch("BGRAD", np.array([to_s(bg[i], 32) for i in range(n_out)]),
                                             exp_w["bgrad"]))
                else:
                    wg = await bfm.read(Sel.WGT, range(sw.nnz))
                    bs = await bfm.read(Sel.BIAS, range(n_out))
                    g = await bfm.read(Sel.GRAD, range(sw.nnz))
                    err = (first_mismatch("WGT", np.array([to_s(wg[a], 16) for a in range(sw.nnz)]), exp_u["wgt"])
                           or first_mismatch("BIAS", np.array([to_s(bs[i], 32) for i in range(n_out)]), exp_u["bias"])
                           or (None if not any(g.values()) else "GRAD not zeroed by UPDATE"))
                if err:
                    errors.append(f"{tag} {mode.name}{' (checked list)' if checked else ''}: {err}")
                full = UcLayer(cmd=cmd, sw=sw, params=p)
                rows.append(dict(
                    layer=spec["layer"], mode=mode.name, kernel=k, dilation=spec["dilation"],
                    stride=spec["stride"], in_channels=c_in, out_channels=n_out, size=h,
                    flat=bool(spec.get("flat")),
                    depthwise=bool(spec.get("depthwise")), sparsity=sparsity,
                    actual_sparsity=round(sw.sparsity if not spec.get("depthwise")
                                          else 1 - sw.nnz / (c_in * k * k), 4),
                    pruning=pruning, nnz=sw.nnz, empty_filters=int(np.count_nonzero(sw.fwd_count == 0)),
                    cycles=rsp.cycles, checked=checked, scan_cycles=full.scan_cycles(),
                    ideal_cycles=round(full.ideal_cycles(), 1), est_cycles=full.est_cycles(checked),
                    correct=err is None))
                cocotb.log.info("%-10s %-9s %-5s sp=%.2f %-9s nnz=%6d cycles=%8d ideal=%10.1f eff=%.3f %s",
                                spec["layer"], mode.name, "warm" if checked else "cold", sparsity, pruning,
                                sw.nnz, rsp.cycles,
                                full.ideal_cycles(), full.ideal_cycles() / max(1, rsp.cycles),
                                "ok" if err is None else "WRONG")
            cocotb.log.info("%s: load %.1fs, total %.1fs", tag, t_load, time.time() - t0)
    with open(out_path, "w") as f:
        json.dump({"rows": rows, "errors": errors, "params": p.to_hdl()}, f, indent=1)
    assert not errors, f"{len(errors)} wrong results; first: {errors[0]}"
