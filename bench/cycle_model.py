"""Cycle model of the accelerator, calibrated against the RTL, and whole-network tables.

    python -m bench.cycle_model     (part of make bench; reads build/bench/uc_unit.json and
                                     build/bench/top_verilator.json when present)

Per-unit formulas are the docs' (docs/uc_unit.md "Pipeline and cycle count", docs/units.md
"Cycles"); the UC formula is the one of ``verif.common.uc_stimulus.UcLayer.est_cycles`` (checked equal
here on sampled layers).  Calibration:

* UC: per mode and list state (pre-scanned, or checked: the scan skipped), a least-squares fit of
  ``measured - formula = a*N + b*C + e*empty + c`` on every layer the UC bench simulated
  (bench/uc_unit.py); the formula's error before and after is reported.  In a training run the
  lists are loaded once, so only the first image's FWD and BWD_DATA scan them.
* DMA and sequencer: from the top-level bench (bench/top.py): a LOAD/STORE of ``n`` 32-bit words
  costs ``o + beta*n`` cycles; every executed descriptor costs ``seq`` cycles of sequencer time
  besides the unit's busy time.  The whole model is then checked on the demo CNN's simulated
  training step and inference (UC / pool / LC+loss / DMA / total).

Networks (CIFAR-10, 3x32x32 inputs, 10 classes; shapes in ``bench.cycle_formulas.NETWORKS``): VGG16, AlexNet and
MobileNetV1 as commonly adapted to 32x32, plus the demo CNN (1x8x8 digits).  The top's classifier
is GAP + one linear layer (the LC unit takes a vector); the FC-4096 layers of the ImageNet
AlexNet / VGG16 are left out (see docs/performance.md for their cost on the one-MAC LC unit).

Per training image at batch 32: FWD (conv, pool, GAP, LC, loss), BWD_DATA (ReLU backward, conv
input gradient, pool / GAP / LC backward), WGRAD (conv and LC weight gradients), UPDATE (every
layer's SGD step / 32), DMA (LOAD image + LOAD label; weights stay on chip) and sequencer
overhead.  Efficiency = (nnz_MACs / LANES) / cycles, nnz_MACs = the MACs on non-zero weights of
FWD + BWD_DATA + WGRAD (conv and linear).  Pruning: threshold (random weights: non-zeros per
filter binomial) or balanced (equal non-zeros per filter, at least one).

Writes build/bench/cycle_model.json and .md.  Knob: LANES (default 8; the table also gives 32).
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.cycle_formulas import (FIRST_DENSE, NETWORKS, SHAPE_NOTES, conv, counts, lc_cycles,  # noqa: E402
                                  loss_cycles, out_size, pool_cycles, stack_words32, uc_formula,
                                  UC_PIPE_EXTRA)

OUT_DIR = ROOT / "build" / "bench"
BATCH = 32
#: An assumed clock, not a timing-closed one: the whole top measured on an ECP5 LFE5UM-85F
#: (grade 6, `make pnr`) closes far lower (docs/performance.md section 7); scale the times by
#: 200 / that figure for the ECP5. The deck's VU9P clock is not stated.
CLOCK_HZ = 200e6
EPOCHS = 100
TRAIN_IMAGES = 50_000
SPARSITIES = (0.0, 0.85, 0.925, 0.95)
#: The deck's table (seed notes): CIFAR-10 rows, 100 epochs, batch 32; MobileNetV1 only on Linnaeus5.
DECK = {"AlexNet": {"dataset": "CIFAR-10", "sparsity": 0.943, "gpu_s": 2697, "fpga_s": 680},
        "VGG16": {"dataset": "CIFAR-10", "sparsity": 0.925, "gpu_s": 4458, "fpga_s": 1098},
        "MobileNetV1": {"dataset": "Linnaeus5 (not CIFAR-10)", "sparsity": 0.901, "gpu_s": 4902,
                        "fpga_s": 1223}}


# ------------------------------------------------------------------------------ calibration
@dataclass
class Calib:
    uc: dict            # mode -> (a, b, e, c): residual = a*N + b*C + e*empty + c
    uc_err: dict        # mode -> error stats
    dma_o: float = 20.0
    dma_beta: float = 1.0
    seq: float = 0.0
    source: str = "defaults"

    def uc_cycles(self, mode, layer, h, w, fwd, bwd, lanes, checked=False):
        """One UC command; ``checked``: its list passed a scan since the last list write (the
        unit skips the pre-scan, docs/uc_unit.md "Checked lists")."""
        a, b, e, c = self.uc.get(uc_key(mode, checked), (0.0, 0.0, 0.0, 0.0))
        empty = int(np.count_nonzero(np.asarray(fwd) == 0))
        return (uc_formula(mode, layer, h, w, fwd, bwd, lanes, checked=checked)
                + a * len(fwd) + b * len(bwd) + e * empty + c)

    def dma(self, words32):
        return self.dma_o + self.dma_beta * words32


#: checked-list records of the UC unit (uc_unit parameter LISTS): a network whose lists (one
#: forward list per conv, one backward list per conv but the first) fit them is pre-scanned only
#: on its first image; every later command skips the scan
UC_LISTS = 64


def uc_key(mode: str, checked: bool) -> str:
    """Calibration key of a UC command: the mode, '/checked' when its pre-scan is skipped."""
    return f"{mode}/checked" if checked else mode


def uc_lists(layers) -> int:
    """Distinct lists a network's training uses (forward per conv, backward per conv but the first)."""
    convs = sum(1 for L in layers if L["t"] == "conv")
    return 2 * convs - 1 if convs else 0


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
    """Per mode and list state (scanned / checked): measured - formula = a*N + b*C +
    e*(empty filters) + c, least squares."""
    out, err = {}, {}
    for key in [uc_key(m, ck) for ck in (False, True) for m in ("FWD", "BWD_DATA", "WGRAD", "UPDATE")]:
        mode, checked = key.split("/")[0], key.endswith("/checked")
        rs = [r for r in rows if r["mode"] == mode and bool(r.get("checked", False)) == checked]
        if not rs:
            continue
        A = np.array([[r["out_channels"], r["in_channels"], empty_filters(r), 1.0] for r in rs])
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


# ------------------------------------------------------------------------------ the network model
def network(name, sparsity, rule, lanes, cal: Calib, seed=1, prune_first=False):
    """Per-layer, per-phase cycles of one training image (UPDATE / BATCH)."""
    in_shape, layers = NETWORKS[name]
    rng = np.random.default_rng(seed)
    c, h, w = in_shape
    rows, descs_img, descs_batch = [], 0, 0
    shapes = []
    # steady state: the lists were pre-scanned on the first image (loaded once per run)
    ck = uc_lists(layers) <= UC_LISTS
    for i, L in enumerate(layers):
        shapes.append((c, h, w))
        r = {"layer": i, "type": L["t"], "in": [c, h, w], "FWD": 0, "BWD_DATA": 0, "WGRAD": 0,
             "UPDATE": 0, "macs_nnz": 0, "macs_dense": 0, "nnz": 0, "params": 0}
        if L["t"] == "conv":
            sp = sparsity if (i > 0 or prune_first or name not in FIRST_DENSE) else 0.0
            f, b = counts(L, sp, rule, rng)
            ho, wo = out_size(h, L["k"], L["s"], L["p"]), out_size(w, L["k"], L["s"], L["p"])
            nnz = int(f.sum())
            dense = L["n"] * (1 if L["dw"] else L["c"]) * L["k"] ** 2
            r.update(name=f"{'dw' if L['dw'] else 'conv'}{L['k']}x{L['k']}/{L['s']} {L['c']}->{L['n']}",
                     out=[L["n"], ho, wo], nnz=nnz, params=dense, min_filter_nnz=int(f.min()),
                     max_filter_nnz=int(f.max()), mean_filter_nnz=round(float(f.mean()), 2))
            r["FWD"] = cal.uc_cycles("FWD", L, h, w, f, b, lanes, ck)
            r["WGRAD"] = cal.uc_cycles("WGRAD", L, h, w, f, b, lanes, ck)
            if L["relu"]:
                r["BWD_DATA"] += pool_cycles("RELU_BWD", L["n"], ho, wo, lanes)
                descs_img += 1
            if i > 0:
                r["BWD_DATA"] += cal.uc_cycles("BWD_DATA", L, h, w, f, b, lanes, ck)
                descs_img += 1
            r["UPDATE"] = cal.uc_cycles("UPDATE", L, h, w, f, b, lanes, ck) / BATCH
            r["scan_saved"] = (sum(cal.uc_cycles(m, L, h, w, f, b, lanes) - cal.uc_cycles(m, L, h, w, f, b, lanes, True)
                                   for m in ("FWD", "WGRAD") + (("BWD_DATA",) if i > 0 else ()))
                               + (cal.uc_cycles("UPDATE", L, h, w, f, b, lanes)
                                  - cal.uc_cycles("UPDATE", L, h, w, f, b, lanes, True)) / BATCH)
            passes = 3 if i > 0 else 2
            r["macs_nnz"] = passes * nnz * ho * wo
            r["macs_dense"] = passes * dense * ho * wo
            r["ideal_fwd"] = nnz * ho * wo / lanes
            descs_img += 2
            descs_batch += 2      # UPDATE + STORE of the weights
            c, h, w = L["n"], ho, wo
        elif L["t"] == "mp":
            r.update(name=f"maxpool {c}x{h}x{w}", out=[c, h // 2, w // 2])
            r["FWD"] = pool_cycles("MP_FWD", c, h, w, lanes)
            r["BWD_DATA"] = pool_cycles("MP_BWD", c, h, w, lanes)
            descs_img += 2
            h, w = h // 2, w // 2
        elif L["t"] == "gap":
            r.update(name=f"gap {c}x{h}x{w}", out=[c, 1, 1])
            r["FWD"] = pool_cycles("GAP_FWD", c, h, w, lanes)
            r["BWD_DATA"] = pool_cycles("GAP_BWD", c, h, w, lanes)
            descs_img += 2
            h = w = 1
        else:
            k, m = L["k"], L["m"]
            r.update(name=f"linear {k}->{m}", out=[m, 1, 1], nnz=k * m, params=k * m)
            r["FWD"] = lc_cycles("FWD", k, m) + loss_cycles(m)
            r["BWD_DATA"] = lc_cycles("BWD_DATA", k, m)
            r["WGRAD"] = lc_cycles("WGRAD", k, m)
            r["UPDATE"] = lc_cycles("UPDATE", k, m) / BATCH
            r["macs_nnz"] = r["macs_dense"] = 3 * k * m
            descs_img += 4        # FWD, LOSS, WGRAD, BWD_DATA
            descs_batch += 3
            c = m
        rows.append(r)
    cin, hin, win = in_shape
    dma = cal.dma(stack_words32(cin, hin, win, lanes)) + cal.dma(1)
    descs_img += 2                # LOAD image, LOAD label
    seq = cal.seq * (descs_img + descs_batch / BATCH)
    phases = {p: sum(r[p] for r in rows) for p in ("FWD", "BWD_DATA", "WGRAD", "UPDATE")}
    total = sum(phases.values()) + dma + seq
    macs = sum(r["macs_nnz"] for r in rows)
    macs_dense = sum(r["macs_dense"] for r in rows)
    nnz = sum(r["nnz"] for r in rows if r["type"] == "conv")
    params = sum(r["params"] for r in rows if r["type"] == "conv")
    for r in rows:
        r["cycles"] = r["FWD"] + r["BWD_DATA"] + r["WGRAD"] + r["UPDATE"]
        r["efficiency"] = round(r["macs_nnz"] / lanes / r["cycles"], 4) if r["cycles"] and r["macs_nnz"] else None
    scan_saved = sum(r.get("scan_saved", 0.0) for r in rows) if ck else 0.0
    return {"network": name, "sparsity": sparsity, "rule": rule, "lanes": lanes,
            "lists": uc_lists(layers), "lists_checked": ck,
            "cycles_if_scanned": round(total + scan_saved),
            "efficiency_if_scanned": round(macs / lanes / (total + scan_saved), 4),
            "conv_sparsity": round(1 - nnz / params, 4) if params else 0.0,
            "cycles_per_image": round(total), "phases": {k: round(v) for k, v in phases.items()},
            "dma": round(dma), "sequencer": round(seq), "dma_share": round(dma / total, 5),
            "nnz_macs": macs, "dense_macs": macs_dense,
            "efficiency": round(macs / lanes / total, 4),
            "epoch100_s": round(total * TRAIN_IMAGES * EPOCHS / CLOCK_HZ, 1),
            "layers": rows}


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
                got = uc_formula(mode.name, L, hw, hw, np.asarray(sw.fwd_count), np.asarray(sw.bwd_count), 8,
                                 bgrad=1 if mode == Mode.WGRAD else 0, checked=checked)
                got -= UC_PIPE_EXTRA.get(mode.name, 0)   # the stages est_cycles leaves out
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
        # the top bench prunes by threshold on He-initialised weights: use its exact lists
        net, q = NETS[name]()
        p = UcParams.from_hdl(top["params"])
        uc = pool = lc = 0.0
        c, h, w = in_shape
        for i, L in enumerate(layers):
            if L["t"] == "conv":
                sw = q.convs[i]
                f, b = np.asarray(sw.fwd_count), np.asarray(sw.bwd_count)
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
                    pool += B * pool_cycles("RELU_BWD", L["n"], ho, wo, lanes)
                    uc += cal.uc_cycles("UPDATE", L, h, w, f, b, lanes, True)
                c, h, w = L["n"], ho, wo
            elif L["t"] == "mp":
                pool += B * pool_cycles("MP_FWD", c, h, w, lanes)
                if train:
                    pool += B * pool_cycles("MP_BWD", c, h, w, lanes)
                h, w = h // 2, w // 2
            elif L["t"] == "gap":
                pool += B * pool_cycles("GAP_FWD", c, h, w, lanes, p.hmax * p.wmax)
                if train:
                    pool += B * pool_cycles("GAP_BWD", c, h, w, lanes, p.hmax * p.wmax)
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


def fmt(n):
    return f"{n:,.0f}"


def markdown(res: dict) -> str:
    L = res["lanes"]
    o = [f"# Cycle model (LANES={L}, {CLOCK_HZ / 1e6:.0f} MHz assumed (not timing-closed; ECP5 measured: make pnr), batch {BATCH}, calibrated: {res['calib']['source']})", ""]
    o += ["## Calibration against the RTL", "",
          "UC unit, per mode and list state (scanned; '/checked': the list passed a scan since the last "
          "list write, the pre-scan skipped): measured = formula + a*N + b*C + e*(empty filters) + c "
          "(least squares over every row of the UC bench: 9 layers x dense/85/92.5/95 % x threshold/balanced).", "",
          "| mode | rows | a (per N) | b (per C) | e (per empty filter) | c | formula error max / mean | calibrated error max / mean | max abs error (cycles) | leave-one-layer-out max error |",
          "|---|---|---|---|---|---|---|---|---|---|"]
    for m, e in res["calib"]["uc_err"].items():
        a, b, ee, c = res["calib"]["uc"][m]
        o.append(f"| {m} | {e['rows']} | {a} | {b} | {ee} | {c} | {e['formula_max_pct']}% / {e['formula_mean_pct']}% "
                 f"| {e['calibrated_max_pct']}% / {e['calibrated_mean_pct']}% | {e['calibrated_max_abs_cycles']} "
                 f"| {e['leave_one_layer_out_max_pct']}% |")
    o += ["", f"DMA: a LOAD of n 32-bit words = {res['calib']['dma_o']:.1f} + {res['calib']['dma_beta']:.3f} n cycles; "
          f"sequencer: {res['calib']['seq']:.1f} cycles per executed descriptor.", ""]
    if res.get("top_check"):
        o += ["Whole-program check on the simulated top (counters vs model; demo = digits CNN, "
              "cifar_mini = " + SHAPE_NOTES["cifar_mini"] + "):", "",
              "| program | batch | UC model / RTL | pool model / RTL | LC+loss model / RTL | units error | DMA (RTL) | sequencer (RTL) | per descriptor | total (RTL) |",
              "|---|---|---|---|---|---|---|---|---|---|"]
        for t in res["top_check"]:
            o.append(f"| {t['program']} | {t['batch']} | {fmt(t['uc'][0])} / {fmt(t['uc'][1])} | "
                     f"{fmt(t['pool'][0])} / {fmt(t['pool'][1])} | {fmt(t['lc_loss'][0])} / {fmt(t['lc_loss'][1])} | "
                     f"{t['units_err_pct']}% | {fmt(t['dma_measured'])} | {fmt(t['sequencer_cycles'])} | "
                     f"{t['sequencer_per_descriptor']} | {fmt(t['total_measured'])} |")
        o.append("")
    o += ["## Whole networks, per training image (threshold pruning)", "",
          "Steady state: the lists are pre-scanned on the first image only (the UC unit keeps "
          f"{UC_LISTS} checked-list records); 'every list scanned' = the same image with a pre-scan in "
          "every UC command (the unit before the records).", "",
          "| network | sparsity | cycles/image | FWD | BWD_DATA | WGRAD | UPDATE/32 | DMA | sequencer | DMA share | efficiency | cycles/image, every list scanned | efficiency, every list scanned | speed-up vs dense | 100 epochs (s) | deck FPGA s | deck GPU s |",
          "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for name in NETWORKS:
        dense = None
        for r in res["networks"]:
            if r["network"] != name or r["rule"] != "threshold" or r["lanes"] != L:
                continue
            dense = dense or r["cycles_per_image"]
            d = DECK.get(name)
            ph = r["phases"]
            o.append(f"| {name} | {r['sparsity']:.3f} | {fmt(r['cycles_per_image'])} | {fmt(ph['FWD'])} | "
                     f"{fmt(ph['BWD_DATA'])} | {fmt(ph['WGRAD'])} | {fmt(ph['UPDATE'])} | {fmt(r['dma'])} | "
                     f"{fmt(r['sequencer'])} | {100 * r['dma_share']:.3f}% | {r['efficiency']:.3f} | "
                     f"{fmt(r['cycles_if_scanned'])} | {r['efficiency_if_scanned']:.3f} | "
                     f"{dense / r['cycles_per_image']:.2f} | {fmt(r['epoch100_s'])} | "
                     f"{d['fpga_s'] if d else ''} | {d['gpu_s'] if d else ''} |")
    o += ["", "Deck: " + "; ".join(f"{k} {v['dataset']} at {100 * v['sparsity']:.1f}% sparsity: FPGA {v['fpga_s']} s, "
                                    f"GPU {v['gpu_s']} s" for k, v in DECK.items()), ""]
    o += ["## Per layer (threshold pruning, 92.5 %)", ""]
    for name in NETWORKS:
        r = next((x for x in res["networks"] if x["network"] == name and x["rule"] == "threshold"
                  and x["lanes"] == L and abs(x["sparsity"] - 0.925) < 1e-9), None)
        if r is None:
            continue
        o += [f"### {name}: {SHAPE_NOTES[name]}", "",
              "| # | layer | in | nnz | FWD | BWD_DATA | WGRAD | UPDATE/32 | efficiency |", "|---|---|---|---|---|---|---|---|---|"]
        for x in r["layers"]:
            eff = f"{x['efficiency']:.3f}" if x["efficiency"] is not None else ""
            o.append(f"| {x['layer']} | {x['name']} | {'x'.join(map(str, x['in']))} | {x['nnz']} | {fmt(x['FWD'])} | "
                     f"{fmt(x['BWD_DATA'])} | {fmt(x['WGRAD'])} | {fmt(x['UPDATE'])} | {eff} |")
        o.append("")
    if res.get("lanes32"):
        o += ["## LANES=32 (same formulas, extrapolated: not simulated at 32 lanes)", "",
              "| network | sparsity | cycles/image | efficiency | 100 epochs (s) |", "|---|---|---|---|---|"]
        for r in res["lanes32"]:
            o.append(f"| {r['network']} | {r['sparsity']:.3f} | {fmt(r['cycles_per_image'])} | {r['efficiency']:.3f} | "
                     f"{fmt(r['epoch100_s'])} |")
        o.append("")
    o += ["## Threshold vs balanced pruning (this lane mapping)", "",
          "| network | sparsity | threshold cycles/image | balanced cycles/image | threshold eff. | balanced eff. |",
          "|---|---|---|---|---|---|"]
    for name in NETWORKS:
        for sp in SPARSITIES[1:]:
            t = next(x for x in res["networks"] if x["network"] == name and x["rule"] == "threshold" and x["sparsity"] == sp)
            b = next(x for x in res["networks"] if x["network"] == name and x["rule"] == "balanced" and x["sparsity"] == sp)
            o.append(f"| {name} | {sp} | {fmt(t['cycles_per_image'])} | {fmt(b['cycles_per_image'])} | "
                     f"{t['efficiency']:.3f} | {b['efficiency']:.3f} |")
    return "\n".join(o) + "\n"


def main() -> int:
    import os
    lanes = int(os.environ.get("LANES", "8"))
    check_formula_against_driver()
    uc_path, top_path = OUT_DIR / "uc_unit.json", OUT_DIR / "top_verilator.json"
    if uc_path.exists():
        rows = json.loads(uc_path.read_text())["rows"]
        uc, err = calibrate_uc(rows)
    else:
        print("cycle model: no build/bench/uc_unit.json (run python -m bench.uc_unit): uncalibrated UC",
              file=sys.stderr)
        uc, err = {}, {}
    cal = Calib(uc=uc, uc_err=err)
    top = json.loads(top_path.read_text()) if top_path.exists() else None
    checks = []
    if top and top.get("ok"):
        calibrate_top(cal, top, lanes)
        checks = top_check(cal, top, lanes)
        tr = [c for c in checks if c["program"].endswith("_train")]
        if tr:
            cal.seq = float(np.mean([c["sequencer_per_descriptor"] for c in tr]))
    nets = [network(n, sp, rule, lanes, cal) for n in NETWORKS for rule in ("threshold", "balanced")
            for sp in SPARSITIES if not (rule == "balanced" and sp == 0)]
    for n in nets:
        if n["sparsity"] == 0:
            n["rule"] = "threshold"
    nets += [dict(x, rule="balanced") for x in nets if x["sparsity"] == 0]
    l32 = [network(n, sp, "threshold", 32, cal) for n in NETWORKS if n not in FIRST_DENSE for sp in SPARSITIES]
    res = {"lanes": lanes, "clock_hz": CLOCK_HZ, "batch": BATCH, "epochs": EPOCHS, "train_images": TRAIN_IMAGES,
           "calib": cal.__dict__, "top_check": checks, "networks": nets, "lanes32": l32,
           "shapes": SHAPE_NOTES, "deck": DECK}
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    (OUT_DIR / "cycle_model.json").write_text(json.dumps(res, indent=1, default=float))
    md = markdown(res)
    (OUT_DIR / "cycle_model.md").write_text(md)
    print(md)
    return 0


if __name__ == "__main__":
    sys.exit(main())
