"""The shielded pool on the local node with real Groth16 proofs (the packaged setup): a deposit
withdrawn by a relayer to a fresh address, and every attack reverting on chain — a reused
nullifier, a proof for another root, a changed recipient, fee or relayer, a wrong deposit amount,
an unknown association root, a tampered proof, a proof replayed to another pool."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from typer.testing import CliRunner
from web3.contract import Contract

from aiweb3.chain import Chain, artifact
from aiweb3.cli.main import app
from aiweb3.errors import InputError, TransactionReverted
from aiweb3.privacy import (
    Note,
    NoteBook,
    ShieldedPool,
    WithdrawalRequest,
    ZkArtifacts,
    deposit_note,
    ensure_pool,
    prepare_withdrawal,
    relay,
    submit_withdrawal,
    verify_withdrawal,
    zk_artifacts,
)
from aiweb3.privacy.zk import FIELD_SIZE, ZERO_LEAF, merkle_root

DENOMINATION = 1_000_000  # 1 AIUSD
FEE = 50_000
PASSWORD = "pool-pass"


@dataclass(frozen=True)
class Proven:
    pool: ShieldedPool
    note: Note
    request: WithdrawalRequest
    old_root: int


@pytest.fixture(scope="module")
def zk() -> ZkArtifacts:
    return zk_artifacts()


@pytest.fixture(scope="module")
def pool(
    module_chain_isolation: Chain, module_home: Path, accounts: list[LocalAccount], zk: ZkArtifacts
) -> ShieldedPool:
    return ensure_pool(module_chain_isolation, module_home, accounts[0], zk, denomination=DENOMINATION,
                       provider=accounts[0].address)  # fmt: skip


@pytest.fixture(scope="module")
def proven(
    chain: Chain, module_home: Path, pool: ShieldedPool, accounts: list[LocalAccount], zk: ZkArtifacts
) -> Proven:
    """Two deposits (an anonymity set of two), a published association set, and a withdrawal of
    the first note proven for a fresh recipient through relayer accounts[3]."""
    book = NoteBook(module_home)
    note = deposit_note(chain, pool, accounts[1], book, PASSWORD)
    old_root = pool.current_root()
    deposit_note(chain, pool, accounts[2], book, PASSWORD)
    pool.publish_association_set(accounts[0])
    fresh = Account.create().address
    secrets = book.secrets(note, PASSWORD)
    request = prepare_withdrawal(
        chain, pool, note, secrets, zk, recipient=fresh, relayer=accounts[3].address, fee=FEE
    )
    return Proven(pool, note, request, old_root)


@pytest.fixture
def isolated(chain: Chain, proven: Proven) -> Iterator[Chain]:
    snap = chain.snapshot()
    try:
        yield chain
    finally:
        chain.revert(snap)
        chain.rpc("evm_mine", [])


def _balance(pool: ShieldedPool, who: str) -> int:
    aiusd: Contract = pool.chain.contract(artifact("AIUSD").abi, pool.token)
    return int(pool.chain.call(aiusd.functions.balanceOf(who)))


def _reverts(chain: Chain, pool: ShieldedPool, signer: LocalAccount, request: WithdrawalRequest) -> str:
    with pytest.raises(TransactionReverted) as reverted:
        submit_withdrawal(chain, pool, signer, request)
    return str(reverted.value.error_name)


def test_tree_matches_the_contract(chain: Chain, proven: Proven) -> None:
    pool = proven.pool
    assert int(chain.call(pool.contract.functions.ZERO_LEAF())) == ZERO_LEAF
    leaves = [d.commitment for d in pool.deposits()]
    assert len(leaves) == 2 and leaves[0] == proven.note.commitment
    assert merkle_root(leaves) == pool.current_root()
    assert merkle_root(leaves[:1]) == proven.old_root
    assert int(chain.call(pool.contract.functions.roots(0))) == merkle_root([])


def test_relayed_withdrawal_pays_a_fresh_address(
    isolated: Chain, proven: Proven, module_home: Path, accounts: list[LocalAccount], zk: ZkArtifacts,
    tmp_path: Path,
) -> None:  # fmt: skip
    chain, pool, relayer = isolated, proven.pool, accounts[3]
    fresh = proven.request.recipient
    path = tmp_path / "request.json"
    proven.request.save(path)  # what the withdrawer hands to the relayer
    request = WithdrawalRequest.load(path)
    assert verify_withdrawal(zk, list(request.proof), request.public_signals())
    held, relayer_before = _balance(pool, pool.address), _balance(pool, relayer.address)
    receipt = relay(chain, pool, relayer, request, zk, min_fee=FEE)
    assert _balance(pool, fresh) == DENOMINATION - FEE
    assert _balance(pool, relayer.address) - relayer_before == FEE
    assert _balance(pool, pool.address) == held - DENOMINATION
    assert chain.balance(fresh) == 0  # the recipient never needed gas
    assert receipt["from"].lower() == relayer.address.lower()
    assert pool.is_spent(request.nullifier_hash)
    # the same note again: the relayer refuses, and the contract reverts
    with pytest.raises(InputError, match="withdrawn already"):
        relay(chain, pool, relayer, request, zk)
    assert _reverts(chain, pool, relayer, request) == "NullifierAlreadySpent"
    with pytest.raises(InputError, match="withdrawn already"):
        secrets = NoteBook(module_home).secrets(proven.note, PASSWORD)
        prepare_withdrawal(chain, pool, proven.note, secrets, zk, recipient=fresh)


def test_changed_payout_fields_invalidate_the_proof(
    isolated: Chain, proven: Proven, accounts: list[LocalAccount]
) -> None:
    pool, r, signer = proven.pool, proven.request, accounts[4]
    attacker = accounts[5].address
    assert _reverts(isolated, pool, signer, replace(r, recipient=attacker)) == "InvalidProof"
    assert _reverts(isolated, pool, signer, replace(r, relayer=attacker)) == "InvalidProof"
    assert _reverts(isolated, pool, signer, replace(r, fee=r.fee + 1)) == "InvalidProof"
    assert _reverts(isolated, pool, signer, replace(r, fee=0)) == "InvalidProof"
    assert _reverts(isolated, pool, signer, replace(r, fee=DENOMINATION + 1)) == "FeeAboveDenomination"
    # a relayer checks before paying gas: another fee taker or a tampered proof is refused
    with pytest.raises(InputError, match="not to this relayer"):
        relay(isolated, pool, accounts[4], r, zk_artifacts())
    with pytest.raises(InputError, match="below this relayer's minimum"):
        relay(isolated, pool, accounts[3], r, zk_artifacts(), min_fee=FEE + 1)


def test_tampered_proof_and_other_roots_revert(
    isolated: Chain, proven: Proven, accounts: list[LocalAccount]
) -> None:
    pool, r, signer = proven.pool, proven.request, accounts[4]
    tampered = replace(
        r, proof=(r.proof[0], r.proof[1], *r.proof[2:6], r.proof[6], (r.proof[7] + 1) % FIELD_SIZE)
    )
    assert _reverts(isolated, pool, signer, tampered) == "InvalidProof"
    swapped = replace(r, proof=(*r.proof[:2], r.proof[3], r.proof[2], *r.proof[4:]))
    assert _reverts(isolated, pool, signer, swapped) == "InvalidProof"
    with pytest.raises(InputError, match="does not verify"):
        relay(isolated, pool, accounts[3], tampered, zk_artifacts())
    # another root the pool knows (before the second deposit): the proof is not for it
    assert pool.is_known_root(proven.old_root) and proven.old_root != r.root
    assert _reverts(isolated, pool, signer, replace(r, root=proven.old_root)) == "InvalidProof"
    assert _reverts(isolated, pool, signer, replace(r, root=r.root + 1)) == "UnknownRoot"
    # an association root the provider never published
    assert (
        _reverts(isolated, pool, signer, replace(r, association_root=r.association_root + 1))
        == "UnknownAssociationRoot"
    )
    # the proof still works after all of this
    submit_withdrawal(isolated, pool, signer, r)


def test_wrong_deposits_revert_and_move_nothing(
    isolated: Chain, proven: Proven, accounts: list[LocalAccount]
) -> None:
    pool, depositor = proven.pool, accounts[6]
    aiusd = isolated.contract(artifact("AIUSD").abi, pool.token)
    before = _balance(pool, pool.address), pool.size()
    isolated.transact(depositor, aiusd.functions.approve(pool.address, DENOMINATION - 1))
    with pytest.raises(TransactionReverted) as short:
        isolated.transact(depositor, pool.contract.functions.deposit(12345))
    assert short.value.error_name == "ERC20InsufficientAllowance"
    isolated.transact(depositor, aiusd.functions.approve(pool.address, 10 * DENOMINATION))
    for commitment, error in (
        (FIELD_SIZE, "NotAFieldElement"),
        (proven.note.commitment, "DuplicateCommitment"),
    ):
        with pytest.raises(TransactionReverted) as refused:
            isolated.transact(depositor, pool.contract.functions.deposit(commitment))
        assert refused.value.error_name == error
    assert (_balance(pool, pool.address), pool.size()) == before
    with pytest.raises(TransactionReverted) as outsider:
        isolated.transact(depositor, pool.contract.functions.publishAssociationSet(1, 1, []))
    assert outsider.value.error_name == "NotAssociationProvider"


def test_proof_cannot_be_replayed_to_another_pool(
    isolated: Chain,
    proven: Proven,
    module_home: Path,
    accounts: list[LocalAccount],
    zk: ZkArtifacts,
    tmp_path: Path,
) -> None:
    # a second pool with the very same leaves and association root (commitments are public)
    home = tmp_path / "home"
    (home / "deployments").mkdir(parents=True)
    book = f"deployments/{isolated.chain_id}.json"
    (home / book).write_bytes((module_home / book).read_bytes())
    other = ensure_pool(
        isolated, home, accounts[0], zk, denomination=2 * DENOMINATION, provider=accounts[0].address
    )
    assert other.address != proven.pool.address
    for d in proven.pool.deposits():
        other.deposit(accounts[7], d.commitment)
    other.publish_association_set(accounts[0])
    r = proven.request
    assert other.is_known_root(r.root) and other.is_association_root(r.association_root)
    assert _reverts(isolated, other, accounts[4], replace(r, pool=other.address)) == "InvalidProof"


def test_association_set_can_exclude_a_depositor(
    isolated: Chain, proven: Proven, module_home: Path, accounts: list[LocalAccount], zk: ZkArtifacts
) -> None:
    pool, book = proven.pool, NoteBook(module_home)
    flagged = deposit_note(isolated, pool, accounts[8], book, PASSWORD)
    published = pool.publish_association_set(accounts[0], exclude_depositors=[accounts[8].address])
    assert published.excluded == (flagged.leaf_index,)
    with pytest.raises(InputError, match="no published association set contains this deposit"):
        prepare_withdrawal(isolated, pool, flagged, book.secrets(flagged, PASSWORD), zk,
                           recipient=Account.create().address)  # fmt: skip
    # the others prove membership in the new set too
    request = prepare_withdrawal(isolated, pool, proven.note, book.secrets(proven.note, PASSWORD), zk,
                                 recipient=Account.create().address)  # fmt: skip
    assert request.association_root == published.root
    submit_withdrawal(isolated, pool, accounts[4], request)


def test_privacy_cli_deposit_associate_withdraw_relay(
    chain_isolation: Chain, aiweb3_home: Path, accounts: list[LocalAccount], tmp_path: Path
) -> None:
    chain = chain_isolation
    home = tmp_path / "home"
    (home / "deployments").mkdir(parents=True)
    book = f"deployments/{chain.chain_id}.json"
    (home / book).write_bytes((aiweb3_home / book).read_bytes())
    env = {
        "AIWEB3_HOME": str(home),
        "AIWEB3_RPC_URL": chain.url,
        "AIWEB3_PASSWORD": PASSWORD,
        "COLUMNS": "250",
    }
    cli = CliRunner()

    def run(*args: str, ok: bool = True) -> str:
        result = cli.invoke(app, list(args), env=env)
        assert (result.exit_code == 0) is ok, result.output + repr(result.exception)
        return result.output if ok else str(result.exception)

    made = run("privacy", "deposit", "--account", "dev:1", "--provider", accounts[4].address)
    assert "deposited 1 AIUSD into pool" in made
    note_id = made.split("note ")[1].split()[0]
    run("privacy", "deposit", "--account", "dev:2")
    assert note_id in run("privacy", "notes")
    fresh = Account.create().address
    assert "no published association set" in run(
        "privacy", "withdraw", note_id, "--to", fresh, "--out", str(tmp_path / "r.json"), ok=False
    )
    assert "2 deposit(s), 0 excluded" in run("privacy", "associate", "--account", "dev:5")
    request_file = tmp_path / "request.json"
    run("privacy", "withdraw", note_id, "--to", fresh, "--relayer", accounts[3].address, "--fee", "0.05",
        "--out", str(request_file))  # fmt: skip
    assert "below this relayer's minimum" in run(
        "privacy", "relay", str(request_file), "--account", "dev:4", "--min-fee", "0.1", ok=False
    )
    assert "not to this relayer" in run("privacy", "relay", str(request_file), "--account", "dev:3", ok=False)
    out = run("privacy", "relay", str(request_file), "--account", "dev:4", "--min-fee", "0.05")
    assert f"relayed: 0.95 AIUSD to {fresh}" in out
    pool = ShieldedPool.from_home(chain, home)
    aiusd = chain.contract(artifact("AIUSD").abi, pool.token)
    assert int(chain.call(aiusd.functions.balanceOf(fresh))) == 950_000
    assert "withdrawn already" in run("privacy", "relay", str(request_file), "--account", "dev:4", ok=False)
    assert PASSWORD not in made + out
