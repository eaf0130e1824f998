"""User text inside Markdown (minutes, retro summaries, mix reports): it must stay the text it is.

A note or outcome may start with ``#`` or ``>``, hold ``|`` or a line of ``===``: escaped here so it
can never become a heading, a quote, a table column or an underline.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

_SETEXT_UNDERLINE = re.compile(r"^\s*(=+|-+)\s*$")


def _clean(text: str) -> str:
    """Drop control characters but newlines and tabs (a note is not validated for them)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch) != "Cc")


def _line(line: str) -> str:
    """One line of user text that cannot become a heading, a quote or a heading's underline."""
    line = line.rstrip()
    stripped = line.lstrip(" ")
    if stripped.startswith(("#", ">")) or _SETEXT_UNDERLINE.match(stripped):
        return f"{line[: len(line) - len(stripped)]}\\{stripped}"
    return line


def inline(text: str) -> str:
    """User text on one line (newlines become spaces)."""
    return _line(" ".join(_clean(text).split("\n")).strip())


def block(text: str, indent: str) -> str:
    """User text that may span lines, continued under a list item at ``indent``."""
    lines = [_line(line) for line in _clean(text).strip().split("\n")]
    return "\n".join(lines[:1] + [f"{indent}{line}" if line else "" for line in lines[1:]])


def cell(text: str) -> str:
    """User text inside one table cell: on one line, and nothing in it means anything to Markdown."""
    one_line = " ".join(_clean(text).split())
    for char in "\\|*_`[]<>#":
        one_line = one_line.replace(char, "\\" + char)
    return one_line


def heading(text: str) -> str:
    return " ".join(_clean(text).split()).replace("#", "\\#")


def table(
    headers: Sequence[str], rows: Sequence[Sequence[str]], numeric: frozenset[int] = frozenset()
) -> str:
    """A Markdown table of cells already escaped; ``numeric`` columns align to the right."""

    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(cells) + " |"

    rule = ["---:" if i in numeric else "---" for i in range(len(headers))]
    return "\n".join([line(headers), line(rule), *(line(r) for r in rows)])
