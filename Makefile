# llama-dv: run `make help` for targets and variables.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV    ?= .venv
PY      := $(VENV)/bin/python
PYTEST  := $(VENV)/bin/pytest
LLAMADV := $(VENV)/bin/llama-dv

# Regression knobs (passed to `llama-dv regress` only when set).
SUITE ?=
SIM   ?=
SEEDS ?=
SEED  ?=
JOBS  ?=
WAVES ?=
ARGS  ?=
# Where the regression's builds and simulations run: local (default) or slurm.
LAUNCHER ?=
# pytest workers for `make test`/`check`/`test-all` (pytest-xdist); PYTEST_ARGS is appended verbatim.
# `make test` is the quick loop: every check once, without the tests marked slow or
# extended (a second simulator, a repeated case or control run, a long end-to-end run:
# docs/performance.md); `make check` adds the extended ones (what CI runs: every test
# not marked slow); `make test-all` runs the slow tests (long closure, 16-token and
# co-simulation runs: docs/getting-started.md) too.
TEST_JOBS   ?= auto
PYTEST_ARGS ?=

REGRESS_ARGS := $(if $(SUITE),--suite $(SUITE)) $(if $(SIM),--sim $(SIM)) \
	$(if $(SEEDS),--seeds $(SEEDS)) $(if $(SEED),--seed $(SEED)) \
	$(if $(JOBS),--jobs $(JOBS)) $(if $(filter 1 yes true,$(WAVES)),--waves) \
	$(if $(LAUNCHER),--launcher $(LAUNCHER)) $(ARGS)

# Mutation knobs: `make mutate DUT=rmsnorm [SUITE=full] [COUNT=40] [SIM=verilator]`.
DUT   ?=
COUNT ?=

.PHONY: help setup test check test-all regress signoff mutate rtl synth tables hls-csim clean

help: ## List targets and variables
	@echo "llama-dv - verification environment for LLaMA-2 accelerator RTL"
	@echo
	@echo "Targets:"
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{ printf "  make %-10s %s\n", $$1, $$2 }'
	@echo
	@echo "Variables:"
	@echo "  SUITE=name     regression suite (regress/ testlists), e.g. SUITE=smoke"
	@echo "  SIM=sim        verilator | icarus | all"
	@echo "  SEEDS=n        seeds per test;  SEED=n  one fixed seed (reproduce a run)"
	@echo "  JOBS=n         parallel simulations"
	@echo "  WAVES=1        record FST waveforms"
	@echo "  LAUNCHER=slurm run the regression's builds and simulations as SLURM jobs"
	@echo "  DUT=name       DUT of make mutate (e.g. DUT=rmsnorm);  COUNT=n  mutants (default 40)"
	@echo "  ARGS='...'     extra arguments for llama-dv (regress/signoff/synth/mutate)"
	@echo "  TEST_JOBS=n    pytest-xdist workers for make test/check/test-all (default auto)"
	@echo "  PYTEST_ARGS=.. extra pytest arguments, e.g. PYTEST_ARGS='-k toolchain'"
	@echo "  PYTHON=python3 interpreter used to create $(VENV)"

setup: ## Install Debian packages (as root) and create .venv; fast when already done
	@bash scripts/setup.sh

test: setup ## Quick pytest loop (tests/): every check once, no slow or extended tests
	$(PYTEST) -n $(TEST_JOBS) -m "not slow and not extended" $(PYTEST_ARGS)

check: setup ## The pytest suite CI runs: everything but the slow tests
	$(PYTEST) -n $(TEST_JOBS) -m "not slow" $(PYTEST_ARGS)

test-all: setup ## Run the whole pytest suite, slow tests included
	$(PYTEST) -n $(TEST_JOBS) $(PYTEST_ARGS)

regress: setup ## Run a regression suite on both simulators; reports in build/regress/
	$(LLAMADV) regress $(REGRESS_ARGS)

signoff: setup ## Milestone M1-M5 sign-off report from the latest regression
	$(LLAMADV) signoff $(ARGS)

mutate: setup ## Mutation score of a DUT's tests (DUT=rmsnorm; SUITE, COUNT, SIM); build/mutate/
	@test -n "$(DUT)" || { echo "make mutate: set DUT=<name>, e.g. make mutate DUT=rmsnorm SUITE=smoke" >&2; exit 2; }
	$(LLAMADV) mutate $(DUT) $(if $(SUITE),--suite $(SUITE)) $(if $(COUNT),--count $(COUNT)) \
		$(if $(filter-out all,$(SIM)),$(if $(SIM),--sim $(SIM))) $(if $(JOBS),--jobs $(JOBS)) $(ARGS)

rtl: setup ## Regenerate rtl/gen/ from the Clash sources
	bash rtl/clash/build.sh

synth: setup ## Yosys synthesis figures (LUT/FF/DSP/BRAM) for the RTL
	$(LLAMADV) synth $(ARGS)

tables: setup ## Regenerate hls/common/tables.h from models/
	$(PY) -m llama_dv.models.tables hls/common/tables.h

hls-csim: setup ## Compile the HLS C++ kernels with g++ (C-sim oracle)
	$(PY) -m llama_dv.hls.csim --build

clean: ## Remove build outputs (build/, caches); keeps .venv
	rm -rf build sim_build results.xml .pytest_cache .hypothesis hls/build
	find . -name __pycache__ -type d -not -path './$(VENV)/*' -prune -exec rm -rf {} +
