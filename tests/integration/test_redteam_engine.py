"""The red-team engine on user targets (single .sol files with the default win: the attacker
takes the 10 ether bait, or becomes owner()), on the session's anvil node: the AST checks flag
each class, attack templates confirm exploits on chain for 0.8 and 0.4 compilers, the search finds
a two-call sequence no template covers, template fixes block the exploit, and a safe contract
yields no confirmed exploit."""

from __future__ import annotations

from pathlib import Path

import pytest

from aiweb3.chain import Chain
from aiweb3.redteam.exploit_run import run_target, scan_target
from aiweb3.redteam.targets import load_target

pytestmark = pytest.mark.timeout(600)

BANK_08 = """// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

contract Bank {
    mapping(address => uint256) public balances;
    address public owner;

    constructor() { owner = msg.sender; }

    function deposit() external payable { balances[msg.sender] += msg.value; }

    function withdraw(uint256 amount) external {
        require(balances[msg.sender] >= amount, "low");
        (bool ok, ) = msg.sender.call{value: amount}("");
        require(ok, "send");
        unchecked { balances[msg.sender] -= amount; }
    }

    function pay(address to) external {
        require(tx.origin == owner, "owner");
        payable(to).send(address(this).balance);
    }

    receive() external payable {}
}
"""

BANK_04 = """pragma solidity ^0.4.24;

contract OldBank {
    mapping(address => uint256) public balances;

    function deposit() public payable { balances[msg.sender] += msg.value; }

    function withdraw() public {
        uint256 amount = balances[msg.sender];
        require(msg.sender.call.value(amount)());
        balances[msg.sender] = 0;
    }

    function() public payable {}
}
"""

SIGNALS = """// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

interface IPool {
    function slot0() external view returns (uint160, int24, uint16, uint16, uint16, uint8, bool);
}

contract Signals {
    address public owner;
    address public impl;
    uint256 public totalSupply;
    uint256 public totalAssets;
    mapping(address => uint256) public shares;

    function initialize(address o) external { owner = o; }
    function run(address lib, bytes calldata data) external { (bool ok, ) = lib.delegatecall(data); ok; }
    function price(IPool pool) external view returns (uint160 p) { (p, , , , , , ) = pool.slot0(); }
    function deposit() external payable {
        uint256 minted = totalSupply == 0 ? msg.value : msg.value * totalSupply / totalAssets;
        shares[msg.sender] += minted; totalSupply += minted; totalAssets += msg.value;
    }
    function claim(uint8 v, bytes32 r, bytes32 s, uint256 amount) external {
        require(ecrecover(keccak256(abi.encode(msg.sender, amount)), v, r, s) == owner, "sig");
        payable(msg.sender).transfer(amount);
    }
    function lottery() external view returns (uint256) {
        return uint256(keccak256(abi.encodePacked(block.timestamp, block.prevrandao))) % 10;
    }
}
"""

SAFE = """// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

contract SafeBank {
    mapping(address => uint256) public balances;
    address public owner;

    constructor() { owner = msg.sender; }

    function deposit() external payable { balances[msg.sender] += msg.value; }

    function withdraw(uint256 amount) external {
        require(balances[msg.sender] >= amount, "low");
        balances[msg.sender] -= amount;
        (bool ok, ) = msg.sender.call{value: amount}("");
        require(ok, "send");
    }

    function setOwner(address o) external { require(msg.sender == owner, "owner"); owner = o; }
}
"""

VAULT = """// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

contract CodeVault {
    bool public unlocked;
    function unlock(uint256 code) external { if (code == 1 ether) unlocked = true; }
    function sweep(address to) external {
        require(unlocked, "locked");
        (bool ok, ) = to.call{value: address(this).balance}("");
        require(ok, "send");
    }
}
"""


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / f"{name}.sol"
    path.write_text(text)
    return path


def test_ast_checks_flag_each_class(tmp_path: Path) -> None:
    found = scan_target(load_target(_write(tmp_path, "Signals", SIGNALS)), slither=False).hypotheses
    classes = {(h.cls, h.function) for h in found}
    assert ("unprotected_init", "initialize") in classes
    assert ("delegatecall", "run") in classes
    assert ("spot_price", "price") in classes
    assert ("share_rounding", "deposit") in classes
    assert ("signature_replay", "claim") in classes
    assert ("bad_randomness", "lottery") in classes
    for h in found:
        assert h.location.startswith("Signals.sol:") and h.evidence and 0 < h.confidence < 1
    safe = scan_target(load_target(_write(tmp_path, "SafeBank", SAFE)), slither=False).hypotheses
    assert safe == []


def test_templates_confirm_reentrancy_and_tx_origin_and_template_fixes_block_them(
    chain: Chain, tmp_path: Path
) -> None:
    report = run_target(
        chain, load_target(_write(tmp_path, "Bank", BANK_08)), slither=False, search_examples=0
    )
    by_class = {f.hypothesis.cls: f for f in report.findings if f.hypothesis}
    reentrancy, origin = by_class["reentrancy"], by_class["tx_origin"]
    assert reentrancy.status == "confirmed" and reentrancy.exploit is not None
    assert reentrancy.exploit.win.kind == "attacker_profit" and reentrancy.exploit.win.profit_wei > 9 * 10**18
    assert reentrancy.exploit.steps[0].to is None and reentrancy.exploit.contracts[0]["name"] == "RtAttacker"
    assert origin.status == "confirmed" and origin.exploit is not None
    assert any(s.role == "deployer" for s in origin.exploit.steps)  # the lured owner's call
    for finding in (reentrancy, origin):
        assert finding.patch is not None and finding.patch["source"] == "template fix"
        assert finding.patch["exploit_blocked"] and finding.patch["verified"], finding.patch


def test_reentrancy_on_a_solidity_04_target(chain: Chain, tmp_path: Path) -> None:
    report = run_target(
        chain, load_target(_write(tmp_path, "OldBank", BANK_04)), slither=False, search_examples=0
    )
    assert report.target["compiler"].startswith("0.4.")
    confirmed = [f for f in report.confirmed if f.hypothesis and f.hypothesis.cls == "reentrancy"]
    assert confirmed and confirmed[0].exploit is not None
    assert "call.value" in confirmed[0].exploit.contracts[0]["source"]  # rendered for 0.4


def test_search_finds_a_sequence_no_template_covers(chain: Chain, tmp_path: Path) -> None:
    report = run_target(
        chain, load_target(_write(tmp_path, "CodeVault", VAULT)), slither=False, search_examples=120
    )
    found = [f for f in report.confirmed if f.exploit and f.exploit.strategy == "search"]
    assert found, [f.tried for f in report.findings]
    labels = [s.label for s in found[0].exploit.steps]  # type: ignore[union-attr]
    assert labels[0].startswith("unlock(") and labels[-1].startswith("sweep(")


def test_a_safe_contract_gives_no_confirmed_exploit(chain: Chain, tmp_path: Path) -> None:
    report = run_target(
        chain, load_target(_write(tmp_path, "SafeBank", SAFE)), slither=False, search_examples=40
    )
    assert report.confirmed == []
