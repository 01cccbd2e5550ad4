"""Whole-network tables of the UC engine array (issue 14), with the RTL's split rule and the
array cycle formula of :mod:`bench.array_model` (checked against the array bench, bench/uc_unit.py
UC_BENCH_SETS=bench_e16x4).

    python -m bench.array_projection     (writes build/bench/array_projection.{md,json})

Per training image at batch 32, the cycle model's accounting (:func:`bench.cycle_model.network`):
FWD (conv, MP, GAP, Linear, loss), BWD_DATA (ReLU backward, conv input gradient, MP / GAP /
Linear backward), WGRAD (conv, Linear), UPDATE / 32 (UC: engine 0 alone, one weight a cycle), DMA
of the image and label, sequencer time. On an array the Linear runs on the UC unit as a dense 1 x 1
conv (:func:`sparsetrain.driver.linear_on_uc`; its cycles are in the UC columns), on one engine on
the LC unit. The UC commands take :func:`bench.array_model.array_cycles`
(steady state: the lists passed a scan on the first image, as in the one-engine tables); the
MP / GAP units keep the engine's LANES lanes (the top's stack word is 2*LANES pixels), the LC and
loss units their one MAC. Efficiency = non-zero MACs (FWD + BWD_DATA + WGRAD, conv and linear) /
(ENGINES * LANES) / all cycles of the image.

The RTL's split is static and contiguous (rtl/uc_unit/uc_split.v): engine e takes channels
``[e*chunk, (e+1)*chunk)``, ``chunk = ceil(nch / E)``; a layer with fewer channels than engines
leaves engines idle. :func:`largest_first` is NOT what the RTL does: the earlier model's host-side
largest-first spreading, kept as a named alternative column to show what a scheduler would add.

Non-zero counts: :func:`bench.cycle_formulas.counts` (seed 1), every conv pruned (as the
one-engine tables). DMA / sequencer: from build/bench/top_verilator.json when present, else the
figures of docs/performance.md section 2 (LOAD 2.4 + 1.12 cycles a word, 3.7 cycles a descriptor).
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sparsetrain import clocks  # noqa: E402
from bench import array_model as am  # noqa: E402
from bench.cycle_calib import Calib, calibrate_uc  # noqa: E402
from bench.cycle_formulas import (FIRST_DENSE, NETWORKS, chip_order, chip_work, counts, layer_inputs,  # noqa: E402
                                  loss_cycles, out_size, work_items)  # noqa: E402

OUT_DIR = ROOT / "build" / "bench"
#: (engines, lanes per engine): one engine of 8 (today's bench set), 64 lanes two ways, 256, 1,024
SHAPES = ((1, 8), (16, 4), (8, 8), (64, 4), (256, 4))
SPARSITY = 0.925
NETS = ("VGG16", "AlexNet", "MobileNetV1")
RULES = ("threshold", "balanced")
BATCH, EPOCHS, TRAIN_IMAGES = 32, 100, 50_000
#: the deck's CIFAR-10 figures, 100 epochs, batch 32 (MobileNetV1: Linnaeus5 only)
DECK = {"VGG16": {"fpga_s": 1098, "gpu_s": 4458}, "AlexNet": {"fpga_s": 680, "gpu_s": 2697},
        "MobileNetV1": {"fpga_s": 1223, "gpu_s": 4902, "note": "Linnaeus5"}}


# ------------------------------------------------------------------------------ alternative
def largest_first(work: list[int], engines: int) -> int:
    """NOT the RTL's rule: the busiest engine's items when work units go largest first to the
    least loaded engine (a host-side schedule the earlier projection assumed)."""
    loads = [0] * engines
    for v in sorted(work, reverse=True):
        i = loads.index(min(loads))
        loads[i] += v
    return max(loads)


# ------------------------------------------------------------------------------ the UC on the array
@dataclass
class ArrayCalib(Calib):
    """:class:`bench.cycle_calib.Calib` whose UC commands run on ``engines`` engines
    (:func:`bench.array_model.array_cycles`; one engine: the calibrated one-engine formula). Every
    steady-state command is logged in ``log`` (layer key, mode) -> (cycles, bound, idle engines)."""
    engines: int = 1
    #: UPDATE engines (UPD_BANKS: banks of the weight and gradient memories)
    upd_banks: int = 1
    log: dict = field(default_factory=dict)

    def uc_cycles(self, mode, layer, h, w, fwd, bwd, lanes, checked=False):
        key = id(layer)
        if self.engines == 1:
            cyc = super().uc_cycles(mode, layer, h, w, fwd, bwd, lanes, checked)
            bnd = "update" if mode == "UPDATE" else "engine"
        else:
            cyc = am.array_cycles(mode, layer, h, w, fwd, bwd, lanes, self.engines, checked=checked,
                                  upd_banks=self.upd_banks)
            bnd = am.bound(mode, layer, h, w, fwd, bwd, lanes, self.engines)
        if checked:
            idle = sum(1 for r in am.engine_channels(mode, layer, self.engines) if not len(r))
            nowb = (am.array_cycles(mode, layer, h, w, fwd, bwd, lanes, self.engines, checked=True,
                                    write_bound=False) if self.engines > 1 else cyc)
            self.log[(key, mode)] = {"cycles": float(cyc), "bound": bnd, "idle": idle,
                                           "no_write_bound": float(nowb)}
        return cyc


#: the projections' UPDATE engines (UPD_BANKS) at most: 16 banks take VGG16's UPDATE / 32 at 64 x 4
#: from 34,815 to 2,314 cycles an image (64 banks: 691) for 2 DSP48E2 each (env ``UPD_BANKS``)
UPD_BANKS_MAX = 16


def upd_banks_for(engines: int) -> int:
    """The projections' UPD_BANKS for an array of ``engines``: ``min(engines, UPD_BANKS_MAX)``
    (env ``UPD_BANKS`` instead of the maximum)."""
    return min(engines, int(os.environ.get("UPD_BANKS", UPD_BANKS_MAX)))


def default_calib(engines: int, upd_banks: int | None = None) -> ArrayCalib:
    """The one-engine UC calibration from build/bench/uc_unit.json when present (else the
    docs' section 2 coefficients), DMA / sequencer figures of docs/performance.md section 2."""
    uc = {"FWD": (1.0, 0.0, 0.0, 13.0), "BWD_DATA": (0.0, 1.0, 0.0, 13.0), "WGRAD": (1.0, 0.0, 0.0, 14.0),
          "UPDATE": (0.0, 0.0, 0.99, 7.0)}
    uc.update({f"{m}/checked": v for m, v in list(uc.items())})
    err: dict = {}
    path = OUT_DIR / "uc_unit.json"
    if path.exists():
        uc, err = calibrate_uc(json.loads(path.read_text())["rows"])
    return ArrayCalib(uc=uc, uc_err=err, dma_o=2.4, dma_beta=1.12, seq=3.7,
                      source="docs/performance.md section 2", engines=engines,
                      upd_banks=upd_banks_for(engines) if upd_banks is None else upd_banks)


def network(name: str, engines: int, lanes: int, rule: str, sparsity: float = SPARSITY) -> dict:
    """One training image of ``name`` on ``engines`` x ``lanes``: cycles by unit and phase,
    efficiency over ENGINES*LANES, what limits the UC commands, and 100-epoch seconds."""
    from bench.cycle_model import network as cm_network
    cal = default_calib(engines)
    res = cm_network(name, sparsity, rule, lanes, cal)
    total = res["cycles_per_image"]
    # what-if (not the RTL): pool units reading every engine's stack copy a cycle
    whatif = cm_network(name, sparsity, rule, lanes, default_calib(engines),
                        pool_read_ports=engines)["cycles_per_image"]
    # the chip before flat maps: the row layout everywhere (build_program(..., flat=False))
    rcal = default_calib(engines)
    rcal.flat_small = False
    row_total = cm_network(name, sparsity, rule, lanes, rcal)["cycles_per_image"]
    macs = res["nnz_macs"]
    # split the image's cycles: UC commands (by what limits them), UPDATE, pool / LC / loss, DMA
    in_shape, layers = NETWORKS[name][0], res["run_layers"]
    uc = {"engine": 0.0, "write": 0.0}
    uc_update = idle_cycles = wb_extra = alt = 0.0
    rng = np.random.default_rng(1)
    c, h, w = in_shape
    prev = np.arange(c)
    # the cycle model's counts (drawn in layer order, the first conv dense where it keeps it)
    ins = layer_inputs(in_shape, layers)
    cnts = {i: counts(L, sparsity if (i > 0 or name not in FIRST_DENSE) else 0.0, rule, rng)
            for i, L in enumerate(layers) if L["t"] == "conv"}
    for li, L in enumerate(layers):
        if L["t"] == "lin" and engines > 1:
            # the Linear on the UC unit (sparsetrain.driver.linear_on_uc): engine-bound, no map
            row = res["layers"][li]
            lin_uc = row["FWD"] - loss_cycles(L["m"]) + row["BWD_DATA"] + row["WGRAD"]
            uc["engine"] += lin_uc
            alt += lin_uc
            uc_update += row["UPDATE"]
        elif L["t"] == "conv":
            f, b = cnts[li]
            # (as the cycle model: the driver's channel order on the array)
            f, b, prev = chip_order(L, f, b, engines if cal.balance else 1, prev, chip_work(layers, ins, cnts, li))
            ho, wo = out_size(h, L["k"], L["s"], L["p"]), out_size(w, L["k"], L["s"], L["p"])
            for mode in ("FWD", "BWD_DATA", "WGRAD", "UPDATE"):
                rec = cal.log.get((id(L), mode))
                if rec is None:
                    continue
                if mode == "UPDATE":
                    uc_update += rec["cycles"] / BATCH
                    continue
                uc[rec["bound"]] += rec["cycles"]
                wb_extra += rec["cycles"] - rec["no_write_bound"]
                if rec["idle"]:
                    idle_cycles += rec["cycles"]
                # the alternative: largest-first spreading of the same work units (no write bound)
                q = 4 if (mode == "BWD_DATA" and L["s"] == 2) else 1
                per = work_items(mode, L, h, w, f, b, lanes)
                per = [sum(per[i:i + q]) + q * am.PTR_CYCLES for i in range(0, len(per), q)]
                alt += (rec["no_write_bound"] - max(am.engine_cost(mode, L, h, w, f, b, lanes, engines))
                        + largest_first(per, engines)) if engines > 1 else rec["cycles"]
            c, h, w = L["n"], ho, wo
        elif L["t"] == "mp":
            h, w = h // 2, w // 2
        elif L["t"] == "gap":
            h = w = 1
    uc_conv = uc["engine"] + uc["write"]
    other = total - uc_conv - uc_update - res["dma"] - res["sequencer"]
    alt_total = total - uc_conv + alt
    lanes_all = engines * lanes
    # the one stack write a cycle bounds every image (issue 14's targets against it)
    sw = am.stack_writes(layers, in_shape, lanes, mp_wide=engines > 3)
    return {"network": name, "engines": engines, "lanes": lanes, "macs_per_cycle": lanes_all, "rule": rule,
            "upd_banks": cal.upd_banks,
            "dsp48e2_uc": am.uc_dsp48e2(engines, lanes, cal.upd_banks),
            "dsp48e2_top": am.uc_dsp48e2(engines, lanes, cal.upd_banks) + am.TOP_OTHER_DSP,
            "sparsity": sparsity, "cycles_per_image": total, "nnz_macs": macs,
            "efficiency": round(macs / lanes_all / total, 4),
            "uc_conv_cycles": round(uc_conv), "uc_write_bound_cycles": round(uc["write"]),
            "write_bound_extra_cycles": round(wb_extra), "uc_idle_engine_cmd_cycles": round(idle_cycles),
            "uc_update_cycles": round(uc_update), "pool_lc_loss_cycles": round(other),
            "dma_seq_cycles": round(res["dma"] + res["sequencer"]),
            "uc_conv_efficiency": round(macs_conv(res) / lanes_all / uc_conv, 4) if uc_conv else None,
            "largest_first_cycles": round(alt_total),
            "largest_first_efficiency": round(macs / lanes_all / alt_total, 4),
            "stack_writes": sw["total"], "stack_writes_by_kind": sw,
            "write_cap_efficiency": round(macs / lanes_all / sw["total"], 4),
            "pool_multiport_cycles": round(whatif),
            "pool_multiport_efficiency": round(macs / lanes_all / whatif, 4),
            "flat_convs": sum(1 for L in layers if L.get("flat")),
            "row_layout_cycles": round(row_total),
            "row_layout_efficiency": round(macs / lanes_all / row_total, 4),
            "ecp5_mhz": clocks.ecp5_mhz(engines)[0],
            "epoch100_s_ecp5": round(clocks.seconds(total * TRAIN_IMAGES * EPOCHS, clocks.ecp5_mhz(engines)[0]), 1),
            "epoch100_s_ultrascale_assumed": round(clocks.seconds(total * TRAIN_IMAGES * EPOCHS,
                                                                  clocks.ULTRASCALE_MHZ), 1)}


def macs_conv(res: dict) -> int:
    """Non-zero MACs of the conv layers (FWD + BWD_DATA + WGRAD) of a cycle-model result."""
    return sum(r["macs_nnz"] for r in res["layers"] if r["type"] == "conv")


def fmt(v) -> str:
    return f"{v:,.0f}"


def markdown(rows: list[dict]) -> str:
    o = ["# Engine array: whole networks per training image (bench/array_projection.py)", "",
         f"{SPARSITY:.1%} sparsity, every conv pruned, batch {BATCH} (UPDATE / {BATCH}), steady state (lists "
         "checked). Array formula: bench/array_model.py (RTL split, write-bound term), checked against "
         "the array bench. Efficiency = nnz MACs (FWD + BWD_DATA + WGRAD, conv + linear) / (E*L) / all "
         f"cycles. Times: ECP5 at {clocks.ECP5_MHZ} MHz for 1 engine ({clocks.ECP5_BASIS}), "
         f"{clocks.ECP5_ARRAY_MHZ} MHz for every array ({clocks.ECP5_ARRAY_BASIS}), and {clocks.ULTRASCALE_MHZ:.0f} MHz ({clocks.ULTRASCALE_BASIS}).", "",
         "| network | pruning | E x L | MACs | DSP48E2 UC / top | cycles/image | efficiency | UC conv eff. | UC conv cycles (write-bound cmds) | write-bound extra | cmds with idle engines (cycles) | UPDATE/32 | pool+LC+loss | DMA+seq | largest-first eff. (not RTL) | pools read every copy: eff. (not RTL) | flat convs | row layout only: eff. (before flat maps) | stack writes / image | cap: eff. at one write a cycle | 100 ep. s @ECP5 | 100 ep. s @200 MHz | deck FPGA / GPU s |",
         "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        d = DECK.get(r["network"], {})
        o.append(f"| {r['network']} | {r['rule']} | {r['engines']} x {r['lanes']} | {r['macs_per_cycle']} | "
                 f"{r['dsp48e2_uc']} / {r['dsp48e2_top']} | {fmt(r['cycles_per_image'])} | **{r['efficiency']:.3f}** | {r['uc_conv_efficiency']:.3f} | "
                 f"{fmt(r['uc_conv_cycles'])} ({fmt(r['uc_write_bound_cycles'])}) | {fmt(r['write_bound_extra_cycles'])} | "
                 f"{fmt(r['uc_idle_engine_cmd_cycles'])} | {fmt(r['uc_update_cycles'])} | {fmt(r['pool_lc_loss_cycles'])} | "
                 f"{fmt(r['dma_seq_cycles'])} | {r['largest_first_efficiency']:.3f} | {r['pool_multiport_efficiency']:.3f} | "
                 f"{r['flat_convs']} | {r['row_layout_efficiency']:.3f} | "
                 f"{fmt(r['stack_writes'])} | {r['write_cap_efficiency']:.3f} | "
                 f"{fmt(r['epoch100_s_ecp5'])} | "
                 f"{fmt(r['epoch100_s_ultrascale_assumed'])} | "
                 + (f"{d['fpga_s']} / {d['gpu_s']}" + (f" ({d['note']})" if d.get("note") else "") if d else "") + " |")
    return "\n".join(o) + "\n"


def main() -> int:
    rows = [network(n, e, lanes, rule) for n in NETS for rule in RULES for e, lanes in SHAPES]
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    (OUT_DIR / "array_projection.json").write_text(json.dumps(rows, indent=1))
    text = markdown(rows)
    (OUT_DIR / "array_projection.md").write_text(text)
    print(text)
    print(f"written: {OUT_DIR / 'array_projection.md'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
