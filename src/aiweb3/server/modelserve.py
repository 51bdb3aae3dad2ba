"""``aiweb3 model serve``: a priced inference endpoint that answers at once and proves in batches.

``POST /infer`` with ``{"inputs": [...], "webhook": "https://..."}`` (webhook optional) is paid
with x402 (the model's registered price, in AIUSD, through :class:`~aiweb3.agents.PaymentGate`);
the input is checked before anything is charged. The answer comes at once: the model's output
and a job id. The inference joins the next batch of a :class:`~aiweb3.zkml.ProofStream`; its
proof is at ``GET /proofs/{job_id}`` (``?wait=S`` blocks up to S seconds) once the batch is
proven, and is posted to the webhook if one was given. The proof verifies on chain with
``verifyInferenceBatch`` (batched model: the inference is at ``index``) or ``verifyInference``.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlparse

import httpx
from fastapi import FastAPI, HTTPException, Request, Response
from pydantic import BaseModel, Field

from aiweb3.agents import PaymentGate
from aiweb3.errors import AIWeb3Error, InputError
from aiweb3.zkml import ProofStream, StreamTicket

__all__ = ["InferRequest", "deliver_webhook", "fetch_proof", "model_serve_app"]

log = logging.getLogger("aiweb3.serve")
_MAX_WAIT = 60.0


class InferRequest(BaseModel):
    """One paid inference."""

    inputs: Any = Field(description="the model's input, as `aiweb3 model prove` takes it")
    webhook: str | None = Field(default=None, max_length=2048, description="where to POST the proof")


def _check_webhook(url: str | None) -> None:
    if url is None:
        return
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise InputError(f"webhook {url!r} is not an http(s) URL; give one like https://host/path or none")


def deliver_webhook(ticket: StreamTicket, timeout: float = 10.0) -> None:
    """POST a finished ticket to its webhook; a failure is logged (the proof stays pollable)."""
    if ticket.webhook is None:
        return
    try:
        httpx.post(ticket.webhook, json=ticket.to_json(), timeout=timeout).raise_for_status()
    except httpx.HTTPError as exc:
        log.warning(
            "webhook of job %s failed (%s); the proof stays at /proofs/%s", ticket.job_id, exc, ticket.job_id
        )


def model_serve_app(stream: ProofStream, gate: PaymentGate | None, price: int) -> FastAPI:
    """The endpoint of one model's stream; ``gate`` charges ``price`` (None or 0: free)."""
    app = FastAPI(title=f"aiweb3 model {stream.model.model_id[:10]}", docs_url=None, redoc_url=None)
    charge = gate.price(price, description="one proven inference") if gate and price > 0 else None

    @app.get("/")
    def info() -> dict[str, Any]:
        return {
            "model_id": stream.model.model_id,
            "name": stream.model.name,
            "batch_size": stream.batch_size,
            "max_wait": stream.max_wait,
            "price": price,
            "token": gate.token.address if gate else None,
            "pay_to": gate.pay_to if gate else None,
        }

    @app.post("/infer")
    def infer(body: InferRequest, request: Request, response: Response) -> dict[str, Any]:
        try:
            _check_webhook(body.webhook)
            stream.outputs_of(body.inputs)  # refuse a bad input before taking money for it
        except InputError as exc:
            raise HTTPException(400, str(exc)) from None
        paid = charge(request, response) if charge is not None else None
        try:
            ticket = stream.submit(body.inputs, webhook=body.webhook)
        except AIWeb3Error as exc:
            raise HTTPException(503, str(exc)) from None
        return {
            "job_id": ticket.job_id,
            "outputs": ticket.outputs,
            "proof_url": f"/proofs/{ticket.job_id}",
            "model_id": stream.model.model_id,
            "paid_tx": paid.transaction if paid else None,
        }

    @app.get("/proofs/{job_id}")
    def proof(job_id: str, wait: float = 0.0) -> dict[str, Any]:
        if stream.get(job_id) is None:
            raise HTTPException(404, f"no inference with job id {job_id!r} here")
        ticket = stream.wait(job_id, min(max(wait, 0.0), _MAX_WAIT)) if wait > 0 else stream.get(job_id)
        assert ticket is not None
        return ticket.to_json()

    return app


def fetch_proof(base_url: str, job_id: str, *, timeout: float = 300.0) -> dict[str, Any]:
    """Poll ``/proofs/{job_id}`` until the proof is there (what an agent or escrow waits on).

    Raises:
        AIWeb3Error: the batch failed, or no proof came within ``timeout`` seconds.
    """
    import time

    deadline = time.monotonic() + timeout
    with httpx.Client(base_url=base_url, timeout=_MAX_WAIT + 10) as client:
        while True:
            left = deadline - time.monotonic()
            answer = client.get(f"/proofs/{job_id}", params={"wait": max(0.0, min(left, 30.0))})
            if answer.status_code == 404:
                raise AIWeb3Error(f"{base_url} knows no job {job_id}; check the job id")
            answer.raise_for_status()
            data: dict[str, Any] = answer.json()
            if data["state"] == "proven":
                return data
            if data["state"] == "failed":
                raise AIWeb3Error(f"the batch of job {job_id} failed: {data['error']}")
            if left <= 0:
                raise AIWeb3Error(f"no proof for job {job_id} within {timeout:.0f} s; poll again later")
