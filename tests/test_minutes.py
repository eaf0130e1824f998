"""The handshake's minutes, rendered from a meeting held through the real store on a known timeline."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from syrupy.extensions.single_file import SingleFileSnapshotExtension, WriteMode

from duty_helpers import weekly
from socdesk.domain import FixedClock
from socdesk.domain.duty import Role
from socdesk.domain.handshake import (
    DEFAULT_SECTIONS,
    Agenda,
    AgendaSection,
    EntryKind,
    MeetingRecord,
    SectionKind,
)
from socdesk.domain.models import CardDraft, Kind, Person, Priority, WorkType
from socdesk.domain.timer import Act
from socdesk.minutes import minutes_json, render_markdown
from socdesk.store import Store, open_store

# Tuesday: the default agenda books the handshake for tue 10:00 UTC.
SETUP = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
STARTED = datetime(2026, 11, 24, 10, 2, tzinfo=UTC)
AGENDA = Agenda(
    sections=(
        AgendaSection(title="Kick-off | sitrep", minutes=5, kind=SectionKind.KICKOFF),
        *DEFAULT_SECTIONS[1:],
    )
)


class MarkdownSnapshot(SingleFileSnapshotExtension):
    _write_mode = WriteMode.TEXT
    _file_extension = "md"


@pytest.fixture
def md_snapshot(snapshot: Any) -> Any:
    return snapshot.use_extension(MarkdownSnapshot)


@dataclass
class Held:
    """A handshake held by alice (facilitator) and bob, with the ids the test needs."""

    alice: Store
    bob: Store
    clock: FixedClock
    pulled: int
    approved: int
    rejected: int
    tuned: int
    phishing: int
    heading: int
    vpn: int

    def at(self, hh: int, mm: int, ss: int = 0) -> None:
        self.clock.set(STARTED.replace(hour=hh, minute=mm, second=ss))


@pytest.fixture
def held(tmp_path: Path) -> Iterator[Held]:
    """Everything up to the meeting's last minute; the test ends it (or not)."""
    clock = FixedClock(SETUP)
    alice = open_store(tmp_path / "x.db", actor="alice", clock=clock, create=True)
    bob = open_store(tmp_path / "x.db", actor="bob", clock=clock)
    try:
        alice.add_person(Person(handle="erin", name="Erin Engineer"))
        alice.add_person(Person(handle="dan", name="Dan Analyst"))
        alice.set_rotation(weekly(Role.ENGINEER, "erin"))
        alice.set_rotation(weekly(Role.ANALYST, "dan"))
        alice.set_agenda(AGENDA)
        pulled = alice.add_card(CardDraft(title="Rotate API keys", type=WorkType.OPERATIONS))
        approved = alice.add_card(
            CardDraft(
                title="Brute force on VPN", type=WorkType.ENGINEERING, kind=Kind.DETECTION, column="Review"
            )
        )
        rejected = alice.add_card(
            CardDraft(
                title="Impossible travel", type=WorkType.ENGINEERING, kind=Kind.DETECTION, column="Review"
            )
        )
        tuned = alice.add_card(
            CardDraft(title="LSASS access", type=WorkType.ENGINEERING, kind=Kind.DETECTION, column="Done")
        )
        phishing = bob.add_topic("Phishing triage takes too long")
        heading = alice.add_topic("# Retire the old SIEM dashboards")
        vpn = bob.add_topic("VPN logs missing since Friday")

        held = Held(
            alice, bob, clock, pulled.id, approved.id, rejected.id, tuned.id, phishing.id, heading.id, vpn.id
        )
        held.at(10, 2)
        alice.start_meeting()
        held.at(10, 3)
        bob.join_meeting()
        held.at(10, 5)
        alice.meeting_note("Quiet week.\n# Two P2 incidents, both closed")
        held.at(10, 8, 10)
        alice.meeting_timer(Act.NEXT)  # kick-off: 6:10 of 5:00

        alice.meeting_timer(Act.ITEM, topic_id=phishing.id)
        held.at(10, 11, 10)
        alice.set_topic_outcome(phishing.id, "Automate the header analysis")
        alice.topic_to_card(phishing.id, WorkType.BUSINESS)
        alice.meeting_timer(Act.ITEM, topic_id=heading.id)
        held.at(10, 12, 40)
        alice.set_topic_outcome(heading.id, "Discussed; keep them one more quarter")
        alice.meeting_timer(Act.ITEM, topic_id=vpn.id)
        held.at(10, 13, 40)
        alice.meeting_timer(Act.PAUSE)
        held.at(10, 15, 40)
        alice.meeting_timer(Act.RESUME)
        alice.meeting_timer(Act.EXTEND, minutes=5)
        alice.meeting_note("VPN logs | follow up offline")
        held.at(10, 20)
        alice.meeting_timer(Act.NEXT)  # topics: 5:30 + 4:20 = 9:50 of 30:00 (+5:00)

        alice.refine_priority(pulled.id, Priority.HIGH)
        alice.pull_card(pulled.id)
        held.at(10, 32)
        alice.meeting_timer(Act.NEXT)  # backlog: 12:00 of 15:00

        bob.approve_detection(approved.id)
        alice.reject_detection(rejected.id, "Too many false positives\nfrom the office VPN range")
        bob.tune_detection(tuned.id, "Exclude the EDR's own scans")
        held.at(10, 44, 30)  # detections: 12:30 of 10:00
        yield held
    finally:
        bob.close()
        alice.close()


@pytest.fixture
def ended(held: Held) -> MeetingRecord:
    return held.alice.end_meeting()


def section(markdown: str, title: str) -> str:
    """The body of one ``## title`` section."""
    _, found, rest = markdown.partition(f"\n## {title}\n")
    assert found, f"no section {title!r} in:\n{markdown}"
    return rest.split("\n## ", 1)[0]


def test_the_minutes_of_an_ended_meeting(ended: MeetingRecord, md_snapshot: Any) -> None:
    assert render_markdown(ended) == md_snapshot


def test_the_sections_come_in_order(ended: MeetingRecord) -> None:
    markdown = render_markdown(ended)
    headings = [line for line in markdown.splitlines() if line.startswith("## ")]
    assert headings == [
        "## Attendees",
        "## Duty",
        "## KPIs",
        "## Time",
        "## Topics",
        "## Backlog decisions",
        "## Detections",
        "## New cards",
        "## Notes",
    ]
    assert markdown.startswith("# Handshake 2026-11-24\n\n")
    assert markdown.endswith("\n") and not markdown.endswith("\n\n")


def test_the_opening_line_says_how_late_how_long_and_who(ended: MeetingRecord) -> None:
    line = render_markdown(ended).splitlines()[2]
    assert line == (
        "Scheduled 10:00 UTC, started 10:02 UTC — 2 min late. "
        "Ended 10:44 UTC after 42:30, 2:00 of it paused. Started by alice."
    )


def test_attendees_duty_and_kpis(ended: MeetingRecord) -> None:
    markdown = render_markdown(ended)
    assert section(markdown, "Attendees").strip() == "alice, bob"
    assert section(markdown, "Duty").strip().splitlines() == [
        "- On-duty engineer: Erin Engineer",
        "- On-call analyst: Dan Analyst",
    ]
    kpis = section(markdown, "KPIs").strip().splitlines()
    assert len(kpis) == 8 and all(line.startswith("- ") for line in kpis)
    assert kpis[0] == "- WIP: To Do 0/8 · In Progress 0/4 · Review 2/3"


def test_the_time_table_sets_actual_against_planned(ended: MeetingRecord) -> None:
    table = section(render_markdown(ended), "Time").strip().splitlines()
    assert table == [
        "| Section | Planned | Extended | Actual | Difference |",
        "| --- | ---: | ---: | ---: | ---: |",
        "| Kick-off \\| sitrep | 5:00 |  | 6:10 | +1:10 |",
        "| Topics discussion | 30:00 | +5:00 | 9:50 | -20:10 |",
        "| Backlog refinement | 15:00 |  | 12:00 | -3:00 |",
        "| Detections review | 10:00 |  | 12:30 | +2:30 |",
        "| **Total** | 60:00 | +5:00 | 40:30 | -19:30 |",
    ]


def test_topics_reached_with_outcome_card_and_time(ended: MeetingRecord) -> None:
    topics = section(render_markdown(ended), "Topics")
    assert topics.strip().splitlines() == [
        "1. Phishing triage takes too long — raised by bob, discussed 3:00",
        "   - Outcome: Automate the header analysis",
        f"   - → card #{ended.topics[0].card_id}",
        "2. \\# Retire the old SIEM dashboards — raised by alice, discussed 1:30",
        "   - Outcome: Discussed; keep them one more quarter",
        "",
        "### Not reached (carried over to next week)",
        "",
        "- VPN logs missing since Friday — raised by bob, discussed 5:20",
    ]
    # The store hands an unreached topic on to the next meeting when this one ends; the minutes
    # still name it, from the carry-over entry in the log.
    assert [e.topic_id for e in ended.entries(EntryKind.CARRY_OVER)] == [
        t.id for t in ended.all_topics() if not t.outcome and t.card_id is None
    ]


def test_a_running_meeting_is_described_at_its_last_entry(held: Held) -> None:
    record = held.alice.get_meeting()
    held.clock.advance(timedelta(hours=5))  # the wall clock is never read
    markdown = render_markdown(record)
    assert markdown.startswith("# Handshake 2026-11-24 (in progress)\n")
    assert "In progress at 10:32 UTC, 30:00 so far, 2:00 of it paused." in markdown
    assert "| Detections review | 10:00 |  | 0:00 | -10:00 |" in markdown
    topics = section(markdown, "Topics")
    assert topics.endswith(
        "### Not reached (carried over to next week)\n\n"
        "- VPN logs missing since Friday — raised by bob, discussed 5:20\n"
    )
    assert minutes_json(record)["in_progress"] is True
    assert render_markdown(record) == markdown


def test_board_decisions_detections_and_new_cards(held: Held, ended: MeetingRecord) -> None:
    markdown = render_markdown(ended)
    assert section(markdown, "Backlog decisions").strip().splitlines() == [
        f"- #{held.pulled} Rotate API keys: medium → high",
        f"- #{held.pulled} Rotate API keys pulled into To Do",
    ]
    tuning = ended.entries(EntryKind.TUNING)[0].card_id
    topic_card = ended.topics[0].card_id
    assert section(markdown, "Detections").strip().splitlines() == [
        f"- #{held.approved} Brute force on VPN approved by bob",
        f"- #{held.rejected} Impossible travel sent back by alice: Too many false positives",
        "  from the office VPN range",
        f"- #{tuning} Tune #{held.tuned}: LSASS access — created from bob's feedback:"
        " Exclude the EDR's own scans",
    ]
    assert section(markdown, "New cards").strip().splitlines() == [
        f"- #{topic_card} Phishing triage takes too long — business, from topic #{held.phishing}",
        f"- #{tuning} Tune #{held.tuned}: LSASS access — engineering, tuning of #{held.tuned}",
    ]


def test_notes_are_grouped_by_the_section_they_were_written_in(ended: MeetingRecord) -> None:
    notes = section(render_markdown(ended), "Notes")
    assert notes.strip().split("\n\n") == [
        "### Kick-off | sitrep",
        "- 10:05 alice: Quiet week.\n  \\# Two P2 incidents, both closed",
        "### Topics discussion",
        "- 10:15 alice: VPN logs | follow up offline",
    ]


def test_on_time_within_the_grace_and_unscheduled(tmp_path: Path) -> None:
    clock = FixedClock(datetime(2026, 11, 24, 10, 0, 50, tzinfo=UTC))
    store = open_store(tmp_path / "y.db", actor="carol", clock=clock, create=True)
    try:
        store.start_meeting()
        clock.advance(timedelta(minutes=1))
        record = store.end_meeting()
        assert "Scheduled 10:00 UTC, started 10:00 UTC — on time. Ended 10:01 UTC after 1:00." in (
            render_markdown(record)
        )
        assert minutes_json(record)["late_minutes"] == 0
        # Nothing decided: those sections are left out, the four fixed ones stay.
        headings = [line for line in render_markdown(record).splitlines() if line.startswith("## ")]
        assert headings == ["## Attendees", "## Duty", "## KPIs", "## Time"]
        assert "| Topics discussion _(not reached)_ | 30:00 |  | 0:00 | -30:00 |" in render_markdown(record)

        store.set_agenda(Agenda(schedule=None))
        clock.advance(timedelta(hours=1))
        record = store.start_meeting()
        assert "Unscheduled, started 11:01 UTC. In progress at 11:01 UTC, 0:00 so far." in (
            render_markdown(record)
        )
        assert minutes_json(record)["late_minutes"] is None
    finally:
        store.close()


def test_late_by_seconds_past_the_grace_rounds_up(tmp_path: Path) -> None:
    clock = FixedClock(datetime(2026, 11, 24, 10, 1, 20, tzinfo=UTC))
    store = open_store(tmp_path / "z.db", actor="carol", clock=clock, create=True)
    try:
        record = store.start_meeting()
        assert "started 10:01 UTC — 2 min late." in render_markdown(record)
        assert minutes_json(record)["late_minutes"] == 2
    finally:
        store.close()


def test_json_carries_the_same_numbers(held: Held, ended: MeetingRecord) -> None:
    data = minutes_json(ended)
    assert json.loads(json.dumps(data)) == data
    assert data["meeting_id"] == ended.meeting.id
    assert data["date"] == "2026-11-24"
    assert data["scheduled_at"] == "2026-11-24T10:00:00Z"
    assert data["started_at"] == "2026-11-24T10:02:00Z"
    assert data["ended_at"] == "2026-11-24T10:44:30Z"
    assert data["late_minutes"] == 2
    assert (data["duration_seconds"], data["paused_seconds"]) == (42 * 60 + 30, 120)
    assert data["attendees"] == ["alice", "bob"]
    assert data["duty"] == {"engineer": "Erin Engineer", "analyst": "Dan Analyst"}
    assert data["kpis"] == ended.meeting.kpis.model_dump(mode="json")
    assert [
        (s["title"], s["kind"], s["planned_seconds"], s["extended_seconds"], s["used_seconds"])
        for s in data["sections"]
    ] == [
        ("Kick-off | sitrep", "kickoff", 300, 0, 370),
        ("Topics discussion", "topics", 1800, 300, 590),
        ("Backlog refinement", "backlog", 900, 0, 720),
        ("Detections review", "detections", 600, 0, 750),
    ]
    assert data["total"] == {
        "planned_seconds": 3600,
        "extended_seconds": 300,
        "used_seconds": 2430,
        "difference_seconds": -1170,
    }
    assert [
        (t["id"], t["submitted_by"], t["card_id"] is not None, t["used_seconds"]) for t in data["topics"]
    ] == [
        (held.phishing, "bob", True, 180),
        (held.heading, "alice", False, 90),
        (held.phishing + 2, "bob", False, 320),  # the VPN topic, carried over
    ]
    assert [(d["kind"], d["card_id"], d.get("from"), d["to"]) for d in data["decisions"]] == [
        ("priority", held.pulled, "medium", "high"),
        ("pull", held.pulled, None, "To Do"),
    ]
    assert [(d["kind"], d["card_id"], d["actor"]) for d in data["detections"]][:2] == [
        ("approve", held.approved, "bob"),
        ("reject", held.rejected, "alice"),
    ]
    assert data["detections"][2]["tunes"] == held.tuned
    assert data["detections"][1]["feedback"] == "Too many false positives\nfrom the office VPN range"
    assert [(c["source"], c["type"]) for c in data["new_cards"]] == [
        ("topic", "business"),
        ("tuning", "engineering"),
    ]
    assert [(n["section_title"], n["text"]) for n in data["notes"]] == [
        ("Kick-off | sitrep", "Quiet week.\n# Two P2 incidents, both closed"),
        ("Topics discussion", "VPN logs | follow up offline"),
    ]
    assert data["publish"] == []


def test_publishing_is_in_the_json_but_does_not_change_the_markdown(held: Held, ended: MeetingRecord) -> None:
    before = render_markdown(ended)
    held.clock.advance(timedelta(seconds=5))
    held.alice.record_publish(ended.meeting.id, "wiki-upload --page handshake", 0, "uploaded")
    after = held.bob.get_meeting(ended.meeting.id)
    assert render_markdown(after) == before
    assert minutes_json(after)["publish"] == [
        {
            "at": "2026-11-24T10:44:35Z",
            "actor": "alice",
            "command": "wiki-upload --page handshake",
            "exit_code": 0,
            "output": "uploaded",
        }
    ]


def test_every_console_renders_the_same_minutes(held: Held, ended: MeetingRecord) -> None:
    assert render_markdown(held.bob.get_meeting(ended.meeting.id)) == render_markdown(ended)
    assert minutes_json(held.bob.get_meeting(ended.meeting.id)) == minutes_json(ended)


def test_minutes_do_not_pull_in_textual_or_sqlite3() -> None:
    import subprocess
    import sys

    code = "import sys, socdesk.minutes; print(sorted(m for m in sys.modules if m in ('textual', 'sqlite3')))"
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.strip() == "[]"
