"""Sign, clip and verify offline; every kind of tampering is rejected with a specific reason."""

from __future__ import annotations

import json
import random
import struct
import wave
from pathlib import Path

import pytest

from aiweb3.chain import dev_account
from aiweb3.crypto.typed_data import Domain
from aiweb3.errors import ContentError, InputError
from aiweb3.provenance import (
    Claim,
    Manifest,
    SignedManifest,
    clip_file,
    registry_domain,
    sidecar_path,
    sign_file,
    verify_file,
)

REGISTRY = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
DOMAIN = registry_domain(31337, REGISTRY)
RATE = 8000


def write_wav(path: Path, seconds: float, seed: int = 1, rate: int = RATE) -> Path:
    rng = random.Random(seed)
    frames = int(seconds * rate)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(rng.randbytes(frames * 2))
    return path


@pytest.fixture
def signed_wav(tmp_path: Path) -> Path:
    path = write_wav(tmp_path / "talk.wav", 10.0)
    sign_file(path, dev_account(1), DOMAIN)
    return path


def flip_byte(path: Path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0xFF
    path.write_bytes(bytes(data))


def test_sign_and_verify_original(signed_wav: Path) -> None:
    report = verify_file(signed_wav, trust=DOMAIN)
    assert report.ok, report.reason
    assert report.kind == "original"
    assert report.headline().startswith("authentic: talk.wav")
    m = SignedManifest.load(sidecar_path(signed_wav)).manifest
    assert (m.scheme, m.segments, m.duration, m.creator) == ("wav-v1", 10, 10.0, dev_account(1).address)


def test_changed_media_byte_names_first_bad_segment(signed_wav: Path) -> None:
    flip_byte(signed_wav, 44 + 3 * RATE * 2 + 100)  # inside segment 3
    report = verify_file(signed_wav, trust=DOMAIN)
    assert not report.ok
    assert "segment 3 of 10 (seconds 3..4)" in (report.reason or "")
    assert report.headline().startswith("REJECTED")


def test_changed_header_or_metadata_byte_is_rejected(signed_wav: Path) -> None:
    flip_byte(signed_wav, 5)  # the RIFF size field: outside the samples, format unchanged
    report = verify_file(signed_wav, trust=DOMAIN)
    assert not report.ok
    assert "outside the audio samples" in (report.reason or "")


def test_changed_manifest_field_breaks_the_signature(signed_wav: Path) -> None:
    side = sidecar_path(signed_wav)
    doc = json.loads(side.read_text())
    doc["manifest"]["claims"] = [{"type": "ai-generated"}]
    side.write_text(json.dumps(doc))
    report = verify_file(signed_wav, trust=DOMAIN)
    assert not report.ok
    assert report.reason is not None and report.reason.startswith("signature: made by")


def test_unsigned_extra_manifest_field_is_rejected(signed_wav: Path) -> None:
    side = sidecar_path(signed_wav)
    doc = json.loads(side.read_text())
    doc["manifest"]["content"]["license"] = "CC0"  # not covered by the signature: refused, not ignored
    side.write_text(json.dumps(doc))
    report = verify_file(signed_wav, trust=DOMAIN)
    assert not report.ok
    assert "unknown fields content.license" in (report.reason or "")


def test_signature_from_another_key_is_rejected(signed_wav: Path) -> None:
    side = sidecar_path(signed_wav)
    signed = SignedManifest.load(side)
    other = dev_account(2)
    forged = Manifest(**{**signed.manifest.__dict__, "creator": other.address}).sign(other, DOMAIN)
    # keep the forged signature but claim the original creator
    doc = json.loads(side.read_text())
    doc["signature"] = "0x" + forged.signature.hex()
    side.write_text(json.dumps(doc))
    report = verify_file(signed_wav, trust=DOMAIN)
    assert not report.ok
    assert f"not by the creator {dev_account(1).address}" in (report.reason or "")


@pytest.mark.parametrize(
    ("domain", "expected"),
    [
        (registry_domain(1, REGISTRY), "signed for chain 1, but this verifier trusts chain 31337"),
        (registry_domain(31337, "0x" + "22" * 20), "signed for registry"),
        (Domain("other app", "1", 31337, REGISTRY), "signed in domain 'other app'"),
        (Domain(DOMAIN.name, DOMAIN.version, 31337, REGISTRY, b"\x01" * 32), "salt 0x0101"),
    ],
)
def test_manifest_for_another_domain_is_rejected(tmp_path: Path, domain: Domain, expected: str) -> None:
    path = write_wav(tmp_path / "a.wav", 2.0)
    sign_file(path, dev_account(1), domain)
    report = verify_file(path, trust=DOMAIN)
    assert not report.ok
    assert expected in (report.reason or "")


def test_truncated_file_is_rejected(signed_wav: Path) -> None:
    data = signed_wav.read_bytes()
    signed_wav.write_bytes(data[: len(data) - 5000])
    report = verify_file(signed_wav, trust=DOMAIN)
    assert not report.ok
    assert "WAV truncated" in (report.reason or "")


def test_unsupported_wav_encoding_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "mp3-in-wav.wav"
    fmt = struct.pack("<HHIIHH", 0x55, 1, 8000, 1000, 1, 0)
    body = b"WAVE" + b"fmt " + struct.pack("<I", 16) + fmt + b"data" + struct.pack("<I", 4) + b"abcd"
    path.write_bytes(b"RIFF" + struct.pack("<I", len(body)) + body)
    with pytest.raises(ContentError, match="unsupported WAV encoding"):
        sign_file(path, dev_account(1), DOMAIN)
    # as plain bytes it signs fine
    assert sign_file(path, dev_account(1), DOMAIN, scheme="bytes-v1").manifest.scheme == "bytes-v1"


def test_missing_or_broken_sidecar(tmp_path: Path) -> None:
    path = write_wav(tmp_path / "x.wav", 1.0)
    assert "no aiweb3 manifest" in (verify_file(path).reason or "")
    sidecar_path(path).write_text("{not json")
    assert not verify_file(path).ok


def test_clip_verifies_without_a_new_signature(signed_wav: Path, tmp_path: Path) -> None:
    out = tmp_path / "clip.wav"
    clip = clip_file(signed_wav, 2.5, 5.2, out)
    assert (clip.proof.first, clip.proof.last, clip.proof.n) == (2, 5, 10)
    with wave.open(str(out), "rb") as w:  # a playable WAV of whole segments
        assert (w.getframerate(), w.getnframes()) == (RATE, 4 * RATE)
    doc = json.loads(sidecar_path(out).read_text())
    assert "leaves" not in doc["source"]  # the clip carries no per-segment list of the original
    original = SignedManifest.load(sidecar_path(signed_wav))
    assert doc["source"]["signature"] == "0x" + original.signature.hex()
    report = verify_file(out, trust=DOMAIN)
    assert report.ok, report.reason
    assert report.kind == "clip"
    assert report.segments == (2, 5, 10)
    assert "authentic excerpt of talk.wav" in report.headline()
    assert "segments 2..5 of 10, seconds 2..6" in report.headline()


def test_tampered_clip_is_rejected(signed_wav: Path, tmp_path: Path) -> None:
    out = tmp_path / "clip.wav"
    clip_file(signed_wav, 2, 5, out)
    flip_byte(out, 44 + 500)
    report = verify_file(out, trust=DOMAIN)
    assert not report.ok
    assert "tampered" in (report.reason or "")


def test_non_contiguous_clip_is_rejected(signed_wav: Path, tmp_path: Path) -> None:
    out = tmp_path / "clip.wav"
    clip_file(signed_wav, 2, 6, out)  # segments 2..5
    seg = RATE * 2
    with wave.open(str(signed_wav), "rb") as w:
        samples = w.readframes(w.getnframes())
    spliced = samples[2 * seg : 4 * seg] + samples[6 * seg : 8 * seg]  # 2,3 then 6,7
    with wave.open(str(out), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(spliced)
    report = verify_file(out, trust=DOMAIN)
    assert not report.ok
    assert "not contiguous" in (report.reason or "")


def test_clip_with_a_widened_range_is_rejected(signed_wav: Path, tmp_path: Path) -> None:
    out = tmp_path / "clip.wav"
    clip_file(signed_wav, 2, 4, out)
    side = sidecar_path(out)
    doc = json.loads(side.read_text())
    doc["proof"]["last"] = 4
    side.write_text(json.dumps(doc))
    report = verify_file(out, trust=DOMAIN)
    assert not report.ok
    assert "holds 2 segments but its proof covers 3" in (report.reason or "")


def test_bytes_clip_and_images(tmp_path: Path) -> None:
    blob = tmp_path / "data.bin"
    blob.write_bytes(random.Random(3).randbytes(10_000))
    sign_file(blob, dev_account(1), DOMAIN, chunk_size=1024)
    out = tmp_path / "part.bin"
    clip = clip_file(blob, 2048, 5000, out)
    assert (clip.proof.first, clip.proof.last) == (2, 4)
    assert out.read_bytes() == blob.read_bytes()[2048 : 5 * 1024]
    assert verify_file(out, trust=DOMAIN).ok
    png = tmp_path / "pic.png"
    png.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 100)
    signed = sign_file(png, dev_account(1), DOMAIN)
    assert (signed.manifest.scheme, signed.manifest.media_type, signed.manifest.segments) == (
        "image-v1",
        "image/png",
        1,
    )
    with pytest.raises(ContentError, match="cannot be clipped"):
        clip_file(png, 0, 1, tmp_path / "c.png")
    flip_byte(png, 50)
    assert "segment 0 of 1" in (verify_file(png, trust=DOMAIN).reason or "")


def test_claims_and_parents(tmp_path: Path) -> None:
    path = write_wav(tmp_path / "gen.wav", 1.0)
    parent = "0x" + "ab" * 32
    claim = Claim("ai-generated", model_id="0x" + "01" * 32, inference_tx="0x" + "02" * 32)
    signed = sign_file(path, dev_account(1), DOMAIN, claims=(claim,), parents=(parent,))
    loaded = SignedManifest.load(sidecar_path(path))
    assert loaded.manifest.claims == (claim,)
    assert loaded.manifest.parents == (parent,)
    assert loaded.manifest_id == signed.manifest_id
    with pytest.raises(InputError, match="unknown claim"):
        Claim("painted")
    with pytest.raises(InputError, match="belongs to an ai-generated claim"):
        Claim("captured", model_id="0x" + "01" * 32)


def test_clip_of_a_clip_still_verifies(signed_wav: Path, tmp_path: Path) -> None:
    first = tmp_path / "first.wav"
    clip_file(signed_wav, 2, 8, first)  # segments 2..7
    second = tmp_path / "second.wav"
    nested = clip_file(first, 1, 3, second)  # seconds 1..3 of the clip = 3..5 of the original
    assert (nested.proof.first, nested.proof.last) == (3, 4)
    report = verify_file(second, trust=DOMAIN)
    assert report.ok, report.reason
    assert "segments 3..4 of 10, seconds 3..5" in report.headline()
    flip_byte(first, 44 + 10)
    with pytest.raises(ContentError, match="does not verify as a clip"):
        clip_file(first, 0, 1, tmp_path / "third.wav")


def test_extensible_24_bit_wav_clips_keep_the_format(tmp_path: Path) -> None:
    rate, channels, width = 4000, 2, 3
    align = channels * width
    pcm_guid = struct.pack("<H", 1) + bytes.fromhex("000000001000800000aa00389b71")
    fmt = struct.pack("<HHIIHHHHI", 0xFFFE, channels, rate, rate * align, align, 24, 22, 24, 3) + pcm_guid
    samples = random.Random(9).randbytes(rate * align * 4)  # 4 seconds
    body = (
        b"WAVE"
        + b"fmt "
        + struct.pack("<I", len(fmt))
        + fmt
        + b"data"
        + struct.pack("<I", len(samples))
        + samples
    )
    path = tmp_path / "studio.wav"
    path.write_bytes(b"RIFF" + struct.pack("<I", len(body)) + body)
    signed = sign_file(path, dev_account(1), DOMAIN)
    assert (signed.manifest.params["format_tag"], signed.manifest.segments) == (1, 4)
    out = tmp_path / "cut.wav"
    clip_file(path, 1, 3, out)
    assert fmt in out.read_bytes()[:80]  # the clip carries the original fmt chunk
    assert verify_file(out, trust=DOMAIN).ok
