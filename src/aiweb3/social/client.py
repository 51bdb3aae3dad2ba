"""A blocking client for any Nostr relay, built on ``nostr-sdk``'s async client.

:class:`NostrClient` owns one asyncio loop and one ``nostr_sdk.Client`` connected to the given
relay URLs (the local relay, or any ``ws://``/``wss://`` relay). Every event it hands out has
been verified again by :func:`~aiweb3.social.events.parse_event`: an event with a bad id or
signature from a relay is dropped and counted in :attr:`NostrClient.dropped`.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Coroutine, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, TypeVar

import nostr_sdk as ns

from aiweb3.errors import InputError
from aiweb3.social.events import NostrEvent, parse_event
from aiweb3.social.relay import RelayError

__all__ = ["NostrClient", "Published"]

T = TypeVar("T")


@dataclass(frozen=True)
class Published:
    """What the relays said about one event: the URLs that stored it and the refusals."""

    id: str
    accepted: tuple[str, ...]
    refused: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when at least one relay stored the event."""
        return bool(self.accepted)


def _sdk_event(event: NostrEvent) -> ns.Event:
    return ns.Event.from_json(json.dumps(event.to_json()))


class NostrClient:
    """A connection to one or more relays.

    Example:
        >>> with NostrClient(["ws://127.0.0.1:6969"]) as client:
        ...     client.publish(identity.sign(1, "hello"))
        ...     notes = client.fetch({"kinds": [1], "limit": 10})
    """

    def __init__(self, urls: Sequence[str], *, timeout: float = 10.0) -> None:
        if not urls:
            raise InputError("give at least one relay URL (ws://host:port)")
        self.urls = [u.rstrip("/") for u in urls]
        self.timeout = timeout
        self.dropped = 0
        self._loop = asyncio.new_event_loop()
        self._client = ns.Client()
        try:
            self._run(self._connect())
        except Exception:
            self._loop.close()
            raise

    def _run(self, coro: Coroutine[Any, Any, T]) -> T:
        return self._loop.run_until_complete(coro)

    async def _connect(self) -> None:
        for url in self.urls:
            try:
                await self._client.add_relay(ns.RelayUrl.parse(url))
            except Exception as exc:
                raise InputError(f"{url!r} is not a relay URL ({exc}); use ws://host:port") from None
        await self._client.connect(timedelta(seconds=self.timeout))
        connected = [
            u for u, r in (await self._client.relays()).items() if r.status() == ns.RelayStatus.CONNECTED
        ]
        if not connected:
            raise RelayError(
                f"no relay answered at {', '.join(self.urls)}; is it running (`aiweb3 social up`)?"
            )

    def publish(self, event: NostrEvent) -> Published:
        """Send one signed event; returns which relays stored it."""
        return self._run(self._publish(event))

    def publish_many(self, events: Iterable[NostrEvent]) -> list[Published]:
        """Send events concurrently (one round trip each, overlapped)."""

        async def go() -> list[Published]:
            return list(await asyncio.gather(*(self._publish(e) for e in events)))

        return self._run(go())

    async def _publish(self, event: NostrEvent) -> Published:
        try:
            out = await self._client.send_event(_sdk_event(event), ok_timeout=timedelta(seconds=self.timeout))
        except Exception as exc:
            raise RelayError(f"no relay took event {event.id[:12]}… ({exc})") from None
        accepted = [str(u) for u in out.success]
        refused: dict[str, str] = {}
        for url, why in out.failed.items():
            if str(why).startswith("duplicate:"):  # NIP-01: the relay already holds this very event
                accepted.append(str(url))
            else:
                refused[str(url)] = str(why)
        return Published(id=event.id, accepted=tuple(accepted), refused=refused)

    def fetch(self, query: dict[str, Any], *, timeout: float | None = None) -> list[NostrEvent]:
        """Events matching a NIP-01 filter (``{"kinds": [1], "authors": [...], "#e": [...]}``),
        newest first, each verified again here."""
        try:
            flt = ns.Filter.from_json(json.dumps(query))
        except Exception as exc:
            raise InputError(f"not a NIP-01 filter ({exc})") from None
        wait = timedelta(seconds=timeout or self.timeout)
        raw = self._run(self._client.fetch_events(ns.ReqTarget.auto([flt]), wait))
        out: list[NostrEvent] = []
        for item in raw:
            try:
                out.append(parse_event(item.as_json()))
            except InputError:
                self.dropped += 1
        out.sort(key=lambda e: (-e.created_at, e.id))
        return out

    def thread(self, root_id: str) -> list[NostrEvent]:
        """The root event and every event that names it (NIP-10), oldest first."""
        events = {e.id: e for e in self.fetch({"ids": [root_id]})}
        events.update({e.id: e for e in self.fetch({"#e": [root_id]})})
        return sorted(events.values(), key=lambda e: (e.id != root_id, e.created_at, e.id))

    def close(self) -> None:
        """Disconnect and release the loop."""
        if self._loop.is_closed():
            return
        try:
            self._run(self._client.shutdown())
        finally:
            self._loop.close()

    def __enter__(self) -> NostrClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
