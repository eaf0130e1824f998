"""The rotation most duty tests use: weekly, Monday 09:00 Europe/London, from Monday 2026-03-02."""

from __future__ import annotations

from datetime import date, time

from socdesk.domain.duty import Role, Rotation


def weekly(role: Role | str, *members: str, start: date = date(2026, 3, 2)) -> Rotation:
    return Rotation(
        role=role,
        members=members,
        shift_hours=7 * 24,
        handover_weekday=0,
        handover_time=time(9, 0),
        tz="Europe/London",
        start_date=start,
    )
