"""Shared meeting timers as a fold over timestamped actions. Standard library only.

A meeting's clock is never stored as a ticking value. The database holds what people did and when
(start, next, previous, pause, resume, extend, item, end); every console folds those actions at its
own ``now`` and so shows the same remaining time as every other console on the host. The same engine
runs the handshake's sections and topics and a retro's phases.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum

ZERO = timedelta(0)
EXTEND_MAX_MINUTES = 30


class TimerError(ValueError):
    """An action that does not fit the timer's state (pause while paused, next after the last section)."""


class Act(StrEnum):
    START = "start"
    NEXT = "next"
    PREV = "prev"
    PAUSE = "pause"
    RESUME = "resume"
    EXTEND = "extend"
    ITEM = "item"  # start timing one item (a topic) of the current section
    END = "end"


@dataclass(frozen=True)
class Action:
    at: datetime
    act: Act
    minutes: int = 0  # EXTEND: how many minutes the current section gains
    item: int | None = None  # ITEM: which item


@dataclass(frozen=True)
class SectionTime:
    planned: timedelta
    extended: timedelta = ZERO
    used: timedelta = ZERO
    visited: bool = False

    @property
    def allowance(self) -> timedelta:
        return self.planned + self.extended

    @property
    def remaining(self) -> timedelta:
        """Negative once the section runs over."""
        return self.allowance - self.used

    @property
    def overrun(self) -> timedelta:
        return max(self.used - self.allowance, ZERO)


@dataclass(frozen=True)
class Timer:
    """The clock at one moment: which section runs, how much time each has used, and what is projected."""

    now: datetime
    sections: tuple[SectionTime, ...]
    started_at: datetime | None = None
    ended_at: datetime | None = None
    current: int | None = None
    paused_since: datetime | None = None
    item: int | None = None
    item_allowance: timedelta = ZERO
    items: dict[int, timedelta] = field(default_factory=dict)
    deadline: datetime | None = None

    @property
    def running(self) -> bool:
        return self.started_at is not None and self.ended_at is None

    @property
    def paused(self) -> bool:
        return self.paused_since is not None

    @property
    def section(self) -> SectionTime | None:
        return None if self.current is None else self.sections[self.current]

    @property
    def remaining(self) -> timedelta:
        section = self.section
        return ZERO if section is None else section.remaining

    @property
    def overrun(self) -> timedelta:
        section = self.section
        return ZERO if section is None else section.overrun

    @property
    def item_used(self) -> timedelta:
        return ZERO if self.item is None else self.items.get(self.item, ZERO)

    @property
    def item_remaining(self) -> timedelta:
        return self.item_allowance - self.item_used

    def fraction(self) -> float:
        """How much of the current section's allowance is used (1.0 = its time is up)."""
        section = self.section
        if section is None or section.allowance <= ZERO:
            return 0.0
        return section.used / section.allowance

    @property
    def projected_end(self) -> datetime | None:
        """When the meeting ends if each later section takes its planned time (and this one its own)."""
        if self.ended_at is not None:
            return self.ended_at
        if self.current is None:
            return None
        left = max(self.remaining, ZERO)
        left += sum((max(s.remaining, ZERO) for s in self.sections[self.current + 1 :]), ZERO)
        return self.now + left

    @property
    def late_by(self) -> timedelta:
        """How far past the deadline the projection is (zero when it fits)."""
        end = self.projected_end
        if end is None or self.deadline is None:
            return ZERO
        return max(end - self.deadline, ZERO)

    def losing(self) -> list[tuple[int, timedelta]]:
        """The later sections that must give up time to end by the deadline, nearest first."""
        deficit = self.late_by
        if deficit <= ZERO or self.current is None or self.ended_at is not None:
            return []
        lost: list[tuple[int, timedelta]] = []
        for index in range(self.current + 1, len(self.sections)):
            available = max(self.sections[index].remaining, ZERO)
            take = min(available, deficit)
            if take > ZERO:
                lost.append((index, take))
                deficit -= take
            if deficit <= ZERO:
                break
        return lost


def fold(
    planned: Sequence[timedelta],
    actions: Iterable[Action],
    now: datetime,
    *,
    item_allowance: timedelta = ZERO,
    scheduled_at: datetime | None = None,
) -> Timer:
    """The timer at ``now`` after ``actions`` (oldest first); ``TimerError`` for an impossible one."""
    if not planned:
        raise TimerError("a timer needs at least one section")
    timer = Timer(
        now=now, sections=tuple(SectionTime(planned=p) for p in planned), item_allowance=item_allowance
    )
    for action in actions:
        timer = _accrue(timer, action.at)
        timer = _apply(timer, action)
    timer = _accrue(timer, now)
    if timer.started_at is not None:
        deadline_from = scheduled_at if scheduled_at is not None else timer.started_at
        timer = replace(timer, deadline=deadline_from + sum(planned, ZERO))
    return replace(timer, now=now)


def check(
    planned: Sequence[timedelta], actions: Sequence[Action], new: Action, *, item_allowance: timedelta = ZERO
) -> Timer:
    """Whether ``new`` may follow ``actions``: the timer after it, or ``TimerError`` saying why not."""
    if actions and new.at < actions[-1].at:
        raise TimerError("an action cannot be older than the last one")
    return fold(planned, [*actions, new], new.at, item_allowance=item_allowance)


def _accrue(timer: Timer, until: datetime) -> Timer:
    """Count the time from the last moment seen up to ``until`` for the running section and item."""
    step = until - timer.now
    timer = replace(timer, now=until)
    if step <= ZERO or not timer.running or timer.paused or timer.current is None:
        return timer
    sections = list(timer.sections)
    section = sections[timer.current]
    sections[timer.current] = replace(section, used=section.used + step)
    items = timer.items
    if timer.item is not None:
        items = {**items, timer.item: items.get(timer.item, ZERO) + step}
    return replace(timer, sections=tuple(sections), items=items)


def _visit(timer: Timer, index: int) -> Timer:
    sections = list(timer.sections)
    sections[index] = replace(sections[index], visited=True)
    return replace(timer, sections=tuple(sections), current=index, item=None)


def _apply(timer: Timer, action: Action) -> Timer:
    act = action.act
    if act is Act.START:
        if timer.started_at is not None:
            raise TimerError("the meeting has already started")
        return _visit(replace(timer, started_at=action.at), 0)
    if not timer.running:
        raise TimerError("the meeting has ended" if timer.ended_at else "the meeting has not started")
    assert timer.current is not None
    if act is Act.NEXT:
        if timer.current + 1 >= len(timer.sections):
            raise TimerError("this is the last section: end the meeting instead")
        return _visit(timer, timer.current + 1)
    if act is Act.PREV:
        if timer.current == 0:
            raise TimerError("this is the first section")
        return _visit(timer, timer.current - 1)
    if act is Act.PAUSE:
        if timer.paused:
            raise TimerError("the timer is already paused")
        return replace(timer, paused_since=action.at)
    if act is Act.RESUME:
        if not timer.paused:
            raise TimerError("the timer is not paused")
        return replace(timer, paused_since=None)
    if act is Act.EXTEND:
        if not 1 <= action.minutes <= EXTEND_MAX_MINUTES:
            raise TimerError(f"extend by 1 to {EXTEND_MAX_MINUTES} minutes, not {action.minutes}")
        sections = list(timer.sections)
        section = sections[timer.current]
        sections[timer.current] = replace(
            section, extended=section.extended + timedelta(minutes=action.minutes)
        )
        return replace(timer, sections=tuple(sections))
    if act is Act.ITEM:
        if action.item is None:
            raise TimerError("which item?")
        return replace(timer, item=action.item)
    if act is Act.END:
        return replace(timer, ended_at=action.at, paused_since=None)
    raise TimerError(f"unknown timer action {act!r}")


def clock_text(delta: timedelta) -> str:
    """``mm:ss`` for what is left, ``+mm:ss`` for an overrun (hours fold into minutes: ``75:00``)."""
    seconds = int(delta.total_seconds())
    sign = "+" if seconds < 0 else ""
    seconds = abs(seconds)
    return f"{sign}{seconds // 60:02d}:{seconds % 60:02d}"
