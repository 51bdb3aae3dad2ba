"""Receipt batches on a real chain: post, re-execute off chain, challenge the lie, finality."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from eth_account.signers.local import LocalAccount
from eth_utils import keccak

from aiweb3.chain import Chain, dev_account
from aiweb3.errors import TransactionReverted
from aiweb3.llm import LLMConfig
from aiweb3.llm.batches import ReceiptBatches, batch_proof, batch_root
from aiweb3.llm.openai import OpenAICompatible
from aiweb3.llm.receipts import InferenceRequest, receipt_domain, sign_receipt, verify_receipt
from aiweb3.llm.runtime import RuntimeInfo

WINDOW = 3600


def _fold(receipt_hash: bytes, proof: list[bytes]) -> bytes:
    """OpenZeppelin's MerkleProof.processProof, in Python."""
    node = keccak(keccak(receipt_hash))
    for sibling in proof:
        node = keccak(min(node, sibling) + max(node, sibling))
    return node


def test_merkle_proofs_cover_every_leaf_of_odd_and_even_batches() -> None:
    for n in (1, 2, 3, 5, 8):
        hashes = [hashlib.sha256(bytes([i])).digest() for i in range(n)]
        root = batch_root(hashes)
        assert all(_fold(h, batch_proof(hashes, i)) == root for i, h in enumerate(hashes))
        assert _fold(hashlib.sha256(b"other").digest(), batch_proof(hashes, 0)) != root


def test_a_lying_receipt_is_challenged_and_its_batch_never_final(
    chain_isolation: Chain, llm_runtime: RuntimeInfo, aiweb3_home: Path, accounts: list[LocalAccount]
) -> None:
    chain = chain_isolation
    provider, watcher = accounts[0], accounts[1]
    client = OpenAICompatible(LLMConfig(url=llm_runtime.api_url, timeout=120), send_deadline=True)
    domain = receipt_domain(chain.chain_id)
    receipts = []
    for i, prompt in enumerate(["Name a fruit.", "Name a metal.", "Name a river."]):
        request = InferenceRequest(messages=({"role": "user", "content": prompt},), max_tokens=6)
        output = client.chat(request.messages, max_tokens=6).text
        if i == 1:
            output = "Gold is a fruit."  # the provider signs what the model did not say
        receipts.append(
            sign_receipt(
                provider,
                domain,
                request=request,
                output=output,
                model_sha256=llm_runtime.sha256,
                model_name=llm_runtime.model,
                runtime=llm_runtime.runtime,
            )
        )
    hashes = [bytes.fromhex(r.hash) for r in receipts]
    batches = ReceiptBatches.deploy(chain, dev_account(0), WINDOW)
    batch_id = batches.post(provider, hashes)
    info = batches.info(batch_id)
    assert (info.provider, info.count, info.final) == (provider.address, 3, False)
    assert info.root == batch_root(hashes)

    # a watcher re-executes every receipt of the batch; only the lie is refuted
    verdicts = [
        verify_receipt(r, model_sha256=llm_runtime.sha256, runtime=llm_runtime.runtime, client=client)
        for r in receipts
    ]
    assert [v.status for v in verdicts] == ["confirmed", "refuted", "confirmed"]
    honest = client.chat(receipts[1].request.messages, max_tokens=6).text
    batches.challenge(watcher, batch_id, hashes, 1, hashlib.sha256(honest.encode()).digest())
    assert batches.challenger(batch_id, hashes[1]) == watcher.address
    assert batches.challenger(batch_id, hashes[0]) is None
    with pytest.raises(TransactionReverted, match="AlreadyChallenged"):
        batches.challenge(watcher, batch_id, hashes, 1, bytes(32))
    stranger = hashlib.sha256(b"not in the batch").digest()
    with pytest.raises(TransactionReverted, match="NotInBatch"):
        fn = batches.contract.functions.challenge(batch_id, stranger, batch_proof(hashes, 0), bytes(32))
        chain.transact(watcher, fn)

    clean_id = batches.post(provider, hashes[::2])
    chain.rpc("evm_increaseTime", [WINDOW + 1])
    chain.rpc("evm_mine", [])
    with pytest.raises(TransactionReverted, match="ChallengeWindowClosed"):
        batches.challenge(watcher, clean_id, hashes[::2], 0, bytes(32))
    assert batches.info(clean_id).final is True  # unchallenged through its window
    assert batches.info(batch_id).final is False and batches.info(batch_id).challenges == 1
    with pytest.raises(TransactionReverted, match="EmptyBatch"):
        chain.transact(provider, batches.contract.functions.postBatch(bytes(32), 0))
    with pytest.raises(TransactionReverted, match="UnknownBatch"):
        chain.call(batches.contract.functions.batch(99))
