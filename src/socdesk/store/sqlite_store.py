"""The SQLite implementation of ``Store``: one shared file, many processes, nothing lost.

Every write is one ``BEGIN IMMEDIATE`` transaction that reads what it needs, validates with the domain
rules, checks the version the caller read, writes, and appends to ``events`` before ``COMMIT``.
"""

from __future__ import annotations

import json
import random
import sqlite3
import time
import unicodedata
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from socdesk.domain.clock import Clock, SystemClock
from socdesk.domain.errors import Conflict, InvalidInput, NotFound
from socdesk.domain.flow import flow_stamps
from socdesk.domain.models import Card, CardDraft, CardPatch, Column, Event, Person, WorkType
from socdesk.domain.snapshot import Snapshot
from socdesk.domain.validation import parse
from socdesk.domain.wip import WipOverride, check_wip
from socdesk.store import rows
from socdesk.store.backup import BackupSummary, backup_connection
from socdesk.store.card_sql import CARD_ORDER, CARD_SELECT, card_query
from socdesk.store.connection import (
    BUSY_TIMEOUT_MS,
    check_file,
    connect,
    disk_trouble,
    enable_wal,
    sqlite_failure,
)
from socdesk.store.errors import StoreBusy, StoreReadOnly
from socdesk.store.feed import SqliteChangeFeed
from socdesk.store.migrations import check_schema, migrate
from socdesk.store.sqlite_duty import DutyTables
from socdesk.store.sqlite_handshake import HandshakeTables
from socdesk.store.sqlite_retro import RetroTables

LOCK_WAIT_SECONDS = 60.0
LOCK_POLL_FIRST_SECONDS = 0.0005
LOCK_POLL_MAX_SECONDS = 0.004
ACTOR_MAX = 100


def actor_problem(actor: str) -> str | None:
    """Why ``actor`` cannot be recorded as who made a change (it goes into every event), or None."""
    if len(actor) > ACTOR_MAX:
        return f"the user name (--user or SOCDESK_USER) is longer than {ACTOR_MAX} characters"
    if any(unicodedata.category(ch) == "Cc" for ch in actor):
        return f"the user name {actor!r} (--user or SOCDESK_USER) contains control characters"
    return None


class SqliteStore(DutyTables, HandshakeTables, RetroTables):
    def __init__(
        self,
        path: Path,
        *,
        actor: str,
        clock: Clock | None = None,
        create: bool = False,
        read_only: bool = False,
    ) -> None:
        self._path = Path(path)
        self.actor = actor
        self.clock: Clock = clock or SystemClock()
        self.read_only = read_only
        if create:
            self._path.parent.mkdir(parents=True, exist_ok=True)
        check_file(self._path, create=create)
        self._conn = connect(self._path)
        try:
            pending = check_schema(self._conn)  # read-only: refuse foreign/newer files before any write
            if pending and not create and not self._has_tables():
                raise InvalidInput(f"{self._path} is empty; create the database with `socdesk init`")
            enable_wal(self._conn)
            if pending and read_only:
                raise StoreReadOnly(
                    f"{self._path} needs upgrading before it can be shown read-only; run `socdesk init`"
                )
            if pending:
                migrate(self._conn)
            if read_only:
                # SQLite itself then refuses any write on this connection, whatever code path tries.
                self._conn.execute("PRAGMA query_only = ON")
        except sqlite3.Error as error:
            self._conn.close()
            if not disk_trouble(error):
                raise
            raise sqlite_failure(error, self._path) from None  # an upgrade on a full disk, say
        except BaseException:
            self._conn.close()
            raise

    def _agenda_stored(self) -> bool:
        sql = "SELECT 1 FROM team_settings WHERE key = 'handshake.agenda'"
        return self._conn.execute(sql).fetchone() is not None

    def _has_tables(self) -> bool:
        return bool(
            self._conn.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0]
        )

    @property
    def location(self) -> Path:
        return self._path

    def close(self) -> None:
        self._conn.close()

    def backup_to(self, target: Path) -> BackupSummary:
        """A consistent copy of the database as the new file ``target``, while others keep writing."""
        return backup_connection(self._conn, Path(target))

    def record_restore(self, source: Path, *, as_name: str) -> None:
        """Log that this database was restored from the backup ``source`` (called by restore_backup)."""
        with self._write():
            cards = self._conn.execute("SELECT count(*) FROM cards").fetchone()[0]
            events = self._conn.execute("SELECT count(*) FROM events").fetchone()[0]
            meta = {"from": str(source), "cards": cards, "events": events}
            self._log("database.restore", "database", as_name, meta=meta)

    def feed(self, *, fallback_poll: float = 0.1) -> SqliteChangeFeed:
        return SqliteChangeFeed(self._path, fallback_poll=fallback_poll)

    # ------------------------------------------------------------------ transactions

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One IMMEDIATE transaction: the write lock is taken before the first read."""
        if self.read_only:
            raise StoreReadOnly("this console is read-only (a wallboard): nothing was written")
        if problem := actor_problem(self.actor):  # every write records who made it
            raise InvalidInput(f"{problem}; nothing was written")
        self._take_write_lock()
        try:
            yield self._conn
            self._conn.execute("COMMIT")
        except sqlite3.Error as error:
            if self._conn.in_transaction:  # a failed COMMIT (a full disk) leaves it open
                self._conn.execute("ROLLBACK")
            if not disk_trouble(error):
                raise
            raise sqlite_failure(error, self._path) from None
        except BaseException:
            if self._conn.in_transaction:
                self._conn.execute("ROLLBACK")
            raise

    def _take_write_lock(self) -> None:
        """``BEGIN IMMEDIATE``, trying again every few milliseconds until the lock is free.

        SQLite's own busy handler sleeps up to 100 ms between tries, so beside a process that writes
        back to back (a bulk script frees the lock for well under a millisecond between writes) a
        waiting write kept missing the gaps: a console's keypress waited seconds (p50 1.8 s, max 13 s in
        benchmarks/lock_wait.py). Polling with short, jittered sleeps catches the gaps.
        """
        deadline = time.monotonic() + LOCK_WAIT_SECONDS
        pause = LOCK_POLL_FIRST_SECONDS
        self._conn.execute("PRAGMA busy_timeout = 0")  # only for this; reads keep waiting the usual way
        try:
            while True:
                try:
                    self._conn.execute("BEGIN IMMEDIATE")
                    return
                except sqlite3.OperationalError as error:
                    if disk_trouble(error):
                        raise sqlite_failure(error, self._path) from None
                    if "locked" not in str(error) and "busy" not in str(error):
                        raise
                    if time.monotonic() > deadline:
                        raise StoreBusy(
                            f"another socdesk kept {self._path.name} locked for over "
                            f"{LOCK_WAIT_SECONDS:.0f} s; nothing was written, try again"
                        ) from None
                time.sleep(pause * random.uniform(0.5, 1.0))
                pause = min(pause * 2, LOCK_POLL_MAX_SECONDS)
        finally:
            self._conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")

    def _log(
        self,
        action: str,
        entity: str,
        entity_id: object,
        *,
        before: dict[str, Any] | None = None,
        after: dict[str, Any] | None = None,
        meta: dict[str, Any] | None = None,
        actor: str | None = None,
    ) -> int:
        """Append to the event log; ``actor`` stands in for this store's (an anonymous note's)."""
        cursor = self._conn.execute(
            "INSERT INTO events (at, actor, action, entity, entity_id, before, after, meta)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                rows.iso(self.clock.now()),
                self.actor if actor is None else actor,
                action,
                entity,
                str(entity_id),
                rows.to_json(before),
                rows.to_json(after),
                rows.to_json(meta),
            ),
        )
        return int(cursor.lastrowid or 0)

    def _conflict(self, entity: str, entity_id: object, expected: int, actual: int | None) -> Conflict:
        last = self._conn.execute(
            "SELECT actor, at FROM events WHERE entity = ? AND entity_id = ? ORDER BY id DESC LIMIT 1",
            (entity, str(entity_id)),
        ).fetchone()
        by = last["actor"] if last else None
        when = datetime.fromisoformat(last["at"]) if last else None
        return Conflict(entity, str(entity_id), expected, actual, by=by, at=when)

    def _check_version(self, entity: str, entity_id: object, expected: int | None, actual: int) -> None:
        if expected is not None and expected != actual:
            raise self._conflict(entity, entity_id, expected, actual)

    # ------------------------------------------------------------------ reads

    def list_columns(self) -> list[Column]:
        return [rows.column(r) for r in self._conn.execute("SELECT * FROM columns ORDER BY position")]

    def list_people(self) -> list[Person]:
        return [rows.person(r) for r in self._conn.execute("SELECT * FROM people ORDER BY handle")]

    def list_cards(
        self, *, column: str | None = None, type: WorkType | None = None, assignee: str | None = None
    ) -> list[Card]:
        sql, params = card_query(
            column_id=None if column is None else self._column_row(column)["id"],
            type=None if type is None else WorkType(type).value,
            assignee=assignee,
        )
        return [rows.card(r) for r in self._conn.execute(sql, params)]

    def get_card(self, card_id: int) -> Card:
        row = self._conn.execute(CARD_SELECT + " WHERE cards.id = ?", (card_id,)).fetchone()
        if row is None:
            raise NotFound(f"no card with id {card_id}")
        return rows.card(row)

    def get_cards(self, card_ids: Iterable[int]) -> list[Card]:
        """The cards with these ids that exist (deleted ones are simply absent), in board order."""
        wanted = sorted(set(card_ids))
        found: list[Card] = []
        for start in range(0, len(wanted), 500):  # stay under SQLite's host-parameter limit
            chunk = wanted[start : start + 500]
            marks = ", ".join("?" * len(chunk))
            sql = CARD_SELECT + f" WHERE cards.id IN ({marks})" + CARD_ORDER
            found += [rows.card(r) for r in self._conn.execute(sql, chunk)]
        order = {name: i for i, name in enumerate(c.name for c in self.list_columns())}
        return sorted(found, key=lambda c: (order.get(c.column, len(order)), c.position, c.id))

    def recent_events(self, limit: int = 50) -> list[Event]:
        if limit < 1:
            raise InvalidInput("limit must be at least 1")
        sql = "SELECT * FROM events ORDER BY id DESC LIMIT ?"
        return [rows.event(r) for r in self._conn.execute(sql, (limit,))]

    def events_after(self, event_id: int, limit: int | None = None) -> list[Event]:
        sql = "SELECT * FROM events WHERE id > ? ORDER BY id LIMIT ?"
        return [rows.event(r) for r in self._conn.execute(sql, (event_id, -1 if limit is None else limit))]

    def card_history(self, card_id: int) -> list[Event]:
        sql = "SELECT * FROM events WHERE entity = 'card' AND entity_id = ? ORDER BY id"
        return [rows.event(r) for r in self._conn.execute(sql, (str(card_id),))]

    def last_event_id(self) -> int:
        return int(self._conn.execute("SELECT coalesce(max(id), 0) FROM events").fetchone()[0])

    def export_snapshot(self) -> Snapshot:
        # One read transaction, so the export is a consistent moment even while others write.
        self._conn.execute("BEGIN")
        try:
            people = self.list_people()
            columns = self.list_columns()
            cards = self.list_cards()
            events = self.events_after(0)
            rotations = self.list_rotations()
            overrides = self.list_overrides()
            notes = sorted(self.list_handover_notes(limit=-1), key=lambda n: n.id)
            agenda = self.get_agenda() if self._agenda_stored() else None
            meetings = sorted(self.list_meetings(), key=lambda m: m.id)
            topics = self.list_all_topics()
            meeting_log = self.list_meeting_log()
            retro_tables = self.list_all_retro_rows()
        finally:
            self._conn.execute("COMMIT")
        return Snapshot(
            exported_at=self.clock.now(),
            people=tuple(people),
            columns=tuple(columns),
            cards=tuple(cards),
            events=tuple(events),
            rotations=tuple(rotations),
            overrides=tuple(overrides),
            handover_notes=tuple(notes),
            agenda=agenda,
            meetings=tuple(meetings),
            topics=tuple(topics),
            meeting_log=tuple(meeting_log),
            retros=tuple(retro_tables["retros"]),
            retro_themes=tuple(retro_tables["retro_themes"]),
            retro_notes=tuple(retro_tables["retro_notes"]),
            retro_votes=tuple(retro_tables["retro_votes"]),
            retro_actions=tuple(retro_tables["retro_actions"]),
            retro_timer=tuple(retro_tables["retro_timer"]),
        )

    # ------------------------------------------------------------------ helpers inside a write

    def _column_row(self, name: str) -> sqlite3.Row:
        row: sqlite3.Row | None = self._conn.execute(
            "SELECT * FROM columns WHERE name = ?", (name.strip(),)
        ).fetchone()
        if row is None:
            names = ", ".join(r[0] for r in self._conn.execute("SELECT name FROM columns ORDER BY position"))
            raise NotFound(f"no column named {name!r} (columns: {names})")
        return row

    def _card_row(self, card_id: int) -> sqlite3.Row:
        row: sqlite3.Row | None = self._conn.execute(
            CARD_SELECT + " WHERE cards.id = ?", (card_id,)
        ).fetchone()
        if row is None:
            raise NotFound(f"no card with id {card_id}")
        return row

    def _card_to_change(self, card_id: int, expected_version: int | None) -> Card:
        """The card as it is now, if it is still the version the caller read (deleted counts as changed)."""
        try:
            card = rows.card(self._card_row(card_id))
        except NotFound:
            if expected_version is None:
                raise
            raise self._conflict("card", card_id, expected_version, None) from None
        self._check_version("card", card_id, expected_version, card.version)
        return card

    def _require_person(self, handle: str | None) -> None:
        if handle is None:
            return
        if self._conn.execute("SELECT 1 FROM people WHERE handle = ?", (handle,)).fetchone() is None:
            known = [r[0] for r in self._conn.execute("SELECT handle FROM people ORDER BY handle LIMIT 20")]
            hint = f" (known: {', '.join(known)})" if known else " (no people yet)"
            raise NotFound(f"no person with handle {handle!r}{hint}")

    def _count_in(self, column_id: int) -> int:
        return int(
            self._conn.execute("SELECT count(*) FROM cards WHERE column_id = ?", (column_id,)).fetchone()[0]
        )

    def _next_position(self, column_id: int) -> int:
        sql = "SELECT coalesce(max(position), -1) + 1 FROM cards WHERE column_id = ?"
        return int(self._conn.execute(sql, (column_id,)).fetchone()[0])

    def _admit(self, column_row: sqlite3.Row, *, force: bool, reason: str | None) -> WipOverride | None:
        return check_wip(
            rows.column(column_row), self._count_in(column_row["id"]), force=force, reason=reason
        )

    def _save_card(self, card: Card, column_id: int, expected_version: int) -> None:
        values = rows.card_values(card, column_id)
        assignments = ", ".join(f"{key} = :{key}" for key in values if key != "id")
        cursor = self._conn.execute(
            f"UPDATE cards SET {assignments} WHERE id = :id AND version = :expected",
            {**values, "expected": expected_version},
        )
        if cursor.rowcount != 1:  # cannot happen under the IMMEDIATE lock; guard anyway
            raise self._conflict("card", card.id, expected_version, None)

    @staticmethod
    def _dump(model: Card | Column | Person) -> dict[str, Any]:
        return model.model_dump(mode="json")

    # ------------------------------------------------------------------ writes

    def add_card(self, draft: CardDraft, *, force: bool = False, reason: str | None = None) -> Card:
        with self._write():
            return self._add_card(draft, force=force, reason=reason)

    def _add_card(
        self,
        draft: CardDraft,
        *,
        force: bool = False,
        reason: str | None = None,
        meta: dict[str, Any] | None = None,
    ) -> Card:
        """``add_card`` inside a write that is already open (another intent's transaction)."""
        if draft.column is None:
            column_row = self._conn.execute("SELECT * FROM columns ORDER BY position LIMIT 1").fetchone()
        else:
            column_row = self._column_row(draft.column)
        self._require_person(draft.assignee)
        override = self._admit(column_row, force=force, reason=reason)
        now = self.clock.now()
        started, done = flow_stamps(rows.column(column_row).stage, None, None, now)
        fields = draft.model_dump(exclude={"column"})
        values = rows.card_values(
            Card(
                id=1,  # placeholder: SQLite assigns the id
                column=column_row["name"],
                position=self._next_position(column_row["id"]),
                created_at=now,
                updated_at=now,
                column_since=now,
                started_at=started,
                done_at=done,
                **fields,
            ),
            column_row["id"],
        )
        del values["id"]
        cursor = self._conn.execute(rows.insert_sql("cards", values), values)
        card = rows.card(self._card_row(int(cursor.lastrowid or 0)))
        extra = {**(override.as_meta() if override else {}), **(meta or {})}
        self._log("card.add", "card", card.id, after=self._dump(card), meta=extra or None)
        return card

    def move_card(
        self,
        card_id: int,
        to_column: str,
        *,
        expected_version: int | None = None,
        force: bool = False,
        reason: str | None = None,
    ) -> Card:
        with self._write():
            return self._move_card(
                card_id, to_column, expected_version=expected_version, force=force, reason=reason
            )

    def _move_card(
        self,
        card_id: int,
        to_column: str,
        *,
        expected_version: int | None = None,
        force: bool = False,
        reason: str | None = None,
        meta: dict[str, Any] | None = None,
    ) -> Card:
        """``move_card`` inside a write that is already open."""
        before = self._card_to_change(card_id, expected_version)
        target = self._column_row(to_column)
        if target["name"] == before.column:
            return before
        override = self._admit(target, force=force, reason=reason)
        now = self.clock.now()
        started, done = flow_stamps(rows.column(target).stage, before.started_at, before.done_at, now)
        after = before.model_copy(
            update={
                "column": target["name"],
                "position": self._next_position(target["id"]),
                "started_at": started,
                "done_at": done,
                "updated_at": now,
                "column_since": now,
                "version": before.version + 1,
            }
        )
        self._save_card(after, target["id"], before.version)
        extra: dict[str, Any] = {"from": before.column, "to": after.column}
        if override:
            extra.update(override.as_meta())
        extra.update(meta or {})
        self._log(
            "card.move", "card", card_id, before=self._dump(before), after=self._dump(after), meta=extra
        )
        return after

    def reorder_card(self, card_id: int, steps: int, *, expected_version: int | None = None) -> Card:
        """Move a card ``steps`` places down (positive) or up (negative) in its column, clamped to its ends.

        Only the cards between the old and new place change position. Their versions are not bumped:
        the order of a column is not a card's content, so reordering never makes another edit conflict.
        """
        with self._write():
            before = self._card_to_change(card_id, expected_version)
            column_id = self._column_row(before.column)["id"]
            places = [
                (int(r[0]), int(r[1]))
                for r in self._conn.execute(
                    "SELECT id, position FROM cards WHERE column_id = ? ORDER BY position, id", (column_id,)
                )
            ]
            ids = [card for card, _ in places]
            old_index = ids.index(card_id)
            new_index = min(max(old_index + steps, 0), len(ids) - 1)
            if new_index == old_index:
                return before
            lo, hi = sorted((old_index, new_index))
            ids.insert(new_index, ids.pop(old_index))
            slots = [position for _, position in places[lo : hi + 1]]
            self._conn.executemany(
                "UPDATE cards SET position = ? WHERE id = ?",
                [(slot, moved) for slot, moved in zip(slots, ids[lo : hi + 1], strict=True)],
            )
            now = self.clock.now()
            after = before.model_copy(
                update={"position": slots[new_index - lo], "updated_at": now, "version": before.version + 1}
            )
            self._conn.execute(
                "UPDATE cards SET updated_at = ?, version = ? WHERE id = ?",
                (rows.iso(now), after.version, card_id),
            )
            self._log(
                "card.reorder",
                "card",
                card_id,
                before=self._dump(before),
                after=self._dump(after),
                meta={"column": before.column, "from_index": old_index, "to_index": new_index},
            )
            return after

    def restore_card(self, card: Card, *, force: bool = False, reason: str | None = None) -> Card:
        """Bring a deleted card back under its old id, at the end of its old column (WIP rule applies)."""
        with self._write():
            if self._conn.execute("SELECT 1 FROM cards WHERE id = ?", (card.id,)).fetchone():
                raise InvalidInput(f"card #{card.id} exists; only a deleted card can be restored")
            last = self._conn.execute(
                "SELECT action, before FROM events WHERE entity = 'card' AND entity_id = ?"
                " ORDER BY id DESC LIMIT 1",
                (str(card.id),),
            ).fetchone()
            if last is None or last["action"] != "card.delete":
                raise NotFound(f"no deleted card #{card.id} to restore")
            deleted = json.loads(last["before"] or "{}")
            if deleted.get("version") != card.version:
                # Only the card as it was deleted comes back: an older copy would undo others' edits.
                raise self._conflict("card", card.id, card.version, None)
            column_row = self._column_row(card.column)
            self._require_person(card.assignee)
            override = self._admit(column_row, force=force, reason=reason)
            now = self.clock.now()
            restored = card.model_copy(
                update={
                    "position": self._next_position(column_row["id"]),
                    "updated_at": now,
                    "column_since": now,
                    "version": card.version + 1,
                }
            )
            values = rows.card_values(restored, column_row["id"])
            self._conn.execute(
                rows.insert_sql("cards", values),
                values,
            )
            self._log(
                "card.restore",
                "card",
                card.id,
                after=self._dump(restored),
                meta=override.as_meta() if override else None,
            )
            return restored

    def edit_card(self, card_id: int, patch: CardPatch, *, expected_version: int | None = None) -> Card:
        with self._write():
            return self._edit_card(card_id, patch, expected_version=expected_version)

    def _edit_card(
        self,
        card_id: int,
        patch: CardPatch,
        *,
        expected_version: int | None = None,
        meta: dict[str, Any] | None = None,
    ) -> Card:
        """``edit_card`` inside a write that is already open."""
        changes = patch.changes()
        before = self._card_to_change(card_id, expected_version)
        changed = {k: v for k, v in changes.items() if getattr(before, k) != v}
        if not changed:
            return before
        if "assignee" in changed:
            self._require_person(changed["assignee"])
        merged = parse(Card, {**before.model_dump(), **changed}, "card")
        after = merged.model_copy(update={"updated_at": self.clock.now(), "version": before.version + 1})
        column_id = self._column_row(before.column)["id"]
        self._save_card(after, column_id, before.version)
        self._log(
            "card.edit",
            "card",
            card_id,
            before=self._dump(before),
            after=self._dump(after),
            meta={"fields": sorted(changed), **(meta or {})},
        )
        return after

    def delete_card(self, card_id: int, *, expected_version: int | None = None) -> Card:
        with self._write():
            before = self._card_to_change(card_id, expected_version)
            self._conn.execute("DELETE FROM cards WHERE id = ?", (card_id,))
            self._log("card.delete", "card", card_id, before=self._dump(before))
            return before

    def set_wip_limit(self, column: str, limit: int | None, *, expected_version: int | None = None) -> Column:
        if limit is not None and limit < 1:
            raise InvalidInput(f"a WIP limit must be a whole number of at least 1, or none (got {limit})")
        with self._write():
            row = self._column_row(column)
            before = rows.column(row)
            self._check_version("column", before.name, expected_version, before.version)
            if before.wip_limit == limit:
                return before
            after = before.model_copy(update={"wip_limit": limit, "version": before.version + 1})
            self._conn.execute(
                "UPDATE columns SET wip_limit = ?, version = version + 1 WHERE id = ?", (limit, row["id"])
            )
            self._log(
                "column.limit",
                "column",
                before.name,
                before=self._dump(before),
                after=self._dump(after),
                meta={"count": self._count_in(row["id"])},
            )
            return after

    def add_person(self, person: Person) -> Person:
        with self._write():
            if self._conn.execute("SELECT 1 FROM people WHERE handle = ?", (person.handle,)).fetchone():
                raise InvalidInput(f"a person with handle {person.handle!r} already exists")
            self._conn.execute(
                "INSERT INTO people (handle, name, email, roles, version) VALUES (?, ?, ?, ?, 1)",
                (person.handle, person.name, person.email, rows.to_json(list(person.roles))),
            )
            stored = person.model_copy(update={"version": 1})
            self._log("person.add", "person", person.handle, after=self._dump(stored))
            return stored

    def _reserve_card_ids(self, snapshot: Snapshot) -> None:
        """Never hand out an id the imported history already used, even for a card since deleted."""
        used = [c.id for c in snapshot.cards]
        used += [int(e.entity_id) for e in snapshot.events if e.entity == "card" and e.entity_id.isdigit()]
        if not used:
            return
        highest = max(used)
        updated = self._conn.execute(
            "UPDATE sqlite_sequence SET seq = max(seq, ?) WHERE name = 'cards'", (highest,)
        ).rowcount
        if not updated:
            self._conn.execute("INSERT INTO sqlite_sequence (name, seq) VALUES ('cards', ?)", (highest,))

    def import_snapshot(self, snapshot: Snapshot) -> None:
        with self._write():
            counts = {
                table: self._conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
                for table in (
                    "cards",
                    "events",
                    "people",
                    "rotations",
                    "overrides",
                    "handover_notes",
                    "meetings",
                    "topics",
                    "team_settings",
                    "retros",
                )
            }
            if any(counts.values()):
                held = ", ".join(f"{n} {table}" for table, n in counts.items() if n)
                raise InvalidInput(
                    f"import needs an empty database and this one holds {held}; "
                    "import into a new file with --db NEW.db"
                )
            self._conn.execute("DELETE FROM columns")
            column_ids: dict[str, int] = {}
            for col in snapshot.columns:
                cursor = self._conn.execute(
                    "INSERT INTO columns (name, position, wip_limit, stage, version) VALUES (?, ?, ?, ?, ?)",
                    (col.name, col.position, col.wip_limit, col.stage.value, col.version),
                )
                column_ids[col.name] = int(cursor.lastrowid or 0)
            self._conn.executemany(
                "INSERT INTO people (handle, name, email, roles, version) VALUES (?, ?, ?, ?, ?)",
                [
                    (p.handle, p.name, p.email, rows.to_json(list(p.roles)), p.version)
                    for p in snapshot.people
                ],
            )
            card_values = [rows.card_values(c, column_ids[c.column]) for c in snapshot.cards]
            if card_values:
                keys = list(card_values[0])
                self._conn.executemany(
                    rows.insert_sql("cards", keys),
                    card_values,
                )
            self._conn.executemany(
                "INSERT INTO events (id, at, actor, action, entity, entity_id, before, after, meta)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        e.id,
                        rows.iso(e.at),
                        e.actor,
                        e.action,
                        e.entity,
                        e.entity_id,
                        rows.to_json(e.before),
                        rows.to_json(e.after),
                        rows.to_json(e.meta),
                    )
                    for e in snapshot.events
                ],
            )
            self._restore_duty(snapshot.rotations, snapshot.overrides, snapshot.handover_notes)
            self._restore_handshake(snapshot.agenda, snapshot.meetings, snapshot.topics, snapshot.meeting_log)
            self._restore_retros(
                {
                    "retros": snapshot.retros,
                    "retro_themes": snapshot.retro_themes,
                    "retro_notes": snapshot.retro_notes,
                    "retro_votes": snapshot.retro_votes,
                    "retro_actions": snapshot.retro_actions,
                    "retro_timer": snapshot.retro_timer,
                }
            )
            self._reserve_card_ids(snapshot)
            self._log(
                "database.import",
                "database",
                self._path.name,
                meta={
                    "exported_at": rows.iso(snapshot.exported_at),
                    "people": len(snapshot.people),
                    "columns": len(snapshot.columns),
                    "cards": len(snapshot.cards),
                    "events": len(snapshot.events),
                    "rotations": len(snapshot.rotations),
                    "overrides": len(snapshot.overrides),
                    "handover_notes": len(snapshot.handover_notes),
                    "meetings": len(snapshot.meetings),
                    "topics": len(snapshot.topics),
                    "retros": len(snapshot.retros),
                },
            )
