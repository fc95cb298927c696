# Set-up and entry points. `make run` and `make test` are all a new user needs.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
CORES ?= all
# CPU machines: torch 2.13.0 (take the CPU wheel, e.g. TORCH_PIP_ARGS="--index-url https://download.pytorch.org/whl/cpu").
# GPU machines: TORCH_SPEC=torch takes the CUDA build, which brings Triton.
TORCH_SPEC ?= torch==2.13.0
TORCH_PIP_ARGS ?=
export PATH := $(abspath $(BIN)):$(PATH)

.PHONY: install run test test-cluster cluster pull figures lint dryrun bench clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet $(TORCH_PIP_ARGS) "$(TORCH_SPEC)"
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $@

run: install
	$(BIN)/snakemake --cores $(CORES)
	@echo "Report: $(abspath results/report/index.html)"

test: install
	$(BIN)/python -m pytest

# SLURM, DVC round trip and injected faults (needs root and apt for the single-node SLURM cluster).
test-cluster: install
	$(BIN)/python -m pip install --quiet -e ".[dev,cluster]"
	RNNLAB_CLUSTER_TESTS=1 $(BIN)/python -m pytest tests/cluster

# After `dvc pull`, restored files carry new mtimes: mark them up to date for Snakemake.
pull: install
	$(BIN)/dvc pull
	$(BIN)/snakemake --cores 1 --touch

CLUSTER_CONFIG ?= config/paper.yaml
cluster: install
	$(BIN)/python -m pip install --quiet -e ".[dev,cluster]"
	$(BIN)/snakemake --profile profiles/slurm --configfile $(CLUSTER_CONFIG)

figures: install
	$(BIN)/snakemake --cores $(CORES) --forcerun figures report

lint: install
	$(BIN)/snakemake --lint

dryrun: install
	$(BIN)/snakemake -n --configfile config/paper.yaml

bench: install
	$(BIN)/python benchmarks/ngram.py

clean:
	find results -mindepth 1 -maxdepth 1 ! -name .gitignore -exec rm -rf {} +
	rm -rf data/raw data/processed .snakemake logs
