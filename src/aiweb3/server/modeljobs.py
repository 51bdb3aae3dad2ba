"""What the models pages do through ``aiweb3.zkml``: list, compile, register, prove, verify.

Compiling and proving run as jobs; registering is one transaction signed with the server's
key (the creator key, funded with gas on the local chain). Proofs made here are kept under
``<home>/server/proofs/<proof id>.json`` so the dashboard can offer them for download.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path
from typing import Any

from aiweb3.config import LOCAL_CHAIN_ID
from aiweb3.errors import AIWeb3Error, InputError, ProofError
from aiweb3.files import atomic_write_bytes
from aiweb3.server.jobs import JobFn, Progress
from aiweb3.server.services import Services
from aiweb3.zkml import (
    CompiledModel,
    InferenceProof,
    ModelRegistryClient,
    RegisteredModel,
    VerifiedInference,
    audit_report,
    compiled_models,
    label_inferences,
    label_outputs,
    load_output_labels,
    save_output_labels,
)

__all__ = [
    "EXAMPLE_DIR",
    "compile_job",
    "input_size",
    "load_compiled",
    "model_detail",
    "models_overview",
    "parse_inputs",
    "proof_path",
    "prove_job",
    "register_model",
]

EXAMPLE_DIR = Path(__file__).resolve().parents[3] / "examples" / "zkml"
COMPILE_STEPS = ("settings", "calibrate", "circuit", "srs", "setup", "vka")


def registry(services: Services) -> ModelRegistryClient:
    """The chain's ModelRegistry."""
    return services.model_registry


def _registered(r: RegisteredModel) -> dict[str, Any]:
    return {**r.__dict__, "price_aiusd": r.price / 1e6}


def _compiled(m: CompiledModel) -> dict[str, Any]:
    return {
        "classes": load_output_labels(m.home, m.model_id),
        "model_id": m.model_id,
        "name": m.name,
        "logrows": m.logrows,
        "inputs": m.inputs,
        "outputs": m.outputs,
        "development_srs": m.development_srs,
        "input_visibility": m.options.get("input_visibility"),
        "ezkl_version": m.ezkl_version,
        "created": m.created,
    }


def input_size(m: CompiledModel) -> int:
    """How many numbers the model's (first) input takes."""
    size = 1
    for d in m.inputs[0][1]:
        size *= max(int(d), 1)
    return size


def models_overview(services: Services) -> dict[str, Any]:
    """Every model the registry knows or this server compiled, with its verified-inference count."""
    reg = registry(services)
    registered = {r.model_id: r for r in reg.models()}
    compiled = {m.model_id: m for m in compiled_models(services.home)}
    inferences = reg.inferences()
    counts: dict[str, int] = {}
    for inf in inferences:
        counts[inf.model_id] = counts.get(inf.model_id, 0) + 1
    rows = []
    for model_id in list(registered) + [i for i in compiled if i not in registered]:
        r, c = registered.get(model_id), compiled.get(model_id)
        rows.append(
            {
                "model_id": model_id,
                "name": r.name if r else c.name if c else model_id,
                "registered": _registered(r) if r else None,
                "compiled": _compiled(c) if c else None,
                "verified_inferences": counts.get(model_id, 0),
            }
        )
    return {
        "registry": reg.address,
        "models": rows,
        "inferences": [i.to_json() for i in reversed(inferences)],
        "counts": {
            "registered": len(registered),
            "compiled": len(compiled),
            "verified_inferences": len(inferences),
        },
    }


def load_compiled(services: Services, model_id: str) -> CompiledModel | None:
    """The model compiled here with this id, or None."""
    try:
        return CompiledModel.load(services.home, model_id)
    except (ProofError, InputError):
        return None


def model_detail(services: Services, model_id: str) -> dict[str, Any] | None:
    """One model: registration, compilation, verified inferences, proofs made here (None: unknown)."""
    model_id = model_id.lower()
    reg = registry(services)
    try:
        r: RegisteredModel | None = reg.get(model_id)
    except (AIWeb3Error, ValueError):
        r = None
    c = load_compiled(services, model_id)
    if r is None and c is None:
        return None
    infs: list[VerifiedInference] = reg.inferences(model_id) if r else []
    labels = label_inferences(reg, c, infs) if c is not None and r is not None else [None] * len(infs)
    inferences = [{**i.to_json(), "prediction": p} for i, p in zip(infs, labels, strict=True)]
    return {
        "model_id": model_id,
        "name": r.name if r else c.name if c else model_id,
        "registered": _registered(r) if r else None,
        "compiled": _compiled(c) if c else None,
        "input_size": input_size(c) if c else None,
        "inferences": list(reversed(inferences)),
        "proofs": _proofs_of(services, model_id),
        "audit": audit_report(services.chain, services.home, model_id)[1] if r else None,
    }


def _proof_dir(services: Services) -> Path:
    return services.server_dir / "proofs"


def proof_path(services: Services, proof_id: str) -> Path | None:
    """The stored proof file with this id, or None."""
    if not proof_id.isalnum():
        return None
    path = _proof_dir(services) / f"{proof_id}.json"
    return path if path.is_file() else None


def _proofs_of(services: Services, model_id: str) -> list[dict[str, Any]]:
    out = []
    classes = load_output_labels(services.home, model_id)
    for path in sorted(_proof_dir(services).glob("*.json")):
        try:
            data = json.loads(path.read_text())
        except ValueError:
            continue
        if str(data.get("model_id", "")).lower() == model_id:
            out.append(
                {
                    "proof_id": path.stem,
                    "outputs": data.get("outputs"),
                    "prediction": label_outputs(data.get("outputs"), classes),
                    "created": data.get("created"),
                }
            )
    return sorted(out, key=lambda p: p["created"] or 0, reverse=True)


def parse_inputs(text: str, field: str = "inputs") -> Any:
    """A JSON array of numbers (or of arrays) from a form field."""
    try:
        value = json.loads(text)
    except ValueError:
        raise InputError(f"field '{field}': not JSON; give an array of numbers like [0.1, 0.2]") from None
    if not isinstance(value, list) or not value:
        raise InputError(f"field '{field}': give a non-empty JSON array of numbers")
    return value


def _fund(services: Services) -> None:
    if services.chain.chain_id == LOCAL_CHAIN_ID and services.chain.balance(services.creator.address) == 0:
        services.chain.set_balance(services.creator.address, 100 * 10**18)


def compile_job(
    services: Services,
    staging: Path,
    onnx: Path,
    samples: list[Any],
    name: str | None,
    classes: list[str] | None = None,
) -> JobFn:
    """A job: compile an ONNX file (reused when already compiled) into a circuit with keys.

    ``classes`` names the outputs of a classifier, in order (shown instead of bare logits).
    """

    def run(progress: Progress) -> dict[str, Any]:
        total = len(COMPILE_STEPS) + 1
        try:
            progress.update(0, total, f"reading {onnx.name}")

            def step(what: str, where: str) -> None:
                done = COMPILE_STEPS.index(what) + 1 if what in COMPILE_STEPS else total - 1
                progress.update(done, total, f"{what} ({onnx.name}) on {where}")

            compiled = services.workers.compile(onnx, samples, name, step)
            if classes:
                save_output_labels(services.home, compiled.model_id, classes)
            progress.update(total, total, f"compiled {compiled.model_id[:10]}…")
            return {**_compiled(compiled), "links": [f"/models/{compiled.model_id}"]}
        finally:
            shutil.rmtree(staging, ignore_errors=True)

    return run


def register_model(
    services: Services, model_id: str, *, name: str | None = None, price: int = 0
) -> dict[str, Any]:
    """Register a compiled model with the server's key as owner; returns the registry's record."""
    model = load_compiled(services, model_id)
    if model is None:
        raise InputError(f"model {model_id} is not compiled on this server; compile its ONNX file first")
    reg = registry(services)
    with services.tx_lock:
        _fund(services)
        model.register(services.chain, services.creator, registry=reg, name=name or model.name, price=price)
    return _registered(reg.get(model.model_id))


def prove_job(services: Services, model_id: str, inputs: Any, *, onchain: bool) -> JobFn:
    """A job: prove one inference, keep the proof file, and (``onchain``) verify it in a transaction."""

    def run(progress: Progress) -> dict[str, Any]:
        model = load_compiled(services, model_id)
        if model is None:
            raise InputError(f"model {model_id} is not compiled on this server; compile it first")
        total = 4 if onchain else 3
        steps = {"witness": (1, "computing the witness"), "prove": (2, "proving (the slow part)")}

        def step(what: str, where: str) -> None:
            done, text = steps.get(what, (1, what))
            progress.update(done, total, f"{text} on {where}")

        progress.update(0, total, f"checking the input of {model.name}")
        proof = services.workers.prove(model, inputs, step)
        progress.update(3, total, "verifying the proof locally")
        proof.verify(model)
        data = json.dumps(proof.to_json(), indent=1).encode()
        proof_id = hashlib.sha256(data).hexdigest()[:16]
        atomic_write_bytes(_proof_dir(services) / f"{proof_id}.json", data, mode=0o600)
        result: dict[str, Any] = {
            "proof_id": proof_id,
            "model_id": model.model_id,
            "outputs": proof.outputs,
            "prediction": label_outputs(proof.outputs, load_output_labels(services.home, model.model_id)),
            "download": f"/api/models/proofs/{proof_id}",
        }
        if onchain:
            progress.update(3, total, "verifying on chain (verifyInference)")
            with services.tx_lock:
                _fund(services)
                check = proof.verify_onchain(
                    services.chain, signer=services.creator, registry=registry(services)
                )
            result["onchain"] = {"tx_hash": check.tx_hash, "gas_used": check.gas_used}
        progress.update(total, total, "proved" + (" and verified on chain" if onchain else ""))
        result["links"] = [result["download"], f"/models/{model.model_id}"]
        return result

    return run


def proof_of(path: Path) -> InferenceProof:
    """Load a proof file (raises ProofError for anything but an intact aiweb3 proof)."""
    return InferenceProof.load(path)
