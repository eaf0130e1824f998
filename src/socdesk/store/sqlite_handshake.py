"""The handshake in SQLite: the team's agenda, topics, meetings and each meeting's append-only log.

A mixin of ``SqliteStore``. Timer actions are rows of ``meeting_log`` with their timestamps; the
clock is folded from them (``MeetingRecord.timer``), never written as a ticking value. Board
decisions made in the meeting (priorities, pulls, approvals) change the card and log the decision in
the same transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import TypeAdapter

from socdesk.domain.duty import Role, holder_shift
from socdesk.domain.errors import InvalidInput, NotFound
from socdesk.domain.handshake import (
    Agenda,
    EntryKind,
    FacilitatorNote,
    LogEntry,
    Meeting,
    MeetingColumns,
    MeetingRecord,
    OutcomeText,
    SectionKind,
    Topic,
    meeting_columns,
)
from socdesk.domain.kpis import compute_kpis
from socdesk.domain.models import Card, CardDraft, CardPatch, Kind, Priority, WorkType
from socdesk.domain.timer import Act, Action, TimerError, check
from socdesk.domain.validation import parse, parse_value
from socdesk.store import handshake_rows as hrows
from socdesk.store import rows
from socdesk.store.sqlite_core import StoreCore

_NOTE: TypeAdapter[str] = TypeAdapter(FacilitatorNote)
_FEEDBACK: TypeAdapter[str] = TypeAdapter(OutcomeText)
TIMER_ACTS = (Act.NEXT, Act.PREV, Act.PAUSE, Act.RESUME, Act.EXTEND, Act.ITEM)


class HandshakeTables(StoreCore):
    # ------------------------------------------------------------------ reads

    def get_agenda(self) -> Agenda:
        """The team's agenda (the default one until someone sets it)."""
        row = self._conn.execute(
            "SELECT value, version FROM team_settings WHERE key = ?", (hrows.AGENDA_KEY,)
        ).fetchone()
        if row is None:
            return Agenda()
        return Agenda.model_validate_json(row["value"]).model_copy(update={"version": row["version"]})

    def list_topics(self) -> list[Topic]:
        """Topics waiting for a meeting: the intake (oldest first), then those moved to a later week."""
        sql = "SELECT * FROM topics WHERE meeting_id IS NULL ORDER BY deferred, id"
        return [hrows.topic(r) for r in self._conn.execute(sql)]

    def list_meetings(self) -> list[Meeting]:
        """Newest first."""
        return [hrows.meeting(r) for r in self._conn.execute("SELECT * FROM meetings ORDER BY id DESC")]

    def current_meeting(self) -> MeetingRecord | None:
        row = self._conn.execute("SELECT id FROM meetings WHERE ended_at IS NULL").fetchone()
        return None if row is None else self.get_meeting(row["id"])

    def get_meeting(self, meeting_id: int | None = None) -> MeetingRecord:
        """One meeting with its topics and log (default: the latest)."""
        if meeting_id is None:
            row = self._conn.execute("SELECT * FROM meetings ORDER BY id DESC LIMIT 1").fetchone()
            if row is None:
                raise NotFound("no handshake has been held yet (start one with `socdesk handshake start`)")
        else:
            row = self._conn.execute("SELECT * FROM meetings WHERE id = ?", (meeting_id,)).fetchone()
            if row is None:
                raise NotFound(f"no handshake with id {meeting_id}")
        found = hrows.meeting(row)
        topics = self._conn.execute("SELECT * FROM topics WHERE meeting_id = ? ORDER BY id", (found.id,))
        log = self._conn.execute("SELECT * FROM meeting_log WHERE meeting_id = ? ORDER BY id", (found.id,))
        return MeetingRecord(
            meeting=found,
            topics=tuple(hrows.topic(r) for r in topics),
            log=tuple(hrows.log_entry(r) for r in log),
        )

    def list_all_topics(self) -> list[Topic]:
        return [hrows.topic(r) for r in self._conn.execute("SELECT * FROM topics ORDER BY id")]

    def list_meeting_log(self) -> list[LogEntry]:
        return [hrows.log_entry(r) for r in self._conn.execute("SELECT * FROM meeting_log ORDER BY id")]

    # ------------------------------------------------------------------ agenda and topics

    def set_agenda(self, agenda: Agenda, *, expected_version: int | None = None) -> Agenda:
        with self._write():
            before = self.get_agenda()
            stored = self._conn.execute(
                "SELECT 1 FROM team_settings WHERE key = ?", (hrows.AGENDA_KEY,)
            ).fetchone()
            if expected_version is not None and expected_version != before.version:
                raise self._conflict("agenda", "handshake", expected_version, before.version)
            # The default reads as version 1, so the first stored agenda is 2: a console that read the
            # default and saves later conflicts with whoever stored one meanwhile.
            after = agenda.model_copy(update={"version": before.version + 1})
            if stored and before.model_copy(update={"version": after.version}) == after:
                return before
            self._conn.execute(
                "INSERT OR REPLACE INTO team_settings (key, value, version) VALUES (?, ?, ?)",
                (hrows.AGENDA_KEY, after.model_dump_json(exclude={"version"}), after.version),
            )
            self._log(
                "handshake.agenda",
                "agenda",
                "handshake",
                before=before.model_dump(mode="json") if stored else None,
                after=after.model_dump(mode="json"),
            )
            return after

    def add_topic(self, text: str) -> Topic:
        """Submit a topic for the next meeting; refused once that meeting has its cap of topics."""
        with self._write():
            agenda = self.get_agenda()
            waiting = self._intake_count()
            if waiting >= agenda.topic_cap:
                raise InvalidInput(
                    f"the next handshake already has {waiting} topics, the most it takes "
                    f"({agenda.topic_cap}); move one to next week (`socdesk handshake topic defer ID`, "
                    "or D in the view) and submit again"
                )
            draft = parse(
                Topic,
                {"id": 1, "text": text, "submitted_by": self.actor, "submitted_at": self.clock.now()},
                "topic",
            )
            values = hrows.topic_values(draft)
            del values["id"]
            cursor = self._conn.execute(rows.insert_sql("topics", values), values)
            added = draft.model_copy(update={"id": int(cursor.lastrowid or 0)})
            self._log("handshake.topic.add", "topic", added.id, after=added.model_dump(mode="json"))
            return added

    def defer_topic(self, topic_id: int, *, expected_version: int | None = None) -> Topic:
        """Move a waiting topic to a later week: it leaves the intake and returns after the next meeting."""
        with self._write():
            before = self._topic(topic_id, expected_version)
            if before.meeting_id is not None:
                raise InvalidInput(f"topic #{topic_id} was taken up by handshake {before.meeting_id}")
            if before.deferred:
                return before
            return self._save_topic(before, {"deferred": True}, "handshake.topic.defer")

    def _intake_count(self) -> int:
        sql = "SELECT count(*) FROM topics WHERE meeting_id IS NULL AND deferred = 0"
        return int(self._conn.execute(sql).fetchone()[0])

    def _topic(self, topic_id: int, expected_version: int | None) -> Topic:
        row = self._conn.execute("SELECT * FROM topics WHERE id = ?", (topic_id,)).fetchone()
        if row is None:
            if expected_version is not None:
                raise self._conflict("topic", topic_id, expected_version, None)
            raise NotFound(f"no topic with id {topic_id}")
        found = hrows.topic(row)
        if expected_version is not None and expected_version != found.version:
            raise self._conflict("topic", topic_id, expected_version, found.version)
        return found

    def _save_topic(self, before: Topic, changes: dict[str, Any], action: str) -> Topic:
        after = parse(Topic, {**before.model_dump(), **changes, "version": before.version + 1}, "topic")
        values = hrows.topic_values(after)
        sets = ", ".join(f"{k} = :{k}" for k in values if k != "id")
        self._conn.execute(f"UPDATE topics SET {sets} WHERE id = :id", values)
        self._log(
            action,
            "topic",
            after.id,
            before=before.model_dump(mode="json"),
            after=after.model_dump(mode="json"),
        )
        return after

    # ------------------------------------------------------------------ the meeting and its clock

    def _running(self) -> MeetingRecord:
        record = self.current_meeting()
        if record is None:
            raise InvalidInput("no handshake is running (start one with `socdesk handshake start`)")
        return record

    def _entry(
        self,
        record: MeetingRecord,
        kind: EntryKind,
        *,
        topic_id: int | None = None,
        card_id: int | None = None,
        minutes: int = 0,
        text: str = "",
        data: dict[str, Any] | None = None,
    ) -> LogEntry:
        """Append to the meeting's log (and the event log, so every console hears of it)."""
        now = self.clock.now()
        timer = record.timer(now)
        entry = LogEntry(
            id=1,
            meeting_id=record.meeting.id,
            at=now,
            actor=self.actor,
            kind=kind,
            section=0 if kind is EntryKind.START else timer.current,
            topic_id=topic_id,
            card_id=card_id,
            minutes=minutes,
            text=text,
            data=data or {},
        )
        values = hrows.log_entry_values(entry)
        del values["id"]
        cursor = self._conn.execute(rows.insert_sql("meeting_log", values), values)
        entry = entry.model_copy(update={"id": int(cursor.lastrowid or 0)})
        self._log(
            f"handshake.{kind.value}",
            "meeting",
            record.meeting.id,
            after=entry.model_dump(mode="json"),
        )
        return entry

    def _check_timer(self, record: MeetingRecord, action: Action) -> None:
        agenda = record.meeting.agenda
        try:
            check(
                agenda.planned(),
                record.actions(),
                action,
                item_allowance=timedelta(minutes=agenda.topic_minutes),
            )
        except TimerError as error:
            raise InvalidInput(str(error)) from None

    def start_meeting(self) -> MeetingRecord:
        """Open this week's handshake: freeze the agenda, duty names and KPIs, take the intake's topics."""
        with self._write():
            running = self.current_meeting()
            if running is not None:
                zone = ZoneInfo(running.meeting.agenda.tz)
                started = running.meeting.started_at.astimezone(zone).strftime("%H:%M %Z")
                raise InvalidInput(
                    f"handshake {running.meeting.id} is already running (started {started} by "
                    f"{running.meeting.started_by}); only one runs at a time"
                )
            now = self.clock.now()
            agenda = self.get_agenda()
            roster = self.get_roster()
            duty = {}
            for role in Role:
                person = holder_shift(roster, role, now).person
                duty[role.value] = roster.name(person) if person is not None else role.missing
            kpis = compute_kpis(self.list_cards(), self.list_columns(), now, ageing_days=agenda.ageing_days)
            meeting = Meeting(
                id=1,
                agenda=agenda.model_copy(update={"version": 1}),
                scheduled_at=agenda.scheduled_for(now),
                started_at=now,
                started_by=self.actor,
                duty=duty,
                kpis=kpis,
            )
            values = hrows.meeting_values(meeting)
            del values["id"]
            cursor = self._conn.execute(rows.insert_sql("meetings", values), values)
            meeting_id = int(cursor.lastrowid or 0)
            # Intake closes: the waiting topics become this meeting's; later ones wait for the next.
            taken = self._conn.execute(
                "SELECT * FROM topics WHERE meeting_id IS NULL AND deferred = 0 ORDER BY id LIMIT ?",
                (agenda.topic_cap,),
            ).fetchall()
            for row in taken:
                self._save_topic(hrows.topic(row), {"meeting_id": meeting_id}, "handshake.topic.take")
            record = self.get_meeting(meeting_id)
            self._entry(record, EntryKind.START)
            return self.get_meeting(meeting_id)

    def meeting_timer(self, act: Act, *, minutes: int = 0, topic_id: int | None = None) -> MeetingRecord:
        """Next/previous section, pause, resume, extend, or start timing a topic: one logged action."""
        if act not in TIMER_ACTS:
            raise InvalidInput(f"{act.value} is not a timer action here")
        with self._write():
            record = self._running()
            if act is Act.ITEM:
                topic = record.topic(topic_id) if topic_id is not None else None
                if topic is None:
                    raise NotFound(f"topic #{topic_id} is not on this handshake's list")
                timer = record.timer(self.clock.now())
                section = timer.current
                if section is None or record.meeting.agenda.sections[section].kind is not SectionKind.TOPICS:
                    raise InvalidInput("topics are timed in the topics section; move there first (next)")
            self._check_timer(record, Action(self.clock.now(), act, minutes=minutes, item=topic_id))
            self._entry(record, EntryKind(act.value), minutes=minutes, topic_id=topic_id)
            return self.get_meeting(record.meeting.id)

    def end_meeting(self) -> MeetingRecord:
        """End the running meeting. Topics it did not reach wait for the next one (moved to next week)."""
        with self._write():
            record = self._running()
            now = self.clock.now()
            self._check_timer(record, Action(now, Act.END))
            self._entry(record, EntryKind.END)
            meeting_id = record.meeting.id
            self._conn.execute(
                "UPDATE meetings SET ended_at = ?, version = version + 1 WHERE id = ?",
                (rows.iso(now), meeting_id),
            )
            unreached = [t for t in record.topics if not t.outcome and t.card_id is None]
            for topic in unreached:
                self._entry(
                    record,
                    EntryKind.CARRY_OVER,
                    topic_id=topic.id,
                    text=topic.text,
                    data={"topic": topic.model_dump(mode="json")},
                )
                self._save_topic(topic, {"meeting_id": None, "deferred": True}, "handshake.topic.carry-over")
            # Topics moved to a later week come back now, oldest first, as far as the cap allows.
            room = record.meeting.agenda.topic_cap - self._intake_count()
            if room > 0:
                waiting = self._conn.execute(
                    "SELECT * FROM topics WHERE meeting_id IS NULL AND deferred = 1 ORDER BY id LIMIT ?",
                    (room,),
                ).fetchall()
                for row in waiting:
                    self._save_topic(hrows.topic(row), {"deferred": False}, "handshake.topic.return")
            return self.get_meeting(meeting_id)

    def join_meeting(self) -> MeetingRecord | None:
        """Record that this person takes part (once per meeting); None when nothing runs."""
        with self._write():
            record = self.current_meeting()
            if record is None or self.actor in record.attendees():
                return record
            self._entry(record, EntryKind.JOIN)
            return self.get_meeting(record.meeting.id)

    def meeting_note(self, text: str) -> LogEntry:
        """A facilitator's note on the current section."""
        with self._write():
            record = self._running()
            note = parse_value(_NOTE, text, "note")
            return self._entry(record, EntryKind.NOTE, text=note)

    def set_topic_outcome(self, topic_id: int, text: str, *, expected_version: int | None = None) -> Topic:
        with self._write():
            record = self._running()
            before = self._meeting_topic(record, topic_id, expected_version)
            after = self._save_topic(before, {"outcome": text}, "handshake.topic.outcome")
            self._entry(record, EntryKind.OUTCOME, topic_id=topic_id, text=after.outcome)
            return after

    def _meeting_topic(self, record: MeetingRecord, topic_id: int, expected_version: int | None) -> Topic:
        topic = self._topic(topic_id, expected_version)
        if topic.meeting_id != record.meeting.id:
            raise InvalidInput(f"topic #{topic_id} is not on this handshake's list")
        return topic

    def topic_to_card(
        self, topic_id: int, work_type: WorkType, *, expected_version: int | None = None
    ) -> Card:
        """Add the topic to the backlog as a card of ``work_type``, linked both ways."""
        with self._write():
            record = self._running()
            topic = self._meeting_topic(record, topic_id, expected_version)
            if topic.card_id is not None:
                raise InvalidInput(f"topic #{topic_id} is already on the board as card #{topic.card_id}")
            columns = self._meeting_columns()
            outcome = f"\n\nOutcome: {topic.outcome}" if topic.outcome else ""
            draft = parse(
                CardDraft,
                {
                    "title": topic.text[:200],
                    "type": work_type,
                    "column": columns.backlog.name,
                    "description": f"From handshake topic #{topic.id}, raised by {topic.submitted_by}."
                    + outcome,
                },
                "card",
            )
            card = self._add_card(draft, meta={"meeting": record.meeting.id, "topic": topic.id})
            self._save_topic(topic, {"card_id": card.id}, "handshake.topic.card")
            self._entry(
                record,
                EntryKind.TOPIC_CARD,
                topic_id=topic.id,
                card_id=card.id,
                text=card.title,
                data={"type": work_type.value},
            )
            return card

    # ------------------------------------------------------------------ board decisions

    def _meeting_columns(self) -> MeetingColumns:
        return meeting_columns(self.list_columns())

    def refine_priority(
        self, card_id: int, priority: Priority, *, expected_version: int | None = None
    ) -> Card:
        with self._write():
            record = self._running()
            before = self._card_to_change(card_id, expected_version)
            after = self._edit_card(
                card_id,
                CardPatch(priority=priority),
                expected_version=expected_version,
                meta={"meeting": record.meeting.id},
            )
            if after.version != before.version:
                self._entry(
                    record,
                    EntryKind.PRIORITY,
                    card_id=card_id,
                    text=after.title,
                    data={"from": before.priority.value, "to": after.priority.value},
                )
            return after

    def pull_card(
        self,
        card_id: int,
        *,
        expected_version: int | None = None,
        force: bool = False,
        reason: str | None = None,
    ) -> Card:
        """Agree a backlog card as this week's work: into To Do, WIP limit applying."""
        with self._write():
            record = self._running()
            columns = self._meeting_columns()
            before = self._card_to_change(card_id, expected_version)
            if before.column != columns.backlog.name:
                raise InvalidInput(f"card #{card_id} is in {before.column}, not the {columns.backlog.name}")
            after = self._move_card(
                card_id,
                columns.todo.name,
                expected_version=expected_version,
                force=force,
                reason=reason,
                meta={"meeting": record.meeting.id},
            )
            self._entry(
                record,
                EntryKind.PULL,
                card_id=card_id,
                text=after.title,
                data={"to": after.column, "priority": after.priority.value},
            )
            return after

    def _detection_in_review(self, card_id: int, expected_version: int | None) -> tuple[Card, MeetingColumns]:
        card = self._card_to_change(card_id, expected_version)
        columns = self._meeting_columns()
        if card.kind is not Kind.DETECTION:
            raise InvalidInput(f"card #{card_id} is a {card.kind.value}, not a detection")
        if columns.review is None or card.column != columns.review.name:
            where = columns.review.name if columns.review else "a review column"
            raise InvalidInput(f"detection #{card_id} is in {card.column}, not in {where}")
        return card, columns

    def approve_detection(self, card_id: int, *, expected_version: int | None = None) -> Card:
        """Approve a detection for production: it moves to Done and the approver is recorded."""
        with self._write():
            record = self._running()
            _, columns = self._detection_in_review(card_id, expected_version)
            if columns.done is None:
                raise InvalidInput("the board has no done column to approve into")
            after = self._move_card(
                card_id,
                columns.done.name,
                expected_version=expected_version,
                meta={"meeting": record.meeting.id, "approved_by": self.actor},
            )
            self._entry(record, EntryKind.APPROVE, card_id=card_id, text=after.title)
            return after

    def reject_detection(self, card_id: int, feedback: str, *, expected_version: int | None = None) -> Card:
        """Send a detection back for rework; past a full column the feedback is the recorded reason."""
        text = _feedback(feedback)
        with self._write():
            record = self._running()
            _, columns = self._detection_in_review(card_id, expected_version)
            if columns.rework is None:
                raise InvalidInput("the board has no active column to send the detection back to")
            after = self._move_card(
                card_id,
                columns.rework.name,
                expected_version=expected_version,
                force=True,
                reason=f"rejected at the handshake: {text}"[:200],
                meta={"meeting": record.meeting.id, "rejected_by": self.actor, "feedback": text},
            )
            self._entry(record, EntryKind.REJECT, card_id=card_id, text=text, data={"title": after.title})
            return after

    def tune_detection(self, card_id: int, feedback: str) -> Card:
        """Feedback on an existing detection: a tuning card in the backlog, linked to it."""
        text = _feedback(feedback)
        with self._write():
            record = self._running()
            detection = self._card_to_change(card_id, None)
            if detection.kind is not Kind.DETECTION:
                raise InvalidInput(f"card #{card_id} is a {detection.kind.value}, not a detection")
            columns = self._meeting_columns()
            day = record.meeting.started_at.date().isoformat()
            draft = parse(
                CardDraft,
                {
                    "title": f"Tune #{detection.id}: {detection.title}"[:200],
                    "type": WorkType.ENGINEERING,
                    "kind": Kind.DETECTION,
                    "column": columns.backlog.name,
                    "labels": ("tuning",),
                    "security": detection.security,
                    "description": f"Tuning of detection #{detection.id}, from the handshake of {day}."
                    f"\n\nFeedback: {text}",
                },
                "card",
            )
            card = self._add_card(draft, meta={"meeting": record.meeting.id, "tunes": detection.id})
            self._entry(
                record,
                EntryKind.TUNING,
                card_id=card.id,
                text=text,
                data={"tunes": detection.id, "title": card.title, "type": card.type.value},
            )
            return card

    def record_publish(self, meeting_id: int, command: str, exit_code: int | None, output: str) -> LogEntry:
        """Log what the configured publish command did with the minutes (it runs outside the store)."""
        with self._write():
            record = self.get_meeting(meeting_id)
            return self._entry(
                record,
                EntryKind.PUBLISH,
                text=command,
                data={"exit_code": exit_code, "output": output[-2000:]},
            )

    def _restore_handshake(
        self,
        agenda: Agenda | None,
        meetings: Sequence[Meeting],
        topics: Sequence[Topic],
        log: Sequence[LogEntry],
    ) -> None:
        """Inside an import's transaction: put the handshake tables back exactly as exported."""
        if agenda is not None:
            self._conn.execute(
                "INSERT INTO team_settings (key, value, version) VALUES (?, ?, ?)",
                (hrows.AGENDA_KEY, agenda.model_dump_json(exclude={"version"}), agenda.version),
            )
        for table, values in (
            ("meetings", [hrows.meeting_values(m) for m in meetings]),
            ("topics", [hrows.topic_values(t) for t in topics]),
            ("meeting_log", [hrows.log_entry_values(e) for e in log]),
        ):
            if values:
                self._conn.executemany(rows.insert_sql(table, list(values[0])), values)


def _feedback(text: str) -> str:
    if not text.strip():
        raise InvalidInput("feedback needs some text: what should change?")
    return parse_value(_FEEDBACK, text, "feedback")
