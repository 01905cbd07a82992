"""Text helpers that ingest and answers both use, knowing nothing of the store or search.

- `sentences.py`: sentence splitting and clean-verbatim (no "um", sound tags or stutters);
- `timecodes.py`: hh:mm:ss <-> seconds;
- `passage_lines.py`: a transcript passage's `Name: text` lines as turns;
- `quote_spans.py`: where a clean-verbatim quote sits in its verbatim passage;
- `prompt_injection.py`: sentences addressed to a language model;
- `question_speaker.py`: which speaker a question asks about, and the topic it asks about.
"""
