# The two commands of the README: `make run` and `make test`. Everything they need is
# installed here, so that a fresh clone (and CI) needs nothing done by hand.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/pip -q --disable-pip-version-check

.PHONY: run test bench lock chromium postgres wrk valgrind clean help

help:
	@echo "make run    — install, generate the demo district on first run, sync, serve http://127.0.0.1:8000"
	@echo "make test   — install test dependencies (and Chromium) and run the whole suite"
	@echo "make bench  — run the benchmarks under bench/"
	@echo "make lock   — recompile requirements.txt and requirements-dev.txt from the .in files"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --upgrade pip

$(VENV)/.installed: requirements.txt pyproject.toml | $(BIN)/python
	$(PIP) install -r requirements.txt
	$(PIP) install --no-deps -e .
	touch $@

$(VENV)/.installed-dev: requirements-dev.txt $(VENV)/.installed
	$(PIP) install -r requirements-dev.txt
	touch $@

# Debian's Chromium for the browser test (Playwright drives the system browser).
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium for the browser test"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

# Debian's PostgreSQL server for tests/postgres/ (each run starts a throwaway cluster of its
# own; the system cluster the package may start on 5432 is not used).
postgres:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1 || { \
	  echo "installing Debian's postgresql for the PostgreSQL tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; }

run: $(VENV)/.installed
	$(BIN)/python -m sync_service run

test: $(VENV)/.installed-dev chromium postgres
	$(BIN)/ruff check --quiet .
	$(BIN)/python -m pytest -q -n 2 --dist loadscope

# The lock files: requirements.in / requirements-dev.in name what Svod uses; pip-tools pins
# every transitive dependency into requirements.txt / requirements-dev.txt.
LOCK := $(BIN)/pip-compile -q --strip-extras --no-emit-index-url --no-emit-find-links
lock: $(VENV)/.installed-dev
	$(LOCK) --output-file requirements.txt requirements.in
	$(LOCK) --output-file requirements-dev.txt requirements-dev.in

# Debian's wrk for bench/web_bench.py.
wrk:
	@command -v wrk >/dev/null 2>&1 || { \
	  echo "installing Debian's wrk for the web benchmark"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }

# Debian's valgrind for bench/core_instructions.py (callgrind counts instructions).
valgrind:
	@command -v valgrind >/dev/null 2>&1 || { \
	  echo "installing Debian's valgrind for the instruction counts"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq valgrind >/dev/null; }

bench: $(VENV)/.installed-dev wrk valgrind
	for script in bench/*.py; do $(BIN)/python $$script || exit 1; done

clean:
	rm -rf var .pytest_cache
