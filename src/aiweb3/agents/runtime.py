"""The agent runtime: a loop that pursues a goal with tools, chosen by a planner.

A :class:`Planner` looks at the goal and the steps so far and names the next tool call (or
stops). :class:`ScriptedPlanner` follows a fixed script — arguments may refer to earlier
results as ``"$N.key"`` (step N's result, key ``key``) — and works with no language model.
:class:`OpenAIPlanner` asks any OpenAI-compatible chat-completions endpoint (llama.cpp,
Ollama, vLLM, hosted) for the next call as JSON. Every step, and every payment the wallet
signed or refused during it, is recorded in the :class:`Trace`.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import httpx

from aiweb3.agents.policy import PaymentRecord
from aiweb3.agents.wallet import AgentWallet
from aiweb3.errors import AIWeb3Error, ConfigError, InputError

__all__ = ["Action", "OpenAIPlanner", "Planner", "Runtime", "ScriptedPlanner", "Step", "Tool", "Trace"]


@dataclass(frozen=True)
class Action:
    """A tool call the planner chose."""

    tool: str
    args: dict[str, Any] = field(default_factory=dict)
    why: str = ""


@dataclass(frozen=True)
class Tool:
    """A named capability the agent may use: ``run(**args) -> dict``."""

    name: str
    description: str
    run: Callable[..., dict[str, Any]]
    params: dict[str, str] = field(default_factory=dict)


@dataclass
class Step:
    """One executed step: the action, its result or error, and the payments made meanwhile."""

    index: int
    action: Action
    result: dict[str, Any] = field(default_factory=dict)
    error: str = ""
    payments: list[PaymentRecord] = field(default_factory=list)
    seconds: float = 0.0


@dataclass
class Trace:
    """Everything an agent run did."""

    goal: str
    agent: str
    steps: list[Step] = field(default_factory=list)
    finished: bool = False

    @property
    def spent(self) -> int:
        """Token base units signed away during the run."""
        return sum(p.amount for s in self.steps for p in s.payments if p.status == "signed")


class Planner(Protocol):
    """Chooses the next action (None: the goal is reached or cannot be)."""

    def next_action(self, goal: str, tools: list[Tool], steps: list[Step]) -> Action | None:
        """The next tool call."""
        ...


_REF = re.compile(r"^\$(\d+)\.([A-Za-z0-9_]+)$")


def _resolve(value: Any, steps: list[Step]) -> Any:
    if isinstance(value, str):
        m = _REF.match(value)
        if m:
            index, key = int(m.group(1)), m.group(2)
            if index >= len(steps) or key not in steps[index].result:
                raise InputError(f"script refers to {value}, which no earlier step produced")
            return steps[index].result[key]
        return value
    if isinstance(value, list):
        return [_resolve(v, steps) for v in value]
    if isinstance(value, dict):
        return {k: _resolve(v, steps) for k, v in value.items()}
    return value


class ScriptedPlanner:
    """Follows a fixed list of actions; stops at the end or after the first failed step."""

    def __init__(self, script: list[Action]) -> None:
        self.script = script

    def next_action(self, goal: str, tools: list[Tool], steps: list[Step]) -> Action | None:
        """The next scripted action with ``$N.key`` references filled in."""
        if len(steps) >= len(self.script) or (steps and steps[-1].error):
            return None
        planned = self.script[len(steps)]
        return Action(planned.tool, _resolve(planned.args, steps), planned.why)


class OpenAIPlanner:
    """Asks an OpenAI-compatible ``/chat/completions`` endpoint for the next action.

    The model must answer with one JSON object: ``{"tool": NAME, "args": {...}, "why": "..."}``
    or ``{"done": true}``. Anything else is a ConfigError naming what came back.
    """

    def __init__(
        self, base_url: str, model: str, *, api_key: str | None = None, http: httpx.Client | None = None
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.model = model
        self._headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._http = http or httpx.Client(timeout=120.0)

    def _prompt(self, goal: str, tools: list[Tool], steps: list[Step]) -> list[dict[str, str]]:
        catalogue = "\n".join(f"- {t.name}({', '.join(f'{k}: {v}' for k, v in t.params.items())}): "
                              f"{t.description}" for t in tools)  # fmt: skip
        history = "\n".join(
            f"{s.index}. {s.action.tool}({json.dumps(s.action.args)}) -> "
            f"{json.dumps(s.result) if not s.error else 'ERROR ' + s.error}"
            for s in steps
        )
        system = (
            "You are an autonomous agent. Choose ONE next tool call. Answer with only a JSON object "
            '{"tool": name, "args": {...}, "why": short reason} or {"done": true}.\n'
            f"Tools:\n{catalogue}"
        )
        user = f"Goal: {goal}\nSteps so far:\n{history or '(none)'}"
        return [{"role": "system", "content": system}, {"role": "user", "content": user}]

    def next_action(self, goal: str, tools: list[Tool], steps: list[Step]) -> Action | None:
        """One chat completion; parses the JSON answer."""
        try:
            reply = self._http.post(
                f"{self.base_url}/chat/completions",
                headers=self._headers,
                json={"model": self.model, "messages": self._prompt(goal, tools, steps), "temperature": 0},
            )
            reply.raise_for_status()
            text = reply.json()["choices"][0]["message"]["content"]
        except (httpx.HTTPError, KeyError, IndexError, TypeError, ValueError) as exc:
            raise ConfigError(
                f"language model at {self.base_url} failed ({exc}); check the URL and model"
            ) from None
        match = re.search(r"\{.*\}", text, re.S)
        try:
            data = json.loads(match.group(0) if match else text)
        except ValueError:
            raise ConfigError(f"language model answered without a JSON action: {text[:200]!r}") from None
        if data.get("done"):
            return None
        names = {t.name for t in tools}
        if data.get("tool") not in names or not isinstance(data.get("args", {}), dict):
            raise ConfigError(f"language model chose an unknown tool or bad args: {text[:200]!r}")
        return Action(str(data["tool"]), dict(data.get("args", {})), str(data.get("why", "")))


class Runtime:
    """Runs a planner against tools for one wallet, recording a :class:`Trace`.

    Args:
        wallet: the agent's wallet (its payment log is sliced per step).
        tools: what the agent may do.
        planner: chooses actions.
        max_steps: a hard stop.
        on_step: called after every step (for live traces).
    """

    def __init__(
        self,
        wallet: AgentWallet,
        tools: list[Tool],
        planner: Planner,
        *,
        max_steps: int = 20,
        on_step: Callable[[Step], None] | None = None,
    ) -> None:
        self.wallet = wallet
        self.tools = {t.name: t for t in tools}
        self.planner = planner
        self.max_steps = max_steps
        self.on_step = on_step

    def run(self, goal: str) -> Trace:
        """Pursue ``goal`` until the planner stops or ``max_steps`` (a failed tool ends its step only)."""
        trace = Trace(goal, self.wallet.name)
        while len(trace.steps) < self.max_steps:
            action = self.planner.next_action(goal, list(self.tools.values()), trace.steps)
            if action is None:
                trace.finished = not (trace.steps and trace.steps[-1].error)
                break
            step = Step(len(trace.steps), action)
            seen = len(self.wallet.log.records)
            started = time.perf_counter()
            tool = self.tools.get(action.tool)
            try:
                if tool is None:
                    raise InputError(f"unknown tool {action.tool!r}")
                step.result = tool.run(**action.args)
            except (AIWeb3Error, TypeError) as exc:
                step.error = str(exc)
            step.seconds = time.perf_counter() - started
            step.payments = self.wallet.log.records[seen:]
            trace.steps.append(step)
            if self.on_step:
                self.on_step(step)
        return trace
