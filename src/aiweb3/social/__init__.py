"""Decentralised social on Nostr: a supervised local relay, a verifying client, AI-managed accounts.

See docs/social.md.
"""

from aiweb3.social.client import NostrClient, Published
from aiweb3.social.events import (
    AI_LABEL,
    AI_LABEL_NAMESPACE,
    KIND_FOLLOWS,
    KIND_NOTE,
    KIND_PROFILE,
    KIND_REACTION,
    Identity,
    NostrEvent,
    build_event,
    follows_tags,
    parse_event,
    reaction_tags,
    reply_tags,
)
from aiweb3.social.keys import KeyRing
from aiweb3.social.relay import LocalRelay, RelayConfig, RelayError, RelayInfo, relay_document

__all__ = [
    "AI_LABEL",
    "AI_LABEL_NAMESPACE",
    "KIND_FOLLOWS",
    "KIND_NOTE",
    "KIND_PROFILE",
    "KIND_REACTION",
    "Identity",
    "KeyRing",
    "LocalRelay",
    "NostrClient",
    "NostrEvent",
    "Published",
    "RelayConfig",
    "RelayError",
    "RelayInfo",
    "build_event",
    "follows_tags",
    "parse_event",
    "reaction_tags",
    "relay_document",
    "reply_tags",
]
