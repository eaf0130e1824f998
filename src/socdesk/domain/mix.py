"""The work-mix and flow review for a period: what kind of work came in and got done, and how it flowed.

Pure functions of the cards, where each card sat over time (``Placement``s, from the event log), the
columns and a moment. A period is whole days ``[from, to]`` in the team's time zone. A card counts as
done in the period when it sits in a done column now and was finished in the period (a card reopened
since is not counted, as in the handshake KPIs). Shares of work are shares of the cards done.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from socdesk.domain.errors import InvalidInput
from socdesk.domain.kpis import AgeingCard, ageing_cards, median_hours
from socdesk.domain.models import Card, Column, Stage, UtcDatetime, WorkType, _Model

PERIOD_MAX_DAYS = 366


@dataclass(frozen=True, slots=True)
class Placement:
    """Card ``card_id`` entered ``column`` at ``at`` (``column`` None: the card was deleted)."""

    card_id: int
    at: datetime
    column: str | None


class TypeFlow(_Model):
    """One row of the mix table."""

    type: WorkType
    created: int
    done: int
    created_share: float | None
    """Share of the cards created in the period (0..1); None when none were."""
    done_share: float | None
    """Share of the cards done in the period; None when none were."""
    median_cycle_hours: float | None
    """Started → done, for this type's cards done in the period."""
    median_lead_hours: float | None
    """Created → done."""


class WeekMix(_Model):
    """One week of the period (clipped to it): cards created and done per type."""

    start: date
    end: date
    created: dict[WorkType, int]
    done: dict[WorkType, int]

    @property
    def throughput(self) -> int:
        return sum(self.done.values())

    @property
    def unplanned_share(self) -> float | None:
        return self.done[WorkType.UNPLANNED] / self.throughput if self.throughput else None


class UnplannedCard(_Model):
    id: int
    title: str
    column: str
    created_at: UtcDatetime
    done_at: UtcDatetime | None


class FlowDay(_Model):
    """How many cards sat in each column (``MixReport.columns`` order) at the end of ``day``."""

    day: date
    counts: tuple[int, ...]


class MixReport(_Model):
    period_from: date
    period_to: date
    tz: str
    at: UtcDatetime
    previous_from: date
    previous_to: date
    types: tuple[TypeFlow, ...]
    created: int
    done: int
    unplanned_share: float | None
    previous_unplanned_share: float | None
    weeks: tuple[WeekMix, ...]
    unplanned: tuple[UnplannedCard, ...]
    median_cycle_hours: float | None
    median_lead_hours: float | None
    ageing_days: int
    ageing: tuple[AgeingCard, ...]
    columns: tuple[str, ...]
    flow: tuple[FlowDay, ...]

    @property
    def days(self) -> int:
        return (self.period_to - self.period_from).days + 1

    @property
    def unplanned_change(self) -> float | None:
        """Change of the unplanned share against the previous period, in percentage points."""
        if self.unplanned_share is None or self.previous_unplanned_share is None:
            return None
        return (self.unplanned_share - self.previous_unplanned_share) * 100

    @property
    def elapsed_days(self) -> int:
        """Days of the period up to today (all of them once it is over; at least one)."""
        today = self.at.astimezone(ZoneInfo(self.tz)).date()
        return min(max((min(self.period_to, today) - self.period_from).days + 1, 1), self.days)

    @property
    def throughput_per_week(self) -> float:
        """Cards done per week of the period so far."""
        return self.done / (self.elapsed_days / 7)

    def type(self, work_type: WorkType) -> TypeFlow:
        return next(t for t in self.types if t.type is work_type)


def period_bounds(start: date, end: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """The period's first and first-after moments: ``[start 00:00, end+1 00:00)`` local time."""
    if end < start:
        raise InvalidInput(f"the period ends ({end}) before it starts ({start})")
    if (end - start).days + 1 > PERIOD_MAX_DAYS:
        raise InvalidInput(f"a period covers at most {PERIOD_MAX_DAYS} days")
    return (
        datetime.combine(start, time(0), tzinfo=tz),
        datetime.combine(end + timedelta(days=1), time(0), tzinfo=tz),
    )


def previous_period(start: date, end: date) -> tuple[date, date]:
    """The period of the same length just before."""
    length = (end - start).days + 1
    return start - timedelta(days=length), start - timedelta(days=1)


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _done_in(cards: Sequence[Card], stage: dict[str, Stage], lo: datetime, hi: datetime) -> list[Card]:
    return [
        c
        for c in cards
        if stage.get(c.column) is Stage.DONE and c.done_at is not None and lo <= c.done_at < hi
    ]


def _weeks(start: date, end: date) -> list[tuple[date, date]]:
    """Monday-based weeks covering the period, the first and last clipped to it."""
    weeks = []
    day = start
    while day <= end:
        week_end = min(day + timedelta(days=6 - day.weekday()), end)
        weeks.append((day, week_end))
        day = week_end + timedelta(days=1)
    return weeks


def cumulative_flow(
    cards: Sequence[Card],
    placements: Iterable[Placement],
    columns: Sequence[Column],
    days: Sequence[date],
    tz: ZoneInfo,
    now: datetime,
) -> list[FlowDay]:
    """Cards per column at the end of each day (at ``now`` for today), from where cards sat over time.

    A card without recorded placements (imported from an older export) counts in its current column
    from its creation.
    """
    names = [c.name for c in sorted(columns, key=lambda c: c.position)]
    moves = list(placements)
    known = {p.card_id for p in moves}
    moves += [Placement(c.id, c.created_at, c.column) for c in cards if c.id not in known]
    moves.sort(key=lambda p: p.at)  # stable: moves at the same moment keep their logged order
    where: dict[int, str | None] = {}
    counts: Counter[str] = Counter()
    flow = []
    i = 0
    for day in days:
        day_end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz)
        while i < len(moves) and moves[i].at < day_end and moves[i].at <= now:
            move = moves[i]
            old = where.get(move.card_id)
            if old is not None:
                counts[old] -= 1
            where[move.card_id] = move.column
            if move.column is not None:
                counts[move.column] += 1
            i += 1
        flow.append(FlowDay(day=day, counts=tuple(counts[n] for n in names)))
    return flow


def compute_mix(
    cards: Iterable[Card],
    placements: Iterable[Placement],
    columns: Sequence[Column],
    start: date,
    end: date,
    *,
    tz: ZoneInfo,
    now: datetime,
    ageing_days: int = 7,
) -> MixReport:
    """The mix and flow review of ``[start, end]`` (local days in ``tz``), as the board stands at ``now``."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise InvalidInput("the review moment must carry a time zone")
    if ageing_days < 0:
        raise InvalidInput(f"the ageing threshold must not be negative, got {ageing_days} days")
    cards = list(cards)
    lo, hi = period_bounds(start, end, tz)
    prev_start, prev_end = previous_period(start, end)
    prev_lo, prev_hi = period_bounds(prev_start, prev_end, tz)
    stage = {c.name: c.stage for c in columns}

    created = [c for c in cards if lo <= c.created_at < hi]
    done = _done_in(cards, stage, lo, hi)
    previous_done = _done_in(cards, stage, prev_lo, prev_hi)
    created_by = Counter(c.type for c in created)
    done_by = Counter(c.type for c in done)

    def cycle(of: list[Card]) -> list[timedelta]:
        return [c.done_at - c.started_at for c in of if c.done_at and c.started_at]

    def lead(of: list[Card]) -> list[timedelta]:
        return [c.done_at - c.created_at for c in of if c.done_at]

    types = []
    for work_type in WorkType:
        mine = [c for c in done if c.type is work_type]
        types.append(
            TypeFlow(
                type=work_type,
                created=created_by[work_type],
                done=done_by[work_type],
                created_share=_share(created_by[work_type], len(created)),
                done_share=_share(done_by[work_type], len(done)),
                median_cycle_hours=median_hours(cycle(mine)),
                median_lead_hours=median_hours(lead(mine)),
            )
        )

    weeks = []
    for week_start, week_end in _weeks(start, end):
        w_lo, w_hi = period_bounds(week_start, week_end, tz)
        made = Counter(c.type for c in created if w_lo <= c.created_at < w_hi)
        finished = Counter(c.type for c in done if c.done_at is not None and w_lo <= c.done_at < w_hi)
        weeks.append(
            WeekMix(
                start=week_start,
                end=week_end,
                created={t: made[t] for t in WorkType},
                done={t: finished[t] for t in WorkType},
            )
        )

    # Unplanned work that came in or was finished in the period: the candidates to plan next time.
    unplanned = sorted(
        {c.id: c for c in [*created, *done] if c.type is WorkType.UNPLANNED}.values(),
        key=lambda c: (c.created_at, c.id),
    )
    today = now.astimezone(tz).date()
    last_day = min(end, today)
    days = [start + timedelta(days=n) for n in range((last_day - start).days + 1)]
    ordered = sorted(columns, key=lambda c: c.position)
    return MixReport(
        period_from=start,
        period_to=end,
        tz=tz.key,
        at=now,
        previous_from=prev_start,
        previous_to=prev_end,
        types=tuple(types),
        created=len(created),
        done=len(done),
        unplanned_share=_share(done_by[WorkType.UNPLANNED], len(done)),
        previous_unplanned_share=_share(
            sum(1 for c in previous_done if c.type is WorkType.UNPLANNED), len(previous_done)
        ),
        weeks=tuple(weeks),
        unplanned=tuple(
            UnplannedCard(id=c.id, title=c.title, column=c.column, created_at=c.created_at, done_at=c.done_at)
            for c in unplanned
        ),
        median_cycle_hours=median_hours(cycle(done)),
        median_lead_hours=median_hours(lead(done)),
        ageing_days=ageing_days,
        ageing=tuple(ageing_cards(cards, stage, now, ageing_days)),
        columns=tuple(c.name for c in ordered),
        flow=tuple(cumulative_flow(cards, placements, ordered, days, tz, now)),
    )
