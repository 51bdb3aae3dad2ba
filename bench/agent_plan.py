"""Agent planning on a fixed set of goals: the language model versus the keyword rule planner.

Both plan the research agent's tools (``aiweb3.agents.goals``: 15 goals, each with the plan
that achieves it) over the demo playbook. A plan is right when it calls exactly the expected
tools in the expected order. The model is the one at ``AIWEB3_LLM_URL`` if set, else aiweb3's
embedded model (SmolLM2-135M); its answer is grammar-constrained to the tools' names, then
checked (``check_plan``); an invalid plan counts as wrong (the agent would fall back).

Prints one JSON line per figure (BENCHMARKS.md format): goals planned right (model, peer: the
rule planner), plans that pass the check (model), and the median planning latency. A model that
cannot start makes the benchmark exit non-zero with the reason.

Usage: python bench/agent_plan.py
"""

from __future__ import annotations

import statistics
import sys
import time

from _common import log, report  # bench/ is on sys.path when run as a script

from aiweb3.agents.demo import demo_script, example_samples
from aiweb3.agents.goals import AGENT_GOALS, planning_tools
from aiweb3.agents.planning import ModelPlanner, RulePlanner, check_plan, playbook_of, with_dependencies
from aiweb3.errors import AIWeb3Error
from aiweb3.llm import LLMConfig, OpenAICompatible, load_model

BENCH = "agent_plan"


def main() -> None:
    patient = [float(x) for x in example_samples()["samples"][1]]
    playbook = playbook_of(demo_script(patient))
    tools = planning_tools()
    names = [t.name for t in tools]
    try:
        model = load_model(LLMConfig.from_env(), embedded=True)
    except AIWeb3Error as exc:
        sys.exit(f"agent_plan: no language model could start ({exc})")
    if not isinstance(model, OpenAICompatible):
        sys.exit("agent_plan: no language model is configured")
    planner, rules = ModelPlanner(model, playbook), RulePlanner(playbook)
    right_model = right_rules = valid = 0
    model_s: list[float] = []
    rule_s: list[float] = []
    for goal, expected in AGENT_GOALS:
        started = time.perf_counter()
        try:
            chosen = planner.ask(goal, tools)
        except AIWeb3Error as exc:
            chosen = []
            log(f"  model failed on {goal!r}: {exc}")
        model_s.append(time.perf_counter() - started)
        planned = with_dependencies(chosen, playbook) if chosen else []
        started = time.perf_counter()
        ruled = rules.plan(goal, tools)
        rule_s.append(time.perf_counter() - started)
        ok = check_plan(planned, playbook, names) is None
        valid += ok
        right_model += ok and tuple(planned) == expected
        right_rules += tuple(ruled) == expected
        mark = "" if ok else " (invalid)"
        log(f"  {goal!r}\n    expected {list(expected)}\n    model    {chosen} -> {planned}{mark}"
            f"\n    rules    {ruled}")  # fmt: skip
    n = len(AGENT_GOALS)
    extra = {"goals": n, "model": model.name}
    counts = {"model_right": right_model, "rules_right": right_rules}
    report(BENCH, "goals_planned_right", [right_model / n], "keyword rule planner", [right_rules / n],
           "higher", extra={**extra, **counts})  # fmt: skip
    report(BENCH, "model_plans_valid", [valid / n], None, None, "higher", extra=extra)
    report(BENCH, "median_planning_latency_s", [statistics.median(model_s)], "keyword rule planner",
           [statistics.median(rule_s)], "lower", extra=extra)  # fmt: skip


if __name__ == "__main__":
    main()
