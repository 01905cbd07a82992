"""Checking a generated answer sentence by sentence against the passages it cites, before anyone reads it.

A sentence is kept only when:
- it cites at least one passage, and every [n] it writes is one of the passages given;
- every number, every quoted phrase and every capitalised name in it (past its
  first word) is in a passage it cites (or that passage's speakers and title);
- when it reports what someone said, it names a speaker of a cited passage,
  and never attributes words to a known speaker who does not speak there;
- it is *supported*: enough of its content words, weighted by rarity (idf), are
  in the cited passages (LEXICAL_MIN) and it is close in meaning to one of their
  sentences (SEMANTIC_MIN, cosine of the embedding model's vectors: the static
  token vectors answers use put every pair of sentences at ~0.85 and cannot
  tell). Both thresholds were calibrated on QMSum
  (benchmarks/calibrate_verification.py, benchmarks/README.md).
Sentences of a passage that address a language model (kb/text/prompt_injection.py)
never count as support: an obeyed injection finds its words there, and nor do questions (a host's
question says nothing a panelist claimed).

With a reader (kb/reader/), meaning is judged by a model that reads the cited sentences and the claim
together and says whether they support it, contradict it or do not address it: word overlap and cosine
cannot tell "is" from "is not", nor an appended clause from a quoted one. The sentence is kept when the
reader's support probability is at least SUPPORT_MIN and a lower word floor (READER_LEXICAL_MIN) holds
(benchmarks/reader_eval.py measures both on fabricated sentences made by rules the reader never saw).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from kb.answers.quotes import quote_of
from kb.answers.speaker_scope import spoken_by
from kb.answers.units import Sentence, quotable_units
from kb.bm25.term_weights import TermWeights
from kb.models import Passage
from kb.text.sentences import split_sentences

if TYPE_CHECKING:
    from kb.reader.reader import Reader

# Calibrated on QMSum train: the pair that keeps the most reference-answer sentences against the passage of their
# annotated turns (75 %, val 70 %) while letting through at most 8 % against the best-matching passage of another
# meeting (8 %, val 7 %); benchmarks/calibrate_verification.py prints the whole grid.
LEXICAL_MIN = 0.35
SEMANTIC_MIN = 0.40
MIN_KEPT_SHARE = 0.5  # below this share of sentences kept, the extractive answer is given instead
READER_LEXICAL_MIN = 0.2  # the word floor when a reader judges meaning (benchmarks/reader_eval.py)
SUPPORT_MIN = 0.3  # the reader's P(support) a kept sentence needs (QMSum val, benchmarks/reader_eval.py: 0.58 kept, 0.79 dropped)
PREMISE_UNITS = 3  # the cited sentences closest in meaning the reader reads as the premise

_MARKERS = re.compile(r"\s*\[(\d+(?:\s*[,;]\s*\d+)*)\]")
_SPLIT = re.compile(r"(?<=[.!?])\s+|(?<=\])\s+(?=[A-Z\"“])|\n+")
_NUMBER = re.compile(r"(?<![\w.])\d+(?:[.,:]\d+)*(?![\w])")
_QUOTED = re.compile(r"[\"“]([^\"”]{2,}?)[\"”]|(?<![\w’])‘(?!\d)([^’]{2,}?)’(?![\w’])|(?<![\w'])'(?!\d)([^']{2,}?)'(?![\w'])")
_UNITS = "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen twenty"
_NUMBER_WORDS: dict[str, float] = {word: float(value) for value, word in enumerate(_UNITS.split())}
_NUMBER_WORDS.update({"thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90, "hundred": 100})
_NUMBER_WORDS.update({"thousand": 1000, "million": 10**6, "billion": 10**9, "dozen": 12, "half": 0.5, "twice": 2, "double": 2})
_LOOSE_NUMBERS = {"one", "zero", "half", "twice", "double"}
_NAME = re.compile(r"(?<![\w'’-])[A-Z][\w'’-]*")
_WORD = re.compile(r"\w+")
_REPORTS = re.compile(
    r"\b(said|says|argued|argues|mentioned|mentions|explained|explains|noted|notes|told|tells|suggested|suggests|recommended|"
    r"recommends|believes|believed|thinks|thought|described|describes|admitted|admits|recalled|recalls|added|adds|asked|asks|"
    r"advised|advises|urged|urges|stressed|stresses|emphasi[sz]ed|emphasi[sz]es|warned|warns|claimed|claims|observed|observes|"
    r"shared|shares|pointed out|points out|according to|in (his|her|their) words)\b",
    re.IGNORECASE,
)
_PRONOUN = re.compile(r"(He|She|They|His|Her|Their)\b")
_NOT_NAMES = {"I", "I'm", "I’m", "I've", "I’ve", "I'd", "I’d", "I'll", "I’ll", "OK"}


@dataclass
class Checked:
    """One sentence of the model's answer, and the verdict on it."""

    text: str  # without its markers
    cites: list[int]  # the [n] it wrote
    reason: str | None = None  # why it was dropped; None: kept
    lexical: float = 0.0
    semantic: float = 0.0
    support: list[tuple[int, Sentence]] = field(default_factory=list)  # (cited n, the unit closest in meaning)
    verdict: tuple[float, float, float] | None = None  # the reader's (support, contradict, unaddressed), when one read it

    @property
    def kept(self) -> bool:
        return self.reason is None


def split_answer(answer: str) -> list[tuple[str, list[int]]]:
    """The answer's sentences with the [n] each ends with (markers a sentence starts with belong to the one before)."""
    pieces: list[tuple[str, list[int]]] = []
    for raw in _SPLIT.split(answer.strip()):
        leading = re.match(r"(\s*\[\d+(?:\s*[,;]\s*\d+)*\])+", raw)
        if leading and pieces:
            pieces[-1][1].extend(_numbers(leading.group(0)))
            raw = raw[leading.end() :]
        text = " ".join(_MARKERS.sub(" ", raw).split())
        text = re.sub(r"\s+([.!?,;:])", r"\1", text)
        if text:
            pieces.append((text, _numbers(raw)))
        elif pieces:
            pieces[-1][1].extend(_numbers(raw))
    return pieces


def _numbers(text: str) -> list[int]:
    return [int(n) for group in _MARKERS.findall(text) for n in re.split(r"\s*[,;]\s*", group)]


class Verifier:
    """Judges answer sentences against passages; `embed` gives unit vectors (the embedding model), `weights` idf."""

    def __init__(
        self,
        embed: Callable[[list[str]], np.ndarray],
        weights: TermWeights,
        speakers: Callable[[], list[str]] = list,
        reader: Reader | None = None,
    ) -> None:
        """`speakers()` names everyone who speaks anywhere in the store (a sentence must not put words in their mouths);
        `reader` judges meaning when given (kb/reader/)."""
        self.embed, self.weights, self.speakers, self.reader = embed, weights, speakers, reader
        self.lexical_min = LEXICAL_MIN if reader is None else READER_LEXICAL_MIN
        self.semantic_min = SEMANTIC_MIN if reader is None else 0.0
        self.support_min = SUPPORT_MIN

    def check(self, answer: str, passages: list[Passage], speaker: str | None = None) -> list[Checked]:
        """Every sentence of `answer`, judged; `passages[i]` is what [i+1] refers to."""
        units = {n: self._units(p, speaker) for n, p in enumerate(passages, start=1)}
        checked = [Checked(text, cites) for text, cites in split_answer(answer)]
        named_before: set[str] = set()  # "She adds ..." reports the speaker the sentence before named
        for item in checked:
            item.reason = self._first_fault(item, passages, units, named_before)
            named_before = {s for s in self._speakers_in(item.text, passages)} if item.kept else set()
        return checked

    def support(self, sentence: str, units: list[str], labels: Sequence[str] = ()) -> tuple[float, float, int]:
        """(idf-weighted share of the sentence's words found in the units or their labels (speakers, title),
        best cosine to a unit, that unit's index)."""
        lexical, cosines = self.closeness(sentence, units, labels)
        if not units:
            return 0.0, 0.0, -1
        best = int(np.argmax(cosines))
        return lexical, float(cosines[best]), best

    def closeness(self, sentence: str, units: list[str], labels: Sequence[str] = ()) -> tuple[float, np.ndarray]:
        """(the idf-weighted word share, as in `support`; the cosine of the sentence to every unit)."""
        if not units:
            return 0.0, np.zeros(0)
        terms = self.weights.terms_of([sentence, *units, *labels])
        said = set(terms[0])
        have = set().union(*map(set, terms[1:]))
        weights = self.weights.term_weights(said)
        total = sum(weights.values())
        lexical = sum(w for t, w in weights.items() if t in have) / total if total else 0.0
        vectors = np.asarray(self.embed([_unlabelled(sentence, labels), *units]))
        return lexical, vectors[1:] @ vectors[0]

    def _units(self, passage: Passage, speaker: str | None) -> list[Sentence]:
        units = quotable_units(passage)
        return spoken_by(units, speaker) if speaker else units

    def _first_fault(self, item: Checked, passages: list[Passage], units: dict[int, list[Sentence]], named_before: set[str]) -> str | None:
        if not item.cites:
            return "cites no passage"
        missing = sorted({n for n in item.cites if n not in units})
        if missing:
            return f"cites [{missing[0]}], which is not one of the {len(passages)} passages"
        cited = [passages[n - 1] for n in dict.fromkeys(item.cites)]
        said_in = " ".join(p.text for p in cited)
        heard = _words(" ".join([said_in, *(p.title for p in cited), *(s for p in cited for s in p.speakers)]))
        for number in _NUMBER.findall(item.text):
            if not re.search(rf"(?<![\w.]){re.escape(number)}(?![\w])", said_in) and _value(number) not in _spelled_numbers(said_in):
                return f"the number {number} is not in the passage it cites"
        said_numbers = _spelled_numbers(said_in, every=True) | {_value(n) for n in _NUMBER.findall(said_in)}
        for words, value in _spelled(item.text):
            if value not in said_numbers:
                return f"the number “{words}” is not in the passage it cites"
        for phrase in (next(g for g in groups if g) for groups in _QUOTED.findall(item.text)):
            if f" {' '.join(_words_in_order(phrase))} " not in f" {' '.join(_words_in_order(said_in))} ":
                return f"the quoted words “{phrase}” are not in the passage it cites"
        speakers = {s for p in cited for s in p.speakers}
        stranger = next((s for s in self._speakers_in(item.text, cited) if s not in speakers and not _mentions(said_in, s)), None)
        if stranger is not None:
            if _REPORTS.search(item.text):
                return f"attributes words to {stranger}, who does not speak in the passage it cites"
            return f"names {stranger}, who is not in the passage it cites"
        for name in _names(item.text):
            if name.casefold() not in heard:
                return f"the name {name} is not in the passage it cites"
        # Quotable units join short spoken sentences; meaning is compared sentence by sentence (as calibrated),
        # and the unit holding the closest sentence is what the citation quotes.
        pool = [
            (n, u, said) for n in dict.fromkeys(item.cites) for u in units[n] if not u.text.rstrip().endswith("?") for said in _sentences_of(u.text)
        ]
        labels = [*(p.title for p in cited), *(s for p in cited for s in p.speakers)]
        item.lexical, cosines = self.closeness(item.text, [said for _, _, said in pool], labels)
        if not pool:
            return "the passage it cites has nothing it could rest on"
        best = int(np.argmax(cosines))
        item.semantic = float(cosines[best])
        item.support = [(pool[best][0], pool[best][1])]
        if item.lexical < self.lexical_min or item.semantic < self.semantic_min:
            return f"not supported by the passage it cites (words {item.lexical:.2f}, meaning {item.semantic:.2f})"
        if self.reader is not None:
            closest = sorted(np.argsort(-cosines)[:PREMISE_UNITS].tolist())  # in reading order
            premise = " ".join(f"{pool[i][1].speaker}: {pool[i][2]}" if pool[i][1].speaker else pool[i][2] for i in closest)
            support, contradict, unaddressed = (float(x) for x in self.reader.verdicts([premise], [item.text])[0])
            item.verdict = (support, contradict, unaddressed)
            if support < self.support_min:
                return f"the passage it cites {'contradicts it' if contradict > unaddressed else 'does not say this'} (reader: support {support:.2f})"
        return self._attribution(item.text, cited, named_before, pool[best][1].speaker)

    def _speakers_in(self, text: str, passages: list[Passage]) -> list[str]:
        cited = {s for p in passages for s in p.speakers}
        return mentioned(text, {*self.speakers(), *cited}, cited)

    def _attribution(self, text: str, cited: list[Passage], named_before: set[str], said_by: str | None) -> str | None:
        """Words reported as said go to the person who said them (the supporting sentence's speaker), named in
        the sentence or, for "She adds ...", in the sentence before; never to someone else."""
        if not _REPORTS.search(text):
            return None
        speakers = {s for p in cited for s in p.speakers}
        named = set(self._speakers_in(text, cited))
        stranger = next((s for s in sorted(named) if s not in speakers), None)
        if stranger is not None:
            return f"attributes words to {stranger}, who does not speak in the passage it cites"
        if not named and _PRONOUN.match(text):
            named = named_before & speakers
        if said_by and named and said_by not in named:
            return f"gives {said_by}'s words to {', '.join(sorted(named))}"
        if speakers and not named:
            return "reports what was said without naming who said it"
        return None


def assemble(checked: list[Checked], passages: list[Passage], max_words: int) -> tuple[str, list[Passage]]:
    """The kept sentences, capped at `max_words`, their [n] renumbered 1.. in order of first citation; the cited
    passages with those numbers and, as quotes, the sentences that support the answer."""
    numbers: dict[int, int] = {}
    quotes: dict[int, list[Sentence]] = {}
    parts: list[str] = []
    words = 0
    for item in (c for c in checked if c.kept):
        size = len(item.text.split())
        if parts and words + size > max_words:
            break
        words += size
        for n in dict.fromkeys(item.cites):
            numbers.setdefault(n, len(numbers) + 1)
        for n, unit in item.support:
            if all(unit is not known for known in quotes.setdefault(n, [])):
                quotes[n].append(unit)
        text = item.text if item.text[-1] in '.!?…"”' else item.text + "."
        parts.append(text + "".join(f" [{numbers[n]}]" for n in dict.fromkeys(item.cites)))
    cited = []
    for n, number in numbers.items():
        passage = passages[n - 1]
        units = sorted(quotes.get(n, []), key=lambda u: u.order)
        said = [quote_of(u, passage) for u in units]
        cited.append(passage.model_copy(update={"n": number, "quotes": said}))
    return " ".join(parts), cited


def _sentences_of(unit: str) -> list[str]:
    return split_sentences(unit) or [unit]


def _unlabelled(sentence: str, labels: Sequence[str]) -> str:
    """The sentence without the speakers and titles it names (checked on their own): "Maya Chen says: X" means X,
    and four names before a short quote would outweigh it in the embedding."""
    for label in sorted(labels, key=len, reverse=True):
        sentence = re.sub(rf"(?i)(?<!\w){re.escape(label)}(?!\w)", " ", sentence)
    sentence = _REPORTS.sub(" ", sentence)
    return " ".join(re.sub(r"^[\s,:;—-]+", "", sentence).split()) or sentence


def _value(number: str) -> float:
    """A number written in digits as a value ("1,200" -> 1200, "2.5" -> 2.5); NaN when it is no plain number (a time)."""
    try:
        return float(number.replace(",", ""))
    except ValueError:
        return float("nan")


def _spelled(text: str) -> list[tuple[str, float]]:
    """Numbers written in words, a run of them read as one ("twenty-five" 25, "two hundred" 200, "a hundred" 100),
    with their words. Runs worth at most 3, or of "one", "half", "twice" or "double" alone, are left out: "the two
    panelists", "one of them" count the answer's own things as often as the passage's."""
    return [
        (" ".join(run), value) for run in _number_runs(text) if (value := _run_value(run)) > 3 and not (len(run) == 1 and run[0] in _LOOSE_NUMBERS)
    ]


def _number_runs(text: str) -> Iterator[list[str]]:
    """Consecutive number words (a comma or other punctuation ends a run)."""
    run: list[str] = []
    for word in [*_number_tokens(text), ""]:
        if word in _NUMBER_WORDS:
            run.append(word)
        elif run:
            yield run
            run = []


def _number_tokens(text: str) -> list[str]:
    """Words, lower-cased, and punctuation as tokens of its own (a comma ends a run: "nine, twenty" is two numbers;
    a hyphen does not: "twenty-five" is one)."""
    return re.findall(r"\w+|[^\w\s-]", text.casefold())


def _run_value(run: list[str]) -> float:
    total, current = 0.0, 0.0
    for word in run:
        value = _NUMBER_WORDS[word]
        if word == "hundred":
            current = (current or 1) * 100
        elif value >= 1000:
            total += (current or 1) * value
            current = 0
        else:
            current += value
    return total + current


def _spelled_numbers(text: str, every: bool = False) -> set[float]:
    """The values of the numbers `text` writes in words: every run (`every`), else only those that name a
    number on their own (not "one", "half", "twice", "double": "one thing we did" says nothing about a 1)."""
    values: set[float] = set()
    for run in _number_runs(text):
        if every or not (len(run) == 1 and run[0] in _LOOSE_NUMBERS):
            values.add(_run_value(run))
            values.update(_NUMBER_WORDS[w] for w in run if every or w not in _LOOSE_NUMBERS)
    return values


def _words(text: str) -> set[str]:
    return {w.casefold() for w in _WORD.findall(text)}


def _words_in_order(text: str) -> list[str]:
    return [w.casefold() for w in _WORD.findall(text)]


def _names(text: str) -> list[str]:
    """Capitalised words past the first word of the sentence and of any quotation or clause after a colon."""
    names: list[str] = []
    for match in _NAME.finditer(text):
        before = text[: match.start()].rstrip()
        if not before or before[-1] in '.:!?"“(—-' or match.group(0) in _NOT_NAMES:
            continue
        names.extend(w for w in _WORD.findall(match.group(0)) if w[:1].isupper() and len(w) > 1)
    return names


def mentioned(text: str, everyone: set[str], cited: set[str]) -> list[str]:
    """The people `text` names: by full name anywhere (as written: in lower case, "user interface" and "project
    manager" are words before they are speaker labels); or by one of
    their names standing alone, capitalised, unless that word belongs to someone named in full ("Kwame Mensah"
    does not name Kwame Asante) or, shared by several people, to one of the `cited` passages' speakers ("Lindqvist"
    is the Lindqvist who speaks there)."""
    full = {s for s in everyone if s in text}
    taken = {part for s in full for part in s.split()}
    by_part: dict[str, set[str]] = {}
    for speaker in everyone - full:
        for part in speaker.split():
            if len(part) > 2 and part[:1].isupper() and part not in taken and re.search(rf"(?<![\w-]){re.escape(part)}(?![\w-])", text):
                by_part.setdefault(part, set()).add(speaker)
    named = set(full)
    for people in by_part.values():
        named |= (people & cited) or people
    return sorted(named)


def _mentions(text: str, speaker: str) -> bool:
    """The speaker's full name, or one of their names' words standing alone as a capitalised word."""
    if speaker in text:
        return True
    return any(len(part) > 2 and re.search(rf"(?<![\w-]){re.escape(part)}(?![\w-])", text) for part in speaker.split() if part[:1].isupper())
