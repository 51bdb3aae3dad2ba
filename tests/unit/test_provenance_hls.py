"""HLS video: playlists of MPEG-TS segments sign, clip and verify; tampering is named."""

from __future__ import annotations

import random
import subprocess
from pathlib import Path

import pytest

from aiweb3.chain import dev_account
from aiweb3.errors import ContentError
from aiweb3.provenance import clip_file, registry_domain, sign_file, verify_file

DOMAIN = registry_domain(31337, "0x5FbDB2315678afecb367f032d93F642f64180aa3")


def fake_hls(directory: Path, durations: list[float]) -> Path:
    """A playlist whose segments are opaque bytes (verification never parses them)."""
    directory.mkdir(parents=True, exist_ok=True)
    lines = ["#EXTM3U", "#EXT-X-VERSION:3", "#EXT-X-TARGETDURATION:3"]
    for k, d in enumerate(durations):
        (directory / f"s{k}.ts").write_bytes(random.Random(k).randbytes(188 * 20))
        lines += [f"#EXTINF:{d},", f"s{k}.ts"]
    lines.append("#EXT-X-ENDLIST")
    playlist = directory / "index.m3u8"
    playlist.write_text("\n".join(lines) + "\n")
    return playlist


def test_hls_sign_clip_verify(tmp_path: Path) -> None:
    playlist = fake_hls(tmp_path / "v", [2.0, 2.5, 2.0, 1.5, 2.0])
    signed = sign_file(playlist, dev_account(1), DOMAIN)
    assert (signed.manifest.scheme, signed.manifest.segments, signed.manifest.duration) == ("hls-v1", 5, 10.0)
    assert verify_file(playlist, trust=DOMAIN).ok
    out = tmp_path / "clip" / "quote.m3u8"
    out.parent.mkdir()
    clip = clip_file(playlist, 3.0, 6.0, out)
    assert (clip.proof.first, clip.proof.last) == (1, 2)  # segments span 2..4.5 and 4.5..6.5
    report = verify_file(out, trust=DOMAIN)
    assert report.ok, report.reason
    assert "segments 1..2 of 5, seconds 2..6.5" in report.headline()
    (out.parent / "quote_00001.ts").write_bytes(b"\x47" * 188)
    assert "tampered" in (verify_file(out, trust=DOMAIN).reason or "")


def test_hls_tamper_missing_and_unsupported(tmp_path: Path) -> None:
    playlist = fake_hls(tmp_path / "v", [2.0, 2.0, 2.0])
    sign_file(playlist, dev_account(1), DOMAIN)
    seg = tmp_path / "v" / "s1.ts"
    seg.write_bytes(seg.read_bytes()[:-1] + b"\x00")
    assert "segment 1 of 3 (seconds 2..4)" in (verify_file(playlist, trust=DOMAIN).reason or "")
    seg.unlink()
    reason = verify_file(playlist, trust=DOMAIN).reason or ""
    assert "segment 1 (s1.ts) of index.m3u8 is missing" in reason
    playlist.write_text(playlist.read_text().replace("#EXTINF:2.0,\ns2.ts", "#EXTINF:3.0,\ns2.ts"))
    assert "segment 2 lasts 3 s in the playlist, but 2 s was signed" in (
        verify_file(playlist, trust=DOMAIN).reason or ""
    )
    master = tmp_path / "master.m3u8"
    master.write_text("#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\nv/index.m3u8\n")
    with pytest.raises(ContentError, match="master playlist"):
        sign_file(master, dev_account(1), DOMAIN)


def test_real_video_cut_at_keyframes_clip_plays(tmp_path: Path) -> None:
    from aiweb3.provenance.hls import video_to_hls

    video = tmp_path / "talk.mp4"
    subprocess.run(
        ["ffmpeg", "-nostdin", "-loglevel", "error", "-f", "lavfi",
         "-i", "testsrc=duration=6:size=96x64:rate=10", "-g", "10", "-c:v", "mpeg2video",
         "-f", "mp4", str(video)],
        check=True,
    )  # fmt: skip
    playlist = video_to_hls(video, tmp_path / "hls", segment_seconds=1.0)
    signed = sign_file(playlist, dev_account(1), DOMAIN)
    assert signed.manifest.segments >= 5
    out = tmp_path / "clip.m3u8"
    clip_file(playlist, 2.0, 4.0, out)
    report = verify_file(out, trust=DOMAIN)
    assert report.ok, report.reason
    probe = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", str(out)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert float(probe.stdout.strip()) > 1.0  # the clip is a playable stream
