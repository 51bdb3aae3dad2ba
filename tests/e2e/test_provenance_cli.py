"""``aiweb3 content`` end to end: the real entry point against a real local node."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import wave
from collections.abc import Iterator
from pathlib import Path

import pytest

AIWEB3 = str(Path(sys.executable).parent / "aiweb3")


class Cli:
    def __init__(self, home: Path) -> None:
        self.env = {**os.environ, "AIWEB3_HOME": str(home), "COLUMNS": "300", "NO_COLOR": "1"}

    def __call__(
        self, *args: str, ok: bool = True, timeout: float = 120, cwd: Path | None = None
    ) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run(
            [AIWEB3, *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            cwd=cwd,
        )
        assert "Traceback" not in proc.stderr, proc.stderr
        if ok:
            assert proc.returncode == 0, proc.stdout + proc.stderr
        else:
            assert proc.returncode == 1, proc.stdout + proc.stderr
        return proc


@pytest.fixture(scope="module")
def cli(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cli]:
    runner = Cli(tmp_path_factory.mktemp("content-home"))
    runner("node", "start")
    try:
        runner("content", "register", "alice", "--account", "dev:1")
        yield runner
    finally:
        runner("node", "stop")


def _wav(path: Path, seconds: int, rate: int = 8000) -> Path:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(random.Random(seconds).randbytes(seconds * rate * 2))
    return path


def test_sign_anchor_clip_verify(cli: Cli, tmp_path: Path) -> None:
    talk = _wav(tmp_path / "talk.wav", 20)
    out = cli("content", "sign", str(talk), "--account", "dev:1").stdout
    assert "signed" in out and "20 segments" in out
    assert "anchored 1 manifest" in cli("content", "anchor", str(talk), "--account", "dev:1").stdout
    verdict = cli("content", "verify", str(talk)).stdout
    assert "authentic: talk.wav" in verdict and "@alice" in verdict and "anchored at block" in verdict
    clip = tmp_path / "clip.wav"
    cut = cli("content", "clip", str(talk), "--start", "3", "--end", "7.5", "-o", str(clip)).stdout
    assert "cut at 3..8 s of the original (segment boundaries; asked 3..7.5)" in cut
    with wave.open(str(clip), "rb") as w:
        assert w.getnframes() == 5 * 8000
    verdict = cli("content", "verify", str(clip)).stdout
    assert "authentic excerpt of talk.wav" in verdict
    assert "segments 3..7 of 20, seconds 3..8" in verdict
    report = json.loads(cli("content", "verify", str(clip), "--json").stdout)
    assert report["ok"] and report["segments"] == [3, 7, 20] and report["handle"] == "alice"
    data = bytearray(clip.read_bytes())
    data[1000] ^= 0xFF
    clip.write_bytes(bytes(data))
    rejected = cli("content", "verify", str(clip), ok=False).stdout
    assert "REJECTED" in rejected and "tampered" in rejected


def test_revoke_and_claims(cli: Cli, tmp_path: Path) -> None:
    art = _wav(tmp_path / "art.wav", 2)
    cli(
        "content", "sign", str(art), "--account", "dev:1", "--claim", "ai-generated",
        "--model-id", "0x" + "01" * 32, "--inference-tx", "0x" + "02" * 32,
    )  # fmt: skip
    doc = json.loads((tmp_path / "art.wav.aiw.json").read_text())
    assert doc["manifest"]["claims"] == [
        {"type": "ai-generated", "model_id": "0x" + "01" * 32, "inference_tx": "0x" + "02" * 32}
    ]
    cli("content", "revoke", str(art), "--account", "dev:1")
    assert "revoked this manifest" in cli("content", "verify", str(art), ok=False).stdout


def test_bad_input_is_one_line_not_a_traceback(cli: Cli, tmp_path: Path) -> None:
    err = cli("content", "sign", str(tmp_path / "missing.wav"), "--account", "dev:1", ok=False).stderr
    assert "no such file" in err
    unsigned = tmp_path / "unsigned.bin"
    unsigned.write_bytes(b"x" * 10)
    assert "no aiweb3 manifest" in cli("content", "verify", str(unsigned), ok=False).stdout
    unregistered = _wav(tmp_path / "u.wav", 1)
    cli("content", "sign", str(unregistered), "--account", "dev:8")
    assert "not a registered key" in cli("content", "verify", str(unregistered), ok=False).stdout


def test_watch_signs_new_files_and_anchors_in_batches(cli: Cli, tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for i in range(3):
        (inbox / f"shot{i}.bin").write_bytes(random.Random(i).randbytes(3000))
    out = cli(
        "content", "watch", str(inbox), "--account", "dev:1", "--every", "2", "--poll", "0.2",
        "--max-files", "3", "--duration", "60",
    ).stdout  # fmt: skip
    assert out.count("signed shot") == 3
    assert out.count("anchored") == 2  # a batch of 2, then the rest when the watch stops
    for i in range(3):
        verdict = cli("content", "verify", str(inbox / f"shot{i}.bin")).stdout
        assert "anchored at block" in verdict


def test_video_hls_sign_clip_verify(cli: Cli, tmp_path: Path) -> None:
    video = tmp_path / "talk.mp4"
    subprocess.run(
        ["ffmpeg", "-nostdin", "-loglevel", "error", "-f", "lavfi",
         "-i", "testsrc=duration=5:size=96x64:rate=10", "-g", "10", "-c:v", "mpeg2video",
         "-f", "mp4", str(video)],
        check=True,
    )  # fmt: skip
    cli("content", "hls", str(video), "-o", str(tmp_path / "hls"), "--segment-seconds", "1")
    playlist = tmp_path / "hls" / "index.m3u8"
    assert "hls-v1" in cli("content", "sign", str(playlist), "--account", "dev:1").stdout
    clip = tmp_path / "quote.m3u8"
    cut = cli("content", "clip", str(playlist), "--start", "1", "--end", "3", "-o", str(clip)).stdout
    assert "s of the original (keyframes; asked 1..3)" in cut
    verdict = cli("content", "verify", str(clip)).stdout
    assert "authentic excerpt of index.m3u8" in verdict and "@alice" in verdict


def test_a_system_file_gets_its_sidecar_where_the_user_writes(cli: Cli, tmp_path: Path) -> None:
    system = next(
        p for p in (Path("/etc/hostname"), Path("/etc/os-release"), Path("/etc/passwd")) if p.is_file()
    )
    beside = system.with_name(system.name + ".aiw.json")
    before = beside.exists()
    out = cli("content", "sign", str(system), "--account", "dev:1", cwd=tmp_path).stdout
    side = tmp_path / f"{system.name}.aiw.json"
    assert f"sidecar: {side} (not beside the file: /etc is a system folder)" in out
    assert f"`aiweb3 content verify {system} --sidecar {side}`" in out
    assert side.is_file() and beside.exists() == before
    verdict = cli("content", "verify", str(system), "--sidecar", str(side)).stdout
    assert f"authentic: {system.name}" in verdict and "@alice" in verdict
    # from the folder it was signed in, anchor and verify find the sidecar themselves
    assert (
        "anchored 1 manifest"
        in cli("content", "anchor", str(system), "--account", "dev:1", cwd=tmp_path).stdout
    )
    assert "anchored at block" in cli("content", "verify", str(system), cwd=tmp_path).stdout
    assert beside.exists() == before
    mine = _wav(tmp_path / "mine.wav", 1)
    assert f"sidecar: {mine}.aiw.json\n" in cli("content", "sign", str(mine), "--account", "dev:1").stdout


def test_a_misnamed_file_and_a_video_signed_as_bytes_say_so(cli: Cli, tmp_path: Path) -> None:
    notes = tmp_path / "notes.wav"
    notes.write_text("a text file, not audio\n")
    signed = cli("content", "sign", str(notes), "--account", "dev:1")
    assert "(1 segments, bytes-v1)" in signed.stdout
    assert "notes.wav is named like WAV audio, but its content is application/octet-stream" in signed.stderr
    assert "clips of it are cut by bytes, not by time" in signed.stderr

    video = tmp_path / "clip.mp4"
    subprocess.run(
        ["ffmpeg", "-nostdin", "-loglevel", "error", "-f", "lavfi",
         "-i", "testsrc=duration=20:size=96x64:rate=10", "-g", "10", "-c:v", "mpeg2video",
         "-f", "mp4", str(video)],
        check=True,
    )  # fmt: skip
    cli("content", "sign", str(video), "--account", "dev:1")
    out = tmp_path / "part.mp4"
    refused = cli("content", "clip", str(video), "--start", "4", "--end", "12", "-o", str(out), ok=False)
    assert "clip.mp4 was signed as bytes (bytes-v1): --start/--end would be byte offsets" in refused.stderr
    assert f"`aiweb3 content hls {video} -o clip-hls`" in refused.stderr
    assert not out.exists()
    cut = cli("content", "clip", str(video), "--start", "4", "--end", "12", "-o", str(out), "--bytes").stdout
    assert "cut bytes 0.." in cut and "-byte segments; asked 4..12)" in cut
