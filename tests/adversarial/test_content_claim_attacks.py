"""Attack 7 (issue 12), content half: an "ai-generated" claim naming any successful transaction
(a faucet mint passed) as its inference. The check now happens in the client against the named
transaction's receipt: it must hold an ``InferenceVerified`` log emitted by the deployed
ModelRegistry for the claimed model. The inference here is a real ezkl proof verified on chain.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from eth_account.messages import encode_defunct
from eth_account.signers.local import LocalAccount
from web3.contract import Contract

from aiweb3.agents.demo import compile_diagnosis_model, example_samples
from aiweb3.chain import Chain, Deployment, artifact
from aiweb3.provenance import Claim, CreatorRegistry, sign_file, verify_file
from aiweb3.zkml import ModelRegistryClient

pytestmark = pytest.mark.usefixtures("chain_isolation")


def _signed(
    tmp_path: Path, registry: CreatorRegistry, creator: LocalAccount, name: str, claim: Claim
) -> Path:
    path = tmp_path / name
    path.write_bytes(random.Random(name).randbytes(3000))
    sign_file(path, creator, registry.domain, claims=(claim,))
    return path


def test_ai_generated_claim_needs_the_model_registrys_inference_event(
    chain: Chain,
    aiweb3_home: Path,
    deployments: dict[str, Deployment],
    deployer: LocalAccount,
    aiusd: Contract,
    accounts: list[LocalAccount],
    tmp_path: Path,
) -> None:
    registry = CreatorRegistry(chain, deployments["CreatorRegistry"].address)
    creator, attacker = accounts[1], accounts[2]
    registry.register(creator, "maker")
    models_addr = deployments["ModelRegistry"].address
    model = compile_diagnosis_model(aiweb3_home)
    models = ModelRegistryClient(chain, models_addr)
    models.register(model, accounts[3], name="diagnosis")
    proof = model.prove(example_samples()["samples"][0])
    model_id = bytes.fromhex(model.model_id[2:])
    real_tx = chain.transact(
        creator, models.contract.functions.verifyInference(model_id, proof.proof, proof.instances)
    )

    # the attack: a faucet mint named as "the inference"
    mint = chain.transact(attacker, aiusd.functions.faucet(attacker.address, 1))
    # a look-alike contract emitting an InferenceVerified event for the same model id
    oracle_art = artifact("TestInferenceOracle")
    oracle_addr, _ = chain.deploy(deployer, oracle_art.abi, oracle_art.bytecode, attacker.address)
    oracle = chain.contract(oracle_art.abi, oracle_addr)
    digest = bytes(chain.call(oracle.functions.attestationDigest(model_id, [1, 2])))
    fake_proof = bytes(attacker.sign_message(encode_defunct(primitive=digest)).signature)
    look_alike = chain.transact(attacker, oracle.functions.verifyInference(model_id, fake_proof, [1, 2]))

    cases = {
        "mint.bin": (Claim("ai-generated", model.model_id, str(mint["transactionHash"])), False),
        "lookalike.bin": (Claim("ai-generated", model.model_id, str(look_alike["transactionHash"])), False),
        "othermodel.bin": (Claim("ai-generated", "0x" + "ab" * 32, str(real_tx["transactionHash"])), False),
        "real.bin": (Claim("ai-generated", model.model_id, str(real_tx["transactionHash"])), True),
    }
    for name, (claim, accepted) in cases.items():
        report = verify_file(_signed(tmp_path, registry, creator, name, claim), registry=registry,
                             model_registry=models_addr)  # fmt: skip
        (check,) = [c for c in report.checks if c.name == "claim"]
        assert check.ok is accepted, (name, check.detail)
        assert report.ok is accepted
        if not accepted:
            assert "holds no InferenceVerified" in check.detail and models_addr in check.detail
