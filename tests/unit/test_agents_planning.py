"""Plan checking, the keyword rule planner and ``$tool.key`` references (pure: no model, no chain)."""

from __future__ import annotations

import pytest

from aiweb3.agents.demo import demo_script, example_samples
from aiweb3.agents.goals import AGENT_GOALS, RESEARCH_TOOL_SPECS, planning_tools
from aiweb3.agents.planning import RulePlanner, check_plan, playbook_of
from aiweb3.agents.runtime import Action, Step, references, resolve
from aiweb3.errors import InputError

PATIENT = [float(x) for x in example_samples()["samples"][1]]
BOOK = playbook_of(demo_script(PATIENT))
NAMES = [name for name, _, _ in RESEARCH_TOOL_SPECS]


def test_every_goal_has_a_valid_expected_plan_over_the_demo_playbook() -> None:
    assert 10 <= len(AGENT_GOALS) <= 20 and len({g for g, _ in AGENT_GOALS}) == len(AGENT_GOALS)
    for goal, plan in AGENT_GOALS:
        assert check_plan(plan, BOOK, NAMES) is None, goal
    assert set(BOOK) == set(NAMES)  # the playbook covers every tool the demo agent has


def test_check_plan_names_what_is_wrong() -> None:
    assert check_plan([], BOOK, NAMES) == "it calls no tool"
    assert "needs the result of find_agents" in str(check_plan(["buy_inference"], BOOK, NAMES))
    assert "twice" in str(check_plan(["find_agents", "find_agents"], BOOK, NAMES))
    assert "not one of the agent's tools" in str(check_plan(["rm_rf"], BOOK, NAMES))
    assert "not one of the agent's tools" in str(check_plan(["tip"], BOOK, ["find_agents"]))
    assert check_plan(["find_agents", "hire", "feedback"], BOOK, NAMES) is None


def test_rule_planner_adds_dependencies_in_playbook_order() -> None:
    rules = RulePlanner(BOOK)
    tools = planning_tools()
    hired = rules.plan("Hire someone through escrow", tools)
    assert hired == ["find_agents", "hire"]  # hire takes the agent id find_agents found
    planned = rules.plan("fetch the record back", tools)
    assert planned[-1] == "fetch" and check_plan(planned, BOOK, NAMES) is None
    assert rules.plan("sing a song", tools) == []


def test_references_by_tool_name_and_by_step_number() -> None:
    assert references({"a": ["$find_agents.endpoint", {"b": "$buy_inference.proof"}], "c": "$0.x"}) == {
        "find_agents",
        "buy_inference",
    }
    steps = [
        Step(0, Action("find_agents"), result={"endpoint": "http://a"}),
        Step(1, Action("find_agents"), error="failed"),
    ]
    # the latest *successful* step of the tool; a number still means that step
    assert resolve({"u": "$find_agents.endpoint", "v": "$0.endpoint"}, steps) == {
        "u": "http://a",
        "v": "http://a",
    }
    with pytest.raises(InputError, match=r"\$hire.task_id"):
        resolve("$hire.task_id", steps)


def test_a_playbook_refuses_two_actions_for_one_tool() -> None:
    with pytest.raises(InputError, match="two actions for tool 'tip'"):
        playbook_of([Action("tip"), Action("tip")])


def test_planning_tools_refuse_to_run() -> None:
    with pytest.raises(InputError, match="planning only"):
        planning_tools()[0].run(capability="x", max_price=1)
