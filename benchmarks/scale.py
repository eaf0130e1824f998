"""Does socdesk stay fast on a big, old board? 5,000 cards, 100,000 events, a busy roster.

Targets (from the reliability issue), each a fresh process as a person or a script runs it:

    card list --json      <= 0.3 s      socdesk now          <= 0.2 s
    log --limit 50        <= 0.2 s      console first frame  <= 1.5 s

plus the peak memory (RSS) of each. The board is written by one import (the mix benchmark's: cards
that walked the flow over a year, about 20 card events each), then a roster of 24 people on 12-hour
shifts with 500 overrides (the duty benchmark's). "First frame" is the board screen mounted and
painted, headless (the board benchmark's child). Wall times include Python start-up and imports.

    python benchmarks/scale.py [--cards 5000] [--events 100000] [--runs 10]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import board_scale
import duty_now
import mix_review

TARGETS_S = {
    "card list --json": 0.3,
    "now": 0.2,
    "log --limit 50": 0.2,
    "console first frame": 1.5,
}


# Run by a small stdlib-only Python: on Linux a child's peak RSS includes its parent's at the exec, so
# the commands must not be started by this process (it holds socdesk's modules and the board builder).
TIMER = """
import json, os, subprocess, sys, time
command, runs = json.loads(sys.argv[1]), int(sys.argv[2])
subprocess.run(command, check=True, capture_output=True)  # warm the page cache (and bytecode caches)
seconds, peak = [], 0
for _ in range(runs):
    started = time.perf_counter()
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds.append(time.perf_counter() - started)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{command} failed")
    peak = max(peak, usage.ru_maxrss)
print(json.dumps([seconds, peak / 1024]))
"""


def timed_command(words: list[str], env: dict[str, str], runs: int) -> tuple[list[float], float]:
    """Wall seconds of each run (a fresh process each), and the largest peak RSS (MiB) among them."""
    command = json.dumps([*duty_now.socdesk_command(), *words])
    done = subprocess.run(
        [sys.executable, "-c", TIMER, command, str(runs)], env=env, check=True, capture_output=True, text=True
    )
    seconds, peak = json.loads(done.stdout)
    return seconds, peak


def first_frames(db: Path, runs: int, env: dict[str, str]) -> tuple[list[float], float]:
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)  # board_scale's child takes this process's environment
    try:
        board_scale.run_child(db, moves=0, remote=0)  # warm, as timed_command does
        results = [board_scale.run_child(db, moves=0, remote=0) for _ in range(runs)]
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return [r["first_frame_s"] for r in results], max(r["peak_rss_mb"] for r in results)


def build(db: Path, cards: int, events: int) -> None:
    mix_review.make_board(db, cards, events)
    duty_now.busy_roster(db)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cards", type=int, default=5000)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument(
        "--no-bytecode-cache",
        action="store_true",
        help="keep PYTHONDONTWRITEBYTECODE as this sandbox sets it (no caches are written)",
    )
    parser.add_argument("--build", metavar="DB", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.build:  # in a child, so this process stays small: a child's peak RSS counts its parent's
        build(Path(args.build), args.cards, args.events)
        return 0

    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "scale.db"
        started = time.perf_counter()
        sizes = ["--cards", str(args.cards), "--events", str(args.events)]
        subprocess.run([sys.executable, __file__, "--build", str(db), *sizes], check=True)
        built = time.perf_counter() - started
        env = {**os.environ, "SOCDESK_DB": str(db), "SOCDESK_USER": "bench"}
        # An installed socdesk runs from bytecode caches (pip compiles on install; Python writes its own
        # on first run). This sandbox sets PYTHONDONTWRITEBYTECODE=1, which compiles every import from
        # source on every start where no cache exists yet: drop it unless asked to keep it.
        if not args.no_bytecode_cache:
            env.pop("PYTHONDONTWRITEBYTECODE", None)
        size_mb = db.stat().st_size / 1e6
        print(f"{args.cards} cards, {args.events} card events, 24 people, 500 overrides")
        print(f"database {size_mb:.1f} MB, built in {built:.1f} s; {args.runs} fresh processes per figure")
        print(
            f"bytecode caches: {'as this sandbox sets' if args.no_bytecode_cache else 'written and used'}\n"
        )

        figures: dict[str, tuple[list[float], float]] = {
            "card list --json": timed_command(["card", "list", "--json"], env, args.runs),
            "now": timed_command(["now"], env, args.runs),
            "log --limit 50": timed_command(["log", "--limit", "50"], env, args.runs),
            "console first frame": first_frames(db, max(3, args.runs // 2), env),
        }

    print(f"{'measure':<22}{'median':>9}{'p95':>9}{'max':>9}{'target':>9}{'peak RSS':>11}  verdict")
    failed = 0
    for name, (seconds, rss) in figures.items():
        target = TARGETS_S[name]
        p95 = board_scale.pct(seconds, 0.95)
        verdict = "ok" if p95 <= target else "OVER"
        failed += verdict != "ok"
        print(
            f"{name:<22}{statistics.median(seconds):>8.3f}s{p95:>8.3f}s{max(seconds):>8.3f}s"
            f"{target:>8.1f}s{rss:>8.0f} MiB  {verdict} (p95)"
        )
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
