"""The one interface every language-model backend implements, and the "none" backend."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, TypedDict

from aiweb3.errors import ConfigError, LLMUnavailable

__all__ = ["ChatMessage", "LLMConfig", "LanguageModel", "NoModel", "load_model"]


class ChatMessage(TypedDict):
    """One chat message: ``role`` is "system", "user" or "assistant"."""

    role: str
    content: str


class LanguageModel(Protocol):
    """A chat-completion backend."""

    name: str

    @property
    def available(self) -> bool:
        """False for the "none" backend: callers fall back to deterministic code."""
        ...

    def complete(self, messages: Sequence[ChatMessage], *, temperature: float = 0.0) -> str:
        """Return the assistant's reply to ``messages``."""
        ...


@dataclass(frozen=True)
class LLMConfig:
    """Where the model lives.

    Attributes:
        url: base URL of an OpenAI-compatible API (``http://host:port/v1``); None means no model.
        model: the model name sent with each request.
        api_key: bearer token, if the endpoint wants one (never logged).
        timeout: seconds per request (every call has this deadline unless it passes its own).
        embedded: with no ``url``, run aiweb3's embedded model (``AIWEB3_LLM=embedded``) instead
            of none. Off by default: callers opt in, since it starts a local model server.
        home: ``AIWEB3_HOME`` of the embedded runtime (default: the settings' home).
    """

    url: str | None = None
    model: str = "default"
    api_key: str | None = None
    timeout: float = 60.0
    embedded: bool = False
    home: Path | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> LLMConfig:
        """Read ``AIWEB3_LLM_URL``, ``AIWEB3_LLM_MODEL``, ``AIWEB3_LLM_API_KEY``, ``AIWEB3_LLM_TIMEOUT``
        and ``AIWEB3_LLM`` ("embedded" or "none")."""
        env = os.environ if env is None else env
        try:
            timeout = float(env.get("AIWEB3_LLM_TIMEOUT") or 60.0)
        except ValueError:
            raise ConfigError("AIWEB3_LLM_TIMEOUT must be a number of seconds") from None
        if timeout <= 0:
            raise ConfigError("AIWEB3_LLM_TIMEOUT must be a positive number of seconds")
        backend = (env.get("AIWEB3_LLM") or "none").strip().lower()
        if backend not in ("none", "embedded"):
            raise ConfigError(f"AIWEB3_LLM must be 'embedded' or 'none', not {backend!r}")
        home = env.get("AIWEB3_HOME")
        return cls(
            url=env.get("AIWEB3_LLM_URL") or None,
            model=env.get("AIWEB3_LLM_MODEL") or "default",
            api_key=env.get("AIWEB3_LLM_API_KEY") or None,
            timeout=timeout,
            embedded=backend == "embedded",
            home=Path(home).expanduser() if home else None,
        )

    def __repr__(self) -> str:  # keep the key out of logs and tracebacks
        key = "***" if self.api_key else None
        return (
            f"LLMConfig(url={self.url!r}, model={self.model!r}, api_key={key}, timeout={self.timeout}, "
            f"embedded={self.embedded})"
        )


class NoModel:
    """The "none" backend: no model is configured."""

    name = "none"

    @property
    def available(self) -> bool:
        """Always False."""
        return False

    def complete(self, messages: Sequence[ChatMessage], *, temperature: float = 0.0) -> str:
        """Raise :class:`LLMUnavailable`: there is nothing to ask."""
        raise LLMUnavailable(
            "no language model is configured; set AIWEB3_LLM_URL to an OpenAI-compatible endpoint"
        )


def load_model(config: LLMConfig, *, embedded: bool | None = None) -> LanguageModel:
    """The backend ``config`` names.

    An OpenAI-compatible HTTP client when it has a URL; else, when ``embedded`` (or
    ``config.embedded``) is true, a client of aiweb3's embedded model server (started, or found
    running, for ``config.home``); else the "none" backend. Calls are recorded in the call log of
    ``config.home`` (always for the embedded model, which has a home; for a URL, when ``home`` is set).
    """
    if config.url is not None:
        from aiweb3.llm.calllog import CallLog, call_log_path
        from aiweb3.llm.openai import OpenAICompatible

        log = CallLog(call_log_path(config.home)) if config.home is not None else None
        return OpenAICompatible(config, on_call=log.append if log else None)
    if embedded if embedded is not None else config.embedded:
        from aiweb3.llm.embedded import embedded_client

        return embedded_client(config)
    return NoModel()
