"""Stress: many processes making mixed writes to one file at once. Is anything lost, and how fast is it?

From the issue: 10 processes x 500 mixed writes (card add/move/edit, WIP overrides, topic submissions,
retro notes and votes, timer actions) on one file. Reconcile afterwards: every acknowledged write is
present, every refused write is absent, counts match the event log, ``PRAGMA integrity_check`` is ok,
no "database is locked" reached a user. Print ops/s and p95 write latency.

The writers and the reconciliation are tests/stress_workers.py (the test suite runs a shorter version
of the same in tests/test_stress.py). Each writer is a spawned process with its own store, released
together by a barrier. Latency is the wall-clock time of one store call (waiting for the write lock
included); ops/s counts every call, acknowledged or refused, from the first writer's start to the
last one's end.

    python benchmarks/stress.py [--processes 10] [--writes 500] [--seed 7] [--db PATH]

Exits 1 if anything failed or the reconciliation found a problem, 0 otherwise.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import sys
import tempfile
import time
from importlib import import_module
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))  # the shared stress_workers
stress_workers = import_module("stress_workers")
pct = stress_workers.pct


def latency_row(name: str, values: list[float]) -> str:
    if not values:
        return f"  {name:<22} {'-':>6}"
    return (
        f"  {name:<22} {len(values):>6}  p50 {pct(values, 0.50):7.2f}  p95 {pct(values, 0.95):7.2f}"
        f"  p99 {pct(values, 0.99):7.2f}  max {max(values):8.2f}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", type=int, default=10)
    parser.add_argument("--writes", type=int, default=500, help="writes per process")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--db", type=Path, help="keep the database here (default: a temporary file)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        db = args.db or Path(tmp) / "stress.db"
        if db.exists():
            parser.error(f"{db} exists; give a new path")
        began = time.perf_counter()
        stress = stress_workers.run_stress(
            db, processes=args.processes, writes=args.writes, seed=args.seed, ctx=mp.get_context("spawn")
        )
        wall = time.perf_counter() - began
        checked = time.perf_counter()
        result = stress_workers.reconcile(db, stress.setup, stress.reports)
        reconcile_s = time.perf_counter() - checked
        size_kib = db.stat().st_size / 1024

    figures = stress_workers.summary(stress)
    elapsed = figures["elapsed"]
    print(
        f"{args.processes} processes x {args.writes} writes, seed {args.seed}, one file ({size_kib:.0f} KiB)"
    )
    print(f"  total ops              {figures['ops']:>6}")
    print(f"  acknowledged           {figures['acknowledged']:>6}")
    print(f"  refused                {figures['refused']:>6}")
    for kind, n in figures["refusals"].most_common():
        print(f"    {kind:<20} {n:>6}")
    print(f"  WIP overrides          {result.facts['WIP overrides']:>6}  (forced past a full column)")
    print(f"  no-op moves            {result.facts['no-op moves']:>6}  (already there: nothing logged)")
    print(
        f"  failed                 {figures['failed']:>6}  (must be 0; 'database is locked': "
        f"{result.facts['lock failures']})"
    )
    print(
        f"  ops/s                  {figures['ops'] / elapsed:>8.0f}  ({elapsed:.1f} s writing, {wall:.1f} s "
        "with start-up)"
    )
    print("write latency, ms (one store call, lock wait included)")
    print(latency_row("all", figures["ms_all"]))
    print(latency_row("acknowledged", figures["ms_acked"]))
    print(latency_row("refused", figures["ms_refused"]))
    print("acknowledged, by intent")
    for op, values in figures["per_op_ms"].items():
        print(latency_row(op, values))
    print(
        f"reconciliation ({reconcile_s:.2f} s, {result.facts['events']} events): "
        f"{'ok' if result.ok else f'{len(result.problems)} PROBLEMS'}"
    )
    for problem in result.problems[:40]:
        print(f"  {problem}")
    return 0 if result.ok and figures["failed"] == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
