"""HTTP 402 payments (x402 v2): a FastAPI dependency for priced routes and a paying client.

Server: ``gate = PaymentGate(facilitator, token, pay_to)``; a route that declares
``receipt: SettleResponse = Depends(gate.price(1_000))`` answers a request without payment
with HTTP 402, a ``PAYMENT-REQUIRED`` header and the same JSON body (the x402
``PaymentRequired`` object). A request with a ``PAYMENT-SIGNATURE`` header is verified and
settled on chain before the route runs; the ``PAYMENT-RESPONSE`` header carries the settlement.

Client: :class:`PayingClient` sends a request, and on 402 picks the "exact" requirement in its
token, has its :class:`AgentWallet` sign an EIP-3009 authorization (the spend policy decides
first) and retries once with the payment.

Private payments: a gate with a :class:`PaymentReceiver` (``aiweb3.privacy.StealthReceiver``)
advertises its mode in the requirement's ``extra`` (``{"stealth": {...}}``); a client whose wallet
has a route for that mode (or whose policy requires it) signs to a one-time destination instead of
``payTo`` (and sets ``accepted.payTo`` to it), puts the route's hint and the transaction that
published it (``published``) in the payload under the mode's name, and the receiver checks that
the destination is the payee's before the facilitator settles to it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import httpx
from fastapi import HTTPException, Request, Response
from pydantic import ValidationError
from x402.http.constants import PAYMENT_REQUIRED_HEADER, PAYMENT_RESPONSE_HEADER, PAYMENT_SIGNATURE_HEADER
from x402.http.utils import (
    decode_payment_required_header,
    decode_payment_response_header,
    decode_payment_signature_header,
    encode_payment_required_header,
    encode_payment_response_header,
    encode_payment_signature_header,
)
from x402.schemas import (
    PaymentPayload,
    PaymentRequired,
    PaymentRequirements,
    ResourceInfo,
    SettleResponse,
)

from aiweb3.agents.eip3009 import TokenInfo
from aiweb3.agents.facilitator import FacilitatorLike
from aiweb3.agents.policy import PRIVACY_MODES, Payment
from aiweb3.agents.wallet import AgentWallet
from aiweb3.errors import PaymentError

__all__ = ["PaidResponse", "PayingClient", "PaymentGate", "PaymentReceiver", "parse_payment_required"]

Price = int | Callable[[Request], int]


class PaymentReceiver(Protocol):
    """How a gate is paid privately: at one-time destinations instead of ``pay_to`` itself."""

    @property
    def mode(self) -> str:
        """The private mode (``"stealth"``), the key of :meth:`offer` in the requirement's extra."""
        ...

    def offer(self) -> dict[str, Any]:
        """What a 402 advertises under ``extra[mode]`` (public data only)."""
        ...

    def accept(self, payload: PaymentPayload, requirements: PaymentRequirements) -> PaymentRequirements:
        """Check that ``payload`` pays this payee privately; the requirements to settle against
        (``pay_to`` the one-time destination). Raises PaymentError naming what is wrong."""
        ...


class PaymentGate:
    """Builds FastAPI dependencies that charge for a route.

    Args:
        facilitator: verifies and settles payments (:class:`~aiweb3.agents.Facilitator`).
        token: the token prices are in.
        pay_to: the address that receives payments (with a ``receiver``: the payee's public
            identity, e.g. the account that registered its stealth meta-address).
        max_timeout_seconds: how long a payment authorization may stay valid.
        receiver: accept only private payments of this mode (``aiweb3.privacy.StealthReceiver``).
    """

    def __init__(
        self,
        facilitator: FacilitatorLike,
        token: TokenInfo,
        pay_to: str,
        *,
        max_timeout_seconds: int = 300,
        receiver: PaymentReceiver | None = None,
    ) -> None:
        self.facilitator = facilitator
        self.token = token
        self.pay_to = pay_to
        self.max_timeout_seconds = max_timeout_seconds
        self.receiver = receiver

    def requirements(self, amount: int) -> PaymentRequirements:
        """The "exact" requirement for ``amount`` base units."""
        return PaymentRequirements(
            scheme="exact",
            network=self.token.network,
            asset=self.token.address,
            amount=str(amount),
            pay_to=self.pay_to,
            max_timeout_seconds=self.max_timeout_seconds,
            extra={"name": self.token.name, "version": self.token.version,
                   **({self.receiver.mode: self.receiver.offer()} if self.receiver else {})},
        )  # fmt: skip

    def _refuse(self, request: Request, requirements: PaymentRequirements, error: str) -> HTTPException:
        body = PaymentRequired(
            error=error,
            resource=ResourceInfo(url=str(request.url), description=f"{request.method} {request.url.path}"),
            accepts=[requirements],
        )
        return HTTPException(
            status_code=402,
            detail=body.model_dump(by_alias=True, exclude_none=True),
            headers={PAYMENT_REQUIRED_HEADER: encode_payment_required_header(body)},
        )

    def price(self, amount: Price, *, description: str = "") -> Callable[[Request, Response], SettleResponse]:
        """A dependency charging ``amount`` (base units, or a function of the request)."""

        def charge(request: Request, response: Response) -> SettleResponse:
            cost = amount(request) if callable(amount) else amount
            requirements = self.requirements(cost)
            header = request.headers.get(PAYMENT_SIGNATURE_HEADER)
            if not header:
                raise self._refuse(request, requirements, "payment required")
            try:
                payload = decode_payment_signature_header(header)
            except (ValueError, ValidationError) as exc:
                raise self._refuse(request, requirements, f"malformed payment header: {exc}") from None
            if not isinstance(payload, PaymentPayload):
                raise self._refuse(request, requirements, "x402 version 1 payments are not accepted")
            if self.receiver is not None:
                try:
                    requirements = self.receiver.accept(payload, requirements)
                except PaymentError as exc:
                    raise self._refuse(request, requirements, str(exc)) from None
            settled = self.facilitator.settle(payload, requirements)
            if not settled.success:
                reason = f"{settled.error_reason}: {settled.error_message}".rstrip(": ")
                raise self._refuse(request, requirements, reason)
            response.headers[PAYMENT_RESPONSE_HEADER] = encode_payment_response_header(settled)
            return settled

        return charge


@dataclass
class PaidResponse:
    """A response and, if the client paid for it, the settlement the server reported and the
    requirements it paid (for a private payment, ``pay_to`` is the one-time address)."""

    response: httpx.Response
    paid: int = 0
    settlement: SettleResponse | None = None
    requirements: PaymentRequirements | None = None


@dataclass
class PayingClient:
    """An HTTP client that pays x402 "exact" requirements from an agent wallet.

    Args:
        wallet: signs within its spend policy (a refusal raises PolicyViolation, nothing is sent).
        token: the token the client pays in (other offers are ignored).
        http: the underlying httpx client.
    """

    wallet: AgentWallet
    token: TokenInfo
    http: httpx.Client = field(default_factory=lambda: httpx.Client(timeout=30.0))
    payments: list[PaidResponse] = field(default_factory=list)

    def request(self, method: str, url: str, *, purpose: str = "", **kwargs: Any) -> PaidResponse:
        """Send; on 402 pay once and retry. Raises PaymentError if the server refuses the payment."""
        first = self.http.request(method, url, **kwargs)
        if first.status_code != 402:
            return PaidResponse(first)
        requirements = self._choose(parse_payment_required(first))
        amount = int(requirements.amount)
        purpose = purpose or f"{method} {url}"
        extra = requirements.extra or {}
        modes = [m for m in PRIVACY_MODES if m != "any" and isinstance(extra.get(m), dict)]
        asked = Payment("transfer-authorization", self.token.address, requirements.pay_to, amount,
                        self.token.address, purpose)  # fmt: skip
        route = self.wallet.route_for(asked, modes)
        if route is None:
            auth = self.wallet.authorize_transfer(
                self.token,
                requirements.pay_to,
                amount,
                valid_for=requirements.max_timeout_seconds,
                purpose=purpose,
            )
            payload = PaymentPayload(
                payload=auth.to_x402(), accepted=requirements, resource=ResourceInfo(url=url)
            )
        else:
            private = self.wallet.authorize_private_transfer(
                self.token, requirements.pay_to, amount, mode=route.mode,
                valid_for=requirements.max_timeout_seconds, purpose=purpose,
            )  # fmt: skip
            dest = private.destination
            accepted = requirements.model_copy(update={"pay_to": dest.address})
            inner = {
                **private.authorization.to_x402(),
                dest.mode: {**dest.hint, "published": private.published_tx},
            }
            payload = PaymentPayload(payload=inner, accepted=accepted, resource=ResourceInfo(url=url))
        headers = {**dict(kwargs.pop("headers", None) or {}),
                   PAYMENT_SIGNATURE_HEADER: encode_payment_signature_header(payload)}  # fmt: skip
        second = self.http.request(method, url, headers=headers, **kwargs)
        if second.status_code == 402:
            refused = parse_payment_required(second)
            raise PaymentError(f"{url} refused the payment: {refused.error}")
        settlement = None
        if PAYMENT_RESPONSE_HEADER in second.headers:
            settlement = decode_payment_response_header(second.headers[PAYMENT_RESPONSE_HEADER])
        paid = PaidResponse(second, amount, settlement, payload.accepted)
        self.payments.append(paid)
        return paid

    def get(self, url: str, **kwargs: Any) -> PaidResponse:
        """GET with payment on 402."""
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> PaidResponse:
        """POST with payment on 402."""
        return self.request("POST", url, **kwargs)

    def _choose(self, required: PaymentRequired) -> PaymentRequirements:
        for req in required.accepts:
            if (
                req.scheme == "exact"
                and req.network == self.token.network
                and req.asset.lower() == self.token.address.lower()
            ):
                return req
        offered = ", ".join(f"{r.scheme}/{r.network}/{r.asset}" for r in required.accepts) or "nothing"
        raise PaymentError(
            f"the server offers no 'exact' payment in {self.token.symbol} on {self.token.network} "
            f"(it offers {offered})"
        )

    def close(self) -> None:
        """Close the HTTP client."""
        self.http.close()


def parse_payment_required(response: httpx.Response) -> PaymentRequired:
    """The x402 ``PaymentRequired`` of a 402 answer (header first, then the JSON body)."""
    try:
        if PAYMENT_REQUIRED_HEADER in response.headers:
            parsed = decode_payment_required_header(response.headers[PAYMENT_REQUIRED_HEADER])
        else:
            body = response.json()
            parsed = PaymentRequired.model_validate(body.get("detail", body))
    except (ValueError, ValidationError) as exc:
        raise PaymentError(f"malformed 402 answer from {response.url}: {exc}") from None
    if not isinstance(parsed, PaymentRequired):
        raise PaymentError(f"{response.url} asks for an x402 version 1 payment; only version 2 is supported")
    return parsed
