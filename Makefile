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
# pip runs without --quiet; its "Collecting" lines become a counter ("12/97 web3"), redrawn in
# place on a terminal, so a first install (a minute or two) shows progress, not a screenful.
$(PY_STAMP): requirements.lock pyproject.toml
	@test -x $(BIN)/python || { echo "setup: creating the Python environment in $(VENV)"; $(PYTHON) -m venv $(VENV); }
	@total=$$(grep -c '==' requirements.lock); \
	echo "setup: installing $$total pinned Python packages (requirements.lock)"; \
	tty=0; [ -t 1 ] && tty=1; \
	set -o pipefail; $(BIN)/pip install --disable-pip-version-check --progress-bar off -r requirements.lock \
	  | awk -v total=$$total -v tty=$$tty \
	    '/^Collecting /{n++; if (tty) printf "\r  %d/%d %-40s", n, total, $$2; \
	                         else printf "  %d/%d %s\n", n, total, $$2; fflush(); next} \
	     /^Successfully installed/{if (tty) printf "\n"; print "  installed " NF-2 " packages"}'
	@echo "setup: installing aiweb3 itself (editable)"
	@$(BIN)/pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	@touch $@

$(NPM_STAMP): package-lock.json
	@echo "setup: installing the pinned npm tools (anvil, solc-js, OpenZeppelin)"
	@npm ci --no-audit --no-fund --loglevel=error
	@touch $@

run: setup
	@echo "starting aiweb3 (node, contracts, API, dashboard)..."
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
