# panel-kb: `make demo` (set up, ingest the bundled corpus, search it), `make test`, `make bench`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: setup demo serve browser lint quick test bench scale eval train-answers train-passages crash load clean

# The venv is rebuilt when pyproject.toml changes.
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

setup: $(VENV)/.installed

# The main job: ingest the bundled corpus, show one answer, then serve the API, the search page
# and the widget on http://127.0.0.1:8000.
demo: setup
	$(BIN)/kb ingest corpus/
	$(BIN)/kb ask "what do staff engineers do differently"
	$(BIN)/kb serve --host 127.0.0.1 --port 8000

serve: setup
	$(BIN)/kb serve --host 127.0.0.1 --port 8000

# Debian's chromium for the browser tests (tests/test_web.py). Installing needs root or sudo;
# without either, the browser tests are skipped with a message saying so.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium >/dev/null; \
	  elif command -v sudo >/dev/null 2>&1; then sudo apt-get update -qq && sudo apt-get install -y -qq chromium >/dev/null; \
	  else echo "chromium is not installed and cannot be installed here: the browser tests will be skipped"; fi; }

# Style and types (ruff and mypy, configured in pyproject.toml); part of `make test`.
lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# The fast tier for iterating: no long reliability runs (slow) and no Chroma-server variants (server);
# the real model, real HTTP and the browser stay. `make test` runs everything.
quick: setup lint
	$(BIN)/python -m pytest -q -m "not slow and not server"

test: setup browser lint
	$(BIN)/python -m pytest

# The long reliability runs (short versions run in `make test`): 20 SIGKILLed ingests, then the load mix.
crash: setup
	PANEL_KB_KILLS=20 $(BIN)/python -m pytest -q tests/test_crash_safety.py

load: setup
	PANEL_KB_LOAD_REQUESTS=5000 $(BIN)/python -m pytest -q -s tests/test_load.py

bench: setup
	$(BIN)/python benchmarks/ingest_throughput.py

# Ingest, query latency, memory and throughput at 1k / 10k / 100k passages, embedded and server mode (~30 min).
scale: setup
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	$(BIN)/python benchmarks/scale.py

# Retrieval and answer quality on ../shared/eval (skipped when absent), plus the corpus questions.
eval: setup
	$(BIN)/python benchmarks/qmsum_eval.py
	$(BIN)/python benchmarks/scifact_eval.py
	$(BIN)/python benchmarks/answers_eval.py

# Answer-sentence model: candidates and labels from QMSum train and val, then trees fitted on train, judged on val.
train-answers: setup
	$(BIN)/python -m pip install --quiet -e '.[train]'
	$(BIN)/python benchmarks/answer_data.py val
	$(BIN)/python benchmarks/answer_data.py train
	$(BIN)/python benchmarks/train_answer_model.py

# Passage-order model (kb/data/passage_model.npz): QMSum train and SciFact's even half train, QMSum val and SciFact's odd half judge.
train-passages: setup
	$(BIN)/python -m pip install --quiet -e '.[train]'
	$(BIN)/python benchmarks/train_passage_model.py --save

clean:
	rm -rf $(VENV) .kb .pytest_cache
