"""Realistic medical records for examples and tests: scikit-learn's breast-cancer rows
(Wisconsin Diagnostic, 569 patients, loaded offline) with synthetic identities.

Identities (names, national ids, addresses, birth years, postcodes) are generated from a seeded
random source; the measurements and diagnoses are the real rows.
"""

from __future__ import annotations

import random
from typing import Any

from aiweb3.datasets.schemas import DisclosurePolicy
from aiweb3.errors import ConfigError

__all__ = ["BREAST_CANCER_FEATURES", "breast_cancer_policy", "breast_cancer_records"]

#: The measurements a dataset asks for (a subset of the 30 keeps presentations small).
BREAST_CANCER_FEATURES = (
    "mean radius",
    "mean texture",
    "mean perimeter",
    "mean area",
    "mean smoothness",
    "worst radius",
    "worst concavity",
    "worst concave points",
)
_FIRST = ["Ada", "Grace", "Mary", "Rosalind", "Marie", "Emmy", "Lise", "Hedy", "Katherine", "Dorothy"]
_LAST = ["Lovelace", "Hopper", "Somerville", "Franklin", "Curie", "Noether", "Meitner", "Lamarr", "Johnson"]
_AREAS = ["SW", "NW", "EC", "WC"]


def _key(name: str) -> str:
    return name.replace(" ", "_")


def breast_cancer_records(count: int, seed: int = 7) -> list[dict[str, Any]]:
    """``count`` medical records (schema medical-record/v1) from the breast-cancer data set."""
    try:
        from sklearn.datasets import load_breast_cancer
    except ImportError as exc:  # scikit-learn is a dev/example dependency
        raise ConfigError("the example needs scikit-learn: pip install scikit-learn") from exc
    data = load_breast_cancer()
    names = list(data.feature_names)
    cols = [names.index(f) for f in BREAST_CANCER_FEATURES]
    rng = random.Random(seed)
    records = []
    for i in range(min(count, len(data.target))):
        row = data.data[i]
        # A few coarse classes, so k-anonymity over (birth decade, postcode prefix) is reachable.
        year = rng.choice([1950, 1960, 1970]) + rng.randrange(10)
        records.append(
            {
                "name": f"{rng.choice(_FIRST)} {rng.choice(_LAST)}",
                "national_id": f"QQ{rng.randrange(10**6):06d}C",
                "address": f"{rng.randrange(1, 200)} Example Street, London",
                "birth_year": year,
                "postcode": f"{rng.choice(_AREAS)}{rng.randrange(1, 20)} {rng.randrange(1, 9)}AB",
                "sex": "F",
                "tests": {_key(names[c]): round(float(row[c]), 5) for c in cols},
                "diagnoses": [str(data.target_names[data.target[i]])],
            }
        )
    return records


def breast_cancer_policy(min_k: int = 3) -> DisclosurePolicy:
    """The example dataset's policy: coarse quasi-identifiers, every test, the diagnoses."""
    return DisclosurePolicy(
        schema="medical-record/v1",
        disclose=("birth_decade", "postcode_prefix", "tests.*", "diagnoses.*"),
        withhold=(),
        quasi=("birth_decade", "postcode_prefix"),
        min_k=min_k,
    )
