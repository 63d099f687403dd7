# citykg: two commands do everything.
#   make run    set up .venv (every extra), build the graph, run a showcase of stored queries, publish dumps to dist/
#   make test   set up .venv, run ruff, mypy and the test suite but its slow set (two processes)
#   make test-slow   the slow set (wheel install, full publishes and pushes, Virtuoso, README examples); CI runs both
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.citykg-installed

.PHONY: setup run test test-slow lint typecheck pytest pytest-slow bench docs clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[all,dev]'
	touch $(STAMP)

run: setup
	$(VENV)/bin/citykg build
	$(VENV)/bin/citykg query --list
	$(PY) -m citykg.showcase
	$(VENV)/bin/citykg publish --out dist
	@echo "release written to dist/ (dumps, VoID, DCAT, ontology docs, SHA256SUMS)"

lint: setup
	$(VENV)/bin/citykg lint
	$(VENV)/bin/ruff check citykg tests bench scripts
	$(VENV)/bin/ruff format --check citykg

typecheck: setup
	$(VENV)/bin/mypy

pytest: setup
	$(VENV)/bin/pytest -n 2 --dist loadgroup --durations=30 -m "not slow"

pytest-slow: setup
	$(VENV)/bin/pytest -n 2 --dist loadgroup --durations=30 -m slow

test: lint typecheck pytest

test-slow: pytest-slow

bench: setup
	$(PY) bench/bench_store.py
	$(PY) bench/bench_reasoning.py
	$(PY) bench/bench_validation.py
	$(PY) bench/bench_server.py
	$(PY) bench/bench_linking.py
	$(PY) bench/bench_report.py

docs: setup
	$(VENV)/bin/citykg docs

clean:
	rm -rf dist build .pytest_cache .mypy_cache .ruff_cache
