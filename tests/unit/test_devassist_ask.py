"""The developer assistant's answers: retrieval over aiweb3's sources, citations that hold,
"not found" rather than a guess, and any project folder."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from aiweb3.devassist import Claim, Retriever, answer_question, check_citation, default_roots
from aiweb3.devassist.corpus import aiweb3_checkout, collect_passages, read_sources
from aiweb3.errors import InputError

QUESTIONS = Path(__file__).parent / "data" / "devassist_questions.json"
# kept in JSON, which the assistant does not read: words written here would make them answerable
UNANSWERABLE = json.loads((Path(__file__).parent / "data" / "devassist_unanswerable.json").read_text())


@pytest.fixture(scope="module")
def retriever() -> Retriever:
    return Retriever.from_paths(default_roots())


def test_the_question_set_names_existing_files() -> None:
    questions = json.loads(QUESTIONS.read_text())
    assert len(questions) >= 60
    root = default_roots()[0]
    for q in questions:
        assert q["files"] and all((root / f).is_file() for f in q["files"]), q


def test_retrieval_finds_an_answering_file_in_the_top_five(retriever: Retriever) -> None:
    questions = json.loads(QUESTIONS.read_text())
    hits = [any(h.passage.path in q["files"] for h in retriever.search(q["q"], k=5)) for q in questions]
    assert sum(hits) / len(hits) >= 0.9


def test_an_answer_cites_lines_that_carry_each_claim(retriever: Retriever) -> None:
    answer = answer_question("how do I verify a proof on chain from Python?", retriever)
    assert answer.found and answer.engine == "extractive"
    assert answer.claims
    assert all(check_citation(c, default_roots()) for c in answer.claims)
    assert any(c.path == "docs/verifiable-inference.md" for c in answer.claims)
    assert "[docs/verifiable-inference.md:" in answer.render()


def test_a_citation_check_refuses_a_claim_its_line_does_not_carry() -> None:
    source = (default_roots()[0] / "contracts" / "src" / "TaskEscrow.sol").read_text().splitlines()
    line = next(i for i, text in enumerate(source, 1) if "A task may name a model" in text)
    assert line != 2
    real = Claim("A task may name a model", "contracts/src/TaskEscrow.sol", line)
    assert check_citation(real, default_roots())
    assert not check_citation(
        Claim("A task may name a model", "contracts/src/TaskEscrow.sol", 2), default_roots()
    )
    assert not check_citation(Claim("A task may name a model", "contracts/src/Nope.sol", 22), default_roots())
    assert not check_citation(
        Claim("A task may name a model", "contracts/src/TaskEscrow.sol", 99999), default_roots()
    )


@pytest.mark.parametrize("question", UNANSWERABLE)
def test_a_question_the_sources_do_not_answer_is_not_found(retriever: Retriever, question: str) -> None:
    answer = answer_question(question, retriever)
    assert not answer.found and not answer.claims
    assert answer.missing
    assert answer.render().startswith("not found")


def test_any_project_folder_can_be_asked(tmp_path: Path) -> None:
    (tmp_path / "contracts").mkdir()
    (tmp_path / "contracts" / "Vault.sol").write_text(
        "// SPDX-License-Identifier: MIT\npragma solidity ^0.8.24;\n\n"
        "/// @notice A vault that locks deposits until the unlock time.\ncontract Vault {\n"
        "    uint256 public unlockTime;\n\n"
        "    /// @notice Withdraw everything once the unlock time has passed.\n"
        "    function withdraw() external {\n"
        '        require(block.timestamp >= unlockTime, "locked");\n    }\n}\n'
    )
    (tmp_path / "README.md").write_text("# Vault\n\nDeposit ether; withdraw after the unlock time.\n")
    (tmp_path / "node_modules").mkdir()
    (tmp_path / "node_modules" / "junk.md").write_text("withdraw unlock vault " * 50)
    retriever = Retriever.from_paths([tmp_path])
    assert all(not p.path.startswith("node_modules") for p in retriever.passages)
    answer = answer_question("when can I withdraw from the vault?", retriever)
    assert answer.found
    assert any(c.cite == "contracts/Vault.sol:8" for c in answer.claims), answer.render()
    assert all(check_citation(c, [tmp_path]) for c in answer.claims)


def test_passages_keep_their_lines() -> None:
    root = default_roots()[0]
    passages = collect_passages(read_sources([root / "contracts" / "src" / "TaskEscrow.sol"]))
    post = next(p for p in passages if p.title == "TaskEscrow.post")
    lines = (root / "contracts" / "src" / "TaskEscrow.sol").read_text().splitlines()
    assert lines[post.start - 1 : post.end] == post.text.splitlines()
    assert "function post(" in post.text


def test_bad_input_is_one_clear_error(tmp_path: Path, retriever: Retriever) -> None:
    with pytest.raises(InputError, match="does not exist"):
        Retriever.from_paths([tmp_path / "missing"])
    with pytest.raises(InputError, match="no Markdown, Python or Solidity"):
        Retriever.from_paths([tmp_path])
    with pytest.raises(InputError, match="no words"):
        answer_question("how do I ?", retriever)


def test_the_red_team_corpus_is_never_a_source() -> None:
    # its contracts are vulnerable on purpose: an answer must not cite them as how to write code
    checkout = aiweb3_checkout()
    assert checkout is not None and (checkout / "tests" / "redteam_corpus").is_dir()
    files = [str(f.path) for f in read_sources([checkout])]
    assert any(path.endswith("TaskEscrow.sol") for path in files)
    assert not [p for p in files if "redteam_corpus/" in p or "redteam_attackers/" in p]
