"""Property: for any claim tree with any selectively disclosable parts (and decoys), presenting
every disclosure rebuilds the original claims, in our verifier and in the reference one."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jwcrypto.jwk import JWK
from sd_jwt.verifier import SDJWTVerifier

from aiweb3.crypto.sdjwt import SD, SigningKey, issue, verify

KEY = SigningKey.generate("ES256")
REF_KEY = JWK.from_json(json.dumps(KEY.public.jwk))
names = st.text("abcdefgh_", min_size=1, max_size=6)
scalars = st.one_of(st.none(), st.booleans(), st.integers(-(10**6), 10**6), st.text(max_size=8))


def trees(leaves: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.recursive(
        leaves,
        lambda inner: st.one_of(
            st.lists(st.tuples(st.booleans(), inner), max_size=4),
            st.dictionaries(names, st.tuples(st.booleans(), inner), max_size=4),
        ),
        max_leaves=12,
    )


def marked(tree: Any) -> tuple[Any, Any]:
    """(claims with SD markers, the plain claims)."""
    if isinstance(tree, list):
        pairs = [(sd, *marked(v)) for sd, v in tree]
        return [SD(m) if sd else m for sd, m, _ in pairs], [p for _, _, p in pairs]
    if isinstance(tree, dict):
        out_m, out_p = {}, {}
        for k, (sd, v) in tree.items():
            m, p = marked(v)
            out_m[SD(k) if sd else k] = m
            out_p[k] = p
        return out_m, out_p
    return tree, tree


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.dictionaries(names, st.tuples(st.booleans(), trees(scalars)), min_size=1, max_size=5),
    st.integers(0, 3),
)
def test_full_disclosure_roundtrip(tree: dict[str, Any], decoys: int) -> None:
    claims, plain = marked(tree)
    issued = issue(claims, KEY, decoys=decoys)
    assert verify(issued.serialize(), KEY.public).claims == plain
    ref = SDJWTVerifier(issued.serialize(), lambda iss, header: REF_KEY).get_verified_payload()
    assert ref == plain
