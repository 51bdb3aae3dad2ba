"""Every test module here starts from the same chain: the session's contracts and funded accounts."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from aiweb3.chain import Chain


@pytest.fixture(scope="module", autouse=True)
def _isolate_module(module_chain_isolation: Chain) -> Iterator[None]:
    yield
