"""Open the knowledge base the settings name, wherever its store is, and lend a store to the kb commands of this
machine while serving it: what front ends (the kb command, `kb serve`, scripts) call instead of the claim itself."""

from __future__ import annotations

from kb.knowledge_base import KnowledgeBase
from kb.protocol import KnowledgeBaseLike
from kb.remote import RemoteKnowledgeBase
from kb.settings import Settings
from kb.store.claim import StoreServed, claim_store, served_token


def open_knowledge_base(settings: Settings | None = None, wait: float = 0.0) -> KnowledgeBaseLike:
    """This process's `KnowledgeBase` over the store, or, when a running `kb serve` owns it, a
    `RemoteKnowledgeBase` through that server; either way the same methods.

    An embedded store is opened by one process at a time (kb/store/claim.py):
    `wait` is how long to wait for another kb command that has it open
    (StoreBusy after that). Close what this returns (or use it in a `with`).
    """
    settings = settings or Settings()
    kb = KnowledgeBase(settings)
    try:
        kb.claim(wait)
    except StoreServed as served:
        return RemoteKnowledgeBase(served.holder.url or "", served.holder.token, settings)
    return kb


def serve_store(settings: Settings, url: str, wait: float = 1.0) -> None:
    """Claim the embedded store for the server in this process, and say that kb commands on this machine
    reach it at `url` (with a token only they can read). StoreServed when another server owns it,
    StoreBusy when a kb command keeps it past `wait` seconds; held until the process ends."""
    claim_store(settings.data_dir, wait).publish(url)


def local_token(settings: Settings) -> str | None:
    """The token this process published for its store, if it serves one: what lets this machine's kb commands in."""
    return served_token(settings.data_dir)


__all__ = ["StoreServed", "local_token", "open_knowledge_base", "serve_store"]
