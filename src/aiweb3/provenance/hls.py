"""Video as HLS: a media playlist (``.m3u8``) of MPEG-TS segments, each segment one leaf.

Segments of an HLS stream begin at keyframes, so any run of whole segments is a playable
clip: a new playlist listing copies of segments ``i..j``. Verifying needs no video tools;
only cutting a video file into HLS needs ``ffmpeg`` (:func:`video_to_hls`).

The scheme ``hls-v1`` signs, per segment, the hash of the segment file and (in the parameters)
its duration from the playlist. The playlist text itself is not signed: it only locates the
segments; a verifier re-reads the durations and compares them with the signed ones.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from aiweb3.crypto.merkle import leaf_hash
from aiweb3.errors import ContentError, InputError
from aiweb3.files import atomic_write_bytes, atomic_write_text

__all__ = ["Playlist", "parse_playlist", "playlist_leaves", "video_to_hls", "write_hls_clip"]

_UNSUPPORTED = {
    "#EXT-X-STREAM-INF": "a master playlist; pass one of its media playlists",
    "#EXT-X-KEY": "encrypted HLS",
    "#EXT-X-BYTERANGE": "byte-range HLS segments",
    "#EXT-X-MAP": "fragmented-MP4 HLS (only MPEG-TS segments are supported)",
}


@dataclass(frozen=True)
class Playlist:
    """A parsed media playlist: segment files (absolute paths) and their durations."""

    path: Path
    segments: tuple[Path, ...]
    durations: tuple[float, ...]


def is_playlist(head: bytes) -> bool:
    """Whether the first bytes of a file look like an HLS playlist."""
    return head.lstrip(b"\xef\xbb\xbf").startswith(b"#EXTM3U")


def parse_playlist(path: Path) -> Playlist:
    """Read a media playlist; raises ContentError for unsupported or malformed playlists."""
    path = Path(path)
    try:
        lines = [line.strip() for line in path.read_text(encoding="utf-8-sig").splitlines()]
    except (OSError, UnicodeDecodeError) as exc:
        raise ContentError(f"{path.name}: cannot read the playlist ({exc})") from None
    if not lines or lines[0] != "#EXTM3U":
        raise ContentError(f"{path.name} is not an HLS playlist (no #EXTM3U header)")
    segments: list[Path] = []
    durations: list[float] = []
    pending: float | None = None
    for line in lines[1:]:
        if not line:
            continue
        for tag, why in _UNSUPPORTED.items():
            if line.startswith(tag):
                raise ContentError(f"{path.name}: unsupported HLS playlist: {why}")
        if line.startswith("#EXTINF:"):
            try:
                pending = float(line[8:].split(",", 1)[0])
            except ValueError:
                raise ContentError(f"{path.name}: malformed #EXTINF line {line!r}") from None
        elif not line.startswith("#"):
            if pending is None:
                raise ContentError(f"{path.name}: segment {line!r} has no #EXTINF duration")
            if "://" in line or line.startswith("/"):
                raise ContentError(f"{path.name}: segment {line!r} is not a relative file path")
            segments.append(path.parent / line)
            durations.append(pending)
            pending = None
    if not segments:
        raise ContentError(f"{path.name}: the playlist lists no segments")
    return Playlist(path, tuple(segments), tuple(durations))


def playlist_leaves(playlist: Playlist) -> tuple[list[bytes], int]:
    """Leaf hashes of the segment files and their total size; names a missing segment."""
    leaves: list[bytes] = []
    size = 0
    for index, seg in enumerate(playlist.segments):
        try:
            data = seg.read_bytes()
        except FileNotFoundError:
            raise ContentError(f"segment {index} ({seg.name}) of {playlist.path.name} is missing") from None
        size += len(data)
        leaves.append(leaf_hash(data))
    return leaves, size


def write_hls_clip(source: Path, out: Path, first: int, last: int) -> None:
    """Write ``out`` (a playlist) and copies of segments ``first..last`` beside it."""
    playlist = parse_playlist(source)
    out = Path(out)
    if out.suffix != ".m3u8":
        raise InputError("an HLS clip is a playlist: give -o a name ending in .m3u8")
    lines = ["#EXTM3U", "#EXT-X-VERSION:3", "#EXT-X-PLAYLIST-TYPE:VOD"]
    target = max(playlist.durations[first : last + 1])
    lines += [f"#EXT-X-TARGETDURATION:{int(target) + (target % 1 > 0)}", "#EXT-X-MEDIA-SEQUENCE:0"]
    for k in range(first, last + 1):
        name = f"{out.stem}_{k:05d}.ts"
        try:
            atomic_write_bytes(out.parent / name, playlist.segments[k].read_bytes())
        except FileNotFoundError:
            raise ContentError(f"segment {k} of {source.name} is missing; cannot cut the clip") from None
        lines += [f"#EXTINF:{playlist.durations[k]!r},", name]
    lines.append("#EXT-X-ENDLIST")
    atomic_write_text(out, "\n".join(lines) + "\n")


def video_to_hls(video: Path, out_dir: Path, segment_seconds: float = 6.0) -> Path:
    """Cut a video into MPEG-TS segments at keyframes with ffmpeg; returns the playlist path.

    The streams are copied, not re-encoded, so segments start at the video's keyframes
    (a segment lasts at least ``segment_seconds``, up to the next keyframe).

    Raises:
        ContentError: ffmpeg is not installed, or it could not read the video.
    """
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        raise ContentError(
            "ffmpeg is needed to cut video into HLS segments and is not installed; "
            "install it (Debian: apt-get install ffmpeg) or sign the file as bytes"
        )
    if segment_seconds <= 0:
        raise InputError("segment seconds must be positive")
    video, out_dir = Path(video), Path(out_dir)
    if not video.is_file():
        raise InputError(f"{video}: no such file")
    out_dir.mkdir(parents=True, exist_ok=True)
    playlist = out_dir / "index.m3u8"
    cmd = [
        ffmpeg, "-nostdin", "-loglevel", "error", "-y", "-i", str(video),
        "-c", "copy", "-f", "hls", "-hls_time", f"{segment_seconds:g}", "-hls_playlist_type", "vod",
        "-hls_segment_type", "mpegts", "-hls_segment_filename", str(out_dir / "seg_%05d.ts"), str(playlist),
    ]  # fmt: skip
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["unknown error"])[-1]
        raise ContentError(f"ffmpeg could not cut {video.name} into HLS segments: {last}")
    return playlist
