"""Which speaker a question asks about: "what did Maya Chen say about glue work?" -> Maya Chen.

A name alone is not enough: meeting roles double as topics ("the user interface",
"marketing"), so the question must also ask what someone said, thinks or advises.
The name must be a speaker the store knows, matched whole and case-blind; the
longest one wins ("Maya Chen" over a speaker called "Maya").
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

ASKS_WHAT_SOMEONE_SAID = re.compile(
    r"\b(say|says|said|saying|think|thinks|thought|suggest\w*|recommend\w*|mention\w*|argu\w*|believe\w*|feel|feels|felt|"
    r"propos\w*|talk\w*|spoke|speak\w*|views?|opinions?|advice|advis\w*|according|position|stance|take|explain\w*|describ\w*)\b",
    re.IGNORECASE,
)


def speaker_named_in(question: str, speakers: Callable[[], Iterable[str]]) -> str | None:
    """`speakers` is asked only when the question asks for someone's words (listing them reads every record)."""
    if not ASKS_WHAT_SOMEONE_SAID.search(question):
        return None
    lowered = question.lower()
    named = [name for name in speakers() if len(name) >= 3 and re.search(rf"(?<!\w){re.escape(name.lower())}(?!\w)", lowered)]
    return max(named, key=len) if named else None


QUESTION_WORDS = re.compile(
    r"\b(what|who|whom|whose|when|where|why|how|which|does|do|did|is|are|was|were|has|have|had|can|could|would|should|will|"
    r"about|on|of|the|a|an|to|in|for|regarding|with|any|anything|ever|there|and|or|that|this|these|those|when|while|during|"
    r"towards?|he|she|his|her|they|them|their|it|its|summari[sz]e|discuss\w*|discussion|reflect\w*|presenting|mentioned)\b",
    re.IGNORECASE,
)


def topic_of(question: str, speaker: str) -> str:
    """The question without the speaker's name and the asking words: what it wants them to have said."""
    without_name = re.sub(rf"(?<!\w){re.escape(speaker)}(?:'s)?(?!\w)", " ", question, flags=re.IGNORECASE)
    return " ".join(QUESTION_WORDS.sub(" ", ASKS_WHAT_SOMEONE_SAID.sub(" ", without_name)).split())
