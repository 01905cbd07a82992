"""Extractive answers: the sentences of the best passages that answer the question, each cited.

No language model: sentences are scored by meaning (half the cosine of their
static token vectors to the question's, kb/embedding/token_vectors.py, half
their passage's cosine from the encoder), by the question's rare words they
contain (BM25-style idf from the sparse index), and by how well their passage
ranked. The encoder itself reads no sentence: that kept an answer within ~2x a
search's time at no loss (benchmarks/README.md). Near-duplicates
are dropped, the pick is capped at `max_words`, and sentences are put back in
reading order within each passage. Transcript sentences are attributed: who
said it, in which panel, at what time.

Units come from kb/answers/units.py, and a quoted unit becomes a citation's
`Quote` through kb/answers/quotes.py, as in a verified generative answer.
"""

from __future__ import annotations

import itertools
import math
import re
from collections import Counter
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from kb.answers.learned_scores import load_sentence_model
from kb.answers.quotes import quote_of
from kb.answers.relevance import any_relevant
from kb.answers.speaker_scope import spoken_by
from kb.answers.units import FILLER, TRANSITION, Sentence, quotable_units, reader_text, split_passage
from kb.models import Passage
from kb.text.question_speaker import topic_of
from kb.text.timecodes import seconds_to_clock

if TYPE_CHECKING:
    from kb.reader.reader import Reader

# Sentence score = (meaning, rare query words, passage rank) weighted, times a length factor that
# reaches 1 at FULL_LENGTH_WORDS words (tuned on QMSum val answers: benchmarks/README.md).
WEIGHTS = (0.40, 0.30, 0.30)
FULL_LENGTH_WORDS = 14
RESTATING_SHARE = 0.4  # of its score kept by a sentence with no word beyond the question's (QMSum val: benchmarks/README.md)
STATIC_SHARE = 0.5  # of a sentence's meaning score from its own static vector; the rest is its passage's cosine
JOIN_GAP_SECONDS = 2  # a passage starting this soon after another ends continues it (its first turn may reply)
REPLY_FADE, REPLY_FLOOR = 0.15, 0.4  # a reply's later units inherit less: the direct answer comes first
REPLY_TURNS = 4  # turns after a question (by other speakers) that count as its replies
RUN_CAP = 3  # sentences quoted from one turn (or one paragraph line) at most: room for other voices
# A speaker asked about a topic did not address it when their sentences use under SPEAKER_SHARE of its
# words (idf-weighted) while other sentences on it use OTHERS_SHARE or more (benchmarks/README.md).
SPEAKER_SHARE = 1 / 3
OTHERS_SHARE = 2 / 3
MIN_RELATIVE_SIMILARITY = 0.4  # a sentence needs at least this share of the best sentence's meaning score
MIN_RELATIVE_SCORE = 0.7  # ... and this share of the best sentence's score (QMSum train: benchmarks/README.md)
READER_RELATIVE_SCORE = 0.4  # the same floor on the reader's score, when a reader scores units (QMSum tune: make tune-reader)
READER_UNITS = 40  # units the reader reads per answer at most: the hand-tuned score's best (bounds the time)
READER_RANK_WEIGHT = 0.5  # the reader's log-odds lose this times log(passage rank): where search ranked it still counts (ditto)
DOCUMENT_SHARE = 0.6  # of an answer's words one document may fill while others answer too (a first pass)
# A sentence opening with these words points back to one before it ("That's the part sponsees miss.").
POINTS_BACK = re.compile(
    r"^(that|this|these|those|it|its|they|them|their|he|his|she|her|such)\b|^(and|but|also)\s+(that|this|it|he|she|they)\b", re.IGNORECASE
)


class ExtractiveComposer:
    """Picks and attributes sentences; returns (answer text, the passages it cites, renumbered)."""

    def __init__(self, quick_embed, idf, reader: Reader | None = None) -> None:
        self.quick_embed = quick_embed  # texts -> unit vectors, fast (static token vectors)
        self.idf = idf  # query -> {stemmed term: weight}, and texts -> stemmed terms
        self.reader = reader  # reads question and unit together (kb/reader/); None: the hand-tuned score alone

    def compose(
        self,
        question: str,
        passages: list[Passage],
        max_words: int,
        max_citations: int = 5,
        speaker: str | None = None,
        elsewhere: Callable[[str], list[Passage]] | None = None,
    ) -> tuple[str, list[Passage]]:
        """("", []) when no passage is close enough in meaning to the question.

        With a `speaker`, only their sentences are quoted. When their sentences do not
        use the words of what they are asked about while others' sentences (`elsewhere(topic)`:
        a search for the topic without the speaker, run only then) do, they did not address it: ("", []), and
        the caller says so. When nobody uses those words, the speaker's closest sentences
        are quoted: the question may be worded differently from what was said.
        """
        if not any_relevant(passages):
            return "", []
        sentences = [s for p in passages for s in quotable_units(p)]
        if speaker:
            # Scored among everyone's lines first, so that a reply inherits the question put to it
            # ("Maya, who sponsored you?"), then only the speaker's own are kept.
            if sentences:
                self._score(question, sentences, passages)
            sentences = spoken_by(sentences, speaker)
        elif sentences:
            self._score(question, sentences, passages)
        if not sentences:
            return "", []
        topic = topic_of(question, speaker) if speaker else ""
        if speaker and elsewhere is not None and self._topic_share(topic, sentences) < SPEAKER_SHARE:
            around = elsewhere(topic)
            others = [s for p in around for s in split_passage(p)]
            if others:
                self._score(question, others, around)
                if self._topic_share(topic, others) >= OTHERS_SHARE:
                    return "", []
        return render(self.choose(sentences, max_words, max_citations), passages)

    def _topic_share(self, topic: str, sentences: list[Sentence]) -> float:
        """How much of the topic's words the sentences use between them, weighted by rarity (idf); 1 for no words.

        Weighted, so "glue work" needs "glue": "work" is said about everything.
        """
        weights = self.idf.term_weights(self.idf.terms_of([topic])[0])
        said = set().union(*(s.terms | s.asked for s in sentences if s.score > 0))  # a reply addresses what it was asked
        total = sum(weights.values())
        return sum(w for t, w in weights.items() if _said(t, said)) / total if total else 1.0

    def choose(self, sentences: list[Sentence], max_words: int, max_citations: int = 5) -> list[Sentence]:
        """The sentences to quote, given their scores (a learned score is judged through exactly this)."""
        floor = MIN_RELATIVE_SIMILARITY * max(s.similarity for s in sentences)
        for sentence in sentences:
            if sentence.similarity < floor:
                sentence.score = -1.0  # off the question's topic, however well its passage ranked
        weakest = (READER_RELATIVE_SCORE if self.reader is not None else MIN_RELATIVE_SCORE) * max(s.score for s in sentences)
        for sentence in sentences:
            if sentence.score < weakest:
                sentence.score = -1.0  # an answer stops short rather than fill its words with weak sentences
        return self._pick(sentences, max_words, max_citations)

    def _score(self, question: str, sentences: list[Sentence], passages: list[Passage]) -> None:
        """(meaning, rare query words, passage rank) weighted, times a shape factor; -1 for non-answers.

        When a reader is given, it reads the READER_UNITS answerable units the hand-tuned score ranks highest, and
        its probability that the unit answers (search rank weighed in) replaces their score; the rest are not
        quoted. That bounds an answer's reading time whatever the pool. Else a learned model
        (kb/answers/learned_scores.py) scores them when one is installed.
        """
        model = load_sentence_model()
        features = self.features(question, sentences, passages, extended=model is not None and self.reader is None)
        scores: list[float]
        if self.reader is not None:
            scores = self._read(question, sentences, features)
        else:
            scores = [float(x) for x in model.score(features)] if model is not None else [f["weighted"] for f in features]
        for sentence, f, score in zip(sentences, features, scores):
            sentence.similarity = f["similarity"]
            sentence.score = float(score) if _answerable(f) else -1.0

    def _read(self, question: str, sentences: list[Sentence], features: list[dict[str, float]]) -> list[float]:
        """The reader's scores for the units worth reading (the hand-tuned score's best); -1 for the others."""
        assert self.reader is not None
        candidates = sorted((i for i, f in enumerate(features) if _answerable(f)), key=lambda i: -features[i]["weighted"])[:READER_UNITS]
        read = self.reader.answers(question, [reader_text(sentences[i]) for i in candidates])
        scores = [-1.0] * len(sentences)
        for i, score in zip(candidates, reader_scores(read, [sentences[i].passage.n for i in candidates])):
            scores[i] = score
        return scores

    def features(self, question: str, sentences: list[Sentence], passages: list[Passage], extended: bool = False) -> list[dict[str, float]]:
        """What is known about each candidate sentence: for the hand-tuned score, and (extended) for learned ones.

        Sets each sentence's `terms` (stemmed, stop words out) on the way.
        """
        weights = self.idf.query_weights(question)
        total = sum(weights.values()) or 1.0
        best = max(p.score for p in passages) or 1.0
        vectors = self.quick_embed([question] + [s.text for s in sentences])
        term_lists = self.idf.terms_of([s.text for s in sentences])
        for sentence, terms in zip(sentences, term_lists):
            sentence.terms = frozenset(terms)
        coverage = [sum(w for t, w in weights.items() if t in s.terms) / total for s in sentences]
        inherited = _reply_coverage(sentences, coverage)
        _questions_across_passages(sentences)
        rows = []
        for sentence, terms, vector, own, carried in zip(sentences, term_lists, vectors[1:], coverage, inherited):
            static = float(vector @ vectors[0])
            rows.append(
                {
                    "static": static,
                    "dense": sentence.passage.dense_score or 0.0,
                    "similarity": STATIC_SHARE * static + (1 - STATIC_SHARE) * (sentence.passage.dense_score or 0.0),
                    "coverage": own,
                    "reply_coverage": carried,
                    "prior": sentence.passage.score / best,
                    "rank": 1.0 / sentence.passage.n,
                    "words": float(sentence.words),
                    "new_terms": sum(t not in weights for t in terms) / len(terms) if terms else 0.0,
                    "filler": float(bool(FILLER.match(sentence.text) or TRANSITION.match(sentence.text))),
                    "question": float(sentence.text.rstrip().endswith("?")),
                    "transcript": float(sentence.passage.kind == "transcript"),
                }
            )
            rows[-1]["weighted"] = weighted_score(rows[-1])
        if extended:
            self._extend(rows, sentences, term_lists, vectors[1:])
        return rows

    def _extend(self, rows: list[dict[str, float]], sentences: list[Sentence], term_lists: list[list[str]], vectors) -> None:
        """Features about the sentence among the others pooled for this question (only learned models read them)."""
        idf = self.idf.term_weights(t for terms in term_lists for t in terms)  # every pooled term's rarity
        centroid = vectors.mean(axis=0)
        centroid = centroid / (float(np.linalg.norm(centroid)) or 1.0)
        in_line = Counter((id(s.passage), s.line) for s in sentences)
        by_speaker = Counter(s.speaker for s in sentences)
        pooled = Counter(t for terms in term_lists for t in set(terms))  # in how many pooled sentences each term is
        seen_in_line: Counter = Counter()
        for row, sentence, terms, vector in zip(rows, sentences, term_lists, vectors):
            line_key = (id(sentence.passage), sentence.line)
            seen_in_line[line_key] += 1
            distinct = set(terms)
            row.update(
                {
                    "centrality": float(vector @ centroid),
                    "idf_mean": sum(idf.get(t, 0.0) for t in terms) / len(terms) if terms else 0.0,
                    # what the retrieved stretch keeps talking about: terms frequent here yet rare in the store
                    "salience": sum(math.log1p(pooled[t] - 1) * idf.get(t, 0.0) for t in distinct) / len(distinct) if distinct else 0.0,
                    "terms": float(len(distinct)),
                    "line_sentences": float(in_line[line_key]),
                    "line_position": (seen_in_line[line_key] - 1) / in_line[line_key],
                    "speaker_share": by_speaker[sentence.speaker] / len(sentences) if sentence.speaker else 0.0,
                }
            )

    def _pick(self, sentences: list[Sentence], max_words: int, max_citations: int) -> list[Sentence]:
        """Best sentences first, skipping near-duplicates; attributions count toward the cap.

        At most RUN_CAP sentences come from one turn, so a long answer by one panelist
        leaves room for the next perspective (it cost no ROUGE on QMSum: benchmarks/README.md). A sentence that
        points back to one the answer cannot show is left out and the pick made again without it.
        """
        left_out: set[int] = set()
        for _ in range(len(sentences)):
            chosen, dangling = _without_dangling_openers(self._greedy(sentences, max_words, max_citations, left_out), sentences, max_words)
            if dangling is None:
                return chosen
            left_out.add(id(dangling))
        return []

    def _greedy(self, sentences: list[Sentence], max_words: int, max_citations: int, left_out: set[int]) -> list[Sentence]:
        """Best first while words remain. When sentences of several documents answer, the first pass lets no
        document fill more than DOCUMENT_SHARE of the words (a panel, an essay and book notes that all answer
        are all heard); a second pass fills what is left."""
        ranked = sorted((s for s in sentences if id(s) not in left_out), key=lambda s: -s.score)
        several = len({s.passage.doc_id for s in ranked if s.score > 0}) > 1
        chosen: list[Sentence] = []
        used = 0
        for capped in (True, False) if several else (False,):
            for sentence in ranked:
                if any(sentence is o for o in chosen):
                    continue
                mine = sum(o.words for o in chosen if o.passage.doc_id == sentence.passage.doc_id)
                if capped and mine + sentence.words > DOCUMENT_SHARE * max_words:
                    continue
                if self._fits(sentence, chosen, used, max_words, max_citations):
                    used += _cost(sentence, chosen)
                    chosen.append(sentence)
        return chosen

    def _fits(self, sentence: Sentence, chosen: list[Sentence], used: int, max_words: int, max_citations: int) -> bool:
        """May this sentence join the answer: a positive score, room in the words, the citation cap and its turn's
        share, and not a near-duplicate of one already chosen?"""
        cited = {id(o.passage) for o in chosen}
        if id(sentence.passage) not in cited and len(cited) >= max_citations:
            return False
        same_run = sum(o.passage is sentence.passage and o.line == sentence.line for o in chosen)
        if sentence.score <= 0 or used + _cost(sentence, chosen) > max_words or same_run >= RUN_CAP:
            return False
        return not any(_same_point(sentence, other) for other in chosen)  # a near-duplicate says what is said


def _answerable(features: dict[str, float]) -> bool:
    """Fillers and questions are not answers."""
    return not (features["filler"] or features["question"])


def reader_scores(probabilities: np.ndarray, ranks: list[int]) -> list[float]:
    """The reader's probability that each unit answers, with its passage's search rank weighed in (log-odds lose
    READER_RANK_WEIGHT x log rank): the reader sees one sentence, search saw the whole passage and its neighbours."""
    odds = np.log(np.clip(probabilities, 1e-6, 1 - 1e-6)) - np.log1p(-np.clip(probabilities, 1e-6, 1 - 1e-6))
    odds = odds - READER_RANK_WEIGHT * np.log(np.asarray(ranks, dtype=float))
    return [float(x) for x in 1.0 / (1.0 + np.exp(-odds))]


def _cost(sentence: Sentence, chosen: list[Sentence]) -> int:
    """Words a sentence adds to an answer: its own, and its attribution when it opens a new run."""
    if any(o.passage is sentence.passage and o.line == sentence.line for o in chosen):
        return sentence.words
    same_document = any(o.passage.doc_id == sentence.passage.doc_id for o in chosen)
    return sentence.words + len(attribution(sentence, sentence.passage, same_document).split())


def _without_dangling_openers(chosen: list[Sentence], pool: list[Sentence], max_words: int) -> tuple[list[Sentence], Sentence | None]:
    """No quoted run opens on words that point back ("That's the part ...", "He also notes ...", "It ...") to a
    sentence the reader is not shown: the sentence just before it in the same line is quoted too when it is a
    candidate and fits. Returns (the sentences, None), or (the rest, the pointing sentence) when it cannot stay."""
    before_of = {(id(s.passage), s.line, s.order): s for s in pool}
    chosen = list(chosen)
    for _ in range(len(pool)):  # each round adds one antecedent
        quoted = {id(s) for s in chosen}
        opener = next(
            (s for s in chosen if POINTS_BACK.match(s.text) and id(before_of.get((id(s.passage), s.line, s.order - 1))) not in quoted), None
        )
        if opener is None:
            break
        before = before_of.get((id(opener.passage), opener.line, opener.order - 1))
        words = sum(_cost(s, chosen[:i]) for i, s in enumerate(chosen))
        if before is None or words + _cost(before, chosen) > max_words:
            return [s for s in chosen if s is not opener], opener
        chosen.append(before)
    return chosen, None


def weighted_score(f: dict[str, float]) -> float:
    """The hand-tuned score: (meaning, rare query words, passage rank) weighted, times a shape factor."""
    meaning_weight, words_weight, rank_weight = WEIGHTS
    lexical = max(f["coverage"], f["reply_coverage"])  # a reply to a question like this one covers its words
    length = min(1.0, f["words"] / FULL_LENGTH_WORDS)  # very short sentences say little
    # A sentence made only of the question's own words restates it rather than answering: it keeps RESTATING_SHARE.
    shape = length * (RESTATING_SHARE + (1 - RESTATING_SHARE) * f["new_terms"])
    return (meaning_weight * f["similarity"] + words_weight * lexical + rank_weight * f["prior"]) * shape


def _reply_coverage(sentences: list[Sentence], coverage: list[float]) -> list[float]:
    """For each sentence, the query-word coverage of a question it replies to (0 if none); the turn right after
    a question also records the question's words in `asked` (what it addresses, for a speaker's topic).

    In a panel or meeting the host often asks, in other words, what the user asks; the
    turns that follow, by other speakers, answer it without repeating its words. A reply
    inherits the question's coverage, fading over the next REPLY_TURNS turns.
    """
    carried = [0.0] * len(sentences)
    questions: dict[int, list[tuple[float, int, str | None, frozenset[str]]]] = {}  # passage -> (coverage, line, asker, words)
    into_turn = 0  # units before this one in its turn
    for index, sentence in enumerate(sentences):
        same_turn = index > 0 and sentences[index - 1].passage is sentence.passage and sentences[index - 1].line == sentence.line
        into_turn = into_turn + 1 if same_turn else 0
        if sentence.passage.kind != "transcript" or not sentence.speaker:
            continue
        asked = questions.setdefault(id(sentence.passage), [])
        directness = max(REPLY_FLOOR, 1 - REPLY_FADE * into_turn)  # the direct reply opens the turn
        for question_coverage, line, asker, words in asked:
            turns_after = sentence.line - line
            if sentence.speaker != asker and 0 < turns_after <= REPLY_TURNS:
                carried[index] = max(carried[index], directness * question_coverage * (1 - (turns_after - 1) / REPLY_TURNS))
                if turns_after == 1:
                    sentence.asked = sentence.asked | words  # the turn right after a question answers it
        if sentence.text.rstrip().endswith("?"):
            asked.append((coverage[index], sentence.line, sentence.speaker, sentence.terms))
    return carried


def _said(term: str, said: set[str]) -> bool:
    """The term, or a word sharing its stem's first 6+ letters: the stemmer keeps "sponsorship" apart from
    "sponsor" and "leadership" from "leader", which a person asked about one answers with the other."""
    return term in said or (len(term) >= 6 and any(len(word) >= 6 and (term.startswith(word) or word.startswith(term)) for word in said))


def _questions_across_passages(sentences: list[Sentence]) -> None:
    """A question that ends one passage is answered at the start of the next (cut at a passage boundary): the
    reply's first units get the question's words in `asked`, as within a passage."""
    from kb.text.timecodes import clock_to_seconds

    by_passage: dict[int, list[Sentence]] = {}
    for sentence in sentences:
        by_passage.setdefault(id(sentence.passage), []).append(sentence)
    units = [group for group in by_passage.values() if group[0].passage.kind == "transcript"]
    for before in units:
        last = before[-1]
        ends = clock_to_seconds(before[0].passage.end)
        if not last.text.rstrip().endswith("?") or ends is None:
            continue
        for after in units:
            starts = clock_to_seconds(after[0].passage.start)
            follows = after[0].passage.doc_id == before[0].passage.doc_id and starts is not None and 0 <= starts - ends <= JOIN_GAP_SECONDS
            if follows and after[0].speaker and after[0].speaker != last.speaker:
                for unit in after:
                    if unit.line != after[0].line:
                        break
                    unit.asked = unit.asked | last.terms


def _same_point(a: Sentence, b: Sentence) -> bool:
    """Near-duplicates: most of the shorter one's words are in the other."""
    if not a.terms or not b.terms:
        return a.text == b.text
    return len(a.terms & b.terms) > 0.7 * min(len(a.terms), len(b.terms))


def render(chosen: list[Sentence], passages: list[Passage]) -> tuple[str, list[Passage]]:
    """Group by passage in rank order (one document's passages together), sentences in reading order; attribute transcript lines."""
    cited = [p for p in passages if any(s.passage is p for s in chosen)]
    first_of: dict[str, int] = {}
    for rank, passage in enumerate(cited):
        first_of.setdefault(passage.doc_id, rank)
    cited.sort(key=lambda p: first_of[p.doc_id])  # one document's passages together, in rank order: its title is said once
    renumbered = []
    parts: list[str] = []
    previous = None  # the document of the line before: its title is not repeated
    for number, passage in enumerate(cited, start=1):
        mine = sorted((s for s in chosen if s.passage is passage), key=lambda s: s.order)
        quotes = [quote_of(s, passage) for s in mine]
        renumbered.append(passage.model_copy(update={"n": number, "quotes": quotes}))
        runs: list[list[Sentence]] = []
        for sentence in mine:
            if runs and runs[-1][-1].line == sentence.line:
                runs[-1].append(sentence)
            else:
                runs.append([sentence])
        for run in runs:
            parts.append(f"{attribution(run[0], passage, same_document=previous == passage.doc_id)}{quote(run)} [{number}]")
            previous = passage.doc_id
    return "\n".join(parts), renumbered


def quote(run: list[Sentence]) -> str:
    """Sentences of one turn or paragraph line in reading order; "…" where the speaker said something in between."""
    text = run[0].text
    for before, sentence in itertools.pairwise(run):
        text += (" " if sentence.order == before.order + 1 else " … ") + sentence.text
    return text


def attribution(sentence: Sentence, passage: Passage, same_document: bool = False) -> str:
    """`Maya Chen, What staff engineers do differently, 00:12:31: ` for transcripts; nothing otherwise.

    The panel's title is left out when the line before quotes the same panel
    (`Daniel Okafor, 00:05:00: `): said once, it reads; said on every line, it crowds the quotes.
    """
    if passage.kind != "transcript" or not sentence.speaker:
        return ""
    where = [sentence.speaker, None if same_document else passage.title, seconds_to_clock(sentence.seconds)]
    return ", ".join(part for part in where if part) + ": "
