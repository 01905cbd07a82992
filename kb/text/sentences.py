"""Sentence splitting good enough for talk and prose, without a model download."""

from __future__ import annotations

import itertools
import re

_ABBREVIATIONS = {"mr", "mrs", "ms", "dr", "prof", "st", "jr", "sr", "vs", "etc", "e.g", "i.e", "cf", "no", "fig", "approx"}
_BOUNDARY = re.compile(r"(?<=[.!?…])[\"'”’)\]]*\s+(?=[\"'“‘(\[]?[A-Z0-9])")


def split_sentences(text: str) -> list[str]:
    """Split at sentence ends followed by a capital or digit, not after common abbreviations."""
    sentences: list[str] = []
    start = 0
    for match in _BOUNDARY.finditer(text):
        candidate = text[start : match.start()].rstrip()
        last_word = candidate.rsplit(None, 1)[-1].rstrip(".").lower() if candidate.split() else ""
        if last_word in _ABBREVIATIONS or (len(last_word) == 1 and last_word.isalpha()):
            continue
        sentences.append(text[start : match.end()].strip())
        start = match.end()
    tail = text[start:].strip()
    if tail:
        sentences.append(tail)
    return [s for s in sentences if s]


# Sounds a captioner names instead of words: (applause), [Laughter], (APPLAUSE), [MUSIC PLAYING], (audience laughs),
# [ Short Break ]. A tag holds nothing but such names: "(music matters too)" is prose and stays.
_SOUND_WORD = (
    r"(?:applause|applauding|applauds|laughter|laughs|laughing|music|inaudible|crosstalk|silence|cheering|cheers|coughs?|coughing"
    r"|chuckles?|chuckling|indistinct|sighs?|pause|background noise|foreign|unintelligible|audio cuts out|groans?|gasps?"
    r"|murmurs?|murmuring|whistles?|whistling|static|beeps?|clears throat|(?:short )?break)"
)
_SOUND_ONLY = (
    rf"(?:audience\s+)?{_SOUND_WORD}(?:\s*(?:and|&|,)\s*(?:audience\s+)?{_SOUND_WORD})*"
    r"(?:\s+(?:playing|plays|continues|fades(?: out)?|in the background))?\s*[.!]?"
)
_NAMED_SOUND = rf"\(\s*{_SOUND_ONLY}\s*\)|\[\s*{_SOUND_ONLY}\s*\]|♪+[^♪\n]{{0,200}}♪+|♪"
# In written documents: only an audience's sounds named whole ("(applause)", "[Laughter]", "♪ ... ♪"): written text
# has "[sic]", "[1]", "(static)", "(pause)", a "[Music](https://...)" link and a lone "♪" that are words.
_AUDIENCE_SOUND = (
    r"(?:audience\s+)?(?:applause|laughter|laughs|laughing|music(?:\s+playing)?|inaudible|crosstalk|cheering|cheers|short break)\s*[.!]?"
)
_NAMED_SOUND_TAG = re.compile(rf"\(\s*{_AUDIENCE_SOUND}\s*\)|\[\s*{_AUDIENCE_SOUND}\s*\](?!\()|♪+[^♪\n]{{1,200}}♪+|^\s*♪+\s*$", re.IGNORECASE)
# In transcripts, every transcription mark: {vocalsound}, [inaudible 00:01:02], [Slide 3], and named sounds with a
# note after them ("(laughter from the back)"). A parenthesis is a sound only when it names one: "(and this matters)" stays.
_SOUND_TAG = re.compile(
    rf"{_NAMED_SOUND}|\{{[^{{}}\n]{{1,40}}\}}|\[[A-Za-z][A-Za-z0-9 :.-]{{0,40}}\]|\((?:{_SOUND_WORD})[^()\n]{{0,30}}\)",
    re.IGNORECASE,
)


def strip_sound_tags(text: str) -> str:
    """`text` without named sound tags ("(applause)", "[Laughter]", "♪ ... ♪"), each line's spaces tidied.

    Captions name sounds between the words; a reader quoting or a model embedding a
    passage wants the words. Used for written documents (a transcript saved as an essay
    keeps its "(applause)" lines), so only an audience's sounds named whole go: "(static)"
    or "[Music](link)" in an essay are words. The stored text keeps them all.
    """
    if not _MAY_HOLD_TAG.search(text):
        return text
    return "\n".join(" ".join(_NAMED_SOUND_TAG.sub(" ", line).split()) for line in text.split("\n"))


_MAY_HOLD_TAG = re.compile(r"[(\[♪]")
# Hesitation sounds a listener does not hear as words (clean-verbatim quoting drops them).
_HESITATION = re.compile(r"(?<![\w'-])(?:u+[hm]+|e+r+m+|h+m+|m+-?h?m+|mm-hmm|uh-huh)(?![\w'-])[,]?", re.IGNORECASE)
_REPEAT = re.compile(r"\b((?!(?:that|had)\b)\w+(?:'\w+)?(?:\s+\w+(?:'\w+)?)?)(?:\s+\1\b)+", re.IGNORECASE)  # "that that", "had had" can be meant
# A word broken off and restarted: "th- the", "I- I", "re- re-design" (a cut-off ending in a hyphen, right
# before a word that starts with it). A lone letter ("w want") is left: "vitamin c counts" looks the same.
_FALSE_START = re.compile(r"(?<![\w'-])(\w{1,4})-\s+(?=\1)", re.IGNORECASE)
_DETACHED_CONTRACTION = re.compile(r"(\w)\s+('(?:s|re|ve|ll|d|m|t)|n't)\b", re.IGNORECASE)
_WORD = re.compile(r"\w+")
_SPACE_BEFORE_PUNCTUATION = re.compile(r"\s+([,.!?;:])")
# Discourse fillers set off by commas: "So, you know, we ..." opens with them; ", like," and ", I mean," are asides.
_LEADING_FILLERS = re.compile(r"(?:(?<=^)|(?<=[.;!?]\s))(?:(?:you know|i mean|well|so|okay|ok|yeah|oh|right)\s*,\s*)+(\w?)", re.IGNORECASE)
_ASIDE = re.compile(r",\s*(?:you know|i mean|like)\s*(,\s*|(?=[.;!?]))", re.IGNORECASE)


def clean_spoken(text: str) -> str:
    """Clean-verbatim text of a spoken line: what an answer quotes and what the model embeds.

    Drops sound tags and hesitations ("um", "uh"), collapses stutters ("the the",
    "which one which one"), drops fillers set off by commas ("So, you know, we ...",
    "it is, like, big"), and closes the space some transcripts put before
    punctuation and contractions ("you 're"). The stored passage stays verbatim,
    the way a reporter quotes speech without changing the tape.
    """
    text = _SOUND_TAG.sub(" ", text)
    text = _HESITATION.sub(" ", text)
    text = _FALSE_START.sub("", text)
    if _may_repeat(text):  # the stutter pattern is the slow one; most lines have no repeat at all
        text = _REPEAT.sub(r"\1", text)
    text = _SPACE_BEFORE_PUNCTUATION.sub(r"\1", text)
    if "'" in text:
        text = _DETACHED_CONTRACTION.sub(r"\1\2", text)
    if "," in text:
        text = _LEADING_FILLERS.sub(lambda m: m.group(1).upper(), text)
        text = _ASIDE.sub(lambda m: " " if m.group(1) else "", text)
    text = re.sub(r"([,.!?;:])(?:\s*[,.;:])+", r"\1", text)  # ", ." left where a word was dropped
    text = re.sub(r"^[\s,.;:]+", "", text)
    return " ".join(text.split())


def _may_repeat(text: str) -> bool:
    """Whether any word, or pair of words, follows itself (punctuation ignored): a cheap gate for _REPEAT."""
    words = _WORD.findall(text.lower())
    if any(a == b for a, b in itertools.pairwise(words)):
        return True
    return any(words[i] == words[i + 2] and words[i + 1] == words[i + 3] for i in range(len(words) - 3))
