# Two commands do everything on a fresh machine (see README):
#   make demo   - set up .venv and print every engine report for the built-in sample portal
#   make test   - set up .venv and run the whole test suite (pytest), plus ruff, lint-imports and mypy
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: demo test lint typecheck install bench clean

$(BIN)/engine-bot: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@

install: $(BIN)/engine-bot

demo: install
	$(BIN)/engine-bot report all

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

typecheck: install
	$(BIN)/mypy

test: install lint typecheck
	$(BIN)/python -m pytest

bench: install
	$(BIN)/python benchmarks/bench_engines.py
	$(BIN)/python benchmarks/bench_hubspot.py
	$(BIN)/python benchmarks/bench_load.py
	$(BIN)/python benchmarks/bench_sync.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
