"""Search: both retrieval sides, fused, smoothed, ordered, then shaped into cited results.

- `side.py`: the one shape both sides share; `dense_side.py`: meaning (Chroma's nearest vectors);
  the keyword side is kb/bm25/index.py;
- `fusion.py`: candidates and their fused score, smoothing along transcripts;
- `learned_order.py`: boosted trees (kb/boosted_trees.py) that re-order a search within one document;
- `results.py`: neighbours merged, one document's share capped, each result as a `Passage`;
- `searcher.py`: the orchestration, text fetched last and only for results.
"""
