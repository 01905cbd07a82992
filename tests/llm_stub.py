"""A scripted OpenAI-compatible chat server on a loopback port, for exact-output tests of generative answers.

It speaks the wire format real servers (vLLM, llama.cpp, Ollama) do: POST
/v1/chat/completions, streamed as `chat.completion.chunk` Server-Sent Events or
as one JSON body. Each test scripts the reply (text, HTTP status, delay,
garbage) and reads back what it was asked.
"""

from __future__ import annotations

import asyncio
import json
import re
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse


@dataclass
class Script:
    reply: str | Callable[[dict], str] = "Nothing to say. [1]"  # or made from the request's body
    status: int = 200
    delay: float = 0.0  # seconds before the first byte
    word_delay: float = 0.0  # seconds between streamed words
    garbage: bool = False  # a 200 whose body is not a chat completion
    keepalive: float = 0.0  # seconds of SSE comments (": ping", one every 0.2 s) before the first word
    requests: list[dict] = field(default_factory=list)
    key: str | None = None  # when set, a request without `Bearer <key>` gets 401
    fetched: list[str] = field(default_factory=list)  # paths anyone GETs (an image a page must never load)


def _chunk(content: str | None, finish: str | None = None) -> str:
    delta = {"role": "assistant", "content": content} if content is not None else {}
    body = {
        "id": "x",
        "object": "chat.completion.chunk",
        "created": 0,
        "model": "stub",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }
    return f"data: {json.dumps(body)}\n\n"


def build_app(script: Script) -> FastAPI:
    app = FastAPI()

    @app.post("/v1/chat/completions")
    async def chat(request: Request) -> Response:
        body = await request.json()
        script.requests.append({"body": body, "authorization": request.headers.get("authorization")})
        if script.key and request.headers.get("authorization") != f"Bearer {script.key}":
            return JSONResponse({"error": {"message": "Invalid API key", "type": "invalid_request_error"}}, status_code=401)
        if script.delay:
            await asyncio.sleep(script.delay)
        if script.status != 200:
            message = "This model's maximum context length is 2048 tokens" if script.status == 400 else "boom"
            return JSONResponse({"error": {"message": message, "type": "server_error"}}, status_code=script.status)
        if script.garbage:
            return Response("<html>proxy error page</html>", media_type="text/event-stream" if body.get("stream") else "text/html")
        text = script.reply(body) if callable(script.reply) else script.reply
        if body.get("stream"):

            async def events():
                pinged = time.monotonic()
                while time.monotonic() - pinged < script.keepalive:  # a busy server keeping the connection alive
                    yield ": ping\n\n"
                    await asyncio.sleep(0.2)
                words = text.split(" ")
                for i, word in enumerate(words):
                    yield _chunk(word if i == 0 else " " + word)
                    if script.word_delay:
                        await asyncio.sleep(script.word_delay)
                yield _chunk(None, "stop")
                yield "data: [DONE]\n\n"

            return StreamingResponse(events(), media_type="text/event-stream")
        message = {"role": "assistant", "content": text}
        return JSONResponse(
            {
                "id": "x",
                "object": "chat.completion",
                "created": 0,
                "model": "stub",
                "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
            }
        )

    return app


class ScriptedLLM:
    """The stub running in a thread of this process; `url` is its OpenAI base URL (ends in /v1)."""

    def __init__(self) -> None:
        self.script = Script()
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}/v1"
        self.server = uvicorn.Server(uvicorn.Config(build_app(self.script), log_level="warning", lifespan="off"))
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True)
        self.thread.start()
        deadline = time.time() + 10
        while not self.server.started and time.time() < deadline:
            time.sleep(0.02)

    def reset(self) -> Script:
        """Back to the default script (a fresh request log); the script to set up."""
        for name, value in vars(Script()).items():
            setattr(self.script, name, value)
        return self.script

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=5)
        self.sock.close()


def passages_in(body: dict) -> dict[int, tuple[str, str]]:
    """The prompt's numbered passages: n -> (label, text)."""
    user = body["messages"][-1]["content"]
    blocks = re.findall(r"\[(\d+)\] ([^\n]*)\n(.*?)(?=\n\n\[\d+\] |\n</passages>)", user, re.S)
    return {int(n): (label, text) for n, label, text in blocks}


def spoken(body: dict, n: int) -> tuple[str, str]:
    """(speaker, a sentence of 6+ words they say) from passage [n] of the prompt."""
    _, text = passages_in(body)[n]
    for line in text.split("\n"):
        if ": " in line:
            speaker, words = line.split(": ", 1)
            for sentence in re.split(r"(?<=[.!?])\s+", words):
                if len(sentence.split()) >= 6 and "?" not in sentence:
                    return speaker, sentence
    raise AssertionError(f"no spoken sentence in passage {n}")
