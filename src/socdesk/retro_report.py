"""``socdesk retro`` output as plain text or JSON: the retro's status, a note, a vote, a theme, an action.

What a command prints never shows another person's hidden note or any author: it counts notes, and a
note just added is shown to the one who wrote it. JSON carries ISO instants in UTC and whole seconds
(``remaining_seconds`` is negative once a phase's timer runs over); every key is present even when
no retro is open, so scripts need no guards.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from socdesk.domain.retro import (
    Note,
    NoteColumn,
    Phase,
    Retro,
    RetroAction,
    RetroRecord,
    Theme,
    Vote,
)
from socdesk.domain.timer import Timer, clock_text

NO_RETRO = "no retro is open"
PHASE_HINTS = {
    Phase.OBJECTIVES: "agree the objectives and look at last retro's actions",
    Phase.WRITE: "add notes: `socdesk retro note add {well|not-well|improve} TEXT`",
    Phase.GROUP: "group notes into themes: `socdesk retro theme add NAME NOTE_ID...`",
    Phase.VOTE: "vote: `socdesk retro vote NOTE_ID` (--theme for a theme)",
    Phase.DISCUSS: "discuss the themes with the most votes first",
    Phase.ACTIONS: "agree actions: `socdesk retro action add TEXT --owner HANDLE --due DATE`",
    Phase.CLOSED: "closed",
}


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _seconds(timer: Timer) -> int:
    return int(timer.remaining.total_seconds())


def local_day_time(moment: datetime, tz: str) -> str:
    return moment.astimezone(ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M")


def period_text(retro: Retro) -> str:
    return f"{retro.period_from.isoformat()} to {retro.period_to.isoformat()}"


# ---------------------------------------------------------------------- status


def counts(record: RetroRecord) -> dict[str, Any]:
    per_column = {c.value: sum(1 for n in record.notes if n.column is c) for c in NoteColumn}
    return {
        "notes": len(record.notes),
        "notes_per_column": per_column,
        "themes": len(record.themes),
        "votes": len(record.votes),
        "actions": len(record.actions),
    }


def timer_json(timer: Timer | None) -> dict[str, Any] | None:
    if timer is None or timer.section is None:
        return None
    remaining = _seconds(timer)
    return {
        "allowance_seconds": int(timer.section.allowance.total_seconds()),
        "used_seconds": int(timer.section.used.total_seconds()),
        "remaining_seconds": remaining,
        "overrun": clock_text(timer.remaining) if remaining < 0 else None,
        "paused": timer.paused,
    }


def status_json(record: RetroRecord | None, viewer: str, now: datetime) -> dict[str, Any]:
    """The open retro at ``now`` as ``viewer`` sees it (their own votes left)."""
    if record is None or not record.retro.open:
        return {
            "open": False,
            "retro_id": None,
            "title": None,
            "phase": None,
            "phase_heading": None,
            "facilitator": None,
            "period": None,
            "anonymous": None,
            "notes_hidden": None,
            "vote_budget": None,
            "votes_used": None,
            "votes_left": None,
            "timer": None,
            "counts": None,
        }
    retro = record.retro
    return {
        "open": True,
        "retro_id": retro.id,
        "title": retro.title,
        "phase": retro.phase.value,
        "phase_heading": retro.phase.heading,
        "facilitator": retro.facilitator,
        "period": {"from": retro.period_from.isoformat(), "to": retro.period_to.isoformat()},
        "anonymous": retro.anonymous,
        "notes_hidden": retro.notes_hidden(),
        "vote_budget": retro.vote_budget,
        "votes_used": record.votes_used(viewer),
        "votes_left": record.votes_left(viewer),
        "timer": timer_json(record.timer(now)),
        "counts": counts(record),
    }


def timer_text(timer: Timer | None) -> str:
    if timer is None or timer.section is None:
        return "no timer"
    text = clock_text(timer.remaining)
    left = f"{text} over" if text.startswith("+") else f"{text} left"
    return left + (" PAUSED" if timer.paused else "")


def status_line(record: RetroRecord) -> str:
    retro = record.retro
    return f"retro {retro.id} “{retro.title}” · phase {retro.phase.value} ({retro.phase.heading})"


def status_text(record: RetroRecord | None, viewer: str, now: datetime) -> str:
    if record is None or not record.retro.open:
        return f"{NO_RETRO}: start one with `socdesk retro start TITLE`"
    retro = record.retro
    c = counts(record)
    per_column = ", ".join(f"{column} {n}" for column, n in c["notes_per_column"].items())
    flags = [f"facilitator {retro.facilitator}"]
    if retro.anonymous:
        flags.append("anonymous")
    if retro.notes_hidden():
        flags.append("notes hidden until the group phase")
    return "\n".join(
        [
            f"{status_line(record)} · {timer_text(record.timer(now))}",
            f"  period    {period_text(retro)}; {', '.join(flags)}",
            f"  notes     {c['notes']} ({per_column}); {_plural(c['themes'], 'theme')}",
            f"  votes     {record.votes_left(viewer)} of your {retro.vote_budget} left;"
            f" {c['votes']} cast in all",
            f"  actions   {c['actions']}",
            f"  next      {PHASE_HINTS[retro.phase]}",
        ]
    )


# ---------------------------------------------------------------------- what a command did


def started_text(record: RetroRecord) -> str:
    retro = record.retro
    how = [f"{_plural(retro.vote_budget, 'vote')} each"]
    how.append("notes hidden until the group phase" if retro.hide_notes else "notes shown as written")
    if retro.anonymous:
        how.append("anonymous")
    return (
        f"retro {retro.id} “{retro.title}” started by {retro.facilitator} for {period_text(retro)}:"
        f" {', '.join(how)}\n{phase_text(record)}"
    )


def phase_text(record: RetroRecord) -> str:
    retro = record.retro
    if retro.phase is Phase.CLOSED:
        return f"retro {retro.id} closed"
    return f"retro {retro.id} is in the {retro.phase.value} phase: {PHASE_HINTS[retro.phase]}"


def started_json(record: RetroRecord) -> dict[str, Any]:
    return {"retro": record.retro.model_dump(mode="json")}


def note_json(note: Note) -> dict[str, Any]:
    return note.model_dump(mode="json")


def note_added_text(note: Note, record: RetroRecord) -> str:
    retro = record.retro
    text = f"note #{note.id} added to “{note.column.heading}” in retro {retro.id}"
    if retro.notes_hidden():
        text += "; others see it from the group phase on"
    return text


def vote_json(vote: Vote, record: RetroRecord, voter: str, *, taken_back: bool) -> dict[str, Any]:
    return {
        "vote_id": vote.id,
        "taken_back": taken_back,
        "note_id": vote.note_id,
        "theme_id": vote.theme_id,
        "votes_on_target": sum(
            1 for v in record.votes if v.note_id == vote.note_id and v.theme_id == vote.theme_id
        ),
        "your_votes_on_target": sum(
            1
            for v in record.votes
            if v.voter == voter and v.note_id == vote.note_id and v.theme_id == vote.theme_id
        ),
        "vote_budget": record.retro.vote_budget,
        "votes_used": record.votes_used(voter),
        "votes_left": record.votes_left(voter),
    }


def target_text(vote: Vote) -> str:
    return f"note #{vote.note_id}" if vote.note_id is not None else f"theme #{vote.theme_id}"


def vote_text(vote: Vote, record: RetroRecord, voter: str, *, taken_back: bool) -> str:
    did = f"took back a vote from {target_text(vote)}" if taken_back else f"voted for {target_text(vote)}"
    return f"{did}: {record.votes_left(voter)} of {record.retro.vote_budget} votes left"


def theme_json(theme: Theme, record: RetroRecord) -> dict[str, Any]:
    return {
        **theme.model_dump(mode="json"),
        "note_ids": [n.id for n in record.notes if n.theme_id == theme.id],
    }


def theme_added_text(theme: Theme, record: RetroRecord) -> str:
    ids = [f"#{n.id}" for n in record.notes if n.theme_id == theme.id]
    grouped = f": {', '.join(ids)}" if ids else " (no notes yet)"
    return f"theme #{theme.id} “{theme.name}” with {_plural(len(ids), 'note')}{grouped}"


def action_json(action: RetroAction) -> dict[str, Any]:
    return action.model_dump(mode="json")


def action_added_text(action: RetroAction) -> str:
    card = "" if action.card_id is None else f" as card #{action.card_id}"
    return (
        f"action #{action.id} “{action.text}” for {action.owner}, due {action.due.isoformat()},"
        f" put on the board{card} ({action.type.value})"
    )
