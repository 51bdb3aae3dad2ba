"""`aiweb3 social`: start the relay, make identities, post, answer in a thread, react, read the feed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

AIWEB3 = [sys.executable, "-m", "aiweb3.cli.main", "social"]


def run(home: Path, *args: str, code: int = 0) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIWEB3_")}
    env.update({"AIWEB3_HOME": str(home), "COLUMNS": "250"})
    proc = subprocess.run([*AIWEB3, *args], env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == code, proc.stderr + proc.stdout
    assert "Traceback" not in proc.stderr + proc.stdout
    return proc.stdout + proc.stderr


def test_social_cli_relay_post_thread_feed(tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert "stopped" in run(home, "status", code=3)
    assert "relay started: ws://127.0.0.1:" in run(home, "up")
    try:
        run(home, "key", "alice")
        run(home, "key", "bob")
        out = run(home, "post", "gm nostr", "--as", "alice", "--topic", "zkml")
        root = out.split("published ")[1].split()[0]
        out = run(home, "post", "gm alice", "--as", "bob", "--reply-to", root)
        reply = out.split("published ")[1].split()[0]
        run(home, "react", reply, "--as", "alice")
        lines = [json.loads(x) for x in run(home, "feed", "--json").splitlines() if x.startswith("{")]
        by_id = {e["id"]: e for e in lines}
        assert ["e", root, "", "root"] in by_id[reply]["tags"]
        assert by_id[root]["content"] == "gm nostr"
        assert "no event" in run(home, "post", "x", "--as", "bob", "--reply-to", "ab" * 32, code=2)
    finally:
        assert "relay stopped" in run(home, "down")
