"""How long does `socdesk now` take, wall clock, as a shell prompt or tmux status line runs it?

Target (from the Duty issue): <= 0.2 s wall. Each run is a fresh process (`python -m socdesk now`
through the installed entry point), on the sample team's database and on one with a busier roster
(two rotations of 12-hour shifts, 500 overrides), with and without --json. Also `socdesk duty show`
for comparison (it takes the ordinary, pydantic path).

Usage::

    python benchmarks/duty_now.py [--runs 30]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path

from socdesk.domain import FixedClock, Person
from socdesk.domain.duty import OverrideDraft, Rotation
from socdesk.sample import load_sample
from socdesk.store import open_store

TARGET_S = 0.2


def socdesk_command() -> list[str]:
    script = shutil.which("socdesk", path=str(Path(sys.executable).parent))
    return [script] if script else [sys.executable, "-m", "socdesk"]


def timed(command: list[str], env: dict[str, str], runs: int) -> list[float]:
    subprocess.run(command, env=env, check=True, capture_output=True)  # warm the page cache
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(command, env=env, check=True, capture_output=True)
        samples.append(time.perf_counter() - started)
    return samples


def p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def busy_roster(path: Path) -> None:
    clock = FixedClock(datetime.now(UTC) - timedelta(days=60))
    store = open_store(path, actor="bench", clock=clock, create=True)
    try:
        handles = [f"p{n:02d}" for n in range(24)]
        for handle in handles:
            store.add_person(Person(handle=handle, name=f"Person {handle}"))
        for role, members in (("engineer", handles[:12]), ("analyst", handles[12:])):
            store.set_rotation(
                Rotation(
                    role=role,
                    members=tuple(members),
                    shift_hours=12,
                    handover_weekday=None,
                    handover_time=clock_time(7, 0),
                    tz="Europe/London",
                    start_date=date.today() - timedelta(days=60),
                )
            )
        start = datetime.now(UTC) - timedelta(days=30)
        store.import_overrides(
            [
                OverrideDraft(
                    role="engineer" if n % 2 else "analyst",
                    person=handles[n % 24],
                    starts_at=start + timedelta(hours=5 * n),
                    ends_at=start + timedelta(hours=5 * n + 8),
                    reason="cover",
                )
                for n in range(500)
            ],
            source="benchmark",
        )
    finally:
        store.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    base = socdesk_command()
    with tempfile.TemporaryDirectory(prefix="socdesk-now-") as tmp:
        sample = Path(tmp) / "sample.db"
        store = open_store(sample, actor="bench", create=True)
        load_sample(store)
        store.close()
        busy = Path(tmp) / "busy.db"
        busy_roster(busy)
        env = {**os.environ, "HOME": tmp, "XDG_DATA_HOME": tmp}
        cases = [
            ("now, sample team", sample, ["now"]),
            ("now --json, sample team", sample, ["now", "--json"]),
            ("now, 12h shifts + 500 overrides", busy, ["now"]),
            ("duty show (full CLI), sample", sample, ["duty", "show"]),
        ]
        print(f"socdesk now: wall time of a fresh process, {args.runs} runs each, {os.cpu_count()} CPUs")
        worst = 0.0
        for label, db, words in cases:
            samples = timed([*base, "--db", str(db), *words], env, args.runs)
            median = statistics.median(samples)
            line = f"{label:<34} median {median * 1000:6.1f} ms  p95 {p95(samples) * 1000:6.1f} ms"
            if words[0] == "now":
                worst = max(worst, p95(samples))
                line += f"   target <= {TARGET_S * 1000:.0f} ms: {'ok' if median <= TARGET_S else 'MISSED'}"
            print(line)
        print(f"worst `now` p95: {worst * 1000:.1f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
