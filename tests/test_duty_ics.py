"""iCalendar import and export of on-call shifts (socdesk.duty_ics), against a real store."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import icalendar
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from socdesk.domain.duty import OverrideDraft, Role, Roster, Rotation, holder_shift, schedule
from socdesk.domain.errors import InvalidInput
from socdesk.domain.models import Person
from socdesk.duty_ics import PRODID, export_ics, parse_ics
from socdesk.store import Store

FIXTURES = Path(__file__).parent / "fixtures" / "ics"
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # the `clock` fixture's time

PEOPLE = (
    Person(handle="alice", name="Alice Ng", email="alice@example.org"),
    Person(handle="bob", name="Bob Ruiz", email="bob@example.org"),
    Person(handle="carol", name="Carol Diaz", email="carol.diaz@example.org"),
    Person(handle="dan", name="Dan Okafor"),  # no e-mail: matched by name or handle only
)

Triple = tuple[str, datetime, datetime]


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


@pytest.fixture
def team(store: Store) -> Store:
    for person in PEOPLE:
        store.add_person(person)
    return store


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def triples(drafts: list) -> list[Triple]:
    return [(d.person, d.starts_at, d.ends_at) for d in drafts]


def parse(
    store: Store, data: bytes | str, role: Role = Role.ANALYST, source: str = "test.ics"
) -> list[Triple]:
    drafts = parse_ics(data, role=role, roster=store.get_roster(), now=NOW, source=source)
    assert all(d.role is role for d in drafts)
    for d in drafts:
        assert d.starts_at.tzinfo is not None and d.starts_at.utcoffset() == timedelta(0)
    return triples(drafts)


def import_calendar(store: Store, data: bytes | str, source: str, role: Role = Role.ANALYST) -> list:
    """What `socdesk duty import` does: parse, then write all the shifts as one change."""
    drafts = parse_ics(data, role=role, roster=store.get_roster(), now=NOW, source=source)
    return store.import_overrides(drafts, source=source)


def calendar(*events: str) -> str:
    body = "".join(events)
    return f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//test//EN\r\n{body}END:VCALENDAR\r\n"


def vevent(
    *,
    summary: str | None = None,
    attendee: str | None = None,
    start: str = "20260302T090000Z",
    end: str | None = "20260303T090000Z",
    uid: str = "e1@test",
    extra: str = "",
) -> str:
    lines = ["BEGIN:VEVENT", f"UID:{uid}", "DTSTAMP:20260301T000000Z", f"DTSTART:{start}"]
    if end is not None:
        lines.append(f"DTEND:{end}")
    if summary is not None:
        lines.append(f"SUMMARY:{summary}")
    if attendee is not None:
        lines.append(f"ATTENDEE{attendee}")
    lines += [line for line in extra.splitlines() if line]
    lines.append("END:VEVENT")
    return "\r\n".join(lines) + "\r\n"


# ---------------------------------------------------------------------------------- fixture shapes


def test_pagerduty_export_with_tzid_london_and_attendees(team: Store) -> None:
    assert parse(team, fixture("pagerduty_london.ics")) == [
        # ATTENDEE mailto wins over the summary; Feb (GMT): 09:00 London is 09:00 UTC
        ("bob", utc(2026, 3, 2, 9), utc(2026, 3, 9, 9)),
        # July (BST): 09:00 London is 08:00 UTC; the e-mail matched whatever its case
        ("carol", utc(2026, 7, 6, 8), utc(2026, 7, 13, 8)),
        # an unknown address, but the CN parameter names Dan
        ("dan", utc(2026, 7, 13, 8), utc(2026, 7, 20, 8)),
    ]  # the shift that ended in February (more than 7 days before now) is left out


def test_opsgenie_grafana_export_in_utc_naming_people_in_the_summary(team: Store) -> None:
    assert parse(team, fixture("opsgenie_utc.ics")) == [
        ("bob", utc(2026, 3, 2, 9), utc(2026, 3, 2, 21)),  # "Bob Ruiz": the whole summary, a name
        ("carol", utc(2026, 3, 2, 21), utc(2026, 3, 3, 9)),  # "On-call: carol": a handle after a colon
        ("alice", utc(2026, 3, 3, 9), utc(2026, 3, 3, 21)),  # "... - alice@example.org", DURATION:PT12H
        ("dan", utc(2026, 3, 3, 21), utc(2026, 3, 4, 9)),  # "...: DAN OKAFOR", any case
    ]


def test_weekly_rrule_with_count_exdate_and_rdate_is_expanded_across_dst(team: Store) -> None:
    shifts = parse(team, fixture("weekly_rrule.ics"))
    starts = [start for _, start, _ in shifts]
    assert len(shifts) == 10  # COUNT=10, one EXDATE taken away, one RDATE added
    assert {person for person, _, _ in shifts} == {"carol"}
    assert utc(2026, 3, 16, 9) not in starts  # the EXDATE
    assert utc(2026, 3, 20, 9) in starts  # the RDATE
    assert starts == sorted(starts)
    assert starts[0] == utc(2026, 3, 2, 9)
    # Clocks go forward on 29 March: Monday 09:00 London is then 08:00 UTC, still 24 hours long.
    assert ("carol", utc(2026, 3, 30, 8), utc(2026, 3, 31, 8)) in shifts
    assert starts[-1] == utc(2026, 5, 4, 8)
    assert all(end - start == timedelta(hours=24) for _, start, end in shifts)


def test_an_endless_rrule_is_expanded_only_over_the_window(team: Store) -> None:
    data = calendar(
        vevent(summary="bob", start="20250106T090000Z", end="20250107T090000Z", extra="RRULE:FREQ=WEEKLY")
    )
    shifts = parse(team, data)
    # The window is [now - 7 days, now + 26 weeks] = [23 Feb 09:00, 31 Aug 09:00): 27 Mondays.
    assert len(shifts) == 27
    assert shifts[0] == ("bob", utc(2026, 2, 23, 9), utc(2026, 2, 24, 9))
    assert shifts[-1] == ("bob", utc(2026, 8, 24, 9), utc(2026, 8, 25, 9))


def test_google_calendar_all_day_events_cover_whole_utc_days(team: Store) -> None:
    assert parse(team, fixture("google_allday.ics")) == [
        ("bob", utc(2026, 3, 9), utc(2026, 3, 11)),  # DTEND is exclusive: two whole days
        ("carol", utc(2026, 3, 11), utc(2026, 3, 12)),  # no DTEND: the one day
    ]  # the cancelled event (naming nobody we know) is left out, not an error


def test_floating_times_are_read_in_the_rotation_zone_else_utc(team: Store) -> None:
    data = fixture("floating.ics")
    assert parse(team, data) == [("bob", utc(2026, 7, 6, 9), utc(2026, 7, 6, 21))]
    team.set_rotation(
        Rotation(
            role=Role.ANALYST,
            members=("bob", "carol"),
            shift_hours=168,
            handover_weekday=0,
            handover_time=time(9, 0),
            tz="America/New_York",
            start_date=date(2026, 3, 2),
        )
    )
    # New York is on EDT (UTC-4) in July.
    assert parse(team, data) == [("bob", utc(2026, 7, 6, 13), utc(2026, 7, 7, 1))]
    # The engineer role has no rotation: still UTC.
    assert parse(team, data, role=Role.ENGINEER) == [("bob", utc(2026, 7, 6, 9), utc(2026, 7, 6, 21))]


def test_an_import_writes_every_shift_as_one_change(team: Store) -> None:
    before = team.last_event_id()
    added = import_calendar(team, fixture("pagerduty_london.ics"), "pagerduty_london.ics")
    assert [(o.person, o.starts_at, o.ends_at) for o in added] == parse(team, fixture("pagerduty_london.ics"))
    stored = team.list_overrides()
    assert [(o.person, o.role) for o in stored] == [
        ("bob", Role.ANALYST),
        ("carol", Role.ANALYST),
        ("dan", Role.ANALYST),
    ]
    assert all(o.reason.startswith("pagerduty_london.ics: ") for o in stored)
    assert team.last_event_id() == before + 3


# ---------------------------------------------------------------------------------- who an event names


@pytest.mark.parametrize(
    ("summary", "attendee", "expected"),
    [
        ("bob", None, "bob"),  # handle
        ("BOB", None, "bob"),
        ("Carol Diaz", None, "carol"),  # display name
        ("  carol   diaz ", None, "carol"),
        ("carol.diaz@example.org", None, "carol"),  # e-mail
        ("On-call: Bob Ruiz", None, "bob"),
        ("Primary - bob@example.org", None, "bob"),
        ("Primary – Dan Okafor", None, "dan"),
        ("SOC: Primary: dan", None, "dan"),
        ("Alice Ng - primary", None, "alice"),  # last resort: what comes before the dash
        (None, ":mailto:alice@example.org", "alice"),  # ATTENDEE address, no CN
        (None, ":MAILTO:Alice@Example.Org", "alice"),
        (None, ";CN=Dan Okafor:mailto:dan@elsewhere.example", "dan"),  # the CN
        ("On call", ";CN=Someone:mailto:someone@elsewhere.example", None),
        ("On-call: bob", ";CN=Someone:mailto:someone@elsewhere.example", "bob"),  # falls back to SUMMARY
        ("On-call: Bob Ruiz", ";CN=Carol Diaz:mailto:carol.diaz@example.org", "carol"),  # ATTENDEE first
    ],
)
def test_an_event_names_a_person_by_handle_name_or_email(
    team: Store, summary: str | None, attendee: str | None, expected: str | None
) -> None:
    data = calendar(vevent(summary=summary, attendee=attendee))
    if expected is None:
        with pytest.raises(InvalidInput, match="nobody we know"):
            parse(team, data)
    else:
        assert parse(team, data) == [(expected, utc(2026, 3, 2, 9), utc(2026, 3, 3, 9))]


def test_unmatched_names_are_all_listed_and_nothing_is_written(team: Store) -> None:
    before_event, before_overrides = team.last_event_id(), team.list_overrides()
    with pytest.raises(InvalidInput) as caught:
        import_calendar(team, fixture("unknown_person.ics"), "unknown_person.ics")
    message = str(caught.value)
    assert message == (
        "unknown_person.ics: events name nobody we know: Mallory, Zoe Stranger; nothing was imported"
    )
    assert team.last_event_id() == before_event
    assert team.list_overrides() == before_overrides == []


def test_a_name_two_people_share_is_not_guessed(team: Store) -> None:
    team.add_person(Person(handle="sam1", name="Sam Lee"))
    team.add_person(Person(handle="sam2", name="Sam Lee"))
    with pytest.raises(InvalidInput, match=r"Sam Lee \(could be sam1 or sam2\)"):
        parse(team, calendar(vevent(summary="On-call: Sam Lee")))
    # ... but the handle settles it.
    assert parse(team, calendar(vevent(summary="On-call: sam2")))[0][0] == "sam2"


# ---------------------------------------------------------------------------------- broken files


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("not_calendar.ics", "not an iCalendar file"),
        ("end_before_start.ics", "ends (2026-03-04 09:00 UTC) before it starts (2026-03-05 09:00 UTC)"),
        ("unknown_person.ics", "nobody we know: Mallory, Zoe Stranger"),
        ("truncated.ics", "not a complete iCalendar file"),
        ("missing_dtstart.ics", "has no start (DTSTART)"),
        ("past_only.ics", "no events between 2026-02-23 and 2026-08-31"),
    ],
)
def test_a_malformed_file_is_refused_with_a_clear_message(team: Store, name: str, expected: str) -> None:
    before_event = team.last_event_id()
    with pytest.raises(InvalidInput) as caught:
        import_calendar(team, fixture(name), name)
    message = str(caught.value)
    assert message.startswith(f"{name}: ")
    assert expected in message
    assert "\n" not in message
    assert team.last_event_id() == before_event
    assert team.list_overrides() == []


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ("", "not an iCalendar file"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "not an iCalendar file"),
        ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n", "has no events"),
        (calendar(vevent(summary="bob", end=None)), "has no end (DTEND or DURATION)"),
        (
            calendar(vevent(summary="bob", start="20260302T090000Z", end="20260302T090000Z")),
            "ends the moment",
        ),
        (calendar(vevent(summary="bob", end=None, extra="DURATION:-PT1H")), "before it starts"),
        (calendar(vevent(summary="bob", start="tomorrow")), "cannot read DTSTART"),
        (calendar(vevent(summary="bob", extra="RRULE:FREQ=SOMETIMES")), "cannot read RRULE"),
        (calendar(vevent(summary="bob", end="20270402T090000Z")), "at most a year"),
        (calendar(vevent(summary="bob", extra="RRULE:FREQ=HOURLY")), "more than 2000 shifts"),
        (calendar(vevent(summary="bob")) * 2, "expected one calendar"),
    ],
    ids=lambda value: value if isinstance(value, str) and len(value) < 40 else None,
)
def test_other_broken_calendars_are_refused(team: Store, data: bytes | str, expected: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse(team, data, source="feed.ics")
    assert str(caught.value).startswith("feed.ics: ")
    assert expected in str(caught.value)
    assert "\n" not in str(caught.value)


def test_text_and_a_byte_order_mark_are_accepted(team: Store) -> None:
    text = fixture("opsgenie_utc.ics").decode()
    assert parse(team, text) == parse(team, b"\xef\xbb\xbf" + text.encode()) == parse(team, "\ufeff" + text)


# ---------------------------------------------------------------------------------- export


@pytest.fixture
def rota(team: Store) -> Store:
    """Analysts take weeks in turn from Monday 2 March, 09:00 London; Alice covers 10 March."""
    team.set_rotation(
        Rotation(
            role=Role.ANALYST,
            members=("bob", "carol", "dan"),
            shift_hours=168,
            handover_weekday=0,
            handover_time=time(9, 0),
            tz="Europe/London",
            start_date=date(2026, 3, 2),
        )
    )
    team.add_override(
        OverrideDraft(
            role=Role.ANALYST,
            person="alice",
            starts_at=utc(2026, 3, 10, 9),
            ends_at=utc(2026, 3, 11, 9),
            reason="dentist",
        )
    )
    return team


EXPECTED_EXPORT = [
    ("bob", utc(2026, 3, 2, 9), utc(2026, 3, 9, 9)),
    ("carol", utc(2026, 3, 9, 9), utc(2026, 3, 10, 9)),
    ("alice", utc(2026, 3, 10, 9), utc(2026, 3, 11, 9)),  # the override
    ("carol", utc(2026, 3, 11, 9), utc(2026, 3, 16, 9)),
    ("dan", utc(2026, 3, 16, 9), utc(2026, 3, 23, 9)),
    ("bob", utc(2026, 3, 23, 9), utc(2026, 3, 30, 8)),  # BST from 29 March: 09:00 London is 08:00 UTC
    ("carol", utc(2026, 3, 30, 8), utc(2026, 3, 30, 9)),  # cut at the end of the four weeks
]
NAMES = {p.handle: p.name for p in PEOPLE}


def test_export_is_a_valid_calendar_of_every_shift_with_someone(rota: Store) -> None:
    data = export_ics(rota.get_roster(), role=Role.ANALYST, start=NOW, weeks=4)
    assert data.startswith(b"BEGIN:VCALENDAR\r\n") and data.endswith(b"END:VCALENDAR\r\n")
    cal = icalendar.Calendar.from_ical(data)
    assert str(cal["VERSION"]) == "2.0"
    assert str(cal["PRODID"]) == PRODID == "-//socdesk//duty//EN"
    assert str(cal["X-WR-CALNAME"]) == "socdesk on-call analyst"
    events = cal.walk("VEVENT")
    assert len(events) == len(EXPECTED_EXPORT)
    got = []
    for event in events:
        start, end = event.decoded("DTSTART"), event.decoded("DTEND")
        assert start.utcoffset() == end.utcoffset() == timedelta(0)
        assert event["DTSTART"].to_ical().endswith(b"Z")
        assert "DTSTAMP" in event
        person = next(h for h, n in NAMES.items() if str(event["SUMMARY"]) == f"On-call analyst: {n}")
        got.append((person, start, end))
        assert str(event["UID"]) == f"socdesk-analyst-{start:%Y%m%dT%H%M%SZ}@socdesk"
        email = next(p.email for p in PEOPLE if p.handle == person)
        if email is None:
            assert "ATTENDEE" not in event
        else:
            assert str(event["ATTENDEE"]) == f"mailto:{email}"
            assert event["ATTENDEE"].params["CN"] == NAMES[person]
    assert got == EXPECTED_EXPORT
    descriptions = [str(e["DESCRIPTION"]) for e in events]
    assert descriptions == ["rotation", "rotation", "override: dentist", *["rotation"] * 4]
    assert len({str(e["UID"]) for e in events}) == len(events)


def test_export_is_stable_and_skips_gaps(team: Store) -> None:
    team.add_override(
        OverrideDraft(
            role=Role.ENGINEER, person="dan", starts_at=utc(2026, 3, 4, 12), ends_at=utc(2026, 3, 5, 12)
        )
    )
    roster = team.get_roster()
    data = export_ics(roster, role=Role.ENGINEER, start=NOW, weeks=2)
    assert data == export_ics(roster, role=Role.ENGINEER, start=NOW, weeks=2)
    (event,) = icalendar.Calendar.from_ical(data).walk("VEVENT")  # no rotation: the rest is a gap
    assert str(event["SUMMARY"]) == "On-duty engineer: Dan Okafor"
    assert str(event["UID"]) == "socdesk-engineer-20260304T120000Z@socdesk"
    assert str(icalendar.Calendar.from_ical(data)["X-WR-CALNAME"]) == "socdesk on-duty engineer"


def test_export_refuses_a_naive_start_or_no_weeks(team: Store) -> None:
    roster = team.get_roster()
    with pytest.raises(InvalidInput, match="aware"):
        export_ics(roster, role=Role.ANALYST, start=datetime(2026, 3, 2, 9))
    with pytest.raises(InvalidInput, match="weeks"):
        export_ics(roster, role=Role.ANALYST, start=NOW, weeks=0)


def test_an_export_imported_again_gives_the_same_shifts(rota: Store) -> None:
    roster = rota.get_roster()
    data = export_ics(roster, role=Role.ANALYST, start=NOW, weeks=4)
    assert parse(rota, data) == EXPECTED_EXPORT
    expected = [
        (s.person, s.start, s.end) for s in schedule(roster, Role.ANALYST, NOW, NOW + timedelta(weeks=4))
    ]
    assert parse(rota, data) == expected


ZONES = ("UTC", "Europe/London", "America/New_York", "Asia/Kolkata", "Australia/Sydney")


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    members=st.lists(st.sampled_from([p.handle for p in PEOPLE]), min_size=1, max_size=4, unique=True),
    shift_hours=st.integers(min_value=12, max_value=336),
    tz=st.sampled_from(ZONES),
    weekday=st.none() | st.integers(min_value=0, max_value=6),
    at=st.times().map(lambda t: t.replace(second=0, microsecond=0)),
    start_date=st.dates(min_value=date(2025, 9, 1), max_value=date(2026, 12, 31)),
    start=st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2026, 12, 31)).map(
        lambda d: d.replace(second=0, microsecond=0, tzinfo=UTC)
    ),
    weeks=st.integers(min_value=1, max_value=6),
    role=st.sampled_from(Role),
)
def test_export_then_import_round_trips_any_rotation(
    team: Store,
    members: list[str],
    shift_hours: int,
    tz: str,
    weekday: int | None,
    at: time,
    start_date: date,
    start: datetime,
    weeks: int,
    role: Role,
) -> None:
    rotation = Rotation(
        role=role,
        members=tuple(members),
        shift_hours=shift_hours,
        handover_weekday=weekday,
        handover_time=at,
        tz=tz,
        start_date=start_date,
    )
    roster: Roster = dataclasses.replace(team.get_roster(), rotations={role: rotation}, overrides=[])
    running = holder_shift(roster, role, start)  # exported whole, from its real start
    begin = min(running.start, start) if running.person is not None else start
    expected = [
        (s.person, s.start, s.end)
        for s in schedule(roster, role, begin, start + timedelta(weeks=weeks))
        if s.person is not None
    ]
    data = export_ics(roster, role=role, start=start, weeks=weeks)
    assert len(icalendar.Calendar.from_ical(data).walk("VEVENT")) == len(expected)
    if not expected:  # the rotation starts after the exported weeks
        with pytest.raises(InvalidInput, match="no events"):
            parse_ics(data, role=role, roster=roster, now=start)
        return
    drafts = parse_ics(data, role=role, roster=roster, now=start, source="export.ics")
    assert triples(drafts) == expected
