"""Agents pay privately: the stealth route of an agent wallet and the stealth side of an x402 gate.

- :class:`StealthRoute` is an :class:`aiweb3.agents.PaymentRoute`: for each payment it reads the
  payee's meta-address from the ERC-6538 registry, derives a fresh one-time address (a random
  ephemeral key every time) and, once the wallet has signed, announces it through the
  ERC5564Announcer. A payee without a registered meta-address is refused.
- :class:`StealthReceiver` is an :class:`aiweb3.agents.PaymentReceiver` for a paid resource whose
  payee is a stealth meta-address: it holds only the payee's *viewing* key (it can recognise
  payments, not spend them) and accepts a payment only when its address is a one-time address of
  the payee, never paid before, and announced on chain with the view tag the payee's scan expects.

The **payer** derives and announces, not the server. An announcement names its caller; if the
payee's server announced (or handed out addresses it then announced), one account would be the
caller of every announcement of the payee's receipts, and that account links them all. The payer
is already public as the transfer's ``from``, so its announcement links nothing new; and a payer
that derives the address itself knows it is fresh and belongs to the registered meta-address,
which is what its spend policy requires. See ``docs/privacy.md``.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from coincurve import PrivateKey
from eth_account.signers.local import LocalAccount
from eth_utils import to_checksum_address
from web3.contract import Contract
from x402.schemas import PaymentPayload, PaymentRequirements

from aiweb3.agents import Authorization, PrivateDestination
from aiweb3.chain import Chain, Deployments, artifact, checksum
from aiweb3.errors import ChainError, InputError, PaymentError, PolicyViolation
from aiweb3.privacy.payments import StealthRegistry, announce, announcements_in
from aiweb3.privacy.stealth import (
    SCHEME_ID,
    GeneratedStealth,
    StealthMeta,
    ViewingKeys,
    check_stealth_address,
    generate_stealth_address,
    view_tag_of,
)

__all__ = ["STEALTH_MODE", "StealthReceiver", "StealthRoute"]

#: the payment mode's name, as a spend policy's ``privacy`` and an x402 requirement's extra name it
STEALTH_MODE = "stealth"


class StealthRoute:
    """Pays a payee at one-time addresses of the meta-address it registered (ERC-6538).

    Args:
        chain: the chain the registry and announcer are deployed on.
        home: the aiweb3 home whose deployments name them.
    """

    mode = STEALTH_MODE

    def __init__(self, chain: Chain, home: Path) -> None:
        self.chain = chain
        self.home = Path(home)
        self.registry = StealthRegistry.from_home(chain, home)

    def destination(self, payee: str) -> PrivateDestination:
        """A fresh one-time address of ``payee``'s registered meta-address; PolicyViolation when
        it registered none."""
        meta = self.registry.meta_of(checksum(payee))
        if meta is None:
            raise PolicyViolation(
                f"refused: {payee} has registered no stealth meta-address in the ERC-6538 registry "
                f"{self.registry.address}; the payee must register one (`aiweb3 privacy meta register NAME "
                "--account ACCOUNT`), or allow plain payments with `aiweb3 agent policy NAME --privacy any`"
            )
        stealth = generate_stealth_address(meta)
        hint = {
            "ephemeralPublicKey": "0x" + stealth.ephemeral_public_key.hex(),
            "viewTag": str(stealth.view_tag),
        }
        return PrivateDestination(self.mode, checksum(payee), stealth.address, hint)

    def publish(self, sender: LocalAccount, destination: PrivateDestination, token: str, amount: int) -> str:
        """Announce the one-time address (``sender`` pays the gas); the transaction hash."""
        stealth = GeneratedStealth(
            destination.address,
            bytes.fromhex(destination.hint["ephemeralPublicKey"].removeprefix("0x")),
            int(destination.hint["viewTag"]),
        )
        return announce(self.chain, self.home, sender, stealth, token, amount)


class StealthReceiver:
    """Accepts x402 payments to one-time addresses of a payee's registered meta-address.

    Args:
        chain: the chain payments settle on.
        home: the aiweb3 home whose deployments name the registry and announcer.
        viewing: the payee's viewing key and spending public key (never the spending key).
        registrant: the account under which the payee registered its meta-address; the gate's
            ``pay_to`` (the payer's policy checks it as the counterparty).

    Raises:
        InputError: when ``registrant`` registered no meta-address, or another one than ``viewing``'s.
    """

    mode = STEALTH_MODE

    def __init__(self, chain: Chain, home: Path, viewing: ViewingKeys, registrant: str) -> None:
        self.chain = chain
        self.home = Path(home)
        self.viewing = viewing
        self.registrant = checksum(registrant)
        self.registry = StealthRegistry.from_home(chain, home)
        viewing_public = PrivateKey(viewing.viewing_key).public_key.format()
        registered = self.registry.meta_of(self.registrant)
        if registered != StealthMeta(viewing.spending_public, viewing_public):
            what = "no meta-address" if registered is None else "another meta-address"
            raise InputError(
                f"{self.registrant} has registered {what} than these viewing keys' in the ERC-6538 registry; "
                "register it first (`aiweb3 privacy meta register NAME --account ACCOUNT`)"
            )
        self._announcer = Deployments(self.home, chain.chain_id).address("ERC5564Announcer")
        self._token_abi = artifact("AIUSD").abi
        self._seen: set[str] = set()
        self._lock = threading.Lock()

    def offer(self) -> dict[str, Any]:
        """Advertised in the 402's ``extra.stealth``: the scheme and where to look the payee up."""
        return {"schemeId": SCHEME_ID, "registry": self.registry.address, "announcer": self._announcer}

    def accept(self, payload: PaymentPayload, requirements: PaymentRequirements) -> PaymentRequirements:
        """The requirements to settle against (``pay_to`` the one-time address), once the payment
        is shown to reach this payee privately; PaymentError names what is wrong."""
        try:
            return self._accept(payload, requirements)
        except ChainError as exc:
            raise PaymentError(f"cannot check the stealth payment, the chain is unavailable: {exc}") from None

    def _accept(self, payload: PaymentPayload, requirements: PaymentRequirements) -> PaymentRequirements:
        hint = payload.payload.get(self.mode)
        if not isinstance(hint, dict):
            raise PaymentError(
                f"this resource takes stealth payments only: pay a one-time address of the meta-address "
                f"{self.registrant} registered (ERC-6538) and send its ephemeral key in payload.stealth"
            )
        try:
            auth = Authorization.from_x402(payload.payload)
            ephemeral = bytes.fromhex(str(hint.get("ephemeralPublicKey", "")).removeprefix("0x"))
        except (InputError, ValueError) as exc:
            raise PaymentError(f"malformed stealth payment: {exc}") from None
        one_time = auth.payee
        view, spend = self.viewing.viewing_key, self.viewing.spending_public
        if not check_stealth_address(one_time, ephemeral, view, spend):
            raise PaymentError(
                f"{one_time} is not a one-time address of {self.registrant}'s stealth meta-address "
                "(derive it from the registered meta-address with the ephemeral key you send)"
            )
        tag = view_tag_of(view, ephemeral)
        published = str(hint.get("published", ""))
        announced = any(
            a.stealth_address == one_time and a.ephemeral_public_key == ephemeral and a.view_tag == tag
            for a in (announcements_in(self.chain, self.home, published) if _is_tx_hash(published) else [])
        )
        if not announced:
            raise PaymentError(
                f"no ERC-5564 announcement of {one_time} with this ephemeral key and view tag in "
                f"transaction {published or '(none given)'}: announce it first, so the payee can find it"
            )
        with self._lock:
            token = self.chain.contract(self._token_abi, to_checksum_address(requirements.asset))
            if one_time in self._seen or self._ever_paid(token, one_time):
                raise PaymentError(
                    f"{one_time} was paid before: reusing a one-time address links payments; derive a new one"
                )
            self._seen.add(one_time)
        return requirements.model_copy(update={"pay_to": one_time})

    def _ever_paid(self, token: Contract, one_time: str) -> bool:
        # The chain, not this process's memory, says whether the address was used: a balance, or
        # any Transfer to it (an address paid and swept has none left), so a restart forgets nothing.
        if int(self.chain.call(token.functions.balanceOf(one_time))) != 0:
            return True
        return bool(token.events.Transfer().get_logs(from_block=0, argument_filters={"to": one_time}))


def _is_tx_hash(text: str) -> bool:
    body = text.removeprefix("0x")
    return text.startswith("0x") and len(body) == 64 and all(c in "0123456789abcdefABCDEF" for c in body)
