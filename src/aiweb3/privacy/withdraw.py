"""Deposits and withdrawals with notes, and the relayer.

- :func:`deposit_note`: make a note, store it encrypted, then deposit its commitment.
- :func:`prepare_withdrawal`: rebuild the deposit tree and the association set from the events,
  prove membership in both, bind the payout (recipient, relayer, fee) and the pool; the result is a
  :class:`WithdrawalRequest`, a self-contained JSON document with nothing secret in it.
- :func:`submit_withdrawal`: anyone sends it (the recipient needs no gas of its own if a
  relayer does).
- :func:`check_request` / :func:`relay`: what a relayer does with a request file: refuse it
  unless it pays this relayer at least its fee, targets the pool it serves, is unspent, uses known
  roots and its proof verifies; then submit it and pay the gas.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from eth_account.signers.local import LocalAccount

from aiweb3.chain import Chain, checksum
from aiweb3.errors import InputError
from aiweb3.files import atomic_write_json
from aiweb3.privacy.notes import Note, NoteBook, NoteSecrets, derive_secrets
from aiweb3.privacy.pool import ShieldedPool
from aiweb3.privacy.zk import (
    FIELD_SIZE,
    WithdrawalWitness,
    ZkArtifacts,
    note_hashes,
    prove_withdrawal,
    verify_withdrawal,
)

__all__ = [
    "WithdrawalRequest",
    "check_request",
    "deposit_note",
    "prepare_withdrawal",
    "relay",
    "submit_withdrawal",
]


@dataclass(frozen=True)
class WithdrawalRequest:
    """A proven withdrawal, ready for anyone to submit."""

    pool: str
    chain_id: int
    proof: tuple[int, ...]
    root: int
    nullifier_hash: int
    recipient: str
    relayer: str
    fee: int
    association_root: int

    def public_signals(self) -> list[int]:
        """The circuit's public signals in order."""
        return [self.root, self.nullifier_hash, int(self.recipient, 16), int(self.relayer, 16), self.fee,
                self.chain_id, int(self.pool, 16), self.association_root]  # fmt: skip

    def to_json(self) -> dict[str, Any]:
        """The request file's content (numbers as decimal strings)."""
        data = asdict(self)
        for key in ("root", "nullifier_hash", "fee", "association_root"):
            data[key] = str(data[key])
        data["proof"] = [str(x) for x in self.proof]
        return data

    @classmethod
    def from_json(cls, data: Any) -> WithdrawalRequest:
        """Parse and check a request file's content; a malformed one raises InputError."""
        fields = ("pool", "chain_id", "proof", "root", "nullifier_hash", "recipient", "relayer", "fee",
                  "association_root")  # fmt: skip
        if not isinstance(data, dict) or not set(fields) <= data.keys():
            raise InputError(f"not a withdrawal request: it needs the fields {', '.join(fields)}")
        try:
            proof = tuple(int(str(x)) for x in data["proof"])
            request = cls(
                pool=checksum(str(data["pool"])),
                chain_id=int(data["chain_id"]),
                proof=proof,
                root=int(str(data["root"])),
                nullifier_hash=int(str(data["nullifier_hash"])),
                recipient=checksum(str(data["recipient"])),
                relayer=checksum(str(data["relayer"])),
                fee=int(str(data["fee"])),
                association_root=int(str(data["association_root"])),
            )
        except (TypeError, ValueError) as exc:
            if isinstance(exc, InputError):
                raise
            raise InputError(f"withdrawal request: a number field is not a number ({exc})") from None
        if len(proof) != 8 or any(not 0 <= x < 2**256 for x in proof):
            raise InputError("withdrawal request: the proof must be eight 256-bit numbers")
        if any(not 0 <= x < FIELD_SIZE for x in request.public_signals()):
            raise InputError("withdrawal request: a public input is outside the proof system's field")
        return request

    def save(self, path: Path) -> None:
        """Write the request file atomically."""
        atomic_write_json(path, self.to_json())

    @classmethod
    def load(cls, path: Path) -> WithdrawalRequest:
        """Read a request file."""
        try:
            return cls.from_json(json.loads(Path(path).read_text()))
        except FileNotFoundError:
            raise InputError(f"no withdrawal request at {path}") from None
        except ValueError as exc:
            if isinstance(exc, InputError):
                raise
            raise InputError(f"{path} is not valid JSON") from None


def deposit_note(
    chain: Chain, pool: ShieldedPool, signer: LocalAccount, notes: NoteBook, password: str
) -> Note:
    """Create a note, store it (encrypted) and deposit the pool's denomination against it."""
    seed = NoteBook.new_seed()
    secrets = derive_secrets(seed)
    commitment, _ = note_hashes(secrets.nullifier, secrets.secret)
    note = Note(pool.address, chain.chain_id, commitment, pool.denomination)
    notes.save(note, seed, password)  # first: a deposit is never without its note
    leaf_index, tx, _ = pool.deposit(signer, commitment)
    return notes.with_deposit(note, leaf_index, tx)


def prepare_withdrawal(
    chain: Chain,
    pool: ShieldedPool,
    note: Note,
    secrets: NoteSecrets,
    zk: ZkArtifacts,
    *,
    recipient: str,
    relayer: str | None = None,
    fee: int = 0,
) -> WithdrawalRequest:
    """Prove the withdrawal of ``note`` to ``recipient`` (``fee`` of it to ``relayer``)."""
    if note.pool != pool.address or note.chain_id != chain.chain_id:
        raise InputError(f"the note belongs to pool {note.pool} on chain {note.chain_id}, not this one")
    relayer_address = checksum(relayer) if relayer else "0x" + "00" * 20
    if not 0 <= fee <= note.denomination:
        raise InputError(f"the fee must be between 0 and the denomination ({note.denomination} base units)")
    if fee and not relayer:
        raise InputError("a fee goes to a relayer: name it (--relayer ADDRESS)")
    commitment, nullifier_hash = note_hashes(secrets.nullifier, secrets.secret)
    if commitment != note.commitment:
        raise InputError("the note's secrets do not match its commitment (a damaged note file?)")
    if pool.is_spent(nullifier_hash):
        raise InputError(f"note {note.id[:12]} was withdrawn already")
    deposits = pool.deposits()
    leaves = [d.commitment for d in deposits]
    if commitment not in leaves:
        raise InputError(f"note {note.id[:12]} has no deposit in pool {pool.address} (was the deposit sent?)")
    sets = [s for s in pool.association_sets() if commitment in s.leaves(deposits)]
    if not sets:
        raise InputError(
            "no published association set contains this deposit yet; ask the pool's provider "
            f"({pool.association_provider}) to publish one (`aiweb3 privacy associate`)"
        )
    chosen = sets[-1]
    association = chosen.leaves(deposits)
    witness = WithdrawalWitness(
        leaves=leaves,
        index=leaves.index(commitment),
        association_leaves=association,
        association_index=association.index(commitment),
        nullifier=secrets.nullifier,
        secret=secrets.secret,
        recipient=checksum(recipient),
        relayer=relayer_address,
        fee=fee,
        chain_id=chain.chain_id,
        pool=pool.address,
    )
    proof, signals = prove_withdrawal(zk, witness)
    request = WithdrawalRequest(pool.address, chain.chain_id, tuple(proof), signals[0], signals[1],
                                checksum(recipient), relayer_address, fee, signals[7])  # fmt: skip
    if request.public_signals() != signals:
        raise InputError("the prover bound other public inputs than requested")
    if signals[7] != chosen.root:
        raise InputError("the association set rebuilt from the events does not match its published root")
    if not pool.is_known_root(request.root):
        raise InputError("the deposit tree rebuilt from the events does not match the pool's roots; retry")
    return request


def _call_args(request: WithdrawalRequest) -> tuple[Any, ...]:
    return (list(request.proof), request.root, request.nullifier_hash, request.recipient, request.relayer,
            request.fee, request.association_root)  # fmt: skip


def submit_withdrawal(
    chain: Chain, pool: ShieldedPool, signer: LocalAccount, request: WithdrawalRequest
) -> dict[str, Any]:
    """Send the withdrawal (``signer`` pays the gas); reverts are raised as TransactionReverted."""
    return dict(chain.transact(signer, pool.contract.functions.withdraw(*_call_args(request))))


def check_request(
    chain: Chain,
    pool: ShieldedPool,
    request: WithdrawalRequest,
    zk: ZkArtifacts,
    *,
    relayer: str,
    min_fee: int,
) -> None:
    """Raise InputError unless a relayer at ``relayer`` should submit ``request``."""
    if request.chain_id != chain.chain_id or request.pool != pool.address:
        raise InputError(f"the request is for pool {request.pool} on chain {request.chain_id}; "
                         f"this relayer serves {pool.address} on chain {chain.chain_id}")  # fmt: skip
    if request.relayer != checksum(relayer):
        raise InputError(f"the request pays its fee to {request.relayer}, not to this relayer ({relayer})")
    if request.fee < min_fee:
        raise InputError(f"the fee {request.fee} is below this relayer's minimum of {min_fee} base units")
    if request.fee > pool.denomination:
        raise InputError("the fee is above the pool's denomination")
    if pool.is_spent(request.nullifier_hash):
        raise InputError("this note was withdrawn already (its nullifier is spent)")
    if not pool.is_known_root(request.root):
        raise InputError("the request's tree root is not one of the pool's recent roots; prove again")
    if not pool.is_association_root(request.association_root):
        raise InputError("the request's association root was not published by the pool's provider")
    if not verify_withdrawal(zk, list(request.proof), request.public_signals()):
        raise InputError("the request's proof does not verify; refusing to pay gas for it")


def relay(
    chain: Chain, pool: ShieldedPool, relayer: LocalAccount, request: WithdrawalRequest, zk: ZkArtifacts,
    *, min_fee: int = 0,
) -> dict[str, Any]:  # fmt: skip
    """Check ``request`` and submit it, paying the gas; the fee comes back to ``relayer``."""
    check_request(chain, pool, request, zk, relayer=relayer.address, min_fee=min_fee)
    return submit_withdrawal(chain, pool, relayer, request)
