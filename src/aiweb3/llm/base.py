"""The one interface every language-model backend implements, and the "none" backend."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
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
        timeout: seconds per request.
    """

    url: str | None = None
    model: str = "default"
    api_key: str | None = None
    timeout: float = 60.0

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> LLMConfig:
        """Read ``AIWEB3_LLM_URL``, ``AIWEB3_LLM_MODEL``, ``AIWEB3_LLM_API_KEY``, ``AIWEB3_LLM_TIMEOUT``."""
        env = os.environ if env is None else env
        try:
            timeout = float(env.get("AIWEB3_LLM_TIMEOUT") or 60.0)
        except ValueError:
            raise ConfigError("AIWEB3_LLM_TIMEOUT must be a number of seconds") from None
        return cls(
            url=env.get("AIWEB3_LLM_URL") or None,
            model=env.get("AIWEB3_LLM_MODEL") or "default",
            api_key=env.get("AIWEB3_LLM_API_KEY") or None,
            timeout=timeout,
        )

    def __repr__(self) -> str:  # keep the key out of logs and tracebacks
        key = "***" if self.api_key else None
        return f"LLMConfig(url={self.url!r}, model={self.model!r}, api_key={key}, timeout={self.timeout})"


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


def load_model(config: LLMConfig) -> LanguageModel:
    """The backend ``config`` names: OpenAI-compatible HTTP when it has a URL, else none."""
    if config.url is None:
        return NoModel()
    from aiweb3.llm.openai import OpenAICompatible

    return OpenAICompatible(config)
