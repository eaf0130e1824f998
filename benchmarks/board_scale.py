"""How fast is the board with 5,000 cards (and with the sample team)?

Targets (from the board issue):
* time to first interactive frame <= 1.5 s with 5,000 cards, < 0.6 s with the sample data;
* key -> card moved and repainted <= 50 ms median;
* a remote change (another connection commits) applied and painted <= 50 ms median;
* peak RSS <= 150 MB.

Each measurement runs in a fresh child process (``--child``), so start-up includes Python, the imports,
opening the store, reading the board and composing the first screen, as a person starting ``socdesk``
would pay it. The app runs headless (``App.run_test``): "first interactive frame" is the moment the
board screen has mounted, painted and is ready for keys. "Repainted" is measured with
``call_after_refresh``, which runs once the compositor has drawn the change.

    python benchmarks/board_scale.py [--cards 5000] [--runs 5] [--moves 60] [--remote 60] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

CHILD_ENV = "SOCDESK_BENCH_T0"
SIZE = (120, 40)  # the terminal size of the board snapshots; a typical pane
COLUMNS = ("Backlog", "To Do", "In Progress", "Review", "Done")
SHARE = (0.6, 0.1, 0.05, 0.05, 0.2)
TYPES = ("business", "operations", "engineering", "unplanned")
PRIORITIES = ("critical", "high", "medium", "low")


# ---------------------------------------------------------------------------- data


def make_board(path: Path, cards: int) -> None:
    """A board of ``cards`` cards spread over the default columns, written by one import."""
    from socdesk.domain.models import DEFAULT_COLUMNS, Card, Person
    from socdesk.domain.snapshot import Snapshot
    from socdesk.store import open_store

    rng = random.Random(7)
    now = datetime.now(UTC)
    people = tuple(Person(handle=f"p{i}", name=f"Person {i}") for i in range(20))
    columns = tuple(c.model_copy(update={"wip_limit": None}) for c in DEFAULT_COLUMNS)
    made: list[Card] = []
    positions = dict.fromkeys(COLUMNS, 0)
    for n in range(1, cards + 1):
        column = rng.choices(COLUMNS, SHARE)[0]
        created = now - timedelta(hours=rng.uniform(1, 24 * 90))
        made.append(
            Card(
                id=n,
                title=f"Card {n}: alert cluster {rng.randrange(10_000)} on host-{rng.randrange(500)}",
                type=rng.choice(TYPES),
                priority=rng.choice(PRIORITIES),
                column=column,
                position=positions[column],
                assignee=rng.choice([None, *(p.handle for p in people)]),
                security=rng.random() < 0.1,
                created_at=created,
                updated_at=created,
                column_since=created + (now - created) * rng.random(),
            )
        )
        positions[column] += 1
    store = open_store(path, actor="bench", create=True)
    try:
        store.import_snapshot(Snapshot(exported_at=now, people=people, columns=columns, cards=tuple(made)))
    finally:
        store.close()


def make_sample(path: Path) -> None:
    from socdesk.sample import load_sample
    from socdesk.store import open_store

    store = open_store(path, actor="bench", create=True)
    try:
        load_sample(store)
    finally:
        store.close()


# ---------------------------------------------------------------------------- child: one measured console


async def _child(db: Path, moves: int, remote: int) -> dict[str, Any]:
    from textual import events

    from socdesk.store import open_store
    from socdesk.ui.app import make_app
    from socdesk.ui.screens.board import BoardScreen
    from socdesk.ui.widgets.board_column import ColumnView

    t0 = float(os.environ[CHILD_ENV])
    store = open_store(db, actor="bench")
    app = make_app(store, live=remote > 0)
    result: dict[str, Any] = {}
    async with app.run_test(size=SIZE) as pilot:
        painted = asyncio.Event()
        app.screen.call_after_refresh(painted.set)
        await painted.wait()
        result["first_frame_s"] = time.time() - t0
        screen = app.screen
        assert isinstance(screen, BoardScreen)

        async def repainted() -> None:
            done = asyncio.Event()
            screen.call_after_refresh(done.set)
            await done.wait()

        # key -> moved and repainted, alternating right and left so the board stays the same shape
        key_ms: list[float] = []
        screen.activate("Backlog")
        await pilot.pause()
        for n in range(moves):
            key = "shift+right" if n % 2 == 0 else "shift+left"
            card = screen.focused_card
            assert card is not None
            start = time.perf_counter()
            # As the terminal driver does: a Key event to the app. (Pilot.press would add its own
            # idle-waiting to the figure.)
            app.post_message(events.Key(key, None))
            while (moved := screen.focused_card) is None or moved.column == card.column:
                await asyncio.sleep(0)
            await repainted()
            key_ms.append((time.perf_counter() - start) * 1000)
            if moved.id != card.id:
                raise RuntimeError(f"move {n} moved the wrong card ({card.id} -> {moved.id})")
            await pilot.pause()
        result["key_move_ms"] = key_ms

        # a change committed by another connection (as another process would) -> applied and painted
        if remote:
            other = open_store(db, actor="peer")
            remote_ms: list[float] = []
            original = screen.on_store_events
            arrived: asyncio.Queue[float] = asyncio.Queue()

            def timed(events: list[Any]) -> None:
                original(events)
                screen.call_after_refresh(lambda: arrived.put_nowait(time.perf_counter()))

            screen.on_store_events = timed  # type: ignore[method-assign]
            screen.socdesk.store_changed.unsubscribe(screen)
            screen.socdesk.store_changed.subscribe(screen, timed)
            todo = [c for c in store.list_cards(column="To Do")][:remote]
            view: ColumnView = screen._views["Review"]
            for card in todo:
                start = time.perf_counter()
                other.move_card(card.id, "Review")
                painted_at = await asyncio.wait_for(arrived.get(), 10)
                while card.id not in {c.id for c in view.cards}:  # a batch may hold an earlier commit
                    painted_at = await asyncio.wait_for(arrived.get(), 10)
                remote_ms.append((painted_at - start) * 1000)
                await asyncio.sleep(0.03)  # let the feed settle so each commit is its own batch
            other.close()
            result["remote_ms"] = remote_ms
        await pilot.press("q")
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    store.close()
    return result


def run_child(db: Path, moves: int, remote: int) -> dict[str, Any]:
    env = {**os.environ, CHILD_ENV: repr(time.time())}
    done = subprocess.run(
        [sys.executable, __file__, "--child", str(db), "--moves", str(moves), "--remote", str(remote)],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    if done.returncode != 0:
        raise RuntimeError(f"child failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------------------- report


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def summary(values: list[float]) -> str:
    return f"median {statistics.median(values):7.1f}  p95 {pct(values, 0.95):7.1f}  max {max(values):7.1f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cards", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=5, help="fresh console start-ups per data set")
    parser.add_argument("--moves", type=int, default=60)
    parser.add_argument("--remote", type=int, default=60)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(asyncio.run(_child(args.child, args.moves, args.remote))))
        return 0

    report: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="socdesk-board-scale-") as tmp:
        big, sample = Path(tmp) / "big.db", Path(tmp) / "sample.db"
        make_board(big, args.cards)
        make_sample(sample)
        big_runs = [
            run_child(big, args.moves if i == 0 else 0, args.remote if i == 0 else 0)
            for i in range(args.runs)
        ]
        sample_runs = [run_child(sample, 0, 0) for _ in range(args.runs)]
    report["cards"] = args.cards
    report["first_frame_s_big"] = [r["first_frame_s"] for r in big_runs]
    report["first_frame_s_sample"] = [r["first_frame_s"] for r in sample_runs]
    report["key_move_ms"] = big_runs[0]["key_move_ms"]
    report["remote_ms"] = big_runs[0].get("remote_ms", [])
    report["peak_rss_mb_big"] = max(r["peak_rss_mb"] for r in big_runs)
    report["peak_rss_mb_sample"] = max(r["peak_rss_mb"] for r in sample_runs)
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    print(f"socdesk board scale: {args.cards} cards, {args.runs} start-ups each, {os.cpu_count()} CPUs")
    big_first = [v * 1000 for v in report["first_frame_s_big"]]
    sample_first = [v * 1000 for v in report["first_frame_s_sample"]]
    rows = [
        (f"first frame, {args.cards} cards (ms)", big_first, 1500),
        ("first frame, sample data (ms)", sample_first, 600),
        ("key -> moved + repainted (ms)", report["key_move_ms"], 50),
        ("remote commit -> painted (ms)", report["remote_ms"], 50),
    ]
    for label, values, target in rows:
        if values:
            verdict = "ok" if statistics.median(values) <= target else "OVER TARGET"
            print(f"{label:34} {summary(values)}   target median <= {target}: {verdict}")
    print(
        f"{'peak RSS (MB)':34} {args.cards} cards {report['peak_rss_mb_big']:.0f}, "
        f"sample {report['peak_rss_mb_sample']:.0f}   target <= 150"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
