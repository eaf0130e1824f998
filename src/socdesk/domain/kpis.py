"""The development KPIs opened at the weekly handshake: WIP, throughput, cycle and lead time, ageing, mix.

Pure functions of the board (cards, columns) and a moment; the result is a frozen pydantic model so it
can be stored as JSON and rendered into the minutes later.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from statistics import median
from typing import Literal

from socdesk.domain.errors import InvalidInput
from socdesk.domain.models import Card, Column, Stage, UtcDatetime, WorkType, _Model

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


class ColumnLoad(_Model):
    column: str
    count: int
    limit: int | None
    state: Literal["ok", "at", "over", "none"]
    """``none`` when the column has no WIP limit."""


class AgeingCard(_Model):
    id: int
    title: str
    column: str
    type: WorkType
    days: float
    """Days since the card was started (since it entered its column when it never was)."""


class TypeCount(_Model):
    """One row of the work mix: cards of ``type`` created and done in the window."""

    type: WorkType
    created: int
    done: int
    share: float | None
    """Share of the cards done in the window (0..1); None when nothing was done."""


class Kpis(_Model):
    at: UtcDatetime
    window_days: int
    ageing_days: int
    wip: tuple[ColumnLoad, ...]
    throughput: int
    median_cycle_hours: float | None
    median_lead_hours: float | None
    ageing: tuple[AgeingCard, ...]
    mix: tuple[TypeCount, ...]
    unplanned_share: float | None


def _load(column: Column, count: int) -> ColumnLoad:
    limit = column.wip_limit
    state: Literal["ok", "at", "over", "none"]
    if limit is None:
        state = "none"
    elif count < limit:
        state = "ok"
    else:
        state = "at" if count == limit else "over"
    return ColumnLoad(column=column.name, count=count, limit=limit, state=state)


def median_hours(spans: list[timedelta]) -> float | None:
    return median(span / HOUR for span in spans) if spans else None


def ageing_cards(
    cards: Iterable[Card], stage: dict[str, Stage], now: datetime, ageing_days: int
) -> list[AgeingCard]:
    """Cards in an active column for more than ``ageing_days`` since they started, oldest first."""
    ageing = [
        AgeingCard(
            id=c.id,
            title=c.title,
            column=c.column,
            type=c.type,
            days=(now - (c.started_at or c.column_since)) / DAY,
        )
        for c in cards
        if stage.get(c.column) is Stage.ACTIVE
    ]
    return sorted((a for a in ageing if a.days > ageing_days), key=lambda a: (-a.days, a.id))


def compute_kpis(
    cards: Iterable[Card],
    columns: Sequence[Column],
    now: datetime,
    *,
    window_days: int = 7,
    ageing_days: int = 7,
) -> Kpis:
    """The board's KPIs at ``now`` over the window ``(now - window_days, now]``.

    A card is done in the window when it sits in a done-stage column and its ``done_at`` falls in the
    window. Cards in columns not among ``columns`` are not counted anywhere but the created mix.
    """
    if window_days < 1:
        raise InvalidInput(f"the KPI window is at least 1 day, got {window_days}")
    if ageing_days < 0:
        raise InvalidInput(f"the ageing threshold must not be negative, got {ageing_days} days")
    if now.tzinfo is None or now.utcoffset() is None:
        raise InvalidInput("the KPI moment must carry a time zone")
    cards = list(cards)
    board = sorted(columns, key=lambda c: c.position)
    stage = {c.name: c.stage for c in board}
    start = now - timedelta(days=window_days)

    def in_window(moment: datetime | None) -> bool:
        return moment is not None and start < moment <= now

    done = [c for c in cards if stage.get(c.column) is Stage.DONE and in_window(c.done_at)]
    cycle = [c.done_at - c.started_at for c in done if c.done_at and c.started_at]
    lead = [c.done_at - c.created_at for c in done if c.done_at]

    counts = Counter(c.column for c in cards)
    ageing = ageing_cards(cards, stage, now, ageing_days)

    created = Counter(c.type for c in cards if in_window(c.created_at))
    finished = Counter(c.type for c in done)
    throughput = len(done)
    mix = tuple(
        TypeCount(
            type=t, created=created[t], done=finished[t], share=finished[t] / throughput if done else None
        )
        for t in WorkType
    )
    return Kpis(
        at=now,
        window_days=window_days,
        ageing_days=ageing_days,
        wip=tuple(_load(c, counts[c.name]) for c in board),
        throughput=throughput,
        median_cycle_hours=median_hours(cycle),
        median_lead_hours=median_hours(lead),
        ageing=tuple(ageing),
        mix=mix,
        unplanned_share=finished[WorkType.UNPLANNED] / throughput if done else None,
    )


def span_text(hours: float | None) -> str:
    if hours is None:
        return "—"
    return f"{hours:.1f} h" if hours < 48 else f"{hours / 24:.1f} d"


def percent_text(share: float | None) -> str:
    return "—" if share is None else f"{share:.0%}"


def _cards(n: int) -> str:
    return f"{n} card" if n == 1 else f"{n} cards"


def kpi_lines(k: Kpis) -> list[str]:
    """The KPIs as lines a person reads aloud at the kick-off (columns without a limit are left out)."""
    limited = [w for w in k.wip if w.limit is not None]
    marks = {"at": " (at limit)", "over": " (over)"}
    wip = " · ".join(f"{w.column} {w.count}/{w.limit}{marks.get(w.state, '')}" for w in limited)
    ageing = ", ".join(f"#{a.id} {a.title} ({a.days:.1f} d)" for a in k.ageing)
    window = f"{k.window_days} d"
    if k.throughput:
        mix = " · ".join(f"{m.type.value} {m.done} ({percent_text(m.share)})" for m in k.mix)
    else:
        mix = "nothing done"
    return [
        f"WIP: {wip or 'no limits set'}",
        f"Throughput ({window}): {_cards(k.throughput)}",
        f"Median cycle time: {span_text(k.median_cycle_hours)}",
        f"Median lead time: {span_text(k.median_lead_hours)}",
        f"Ageing (> {k.ageing_days} d): " + (f"{_cards(len(k.ageing))}: {ageing}" if k.ageing else "none"),
        f"Work mix (done, {window}): {mix}",
        f"Work created ({window}): " + " · ".join(f"{m.type.value} {m.created}" for m in k.mix),
        f"Unplanned share: {percent_text(k.unplanned_share)}",
    ]
