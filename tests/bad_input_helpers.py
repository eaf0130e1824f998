"""What the bad-input tests share: the database states, a byte snapshot, an in-process CLI run, the contract.

**What "byte-for-byte unchanged" means in WAL mode.** socdesk keeps its file in WAL mode. While a
connection is open, SQLite keeps ``NAME-wal`` (committed pages not yet copied back) and ``NAME-shm``
(the WAL's index) beside the database; when the *last* connection closes, SQLite checkpoints the WAL
into the main file and deletes both. A CLI command closes its store before ``main`` returns and nothing
else holds the file during these tests, so a finished command leaves exactly one file. The claim tested
is therefore: after a refused command the main file has the same bytes as before *and* neither
``-wal`` nor ``-shm`` exists (as before). The main file alone would not do: a command that committed
and left a connection open would have its change only in ``-wal``. The companions' own bytes are not
compared: they are SQLite's scratch (the index is rebuilt by whoever opens next), only their presence
says anything. ``test_bad_input.py::test_the_byte_snapshot_sees_every_write_and_nothing_else`` checks
these facts on a real file: a read and a refused write (BEGIN IMMEDIATE, then ROLLBACK) leave the bytes
identical, an open connection shows up as ``-wal``/``-shm``, a committed write changes the main file.
Every state a test starts from is a template captured with all connections closed (``_template``).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import shutil
import sqlite3
import sys
import traceback
from collections.abc import Callable, Iterator, Sequence
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from socdesk.domain.duty import Role, holder_shift
from socdesk.domain.models import Person
from socdesk.domain.retro import NoteColumn, Phase, RetroDraft
from socdesk.domain.timer import Act
from socdesk.store import open_store
from socdesk.store.migrations import MIGRATIONS_TABLE

COMPANIONS = ("-wal", "-shm")
# The team tests/fixtures/ics name (as in test_duty_ics.py): the "ics_team" state holds them.
ICS_PEOPLE = (
    Person(handle="alice", name="Alice Ng", email="alice@example.org"),
    Person(handle="bob", name="Bob Ruiz", email="bob@example.org"),
    Person(handle="carol", name="Carol Diaz", email="carol.diaz@example.org"),
    Person(handle="dan", name="Dan Okafor"),
)
ACTOR = "tester"
INPUTS = "@IN"  # in an argv: the per-example directory holding the case's input files
HELD_PORT = "@PORT"


@dataclass(frozen=True)
class DbBytes:
    """A database as it lies on disk: the main file's bytes and which companions exist."""

    main: bytes | None
    companions: tuple[str, ...]

    def __repr__(self) -> str:  # keep pytest's diff readable: 400 KB of bytes help nobody
        size = "absent" if self.main is None else f"{len(self.main)} bytes"
        return f"DbBytes(main={size}, companions={self.companions})"


def db_bytes(path: Path) -> DbBytes:
    main = path.read_bytes() if path.is_file() else None
    present = tuple(suffix for suffix in COMPANIONS if Path(f"{path}{suffix}").exists())
    return DbBytes(main, present)


def tree(directory: Path) -> dict[str, bytes | None]:
    """Every file and directory under ``directory`` (relative path -> bytes; None for a directory)."""
    found: dict[str, bytes | None] = {}
    if not directory.exists():
        return found
    for root, dirs, files in os.walk(directory):
        for name in dirs:
            found[os.path.relpath(os.path.join(root, name), directory)] = None
        for name in files:
            full = Path(root, name)
            found[os.path.relpath(full, directory)] = full.read_bytes()
    return found


def integrity(path: Path) -> str:
    """``PRAGMA integrity_check`` on the file (``ok`` when sound), through a connection closed at once."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return str(conn.execute("PRAGMA integrity_check").fetchone()[0])
    finally:
        conn.close()


@dataclass(frozen=True)
class Outcome:
    argv: tuple[str, ...]
    code: int
    out: str
    err: str
    crash: str | None = None
    """The traceback when ``main`` raised instead of returning or exiting: always a bug."""

    def describe(self) -> str:
        return (
            f"socdesk {' '.join(repr(a) if not a.isprintable() or ' ' in a else a for a in self.argv)[:600]}"
            f"\nexit {self.code}\nstdout: {self.out[:800]!r}\nstderr: {self.err[:800]!r}"
            + (f"\n{self.crash}" if self.crash else "")
        )


class _Stream(io.TextIOWrapper):
    """A text stream with a ``.buffer`` (``export-ics`` writes bytes), as a terminal's would have."""

    def __init__(self, data: bytes = b"") -> None:
        super().__init__(io.BytesIO(data), encoding="utf-8", errors="backslashreplace", newline="")

    def text(self) -> str:
        self.flush()
        raw = self.buffer
        assert isinstance(raw, io.BytesIO)
        return raw.getvalue().decode("utf-8", errors="backslashreplace")


@contextlib.contextmanager
def _stdin(data: bytes) -> Iterator[None]:
    saved = sys.stdin
    sys.stdin = _Stream(data)
    try:
        yield
    finally:
        sys.stdin = saved


def run_cli(argv: Sequence[str], *, stdin: bytes = b"", entry: bool = True) -> Outcome:
    """Run the command in-process as the `socdesk` script would (``socdesk.entry.main``, which sends
    ``now`` down its fast path and everything else to ``socdesk.cli.main``), or ``cli.main`` itself."""
    from socdesk import cli
    from socdesk import entry as entry_point

    out, err = _Stream(), _Stream()
    crash = None
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), _stdin(stdin):
        try:
            code = (entry_point.main if entry else cli.main)(list(argv))
        except SystemExit as exit_:  # argparse: usage errors (2), --help/--version (0)
            code = exit_.code if isinstance(exit_.code, int) else 1 if exit_.code else 0
        except Exception:
            code, crash = -1, traceback.format_exc()
    return Outcome(tuple(argv), code, out.text(), err.text(), crash)


def assert_refused(outcome: Outcome, code: int, fragments: Sequence[str] = ()) -> None:
    """The contract: exit 1 and exactly one ``error:`` line on stderr, or exit 2 with argparse's usage;
    nothing on stdout and no traceback anywhere. ``fragments`` must appear in the error line."""
    context = outcome.describe()
    assert outcome.crash is None, f"a traceback instead of an error:\n{context}"
    assert "Traceback" not in outcome.out + outcome.err, context
    assert outcome.code == code, context
    assert outcome.out == "", f"a refusal printed on stdout:\n{context}"
    if code == 1:
        assert outcome.err.endswith("\n") and outcome.err.count("\n") == 1, f"not one line:\n{context}"
        line = outcome.err.rstrip("\n")
        assert line.startswith("error: ") and len(line) > len("error: "), context
    else:
        assert outcome.err.startswith("usage: "), context
        line = outcome.err.rstrip("\n").splitlines()[-1]
        assert ": error: " in line, context
    for fragment in fragments:
        assert fragment.casefold() in line.casefold(), f"{fragment!r} not in the message:\n{context}"


# ------------------------------------------------------------------------------------- the database states


@dataclass(frozen=True)
class World:
    """The template databases (state name -> bytes) and the facts about them the strategies need."""

    templates: dict[str, bytes]
    now: datetime
    today: date
    export_json: bytes
    ics: bytes
    agenda_toml: bytes
    cards: dict[int, tuple[str, int]]  # id -> (column, version)
    columns: dict[str, int]  # name -> version
    full_columns: tuple[str, ...]  # at or over their WIP limit
    handles: tuple[str, ...]
    overrides: dict[int, int]  # id -> version
    rotation_version: int  # the analyst rotation's
    waiting_topics: tuple[int, ...]
    taken_topics: tuple[int, ...]
    notes: tuple[int, ...]  # the open retro's notes (retro states)
    voted_note: int
    themes: dict[str, int]
    swap: tuple[datetime, datetime]

    def card_in(self, column: str) -> int:
        return min(card for card, (where, _) in self.cards.items() if where == column)


def iso_minutes(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="minutes")


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def valid_calendar(now: datetime, person: str = "bob@soc.example.org", name: str = "Bob Ruiz") -> bytes:
    """Two on-call shifts in the coming days for ``person``: a calendar `duty import-ics` accepts."""
    first = (now + timedelta(days=3)).replace(hour=9, minute=0, second=0, microsecond=0)
    events = ""
    for n, start in enumerate((first, first + timedelta(days=7))):
        events += (
            "BEGIN:VEVENT\r\n"
            f"UID:shift-{n}@oncall.example\r\n"
            f"DTSTAMP:{_stamp(now)}\r\n"
            f"DTSTART:{_stamp(start)}\r\n"
            f"DTEND:{_stamp(start + timedelta(days=1))}\r\n"
            f"SUMMARY:On-call: {name}\r\n"
            f"ATTENDEE;CN={name}:mailto:{person}\r\n"
            "END:VEVENT\r\n"
        )
    head = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//oncall.example//rota//EN\r\n"
    return (head + events + "END:VCALENDAR\r\n").encode()


def _copy(source: Path, target: Path) -> Path:
    shutil.copyfile(source, target)
    return target


def _template(path: Path) -> bytes:
    """The file's bytes once every connection is closed: WAL checkpointed, -wal and -shm gone."""
    assert db_bytes(path).companions == (), f"{path} still has companions"
    return path.read_bytes()


def build_world(directory: Path) -> World:
    sample = directory / "sample.db"
    done = run_cli(["--db", str(sample), "init", "--sample"])
    assert done.code == 0, done.describe()
    empty = directory / "empty.db"
    open_store(empty, actor=ACTOR, create=True).close()

    store = open_store(sample, actor=ACTOR)
    try:
        now = store.clock.now()
        export_json = (store.export_snapshot().model_dump_json(indent=2) + "\n").encode()
        cards = {c.id: (c.column, c.version) for c in store.list_cards()}
        columns = store.list_columns()
        full = tuple(
            c.name
            for c in columns
            if c.wip_limit is not None and sum(1 for w, _ in cards.values() if w == c.name) >= c.wip_limit
        )
        handles = tuple(p.handle for p in store.list_people())
        overrides = {o.id: o.version for o in store.list_overrides()}
        rotation_version = next(r.version for r in store.list_rotations() if r.role is Role.ANALYST)
        topics = store.list_all_topics()
        agenda = store.get_agenda()
        roster = store.get_roster()
    finally:
        store.close()
    shifts = [holder_shift(roster, Role.ANALYST, now + timedelta(hours=12 * k)) for k in range(1, 80)]
    first = next(s for s in shifts if s.person is not None)
    second = next(s for s in shifts if s.person not in (None, first.person))
    swap = (first.start + (first.end - first.start) / 2, second.start + (second.end - second.start) / 2)

    templates = {"sample": _template(sample), "empty": _template(empty)}
    foreign = directory / "foreign.db"
    with closing(sqlite3.connect(foreign)) as conn:
        conn.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY, amount REAL)")
        conn.commit()
    templates["foreign"] = _template(foreign)
    newer = _copy(sample, directory / "newer.db")
    with closing(sqlite3.connect(newer)) as conn:
        conn.execute(
            f"INSERT INTO {MIGRATIONS_TABLE} (migration_set, name, applied_at) VALUES ('socdesk', ?, ?)",
            ("9999_future", "2030-01-01 00:00:00"),
        )
        conn.commit()
    templates["newer"] = _template(newer)
    # Backups as `socdesk backup` writes them: one self-contained file in rollback-journal mode.
    for name, source in (("backup", sample), ("newer_backup", newer)):
        target = directory / f"{name}.db"
        with closing(sqlite3.connect(source)) as conn, closing(sqlite3.connect(target)) as copy:
            conn.backup(copy)
            copy.execute("PRAGMA journal_mode = DELETE")
        templates[name] = _template(target)

    def state(name: str, base: str, act: Callable[[Any], Any]) -> None:
        path = _copy(directory / f"{base}.db", directory / f"{name}.db")
        s = open_store(path, actor=ACTOR)
        try:
            act(s)
        finally:
            s.close()
        templates[name] = _template(path)

    state("meeting", "sample", lambda s: s.start_meeting())
    state("meeting_next", "meeting", lambda s: s.meeting_timer(Act.NEXT))
    state("meeting_paused", "meeting", lambda s: s.meeting_timer(Act.PAUSE))
    today = now.date()
    notes: list[int] = []

    def write(s: Any) -> None:
        s.start_retro(RetroDraft(title="Retro", period_from=today - timedelta(days=27), period_to=today))
        s.set_retro_phase(Phase.WRITE)
        for column, text in (
            (NoteColumn.WELL, "Triage got faster"),
            (NoteColumn.NOT_WELL, "Too many pages at night"),
            (NoteColumn.IMPROVE, "Tune the EDR noise"),
        ):
            notes.append(s.add_note(column, text).id)

    themes: dict[str, int] = {}

    def group(s: Any) -> None:
        s.set_retro_phase(Phase.GROUP)
        themes["Alerting"] = s.add_theme("Alerting", [notes[0]]).id

    state("retro_write", "sample", write)
    state("retro_group", "retro_write", group)
    state("retro_vote", "retro_group", lambda s: s.set_retro_phase(Phase.VOTE))
    state("retro_voted", "retro_vote", lambda s: s.vote(note_id=notes[0]))
    state("retro_actions", "retro_vote", lambda s: s.set_retro_phase(Phase.ACTIONS))
    state("ics_team", "empty", lambda s: [s.add_person(p) for p in ICS_PEOPLE])

    return World(
        templates=templates,
        now=now,
        today=today,
        export_json=export_json,
        ics=valid_calendar(now),
        agenda_toml=agenda.model_copy(update={"schedule": "wed 14:30"}).to_toml().encode(),
        cards=cards,
        columns={c.name: c.version for c in columns},
        full_columns=full,
        handles=handles,
        overrides=overrides,
        rotation_version=rotation_version,
        waiting_topics=tuple(t.id for t in topics if t.meeting_id is None and not t.deferred),
        taken_topics=tuple(t.id for t in topics if t.meeting_id is not None),
        notes=tuple(notes),
        voted_note=notes[0],
        themes=themes,
        swap=swap,
    )


# ----------------------------------------------------------------------------------------- cases and bench


@dataclass(frozen=True)
class Case:
    argv: tuple[str, ...]
    code: int
    state: str = "sample"
    fragments: tuple[str, ...] = ()
    files: tuple[tuple[str, bytes], ...] = ()
    stdin: bytes = b""
    config: str | None = None  # the user's config.toml, when the case is about it


class Bench:
    """Where examples run: the database's own directory, the inputs, and the user's directories."""

    def __init__(self, root: Path, home: Path, world: World) -> None:
        self.world = world
        self.db = root / "db" / "team.db"
        self.inputs = root / "inputs"
        self.home = home
        self.config = home / "config" / "socdesk" / "config.toml"
        self.port = 0  # HELD_PORT in an argv: a port the test holds, so a server could never start

    def snapshot(self) -> dict[str, Any]:
        def digest(found: dict[str, bytes | None]) -> dict[str, str | None]:
            return {k: None if v is None else hashlib.sha256(v).hexdigest() for k, v in sorted(found.items())}

        return {
            "database": db_bytes(self.db),
            "database directory": digest(tree(self.db.parent)),
            "inputs": digest(tree(self.inputs)),
            "user directories": digest(tree(self.home)),
        }

    def here(self, word: str) -> str:
        return word.replace(INPUTS, str(self.inputs)).replace(HELD_PORT, str(self.port))

    def argv(self, case: Case) -> list[str]:
        return [self.here(word) for word in case.argv]

    def prepare(self, case: Case) -> dict[str, Any]:
        for directory in (self.db.parent, self.inputs):
            shutil.rmtree(directory, ignore_errors=True)
            directory.mkdir(parents=True)
        if case.state != "absent":  # `restore` writes a new database: none there yet
            self.db.write_bytes(self.world.templates[case.state])
        for name, data in case.files:
            (self.inputs / name).parent.mkdir(parents=True, exist_ok=True)
            (self.inputs / name).write_bytes(data)
        self.config.unlink(missing_ok=True)
        if case.config is not None:
            self.config.parent.mkdir(parents=True, exist_ok=True)
            self.config.write_text(case.config, encoding="utf-8")
        return self.snapshot()

    def run(self, case: Case, *, entry: bool = True) -> Outcome:
        return run_cli(self.argv(case), stdin=case.stdin, entry=entry)

    def check(self, case: Case, *, entry: bool = True) -> Outcome:
        before = self.prepare(case)
        outcome = self.run(case, entry=entry)
        assert_refused(outcome, case.code, [self.here(f) for f in case.fragments])
        after = self.snapshot()
        for part in before:
            assert after[part] == before[part], f"{part} changed by a refused command:\n{outcome.describe()}"
        return outcome


def make_bench(root: Path, home: Path, monkeypatch: Any, world: World) -> Bench:
    """A bench whose CLI runs see its database (SOCDESK_DB), the tests' actor and an isolated home."""
    bench = Bench(root, home, world)
    monkeypatch.setenv("SOCDESK_DB", str(bench.db))
    monkeypatch.setenv("SOCDESK_USER", ACTOR)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("SOCDESK_CONFIG", raising=False)
    return bench
