# Two entry points for a fresh machine; each sets up .venv first if needed (pip >= 25.1 for --group).
#   make run    install everything, run the whole suite, write out/report.json
#   make test   install everything, run the tests (in parallel)
#   make lint   ruff (format and lint) and mypy over the repository (CI runs it before the tests)
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

# In parallel, one pytest worker per core (pytest-xdist), each test module on one worker (its module fixtures are
# built once); the slowest tests are listed at the end.
test: $(STAMP)
	$(BIN)/python -m pytest -n auto --dist loadscope --durations=15

lint: $(STAMP)
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python benchmarks/suite.py
	$(BIN)/python benchmarks/fuzz.py
	$(BIN)/python benchmarks/directional.py
	$(BIN)/python benchmarks/docs.py
