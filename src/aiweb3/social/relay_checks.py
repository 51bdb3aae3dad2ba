"""Extra checks the supervised relay runs on every event before storing it.

``nostr-relay`` verifies the BIP-340 signature over the id it *computes*, but stores the event
under the id the client *sent*: an event whose ``id`` field was swapped would be kept under a
false name. :func:`id_matches` closes that gap; :class:`~aiweb3.social.relay.LocalRelay` lists
it in the relay's ``storage.validators``, and the relay process imports it by its dotted path.
"""

from __future__ import annotations

from typing import Any

__all__ = ["id_matches"]


def id_matches(event: Any, config: Any) -> None:
    """Refuse an event whose ``id`` is not the NIP-01 hash of its fields (a relay validator)."""
    from nostr_relay.errors import StorageError

    computed = event.compute_id(event.pubkey, event.created_at, event.kind, event.tags, event.content)
    if computed != event.id:
        raise StorageError("invalid: event id does not match its content")
