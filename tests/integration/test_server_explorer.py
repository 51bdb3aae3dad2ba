"""The dashboard's explorer pages and links against a real node, real proofs and a real index.

One server per module with the indexer following the chain and the demo seeded: the server's
creator key signed a file, owns the example model (with a proved, verified inference) and an agent.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from aiweb3.chain import Chain, Deployment
from aiweb3.server import ServerConfig, ServerHandle, Services, serve
from aiweb3.server.demo import demo_record, seed_demo


@pytest.fixture(scope="module")
def server(module_home: Path, chain: Chain, deployments: dict[str, Deployment]) -> Iterator[ServerHandle]:
    services = Services.open(ServerConfig(home=module_home, port=0), chain)
    services.start_indexer(poll_interval=0.2)
    handle = serve(services)
    try:
        demo = seed_demo(services)
        if demo is not None:
            snap = services.jobs.wait(demo.id, 600)
            assert snap["state"] == "succeeded", snap
        assert services.index is not None
        # on failure, say where the follower stands (its last block and error) to tell a stall from a crash
        assert services.index.sync_to(chain.block_number(), timeout=60), services.index.status()
        yield handle
    finally:
        handle.stop()


@pytest.fixture(scope="module")
def client(server: ServerHandle) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=60) as c:
        yield c


@pytest.fixture(scope="module")
def demo(server: ServerHandle) -> dict[str, Any]:
    record = demo_record(server.services)
    assert record is not None
    return record


def test_the_creator_address_page_lists_its_transactions_tokens_models_content_and_agents(
    client: httpx.Client, server: ServerHandle, demo: dict[str, Any]
) -> None:
    creator = server.services.creator.address.lower()
    data = client.get(f"/api/address/{creator.upper().replace('0X', '0x')}").json()
    assert data["address"] == creator
    assert data["known_as"] == "the server's creator key"
    assert data["is_contract"] is False
    assert data["nonce"] >= 3  # registered its handle, anchored, registered the model, ...
    hashes = {t["hash"] for t in data["history"]["transactions"]}
    assert demo["model"]["tx_hash"] in hashes
    proved = next(t for t in data["history"]["transactions"] if t["hash"] == demo["model"]["tx_hash"])
    assert proved["method"] == "verifyInference" and proved["to_label"] == "ModelRegistry"
    assert data["history"]["transaction_count"] >= data["nonce"]
    assert [m["model_id"] for m in data["models"]] == [demo["model"]["model_id"]]
    assert any(i["tx_hash"] == demo["model"]["tx_hash"] for i in data["inferences"])
    assert [e["name"] for e in data["content"]] == ["demo-tone.wav"]
    assert [a["name"] for a in data["agents"]] == ["proving agent"]
    assert data["creator"]["handle"] == server.services.creator_handle

    page = client.get(f"/address/{creator}")
    assert page.status_code == 200
    html = page.text
    assert f'href="/tx/{demo["model"]["tx_hash"]}"' in html
    assert f'href="/models/{demo["model"]["model_id"]}"' in html
    assert 'href="/agents/' in html
    assert "demo-tone.wav" in html


def test_a_contract_address_is_named_and_its_token_holders_have_balances(
    client: httpx.Client, server: ServerHandle, deployments: dict[str, Deployment]
) -> None:
    registry = deployments["ModelRegistry"].address
    data = client.get(f"/api/address/{registry}").json()
    assert data["is_contract"] and data["code_size"] > 0
    assert data["known_as"] == "ModelRegistry"
    assert data["history"]["transaction_count"] >= 2  # its deployment and the demo's calls

    # a dev account funded with AIUSD at deployment: the index saw the transfer
    aiusd = deployments["AIUSD"].address.lower()
    holder = next(
        a["address"].lower()
        for a in client.get("/api/accounts").json()["accounts"]
        if a["kind"] == "dev" and (a["aiusd"] or 0) > 0
    )
    held = client.get(f"/api/address/{holder}").json()
    token = next(t for t in held["history"]["tokens"] if t["token"] == aiusd)
    assert token["balance"] == round(held["aiusd"] * 10**6)


def test_the_transaction_page_decodes_the_inference_event(
    client: httpx.Client, server: ServerHandle, demo: dict[str, Any], deployments: dict[str, Deployment]
) -> None:
    tx_hash = demo["model"]["tx_hash"]
    tx = client.get(f"/api/tx/{tx_hash}").json()
    assert tx["status"] == 1 and tx["pending"] is False
    assert tx["from"] == server.services.creator.address.lower()
    assert tx["to"] == deployments["ModelRegistry"].address.lower()
    assert tx["to_label"] == "ModelRegistry"
    assert tx["method"].startswith("verifyInference(")
    event = next(e for e in tx["events"] if e["name"] == "InferenceVerified")
    assert event["contract"] == "ModelRegistry"
    assert event["args"]["modelId"] == demo["model"]["model_id"]

    html = client.get(f"/tx/{tx_hash}").text
    assert f'href="/block/{tx["block"]}"' in html
    assert f'href="/address/{tx["from"]}"' in html
    assert f'href="/models/{demo["model"]["model_id"]}"' in html
    assert "InferenceVerified" in html


def test_the_block_page_by_number_and_by_hash(
    client: httpx.Client, server: ServerHandle, demo: dict[str, Any]
) -> None:
    tx = client.get(f"/api/tx/{demo['model']['tx_hash']}").json()
    by_number = client.get(f"/api/block/{tx['block']}").json()
    assert demo["model"]["tx_hash"] in [t["hash"] for t in by_number["transactions"]]
    by_hash = client.get(f"/api/block/{by_number['hash']}").json()
    assert by_hash["number"] == tx["block"]
    html = client.get(f"/block/{tx['block']}").text
    assert f'href="/tx/{demo["model"]["tx_hash"]}"' in html
    assert f'href="/block/{tx["block"] - 1}"' in html


@pytest.mark.parametrize(
    ("path", "status", "words"),
    [
        ("/api/address/0x1234", 422, "not an address"),
        ("/api/tx/0xabc", 422, "not a transaction hash"),
        ("/api/tx/0x" + "ab" * 32, 404, "knows no transaction"),
        ("/api/block/99999999", 404, "no block 99999999"),
        ("/api/block/latest-ish", 422, "not a block"),
        ("/agents/999", 404, "no agent 999"),
        ("/tx/0x" + "cd" * 32, 404, "knows no transaction"),
    ],
)
def test_bad_explorer_input_is_a_one_line_error(
    client: httpx.Client, path: str, status: int, words: str
) -> None:
    reply = client.get(path)
    assert reply.status_code == status
    assert words in reply.text
    assert "Traceback" not in reply.text


def test_the_agent_page_replaces_the_raw_json_link(client: httpx.Client, server: ServerHandle) -> None:
    agents = client.get("/agents").text
    assert 'href="/api/agents/' not in agents
    agent_id = client.get("/api/agents").json()["agents"][0]["agent_id"]
    assert f'href="/agents/{agent_id}"' in agents
    page = client.get(f"/agents/{agent_id}")
    assert page.status_code == 200
    assert "proving agent" in page.text
    assert f'href="/address/{server.services.creator.address.lower()}"' in page.text


def test_every_listed_id_links_to_its_page(client: httpx.Client, demo: dict[str, Any]) -> None:
    model_id = demo["model"]["model_id"]
    models = client.get("/models").text
    assert f'href="/tx/{demo["model"]["tx_hash"]}"' in models
    assert re.search(r'href="/address/0x[0-9a-f]{40}"', models)
    chain = client.get("/chain").text
    assert re.search(r'href="/block/\d+"', chain)
    assert len(re.findall(r'href="/address/0x[0-9a-f]{40}"', chain)) >= 10
    content = client.get("/content").text
    assert re.search(r'href="/content/0x[0-9a-f]{64}"', content)
    model_page = client.get(f"/models/{model_id}").text
    assert f'href="/tx/{demo["model"]["tx_hash"]}"' in model_page


def test_model_outputs_carry_their_class_labels(client: httpx.Client, demo: dict[str, Any]) -> None:
    model = client.get(f"/api/models/{demo['model']['model_id']}").json()
    assert model["compiled"]["classes"] == ["malignant", "benign"]
    proof = next(p for p in model["proofs"] if p["proof_id"] == demo["model"]["proof_id"])
    assert proof["prediction"]["label"] in ("malignant", "benign")
    assert 0.5 <= proof["prediction"]["score"] <= 1
    # the on-chain inference's outputs, read back from its transaction, carry the same label
    onchain = next(i for i in model["inferences"] if i["tx_hash"] == demo["model"]["tx_hash"])
    assert onchain["prediction"] == proof["prediction"]
    page = client.get(f"/models/{demo['model']['model_id']}").text
    table = page.split('id="model-inferences"', 1)[1].split("</table>", 1)[0]
    assert f'<span class="label-out">{proof["prediction"]["label"]}</span>' in table


def test_the_job_page_renders_the_result(client: httpx.Client, server: ServerHandle) -> None:
    demo_job = next(j for j in server.services.jobs.list() if j.kind == "demo")
    html = client.get(f"/jobs/{demo_job.id}").text
    view = html.split('id="job-result-view"', 1)[1].split("</details>", 1)[0]
    assert 'href="/models/0x' in view and 'href="/tx/0x' in view
    assert "<details" in view  # the raw JSON is folded away, not the result


def test_the_favicon_is_served(client: httpx.Client) -> None:
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200
    assert icon.headers["content-type"].startswith("image/svg+xml")
    assert "<svg" in icon.text
    assert 'rel="icon"' in client.get("/").text


def test_without_the_indexer_the_address_page_says_why_its_history_is_missing(
    client: httpx.Client, server: ServerHandle
) -> None:
    services = server.services
    index, services.index = services.index, None
    try:
        data = client.get(f"/api/address/{services.creator.address}").json()
        page = client.get(f"/address/{services.creator.address}")
    finally:
        services.index = index
    assert data["history"] is None
    assert "indexer is not running" in data["index_note"]
    assert data["models"] and data["nonce"] >= 1  # the chain and the registries still answer
    assert page.status_code == 200 and "indexer is not running" in page.text


def test_an_uploaded_samples_file_can_name_the_classes(
    client: httpx.Client, server: ServerHandle, demo: dict[str, Any]
) -> None:
    from aiweb3.server.modeljobs import EXAMPLE_DIR
    from aiweb3.zkml import save_output_labels

    auth = {"Authorization": f"Bearer {server.services.tokens.new('explorer')[0]}"}
    onnx = (EXAMPLE_DIR / "mlp.onnx").read_bytes()
    samples = json.loads((EXAMPLE_DIR / "mlp_samples.json").read_text())["samples"][:8]

    def compile_with(body: object) -> httpx.Response:
        files = {"onnx": ("mlp.onnx", onnx), "samples": ("s.json", json.dumps(body).encode())}
        return client.post("/api/models", files=files, headers=auth)

    bad = compile_with({"samples": samples, "classes": ["only one"]})
    assert bad.status_code == 422 and "classes" in bad.json()["message"]
    reply = compile_with({"samples": samples, "classes": ["sick", "healthy"]})
    assert reply.status_code == 202, reply.text
    job = server.services.jobs.wait(reply.json()["job"]["id"], 300)
    try:
        assert job["state"] == "succeeded", job
        model_id = job["result"]["model_id"]
        assert model_id == demo["model"]["model_id"]  # the same ONNX: compiled once, relabelled
        assert job["result"]["classes"] == ["sick", "healthy"]
        proof = client.get(f"/api/models/{model_id}").json()["proofs"][0]
        assert proof["prediction"]["label"] in ("sick", "healthy")
    finally:
        save_output_labels(server.services.home, demo["model"]["model_id"], ["malignant", "benign"])


def test_the_search_box_goes_to_the_page_of_any_id(
    client: httpx.Client, server: ServerHandle, demo: dict[str, Any]
) -> None:
    tx = client.get(f"/api/tx/{demo['model']['tx_hash']}").json()
    block_hash = client.get(f"/api/block/{tx['block']}").json()["hash"]
    manifest = server.services.library.entries()[-1].manifest_id
    creator = server.services.creator.address
    cases = {
        creator: f"/address/{creator.lower()}",
        f" {tx['block']} ": f"/block/{tx['block']}",
        demo["model"]["tx_hash"].upper().replace("0X", "0x"): f"/tx/{demo['model']['tx_hash']}",
        block_hash: f"/block/{block_hash}",
        demo["model"]["model_id"]: f"/models/{demo['model']['model_id']}",
        manifest: f"/content/{manifest}",
    }
    for typed, target in cases.items():
        reply = client.get("/search", params={"q": typed}, follow_redirects=False)
        assert reply.status_code == 303, (typed, reply.text)
        assert reply.headers["location"] == target
        assert client.get(target).status_code == 200
    unknown = client.get("/search", params={"q": "0x" + "77" * 32})
    assert unknown.status_code == 404 and "nothing on this chain or server" in unknown.text
    nonsense = client.get("/search", params={"q": "hello"})
    assert nonsense.status_code == 422 and "not an address, a block number or a 0x hash" in nonsense.text
