"""Inference receipts: a provider's signed statement "this model, on this runtime build, given this
request with these sampling parameters, produced this output".

A receipt binds the model file's SHA-256, the runtime build (engine version and the SHA-256 of
its binaries), the request (messages and sampling parameters, seed included) and the output,
and is signed with EIP-712 by the provider's key. Greedy or seeded generation on the same build
is deterministic, so anyone holding the same model file re-executes the request and compares
byte for byte: :func:`verify_receipt` does that and confirms or refutes.

What this proves, and what it does not (see docs/llm.md): a confirmed receipt shows that the
signed output is what this model and build produce for this request; it does not show that the
provider ran anything, nor that the output is true, and a different build may legitimately
produce other bytes (then the verdict is "inconclusive", never "confirmed").
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from eth_account.signers.local import LocalAccount

from aiweb3.crypto.typed_data import Domain, recover_typed, sign_typed
from aiweb3.errors import InputError
from aiweb3.files import atomic_write_json, canonical_json
from aiweb3.llm.base import ChatMessage
from aiweb3.llm.openai import OpenAICompatible

__all__ = [
    "RECEIPT_TYPES",
    "InferenceRequest",
    "Receipt",
    "Verdict",
    "load_receipt",
    "receipt_domain",
    "sign_receipt",
    "verify_receipt",
]

#: EIP-712 domain name and version of inference receipts.
DOMAIN_NAME = "aiweb3 inference receipt"
DOMAIN_VERSION = "1"
#: The verifying contract of receipts that are not (yet) posted to a batch contract.
UNBOUND_CONTRACT = "0x0000000000000000000000000000000000000000"

RECEIPT_TYPES: dict[str, list[dict[str, str]]] = {
    "InferenceReceipt": [
        {"name": "modelSha256", "type": "bytes32"},
        {"name": "runtime", "type": "string"},
        {"name": "requestSha256", "type": "bytes32"},
        {"name": "outputSha256", "type": "bytes32"},
        {"name": "seed", "type": "uint256"},
        {"name": "provider", "type": "address"},
        {"name": "issuedAt", "type": "uint256"},
    ]
}


def receipt_domain(chain_id: int, contract: str = UNBOUND_CONTRACT) -> Domain:
    """The EIP-712 domain of receipts on ``chain_id`` (bound to a batch contract when posted)."""
    return Domain(DOMAIN_NAME, DOMAIN_VERSION, chain_id, contract)


@dataclass(frozen=True)
class InferenceRequest:
    """Everything that determines a generation: messages and sampling parameters.

    Only greedy (``temperature == 0``) or seeded requests can be re-executed.
    """

    messages: tuple[ChatMessage, ...]
    temperature: float = 0.0
    seed: int = 0
    max_tokens: int = 128

    def __post_init__(self) -> None:
        if not self.messages:
            raise InputError("an inference request needs at least one message")
        if self.temperature < 0 or self.max_tokens < 1 or self.seed < 0:
            raise InputError("temperature and seed must be >= 0 and max_tokens >= 1")

    def to_json(self) -> dict[str, Any]:
        """The canonical request object (what ``requestSha256`` hashes)."""
        return {
            "messages": [{"role": m["role"], "content": m["content"]} for m in self.messages],
            "temperature": self.temperature,
            "seed": self.seed,
            "max_tokens": self.max_tokens,
        }

    @property
    def sha256(self) -> str:
        """SHA-256 of the canonical JSON of :meth:`to_json`."""
        return hashlib.sha256(canonical_json(self.to_json())).hexdigest()

    @classmethod
    def from_json(cls, data: Any) -> InferenceRequest:
        """Parse :meth:`to_json` output; raises InputError when malformed."""
        try:
            messages = tuple(
                ChatMessage(role=str(m["role"]), content=str(m["content"])) for m in data["messages"]
            )
            return cls(
                messages=messages,
                temperature=float(data["temperature"]),
                seed=int(data["seed"]),
                max_tokens=int(data["max_tokens"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise InputError(f"malformed inference request in the receipt: {exc}") from None


def run_request(client: OpenAICompatible, request: InferenceRequest, *, timeout: float | None = None) -> str:
    """Execute ``request`` on ``client`` (its exact sampling parameters) and return the output."""
    return client.chat(
        request.messages,
        temperature=request.temperature,
        seed=request.seed,
        max_tokens=request.max_tokens,
        timeout=timeout,
        kind="receipt",
        purpose="receipt re-execution",
    ).text


@dataclass(frozen=True)
class Receipt:
    """A signed inference receipt (what ``aiweb3 llm chat --receipt FILE`` writes)."""

    domain: Domain
    message: dict[str, Any]
    request: InferenceRequest
    output: str
    model_name: str
    signature: bytes

    def to_json(self) -> dict[str, Any]:
        """The receipt file's content."""
        return {
            "kind": "aiweb3.inference-receipt/v1",
            "domain": self.domain.to_json(),
            "message": self.message,
            "request": self.request.to_json(),
            "output": self.output,
            "model_name": self.model_name,
            "signature": "0x" + self.signature.hex(),
        }

    @property
    def hash(self) -> str:
        """SHA-256 of the canonical receipt JSON (what a batch would post)."""
        return hashlib.sha256(canonical_json(self.to_json())).hexdigest()

    def save(self, path: Path) -> None:
        """Write the receipt atomically."""
        atomic_write_json(path, self.to_json())


def sign_receipt(
    signer: LocalAccount,
    domain: Domain,
    *,
    request: InferenceRequest,
    output: str,
    model_sha256: str,
    model_name: str,
    runtime: str,
) -> Receipt:
    """Sign a receipt for ``output`` of ``request`` on the given model and runtime build."""
    message = {
        "modelSha256": "0x" + model_sha256,
        "runtime": runtime,
        "requestSha256": "0x" + request.sha256,
        "outputSha256": "0x" + hashlib.sha256(output.encode()).hexdigest(),
        "seed": request.seed,
        "provider": signer.address,
        "issuedAt": int(time.time()),
    }
    signature = sign_typed(signer, domain, RECEIPT_TYPES, "InferenceReceipt", message)
    return Receipt(domain, message, request, output, model_name, signature)


def load_receipt(path: Path) -> Receipt:
    """Read a receipt file; raises InputError (one line) when it is not one."""
    try:
        data = json.loads(Path(path).read_text())
    except FileNotFoundError:
        raise InputError(f"{path} does not exist") from None
    except (ValueError, UnicodeDecodeError):
        raise InputError(f"{path} is not a JSON receipt") from None
    if not isinstance(data, dict) or data.get("kind") != "aiweb3.inference-receipt/v1":
        raise InputError(f"{path} is not an aiweb3 inference receipt")
    try:
        signature = bytes.fromhex(str(data["signature"]).removeprefix("0x"))
        message = dict(data["message"])
        output = str(data["output"])
        name = str(data.get("model_name", "?"))
    except (KeyError, TypeError, ValueError) as exc:
        raise InputError(f"{path}: malformed receipt ({exc})") from None
    return Receipt(
        Domain.from_json(data["domain"]),
        message,
        InferenceRequest.from_json(data["request"]),
        output,
        name,
        signature,
    )


@dataclass(frozen=True)
class Verdict:
    """The outcome of checking a receipt.

    Attributes:
        status: "confirmed" (re-executed, same bytes), "refuted" (tampered, bad signature or
            different bytes on the same build) or "inconclusive" (no such model here, or
            another runtime build).
        reason: one line saying why.
        provider: the address that signed it (when the signature is well formed).
    """

    status: Literal["confirmed", "refuted", "inconclusive"]
    reason: str
    provider: str | None = None


def verify_receipt(
    receipt: Receipt,
    *,
    model_sha256: str | None,
    runtime: str,
    client: OpenAICompatible | None,
    timeout: float | None = None,
) -> Verdict:
    """Check a receipt's bindings and signature, then re-execute and compare byte for byte.

    Args:
        model_sha256: SHA-256 of the model file ``client`` runs (None: no such model here).
        runtime: the local runtime build id.
        client: a client of the local runtime running that model (None: signature check only).
    """
    msg = receipt.message
    try:
        provider = recover_typed(receipt.signature, receipt.domain, RECEIPT_TYPES, "InferenceReceipt", msg)
    except InputError as exc:
        return Verdict("refuted", f"bad signature: {exc}")
    if provider.lower() != str(msg.get("provider", "")).lower():
        return Verdict("refuted", "the signature is not the provider's (receipt altered after signing)")
    if msg.get("requestSha256") != "0x" + receipt.request.sha256:
        return Verdict("refuted", "the request does not match the signed request hash (tampered)", provider)
    if msg.get("outputSha256") != "0x" + hashlib.sha256(receipt.output.encode()).hexdigest():
        return Verdict("refuted", "the output does not match the signed output hash (tampered)", provider)
    if int(msg.get("seed", -1)) != receipt.request.seed:
        return Verdict("refuted", "the seed does not match the signed seed (tampered)", provider)
    wanted = str(msg.get("modelSha256", "")).removeprefix("0x")
    if client is None or model_sha256 != wanted:
        return Verdict(
            "inconclusive",
            f"signature valid, but the model {wanted[:16]}… is not present here to re-execute; "
            "add it with `aiweb3 llm add`",
            provider,
        )
    output = run_request(client, receipt.request, timeout=timeout)
    same_build = msg.get("runtime") == runtime
    if output == receipt.output:
        return Verdict("confirmed", f"re-executed on {runtime}: identical output", provider)
    if not same_build:
        return Verdict(
            "inconclusive",
            f"output differs, but it was made on {msg.get('runtime')} and re-executed on {runtime}",
            provider,
        )
    return Verdict("refuted", f"re-executed on the same build {runtime}: the output differs", provider)
