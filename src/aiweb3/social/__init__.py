"""Decentralised social on Nostr: a supervised local relay, a verifying client, AI-managed accounts.

See docs/social.md.
"""

from aiweb3.social.accounts import (
    ANSWER_MODES,
    Action,
    AIAccount,
    Persona,
    Rules,
    load_account_files,
    log_action,
    save_account_files,
    set_paused,
)
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
from aiweb3.social.guard import injection_reasons, is_spam, output_violations, spam_reasons
from aiweb3.social.keys import KeyRing
from aiweb3.social.labels import AIPostCheck, Operator, ai_post_tags, check_ai_post, text_manifest
from aiweb3.social.relay import LocalRelay, RelayConfig, RelayError, RelayInfo, relay_document

__all__ = [
    "AI_LABEL",
    "AI_LABEL_NAMESPACE",
    "ANSWER_MODES",
    "KIND_FOLLOWS",
    "KIND_NOTE",
    "KIND_PROFILE",
    "KIND_REACTION",
    "AIAccount",
    "AIPostCheck",
    "Action",
    "Identity",
    "KeyRing",
    "LocalRelay",
    "NostrClient",
    "NostrEvent",
    "Operator",
    "Persona",
    "Published",
    "RelayConfig",
    "RelayError",
    "RelayInfo",
    "Rules",
    "ai_post_tags",
    "build_event",
    "check_ai_post",
    "follows_tags",
    "injection_reasons",
    "is_spam",
    "load_account_files",
    "log_action",
    "output_violations",
    "parse_event",
    "reaction_tags",
    "relay_document",
    "reply_tags",
    "save_account_files",
    "set_paused",
    "spam_reasons",
    "text_manifest",
]
