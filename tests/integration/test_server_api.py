"""The HTTP API against a real uvicorn server on a real node: security, errors, jobs, verification."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from aiweb3.chain import Chain, Deployment
from aiweb3.server import ServerConfig, ServerHandle, Services, serve

LIMIT = 256 * 1024


@pytest.fixture(scope="module")
def server(module_home: Path, chain: Chain, deployments: dict[str, Deployment]) -> Iterator[ServerHandle]:
    config = ServerConfig(home=module_home, port=0, max_upload_bytes=LIMIT)
    handle = serve(Services.open(config, chain))
    try:
        yield handle
    finally:
        handle.stop()


@pytest.fixture(scope="module")
def client(server: ServerHandle) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=30) as c:
        yield c


@pytest.fixture(scope="module")
def token(server: ServerHandle) -> str:
    return server.services.tokens.new("api-test")[0]


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def sign(client: httpx.Client, token: str, name: str, data: bytes, anchor: bool = True) -> dict[str, Any]:
    r = client.post(
        "/api/content",
        files={"file": (name, data)},
        data={"anchor": str(anchor).lower()},
        headers=auth(token),
    )
    assert r.status_code == 202, r.text
    return dict(r.json()["job"])


def follow(client: httpx.Client, job_id: str) -> list[tuple[str, dict[str, Any]]]:
    """Read the job's server-sent events until the final one."""
    events: list[tuple[str, dict[str, Any]]] = []
    with client.stream("GET", f"/api/jobs/{job_id}/events") as r:
        assert r.headers["content-type"].startswith("text/event-stream")
        kind = None
        for line in r.iter_lines():
            if line.startswith("event: "):
                kind = line[7:]
            elif line.startswith("data: ") and kind:
                events.append((kind, json.loads(line[6:])))
    return events


def test_read_routes_answer_from_the_chain(client: httpx.Client, chain: Chain) -> None:
    health = client.get("/api/health").json()
    assert health["ok"] is True and health["chain_id"] == chain.chain_id
    overview = client.get("/api/overview").json()
    assert {c["name"] for c in overview["contracts"]} >= {"AIUSD", "CreatorRegistry"}
    assert overview["chain"]["head"] >= 2
    blocks = client.get("/api/chain/blocks", params={"count": 3}).json()["blocks"]
    assert [b["number"] for b in blocks] == sorted((b["number"] for b in blocks), reverse=True)
    accounts = client.get("/api/accounts").json()["accounts"]
    assert accounts[0]["kind"] == "server"
    assert any(a["label"] == "dev:0" and a["eth"] > 0 for a in accounts)
    one = client.get(f"/api/accounts/{accounts[1]['address'].lower()}").json()
    assert one["address"] == accounts[1]["address"] and int(one["balance_wei"]) > 0
    assert client.get("/api/openapi.json").json()["paths"]["/api/verify"]["post"]
    reference = client.get("/docs")
    assert reference.status_code == 200 and "/api/jobs/{job_id}/events" in reference.text
    assert "cdn" not in reference.text.lower()


def test_write_routes_need_a_valid_token(client: httpx.Client, token: str) -> None:
    files = {"file": ("a.txt", b"hello")}
    missing = client.post("/api/content", files=files)
    assert missing.status_code == 401
    assert missing.json()["code"] == "unauthorized" and "aiweb3 token new" in missing.json()["message"]
    wrong = client.post("/api/content", files=files, headers=auth(token + "x"))
    assert wrong.status_code == 401 and wrong.json()["field"] == "Authorization"
    assert client.post("/api/content/anchor", headers={"Authorization": "Basic abc"}).status_code == 401


def test_bad_input_names_the_field(client: httpx.Client, token: str) -> None:
    r = client.get("/api/chain/blocks", params={"count": "many"})
    assert r.status_code == 422 and r.json()["field"] == "count" and "count" in r.json()["message"]
    r = client.get("/api/accounts/0x1234")
    assert r.status_code == 422 and r.json()["field"] == "address"
    r = client.post(
        "/api/content", files={"file": ("a.txt", b"x")}, data={"claim": "stolen"}, headers=auth(token)
    )
    assert r.status_code == 422 and r.json()["field"] == "claim"
    r = client.post("/api/content", files={"other": ("a.txt", b"x")}, headers=auth(token))
    assert r.status_code == 422 and r.json()["field"] == "file"
    r = client.post("/api/verify", content=b"{}", headers={"content-type": "application/json"})
    assert r.status_code == 415 and r.json()["code"] == "unsupported_media_type"


def test_unknown_ids_are_404(client: httpx.Client) -> None:
    for path in ("/api/jobs/nope", "/api/content/0x" + "ab" * 32, "/api/content/xyz/file", "/api/nothing"):
        r = client.get(path)
        assert r.status_code == 404, path
        assert set(r.json()) >= {"code", "message"}
    assert client.get("/api/jobs/nope/events").status_code == 404
    page = client.get("/content/0x" + "cd" * 32, headers={"accept": "text/html"})
    assert page.status_code == 404 and "text/html" in page.headers["content-type"]


def test_oversized_upload_is_413_naming_the_limit(client: httpx.Client, token: str) -> None:
    big = b"\0" * (LIMIT + 1)
    for r in (
        client.post("/api/verify", files={"file": ("big.bin", big)}),
        client.post("/api/content", files={"file": ("big.bin", big)}, headers=auth(token)),
    ):
        assert r.status_code == 413
        assert r.json()["limit"] == LIMIT and str(LIMIT) in r.json()["message"]


def test_streamed_body_over_the_limit_is_413(client: httpx.Client) -> None:
    boundary = "b0undary"

    def chunks() -> Iterator[bytes]:  # no Content-Length: the server must count as it reads
        head = f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="x.bin"\r\n\r\n'
        yield head.encode()
        for _ in range(LIMIT // 65536 + 2):
            yield b"\0" * 65536
        yield f"\r\n--{boundary}--\r\n".encode()

    r = client.post(
        "/api/verify", content=chunks(), headers={"content-type": f"multipart/form-data; boundary={boundary}"}
    )
    assert r.status_code == 413 and r.json()["code"] == "payload_too_large"


def test_cors_is_closed_by_default(client: httpx.Client) -> None:
    r = client.options(
        "/api/overview", headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"}
    )
    assert "access-control-allow-origin" not in r.headers
    r = client.get("/api/overview", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in r.headers


def test_sign_job_streams_progress_then_verifies_and_rejects_tampering(
    client: httpx.Client, token: str, tmp_path: Path
) -> None:
    data = bytes(range(256)) * 40
    job = sign(client, token, "report.bin", data)
    events = follow(client, job["id"])
    assert events[-1][0] == "done" and events[-1][1]["state"] == "succeeded"
    assert all(kind == "progress" for kind, _ in events[:-1])
    final = client.get(f"/api/jobs/{job['id']}").json()
    assert final["percent"] == 100.0
    manifest_id = final["result"]["manifest_ids"][0]
    listed = {c["manifest_id"]: c for c in client.get("/api/content").json()["content"]}
    assert listed[manifest_id]["anchored"]["block"] > 0
    file_bytes = client.get(f"/api/content/{manifest_id}/file").content
    sidecar = client.get(f"/api/content/{manifest_id}/sidecar").content
    assert file_bytes == data

    good = client.post(
        "/api/verify", files={"file": ("report.bin", file_bytes), "sidecar": ("s.json", sidecar)}
    )
    assert good.status_code == 200 and good.json()["ok"] is True
    assert good.json()["manifest_id"] == manifest_id and good.json()["handle"].startswith("aiweb3-server-")

    tampered = bytearray(file_bytes)
    tampered[100] ^= 1
    bad = client.post(
        "/api/verify", files={"file": ("report.bin", bytes(tampered)), "sidecar": ("s.json", sidecar)}
    )
    assert bad.status_code == 200 and bad.json()["ok"] is False
    assert "REJECTED" in bad.json()["verdict"]
    assert any(c["name"] == "content" and c["ok"] is False for c in bad.json()["checks"])

    doc = json.loads(sidecar)
    doc["manifest"]["content"]["name"] = "forged.bin"
    forged = client.post(
        "/api/verify",
        files={"file": ("report.bin", file_bytes), "sidecar": ("s.json", json.dumps(doc).encode())},
    )
    assert forged.json()["ok"] is False

    unsigned = client.post("/api/verify", files={"file": ("report.bin", file_bytes)})
    assert unsigned.status_code == 200 and unsigned.json()["ok"] is False


def test_a_failing_job_reports_why(client: httpx.Client, token: str) -> None:
    job = sign(client, token, "empty.bin", b"", anchor=False)
    events = follow(client, job["id"])
    final = events[-1][1]
    assert final["state"] == "failed"
    assert final["error"]["code"] == "ContentError" and "empty" in final["error"]["message"]


def test_bulk_anchor_job_and_keys_never_leave(server: ServerHandle, client: httpx.Client, token: str) -> None:
    sign(client, token, "one.txt", b"first file " * 200, anchor=False)
    second = sign(client, token, "two.txt", b"second file " * 200, anchor=False)
    follow(client, second["id"])
    r = client.post("/api/content/anchor", headers=auth(token))
    assert r.status_code == 202
    final = follow(client, r.json()["job"]["id"])[-1][1]
    assert final["state"] == "succeeded" and final["result"]["count"] >= 2
    assert all(c["anchored"] for c in client.get("/api/content").json()["content"])
    key = server.services.creator.key.hex().removeprefix("0x")
    for path in (
        "/api/overview",
        "/api/accounts",
        "/api/content",
        "/api/content/creator",
        "/api/jobs",
        "/",
        "/chain",
        "/content",
    ):
        assert key not in client.get(path).text.lower()


def test_bulk_sign_reports_progress_per_file(client: httpx.Client, token: str) -> None:
    files = [("file", (f"part-{i}.txt", f"part {i} ".encode() * 300)) for i in range(4)]
    r = client.post("/api/content", files=files, data={"anchor": "true"}, headers=auth(token))
    assert r.status_code == 202 and r.json()["job"]["title"] == "Sign 4 files"
    events = follow(client, r.json()["job"]["id"])
    # the stream sends the latest state on each change, so fast steps may coalesce; the job's
    # version counts every update: one per file, plus the registration check, anchoring, storing
    assert events[-1][1]["version"] >= 4 + 3
    done = [snap["done"] for _, snap in events]
    # (streams poll the job every 0.2 s, so a fast job can show only its final count)
    assert done == sorted(done) and done[-1] >= 4
    final = events[-1][1]
    assert final["state"] == "succeeded" and len(final["result"]["manifest_ids"]) == 4
    too_many = [("file", (f"f{i}.txt", b"x" * 10)) for i in range(101)]
    r = client.post("/api/content", files=too_many, headers=auth(token))
    assert r.status_code == 422 and r.json()["field"] == "file"


def test_a_clip_verifies_and_a_tampered_clip_is_rejected(
    server: ServerHandle, client: httpx.Client, tmp_path: Path
) -> None:
    from aiweb3.provenance import clip_file, sidecar_path, sign_file
    from aiweb3.server.tasks import demo_wav

    original = demo_wav(tmp_path / "talk.wav", seconds=6)
    sign_file(original, server.services.creator, server.services.registry.domain)
    server.services.ensure_creator_registered()
    clip = tmp_path / "quote.wav"
    clip_file(original, 2.0, 4.0, clip)
    files = {
        "file": ("quote.wav", clip.read_bytes()),
        "sidecar": ("quote.wav.aiw.json", sidecar_path(clip).read_bytes()),
    }
    good = client.post("/api/verify", files=files).json()
    assert good["ok"] is True and good["kind"] == "clip" and good["segments"] == [2, 3, 6]
    assert "authentic excerpt of talk.wav" in good["verdict"]
    tampered = bytearray(clip.read_bytes())
    tampered[-3] ^= 0xFF
    files["file"] = ("quote.wav", bytes(tampered))
    bad = client.post("/api/verify", files=files).json()
    assert bad["ok"] is False and any(c["name"] == "clip" and c["ok"] is False for c in bad["checks"])


def test_analytics_without_the_indexer_say_so(client: httpx.Client) -> None:
    # this module's server runs without the indexer (`aiweb3 up --no-index`)
    r = client.post("/api/ask", json={"question": "How many transactions were there per day?"})
    assert r.status_code == 503 and "indexer is not running" in r.json()["message"]
    page = client.get("/analytics")
    assert page.status_code == 200 and "The indexer is not running" in page.text
