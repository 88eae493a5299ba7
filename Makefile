# casework — the two commands a new machine needs:
#   make app     installs casework into .venv and opens it (your database in the user data dir)
#   make check   installs the development tools and runs every check and the whole test suite
# Also: make demo (opens a demo database of synthetic people), make bench, make hooks
# (the lint checks on every git commit).

PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: app demo check test lint hooks bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed-app: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@ $(VENV)/.installed-app

app: $(VENV)/.installed-app
	$(BIN)/casework

demo: $(VENV)/.installed-app
	$(BIN)/casework --demo

lint: $(VENV)/.installed-dev
	$(BIN)/ruff format --check casework tests bench tools
	$(BIN)/ruff check casework tests bench tools
	$(BIN)/mypy
	$(BIN)/lint-imports

test: $(VENV)/.installed-dev
	# Twice the 2 CPUs of CI's machine: many tests wait (screens, locks, PostgreSQL), so four
	# workers finish the suite in about 8.5 minutes where two take 10.7.
	$(BIN)/pytest -n 4 --dist loadgroup

check: lint test

# Runs `make lint`'s checks on every commit (.pre-commit-config.yaml).
hooks: $(VENV)/.installed-dev
	$(BIN)/pre-commit install

# Not part of `make check`: a benchmark, not a test. Builds the 100k and 1M demo databases
# once into the user cache folder (casework-bench/); BENCH_ARGS passes options to it,
# e.g. make bench BENCH_ARGS="--sizes 100k --only search".
bench: $(VENV)/.installed-dev
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	$(BIN)/python bench/run.py --out bench-results.md $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
