"""A documented generator of realistic motor-insurance claims (no public claims set loads offline).

Each claim joins policy fields and claim fields:

===================  ==========================================================
policyholder_age     18-85, skewed to 30-60 (normal, mean 45, sd 14)
policy_tenure_years  years with the insurer, exponential (mean 4), capped at 30
annual_premium       200-3,000 (log-normal around 750), higher for the young
prior_claims         claims in the last 5 years, Poisson (0.3, more for the young)
vehicle_age          0-20 years, gamma (mean ~6)
claim_amount         log-normal around 2,500, scaled by the vehicle's value
days_since_start     days between the policy start and the incident, 0-365
police_report        1 if a police report was filed (72 % of claims)
===================  ==========================================================

The label (1 = refer to investigation, 0 = pay) follows a logistic risk score built on
patterns insurers publish as red flags: a claim soon after the policy started, a claim
large relative to the premium, no police report, many prior claims, a short tenure. Noise
keeps it imperfect (about 20 % of claims are referred).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

__all__ = ["FIELDS", "generate"]

FIELDS = (
    "policyholder_age",
    "policy_tenure_years",
    "annual_premium",
    "prior_claims",
    "vehicle_age",
    "claim_amount",
    "days_since_start",
    "police_report",
)


def generate(n: int, *, seed: int = 0) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """``n`` claims (rows in :data:`FIELDS` order) and their labels, reproducible from ``seed``."""
    rng = np.random.default_rng(seed)
    age = np.clip(rng.normal(45, 14, n), 18, 85).round()
    tenure = np.minimum(rng.exponential(4, n), 30).round(1)
    young = (age < 25).astype(float)
    premium = np.clip(rng.lognormal(np.log(750), 0.35, n) * (1 + 0.6 * young), 200, 3000).round(2)
    prior = rng.poisson(0.3 + 0.4 * young)
    vehicle_age = np.clip(rng.gamma(2.0, 3.0, n), 0, 20).round(1)
    value_factor = np.exp(-0.08 * vehicle_age)
    amount = np.clip(rng.lognormal(np.log(2500), 0.8, n) * (0.5 + value_factor), 100, 60000).round(2)
    days = rng.integers(0, 366, n).astype(float)
    police = (rng.random(n) < 0.72).astype(float)
    score = (
        -1.9
        + 1.5 * (days < 30)
        + 0.9 * np.log(amount / premium)
        - 1.4 * police
        + 0.5 * prior
        - 0.08 * tenure
        + rng.normal(0, 0.6, n)
    )
    label = (rng.random(n) < 1 / (1 + np.exp(-score))).astype(np.int64)
    x = np.column_stack([age, tenure, premium, prior.astype(float), vehicle_age, amount, days, police])
    return x, label
