"""Attacks on the contracts, run for real on the session's anvil node.

Each module starts from the session's contracts and funded accounts. :class:`Mempool` stops
automatic mining so a test can put an honest transaction and an attacker's in the same block,
with the attacker paying a higher tip to be ordered first: a front-run as a block builder
would order it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from coincurve import PrivateKey
from eth_account.signers.local import LocalAccount
from web3.contract.contract import ContractFunction

from aiweb3.chain import Chain, encode_call
from aiweb3.chain.txsign import sign_eip1559


@pytest.fixture(scope="module", autouse=True)
def _isolate_module(module_chain_isolation: Chain) -> Iterator[None]:
    yield


@dataclass
class Mempool:
    """Transactions queued with automining off, then mined together in one block."""

    chain: Chain
    pending: list[str] = field(default_factory=list)

    def submit(
        self, signer: LocalAccount, fn: ContractFunction, *, tip_gwei: int, gas: int = 3_000_000
    ) -> str:
        """Queue ``fn`` signed by ``signer``; a higher tip is ordered first in the block."""
        nonce = int(self.chain.rpc("eth_getTransactionCount", [signer.address, "pending"]), 16)
        tip = tip_gwei * 10**9
        signed = sign_eip1559(
            PrivateKey(bytes(signer.key)),
            chain_id=self.chain.chain_id,
            nonce=nonce,
            max_priority_fee_per_gas=tip,
            max_fee_per_gas=tip + 10 * 10**9,
            gas=gas,
            to=bytes.fromhex(str(fn.address)[2:]),
            value=0,
            data=encode_call(fn),
        )
        tx_hash = str(self.chain.rpc("eth_sendRawTransaction", ["0x" + signed.raw.hex()]))
        self.pending.append(tx_hash)
        return tx_hash

    def automine(self, on: bool = True) -> None:
        """Turn automatic mining back on (or off again) within the test."""
        self.chain.rpc("evm_setAutomine", [on])

    def mine(self) -> list[dict[str, Any]]:
        """Mine one block holding everything queued; returns the receipts in submission order,
        with ``status``, ``blockNumber`` and ``transactionIndex`` as ints."""
        self.chain.rpc("evm_mine", [])
        self.chain.nonces.reset()  # the client's cached nonces did not see these transactions
        receipts = []
        for tx_hash in self.pending:
            r = dict(self.chain.rpc("eth_getTransactionReceipt", [tx_hash]))
            for key in ("status", "blockNumber", "transactionIndex"):
                r[key] = int(r[key], 16)
            receipts.append(r)
        self.pending.clear()
        return receipts


@pytest.fixture
def mempool(chain: Chain) -> Iterator[Mempool]:
    """Automining off for the test (on again after it); the chain is reverted after it too."""
    snap = chain.snapshot()
    chain.rpc("evm_setAutomine", [False])
    try:
        yield Mempool(chain)
    finally:
        chain.rpc("evm_setAutomine", [True])
        chain.revert(snap)
        chain.rpc("evm_mine", [])
