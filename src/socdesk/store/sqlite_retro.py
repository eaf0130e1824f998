"""Retros in SQLite: the session, its notes, themes, dot votes, action items and phase timer.

A mixin of ``SqliteStore``. One retro is open at a time (a partial unique index). The vote budget is
checked inside the write lock and again by a trigger, so concurrent voters are never double counted.
An anonymous retro's notes carry no author, in their row or in the event log.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from pydantic import BaseModel, TypeAdapter

from socdesk.domain.errors import InvalidInput, NotFound
from socdesk.domain.mix import Placement
from socdesk.domain.models import CardDraft
from socdesk.domain.retro import (
    ACTION_PHASES,
    NOTE_PHASES,
    PHASE_TIMER_MAX_MINUTES,
    THEME_PHASES,
    VOTE_PHASES,
    ActionDraft,
    ActionStatus,
    ClosingNotes,
    Note,
    NoteColumn,
    Phase,
    Retro,
    RetroAction,
    RetroDraft,
    RetroRecord,
    Theme,
    ThemeName,
    TimerEntry,
    TimerKind,
    Vote,
    action_card_description,
    phase_timer,
    retro_label,
)
from socdesk.domain.timer import EXTEND_MAX_MINUTES, TimerError
from socdesk.domain.validation import parse, parse_value
from socdesk.store import retro_rows as rr
from socdesk.store import rows
from socdesk.store.sqlite_core import StoreCore

M = TypeVar("M", bound=BaseModel)
ANONYMOUS = "anonymous"
_THEME_NAME: TypeAdapter[str] = TypeAdapter(ThemeName)
_CLOSING: TypeAdapter[str] = TypeAdapter(ClosingNotes)
# Must read exactly as the partial indexes' WHERE in migration 0005, for SQLite to use them.
_PLACING = "entity = 'card' AND action IN ('card.add', 'card.move', 'card.restore', 'card.delete')"


class RetroTables(StoreCore):
    # ------------------------------------------------------------------ reads

    def list_retros(self) -> list[Retro]:
        """Newest first."""
        return [rr.load(Retro, r) for r in self._conn.execute("SELECT * FROM retros ORDER BY id DESC")]

    def current_retro(self) -> RetroRecord | None:
        row = self._conn.execute("SELECT id FROM retros WHERE closed_at IS NULL").fetchone()
        return None if row is None else self.get_retro(row["id"])

    def get_retro(self, retro_id: int | None = None) -> RetroRecord:
        """One retro with everything in it (default: the latest)."""
        if retro_id is None:
            row = self._conn.execute("SELECT * FROM retros ORDER BY id DESC LIMIT 1").fetchone()
            if row is None:
                raise NotFound("no retro has been held yet (start one with `socdesk retro start TITLE`)")
        else:
            row = self._conn.execute("SELECT * FROM retros WHERE id = ?", (retro_id,)).fetchone()
            if row is None:
                raise NotFound(f"no retro with id {retro_id}")
        retro = rr.load(Retro, row)
        return RetroRecord(
            retro=retro,
            notes=tuple(self._rows(Note, retro.id)),
            themes=tuple(self._rows(Theme, retro.id)),
            votes=tuple(self._rows(Vote, retro.id)),
            actions=tuple(self._rows(RetroAction, retro.id)),
            timer_log=tuple(self._rows(TimerEntry, retro.id)),
        )

    def _rows(self, model: type[M], retro_id: int | None = None) -> list[M]:
        where = "" if retro_id is None else " WHERE retro_id = ?"
        args = () if retro_id is None else (retro_id,)
        sql = f"SELECT * FROM {rr.table(model)}{where} ORDER BY id"
        return [rr.load(model, r) for r in self._conn.execute(sql, args)]

    def previous_actions(self, retro_id: int) -> list[ActionStatus]:
        """The actions of the retro before ``retro_id``, with where their cards are on the board now."""
        if self._conn.execute("SELECT 1 FROM retros WHERE id = ?", (retro_id,)).fetchone() is None:
            raise NotFound(f"no retro with id {retro_id}")
        row = self._conn.execute(
            "SELECT id FROM retros WHERE id < ? ORDER BY id DESC LIMIT 1", (retro_id,)
        ).fetchone()
        if row is None:
            return []
        actions = self._rows(RetroAction, row["id"])
        cards = {c.id: c for c in self.get_cards(a.card_id for a in actions if a.card_id is not None)}
        stages = {c.name: c.stage for c in self.list_columns()}
        statuses = []
        for action in actions:
            card = cards.get(action.card_id) if action.card_id is not None else None
            statuses.append(
                ActionStatus(action=action, card=card, stage=stages.get(card.column) if card else None)
            )
        return statuses

    def card_placements(
        self, *, since: datetime | None = None, until: datetime | None = None
    ) -> list[Placement]:
        """Where cards sat over time, from the event log (in log order), for cumulative flow.

        With ``since``, only what a chart from ``since`` needs: each card's last placement before it
        and every placement after it; with ``until``, nothing from ``until`` on.
        """
        # The partial indexes of migration 0005 hold exactly these rows; named, since without
        # statistics the planner would walk every event of every card instead.
        columns = "events.id, entity_id, at, action, json_extract(after, '$.column') AS column_name"
        lo = rows.iso(since.astimezone(UTC)) if since is not None else ""
        hi = rows.iso(until.astimezone(UTC)) if until is not None else "9999"
        sql = (
            f"SELECT {columns} FROM events JOIN ("
            f" SELECT max(id) AS last FROM events INDEXED BY events_placements_by_card"
            f" WHERE {_PLACING} AND at < ? GROUP BY entity_id"
            ") ON last = events.id"
            f" UNION ALL SELECT {columns} FROM events INDEXED BY events_placements_by_time"
            f" WHERE {_PLACING} AND at >= ? AND at < ?"
            " ORDER BY 1"
        )
        found = []
        for row in self._conn.execute(sql, (lo, lo, hi)):
            if not str(row["entity_id"]).isdigit():
                continue
            column = None if row["action"] == "card.delete" else row["column_name"]
            found.append(Placement(int(row["entity_id"]), datetime.fromisoformat(row["at"]), column))
        return found

    def list_all_retro_rows(self) -> dict[str, list[Any]]:
        """Every retro table's rows as models, for an export."""
        return {
            "retros": self._rows(Retro),
            "retro_themes": self._rows(Theme),
            "retro_notes": self._rows(Note),
            "retro_votes": self._rows(Vote),
            "retro_actions": self._rows(RetroAction),
            "retro_timer": self._rows(TimerEntry),
        }

    # ------------------------------------------------------------------ helpers inside a write

    def _open_retro(self) -> RetroRecord:
        record = self.current_retro()
        if record is None:
            raise InvalidInput("no retro is open (start one with `socdesk retro start TITLE`)")
        return record

    def _in_phase(self, record: RetroRecord, allowed: frozenset[Phase], what: str) -> None:
        phase = record.retro.phase
        if phase not in allowed:
            names = " or ".join(p.value for p in Phase if p in allowed)
            raise InvalidInput(f"{what} in the {names} phase; the retro is in the {phase.value} phase")

    def _facilitating(self, record: RetroRecord, what: str) -> None:
        if self.actor != record.retro.facilitator:
            raise InvalidInput(f"only the facilitator ({record.retro.facilitator}) {what}")

    def _insert(self, model: M) -> M:
        values = rr.values(model)
        del values["id"]
        cursor = self._conn.execute(rows.insert_sql(rr.table(type(model)), values), values)
        return model.model_copy(update={"id": int(cursor.lastrowid or 0)})

    def _note(self, record: RetroRecord, note_id: int) -> Note:
        note = record.note(note_id)
        if note is None:
            raise NotFound(f"no note #{note_id} in retro {record.retro.id}")
        return note

    def _theme(self, record: RetroRecord, theme_id: int) -> Theme:
        theme = record.theme(theme_id)
        if theme is None:
            raise NotFound(f"no theme #{theme_id} in retro {record.retro.id}")
        return theme

    def _timer_entry(self, record: RetroRecord, kind: TimerKind, minutes: int = 0) -> TimerEntry:
        entry = self._insert(
            TimerEntry(
                id=1,
                retro_id=record.retro.id,
                at=self.clock.now(),
                actor=self.actor,
                phase=record.retro.phase,
                kind=kind,
                minutes=minutes,
            )
        )
        self._log(f"retro.timer.{kind.value}", "retro", record.retro.id, after=entry.model_dump(mode="json"))
        return entry

    # ------------------------------------------------------------------ the session

    def start_retro(self, draft: RetroDraft) -> RetroRecord:
        """Open a retro, run by whoever starts it; refused while another is open."""
        with self._write():
            running = self.current_retro()
            if running is not None:
                raise InvalidInput(
                    f"retro {running.retro.id} \u201c{running.retro.title}\u201d is still open "
                    f"(facilitator {running.retro.facilitator}); close it first "
                    "(`socdesk retro phase closed`)"
                )
            retro = self._insert(
                parse(
                    Retro,
                    {
                        **draft.model_dump(),
                        "id": 1,
                        "facilitator": self.actor,
                        "started_at": self.clock.now(),
                    },
                    "retro",
                )
            )
            self._log("retro.start", "retro", retro.id, after=retro.model_dump(mode="json"))
            return self.get_retro(retro.id)

    def set_retro_phase(
        self, phase: Phase, *, closing_notes: str | None = None, expected_version: int | None = None
    ) -> RetroRecord:
        """Move the open retro to ``phase`` (the facilitator only). Closing it ends it for good."""
        with self._write():
            record = self._open_retro()
            before = record.retro
            if expected_version is not None and expected_version != before.version:
                raise self._conflict("retro", before.id, expected_version, before.version)
            self._facilitating(record, "moves the retro from phase to phase")
            notes = before.closing_notes
            if closing_notes is not None:
                if phase is not Phase.CLOSED:
                    raise InvalidInput("closing notes are written when the retro is closed")
                notes = parse_value(_CLOSING, closing_notes, "closing notes")
            if phase is before.phase:
                return record
            if record.timer(self.clock.now()) is not None:
                self._timer_entry(record, TimerKind.STOP)
            now = self.clock.now()
            after = before.model_copy(
                update={
                    "phase": phase,
                    "closing_notes": notes,
                    "closed_at": now if phase is Phase.CLOSED else None,
                    "version": before.version + 1,
                }
            )
            self._conn.execute(
                "UPDATE retros SET phase = ?, closing_notes = ?, closed_at = ?, version = ? WHERE id = ?",
                (phase.value, notes, rows.iso(after.closed_at), after.version, before.id),
            )
            self._log(
                "retro.phase",
                "retro",
                before.id,
                before=before.model_dump(mode="json"),
                after=after.model_dump(mode="json"),
            )
            return self.get_retro(before.id)

    def retro_timer(self, kind: TimerKind, *, minutes: int = 0) -> RetroRecord:
        """Start (minutes), pause, resume, extend (minutes) or stop the current phase's timer."""
        with self._write():
            record = self._open_retro()
            self._facilitating(record, "runs the phase timer")
            now = self.clock.now()
            running = record.timer(now)
            if kind is TimerKind.START:
                if not 1 <= minutes <= PHASE_TIMER_MAX_MINUTES:
                    raise InvalidInput(
                        f"a phase timer runs 1 to {PHASE_TIMER_MAX_MINUTES} minutes, not {minutes}"
                    )
            elif running is None:
                raise InvalidInput(f"no timer runs in the {record.retro.phase.value} phase; start one first")
            elif kind is TimerKind.EXTEND and not 1 <= minutes <= EXTEND_MAX_MINUTES:
                raise InvalidInput(f"extend by 1 to {EXTEND_MAX_MINUTES} minutes, not {minutes}")
            entry = TimerEntry(
                id=1,
                retro_id=record.retro.id,
                at=now,
                actor=self.actor,
                phase=record.retro.phase,
                kind=kind,
                minutes=minutes if kind in (TimerKind.START, TimerKind.EXTEND) else 0,
            )
            try:
                phase_timer([*record.timer_log, entry], record.retro.phase, now)
            except TimerError as error:
                raise InvalidInput(str(error).replace("meeting", "timer")) from None
            self._timer_entry(record, kind, entry.minutes)
            return self.get_retro(record.retro.id)

    # ------------------------------------------------------------------ notes and themes

    def add_note(self, column: NoteColumn, text: str) -> Note:
        """Add a note to the open retro (write and group phases). Anonymous retros store no author."""
        with self._write():
            record = self._open_retro()
            self._in_phase(record, NOTE_PHASES, "notes are added")
            anonymous = record.retro.anonymous
            note = self._insert(
                parse(
                    Note,
                    {
                        "id": 1,
                        "retro_id": record.retro.id,
                        "column": column,
                        "text": text,
                        "author": None if anonymous else self.actor,
                    },
                    "note",
                )
            )
            self._log(
                "retro.note.add",
                "retro",
                record.retro.id,
                after=note.model_dump(mode="json"),
                actor=ANONYMOUS if anonymous else None,
            )
            return note

    def delete_note(self, note_id: int) -> Note:
        """Take back one's own note while notes are still being written (not in anonymous retros)."""
        with self._write():
            record = self._open_retro()
            self._in_phase(record, NOTE_PHASES, "notes are taken back")
            note = self._note(record, note_id)
            if record.retro.anonymous:
                raise InvalidInput("notes of an anonymous retro have no author, so nobody can take one back")
            if note.author != self.actor:
                raise InvalidInput(f"note #{note_id} is {note.author}'s; only its author takes it back")
            if any(v.note_id == note_id for v in record.votes):
                raise InvalidInput(f"note #{note_id} has votes; it stays")
            self._conn.execute("DELETE FROM retro_notes WHERE id = ?", (note_id,))
            self._log("retro.note.delete", "retro", record.retro.id, before=note.model_dump(mode="json"))
            return note

    def add_theme(self, name: str, note_ids: Sequence[int] = ()) -> Theme:
        """Cluster notes under a new named theme (group phase)."""
        with self._write():
            record = self._open_retro()
            self._in_phase(record, THEME_PHASES, "themes are made")
            clean = parse_value(_THEME_NAME, name, "theme name")
            if any(t.name.casefold() == clean.casefold() for t in record.themes):
                raise InvalidInput(f"retro {record.retro.id} already has a theme named {clean!r}")
            notes = [self._note(record, i) for i in dict.fromkeys(note_ids)]
            theme = self._insert(Theme(id=1, retro_id=record.retro.id, name=clean))
            self._log("retro.theme.add", "retro", record.retro.id, after=theme.model_dump(mode="json"))
            for note in notes:
                self._regroup(record, note, theme.id)
            return theme

    def group_note(self, note_id: int, theme_id: int | None) -> Note:
        """Put a note into a theme, or (``None``) take it out of its theme (group phase)."""
        with self._write():
            record = self._open_retro()
            self._in_phase(record, THEME_PHASES, "notes are grouped")
            note = self._note(record, note_id)
            if theme_id is not None:
                self._theme(record, theme_id)
            return self._regroup(record, note, theme_id)

    def _regroup(self, record: RetroRecord, note: Note, theme_id: int | None) -> Note:
        if note.theme_id == theme_id:
            return note
        after = note.model_copy(update={"theme_id": theme_id, "version": note.version + 1})
        self._conn.execute(
            "UPDATE retro_notes SET theme_id = ?, version = ? WHERE id = ?",
            (theme_id, after.version, note.id),
        )
        self._log(
            "retro.note.group",
            "retro",
            record.retro.id,
            before=note.model_dump(mode="json"),
            after=after.model_dump(mode="json"),
        )
        return after

    # ------------------------------------------------------------------ votes

    def vote(self, *, note_id: int | None = None, theme_id: int | None = None) -> Vote:
        """Put one of this person's dots on a note or a theme; refused once their budget is spent."""
        with self._write():
            record = self._open_retro()
            self._in_phase(record, VOTE_PHASES, "votes are cast")
            target = self._target(record, note_id, theme_id)
            budget = record.retro.vote_budget
            used = record.votes_used(self.actor)
            if used >= budget:
                raise InvalidInput(
                    f"you have used all {budget} of your votes; take one back (`socdesk retro unvote ID`, "
                    "or u in the view) to vote again"
                )
            vote = Vote(
                id=1,
                retro_id=record.retro.id,
                voter=self.actor,
                note_id=note_id,
                theme_id=theme_id,
                at=self.clock.now(),
            )
            try:
                vote = self._insert(vote)
            except sqlite3.IntegrityError as error:  # the trigger: the budget holds even for other writers
                raise InvalidInput(f"you have used all {budget} of your votes") from error
            self._log(
                "retro.vote",
                "retro",
                record.retro.id,
                after=vote.model_dump(mode="json"),
                meta={"on": target},
            )
            return vote

    def unvote(self, *, note_id: int | None = None, theme_id: int | None = None) -> Vote:
        """Take back one of this person's dots from a note or theme."""
        with self._write():
            record = self._open_retro()
            self._in_phase(record, VOTE_PHASES, "votes are taken back")
            target = self._target(record, note_id, theme_id)
            mine = [
                v
                for v in record.votes
                if v.voter == self.actor and v.note_id == note_id and v.theme_id == theme_id
            ]
            if not mine:
                raise InvalidInput(f"you have no vote on {target}")
            vote = mine[-1]
            self._conn.execute("DELETE FROM retro_votes WHERE id = ?", (vote.id,))
            self._log(
                "retro.unvote",
                "retro",
                record.retro.id,
                before=vote.model_dump(mode="json"),
                meta={"on": target},
            )
            return vote

    def _target(self, record: RetroRecord, note_id: int | None, theme_id: int | None) -> str:
        if (note_id is None) == (theme_id is None):
            raise InvalidInput("vote for one note or one theme")
        if note_id is not None:
            self._note(record, note_id)
            return f"note #{note_id}"
        assert theme_id is not None
        self._theme(record, theme_id)
        return f"theme #{theme_id}"

    # ------------------------------------------------------------------ actions

    def add_retro_action(self, draft: ActionDraft) -> RetroAction:
        """Record an action item and put it on the board as a card linked to the retro, at once."""
        with self._write():
            record = self._open_retro()
            self._in_phase(record, ACTION_PHASES, "actions are agreed")
            self._require_person(draft.owner)
            today = self.clock.now().astimezone(ZoneInfo(self.get_agenda().tz)).date()
            if draft.due < today:
                raise InvalidInput(f"the follow-up date {draft.due} is in the past (today is {today})")
            retro = record.retro
            card = self._add_card(
                CardDraft(
                    title=draft.text,
                    description=action_card_description(retro, draft),
                    type=draft.type,
                    assignee=draft.owner,
                    labels=(retro_label(retro.id),),
                ),
                meta={"retro": retro.id},
            )
            action = self._insert(
                RetroAction(
                    id=1,
                    retro_id=retro.id,
                    text=draft.text,
                    owner=draft.owner,
                    due=draft.due,
                    type=draft.type,
                    card_id=card.id,
                    created_by=self.actor,
                    created_at=self.clock.now(),
                )
            )
            self._log("retro.action.add", "retro", retro.id, after=action.model_dump(mode="json"))
            return action

    # ------------------------------------------------------------------ import

    def _restore_retros(self, tables: dict[str, Sequence[BaseModel]]) -> None:
        """Inside an import's transaction: put the retro tables back exactly as exported."""
        for name in ("retros", "retro_themes", "retro_notes", "retro_votes", "retro_actions", "retro_timer"):
            found = [rr.values(m) for m in tables.get(name, ())]
            if found:
                self._conn.executemany(rows.insert_sql(name, list(found[0])), found)
