"""The retrospective: its phases, notes in three columns, themes, dot votes and action items.

Pure rules. What a person may see depends on who they are and the phase (``RetroRecord.view``): in the
write phase others' notes can stay hidden until the group phase, and an anonymous retro stores no
author at all, so the console remembers which notes it wrote itself (``mine``) for as long as it runs.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Annotated, Self

from pydantic import AfterValidator, Field, StringConstraints, model_validator

from socdesk.domain.mix import PERIOD_MAX_DAYS
from socdesk.domain.models import (
    Card,
    Handle,
    Stage,
    Title,
    UtcDatetime,
    WorkType,
    _Model,
    _no_control_chars,
    _no_control_chars_but_whitespace,
)
from socdesk.domain.rota import day_problem
from socdesk.domain.timer import Act, Action, Timer, fold

NOTE_MAX = 500
OBJECTIVES_MAX = 2_000
CLOSING_MAX = 5_000
VOTES_MAX = 20
PHASE_TIMER_MAX_MINUTES = 120


class Phase(StrEnum):
    """The facilitator moves the retro through these, in this order (going back is allowed)."""

    OBJECTIVES = "objectives"
    WRITE = "write"
    GROUP = "group"
    VOTE = "vote"
    DISCUSS = "discuss"
    ACTIONS = "actions"
    CLOSED = "closed"

    @property
    def heading(self) -> str:
        return PHASE_TITLES[self]

    @property
    def order(self) -> int:
        return list(Phase).index(self)


PHASE_TITLES = {
    Phase.OBJECTIVES: "Objectives and last actions",
    Phase.WRITE: "Write",
    Phase.GROUP: "Group",
    Phase.VOTE: "Vote",
    Phase.DISCUSS: "Discuss",
    Phase.ACTIONS: "Actions",
    Phase.CLOSED: "Closed",
}

# What each phase allows. Notes may still be added while grouping (a thought sparked by another's).
NOTE_PHASES = frozenset({Phase.WRITE, Phase.GROUP})
THEME_PHASES = frozenset({Phase.GROUP})
VOTE_PHASES = frozenset({Phase.VOTE})
ACTION_PHASES = frozenset({Phase.DISCUSS, Phase.ACTIONS})


class NoteColumn(StrEnum):
    WELL = "well"
    NOT_WELL = "not-well"
    IMPROVE = "improve"

    @property
    def heading(self) -> str:
        return COLUMN_TITLES[self]


COLUMN_TITLES = {
    NoteColumn.WELL: "What went well",
    NoteColumn.NOT_WELL: "What didn't go well",
    NoteColumn.IMPROVE: "What can be improved",
}

NoteText = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=NOTE_MAX),
    AfterValidator(_no_control_chars),
]
ThemeName = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=80),
    AfterValidator(_no_control_chars),
]
Objectives = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=OBJECTIVES_MAX),
    AfterValidator(_no_control_chars_but_whitespace),
]
ClosingNotes = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=CLOSING_MAX),
    AfterValidator(_no_control_chars_but_whitespace),
]


class RetroDraft(_Model):
    """What the facilitator chooses when starting a retro."""

    title: Title
    objectives: Objectives = ""
    period_from: date
    period_to: date
    vote_budget: int = Field(default=3, ge=1, le=VOTES_MAX)
    anonymous: bool = False
    hide_notes: bool = True
    """Others' notes stay hidden in the write phase, so nobody anchors on them."""

    @model_validator(mode="after")
    def _period_in_order(self) -> Self:
        for day in (self.period_from, self.period_to):
            if problem := day_problem(day):  # the period's mix would run past what datetime holds
                raise ValueError(problem)
        if self.period_to < self.period_from:
            raise ValueError(f"the period ends ({self.period_to}) before it starts ({self.period_from})")
        if (self.period_to - self.period_from).days + 1 > PERIOD_MAX_DAYS:
            raise ValueError(f"the period covers at most {PERIOD_MAX_DAYS} days")
        return self


class Retro(RetroDraft):
    id: int = Field(ge=1)
    facilitator: str
    started_at: UtcDatetime
    phase: Phase = Phase.OBJECTIVES
    closed_at: UtcDatetime | None = None
    closing_notes: ClosingNotes = ""
    version: int = Field(default=1, ge=1)

    @property
    def open(self) -> bool:
        return self.phase is not Phase.CLOSED

    def notes_hidden(self) -> bool:
        """Whether others' notes are withheld now (hidden mode, before grouping starts)."""
        return self.hide_notes and self.phase in (Phase.OBJECTIVES, Phase.WRITE)


class Note(_Model):
    id: int = Field(ge=1)
    retro_id: int = Field(ge=1)
    column: NoteColumn
    text: NoteText
    author: str | None = None
    """None in an anonymous retro: no author is stored anywhere."""
    theme_id: int | None = None
    version: int = Field(default=1, ge=1)


class Theme(_Model):
    id: int = Field(ge=1)
    retro_id: int = Field(ge=1)
    name: ThemeName
    version: int = Field(default=1, ge=1)


class Vote(_Model):
    """One dot. A person may put several of their dots on one note or theme."""

    id: int = Field(ge=1)
    retro_id: int = Field(ge=1)
    voter: str
    note_id: int | None = None
    theme_id: int | None = None
    at: UtcDatetime

    @model_validator(mode="after")
    def _one_target(self) -> Self:
        if (self.note_id is None) == (self.theme_id is None):
            raise ValueError("a vote is for one note or one theme")
        return self


class ActionDraft(_Model):
    text: Title
    owner: Handle
    due: date
    type: WorkType = WorkType.ENGINEERING


class RetroAction(_Model):
    id: int = Field(ge=1)
    retro_id: int = Field(ge=1)
    text: Title
    owner: Handle
    due: date
    type: WorkType
    card_id: int | None = None
    created_by: str
    created_at: UtcDatetime


class TimerKind(StrEnum):
    START = "start"
    PAUSE = "pause"
    RESUME = "resume"
    EXTEND = "extend"
    STOP = "stop"


class TimerEntry(_Model):
    """One action on the current phase's timer (the log is append-only)."""

    id: int = Field(ge=1)
    retro_id: int = Field(ge=1)
    at: UtcDatetime
    actor: str
    phase: Phase
    kind: TimerKind
    minutes: int = Field(default=0, ge=0, le=PHASE_TIMER_MAX_MINUTES)


def phase_timer(entries: list[TimerEntry], phase: Phase, now: datetime) -> Timer | None:
    """The running timer of ``phase`` at ``now``: folded from its last start; None when none runs.

    A phase timer is a one-section timer of the shared engine (``socdesk.domain.timer``); moving to
    another phase or stopping it ends it.
    """
    mine = sorted((e for e in entries if e.phase is phase), key=lambda e: (e.at, e.id))
    last_start = max((i for i, e in enumerate(mine) if e.kind is TimerKind.START), default=None)
    if last_start is None:
        return None
    run = mine[last_start:]
    if any(e.kind is TimerKind.STOP for e in run):
        return None
    start = run[0]
    actions = [Action(start.at, Act.START)]
    for entry in run[1:]:
        actions.append(Action(entry.at, Act(entry.kind.value), minutes=entry.minutes))
    return fold([timedelta(minutes=start.minutes)], actions, max(now, start.at))


class NoteView(_Model):
    """A note as one person may see it now."""

    note: Note
    hidden: bool
    """Someone else's note in the hidden write phase: its text is withheld."""
    mine: bool
    votes: int
    my_votes: int

    @property
    def text(self) -> str:
        return "(hidden until the group phase)" if self.hidden else self.note.text


class ThemeView(_Model):
    theme: Theme
    notes: tuple[NoteView, ...]
    votes: int
    """Dots on the theme itself."""
    my_votes: int

    @property
    def total(self) -> int:
        """The theme's dots plus its notes' dots: what discussion is ordered by."""
        return self.votes + sum(n.votes for n in self.notes)


class ActionStatus(_Model):
    """A previous retro's action and where its card is now."""

    action: RetroAction
    card: Card | None
    stage: Stage | None

    @property
    def status(self) -> str:
        if self.action.card_id is None or self.card is None:
            return "card deleted"
        if self.stage is Stage.DONE:
            return "done"
        return f"open ({self.card.column})"

    @property
    def done(self) -> bool:
        return self.stage is Stage.DONE


class RetroRecord(_Model):
    """A retro with everything in it: what its view, its CLI and its summary read."""

    retro: Retro
    notes: tuple[Note, ...] = ()
    themes: tuple[Theme, ...] = ()
    votes: tuple[Vote, ...] = ()
    actions: tuple[RetroAction, ...] = ()
    timer_log: tuple[TimerEntry, ...] = ()

    def timer(self, now: datetime) -> Timer | None:
        if not self.retro.open:
            return None
        return phase_timer(list(self.timer_log), self.retro.phase, now)

    def votes_used(self, voter: str) -> int:
        return sum(1 for v in self.votes if v.voter == voter)

    def votes_left(self, voter: str) -> int:
        return max(self.retro.vote_budget - self.votes_used(voter), 0)

    def note(self, note_id: int) -> Note | None:
        return next((n for n in self.notes if n.id == note_id), None)

    def theme(self, theme_id: int) -> Theme | None:
        return next((t for t in self.themes if t.id == theme_id), None)

    def _dots(self, viewer: str | None) -> tuple[Counter[int], Counter[int], Counter[int], Counter[int]]:
        notes: Counter[int] = Counter()
        themes: Counter[int] = Counter()
        my_notes: Counter[int] = Counter()
        my_themes: Counter[int] = Counter()
        for vote in self.votes:
            if vote.note_id is not None:
                notes[vote.note_id] += 1
                if vote.voter == viewer:
                    my_notes[vote.note_id] += 1
            elif vote.theme_id is not None:
                themes[vote.theme_id] += 1
                if vote.voter == viewer:
                    my_themes[vote.theme_id] += 1
        return notes, themes, my_notes, my_themes

    def view(self, viewer: str | None, mine: frozenset[int] = frozenset()) -> list[NoteView]:
        """Every note as ``viewer`` may see it, in writing order.

        ``mine`` adds the ids this console wrote (the only way to know one's own notes when the retro
        is anonymous). Votes are shown from the vote phase on, so nobody votes along with the crowd.
        """
        hidden = self.retro.notes_hidden()
        show_votes = self.retro.phase.order >= Phase.VOTE.order
        dots, _, my_dots, _ = self._dots(viewer)
        views = []
        for note in self.notes:
            own = note.id in mine or (note.author is not None and note.author == viewer)
            views.append(
                NoteView(
                    note=note,
                    hidden=hidden and not own,
                    mine=own,
                    votes=dots[note.id] if show_votes else 0,
                    my_votes=my_dots[note.id],
                )
            )
        return views

    def column(
        self, column: NoteColumn, viewer: str | None, mine: frozenset[int] = frozenset()
    ) -> list[NoteView]:
        return [v for v in self.view(viewer, mine) if v.note.column is column]

    def theme_views(self, viewer: str | None, mine: frozenset[int] = frozenset()) -> list[ThemeView]:
        """Themes with their notes, most votes first (ties: oldest theme first)."""
        notes = self.view(viewer, mine)
        _, dots, _, my_dots = self._dots(viewer)
        show_votes = self.retro.phase.order >= Phase.VOTE.order
        views = [
            ThemeView(
                theme=theme,
                notes=tuple(
                    sorted(
                        (n for n in notes if n.note.theme_id == theme.id),
                        key=lambda n: (-n.votes, n.note.id),
                    )
                ),
                votes=dots[theme.id] if show_votes else 0,
                my_votes=my_dots[theme.id],
            )
            for theme in self.themes
        ]
        return sorted(views, key=lambda t: (-t.total, t.theme.id))

    def ungrouped(self, viewer: str | None, mine: frozenset[int] = frozenset()) -> list[NoteView]:
        """Notes in no theme, most votes first."""
        loose = [n for n in self.view(viewer, mine) if n.note.theme_id is None]
        return sorted(loose, key=lambda n: (-n.votes, n.note.id))


def retro_label(retro_id: int) -> str:
    """The board label that links an action's card to its retro."""
    return f"retro-{retro_id}"


def action_card_description(retro: Retro, draft: ActionDraft) -> str:
    return (
        f"Action from retro #{retro.id} \u201c{retro.title}\u201d "
        f"({retro.period_from.isoformat()} to {retro.period_to.isoformat()}).\n"
        f"Owner: {draft.owner}. Follow up by {draft.due.isoformat()}."
    )
