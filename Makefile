# Two commands do all the set-up on a fresh machine:
#   make test   create .venv, install the project with its dev extras, run ruff, mypy and the tests
#   make demo   create .venv, install, and run the end-to-end demo on small defaults
# Torch (extra "agent") must be installed as the pinned CPU wheel BEFORE the project, or pip pulls CUDA.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PYTEST_ARGS ?= -m "not slow"

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: test test-all demo bench lint clean coq chromium wheel-smoke compiler native-check

# A C compiler builds the native node type (equations/_native.c); without one the package installs and
# runs in pure Python, but the tests expect the native build (native-check) and run the core in both.
compiler:
	@command -v cc >/dev/null || { $(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq gcc libc6-dev >/dev/null; }

native-check: $(STAMP)
	@$(BIN)/python -c "import sys, equations.expr as e; sys.exit(0 if e.NATIVE else \
		'the native node type is not built: reinstall with a C compiler (make compiler)')"

# The core's tests again on the pure-Python fallback (EQUATIONS_PURE_PYTHON=1), which must behave the same.
PURE_TESTS := tests/test_expressions.py tests/test_matching.py tests/test_tactics.py tests/test_adversarial.py \
	tests/test_soundness.py tests/test_proof_replay.py tests/test_verification.py tests/test_rules.py \
	tests/test_envs.py

# setup.py and the C source too: an editable install builds the native extension once, in place
$(STAMP): pyproject.toml setup.py equations/_native.c | compiler
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q torch==2.13.0   # the CPU wheel, before the project (else pip pulls CUDA builds)
	$(BIN)/python -m pip install -q -e ".[dev,rl,data,agent,train]"
	touch $(STAMP)

# Coq 8.16 checks the exported proofs (tests and demo); Debian packages, about 30 s on a fresh machine.
coq:
	@command -v coqc >/dev/null || { $(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq coq libcoq-stdlib >/dev/null; }
	@coqc --version | head -1

# Headless Chromium and its WebDriver run the viewer's browser tests (tests/test_viewer_browser.py); Debian
# packages, about 1 minute on a fresh machine. Selenium drives the local chromedriver: nothing is downloaded.
chromium:
	@{ command -v chromium && command -v chromedriver; } >/dev/null || { $(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium chromium-driver >/dev/null; }
	@chromium --version 2>/dev/null | head -1

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy

test: lint coq chromium native-check
	$(BIN)/pytest -q $(PYTEST_ARGS)
	EQUATIONS_PURE_PYTHON=1 $(BIN)/pytest -q $(PYTEST_ARGS) $(PURE_TESTS)

test-all: lint coq chromium native-check
	$(BIN)/pytest -q
	EQUATIONS_PURE_PYTHON=1 $(BIN)/pytest -q $(PURE_TESTS)

# Build the wheel, install it with [rl] in a fresh venv outside the checkout, and use it (CI runs this).
wheel-smoke: coq compiler
	bash scripts/wheel_smoke.sh $(PYTHON)

demo: $(STAMP) coq
	$(BIN)/python examples/demo.py --out runs/demo

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_core.py

clean:
	rm -rf $(VENV) runs .pytest_cache .mypy_cache .ruff_cache .hypothesis
