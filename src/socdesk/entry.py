"""The ``socdesk`` command's entry point: ``now`` takes a fast path, everything else the full CLI."""

from __future__ import annotations

import sys
from collections.abc import Sequence

_VALUED = ("--db", "--user", "--theme", "--cycle")


def command_of(argv: Sequence[str]) -> str | None:
    """The first word that is not a global option or its value."""
    skip = False
    for word in argv:
        if skip:
            skip = False
        elif word in _VALUED:
            skip = True
        elif not word.startswith("-"):
            return word
    return None


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if command_of(args) == "now" and not {"-h", "--help"} & set(args):
        from socdesk.now import main as now_main

        return now_main(args)
    from socdesk.cli import main as cli_main

    return cli_main(args)
