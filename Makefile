# CODI — two quick-start commands: `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip
STAMP  := $(VENV)/.installed
DEVSTAMP := $(VENV)/.installed-dev

.PHONY: install install-dev demo test lint typecheck bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(PIP) install --quiet -e .
	touch $@

$(DEVSTAMP): pyproject.toml $(STAMP)
	$(PIP) install --quiet -e '.[dev]'
	touch $@

install: $(STAMP)

install-dev: $(DEVSTAMP)

DEMO_OUT := runs/demo
BENCH_ARGS ?=

demo: install
	@$(BIN)/codi lint demo/ --no-fail
	@mkdir -p $(DEMO_OUT)
	@$(BIN)/codi lint demo/ --no-fail --quiet --format json > $(DEMO_OUT)/lint.json
	@echo
	@echo "CODI linted the demo projects in demo/ (python, node, go, java): findings are above,"
	@echo "and as JSON in $(DEMO_OUT)/lint.json. Each demo's README.md lists its smells."

test: install-dev
	$(BIN)/python -m pytest

lint: install-dev
	$(BIN)/ruff check codi tests bench
	$(BIN)/mypy

bench: install-dev
	$(BIN)/python bench/lint_vs_hadolint.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .mypy_cache .ruff_cache
