# The two commands: `make run` sets everything up and starts Tessera; `make test` sets
# everything up and runs every check and test. Both are safe to repeat.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STATIC := src/tessera/static/index.html
WEB_SOURCES := $(shell find web/src -type f 2>/dev/null) web/index.html web/vite.config.ts web/tsconfig.json

.PHONY: run test setup system-deps python-check templates lint typecheck webtest pytest bench clean proto

run: setup
	$(BIN)/tessera serve

test: setup lint typecheck webtest pytest

setup: system-deps python-check $(VENV)/.installed $(STATIC) templates

python-check:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' \
	  || { echo "Tessera needs Python 3.11 or newer (found: $$($(PYTHON) --version))."; exit 1; }
	@command -v node >/dev/null && command -v npm >/dev/null \
	  || { echo "Tessera needs Node.js 20+ and npm on PATH."; exit 1; }

# Debian packages: bubblewrap (sandbox isolation), chromium (end-to-end tests),
# python3-venv (the Python template's environment is made from the system's Python), and
# what E2B's sandbox images have that sandboxes see from this machine's /usr: git, `python`,
# setfattr (attr).
system-deps:
	@missing=""; \
	command -v bwrap >/dev/null || missing="$$missing bubblewrap"; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	command -v git >/dev/null || missing="$$missing git"; \
	[ -x /usr/bin/python ] || missing="$$missing python-is-python3"; \
	command -v setfattr >/dev/null || missing="$$missing attr"; \
	/usr/bin/python3 -c 'import ensurepip' 2>/dev/null || missing="$$missing python3-venv"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Installing:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else \
	    echo "Missing Debian packages:$$missing (install them with: sudo apt-get install$$missing)"; \
	  fi; \
	fi

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

web/node_modules/.installed: web/package.json web/package-lock.json
	cd web && npm ci --no-audit --no-fund
	touch $@

$(STATIC): web/node_modules/.installed $(WEB_SOURCES)
	cd web && npm run build

templates: $(VENV)/.installed
	$(BIN)/tessera templates warm

lint: $(VENV)/.installed
	$(BIN)/ruff check src tests bench scripts
	$(BIN)/ruff format --check src tests bench scripts

typecheck: $(VENV)/.installed
	$(BIN)/mypy

webtest: web/node_modules/.installed
	cd web && npm test

pytest: $(VENV)/.installed
	$(BIN)/pytest

bench: setup
	$(BIN)/python -m bench.run_all

# Regenerates envd's stubs (src/tessera/envd/proto) from its pinned .proto definitions.
proto: $(VENV)/.installed
	$(BIN)/python scripts/generate_envd_stubs.py

clean:
	rm -rf $(VENV) web/node_modules src/tessera/static
