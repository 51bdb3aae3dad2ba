"""The stress simulation's chain helpers against the real contracts: the oracle's tick arithmetic
to the wei, a TWAP predicted before the block that reads it, and blocks mined at exact times
whether their requests are batched or sent one by one."""

from __future__ import annotations

from pathlib import Path

from eth_abi import decode
from eth_account.signers.local import LocalAccount

from aiweb3.chain import Chain, dev_account
from aiweb3.defi import approve_max, defi_up, mint_tokens, swap_request
from aiweb3.defi.lending import deploy_twap_oracle
from aiweb3.redteam.stress_chain import (
    BlockSender,
    Call,
    Tx,
    abi_call,
    manual_mining,
    read_calls,
    tick_price,
    twap_price_at,
)

WINDOW = 600


def test_oracle_arithmetic_and_twap_prediction(
    chain_isolation: Chain, deployer: LocalAccount, tmp_path: Path
) -> None:
    chain = chain_isolation
    v3 = defi_up(chain, deployer, tmp_path)
    chain.rpc("evm_increaseTime", [WINDOW * 2])
    chain.rpc("evm_mine", [])
    oracle = deploy_twap_oracle(chain, deployer, v3.pool.address, v3.base.address, WINDOW)
    for tick in (-400_000, -200_001, -76_013, -1, 0, 1, 76_012, 399_999):
        assert tick_price(tick, v3.base_is_token0) == int(chain.call(oracle.functions.tickPrice(tick)))
    whale = dev_account(6)
    mint_tokens(chain, whale, v3.base.address, whale.address, 10**20)
    approve_max(chain, whale, v3.base.address, v3.uni.router)
    sell = swap_request(
        chain,
        v3.uni,
        v3.pool,
        whale.address,
        zero_for_one=v3.base_is_token0,
        amount_in=50 * 10**18,
        min_out=0,
    )
    for batched in (True, False):
        sender = BlockSender(chain, batched=batched)
        start = int(chain.rpc("eth_getBlockByNumber", ["latest", False])["timestamp"], 16)
        with manual_mining(chain):
            slot0 = Call(v3.pool.address, abi_call("slot0()"))
            ok, raw = sender.mine([Tx(whale, sell)], start + 100, [slot0])
            assert ok == [True]
            tick = int(decode(["uint160", "int24"], raw[0][:64])[1])
            observed = Call(v3.pool.address, abi_call("observe(uint32[])", [0, WINDOW - 37]))
            cums = decode(["int56[]", "uint160[]"], read_calls(chain, [observed], batched=batched)[0])[0]
            predicted = twap_price_at(int(cums[0]), int(cums[1]), tick, 37, WINDOW, v3.base_is_token0)
            assert sender.mine([], start + 137) == ([], [])
        block = chain.rpc("eth_getBlockByNumber", ["latest", False])
        assert int(block["timestamp"], 16) == start + 137
        assert predicted == int(chain.call(oracle.functions.price()))
        assert predicted != tick_price(tick, v3.base_is_token0)  # the average lags the spot
