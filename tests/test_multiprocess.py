"""Many processes on one SQLite file: nothing lost, nothing doubled, no "database is locked", and every
subscriber's change feed sees every commit exactly once.

Workers live in tests/mp_workers.py and are started with the "spawn" method (a fresh interpreter, as a
second terminal would be); they start writing together on a Barrier or Event and report through a Queue.
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import os
import sqlite3
import sys
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import aclosing, closing
from pathlib import Path
from typing import Any

import pytest

import mp_workers
from socdesk.domain import DEFAULT_COLUMNS, CardDraft, WorkType
from socdesk.store import Store, open_store

CTX = multiprocessing.get_context("spawn")
WORKERS = 8
REPORT_TIMEOUT = 120.0
FEED_DEADLINE = 10.0


# ---------------------------------------------------------------------------------------------------- helpers


def raw(path: Path, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Read the file with plain sqlite3, bypassing the store."""
    conn = sqlite3.connect(path)
    try:
        return [tuple(r) for r in conn.execute(sql, params)]
    finally:
        conn.close()


def events(path: Path) -> list[dict[str, Any]]:
    rows = raw(path, "SELECT id, actor, action, entity_id, before, after, meta FROM events ORDER BY id")
    return [
        {
            "id": r[0],
            "actor": r[1],
            "action": r[2],
            "entity_id": r[3],
            "before": json.loads(r[4]) if r[4] else None,
            "after": json.loads(r[5]) if r[5] else None,
            "meta": json.loads(r[6]) if r[6] else None,
        }
        for r in rows
    ]


def run_workers(target: Any, args_per_worker: list[tuple[Any, ...]], results: Any) -> list[dict[str, Any]]:
    """Start one spawned process per argument tuple, collect one report each, join them all."""
    procs = [CTX.Process(target=target, args=(*args, results), daemon=True) for args in args_per_worker]
    for proc in procs:
        proc.start()
    try:
        reports = [results.get(timeout=REPORT_TIMEOUT) for _ in procs]  # before join: never block a put
        for proc in procs:
            proc.join(timeout=30)
            assert proc.exitcode == 0, f"worker {proc.pid} exited with {proc.exitcode}"
        return reports
    finally:
        for proc in procs:
            if proc.is_alive():
                proc.kill()
                proc.join(timeout=5)


@pytest.fixture
def shared(db_path: Path) -> Iterator[Store]:
    """The database every process opens; the test process keeps a store on it too."""
    with closing(open_store(db_path, actor="seed", create=True)) as store:
        yield store


def assert_integrity(path: Path) -> None:
    assert raw(path, "PRAGMA integrity_check") == [("ok",)]
    assert raw(path, "PRAGMA foreign_key_check") == []


# ---------------------------------------------------------------------------------------------------- writers


def test_eight_processes_mixed_writes_lose_nothing(shared: Store, db_path: Path) -> None:
    seeded = [shared.add_card(CardDraft(title=f"hot {i}", type=WorkType.OPERATIONS)).id for i in range(6)]
    start = CTX.Barrier(WORKERS)
    reports = run_workers(
        mp_workers.mixed_writer,
        [(str(db_path), f"analyst-{n}", 1000 + n, 60, start) for n in range(WORKERS)],
        CTX.Queue(),
    )
    unexpected = [u for r in reports for u in r["unexpected"]]
    assert unexpected == [], "\n".join(unexpected)
    assert not any("locked" in u for u in unexpected)

    log = events(db_path)
    cards = {r[0]: r[1] for r in raw(db_path, "SELECT id, version FROM cards")}
    acked_adds = [(r["actor"], cid) for r in reports for cid in r["added"]]
    assert len({cid for _, cid in acked_adds}) == len(acked_adds)  # no id handed out twice
    assert {cid for _, cid in acked_adds} <= cards.keys()
    adds = [e for e in log if e["action"] == "card.add"]
    assert len(adds) == len(acked_adds) + len(seeded)
    assert sorted((e["actor"], int(e["entity_id"])) for e in adds if e["actor"] != "seed") == sorted(
        acked_adds
    )
    assert sorted(cards) == sorted([*seeded, *(cid for _, cid in acked_adds)])

    # Each card's version counts exactly the moves and edits logged for it.
    changes = Counter(int(e["entity_id"]) for e in log if e["action"] in ("card.move", "card.edit"))
    assert cards == {cid: 1 + changes[cid] for cid in cards}

    # Every acknowledged edit, move and limit change is in the log once, as that actor's write.
    changed = [e for e in log if e["action"] in ("card.edit", "card.move")]
    written = {(int(e["entity_id"]), e["after"]["version"]): e for e in changed}
    assert len(written) == len(changed)  # no two writes produced the same version of a card
    for report in reports:
        for cid, version, title in report["edits"]:
            event = written[(cid, version)]
            assert (event["action"], event["actor"], event["after"]["title"]) == (
                "card.edit",
                report["actor"],
                title,
            )
        for cid, version, column in report["moves"]:
            # The version returned was made by this move, or (when someone had just moved the card
            # there, so this move changed nothing) by the write that put it there.
            assert written[(cid, version)]["after"]["column"] == column
        mine = {
            (int(e["entity_id"]), e["after"]["version"]) for e in changed if e["actor"] == report["actor"]
        }
        assert {m for m in mine if written[m]["action"] == "card.move"} <= {
            (c, v) for c, v, _ in report["moves"]
        }
    acked_limits = sum(len(r["limits"]) for r in reports)
    assert acked_limits >= len([e for e in log if e["action"] == "column.limit"])  # no-op limits log nothing
    assert sum(len(r["edits"]) for r in reports) == sum(e["action"] == "card.edit" for e in log)

    # Replaying the log in commit order reproduces the board, and never admits a card past a WIP limit:
    # each write saw the state left by the one before it.
    limits = {c.name: c.wip_limit for c in DEFAULT_COLUMNS}
    where: dict[int, str] = {}
    version: dict[int, int] = {}
    for e in log:
        if e["action"] in ("card.add", "card.move"):
            cid, to = int(e["entity_id"]), e["after"]["column"]
            if e["action"] == "card.move":
                assert where[cid] == e["meta"]["from"] and version[cid] == e["before"]["version"]
            room = limits[to]
            assert e["meta"] is None or "wip_override" not in e["meta"]
            assert room is None or sum(1 for c in where.values() if c == to) < room, e
            where[cid], version[cid] = to, e["after"]["version"]
        elif e["action"] == "card.edit":
            cid = int(e["entity_id"])
            assert version[cid] == e["before"]["version"]
            version[cid] = e["after"]["version"]
        else:
            assert e["action"] == "column.limit"
            assert limits[e["entity_id"]] == e["before"]["wip_limit"]
            limits[e["entity_id"]] = e["after"]["wip_limit"]
    assert version == cards
    assert where == {c.id: c.column for c in shared.list_cards()}
    assert limits == {c.name: c.wip_limit for c in shared.list_columns()}

    # The runs really raced: refusals happened, and all outcomes add up to the operations attempted.
    outcomes: Counter[str] = Counter()
    for r in reports:
        outcomes.update(
            added=len(r["added"]),
            edited=len(r["edits"]),
            moved=len(r["moves"]),
            limits=len(r["limits"]),
            wip_refusals=r["wip_refusals"],
            conflicts=r["conflicts"],
        )
    assert outcomes.total() == WORKERS * 60, outcomes
    assert outcomes["moved"] >= sum(e["action"] == "card.move" for e in log)
    assert sum(r["wip_refusals"] for r in reports) > 0
    assert_integrity(db_path)


def test_no_lost_updates_on_one_hot_card(shared: Store, db_path: Path) -> None:
    card = shared.add_card(CardDraft(title="The hot card", type=WorkType.UNPLANNED))
    start = CTX.Barrier(WORKERS)
    reports = run_workers(
        mp_workers.title_editor,
        [(str(db_path), f"editor-{n}", card.id, 50, start) for n in range(WORKERS)],
        CTX.Queue(),
    )
    unexpected = [u for r in reports for u in r["unexpected"]]
    assert unexpected == [], "\n".join(unexpected)
    versions = sorted(v for r in reports for v in r["versions"])
    assert all(len(r["versions"]) == 50 for r in reports)
    assert versions == list(range(2, 402))  # each acknowledged edit made its own version

    final = shared.get_card(card.id)
    assert final.version == 1 + WORKERS * 50
    edits = [e for e in events(db_path) if e["action"] == "card.edit"]
    assert len(edits) == WORKERS * 50
    assert [(e["before"]["version"], e["after"]["version"]) for e in edits] == [
        (v, v + 1) for v in range(1, 401)
    ]
    assert final.title == edits[-1]["after"]["title"]
    assert len({e["after"]["title"] for e in edits}) == WORKERS * 50
    assert_integrity(db_path)


# ------------------------------------------------------------------------------------------------ change feed


def test_feed_sees_another_process_adds_in_order_once(shared: Store, db_path: Path) -> None:
    shared.add_card(CardDraft(title="before the feed", type=WorkType.BUSINESS))
    results = CTX.Queue()
    go = CTX.Event()
    with closing(shared.feed()) as feed:
        child = CTX.Process(
            target=mp_workers.card_adder, args=(str(db_path), "writer", 20, go, results), daemon=True
        )
        child.start()
        try:
            seen: list[Any] = []
            stop = threading.Event()
            deadline = threading.Timer(FEED_DEADLINE, stop.set)
            deadline.start()
            go.set()
            try:
                with closing(feed.watch(stop)) as batches:
                    for batch in batches:
                        seen.extend(batch)
                        if sum(e.action == "card.add" for e in seen) >= 20:
                            break
            finally:
                deadline.cancel()
            assert not stop.is_set(), f"deadline hit after {len(seen)} events"
            report = results.get(timeout=30)
            child.join(timeout=30)
        finally:
            if child.is_alive():
                child.kill()
        assert report["unexpected"] == []
        assert [e.action for e in seen] == ["card.add"] * 20
        ids = [e.id for e in seen]
        assert ids == sorted(set(ids))  # in commit order, each once
        assert [int(e.entity_id) for e in seen] == report["ids"]
        assert all(e.actor == "writer" for e in seen)
        assert feed.poll() == []  # nothing held back, nothing handed out twice


def test_three_subscriber_processes_each_see_every_event_once(shared: Store, db_path: Path) -> None:
    ready, results = CTX.Queue(), CTX.Queue()
    names = [f"watcher-{n}" for n in range(3)]
    procs = [
        CTX.Process(
            target=mp_workers.feed_subscriber, args=(str(db_path), n, 10, ready, results, 30.0), daemon=True
        )
        for n in names
    ]
    for proc in procs:
        proc.start()
    try:
        assert sorted(ready.get(timeout=60) for _ in names) == names  # every feed exists before any write
        before = shared.last_event_id()
        ids = [shared.add_card(CardDraft(title=f"live {i}", type=WorkType.OPERATIONS)).id for i in range(10)]
        event_ids = [e.id for e in shared.events_after(before)]
        reports = {r["name"]: r for r in (results.get(timeout=60) for _ in names)}
        for proc in procs:
            proc.join(timeout=30)
    finally:
        for proc in procs:
            if proc.is_alive():
                proc.kill()
    assert sorted(reports) == names
    for name, report in reports.items():
        assert report["unexpected"] == [], name
        assert report["card_ids"] == ids, name
        assert report["event_ids"] == event_ids, name
        assert report["extra"] == [], name


async def test_awatch_sees_a_card_added_by_a_cli_subprocess(shared: Store, db_path: Path) -> None:
    feed = shared.feed()
    stop = asyncio.Event()

    async def first_add() -> Any:
        async with aclosing(feed.awatch(stop)) as batches:
            async for batch in batches:
                for event in batch:
                    if event.action == "card.add":
                        return event
        return None

    watcher = asyncio.create_task(asyncio.wait_for(first_add(), timeout=FEED_DEADLINE))
    try:
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "socdesk",
            "card",
            "add",
            "Seen live",
            "--type",
            "unplanned",
            "--json",
            env={**os.environ, "SOCDESK_DB": str(db_path), "SOCDESK_USER": "cli-user"},
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(proc.communicate(), timeout=30)
        assert proc.returncode == 0, err.decode()
        added = json.loads(out)
        event = await watcher
    finally:
        stop.set()
        if not watcher.done():
            watcher.cancel()
        feed.close()
    assert event is not None
    assert (event.action, event.actor, int(event.entity_id)) == ("card.add", "cli-user", added["id"])
    assert event.after["title"] == "Seen live"
