"""How a card's flow timestamps follow the stage of the column it enters."""

from __future__ import annotations

from datetime import datetime

from socdesk.domain.models import Stage


def flow_stamps(
    stage: Stage, started_at: datetime | None, done_at: datetime | None, now: datetime
) -> tuple[datetime | None, datetime | None]:
    """Return ``(started_at, done_at)`` for a card entering a column of ``stage`` at ``now``.

    Work starts the first time a card reaches an active or done column and that moment is kept;
    it is done while it sits in a done column, and leaving one reopens it.
    """
    if stage is Stage.QUEUE:
        return started_at, None
    started = started_at or now
    if stage is Stage.ACTIVE:
        return started, None
    return started, done_at or now
