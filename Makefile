# Two entry points for a fresh machine; each sets up .venv first if needed (pip >= 25.1 for --group).
#   make run    install everything, run the whole suite, write out/report.json
#   make test   install everything, run the tests
#   make lint   ruff and mypy over the repository (CI runs it before the tests)
PYTHON ?= python3.11
VENV ?= .venv
BIN = $(VENV)/bin
STAMP = $(VENV)/.installed

.PHONY: run test lint bench

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=25.1"
	$(BIN)/python -m pip install --quiet -e ".[all,docs]" --group test -c constraints.txt
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/conformance run --report out/report.json

test: $(STAMP)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python benchmarks/suite.py
	$(BIN)/python benchmarks/fuzz.py
	$(BIN)/python benchmarks/docs.py
