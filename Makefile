# Two commands do everything on a fresh machine with Python >= 3.11 and make:
#   make demo   set up .venv, then synthesise a dataset, train, predict and score it
#   make test   set up .venv, then lint (ruff, mypy, import contracts) and run the whole test suite
# and for contributors:
#   make lint       ruff check + mypy + lint-imports (all configured in pyproject.toml)
#   make test-fast  unit tests not marked slow, with every module's doctests (under a minute)
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: setup demo lint test test-fast bench clean

setup: $(STAMP)

# torch is pinned to 2.13.0 (the CPU build on this disk); never let CI pull a CUDA build.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet "torch==2.13.0"
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/mabe demo --out demo_run

# All three checks run and report even when an earlier one fails; the target fails if any did.
# Import contracts live in [tool.importlinter] of pyproject.toml (docs/architecture.md).
lint: $(STAMP)
	@status=0; \
	echo "$(BIN)/ruff check ."; $(BIN)/ruff check . || status=1; \
	echo "$(BIN)/mypy"; $(BIN)/mypy || status=1; \
	echo "$(BIN)/lint-imports"; $(BIN)/lint-imports || status=1; \
	exit $$status

# Lint first (seconds), then every test: unit, doctests, CLI, end-to-end, fuzz (slow ones too).
test: lint
	$(BIN)/python -m pytest -q

# The quick loop while editing: unit tests not marked slow, doctests included.
test-fast: $(STAMP)
	$(BIN)/python -m pytest -q -m "not slow" tests/unit

bench: $(STAMP)
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf $(VENV) demo_run .pytest_cache
