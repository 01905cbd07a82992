"""Sentences in stored text that address a language model rather than a reader.

A transcript or a PDF can carry text written to steer an LLM that reads it
("Ignore your previous instructions and ..."). The generative prompt marks
passages as quoted data, but small models obey such text anyway, and the words
of an obeyed instruction are in the passage, so word overlap alone would call
the result supported. These sentences are therefore left out of what the model
reads and of what may support an answer sentence. The patterns are the generic
shapes of prompt injection (instructions about instructions, the model's role,
its prompt), not the wording of any document.
"""

from __future__ import annotations

import re

_PATTERNS = [
    r"\b(ignore|disregard|forget|override|bypass)\s+(all\s+)?(of\s+)?(your|all|any|the\s+(previous|prior|above|earlier|system|original))\s+"
    r"((previous|prior|above|earlier|system|original)\s+)?(instructions?|prompts?|rules|guidelines|directions)\b",
    r"\b(hidden|secret|updated)\s+(instructions?|system\s+prompt)\b",
    r"\bsystem\s+prompt\b",
    r"\byou\s+are\s+(now\s+)?(an?\s+)?(ai|assistant|language\s+model|llm|chatbot)\b",
    r"\b(assistant|ai|model|llm|chatbot)\s*[,:]\s*(you\s+must|always|never|respond|reply|answer|say|print|output)\b",
    r"\b(respond|reply|answer|output)\s+(only\s+)?with\s+(exactly|only|the\s+words?)\b",
    r"</?\s*(system|assistant|passages?|instructions?)\s*>",
]
_INJECTION = re.compile("|".join(f"(?:{p})" for p in _PATTERNS), re.IGNORECASE)


def addresses_a_model(sentence: str) -> bool:
    """True for a sentence shaped like an instruction to an AI model (what prompt injection looks like)."""
    return bool(_INJECTION.search(sentence))
