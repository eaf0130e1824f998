"""Bad input on the command line: every command refuses a malformed argument clearly and writes nothing.

For each command of ``build_parser()`` (enumerated from the parser, so a command added without cases
here fails ``test_every_command_has_bad_input_cases``) a :class:`Spec` holds an invocation that is valid
in a given database state (``test_every_base_invocation_is_valid`` runs each one), and hypothesis
strategies make exactly one thing about it wrong: an unknown flag, a missing value, a missing required
argument, a wrong type, an unknown id, column, handle, role or phase, a non-positive or huge number, a
bad ISO date or time, an empty, over-long or control-character text, a stale ``--if-version``, a
``--reason`` without ``--force``, a wrong ``--user``, or the right command in the wrong state (no
meeting running, a retro in another phase). So each example's outcome is known to be a refusal:

- exit 1 and exactly one ``error:`` line on stderr, or exit 2 and argparse's usage (usage mistakes);
- nothing on stdout, no traceback anywhere;
- the database byte-for-byte as it was (see ``bad_input_helpers``: the main file's bytes, and no
  ``-wal``/``-shm`` left behind), and no file created or changed in the user's directories or beside
  the inputs.

Commands run in-process through ``socdesk.entry.main`` (the `socdesk` script's own entry, which sends
``now`` down its fast path and everything else to ``socdesk.cli.main``); each example starts from a
fresh copy of its state's template, so shrinking replays from the same bytes. A few examples also go
through the real `socdesk` command in a subprocess, which must answer the same, byte for byte.
"""

from __future__ import annotations

import argparse
import socket
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import closing
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bad_input_helpers import (
    ACTOR,
    HELD_PORT,
    INPUTS,
    Bench,
    Case,
    World,
    build_world,
    db_bytes,
    iso_minutes,
    make_bench,
    run_cli,
    valid_calendar,
)
from socdesk.cli import build_parser
from socdesk.domain.duty import Role
from socdesk.domain.models import Kind, Priority, WorkType
from socdesk.domain.retro import NoteColumn, Phase
from socdesk.ui.themes import load_themes, packaged_themes_dir

SQLITE_MAX = 2**63 - 1


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    return build_world(tmp_path_factory.mktemp("templates"))


@pytest.fixture
def bench(
    tmp_path: Path, own_user_dirs: Path, monkeypatch: pytest.MonkeyPatch, world: World
) -> Iterator[Bench]:
    bench = make_bench(tmp_path, own_user_dirs, monkeypatch, world)
    monkeypatch.setenv("COLUMNS", "100")  # argparse wraps usage to the terminal: the same in a subprocess
    with closing(socket.socket()) as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        bench.port = held.getsockname()[1]
        yield bench


# ------------------------------------------------------------------------------------------------ the specs


@dataclass(frozen=True)
class Spec:
    """A command and an invocation of it that is valid in ``state``."""

    path: tuple[str, ...]
    state: str = "sample"
    positionals: tuple[str, ...] = ()
    options: tuple[tuple[str, str | None], ...] = ()
    files: tuple[tuple[str, bytes], ...] = ()
    parser: argparse.ArgumentParser | None = field(default=None, compare=False, repr=False)

    def argv(
        self,
        positionals: Sequence[str] | None = None,
        options: Sequence[tuple[str, str | None]] | None = None,
        extra: Sequence[str] = (),
    ) -> tuple[str, ...]:
        words = [*self.path, *(self.positionals if positionals is None else positionals)]
        for flag, value in self.options if options is None else options:
            words.append(flag if value is None else f"{flag}={value}")
        return (*words, *extra)

    def case(self, argv: Sequence[str], code: int, *fragments: str, **changes: Any) -> Case:
        return replace(Case(tuple(argv), code, self.state, fragments, self.files), **changes)

    def with_positional(self, index: int, value: str) -> tuple[str, ...]:
        words = list(self.positionals)
        words[index] = value
        return self.argv(positionals=words)

    def with_option(self, flag: str, value: str | None) -> tuple[str, ...]:
        kept = [(f, v) for f, v in self.options if f != flag]
        return self.argv(options=[*kept, (flag, value)])

    def without_option(self, flag: str) -> tuple[str, ...]:
        return self.argv(options=[(f, v) for f, v in self.options if f != flag])


def leaf_parsers(
    parser: argparse.ArgumentParser, path: tuple[str, ...] = ()
) -> dict[tuple[str, ...], argparse.ArgumentParser]:
    """Every command the parser runs: those without subcommands, and the top level (the console)."""
    found: dict[tuple[str, ...], argparse.ArgumentParser] = {}
    subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    if not subs or not subs[0].required:
        found[path] = parser
    for sub in subs:
        for name, child in sub.choices.items():
            found.update(leaf_parsers(child, (*path, name)))
    return found


def specs(w: World) -> dict[tuple[str, ...], Spec]:
    backlog = w.card_in("Backlog")
    override = min(w.overrides)
    later = (w.now + timedelta(days=1)).replace(second=0, microsecond=0)
    listed = [
        Spec(()),
        Spec(("init",)),
        Spec(("doctor",)),
        Spec(("card", "add"), positionals=("Rotate the API keys",), options=(("--type", "operations"),)),
        Spec(("card", "list")),
        Spec(("card", "show"), positionals=(str(backlog),)),
        Spec(("card", "move"), positionals=(str(backlog),), options=(("--to", "Done"),)),
        Spec(("card", "edit"), positionals=(str(backlog),), options=(("--title", "Renamed"),)),
        Spec(("card", "rm"), positionals=(str(backlog),)),
        Spec(("column", "list")),
        Spec(("column", "limit"), positionals=("Backlog", "30")),
        Spec(("log",)),
        Spec(("export",)),
        Spec(
            ("import",),
            state="empty",
            positionals=(f"{INPUTS}/export.json",),
            files=(("export.json", w.export_json),),
        ),
        Spec(("backup",), positionals=(f"{INPUTS}/backup.db",)),
        Spec(
            ("restore",),
            state="absent",
            positionals=(f"{INPUTS}/backup.db",),
            files=(("backup.db", w.templates["backup"]),),
        ),
        Spec(("now",)),
        Spec(("serve",)),
        Spec(("duty", "show")),
        Spec(("duty", "person", "add"), positionals=("zed",), options=(("--name", "Zed Example"),)),
        Spec(
            ("duty", "rotation", "set"),
            positionals=("analyst",),
            options=(
                ("--members", "bob,dan"),
                ("--length", "7d"),
                ("--handover", "mon 09:00"),
                ("--tz", "Europe/London"),
                ("--start", w.today.isoformat()),
            ),
        ),
        Spec(
            ("duty", "override", "add"),
            positionals=("analyst", "bob"),
            options=(("--from", iso_minutes(later)), ("--to", iso_minutes(later + timedelta(hours=8)))),
        ),
        Spec(("duty", "override", "rm"), positionals=(str(override),)),
        Spec(
            ("duty", "override", "swap"),
            positionals=("analyst",),
            options=(("--at", iso_minutes(w.swap[0])), ("--with", iso_minutes(w.swap[1]))),
        ),
        Spec(("duty", "note"), positionals=("analyst", "All quiet on the night shift")),
        Spec(
            ("duty", "import-ics"),
            positionals=(f"{INPUTS}/shifts.ics",),
            options=(("--role", "analyst"),),
            files=(("shifts.ics", w.ics),),
        ),
        Spec(("duty", "export-ics"), options=(("--role", "analyst"),)),
        Spec(("handshake", "topic", "add"), positionals=("Rotate the on-call laptop",)),
        Spec(("handshake", "topic", "list")),
        Spec(("handshake", "topic", "defer"), positionals=(str(w.waiting_topics[0]),)),
        Spec(("handshake", "start")),
        Spec(("handshake", "next"), state="meeting"),
        Spec(("handshake", "prev"), state="meeting_next"),
        Spec(("handshake", "pause"), state="meeting"),
        Spec(("handshake", "resume"), state="meeting_paused"),
        Spec(("handshake", "extend"), state="meeting", positionals=("5",)),
        Spec(("handshake", "end"), state="meeting"),
        Spec(("handshake", "status")),
        Spec(("handshake", "minutes")),
        Spec(("handshake", "list")),
        Spec(("handshake", "note"), state="meeting", positionals=("Agreed to revisit in January",)),
        Spec(("handshake", "agenda", "show")),
        Spec(
            ("handshake", "agenda", "set"),
            positionals=(f"{INPUTS}/agenda.toml",),
            files=(("agenda.toml", w.agenda_toml),),
        ),
        Spec(("retro", "start"), positionals=("December retro",)),
        Spec(("retro", "note", "add"), state="retro_write", positionals=("well", "Fewer false positives")),
        Spec(("retro", "vote"), state="retro_vote", positionals=(str(w.notes[1]),)),
        Spec(("retro", "unvote"), state="retro_voted", positionals=(str(w.voted_note),)),
        Spec(("retro", "theme", "add"), state="retro_group", positionals=("Tooling", str(w.notes[1]))),
        Spec(("retro", "phase"), state="retro_write", positionals=("group",)),
        Spec(
            ("retro", "action", "add"),
            state="retro_actions",
            positionals=("Automate phishing triage",),
            options=(("--owner", "bob"), ("--due", (w.today + timedelta(days=14)).isoformat())),
        ),
        Spec(("retro", "summary")),
        Spec(("retro", "status")),
        Spec(("report", "mix")),
    ]
    parsers = leaf_parsers(build_parser())
    return {s.path: replace(s, parser=parsers.get(s.path)) for s in listed}


COMMANDS = [
    (),
    ("init",),
    ("doctor",),
    *[("card", c) for c in ("add", "list", "show", "move", "edit", "rm")],
    ("column", "list"),
    ("column", "limit"),
    ("log",),
    ("export",),
    ("import",),
    ("backup",),
    ("restore",),
    ("now",),
    ("serve",),
    ("duty", "show"),
    ("duty", "person", "add"),
    ("duty", "rotation", "set"),
    *[("duty", "override", c) for c in ("add", "rm", "swap")],
    ("duty", "note"),
    ("duty", "import-ics"),
    ("duty", "export-ics"),
    *[("handshake", "topic", c) for c in ("add", "list", "defer")],
    *[("handshake", c) for c in ("start", "next", "prev", "pause", "resume", "extend", "end")],
    *[("handshake", c) for c in ("status", "minutes", "list", "note")],
    ("handshake", "agenda", "show"),
    ("handshake", "agenda", "set"),
    ("retro", "start"),
    ("retro", "note", "add"),
    ("retro", "vote"),
    ("retro", "unvote"),
    ("retro", "theme", "add"),
    ("retro", "phase"),
    ("retro", "action", "add"),
    ("retro", "summary"),
    ("retro", "status"),
    ("report", "mix"),
]


SERVING = {(), ("serve",)}  # valid, these run until stopped
# The commands whose valid invocation writes to the database (and so records who did it).
WRITES = {
    *[("card", c) for c in ("add", "move", "edit", "rm")],
    ("column", "limit"),
    ("import",),
    ("restore",),
    ("duty", "person", "add"),
    ("duty", "rotation", "set"),
    *[("duty", "override", c) for c in ("add", "rm", "swap")],
    ("duty", "note"),
    ("duty", "import-ics"),
    *[("handshake", "topic", c) for c in ("add", "defer")],
    *[("handshake", c) for c in ("start", "next", "prev", "pause", "resume", "extend", "end", "note")],
    ("handshake", "agenda", "set"),
    *[("retro", c) for c in ("start", "vote", "unvote", "phase")],
    *[("retro", c, "add") for c in ("note", "theme", "action")],
}


def command_id(path: tuple[str, ...]) -> str:
    return " ".join(path) or "console"


# ------------------------------------------------------------------------------------------ value strategies

SAFE = st.characters(codec="utf-8", exclude_categories=("Cc", "Cs", "Zl", "Zp", "Zs"))
CONTROLS = [chr(c) for c in (*range(1, 32), 0x7F, 0x85, 0x9B)]  # no NUL: an argv cannot hold one
LINE_ENDS = "\t\n\r"


def _is_int(text: str) -> bool:
    try:
        int(text)
    except ValueError:
        return False
    return True


def _parses(parser: Callable[[str], object], text: str) -> bool:
    try:
        parser(text.strip())
    except ValueError:
        return False
    return True


def word(min_size: int = 1, max_size: int = 12) -> st.SearchStrategy[str]:
    """Printable text with no whitespace at the ends that argparse will not mistake for an option."""
    return st.text(SAFE, min_size=min_size, max_size=max_size).filter(lambda s: not s.startswith("-"))


def with_control(*, allow_line_ends: bool = False) -> st.SearchStrategy[str]:
    """A control character inside otherwise good text (inside: stripping would remove it at the ends)."""
    controls = [c for c in CONTROLS if not (allow_line_ends and c in LINE_ENDS)]
    return st.builds(lambda a, c, b: f"{a}{c}{b}", word(1, 8), st.sampled_from(controls), word(1, 8))


def too_long(limit: int) -> st.SearchStrategy[str]:
    return st.integers(limit + 1, limit + 500).map(lambda n: ("triage" * (n // 6 + 1))[:n])


BLANK = st.sampled_from(["", " ", "   ", "\t", " \u3000 "])
NOT_INT = st.one_of(
    st.sampled_from(["", "abc", "1.5", "1e3", "0x1f", "one", "#3", "3a", "1,000"]),
    word(1, 6).filter(lambda s: not _is_int(s)),
)
NON_POSITIVE = st.integers(-(10**9), 0).map(str)
HUGE = st.integers(SQLITE_MAX + 1, 10**40).map(str)
UNKNOWN_ID = st.integers(10**6, SQLITE_MAX).map(str)
# Not "": an empty --at means "now" (`duty show`, `now`), an empty --from or --to is refused (below).
NOT_ISO_MOMENT = st.one_of(
    st.sampled_from(
        [
            "now",
            "tomorrow 9am",
            "2026-13-01T09:00",
            "2026-02-30T09:00",
            "2026-11-23T25:00",
            "23/11/2026 09:00",
            "2026-11-23T09:00+25:00",
            "T09:00",
        ]
    ),
    word(1, 10).filter(lambda s: not _parses(datetime.fromisoformat, s)),
)
EXTREME_MOMENT = st.one_of(
    st.sampled_from(["0001-01-01T00:00+01:00", "9999-12-31T23:59-01:00", "9999-12-31T23:00", "0001-01-01"]),
    st.datetimes(datetime(1, 1, 2), datetime(1969, 12, 30)).map(lambda d: d.isoformat(timespec="minutes")),
    st.datetimes(datetime(3000, 1, 2), datetime(9999, 12, 30)).map(lambda d: d.isoformat(timespec="minutes")),
)
NOT_ISO_DATE = st.one_of(
    st.sampled_from(["", "2026-13-01", "2026-02-30", "tomorrow", "01/12/2026", "2026-12-01T09:00"]),
    word(1, 10).filter(lambda s: not _parses(date.fromisoformat, s)),
)
EXTREME_DATE = st.one_of(
    st.sampled_from(["0001-01-01", "1969-12-31", "3000-01-01", "9999-12-31"]),
    st.dates(date(1, 1, 1), date(1969, 12, 31)).map(date.isoformat),
    st.dates(date(3000, 1, 1), date(9999, 12, 31)).map(date.isoformat),
)
BAD_USER = st.one_of(with_control(allow_line_ends=False), too_long(100))
ROLE_NAMES = {r.value for r in Role}


def unknown(known: Sequence[str], pattern: str = r"[A-Za-z][A-Za-z0-9 ]{0,14}") -> st.SearchStrategy[str]:
    """A name that is none of ``known`` (compared as socdesk compares: trimmed, ignoring case)."""
    taken = {k.strip().casefold() for k in known}
    return st.from_regex(pattern, fullmatch=True).filter(
        lambda s: s.strip() != "" and s.strip().casefold() not in taken
    )


def stale(actual: int) -> st.SearchStrategy[str]:
    return st.integers(1, 10**6).filter(lambda v: v != actual).map(str)


def frag(value: str, *fragments: str) -> tuple[str, ...]:
    return tuple(f.replace("{}", value) for f in fragments)


# ------------------------------------------------------------------------------------------- case strategies

Strategies = list[st.SearchStrategy[Case]]


def at_position(spec: Spec, index: int, values: st.SearchStrategy[str], code: int, *fragments: str) -> Any:
    return values.map(lambda v: spec.case(spec.with_positional(index, v), code, *frag(v, *fragments)))


def at_option(spec: Spec, flag: str, values: st.SearchStrategy[str], code: int, *fragments: str) -> Any:
    return values.map(lambda v: spec.case(spec.with_option(flag, v), code, *frag(v, *fragments)))


def in_state(spec: Spec, state: str, *fragments: str) -> st.SearchStrategy[Case]:
    return st.just(spec.case(spec.argv(), 1, *fragments, state=state))


def as_bad_user(spec: Spec) -> st.SearchStrategy[Case]:
    return BAD_USER.map(lambda u: spec.case(spec.argv(extra=[f"--user={u}"]), 1, "user"))


def an_id(spec: Spec, index: int, what: str = "") -> Strategies:
    """A positional id that is not a whole number, not positive, beyond SQLite, or nobody's."""
    return [
        at_position(spec, index, NOT_INT, 2),
        at_position(spec, index, NON_POSITIVE, 2, "at least 1"),
        at_position(spec, index, HUGE, 2, "at most"),
        at_position(spec, index, UNKNOWN_ID, 1, *(["{}", what] if what else ["{}"])),
    ]


def if_version(spec: Spec, actual: int) -> Strategies:
    return [
        at_option(spec, "--if-version", stale(actual), 1, "you had version {}"),
        at_option(spec, "--if-version", st.one_of(NOT_INT, NON_POSITIVE, HUGE), 2, "--if-version"),
    ]


def title_like(spec: Spec, put: Callable[[str], tuple[str, ...]], limit: int, name: str) -> Strategies:
    """Blank, control characters, or over ``limit`` characters: refused naming ``name``."""
    return [
        values.map(lambda v: spec.case(put(v), 1, name))
        for values in (BLANK, with_control(), too_long(limit))
    ]


def generic(spec: Spec) -> Strategies:
    """What argparse refuses (exit 2) for any command: derived from the command's own parser."""
    parser = spec.parser
    assert parser is not None, spec.path
    options = [o for a in parser._actions for o in a.option_strings]
    unknown_flag = st.from_regex(r"--[a-z][a-z0-9-]{1,14}", fullmatch=True).filter(
        lambda f: not any(o.startswith(f) for o in options)
    )
    found: Strategies = [
        st.builds(
            lambda f, value: spec.case(spec.argv(extra=[f if value is None else f"{f}={value}"]), 2, f),
            unknown_flag,
            st.none() | word(1, 5),
        ),
        st.just(spec.case(spec.argv(extra=["surplus"]), 2)),
    ]
    valued = [
        a.option_strings[-1]
        for a in parser._actions
        if isinstance(a, argparse._StoreAction | argparse._AppendAction) and a.option_strings
    ]
    valued = [o for o in valued if o.startswith("--")]
    if valued:
        found.append(
            st.sampled_from(valued).map(lambda o: spec.case(spec.argv(extra=[o]), 2, "expected one argument"))
        )
    required = [a for a in parser._actions if a.required and a.option_strings]
    for action in required:
        flag = next(o for o in action.option_strings if o.startswith("--"))
        found.append(st.just(spec.case(spec.without_option(flag), 2, "required", flag)))
    for index in range(len(spec.positionals)):
        rest = [p for i, p in enumerate(spec.positionals) if i != index]
        found.append(st.just(spec.case(spec.argv(positionals=rest), 2)))
    return found


def card_fields(spec: Spec, w: World) -> Strategies:
    """The card fields `card add` and `card edit` share."""
    types = [t.value for t in WorkType]
    return [
        at_option(spec, "--type", unknown(types), 1, "type"),
        at_option(spec, "--priority", unknown([p.value for p in Priority]), 1, "priority"),
        at_option(spec, "--kind", unknown([k.value for k in Kind]), 1, "kind"),
        at_option(spec, "--assignee", unknown(w.handles, r"[a-z][a-z0-9]{2,10}"), 1, "{}"),
        at_option(spec, "--assignee", st.sampled_from(["Bob", "bob smith", "bob!", "x" * 33]), 1, "assignee"),
        at_option(spec, "--description", with_control(allow_line_ends=True), 1, "description"),
        at_option(spec, "--description", too_long(20_000), 1, "description"),
        at_option(
            spec, "--label", st.one_of(st.sampled_from(["", "a,b", "two words"]), too_long(40)), 1, "labels"
        ),
    ]


def period_cases(spec: Spec, w: World) -> list[Any]:
    """`--from`/`--to` of a period (retro start, report mix): not a date, out of range, or reversed."""
    return [
        at_option(spec, "--from", NOT_ISO_DATE, 1, "--from"),
        at_option(spec, "--to", NOT_ISO_DATE, 1, "--to"),
        at_option(spec, "--from", EXTREME_DATE, 1, "out of range"),
        at_option(spec, "--to", EXTREME_DATE, 1, "out of range"),
        st.integers(1, 300).map(
            lambda d: spec.case(
                spec.argv(
                    options=[
                        ("--from", (w.today + timedelta(days=d)).isoformat()),
                        ("--to", w.today.isoformat()),
                    ]
                ),
                1,
                "before it starts",
            )
        ),
    ]


def record_cases(spec: Spec, noun: str, file: str) -> list[Any]:
    """`handshake minutes [ID]` and `retro summary [ID]`: a bad or unknown id, format or output."""
    return [
        NOT_INT.filter(lambda s: s != "").map(lambda v: spec.case(spec.argv(positionals=[v]), 2)),
        st.one_of(NON_POSITIVE, HUGE).map(lambda v: spec.case(spec.argv(positionals=[v]), 2)),
        UNKNOWN_ID.map(lambda v: spec.case(spec.argv(positionals=[v]), 1, f"no {noun} with id {v}")),
        at_option(spec, "--format", unknown(["md", "json"]), 2, "--format"),
        at_option(
            spec, "--output", st.sampled_from([f"{INPUTS}/no/such/dir/{file}", INPUTS]), 1, "cannot write"
        ),
    ]


def specific(spec: Spec, w: World) -> Strategies:
    path = spec.path
    full = st.sampled_from(w.full_columns)
    column_names = list(w.columns)
    theme_names = [t.name for t in load_themes(packaged_themes_dir())[0]]
    if path == ():
        return [
            st.just(spec.case(["--cycle=5"], 1, "--wallboard")),
            st.one_of(NOT_INT, NON_POSITIVE, HUGE).map(
                lambda v: spec.case(["--wallboard", f"--cycle={v}"], 2, "--cycle")
            ),
            unknown(theme_names, r"[a-z][a-z0-9-]{0,20}").map(
                lambda v: spec.case([f"--theme={v}"], 1, "no theme named")
            ),
        ]
    if path == ("init",):
        return [
            st.from_regex(r"nosuchgroup[a-z0-9]{1,8}", fullmatch=True).map(
                lambda g: spec.case(spec.with_option("--shared", g), 1, g)
            ),
        ]
    if path == ("card", "add"):
        return [
            *card_fields(spec, w),
            *title_like(spec, lambda v: spec.with_positional(0, v), 200, "title"),
            at_option(spec, "--column", unknown(column_names), 1, "no column named"),
            full.map(lambda c: spec.case(spec.with_option("--column", c), 1, f"{c} is", "WIP limit")),
            full.map(
                lambda c: spec.case(
                    spec.argv(options=[*spec.options, ("--column", c), ("--force", None)]),
                    1,
                    "needs a reason",
                )
            ),
            word().map(lambda r: spec.case(spec.with_option("--reason", r), 1, "--reason", "--force")),
        ]
    if path == ("card", "list"):
        return [
            at_option(spec, "--type", unknown([t.value for t in WorkType]), 1, "type"),
            at_option(spec, "--column", unknown(column_names), 1, "no column named"),
        ]
    if path == ("card", "show"):
        return [*an_id(spec, 0, "no card")]
    if path == ("card", "move"):
        card = int(spec.positionals[0])
        return [
            *an_id(spec, 0, "no card"),
            at_option(spec, "--to", unknown(column_names), 1, "no column named"),
            full.map(lambda c: spec.case(spec.with_option("--to", c), 1, "WIP limit")),
            full.map(
                lambda c: spec.case(spec.argv(options=[("--to", c), ("--force", None)]), 1, "needs a reason")
            ),
            word().map(lambda r: spec.case(spec.with_option("--reason", r), 1, "--reason", "--force")),
            *if_version(spec, w.cards[card][1]),
        ]
    if path == ("card", "edit"):
        card = int(spec.positionals[0])
        return [
            *an_id(spec, 0, "no card"),
            *card_fields(spec, w),
            *title_like(spec, lambda v: spec.with_option("--title", v), 200, "title"),
            st.just(spec.case(spec.argv(options=[]), 1, "nothing to change")),
            *if_version(spec, w.cards[card][1]),
        ]
    if path == ("card", "rm"):
        card = int(spec.positionals[0])
        return [*an_id(spec, 0, "no card"), *if_version(spec, w.cards[card][1])]
    if path == ("column", "limit"):
        return [
            at_position(spec, 0, unknown(column_names), 1, "no column named"),
            at_position(
                spec,
                1,
                st.one_of(
                    NON_POSITIVE, NOT_INT.filter(lambda s: s.strip().casefold() not in {"", "none", "-"})
                ),
                2,
            ),
            at_position(spec, 1, HUGE, 2, "at most"),
            *if_version(spec, w.columns["Backlog"]),
        ]
    if path == ("log",):
        return [
            at_option(spec, "--limit", st.one_of(NOT_INT, NON_POSITIVE), 2, "--limit"),
            at_option(spec, "--limit", HUGE, 2, "at most"),
        ]
    if path == ("export",):
        return [
            at_option(
                spec,
                "--output",
                st.sampled_from([f"{INPUTS}/no/such/dir/out.json", INPUTS]),
                1,
                "cannot write",
            ),
        ]
    if path == ("import",):
        good = w.export_json
        return [
            st.just(spec.case(spec.argv(), 1, "needs an empty database", state="sample")),
            st.just(spec.case(spec.with_positional(0, f"{INPUTS}/missing.json"), 1, "cannot read")),
            st.just(spec.case(spec.with_positional(0, INPUTS), 1, "cannot read")),
            st.just(spec.case(spec.argv(), 1, "cannot read", files=(("export.json", b"\xff\xfe" + good),))),
            st.integers(0, len(good) - 3).map(
                lambda n: spec.case(spec.argv(), 1, "not valid JSON", files=(("export.json", good[:n]),))
            ),
            st.binary(max_size=40)
            .filter(lambda b: not b.strip().startswith(b"{"))
            .map(lambda b: spec.case(spec.with_positional(0, "-"), 1, stdin=b)),
        ]
    if path == ("backup",):
        return [
            st.just(
                spec.case(
                    spec.with_positional(0, f"{INPUTS}/taken.db"),
                    1,
                    "already exists",
                    files=(("taken.db", b"an older backup"),),
                )
            ),
            st.just(spec.case(spec.with_positional(0, INPUTS), 1, "is a directory")),
            st.just(spec.case(spec.with_positional(0, f"{INPUTS}/no/such/dir/b.db"), 1, "does not exist")),
            in_state(spec, "absent", "no database at"),
        ]
    if path == ("restore",):
        sample = w.templates["backup"]
        return [
            in_state(spec, "sample", "already exists"),
            st.just(spec.case(spec.with_positional(0, f"{INPUTS}/missing.db"), 1, "no backup at")),
            st.just(spec.case(spec.with_positional(0, INPUTS), 1, "no backup at")),
            st.binary(max_size=200)
            .filter(lambda b: not b.startswith(b"SQLite format 3"))
            .map(lambda b: spec.case(spec.argv(), 1, "not an SQLite database", files=(("backup.db", b),))),
            st.integers(100, len(sample) - 4096).map(
                lambda n: spec.case(spec.argv(), 1, files=(("backup.db", sample[:n]),))
            ),
            st.just(
                spec.case(
                    spec.argv(), 1, "not a socdesk database", files=(("backup.db", w.templates["foreign"]),)
                )
            ),
            st.just(spec.case(spec.argv(), 1, "newer", files=(("backup.db", w.templates["newer_backup"]),))),
        ]
    if path == ("now",):
        return [
            at_option(spec, "--at", NOT_ISO_MOMENT, 1, "ISO date-time"),
            at_option(spec, "--at", EXTREME_MOMENT, 1, "out of range"),
        ]
    if path == ("serve",):
        # On a port the test holds: should a check ever stop refusing, the server fails to listen
        # (a wrong message, so a failing test) instead of serving forever.
        held = f"--port={HELD_PORT}"
        return [
            st.one_of(NOT_INT, NON_POSITIVE, st.integers(65536, 10**9).map(str)).map(
                lambda p: spec.case([*path, f"--port={p}"], 2, "--port")
            ),
            st.sampled_from(["0.0.0.0", "::", "10.1.2.3", "soc-host.example.org", "192.168.1.20"]).map(
                lambda h: spec.case([*path, held, f"--host={h}"], 1, "--public")
            ),
            st.just(spec.case([*path, held, "--cycle=5"], 1, "--wallboard")),
            st.one_of(NOT_INT, NON_POSITIVE).map(
                lambda v: spec.case([*path, "--wallboard", f"--cycle={v}"], 2, "--cycle")
            ),
            unknown(theme_names, r"[a-z][a-z0-9-]{0,20}").map(
                lambda v: spec.case([*path, held, f"--theme={v}"], 1, "no theme named")
            ),
        ]
    if path == ("duty", "show"):
        return [
            at_option(spec, "--at", NOT_ISO_MOMENT, 1, "ISO date-time"),
            at_option(spec, "--at", EXTREME_MOMENT, 1, "out of range"),
            at_option(spec, "--weeks", st.one_of(NOT_INT, NON_POSITIVE), 2, "--weeks"),
            at_option(spec, "--weeks", st.one_of(st.integers(521, 10**6).map(str), HUGE), 2, "at most"),
        ]
    if path == ("duty", "person", "add"):
        return [
            at_position(spec, 0, st.sampled_from(w.handles), 1, "already exists"),
            at_position(spec, 0, st.sampled_from(["Zed", "zed smith", "zed!", "z" * 33, ""]), 1, "handle"),
            *title_like(spec, lambda v: spec.with_option("--name", v), 100, "name"),
            at_option(
                spec, "--email", st.sampled_from(["zed", "zed@", "@example.org", "z ed@x.org"]), 1, "email"
            ),
            at_option(spec, "--role", unknown(sorted(ROLE_NAMES)), 1, "unknown role"),
        ]
    if path == ("duty", "rotation", "set"):
        return [
            at_position(spec, 0, unknown(sorted(ROLE_NAMES)), 1, "unknown role"),
            unknown(w.handles, r"[a-z][a-z0-9]{2,10}").map(
                lambda h: spec.case(spec.with_option("--members", f"bob,{h}"), 1, h)
            ),
            at_option(spec, "--members", st.sampled_from(["", ",", " , "]), 1, "members"),
            at_option(spec, "--members", st.sampled_from(["bob,bob", "bob,dan,bob"]), 1, "twice"),
            at_option(
                spec,
                "--length",
                st.sampled_from(["", "0d", "0h", "abc", "7", "-7d", "29d", "99999h", "7w"]),
                1,
            ),
            at_option(
                spec,
                "--handover",
                st.sampled_from(["", "someday 09:00", "mon 25:00", "mon 9", "09:60", "mon tue 09:00"]),
                1,
            ),
            at_option(
                spec,
                "--tz",
                st.sampled_from(["Mars/Olympus_Mons", "GMT+25", "", "../etc/passwd", "Europe/"]),
                1,
                "time zone",
            ),
            at_option(spec, "--start", NOT_ISO_DATE, 1, "--start"),
            at_option(spec, "--start", EXTREME_DATE, 1, "out of range"),
            *if_version(spec, w.rotation_version),
        ]
    if path == ("duty", "override", "add"):
        start = spec.options[0][1]
        assert start is not None
        return [
            at_position(spec, 0, unknown(sorted(ROLE_NAMES)), 1, "unknown role"),
            at_position(spec, 1, unknown(w.handles, r"[a-z][a-z0-9]{2,10}"), 1, "{}"),
            at_option(spec, "--from", NOT_ISO_MOMENT | st.just(""), 1, "ISO date-time"),
            at_option(spec, "--to", NOT_ISO_MOMENT | st.just(""), 1, "ISO date-time"),
            at_option(spec, "--from", EXTREME_MOMENT, 1, "out of range"),
            at_option(spec, "--to", EXTREME_MOMENT, 1, "out of range"),
            st.integers(0, 10**5).map(
                lambda m: spec.case(
                    spec.with_option(
                        "--to", iso_minutes(datetime.fromisoformat(start) - timedelta(minutes=m))
                    ),
                    1,
                    "must end after it starts",
                )
            ),
            st.integers(367, 3000).map(
                lambda d: spec.case(
                    spec.with_option("--to", iso_minutes(datetime.fromisoformat(start) + timedelta(days=d))),
                    1,
                    "at most a year",
                )
            ),
            at_option(spec, "--reason", st.one_of(with_control(), too_long(200)), 1, "reason"),
        ]
    if path == ("duty", "override", "rm"):
        return [*an_id(spec, 0, "no override"), *if_version(spec, w.overrides[int(spec.positionals[0])])]
    if path == ("duty", "override", "swap"):
        return [
            at_position(spec, 0, unknown(sorted(ROLE_NAMES)), 1, "unknown role"),
            at_option(spec, "--at", NOT_ISO_MOMENT | st.just(""), 1, "ISO date-time"),
            at_option(spec, "--with", NOT_ISO_MOMENT | st.just(""), 1, "ISO date-time"),
            at_option(spec, "--with", EXTREME_MOMENT, 1, "out of range"),
            st.just(spec.case(spec.with_option("--with", iso_minutes(w.swap[0])), 1, "nothing to swap")),
        ]
    if path == ("duty", "note"):
        return [
            at_position(spec, 0, unknown(sorted(ROLE_NAMES)), 1, "unknown role"),
            at_position(spec, 1, BLANK, 1, "text"),
            at_position(spec, 1, with_control(allow_line_ends=True), 1, "control characters"),
            at_position(spec, 1, too_long(5000), 1, "5000"),
        ]
    if path == ("duty", "import-ics"):
        return [
            at_option(spec, "--role", unknown(sorted(ROLE_NAMES)), 1, "unknown role"),
            st.just(spec.case(spec.with_positional(0, f"{INPUTS}/missing.ics"), 1, "cannot read")),
            st.just(spec.case(spec.with_positional(0, INPUTS), 1, "cannot read")),
            st.just(
                spec.case(
                    spec.argv(),
                    1,
                    "nobody we know",
                    files=(("shifts.ics", valid_calendar(w.now, "mallory@evil.example", "Mallory")),),
                )
            ),
            st.binary(max_size=60).map(
                lambda b: spec.case(spec.with_positional(0, "-"), 1, "not an iCalendar file", stdin=b)
            ),
        ]
    if path == ("duty", "export-ics"):
        return [
            at_option(spec, "--role", unknown(sorted(ROLE_NAMES)), 1, "unknown role"),
            at_option(spec, "--weeks", st.one_of(NOT_INT, NON_POSITIVE), 2, "--weeks"),
            at_option(spec, "--weeks", st.one_of(st.integers(521, 10**6).map(str), HUGE), 2, "at most"),
            at_option(
                spec,
                "--output",
                st.sampled_from([f"{INPUTS}/no/such/dir/duty.ics", INPUTS]),
                1,
                "cannot write",
            ),
        ]
    if path == ("handshake", "topic", "add"):
        return [*title_like(spec, lambda v: spec.with_positional(0, v), 300, "text")]
    if path == ("handshake", "topic", "defer"):
        return [
            *an_id(spec, 0, "no topic"),
            st.sampled_from(w.taken_topics).map(
                lambda t: spec.case(spec.with_positional(0, str(t)), 1, "taken up by handshake")
            ),
        ]
    if path == ("handshake", "start"):
        return [in_state(spec, "meeting", "already running")]
    if path in {("handshake", c) for c in ("next", "pause", "end")}:
        found = [in_state(spec, "sample", "no handshake is running")]
        if path[1] == "pause":
            found.append(in_state(spec, "meeting_paused", "already paused"))
        if path[1] == "end":
            found.append(
                st.sampled_from(
                    [
                        "[handshake\n",
                        "handshake = 3\n",
                        "[handshake]\nbell = 'yes'\n",
                        "[handshake]\nwiki = 1\n",
                        "[handshake]\npublish_command = ''\n",
                        "[handshake]\nminutes_dir = 3\n",
                    ]
                ).map(lambda text: spec.case(spec.argv(), 1, "config.toml", config=text))
            )
        return found
    if path == ("handshake", "prev"):
        return [in_state(spec, "meeting", "first section"), in_state(spec, "sample", "no handshake")]
    if path == ("handshake", "resume"):
        return [in_state(spec, "meeting", "not paused"), in_state(spec, "sample", "no handshake")]
    if path == ("handshake", "extend"):
        return [
            at_position(
                spec,
                0,
                st.one_of(st.integers(-(10**6), 0), st.integers(31, 10**40)).map(str),
                1,
                "extend by 1 to 30",
            ),
            at_position(spec, 0, NOT_INT, 2, "MINUTES"),
            in_state(spec, "sample", "no handshake"),
        ]
    if path == ("handshake", "minutes"):
        return record_cases(spec, "handshake", "m.md")
    if path == ("handshake", "note"):
        return [
            *title_like(spec, lambda v: spec.with_positional(0, v), 5000, "note"),
            in_state(spec, "sample", "no handshake is running"),
        ]
    if path == ("handshake", "agenda", "set"):
        return [
            st.just(spec.case(spec.with_positional(0, f"{INPUTS}/missing.toml"), 1, "cannot read")),
            st.just(
                spec.case(spec.argv(), 1, "cannot read", files=(("agenda.toml", b"\xff" + w.agenda_toml),))
            ),
            st.just(spec.case(spec.argv(), 1, "not valid TOML", files=(("agenda.toml", b"[[section]\n"),))),
            st.integers(61, 10**6).map(
                lambda n: spec.case(
                    spec.argv(),
                    1,
                    "minutes",
                    files=(("agenda.toml", f'[[section]]\ntitle = "All"\nminutes = {n}\n'.encode()),),
                )
            ),
        ]
    if path == ("retro", "start"):
        return [
            *title_like(spec, lambda v: spec.with_positional(0, v), 200, "title"),
            at_option(
                spec,
                "--votes",
                st.one_of(st.integers(-(10**6), 0), st.integers(21, 10**40)).map(str),
                1,
                "vote_budget",
            ),
            at_option(spec, "--votes", NOT_INT, 2, "--votes"),
            *period_cases(spec, w),
            st.integers(367, 5000).map(
                lambda d: spec.case(
                    spec.argv(
                        options=[
                            ("--from", (w.today - timedelta(days=d)).isoformat()),
                            ("--to", w.today.isoformat()),
                        ]
                    ),
                    1,
                    "at most 366 days",
                )
            ),
            at_option(spec, "--objectives", with_control(allow_line_ends=True), 1, "objectives"),
            in_state(spec, "retro_write", "still open"),
        ]
    if path == ("retro", "note", "add"):
        return [
            at_position(spec, 0, unknown([c.value for c in NoteColumn]), 1, "unknown column"),
            *title_like(spec, lambda v: spec.with_positional(1, v), 500, "text"),
            in_state(spec, "sample", "no retro is open"),
            in_state(spec, "retro_vote", "phase"),
        ]
    if path == ("retro", "vote"):
        return [
            *an_id(spec, 0, "no note"),
            UNKNOWN_ID.map(lambda v: spec.case(spec.argv(positionals=[v], extra=["--theme"]), 1, "no theme")),
            in_state(spec, "retro_write", "phase"),
            in_state(spec, "sample", "no retro is open"),
        ]
    if path == ("retro", "unvote"):
        return [
            *an_id(spec, 0, "no note"),
            st.sampled_from(w.notes[1:]).map(
                lambda n: spec.case(spec.with_positional(0, str(n)), 1, "you have no vote")
            ),
            in_state(spec, "retro_vote", "you have no vote"),
        ]
    if path == ("retro", "theme", "add"):
        return [
            *an_id(spec, 1, "no note"),
            *title_like(spec, lambda v: spec.with_positional(0, v), 80, "theme name"),
            st.sampled_from(list(w.themes)).map(
                lambda t: spec.case(spec.with_positional(0, t), 1, "already has a theme")
            ),
            in_state(spec, "retro_write", "phase"),
        ]
    if path == ("retro", "phase"):
        return [
            at_position(spec, 0, unknown([p.value for p in Phase]), 1, "unknown phase"),
            word().map(lambda t: spec.case(spec.argv(extra=[f"--notes={t}"]), 1, "closing notes")),
            st.sampled_from(["bob", "alice"]).map(
                lambda u: spec.case(spec.argv(extra=[f"--user={u}"]), 1, "only the facilitator")
            ),
            in_state(spec, "sample", "no retro is open"),
        ]
    if path == ("retro", "action", "add"):
        return [
            at_option(spec, "--owner", unknown(w.handles, r"[a-z][a-z0-9]{2,10}"), 1, "{}"),
            at_option(spec, "--owner", st.sampled_from(["Bob", "bob smith", ""]), 1, "owner"),
            at_option(spec, "--due", NOT_ISO_DATE, 1, "--due"),
            at_option(spec, "--due", EXTREME_DATE, 1, "out of range"),
            st.integers(1, 3000).map(
                lambda d: spec.case(
                    spec.with_option("--due", (w.today - timedelta(days=d)).isoformat()), 1, "in the past"
                )
            ),
            at_option(spec, "--type", unknown([t.value for t in WorkType]), 1, "type"),
            *title_like(spec, lambda v: spec.with_positional(0, v), 200, "text"),
            in_state(spec, "retro_write", "phase"),
        ]
    if path == ("retro", "summary"):
        return record_cases(spec, "retro", "s.md")
    if path == ("report", "mix"):
        return [
            *period_cases(spec, w),
            at_option(spec, "--format", unknown(["table", "md", "json"]), 2, "--format"),
        ]
    return []  # nothing of its own to get wrong: its flags (generic) only


# -------------------------------------------------------------------------------------------------- tests


def test_every_command_has_bad_input_cases(world: World) -> None:
    """Enumerated from the parser: a command added later without cases here fails this test."""
    parsed = set(leaf_parsers(build_parser()))
    assert parsed == set(COMMANDS), (
        f"commands without bad-input cases: {sorted(parsed - set(COMMANDS))}; "
        f"cases for commands that are gone: {sorted(set(COMMANDS) - parsed)}"
    )
    assert set(specs(world)) == parsed
    assert len(parsed) >= 50


@pytest.mark.parametrize("path", [p for p in COMMANDS if p not in SERVING], ids=command_id)
def test_every_base_invocation_is_valid(path: tuple[str, ...], bench: Bench, world: World) -> None:
    """The invocation each command's cases start from really succeeds, so the one thing a case makes
    wrong is what it is refused for. (The console and `serve` are left out: valid, they run until
    stopped; none of their cases gets past the checks made before they start.)"""
    spec = specs(world)[path]
    case = spec.case(spec.argv(), 0)
    before = bench.prepare(case)["database"]
    outcome = bench.run(case)
    assert outcome.crash is None and outcome.code == 0, outcome.describe()
    after = db_bytes(bench.db)
    assert after.companions == (), "a command left -wal/-shm behind"
    # Reads leave every byte as it was; writes change the file (the WRITES table is right).
    assert (after.main != before.main) == (path in WRITES), outcome.describe()


@pytest.mark.parametrize("path", COMMANDS, ids=command_id)
def test_bad_arguments_are_refused_and_nothing_is_written(
    path: tuple[str, ...], bench: Bench, world: World
) -> None:
    spec = specs(world)[path]
    kinds = generic(spec) + specific(spec, world) + ([as_bad_user(spec)] if path in WRITES else [])

    @settings(
        max_examples=max(10, 3 * len(kinds) // 2),  # each kind of mistake about 1.5 times
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    @given(case=st.one_of(*kinds))
    def refused(case: Case) -> None:
        bench.check(case)

    refused()


def test_now_refuses_alike_on_its_fast_path_and_in_the_full_cli(bench: Bench) -> None:
    """`socdesk now` runs through now.main, not cli.main; both must refuse the same way."""
    for argv, code in (
        (("now", "--at=yesterday"), 1),
        (("now", "--at=0001-01-01T00:00+01:00"), 1),
        (("now", "--bogus"), 2),
        (("now", "--at"), 2),
    ):
        case = Case(argv, code)
        fast = bench.check(case, entry=True)
        full = bench.check(case, entry=False)
        assert (fast.code, fast.out) == (full.code, full.out)
        if code == 1:
            assert fast.err == full.err


def test_now_takes_now_as_an_option_value(bench: Bench) -> None:
    """The fast path removed every word "now" from argv, so `--at now` lost its value (exit 2)."""
    outcome = bench.check(Case(("now", "--at", "now"), 1, fragments=("'now' is not an ISO date-time",)))
    assert outcome.code == 1


@pytest.mark.parametrize(
    ("argv", "code"),
    [
        (("card", "show", "99999999999999999999999"), 2),
        (("card", "add", "Phish", "--type=sales"), 1),
        (("now", "--at=tomorrow 9am"), 1),
        (("frobnicate",), 2),
        (("duty", "import-ics", "-", "--role=analyst"), 1),
        (("--user=ev\x1bil", "card", "add", "Phish", "--type=unplanned"), 1),
        (("export", f"--output={INPUTS}/missing/dir/out.json"), 1),
    ],
    ids=lambda value: " ".join(value)[:40] if isinstance(value, tuple) else str(value),
)
def test_the_real_command_answers_like_the_in_process_one(
    argv: tuple[str, ...], code: int, bench: Bench, socdesk: Any
) -> None:
    """Cross-check: the `socdesk` script in a subprocess gives the same exit code and output, byte for
    byte, and leaves the database and the inputs as the in-process run does: unchanged."""
    stdin = "BEGIN:NOTHING\n"
    case = Case(argv, code, stdin=stdin.encode())
    inside = bench.check(case)
    before = bench.prepare(case)
    real = socdesk(*bench.argv(case), stdin=stdin, user=ACTOR, db=bench.db)
    assert (real.returncode, real.stdout, real.stderr) == (inside.code, inside.out, inside.err)
    assert bench.snapshot() == before


def test_the_byte_snapshot_sees_every_write_and_nothing_else(bench: Bench) -> None:
    """What "byte-for-byte unchanged" rests on, checked on a real file (see bad_input_helpers)."""
    bench.prepare(Case((), 0))
    template = db_bytes(bench.db)
    assert template.companions == ()
    # A read opens the file in WAL mode and closes it: the main file keeps every byte, no companions.
    assert run_cli(["card", "list", "--json"]).code == 0
    assert db_bytes(bench.db) == template
    # A refusal inside the write lock (BEGIN IMMEDIATE, then ROLLBACK): the same.
    refused = run_cli(["card", "add", "One too many", "--type=unplanned", "--column=In Progress"])
    assert refused.code == 1 and "WIP limit" in refused.err
    assert db_bytes(bench.db) == template
    # While a connection is open the WAL's companions exist, so a leftover connection would show.
    conn = sqlite3.connect(bench.db)
    try:
        conn.execute("SELECT count(*) FROM cards").fetchone()
        assert db_bytes(bench.db).companions == ("-wal", "-shm")
    finally:
        conn.close()
    assert db_bytes(bench.db) == template
    # A committed write changes the main file once the last connection closes.
    assert run_cli(["card", "add", "Checked", "--type=business"]).code == 0
    after = db_bytes(bench.db)
    assert after.companions == () and after.main != template.main
