# Two entry points for a fresh clone: `make demo` and `make test`.
# Everything they need (venv, Python packages, Redis, a CJK font, poppler) is installed here.
PY      ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed
SYSSTAMP := $(VENV)/.system-deps
NBSTAMP := $(VENV)/.notebooks
# Debian packages: redis-server for distributed tests, a CJK font for charts,
# poppler-utils (pdftotext) as the fallback PDF extractor, chromium and chromium-driver for the
# report's browser check (headless).
APT_PKGS := redis-server fonts-wqy-microhei poppler-utils chromium chromium-driver

.PHONY: all demo lab test test-fast lint format bench system-deps venv clean

all: demo

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Then the lexicon stage's Numba loops are compiled into their cache (≈ 4 s, once), so the first
# build loads them instead (pipeline/analysis/warm.py).
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	$(BIN)/python -m policytrack.pipeline.analysis.warm
	touch $@

venv: $(STAMP)

# JupyterLab (the `notebooks` extra), to open the report's notebooks.
$(NBSTAMP): pyproject.toml | $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev,notebooks]'
	touch $@

# apt-get only when something is missing, so repeated runs stay offline and fast.
$(SYSSTAMP): Makefile | $(BIN)/python
	@missing=""; for p in $(APT_PKGS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing system packages:$$missing"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO="sudo"; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi
	touch $@

system-deps: $(SYSSTAMP)

demo: $(STAMP) $(SYSSTAMP) $(NBSTAMP)
	$(BIN)/policytrack demo

# The notebooks in JupyterLab, reading the demo's tables (run `make demo` first).
lab: $(NBSTAMP)
	POLICYTRACK_DATA=$(CURDIR)/demo-out/data $(BIN)/jupyter lab notebooks/

# Everything, end-to-end tests included (CI runs this; JupyterLab too, for the test that serves
# the notebooks).
test: $(STAMP) $(SYSSTAMP) $(NBSTAMP)
	$(BIN)/python -m pytest -n 2 --dist loadgroup -q

# The unit tests only (no corpus builds, servers or notebook runs): under a minute.
test-fast: $(STAMP) $(SYSSTAMP)
	$(BIN)/python -m pytest -n 2 --dist loadgroup -q -m "not slow"

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: $(STAMP) $(SYSSTAMP)
	for b in bench/*_bench.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache
