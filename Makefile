# The two commands a new user needs: `make demo` and `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev

.PHONY: demo test lint typecheck pytest clean bench bench-quick

$(BIN)/python:
	$(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(DEV_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@ $(STAMP)

# Ends with the line that puts the venv's `sanctionwatch` on the PATH of the user's shell.
demo: $(STAMP)
	$(BIN)/sanctionwatch demo
	@echo 'To run sanctionwatch by name, put it on the PATH of your shell:'
	@echo 'export PATH="$(abspath $(BIN)):$$PATH"'

lint: $(DEV_STAMP)
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests

typecheck: $(DEV_STAMP)
	$(BIN)/mypy

pytest: $(DEV_STAMP)
	$(BIN)/pytest

test: lint typecheck pytest

# Benchmarks print ratios against a baseline run beside them (figures: benchmarks/RESULTS.md).
# Worlds are generated once under SANCTIONWATCH_BENCH_DIR (default /tmp/sanctionwatch-bench).
bench-quick: $(STAMP)
	$(BIN)/python benchmarks/b1_check.py --rows 1M
	$(BIN)/python benchmarks/b2_pandas.py --rows 1M
	$(BIN)/python benchmarks/b3_ingest.py --rows 1M
	$(BIN)/python benchmarks/b4_memory.py --rows 1M
	$(BIN)/python benchmarks/b7_signals.py --rows 1M
	$(BIN)/python benchmarks/b9_service.py --requests 200 --seconds 30
	$(BIN)/python benchmarks/b10_startup.py

bench: $(STAMP)
	$(BIN)/python benchmarks/b1_check.py --rows 10M
	$(BIN)/python benchmarks/b2_pandas.py --rows 10M
	$(BIN)/python benchmarks/b3_ingest.py --rows 10M
	$(BIN)/python benchmarks/b6_spark.py --rows 10M
	$(BIN)/python benchmarks/b7_signals.py --rows 10M
	$(BIN)/python benchmarks/b1_check.py --rows 100M --repeat 1
	$(BIN)/python benchmarks/b4_memory.py --rows 100M
	$(BIN)/python benchmarks/b7_signals.py --rows 100M --repeat 1
	$(BIN)/python benchmarks/b8_report.py --rows 100M
	$(BIN)/python benchmarks/b9_service.py
	$(BIN)/python benchmarks/b10_startup.py

clean:
	rm -rf $(VENV) demo .pytest_cache .mypy_cache .ruff_cache
