"""Client of the ``AgentRegistry`` contract: agent cards, reputation, validations and search."""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from eth_account.signers.local import LocalAccount
from eth_utils import keccak, to_checksum_address
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from web3.contract import Contract

from aiweb3.agents.wallet import AgentWallet
from aiweb3.chain import Chain, Deployments, artifact
from aiweb3.crypto.typed_data import Domain, sign_typed
from aiweb3.errors import InputError, TransactionReverted

__all__ = [
    "PRIOR_PAID",
    "PRIOR_SCORE",
    "AgentCard",
    "AgentRecord",
    "AgentRegistry",
    "Feedback",
    "PriceItem",
    "Reputation",
    "Validation",
    "WalletConsent",
    "sign_wallet_consent",
]

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


#: The prior every reputation starts from: as if one counterparty had paid ``PRIOR_PAID`` and
#: given ``PRIOR_SCORE``. Thin reputations (few, small or self-made payments) stay near it.
PRIOR_SCORE = 50.0
PRIOR_PAID = 10**6  # 1 AIUSD (6 decimals)


@dataclass(frozen=True)
class Feedback:
    """One feedback entry: who rated which task, the score and what that task paid."""

    task_id: int
    author: str
    score: int
    amount: int
    comment_cid: str


@dataclass(frozen=True)
class Reputation:
    """What users are shown: a score weighted by money actually paid and by distinct counterparties.

    Each counterparty's feedback is averaged by the amount of its tasks; that counterparty weighs
    ``log2(1 + paid / PRIOR_PAID)`` (more volume from the same account counts less and less), and
    the weighted mean is shrunk toward ``PRIOR_SCORE`` with weight 1, so a handful of tiny or
    self-made payments barely moves it. ``score`` is 0..100.
    """

    score: float
    feedback_count: int
    counterparties: int
    paid_volume: int

    @classmethod
    def of(cls, feedback: list[Feedback]) -> Reputation:
        """The reputation an agent's feedback list earns."""
        paid: dict[str, int] = {}
        scored: dict[str, int] = {}
        for f in feedback:
            paid[f.author] = paid.get(f.author, 0) + f.amount
            scored[f.author] = scored.get(f.author, 0) + f.score * f.amount
        total, weights = PRIOR_SCORE, 1.0
        for author, amount in paid.items():
            if amount == 0:
                continue
            weight = math.log2(1 + amount / PRIOR_PAID)
            total += weight * scored[author] / amount
            weights += weight
        return cls(total / weights, len(feedback), len(paid), sum(paid.values()))


@dataclass(frozen=True)
class AgentRecord:
    """A registered agent: identity, card and reputation (``wallet`` None: no wallet consented)."""

    agent_id: int
    owner: str
    wallet: str | None
    card: AgentCard
    feedback_count: int
    score_sum: int
    registered_at: int
    updated_at: int
    counterparties: int = 0
    paid_volume: int = 0
    weighted: Reputation | None = None

    @property
    def reputation(self) -> float:
        """The paid-weighted, counterparty-dampened score (0-100; ``PRIOR_SCORE`` without feedback)."""
        return self.weighted.score if self.weighted else PRIOR_SCORE

    @property
    def mean_score(self) -> float:
        """The plain mean of the scores (unweighted; 0 without feedback)."""
        return self.score_sum / self.feedback_count if self.feedback_count else 0.0


@dataclass(frozen=True)
class Validation:
    """A paid task of the agent settled by a proof the escrow's verifier accepted.

    Everything here was copied from the escrow on chain; ``verified_block`` is the block of the
    escrow's ``verifyInference`` call, whose ``InferenceVerified`` event
    :meth:`AgentRegistry.inference_tx` finds.
    """

    task_id: int
    model_id: bytes
    input_commitment: bytes
    outputs_hash: bytes
    verified_block: int
    recorded_by: str


@dataclass(frozen=True)
class WalletConsent:
    """A wallet's EIP-712 ``AgentWallet`` consent to be the wallet of ``owner``'s agent
    ``agent_id`` (0: the next agent ``owner`` registers), valid until ``deadline``."""

    wallet: str
    owner: str
    agent_id: int
    nonce: int
    deadline: int
    signature: bytes


WALLET_CONSENT_TYPES = {
    "AgentWallet": [
        {"name": "agentId", "type": "uint256"},
        {"name": "owner", "type": "address"},
        {"name": "wallet", "type": "address"},
        {"name": "nonce", "type": "uint256"},
        {"name": "deadline", "type": "uint256"},
    ]
}


def sign_wallet_consent(
    wallet: LocalAccount, domain: Domain, owner: str, *, agent_id: int, nonce: int, deadline: int
) -> WalletConsent:
    """Sign, with the wallet's own key, its consent to join ``owner``'s agent."""
    owner = to_checksum_address(owner)
    message: dict[str, Any] = {
        "agentId": agent_id,
        "owner": owner,
        "wallet": wallet.address,
        "nonce": nonce,
        "deadline": deadline,
    }
    signature = sign_typed(wallet, domain, WALLET_CONSENT_TYPES, "AgentWallet", message)
    return WalletConsent(wallet.address, owner, agent_id, nonce, deadline, signature)


Signer = AgentWallet | LocalAccount
_INFERENCE_VERIFIED = "0x" + keccak(text="InferenceVerified(bytes32,bytes32,bytes32,address)").hex()


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

    @property
    def domain(self) -> Domain:
        """The registry's EIP-712 domain (wallet consents are signed in it)."""
        return Domain("AgentRegistry", "1", self.chain.chain_id, self.address)

    # -- writes --------------------------------------------------------------------------------
    def wallet_consent(
        self, wallet: LocalAccount, owner: str, *, agent_id: int = 0, valid_for: int = 600
    ) -> WalletConsent:
        """Sign ``wallet``'s consent to be the wallet of ``owner``'s agent ``agent_id`` (0: the
        next one ``owner`` registers), with its current nonce, valid ``valid_for`` seconds."""
        nonce = int(self.chain.call(self.contract.functions.nonces(wallet.address)))
        deadline = self.chain.block_time() + valid_for
        return sign_wallet_consent(
            wallet, self.domain, owner, agent_id=agent_id, nonce=nonce, deadline=deadline
        )

    def register(
        self, signer: Signer, card: AgentCard | dict[str, Any], consent: WalletConsent | None = None
    ) -> int:
        """Register an agent owned by ``signer``, paid at the signer's own address or at the wallet
        whose ``consent`` (see :meth:`wallet_consent`) names the signer; returns its id."""
        parsed = card if isinstance(card, AgentCard) else AgentCard.parse(card)
        if consent is not None and consent.agent_id != 0:
            raise InputError("a consent to register names agent 0 (the next agent); this one names another")
        wallet, deadline, sig = self._consent_args(signer, consent)
        fn = self.contract.functions.register(wallet, parsed.to_json(), deadline, sig)
        receipt = self._send(signer, fn)
        return int(self.chain.events(self.contract, "AgentRegistered", receipt)[0]["agentId"])

    def set_wallet(self, signer: Signer, agent_id: int, consent: WalletConsent | None = None) -> None:
        """Point the agent at the consenting wallet (or at the owner itself without ``consent``)."""
        wallet, deadline, sig = self._consent_args(signer, consent)
        self._send(signer, self.contract.functions.setAgentWallet(agent_id, wallet, deadline, sig))

    def update_card(self, signer: Signer, agent_id: int, card: AgentCard | dict[str, Any]) -> None:
        """Replace the card (owner only)."""
        parsed = card if isinstance(card, AgentCard) else AgentCard.parse(card)
        self._send(signer, self.contract.functions.updateCard(agent_id, parsed.to_json()))

    def give_feedback(self, signer: Signer, task_id: int, score: int, comment_cid: str = "") -> None:
        """Rate the other side of a paid escrow task (0-100, once per task; not your own agents)."""
        if not 0 <= score <= 100:
            raise InputError(f"score must be 0..100, not {score}")
        self._send(signer, self.contract.functions.giveFeedback(task_id, score, comment_cid))

    def record_validation(self, signer: Signer, agent_id: int, task_id: int) -> None:
        """Record that the agent's paid task was settled by a proof the escrow verified (owner
        only, once per task; the contract copies the inference from the escrow)."""
        self._send(signer, self.contract.functions.recordValidation(agent_id, task_id))

    # -- reads ------------------------------------------------------------------------------------
    def get(self, agent_id: int) -> AgentRecord:
        """One agent with its weighted reputation (UnknownAgent revert for an unknown id)."""
        a = self.chain.call(self.contract.functions.getAgent(agent_id))
        wallet = to_checksum_address(a[1])
        return AgentRecord(
            agent_id=agent_id,
            owner=to_checksum_address(a[0]),
            wallet=None if int(wallet, 16) == 0 else wallet,
            registered_at=int(a[2]),
            updated_at=int(a[3]),
            feedback_count=int(a[4]),
            counterparties=int(a[5]),
            score_sum=int(a[6]),
            paid_volume=int(a[7]),
            card=AgentCard.parse(a[8]),
            weighted=Reputation.of(self.feedback(agent_id)) if int(a[4]) else None,
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
            return (-r.reputation, -r.counterparties, r.card.price_of(capability) or 0, r.agent_id)

        return sorted(found, key=rank)

    def feedback(self, agent_id: int) -> list[Feedback]:
        """Feedback an agent received."""
        rows = self.chain.call(self.contract.functions.feedbackOf(agent_id))
        return [Feedback(int(r[0]), to_checksum_address(r[1]), int(r[2]), int(r[3]), str(r[4])) for r in rows]

    def validations(self, agent_id: int) -> list[Validation]:
        """Validation records of an agent."""
        rows = self.chain.call(self.contract.functions.validationsOf(agent_id))
        return [
            Validation(int(r[0]), bytes(r[1]), bytes(r[2]), bytes(r[3]), int(r[4]), to_checksum_address(r[5]))
            for r in rows
        ]

    def inference_tx(self, validation: Validation) -> str | None:
        """The transaction whose ``InferenceVerified`` event backs ``validation``, or None.

        Looks in the validation's block for a log of the escrow's verifier (the ModelRegistry)
        for its model, emitted on the escrow's call, with its outputs hash (and input
        commitment, when the task fixed one).
        """
        escrow_addr = to_checksum_address(self.chain.call(self.contract.functions.escrow()))
        escrow = self.chain.contract(artifact("TaskEscrow").abi, escrow_addr)
        verifier = to_checksum_address(self.chain.call(escrow.functions.verifier()))
        logs = self.chain.rpc(
            "eth_getLogs",
            [
                {
                    "address": verifier,
                    "fromBlock": hex(validation.verified_block),
                    "toBlock": hex(validation.verified_block),
                    "topics": [
                        _INFERENCE_VERIFIED,
                        "0x" + validation.model_id.hex(),
                        "0x" + bytes(12).hex() + escrow_addr[2:].lower(),
                    ],
                }
            ],
        )
        for log in logs or []:
            data = bytes.fromhex(str(log["data"])[2:])
            # a task that fixed no input recorded no commitment: then only the outputs must match
            bound = validation.input_commitment == bytes(32) or data[:32] == validation.input_commitment
            if bound and data[32:64] == validation.outputs_hash and not log.get("removed"):
                return str(log["transactionHash"])
        return None

    def check_validation(self, validation: Validation) -> bool:
        """True when a real ``InferenceVerified`` event of the verifier backs ``validation``."""
        return self.inference_tx(validation) is not None

    # -- internals -------------------------------------------------------------------------------
    def _consent_args(self, signer: Signer, consent: WalletConsent | None) -> tuple[str, int, bytes]:
        if consent is None:
            return to_checksum_address(signer.address), 0, b""
        if to_checksum_address(consent.owner) != to_checksum_address(signer.address):
            raise InputError(
                f"the wallet consent names owner {consent.owner}, not the signer {signer.address}"
            )
        return to_checksum_address(consent.wallet), consent.deadline, consent.signature
