"""Client for the IssuerRegistry and DatasetPool contracts."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eth_account import Account
from eth_account.signers.local import LocalAccount
from web3.contract import Contract

from aiweb3.chain import Chain, Deployments, artifact, checksum, encode_call
from aiweb3.chain.client import Receipt
from aiweb3.datasets.schemas import DisclosurePolicy, RecordSchema
from aiweb3.errors import InputError

__all__ = ["STATUS", "ContributionInfo", "DatasetInfo", "DatasetPool", "IssuerRegistry"]

STATUS = ("none", "pending", "accepted", "rejected", "expired")


class IssuerRegistry:
    """The on-chain registry of record issuers (JWK thumbprint -> allowed schemas, revocation)."""

    def __init__(self, chain: Chain, address: str) -> None:
        self.chain = chain
        self.contract: Contract = chain.contract(artifact("IssuerRegistry").abi, address)

    @classmethod
    def from_home(cls, chain: Chain, home: Path) -> IssuerRegistry:
        """The deployed system registry of ``home``."""
        return cls(chain, Deployments(home, chain.chain_id).address("IssuerRegistry"))

    def register(
        self, governance: LocalAccount, thumbprint: bytes, name: str, schemas: list[RecordSchema]
    ) -> Receipt:
        """Register an issuer key for ``schemas`` (governance only)."""
        fn = self.contract.functions.registerIssuer(thumbprint, name, [s.schema_id for s in schemas])
        return self.chain.transact(governance, fn)

    def revoke(self, governance: LocalAccount, thumbprint: bytes) -> Receipt:
        """Revoke an issuer key (governance only)."""
        return self.chain.transact(governance, self.contract.functions.revokeIssuer(thumbprint))

    def is_authorized(self, thumbprint: bytes, schema_id: bytes) -> bool:
        """True when the key is registered, unrevoked and allowed for the schema."""
        return bool(self.chain.call(self.contract.functions.isAuthorized(thumbprint, schema_id)))


@dataclass(frozen=True)
class DatasetInfo:
    """A dataset as the pool holds it."""

    dataset_id: int
    creator: str
    curator: str
    schema_id: bytes
    policy_hash: bytes
    reward: int
    budget: int
    review_window: int
    closed_at: int
    min_k: int
    closed: bool
    accepted: int
    pending: int
    policy_cid: str


@dataclass(frozen=True)
class ContributionInfo:
    """One contribution as the pool holds it."""

    contribution_id: int
    dataset_id: int
    nullifier: bytes
    content_digest: bytes
    payee: str
    submitted_at: int
    status: str
    issuer: bytes


class DatasetPool:
    """The contribution pool: create/fund/close datasets, contribute, accept/reject, withdraw."""

    def __init__(self, chain: Chain, address: str, token: str, registry: IssuerRegistry) -> None:
        self.chain = chain
        self.address = checksum(address)
        self.contract: Contract = chain.contract(artifact("DatasetPool").abi, self.address)
        self.token: Contract = chain.contract(artifact("AIUSD").abi, token)
        self.registry = registry

    @classmethod
    def from_home(cls, chain: Chain, home: Path) -> DatasetPool:
        """The deployed system pool of ``home``."""
        book = Deployments(home, chain.chain_id)
        registry = IssuerRegistry(chain, book.address("IssuerRegistry"))
        return cls(chain, book.address("DatasetPool"), book.address("AIUSD"), registry)

    def _permit(self, owner: LocalAccount, value: int, deadline: int) -> tuple[int, bytes, bytes]:
        nonce = self.chain.call(self.token.functions.nonces(owner.address))
        typed = {
            "domain": {
                "name": "AI USD",
                "version": "1",
                "chainId": self.chain.chain_id,
                "verifyingContract": self.token.address,
            },
            "types": {
                "Permit": [
                    {"name": "owner", "type": "address"},
                    {"name": "spender", "type": "address"},
                    {"name": "value", "type": "uint256"},
                    {"name": "nonce", "type": "uint256"},
                    {"name": "deadline", "type": "uint256"},
                ]
            },
            "primaryType": "Permit",
            "message": {
                "owner": owner.address,
                "spender": self.address,
                "value": value,
                "nonce": nonce,
                "deadline": deadline,
            },
        }
        signed = Account.sign_typed_data(owner.key, full_message=typed)
        return signed.v, signed.r.to_bytes(32, "big"), signed.s.to_bytes(32, "big")

    def create_dataset(
        self,
        creator: LocalAccount,
        schema: RecordSchema,
        policy: DisclosurePolicy,
        policy_cid: str,
        *,
        curator: str,
        reward: int,
        budget: int,
        review_window: int = 7 * 24 * 3600,
        permit: bool = True,
    ) -> int:
        """Open a dataset and pull its budget (with an EIP-2612 permit, or a prior approval)."""
        policy.check_against(schema)
        params = (
            schema.schema_id,
            policy.policy_hash,
            policy_cid,
            checksum(curator),
            reward,
            budget,
            policy.min_k,
            review_window,
        )
        if permit:
            deadline = self.chain.block_time() + 3600
            v, r, s = self._permit(creator, budget, deadline)
            fn = self.contract.functions.createDatasetWithPermit(params, deadline, v, r, s)
        else:
            fn = self.contract.functions.createDataset(params)
        receipt = self.chain.transact(creator, fn)
        (event,) = self.chain.events(self.contract, "DatasetCreated", receipt)
        return int(event["datasetId"])

    def dataset(self, dataset_id: int) -> DatasetInfo:
        """The dataset's parameters and balances."""
        d = self.chain.call(self.contract.functions.dataset(dataset_id))
        return DatasetInfo(dataset_id, checksum(d[0]), checksum(d[1]), bytes(d[2]), bytes(d[3]), *d[4:13])

    def fund(self, funder: LocalAccount, dataset_id: int, amount: int) -> Receipt:
        """Add budget (approves the pool first)."""
        self.chain.transact(funder, self.token.functions.approve(self.address, amount))
        return self.chain.transact(funder, self.contract.functions.fund(dataset_id, amount))

    def contribute(
        self, sender: LocalAccount, dataset_id: int, content_digest: bytes, payee: str, authorization: bytes
    ) -> tuple[int, Receipt]:
        """Submit a contribution authorized by its nullifier key's signature (see
        ``records.authorize_contribution``); returns its id and receipt. Anyone may send it."""
        fn = self.contract.functions.contribute(dataset_id, content_digest, checksum(payee), authorization)
        receipt = self.chain.transact(sender, fn)
        (event,) = self.chain.events(self.contract, "Contributed", receipt)
        return int(event["contributionId"]), receipt

    def accept(self, curator: LocalAccount, contribution_id: int, issuer: bytes) -> Receipt:
        """Attest a verified contribution and pay its payee (curator only)."""
        return self.chain.transact(curator, self.contract.functions.accept(contribution_id, issuer))

    def reject(self, curator: LocalAccount, contribution_id: int, reason: str) -> Receipt:
        """Refuse a contribution (curator only); frees its nullifier."""
        return self.chain.transact(curator, self.contract.functions.reject(contribution_id, reason[:200]))

    def expire(self, sender: LocalAccount, contribution_id: int) -> Receipt:
        """Release a contribution left unreviewed past the review window (anyone)."""
        return self.chain.transact(sender, self.contract.functions.expire(contribution_id))

    def close(self, creator: LocalAccount, dataset_id: int) -> Receipt:
        """Stop new contributions (creator only)."""
        return self.chain.transact(creator, self.contract.functions.close(dataset_id))

    def withdraw(self, creator: LocalAccount, dataset_id: int) -> int:
        """Take back the budget of a closed dataset (once its pending contributions were reviewed
        or the review window after closing passed); returns the amount."""
        receipt = self.chain.transact(creator, self.contract.functions.withdraw(dataset_id))
        (event,) = self.chain.events(self.contract, "BudgetWithdrawn", receipt)
        return int(event["amount"])

    def contribution(self, contribution_id: int) -> ContributionInfo:
        """One contribution by id."""
        c = self.chain.call(self.contract.functions.contribution(contribution_id))
        return _info(contribution_id, c)

    def contributions(self, dataset_id: int) -> list[ContributionInfo]:
        """Every contribution to a dataset, in submission order (one batched RPC round)."""
        count = int(self.chain.call(self.contract.functions.contributionCount()))
        if count == 0:
            return []
        fn = self.contract.functions.contribution
        calls: list[tuple[str, list[Any]]] = [
            ("eth_call", [{"to": self.address, "data": "0x" + encode_call(fn(i)).hex()}, "latest"])
            for i in range(1, count + 1)
        ]
        out = []
        types = ["(bytes32,bytes32,address,uint48,uint40,uint8,bytes32)"]
        for i, raw in enumerate(self.chain.rpc_batch(calls), start=1):
            (c,) = self.contract.w3.codec.decode(types, bytes.fromhex(raw[2:]))
            if int(c[3]) == dataset_id:
                out.append(_info(i, c))
        return out

    def nullifier_holder(self, dataset_id: int, nullifier: bytes) -> int:
        """The pending or accepted contribution holding ``nullifier`` in a dataset (0: none)."""
        return int(self.chain.call(self.contract.functions.nullifierHolder(dataset_id, nullifier)))

    def dataset_ids(self) -> list[int]:
        """Every dataset id in the pool."""
        return list(range(1, int(self.chain.call(self.contract.functions.datasetCount())) + 1))

    def balance(self, address: str) -> int:
        """AIUSD balance of an address (6 decimals)."""
        return int(self.chain.call(self.token.functions.balanceOf(checksum(address))))

    def require_dataset(self, dataset_id: int) -> DatasetInfo:
        """Like :meth:`dataset` with a user-facing error for unknown ids."""
        if dataset_id < 1 or dataset_id > int(self.chain.call(self.contract.functions.datasetCount())):
            raise InputError(
                f"no dataset {dataset_id} in the pool at {self.address}; see `aiweb3 dataset list`"
            )
        return self.dataset(dataset_id)


def _info(contribution_id: int, c: Any) -> ContributionInfo:
    nullifier, digest, payee, dataset_id, submitted_at, status, issuer = c
    return ContributionInfo(
        contribution_id,
        int(dataset_id),
        bytes(nullifier),
        bytes(digest),
        checksum(payee),
        int(submitted_at),
        STATUS[int(status)],
        bytes(issuer),
    )
