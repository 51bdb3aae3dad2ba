"""Seed a local development chain with realistic activity for tests, the evaluation and demos.

Several ERC-20 tokens (AIUSD plus test tokens), an ERC-721, ether payments, approvals,
EIP-3009 AIUSD payment authorizations, a few reverted transactions and contract
deployments, and every aiweb3 application contract (:mod:`aiweb3.indexer.seed_apps`),
spread over several days of chain time between many accounts. Local chain
only: it mints freely and moves the node's clock (``evm_increaseTime``).
"""

from __future__ import annotations

import os
import random
import time
from dataclasses import dataclass, field
from pathlib import Path

from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils import keccak
from web3.contract import Contract

from aiweb3.chain import Chain, TxRequest, artifact, deploy_system, dev_account, encode_call, system_contract
from aiweb3.indexer.seed_apps import AppSeeder

__all__ = ["SeedReport", "seed_chain"]


@dataclass
class SeedReport:
    """What was seeded: token addresses by symbol, the accounts, counts."""

    tokens: dict[str, str] = field(default_factory=dict)
    nft: str = ""
    accounts: list[str] = field(default_factory=list)
    transactions: int = 0
    days: int = 0


def _account(seed: int, i: int) -> LocalAccount:
    acct: LocalAccount = Account.from_key(keccak(f"aiweb3-seed-{seed}-{i}".encode()))
    return acct


def _authorization(chain: Chain, token: Contract, payer: LocalAccount, to: str, value: int) -> TxRequest:
    message = {
        "from": payer.address,
        "to": to,
        "value": value,
        "validAfter": 0,
        "validBefore": int(time.time()) + 10**8,
        "nonce": os.urandom(32),
    }
    fields = [
        "from:address",
        "to:address",
        "value:uint256",
        "validAfter:uint256",
        "validBefore:uint256",
        "nonce:bytes32",
    ]
    types = {
        "TransferWithAuthorization": [{"name": f.split(":")[0], "type": f.split(":")[1]} for f in fields]
    }
    domain = {"name": "AI USD", "version": "1", "chainId": chain.chain_id, "verifyingContract": token.address}
    sig = Account.sign_typed_data(payer.key, domain_data=domain, message_types=types, message_data=message)
    fn = token.get_function_by_signature(
        "transferWithAuthorization(address,address,uint256,uint256,uint256,bytes32,bytes)"
    )
    call = fn(
        message["from"],
        message["to"],
        value,
        0,
        message["validBefore"],
        message["nonce"],
        bytes(sig.signature),
    )
    return TxRequest(token.address, encode_call(call))


def seed_chain(
    chain: Chain, home: Path, *, accounts: int = 24, days: int = 8, per_day: int = 60, seed: int = 7
) -> SeedReport:
    """Deploy tokens and generate ``days`` days of activity (``per_day`` token transfers a day).

    Returns:
        A :class:`SeedReport`.
    """
    rng = random.Random(seed)
    deployer = dev_account(0)
    deploy_system(chain, deployer, home)
    aiusd = system_contract(chain, home, "AIUSD")
    tt_art, nft_art = artifact("TestToken"), artifact("TestNFT")
    tokens: dict[str, Contract] = {"AIUSD": aiusd}
    decimals = {"AIUSD": 6, "TT": 18, "GLD": 2}
    for symbol, name in (("TT", "Test Token"), ("GLD", "Gold Points")):
        addr, _ = chain.deploy(deployer, tt_art.abi, tt_art.bytecode, name, symbol, decimals[symbol])
        tokens[symbol] = chain.contract(tt_art.abi, addr)
    nft_addr, _ = chain.deploy(deployer, nft_art.abi, nft_art.bytecode)
    nft = chain.contract(nft_art.abi, nft_addr)
    people = [dev_account(i) for i in range(1, 6)] + [_account(seed, i) for i in range(accounts - 5)]
    report = SeedReport(
        {s: t.address.lower() for s, t in tokens.items()},
        nft_addr.lower(),
        [p.address.lower() for p in people],
        days=days,
    )
    for p in people:
        chain.set_balance(p.address, 10**22)
    # Day 0: everyone gets tokens (mints from the zero address).
    mints = []
    for p in people:
        mints.append(TxRequest(aiusd.address, encode_call(aiusd.functions.faucet(p.address, 50_000 * 10**6))))
        for s in ("TT", "GLD"):
            amount = rng.randint(1_000, 100_000) * 10 ** decimals[s]
            mints.append(
                TxRequest(tokens[s].address, encode_call(tokens[s].functions.mint(p.address, amount)))
            )
    report.transactions += len(chain.bulk_send(deployer, mints).receipts)
    apps = AppSeeder(chain, home, deployer, people, random.Random(seed + 1))
    apps.setup()
    balances = {(s, p.address): 0 for s in tokens for p in people}
    for s, t in tokens.items():
        for p in people:
            balances[(s, p.address)] = int(chain.call(t.functions.balanceOf(p.address)))
    for day in range(days):
        if day:
            chain.rpc("evm_increaseTime", [86_400 + rng.randint(-3_600, 3_600)])
        # Busy senders send more, so "top senders" has a clear answer.
        weights = [1 + (len(people) - i) for i in range(len(people))]
        by_sender: dict[str, list[TxRequest]] = {}  # sender address -> requests
        for _ in range(per_day + rng.randint(0, per_day // 2)):
            sender = rng.choices(people, weights)[0]
            receiver = rng.choice([p for p in people if p is not sender])
            symbol = rng.choice(["AIUSD", "AIUSD", "TT", "GLD"])
            have = balances[(symbol, sender.address)]
            amount = rng.randint(1, max(1, have // 20))
            balances[(symbol, sender.address)] -= amount
            balances[(symbol, receiver.address)] += amount
            fn = tokens[symbol].functions.transfer(receiver.address, amount)
            by_sender.setdefault(sender.address, []).append(
                TxRequest(tokens[symbol].address, encode_call(fn))
            )
        for _ in range(rng.randint(3, 8)):  # ether payments
            sender, receiver = rng.sample(people, 2)
            by_sender.setdefault(sender.address, []).append(
                TxRequest(receiver.address, b"", rng.randint(1, 50) * 10**16)
            )
        if day % 2 == 0:  # approvals
            owner, spender = rng.sample(people, 2)
            fn = tokens["TT"].functions.approve(spender.address, rng.randint(1, 10**6) * 10**18)
            by_sender.setdefault(owner.address, []).append(TxRequest(tokens["TT"].address, encode_call(fn)))
        signers: dict[str, LocalAccount] = {str(p.address): p for p in people}
        for address, requests in by_sender.items():
            report.transactions += len(chain.bulk_send(signers[address], requests).receipts)
        # NFTs, EIP-3009 payments, a reverted transfer, sometimes a new contract.
        minter = rng.choice(people)
        nft_reqs = [
            TxRequest(nft.address, encode_call(nft.functions.mint(rng.choice(people).address)))
            for _ in range(rng.randint(1, 3))
        ]
        report.transactions += len(chain.bulk_send(minter, nft_reqs, gas=200_000).receipts)
        relayer = people[-1]
        auths = []
        for _ in range(rng.randint(1, 4)):
            payer, payee = rng.sample(people[:-1], 2)
            value = rng.randint(1, 100) * 10**6
            balances[("AIUSD", payer.address)] -= value
            balances[("AIUSD", payee.address)] += value
            auths.append(_authorization(chain, aiusd, payer, payee.address, value))
        report.transactions += len(chain.bulk_send(relayer, auths, gas=150_000).receipts)
        if day % 3 == 1:
            poor = rng.choice(people)
            fn = tokens["GLD"].functions.transfer(deployer.address, 10**30)
            report.transactions += len(
                chain.bulk_send(
                    poor, [TxRequest(tokens["GLD"].address, encode_call(fn))], gas=100_000
                ).receipts
            )
        if day % 4 == 3:
            creator = rng.choice(people)
            chain.deploy(creator, tt_art.abi, tt_art.bytecode, f"Day {day} Token", f"D{day}", 18)
            report.transactions += 1
        apps.day(day)
    report.transactions += apps.sent
    return report
