"""`socdesk retro ...` and `socdesk report mix` as scripts and facilitators see them.

Commands run in-process through ``main`` against a real SQLite file, with the store's clock replaced by
the test's ``FixedClock`` (``socdesk.cli.open_store`` is wrapped), so dates and timers are exact. The
clock starts on Mon 2026-03-02 09:00 UTC; the team's zone is the agenda's (UTC unless a test sets
it). Every refusal is checked to change nothing: not the event log, not a retro, not the board. One
test runs the real `socdesk` command in a subprocess to hold the entry point and the error contract.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from socdesk import cli
from socdesk.domain import FixedClock
from socdesk.domain.errors import InvalidInput
from socdesk.domain.handshake import Agenda
from socdesk.domain.mix import PERIOD_MAX_DAYS
from socdesk.domain.models import CardDraft, Person, WorkType
from socdesk.domain.retro import Phase, RetroDraft, TimerKind
from socdesk.mix_review import review_mix
from socdesk.store import Store, open_store

STATUS_KEYS = {
    "open",
    "retro_id",
    "title",
    "phase",
    "phase_heading",
    "facilitator",
    "period",
    "anonymous",
    "notes_hidden",
    "vote_budget",
    "votes_used",
    "votes_left",
    "timer",
    "counts",
}
NOTE_KEYS = {"id", "retro_id", "column", "text", "author", "theme_id", "version"}
VOTE_KEYS = {
    "vote_id",
    "taken_back",
    "note_id",
    "theme_id",
    "votes_on_target",
    "your_votes_on_target",
    "vote_budget",
    "votes_used",
    "votes_left",
}
ACTION_KEYS = {"id", "retro_id", "text", "owner", "due", "type", "card_id", "created_by", "created_at"}


@dataclass
class Run:
    code: int
    out: str
    err: str


# -------------------------------------------------------------------------------------------- fixtures


@pytest.fixture
def minutes_dir(tmp_path: Path) -> Path:
    return tmp_path / "minutes"


@pytest.fixture
def config_file(tmp_path: Path, minutes_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """SOCDESK_CONFIG always points into tmp_path: nothing is ever written to the real home."""
    path = tmp_path / "config.toml"
    path.write_text(f'[handshake]\nminutes_dir = "{minutes_dir}"\n', encoding="utf-8")
    monkeypatch.setenv("SOCDESK_CONFIG", str(path))
    return path


@pytest.fixture
def sd(
    store: Store,
    db_path: Path,
    clock: FixedClock,
    config_file: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> Any:
    """``sd("retro", "status")``: run the CLI in-process on the test's clock, as alice unless ``user``."""
    real_open = cli.open_store

    def open_on_test_clock(path: Path, **kwargs: Any) -> Store:
        return real_open(path, **{**kwargs, "clock": clock})

    monkeypatch.setattr(cli, "open_store", open_on_test_clock)
    monkeypatch.setenv("SOCDESK_USER", "alice")
    monkeypatch.delenv("SOCDESK_DB", raising=False)
    for handle, name in (("bob", "Bob Analyst"), ("erin", "Erin Engineer")):
        store.add_person(Person(handle=handle, name=name))

    def run(*args: str, user: str | None = None) -> Run:
        capsys.readouterr()
        argv = [*args, "--db", str(db_path), *(["--user", user] if user else [])]
        try:
            code = cli.main(argv)
        except SystemExit as exit_:  # argparse: usage errors
            code = int(exit_.code or 0)
        captured = capsys.readouterr()
        return Run(code, captured.out, captured.err)

    return run


def ok(result: Run) -> Run:
    assert result.code == 0, f"exit {result.code}\nstdout: {result.out}\nstderr: {result.err}"
    return result


def as_json(result: Run) -> Any:
    return json.loads(ok(result).out)


def refused(result: Run, *fragments: str) -> str:
    """Exit 1, nothing on stdout, one `error:` line on stderr naming the problem."""
    assert result.code == 1, f"exit {result.code}\nstdout: {result.out}\nstderr: {result.err}"
    assert result.out == ""
    assert result.err.endswith("\n") and result.err.count("\n") == 1, repr(result.err)
    line = result.err.rstrip("\n")
    assert line.startswith("error: ")
    for fragment in fragments:
        assert fragment in line, f"{fragment!r} not in {line!r}"
    return line


def unchanged(store: Store) -> Any:
    """What a refusal must leave alone: the event log, every retro with all in it, the board."""
    return (
        store.last_event_id(),
        [store.get_retro(r.id) for r in store.list_retros()],
        store.list_cards(),
    )


def assert_refused(
    sd: Any, store: Store, args: tuple[str, ...], *fragments: str, user: str | None = None
) -> None:
    before = unchanged(store)
    refused(sd(*args, user=user), *fragments)
    assert unchanged(store) == before, args


def in_phase(sd: Any, phase: str, *, notes: int = 0) -> None:
    """A retro by alice moved to ``phase``, with ``notes`` notes written on the way (bob's)."""
    ok(sd("retro", "start", "March retro"))
    ok(sd("retro", "phase", "write"))
    for n in range(notes):
        ok(sd("retro", "note", "add", "well", f"note {n + 1}", user="bob"))
    if phase != "write":
        ok(sd("retro", "phase", phase))


# ---------------------------------------------------------------------------------------------- start


def test_start_defaults_to_the_28_days_ending_today_and_the_starter_facilitates(sd: Any) -> None:
    result = ok(sd("retro", "start", "March retro"))
    assert result.out.splitlines() == [
        "retro 1 “March retro” started by alice for 2026-02-03 to 2026-03-02:"
        " 3 votes each, notes hidden until the group phase",
        "retro 1 is in the objectives phase: agree the objectives and look at last retro's actions",
    ]
    data = as_json(sd("retro", "status", "--json"))
    assert set(data) == STATUS_KEYS
    assert data["period"] == {"from": "2026-02-03", "to": "2026-03-02"}
    assert (data["facilitator"], data["phase"], data["vote_budget"]) == ("alice", "objectives", 3)
    assert (data["anonymous"], data["notes_hidden"]) == (False, True)


def test_today_is_the_teams_day(sd: Any, store: Store, clock: FixedClock) -> None:
    store.set_agenda(Agenda(tz="Pacific/Auckland"))
    clock.set(datetime(2026, 3, 1, 20, 0, tzinfo=UTC))  # already Monday 09:00 in Auckland
    ok(sd("retro", "start", "March retro"))
    retro = store.get_retro().retro
    assert (retro.period_from, retro.period_to) == (date(2026, 2, 3), date(2026, 3, 2))


def test_start_with_every_option(sd: Any, store: Store) -> None:
    data = as_json(
        sd(
            "retro",
            "start",
            "Q1 retro",
            "--from",
            "2026-01-01",
            "--to",
            "2026-03-31",
            "--votes",
            "5",
            "--anonymous",
            "--objectives",
            "Why so much unplanned work?",
            "--show-notes",
            "--json",
        )
    )
    assert set(data) == STATUS_KEYS
    assert data["period"] == {"from": "2026-01-01", "to": "2026-03-31"}
    assert (data["vote_budget"], data["votes_left"], data["anonymous"], data["notes_hidden"]) == (
        5,
        5,
        True,
        False,
    )
    retro = store.get_retro().retro
    assert (retro.objectives, retro.hide_notes, retro.facilitator) == (
        "Why so much unplanned work?",
        False,
        "alice",
    )


def test_one_end_of_the_period_gives_the_other(sd: Any, store: Store) -> None:
    ok(sd("retro", "start", "To only", "--to", "2026-02-28"))
    retro = store.get_retro().retro
    assert (retro.period_from, retro.period_to) == (date(2026, 2, 1), date(2026, 2, 28))
    ok(sd("retro", "phase", "closed"))
    ok(sd("retro", "start", "From only", "--from", "2026-02-20"))
    retro = store.get_retro().retro
    assert (retro.period_from, retro.period_to) == (date(2026, 2, 20), date(2026, 3, 2))


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (("--from", "2026-02-30"), ("--from '2026-02-30'", "YYYY-MM-DD")),
        (("--to", "yesterday"), ("--to 'yesterday'", "YYYY-MM-DD")),
        (
            ("--from", "2026-03-10", "--to", "2026-03-01"),
            ("ends (2026-03-01) before it starts (2026-03-10)",),
        ),
        (("--from", "2024-01-01", "--to", "2026-01-01"), ("at most 366 days",)),
        (("--votes", "0"), ("vote_budget",)),
        (("--votes", "21"), ("vote_budget",)),
    ],
)
def test_bad_start_options_are_refused(
    sd: Any, store: Store, args: tuple[str, ...], fragments: tuple[str, ...]
) -> None:
    assert_refused(sd, store, ("retro", "start", "March retro", *args), *fragments)
    assert store.list_retros() == []


def test_an_empty_title_and_a_second_open_retro_are_refused(sd: Any, store: Store) -> None:
    assert_refused(sd, store, ("retro", "start", "   "), "invalid retro", "title")
    ok(sd("retro", "start", "March retro"))
    assert_refused(sd, store, ("retro", "start", "Another", "--user", "bob"), "retro 1", "still open")


# ---------------------------------------------------------------------------------------------- notes


def test_note_add_in_text_and_json(sd: Any, store: Store) -> None:
    in_phase(sd, "write")
    assert ok(sd("retro", "note", "add", "well", "Pager noise is down")).out == (
        "note #1 added to “What went well” in retro 1; others see it from the group phase on\n"
    )
    data = as_json(sd("retro", "note", "add", "not-well", "VPN logs missing", "--json", user="bob"))
    assert data == {
        "id": 2,
        "retro_id": 1,
        "column": "not-well",
        "text": "VPN logs missing",
        "author": "bob",
        "theme_id": None,
        "version": 1,
    }
    ok(sd("retro", "phase", "group"))
    assert ok(sd("retro", "note", "add", "IMPROVE", "Pair on detections")).out == (
        "note #3 added to “What can be improved” in retro 1\n"
    )
    assert [n.column.value for n in store.get_retro().notes] == ["well", "not-well", "improve"]


def test_a_note_in_an_anonymous_retro_has_no_author(sd: Any, store: Store) -> None:
    ok(sd("retro", "start", "March retro", "--anonymous"))
    ok(sd("retro", "phase", "write"))
    data = as_json(sd("retro", "note", "add", "well", "Calm week", "--json", user="bob"))
    assert set(data) == NOTE_KEYS and data["author"] is None
    assert store.get_retro().notes[0].author is None


def test_bad_notes_are_refused(sd: Any, store: Store) -> None:
    ok(sd("retro", "start", "March retro"))
    assert_refused(
        sd, store, ("retro", "note", "add", "well", "too early"), "write or group phase", "objectives"
    )
    ok(sd("retro", "phase", "write"))
    assert_refused(sd, store, ("retro", "note", "add", "meh", "text"), "unknown column 'meh'", "not-well")
    assert_refused(sd, store, ("retro", "note", "add", "well", "  "), "invalid note", "text")
    assert_refused(sd, store, ("retro", "note", "add", "well", "x" * 501), "invalid note", "500")


def test_a_note_needs_an_open_retro(sd: Any, store: Store) -> None:
    assert_refused(sd, store, ("retro", "note", "add", "well", "hello"), "no retro is open")


# ---------------------------------------------------------------------------------------------- themes


def test_theme_add_groups_notes(sd: Any, store: Store) -> None:
    in_phase(sd, "group", notes=3)
    assert ok(sd("retro", "theme", "add", "Logging", "1", "3")).out == (
        "theme #1 “Logging” with 2 notes: #1, #3\n"
    )
    data = as_json(sd("retro", "theme", "add", "Incidents", "2", "--json"))
    assert data == {"id": 2, "retro_id": 1, "name": "Incidents", "version": 1, "note_ids": [2]}
    assert [n.theme_id for n in store.get_retro().notes] == [1, 2, 1]


def test_bad_themes_are_refused(sd: Any, store: Store) -> None:
    in_phase(sd, "write", notes=2)
    assert_refused(sd, store, ("retro", "theme", "add", "Logging", "1"), "group phase", "write")
    ok(sd("retro", "phase", "group"))
    assert_refused(sd, store, ("retro", "theme", "add", "Logging", "1", "9"), "no note #9")
    ok(sd("retro", "theme", "add", "Logging", "1"))
    assert_refused(sd, store, ("retro", "theme", "add", "logging", "2"), "already has a theme named")


# ---------------------------------------------------------------------------------------------- votes


def test_votes_spend_and_return_the_budget(sd: Any, store: Store) -> None:
    in_phase(sd, "group", notes=2)
    ok(sd("retro", "theme", "add", "Logging", "2"))
    ok(sd("retro", "phase", "vote"))
    assert ok(sd("retro", "vote", "1")).out == "voted for note #1: 2 of 3 votes left\n"
    data = as_json(sd("retro", "vote", "1", "--json"))
    assert data == {
        "vote_id": 2,
        "taken_back": False,
        "note_id": 1,
        "theme_id": None,
        "votes_on_target": 2,
        "your_votes_on_target": 2,
        "vote_budget": 3,
        "votes_used": 2,
        "votes_left": 1,
    }
    assert ok(sd("retro", "vote", "1", "--theme")).out == "voted for theme #1: 0 of 3 votes left\n"
    assert_refused(sd, store, ("retro", "vote", "2"), "used all 3 of your votes")
    # Bob's budget is his own.
    assert as_json(sd("retro", "vote", "1", "--json", user="bob"))["votes_on_target"] == 3
    assert ok(sd("retro", "unvote", "1")).out == "took back a vote from note #1: 1 of 3 votes left\n"
    data = as_json(sd("retro", "unvote", "1", "--theme", "--json"))
    assert set(data) == VOTE_KEYS
    assert (data["taken_back"], data["theme_id"], data["votes_on_target"], data["votes_left"]) == (
        True,
        1,
        0,
        2,
    )
    assert as_json(sd("retro", "status", "--json"))["votes_left"] == 2
    assert as_json(sd("retro", "status", "--json", user="bob"))["votes_left"] == 2


def test_bad_votes_are_refused(sd: Any, store: Store) -> None:
    in_phase(sd, "group", notes=1)
    assert_refused(sd, store, ("retro", "vote", "1"), "vote phase", "group")
    ok(sd("retro", "phase", "vote"))
    assert_refused(sd, store, ("retro", "vote", "7"), "no note #7")
    assert_refused(sd, store, ("retro", "vote", "1", "--theme"), "no theme #1")
    assert_refused(sd, store, ("retro", "unvote", "1"), "no vote on note #1")


# ---------------------------------------------------------------------------------------------- phases


def test_phase_moves_the_retro_on(sd: Any, store: Store) -> None:
    ok(sd("retro", "start", "March retro"))
    assert ok(sd("retro", "phase", "write")).out == (
        "retro 1 is in the write phase: add notes: `socdesk retro note add {well|not-well|improve} TEXT`\n"
    )
    assert ok(sd("retro", "phase", "Write")).out == "retro 1 is already in the write phase\n"
    ok(sd("retro", "phase", "vote"))
    ok(sd("retro", "phase", "group"))  # going back is allowed
    assert store.get_retro().retro.phase is Phase.GROUP


def test_bad_phase_moves_are_refused(sd: Any, store: Store) -> None:
    assert_refused(sd, store, ("retro", "phase", "write"), "no retro is open")
    ok(sd("retro", "start", "March retro"))
    assert_refused(sd, store, ("retro", "phase", "brainstorm"), "unknown phase 'brainstorm'", "objectives")
    assert_refused(sd, store, ("retro", "phase", "write"), "only the facilitator (alice)", user="bob")
    assert_refused(sd, store, ("retro", "phase", "vote", "--notes", "x"), "closing notes")


def test_closing_writes_the_summary_to_the_minutes_dir(sd: Any, store: Store, minutes_dir: Path) -> None:
    in_phase(sd, "write", notes=2)
    result = ok(sd("retro", "phase", "closed", "--notes", "Good session"))
    path = minutes_dir / "retro-1-2026-03-02.md"
    assert result.out.splitlines() == ["retro 1 closed", f"summary written to {path}"]
    assert result.err == ""
    assert path.read_text(encoding="utf-8") == ok(sd("retro", "summary", "1")).out
    text = path.read_text(encoding="utf-8")
    assert "## Closing notes\n\nGood session\n" in text
    assert "- note 1 (0 votes)" in text
    assert store.get_retro().retro.closing_notes == "Good session"
    assert as_json(sd("retro", "status", "--json"))["open"] is False


def test_a_broken_config_refuses_closing_before_touching_the_retro(
    sd: Any, store: Store, config_file: Path
) -> None:
    ok(sd("retro", "start", "March retro"))
    config_file.write_text("[handshake]\nminutes_dir = 3\n", encoding="utf-8")
    assert_refused(sd, store, ("retro", "phase", "closed"), "minutes_dir")
    assert store.get_retro().retro.open


def test_an_unwritable_minutes_dir_warns_and_the_retro_still_closes(
    sd: Any, store: Store, minutes_dir: Path
) -> None:
    ok(sd("retro", "start", "March retro"))
    minutes_dir.parent.mkdir(parents=True, exist_ok=True)
    minutes_dir.write_text("a file where the directory should be", encoding="utf-8")
    result = ok(sd("retro", "phase", "closed"))
    assert result.out == "retro 1 closed\n"
    assert result.err.startswith("warning: could not write the summary to")
    assert "`socdesk retro summary 1` prints it" in result.err
    assert not store.get_retro().retro.open


def test_a_summary_without_a_work_mix_warns_and_says_so(
    sd: Any, store: Store, minutes_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import socdesk.mix_review

    def no_mix(*args: Any, **kwargs: Any) -> Any:
        raise InvalidInput("a period covers at most 366 days")

    ok(sd("retro", "start", "March retro"))
    monkeypatch.setattr(socdesk.mix_review, "review_mix", no_mix)
    result = ok(sd("retro", "phase", "closed"))
    assert result.err == "warning: the summary has no work mix: a period covers at most 366 days\n"
    assert "## Work mix\n\nNot available.\n" in (minutes_dir / "retro-1-2026-03-02.md").read_text("utf-8")


# ---------------------------------------------------------------------------------------------- actions


def test_action_add_puts_a_linked_card_on_the_board(sd: Any, store: Store) -> None:
    in_phase(sd, "actions")
    text = ok(
        sd("retro", "action", "add", "Automate the VPN log check", "--owner", "erin", "--due", "2026-03-16")
    )
    assert text.out == (
        "action #1 “Automate the VPN log check” for erin, due 2026-03-16, put on the board as card #1"
        " (engineering)\n"
    )
    data = as_json(
        sd(
            "retro",
            "action",
            "add",
            "Weekend P1 rota",
            "--owner",
            "bob",
            "--due",
            "2026-03-09",
            "--type",
            "operations",
            "--json",
        )
    )
    assert set(data) == ACTION_KEYS
    assert {k: data[k] for k in ("id", "text", "owner", "due", "type", "card_id", "created_by")} == {
        "id": 2,
        "text": "Weekend P1 rota",
        "owner": "bob",
        "due": "2026-03-09",
        "type": "operations",
        "card_id": 2,
        "created_by": "alice",
    }
    card = store.get_card(2)
    assert (card.title, card.type, card.assignee, card.labels) == (
        "Weekend P1 rota",
        WorkType.OPERATIONS,
        "bob",
        ("retro-1",),
    )


def test_bad_actions_are_refused(sd: Any, store: Store) -> None:
    in_phase(sd, "vote")
    add = ("retro", "action", "add", "Do it")
    assert_refused(sd, store, (*add, "--owner", "erin", "--due", "2026-03-16"), "discuss or actions phase")
    ok(sd("retro", "phase", "actions"))
    assert_refused(sd, store, (*add, "--owner", "zed", "--due", "2026-03-16"), "no person with handle 'zed'")
    assert_refused(
        sd, store, (*add, "--owner", "erin", "--due", "16/03/2026"), "--due '16/03/2026'", "YYYY-MM-DD"
    )
    assert_refused(
        sd, store, (*add, "--owner", "erin", "--due", "2026-03-01"), "in the past", "today is 2026-03-02"
    )
    assert_refused(
        sd,
        store,
        (*add, "--owner", "erin", "--due", "2026-03-16", "--type", "chores"),
        "invalid action",
        "type",
    )
    assert_refused(
        sd, store, ("retro", "action", "add", " ", "--owner", "erin", "--due", "2026-03-16"), "invalid action"
    )


# ---------------------------------------------------------------------------------------------- summary


def test_summary_of_the_latest_or_a_given_retro_as_markdown_or_json(
    sd: Any, store: Store, tmp_path: Path
) -> None:
    assert_refused(sd, store, ("retro", "summary"), "no retro has been held yet")
    in_phase(sd, "write", notes=1)
    ok(sd("retro", "phase", "closed"))
    ok(sd("retro", "start", "April retro", "--from", "2026-03-01", "--to", "2026-03-02"))
    latest = ok(sd("retro", "summary")).out
    assert latest.startswith("# Retro 2: April retro\n")
    assert ok(sd("retro", "summary", "1")).out.startswith("# Retro 1: March retro\n")
    data = as_json(sd("retro", "summary", "1", "--format", "json"))
    assert (data["retro_id"], data["phase"], data["facilitator"]) == (1, "closed", "alice")
    assert [c["count"] for c in data["columns"]] == [1, 0, 0]
    assert data["mix"]["period_from"] == "2026-02-03"
    target = tmp_path / "out.md"
    result = ok(sd("retro", "summary", "2", "--output", str(target)))
    assert (result.out, result.err) == ("", f"summary of retro 2 written to {target}\n")
    assert target.read_text(encoding="utf-8") == latest
    assert_refused(sd, store, ("retro", "summary", "9"), "no retro with id 9")
    assert_refused(
        sd, store, ("retro", "summary", "1", "-o", str(tmp_path / "no" / "dir" / "x.md")), "cannot write"
    )


def test_the_summary_of_an_open_retro_hides_notes_while_they_are_hidden(sd: Any) -> None:
    in_phase(sd, "write", notes=2)
    text = ok(sd("retro", "summary")).out
    assert "note 1" not in text and "2 notes, hidden until the group phase." in text
    data = as_json(sd("retro", "summary", "--format", "json"))
    assert "note 1" not in json.dumps(data) and data["columns"][0]["count"] == 2


# ---------------------------------------------------------------------------------------------- status


def test_status_with_no_retro_has_every_key(sd: Any) -> None:
    assert ok(sd("retro", "status")).out == "no retro is open: start one with `socdesk retro start TITLE`\n"
    data = as_json(sd("retro", "status", "--json"))
    assert set(data) == STATUS_KEYS
    assert data["open"] is False
    assert all(data[k] is None for k in STATUS_KEYS - {"open"})


def test_status_shows_phase_timer_counts_and_your_votes(sd: Any, store: Store, clock: FixedClock) -> None:
    in_phase(sd, "group", notes=3)
    ok(sd("retro", "note", "add", "improve", "Pair on detections"))
    ok(sd("retro", "theme", "add", "Logging", "1", "2"))
    ok(sd("retro", "phase", "vote"))
    ok(sd("retro", "vote", "1"))
    store.retro_timer(TimerKind.START, minutes=5)
    clock.advance(timedelta(minutes=2, seconds=10))
    data = as_json(sd("retro", "status", "--json"))
    assert data["timer"] == {
        "allowance_seconds": 300,
        "used_seconds": 130,
        "remaining_seconds": 170,
        "overrun": None,
        "paused": False,
    }
    assert data["counts"] == {
        "notes": 4,
        "notes_per_column": {"well": 3, "not-well": 0, "improve": 1},
        "themes": 1,
        "votes": 1,
        "actions": 0,
    }
    assert (data["votes_used"], data["votes_left"], data["notes_hidden"]) == (1, 2, False)
    assert ok(sd("retro", "status")).out.splitlines() == [
        "retro 1 “March retro” · phase vote (Vote) · 02:50 left",
        "  period    2026-02-03 to 2026-03-02; facilitator alice",
        "  notes     4 (well 3, not-well 0, improve 1); 1 theme",
        "  votes     2 of your 3 left; 1 cast in all",
        "  actions   0",
        "  next      vote: `socdesk retro vote NOTE_ID` (--theme for a theme)",
    ]
    clock.advance(timedelta(minutes=4))
    store.retro_timer(TimerKind.PAUSE)
    data = as_json(sd("retro", "status", "--json", user="bob"))
    assert data["timer"]["remaining_seconds"] == -70
    assert data["timer"]["overrun"] == "+01:10"
    assert data["timer"]["paused"] is True
    assert data["votes_left"] == 3
    assert "01:10 over PAUSED" in ok(sd("retro", "status")).out.splitlines()[0]


# ---------------------------------------------------------------------------------------------- report mix


def board(store: Store, clock: FixedClock) -> None:
    """Two cards done last week (one unplanned), straight from the backlog: 0 h cycle, 6 h lead; one not."""
    for day, title, work_type, done in (
        (23, "VPN outage", WorkType.UNPLANNED, True),
        (24, "Sigma rules in CI", WorkType.ENGINEERING, True),
        (25, "Patch the DCs", WorkType.OPERATIONS, False),
    ):
        clock.set(datetime(2026, 2, day, 9, tzinfo=UTC))
        card = store.add_card(CardDraft(title=title, type=work_type))
        if done:
            clock.set(datetime(2026, 2, day, 15, tzinfo=UTC))
            store.move_card(card.id, "Done")
    clock.set(datetime(2026, 3, 2, 9, tzinfo=UTC))


def test_report_mix_in_three_formats(sd: Any, store: Store, clock: FixedClock) -> None:
    board(store, clock)
    period = ("--from", "2026-02-23", "--to", "2026-03-01")
    table = ok(sd("report", "mix", *period)).out
    assert table.splitlines()[:4] == [
        "Work mix 2026-02-23 to 2026-03-01",
        "7 days in UTC; previous period 2026-02-16 to 2026-02-22; as of 2026-03-02 09:00 UTC.",
        "Unplanned: 50% of the work done (nothing was done in the previous period).",
        "Throughput: 2 cards done in 7 days, 2 a week; 3 created.",
    ]
    row = next(line for line in table.splitlines() if line.startswith("unplanned "))
    assert re.split(r"\s{2,}", row) == ["unplanned", "1", "1", "50%", "33.3%", "0 h", "6 h"]
    md = ok(sd("report", "mix", *period, "--format", "md")).out
    assert "| unplanned | 1 | 1 | 50% | 33.3% | 0 h | 6 h |" in md
    assert md.startswith("# Work mix 2026-02-23 to 2026-03-01\n")
    data = as_json(sd("report", "mix", *period, "--format", "json"))
    assert (data["created"], data["done"], data["unplanned_share"], data["unplanned_change_pp"]) == (
        3,
        2,
        0.5,
        None,
    )
    assert data["throughput_per_week"] == 2.0
    assert [w["throughput"] for w in data["weeks"]] == [2]


def test_report_mix_defaults_to_the_28_days_ending_today(sd: Any, store: Store, clock: FixedClock) -> None:
    board(store, clock)
    data = as_json(sd("report", "mix", "--format", "json"))
    assert (data["period_from"], data["period_to"], data["days"]) == ("2026-02-03", "2026-03-02", 28)
    assert data["done"] == 2
    assert (
        as_json(sd("report", "mix", "--to", "2026-02-28", "--format", "json"))["period_from"] == "2026-02-01"
    )


def test_bad_report_periods_are_refused(sd: Any, store: Store) -> None:
    assert_refused(sd, store, ("report", "mix", "--from", "2026-02-31"), "--from '2026-02-31'", "YYYY-MM-DD")
    assert_refused(
        sd, store, ("report", "mix", "--from", "2026-03-02", "--to", "2026-03-01"), "before it starts"
    )
    assert_refused(
        sd,
        store,
        ("report", "mix", "--from", "2025-01-01", "--to", "2026-03-01"),
        f"at most {PERIOD_MAX_DAYS} days",
    )


# ---------------------------------------------------------------------------------------------- usage


def test_usage_errors_exit_2(sd: Any) -> None:
    for args in (
        ("retro",),
        ("retro", "note"),
        ("retro", "note", "add", "well"),
        ("retro", "theme", "add", "Logging"),
        ("retro", "vote", "abc"),
        ("retro", "vote", "0"),
        ("retro", "start", "X", "--votes", "many"),
        ("retro", "summary", "--format", "pdf"),
        ("retro", "action", "add", "Do it", "--owner", "erin"),
        ("report",),
        ("report", "mix", "--format", "xml"),
    ):
        assert sd(*args).code == 2, args


def test_help_lists_every_retro_and_report_command(sd: Any) -> None:
    retro = sd("retro", "--help").out
    for name in ("start", "note", "vote", "unvote", "theme", "phase", "action", "summary", "status"):
        assert f"    {name} " in retro, name
    assert "28 days ending today" in sd("report", "mix", "--help").out


# ------------------------------------------------------------------------------------ the real command


def test_the_real_command_runs_a_retro_and_keeps_the_error_contract(socdesk: Any, db_path: Path) -> None:
    seeded = open_store(db_path, actor="seed", create=True)
    seeded.close()
    started = socdesk(
        "retro", "start", "Real retro", "--from", "2026-01-01", "--to", "2026-01-28", user="carol"
    )
    assert started.returncode == 0, started.stderr
    assert "started by carol for 2026-01-01 to 2026-01-28" in started.stdout
    refused_ = socdesk("retro", "phase", "write", user="dave")
    assert (refused_.returncode, refused_.stdout) == (1, "")
    assert refused_.stderr == "error: only the facilitator (carol) moves the retro from phase to phase\n"
    assert socdesk("retro", "phase", "write", user="carol").returncode == 0
    note = json.loads(socdesk("retro", "note", "add", "well", "Calm week", "--json", user="dave").stdout)
    assert (note["id"], note["author"]) == (1, "dave")
    status = json.loads(socdesk("retro", "status", "--json", user="dave").stdout)
    assert (status["retro_id"], status["phase"], status["votes_left"]) == (1, "write", 3)
    usage = socdesk("retro", "vote", "x")
    assert usage.returncode == 2 and "NOTE_ID" in usage.stderr


# ------------------------------------------------------------------------------------ domain bugs found


def test_every_retro_period_the_store_accepts_has_a_work_mix(store: Store) -> None:
    with pytest.raises(ValueError, match="at most 366 days"):
        RetroDraft(title="A year and a day", period_from=date(2025, 3, 1), period_to=date(2026, 3, 2))
    longest = RetroDraft(title="A year", period_from=date(2025, 3, 2), period_to=date(2026, 3, 2))
    record = store.start_retro(longest)
    report = review_mix(store, record.retro.period_from, record.retro.period_to)
    assert report.days == 366


def test_the_log_tells_retro_events_in_words_without_a_hidden_notes_text(sd: Any) -> None:
    ok(sd("retro", "start", "March retro"))
    ok(sd("retro", "phase", "write"))
    ok(sd("retro", "note", "add", "not-well", "The pager woke the wrong person", user="bob"))
    log = ok(sd("log", "--limit", "3")).out
    assert "started retro 1 “March retro”" in log
    assert "moved retro 1 to the write phase" in log
    assert "added a note to retro 1" in log
    assert "pager" not in log
    ok(sd("retro", "phase", "group"))
    ok(sd("retro", "theme", "add", "Paging", "1"))
    ok(sd("retro", "phase", "vote"))
    ok(sd("retro", "vote", "1", user="bob"))
    ok(sd("retro", "unvote", "1", user="bob"))
    log = ok(sd("log", "--limit", "5")).out
    assert "made theme “Paging” in retro 1" in log
    assert "voted for note #1 in retro 1" in log
    assert "took back a vote from note #1 in retro 1" in log
