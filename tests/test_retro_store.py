"""Retros through the real SQLite store: the phases and who may move them, one open retro at a time,
notes (hidden, anonymous), themes, the vote budget, actions that land on the board as cards and come
back in the next retro, the phase timer, the triggers that hold the rules in the file itself, and
export/import. A refused write is checked against the file: every retro table, the cards and the
event log are the same before and after."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from socdesk.domain import (
    CardDraft,
    CardPatch,
    Conflict,
    FixedClock,
    InvalidInput,
    NotFound,
    Person,
    Snapshot,
    WorkType,
)
from socdesk.domain.handshake import Agenda
from socdesk.domain.retro import (
    ACTION_PHASES,
    NOTE_PHASES,
    THEME_PHASES,
    VOTE_PHASES,
    ActionDraft,
    NoteColumn,
    Phase,
    RetroDraft,
    RetroRecord,
    TimerKind,
    action_card_description,
)
from socdesk.store import Store, open_store

TODAY = date(2026, 3, 2)  # the conftest clock: Monday 2026-03-02 09:00 UTC
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
HIDDEN = "(hidden until the group phase)"
NO_RETRO = r"no retro is open \(start one with `socdesk retro start TITLE`\)"
P = Phase
C = NoteColumn
K = TimerKind
TABLES = ("retros", "retro_themes", "retro_notes", "retro_votes", "retro_actions", "retro_timer", "cards")


def mins(n: float) -> timedelta:
    return timedelta(minutes=n)


def draft(**fields: Any) -> RetroDraft:
    base = {"title": "Sprint 9", "period_from": date(2026, 2, 16), "period_to": date(2026, 3, 1)}
    return RetroDraft(**{**base, **fields})


def raw(path: Path, sql: str, args: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    with closing(sqlite3.connect(path)) as conn:
        return [tuple(r) for r in conn.execute(sql, args)]


def raw_write(path: Path, sql: str, args: tuple[Any, ...] = ()) -> None:
    with closing(sqlite3.connect(path)) as conn, conn:
        conn.execute(sql, args)


def contents(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every retro table, the cards and the whole event log, read past the store."""
    found = {table: raw(path, f"SELECT * FROM {table} ORDER BY id") for table in TABLES}
    found["events"] = raw(path, "SELECT * FROM events ORDER BY id")
    return found


def refused(path: Path, call: Callable[[], object], match: str, error: type[Exception] = InvalidInput) -> str:
    """``call`` raises ``error`` saying ``match`` and leaves the file exactly as it was."""
    before = contents(path)
    with pytest.raises(error, match=match) as info:
        call()
    assert contents(path) == before
    return str(info.value)


def actions_logged(path: Path, after: int = 0) -> list[tuple[str, str]]:
    return [(a, actor) for a, actor in raw(path, "SELECT action, actor FROM events WHERE id > ?", (after,))]


def last_event(path: Path) -> int:
    return int(raw(path, "SELECT coalesce(max(id), 0) FROM events")[0][0])


def second(db_path: Path, clock: FixedClock, actor: str) -> Store:
    return open_store(db_path, actor=actor, clock=clock)


@pytest.fixture
def team(store: Store) -> Store:
    for handle, name in [("alice", "Alice Ng"), ("bob", "Bob Ruiz"), ("carol", "Carol Okafor")]:
        store.add_person(Person(handle=handle, name=name))
    return store


@pytest.fixture
def bob(team: Store, db_path: Path, clock: FixedClock) -> Iterator[Store]:
    """Another console on the same file."""
    with closing(second(db_path, clock, "bob")) as s:
        yield s


@dataclass
class Held:
    """A retro run by alice: three notes (two hers, one bob's), a theme over notes 2 and 3, and in the
    vote phase one dot of alice's on note 2 and one of bob's on the theme."""

    alice: Store
    bob: Store
    path: Path


@pytest.fixture
def held(team: Store, bob: Store, db_path: Path) -> Held:
    alice = team
    alice.start_retro(draft())
    alice.set_retro_phase(P.WRITE)
    assert alice.add_note(C.WELL, "The pager rota worked").id == 1
    assert bob.add_note(C.NOT_WELL, "Too many false positives").id == 2
    assert alice.add_note(C.IMPROVE, "Tune the EDR rules").id == 3
    alice.set_retro_phase(P.GROUP)
    assert alice.add_theme("Detections", [2, 3]).id == 1
    alice.set_retro_phase(P.VOTE)
    alice.vote(note_id=2)
    bob.vote(theme_id=1)
    return Held(alice, bob, db_path)


def act(owner: str = "bob", due: date = TODAY + timedelta(days=7), **fields: Any) -> ActionDraft:
    return ActionDraft(**{"text": "Tune the EDR rules", "owner": owner, "due": due, **fields})


# ------------------------------------------------------------------------------ starting and phases


def test_starting_a_retro_makes_the_starter_its_facilitator(team: Store, db_path: Path) -> None:
    mark = last_event(db_path)
    record = team.start_retro(draft(objectives="Fewer pages", vote_budget=5, anonymous=True))
    retro = record.retro
    assert (retro.id, retro.facilitator, retro.phase, retro.started_at, retro.version) == (
        1,
        "alice",
        P.OBJECTIVES,
        START,
        1,
    )
    assert (retro.objectives, retro.vote_budget, retro.anonymous, retro.hide_notes) == (
        "Fewer pages",
        5,
        True,
        True,
    )
    assert (retro.closed_at, retro.closing_notes) == (None, "")
    assert record == RetroRecord(retro=retro)
    assert team.current_retro() == record == team.get_retro() == team.get_retro(1)
    assert team.list_retros() == [retro]
    assert actions_logged(db_path, mark) == [("retro.start", "alice")]
    assert raw(db_path, "SELECT title, facilitator, phase, anonymous, closed_at FROM retros") == [
        ("Sprint 9", "alice", "objectives", 1, None)
    ]


def test_only_one_retro_is_open_at_a_time(team: Store, bob: Store, db_path: Path, clock: FixedClock) -> None:
    team.start_retro(draft())
    message = refused(db_path, lambda: bob.start_retro(draft(title="Another")), "is still open")
    assert message == (
        "retro 1 \u201cSprint 9\u201d is still open (facilitator alice); close it first "
        "(`socdesk retro phase closed`)"
    )
    refused(db_path, lambda: team.start_retro(draft()), "retro 1 .* is still open")
    # The file itself refuses a second open retro, whoever writes it.
    with pytest.raises(sqlite3.IntegrityError, match="UNIQUE"):
        raw_write(
            db_path,
            "INSERT INTO retros (title, period_from, period_to, vote_budget, anonymous, hide_notes,"
            " facilitator, started_at, phase) VALUES ('x', '2026-01-01', '2026-01-02', 3, 0, 1, 'eve',"
            " '2026-03-02T09:00:00.000000+00:00', 'objectives')",
        )
    clock.advance(mins(90))
    team.set_retro_phase(P.CLOSED)
    record = bob.start_retro(draft(title="Sprint 10"))
    assert (record.retro.id, record.retro.facilitator, record.retro.started_at) == (
        2,
        "bob",
        START + mins(90),
    )
    assert [r.id for r in team.list_retros()] == [2, 1]
    assert [r.open for r in team.list_retros()] == [True, False]
    assert team.current_retro() == record


def test_reading_retros_that_do_not_exist(store: Store) -> None:
    assert store.list_retros() == [] and store.current_retro() is None
    with pytest.raises(NotFound, match="no retro has been held yet"):
        store.get_retro()
    store.start_retro(draft())
    with pytest.raises(NotFound, match="no retro with id 2"):
        store.get_retro(2)
    assert store.previous_actions(1) == []


def test_the_facilitator_moves_the_phases_forwards_and_back(team: Store, db_path: Path) -> None:
    team.start_retro(draft())
    mark = last_event(db_path)
    for phase, version in [(P.WRITE, 2), (P.GROUP, 3), (P.WRITE, 4), (P.GROUP, 5)]:
        record = team.set_retro_phase(phase)
        assert (record.retro.phase, record.retro.version) == (phase, version)
    assert raw(db_path, "SELECT phase, version FROM retros") == [("group", 5)]
    events = team.events_after(mark)
    assert [(e.action, e.actor, e.entity, e.entity_id) for e in events] == [
        ("retro.phase", "alice", "retro", "1")
    ] * 4
    assert [(e.before["phase"], e.after["phase"]) for e in events if e.before and e.after] == [
        ("objectives", "write"),
        ("write", "group"),
        ("group", "write"),
        ("write", "group"),
    ]
    # The same phase again changes and logs nothing.
    mark = last_event(db_path)
    assert team.set_retro_phase(P.GROUP).retro.version == 5
    assert last_event(db_path) == mark


def test_a_phase_change_on_a_stale_version_is_a_conflict(team: Store, db_path: Path) -> None:
    team.start_retro(draft())
    team.set_retro_phase(P.WRITE, expected_version=1)
    refused(
        db_path,
        lambda: team.set_retro_phase(P.GROUP, expected_version=1),
        "retro 1 was changed by alice",
        Conflict,
    )


def test_closing_ends_the_retro_with_its_closing_notes(team: Store, db_path: Path, clock: FixedClock) -> None:
    team.start_retro(draft())
    refused(
        db_path,
        lambda: team.set_retro_phase(P.ACTIONS, closing_notes="Thanks all"),
        "closing notes are written when the retro is closed",
    )
    refused(
        db_path, lambda: team.set_retro_phase(P.CLOSED, closing_notes="x" * 5_001), "invalid closing notes"
    )
    clock.advance(mins(75))
    record = team.set_retro_phase(P.CLOSED, closing_notes="  Thanks all.\nSee you in two weeks.  ")
    assert (record.retro.phase, record.retro.closed_at, record.retro.open) == (
        P.CLOSED,
        START + mins(75),
        False,
    )
    assert record.retro.closing_notes == "Thanks all.\nSee you in two weeks."
    assert team.current_retro() is None and team.get_retro() == record
    assert raw(db_path, "SELECT phase, closed_at IS NOT NULL, closing_notes FROM retros") == [
        ("closed", 1, "Thanks all.\nSee you in two weeks.")
    ]
    refused(db_path, lambda: team.set_retro_phase(P.WRITE), NO_RETRO)


def test_only_the_facilitator_moves_phases_and_runs_the_timer(held: Held) -> None:
    refused(
        held.path,
        lambda: held.bob.set_retro_phase(P.DISCUSS),
        r"only the facilitator \(alice\) moves the retro from phase to phase",
    )
    refused(
        held.path,
        lambda: held.bob.set_retro_phase(P.CLOSED, closing_notes="bye"),
        r"only the facilitator \(alice\)",
    )
    refused(
        held.path,
        lambda: held.bob.retro_timer(K.START, minutes=5),
        r"only the facilitator \(alice\) runs the phase timer",
    )
    held.alice.retro_timer(K.START, minutes=5)
    refused(
        held.path,
        lambda: held.bob.retro_timer(K.STOP),
        r"only the facilitator \(alice\) runs the phase timer",
    )


# ------------------------------------------------------------------------------ each action in its phases

# name: (the phases it is allowed in, what the refusal says, the call; on the `held` retro)
ACTIONS: dict[str, tuple[frozenset[Phase], str, Callable[[Store], object]]] = {
    "add_note": (
        NOTE_PHASES,
        "notes are added in the write or group phase",
        lambda s: s.add_note(C.WELL, "Late"),
    ),
    "delete_note": (
        NOTE_PHASES,
        "notes are taken back in the write or group phase",
        lambda s: s.delete_note(3),
    ),
    "add_theme": (THEME_PHASES, "themes are made in the group phase", lambda s: s.add_theme("Rota", [1])),
    "group_note": (THEME_PHASES, "notes are grouped in the group phase", lambda s: s.group_note(1, 1)),
    "vote": (VOTE_PHASES, "votes are cast in the vote phase", lambda s: s.vote(note_id=1)),
    "unvote": (VOTE_PHASES, "votes are taken back in the vote phase", lambda s: s.unvote(note_id=2)),
    "add_retro_action": (
        ACTION_PHASES,
        "actions are agreed in the discuss or actions phase",
        lambda s: s.add_retro_action(act()),
    ),
}


def test_the_phases_each_action_is_allowed_in() -> None:
    allowed = {"notes": NOTE_PHASES, "themes": THEME_PHASES, "votes": VOTE_PHASES, "actions": ACTION_PHASES}
    assert allowed == {
        "notes": {P.WRITE, P.GROUP},
        "themes": {P.GROUP},
        "votes": {P.VOTE},
        "actions": {P.DISCUSS, P.ACTIONS},
    }


@pytest.mark.parametrize("name", list(ACTIONS))
def test_each_action_is_refused_outside_its_phases_and_writes_nothing(held: Held, name: str) -> None:
    allowed, what, call = ACTIONS[name]
    outside = [p for p in Phase if p not in allowed and p is not P.CLOSED]
    assert outside
    for phase in outside:
        held.alice.set_retro_phase(phase)
        message = refused(held.path, lambda: call(held.alice), what)
        assert message.endswith(f"; the retro is in the {phase.value} phase")
    for phase in sorted(allowed, key=lambda p: p.order):
        held.alice.set_retro_phase(phase)
        mark = last_event(held.path)
        call(held.alice)  # allowed here: it writes
        assert last_event(held.path) > mark
        if name in ("delete_note", "add_theme"):  # they cannot be repeated as they are
            break


@pytest.mark.parametrize("name", [*ACTIONS, "set_retro_phase", "retro_timer"])
def test_nothing_is_done_in_a_closed_retro(held: Held, name: str) -> None:
    held.alice.set_retro_phase(P.CLOSED)
    calls: dict[str, Callable[[Store], object]] = {
        **{n: c for n, (_, _, c) in ACTIONS.items()},
        "set_retro_phase": lambda s: s.set_retro_phase(P.WRITE),
        "retro_timer": lambda s: s.retro_timer(K.START, minutes=5),
    }
    refused(held.path, lambda: calls[name](held.alice), NO_RETRO)


@pytest.mark.parametrize(
    ("phase", "call", "message"),
    [
        (P.WRITE, lambda s: s.delete_note(99), r"no note #99 in retro 1"),
        (P.GROUP, lambda s: s.group_note(99, None), r"no note #99 in retro 1"),
        (P.GROUP, lambda s: s.group_note(1, 99), r"no theme #99 in retro 1"),
        (P.GROUP, lambda s: s.add_theme("Rota", [1, 99]), r"no note #99 in retro 1"),
        (P.VOTE, lambda s: s.vote(note_id=99), r"no note #99 in retro 1"),
        (P.VOTE, lambda s: s.vote(theme_id=99), r"no theme #99 in retro 1"),
        (P.VOTE, lambda s: s.unvote(note_id=99), r"no note #99 in retro 1"),
        (P.VOTE, lambda s: s.unvote(theme_id=99), r"no theme #99 in retro 1"),
        (
            P.DISCUSS,
            lambda s: s.add_retro_action(act(owner="zed")),
            r"no person with handle 'zed' \(known: alice, bob, carol\)",
        ),
    ],
)
def test_unknown_ids_are_not_found_and_nothing_is_written(
    held: Held, phase: Phase, call: Callable[[Store], object], message: str
) -> None:
    held.alice.set_retro_phase(phase)
    refused(held.path, lambda: call(held.alice), message, NotFound)


def test_notes_and_themes_of_an_earlier_retro_are_not_this_ones(held: Held) -> None:
    held.alice.set_retro_phase(P.CLOSED)
    held.alice.start_retro(draft(title="Sprint 10"))
    held.alice.set_retro_phase(P.GROUP)
    refused(held.path, lambda: held.alice.group_note(1, None), "no note #1 in retro 2", NotFound)
    note = held.alice.add_note(C.WELL, "Fresh")
    refused(held.path, lambda: held.alice.group_note(note.id, 1), "no theme #1 in retro 2", NotFound)
    held.alice.set_retro_phase(P.VOTE)
    refused(held.path, lambda: held.alice.vote(note_id=2), "no note #2 in retro 2", NotFound)


# ------------------------------------------------------------------------------ notes


def test_a_note_is_stored_with_its_author_and_logged(team: Store, bob: Store, db_path: Path) -> None:
    team.start_retro(draft())
    team.set_retro_phase(P.WRITE)
    mark = last_event(db_path)
    note = bob.add_note(C.NOT_WELL, "  Too many false positives  ")
    assert (note.id, note.retro_id, note.column, note.text, note.author, note.theme_id, note.version) == (
        1,
        1,
        C.NOT_WELL,
        "Too many false positives",
        "bob",
        None,
        1,
    )
    assert raw(db_path, "SELECT id, retro_id, note_column, text, author, theme_id FROM retro_notes") == [
        (1, 1, "not-well", "Too many false positives", "bob", None)
    ]
    [event] = team.events_after(mark)
    assert (event.action, event.actor, event.entity, event.entity_id) == (
        "retro.note.add",
        "bob",
        "retro",
        "1",
    )
    assert event.after == note.model_dump(mode="json")
    assert team.get_retro().notes == (note,)


@pytest.mark.parametrize("text", ["", "   ", "x" * 501, "bell\x07"])
def test_a_bad_note_is_refused(team: Store, db_path: Path, text: str) -> None:
    team.start_retro(draft())
    team.set_retro_phase(P.WRITE)
    refused(db_path, lambda: team.add_note(C.WELL, text), "invalid note")


def test_a_note_may_still_be_added_while_grouping(team: Store) -> None:
    team.start_retro(draft())
    team.set_retro_phase(P.GROUP)
    assert team.add_note(C.IMPROVE, "Sparked by another").id == 1


def test_an_author_takes_back_their_own_note_only(held: Held) -> None:
    held.alice.set_retro_phase(P.WRITE)
    message = refused(held.path, lambda: held.bob.delete_note(1), "note #1 is alice's")
    assert message == "note #1 is alice's; only its author takes it back"
    mark = last_event(held.path)
    gone = held.alice.delete_note(3)
    assert (gone.id, gone.author, gone.text) == (3, "alice", "Tune the EDR rules")
    assert raw(held.path, "SELECT id FROM retro_notes ORDER BY id") == [(1,), (2,)]
    [event] = held.alice.events_after(mark)
    assert (event.action, event.actor, event.before, event.after) == (
        "retro.note.delete",
        "alice",
        gone.model_dump(mode="json"),
        None,
    )
    refused(held.path, lambda: held.alice.delete_note(3), "no note #3 in retro 1", NotFound)


def test_a_note_with_votes_stays(held: Held) -> None:
    held.alice.set_retro_phase(P.GROUP)
    refused(held.path, lambda: held.bob.delete_note(2), "note #2 has votes; it stays")


# ------------------------------------------------------------------------------ hidden notes


def test_others_texts_stay_hidden_until_grouping(team: Store, bob: Store) -> None:
    team.start_retro(draft())
    team.set_retro_phase(P.WRITE)
    team.add_note(C.WELL, "Alice's secret")
    bob.add_note(C.NOT_WELL, "Bob's secret")
    seen_by_bob = bob.get_retro().view("bob")
    assert [(v.text, v.hidden, v.mine) for v in seen_by_bob] == [
        (HIDDEN, True, False),
        ("Bob's secret", False, True),
    ]
    seen_by_alice = team.get_retro().view("alice")
    assert [(v.text, v.hidden) for v in seen_by_alice] == [("Alice's secret", False), (HIDDEN, True)]
    team.set_retro_phase(P.GROUP)
    assert [v.text for v in bob.get_retro().view("bob")] == ["Alice's secret", "Bob's secret"]
    team.set_retro_phase(P.WRITE)  # back to writing: hidden again
    assert [v.text for v in bob.get_retro().view("bob")] == [HIDDEN, "Bob's secret"]


def test_without_hiding_everyone_reads_along(team: Store, bob: Store) -> None:
    team.start_retro(draft(hide_notes=False))
    team.set_retro_phase(P.WRITE)
    team.add_note(C.WELL, "Alice's thought")
    assert [(v.text, v.hidden) for v in bob.get_retro().view("bob")] == [("Alice's thought", False)]


# ------------------------------------------------------------------------------ anonymous notes


def test_an_anonymous_retro_stores_no_author_anywhere(team: Store, bob: Store, db_path: Path) -> None:
    team.start_retro(draft(anonymous=True))
    team.set_retro_phase(P.WRITE)
    mine = team.add_note(C.WELL, "Good rota")
    theirs = bob.add_note(C.NOT_WELL, "Noisy rules")
    bob.add_note(C.IMPROVE, "Runbooks")
    team.set_retro_phase(P.GROUP)
    team.add_theme("Ops", [theirs.id])
    assert (mine.author, theirs.author) == (None, None)

    assert raw(db_path, "SELECT author FROM retro_notes") == [(None,), (None,), (None,)]
    rows = raw(
        db_path, "SELECT actor, before, after, meta FROM events WHERE action = 'retro.note.add' ORDER BY id"
    )
    assert len(rows) == 3
    assert [r[0] for r in rows] == ["anonymous"] * 3
    for row in rows:
        for handle in ("alice", "bob"):
            assert all(handle not in (value or "") for value in row), row
    assert [t for t in ("Good rota", "Noisy rules", "Runbooks") if any(t in (r[2] or "") for r in rows)] == [
        "Good rota",
        "Noisy rules",
        "Runbooks",
    ]
    # Only the console that wrote a note knows it is its own.
    record = bob.get_retro()
    assert [v.mine for v in record.view("bob")] == [False, False, False]
    assert [v.mine for v in record.view("bob", frozenset({theirs.id}))] == [False, True, False]
    refused(db_path, lambda: bob.delete_note(theirs.id), "notes of an anonymous retro have no author")


def test_the_file_refuses_an_author_on_an_anonymous_retros_note(team: Store, db_path: Path) -> None:
    team.start_retro(draft(anonymous=True))
    team.set_retro_phase(P.WRITE)
    team.add_note(C.WELL, "Good rota")
    with pytest.raises(sqlite3.IntegrityError, match="an anonymous retro stores no author"):
        raw_write(
            db_path,
            "INSERT INTO retro_notes (retro_id, note_column, text, author) VALUES (1, 'well', 'x', 'bob')",
        )
    with pytest.raises(sqlite3.IntegrityError, match="an anonymous retro stores no author"):
        raw_write(db_path, "UPDATE retro_notes SET author = 'alice' WHERE id = 1")
    assert raw(db_path, "SELECT id, author FROM retro_notes") == [(1, None)]
    # Without an author the same row is fine: the trigger is about the author, not the insert.
    raw_write(db_path, "INSERT INTO retro_notes (retro_id, note_column, text) VALUES (1, 'well', 'x')")
    assert raw(db_path, "SELECT count(*) FROM retro_notes") == [(2,)]


def test_a_named_retro_accepts_an_author_from_any_writer(team: Store, db_path: Path) -> None:
    team.start_retro(draft())
    raw_write(
        db_path,
        "INSERT INTO retro_notes (retro_id, note_column, text, author) VALUES (1, 'well', 'x', 'bob')",
    )
    assert raw(db_path, "SELECT author FROM retro_notes") == [("bob",)]


# ------------------------------------------------------------------------------ themes


def test_a_theme_gathers_notes_and_notes_move_between_themes(held: Held) -> None:
    alice = held.alice
    alice.set_retro_phase(P.GROUP)
    assert raw(held.path, "SELECT id, theme_id, version FROM retro_notes ORDER BY id") == [
        (1, None, 1),
        (2, 1, 2),
        (3, 1, 2),
    ]
    mark = last_event(held.path)
    rota = alice.add_theme("  On-call  ", [1, 3, 1])
    assert (rota.id, rota.retro_id, rota.name, rota.version) == (2, 1, "On-call", 1)
    assert raw(held.path, "SELECT id, theme_id FROM retro_notes ORDER BY id") == [(1, 2), (2, 1), (3, 2)]
    events = alice.events_after(mark)
    assert [e.action for e in events] == ["retro.theme.add", "retro.note.group", "retro.note.group"]
    assert events[0].after == rota.model_dump(mode="json")
    moves = [(e.before, e.after) for e in events[1:]]
    assert [(b["id"], b["theme_id"], a["theme_id"]) for b, a in moves if b and a] == [(1, None, 2), (3, 1, 2)]
    message = refused(held.path, lambda: held.bob.add_theme(" on-CALL ", [2]), "already has a theme named")
    assert message == "retro 1 already has a theme named 'on-CALL'"
    refused(held.path, lambda: alice.add_theme("   "), "invalid theme name")

    moved = held.bob.group_note(3, 1)
    assert (moved.theme_id, moved.version) == (1, 4)
    loose = alice.group_note(2, None)
    assert (loose.theme_id, loose.version) == (None, 3)
    mark = last_event(held.path)
    assert alice.group_note(2, None) == loose  # already there: nothing logged
    assert last_event(held.path) == mark
    record = alice.get_retro()
    assert [(t.id, t.name) for t in record.themes] == [(1, "Detections"), (2, "On-call")]
    assert [(n.id, n.theme_id) for n in record.notes] == [(1, 2), (2, None), (3, 1)]


# ------------------------------------------------------------------------------ votes


def test_a_person_spends_exactly_their_budget(held: Held) -> None:
    alice, bob = held.alice, held.bob
    assert alice.get_retro().votes_left("alice") == 2
    second_dot = alice.vote(note_id=2)  # several dots on one note are allowed
    third_dot = alice.vote(theme_id=1)
    assert (second_dot.voter, second_dot.note_id, second_dot.at) == ("alice", 2, START)
    assert third_dot.theme_id == 1 and third_dot.note_id is None
    message = refused(held.path, lambda: alice.vote(note_id=1), "you have used all 3 of your votes")
    assert "take one back" in message
    assert alice.get_retro().votes_left("alice") == 0
    # Bob's budget is his own.
    bob.vote(note_id=1)
    bob.vote(note_id=1)
    refused(held.path, lambda: bob.vote(note_id=3), "you have used all 3 of your votes")
    assert raw(held.path, "SELECT voter, note_id, theme_id FROM retro_votes ORDER BY id") == [
        ("alice", 2, None),
        ("bob", None, 1),
        ("alice", 2, None),
        ("alice", None, 1),
        ("bob", 1, None),
        ("bob", 1, None),
    ]


def test_taking_a_vote_back_frees_a_dot(held: Held) -> None:
    alice = held.alice
    alice.vote(note_id=2)
    alice.vote(note_id=2)
    refused(held.path, lambda: alice.vote(note_id=1), "used all 3")
    mark = last_event(held.path)
    back = alice.unvote(note_id=2)
    assert (back.id, back.voter, back.note_id) == (4, "alice", 2)  # the latest of the dots on it
    [event] = alice.events_after(mark)
    assert (event.action, event.before, event.meta) == (
        "retro.unvote",
        back.model_dump(mode="json"),
        {"on": "note #2"},
    )
    assert alice.get_retro().votes_left("alice") == 1
    assert alice.vote(note_id=1).note_id == 1
    assert raw(held.path, "SELECT count(*) FROM retro_votes WHERE voter = 'alice'") == [(3,)]


def test_taking_back_a_vote_one_never_cast(held: Held) -> None:
    refused(held.path, lambda: held.alice.unvote(note_id=3), "you have no vote on note #3")
    refused(
        held.path, lambda: held.alice.unvote(theme_id=1), "you have no vote on theme #1"
    )  # bob's, not hers


@pytest.mark.parametrize("targets", [{}, {"note_id": 1, "theme_id": 1}])
def test_a_vote_goes_on_one_note_or_one_theme(held: Held, targets: dict[str, int]) -> None:
    refused(held.path, lambda: held.alice.vote(**targets), "vote for one note or one theme")


def test_votes_are_logged_with_their_target(held: Held) -> None:
    rows = raw(held.path, "SELECT actor, json_extract(meta, '$.on') FROM events WHERE action = 'retro.vote'")
    assert rows == [("alice", "note #2"), ("bob", "theme #1")]


def test_the_file_holds_the_budget_against_any_writer(held: Held) -> None:
    held.alice.vote(note_id=1)
    held.alice.vote(note_id=1)
    insert = (
        "INSERT INTO retro_votes (retro_id, voter, note_id, at)"
        " VALUES (1, ?, 1, '2026-03-02T09:00:00.000000+00:00')"
    )
    with pytest.raises(sqlite3.IntegrityError, match="vote budget spent"):
        raw_write(held.path, insert, ("alice",))
    assert raw(held.path, "SELECT count(*) FROM retro_votes WHERE voter = 'alice'") == [(3,)]
    raw_write(held.path, insert, ("bob",))  # bob had 2 left
    raw_write(held.path, insert, ("bob",))
    with pytest.raises(sqlite3.IntegrityError, match="vote budget spent"):
        raw_write(held.path, insert, ("bob",))
    assert raw(held.path, "SELECT voter, count(*) FROM retro_votes GROUP BY voter ORDER BY voter") == [
        ("alice", 3),
        ("bob", 3),
    ]


# ------------------------------------------------------------------------------ actions


def test_an_action_lands_on_the_board_as_a_card_for_its_owner(held: Held) -> None:
    alice = held.alice
    alice.set_retro_phase(P.DISCUSS)
    mark = last_event(held.path)
    wanted = act(type=WorkType.OPERATIONS)
    action = alice.add_retro_action(wanted)
    assert action.card_id is not None
    card = alice.get_card(action.card_id)
    assert (card.title, card.assignee, card.type, card.labels, card.column) == (
        "Tune the EDR rules",
        "bob",
        WorkType.OPERATIONS,
        ("retro-1",),
        "Backlog",
    )
    assert card.description == action_card_description(alice.get_retro().retro, wanted)
    assert card.description.startswith(
        "Action from retro #1 \u201cSprint 9\u201d (2026-02-16 to 2026-03-01)."
    )
    assert (action.retro_id, action.text, action.owner, action.due, action.type) == (
        1,
        "Tune the EDR rules",
        "bob",
        TODAY + timedelta(days=7),
        WorkType.OPERATIONS,
    )
    assert (action.created_by, action.created_at) == ("alice", START)
    assert alice.get_retro().actions == (action,)
    events = alice.events_after(mark)
    assert [(e.action, e.entity, e.entity_id) for e in events] == [
        ("card.add", "card", str(card.id)),
        ("retro.action.add", "retro", "1"),
    ]
    assert events[0].meta == {"retro": 1}
    assert raw(held.path, "SELECT retro_id, owner, type, card_id FROM retro_actions") == [
        (1, "bob", "operations", card.id)
    ]
    # Any participant records an action in the actions phase too; the type defaults to engineering.
    alice.set_retro_phase(P.ACTIONS)
    other = held.bob.add_retro_action(act(owner="carol", text="Write the runbook"))
    assert other.created_by == "bob"
    other_card = alice.get_card(other.card_id or 0)
    assert (other_card.type, other_card.assignee, other_card.labels) == (
        WorkType.ENGINEERING,
        "carol",
        ("retro-1",),
    )


def test_an_actions_follow_up_is_today_or_later_in_the_teams_zone(held: Held, clock: FixedClock) -> None:
    alice = held.alice
    alice.set_retro_phase(P.DISCUSS)
    message = refused(
        held.path, lambda: alice.add_retro_action(act(due=TODAY - timedelta(days=1))), "in the past"
    )
    assert message == "the follow-up date 2026-03-01 is in the past (today is 2026-03-02)"
    assert alice.add_retro_action(act(due=TODAY)).due == TODAY
    # Late on Monday in UTC is already Tuesday in Tokyo.
    alice.set_agenda(Agenda.model_validate({**alice.get_agenda().model_dump(), "tz": "Asia/Tokyo"}))
    clock.set(datetime(2026, 3, 2, 23, 30, tzinfo=UTC))
    refused(
        held.path,
        lambda: alice.add_retro_action(act(due=TODAY)),
        r"the follow-up date 2026-03-02 is in the past \(today is 2026-03-03\)",
    )


def test_the_next_retro_shows_the_last_ones_actions_as_their_cards_stand(
    held: Held, clock: FixedClock
) -> None:
    alice = held.alice
    alice.set_retro_phase(P.ACTIONS)
    done, dropped, moving = (
        alice.add_retro_action(act(text=text, owner=owner))
        for text, owner in [("Tune rules", "bob"), ("Buy snacks", "carol"), ("Write runbook", "alice")]
    )
    alice.set_retro_phase(P.CLOSED)
    clock.advance(timedelta(days=14))
    following = held.bob.start_retro(
        draft(title="Sprint 10", period_from=date(2026, 3, 2), period_to=date(2026, 3, 15))
    )
    new_id = following.retro.id
    assert new_id == 2
    statuses = alice.previous_actions(new_id)
    assert [(s.action, s.status, s.done) for s in statuses] == [
        (done, "open (Backlog)", False),
        (dropped, "open (Backlog)", False),
        (moving, "open (Backlog)", False),
    ]
    alice.move_card(done.card_id or 0, "Done")
    alice.delete_card(dropped.card_id or 0)
    alice.move_card(moving.card_id or 0, "In Progress")
    statuses = held.bob.previous_actions(new_id)
    assert [(s.action.text, s.status, s.done) for s in statuses] == [
        ("Tune rules", "done", True),
        ("Buy snacks", "card deleted", False),
        ("Write runbook", "open (In Progress)", False),
    ]
    assert statuses[1].card is None and statuses[0].card == alice.get_card(done.card_id or 0)
    # The new retro's own actions are not "previous"; the first retro has none before it.
    held.bob.set_retro_phase(P.DISCUSS)
    held.bob.add_retro_action(act(text="Next time", due=date(2026, 3, 20)))
    assert [s.action.text for s in alice.previous_actions(new_id)] == [
        "Tune rules",
        "Buy snacks",
        "Write runbook",
    ]
    assert alice.previous_actions(1) == []


def test_card_placements_follow_the_event_log(store: Store, clock: FixedClock) -> None:
    card = store.add_card(CardDraft(title="Patch the VPN", type=WorkType.OPERATIONS))
    other = store.add_card(CardDraft(title="Other", type=WorkType.BUSINESS, column="To Do"))
    clock.advance(mins(60))
    store.move_card(card.id, "In Progress")
    clock.advance(mins(60))
    deleted = store.delete_card(card.id)
    clock.advance(mins(60))
    store.restore_card(deleted)
    store.edit_card(other.id, CardPatch(title="Renamed"))  # not a placement
    assert [(p.card_id, p.at, p.column) for p in store.card_placements()] == [
        (card.id, START, "Backlog"),
        (other.id, START, "To Do"),
        (card.id, START + mins(60), "In Progress"),
        (card.id, START + mins(120), None),
        (card.id, START + mins(180), "In Progress"),
    ]


# ------------------------------------------------------------------------------ the phase timer


def test_the_phase_timer_starts_pauses_resumes_extends_and_stops(held: Held, clock: FixedClock) -> None:
    alice, path = held.alice, held.path
    alice.set_retro_phase(P.WRITE)
    refused(path, lambda: alice.retro_timer(K.PAUSE), r"no timer runs in the write phase; start one first")
    refused(path, lambda: alice.retro_timer(K.START, minutes=0), "a phase timer runs 1 to 120 minutes, not 0")
    refused(
        path, lambda: alice.retro_timer(K.START, minutes=121), "a phase timer runs 1 to 120 minutes, not 121"
    )

    timer = alice.retro_timer(K.START, minutes=10).timer(clock.now())
    assert timer is not None and timer.remaining == mins(10)
    clock.advance(mins(4))
    alice.retro_timer(K.PAUSE)
    refused(path, lambda: alice.retro_timer(K.PAUSE), "the timer is already paused")
    clock.advance(mins(10))
    timer = held.bob.get_retro().timer(clock.now())  # every console folds the same log
    assert timer is not None and timer.remaining == mins(6) and timer.paused
    alice.retro_timer(K.RESUME)
    refused(path, lambda: alice.retro_timer(K.RESUME), "the timer is not paused")
    refused(path, lambda: alice.retro_timer(K.EXTEND, minutes=31), "extend by 1 to 30 minutes, not 31")
    alice.retro_timer(K.EXTEND, minutes=5)
    clock.advance(mins(1))
    timer = held.bob.get_retro().timer(clock.now())
    assert timer is not None and timer.remaining == mins(10) and not timer.paused
    assert alice.retro_timer(K.STOP).timer(clock.now()) is None
    refused(path, lambda: alice.retro_timer(K.STOP), "no timer runs in the write phase")
    assert raw(path, "SELECT phase, kind, minutes, actor FROM retro_timer ORDER BY id") == [
        ("write", "start", 10, "alice"),
        ("write", "pause", 0, "alice"),
        ("write", "resume", 0, "alice"),
        ("write", "extend", 5, "alice"),
        ("write", "stop", 0, "alice"),
    ]
    logged = raw(path, "SELECT action FROM events WHERE action LIKE 'retro.timer.%' ORDER BY id")
    assert [a for (a,) in logged] == [
        f"retro.timer.{k}" for k in ("start", "pause", "resume", "extend", "stop")
    ]


def test_moving_on_stops_the_timer_and_coming_back_does_not_revive_it(held: Held, clock: FixedClock) -> None:
    alice = held.alice
    alice.set_retro_phase(P.WRITE)
    alice.retro_timer(K.START, minutes=10)
    clock.advance(mins(3))
    record = alice.set_retro_phase(P.GROUP)
    assert record.timer(clock.now()) is None
    assert raw(held.path, "SELECT phase, kind FROM retro_timer ORDER BY id") == [
        ("write", "start"),
        ("write", "stop"),
    ]
    clock.advance(mins(1))
    assert alice.set_retro_phase(P.WRITE).timer(clock.now()) is None
    # An overrun timer is still running: moving on stops it as well.
    alice.retro_timer(K.START, minutes=1)
    clock.advance(mins(5))
    alice.set_retro_phase(P.GROUP)
    assert raw(held.path, "SELECT kind FROM retro_timer ORDER BY id DESC LIMIT 1") == [("stop",)]
    assert alice.set_retro_phase(P.WRITE).timer(clock.now()) is None


def test_the_timer_log_is_append_only(held: Held) -> None:
    held.alice.retro_timer(K.START, minutes=5)
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        raw_write(held.path, "UPDATE retro_timer SET minutes = 50")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        raw_write(held.path, "DELETE FROM retro_timer")
    assert raw(held.path, "SELECT minutes FROM retro_timer") == [(5,)]


@pytest.mark.parametrize("minutes", [500, -3])
def test_an_extension_out_of_range_is_a_readable_refusal(held: Held, minutes: int) -> None:
    held.alice.retro_timer(K.START, minutes=5)
    refused(held.path, lambda: held.alice.retro_timer(K.EXTEND, minutes=minutes), "extend by 1 to 30 minutes")


# ------------------------------------------------------------------------------ export and import


@pytest.fixture
def history(held: Held, clock: FixedClock) -> Held:
    """Two retros: the first closed with actions and a timer log, the second (anonymous) voting."""
    alice, bob = held.alice, held.bob
    alice.retro_timer(K.START, minutes=5)
    clock.advance(mins(2))
    alice.set_retro_phase(P.DISCUSS)
    alice.add_retro_action(act())
    alice.add_retro_action(act(text="Runbook", owner="carol", type=WorkType.BUSINESS))
    alice.set_retro_phase(P.CLOSED, closing_notes="Good one")
    clock.advance(timedelta(days=14))
    bob.start_retro(
        draft(title="Sprint 10", anonymous=True, vote_budget=2, period_from=TODAY, period_to=TODAY)
    )
    bob.set_retro_phase(P.WRITE)
    alice.add_note(C.WELL, "Quiet week")
    bob.add_note(C.IMPROVE, "More pairing")
    bob.set_retro_phase(P.GROUP)
    bob.add_theme("Team", [4])
    bob.set_retro_phase(P.VOTE)
    alice.vote(note_id=4)
    alice.vote(note_id=5)
    bob.vote(theme_id=2)
    return held


def test_export_and_import_round_trip_the_retros(history: Held, tmp_path: Path, clock: FixedClock) -> None:
    source = history.alice
    snapshot = source.export_snapshot()
    assert [len(getattr(snapshot, t)) for t in TABLES[:-1]] == [2, 2, 5, 5, 2, 2]
    snapshot = Snapshot.model_validate_json(snapshot.model_dump_json())  # what `socdesk export` writes
    with closing(open_store(tmp_path / "copy.db", actor="bob", clock=clock, create=True)) as copy:
        copy.import_snapshot(snapshot)
        assert copy.list_all_retro_rows() == source.list_all_retro_rows()
        assert copy.list_retros() == source.list_retros()
        assert copy.get_retro(1) == source.get_retro(1)
        assert copy.current_retro() == source.current_retro() is not None
        assert copy.previous_actions(2) == source.previous_actions(2)
        assert [s.status for s in copy.previous_actions(2)] == ["open (Backlog)", "open (Backlog)"]
        # The imported retro carries on in the new file, under fresh ids and the same rules.
        assert copy.vote(note_id=4).id == 6  # bob, its facilitator, had one dot left
        with pytest.raises(InvalidInput, match="used all 2"):
            copy.vote(note_id=4)
        copy.set_retro_phase(P.GROUP)
        assert copy.add_note(C.WELL, "After the move").id == 6
        assert copy.add_theme("Later").id == 3
        assert raw(tmp_path / "copy.db", "SELECT author FROM retro_notes WHERE retro_id = 2") == [(None,)] * 3


def test_a_snapshot_with_an_author_on_an_anonymous_note_is_refused(history: Held) -> None:
    data = history.alice.export_snapshot().model_dump(mode="json")
    Snapshot.model_validate(data)  # as exported: fine
    [note] = [n for n in data["retro_notes"] if n["id"] == 5]
    note["author"] = "bob"
    with pytest.raises(ValidationError, match="retro_note 5: an anonymous retro's note has an author"):
        Snapshot.model_validate(data)


def test_a_snapshot_over_a_vote_budget_is_refused(history: Held) -> None:
    data = history.alice.export_snapshot().model_dump(mode="json")
    extra = {**data["retro_votes"][-1], "id": 99, "voter": "alice"}
    data["retro_votes"].append(extra)
    with pytest.raises(ValidationError, match="retro 2: alice has 3 votes, over the budget"):
        Snapshot.model_validate(data)
    # In the first retro (budget 3) the same number is within the budget.
    data["retro_votes"][-1] = {**extra, "retro_id": 1, "theme_id": 1}
    assert len(Snapshot.model_validate(data).retro_votes) == 6


def test_a_snapshot_whose_timer_log_cannot_be_replayed_is_refused(team: Store) -> None:
    team.start_retro(draft())
    team.set_retro_phase(P.WRITE)
    team.retro_timer(K.START, minutes=10)
    team.retro_timer(K.PAUSE)
    data = team.export_snapshot().model_dump(mode="json")
    data["retro_timer"].append({**data["retro_timer"][-1], "id": 3})  # a second pause
    with pytest.raises(ValidationError, match="retro_timer"):
        Snapshot.model_validate(data)
