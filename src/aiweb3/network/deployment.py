"""Run the federation as real Flower processes on localhost: one SuperLink, one SuperNode per
miner, and ``flwr run`` submitting the app (a FAB built from ``aiweb3_flower``).

Each process could run on another machine: the SuperNodes only need the SuperLink's Fleet API
address, and the app travels inside the FAB. Ports are picked free; ``FLWR_HOME`` is private to
the work directory; every process is stopped (by its own id) when the run ends or fails.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

from aiweb3.errors import ConfigError
from aiweb3.network.federation import (
    FederationConfig,
    Shards,
    TrainingRecord,
    flower_env,
    flower_python,
    load_record,
    node_configs,
    run_config,
)
from aiweb3.presence import terminate

__all__ = ["run_deployment"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def _write_app(app_dir: Path, cfg: dict[str, Any]) -> None:
    """A Flower app directory: pyproject.toml (with this run's configuration) and the package."""
    package = Path(__file__).resolve().parents[2] / "aiweb3_flower"
    if app_dir.exists():
        shutil.rmtree(app_dir)
    shutil.copytree(package, app_dir / "aiweb3_flower", ignore=shutil.ignore_patterns("__pycache__"))
    config = "\n".join(f'"{k}" = {_toml_value(v)}' for k, v in cfg.items())
    (app_dir / "pyproject.toml").write_text(
        f"""[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"

[project]
name = "aiweb3-network"
version = "1.0.0"
description = "aiweb3 model-creation network: miners train, the aggregator is robust"
license = "MIT"
dependencies = ["flwr==1.42.0", "numpy>=2"]

[tool.hatch.build.targets.wheel]
packages = ["."]

[tool.flwr.app]
publisher = "aiweb3"

[tool.flwr.app.components]
serverapp = "aiweb3_flower.server_app:app"
clientapp = "aiweb3_flower.client_app:app"

[tool.flwr.app.config]
{config}
"""
    )


def _node_config(node: dict[str, Any]) -> str:
    return " ".join(f"{k}={_toml_value(v)}" for k, v in node.items())


def run_deployment(
    workdir: Path, shards: Shards, config: FederationConfig, *, timeout: float = 600
) -> TrainingRecord:
    """Run every round through a SuperLink and one SuperNode per miner (all on localhost)."""
    bindir = flower_python().parent
    env = flower_env()
    home = workdir / "flwr-home"
    home.mkdir(parents=True, exist_ok=True)
    env["FLWR_HOME"] = str(home)
    port = _free_port()  # the SuperLink serves its Fleet, Control and Runtime APIs on one HTTP port
    (home / "config.toml").write_text(
        f'[superlink]\ndefault = "aiweb3"\n\n[superlink.aiweb3]\n'
        f'address = "127.0.0.1:{port}"\ninsecure = true\n'
    )
    cfg = run_config(workdir, shards, config)
    app_dir = workdir / "app"
    _write_app(app_dir, cfg)
    logs = workdir / "logs"
    logs.mkdir(exist_ok=True)
    procs: list[subprocess.Popen[bytes]] = []
    previous = _exit_on_sigterm()

    def start(name: str, args: list[str]) -> subprocess.Popen[bytes]:
        with open(logs / f"{name}.log", "wb") as log:
            proc = subprocess.Popen(
                args,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        procs.append(proc)
        return proc

    try:
        start(
            "superlink",
            [
                str(bindir / "flower-superlink"),
                "--insecure",
                "--host", "127.0.0.1",
                "--port", str(port),
                "--disable-runtime-dependency-installation",
            ],
        )  # fmt: skip
        for node in node_configs(shards):
            start(
                f"supernode-{node['miner']}",
                [
                    str(bindir / "flower-supernode"),
                    "--insecure",
                    "--superlink", f"127.0.0.1:{port}",
                    "--host", "127.0.0.1",
                    "--port", str(_free_port()),
                    "--node-config", _node_config(node),
                ],
            )  # fmt: skip
        submit = _submit(bindir, app_dir, env, logs, deadline=time.monotonic() + 60)
        deadline = time.monotonic() + timeout
        done = Path(cfg["out-dir"]) / "done.json"
        while not done.exists():
            dead = [p for p in procs if p.poll() is not None]
            if dead or time.monotonic() > deadline:
                why = f"process {dead[0].pid} exited" if dead else f"no result after {timeout:.0f} s"
                raise ConfigError(f"the Flower deployment failed ({why}); logs in {logs}")
            time.sleep(0.5)
        del submit
        return load_record(Path(cfg["out-dir"]))
    finally:
        _stop(procs)
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _exit_on_sigterm() -> Any:
    """Make SIGTERM unwind (so ``finally`` stops the Flower processes); returns the old handler."""
    if threading.current_thread() is not threading.main_thread():
        return None

    def handler(signum: int, frame: object) -> None:
        raise SystemExit(128 + signum)

    return signal.signal(signal.SIGTERM, handler)


def _stop(procs: list[subprocess.Popen[bytes]]) -> None:
    """Stop the processes this run started and the app processes they spawned (each started its
    own session): all asked at once, then each waited for (and killed if it lingers)."""
    for proc in procs:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGTERM)
    for proc in reversed(procs):
        terminate(proc.pid, proc)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)


def _submit(bindir: Path, app_dir: Path, env: dict[str, str], logs: Path, *, deadline: float) -> str:
    """``flwr run`` the app on the SuperLink (retried until its Control API answers)."""
    while True:
        proc = subprocess.run(
            [str(bindir / "flwr"), "run", str(app_dir), "aiweb3"],
            env=env,
            cwd=app_dir,
            capture_output=True,
            text=True,
            check=False,
        )
        (logs / "flwr-run.log").write_text(proc.stdout + proc.stderr)
        if proc.returncode == 0:
            return proc.stdout
        if time.monotonic() > deadline:
            raise ConfigError(f"`flwr run` failed: {(proc.stdout + proc.stderr).strip()[-300:]}")
        time.sleep(1)
