# SkipOPU: simulation, regression and lint. See README.md.
#   make sim   [SIM=verilator|icarus] [WAVES=1] [SEED=n]   the main job
#   make test  [SIM=...] [JOBS=n]                          the pytest regression (both simulators)
#   make lint                                              verilator -Wall and iverilog on rtl/
SHELL   := /bin/bash
SIM     ?= verilator
WAVES   ?= 0
SEED    ?= 1
JOBS    ?= 2
PYTEST_ARGS ?=
ENV     := source scripts/env.sh &&
RTL_PKG := rtl/skipopu_pkg.sv
RTL     := $(RTL_PKG) $(filter-out $(RTL_PKG),$(sort $(wildcard rtl/*.sv)))

.PHONY: all sim test test-long lint synth kv-bench results bench bootstrap clean help

all: help

help:
	@sed -n '2,5p' Makefile

bootstrap:
	@WAVES=$(WAVES) bash scripts/bootstrap.sh

sim: bootstrap
	@$(ENV) SIM=$(SIM) WAVES=$(WAVES) python tb/run_sim.py --seed $(SEED) $(SIM_ARGS)

test: bootstrap
	@$(ENV) python -m pytest -n $(JOBS) --maxschedchunk 1 -q -rfEs $(PYTEST_ARGS)

test-long: bootstrap
	@$(ENV) python -m pytest -n $(JOBS) --maxschedchunk 1 -q -rfEs -m "slow or not slow" $(PYTEST_ARGS)

lint: bootstrap
	@mkdir -p sim_build
	@$(ENV) echo "verilator --lint-only -Wall, every module as top ($$(verilator --version))" && \
	  for m in $(basename $(notdir $(filter-out $(RTL_PKG),$(RTL)))); do \
	    verilator --lint-only -Wall -Wno-fatal lint/verilator_waivers.vlt $(RTL) \
	      --top-module $$m > sim_build/lint-$$m.log 2>&1; \
	    if grep -q "^%" sim_build/lint-$$m.log; then echo "  $$m:"; grep "^%" sim_build/lint-$$m.log; \
	      fail=1; fi; \
	  done; [ -z "$$fail" ] && echo "  clean"
	@echo "iverilog -g2012 ($$(iverilog -V 2>&1 | head -1))"; \
	  out=$$(iverilog -g2012 -o /dev/null $(RTL) 2>&1); rc=$$?; \
	  left=$$(echo "$$out" | grep -v -E -f <(grep -v '^#' lint/icarus_waivers.txt | grep .) | grep .); \
	  if [ $$rc -ne 0 ] || [ -n "$$left" ]; then echo "$$left"; exit 1; fi; echo "  clean"

# docs/results.md: the ablation and bandwidth tables from the core (about 10 minutes)
results: bootstrap
	@$(ENV) python tools/results.py all $(RESULTS_ARGS)

# docs/results.md "Decode at the roofline": default and large presets on the 4- and 8-port cores
# (HBM model, 2x HBM clock; sim_build/bench.json; BENCH_ARGS="--presets default --cores p8" etc.)
bench: bootstrap
	@$(ENV) python tools/bench.py $(BENCH_ARGS)

kv-bench: bootstrap
	@mkdir -p sim_build
	@$(ENV) KV_BENCH_OUT=sim_build/kv_bench.md python -m pytest -q -s -m slow \
	  tb/kv/test_kv_unit.py -k bench $(PYTEST_ARGS) | grep -a "cycles (" ; cat sim_build/kv_bench.md

# docs/pe-array.md "Resources": Yosys estimate of PE-array columns (installs requirements-synth.txt
# pins when missing; SYNTH_ARGS="--kdim 64" etc.; report in sim_build/synth/report.json)
synth: bootstrap
	@$(ENV) python tools/synth_column.py $(SYNTH_ARGS)

clean:
	rm -rf sim_build
