"""EAS on the local node: deployed from npm's compiled artifacts, aiweb3 schemas registered,
attestations written, read and revoked on chain and signed off chain (EIP-712)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from eth_account.signers.local import LocalAccount

from aiweb3.chain import Chain, Deployment, deploy_system, dev_account
from aiweb3.chain.eas import (
    AIWEB3_SCHEMAS,
    EASClient,
    OffchainAttestation,
    decode_data,
    encode_data,
    schema_uid,
)
from aiweb3.crypto.typed_data import Domain
from aiweb3.errors import InputError, TransactionReverted

DATASET = AIWEB3_SCHEMAS["dataset-audit"]
VALUES = {"datasetCid": "bafy-test", "records": 12, "findings": "{}", "approved": True}


def test_deploy_registers_schemas_and_is_idempotent(
    chain: Chain, deployments: dict[str, Deployment], aiweb3_home: Path
) -> None:
    eas = EASClient.from_home(chain, aiweb3_home)
    assert eas.registry.address == deployments["SchemaRegistry"].address
    for text in AIWEB3_SCHEMAS.values():
        assert eas.schema(schema_uid(text)) == text
    seen: list[tuple[str, str]] = []
    again = deploy_system(chain, dev_account(0), aiweb3_home, on_progress=lambda n, s: seen.append((n, s)))
    assert again["EAS"].address == deployments["EAS"].address
    assert ("EAS", "reused") in seen and ("SchemaRegistry", "reused") in seen


@pytest.mark.usefixtures("chain_isolation")
def test_onchain_attest_read_revoke(
    chain: Chain, deployments: dict[str, Deployment], aiweb3_home: Path, accounts: list[LocalAccount]
) -> None:
    eas = EASClient.from_home(chain, aiweb3_home)
    uid_schema = schema_uid(DATASET)
    uid, _ = eas.attest(accounts[0], uid_schema, encode_data(DATASET, VALUES))
    got = eas.get(uid)
    assert got is not None and got.attester == accounts[0].address and got.schema == uid_schema
    assert decode_data(DATASET, got.data) == VALUES
    assert [a.uid for a in eas.attestations(uid_schema)] == [uid]
    assert got.problem(eas.now()) is None
    with pytest.raises(TransactionReverted) as exc:
        eas.revoke(accounts[1], uid_schema, uid)  # not the attester
    assert exc.value.error_name == "AccessDenied"
    eas.revoke(accounts[0], uid_schema, uid)
    revoked = eas.get(uid)
    assert revoked is not None and "revoked" in str(revoked.problem(eas.now()))
    assert eas.get("0x" + "11" * 32) is None


@pytest.mark.usefixtures("chain_isolation")
def test_offchain_attestation_verifies_and_tampering_is_refused(
    chain: Chain, deployments: dict[str, Deployment], aiweb3_home: Path, accounts: list[LocalAccount]
) -> None:
    eas = EASClient.from_home(chain, aiweb3_home)
    uid_schema = schema_uid(DATASET)
    signed = eas.sign_offchain(accounts[0], uid_schema, encode_data(DATASET, VALUES))
    parsed = OffchainAttestation.from_json(signed.to_json())
    checked = eas.verify_offchain(parsed)
    assert checked.attester == accounts[0].address and checked.revocation_time == 0

    tampered = dict(signed.to_json(), data="0x" + encode_data(DATASET, {**VALUES, "approved": False}).hex())
    with pytest.raises(InputError, match="UID does not match"):
        eas.verify_offchain(OffchainAttestation.from_json(tampered))
    other = dataclasses.replace(signed.attestation, attester=accounts[1].address)
    with pytest.raises(InputError, match="not signed by its attester"):
        eas.verify_offchain(dataclasses.replace(signed, attestation=other))
    foreign = Domain(signed.domain.name, signed.domain.version, 1, signed.domain.verifying_contract)
    with pytest.raises(InputError, match="another EAS deployment"):
        eas.verify_offchain(dataclasses.replace(signed, domain=foreign))
    unknown = eas.sign_offchain(accounts[0], "0x" + "22" * 32, b"")
    with pytest.raises(InputError, match="unregistered schema"):
        eas.verify_offchain(unknown)

    eas.revoke_offchain(accounts[0], signed.attestation.uid)
    assert "revoked" in str(eas.verify_offchain(signed).problem(eas.now()))
