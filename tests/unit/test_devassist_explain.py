"""``aiweb3 dev explain``: the facts about a Solidity function or a Python symbol, each cited."""

from __future__ import annotations

from pathlib import Path

import pytest

from aiweb3.devassist import explain
from aiweb3.devassist.corpus import aiweb3_checkout
from aiweb3.errors import InputError

ROOT = aiweb3_checkout()
assert ROOT is not None


def cited_line(path: str, line: int) -> str:
    return (ROOT / path).read_text().splitlines()[line - 1]


def test_a_solidity_function_is_explained_with_the_internal_function_it_delegates_to() -> None:
    result = explain("contracts/src/TaskEscrow.sol:post")
    f = result.facts
    assert result.path == "contracts/src/TaskEscrow.sol" and result.language == "solidity"
    assert "function post(" in cited_line(result.path, f.signature.line)
    assert any("nonReentrant" in c.text for c in f.callers)
    assert any(c.text.startswith("external") for c in f.callers)
    events = {e.text for e in f.events}
    assert events == {"emits TaskPosted"}
    errors = " ".join(e.text for e in f.errors)
    for name in ("ZeroBudget", "ZeroArbiter", "BadDeadlines", "SelfDealing"):
        assert name in errors
    writes = " ".join(w.text for w in f.writes)
    assert "taskCount" in writes and "_tasks" in writes and "totalEscrowed" in writes
    assert any("safeTransferFrom" in c.text for c in f.calls)
    assert any(i.text == "post calls _post" for i in f.internal)
    # every fact's line holds what the fact names
    for fact in [*f.events, *f.errors, *f.calls]:
        name = fact.text.split()[2].rstrip(":") if fact.text.startswith("reverts") else fact.text.split()[-1]
        assert name.split(".")[-1] in cited_line(result.path, fact.line), fact


def test_who_may_call_follows_storage_pointers_and_caller_checks() -> None:
    f = explain("contracts/src/TaskEscrow.sol:resolve").facts
    assert any("NotArbiter" in c.text and "msg.sender" in c.text for c in f.callers)
    assert any(w.text.startswith("writes _tasks fields status") for w in f.writes)
    assert {e.text for e in f.events} == {"emits TaskResolved"}


def test_a_python_symbol_by_dotted_name_follows_the_re_export() -> None:
    result = explain("aiweb3.llm.load_model")
    assert result.path == "src/aiweb3/llm/base.py" and result.language == "python"
    assert cited_line(result.path, result.facts.signature.line).startswith("def load_model(")
    assert result.summary is not None and "backend" in result.summary.text
    assert any(c.text == "calls NoModel" for c in result.facts.calls)


def test_a_python_method_by_path_lists_what_it_raises() -> None:
    result = explain("src/aiweb3/llm/base.py:LLMConfig.from_env")
    raised = {e.text for e in result.facts.errors}
    assert "raises ConfigError" in raised
    json_form = result.to_json()
    assert json_form["errors"][0]["cite"].startswith("src/aiweb3/llm/base.py:")


def test_any_solidity_file_can_be_explained(tmp_path: Path) -> None:
    source = tmp_path / "Vault.sol"
    source.write_text(
        "\n".join(
            [
                "pragma solidity ^0.8.24;",
                "contract Vault {",
                "    address public owner;",
                "    mapping(address => uint256) public balances;",
                "    event Withdrawn(address who, uint256 amount);",
                "    error NotOwner();",
                "",
                "    /// @notice Take out your balance.",
                "    function withdraw() external {",
                "        uint256 amount = balances[msg.sender];",
                "        balances[msg.sender] = 0;",
                "        emit Withdrawn(msg.sender, amount);",
                '        (bool ok,) = msg.sender.call{value: amount}("");',
                '        require(ok, "send failed");',
                "    }",
                "}",
            ]
        )
    )
    f = explain(f"{source}:withdraw").facts
    assert [w.line for w in f.writes] == [11]
    assert [e.text for e in f.events] == ["emits Withdrawn"]
    assert f.errors[0].text.startswith("requires ok") and f.errors[0].line == 14
    assert f.notice[0].text == "Take out your balance." and f.notice[0].line == 8


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("contracts/src/TaskEscrow.sol:nope", "no function 'nope'.*post"),
        ("contracts/src/Nope.sol:post", "is not a file"),
        ("TaskEscrow", "write FILE:NAME"),
        ("aiweb3.llm.nothing_here", "has no nothing_here"),
        ("src/aiweb3/llm/base.py:Nope", "no function or class 'Nope'"),
        ("README.md:intro", "reads .sol and .py"),
    ],
)
def test_a_target_that_names_nothing_is_one_clear_error(target: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        explain(target)
