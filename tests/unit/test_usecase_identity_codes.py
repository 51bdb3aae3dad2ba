"""Identity codes: bits, hex, Hamming statistics and the seeded capture generator (pure)."""

from __future__ import annotations

import numpy as np
import pytest

from aiweb3 import usecases
from aiweb3.errors import InputError
from aiweb3.usecases import identity_data
from aiweb3.usecases.identity import code_bits, code_hex, code_stats, field_sign_bit, hamming
from aiweb3.zkml.proof import FIELD_MODULUS


def test_code_bits_and_hex() -> None:
    bits = code_bits([0.5, -0.1, 0.0, 2.0, -3.0, 1e-4, -1e-4, 7.0])
    assert bits == [1, 0, 0, 1, 0, 1, 0, 1]
    assert code_hex(bits) == "0x95"
    assert code_hex([1] * 32) == "0xffffffff" and code_hex([0] * 32) == "0x00000000"
    assert hamming(bits, [1, 1, 0, 1, 0, 1, 1, 1]) == 2
    with pytest.raises(ValueError, match="different lengths"):
        hamming([1, 0], [1])


def test_sign_of_field_elements() -> None:
    # a projection of -x is p - x in the field; zero is not positive
    assert [field_sign_bit(v) for v in (1, 8192, FIELD_MODULUS - 1, FIELD_MODULUS - 8192, 0)] == [
        1,
        1,
        0,
        0,
        0,
    ]
    assert field_sign_bit(FIELD_MODULUS // 2) == 1 and field_sign_bit(FIELD_MODULUS // 2 + 1) == 0


def test_code_stats_counts_each_pair_once() -> None:
    codes = np.array([[0, 0, 0, 0], [0, 0, 0, 1], [1, 1, 1, 1], [1, 1, 0, 1]])
    stats = code_stats(codes, [0, 0, 1, 1], threshold=1)
    assert stats["same_person_pairs"] == 2 and stats["same_person_mean"] == 1.0
    # cross pairs: (0,2)=4 (0,3)=3 (1,2)=3 (1,3)=2
    assert stats["different_people_pairs"] == 4 and stats["different_people_mean"] == 3.0
    assert stats["different_people_min"] == 2 and stats["false_reject"] == 0.0
    assert code_stats(codes, [0, 0, 1, 1], threshold=2)["false_accept"] == 0.25


def test_generator_is_seeded_and_people_differ() -> None:
    people = identity_data.people(3, seed=9)
    x1, who1 = identity_data.captures(people, 2, seed=4)
    x2, _ = identity_data.captures(people, 2, seed=4)
    assert np.array_equal(x1, x2) and who1.tolist() == [0, 0, 1, 1, 2, 2]
    assert x1.shape == (6, identity_data.FEATURES)
    x3, _ = identity_data.captures(people, 2, seed=5)
    assert not np.array_equal(x1, x3)  # another session: other nuisance and noise
    # two captures of one person are closer than captures of two people (on average, by far)
    many = identity_data.people(200, seed=1)
    x, _ = identity_data.captures(many, 2, seed=2)
    same = np.linalg.norm(x[0::2] - x[1::2], axis=1).mean()
    other = np.linalg.norm(x[0::2] - np.roll(x[1::2], 1, axis=0), axis=1).mean()
    assert same < other


def test_identity_is_a_code_use_case() -> None:
    case = usecases.get("identity")
    assert case.kind == "code" and case.subjects == 3
    with pytest.raises(InputError, match="not a classifier one"):
        case.require("classifier")
    with pytest.raises(InputError, match="identity"):
        usecases.get("iris")
