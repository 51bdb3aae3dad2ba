"""Stealth payments on the local node: the ERC-6538 registry (direct and signed registrations,
replay refused), send with an ERC-5564 announcement, scan with the viewing key, sweep through a
relayer that pays the gas."""

from __future__ import annotations

from pathlib import Path

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from typer.testing import CliRunner
from web3.contract import Contract

from aiweb3.agents import TokenInfo
from aiweb3.chain import Chain, Deployment, artifact, dev_account
from aiweb3.cli.main import app
from aiweb3.errors import InputError, TransactionReverted
from aiweb3.privacy import (
    StealthKeys,
    StealthRegistry,
    announcements,
    found_payments,
    scan,
    send_stealth,
    sweep,
)

pytestmark = pytest.mark.usefixtures("chain_isolation")


def _balance(chain: Chain, aiusd: Contract, who: str) -> int:
    return int(chain.call(aiusd.functions.balanceOf(who)))


def test_registry_direct_and_signed_registrations(
    chain: Chain, deployments: dict[str, Deployment], aiweb3_home: Path, accounts: list[LocalAccount]
) -> None:
    registry = StealthRegistry.from_home(chain, aiweb3_home)
    alice, relayer = accounts[1], accounts[2]
    keys = StealthKeys.generate()
    assert registry.meta_of(alice.address) is None
    registry.register(alice, keys.meta)
    assert registry.meta_of(alice.address) == keys.meta

    # bob has no ETH and no link to the relayer: he signs, the relayer submits
    bob = Account.create()
    bob_keys = StealthKeys.generate()
    signature = registry.sign_registration(bob, bob_keys.meta)
    registry.register_on_behalf(relayer, bob.address, bob_keys.meta, signature)
    assert registry.meta_of(bob.address) == bob_keys.meta and registry.nonce_of(bob.address) == 1
    # the same signature again (replay), or for another meta-address, or by someone else: refused
    other = StealthKeys.generate().meta
    for who, meta, sig in ((bob.address, bob_keys.meta, signature), (bob.address, other, signature),
                           (alice.address, bob_keys.meta, signature)):  # fmt: skip
        with pytest.raises(TransactionReverted) as refused:
            registry.register_on_behalf(relayer, who, meta, sig)
        assert refused.value.error_name == "ERC6538Registry__InvalidSignature"
    # a signature made for another registry (another EIP-712 domain) does not count here
    art = artifact("ERC6538Registry")
    elsewhere, _ = chain.deploy(accounts[0], art.abi, art.bytecode)
    foreign = StealthRegistry(chain, elsewhere).sign_registration(bob, other)
    with pytest.raises(TransactionReverted):
        registry.register_on_behalf(relayer, bob.address, other, foreign)
    assert registry.meta_of(bob.address) == bob_keys.meta


def test_send_scan_and_sweep_through_a_relayer(
    chain: Chain, deployments: dict[str, Deployment], aiweb3_home: Path, aiusd: Contract,
    accounts: list[LocalAccount],
) -> None:  # fmt: skip
    token = TokenInfo(deployments["AIUSD"].address, chain.chain_id)
    sender, relayer, stranger = accounts[3], accounts[4], accounts[5]
    alice, carol = StealthKeys.generate(), StealthKeys.generate()
    before = len(announcements(chain, aiweb3_home))
    paid = send_stealth(chain, aiweb3_home, sender, token, alice.meta, 2_500_000)
    send_stealth(chain, aiweb3_home, stranger, token, carol.meta, 1_000_000)  # someone else's payment
    again = send_stealth(chain, aiweb3_home, sender, token, alice.meta, 500_000)
    assert paid.stealth.address != again.stealth.address  # unlinkable one-time addresses
    items = announcements(chain, aiweb3_home)[before:]
    assert len(items) == 3

    mine = scan(items, alice.viewing)
    assert [a.stealth_address for a in mine] == [paid.stealth.address, again.stealth.address]
    assert scan(items, alice.viewing, use_view_tags=False) == mine
    assert [a.stealth_address for a in scan(items, carol.viewing)] == [items[1].stealth_address]
    found = found_payments(chain, mine, token)
    assert [(f.token, f.announced_amount, f.balance) for f in found] == [
        (token.address, 2_500_000, 2_500_000),
        (token.address, 500_000, 500_000),
    ]

    # sweep the first payment to a fresh address; the relayer pays the gas and takes a fee
    fresh = Account.create().address
    relayer_before = _balance(chain, aiusd, relayer.address)
    sweep(chain, token, mine[0], alice, fresh, relayer, fee=100_000)
    assert _balance(chain, aiusd, fresh) == 2_400_000
    assert _balance(chain, aiusd, relayer.address) == relayer_before + 100_000
    assert _balance(chain, aiusd, paid.stealth.address) == 0
    assert chain.balance(paid.stealth.address) == 0  # the stealth address never held ETH
    with pytest.raises(InputError, match="nothing to sweep"):
        sweep(chain, token, mine[0], alice, fresh, relayer)
    with pytest.raises(InputError, match="not a stealth address of these keys"):
        sweep(chain, token, mine[1], carol, fresh, relayer)
    with pytest.raises(InputError, match="fee must be below"):
        sweep(chain, token, mine[1], alice, fresh, relayer, fee=500_000)
    with pytest.raises(InputError, match="less than"):
        send_stealth(chain, aiweb3_home, Account.create(), token, alice.meta, 1)


def test_privacy_cli_meta_send_scan_sweep(
    chain: Chain, deployments: dict[str, Deployment], aiweb3_home: Path, aiusd: Contract,
    accounts: list[LocalAccount], tmp_path: Path,
) -> None:  # fmt: skip
    home = tmp_path / "home"
    (home / "deployments").mkdir(parents=True)
    book = f"deployments/{chain.chain_id}.json"
    (home / book).write_bytes((aiweb3_home / book).read_bytes())
    env = {"AIWEB3_HOME": str(home), "AIWEB3_RPC_URL": chain.url, "AIWEB3_PASSWORD": "stealth-pass",
           "COLUMNS": "250"}  # fmt: skip
    cli = CliRunner()

    def run(*args: str, ok: bool = True, password: str = "stealth-pass") -> str:
        result = cli.invoke(app, list(args), env={**env, "AIWEB3_PASSWORD": password})
        assert (result.exit_code == 0) is ok, result.output + repr(result.exception)
        return result.output if ok else str(result.exception)

    made = run("privacy", "meta", "new", "bob")
    uri = made.split("stealth meta-address of bob: ")[1].split()[0]
    assert uri.startswith("st:eth:0x") and run("privacy", "meta", "show", "bob").strip() == uri
    assert "exist already" in run("privacy", "meta", "new", "bob", ok=False)
    stored = (home / "stealth" / "bob.json").read_text()
    assert (home / "stealth" / "bob.json").stat().st_mode & 0o777 == 0o600 and "ciphertext" in stored

    public = dev_account(5).address
    assert "has registered no stealth meta-address" in run(
        "privacy", "send", "--to", public, "--amount", "1", "--account", "dev:3", ok=False
    )
    run("privacy", "meta", "register", "bob", "--account", "dev:5")
    sent = run("privacy", "send", "--to", public, "--amount", "1.5", "--account", "dev:3")
    one_time = sent.split("to one-time address ")[1].split()[0]
    assert one_time != public and _balance(chain, aiusd, one_time) == 1_500_000

    assert "wrong password" in run("privacy", "scan", "bob", password="guess", ok=False)
    scanned = run("privacy", "scan", "bob")
    assert one_time in scanned and "1 payment(s)" in scanned
    fresh = Account.create().address
    swept = run("privacy", "sweep", "bob", "--to", fresh, "--relayer", "dev:4", "--fee", "0.1")
    assert f"swept 1.5 AIUSD from {one_time}" in swept
    assert _balance(chain, aiusd, fresh) == 1_400_000 and _balance(chain, aiusd, one_time) == 0
    assert "nothing to sweep" in run("privacy", "sweep", "bob", "--to", fresh, "--relayer", "dev:4")
    assert "stealth-pass" not in scanned + swept
