"""Crash: writers killed with SIGKILL at random moments lose no acknowledged write and corrupt nothing.

The writers, rounds and checks live in tests/crash_workers.py, shared with benchmarks/crash.py (the
full 100 rounds; this file runs fewer to stay within a minute). Writers are real processes started
through multiprocessing's "forkserver" (each forked from a fresh interpreter that has imported
socdesk once, never from pytest), so that a round costs milliseconds instead of an interpreter start.
Each round waits for every writer's first acknowledged write (a message on a pipe, with a deadline)
and then sleeps a random, seeded delay before the kill: that delay is the point of the test, not a
synchronisation.
"""

from __future__ import annotations

import json
import multiprocessing
import random
import sqlite3
from collections import Counter
from contextlib import closing
from pathlib import Path

import pytest

import crash_workers

# The same forkserver serves tests/test_handshake_concurrency.py and tests/test_retro_concurrency.py:
# preload what they all need (whichever module is collected last sets the list; a module left out is
# only imported by each child itself).
CTX = multiprocessing.get_context("forkserver")
CTX.set_forkserver_preload(
    ["crash_workers", "handshake_workers", "retro_workers", "socdesk.cli", "socdesk.store.sqlite_store"]
)
ROUNDS = 20  # benchmarks/crash.py runs the full 100
INIT_ROUNDS = 20
SEED = 11


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return crash_workers.make_template(tmp_path_factory.mktemp("template") / "template.db")


def test_writers_killed_at_random_moments_lose_no_acknowledged_write(tmp_path: Path, template: Path) -> None:
    problems: list[str] = []
    facts: Counter[str] = Counter()
    for number in range(ROUNDS):
        result = crash_workers.run_round(CTX, tmp_path, template, number, SEED)
        label = f"round {number} ({result.mode}, {'/'.join(result.roles)}, {result.delay * 1000:.0f} ms)"
        problems += [f"{label}: {p}" for p in result.problems]
        facts.update(result.facts)
    assert problems == [], "\n".join(problems)
    assert facts["kills"] >= ROUNDS
    assert facts["acknowledged writes checked"] > 10 * ROUNDS
    # The kills fell where they matter: inside writes (some before the commit, which must leave no
    # trace, some after it, which must leave the whole write), and peers went on writing afterwards.
    assert (
        facts["kills inside a write, before its commit"] + facts["kills inside an import, before its commit"]
    )
    assert facts["kills after a commit, before its ack"]
    assert facts["survivor writes after a kill"]


# -------------------------------------------------------------------------------------- the checks can fail


@pytest.fixture(scope="module")
def one_round(tmp_path_factory: pytest.TempPathFactory, template: Path) -> crash_workers.Round:
    # Round 2 of seed 11 kills one of two card writers: the other goes on, so its log is complete.
    result = crash_workers.run_round(CTX, tmp_path_factory.mktemp("crash"), template, 2, SEED)
    assert result.mode == "one" and result.problems == [], result.problems
    return result


def _recheck(result: crash_workers.Round) -> list[str]:
    again = crash_workers.Round(result.number, result.db, result.roles, result.mode, result.delay)
    again.writers, again.killed_at = result.writers, result.killed_at
    crash_workers.check_round(again)
    return again.problems


def _survivor_log(result: crash_workers.Round) -> Path:
    return next(Path(w["log"]) for w in result.writers if not w["killed"])


def test_the_checks_pass_the_round_as_it_is(one_round: crash_workers.Round) -> None:
    assert _recheck(one_round) == []


def test_the_checks_catch_an_acknowledged_write_that_is_not_in_the_file(
    one_round: crash_workers.Round,
) -> None:
    log = _survivor_log(one_round)
    kept = log.read_text(encoding="utf-8")
    try:
        with log.open("a", encoding="utf-8") as f:
            f.write(json.dumps({"kind": "intent", "t": 0, "op": "add", "title": "ghost"}) + "\n")
            f.write(
                json.dumps(
                    {"kind": "ack", "t": 0, "op": "add", "card": 99_999, "version": 1, "title": "ghost"}
                )
            )
            f.write("\n")
        assert any("missing" in p for p in _recheck(one_round))
    finally:
        log.write_text(kept, encoding="utf-8")


def test_the_checks_catch_a_row_that_lost_its_last_write(
    one_round: crash_workers.Round, tmp_path: Path
) -> None:
    lost = tmp_path / "team.db"
    with closing(sqlite3.connect(one_round.db)) as source, closing(sqlite3.connect(lost)) as target:
        source.backup(target)
        target.execute("UPDATE cards SET version = version - 1 WHERE id = (SELECT max(id) FROM cards)")
        target.commit()
    broken = crash_workers.Round(one_round.number, lost, one_round.roles, one_round.mode, one_round.delay)
    broken.writers, broken.killed_at = one_round.writers, one_round.killed_at
    crash_workers.check_round(broken)
    assert any("latest event" in p for p in broken.problems), broken.problems


# ---------------------------------------------------------------------------------------------------- init


def test_socdesk_init_killed_at_random_moments_leaves_nothing_or_everything(tmp_path: Path) -> None:
    window = crash_workers.init_window(CTX, tmp_path)
    rng = random.Random(SEED)
    states: Counter[str] = Counter()
    problems: list[str] = []
    for n in range(INIT_ROUNDS):
        here = tmp_path / f"init-{n}"
        here.mkdir()
        state, delay, found = crash_workers.run_init_round(CTX, here, window, rng)
        states[state] += 1
        problems += [f"kill {n} after {delay * 1000:.0f} ms ({state}): {p}" for p in found]
    assert problems == [], "\n".join(problems)
    # Killed before the migration committed and after it, both (else the test proved little).
    assert states["absent"] + states["empty"], states
    assert states["migrated"] + states["finished"], states
