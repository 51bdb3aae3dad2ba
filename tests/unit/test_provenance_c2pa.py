"""C2PA credentials read with the reference SDK, next to aiweb3 manifests; tampering is caught."""

from __future__ import annotations

import datetime
import io
import struct
import zlib
from pathlib import Path

import c2pa
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from typer.testing import CliRunner

from aiweb3.chain import dev_account
from aiweb3.cli.main import app
from aiweb3.errors import RPCUnreachable
from aiweb3.provenance import registry_domain, sign_file, verify_file
from aiweb3.provenance.c2pa_read import read_c2pa

DOMAIN = registry_domain(31337, "0x5FbDB2315678afecb367f032d93F642f64180aa3")
AI_SOURCE = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"


def png(width: int = 8, height: int = 8) -> bytes:
    rows = b"".join(
        b"\x00" + b"".join(bytes([(x * 30) % 256, (y * 30) % 256, 90]) for x in range(width))
        for y in range(height)
    )

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def _cert(
    subject: str,
    key: ec.EllipticCurvePrivateKey,
    issuer: x509.Name | None,
    signing_key: ec.EllipticCurvePrivateKey,
) -> x509.Certificate:
    now = datetime.datetime.now(datetime.UTC)
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, subject),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "aiweb3"),
        ]
    )
    is_ca = issuer is None
    usage = x509.KeyUsage(
        digital_signature=True, content_commitment=False, key_encipherment=False, data_encipherment=False,
        key_agreement=False, key_cert_sign=is_ca, crl_sign=is_ca, encipher_only=False, decipher_only=False,
    )  # fmt: skip
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer or name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=is_ca, path_length=None), critical=True)
        .add_extension(usage, critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )
    if not is_ca:
        builder = builder.add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False
        ).add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(signing_key.public_key()), critical=False
        )
    return builder.sign(signing_key, hashes.SHA256())


@pytest.fixture(scope="session")
def c2pa_signer_info() -> c2pa.C2paSignerInfo:
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca = _cert("aiweb3 test CA", ca_key, None, ca_key)
    leaf = _cert("aiweb3 test camera", key, ca.subject, ca_key)
    chain = leaf.public_bytes(serialization.Encoding.PEM) + ca.public_bytes(serialization.Encoding.PEM)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return c2pa.C2paSignerInfo(b"es256", chain, pem, None)


def c2pa_png(path: Path, info: c2pa.C2paSignerInfo, source_type: str) -> Path:
    manifest = {
        "claim_generator_info": [{"name": "aiweb3-test-camera", "version": "1.0"}],
        "title": path.name,
        "format": "image/png",
        "assertions": [
            {
                "label": "c2pa.actions",
                "data": {"actions": [{"action": "c2pa.created", "digitalSourceType": source_type}]},
            }
        ],
    }
    out = io.BytesIO()
    c2pa.Builder(manifest).sign(c2pa.Signer.from_info(info), "image/png", io.BytesIO(png()), out)
    path.write_bytes(out.getvalue())
    return path


def test_valid_credentials_are_reported(tmp_path: Path, c2pa_signer_info: c2pa.C2paSignerInfo) -> None:
    path = c2pa_png(tmp_path / "gen.png", c2pa_signer_info, AI_SOURCE)
    info = read_c2pa(path)
    assert info is not None
    assert info.valid and info.state == "Valid"
    assert info.actions == ("c2pa.created",) and info.ai_generated
    assert "aiweb3 test camera" in info.signer and not info.trusted_signer
    report = verify_file(path)  # no aiweb3 sidecar: the C2PA credentials are the verdict
    assert report.ok and report.kind == "c2pa"
    assert "C2PA Valid" in report.headline() and "AI-generated" in report.headline()


def test_tampered_c2pa_image_is_rejected(tmp_path: Path, c2pa_signer_info: c2pa.C2paSignerInfo) -> None:
    path = c2pa_png(
        tmp_path / "photo.png",
        c2pa_signer_info,
        "http://cv.iptc.org/newscodes/digitalsourcetype/digitalCapture",
    )
    data = bytearray(path.read_bytes())
    data[data.find(b"IDAT") + 12] ^= 0xFF
    path.write_bytes(bytes(data))
    info = read_c2pa(path)
    assert info is not None and not info.valid and not info.ai_generated
    assert any(code == "assertion.dataHash.mismatch" for code, _ in info.failures)
    report = verify_file(path)
    assert not report.ok
    assert "dataHash.mismatch" in (report.reason or "")


def test_plain_png_has_no_credentials_and_both_are_reported(
    tmp_path: Path, c2pa_signer_info: c2pa.C2paSignerInfo
) -> None:
    plain = tmp_path / "plain.png"
    plain.write_bytes(png())
    assert read_c2pa(plain) is None
    assert "no aiweb3 manifest" in (verify_file(plain).reason or "")
    both = c2pa_png(tmp_path / "both.png", c2pa_signer_info, AI_SOURCE)
    sign_file(both, dev_account(1), DOMAIN)
    report = verify_file(both, trust=DOMAIN)
    assert report.ok and report.kind == "original"
    assert report.c2pa is not None and report.c2pa.valid
    assert report.to_json()["c2pa"]["ai_generated"] is True


def test_cli_verify_touches_the_chain_only_for_aiweb3_manifests(
    tmp_path: Path, c2pa_signer_info: c2pa.C2paSignerInfo
) -> None:
    path = c2pa_png(tmp_path / "gen.png", c2pa_signer_info, AI_SOURCE)
    home = tmp_path / "home"
    runner = CliRunner()
    # no chain configured: nothing is started, nothing deployed
    result = runner.invoke(
        app, ["content", "verify", str(path)], env={"AIWEB3_HOME": str(home), "COLUMNS": "300"}
    )
    assert result.exit_code == 0, result.output
    assert "C2PA Valid" in result.output and "on chain" not in result.output
    assert not (home / "node").exists() and not (home / "deployments").exists()
    # a chain that cannot be reached is never asked
    dead = {"AIWEB3_HOME": str(home), "AIWEB3_RPC_URL": "http://127.0.0.1:9", "COLUMNS": "300"}
    result = runner.invoke(app, ["content", "verify", str(path)], env=dead)
    assert result.exit_code == 0, result.output
    # an aiweb3 manifest needs the chain (domain, key status, anchors): it says so, then tries
    signed = tmp_path / "note.bin"
    signed.write_bytes(b"signed bytes" * 100)
    sign_file(signed, dev_account(1), DOMAIN)
    result = runner.invoke(app, ["content", "verify", str(signed)], env=dead)
    assert "an aiweb3 manifest is checked on chain" in result.output
    assert isinstance(result.exception, RPCUnreachable)
