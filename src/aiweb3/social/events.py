"""Nostr events (NIP-01) as plain values, and the builders aiweb3 uses.

Signing and verification (BIP-340 Schnorr over the NIP-01 id) are done by ``nostr-sdk``; this
module turns its objects into :class:`NostrEvent` values and back. :func:`parse_event` is the
one door for events from outside: an event whose id or signature does not verify is refused.

Kinds used: 0 profile, 1 note, 3 follows, 7 reaction; replies and threads carry NIP-10 marked
``e`` tags (``root``/``reply``) and ``p`` tags for the people in the thread; labels are NIP-32
``L``/``l`` tags.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nostr_sdk as ns

from aiweb3.errors import InputError
from aiweb3.files import atomic_write_text

__all__ = [
    "AI_LABEL",
    "AI_LABEL_NAMESPACE",
    "KIND_FOLLOWS",
    "KIND_NOTE",
    "KIND_PROFILE",
    "KIND_REACTION",
    "Identity",
    "NostrEvent",
    "build_event",
    "follows_tags",
    "parse_event",
    "reaction_tags",
    "reply_tags",
]

KIND_PROFILE = 0
KIND_NOTE = 1
KIND_FOLLOWS = 3
KIND_REACTION = 7

#: NIP-32 label on every AI-generated post: ``["L", namespace]`` and ``["l", AI_LABEL, namespace]``.
AI_LABEL_NAMESPACE = "content-origin"
AI_LABEL = "ai-generated"

Tags = list[list[str]]


@dataclass(frozen=True)
class NostrEvent:
    """A verified NIP-01 event."""

    id: str
    pubkey: str
    created_at: int
    kind: int
    tags: tuple[tuple[str, ...], ...]
    content: str
    sig: str

    def to_json(self) -> dict[str, Any]:
        """The NIP-01 JSON object."""
        return {
            "id": self.id,
            "pubkey": self.pubkey,
            "created_at": self.created_at,
            "kind": self.kind,
            "tags": [list(t) for t in self.tags],
            "content": self.content,
            "sig": self.sig,
        }

    def tag_values(self, name: str) -> list[tuple[str, ...]]:
        """The tags named ``name``, without the name."""
        return [t[1:] for t in self.tags if t and t[0] == name]

    def first(self, name: str) -> str | None:
        """The first value of the first tag named ``name``, or None."""
        for values in self.tag_values(name):
            if values:
                return values[0]
        return None

    @property
    def root_id(self) -> str | None:
        """NIP-10: the id of the thread's root (None for a post that starts a thread)."""
        marked = [v for v in self.tag_values("e") if len(v) >= 3 and v[2] == "root"]
        if marked:
            return marked[0][0]
        plain = self.tag_values("e")
        return plain[0][0] if plain else None

    @property
    def reply_to(self) -> str | None:
        """NIP-10: the id of the event this one answers (the root when no ``reply`` marker)."""
        marked = [v for v in self.tag_values("e") if len(v) >= 3 and v[2] == "reply"]
        if marked:
            return marked[0][0]
        plain = self.tag_values("e")
        return plain[-1][0] if plain else None

    def labels(self, namespace: str) -> list[str]:
        """NIP-32 labels of this event in ``namespace``."""
        return [v[0] for v in self.tag_values("l") if len(v) >= 2 and v[1] == namespace]

    @property
    def ai_labelled(self) -> bool:
        """True when the event labels itself AI-generated (NIP-32)."""
        return AI_LABEL in self.labels(AI_LABEL_NAMESPACE)


def _from_sdk(event: ns.Event) -> NostrEvent:
    data = json.loads(event.as_json())
    return NostrEvent(
        id=data["id"],
        pubkey=data["pubkey"],
        created_at=int(data["created_at"]),
        kind=int(data["kind"]),
        tags=tuple(tuple(str(x) for x in t) for t in data["tags"]),
        content=str(data["content"]),
        sig=data["sig"],
    )


def parse_event(data: str | dict[str, Any]) -> NostrEvent:
    """Parse and verify an event from JSON.

    Raises:
        InputError: malformed JSON, or an id or signature that does not verify.
    """
    text = data if isinstance(data, str) else json.dumps(data)
    try:
        event = ns.Event.from_json(text)
    except Exception as exc:  # the binding raises its own error types
        raise InputError(f"not a Nostr event ({exc}); expected NIP-01 JSON") from None
    if not event.verify_id():
        raise InputError("the event id does not match its content; the event was altered")
    if not event.verify_signature():
        raise InputError("the event signature does not verify; the event was forged or altered")
    return _from_sdk(event)


class Identity:
    """A Nostr key pair (BIP-340). The secret key never appears in ``repr`` or logs."""

    def __init__(self, keys: ns.Keys) -> None:
        self._keys = keys

    @classmethod
    def generate(cls) -> Identity:
        """A fresh random key pair."""
        return cls(ns.Keys.generate())

    @classmethod
    def from_secret(cls, secret: str) -> Identity:
        """From a secret key in hex or ``nsec`` form."""
        try:
            return cls(ns.Keys.parse(secret.strip()))
        except Exception:
            raise InputError("not a Nostr secret key; give 64 hex characters or an nsec1 key") from None

    @classmethod
    def load(cls, path: Path) -> Identity:
        """Read a key file written by :meth:`save`."""
        try:
            return cls.from_secret(Path(path).read_text())
        except FileNotFoundError:
            raise InputError(f"no key file at {path}") from None

    def save(self, path: Path) -> None:
        """Write the secret key to ``path`` (mode 0600, atomically)."""
        atomic_write_text(Path(path), self._keys.secret_key().to_hex() + "\n", mode=0o600)

    @property
    def pubkey(self) -> str:
        """The public key, 64 hex characters."""
        return str(self._keys.public_key().to_hex())

    @property
    def npub(self) -> str:
        """The public key in NIP-19 ``npub`` form."""
        return str(self._keys.public_key().to_bech32())

    def holds_secret_in(self, text: str) -> bool:
        """True when ``text`` contains this identity's secret key (hex or nsec)."""
        secret = self._keys.secret_key()
        lowered = text.lower()
        return secret.to_hex() in lowered or secret.to_bech32() in lowered

    def sign(
        self, kind: int, content: str, tags: Sequence[Sequence[str]] = (), created_at: int | None = None
    ) -> NostrEvent:
        """Build and sign an event."""
        return build_event(self, kind, content, tags, created_at)

    def _sign_builder(self, builder: ns.EventBuilder) -> ns.Event:
        return builder.finalize(self._keys)

    def __repr__(self) -> str:
        return f"Identity(pubkey={self.pubkey})"


def build_event(
    identity: Identity,
    kind: int,
    content: str,
    tags: Sequence[Sequence[str]] = (),
    created_at: int | None = None,
) -> NostrEvent:
    """Sign a NIP-01 event of ``kind`` with ``identity``."""
    if not 0 <= kind <= 65535:
        raise InputError(f"event kind {kind} is out of range 0..65535")
    try:
        sdk_tags = [ns.Tag.parse([str(x) for x in tag]) for tag in tags]
    except Exception as exc:
        raise InputError(f"a tag is malformed ({exc}); tags are lists of strings") from None
    builder = ns.EventBuilder(ns.Kind(kind), content).tags(sdk_tags)
    if created_at is not None:
        builder = builder.custom_created_at(ns.Timestamp.from_secs(created_at))
    return _from_sdk(identity._sign_builder(builder))


def reply_tags(parent: NostrEvent, relay_url: str = "") -> Tags:
    """NIP-10 tags for a reply to ``parent``: the thread's root, the parent, and its people."""
    root = parent.root_id or parent.id
    tags: Tags = [["e", root, relay_url, "root"]]
    if root != parent.id:
        tags.append(["e", parent.id, relay_url, "reply"])
    people = [parent.pubkey] + [v[0] for v in parent.tag_values("p") if v]
    for pk in dict.fromkeys(people):
        tags.append(["p", pk])
    return tags


def reaction_tags(target: NostrEvent) -> Tags:
    """NIP-25 tags for a reaction to ``target``."""
    return [["e", target.id], ["p", target.pubkey], ["k", str(target.kind)]]


def follows_tags(pubkeys: Sequence[str]) -> Tags:
    """NIP-02 tags of a follow list."""
    return [["p", pk] for pk in pubkeys]
