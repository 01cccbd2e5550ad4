"""`make demo`: the deck's experiment at small scale, with the fine-tuning on the RTL.

1. Data: scikit-learn's bundled 8x8 handwritten digits (1,797 images, no download), split
   80/20 train/test (stratified, seed DEMO_SEED); or DATA=<file.npz> with your own images.
2. Pre-train the CNN conv3x3(16)-ReLU-maxpool-conv3x3(32)-ReLU-GAP-linear dense in float NumPy.
3. Prune the second conv (and any later conv) to DEMO_SPARSITY with the threshold rule (or
   filter-wise balanced); the first conv (1 input channel, 9 weights a filter) stays dense.
   Quantize (activations Q8, weights Q12).
4. Fine-tune only the kept weights on the accelerator top (rtl/top/accel_top.v) under Verilator
   (or Icarus): one program per mini-batch of 32, the whole train split (or DEMO_IMAGES training
   images) per epoch, DEMO_EPOCHS epochs. Verilator runs the harness with the host memory in the
   HDL (verif/hdl/accel_top_hdlmem.v: no Python per clock cycle), Icarus accel_top with
   cocotbext-axi's AxiRam. The same fine-tuning runs on the bit-exact NumPy model
   (verif.models.network.train_step_model); after every epoch the weights of both must be identical.
5. Report: accuracy (dense float, pruned before fine-tuning, after fine-tuning), cycles per
   training image, projected training time at the measured ECP5 clock (and, apart, an assumed UltraScale+ 200 MHz), the same fine-tuning's wall time in
   float NumPy on this CPU; per-layer cycles dense against sparse (every command of a training
   step timed alone on the RTL). build/demo/results.{md,json}, accuracy_loss.png,
   cycles_per_layer.png.

MODEL=<file.onnx> (demo/onnx_model.py): the imported network replaces the built-in one in
step 2 (no pre-training; its zeros are the mask, DEMO_SPARSITY prunes further only when given);
after step 4 the fine-tuned network goes to build/demo/finetuned.onnx, checked with onnxruntime.

Knobs (environment): demo/knobs.py and the README. Exit status: 0 when the RTL and the model
agree, 1 when they do not, 2 on a bad knob or data file. The package: knobs, data, report, this
module (the flow above, the network), sim (the simulator in a background thread, the progress
bar) and tb (the cocotb side).
"""

from __future__ import annotations

import os
import pickle
import shutil
import sys
import threading
import time

# single-threaded BLAS: the float training's small matrices run 10x faster than with threads
# fighting over 2 shared cores (set before NumPy loads)
for _v in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_v, "1")

import numpy as np  # noqa: E402

from demo.data import load_digits_data, load_npz
from demo.knobs import DEMO_PARAMS, KnobError, Knobs, read_knobs
from demo.report import OUT, net_name, per_layer, plots, write_results
from demo.sim import SimRun, follow_progress
from sparsetrain import clocks
from sparsetrain.float_train import accuracy_float, train_float
from sparsetrain.net import (A_FRAC, Conv, Gap, Linear, MaxPool, Net, dequantize_params, masks_of,
                             quantize_params)
from sparsetrain.numerics import quantize
from verif.models.network import infer_model, train_step_model

DECK_EPOCHS = 100


# ------------------------------------------------------------------------------------ network
def make_net(in_shape, classes: int) -> Net:
    """conv3x3(16)-ReLU-MP-conv3x3(32)-ReLU[-MP-conv3x3(32)-ReLU for maps >= 16]-GAP-linear."""
    layers = [Conv(16), MaxPool(), Conv(32)]
    if min(in_shape[1:]) >= 16:
        layers += [MaxPool(), Conv(32)]
    return Net(tuple(in_shape), layers + [Gap(), Linear(classes)])


def prune_quantize(net: Net, params: list, sparsity: float, rule: str):
    """Prune every conv except the first (which stays dense), quantize everything."""
    q = quantize_params(net, params, sparsity, rule)
    dense = quantize_params(net, params, 0.0)
    first = min(dense.convs)
    q.convs[first] = dense.convs[first]
    return q, dense


def sparsity_of(q, net: Net | None = None) -> dict:
    """Zero fraction of the convs after the first and of all weights; with ``net`` a depth-wise
    conv counts its ``C*K*K`` weights (not the block-diagonal kernel's ``C*C*K*K`` slots)."""
    def slots(i):
        return net.weight_slots(i) if net is not None else int(np.prod(q.convs[i].shape))
    pruned = [i for i in sorted(q.convs) if i != min(q.convs)]
    nnz = sum(q.convs[i].nnz for i in pruned)
    tot = sum(slots(i) for i in pruned)
    all_nnz = sum(sw.nnz for sw in q.convs.values()) + sum(int(np.count_nonzero(w)) for w in q.lin_w.values())
    all_tot = sum(slots(i) for i in q.convs) + sum(w.size for w in q.lin_w.values())
    return {"pruned_convs": 1 - nnz / tot if tot else 0.0, "all_weights": 1 - all_nnz / all_tot}


def quantize_images(x):
    return quantize(x, A_FRAC)


def accuracy_int(net, q, xq, y) -> float:
    return float(np.mean(np.array(infer_model(net, q, xq)) == y)) if len(y) else 0.0


def same_params(a, b) -> bool:
    return (all(np.array_equal(a.convs[i].values, b.convs[i].values) for i in a.convs)
            and all(np.array_equal(a.lin_w[i], b.lin_w[i]) for i in a.lin_w)
            and all(np.array_equal(a.biases[i], b.biases[i]) for i in a.biases))


def float_params(net: Net, q) -> list:
    """Integer parameters back to float (the float NumPy fine-tuning's start)."""
    return dequantize_params(net, q)


# ------------------------------------------------------------------------------------- main
def run(k: Knobs) -> int:
    t_start = time.monotonic()
    ds = load_npz(k.data, k.seed, k.data_layout) if k.data else load_digits_data(k.seed)
    imported = None
    if k.model:       # the user's ONNX CNN replaces the built-in one (demo/onnx_model.py)
        from demo.onnx_model import describe, export_and_check, load_model, prune_quantize_model
        net, imported = load_model(k.model, ds.x_train.shape[1:], ds.classes)
    else:
        net = make_net(ds.x_train.shape[1:], ds.classes)
    # does the network fit the accelerator? (before any work)
    from sparsetrain.driver import check_fits, plan
    from sparsetrain.uc import UcParams
    p = UcParams.from_hdl(DEMO_PARAMS)
    rng = np.random.default_rng(k.seed)
    init = imported or net.init_float(rng)
    try:
        check_fits(net, p)
        plan(net, quantize_params(net, init, 0.0), p)
    except ValueError as e:
        raise KnobError(f"{f'MODEL={k.model}' if k.model else ds.name}: the network {net_name(net)} does not fit the accelerator ({e})") from None

    OUT.mkdir(parents=True, exist_ok=True)
    for f in ("results.md", "results.json", "accuracy_loss.png", "cycles_per_layer.png", "progress.jsonl",
              "rtl.pkl", "finetuned.onnx"):
        (OUT / f).unlink(missing_ok=True)
    sim = None
    if k.sim != "none":
        if k.sim == "verilator" and not shutil.which("g++"):
            raise KnobError("SIM=verilator needs g++ (apt-get install g++), or use SIM=icarus")
        if k.sim == "icarus" and not shutil.which("iverilog"):
            raise KnobError("SIM=icarus needs iverilog (apt-get install iverilog)")
        sim = SimRun(k.sim, OUT)
        sim.build_async()
        print(f"building {sim.block.toplevel} for {k.sim} in the background ({sim.dir}/build.log)")

    print(f"data: {ds.name}: {len(ds.y_train)} train / {len(ds.y_test)} test images, {ds.classes} classes")
    print(f"network: {net_name(net)}" + (f" (imported from {k.model})" if k.model else ""))

    # ---- 1. dense float pre-training
    pe = 0 if k.model else k.pretrain_epochs
    if pe is None:
        work = len(ds.y_train) * int(np.prod(ds.x_train.shape[1:]))
        pe = int(max(2, min(40, round(40 * 1437 * 64 / work))))
    t0 = time.monotonic()
    dense = imported or train_float(net, init, ds.x_train, ds.y_train, pe, 32, 0.05, 0.9,
                                    np.random.default_rng(k.seed + 1))[0]
    t_pre = time.monotonic() - t0
    acc_dense = accuracy_float(net, dense, ds.x_test, ds.y_test)
    print(f"imported model (no pre-training): float test accuracy {acc_dense:.2%}" if k.model else
          f"pre-training: {pe} epochs dense in float NumPy, {t_pre:.1f} s: test accuracy {acc_dense:.2%}")

    # ---- 2. prune + quantize (MODEL: its zeros are the mask; DEMO_SPARSITY prunes further if given)
    q0, qdense = (prune_quantize_model(net, dense, k.sparsity if k.sparsity_given else None, k.pruning) if k.model
                  else prune_quantize(net, dense, k.sparsity, k.pruning))
    sp = sparsity_of(q0, net)
    xq_test = quantize_images(ds.x_test)
    acc_qdense = accuracy_int(net, qdense, xq_test, ds.y_test)
    acc_pruned = accuracy_int(net, q0, xq_test, ds.y_test)
    how = (f"the model's zeros{f' + {k.pruning}' if k.sparsity_given else ''}: " if k.model else
           f"pruned ({k.pruning}) to ")
    print(f"{how}{sp['pruned_convs']:.1%} of the convs' weights after the first are zero "
          f"({sp['all_weights']:.1%} of all weights; {'the first conv keeps its mask' if k.model else 'the first conv stays dense'}), "
          f"quantized: test accuracy {acc_pruned:.2%} (quantized dense: {acc_qdense:.2%})")

    # ---- 3. the fine-tuning job: the same batches for the RTL, the model and float NumPy
    frng = np.random.default_rng(k.seed + 2)
    n_ft = len(ds.y_train) if k.images is None else min(k.images, len(ds.y_train))
    subset = frng.permutation(len(ds.y_train))[:n_ft]
    x_ft, y_ft = ds.x_train[subset], ds.y_train[subset]
    xq_ft = quantize_images(x_ft)
    order = [frng.permutation(n_ft) for _ in range(k.epochs)]
    batch = 32
    n_batches = k.epochs * -(-n_ft // batch)
    n_rtl_test = min(k.rtl_test, len(ds.y_test))
    progress = OUT / "progress.jsonl"
    job = {"net": net, "q": q0, "x": xq_ft, "y": y_ft, "order": order, "batch": batch, "lr": k.lr,
           "test_x": xq_test[:n_rtl_test], "test_y": ds.y_test[:n_rtl_test],
           "cycle_nets": {"sparse": (net, q0), "dense": (net, qdense)},
           "progress": str(progress.resolve()), "out": str((OUT / "rtl.pkl").resolve())}
    job_file = OUT / "job.pkl"
    job_file.write_bytes(pickle.dumps(job))

    if sim:
        t_build = time.monotonic()
        sim.wait()
        print(f"simulator ready ({time.monotonic() - t_build:.0f} s waited for the build)")
        print(f"fine-tuning on the RTL ({k.sim}): {k.epochs} epochs x {n_ft} images, batch {batch}, "
              f"lr {k.lr} (log: {sim.dir}/sim.log)")
        t_sim = time.monotonic()
        sim.test_async(job_file)
        bar = threading.Thread(target=follow_progress, args=(sim, progress, n_batches, t_sim), daemon=True)
        bar.start()

    # the model run (meanwhile, on the other core)
    model_epochs, q = [], q0
    for e in range(k.epochs):
        losses, correct = 0, 0
        for s in range(0, n_ft, batch):
            idx = order[e][s:s + batch]
            r = train_step_model(net, q, xq_ft[idx], y_ft[idx], k.lr)
            q = r.params
            losses += sum(int(v) for v in r.losses)
            correct += sum(int(pp == yy) for pp, yy in zip(r.preds, y_ft[idx]))
        model_epochs.append({"q": q, "loss_q8": losses, "train_correct": correct,
                             "test_acc": accuracy_int(net, q, xq_test, ds.y_test),
                             "rtl_test_subset_correct": int(np.sum(np.array(infer_model(net, q, xq_test[:n_rtl_test]))
                                                                   == ds.y_test[:n_rtl_test]))})
    # float NumPy: the same fine-tuning (same batches, plain SGD, mask fixed), timed
    t0 = time.monotonic()
    ft_float, _ = train_float(net, [None if pp is None else pp for pp in float_params(net, q0)], x_ft, y_ft,
                              k.epochs, batch, k.lr, 0.0, masks=masks_of(q0, net), order=order)
    t_float = time.monotonic() - t0
    acc_ft_float = accuracy_float(net, ft_float, ds.x_test, ds.y_test)

    rtl = None
    if sim:
        bar.join()
        sim.wait()
        if not (OUT / "rtl.pkl").exists():
            print(f"FAIL: the simulation ended without results; see {sim.dir / 'sim.log'}")
            return 1
        rtl = pickle.loads((OUT / "rtl.pkl").read_bytes())
        t_sim = time.monotonic() - t_sim

    # ---- 4. compare, tabulate
    ok = True
    rows = []
    print("\nper epoch (model = bit-exact NumPy model, rtl = accel_top):")
    for e, m in enumerate(model_epochs):
        row = {"epoch": e + 1, "train_loss": m["loss_q8"] / 256 / n_ft, "train_acc": m["train_correct"] / n_ft,
               "test_acc_model": m["test_acc"]}
        msg = f"  epoch {e + 1}: train loss {row['train_loss']:.4f}, train acc {row['train_acc']:.2%}, " \
              f"test acc {m['test_acc']:.2%} (model, {len(ds.y_test)} images)"
        if rtl:
            re_ = rtl["epochs"][e]
            bs = [b for b in rtl["batches"] if b["epoch"] == e]
            same_w = same_params(re_["q"], m["q"])
            same_lc = (sum(b["loss_sum"] for b in bs) == m["loss_q8"]
                       and sum(b["n_correct"] for b in bs) == m["train_correct"])
            rtl_acc = accuracy_int(net, re_["q"], xq_test, ds.y_test)
            sub = re_["test"]["n_correct"] if re_["test"] else None
            same_sub = sub is None or sub == m["rtl_test_subset_correct"]
            row.update(rtl_weights_equal_model=same_w, rtl_loss_and_correct_equal_model=same_lc,
                       test_acc_rtl_weights=rtl_acc,
                       rtl_inference_subset_acc=None if sub is None else sub / n_rtl_test)
            ok &= same_w and same_lc and same_sub and rtl_acc == m["test_acc"]
            msg += (f"; rtl: weights {'==' if same_w else '!='} model, loss/correct counters "
                    f"{'==' if same_lc else '!='} model, test acc {rtl_acc:.2%}")
            if sub is not None:
                msg += f", RTL inference on {n_rtl_test} test images {sub / n_rtl_test:.2%} " \
                       f"({'==' if same_sub else '!='} model)"
        print(msg)
        rows.append(row)

    acc_final = model_epochs[-1]["test_acc"]
    onnx_out = None
    if k.model:     # the fine-tuned network (the model's = the RTL's when they agree) back to ONNX
        onnx_out = export_and_check(net, model_epochs[-1]["q"], xq_test, infer_model(net, model_epochs[-1]["q"], xq_test),
                                    OUT / "finetuned.onnx")
        print(describe(onnx_out))
    # the measured ECP5 clock of a top like the demo's (one engine, or an engine array)
    clock_mhz, clock_basis = clocks.ecp5_mhz(DEMO_PARAMS.get("ENGINES", 1))
    res = {
        "network": net_name(net), "data_set": ds.name,
        "train_images": len(ds.y_train), "test_images": len(ds.y_test),
        "pruning": k.pruning if not k.model or k.sparsity_given else "the model's zeros (MODEL)", "sparse_ratio_pruned_convs": round(sp["pruned_convs"], 4),
        "sparse_ratio_all_weights": round(sp["all_weights"], 4),
        "pretrain_epochs": pe, "pretrain_seconds": round(t_pre, 1),
        "acc_dense_float": acc_dense, "acc_dense_quantized": acc_qdense, "acc_pruned_before_ft": acc_pruned,
        "acc_after_ft": acc_final, "acc_after_ft_float_numpy": acc_ft_float,
        "ft_epochs": k.epochs, "ft_images_per_epoch": n_ft, "batch": batch, "lr": k.lr,
        "float_numpy_ft_seconds": round(t_float, 4), "sim": k.sim, "epochs": rows,
        "clock_mhz": clock_mhz, "clock_basis": clock_basis,
        "engines": DEMO_PARAMS.get("ENGINES", 1), "lanes": DEMO_PARAMS["LANES"],
        "clock_mhz_ultrascale_assumed": clocks.ULTRASCALE_MHZ, "rtl_matches_model": ok if rtl else None,
        "model": k.model or None, "onnx_export": onnx_out,
    }
    if rtl:
        bs = rtl["batches"]
        cpi = sum(b["cnt_total"] for b in bs) / sum(b["images"] for b in bs)
        res.update({
            "cycles_per_train_image": round(cpi),
            "cycles_breakdown_per_image": {k_: round(sum(b[k_] for b in bs) / sum(b["images"] for b in bs))
                                           for k_ in ("cnt_uc", "cnt_pool", "cnt_lc", "cnt_dma")},
            "projected_ft_seconds": clocks.seconds(cpi * n_ft * k.epochs, clock_mhz),
            "projected_100_epochs_full_train_seconds": clocks.seconds(cpi * len(ds.y_train) * DECK_EPOCHS,
                                                                      clock_mhz),
            "projected_100_epochs_full_train_seconds_ultrascale_assumed": clocks.seconds(
                cpi * len(ds.y_train) * DECK_EPOCHS, clocks.ULTRASCALE_MHZ),
            "rtl_sim_seconds": round(t_sim, 1),
            "rtl_test_subset": n_rtl_test,
            "cycles_per_layer": per_layer(net, rtl["cycles"], batch),
        })
    res["wall_seconds"] = round(time.monotonic() - t_start, 1)
    write_results(res)
    plots(res, rows)
    print()
    print((OUT / "results.md").read_text())
    print(f"written: {OUT}/results.md, results.json, accuracy_loss.png" + (", cycles_per_layer.png" if rtl else ""))
    if onnx_out and onnx_out["beyond_margin"]:
        print(f"FAIL: onnxruntime and the integer model disagree beyond the Q8 margin ({describe(onnx_out)})")
        return 1
    if rtl is None:
        print("SIM=none: the model only; no RTL numbers")
        return 0
    if ok:
        print(f"PASS: the RTL and the bit-exact model give the same weights, loss and accuracy at every epoch "
              f"({res['wall_seconds']:.0f} s)")
        return 0
    print("FAIL: the RTL and the bit-exact model disagree (see the per-epoch lines above)")
    return 1


def main() -> int:
    try:
        k = read_knobs()
        return run(k)
    except KnobError as e:
        print(f"demo: {e}", file=sys.stderr)
        return 2
    except RuntimeError as e:
        print(f"demo: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
