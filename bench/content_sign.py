"""Content signing and clip verification (issue 5).

1. Signing a 1 GiB file (segment hashes + Merkle tree + EIP-712 signature) versus
   ``sha256sum`` on the same file, in MiB/s (goal: ours >= 0.8x sha256sum).
2. Verifying a 10-second clip of a 1-hour WAV (44.1 kHz, 16-bit stereo, 1 s segments) versus
   verifying the whole file, in seconds (goal: clip verification >= 100x faster, i.e. a time
   ratio <= 0.01). Both verify offline (signature + content); an on-chain lookup would add
   the same constant to both.

Runs alternate ours / peer, the side going first changing every round, and report medians.
Prints one JSON line per comparison.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import wave
from collections.abc import Callable
from pathlib import Path

from _common import interleave  # bench/ is on sys.path when run as a script

from aiweb3.chain import dev_account
from aiweb3.provenance import clip_file, registry_domain, sign_file, verify_file

RUNS = int(os.environ.get("BENCH_RUNS", "5"))
GIB = 1 << 30
DOMAIN = registry_domain(31337, "0x5FbDB2315678afecb367f032d93F642f64180aa3")


def log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def write_file(path: Path, size: int) -> None:
    block = os.urandom(16 << 20)
    with path.open("wb") as fh:
        for i in range(size // len(block)):
            fh.write(i.to_bytes(8, "little") + block[8:])


def write_wav(path: Path, seconds: int, rate: int = 44100) -> None:
    second = os.urandom(rate * 4)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(rate)
        for _ in range(seconds):
            w.writeframesraw(second)


def emit(figure: str, ours: list[float], peer: str, theirs: list[float], better: str, goal: float) -> None:
    a, b = statistics.median(ours), statistics.median(theirs)
    print(
        json.dumps(
            {
                "bench": "content_sign",
                "figure": figure,
                "ours": round(a, 6),
                "peer": peer,
                "peer_value": round(b, 6),
                "ratio": round(a / b, 6),
                "better": better,
                "goal": goal,
                "runs": len(ours),
            }
        ),
        flush=True,
    )


def bench_sign(tmp: Path) -> None:
    path = tmp / "big.bin"
    log("writing a 1 GiB file…")
    write_file(path, GIB)
    signer = dev_account(1)
    ours: list[float] = []
    theirs: list[float] = []
    mib = GIB / (1 << 20)
    t_ours_all, t_peer_all = interleave(
        lambda: timed(lambda: sign_file(path, signer, DOMAIN)),
        lambda: timed(lambda: subprocess.run(["sha256sum", str(path)], check=True, capture_output=True)),
        RUNS,
    )
    for run, (t_ours, t_peer) in enumerate(zip(t_ours_all, t_peer_all, strict=True)):
        ours.append(mib / t_ours)
        theirs.append(mib / t_peer)
        log(f"sign run {run}: aiweb3 {mib / t_ours:.0f} MiB/s, sha256sum {mib / t_peer:.0f} MiB/s")
    emit("sign_1gib_throughput_mib_per_s", ours, "sha256sum", theirs, "higher", 0.8)
    path.unlink()


def bench_clip(tmp: Path) -> None:
    path = tmp / "hour.wav"
    log("writing a 1-hour WAV (44.1 kHz, 16-bit stereo)…")
    write_wav(path, 3600)
    sign_file(path, dev_account(1), DOMAIN, segment_seconds=1.0)
    clip = tmp / "clip.wav"
    clip_file(path, 1800, 1810, clip)
    ours, theirs = interleave(
        lambda: timed(lambda: _must(verify_file(clip, trust=DOMAIN).ok)),
        lambda: timed(lambda: _must(verify_file(path, trust=DOMAIN).ok)),
        RUNS,
    )
    for run, (t_clip, t_full) in enumerate(zip(ours, theirs, strict=True)):
        log(f"verify run {run}: 10 s clip {t_clip * 1000:.1f} ms, whole hour {t_full * 1000:.0f} ms")
    emit("verify_10s_clip_of_1h_wav_seconds", ours, "verify the whole 1-hour WAV", theirs, "lower", 0.01)


def _must(ok: bool) -> None:
    if not ok:
        raise SystemExit("verification failed in the benchmark")


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="aiweb3-bench-") as tmp:
        bench_sign(Path(tmp))
        bench_clip(Path(tmp))


if __name__ == "__main__":
    main()
