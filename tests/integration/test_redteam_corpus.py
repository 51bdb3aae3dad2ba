"""The red-team corpus on a real node: every entry's two variants compile, deploy with their setup,
pass their own functional checks, and are not won right after setup."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from eth_account.signers.local import LocalAccount

from aiweb3.chain import Chain
from aiweb3.redteam.targets import (
    VARIANTS,
    Roles,
    Target,
    check_win,
    compile_target,
    compile_targets,
    corpus_targets,
    deploy_target,
    run_functional,
)

CORPUS = Path(__file__).resolve().parents[1] / "redteam_corpus"
#: compile outputs keyed by a hash of compiler, settings and sources: never stale, kept between runs
SOLC_CACHE = Path(tempfile.gettempdir()) / "aiweb3-redteam-solc"
TARGETS = {t.name: t for t in corpus_targets(CORPUS)}


@pytest.fixture(scope="module")
def roles(accounts: list[LocalAccount]) -> Roles:
    return Roles.of(accounts[:4])


@pytest.fixture(scope="module")
def compiled_corpus() -> dict[str, Target]:
    """Every variant compiled once per session (one node process, each solc version loaded once)."""
    compile_targets(list(TARGETS.values()), cache_dir=SOLC_CACHE)
    return TARGETS


def test_corpus_covers_the_classes_and_compilers(compiled_corpus: dict[str, Target]) -> None:
    assert len(compiled_corpus) >= 25
    categories = {t.category for t in compiled_corpus.values()}
    wanted = {
        "reentrancy", "access-control", "tx-origin", "delegatecall", "unchecked-call", "integer-overflow",
        "integer-underflow", "bad-randomness", "storage-collision", "oracle-manipulation",
        "share-inflation", "flash-loan-governance", "signature-replay", "forced-ether", "front-running",
    }  # fmt: skip
    assert wanted <= categories, wanted - categories
    versions = {compile_target(t, cache_dir=SOLC_CACHE).version for t in compiled_corpus.values()}
    assert {"0.4.26", "0.5.17", "0.6.12", "0.7.6", "0.8.30"} <= versions
    kinds = {w["kind"] for t in compiled_corpus.values() for w in (t.spec or {})["win"]}
    assert kinds == {"attacker_profit", "privilege", "invariant"}
    for target in compiled_corpus.values():
        assert target.title and target.spec is not None and target.spec.get("description")


@pytest.mark.parametrize("name", sorted(TARGETS))
def test_entry_deploys_passes_its_checks_and_is_not_won_after_setup(
    name: str, chain: Chain, roles: Roles, compiled_corpus: dict[str, Target], chain_isolation: Chain
) -> None:
    target = compiled_corpus[name]
    for variant in VARIANTS:
        deployed = deploy_target(chain, target, variant, roles, cache_dir=SOLC_CACHE)
        assert chain.code(deployed.address)
        before = deployed.snapshot_value(roles.attacker.address)
        result = check_win(deployed, roles.attacker, before)
        assert not result.won, f"{variant}: {result.detail}"
        run_functional(deployed)
        after = check_win(deployed, roles.attacker, before)
        assert not after.won, f"{variant} after its functional checks: {after.detail}"
        assert after.profit_wei == 0  # the functional checks ran on a snapshot that was rolled back
