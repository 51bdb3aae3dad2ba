"""Record schemas: which fields identify a person, which are quasi-identifiers, which are payload.

The issuer signs every field of a record as a selectively disclosable SD-JWT claim, plus coarse
versions of the quasi-identifiers (birth decade, postcode prefix) as *separate* claims, so a
holder can prove the coarse value without revealing the precise one.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from eth_utils import keccak

from aiweb3.errors import InputError
from aiweb3.files import canonical_json

__all__ = [
    "FINANCIAL_RECORD",
    "MEDICAL_RECORD",
    "SCHEMAS",
    "SECRET_CLAIM",
    "DisclosurePolicy",
    "Field",
    "FieldKind",
    "RecordSchema",
    "coarsen",
    "schema_by_id",
]


#: The claim holding the record secret the nullifiers derive from; never disclosed publicly.
SECRET_CLAIM = "record_secret"


class FieldKind(StrEnum):
    """How much a field says about who the record is about."""

    IDENTIFYING = "identifying"  # never disclosed to a dataset
    QUASI = "quasi"  # identifying in combination; disclosed only coarsened
    PAYLOAD = "payload"  # the data a dataset wants


_TYPES: dict[str, tuple[type, ...]] = {
    "str": (str,),
    "int": (int,),
    "float": (int, float),
    "bool": (bool,),
    "object": (dict,),
    "array": (list,),
}


@dataclass(frozen=True)
class Field:
    """One record field. ``coarse`` names the coarse claim and ``coarsen`` the rule
    (``decade`` for years, ``prefix:N`` for codes) for quasi-identifiers."""

    name: str
    kind: FieldKind
    type: str = "str"
    coarse: str | None = None
    coarsen: str | None = None


def coarsen(rule: str, value: Any) -> str:
    """Apply a coarsening rule: ``decade`` (1974 -> "1970s"), ``prefix:N`` ("SW1A 1AA" -> "SW1")."""
    if rule == "decade":
        return f"{int(value) // 10 * 10}s"
    if rule.startswith("prefix:"):
        return str(value).replace(" ", "").upper()[: int(rule.split(":", 1)[1])]
    raise InputError(f"unknown coarsening rule {rule!r}; use 'decade' or 'prefix:N'")


@dataclass(frozen=True)
class RecordSchema:
    """A named, versioned list of fields; its id on chain is the keccak of its canonical JSON."""

    name: str
    version: int
    fields: tuple[Field, ...]

    @property
    def id(self) -> str:
        """``name/vN``."""
        return f"{self.name}/v{self.version}"

    def to_json(self) -> dict[str, Any]:
        """The canonical description hashed into :attr:`schema_id`."""
        return {
            "name": self.name,
            "version": self.version,
            "fields": [
                {k: v for k, v in f.__dict__.items() if v is not None} | {"kind": str(f.kind)}
                for f in self.fields
            ],
        }

    @property
    def schema_id(self) -> bytes:
        """bytes32 identifier used by the contracts."""
        return bytes(keccak(canonical_json(self.to_json())))

    def field(self, name: str) -> Field:
        """A field by name."""
        for f in self.fields:
            if f.name == name:
                return f
        raise InputError(f"schema {self.id} has no field {name!r}")

    def names(self, kind: FieldKind) -> list[str]:
        """The field names of one kind."""
        return [f.name for f in self.fields if f.kind is kind]

    @property
    def coarse_claims(self) -> list[str]:
        """The coarse quasi-identifier claim names (birth_decade, postcode_prefix, ...)."""
        return [f.coarse for f in self.fields if f.coarse]

    def validate(self, record: Mapping[str, Any]) -> None:
        """Raise InputError unless ``record`` has exactly the schema's fields with the right types."""
        names = {f.name for f in self.fields}
        extra, missing = set(record) - names, names - set(record)
        if extra or missing:
            raise InputError(
                f"record does not match schema {self.id}: missing {sorted(missing)}, unknown {sorted(extra)}"
            )
        for f in self.fields:
            value = record[f.name]
            if not isinstance(value, _TYPES[f.type]) or (f.type != "bool" and isinstance(value, bool)):
                raise InputError(f"field {f.name!r} of schema {self.id} must be {f.type}, got {value!r}")


@dataclass(frozen=True)
class DisclosurePolicy:
    """What a dataset needs: claims to disclose (``tests.*`` = every member), claims never to
    disclose beyond the schema's identifying fields, the quasi-identifiers k-anonymity groups by,
    and the minimum k."""

    schema: str
    disclose: tuple[str, ...]
    withhold: tuple[str, ...] = ()
    quasi: tuple[str, ...] = ()
    min_k: int = 1

    def to_json(self) -> dict[str, Any]:
        """JSON form (stored by content id, hashed on chain)."""
        return {
            "schema": self.schema,
            "disclose": list(self.disclose),
            "withhold": list(self.withhold),
            "quasi": list(self.quasi),
            "min_k": self.min_k,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> DisclosurePolicy:
        """Parse the JSON form; raises InputError when malformed."""
        try:
            policy = cls(
                schema=str(data["schema"]),
                disclose=tuple(data["disclose"]),
                withhold=tuple(data.get("withhold", ())),
                quasi=tuple(data.get("quasi", ())),
                min_k=int(data.get("min_k", 1)),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise InputError(f"malformed disclosure policy: {exc}") from None
        if policy.min_k < 1:
            raise InputError("a policy's min_k must be at least 1")
        return policy

    def canonical(self) -> bytes:
        """Canonical JSON bytes."""
        return canonical_json(self.to_json())

    @property
    def policy_hash(self) -> bytes:
        """bytes32 keccak of the canonical JSON."""
        return bytes(keccak(self.canonical()))

    def check_against(self, schema: RecordSchema) -> None:
        """Refuse a policy that would make holders disclose an identifying or precise quasi field."""
        if schema.id != self.schema:
            raise InputError(f"policy is for schema {self.schema}, not {schema.id}")
        forbidden = (
            set(schema.names(FieldKind.IDENTIFYING)) | set(schema.names(FieldKind.QUASI)) | {SECRET_CLAIM}
        )
        for path in self.disclose:
            if path.split(".")[0] in forbidden:
                raise InputError(
                    f"policy discloses {path!r}, an identifying, precise quasi-identifying or secret "
                    "field; disclose a coarse claim instead"
                )
        unknown = [q for q in self.quasi if q not in self.disclose]
        if unknown:
            raise InputError(f"policy groups k-anonymity by {unknown}, which it does not disclose")


MEDICAL_RECORD = RecordSchema(
    "medical-record",
    1,
    (
        Field("name", FieldKind.IDENTIFYING),
        Field("national_id", FieldKind.IDENTIFYING),
        Field("address", FieldKind.IDENTIFYING),
        Field("birth_year", FieldKind.QUASI, "int", coarse="birth_decade", coarsen="decade"),
        Field("postcode", FieldKind.QUASI, "str", coarse="postcode_prefix", coarsen="prefix:2"),
        Field("sex", FieldKind.QUASI, "str"),
        Field("tests", FieldKind.PAYLOAD, "object"),
        Field("diagnoses", FieldKind.PAYLOAD, "array"),
    ),
)

FINANCIAL_RECORD = RecordSchema(
    "financial-record",
    1,
    (
        Field("name", FieldKind.IDENTIFYING),
        Field("national_id", FieldKind.IDENTIFYING),
        Field("address", FieldKind.IDENTIFYING),
        Field("account_number", FieldKind.IDENTIFYING),
        Field("birth_year", FieldKind.QUASI, "int", coarse="birth_decade", coarsen="decade"),
        Field("postcode", FieldKind.QUASI, "str", coarse="postcode_prefix", coarsen="prefix:2"),
        Field("income", FieldKind.PAYLOAD, "float"),
        Field("balance", FieldKind.PAYLOAD, "float"),
        Field("student", FieldKind.PAYLOAD, "bool"),
        Field("defaulted", FieldKind.PAYLOAD, "bool"),
    ),
)

SCHEMAS: dict[str, RecordSchema] = {s.id: s for s in (MEDICAL_RECORD, FINANCIAL_RECORD)}


def schema_by_id(schema_id: str) -> RecordSchema:
    """A built-in schema by ``name/vN``."""
    try:
        return SCHEMAS[schema_id]
    except KeyError:
        raise InputError(f"unknown record schema {schema_id!r} (known: {', '.join(SCHEMAS)})") from None


def describe(schema: RecordSchema) -> str:
    """Pretty JSON of a schema."""
    return json.dumps(schema.to_json(), indent=2)
