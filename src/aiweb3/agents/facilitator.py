"""An x402 facilitator for the "exact" EVM scheme: verify EIP-3009 payments, settle them on chain.

Speaks the x402 v2 types (``PaymentPayload``, ``PaymentRequirements``, ``VerifyResponse``,
``SettleResponse`` from the ``x402`` package). Verification checks everything that can be
checked off chain (scheme, network, asset, payee, exact amount, validity window, signature)
and on chain (nonce unused, balance); settlement submits ``transferWithAuthorization`` from the
facilitator's own account (it pays the gas) and reports the transaction. A nonce being settled
is held in memory so a replay racing the first settlement is refused too.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Protocol

from eth_account.signers.local import LocalAccount
from eth_utils import to_checksum_address
from fastapi import FastAPI, HTTPException
from pydantic import BaseModel, ConfigDict, Field
from x402.schemas import (
    PaymentPayload,
    PaymentRequirements,
    SettleResponse,
    SupportedKind,
    SupportedResponse,
    VerifyResponse,
)

from aiweb3.agents.eip3009 import Authorization, TokenInfo
from aiweb3.chain import Chain, TxRequest, artifact, encode_call
from aiweb3.errors import ChainError, InputError, TransactionReverted

__all__ = ["Facilitator", "FacilitatorLike", "facilitator_app"]

#: An authorization must stay valid at least this long after verification (as x402 does).
VALIDITY_MARGIN = 6
#: Gas for one settlement: transferWithAuthorization needs ~60-80k; verification already ran the
#: checks an estimate would (a fixed limit saves one eth_estimateGas per paid request).
SETTLE_GAS = 150_000


class FacilitatorLike(Protocol):
    """What a paid route needs: verify and settle (ours, or a client of a remote facilitator)."""

    def verify(self, payload: PaymentPayload, requirements: PaymentRequirements) -> VerifyResponse:
        """Check a payment without moving money."""
        ...

    def settle(self, payload: PaymentPayload, requirements: PaymentRequirements) -> SettleResponse:
        """Verify and move the money on chain."""
        ...


class Facilitator:
    """Verifies and settles x402 "exact" payments in one EIP-3009 token on one chain.

    Args:
        chain: the chain the token lives on.
        token: the token (AIUSD) payments must be made in.
        relayer: the account that submits settlements and pays their gas.
        clock: seconds since the epoch (the chain's clock is checked again when settling).
    """

    def __init__(
        self, chain: Chain, token: TokenInfo, relayer: LocalAccount, *, clock: Callable[[], float] = time.time
    ) -> None:
        self.chain = chain
        self.token = token
        self.relayer = relayer
        self.clock = clock
        self._token = chain.contract(artifact("AIUSD").abi, token.address)
        self._settle = self._token.get_function_by_signature(_TWA_SIGNATURE)
        self._in_flight: set[tuple[str, bytes]] = set()
        self._lock = threading.Lock()

    def _invalid(self, reason: str, message: str, payer: str | None = None) -> VerifyResponse:
        return VerifyResponse(is_valid=False, invalid_reason=reason, invalid_message=message, payer=payer)

    def verify(self, payload: PaymentPayload, requirements: PaymentRequirements) -> VerifyResponse:
        """Check a payment against the requirements; never raises for a bad payment."""
        try:
            auth = Authorization.from_x402(payload.payload)
        except InputError as exc:
            return self._invalid("invalid_payload", str(exc))
        payer = auth.payer
        accepted = payload.accepted
        same_asset = _same(requirements.asset, self.token.address) and _same(
            accepted.asset, requirements.asset
        )
        same_payee = _same(auth.payee, requirements.pay_to) and _same(accepted.pay_to, requirements.pay_to)
        same_amount = (
            str(auth.value) == str(int(requirements.amount)) and accepted.amount == requirements.amount
        )
        checks: list[tuple[bool, str, str]] = [
            (payload.x402_version == 2, "invalid_x402_version", "only x402 version 2 is supported"),
            (payload.accepted.scheme == "exact" and requirements.scheme == "exact", "unsupported_scheme",
             "only the 'exact' scheme is supported"),
            (payload.accepted.network == requirements.network == self.token.network, "invalid_network",
             f"payments are settled on {self.token.network}"),
            (same_asset,
             "invalid_asset", f"payments are accepted in {self.token.symbol} ({self.token.address})"),
            (same_payee,
             "invalid_exact_evm_payload_recipient_mismatch", f"the payment must go to {requirements.pay_to}"),
            (same_amount,
             "invalid_exact_evm_payload_authorization_value_mismatch",
             f"the payment must be exactly {requirements.amount} base units"),
        ]  # fmt: skip
        for ok, reason, message in checks:
            if not ok:
                return self._invalid(reason, message, payer)
        now = int(self.clock())
        if auth.valid_before < now + VALIDITY_MARGIN:
            return self._invalid("invalid_exact_evm_payload_authorization_valid_before",
                                 "the authorization has expired", payer)  # fmt: skip
        if auth.valid_after > now:
            return self._invalid("invalid_exact_evm_payload_authorization_valid_after",
                                 "the authorization is not valid yet", payer)  # fmt: skip
        try:
            signer = auth.recover(self.token)
        except InputError as exc:
            return self._invalid("invalid_exact_evm_payload_signature", str(exc), payer)
        if signer != payer:
            return self._invalid("invalid_exact_evm_payload_signature",
                                 "the signature is not the payer's", payer)  # fmt: skip
        with self._lock:
            if (payer, auth.nonce) in self._in_flight:
                return self._invalid("nonce_already_used", "this authorization is being settled", payer)
        try:
            used, balance = self._state(payer, auth.nonce)
        except ChainError as exc:
            return self._invalid("unexpected_verify_error", f"chain unavailable: {exc}", payer)
        if used:
            return self._invalid("nonce_already_used", "this authorization was already used (replay)", payer)
        if balance < auth.value:
            return self._invalid("insufficient_funds", f"the payer holds {balance} base units", payer)
        return VerifyResponse(is_valid=True, payer=payer)

    def settle(self, payload: PaymentPayload, requirements: PaymentRequirements) -> SettleResponse:
        """Verify, then submit ``transferWithAuthorization``; the response names the transaction."""
        check = self.verify(payload, requirements)
        if not check.is_valid:
            return self._failed(check.invalid_reason or "invalid", check.invalid_message or "", check.payer)
        auth = Authorization.from_x402(payload.payload)
        key = (auth.payer, auth.nonce)
        with self._lock:
            if key in self._in_flight:
                return self._failed("nonce_already_used", "this authorization is being settled", auth.payer)
            self._in_flight.add(key)
        try:
            args = [auth.payer, auth.payee, auth.value, auth.valid_after, auth.valid_before, auth.nonce,
                    auth.signature]  # fmt: skip
            data = encode_call(self._settle(*args))
            receipt = self.chain.send(self.relayer, TxRequest(self.token.address, data, gas=SETTLE_GAS))
        except TransactionReverted as exc:
            return self._failed("transaction_failed", exc.reason, auth.payer)
        except ChainError as exc:
            return self._failed("unexpected_settle_error", str(exc), auth.payer)
        finally:
            with self._lock:
                self._in_flight.discard(key)
        return SettleResponse(
            success=True,
            payer=auth.payer,
            transaction=str(receipt["transactionHash"]),
            network=self.token.network,
            amount=str(auth.value),
        )

    def _state(self, payer: str, nonce: bytes) -> tuple[bool, int]:
        """(nonce used?, payer balance) in one JSON-RPC batch."""
        calls = [
            encode_call(self._token.functions.authorizationState(payer, nonce)),
            encode_call(self._token.functions.balanceOf(payer)),
        ]
        replies = self.chain.rpc_batch(
            [("eth_call", [{"to": self.token.address, "data": "0x" + c.hex()}, "latest"]) for c in calls]
        )
        for reply in replies:
            if isinstance(reply, Exception):
                raise reply
        return int(replies[0], 16) != 0, int(replies[1], 16)

    def _failed(self, reason: str, message: str, payer: str | None) -> SettleResponse:
        return SettleResponse(success=False, error_reason=reason, error_message=message, payer=payer,
                              transaction="", network=self.token.network)  # fmt: skip


#: the bytes-signature overload (EIP-3009 as x402 uses it; the v,r,s form is the other)
_TWA_SIGNATURE = "transferWithAuthorization(address,address,uint256,uint256,uint256,bytes32,bytes)"


def _same(a: str, b: str) -> bool:
    try:
        return bool(to_checksum_address(a) == to_checksum_address(b))
    except ValueError:
        return False


class _FacilitatorRequest(BaseModel):
    model_config = ConfigDict(populate_by_name=True)
    x402_version: int = Field(alias="x402Version")
    payment_payload: PaymentPayload = Field(alias="paymentPayload")
    payment_requirements: PaymentRequirements = Field(alias="paymentRequirements")


def facilitator_app(facilitator: Facilitator) -> FastAPI:
    """The facilitator as an x402 HTTP service: ``POST /verify``, ``POST /settle``, ``GET /supported``.

    Request and response bodies follow the x402 facilitator API, so the x402 SDK's
    ``HTTPFacilitatorClient`` talks to it, and a resource server elsewhere can use it.
    """
    app = FastAPI(title="aiweb3 x402 facilitator")

    def checked(body: _FacilitatorRequest) -> _FacilitatorRequest:
        if body.x402_version != 2:
            raise HTTPException(400, "only x402 version 2 is supported")
        return body

    @app.post("/verify")
    def verify(body: _FacilitatorRequest) -> dict[str, object]:
        req = checked(body)
        result = facilitator.verify(req.payment_payload, req.payment_requirements)
        return result.model_dump(by_alias=True, exclude_none=True)

    @app.post("/settle")
    def settle(body: _FacilitatorRequest) -> dict[str, object]:
        req = checked(body)
        result = facilitator.settle(req.payment_payload, req.payment_requirements)
        return result.model_dump(by_alias=True, exclude_none=True)

    @app.get("/supported")
    def supported() -> dict[str, object]:
        kinds = [SupportedKind(x402_version=2, scheme="exact", network=facilitator.token.network)]
        answer = SupportedResponse(kinds=kinds, signers={"eip155:*": [facilitator.relayer.address]})
        return answer.model_dump(by_alias=True, exclude_none=True)

    return app
