"""Nostr event values: signing, verification of ids and signatures, NIP-10 tags, key files."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from aiweb3.errors import InputError
from aiweb3.social import Identity, KeyRing, parse_event, reply_tags


def test_signed_event_verifies_and_any_change_is_refused() -> None:
    alice = Identity.generate()
    event = alice.sign(1, "hello", [["t", "zkml"]])
    assert parse_event(event.to_json()) == event
    for field, value in (("content", "hullo"), ("sig", "11" * 64), ("pubkey", Identity.generate().pubkey)):
        with pytest.raises(InputError):
            parse_event(dict(event.to_json(), **{field: value}))
    other = alice.sign(1, "other")
    with pytest.raises(InputError, match="id"):
        parse_event(dict(event.to_json(), id=other.id))
    with pytest.raises(InputError, match="not a Nostr event"):
        parse_event("{not json")


def test_nip10_reply_tags_mark_root_and_parent() -> None:
    alice, bob = Identity.generate(), Identity.generate()
    root = alice.sign(1, "root")
    first = bob.sign(1, "first", reply_tags(root))
    second = alice.sign(1, "second", reply_tags(first))
    assert (first.root_id, first.reply_to) == (root.id, root.id)
    assert (second.root_id, second.reply_to) == (root.id, first.id)
    assert root.root_id is None


def test_keyring_keeps_secret_files_private_and_out_of_repr(tmp_path: Path) -> None:
    ring = KeyRing(tmp_path)
    made = ring.create("greeter")
    assert ring.get("greeter").pubkey == made.pubkey
    assert ring.names() == ["greeter"]
    path = tmp_path / "social" / "keys" / "greeter.key"
    assert os.stat(path).st_mode & 0o777 == 0o600
    secret = path.read_text().strip()
    assert secret not in repr(made) and made.holds_secret_in(f"leak {secret}")
    with pytest.raises(InputError, match="already exists"):
        ring.create("greeter")
    with pytest.raises(InputError, match="not allowed"):
        ring.get("../etc")
    with pytest.raises(InputError, match="secret key"):
        Identity.from_secret("nope")
