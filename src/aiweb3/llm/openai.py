"""An OpenAI-compatible chat-completions client (the embedded runtime, llama.cpp server, Ollama,
vLLM, hosted APIs) with typed helpers: chat, streaming, JSON-schema output parsed into pydantic
models (retried when malformed), tool calls, a deadline on every call and a record per call.
"""

from __future__ import annotations

import json
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel, ValidationError

from aiweb3.errors import LLMOutputInvalid, LLMUnavailable
from aiweb3.llm.base import ChatMessage, LLMConfig

__all__ = ["CallRecord", "ChatResult", "OpenAICompatible", "Tool", "ToolCall", "json_schema_of"]

T = TypeVar("T", bound=BaseModel)


@dataclass(frozen=True)
class CallRecord:
    """What one call cost: tokens, latency (and time to first token when streamed), outcome, and
    what it was for (``purpose``, a short label such as "agent plan"; never the prompt)."""

    model: str
    kind: str
    started_at: float
    latency_s: float
    prompt_tokens: int | None
    completion_tokens: int | None
    ttft_s: float | None = None
    ok: bool = True
    error: str | None = None
    purpose: str = ""


@dataclass(frozen=True)
class ToolCall:
    """A function the model asks to call, with its JSON arguments."""

    name: str
    arguments: dict[str, Any]


@dataclass(frozen=True)
class Tool:
    """A function the model may call: its name, what it does, and a JSON schema of its arguments."""

    name: str
    description: str
    parameters: dict[str, Any]

    def to_openai(self) -> dict[str, Any]:
        """The ``tools`` entry of a chat request."""
        return {
            "type": "function",
            "function": {"name": self.name, "description": self.description, "parameters": self.parameters},
        }


@dataclass(frozen=True)
class ChatResult:
    """One completion: its text (or tool calls), why it stopped, the call record, the raw answer."""

    text: str
    finish_reason: str
    record: CallRecord
    tool_calls: tuple[ToolCall, ...] = ()
    raw: dict[str, Any] = field(default_factory=dict)


def json_schema_of(model: type[BaseModel]) -> dict[str, Any]:
    """A pydantic model's JSON schema, without the titles grammar builders do not need."""

    def strip(node: Any) -> Any:
        if isinstance(node, dict):
            return {k: strip(v) for k, v in node.items() if k != "title" or not isinstance(v, str)}
        if isinstance(node, list):
            return [strip(v) for v in node]
        return node

    schema: dict[str, Any] = strip(model.model_json_schema())
    return schema


class OpenAICompatible:
    """``POST {url}/chat/completions`` with httpx.

    Args:
        config: endpoint, model name, optional key and timeout (the default deadline per call).
        transport: an httpx transport (tests may pass one; default: real HTTP).
        send_deadline: also tell the server the deadline (``deadline_ms``; aiweb3's own runtime
            stops generating then). Off for other servers, which may refuse unknown fields.
        history: how many call records :attr:`calls` keeps.
        on_call: also given every call record (e.g. :meth:`aiweb3.llm.calllog.CallLog.append`).
    """

    def __init__(
        self,
        config: LLMConfig,
        *,
        transport: httpx.BaseTransport | None = None,
        send_deadline: bool = False,
        history: int = 200,
        on_call: Callable[[CallRecord], None] | None = None,
    ) -> None:
        if not config.url:
            raise LLMUnavailable("OpenAICompatible needs a URL (AIWEB3_LLM_URL)")
        self.config = config
        self.name = f"{config.model}@{config.url}"
        self.send_deadline = send_deadline
        self.calls: deque[CallRecord] = deque(maxlen=history)
        self.on_call = on_call
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

    # -- requests --------------------------------------------------------
    def _body(self, messages: Sequence[ChatMessage], timeout: float, **params: Any) -> dict[str, Any]:
        body: dict[str, Any] = {"model": self.config.model, "messages": [dict(m) for m in messages]}
        body.update({k: v for k, v in params.items() if v is not None})
        if self.send_deadline:
            body["deadline_ms"] = int(timeout * 1000)
        return body

    def _unreachable(self, exc: Exception, timeout: float) -> LLMUnavailable:
        if isinstance(exc, httpx.TimeoutException):
            return LLMUnavailable(
                f"the language model at {self.config.url} did not answer within {timeout:g}s "
                "(raise AIWEB3_LLM_TIMEOUT or ask for fewer tokens)"
            )
        return LLMUnavailable(
            f"no answer from the language model at {self.config.url} ({type(exc).__name__}); "
            "is it running and is AIWEB3_LLM_URL right?"
        )

    def _error(self, resp: httpx.Response) -> LLMUnavailable:
        try:
            detail = str(resp.json()["error"]["message"])
        except (ValueError, KeyError, TypeError):
            detail = resp.text[:200]
        return LLMUnavailable(
            f"the language model at {self.config.url} answered HTTP {resp.status_code}: {detail}"
        )

    def _record(self, kind: str, started: float, t0: float, **fields: Any) -> CallRecord:
        record = CallRecord(
            model=self.config.model, kind=kind, started_at=started, latency_s=time.monotonic() - t0, **fields
        )
        self.calls.append(record)
        if self.on_call is not None:
            self.on_call(record)
        return record

    def chat(
        self,
        messages: Sequence[ChatMessage],
        *,
        temperature: float = 0.0,
        seed: int | None = None,
        max_tokens: int | None = None,
        response_format: dict[str, Any] | None = None,
        tools: Sequence[Tool] | None = None,
        timeout: float | None = None,
        kind: str = "chat",
        purpose: str = "",
    ) -> ChatResult:
        """One completion.

        Args:
            temperature: 0 is greedy (reproducible); above 0, pass ``seed`` to reproduce.
            response_format: OpenAI ``response_format`` (e.g. a ``json_schema``).
            tools: functions the model may call; the answer's ``tool_calls`` holds the choice.
            timeout: deadline for this call in seconds (default: the config's timeout).
            purpose: what the call is for, kept in its record (a label, never the prompt).

        Raises:
            LLMUnavailable: unreachable, past the deadline, an HTTP error, or not the OpenAI format.
        """
        deadline = timeout or self.config.timeout
        body = self._body(
            messages,
            deadline,
            temperature=temperature,
            seed=seed,
            max_tokens=max_tokens,
            response_format=response_format,
            tools=[t.to_openai() for t in tools] if tools else None,
        )
        started, t0 = time.time(), time.monotonic()
        try:
            resp = self._http.post("/chat/completions", json=body, timeout=deadline)
        except httpx.HTTPError as exc:
            self._record(
                kind,
                started,
                t0,
                prompt_tokens=None,
                completion_tokens=None,
                ok=False,
                error="unreachable",
                purpose=purpose,
            )
            raise self._unreachable(exc, deadline) from None
        if resp.status_code != 200:
            self._record(
                kind,
                started,
                t0,
                prompt_tokens=None,
                completion_tokens=None,
                ok=False,
                error=str(resp.status_code),
                purpose=purpose,
            )
            raise self._error(resp)
        try:
            data = resp.json()
            choice = data["choices"][0]
            message = choice["message"]
            content = message.get("content") or ""
            calls = tuple(
                ToolCall(name=c["function"]["name"], arguments=json.loads(c["function"]["arguments"] or "{}"))
                for c in message.get("tool_calls") or ()
            )
            usage = data.get("usage") or {}
        except (ValueError, KeyError, IndexError, TypeError, AttributeError):
            raise LLMUnavailable(
                f"the language model at {self.config.url} did not answer in the OpenAI chat format"
            ) from None
        if not isinstance(content, str):
            raise LLMUnavailable("the language model returned no text")
        record = self._record(
            kind,
            started,
            t0,
            prompt_tokens=usage.get("prompt_tokens"),
            completion_tokens=usage.get("completion_tokens"),
            purpose=purpose,
        )
        return ChatResult(
            text=content,
            finish_reason=str(choice.get("finish_reason") or "stop"),
            record=record,
            tool_calls=calls,
            raw=data,
        )

    def complete(self, messages: Sequence[ChatMessage], *, temperature: float = 0.0) -> str:
        """Ask for one completion and return its text (see :meth:`chat`)."""
        return self.chat(messages, temperature=temperature).text

    def stream(
        self,
        messages: Sequence[ChatMessage],
        *,
        temperature: float = 0.0,
        seed: int | None = None,
        max_tokens: int | None = None,
        timeout: float | None = None,
        purpose: str = "",
    ) -> Iterator[str]:
        """Yield the answer's text as it is generated (server-sent events).

        The whole call has one deadline; a record (with time to first token) is kept at the end.
        """
        deadline = timeout or self.config.timeout
        body = self._body(
            messages, deadline, temperature=temperature, seed=seed, max_tokens=max_tokens, stream=True
        )
        started, t0 = time.time(), time.monotonic()
        ttft: float | None = None
        usage: dict[str, Any] = {}
        try:
            with self._http.stream("POST", "/chat/completions", json=body, timeout=deadline) as resp:
                if resp.status_code != 200:
                    resp.read()
                    raise self._error(resp)
                for line in resp.iter_lines():
                    if time.monotonic() - t0 > deadline:
                        raise LLMUnavailable(f"the language model passed the deadline of {deadline:g}s")
                    if not line.startswith("data:"):
                        continue
                    payload = line[5:].strip()
                    if payload == "[DONE]":
                        break
                    chunk = json.loads(payload)
                    if chunk.get("error"):
                        raise LLMUnavailable(
                            f"the language model at {self.config.url} failed: {chunk['error'].get('message')}"
                        )
                    usage = chunk.get("usage") or usage
                    choice = (chunk.get("choices") or [{}])[0]
                    if choice.get("finish_reason") == "deadline":
                        raise LLMUnavailable(f"the language model passed the deadline of {deadline:g}s")
                    text = choice.get("delta", {}).get("content")
                    if text:
                        if ttft is None:
                            ttft = time.monotonic() - t0
                        yield text
        except httpx.HTTPError as exc:
            raise self._unreachable(exc, deadline) from None
        except (ValueError, AttributeError, IndexError):
            raise LLMUnavailable(f"the language model at {self.config.url} sent a malformed stream") from None
        self._record(
            "stream",
            started,
            t0,
            prompt_tokens=usage.get("prompt_tokens"),
            completion_tokens=usage.get("completion_tokens"),
            ttft_s=ttft,
            purpose=purpose,
        )

    def structured(
        self,
        messages: Sequence[ChatMessage],
        schema: type[T],
        *,
        retries: int = 2,
        temperature: float = 0.0,
        seed: int | None = None,
        max_tokens: int | None = 256,
        timeout: float | None = None,
        purpose: str = "",
    ) -> T:
        """Ask for JSON matching ``schema`` and return it parsed.

        The schema goes to the server as ``response_format`` (aiweb3's runtime enforces it with a
        grammar while generating); the answer is validated again here and, when malformed, asked
        for again with the validation error appended, up to ``retries`` more times.

        Raises:
            LLMOutputInvalid: still malformed after the retries.
        """
        fmt = {
            "type": "json_schema",
            "json_schema": {"name": schema.__name__, "schema": json_schema_of(schema), "strict": True},
        }
        convo = list(messages)
        problem = ""
        for attempt in range(retries + 1):
            result = self.chat(
                convo,
                temperature=temperature,
                seed=None if seed is None else seed + attempt,
                max_tokens=max_tokens,
                response_format=fmt,
                timeout=timeout,
                kind="json",
                purpose=purpose,
            )
            try:
                return schema.model_validate_json(result.text)
            except ValidationError as exc:
                problem = str(exc.errors()[0].get("msg", exc))[:160] if exc.errors() else str(exc)[:160]
                convo = [
                    *messages,
                    {"role": "assistant", "content": result.text},
                    {
                        "role": "user",
                        "content": f"That JSON is invalid ({problem}). Answer again with valid JSON.",
                    },
                ]
        raise LLMOutputInvalid(
            f"the model's answer did not match {schema.__name__} after {retries + 1} tries ({problem})"
        )

    def call_tool(
        self,
        messages: Sequence[ChatMessage],
        tools: Sequence[Tool],
        *,
        timeout: float | None = None,
        max_tokens: int | None = 256,
        purpose: str = "",
    ) -> ToolCall:
        """Ask the model to pick one of ``tools`` and its arguments.

        Raises:
            LLMOutputInvalid: it named no known tool.
        """
        result = self.chat(
            messages, tools=tools, timeout=timeout, max_tokens=max_tokens, kind="tool", purpose=purpose
        )
        known = {t.name for t in tools}
        for call in result.tool_calls:
            if call.name in known:
                return call
        raise LLMOutputInvalid(f"the model called no known tool (known: {', '.join(sorted(known))})")
