"""The chain tools the MCP server exposes: bad arguments are one clear error, never a crash."""

from __future__ import annotations

from pathlib import Path

import pytest
from eth_account.signers.local import LocalAccount

from aiweb3.chain import Chain, Deployment
from aiweb3.devassist.chaintools import chain_status, read_contract, simulate_call
from aiweb3.errors import DeploymentError, InputError


def test_reads_and_simulations_on_the_system_contracts(
    module_home: Path, chain: Chain, deployments: dict[str, Deployment], accounts: list[LocalAccount]
) -> None:
    alice = accounts[0].address
    assert chain_status(chain, module_home)["contracts"]["TaskEscrow"] == deployments["TaskEscrow"].address
    address = deployments["AIUSD"].address
    by_address = read_contract(chain, module_home, f"AIUSD@{address.lower()}", "balanceOf", f'["{alice}"]')
    assert by_address["result"] == read_contract(chain, module_home, "AIUSD", "balanceOf", [alice])["result"]
    assert simulate_call(chain, module_home, "AIUSD", "approve", [alice, "0x10"], alice) == {
        "ok": True,
        "result": True,
    }


@pytest.mark.parametrize(
    ("contract", "function", "args", "message"),
    [
        ("AIUSD", "mintEverything", [], "has no function 'mintEverything'"),
        ("AIUSD", "balanceOf", [], "takes 1 arguments, not 0"),
        ("AIUSD", "balanceOf", ["not-an-address"], "is not an address"),
        ("AIUSD", "balanceOf", [[1]], "is not an address"),
        ("AIUSD", "transfer", ["0x" + "11" * 20, [1, 2]], "do not fit AIUSD.transfer"),
        ("AIUSD", "transfer", ["0x" + "11" * 20, "lots"], "'lots' is not an integer"),
        ("AIUSD", "balanceOf", "[1, 2", "args must be a JSON list"),
        ("AIUSD@0x1234", "balanceOf", [], "is not an address"),
    ],
)
def test_bad_arguments_are_named(
    module_home: Path, chain: Chain, deployments: dict[str, Deployment], contract: str, function: str,
    args: object, message: str,
) -> None:  # fmt: skip
    with pytest.raises(InputError, match=message):
        simulate_call(chain, module_home, contract, function, args)  # type: ignore[arg-type]


def test_a_contract_not_deployed_on_this_chain_says_to_deploy(chain: Chain, tmp_path: Path) -> None:
    with pytest.raises(DeploymentError, match="aiweb3 deploy"):
        read_contract(chain, tmp_path, "AIUSD", "totalSupply")
