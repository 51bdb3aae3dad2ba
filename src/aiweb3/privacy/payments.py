"""Stealth payments on chain: the ERC-6538 registry, the ERC-5564 announcer, send, scan, sweep.

- **Register** a meta-address (:class:`StealthRegistry`), yourself or through anyone with your
  EIP-712 signature (so the registering account need not be linked to you).
- **Send** (:func:`send_stealth`): derive a one-time address from the recipient's meta-address,
  announce it (view tag, token, amount in the metadata, as ERC-5564 recommends), then transfer.
  Announcing first means a failed transfer leaves an empty announcement, never unannounced funds.
- **Scan** (:func:`scan`): read the announcements and keep those whose view tag and address match
  the viewing key; each is checked against the token balance the address really holds (an
  announcement is only a hint anyone can emit).
- **Sweep** (:func:`sweep`): a one-time address holds AIUSD but no ETH for gas. Its key signs
  EIP-3009 transfer authorizations (to the destination, and a fee to the relayer) that a relayer
  submits and pays gas for: the recipient's other accounts never touch the stealth address.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eth_abi import decode as abi_decode
from eth_account.signers.local import LocalAccount
from eth_utils import keccak, to_checksum_address
from web3.contract import Contract

from aiweb3.agents import TokenInfo, sign_authorization
from aiweb3.chain import Chain, Deployments, artifact, checksum
from aiweb3.crypto.typed_data import Domain, sign_typed
from aiweb3.errors import InputError
from aiweb3.privacy.stealth import (
    SCHEME_ID,
    GeneratedStealth,
    StealthKeys,
    StealthMeta,
    ViewingKeys,
    check_stealth_address,
    compute_stealth_key,
    generate_stealth_address,
)

__all__ = [
    "Announcement",
    "FoundPayment",
    "StealthPayment",
    "StealthRegistry",
    "announce",
    "announcements",
    "announcements_in",
    "found_payments",
    "scan",
    "send_stealth",
    "sweep",
    "token_metadata",
]

#: ``transfer(address,uint256)``: the function identifier ERC-5564 puts in token metadata
TRANSFER_SELECTOR = bytes.fromhex("a9059cbb")
ENTRY_TYPES = {
    "Erc6538RegistryEntry": [
        {"name": "schemeId", "type": "uint256"},
        {"name": "stealthMetaAddress", "type": "bytes"},
        {"name": "nonce", "type": "uint256"},
    ]
}
_ANNOUNCEMENT_TOPIC = "0x" + keccak(text="Announcement(uint256,address,address,bytes,bytes)").hex()
#: blocks per eth_getLogs request
LOG_RANGE = 10_000
_SWEEP_SIGNATURE = "transferWithAuthorization(address,address,uint256,uint256,uint256,bytes32,bytes)"


class StealthRegistry:
    """Client of the ERC-6538 registry deployed on one chain."""

    def __init__(self, chain: Chain, address: str) -> None:
        self.chain = chain
        self.address = to_checksum_address(address)
        self.contract: Contract = chain.contract(artifact("ERC6538Registry").abi, self.address)

    @classmethod
    def from_home(cls, chain: Chain, home: Path) -> StealthRegistry:
        """The registry recorded in ``<home>/deployments`` for this chain."""
        return cls(chain, Deployments(home, chain.chain_id).address("ERC6538Registry"))

    def register(self, signer: LocalAccount, meta: StealthMeta) -> dict[str, Any]:
        """Register ``meta`` as the signer's scheme-1 meta-address."""
        return self.chain.transact(signer, self.contract.functions.registerKeys(SCHEME_ID, meta.raw))

    def sign_registration(self, registrant: LocalAccount, meta: StealthMeta) -> bytes:
        """The registrant's EIP-712 signature that lets anyone register ``meta`` for it, once
        (it carries the registrant's current nonce, in this registry's domain on this chain)."""
        domain = Domain("ERC6538Registry", "1.0", self.chain.chain_id, self.address)
        message = {
            "schemeId": SCHEME_ID,
            "stealthMetaAddress": meta.raw,
            "nonce": self.nonce_of(registrant.address),
        }
        return sign_typed(registrant, domain, ENTRY_TYPES, "Erc6538RegistryEntry", message)

    def register_on_behalf(
        self, submitter: LocalAccount, registrant: str, meta: StealthMeta, signature: bytes
    ) -> dict[str, Any]:
        """Submit a registration the registrant signed (reverts ERC6538Registry__InvalidSignature)."""
        fn = self.contract.functions.registerKeysOnBehalf(
            checksum(registrant), SCHEME_ID, signature, meta.raw
        )
        return self.chain.transact(submitter, fn)

    def meta_of(self, registrant: str) -> StealthMeta | None:
        """The scheme-1 meta-address ``registrant`` registered, or None."""
        raw = bytes(
            self.chain.call(self.contract.functions.stealthMetaAddressOf(checksum(registrant), SCHEME_ID))
        )
        return StealthMeta.parse(raw) if raw else None

    def nonce_of(self, registrant: str) -> int:
        """The nonce the registrant's next signature must carry."""
        return int(self.chain.call(self.contract.functions.nonceOf(checksum(registrant))))


def _announcer(chain: Chain, home: Path) -> Contract:
    return chain.contract(
        artifact("ERC5564Announcer").abi, Deployments(home, chain.chain_id).address("ERC5564Announcer")
    )


def token_metadata(view_tag: int, token: str, amount: int) -> bytes:
    """ERC-5564's recommended metadata for a token transfer: view tag, ``transfer`` selector,
    token address, amount (57 bytes)."""
    return (
        bytes([view_tag])
        + TRANSFER_SELECTOR
        + bytes.fromhex(checksum(token)[2:])
        + amount.to_bytes(32, "big")
    )


@dataclass(frozen=True)
class StealthPayment:
    """A payment a sender made: where it went and the two transactions."""

    stealth: GeneratedStealth
    amount: int
    announce_tx: str
    transfer_tx: str


def send_stealth(
    chain: Chain, home: Path, signer: LocalAccount, token: TokenInfo, meta: StealthMeta, amount: int
) -> StealthPayment:
    """Pay ``amount`` base units of ``token`` to a fresh stealth address of ``meta``: announce,
    then transfer (a failed transfer leaves only an empty announcement)."""
    if amount <= 0:
        raise InputError("the amount must be positive")
    erc20 = chain.contract(artifact("AIUSD").abi, token.address)
    balance = int(chain.call(erc20.functions.balanceOf(signer.address)))
    if balance < amount:
        raise InputError(f"{signer.address} holds {token.format(balance)}, less than {token.format(amount)}")
    stealth = generate_stealth_address(meta)
    announced = announce(chain, home, signer, stealth, token.address, amount)
    sent = chain.transact(signer, erc20.functions.transfer(stealth.address, amount))
    return StealthPayment(stealth, amount, announced, str(sent["transactionHash"]))


def announce(
    chain: Chain, home: Path, signer: LocalAccount, stealth: GeneratedStealth, token: str, amount: int
) -> str:
    """Announce a one-time address through the chain's ERC5564Announcer (``signer`` pays the gas
    and is the event's ``caller``), with ERC-5564's token metadata; the transaction hash."""
    metadata = token_metadata(stealth.view_tag, token, amount)
    fn = _announcer(chain, home).functions.announce(
        SCHEME_ID, stealth.address, stealth.ephemeral_public_key, metadata
    )
    return str(chain.transact(signer, fn)["transactionHash"])


@dataclass(frozen=True)
class Announcement:
    """One ERC-5564 Announcement event."""

    scheme_id: int
    stealth_address: str
    caller: str
    ephemeral_public_key: bytes
    metadata: bytes
    block: int
    tx_hash: str

    @property
    def view_tag(self) -> int | None:
        """The metadata's first byte (None when the metadata is empty)."""
        return self.metadata[0] if self.metadata else None

    @property
    def token_transfer(self) -> tuple[str, int] | None:
        """(token, amount) when the metadata follows ERC-5564's token layout, else None."""
        m = self.metadata
        if len(m) < 57 or m[1:5] != TRANSFER_SELECTOR:
            return None
        return to_checksum_address(m[5:25]), int.from_bytes(m[25:57], "big")


def announcements(chain: Chain, home: Path, *, from_block: int = 0) -> list[Announcement]:
    """Every scheme-1 announcement on the chain's announcer, oldest first (read in block ranges:
    public nodes cap ``eth_getLogs``)."""
    address = _announcer(chain, home).address
    topics = [_ANNOUNCEMENT_TOPIC, "0x" + SCHEME_ID.to_bytes(32, "big").hex()]
    found: list[Announcement] = []
    start, last = from_block, chain.block_number()
    while start <= last:
        end = min(start + LOG_RANGE - 1, last)
        query = {"address": address, "fromBlock": hex(start), "toBlock": hex(end), "topics": topics}
        found.extend(_decode(log) for log in chain.rpc("eth_getLogs", [query]))
        start = end + 1
    return found


def announcements_in(chain: Chain, home: Path, tx_hash: str) -> list[Announcement]:
    """The scheme-1 announcements the chain's announcer emitted in one transaction (none for an
    unknown or pending transaction)."""
    receipt = chain.rpc("eth_getTransactionReceipt", [tx_hash])
    if not receipt:
        return []
    address = _announcer(chain, home).address
    scheme = "0x" + SCHEME_ID.to_bytes(32, "big").hex()
    return [
        _decode(log) for log in receipt.get("logs", [])
        if to_checksum_address(log["address"]) == address and len(log["topics"]) == 4
        and log["topics"][0] == _ANNOUNCEMENT_TOPIC and log["topics"][1] == scheme
    ]  # fmt: skip


def _decode(log: dict[str, Any]) -> Announcement:
    ephemeral, metadata = abi_decode(["bytes", "bytes"], bytes.fromhex(str(log["data"])[2:]))
    return Announcement(
        scheme_id=SCHEME_ID,
        stealth_address=to_checksum_address("0x" + str(log["topics"][2])[-40:]),
        caller=to_checksum_address("0x" + str(log["topics"][3])[-40:]),
        ephemeral_public_key=bytes(ephemeral),
        metadata=bytes(metadata),
        block=int(log["blockNumber"], 16),
        tx_hash=str(log["transactionHash"]),
    )


@dataclass(frozen=True)
class FoundPayment:
    """An announcement that is ours, with what the address really holds of the token."""

    announcement: Announcement
    token: str | None
    announced_amount: int
    balance: int


def scan(items: list[Announcement], keys: ViewingKeys, *, use_view_tags: bool = True) -> list[Announcement]:
    """The announcements addressed to ``keys`` (a viewing key cannot spend what it finds). With
    view tags, 255 in 256 foreign announcements cost one ecMUL and one hash."""
    view, spend = keys.viewing_key, keys.spending_public
    return [
        a for a in items
        if check_stealth_address(a.stealth_address, a.ephemeral_public_key, view, spend,
                                 view_tag=a.view_tag if use_view_tags else None)
    ]  # fmt: skip


def found_payments(chain: Chain, mine: list[Announcement], token: TokenInfo) -> list[FoundPayment]:
    """Each of ``mine`` with the announced token amount and the address's actual ``token`` balance."""
    erc20 = chain.contract(artifact("AIUSD").abi, token.address)
    result = []
    for a in mine:
        transfer = a.token_transfer
        balance = int(chain.call(erc20.functions.balanceOf(a.stealth_address)))
        result.append(
            FoundPayment(a, transfer[0] if transfer else None, transfer[1] if transfer else 0, balance)
        )
    return result


def sweep(
    chain: Chain,
    token: TokenInfo,
    announcement: Announcement,
    keys: StealthKeys,
    to: str,
    relayer: LocalAccount,
    *,
    fee: int = 0,
) -> list[str]:
    """Move the whole ``token`` balance of a stealth address to ``to``, ``fee`` of it to the
    relayer, with EIP-3009 authorizations the stealth key signs and the relayer submits (and pays
    gas for). Returns the transaction hashes."""
    stealth = compute_stealth_key(announcement.stealth_address, announcement.ephemeral_public_key, keys)
    erc20 = chain.contract(artifact("AIUSD").abi, token.address)
    balance = int(chain.call(erc20.functions.balanceOf(stealth.address)))
    if balance == 0:
        raise InputError(f"{stealth.address} holds no {token.symbol}: nothing to sweep")
    if not 0 <= fee < balance:
        raise InputError(f"the relayer fee must be below the balance of {token.format(balance)}")
    now = chain.block_time()
    payouts = [(checksum(to), balance - fee)] + ([(relayer.address, fee)] if fee else [])
    txs = []
    for payee, value in payouts:
        auth = sign_authorization(stealth, token, payee, value, valid_for=600, nonce=os.urandom(32), now=now)
        fn = erc20.get_function_by_signature(_SWEEP_SIGNATURE)(
            auth.payer,
            auth.payee,
            auth.value,
            auth.valid_after,
            auth.valid_before,
            auth.nonce,
            auth.signature,
        )
        txs.append(str(chain.transact(relayer, fn)["transactionHash"]))
    return txs
