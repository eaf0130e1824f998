"""The work-mix review of a period, read from a store: what the CLI, the Mix view and a retro share."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from socdesk.domain.mix import MixReport, compute_mix, period_bounds
from socdesk.store import Store

DEFAULT_DAYS = 28


def team_zone(store: Store) -> ZoneInfo:
    """The team's time zone (the handshake agenda's): a period's days are its days."""
    return ZoneInfo(store.get_agenda().tz)


def default_period(today: date, days: int = DEFAULT_DAYS) -> tuple[date, date]:
    """The ``days`` days ending today."""
    return today - timedelta(days=days - 1), today


def review_mix(store: Store, start: date, end: date, *, now: datetime | None = None) -> MixReport:
    moment = now or store.clock.now()
    agenda = store.get_agenda()
    lo, hi = period_bounds(start, end, ZoneInfo(agenda.tz))
    return compute_mix(
        store.list_cards(),
        store.card_placements(since=lo, until=hi),
        store.list_columns(),
        start,
        end,
        tz=ZoneInfo(agenda.tz),
        now=moment,
        ageing_days=agenda.ageing_days,
    )
