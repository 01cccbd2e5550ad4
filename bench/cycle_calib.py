"""Calibration of the cycle model (:mod:`bench.cycle_model`) against the RTL.

* UC: per mode and list state (pre-scanned, or checked: the scan skipped), a least-squares fit of
  ``measured - formula = a*N + b*C + e*empty + c`` on every layer the UC bench simulated
  (bench/uc_unit.py, build/bench/uc_unit.json).
* DMA: from the top-level bench (bench/top.py, build/bench/top_verilator.json): a LOAD of ``n``
  32-bit words costs ``o + beta*n`` cycles.
* Checks: the UC formula equals the driver's estimate (``check_formula_against_driver``); the
  calibrated model against the simulated demo training step / inference (``top_check``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sparsetrain.sparse import split_dil

from bench.cycle_formulas import (NETWORKS, UC_PIPE_EXTRA, conv, lc_cycles, loss_cycles,
                                  out_size, pool_cycles, relu_bwd_cmd, scan_extra, uc_formula,
                                  flat_layers, with_rmask)


# ------------------------------------------------------------------------------ calibration
def ptrs(mode: str, c: int, stride: int) -> int:
    """The calibration's per-channel term: input channels C, or in BWD_DATA the backward pointers
    (C; 4C at stride 2, the list split by parity)."""
    return c * (4 if mode == "BWD_DATA" and stride == 2 else 1)


@dataclass
class Calib:
    uc: dict            # mode -> (a, b, e, c): residual = a*N + b*P + e*empty + c (P: pointers, ptrs())
    uc_err: dict        # mode -> error stats
    dma_o: float = 20.0
    dma_beta: float = 1.0
    seq: float = 0.0
    source: str = "defaults"
    #: maps stored flat where the driver stores them (bench.cycle_formulas.flat_layers, applied by
    #: bench.cycle_model.network); False: the row layout everywhere (the chip before issue 14's
    #: flat maps, and ``build_program(..., flat=False)``)
    flat_small: bool = True
    #: the driver's engine-balanced channel order on an array (bench.cycle_formulas.chip_order,
    #: applied by bench.cycle_model.network and bench.array_projection.network); False: the
    #: model's order (``build_program(..., balance=False)``)
    balance: bool = True

    def uc_cycles(self, mode, layer, h, w, fwd, bwd, lanes, checked=False):
        """One UC command; ``checked``: its list passed a scan since the last list write (the
        unit skips the pre-scan, docs/uc_unit.md "Checked lists")."""
        a, b, e, c = self.uc.get(uc_key(mode, checked), (0.0, 0.0, 0.0, 0.0))
        empty = int(np.count_nonzero(np.asarray(fwd) == 0))
        return (uc_formula(mode, layer, h, w, fwd, bwd, lanes, checked=checked)
                + a * len(fwd) + b * ptrs(mode, layer["c"], layer["s"]) + e * empty + c)


    def dma(self, words32):
        return self.dma_o + self.dma_beta * words32


#: checked-list records of the UC unit (uc_unit parameter LISTS): a network whose lists (one
#: forward list per conv, one backward list per conv but the first) fit them is pre-scanned only
#: on its first image; every later command skips the scan
UC_LISTS = 64


def uc_key(mode: str, checked: bool) -> str:
    """Calibration key of a UC command: the mode, '/checked' when its pre-scan is skipped."""
    return f"{mode}/checked" if checked else mode


def uc_lists(layers, engines: int = 1) -> int:
    """Distinct lists a network's training uses (forward per conv, backward per conv but the
    first; on an engine array, ``engines`` > 1, three more a Linear: its forward, backward and
    empty bias-gradient lists, :func:`sparsetrain.driver.linear_on_uc`)."""
    convs = sum(1 for L in layers if L["t"] == "conv")
    lins = sum(1 for L in layers if L["t"] == "lin") if engines > 1 else 0
    return (2 * convs - 1 if convs else 0) + 3 * lins


def empty_filters(r: dict) -> int:
    """Empty filters of a UC bench row (rows of older runs lack the field: rebuild the weights)."""
    if "empty_filters" in r:
        return r["empty_filters"]
    import zlib
    from bench.uc_bench_tests import build_weights
    spec = {"out_channels": r["out_channels"], "in_channels": r["in_channels"], "kernel": r["kernel"],
            "depthwise": r.get("depthwise", False)}
    rng = np.random.default_rng(zlib.crc32(f"{r['layer']}/{r['sparsity']}/{r['pruning']}".encode()))
    sw = build_weights(rng, spec, r["sparsity"], r["pruning"])
    return int(np.count_nonzero(np.asarray(sw.fwd_count) == 0))


def calibrate_uc(rows):
    """Per mode and list state (scanned / checked): measured - formula = a*N + b*P +
    e*(empty filters) + c (P: :func:`ptrs`), least squares."""
    out, err = {}, {}
    for key in [uc_key(m, ck) for ck in (False, True) for m in ("FWD", "BWD_DATA", "WGRAD", "UPDATE")]:
        mode, checked = key.split("/")[0], key.endswith("/checked")
        rs = [r for r in rows if r["mode"] == mode and bool(r.get("checked", False)) == checked]
        if not rs:
            continue
        A = np.array([[r["out_channels"], ptrs(mode, r["in_channels"], r["stride"]), empty_filters(r), 1.0]
                      for r in rs])
        y = np.array([r["cycles"] - r["est_cycles"] for r in rs], dtype=float)
        coef, *_ = np.linalg.lstsq(A, y, rcond=None)
        meas = np.array([r["cycles"] for r in rs], dtype=float)
        pred = np.array([r["est_cycles"] for r in rs]) + A @ coef
        raw = np.abs(np.array([r["est_cycles"] for r in rs]) - meas) / meas
        cal = np.abs(pred - meas) / meas
        # leave one layer out: fit on the other layers, predict this one's rows
        names = sorted({r["layer"] for r in rs})
        loo = np.zeros(len(rs))
        for nm in names:
            m = np.array([r["layer"] == nm for r in rs])
            if m.all():
                continue
            cf, *_ = np.linalg.lstsq(A[~m], y[~m], rcond=None)
            loo[m] = np.abs(np.array([r["est_cycles"] for r in rs])[m] + A[m] @ cf - meas[m]) / meas[m]
        out[key] = tuple(round(float(v), 3) for v in coef)
        err[key] = {"rows": len(rs), "formula_max_pct": round(100 * float(raw.max()), 2),
                     "formula_mean_pct": round(100 * float(raw.mean()), 2),
                     "calibrated_max_pct": round(100 * float(cal.max()), 3),
                     "calibrated_mean_pct": round(100 * float(cal.mean()), 3),
                     "calibrated_max_abs_cycles": round(float(np.abs(pred - meas).max()), 1),
                     "leave_one_layer_out_max_pct": round(100 * float(loo.max()), 3)}
    return out, err


def calibrate_top(cal: Calib, top: dict, lanes: int):
    recs = top["records"]
    for op in ("load",):
        d = sorted((r["words"], r["dma"]) for r in recs if r["kind"] == "dma" and r["op"] == op)
        x = np.array([v[0] for v in d], float)
        y = np.array([v[1] for v in d], float)
        beta, alpha = np.polyfit(x, y, 1)
        # a one-LOAD program = fetch of 2 descriptors (32 words) + the LOAD: alpha = 32*beta + 2*o
        cal.dma_beta = float(beta)
        cal.dma_o = float((alpha - 32 * beta) / 2)
    cal.source = "UC bench + top bench"
    return cal


def check_formula_against_driver():
    """uc_formula less ``UC_PIPE_EXTRA`` (the pipeline stages issue 16 added, which the driver's
    budget formula leaves out) must equal verif.common.uc_stimulus.UcLayer.est_cycles (a few
    sampled layers)."""
    from sparsetrain.uc import Mode, UcCommand, UcParams
    from verif.common.uc_stimulus import UcLayer
    from verif.common.uc_random import make_weights
    p = UcParams(lanes=8)
    rng = np.random.default_rng(3)
    for (c, n, hw, k, s, dw) in [(8, 12, 9, 3, 1, False), (6, 10, 11, 5, 2, False), (8, 8, 7, 3, 2, True),
                                 (16, 4, 5, 1, 1, False)]:
        sw = make_weights(rng, n, c, k, 0.8, depthwise=dw)
        L = conv(c, n, k, s, k // 2, dw=dw)
        for mode in Mode:
            if mode.value > 3:
                continue
            cmd = UcCommand(mode=int(mode), cin=c, cout=n, h=hw, w=hw, k=k, stride=s, dil=1, pad=k // 2,
                            bgrad=1 if mode == Mode.WGRAD else 0)
            for checked in (False, True):
                want = UcLayer(cmd=cmd, sw=sw, params=p).est_cycles(checked)
                bwd = sw.bwd_lists(split_dil(s, 1))[2]
                got = uc_formula(mode.name, L, hw, hw, np.asarray(sw.fwd_count), bwd, 8,
                                 bgrad=1 if mode == Mode.WGRAD else 0, checked=checked)
                got -= UC_PIPE_EXTRA.get(mode.name, 0)   # the stages est_cycles leaves out
                last = bwd[-1] if mode == Mode.BWD_DATA else sw.fwd_count[-1]
                if not checked:
                    got -= scan_extra(mode.name, last)    # and the registered scan compares
                assert got == want, f"formula {mode.name} {c}->{n} k{k}/{s} checked={checked}: {got} != driver {want}"


def top_check(cal: Calib, top: dict, lanes: int) -> list[dict]:
    """The model's prediction of the simulated demo training step / inference vs the counters."""
    out = []
    from bench.top_bench_tests import NETS
    from sparsetrain.uc import UcParams
    for rec in top["records"]:
        if rec["kind"] == "dma":
            continue
        name = rec.get("net", "demo")
        train = rec["kind"].endswith("_train")
        B = rec["batch"]
        in_shape, layers = NETWORKS[name]
        p = UcParams.from_hdl(top["params"])
        # as the driver runs them: small maps flat (its memory plan), the fused ReLU backwards
        layers = with_rmask(flat_layers(in_shape, layers, lanes, p.hmax, p.wmax))
        # the top bench prunes by threshold on He-initialised weights: use its exact lists
        net, q = NETS[name]()
        uc = pool = lc = 0.0
        c, h, w = in_shape
        for i, L in enumerate(layers):
            if L["t"] == "conv":
                sw = q.convs[i]
                f = np.asarray(sw.fwd_count)
                b = sw.bwd_lists(split_dil(L["s"], L.get("d", 1)))[2]
                ho, wo = out_size(h, L["k"], L["s"], L["p"]), out_size(w, L["k"], L["s"], L["p"])
                # the lists are loaded once: the first image's FWD and BWD_DATA scan them, every
                # later command (WGRAD and UPDATE included) skips the scan
                def cmd_cycles(mode, times):
                    return (cal.uc_cycles(mode, L, h, w, f, b, lanes)
                            + (times - 1) * cal.uc_cycles(mode, L, h, w, f, b, lanes, True))
                uc += cmd_cycles("FWD", B)
                if train:
                    uc += B * cal.uc_cycles("WGRAD", L, h, w, f, b, lanes, True)
                    if i > 0:
                        uc += cmd_cycles("BWD_DATA", B)
                    if relu_bwd_cmd(layers, i):
                        pool += B * pool_cycles("RELU_BWD", L["n"], ho, wo, lanes)
                    uc += cal.uc_cycles("UPDATE", L, h, w, f, b, lanes, True)
                c, h, w = L["n"], ho, wo
            elif L["t"] == "mp":
                pool += B * pool_cycles("MP_FWD", c, h, w, lanes)
                if train:
                    pool += B * pool_cycles("MP_BWD", c, h, w, lanes)
                h, w = h // 2, w // 2
            elif L["t"] == "gap":
                # a flat map below: the driver describes it to GAP as (C, 1, H*W)
                gh, gw = (1, h * w) if i > 0 and layers[i - 1].get("flat") else (h, w)
                pool += B * pool_cycles("GAP_FWD", c, gh, gw, lanes, p.hmax * p.wmax)
                if train:
                    pool += B * pool_cycles("GAP_BWD", c, gh, gw, lanes, p.hmax * p.wmax)
                h = w = 1
            else:
                k, m = L["k"], L["m"]
                lc += B * (lc_cycles("FWD", k, m) + loss_cycles(m))
                if train:
                    lc += B * (lc_cycles("WGRAD", k, m) + lc_cycles("BWD_DATA", k, m)) + lc_cycles("UPDATE", k, m)
        units = uc + pool + lc
        meas_units = rec["uc"] + rec["pool"] + rec["lc"]
        ex = rec["executed"]
        n_desc = sum(ex.values())
        other = rec["total"] - meas_units - rec["dma"]
        out.append({"program": rec["kind"], "network": name, "batch": B,
                    "uc": [round(uc), rec["uc"]], "pool": [round(pool), rec["pool"]],
                    "lc_loss": [round(lc), rec["lc"]], "dma_measured": rec["dma"],
                    "total_measured": rec["total"], "descriptors_executed": n_desc,
                    "sequencer_cycles": other, "sequencer_per_descriptor": round(other / n_desc, 2),
                    "units_err_pct": round(100 * (units - meas_units) / meas_units, 2)})
    return out
