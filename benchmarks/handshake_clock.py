"""Do all consoles show the same handshake clock? How far apart can they be, and what does a fold cost?

Target (from the issue): every client shows the same remaining time within 1 s.

A facilitator process drives a running meeting (pause/resume/next/extend, ``--actions`` of them,
``--interval-ms`` apart) while ``--followers`` processes follow the change feed exactly as the
console does: on each batch they re-read the meeting and fold its clock. Each follower reports how
long after the facilitator's action returned it had folded the new state (CLOCK_MONOTONIC, one
clock for the whole machine). A console also redraws the clock every 0.5 s between changes, so the
worst gap between two screens is the feed latency plus that tick; both are printed.

Also measured: the cost of one fold (``MeetingRecord.timer``) over a full meeting's log, which the
console pays twice a second, and of re-reading the meeting (``store.current_meeting``).

    python benchmarks/handshake_clock.py [--followers 3] [--actions 100] [--interval-ms 30]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from socdesk.domain.timer import Act
from socdesk.store import open_store

TICK_SECONDS = 0.5  # the view's redraw interval (socdesk.ui.screens.handshake.TICK_SECONDS)
TARGET_SKEW_SECONDS = 1.0


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def follower(db: Path, expected: int, ready: mp.Event, results: mp.Queue) -> None:
    store = open_store(db, actor="follower")
    feed = store.feed()
    seen: dict[int, int] = {}  # meeting-log length -> monotonic ns when folded
    ready.set()
    deadline = time.monotonic() + 60
    for _batch in feed.watch():
        record = store.current_meeting()
        if record is not None:
            record.timer(datetime.now(UTC))
            seen.setdefault(len(record.log), time.monotonic_ns())
        if (seen and max(seen) >= expected) or time.monotonic() > deadline:
            break
    feed.close()
    results.put(seen)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--followers", type=int, default=3)
    parser.add_argument("--actions", type=int, default=100)
    parser.add_argument("--interval-ms", type=float, default=30.0)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "handshake.db"
        lead = open_store(db, actor="facilitator", create=True)
        for n in range(6):
            lead.add_topic(f"topic {n + 1}")
        lead.start_meeting()
        base = len(lead.get_meeting().log)
        ctx = mp.get_context("spawn")
        results: mp.Queue = ctx.Queue()
        readies = [ctx.Event() for _ in range(args.followers)]
        procs = [ctx.Process(target=follower, args=(db, base + args.actions, r, results)) for r in readies]
        for p in procs:
            p.start()
        for r in readies:
            r.wait(60)
        time.sleep(0.3)  # let every watcher settle into its wait (a benchmark, not a test)

        stamps: dict[int, int] = {}
        paused = False
        for i in range(args.actions):
            if i % 10 == 9:
                act = Act.EXTEND
            else:
                act = Act.RESUME if paused else Act.PAUSE
                paused = not paused
            record = lead.meeting_timer(act, minutes=1 if act is Act.EXTEND else 0)
            stamps[len(record.log)] = time.monotonic_ns()
            time.sleep(args.interval_ms / 1000)
        seen_all = [results.get(timeout=60) for _ in procs]
        for p in procs:
            p.join(10)

        latencies: list[float] = []
        missed = 0
        for seen in seen_all:
            for length, stamp in stamps.items():
                # A batch can carry several actions: the first fold at or beyond this length shows it.
                folded = [ns for n, ns in seen.items() if n >= length]
                if not folded:
                    missed += 1
                    continue
                latencies.append((min(folded) - stamp) / 1e6)

        record = lead.get_meeting()
        fold_ms = []
        for _ in range(2000):
            t0 = time.perf_counter()
            record.timer(datetime.now(UTC))
            fold_ms.append((time.perf_counter() - t0) * 1000)
        read_ms = []
        for _ in range(300):
            t0 = time.perf_counter()
            lead.current_meeting()
            read_ms.append((time.perf_counter() - t0) * 1000)
        lead.close()

    print(f"followers {args.followers}, timer actions {args.actions}, log entries {len(record.log)}")
    print(
        f"action -> folded in another process: median {statistics.median(latencies):.1f} ms, "
        f"p95 {pct(latencies, 0.95):.1f} ms, max {max(latencies):.1f} ms, missed {missed}"
    )
    worst = max(latencies) / 1000 + TICK_SECONDS
    print(
        f"worst gap between two screens (feed max + {TICK_SECONDS} s tick): {worst:.3f} s "
        f"(target {TARGET_SKEW_SECONDS:.0f} s)"
    )
    print(
        f"one fold of the clock: median {statistics.median(fold_ms):.3f} ms, p95 {pct(fold_ms, 0.95):.3f} ms"
    )
    print(f"re-read the meeting: median {statistics.median(read_ms):.2f} ms, p95 {pct(read_ms, 0.95):.2f} ms")
    return 1 if missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
