"""Compact JWS with ES256 (P-256) and ES256K (secp256k1) for SD-JWT, plus EC JWKs and
RFC 7638 thumbprints.

Hand-written over ``cryptography``'s ECDSA because SD-JWT needs byte-exact control of the signed
and hashed strings (``sd_hash`` covers the exact presentation), and a general JOSE library
(jwcrypto, as the reference ``sd-jwt`` package uses) adds parsing and key-handling overhead on
the verification hot path. The signature algorithms themselves are ``cryptography``'s.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature

from aiweb3.errors import CredentialError

__all__ = ["PublicKey", "SigningKey", "b64url_decode", "b64url_encode", "parse_jwt", "sign_jwt", "verify_jwt"]

_CURVES: dict[str, tuple[str, type[ec.EllipticCurve], int]] = {
    "ES256": ("P-256", ec.SECP256R1, 32),
    "ES256K": ("secp256k1", ec.SECP256K1, 32),
}
_ALG_OF_CRV = {crv: alg for alg, (crv, _, _) in _CURVES.items()}
_B64URL = re.compile(r"[A-Za-z0-9_-]*")
_TO_STD = str.maketrans("-_", "+/")


def b64url_encode(data: bytes) -> str:
    """Base64url without padding (RFC 7515 section 2)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """Strict base64url decoding (no padding, URL-safe alphabet only)."""
    if not isinstance(text, str) or len(text) % 4 == 1 or not _B64URL.fullmatch(text):
        raise CredentialError("malformed base64url text; expected unpadded base64url")
    try:
        return binascii.a2b_base64((text.translate(_TO_STD) + "=" * (-len(text) % 4)).encode("ascii"))
    except binascii.Error as exc:
        raise CredentialError("malformed base64url text; expected unpadded base64url") from exc


def json_b64(part: str, what: str) -> Any:
    """Decode base64url JSON; CredentialError names ``what`` when malformed."""
    try:
        return json.loads(b64url_decode(part).decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise CredentialError(f"malformed {what}: not base64url-encoded JSON") from exc


def compact_json(value: Any) -> bytes:
    """JSON without spaces, UTF-8 (what we sign)."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


@dataclass(frozen=True)
class PublicKey:
    """An EC public key usable for ES256 or ES256K verification, with its JWK form."""

    alg: str
    key: ec.EllipticCurvePublicKey

    @classmethod
    def from_jwk(cls, jwk: Mapping[str, Any]) -> PublicKey:
        """Parse a public EC JWK (``kty`` EC, ``crv`` P-256 or secp256k1)."""
        try:
            if jwk["kty"] != "EC":
                raise CredentialError(f"unsupported JWK kty {jwk['kty']!r}; use an EC key")
            alg = _ALG_OF_CRV[jwk["crv"]]
            _, curve, size = _CURVES[alg]
            x, y = b64url_decode(jwk["x"]), b64url_decode(jwk["y"])
            if len(x) != size or len(y) != size:
                raise CredentialError("JWK coordinates have the wrong length")
            point = b"\x04" + x + y
            key = ec.EllipticCurvePublicKey.from_encoded_point(curve(), point)
        except KeyError as exc:
            raise CredentialError(f"JWK is missing or has an unsupported member: {exc}") from None
        except ValueError as exc:
            raise CredentialError("JWK is not a point on its curve") from exc
        return cls(alg, key)

    @property
    def jwk(self) -> dict[str, str]:
        """The public JWK (kty, crv, x, y)."""
        crv, _, size = _CURVES[self.alg]
        nums = self.key.public_numbers()
        return {
            "kty": "EC",
            "crv": crv,
            "x": b64url_encode(nums.x.to_bytes(size, "big")),
            "y": b64url_encode(nums.y.to_bytes(size, "big")),
        }

    def thumbprint(self) -> str:
        """RFC 7638 JWK thumbprint (SHA-256, base64url) over the required members in order."""
        jwk = self.jwk
        required = {k: jwk[k] for k in ("crv", "kty", "x", "y")}
        return b64url_encode(hashlib.sha256(compact_json(required)).digest())

    def thumbprint_bytes(self) -> bytes:
        """The raw 32-byte RFC 7638 thumbprint (the issuer's on-chain identifier)."""
        return b64url_decode(self.thumbprint())

    def verify(self, signature: bytes, signing_input: bytes) -> bool:
        """True when ``signature`` (JWS raw r||s) signs ``signing_input`` under this key."""
        size = _CURVES[self.alg][2]
        if len(signature) != 2 * size:
            return False
        r = int.from_bytes(signature[:size], "big")
        s = int.from_bytes(signature[size:], "big")
        try:
            self.key.verify(encode_dss_signature(r, s), signing_input, ec.ECDSA(hashes.SHA256()))
        except InvalidSignature:
            return False
        return True


@dataclass(frozen=True)
class SigningKey:
    """An EC private key that signs JWS with ES256 (P-256) or ES256K (secp256k1)."""

    alg: str
    key: ec.EllipticCurvePrivateKey = field(repr=False)

    @classmethod
    def generate(cls, alg: str = "ES256") -> SigningKey:
        """A fresh random key for ``alg`` (ES256 or ES256K)."""
        if alg not in _CURVES:
            raise CredentialError(f"unsupported algorithm {alg!r}; use ES256 or ES256K")
        return cls(alg, ec.generate_private_key(_CURVES[alg][1]()))

    @classmethod
    def from_jwk(cls, jwk: Mapping[str, Any]) -> SigningKey:
        """Parse a private EC JWK (with ``d``)."""
        public = PublicKey.from_jwk(jwk)
        if "d" not in jwk:
            raise CredentialError("JWK has no private part 'd'; pass a private key")
        d = int.from_bytes(b64url_decode(jwk["d"]), "big")
        try:
            key = ec.derive_private_key(d, _CURVES[public.alg][1]())
        except ValueError as exc:
            raise CredentialError("JWK private part is out of range") from exc
        if key.public_key().public_numbers() != public.key.public_numbers():
            raise CredentialError("JWK private part does not match its public point")
        return cls(public.alg, key)

    @property
    def public(self) -> PublicKey:
        """The matching public key."""
        return PublicKey(self.alg, self.key.public_key())

    def private_jwk(self) -> dict[str, str]:
        """The private JWK (secret: never log it)."""
        size = _CURVES[self.alg][2]
        d = self.key.private_numbers().private_value.to_bytes(size, "big")
        return {**self.public.jwk, "d": b64url_encode(d)}

    def sign(self, signing_input: bytes) -> bytes:
        """JWS ECDSA signature: raw big-endian r||s (RFC 7518 section 3.4)."""
        size = _CURVES[self.alg][2]
        r, s = decode_dss_signature(self.key.sign(signing_input, ec.ECDSA(hashes.SHA256())))
        return r.to_bytes(size, "big") + s.to_bytes(size, "big")


def sign_jwt(key: SigningKey, header: Mapping[str, Any], payload: Mapping[str, Any]) -> str:
    """A compact JWS over JSON ``payload`` with ``alg`` set from the key."""
    head = b64url_encode(compact_json({**header, "alg": key.alg}))
    body = b64url_encode(compact_json(payload))
    signing_input = f"{head}.{body}".encode("ascii")
    return f"{head}.{body}.{b64url_encode(key.sign(signing_input))}"


def parse_jwt(jwt: str, what: str) -> tuple[dict[str, Any], dict[str, Any], bytes, bytes]:
    """Split a compact JWS into (header, payload, signing input, signature) without verifying."""
    parts = jwt.split(".")
    if len(parts) != 3 or not all(parts):
        raise CredentialError(f"malformed {what}: expected three dot-separated base64url parts")
    header, payload = json_b64(parts[0], f"{what} header"), json_b64(parts[1], f"{what} payload")
    if not isinstance(header, dict) or not isinstance(payload, dict):
        raise CredentialError(f"malformed {what}: header and payload must be JSON objects")
    if "crit" in header:  # RFC 7515 section 4.1.11: we understand no critical extension
        raise CredentialError(
            f"{what} has critical header extensions {header['crit']!r} this verifier does not support"
        )
    return header, payload, f"{parts[0]}.{parts[1]}".encode("ascii"), b64url_decode(parts[2])


def verify_jwt(jwt: str, key: PublicKey, what: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Verify a compact JWS under ``key``; returns (header, payload)."""
    header, payload, signing_input, sig = parse_jwt(jwt, what)
    if header.get("alg") != key.alg:
        raise CredentialError(f"{what} alg {header.get('alg')!r} does not match the key's {key.alg}")
    if not key.verify(sig, signing_input):
        raise CredentialError(f"{what} signature is invalid (wrong key or tampered content)")
    return header, payload
