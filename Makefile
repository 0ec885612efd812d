# tradepipe — every command sets itself up: on a fresh machine `make run` and `make test` are all there is.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.synced-$(shell cat uv.lock pyproject.toml | sha1sum | cut -c1-12)
UV := $(shell command -v uv 2>/dev/null || echo .uv/bin/uv)
PYTEST_ARGS ?=
SERVE_CONFIG ?= deployments/paper.toml
# The browser test (slow) joins `make test` when Chromium is installed, and always on CI (which installs it).
ON_CI := $(filter true,$(CI))
BROWSER := $(if $(or $(ON_CI),$(wildcard /usr/bin/chromium)),or browser,)
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

export PREFECT_SERVER_ANALYTICS_ENABLED ?= false
export DO_NOT_TRACK ?= 1
export PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS ?= 180

.PHONY: help setup run test test-slow test-all lint format bench serve stop deploy chromium clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(UV):
	$(PYTHON) -m venv .uv && .uv/bin/pip install --quiet uv

$(STAMP): uv.lock pyproject.toml | $(UV)
	$(UV) sync --frozen --python $(PYTHON)
	rm -f $(VENV)/.synced-* && touch $@

setup: $(STAMP) ## create .venv with the locked versions (run and test do this themselves)

run: $(STAMP) ## one paper trading cycle on the simulated exchange (offline; SQLite, ephemeral Prefect, local Dask)
	$(BIN)/tradepipe run $(ARGS)

lint: $(STAMP) ## ruff + import rules + mypy
	$(BIN)/ruff check src tasks flows tests bench
	$(BIN)/ruff format --check src tasks flows tests bench
	$(BIN)/lint-imports
	$(BIN)/mypy

test: $(STAMP) lint $(if $(ON_CI),chromium) ## lint, then every test except the slow ones (PostgreSQL tests included)
	$(BIN)/pytest -m "not slow $(BROWSER)" -q $(PYTEST_ARGS)

test-slow: $(STAMP) ## only the slow tests: the 200-cycle soak, the kill gauntlets, the long crash harness
	$(BIN)/pytest -m "$(if $(BROWSER),slow,slow and not browser)" -q $(PYTEST_ARGS)

test-all: $(STAMP) lint ## every test, slow ones too
	$(BIN)/pytest -q $(PYTEST_ARGS)

format: $(STAMP) ## apply ruff's fixes and formatting
	$(BIN)/ruff check --fix src tasks flows tests bench
	$(BIN)/ruff format src tasks flows tests bench

bench: $(STAMP) ## benchmarks → bench/results.json (BENCH_QUICK=1 for a smoke run)
	$(BIN)/python -m bench.run --out bench/results.json

serve: $(STAMP) ## standing Prefect server (UI :4200) + process work pool + deployments + worker + metrics (:9464)
	$(BIN)/tradepipe serve start --config $(SERVE_CONFIG) $(ARGS)

stop: $(STAMP) ## stop what `make serve` started (the worker gets SIGINT)
	$(BIN)/tradepipe serve stop --config $(SERVE_CONFIG)

deploy: $(STAMP) ## re-register the deployments in prefect.yaml with the running server
	PREFECT_API_URL=$${PREFECT_API_URL:-http://127.0.0.1:4200/api} TRADEPIPE_HOME=$(CURDIR) \
		$(BIN)/prefect --no-prompt deploy --all

chromium: ## Debian's chromium + chromium-driver for the browser test (only when missing)
	@test -x /usr/bin/chromium && test -x /usr/bin/chromedriver || { $(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends chromium chromium-driver; }

clean: ## remove state, caches and the venv
	rm -rf state .venv .uv .pytest_cache .ruff_cache bench/results.json
