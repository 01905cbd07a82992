"""Generative answers: the team's LLM writes from the same passages `ask` finds, and only verified sentences pass.

The model gets the question and the numbered passages (kb/answers/prompt.py)
and its reply streams to whoever listens (`on_delta`: the page shows it as a
draft). Then every sentence is checked against the passages it cites
(kb/answers/verification.py); unsupported ones are dropped and counted. When too little
survives, or the server fails, GenerationFailed says why and the caller gives
the extractive answer instead.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

from kb.answers.llm_client import LLMClient, LLMFailed
from kb.answers.prompt import NO_ANSWER, build_prompt
from kb.answers.verification import MIN_KEPT_SHARE, Verifier, assemble
from kb.models import Passage, Verification

log = logging.getLogger("panel_kb.generative")

BUSY_WAIT_SECONDS = 1.0  # how long a question waits for a free slot before it gets the extractive answer


def answer_tokens(max_words: int) -> int:
    """Tokens the model may write: ~1.3 per English word, the [n] markers, and room for a sentence to end."""
    return int(max_words * 1.6) + 48


@dataclass
class Generated:
    text: str
    citations: list[Passage]
    verification: Verification


class GenerationFailed(Exception):
    """No generative answer: `reason` for the response's `fallback`, and what verification saw, if it ran."""

    def __init__(self, reason: str, verification: Verification | None = None) -> None:
        super().__init__(reason)
        self.reason, self.verification = reason, verification


class GenerativeAnswerer:
    """Writes verified answers through an LLMClient, at most `concurrency` at a time."""

    def __init__(self, client: LLMClient, verifier: Verifier, context_tokens: int, concurrency: int) -> None:
        self.client, self.verifier, self.context_tokens = client, verifier, context_tokens
        self.slots = threading.BoundedSemaphore(concurrency)
        self.concurrency = concurrency

    def answer(
        self,
        question: str,
        passages: list[Passage],
        max_words: int,
        max_citations: int,
        speaker: str | None = None,
        on_delta: Callable[[str], None] | None = None,
    ) -> Generated:
        """A verified answer citing at most `max_citations` passages, or GenerationFailed."""
        prompt = build_prompt(question, passages[:max_citations], max_words, self.context_tokens, answer_tokens(max_words), speaker)
        if not self.slots.acquire(timeout=BUSY_WAIT_SECONDS):
            raise GenerationFailed(f"the LLM server is busy with {self.concurrency} other answers (KB_LLM_CONCURRENCY)")
        try:
            reply = self._write(prompt.messages, max_words, on_delta)
        finally:
            self.slots.release()
        if reply.strip().upper().startswith(NO_ANSWER):
            raise GenerationFailed("the model found no answer in the passages")
        checked = self.verifier.check(reply, prompt.passages, speaker)
        dropped = [c for c in checked if not c.kept]
        verification = Verification(
            sentences=len(checked), kept=len(checked) - len(dropped), dropped=len(dropped), reasons=[c.reason or "" for c in dropped]
        )
        log.info("generative answer: %d of %d sentences kept%s", verification.kept, verification.sentences, _reasons(dropped))
        if not checked:
            raise GenerationFailed("the model's reply had no sentences", verification)
        if verification.kept == 0 or verification.kept < MIN_KEPT_SHARE * verification.sentences:
            raise GenerationFailed(f"verification kept {verification.kept} of {verification.sentences} sentences", verification)
        text, citations = assemble(checked, prompt.passages, max_words)
        return Generated(text, citations, verification)

    def _write(self, messages, max_words: int, on_delta: Callable[[str], None] | None) -> str:
        parts: list[str] = []
        try:
            for delta in self.client.stream(messages, answer_tokens(max_words)):
                parts.append(delta)
                if on_delta is not None:
                    on_delta(delta)
        except LLMFailed as failed:
            log.info("generative answer failed: %s", failed.reason)
            raise GenerationFailed(failed.reason) from None
        return "".join(parts)


def _reasons(dropped) -> str:
    return "; dropped: " + "; ".join(c.reason for c in dropped) if dropped else ""
