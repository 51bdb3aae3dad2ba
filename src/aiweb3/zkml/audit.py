"""Audit trail of a registered model: every ``InferenceVerified`` event the registry emitted.

``audit(registry, model_id)`` reads the logs (``eth_getLogs`` filtered on the indexed model
id, in block ranges) and returns one :class:`VerifiedInference` per event: who submitted the
proof, in which block and transaction, when (block timestamp), and the input commitment and
outputs hash the proof carried. Whoever holds an input (and its salt) can find the inference
about it by recomputing the commitment; whoever holds a proof file finds it by its outputs hash.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from eth_utils import keccak

from aiweb3.chain import checksum
from aiweb3.errors import InputError

if TYPE_CHECKING:
    from aiweb3.zkml.registry import ModelRegistryClient

__all__ = ["VerifiedInference", "audit", "outputs_hash", "read_inferences", "verified_outputs"]

#: blocks per eth_getLogs request (public nodes cap the range; anvil does not care)
LOG_RANGE = 10_000


@dataclass(frozen=True)
class VerifiedInference:
    """One ``InferenceVerified`` event.

    Attributes:
        model_id: the model the proof was checked against.
        caller: the account that sent ``verifyInference``.
        block: block number; ``timestamp``: its time (unix seconds).
        tx_hash: the transaction; ``log_index``: the event's position in the block.
        input_commitment: the public input commitment (zero for a private input).
        outputs_hash: keccak256 of the output instances.
    """

    model_id: str
    caller: str
    block: int
    timestamp: int
    tx_hash: str
    log_index: int
    input_commitment: str
    outputs_hash: str

    def to_json(self) -> dict[str, Any]:
        """As JSON data."""
        return asdict(self)


def outputs_hash(instances: list[int], input_instances: int) -> str:
    """The ``outputsHash`` the registry computes: keccak256 of the output instances (32 bytes each)."""
    return "0x" + keccak(b"".join(v.to_bytes(32, "big") for v in instances[input_instances:])).hex()


def _model_topic(model_id: str) -> str:
    text = model_id.lower()
    if not text.startswith("0x") or len(text) != 66:
        raise InputError(f"{model_id!r} is not a full model id (0x followed by 64 hex digits)")
    try:
        bytes.fromhex(text[2:])
    except ValueError:
        raise InputError(f"{model_id!r} is not a model id (0x followed by 64 hex digits)") from None
    return text


def audit(
    registry: ModelRegistryClient,
    model_id: str,
    *,
    from_block: int = 0,
    to_block: int | None = None,
    caller: str | None = None,
) -> list[VerifiedInference]:
    """Every verified inference of ``model_id`` (oldest first), optionally by one ``caller``.

    Raises:
        InputError: ``model_id`` is not a full id.
        TransactionReverted: the model is not registered (the registry's ``UnknownModel``).
    """
    topic = _model_topic(model_id)
    registry.get(topic)  # an unknown model is an error, not an empty trail
    return read_inferences(registry, topic, from_block=from_block, to_block=to_block, caller=caller)


def verified_outputs(
    registry: ModelRegistryClient, model_id: str, trail: list[VerifiedInference]
) -> list[list[int] | None]:
    """The public output instances of each verified inference in ``trail``, read from the chain.

    ``InferenceVerified`` carries only ``keccak256(outputs)``; the outputs themselves are in the
    ``verifyInference`` calldata (or their part of a ``verifyInferenceBatch`` call's). Each
    transaction is fetched (one batch) and decoded with the registry's ABI; an entry is ``None``
    unless the transaction is a direct call to this registry for this model whose instances hash
    to the event's ``outputsHash`` (a call made through another contract, such as a split
    verifier, cannot be read this way).
    """
    from eth_abi.exceptions import DecodingError

    if not trail:
        return []
    input_instances = registry.get(model_id).input_instances
    batch_size: int | None = None
    answers = registry.chain.rpc_batch([("eth_getTransactionByHash", [t.tx_hash]) for t in trail])
    found: list[list[int] | None] = []
    for event, tx in zip(trail, answers, strict=True):
        if isinstance(tx, Exception):
            raise tx
        found.append(None)
        if str(tx.get("to") or "").lower() != registry.address.lower():
            continue
        try:
            fn, args = registry.contract.decode_function_input(str(tx["input"]))
        except (ValueError, DecodingError):  # not one of the registry's functions, or malformed
            continue
        if fn.fn_name not in _VERIFYING or "0x" + bytes(args["modelId"]).hex() != model_id.lower():
            continue
        outputs = [int(v) for v in args["instances"]][input_instances:]
        parts = [outputs]
        if fn.fn_name == "verifyInferenceBatch":  # one event per equal part of the outputs
            size = batch_size if batch_size is not None else registry.batch_size(model_id)
            batch_size = max(size, 1)
            per = len(outputs) // batch_size
            parts = [outputs[i * per : (i + 1) * per] for i in range(batch_size)]
        found[-1] = next((p for p in parts if outputs_hash(p, 0) == event.outputs_hash), None)
    return found


_VERIFYING = ("verifyInference", "verifyInferenceBatch")


def read_inferences(
    registry: ModelRegistryClient,
    model_topic: str | None = None,
    *,
    from_block: int = 0,
    to_block: int | None = None,
    caller: str | None = None,
) -> list[VerifiedInference]:
    """Every ``InferenceVerified`` event of the registry (of one model when ``model_topic`` is a
    full model id), oldest first; no check that the model is registered."""
    chain = registry.chain
    event = registry.contract.events.InferenceVerified()
    signature = "0x" + keccak(text="InferenceVerified(bytes32,bytes32,bytes32,address)").hex()
    topics: list[Any] = [signature, model_topic]
    if caller is not None:
        topics.append("0x" + "00" * 12 + checksum(caller)[2:].lower())
    last = chain.block_number() if to_block is None else to_block
    raw: list[dict[str, Any]] = []
    start = from_block
    while start <= last:
        end = min(start + LOG_RANGE - 1, last)
        raw.extend(
            chain.rpc(
                "eth_getLogs",
                [
                    {
                        "address": registry.address,
                        "fromBlock": hex(start),
                        "toBlock": hex(end),
                        "topics": topics,
                    }
                ],
            )
        )
        start = end + 1
    blocks = sorted({int(str(log["blockNumber"]), 16) for log in raw})
    stamps: dict[int, int] = {}
    if blocks:
        answers = chain.rpc_batch([("eth_getBlockByNumber", [hex(b), False]) for b in blocks])
        failed = next((a for a in answers if isinstance(a, Exception)), None)
        if failed is not None:
            raise failed
        stamps = {b: int(str(a["timestamp"]), 16) for b, a in zip(blocks, answers, strict=True)}
    found = []
    for log in raw:
        args = event.process_log(_web3_log(log))["args"]
        block = int(str(log["blockNumber"]), 16)
        found.append(
            VerifiedInference(
                model_id="0x" + bytes(args["modelId"]).hex(),
                caller=checksum(str(args["caller"])),
                block=block,
                timestamp=stamps[block],
                tx_hash=str(log["transactionHash"]),
                log_index=int(str(log["logIndex"]), 16),
                input_commitment="0x" + bytes(args["inputCommitment"]).hex(),
                outputs_hash="0x" + bytes(args["outputsHash"]).hex(),
            )
        )
    return sorted(found, key=lambda v: (v.block, v.log_index))


def _web3_log(log: dict[str, Any]) -> Any:
    """A raw JSON-RPC log in the form web3's event decoder takes."""
    from hexbytes import HexBytes

    return {
        "address": checksum(str(log["address"])),
        "topics": [HexBytes(t) for t in log["topics"]],
        "data": HexBytes(log["data"]),
        "blockNumber": int(str(log["blockNumber"]), 16),
        "transactionHash": HexBytes(log["transactionHash"]),
        "transactionIndex": int(str(log["transactionIndex"]), 16),
        "blockHash": HexBytes(log["blockHash"]),
        "logIndex": int(str(log["logIndex"]), 16),
        "removed": bool(log.get("removed", False)),
    }
