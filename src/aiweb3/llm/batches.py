"""Receipt batches on chain: post the Merkle root of many receipt hashes, challenge one in a window.

The ``ReceiptBatches`` contract (contracts/src/ReceiptBatches.sol) stores, per batch, its
provider, the Merkle root of its receipt hashes and a challenge deadline. Anyone who re-executes a
receipt of the batch (``aiweb3 llm verify``) and gets other bytes records a challenge with a
Merkle proof; a batch no one challenged before its deadline is final. The chain does not re-run
the model: a challenge is a public claim that anyone can check off chain by re-executing.

Merkle tree: the OpenZeppelin ``MerkleProof`` convention — leaf ``keccak256(keccak256(h))`` for a
32-byte receipt hash ``h``, pairs hashed sorted, an odd node carried up unchanged.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from eth_account.signers.local import LocalAccount
from eth_utils import keccak, to_checksum_address
from web3.contract import Contract

from aiweb3.chain import Chain
from aiweb3.chain.contracts import artifact
from aiweb3.crypto.sorted_merkle import sorted_proof, sorted_root
from aiweb3.errors import InputError

__all__ = ["BatchInfo", "ReceiptBatches", "batch_proof", "batch_root"]


def _leaf(receipt_hash: bytes) -> bytes:
    if len(receipt_hash) != 32:
        raise InputError(f"a receipt hash is 32 bytes, not {len(receipt_hash)}")
    return keccak(keccak(receipt_hash))


def batch_root(receipt_hashes: Sequence[bytes]) -> bytes:
    """The Merkle root the contract stores for these receipt hashes (in this order)."""
    return sorted_root([_leaf(h) for h in receipt_hashes], "receipt")


def batch_proof(receipt_hashes: Sequence[bytes], index: int) -> list[bytes]:
    """The sibling hashes proving that ``receipt_hashes[index]`` is in the batch."""
    if not 0 <= index < len(receipt_hashes):
        raise InputError(f"receipt #{index} is not in a batch of {len(receipt_hashes)}")
    return sorted_proof([_leaf(h) for h in receipt_hashes], index, "receipt")


@dataclass(frozen=True)
class BatchInfo:
    """A posted batch as the contract reports it."""

    batch_id: int
    provider: str
    root: bytes
    count: int
    posted_at: int
    challenge_deadline: int
    challenges: int
    final: bool


class ReceiptBatches:
    """A client of one deployed ``ReceiptBatches`` contract."""

    def __init__(self, chain: Chain, address: str) -> None:
        self.chain = chain
        self.contract: Contract = chain.contract(artifact("ReceiptBatches").abi, address)
        self.address = self.contract.address

    @classmethod
    def deploy(cls, chain: Chain, signer: LocalAccount, challenge_window: int) -> ReceiptBatches:
        """Deploy a new contract whose batches stay open ``challenge_window`` seconds."""
        if challenge_window <= 0:
            raise InputError("the challenge window must be a positive number of seconds")
        art = artifact("ReceiptBatches")
        address, _ = chain.deploy(signer, art.abi, art.bytecode, challenge_window)
        return cls(chain, address)

    def post(self, signer: LocalAccount, receipt_hashes: Sequence[bytes]) -> int:
        """Post a batch; returns its id."""
        root = batch_root(receipt_hashes)
        receipt = self.chain.transact(signer, self.contract.functions.postBatch(root, len(receipt_hashes)))
        (event,) = self.chain.events(self.contract, "BatchPosted", receipt)
        return int(event["batchId"])

    def challenge(
        self,
        signer: LocalAccount,
        batch_id: int,
        receipt_hashes: Sequence[bytes],
        index: int,
        reexecuted_output_sha256: bytes,
    ) -> None:
        """Challenge receipt ``index`` of a batch with the SHA-256 of the output re-execution gave."""
        proof = batch_proof(receipt_hashes, index)
        fn = self.contract.functions.challenge(
            batch_id, receipt_hashes[index], proof, reexecuted_output_sha256
        )
        self.chain.transact(signer, fn)

    def challenger(self, batch_id: int, receipt_hash: bytes) -> str | None:
        """Who challenged this receipt in this batch, or None."""
        who = str(self.chain.call(self.contract.functions.challengerOf(batch_id, receipt_hash)))
        return None if int(who, 16) == 0 else to_checksum_address(who)

    def info(self, batch_id: int) -> BatchInfo:
        """The batch and whether it is final."""
        raw, final = self.chain.call(self.contract.functions.batch(batch_id))
        provider, root, count, posted_at, deadline, challenges = raw
        return BatchInfo(
            batch_id,
            to_checksum_address(str(provider)),
            bytes(root),
            int(count),
            int(posted_at),
            int(deadline),
            int(challenges),
            bool(final),
        )
