"""An agent wallet: a signer that checks its spend policy before every signature.

Every way the wallet can move money goes through :meth:`AgentWallet._spend`, which holds a
lock, checks the policy against what was signed today, signs only if it passes, and logs the
attempt either way. A refused payment raises PolicyViolation and nothing is signed.

Private payments go through a :class:`~aiweb3.agents.PaymentRoute` the wallet was given: the
policy is checked against the payee, the route derives a one-time destination, the wallet signs
to it and the route publishes what the payee needs to find it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TypeVar

from eth_account.signers.local import LocalAccount
from web3.contract.contract import ContractFunction

from aiweb3.agents.eip3009 import Authorization, TokenInfo, sign_authorization, sign_permit
from aiweb3.agents.policy import Payment, PaymentLog, PaymentRecord, SpendPolicy
from aiweb3.agents.routes import PaymentRoute, PrivateDestination
from aiweb3.chain import Chain, Keystore, artifact, checksum
from aiweb3.errors import InputError, PolicyViolation

__all__ = ["AgentWallet", "PrivateAuthorization", "PrivateTransfer"]

T = TypeVar("T")


@dataclass(frozen=True)
class PrivateAuthorization:
    """An EIP-3009 authorization to a private destination, and the transaction that published it."""

    authorization: Authorization
    destination: PrivateDestination
    published_tx: str


@dataclass(frozen=True)
class PrivateTransfer:
    """A token transfer an agent made: where it went and its transactions (``published_tx`` is
    empty for a plain transfer)."""

    to: str
    address: str
    amount: int
    mode: str
    transfer_tx: str
    published_tx: str = ""


class AgentWallet:
    """A keystore-backed (or any LocalAccount) signer bound by a :class:`SpendPolicy`.

    Args:
        signer: the agent's key.
        policy: the spend policy checked before every signature.
        log: where attempts are recorded (in memory by default).
        name: a label for traces.
        routes: private payment routes (``aiweb3.privacy.StealthRoute``), one per mode.
    """

    def __init__(
        self,
        signer: LocalAccount,
        policy: SpendPolicy,
        *,
        log: PaymentLog | None = None,
        name: str = "agent",
        routes: Iterable[PaymentRoute] = (),
    ) -> None:
        self._signer = signer
        self.policy = policy
        self.log = log if log is not None else PaymentLog()
        self.name = name
        self.routes: dict[str, PaymentRoute] = {r.mode: r for r in routes}
        self._lock = threading.Lock()

    @classmethod
    def from_keystore(
        cls,
        keystore: Keystore,
        account: str,
        password: str,
        policy: SpendPolicy,
        *,
        log_path: Path | None = None,
        routes: Iterable[PaymentRoute] = (),
    ) -> AgentWallet:
        """Unlock ``account`` from the keystore; ``log_path`` persists the payment log."""
        signer = keystore.unlock(account, password)
        return cls(signer, policy, log=PaymentLog(log_path), name=account, routes=routes)

    @property
    def address(self) -> str:
        """The wallet's address."""
        return str(self._signer.address)

    def spent_today(self) -> int:
        """Token base units signed away today (UTC)."""
        return self.log.spent_on(self.log.today())

    def _spend(self, payment: Payment, sign: Callable[[], T], reference: Callable[[T], str] = str) -> T:
        """Check, sign, log — under one lock, so concurrent payments cannot overshoot the limits."""
        with self._lock:
            try:
                self.policy.check(payment, self.spent_today())
            except PolicyViolation as exc:
                self._record(payment, "refused", reason=str(exc))
                raise
            try:
                result = sign()
            except PolicyViolation as exc:  # the route cannot pay this payee privately
                self._record(payment, "refused", reason=str(exc))
                raise
            except Exception as exc:
                # e.g. a funds-moving transaction that reverted: logged, not counted as spent
                self._record(payment, "failed", reason=str(exc))
                raise
            self._record(payment, "signed", ref=reference(result))
            return result

    def _record(self, payment: Payment, status: str, *, reason: str = "", ref: str = "") -> None:
        self.log.append(
            PaymentRecord(
                at=self.log.clock(),
                status="signed" if status == "signed" else "failed" if status == "failed" else "refused",
                kind=payment.kind,
                token=payment.token,
                to=payment.to,
                amount=payment.amount,
                contract=payment.contract,
                purpose=payment.purpose,
                reason=reason,
                reference=ref,
                mode=payment.mode,
            )
        )

    def route_for(self, payment: Payment, modes: Iterable[str] | None = None) -> PaymentRoute | None:
        """The route ``payment`` must go through: the one the policy requires, else (``"any"``) the
        first of ``modes`` (the private modes the payee accepts; None: any) the wallet has a route
        for; None for a plain payment.

        Raises (and logs) PolicyViolation when the policy requires a mode the wallet has no route
        for, or that the payee does not accept.
        """
        required = self.policy.privacy
        accepted = None if modes is None else list(modes)
        reason = ""
        if required != "any" and required not in self.routes:
            reason = (
                f"refused: the spend policy requires {required} payments and this wallet has no "
                f"{required} route (give it one, e.g. aiweb3.privacy.StealthRoute)"
            )
        elif required != "any" and accepted is not None and required not in accepted:
            takes = ", ".join(accepted) + " or plain" if accepted else "only plain"
            reason = (
                f"refused: the spend policy requires {required} payments and {payment.to} takes {takes} "
                f"payments to its public address (ask the payee for a {required} payment endpoint, or "
                "allow plain payments with `aiweb3 agent policy NAME --privacy any`)"
            )
        if reason:
            with self._lock:
                self._record(replace(payment, mode=required), "refused", reason=reason)
            raise PolicyViolation(reason)
        if required != "any":
            return self.routes[required]
        for mode in self.routes if accepted is None else accepted:
            if mode in self.routes:
                return self.routes[mode]
        return None

    # -- what the wallet can sign ------------------------------------------------------------
    def authorize_transfer(
        self, token: TokenInfo, payee: str, value: int, *, valid_for: int = 300, purpose: str = ""
    ) -> Authorization:
        """Sign an EIP-3009 transfer authorization within the policy (an x402 payment)."""
        payment = Payment("transfer-authorization", token.address, payee, value, token.address, purpose)
        return self._spend(
            payment,
            lambda: sign_authorization(self._signer, token, payee, value, valid_for=valid_for),
            lambda a: "nonce 0x" + a.nonce.hex(),
        )

    def authorize_private_transfer(
        self,
        token: TokenInfo,
        payee: str,
        value: int,
        *,
        mode: str | None = None,
        valid_for: int = 300,
        purpose: str = "",
    ) -> PrivateAuthorization:
        """Sign an EIP-3009 authorization to a one-time destination that the wallet's route of
        ``mode`` (default: the one the policy requires, else the wallet's first) derives for
        ``payee``, then publish it (for stealth: announce it, paying the gas). Only routes given at
        construction are used, so a caller cannot pass a route of its own. The policy is checked
        against ``payee`` first; a payee the route cannot reach privately is refused and logged."""
        required = self.policy.privacy
        wanted = mode or (required if required != "any" else next(iter(self.routes), "private"))
        payment = Payment("transfer-authorization", token.address, payee, value, token.address, purpose,
                          mode=wanted)  # fmt: skip
        route = self.routes.get(wanted)
        if route is None:
            has = ", ".join(self.routes) or "none"
            reason = f"refused: this wallet has no {wanted} payment route (it has: {has})"
            with self._lock:
                self._record(payment, "refused", reason=reason)
            raise PolicyViolation(reason)

        def sign() -> PrivateAuthorization:
            dest = route.destination(payee)
            auth = sign_authorization(self._signer, token, dest.address, value, valid_for=valid_for)
            return PrivateAuthorization(auth, dest, route.publish(self._signer, dest, token.address, value))

        return self._spend(
            payment,
            sign,
            lambda p: (
                f"nonce 0x{p.authorization.nonce.hex()} to one-time {p.destination.address}; "
                f"published in {p.published_tx}"
            ),
        )

    def transfer(
        self, chain: Chain, token: TokenInfo, payee: str, value: int, *, purpose: str = ""
    ) -> PrivateTransfer:
        """Send ``value`` of ``token`` to ``payee`` from the wallet (it pays the gas): through the
        route the policy requires (a one-time address, published first, so a failed transfer leaves
        only an empty announcement), else, with ``privacy="any"`` and a route, still privately, else
        plainly."""
        erc20 = chain.contract(artifact("AIUSD").abi, token.address)
        chosen = self.route_for(Payment("transaction", token.address, payee, value, token.address, purpose))

        def funded() -> None:
            held = self._balance(chain, token)
            if held < value:
                raise InputError(f"{self.name} holds {token.format(held)}, less than {token.format(value)}")

        if chosen is None:
            payment = Payment("transaction", token.address, payee, value, token.address, purpose)

            def send_plain() -> PrivateTransfer:
                funded()
                receipt = chain.transact(self._signer, erc20.functions.transfer(checksum(payee), value))
                return PrivateTransfer(payee, payee, value, "plain", str(receipt["transactionHash"]))

            return self._spend(payment, send_plain, lambda t: t.transfer_tx)
        route = chosen
        payment = Payment("transaction", token.address, payee, value, token.address, purpose, mode=route.mode)

        def send() -> PrivateTransfer:
            funded()
            dest = route.destination(payee)
            published = route.publish(self._signer, dest, token.address, value)
            receipt = chain.transact(self._signer, erc20.functions.transfer(dest.address, value))
            return PrivateTransfer(
                payee, dest.address, value, route.mode, str(receipt["transactionHash"]), published
            )

        return self._spend(payment, send, lambda t: f"to one-time {t.address} in {t.transfer_tx}")

    def _balance(self, chain: Chain, token: TokenInfo) -> int:
        erc20 = chain.contract(artifact("AIUSD").abi, token.address)
        return int(chain.call(erc20.functions.balanceOf(self.address)))

    def permit(
        self,
        token: TokenInfo,
        spender: str,
        value: int,
        *,
        nonce: int,
        deadline: int,
        counterparty: str,
        purpose: str = "",
    ) -> tuple[int, bytes, bytes]:
        """Sign an EIP-2612 permit for ``spender`` (a contract the policy allows).

        ``counterparty`` is who ends up with the money (for an escrow: the provider, or the
        escrow itself while anyone may accept).
        """
        payment = Payment("permit", token.address, counterparty, value, spender, purpose)
        return self._spend(
            payment,
            lambda: sign_permit(self._signer, token, spender, value, nonce, deadline),
            lambda _: f"permit for {spender}",
        )

    def transact(
        self, chain: Chain, fn: ContractFunction, payment: Payment | None = None
    ) -> dict[str, object]:
        """Send a contract call. One that moves funds passes its ``payment`` (checked and logged);
        any other call must still target a contract the policy allows."""
        if payment is None:
            target = str(fn.address)
            allowed = self.policy.allowed_contracts | self.policy.allowed_tokens
            if target not in allowed:
                raise PolicyViolation(
                    f"refused: contract {target} is not allowed by the spend policy "
                    "(add it with `aiweb3 agent policy NAME --allow-contract ADDRESS`)"
                )
            return chain.transact(self._signer, fn)
        payment = replace(payment, contract=payment.contract or str(fn.address))
        return self._spend(payment, lambda: chain.transact(self._signer, fn),
                           lambda r: str(r.get("transactionHash", "")))  # fmt: skip

    def unsafe_signer(self) -> LocalAccount:
        """The raw key, bypassing the policy (for callers that do not move funds, e.g. feedback)."""
        return self._signer

    def __repr__(self) -> str:
        return f"AgentWallet(name={self.name!r}, address={self.address})"
