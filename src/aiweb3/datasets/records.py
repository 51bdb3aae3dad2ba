"""Issuer-signed records and the holder's side: issue, hold, present under a policy.

An issuer signs a record as an SD-JWT (every field selectively disclosable, coarse
quasi-identifiers as separate claims, and a random ``record_secret`` the holder never
discloses publicly). It issues several *copies* of the same record with fresh salts and fresh
holder keys, so presentations to different datasets share no digest, signature or key.

A contribution to a dataset is authorized by a *nullifier key*, the secp256k1 key
``H(record_secret, chain, pool, dataset)``, and its nullifier is that key's address: the same
for every copy of one record in one dataset (so a record is paid once), unrelated across
datasets (so datasets cannot link a contributor), and only the holder of the record can sign
with it, so a nullifier copied from the mempool blocks nothing. The key signs the EIP-712
``Contribution(datasetId, contentDigest, payee)`` the pool checks. The KB-JWT binds the
presentation to the dataset (``aud``) and to the nullifier and payee (``nonce``), so nobody
can replay it.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils import keccak

from aiweb3.chain import checksum
from aiweb3.crypto.sdjwt import (
    SD,
    PublicKey,
    SigningKey,
    VerifiedSdJwt,
    b64url_decode,
    holder_paths,
    issue,
    present,
    verify,
)
from aiweb3.crypto.typed_data import Domain, sign_typed
from aiweb3.datasets.schemas import SECRET_CLAIM, DisclosurePolicy, FieldKind, RecordSchema, coarsen
from aiweb3.errors import CredentialError, DisclosurePolicyError, InputError

__all__ = [
    "CONTRIBUTION_TYPES",
    "SECRET_CLAIM",
    "Contribution",
    "DatasetRef",
    "HeldRecord",
    "RecordIssuer",
    "address_nullifier",
    "authorize_contribution",
    "check_disclosure",
    "issue_record",
    "kb_nonce",
    "nullifier_for",
    "nullifier_key",
    "present_record",
]

_NULLIFIER_TAG = b"aiweb3/dataset-nullifier/v2"
_SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141

#: The EIP-712 type a nullifier key signs to authorize one contribution (see DatasetPool.sol).
CONTRIBUTION_TYPES = {
    "Contribution": [
        {"name": "datasetId", "type": "uint256"},
        {"name": "contentDigest", "type": "bytes32"},
        {"name": "payee", "type": "address"},
    ]
}
Path = tuple[str | int, ...]


@dataclass(frozen=True)
class RecordIssuer:
    """A record issuer (hospital, lab, bank): a name (``iss``) and an ES256/ES256K key."""

    name: str
    key: SigningKey = field(repr=False)

    @property
    def thumbprint(self) -> bytes:
        """The issuer's on-chain id: the RFC 7638 thumbprint of its public JWK."""
        return self.key.public.thumbprint_bytes()

    def to_json(self) -> dict[str, Any]:
        """Private form for a keyfile (secret: store with mode 0600)."""
        return {"name": self.name, "jwk": self.key.private_jwk()}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> RecordIssuer:
        """Parse :meth:`to_json` output."""
        return cls(str(data["name"]), SigningKey.from_jwk(data["jwk"]))


@dataclass(frozen=True)
class DatasetRef:
    """Where a dataset lives: chain id, pool address, dataset id."""

    chain_id: int
    pool: str
    dataset_id: int

    @property
    def aud(self) -> str:
        """The KB-JWT audience: a presentation is valid for this dataset only."""
        return f"aiweb3:dataset:{self.chain_id}:{self.pool.lower()}:{self.dataset_id}"

    @property
    def domain(self) -> Domain:
        """The pool's EIP-712 domain (name "aiweb3 DatasetPool", version "1")."""
        return Domain("aiweb3 DatasetPool", "1", self.chain_id, self.pool)


def nullifier_key(secret: bytes, ref: DatasetRef) -> LocalAccount:
    """The nullifier key ``keccak(tag, record_secret, chain_id, pool, dataset_id)``: one per
    record and dataset, held only by whoever holds the record secret."""
    pool = bytes.fromhex(checksum(ref.pool)[2:])
    data = (
        _NULLIFIER_TAG + secret + ref.chain_id.to_bytes(32, "big") + pool + ref.dataset_id.to_bytes(32, "big")
    )
    key = int.from_bytes(keccak(data), "big")
    if not 0 < key < _SECP256K1_N:  # probability ~2^-128; a new record secret fixes it
        raise CredentialError(
            "this record secret gives no valid nullifier key; ask the issuer for a new record"
        )
    account: LocalAccount = Account.from_key(key.to_bytes(32, "big"))
    return account


def nullifier_for(secret: bytes, ref: DatasetRef) -> bytes:
    """The nullifier: the nullifier key's address, left-padded to 32 bytes (as the pool stores it)."""
    return address_nullifier(nullifier_key(secret, ref).address)


def address_nullifier(address: str) -> bytes:
    """The 32-byte nullifier of a nullifier key's address."""
    return bytes.fromhex(checksum(address)[2:]).rjust(32, b"\0")


def authorize_contribution(key: LocalAccount, ref: DatasetRef, content_digest: bytes, payee: str) -> bytes:
    """The nullifier key's EIP-712 signature letting the pool record this contribution."""
    message = {"datasetId": ref.dataset_id, "contentDigest": content_digest, "payee": checksum(payee)}
    return sign_typed(key, ref.domain, CONTRIBUTION_TYPES, "Contribution", message)


def kb_nonce(nullifier: bytes, payee: str) -> str:
    """The KB-JWT nonce binding a presentation to its nullifier and payee."""
    return "0x" + bytes(keccak(nullifier + bytes.fromhex(checksum(payee)[2:]))).hex()


@dataclass
class HeldRecord:
    """What a holder keeps: the record's copies (SD-JWT + holder key each) and which dataset
    each copy was shown to. Secret: store with mode 0600."""

    schema: str
    secret: bytes
    copies: list[dict[str, Any]]

    def to_json(self) -> dict[str, Any]:
        """JSON form (contains private keys)."""
        return {"schema": self.schema, "secret": self.secret.hex(), "copies": self.copies}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> HeldRecord:
        """Parse :meth:`to_json` output; raises InputError when malformed."""
        try:
            return cls(str(data["schema"]), bytes.fromhex(data["secret"]), list(data["copies"]))
        except (KeyError, TypeError, ValueError) as exc:
            raise InputError(f"malformed held record: {exc}") from None

    def copy_for(self, aud: str) -> int:
        """The copy to show to ``aud``: the one already used for it, else an unused one."""
        for i, copy in enumerate(self.copies):
            if aud in copy.get("used_for", []):
                return i
        for i, copy in enumerate(self.copies):
            if not copy.get("used_for"):
                return i
        raise DisclosurePolicyError(
            "every copy of this record was shown to another dataset; presenting one again would let "
            "the datasets link you. Ask the issuer for more copies (aiweb3 record issue --copies N)"
        )


def _claims(
    schema: RecordSchema, record: Mapping[str, Any], issuer: RecordIssuer, secret: bytes
) -> dict[Any, Any]:
    claims: dict[Any, Any] = {
        "iss": issuer.name,
        "iat": int(time.time()),
        "schema": schema.id,
        SD(SECRET_CLAIM): secret.hex(),
    }
    for f in schema.fields:
        value = record[f.name]
        if f.type == "object":
            claims[SD(f.name)] = {SD(k): v for k, v in value.items()}
        elif f.type == "array":
            claims[SD(f.name)] = [SD(v) for v in value]
        else:
            claims[SD(f.name)] = value
        if f.coarse and f.coarsen:
            claims[SD(f.coarse)] = coarsen(f.coarsen, value)
    return claims


def issue_record(
    schema: RecordSchema,
    record: Mapping[str, Any],
    issuer: RecordIssuer,
    *,
    copies: int = 4,
    decoys: int = 2,
) -> HeldRecord:
    """Sign ``record`` (validated against ``schema``) as ``copies`` unlinkable SD-JWTs."""
    schema.validate(record)
    if copies < 1:
        raise InputError("issue at least one copy")
    secret = secrets.token_bytes(32)
    claims = _claims(schema, record, issuer, secret)
    out = []
    for _ in range(copies):
        holder = SigningKey.generate("ES256")
        issued = issue(claims, issuer.key, holder_key=holder.public, decoys=decoys, embed_issuer_jwk=True)
        out.append({"sd_jwt": issued.serialize(), "holder_jwk": holder.private_jwk(), "used_for": []})
    return HeldRecord(schema.id, secret, out)


def _expand(patterns: tuple[str, ...], paths: set[Path]) -> set[Path]:
    wanted: set[Path] = set()
    for pattern in patterns:
        parts = tuple(int(p) if p.isdigit() else p for p in pattern.split("."))
        if parts[-1] == "*":
            base = parts[:-1]
            wanted |= {p for p in paths if len(p) == len(base) + 1 and p[: len(base)] == base}
            wanted |= {base} & paths
        elif parts in paths:
            wanted.add(parts)
        else:
            raise DisclosurePolicyError(f"the record has no selectively disclosable claim {pattern!r}")
    return wanted


def _forbidden(schema: RecordSchema, policy: DisclosurePolicy) -> set[str]:
    return (
        set(schema.names(FieldKind.IDENTIFYING))
        | set(schema.names(FieldKind.QUASI))
        | set(policy.withhold)
        | {SECRET_CLAIM}
    )


def check_disclosure(verified: VerifiedSdJwt, schema: RecordSchema, policy: DisclosurePolicy) -> None:
    """Raise DisclosurePolicyError unless a verified presentation discloses what the policy asks
    and nothing identifying, precisely quasi-identifying, withheld or secret."""
    if verified.claims.get("schema") != schema.id:
        raise DisclosurePolicyError(
            f"presentation is a {verified.claims.get('schema')!r} record, not {schema.id}"
        )
    forbidden = _forbidden(schema, policy)
    leaked = sorted({str(p[0]) for p in verified.disclosed_paths if p and p[0] in forbidden})
    if leaked:
        raise DisclosurePolicyError(f"presentation discloses forbidden field(s) {leaked}")
    for pattern in policy.disclose:
        node: Any = verified.claims
        for part in pattern.removesuffix(".*").split("."):
            node = node.get(part) if isinstance(node, dict) else None
        if node is None:
            raise DisclosurePolicyError(
                f"presentation does not disclose {pattern!r}, which the policy requires"
            )


@dataclass(frozen=True)
class Contribution:
    """A presentation ready for a dataset, with its nullifier; ``secret_disclosure`` goes to the
    curator only (it lets the curator check the nullifier) and is never published."""

    presentation: str
    nullifier: bytes
    payee: str
    ref: DatasetRef
    secret_disclosure: str
    authorization: bytes  # the nullifier key's signature for the pool (see authorize_contribution)

    @property
    def content_digest(self) -> bytes:
        """sha2-256 of the presentation bytes (its CIDv1 raw digest)."""
        return hashlib.sha256(self.presentation.encode("ascii")).digest()


def present_record(
    held: HeldRecord,
    schema: RecordSchema,
    policy: DisclosurePolicy,
    ref: DatasetRef,
    payee: str,
    *,
    iat: int | None = None,
) -> Contribution:
    """Present one copy of ``held`` under ``policy`` to the dataset ``ref``.

    The policy is enforced here, before anything leaves the holder: no identifying field,
    precise quasi-identifier, withheld field or the record secret is disclosed, whatever the
    policy says, and the finished presentation is verified again before it is returned.
    Marks the copy used for this dataset (save ``held`` afterwards).

    ``iat`` stamps the KB-JWT (default: this machine's clock). The curator checks it against the
    block time the pool records for the contribution, so pass the chain's clock
    (``Chain.block_time()``) when it may differ from this machine's (a dev node moved in time),
    and contribute within :data:`~aiweb3.crypto.sdjwt.KB_MAX_AGE` seconds.
    """
    if held.schema != schema.id:
        raise InputError(f"held record is a {held.schema} record; the dataset wants {schema.id}")
    try:
        policy.check_against(schema)
    except InputError as exc:
        raise DisclosurePolicyError(f"refusing to present under this policy: {exc}") from None
    index = held.copy_for(ref.aud)
    copy = held.copies[index]
    paths = holder_paths(copy["sd_jwt"])
    wanted = _expand(policy.disclose, set(paths.values()))
    forbidden = _forbidden(schema, policy)
    bad = sorted({str(p[0]) for p in wanted if p[0] in forbidden})
    if bad:
        raise DisclosurePolicyError(f"refusing to disclose identifying or withheld field(s) {bad}")
    key = nullifier_key(held.secret, ref)
    nullifier = address_nullifier(key.address)
    holder = SigningKey.from_jwk(copy["holder_jwk"])
    nonce = kb_nonce(nullifier, payee)
    pres = present(copy["sd_jwt"], wanted, holder_key=holder, aud=ref.aud, nonce=nonce, iat=iat)
    text = pres.serialize()
    issuer_jwk = json.loads(_b64json_header(text))["jwk"]
    issuer = PublicKey.from_jwk(issuer_jwk)
    verified = verify(text, issuer, expected_aud=ref.aud, expected_nonce=nonce, now=iat)
    check_disclosure(verified, schema, policy)
    secret = [d for d, p in paths.items() if p == (SECRET_CLAIM,)]
    if len(secret) != 1:
        raise CredentialError("the record has no record_secret disclosure; it was not issued by aiweb3")
    copy.setdefault("used_for", [])
    if ref.aud not in copy["used_for"]:
        copy["used_for"].append(ref.aud)
    digest = hashlib.sha256(text.encode("ascii")).digest()
    authorization = authorize_contribution(key, ref, digest, payee)
    return Contribution(text, nullifier, checksum(payee), ref, secret[0], authorization)


def _b64json_header(sd_jwt: str) -> bytes:
    return b64url_decode(sd_jwt.split(".", 1)[0])
