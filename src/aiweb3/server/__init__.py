"""The service: an HTTP API and a web dashboard over every feature that has landed.

``create_app(Services.open(ServerConfig(home), chain))`` builds the FastAPI app; ``serve`` runs
it with uvicorn in a background thread (``aiweb3 up`` does both).
"""

from aiweb3.server.app import create_app
from aiweb3.server.features import Feature
from aiweb3.server.jobs import Job, JobManager, Progress
from aiweb3.server.runner import ServerHandle, serve
from aiweb3.server.services import ServerConfig, Services
from aiweb3.server.tokens import TokenStore

__all__ = [
    "Feature",
    "Job",
    "JobManager",
    "Progress",
    "ServerConfig",
    "ServerHandle",
    "Services",
    "TokenStore",
    "create_app",
    "serve",
]
