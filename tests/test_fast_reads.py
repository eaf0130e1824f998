"""`log` and `card list --json` take a standard-library path; it must print exactly what the full CLI does.

Both paths run in this process on the same file, and their outputs are compared byte for byte; what
the fast path is not sure of (usage errors, unknown columns, text card lists, old schemas) it must
hand back to the full CLI rather than answer differently.
"""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from socdesk import cli, fast_reads
from socdesk.domain import CardDraft, CardPatch, FixedClock, Person, WorkType
from socdesk.entry import command_words
from socdesk.sample import load_sample
from socdesk.store import Store, open_store
from test_import_hygiene import modules_after_importing, roots


def full(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = cli.main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def fast(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int | None, str, str]:
    code = fast_reads.main(argv, command_words(argv))
    out, err = capsys.readouterr()
    return code, out, err


def same(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    quick = fast(argv, capsys)
    assert quick[0] is not None, f"the fast path handed {argv} back"
    assert quick == full(argv, capsys)
    return quick[1]


@pytest.fixture
def team(store: Store, clock: FixedClock) -> Store:
    load_sample(store)
    clock.advance(timedelta(seconds=1) - timedelta(microseconds=clock.now().microsecond))  # a .000000 time
    store.add_person(Person(handle="zoe", name="Zoë Ωmega"))
    card = store.add_card(
        CardDraft(title="Ünïcode “quotes” 🚨", type=WorkType.UNPLANNED, assignee="zoe", labels=("ioc", "β"))
    )
    store.edit_card(card.id, CardPatch(description="line 1\nline 2", security=True))
    store.move_card(card.id, "In Progress", force=True, reason="incident")
    return store


@pytest.mark.parametrize(
    "argv",
    [
        ["log"],
        ["log", "--limit", "7"],
        ["log", "--limit", "100000"],
        ["log", "--json"],
        ["log", "--limit", "3", "--json"],
        ["card", "list", "--json"],
        ["card", "list", "--json", "--column", "In Progress"],
        ["card", "list", "--column", " Done ", "--json"],
        ["card", "list", "--json", "--type", "unplanned"],
        ["card", "list", "--json", "--assignee", "zoe"],
        ["card", "list", "--json", "--assignee", "nobody"],
        ["card", "list", "--json", "--type", "business", "--column", "Backlog", "--assignee", "carol"],
    ],
)
def test_the_fast_path_prints_exactly_what_the_full_command_prints(
    team: Store, db_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    shown = same(["--db", str(db_path), *argv], capsys)
    assert shown.strip()
    assert same([*argv, "--db", str(db_path), "--user", "someone"], capsys) == shown


@pytest.mark.parametrize(
    "argv",
    [
        ["log", "--limit", "0"],
        ["log", "--limit", "many"],
        ["log", "--since", "yesterday"],
        ["log", "--help"],
        ["card", "list"],  # the text table: the full CLI draws it
        ["card", "list", "--json", "--column", "Nope"],
        ["card", "list", "--json", "--type", "U"],
        ["card", "show", "1"],
        ["card", "list", "--json", "--colour", "red"],
    ],
)
def test_what_the_fast_path_is_not_sure_of_goes_to_the_full_cli(
    team: Store, db_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    assert fast(["--db", str(db_path), *argv], capsys) == (None, "", "")


def test_a_database_that_needs_upgrading_goes_to_the_full_cli(
    db_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with sqlite3.connect(db_path):
        pass  # an empty SQLite file: every migration is pending
    assert fast(["--db", str(db_path), "log"], capsys) == (None, "", "")


@pytest.mark.parametrize("content", [b"not a database\n", b"SQLite format 3\x00" + b"\x00" * 84])
def test_refusals_of_the_file_are_worded_as_the_full_cli_words_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes
) -> None:
    path = tmp_path / "odd.db"
    path.write_bytes(content)
    for argv in (["--db", str(path), "log"], ["--db", str(path), "card", "list", "--json"]):
        quick = fast(argv, capsys)
        if quick[0] is None:  # what it cannot judge, the full CLI judges
            continue
        assert quick == full(argv, capsys)
        assert quick[0] == 1 and quick[2].startswith("error: ")
    assert path.read_bytes() == content


def test_a_missing_database_is_refused_the_same_way(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["--db", str(tmp_path / "none.db"), "log"]
    assert fast(argv, capsys) == full(argv, capsys)
    assert not (tmp_path / "none.db").exists()


def test_the_fast_path_imports_neither_pydantic_nor_textual() -> None:
    loaded = roots(modules_after_importing("socdesk.fast_reads", "socdesk.textfmt", "socdesk.entry"))
    assert "socdesk" in loaded
    assert not {"pydantic", "textual", "sqlite_utils"} & loaded


titles = st.text(st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"]), min_size=1, max_size=40)


@given(
    cards=st.lists(
        st.tuples(titles, st.sampled_from(list(WorkType)), st.sampled_from(["Backlog", "To Do", "Done"])),
        min_size=1,
        max_size=8,
    ),
    micros=st.integers(0, 999_999),
)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_any_cards_and_their_events_read_the_same_both_ways(
    tmp_path_factory: pytest.TempPathFactory,
    capsys: pytest.CaptureFixture[str],
    cards: list[tuple[str, WorkType, str]],
    micros: int,
) -> None:
    path = tmp_path_factory.mktemp("fast") / "team.db"
    clock = FixedClock(fast_reads.datetime(2026, 3, 2, 9, 0, 0, micros, tzinfo=fast_reads.UTC))
    store = open_store(path, actor="alice", clock=clock, create=True)
    try:
        for title, work_type, column in cards:
            store.set_wip_limit("To Do", None)
            store.add_card(CardDraft(title=title, type=work_type, column=column))
            clock.advance(timedelta(microseconds=micros + 1))
    finally:
        store.close()
    for argv in (["log", "--json"], ["log"], ["card", "list", "--json"]):
        same(["--db", str(path), *argv], capsys)
