"""Boundary guards: bounded JSON, the recursion limit, allowed Host names, stream caps, a private home."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from aiweb3.chain import Keystore
from aiweb3.errors import InputError, JSONTooDeep, JSONTooLarge
from aiweb3.files import ensure_private_dir
from aiweb3.jsonlimits import MAX_JSON_DEPTH, json_depth, load_untrusted_file, loads_untrusted
from aiweb3.server.guards import HostGuard, StreamSlots, TooManyStreams, host_of


def test_importing_aiweb3_leaves_a_sane_recursion_limit() -> None:
    # py_ecc (loaded through eth-account) raises it to 100000, where deep JSON segfaults
    code = "import sys, aiweb3.server.app, aiweb3.cli.main, py_ecc; print(sys.getrecursionlimit())"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert int(out.stdout) <= 1000


def test_deep_json_in_a_fresh_process_raises_instead_of_crashing() -> None:
    code = (
        "import aiweb3, json\n"
        "try:\n    json.loads('[' * 100000 + ']' * 100000)\n"
        "except RecursionError:\n    print('refused')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.strip() == "refused", out


def test_depth_scan_skips_brackets_inside_strings() -> None:
    assert json_depth(b"1") == 0
    assert json_depth('{"a": [1, {"b": []}]}') == 4
    assert json_depth('["[[[[", "}}}\\"[[["]') == 1
    assert json_depth(b"[" * 100_000 + b"]" * 100_000, stop_above=10) == 11


def test_loads_untrusted_refuses_deep_and_large_documents_by_name() -> None:
    assert loads_untrusted(b'{"x": [1, 2]}', what="body") == {"x": [1, 2]}
    ok = "[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH
    assert json_depth(json.dumps(loads_untrusted(ok, what="body"))) == MAX_JSON_DEPTH
    with pytest.raises(JSONTooDeep, match=r"field 'proof': JSON nested more than 64 levels"):
        loads_untrusted("[" * 100_000 + "]" * 100_000, what="field 'proof'")
    with pytest.raises(JSONTooLarge, match="over the limit of 10"):
        loads_untrusted(b"[1,2,3,4,5,6]", what="body", max_bytes=10)
    with pytest.raises(InputError, match="body is not valid JSON"):
        loads_untrusted(b"{nope", what="body")


def test_load_untrusted_file_checks_the_size_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "big.json"
    path.write_bytes(b"[" + b"1," * 100 + b"1]")
    with pytest.raises(JSONTooLarge, match=r"big\.json: 203 bytes"):
        load_untrusted_file(path, max_bytes=100)
    assert len(load_untrusted_file(path)) == 101
    with pytest.raises(InputError, match="cannot read"):
        load_untrusted_file(tmp_path / "missing.json")


@pytest.mark.parametrize(
    ("header", "host"),
    [
        ("127.0.0.1:8480", "127.0.0.1"),
        ("LOCALHOST", "localhost"),
        ("localhost.:80", "localhost"),
        ("[::1]:8480", "::1"),
        ("[::1]", "::1"),
        ("evil.example", "evil.example"),
        ("[::1]x", None),
        ("host:port", None),
        ("", None),
    ],
)
def test_host_header_parsing(header: str, host: str | None) -> None:
    assert host_of(header) == host


def test_host_guard_accepts_only_the_bound_names() -> None:
    guard = HostGuard(app=None, bound_host="127.0.0.1")  # type: ignore[arg-type]
    for ok in ("127.0.0.1:1", "localhost:1", "[::1]:1", "localhost"):
        assert guard.allows(ok), ok
    for bad in ("evil.example", "evil.example:8480", "127.0.0.1.nip.io", "10.0.0.5", "", None):
        assert not guard.allows(bad), bad
    named = HostGuard(app=None, bound_host="box.lan", extra=("dash.example",))  # type: ignore[arg-type]
    assert named.allows("box.lan:8480") and named.allows("dash.example") and not named.allows("evil.example")
    wildcard = HostGuard(app=None, bound_host="0.0.0.0")  # type: ignore[arg-type]
    assert wildcard.allows("192.168.1.7:8480") and wildcard.allows("[fe80::1]:80")
    assert not wildcard.allows("evil.example")


def test_stream_slots_cap_per_client_and_in_total() -> None:
    slots = StreamSlots(per_client=2, total=3)
    slots.acquire("a")
    slots.acquire("a")
    with pytest.raises(TooManyStreams, match="a already has 2 open event streams"):
        slots.acquire("a")
    slots.acquire("b")
    with pytest.raises(TooManyStreams, match="already serves 3 open event streams"):
        slots.acquire("c")
    slots.release("a")
    slots.acquire("c")
    assert slots.open_count() == 3


def test_private_dir_is_created_0700_and_tightened(tmp_path: Path) -> None:
    home = ensure_private_dir(tmp_path / "a" / "home")
    assert stat.S_IMODE(home.stat().st_mode) == 0o700
    loose = tmp_path / "loose"
    loose.mkdir(mode=0o755)
    os.chmod(loose, 0o755)
    ensure_private_dir(loose)
    assert stat.S_IMODE(loose.stat().st_mode) == 0o700


def test_a_keystore_made_through_the_library_is_private(tmp_path: Path) -> None:
    root = tmp_path / "fresh" / "keystore"
    entry = Keystore(root).new("alice", "pw")
    assert stat.S_IMODE(root.stat().st_mode) == 0o700
    assert stat.S_IMODE(entry.path.stat().st_mode) == 0o600
