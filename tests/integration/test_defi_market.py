"""The market simulator trades on the real pool: bulk-sent swaps land exactly as predicted, the
arbitrageur keeps the pool inside the no-arbitrage band, and a seed replays the same run."""

from __future__ import annotations

from pathlib import Path

import pytest
from eth_account.signers.local import LocalAccount

from aiweb3.chain import Chain
from aiweb3.defi import LocalMarket, approve_max, defi_up, mint_tokens
from aiweb3.defi.market import (
    HISTORIES,
    MarketConfig,
    MarketSimulator,
    fit_price_model,
    load_history,
    price_path,
)


@pytest.fixture(scope="module")
def market(chain: Chain, deployer: LocalAccount, module_home: Path) -> LocalMarket:
    return defi_up(chain, deployer, module_home)


@pytest.fixture(scope="module")
def trader(chain: Chain, market: LocalMarket, accounts: list[LocalAccount]) -> LocalAccount:
    who = accounts[1]
    for token in (market.base.address, market.quote.address):
        mint_tokens(chain, who, token, who.address, 10**12 * 10**18)
        approve_max(chain, who, token, market.uni.router)
    return who


def test_simulated_market_tracks_the_external_price_and_replays(
    chain: Chain, market: LocalMarket, trader: LocalAccount
) -> None:
    model = fit_price_model(load_history("BTCUSD"), steps_per_bar=HISTORIES["BTCUSD"], jumps=True)
    path = price_path(model, 48, market.base_price(), seed=3)[1:]
    snapshot = chain.snapshot()
    runs = []
    for _ in range(2):
        sim = MarketSimulator(chain, market, trader, MarketConfig(), seed=3)
        report = sim.run(path, batch_steps=24)
        runs.append((report.swaps, market.pool.slot0(), report.volume_quote))
        fee = market.pool.fee / 1e6
        assert report.swaps > 48 and report.gas > 0 and report.volume_quote > 0
        assert path[-1] * (1 - fee) * 0.999 <= market.base_price() <= path[-1] * (1 + fee) * 1.001
        chain.revert(snapshot)
        snapshot = chain.snapshot()
    assert runs[0] == runs[1]
