"""An OpenAI-compatible chat-completions client (llama.cpp server, Ollama, vLLM, hosted APIs)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import httpx

from aiweb3.errors import LLMUnavailable
from aiweb3.llm.base import ChatMessage, LLMConfig

__all__ = ["OpenAICompatible"]


class OpenAICompatible:
    """``POST {url}/chat/completions`` with httpx.

    Args:
        config: endpoint, model name, optional key and timeout.
        transport: an httpx transport (tests may pass one; default: real HTTP).
    """

    def __init__(self, config: LLMConfig, *, transport: httpx.BaseTransport | None = None) -> None:
        if not config.url:
            raise LLMUnavailable("OpenAICompatible needs a URL (AIWEB3_LLM_URL)")
        self.config = config
        self.name = f"{config.model}@{config.url}"
        headers = {"Authorization": f"Bearer {config.api_key}"} if config.api_key else {}
        self._http = httpx.Client(
            base_url=config.url.rstrip("/"), headers=headers, timeout=config.timeout, transport=transport
        )

    @property
    def available(self) -> bool:
        """Always True (reachability is found out on the first call)."""
        return True

    def close(self) -> None:
        """Close the HTTP connections."""
        self._http.close()

    def complete(self, messages: Sequence[ChatMessage], *, temperature: float = 0.0) -> str:
        """Ask for one completion and return its text.

        Raises:
            LLMUnavailable: the endpoint cannot be reached or answers with an error.
        """
        body: dict[str, Any] = {
            "model": self.config.model,
            "messages": [dict(m) for m in messages],
            "temperature": temperature,
        }
        try:
            resp = self._http.post("/chat/completions", json=body)
        except httpx.HTTPError as exc:
            raise LLMUnavailable(
                f"no answer from the language model at {self.config.url} ({type(exc).__name__}); "
                "is it running and is AIWEB3_LLM_URL right?"
            ) from None
        if resp.status_code != 200:
            raise LLMUnavailable(
                f"the language model at {self.config.url} answered HTTP {resp.status_code}: {resp.text[:200]}"
            )
        try:
            data = resp.json()
            content = data["choices"][0]["message"]["content"]
        except (ValueError, KeyError, IndexError, TypeError):
            raise LLMUnavailable(
                f"the language model at {self.config.url} did not answer in the OpenAI chat format"
            ) from None
        if not isinstance(content, str):
            raise LLMUnavailable("the language model returned no text")
        return content
