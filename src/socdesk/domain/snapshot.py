"""The export/import format: the whole board as one validated document."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta
from typing import Any, Literal, Self

from pydantic import Field, model_validator

from socdesk.domain.duty import HandoverNote, Override, Rotation
from socdesk.domain.handshake import Agenda, LogEntry, Meeting, Topic
from socdesk.domain.models import Card, Column, Event, Person, UtcDatetime, _Model
from socdesk.domain.retro import Note, Retro, RetroAction, Theme, TimerEntry, Vote, phase_timer
from socdesk.domain.timer import TimerError


def _repeats(values: list[str] | list[int]) -> list[str]:
    return sorted(str(v) for v, n in Counter(values).items() if n > 1)


class Snapshot(_Model):
    """What ``socdesk export`` writes and ``socdesk import`` reads (and ``sample_data/`` holds)."""

    format: Literal["socdesk-export"] = "socdesk-export"
    format_version: Literal[1] = 1
    exported_at: UtcDatetime
    people: tuple[Person, ...] = ()
    columns: tuple[Column, ...] = Field(min_length=1)
    cards: tuple[Card, ...] = ()
    events: tuple[Event, ...] = ()
    rotations: tuple[Rotation, ...] = ()
    overrides: tuple[Override, ...] = ()
    handover_notes: tuple[HandoverNote, ...] = ()
    agenda: Agenda | None = None
    meetings: tuple[Meeting, ...] = ()
    topics: tuple[Topic, ...] = ()
    meeting_log: tuple[LogEntry, ...] = ()
    retros: tuple[Retro, ...] = ()
    retro_themes: tuple[Theme, ...] = ()
    retro_notes: tuple[Note, ...] = ()
    retro_votes: tuple[Vote, ...] = ()
    retro_actions: tuple[RetroAction, ...] = ()
    retro_timer: tuple[TimerEntry, ...] = ()

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        problems: list[str] = []
        if dup := _repeats([p.handle for p in self.people]):
            problems.append(f"people: handle repeated: {', '.join(dup)}")
        if dup := _repeats([c.name.casefold() for c in self.columns]):
            problems.append(f"columns: name repeated: {', '.join(dup)}")
        if dup := _repeats([c.position for c in self.columns]):
            problems.append(f"columns: position repeated: {', '.join(dup)}")
        if dup := _repeats([c.id for c in self.cards]):
            problems.append(f"cards: id repeated: {', '.join(dup)}")
        if dup := _repeats([e.id for e in self.events]):
            problems.append(f"events: id repeated: {', '.join(dup)}")
        columns = {c.name for c in self.columns}
        handles = {p.handle for p in self.people}
        for card in self.cards:
            if card.column not in columns:
                problems.append(f"card {card.id}: unknown column {card.column!r}")
            if card.assignee is not None and card.assignee not in handles:
                problems.append(f"card {card.id}: unknown assignee {card.assignee!r}")
        if dup := _repeats([r.role.value for r in self.rotations]):
            problems.append(f"rotations: role repeated: {', '.join(dup)}")
        if dup := _repeats([o.id for o in self.overrides]):
            problems.append(f"overrides: id repeated: {', '.join(dup)}")
        if dup := _repeats([n.id for n in self.handover_notes]):
            problems.append(f"handover_notes: id repeated: {', '.join(dup)}")
        for rotation in self.rotations:
            if unknown := [m for m in rotation.members if m not in handles]:
                problems.append(f"rotation {rotation.role.value}: unknown members {', '.join(unknown)}")
        for o in self.overrides:
            if o.person not in handles:
                problems.append(f"override {o.id}: unknown person {o.person!r}")
        override_ids = {o.id for o in self.overrides}
        for o in self.overrides:
            if o.swap_id is not None and o.swap_id not in override_ids:
                problems.append(f"override {o.id}: its swap partner {o.swap_id} is not in the file")
        cards_known = _cards_known(self)
        if dup := _repeats([m.id for m in self.meetings]):
            problems.append(f"meetings: id repeated: {', '.join(dup)}")
        if sum(m.ended_at is None for m in self.meetings) > 1:
            problems.append("meetings: more than one is running")
        meeting_ids = {m.id for m in self.meetings}
        if dup := _repeats([t.id for t in self.topics]):
            problems.append(f"topics: id repeated: {', '.join(dup)}")
        for t in self.topics:
            if t.meeting_id is not None and t.meeting_id not in meeting_ids:
                problems.append(f"topic {t.id}: unknown meeting {t.meeting_id}")
            if t.card_id is not None and t.card_id not in cards_known:
                problems.append(f"topic {t.id}: card {t.card_id} is neither on the board nor in the history")
        if dup := _repeats([e.id for e in self.meeting_log]):
            problems.append(f"meeting_log: id repeated: {', '.join(dup)}")
        for e in self.meeting_log:
            if e.meeting_id not in meeting_ids:
                problems.append(f"meeting_log {e.id}: unknown meeting {e.meeting_id}")
        problems += _retro_problems(self)
        if dup := _repeats([f"{c.column}#{c.position}" for c in self.cards]):
            problems.append(f"cards: two cards share a place: {', '.join(dup)}")
        if problems:
            raise ValueError("; ".join(problems[:10]) + (" ..." if len(problems) > 10 else ""))
        return self


def _cards_known(s: Snapshot) -> set[int]:
    """The cards on the board and those the history has seen (a card deleted since keeps its id)."""
    seen = {int(e.entity_id) for e in s.events if e.entity == "card" and e.entity_id.isdigit()}
    return {c.id for c in s.cards} | seen


def _retro_problems(s: Snapshot) -> list[str]:
    problems: list[str] = []
    handles = {p.handle for p in s.people}
    cards_known = _cards_known(s)
    for a in s.retro_actions:
        if a.owner not in handles:
            problems.append(f"retro_action {a.id}: unknown owner {a.owner!r}")
        if a.card_id is not None and a.card_id not in cards_known:
            problems.append(
                f"retro_action {a.id}: card {a.card_id} is neither on the board nor in the history"
            )
    retros = {r.id: r for r in s.retros}
    themes = {t.id: t for t in s.retro_themes}
    notes = {n.id: n for n in s.retro_notes}
    for name, items in (
        ("retros", s.retros),
        ("retro_themes", s.retro_themes),
        ("retro_notes", s.retro_notes),
        ("retro_votes", s.retro_votes),
        ("retro_actions", s.retro_actions),
        ("retro_timer", s.retro_timer),
    ):
        if dup := _repeats([i.id for i in items]):
            problems.append(f"{name}: id repeated: {', '.join(dup)}")
        for item in items:
            retro_id = getattr(item, "retro_id", None)
            if retro_id is not None and retro_id not in retros:
                problems.append(f"{name} {item.id}: unknown retro {retro_id}")
    if sum(r.open for r in s.retros) > 1:
        problems.append("retros: more than one is open")
    for n in s.retro_notes:
        if n.theme_id is not None and n.theme_id not in themes:
            problems.append(f"retro_note {n.id}: unknown theme {n.theme_id}")
        elif n.theme_id is not None and themes[n.theme_id].retro_id != n.retro_id:
            problems.append(f"retro_note {n.id}: its theme {n.theme_id} is another retro's")
        if n.author is not None and n.retro_id in retros and retros[n.retro_id].anonymous:
            problems.append(f"retro_note {n.id}: an anonymous retro's note has an author")
    for v in s.retro_votes:
        target = notes.get(v.note_id) if v.note_id is not None else themes.get(v.theme_id or 0)
        if target is None:
            problems.append(f"retro_vote {v.id}: unknown note or theme")
        elif target.retro_id != v.retro_id:
            problems.append(f"retro_vote {v.id}: its note or theme is another retro's")
    for retro in s.retros:
        log = [e for e in s.retro_timer if e.retro_id == retro.id]
        for phase in {e.phase for e in log}:
            try:
                phase_timer(log, phase, log[-1].at)
            except TimerError as error:
                problems.append(
                    f"retro_timer of retro {retro.id}: the {phase.value} timer cannot be replayed ({error})"
                )
    spent = Counter((v.retro_id, v.voter) for v in s.retro_votes)
    for (retro_id, voter), count in spent.items():
        if retro_id in retros and count > retros[retro_id].vote_budget:
            problems.append(f"retro {retro_id}: {voter} has {count} votes, over the budget")
    return problems


def _shift_value(key: str, value: Any, delta: timedelta) -> Any:
    if isinstance(value, dict):
        return {k: _shift_value(k, v, delta) for k, v in value.items()}
    if isinstance(value, list):
        return [_shift_value(key, v, delta) for v in value]
    if isinstance(value, str) and (key.endswith("_date") or key in DATE_KEYS):
        return (date.fromisoformat(value) + timedelta(days=delta.days)).isoformat()
    if isinstance(value, str) and (key == "at" or key.endswith(("_at", "_since"))):
        try:
            return (datetime.fromisoformat(value) + delta).isoformat(timespec="microseconds")
        except ValueError:
            return value
    return value


# Sections that move by whole weeks, so that a weekly handover or meeting keeps its weekday and hour.
WEEKLY_SECTIONS = (
    "rotations",
    "overrides",
    "handover_notes",
    "meetings",
    "topics",
    "meeting_log",
    "retros",
    "retro_themes",
    "retro_notes",
    "retro_votes",
    "retro_actions",
    "retro_timer",
)
# Dates (a retro's period, an action's follow-up) that move by whole days with the rest.
DATE_KEYS = ("period_from", "period_to", "due")


def shifted(snapshot: Snapshot, delta: timedelta) -> Snapshot:
    """The same snapshot with every timestamp moved by ``delta`` (sample data is re-based to today).

    The duty roster and the handshakes move by the nearest whole number of weeks instead, so that
    shifts, overrides and meetings keep their weekday and wall-clock time.
    """
    weeks = timedelta(weeks=round(delta / timedelta(weeks=1)))
    data = snapshot.model_dump(mode="json")
    moved = {
        key: _shift_value(key, value, weeks if key in WEEKLY_SECTIONS else delta)
        for key, value in data.items()
    }
    return Snapshot.model_validate(moved)
