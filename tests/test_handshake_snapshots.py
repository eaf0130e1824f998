"""What the Handshake view looks like: between meetings, and in the middle of one.

Everything is set up through the store on a fixed clock (Monday 2026-03-02, the booked 09:00 UTC
slot), then the view is opened with ``3``. The clock never moves while the app runs, so the view's
0.5 s tick redraws the same picture. A changed snapshot is a changed screen: look at the diff report
before updating it.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from duty_helpers import weekly
from socdesk.domain import CardDraft, FixedClock, Person
from socdesk.domain.duty import Role
from socdesk.domain.handshake import Agenda
from socdesk.domain.models import Kind, Priority, WorkType
from socdesk.domain.timer import Act
from socdesk.store import Store
from socdesk.ui.app import make_app

SIZE = (120, 40)
MINUTE = timedelta(minutes=1)


@pytest.fixture(autouse=True)
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No person's own settings (a bell, a minutes folder) leak into the picture."""
    path = tmp_path / "config.toml"
    path.write_text(f'[handshake]\nminutes_dir = "{tmp_path / "minutes"}"\n', encoding="utf-8")
    monkeypatch.setenv("SOCDESK_CONFIG", str(path))


@pytest.fixture
def team(store: Store) -> Store:
    for handle, name in [
        ("alice", "Alice Archer"),
        ("bob", "Bob Builder"),
        ("carol", "Carol Chen"),
        ("dan", "Dan Dorn"),
    ]:
        store.add_person(Person(handle=handle, name=name))
    store.set_rotation(weekly(Role.ENGINEER, "alice", "bob"))
    store.set_rotation(weekly(Role.ANALYST, "carol", "dan"))
    store.set_agenda(Agenda(schedule="mon 09:00", tz="UTC"))
    for title, priority in [
        ("Patch the VPN gateway", Priority.LOW),
        ("Rotate the API keys", Priority.HIGH),
        ("Write the phishing playbook", Priority.MEDIUM),
        ("Retire the old SIEM connector", Priority.CRITICAL),
    ]:
        store.add_card(CardDraft(title=title, type=WorkType.OPERATIONS, priority=priority, column="Backlog"))
    store.add_card(CardDraft(title="Renew the TLS certificates", type=WorkType.OPERATIONS, column="To Do"))
    for title, column, assignee in [
        ("Impossible travel rule", "Review", "bob"),
        ("DNS tunnelling rule", "Review", "alice"),
        ("Suspicious PowerShell rule", "In Progress", "bob"),
        ("Old brute-force rule", "Done", None),
    ]:
        store.add_card(
            CardDraft(
                title=title,
                type=WorkType.ENGINEERING,
                kind=Kind.DETECTION,
                column=column,
                assignee=assignee,
            )
        )
    store.add_topic("Noisy EDR alerts on build hosts")
    store.add_topic("Who owns the phishing playbook?")
    store.add_topic("Handover notes are too long")
    return store


def test_idle_with_topics_and_the_last_minutes(snap_compare, team: Store, clock: FixedClock) -> None:
    record = team.start_meeting()
    first, second, _ = record.topics
    clock.advance(5 * MINUTE)
    team.meeting_timer(Act.NEXT)
    team.meeting_timer(Act.ITEM, topic_id=first.id)
    clock.advance(2 * MINUTE)
    team.set_topic_outcome(first.id, "Tune the EDR exclusions for build hosts")
    team.meeting_timer(Act.ITEM, topic_id=second.id)
    clock.advance(MINUTE)
    team.set_topic_outcome(second.id, "Carol owns it from next week")
    team.meeting_note("Ran short: the third topic moves to next week")
    team.end_meeting()
    # The week after: new topics join the one carried over.
    clock.advance(timedelta(days=6, hours=23, minutes=52))
    team.add_topic("VPN gateway CPU alerts")
    assert snap_compare(make_app(team, live=False), terminal_size=SIZE, press=["3"])


def test_mid_meeting_topics_with_a_running_topic_and_an_overrun(
    snap_compare, team: Store, clock: FixedClock
) -> None:
    record = team.start_meeting()
    first, second, _ = record.topics
    clock.advance(6 * MINUTE)  # the kick-off ran a minute over
    team.meeting_timer(Act.NEXT)
    team.meeting_timer(Act.ITEM, topic_id=first.id)
    clock.advance(3 * MINUTE)  # and so did the first topic
    team.set_topic_outcome(first.id, "Tune the EDR exclusions for build hosts")
    team.meeting_timer(Act.ITEM, topic_id=second.id)
    clock.advance(timedelta(seconds=45))
    team.meeting_note("Carol to check the exclusions with IT")
    assert snap_compare(make_app(team, live=False), terminal_size=SIZE, press=["3"])


def test_the_backlog_section(snap_compare, team: Store, clock: FixedClock) -> None:
    team.start_meeting()
    clock.advance(5 * MINUTE)
    team.meeting_timer(Act.NEXT)
    clock.advance(20 * MINUTE)
    team.meeting_timer(Act.NEXT)
    clock.advance(4 * MINUTE)
    assert snap_compare(make_app(team, live=False), terminal_size=SIZE, press=["3"])


def test_the_detections_section(snap_compare, team: Store, clock: FixedClock) -> None:
    team.start_meeting()
    for minutes in (5, 25, 12):
        clock.advance(minutes * MINUTE)
        team.meeting_timer(Act.NEXT)
    clock.advance(2 * MINUTE)
    assert snap_compare(make_app(team, live=False), terminal_size=SIZE, press=["3"])
