# panel-kb: `make demo` (set up, ingest the bundled corpus, search it), `make test`, `make bench`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: setup demo test bench clean

# The venv is rebuilt when pyproject.toml changes.
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

setup: $(VENV)/.installed

demo: setup
	$(BIN)/kb ingest corpus/
	$(BIN)/kb search "what do staff engineers do differently"

test: setup
	$(BIN)/python -m pytest

bench: setup
	$(BIN)/python benchmarks/ingest_throughput.py

clean:
	rm -rf $(VENV) .kb .pytest_cache
