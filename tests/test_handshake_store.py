"""The handshake through the real SQLite store: the intake and its cap, one meeting at a time, the
shared clock folded by a second console, board decisions with their WIP rules, conflicts, the event
log each write leaves, and export/import."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from duty_helpers import weekly
from socdesk.domain import (
    Card,
    CardDraft,
    CardPatch,
    Conflict,
    FixedClock,
    InvalidInput,
    Kind,
    NotFound,
    Person,
    Priority,
    Snapshot,
    WipLimitReached,
    WorkType,
)
from socdesk.domain.duty import OverrideDraft
from socdesk.domain.handshake import Agenda, AgendaSection, EntryKind, SectionKind
from socdesk.domain.kpis import compute_kpis
from socdesk.domain.timer import Act
from socdesk.store import Store, open_store

TUESDAY = datetime(2026, 3, 3, 10, 0, tzinfo=UTC)  # the default agenda's slot: tue 10:00 UTC
NOT_RUNNING = "no handshake is running"


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(TUESDAY)


@pytest.fixture
def bob(store: Store, db_path: Path, clock: FixedClock) -> Iterator[Store]:
    """A second console: another actor on another connection to the same file."""
    s = open_store(db_path, actor="bob", clock=clock)
    yield s
    s.close()


Ev = tuple[str, str, str]


def events_since(s: Store, before: int) -> list[Ev]:
    return [(e.action, e.entity, e.entity_id) for e in s.events_after(before)]


def add(s: Store, title: str, column: str, *, kind: Kind = Kind.TASK, **fields: Any) -> Card:
    draft = CardDraft(title=title, type=WorkType.ENGINEERING, kind=kind, column=column, **fields)
    return s.add_card(draft)


def fill(s: Store, column: str, count: int) -> None:
    for i in range(count):
        add(s, f"{column} filler {i}", column)


def column_count(s: Store, column: str) -> int:
    return sum(c.column == column for c in s.list_cards())


@dataclass
class Board:
    """A running handshake with three topics, a backlog task and a detection waiting for review."""

    store: Store
    meeting_id: int
    topics: list[int]
    task: Card
    detection: Card
    live_detection: Card


@pytest.fixture
def board(store: Store, clock: FixedClock) -> Board:
    topics = [store.add_topic(f"Topic {i}").id for i in (1, 2, 3)]
    task = add(store, "Rotate the SIEM keys", "Backlog")
    detection = add(store, "Impossible travel", "Review", kind=Kind.DETECTION, security=True)
    live = add(store, "Brute force on VPN", "Done", kind=Kind.DETECTION)
    clock.advance(timedelta(seconds=30))
    record = store.start_meeting()
    return Board(store, record.meeting.id, topics, task, detection, live)


# ------------------------------------------------------------------------------ the intake


def test_the_seventh_topic_is_refused_and_nothing_is_written(store: Store) -> None:
    added = [store.add_topic(f"Topic {i}") for i in range(1, 7)]
    assert [t.id for t in added] == [1, 2, 3, 4, 5, 6]
    assert (added[0].submitted_by, added[0].submitted_at, added[0].version) == ("alice", TUESDAY, 1)
    before = store.last_event_id()
    with pytest.raises(InvalidInput) as refused:
        store.add_topic("Topic 7")
    message = str(refused.value)
    assert "already has 6 topics" in message and "(6)" in message
    assert "move one to next week" in message and "socdesk handshake topic defer ID" in message
    assert store.last_event_id() == before
    assert [t.text for t in store.list_topics()] == [f"Topic {i}" for i in range(1, 7)]


def test_adding_a_topic_logs_one_topic_event(store: Store) -> None:
    before = store.last_event_id()
    topic = store.add_topic("  Phishing simulation results  ")
    assert topic.text == "Phishing simulation results"
    assert events_since(store, before) == [("handshake.topic.add", "topic", str(topic.id))]
    event = store.recent_events(1)[0]
    assert event.actor == "alice" and event.after is not None and event.after["text"] == topic.text


@pytest.mark.parametrize("text", ["", "   ", "x" * 301, "bell\x07"])
def test_a_bad_topic_is_refused_and_nothing_is_written(store: Store, text: str) -> None:
    before = store.last_event_id()
    with pytest.raises(InvalidInput, match="invalid topic"):
        store.add_topic(text)
    assert store.list_topics() == [] and store.last_event_id() == before


def test_deferring_a_topic_frees_a_place_in_the_intake(store: Store) -> None:
    for i in range(1, 7):
        store.add_topic(f"Topic {i}")
    before = store.last_event_id()
    deferred = store.defer_topic(2, expected_version=1)
    assert (deferred.id, deferred.deferred, deferred.version, deferred.meeting_id) == (2, True, 2, None)
    assert events_since(store, before) == [("handshake.topic.defer", "topic", "2")]
    seventh = store.add_topic("Topic 7")
    assert seventh.id == 7 and not seventh.deferred
    # The intake first (oldest first), then what waits for a later week.
    assert [(t.id, t.deferred) for t in store.list_topics()] == [
        (1, False),
        (3, False),
        (4, False),
        (5, False),
        (6, False),
        (7, False),
        (2, True),
    ]
    with pytest.raises(InvalidInput, match="move one to next week"):
        store.add_topic("Topic 8")
    # Deferring again changes nothing and logs nothing.
    mark = store.last_event_id()
    assert store.defer_topic(2) == deferred
    assert store.last_event_id() == mark


def test_deferring_an_unknown_topic(store: Store) -> None:
    with pytest.raises(NotFound, match="no topic with id 9"):
        store.defer_topic(9)
    with pytest.raises(Conflict, match="topic 9 was deleted"):
        store.defer_topic(9, expected_version=1)


# ------------------------------------------------------------------------------ starting


@pytest.fixture
def team(store: Store) -> Store:
    for handle, name in [("alice", "Alice Ng"), ("bob", "Bob Ruiz"), ("carol", "Carol Okafor")]:
        store.add_person(Person(handle=handle, name=name))
    store.set_rotation(weekly("engineer", "alice", "carol"))
    store.set_rotation(weekly("analyst", "bob", "carol"))
    return store


def test_starting_takes_the_intake_and_freezes_agenda_duty_and_kpis(team: Store, clock: FixedClock) -> None:
    store = team
    add(store, "In flight", "To Do")
    waiting = [store.add_topic(f"Topic {i}") for i in (1, 2, 3)]
    store.defer_topic(waiting[1].id)
    clock.advance(timedelta(seconds=40))
    before = store.last_event_id()

    record = store.start_meeting()

    meeting = record.meeting
    assert (meeting.id, meeting.started_at, meeting.started_by, meeting.ended_at) == (
        1,
        TUESDAY + timedelta(seconds=40),
        "alice",
        None,
    )
    assert meeting.scheduled_at == TUESDAY and meeting.late_by == timedelta(0)
    assert meeting.agenda == Agenda()
    assert meeting.duty == {"engineer": "Alice Ng", "analyst": "Bob Ruiz"}
    assert meeting.kpis == compute_kpis(store.list_cards(), store.list_columns(), meeting.started_at)
    assert meeting.kpis.at == meeting.started_at
    assert {w.column: w.count for w in meeting.kpis.wip}["To Do"] == 1
    assert [(t.id, t.meeting_id, t.version) for t in record.topics] == [(1, 1, 2), (3, 1, 2)]
    assert [(t.id, t.deferred, t.meeting_id) for t in store.list_topics()] == [(2, True, None)]
    assert [(e.kind, e.actor, e.at) for e in record.log] == [(EntryKind.START, "alice", meeting.started_at)]
    assert events_since(store, before) == [
        ("handshake.topic.take", "topic", "1"),
        ("handshake.topic.take", "topic", "3"),
        ("handshake.start", "meeting", "1"),
    ]
    assert store.current_meeting() == record == store.get_meeting() == store.get_meeting(1)
    assert store.list_meetings() == [meeting]

    # What changes afterwards does not reach the meeting's copy.
    store.set_agenda(Agenda(sections=(AgendaSection(title="Short", minutes=20, kind=SectionKind.TOPICS),)))
    add(store, "Another", "To Do")
    store.add_override(
        OverrideDraft(
            role="engineer",
            person="carol",
            starts_at=TUESDAY - timedelta(hours=1),
            ends_at=TUESDAY + timedelta(days=1),
        )
    )
    clock.advance(timedelta(minutes=3))
    again = store.get_meeting(1).meeting
    assert again == meeting
    timer = store.get_meeting(1).timer(clock.now())
    assert [s.planned for s in timer.sections] == Agenda().planned()
    assert timer.remaining == timedelta(minutes=2)


def test_a_start_with_nobody_on_duty_records_the_gap(store: Store, clock: FixedClock) -> None:
    clock.advance(timedelta(minutes=7))
    meeting = store.start_meeting().meeting
    assert meeting.duty == {"engineer": "NO ON-DUTY ENGINEER", "analyst": "NO ON-CALL ANALYST"}
    assert meeting.late_by == timedelta(minutes=7)
    assert store.get_meeting().topics == ()


def test_a_meeting_far_from_the_slot_is_unscheduled(store: Store, clock: FixedClock) -> None:
    clock.set(TUESDAY + timedelta(days=2))
    meeting = store.start_meeting().meeting
    assert meeting.scheduled_at is None and meeting.late_by is None
    timer = store.get_meeting().timer(clock.now())
    assert timer.deadline == clock.now() + timedelta(hours=1)


def test_a_start_takes_no_more_topics_than_the_agendas_cap(store: Store) -> None:
    for i in range(1, 7):
        store.add_topic(f"Topic {i}")
    store.set_agenda(Agenda(topic_cap=3))  # lowered after the intake filled up
    record = store.start_meeting()
    assert [t.id for t in record.topics] == [1, 2, 3]
    assert [(t.id, t.meeting_id, t.deferred) for t in store.list_topics()] == [
        (4, None, False),
        (5, None, False),
        (6, None, False),
    ]


def test_topics_submitted_during_a_meeting_wait_for_the_next(board: Board, clock: FixedClock) -> None:
    store = board.store
    late = store.add_topic("Raised mid-meeting")
    assert late.meeting_id is None and not late.deferred
    record = store.get_meeting()
    assert [t.id for t in record.topics] == board.topics
    assert [t.id for t in store.list_topics()] == [late.id]
    with pytest.raises(InvalidInput, match=f"taken up by handshake {board.meeting_id}"):
        store.defer_topic(board.topics[0])
    for topic_id in board.topics:
        store.set_topic_outcome(topic_id, "discussed")
    store.end_meeting()
    clock.advance(timedelta(days=7))
    following = store.start_meeting()
    assert following.meeting.id == board.meeting_id + 1
    assert [t.id for t in following.topics] == [late.id]


def test_only_one_meeting_runs_at_a_time(board: Board, bob: Store) -> None:
    before = board.store.last_event_id()
    for console in (board.store, bob):
        with pytest.raises(
            InvalidInput, match=r"handshake 1 is already running \(started 10:00 UTC by alice\)"
        ):
            console.start_meeting()
    assert board.store.last_event_id() == before
    assert len(bob.list_meetings()) == 1


def test_joining_is_logged_once_per_person(board: Board, bob: Store) -> None:
    before = bob.last_event_id()
    joined = bob.join_meeting()
    assert joined is not None and joined.attendees() == ["alice", "bob"]
    assert bob.join_meeting() == joined  # once only
    assert board.store.join_meeting() is not None  # alice started it: already there
    assert events_since(bob, before) == [("handshake.join", "meeting", "1")]


def test_a_note_is_logged_on_the_current_section(board: Board, clock: FixedClock) -> None:
    store = board.store
    store.meeting_timer(Act.NEXT)
    before = store.last_event_id()
    note = store.meeting_note("  Agreed to revisit the EDR exclusions  ")
    assert (note.kind, note.section, note.text, note.actor) == (
        EntryKind.NOTE,
        1,
        "Agreed to revisit the EDR exclusions",
        "alice",
    )
    assert events_since(store, before) == [("handshake.note", "meeting", "1")]
    assert store.get_meeting().notes(1) == [note]
    for bad in ("   ", "x" * 5001):
        with pytest.raises(InvalidInput):
            store.meeting_note(bad)
    assert store.last_event_id() == before + 1


# ------------------------------------------------------------------------------ the shared clock


def test_timer_actions_are_logged_and_a_second_console_folds_the_same_timer(
    board: Board, bob: Store, clock: FixedClock
) -> None:
    alice = board.store
    start = alice.get_meeting().meeting.started_at
    clock.advance(timedelta(minutes=4))
    before = alice.last_event_id()
    alice.meeting_timer(Act.NEXT)
    bob.meeting_timer(Act.ITEM, topic_id=board.topics[0])
    clock.advance(timedelta(minutes=3))
    bob.meeting_timer(Act.PAUSE)
    clock.advance(timedelta(minutes=10))
    alice.meeting_timer(Act.RESUME)
    alice.meeting_timer(Act.EXTEND, minutes=5)
    clock.advance(timedelta(minutes=1))

    kinds = [e.kind for e in bob.get_meeting().log]
    assert kinds == [
        EntryKind.START,
        EntryKind.NEXT,
        EntryKind.ITEM,
        EntryKind.PAUSE,
        EntryKind.RESUME,
        EntryKind.EXTEND,
    ]
    log = alice.get_meeting().log
    assert [e.actor for e in log] == ["alice", "alice", "bob", "bob", "alice", "alice"]
    assert (log[2].topic_id, log[5].minutes) == (board.topics[0], 5)
    assert [e.section for e in log[1:]] == [0, 1, 1, 1, 1]  # the section each was taken in
    assert events_since(alice, before) == [(f"handshake.{k.value}", "meeting", "1") for k in kinds[1:]]

    now = clock.now()
    seen_by_alice = alice.get_meeting().timer(now)
    seen_by_bob = bob.get_meeting().timer(now)
    assert seen_by_alice == seen_by_bob
    assert seen_by_alice.current == 1 and not seen_by_alice.paused
    assert [s.used for s in seen_by_alice.sections] == [
        timedelta(minutes=4),  # started, then 4 minutes later next
        timedelta(minutes=3 + 1),  # 10 paused minutes not counted
        timedelta(0),
        timedelta(0),
    ]
    assert seen_by_alice.sections[1].allowance == timedelta(minutes=35)
    assert seen_by_alice.remaining == timedelta(minutes=31)
    assert seen_by_alice.item == board.topics[0] and seen_by_alice.item_remaining == -timedelta(minutes=2)
    assert seen_by_alice.started_at == start
    # A third connection opened later sees the same.
    third = open_store(alice.location, actor="carol", clock=clock)
    try:
        assert third.get_meeting().timer(now) == seen_by_alice
    finally:
        third.close()


@pytest.mark.parametrize(
    ("act", "kw", "error", "message"),
    [
        (Act.PREV, {}, InvalidInput, "first section"),
        (Act.RESUME, {}, InvalidInput, "not paused"),
        (Act.EXTEND, {"minutes": 31}, InvalidInput, "extend by 1 to 30 minutes, not 31"),
        (Act.EXTEND, {"minutes": 0}, InvalidInput, "not 0"),
        (Act.ITEM, {"topic_id": 1}, InvalidInput, "topics are timed in the topics section"),
        (Act.ITEM, {"topic_id": 99}, NotFound, "topic #99 is not on this handshake's list"),
        (Act.ITEM, {}, NotFound, "is not on this handshake's list"),
        (Act.START, {}, InvalidInput, "start is not a timer action here"),
        (Act.END, {}, InvalidInput, "end is not a timer action here"),
    ],
)
def test_a_refused_timer_action_writes_nothing(
    board: Board, act: Act, kw: dict[str, Any], error: type[Exception], message: str
) -> None:
    store = board.store
    before = store.last_event_id()
    with pytest.raises(error, match=message):
        store.meeting_timer(act, **kw)
    assert store.last_event_id() == before
    assert len(store.get_meeting().log) == 1


def test_a_console_whose_clock_is_behind_cannot_log_an_older_action(
    board: Board, db_path: Path, clock: FixedClock
) -> None:
    behind = open_store(db_path, actor="bob", clock=FixedClock(clock.now() - timedelta(seconds=5)))
    try:
        with pytest.raises(InvalidInput, match="older than the last one"):
            behind.meeting_timer(Act.PAUSE)
    finally:
        behind.close()
    assert len(board.store.get_meeting().log) == 1


def test_next_on_the_last_section_is_refused(board: Board) -> None:
    store = board.store
    for _ in range(3):
        store.meeting_timer(Act.NEXT)
    with pytest.raises(InvalidInput, match="last section"):
        store.meeting_timer(Act.NEXT)
    assert [e.kind for e in store.get_meeting().log].count(EntryKind.NEXT) == 3


# ------------------------------------------------------------------------------ ending


def test_ending_carries_unreached_topics_over_and_returns_deferred_ones_up_to_the_cap(
    store: Store, clock: FixedClock
) -> None:
    for i in range(1, 7):
        store.add_topic(f"Topic {i}")
    store.defer_topic(1)
    store.add_topic("Topic 7")  # the intake: 2..7
    record = store.start_meeting()
    assert [t.id for t in record.topics] == [2, 3, 4, 5, 6, 7]
    store.add_topic("Topic 8")
    store.add_topic("Topic 9")
    store.set_topic_outcome(2, "agreed")
    store.topic_to_card(3, WorkType.OPERATIONS)
    clock.advance(timedelta(minutes=58))
    before = store.last_event_id()

    ended = store.end_meeting()

    assert ended.meeting.ended_at == clock.now() and ended.meeting.version == 2
    assert [(e.kind, e.topic_id) for e in ended.log[-5:]] == [
        (EntryKind.END, None),
        *[(EntryKind.CARRY_OVER, i) for i in (4, 5, 6, 7)],
    ]
    assert store.current_meeting() is None
    assert ended.timer(clock.now() + timedelta(hours=1)).ended_at == clock.now()
    # Reached topics stay with the meeting; the others leave it (its log remembers them).
    assert [t.id for t in ended.topics] == [2, 3]
    assert [(t.id, t.meeting_id) for t in ended.all_topics()] == [(i, 1) for i in range(2, 8)]
    # Room for 4 in the intake after 8 and 9: the oldest waiting ones come back (1, then 4, 5, 6).
    assert [(t.id, t.deferred) for t in store.list_topics()] == [
        (1, False),
        (4, False),
        (5, False),
        (6, False),
        (8, False),
        (9, False),
        (7, True),
    ]
    assert events_since(store, before) == [
        ("handshake.end", "meeting", "1"),
        *[
            event
            for i in (4, 5, 6, 7)
            for event in (
                ("handshake.carry-over", "meeting", "1"),
                ("handshake.topic.carry-over", "topic", str(i)),
            )
        ],
        *[("handshake.topic.return", "topic", str(i)) for i in (1, 4, 5, 6)],
    ]
    with pytest.raises(InvalidInput, match=NOT_RUNNING):
        store.end_meeting()
    # The next meeting takes them.
    clock.advance(timedelta(days=7))
    assert [t.id for t in store.start_meeting().topics] == [1, 4, 5, 6, 8, 9]


def test_ending_while_paused_is_allowed_and_stops_the_clock(board: Board, clock: FixedClock) -> None:
    store = board.store
    store.meeting_timer(Act.PAUSE)
    clock.advance(timedelta(minutes=2))
    ended = store.end_meeting()
    timer = ended.timer(clock.now() + timedelta(hours=2))
    assert not timer.running and not timer.paused
    assert timer.sections[0].used == timedelta(0)


# ------------------------------------------------------------------------------ topics → outcomes, cards


def test_an_outcome_is_saved_on_the_topic_and_logged(board: Board) -> None:
    store = board.store
    topic_id = board.topics[0]
    before = store.last_event_id()
    topic = store.set_topic_outcome(topic_id, "  Tune the rule; owner Bob  ", expected_version=2)
    assert (topic.outcome, topic.version) == ("Tune the rule; owner Bob", 3)
    assert events_since(store, before) == [
        ("handshake.topic.outcome", "topic", str(topic_id)),
        ("handshake.outcome", "meeting", "1"),
    ]
    entry = store.get_meeting().log[-1]
    assert (entry.kind, entry.topic_id, entry.text) == (
        EntryKind.OUTCOME,
        topic_id,
        "Tune the rule; owner Bob",
    )
    with pytest.raises(InvalidInput, match="invalid topic"):
        store.set_topic_outcome(topic_id, "x" * 2001)


def test_a_topic_becomes_a_backlog_card_linked_both_ways(board: Board, clock: FixedClock) -> None:
    store = board.store
    topic_id = board.topics[1]
    store.set_topic_outcome(topic_id, "Needs a playbook")
    before = store.last_event_id()
    card = store.topic_to_card(topic_id, WorkType.BUSINESS)
    assert (card.column, card.type, card.kind, card.title) == (
        "Backlog",
        WorkType.BUSINESS,
        Kind.TASK,
        "Topic 2",
    )
    assert f"From handshake topic #{topic_id}, raised by alice." in card.description
    assert "Outcome: Needs a playbook" in card.description
    topic = store.get_meeting().topic(topic_id)
    assert topic is not None and topic.card_id == card.id
    entry = store.get_meeting().log[-1]
    assert (entry.kind, entry.topic_id, entry.card_id, entry.data) == (
        EntryKind.TOPIC_CARD,
        topic_id,
        card.id,
        {"type": "business"},
    )
    assert events_since(store, before) == [
        ("card.add", "card", str(card.id)),
        ("handshake.topic.card", "topic", str(topic_id)),
        ("handshake.topic-card", "meeting", "1"),
    ]
    added = store.card_history(card.id)[0]
    assert added.meta == {"meeting": 1, "topic": topic_id}

    mark = store.last_event_id()
    with pytest.raises(InvalidInput, match=f"already on the board as card #{card.id}"):
        store.topic_to_card(topic_id, WorkType.OPERATIONS)
    assert store.last_event_id() == mark
    assert column_count(store, "Backlog") == 2  # the task and this card, nothing more


def test_a_topic_not_on_this_meetings_list_is_refused(board: Board) -> None:
    store = board.store
    later = store.add_topic("Next week's")
    before = store.last_event_id()
    with pytest.raises(InvalidInput, match=f"topic #{later.id} is not on this handshake's list"):
        store.set_topic_outcome(later.id, "x")
    with pytest.raises(InvalidInput, match="not on this handshake's list"):
        store.topic_to_card(later.id, WorkType.BUSINESS)
    with pytest.raises(NotFound, match="no topic with id 99"):
        store.topic_to_card(99, WorkType.BUSINESS)
    assert store.last_event_id() == before


# ------------------------------------------------------------------------------ backlog refinement


def test_refine_priority_edits_the_card_and_logs_the_decision(board: Board) -> None:
    store = board.store
    before = store.last_event_id()
    card = store.refine_priority(board.task.id, Priority.HIGH, expected_version=1)
    assert (card.priority, card.version) == (Priority.HIGH, 2)
    assert store.get_card(board.task.id).priority is Priority.HIGH
    assert events_since(store, before) == [
        ("card.edit", "card", str(card.id)),
        ("handshake.priority", "meeting", "1"),
    ]
    assert store.card_history(card.id)[-1].meta == {"fields": ["priority"], "meeting": 1}
    entry = store.get_meeting().log[-1]
    assert (entry.kind, entry.card_id, entry.data) == (
        EntryKind.PRIORITY,
        card.id,
        {"from": "medium", "to": "high"},
    )
    # The same priority again: nothing to decide, nothing logged.
    mark = store.last_event_id()
    assert store.refine_priority(card.id, Priority.HIGH) == card
    assert store.last_event_id() == mark


def test_pulling_a_backlog_card_into_to_do(board: Board) -> None:
    store = board.store
    store.refine_priority(board.task.id, Priority.CRITICAL)
    before = store.last_event_id()
    card = store.pull_card(board.task.id, expected_version=2)
    assert card.column == "To Do" and card.version == 3
    assert events_since(store, before) == [
        ("card.move", "card", str(card.id)),
        ("handshake.pull", "meeting", "1"),
    ]
    assert store.card_history(card.id)[-1].meta == {"from": "Backlog", "to": "To Do", "meeting": 1}
    entry = store.get_meeting().log[-1]
    assert (entry.kind, entry.card_id, entry.data) == (
        EntryKind.PULL,
        card.id,
        {"to": "To Do", "priority": "critical"},
    )


def test_pulling_into_a_full_to_do_is_refused_unless_forced_with_a_reason(board: Board) -> None:
    store = board.store
    fill(store, "To Do", 8)
    before = store.last_event_id()
    with pytest.raises(WipLimitReached) as refused:
        store.pull_card(board.task.id)
    assert (refused.value.column, refused.value.count, refused.value.limit) == ("To Do", 8, 8)
    with pytest.raises(InvalidInput, match="needs a reason"):
        store.pull_card(board.task.id, force=True)
    assert store.last_event_id() == before
    assert store.get_card(board.task.id).column == "Backlog"
    assert len(store.get_meeting().log) == 1

    card = store.pull_card(board.task.id, force=True, reason="regulator deadline")
    assert card.column == "To Do" and column_count(store, "To Do") == 9
    meta = store.card_history(card.id)[-1].meta
    assert meta == {
        "from": "Backlog",
        "to": "To Do",
        "wip_override": {"column": "To Do", "count": 8, "limit": 8},
        "reason": "regulator deadline",
        "meeting": 1,
    }
    assert [a for a, _, _ in events_since(store, before)] == ["card.move", "handshake.pull"]


def test_only_a_backlog_card_can_be_pulled(board: Board) -> None:
    store = board.store
    before = store.last_event_id()
    with pytest.raises(InvalidInput, match=f"card #{board.detection.id} is in Review, not the Backlog"):
        store.pull_card(board.detection.id)
    with pytest.raises(NotFound):
        store.pull_card(999)
    assert store.last_event_id() == before


# ------------------------------------------------------------------------------ detections


def test_approving_a_detection_moves_it_to_done_and_records_the_approver(board: Board, bob: Store) -> None:
    before = bob.last_event_id()
    card = bob.approve_detection(board.detection.id, expected_version=1)
    assert card.column == "Done" and card.done_at is not None
    assert events_since(bob, before) == [
        ("card.move", "card", str(card.id)),
        ("handshake.approve", "meeting", "1"),
    ]
    move = bob.card_history(card.id)[-1]
    assert move.actor == "bob"
    assert move.meta == {"from": "Review", "to": "Done", "meeting": 1, "approved_by": "bob"}
    entry = bob.get_meeting().log[-1]
    assert (entry.kind, entry.card_id, entry.actor, entry.text) == (
        EntryKind.APPROVE,
        card.id,
        "bob",
        "Impossible travel",
    )


def test_rejecting_a_detection_sends_it_back_with_the_feedback(board: Board) -> None:
    store = board.store
    before = store.last_event_id()
    card = store.reject_detection(board.detection.id, "  Too many false positives from VPN egress  ")
    assert card.column == "In Progress"
    assert events_since(store, before) == [
        ("card.move", "card", str(card.id)),
        ("handshake.reject", "meeting", "1"),
    ]
    meta = store.card_history(card.id)[-1].meta
    assert meta == {
        "from": "Review",
        "to": "In Progress",
        "meeting": 1,
        "rejected_by": "alice",
        "feedback": "Too many false positives from VPN egress",
    }
    entry = store.get_meeting().log[-1]
    assert (entry.kind, entry.text, entry.data) == (
        EntryKind.REJECT,
        "Too many false positives from VPN egress",
        {"title": "Impossible travel"},
    )


def test_rejecting_into_a_full_in_progress_works_and_records_the_override(board: Board) -> None:
    store = board.store
    fill(store, "In Progress", 4)
    card = store.reject_detection(board.detection.id, "Needs an allow-list")
    assert card.column == "In Progress" and column_count(store, "In Progress") == 5
    meta = store.card_history(card.id)[-1].meta
    assert meta is not None
    assert meta["wip_override"] == {"column": "In Progress", "count": 4, "limit": 4}
    assert meta["reason"] == "rejected at the handshake: Needs an allow-list"
    assert meta["feedback"] == "Needs an allow-list"


def test_rejecting_needs_feedback(board: Board) -> None:
    store = board.store
    before = store.last_event_id()
    with pytest.raises(InvalidInput, match="feedback needs some text"):
        store.reject_detection(board.detection.id, "   ")
    with pytest.raises(InvalidInput, match="at most 2000"):
        store.reject_detection(board.detection.id, "x" * 2001)
    assert store.last_event_id() == before
    assert store.get_card(board.detection.id).column == "Review"


def test_tuning_a_detection_adds_a_linked_engineering_card_to_the_backlog(board: Board) -> None:
    store = board.store
    before = store.last_event_id()
    card = store.tune_detection(board.live_detection.id, "Threshold too low at night")
    assert (card.column, card.type, card.kind, card.labels) == (
        "Backlog",
        WorkType.ENGINEERING,
        Kind.DETECTION,
        ("tuning",),
    )
    assert card.title == f"Tune #{board.live_detection.id}: Brute force on VPN"
    assert "Feedback: Threshold too low at night" in card.description
    assert "from the handshake of 2026-03-03" in card.description
    assert events_since(store, before) == [
        ("card.add", "card", str(card.id)),
        ("handshake.tuning", "meeting", "1"),
    ]
    assert store.card_history(card.id)[0].meta == {"meeting": 1, "tunes": board.live_detection.id}
    entry = store.get_meeting().log[-1]
    assert (entry.kind, entry.card_id, entry.text) == (
        EntryKind.TUNING,
        card.id,
        "Threshold too low at night",
    )
    assert (entry.data["tunes"], entry.data["title"]) == (board.live_detection.id, card.title)
    assert store.get_card(board.live_detection.id).column == "Done"  # the detection itself stays
    # The security flag travels with the tuning card.
    assert store.tune_detection(board.detection.id, "x").security is True


@pytest.mark.parametrize(
    ("decide", "target", "message"),
    [
        ("approve", "task", "is a task, not a detection"),
        ("reject", "task", "is a task, not a detection"),
        ("tune", "task", "is a task, not a detection"),
        ("approve", "live_detection", "is in Done, not in Review"),
        ("reject", "live_detection", "is in Done, not in Review"),
    ],
)
def test_decisions_on_the_wrong_card_are_refused(
    board: Board, decide: str, target: str, message: str
) -> None:
    store = board.store
    card: Card = getattr(board, target)
    run: dict[str, Callable[[], Card]] = {
        "approve": lambda: store.approve_detection(card.id),
        "reject": lambda: store.reject_detection(card.id, "feedback"),
        "tune": lambda: store.tune_detection(card.id, "feedback"),
    }
    before = store.last_event_id()
    with pytest.raises(InvalidInput, match=message):
        run[decide]()
    assert store.last_event_id() == before
    assert store.get_card(card.id) == card
    assert len(store.get_meeting().log) == 1


# ------------------------------------------------------------------------------ conflicts


def _outcome(b: Board, v: int) -> object:
    return b.store.set_topic_outcome(b.topics[0], "x", expected_version=v)


STALE: list[tuple[str, Callable[[Board, int], object]]] = [
    ("outcome", _outcome),
    ("topic card", lambda b, v: b.store.topic_to_card(b.topics[0], WorkType.BUSINESS, expected_version=v)),
    ("priority", lambda b, v: b.store.refine_priority(b.task.id, Priority.LOW, expected_version=v)),
    ("pull", lambda b, v: b.store.pull_card(b.task.id, expected_version=v)),
    ("approve", lambda b, v: b.store.approve_detection(b.detection.id, expected_version=v)),
    ("reject", lambda b, v: b.store.reject_detection(b.detection.id, "no", expected_version=v)),
]


@pytest.mark.parametrize("write", [w for _, w in STALE], ids=[n for n, _ in STALE])
def test_a_stale_version_is_a_conflict_and_nothing_changes(
    board: Board, bob: Store, write: Callable[[Board, int], object]
) -> None:
    # Bob changes every row first; alice still holds the versions she read before.
    bob.set_topic_outcome(board.topics[0], "bob was here")  # topic: 2 -> 3 (the start made it 2)
    bob.edit_card(board.task.id, CardPatch(description="bob"))
    bob.edit_card(board.detection.id, CardPatch(description="bob"))
    store = board.store
    cards, topics, log = store.list_cards(), store.get_meeting().topics, store.get_meeting().log
    before = store.last_event_id()
    stale = 2 if write is _outcome else 1
    with pytest.raises(Conflict) as conflict:
        write(board, stale)
    assert conflict.value.by == "bob" and conflict.value.expected == stale
    assert store.last_event_id() == before
    assert store.list_cards() == cards
    assert store.get_meeting().topics == topics and store.get_meeting().log == log


def test_a_topic_read_before_the_start_is_stale_afterwards(store: Store, clock: FixedClock) -> None:
    topic = store.add_topic("Read before the start")
    store.start_meeting()
    with pytest.raises(Conflict, match="you had version 1, now version 2"):
        store.set_topic_outcome(topic.id, "x", expected_version=topic.version)


def test_a_conflict_after_the_start_names_who_started_the_meeting(
    store: Store, bob: Store, clock: FixedClock
) -> None:
    topic = bob.add_topic("Submitted by bob")
    clock.advance(timedelta(minutes=5))
    store.start_meeting()
    with pytest.raises(Conflict) as conflict:
        bob.set_topic_outcome(topic.id, "x", expected_version=topic.version)
    assert (conflict.value.by, conflict.value.at) == ("alice", clock.now())


def test_a_stale_defer_is_a_conflict(store: Store, bob: Store) -> None:
    topic = store.add_topic("T")
    bob.defer_topic(topic.id)
    with pytest.raises(Conflict, match="by bob"):
        store.defer_topic(topic.id, expected_version=1)


# ------------------------------------------------------------------------------ nothing running

WITHOUT_MEETING: list[tuple[str, Callable[[Store], object]]] = [
    ("next", lambda s: s.meeting_timer(Act.NEXT)),
    ("pause", lambda s: s.meeting_timer(Act.PAUSE)),
    ("extend", lambda s: s.meeting_timer(Act.EXTEND, minutes=5)),
    ("item", lambda s: s.meeting_timer(Act.ITEM, topic_id=1)),
    ("end", lambda s: s.end_meeting()),
    ("note", lambda s: s.meeting_note("hello")),
    ("outcome", lambda s: s.set_topic_outcome(1, "agreed")),
    ("topic card", lambda s: s.topic_to_card(1, WorkType.BUSINESS)),
    ("priority", lambda s: s.refine_priority(1, Priority.HIGH)),
    ("pull", lambda s: s.pull_card(1)),
    ("approve", lambda s: s.approve_detection(2)),
    ("reject", lambda s: s.reject_detection(2, "no")),
    ("tune", lambda s: s.tune_detection(2, "no")),
]


@pytest.mark.parametrize("write", [w for _, w in WITHOUT_MEETING], ids=[n for n, _ in WITHOUT_MEETING])
@pytest.mark.parametrize("held_before", [False, True], ids=["never held", "after one ended"])
def test_meeting_actions_without_a_running_meeting_are_refused(
    store: Store, write: Callable[[Store], object], held_before: bool
) -> None:
    store.add_topic("T")
    add(store, "Task", "Backlog")
    add(store, "Detection", "Review", kind=Kind.DETECTION)
    if held_before:
        store.start_meeting()
        store.end_meeting()
    cards = store.list_cards()
    before = store.last_event_id()
    with pytest.raises(InvalidInput, match=NOT_RUNNING):
        write(store)
    assert store.last_event_id() == before and store.list_cards() == cards
    assert store.join_meeting() is None and store.current_meeting() is None


def test_without_any_meeting_get_meeting_says_so(store: Store) -> None:
    with pytest.raises(NotFound, match="no handshake has been held yet"):
        store.get_meeting()
    with pytest.raises(NotFound, match="no handshake with id 3"):
        store.get_meeting(3)
    assert store.list_meetings() == [] and store.current_meeting() is None


def test_publishing_is_logged_on_an_ended_meeting(board: Board) -> None:
    store = board.store
    store.end_meeting()
    before = store.last_event_id()
    entry = store.record_publish(1, "wiki-post minutes.md", 0, "posted\n" * 1000)
    assert (entry.kind, entry.text, entry.data["exit_code"]) == (EntryKind.PUBLISH, "wiki-post minutes.md", 0)
    assert len(entry.data["output"]) == 2000
    assert events_since(store, before) == [("handshake.publish", "meeting", "1")]
    assert store.get_meeting(1).log[-1] == entry


# ------------------------------------------------------------------------------ the agenda setting


def test_the_agenda_is_shared_and_versioned(store: Store, bob: Store) -> None:
    assert store.get_agenda() == Agenda()
    short = Agenda(
        sections=(AgendaSection(title="Only topics", minutes=25, kind=SectionKind.TOPICS),), topic_cap=3
    )
    before = store.last_event_id()
    first = store.set_agenda(short)
    assert first.version == 2 and first.topic_cap == 3  # the default reads as version 1
    assert events_since(store, before) == [("handshake.agenda", "agenda", "handshake")]
    assert bob.get_agenda() == first
    second = bob.set_agenda(first.model_copy(update={"topic_cap": 4}), expected_version=2)
    assert second.version == 3 and store.get_agenda() == second
    # Setting the same agenda again writes nothing.
    mark = store.last_event_id()
    assert store.set_agenda(second, expected_version=3) == second
    assert store.last_event_id() == mark
    # Alice still holds version 1: a conflict naming bob, and bob's agenda stays.
    with pytest.raises(
        Conflict, match=r"agenda handshake was changed by bob .*you had version 2, now version 3"
    ):
        store.set_agenda(first.model_copy(update={"topic_cap": 9}), expected_version=2)
    assert store.get_agenda() == second and store.last_event_id() == mark
    # The cap of the shared agenda is the one that applies.
    for i in range(4):
        store.add_topic(f"T{i}")
    with pytest.raises(InvalidInput, match=r"already has 4 topics, the most it takes \(4\)"):
        bob.add_topic("fifth")


def test_the_first_agenda_set_by_another_console_is_not_silently_overwritten(
    store: Store, bob: Store
) -> None:
    seen = store.get_agenda()
    assert seen.version == 1
    bob.set_agenda(Agenda(topic_cap=3))
    with pytest.raises(Conflict):
        store.set_agenda(Agenda(topic_cap=9), expected_version=seen.version)
    assert store.get_agenda().topic_cap == 3


# ------------------------------------------------------------------------------ export / import


def test_export_and_import_round_trip_the_handshake(board: Board, tmp_path: Path, clock: FixedClock) -> None:
    store = board.store
    store.set_agenda(Agenda(topic_cap=5, grace_minutes=3))
    store.meeting_timer(Act.NEXT)
    store.meeting_timer(Act.ITEM, topic_id=board.topics[0])
    clock.advance(timedelta(minutes=2))
    store.set_topic_outcome(board.topics[0], "agreed")
    store.topic_to_card(board.topics[1], WorkType.BUSINESS)
    store.add_topic("for next week")
    store.defer_topic(store.add_topic("later").id)
    clock.advance(timedelta(minutes=1))

    snapshot = store.export_snapshot()
    assert snapshot.agenda == store.get_agenda() and snapshot.agenda is not None
    assert len(snapshot.meetings) == 1 and len(snapshot.topics) == 5 and len(snapshot.meeting_log) == 5
    # What `socdesk export` writes is JSON: read it back the same.
    snapshot = Snapshot.model_validate_json(snapshot.model_dump_json())

    copy = open_store(tmp_path / "copy.db", actor="carol", clock=clock, create=True)
    try:
        copy.import_snapshot(snapshot)
        assert copy.get_agenda() == store.get_agenda()
        assert copy.list_meetings() == store.list_meetings()
        assert copy.list_all_topics() == store.list_all_topics()
        assert copy.list_meeting_log() == store.list_meeting_log()
        assert copy.list_topics() == store.list_topics()
        assert copy.current_meeting() == store.current_meeting()
        now = clock.now()
        assert copy.current_meeting().timer(now) == store.get_meeting().timer(now)  # type: ignore[union-attr]
        # The imported meeting carries on in the new file without reusing ids.
        note = copy.meeting_note("after the move")
        assert note.id == max(e.id for e in snapshot.meeting_log) + 1
        assert copy.add_topic("new").id == max(t.id for t in snapshot.topics) + 1
        ended = copy.end_meeting()
        assert ended.meeting.ended_at == now
    finally:
        copy.close()


def test_a_database_without_a_stored_agenda_exports_none(
    store: Store, tmp_path: Path, clock: FixedClock
) -> None:
    store.add_topic("T")
    snapshot = store.export_snapshot()
    assert snapshot.agenda is None and snapshot.meetings == () and len(snapshot.topics) == 1
    copy = open_store(tmp_path / "copy.db", actor="carol", clock=clock, create=True)
    try:
        copy.import_snapshot(snapshot)
        assert copy.get_agenda() == Agenda()
        assert copy.list_topics() == store.list_topics()
    finally:
        copy.close()


def test_a_snapshot_with_two_running_meetings_is_refused(board: Board) -> None:
    data = board.store.export_snapshot().model_dump(mode="json")
    second = {**data["meetings"][0], "id": 2}
    data["meetings"].append(second)
    with pytest.raises(ValidationError, match="meetings: more than one is running"):
        Snapshot.model_validate(data)
    # One of them ended: fine.
    data["meetings"][1]["ended_at"] = data["meetings"][1]["started_at"]
    assert len(Snapshot.model_validate(data).meetings) == 2


@pytest.mark.parametrize(
    ("section", "change", "message"),
    [
        ("meetings", lambda rows: rows.append(dict(rows[0])), "meetings: id repeated: 1"),
        ("topics", lambda rows: rows[0].update(meeting_id=7), "topic 1: unknown meeting 7"),
        ("meeting_log", lambda rows: rows[0].update(meeting_id=7), "meeting_log 1: unknown meeting 7"),
        ("meeting_log", lambda rows: rows.append(dict(rows[0])), "meeting_log: id repeated: 1"),
    ],
)
def test_a_snapshot_with_inconsistent_handshake_rows_is_refused(
    board: Board, section: str, change: Callable[[list[dict[str, Any]]], None], message: str
) -> None:
    data = board.store.export_snapshot().model_dump(mode="json")
    change(data[section])
    with pytest.raises(ValidationError, match=message):
        Snapshot.model_validate(data)


def test_importing_into_a_database_with_a_stored_agenda_is_refused(
    store: Store, tmp_path: Path, clock: FixedClock
) -> None:
    snapshot = store.export_snapshot()
    copy = open_store(tmp_path / "copy.db", actor="carol", clock=clock, create=True)
    try:
        copy.set_agenda(Agenda(topic_cap=2))
        with pytest.raises(InvalidInput, match="1 team_settings"):
            copy.import_snapshot(snapshot)
    finally:
        copy.close()
