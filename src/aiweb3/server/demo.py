"""The first-run demo of ``aiweb3 up``: a small signed, anchored file so the dashboard is not empty.

Real work only: the file is signed by the server's creator key and anchored on the chain.
A marker (``<home>/server/demo.json``) makes a second run skip it.
"""

from __future__ import annotations

import json
import time

from aiweb3.files import atomic_write_json
from aiweb3.provenance import Claim
from aiweb3.server.jobs import Job, Progress
from aiweb3.server.services import Services
from aiweb3.server.tasks import demo_wav, sign_uploads, staging_dir

__all__ = ["DEMO_FILE", "demo_seeded", "seed_demo"]

DEMO_FILE = "demo-tone.wav"


def demo_seeded(services: Services) -> bool:
    """True once the demo was seeded in this ``AIWEB3_HOME``."""
    return (services.server_dir / "demo.json").is_file()


def seed_demo(services: Services) -> Job | None:
    """Submit the demo job (sign and anchor a 3-second WAV) unless it already ran; returns the job."""
    if demo_seeded(services):
        return None

    def run(progress: Progress) -> dict[str, object]:
        stage = staging_dir(services, "demo")
        path = demo_wav(stage / DEMO_FILE)
        result = sign_uploads(services, stage, [path], (Claim("captured"),), anchor=True)(progress)
        atomic_write_json(services.server_dir / "demo.json", {"seeded": int(time.time()), **result})
        return result

    return services.jobs.submit("demo", "Seed the demo (sign and anchor a WAV)", run)


def demo_record(services: Services) -> dict[str, object] | None:
    """What the demo seeded, or None."""
    try:
        data: dict[str, object] = json.loads((services.server_dir / "demo.json").read_text())
    except (FileNotFoundError, ValueError):
        return None
    return data
