"""Client of the ``TaskEscrow`` contract: post (budget pulled with a permit), accept, deliver,
approve, reject, resolve, refund, claim, and proof-gated delivery (with a required audit: the
proof then counts only for a model the named auditor attested on EAS)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from pathlib import Path
from typing import Any

from eth_account.signers.local import LocalAccount
from eth_utils import keccak, to_checksum_address
from web3.contract import Contract

from aiweb3.agents.eip3009 import TokenInfo
from aiweb3.agents.wallet import AgentWallet
from aiweb3.chain import Chain, Deployments, artifact
from aiweb3.errors import InputError

__all__ = ["EscrowTask", "TaskEscrow", "TaskStatus", "TaskTerms", "spec_hash"]

ZERO = "0x0000000000000000000000000000000000000000"
ZERO32 = b"\0" * 32


class TaskStatus(IntEnum):
    """The escrow's task states (the contract's ``Status`` enum)."""

    NONE = 0
    OPEN = 1
    ACCEPTED = 2
    DELIVERED = 3
    DISPUTED = 4
    COMPLETED = 5
    RESOLVED = 6
    REFUNDED = 7

    @property
    def holds_funds(self) -> bool:
        """True while the budget is still in escrow."""
        return self in (TaskStatus.OPEN, TaskStatus.ACCEPTED, TaskStatus.DELIVERED, TaskStatus.DISPUTED)


def spec_hash(spec: str | bytes) -> bytes:
    """keccak256 of a task description (or its content id)."""
    return keccak(spec.encode() if isinstance(spec, str) else spec)


@dataclass(frozen=True)
class TaskTerms:
    """What a requester fixes when posting.

    Attributes:
        budget: AIUSD base units held in escrow.
        arbiter: who settles a dispute (cannot take the money, only split it).
        provider: the only account that may accept, or None for anyone.
        accept_within / deliver_within: seconds from now until the accept and delivery deadlines.
        review_window: seconds the requester has to approve or reject a delivery (else it is paid).
        dispute_window: seconds the arbiter has to resolve (else the requester is refunded).
        model_id: a registered model; delivery then needs a verified inference and pays at once.
        spec: the task description or its content id.
        input_commitment: with ``model_id``, the input the proof must answer: the commitment its
            first ``input_instances`` public instances make (``CompiledModel.input_commitment``
            for a ``hashed`` input). Empty: any input (a private-input model commits to none).
        input_instances: how many leading instances commit to the input (``CompiledModel.input_instances``).
        auditor: with ``model_id``, the auditor whose valid EAS model audit of that model the
            delivery must carry (checked on chain when the proof is delivered). None: no audit.
    """

    budget: int
    arbiter: str
    provider: str | None = None
    accept_within: int = 3600
    deliver_within: int = 86400
    review_window: int = 86400
    dispute_window: int = 7 * 86400
    model_id: bytes = ZERO32
    spec: str = ""
    input_commitment: bytes = ZERO32
    input_instances: int = 0
    auditor: str | None = None

    def __post_init__(self) -> None:
        if self.budget <= 0:
            raise InputError("task budget must be positive")
        if self.accept_within <= 0 or self.deliver_within < self.accept_within:
            raise InputError("deadlines: accept_within > 0 and deliver_within >= accept_within")
        if len(self.model_id) != 32:
            raise InputError("model_id must be 32 bytes")
        if len(self.input_commitment) != 32 or not 0 <= self.input_instances <= 255:
            raise InputError("input_commitment must be 32 bytes and input_instances 0..255")
        if (self.input_instances == 0) != (self.input_commitment == ZERO32):
            raise InputError("give both input_commitment and input_instances (> 0), or neither")
        if self.input_instances and self.model_id == ZERO32:
            raise InputError("an input commitment needs a model_id (a proof-gated task)")
        if self.auditor and self.model_id == ZERO32:
            raise InputError("requiring an audit needs a model_id (a proof-gated task)")

    def encode(self, now: int) -> tuple[Any, ...]:
        """The contract's ``Terms`` tuple, with deadlines counted from ``now``."""
        return (
            self.budget,
            to_checksum_address(self.provider) if self.provider else ZERO,
            to_checksum_address(self.arbiter),
            now + self.accept_within,
            now + self.deliver_within,
            self.review_window,
            self.dispute_window,
            self.model_id,
            spec_hash(self.spec),
            self.input_commitment,
            self.input_instances,
            to_checksum_address(self.auditor) if self.auditor else ZERO,
        )


@dataclass(frozen=True)
class EscrowTask:
    """A task as the contract holds it."""

    task_id: int
    requester: str
    provider: str | None
    arbiter: str
    budget: int
    status: TaskStatus
    accept_by: int
    deliver_by: int
    review_window: int
    dispute_window: int
    delivered_at: int
    disputed_at: int
    model_id: bytes
    spec_hash: bytes
    outputs_hash: bytes
    paid_to_provider: int
    result_cid: str
    input_commitment: bytes = ZERO32
    input_instances: int = 0
    verified_block: int = 0
    auditor: str | None = None

    @property
    def proof_gated(self) -> bool:
        """True when delivery needs a verified inference."""
        return self.model_id != ZERO32

    @property
    def settled_by_proof(self) -> bool:
        """True when a proof the verifier accepted paid the task (in ``verified_block``)."""
        return self.verified_block != 0


class TaskEscrow:
    """The deployed ``TaskEscrow`` on one chain."""

    def __init__(self, chain: Chain, address: str, token: TokenInfo) -> None:
        self.chain = chain
        self.address = to_checksum_address(address)
        self.token = token
        self.contract: Contract = chain.contract(artifact("TaskEscrow").abi, self.address)
        self._aiusd = chain.contract(artifact("AIUSD").abi, token.address)

    @classmethod
    def from_home(cls, chain: Chain, home: Path) -> TaskEscrow:
        """The escrow recorded in ``<home>/deployments`` for this chain."""
        book = Deployments(home, chain.chain_id)
        return cls(chain, book.address("TaskEscrow"), TokenInfo(book.address("AIUSD"), chain.chain_id))

    # -- requester ------------------------------------------------------------------------------
    def post(self, wallet: AgentWallet, terms: TaskTerms) -> int:
        """Post a task, pulling the budget with an EIP-2612 permit the wallet signs within its policy.

        The policy must allow the escrow contract and the provider (or the escrow itself for an
        open task) as counterparty. Returns the task id.
        """
        now = self._now()
        deadline = now + 600
        nonce = int(self.chain.call(self._aiusd.functions.nonces(wallet.address)))
        counterparty = terms.provider or self.address
        v, r, s = wallet.permit(
            self.token, self.address, terms.budget, nonce=nonce, deadline=deadline,
            counterparty=counterparty, purpose=f"escrow budget: {terms.spec[:60]}",
        )  # fmt: skip
        fn = self.contract.functions.postWithPermit(terms.encode(now), deadline, v, r, s)
        receipt = wallet.transact(self.chain, fn)
        return int(self.chain.events(self.contract, "TaskPosted", receipt)[0]["taskId"])

    def approve(self, signer: AgentWallet | LocalAccount, task_id: int) -> dict[str, Any]:
        """Accept a delivery and pay the provider."""
        return self._send(signer, self.contract.functions.approve(task_id))

    def reject(self, signer: AgentWallet | LocalAccount, task_id: int) -> dict[str, Any]:
        """Reject a delivery into a dispute."""
        return self._send(signer, self.contract.functions.reject(task_id))

    def cancel(self, signer: AgentWallet | LocalAccount, task_id: int) -> dict[str, Any]:
        """Withdraw an open task."""
        return self._send(signer, self.contract.functions.cancel(task_id))

    # -- provider -------------------------------------------------------------------------------
    def accept(self, signer: AgentWallet | LocalAccount, task_id: int) -> dict[str, Any]:
        """Take an open task."""
        return self._send(signer, self.contract.functions.accept(task_id))

    def deliver(self, signer: AgentWallet | LocalAccount, task_id: int, result_cid: str) -> dict[str, Any]:
        """Deliver a result content id."""
        return self._send(signer, self.contract.functions.deliver(task_id, result_cid))

    def deliver_with_proof(
        self,
        signer: AgentWallet | LocalAccount,
        task_id: int,
        result_cid: str,
        proof: bytes,
        instances: list[int],
        *,
        audit_uid: str | None = None,
    ) -> dict[str, Any]:
        """Deliver with an inference proof; a verified proof pays the provider in the same tx.

        A task that requires an audit is delivered with ``audit_uid``, the attestation the escrow
        checks; when it is not given, the newest valid audit of the task's model by its auditor is
        looked up on EAS (InputError when there is none).
        """
        auditor = self.task(task_id).auditor
        if auditor is None:
            fn = self.contract.functions.deliverWithProof(task_id, result_cid, proof, instances)
        else:
            uid = audit_uid or self.valid_audit(task_id)
            fn = self.contract.functions.deliverWithAuditedProof(
                task_id, result_cid, proof, instances, bytes.fromhex(uid.removeprefix("0x"))
            )
        return self._send(signer, fn)

    def valid_audit(self, task_id: int) -> str:
        """The UID of the newest audit on EAS that satisfies task ``task_id``'s audit requirement
        now: by its auditor, of its model, unrevoked, unexpired. InputError when there is none."""
        # imported here: aiweb3.zkml loads ezkl, which only a delivery to an audited task needs
        from aiweb3.chain.eas import EASClient
        from aiweb3.zkml import model_audits

        task = self.task(task_id)
        if task.auditor is None:
            raise InputError(f"task {task_id} requires no audit")
        model_id = "0x" + task.model_id.hex()
        eas = EASClient(self.chain, str(self.chain.call(self.contract.functions.eas())))
        now = self._now()
        valid = [
            a for a in model_audits(eas, model_id)
            if a.auditor == task.auditor and a.problem(now) is None
        ]  # fmt: skip
        if not valid:
            raise InputError(
                f"task {task_id} requires an audit of model {model_id} by {task.auditor}, and none is "
                "valid on chain (ask that auditor for `aiweb3 model audit-attest`)"
            )
        return valid[-1].uid

    # -- arbiter and anyone ------------------------------------------------------------------------
    def resolve(
        self, signer: AgentWallet | LocalAccount, task_id: int, provider_share: int
    ) -> dict[str, Any]:
        """Settle a dispute (arbiter only)."""
        return self._send(signer, self.contract.functions.resolve(task_id, provider_share))

    def refund(self, signer: AgentWallet | LocalAccount, task_id: int) -> dict[str, Any]:
        """Refund the requester of a task past its deadline."""
        return self._send(signer, self.contract.functions.refund(task_id))

    def claim(self, signer: AgentWallet | LocalAccount, task_id: int) -> dict[str, Any]:
        """Pay the provider of a delivery left unreviewed past the review window."""
        return self._send(signer, self.contract.functions.claim(task_id))

    # -- reads ------------------------------------------------------------------------------------
    def task(self, task_id: int) -> EscrowTask:
        """One task (UnknownTask revert for an id never posted)."""
        t = self.chain.call(self.contract.functions.getTask(task_id))
        return EscrowTask(
            task_id=task_id,
            requester=to_checksum_address(t[0]),
            provider=None if int(t[1], 16) == 0 else to_checksum_address(t[1]),
            arbiter=to_checksum_address(t[2]),
            budget=int(t[3]),
            status=TaskStatus(int(t[4])),
            accept_by=int(t[5]),
            deliver_by=int(t[6]),
            review_window=int(t[7]),
            dispute_window=int(t[8]),
            delivered_at=int(t[9]),
            disputed_at=int(t[10]),
            model_id=bytes(t[11]),
            spec_hash=bytes(t[12]),
            outputs_hash=bytes(t[13]),
            paid_to_provider=int(t[14]),
            result_cid=str(t[15]),
            input_commitment=bytes(t[16]),
            input_instances=int(t[17]),
            verified_block=int(t[18]),
            auditor=None if int(t[19], 16) == 0 else to_checksum_address(t[19]),
        )

    def proof_used_by(self, model_id: bytes, proof: bytes) -> int:
        """The task ``proof`` already paid (0: unused); a proof pays at most one task."""
        key = self.chain.call(self.contract.functions.proofKey(model_id, proof))
        return int(self.chain.call(self.contract.functions.proofUsedBy(key)))

    def count(self) -> int:
        """How many tasks were ever posted."""
        return int(self.chain.call(self.contract.functions.taskCount()))

    def tasks(self) -> list[EscrowTask]:
        """Every task, oldest first."""
        return [self.task(i) for i in range(1, self.count() + 1)]

    def balance(self) -> int:
        """AIUSD the escrow holds."""
        return int(self.chain.call(self._aiusd.functions.balanceOf(self.address)))

    def total_escrowed(self) -> int:
        """The contract's own count of budgets it holds."""
        return int(self.chain.call(self.contract.functions.totalEscrowed()))

    # -- internals ---------------------------------------------------------------------------------
    def _send(self, signer: AgentWallet | LocalAccount, fn: Any) -> dict[str, Any]:
        if isinstance(signer, AgentWallet):
            return signer.transact(self.chain, fn)
        return self.chain.transact(signer, fn)

    def _now(self) -> int:
        return self.chain.block_time()
