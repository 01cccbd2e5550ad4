"""`make demo`'s knobs (environment variables, README table): parsing and range checks."""

from __future__ import annotations

import os
from dataclasses import dataclass

SIMS = ("verilator", "icarus", "none")

#: The accelerator parameters the demo builds accel_top with (a bigger set than the regression's
#: l8: room for the dense 1->16->32 digits CNN and users' images up to 3x32x32, 16 classes).
DEMO_PARAMS = {"ENGINES": 8, "LANES": 8, "KMAX": 7, "CMAX": 64, "NMAX": 64, "HMAX": 64, "WMAX": 64,
               "FM_DEPTH": 8192, "WDEPTH": 16384, "PDEPTH": 256, "BDEPTH": 256,
               "PROG_DEPTH": 128, "CLASSES_MAX": 16}


#: Host memory of the Verilator harness (accel_top_hdlmem): 2^23 bytes, as demo/tb.py's AxiRam.
HOST_ADDR_W = 23


class KnobError(ValueError):
    """A bad knob value or data file: one line for the user."""


KNOBS = {
    # name: (default, kind, lo, hi, help)
    "DEMO_EPOCHS": (2, int, 1, 1000, "fine-tuning epochs on the RTL"),
    "DEMO_IMAGES": (None, int, 1, 1_000_000, "training images per fine-tuning epoch (default: the whole train "
                                             "split; fewer: a fixed subset of it)"),
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
    "MODEL": ("", str, None, None, "<file.onnx>: your CNN replaces the built-in one (no pre-training; "
                                   "its zeros are the mask); the fine-tuned model goes to build/demo/finetuned.onnx"),
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
    images: int | None        # None: the whole train split
    sparsity: float
    pruning: str
    seed: int
    pretrain_epochs: int | None
    lr: float
    rtl_test: int
    sim: str
    data: str
    data_layout: str = ""     # "", "nchw" or "nhwc"
    model: str = ""           # MODEL=<file.onnx>
    sparsity_given: bool = False   # DEMO_SPARSITY set (MODEL: prune further only then)


def read_knobs(env=None) -> Knobs:
    env = os.environ if env is None else env
    return Knobs(*(knob(n, env) for n in ("DEMO_EPOCHS", "DEMO_IMAGES", "DEMO_SPARSITY", "DEMO_PRUNING",
                                          "DEMO_SEED", "DEMO_PRETRAIN_EPOCHS", "DEMO_LR", "DEMO_RTL_TEST",
                                          "SIM", "DATA", "DATA_LAYOUT", "MODEL")),
                 sparsity_given=env.get("DEMO_SPARSITY", "").strip() != "")
