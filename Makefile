# Set-up and everyday commands. `make demo` and `make test` install everything they need on a fresh machine.
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo test test-all lint bench clean

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	# The CPU build of torch first; a plain `torch` requirement would pull a multi-GB CUDA build.
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/or1 demo --out runs/demo

test: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/mypy
	$(BIN)/pytest -q

test-all: $(STAMP)
	$(BIN)/pytest -q -m "slow or not slow"

# The figures of benchmarks/README.md (about an hour on 2 cores; the first run adds a 14-minute warm start).
bench: $(STAMP)
	$(BIN)/pip install -q -e ".[dev,bench]"
	$(BIN)/python benchmarks/verify_math.py
	$(BIN)/python benchmarks/verify_code.py
	$(BIN)/python benchmarks/dedup.py
	$(BIN)/python benchmarks/rollout.py --reps 15
	$(BIN)/python benchmarks/vs_trl.py --seeds 0 1 2 --budget 90 --time-budget 45
	$(BIN)/python benchmarks/async.py --seeds 0 1 2 --steps 30 --budget 90

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/mypy  # src/, settings in pyproject.toml

clean:
	rm -rf runs build *.egg-info .pytest_cache .ruff_cache
