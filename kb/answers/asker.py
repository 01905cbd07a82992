"""Asking: the passages a question finds, then an answer written from them, every sentence cited.

txtai's `Embeddings` hands search to an action object; `KnowledgeBase` hands
asking to this one. The Asker decides who writes (the extractive composer, or
the team's LLM when asked for or configured, every sentence verified), falls
back to the extractive answer when a generative one fails and says why, scopes
an answer to a speaker the question names, and turns an answer into events
for a stream. The writers are built on first use by the facade that wires them.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from kb.answers.composer import Composer
from kb.answers.generative import GenerationFailed
from kb.answers.markers import keep_valid_markers
from kb.answers.relevance import NOTHING_RELEVANT, any_relevant, nothing_from
from kb.contract import MAX_WORDS, TOP_K, AskMode
from kb.errors import InvalidInput
from kb.models import AskResponse, Passage, SearchFilters, Verification
from kb.text.question_speaker import speaker_named_in

if TYPE_CHECKING:
    from kb.answers.generative import Generated, GenerativeAnswerer

AskEvent = tuple[str, "str | AskResponse"]
Search = Callable[[str, int, SearchFilters], list[Passage]]  # (query, top_k, filters) -> passages, best first

ASK_POOL = 2  # ask reads ASK_POOL x top_k passages to find its sentences


class Asker:
    """Answers questions over one store's search.

    `search` finds passages; `speakers()` names everyone who speaks in the store
    (for "what did Maya Chen say ...") by every name they go by, and `person` says who a name is;
    `composer()` and `generator()` give the
    extractive and generative writers, built when first asked for; `llm_url` is
    the configured LLM server (auto mode writes through it when set).
    """

    def __init__(
        self,
        search: Search,
        speakers: Callable[[], list[str]],
        composer: Callable[[], Composer],
        generator: Callable[[], GenerativeAnswerer],
        llm_url: str | None,
        person: Callable[[str], str] = lambda name: name,
    ) -> None:
        self.search, self.speakers, self.composer, self.generator, self.llm_url = search, speakers, composer, generator, llm_url
        self.person = person

    def ask(
        self,
        question: str,
        top_k: int = 5,
        filters: SearchFilters | None = None,
        max_words: int = 120,
        mode: AskMode = "auto",
        on_delta: Callable[[str], None] | None = None,
    ) -> AskResponse:
        """An answer whose every sentence cites a passage, or a plain "nothing relevant".

        Extractive by default; generative (the team's LLM, every sentence verified) when `mode` asks for it or
        is "auto" with KB_LLM_URL set. A generative answer that fails falls back to the extractive one and says
        why (`fallback`). `on_delta` hears the model's text as it is written, before verification.
        """
        if not MAX_WORDS.holds(max_words):
            raise InvalidInput(f"max_words must be between {MAX_WORDS.low} and {MAX_WORDS.high}")
        filters = filters or SearchFilters()
        if filters.speaker is None and (named := speaker_named_in(question, self.speakers)):
            filters = filters.model_copy(update={"speaker": named})  # "what did Maya Chen say about X": only her words
        if filters.speaker:
            filters = filters.model_copy(update={"speaker": self.person(filters.speaker)})  # "maya", "Dr. Chen": the person they are
        # Sentences are drawn from a wider pool than top_k; at most top_k passages end up cited.
        pool = min(TOP_K.high, top_k * ASK_POOL)
        passages = self.search(question, pool, filters)
        fallback: str | None = None
        verification: Verification | None = None
        if passages and (mode == "generative" or (mode == "auto" and self.llm_url)):
            try:
                generated = self._generate(question, passages, max_words, top_k, filters.speaker, on_delta)
                return AskResponse(
                    question=question.strip(),
                    answer=generated.text,
                    citations=generated.citations,
                    mode="generative",
                    verification=generated.verification,
                )
            except GenerationFailed as failed:
                fallback, verification = failed.reason, failed.verification

        def elsewhere(topic: str) -> list[Passage]:
            """Asked only when a speaker's own words miss the topic ("glue work"): does anyone else here speak to it?"""
            return self.search(topic or question, pool, filters.model_copy(update={"speaker": None}))

        answer, cited = (
            self.composer().compose(question, passages, max_words, max_citations=top_k, speaker=filters.speaker, elsewhere=elsewhere)
            if passages
            else ("", [])
        )
        said = {"fallback": fallback, "verification": verification}
        if not answer:
            silent = nothing_from(filters.speaker) if filters.speaker else NOTHING_RELEVANT
            return AskResponse(question=question.strip(), answer=silent, citations=passages[:top_k], answered=False, **said)
        return AskResponse(question=question.strip(), answer=keep_valid_markers(answer, cited), citations=cited, **said)

    def stream(
        self, question: str, top_k: int = 5, filters: SearchFilters | None = None, max_words: int = 120, mode: AskMode = "auto"
    ) -> Iterator[AskEvent]:
        """`ask` as events: ("delta", text) while the answer is written, then ("answer", AskResponse).

        An extractive answer comes as one delta with its whole text, so a client has one code path. Errors
        (InvalidInput, ...) are raised from the iterator, after any deltas already sent.
        """
        events: queue.Queue[AskEvent | BaseException | None] = queue.Queue()

        def work() -> None:
            try:
                events.put(("answer", self.ask(question, top_k, filters, max_words, mode, on_delta=lambda text: events.put(("delta", text)))))
            except BaseException as exc:  # handed to the reader, who raises it
                events.put(exc)
            finally:
                events.put(None)

        threading.Thread(target=work, name="kb-ask", daemon=True).start()
        streamed = False
        while (event := events.get()) is not None:
            if isinstance(event, BaseException):
                raise event
            if isinstance(event[1], AskResponse) and not streamed:
                yield ("delta", event[1].answer)
            streamed = streamed or event[0] == "delta"
            yield event

    def _generate(
        self, question: str, passages: list[Passage], max_words: int, top_k: int, speaker: str | None, on_delta: Callable[[str], None] | None
    ) -> Generated:
        if not self.llm_url:
            raise GenerationFailed("no LLM server is configured: set KB_LLM_URL (and KB_LLM_MODEL) to use generative answers")
        if not any_relevant(passages):
            raise GenerationFailed("nothing stored is close enough to the question to write an answer from")
        return self.generator().answer(question, passages, max_words, top_k, speaker, on_delta)
