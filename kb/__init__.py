"""panel-kb's library: everything the `kb` command, the HTTP API and scripts do goes through it.

The public names are listed here and loaded on first use, so `import kb.contract`
(or `kb --help`) does not load the store, the search or the model:

    from kb import open_knowledge_base, SearchFilters

    with open_knowledge_base() as kb:      # this process's store, or a running `kb serve`'s
        for passage in kb.search("sponsorship", filters=SearchFilters(kind="transcript")).results:
            print(passage.speaker, passage.start, passage.text)

The rooms: `store/` (Chroma, the claim, the write lock and protocol, records),
`bm25/` (the keyword side), `search/` (fusion and the searcher), `answers/`
(extractive and generative answers, verification), `text/` (sentences, times,
quote spans), `embedding/` (the bundled model). At the top: the facades
(`knowledge_base.py`, `remote.py`, and the surface both offer, `protocol.py`),
`doctor.py`, `evaluation.py`, and the ground every room stands on: `settings.py`,
`contract.py`, `models.py` (the contract's shapes), `errors.py`.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# public name -> the module that defines it
_PUBLIC = {
    "KnowledgeBase": "kb.knowledge_base",
    "RemoteKnowledgeBase": "kb.remote",
    "KnowledgeBaseLike": "kb.protocol",
    "open_knowledge_base": "kb.opening",
    "Settings": "kb.settings",
    **dict.fromkeys(
        (
            "AskResponse",
            "DoctorReport",
            "DocumentInfo",
            "DocumentPassages",
            "FileReport",
            "Health",
            "IngestReport",
            "Passage",
            "Quote",
            "SearchFilters",
            "SearchResponse",
        ),
        "kb.models",
    ),
    **dict.fromkeys(
        (
            "KBError",
            "InvalidInput",
            "ModelUnavailable",
            "NotFound",
            "StoreBusy",
            "StoreMismatch",
            "StoreUnavailable",
            "UnreadableDocument",
            "UnsupportedType",
        ),
        "kb.errors",
    ),
}

__all__ = [
    "AskResponse",
    "DoctorReport",
    "DocumentInfo",
    "DocumentPassages",
    "FileReport",
    "Health",
    "IngestReport",
    "InvalidInput",
    "KBError",
    "KnowledgeBase",
    "KnowledgeBaseLike",
    "ModelUnavailable",
    "NotFound",
    "Passage",
    "Quote",
    "RemoteKnowledgeBase",
    "SearchFilters",
    "SearchResponse",
    "Settings",
    "StoreBusy",
    "StoreMismatch",
    "StoreUnavailable",
    "UnreadableDocument",
    "UnsupportedType",
    "open_knowledge_base",
]  # the same names as _PUBLIC (a test checks)


def __getattr__(name: str) -> Any:
    """Load a public name's module when the name is first asked for (PEP 562)."""
    if name not in _PUBLIC:
        raise AttributeError(f"module 'kb' has no attribute '{name}'")
    value = getattr(importlib.import_module(_PUBLIC[name]), name)
    globals()[name] = value  # asked once
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_PUBLIC})


if TYPE_CHECKING:
    from kb.errors import (
        InvalidInput,
        KBError,
        ModelUnavailable,
        NotFound,
        StoreBusy,
        StoreMismatch,
        StoreUnavailable,
        UnreadableDocument,
        UnsupportedType,
    )
    from kb.knowledge_base import KnowledgeBase
    from kb.models import (
        AskResponse,
        DoctorReport,
        DocumentInfo,
        DocumentPassages,
        FileReport,
        Health,
        IngestReport,
        Passage,
        Quote,
        SearchFilters,
        SearchResponse,
    )
    from kb.opening import open_knowledge_base
    from kb.protocol import KnowledgeBaseLike
    from kb.remote import RemoteKnowledgeBase
    from kb.settings import Settings
