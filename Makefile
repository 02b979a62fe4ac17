# The two commands a person needs: `make serve` and `make test`. CI runs `make test`.
# `make serve` installs the runtime only (seconds); `make test` adds the dev tools.
# `make serve PORT=9000 HOST=localhost` picks the address; `make dist` builds a wheel and sdist.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
RUNTIME := $(VENV)/.installed-runtime
STAMP := $(VENV)/.installed
PORT ?= 8080
HOST ?= 127.0.0.1

.PHONY: serve test lint typecheck pytest bench dist clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# --no-compile: the first start compiles what the server imports, a fraction of the whole.
$(RUNTIME): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet --no-compile -e .
	touch $(RUNTIME)

# The dev extra includes the runtime, so it stands for both stamps.
$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP) $(RUNTIME)

serve: $(RUNTIME)
	$(BIN)/okc-sim serve --demo --host $(HOST) --port $(PORT)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP)
	$(BIN)/python -m pytest

test: lint typecheck pytest

bench: $(STAMP)
	$(BIN)/python bench/run_all.py

dist: $(STAMP)
	rm -rf dist
	$(BIN)/python -m build --outdir dist .

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .mypy_cache .ruff_cache .hypothesis
