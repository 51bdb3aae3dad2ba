"""Pure pieces of the dashboard: link filters, backticks, output labels, the vendored chart library."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from aiweb3.errors import InputError
from aiweb3.indexer import parse_address, parse_block_ref, parse_tx_hash
from aiweb3.server.links import LINK_FILTERS, short, ticks
from aiweb3.server.pages import TEMPLATES_DIR, make_templates
from aiweb3.zkml import label_outputs, load_output_labels, save_output_labels

ROOT = Path(__file__).resolve().parents[2]
VENDOR = ROOT / "src" / "aiweb3" / "server" / "static" / "vendor"
ADDRESS = "0x" + "Ab" * 20
TX = "0x" + "cd" * 32
MODEL = "0x" + "12" * 32


def test_links_point_at_their_pages_and_keep_the_full_value_in_the_title() -> None:
    addr = str(LINK_FILTERS["addr"](ADDRESS))
    assert f'href="/address/{ADDRESS.lower()}"' in addr
    assert f'title="{ADDRESS}"' in addr
    assert f">{short(ADDRESS)}<" in addr
    assert 'href="/tx/' + TX + '"' in str(LINK_FILTERS["tx"](TX))
    assert str(LINK_FILTERS["block"](1234)).startswith('<a class="num-link" href="/block/1234"')
    assert ">1,234<" in str(LINK_FILTERS["block"](1234))
    assert f'href="/models/{MODEL}"' in str(LINK_FILTERS["model"](MODEL.upper().replace("0X", "0x")))
    assert str(LINK_FILTERS["agent"](3, "seller")) == '<a href="/agents/3">#3 seller</a>'
    assert f">{TX}<" in str(LINK_FILTERS["tx"](TX, None))  # keep=None shows it whole
    assert str(LINK_FILTERS["addr"](None)) == "—"
    named = str(LINK_FILTERS["addr"](ADDRESS, 4, "ModelRegistry"))
    assert named == f'<a href="/address/{ADDRESS.lower()}" title="{ADDRESS}">ModelRegistry</a>'


def test_outputs_print_as_rounded_numbers() -> None:
    assert LINK_FILTERS["numbers"]([[5.9820556640625, -8.7117919921875]]) == "5.982, -8.712"
    assert LINK_FILTERS["numbers"]([1, 2.5]) == "1, 2.500"


def test_a_link_escapes_what_it_shows() -> None:
    html = str(LINK_FILTERS["content"]('x"><script>alert(1)</script>', None))
    assert "<script>" not in html
    assert "&lt;script&gt;" in html


def test_backticks_become_code_and_nothing_else_is_trusted() -> None:
    assert (
        str(ticks("run `aiweb3 up` then <b>go</b>"))
        == "run <code>aiweb3 up</code> then &lt;b&gt;go&lt;/b&gt;"
    )
    assert "`" not in str(ticks("`a` and `b`"))


def test_no_template_shows_a_literal_backtick_in_its_text() -> None:
    """Help text written with `commands` goes through the ticks filter (the empty-state macro does)."""
    env = make_templates().env
    macros = env.get_template("macros.html").module
    html = str(macros.empty("No data sets yet", "Open one with `aiweb3 dataset create`."))  # type: ignore[attr-defined]
    assert "<code>aiweb3 dataset create</code>" in html and "`" not in html
    for path in TEMPLATES_DIR.glob("*.html"):
        for line in path.read_text().splitlines():
            if "`" in line:
                assert "empty(" in line or "ticks" in line, f"{path.name}: {line.strip()}"


def test_outputs_are_labelled_by_argmax_with_a_softmax_score(tmp_path: Path) -> None:
    assert load_output_labels(tmp_path, MODEL) is None
    save_output_labels(tmp_path, MODEL, ["malignant", "benign"])
    classes = load_output_labels(tmp_path, MODEL.upper().replace("0X", "0x"))
    assert classes == ["malignant", "benign"]
    got = label_outputs([[-2.0, 3.0]], classes)
    assert got is not None and got["label"] == "benign"
    assert got["score"] == pytest.approx(0.9933, abs=1e-4)
    assert sum(got["scores"].values()) == pytest.approx(1, abs=1e-3)
    assert label_outputs([[4.0, 1.0]], classes)["label"] == "malignant"  # type: ignore[index]
    assert label_outputs([[1.0, 2.0, 3.0]], classes) is None  # not one value per class
    assert label_outputs([[1.0, 2.0]], None) is None
    assert label_outputs("not numbers", classes) is None


@pytest.mark.parametrize("bad", [[], ["only one"], ["a", ""], ["a", 3]])
def test_bad_class_names_are_refused(tmp_path: Path, bad: list[object]) -> None:
    with pytest.raises(InputError, match="at least two"):
        save_output_labels(tmp_path, MODEL, bad)  # type: ignore[arg-type]


def test_a_bad_model_id_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not a model id"):
        save_output_labels(tmp_path, "../../etc/passwd", ["a", "b"])


def test_explorer_inputs_are_parsed_or_refused() -> None:
    assert parse_address(" " + ADDRESS + " ") == ADDRESS.lower()
    assert parse_tx_hash(TX.upper().replace("0X", "0x")) == TX
    assert parse_block_ref("17") == 17
    assert parse_block_ref(TX) == TX
    for fn, bad in ((parse_address, "0x12"), (parse_tx_hash, ADDRESS), (parse_block_ref, "-1")):
        with pytest.raises(InputError):
            fn(bad)


def test_the_vendored_chart_library_is_the_pinned_npm_file() -> None:
    """static/vendor/chart.umd.min.js is committed (so a fresh install has it) and equals npm's build."""
    pinned = json.loads((ROOT / "package.json").read_text())["dependencies"]["chart.js"]
    assert pinned[0].isdigit(), "pin chart.js exactly (npm i -E)"
    lock = json.loads((ROOT / "package-lock.json").read_text())
    assert lock["packages"]["node_modules/chart.js"]["version"] == pinned
    npm_dir = ROOT / "node_modules" / "chart.js"
    assert json.loads((npm_dir / "package.json").read_text())["version"] == pinned, "run make setup (npm ci)"
    vendored = (VENDOR / "chart.umd.min.js").read_bytes()
    assert vendored == (npm_dir / "dist" / "chart.umd.min.js").read_bytes()
    assert f"Chart.js v{pinned}" in vendored[:200].decode()
    assert (VENDOR / "chart.js.LICENSE.md").read_bytes() == (npm_dir / "LICENSE.md").read_bytes()


def test_every_command_the_dashboard_names_exists() -> None:
    """Help text names `aiweb3 <group> <command>` that the CLI really has (arguments may follow)."""
    import importlib
    import re

    import typer
    import typer.main

    from aiweb3.cli.main import COMMANDS

    def resolve(words: list[str]) -> bool:
        if not words or words[0] not in COMMANDS:
            return False
        module, attr = COMMANDS[words[0]]
        target = getattr(importlib.import_module(module), attr)
        if not isinstance(target, typer.Typer):
            return True  # a single command: the rest are its arguments
        cmd: object = typer.main.get_command(target)
        for word in words[1:]:
            subs = getattr(cmd, "commands", None)
            if subs is None:
                return True  # reached a command: the rest are arguments
            if word not in subs:
                return False
            cmd = subs[word]
        return getattr(cmd, "commands", None) is None or len(words) == 1

    named = {
        found
        for path in TEMPLATES_DIR.glob("*.html")
        for found in re.findall(r"`aiweb3((?: [a-z][a-z-]*)+)", path.read_text())
    }
    assert named, "the templates name no command"
    for cmd in sorted(named):
        assert resolve(cmd.split()), f"aiweb3{cmd}"
