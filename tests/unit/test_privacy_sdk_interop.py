"""Interop with ScopeLift's stealth-address SDK (npm, pinned): a stealth address either side
derives, the other side recognises and spends (same address, view tag and private key)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

from eth_account import Account

from aiweb3.privacy import StealthKeys, check_stealth_address, compute_stealth_key, generate_stealth_address

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "tests" / "interop" / "stealth_sdk.mjs"


def sdk(request: dict[str, Any]) -> dict[str, Any]:
    """One call to the SDK through node (run from the project so it finds node_modules)."""
    proc = subprocess.run(["node", str(SCRIPT)], input=json.dumps(request), capture_output=True, text=True,
                          cwd=ROOT, timeout=60, env={**os.environ})  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    return dict(json.loads(proc.stdout))


def test_addresses_the_sdk_derives_are_found_and_spent_here() -> None:
    for _ in range(3):
        keys = StealthKeys.generate()
        ephemeral = os.urandom(32)
        theirs = sdk({"op": "generate", "meta": keys.meta.uri(), "ephemeral": "0x" + ephemeral.hex()})
        ours = generate_stealth_address(keys.meta, ephemeral_key=ephemeral)
        assert theirs["stealthAddress"] == ours.address
        assert theirs["ephemeralPublicKey"] == "0x" + ours.ephemeral_public_key.hex()
        assert int(theirs["viewTag"], 16) == ours.view_tag
        eph = bytes.fromhex(theirs["ephemeralPublicKey"][2:])
        assert check_stealth_address(theirs["stealthAddress"], eph, keys.viewing_key, keys.meta.spending,
                                     view_tag=int(theirs["viewTag"], 16))  # fmt: skip
        assert compute_stealth_key(theirs["stealthAddress"], eph, keys).address == ours.address


def test_addresses_derived_here_are_found_and_spent_by_the_sdk() -> None:
    keys, stranger = StealthKeys.generate(), StealthKeys.generate()
    made = generate_stealth_address(keys.meta)
    common = {"address": made.address, "ephemeralPublicKey": "0x" + made.ephemeral_public_key.hex(),
              "viewTag": f"0x{made.view_tag:02x}"}  # fmt: skip
    mine = sdk({"op": "check", **common, "spendingPublicKey": "0x" + keys.meta.spending.hex(),
                "viewingPrivateKey": "0x" + keys.viewing_key.hex()})  # fmt: skip
    other = sdk({"op": "check", **common, "spendingPublicKey": "0x" + stranger.meta.spending.hex(),
                 "viewingPrivateKey": "0x" + stranger.viewing_key.hex()})  # fmt: skip
    assert mine["mine"] is True and other["mine"] is False
    key = sdk(
        {
            "op": "key",
            "ephemeralPublicKey": common["ephemeralPublicKey"],
            "spendingPrivateKey": "0x" + keys.spending_key.hex(),
            "viewingPrivateKey": "0x" + keys.viewing_key.hex(),
        }
    )
    assert Account.from_key(key["key"]).address == made.address
