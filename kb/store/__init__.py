"""The store: Chroma (embedded or a server), who may open it, how it is written, and how its metadata reads.

- `chroma.py`: passages with vectors, one record per document, the store's generation and writing flag;
- `claim.py`: one process at a time opens an embedded store, and `kb serve` lends it to the others;
- `write_lock.py`, `write_protocol.py`, `write_batch.py`: one writer at a time; the replace and remove
  sequence readers never see half of; files written in large batches;
- `drafts.py`, `records.py`: what the write path takes; stored metadata <-> the contract's shapes;
- `read_cache.py`: what every search re-reads but only writes change.
"""
