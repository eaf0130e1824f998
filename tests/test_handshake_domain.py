"""The handshake's rules, pure: the agenda and its TOML form, the booked slot across DST, lateness,
the log's timer entries, and which board columns a meeting works with."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from socdesk.domain import DEFAULT_COLUMNS, Column, InvalidInput, Stage
from socdesk.domain.handshake import (
    DEFAULT_SECTIONS,
    Agenda,
    AgendaSection,
    EntryKind,
    LogEntry,
    Meeting,
    MeetingRecord,
    SectionKind,
    Topic,
    meeting_columns,
)
from socdesk.domain.kpis import compute_kpis
from socdesk.domain.timer import Act, Action

K = SectionKind


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def mins(n: float) -> timedelta:
    return timedelta(minutes=n)


# ------------------------------------------------------------------------------ the default agenda


def test_the_default_agenda_is_the_one_hour_handshake() -> None:
    agenda = Agenda()
    assert [(s.minutes, s.kind) for s in agenda.sections] == [
        (5, K.KICKOFF),
        (30, K.TOPICS),
        (15, K.BACKLOG),
        (10, K.DETECTIONS),
    ]
    assert agenda.sections == DEFAULT_SECTIONS
    assert (agenda.topic_cap, agenda.topic_minutes) == (6, 2)
    assert (agenda.schedule, agenda.tz, agenda.grace_minutes, agenda.version) == ("tue 10:00", "UTC", 1, 1)
    assert agenda.total == timedelta(hours=1)
    assert agenda.planned() == [mins(5), mins(30), mins(15), mins(10)]
    assert agenda.topics_index == 1
    assert agenda.schedule_text() == "tue 10:00 UTC"


def test_topics_index_is_none_without_a_topics_section_and_found_wherever_it_is() -> None:
    plain = Agenda(sections=(AgendaSection(title="Chat", minutes=20),))
    assert plain.topics_index is None
    assert plain.sections[0].kind is K.OTHER
    moved = Agenda(
        sections=(
            AgendaSection(title="A", minutes=5),
            AgendaSection(title="B", minutes=5),
            AgendaSection(title="Topics", minutes=5, kind=K.TOPICS),
        )
    )
    assert moved.topics_index == 2
    assert moved.total == mins(15) and moved.planned() == [mins(5)] * 3


def test_an_unscheduled_agenda() -> None:
    agenda = Agenda(schedule=None)
    assert agenda.schedule_text() == "not scheduled"
    assert agenda.scheduled_for(utc("2026-03-03T10:00")) is None


# ------------------------------------------------------------------------------ TOML

CUSTOM_TOML = """
schedule = "thu 14:30"
tz = "Europe/London"
topic_cap = 4
topic_minutes = 3
ageing_days = 10
grace_minutes = 5

[[section]]
title = "Sitrep"
minutes = 10
kind = "kickoff"

[[section]]
title = "Topics \\"hot\\" \\\\ cold"
minutes = 40
kind = "topics"

[[section]]
title = "Anything else"
minutes = 10
"""


def test_an_agenda_reads_from_toml() -> None:
    agenda = Agenda.from_toml(CUSTOM_TOML)
    assert agenda.schedule == "thu 14:30" and agenda.tz == "Europe/London"
    assert (agenda.topic_cap, agenda.topic_minutes, agenda.ageing_days, agenda.grace_minutes) == (4, 3, 10, 5)
    assert [(s.title, s.minutes, s.kind) for s in agenda.sections] == [
        ("Sitrep", 10, K.KICKOFF),
        ('Topics "hot" \\ cold', 40, K.TOPICS),
        ("Anything else", 10, K.OTHER),
    ]
    assert agenda.schedule_text() == "thu 14:30 Europe/London"


def test_the_default_agenda_round_trips_through_toml() -> None:
    text = Agenda().to_toml()
    assert text.startswith("# socdesk handshake agenda")
    assert text.count("[[section]]") == 4
    assert Agenda.from_toml(text) == Agenda()


def test_a_custom_agenda_round_trips_through_toml_with_quotes_and_backslashes() -> None:
    agenda = Agenda.from_toml(CUSTOM_TOML)
    assert Agenda.from_toml(agenda.to_toml()) == agenda


def test_an_empty_schedule_in_toml_means_not_scheduled_and_writes_back_empty() -> None:
    agenda = Agenda.from_toml('schedule = ""\n')
    assert agenda.schedule is None
    assert agenda.sections == DEFAULT_SECTIONS
    assert 'schedule = ""' in agenda.to_toml()
    assert Agenda.from_toml(agenda.to_toml()) == agenda


TITLE = st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cs")), min_size=1, max_size=60).filter(
    lambda t: t.strip() != ""
)
SCHEDULE = st.none() | st.builds(
    lambda day, hour, minute, long: f"{day}{'sday' if long else ''} {hour}:{minute:02d}",
    st.sampled_from(["mon", "tue", "wed", "thu", "fri", "sat", "sun"]),
    st.integers(0, 23),
    st.integers(0, 59),
    st.booleans(),
)
ZONES = st.sampled_from(["UTC", "Europe/London", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe"])


@st.composite
def agendas(draw: st.DrawFn) -> Agenda:
    count = draw(st.integers(1, 8))
    budget = 60 - count
    sections = []
    topics_at = draw(st.none() | st.integers(0, count - 1))
    for index in range(count):
        extra = draw(st.integers(0, budget))
        budget -= extra
        kinds = [k for k in SectionKind if k is not K.TOPICS]
        kind = K.TOPICS if index == topics_at else draw(st.sampled_from(kinds))
        sections.append(AgendaSection(title=draw(TITLE), minutes=1 + extra, kind=kind))
    return Agenda(
        sections=tuple(sections),
        schedule=draw(SCHEDULE),
        tz=draw(ZONES),
        topic_cap=draw(st.integers(1, 12)),
        topic_minutes=draw(st.integers(1, 10)),
        ageing_days=draw(st.integers(0, 365)),
        grace_minutes=draw(st.integers(0, 30)),
    )


@settings(max_examples=300, deadline=None)
@given(agendas())
def test_any_valid_agenda_round_trips_through_toml(agenda: Agenda) -> None:
    assert Agenda.from_toml(agenda.to_toml()) == agenda


def test_a_schedule_with_odd_whitespace_still_round_trips() -> None:
    agenda = Agenda(schedule="tue\n10:00")
    assert Agenda.from_toml(agenda.to_toml()) == agenda


# ------------------------------------------------------------------------------ refusals


def sections_toml(*minutes_kinds: tuple[int, str]) -> str:
    return "".join(
        f'\n[[section]]\ntitle = "S{i}"\nminutes = {m}\nkind = "{k}"\n'
        for i, (m, k) in enumerate(minutes_kinds)
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            sections_toml((30, "kickoff"), (31, "topics")),
            "the sections add up to 61 minutes; a handshake lasts at most an hour",
        ),
        (
            sections_toml((10, "topics"), (10, "topics")),
            "only one section can hold the topics",
        ),
        (
            'schedule = "tue"\n',
            "schedule 'tue': give a weekday and a time, such as 'mon 09:00'",
        ),
        (
            'schedule = "xyz 10:00"\n',
            "schedule 'xyz 10:00': unknown weekday 'xyz' (mon ... sun)",
        ),
        (
            'schedule = "10:00"\n',
            "schedule needs a weekday and a time, such as 'tue 10:00'",
        ),
        ('schedule = "tue 24:00"\n', "schedule 'tue 24:00': not a time of day"),
        (
            'tz = "Mars/Olympus_Mons"\n',
            "invalid agenda: tz: unknown time zone 'Mars/Olympus_Mons' "
            "(use an IANA name such as Europe/London)",
        ),
        ("colour = 1\n", "invalid agenda: colour: Extra inputs are not permitted"),
        (
            '[[section]]\ntitle = "A"\nminutes = 5\nlength = 3\n',
            "sections.0.length: Extra inputs are not permitted",
        ),
        ('[[section]]\ntitle = "A"\nminutes = 5\nkind = "party"\n', "sections.0.kind"),
        ('[[section]]\ntitle = "  "\nminutes = 5\n', "sections.0.title"),
        ('[[section]]\ntitle = "A"\nminutes = 0\n', "sections.0.minutes"),
        ("topic_cap = 13\n", "topic_cap: Input should be less than or equal to 12"),
        ("topic_cap = 0\n", "topic_cap: Input should be greater than or equal to 1"),
        ("topic_minutes = 11\n", "topic_minutes"),
        ("grace_minutes = 31\n", "grace_minutes"),
        ("section = []\n", "sections: Tuple should have at least 1 item"),
    ],
    ids=[
        "over an hour",
        "two topics sections",
        "weekday without time",
        "unknown weekday",
        "time without weekday",
        "not a time",
        "unknown tz",
        "unknown key",
        "unknown section key",
        "unknown kind",
        "blank title",
        "zero minutes",
        "cap too high",
        "cap zero",
        "topic minutes",
        "grace",
        "no sections",
    ],
)
def test_a_bad_agenda_is_refused_with_a_message_that_says_why(text: str, message: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        Agenda.from_toml(text)
    assert str(raised.value).startswith("invalid agenda: ")
    assert message in str(raised.value)


def test_a_refusal_names_the_source_file() -> None:
    with pytest.raises(InvalidInput, match=r"^invalid team-agenda\.toml: colour"):
        Agenda.from_toml("colour = 1\n", source="team-agenda.toml")


@pytest.mark.parametrize("text", ["schedule = \n", "[[section]\n", 'tz = "UTC"\ntz = "UTC"\n', "= 3\n"])
def test_malformed_toml_is_refused_as_such(text: str) -> None:
    with pytest.raises(InvalidInput, match=r"^agenda\.toml: not valid TOML \("):
        Agenda.from_toml(text, source="agenda.toml")


def test_the_model_refuses_the_same_things_directly() -> None:
    with pytest.raises(ValidationError, match="add up to 70 minutes"):
        Agenda(sections=(AgendaSection(title="A", minutes=35), AgendaSection(title="B", minutes=35)))
    with pytest.raises(ValidationError, match="Tuple should have at most 8 items"):
        Agenda(sections=tuple(AgendaSection(title=f"S{i}", minutes=1) for i in range(9)))
    with pytest.raises(ValidationError):
        AgendaSection(title="x" * 61, minutes=1)
    with pytest.raises(ValidationError):
        AgendaSection(title="tab\there", minutes=1)
    assert Agenda(sections=(AgendaSection(title="Whole hour", minutes=60),)).total == timedelta(hours=1)


# ------------------------------------------------------------------------------ the booked slot

LONDON_TUE = Agenda(schedule="tue 10:00", tz="Europe/London")


@pytest.mark.parametrize(
    ("moment", "slot"),
    [
        # October 2026: British Summer Time ends on Sunday the 25th.
        ("2026-10-20T09:30", "2026-10-20T09:00"),  # 10:00 BST
        ("2026-10-27T10:05", "2026-10-27T10:00"),  # 10:00 GMT
        # March 2026: British Summer Time starts on Sunday the 29th.
        ("2026-03-24T09:55", "2026-03-24T10:00"),  # 10:00 GMT
        ("2026-03-31T09:02", "2026-03-31T09:00"),  # 10:00 BST
        # Within 12 hours before or after, on either side of the change.
        ("2026-10-26T22:00", "2026-10-27T10:00"),
        ("2026-10-20T20:59", "2026-10-20T09:00"),
        ("2026-03-30T21:00", "2026-03-31T09:00"),
    ],
)
def test_the_nearest_slot_follows_the_local_wall_clock_across_dst(moment: str, slot: str) -> None:
    found = LONDON_TUE.scheduled_for(utc(moment))
    assert found == utc(slot)
    assert found is not None and found.tzinfo is not None
    local = found.astimezone(ZoneInfo("Europe/London"))
    assert (local.weekday(), local.hour, local.minute) == (1, 10, 0)


@pytest.mark.parametrize(
    "moment",
    [
        "2026-10-23T10:00",  # a Friday
        "2026-10-26T21:59",  # 12 h 1 min before the GMT slot
        "2026-10-20T21:01",  # 12 h 1 min after the BST slot
        "2026-03-28T10:00",
    ],
)
def test_far_from_a_slot_there_is_no_booked_meeting(moment: str) -> None:
    assert LONDON_TUE.scheduled_for(utc(moment)) is None


def test_the_window_is_twelve_hours_either_side_inclusive() -> None:
    agenda = Agenda(schedule="tue 10:00")
    slot = utc("2026-03-03T10:00")
    assert agenda.scheduled_for(slot - timedelta(hours=12)) == slot
    assert agenda.scheduled_for(slot + timedelta(hours=12)) == slot
    assert agenda.scheduled_for(slot - timedelta(hours=12, seconds=1)) is None
    assert agenda.scheduled_for(slot + timedelta(hours=12, seconds=1)) is None


def test_a_slot_late_in_the_week_is_found_from_the_next_week() -> None:
    # Sunday 23:00 UTC slot; Monday 05:00 is 6 h after it (the slot lies in the previous week).
    agenda = Agenda(schedule="sun 23:00")
    assert agenda.scheduled_for(utc("2026-03-09T05:00")) == utc("2026-03-08T23:00")
    assert agenda.scheduled_for(utc("2026-03-08T20:00")) == utc("2026-03-08T23:00")


def test_the_same_local_slot_is_a_different_utc_hour_in_another_zone_and_season() -> None:
    new_york = Agenda(schedule="tue 10:00", tz="America/New_York")  # US DST starts 2026-03-08
    assert new_york.scheduled_for(utc("2026-03-03T15:00")) == utc("2026-03-03T15:00")
    assert new_york.scheduled_for(utc("2026-03-10T14:00")) == utc("2026-03-10T14:00")
    # The same week in London is still on GMT.
    assert LONDON_TUE.scheduled_for(utc("2026-03-10T10:00")) == utc("2026-03-10T10:00")


@settings(max_examples=300, deadline=None)
@given(
    week=st.integers(0, 104),
    zone=st.sampled_from(["Europe/London", "America/New_York", "Australia/Sydney", "UTC"]),
    offset=st.integers(-12 * 3600, 12 * 3600),
)
def test_any_moment_within_twelve_hours_of_a_slot_finds_that_slot(week: int, zone: str, offset: int) -> None:
    agenda = Agenda(schedule="tue 10:00", tz=zone)
    day = datetime(2026, 1, 6) + timedelta(weeks=week)  # Tuesdays of 2026 and 2027
    slot = day.replace(hour=10, tzinfo=ZoneInfo(zone)).astimezone(UTC)
    assert agenda.scheduled_for(slot + timedelta(seconds=offset)) == slot


@settings(max_examples=300, deadline=None)
@given(
    moment=st.datetimes(
        min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)
    ),
    zone=st.sampled_from(["Europe/London", "America/New_York", "Asia/Kolkata", "UTC"]),
)
def test_the_slot_is_the_nearest_booked_local_time_if_within_twelve_hours(
    moment: datetime, zone: str
) -> None:
    # Independently: every Wednesday 07:30 local around the moment, as UTC instants.
    tz = ZoneInfo(zone)
    today = moment.astimezone(tz).date()
    candidates = [
        datetime.combine(today + timedelta(days=d), datetime.min.time(), tz).replace(hour=7, minute=30)
        for d in range(-10, 11)
        if (today + timedelta(days=d)).weekday() == 2
    ]
    nearest = min((c.astimezone(UTC) for c in candidates), key=lambda c: abs(c - moment))
    expected = nearest if abs(nearest - moment) <= timedelta(hours=12) else None
    assert Agenda(schedule="wed 07:30", tz=zone).scheduled_for(moment) == expected


# ------------------------------------------------------------------------------ meetings


def meeting(**fields: object) -> Meeting:
    started = fields.pop("started_at", utc("2026-03-03T10:00"))
    assert isinstance(started, datetime)
    return Meeting.model_validate(
        {
            "id": 1,
            "agenda": Agenda(),
            "started_at": started,
            "started_by": "alice",
            "kpis": compute_kpis([], DEFAULT_COLUMNS, started),
            **fields,
        }
    )


@pytest.mark.parametrize(
    ("started", "grace", "late"),
    [
        ("2026-03-03T09:55", 1, timedelta(0)),  # early
        ("2026-03-03T10:00", 1, timedelta(0)),
        ("2026-03-03T10:01", 1, timedelta(0)),  # exactly the grace
        ("2026-03-03T10:01:01", 1, timedelta(minutes=1, seconds=1)),  # past it: the whole lateness
        ("2026-03-03T10:07", 1, mins(7)),
        ("2026-03-03T10:07", 10, timedelta(0)),
        ("2026-03-03T10:00:01", 0, timedelta(seconds=1)),
    ],
)
def test_a_meeting_is_late_only_past_the_grace(started: str, grace: int, late: timedelta) -> None:
    m = meeting(
        agenda=Agenda(grace_minutes=grace), scheduled_at=utc("2026-03-03T10:00"), started_at=utc(started)
    )
    assert m.late_by == late


def test_an_unscheduled_meeting_is_never_late() -> None:
    assert meeting(started_at=utc("2026-03-05T16:00")).late_by is None


def test_timer_entries_of_the_log_are_the_timer_actions() -> None:
    timer_kinds = {k for k in EntryKind if k.act is not None}
    assert {k.value for k in timer_kinds} == {a.value for a in Act}
    assert EntryKind.NOTE.act is None and EntryKind.TOPIC_CARD.act is None and EntryKind.JOIN.act is None
    assert EntryKind.EXTEND.act is Act.EXTEND
    at = utc("2026-03-03T10:10")
    extend = LogEntry(id=3, meeting_id=1, at=at, actor="bob", kind=EntryKind.EXTEND, minutes=5)
    assert extend.action() == Action(at, Act.EXTEND, minutes=5)
    item = LogEntry(id=4, meeting_id=1, at=at, actor="bob", kind=EntryKind.ITEM, topic_id=9)
    assert item.action() == Action(at, Act.ITEM, item=9)
    note = LogEntry(id=5, meeting_id=1, at=at, actor="bob", kind=EntryKind.NOTE, text="hello")
    assert note.action() is None


def test_a_meeting_records_timer_is_the_fold_of_its_log() -> None:
    started = utc("2026-03-03T10:03")
    m = meeting(scheduled_at=utc("2026-03-03T10:00"), started_at=started)

    def entry(i: int, minute: int, kind: EntryKind, actor: str, **kw: object) -> LogEntry:
        return LogEntry.model_validate(
            {
                "id": i,
                "meeting_id": 1,
                "at": started + mins(minute),
                "actor": actor,
                "kind": kind,
                **kw,
            }
        )

    log = (
        entry(1, 0, EntryKind.START, "alice"),
        entry(2, 1, EntryKind.JOIN, "bob"),
        entry(3, 5, EntryKind.NEXT, "alice"),
        entry(4, 5, EntryKind.ITEM, "carol", topic_id=7),
        entry(5, 6, EntryKind.NOTE, "bob", text="n", section=1),
        entry(6, 6, EntryKind.PAUSE, "alice"),
        entry(7, 9, EntryKind.RESUME, "carol"),
        entry(8, 9, EntryKind.EXTEND, "alice", minutes=4),
    )
    record = MeetingRecord(meeting=m, log=log)
    assert record.attendees() == ["alice", "bob", "carol"]
    assert [a.act for a in record.actions()] == [
        Act.START,
        Act.NEXT,
        Act.ITEM,
        Act.PAUSE,
        Act.RESUME,
        Act.EXTEND,
    ]
    timer = record.timer(started + mins(12))
    assert timer.current == 1 and timer.item == 7
    assert [s.used for s in timer.sections] == [mins(5), mins(4), mins(0), mins(0)]
    assert timer.sections[1].allowance == mins(34)
    assert timer.item_allowance == mins(2) and timer.item_used == mins(4)
    assert timer.deadline == utc("2026-03-03T11:00")  # the booked slot, not the late start
    # A console whose clock is behind the start sees the start, not a negative clock.
    just_started = MeetingRecord(meeting=m, log=log[:1])
    early = just_started.timer(started - mins(5))
    assert early.now == started and early.current == 0
    assert early.sections[0].used == timedelta(0) and early.remaining == mins(5)
    assert record.notes(1) == [log[4]] and record.notes(0) == []
    assert record.entries(EntryKind.PAUSE, EntryKind.RESUME) == [log[5], log[6]]


def test_a_topic_is_checked() -> None:
    at = utc("2026-03-03T09:00")
    ok = Topic(id=1, text="  Noisy EDR alerts  ", submitted_by="bob", submitted_at=at)
    assert ok.text == "Noisy EDR alerts" and ok.meeting_id is None and not ok.deferred
    with pytest.raises(ValidationError):
        Topic(id=1, text="   ", submitted_by="bob", submitted_at=at)
    with pytest.raises(ValidationError):
        Topic(id=1, text="x" * 301, submitted_by="bob", submitted_at=at)
    assert len(Topic(id=1, text="x" * 300, submitted_by="bob", submitted_at=at).text) == 300


# ------------------------------------------------------------------------------ the board's columns


def test_meeting_columns_on_the_default_board() -> None:
    columns = meeting_columns(DEFAULT_COLUMNS)
    assert columns.backlog.name == "Backlog"
    assert columns.todo.name == "To Do"
    assert columns.review is not None and columns.review.name == "Review"
    assert columns.rework is not None and columns.rework.name == "In Progress"
    assert columns.done is not None and columns.done.name == "Done"
    assert meeting_columns(tuple(reversed(DEFAULT_COLUMNS))) == columns  # by position, not by order given


def col(name: str, position: int, stage: Stage) -> Column:
    return Column(name=name, position=position, stage=stage)


def test_meeting_columns_without_a_review_column_use_the_last_active_one() -> None:
    columns = meeting_columns(
        [
            col("Shipped", 3, Stage.DONE),
            col("Testing", 2, Stage.ACTIVE),
            col("Doing", 1, Stage.ACTIVE),
            col("Inbox", 0, Stage.QUEUE),
        ]
    )
    assert columns.backlog.name == "Inbox"
    assert columns.todo.name == "Inbox"  # no queue after the backlog: refinement pulls within it
    assert columns.review is not None and columns.review.name == "Testing"
    assert columns.rework is not None and columns.rework.name == "Doing"
    assert columns.done is not None and columns.done.name == "Shipped"


def test_meeting_columns_find_review_by_name_in_any_case() -> None:
    columns = meeting_columns(
        [
            col("Ideas", 0, Stage.QUEUE),
            col("Ready", 1, Stage.QUEUE),
            col("Next", 2, Stage.QUEUE),
            col("REVIEW", 3, Stage.ACTIVE),
            col("Build", 4, Stage.ACTIVE),
            col("Live", 5, Stage.DONE),
        ]
    )
    assert (columns.backlog.name, columns.todo.name) == ("Ideas", "Ready")
    assert columns.review is not None and columns.review.name == "REVIEW"
    assert columns.rework is not None and columns.rework.name == "Build"
    assert columns.done is not None and columns.done.name == "Live"


def test_meeting_columns_on_a_board_with_one_active_and_no_done_column() -> None:
    columns = meeting_columns([col("Queue", 0, Stage.QUEUE), col("Work", 1, Stage.ACTIVE)])
    assert columns.review is not None and columns.review.name == "Work"
    assert columns.rework is None and columns.done is None


def test_meeting_columns_need_a_column() -> None:
    with pytest.raises(InvalidInput, match="no columns"):
        meeting_columns([])
