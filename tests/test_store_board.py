"""The store's board operations on real files: reorder, restore, column_since and their migrations."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from socdesk.domain import (
    Card,
    CardDraft,
    CardPatch,
    Conflict,
    Event,
    FixedClock,
    InvalidInput,
    NotFound,
    Person,
    Snapshot,
    WipLimitReached,
    WorkType,
)
from socdesk.domain.board import age_in_column
from socdesk.domain.describe import describe_event
from socdesk.domain.validation import parse
from socdesk.sample import load_sample, sample_file
from socdesk.store import Store, open_store
from socdesk.store import migrations as mig
from socdesk.store.connection import connect
from socdesk.store.migrations import MIGRATIONS_TABLE, known_names, migrate

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def draft(title: str, **fields: Any) -> CardDraft:
    return CardDraft(**{"title": title, "type": WorkType.OPERATIONS, **fields})


def raw_query(path: Path, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Read the file with plain sqlite3, bypassing the store."""
    conn = sqlite3.connect(path)
    try:
        return [tuple(r) for r in conn.execute(sql, params)]
    finally:
        conn.close()


def db_state(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Everything the store keeps, read straight from the file (card id counter and schema included)."""
    return {
        table: raw_query(path, f"SELECT * FROM {table} ORDER BY 1")
        for table in (
            "people",
            "columns",
            "cards",
            "events",
            MIGRATIONS_TABLE,
            "sqlite_sequence",
            "sqlite_master",
        )
    }


def titles(store: Store, column: str) -> list[str]:
    return [c.title for c in store.list_cards(column=column)]


def fill(store: Store, clock: FixedClock, column: str, names: str) -> dict[str, Card]:
    """One card per letter of ``names``, added a minute apart to the end of ``column``."""
    made = {}
    for name in names:
        clock.advance(timedelta(minutes=1))
        made[name] = store.add_card(draft(name, column=column))
    return made


# ------------------------------------------------------------------------------------------ reorder


@pytest.mark.parametrize(
    ("who", "steps", "order"),
    [
        ("c", -1, "acbde"),
        ("c", 1, "abdce"),
        ("b", 2, "acdbe"),
        ("d", -3, "dabce"),
        ("a", 4, "bcdea"),
        ("e", -4, "eabcd"),
        ("b", 99, "acdeb"),  # clamped at the bottom
        ("d", -99, "dabce"),  # clamped at the top
    ],
)
def test_reorder_moves_one_card_and_reads_back_in_the_new_order(
    store: Store, clock: FixedClock, db_path: Path, who: str, steps: int, order: str
) -> None:
    cards = fill(store, clock, "Backlog", "abcde")
    other = store.add_card(draft("elsewhere", column="To Do"))
    clock.advance(timedelta(hours=2))
    mark = store.last_event_id()
    moved = store.reorder_card(cards[who].id, steps)

    assert titles(store, "Backlog") == list(order)
    after = {c.title: c for c in store.list_cards(column="Backlog")}
    assert store.get_card(moved.id) == moved == after[who]
    assert moved.version == cards[who].version + 1
    assert moved.updated_at == clock.now()
    assert (moved.column, moved.column_since, moved.created_at) == (
        "Backlog",
        cards[who].column_since,
        cards[who].created_at,
    )
    # neighbours changed place only: same version, same updated_at, nothing else
    for name, before in cards.items():
        if name != who:
            assert after[name].model_dump(exclude={"position"}) == before.model_dump(exclude={"position"})
    assert sorted(c.position for c in after.values()) == [0, 1, 2, 3, 4]
    assert store.get_card(other.id) == other

    [event] = store.events_after(mark)
    assert (event.action, event.actor, event.entity, event.entity_id, event.at) == (
        "card.reorder",
        "alice",
        "card",
        str(moved.id),
        clock.now(),
    )
    assert event.before == cards[who].model_dump(mode="json")
    assert event.after == moved.model_dump(mode="json")
    assert event.meta == {"column": "Backlog", "from_index": "abcde".index(who), "to_index": order.index(who)}
    assert raw_query(db_path, "SELECT count(*) FROM events WHERE action = 'card.reorder'") == [(1,)]


@pytest.mark.parametrize(("who", "steps"), [("a", -1), ("a", -50), ("c", 1), ("c", 7), ("b", 0), ("a", 0)])
def test_reorder_at_an_end_or_by_zero_is_a_noop(
    store: Store, clock: FixedClock, db_path: Path, who: str, steps: int
) -> None:
    cards = fill(store, clock, "To Do", "abc")
    clock.advance(timedelta(hours=1))
    before = db_state(db_path)
    mark = store.last_event_id()
    assert store.reorder_card(cards[who].id, steps) == cards[who]
    assert store.reorder_card(cards[who].id, steps, expected_version=1) == cards[who]
    assert store.last_event_id() == mark
    assert db_state(db_path) == before
    assert titles(store, "To Do") == ["a", "b", "c"]


def test_reorder_alone_in_a_column_is_a_noop(store: Store, db_path: Path) -> None:
    only = store.add_card(draft("only", column="Review"))
    before = db_state(db_path)
    for steps in (-3, -1, 1, 3):
        assert store.reorder_card(only.id, steps) == only
    assert db_state(db_path) == before


def test_reorder_keeps_the_positions_a_column_already_has(store: Store, clock: FixedClock) -> None:
    # moving cards out leaves gaps in the positions; a reorder reuses the slots it touches, in order
    cards = fill(store, clock, "Backlog", "abcdefg")
    for gone in "bdf":
        store.move_card(cards[gone].id, "To Do")
    slots = [c.position for c in store.list_cards(column="Backlog")]
    assert slots == [0, 2, 4, 6]
    store.reorder_card(cards["g"].id, -2)
    assert titles(store, "Backlog") == ["a", "g", "c", "e"]
    assert [c.position for c in store.list_cards(column="Backlog")] == slots
    store.reorder_card(cards["a"].id, 2)
    assert titles(store, "Backlog") == ["g", "c", "a", "e"]
    assert [c.position for c in store.list_cards(column="Backlog")] == slots
    # a card added next still goes to the end
    assert store.add_card(draft("h")).position == 7
    assert titles(store, "Backlog") == ["g", "c", "a", "e", "h"]


def test_reorder_with_a_stale_version_conflicts_and_writes_nothing(
    store: Store, clock: FixedClock, db_path: Path
) -> None:
    cards = fill(store, clock, "Backlog", "abc")
    clock.advance(timedelta(minutes=5))
    store.edit_card(cards["c"].id, CardPatch(title="c2"))
    before = db_state(db_path)
    with pytest.raises(Conflict) as info:
        store.reorder_card(cards["c"].id, -1, expected_version=1)
    assert (info.value.expected, info.value.actual, info.value.by) == (1, 2, "alice")
    assert "you had version 1, now version 2" in str(info.value)
    assert db_state(db_path) == before
    # with the version just read it goes through
    assert store.reorder_card(cards["c"].id, -1, expected_version=2).version == 3
    assert titles(store, "Backlog") == ["a", "c2", "b"]


def test_reorder_of_a_deleted_or_unknown_card_writes_nothing(
    store: Store, clock: FixedClock, db_path: Path
) -> None:
    cards = fill(store, clock, "Backlog", "ab")
    store.delete_card(cards["a"].id)
    before = db_state(db_path)
    with pytest.raises(Conflict) as info:
        store.reorder_card(cards["a"].id, 1, expected_version=1)
    assert info.value.actual is None and "was deleted by alice" in str(info.value)
    with pytest.raises(NotFound):
        store.reorder_card(cards["a"].id, 1)
    with pytest.raises(NotFound):
        store.reorder_card(999, 1)
    assert db_state(db_path) == before


def test_reordering_never_makes_anothers_edit_of_a_neighbour_conflict(
    store: Store, clock: FixedClock, db_path: Path
) -> None:
    cards = fill(store, clock, "Backlog", "abc")
    bob = open_store(db_path, actor="bob", clock=clock)
    try:
        bob.reorder_card(cards["c"].id, -2)
        edited = store.edit_card(cards["a"].id, CardPatch(title="a2"), expected_version=1)
        assert edited.version == 2
    finally:
        bob.close()
    assert titles(store, "Backlog") == ["c", "a2", "b"]


@given(
    st.integers(2, 7),
    st.sets(st.integers(0, 6)),
    st.lists(st.tuples(st.integers(0, 6), st.integers(-8, 8)), max_size=12),
)
@settings(max_examples=30, deadline=None)
def test_random_reorders_agree_with_a_list_model(
    tmp_path_factory: pytest.TempPathFactory, n: int, moved_out: set[int], ops: list[tuple[int, int]]
) -> None:
    path = tmp_path_factory.mktemp("reorder") / "team.db"
    clock = FixedClock(START)
    s = open_store(path, actor="alice", clock=clock, create=True)
    try:
        made = [s.add_card(draft(f"c{i}")) for i in range(n)]
        for i in sorted(moved_out):
            if i < n:
                s.move_card(made[i].id, "Done")
        model = [c.id for c in made if made.index(c) not in moved_out]
        versions = {c.id: s.get_card(c.id).version for c in made}
        done_before = s.list_cards(column="Done")
        for index, steps in ops:
            if not model:
                break
            clock.advance(timedelta(minutes=1))
            card_id = model[index % len(model)]
            old = model.index(card_id)
            new = min(max(old + steps, 0), len(model) - 1)
            mark = s.last_event_id()
            result = s.reorder_card(card_id, steps)
            model.insert(new, model.pop(old))
            if new != old:
                versions[card_id] += 1
                [event] = s.events_after(mark)
                assert event.meta == {"column": "Backlog", "from_index": old, "to_index": new}
            else:
                assert s.last_event_id() == mark
            assert result.version == versions[card_id]
            backlog = s.list_cards(column="Backlog")
            assert [c.id for c in backlog] == model
            assert len({c.position for c in backlog}) == len(backlog)
        assert {c.id: c.version for c in s.list_cards()} == {c.id: versions[c.id] for c in made}
        assert s.list_cards(column="Done") == done_before
    finally:
        s.close()


# ------------------------------------------------------------------------------------------ restore


def test_restore_brings_a_deleted_card_back_at_the_end_of_its_column(
    store: Store, clock: FixedClock, db_path: Path
) -> None:
    store.add_person(Person(handle="bob", name="Bob"))
    cards = fill(store, clock, "To Do", "abc")
    b = store.edit_card(cards["b"].id, CardPatch(assignee="bob", labels=("ioc",)))
    clock.advance(timedelta(hours=1))
    gone = store.delete_card(b.id)
    assert gone == b
    clock.advance(timedelta(hours=3))
    mark = store.last_event_id()

    restored = store.restore_card(gone)

    assert restored.id == b.id
    assert restored.version == b.version + 1
    assert (restored.column, restored.position) == ("To Do", cards["c"].position + 1)
    assert restored.column_since == restored.updated_at == clock.now()
    assert restored.model_dump(exclude={"position", "updated_at", "column_since", "version"}) == b.model_dump(
        exclude={"position", "updated_at", "column_since", "version"}
    )
    assert store.get_card(b.id) == restored
    assert titles(store, "To Do") == ["a", "c", "b"]
    [event] = store.events_after(mark)
    assert (event.action, event.actor, event.entity, event.entity_id, event.at) == (
        "card.restore",
        "alice",
        "card",
        str(b.id),
        clock.now(),
    )
    assert event.before is None and event.meta is None
    assert event.after == restored.model_dump(mode="json")
    # the id counter is not confused: the next new card gets a fresh id
    assert store.add_card(draft("d")).id == max(c.id for c in cards.values()) + 1


def test_restore_of_the_newest_card_keeps_ids_unique(store: Store, clock: FixedClock) -> None:
    cards = fill(store, clock, "Backlog", "ab")
    store.restore_card(store.delete_card(cards["b"].id))
    newer = store.add_card(draft("c"))
    assert newer.id == cards["b"].id + 1
    assert sorted(c.id for c in store.list_cards()) == [cards["a"].id, cards["b"].id, newer.id]


def test_a_card_can_be_deleted_and_restored_again(store: Store, clock: FixedClock) -> None:
    card = store.add_card(draft("again"))
    first = store.restore_card(store.delete_card(card.id))
    second = store.restore_card(store.delete_card(card.id))
    assert (card.version, first.version, second.version) == (1, 2, 3)
    history = [e.action for e in store.card_history(card.id)]
    assert history == ["card.add", "card.delete", "card.restore", "card.delete", "card.restore"]


def test_restoring_a_card_that_exists_is_refused_and_writes_nothing(
    store: Store, clock: FixedClock, db_path: Path
) -> None:
    card = store.add_card(draft("here"))
    before = db_state(db_path)
    with pytest.raises(InvalidInput, match=f"card #{card.id} exists"):
        store.restore_card(card)
    # restored once, it exists again: a second restore of the same copy is refused too
    gone = store.delete_card(card.id)
    store.restore_card(gone)
    after_restore = db_state(db_path)
    with pytest.raises(InvalidInput, match="only a deleted card can be restored"):
        store.restore_card(gone)
    assert db_state(db_path) == after_restore
    assert before["cards"] != after_restore["cards"]  # the check above compared a changed file


def test_restoring_a_card_never_deleted_is_not_found_and_writes_nothing(
    store: Store, clock: FixedClock, db_path: Path
) -> None:
    card = store.add_card(draft("real"))
    store.move_card(card.id, "To Do")
    other = store.delete_card(store.add_card(draft("other")).id)
    before = db_state(db_path)
    never = other.model_copy(update={"id": other.id + 50})
    with pytest.raises(NotFound, match=f"no deleted card #{never.id}"):
        store.restore_card(never)
    assert db_state(db_path) == before


def test_restoring_into_a_full_column_needs_force_and_a_reason(
    store: Store, clock: FixedClock, db_path: Path
) -> None:
    cards = fill(store, clock, "Review", "abc")  # Review's limit is 3
    gone = store.delete_card(cards["a"].id)
    store.add_card(draft("d", column="Review"))
    before = db_state(db_path)
    with pytest.raises(WipLimitReached) as info:
        store.restore_card(gone)
    assert (info.value.column, info.value.count, info.value.limit) == ("Review", 3, 3)
    assert db_state(db_path) == before
    for reason in (None, "", "   "):
        with pytest.raises(InvalidInput, match="needs a reason"):
            store.restore_card(gone, force=True, reason=reason)
        assert db_state(db_path) == before
    with pytest.raises(WipLimitReached):
        store.restore_card(gone, force=False, reason="undo")  # a reason alone does not force
    assert db_state(db_path) == before

    mark = store.last_event_id()
    restored = store.restore_card(gone, force=True, reason=" undo of a mistake ")
    assert titles(store, "Review") == ["b", "c", "d", "a"]
    [event] = store.events_after(mark)
    assert event.action == "card.restore"
    assert event.meta == {
        "wip_override": {"column": "Review", "count": 3, "limit": 3},
        "reason": "undo of a mistake",
    }
    assert event.after == restored.model_dump(mode="json")


def test_restore_into_a_column_with_room_is_not_an_override(store: Store, clock: FixedClock) -> None:
    cards = fill(store, clock, "Review", "abc")
    gone = store.delete_card(cards["b"].id)
    mark = store.last_event_id()
    store.restore_card(gone, force=True, reason="not needed")
    [event] = store.events_after(mark)
    assert event.meta is None


# ------------------------------------------------------------------------------------- column_since


def test_column_since_set_on_add_and_move_and_kept_on_edit_and_reorder(
    store: Store, clock: FixedClock, db_path: Path
) -> None:
    a = store.add_card(draft("a"))
    assert a.column_since == a.created_at == START
    clock.advance(timedelta(hours=2))
    b = store.add_card(draft("b"))
    assert b.column_since == START + timedelta(hours=2)

    clock.advance(timedelta(hours=3))
    moved = store.move_card(a.id, "To Do")
    t_move = START + timedelta(hours=5)
    assert moved.column_since == moved.updated_at == t_move
    assert moved.created_at == START

    clock.advance(timedelta(hours=1))
    edited = store.edit_card(a.id, CardPatch(title="a edited"))
    assert edited.updated_at == clock.now() and edited.column_since == t_move

    clock.advance(timedelta(hours=1))
    store.add_card(draft("c", column="To Do"))
    reordered = store.reorder_card(a.id, 1)
    assert reordered.position != edited.position
    assert reordered.updated_at == clock.now() and reordered.column_since == t_move

    clock.advance(timedelta(hours=1))
    assert store.move_card(a.id, "To Do").column_since == t_move  # same column: nothing happens

    clock.advance(timedelta(days=2))
    again = store.move_card(a.id, "In Progress")
    assert again.column_since == clock.now()
    assert store.get_card(a.id).column_since == clock.now()
    assert store.get_card(b.id).column_since == START + timedelta(hours=2)
    assert age_in_column(store.get_card(b.id), clock.now()) == clock.now() - b.column_since

    stored = raw_query(db_path, "SELECT column_since FROM cards WHERE id = ?", (a.id,))
    assert [datetime.fromisoformat(v) for (v,) in stored] == [clock.now()]
    afters = [e.after["column_since"] for e in store.card_history(a.id) if e.after]
    assert [datetime.fromisoformat(t) for t in afters] == [START, t_move, t_move, t_move, clock.now()]


@pytest.mark.skipif(not sample_file().exists(), reason="sample_data/socdesk-sample.json not written yet")
@pytest.mark.parametrize("days_after_export", [-300, 0, 400])
def test_sample_rebasing_moves_column_since_with_the_other_timestamps(
    db_path: Path, days_after_export: int
) -> None:
    path = sample_file()
    original = parse(Snapshot, json.loads(path.read_text(encoding="utf-8")), str(path))
    clock = FixedClock(original.exported_at + timedelta(days=days_after_export))
    s = open_store(db_path, actor="alice", clock=clock, create=True)
    try:
        load_sample(s)
        loaded = {c.id: c for c in s.list_cards()}
    finally:
        s.close()
    assert loaded.keys() == {c.id for c in original.cards}
    # the time a card has waited in its column is part of the sample, wherever "now" is
    shifted_wrong = [
        c.id
        for c in original.cards
        if loaded[c.id].column_since - loaded[c.id].created_at != c.column_since - c.created_at
    ]
    out_of_order = [c.id for c in loaded.values() if not c.created_at <= c.column_since <= clock.now()]
    assert shifted_wrong == [] and out_of_order == []


# --------------------------------------------------------------------------------------- migrations


def all_schema(path: Path) -> list[tuple[Any, ...]]:
    return raw_query(path, "SELECT type, name FROM sqlite_master ORDER BY type, name")


def broken(db: Any) -> None:
    db.execute("CREATE TABLE half_done (x INTEGER)")
    db.execute("ALTER TABLE cards ADD COLUMN doomed TEXT")
    db.execute("INSERT INTO half_done VALUES (1)")
    raise RuntimeError("migration 9999 failed halfway")


def test_a_failing_migration_on_a_fresh_file_leaves_no_tables(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(mig, "_ordered", [*mig._ordered, ("9999_broken", broken)])
    path = tmp_path / "fresh.db"
    conn = connect(path)
    try:
        with pytest.raises(RuntimeError, match="failed halfway"):
            migrate(conn)
        assert not conn.in_transaction
    finally:
        conn.close()
    assert all_schema(path) == []  # not the first migrations, not even sqlite-utils' bookkeeping


def test_a_failing_migration_leaves_an_existing_database_as_it_was(
    db_path: Path, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    s = open_store(db_path, actor="alice", clock=clock, create=True)
    s.add_card(draft("kept"))
    s.close()
    before = db_state(db_path)
    monkeypatch.setattr(mig, "_ordered", [*mig._ordered, ("9999_broken", broken)])
    with pytest.raises(RuntimeError, match="failed halfway"):
        open_store(db_path, actor="alice", clock=clock)
    assert db_state(db_path) == before
    monkeypatch.undo()
    s = open_store(db_path, actor="alice", clock=clock)
    try:
        assert [c.title for c in s.list_cards()] == ["kept"]
    finally:
        s.close()


def test_after_a_failed_migration_the_real_ones_still_apply(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clock: FixedClock
) -> None:
    path = tmp_path / "fresh.db"
    real = list(mig._ordered)
    monkeypatch.setattr(mig, "_ordered", [*real, ("9999_broken", broken)])
    conn = connect(path)
    try:
        with pytest.raises(RuntimeError):
            migrate(conn)
        monkeypatch.setattr(mig, "_ordered", real)
        assert migrate(conn) == known_names() == [name for name, _ in real]
        assert migrate(conn) == []
    finally:
        conn.close()
    assert raw_query(path, f"SELECT name FROM {MIGRATIONS_TABLE} ORDER BY id") == [
        (n,) for n in known_names()
    ]
    assert ("table", "half_done") not in all_schema(path)


def _database_at_0001(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = mig._ordered[:1]
    assert [name for name, _ in first] == ["0001_board"]
    monkeypatch.setattr(mig, "_ordered", first)
    conn = connect(path)
    try:
        assert migrate(conn) == ["0001_board"]
    finally:
        conn.close()
    monkeypatch.undo()


def _t(hours: float) -> str:
    return (START + timedelta(hours=hours)).isoformat(timespec="microseconds")


def test_migration_0002_backfills_column_since_from_the_last_move(
    db_path: Path, monkeypatch: pytest.MonkeyPatch, clock: FixedClock
) -> None:
    _database_at_0001(db_path, monkeypatch)
    columns = [r[0] for r in raw_query(db_path, "PRAGMA table_info(cards)")]
    assert "column_since" not in columns and columns  # 0001 only

    conn = sqlite3.connect(db_path)
    try:
        col = dict(conn.execute("SELECT name, id FROM columns"))
        insert_card = (
            "INSERT INTO cards (id, title, type, column_id, position, created_at, updated_at)"
            " VALUES (?, ?, 'operations', ?, ?, ?, ?)"
        )
        conn.execute(insert_card, (1, "moved twice", col["In Progress"], 0, _t(0), _t(5)))
        conn.execute(insert_card, (2, "never moved", col["Backlog"], 0, _t(1), _t(1.5)))
        conn.execute(insert_card, (3, "moved once", col["To Do"], 0, _t(2), _t(3)))
        insert_event = (
            "INSERT INTO events (at, actor, action, entity, entity_id, meta) VALUES (?, 'alice', ?, ?, ?, ?)"
        )
        conn.executemany(
            insert_event,
            [
                (_t(0), "card.add", "card", "1", None),
                (_t(1), "card.add", "card", "2", None),
                (_t(1.5), "card.edit", "card", "2", '{"fields": ["title"]}'),  # an edit is not a move
                (_t(2), "card.add", "card", "3", None),
                (_t(3), "card.move", "card", "1", '{"from": "Backlog", "to": "To Do"}'),
                (_t(3), "card.move", "card", "3", '{"from": "Backlog", "to": "To Do"}'),
                (_t(5), "card.move", "card", "1", '{"from": "To Do", "to": "In Progress"}'),
                (_t(9), "card.move", "card", "11", '{"from": "Backlog", "to": "To Do"}'),  # another card
                (_t(9), "card.move", "card", "21", '{"from": "Backlog", "to": "To Do"}'),
                (_t(9), "column.limit", "column", "1", None),
            ],
        )
        conn.commit()
    finally:
        conn.close()

    s = open_store(db_path, actor="alice", clock=clock)  # applies 0002 and every later migration
    try:
        got = {c.id: c.column_since for c in s.list_cards()}
    finally:
        s.close()
    assert got == {
        1: START + timedelta(hours=5),
        2: START + timedelta(hours=1),
        3: START + timedelta(hours=3),
    }
    assert raw_query(db_path, f"SELECT name FROM {MIGRATIONS_TABLE} ORDER BY id") == [
        ("0001_board",),
        ("0002_column_since",),
        ("0003_duty",),
        ("0004_handshake",),
        ("0005_retro",),
    ]


# ------------------------------------------------------------------------------------ describe_event


def test_describe_reorder_and_restore_events_from_the_store(store: Store, clock: FixedClock) -> None:
    cards = fill(store, clock, "To Do", "abc")
    store.edit_card(cards["c"].id, CardPatch(title="Rotate keys"))
    mark = store.last_event_id()
    store.reorder_card(cards["c"].id, -2)
    store.reorder_card(cards["a"].id, 5)
    store.restore_card(store.delete_card(cards["b"].id))
    texts = [describe_event(e) for e in store.events_after(mark)]
    c, a, b = cards["c"].id, cards["a"].id, cards["b"].id
    assert texts == [
        f"moved card #{c} “Rotate keys” up in To Do",
        f"moved card #{a} “a” down in To Do",
        f"deleted card #{b} “b”",
        f"restored card #{b} “b” to To Do",
    ]


def test_describe_a_forced_restore_names_the_override(store: Store, clock: FixedClock) -> None:
    cards = fill(store, clock, "Review", "abc")
    gone = store.delete_card(cards["a"].id)
    store.add_card(draft("d", column="Review"))
    store.restore_card(gone, force=True, reason="undo")
    [event] = store.recent_events(1)
    assert describe_event(event) == (
        f"restored card #{gone.id} “a” to Review (WIP limit overridden at 3/3: undo)"
    )


def _event(action: str, **fields: Any) -> Event:
    return Event(id=1, at=START, actor="alice", action=action, entity="card", entity_id="7", **fields)


@pytest.mark.parametrize(
    ("meta", "text"),
    [
        ({"column": "Review", "from_index": 0, "to_index": 3}, "moved card #7 “T” down in Review"),
        ({"column": "Review", "from_index": 3, "to_index": 2}, "moved card #7 “T” up in Review"),
        ({"from_index": 2, "to_index": 1}, "moved card #7 “T” up in its column"),
    ],
)
def test_describe_reorder_direction_and_place(meta: dict[str, Any], text: str) -> None:
    assert describe_event(_event("card.reorder", after={"title": "T"}, meta=meta)) == text


def test_describe_restore_without_state() -> None:
    assert describe_event(_event("card.restore", after={"title": "T", "column": "Done"})) == (
        "restored card #7 “T” to Done"
    )
