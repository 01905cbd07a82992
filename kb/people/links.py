"""Merges, renames and unmerges as changes to the stored links (alias -> person); the callers write them under the lock.

Each returns (the new links, the name to show for the person changed). Names are
checked against the book first: a typo in `kb people merge` is an error that
names the fix, never a silent new person.
"""

from __future__ import annotations

import unicodedata

from kb.contract import MAX_SPEAKER_CHARS
from kb.errors import InvalidInput
from kb.people.book import PeopleBook, fold

MAX_LINKS = 10_000


def merged(book: PeopleBook, links: dict[str, str], names: list[str], into: str) -> tuple[dict[str, str], str]:
    """Every person in `names` becomes the person `into` names (a name someone here goes by: a typo is an error)."""
    into = _checked(into, "into")
    if not book.known(into):
        raise InvalidInput(
            f"nobody here goes by '{into}': merge into a name `kb people` lists, or show someone under a new name with `kb people rename`"
        )
    target = book.person(into)
    changed = dict(links)
    for name in names:
        _known(book, _checked(name, "names"))
        person = book.person(name)
        if fold(person) != fold(target):
            _drop(changed, person)
            changed[person] = target
    _drop(changed, target)  # the target is a person, not an alias of one
    return _bounded(changed), target


def renamed(book: PeopleBook, links: dict[str, str], name: str, new_name: str) -> tuple[dict[str, str], str]:
    """The person `name` is shown as `new_name` (a name nobody else goes by); their names so far become aliases."""
    _known(book, _checked(name, "name"))
    new_name = _checked(new_name, "new_name")
    person = book.person(name)
    if book.known(new_name) and fold(book.person(new_name)) != fold(person):
        raise InvalidInput(f"'{new_name}' is already {book.person(new_name)}: to make them one person, `kb people merge '{name}' '{new_name}'`")
    changed = dict(links)
    _drop(changed, new_name)
    if fold(person) != fold(new_name):
        _drop(changed, person)
        changed[person] = new_name
    return _bounded(changed), new_name


def imported(links: dict[str, str], people: dict[str, list[str]]) -> tuple[dict[str, str], list[str]]:
    """A people file (`{Maya Chen: [Dr. Maya Chen, maya]}`): each alias becomes its person; the persons named.

    Unlike a merge, an alias nobody goes by yet is taken: the file is the team's list of who is who,
    written ahead of the transcripts that will use those names.
    """
    if not isinstance(people, dict) or len(people) > MAX_LINKS:
        raise InvalidInput(f"a people file maps each person to their other names, e.g. 'Maya Chen: [Dr. Maya Chen, maya]' (at most {MAX_LINKS:,})")
    changed = dict(links)
    persons: list[str] = []
    listed = {fold(alias) for aliases in people.values() for alias in ([aliases] if isinstance(aliases, str) else aliases or [])}
    both = [str(person) for person in people if fold(str(person)) in listed]
    if both:
        raise InvalidInput(f"people: '{both[0]}' is both a person and another person's name: list each person once, with all their names")
    for person, aliases in people.items():
        person = _checked(person, "people")
        aliases = [aliases] if isinstance(aliases, str) else aliases
        if not isinstance(aliases, list) or not all(isinstance(alias, str) for alias in aliases):
            raise InvalidInput(f"people: '{person}' needs a list of other names, e.g. '{person}: [{person.split()[0]}]'")
        _drop(changed, person)  # a person in the file is nobody's alias
        for alias in (_checked(alias, f"people.{person}") for alias in aliases):
            if fold(alias) != fold(person):
                _drop(changed, alias)
                changed[alias] = person
        persons.append(person)
    return _bounded(changed), persons


def unmerged(book: PeopleBook, links: dict[str, str], name: str) -> tuple[dict[str, str], str]:
    """`name` no longer points at anyone; front matter aliases stay with the documents that declare them."""
    name = _checked(name, "name")
    changed = dict(links)
    if not _drop(changed, name):
        raise InvalidInput(f"'{name}' is not merged into anyone: `kb people show '{name}'` shows who it is and why")
    return changed, name


def _drop(links: dict[str, str], name: str) -> bool:
    keys = [key for key in links if fold(key) == fold(name)]
    for key in keys:
        del links[key]
    return bool(keys)


def _checked(name: str, field: str) -> str:
    name = " ".join(str(name).split())
    if not name or len(name) > MAX_SPEAKER_CHARS or any(unicodedata.category(c) in ("Cc", "Cf") for c in name):
        raise InvalidInput(f"{field}: a name of 1-{MAX_SPEAKER_CHARS} characters without control characters, e.g. 'Adam Chlipala'")
    return name


def valid_links(value: object) -> dict[str, str]:
    """Stored or restored links as they must be (alias -> person, bounded); anything else is refused."""
    if not isinstance(value, dict) or len(value) > MAX_LINKS:
        raise InvalidInput(f"people links must be an object of at most {MAX_LINKS:,} names")
    return {_checked(alias, "people"): _checked(person, "people") for alias, person in value.items()}


def _known(book: PeopleBook, name: str) -> None:
    if not book.known(name):
        raise InvalidInput(f"nobody here goes by '{name}': `kb people` or GET /v1/people lists who speaks (names are compared without case)")


def _bounded(links: dict[str, str]) -> dict[str, str]:
    if len(links) > MAX_LINKS:
        raise InvalidInput(f"at most {MAX_LINKS:,} merged names: unmerge some first")
    return links
