"""The ``socdesk`` command's entry point: ``now``, ``log`` and ``card list --json`` take fast paths
(standard library only), everything else the full CLI."""

from __future__ import annotations

import sys
from collections.abc import Sequence

_VALUED = ("--db", "--user", "--theme", "--cycle")
FAST_READS = ("log", "card")


def command_words(argv: Sequence[str]) -> list[str]:
    """The words that are not global options or their values: ``["card", "list", ...]``."""
    words: list[str] = []
    skip = False
    for word in argv:
        if skip:
            skip = False
        elif word in _VALUED:
            skip = True
        elif not word.startswith("-"):
            words.append(word)
    return words


def command_of(argv: Sequence[str]) -> str | None:
    """The first word that is not a global option or its value."""
    words = command_words(argv)
    return words[0] if words else None


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    words = command_words(args)
    if words[:1] == ["now"] and not {"-h", "--help"} & set(args):
        from socdesk.now import main as now_main

        return now_main(args)
    if words[:1] and words[0] in FAST_READS:
        from socdesk.fast_reads import main as fast_main

        answered = fast_main(args, words)
        if answered is not None:
            return answered
    from socdesk.cli import main as cli_main

    return cli_main(args)
