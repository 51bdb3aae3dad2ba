"""Seed the aiweb3 application contracts, so every metric and question kind has data.

Each seeded day adds: agent escrow tasks (posted, accepted, delivered, paid; some left
open), content batches anchored in the CreatorRegistry, registered agents, dataset
contributions (some accepted and paid) and verified inferences. Verified inferences go
through the development-only ``TestInferenceOracle`` (the same ``InferenceVerified``
event as ModelRegistry; a real ezkl proof per seeded inference would take minutes).
Local chain only.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path

from eth_account import Account
from eth_account.messages import encode_defunct
from eth_account.signers.local import LocalAccount
from eth_utils import keccak
from web3.contract import Contract

from aiweb3.agents import AgentRegistry
from aiweb3.chain import Chain, TxRequest, artifact, encode_call, system_contract
from aiweb3.datasets import DatasetRef, authorize_contribution, nullifier_key

__all__ = ["AppSeeder"]

_MODELS = [keccak(text=f"aiweb3-seed-model-{i}") for i in range(3)]
_SCHEMA = keccak(text="aiweb3-seed-schema")
_ISSUER = keccak(text="aiweb3-seed-issuer")


@dataclass
class AppSeeder:
    """Drives the aiweb3 contracts for :func:`aiweb3.indexer.seed.seed_chain`, one day at a time."""

    chain: Chain
    home: Path
    deployer: LocalAccount
    people: list[LocalAccount]
    rng: random.Random
    sent: int = 0
    _c: dict[str, Contract] = field(default_factory=dict)
    _agents: int = 0
    _dataset: int = 0

    def _send(self, who: LocalAccount, contract: Contract, call: object, gas: int = 600_000) -> None:
        self.chain.send(who, TxRequest(contract.address, encode_call(call), gas=gas))  # type: ignore[arg-type]
        self.sent += 1

    def setup(self) -> None:
        """Find the system contracts, deploy the test oracle, register an issuer and open a dataset."""
        names = ("AIUSD", "TaskEscrow", "CreatorRegistry", "AgentRegistry", "DatasetPool", "IssuerRegistry")
        for name in names:
            self._c[name] = system_contract(self.chain, self.home, name)
        oracle = artifact("TestInferenceOracle")
        addr, _ = self.chain.deploy(self.deployer, oracle.abi, oracle.bytecode, self.deployer.address)
        self._c["oracle"] = self.chain.contract(oracle.abi, addr)
        self.sent += 1
        issuers, pool, aiusd = self._c["IssuerRegistry"], self._c["DatasetPool"], self._c["AIUSD"]
        register = issuers.functions.registerIssuer(_ISSUER, "Seed Clinic", [_SCHEMA])
        self._send(self.deployer, issuers, register)
        self._send(self.deployer, aiusd, aiusd.functions.faucet(self.deployer.address, 10_000 * 10**6))
        self._send(self.deployer, aiusd, aiusd.functions.approve(pool.address, 2**255))
        params = (
            _SCHEMA,
            keccak(text="policy"),
            "bafyseedpolicy",
            self.deployer.address,
            5 * 10**6,
            2_000 * 10**6,
            1,
            86_400,
        )
        self._send(self.deployer, pool, pool.functions.createDataset(params))
        self._dataset = int(self.chain.call(pool.functions.datasetCount()))

    def day(self, day: int) -> None:
        """One day of application activity."""
        rng, people = self.rng, self.people
        escrow, aiusd = self._c["TaskEscrow"], self._c["AIUSD"]
        now = self.chain.block_time()
        for _ in range(rng.randint(1, 3)):  # escrow tasks
            requester, provider = rng.sample(people[:-1], 2)
            budget = rng.randint(5, 200) * 10**6
            self._send(requester, aiusd, aiusd.functions.approve(escrow.address, budget))
            terms = (
                budget,
                "0x" + "0" * 40,
                self.deployer.address,
                now + 86_400,
                now + 2 * 86_400,
                3_600,
                3_600,
                b"\0" * 32,
                keccak(text=f"spec-{day}-{budget}"),
                b"\0" * 32,  # no input fixed (a plain, non-proof task)
                0,
                "0x" + "0" * 40,  # no audit required
            )
            self._send(requester, escrow, escrow.functions.post(terms))
            task = int(self.chain.call(escrow.functions.taskCount()))
            if rng.random() < 0.75 or task == 1:  # the first task always completes
                self._send(provider, escrow, escrow.functions.accept(task))
                self._send(provider, escrow, escrow.functions.deliver(task, f"bafyresult{task}"))
                self._send(requester, escrow, escrow.functions.approve(task))
        creators = self._c["CreatorRegistry"]
        for i in range(rng.randint(1, 2)):  # content batches
            who = rng.choice(people[:6])
            root = keccak(text=f"batch-{day}-{i}")
            self._send(who, creators, creators.functions.anchor(root, rng.randint(1, 40)))
        agents = self._c["AgentRegistry"]
        for _ in range(2 if day == 0 else rng.randint(0, 1)):  # agents
            self._agents += 1
            wallet: LocalAccount = Account.from_key(keccak(text=f"aiweb3-seed-agent-{self._agents}"))
            owner = rng.choice(people[:8])
            card = f'{{"name": "agent-{self._agents}", "skills": ["summarize"]}}'
            # the wallet's own EIP-712 consent to serve this owner's next agent
            consent = AgentRegistry(self.chain, agents.address).wallet_consent(wallet, owner.address)
            register = agents.functions.register(wallet.address, card, consent.deadline, consent.signature)
            self._send(owner, agents, register)
        pool = self._c["DatasetPool"]
        for i in range(rng.randint(1, 3)):  # dataset contributions
            payee = rng.choice(people)
            secret = keccak(text=f"record-secret-{day}-{i}")
            ref = DatasetRef(self.chain.chain_id, pool.address, self._dataset)
            digest = keccak(secret)
            authorization = authorize_contribution(nullifier_key(secret, ref), ref, digest, payee.address)
            contribute = pool.functions.contribute(self._dataset, digest, payee.address, authorization)
            self._send(payee, pool, contribute)
            contribution = int(self.chain.call(pool.functions.contributionCount()))
            if rng.random() < 0.6 or contribution == 1:  # the first contribution is always accepted
                self._send(self.deployer, pool, pool.functions.accept(contribution, _ISSUER))
        oracle = self._c["oracle"]
        for i in range(rng.randint(1, 4)):  # verified inferences
            model = rng.choice(_MODELS)
            instances = [rng.randint(1, 10**9), day, i]
            digest = self.chain.call(oracle.functions.attestationDigest(model, instances))
            signed = Account.sign_message(encode_defunct(primitive=bytes(digest)), self.deployer.key)
            caller = rng.choice(people)
            verify = oracle.functions.verifyInference(model, bytes(signed.signature), instances)
            self._send(caller, oracle, verify)
