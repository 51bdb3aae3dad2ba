"""Local sentence embeddings: the pinned MiniLM model, its disk cache, and hybrid retrieval that
finds a passage by meaning when no word is shared."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from aiweb3.devassist import Retriever, answer_question, check_citation
from aiweb3.devassist.corpus import Passage
from aiweb3.devassist.embed import DIMENSION, MODEL_ID, Embedder
from aiweb3.devassist.passage_cache import CACHE_FILE
from aiweb3.devassist.retrieve import embedding_text
from aiweb3.errors import InputError

# kept in JSON, which the assistant does not read: words written here would make them answerable
UNANSWERABLE = json.loads((Path(__file__).parent / "data" / "devassist_unanswerable.json").read_text())


@pytest.fixture(scope="module")
def embedder() -> Embedder:
    return Embedder()


def test_vectors_are_unit_length_and_close_for_the_same_meaning(embedder: Embedder) -> None:
    v = embedder.embed(
        [
            "the vault releases funds after the unlock time",
            "money comes out once the lock ends",
            "chocolate cake",
        ]
    )
    assert v.shape == (3, DIMENSION)
    assert np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-3)
    assert float(v[0] @ v[1]) > float(v[0] @ v[2]) + 0.2


def test_the_cache_is_keyed_by_text_written_whole_and_a_damaged_one_is_rebuilt(tmp_path: Path) -> None:
    first = Embedder(tmp_path)
    texts = ["alpha beta", "gamma delta", "alpha beta"]
    v1 = first.embed_cached(texts)
    assert first.computed == 2  # the repeated text once
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"{MODEL_ID}.npz"]  # no temporary left
    second = Embedder(tmp_path)
    v2 = second.embed_cached([*texts, "epsilon"])
    assert second.computed == 1 and np.allclose(v1, v2[:3], atol=2e-3)
    (tmp_path / f"{MODEL_ID}.npz").write_bytes(b"not a cache")
    third = Embedder(tmp_path)
    assert np.allclose(third.embed_cached(["gamma delta"]), v1[1], atol=2e-3)
    assert third.computed == 1


def test_what_is_embedded_is_the_meaning_not_the_code() -> None:
    py = Passage(
        "a.py",
        1,
        5,
        "python",
        "mod.pay",
        'def pay(x):\n    """Send the fee to the treasury."""\n    return x\n',
    )
    assert embedding_text(py) == "mod.pay\nSend the fee to the treasury."
    assert embedding_text(Passage("a.py", 1, 2, "python", "mod.f", "def f():\n    return 1\n")) is None
    assert embedding_text(Passage("t.py", 1, 2, "test", "test_f", '"""A test."""')) is None
    sol = Passage(
        "V.sol",
        1,
        3,
        "solidity",
        "V.withdraw",
        "    /// @notice Take it out.\n    function withdraw() external {\n",
    )
    assert embedding_text(sol) == "V.withdraw\n@notice Take it out.\nfunction withdraw() external {"


def test_hybrid_retrieval_answers_a_question_in_other_words(tmp_path: Path, embedder: Embedder) -> None:
    (tmp_path / "README.md").write_text(
        "# Piggy\n\n## Withdrawals\n\n"
        "Funds can be taken out of the vault once the unlock time has passed.\n\n"
        "## Governance\n\nHolders vote on proposals; a proposal passes with a majority of votes.\n"
    )
    retriever = Retriever.from_paths([tmp_path], embedder)
    question = "how is voting on ideas decided?"  # no word in common with the README
    assert retriever.search(question, mode="bm25") == []
    assert not answer_question(question, Retriever.from_paths([tmp_path])).found
    for mode in ("embeddings", "hybrid"):
        assert retriever.search(question, mode=mode)[0].passage.title == "Piggy > Governance"
    answer = answer_question(question, retriever)
    assert answer.found and answer.claims[0].cite == "README.md:9"
    assert all(check_citation(c, [tmp_path]) for c in answer.claims)
    for unanswerable in UNANSWERABLE:
        assert not answer_question(unanswerable, retriever).found
    with pytest.raises(InputError, match="retrieval mode must be one of"):
        retriever.search(question, mode="dense")
    with pytest.raises(InputError, match="needs the embedding model"):
        Retriever.from_paths([tmp_path]).search(question, mode="embeddings")


def test_passages_and_tokens_come_from_the_cache_until_a_file_changes(tmp_path: Path) -> None:
    project, cache = tmp_path / "p", tmp_path / "cache"
    project.mkdir()
    (project / "README.md").write_text("# Vault\n\n## Withdraw\n\nWithdraw after the unlock time.\n")
    (project / "fees.md").write_text("# Fees\n\nA fee of 0.3% goes to the treasury.\n")
    plain = Retriever.from_paths([project])
    cold = Retriever.from_paths([project], cache=cache)
    assert cold.passages == plain.passages
    assert sorted(p.name for p in cache.iterdir()) == [CACHE_FILE]
    stamp = (cache / CACHE_FILE).stat().st_mtime_ns
    warm = Retriever.from_paths([project], cache=cache)
    assert warm.passages == plain.passages and (cache / CACHE_FILE).stat().st_mtime_ns == stamp  # nothing new
    assert [h.passage for h in warm.search("unlock withdraw")] == [
        h.passage for h in plain.search("unlock withdraw")
    ]
    (project / "fees.md").write_text("# Fees\n\nA fee of 0.5% goes to the burn address.\n")
    edited = Retriever.from_paths([project], cache=cache)
    assert edited.search("burn address")[0].passage.text.endswith("burn address.")
    (cache / CACHE_FILE).write_text('{"x": [[1, 2]]}')  # damaged: ignored and rebuilt
    assert Retriever.from_paths([project], cache=cache).passages == edited.passages
