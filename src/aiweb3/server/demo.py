"""The first-run demo of ``aiweb3 up``: real records so the dashboard is not empty.

Each step in ``DEMO_STEPS`` does real work through a feature's public API (today: a WAV signed
by the server's creator key and anchored on chain). A feature that lands appends its step (a
registered model with a verified inference, an agent). A marker (``<home>/server/demo.json``)
makes a second run skip the demo.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from aiweb3.files import atomic_write_json
from aiweb3.provenance import Claim
from aiweb3.server.jobs import Job, Progress
from aiweb3.server.services import Services
from aiweb3.server.tasks import demo_wav, sign_uploads, staging_dir

__all__ = ["DEMO_FILE", "DEMO_STEPS", "DemoStep", "demo_record", "demo_seeded", "seed_demo"]

DEMO_FILE = "demo-tone.wav"

DemoStep = Callable[[Services, Progress], dict[str, Any]]


def signed_file_step(services: Services, progress: Progress) -> dict[str, Any]:
    """Sign and anchor a 3-second WAV with the server's creator key."""
    stage = staging_dir(services, "demo")
    path = demo_wav(stage / DEMO_FILE)
    return sign_uploads(services, stage, [path], (Claim("captured"),), anchor=True)(progress)


DEMO_STEPS: list[tuple[str, DemoStep]] = [("content", signed_file_step)]


def demo_seeded(services: Services) -> bool:
    """True once the demo was seeded in this ``AIWEB3_HOME``."""
    return (services.server_dir / "demo.json").is_file()


def seed_demo(services: Services) -> Job | None:
    """Submit the demo job (every step of ``DEMO_STEPS`` in order) unless it already ran."""
    if demo_seeded(services):
        return None

    def run(progress: Progress) -> dict[str, Any]:
        results = {name: step(services, progress) for name, step in DEMO_STEPS}
        links = [link for r in results.values() for link in r.get("links", [])]
        atomic_write_json(services.server_dir / "demo.json", {"seeded": int(time.time()), **results})
        return {"steps": results, "links": links}

    return services.jobs.submit("demo", "Seed the demo", run)


def demo_record(services: Services) -> dict[str, Any] | None:
    """What the demo seeded, or None."""
    try:
        data: dict[str, Any] = json.loads((services.server_dir / "demo.json").read_text())
    except (FileNotFoundError, ValueError):
        return None
    return data
