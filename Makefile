# The two commands a new user needs: `make demo` and `make test`.
PYTHON ?= python3.11
# Also supported, and tested by `make test-versions`, each in its own .venv-X.Y: the tests of
# the library's parts that lean on the interpreter and the packages it resolves (readers,
# regime, screening, fetching, runs, results), not the whole suite, to keep CI within its time.
OTHER_PYTHONS := 3.12 3.13
VERSION_TESTS := tests/test_python_versions.py tests/regime tests/screening tests/fetch \
	tests/runs tests/test_results.py tests/cli/test_startup.py tests/engine/test_demo_findings.py \
	tests/trade/test_ingest.py tests/trade/test_ingest_frame.py
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev

.PHONY: demo test test-versions lint typecheck pytest clean bench bench-quick

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

# Each venv is built with the newest X.Y interpreter found on the PATH or in pyenv.
.venv-%/.installed-dev: pyproject.toml
	rm -rf .venv-$*
	python=$$(tools/find-python $*) && $$python -m venv .venv-$*
	.venv-$*/bin/python -m pip install --quiet --upgrade pip
	.venv-$*/bin/python -m pip install --quiet -e '.[dev]'
	touch $@

# VERSION_TESTS, but those marked slow, on every other supported Python the machine has.
test-versions:
	@failed=""; \
	for version in $(OTHER_PYTHONS); do \
	    if ! tools/find-python $$version >/dev/null; then \
	        echo "Python $$version: not found on the PATH or in pyenv, skipped"; continue; \
	    fi; \
	    echo "Python $$version: $$(tools/find-python $$version), VERSION_TESTS"; \
	    $(MAKE) --no-print-directory .venv-$$version/.installed-dev \
	        && .venv-$$version/bin/pytest -m "not slow" -q -p no:cacheprovider $(VERSION_TESTS) \
	        || failed="$$failed $$version"; \
	done; \
	if [ -n "$$failed" ]; then echo "failed on Python$$failed"; exit 1; fi

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
	$(BIN)/python benchmarks/b7_signals.py --rows 100M --repeat 1 --no-warm-up
	$(BIN)/python benchmarks/b8_report.py --rows 100M --no-warm-up
	$(BIN)/python benchmarks/b9_service.py
	$(BIN)/python benchmarks/b10_startup.py

clean:
	rm -rf $(VENV) .venv-* demo .pytest_cache .mypy_cache .ruff_cache
