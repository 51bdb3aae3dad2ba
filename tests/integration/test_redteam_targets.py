"""Targets beyond the corpus: user sources with default setup and win, fork targets, and bad input
(sources that do not compile, a fork URL that does not answer, an address without code)."""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

import pytest
from eth_account.signers.local import LocalAccount

from aiweb3.chain import Chain, LocalNode, dev_account
from aiweb3.errors import InputError
from aiweb3.redteam.fork import ForkNode
from aiweb3.redteam.targets import (
    USER_TARGET_BAIT,
    CheckFailed,
    Roles,
    check_win,
    compile_target,
    deploy_target,
    fork_target,
    load_target,
    run_functional,
)

CORPUS = Path(__file__).resolve().parents[1] / "redteam_corpus"
SOLC_CACHE = Path(tempfile.gettempdir()) / "aiweb3-redteam-solc"

KEYS = """// SPDX-License-Identifier: MIT
pragma solidity ^0.7.0;

contract KeyHolder {
    address public owner;
    constructor() { owner = msg.sender; }
    receive() external payable {}
    function setOwner(address next) external { owner = next; }
    function sweep() external {
        require(msg.sender == owner, "only owner");
        msg.sender.transfer(address(this).balance);
    }
}

contract NeedsArgs {
    uint256 public x;
    constructor(uint256 x_) { x = x_; }
}
"""


@pytest.fixture(scope="module")
def roles(accounts: list[LocalAccount]) -> Roles:
    return Roles.of(accounts[:4])


def _one_line(exc: pytest.ExceptionInfo[InputError]) -> str:
    text = str(exc.value)
    assert "\n" not in text and "Traceback" not in text
    return text


def test_user_target_deploys_first_argless_contract_with_bait_and_default_wins(
    tmp_path: Path, chain: Chain, roles: Roles, chain_isolation: Chain
) -> None:
    (tmp_path / "Keys.sol").write_text(KEYS)
    target = load_target(tmp_path / "Keys.sol")
    assert target.variants == ("vulnerable",) and not target.is_corpus
    assert compile_target(target, cache_dir=SOLC_CACHE).version == "0.7.6"
    deployed = deploy_target(chain, target, "vulnerable", roles, cache_dir=SOLC_CACHE)
    assert chain.balance(deployed.address) == 10 * 10**18 and USER_TARGET_BAIT == "10 ether"
    before = deployed.snapshot_value(roles.attacker.address)
    assert not check_win(deployed, roles.attacker, before).won
    keys = deployed.target_contract
    chain.transact(roles.attacker, keys.functions.setOwner(roles.attacker.address))
    result = check_win(deployed, roles.attacker, before)
    assert result.won and result.kind == "privilege"
    chain.transact(roles.attacker, keys.functions.sweep())
    assert check_win(deployed, roles.attacker, before).profit_wei > 9 * 10**18


def test_user_target_can_name_its_contract_and_a_folder_works(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "Keys.sol").write_text(KEYS)
    target = load_target(tmp_path, contract="KeyHolder")
    assert target.variant_sources("vulnerable") == {"src/Keys.sol": KEYS}
    compiled = compile_target(target, cache_dir=SOLC_CACHE)
    assert {"KeyHolder", "NeedsArgs"} <= set(compiled.contracts)
    with pytest.raises(InputError, match="no 'patched' variant"):
        target.variant_sources("patched")


def test_sources_that_do_not_compile_give_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "Broken.sol"
    bad.write_text("pragma solidity ^0.8.0;\ncontract Broken { function f() public { uint x = ; } }\n")
    with pytest.raises(InputError) as info:
        compile_target(load_target(bad))
    text = _one_line(info)
    assert "do not compile with solc 0.8.30" in text and "Broken.sol:2" in text


def test_an_old_contract_under_a_new_compiler_is_refused(tmp_path: Path) -> None:
    old = tmp_path / "Old.sol"
    old.write_text("pragma solidity 0.4.26;\ncontract Old { function f() public { uint x = 1; x; } }\n")
    assert compile_target(load_target(old)).version == "0.4.26"
    with pytest.raises(InputError) as info:
        compile_target(load_target(old, solc="0.8.30"))
    assert "solc 0.8.30" in _one_line(info)


def test_bad_paths_and_malformed_entries(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="does not exist"):
        load_target(tmp_path / "missing")
    with pytest.raises(InputError, match=r"holds no \.sol files"):
        load_target(tmp_path)
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(InputError, match=r"not a \.sol file"):
        load_target(tmp_path / "notes.txt")
    entry = tmp_path / "entry"
    entry.mkdir()
    for name in ("vulnerable.sol", "patched.sol"):
        (entry / name).write_text(KEYS)
    (entry / "target.json").write_text("{not json")
    with pytest.raises(InputError, match="not valid JSON"):
        load_target(entry)
    (entry / "target.json").write_text(json.dumps({"target": "x", "setup": [], "win": []}))
    with pytest.raises(InputError, match="not the id of a deploy step"):
        load_target(entry)
    spec = {
        "target": "k",
        "setup": [{"do": "deploy", "id": "k", "contract": "KeyHolder"}],
        "win": [{"kind": "luck"}],
    }
    (entry / "target.json").write_text(json.dumps(spec))
    with pytest.raises(InputError, match="win kind 'luck'"):
        load_target(entry)
    (entry / "patched.sol").unlink()
    spec["win"] = [{"kind": "attacker_profit"}]
    (entry / "target.json").write_text(json.dumps(spec))
    with pytest.raises(InputError, match=r"lacks patched\.sol"):
        load_target(entry)


def test_a_target_whose_contracts_all_need_arguments_is_refused(
    tmp_path: Path, chain: Chain, roles: Roles
) -> None:
    (tmp_path / "Args.sol").write_text(
        KEYS.split("contract KeyHolder")[0] + "contract NeedsArgs" + KEYS.split("contract NeedsArgs")[1]
    )
    with pytest.raises(InputError, match="constructor arguments; name the one to deploy"):
        deploy_target(chain, load_target(tmp_path / "Args.sol"), "vulnerable", roles, cache_dir=SOLC_CACHE)


def test_unreachable_fork_url_gives_one_line() -> None:
    with pytest.raises(InputError) as info:
        ForkNode("http://127.0.0.1:9/").start()
    assert "unreachable" in _one_line(info)
    with pytest.raises(InputError, match="must start with http"):
        ForkNode("ws://127.0.0.1:9/").start()


def test_fork_target_attacks_a_copy_and_never_touches_the_upstream(
    chain: Chain, local_node: LocalNode, roles: Roles, chain_isolation: Chain
) -> None:
    entry = load_target(CORPUS / "unprotected-withdraw")
    upstream = deploy_target(chain, entry, "vulnerable", roles, cache_dir=SOLC_CACHE)
    upstream_balance = chain.balance(upstream.address)
    fork_roles = Roles.of([dev_account(i) for i in range(4)])
    with ForkNode(local_node.url) as fork:
        forked = fork.chain()
        try:
            with pytest.raises(InputError) as info:
                deploy_target(forked, fork_target(roles.victim.address), "vulnerable", fork_roles)
            assert "no contract code at" in _one_line(info)
            target = fork_target(upstream.address, CORPUS / "unprotected-withdraw" / "vulnerable.sol")
            deployed = deploy_target(forked, target, "vulnerable", fork_roles, cache_dir=SOLC_CACHE)
            assert deployed.address == upstream.address
            attacker = fork_roles.attacker
            before = deployed.snapshot_value(attacker.address)
            forked.transact(attacker, deployed.target_contract.functions.emergencyWithdraw(attacker.address))
            result = check_win(deployed, attacker, before)
            assert result.won and result.profit_wei > 9 * 10**18
        finally:
            forked.close()
    assert chain.balance(upstream.address) == upstream_balance  # the fork's transactions stayed local
    with pytest.raises(InputError, match="not a contract address"):
        fork_target("0x1234")


def test_a_proposed_patch_sets_up_like_the_variant_it_patches(
    chain: Chain, roles: Roles, chain_isolation: Chain
) -> None:
    entry = load_target(CORPUS / "bad-randomness-timestamp")  # its deploy steps differ per variant
    source = entry.variant_sources("vulnerable")["vulnerable.sol"]
    fixed = source.replace(
        "function draw() external {", "function draw() external {\n        require(false);"
    )
    target = entry.with_variant("proposed", {"vulnerable.sol": fixed})
    assert target.variants == ("vulnerable", "patched", "proposed")
    assert target.steps_variant("proposed") == "vulnerable"
    deployed = deploy_target(chain, target, "proposed", roles, cache_dir=SOLC_CACHE)
    assert chain.call(deployed.target_contract.functions.ticketCount()) == 5
    with pytest.raises(CheckFailed, match="draw"):
        run_functional(deployed)  # the patch broke the legit draw(), and the checks say so
    like_patched = entry.with_variant("proposed", entry.variant_sources("patched"), like="patched")
    run_functional(deploy_target(chain, like_patched, "proposed", roles, cache_dir=SOLC_CACHE))


def test_the_first_declared_contract_is_deployed_by_default(
    tmp_path: Path, chain: Chain, roles: Roles, chain_isolation: Chain
) -> None:
    (tmp_path / "Two.sol").write_text(
        "pragma solidity ^0.8.0;\n"
        "contract Zeta { function zeta() external pure returns (uint256) { return 1; } }\n"
        "contract Alpha { function alpha() external pure returns (uint256) { return 2; } }\n"
    )
    deployed = deploy_target(
        chain, load_target(tmp_path / "Two.sol"), "vulnerable", roles, cache_dir=SOLC_CACHE
    )
    assert chain.call(deployed.target_contract.functions.zeta()) == 1
    named = load_target(tmp_path / "Two.sol", contract="Alpha")
    deployed = deploy_target(chain, named, "vulnerable", roles, cache_dir=SOLC_CACHE)
    assert chain.call(deployed.target_contract.functions.alpha()) == 2


def test_a_malformed_step_value_is_one_line_naming_the_step(
    tmp_path: Path, chain: Chain, roles: Roles, chain_isolation: Chain
) -> None:
    entry = tmp_path / "entry"
    shutil.copytree(CORPUS / "unprotected-withdraw", entry)
    spec = json.loads((entry / "target.json").read_text())
    spec["setup"][1]["value"] = "ten ether"
    (entry / "target.json").write_text(json.dumps(spec))
    with pytest.raises(InputError) as info:
        deploy_target(chain, load_target(entry), "vulnerable", roles, cache_dir=SOLC_CACHE)
    assert _one_line(info).startswith("setup step 2: 'ten ether' is not an amount")
    spec["setup"][1] = {"do": "call", "from": "victim", "to": "$vault", "fn": "withdraw", "args": ["0xzz"]}
    (entry / "target.json").write_text(json.dumps(spec))
    with pytest.raises(InputError) as info:
        deploy_target(chain, load_target(entry), "vulnerable", roles, cache_dir=SOLC_CACHE)
    assert _one_line(info).startswith("setup step 2")
    spec["setup"][1] = {"do": "call", "from": "victim", "to": "$vault", "fn": "withdraw", "args": ["1 ether"]}
    (entry / "target.json").write_text(json.dumps(spec))
    with pytest.raises(CheckFailed) as failed:
        deploy_target(chain, load_target(entry), "vulnerable", roles, cache_dir=SOLC_CACHE)
    assert str(failed.value).startswith("setup step 2 (withdraw) reverted: insufficient balance")
