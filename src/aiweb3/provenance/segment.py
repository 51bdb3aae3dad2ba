"""Segmenters: cut media into the segments whose hashes are the leaves of its Merkle tree.

A clip is a playable file made of whole segments, so the segmentation decides what can be
clipped and how a clip is rebuilt for verification:

* ``bytes-v1`` — any file, fixed-size chunks (``chunk_size`` bytes, the last may be shorter).
* ``wav-v1``  — PCM / float WAV audio, ``frames_per_segment`` sample frames per segment. The
  leaves cover the samples; ``header_sha256`` (in the parameters) covers every byte outside
  the samples of the original file. A clip is a new WAV with the same format and the samples
  of segments ``i..j``.
* ``image-v1`` — PNG, JPEG, GIF or WebP, one segment: the whole file (an image is not clipped).
* ``hls-v1``  — an HLS media playlist of MPEG-TS segments cut at keyframes (see ``hls.py``).
"""

from __future__ import annotations

import hashlib
import struct
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from aiweb3.crypto.merkle import leaf_hash
from aiweb3.errors import ContentError, InputError
from aiweb3.files import atomic_write_bytes
from aiweb3.provenance.hls import is_playlist, parse_playlist, playlist_leaves, write_hls_clip

__all__ = [
    "DEFAULT_CHUNK_SIZE",
    "DEFAULT_SEGMENT_SECONDS",
    "Segmentation",
    "WavInfo",
    "detect_scheme",
    "parse_wav",
    "segment_file",
    "segment_leaves",
    "write_clip",
]

DEFAULT_CHUNK_SIZE = 1 << 20
DEFAULT_SEGMENT_SECONDS = 1.0
SCHEMES = ("bytes-v1", "wav-v1", "image-v1", "hls-v1")
_IMAGE_MAGIC = {
    b"\x89PNG\r\n\x1a\n": "image/png",
    b"\xff\xd8\xff": "image/jpeg",
    b"GIF87a": "image/gif",
    b"GIF89a": "image/gif",
}
_WAV_FORMATS = {1: "PCM", 3: "IEEE float"}
_EXTENSIBLE = 0xFFFE


@dataclass(frozen=True)
class Segmentation:
    """How one file was cut, and its leaf hashes.

    ``params`` are the scheme parameters recorded in the manifest; ``duration`` is in seconds
    (None for media without time).
    """

    scheme: str
    params: dict[str, Any]
    media_type: str
    size: int
    duration: float | None
    leaves: list[bytes]


@dataclass(frozen=True)
class WavInfo:
    """The parts of a RIFF/WAVE file that matter for segmenting it."""

    format_tag: int
    channels: int
    sample_rate: int
    bits_per_sample: int
    block_align: int
    data_offset: int
    data_size: int
    file_size: int
    fmt_chunk: bytes = b""

    @property
    def frames(self) -> int:
        """Number of sample frames."""
        return self.data_size // self.block_align


def _sniff(head: bytes) -> tuple[str, str]:
    if is_playlist(head):
        return "hls-v1", "application/vnd.apple.mpegurl"
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "wav-v1", "audio/wav"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image-v1", "image/webp"
    for magic, media_type in _IMAGE_MAGIC.items():
        if head.startswith(magic):
            return "image-v1", media_type
    return "bytes-v1", "application/octet-stream"


def detect_scheme(path: Path) -> tuple[str, str]:
    """``(scheme, media_type)`` from the file's first bytes."""
    with _open(path) as fh:
        return _sniff(fh.read(16))


def _open(path: Path) -> BinaryIO:
    try:
        return Path(path).open("rb")
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise InputError(f"{path} is a directory; pass a file") from None


def parse_wav(fh: BinaryIO, file_size: int) -> WavInfo:
    """Walk the RIFF chunks; raises ContentError for truncated or unsupported WAV files."""
    fh.seek(0)
    head = fh.read(12)
    if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
        raise ContentError("not a RIFF/WAVE file")
    fmt: tuple[int, int, int, int, int] | None = None
    fmt_body = b""
    pos = 12
    while pos + 8 <= file_size:
        fh.seek(pos)
        cid, size = struct.unpack("<4sI", fh.read(8))
        body = pos + 8
        if cid == b"fmt ":
            raw = fh.read(min(size, 40))
            if len(raw) < 16:
                raise ContentError("WAV truncated: the fmt chunk is incomplete")
            tag, channels, rate, _, align, bits = struct.unpack("<HHIIHH", raw[:16])
            if tag == _EXTENSIBLE and len(raw) >= 26:  # the real encoding is the sub-format's
                tag = struct.unpack("<H", raw[24:26])[0]
            fmt, fmt_body = (tag, channels, rate, align, bits), raw
        elif cid == b"data":
            if fmt is None:
                raise ContentError("malformed WAV: the data chunk comes before the fmt chunk")
            tag, channels, rate, align, bits = fmt
            if tag not in _WAV_FORMATS:
                raise ContentError(
                    f"unsupported WAV encoding (format tag {tag:#06x}); only PCM and IEEE float "
                    "WAV are segmented by time — sign it as bytes with --scheme bytes-v1"
                )
            if channels < 1 or rate < 1 or align != channels * bits // 8 or align == 0:
                raise ContentError("malformed WAV: inconsistent fmt chunk")
            if body + size > file_size:
                raise ContentError(
                    f"WAV truncated: the data chunk declares {size} bytes but only {file_size - body} remain"
                )
            if size % align:
                raise ContentError("WAV truncated: the sample data ends in the middle of a frame")
            return WavInfo(tag, channels, rate, bits, align, body, size, file_size, fmt_body)
        pos = body + size + (size & 1)
    raise ContentError("WAV truncated or malformed: no complete data chunk")


def _wav_header_hash(fh: BinaryIO, info: WavInfo) -> str:
    h = hashlib.sha256()
    fh.seek(0)
    h.update(fh.read(info.data_offset))
    fh.seek(info.data_offset + info.data_size)
    h.update(fh.read())
    return h.hexdigest()


def _hash_pieces(fh: BinaryIO, start: int, length: int, piece: int) -> list[bytes]:
    """Leaf hashes of ``length`` bytes from ``start`` cut into ``piece``-byte segments.

    Two threads hash while the main thread reads (hashlib releases the GIL on large
    buffers), so hashing keeps up with the disk.
    """
    fh.seek(start)
    remaining = length
    leaves: list[bytes] = []
    pending: deque[Future[bytes]] = deque()
    with ThreadPoolExecutor(max_workers=2) as pool:
        while remaining > 0:
            buf = fh.read(min(piece, remaining))
            if not buf:
                raise ContentError(f"file truncated: {remaining} bytes missing")
            remaining -= len(buf)
            pending.append(pool.submit(leaf_hash, buf))
            if len(pending) > 4:  # bound the memory held by buffers waiting to be hashed
                leaves.append(pending.popleft().result())
        leaves.extend(f.result() for f in pending)
    return leaves


def segment_file(
    path: Path,
    *,
    scheme: str | None = None,
    segment_seconds: float = DEFAULT_SEGMENT_SECONDS,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
) -> Segmentation:
    """Segment a file for signing (the scheme is detected unless given).

    Raises:
        InputError: bad parameters or a missing file.
        ContentError: a truncated or unsupported media file.
    """
    path = Path(path)
    detected, media_type = detect_scheme(path)
    scheme = scheme or detected
    if scheme not in SCHEMES:
        raise InputError(f"unknown segmentation scheme {scheme!r} (known: {', '.join(SCHEMES)})")
    if scheme != detected and scheme != "bytes-v1":
        raise ContentError(f"{path.name} is not {scheme} media (it looks like {media_type})")
    if scheme == "bytes-v1":
        if chunk_size < 1024:
            raise InputError("chunk size must be at least 1024 bytes")
        params: dict[str, Any] = {"chunk_size": chunk_size}
    elif scheme == "wav-v1":
        if segment_seconds <= 0:
            raise InputError("segment seconds must be positive")
        with _open(path) as fh:
            info = parse_wav(fh, path.stat().st_size)
            params = {
                "format_tag": info.format_tag,
                "channels": info.channels,
                "sample_rate": info.sample_rate,
                "bits_per_sample": info.bits_per_sample,
                "block_align": info.block_align,
                "frames_per_segment": max(1, round(segment_seconds * info.sample_rate)),
                "fmt_chunk": info.fmt_chunk.hex(),
                "header_sha256": _wav_header_hash(fh, info),
            }
    elif scheme == "hls-v1":
        params = {"durations": list(parse_playlist(path).durations)}
    else:
        params = {}
    leaves, size, duration = segment_leaves(path, scheme, params)
    return Segmentation(scheme, params, media_type, size, duration, leaves)


def segment_leaves(
    path: Path, scheme: str, params: dict[str, Any], span: tuple[int, int] | None = None
) -> tuple[list[bytes], int, float | None]:
    """Re-segment a file with recorded parameters: ``(leaves, size, duration)``.

    For ``wav-v1`` the file's format must match the parameters (a clip has a header of its
    own, so ``header_sha256`` is not checked here; see :func:`wav_header_matches`). For
    ``hls-v1`` the playlist's durations must match the signed ones (of segments ``span``
    when the file is a clip); ``size`` is then the segments' total size.
    """
    path = Path(path)
    if scheme == "hls-v1":
        return _hls_leaves(path, params, span)
    with _open(path) as fh:
        size = path.stat().st_size
        if size == 0:
            raise ContentError(f"{path.name} is empty")
        if scheme == "bytes-v1":
            return _hash_pieces(fh, 0, size, int(params["chunk_size"])), size, None
        if scheme == "image-v1":
            return _hash_pieces(fh, 0, size, size), size, None
        if scheme == "wav-v1":
            info = parse_wav(fh, size)
            _check_wav_format(info, params)
            seg_bytes = int(params["frames_per_segment"]) * info.block_align
            if info.data_size == 0:
                raise ContentError(f"{path.name} holds no audio samples")
            leaves = _hash_pieces(fh, info.data_offset, info.data_size, seg_bytes)
            return leaves, size, info.frames / info.sample_rate
    raise ContentError(f"unsupported segmentation scheme {scheme!r}")


def _hls_leaves(
    path: Path, params: dict[str, Any], span: tuple[int, int] | None
) -> tuple[list[bytes], int, float | None]:
    playlist = parse_playlist(path)
    signed = [float(d) for d in params["durations"]]
    first = span[0] if span else 0
    expected = signed[first : span[1] + 1] if span else signed
    if len(expected) == len(playlist.durations):
        for k, (got, want) in enumerate(zip(playlist.durations, expected, strict=True)):
            if got != want:
                raise ContentError(
                    f"segment {first + k} lasts {got:g} s in the playlist, but {want:g} s was signed"
                )
    leaves, size = playlist_leaves(playlist)
    return leaves, size, sum(playlist.durations)


def wav_header_matches(path: Path, params: dict[str, Any]) -> bool:
    """Whether the bytes outside the samples are the ones the manifest recorded."""
    with _open(path) as fh:
        info = parse_wav(fh, Path(path).stat().st_size)
        return _wav_header_hash(fh, info) == params.get("header_sha256")


def _check_wav_format(info: WavInfo, params: dict[str, Any]) -> None:
    for key, value in (
        ("format_tag", info.format_tag),
        ("channels", info.channels),
        ("sample_rate", info.sample_rate),
        ("bits_per_sample", info.bits_per_sample),
        ("block_align", info.block_align),
        ("fmt_chunk", info.fmt_chunk.hex()),
    ):
        if params.get(key) != value:
            raise ContentError(
                f"the WAV format differs from the signed one: {key} is {value}, signed {params.get(key)}"
            )


def _wav_bytes_header(params: dict[str, Any], data_size: int) -> bytes:
    fmt = bytes.fromhex(str(params["fmt_chunk"]))  # the original's fmt chunk, extensible or not
    pad = b"\0" if len(fmt) & 1 else b""
    riff_size = 4 + (8 + len(fmt) + len(pad)) + (8 + data_size) + (data_size & 1)
    return (
        b"RIFF"
        + struct.pack("<I", riff_size)
        + b"WAVE"
        + b"fmt "
        + struct.pack("<I", len(fmt))
        + fmt
        + pad
        + (b"data" + struct.pack("<I", data_size))
    )


def _read_range(fh: BinaryIO, start: int, length: int) -> Iterator[bytes]:
    fh.seek(start)
    remaining = length
    while remaining > 0:
        buf = fh.read(min(1 << 20, remaining))
        if not buf:
            raise ContentError("file truncated while cutting the clip")
        remaining -= len(buf)
        yield buf


def write_clip(path: Path, out: Path, scheme: str, params: dict[str, Any], first: int, last: int) -> None:
    """Write segments ``first..last`` of ``path`` as a playable file ``out`` (atomically)."""
    path = Path(path)
    with _open(path) as fh:
        size = path.stat().st_size
        if scheme == "bytes-v1":
            chunk = int(params["chunk_size"])
            start, end = first * chunk, min(size, (last + 1) * chunk)
            data = b"".join(_read_range(fh, start, end - start))
        elif scheme == "wav-v1":
            info = parse_wav(fh, size)
            _check_wav_format(info, params)
            seg_bytes = int(params["frames_per_segment"]) * info.block_align
            start = info.data_offset + first * seg_bytes
            end = min(info.data_offset + info.data_size, info.data_offset + (last + 1) * seg_bytes)
            samples = b"".join(_read_range(fh, start, end - start))
            data = _wav_bytes_header(params, len(samples)) + samples + (b"\0" if len(samples) & 1 else b"")
        elif scheme == "hls-v1":
            write_hls_clip(path, out, first, last)
            return
        else:
            raise ContentError(f"{scheme} media is a single segment and cannot be clipped")
    atomic_write_bytes(Path(out), data)
