"""The keyword side: BM25 over the live passages, ours because Chroma's is cloud-only.

- `tokens.py`: the words BM25 counts (stemmed, stop words out);
- `postings.py`: the engine (exact BM25 through adds and tombstones);
- `index_file.py`: its `.npz` file under KB_DATA_DIR;
- `index.py`: the index as a retrieval side (prepare, top under filters, scores_of) and a catalogue of
  where each passage sits;
- `store_sync.py`: kept in step with the store it indexes;
- `term_weights.py`: idf, for weighing answer sentences by the question's rare words.
"""
