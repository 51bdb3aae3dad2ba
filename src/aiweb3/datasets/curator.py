"""The curator's and the public's side: verify contributions, keep k-anonymity, re-verify a dataset.

The curator receives each contribution's presentation (published by content id) and, privately,
the disclosure of the record secret that lets it check the nullifier. It verifies the issuer
signature against the on-chain registry, the KB-JWT binding, the policy and the nullifier, and
accepts only contributions whose quasi-identifier class already holds at least ``min_k`` members
(the others wait), so the published table never falls below k-anonymity ``min_k``.
Anyone can re-run :func:`verify_dataset` from the chain and the published presentations.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from eth_account.signers.local import LocalAccount

from aiweb3.crypto.sdjwt import DEFAULT_TYP, Disclosure, PublicKey, VerifiedSdJwt, verify
from aiweb3.datasets.pool import ContributionInfo, DatasetPool
from aiweb3.datasets.records import (
    SECRET_CLAIM,
    DatasetRef,
    check_disclosure,
    kb_nonce,
    nullifier_for,
)
from aiweb3.datasets.schemas import DisclosurePolicy, RecordSchema
from aiweb3.errors import CredentialError, StoreError

__all__ = [
    "CheckedContribution",
    "DatasetReport",
    "ReviewResult",
    "Submission",
    "k_anonymity",
    "review",
    "row_of",
    "verify_contribution",
    "verify_dataset",
]

Authorizer = Callable[[bytes, bytes], bool]


@dataclass(frozen=True)
class CheckedContribution:
    """A verified contribution: its table row and the issuer key thumbprint that signed it."""

    row: dict[str, Any]
    issuer: bytes
    verified: VerifiedSdJwt


def row_of(claims: Mapping[str, Any], policy: DisclosurePolicy) -> dict[str, Any]:
    """The table row of a presentation: the policy's claims, objects flattened (``tests_glucose``)."""
    row: dict[str, Any] = {}
    for pattern in policy.disclose:
        name = pattern.removesuffix(".*").split(".")[0]
        value = claims.get(name)
        if isinstance(value, dict):
            for key, item in sorted(value.items()):
                row[f"{name}_{key}"] = item
        elif isinstance(value, list):
            row[name] = ";".join(str(v) for v in value)
        else:
            row[name] = value
    return row


def verify_contribution(
    presentation: str,
    *,
    schema: RecordSchema,
    policy: DisclosurePolicy,
    ref: DatasetRef,
    nullifier: bytes,
    payee: str,
    is_authorized: Authorizer,
    secret_disclosure: str | None = None,
    submitted_at: int | None = None,
) -> CheckedContribution:
    """Verify one contribution; raises CredentialError (or DisclosurePolicyError) with the reason.

    Checks: the issuer key (from the JWT header) is registered, unrevoked and allowed for the
    schema; the SD-JWT and every disclosure verify; the KB-JWT binds this dataset, nullifier and
    payee and was fresh when the contribution was submitted (its ``iat`` at most
    :data:`~aiweb3.crypto.sdjwt.KB_MAX_AGE` seconds before ``submitted_at``, the block time the
    pool recorded, and at most :data:`~aiweb3.crypto.sdjwt.KB_MAX_SKEW` after it; without
    ``submitted_at``, before and after this machine's clock); the policy holds; and, given
    ``secret_disclosure`` (the curator), the nullifier is derived from the signed record secret.
    Checking against the submission time keeps a dataset verifiable years later while an old
    presentation cannot be submitted again.
    """
    thumbs: list[bytes] = []

    def issuer_key(header: dict[str, Any], _payload: dict[str, Any]) -> PublicKey:
        jwk = header.get("jwk")
        if not isinstance(jwk, dict):
            raise CredentialError("the SD-JWT header names no issuer key (jwk)")
        key = PublicKey.from_jwk(jwk)
        thumb = key.thumbprint_bytes()
        if not is_authorized(thumb, schema.schema_id):
            raise CredentialError(
                f"issuer key {thumb.hex()[:16]}… is not registered, is revoked, or may not sign {schema.id}"
            )
        thumbs.append(thumb)
        return key

    verified = verify(
        presentation,
        issuer_key,
        expected_aud=ref.aud,
        expected_nonce=kb_nonce(nullifier, payee),
        expected_typ=DEFAULT_TYP,
        now=submitted_at,
    )
    check_disclosure(verified, schema, policy)
    if secret_disclosure is not None:
        disc = Disclosure.parse(secret_disclosure)
        signed = verified.payload.get("_sd", [])
        if disc.name != SECRET_CLAIM or disc.digest(verified.payload.get("_sd_alg", "sha-256")) not in signed:
            raise CredentialError("the record-secret disclosure is not part of the signed record")
        try:
            secret = bytes.fromhex(str(disc.value))
        except ValueError:
            raise CredentialError("the record secret is not hex") from None
        if nullifier_for(secret, ref) != nullifier:
            raise CredentialError("the nullifier does not derive from the signed record (forged nullifier)")
    return CheckedContribution(row_of(verified.claims, policy), thumbs[0], verified)


def k_anonymity(rows: Iterable[Mapping[str, Any]], quasi: Iterable[str]) -> int:
    """The size of the smallest quasi-identifier class (0 for no rows)."""
    keys = list(quasi)
    counts = Counter(tuple(json.dumps(r.get(k)) for k in keys) for r in rows)
    return min(counts.values(), default=0)


@dataclass(frozen=True)
class Submission:
    """What a contributor hands the curator: the contribution id, presentation, secret disclosure."""

    contribution_id: int
    presentation: str
    secret_disclosure: str


@dataclass
class ReviewResult:
    """What a review did: accepted ids, rejected ids with reasons, ids left waiting for k, and
    verified ids left pending because the budget no longer covers a reward (``unfunded``)."""

    accepted: list[int] = field(default_factory=list)
    rejected: dict[int, str] = field(default_factory=dict)
    waiting: list[int] = field(default_factory=list)
    unfunded: list[int] = field(default_factory=list)


def review(
    pool: DatasetPool,
    curator: LocalAccount,
    dataset_id: int,
    policy: DisclosurePolicy,
    schema: RecordSchema,
    submissions: Iterable[Submission],
    accepted_rows: list[dict[str, Any]],
) -> ReviewResult:
    """Verify pending submissions, reject the bad ones on chain, accept the good ones whose
    quasi-identifier class reaches ``policy.min_k`` (counting already accepted rows) while the
    budget covers a reward; the rest wait (for k, or for funding: the pool reserves nothing for
    pending contributions). ``accepted_rows`` is extended with the rows accepted."""
    ref = DatasetRef(pool.chain.chain_id, pool.address, dataset_id)
    result = ReviewResult()
    good: list[tuple[ContributionInfo, CheckedContribution]] = []
    for sub in submissions:
        info = pool.contribution(sub.contribution_id)
        if info.dataset_id != dataset_id or info.status != "pending":
            continue
        reason = _content_mismatch(sub.presentation, info)
        if reason is None:
            try:
                checked = verify_contribution(
                    sub.presentation,
                    schema=schema,
                    policy=policy,
                    ref=ref,
                    nullifier=info.nullifier,
                    payee=info.payee,
                    is_authorized=pool.registry.is_authorized,
                    secret_disclosure=sub.secret_disclosure,
                    submitted_at=info.submitted_at,
                )
                good.append((info, checked))
                continue
            except CredentialError as exc:
                reason = str(exc)
        pool.reject(curator, info.contribution_id, reason)
        result.rejected[info.contribution_id] = reason
    counts = Counter(_qi(r, policy) for r in accepted_rows)
    counts.update(_qi(c.row, policy) for _, c in good)
    dataset = pool.dataset(dataset_id)
    budget = dataset.budget
    for info, checked in good:
        if counts[_qi(checked.row, policy)] < policy.min_k:
            result.waiting.append(info.contribution_id)
        elif budget < dataset.reward:
            result.unfunded.append(info.contribution_id)
        else:
            pool.accept(curator, info.contribution_id, checked.issuer)
            budget -= dataset.reward
            accepted_rows.append(checked.row)
            result.accepted.append(info.contribution_id)
    return result


def _recorded_issuer(issuer: bytes) -> Authorizer:
    """Accept exactly the issuer key the pool recorded (and checked) at acceptance."""

    def check(thumb: bytes, _schema_id: bytes) -> bool:
        return thumb == issuer

    return check


def _qi(row: Mapping[str, Any], policy: DisclosurePolicy) -> tuple[str, ...]:
    return tuple(json.dumps(row.get(k)) for k in policy.quasi)


def _content_mismatch(presentation: str, info: ContributionInfo) -> str | None:
    if hashlib.sha256(presentation.encode("ascii")).digest() != info.content_digest:
        return "the presentation does not match the content id submitted on chain"
    return None


@dataclass
class DatasetReport:
    """The outcome of re-verifying a dataset off chain."""

    dataset_id: int
    checked: int = 0
    rows: list[dict[str, Any]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    k: int = 0
    min_k: int = 1

    @property
    def ok(self) -> bool:
        """True when every accepted contribution re-verified and k >= min_k."""
        return not self.problems and (self.k >= self.min_k or not self.rows)


def verify_dataset(
    pool: DatasetPool,
    dataset_id: int,
    fetch: Callable[[bytes], bytes],
    load_policy: Callable[[str], DisclosurePolicy],
    schemas: Mapping[bytes, RecordSchema],
) -> DatasetReport:
    """Re-check every accepted contribution of a dataset from public data only.

    Checks the policy against its on-chain hash, every presentation against its on-chain content
    digest, the issuer registry, the KB-JWT binding to the on-chain nullifier and payee, the
    policy, that nullifiers are unique, and k-anonymity over the accepted rows.
    ``fetch(sha256_digest) -> bytes`` reads a published presentation.
    """
    info = pool.dataset(dataset_id)
    report = DatasetReport(dataset_id, min_k=info.min_k)
    policy = load_policy(info.policy_cid)
    if policy.policy_hash != info.policy_hash:
        report.problems.append("the published policy does not match the policy hash on chain")
        return report
    if policy.min_k != info.min_k:
        report.problems.append(f"the policy's min_k {policy.min_k} differs from the pool's {info.min_k}")
    schema = schemas.get(info.schema_id)
    if schema is None:
        report.problems.append(f"unknown schema id {info.schema_id.hex()}")
        return report
    ref = DatasetRef(pool.chain.chain_id, pool.address, dataset_id)
    seen: set[bytes] = set()
    for c in pool.contributions(dataset_id):
        if c.status != "accepted":
            continue
        report.checked += 1
        where = f"contribution {c.contribution_id}"
        if c.nullifier in seen:
            report.problems.append(f"{where}: nullifier {c.nullifier.hex()[:16]}… used twice")
        seen.add(c.nullifier)
        try:
            text = fetch(c.content_digest).decode("ascii")
        except (StoreError, UnicodeDecodeError) as exc:
            report.problems.append(f"{where}: presentation unavailable ({exc})")
            continue
        if (reason := _content_mismatch(text, c)) is not None:
            report.problems.append(f"{where}: {reason}")
            continue
        try:
            checked = verify_contribution(
                text,
                schema=schema,
                policy=policy,
                ref=ref,
                nullifier=c.nullifier,
                payee=c.payee,
                is_authorized=_recorded_issuer(c.issuer),
                submitted_at=c.submitted_at,
            )
        except CredentialError as exc:
            report.problems.append(f"{where}: {exc}")
            continue
        if not pool.registry.is_authorized(c.issuer, schema.schema_id):
            report.warnings.append(f"{where}: issuer {c.issuer.hex()[:16]}… has been revoked since")
        report.rows.append(checked.row)
    report.k = k_anonymity(report.rows, policy.quasi)
    if report.rows and report.k < policy.min_k:
        report.problems.append(f"k-anonymity {report.k} is below the dataset's minimum {policy.min_k}")
    return report
