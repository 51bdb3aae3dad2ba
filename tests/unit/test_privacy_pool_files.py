"""The shielded pool's files: the committed proving artifacts are those of the current circuit
(hashes, like the contract artifacts), the on-chain Poseidon is circomlibjs's, notes are
encrypted at rest, and malformed withdrawal requests are refused with one-line errors."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from aiweb3.errors import InputError, ProofError, WrongPassword
from aiweb3.privacy import Note, NoteBook, WithdrawalRequest, check_zk_fresh, zk_artifacts
from aiweb3.privacy.notes import derive_secrets
from aiweb3.privacy.zk import FIELD_SIZE, PACKAGED, ZkArtifacts, note_hashes
from aiweb3.tools import node_modules

ROOT = Path(__file__).resolve().parents[2]
VERIFIER_SOL = ROOT / "contracts" / "src" / "ShieldedPoolVerifier.sol"


def test_pool_artifacts_are_fresh() -> None:
    zk = zk_artifacts()
    assert zk.root == PACKAGED and zk.local_setup
    check_zk_fresh(zk, VERIFIER_SOL)
    assert zk.manifest["levels"] == 20 and zk.manifest["constraints"] < 2**14


def test_stale_pool_artifacts_are_detected(tmp_path: Path) -> None:
    copy = tmp_path / "zk"
    shutil.copytree(PACKAGED, copy)
    manifest = json.loads((copy / "manifest.json").read_text())
    stale = ZkArtifacts(copy, {**manifest, "circuitSha256": "0" * 64})
    with pytest.raises(ProofError, match=r"older than withdraw\.circom"):
        check_zk_fresh(stale)
    (copy / "vkey.json").write_text((copy / "vkey.json").read_text().replace("1", "2", 1))
    with pytest.raises(ProofError, match="does not match its manifest"):
        check_zk_fresh(ZkArtifacts(copy, manifest))
    other = tmp_path / "Other.sol"
    other.write_text("contract Other {}\n")
    with pytest.raises(ProofError, match="not the verifier"):
        check_zk_fresh(zk_artifacts(), other)


def test_poseidon_contract_is_the_one_circomlibjs_generates() -> None:
    script = (
        "const {poseidonContract} = require(process.argv[1] + '/circomlibjs');"
        "process.stdout.write(JSON.stringify({bytecode: poseidonContract.createCode(2),"
        " abi: poseidonContract.generateABI(2)}))"
    )
    out = subprocess.run(
        ["node", "-e", script, str(node_modules())], capture_output=True, text=True, check=True
    )
    fresh = json.loads(out.stdout)
    shipped = json.loads((PACKAGED / "PoseidonT3.json").read_text())
    assert shipped["bytecode"] == fresh["bytecode"] and shipped["abi"] == fresh["abi"]


def test_note_hashes_match_circomlib_test_vectors() -> None:
    # circomlib's published Poseidon vectors: poseidon([1, 2]) and poseidon([1])
    commitment, nullifier_hash = note_hashes(1, 2)
    assert commitment == 0x115CC0F5E7D690413DF64C6B9662E9CF2A3617F2743245519E19607A4417189A
    assert nullifier_hash == 0x29176100EAA962BDC1FE6C654D6A3C130E96A4D1168B33848B897DC502820133
    with pytest.raises(InputError, match="not a field element"):
        note_hashes(FIELD_SIZE, 2)


def test_notes_are_encrypted_at_rest(tmp_path: Path) -> None:
    book = NoteBook(tmp_path)
    seed = NoteBook.new_seed()
    secrets = derive_secrets(seed)
    note = Note("0x" + "11" * 20, 31337, 12345, 10**6)
    book.save(note, seed, "note-pass")
    path = tmp_path / "privacy" / "notes" / f"{note.id}.json"
    stored = path.read_text()
    assert path.stat().st_mode & 0o777 == 0o600 and "ciphertext" in stored
    assert (
        seed.hex() not in stored
        and str(secrets.nullifier) not in stored
        and str(secrets.secret) not in stored
    )
    assert book.secrets(note, "note-pass") == secrets
    with pytest.raises(WrongPassword, match="wrong password"):
        book.secrets(note, "guess")
    updated = book.with_deposit(note, 7, "0xabc")
    assert book.find(note.id[:8]) == updated and book.notes() == [updated]
    assert book.secrets(updated, "note-pass") == secrets  # the seed survived the update
    with pytest.raises(InputError, match="no note"):
        book.find("ffff")
    with pytest.raises(InputError, match="empty password"):
        book.save(Note("0x" + "11" * 20, 31337, 99, 1), seed, "")


def _request() -> dict[str, object]:
    return {"pool": "0x" + "22" * 20, "chain_id": 31337, "proof": [str(i) for i in range(8)], "root": "5",
            "nullifier_hash": "6", "recipient": "0x" + "33" * 20, "relayer": "0x" + "44" * 20, "fee": "1",
            "association_root": "7"}  # fmt: skip


def test_withdrawal_requests_are_checked_on_load(tmp_path: Path) -> None:
    parsed = WithdrawalRequest.from_json(_request())
    path = tmp_path / "r.json"
    parsed.save(path)
    assert WithdrawalRequest.load(path) == parsed
    for change, message in (
        ({"proof": ["1"] * 7}, "eight 256-bit numbers"),
        ({"root": str(FIELD_SIZE)}, "outside the proof system's field"),
        ({"fee": "lots"}, "not a number"),
        ({"recipient": "0x1234"}, "not an Ethereum address"),
    ):
        with pytest.raises(InputError, match=message):
            WithdrawalRequest.from_json({**_request(), **change})
    with pytest.raises(InputError, match="needs the fields"):
        WithdrawalRequest.from_json({"pool": "0x"})
    path.write_text("{not json")
    with pytest.raises(InputError, match="not valid JSON"):
        WithdrawalRequest.load(path)


def test_setup_refuses_a_missing_ptau(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from aiweb3.cli.main import app

    result = CliRunner().invoke(
        app, ["privacy", "setup", "--ptau", str(tmp_path / "none.ptau")], env={"AIWEB3_HOME": str(tmp_path)}
    )
    assert result.exit_code != 0
    assert "no powers-of-tau file" in result.output + str(result.exception)
    assert not (tmp_path / "privacy" / "zk").exists()
