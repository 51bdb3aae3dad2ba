"""What the routers share: settings, the chain, the server's creator key, tokens, jobs, content.

Built once per app by :func:`Services.open` and passed to routers through ``app.state``;
there is no module-level state.
"""

from __future__ import annotations

import logging
import secrets
import threading
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from eth_account.signers.local import LocalAccount

from aiweb3.chain import Chain, Deployments, Keystore
from aiweb3.config import LOCAL_CHAIN_ID
from aiweb3.errors import AIWeb3Error, DeploymentError
from aiweb3.files import atomic_write_text, ensure_private_dir
from aiweb3.provenance import CreatorRegistry
from aiweb3.server.analytics import IndexFollower, default_index_path
from aiweb3.server.cluster import Workers, open_workers
from aiweb3.server.guards import StreamSlots
from aiweb3.server.jobs import JobManager
from aiweb3.server.jobstore import JobStore, clean_uploads
from aiweb3.server.library import ContentLibrary
from aiweb3.server.tokens import TokenStore

if TYPE_CHECKING:
    from aiweb3.agents import AgentRegistry, TaskEscrow
    from aiweb3.datasets import DatasetPool
    from aiweb3.zkml import ModelRegistryClient

__all__ = ["DEFAULT_MAX_UPLOAD", "ServerConfig", "Services"]

DEFAULT_MAX_UPLOAD = 256 * 1024 * 1024
_CREATOR = "creator"
log = logging.getLogger("aiweb3.server")


@dataclass(frozen=True)
class ServerConfig:
    """How the service runs.

    Attributes:
        home: ``AIWEB3_HOME``; the server keeps its state in ``<home>/server``.
        host, port: where it listens (127.0.0.1 unless told otherwise).
        max_upload_bytes: the largest request body accepted (413 above it).
        cors_origins: origins allowed to call the API from a browser (none by default).
        job_workers: jobs running at once.
        allowed_hosts: ``Host`` names served besides the loopback names and ``host`` (a request
            naming any other host gets 400: DNS rebinding).
        streams_per_client, streams_total: open event streams one client address, and all
            clients together, may hold (429 past them).
        ray_address: where proving and compile jobs run: ``"off"`` (this process, through a
            hot prover pool), ``"local"`` (a local Ray runtime started on the first such job)
            or a Ray cluster's address (``host:port``, ``ray://host:port``). ``aiweb3 up``
            takes it from ``AIWEB3_RAY_ADDRESS`` and uses ``"local"`` when that is unset.
        ray_required: refuse such jobs when the cluster is unreachable, instead of falling back
            to a local Ray runtime with a warning (``AIWEB3_RAY_REQUIRED=1``).
    """

    home: Path
    host: str = "127.0.0.1"
    port: int = 8480
    max_upload_bytes: int = DEFAULT_MAX_UPLOAD
    cors_origins: tuple[str, ...] = ()
    job_workers: int = 2
    allowed_hosts: tuple[str, ...] = ()
    streams_per_client: int = 16
    streams_total: int = 64
    ray_address: str = "off"
    ray_required: bool = False

    @property
    def url(self) -> str:
        """The base URL of the dashboard."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"


@dataclass
class Services:
    """Shared resources of one running server."""

    config: ServerConfig
    chain: Chain
    tokens: TokenStore
    jobs: JobManager
    library: ContentLibrary
    tx_lock: threading.Lock = field(default_factory=threading.Lock)
    key_lock: threading.Lock = field(default_factory=threading.Lock)
    verifications: int = 0
    index: IndexFollower | None = None

    @classmethod
    def open(cls, config: ServerConfig, chain: Chain) -> Services:
        """Resources for ``config`` on ``chain`` (the system contracts must be deployed)."""
        ensure_private_dir(config.home)
        root = ensure_private_dir(config.home / "server")
        clean_uploads(root / "uploads")  # no job runs yet: what is there was left by a dead service
        return cls(
            config=config,
            chain=chain,
            tokens=TokenStore(config.home),
            jobs=JobManager(workers=config.job_workers, store=JobStore(root / "jobs.sqlite")),
            library=ContentLibrary(root / "content"),
        )

    @property
    def home(self) -> Path:
        """The state directory."""
        return self.config.home

    @property
    def server_dir(self) -> Path:
        """Where the server keeps its own state."""
        return self.config.home / "server"

    @property
    def deployments(self) -> Deployments:
        """The deployments file of the connected chain."""
        return Deployments(self.home, self.chain.chain_id)

    @cached_property
    def streams(self) -> StreamSlots:
        """The open event streams, capped per client and in total."""
        return StreamSlots(self.config.streams_per_client, self.config.streams_total)

    @cached_property
    def registry(self) -> CreatorRegistry:
        """The chain's CreatorRegistry."""
        try:
            return CreatorRegistry.from_home(self.chain, self.home)
        except DeploymentError as exc:
            raise DeploymentError(f"{exc} (the service needs the system contracts)") from None

    @cached_property
    def model_registry(self) -> ModelRegistryClient:
        """The chain's ModelRegistry (built once: a contract object costs milliseconds of ABI hashing)."""
        from aiweb3.zkml import ModelRegistryClient

        return ModelRegistryClient.from_home(self.chain, self.home)

    @cached_property
    def dataset_pool(self) -> DatasetPool:
        """The chain's DatasetPool (built once)."""
        from aiweb3.datasets import DatasetPool

        return DatasetPool.from_home(self.chain, self.home)

    @cached_property
    def agent_registry(self) -> AgentRegistry:
        """The chain's AgentRegistry (built once)."""
        from aiweb3.agents import AgentRegistry

        return AgentRegistry.from_home(self.chain, self.home)

    @cached_property
    def task_escrow(self) -> TaskEscrow:
        """The chain's TaskEscrow (built once)."""
        from aiweb3.agents import TaskEscrow

        return TaskEscrow.from_home(self.chain, self.home)

    @cached_property
    def creator(self) -> LocalAccount:
        """The server-held creator key; created on first use, encrypted at rest. It never leaves."""
        with self.key_lock:
            keystore = Keystore(self.server_dir / "keystore")
            secret_file = self.server_dir / "creator.secret"
            if not secret_file.exists():
                atomic_write_text(secret_file, secrets.token_urlsafe(32), mode=0o600)
            password = secret_file.read_text().strip()
            if not any(e.name == _CREATOR for e in keystore.list()):
                keystore.new(_CREATOR, password)
            return keystore.unlock(_CREATOR, password)

    @property
    def creator_handle(self) -> str:
        """The handle the server's key registers as (derived from its address, so unique)."""
        return f"aiweb3-server-{self.creator.address[2:8].lower()}"

    def ensure_creator_registered(self) -> str:
        """Register the creator key's handle if needed (funding it on the local chain); returns it."""
        reg = self.registry
        status = reg.key_status(self.creator.address)
        if status.registered:
            return status.handle
        with self.tx_lock:
            if self.chain.chain_id == LOCAL_CHAIN_ID and self.chain.balance(self.creator.address) == 0:
                self.chain.set_balance(self.creator.address, 100 * 10**18)
            try:
                reg.register(self.creator, self.creator_handle)
            except AIWeb3Error as exc:
                raise AIWeb3Error(
                    f"the server's creator key {self.creator.address} could not register "
                    f"@{self.creator_handle}: {exc}; fund the key with gas on this chain"
                ) from None
        return self.creator_handle

    @cached_property
    def workers(self) -> Workers:
        """Where proving and compile jobs do their work (Ray, or this process): see ``ray_address``."""
        return open_workers(
            self.home,
            self.config.ray_address,
            required=self.config.ray_required,
            warn=lambda text: log.warning("%s", text),
        )

    def start_indexer(self, path: Path | None = None, *, poll_interval: float = 1.0) -> IndexFollower:
        """Follow the chain into ``<home>/index/index.duckdb`` (or ``path``) from a background thread.

        Raises:
            IndexerError: another process (an ``aiweb3 index run --follow``) holds the database.
        """
        if self.index is None:
            where = path or default_index_path(self.home)
            self.index = IndexFollower(self.chain, where, poll_interval=poll_interval).start()
        return self.index

    def close(self) -> None:
        """Stop the job pool (running jobs finish), the workers, then the indexer."""
        self.jobs.close(wait=True)
        if "workers" in self.__dict__:
            self.workers.close()
        if self.index is not None:
            self.index.stop()
            self.index = None
