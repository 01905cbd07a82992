"""Answers: the passages a question finds, turned into a short answer whose every sentence cites one.

- `asker.py`: ask and stream; which writer answers; the fallback from a generative answer;
- shared by both kinds of answer: `units.py` (quotable units), `quotes.py` (a unit as a citation's
  `Quote`), `speaker_scope.py`, `relevance.py` (the "nothing relevant" gate), `markers.py` ([n]);
- extractive: `composer.py` (the shape), `extractive.py` (scoring, picking, rendering),
  `learned_scores.py` (optional trees re-weighting the sentence score);
- generative: `generative.py` (the flow), `prompt.py`, `llm_client.py` (an OpenAI-compatible server),
  `verification.py` (every written sentence checked against the passage it cites).
"""
