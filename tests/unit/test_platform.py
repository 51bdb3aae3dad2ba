"""Settings, atomic files, the content-addressed store, the keystore, addresses, artifacts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import aiweb3
from aiweb3.chain import Keystore, check_artifacts_fresh, checksum, dev_account
from aiweb3.config import Settings
from aiweb3.errors import (
    AccountError,
    ConfigError,
    InputError,
    StaleArtifact,
    StoreError,
    UnknownAccount,
    WrongPassword,
)
from aiweb3.files import atomic_write_text
from aiweb3.store import LocalStore, cid_of

ROOT = Path(__file__).resolve().parents[2]


def test_public_api_is_curated() -> None:
    assert len(aiweb3.__all__) == len(set(aiweb3.__all__))
    for name in aiweb3.__all__:
        assert getattr(aiweb3, name) is not None, name
    with pytest.raises(AttributeError):
        aiweb3.NotAThing  # noqa: B018


def test_import_stays_light() -> None:
    import subprocess
    import sys

    code = "import sys, aiweb3.cli.main; print(sorted({'ezkl', 'duckdb', 'fastapi'} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_settings_env_overrides_toml(tmp_path: Path) -> None:
    toml = tmp_path / "aiweb3.toml"
    toml.write_text('rpc_url = "http://example:8545"\nchain_id = 10\n')
    s = Settings.load(env={"AIWEB3_HOME": str(tmp_path), "AIWEB3_CHAIN_ID": "8453"}, toml_path=toml)
    assert s.home == tmp_path and s.rpc_url == "http://example:8545" and s.chain_id == 8453
    toml.write_text("colour = 1\n")
    with pytest.raises(ConfigError, match="unknown setting"):
        Settings.load(env={}, toml_path=toml)
    toml.write_text("not toml [")
    with pytest.raises(ConfigError, match="not valid TOML"):
        Settings.load(env={}, toml_path=toml)


def test_atomic_write_leaves_no_partial_file(tmp_path: Path) -> None:
    target = tmp_path / "out.txt"
    atomic_write_text(target, "old")

    class Boom(str):
        def encode(self, *a: object, **k: object) -> bytes:
            raise RuntimeError("disk on fire")

    with pytest.raises(RuntimeError):
        atomic_write_text(target, Boom("new"))
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]


def test_store_round_trip_and_corruption(tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "store")
    # CIDv1 raw of b"hello" as IPFS computes it (`ipfs add --cid-version 1 --raw-leaves`).
    assert cid_of(b"hello") == "bafkreibm6jg3ux5qumhcn2b3flc3tyu6dmlb4xa7u5bf44yegnrjhc4yeq"
    cid = store.put_bytes(b"hello")
    assert store.get_bytes(cid) == b"hello" and store.put_bytes(b"hello") == cid
    src = tmp_path / "big.bin"
    src.write_bytes(b"x" * 3_000_000)
    assert store.put_file(src) == cid_of(src.read_bytes())
    store.path(cid).write_bytes(b"jello")
    with pytest.raises(StoreError, match="corrupted"):
        store.get_bytes(cid)
    with pytest.raises(StoreError, match="not in the store"):
        store.get_bytes(cid_of(b"absent"))
    with pytest.raises(StoreError, match="not a CID"):
        store.get_bytes("nonsense")


def test_keystore_round_trip(tmp_path: Path) -> None:
    ks = Keystore(tmp_path / "keystore")
    entry = ks.new("alice", "correct horse")
    data = json.loads(entry.path.read_text())
    assert data["crypto"]["kdf"] == "scrypt" and data["version"] == 3
    assert "correct horse" not in entry.path.read_text()
    assert entry.path.stat().st_mode & 0o777 == 0o600
    assert ks.unlock("alice", "correct horse").address == entry.address
    assert ks.unlock(entry.address.lower(), "correct horse").address == entry.address
    with pytest.raises(WrongPassword) as wrong:
        ks.unlock("alice", "battery staple")
    assert "battery" not in str(wrong.value)
    with pytest.raises(UnknownAccount, match="known: alice"):
        ks.unlock("bob", "x")
    with pytest.raises(AccountError, match="already exists"):
        ks.new("alice", "pw")
    imported = ks.import_key("dev1", "0x" + bytes(dev_account(1).key).hex(), "pw")
    assert imported.address == dev_account(1).address
    with pytest.raises(AccountError, match="already in the keystore"):
        ks.import_key("again", bytes(dev_account(1).key).hex(), "pw")
    with pytest.raises(InputError, match="not a private key"):
        ks.import_key("bad", "0x1234", "pw")
    with pytest.raises(InputError, match="empty password"):
        ks.new("carol", "")
    assert [e.name for e in ks.list()] == ["alice", "dev1"]


def test_checksum_addresses() -> None:
    good = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
    assert checksum(good.lower()) == good
    assert checksum(good) == good
    with pytest.raises(InputError, match="wrong checksum"):
        checksum("0x70997970C51812dc3A010C7d01b50e0d17dc79c8")
    with pytest.raises(InputError, match="not an Ethereum address"):
        checksum("0x1234")


def test_artifacts_are_fresh() -> None:
    check_artifacts_fresh(ROOT / "contracts")


def test_stale_artifact_is_detected(tmp_path: Path) -> None:
    import shutil

    copy = tmp_path / "contracts"
    shutil.copytree(ROOT / "contracts", copy)
    source = copy / "src" / "AIUSD.sol"
    source.write_text(source.read_text() + "\n// changed\n")
    with pytest.raises(StaleArtifact, match="make artifacts"):
        check_artifacts_fresh(copy)


def test_ray_settings_default_to_a_local_runtime_and_check_the_flag(tmp_path: Path) -> None:
    s = Settings.load(env={"AIWEB3_HOME": str(tmp_path)}, toml_path=tmp_path / "none.toml")
    assert s.ray_address == "local" and s.ray_required is False
    s = Settings.load(
        env={"AIWEB3_HOME": str(tmp_path), "AIWEB3_RAY_ADDRESS": "10.0.0.5:6379", "AIWEB3_RAY_REQUIRED": "1"},
        toml_path=tmp_path / "none.toml",
    )
    assert s.ray_address == "10.0.0.5:6379" and s.ray_required is True
    with pytest.raises(ConfigError, match="ray_required is 'maybe'"):
        Settings.load(env={"AIWEB3_HOME": str(tmp_path), "AIWEB3_RAY_REQUIRED": "maybe"})
