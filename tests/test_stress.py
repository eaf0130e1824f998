"""Stress, short: four processes make mixed writes to one file at once; then everything reconciles.

The workers and the reconciliation live in tests/stress_workers.py, shared with benchmarks/stress.py
(10 processes x 500 writes). Writers are started with "spawn" (a fresh interpreter each, as a second
terminal would be), start together on a Barrier and report every call's outcome through a Queue.
The reconciliation is shown to fail on a report or a file that lost a write.
"""

from __future__ import annotations

import copy
import multiprocessing
import sqlite3
from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

import stress_workers
from socdesk.store import open_store
from stress_workers import Stress, reconcile

CTX = multiprocessing.get_context("spawn")
PROCESSES = 4
WRITES = 100
SEED = 7


@pytest.fixture(scope="module")
def stressed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Stress]:
    path = tmp_path_factory.mktemp("stress") / "team.db"
    stress = stress_workers.run_stress(
        path, processes=PROCESSES, writes=WRITES, seed=SEED, ctx=CTX, timeout=180.0
    )
    return path, stress


def test_four_processes_of_mixed_writes_reconcile(stressed: tuple[Path, Stress]) -> None:
    path, stress = stressed
    result = reconcile(path, stress.setup, stress.reports)
    assert result.problems == [], "\n".join(result.problems)
    figures = stress_workers.summary(stress)
    assert figures["ops"] == PROCESSES * WRITES
    assert figures["failed"] == 0 and result.facts["lock failures"] == 0
    assert figures["acknowledged"] == result.facts["acknowledged"] == result.facts["events"]

    # The run really raced: every kind of write was acknowledged, and the refusals that only
    # contention and the rules produce did happen (else the reconciliation proved little).
    acked_ops = {op for (op, outcome) in figures["by_op"] if outcome == "ack"}
    assert acked_ops >= {"add", "move", "edit", "topic", "note", "timer", "phase"}, figures["by_op"]
    assert figures["refusals"].keys() >= {
        "WIP limit",
        "version conflict",
        "topic cap",
        "wrong retro phase",
        "timer state",
        "not the facilitator",
    }, figures["refusals"]
    assert result.facts["WIP overrides"] > 0


# ------------------------------------------------------------------------------------------------ it can fail


def _first(stress: Stress, op: str, outcome: str) -> tuple[dict[str, Any], dict[str, Any]]:
    for report in stress.reports:
        for record in report["records"]:
            if record["op"] == op and record.get("outcome") == outcome:
                return report, record
    raise AssertionError(f"the run made no {outcome} {op}")


def drop_acked_add(stress: Stress) -> None:
    report, record = _first(stress, "add", "ack")
    report["records"].remove(record)


def drop_acked_note(stress: Stress) -> None:
    report, record = _first(stress, "note", "ack")
    report["records"].remove(record)


def drop_acked_vote(stress: Stress) -> None:
    report, record = _first(stress, "vote", "ack")
    report["records"].remove(record)


def drop_acked_timer_action(stress: Stress) -> None:
    report, record = _first(stress, "timer", "ack")
    report["records"].remove(record)


def claim_refused_topic(stress: Stress) -> None:
    _, record = _first(stress, "topic", "refused")
    record.update(outcome="ack", topic=10_000)


def claim_refused_edit(stress: Stress) -> None:
    _, record = _first(stress, "edit", "refused")
    record.update(outcome="ack", version=record["expected"] + 1)


def hide_a_lock_failure(stress: Stress) -> None:
    _, record = _first(stress, "move", "refused")
    record.update(outcome="failed", error="OperationalError", message="database is locked")


@pytest.mark.parametrize(
    "corrupt",
    [
        drop_acked_add,
        drop_acked_note,
        drop_acked_vote,
        drop_acked_timer_action,
        claim_refused_topic,
        claim_refused_edit,
        hide_a_lock_failure,
    ],
)
def test_reconciliation_catches_a_report_that_disagrees(
    stressed: tuple[Path, Stress], corrupt: Callable[[Stress], None]
) -> None:
    path, stress = stressed
    broken = copy.deepcopy(stress)
    corrupt(broken)
    problems = reconcile(path, broken.setup, broken.reports).problems
    print("\n".join(problems))
    assert problems, f"{corrupt.__name__} went unnoticed"


def _copy(path: Path, to: Path) -> Path:
    with closing(sqlite3.connect(path)) as source, closing(sqlite3.connect(to)) as target:
        source.backup(target)
    return to


@pytest.mark.parametrize(
    "sql",
    [
        # an acknowledged edit lost from the row (the event log still has it)
        "UPDATE cards SET title = 'lost' WHERE id = (SELECT max(id) FROM cards WHERE title LIKE '% edit %')",
        # a card that was acknowledged, gone
        "DELETE FROM cards WHERE id = (SELECT max(id) FROM cards WHERE title LIKE '% add %')",
        # a note lost
        "DELETE FROM retro_notes WHERE id = (SELECT max(id) FROM retro_notes WHERE text LIKE '% note %')",
        # a topic lost
        "DELETE FROM topics WHERE id = (SELECT max(id) FROM topics WHERE text LIKE '% topic %')",
        # a dot vote lost
        "DELETE FROM retro_votes WHERE id = (SELECT max(id) FROM retro_votes)",
    ],
)
def test_reconciliation_catches_a_file_that_lost_a_write(
    stressed: tuple[Path, Stress], tmp_path: Path, sql: str
) -> None:
    path, stress = stressed
    lost = _copy(path, tmp_path / "lost.db")
    with closing(sqlite3.connect(lost)) as conn:
        assert conn.execute(sql).rowcount == 1
        conn.commit()
    assert reconcile(path, stress.setup, stress.reports).ok  # the original still reconciles
    problems = reconcile(lost, stress.setup, stress.reports).problems
    print("\n".join(problems))
    assert problems, f"{sql} went unnoticed"


# ------------------------------------------------------------------------------------------ no-op writes


def test_an_unchecked_move_to_where_the_card_already_is_counts_as_logging_nothing(tmp_path: Path) -> None:
    """The one no-op the stress can meet, made on purpose: B moves a card to Done, then A (who read it
    in the Backlog) moves it to Done without a version check. A is told the card is in Done at B's
    version, and no event of A's exists. The reconciliation accounts for it exactly."""
    path = tmp_path / "team.db"
    setup = stress_workers.prepare(path)
    card = setup["hot"][0]
    with closing(open_store(path, actor="analyst-1")) as b, closing(open_store(path, actor="analyst-2")) as a:
        read = a.get_card(card)
        moved = b.move_card(card, "Done", expected_version=read.version)
        same = a.move_card(card, "Done")
    assert same.version == moved.version  # A's answer is B's write
    common = {"target": "Done", "card": card, "read_version": read.version, "force": False, "ms": 1.0}
    reports = [
        {"actor": "analyst-1", "unexpected": [], "records": [
            {"seq": 0, "op": "move", "outcome": "ack", "expected": read.version, "version": moved.version,
             "column": "Done", **common},
        ]},
        {"actor": "analyst-2", "unexpected": [], "records": [
            {"seq": 0, "op": "move", "outcome": "ack", "expected": None, "version": same.version,
             "column": "Done", **common},
        ]},
    ]  # fmt: skip
    result = reconcile(path, setup, reports)
    assert result.problems == [] and result.facts["no-op moves"] == 1

    reports[1]["records"][0]["expected"] = read.version  # a checked move cannot have been a no-op
    problems = reconcile(path, setup, reports).problems
    assert any("version-checked move that wrote nothing" in p for p in problems), problems
    reports[1]["records"][0]["expected"] = None
    reports[0]["records"].clear()  # B's acknowledged move lost from its report
    problems = reconcile(path, setup, reports).problems
    assert any("card.move: 1 events, 0 acknowledged" in p for p in problems), problems
