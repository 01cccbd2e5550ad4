"""`make demo`'s data: scikit-learn's bundled 8x8 digits, or the user's DATA=<file.npz> (shape
checks, NCHW / NHWC reading, scaling), split train/test."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from demo.knobs import DEMO_PARAMS, LAYOUTS, KnobError


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
