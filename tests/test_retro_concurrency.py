"""The retro's rules hold when several consoles write at once to one SQLite file.

Real processes (multiprocessing "forkserver": each forked from a fresh interpreter, never from pytest)
open their own store on the file (tests/retro_workers.py), start together on a Barrier, never on
sleeps, and report what they were told. The file is then read with plain sqlite3, past the store.
"""

from __future__ import annotations

import multiprocessing
import sqlite3
from collections import Counter
from contextlib import closing
from datetime import date
from pathlib import Path
from typing import Any

import retro_workers
from socdesk.domain.retro import NoteColumn, Phase, RetroDraft
from socdesk.store import open_store

# The same forkserver serves tests/test_handshake_concurrency.py: preload what both need.
CTX = multiprocessing.get_context("forkserver")
CTX.set_forkserver_preload(
    ["handshake_workers", "retro_workers", "socdesk.cli", "socdesk.store.sqlite_store"]
)
REPORT_TIMEOUT = 60.0
BUDGET = 3
BUDGET_MESSAGE = f"you have used all {BUDGET} of your votes"


def raw(path: Path, sql: str, args: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    with closing(sqlite3.connect(path)) as conn:
        return [tuple(r) for r in conn.execute(sql, args)]


def retro_in(path: Path, phase: Phase, notes: int = 0) -> list[int]:
    """A retro (budget 3) run by "lead", moved to ``phase`` after ``notes`` notes; their ids."""
    with closing(open_store(path, actor="lead", create=True)) as store:
        store.start_retro(
            RetroDraft(
                title="Sprint 9",
                period_from=date(2026, 2, 16),
                period_to=date(2026, 3, 1),
                vote_budget=BUDGET,
            )
        )
        store.set_retro_phase(Phase.WRITE)
        ids = [store.add_note(NoteColumn.WELL, f"note {n}").id for n in range(notes)]
        store.set_retro_phase(phase)
        return ids


def run_workers(jobs: list[tuple[Any, tuple[Any, ...]]]) -> list[dict[str, Any]]:
    """One process per (target, args); collect one report each, then join them all."""
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


def votes_logged(path: Path) -> list[tuple[str, int]]:
    rows = raw(path, "SELECT actor, json_extract(after, '$.id') FROM events WHERE action = 'retro.vote'")
    return sorted(rows)


# ---------------------------------------------------------------------------------------------------- tests


def test_one_person_voting_from_four_consoles_at_once_gets_exactly_their_budget(db_path: Path) -> None:
    notes = retro_in(db_path, Phase.VOTE, notes=2)
    start = CTX.Barrier(4)
    reports = run_workers([(retro_workers.voter, (str(db_path), "dana", notes, 5, start)) for _ in range(4)])

    acked = [v for r in reports for v in r["votes"]]
    refusals = [m for r in reports for m in r["refusals"]]
    assert len(acked) == BUDGET and len(refusals) == 4 * 5 - BUDGET
    for message in refusals:
        assert message.startswith(BUDGET_MESSAGE), message
    stored = raw(db_path, "SELECT id, voter, note_id FROM retro_votes ORDER BY id")
    assert sorted(acked) == stored
    assert [voter for _, voter, _ in stored] == ["dana"] * BUDGET
    assert votes_logged(db_path) == [("dana", vote_id) for vote_id, _, _ in stored]


def test_four_people_voting_at_once_each_get_exactly_their_budget(db_path: Path) -> None:
    notes = retro_in(db_path, Phase.VOTE, notes=3)
    people = [f"analyst-{n}" for n in range(4)]
    start = CTX.Barrier(len(people))
    reports = run_workers(
        [(retro_workers.voter, (str(db_path), p, notes, BUDGET + 2, start)) for p in people]
    )

    for report in reports:
        assert len(report["votes"]) == BUDGET, report
        assert len(report["refusals"]) == 2 and all(m.startswith(BUDGET_MESSAGE) for m in report["refusals"])
        assert {voter for _, voter, _ in report["votes"]} == {report["user"]}
    stored = raw(db_path, "SELECT id, voter, note_id FROM retro_votes ORDER BY id")
    assert sorted(v for r in reports for v in r["votes"]) == stored
    assert Counter(voter for _, voter, _ in stored) == dict.fromkeys(people, BUDGET)
    assert votes_logged(db_path) == sorted((voter, vote_id) for vote_id, voter, _ in stored)


def test_notes_written_from_six_consoles_at_once_are_all_kept(db_path: Path) -> None:
    retro_in(db_path, Phase.WRITE)
    writers, each = 6, 15
    start = CTX.Barrier(writers)
    reports = run_workers(
        [(retro_workers.note_writer, (str(db_path), f"analyst-{n}", each, start)) for n in range(writers)]
    )

    assert [m for r in reports for m in r["refusals"]] == []
    acked = sorted(note for r in reports for note in r["notes"])
    assert len(acked) == writers * each
    assert len({note_id for note_id, *_ in acked}) == writers * each
    stored = raw(db_path, "SELECT id, author, text, note_column FROM retro_notes ORDER BY id")
    assert stored == acked
    for note_id, author, text, _ in stored:
        assert text.startswith(f"{author} note "), (note_id, author, text)
    logged = raw(
        db_path, "SELECT actor, json_extract(after, '$.id') FROM events WHERE action = 'retro.note.add'"
    )
    assert sorted((note_id, actor) for actor, note_id in logged) == [(i, a) for i, a, _, _ in stored]


def test_three_consoles_starting_a_retro_at_once_open_exactly_one(db_path: Path) -> None:
    with closing(open_store(db_path, actor="seed", create=True)):
        pass
    start = CTX.Barrier(3)
    leads = [f"lead-{n}" for n in range(3)]
    reports = run_workers([(retro_workers.retro_starter, (str(db_path), lead, start)) for lead in leads])

    started = [s for r in reports for s in r["started"]]
    refusals = [m for r in reports for m in r["refusals"]]
    assert len(started) == 1 and len(refusals) == 2
    [(retro_id, winner)] = started
    for message in refusals:
        assert message.startswith(f"retro {retro_id} \u201c{winner}'s retro\u201d is still open"), message
        assert f"(facilitator {winner})" in message
    assert raw(db_path, "SELECT id, facilitator, closed_at FROM retros") == [(retro_id, winner, None)]
    assert raw(db_path, "SELECT actor FROM events WHERE action = 'retro.start'") == [(winner,)]
