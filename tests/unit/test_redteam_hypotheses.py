"""Hypotheses from several scanners merge by (class, contract, function) and rank by confidence."""

from __future__ import annotations

from aiweb3.redteam.hypotheses import Hypothesis, rank


def test_agreeing_scanners_merge_and_raise_confidence() -> None:
    ours = Hypothesis(
        "reentrancy", "Bank", "withdraw", "Bank.sol:12", 0.6, ["ast: call before write"], ["ast"]
    )
    theirs = Hypothesis(
        "reentrancy", "Bank", "withdraw", "Bank.sol:13", 0.5, ["slither reentrancy-eth"], ["slither"]
    )
    weak = Hypothesis("unchecked_call", "Bank", "pay", "Bank.sol:30", 0.7, ["ast: send ignored"], ["ast"])
    ranked = rank([weak, ours, theirs])
    assert [h.cls for h in ranked] == ["reentrancy", "unchecked_call"]
    top = ranked[0]
    assert top.sources == ["ast", "slither"]
    assert top.evidence == ["ast: call before write", "slither reentrancy-eth"]
    assert abs(top.confidence - 0.75) < 1e-9
    assert ours.confidence == 0.6  # inputs are not modified


def test_hypothesis_json_round_trip() -> None:
    hyp = Hypothesis("tx_origin", "Wallet", "transfer", "w.sol:9", 0.85, ["tx.origin == owner"], ["ast"])
    data = hyp.to_json()
    assert data["severity"] == "high"
    assert Hypothesis.from_json(data) == hyp
