"""Paid AI services on Nostr: NIP-90 data vending machine jobs, priced and paid in AIUSD.

A customer asks for a thread summary with a job request (kind 5001) that names the thread
(``["i", <root id>, "event"]``), the provider (``p``), its bid (``["bid", <base units>, "AIUSD"]``)
and a payment: an EIP-3009 ``TransferWithAuthorization`` to the provider's wallet, signed by the
customer's :class:`~aiweb3.agents.AgentWallet` within its spend policy (the x402 "exact" payload,
in a ``["payment", <JSON>]`` tag). The provider checks the payment with the agent rails'
:class:`~aiweb3.agents.Facilitator` (payee, amount, expiry, signature, replay, balance), does the
work, settles the authorization on chain, and only then publishes the result (kind 6001): an AI
post (label, operator, manifest) that cites the request, the thread and the settlement
transaction. A refused payment gets a kind-7000 feedback event saying why, and nothing is settled.

The authorization can only pay the provider, for the amount the customer signed, before it
expires; an unused one lapses. The customer pays on request (like x402), so it trusts the
provider to deliver; a provider that takes payments and does not deliver is visible to all (the
settlement transaction and the absence of a result) — escrowed jobs are the next step.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass

from x402.schemas import PaymentPayload, PaymentRequirements, ResourceInfo

from aiweb3.agents import AgentWallet, Authorization, FacilitatorLike, TokenInfo
from aiweb3.errors import InputError
from aiweb3.social.client import NostrClient
from aiweb3.social.digest import _snippet
from aiweb3.social.events import Identity, NostrEvent
from aiweb3.social.guard import injection_reasons, spam_reasons
from aiweb3.social.labels import Operator, ai_post_tags

__all__ = [
    "KIND_JOB_FEEDBACK",
    "KIND_SUMMARY_REQUEST",
    "KIND_SUMMARY_RESULT",
    "JobOutcome",
    "SummaryProvider",
    "request_summary",
    "summarise_thread",
]

KIND_SUMMARY_REQUEST = 5001
KIND_SUMMARY_RESULT = 6001
KIND_JOB_FEEDBACK = 7000


def request_summary(
    client: NostrClient,
    customer: Identity,
    wallet: AgentWallet,
    token: TokenInfo,
    *,
    provider: str,
    provider_wallet: str,
    thread_root: str,
    price: int,
    valid_for: int = 600,
) -> NostrEvent:
    """Publish a paid summary job. The wallet's spend policy is checked before anything is signed
    (:class:`~aiweb3.errors.PolicyViolation` when it refuses)."""
    auth = wallet.authorize_transfer(
        token, provider_wallet, price, valid_for=valid_for, purpose=f"nostr summary of {thread_root[:12]}"
    )
    tags = [
        ["i", thread_root, "event"],
        ["output", "text/plain"],
        ["bid", str(price), token.symbol],
        ["p", provider],
        ["payment", json.dumps(auth.to_x402(), separators=(",", ":"))],
    ]
    event = customer.sign(KIND_SUMMARY_REQUEST, "", tags)
    if not client.publish(event).ok:
        raise InputError("no relay accepted the job request; check the relay URL")
    return event


def summarise_thread(events: Sequence[NostrEvent], *, max_points: int = 3) -> str:
    """A short, cited summary of a thread: who took part and its main points, quoted.

    Spam and injection attempts are left out; each quoted point cites its event id.
    """
    notes = [e for e in events if not spam_reasons(e.content) and not injection_reasons(e.content)]
    if not notes:
        return "Nothing to summarise: the thread holds no readable notes."
    root, replies = notes[0], notes[1:]
    people = len({e.pubkey for e in notes})
    opening = f"It starts: “{_snippet(root.content)}” [nostr:{root.id}]"
    lines = [f"Thread of {len(notes)} notes by {people} people. {opening}"]
    for reply in sorted(replies, key=lambda e: (-len(e.content), e.id))[:max_points]:
        lines.append(f"A reply: “{_snippet(reply.content)}” [nostr:{reply.id}]")
    return "\n".join(lines)


@dataclass(frozen=True)
class JobOutcome:
    """What the provider did with one request."""

    request: str
    status: str  # "delivered" | "refused"
    reason: str = ""
    result: str | None = None
    settlement: str | None = None


class SummaryProvider:
    """A data vending machine that sells thread summaries for AIUSD.

    Args:
        identity: the provider's Nostr key (customers tag it).
        operator: who runs it (its AI posts carry the operator and a manifest).
        client: relays to serve on.
        facilitator: verifies and settles EIP-3009 payments (:class:`~aiweb3.agents.Facilitator`).
        token: the token prices are in.
        pay_to: the provider's wallet address (the payee every authorization must name).
        price: base units per summary.
    """

    def __init__(
        self,
        identity: Identity,
        operator: Operator,
        client: NostrClient,
        facilitator: FacilitatorLike,
        token: TokenInfo,
        pay_to: str,
        price: int,
    ) -> None:
        self.identity = identity
        self.operator = operator
        self.client = client
        self.facilitator = facilitator
        self.token = token
        self.pay_to = pay_to
        self.price = price
        self._done: set[str] = set()

    def requirements(self) -> PaymentRequirements:
        """The x402 "exact" requirement for one summary."""
        return PaymentRequirements(
            scheme="exact",
            network=self.token.network,
            asset=self.token.address,
            amount=str(self.price),
            pay_to=self.pay_to,
            max_timeout_seconds=3600,
            extra={"name": self.token.name, "version": self.token.version},
        )

    def _feedback(self, request: NostrEvent, reason: str) -> JobOutcome:
        tags = [
            ["status", "payment-required", reason],
            ["amount", str(self.price), self.token.symbol],
            ["e", request.id],
            ["p", request.pubkey],
        ]
        self.client.publish(self.identity.sign(KIND_JOB_FEEDBACK, "", tags))
        return JobOutcome(request.id, "refused", reason)

    def handle(self, request: NostrEvent) -> JobOutcome:
        """Check the payment, summarise, settle, then publish the result (see the module docstring)."""
        self._done.add(request.id)
        root = next((v[0] for v in request.tag_values("i") if len(v) >= 2 and v[1] == "event"), None)
        raw = request.first("payment")
        if root is None or raw is None:
            return self._feedback(
                request, "the request needs an ['i', <event id>, 'event'] and a payment tag"
            )
        try:
            auth = Authorization.from_x402(json.loads(raw))
        except (ValueError, InputError) as exc:
            return self._feedback(request, f"unreadable payment ({exc})")
        requirements = self.requirements()
        payload = PaymentPayload(
            payload=auth.to_x402(), accepted=requirements, resource=ResourceInfo(url=f"nostr:{request.id}")
        )
        check = self.facilitator.verify(payload, requirements)
        if not check.is_valid:
            return self._feedback(
                request, f"payment refused: {check.invalid_message or check.invalid_reason}"
            )
        thread = self.client.thread(root)
        if not thread or thread[0].id != root:
            return self._feedback(request, f"thread {root[:12]} not found on this relay; nothing was charged")
        summary = summarise_thread(thread)
        settled = self.facilitator.settle(payload, requirements)
        if not settled.success:
            return self._feedback(
                request, f"settlement failed: {settled.error_message or settled.error_reason}"
            )
        tags = [
            ["request", json.dumps(request.to_json(), separators=(",", ":"))],
            ["e", request.id],
            ["p", request.pubkey],
            ["i", root, "event"],
            ["amount", str(self.price), self.token.symbol],
            ["tx", settled.transaction],
            *ai_post_tags(summary, self.operator),
        ]
        result = self.identity.sign(KIND_SUMMARY_RESULT, summary, tags)
        self.client.publish(result)
        return JobOutcome(request.id, "delivered", result=result.id, settlement=settled.transaction)

    def serve_once(self, *, since: int | None = None) -> list[JobOutcome]:
        """Handle every job request addressed to this provider that it has not handled yet."""
        query: dict[str, object] = {
            "kinds": [KIND_SUMMARY_REQUEST],
            "#p": [self.identity.pubkey],
            "limit": 100,
        }
        query["since"] = since if since is not None else int(time.time()) - 86_400
        requests = sorted(self.client.fetch(query), key=lambda e: (e.created_at, e.id))
        answered = {
            v[0]
            for e in self.client.fetch(
                {"kinds": [KIND_SUMMARY_RESULT, KIND_JOB_FEEDBACK], "authors": [self.identity.pubkey]}
            )
            for v in e.tag_values("e")
            if v
        }
        return [self.handle(r) for r in requests if r.id not in self._done and r.id not in answered]
