"""Duty in SQLite: rotations, overrides (swaps are two linked ones) and handover notes.

A mixin of ``SqliteStore``: the same connection, the same one-transaction-per-intent writes, the
same event log. The rules themselves (who is on when) live in ``socdesk.domain.duty``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from socdesk.domain.duty import (
    MAX_SHIFT_HOURS,
    HandoverNote,
    Override,
    OverrideDraft,
    Role,
    Roster,
    Rotation,
    nearest_handover,
    note_cards,
    swap_overrides,
)
from socdesk.domain.errors import InvalidInput, NotFound
from socdesk.domain.validation import parse
from socdesk.store import rows
from socdesk.store.sqlite_core import StoreCore

# Overrides that ended longer ago than the longest shift cannot change who is on now or later.
ROSTER_LOOKBACK = timedelta(hours=MAX_SHIFT_HOURS)


class DutyTables(StoreCore):
    # ------------------------------------------------------------------ reads

    def get_roster(self, *, since: datetime | None = None) -> Roster:
        """People, rotations and the overrides that can still matter from ``since`` (default: now) on."""
        horizon = (since or self.clock.now()) - ROSTER_LOOKBACK
        return Roster(
            people={p.handle: p for p in self.list_people()},
            rotations={r.role: r for r in self.list_rotations()},
            overrides=self.list_overrides(ending_after=horizon),
        )

    def list_rotations(self) -> list[Rotation]:
        return [rows.rotation(r) for r in self._conn.execute("SELECT * FROM rotations ORDER BY role")]

    def list_overrides(self, *, ending_after: datetime | None = None) -> list[Override]:
        sql = "SELECT * FROM overrides WHERE ends_at > ? ORDER BY starts_at, id"
        cutoff = rows.iso(ending_after) if ending_after else ""
        return [rows.override(r) for r in self._conn.execute(sql, (cutoff,))]

    def get_override(self, override_id: int) -> Override:
        row = self._conn.execute("SELECT * FROM overrides WHERE id = ?", (override_id,)).fetchone()
        if row is None:
            raise NotFound(f"no override with id {override_id}")
        return rows.override(row)

    def list_handover_notes(self, *, role: Role | None = None, limit: int = 20) -> list[HandoverNote]:
        """Newest first."""
        where, params = ("WHERE role = ?", [role.value]) if role else ("", [])
        sql = f"SELECT * FROM handover_notes {where} ORDER BY handover_at DESC, id DESC LIMIT ?"
        return [rows.handover_note(r) for r in self._conn.execute(sql, [*params, limit])]

    # ------------------------------------------------------------------ writes

    def set_rotation(self, rotation: Rotation, *, expected_version: int | None = None) -> Rotation:
        """Create or replace a role's rotation (``expected_version`` guards a replacement)."""
        with self._write():
            for member in rotation.members:
                self._require_person(member)
            row = self._conn.execute(
                "SELECT * FROM rotations WHERE role = ?", (rotation.role.value,)
            ).fetchone()
            before = rows.rotation(row) if row else None
            if expected_version is not None and (before is None or before.version != expected_version):
                raise self._conflict(
                    "rotation", rotation.role.value, expected_version, before.version if before else None
                )
            after = rotation.model_copy(update={"version": before.version + 1 if before else 1})
            if before is not None and before.model_copy(update={"version": after.version}) == after:
                return before
            values = rows.rotation_values(after)
            self._conn.execute(
                rows.insert_sql("rotations", values, replace=True),
                values,
            )
            self._log(
                "duty.rotation",
                "rotation",
                rotation.role.value,
                before=before.model_dump(mode="json") if before else None,
                after=after.model_dump(mode="json"),
            )
            return after

    def _insert_override(self, draft: OverrideDraft, *, swap_id: int | None = None) -> Override:
        self._require_person(draft.person)
        now = self.clock.now()
        override = Override(
            **draft.model_dump(), id=1, swap_id=swap_id, created_at=now, created_by=self.actor
        )
        values = rows.override_values(override)
        del values["id"]
        cursor = self._conn.execute(
            rows.insert_sql("overrides", values),
            values,
        )
        return override.model_copy(update={"id": int(cursor.lastrowid or 0)})

    def add_override(self, draft: OverrideDraft) -> Override:
        with self._write():
            override = self._insert_override(draft)
            self._log("duty.override.add", "override", override.id, after=override.model_dump(mode="json"))
            return override

    def import_overrides(self, drafts: Sequence[OverrideDraft], *, source: str) -> list[Override]:
        """All of them or none, as one change (an iCalendar import)."""
        if not drafts:
            raise InvalidInput(f"{source}: no shifts to import")
        with self._write():
            added = [self._insert_override(d) for d in drafts]
            for o in added:
                self._log(
                    "duty.override.add",
                    "override",
                    o.id,
                    after=o.model_dump(mode="json"),
                    meta={"source": source},
                )
            return added

    def swap_shifts(
        self, role: Role, first_at: datetime, second_at: datetime, *, reason: str = ""
    ) -> tuple[Override, Override]:
        """The people on the shifts running at the two moments trade them: two linked overrides."""
        with self._write():
            roster = self.get_roster(since=min(first_at, second_at))
            one, two = swap_overrides(roster, role, first_at, second_at, reason)
            first = self._insert_override(one)
            second = self._insert_override(two, swap_id=first.id)
            self._conn.execute("UPDATE overrides SET swap_id = ? WHERE id = ?", (second.id, first.id))
            first = first.model_copy(update={"swap_id": second.id})
            for o in (first, second):
                self._log(
                    "duty.override.add",
                    "override",
                    o.id,
                    after=o.model_dump(mode="json"),
                    meta={"swap": o.swap_id},
                )
            return first, second

    def remove_override(self, override_id: int, *, expected_version: int | None = None) -> list[Override]:
        """Remove an override; removing half of a swap removes both halves."""
        with self._write():
            row = self._conn.execute("SELECT * FROM overrides WHERE id = ?", (override_id,)).fetchone()
            if row is None:
                if expected_version is not None:
                    raise self._conflict("override", override_id, expected_version, None)
                raise NotFound(f"no override with id {override_id}")
            target = rows.override(row)
            if expected_version is not None and expected_version != target.version:
                raise self._conflict("override", override_id, expected_version, target.version)
            removed = [target]
            if target.swap_id is not None:
                partner = self._conn.execute(
                    "SELECT * FROM overrides WHERE id = ?", (target.swap_id,)
                ).fetchone()
                if partner is not None:
                    removed.append(rows.override(partner))
            for o in removed:
                self._conn.execute("DELETE FROM overrides WHERE id = ?", (o.id,))
                self._log(
                    "duty.override.remove",
                    "override",
                    o.id,
                    before=o.model_dump(mode="json"),
                    meta={"swap": o.swap_id} if o.swap_id else None,
                )
            return removed

    def add_handover_note(self, role: Role, text: str) -> HandoverNote:
        """A note for the handover nearest now; it lists open unplanned and in-progress cards itself."""
        with self._write():
            now = self.clock.now()
            fields = {
                "id": 1,
                "role": role,
                "handover_at": nearest_handover(self.get_roster(), role, now),
                "author": self.actor,
                "text": text,
                "cards": note_cards(self.list_cards(), self.list_columns()),
                "created_at": now,
            }
            note = parse(HandoverNote, fields, "handover note")  # a bad text: one clear line, not a traceback
            values = rows.handover_note_values(note)
            del values["id"]
            cursor = self._conn.execute(
                rows.insert_sql("handover_notes", values),
                values,
            )
            note = note.model_copy(update={"id": int(cursor.lastrowid or 0)})
            self._log("duty.note", "note", note.id, after=note.model_dump(mode="json"))
            return note

    def _restore_duty(
        self, rotations: Sequence[Rotation], overrides: Sequence[Override], notes: Sequence[HandoverNote]
    ) -> None:
        """Inside an import's transaction: put the duty tables back exactly as exported."""
        for table, values in (
            ("rotations", [rows.rotation_values(r) for r in rotations]),
            ("overrides", [rows.override_values(o) for o in overrides]),
            ("handover_notes", [rows.handover_note_values(n) for n in notes]),
        ):
            if values:
                keys = list(values[0])
                self._conn.executemany(
                    rows.insert_sql(table, keys),
                    values,
                )
