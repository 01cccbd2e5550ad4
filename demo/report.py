"""`make demo`'s report: the network's and layers' names, per-layer cycles,
build/demo/results.{md,json} and the two plots."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from sparsetrain.net import Conv, Gap, MaxPool, Net

OUT = Path("build/demo")


def net_name(net: Net) -> str:
    parts = []
    for i, l in enumerate(net.layers):
        if isinstance(l, Conv):
            kind = f"{'dw' if l.depthwise else ''}conv{l.k}x{l.k}{f'd{l.dilation}' if l.dilation != 1 else ''}"
            parts.append(f"{kind}({net.in_shape_of(i)[0]}->{l.cout})")
        elif isinstance(l, MaxPool):
            parts.append("MP")
        elif isinstance(l, Gap):
            parts.append("GAP")
        else:
            parts.append(f"FC({net.in_shape_of(i)[0]}->{l.cout})")
    return "-".join(parts)


def layer_names(net: Net) -> list[str]:
    names, nc, npool = [], 0, 0
    for i, l in enumerate(net.layers):
        if isinstance(l, Conv):
            nc += 1
            names.append(f"conv{nc} {net.in_shape_of(i)[0]}->{l.cout}")
        elif isinstance(l, MaxPool):
            npool += 1
            names.append(f"maxpool{npool}")
        elif isinstance(l, Gap):
            names.append("GAP")
        else:
            names.append(f"FC {net.in_shape_of(i)[0]}->{l.cout} + loss")
    return names


def per_layer(net: Net, cycles: dict, batch: int) -> dict:
    """{dense|sparse: {layer name: cycles per training image (commands timed alone; the SGD
    update, run once a batch, counted as 1/batch)}}."""
    names = layer_names(net)
    out = {}
    for kind, cmds in cycles.items():
        per = {n: 0.0 for n in names}
        for c in cmds:
            per[names[c["layer"]]] += c["cycles"] / (batch if c["phase"] == "update" else 1)
        out[kind] = {n: round(v) for n, v in per.items()}
    return out


def fmt_s(s: float) -> str:
    return f"{s * 1e3:.1f} ms" if s < 1 else (f"{s:.2f} s" if s < 100 else f"{s:,.0f} s")


def write_results(res: dict) -> None:
    (OUT / "results.json").write_text(json.dumps(res, indent=2, default=float) + "\n")
    has = "cycles_per_train_image" in res
    head = ["CNN", "data set", "sparse ratio %", "acc dense float", "acc pruned", "acc fine-tuned (RTL)",
            "cycles / train image",
            f"RTL time @{res['clock_mhz']:.1f} MHz (ECP5, "
            + ("2 x 4 array top measured" if res.get("engines", 1) > 1 else "1 x 8 top measured") + ")",
            "float NumPy time (this CPU)"]
    row = [res["network"], res["data_set"], f"{100 * res['sparse_ratio_pruned_convs']:.1f}",
           f"{res['acc_dense_float']:.1%}", f"{res['acc_pruned_before_ft']:.1%}",
           f"{res['acc_after_ft']:.1%}" if has else f"{res['acc_after_ft']:.1%} (model)",
           f"{res['cycles_per_train_image']:,}" if has else "-",
           fmt_s(res["projected_ft_seconds"]) if has else "-", fmt_s(res["float_numpy_ft_seconds"])]
    lines = [f"Fine-tuning: {res['ft_epochs']} epochs x {res['ft_images_per_epoch']} images, batch {res['batch']}, "
             f"SGD lr {res['lr']}; accuracies on the {res['test_images']}-image test split.", "",
             "| " + " | ".join(head) + " |", "|" + "---|" * len(head), "| " + " | ".join(row) + " |", ""]
    if has:
        lines += [f"- projected, the deck's 100 epochs over all {res['train_images']} training images: "
                  f"{fmt_s(res['projected_100_epochs_full_train_seconds'])} at {res['clock_mhz']:.2f} MHz "
                  f"({res['clock_basis']}: docs/performance.md section 7); "
                  f"{fmt_s(res['projected_100_epochs_full_train_seconds_ultrascale_assumed'])} at "
                  f"{res['clock_mhz_ultrascale_assumed']:.0f} MHz on UltraScale+ (assumed, not timing-closed: "
                  f"section 7a)",
                  f"- UC unit: {res.get('engines', 1)} engines x {res.get('lanes', 8)} lanes "
                  f"({res.get('engines', 1) * res.get('lanes', 8)} MACs); "
                  + ("the clock was measured on the smallest array top, 2 x 4 (this array is not placed)"
                     if res.get("engines", 1) > 1 else "the clock was measured on the 1 x 8 top"),
                  f"- cycles per training image by unit (busy): UC {res['cycles_breakdown_per_image']['cnt_uc']:,}, "
                  f"MP/GAP {res['cycles_breakdown_per_image']['cnt_pool']:,}, LC/loss "
                  f"{res['cycles_breakdown_per_image']['cnt_lc']:,}, DMA {res['cycles_breakdown_per_image']['cnt_dma']:,}",
                  f"- sparse ratio over all weights (first conv dense, FC dense): "
                  f"{100 * res['sparse_ratio_all_weights']:.1f}%; pruning rule: {res['pruning']}",
                  f"- RTL and bit-exact model identical at every epoch (weights, loss, correct count, test accuracy): "
                  f"{'yes' if res['rtl_matches_model'] else 'NO'}",
                  f"- simulation ({res['sim']}) wall time {res['rtl_sim_seconds']:.0f} s; whole run {res['wall_seconds']:.0f} s"]
        cl = res["cycles_per_layer"]
        if "dense" in cl and "sparse" in cl:
            lines += ["", "| layer (cycles / training image) | dense | sparse | speed-up |", "|---|---|---|---|"]
            for n in cl["dense"]:
                d, s = cl["dense"][n], cl["sparse"][n]
                lines.append(f"| {n} | {d:,} | {s:,} | {d / s:.2f}x |" if s else f"| {n} | {d:,} | {s:,} | - |")
            td, ts = sum(cl["dense"].values()), sum(cl["sparse"].values())
            lines.append(f"| total (compute) | {td:,} | {ts:,} | {td / ts:.2f}x |")
    ox = res.get("onnx_export")
    if ox:
        lines += ["", f"- model: {res['model']} (imported ONNX; its zeros are the mask); fine-tuned model: {ox['path']}, "
                      f"onnxruntime = integer model on {ox['agree']}/{ox['n']} test images"
                      + (f" ({ox['beyond_margin']} beyond the Q8 margin)" if ox["beyond_margin"] else "")]
    (OUT / "results.md").write_text("\n".join(lines) + "\n")


def plots(res: dict, rows: list) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    ep = [r["epoch"] for r in rows]
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(10, 4))
    a1.plot([0] + ep, [res["acc_pruned_before_ft"]] + [r["test_acc_model"] for r in rows], "o-",
            label="test (pruned, integer)")
    a1.plot(ep, [r["train_acc"] for r in rows], "s--", label="train batches")
    a1.axhline(res["acc_dense_float"], color="gray", ls=":", label="dense float")
    a1.set_xticks([0] + ep)
    a1.set_xlabel("fine-tuning epoch")
    a1.set_ylabel("accuracy")
    a1.set_title("accuracy" + (" (RTL == model)" if res.get("rtl_matches_model") else ""))
    a1.legend()
    a2.plot(ep, [r["train_loss"] for r in rows], "o-")
    a2.set_xticks(ep)
    a2.set_xlabel("fine-tuning epoch")
    a2.set_ylabel("mean training loss (loss unit)")
    a2.set_title("loss")
    fig.tight_layout()
    fig.savefig(OUT / "accuracy_loss.png", dpi=100)
    plt.close(fig)
    cl = res.get("cycles_per_layer")
    if cl and "dense" in cl and "sparse" in cl:
        names = list(cl["dense"])
        xs = np.arange(len(names))
        fig, ax = plt.subplots(figsize=(8, 4))
        ax.bar(xs - 0.2, [cl["dense"][n] for n in names], 0.4, label="dense")
        ax.bar(xs + 0.2, [cl["sparse"][n] for n in names], 0.4,
               label=f"sparse ({100 * res['sparse_ratio_pruned_convs']:.0f}%)")
        ax.set_xticks(xs, names, rotation=20)
        ax.set_ylabel("cycles per training image")
        ax.set_title("accel_top cycles per layer and training image\n(forward + backward + weight gradient "
                     "+ update / batch, every command timed alone)", fontsize=10)
        ax.legend()
        fig.tight_layout()
        fig.savefig(OUT / "cycles_per_layer.png", dpi=100)
        plt.close(fig)
