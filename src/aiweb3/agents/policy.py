"""Spend policies and the payment log of an agent wallet.

A :class:`SpendPolicy` is checked *before* anything is signed: a payment above the
per-payment limit, one that would take the day's total over the daily limit, one to a
counterparty or contract the policy does not name, one in a token it does not name, or (with a
privacy requirement) one that would reach its payee at a public address raises
:class:`~aiweb3.errors.PolicyViolation` and no signature is made. Every attempt, signed or
refused, lands in the :class:`PaymentLog`.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from eth_utils import is_address, to_checksum_address

from aiweb3.errors import InputError, PolicyViolation, StoreError
from aiweb3.files import atomic_write_json

__all__ = ["PRIVACY_MODES", "Payment", "PaymentLog", "PaymentRecord", "SpendPolicy"]

PaymentKind = Literal["transfer-authorization", "permit", "escrow-budget", "transaction"]
#: What a policy's ``privacy`` may require: ``"any"`` (plain payments allowed) or a private payment
#: mode, the name of a :class:`~aiweb3.agents.PaymentRoute` (``aiweb3.privacy.StealthRoute``: "stealth").
PRIVACY_MODES = ("any", "stealth")


def _addresses(values: Iterable[str], what: str) -> frozenset[str]:
    out = set()
    for value in values:
        if not is_address(value):
            raise InputError(f"{what}: {value!r} is not an address")
        out.add(to_checksum_address(value))
    return frozenset(out)


@dataclass(frozen=True)
class Payment:
    """One payment an agent is asked to make.

    Attributes:
        kind: what will be signed (an EIP-3009 authorization, a permit, an escrow budget, a tx).
        token: the token contract (its base units are used for ``amount``).
        to: the counterparty who ends up with the money (payee, escrow provider).
        amount: in token base units (AIUSD has 6 decimals).
        contract: the contract the signature or transaction is for (token, escrow), if any.
        purpose: a short human description kept in the log.
        mode: how the money reaches ``to``: ``"plain"`` (at its public address) or the private
            mode of the route that derived a one-time destination for it (``"stealth"``).
    """

    kind: PaymentKind
    token: str
    to: str
    amount: int
    contract: str | None = None
    purpose: str = ""
    mode: str = "plain"


@dataclass(frozen=True)
class SpendPolicy:
    """Limits an agent wallet enforces before signing.

    Attributes:
        per_payment_limit: the most one payment may move (token base units).
        daily_limit: the most all signed payments of one UTC day may move.
        allowed_tokens: token contracts the agent may pay in.
        allowed_counterparties: addresses the agent may pay.
        allowed_contracts: contracts (other than the tokens) the agent may sign for or call.
        privacy: ``"any"``, or the private payment mode every payment must use (``"stealth"``: a
            one-time address derived from the payee's registered meta-address; plain payments,
            escrow budgets included, are refused).
    """

    per_payment_limit: int
    daily_limit: int
    allowed_tokens: frozenset[str] = frozenset()
    allowed_counterparties: frozenset[str] = frozenset()
    allowed_contracts: frozenset[str] = frozenset()
    privacy: str = "any"

    def __post_init__(self) -> None:
        if self.per_payment_limit < 0 or self.daily_limit < 0:
            raise InputError("policy limits must not be negative")
        if self.privacy not in PRIVACY_MODES:
            raise InputError(f"policy privacy {self.privacy!r}: choose one of {', '.join(PRIVACY_MODES)}")
        object.__setattr__(self, "allowed_tokens", _addresses(self.allowed_tokens, "allowed_tokens"))
        object.__setattr__(
            self, "allowed_counterparties", _addresses(self.allowed_counterparties, "allowed_counterparties")
        )
        object.__setattr__(self, "allowed_contracts", _addresses(self.allowed_contracts, "allowed_contracts"))

    def allowing(
        self,
        *,
        tokens: Iterable[str] = (),
        counterparties: Iterable[str] = (),
        contracts: Iterable[str] = (),
    ) -> SpendPolicy:
        """A copy that also allows these tokens, counterparties and contracts."""
        return replace(
            self,
            allowed_tokens=self.allowed_tokens | _addresses(tokens, "tokens"),
            allowed_counterparties=self.allowed_counterparties | _addresses(counterparties, "counterparties"),
            allowed_contracts=self.allowed_contracts | _addresses(contracts, "contracts"),
        )

    def check(self, payment: Payment, spent_today: int) -> None:
        """Raise PolicyViolation (naming the rule) unless the policy allows ``payment``."""
        if payment.amount <= 0:
            raise PolicyViolation(f"refused: amount must be positive, not {payment.amount}")
        if self.privacy != "any" and payment.mode != self.privacy:
            raise PolicyViolation(
                f"refused: the spend policy requires {self.privacy} payments and this one would reach "
                f"{payment.to} at its public address (pay through a {self.privacy} route, or allow plain "
                "payments with `aiweb3 agent policy NAME --privacy any`)"
            )
        token = to_checksum_address(payment.token) if is_address(payment.token) else payment.token
        if token not in self.allowed_tokens:
            raise PolicyViolation(
                f"refused: token {payment.token} is not allowed by the spend policy "
                "(add it with `aiweb3 agent policy NAME --allow-token ADDRESS`)"
            )
        to = to_checksum_address(payment.to) if is_address(payment.to) else payment.to
        if to not in self.allowed_counterparties:
            raise PolicyViolation(
                f"refused: counterparty {payment.to} is not allowed by the spend policy "
                "(add it with `aiweb3 agent policy NAME --allow-counterparty ADDRESS`)"
            )
        if payment.contract is not None:
            contract = to_checksum_address(payment.contract)
            if contract not in self.allowed_contracts and contract not in self.allowed_tokens:
                raise PolicyViolation(
                    f"refused: contract {payment.contract} is not allowed by the spend policy "
                    "(add it with `aiweb3 agent policy NAME --allow-contract ADDRESS`)"
                )
        if payment.amount > self.per_payment_limit:
            raise PolicyViolation(
                f"refused: {payment.amount} exceeds the per-payment limit of {self.per_payment_limit}"
            )
        if spent_today + payment.amount > self.daily_limit:
            raise PolicyViolation(
                f"refused: {payment.amount} would bring today's spending to {spent_today + payment.amount}, "
                f"over the daily limit of {self.daily_limit}"
            )

    def to_json(self) -> dict[str, Any]:
        """A JSON object (sorted address lists)."""
        return {
            "per_payment_limit": self.per_payment_limit,
            "daily_limit": self.daily_limit,
            "allowed_tokens": sorted(self.allowed_tokens),
            "allowed_counterparties": sorted(self.allowed_counterparties),
            "allowed_contracts": sorted(self.allowed_contracts),
            "privacy": self.privacy,
        }

    @classmethod
    def from_json(cls, data: Any) -> SpendPolicy:
        """Parse :meth:`to_json` output; InputError names the bad field."""
        if not isinstance(data, dict):
            raise InputError("a spend policy is a JSON object")
        for key in ("per_payment_limit", "daily_limit"):
            if not isinstance(data.get(key), int) or isinstance(data.get(key), bool):
                raise InputError(f"spend policy field {key!r} must be an integer (token base units)")
        lists = {}
        for key in ("allowed_tokens", "allowed_counterparties", "allowed_contracts"):
            value = data.get(key, [])
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise InputError(f"spend policy field {key!r} must be a list of addresses")
            lists[key] = frozenset(value)
        privacy = data.get("privacy", "any")
        if not isinstance(privacy, str):
            raise InputError(f"spend policy field 'privacy' must be one of {', '.join(PRIVACY_MODES)}")
        return cls(data["per_payment_limit"], data["daily_limit"], **lists, privacy=privacy)

    def save(self, path: Path) -> None:
        """Write atomically."""
        atomic_write_json(path, self.to_json())

    @classmethod
    def load(cls, path: Path) -> SpendPolicy:
        """Read a policy file."""
        try:
            return cls.from_json(json.loads(path.read_text()))
        except FileNotFoundError:
            raise InputError(f"no spend policy at {path}") from None
        except ValueError as exc:
            if isinstance(exc, InputError):
                raise
            raise InputError(f"{path} is not valid JSON; fix or recreate it") from None


@dataclass(frozen=True)
class PaymentRecord:
    """One logged payment attempt: "signed", "refused" by the policy, or "failed" (the signed
    transaction reverted; not counted as spent)."""

    at: float
    status: Literal["signed", "refused", "failed"]
    kind: str
    token: str
    to: str
    amount: int
    contract: str | None
    purpose: str
    reason: str = ""
    reference: str = ""
    mode: str = "plain"

    @property
    def day(self) -> str:
        """The UTC day (YYYY-MM-DD) the attempt was made."""
        return datetime.fromtimestamp(self.at, UTC).strftime("%Y-%m-%d")


@dataclass
class PaymentLog:
    """Every payment attempt of one wallet, kept in memory and (if ``path``) in a JSON file.

    The file is rewritten atomically on every record, so it is never half written.
    """

    path: Path | None = None
    clock: Callable[[], float] = time.time
    records: list[PaymentRecord] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __post_init__(self) -> None:
        if self.path is not None and self.path.exists():
            try:
                raw = json.loads(self.path.read_text())
                self.records = [PaymentRecord(**r) for r in raw]
            except (ValueError, TypeError) as exc:
                raise StoreError(f"payment log {self.path} is unreadable ({exc}); move it aside") from None

    def spent_on(self, day: str) -> int:
        """Total signed on a UTC day."""
        return sum(r.amount for r in self.records if r.status == "signed" and r.day == day)

    def today(self) -> str:
        """The current UTC day."""
        return datetime.fromtimestamp(self.clock(), UTC).strftime("%Y-%m-%d")

    def append(self, record: PaymentRecord) -> None:
        """Add a record and persist the log."""
        with self._lock:
            self.records.append(record)
            if self.path is not None:
                atomic_write_json(self.path, [asdict(r) for r in self.records])
