"""One real nostr-relay process for every social test of the session."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from aiweb3.social import LocalRelay, NostrClient, RelayConfig, RelayInfo


@pytest.fixture(scope="session")
def relay_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalRelay]:
    relay = LocalRelay(RelayConfig(home=tmp_path_factory.mktemp("social-home")))
    relay.start()
    yield relay
    relay.stop()


@pytest.fixture(scope="session")
def relay(relay_home: LocalRelay) -> RelayInfo:
    info = relay_home.info()
    assert info is not None
    return info


@pytest.fixture()
def nostr(relay: RelayInfo) -> Iterator[NostrClient]:
    with NostrClient([relay.url]) as client:
        yield client
