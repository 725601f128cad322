# Two entry points for a fresh machine:
#   make demo   set up, then run `datahub ingest -c recipes/mesh.yml` on the example mesh
#   make test   set up, then run ruff and mypy, then the whole test suite
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
PYTHON ?= python3

.PHONY: demo test lint setup setup-test system-test-deps clean

$(VENV)/.installed: setup.py
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -e '.[quality]'
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(PIP) install --quiet -e '.[test]'
	# The real OPA engine, as a test oracle only: its metadata asks for Python 3.14,
	# its wheel works on 3.10+.
	$(PIP) install --quiet --ignore-requires-python opa-golib-python-bindings==0.4.4
	touch $@

setup: $(VENV)/.installed

setup-test: $(VENV)/.installed-test system-test-deps

# docker-compose v1 validates compose files without an engine; chromium renders the audit report;
# postgresql is the warehouse the tests start and stop themselves.
system-test-deps:
	@if command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ]; then \
	  command -v docker-compose >/dev/null && command -v chromium >/dev/null && ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || \
	  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker-compose chromium postgresql >/dev/null; }; \
	else echo "skipping apt packages (need root + apt-get): docker-compose, chromium, postgresql"; fi

demo: setup
	$(VENV)/bin/datahub ingest -c recipes/mesh.yml; status=$$?; \
	  $(VENV)/bin/datahub-mesh domains; \
	  echo "exit status of datahub ingest: $$status (non-zero: some product was denied or invalid, see the report above)"

lint: $(VENV)/.installed-test
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy
	@awk 'length > 120 { print FILENAME ":" FNR ": over 120 columns (Regal line-length)"; bad = 1 } END { exit bad }' $$(find rego -name '*.rego')

test: setup-test lint
	$(PY) -m pytest -q tests

clean:
	rm -rf .datahub-mesh $(VENV)
