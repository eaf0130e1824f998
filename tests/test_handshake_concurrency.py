"""The handshake's rules hold when several terminals act at once on one SQLite file.

Real processes (multiprocessing "forkserver": each forked from a fresh interpreter, never from pytest)
run the real `socdesk handshake` commands in-process (tests/handshake_workers.py). They start together
on a Barrier, or on an Event one of them sets, never on sleeps, and report every command's exit code
and output. The database is then read with plain sqlite3, bypassing the store.
"""

from __future__ import annotations

import json
import multiprocessing
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

import handshake_workers
from socdesk.store import open_store

# "forkserver": each worker is forked from a fresh interpreter (never from pytest, which holds open
# SQLite connections) that has imported socdesk once, so eight processes start in well under a second.
CTX = multiprocessing.get_context("forkserver")
CTX.set_forkserver_preload(["handshake_workers", "socdesk.cli", "socdesk.store.sqlite_store"])
REPORT_TIMEOUT = 60.0
CAP = 6
CAP_MESSAGE = f"already has {CAP} topics, the most it takes ({CAP})"


def raw(path: Path, sql: str) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(path)
    try:
        return [tuple(r) for r in conn.execute(sql)]
    finally:
        conn.close()


def create(path: Path) -> None:
    with closing(open_store(path, actor="seed", create=True)) as store:
        assert store.get_agenda().topic_cap == CAP


def run_workers(jobs: list[tuple[Any, tuple[Any, ...]]]) -> list[dict[str, Any]]:
    """One spawned process per (target, args); collect one report each, then join them all."""
    results = CTX.Queue()
    procs = [CTX.Process(target=target, args=(*args, results), daemon=True) for target, args in jobs]
    for proc in procs:
        proc.start()
    try:
        reports = [results.get(timeout=REPORT_TIMEOUT) for _ in procs]  # before join: never block a put
        for proc in procs:
            proc.join(timeout=30)
            assert proc.exitcode == 0, f"worker {proc.pid} exited with {proc.exitcode}"
    finally:
        for proc in procs:
            if proc.is_alive():
                proc.kill()
                proc.join(timeout=5)
    unexpected = [u for r in reports for u in r["unexpected"]]
    assert unexpected == [], "\n".join(unexpected)
    return reports


def assert_refused(run: dict[str, Any], fragment: str) -> None:
    """The CLI's contract under contention too: exit 1, one `error:` line, nothing on stdout."""
    assert run["code"] == 1, run
    assert run["out"] == ""
    assert run["err"].startswith("error: ") and run["err"].count("\n") == 1, run["err"]
    assert fragment in run["err"], run["err"]
    assert "locked" not in run["err"]


def split(reports: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    runs = [run for r in reports for run in r["runs"]]
    for run in runs:
        assert run["code"] in (0, 1), run
    return [r for r in runs if r["code"] == 0], [r for r in runs if r["code"] == 1]


def topic_adds(path: Path) -> dict[int, int]:
    """Topic id → the id of the event that logged its submission."""
    rows = raw(path, "SELECT id, entity_id FROM events WHERE action = 'handshake.topic.add'")
    adds: dict[int, int] = {}
    for event_id, topic_id in rows:
        assert int(topic_id) not in adds, f"topic {topic_id} logged as added twice"
        adds[int(topic_id)] = event_id
    return adds


# ---------------------------------------------------------------------------------------------------- tests


def test_the_topic_cap_holds_when_four_terminals_submit_at_once(db_path: Path) -> None:
    create(db_path)
    start = CTX.Barrier(4)
    reports = run_workers(
        [
            (handshake_workers.topic_submitter, (str(db_path), f"analyst-{n}", 3, start, None))
            for n in range(4)
        ]
    )
    accepted, refusals = split(reports)
    assert len(accepted) + len(refusals) == 12
    assert len(accepted) == CAP
    for run in refusals:
        assert_refused(run, CAP_MESSAGE)

    acked = [json.loads(run["out"]) for run in accepted]
    ids = [t["id"] for t in acked]
    assert len(set(ids)) == CAP
    assert sorted(t["position"] for t in acked) == list(range(1, CAP + 1))  # each saw its own place
    intake = raw(
        db_path, "SELECT id, submitted_by, text FROM topics WHERE meeting_id IS NULL AND deferred = 0"
    )
    assert len(intake) == CAP
    assert raw(db_path, "SELECT count(*) FROM topics") == [(CAP,)]
    assert sorted((t["id"], t["submitted_by"], t["text"]) for t in acked) == sorted(intake)
    assert sorted(topic_adds(db_path)) == sorted(ids)


def test_starting_a_meeting_closes_the_intake_without_losing_a_topic(db_path: Path) -> None:
    create(db_path)
    start, first_in = CTX.Barrier(5), CTX.Event()
    jobs: list[tuple[Any, tuple[Any, ...]]] = [
        (handshake_workers.topic_submitter, (str(db_path), f"analyst-{n}", 3, start, first_in))
        for n in range(4)
    ]
    # The starter waits until some topic is in, then starts while the others are still submitting.
    jobs.append((handshake_workers.meeting_starter, (str(db_path), "lead", start, first_in)))
    reports = run_workers(jobs)
    starter = next(r for r in reports if r["user"] == "lead")
    [start_run] = starter["runs"]
    assert start_run["code"] == 0, start_run
    submissions = [r for r in reports if r["user"] != "lead"]
    accepted, refusals = split(submissions)
    assert len(accepted) + len(refusals) == 12
    for run in refusals:
        assert_refused(run, CAP_MESSAGE)

    [(meeting_id,)] = raw(db_path, "SELECT id FROM meetings")
    [(start_event,)] = raw(db_path, "SELECT id FROM events WHERE action = 'handshake.start'")
    topics = {row[0]: (row[1], row[2]) for row in raw(db_path, "SELECT id, meeting_id, deferred FROM topics")}
    acked = {t["id"]: t for t in (json.loads(run["out"]) for run in accepted)}
    assert sorted(acked) == sorted(topics)  # every accepted topic is stored, nothing else is
    adds = topic_adds(db_path)
    assert sorted(adds) == sorted(topics)

    in_meeting = {tid for tid, (mid, _) in topics.items() if mid == meeting_id}
    waiting = {tid for tid, (mid, deferred) in topics.items() if mid is None and not deferred}
    assert in_meeting | waiting == set(topics) and not in_meeting & waiting
    assert 1 <= len(in_meeting) <= CAP
    assert len(waiting) <= CAP
    # Submitted before the start: in the meeting. After it: waiting for the next one.
    assert in_meeting == {tid for tid, event in adds.items() if event < start_event}
    assert waiting == {tid for tid, event in adds.items() if event > start_event}
    # What each submitter was told agrees with where its topic ended up.
    for tid, told in acked.items():
        if told["meeting_id"] == meeting_id:
            assert tid in in_meeting
        if told["running_meeting_id"] == meeting_id and told["meeting_id"] is None:
            assert tid in waiting, f"topic {tid} was said to wait for the next handshake"
    assert f"with {len(in_meeting)} topic" in start_run["out"]


def test_only_one_of_five_simultaneous_starts_wins(db_path: Path) -> None:
    create(db_path)
    start = CTX.Barrier(5)
    reports = run_workers(
        [(handshake_workers.meeting_starter, (str(db_path), f"lead-{n}", start, None)) for n in range(5)]
    )
    accepted, refusals = split(reports)
    assert len(accepted) == 1 and len(refusals) == 4
    winner = next(r["user"] for r in reports if r["runs"][0]["code"] == 0)
    assert f"by {winner}" in accepted[0]["out"]
    for run in refusals:
        assert_refused(run, "handshake 1 is already running")
        assert f"by {winner}" in run["err"]
    assert raw(db_path, "SELECT id, started_by, ended_at FROM meetings") == [(1, winner, None)]
    assert raw(db_path, "SELECT count(*) FROM events WHERE action = 'handshake.start'") == [(1,)]
    assert raw(db_path, "SELECT count(*) FROM meeting_log") == [(1,)]
