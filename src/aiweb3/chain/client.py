"""One chain client for the local node or any JSON-RPC endpoint.

:class:`Chain` wraps web3.py for contracts and events, and speaks raw JSON-RPC over one
httpx client where web3.py is slow or refuses (batches of raw transactions). It checks
the chain id on connect, manages nonces locally (safe under concurrent senders), prices
EIP-1559 fees, waits for receipts, and turns reverts into :class:`TransactionReverted`
with reasons decoded from every known ABI.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx
from coincurve import PrivateKey
from eth_account.signers.local import LocalAccount
from eth_utils import to_checksum_address
from hexbytes import HexBytes
from web3 import Web3
from web3.contract import Contract
from web3.contract.contract import ContractFunction
from web3.logs import DISCARD
from web3.types import TxReceipt

from aiweb3.chain.journal import JOURNALED_CALLS, TxJournal
from aiweb3.chain.revert import ErrorDecoder
from aiweb3.chain.txsign import SignedTx, sign_eip1559
from aiweb3.errors import (
    ChainError,
    ChainIdMismatch,
    InputError,
    InsufficientFunds,
    RPCUnreachable,
    TransactionReverted,
)

__all__ = ["BulkResult", "Chain", "NonceManager", "TxRequest", "encode_call"]

Receipt = dict[str, Any]


@dataclass(frozen=True)
class TxRequest:
    """A transaction to send: ``to`` (None deploys), calldata, value in wei, optional gas."""

    to: str | None
    data: bytes = b""
    value: int = 0
    gas: int | None = None


@dataclass
class BulkResult:
    """Receipts of a bulk send, in the order of the requests, and the failures among them."""

    receipts: list[Receipt]
    failures: list[tuple[int, TransactionReverted]] = field(default_factory=list)
    seconds: float = 0.0

    def raise_on_failure(self) -> None:
        """Raise the first failure, if any."""
        if self.failures:
            index, exc = self.failures[0]
            raise TransactionReverted(
                f"request #{index} ({len(self.failures)} failed in all): {exc.reason}",
                error_name=exc.error_name,
                error_args=exc.error_args,
                tx_hash=exc.tx_hash,
                data=exc.data,
            )


class NonceManager:
    """Hands out nonces per sender under a lock, so concurrent sends never clash.

    The first nonce comes from the node's pending count; after a failed send or a chain
    revert (``evm_revert``) call :meth:`reset` so the next nonce is read again.
    """

    def __init__(self, chain: Chain) -> None:
        self._chain = chain
        self._lock = threading.Lock()
        self._next: dict[str, int] = {}

    def reserve(self, address: str, count: int = 1) -> int:
        """Reserve ``count`` consecutive nonces; returns the first."""
        with self._lock:
            nxt = self._next.get(address)
            if nxt is None:
                nxt = int(self._chain.rpc("eth_getTransactionCount", [address, "pending"]), 16)
            self._next[address] = nxt + count
            return nxt

    def reset(self, address: str | None = None) -> None:
        """Forget cached nonces (all senders, or one)."""
        with self._lock:
            if address is None:
                self._next.clear()
            else:
                self._next.pop(address, None)


class Chain:
    """A connection to one chain.

    Args:
        url: JSON-RPC endpoint (the local node's URL or any provider).
        expected_chain_id: if given, connecting to another chain raises ChainIdMismatch.
        abis: extra ABIs whose custom errors should be decoded (all artifacts are known).
        timeout: seconds per HTTP request.
        poll_interval: seconds between receipt polls.
        journal: a write-ahead journal; every signed transaction is written to it (fsynced)
            before it is broadcast and its receipt once confirmed, so that
            :func:`aiweb3.chain.journal.replay` can restore what a crashed node lost.

    Raises:
        RPCUnreachable: nothing answers at ``url``.
        ChainIdMismatch: the endpoint serves a different chain.
    """

    def __init__(
        self,
        url: str,
        *,
        expected_chain_id: int | None = None,
        abis: Iterable[list[dict[str, Any]]] = (),
        timeout: float = 30.0,
        poll_interval: float = 0.005,
        journal: TxJournal | None = None,
    ) -> None:
        from aiweb3.chain.contracts import all_artifacts, vendor_artifacts  # artifacts load lazily

        self.url = url
        self.timeout = timeout
        self.poll_interval = poll_interval
        self.journal = journal
        self._http = httpx.Client(timeout=timeout)
        self._ids = itertools.count(1)
        try:
            self.chain_id = int(self.rpc("eth_chainId", []), 16)
        except RPCUnreachable:
            self._http.close()
            raise
        if expected_chain_id is not None and self.chain_id != expected_chain_id:
            self._http.close()
            raise ChainIdMismatch(
                f"{url} serves chain id {self.chain_id}, but chain id {expected_chain_id} was "
                "expected; check --rpc-url / AIWEB3_RPC_URL and AIWEB3_CHAIN_ID"
            )
        self.w3 = Web3(Web3.HTTPProvider(url, request_kwargs={"timeout": timeout}))
        self.nonces = NonceManager(self)
        self.errors = ErrorDecoder([a.abi for a in (*all_artifacts().values(), *vendor_artifacts().values())])
        for abi in abis:
            self.errors.add_abi(abi)
        self._keys: dict[str, PrivateKey] = {}
        self._is_anvil: bool | None = None

    def close(self) -> None:
        """Close the HTTP connections."""
        self._http.close()

    def __enter__(self) -> Chain:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Chain(url={self.url!r}, chain_id={self.chain_id})"

    # -- raw JSON-RPC ----------------------------------------------------
    def _post(self, payload: Any) -> Any:
        try:
            resp = self._http.post(self.url, json=payload)
        except httpx.HTTPError as exc:
            raise RPCUnreachable(
                f"no JSON-RPC answer from {self.url} ({type(exc).__name__}); is the node "
                "running (`aiweb3 node start`) and the URL right?"
            ) from None
        if resp.status_code == 429:
            raise ChainError(f"{self.url} is rate limiting requests (HTTP 429); slow down")
        try:
            reply = resp.json()
        except ValueError:
            raise RPCUnreachable(
                f"{self.url} answered HTTP {resp.status_code} without JSON; is it a JSON-RPC URL?"
            ) from None
        _require_jsonrpc(self.url, resp.status_code, reply)
        return reply

    def rpc(self, method: str, params: Sequence[Any]) -> Any:
        """Call one JSON-RPC method; errors become ChainError subclasses."""
        reply = self._post({"jsonrpc": "2.0", "id": next(self._ids), "method": method,
                            "params": list(params)})  # fmt: skip
        if not isinstance(reply, dict):
            raise ChainError(f"{method}: malformed JSON-RPC reply from {self.url}")
        if "error" in reply:
            raise self._rpc_error(method, reply["error"])
        return reply.get("result")

    def rpc_batch(self, calls: Sequence[tuple[str, Sequence[Any]]]) -> list[Any]:
        """One HTTP request carrying many calls; results (or exceptions) in call order."""
        if not calls:
            return []
        first = next(self._ids)
        payload = [
            {"jsonrpc": "2.0", "id": first + i, "method": m, "params": list(p)}
            for i, (m, p) in enumerate(calls)
        ]
        self._ids = itertools.count(first + len(calls))
        reply = self._post(payload)
        if not isinstance(reply, list):
            err = reply.get("error") if isinstance(reply, dict) else None
            raise ChainError(f"batch request refused by {self.url}: {err or reply}")
        by_id = {item.get("id"): item for item in reply}
        out: list[Any] = []
        for i, (method, _) in enumerate(calls):
            item = by_id.get(first + i)
            if item is None:
                out.append(ChainError(f"{method}: no reply in batch"))
            elif "error" in item:
                out.append(self._rpc_error(method, item["error"]))
            else:
                out.append(item.get("result"))
        return out

    def _rpc_error(self, method: str, error: dict[str, Any]) -> ChainError:
        message = str(error.get("message", error))
        data = error.get("data")
        if isinstance(data, dict):
            data = data.get("data")
        lowered = message.lower()
        if "revert" in lowered or error.get("code") == 3:
            raw = bytes.fromhex(data[2:]) if isinstance(data, str) and data.startswith("0x") else b""
            exc = self.errors.decode(raw)
            if not raw and "revert" in lowered and ":" in message:
                exc = TransactionReverted(message.split(":", 1)[1].strip())
            return exc
        if "insufficient funds" in lowered:
            return InsufficientFunds(
                "the sender has too little ETH to pay for gas and value; fund it "
                "(`aiweb3 account fund` on the local chain) or lower the amount"
            )
        return ChainError(f"{method} failed: {message}")

    # -- reads -----------------------------------------------------------
    def block_number(self) -> int:
        """The latest block number."""
        return int(self.rpc("eth_blockNumber", []), 16)

    def balance(self, address: str) -> int:
        """Ether balance in wei."""
        return int(self.rpc("eth_getBalance", [address, "latest"]), 16)

    def code(self, address: str) -> bytes:
        """Deployed code at ``address`` (empty for accounts)."""
        return bytes(HexBytes(self.rpc("eth_getCode", [address, "latest"])))

    def contract(self, abi: list[dict[str, Any]], address: str) -> Contract:
        """A web3.py contract object bound to ``address``."""
        return self.w3.eth.contract(address=to_checksum_address(address), abi=abi)

    def call(self, fn: ContractFunction, sender: str | None = None, block: str = "latest") -> Any:
        """Call a view function; reverts raise TransactionReverted with a decoded reason.

        Address outputs come back checksummed, as everywhere else in aiweb3.
        """
        tx: dict[str, Any] = {"to": fn.address, "data": "0x" + encode_call(fn).hex()}
        if sender:
            tx["from"] = sender
        raw = bytes(HexBytes(self.rpc("eth_call", [tx, block])))
        types = [_abi_type(o) for o in fn.abi.get("outputs", [])]
        result = [_checksummed(t, v) for t, v in zip(types, fn.w3.codec.decode(types, raw), strict=True)]
        return result[0] if len(result) == 1 else tuple(result)

    # -- fees and signing ---------------------------------------------------
    def fees(self) -> tuple[int, int]:
        """EIP-1559 ``(max_fee_per_gas, max_priority_fee_per_gas)``: twice the base fee plus tip."""
        block, tip = self.rpc_batch(
            [("eth_getBlockByNumber", ["latest", False]), ("eth_maxPriorityFeePerGas", [])]
        )
        if isinstance(block, Exception):
            raise block
        priority = int(tip, 16) if isinstance(tip, str) else 1_000_000_000
        base = int(block.get("baseFeePerGas") or "0x0", 16)
        return 2 * base + priority, priority

    def _key(self, signer: LocalAccount) -> PrivateKey:
        key = self._keys.get(signer.address)
        if key is None:
            key = self._keys[signer.address] = PrivateKey(bytes(signer.key))
        return key

    def estimate_gas(self, sender: str, req: TxRequest) -> int:
        """Estimate gas; a revert raises TransactionReverted with its decoded reason."""
        tx: dict[str, Any] = {
            "from": sender,
            "data": "0x" + req.data.hex(),
            "value": hex(req.value),
        }
        if req.to:
            tx["to"] = req.to
        return int(self.rpc("eth_estimateGas", [tx]), 16)

    def _sign(
        self, signer: LocalAccount, req: TxRequest, nonce: int, gas: int, fees: tuple[int, int]
    ) -> SignedTx:
        return sign_eip1559(
            self._key(signer),
            chain_id=self.chain_id,
            nonce=nonce,
            max_priority_fee_per_gas=fees[1],
            max_fee_per_gas=fees[0],
            gas=gas,
            to=bytes.fromhex(req.to[2:]) if req.to else b"",
            value=req.value,
            data=req.data,
        )

    @staticmethod
    def _with_margin(gas: int) -> int:
        return gas * 6 // 5 + 10_000

    # -- writes -----------------------------------------------------------
    def send(self, signer: LocalAccount, req: TxRequest, *, wait: bool = True) -> Receipt:
        """Sign, send and (by default) wait for one transaction.

        Raises:
            TransactionReverted: it would revert (found by estimation) or reverted on chain.
            InsufficientFunds: the sender cannot pay.
        """
        gas = req.gas or self._with_margin(self.estimate_gas(signer.address, req))
        fees = self.fees()
        nonce = self.nonces.reserve(signer.address)
        signed = self._sign(signer, req, nonce, gas, fees)
        tx_hash = "0x" + signed.hash.hex()
        if self.journal is not None:
            self.journal.record(self.chain_id, [(signer.address, nonce, signed.raw, tx_hash)])
        try:
            self.rpc("eth_sendRawTransaction", ["0x" + signed.raw.hex()])
        except ChainError as exc:
            self.nonces.reset(signer.address)
            if self.journal is not None and not isinstance(exc, RPCUnreachable):
                self.journal.rejected([tx_hash])
            raise
        if not wait:
            return {"transactionHash": tx_hash}
        receipt = self._collect_receipts([tx_hash], 1, {tx_hash: "0x" + signed.raw.hex()}, signer.address)[0]
        if receipt["status"] != 1:
            raise self._revert_reason(signer.address, req, receipt)
        return receipt

    def transact(
        self, signer: LocalAccount, fn: ContractFunction, *, value: int = 0, gas: int | None = None
    ) -> Receipt:
        """Send a contract function call and wait for it."""
        return self.send(signer, TxRequest(fn.address, encode_call(fn), value, gas))

    def deploy(
        self, signer: LocalAccount, abi: list[dict[str, Any]], bytecode: str, *args: Any
    ) -> tuple[str, Receipt]:
        """Deploy a contract; returns its address and the receipt."""
        factory = self.w3.eth.contract(abi=abi, bytecode=bytecode)
        data = bytes(HexBytes(factory.constructor(*args).data_in_transaction))
        receipt = self.send(signer, TxRequest(None, data))
        return str(receipt["contractAddress"]), receipt

    def wait(self, tx_hash: str) -> Receipt:
        """Wait for one receipt (see :meth:`_collect_receipts`)."""
        return self._collect_receipts([tx_hash], 1)[0]

    def _revert_reason(self, sender: str, req: TxRequest, receipt: Receipt) -> TransactionReverted:
        tx: dict[str, Any] = {
            "from": sender,
            "data": "0x" + req.data.hex(),
            "value": hex(req.value),
        }
        if req.to:
            tx["to"] = req.to
        tx["gas"] = hex(int(receipt["gasUsed"]) + 1)
        block = hex(max(int(receipt["blockNumber"]) - 1, 0))
        try:
            self.rpc("eth_call", [tx, block])
        except TransactionReverted as exc:
            exc.tx_hash = receipt["transactionHash"]
            return exc
        except ChainError:
            pass
        return TransactionReverted(
            f"reverted on chain (out of gas? gas used {receipt['gasUsed']})",
            tx_hash=receipt["transactionHash"],
        )

    def bulk_send(
        self,
        signer: LocalAccount,
        requests: Sequence[TxRequest],
        *,
        batch_size: int = 100,
        gas: int | None = None,
    ) -> BulkResult:
        """Pre-sign every request, send raw JSON-RPC batches, collect receipts in batches.

        Gas: ``gas`` for all, else each request's own ``gas``, else one estimate per distinct
        (target, selector) with a margin. Nothing is sent if an estimate reverts.
        """
        if batch_size < 1:
            raise InputError("batch_size must be at least 1")
        started = time.perf_counter()
        gases = self._bulk_gas(signer.address, requests, gas)
        fees = self.fees()
        first = self.nonces.reserve(signer.address, len(requests))
        signed = [
            self._sign(signer, req, first + i, g, fees)
            for i, (req, g) in enumerate(zip(requests, gases, strict=True))
        ]
        hashes = ["0x" + s.hash.hex() for s in signed]
        if self.journal is not None:
            self.journal.record(
                self.chain_id,
                [
                    (signer.address, first + i, s.raw, h)
                    for i, (s, h) in enumerate(zip(signed, hashes, strict=True))
                ],
            )
        for start in range(0, len(signed), batch_size):
            chunk = signed[start : start + batch_size]
            try:
                results = self.rpc_batch([("eth_sendRawTransaction", ["0x" + s.raw.hex()]) for s in chunk])
            except ChainError:
                self.nonces.reset(signer.address)
                raise
            errors = [r for r in results if isinstance(r, Exception)]
            if errors:
                self.nonces.reset(signer.address)
                if self.journal is not None:
                    sent = hashes[start : start + len(chunk)]
                    refused = [h for h, r in zip(sent, results, strict=True) if isinstance(r, Exception)]
                    self.journal.rejected(refused + hashes[start + len(chunk) :])
                raise ChainError(
                    f"bulk send stopped at request #{start}: {errors[0]} "
                    f"({start} sent before it were accepted)"
                )
        raws = {h: "0x" + s.raw.hex() for h, s in zip(hashes, signed, strict=True)}
        receipts = self._collect_receipts(hashes, batch_size, raws, signer.address)
        result = BulkResult(receipts, seconds=time.perf_counter() - started)
        for i, receipt in enumerate(receipts):
            if receipt["status"] != 1:
                result.failures.append((i, self._revert_reason(signer.address, requests[i], receipt)))
        return result

    def _bulk_gas(self, sender: str, requests: Sequence[TxRequest], gas: int | None) -> list[int]:
        if gas is not None:
            return [gas] * len(requests)
        estimates: dict[tuple[str | None, bytes], int] = {}
        for req in requests:
            key = (req.to, req.data[:4])
            if req.gas is None and key not in estimates:
                # Worst case of a kind: storage writes to fresh slots cost the most, and a
                # fresh estimate on the first request of each kind covers them with a margin.
                estimates[key] = self._with_margin(self.estimate_gas(sender, req)) + 25_000
        return [req.gas or estimates[(req.to, req.data[:4])] for req in requests]

    def _collect_receipts(
        self,
        hashes: list[str],
        batch_size: int,
        raws: dict[str, str] | None = None,
        sender: str | None = None,
    ) -> list[Receipt]:
        """Receipts of ``hashes``; ``raws`` (hash -> signed raw transaction, all from ``sender``)
        lets a stalled wait take them out of the node's pool and send them again."""
        found: dict[str, Receipt] = {}
        deadline = time.monotonic() + 60 + len(hashes) * 0.01
        pending = list(hashes)
        size = max(batch_size, 200)
        last_progress = time.monotonic()
        flushed_without_progress = False
        while pending:
            missing: list[str] = []
            for start in range(0, len(pending), size):
                chunk = pending[start : start + size]
                results = self.rpc_batch([("eth_getTransactionReceipt", [h]) for h in chunk])
                for h, r in zip(chunk, results, strict=True):
                    if isinstance(r, dict):
                        found[h] = _normalize_receipt(r)
                    else:
                        missing.append(h)
            if len(missing) < len(pending):
                last_progress = time.monotonic()
                flushed_without_progress = False
            elif time.monotonic() - last_progress > 0.25 and self._anvil_automine():
                # anvil's automine sometimes misses the wake-up for transactions that arrive
                # while it is mining a block; they then wait for the next transaction. Mining
                # one block by hand flushes them (foundry-rs/foundry issue #10122; seen here with 1.7.1).
                # A flush that races a block anvil is still mining (a slow, loaded node) can leave
                # a transaction in its pool "queued" behind a nonce that was already mined: it
                # and every later nonce then wait for good (re-sending it is refused as already
                # imported). When a flush brought no progress, take the sender's transactions out
                # of the pool and send the missing ones again, which queues them afresh.
                again = [h for h in missing if raws and h in raws]
                if flushed_without_progress and sender and raws and again:
                    self.rpc("anvil_removePoolTransactions", [sender])
                    self.rpc_batch([("eth_sendRawTransaction", [raws[h]]) for h in again])
                self.rpc("evm_mine", [])
                flushed_without_progress = True
                last_progress = time.monotonic()
            pending = missing
            if pending:
                if time.monotonic() > deadline:
                    raise ChainError(f"{len(pending)} transactions were not mined in time")
                time.sleep(self.poll_interval)
        receipts = [found[h] for h in hashes]
        if self.journal is not None:
            self.journal.confirmed(receipts)
        return receipts

    def _anvil_automine(self) -> bool:
        """True for an anvil node that mines on every transaction (then evm_mine is safe)."""
        if self._is_anvil is None:
            try:
                version = str(self.rpc("web3_clientVersion", []))
                self._is_anvil = version.lower().startswith("anvil") and bool(
                    self.rpc("anvil_getAutomine", [])
                )
            except ChainError:
                self._is_anvil = False
        return self._is_anvil

    # -- events and dev helpers ---------------------------------------------
    def events(self, contract: Contract, event: str, receipt: Receipt) -> list[dict[str, Any]]:
        """Decode ``event`` logs emitted by ``contract`` in ``receipt`` (args as a dict)."""
        web3_receipt: TxReceipt = self.w3.eth.get_transaction_receipt(receipt["transactionHash"])
        logs = contract.events[event]().process_receipt(web3_receipt, errors=DISCARD)
        return [dict(log["args"]) for log in logs]

    def block_time(self) -> int:
        """The timestamp the next block will carry, as the node sees it (seconds since the epoch).

        Contracts compare deadlines with ``block.timestamp``, which is the node's clock, not this
        machine's: a dev node moved by ``evm_increaseTime`` or reverted to a snapshot runs ahead
        of or behind the wall clock. The pending block says where the node's clock is; nodes that
        do not serve it fall back to the later of the latest block and the wall clock.
        """
        try:
            pending = self.rpc("eth_getBlockByNumber", ["pending", False])
        except ChainError:
            pending = None
        if isinstance(pending, dict) and pending.get("timestamp"):
            return int(pending["timestamp"], 16)
        latest = self.rpc("eth_getBlockByNumber", ["latest", False])
        return max(int(latest["timestamp"], 16), int(time.time()))

    def snapshot(self) -> str:
        """``evm_snapshot`` (local/dev nodes only); returns the snapshot id."""
        snapshot_id = str(self.rpc("evm_snapshot", []))
        if self.journal is not None:
            self.journal.note_snapshot(self.chain_id, snapshot_id)
        return snapshot_id

    def revert(self, snapshot_id: str) -> None:
        """``evm_revert`` to a snapshot and forget cached nonces."""
        if not self.rpc("evm_revert", [snapshot_id]):
            raise ChainError(f"could not revert to snapshot {snapshot_id}")
        if self.journal is not None:
            self.journal.reverted_to(self.chain_id, snapshot_id)
        self.nonces.reset()

    def set_balance(self, address: str, wei: int) -> None:
        """``anvil_setBalance`` (local node only; journaled like a transaction)."""
        self.dev_call("anvil_setBalance", [address, hex(wei)])

    def dev_call(self, method: str, params: Sequence[Any]) -> Any:
        """A state-changing dev call; those the journal replays (``anvil_setBalance``) are journaled first."""
        if self.journal is not None and method in JOURNALED_CALLS:
            self.journal.record_call(self.chain_id, method, params)
        return self.rpc(method, params)


def _require_jsonrpc(url: str, status: int, reply: Any) -> None:
    """Refuse a JSON reply that is not JSON-RPC: another service (a dashboard, an API) at ``url``."""
    items = reply if isinstance(reply, list) else [reply]
    if items and all(isinstance(i, dict) and ("result" in i or "error" in i) for i in items):
        return
    raise RPCUnreachable(
        f"{url} is not a JSON-RPC endpoint (it answered HTTP {status} with other JSON); "
        "pass the node's URL to --rpc-url / AIWEB3_RPC_URL (`aiweb3 node status` shows the local one)"
    )


def encode_call(fn: ContractFunction) -> bytes:
    """ABI-encode a bound contract function call into calldata.

    web3.py's public route (``w3.eth.contract(abi=...).encode_abi(...)``) validates the whole ABI
    on every call: ~5 ms idle and ~35 ms on a loaded machine, which dominated bulk sends and paid
    requests. The bound function already holds its resolved ABI entry and arguments; its own
    encoder (the one ``build_transaction`` uses) applies web3's argument normalizers (hex strings
    for bytes, checksummed addresses) and costs ~0.6 ms. It is underscored in web3 8 (pinned);
    ``tests/unit/test_encode_call.py`` checks it against plain eth_abi so an upgrade cannot
    change calldata silently.
    """
    return bytes(HexBytes(fn._encode_transaction_data()))


def _abi_type(item: Any) -> str:
    from aiweb3.chain.revert import _canonical_type

    return _canonical_type(dict(item))


def _checksummed(typ: str, value: Any) -> Any:
    if typ == "address":
        return to_checksum_address(value)
    if typ == "address[]":
        return [to_checksum_address(v) for v in value]
    return value


def _normalize_receipt(raw: dict[str, Any]) -> Receipt:
    out = dict(raw)
    for key in ("status", "blockNumber", "gasUsed", "effectiveGasPrice", "transactionIndex"):
        if isinstance(out.get(key), str):
            out[key] = int(out[key], 16)
    if out.get("contractAddress"):
        out["contractAddress"] = to_checksum_address(out["contractAddress"])
    return out
