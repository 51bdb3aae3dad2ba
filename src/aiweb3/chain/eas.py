"""The Ethereum Attestation Service (EAS): schemas, on-chain and off-chain attestations.

``aiweb3 deploy`` deploys EAS's SchemaRegistry and EAS contracts from the compiled artifacts of
the npm package ``@ethereum-attestation-service/eas-contracts`` (never recompiled) and registers
the aiweb3 schemas (:data:`AIWEB3_SCHEMAS`). :class:`EASClient` writes and reads attestations
through the chain client with the EAS ABI (the ``eas-sdk`` PyPI package loads ``.env`` files at
import and pulls grpcio; the ABI is all we need).

Off-chain attestations follow EAS's version-2 off-chain format: EIP-712 typed data in the domain
``("EAS Attestation", <EAS version>, chain id, EAS address)`` signed by the attester, with the
same UID EAS's SDK derives; the attester can revoke one on chain (``revokeOffchain``).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eth_abi import decode, encode
from eth_abi.exceptions import DecodingError, EncodingError
from eth_abi.packed import encode_packed
from eth_account.signers.local import LocalAccount
from eth_utils import keccak
from web3.contract import Contract

from aiweb3.chain.accounts import checksum
from aiweb3.chain.client import Chain, Receipt
from aiweb3.chain.contracts import Deployments, artifact
from aiweb3.crypto.typed_data import Domain, recover_typed, sign_typed
from aiweb3.errors import InputError

__all__ = [
    "AIWEB3_SCHEMAS",
    "ZERO_ADDRESS",
    "ZERO_UID",
    "Attestation",
    "EASClient",
    "OffchainAttestation",
    "decode_data",
    "encode_data",
    "schema_types",
    "schema_uid",
]

ZERO_UID = "0x" + "00" * 32
ZERO_ADDRESS = "0x" + "00" * 20
#: blocks per eth_getLogs request
LOG_RANGE = 10_000

#: The schemas aiweb3 registers on deploy (EAS schema strings: ``type name`` pairs).
#: Ratios are in parts per million; ``groupErrors`` is JSON ``{group: error rate ppm}``.
AIWEB3_SCHEMAS: dict[str, str] = {
    "model-audit": (
        "bytes32 modelId,bytes32 onnxHash,bytes32 settingsHash,string datasetCid,uint32 samples,"
        "uint32 accuracyPpm,uint32 brierPpm,uint32 ecePpm,string groupAttribute,string groupErrors"
    ),
    "dataset-audit": "string datasetCid,uint32 records,string findings,bool approved",
}

#: EAS's off-chain attestation type (version 2, with a salt).
OFFCHAIN_TYPES = {
    "Attest": [
        {"name": "version", "type": "uint16"},
        {"name": "schema", "type": "bytes32"},
        {"name": "recipient", "type": "address"},
        {"name": "time", "type": "uint64"},
        {"name": "expirationTime", "type": "uint64"},
        {"name": "revocable", "type": "bool"},
        {"name": "refUID", "type": "bytes32"},
        {"name": "data", "type": "bytes"},
        {"name": "salt", "type": "bytes32"},
    ]
}
OFFCHAIN_VERSION = 2
_OFFCHAIN_UID_TYPES = ["uint16", "bytes", "address", "address", "uint64", "uint64", "bool"]
_OFFCHAIN_UID_TYPES += ["bytes32", "bytes", "bytes32", "uint32"]
OFFCHAIN_DOMAIN_NAME = "EAS Attestation"


def schema_uid(schema: str, resolver: str = ZERO_ADDRESS, revocable: bool = True) -> str:
    """The UID SchemaRegistry gives a schema: keccak256(schema ‖ resolver ‖ revocable)."""
    packed = encode_packed(["string", "address", "bool"], [schema, checksum(resolver), revocable])
    return "0x" + keccak(packed).hex()


def schema_types(schema: str) -> list[tuple[str, str]]:
    """``[(type, name), ...]`` of an EAS schema string; raises InputError when malformed."""
    fields = []
    for part in schema.split(","):
        words = part.split()
        if len(words) != 2:
            raise InputError(f"malformed schema field {part.strip()!r}; expected 'type name'")
        fields.append((words[0], words[1]))
    return fields


def encode_data(schema: str, values: dict[str, Any]) -> bytes:
    """ABI-encode ``values`` (by field name) as attestation data of ``schema``."""
    fields = schema_types(schema)
    missing = [n for _t, n in fields if n not in values]
    if missing:
        raise InputError(f"attestation data lacks {', '.join(missing)}")
    try:
        return encode([t for t, _n in fields], [values[n] for _t, n in fields])
    except (EncodingError, TypeError, ValueError) as exc:
        raise InputError(f"attestation data does not fit the schema: {exc}") from None


def decode_data(schema: str, data: bytes) -> dict[str, Any]:
    """Decode attestation data of ``schema`` into ``{field: value}`` (bytes32 as 0x hex)."""
    fields = schema_types(schema)
    try:
        values = decode([t for t, _n in fields], data)
    except (DecodingError, ValueError) as exc:
        raise InputError(f"attestation data is not of the schema {schema!r}: {exc}") from None
    return {
        n: ("0x" + bytes(v).hex() if t.startswith("bytes") else v)
        for (t, n), v in zip(fields, values, strict=True)
    }


def _b32(value: str) -> bytes:
    raw = bytes.fromhex(value.removeprefix("0x"))
    if len(raw) != 32:
        raise InputError(f"{value!r} is not a 32-byte UID (0x followed by 64 hex digits)")
    return raw


@dataclass(frozen=True)
class Attestation:
    """An attestation as EAS records it (or as an off-chain one carries it).

    Times are unix seconds; ``expiration_time`` and ``revocation_time`` are 0 when none.
    """

    uid: str
    schema: str
    time: int
    expiration_time: int
    revocation_time: int
    ref_uid: str
    recipient: str
    attester: str
    revocable: bool
    data: bytes

    def problem(self, now: int) -> str | None:
        """Why this attestation does not count at ``now`` (revoked, expired), or None."""
        if self.revocation_time:
            return f"attestation {self.uid} was revoked by its attester"
        if self.expiration_time and self.expiration_time <= now:
            return f"attestation {self.uid} expired"
        return None


@dataclass(frozen=True)
class OffchainAttestation:
    """A signed off-chain attestation (EAS version-2 off-chain format)."""

    domain: Domain
    attestation: Attestation
    salt: str
    signature: bytes

    def message(self) -> dict[str, Any]:
        """The EIP-712 ``Attest`` message."""
        a = self.attestation
        return {
            "version": OFFCHAIN_VERSION,
            "schema": _b32(a.schema),
            "recipient": a.recipient,
            "time": a.time,
            "expirationTime": a.expiration_time,
            "revocable": a.revocable,
            "refUID": _b32(a.ref_uid),
            "data": a.data,
            "salt": _b32(self.salt),
        }

    def to_json(self) -> dict[str, Any]:
        """As JSON data (hex strings)."""
        a = self.attestation
        return {
            "domain": self.domain.to_json(),
            "uid": a.uid,
            "schema": a.schema,
            "recipient": a.recipient,
            "attester": a.attester,
            "time": a.time,
            "expirationTime": a.expiration_time,
            "revocable": a.revocable,
            "refUID": a.ref_uid,
            "data": "0x" + a.data.hex(),
            "salt": self.salt,
            "signature": "0x" + self.signature.hex(),
        }

    @classmethod
    def from_json(cls, data: Any) -> OffchainAttestation:
        """Parse :meth:`to_json` output; raises InputError when a field is missing or wrong."""
        try:
            att = Attestation(
                uid=str(data["uid"]).lower(),
                schema=str(data["schema"]).lower(),
                time=int(data["time"]),
                expiration_time=int(data["expirationTime"]),
                revocation_time=0,
                ref_uid=str(data["refUID"]).lower(),
                recipient=checksum(str(data["recipient"])),
                attester=checksum(str(data["attester"])),
                revocable=bool(data["revocable"]),
                data=bytes.fromhex(str(data["data"]).removeprefix("0x")),
            )
            return cls(
                Domain.from_json(data["domain"]),
                att,
                str(data["salt"]).lower(),
                bytes.fromhex(str(data["signature"]).removeprefix("0x")),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise InputError(f"malformed off-chain attestation: {exc}") from None


def offchain_uid(a: Attestation, salt: str) -> str:
    """The UID of an off-chain attestation, as EAS's SDK derives it (version 2)."""
    packed = encode_packed(
        [
            "uint16",
            "bytes",
            "address",
            "address",
            "uint64",
            "uint64",
            "bool",
            "bytes32",
            "bytes",
            "bytes32",
            "uint32",
        ],
        [
            OFFCHAIN_VERSION,
            _b32(a.schema),
            a.recipient,
            ZERO_ADDRESS,
            a.time,
            a.expiration_time,
            a.revocable,
            _b32(a.ref_uid),
            a.data,
            _b32(salt),
            0,
        ],
    )
    return "0x" + keccak(packed).hex()


class EASClient:
    """Talk to one EAS deployment (the EAS contract and its SchemaRegistry).

    Args:
        chain: the chain client.
        eas: the EAS contract's address.
    """

    def __init__(self, chain: Chain, eas: str) -> None:
        self.chain = chain
        self.contract: Contract = chain.contract(artifact("EAS").abi, eas)
        self.address = self.contract.address
        registry = str(chain.call(self.contract.functions.getSchemaRegistry()))
        self.registry: Contract = chain.contract(artifact("SchemaRegistry").abi, registry)

    @classmethod
    def from_home(cls, chain: Chain, home: Path | str) -> EASClient:
        """The EAS deployment recorded in ``home`` (see ``aiweb3 deploy``)."""
        return cls(chain, Deployments(Path(home), chain.chain_id).address("EAS"))

    # -- schemas ----------------------------------------------------------------
    def schema(self, uid: str) -> str | None:
        """The schema string registered under ``uid``, or None."""
        record = self.chain.call(self.registry.functions.getSchema(_b32(uid)))
        return str(record[3]) if bytes(record[0]) != b"\0" * 32 else None

    def register_schema(self, signer: LocalAccount, schema: str, *, revocable: bool = True) -> str:
        """Register ``schema`` (no resolver) unless it is registered already; returns its UID."""
        schema_types(schema)
        uid = schema_uid(schema, ZERO_ADDRESS, revocable)
        if self.schema(uid) is None:
            self.chain.transact(signer, self.registry.functions.register(schema, ZERO_ADDRESS, revocable))
        return uid

    # -- on chain -----------------------------------------------------------------
    def attest(
        self,
        signer: LocalAccount,
        schema: str,
        data: bytes,
        *,
        recipient: str = ZERO_ADDRESS,
        expiration_time: int = 0,
        revocable: bool = True,
        ref_uid: str = ZERO_UID,
    ) -> tuple[str, Receipt]:
        """Attest on chain under schema UID ``schema``; returns the attestation UID and receipt."""
        request = (_b32(schema), (checksum(recipient), expiration_time, revocable, _b32(ref_uid), data, 0))
        receipt = self.chain.transact(signer, self.contract.functions.attest(request))
        event = self.chain.events(self.contract, "Attested", receipt)[0]
        return "0x" + bytes(event["uid"]).hex(), receipt

    def revoke(self, signer: LocalAccount, schema: str, uid: str) -> Receipt:
        """Revoke an on-chain attestation (its attester only; reverts AccessDenied otherwise)."""
        return self.chain.transact(signer, self.contract.functions.revoke((_b32(schema), (_b32(uid), 0))))

    def get(self, uid: str) -> Attestation | None:
        """The on-chain attestation ``uid``, or None when there is none."""
        raw = self.chain.call(self.contract.functions.getAttestation(_b32(uid)))
        if bytes(raw[0]) == b"\0" * 32:
            return None
        return Attestation(
            uid="0x" + bytes(raw[0]).hex(),
            schema="0x" + bytes(raw[1]).hex(),
            time=int(raw[2]),
            expiration_time=int(raw[3]),
            revocation_time=int(raw[4]),
            ref_uid="0x" + bytes(raw[5]).hex(),
            recipient=checksum(str(raw[6])),
            attester=checksum(str(raw[7])),
            revocable=bool(raw[8]),
            data=bytes(raw[9]),
        )

    def attestations(self, schema: str, *, from_block: int = 0) -> list[Attestation]:
        """Every on-chain attestation made under schema UID ``schema`` (oldest first)."""
        signature = "0x" + keccak(text="Attested(address,address,bytes32,bytes32)").hex()
        topics = [signature, None, None, "0x" + _b32(schema).hex()]
        logs: list[dict[str, Any]] = []
        start, last = from_block, self.chain.block_number()
        while start <= last:  # in ranges: public nodes cap eth_getLogs
            end = min(start + LOG_RANGE - 1, last)
            query = {"address": self.address, "fromBlock": hex(start), "toBlock": hex(end), "topics": topics}
            logs.extend(self.chain.rpc("eth_getLogs", [query]))
            start = end + 1
        uids = ["0x" + str(log["data"])[2:66] for log in logs]
        found = [self.get(uid) for uid in uids]
        return [a for a in found if a is not None]

    def now(self) -> int:
        """The latest block's timestamp (what EAS compares expiration times with)."""
        return int(self.chain.rpc("eth_getBlockByNumber", ["latest", False])["timestamp"], 16)

    # -- off chain ----------------------------------------------------------------
    def domain(self) -> Domain:
        """The EIP-712 domain of off-chain attestations for this EAS deployment."""
        version = str(self.chain.call(self.contract.functions.version()))
        return Domain(OFFCHAIN_DOMAIN_NAME, version, self.chain.chain_id, self.address)

    def sign_offchain(
        self,
        signer: LocalAccount,
        schema: str,
        data: bytes,
        *,
        recipient: str = ZERO_ADDRESS,
        expiration_time: int = 0,
        revocable: bool = True,
        ref_uid: str = ZERO_UID,
        when: int | None = None,
    ) -> OffchainAttestation:
        """Sign an off-chain attestation (nothing is sent); a random salt makes its UID unique."""
        salt = "0x" + os.urandom(32).hex()
        draft = Attestation(
            uid=ZERO_UID,
            schema=schema.lower(),
            time=int(time.time()) if when is None else when,
            expiration_time=expiration_time,
            revocation_time=0,
            ref_uid=ref_uid.lower(),
            recipient=checksum(recipient),
            attester=checksum(signer.address),
            revocable=revocable,
            data=data,
        )
        att = Attestation(**{**draft.__dict__, "uid": offchain_uid(draft, salt)})
        domain = self.domain()
        unsigned = OffchainAttestation(domain, att, salt, b"")
        signature = sign_typed(signer, domain, OFFCHAIN_TYPES, "Attest", unsigned.message())
        return OffchainAttestation(domain, att, salt, signature)

    def verify_offchain(self, signed: OffchainAttestation) -> Attestation:
        """Check an off-chain attestation: its domain is this EAS, its UID matches its fields, the
        signature is the attester's and the schema is registered; returns it with
        ``revocation_time`` read from chain (``revokeOffchain`` by the attester).

        Raises:
            InputError: any check fails (a tampered field changes the UID or the signer).
        """
        if signed.domain != self.domain():
            raise InputError("the off-chain attestation was signed for another EAS deployment or chain")
        att = signed.attestation
        if offchain_uid(att, signed.salt) != att.uid:
            raise InputError(f"off-chain attestation {att.uid}: its UID does not match its fields")
        signer = recover_typed(signed.signature, signed.domain, OFFCHAIN_TYPES, "Attest", signed.message())
        if signer != att.attester:
            raise InputError(f"off-chain attestation {att.uid} is not signed by its attester {att.attester}")
        if self.schema(att.schema) is None:
            raise InputError(f"off-chain attestation {att.uid} uses the unregistered schema {att.schema}")
        revoked = int(self.chain.call(self.contract.functions.getRevokeOffchain(att.attester, _b32(att.uid))))
        return Attestation(**{**att.__dict__, "revocation_time": revoked})

    def revoke_offchain(self, signer: LocalAccount, uid: str) -> Receipt:
        """Record on chain that ``signer`` revokes its off-chain attestation ``uid``."""
        return self.chain.transact(signer, self.contract.functions.revokeOffchain(_b32(uid)))


def register_aiweb3_schemas(chain: Chain, signer: LocalAccount, eas: str) -> dict[str, str]:
    """Register every schema of :data:`AIWEB3_SCHEMAS` (idempotent); returns name -> UID."""
    client = EASClient(chain, eas)
    return {name: client.register_schema(signer, text) for name, text in AIWEB3_SCHEMAS.items()}
