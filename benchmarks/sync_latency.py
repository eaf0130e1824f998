"""How long after a commit in one process do subscribers in other processes hear of it?

Target (from the issue): a commit in process A reaches a change-feed subscriber in process B
with p95 <= 50 ms.

One writer process commits cards into a shared WAL database while N subscriber processes run
``store.feed().watch(stop)``. The writer stamps ``time.monotonic_ns()`` the moment ``add_card``
returns; each subscriber stamps it the moment ``watch`` yields the batch holding the event.
CLOCK_MONOTONIC is one clock for the whole machine on Linux, so the stamps compare across processes.
A commit is visible a moment before ``add_card`` returns (longer if the writer is descheduled in
between), so a latency can come out slightly below zero.

Scenarios:

* steady: commits ``--interval-ms`` apart (jittered ±50 %), so each one is its own notification;
* burst: the same number of commits back to back (stresses the watcher's step/debounce);
* pairs: the same number of commits in pairs 0-``--interval-ms`` apart, each pair followed by a
  silence longer than the fallback poll. Nothing rescues the second commit of a pair if the
  watcher's wake-up is used up before it is visible, so this shows the worst case a real desk
  (sparse commits, now and then two at once) can meet;
* idle: one subscriber, no writes for a few seconds: its CPU use as a percent of one core.

Usage::

    python benchmarks/sync_latency.py [--commits 200] [--subscribers 5] [--interval-ms 20]
                                      [--db PATH] [--json]

Exits 1 if any subscriber missed a commit, 2 if the benchmark itself failed, 0 otherwise (a p95
over target is reported, not fatal). The defaults take about 40 s. ``--watch-step-ms`` /
``--watch-debounce-ms`` / ``--fallback-poll-ms`` override the feed's settings inside the subscriber
processes only, to try alternatives without editing src/; ``--churn-ms`` adds unrelated file
activity in the database's directory, as a shared folder would have.
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing as mp
import os
import queue
import random
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from socdesk.domain.models import CardDraft, WorkType
from socdesk.store import feed as feed_module
from socdesk.store import open_store

TARGET_P95_MS = 50.0
SETTLE_SECONDS = 0.3  # after every subscriber is ready, so each watcher is surely running
GRACE_SECONDS = 5.0  # how long subscribers may lag behind the writer's last commit
STARTUP_TIMEOUT = 60.0


class _Deadline:
    """A stop signal that sets itself after ``seconds``."""

    def __init__(self, seconds: float) -> None:
        self._at = time.monotonic() + seconds

    def is_set(self) -> bool:
        return time.monotonic() >= self._at


class _Churn:
    """Other activity in the database's directory: a thread rewriting an unrelated file."""

    def __init__(self, path: Path, every: float) -> None:
        self._path, self._every = path, every
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="churn", daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(self._every):
            self._path.write_text(str(time.time_ns()))

    def start(self) -> None:
        if self._every > 0:
            self._thread.start()

    def stop(self) -> None:
        if self._thread.is_alive():
            self._stop.set()
            self._thread.join()
        self._path.unlink(missing_ok=True)


def _tune_feed(tuning: dict[str, int | None]) -> None:
    """Apply --watch-step-ms / --watch-debounce-ms in this (child) process only."""
    if tuning.get("step_ms") is not None:
        feed_module.WATCH_STEP_MS = int(tuning["step_ms"])  # type: ignore[arg-type]
    if tuning.get("debounce_ms") is not None:
        feed_module.WATCH_DEBOUNCE_MS = int(tuning["debounce_ms"])  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------- children


def _subscriber(
    index: int,
    db: str,
    actor: str,
    expected: int,
    fallback_poll: float,
    tuning: dict[str, int | None],
    ready: Any,
    results: Any,
    stop: Any,
) -> None:
    _tune_feed(tuning)
    store = open_store(Path(db), actor=f"bench-subscriber-{index}")
    feed = store.feed(fallback_poll=fallback_poll)
    seen: dict[int, int] = {}
    batches = 0
    error = None
    watch = feed.watch(stop)
    ready.put(("subscriber", index))  # the parent then waits SETTLE_SECONDS for the watcher to start
    cpu0 = time.process_time()
    try:
        for batch in watch:
            now = time.monotonic_ns()
            batches += 1
            for event in batch:
                if event.actor == actor:
                    seen.setdefault(event.id, now)
            if len(seen) >= expected:
                break
    except Exception as exc:  # report it rather than hang the parent
        error = f"{type(exc).__name__}: {exc}"
    finally:
        cpu = time.process_time() - cpu0
        close = getattr(watch, "close", None)  # a generator: stop its watcher now, not at GC
        if close is not None:
            close()
        feed.close()
        store.close()
    results.put(("subscriber", index, {"seen": seen, "batches": batches, "cpu_s": cpu, "error": error}))


def _writer(
    db: str,
    actor: str,
    pauses: list[float],
    ready: Any,
    go: Any,
    results: Any,
) -> None:
    store = open_store(Path(db), actor=actor)
    drafts = [CardDraft(title=f"latency probe {i}", type=WorkType.OPERATIONS) for i in range(len(pauses))]
    store.last_event_id()  # warm the connection
    ready.put(("writer", 0))
    go.wait()
    stamps: list[tuple[int, int, int]] = []
    error = None
    try:
        for draft, pause in zip(drafts, pauses, strict=True):
            before = time.monotonic_ns()
            card = store.add_card(draft)
            committed = time.monotonic_ns()  # stamp first, look the event id up afterwards
            event_id = store.card_history(card.id)[0].id
            stamps.append((event_id, before, committed))
            if pause:
                time.sleep(pause)
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"
    finally:
        store.close()
    results.put(("writer", 0, {"stamps": stamps, "error": error}))


def _idle(
    db: str, seconds: float, fallback_poll: float, tuning: dict[str, int | None], ready: Any, results: Any
) -> None:
    _tune_feed(tuning)
    store = open_store(Path(db), actor="bench-idle")
    feed = store.feed(fallback_poll=fallback_poll)
    ready.put(("idle", 0))
    wall0, cpu0 = time.monotonic(), time.process_time()
    batches = 0
    for _ in feed.watch(_Deadline(seconds)):
        batches += 1
    cpu, wall = time.process_time() - cpu0, time.monotonic() - wall0
    feed.close()
    store.close()
    results.put(("idle", 0, {"cpu_s": cpu, "wall_s": wall, "batches": batches}))


# ---------------------------------------------------------------------------------------- parent


def _percentile(sorted_values: list[float], pct: float) -> float:
    """Linear interpolation between closest ranks (numpy's default, statistics' 'inclusive')."""
    if not sorted_values:
        return math.nan
    rank = (len(sorted_values) - 1) * pct / 100
    low = math.floor(rank)
    high = min(low + 1, len(sorted_values) - 1)
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * (rank - low)


def _summary(values_ms: list[float]) -> dict[str, float | int]:
    ordered = sorted(values_ms)
    return {
        "count": len(ordered),
        "min": ordered[0] if ordered else math.nan,
        "mean": statistics.fmean(ordered) if ordered else math.nan,
        "p50": _percentile(ordered, 50),
        "p95": _percentile(ordered, 95),
        "p99": _percentile(ordered, 99),
        "max": ordered[-1] if ordered else math.nan,
    }


def _drain(results: Any, want: set[tuple[str, int]], until: float) -> dict[tuple[str, int], Any]:
    got: dict[tuple[str, int], Any] = {}
    while want - got.keys():
        left = until - time.monotonic()
        if left <= 0:
            break
        try:
            role, index, payload = results.get(timeout=min(left, 0.5))
        except queue.Empty:
            continue
        got[(role, index)] = payload
    return got


def _wait_ready(ready: Any, count: int, procs: list[Any]) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    seen = 0
    while seen < count:
        try:
            ready.get(timeout=0.5)
            seen += 1
        except queue.Empty:
            dead = [p.name for p in procs if p.exitcode not in (None, 0)]
            if dead:
                raise RuntimeError(f"benchmark process(es) died during start-up: {', '.join(dead)}") from None
            if time.monotonic() > deadline:
                raise RuntimeError("benchmark processes did not start in time") from None


def _finish(procs: list[Any]) -> None:
    for proc in procs:
        proc.join(timeout=5)
    for proc in procs:
        if proc.is_alive():
            proc.terminate()
            proc.join(timeout=5)


def run_scenario(
    ctx: Any,
    name: str,
    db: Path,
    *,
    subscribers: int,
    pauses: list[float],
    fallback_poll: float,
    tuning: dict[str, int | None],
) -> dict[str, Any]:
    commits = len(pauses)
    actor = f"bench-writer-{name}-{os.getpid()}-{time.time_ns()}"
    ready, results, stop, go = ctx.Queue(), ctx.Queue(), ctx.Event(), ctx.Event()
    procs = [
        ctx.Process(
            target=_subscriber,
            name=f"subscriber-{i}",
            args=(i, str(db), actor, commits, fallback_poll, tuning, ready, results, stop),
            daemon=True,
        )
        for i in range(subscribers)
    ]
    procs.append(
        ctx.Process(
            target=_writer,
            name="writer",
            args=(str(db), actor, pauses, ready, go, results),
            daemon=True,
        )
    )
    try:
        for proc in procs:
            proc.start()
        _wait_ready(ready, len(procs), procs)
        time.sleep(SETTLE_SECONDS)
        go.set()
        # The writer's own budget: its commits plus generous slack for a slow disk.
        writer_budget = sum(pauses) + commits * 0.25 + 30
        got = _drain(results, {("writer", 0)}, time.monotonic() + writer_budget)
        want = {("subscriber", i) for i in range(subscribers)}
        got |= _drain(results, want, time.monotonic() + GRACE_SECONDS)
        stop.set()  # whoever is still waiting gives up and reports what it saw
        got |= _drain(results, want - got.keys(), time.monotonic() + 10)
    finally:
        stop.set()
        go.set()
        _finish(procs)

    writer = got.get(("writer", 0))
    if writer is None:
        raise RuntimeError(f"{name}: the writer process reported nothing")
    if writer["error"]:
        raise RuntimeError(f"{name}: the writer failed: {writer['error']}")
    stamps: list[tuple[int, int, int]] = writer["stamps"]
    commit_ms = [(after - before) / 1e6 for _, before, after in stamps]

    latencies: list[float] = []
    per_subscriber: list[dict[str, Any]] = []
    missing = 0
    errors: list[str] = []
    for i in range(subscribers):
        sub = got.get(("subscriber", i))
        if sub is None:
            missing += len(stamps)
            errors.append(f"subscriber {i} reported nothing")
            nothing = {"p95": math.nan, "max": math.nan, "batches": 0, "cpu_s": math.nan}
            per_subscriber.append({"index": i, "missing": len(stamps), **nothing})
            continue
        if sub["error"]:
            errors.append(f"subscriber {i}: {sub['error']}")
        seen: dict[int, int] = sub["seen"]
        mine = [(seen[eid] - committed) / 1e6 for eid, _, committed in stamps if eid in seen]
        lost = len(stamps) - len(mine)
        missing += lost
        latencies.extend(mine)
        per_subscriber.append(
            {
                "index": i,
                "missing": lost,
                "p95": _percentile(sorted(mine), 95),
                "max": max(mine, default=math.nan),
                "batches": sub["batches"],
                "cpu_s": sub["cpu_s"],
            }
        )
    summary = _summary(latencies)
    return {
        "scenario": name,
        "commits": len(stamps),
        "subscribers": subscribers,
        "pauses_ms": _summary([p * 1000 for p in pauses]),
        "latency_ms": summary,
        "over_target": sum(1 for v in latencies if v > TARGET_P95_MS),
        "missing": missing,
        "per_subscriber": per_subscriber,
        "commit_ms": _summary(commit_ms),
        "errors": errors,
    }


def writer_pauses(
    scenario: str, commits: int, interval_ms: float, fallback_poll: float, seed: int
) -> list[float]:
    """Seconds the writer sleeps after each commit."""
    rng = random.Random(f"{seed}-{scenario}")
    if scenario == "steady":
        return [interval_ms * rng.uniform(0.5, 1.5) / 1000 for _ in range(commits)]
    if scenario == "burst":
        return [0.0] * commits
    if scenario == "pairs":
        silence = max(0.15, fallback_poll * 1.5)
        return [
            rng.uniform(0, interval_ms / 1000) if i % 2 == 0 else silence * rng.uniform(1.0, 1.2)
            for i in range(commits)
        ]
    raise ValueError(scenario)


def run_idle(
    ctx: Any, db: Path, *, seconds: float, fallback_poll: float, tuning: dict[str, int | None]
) -> dict[str, Any]:
    ready, results = ctx.Queue(), ctx.Queue()
    proc = ctx.Process(
        target=_idle,
        name="idle-subscriber",
        args=(str(db), seconds, fallback_poll, tuning, ready, results),
        daemon=True,
    )
    try:
        proc.start()
        _wait_ready(ready, 1, [proc])
        got = _drain(results, {("idle", 0)}, time.monotonic() + seconds + 15)
    finally:
        _finish([proc])
    data: dict[str, Any] | None = got.get(("idle", 0))
    if data is None:
        raise RuntimeError("the idle subscriber reported nothing")
    data["cpu_percent"] = 100 * data["cpu_s"] / data["wall_s"] if data["wall_s"] else math.nan
    return data


# ---------------------------------------------------------------------------------------- output


def _fmt(value: float) -> str:
    return "   n/a" if math.isnan(value) else f"{value:6.1f}"


def print_report(report: dict[str, Any]) -> None:
    cfg = report["config"]
    print(
        f"socdesk sync latency: {cfg['subscribers']} subscriber processes, 1 writer process, "
        f"watch step {cfg['watch_step_ms']} ms / debounce {cfg['watch_debounce_ms']} ms, "
        f"fallback poll {cfg['fallback_poll_ms']:g} ms"
    )
    churn = f"; a file beside it rewritten every {cfg['churn_ms']:g} ms" if cfg["churn_ms"] else ""
    print(f"db: {cfg['db']}{' (temporary)' if cfg['temporary_db'] else ''}{churn}")
    print()
    head = f"{'scenario':<8} {'commits':>7} {'n':>5} {'min':>6} {'mean':>6} {'p50':>6} {'p95':>6} {'max':>6}"
    print(head + f" {'>50ms':>6} {'missing':>7}   (latency, ms)")
    for sc in report["scenarios"].values():
        lat = sc["latency_ms"]
        print(
            f"{sc['scenario']:<8} {sc['commits']:>7} {lat['count']:>5} {_fmt(lat['min'])} {_fmt(lat['mean'])}"
            f" {_fmt(lat['p50'])} {_fmt(lat['p95'])} {_fmt(lat['max'])} {sc['over_target']:>6}"
            f" {sc['missing']:>7}"
        )
    print()
    for sc in report["scenarios"].values():
        p95s = " ".join(_fmt(s["p95"]).strip() for s in sc["per_subscriber"])
        batches = " ".join(str(s["batches"]) for s in sc["per_subscriber"])
        c = sc["commit_ms"]
        print(
            f"{sc['scenario']:<8} per-subscriber p95 ms: {p95s}; notifications: {batches}; "
            f"commit itself p50/p95 {c['p50']:.1f}/{c['p95']:.1f} ms"
        )
        for err in sc["errors"]:
            print(f"  ! {err}")
    idle = report["idle"]
    if idle is not None:
        print(
            f"idle     one subscriber, no writes for {idle['wall_s']:.1f} s: {idle['cpu_s'] * 1000:.0f} ms"
            f" CPU = {idle['cpu_percent']:.2f} % of one core"
        )
    print()
    verdict = "PASS" if report["ok_target"] else "FAIL"
    scenarios = report["scenarios"].values()
    worst = max((sc["latency_ms"]["p95"] for sc in scenarios), default=math.nan)
    worst_sub = max((s["p95"] for sc in scenarios for s in sc["per_subscriber"]), default=math.nan)
    print(
        f"target p95 <= {TARGET_P95_MS:g} ms: {verdict} (worst scenario p95 {worst:.1f} ms,"
        f" worst single subscriber p95 {worst_sub:.1f} ms)"
    )
    if report["missing"]:
        print(f"MISSING NOTIFICATIONS: {report['missing']}")


# ---------------------------------------------------------------------------------------- main


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--commits", type=int, default=200, help="commits per scenario (default 200)")
    parser.add_argument("--subscribers", type=int, default=5, help="subscriber processes (default 5)")
    parser.add_argument(
        "--interval-ms",
        type=float,
        default=20.0,
        help="steady: mean gap between commits, ±50 %%; pairs: most time between the two of a pair (20)",
    )
    parser.add_argument("--db", type=Path, help="database to use (default: a new one in a temp directory)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    parser.add_argument("--idle-seconds", type=float, default=3.0, help="idle CPU measurement (default 3)")
    parser.add_argument("--seed", type=int, default=0, help="seed for the commit jitter")
    parser.add_argument("--fallback-poll-ms", type=float, default=100.0, help="feed fallback poll (100)")
    parser.add_argument("--watch-step-ms", type=int, help="override feed.WATCH_STEP_MS")
    parser.add_argument("--watch-debounce-ms", type=int, help="override feed.WATCH_DEBOUNCE_MS")
    parser.add_argument(
        "--churn-ms",
        type=float,
        default=0.0,
        help="rewrite an unrelated file beside the database every N ms during the run (default: off)",
    )
    parser.add_argument(
        "--scenarios", default="steady,burst,pairs,idle", help="comma-separated subset of the default"
    )
    args = parser.parse_args(argv)
    if min(args.commits, args.subscribers) < 1 or min(args.interval_ms, args.churn_ms) < 0:
        parser.error("--commits and --subscribers must be >= 1, --interval-ms and --churn-ms >= 0")
    if args.fallback_poll_ms <= 0:
        parser.error("--fallback-poll-ms must be > 0")
    args.scenarios = [s.strip() for s in args.scenarios.split(",") if s.strip()]
    unknown = set(args.scenarios) - {"steady", "burst", "pairs", "idle"}
    if unknown:
        parser.error(f"unknown scenario(s): {', '.join(sorted(unknown))}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    ctx = mp.get_context("spawn")
    tmpdir = None if args.db else Path(tempfile.mkdtemp(prefix="socdesk-sync-latency-"))
    db = args.db if args.db else tmpdir / "socdesk.db"  # type: ignore[operator]
    tuning = {"step_ms": args.watch_step_ms, "debounce_ms": args.watch_debounce_ms}
    fallback_poll = args.fallback_poll_ms / 1000
    churn = _Churn(db.parent / f".sync-latency-churn-{os.getpid()}", args.churn_ms / 1000)
    scenarios: dict[str, dict[str, Any]] = {}
    idle: dict[str, Any] | None = None
    try:
        open_store(db, actor="bench-setup", create=True).close()
        churn.start()
        for name in ("steady", "burst", "pairs"):
            if name in args.scenarios:
                scenarios[name] = run_scenario(
                    ctx,
                    name,
                    db,
                    subscribers=args.subscribers,
                    pauses=writer_pauses(name, args.commits, args.interval_ms, fallback_poll, args.seed),
                    fallback_poll=fallback_poll,
                    tuning=tuning,
                )
        if "idle" in args.scenarios:
            idle = run_idle(ctx, db, seconds=args.idle_seconds, fallback_poll=fallback_poll, tuning=tuning)
    except RuntimeError as error:
        print(f"sync_latency: {error}", file=sys.stderr)
        return 2
    finally:
        churn.stop()
        if tmpdir is not None:
            shutil.rmtree(tmpdir, ignore_errors=True)

    missing = sum(sc["missing"] for sc in scenarios.values())
    report = {
        "config": {
            "db": str(db),
            "temporary_db": tmpdir is not None,
            "commits": args.commits,
            "subscribers": args.subscribers,
            "interval_ms": args.interval_ms,
            "seed": args.seed,
            "watch_step_ms": args.watch_step_ms or feed_module.WATCH_STEP_MS,
            "watch_debounce_ms": args.watch_debounce_ms or feed_module.WATCH_DEBOUNCE_MS,
            "fallback_poll_ms": args.fallback_poll_ms,
            "churn_ms": args.churn_ms,
            "cpus": os.cpu_count(),
            "python": sys.version.split()[0],
        },
        "target_p95_ms": TARGET_P95_MS,
        "scenarios": scenarios,
        "idle": idle,
        "missing": missing,
        "ok_target": all(sc["latency_ms"]["p95"] <= TARGET_P95_MS for sc in scenarios.values()),
    }
    if args.json:
        print(_json(report))
    else:
        print_report(report)
    return 1 if missing else 0


def _json(report: dict[str, Any]) -> str:
    """JSON without NaN (not valid JSON): NaN becomes null."""

    def clean(value: Any) -> Any:
        if isinstance(value, float) and math.isnan(value):
            return None
        if isinstance(value, dict):
            return {k: clean(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [clean(v) for v in value]
        return value

    return json.dumps(clean(report), indent=2)


if __name__ == "__main__":
    sys.exit(main())
