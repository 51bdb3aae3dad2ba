"""Jinja filters that turn ids into links: every address, hash, block, model, content and agent.

Each filter returns escaped markup: ``{{ a.owner | addr }}`` is a link to ``/address/<a>``
showing a shortened form with the full value in its title, so long hashes never widen a card.
Inline backticks in help text become ``<code>`` (``{{ text | ticks }}``).
"""

from __future__ import annotations

import re
from typing import Any

from markupsafe import Markup, escape

__all__ = ["LINK_FILTERS", "link", "numbers", "short", "ticks"]

_TICKS = re.compile(r"`([^`]+)`")


def short(value: Any, keep: int = 6) -> str:
    """``0x1234ab…cdef01``: the head and tail of a long id (short ones unchanged)."""
    if value is None or value == "":
        return ""
    text = str(value)
    return text if len(text) <= 2 * keep + 3 else f"{text[: keep + 2]}…{text[-keep:]}"


def link(href: str, full: Any, keep: int | None = 6, cls: str = "mono") -> Markup:
    """``<a>`` to ``href`` showing ``full`` (shortened unless ``keep`` is None)."""
    text = str(full) if keep is None else short(full, keep)
    if text != str(full):
        cls += " shortened"  # kept on one line; the full value is in the title
    return Markup('<a class="{}" href="{}" title="{}">{}</a>').format(cls, href, str(full), text)


def _addr(value: Any, keep: int | None = 6, label: str | None = None) -> Markup:
    if not value:
        return Markup("—")
    href = f"/address/{str(value).lower()}"
    if label:  # a known contract or account: its name, the address in the title
        return Markup('<a href="{}" title="{}">{}</a>').format(href, str(value), label)
    return link(href, str(value), keep)


def _tx(value: Any, keep: int | None = 6) -> Markup:
    if not value:
        return Markup("—")
    return link(f"/tx/{str(value).lower()}", str(value), keep)


def _block(value: Any) -> Markup:
    if value is None or value == "":
        return Markup("—")
    return link(f"/block/{int(value)}", f"{int(value):,}", None, cls="num-link")


def _model(value: Any, keep: int | None = 6) -> Markup:
    if not value:
        return Markup("—")
    return link(f"/models/{str(value).lower()}", str(value), keep)


def _content(value: Any, keep: int | None = 6) -> Markup:
    if not value:
        return Markup("—")
    return link(f"/content/{value}", str(value), keep)


def _agent(value: Any, name: str | None = None) -> Markup:
    if value is None:
        return Markup("—")
    text = f"#{int(value)}" + (f" {name}" if name else "")
    return Markup('<a href="/agents/{}">{}</a>').format(int(value), text)


def numbers(value: Any, digits: int = 3) -> str:
    """Model outputs (nested lists of numbers) as ``5.982, -8.712``; anything else as text."""
    flat: list[Any] = []

    def walk(v: Any) -> None:
        if isinstance(v, list | tuple):
            for x in v:
                walk(x)
        else:
            flat.append(v)

    walk(value)
    return ", ".join(f"{v:.{digits}f}" if isinstance(v, float) else str(v) for v in flat)


def ticks(text: Any) -> Markup:
    """Escape ``text`` and render each `` `command` `` as ``<code>command</code>``."""
    escaped = str(escape(str(text)))
    return Markup(_TICKS.sub(lambda m: f"<code>{m.group(1)}</code>", escaped))


LINK_FILTERS = {
    "addr": _addr,
    "tx": _tx,
    "block": _block,
    "model": _model,
    "content": _content,
    "agent": _agent,
    "ticks": ticks,
    "numbers": numbers,
}
"""Filter name -> function, registered by :func:`aiweb3.server.pages.make_templates`."""
