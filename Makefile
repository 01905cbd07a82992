# panel-kb: `make demo` (set up, ingest the bundled corpus, search it), `make test`, `make bench`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: setup demo test bench eval clean

# The venv is rebuilt when pyproject.toml changes.
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

setup: $(VENV)/.installed

# The main job: ingest the bundled corpus, show one answer, then serve the API on :8000.
demo: setup
	$(BIN)/kb ingest corpus/
	$(BIN)/kb ask "what do staff engineers do differently"
	$(BIN)/kb serve --host 127.0.0.1 --port 8000

test: setup
	$(BIN)/python -m pytest

bench: setup
	$(BIN)/python benchmarks/ingest_throughput.py

# Retrieval and answer quality on ../shared/eval (skipped when absent), plus the corpus questions.
eval: setup
	$(BIN)/python benchmarks/qmsum_eval.py
	$(BIN)/python benchmarks/scifact_eval.py
	$(BIN)/python benchmarks/answers_eval.py

clean:
	rm -rf $(VENV) .kb .pytest_cache
