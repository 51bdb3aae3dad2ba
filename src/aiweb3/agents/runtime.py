"""The agent runtime: a loop that pursues a goal with tools, chosen by a planner.

A :class:`Planner` looks at the goal and the steps so far and names the next tool call (or
stops). :class:`ScriptedPlanner` follows a fixed script — arguments may refer to earlier
results as ``"$N.key"`` (step N's result, key ``key``) or ``"$tool.key"`` (the latest
successful step of that tool) — and works with no language model. The planners that think
with a language model or with rules are in :mod:`aiweb3.agents.planning`. Every step, and
every payment the wallet signed or refused during it, is recorded in the :class:`Trace`.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from aiweb3.agents.policy import PaymentRecord
from aiweb3.agents.wallet import AgentWallet
from aiweb3.errors import AIWeb3Error, InputError

__all__ = [
    "Action",
    "Planner",
    "Runtime",
    "ScriptedPlanner",
    "Step",
    "Tool",
    "Trace",
    "references",
    "resolve",
]


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


_REF = re.compile(r"^\$(\d+|[A-Za-z_][A-Za-z0-9_]*)\.([A-Za-z0-9_]+)$")


def references(value: Any) -> set[str]:
    """The tool names ``value`` refers to as ``"$tool.key"`` (step numbers are left out)."""
    if isinstance(value, str):
        m = _REF.match(value)
        return {m.group(1)} if m and not m.group(1).isdigit() else set()
    if isinstance(value, list):
        return set().union(*(references(v) for v in value)) if value else set()
    if isinstance(value, dict):
        return set().union(*(references(v) for v in value.values())) if value else set()
    return set()


def _produced(ref: str, key: str, steps: list[Step]) -> dict[str, Any] | None:
    """The result holding ``key`` of step ``ref`` (a number) or of the latest step of tool ``ref``."""
    if ref.isdigit():
        index = int(ref)
        found = steps[index] if index < len(steps) else None
    else:
        found = next((s for s in reversed(steps) if s.action.tool == ref and not s.error), None)
    return found.result if found is not None and key in found.result else None


def resolve(value: Any, steps: list[Step]) -> Any:
    """``value`` with every ``"$N.key"`` (step N's result) and ``"$tool.key"`` (the latest
    successful step of that tool) replaced by what that step produced.

    Raises:
        InputError: a reference to a result no earlier step produced.
    """
    if isinstance(value, str):
        m = _REF.match(value)
        if m:
            result = _produced(m.group(1), m.group(2), steps)
            if result is None:
                raise InputError(f"the plan refers to {value}, which no earlier step produced")
            return result[m.group(2)]
        return value
    if isinstance(value, list):
        return [resolve(v, steps) for v in value]
    if isinstance(value, dict):
        return {k: resolve(v, steps) for k, v in value.items()}
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
        return Action(planned.tool, resolve(planned.args, steps), planned.why)


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
