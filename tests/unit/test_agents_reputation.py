"""The reputation users see: weighted by money paid and by distinct counterparties."""

from __future__ import annotations

import math

import pytest

from aiweb3.agents import Feedback, Reputation
from aiweb3.agents.registry import PRIOR_PAID, PRIOR_SCORE

A, B, C = "0x" + "aa" * 20, "0x" + "bb" * 20, "0x" + "cc" * 20


def _fb(author: str, score: int, amount: int, task: int = 1) -> Feedback:
    return Feedback(task, author, score, amount, "")


def test_no_feedback_is_the_prior() -> None:
    assert Reputation.of([]) == Reputation(PRIOR_SCORE, 0, 0, 0)


def test_one_counterparty_weighs_log2_of_what_it_paid() -> None:
    rep = Reputation.of([_fb(A, 90, 3 * PRIOR_PAID)])
    assert rep.score == pytest.approx((2 * 90 + PRIOR_SCORE) / 3)
    assert (rep.feedback_count, rep.counterparties, rep.paid_volume) == (1, 1, 3 * PRIOR_PAID)


def test_tiny_self_made_payments_barely_move_it() -> None:
    rep = Reputation.of([_fb(A, 100, 1, task=i) for i in range(5)])
    assert PRIOR_SCORE < rep.score < PRIOR_SCORE + 0.001 and rep.counterparties == 1


def test_many_counterparties_outweigh_one_big_one() -> None:
    one_whale = Reputation.of([_fb(A, 100, 3 * PRIOR_PAID)])
    three_clients = Reputation.of([_fb(who, 100, PRIOR_PAID) for who in (A, B, C)])
    assert three_clients.score > one_whale.score  # same 3 AIUSD, more distinct payers


def test_each_counterpartys_scores_are_averaged_by_amount() -> None:
    rep = Reputation.of([_fb(A, 100, 3 * PRIOR_PAID, task=1), _fb(A, 0, PRIOR_PAID, task=2)])
    weight = math.log2(1 + 4)
    assert rep.score == pytest.approx((weight * 75 + PRIOR_SCORE) / (weight + 1))
