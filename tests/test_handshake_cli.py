"""`socdesk handshake ...` as scripts and facilitators see it: output, JSON shapes, refusals, minutes.

Commands run in-process through ``main`` against a real SQLite file, with the store's clock replaced by
the test's ``FixedClock`` (``socdesk.cli.open_store`` is wrapped), so times are exact and nothing sleeps.
Expectations about the clock are computed from the store's own timer at the same moment. One test runs
the real `socdesk` command in a subprocess to hold the entry point and the one-line error contract.
"""

from __future__ import annotations

import io
import json
import shlex
import sys
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from socdesk import cli
from socdesk.domain import FixedClock
from socdesk.domain.handshake import Agenda, AgendaSection, EntryKind
from socdesk.domain.timer import Act
from socdesk.store import Store, open_store

TUESDAY_10 = datetime(2026, 3, 3, 10, 0, tzinfo=UTC)  # the default agenda's slot: tue 10:00 UTC
STATUS_KEYS = {
    "running",
    "meeting_id",
    "section",
    "remaining_seconds",
    "overrun",
    "paused",
    "topic",
    "projected_end",
    "deadline",
    "late_by_seconds",
    "losing",
    "scheduled_at",
    "started_at",
    "started_late_seconds",
    "next_scheduled_at",
    "intake_count",
    "topic_cap",
}
CAP_MESSAGE = "already has 6 topics, the most it takes (6)"


@dataclass
class Run:
    code: int
    out: str
    err: str


def iso(moment: datetime) -> str:
    return moment.isoformat()


# -------------------------------------------------------------------------------------------- fixtures


@pytest.fixture
def config_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """SOCDESK_CONFIG always points into tmp_path: nothing is ever written to the real home."""
    path = tmp_path / "config.toml"
    path.write_text(f'[handshake]\nminutes_dir = "{tmp_path / "minutes"}"\n', encoding="utf-8")
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
    """``sd("handshake", "status")``: run the CLI in-process on the test's clock; ``stdin`` and ``user``."""
    real_open = cli.open_store

    def open_on_test_clock(path: Path, **kwargs: Any) -> Store:
        return real_open(path, **{**kwargs, "clock": clock})

    monkeypatch.setattr(cli, "open_store", open_on_test_clock)
    monkeypatch.setenv("SOCDESK_USER", "alice")
    monkeypatch.delenv("SOCDESK_DB", raising=False)

    def run(*args: str, user: str | None = None, stdin: str | None = None) -> Run:
        capsys.readouterr()
        argv = [*args, "--db", str(db_path), *(["--user", user] if user else [])]
        if stdin is not None:
            monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
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
    """What a refusal must leave alone: the event log, the topics, the meetings and the agenda."""
    return (
        store.last_event_id(),
        store.list_topics(),
        store.list_meetings(),
        store.get_agenda(),
        [store.get_meeting(m.id) for m in store.list_meetings()],
    )


def started(sd: Any, clock: FixedClock, at: datetime = TUESDAY_10, topics: int = 2) -> None:
    for n in range(topics):
        ok(sd("handshake", "topic", "add", f"topic {n + 1}"))
    clock.set(at)
    ok(sd("handshake", "start"))


# ---------------------------------------------------------------------------------------------- status


def test_status_with_nothing_running_names_the_next_slot_and_the_intake(sd: Any, clock: FixedClock) -> None:
    ok(sd("handshake", "topic", "add", "Phishing triage runbook"))
    text = ok(sd("handshake", "status")).out
    assert text.splitlines() == [
        "no handshake running",
        "next Tue 2026-03-03 10:00 UTC · 1/6 topics in the intake",
    ]
    data = as_json(sd("handshake", "status", "--json"))
    assert set(data) == STATUS_KEYS
    assert data["running"] is False
    assert data["meeting_id"] is None and data["section"] is None and data["topic"] is None
    assert data["next_scheduled_at"] == iso(TUESDAY_10)
    assert (data["intake_count"], data["topic_cap"]) == (1, 6)

    # Within the grace of the slot the slot itself is still next; after it, next week's.
    clock.set(TUESDAY_10 + timedelta(seconds=50))
    assert as_json(sd("handshake", "status", "--json"))["next_scheduled_at"] == iso(TUESDAY_10)
    clock.set(TUESDAY_10 + timedelta(minutes=2))
    assert as_json(sd("handshake", "status", "--json"))["next_scheduled_at"] == iso(
        TUESDAY_10 + timedelta(days=7)
    )


def test_status_in_the_agenda_zone_and_when_unscheduled(sd: Any, store: Store, clock: FixedClock) -> None:
    store.set_agenda(Agenda(schedule="tue 10:00", tz="Europe/Berlin"))
    assert "next Tue 2026-03-03 10:00 Europe/Berlin" in ok(sd("handshake", "status")).out
    data = as_json(sd("handshake", "status", "--json"))
    assert data["next_scheduled_at"] == "2026-03-03T09:00:00+00:00"
    store.set_agenda(Agenda(schedule=None))
    assert "not scheduled" in ok(sd("handshake", "status")).out
    assert as_json(sd("handshake", "status", "--json"))["next_scheduled_at"] is None


def test_status_of_a_running_meeting_over_time_with_a_topic_and_losing_sections(
    sd: Any, store: Store, clock: FixedClock
) -> None:
    started(sd, clock, at=TUESDAY_10 + timedelta(seconds=30))
    clock.advance(timedelta(minutes=7))  # the 5-minute kick-off runs 2 minutes over
    data = as_json(sd("handshake", "status", "--json"))
    assert set(data) == STATUS_KEYS
    assert data["running"] is True and data["meeting_id"] == 1
    assert data["section"] == {
        "index": 0,
        "title": "Kick-off + sitrep",
        "kind": "kickoff",
        "planned_seconds": 300,
        "allowance_seconds": 300,
        "used_seconds": 420,
    }
    assert data["remaining_seconds"] == -120
    assert data["overrun"] == "+02:00"
    assert data["paused"] is False and data["topic"] is None
    assert data["scheduled_at"] == iso(TUESDAY_10)
    assert data["started_at"] == iso(TUESDAY_10 + timedelta(seconds=30))
    assert data["started_late_seconds"] == 0  # 30 s is within the one-minute grace
    assert data["deadline"] == iso(TUESDAY_10 + timedelta(hours=1))
    # The deadline counts from the booked slot: 55 planned minutes still to come from 10:07:30.
    assert data["projected_end"] == iso(TUESDAY_10 + timedelta(minutes=62, seconds=30))
    assert data["late_by_seconds"] == 150
    assert data["losing"] == [{"index": 1, "title": "Topics discussion", "seconds": 150}]

    text = ok(sd("handshake", "status")).out
    assert text.splitlines()[0] == (
        "handshake 1 · 1/4 Kick-off + sitrep · +02:00 over · ends ~11:02 (02:30 past 11:00)"
    )
    assert "to fit: Topics discussion -02:30" in text
    assert "started 10:00 by alice, on time (booked 10:00 UTC)" in text

    ok(sd("handshake", "next"))
    topic = store.get_meeting(1).topics[0]
    store.meeting_timer(Act.ITEM, topic_id=topic.id)
    clock.advance(timedelta(seconds=150))
    data = as_json(sd("handshake", "status", "--json"))
    timer = store.get_meeting(1).timer(clock.now())
    assert data["section"]["index"] == 1 and data["section"]["kind"] == "topics"
    assert data["remaining_seconds"] == int(timer.remaining.total_seconds()) == 30 * 60 - 150
    assert data["overrun"] is None
    assert data["topic"] == {"id": topic.id, "text": "topic 1", "remaining_seconds": -30}
    assert "topic     #1 topic 1 · +00:30 over" in ok(sd("handshake", "status")).out


def test_a_late_start_and_an_unscheduled_one_are_told_apart(sd: Any, store: Store, clock: FixedClock) -> None:
    started(sd, clock, at=TUESDAY_10 + timedelta(minutes=5), topics=0)
    data = as_json(sd("handshake", "status", "--json"))
    assert data["started_late_seconds"] == 300
    assert "started 10:05 by alice, 5 min late (booked 10:00 UTC)" in ok(sd("handshake", "status")).out
    ok(sd("handshake", "end"))

    clock.set(TUESDAY_10 + timedelta(days=2))  # Thursday: no slot within 12 hours
    ok(sd("handshake", "start"))
    data = as_json(sd("handshake", "status", "--json"))
    assert data["scheduled_at"] is None and data["started_late_seconds"] is None
    assert data["deadline"] == iso(clock.now() + timedelta(hours=1))
    assert "(unscheduled)" in ok(sd("handshake", "status")).out


# ---------------------------------------------------------------------------------------------- topics


def test_topic_add_list_and_defer(sd: Any, store: Store, clock: FixedClock) -> None:
    assert ok(sd("handshake", "topic", "add", "Noisy EDR rule")).out == (
        "topic #1 added for the next handshake (1/6)\n"
    )
    clock.advance(timedelta(minutes=5))
    added = as_json(sd("handshake", "topic", "add", "  VPN alerts ", "--json", user="bob"))
    assert added == {
        "id": 2,
        "text": "VPN alerts",
        "submitted_by": "bob",
        "submitted_at": "2026-03-02T09:05:00Z",
        "meeting_id": None,
        "deferred": False,
        "outcome": "",
        "card_id": None,
        "version": 1,
        "position": 2,
        "cap": 6,
        "running_meeting_id": None,
    }
    ok(sd("handshake", "topic", "add", "Patch window"))
    assert ok(sd("handshake", "topic", "defer", "2")).out.startswith("topic #2 moved to a later week")
    assert (
        ok(sd("handshake", "topic", "add", "Fourth")).out == "topic #4 added for the next handshake (3/6)\n"
    )

    text = ok(sd("handshake", "topic", "list")).out
    assert text.splitlines() == [
        "Next handshake: 3/6 topics",
        "  1. #1 Noisy EDR rule  (alice, Mon 2026-03-02 09:00)",
        "  2. #3 Patch window  (alice, Mon 2026-03-02 09:05)",
        "  3. #4 Fourth  (alice, Mon 2026-03-02 09:05)",
        "",
        "Moved to a later week (back after the next handshake ends):",
        "  #2 VPN alerts  (bob, Mon 2026-03-02 09:05)",
    ]
    data = as_json(sd("handshake", "topic", "list", "--json"))
    assert set(data) == {"cap", "running_meeting_id", "intake", "deferred"}
    assert [t["id"] for t in data["intake"]] == [1, 3, 4]
    assert [(t["id"], t["deferred"]) for t in data["deferred"]] == [(2, True)]


def test_an_empty_intake_says_how_to_add(sd: Any) -> None:
    assert "none yet" in ok(sd("handshake", "topic", "list")).out


def test_the_seventh_topic_is_refused_and_nothing_is_written(sd: Any, store: Store) -> None:
    for n in range(6):
        ok(sd("handshake", "topic", "add", f"topic {n}"))
    before = unchanged(store)
    refused(sd("handshake", "topic", "add", "one too many"), CAP_MESSAGE, "socdesk handshake topic defer")
    refused(sd("handshake", "topic", "add", "one too many", "--json"), CAP_MESSAGE)
    assert unchanged(store) == before
    assert len(store.list_topics()) == 6

    # Moving one to a later week makes room.
    ok(sd("handshake", "topic", "defer", "1"))
    assert ok(sd("handshake", "topic", "add", "now it fits")).out.endswith("(6/6)\n")


def test_bad_topic_ids_and_texts_are_refused(sd: Any, store: Store, clock: FixedClock) -> None:
    ok(sd("handshake", "topic", "add", "real"))
    before = unchanged(store)
    refused(sd("handshake", "topic", "defer", "99"), "no topic with id 99")
    refused(sd("handshake", "topic", "add", "   "), "topic")
    refused(sd("handshake", "topic", "add", "x" * 301), "300")
    assert unchanged(store) == before
    assert sd("handshake", "topic", "defer", "0").code == 2
    assert sd("handshake", "topic", "defer", "one").code == 2

    clock.set(TUESDAY_10)
    ok(sd("handshake", "start"))
    refused(sd("handshake", "topic", "defer", "1"), "taken up by handshake 1")


def test_a_topic_added_during_a_meeting_waits_for_the_next(sd: Any, store: Store, clock: FixedClock) -> None:
    started(sd, clock, topics=3)
    out = ok(sd("handshake", "topic", "add", "late idea")).out
    assert out == (
        "topic #4 queued for the next handshake (1/6): handshake 1 is running and its intake closed"
        " when it started\n"
    )
    assert as_json(sd("handshake", "topic", "add", "another", "--json"))["running_meeting_id"] == 1
    assert [t.id for t in store.get_meeting(1).topics] == [1, 2, 3]
    assert [t.id for t in store.list_topics()] == [4, 5]
    assert "handshake 1 is running with its own 3" in ok(sd("handshake", "topic", "list")).out


# ------------------------------------------------------------------------------------------- the clock


def test_start_and_every_timer_command_print_the_resulting_status(
    sd: Any, store: Store, clock: FixedClock
) -> None:
    ok(sd("handshake", "topic", "add", "one"))
    clock.set(TUESDAY_10)
    assert ok(sd("handshake", "start")).out.splitlines() == [
        "handshake 1 started 10:00 by alice, on time (booked 10:00 UTC) with 1 topic",
        "handshake 1 · 1/4 Kick-off + sitrep · 05:00 left · ends ~11:00",
    ]
    clock.advance(timedelta(minutes=3))
    assert ok(sd("handshake", "next")).out == (
        "handshake 1 · 2/4 Topics discussion · 30:00 left · ends ~10:58\n"
    )
    clock.advance(timedelta(minutes=10))
    assert ok(sd("handshake", "pause")).out == (
        "handshake 1 · 2/4 Topics discussion · 20:00 left · PAUSED · ends ~10:58\n"
    )
    clock.advance(timedelta(minutes=4))  # paused: the section's time stands still, the end moves
    assert as_json(sd("handshake", "status", "--json"))["remaining_seconds"] == 20 * 60
    assert ok(sd("handshake", "resume")).out == (
        "handshake 1 · 2/4 Topics discussion · 20:00 left · ends ~11:02 (02:00 past 11:00)\n"
    )
    assert ok(sd("handshake", "extend", "5")).out == (
        "handshake 1 · 2/4 Topics discussion · 25:00 left · ends ~11:07 (07:00 past 11:00)\n"
    )
    assert ok(sd("handshake", "prev")).out.startswith("handshake 1 · 1/4 Kick-off + sitrep · 02:00 left")
    ok(sd("handshake", "next"))
    ok(sd("handshake", "next"))
    assert ok(sd("handshake", "next")).out.startswith("handshake 1 · 4/4 Detections review · 10:00 left")

    kinds = [e.kind for e in store.get_meeting(1).log]
    assert kinds == [
        EntryKind.START,
        EntryKind.NEXT,
        EntryKind.PAUSE,
        EntryKind.RESUME,
        EntryKind.EXTEND,
        EntryKind.PREV,
        EntryKind.NEXT,
        EntryKind.NEXT,
        EntryKind.NEXT,
    ]
    assert store.get_meeting(1).log[4].minutes == 5


def test_impossible_timer_actions_are_refused_and_log_nothing(
    sd: Any, store: Store, clock: FixedClock
) -> None:
    for act in ("next", "prev", "pause", "resume", "end"):
        refused(sd("handshake", act), "no handshake is running", "socdesk handshake start")
    refused(sd("handshake", "extend", "5"), "no handshake is running")
    refused(sd("handshake", "note", "hello"), "no handshake is running")

    clock.set(TUESDAY_10)
    ok(sd("handshake", "start"))
    before = unchanged(store)
    refused(sd("handshake", "start"), "handshake 1 is already running", "only one runs at a time")
    refused(sd("handshake", "extend", "0"), "extend by 1 to 30 minutes, not 0")
    refused(sd("handshake", "extend", "31"), "extend by 1 to 30 minutes, not 31")
    refused(sd("handshake", "extend", "-2"), "not -2")
    refused(sd("handshake", "prev"), "this is the first section")
    refused(sd("handshake", "resume"), "not paused")
    assert unchanged(store) == before
    assert sd("handshake", "extend", "five").code == 2
    assert sd("handshake", "extend").code == 2

    ok(sd("handshake", "pause"))
    refused(sd("handshake", "pause"), "already paused")
    ok(sd("handshake", "resume"))
    for _ in range(3):
        ok(sd("handshake", "next"))
    before = unchanged(store)
    refused(sd("handshake", "next"), "this is the last section: end the meeting instead")
    assert unchanged(store) == before


def test_a_note_goes_on_the_current_section(sd: Any, store: Store, clock: FixedClock) -> None:
    started(sd, clock, topics=0)
    ok(sd("handshake", "next"))
    assert ok(sd("handshake", "note", "  Agreed to retire rule 42 ")).out == (
        "note added to handshake 1 on 2. Topics discussion\n"
    )
    record = store.get_meeting(1)
    assert [(n.text, n.actor) for n in record.notes(1)] == [("Agreed to retire rule 42", "alice")]
    before = unchanged(store)
    refused(sd("handshake", "note", "   "), "note")
    assert unchanged(store) == before


# ---------------------------------------------------------------------------------------------- ending


def publish_config(tmp_path: Path, config_file: Path, code: str) -> Path:
    """A config whose publish command runs ``code`` (sys.executable -c), its minutes in tmp_path."""
    command = shlex.join([sys.executable, "-c", code])
    config_file.write_text(
        "[handshake]\n"
        f"minutes_dir = {json.dumps(str(tmp_path / 'minutes'))}\n"
        f"publish_command = {json.dumps(command)}\n",
        encoding="utf-8",
    )
    return tmp_path / "minutes"


def test_end_writes_the_minutes_and_publishes_them_on_stdin(
    sd: Any, store: Store, clock: FixedClock, tmp_path: Path, config_file: Path
) -> None:
    from socdesk.minutes import render_markdown

    out_file = tmp_path / "published.md"
    code = f"import sys; open({str(out_file)!r}, 'w').write(sys.stdin.read())"
    minutes_dir = publish_config(tmp_path, config_file, code)
    started(sd, clock)
    clock.advance(timedelta(minutes=42))
    result = ok(sd("handshake", "end"))
    expected = minutes_dir / "handshake-2026-03-03-1.md"
    assert result.out.splitlines() == [
        "handshake 1 ended after 42 min",
        f"minutes written to {expected}",
        f"published with `{shlex.join([sys.executable, '-c', code])}` (exit 0)",
    ]
    assert result.err == ""
    record = store.get_meeting(1)
    assert record.meeting.ended_at == clock.now()
    markdown = expected.read_text(encoding="utf-8")
    assert markdown == render_markdown(record.model_copy(update={"log": record.log[:-1]}))
    assert out_file.read_text(encoding="utf-8") == markdown
    publish = record.entries(EntryKind.PUBLISH)
    assert len(publish) == 1 and publish[0].data["exit_code"] == 0
    assert ok(sd("handshake", "status")).out.startswith("no handshake running")
    refused(sd("handshake", "end"), "no handshake is running")


def test_a_failing_publish_command_is_reported_and_the_meeting_still_ends(
    sd: Any, store: Store, clock: FixedClock, tmp_path: Path, config_file: Path
) -> None:
    minutes_dir = publish_config(
        tmp_path, config_file, "import sys; sys.stdin.read(); print('wiki said no'); sys.exit(3)"
    )
    started(sd, clock)
    result = ok(sd("handshake", "end"))
    assert f"minutes written to {minutes_dir / 'handshake-2026-03-03-1.md'}" in result.out
    assert "exit 3" in result.err and "wiki said no" in result.err
    assert result.err.startswith("warning: ") and result.err.count("\n") == 1
    record = store.get_meeting(1)
    assert record.meeting.ended_at is not None
    assert store.current_meeting() is None
    [publish] = record.entries(EntryKind.PUBLISH)
    assert publish.data["exit_code"] == 3 and "wiki said no" in publish.data["output"]


def test_a_broken_config_refuses_end_before_touching_the_meeting(
    sd: Any, store: Store, clock: FixedClock, config_file: Path
) -> None:
    started(sd, clock)
    config_file.write_text("[handshake]\ncolour = 'red'\n", encoding="utf-8")
    before = unchanged(store)
    refused(sd("handshake", "end"), "unknown [handshake] setting colour")
    assert unchanged(store) == before
    assert store.current_meeting() is not None


def test_minutes_of_the_latest_or_a_given_meeting_as_markdown_or_json(
    sd: Any, store: Store, clock: FixedClock, tmp_path: Path
) -> None:
    from socdesk.minutes import minutes_json, render_markdown

    refused(sd("handshake", "minutes"), "no handshake has been held yet")
    started(sd, clock)
    ok(sd("handshake", "note", "first week"))
    ok(sd("handshake", "end"))
    clock.advance(timedelta(days=7))
    ok(sd("handshake", "start"))
    ok(sd("handshake", "end"))

    latest = ok(sd("handshake", "minutes")).out
    assert latest.rstrip("\n") == render_markdown(store.get_meeting(2)).rstrip("\n")
    first = ok(sd("handshake", "minutes", "1")).out
    assert first.rstrip("\n") == render_markdown(store.get_meeting(1)).rstrip("\n")
    assert first != latest
    data = as_json(sd("handshake", "minutes", "1", "--format", "json"))
    assert data == json.loads(json.dumps(minutes_json(store.get_meeting(1))))

    target = tmp_path / "out" / "week1.md"
    target.parent.mkdir()
    result = ok(sd("handshake", "minutes", "1", "--output", str(target)))
    assert result.out == "" and str(target) in result.err
    assert target.read_text(encoding="utf-8") == first
    assert [p.name for p in target.parent.iterdir()] == ["week1.md"]  # no temporary file left behind

    refused(sd("handshake", "minutes", "9"), "no handshake with id 9")
    refused(sd("handshake", "minutes", "1", "--output", str(tmp_path / "missing" / "x.md")), "cannot write")
    assert sd("handshake", "minutes", "--format", "pdf").code == 2


# ------------------------------------------------------------------------------------------------ list


def test_list_shows_meetings_newest_first_on_time_or_late(sd: Any, clock: FixedClock) -> None:
    assert ok(sd("handshake", "list")).out == "no handshake has been held yet\n"
    assert as_json(sd("handshake", "list", "--json")) == []
    started(sd, clock, topics=2)
    ok(sd("handshake", "end"))
    clock.set(TUESDAY_10 + timedelta(days=7, minutes=12))
    ok(sd("handshake", "topic", "add", "next week"))
    ok(sd("handshake", "start"))

    data = as_json(sd("handshake", "list", "--json"))
    assert [m["id"] for m in data] == [2, 1]
    assert data[0] == {
        "id": 2,
        "date": "2026-03-10",
        "scheduled_at": iso(TUESDAY_10 + timedelta(days=7)),
        "started_at": iso(TUESDAY_10 + timedelta(days=7, minutes=12)),
        "on_time": False,
        "started_late_seconds": 720,
        "ended_at": None,
        "started_by": "alice",
        "topics": 3,  # the one added, and the two the first meeting did not reach
    }
    assert (data[1]["on_time"], data[1]["started_late_seconds"]) == (True, 0)
    assert data[1]["ended_at"] == iso(TUESDAY_10)

    lines = ok(sd("handshake", "list")).out.splitlines()
    assert lines[0].split() == ["ID", "DATE", "BOOKED", "STARTED", "ENDED", "TOPICS", "TZ"]
    assert lines[1].split() == [
        "2",
        "Tue",
        "2026-03-10",
        "10:00",
        "10:12",
        "late",
        "12",
        "min",
        "running",
        "3",
        "UTC",
    ]
    # meeting 1 still counts the two topics it did not reach and handed on
    assert lines[2].split() == ["1", "Tue", "2026-03-03", "10:00", "10:00", "on", "time", "10:00", "2", "UTC"]


# ---------------------------------------------------------------------------------------------- agenda


AGENDA_TOML = """\
schedule = "wed 14:30"
tz = "Europe/London"
topic_cap = 4

[[section]]
title = "Sitrep"
minutes = 10
kind = "kickoff"

[[section]]
title = "Topics"
minutes = 20
kind = "topics"
"""


def test_agenda_show_and_set_from_a_file_or_stdin(sd: Any, store: Store, tmp_path: Path) -> None:
    text = ok(sd("handshake", "agenda", "show")).out
    assert "tue 10:00 UTC, 60 min" in text and "Backlog refinement" in text
    assert ok(sd("handshake", "agenda", "show", "--toml")).out == Agenda().to_toml()

    path = tmp_path / "agenda.toml"
    path.write_text(AGENDA_TOML, encoding="utf-8")
    assert ok(sd("handshake", "agenda", "set", str(path))).out == (
        "agenda saved (version 2): 2 sections, 30 min, wed 14:30 Europe/London\n"
    )
    agenda = store.get_agenda()
    assert [s.title for s in agenda.sections] == ["Sitrep", "Topics"]
    assert (agenda.schedule, agenda.tz, agenda.topic_cap) == ("wed 14:30", "Europe/London", 4)
    assert store.recent_events(1)[0].action == "handshake.agenda"

    # The TOML it shows sets the same agenda again: nothing changes.
    shown = ok(sd("handshake", "agenda", "show", "--toml")).out
    assert Agenda.from_toml(shown) == agenda.model_copy(update={"version": 1})  # TOML carries no version
    assert "unchanged (version 2)" in ok(sd("handshake", "agenda", "set", "-", stdin=shown)).out

    changed = shown.replace('"wed 14:30"', '"thu 09:00"')
    assert "saved (version 3)" in ok(sd("handshake", "agenda", "set", "-", stdin=changed)).out
    assert store.get_agenda().schedule == "thu 09:00"
    assert "0/4 topics in the intake" in ok(sd("handshake", "status")).out
    assert "next Thu" in ok(sd("handshake", "status")).out


@pytest.mark.parametrize(
    ("toml", "fragments"),
    [
        ("schedule = 'tue 10:00\n", ("bad.toml", "not valid TOML")),
        (
            "[[section]]\ntitle = 'A'\nminutes = 31\n[[section]]\ntitle = 'B'\nminutes = 30\n",
            ("61 minutes", "at most an hour"),
        ),
        ("colour = 'red'\n", ("bad.toml", "colour")),
        ("[[section]]\ntitle = 'A'\nminutes = 5\nsound = 'gong'\n", ("bad.toml", "sound")),
        ("schedule = 'someday'\n", ("bad.toml", "schedule")),
        ("tz = 'Mars/Olympus'\n", ("bad.toml", "Mars/Olympus")),
    ],
)
def test_a_bad_agenda_is_refused_and_nothing_changes(
    sd: Any, store: Store, tmp_path: Path, toml: str, fragments: tuple[str, ...]
) -> None:
    store.set_agenda(Agenda(sections=(AgendaSection(title="Only", minutes=20),), topic_cap=3))
    before = unchanged(store)
    path = tmp_path / "bad.toml"
    path.write_text(toml, encoding="utf-8")
    refused(sd("handshake", "agenda", "set", str(path)), *fragments)
    assert unchanged(store) == before


def test_an_unreadable_agenda_file_is_refused(sd: Any, store: Store, tmp_path: Path) -> None:
    before = unchanged(store)
    refused(sd("handshake", "agenda", "set", str(tmp_path / "nope.toml")), "cannot read", "nope.toml")
    assert unchanged(store) == before


# ------------------------------------------------------------------------------------ the real command


def test_the_real_command_keeps_the_error_contract(socdesk: Any, db_path: Path, tmp_path: Path) -> None:
    seeded = open_store(db_path, actor="seed", create=True)
    try:
        for n in range(6):
            seeded.add_topic(f"seeded {n}")
    finally:
        seeded.close()
    result = socdesk("handshake", "topic", "add", "seventh")
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("error: ")
    assert CAP_MESSAGE in result.stderr
    started = socdesk("handshake", "start", user="carol")
    assert started.returncode == 0, started.stderr
    assert "started" in started.stdout and "by carol" in started.stdout and "with 6 topics" in started.stdout
    data = json.loads(socdesk("handshake", "status", "--json").stdout)
    assert data["running"] is True and data["meeting_id"] == 1
    assert data["section"]["title"] == "Kick-off + sitrep"
    assert data["intake_count"] == 0


def test_usage_errors_exit_2(sd: Any) -> None:
    assert sd("handshake").code == 2
    assert sd("handshake", "topic").code == 2
    assert sd("handshake", "agenda").code == 2
    assert sd("handshake", "bogus").code == 2
