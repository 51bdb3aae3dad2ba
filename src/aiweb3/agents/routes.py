"""Private payment routes: how an agent wallet pays a payee without paying its public address.

A :class:`PaymentRoute` is a private payment *mode* (``"stealth"``; a shielded pool could be
another) that a wallet is given at construction. For each payment it derives a fresh
:class:`PrivateDestination` for the payee and publishes what the payee needs to find the money.
The wallet checks its spend policy against the payee (the counterparty), signs to the
destination, and logs the payment with the route's mode; a policy with ``privacy="stealth"``
refuses every payment that does not go through the stealth route.

``aiweb3.agents`` defines only the interface; ``aiweb3.privacy.StealthRoute`` implements it
(ERC-5564 one-time addresses of the payee's ERC-6538-registered meta-address).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from eth_account.signers.local import LocalAccount

__all__ = ["PaymentRoute", "PrivateDestination"]


@dataclass(frozen=True)
class PrivateDestination:
    """Where one private payment goes.

    Attributes:
        mode: the route's mode (``"stealth"``).
        payee: the counterparty the policy is checked against (the payee's public address).
        address: the one-time address that receives the money.
        hint: public data the payee needs to recognise the payment (for stealth: the ephemeral
            public key and view tag); sent along with an x402 payment.
    """

    mode: str
    payee: str
    address: str
    hint: dict[str, str] = field(default_factory=dict)


class PaymentRoute(Protocol):
    """A private payment mode a wallet can pay through."""

    @property
    def mode(self) -> str:
        """The mode's name, as a spend policy's ``privacy`` names it."""
        ...

    def destination(self, payee: str) -> PrivateDestination:
        """A fresh destination for ``payee``; PolicyViolation (naming what to do) when the payee
        cannot be paid this way (e.g. it registered no meta-address)."""
        ...

    def publish(self, sender: LocalAccount, destination: PrivateDestination, token: str, amount: int) -> str:
        """Make the payment findable by its payee (an ERC-5564 announcement); the transaction hash."""
        ...
