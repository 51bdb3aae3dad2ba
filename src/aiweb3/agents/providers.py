"""Providers agents can buy from without asking: a storage agent and a proving agent.

Both are FastAPI apps charging through a :class:`PaymentGate` (x402), with clients that pay
from an agent wallet. Storage is content-addressed (CIDv1 raw sha2-256, as IPFS names raw
blocks): the client checks every CID it is given and every blob it fetches.

The proving agent sells inferences of one model together with a zero-knowledge proof the
chain checks: :class:`ZkmlProver` proves with :mod:`aiweb3.zkml` (ezkl) for a model registered
in the system ``ModelRegistry``, so a buyer calls ``ModelRegistry.verifyInference(modelId,
proof, instances)`` (it emits ``InferenceVerified``) and the system ``TaskEscrow`` releases a
proof-gated task on the same check.
"""

from __future__ import annotations

import json
import math
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Protocol

from eth_account.signers.local import LocalAccount
from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.responses import Response
from pydantic import BaseModel
from x402.schemas import SettleResponse

from aiweb3.agents.escrow import TaskEscrow, TaskStatus
from aiweb3.agents.http402 import PayingClient, PaymentGate
from aiweb3.agents.registry import AgentRegistry
from aiweb3.errors import InputError, PaymentError, StoreError, TransactionReverted
from aiweb3.files import atomic_write_json
from aiweb3.store import LocalStore, cid_of
from aiweb3.zkml import CompiledModel

__all__ = [
    "EscrowWork",
    "InferenceProof",
    "Prover",
    "ProvingClient",
    "StorageClient",
    "StoredBlob",
    "ZkmlProver",
    "proving_app",
    "storage_app",
    "storage_price",
]

MIB = 1024 * 1024


def storage_price(size: int, days: int, price_per_mib_day: int) -> int:
    """Token base units for ``size`` bytes kept ``days`` days (whole MiB-days rounded up, min 1)."""
    if size < 0 or days < 1:
        raise InputError("size must be >= 0 and days >= 1")
    return max(1, math.ceil(size * days * price_per_mib_day / MIB))


@dataclass(frozen=True)
class StoredBlob:
    """A blob the storage agent holds: its CID, size and lease end (unix seconds)."""

    cid: str
    size: int
    expires_at: int
    paid_tx: str = ""


def storage_app(store: LocalStore, gate: PaymentGate, price_per_mib_day: int, leases: Path) -> FastAPI:
    """The storage agent: ``PUT /blobs?days=N`` (paid) stores a blob, ``GET /blobs/{cid}`` returns it."""
    app = FastAPI(title="aiweb3 storage agent")
    lock = threading.Lock()

    def load() -> dict[str, dict[str, Any]]:
        return dict(json.loads(leases.read_text())) if leases.exists() else {}

    def price(request: Request) -> int:
        try:
            size = int(request.headers["content-length"])
            days = int(request.query_params.get("days", "1"))
        except (KeyError, ValueError):
            raise HTTPException(411, "Content-Length and an integer ?days= are required") from None
        if days < 1 or days > 3650:
            raise HTTPException(400, "days must be 1..3650")
        return storage_price(size, days, price_per_mib_day)

    @app.get("/")
    def info() -> dict[str, Any]:
        return {"service": "storage", "price_per_mib_day": price_per_mib_day, "cid": "CIDv1 raw sha2-256"}

    @app.put("/blobs")
    async def put(
        request: Request, days: int = 1, receipt: SettleResponse = Depends(gate.price(price))
    ) -> Any:
        data = await request.body()
        cid = store.put_bytes(data)
        expires = int(time.time()) + days * 86400
        with lock:
            book = load()
            old = book.get(cid, {}).get("expires_at", 0)
            book[cid] = {"size": len(data), "expires_at": max(old, expires)}
            atomic_write_json(leases, book)
        return asdict(StoredBlob(cid, len(data), max(old, expires), receipt.transaction))

    @app.get("/blobs/{cid}")
    def get(cid: str) -> Response:
        lease = load().get(cid)
        if lease is None or lease["expires_at"] < time.time() or not store.has(cid):
            raise HTTPException(404, f"{cid} is not stored here (or its lease ended)")
        try:
            data = store.get_bytes(cid)
        except StoreError:
            raise HTTPException(410, f"{cid} is damaged on this agent's disk") from None
        return Response(data, media_type="application/octet-stream")

    return app


class StorageClient:
    """Stores and fetches blobs at a storage agent, paying over x402 and checking every CID."""

    def __init__(self, payer: PayingClient, base_url: str) -> None:
        self.payer = payer
        self.base_url = base_url.rstrip("/")

    def put(self, data: bytes, *, days: int = 1) -> StoredBlob:
        """Store ``data`` for ``days``; raises StoreError if the agent names another CID."""
        paid = self.payer.request("PUT", f"{self.base_url}/blobs", params={"days": days}, content=data,
                                  purpose=f"store {len(data)} bytes for {days} day(s)")  # fmt: skip
        if paid.response.status_code != 200:
            raise PaymentError(f"storage agent answered {paid.response.status_code}: {paid.response.text}")
        blob = StoredBlob(**paid.response.json())
        if blob.cid != cid_of(data):
            raise StoreError(f"storage agent returned CID {blob.cid}, but the data hashes to {cid_of(data)}")
        return blob

    def get(self, cid: str) -> bytes:
        """Fetch a blob; raises StoreError unless the bytes hash to ``cid``."""
        reply = self.payer.http.get(f"{self.base_url}/blobs/{cid}")
        if reply.status_code != 200:
            raise StoreError(f"storage agent does not serve {cid} (HTTP {reply.status_code})")
        if cid_of(reply.content) != cid:
            raise StoreError(f"storage agent served bytes that do not hash to {cid}; do not trust them")
        return reply.content


# -- proving ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class InferenceProof:
    """An inference and what the chain needs to check it."""

    model_id: bytes
    inputs: list[float]
    outputs: list[float]
    instances: list[int]
    proof: bytes

    def to_json(self) -> dict[str, Any]:
        """JSON-ready (hex bytes, instances as decimal strings)."""
        return {
            "model_id": "0x" + self.model_id.hex(),
            "inputs": self.inputs,
            "outputs": self.outputs,
            "instances": [str(i) for i in self.instances],
            "proof": "0x" + self.proof.hex(),
        }

    @classmethod
    def from_json(cls, data: Any) -> InferenceProof:
        """Parse :meth:`to_json` output."""
        try:
            return cls(
                model_id=bytes.fromhex(data["model_id"].removeprefix("0x")),
                inputs=[float(x) for x in data["inputs"]],
                outputs=[float(x) for x in data["outputs"]],
                instances=[int(i) for i in data["instances"]],
                proof=bytes.fromhex(data["proof"].removeprefix("0x")),
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise InputError(f"malformed inference proof: {exc}") from None


class Prover(Protocol):
    """Makes inferences of one model with a proof ``verifyInference`` accepts."""

    model_id: bytes

    def prove(self, inputs: list[float]) -> InferenceProof:
        """Run the model on ``inputs`` and prove it."""
        ...


class ZkmlProver:
    """Proves inferences of a compiled :mod:`aiweb3.zkml` model (real ezkl proofs).

    ``model_id`` is the model commitment the ``ModelRegistry`` knows it by (keccak256 of its
    verifying-key artifact); register the model there (``CompiledModel.register``) before
    selling, or ``verifyInference`` refuses the proofs with ``UnknownModel``. The input stays
    private unless the model was compiled with another input visibility; the instances are
    ``[input commitment..., outputs...]`` as the registry expects them.
    """

    def __init__(self, model: CompiledModel) -> None:
        self.model = model
        self.model_id = bytes.fromhex(model.model_id.removeprefix("0x"))
        self._lock = threading.Lock()  # one ezkl proof at a time: proving uses every core

    def prove(self, inputs: list[float]) -> InferenceProof:
        """Run the model on ``inputs`` and prove it (seconds for the example MLP).

        Raises:
            InputError: the inputs do not fit the model (the message names the shape).
            ProofError: ezkl failed.
        """
        with self._lock:
            made = self.model.prove(list(inputs))
        outputs = [float(x) for out in made.outputs for x in out]
        return InferenceProof(self.model_id, list(inputs), outputs, list(made.instances), made.proof)


class _InferRequest(BaseModel):
    inputs: list[float]


@dataclass(frozen=True)
class EscrowWork:
    """What the proving agent needs to take proof-gated escrow tasks: the escrow and its own key;
    with ``registry``, it records each paid task as a validation of its agent (if it has one)."""

    escrow: TaskEscrow
    signer: LocalAccount
    min_budget: int
    registry: AgentRegistry | None = None

    def record_validation(self, task_id: int) -> bool:
        """Record the proof-settled ``task_id`` for the signer's own agent; True when recorded."""
        agent = self.registry.by_wallet(self.signer.address) if self.registry else None
        if self.registry is None or agent is None or agent.owner != self.signer.address:
            return False
        self.registry.record_validation(self.signer, agent.agent_id, task_id)
        return True


def proving_app(
    prover: Prover, gate: PaymentGate, price_per_call: int, *, work: EscrowWork | None = None
) -> FastAPI:
    """The proving agent: ``POST /infer`` (paid per call over x402) returns outputs and a proof;
    with ``work``, ``POST /tasks/{id}`` accepts a proof-gated escrow task and delivers with a proof
    (the escrow pays on a verified proof, without the requester)."""
    app = FastAPI(title="aiweb3 proving agent")

    @app.post("/tasks/{task_id}")
    def take_task(task_id: int, body: _InferRequest) -> Any:
        if work is None:
            raise HTTPException(404, "this agent takes no escrow tasks")
        try:
            task = work.escrow.task(task_id)
        except TransactionReverted:
            raise HTTPException(404, f"no task {task_id}") from None
        if task.provider not in (None, work.signer.address) or task.model_id != prover.model_id:
            raise HTTPException(409, "the task names another provider or model")
        if task.budget < work.min_budget:
            raise HTTPException(402, f"budget below {work.min_budget}")
        try:
            result = prover.prove(body.inputs)
        except InputError as exc:
            raise HTTPException(422, str(exc)) from None
        result_cid = cid_of(json.dumps(result.to_json(), sort_keys=True).encode())
        try:
            if task.status is TaskStatus.OPEN:
                work.escrow.accept(work.signer, task_id)
            receipt = work.escrow.deliver_with_proof(
                work.signer, task_id, result_cid, result.proof, result.instances
            )
            validated = work.record_validation(task_id)
        except TransactionReverted as exc:
            raise HTTPException(409, exc.reason) from None
        tx = str(receipt["transactionHash"])
        return {**result.to_json(), "result_cid": result_cid, "tx": tx, "validated": validated}

    @app.get("/")
    def info() -> dict[str, Any]:
        return {
            "service": "proving",
            "model_id": "0x" + prover.model_id.hex(),
            "price_per_call": price_per_call,
        }

    @app.post("/infer")
    def infer(body: _InferRequest, receipt: SettleResponse = Depends(gate.price(price_per_call))) -> Any:
        try:
            result = prover.prove(body.inputs)
        except InputError as exc:
            raise HTTPException(422, str(exc)) from None
        return {**result.to_json(), "paid_tx": receipt.transaction}

    return app


class ProvingClient:
    """Buys inferences from a proving agent over x402."""

    def __init__(self, payer: PayingClient, base_url: str) -> None:
        self.payer = payer
        self.base_url = base_url.rstrip("/")

    def infer(self, inputs: list[float]) -> tuple[InferenceProof, str]:
        """Pay for one inference; returns the proof and the payment's settlement tx."""
        paid = self.payer.post(
            f"{self.base_url}/infer", json={"inputs": inputs}, purpose="one proven inference"
        )
        if paid.response.status_code != 200:
            raise PaymentError(f"proving agent answered {paid.response.status_code}: {paid.response.text}")
        body = paid.response.json()
        return InferenceProof.from_json(body), str(body.get("paid_tx", ""))
