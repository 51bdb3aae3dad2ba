"""Client of the ``AgentRegistry`` contract: agent cards, reputation, validations and search."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from eth_account.signers.local import LocalAccount
from eth_utils import to_checksum_address
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from web3.contract import Contract

from aiweb3.agents.wallet import AgentWallet
from aiweb3.chain import Chain, Deployments, artifact
from aiweb3.errors import InputError, TransactionReverted

__all__ = ["AgentCard", "AgentRecord", "AgentRegistry", "Feedback", "PriceItem", "Validation"]

_CAPABILITY = re.compile(r"^[a-z0-9][a-z0-9._-]{0,47}$")


class PriceItem(BaseModel):
    """What one capability costs: ``amount`` token base units per ``unit``."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    capability: str
    amount: int = Field(ge=0)
    unit: Literal["call", "mib-day", "task"] = "call"


class AgentCard(BaseModel):
    """An agent's public card (stored on chain as canonical JSON, at most 4 KiB).

    Attributes:
        name: a display name.
        description: what the agent does.
        capabilities: lowercase tags (``storage``, ``inference.breast-cancer``, ...).
        endpoint: the HTTP base URL the agent serves on.
        prices: one entry per priced capability.
        payment_schemes: how it is paid (``x402-exact``, ``escrow``).
        models: ids (0x + 64 hex) of the models whose verified inferences it sells, if any.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)
    name: str = Field(min_length=1, max_length=64)
    description: str = Field(default="", max_length=512)
    capabilities: list[str] = Field(min_length=1, max_length=16)
    endpoint: str = Field(pattern=r"^https?://[^\s]+$", max_length=256)
    prices: list[PriceItem] = Field(default_factory=list, max_length=16)
    payment_schemes: list[Literal["x402-exact", "escrow"]] = Field(min_length=1)
    models: list[str] = Field(default_factory=list, max_length=8)

    @field_validator("capabilities")
    @classmethod
    def _caps(cls, value: list[str]) -> list[str]:
        for cap in value:
            if not _CAPABILITY.match(cap):
                raise ValueError(f"{cap!r} is not a capability tag (lowercase a-z 0-9 . _ -)")
        return value

    @field_validator("models")
    @classmethod
    def _models(cls, value: list[str]) -> list[str]:
        for model in value:
            if not re.fullmatch(r"0x[0-9a-f]{64}", model):
                raise ValueError(f"{model!r} is not a model id (0x + 64 lowercase hex)")
        return value

    @classmethod
    def parse(cls, data: Any) -> AgentCard:
        """Validate a card; InputError names the first bad field."""
        if isinstance(data, (str, bytes)):
            try:
                data = json.loads(data)
            except ValueError as exc:
                raise InputError(f"agent card is not JSON: {exc}") from None
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            err = exc.errors()[0]
            where = ".".join(str(p) for p in err["loc"]) or "card"
            raise InputError(f"agent card field {where!r}: {err['msg']}") from None

    def to_json(self) -> str:
        """Canonical JSON (sorted keys, no spaces)."""
        return json.dumps(self.model_dump(), sort_keys=True, separators=(",", ":"))

    def price_of(self, capability: str) -> int | None:
        """The price of a capability, or None if the card does not price it."""
        return next((p.amount for p in self.prices if p.capability == capability), None)


@dataclass(frozen=True)
class AgentRecord:
    """A registered agent: identity, card and reputation."""

    agent_id: int
    owner: str
    wallet: str
    card: AgentCard
    feedback_count: int
    score_sum: int
    registered_at: int
    updated_at: int

    @property
    def reputation(self) -> float:
        """Mean feedback score (0-100); 0 without feedback."""
        return self.score_sum / self.feedback_count if self.feedback_count else 0.0


@dataclass(frozen=True)
class Feedback:
    """One feedback entry."""

    task_id: int
    author: str
    score: int
    comment_cid: str


@dataclass(frozen=True)
class Validation:
    """A validation record: a paid task's result backed by a verified inference."""

    task_id: int
    model_id: bytes
    outputs_hash: bytes
    inference_tx: bytes
    recorded_by: str


Signer = AgentWallet | LocalAccount


class AgentRegistry:
    """The deployed ``AgentRegistry`` on one chain."""

    def __init__(self, chain: Chain, address: str) -> None:
        self.chain = chain
        self.address = to_checksum_address(address)
        self.contract: Contract = chain.contract(artifact("AgentRegistry").abi, self.address)

    @classmethod
    def from_home(cls, chain: Chain, home: Path) -> AgentRegistry:
        """The registry recorded in ``<home>/deployments`` for this chain."""
        return cls(chain, Deployments(home, chain.chain_id).address("AgentRegistry"))

    def _send(self, signer: Signer, fn: Any) -> dict[str, Any]:
        if isinstance(signer, AgentWallet):
            return signer.transact(self.chain, fn)
        return self.chain.transact(signer, fn)

    # -- writes --------------------------------------------------------------------------------
    def register(self, signer: Signer, card: AgentCard | dict[str, Any], wallet: str | None = None) -> int:
        """Register an agent paid at ``wallet`` (default: the signer); returns its id."""
        parsed = card if isinstance(card, AgentCard) else AgentCard.parse(card)
        pay_to = to_checksum_address(wallet or signer.address)
        receipt = self._send(signer, self.contract.functions.register(pay_to, parsed.to_json()))
        return int(self.chain.events(self.contract, "AgentRegistered", receipt)[0]["agentId"])

    def update_card(self, signer: Signer, agent_id: int, card: AgentCard | dict[str, Any]) -> None:
        """Replace the card (owner only)."""
        parsed = card if isinstance(card, AgentCard) else AgentCard.parse(card)
        self._send(signer, self.contract.functions.updateCard(agent_id, parsed.to_json()))

    def give_feedback(self, signer: Signer, task_id: int, score: int, comment_cid: str = "") -> None:
        """Rate the other side of a completed, paid escrow task (0-100, once per task)."""
        if not 0 <= score <= 100:
            raise InputError(f"score must be 0..100, not {score}")
        self._send(signer, self.contract.functions.giveFeedback(task_id, score, comment_cid))

    def record_validation(self, signer: Signer, agent_id: int, task_id: int, inference_tx: str) -> None:
        """Record that a paid task's result is backed by the verified inference in ``inference_tx``."""
        tx = bytes.fromhex(inference_tx.removeprefix("0x"))
        self._send(signer, self.contract.functions.recordValidation(agent_id, task_id, tx))

    # -- reads ------------------------------------------------------------------------------------
    def get(self, agent_id: int) -> AgentRecord:
        """One agent (UnknownAgent revert for an unknown id)."""
        a = self.chain.call(self.contract.functions.getAgent(agent_id))
        return AgentRecord(
            agent_id=agent_id,
            owner=to_checksum_address(a[0]),
            wallet=to_checksum_address(a[1]),
            registered_at=int(a[2]),
            updated_at=int(a[3]),
            feedback_count=int(a[4]),
            score_sum=int(a[5]),
            card=AgentCard.parse(a[6]),
        )

    def by_wallet(self, wallet: str) -> AgentRecord | None:
        """The agent paid at ``wallet``, if any."""
        agent_id = int(self.chain.call(self.contract.functions.agentOfWallet(to_checksum_address(wallet))))
        return self.get(agent_id) if agent_id else None

    def all(self) -> list[AgentRecord]:
        """Every agent whose card parses (a malformed on-chain card is skipped)."""
        out = []
        for agent_id in range(1, int(self.chain.call(self.contract.functions.agentCount())) + 1):
            try:
                out.append(self.get(agent_id))
            except (InputError, TransactionReverted):
                continue
        return out

    def search(self, capability: str, *, max_price: int | None = None) -> list[AgentRecord]:
        """Agents offering ``capability`` (at most ``max_price`` per unit), best reputation first."""
        found = []
        for rec in self.all():
            if capability not in rec.card.capabilities:
                continue
            price = rec.card.price_of(capability)
            if max_price is not None and (price is None or price > max_price):
                continue
            found.append(rec)

        def rank(r: AgentRecord) -> tuple[float, int, int, int]:
            return (-r.reputation, -r.feedback_count, r.card.price_of(capability) or 0, r.agent_id)

        return sorted(found, key=rank)

    def feedback(self, agent_id: int) -> list[Feedback]:
        """Feedback an agent received."""
        rows = self.chain.call(self.contract.functions.feedbackOf(agent_id))
        return [Feedback(int(r[0]), to_checksum_address(r[1]), int(r[2]), str(r[3])) for r in rows]

    def validations(self, agent_id: int) -> list[Validation]:
        """Validation records of an agent."""
        rows = self.chain.call(self.contract.functions.validationsOf(agent_id))
        return [
            Validation(int(r[0]), bytes(r[1]), bytes(r[2]), bytes(r[3]), to_checksum_address(r[4]))
            for r in rows
        ]

    def check_validation(self, validation: Validation, verifier: str) -> bool:
        """True when ``validation.inference_tx`` succeeded and emitted ``InferenceVerified`` for its
        model from ``verifier`` (the ModelRegistry, or the test oracle) with the recorded outputs."""
        from eth_utils import keccak

        receipt = self.chain.rpc("eth_getTransactionReceipt", ["0x" + validation.inference_tx.hex()])
        if not receipt or int(receipt["status"], 16) != 1:
            return False
        topic = "0x" + keccak(text="InferenceVerified(bytes32,bytes32,bytes32,address)").hex()
        for log in receipt["logs"]:
            if (
                to_checksum_address(log["address"]) == to_checksum_address(verifier)
                and log["topics"][0] == topic
                and bytes.fromhex(log["topics"][1][2:]) == validation.model_id
                and bytes.fromhex(log["data"][2 + 64 : 2 + 128]) == validation.outputs_hash
            ):
                return True
        return False
