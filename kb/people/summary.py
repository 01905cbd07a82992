"""What `GET /v1/people` and a person's page show: counts from the keyword index, lines and topics from their passages.

The list is built without reading a single passage: the BM25 side already knows,
per live passage, its document, kind and speakers. A person's page reads only
their passages (one filtered Chroma get), keeps the turns they speak, and names
their topics from those words alone: terms they use often that the store uses
rarely (tf x idf, the BM25 side's idf), two-word phrases preferred. No model.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable

from kb.models import Person, PersonDocument, PersonLine, PersonPage
from kb.people.book import PeopleBook, fold
from kb.store.chroma import DocumentRecord, QueryHit
from kb.text.passage_lines import speaker_of
from kb.text.timecodes import seconds_to_clock

PERSON_LINES = 400  # lines listed on one person's page, in all
TOPICS = 8
PERSON_PASSAGES = 1000  # passages read for one person's page (lines and topics); counts come from every passage
SpeakerRows = dict[str, list[tuple[str, str, str]]]  # label -> (chunk_id, doc_id, kind), as SparseIndex.speaker_rows gives
_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*[A-Za-z]")
# Words every speaker uses whatever the topic: function words BM25's short list keeps, and talk's fillers.
_COMMON = frozenset(
    """about above after again against all also am any because been before being below between both can could did do
    does doing down during each few from further had has have having he her here hers herself him himself his how i
    i'm i've its itself just me more most my myself nor now off once only other our ours ourselves out over own same
    she should some than that's them themselves those through too under until up very was we we're were what when
    where which while who whom why would you you're your yours yourself yourselves one two like really think know
    yeah yes so um uh okay ok kind sort thing things lot lots gonna going go get got mean well actually say said saying
    something someone anything everything maybe right sure good great much many way even still back make made want
    wanted see look looking come let let's us also things little bit able need time times day year years people
    person put went told tell take took give gave find found another across mentioned noticed start started use used
    try tried keep kept ask asked work works call called part point points everybody everyone anyone nobody first
    last next new old long short big small often always never usually probably perhaps quite rather enough almost
    least less whole""".split()  # noqa: SIM905  # a word list reads better as words
)


def list_people(book: PeopleBook, rows: SpeakerRows, records: dict[str, DocumentRecord]) -> list[Person]:
    """Everyone who speaks in a live passage, most passages first (then by name)."""
    grouped: dict[str, set[tuple[str, str, str]]] = defaultdict(set)
    for label, found in rows.items():
        grouped[book.person(label)].update(found)
    people = [_person(book, name, found, records) for name, found in grouped.items()]
    return sorted(people, key=lambda p: (-p.passages, p.name.casefold()))


def _person(book: PeopleBook, name: str, found: Iterable[tuple[str, str, str]], records: dict[str, DocumentRecord]) -> Person:
    found = list(found)
    doc_ids = {doc_id for _, doc_id, _ in found}
    dates = sorted(date for doc_id in doc_ids if (date := _date(records.get(doc_id))))
    return Person(
        name=name,
        aliases=book.aliases_of(name),
        documents=len(doc_ids),
        passages=len({chunk_id for chunk_id, _, _ in found}),
        kinds=sorted({kind for _, _, kind in found}),
        first_date=dates[0] if dates else None,
        last_date=dates[-1] if dates else None,
    )


def _date(record: DocumentRecord | None) -> str | None:
    if record is None:
        return None
    return str(record.metadata.get("date") or "") or str(record.metadata.get("ingested_at") or "")[:10] or None


def person_page(
    book: PeopleBook,
    name: str,
    rows: SpeakerRows,
    records: dict[str, DocumentRecord],
    get_passages: Callable[[list[str]], list[QueryHit]],
    idf: Callable[[Iterable[str]], dict[str, float]],
) -> PersonPage | None:
    """One person's page; None when nobody here goes by `name`.

    Their live passages are known from the keyword index's rows; at most PERSON_PASSAGES of
    them are read (`get_passages(chunk_ids)`), documents in date order: a host heard in
    thousands of passages still gets a page in a second, with `lines_cut` set.
    """
    labels = book.labels_of(name)
    found = sorted({hit for label in labels for hit in rows.get(label, [])}, key=lambda hit: (_date(records.get(hit[1])) or "", hit[1]))
    if not found:
        return None
    display = book.person(name)
    person = _person(book, display, found, records)
    wanted = {fold(label) for label in labels}
    by_doc: dict[str, list[tuple[int, str, str, float | None, float | None]]] = defaultdict(list)
    read = get_passages([chunk_id for chunk_id, _, _ in found[:PERSON_PASSAGES]])
    for hit in read:
        doc_id = str(hit.metadata.get("doc_id", ""))
        record = records.get(doc_id)
        if record is None or hit.metadata.get("doc_hash") != record.metadata.get("content_hash"):
            continue  # a version being replaced right now, or a document deleted meanwhile
        for text, start in _own_lines(hit, wanted):
            by_doc[doc_id].append((int(hit.metadata.get("position", 0)), hit.chunk_id, text, start, hit.metadata.get("end_seconds")))
    passages_in = Counter(doc_id for _, doc_id, _ in found)
    documents, listed, said = [], 0, []
    for doc_id in dict.fromkeys(doc_id for _, doc_id, _ in found):
        record = records.get(doc_id)
        if record is None:
            continue  # deleted since the rows were read
        lines = sorted(by_doc.get(doc_id, []), key=lambda line: (line[0], line[3] if line[3] is not None else -1.0))
        said += [line[2] for line in lines]
        starts = [line[3] for line in lines if line[3] is not None]
        ends = [line[4] for line in lines if line[4] is not None]
        keep = lines[: max(0, PERSON_LINES - listed)]
        listed += len(keep)
        documents.append(
            PersonDocument(
                doc_id=doc_id,
                title=str(record.metadata.get("title") or doc_id),
                kind=record.metadata.get("kind", "transcript"),
                date=record.metadata.get("date"),
                passages=passages_in[doc_id],
                start=seconds_to_clock(min(starts)) if starts else None,
                end=seconds_to_clock(max(ends)) if ends else None,
                lines=[
                    PersonLine(text=text, start=seconds_to_clock(start), position=position, chunk_id=chunk)
                    for position, chunk, text, start, _ in keep
                ],
            )
        )
    cut = len(found) > PERSON_PASSAGES or listed < len(said)
    return PersonPage(**person.model_dump(), topics=topics(said, idf, names=book.every_name()), in_documents=documents, lines_cut=cut)


def _own_lines(hit: QueryHit, wanted: set[str]) -> list[tuple[str, float | None]]:
    """The passage's lines this person speaks (a transcript passage holds one `Name: text` line per turn)."""
    labels = list(hit.metadata.get("speakers") or [])
    lines = hit.text.split("\n")
    starts = list(hit.metadata.get("line_starts") or [])
    starts = starts if len(starts) == len(lines) else [hit.metadata.get("start_seconds")] + [None] * (len(lines) - 1)
    own = []
    for line, start in zip(lines, starts):
        speaker, words = speaker_of(line, labels)
        if speaker is None and len(labels) == 1 and hit.metadata.get("speaker") == labels[0]:
            speaker = labels[0]  # a one-speaker passage whose line continues their turn
        if speaker is not None and fold(speaker) in wanted and words.strip():
            own.append((words.strip(), start))
    return own


def topics(texts: list[str], idf: Callable[[Iterable[str]], dict[str, float]], n: int = TOPICS, names: Iterable[str] = ()) -> list[str]:
    """The words and two-word phrases these texts use in the most lines, weighed by how rare they are in the store.

    A word or phrase must come back in two lines (one line's repetition is no topic); common
    words and the parts of people's `names` (a host says "Maya, ...") never count. Words are
    compared stemmed ("mentors", "mentoring") and shown as written most often.
    """
    skip = _COMMON | {part.lower() for name in names for part in _WORD.findall(name)}
    from kb.bm25.tokens import stem_words

    words_per_text = [
        [w if w not in skip and "'" not in w else "" for w in (m.lower().replace("’", "'") for m in _WORD.findall(text))] for text in texts
    ]
    stems_per_text = [stem_words(words) for words in words_per_text]
    written: dict[str, Counter[str]] = defaultdict(Counter)
    singles: Counter[str] = Counter()
    pairs: Counter[tuple[str, str]] = Counter()
    for words, stems in zip(words_per_text, stems_per_text):
        for word, stem in zip(words, stems):
            if stem and word:
                written[stem][word] += 1
        singles.update({stem for word, stem in zip(words, stems) if stem and word})
        line_pairs = set()
        for (first, second), (w1, w2) in zip(zip(stems, stems[1:]), zip(words, words[1:])):
            if first and second and w1 and w2 and first != second:
                line_pairs.add((first, second))
                written[f"{first} {second}"][f"{w1} {w2}"] += 1
        pairs.update(line_pairs)
    weights = idf(singles)
    scored = [(count * weights.get(stem, 0.0), stem) for stem, count in singles.items() if count >= 2 or len(texts) < 3]  # count: lines
    scored += [(count * (weights.get(a, 0.0) + weights.get(b, 0.0)) * 0.75, f"{a} {b}") for (a, b), count in pairs.items() if count >= 2]
    chosen: list[str] = []
    for _, key in sorted(scored, reverse=True):
        parts = key.split(" ")
        if any(part in chosen or any(part in c.split(" ") for c in chosen) for part in parts):
            continue  # "code review" covers "code" and "review"
        chosen.append(key)
        if len(chosen) == n:
            break
    return [written[key].most_common(1)[0][0] for key in chosen]
