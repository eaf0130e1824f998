"""The `socdesk` command as scripts see it: real subprocesses, real SQLite files.

Each subprocess costs about 0.3 s, so every test groups several checks around one small board.
Data the CLI cannot create (people) is seeded in-process through the store, which is closed before the
CLI runs.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from socdesk.domain import Card, CardDraft, Person, WorkType
from socdesk.sample import sample_file
from socdesk.store import open_store

CARD_FIELDS = {
    "id",
    "title",
    "type",
    "column",
    "priority",
    "kind",
    "assignee",
    "security",
    "version",
    "created_at",
    "updated_at",
}
EVENT_FIELDS = {"id", "at", "actor", "action", "entity", "entity_id", "before", "after", "meta"}
COLUMNS = ["Backlog", "To Do", "In Progress", "Review", "Done"]


# ---------------------------------------------------------------------------------------------------- helpers


def ok(result: Any) -> Any:
    assert result.returncode == 0, (
        f"exit {result.returncode}\nstdout: {result.stdout}\nstderr: {result.stderr}"
    )
    return result


def as_json(result: Any) -> Any:
    return json.loads(ok(result).stdout)


def assert_error(result: Any, *fragments: str) -> str:
    """Exit 1, nothing on stdout, exactly one stderr line starting with ``error:`` that names the problem."""
    assert result.returncode == 1, (
        f"exit {result.returncode}\nstdout: {result.stdout}\nstderr: {result.stderr}"
    )
    assert result.stdout == ""
    assert result.stderr.endswith("\n") and result.stderr.count("\n") == 1, repr(result.stderr)
    line = result.stderr.rstrip("\n")
    assert line.startswith("error: ")
    assert "Traceback" not in line
    for fragment in fragments:
        assert fragment in line, f"{fragment!r} not in {line!r}"
    return line


def assert_usage_error(result: Any) -> None:
    assert result.returncode == 2, f"exit {result.returncode}\nstderr: {result.stderr}"
    assert result.stdout == ""
    assert "usage:" in result.stderr
    assert "Traceback" not in result.stderr


def run_many(socdesk: Any, calls: list[tuple[tuple[str, ...], dict[str, Any]]]) -> list[Any]:
    """Run independent commands side by side (they are refusals: none of them writes), results in order."""
    with ThreadPoolExecutor(max_workers=4) as pool:
        return list(pool.map(lambda call: socdesk(*call[0], **call[1]), calls))


def board(socdesk: Any, db: Path | None = None) -> dict[str, Any]:
    """Everything the database holds, through `socdesk export`, minus the export moment."""
    data = as_json(socdesk("export", db=db))
    assert data.pop("exported_at")
    return data


def seed(
    path: Path,
    *,
    people: Iterable[tuple[str, str]] = (),
    cards: Iterable[dict[str, Any]] = (),
    actor: str = "seed",
) -> list[Card]:
    """Create the database at ``path`` in-process, add people and cards, and close it again."""
    store = open_store(path, actor=actor, create=True)
    try:
        for handle, name in people:
            store.add_person(Person(handle=handle, name=name))
        return [store.add_card(CardDraft(**{"type": WorkType.OPERATIONS, **fields})) for fields in cards]
    finally:
        store.close()


def file_state(path: Path) -> dict[str, bytes | None]:
    """The database file and its WAL/SHM companions, byte for byte (None when absent)."""
    names = (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm"))
    return {p.name: (p.read_bytes() if p.exists() else None) for p in names}


# ------------------------------------------------------------------------------------------------ happy paths


def test_add_show_list_json_shapes_and_board_order(socdesk, db_path: Path) -> None:
    seed(db_path, people=[("alice", "Alice Analyst")])
    first = as_json(
        socdesk(
            "card",
            "add",
            "Triage phishing wave",
            "--type",
            "unplanned",
            "--priority",
            "high",
            "--kind",
            "detection",
            "--assignee",
            "alice",
            "--description",
            "Reported by finance.\nSecond line.",
            "--security",
            "--label",
            "phishing",
            "--label",
            "email",
            "--json",
        )
    )
    assert isinstance(first, dict)
    assert first.keys() >= CARD_FIELDS
    assert first["id"] >= 1 and first["version"] == 1
    assert first["title"] == "Triage phishing wave"
    assert first["type"] == "unplanned" and first["priority"] == "high" and first["kind"] == "detection"
    assert first["assignee"] == "alice" and first["security"] is True
    assert first["column"] == "Backlog"  # the default column
    assert first["labels"] == ["phishing", "email"]
    assert first["description"] == "Reported by finance.\nSecond line."
    assert first["created_at"] == first["updated_at"]
    assert datetime.fromisoformat(first["created_at"]).utcoffset() == timedelta(0)

    todo = as_json(
        socdesk("card", "add", "Tune EDR rule", "--type", "engineering", "--column", "To Do", "--json")
    )
    assert (todo["column"], todo["priority"], todo["kind"], todo["assignee"], todo["security"]) == (
        "To Do",
        "medium",
        "task",
        None,
        False,
    )
    text = ok(socdesk("card", "add", "Quarterly report", "--type", "business"))
    assert text.stdout.strip() == f"added card #{todo['id'] + 1} to Backlog"

    listed = as_json(socdesk("card", "list", "--json"))
    assert isinstance(listed, list) and all(c.keys() >= CARD_FIELDS for c in listed)
    # Board order: column by column, and a new card goes to the end of its column.
    assert [(c["column"], c["title"]) for c in listed] == [
        ("Backlog", "Triage phishing wave"),
        ("Backlog", "Quarterly report"),
        ("To Do", "Tune EDR rule"),
    ]
    assert listed[0] == first and listed[2] == todo

    shown = as_json(socdesk("card", "show", str(first["id"]), "--json"))
    assert shown == first
    human = ok(socdesk("card", "show", str(first["id"])))
    assert f"#{first['id']} Triage phishing wave" in human.stdout and "history:" in human.stdout

    assert [c["title"] for c in as_json(socdesk("card", "list", "--type", "engineering", "--json"))] == [
        "Tune EDR rule"
    ]
    assert [c["id"] for c in as_json(socdesk("card", "list", "--assignee", "alice", "--json"))] == [
        first["id"]
    ]

    columns = as_json(socdesk("column", "list", "--json"))
    assert [c["name"] for c in columns] == COLUMNS
    assert [(c["wip_limit"], c["count"]) for c in columns] == [(None, 2), (8, 1), (4, 0), (3, 0), (None, 0)]

    # A card moved in and a card added later both go to the end: the Backlog keeps arrival order.
    ok(socdesk("card", "move", str(todo["id"]), "--to", "Backlog"))
    ok(socdesk("card", "add", "Late arrival", "--type", "operations", "--column", "Backlog"))
    backlog = as_json(socdesk("card", "list", "--column", "Backlog", "--json"))
    assert [c["title"] for c in backlog] == [
        "Triage phishing wave",
        "Quarterly report",
        "Tune EDR rule",
        "Late arrival",
    ]
    positions = [c["position"] for c in backlog]
    assert positions == sorted(set(positions))


def test_edit_and_move_through_the_cli(socdesk, db_path: Path) -> None:
    (card,) = seed(
        db_path,
        people=[("alice", "Alice"), ("bob", "Bob")],
        cards=[{"title": "Hunt for beacons", "assignee": "alice", "labels": ("old",)}],
    )
    cid = str(card.id)
    edited = as_json(
        socdesk(
            "card",
            "edit",
            cid,
            "--title",
            "Hunt for C2 beacons",
            "--priority",
            "critical",
            "--assignee",
            "none",
            "--security",
            "--label",
            "c2",
            "--label",
            "hunt",
            "--json",
        )
    )
    assert edited["version"] == 2
    assert (
        edited["title"],
        edited["priority"],
        edited["assignee"],
        edited["security"],
        edited["labels"],
    ) == (
        "Hunt for C2 beacons",
        "critical",
        None,
        True,
        ["c2", "hunt"],
    )
    again = as_json(
        socdesk("card", "edit", cid, "--no-security", "--assignee", "bob", "--if-version", "2", "--json")
    )
    assert (again["security"], again["assignee"], again["version"]) == (False, "bob", 3)

    moved = ok(socdesk("card", "move", cid, "--to", "In Progress", "--if-version", "3"))
    assert moved.stdout.strip() == f"moved card #{cid} to In Progress"
    same = ok(socdesk("card", "move", cid, "--to", "In Progress"))
    assert "already in In Progress" in same.stdout
    shown = as_json(socdesk("card", "show", cid, "--json"))
    assert (shown["column"], shown["version"]) == ("In Progress", 4)
    assert shown["started_at"] is not None and shown["done_at"] is None

    log = as_json(socdesk("log", "--json"))
    assert [e["action"] for e in log[:3]] == ["card.move", "card.edit", "card.edit"]
    assert log[0]["meta"] == {"from": "Backlog", "to": "In Progress"}
    assert all(e["actor"] == "tester" for e in log[:3])

    ok(socdesk("card", "rm", cid, "--if-version", "4"))
    assert_error(socdesk("card", "show", cid), f"no card with id {cid}")
    assert as_json(socdesk("log", "--limit", "1", "--json"))[0]["action"] == "card.delete"


def test_db_and_user_flags_work_before_and_after_the_command(socdesk, db_path: Path, tmp_path: Path) -> None:
    other = tmp_path / "other" / "board.db"
    ok(socdesk("--db", str(other), "init"))
    ok(socdesk("card", "add", "After", "--type", "business", "--db", str(other), "--user", "carol"))
    ok(socdesk("--user", "bob", "--db", str(other), "card", "add", "Before", "--type", "operations"))
    ok(socdesk("card", "add", "Env user", "--type", "engineering", "--db", str(other), user="dave"))
    log = as_json(socdesk("log", "--json", "--db", str(other)))
    assert all(e.keys() >= EVENT_FIELDS for e in log)
    assert [(e["action"], e["actor"], e["after"]["title"]) for e in log] == [
        ("card.add", "dave", "Env user"),
        ("card.add", "bob", "Before"),
        ("card.add", "carol", "After"),
    ]
    assert not db_path.exists()  # --db won over SOCDESK_DB every time


def test_log_limit_returns_newest_first(socdesk, db_path: Path) -> None:
    seed(db_path, cards=[{"title": f"card {i}"} for i in range(4)])
    full = as_json(socdesk("log", "--json"))
    assert [e["after"]["title"] for e in full] == ["card 3", "card 2", "card 1", "card 0"]
    ids = [e["id"] for e in full]
    assert ids == sorted(ids, reverse=True) and len(set(ids)) == 4
    two = as_json(socdesk("log", "--limit", "2", "--json"))
    assert two == full[:2]
    assert all(e.keys() >= EVENT_FIELDS and e["actor"] == "seed" for e in two)


# ----------------------------------------------------------------------------------------------------- errors


def test_invalid_input_exits_1_with_one_error_line_and_writes_nothing(socdesk, db_path: Path) -> None:
    (card,) = seed(db_path, people=[("alice", "Alice")], cards=[{"title": "Existing"}])
    before = board(socdesk)
    cid = str(card.id)
    cases = [
        (("card", "add", "X", "--type", "sales"), ["type"]),
        (("card", "add", "X", "--type", "business", "--priority", "urgent"), ["priority"]),
        (("card", "add", "X", "--type", "business", "--kind", "epic"), ["kind"]),
        (("card", "add", "   ", "--type", "business"), ["title"]),
        (("card", "add", "X", "--type", "business", "--column", "Limbo"), ["Limbo"]),
        (("card", "add", "X", "--type", "business", "--assignee", "nobody"), ["nobody"]),
        (("card", "list", "--type", "sales"), ["type"]),
        (("card", "list", "--column", "Limbo"), ["Limbo"]),
        (("card", "show", "999"), ["999"]),
        (("card", "move", "999", "--to", "Done"), ["999"]),
        (("card", "move", cid, "--to", "Limbo"), ["Limbo"]),
        (("card", "edit", "999", "--title", "T"), ["999"]),
        (("card", "edit", cid), ["nothing to change"]),
        (("card", "edit", cid, "--priority", "urgent"), ["priority"]),
        (("card", "edit", cid, "--assignee", "nobody"), ["nobody"]),
        (("card", "rm", "999"), ["999"]),
        (("column", "limit", "Limbo", "3"), ["Limbo"]),
    ]
    results = run_many(socdesk, [(args, {}) for args, _ in cases])
    for (args, fragments), result in zip(cases, results, strict=True):
        try:
            assert_error(result, *fragments)
        except AssertionError as failure:
            raise AssertionError(f"socdesk {' '.join(args)}: {failure}") from None
    assert board(socdesk) == before


def test_usage_errors_exit_2_and_write_nothing(socdesk, db_path: Path) -> None:
    seed(db_path, cards=[{"title": "Existing"}])
    before = board(socdesk)
    calls: list[tuple[tuple[str, ...], dict[str, Any]]] = [
        (("card", "add", "No type given"), {}),
        (("card", "add", "--type", "business"), {}),
        (("frobnicate",), {}),
        (("card", "show", "abc"), {}),
        (("card", "move", "1"), {}),
        (("column", "limit", "In Progress", "0"), {}),
        (("log", "--limit", "zero"), {}),
    ]
    for result in run_many(socdesk, calls):
        assert_usage_error(result)
    assert board(socdesk) == before


def test_wip_limit_refusal_force_with_reason_and_limit_changes(socdesk, db_path: Path) -> None:
    cards = seed(
        db_path,
        cards=[{"title": f"active {i}", "column": "In Progress"} for i in range(4)]
        + [{"title": "waiting"}, {"title": "also waiting"}],
    )
    waiting, also_waiting = (str(c.id) for c in cards[4:])
    before = board(socdesk)

    add, move, lone_reason, no_reason = run_many(
        socdesk,
        [
            (("card", "add", "One too many", "--type", "unplanned", "--column", "In Progress"), {}),
            (("card", "move", waiting, "--to", "In Progress"), {}),
            (("card", "move", waiting, "--to", "In Progress", "--reason", "P1 incident"), {}),
            (("card", "move", waiting, "--to", "In Progress", "--force"), {}),
        ],
    )
    line = assert_error(add, "In Progress is at its WIP limit (4/4)")
    assert "--force" in line
    assert_error(move, "In Progress is at its WIP limit (4/4)")
    assert_error(lone_reason, "--reason", "--force")
    assert_error(no_reason, "needs a reason")
    assert board(socdesk) == before

    ok(
        socdesk(
            "card", "move", waiting, "--to", "In Progress", "--force", "--reason", "P1 incident", user="lead"
        )
    )
    newest = as_json(socdesk("log", "--limit", "1", "--json"))[0]
    assert (newest["action"], newest["actor"], newest["entity_id"]) == ("card.move", "lead", waiting)
    assert newest["meta"] == {
        "from": "Backlog",
        "to": "In Progress",
        "wip_override": {"column": "In Progress", "count": 4, "limit": 4},
        "reason": "P1 incident",
    }
    assert as_json(socdesk("card", "show", waiting, "--json"))["column"] == "In Progress"

    ok(socdesk("column", "limit", "In Progress", "none"))
    ok(socdesk("card", "move", also_waiting, "--to", "In Progress"))  # no limit: no force needed
    limited = ok(socdesk("column", "limit", "In Progress", "1"))
    assert limited.stdout.strip() == "In Progress: WIP limit 1"
    columns = {c["name"]: c for c in as_json(socdesk("column", "list", "--json"))}
    assert (columns["In Progress"]["wip_limit"], columns["In Progress"]["count"]) == (1, 6)
    assert_error(
        socdesk("card", "add", "Later", "--type", "business", "--column", "In Progress"),
        "In Progress is over its WIP limit (6/1)",
    )
    log = as_json(socdesk("log", "--limit", "3", "--json"))
    assert [e["action"] for e in log] == ["column.limit", "card.move", "column.limit"]
    assert [(e["before"]["wip_limit"], e["after"]["wip_limit"]) for e in log[::2]] == [(None, 1), (4, None)]
    assert "wip_override" not in (log[1]["meta"] or {})


def test_add_refuses_reason_without_force(socdesk, db_path: Path) -> None:
    # The contract pairs the two: a reason is only recorded for a forced entry, so a lone --reason
    # is a mistake the user should hear about (as `card move` already says), not be silently dropped.
    seed(db_path)
    before = board(socdesk)
    assert_error(socdesk("card", "add", "X", "--type", "business", "--reason", "because"), "--reason")
    assert board(socdesk) == before


def test_stale_if_version_is_refused_and_names_who_changed_it(socdesk, db_path: Path) -> None:
    (card,) = seed(db_path, cards=[{"title": "Rotate API keys"}])
    cid = str(card.id)
    assert (
        as_json(
            socdesk(
                "card",
                "edit",
                cid,
                "--title",
                "Rotate all API keys",
                "--if-version",
                "1",
                "--json",
                user="alice",
            )
        )["version"]
        == 2
    )
    before = board(socdesk)
    edit, move, rm = run_many(
        socdesk,
        [
            (("card", "edit", cid, "--title", "Mine", "--if-version", "1"), {"user": "bob"}),
            (("card", "move", cid, "--to", "To Do", "--if-version", "1"), {"user": "bob"}),
            (("card", "rm", cid, "--if-version", "1"), {"user": "bob"}),
        ],
    )
    line = assert_error(edit, f"card {cid} was changed by alice", "you had version 1", "now version 2")
    assert "reload" in line
    assert_error(move, "by alice", "you had version 1")
    assert_error(rm, "by alice", "you had version 1")
    assert board(socdesk) == before
    assert as_json(socdesk("card", "show", cid, "--json"))["title"] == "Rotate all API keys"


# -------------------------------------------------------------------------------------------- export / import


def test_export_import_round_trip(socdesk, db_path: Path, tmp_path: Path) -> None:
    cards = seed(
        db_path,
        people=[("alice", "Alice Analyst"), ("bob", "Bob Builder")],
        cards=[
            {"title": "Phish triage", "type": WorkType.UNPLANNED, "assignee": "alice", "labels": ("mail",)},
            {"title": "Sigma rules", "type": WorkType.ENGINEERING, "kind": "detection", "column": "To Do"},
            {"title": "Board report", "type": WorkType.BUSINESS, "security": True, "assignee": "bob"},
        ],
    )
    ok(socdesk("card", "move", str(cards[0].id), "--to", "In Progress"))
    ok(socdesk("column", "limit", "Review", "2"))
    original = board(socdesk)
    assert len(original["people"]) == 2 and len(original["cards"]) == 3

    exported = tmp_path / "out" / "export.json"
    exported.parent.mkdir()
    ok(socdesk("export", "--output", str(exported)))
    written = json.loads(exported.read_text(encoding="utf-8"))
    assert written["format"] == "socdesk-export"
    assert [f for f in os.listdir(exported.parent)] == ["export.json"]  # no temp file left behind

    copy = tmp_path / "copy.db"
    done = ok(socdesk("import", str(exported), db=copy, user="restorer"))
    assert "imported 3 cards, 2 people" in done.stdout
    restored = board(socdesk, db=copy)
    for part in ("people", "columns", "cards", "format", "format_version"):
        assert restored[part] == original[part], part
    assert restored["events"][:-1] == original["events"]
    last = restored["events"][-1]
    assert (last["action"], last["actor"]) == ("database.import", "restorer")
    assert last["meta"]["cards"] == 3 and last["meta"]["people"] == 2
    assert as_json(socdesk("card", "list", "--json", db=copy)) == original["cards"]

    from_stdin = tmp_path / "stdin.db"
    ok(socdesk("import", "-", db=from_stdin, stdin=exported.read_text(encoding="utf-8")))
    assert board(socdesk, db=from_stdin)["cards"] == original["cards"]


def test_bad_imports_leave_the_target_untouched(socdesk, db_path: Path, tmp_path: Path) -> None:
    seed(db_path, people=[("alice", "Alice")], cards=[{"title": "Keep me", "assignee": "alice"}])
    good = as_json(socdesk("export"))
    source = tmp_path / "good.json"
    source.write_text(json.dumps(good), encoding="utf-8")

    unknown_type = json.loads(json.dumps(good))
    unknown_type["cards"][0]["type"] = "sales"
    unknown_column = json.loads(json.dumps(good))
    unknown_column["cards"][0]["column"] = "Limbo"
    bad_files = {
        "malformed": (json.dumps(good)[:-40], ["not valid JSON"]),
        "unknown_type": (json.dumps(unknown_type), ["type"]),
        "unknown_column": (json.dumps(unknown_column), ["Limbo"]),
        "not_an_export": (json.dumps([1, 2, 3]), ["import file"]),
    }

    empty_target = tmp_path / "empty.db"
    ok(socdesk("init", db=empty_target))
    empty_before = file_state(empty_target)
    non_empty_before = file_state(db_path)
    calls: list[tuple[tuple[str, ...], dict[str, Any]]] = []
    expected: list[list[str]] = []
    for name, (text, fragments) in bad_files.items():
        path = tmp_path / f"{name}.json"
        path.write_text(text, encoding="utf-8")
        calls += [(("import", str(path)), {"db": tmp_path / f"new-{name}.db"})]
        calls += [(("import", str(path)), {"db": empty_target})]
        expected += [fragments, fragments]
    calls.append((("import", str(source)), {}))  # a good file, but the target already holds data
    expected.append(["needs an empty database", "1 cards"])
    calls.append((("import", str(tmp_path / "no-such-file.json")), {"db": tmp_path / "never.db"}))
    expected.append(["cannot read"])

    for call, result, fragments in zip(calls, run_many(socdesk, calls), expected, strict=True):
        try:
            assert_error(result, *fragments)
        except AssertionError as failure:
            raise AssertionError(f"import {call}: {failure}") from None
    assert file_state(empty_target) == empty_before
    assert file_state(db_path) == non_empty_before
    # Targets that did not exist were not created, not even as -wal/-shm companions.
    assert sorted(p.name for p in tmp_path.iterdir() if ".db" in p.name) == ["empty.db", "team.db"]

    # The good file really is importable: the refusals above were about the files, not the targets.
    ok(socdesk("import", str(source), db=empty_target))
    assert [c["title"] for c in as_json(socdesk("card", "list", "--json", db=empty_target))] == ["Keep me"]


def test_init_sample_loads_a_realistic_board(socdesk, db_path: Path) -> None:
    if not sample_file().is_file():
        pytest.skip("sample_data/socdesk-sample.json is not written yet")
    done = ok(socdesk("init", "--sample"))
    assert "loaded sample data" in done.stdout and str(db_path) in done.stdout
    cards = as_json(socdesk("card", "list", "--json"))
    assert 35 <= len(cards) <= 50
    assert {c["type"] for c in cards} == {"business", "operations", "engineering", "unplanned"}
    assert {c["column"] for c in cards} == set(COLUMNS)
    assert len({c["id"] for c in cards}) == len(cards)
    assert all(c.keys() >= CARD_FIELDS for c in cards)


# --------------------------------------------------------------------------------------- refusals of the file


def test_text_file_as_db_is_refused_and_left_unchanged(socdesk, tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    content = "shift handover: nothing to report\n" * 50
    notes.write_text(content, encoding="utf-8")
    export = tmp_path / "export.json"
    export.write_text(
        json.dumps(
            {"exported_at": "2026-03-02T09:00:00+00:00", "columns": [{"name": "Backlog", "position": 0}]}
        ),
        encoding="utf-8",
    )
    commands: list[tuple[str, ...]] = [
        ("card", "list"),
        ("init",),
        ("card", "add", "X", "--type", "business"),
        ("log",),
        ("import", str(export)),
    ]
    for result in run_many(socdesk, [((*args, "--db", str(notes)), {}) for args in commands]):
        assert_error(result, "not an SQLite database")
    assert notes.read_text(encoding="utf-8") == content
    assert sorted(os.listdir(tmp_path)) == ["export.json", "notes.txt"]


def test_missing_database_is_refused_and_not_created(socdesk, db_path: Path, tmp_path: Path) -> None:
    nested = tmp_path / "not" / "there.db"
    calls: list[tuple[tuple[str, ...], dict[str, Any]]] = [
        (("card", "list"), {}),
        (("card", "add", "X", "--type", "business"), {}),
        (("log",), {}),
        (("card", "show", "1"), {}),
        (("column", "list"), {"db": nested}),
        (("export",), {"db": nested}),
    ]
    for result in run_many(socdesk, calls):
        assert_error(result, "no database at", "socdesk init")
    assert not db_path.exists()
    assert not nested.parent.exists()
    assert sorted(os.listdir(tmp_path)) == []


def test_non_ui_commands_do_not_import_textual(db_path: Path) -> None:
    seed(db_path, cards=[{"title": "Check imports"}])
    script = (
        "import json, sys, contextlib, io\n"
        "from socdesk.cli import main\n"
        "codes = []\n"
        "for argv in (['card', 'list', '--json'], ['card', 'show', '1'], ['log'], ['column', 'list'],"
        " ['export'], ['card', 'add', 'More', '--type', 'business']):\n"
        "    with contextlib.redirect_stdout(io.StringIO()):\n"
        "        codes.append(main(argv))\n"
        "print(json.dumps({'codes': codes, 'modules': sorted(sys.modules)}))\n"
    )
    env = {**os.environ, "SOCDESK_DB": str(db_path), "SOCDESK_USER": "tester"}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["codes"] == [0] * 6
    modules = set(report["modules"])
    assert "socdesk.store.sqlite_store" in modules  # the commands really ran against the store
    assert not {m for m in modules if m == "textual" or m.startswith("textual.")}
    assert not {m for m in modules if m.startswith("socdesk.ui")}
