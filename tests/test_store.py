"""The SQLite store on real files: migrations, refusals, writes and their events, versions, export/import."""

from __future__ import annotations

import os
import re
import sqlite3
import stat
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from socdesk.domain import (
    CardDraft,
    CardPatch,
    Conflict,
    FixedClock,
    InvalidInput,
    Kind,
    NotFound,
    Person,
    Priority,
    Stage,
    WipLimitReached,
    WorkType,
)
from socdesk.sample import load_sample, sample_file
from socdesk.store import Store, StoreUnavailable, open_store
from socdesk.store.migrations import MIGRATIONS_TABLE, known_names

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
DEFAULTS = [
    ("Backlog", None, Stage.QUEUE),
    ("To Do", 8, Stage.QUEUE),
    ("In Progress", 4, Stage.ACTIVE),
    ("Review", 3, Stage.ACTIVE),
    ("Done", None, Stage.DONE),
]


def draft(title: str = "Triage phishing report", **fields: Any) -> CardDraft:
    return CardDraft(**{"title": title, "type": WorkType.OPERATIONS, **fields})


def raw_query(path: Path, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Read the file with plain sqlite3, bypassing the store."""
    conn = sqlite3.connect(path)
    try:
        return [tuple(r) for r in conn.execute(sql, params)]
    finally:
        conn.close()


def db_state(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Everything the store keeps, read straight from the file."""
    return {
        table: raw_query(path, f"SELECT * FROM {table} ORDER BY 1")
        for table in ("people", "columns", "cards", "events", MIGRATIONS_TABLE)
    }


def event_count(path: Path) -> int:
    return int(raw_query(path, "SELECT count(*) FROM events")[0][0])


def file_bytes(path: Path) -> dict[str, bytes | None]:
    """The database file and its -wal beside it (None when absent)."""
    wal = path.with_name(path.name + "-wal")
    return {p.name: (p.read_bytes() if p.exists() else None) for p in (path, wal)}


def new_events(store: Store, since: int) -> list[Any]:
    return store.events_after(since)


# ------------------------------------------------------------------------------------------ migrations


def test_new_file_gets_schema_default_columns_and_wal(store: Store, db_path: Path) -> None:
    assert db_path.is_file()
    assert [(c.name, c.wip_limit, c.stage) for c in store.list_columns()] == DEFAULTS
    assert [c.position for c in store.list_columns()] == [0, 1, 2, 3, 4]
    assert store.list_cards() == [] and store.list_people() == [] and store.last_event_id() == 0
    assert raw_query(db_path, "PRAGMA journal_mode") == [("wal",)]
    tables = {r[0] for r in raw_query(db_path, "SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"people", "columns", "cards", "events", MIGRATIONS_TABLE} <= tables
    applied = raw_query(db_path, f"SELECT migration_set, name FROM {MIGRATIONS_TABLE} ORDER BY id")
    assert applied == [("socdesk", name) for name in known_names()]


def test_reopening_applies_nothing(store: Store, db_path: Path, clock: FixedClock) -> None:
    store.close()
    before_state = db_state(db_path)
    before_bytes = file_bytes(db_path)
    again = open_store(db_path, actor="bob", clock=clock)
    try:
        assert [(c.name, c.wip_limit, c.stage) for c in again.list_columns()] == DEFAULTS
    finally:
        again.close()
    assert db_state(db_path) == before_state
    assert file_bytes(db_path) == before_bytes


def _make_newer(path: Path) -> None:
    s = open_store(path, actor="alice", create=True)
    s.add_card(draft())
    s.close()
    conn = sqlite3.connect(path)
    conn.execute(
        f"INSERT INTO {MIGRATIONS_TABLE} (migration_set, name, applied_at) VALUES (?, ?, ?)",
        ("socdesk", "9999_future", "2030-01-01 00:00:00"),
    )
    conn.commit()
    conn.close()


@pytest.mark.parametrize("create", [False, True])
def test_database_from_newer_socdesk_refused_and_untouched(db_path: Path, create: bool) -> None:
    _make_newer(db_path)
    before = file_bytes(db_path)
    with pytest.raises(StoreUnavailable, match="newer") as info:
        open_store(db_path, actor="bob", create=create)
    assert "9999_future" in str(info.value)
    assert file_bytes(db_path) == before


@pytest.mark.parametrize("create", [False, True])
def test_non_sqlite_file_refused_and_untouched(tmp_path: Path, create: bool) -> None:
    path = tmp_path / "notes.db"
    content = b"shift handover notes\nnot a database at all \x00\xff\n" * 200
    path.write_bytes(content)
    with pytest.raises(StoreUnavailable, match="not an SQLite database"):
        open_store(path, actor="alice", create=create)
    assert path.read_bytes() == content
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.db"]


@pytest.mark.parametrize("create", [False, True])
def test_foreign_sqlite_database_refused_and_untouched(tmp_path: Path, create: bool) -> None:
    path = tmp_path / "invoices.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY, amount REAL)")
    conn.execute("INSERT INTO invoices (amount) VALUES (12.5)")
    conn.commit()
    conn.close()
    before = file_bytes(path)
    with pytest.raises(StoreUnavailable, match="not a socdesk database"):
        open_store(path, actor="alice", create=create)
    assert file_bytes(path) == before
    assert raw_query(path, "SELECT name FROM sqlite_master WHERE type = 'table'") == [("invoices",)]


def test_sqlite_file_with_another_apps_migrations_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    conn = sqlite3.connect(path)
    conn.execute(
        f"CREATE TABLE {MIGRATIONS_TABLE}"
        " (id INTEGER PRIMARY KEY, migration_set TEXT, name TEXT, applied_at TEXT)"
    )
    conn.execute(f"INSERT INTO {MIGRATIONS_TABLE} (migration_set, name) VALUES ('otherapp', '0001_init')")
    conn.commit()
    conn.close()
    before = file_bytes(path)
    with pytest.raises(StoreUnavailable, match="not a socdesk database"):
        open_store(path, actor="alice", create=True)
    assert file_bytes(path) == before


def test_read_only_file_refused_and_untouched(db_path: Path, clock: FixedClock) -> None:
    open_store(db_path, actor="alice", clock=clock, create=True).close()
    os.chmod(db_path, 0o444)
    try:
        before = file_bytes(db_path)
        for create in (False, True):
            with pytest.raises(StoreUnavailable, match="read-only"):
                open_store(db_path, actor="alice", clock=clock, create=create)
        assert file_bytes(db_path) == before
        assert stat.S_IMODE(db_path.stat().st_mode) == 0o444
    finally:
        os.chmod(db_path, 0o644)


@pytest.fixture
def locked_dir(tmp_path: Path) -> Iterator[Path]:
    directory = tmp_path / "shared"
    directory.mkdir()
    yield directory
    os.chmod(directory, 0o755)


def test_directory_without_write_bits_refused(locked_dir: Path, clock: FixedClock) -> None:
    os.chmod(locked_dir, 0o555)
    path = locked_dir / "team.db"
    with pytest.raises(StoreUnavailable, match="cannot write in"):
        open_store(path, actor="alice", clock=clock, create=True)
    assert list(locked_dir.iterdir()) == []


def test_existing_database_in_directory_without_write_bits_refused(
    locked_dir: Path, clock: FixedClock
) -> None:
    path = locked_dir / "team.db"
    open_store(path, actor="alice", clock=clock, create=True).close()
    before = file_bytes(path)
    os.chmod(locked_dir, 0o555)
    with pytest.raises(StoreUnavailable, match="cannot write in"):
        open_store(path, actor="alice", clock=clock)
    assert file_bytes(path) == before
    assert sorted(p.name for p in locked_dir.iterdir()) == ["team.db"]


def test_missing_file_without_create_refused_and_not_created(tmp_path: Path) -> None:
    for path in (tmp_path / "team.db", tmp_path / "sub" / "team.db"):
        with pytest.raises(StoreUnavailable, match="no database at"):
            open_store(path, actor="alice")
        assert not path.exists()
    assert list(tmp_path.iterdir()) == []


def test_directory_given_as_database_refused(tmp_path: Path) -> None:
    with pytest.raises(StoreUnavailable, match="not a file"):
        open_store(tmp_path, actor="alice", create=True)


# ------------------------------------------------------------------------------------ writes and events


def test_add_card_appends_one_event_and_goes_to_end_of_backlog(store: Store, db_path: Path) -> None:
    first = store.add_card(draft("one"))
    second = store.add_card(draft("two", priority=Priority.HIGH, labels=("ioc", "ioc", "edr")))
    assert (first.column, first.position, first.version) == ("Backlog", 0, 1)
    assert (second.column, second.position) == ("Backlog", 1)
    assert second.labels == ("ioc", "edr")
    assert (first.created_at, first.updated_at) == (START, START)
    assert first.started_at is None and first.done_at is None
    events = new_events(store, 0)
    assert [e.action for e in events] == ["card.add", "card.add"]
    e = events[1]
    assert (e.actor, e.entity, e.entity_id, e.at) == ("alice", "card", str(second.id), START)
    assert e.before is None and e.meta is None
    assert e.after == second.model_dump(mode="json")
    assert store.get_card(second.id) == second
    assert event_count(db_path) == 2


def test_add_card_into_named_column_goes_to_its_end(store: Store) -> None:
    a = store.add_card(draft("a", column="To Do"))
    b = store.add_card(draft("b", column="To Do"))
    store.move_card(a.id, "Backlog")
    c = store.add_card(draft("c", column="to do"))  # column names match ignoring case
    assert (b.position, c.position, c.column) == (1, 2, "To Do")
    assert [x.title for x in store.list_cards(column="To Do")] == ["b", "c"]


def test_move_card_appends_one_event(store: Store, clock: FixedClock) -> None:
    card = store.add_card(draft())
    store.add_card(draft("already there", column="To Do"))
    mark = store.last_event_id()
    clock.advance(timedelta(minutes=7))
    moved = store.move_card(card.id, "To Do")
    assert (moved.column, moved.position, moved.version) == ("To Do", 1, 2)
    assert moved.updated_at == START + timedelta(minutes=7)
    [e] = new_events(store, mark)
    assert (e.action, e.actor, e.entity, e.entity_id) == ("card.move", "alice", "card", str(card.id))
    assert e.before == card.model_dump(mode="json")
    assert e.after == moved.model_dump(mode="json")
    assert e.meta == {"from": "Backlog", "to": "To Do"}
    assert store.get_card(card.id) == moved


def test_edit_card_appends_one_event(store: Store, clock: FixedClock) -> None:
    store.add_person(Person(handle="bob", name="Bob Ruiz"))
    card = store.add_card(draft())
    mark = store.last_event_id()
    clock.advance(timedelta(hours=1))
    edited = store.edit_card(card.id, CardPatch(title="  Escalated  ", priority="critical", assignee="bob"))
    assert (edited.title, edited.priority, edited.assignee) == ("Escalated", Priority.CRITICAL, "bob")
    assert (edited.version, edited.updated_at, edited.created_at) == (2, START + timedelta(hours=1), START)
    [e] = new_events(store, mark)
    assert (e.action, e.actor, e.entity, e.entity_id) == ("card.edit", "alice", "card", str(card.id))
    assert e.before == card.model_dump(mode="json")
    assert e.after == edited.model_dump(mode="json")
    assert e.meta == {"fields": ["assignee", "priority", "title"]}
    cleared = store.edit_card(card.id, CardPatch(assignee=None))
    assert cleared.assignee is None and cleared.version == 3
    assert store.get_card(card.id).assignee is None


def test_delete_card_appends_one_event(store: Store, db_path: Path) -> None:
    card = store.add_card(draft())
    mark = store.last_event_id()
    gone = store.delete_card(card.id)
    assert gone == card
    [e] = new_events(store, mark)
    assert (e.action, e.actor, e.entity, e.entity_id) == ("card.delete", "alice", "card", str(card.id))
    assert e.before == card.model_dump(mode="json") and e.after is None
    assert raw_query(db_path, "SELECT count(*) FROM cards") == [(0,)]
    with pytest.raises(NotFound):
        store.get_card(card.id)


def test_set_wip_limit_appends_one_event(store: Store) -> None:
    store.add_card(draft(column="Review"))
    column = store.set_wip_limit("Review", 5)
    assert (column.name, column.wip_limit, column.version) == ("Review", 5, 2)
    [e] = new_events(store, 1)
    assert (e.action, e.actor, e.entity, e.entity_id) == ("column.limit", "alice", "column", "Review")
    assert e.before is not None and e.after is not None
    assert (e.before["wip_limit"], e.after["wip_limit"]) == (3, 5)
    assert e.meta == {"count": 1}
    assert store.set_wip_limit("Review", 5) == column  # same limit: no-op
    assert store.last_event_id() == e.id
    removed = store.set_wip_limit("Review", None)
    assert removed.wip_limit is None and removed.version == 3
    assert [c.wip_limit for c in store.list_columns() if c.name == "Review"] == [None]


def test_set_wip_limit_below_one_refused(store: Store) -> None:
    with pytest.raises(InvalidInput):
        store.set_wip_limit("Review", 0)
    assert store.last_event_id() == 0


def test_add_person_appends_one_event(store: Store) -> None:
    person = store.add_person(Person(handle="hiro", name="Hiro Tanaka", roles=("analyst",)))
    assert store.list_people() == [person]
    [e] = new_events(store, 0)
    assert (e.action, e.actor, e.entity, e.entity_id) == ("person.add", "alice", "person", "hiro")
    assert e.after == {
        "handle": "hiro",
        "name": "Hiro Tanaka",
        "email": None,
        "roles": ["analyst"],
        "version": 1,
    }
    with pytest.raises(InvalidInput, match="already exists"):
        store.add_person(Person(handle="hiro", name="Someone Else"))
    assert store.last_event_id() == e.id


def test_noop_move_and_edit_write_nothing(store: Store, db_path: Path, clock: FixedClock) -> None:
    card = store.add_card(draft("Same", priority="high", labels=("ioc",)))
    before = db_state(db_path)
    clock.advance(timedelta(hours=1))
    assert store.move_card(card.id, "Backlog") == card
    assert store.move_card(card.id, "backlog", expected_version=1) == card
    assert store.edit_card(card.id, CardPatch(title="  Same ", priority="high")) == card
    assert store.edit_card(card.id, CardPatch(labels=("ioc",), assignee=None)) == card
    assert store.edit_card(card.id, CardPatch()) == card
    assert db_state(db_path) == before


def test_edit_with_repeated_labels_matching_current_is_a_noop(store: Store, db_path: Path) -> None:
    # A card's labels are a set; ("ioc", "ioc") is the same set as ("ioc",), so nothing changes.
    card = store.add_card(draft(labels=("ioc",)))
    before = db_state(db_path)
    after = store.edit_card(card.id, CardPatch(labels=("ioc", "ioc")))
    assert after.version == 1
    assert db_state(db_path) == before


def test_move_into_full_column_refused_and_writes_nothing(store: Store, db_path: Path) -> None:
    for n in range(3):
        store.add_card(draft(f"review {n}", column="Review"))
    card = store.add_card(draft("one more"))
    before = db_state(db_path)
    with pytest.raises(WipLimitReached, match=re.escape("Review is at its WIP limit (3/3)")):
        store.move_card(card.id, "Review")
    with pytest.raises(InvalidInput, match="needs a reason"):
        store.move_card(card.id, "Review", force=True, reason="  ")
    with pytest.raises(WipLimitReached):
        store.add_card(draft("straight in", column="Review"))
    assert db_state(db_path) == before
    assert store.get_card(card.id) == card


def test_forced_move_with_reason_records_override(store: Store) -> None:
    for n in range(3):
        store.add_card(draft(f"review {n}", column="Review"))
    card = store.add_card(draft("sev1"))
    mark = store.last_event_id()
    moved = store.move_card(card.id, "Review", force=True, reason="  sev1 incident  ")
    assert (moved.column, moved.position, moved.version) == ("Review", 3, 2)
    [e] = new_events(store, mark)
    assert e.action == "card.move"
    assert e.meta == {
        "from": "Backlog",
        "to": "Review",
        "wip_override": {"column": "Review", "count": 3, "limit": 3},
        "reason": "sev1 incident",
    }
    assert len(store.list_cards(column="Review")) == 4


def test_forced_add_into_full_column_records_override(store: Store) -> None:
    store.set_wip_limit("In Progress", 1)
    store.add_card(draft("busy", column="In Progress"))
    card = store.add_card(draft("urgent", column="In Progress"), force=True, reason="outage")
    [e] = new_events(store, store.last_event_id() - 1)
    assert (e.action, e.entity_id) == ("card.add", str(card.id))
    assert e.meta == {"wip_override": {"column": "In Progress", "count": 1, "limit": 1}, "reason": "outage"}


def test_lowering_wip_limit_below_current_count_is_allowed(store: Store) -> None:
    for n in range(3):
        store.add_card(draft(f"wip {n}", column="In Progress"))
    column = store.set_wip_limit("In Progress", 1)
    assert column.wip_limit == 1
    assert len(store.list_cards(column="In Progress")) == 3
    e = new_events(store, 0)[-1]
    assert e.action == "column.limit" and e.meta == {"count": 3}
    extra = store.add_card(draft("extra"))
    with pytest.raises(WipLimitReached, match=re.escape("In Progress is over its WIP limit (3/1)")):
        store.move_card(extra.id, "In Progress")


def test_unknown_card_column_or_assignee_raise_not_found_and_write_nothing(
    store: Store, db_path: Path
) -> None:
    store.add_person(Person(handle="bob", name="Bob"))
    card = store.add_card(draft())
    before = db_state(db_path)
    attempts = [
        lambda: store.move_card(999, "To Do"),
        lambda: store.edit_card(999, CardPatch(title="x")),
        lambda: store.delete_card(999),
        lambda: store.get_card(999),
        lambda: store.move_card(card.id, "Nowhere"),
        lambda: store.add_card(draft(column="Nowhere")),
        lambda: store.set_wip_limit("Nowhere", 2),
        lambda: store.list_cards(column="Nowhere"),
        lambda: store.add_card(draft(assignee="mallory")),
        lambda: store.edit_card(card.id, CardPatch(assignee="mallory")),
    ]
    for attempt in attempts:
        with pytest.raises(NotFound):
            attempt()
    assert db_state(db_path) == before


def test_flow_timestamps_follow_the_columns(store: Store, clock: FixedClock) -> None:
    card = store.add_card(draft())
    t = [START + timedelta(hours=h) for h in range(8)]
    clock.set(t[1])
    assert store.move_card(card.id, "To Do").started_at is None
    clock.set(t[2])
    working = store.move_card(card.id, "In Progress")
    assert (working.started_at, working.done_at) == (t[2], None)
    clock.set(t[3])
    assert store.move_card(card.id, "Review").started_at == t[2]
    clock.set(t[4])
    done = store.move_card(card.id, "Done")
    assert (done.started_at, done.done_at) == (t[2], t[4])
    assert store.get_card(card.id).done_at == t[4]
    clock.set(t[5])
    assert store.edit_card(card.id, CardPatch(priority="low")).done_at == t[4]  # edits keep the stamps
    clock.set(t[6])
    reopened = store.move_card(card.id, "In Progress")
    assert (reopened.started_at, reopened.done_at) == (t[2], None)
    assert store.get_card(card.id).done_at is None
    clock.set(t[7])
    again = store.move_card(card.id, "Done")
    assert (again.started_at, again.done_at) == (t[2], t[7])


def test_card_added_straight_into_active_or_done_is_stamped(store: Store) -> None:
    working = store.add_card(draft(column="In Progress"))
    assert (working.started_at, working.done_at) == (START, None)
    finished = store.add_card(draft(column="Done"))
    assert (finished.started_at, finished.done_at) == (START, START)


def test_invalid_edit_refused_and_writes_nothing(store: Store, db_path: Path) -> None:
    card = store.add_card(draft())
    before = db_state(db_path)
    with pytest.raises(InvalidInput):
        store.edit_card(card.id, CardPatch.model_construct(title="x" * 201, _fields_set={"title"}))
    assert db_state(db_path) == before


# --------------------------------------------------------------------------------------- concurrency


@pytest.fixture
def bob(db_path: Path, store: Store) -> Iterator[Store]:
    """A second store object on the same file, as another process would have; its clock runs 5 min ahead."""
    other = open_store(db_path, actor="bob", clock=FixedClock(START + timedelta(minutes=5)))
    yield other
    other.close()


def test_stale_edit_conflicts_naming_who_and_when(store: Store, bob: Store, db_path: Path) -> None:
    card = store.add_card(draft("original"))
    seen = store.get_card(card.id)
    bob.edit_card(card.id, CardPatch(title="bob's title"), expected_version=seen.version)
    before = db_state(db_path)
    with pytest.raises(Conflict) as info:
        store.edit_card(card.id, CardPatch(title="alice's title"), expected_version=seen.version)
    message = str(info.value)
    assert "by bob" in message
    assert "2026-03-02 09:05:00" in message
    assert "you had version 1, now version 2" in message
    assert (info.value.by, info.value.expected, info.value.actual) == ("bob", 1, 2)
    assert db_state(db_path) == before
    assert store.get_card(card.id).title == "bob's title"
    # with the version just read, the edit goes through
    assert store.edit_card(card.id, CardPatch(title="alice's title"), expected_version=2).version == 3


def test_stale_move_and_delete_conflict(store: Store, bob: Store, db_path: Path) -> None:
    card = store.add_card(draft())
    bob.move_card(card.id, "To Do", expected_version=1)
    before = db_state(db_path)
    with pytest.raises(Conflict, match="changed by bob"):
        store.move_card(card.id, "In Progress", expected_version=1)
    with pytest.raises(Conflict, match="changed by bob"):
        store.delete_card(card.id, expected_version=1)
    assert db_state(db_path) == before
    assert store.get_card(card.id).column == "To Do"


def test_changes_to_a_card_someone_deleted_conflict(store: Store, bob: Store, db_path: Path) -> None:
    card = store.add_card(draft())
    bob.delete_card(card.id, expected_version=1)
    before = db_state(db_path)
    for attempt in (
        lambda: store.move_card(card.id, "To Do", expected_version=1),
        lambda: store.edit_card(card.id, CardPatch(title="too late"), expected_version=1),
        lambda: store.delete_card(card.id, expected_version=1),
    ):
        with pytest.raises(Conflict) as info:
            attempt()
        assert "was deleted by bob at 2026-03-02 09:05:00" in str(info.value)
        assert info.value.actual is None
    with pytest.raises(NotFound):
        store.move_card(card.id, "To Do")
    assert db_state(db_path) == before


def test_stale_wip_limit_conflicts(store: Store, bob: Store) -> None:
    bob.set_wip_limit("Review", 2, expected_version=1)
    with pytest.raises(Conflict, match="column Review was changed by bob"):
        store.set_wip_limit("Review", 6, expected_version=1)
    assert [c.wip_limit for c in store.list_columns() if c.name == "Review"] == [2]


# --------------------------------------------------------------------------------------- append-only


@pytest.mark.parametrize(
    "sql", ["UPDATE events SET actor = 'mallory'", "DELETE FROM events", "DELETE FROM events WHERE id = 1"]
)
def test_events_cannot_be_changed_or_removed(store: Store, db_path: Path, sql: str) -> None:
    store.add_card(draft())
    store.add_person(Person(handle="bob", name="Bob"))
    before = raw_query(db_path, "SELECT * FROM events ORDER BY id")
    conn = sqlite3.connect(db_path)
    try:
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            conn.execute(sql)
        conn.rollback()
    finally:
        conn.close()
    assert raw_query(db_path, "SELECT * FROM events ORDER BY id") == before
    assert len(before) == 2


# ------------------------------------------------------------------------------------- export/import


def _busy_board(store: Store, clock: FixedClock) -> None:
    store.add_person(Person(handle="bob", name="Bob Ruiz", roles=("analyst",)))
    store.add_person(Person(handle="carol", name="Carol Okafor", roles=("engineer", "analyst")))
    a = store.add_card(draft("Phish wave", type=WorkType.UNPLANNED, assignee="bob", labels=("ioc", "phish")))
    b = store.add_card(
        draft("Sigma rule for LSASS", type=WorkType.ENGINEERING, kind=Kind.DETECTION, security=True)
    )
    c = store.add_card(draft("Quarterly report", type=WorkType.BUSINESS, description="line 1\nline 2"))
    d = store.add_card(draft("Throwaway"))
    clock.advance(timedelta(hours=2))
    store.move_card(a.id, "In Progress")
    store.move_card(b.id, "Review")
    clock.advance(timedelta(hours=3))
    store.move_card(a.id, "Done")
    store.edit_card(c.id, CardPatch(priority="critical", assignee="carol"))
    store.delete_card(d.id)
    store.set_wip_limit("Review", 2)


def test_export_import_export_round_trips(store: Store, clock: FixedClock, tmp_path: Path) -> None:
    _busy_board(store, clock)
    first = store.export_snapshot()
    assert len(first.cards) == 3 and len(first.people) == 2 and len(first.events) == 12
    clock.advance(timedelta(days=1))
    copy = open_store(tmp_path / "copy.db", actor="carol", clock=clock, create=True)
    try:
        copy.import_snapshot(first)
        second = copy.export_snapshot()
    finally:
        copy.close()
    assert second.people == first.people
    assert second.columns == first.columns
    assert second.cards == first.cards
    assert second.events[:-1] == first.events
    last = second.events[-1]
    assert (last.action, last.actor, last.entity, last.entity_id) == (
        "database.import",
        "carol",
        "database",
        "copy.db",
    )
    assert last.id == first.events[-1].id + 1
    assert last.at == START + timedelta(hours=5, days=1)
    assert last.meta == {
        "exported_at": first.exported_at.isoformat(timespec="microseconds"),
        "people": 2,
        "columns": 5,
        "cards": 3,
        "events": 12,
        "rotations": 0,
        "overrides": 0,
        "handover_notes": 0,
        "meetings": 0,
        "topics": 0,
        "retros": 0,
    }


def test_import_into_non_empty_database_refused_and_changes_nothing(
    store: Store, clock: FixedClock, tmp_path: Path
) -> None:
    _busy_board(store, clock)
    snap = store.export_snapshot()
    other_path = tmp_path / "other.db"
    other = open_store(other_path, actor="dan", clock=clock, create=True)
    try:
        other.add_person(Person(handle="dan", name="Dan Weiss"))
        before = db_state(other_path)
        with pytest.raises(InvalidInput, match="needs an empty database"):
            other.import_snapshot(snap)
        assert db_state(other_path) == before
    finally:
        other.close()


def test_cards_added_after_import_get_ids_never_used_before(
    store: Store, clock: FixedClock, tmp_path: Path
) -> None:
    # Card ids are never reused (AUTOINCREMENT), so a card's history is its own. That must survive an
    # export/import: the deleted card's id is in the imported events.
    kept = store.add_card(draft("kept"))
    deleted = store.add_card(draft("deleted"))
    store.delete_card(deleted.id)
    copy = open_store(tmp_path / "copy.db", actor="carol", clock=clock, create=True)
    try:
        copy.import_snapshot(store.export_snapshot())
        fresh = copy.add_card(draft("fresh"))
        assert fresh.id not in (kept.id, deleted.id)
        assert [e.action for e in copy.card_history(fresh.id)] == ["card.add"]
    finally:
        copy.close()


def _check_invariants(s: Store) -> None:
    """Versions and counts agree with the event log; columns hold no more than their limit unless forced."""
    cards = s.list_cards()
    events = s.events_after(0)
    counts = Counter((e.action, e.entity_id) for e in events)
    for c in cards:
        changes = counts[("card.move", str(c.id))] + counts[("card.edit", str(c.id))]
        assert c.version == 1 + changes, c
    actions = Counter(e.action for e in events)
    assert actions["card.add"] - actions["card.delete"] == len(cards)
    assert [e.id for e in events] == sorted(e.id for e in events)
    limits = {col.name: col.wip_limit for col in s.list_columns()}
    places = Counter((c.column, c.position) for c in cards)
    assert max(places.values(), default=1) == 1
    forced_into = {e.meta["wip_override"]["column"] for e in events if e.meta and "wip_override" in e.meta}
    for name, limit in limits.items():
        if limit is not None and name not in forced_into:
            assert sum(1 for c in cards if c.column == name) <= limit, name


column_choice = st.sampled_from([name for name, _, _ in DEFAULTS])
operations = st.lists(
    st.one_of(
        st.tuples(st.just("add"), st.one_of(st.none(), column_choice)),
        st.tuples(st.just("move"), st.integers(0, 99), column_choice),
        st.tuples(
            st.just("edit"),
            st.integers(0, 99),
            st.sampled_from(["title", "priority", "labels", "assignee"]),
            st.integers(0, 2),
        ),
        st.tuples(st.just("delete"), st.integers(0, 99)),
    ),
    max_size=30,
)


@given(operations)
@settings(max_examples=25, deadline=None)
def test_random_operations_keep_versions_and_events_consistent(
    tmp_path_factory: pytest.TempPathFactory, ops: list[tuple[Any, ...]]
) -> None:
    path = tmp_path_factory.mktemp("prop") / "team.db"
    clock = FixedClock(START)
    s = open_store(path, actor="alice", clock=clock, create=True)
    try:
        s.add_person(Person(handle="bob", name="Bob"))
        values: dict[str, list[Any]] = {
            "title": ["Alpha", "Beta", "Alpha"],
            "priority": ["low", "medium", "critical"],
            "labels": [(), ("ioc",), ("ioc", "edr")],
            "assignee": [None, "bob", None],
        }
        for op in ops:
            clock.advance(timedelta(minutes=1))
            ids = [c.id for c in s.list_cards()]
            mark = s.last_event_id()
            if op[0] == "add":
                try:
                    s.add_card(draft(f"card {mark}", column=op[1]))
                except WipLimitReached:
                    assert s.last_event_id() == mark
            elif not ids:
                continue
            elif op[0] == "move":
                try:
                    s.move_card(ids[op[1] % len(ids)], op[2])
                except WipLimitReached:
                    assert s.last_event_id() == mark
            elif op[0] == "edit":
                field, index = op[2], op[3]
                s.edit_card(ids[op[1] % len(ids)], CardPatch(**{field: values[field][index]}))
            else:
                s.delete_card(ids[op[1] % len(ids)])
            assert s.last_event_id() - mark in (0, 1)
        _check_invariants(s)
    finally:
        s.close()


# ---------------------------------------------------------------------------------------- change feed


def test_feed_reports_other_connections_commits_once_in_order(store: Store, bob: Store) -> None:
    store.add_card(draft("before the feed"))
    feed = store.feed()
    try:
        assert feed.poll() == []
        assert feed.last_seen == store.last_event_id()
        mark = feed.last_seen
        card = bob.add_card(draft("from bob"))
        bob.move_card(card.id, "To Do")
        bob.add_person(Person(handle="erin", name="Erin"))
        got = feed.poll()
        expected = bob.events_after(mark)
        assert [e.action for e in got] == ["card.add", "card.move", "person.add"]
        assert got == expected
        assert [e.id for e in got] == sorted(e.id for e in got)
        assert all(e.actor == "bob" for e in got)
        assert feed.last_seen == got[-1].id
        assert feed.poll() == []
        assert feed.poll() == []
    finally:
        feed.close()


def test_feed_sees_commits_from_its_own_store_too(store: Store) -> None:
    feed = store.feed()
    try:
        card = store.add_card(draft())
        assert [(e.action, e.entity_id) for e in feed.poll()] == [("card.add", str(card.id))]
        assert feed.poll() == []
    finally:
        feed.close()


def test_reads_never_produce_feed_events(store: Store, bob: Store) -> None:
    store.add_card(draft())
    feed = store.feed()
    try:
        for _ in range(3):
            assert feed.poll() == []
            store.list_cards()
            bob.export_snapshot()
            bob.recent_events()
            store.move_card(1, "Backlog")  # a no-op write commits nothing
        assert feed.poll() == []
        assert feed.last_seen == 1
    finally:
        feed.close()


def test_feed_reports_nothing_after_a_refused_write(store: Store, bob: Store) -> None:
    store.set_wip_limit("Review", 1)
    store.add_card(draft(column="Review"))
    card = store.add_card(draft())
    feed = store.feed()
    try:
        with pytest.raises(WipLimitReached):
            bob.move_card(card.id, "Review")
        assert feed.poll() == []
    finally:
        feed.close()


# --------------------------------------------------------------------------------------------- sample


@pytest.mark.skipif(not sample_file().exists(), reason="sample_data/socdesk-sample.json not written yet")
def test_sample_loads_a_team_covering_the_board(store: Store, clock: FixedClock) -> None:
    rebased = load_sample(store)
    now = clock.now()
    assert rebased.exported_at == now
    people = store.list_people()
    cards = store.list_cards()
    assert len(people) == 8
    assert 35 <= len(cards) <= 50
    assert {c.type for c in cards} == set(WorkType)
    assert {c.column for c in cards} == {name for name, _, _ in DEFAULTS}
    assert Kind.DETECTION in {c.kind for c in cards}
    assert [(c.name, c.stage) for c in store.list_columns()] == [(n, s) for n, _, s in DEFAULTS]
    events = store.events_after(0)
    assert events[-1].action == "database.import" and events[-1].at == now
    stamps = [t for c in cards for t in (c.created_at, c.updated_at, c.started_at, c.done_at) if t]
    stamps += [e.at for e in events]
    assert max(stamps) <= now
    assert min(stamps) < now - timedelta(days=7)  # a history, not one instant
    _check_invariants(store)
