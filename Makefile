# Distill: the two commands that matter are `make demo` and `make test`.
#
#   make demo       venv + package with all extras; runs the tour notebook on the bundled
#                   sample and prints it; then opens JupyterLab on notebooks/ when there is a
#                   display (HEADLESS=1 never opens it)
#   make test       venv + dev extras + system packages (as root), then lint, types, the
#                   whole test suite (unit, doctests, notebooks, browser, Elasticsearch,
#                   service), the core suite again on Python 3.10 with pandas 2 (the oldest
#                   supported; skipped with a message where there is no 3.10), and the docs
#                   build with warnings as errors
#   make bench      benchmarks (not part of `make test`); BENCH_ARGS="--quick" for a smoke run;
#                   peers (pm4py, retentioneering, Flagon Distill) in .venv-bench* via make bench-peers

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip
STAMP := $(VENV)/.distill-installed
PYTEST_ARGS ?=
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: demo demo-headless lab test test-oldest check lint typecheck pytest docs bench bench-peers wheel system-deps install clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

$(STAMP): pyproject.toml setup.py | $(BIN)/python
	$(PIP) install --quiet -e ".[all,dev,docs]"
	touch $(STAMP)

install: $(STAMP)

# Debian packages the browser and HTTPS tests use; installed only when running as root
system-deps:
	@if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
	  missing=""; \
	  command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	  command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing="$$missing nginx"; \
	  if [ -n "$$missing" ]; then \
	    echo "installing Debian packages:$$missing"; \
	    DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing fonts-dejavu-core >/dev/null; \
	  fi; \
	else \
	  echo "not root (or no apt-get): browser tests need chromium and HTTPS tests need nginx; they skip if missing"; \
	fi

demo: $(STAMP)
	$(BIN)/jupyter nbconvert --to markdown --execute --stdout notebooks/01-tour.ipynb 2>/dev/null
	@if [ -z "$(HEADLESS)" ] && { [ -n "$$DISPLAY" ] || [ "$$(uname)" = "Darwin" ]; }; then \
	  $(BIN)/jupyter lab notebooks/; \
	else \
	  echo; echo "(no display or HEADLESS set: tour printed above; 'make lab' opens JupyterLab on notebooks/)"; \
	fi

demo-headless:
	$(MAKE) demo HEADLESS=1

lab: $(STAMP)
	$(BIN)/jupyter lab notebooks/

lint: $(STAMP)
	$(BIN)/ruff check $(wildcard distill tests benchmarks)
	$(BIN)/ruff format --check $(wildcard distill tests benchmarks)

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP) system-deps
	$(BIN)/python -m playwright --version >/dev/null
	$(BIN)/pytest $(PYTEST_ARGS)
	$(BIN)/pytest --nbval-lax notebooks -p no:cacheprovider $(PYTEST_ARGS)

docs: $(STAMP)
	rm -rf docs/_build docs/api/generated
	$(BIN)/sphinx-build -W --keep-going -n -b html docs docs/_build/html

# The oldest Python and pandas we support (3.10, pandas 2.x): the core suite in its own venv.
PYTHON_OLDEST ?= $(shell for p in $$HOME/.pyenv/versions/3.10*/bin/python /usr/bin/python3.10 /usr/local/bin/python3.10 python3.10; do \
	  "$$p" -c "import sys; assert sys.version_info[:2] == (3, 10)" >/dev/null 2>&1 && { echo "$$p"; break; }; done)
VENV_OLDEST := .venv-oldest

test-oldest:
	@if [ -z "$(PYTHON_OLDEST)" ]; then echo "python3.10 not found: skipping the oldest-supported-versions run"; exit 0; fi; \
	if [ ! -x $(VENV_OLDEST)/bin/python ]; then $(PYTHON_OLDEST) -m venv $(VENV_OLDEST); fi; \
	$(VENV_OLDEST)/bin/python -m pip install --quiet -e ".[dev,service,widgets,elasticsearch,opensearch]" && \
	$(VENV_OLDEST)/bin/python -c "import sys, pandas; print('oldest run: Python', sys.version.split()[0], 'pandas', pandas.__version__)" && \
	$(VENV_OLDEST)/bin/pytest -q -p no:cacheprovider -m "not browser and not elasticsearch and not slow" \
	  --ignore=tests/test_sources_elasticsearch.py --ignore=tests/test_aggregates.py --ignore=tests/test_docs.py

test: lint typecheck pytest test-oldest docs

check: test

# peers run in their own environments (they pin other pandas/numpy); a failed install only
# means the benchmark runs without them and says so
.venv-bench/.installed: benchmarks/requirements-peers.txt
	$(PYTHON) -m venv .venv-bench
	.venv-bench/bin/python -m pip install --quiet -r benchmarks/requirements-peers.txt
	touch $@

.venv-bench-flagon/.installed: benchmarks/requirements-flagon.txt
	$(PYTHON) -m venv .venv-bench-flagon
	.venv-bench-flagon/bin/python -m pip install --quiet -r benchmarks/requirements-flagon.txt
	touch $@

bench-peers:
	-@$(MAKE) --no-print-directory .venv-bench/.installed .venv-bench-flagon/.installed || \
	  echo "peer environments could not be installed: make bench measures Distill alone"

bench: $(STAMP) bench-peers
	$(BIN)/python -m benchmarks $(BENCH_ARGS)

wheel: $(STAMP)
	$(BIN)/python -m build --wheel --outdir dist .

clean:
	rm -rf $(VENV) .venv-bench .venv-bench-flagon build dist *.egg-info docs/_build test-output .pytest_cache .mypy_cache .ruff_cache
