"""The first-run demo of ``aiweb3 up``: real records so the dashboard is not empty.

Each step in ``DEMO_STEPS`` does real work through a feature's public API (a WAV signed by the
server's creator key and anchored on chain; the example MLP compiled, registered, with one
inference proved and verified on chain). A feature that lands appends its step (a
registered model with a verified inference, an agent). A marker (``<home>/server/demo.json``)
makes a second run skip the demo.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from typing import Any

from aiweb3.files import atomic_write_json
from aiweb3.provenance import Claim
from aiweb3.server.jobs import Job, JobFn, Progress
from aiweb3.server.services import Services
from aiweb3.server.tasks import demo_wav, sign_uploads, staging_dir

__all__ = ["DEMO_FILE", "DEMO_STEPS", "DemoStep", "demo_job", "demo_record", "demo_seeded", "seed_demo"]

DEMO_FILE = "demo-tone.wav"

DemoStep = Callable[[Services, Progress], dict[str, Any]]


def signed_file_step(services: Services, progress: Progress) -> dict[str, Any]:
    """Sign and anchor a 3-second WAV with the server's creator key."""
    stage = staging_dir(services, "demo")
    path = demo_wav(stage / DEMO_FILE)
    return sign_uploads(services, stage, [path], (Claim("captured"),), anchor=True)(progress)


def model_step(services: Services, progress: Progress) -> dict[str, Any]:
    """Compile the example MLP, register it, prove one inference and verify it on chain."""
    from aiweb3.server import modeljobs

    onnx, samples_file = modeljobs.EXAMPLE_DIR / "mlp.onnx", modeljobs.EXAMPLE_DIR / "mlp_samples.json"
    if not onnx.is_file() or not samples_file.is_file():
        return {"skipped": f"{onnx} is not here (the example ships with the source tree)", "links": []}
    example = json.loads(samples_file.read_text())
    samples, classes = example["samples"], example.get("classes")
    staging = staging_dir(services, "demo-model")
    compiled = modeljobs.compile_job(services, staging, onnx, samples[:8], "breast-cancer-mlp", classes)(
        progress
    )
    model_id = compiled["model_id"]
    detail = modeljobs.model_detail(services, model_id)
    if detail is None or detail["registered"] is None:
        progress.update(0, 1, "registering the example model on chain")
        modeljobs.register_model(services, model_id, price=250_000)
    proved = modeljobs.prove_job(services, model_id, samples[0], onchain=True)(progress)
    return {
        "model_id": model_id,
        "proof_id": proved["proof_id"],
        "tx_hash": proved["onchain"]["tx_hash"],
        "links": [f"/models/{model_id}"],
    }


DEMO_AGENT = "proving agent"


def agent_step(services: Services, progress: Progress) -> dict[str, Any]:
    """Register the server's key as a "proving agent" selling the example model's verified inference."""
    from aiweb3.agents import AgentCard
    from aiweb3.server import modeljobs
    from aiweb3.server.routers.agents import register_agent

    existing = services.agent_registry.by_wallet(services.creator.address)
    if existing is not None:
        return {"agent_id": existing.agent_id, "links": ["/agents"]}
    progress.update(0, 1, "registering the proving agent in the AgentRegistry")
    rows = modeljobs.models_overview(services)["models"]
    models = [
        m["model_id"]
        for m in rows
        if m["name"] == "breast-cancer-mlp"
        and m["registered"]
        and re.fullmatch(r"0x[0-9a-f]{64}", m["model_id"])
    ]
    card = AgentCard.parse(
        {
            "name": DEMO_AGENT,
            "description": "Proves inferences of the example breast-cancer MLP and verifies them on chain.",
            "capabilities": ["inference.breast-cancer"],
            "endpoint": services.config.url + "/api",
            "prices": [{"capability": "inference.breast-cancer", "amount": 250_000, "unit": "call"}],
            "payment_schemes": ["escrow"],
            "models": models[:1],
        }
    )
    agent = register_agent(services, card)
    return {"agent_id": agent["agent_id"], "links": ["/agents"]}


DEMO_STEPS: list[tuple[str, DemoStep]] = [
    ("content", signed_file_step),
    ("model", model_step),
    ("agent", agent_step),
]


def demo_seeded(services: Services) -> bool:
    """True once the demo was seeded in this ``AIWEB3_HOME``."""
    return (services.server_dir / "demo.json").is_file()


def demo_job(services: Services) -> JobFn:
    """A job: every step of ``DEMO_STEPS`` in order, then the marker."""

    def run(progress: Progress) -> dict[str, Any]:
        results = {name: step(services, progress) for name, step in DEMO_STEPS}
        links = [link for r in results.values() for link in r.get("links", [])]
        atomic_write_json(services.server_dir / "demo.json", {"seeded": int(time.time()), **results})
        return {"steps": results, "links": links}

    return run


def seed_demo(services: Services) -> Job | None:
    """Submit the demo job unless it already ran."""
    if demo_seeded(services):
        return None
    return services.jobs.submit("demo", "Seed the demo", demo_job(services), params={})


def demo_record(services: Services) -> dict[str, Any] | None:
    """What the demo seeded, or None."""
    try:
        data: dict[str, Any] = json.loads((services.server_dir / "demo.json").read_text())
    except (FileNotFoundError, ValueError):
        return None
    return data
