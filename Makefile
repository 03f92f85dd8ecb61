# Two commands do all the set-up on a fresh machine:
#   make test   create .venv, install the project with its dev extras, run ruff, mypy and the tests
#   make demo   create .venv, install, and run the end-to-end demo on small defaults
# Torch (extra "agent") must be installed as the pinned CPU wheel BEFORE the project, or pip pulls CUDA.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PYTEST_ARGS ?= -m "not slow"

.PHONY: test test-all demo bench lint clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e ".[dev,rl,data]"
	touch $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy

test: lint
	$(BIN)/pytest -q $(PYTEST_ARGS)

test-all: lint
	$(BIN)/pytest -q

demo: $(STAMP)
	$(BIN)/python examples/demo.py --out runs/demo

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_core.py

clean:
	rm -rf $(VENV) runs .pytest_cache .mypy_cache .ruff_cache .hypothesis
