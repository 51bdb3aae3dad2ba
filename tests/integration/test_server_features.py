"""The feature routes of the service against a real node, real ezkl proofs and a real DuckDB index.

One server per module with the indexer following the chain and the demo seeded (the example MLP
compiled, registered, proved and verified on chain); the compiled model is reused across tests.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount

from aiweb3.chain import Chain, Deployment
from aiweb3.datasets import MEDICAL_RECORD, DatasetPool, DatasetRef, authorize_contribution
from aiweb3.datasets.example import breast_cancer_policy
from aiweb3.indexer.ask import Asker
from aiweb3.indexer.metric_library import MetricLibrary, draft_metric
from aiweb3.server import ServerConfig, ServerHandle, Services, serve
from aiweb3.server.demo import demo_record, seed_demo
from aiweb3.server.modeljobs import EXAMPLE_DIR

SAMPLES = json.loads((EXAMPLE_DIR / "mlp_samples.json").read_text())["samples"]


@pytest.fixture(scope="module")
def server(module_home: Path, chain: Chain, deployments: dict[str, Deployment]) -> Iterator[ServerHandle]:
    # the demo registers the example model on the session chain (the module's isolation reverts it)
    services = Services.open(ServerConfig(home=module_home, port=0), chain)
    services.start_indexer(poll_interval=0.2)
    handle = serve(services)
    try:
        demo = seed_demo(services)
        if demo is not None:
            snap = services.jobs.wait(demo.id, 600)
            assert snap["state"] == "succeeded", snap
        yield handle
    finally:
        handle.stop()


@pytest.fixture(scope="module")
def client(server: ServerHandle) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=120) as c:
        yield c


@pytest.fixture(scope="module")
def auth(server: ServerHandle) -> dict[str, str]:
    return {"Authorization": f"Bearer {server.services.tokens.new('features')[0]}"}


@pytest.fixture(scope="module")
def demo_model(client: httpx.Client, server: ServerHandle) -> dict[str, Any]:
    # by id, not name: another test may have registered the same example model under its own name
    record = demo_record(server.services)
    assert record is not None
    models = client.get("/api/models").json()["models"]
    return next(m for m in models if m["model_id"] == record["model"]["model_id"])


def finish(client: httpx.Client, reply: httpx.Response) -> dict[str, Any]:
    assert reply.status_code == 202, reply.text
    job_id = reply.json()["job"]["id"]
    with client.stream("GET", f"/api/jobs/{job_id}/events") as stream:
        for line in stream.iter_lines():
            if line.startswith("event: done"):
                break
    snap: dict[str, Any] = client.get(f"/api/jobs/{job_id}").json()
    return snap


def test_demo_model_is_registered_with_a_verified_inference(
    client: httpx.Client, demo_model: dict[str, Any]
) -> None:
    assert demo_model["registered"]["owner"]
    assert demo_model["compiled"]["logrows"] > 0
    assert demo_model["verified_inferences"] >= 1
    detail = client.get(f"/api/models/{demo_model['model_id']}").json()
    assert detail["inferences"][0]["model_id"] == demo_model["model_id"]
    assert detail["inferences"][0]["tx_hash"].startswith("0x")
    assert detail["proofs"], "the demo's proof is kept for download"
    assert detail["audit"] == "no audit"  # nobody attested the demo model (EAS is deployed)
    counts = client.get("/api/overview").json()["counts"]
    assert counts["models"] >= 1 and counts["inferences"] >= 1
    page = client.get(f"/models/{demo_model['model_id']}")
    assert page.status_code == 200 and demo_model["name"] in page.text
    assert '<td id="model-audit">no audit</td>' in page.text


def test_model_routes_check_tokens_ids_and_input(
    client: httpx.Client, auth: dict[str, str], demo_model: dict[str, Any]
) -> None:
    mid = demo_model["model_id"]
    assert client.post(f"/api/models/{mid}/prove", json={"inputs": SAMPLES[0]}).status_code == 401
    unknown = client.get("/api/models/0x" + "ab" * 32)
    assert unknown.status_code == 404 and unknown.json()["field"] == "model_id"
    assert client.get("/api/models/proofs/nope").status_code == 404
    again = client.post(f"/api/models/{mid}/register", json={}, headers=auth)
    assert again.status_code == 409
    bad = client.post(f"/api/models/{mid}/prove", json={"inputs": "x"}, headers=auth)
    assert bad.status_code == 422 and bad.json()["field"] == "inputs"
    wrong_shape = finish(
        client, client.post(f"/api/models/{mid}/prove", json={"inputs": [1.0, 2.0]}, headers=auth)
    )
    assert wrong_shape["state"] == "failed"
    assert "input" in wrong_shape["error"]["message"]


def test_prove_job_then_verify_the_proof_and_reject_tampered_ones(
    client: httpx.Client, auth: dict[str, str], demo_model: dict[str, Any], tmp_path: Path
) -> None:
    mid = demo_model["model_id"]
    before = demo_model["verified_inferences"]
    snap = finish(client, client.post(f"/api/models/{mid}/prove", json={"inputs": SAMPLES[1]}, headers=auth))
    assert snap["state"] == "succeeded", snap
    result = snap["result"]
    assert result["onchain"]["tx_hash"].startswith("0x")
    # the service proves in its own process here (ray_address "off"), through a hot prover
    # that the demo's proof started and this one reused
    assert client.get("/api/jobs").json()["workers"] == {"engine": "local", "hot_models": [mid]}
    proof = client.get(result["download"])
    assert proof.status_code == 200
    after = client.get(f"/api/models/{mid}").json()
    assert len(after["inferences"]) == before + 1

    verdict = client.post("/api/verify", files={"proof": ("proof.json", proof.content)}).json()
    assert verdict["ok"] is True, verdict
    assert {c["name"]: c["ok"] for c in verdict["checks"]} == {
        "proof file": True,
        "local": True,
        "registered": True,
        "on chain": True,
        "audit": None,  # no audit: said, but it does not change the verdict
    }
    assert verdict["checks"][-1]["detail"].startswith("no audit")
    # dropped as a plain file it is recognised as a proof too
    assert client.post("/api/verify", files={"file": ("p.json", proof.content)}).json()["ok"] is True

    data = json.loads(proof.content)
    raw = bytearray(bytes.fromhex(data["proof"][2:]))
    raw[100] ^= 0x01
    data["proof"] = "0x" + raw.hex()
    tampered = client.post("/api/verify", files={"proof": ("proof.json", json.dumps(data).encode())}).json()
    assert tampered["ok"] is False
    assert tampered["verdict"].startswith("REJECTED")
    checks = {c["name"]: c["ok"] for c in tampered["checks"]}
    assert checks["local"] is False and checks["on chain"] is False

    edited = json.loads(proof.content)
    edited["outputs"][0][0] = 0.999
    rejected = client.post("/api/verify", files={"proof": ("proof.json", json.dumps(edited).encode())}).json()
    assert rejected["ok"] is False and rejected["checks"][0]["name"] == "proof file"


def test_compile_an_uploaded_onnx_and_a_broken_one(
    client: httpx.Client, auth: dict[str, str], demo_model: dict[str, Any]
) -> None:
    onnx = (EXAMPLE_DIR / "mlp.onnx").read_bytes()
    samples = json.dumps({"samples": SAMPLES[:8]}).encode()
    files = {"onnx": ("mlp.onnx", onnx), "samples": ("s.json", samples)}
    snap = finish(
        client, client.post("/api/models", files=files, data={"name": "breast-cancer-mlp"}, headers=auth)
    )
    assert snap["state"] == "succeeded", snap
    assert snap["result"]["model_id"] == demo_model["model_id"]  # same ONNX and samples: the same commitment
    broken = {"onnx": ("bad.onnx", b"not onnx at all"), "samples": ("s.json", samples)}
    failed = finish(client, client.post("/api/models", files=broken, headers=auth))
    assert failed["state"] == "failed" and "ONNX" in failed["error"]["message"]
    missing = client.post("/api/models", files={"onnx": ("mlp.onnx", onnx)}, headers=auth)
    assert missing.status_code == 422 and missing.json()["field"] == "samples"


def test_analytics_follow_the_chain_and_answer_questions(
    server: ServerHandle,
    client: httpx.Client,
    demo_model: dict[str, Any],
    chain: Chain,
    accounts: list[LocalAccount],
) -> None:
    index = server.services.index
    assert index is not None
    assert index.sync_to(chain.block_number(), timeout=60), index.status()
    rows = client.get("/api/analytics/metrics/verified_inferences_per_model").json()["rows"]
    assert any(r[0] == demo_model["model_id"] and r[1] >= 1 for r in rows)

    errors: list[BaseException] = []

    def traffic() -> None:  # the follower writes while the dashboard reads
        try:
            for _ in range(5):
                chain.set_balance(accounts[5].address, 10**18)
                chain.rpc("evm_mine", [])
        except BaseException as exc:
            errors.append(exc)

    writer = threading.Thread(target=traffic)
    writer.start()
    for _ in range(10):
        assert client.get("/analytics").status_code == 200
    writer.join()
    assert errors == []

    answer = client.post("/api/ask", json={"question": "How many verified inferences per model?"}).json()
    assert answer["answered"] is True and answer["engine"] == "offline"
    assert "decoded_events" in answer["sql"]
    assert any(r[0] == demo_model["model_id"] for r in answer["rows"])
    assert "per model" in answer["interpretation"] and answer["unit"] == "count"
    declined = client.post("/api/ask", json={"question": "what is the price of ETH?"}).json()
    assert declined["answered"] is False and declined["reason"] == "price" and declined["sql"] is None
    # a metric saved from words (`aiweb3 metric new`) is listed, served and charted by the dashboard
    with index.reader() as con:
        saved, _ = draft_metric(Asker(con), "verified inferences per day", "inferences_daily")
    MetricLibrary.beside(index.path).save(saved, replace=True)
    listed = client.get("/api/analytics").json()["metrics"]
    assert {"name": "inferences_daily", "group": "saved"}.items() <= next(
        m for m in listed if m["name"] == "inferences_daily"
    ).items()
    served = client.get("/api/analytics/metrics/inferences_daily").json()
    assert served["rows"] and served["columns"][-1] == "count"
    assert "inferences_daily" in client.get("/analytics").text
    refused = client.post("/api/ask", json={"question": "delete all blocks"})
    assert refused.status_code == 422
    assert client.post("/api/ask", json={}).status_code == 422
    assert client.get("/api/analytics/metrics/nope").status_code == 404


def test_datasets_list_the_pool(
    client: httpx.Client, chain: Chain, aiweb3_home: Path, accounts: list[LocalAccount]
) -> None:
    pool = DatasetPool.from_home(chain, aiweb3_home)
    dataset_id = pool.create_dataset(
        accounts[6],
        MEDICAL_RECORD,
        breast_cancer_policy(min_k=1),
        "bafy-policy",
        curator=accounts[7].address,
        reward=2 * 10**6,
        budget=10 * 10**6,
    )
    ref = DatasetRef(chain.chain_id, pool.address, dataset_id)
    junk_key = Account.create()  # any key can sign; only the curator's check ties it to a record
    signature = authorize_contribution(junk_key, ref, b"\x02" * 32, accounts[8].address)
    pool.contribute(accounts[8], dataset_id, b"\x02" * 32, accounts[8].address, signature)
    listed = client.get("/api/datasets").json()["datasets"]
    mine = next(d for d in listed if d["dataset_id"] == dataset_id)
    assert (
        mine["schema"] == MEDICAL_RECORD.id
        and mine["pending"] == 1
        and mine["creator"] == accounts[6].address
    )
    detail = client.get(f"/api/datasets/{dataset_id}").json()
    assert [c["status"] for c in detail["contributions"]] == ["pending"]
    assert detail["contributions"][0]["payee"] == accounts[8].address
    assert client.get("/api/datasets/9999").status_code == 404
    page = client.get(f"/datasets/{dataset_id}")
    assert page.status_code == 200 and "contributions-table" in page.text
    assert client.get("/api/overview").json()["counts"]["datasets"] >= 1
