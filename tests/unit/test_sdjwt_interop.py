"""Interop both ways with the reference ``sd-jwt`` package (jwcrypto), plus our own edge cases."""

from __future__ import annotations

import json
from typing import Any

import pytest
from jwcrypto.jwk import JWK
from sd_jwt.common import SDObj
from sd_jwt.holder import SDJWTHolder
from sd_jwt.issuer import SDJWTIssuer
from sd_jwt.verifier import SDJWTVerifier

from aiweb3.crypto.sdjwt import SD, Disclosure, PublicKey, SdJwt, SigningKey, issue, present, verify
from aiweb3.errors import CredentialError

CLAIMS: dict[Any, Any] = {
    "iss": "https://hospital.example",
    SD("name"): "Ada Lovelace",
    SD("birth_decade"): "1810s",
    "tests": {SD("glucose"): 5.4, SD("hba1c"): 6.1, "unit": "mmol/L"},
    "diagnoses": [SD("E11"), SD("I10"), "Z00"],
    SD("address"): {SD("street"): "12 St James's Sq", "country": "UK"},
}
AUD, NONCE = "did:example:pool", "n-0001"


def to_ref(claims: Any) -> Any:
    """The same claims in the reference package's marking (SDObj)."""
    if isinstance(claims, dict):
        return {(SDObj(k.value) if isinstance(k, SD) else k): to_ref(v) for k, v in claims.items()}
    if isinstance(claims, list):
        return [SDObj(to_ref(i.value)) if isinstance(i, SD) else to_ref(i) for i in claims]
    return claims


def jwk_of(key: SigningKey, private: bool) -> JWK:
    return JWK.from_json(json.dumps(key.private_jwk() if private else key.public.jwk))


@pytest.mark.parametrize("alg", ["ES256", "ES256K"])
def test_ours_issued_reference_presents_ours_verifies(alg: str) -> None:
    issuer, holder = SigningKey.generate(alg), SigningKey.generate("ES256")
    issued = issue(CLAIMS, issuer, holder_key=holder.public, decoys=2)
    ref_holder = SDJWTHolder(issued.serialize())
    ref_holder.create_presentation(
        {"birth_decade": True, "tests": {"glucose": True}, "diagnoses": [None, True]},
        nonce=NONCE,
        aud=AUD,
        holder_key=jwk_of(holder, True),
        sign_alg="ES256",
    )
    out = verify(ref_holder.sd_jwt_presentation, issuer.public, expected_aud=AUD, expected_nonce=NONCE)
    assert out.claims["birth_decade"] == "1810s"
    assert out.claims["tests"] == {"glucose": 5.4, "unit": "mmol/L"}
    assert out.claims["diagnoses"] == ["I10", "Z00"]
    assert "name" not in out.claims and "address" not in out.claims


@pytest.mark.parametrize("alg", ["ES256", "ES256K"])
def test_reference_issued_ours_presents_reference_verifies(alg: str) -> None:
    issuer, holder = SigningKey.generate(alg), SigningKey.generate("ES256")
    ref = SDJWTIssuer(
        to_ref(CLAIMS),
        jwk_of(issuer, True),
        holder_key=jwk_of(holder, False),
        sign_alg=alg,
        add_decoy_claims=True,
    )
    ours = present(
        ref.sd_jwt_issuance, ["address.street", "diagnoses.0"], holder_key=holder, aud=AUD, nonce=NONCE
    )
    verifier = SDJWTVerifier(
        ours.serialize(), lambda iss, header: jwk_of(issuer, False), expected_aud=AUD, expected_nonce=NONCE
    )
    claims = verifier.get_verified_payload()
    assert claims["address"] == {"street": "12 St James's Sq", "country": "UK"}
    assert claims["diagnoses"] == ["E11", "Z00"]
    assert "name" not in claims
    # and our verifier agrees with the reference's
    assert verify(ours.serialize(), issuer.public, expected_aud=AUD, expected_nonce=NONCE).claims == claims


def test_reference_verifies_our_full_flow() -> None:
    issuer, holder = SigningKey.generate(), SigningKey.generate()
    issued = issue(CLAIMS, issuer, holder_key=holder.public)
    pres = present(issued.sd_jwt, ["name", "tests.hba1c"], holder_key=holder, aud=AUD, nonce=NONCE)
    claims = SDJWTVerifier(
        pres.serialize(), lambda i, h: jwk_of(issuer, False), expected_aud=AUD, expected_nonce=NONCE
    ).get_verified_payload()
    assert claims["name"] == "Ada Lovelace" and claims["tests"]["hba1c"] == 6.1


def _fixture() -> tuple[SigningKey, SigningKey, SdJwt]:
    issuer, holder = SigningKey.generate(), SigningKey.generate()
    issued = issue(CLAIMS, issuer, holder_key=holder.public, decoys=3)
    return (
        issuer,
        holder,
        present(issued.sd_jwt, ["birth_decade", "tests.glucose"], holder_key=holder, aud=AUD, nonce=NONCE),
    )


def test_decoys_hide_the_claim_count() -> None:
    issuer = SigningKey.generate()
    issued = issue(CLAIMS, issuer, decoys=3)
    out = verify(issued.serialize(), issuer.public)
    assert len(out.payload["_sd"]) == 3 + 3  # name, birth_decade, address + 3 decoys
    assert out.claims["address"]["street"] == "12 St James's Sq"


def test_tampered_disclosure_rejected() -> None:
    issuer, _, pres = _fixture()
    d = Disclosure.parse(pres.disclosures[0])
    forged = Disclosure.make(d.name, "2000s", salt=d.salt).encoded
    bad = SdJwt(pres.jwt, (forged, *pres.disclosures[1:]), pres.kb_jwt)
    with pytest.raises(CredentialError):
        verify(bad.serialize(), issuer.public, expected_aud=AUD, expected_nonce=NONCE)


def test_added_disclosure_breaks_key_binding() -> None:
    issuer, holder, pres = _fixture()
    full = issue(CLAIMS, issuer, holder_key=holder.public)
    other = present(full.sd_jwt, ["name"])
    # adding a disclosure from another credential: unreferenced
    with pytest.raises(CredentialError, match="not referenced"):
        verify(
            SdJwt(pres.jwt, (*pres.disclosures, *other.disclosures), pres.kb_jwt).serialize(), issuer.public
        )
    # dropping one after signing the KB-JWT: sd_hash mismatch
    with pytest.raises(CredentialError, match="sd_hash"):
        verify(
            SdJwt(pres.jwt, pres.disclosures[:1], pres.kb_jwt).serialize(),
            issuer.public,
            expected_aud=AUD,
            expected_nonce=NONCE,
        )


def test_wrong_issuer_key_and_wrong_holder_key() -> None:
    issuer, holder, pres = _fixture()
    with pytest.raises(CredentialError, match="signature"):
        verify(pres.serialize(), SigningKey.generate().public, expected_aud=AUD, expected_nonce=NONCE)
    with pytest.raises(CredentialError, match="alg"):
        verify(pres.serialize(), SigningKey.generate("ES256K").public)
    issued = issue(CLAIMS, issuer, holder_key=holder.public)
    stolen = present(issued.sd_jwt, ["birth_decade"], holder_key=SigningKey.generate(), aud=AUD, nonce=NONCE)
    with pytest.raises(CredentialError, match="KB-JWT signature"):
        verify(stolen.serialize(), issuer.public, expected_aud=AUD, expected_nonce=NONCE)


def test_replayed_key_binding_rejected() -> None:
    issuer, _, pres = _fixture()
    with pytest.raises(CredentialError, match="nonce"):
        verify(pres.serialize(), issuer.public, expected_aud=AUD, expected_nonce="n-0002")
    with pytest.raises(CredentialError, match="audience"):
        verify(pres.serialize(), issuer.public, expected_aud="did:example:other", expected_nonce=NONCE)
    with pytest.raises(CredentialError, match="stale or replayed"):
        verify(pres.serialize(), issuer.public, expected_aud=AUD, expected_nonce=NONCE, now=4_000_000_000)
    with pytest.raises(CredentialError, match="key-binding JWT is required"):
        verify(SdJwt(pres.jwt, pres.disclosures).serialize(), issuer.public, require_kb=True)


def test_structural_attacks() -> None:
    issuer = SigningKey.generate()
    dup = issue({"a": 1, SD("a"): 2}, issuer)
    with pytest.raises(CredentialError, match="already exists"):
        verify(dup.serialize(), issuer.public)
    with pytest.raises(CredentialError):
        issue({SD("_sd"): 1}, issuer)
    pk = PublicKey.from_jwk(issuer.public.jwk)
    assert pk.thumbprint() == issuer.public.thumbprint() and len(pk.thumbprint_bytes()) == 32


def test_thumbprint_matches_jwcrypto_rfc7638() -> None:
    for alg in ("ES256", "ES256K"):
        key = SigningKey.generate(alg)
        assert key.public.thumbprint() == jwk_of(key, False).thumbprint()


def test_critical_header_extensions_rejected() -> None:
    from aiweb3.crypto.sdjwt import sign_jwt

    issuer = SigningKey.generate()
    jwt = sign_jwt(issuer, {"typ": "x", "crit": ["exp"]}, {"_sd_alg": "sha-256"})
    with pytest.raises(CredentialError, match="critical"):
        verify(jwt + "~", issuer.public)
