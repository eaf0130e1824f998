"""Backups (SQLite's online backup API) taken while others write, restores, and exact round trips.

A backup must be one consistent moment even while other processes commit, a restore all or nothing,
and an export, imported or backed up and restored, must come back exactly: the same people, cards,
roster, meetings, retros and every event, plus the one event that records the import or restore.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import sqlite3
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

import mp_workers
from socdesk.domain import CardDraft, CardPatch, FixedClock, Person, WorkType
from socdesk.domain.duty import OverrideDraft, Role
from socdesk.domain.errors import SocdeskError
from socdesk.domain.retro import NoteColumn, Phase, RetroDraft
from socdesk.domain.snapshot import Snapshot
from socdesk.sample import load_sample
from socdesk.store import Store, StoreUnavailable, open_store, restore_backup

CTX = multiprocessing.get_context("spawn")
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
COLUMNS = ["Backlog", "To Do", "In Progress", "Review", "Done"]


def digest(path: Path) -> str:
    conn = sqlite3.connect(path)
    try:
        return hashlib.sha256("\n".join(conn.iterdump()).encode()).hexdigest()
    finally:
        conn.close()


def rows(path: Path, sql: str) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return [tuple(r) for r in conn.execute(sql)]
    finally:
        conn.close()


def same_but_the_last_event(copy: Snapshot, original: Snapshot, action: str) -> None:
    """``copy`` holds exactly ``original`` plus one closing event ``action``."""
    assert copy.model_dump(exclude={"exported_at", "events"}) == original.model_dump(
        exclude={"exported_at", "events"}
    )
    assert copy.events[:-1] == original.events
    assert copy.events[-1].action == action


@pytest.fixture
def sample(store: Store) -> Store:
    load_sample(store)
    return store


# ------------------------------------------------------------------------------------ backup


def test_a_backup_is_one_self_contained_checked_file_of_everything(
    sample: Store, tmp_path: Path, clock: FixedClock
) -> None:
    target = tmp_path / "backups" / "monday.db"
    target.parent.mkdir()
    summary = sample.backup_to(target)
    assert summary.path == target and summary.cards == len(sample.list_cards())
    assert summary.events == sample.last_event_id()
    assert rows(target, "PRAGMA integrity_check") == [("ok",)]
    assert rows(target, "PRAGMA journal_mode") == [("delete",)]  # no -wal needed to read it
    assert sorted(p.name for p in target.parent.iterdir()) == ["monday.db"]  # nothing half-made beside it
    restored = restore_backup(target, tmp_path / "restored.db", actor="carol", clock=clock)
    assert restored.cards == summary.cards and restored.events == summary.events + 1
    with closing(open_store(tmp_path / "restored.db", actor="carol", clock=clock)) as copy:
        same_but_the_last_event(copy.export_snapshot(), sample.export_snapshot(), "database.restore")
        last = copy.recent_events(1)[0]
        assert (last.actor, last.entity, last.entity_id) == ("carol", "database", "restored.db")
        assert last.meta == {"from": str(target), "cards": summary.cards, "events": summary.events}


@pytest.mark.parametrize("problem", ["exists", "directory", "no folder"])
def test_a_backup_never_overwrites_and_changes_nothing_when_refused(
    sample: Store, db_path: Path, tmp_path: Path, problem: str
) -> None:
    target = {"exists": tmp_path / "old.db", "directory": tmp_path, "no folder": tmp_path / "x" / "b.db"}[
        problem
    ]
    if problem == "exists":
        target.write_bytes(b"last week's backup")
    before = digest(db_path)
    listing = sorted(tmp_path.rglob("*"))
    with pytest.raises(StoreUnavailable):
        sample.backup_to(target)
    assert digest(db_path) == before
    assert sorted(tmp_path.rglob("*")) == listing
    if problem == "exists":
        assert target.read_bytes() == b"last week's backup"


def test_backups_taken_while_four_processes_write_are_each_one_consistent_moment(
    db_path: Path, tmp_path: Path
) -> None:
    """Every card in a backup has, in the same backup, the event that wrote its current version."""
    with closing(open_store(db_path, actor="seed", create=True)) as seed:
        for column in ("To Do", "In Progress", "Review"):
            seed.set_wip_limit(column, None)
        start = CTX.Barrier(5)
        results = CTX.Queue()
        procs = [
            CTX.Process(
                target=mp_workers.mixed_writer,
                args=(str(db_path), f"w{n}", n, 150, start, results),
                daemon=True,
            )
            for n in range(4)
        ]
        for proc in procs:
            proc.start()
        try:
            start.wait(60)
            backups = []
            for n in range(8):
                backups.append(seed.backup_to(tmp_path / f"during-{n}.db"))
            reports = [results.get(timeout=120) for _ in procs]
            for proc in procs:
                proc.join(timeout=30)
        finally:
            for proc in procs:
                if proc.is_alive():
                    proc.kill()
        assert all(not r["unexpected"] for r in reports), [r["unexpected"] for r in reports]
        final = seed.backup_to(tmp_path / "after.db")
        assert final.events == seed.last_event_id()
    assert len({b.events for b in backups}) > 1, "the writers never ran during the backups"
    for summary in [*backups, final]:
        path = summary.path
        assert rows(path, "PRAGMA integrity_check") == [("ok",)]
        versions = dict(rows(path, "SELECT id, version FROM cards"))
        latest: dict[int, int] = {}
        for entity_id, after in rows(
            path,
            "SELECT entity_id, after FROM events WHERE entity = 'card' AND after IS NOT NULL ORDER BY id",
        ):
            latest[int(entity_id)] = json.loads(after)["version"]
        assert {card: latest.get(card) for card in versions} == versions, path.name
        ids = [r[0] for r in rows(path, "SELECT id FROM events ORDER BY id")]
        assert ids == list(range(1, len(ids) + 1)), "a backup lost an event in the middle"


# ------------------------------------------------------------------------------------ restore


def test_restore_refuses_a_target_that_holds_data_and_leaves_both_files_alone(
    sample: Store, db_path: Path, tmp_path: Path
) -> None:
    backup = sample.backup_to(tmp_path / "b.db").path
    before = (digest(db_path), backup.read_bytes())
    with pytest.raises(StoreUnavailable, match="does not overwrite"):
        restore_backup(backup, db_path, actor="carol")
    assert (digest(db_path), backup.read_bytes()) == before


@pytest.mark.parametrize("kind", ["missing", "text", "foreign", "newer", "empty sqlite"])
def test_restore_refuses_what_is_not_a_socdesk_backup_and_creates_nothing(
    sample: Store, tmp_path: Path, kind: str
) -> None:
    source = tmp_path / "source.db"
    if kind == "text":
        source.write_text("not a database\n")
    elif kind == "foreign":
        sqlite3.connect(source).execute("CREATE TABLE songs (title)").connection.close()
    elif kind == "newer":
        sample.backup_to(source)
        conn = sqlite3.connect(source)
        conn.execute(
            "INSERT INTO _sqlite_migrations (migration_set, name, applied_at)"
            " VALUES ('socdesk', '9999_future', '')"
        )
        conn.commit()
        conn.close()
    elif kind == "empty sqlite":
        sqlite3.connect(source).execute("VACUUM").connection.close()
    before = source.read_bytes() if source.exists() else None
    with pytest.raises(StoreUnavailable):
        restore_backup(source, tmp_path / "new.db", actor="carol")
    assert not (tmp_path / "new.db").exists()
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []
    assert (source.read_bytes() if source.exists() else None) == before


def test_backup_and_restore_through_the_cli(socdesk, db_path: Path, tmp_path: Path) -> None:
    assert socdesk("init", "--sample").returncode == 0
    made = socdesk("backup", str(tmp_path / "b.db"))
    assert made.returncode == 0 and "46 cards" in made.stdout
    again = socdesk("backup", str(tmp_path / "b.db"))
    assert again.returncode == 1 and again.stderr.startswith("error: ") and "overwrite" in again.stderr
    restored = socdesk("restore", str(tmp_path / "b.db"), db=tmp_path / "new.db")
    assert restored.returncode == 0, restored.stderr
    shown = socdesk("log", "--limit", "1", db=tmp_path / "new.db")
    assert "restored from the backup" in shown.stdout
    refused = socdesk("restore", str(tmp_path / "b.db"))  # into the database that holds the team
    assert refused.returncode == 1 and refused.stderr.count("\n") == 1


# ------------------------------------------------------------------------------------ round trips

PEOPLE = ("alice", "bob", "carol")
operation = st.one_of(
    st.tuples(st.just("add"), st.sampled_from(list(WorkType)), st.sampled_from([None, *COLUMNS])),
    st.tuples(st.just("move"), st.integers(0, 50), st.sampled_from(COLUMNS)),
    st.tuples(st.just("edit"), st.integers(0, 50), st.text(min_size=1, max_size=20)),
    st.tuples(st.just("assign"), st.integers(0, 50), st.sampled_from([None, *PEOPLE])),
    st.tuples(st.just("delete"), st.integers(0, 50)),
    st.tuples(st.just("limit"), st.sampled_from(COLUMNS[1:4]), st.sampled_from([None, 1, 2, 5])),
    st.tuples(st.just("topic"), st.text(min_size=1, max_size=30)),
    st.tuples(st.just("cover"), st.sampled_from(list(Role)), st.sampled_from(PEOPLE), st.integers(1, 48)),
    st.tuples(st.just("note"), st.sampled_from(list(NoteColumn)), st.text(min_size=1, max_size=30)),
    st.tuples(st.just("later"), st.integers(1, 600)),
)


def apply(store: Store, clock: FixedClock, op: tuple[Any, ...]) -> None:
    """One operation; a refusal (WIP limit, unknown id, bad text, topic cap) is part of the game."""
    cards = store.list_cards()
    pick = (lambda n: cards[n % len(cards)]) if cards else None
    try:
        match op:
            case ("add", kind, column):
                store.add_card(CardDraft(title=f"card {len(cards)}", type=kind, column=column))
            case ("move", n, column) if pick:
                store.move_card(pick(n).id, column)
            case ("edit", n, title) if pick:
                store.edit_card(pick(n).id, CardPatch(title=title))
            case ("assign", n, who) if pick:
                store.edit_card(pick(n).id, CardPatch(assignee=who))
            case ("delete", n) if pick:
                store.delete_card(pick(n).id)
            case ("limit", column, limit):
                store.set_wip_limit(column, limit)
            case ("topic", text):
                store.add_topic(text)
            case ("cover", role, who, hours):
                now = clock.now()
                store.add_override(
                    OverrideDraft(role=role, person=who, starts_at=now, ends_at=now + timedelta(hours=hours))
                )
            case ("note", column, text):
                store.add_note(column, text)
            case ("later", minutes):
                clock.advance(timedelta(minutes=minutes))
    except (SocdeskError, ValidationError):  # a refusal, or a value the domain does not take
        pass


@given(st.lists(operation, max_size=25))
@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_any_history_round_trips_exactly_through_export_import_and_backup_restore(
    tmp_path_factory: pytest.TempPathFactory, ops: list[tuple[Any, ...]]
) -> None:
    folder = tmp_path_factory.mktemp("round")
    clock = FixedClock(START)
    with closing(open_store(folder / "team.db", actor="alice", clock=clock, create=True)) as store:
        for handle in PEOPLE:
            store.add_person(Person(handle=handle, name=handle.title(), roles=("engineer", "analyst")))
        store.start_retro(RetroDraft(title="Retro", period_from=START.date(), period_to=START.date()))
        store.set_retro_phase(Phase.WRITE)
        for op in ops:
            apply(store, clock, op)
        original = store.export_snapshot()
        backup = store.backup_to(folder / "backup.db").path
    clock.advance(timedelta(days=1))
    with closing(open_store(folder / "imported.db", actor="bob", clock=clock, create=True)) as copy:
        copy.import_snapshot(Snapshot.model_validate_json(original.model_dump_json()))
        same_but_the_last_event(copy.export_snapshot(), original, "database.import")
    restore_backup(backup, folder / "restored.db", actor="bob", clock=clock)
    with closing(open_store(folder / "restored.db", actor="bob", clock=clock)) as copy:
        same_but_the_last_event(copy.export_snapshot(), original, "database.restore")
