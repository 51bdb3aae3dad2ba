"""Planners that choose which tools a goal needs: a language model, or keyword rules.

Both plan over a *playbook*: one prepared :class:`~aiweb3.agents.runtime.Action` per tool,
whose arguments may use an earlier tool's result as ``"$tool.key"``. A plan is the ordered
list of tools to call. It is valid when it is not empty, names only tools of the playbook that
the agent has, calls none twice, and calls every tool an action refers to before that action
(:func:`check_plan`).

:class:`ModelPlanner` gives a language model from :mod:`aiweb3.llm` (aiweb3's embedded model
unless ``AIWEB3_LLM_URL`` names another) the narrowest sub-task that worked with the tiny default
model: name the one or two tools that complete the goal, as JSON under a schema whose tool names
are an enum, so the runtime's grammar lets the model write nothing else. The planner adds the
tools those need (:func:`with_dependencies`, in the playbook's order) and checks the plan; an
invalid one, or a model that fails, hands over to a fallback planner with one line saying why.
(Asked for the whole ordered list, SmolLM2-135M repeated tools until the length limit.)
:class:`RulePlanner` picks the tools whose name or description words appear in the goal, adds
the tools they depend on, and keeps the playbook's order. Both are often wrong:
``bench/agent_plan.py`` measures them on a fixed set of goals.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal, Protocol

from pydantic import BaseModel, Field, create_model

from aiweb3.agents.runtime import Action, Planner, Step, Tool, references, resolve
from aiweb3.errors import AIWeb3Error, InputError
from aiweb3.llm import ChatMessage

__all__ = ["ModelPlanner", "PlanningModel", "RulePlanner", "check_plan", "playbook_of", "with_dependencies"]


class PlanningModel(Protocol):
    """What a planner needs of a language model: :meth:`aiweb3.llm.OpenAICompatible.structured`."""

    name: str

    def structured(
        self,
        messages: Sequence[ChatMessage],
        schema: type[Any],
        *,
        retries: int = 2,
        temperature: float = 0.0,
        seed: int | None = None,
        max_tokens: int | None = 256,
        timeout: float | None = None,
        purpose: str = "",
    ) -> Any:
        """JSON under ``schema``, parsed."""
        ...


def playbook_of(actions: Sequence[Action]) -> dict[str, Action]:
    """A playbook from a list of actions (one per tool; a second action of a tool is refused)."""
    book: dict[str, Action] = {}
    for action in actions:
        if action.tool in book:
            raise InputError(f"the playbook has two actions for tool {action.tool!r}; keep one")
        book[action.tool] = action
    return book


def check_plan(plan: Sequence[str], playbook: Mapping[str, Action], tools: Sequence[str]) -> str | None:
    """Why ``plan`` cannot run (None when it can): see the module docstring."""
    if not plan:
        return "it calls no tool"
    done: set[str] = set()
    for name in plan:
        if name not in playbook or name not in tools:
            return f"it calls {name!r}, which is not one of the agent's tools"
        if name in done:
            return f"it calls {name} twice"
        missing = sorted(references(playbook[name].args) - done)
        if missing:
            return f"{name} needs the result of {', '.join(missing)}, which the plan does not call before it"
        done.add(name)
    return None


def with_dependencies(chosen: Sequence[str] | set[str], playbook: Mapping[str, Action]) -> list[str]:
    """``chosen`` and every tool whose result they need (transitively), in the playbook's order.

    Names outside the playbook are kept, at the end, for :func:`check_plan` to refuse.
    """
    picked = set(chosen)
    pending = [name for name in picked if name in playbook]
    while pending:
        for dep in references(playbook[pending.pop()].args):
            if dep not in picked:
                picked.add(dep)
                if dep in playbook:
                    pending.append(dep)
    return [name for name in playbook if name in picked] + sorted(picked - set(playbook))


class _FixedPlan:
    """Runs a chosen list of playbook actions in order; stops after the first failed step."""

    def __init__(self, plan: Sequence[str], playbook: Mapping[str, Action]) -> None:
        self.plan = list(plan)
        self.playbook = playbook

    def next_action(self, goal: str, tools: list[Tool], steps: list[Step]) -> Action | None:
        if len(steps) >= len(self.plan) or (steps and steps[-1].error):
            return None
        action = self.playbook[self.plan[len(steps)]]
        return Action(action.tool, resolve(action.args, steps), action.why)


_STOP = {"with", "from", "that", "this", "then", "into", "over", "each", "them", "their", "what", "some"}


def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z]+", text.lower()) if len(w) >= 4 and w not in _STOP}


def _stems_meet(a: set[str], b: set[str]) -> bool:
    return any(x[:5] == y[:5] for x in a for y in b)


class RulePlanner:
    """Picks the playbook tools whose name or description shares a word (its first five letters)
    with the goal, adds what they depend on, and calls them in the playbook's order."""

    def __init__(self, playbook: Mapping[str, Action]) -> None:
        self.playbook = dict(playbook)
        self._run: _FixedPlan | None = None

    def plan(self, goal: str, tools: Sequence[Tool]) -> list[str]:
        """The tools for ``goal`` (possibly none)."""
        described = {t.name: t for t in tools if t.name in self.playbook}
        goal_words = _words(goal)
        chosen = {
            name
            for name, tool in described.items()
            if _stems_meet(_words(name.replace("_", " ") + " " + tool.description), goal_words)
        }
        return with_dependencies(chosen, self.playbook)

    def next_action(self, goal: str, tools: list[Tool], steps: list[Step]) -> Action | None:
        """The next action of the plan made for ``goal`` on the first call."""
        if not steps or self._run is None:
            self._run = _FixedPlan(self.plan(goal, tools), self.playbook)
        return self._run.next_action(goal, tools, steps)


class ModelPlanner:
    """A language model chooses the tools (see the module docstring).

    Args:
        llm: a model of :mod:`aiweb3.llm` (``load_model(LLMConfig.from_env(), embedded=True)``).
        playbook: the prepared action of each tool (:func:`playbook_of`).
        fallback: runs the goal when the model's plan is invalid or the model fails
            (default: a :class:`RulePlanner` on the same playbook).
        note: told, in one line, which planner runs and why.
        max_tokens: most tokens of the answer; timeout: seconds for the model's call.
    """

    def __init__(
        self,
        llm: PlanningModel,
        playbook: Mapping[str, Action],
        *,
        fallback: Planner | None = None,
        note: Callable[[str], None] = lambda _: None,
        max_tokens: int = 48,
        timeout: float | None = None,
    ) -> None:
        self.llm = llm
        self.playbook = dict(playbook)
        self.fallback: Planner = fallback or RulePlanner(self.playbook)
        self.note = note
        self.max_tokens = max_tokens
        self.timeout = timeout
        self.planned: list[str] = []
        self.problem = ""
        self.source = ""
        self._active: Planner | None = None

    def messages(self, goal: str, tools: Sequence[Tool]) -> list[ChatMessage]:
        """The prompt: the tools with what they do, then the goal."""
        catalogue = "\n".join(f"- {t.name}: {t.description}" for t in tools if t.name in self.playbook)
        system = (
            f"Tools:\n{catalogue}\nName the tool that completes the user's goal "
            "(two if the goal asks for two separate things)."
        )
        return [{"role": "system", "content": system}, {"role": "user", "content": f"Goal: {goal}"}]

    def ask(self, goal: str, tools: Sequence[Tool]) -> list[str]:
        """The tools the model says complete ``goal`` (one or two; the schema allows only the
        tools' names).

        Raises:
            LLMUnavailable: the model failed, timed out, or broke the schema after retries.
        """
        names = tuple(t.name for t in tools if t.name in self.playbook)
        if not names:
            raise InputError("none of the agent's tools is in the playbook")
        name_type: Any = Literal.__getitem__(names)
        schema = create_model("GoalTools", tools=(list[name_type], Field(min_length=1, max_length=2)))
        answer: BaseModel = self.llm.structured(
            self.messages(goal, tools),
            schema,
            max_tokens=self.max_tokens,
            timeout=self.timeout,
            purpose="agent: plan",
        )
        return [str(s) for s in answer.model_dump()["tools"]]

    def plan(self, goal: str, tools: Sequence[Tool]) -> list[str]:
        """The model's tools with the tools they need (:func:`with_dependencies`), checked.

        Raises:
            InputError: the plan cannot run (the reason is :func:`check_plan`'s).
            LLMUnavailable: the model failed.
        """
        chosen = self.ask(goal, tools)
        planned = with_dependencies(chosen, self.playbook)
        problem = check_plan(planned, self.playbook, [t.name for t in tools])
        if problem:
            raise InputError(f"the model's plan {' -> '.join(planned)} is invalid: {problem}")
        return planned

    def next_action(self, goal: str, tools: list[Tool], steps: list[Step]) -> Action | None:
        """Plan on the first call (the model, else the fallback); then follow that plan."""
        if not steps or self._active is None:
            self._active = self._choose(goal, tools)
        return self._active.next_action(goal, tools, steps)

    def _choose(self, goal: str, tools: list[Tool]) -> Planner:
        try:
            self.planned = self.plan(goal, tools)
        except AIWeb3Error as exc:
            self.problem, self.source, self.planned = str(exc), "fallback", []
            self.note(f"{exc}; the {type(self.fallback).__name__} plans instead")
            return self.fallback
        self.source = "model"
        self.note(f"the model {self.llm.name} planned: {' -> '.join(self.planned)}")
        return _FixedPlan(self.planned, self.playbook)
