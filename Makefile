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

demo: install
	@$(BIN)/codi lint demo/ --no-fail
	@echo
	@echo "CODI linted the demo projects in demo/ (python, node, go, java); findings are above."

test: install-dev
	$(BIN)/python -m pytest

lint: install-dev
	$(BIN)/ruff check codi tests bench
	$(BIN)/mypy

bench: install-dev
	$(BIN)/python bench/lint_vs_hadolint.py

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .mypy_cache .ruff_cache
