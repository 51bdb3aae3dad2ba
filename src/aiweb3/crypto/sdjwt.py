"""SD-JWT (RFC 9901): selective disclosure of JSON claims signed by an issuer.

An issuer signs a JWT whose payload holds salted digests (``_sd`` arrays, ``{"...": digest}``
array elements) instead of the selectively disclosable claims; the claims travel beside the JWT
as *disclosures* (``base64url(json([salt, name, value]))``). A holder forwards only the
disclosures it chooses, optionally bound to its key by a KB-JWT (audience, nonce, ``sd_hash``).
A verifier checks the issuer signature, recomputes every digest and rebuilds the disclosed claims.

Why this is hand-written: no maintained Python library covers RFC 9901 as published; the
reference package ``sd-jwt`` is a demonstrator (jwcrypto-based, slower, and it accepts inputs
section 7.1 requires to be rejected, such as unreferenced disclosures). The JWS layer is
``aiweb3.crypto.jws`` over ``cryptography``'s ECDSA (ES256 on P-256, ES256K on secp256k1).
"""

from __future__ import annotations

import hashlib
import json
import secrets
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from aiweb3.crypto.jws import (
    PublicKey,
    SigningKey,
    b64url_decode,
    b64url_encode,
    json_b64,
    parse_jwt,
    sign_jwt,
    verify_jwt,
)
from aiweb3.errors import CredentialError

__all__ = [
    "DEFAULT_TYP",
    "KB_MAX_AGE",
    "KB_MAX_SKEW",
    "KB_TYP",
    "SD",
    "Disclosure",
    "IssuedSdJwt",
    "PublicKey",
    "SdJwt",
    "SigningKey",
    "VerifiedSdJwt",
    "b64url_decode",
    "b64url_encode",
    "holder_paths",
    "issue",
    "present",
    "sign_jwt",
    "verify",
]

_HASHES: dict[str, Callable[[bytes], Any]] = {
    "sha-256": hashlib.sha256,
    "sha-384": hashlib.sha384,
    "sha-512": hashlib.sha512,
}
KB_TYP = "kb+jwt"
#: How long a KB-JWT is accepted after its ``iat`` (seconds): a presentation is made for one
#: verifier and sent at once, so ten minutes covers slow networks, not replays days later.
KB_MAX_AGE = 600.0
#: How far a KB-JWT's ``iat`` may lie ahead of the verifier's clock (seconds of clock skew).
KB_MAX_SKEW = 60.0
DEFAULT_TYP = "aiweb3+sd-jwt"
Path = tuple[str | int, ...]


class SD:
    """Marks a claim selectively disclosable: ``{SD("name"): v}`` or a list element ``SD(v)``."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def __hash__(self) -> int:
        return hash(("SD", self.value))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SD) and other.value == self.value

    def __repr__(self) -> str:
        return f"SD({self.value!r})"


@dataclass(frozen=True)
class Disclosure:
    """One disclosure: its encoded form, salt, claim name (None for array elements) and value."""

    encoded: str
    salt: str
    name: str | None
    value: Any

    @classmethod
    def make(cls, name: str | None, value: Any, salt: str | None = None) -> Disclosure:
        """Encode a new disclosure with a fresh 128-bit salt (or the given one)."""
        salt = salt if salt is not None else b64url_encode(secrets.token_bytes(16))
        items: list[Any] = [salt, value] if name is None else [salt, name, value]
        encoded = b64url_encode(json.dumps(items, ensure_ascii=False).encode())
        return cls(encoded, salt, name, value)

    @classmethod
    def parse(cls, encoded: str) -> Disclosure:
        """Decode and validate a disclosure string."""
        items = json_b64(encoded, "disclosure")
        if not isinstance(items, list) or len(items) not in (2, 3) or not isinstance(items[0], str):
            raise CredentialError("malformed disclosure: expected [salt, value] or [salt, name, value]")
        if len(items) == 2:
            return cls(encoded, items[0], None, items[1])
        name = items[1]
        if not isinstance(name, str) or name in ("_sd", "...", "_sd_alg"):
            raise CredentialError(f"malformed disclosure: claim name {name!r} is not allowed")
        return cls(encoded, items[0], name, items[2])

    def digest(self, alg: str = "sha-256") -> str:
        """base64url(hash(ASCII of the encoded disclosure)) (RFC 9901 section 4.2.3)."""
        return b64url_encode(_HASHES[alg](self.encoded.encode("ascii")).digest())


@dataclass(frozen=True)
class SdJwt:
    """A parsed compact SD-JWT or SD-JWT+KB: ``<JWT>~<D1>~...~<Dn>~[<KB-JWT>]``."""

    jwt: str
    disclosures: tuple[str, ...]
    kb_jwt: str | None = None

    @classmethod
    def parse(cls, text: str) -> SdJwt:
        """Split a compact serialization; raises CredentialError when malformed."""
        if not isinstance(text, str) or "~" not in text:
            raise CredentialError("malformed SD-JWT: expected <JWT>~<disclosures>~[<KB-JWT>]")
        parts = text.strip().split("~")
        jwt, disclosures, last = parts[0], parts[1:-1], parts[-1]
        if not jwt or any(not d for d in disclosures):
            raise CredentialError("malformed SD-JWT: empty JWT or empty disclosure between '~'")
        return cls(jwt, tuple(disclosures), last or None)

    @property
    def without_kb(self) -> str:
        """``<JWT>~<D1>~...~<Dn>~``: the string an ``sd_hash`` covers."""
        return "~".join((self.jwt, *self.disclosures)) + "~"

    def serialize(self) -> str:
        """The compact form (with the KB-JWT when present)."""
        return self.without_kb + (self.kb_jwt or "")


@dataclass(frozen=True)
class IssuedSdJwt:
    """What the issuer hands the holder: the SD-JWT and, per disclosure, the path it reveals."""

    sd_jwt: SdJwt
    paths: dict[str, Path]

    def serialize(self) -> str:
        """The compact issuance string."""
        return self.sd_jwt.serialize()


def _salted(name: str | None, value: Any, salts: Callable[[], str] | None) -> Disclosure:
    return Disclosure.make(name, value, salts() if salts else None)


def issue(
    claims: Mapping[Any, Any],
    issuer_key: SigningKey,
    *,
    holder_key: PublicKey | None = None,
    decoys: int = 0,
    typ: str = DEFAULT_TYP,
    kid: str | None = None,
    embed_issuer_jwk: bool = False,
    hash_alg: str = "sha-256",
    salts: Callable[[], str] | None = None,
) -> IssuedSdJwt:
    """Issue an SD-JWT over ``claims``, where keys and list items wrapped in :class:`SD` are
    selectively disclosable (nesting allowed).

    Args:
        holder_key: bound as ``cnf.jwk`` so presentations can carry a KB-JWT.
        decoys: decoy digests added to every ``_sd`` array (hides how many claims exist).
        embed_issuer_jwk: put the issuer's public JWK in the JWT header (``jwk``); a verifier
            must then check that key against a registry (its thumbprint), never trust it as is.
        salts: salt source (tests only; the default draws 128 random bits per disclosure).
    """
    if hash_alg not in _HASHES:
        raise CredentialError(f"unsupported _sd_alg {hash_alg!r}")
    hash_fn = _HASHES[hash_alg]
    paths: dict[str, Path] = {}

    def walk(value: Any, path: Path) -> Any:
        if isinstance(value, SD):
            raise CredentialError(f"SD() wraps an object key or list item, not a value at {path}")
        if isinstance(value, Mapping):
            out: dict[str, Any] = {}
            digests: list[str] = []
            for key, item in value.items():
                name = key.value if isinstance(key, SD) else key
                if not isinstance(name, str) or name in ("_sd", "...", "_sd_alg"):
                    raise CredentialError(f"claim name {name!r} at {path} is not allowed")
                inner = walk(item, (*path, name))
                if isinstance(key, SD):
                    disc = _salted(name, inner, salts)
                    paths[disc.encoded] = (*path, name)
                    digests.append(disc.digest(hash_alg))
                else:
                    out[name] = inner
            if digests:
                digests += [b64url_encode(hash_fn(secrets.token_bytes(32)).digest()) for _ in range(decoys)]
                out["_sd"] = sorted(digests)
            return out
        if isinstance(value, list | tuple):
            items: list[Any] = []
            for index, item in enumerate(value):
                if isinstance(item, SD):
                    disc = _salted(None, walk(item.value, (*path, index)), salts)
                    paths[disc.encoded] = (*path, index)
                    items.append({"...": disc.digest(hash_alg)})
                else:
                    items.append(walk(item, (*path, index)))
            return items
        return value

    payload = walk(claims, ())
    payload["_sd_alg"] = hash_alg
    if holder_key is not None:
        payload["cnf"] = {"jwk": holder_key.jwk}
    header: dict[str, Any] = {"typ": typ}
    if kid is not None:
        header["kid"] = kid
    if embed_issuer_jwk:
        header["jwk"] = issuer_key.public.jwk
    jwt = sign_jwt(issuer_key, header, payload)
    return IssuedSdJwt(SdJwt(jwt, tuple(paths)), paths)


@dataclass(frozen=True)
class VerifiedSdJwt:
    """The outcome of :func:`verify`: the rebuilt claims and what they came from."""

    claims: dict[str, Any]
    header: dict[str, Any]
    payload: dict[str, Any]
    disclosed: dict[str, Path]
    kb_payload: dict[str, Any] | None = None

    @property
    def disclosed_paths(self) -> set[Path]:
        """The paths of every disclosed claim."""
        return set(self.disclosed.values())


def _rebuild(payload: dict[str, Any], disclosures: list[Disclosure], alg: str) -> tuple[Any, dict[str, Path]]:
    by_digest: dict[str, Disclosure] = {}
    for disc in disclosures:
        digest = disc.digest(alg)
        if digest in by_digest:
            raise CredentialError("the same disclosure appears twice in the SD-JWT")
        by_digest[digest] = disc
    seen: set[str] = set()
    used: dict[str, Path] = {}

    def claim(digest: Any) -> Disclosure | None:
        if not isinstance(digest, str):
            raise CredentialError("malformed SD-JWT payload: a digest is not a string")
        if digest in seen:
            raise CredentialError("a digest appears more than once in the SD-JWT payload")
        seen.add(digest)
        return by_digest.get(digest)

    def walk(value: Any, path: Path) -> Any:
        if isinstance(value, dict):
            out: dict[str, Any] = {}
            for key, item in value.items():
                if key not in ("_sd", "_sd_alg"):
                    out[key] = walk(item, (*path, key))
            sd = value.get("_sd", [])
            if not isinstance(sd, list):
                raise CredentialError("malformed SD-JWT payload: _sd is not an array")
            for digest in sd:
                disc = claim(digest)
                if disc is None:
                    continue  # a decoy or an undisclosed claim
                if disc.name is None:
                    raise CredentialError("an array-element disclosure is referenced from an _sd array")
                if disc.name in out:
                    raise CredentialError(f"disclosed claim {disc.name!r} already exists in its object")
                used[disc.encoded] = (*path, disc.name)
                out[disc.name] = walk(disc.value, (*path, disc.name))
            return out
        if isinstance(value, list):
            items: list[Any] = []
            for index, item in enumerate(value):
                if isinstance(item, dict) and "..." in item:
                    if len(item) != 1:
                        raise CredentialError("malformed SD-JWT payload: '...' object with other keys")
                    disc = claim(item["..."])
                    if disc is None:
                        continue  # undisclosed element: removed
                    if disc.name is not None:
                        raise CredentialError("an object-property disclosure is referenced from an array")
                    used[disc.encoded] = (*path, index)
                    items.append(walk(disc.value, (*path, index)))
                else:
                    items.append(walk(item, (*path, index)))
            return items
        return value

    claims = walk(payload, ())
    unused = [d for d in disclosures if d.encoded not in used]
    if unused:
        raise CredentialError(
            f"{len(unused)} disclosure(s) are not referenced by the signed payload (tampered?)"
        )
    return claims, used


def verify(
    presentation: str | SdJwt,
    issuer_key: PublicKey | Callable[[dict[str, Any], dict[str, Any]], PublicKey],
    *,
    expected_aud: str | None = None,
    expected_nonce: str | None = None,
    require_kb: bool = False,
    now: float | None = None,
    max_kb_age: float = KB_MAX_AGE,
    max_kb_skew: float = KB_MAX_SKEW,
    leeway: float = 60.0,
    expected_typ: str | None = None,
) -> VerifiedSdJwt:
    """Verify an SD-JWT (RFC 9901 section 7): issuer signature, digests, disclosures, KB-JWT.

    Args:
        issuer_key: the key, or a callback ``(header, unverified_payload) -> key``.
        expected_aud, expected_nonce: when either is given (or ``require_kb``), a KB-JWT signed by
            the ``cnf`` key must be present with exactly this audience and nonce.
        now: the time to check ``exp``/``nbf`` and the KB-JWT's ``iat`` against (defaults to
            the clock; pass the time the presentation was received when verifying it later).
        max_kb_age: a KB-JWT is accepted until ``iat + max_kb_age`` (default :data:`KB_MAX_AGE`).
        max_kb_skew: and from ``iat - max_kb_skew`` (default :data:`KB_MAX_SKEW`): clock skew.
        leeway: seconds of clock skew allowed on ``exp`` and ``nbf``.

    Raises:
        CredentialError: with the specific reason.
    """
    sd = presentation if isinstance(presentation, SdJwt) else SdJwt.parse(presentation)
    header, payload, signing_input, signature = parse_jwt(sd.jwt, "issuer-signed JWT")
    key = issuer_key(header, payload) if callable(issuer_key) else issuer_key
    if header.get("alg") != key.alg:
        raise CredentialError(f"issuer-signed JWT alg {header.get('alg')!r} is not the key's {key.alg}")
    if not key.verify(signature, signing_input):
        raise CredentialError("issuer-signed JWT signature is invalid (wrong key or tampered content)")
    if expected_typ is not None and header.get("typ") != expected_typ:
        raise CredentialError(f"SD-JWT typ {header.get('typ')!r} is not the expected {expected_typ!r}")
    clock = time.time() if now is None else now
    exp, nbf = payload.get("exp"), payload.get("nbf")
    if isinstance(exp, int | float) and clock > exp + leeway:
        raise CredentialError("the SD-JWT has expired; ask the issuer for a fresh one")
    if isinstance(nbf, int | float) and clock < nbf - leeway:
        raise CredentialError("the SD-JWT is not valid yet (nbf in the future)")
    alg = payload.get("_sd_alg", "sha-256")
    if alg not in _HASHES:
        raise CredentialError(f"unsupported _sd_alg {alg!r}")
    disclosures = [Disclosure.parse(d) for d in sd.disclosures]
    claims, used = _rebuild(payload, disclosures, alg)

    kb_payload: dict[str, Any] | None = None
    if require_kb or expected_aud is not None or expected_nonce is not None:
        if sd.kb_jwt is None:
            raise CredentialError("a key-binding JWT is required but the presentation has none")
        cnf = payload.get("cnf")
        if not isinstance(cnf, dict) or not isinstance(cnf.get("jwk"), dict):
            raise CredentialError("the SD-JWT binds no holder key (cnf.jwk); it cannot carry a KB-JWT")
        kb_header, kb_payload = verify_jwt(sd.kb_jwt, PublicKey.from_jwk(cnf["jwk"]), "KB-JWT")
        if kb_header.get("typ") != KB_TYP:
            raise CredentialError("KB-JWT typ is not 'kb+jwt'")
        if expected_aud is not None and kb_payload.get("aud") != expected_aud:
            raise CredentialError("KB-JWT audience does not match (presentation meant for someone else)")
        if expected_nonce is not None and kb_payload.get("nonce") != expected_nonce:
            raise CredentialError("KB-JWT nonce does not match (replayed presentation?)")
        iat = kb_payload.get("iat")
        if not isinstance(iat, int | float):
            raise CredentialError("KB-JWT has no numeric iat")
        if iat < clock - max_kb_age:
            raise CredentialError(
                f"KB-JWT was issued {clock - iat:.0f} s before it was checked, more than the "
                f"{max_kb_age:.0f} s allowed (stale or replayed); make a fresh presentation"
            )
        if iat > clock + max_kb_skew:
            raise CredentialError(
                f"KB-JWT iat is {iat - clock:.0f} s in the future, more than the {max_kb_skew:.0f} s "
                "of clock skew allowed; check the holder's clock"
            )
        want = b64url_encode(_HASHES[alg](sd.without_kb.encode("ascii")).digest())
        if kb_payload.get("sd_hash") != want:
            raise CredentialError("KB-JWT sd_hash does not match the presented disclosures")
    elif sd.kb_jwt is not None:
        parse_jwt(sd.kb_jwt, "KB-JWT")  # still reject garbage in the KB position
    return VerifiedSdJwt(claims, header, payload, used, kb_payload)


def holder_paths(sd_jwt: SdJwt | str) -> dict[str, Path]:
    """Each disclosure's path in the payload, worked out without verifying the signature."""
    sd = sd_jwt if isinstance(sd_jwt, SdJwt) else SdJwt.parse(sd_jwt)
    _, payload, _, _ = parse_jwt(sd.jwt, "issuer-signed JWT")
    alg = payload.get("_sd_alg", "sha-256")
    if alg not in _HASHES:
        raise CredentialError(f"unsupported _sd_alg {alg!r}")
    return _rebuild(payload, [Disclosure.parse(d) for d in sd.disclosures], alg)[1]


def _normalize(path: str | Iterable[str | int]) -> Path:
    if isinstance(path, str):
        return tuple(int(p) if p.isdigit() else p for p in path.split(".") if p)
    return tuple(path)


def present(
    issued: SdJwt | str,
    disclose: Iterable[str | Iterable[str | int]],
    *,
    holder_key: SigningKey | None = None,
    aud: str | None = None,
    nonce: str | None = None,
    iat: int | None = None,
) -> SdJwt:
    """Build a presentation revealing exactly the claims at ``disclose`` (and their parents).

    Paths are tuples or dotted strings (``"address.region"``, ``"nationalities.0"``). With
    ``holder_key`` a KB-JWT binds the presentation to ``aud`` and ``nonce``.
    """
    sd = issued if isinstance(issued, SdJwt) else SdJwt.parse(issued)
    paths = holder_paths(sd)
    wanted = {_normalize(p) for p in disclose}
    known = set(paths.values())
    missing = [p for p in wanted if p not in known]
    if missing:
        raise CredentialError(f"nothing selectively disclosable at {sorted(map(str, missing))}")
    keep = tuple(d for d, p in paths.items() if any(w[: len(p)] == p for w in wanted))
    chosen = SdJwt(sd.jwt, keep)
    if holder_key is None:
        if aud is not None or nonce is not None:
            raise CredentialError("aud/nonce need a holder key to sign the KB-JWT")
        return chosen
    if aud is None or nonce is None:
        raise CredentialError("a KB-JWT needs both aud and nonce")
    _, payload, _, _ = parse_jwt(sd.jwt, "issuer-signed JWT")
    alg = payload.get("_sd_alg", "sha-256")
    kb = {
        "iat": int(time.time()) if iat is None else iat,
        "aud": aud,
        "nonce": nonce,
        "sd_hash": b64url_encode(_HASHES[alg](chosen.without_kb.encode("ascii")).digest()),
    }
    return SdJwt(sd.jwt, keep, sign_jwt(holder_key, {"typ": KB_TYP}, kb))
