"""The team's own OpenAI-compatible LLM server (Ollama, vLLM, llama.cpp's server, LM Studio, a gateway).

Talked to through llama-index's OpenAI-like integration (the `openai` client
underneath): no protocol of our own. Every way the server can fail becomes one
`LLMFailed` with a sentence a user can act on; the caller then gives the
extractive answer, so a broken LLM server never breaks `ask`.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cached_property

from kb.settings import Settings


class LLMFailed(Exception):
    """The LLM server could not write an answer; `reason` says why, for the response and the log."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Message:
    role: str  # "system" or "user"
    content: str


class LLMClient:
    """Streams a chat completion's text from the server `KB_LLM_URL` names."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.url = (settings.llm_url or "").rstrip("/")

    @cached_property
    def _llm(self):
        from llama_index.llms.openai_like import OpenAILike

        return OpenAILike(
            model=self.settings.llm_model,
            api_base=self.url,
            api_key=self.settings.llm_api_key or "not-needed",  # the client wants one; local servers ignore it
            is_chat_model=True,
            context_window=self.settings.llm_context,
            temperature=0.1,
            timeout=self.settings.llm_timeout,
            max_retries=0,  # a retry would outlive the user's wait; the extractive answer is the fallback
        )

    def stream(self, messages: list[Message], max_tokens: int) -> Iterator[str]:
        """The reply's text as it arrives; LLMFailed on any failure, including running past KB_LLM_TIMEOUT.

        KB_LLM_TIMEOUT is a deadline from start to finish: the connection's own read
        timeout restarts with every byte, and a busy server may send nothing but SSE
        keep-alive comments (which yield no chunk) for minutes. So the reply is read
        in a thread of its own and waited for here only until the deadline.
        """
        from llama_index.core.llms import ChatMessage

        chat = [ChatMessage(role=m.role, content=m.content) for m in messages]
        wrote = False
        for delta in _before(time.monotonic() + self.settings.llm_timeout, lambda: self._deltas(chat, max_tokens), self._slow()):
            wrote = True
            yield delta
        if not wrote:  # a proxy's error page or another protocol parses as a stream of nothing
            raise LLMFailed(f"the LLM server at {self.url} sent no text: not an OpenAI-compatible chat completion stream (KB_LLM_URL ends in /v1)")

    def _deltas(self, chat: list, max_tokens: int) -> Iterator[str]:
        try:
            for chunk in self._llm.stream_chat(chat, max_tokens=max_tokens):
                if chunk.delta:
                    yield chunk.delta
        except Exception as exc:  # noqa: BLE001 - every failure of the server becomes a reason, never a 5xx
            raise LLMFailed(self.explain(exc)) from None

    def explain(self, exc: Exception) -> str:
        """What went wrong with the server, in words that name the setting to change."""
        import openai

        where = f"the LLM server at {self.url}"
        if isinstance(exc, openai.APITimeoutError):
            return self._slow()
        if isinstance(exc, openai.APIConnectionError):
            return f"cannot reach {where}: is it running? (KB_LLM_URL)"
        if isinstance(exc, openai.AuthenticationError | openai.PermissionDeniedError):
            return f"{where} refused the key (HTTP {exc.status_code}): set KB_LLM_API_KEY"
        if isinstance(exc, openai.NotFoundError):
            return f"{where} has no model '{self.settings.llm_model}' or no /chat/completions (HTTP 404): check KB_LLM_MODEL and KB_LLM_URL (it ends in /v1)"
        if isinstance(exc, openai.BadRequestError):
            text = str(exc.message).lower()
            if "context" in text or "too long" in text or "token" in text:
                return f"the passages did not fit the model's context at {where}: set KB_LLM_CONTEXT to the model's window, or ask with a lower top_k"
            return f"{where} rejected the request (HTTP 400): {_short(exc.message)}"
        if isinstance(exc, openai.RateLimitError):
            return f"{where} is rate-limiting us (HTTP 429)"
        if isinstance(exc, openai.APIStatusError):
            return f"{where} failed (HTTP {exc.status_code})"
        return f"{where} sent a reply that is not an OpenAI-compatible chat completion ({exc.__class__.__name__})"

    def _slow(self) -> str:
        return f"the LLM server at {self.url} took longer than KB_LLM_TIMEOUT={self.settings.llm_timeout:g} s"


def _before(deadline: float, items: Callable[[], Iterator[str]], late: str) -> Iterator[str]:
    """`items()` read in a daemon thread and handed on until `deadline` (time.monotonic), then LLMFailed(late).

    Past the deadline the reading thread is told to stop: it ends at the next
    thing the server sends, or when the connection's read timeout fires.
    """
    arrived: queue.Queue[tuple[str, object]] = queue.Queue()
    stop = threading.Event()

    def read() -> None:
        try:
            for item in items():
                if stop.is_set():
                    return
                arrived.put(("item", item))
            arrived.put(("end", None))
        except BaseException as exc:  # noqa: BLE001 - handed to the waiting side, which raises it
            arrived.put(("error", exc))

    threading.Thread(target=read, name="kb-llm-reply", daemon=True).start()
    try:
        while True:
            if time.monotonic() >= deadline:  # also while replies queue up faster than they are taken
                raise LLMFailed(late)
            try:
                kind, value = arrived.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise LLMFailed(late) from None
            if kind == "end":
                return
            if kind == "error":
                raise value  # type: ignore[misc]
            yield value  # type: ignore[misc]
    finally:
        stop.set()


def _short(text: object, limit: int = 160) -> str:
    said = " ".join(str(text).split())
    return said if len(said) <= limit else said[: limit - 1] + "…"
