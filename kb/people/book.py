"""Who a speaker label is: labels, declared aliases and merges resolved to one display name per person.

Three sources, weakest first:
- the labels passages carry: labels equal but for case are one person ("MAYA CHEN", "Maya Chen");
- aliases a document declares in front matter (`people: {Maya Chen: [Dr. Maya Chen, maya]}`);
- links made with `kb people merge` (they win over what a document declares, and are undone by `unmerge`).
A chain of links is followed (Adam -> A. Chlipala -> Adam Chlipala); a cycle stops where it closes.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

MAX_HOPS = 16


def fold(name: str) -> str:
    """The form names are compared in: case and spacing do not make another person."""
    return " ".join(name.split()).casefold()


class PeopleBook:
    """Every known label mapped to a person, and each person's labels and aliases."""

    def __init__(self, labels: Iterable[str], declared: Mapping[str, str] | None = None, links: Mapping[str, str] | None = None) -> None:
        counts = Counter(label for label in labels if label and label.strip())
        self._written: dict[str, str] = {}  # folded -> the spelling used most (the first, on a tie)
        for label, _ in counts.most_common():
            self._written.setdefault(fold(label), label)
        stated = {fold(alias): target for alias, target in (declared or {}).items() if fold(alias) != fold(target)}
        merged = {fold(alias): target for alias, target in (links or {}).items() if fold(alias) != fold(target)}
        for target in merged.values():
            stated.pop(fold(target), None)  # a merge's target is a person, whatever a document declared of that name
        self._links: dict[str, str] = {**stated, **merged}
        for alias, target in [*(declared or {}).items(), *(links or {}).items()]:
            self._written.setdefault(fold(alias), " ".join(alias.split()))
            self._written.setdefault(fold(target), " ".join(target.split()))
        self.labels = sorted(set(counts), key=str.casefold)
        self._persons: dict[str, str] = {}
        for key in {*self._written, *self._links}:
            self._persons[key] = self._follow(key)

    def _follow(self, key: str) -> str:
        seen = {key}
        for _ in range(MAX_HOPS):
            target = self._links.get(key)
            if target is None or fold(target) in seen:
                break
            key = fold(target)
            seen.add(key)
        return self._written[key]

    def person(self, name: str) -> str:
        """The display name of whoever `name` (a label, an alias or a person's name) is; an unknown name as written."""
        return self._persons.get(fold(name), " ".join(name.split()))

    def known(self, name: str) -> bool:
        return fold(name) in self._persons

    def names_of(self, person: str) -> list[str]:
        """Every label and alias that is this person, the person's own name first: what a speaker filter matches."""
        wanted = fold(self.person(person))
        names = [self.person(person)]
        names += [label for label in self.labels if fold(self.person(label)) == wanted and label not in names]
        names += [self._written[key] for key, value in self._persons.items() if fold(value) == wanted and self._written[key] not in names]
        return names

    def labels_of(self, person: str) -> list[str]:
        """The stored labels that are this person (what passages carry)."""
        wanted = fold(self.person(person))
        return [label for label in self.labels if fold(self.person(label)) == wanted]

    def aliases_of(self, person: str) -> list[str]:
        """The other names this person goes by (labels written otherwise, declared aliases, merged names)."""
        display = self.person(person)
        return [name for name in self.names_of(display) if name != display]

    def people(self) -> list[str]:
        """Everyone who speaks in a stored passage, by display name."""
        return sorted({self.person(label) for label in self.labels}, key=str.casefold)

    def every_name(self) -> list[str]:
        """Labels, aliases and display names: what a question may call someone ("what did maya say ...")."""
        return sorted({*self.labels, *(self._written[k] for k in self._persons), *self._persons.values()}, key=str.casefold)


def book_of(records: Iterable[Any], links: Mapping[str, str]) -> PeopleBook:
    """The book of a store: the labels and front matter aliases its document records hold, and its merge links."""
    records = list(records)
    labels = [name for record in records for name in record.metadata.get("speakers") or []]
    declared = {alias: person for record in records for alias, person in declared_people(record.metadata).items()}
    return PeopleBook(labels, declared, links)


def declared_people(metadata: Mapping[str, Any]) -> dict[str, str]:
    """alias -> person as a document's front matter declared them (`people:`), stored as JSON on its record."""
    try:
        value = json.loads(str(metadata.get("people") or "{}"))
    except ValueError:
        return {}
    return {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else {}
