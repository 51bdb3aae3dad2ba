"""The supervised nostr-relay with the nostr-sdk client: events, threads, reactions, profiles, bad events."""

from __future__ import annotations

import asyncio
import json
import signal
import sqlite3
import time
from pathlib import Path

import websockets

from aiweb3.presence import process_alive, send_signal
from aiweb3.social import (
    KIND_NOTE,
    KIND_PROFILE,
    KIND_REACTION,
    Identity,
    LocalRelay,
    NostrClient,
    RelayConfig,
    RelayInfo,
    reaction_tags,
    relay_document,
    reply_tags,
)


def _send_raw(url: str, event: dict[str, object]) -> list[object]:
    """Send one EVENT frame as it is (no client-side checks) and return the relay's OK answer."""

    async def go() -> list[object]:
        async with websockets.connect(url) as ws:
            await ws.send(json.dumps(["EVENT", event]))
            answer: list[object] = json.loads(await asyncio.wait_for(ws.recv(), 10))
            return answer

    return asyncio.run(go())


def test_relay_answers_nip11_and_a_second_start_finds_it(relay_home: LocalRelay, relay: RelayInfo) -> None:
    doc = relay_document(relay.url)
    assert doc is not None and 1 in doc["supported_nips"]  # type: ignore[operator]
    assert relay_home.start() == relay
    assert relay.url.startswith("ws://127.0.0.1:")


def test_notes_threads_reactions_and_profiles_round_trip(nostr: NostrClient) -> None:
    alice, bob = Identity.generate(), Identity.generate()
    root = alice.sign(KIND_NOTE, "who runs ezkl on two cores?", [["t", "zkml"]])
    reply = bob.sign(KIND_NOTE, "I do, logrows 11", reply_tags(root))
    nested = alice.sign(KIND_NOTE, "thanks!", reply_tags(reply))
    like = bob.sign(KIND_REACTION, "+", reaction_tags(nested))
    profile = alice.sign(KIND_PROFILE, json.dumps({"name": "alice", "about": "zk"}))
    for event in (root, reply, nested, like, profile):
        assert nostr.publish(event).ok

    thread = nostr.thread(root.id)
    assert next(e.id for e in thread) == root.id
    assert {e.id for e in thread} >= {reply.id, nested.id}
    got_nested = next(e for e in thread if e.id == nested.id)
    assert got_nested.root_id == root.id and got_nested.reply_to == reply.id
    assert set(v[0] for v in got_nested.tag_values("p")) == {alice.pubkey, bob.pubkey}

    reactions = nostr.fetch({"kinds": [KIND_REACTION], "#e": [nested.id]})
    assert [r.content for r in reactions] == ["+"] and reactions[0].pubkey == bob.pubkey
    profiles = nostr.fetch({"kinds": [KIND_PROFILE], "authors": [alice.pubkey]})
    assert json.loads(profiles[0].content)["name"] == "alice"
    assert nostr.dropped == 0


def test_relay_refuses_bad_signatures_and_swapped_ids(relay: RelayInfo, nostr: NostrClient) -> None:
    mallory = Identity.generate()
    good = mallory.sign(KIND_NOTE, "original words").to_json()

    altered = dict(good, content="words never signed")  # id and signature of other content
    forged_sig = dict(good, sig="00" * 64)
    other = mallory.sign(KIND_NOTE, "another note").to_json()
    swapped_id = dict(good, id=other["id"])  # a valid signature, stored under a false id?

    for bad in (altered, forged_sig, swapped_id):
        answer = _send_raw(relay.url, bad)
        assert answer[0] == "OK" and answer[2] is False, answer
    assert nostr.fetch({"authors": [mallory.pubkey]}) == []

    answer = _send_raw(relay.url, good)  # the untouched event is accepted
    assert answer[2] is True
    assert [e.id for e in nostr.fetch({"authors": [mallory.pubkey]})] == [good["id"]]


def test_client_ignores_events_a_relay_serves_altered(relay_home: LocalRelay, nostr: NostrClient) -> None:
    """A relay whose database was edited behind its back serves an altered event: never handed out."""
    author = Identity.generate()
    kept, altered = author.sign(KIND_NOTE, "kept as signed"), author.sign(KIND_NOTE, "to be altered")
    assert all(p.ok for p in nostr.publish_many([kept, altered]))
    with sqlite3.connect(relay_home.db_file) as db:
        changed = db.execute(
            "UPDATE events SET content = ? WHERE id = ?",
            ("words the author never signed", bytes.fromhex(altered.id)),
        ).rowcount
    assert changed == 1
    with NostrClient([relay_home.url]) as fresh:  # no cache of the good copy
        got = fresh.fetch({"authors": [author.pubkey]})
    assert [e.id for e in got] == [kept.id]


def test_a_killed_relay_is_noticed_and_restarts_with_its_events(tmp_path: Path) -> None:
    relay = LocalRelay(RelayConfig(home=tmp_path))
    first = relay.start()
    try:
        note = Identity.generate().sign(KIND_NOTE, "survives a crash")
        with NostrClient([first.url]) as client:
            assert client.publish(note).ok
        send_signal(first.pid, signal.SIGKILL)
        while process_alive(first.pid):
            time.sleep(0.05)
        assert relay.info() is None  # the stale record is dropped, not trusted
        second = relay.start()
        assert second.pid != first.pid
        with NostrClient([second.url]) as client:
            assert [e.id for e in client.fetch({"ids": [note.id]})] == [note.id]
    finally:
        relay.stop()
