"""Cycle model of the accelerator, calibrated against the RTL, and whole-network tables.

    python -m bench.cycle_model     (part of make bench; reads build/bench/uc_unit.json and
                                     build/bench/top_verilator.json when present)

Per-unit formulas are the docs' (docs/uc_unit.md "Pipeline and cycle count", docs/units.md
"Cycles"); the UC formula is the one of ``verif.common.uc_stimulus.UcLayer.est_cycles`` (checked equal
here on sampled layers).  Calibration (:mod:`bench.cycle_calib`):

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
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sparsetrain import clocks  # noqa: E402
from sparsetrain.driver import XARG_ENGINES  # noqa: E402
from bench.cycle_formulas import (FIRST_DENSE, chip_order, chip_work, layer_inputs, NETWORKS, SHAPE_NOTES, counts, flat_layers, lc_cycles, lin_conv,  # noqa: E402
                                  loss_cycles, out_size, pool_cycles, relu_bwd_cmd, with_rmask,
                                  stack_words32)
from bench.cycle_calib import (UC_LISTS, Calib, calibrate_top, calibrate_uc,  # noqa: E402
                               check_formula_against_driver, top_check, uc_lists)

OUT_DIR = ROOT / "build" / "bench"
BATCH = 32
#: An assumed clock, not a timing-closed one: the whole top measured on an ECP5 LFE5UM-85F
#: (grade 6, `make pnr`) closes far lower (docs/performance.md section 7); scale the times by
#: 200 / that figure for the ECP5. The deck's VU9P clock is not stated.
EPOCHS = 100
TRAIN_IMAGES = 50_000
SPARSITIES = (0.0, 0.85, 0.925, 0.95)
#: The deck's table (seed notes): CIFAR-10 rows, 100 epochs, batch 32; MobileNetV1 only on Linnaeus5.
DECK = {"AlexNet": {"dataset": "CIFAR-10", "sparsity": 0.943, "gpu_s": 2697, "fpga_s": 680},
        "VGG16": {"dataset": "CIFAR-10", "sparsity": 0.925, "gpu_s": 4458, "fpga_s": 1098},
        "MobileNetV1": {"dataset": "Linnaeus5 (not CIFAR-10)", "sparsity": 0.901, "gpu_s": 4902,
                        "fpga_s": 1223}}


# ------------------------------------------------------------------------------ the network model
def network(name, sparsity, rule, lanes, cal: Calib, seed=1, prune_first=False, pool_read_ports=1):
    """Per-layer, per-phase cycles of one training image (UPDATE / BATCH). The MP unit reads two
    stack copies a cycle when ``cal`` runs an engine array (``cal.engines`` > 1: the top's
    RD_PORTS = 2), one otherwise; ``pool_read_ports`` > that: the what-if of
    :func:`bench.cycle_formulas.pool_cycles` (GAP_FWD reading that many copies; 1: the RTL). The
    LC unit reads two weight copies a cycle on an array (WPORTS = 2: FWD / BWD_DATA pairs)."""
    eng = getattr(cal, "engines", 1)
    mp_ports = max(pool_read_ports, 8 if eng > 7 else 4 if eng > 3 else 2 if eng > 1 else 1)
    # the driver's pools without the argmax map from 8 engines (sparsetrain.driver.pool_xarg)
    mp_xarg = eng >= XARG_ENGINES
    lc_ports = 2 if getattr(cal, "engines", 1) > 1 else 1
    in_shape, layers = NETWORKS[name]
    # small maps flat where the driver stores them (its rule; cal.flat_small False: row layout)
    if getattr(cal, "flat_small", True):
        layers = flat_layers(in_shape, layers, lanes)
    # the convs whose BWD_DATA does the ReLU backward of the conv below (mask items)
    layers = with_rmask(layers)
    rng = np.random.default_rng(seed)
    c, h, w = in_shape
    rows, descs_img, descs_batch = [], 0, 0
    shapes = []
    # steady state: the lists were pre-scanned on the first image (loaded once per run)
    ck = uc_lists(layers, eng) <= UC_LISTS
    # the channel order the driver holds each map in on an array (cal.balance, default on)
    bal = eng if cal.balance else 1
    prev = np.arange(c)
    # every conv's counts first (drawn in layer order): a conv's channel order looks at the next
    ins = layer_inputs(in_shape, layers)
    cnts = {i: counts(L, sparsity if (i > 0 or prune_first or name not in FIRST_DENSE) else 0.0, rule, rng)
            for i, L in enumerate(layers) if L["t"] == "conv"}
    for i, L in enumerate(layers):
        shapes.append((c, h, w))
        r = {"layer": i, "type": L["t"], "in": [c, h, w], "FWD": 0, "BWD_DATA": 0, "WGRAD": 0,
             "UPDATE": 0, "macs_nnz": 0, "macs_dense": 0, "nnz": 0, "params": 0}
        if L["t"] == "conv":
            f, b = cnts[i]
            f, b, prev = chip_order(L, f, b, bal, prev, chip_work(layers, ins, cnts, i))
            ho, wo = out_size(h, L["k"], L["s"], L["p"]), out_size(w, L["k"], L["s"], L["p"])
            nnz = int(f.sum())
            dense = L["n"] * (1 if L["dw"] else L["c"]) * L["k"] ** 2
            r.update(name=f"{'dw' if L['dw'] else 'conv'}{L['k']}x{L['k']}/{L['s']} {L['c']}->{L['n']}",
                     out=[L["n"], ho, wo], nnz=nnz, params=dense, min_filter_nnz=int(f.min()),
                     max_filter_nnz=int(f.max()), mean_filter_nnz=round(float(f.mean()), 2))
            r["FWD"] = cal.uc_cycles("FWD", L, h, w, f, b, lanes, ck)
            r["WGRAD"] = cal.uc_cycles("WGRAD", L, h, w, f, b, lanes, ck)
            if L.get("cvt"):
                # the output copied into the next conv's layout (the driver's RELU_BWD with dY = Y)
                r["FWD"] += pool_cycles("RELU_BWD", L["n"], ho, wo, lanes, read_ports=mp_ports)
                descs_img += 1
            if relu_bwd_cmd(layers, i):
                r["BWD_DATA"] += pool_cycles("RELU_BWD", L["n"], ho, wo, lanes, read_ports=mp_ports)
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
            r["FWD"] = pool_cycles("MP_FWD", c, h, w, lanes, read_ports=mp_ports, xarg=mp_xarg)
            # MP_BWD, or MP_BWD_RELU (the Conv + ReLU below's ReLU backward too): same cycles
            r["BWD_DATA"] = pool_cycles("MP_BWD", c, h, w, lanes, read_ports=mp_ports)
            descs_img += 2
            h, w = h // 2, w // 2
        elif L["t"] == "gap":
            r.update(name=f"gap {c}x{h}x{w}", out=[c, 1, 1])
            # a flat map below: the driver describes it to GAP as (C, 1, H*W)
            gh, gw = (1, h * w) if i > 0 and layers[i - 1].get("flat") else (h, w)
            r["FWD"] = pool_cycles("GAP_FWD", c, gh, gw, lanes, read_ports=pool_read_ports)
            r["BWD_DATA"] = pool_cycles("GAP_BWD", c, gh, gw, lanes, read_ports=pool_read_ports)
            descs_img += 2
            h = w = 1
        elif eng > 1:
            # on an engine array the driver runs the Linear on the UC unit, a dense 1 x 1 conv of
            # the 1 x 1 map (sparsetrain.driver.linear_on_uc): FWD, WGRAD of the weights and of
            # the biases (an empty list), BWD_DATA, UPDATE
            k, m = L["k"], L["m"]
            r.update(name=f"linear {k}->{m} (UC)", out=[m, 1, 1], nnz=k * m, params=k * m)
            Lc, f, b = lin_conv(L)
            r["FWD"] = cal.uc_cycles("FWD", Lc, 1, 1, f, b, lanes, ck) + loss_cycles(m)
            r["BWD_DATA"] = cal.uc_cycles("BWD_DATA", Lc, 1, 1, f, b, lanes, ck)
            r["WGRAD"] = (cal.uc_cycles("WGRAD", Lc, 1, 1, f, b, lanes, ck)
                          + cal.uc_cycles("WGRAD", Lc, 1, 1, 0 * f, 0 * b, lanes, ck))
            r["UPDATE"] = cal.uc_cycles("UPDATE", Lc, 1, 1, f, b, lanes, ck) / BATCH
            r["macs_nnz"] = r["macs_dense"] = 3 * k * m
            descs_img += 5        # FWD, LOSS, WGRAD x 2, BWD_DATA
            descs_batch += 3
            c = m
        else:
            k, m = L["k"], L["m"]
            r.update(name=f"linear {k}->{m}", out=[m, 1, 1], nnz=k * m, params=k * m)
            r["FWD"] = lc_cycles("FWD", k, m, wports=lc_ports) + loss_cycles(m)
            r["BWD_DATA"] = lc_cycles("BWD_DATA", k, m, wports=lc_ports)
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
            "lists": uc_lists(layers, eng), "lists_checked": ck,
            "cycles_if_scanned": round(total + scan_saved),
            "efficiency_if_scanned": round(macs / lanes / (total + scan_saved), 4),
            "conv_sparsity": round(1 - nnz / params, 4) if params else 0.0,
            "cycles_per_image": round(total), "phases": {k: round(v) for k, v in phases.items()},
            "dma": round(dma), "sequencer": round(seq), "dma_share": round(dma / total, 5),
            "nnz_macs": macs, "dense_macs": macs_dense,
            "efficiency": round(macs / lanes / total, 4),
            "epoch100_s": round(clocks.seconds(total * TRAIN_IMAGES * EPOCHS, clocks.ECP5_MHZ), 1),
            "epoch100_s_ultrascale_assumed": round(clocks.seconds(total * TRAIN_IMAGES * EPOCHS,
                                                                  clocks.ULTRASCALE_MHZ), 1),
            "layers": rows, "run_layers": layers}


def fmt(n):
    return f"{n:,.0f}"


def markdown(res: dict) -> str:
    L = res["lanes"]
    o = [f"# Cycle model (LANES={L}, batch {BATCH}, calibrated: {res['calib']['source']})", "",
         f"Times: at {clocks.ECP5_MHZ} MHz ({clocks.ECP5_BASIS}); apart, at {clocks.ULTRASCALE_MHZ:.0f} MHz "
         f"({clocks.ULTRASCALE_BASIS}).", ""]
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
          "| network | sparsity | cycles/image | FWD | BWD_DATA | WGRAD | UPDATE/32 | DMA | sequencer | DMA share | efficiency | cycles/image, every list scanned | efficiency, every list scanned | speed-up vs dense | 100 epochs (s), ECP5 measured | 100 epochs (s), UltraScale+ assumed | deck FPGA s | deck GPU s |",
          "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
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
                     f"{fmt(r['epoch100_s_ultrascale_assumed'])} | "
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
              "| network | sparsity | cycles/image | efficiency | 100 epochs (s), ECP5 measured | 100 epochs (s), "
              "UltraScale+ assumed |", "|---|---|---|---|---|---|"]
        for r in res["lanes32"]:
            o.append(f"| {r['network']} | {r['sparsity']:.3f} | {fmt(r['cycles_per_image'])} | {r['efficiency']:.3f} | "
                     f"{fmt(r['epoch100_s'])} | {fmt(r['epoch100_s_ultrascale_assumed'])} |")
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
    res = {"lanes": lanes, "clock_mhz": clocks.ECP5_MHZ, "clock_mhz_ultrascale_assumed": clocks.ULTRASCALE_MHZ, "batch": BATCH, "epochs": EPOCHS, "train_images": TRAIN_IMAGES,
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
