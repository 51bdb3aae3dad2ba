"""Settings for the CLI and the service.

Library objects take value objects in their constructors; only front ends call
:meth:`Settings.load`, which reads ``AIWEB3_*`` environment variables and ``aiweb3.toml``.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiweb3.errors import ConfigError

__all__ = ["LOCAL_CHAIN_ID", "Settings"]

LOCAL_CHAIN_ID = 31337

_KEYS = {
    "home": "AIWEB3_HOME",
    "rpc_url": "AIWEB3_RPC_URL",
    "chain_id": "AIWEB3_CHAIN_ID",
    "account": "AIWEB3_ACCOUNT",
    "state_interval": "AIWEB3_STATE_INTERVAL",
    "api_host": "AIWEB3_API_HOST",
    "api_port": "AIWEB3_API_PORT",
    "ray_address": "AIWEB3_RAY_ADDRESS",
    "ray_required": "AIWEB3_RAY_REQUIRED",
}


@dataclass(frozen=True)
class Settings:
    """Resolved settings.

    Attributes:
        home: where state lives (node, keystore, deployments, store, logs).
        rpc_url: a JSON-RPC endpoint; None means the local node aiweb3 supervises.
        chain_id: the chain id expected at ``rpc_url`` (checked on connect), or None.
        account: default signer (keystore name or address); None means dev account 0 locally.
        state_interval: seconds between node state dumps.
        ray_address: where the service's proving and compile jobs run: ``local`` (a local Ray
            runtime, the default), ``off`` (the service's own process) or a Ray cluster address.
        ray_required: refuse those jobs when the cluster is unreachable instead of falling back
            to a local runtime.
    """

    home: Path = field(default_factory=lambda: Path.home() / ".aiweb3")
    rpc_url: str | None = None
    chain_id: int | None = None
    account: str | None = None
    state_interval: int = 5
    api_host: str = "127.0.0.1"
    api_port: int = 8480
    ray_address: str = "local"
    ray_required: bool = False

    @classmethod
    def load(cls, env: dict[str, str] | None = None, toml_path: Path | None = None) -> Settings:
        """Read ``aiweb3.toml`` (current directory, then ``AIWEB3_HOME``), then the environment.

        Environment variables win over the file.
        """
        env = dict(os.environ if env is None else env)
        values: dict[str, Any] = {}
        home = Path(env.get("AIWEB3_HOME") or Path.home() / ".aiweb3").expanduser()
        candidates = [toml_path] if toml_path else [Path("aiweb3.toml"), home / "aiweb3.toml"]
        for path in candidates:
            if path is not None and path.is_file():
                try:
                    data = tomllib.loads(path.read_text())
                except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
                    raise ConfigError(f"{path} is not valid TOML ({exc}); fix or remove it") from exc
                unknown = set(data) - set(_KEYS)
                if unknown:
                    raise ConfigError(
                        f"{path}: unknown setting(s) {', '.join(sorted(unknown))}; "
                        f"known: {', '.join(sorted(_KEYS))}"
                    )
                values.update(data)
                break
        for key, var in _KEYS.items():
            if env.get(var):
                values[key] = env[var]
        values.setdefault("home", home)
        try:
            return cls(
                home=Path(values["home"]).expanduser(),
                rpc_url=values.get("rpc_url") or None,
                chain_id=int(values["chain_id"]) if values.get("chain_id") else None,
                account=values.get("account") or None,
                state_interval=int(values.get("state_interval", 5)),
                api_host=str(values.get("api_host", "127.0.0.1")),
                api_port=int(values.get("api_port", 8480)),
                ray_address=str(values.get("ray_address") or "local"),
                ray_required=_flag(values.get("ray_required", False), "ray_required"),
            )
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"a setting has the wrong type: {exc}") from exc


def _flag(value: Any, name: str) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off", ""):
        return False
    raise ConfigError(f"{name} is {value!r}; give 1 or 0 (true or false)")
