"""GET /v1/people, GET /v1/people/{name}, POST /v1/people/merge|rename|unmerge|import: the speakers as persons (kb/people/).

Reads follow the readers' rules; merges, renames and unmerges are writes (the
writers' rules and the store's write lock) and embed nothing.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends
from starlette.convertors import Convertor, register_url_convertor

from api.dependencies import get_kb, get_settings
from api.responses import error_responses
from kb import KnowledgeBase, Settings
from kb.models import PeopleImport, PeopleList, PeopleMerge, PeopleRename, PeopleUnmerge, Person, PersonPage

WRITE_ACTIONS = ("merge", "rename", "unmerge", "import")


class PersonNameConvertor(Convertor[str]):
    """A person's name in a path (it may hold "/"), but not the writers' actions: GET /v1/people/merge is no person."""

    regex = r"(?s:(?!(?:" + "|".join(WRITE_ACTIONS) + r")$).+)"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("person_name", PersonNameConvertor())

reads = APIRouter(prefix="/v1/people", tags=["people"])
writes = APIRouter(prefix="/v1/people", tags=["people"])


@reads.get("", response_model=PeopleList)
def list_people(kb: KnowledgeBase = Depends(get_kb)) -> PeopleList:
    """Everyone who speaks in a stored passage (most passages first), with the names they go by, their documents and dates."""
    return PeopleList(people=kb.people())


@reads.get("/{name:person_name}", response_model=PersonPage, responses=error_responses(404))
def person(name: str, kb: KnowledgeBase = Depends(get_kb)) -> PersonPage:
    """One person by any name they go by: their documents with the times they speak, their lines, their topics."""
    return kb.person(name)


@writes.post("/merge", response_model=Person, responses=error_responses(400, 409, 413, 422))
def merge(body: PeopleMerge, kb: KnowledgeBase = Depends(get_kb), settings: Settings = Depends(get_settings)) -> Person:
    """Every name in `names` becomes the person `into` ("Adam" into "Adam Chlipala"); nothing is embedded again."""
    return kb.merge_people(body.names, body.into, settings.write_wait)


@writes.post("/rename", response_model=Person, responses=error_responses(400, 409, 413, 422))
def rename(body: PeopleRename, kb: KnowledgeBase = Depends(get_kb), settings: Settings = Depends(get_settings)) -> Person:
    """The person `name` is shown as `new_name`; the names they had become aliases."""
    return kb.rename_person(body.name, body.new_name, settings.write_wait)


@writes.post("/import", response_model=PeopleList, responses=error_responses(400, 409, 413, 422))
def import_people(body: PeopleImport, kb: KnowledgeBase = Depends(get_kb), settings: Settings = Depends(get_settings)) -> PeopleList:
    """A people file: each person with the other names they go by (`kb people import people.yaml`); the persons as they are now."""
    return PeopleList(people=kb.import_people(body.people, settings.write_wait))


@writes.post("/unmerge", response_model=Person, responses=error_responses(400, 409, 413, 422))
def unmerge(body: PeopleUnmerge, kb: KnowledgeBase = Depends(get_kb), settings: Settings = Depends(get_settings)) -> Person:
    """`name` is its own person again (undoes a merge or a rename of that name)."""
    return kb.unmerge_person(body.name, settings.write_wait)
