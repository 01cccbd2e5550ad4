"""UC-unit bench: cycles and efficiency of every mode on a table of CNN layers, on Verilator.

    python -m bench.uc_unit          (or: make bench;  QUICK=1 for a short run)

Runs ``bench/uc_bench_tests.py`` through ``verif/hdl/uc_unit_harness.v`` with the block's "bench"
parameter set (LANES=8, memories large enough for 64->64 3x3 on 16x16).  Every layer runs dense
and at 85 % and 95 % sparsity (threshold and balanced pruning) and 92.5 % (threshold), in FWD, BWD_DATA, WGRAD and
UPDATE; every result is checked bit-exactly against the models.  Writes
``build/bench/uc_unit.json`` (rows: layer, mode, kernel, dilation, stride, out_channels,
sparsity, pruning, cycles, ideal_cycles, efficiency, speedup_vs_dense, ...) and
``build/bench/uc_unit.md``, and prints the table.

ideal_cycles = nnz * Ho * Wo / LANES for the conv modes (nnz + N for UPDATE, one step a cycle);
efficiency = ideal_cycles / cycles; speedup_vs_dense = cycles of the same layer and mode dense /
cycles.  Knobs: QUICK=1 (smaller layers, threshold pruning only), SEED, UC_BENCH_SETS (uc_unit
parameter sets to run, comma- or space-separated; default "bench", one engine of 8 lanes; the
engine-array sets "bench_e16x4" (16 engines x 4 lanes) and "bench_e64x4" (64 x 4) write
``build/bench/uc_unit_<set>.json`` / ``.md``), UC_BENCH_VARIANTS (only some sparsity:pruning
variants, e.g. "0:dense,0.925:threshold,0.95:balanced"), UC_BENCH_LAYERS (only these layers of the
table; the other layers' rows are kept from the set's last result file).  On an array, ideal_cycles divide by ENGINES * LANES
(``UcLayer.ideal_cycles``); est_cycles stays the one-engine formula (the array formula is
:func:`bench.array_model.array_cycles`).
"""

from __future__ import annotations

import dataclasses
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:          # also works as `python bench/uc_unit.py`
    sys.path.insert(0, str(ROOT))

from flow.blocks import BLOCKS  # noqa: E402

OUT_DIR = ROOT / "build" / "bench"

#: engine-array bench sets (UC_BENCH_SETS; kept here, not in flow/blocks.py, so that lint and the
#: regression do not build them): the "bench" set's layers and limits on 16 engines of 4 lanes
#: (64 MACs) and 64 engines of 4 lanes (256 MACs). A stack word holds 8 pixels at 4 lanes, so the
#: stack is twice the bench set's (alex5x5s2's four maps: 11,264 words); every memory has ENGINES
#: copies.
ARRAY_SETS = {
    "bench_e16x4": {"ENGINES": 16, "LANES": 4, "FM_DEPTH": 16384},
    "bench_e64x4": {"ENGINES": 64, "LANES": 4, "FM_DEPTH": 16384},
    # UPDATE on every engine (UPD_BANKS: the weight and gradient memories in 16 banks)
    "bench_e16x4u": {"ENGINES": 16, "UPD_BANKS": 16, "LANES": 4, "FM_DEPTH": 16384},
}


def set_params(paramset: str) -> dict:
    """HDL parameters of a bench set: a uc_unit parameter set (flow/blocks.py) or an
    :data:`ARRAY_SETS` entry on top of the "bench" set. KeyError names the known sets."""
    base = BLOCKS["uc_unit"]
    if paramset in ARRAY_SETS:
        return {**base.params("bench"), **ARRAY_SETS[paramset]}
    return base.params(paramset)


def layers(quick: bool) -> list[dict]:
    """The layer table: name, channels, map size, kernel, stride, dilation, pad."""
    s = 4 if quick else 1   # QUICK: a quarter of the channels

    def conv(layer, cin, cout, size, kernel, stride=1, dilation=1, pad=1, **kw):
        return dict(layer=layer, in_channels=cin, out_channels=cout, size=size, kernel=kernel,
                    stride=stride, dilation=dilation, pad=pad, **kw)
    t = [
        conv("vgg3x3", 64 // s, 64 // s, 16, 3),
        conv("alex5x5s2", 32 // s, 48 // s, 32, 5, stride=2, pad=2),
        conv("mbv1_dw3x3", 64 // s, 64 // s, 16, 3, depthwise=True),
        conv("mbv1_pw1x1", 64 // s, max(16, 64 // s), 16, 1, pad=0),
        conv("atrous3x3d2", 32 // s, 32 // s, 16, 3, dilation=2, pad=2),
        conv("large7x7", 16 // s, 16, 16, 7, pad=3),
        # CIFAR-10 network shapes where the lanes run short (bench/cycle_model.py): the late VGG16 /
        # AlexNet maps (4x4, 2x2: Wo < LANES) and MobileNetV1's stride-2 depth-wise layers
        conv("vgg3x3_4x4", 64 // s, 64 // s, 4, 3),
        conv("vgg3x3_2x2", 64 // s, 64 // s, 2, 3),
        # the same with flat maps (docs/uc_unit.md "Flat small maps": one vector covers L / W rows)
        conv("vgg3x3_4x4_flat", 64 // s, 64 // s, 4, 3, flat=True),
        conv("vgg3x3_2x2_flat", 64 // s, 64 // s, 2, 3, flat=True),
        conv("mbv1_dw3x3s2", 64 // s, 64 // s, 16, 3, stride=2, depthwise=True),
    ]
    prunings = ["threshold"] if quick else ["threshold", "balanced"]
    only = variants_knob()
    for spec in t:
        # the deck's sparsities: 85 %, 92.5 % (threshold only) and 95 %
        spec["variants"] = only or ([(0.0, "dense")] + [(0.85, pr) for pr in prunings]
                                    + ([] if quick else [(0.925, "threshold")]) + [(0.95, pr) for pr in prunings])
    return t


def variants_knob() -> list[tuple[float, str]] | None:
    """UC_BENCH_VARIANTS, e.g. "0:dense,0.925:threshold,0.95:balanced": only these (sparsity,
    pruning) variants of every layer (a shorter run, e.g. of a large engine array); None: all."""
    raw = os.environ.get("UC_BENCH_VARIANTS", "").strip()
    if not raw:
        return None
    out = []
    for item in raw.replace(" ", ",").split(","):
        if item:
            sp, pr = item.split(":")
            if pr not in ("dense", "threshold", "balanced"):
                raise ValueError(f"UC_BENCH_VARIANTS: unknown pruning {pr!r}")
            out.append((float(sp), "dense" if float(sp) == 0 else pr))
    return out


def finish(rows: list[dict]) -> list[dict]:
    """Add efficiency and speed-up vs the same layer and mode dense."""
    dense = {(r["layer"], r["mode"], r.get("checked", False)): r["cycles"] for r in rows if r["pruning"] == "dense"}
    for r in rows:
        r["efficiency"] = round(r["ideal_cycles"] / r["cycles"], 4) if r["cycles"] else None
        d = dense.get((r["layer"], r["mode"], r.get("checked", False)))
        r["speedup_vs_dense"] = round(d / r["cycles"], 3) if d and r["cycles"] else None
    return rows


def markdown(rows: list[dict], params: dict, quick: bool, seconds: float) -> str:
    lines = [f"# UC unit bench ({'QUICK' if quick else 'full'} run, Verilator, {seconds:.0f} s)", "",
             "Parameters: " + ", ".join(f"{k}={v}" for k, v in params.items()), "",
             "ideal = nnz*Ho*Wo/(ENGINES*LANES) (UPDATE: nnz+N, engine 0 alone); efficiency = ideal/cycles; "
             "speed-up = dense cycles / cycles (same layer, same mode, same list state). list: 'scanned' "
             "= the command after a list write (pre-scan run), 'checked' = the same command again (its "
             "list passed a scan: skipped). Every result was checked bit-exactly against the models.", "",
             "| layer | C->N | K | s | d | sparsity | pruning | nnz | mode | list | cycles | ideal | efficiency | speed-up vs dense |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['layer']} | {r['in_channels']}->{r['out_channels']} | {r['kernel']} | {r['stride']} "
                     f"| {r['dilation']} | {r['actual_sparsity']:.3f} | {r['pruning']} | {r['nnz']} | {r['mode']} "
                     f"| {'checked' if r.get('checked') else 'scanned'} | {r['cycles']} | {r['ideal_cycles']:.0f} | {r['efficiency']:.3f} "
                     f"| {r['speedup_vs_dense']:.2f} |")
    return "\n".join(lines) + "\n"


def out_name(paramset: str) -> str:
    """Result file stem of a parameter set: ``uc_unit`` for "bench", ``uc_unit_<set>`` otherwise."""
    return "uc_unit" if paramset == "bench" else f"uc_unit_{paramset}"


def run_set(paramset: str, quick: bool, seed: int) -> int:
    """Run the layer table on one parameter set of uc_unit; write ``<out_name>.json`` / ``.md``."""
    from flow.runner import run_block

    stem = out_name(paramset)
    raw = OUT_DIR / f"{stem}_raw.json"
    if raw.exists():
        raw.unlink()
    base = BLOCKS["uc_unit"]
    block = dataclasses.replace(base, name="uc_unit_bench", test_module="bench.uc_bench_tests",
                                paramsets={paramset: set_params(paramset)})
    only = [x for x in os.environ.get("UC_BENCH_LAYERS", "").replace(",", " ").split() if x]
    cfg = {"layers": [spec for spec in layers(quick) if not only or spec["layer"] in only]}
    t0 = time.time()
    n_pass, n_fail = run_block(block, "verilator", paramset=paramset, seed=seed,
                               extra_env={"UC_BENCH_CFG": json.dumps(cfg), "UC_BENCH_OUT": str(raw)})
    seconds = time.time() - t0
    if not raw.exists():
        print(f"bench {paramset} produced no results", file=sys.stderr)
        return 1
    data = json.loads(raw.read_text())
    only = [x for x in os.environ.get("UC_BENCH_LAYERS", "").replace(",", " ").split() if x]
    prev = OUT_DIR / f"{stem}.json"
    if only and prev.exists():
        # a partial run (UC_BENCH_LAYERS): the other layers' rows of the last run of this set
        old = json.loads(prev.read_text())
        if old.get("params") == data["params"] or old.get("paramset") == paramset:
            data["rows"] = [r for r in old["rows"] if r["layer"] not in only] + data["rows"]
    rows = finish(data["rows"])
    engines = int(data["params"].get("ENGINES", 1))
    for r in rows:
        r["engines"], r["lanes"] = engines, int(data["params"]["LANES"])
    out = {"quick": quick, "paramset": paramset, "params": data["params"], "seconds": round(seconds, 1),
           "errors": data["errors"], "rows": rows}
    (OUT_DIR / f"{stem}.json").write_text(json.dumps(out, indent=1))
    md = markdown(rows, data["params"], quick, seconds)
    (OUT_DIR / f"{stem}.md").write_text(md)
    print(md)
    if data["errors"] or n_fail:
        print(f"WRONG RESULTS ({paramset}): {data['errors'][:3]}", file=sys.stderr)
        return 1
    print(f"results: {OUT_DIR / (stem + '.json')}, {OUT_DIR / (stem + '.md')}")
    return 0


def main() -> int:
    quick = os.environ.get("QUICK", "") not in ("", "0")
    seed = int(os.environ.get("SEED", "1"))
    sets = [s for s in os.environ.get("UC_BENCH_SETS", "bench").replace(",", " ").split() if s]
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    rc = 0
    for ps in sets:
        rc |= run_set(ps, quick, seed)
    return rc


if __name__ == "__main__":
    sys.exit(main())
