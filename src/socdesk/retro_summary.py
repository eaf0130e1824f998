"""A retro's summary: Markdown for the wiki and the same content as JSON.

Pure functions of a ``RetroRecord``, the previous retro's actions and the period's work mix; they never
look at the wall clock, so the same record gives the same summary on every machine. A summary is
shared: it names no note's author and no voter (an anonymous retro has none to name anyway), and
while the notes are hidden (``Retro.notes_hidden``) it tells how many notes each column has, never
what they say.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from socdesk.domain.mix import MixReport
from socdesk.domain.retro import (
    ActionStatus,
    NoteColumn,
    NoteView,
    Phase,
    RetroAction,
    RetroRecord,
    ThemeView,
)
from socdesk.files import write_text_into
from socdesk.markdown_text import block, cell, heading, inline
from socdesk.mix_report import (
    mix_markdown_table,
    mix_summary_json,
    period_line,
    throughput_line,
    unplanned_line,
)

HIDDEN = "hidden until the group phase"


# ------------------------------------------------------------------ what both forms are built from


def votes_shown(record: RetroRecord) -> bool:
    """Dots are counted from the vote phase on (before it, nobody votes along with the crowd)."""
    return record.retro.phase.order >= Phase.VOTE.order


def _local(moment: datetime, tz: str) -> str:
    return moment.astimezone(ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M %Z")


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _theme_names(record: RetroRecord) -> dict[int, str]:
    return {t.id: t.name for t in record.themes}


def summary_filename(record: RetroRecord) -> str:
    return f"retro-{record.retro.id}-{record.retro.period_to.isoformat()}.md"


def write_summary(record: RetroRecord, markdown: str, directory: Path) -> Path:
    """Write into ``directory`` (made if missing) under the retro's file name; returns the path."""
    return write_text_into(directory, summary_filename(record), markdown)


# ------------------------------------------------------------------ Markdown


def render_markdown(record: RetroRecord, previous: list[ActionStatus], mix: MixReport | None, tz: str) -> str:
    """The summary as Markdown: deterministic, every section present (saying so when it is empty)."""
    retro = record.retro
    out = [f"# Retro {retro.id}: {heading(retro.title)}", "", *_facts(record, tz)]
    out += ["", "## Objectives", "", block(retro.objectives, "") if retro.objectives else "None set."]
    out += ["", "## Last retro's actions", "", *_previous(previous)]
    out += ["", "## Notes", *_columns(record)]
    out += ["", "## Themes by votes", "", *_themes(record)]
    out += ["", "## Actions", "", *_actions(record.actions)]
    out += ["", "## Work mix", "", *_mix(mix)]
    if retro.closing_notes:
        out += ["", "## Closing notes", "", block(retro.closing_notes, "")]
    return "\n".join(out) + "\n"


def _facts(record: RetroRecord, tz: str) -> list[str]:
    retro = record.retro
    if retro.closed_at is not None:
        phase = f"closed {_local(retro.closed_at, tz)}"
    else:
        phase = f"in progress, phase {retro.phase.value} ({retro.phase.heading})"
    hidden = "yes" if retro.hide_notes else "no"
    if retro.notes_hidden():
        hidden += f" (they are {HIDDEN})"
    return [
        f"- Period: {retro.period_from.isoformat()} to {retro.period_to.isoformat()}",
        f"- Facilitator: {inline(retro.facilitator)}",
        f"- Started: {_local(retro.started_at, tz)}; {phase}",
        f"- Anonymous: {'yes' if retro.anonymous else 'no'}",
        f"- Notes hidden while writing: {hidden}",
        f"- Votes per person: {retro.vote_budget}",
    ]


def _previous(previous: list[ActionStatus]) -> list[str]:
    if not previous:
        return ["None."]
    return [
        f"- {inline(s.action.text)} — {inline(s.action.owner)}, due {s.action.due.isoformat()}"
        + ("" if s.action.card_id is None else f", card #{s.action.card_id}")
        + f": **{s.status}**"
        for s in previous
    ]


def _note_line(view: NoteView, record: RetroRecord, *, theme: bool) -> str:
    line = inline(view.note.text)
    extras = []
    if theme and view.note.theme_id is not None:
        extras.append(f"theme “{inline(_theme_names(record).get(view.note.theme_id, '?'))}”")
    if votes_shown(record):
        extras.append(_plural(view.votes, "vote"))
    return f"{line} ({', '.join(extras)})" if extras else line


def _columns(record: RetroRecord) -> list[str]:
    out = []
    hidden = record.retro.notes_hidden()
    for column in NoteColumn:
        views = record.column(column, None)
        out += ["", f"### {column.heading}", ""]
        if not views:
            out.append("None.")
        elif hidden:
            out.append(f"{_plural(len(views), 'note')}, {HIDDEN}.")
        else:
            out += [f"- {_note_line(v, record, theme=True)}" for v in views]
    return out


def _theme_votes(view: ThemeView, record: RetroRecord) -> str:
    if not votes_shown(record):
        return _plural(len(view.notes), "note")
    return (
        f"{_plural(view.total, 'vote')} ({view.votes} on the theme, {view.total - view.votes} on its notes)"
    )


def _themes(record: RetroRecord) -> list[str]:
    views = record.theme_views(None)
    hidden = record.retro.notes_hidden()
    out = []
    for number, view in enumerate(views, start=1):
        prefix = f"{number}. "
        out.append(f"{prefix}**{inline(view.theme.name)}** — {_theme_votes(view, record)}")
        if not hidden:
            out += [f"{' ' * len(prefix)}- {_note_line(n, record, theme=False)}" for n in view.notes]
    loose = record.ungrouped(None)
    if loose and not hidden:
        out += ["", "Not in a theme:", ""] if out else []
        out += [f"- {_note_line(n, record, theme=False)}" for n in loose]
    return out or ["None."]


def _actions(actions: tuple[RetroAction, ...]) -> list[str]:
    if not actions:
        return ["None agreed."]
    lines = ["| Action | Owner | Due | Type | Card |", "| --- | --- | --- | --- | ---: |"]
    lines += [
        f"| {cell(a.text)} | {cell(a.owner)} | {a.due.isoformat()} | {a.type.value} "
        f"| {'-' if a.card_id is None else f'#{a.card_id}'} |"
        for a in actions
    ]
    return lines


def _mix(mix: MixReport | None) -> list[str]:
    if mix is None:
        return ["Not available."]
    return [period_line(mix), "", mix_markdown_table(mix), "", unplanned_line(mix), "", throughput_line(mix)]


# ------------------------------------------------------------------ JSON


def summary_json(
    record: RetroRecord, previous: list[ActionStatus], mix: MixReport | None, tz: str
) -> dict[str, Any]:
    """The summary's content as a JSON-able dict (no authors, no voters, no hidden texts)."""
    retro = record.retro
    return {
        "retro_id": retro.id,
        "title": retro.title,
        "period": {"from": retro.period_from.isoformat(), "to": retro.period_to.isoformat()},
        "tz": tz,
        "facilitator": retro.facilitator,
        "phase": retro.phase.value,
        "phase_heading": retro.phase.heading,
        "open": retro.open,
        "started_at": _iso(retro.started_at),
        "closed_at": _iso(retro.closed_at),
        "anonymous": retro.anonymous,
        "hide_notes": retro.hide_notes,
        "notes_hidden": retro.notes_hidden(),
        "votes_shown": votes_shown(record),
        "vote_budget": retro.vote_budget,
        "objectives": retro.objectives,
        "previous_actions": [_previous_json(s) for s in previous],
        "columns": [_column_json(record, c) for c in NoteColumn],
        "themes": [_theme_json(record, v) for v in record.theme_views(None)],
        "ungrouped": [] if retro.notes_hidden() else [_note_json(record, n) for n in record.ungrouped(None)],
        "actions": [_action_json(a) for a in record.actions],
        "mix": None if mix is None else mix_summary_json(mix),
        "closing_notes": retro.closing_notes,
    }


def _action_json(action: RetroAction) -> dict[str, Any]:
    return {
        "id": action.id,
        "text": action.text,
        "owner": action.owner,
        "due": action.due.isoformat(),
        "type": action.type.value,
        "card_id": action.card_id,
    }


def _previous_json(status: ActionStatus) -> dict[str, Any]:
    return {
        **_action_json(status.action),
        "retro_id": status.action.retro_id,
        "status": status.status,
        "done": status.done,
        "column": None if status.card is None else status.card.column,
    }


def _note_json(record: RetroRecord, view: NoteView) -> dict[str, Any]:
    theme_id = view.note.theme_id
    return {
        "id": view.note.id,
        "column": view.note.column.value,
        "text": view.note.text,
        "theme_id": theme_id,
        "theme": None if theme_id is None else _theme_names(record).get(theme_id),
        "votes": view.votes,
    }


def _column_json(record: RetroRecord, column: NoteColumn) -> dict[str, Any]:
    views = record.column(column, None)
    hidden = record.retro.notes_hidden()
    return {
        "column": column.value,
        "heading": column.heading,
        "count": len(views),
        "notes": [] if hidden else [_note_json(record, v) for v in views],
    }


def _theme_json(record: RetroRecord, view: ThemeView) -> dict[str, Any]:
    hidden = record.retro.notes_hidden()
    return {
        "id": view.theme.id,
        "name": view.theme.name,
        "votes": view.votes,
        "total_votes": view.total,
        "note_count": len(view.notes),
        "notes": [] if hidden else [_note_json(record, n) for n in view.notes],
    }
