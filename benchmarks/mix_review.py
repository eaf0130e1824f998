"""How long does a period's work-mix review take on a big board, and what does a retro cost to redraw?

The Mix view, a retro's objectives phase and `socdesk report mix` all compute ``review_mix``: read
every card and where each card sat over time (the card events), then fold them. Measured on 5,000
cards with 100,000 card events over a year (about 20 per card), for periods of 28 and 91 days:

- ``card_placements``: reading where cards sat from the event log (all of it, and what one period's
  chart needs: each card's last place before the period and its moves in it);
- ``review_mix``: the whole review as the views run it (reads + fold);
- ``compute_mix``: the fold alone, on data already read;
- a retro of 200 notes, 20 themes and 150 votes: ``get_retro`` + ``theme_views`` (what a redraw pays).

    python benchmarks/mix_review.py [--cards 5000] [--events 100000] [--runs 15]
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from socdesk.domain.clock import FixedClock
from socdesk.domain.mix import compute_mix, period_bounds
from socdesk.domain.models import DEFAULT_COLUMNS, Card, Event, Person, Stage, WorkType
from socdesk.domain.retro import NoteColumn, Phase, RetroDraft
from socdesk.domain.snapshot import Snapshot
from socdesk.mix_review import review_mix
from socdesk.store import Store, open_store

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
TYPES = list(WorkType)
FLOW = [c.name for c in DEFAULT_COLUMNS]


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def make_board(path: Path, cards: int, events: int) -> None:
    """Cards that walked the flow over the last year, each move an event, written by one import."""
    rng = random.Random(11)
    per_card = max(1, events // cards)
    made: list[Card] = []
    log: list[Event] = []
    positions = dict.fromkeys(FLOW, 0)
    for n in range(1, cards + 1):
        created = NOW - timedelta(days=rng.uniform(1, 365))
        at = created
        column = FLOW[0]
        log.append(
            Event(
                id=len(log) + 1,
                at=at,
                actor="bench",
                action="card.add",
                entity="card",
                entity_id=str(n),
                after={"column": column},
            )
        )
        started = done = None
        for _ in range(per_card - 1):
            at = min(at + timedelta(hours=rng.uniform(1, 48)), NOW)
            # mostly forward, sometimes back a column (rework)
            index = FLOW.index(column)
            step = 1 if rng.random() < 0.8 or index == 0 else -1
            column = FLOW[min(max(index + step, 0), len(FLOW) - 1)]
            stage = DEFAULT_COLUMNS[FLOW.index(column)].stage
            if stage is not Stage.QUEUE and started is None:
                started = at
            done = at if stage is Stage.DONE else None
            log.append(
                Event(
                    id=len(log) + 1,
                    at=at,
                    actor="bench",
                    action="card.move",
                    entity="card",
                    entity_id=str(n),
                    after={"column": column},
                )
            )
        made.append(
            Card(
                id=n,
                title=f"Card {n}",
                type=rng.choice(TYPES),
                column=column,
                position=positions[column],
                created_at=created,
                updated_at=at,
                column_since=at,
                started_at=started,
                done_at=done,
            )
        )
        positions[column] += 1
    log.sort(key=lambda e: e.at)
    log = [e.model_copy(update={"id": i}) for i, e in enumerate(log, start=1)]
    columns = tuple(c.model_copy(update={"wip_limit": None}) for c in DEFAULT_COLUMNS)
    store = open_store(path, actor="bench", create=True, clock=FixedClock(NOW))
    try:
        store.import_snapshot(
            Snapshot(
                exported_at=NOW,
                people=(Person(handle="bench", name="Bench"),),
                columns=columns,
                cards=tuple(made),
                events=tuple(log),
            )
        )
    finally:
        store.close()


def timed(fn: Callable[[], object], runs: int) -> list[float]:
    fn()  # warm the page cache and imports
    found = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        found.append((time.perf_counter() - t0) * 1000)
    return found


def line(name: str, ms: list[float]) -> str:
    figures = f"median {statistics.median(ms):8.1f} ms   p95 {pct(ms, 0.95):8.1f} ms"
    return f"{name:<44} {figures}   max {max(ms):8.1f} ms"


def retro_redraw(path: Path, runs: int) -> list[float]:
    clock = FixedClock(NOW)
    store = open_store(path, actor="p0", clock=clock)
    rng = random.Random(5)
    store.start_retro(
        RetroDraft(title="Bench", period_from=date(2026, 10, 26), period_to=date(2026, 11, 22), vote_budget=5)
    )
    store.set_retro_phase(Phase.WRITE)
    notes = [store.add_note(rng.choice(list(NoteColumn)), f"note {i}").id for i in range(200)]
    store.set_retro_phase(Phase.GROUP)
    for t in range(20):
        store.add_theme(f"theme {t}", notes[t * 10 : t * 10 + 5])
    store.set_retro_phase(Phase.VOTE)
    for voter in range(30):
        store.actor = f"p{voter}"
        for _ in range(5):
            store.vote(note_id=rng.choice(notes))
    store.actor = "p0"
    store.set_retro_phase(Phase.DISCUSS)

    def redraw() -> None:
        record = store.get_retro()
        record.theme_views("p0")
        record.ungrouped("p0")

    try:
        return timed(redraw, runs)
    finally:
        store.close()


def measure_period(store: Store, days: int, runs: int) -> None:
    start, end = date(2026, 11, 23) - timedelta(days=days - 1), date(2026, 11, 23)
    print(line(f"review_mix, {days} days (reads + fold)", timed(lambda: review_mix(store, start, end), runs)))
    zone = ZoneInfo("Europe/London")
    lo, hi = period_bounds(start, end, zone)

    def placements_read() -> object:
        return store.card_placements(since=lo, until=min(hi, NOW))

    print(line(f"card_placements, {days} days", timed(placements_read, runs)))
    cards, placements, columns = store.list_cards(), store.card_placements(since=lo), store.list_columns()

    def fold() -> object:
        return compute_mix(cards, placements, columns, start, end, tz=zone, now=NOW)

    print(line(f"compute_mix, {days} days (fold only)", timed(fold, runs)))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cards", type=int, default=5000)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "mix.db"
        t0 = time.perf_counter()
        make_board(path, args.cards, args.events)
        print(
            f"board: {args.cards} cards, {args.events} card events "
            f"(built in {time.perf_counter() - t0:.1f} s)"
        )
        store = open_store(path, actor="bench", clock=FixedClock(NOW))
        print(line("card_placements, all history", timed(store.card_placements, args.runs)))
        for days in (28, 91):
            measure_period(store, days, args.runs)
        store.close()
        print(line("retro redraw: 200 notes, 20 themes, 150 votes", retro_redraw(path, args.runs)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
