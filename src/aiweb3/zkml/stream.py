"""Proof streams: answer an inference at once, deliver its proof when the batch it joined is proven.

:class:`ProofStream` serves one compiled model. :meth:`ProofStream.submit` checks the input,
computes the output (the circuit's own quantized forward pass, the numbers the proof will
attest) and returns a ticket with a job id right away. A background thread gathers pending
inferences into batches of the model's batch size (1 for an unbatched model) and proves each
batch once it is full or its oldest inference has waited ``max_wait`` seconds (a short batch is
padded, see :func:`~aiweb3.zkml.prove_batch`). Each ticket then holds the batch's proof and its
own position in it; a ticket may name a webhook that receives the result when it is ready.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiweb3.errors import AIWeb3Error, InputError
from aiweb3.zkml.batch import prove_batch, stack_inputs
from aiweb3.zkml.hot import ProverPool
from aiweb3.zkml.model import CompiledModel
from aiweb3.zkml.proof import InferenceProof, input_payload, run

__all__ = ["ProofStream", "StreamTicket"]

#: called with a finished ticket (e.g. to post it to its webhook)
Deliver = Callable[["StreamTicket"], None]


@dataclass
class StreamTicket:
    """One inference of a stream: its output at once, its proof later."""

    job_id: str
    inputs: Any
    outputs: list[list[float]]
    webhook: str | None = None
    state: str = "pending"  # pending | proving | proven | failed
    proof: InferenceProof | None = None
    index: int = 0  # the inference's position in its batch's proof
    error: str | None = None
    created: float = field(default_factory=time.time)
    proven: float | None = None

    def to_json(self) -> dict[str, Any]:
        """What the polling endpoint and the webhook receive."""
        return {
            "job_id": self.job_id,
            "state": self.state,
            "outputs": self.outputs,
            "index": self.index,
            "batch_size": self.proof.batch_size if self.proof else None,
            "proof": self.proof.to_json() if self.proof else None,
            "error": self.error,
            "created": self.created,
            "proven": self.proven,
        }


class ProofStream:
    """Batches a model's inferences into proofs in the background.

    Args:
        model: the compiled model (batched or not).
        pool: proves through this pool's hot prover of the model.
        max_wait: seconds the oldest pending inference waits for its batch to fill.
        deliver: called with each ticket when it is proven or failed (from the stream's thread).
        keep: how many finished tickets are remembered for polling.
    """

    def __init__(
        self,
        model: CompiledModel,
        pool: ProverPool,
        *,
        max_wait: float = 2.0,
        deliver: Deliver | None = None,
        keep: int = 10_000,
    ) -> None:
        self.model = model
        self.pool = pool
        self.batch_size = max(model.batch_size, 1)
        self.max_wait = max_wait
        self._deliver = deliver
        self._keep = keep
        self._tickets: dict[str, StreamTicket] = {}
        self._pending: list[StreamTicket] = []
        self._cond = threading.Condition()
        self._closed = False
        self.proofs_made = 0
        self._thread = threading.Thread(target=self._loop, name="aiweb3-proof-stream", daemon=True)
        self._thread.start()

    def outputs_of(self, inputs: Any) -> list[list[float]]:
        """The circuit's outputs for one inference (no proof).

        Raises:
            InputError: the input does not fit the model.
        """
        if self.batch_size == 1:
            input_payload(self.model, inputs)  # checks shape and the circuit's input range
            return run(self.model, [inputs])[0]
        # the batched circuit takes N inferences: run the input in every slot, keep the first
        full = run(self.model, [stack_inputs(self.model, [inputs])])[0]
        return [o[: len(o) // self.batch_size] for o in full]

    def submit(self, inputs: Any, *, webhook: str | None = None) -> StreamTicket:
        """Check and run one inference; returns its ticket (output now, proof later).

        Raises:
            InputError: the input does not fit the model (nothing is queued).
            AIWeb3Error: the stream is closed.
        """
        outputs = self.outputs_of(inputs)
        ticket = StreamTicket(job_id=secrets.token_hex(8), inputs=inputs, outputs=outputs, webhook=webhook)
        with self._cond:
            if self._closed:
                raise AIWeb3Error("the proof stream is closed; start `aiweb3 model serve` again")
            self._tickets[ticket.job_id] = ticket
            self._pending.append(ticket)
            self._trim()
            self._cond.notify_all()
        return ticket

    def get(self, job_id: str) -> StreamTicket | None:
        """The ticket with this job id, or None."""
        with self._cond:
            return self._tickets.get(job_id)

    def wait(self, job_id: str, timeout: float) -> StreamTicket:
        """Block until the ticket is proven or failed (or ``timeout``); returns it.

        Raises:
            InputError: no such job id.
        """
        with self._cond:
            ticket = self._tickets.get(job_id)
            if ticket is None:
                raise InputError(f"no inference with job id {job_id!r} on this stream")
            self._cond.wait_for(lambda: ticket.state in ("proven", "failed") or self._closed, timeout)
            return ticket

    def _trim(self) -> None:
        done = [t for t in self._tickets.values() if t.state in ("proven", "failed")]
        for old in done[: max(0, len(done) - self._keep)]:
            del self._tickets[old.job_id]

    def _take(self) -> list[StreamTicket] | None:
        """The next batch (blocks until one is due); None when closed."""
        with self._cond:
            while True:
                if self._closed:
                    return None
                if len(self._pending) >= self.batch_size:
                    break
                if self._pending:
                    due = self._pending[0].created + self.max_wait - time.time()
                    if due <= 0:
                        break
                    self._cond.wait(due)
                else:
                    self._cond.wait()
            batch, self._pending = self._pending[: self.batch_size], self._pending[self.batch_size :]
            for ticket in batch:
                ticket.state = "proving"
            return batch

    def _loop(self) -> None:
        while (batch := self._take()) is not None:
            try:
                proofs = self._prove(batch)
            except AIWeb3Error as exc:
                self._finish(batch, None, str(exc))
            except Exception as exc:  # a bug: fail the batch's tickets, keep serving
                self._finish(batch, None, f"internal error ({type(exc).__name__}: {exc})")
            else:
                self._finish(batch, proofs, None)

    def _prove(self, batch: list[StreamTicket]) -> list[InferenceProof]:
        prover = self.pool.prover(self.model)
        if self.batch_size == 1:
            return [prover.prove(t.inputs) for t in batch]
        return prove_batch(self.model, [t.inputs for t in batch], prove=prover.prove)

    def _finish(
        self, batch: list[StreamTicket], proofs: list[InferenceProof] | None, error: str | None
    ) -> None:
        with self._cond:
            for i, ticket in enumerate(batch):
                if proofs is None:
                    ticket.state, ticket.error = "failed", error
                    continue
                ticket.proof = proofs[0] if self.batch_size > 1 else proofs[i]
                ticket.index = i if self.batch_size > 1 else 0
                ticket.state, ticket.proven = "proven", time.time()
            if proofs:
                self.proofs_made += len(proofs)
            self._cond.notify_all()
        if self._deliver is not None:
            for ticket in batch:
                self._deliver(ticket)

    def close(self) -> None:
        """Stop the background thread (pending inferences stay unproven)."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        self._thread.join(30)
