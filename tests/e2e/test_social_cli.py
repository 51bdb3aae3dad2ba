"""`aiweb3 social`: start the relay, make identities, post, answer in a thread, read the feed; an AI
account greets a newcomer, its post verifies, the owner pauses it."""

from __future__ import annotations

import json
from pathlib import Path

from eth_account.signers.local import LocalAccount
from typer.testing import CliRunner

from aiweb3.chain import Chain
from aiweb3.cli.main import app
from aiweb3.errors import InputError, PolicyViolation


def run(home: Path, rpc: str, *args: str, code: int = 0) -> str:
    """Run `aiweb3 social ARGS` in this process (the relay is still its own process)."""
    env = {"AIWEB3_HOME": str(home), "AIWEB3_RPC_URL": rpc, "AIWEB3_CHAIN_ID": "31337", "AIWEB3_LLM": None}
    result = CliRunner().invoke(app, ["social", *args], env=env)
    assert result.exit_code == code, (result.output, result.exception)
    if code == 0:
        assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return " ".join(result.output.split())  # rich wraps long lines


def test_social_cli_relay_thread_feed_and_an_ai_account(
    module_home: Path, chain: Chain, accounts: list[LocalAccount]
) -> None:
    home, rpc = module_home, chain.url  # the session's contracts; dev accounts hold AIUSD
    assert "relay started: ws://127.0.0.1:" in run(home, rpc, "up")
    try:
        run(home, rpc, "key", "alice")
        run(home, rpc, "key", "bob")
        root = run(home, rpc, "post", "gm nostr", "--as", "alice", "--topic", "zkml").split()[1]
        reply = run(home, rpc, "post", "gm alice", "--as", "bob", "--reply-to", root).split()[1]
        feed = [json.loads(x) for x in run(home, rpc, "feed", "--json").replace("} {", "}\n{").splitlines()]
        by_id = {e["id"]: e for e in feed}
        assert ["e", root, "", "root"] in by_id[reply]["tags"] and by_id[root]["content"] == "gm nostr"

        # an AI account greets a newcomer; its post is labelled, names its operator and verifies
        run(
            home,
            rpc,
            "account",
            "create",
            "greeter",
            "--topic",
            "zkml",
            "--operator",
            "ops",
            "--wallet",
            "dev:2",
        )
        run(home, rpc, "key", "carol")
        newcomer = run(home, rpc, "post", "hello, new here and into zkml", "--as", "carol").split()[1]
        assert f"greet posted {newcomer[:12]}" in run(home, rpc, "account", "run", "greeter")
        lines = run(home, rpc, "feed", "--json").replace("} {", "}\n{").splitlines()
        greeting = next(e for e in map(json.loads, lines) if ["e", newcomer, "", "root"] in e["tags"])
        assert ["l", "ai-generated", "content-origin"] in greeting["tags"]
        out = run(home, rpc, "verify", greeting["id"])
        assert "AI post by operator" in out and "manifest 0x" in out
        assert "NOT a verified AI post" in run(home, rpc, "verify", root, code=1)

        out = run(home, rpc, "digest", "greeter", "--for", "alice", "--post")
        assert f"[nostr:{newcomer}]" in out and "posted " in out  # carol's zkml note, cited

        # a paid NIP-90 job: alice pays 2 AIUSD from dev:1 for a summary of her thread
        provider = run(home, rpc, "key", "summariser").split("(")[1].split(")")[0]
        payee = accounts[2].address  # dev:3
        out = run(home, rpc, "job", "request", root, "--as", "alice", "--provider", provider,
                  "--provider-wallet", payee, "--price", "2", "--account", "dev:1")  # fmt: skip
        assert "2 AIUSD to" in out
        out = run(
            home, rpc, "job", "serve", "summariser", "--operator", "ops", "--wallet", "dev:3", "--price", "2"
        )
        assert "1 jobs" in out and "delivered: result" in out
        over = ["job", "request", root, "--as", "alice", "--provider", provider, "--provider-wallet", payee,
                "--price", "9", "--account", "dev:1"]  # fmt: skip
        refused = CliRunner().invoke(
            app, ["social", *over], env={"AIWEB3_HOME": str(home), "AIWEB3_RPC_URL": rpc}
        )
        assert isinstance(refused.exception, PolicyViolation)  # over the per-job limit: nothing signed

        run(home, rpc, "account", "pause", "greeter")
        run(home, rpc, "key", "dave")
        run(home, rpc, "post", "first post, zkml curious", "--as", "dave")
        assert "0 posts" in run(home, rpc, "account", "run", "greeter")
        log = run(home, rpc, "account", "log", "greeter")
        assert "greet posted" in log and "paused by the owner" in log and "account paused" in log

        result = CliRunner().invoke(
            app, ["social", "post", "x", "--as", "nobody"], env={"AIWEB3_HOME": str(home)}
        )
        assert isinstance(result.exception, InputError) and "no identity" in str(result.exception)
    finally:
        assert "relay stopped" in run(home, rpc, "down")
