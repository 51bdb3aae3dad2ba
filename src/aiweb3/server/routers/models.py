"""Models: registered and compiled models, their verified inferences; compile, register, prove."""

from __future__ import annotations

import json
import shutil
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from aiweb3.errors import InputError, JSONTooDeep, JSONTooLarge
from aiweb3.jsonlimits import load_untrusted_file
from aiweb3.server import modeljobs
from aiweb3.server.features import Feature
from aiweb3.server.http import (
    NEEDS_TOKEN,
    ApiError,
    job_accepted,
    read_upload_form,
    require_token,
    services_of,
)
from aiweb3.server.pages import render
from aiweb3.server.tasks import staging_dir

__all__ = ["feature"]

api = APIRouter(tags=["models"])
pages = APIRouter()

_COMPILE_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["onnx", "samples"],
                    "properties": {
                        "onnx": {"type": "string", "format": "binary", "description": "the ONNX model"},
                        "samples": {
                            "type": "string",
                            "format": "binary",
                            "description": "JSON sample inputs to calibrate the circuit: a list, or "
                            '{"samples": [...], "classes": [names of the outputs]}',
                        },
                        "name": {"type": "string"},
                    },
                }
            }
        },
    }
}


class RegisterBody(BaseModel):
    """How to register a compiled model."""

    name: str | None = Field(None, max_length=100, description="display name (default: the ONNX file's)")
    price: int = Field(0, ge=0, description="price per inference in AIUSD base units (6 decimals)")


class ProveBody(BaseModel):
    """One inference to prove."""

    inputs: list[Any] = Field(..., min_length=1, description="the input: an array of numbers")
    onchain: bool = Field(
        True, description="also verify it on chain (a transaction emitting InferenceVerified)"
    )


def _known(request: Request, model_id: str) -> dict[str, Any]:
    detail = modeljobs.model_detail(services_of(request), model_id)
    if detail is None:
        raise ApiError(404, f"no model {model_id!r} is registered or compiled here", field="model_id")
    return detail


@api.get("/models", summary="Registered and compiled models, with their verified inferences")
def list_models(request: Request) -> dict[str, Any]:
    """Models from the ModelRegistry and those compiled on this server; every InferenceVerified."""
    return modeljobs.models_overview(services_of(request))


@api.get("/models/proofs/{proof_id}", summary="Download a proof file made on this server")
def download_proof(request: Request, proof_id: str) -> FileResponse:
    """The ``aiweb3-proof/1`` JSON file."""
    path = modeljobs.proof_path(services_of(request), proof_id)
    if path is None:
        raise ApiError(404, f"no proof {proof_id!r} on this server", field="proof_id")
    return FileResponse(path, filename=f"proof-{proof_id}.json", media_type="application/json")


@api.get("/models/{model_id}", summary="One model: registration, keys, verified inferences, proofs")
def get_model(request: Request, model_id: str) -> dict[str, Any]:
    """404 for a model neither registered nor compiled here."""
    return _known(request, model_id)


@api.post(
    "/models",
    status_code=202,
    summary="Compile an uploaded ONNX model into a circuit with keys (a job)",
    openapi_extra=_COMPILE_BODY,
    dependencies=[Depends(require_token)],
    responses=NEEDS_TOKEN,
)
async def compile_model(request: Request) -> JSONResponse:
    """Multipart ``onnx`` + ``samples`` (+ ``name``); returns the job."""
    services = services_of(request)
    dest = staging_dir(services, "compile")
    try:
        saved, values = await read_upload_form(
            request, dest, files=("onnx", "samples"), fields=("name",), json_parts=("samples",)
        )
        if "onnx" not in saved:
            raise ApiError(422, "field 'onnx' (body): the ONNX model file is required", field="onnx")
        if "samples" not in saved:
            raise ApiError(
                422, "field 'samples' (body): a JSON list of sample inputs is required", field="samples"
            )
        try:
            data = load_untrusted_file(saved["samples"][0], what="field 'samples'")
        except (JSONTooDeep, JSONTooLarge):
            raise
        except InputError:
            raise ApiError(422, "field 'samples': not JSON", field="samples") from None
        samples = data.get("samples") if isinstance(data, dict) else data
        if not isinstance(samples, list) or not samples:
            raise ApiError(422, "field 'samples': give a non-empty list of sample inputs", field="samples")
        classes = data.get("classes") if isinstance(data, dict) else None
        if classes is not None and (
            not isinstance(classes, list)
            or len(classes) < 2
            or not all(isinstance(c, str) and c for c in classes)
        ):
            raise ApiError(
                422,
                "field 'samples': 'classes' must list at least two class names, in output order",
                field="samples",
            )
    except BaseException:
        shutil.rmtree(dest, ignore_errors=True)
        raise
    onnx = saved["onnx"][0]
    name = values.get("name", "").strip() or None
    job = services.jobs.submit(
        "compile", f"Compile {onnx.name}", modeljobs.compile_job(services, dest, onnx, samples, name, classes)
    )
    return job_accepted(job)


@api.post(
    "/models/{model_id}/register",
    summary="Register a compiled model in the ModelRegistry (the server's key owns it)",
    dependencies=[Depends(require_token)],
    responses=NEEDS_TOKEN,
)
async def register(request: Request, model_id: str, body: RegisterBody) -> dict[str, Any]:
    """One transaction; returns the registry's record. 409 when already registered."""
    services = services_of(request)
    detail = _known(request, model_id)
    if detail["registered"] is not None:
        raise ApiError(409, f"model {model_id} is already registered", field="model_id")
    return await run_in_threadpool(
        modeljobs.register_model, services, detail["model_id"], name=body.name, price=body.price
    )


@api.post(
    "/models/{model_id}/prove",
    status_code=202,
    summary="Prove one inference (a job); the result links the proof file",
    dependencies=[Depends(require_token)],
    responses=NEEDS_TOKEN,
)
def prove(request: Request, model_id: str, body: ProveBody) -> JSONResponse:
    """Returns the job; its result has ``proof_id``, ``outputs``, ``download`` and the transaction."""
    services = services_of(request)
    detail = _known(request, model_id)
    if detail["compiled"] is None:
        raise ApiError(
            422,
            f"model {model_id} is registered but not compiled here; compile its ONNX first",
            field="model_id",
        )
    if body.onchain and detail["registered"] is None:
        raise ApiError(
            422, f"model {model_id} is not registered; register it or send onchain: false", field="onchain"
        )
    fn = modeljobs.prove_job(services, detail["model_id"], body.inputs, onchain=body.onchain)
    params = {"model_id": detail["model_id"], "inputs": body.inputs, "onchain": body.onchain}
    job = services.jobs.submit("prove", f"Prove {detail['name']}", fn, params=params)
    return job_accepted(job)


@pages.get("/models", response_class=HTMLResponse)
def models_page(request: Request) -> HTMLResponse:
    """Registered and compiled models, verified inferences per model."""
    data = modeljobs.models_overview(services_of(request))
    return render(request, "models.html", "models", **data)


@pages.get("/models/{model_id}", response_class=HTMLResponse)
def model_page(request: Request, model_id: str) -> HTMLResponse:
    """One model, its inferences and the prove form."""
    detail = _known(request, model_id)
    size = detail["input_size"] or 0
    example = [round(0.1 * ((i % 9) + 1), 1) for i in range(size)]
    return render(request, "model_detail.html", "models", model=detail, example=json.dumps(example))


feature = Feature(
    "models",
    "Models",
    "/models",
    "Models committed on chain and their verified inferences: each output carries a zero-knowledge proof.",
    api=api,
    pages=pages,
)
