"""Who a speaker label is: labels, declared aliases and merges resolved to one display name per person.

Three sources, weakest first:
- the labels passages carry: labels equal but for case are one person ("MAYA CHEN", "Maya Chen");
- aliases a document declares in front matter (`people: {Maya Chen: [Dr. Maya Chen, maya]}`); an alias
  two documents give to two different people is ambiguous and left out (`conflicts` names it);
- links made with `kb people merge` (they win over what a document declares, and are undone by `unmerge`).
Names joined by any of these are one person (a union of groups, so loops and chains are harmless),
shown under one name chosen the same way every time: a merge's target, else the person a document
declares, else the label the documents use most.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from typing import Any


def fold(name: str) -> str:
    """The form names are compared in: case and spacing do not make another person."""
    return " ".join(name.split()).casefold()


class PeopleBook:
    """Every known label mapped to a person, and each person's labels and aliases, resolved once (lookups after)."""

    def __init__(
        self, labels: Iterable[str], declared: Iterable[tuple[str, str]] | Mapping[str, str] = (), links: Mapping[str, str] | None = None
    ) -> None:
        counts = Counter(label for label in labels if label and label.strip())
        self.labels = sorted(counts, key=str.casefold)
        uses: Counter[str] = Counter()
        self._written: dict[str, str] = {}  # folded -> the spelling used most (the first given, for names no label has)
        for label, times in counts.most_common():
            self._written.setdefault(fold(label), label)
            uses[fold(label)] += times
        pairs = list(declared.items()) if isinstance(declared, Mapping) else list(declared)
        merged = {fold(alias): fold(target) for alias, target in (links or {}).items() if fold(alias) != fold(target)}
        stated, self.conflicts = _unambiguous(pairs, merged)
        for alias, target in [*pairs, *(links or {}).items()]:
            for name in (alias, target):
                self._written.setdefault(fold(name), " ".join(name.split()))
        groups = _groups(self._written, [*stated.items(), *merged.items()])
        merge_roots = set(merged.values()) - set(merged)
        stated_roots = set(stated.values()) - set(stated)
        self._persons: dict[str, str] = {}
        self._names: dict[str, list[str]] = {}
        for members in groups:
            shown = min(
                (members & merge_roots) or (members & stated_roots) or members,
                key=lambda key: (-uses[key], key),
            )
            display = self._written[shown]
            for key in members:
                self._persons[key] = display
            others = sorted((self._written[key] for key in members if key != shown), key=lambda name: (-uses[fold(name)], name.casefold()))
            self._names[fold(display)] = [display, *others]
        self._labels: dict[str, list[str]] = defaultdict(list)
        for label in self.labels:
            self._labels[fold(self.person(label))].append(label)

    def person(self, name: str) -> str:
        """The display name of whoever `name` (a label, an alias or a person's name) is; an unknown name as written."""
        return self._persons.get(fold(name), " ".join(name.split()))

    def known(self, name: str) -> bool:
        return fold(name) in self._persons

    def names_of(self, person: str) -> list[str]:
        """Every label and alias that is this person, the person's own name first: what a speaker filter matches."""
        return list(self._names.get(fold(self.person(person)), [self.person(person)]))

    def labels_of(self, person: str) -> list[str]:
        """The stored labels that are this person (what passages carry)."""
        return list(self._labels.get(fold(self.person(person)), []))

    def aliases_of(self, person: str) -> list[str]:
        """The other names this person goes by (labels written otherwise, declared aliases, merged names)."""
        return self.names_of(person)[1:]

    def every_name(self) -> list[str]:
        """Labels, aliases and display names: what a question may call someone ("what did maya say ...")."""
        return sorted(self._written.values(), key=str.casefold)


def _unambiguous(pairs: list[tuple[str, str]], merged: Mapping[str, str]) -> tuple[dict[str, str], list[str]]:
    """Declared alias -> person (folded), without the aliases two documents give to two people, nor those a merge decides."""
    claims: dict[str, set[str]] = defaultdict(set)
    for alias, target in pairs:
        if fold(alias) != fold(target):
            claims[fold(alias)].add(fold(target))
    conflicts = sorted(alias for alias, targets in claims.items() if len(targets) > 1 and alias not in merged)
    stated = {alias: next(iter(targets)) for alias, targets in claims.items() if len(targets) == 1 and alias not in merged}
    for target in merged.values():
        stated.pop(target, None)  # a merge's target is a person, whatever a document declared of that name
    return stated, conflicts


def _groups(keys: Iterable[str], edges: list[tuple[str, str]]) -> list[set[str]]:
    """The names joined by any link, as groups (union-find): A -> B and B -> A are simply one person."""
    parent = {key: key for key in keys}

    def root(key: str) -> str:
        while parent[key] != key:
            parent[key] = parent[parent[key]]
            key = parent[key]
        return key

    for a, b in edges:
        parent[root(a)] = root(b)
    grouped: dict[str, set[str]] = defaultdict(set)
    for key in parent:
        grouped[root(key)].add(key)
    return list(grouped.values())


def book_of(records: Iterable[Any], links: Mapping[str, str]) -> PeopleBook:
    """The book of a store: the labels and front matter aliases its document records hold, and its merge links."""
    records = list(records)
    labels = [name for record in records for name in record.metadata.get("speakers") or []]
    declared = [(alias, person) for record in records for alias, person in declared_people(record.metadata).items()]
    return PeopleBook(labels, declared, links)


def declared_people(metadata: Mapping[str, Any]) -> dict[str, str]:
    """alias -> person as a document's front matter declared them (`people:`), stored as JSON on its record."""
    try:
        value = json.loads(str(metadata.get("people") or "{}"))
    except ValueError:
        return {}
    return {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else {}
