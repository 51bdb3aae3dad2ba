"""Model audits on EAS: an auditor re-derives the model id from the ONNX file, evaluates it on
its own data and attests; users count only trusted, unrevoked, unexpired audits."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from eth_account.signers.local import LocalAccount
from typer.testing import CliRunner

from aiweb3.agents import AgentWallet, SpendPolicy, TaskEscrow, TaskStatus, TaskTerms
from aiweb3.chain import Chain, Deployment
from aiweb3.chain.eas import AIWEB3_SCHEMAS, EASClient, OffchainAttestation, encode_data, schema_uid
from aiweb3.cli.main import app
from aiweb3.errors import InputError, TransactionReverted
from aiweb3.zkml import (
    AuditorTrust,
    CompiledModel,
    InferenceProof,
    ModelAudit,
    audit_summary,
    check_audited,
    model_audits,
    offchain_audit,
    rederive,
    require_audit,
    run,
)
from aiweb3.zkml.attest import Rederived, attest_audit, evaluate
from aiweb3.zkml.registry import ModelRegistryClient

EXAMPLES = Path(__file__).resolve().parents[3] / "examples" / "zkml"

pytestmark = pytest.mark.usefixtures("module_chain_isolation")


@pytest.fixture(scope="module")
def eval_file(tmp_path_factory: pytest.TempPathFactory, mlp_samples: dict[str, Any]) -> Path:
    """The example's held-out samples with a made-up group attribute (alternating)."""
    n = len(mlp_samples["samples"])
    data = {
        "samples": mlp_samples["samples"],
        "labels": mlp_samples["labels"],
        "attributes": {"site": ["a" if i % 2 else "b" for i in range(n)]},
    }
    path = tmp_path_factory.mktemp("eval") / "eval.json"
    path.write_text(json.dumps(data))
    return path


@pytest.fixture(scope="module")
def derived(
    aiweb3_home: Path, mlp_model: CompiledModel, tmp_path_factory: pytest.TempPathFactory
) -> Rederived:
    """The MLP's id re-derived from its ONNX file with its recorded settings and SRS."""
    return rederive(
        aiweb3_home, mlp_model.model_id, (EXAMPLES / "mlp.onnx").read_bytes(), tmp_path_factory.mktemp("re")
    )


@pytest.fixture(scope="module")
def eas(chain: Chain, deployments: dict[str, Deployment], aiweb3_home: Path) -> EASClient:
    return EASClient.from_home(chain, aiweb3_home)


def test_rederive_and_evaluate_match_the_compiled_model(
    derived: Rederived, mlp_model: CompiledModel, mlp_samples: dict[str, Any]
) -> None:
    assert derived.model_id == mlp_model.model_id
    assert derived.onnx_sha256 == mlp_model.onnx_sha256
    assert derived.settings_sha256 == mlp_model.settings_sha256
    samples, labels = mlp_samples["samples"], mlp_samples["labels"]
    groups = ["a" if i % 2 else "b" for i in range(len(samples))]
    measured = evaluate(derived, samples, labels, groups, "site")
    # independently: the compiled model's own circuit, run through the public API
    predicted = [int(np.argmax(out[0])) for out in run(mlp_model, samples)]
    correct = [p == y for p, y in zip(predicted, labels, strict=True)]
    assert measured.accuracy == pytest.approx(sum(correct) / len(correct))
    assert measured.samples == len(samples) and 0 <= measured.ece <= 1 and 0 <= measured.brier <= 2
    for g in ("a", "b"):
        mine = [c for c, h in zip(correct, groups, strict=True) if h == g]
        assert measured.group_errors[g] == pytest.approx(1 - sum(mine) / len(mine))


def test_onnx_with_another_digest_is_refused(
    aiweb3_home: Path, mlp_model: CompiledModel, altered_onnx: Path, tmp_path: Path
) -> None:
    with pytest.raises(InputError, match=f"not {mlp_model.model_id}"):
        rederive(aiweb3_home, mlp_model.model_id, altered_onnx.read_bytes(), tmp_path)


def test_trusted_revoked_expired_and_untrusted_audits(
    chain: Chain, eas: EASClient, derived: Rederived, accounts: list[LocalAccount], mlp_model: CompiledModel
) -> None:
    auditor, stranger = accounts[3], accounts[4]
    figures = evaluate(derived, [[0.0] * 8] * 2, [0, 1], None, "")
    mid = mlp_model.model_id
    assert audit_summary([], {}, eas.now(), mid) == "no audit"
    with pytest.raises(InputError, match="has no audit"):
        require_audit(model_audits(eas, mid), {auditor.address: "Acme"}, eas.now(), mid)

    by_stranger = attest_audit(eas, stranger, derived, figures, "bafy-x", valid_days=30)
    audits = model_audits(eas, mid)
    assert [a.uid for a in audits] == [by_stranger.uid]  # type: ignore[union-attr]
    with pytest.raises(InputError, match="do not trust"):
        require_audit(audits, {auditor.address: "Acme"}, eas.now(), mid)

    short = attest_audit(eas, auditor, derived, figures, "bafy-x", valid_days=1)
    assert isinstance(short, ModelAudit)
    trusted = {auditor.address: "Acme"}
    assert require_audit(model_audits(eas, mid), trusted, eas.now(), mid).uid == short.uid
    line = audit_summary(model_audits(eas, mid), trusted, eas.now(), mid)
    assert line.startswith("audited by Acme on ") and f"accuracy {figures.accuracy:.1%}" in line

    chain.dev_call("evm_increaseTime", [2 * 86400])
    chain.dev_call("evm_mine", [])
    with pytest.raises(InputError, match="expired"):
        require_audit(model_audits(eas, mid), trusted, eas.now(), mid)

    longer = attest_audit(eas, auditor, derived, figures, "bafy-x", valid_days=30)
    assert isinstance(longer, ModelAudit)
    assert require_audit(model_audits(eas, mid), trusted, eas.now(), mid).uid == longer.uid
    eas.revoke(auditor, schema_uid(AIWEB3_SCHEMAS["model-audit"]), longer.uid)
    with pytest.raises(InputError, match="revoked"):
        require_audit(model_audits(eas, mid), trusted, eas.now(), mid)


def test_schema_mismatch_and_offchain_audit(
    eas: EASClient, derived: Rederived, accounts: list[LocalAccount]
) -> None:
    dataset = AIWEB3_SCHEMAS["dataset-audit"]
    data = encode_data(dataset, {"datasetCid": "x", "records": 1, "findings": "", "approved": True})
    uid, _ = eas.attest(accounts[3], schema_uid(dataset), data)
    other = eas.get(uid)
    assert other is not None
    with pytest.raises(InputError, match="not a model audit"):
        ModelAudit.from_attestation(other)

    figures = evaluate(derived, [[0.0] * 8], [1], None, "")
    signed = attest_audit(eas, accounts[3], derived, figures, "bafy-x", valid_days=30, offchain=True)
    assert isinstance(signed, OffchainAttestation)
    audit = offchain_audit(eas, OffchainAttestation.from_json(signed.to_json()))
    assert audit.model_id == derived.model_id and audit.offchain and audit.problem(eas.now()) is None
    forged = dataclasses.replace(
        signed.attestation, expiration_time=signed.attestation.expiration_time + 10**6
    )
    with pytest.raises(InputError):
        offchain_audit(eas, dataclasses.replace(signed, attestation=forged))
    eas.revoke_offchain(accounts[3], signed.attestation.uid)
    assert "revoked" in str(offchain_audit(eas, signed).problem(eas.now()))


def test_cli_audit_attest_show_trust_revoke(
    chain: Chain,
    aiweb3_home: Path,
    mlp_model: CompiledModel,
    altered_onnx: Path,
    eval_file: Path,
    accounts: list[LocalAccount],
    mlp_proof: InferenceProof,
    tmp_path: Path,
) -> None:
    mlp_model.register(chain, accounts[0])
    env = {"AIWEB3_HOME": str(aiweb3_home), "AIWEB3_RPC_URL": chain.url, "COLUMNS": "250"}
    cli = CliRunner()
    mid = mlp_model.model_id
    base = ["model", "audit-attest", mid, "--eval", str(eval_file), "--account", "dev:6"]
    bad = cli.invoke(app, [*base, "--onnx", str(altered_onnx)], env=env)
    assert bad.exit_code == 1 and "not the committed model" in str(bad.exception)
    nogroup = cli.invoke(app, [*base, "--onnx", str(EXAMPLES / "mlp.onnx"), "--group", "age"], env=env)
    assert nogroup.exit_code == 1 and "no attribute 'age'" in str(nogroup.exception)

    done = cli.invoke(app, [*base, "--onnx", str(EXAMPLES / "mlp.onnx"), "--group", "site"], env=env)
    assert done.exit_code == 0, done.output
    assert f"compiles to model {mid}" in done.output and "error rate by site" in done.output
    uid = done.output.split("attested on chain: ")[1].split()[0]

    shown = cli.invoke(app, ["model", "show", mid, "--onchain", "--json"], env=env)
    assert shown.exit_code == 0, shown.output
    assert uid in shown.output and "no audit (" in shown.output and "do not trust" in shown.output
    auditor = AuditorTrust(aiweb3_home)
    assert (
        cli.invoke(app, ["auditor", "trust", accounts[5].address, "--label", "Acme"], env=env).exit_code == 0
    )
    assert cli.invoke(app, ["auditor", "list"], env=env).output.count("Acme") == 1
    shown = cli.invoke(app, ["model", "show", mid, "--onchain", "--json"], env=env)
    assert "audited by Acme on " in shown.output and '"trusted": true' in shown.output

    proof_file = tmp_path / "proof.json"
    mlp_proof.save(proof_file)
    verified = cli.invoke(app, ["model", "verify", str(proof_file), "--onchain"], env=env)
    assert verified.exit_code == 0 and "audited by Acme on " in verified.output, verified.output

    signed = tmp_path / "audit.json"
    off = cli.invoke(app, [*base, "--onnx", str(EXAMPLES / "mlp.onnx"), "--offchain", str(signed)], env=env)
    assert off.exit_code == 0 and "signed off-chain attestation" in off.output, off.output
    checked = cli.invoke(app, ["model", "audit-check", str(signed)], env=env)
    assert checked.exit_code == 0 and "audited by Acme on " in checked.output, checked.output
    forged = json.loads(signed.read_text())
    forged["expirationTime"] += 86400
    signed.write_text(json.dumps(forged))
    refused = cli.invoke(app, ["model", "audit-check", str(signed)], env=env)
    assert refused.exit_code == 1 and "UID does not match" in str(refused.exception)

    revoked = cli.invoke(app, ["model", "audit-revoke", uid, "--account", "dev:6"], env=env)
    assert revoked.exit_code == 0, revoked.output
    shown = cli.invoke(app, ["model", "show", mid, "--onchain", "--json"], env=env)
    assert "was revoked" in shown.output
    assert cli.invoke(app, ["auditor", "untrust", accounts[5].address], env=env).exit_code == 0
    assert auditor.load() == {}
    again = cli.invoke(app, ["auditor", "untrust", accounts[5].address], env=env)
    assert again.exit_code == 1 and "not a trusted auditor" in str(again.exception)


def test_requester_posts_a_proof_gated_task_only_for_an_audited_model(
    chain: Chain,
    tmp_path: Path,
    deployments: dict[str, Deployment],
    aiweb3_home: Path,
    eas: EASClient,
    derived: Rederived,
    mlp_model: CompiledModel,
    accounts: list[LocalAccount],
) -> None:
    """Client-side: the requester checks for a trusted audit before posting (the escrow's own
    on-chain check at delivery is the next test)."""
    home = tmp_path / "requester"
    (home / "deployments").mkdir(parents=True)
    (home / "deployments" / f"{chain.chain_id}.json").write_bytes(
        (aiweb3_home / "deployments" / f"{chain.chain_id}.json").read_bytes()
    )
    escrow = TaskEscrow.from_home(chain, home)
    requester, auditor = accounts[7], accounts[8]
    policy = SpendPolicy(10_000_000, 20_000_000).allowing(
        tokens=[escrow.token.address], contracts=[escrow.address], counterparties=[escrow.address]
    )
    wallet = AgentWallet(requester, policy)
    terms = TaskTerms(1_000_000, accounts[2].address, model_id=bytes.fromhex(mlp_model.model_id[2:]))

    def post_if_audited() -> int:
        check_audited(chain, home, mlp_model.model_id)
        return escrow.post(wallet, terms)

    tasks = escrow.count()
    AuditorTrust(home).trust(auditor.address, "Acme")
    with pytest.raises(InputError, match="do not trust"):
        post_if_audited()
    assert escrow.count() == tasks  # nothing posted, nothing escrowed
    figures = evaluate(derived, [[0.0] * 8], [1], None, "")
    attest_audit(eas, auditor, derived, figures, "bafy-x", valid_days=30)
    task_id = post_if_audited()
    assert escrow.task(task_id).model_id == bytes.fromhex(mlp_model.model_id[2:])


def test_escrow_task_that_requires_an_audit_pays_only_with_a_valid_one(
    chain: Chain,
    deployments: dict[str, Deployment],
    aiweb3_home: Path,
    eas: EASClient,
    derived: Rederived,
    mlp_model: CompiledModel,
    mlp_proof: InferenceProof,
    accounts: list[LocalAccount],
) -> None:
    """On chain: TaskEscrow reads EAS at delivery. A proof of the right model is refused until the
    named auditor's audit is valid: none, another auditor's, another model's, not an audit at all,
    revoked and expired are each refused with their reason; a valid one pays the provider."""
    registry = ModelRegistryClient.from_home(chain, aiweb3_home)
    if mlp_model.model_id not in {m.model_id for m in registry.models()}:
        mlp_model.register(chain, accounts[0])
    escrow = TaskEscrow.from_home(chain, aiweb3_home)
    assert chain.call(escrow.contract.functions.eas()) == deployments["EAS"].address
    requester, provider, arbiter, auditor, stranger = (accounts[i] for i in (1, 2, 4, 6, 7))
    policy = SpendPolicy(10_000_000, 20_000_000).allowing(
        tokens=[escrow.token.address], contracts=[escrow.address], counterparties=[escrow.address]
    )
    model_id = bytes.fromhex(mlp_model.model_id[2:])
    with pytest.raises(InputError, match="needs a model_id"):
        TaskTerms(1_000_000, arbiter.address, auditor=auditor.address)
    terms = TaskTerms(
        1_000_000, arbiter.address, model_id=model_id, auditor=auditor.address, deliver_within=30 * 86400
    )
    task_id = escrow.post(AgentWallet(requester, policy), terms)
    assert escrow.task(task_id).auditor == auditor.address
    escrow.accept(provider, task_id)
    proof, instances = mlp_proof.proof, mlp_proof.instances

    def deliver(uid: str) -> str:
        fn = escrow.contract.functions.deliverWithAuditedProof(
            task_id, "bafk-result", proof, instances, bytes.fromhex(uid[2:])
        )
        with pytest.raises(TransactionReverted) as refused:
            chain.transact(provider, fn)
        return str(refused.value.error_name)

    # no audit at all: the client says so before sending; the contract refuses the plain path
    with pytest.raises(InputError, match="requires an audit of model"):
        escrow.deliver_with_proof(provider, task_id, "bafk-result", proof, instances)
    with pytest.raises(TransactionReverted) as plain:
        chain.transact(
            provider, escrow.contract.functions.deliverWithProof(task_id, "bafk", proof, instances)
        )
    assert plain.value.error_name == "AuditRequired"
    figures = evaluate(derived, [[0.0] * 8], [1], None, "")
    by_stranger = attest_audit(eas, stranger, derived, figures, "bafy-x", valid_days=30)
    assert isinstance(by_stranger, ModelAudit)
    assert deliver(by_stranger.uid) == "WrongAuditor"
    other = attest_audit(
        eas,
        auditor,
        dataclasses.replace(derived, model_id="0x" + "11" * 32),
        figures,
        "bafy-x",
        valid_days=30,
    )
    assert isinstance(other, ModelAudit)
    assert deliver(other.uid) == "AuditOfAnotherModel"
    dataset = AIWEB3_SCHEMAS["dataset-audit"]
    not_audit, _ = eas.attest(auditor, schema_uid(dataset), encode_data(dataset, {
        "datasetCid": "bafy-d", "records": 3, "findings": "", "approved": True}))  # fmt: skip
    assert deliver(not_audit) == "NotAModelAudit"
    assert deliver("0x" + "22" * 32) == "NotAModelAudit"  # no such attestation
    revoked = attest_audit(eas, auditor, derived, figures, "bafy-x", valid_days=30)
    assert isinstance(revoked, ModelAudit)
    eas.revoke(auditor, schema_uid(AIWEB3_SCHEMAS["model-audit"]), revoked.uid)
    assert deliver(revoked.uid) == "AuditRevoked"
    short = attest_audit(eas, auditor, derived, figures, "bafy-x", valid_days=1)
    assert isinstance(short, ModelAudit)
    chain.rpc("evm_increaseTime", [2 * 86400])
    chain.rpc("evm_mine", [])
    assert deliver(short.uid) == "AuditExpired"
    with pytest.raises(InputError, match="none is valid"):
        escrow.valid_audit(task_id)
    assert escrow.task(task_id).status is TaskStatus.ACCEPTED

    # a valid audit by the named auditor: the client finds it, the escrow checks it and pays
    valid = attest_audit(eas, auditor, derived, figures, "bafy-x", valid_days=30)
    assert isinstance(valid, ModelAudit) and escrow.valid_audit(task_id) == valid.uid
    receipt = escrow.deliver_with_proof(provider, task_id, "bafk-result", proof, instances)
    task = escrow.task(task_id)
    assert task.status is TaskStatus.COMPLETED and task.paid_to_provider == 1_000_000
    accepted = chain.events(escrow.contract, "AuditAccepted", receipt)
    assert [("0x" + bytes(e["attestation"]).hex(), e["auditor"]) for e in accepted] == [
        (valid.uid, auditor.address)
    ]
