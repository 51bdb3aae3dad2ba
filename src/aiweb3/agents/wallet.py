"""An agent wallet: a signer that checks its spend policy before every signature.

Every way the wallet can move money goes through :meth:`AgentWallet._spend`, which holds a
lock, checks the policy against what was signed today, signs only if it passes, and logs the
attempt either way. A refused payment raises PolicyViolation and nothing is signed.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TypeVar

from eth_account.signers.local import LocalAccount
from web3.contract.contract import ContractFunction

from aiweb3.agents.eip3009 import Authorization, TokenInfo, sign_authorization, sign_permit
from aiweb3.agents.policy import Payment, PaymentLog, PaymentRecord, SpendPolicy
from aiweb3.chain import Chain, Keystore
from aiweb3.errors import PolicyViolation

__all__ = ["AgentWallet"]

T = TypeVar("T")


class AgentWallet:
    """A keystore-backed (or any LocalAccount) signer bound by a :class:`SpendPolicy`.

    Args:
        signer: the agent's key.
        policy: the spend policy checked before every signature.
        log: where attempts are recorded (in memory by default).
        name: a label for traces.
    """

    def __init__(
        self, signer: LocalAccount, policy: SpendPolicy, *, log: PaymentLog | None = None, name: str = "agent"
    ) -> None:
        self._signer = signer
        self.policy = policy
        self.log = log if log is not None else PaymentLog()
        self.name = name
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
    ) -> AgentWallet:
        """Unlock ``account`` from the keystore; ``log_path`` persists the payment log."""
        signer = keystore.unlock(account, password)
        return cls(signer, policy, log=PaymentLog(log_path), name=account)

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
            )
        )

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
