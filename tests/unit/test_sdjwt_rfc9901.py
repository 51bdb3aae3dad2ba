"""RFC 9901 examples: the RFC's own disclosures, digests, issuer-signed JWT and keys.

Test vectors (facts) from RFC 9901 "Selective Disclosure for JSON Web Tokens":
section 4.2.1/4.2.3 (family_name disclosure and its digest), 4.2.2 (array element "FR"),
section 5.1 (the example SD-JWT: issuer-signed JWT and its ten disclosures), and
Appendix A.5 (the example issuer and holder keys).
"""

from __future__ import annotations

import pytest

from aiweb3.crypto.sdjwt import (
    KB_MAX_AGE,
    KB_MAX_SKEW,
    Disclosure,
    PublicKey,
    SdJwt,
    SigningKey,
    present,
    verify,
)
from aiweb3.errors import CredentialError

ISSUER_JWK = {
    "kty": "EC",
    "crv": "P-256",
    "x": "b28d4MwZMjw8-00CG4xfnn9SLMVMM19SlqZpVb_uNtQ",
    "y": "Xv5zWwuoaTgdS6hV43yI6gBwTnjukmFQQnJ_kCxzqk8",
    "d": "Ur2bNKuBPOrAaxsRnbSH6hIhmNTxSGXshDSUD1a1y7g",
}
HOLDER_JWK = {
    "kty": "EC",
    "crv": "P-256",
    "x": "TCAER19Zvu3OHF4j4W4vfSVoHIP1ILilDls7vCeGemc",
    "y": "ZxjiWWbZMQGHVWKVQ4hbSIirsVfuecCE6t4jT9F2HZQ",
    "d": "5K5SCos8zf9zRemGGUl6yfok-_NiiryNZsvANWMhF-I",
}
JWT = (
    "eyJhbGciOiAiRVMyNTYiLCAidHlwIjogImV4YW1wbGUrc2Qtand0In0."
    "eyJfc2QiOiBbIkNyUWU3UzVrcUJBSHQtbk1ZWGdjNmJkdDJTSDVhVFkxc1VfTS1QZ2tq"
    "UEkiLCAiSnpZakg0c3ZsaUgwUjNQeUVNZmVadTZKdDY5dTVxZWhabzdGN0VQWWxTRSIs"
    "ICJQb3JGYnBLdVZ1Nnh5bUphZ3ZrRnNGWEFiUm9jMkpHbEFVQTJCQTRvN2NJIiwgIlRH"
    "ZjRvTGJnd2Q1SlFhSHlLVlFaVTlVZEdFMHc1cnREc3JaemZVYW9tTG8iLCAiWFFfM2tQ"
    "S3QxWHlYN0tBTmtxVlI2eVoyVmE1TnJQSXZQWWJ5TXZSS0JNTSIsICJYekZyendzY002"
    "R242Q0pEYzZ2Vks4QmtNbmZHOHZPU0tmcFBJWmRBZmRFIiwgImdiT3NJNEVkcTJ4Mkt3"
    "LXc1d1BFemFrb2I5aFYxY1JEMEFUTjNvUUw5Sk0iLCAianN1OXlWdWx3UVFsaEZsTV8z"
    "Smx6TWFTRnpnbGhRRzBEcGZheVF3TFVLNCJdLCAiaXNzIjogImh0dHBzOi8vaXNzdWVy"
    "LmV4YW1wbGUuY29tIiwgImlhdCI6IDE2ODMwMDAwMDAsICJleHAiOiAxODgzMDAwMDAw"
    "LCAic3ViIjogInVzZXJfNDIiLCAibmF0aW9uYWxpdGllcyI6IFt7Ii4uLiI6ICJwRm5k"
    "amtaX1ZDem15VGE2VWpsWm8zZGgta284YUlLUWM5RGxHemhhVllvIn0sIHsiLi4uIjog"
    "IjdDZjZKa1B1ZHJ5M2xjYndIZ2VaOGtoQXYxVTFPU2xlclAwVmtCSnJXWjAifV0sICJf"
    "c2RfYWxnIjogInNoYS0yNTYiLCAiY25mIjogeyJqd2siOiB7Imt0eSI6ICJFQyIsICJj"
    "cnYiOiAiUC0yNTYiLCAieCI6ICJUQ0FFUjE5WnZ1M09IRjRqNFc0dmZTVm9ISVAxSUxp"
    "bERsczd2Q2VHZW1jIiwgInkiOiAiWnhqaVdXYlpNUUdIVldLVlE0aGJTSWlyc1ZmdWVj"
    "Q0U2dDRqVDlGMkhaUSJ9fX0."
    "MczwjBFGtzf-6WMT-hIvYbkb11NrV1WMO-jTijpMPNbswNzZ87wY2uHz-CXo6R04b7jYrpj9mNRAvVssXou1iw"
)
D = {
    "given_name": "WyIyR0xDNDJzS1F2ZUNmR2ZyeU5STjl3IiwgImdpdmVuX25hbWUiLCAiSm9obiJd",
    "family_name": "WyJlbHVWNU9nM2dTTklJOEVZbnN4QV9BIiwgImZhbWlseV9uYW1lIiwgIkRvZSJd",
    "email": "WyI2SWo3dE0tYTVpVlBHYm9TNXRtdlZBIiwgImVtYWlsIiwgImpvaG5kb2VAZXhhbXBsZS5jb20iXQ",
    "phone_number": "WyJlSThaV205UW5LUHBOUGVOZW5IZGhRIiwgInBob25lX251bWJlciIsICIrMS0yMDItNTU1LTAxMDEiXQ",
    "phone_number_verified": "WyJRZ19PNjR6cUF4ZTQxMmExMDhpcm9BIiwgInBob25lX251bWJlcl92ZXJpZmllZCIsIHRydWVd",
    "address": (
        "WyJBSngtMDk1VlBycFR0TjRRTU9xUk9BIiwgImFkZHJlc3MiLCB7InN0cmVldF9hZGRyZXNzIjogIjEyMyBNYWluIFN0Iiwg"
        "ImxvY2FsaXR5IjogIkFueXRvd24iLCAicmVnaW9uIjogIkFueXN0YXRlIiwgImNvdW50cnkiOiAiVVMifV0"
    ),
    "birthdate": "WyJQYzMzSk0yTGNoY1VfbEhnZ3ZfdWZRIiwgImJpcnRoZGF0ZSIsICIxOTQwLTAxLTAxIl0",
    "updated_at": "WyJHMDJOU3JRZmpGWFE3SW8wOXN5YWpBIiwgInVwZGF0ZWRfYXQiLCAxNTcwMDAwMDAwXQ",
    "nat_us": "WyJsa2x4RjVqTVlsR1RQVW92TU5JdkNBIiwgIlVTIl0",
    "nat_de": "WyJuUHVvUW5rUkZxM0JJZUFtN0FuWEZBIiwgIkRFIl0",
}
NOW = 1_700_000_000  # between the example's iat (1683000000) and exp (1883000000)


def issuer() -> PublicKey:
    return PublicKey.from_jwk(ISSUER_JWK)


def test_section_4_2_disclosure_encoding_and_digests() -> None:
    # 4.2.1 / 4.2.3: the RFC writes the umlaut as raw UTF-8.
    d = Disclosure.make("family_name", "Möbius", salt="_26bc4LT-ac6q2KI6cBW5es")
    assert d.encoded == "WyJfMjZiYzRMVC1hYzZxMktJNmNCVzVlcyIsICJmYW1pbHlfbmFtZSIsICJNw7ZiaXVzIl0"
    assert d.digest() == "X9yH0Ajrdm1Oij4tWso9UzzKJvPoDxwmuEcO3XAdRC0"
    # 4.2.2: an array element.
    fr = Disclosure.make(None, "FR", salt="lklxF5jMYlGTPUovMNIvCA")
    assert fr.encoded == "WyJsa2x4RjVqTVlsR1RQVW92TU5JdkNBIiwgIkZSIl0"
    assert fr.digest() == "w0I8EKcdCtUPkGCNUrfwVp2xEgNjtoIDlOxc9-PlOhs"
    parsed = Disclosure.parse(D["given_name"])
    assert (parsed.salt, parsed.name, parsed.value) == ("2GLC42sKQveCfGfryNRN9w", "given_name", "John")
    assert parsed.digest() == "jsu9yVulwQQlhFlM_3JlzMaSFzglhQG0DpfayQwLUK4"


def test_appendix_a5_keys_parse_and_match() -> None:
    assert SigningKey.from_jwk(ISSUER_JWK).public.jwk == {k: ISSUER_JWK[k] for k in ("kty", "crv", "x", "y")}
    assert SigningKey.from_jwk(HOLDER_JWK).alg == "ES256"


def test_section_5_1_all_disclosures() -> None:
    text = "~".join([JWT, *D.values()]) + "~"
    out = verify(text, issuer(), now=NOW)
    assert out.claims["given_name"] == "John"
    assert out.claims["address"]["locality"] == "Anytown"
    assert out.claims["nationalities"] == ["US", "DE"]
    assert out.claims["phone_number_verified"] is True
    assert out.claims["sub"] == "user_42"
    assert "_sd" not in out.claims and "_sd_alg" not in out.claims
    assert out.disclosed[D["nat_de"]] == ("nationalities", 1)


def test_section_5_2_selective_presentation() -> None:
    text = "~".join([JWT, D["family_name"], D["address"], D["given_name"], D["nat_us"]]) + "~"
    out = verify(text, issuer(), now=NOW)
    assert out.claims["nationalities"] == ["US"]
    for hidden in ("email", "phone_number", "birthdate", "updated_at"):
        assert hidden not in out.claims


def test_holder_presents_rfc_example_with_key_binding() -> None:
    full = "~".join([JWT, *D.values()]) + "~"
    holder = SigningKey.from_jwk(HOLDER_JWK)
    pres = present(
        full,
        ["given_name", "nationalities.1"],
        holder_key=holder,
        aud="https://verifier.example.org",
        nonce="1234567890",
        iat=NOW,
    )
    assert set(pres.disclosures) == {D["given_name"], D["nat_de"]}
    out = verify(
        pres.serialize(),
        issuer(),
        expected_aud="https://verifier.example.org",
        expected_nonce="1234567890",
        now=NOW,
    )
    assert out.claims["nationalities"] == ["DE"]
    assert out.kb_payload is not None and out.kb_payload["nonce"] == "1234567890"


def test_rfc_example_rejects_tampering() -> None:
    with pytest.raises(CredentialError, match="signature"):
        verify(JWT.replace("MczwjBFGtzf", "XczwjBFGtzf") + "~", issuer(), now=NOW)
    unreferenced = Disclosure.make("foo", "bar", salt="dummysalt").encoded
    with pytest.raises(CredentialError, match="not referenced"):
        verify(f"{JWT}~{D['given_name']}~{unreferenced}~", issuer(), now=NOW)
    with pytest.raises(CredentialError, match="twice"):
        verify(f"{JWT}~{D['given_name']}~{D['given_name']}~", issuer(), now=NOW)
    with pytest.raises(CredentialError, match="signature"):
        verify(f"{JWT}~", SigningKey.generate().public, now=NOW)
    with pytest.raises(CredentialError, match="expired"):
        verify(f"{JWT}~", issuer(), now=1_883_000_000 + 3600)
    # A disclosure for "given_name" with another value (the salt kept) has another digest.
    forged = Disclosure.make("given_name", "Eve", salt="2GLC42sKQveCfGfryNRN9w").encoded
    with pytest.raises(CredentialError, match="not referenced"):
        verify(f"{JWT}~{forged}~", issuer(), now=NOW)
    # The KB-JWT is required but absent.
    with pytest.raises(CredentialError, match="key-binding JWT is required"):
        verify(f"{JWT}~", issuer(), expected_aud="x", expected_nonce="y", now=NOW)


@pytest.mark.parametrize(
    "text",
    ["", "no-tilde", "~", "a.b.c~~", "a.b~", "eyJ9.eyJ9.AA~", f"{JWT}~%%%~", f"{JWT}~WyJhIl0~"],
)
def test_malformed_strings_are_rejected(text: str) -> None:
    with pytest.raises(CredentialError):
        verify(text, issuer(), now=NOW)


def test_parse_roundtrip() -> None:
    text = f"{JWT}~{D['email']}~"
    assert SdJwt.parse(text).serialize() == text


# The same example payload signed for the 2024 drafts (draft-ietf-oauth-selective-disclosure-jwt,
# section 5.2 "SD-JWT+KB" example: holder key of Appendix A.5, aud https://verifier.example.org,
# nonce 1234567890, iat 1725374413). ECDSA signatures are randomized, so only the signature differs.
DRAFT_SIGNATURE = "ZfSxIFLHf7f84WIMqt7Fzme8-586WutjFnXH4TO5XuWG_peQ4hPsqDpiMBClkh2aUJdl83bwyyOriqvdFra-bg"
DRAFT_KB_JWT = (
    "eyJhbGciOiAiRVMyNTYiLCAidHlwIjogImtiK2p3dCJ9.eyJub25jZSI6ICIxMjM0NTY"
    "3ODkwIiwgImF1ZCI6ICJodHRwczovL3ZlcmlmaWVyLmV4YW1wbGUub3JnIiwgImlhdCI"
    "6IDE3MjUzNzQ0MTMsICJzZF9oYXNoIjogIkF5T0p2TFlQVk1sS2REbGZacnpVeTFrX2l"
    "tQ0tfTFZKMzI2Yl94QmtFM00ifQ.B2o5kubh-Dzcd-2v_mWxUMPNM5WSAJqMQTDsGQUX"
    "kZXzsN1U5Ou5mr-7iJsCGcx6_uU39u-2HKB0xLvYd9BMcQ"
)


def test_section_5_2_presentation_with_key_binding() -> None:
    jwt = JWT.rsplit(".", 1)[0] + "." + DRAFT_SIGNATURE
    disclosures = [D["family_name"], D["address"], D["given_name"], D["nat_us"]]
    text = "~".join([jwt, *disclosures, DRAFT_KB_JWT])
    aud, nonce = "https://verifier.example.org", "1234567890"
    out = verify(text, issuer(), expected_aud=aud, expected_nonce=nonce, now=1_725_374_413)
    assert out.kb_payload is not None and out.kb_payload["iat"] == 1_725_374_413
    assert out.claims["family_name"] == "Doe" and out.claims["nationalities"] == ["US"]
    with pytest.raises(CredentialError, match="sd_hash"):  # drop one disclosure: the KB no longer covers it
        verify(
            "~".join([jwt, *disclosures[:3], DRAFT_KB_JWT]),
            issuer(),
            expected_aud=aud,
            expected_nonce=nonce,
            now=1_725_374_413,
        )
    with pytest.raises(CredentialError, match="nonce"):
        verify(text, issuer(), expected_aud=aud, expected_nonce="1234567891", now=1_725_374_413)
    with pytest.raises(CredentialError, match="stale or replayed"):  # a stale KB-JWT replayed much later
        verify(text, issuer(), expected_aud=aud, expected_nonce=nonce, now=1_725_374_413 + 86_400)
    # without now= the verifier's clock is used: this 2024 KB-JWT is long stale today
    with pytest.raises(CredentialError, match="stale or replayed"):
        verify(text, issuer(), expected_aud=aud, expected_nonce=nonce)
    # the window's edges: KB_MAX_AGE after iat still passes, one second more does not;
    # KB_MAX_SKEW before iat (the holder's clock ahead) passes, one second more does not
    iat = 1_725_374_413
    verify(text, issuer(), expected_aud=aud, expected_nonce=nonce, now=iat + KB_MAX_AGE)
    with pytest.raises(CredentialError, match="stale or replayed"):
        verify(text, issuer(), expected_aud=aud, expected_nonce=nonce, now=iat + KB_MAX_AGE + 1)
    verify(text, issuer(), expected_aud=aud, expected_nonce=nonce, now=iat - KB_MAX_SKEW)
    with pytest.raises(CredentialError, match="in the future"):
        verify(text, issuer(), expected_aud=aud, expected_nonce=nonce, now=iat - KB_MAX_SKEW - 1)
