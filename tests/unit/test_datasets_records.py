"""Record schemas, issuance, local policy enforcement, nullifiers and curator checks (no chain)."""

from __future__ import annotations

import dataclasses

import pytest

from aiweb3.crypto.sdjwt import SdJwt, SigningKey, present, verify
from aiweb3.datasets import (
    FINANCIAL_RECORD,
    MEDICAL_RECORD,
    DatasetRef,
    DisclosurePolicy,
    RecordIssuer,
    issue_record,
    k_anonymity,
    present_record,
    verify_contribution,
)
from aiweb3.datasets.example import breast_cancer_policy, breast_cancer_records
from aiweb3.datasets.records import kb_nonce
from aiweb3.errors import CredentialError, DisclosurePolicyError, InputError

POOL = "0x00000000000000000000000000000000000000AA"
PAYEE = "0x00000000000000000000000000000000000000bb"
REF = DatasetRef(31337, POOL, 1)
HOSPITAL = RecordIssuer("https://hospital.example", SigningKey.generate("ES256"))
RECORD = breast_cancer_records(1)[0]
POLICY = breast_cancer_policy(min_k=1)


def registered(thumb: bytes, schema_id: bytes) -> bool:
    return thumb == HOSPITAL.thumbprint and schema_id == MEDICAL_RECORD.schema_id


def test_issuer_signs_full_record_and_coarse_quasi_identifiers() -> None:
    held = issue_record(MEDICAL_RECORD, RECORD, HOSPITAL, copies=2)
    out = verify(held.copies[0]["sd_jwt"], HOSPITAL.key.public)  # the holder sees everything
    assert out.claims["name"] == RECORD["name"]
    assert out.claims["birth_year"] == RECORD["birth_year"]
    assert out.claims["birth_decade"] == f"{RECORD['birth_year'] // 10 * 10}s"
    assert out.claims["postcode_prefix"] == RECORD["postcode"].replace(" ", "")[:2]
    assert out.claims["tests"]["mean_radius"] == RECORD["tests"]["mean_radius"]
    # copies share nothing linkable: different signatures, holder keys, digests
    a, b = (SdJwt.parse(c["sd_jwt"]) for c in held.copies)
    assert a.jwt != b.jwt and not set(a.disclosures) & set(b.disclosures)


def test_financial_schema_validates_types() -> None:
    record = {
        "name": "A B",
        "national_id": "X1",
        "address": "1 Road",
        "account_number": "GB00",
        "birth_year": 1981,
        "postcode": "EC1A 1BB",
        "income": 41000.0,
        "balance": 812.5,
        "student": False,
        "defaulted": False,
    }
    held = issue_record(FINANCIAL_RECORD, record, HOSPITAL, copies=1)
    assert verify(held.copies[0]["sd_jwt"], HOSPITAL.key.public).claims["birth_decade"] == "1980s"
    with pytest.raises(InputError, match="must be float"):
        issue_record(FINANCIAL_RECORD, {**record, "income": "lots"}, HOSPITAL)
    with pytest.raises(InputError, match="missing"):
        issue_record(FINANCIAL_RECORD, {k: v for k, v in record.items() if k != "name"}, HOSPITAL)


def test_presentation_discloses_only_the_policy() -> None:
    held = issue_record(MEDICAL_RECORD, RECORD, HOSPITAL, copies=2)
    c = present_record(held, MEDICAL_RECORD, POLICY, REF, PAYEE)
    checked = verify_contribution(
        c.presentation,
        schema=MEDICAL_RECORD,
        policy=POLICY,
        ref=REF,
        nullifier=c.nullifier,
        payee=PAYEE,
        is_authorized=registered,
        secret_disclosure=c.secret_disclosure,
    )
    for hidden in ("name", "national_id", "address", "birth_year", "postcode", "sex", "record_secret"):
        assert hidden not in checked.verified.claims
    assert checked.row["diagnoses"] == RECORD["diagnoses"][0]
    assert checked.row["tests_mean_area"] == RECORD["tests"]["mean_area"]
    assert checked.issuer == HOSPITAL.thumbprint


def test_policies_that_disclose_identifying_fields_are_refused_locally() -> None:
    held = issue_record(MEDICAL_RECORD, RECORD, HOSPITAL, copies=1)
    for field in ("name", "national_id", "birth_year", "postcode"):
        evil = dataclasses.replace(POLICY, disclose=(*POLICY.disclose, field))
        with pytest.raises(DisclosurePolicyError, match="refusing"):
            present_record(held, MEDICAL_RECORD, evil, REF, PAYEE)
    withheld = dataclasses.replace(POLICY, withhold=("diagnoses",))
    with pytest.raises(DisclosurePolicyError, match="withheld"):
        present_record(held, MEDICAL_RECORD, withheld, REF, PAYEE)


def test_curator_rejects_a_hand_made_presentation_that_leaks() -> None:
    held = issue_record(MEDICAL_RECORD, RECORD, HOSPITAL, copies=1)
    c = present_record(held, MEDICAL_RECORD, POLICY, REF, PAYEE)
    holder = SigningKey.from_jwk(held.copies[0]["holder_jwk"])
    leaky = present(
        held.copies[0]["sd_jwt"],
        ["name", "birth_decade", "postcode_prefix", "tests", "diagnoses.0"],
        holder_key=holder,
        aud=REF.aud,
        nonce=kb_nonce(c.nullifier, PAYEE),
    )
    with pytest.raises(DisclosurePolicyError, match="forbidden"):
        verify_contribution(
            leaky.serialize(),
            schema=MEDICAL_RECORD,
            policy=POLICY,
            ref=REF,
            nullifier=c.nullifier,
            payee=PAYEE,
            is_authorized=registered,
        )


def test_nullifier_same_per_dataset_unlinkable_across() -> None:
    held = issue_record(MEDICAL_RECORD, RECORD, HOSPITAL, copies=3)
    c1 = present_record(held, MEDICAL_RECORD, POLICY, REF, PAYEE)
    c1b = present_record(held, MEDICAL_RECORD, POLICY, REF, PAYEE)
    other = DatasetRef(31337, POOL, 2)
    c2 = present_record(held, MEDICAL_RECORD, POLICY, other, PAYEE)
    assert c1.nullifier == c1b.nullifier  # the same record cannot be paid twice in one dataset
    assert c1.nullifier != c2.nullifier
    assert SdJwt.parse(c1.presentation).jwt != SdJwt.parse(c2.presentation).jwt  # another copy
    # a presentation for dataset 1 is useless in dataset 2 (audience) or with another payee (nonce)
    with pytest.raises(CredentialError, match="audience"):
        verify_contribution(
            c1.presentation,
            schema=MEDICAL_RECORD,
            policy=POLICY,
            ref=other,
            nullifier=c1.nullifier,
            payee=PAYEE,
            is_authorized=registered,
        )
    with pytest.raises(CredentialError, match="nonce"):
        verify_contribution(
            c1.presentation,
            schema=MEDICAL_RECORD,
            policy=POLICY,
            ref=REF,
            nullifier=c1.nullifier,
            payee=POOL,
            is_authorized=registered,
        )
    # a forged nullifier (a fresh one to get paid twice) is caught by the curator
    forged = present_record(held, MEDICAL_RECORD, POLICY, REF, PAYEE)
    with pytest.raises(CredentialError):
        verify_contribution(
            forged.presentation,
            schema=MEDICAL_RECORD,
            policy=POLICY,
            ref=REF,
            nullifier=bytes(32),
            payee=PAYEE,
            is_authorized=registered,
            secret_disclosure=forged.secret_disclosure,
        )
    # third copy used by dataset 2 already; a fourth dataset finds none left
    present_record(held, MEDICAL_RECORD, POLICY, DatasetRef(31337, POOL, 3), PAYEE)
    with pytest.raises(DisclosurePolicyError, match="link"):
        present_record(held, MEDICAL_RECORD, POLICY, DatasetRef(31337, POOL, 4), PAYEE)


def test_unregistered_issuer_rejected() -> None:
    rogue = RecordIssuer("https://rogue.example", SigningKey.generate("ES256K"))
    held = issue_record(MEDICAL_RECORD, RECORD, rogue, copies=1)
    c = present_record(held, MEDICAL_RECORD, POLICY, REF, PAYEE)
    with pytest.raises(CredentialError, match="not registered"):
        verify_contribution(
            c.presentation,
            schema=MEDICAL_RECORD,
            policy=POLICY,
            ref=REF,
            nullifier=c.nullifier,
            payee=PAYEE,
            is_authorized=registered,
        )


def test_k_anonymity_and_policy_json() -> None:
    rows = [{"a": 1, "b": "x"}, {"a": 1, "b": "x"}, {"a": 2, "b": "x"}]
    assert k_anonymity(rows, ["a", "b"]) == 1
    assert k_anonymity(rows, ["b"]) == 3
    assert k_anonymity([], ["a"]) == 0
    assert DisclosurePolicy.from_json(POLICY.to_json()) == POLICY
    with pytest.raises(InputError):
        DisclosurePolicy.from_json({"disclose": []})
