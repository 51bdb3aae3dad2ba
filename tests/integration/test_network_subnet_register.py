"""Subnet.register puts each participant into its own role's set (Slither's uninitialized-storage
finding on the set pointer, now assigned where it is declared): uids count within each role, a
full validator set refuses validators but still takes miners, and a registration without a role
is refused."""

from __future__ import annotations

import pytest
from eth_account.signers.local import LocalAccount
from web3.contract import Contract

from aiweb3.chain import Chain, Deployment
from aiweb3.chain.accounts import checksum, dev_account
from aiweb3.errors import TransactionReverted
from aiweb3.network.subnet import Role, Subnet, SubnetParams
from aiweb3.network.yuma import YumaParams

PARAMS = SubnetParams(
    min_stake=100 * 10**6,
    emission_per_epoch=1_000 * 10**6,
    commit_period=30,
    reveal_period=30,
    yuma=YumaParams(kappa=0.5, beta=0.8, alpha=0.1, xi=0.5),
)


def test_register_fills_each_roles_own_set(
    module_chain_isolation: Chain,
    deployments: dict[str, Deployment],
    accounts: list[LocalAccount],
    aiusd: Contract,
) -> None:
    chain = module_chain_isolation
    subnet = Subnet.deploy(chain, accounts[0], deployments["AIUSD"].address, PARAMS)
    max_validators = int(chain.call(subnet.contract.functions.MAX_VALIDATORS()))
    stake = PARAMS.min_stake
    people = [dev_account(i) for i in range(40, 40 + max_validators + 2)]
    for who in people:
        chain.set_balance(who.address, 10**18)
        chain.transact(who, aiusd.functions.faucet(who.address, stake))
    first, *validators, last = people
    chain.transact(first, aiusd.functions.approve(subnet.address, stake))
    with pytest.raises(TransactionReverted, match="InvalidParameters"):
        chain.transact(first, subnet.contract.functions.register(0, stake))
    assert subnet.register(first, Role.MINER, stake) == 0
    for uid, who in enumerate(validators):
        assert subnet.register(who, Role.VALIDATOR, stake) == uid
    assert subnet.counts() == (1, max_validators)
    with pytest.raises(TransactionReverted, match="SubnetFull"):
        subnet.register(last, Role.VALIDATOR, stake)
    assert subnet.register(last, Role.MINER, stake) == 1
    miners = [checksum(n["account"]) for n in subnet.neurons(Role.MINER)]
    assert miners == [first.address, last.address]
    assert [checksum(n["account"]) for n in subnet.neurons(Role.VALIDATOR)] == [v.address for v in validators]
    assert int(chain.call(aiusd.functions.balanceOf(subnet.address))) == (max_validators + 2) * stake
    assert int(chain.call(subnet.contract.functions.totalStaked())) == (max_validators + 2) * stake
