"""Build a job's function again from its kind and JSON parameters (for ``POST /api/jobs/{id}/retry``).

Only jobs whose whole input is JSON can run again: anchoring, proving, the demo. Jobs that
worked on uploads (signing, compiling) are submitted again with the files.
"""

from __future__ import annotations

from typing import Any

from aiweb3.errors import InputError
from aiweb3.server.jobs import JobFn
from aiweb3.server.services import Services

__all__ = ["rebuild"]


def rebuild(services: Services, kind: str, params: dict[str, Any]) -> JobFn:
    """The function of a ``kind`` job with these parameters.

    Raises:
        InputError: the kind cannot be run again from parameters.
    """
    from aiweb3.server import modeljobs
    from aiweb3.server.demo import demo_job
    from aiweb3.server.tasks import anchor_pending

    if kind == "anchor":
        return anchor_pending(services)
    if kind == "prove":
        return modeljobs.prove_job(
            services, str(params["model_id"]), params["inputs"], onchain=bool(params["onchain"])
        )
    if kind == "demo":
        return demo_job(services)
    raise InputError(f"a {kind} job cannot be run again from its parameters; submit it again")
