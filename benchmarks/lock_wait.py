"""How long does one write wait for the lock while other processes write back to back?

Found while stress-testing (benchmarks/stress.py): a write waiting for the write lock is not served in
turn. ``BEGIN IMMEDIATE`` waits in SQLite's busy handler, which sleeps between attempts (1, 2, 5, 10,
... up to 100 ms); a process that commits back to back releases the lock for a few microseconds
between two transactions, so the sleeping waiter mostly finds it taken again and can lose for
seconds. Past ``BUSY_TIMEOUT_MS`` (10 s) ``BEGIN IMMEDIATE`` fails with "database is locked" and the
store's ``_write`` tries again until ``LOCK_WAIT_SECONDS`` (60 s), then raises ``StoreBusy``.

``--hammers`` processes add cards back to back (as a bulk script would) while this process adds one
card every ``--every-ms`` and times each add.

    python benchmarks/lock_wait.py [--hammers 1] [--probes 60] [--every-ms 50]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import tempfile
import time
from pathlib import Path
from typing import Any

from socdesk.domain import CardDraft, WorkType
from socdesk.store import open_store


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def hammer(db: Path, ready: Any, stop: Any, results: Any) -> None:
    store = open_store(db, actor="bulk-script")
    ready.set()
    n = 0
    while not stop.is_set():
        store.add_card(CardDraft(title=f"bulk {n}", type=WorkType.OPERATIONS))
        n += 1
    store.close()
    results.put(n)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hammers", type=int, default=1)
    parser.add_argument("--probes", type=int, default=60)
    parser.add_argument("--every-ms", type=float, default=50.0)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "lock.db"
        store = open_store(db, actor="console", create=True)
        ctx = mp.get_context("spawn")
        stop, results = ctx.Event(), ctx.Queue()
        readies = [ctx.Event() for _ in range(args.hammers)]
        procs = [ctx.Process(target=hammer, args=(db, r, stop, results)) for r in readies]
        for proc in procs:
            proc.start()
        for ready in readies:
            ready.wait(60)
        waits: list[float] = []
        began = time.perf_counter()
        for i in range(args.probes):
            t0 = time.perf_counter()
            store.add_card(CardDraft(title=f"console {i}", type=WorkType.UNPLANNED))
            waits.append((time.perf_counter() - t0) * 1000)
            time.sleep(args.every_ms / 1000)  # a person's pace, not a synchronisation
        elapsed = time.perf_counter() - began
        stop.set()
        bulk = sum(results.get(timeout=60) for _ in procs)
        for proc in procs:
            proc.join(30)
        store.close()

    print(f"{args.hammers} back-to-back writer(s): {bulk} writes in {elapsed:.1f} s ({bulk / elapsed:.0f}/s)")
    print(
        f"one write every {args.every_ms:.0f} ms beside them ({args.probes}): "
        f"p50 {pct(waits, 0.5):.1f} ms, p90 {pct(waits, 0.9):.1f} ms, max {max(waits):.1f} ms"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
