"""Crash: kill -9 writer processes at random moments, 100 times. Is every acknowledged write still there?

From the issue: kill -9 writer processes at random moments 100 times; after each, integrity ok and
every write that was acknowledged before the kill is present.

Each round copies a freshly migrated file, starts 2 or 3 writers on it (quick card writes, cards with
20,000-character descriptions, imports of 1,500 cards into fresh files) and, once each has had a write
acknowledged, kills one of them (the others go on writing, then stop) or all of them after a random,
seeded delay. Then: ``PRAGMA integrity_check``, the store opens the file, every acknowledged write is
there, each writer's events are its acknowledged writes plus at most the one it was killed in, every
card's row matches its latest event, every import is all there or not at all. The rounds and checks
are tests/crash_workers.py (tests/test_crash.py runs fewer rounds of the same). Then ``socdesk init``
is killed at random moments on fresh files: each must be left absent, empty (and initialisable) or
fully migrated.

    python benchmarks/crash.py [--rounds 100] [--init-rounds 50] [--seed 11] [--dir PATH]

Exits 1 if any round found a problem, 0 otherwise.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import random
import sys
import tempfile
import time
from collections import Counter
from importlib import import_module
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))  # the shared crash_workers
crash_workers = import_module("crash_workers")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=100)
    parser.add_argument("--init-rounds", type=int, default=50)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--dir", type=Path, help="keep every round's files here (default: a temporary dir)")
    args = parser.parse_args()

    ctx = mp.get_context("forkserver")
    ctx.set_forkserver_preload(["crash_workers", "socdesk.cli", "socdesk.store.sqlite_store"])
    problems: list[str] = []
    facts: Counter[str] = Counter()
    modes: Counter[str] = Counter()
    with tempfile.TemporaryDirectory() as tmp:
        work = args.dir or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        template = crash_workers.make_template(work / "template.db")
        began = time.perf_counter()
        for number in range(args.rounds):
            result = crash_workers.run_round(ctx, work, template, number, args.seed)
            label = f"round {number} ({result.mode}, {'/'.join(result.roles)}, {result.delay * 1000:.0f} ms)"
            problems += [f"{label}: {p}" for p in result.problems]
            facts.update(result.facts)
            modes[result.mode] += 1
        rounds_s = time.perf_counter() - began

        began = time.perf_counter()
        init_dir = work / "init"
        init_dir.mkdir()
        window = crash_workers.init_window(ctx, init_dir)
        rng = random.Random(args.seed)
        states: Counter[str] = Counter()
        for n in range(args.init_rounds):
            here = init_dir / f"kill-{n}"
            here.mkdir()
            state, delay, found = crash_workers.run_init_round(ctx, here, window, rng)
            states[state] += 1
            problems += [f"init kill {n} after {delay * 1000:.0f} ms ({state}): {p}" for p in found]
        init_s = time.perf_counter() - began

    print(f"writer rounds            {args.rounds:>7}  ({rounds_s:.0f} s; seed {args.seed})")
    print(f"  kill one / all / staggered  {modes['one']} / {modes['all']} / {modes['all-staggered']}")
    print(f"  processes killed       {facts['kills']:>7}")
    for fact in (
        "kills inside a write, before its commit",
        "kills after a commit, before its ack",
        "kills inside an import, before its commit",
        "kills between two writes",
    ):
        print(f"    {fact:<42} {facts[fact]:>5}")
    print(f"  acknowledged writes checked {facts['acknowledged writes checked']:>7}")
    print(f"  survivor writes after a kill {facts['survivor writes after a kill']:>6}")
    print(f"  torn log lines         {facts['torn log lines']:>7}")
    print(f"socdesk init killed      {args.init_rounds:>7}  ({init_s:.0f} s; at 0-{window * 1000:.0f} ms)")
    for state in ("absent", "empty", "migrated", "finished"):
        print(f"    {state:<42} {states[state]:>5}")
    print(f"failures                 {len(problems):>7}")
    for problem in problems[:40]:
        print(f"  {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
