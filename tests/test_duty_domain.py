"""The duty rules, pure: wall-clock shifts across DST, override precedence, swaps, gaps, the strip."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from socdesk.domain.duty import (
    InvalidInput,
    Override,
    OverrideDraft,
    Role,
    Roster,
    Rotation,
    duty_status,
    holder,
    nearest_handover,
    parse_handover,
    parse_length,
    parse_moment,
    schedule,
    status_json,
    strip_parts,
    strip_text,
    swap_overrides,
    until,
)
from socdesk.domain.models import Person

PEOPLE = {
    h: Person(handle=h, name=n)
    for h, n in [("alice", "Alice Ng"), ("bob", "Bob Ruiz"), ("carol", "Carol Okafor"), ("dan", "Dan Weiss")]
}


def rotation(role: str = "engineer", members: tuple[str, ...] = ("alice", "carol"), **kw: object) -> Rotation:
    fields: dict[str, object] = {
        "role": role,
        "members": members,
        "shift_hours": 168,
        "handover_weekday": 0,
        "handover_time": time(9, 0),
        "tz": "Europe/London",
        "start_date": date(2026, 1, 5),
    }
    fields.update(kw)
    return Rotation.model_validate(fields)


def override(oid: int, role: str, person: str, start: datetime, end: datetime, reason: str = "") -> Override:
    return Override(
        id=oid,
        role=role,
        person=person,
        starts_at=start,
        ends_at=end,
        reason=reason,
        created_at=start - timedelta(days=30),
        created_by="tester",
    )


def roster(*rotations: Rotation, overrides: tuple[Override, ...] = ()) -> Roster:
    return Roster(people=PEOPLE, rotations={r.role: r for r in rotations}, overrides=overrides)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def local(text: str, zone: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(zone))


# ------------------------------------------------------------------------------------ DST


@pytest.mark.parametrize(
    ("zone", "before", "after", "utc_before", "utc_after"),
    [
        # Europe/London: spring forward 2026-03-29, fall back 2026-10-25.
        ("Europe/London", "2026-03-23", "2026-03-30", "09:00", "08:00"),
        ("Europe/London", "2026-10-19", "2026-10-26", "08:00", "09:00"),
        # America/New_York: spring forward 2026-03-08, fall back 2026-11-01.
        ("America/New_York", "2026-03-02", "2026-03-09", "14:00", "13:00"),
        ("America/New_York", "2026-10-26", "2026-11-02", "13:00", "14:00"),
    ],
    ids=["london-spring", "london-autumn", "new-york-spring", "new-york-autumn"],
)
def test_a_monday_0900_handover_stays_0900_local_across_dst(
    zone: str, before: str, after: str, utc_before: str, utc_after: str
) -> None:
    rot = rotation(tz=zone)
    team = roster(rot)
    starts = [s.start for s in schedule(team, Role.ENGINEER, utc(f"{before}T00:00"), utc(f"{after}T23:00"))]
    assert utc(f"{before}T{utc_before}") in starts
    assert utc(f"{after}T{utc_after}") in starts
    for moment in starts[1:]:
        wall = moment.astimezone(ZoneInfo(zone))
        assert (wall.weekday(), wall.hour, wall.minute) == (0, 9, 0)


def test_a_shift_across_the_spring_change_is_an_hour_shorter_and_autumn_an_hour_longer() -> None:
    team = roster(rotation())
    spring = holder(team, Role.ENGINEER, utc("2026-03-23T09:00"))
    autumn = holder(team, Role.ENGINEER, utc("2026-10-19T08:00"))
    assert spring.end - spring.start == timedelta(days=7, hours=-1)
    assert autumn.end - autumn.start == timedelta(days=7, hours=1)


def test_twelve_hour_shifts_keep_their_wall_clock_handovers_across_dst() -> None:
    rot = rotation(
        members=("alice", "carol"), shift_hours=12, handover_weekday=None, handover_time=time(7, 0)
    )
    slots = schedule(roster(rot), Role.ENGINEER, utc("2026-03-28T00:00"), utc("2026-03-31T00:00"))
    walls = {(s.start.astimezone(ZoneInfo("Europe/London")).hour) for s in slots[1:]}
    assert walls == {7, 19}
    assert [s.person for s in slots[1:4]] != [slots[1].person] * 3  # they alternate


def test_a_handover_inside_the_spring_gap_happens_when_the_clock_jumps() -> None:
    # 01:30 on 2026-03-29 does not exist in London: the shift starts at the jump, 01:00 UTC.
    rot = rotation(handover_weekday=6, handover_time=time(1, 30))
    starts = [
        s.start
        for s in schedule(roster(rot), Role.ENGINEER, utc("2026-03-28T00:00"), utc("2026-03-30T00:00"))
    ]
    assert utc("2026-03-29T01:30") in starts


# ------------------------------------------------------------------------------------ overrides


def test_an_override_wins_over_the_rotation_and_the_newest_overlapping_override_wins() -> None:
    base = rotation()
    a = override(1, "engineer", "bob", utc("2026-03-03T00:00"), utc("2026-03-05T00:00"))
    b = override(2, "engineer", "dan", utc("2026-03-04T00:00"), utc("2026-03-04T12:00"))
    team = roster(base, overrides=(a, b))
    assert holder(team, Role.ENGINEER, utc("2026-03-02T12:00")).person == "alice"
    assert holder(team, Role.ENGINEER, utc("2026-03-03T06:00")).person == "bob"
    assert holder(team, Role.ENGINEER, utc("2026-03-04T06:00")).person == "dan"  # newer
    assert holder(team, Role.ENGINEER, utc("2026-03-04T13:00")).person == "bob"
    assert holder(team, Role.ENGINEER, utc("2026-03-05T00:00")).person == "alice"  # end is exclusive
    # An older override created *after*... the id order is what counts: swap the ids, bob wins.
    a2 = a.model_copy(update={"id": 3})
    team2 = roster(base, overrides=(a2, b))
    assert holder(team2, Role.ENGINEER, utc("2026-03-04T06:00")).person == "bob"


def test_overrides_are_per_role() -> None:
    team = roster(
        rotation(),
        rotation("analyst", ("bob", "dan")),
        overrides=(override(1, "analyst", "carol", utc("2026-03-03T00:00"), utc("2026-03-04T00:00")),),
    )
    status = duty_status(team, utc("2026-03-03T12:00"))
    assert status.current[Role.ENGINEER].person == "alice"
    assert status.current[Role.ANALYST].person == "carol"


def test_a_gap_before_the_rotation_starts_and_a_role_without_rotation_are_nobody() -> None:
    team = roster(rotation(start_date=date(2026, 3, 2)))
    status = duty_status(team, utc("2026-03-01T12:00"))
    assert status.current[Role.ENGINEER].person is None
    assert status.current[Role.ANALYST].person is None
    assert status.handover_at == utc("2026-03-02T09:00")
    parts = strip_parts(team, status)
    assert parts[0] == ("NO ON-DUTY ENGINEER", True)
    assert parts[1] == ("NO ON-CALL ANALYST", True)


def test_an_override_covering_a_gap_fills_it() -> None:
    cover = override(1, "analyst", "dan", utc("2026-03-03T00:00"), utc("2026-03-04T00:00"))
    team = roster(rotation(), overrides=(cover,))
    slots = schedule(team, Role.ANALYST, utc("2026-03-02T00:00"), utc("2026-03-05T00:00"))
    assert [(s.person, s.source) for s in slots] == [(None, "gap"), ("dan", "override"), (None, "gap")]


def test_swap_makes_two_overrides_that_trade_whole_shifts() -> None:
    team = roster(rotation())
    one, two = swap_overrides(team, Role.ENGINEER, utc("2026-03-03T12:00"), utc("2026-03-10T12:00"))
    assert (one.person, one.starts_at, one.ends_at) == (
        "carol",
        utc("2026-03-02T09:00"),
        utc("2026-03-09T09:00"),
    )
    assert (two.person, two.starts_at, two.ends_at) == (
        "alice",
        utc("2026-03-09T09:00"),
        utc("2026-03-16T09:00"),
    )
    swapped = roster(
        rotation(),
        overrides=(
            override(1, "engineer", one.person, one.starts_at, one.ends_at),
            override(2, "engineer", two.person, two.starts_at, two.ends_at),
        ),
    )
    assert holder(swapped, Role.ENGINEER, utc("2026-03-03T12:00")).person == "carol"
    assert holder(swapped, Role.ENGINEER, utc("2026-03-10T12:00")).person == "alice"


def test_a_swap_of_one_persons_two_shifts_is_refused() -> None:
    team = roster(rotation())
    with pytest.raises(InvalidInput, match="nothing to swap"):
        swap_overrides(team, Role.ENGINEER, utc("2026-03-03T12:00"), utc("2026-03-17T12:00"))


def test_a_swap_with_nobody_is_refused() -> None:
    with pytest.raises(InvalidInput, match="someone on each"):
        swap_overrides(roster(rotation()), Role.ANALYST, utc("2026-03-03T12:00"), utc("2026-03-10T12:00"))


# ------------------------------------------------------------------------------------ now and the strip


def test_now_at_the_handover_instant_is_the_incoming_person() -> None:
    team = roster(rotation(), rotation("analyst", ("bob", "dan")))
    handover = utc("2026-03-09T09:00")
    just_before = duty_status(team, handover - timedelta(microseconds=1))
    at = duty_status(team, handover)
    assert just_before.current[Role.ENGINEER].person == "alice"
    assert just_before.handover_at == handover
    assert at.current[Role.ENGINEER].person == "carol"
    assert at.current[Role.ANALYST].person == "dan"
    assert at.handover_at == utc("2026-03-16T09:00")


def test_the_strip_reads_like_the_spec() -> None:
    team = roster(rotation(), rotation("analyst", ("bob", "dan")))
    text = strip_text(team, utc("2026-03-07T04:30"))
    assert text == (
        "On duty: Alice Ng (engineer) · On call: Bob Ruiz (analyst) · "
        "handover Mon 09:00 (in 2d 4h) → Carol / Dan"
    )


def test_now_json_shape() -> None:
    team = roster(rotation(), rotation("analyst", ("bob", "dan")))
    data = status_json(team, duty_status(team, utc("2026-03-07T04:30")))
    assert data["engineer"] == {"handle": "alice", "name": "Alice Ng"}
    assert data["analyst"] == {"handle": "bob", "name": "Bob Ruiz"}
    assert data["handover_at"] == "2026-03-09T09:00:00+00:00"
    assert data["next"] == {
        "engineer": {"handle": "carol", "name": "Carol Okafor"},
        "analyst": {"handle": "dan", "name": "Dan Weiss"},
    }


def test_the_handover_note_belongs_to_the_nearest_handover() -> None:
    team = roster(rotation())
    assert nearest_handover(team, Role.ENGINEER, utc("2026-03-09T08:30")) == utc("2026-03-09T09:00")
    assert nearest_handover(team, Role.ENGINEER, utc("2026-03-09T09:20")) == utc("2026-03-09T09:00")
    assert nearest_handover(team, Role.ENGINEER, utc("2026-03-11T09:00")) == utc("2026-03-09T09:00")
    assert nearest_handover(team, Role.ENGINEER, utc("2026-03-14T09:00")) == utc("2026-03-16T09:00")


@pytest.mark.parametrize(
    ("minutes", "words"), [(0, "now"), (12, "12m"), (200, "3h 20m"), (3 * 1440 + 65, "3d 1h")]
)
def test_until(minutes: int, words: str) -> None:
    at = utc("2026-03-02T00:00")
    assert until(at + timedelta(minutes=minutes), at) == words


# ------------------------------------------------------------------------------------ input


@pytest.mark.parametrize(("text", "hours"), [("7d", 168), ("12h", 12), ("1w", 168), (" 2D ", 48)])
def test_parse_length(text: str, hours: int) -> None:
    assert parse_length(text) == hours


@pytest.mark.parametrize("text", ["", "7", "0d", "29d", "1.5d", "7 days please"])
def test_parse_length_refuses_with_a_clear_message(text: str) -> None:
    with pytest.raises(InvalidInput, match="shift length"):
        parse_length(text)


def test_parse_handover() -> None:
    assert parse_handover("mon 09:00") == (0, time(9, 0))
    assert parse_handover("Friday 17:30") == (4, time(17, 30))
    assert parse_handover("07:00") == (None, time(7, 0))
    for bad in ("mon", "xyz 09:00", "mon 25:00", "mon 9"):
        with pytest.raises(InvalidInput, match="handover"):
            parse_handover(bad)


def test_parse_moment_reads_naive_times_in_the_given_zone() -> None:
    assert parse_moment("2026-07-01T09:00", zone="Europe/London") == utc("2026-07-01T08:00")
    assert parse_moment("2026-07-01T09:00+02:00") == utc("2026-07-01T07:00")
    with pytest.raises(InvalidInput, match="ISO"):
        parse_moment("next tuesday")


def test_rotation_validation() -> None:
    with pytest.raises(ValueError, match="unknown time zone"):
        rotation(tz="Mars/Olympus")
    with pytest.raises(ValueError, match="listed twice"):
        rotation(members=("alice", "alice"))
    with pytest.raises(ValueError):
        rotation(members=())
    with pytest.raises(ValueError):
        OverrideDraft(
            role="engineer", person="bob", starts_at=utc("2026-03-02T10:00"), ends_at=utc("2026-03-02T09:00")
        )


# ------------------------------------------------------------------------------------ properties

ZONES = ["Europe/London", "America/New_York", "Australia/Sydney", "Asia/Kolkata", "UTC"]


@st.composite
def rotations(draw: st.DrawFn) -> Rotation:
    return rotation(
        members=tuple(draw(st.permutations(list(PEOPLE)))[: draw(st.integers(1, 4))]),
        shift_hours=draw(st.sampled_from([8, 12, 24, 48, 168, 336])),
        handover_weekday=draw(st.none() | st.integers(0, 6)),
        handover_time=time(draw(st.integers(0, 23)), draw(st.sampled_from([0, 15, 30]))),
        tz=draw(st.sampled_from(ZONES)),
        start_date=draw(st.dates(date(2025, 1, 1), date(2027, 1, 1))),
    )


moments = st.datetimes(datetime(2025, 1, 1), datetime(2027, 12, 31)).map(lambda d: d.replace(tzinfo=UTC))


@settings(max_examples=150, deadline=None)
@given(rot=rotations(), start=moments, days=st.integers(1, 40))
def test_schedule_slots_tile_the_window_without_gaps_or_overlaps(
    rot: Rotation, start: datetime, days: int
) -> None:
    end = start + timedelta(days=days)
    slots = schedule(roster(rot), Role.ENGINEER, start, end)
    assert slots[0].start == start and slots[-1].end == end
    for a, b in pairwise(slots):
        assert a.end == b.start and a.start < a.end


@settings(max_examples=150, deadline=None)
@given(rot=rotations(), at=moments)
def test_every_shift_starts_at_the_handover_wall_time_and_members_take_turns(
    rot: Rotation, at: datetime
) -> None:
    index = rot.shift_index(at)
    if index is None:
        assert at < rot.shift_start(0)
        return
    assert rot.shift_start(index) <= at < rot.shift_start(index + 1)
    # Each shift starts on the wall clock at the anchor plus whole shift lengths, whatever DST did in
    # between; only a wall time that does not exist (a spring gap) moves, forward, to the jump.
    zone = ZoneInfo(rot.tz)
    wanted = rot.anchor() + index * rot.length
    wall = rot.shift_start(index).astimezone(zone).replace(tzinfo=None)
    exists = wanted.replace(tzinfo=zone).astimezone(UTC).astimezone(zone).replace(tzinfo=None) == wanted
    if exists:
        assert wall == wanted
    else:
        assert wanted < wall <= wanted + timedelta(hours=1)
    assert holder(roster(rot), Role.ENGINEER, at).person == rot.members[index % len(rot.members)]


@settings(max_examples=100, deadline=None)
@given(
    rot=rotations(),
    at=moments,
    covers=st.lists(
        st.tuples(st.sampled_from(list(PEOPLE)), st.integers(-72, 72), st.integers(1, 96)), max_size=5
    ),
)
def test_the_newest_covering_override_always_decides(
    rot: Rotation, at: datetime, covers: list[tuple[str, int, int]]
) -> None:
    overrides = tuple(
        override(i + 1, "engineer", who, at + timedelta(hours=offset), at + timedelta(hours=offset + length))
        for i, (who, offset, length) in enumerate(covers)
    )
    team = roster(rot, overrides=overrides)
    covering = [o for o in overrides if o.starts_at <= at < o.ends_at]
    got = holder(team, Role.ENGINEER, at).person
    if covering:
        assert got == max(covering, key=lambda o: o.id).person
    else:
        index = rot.shift_index(at)
        assert got == (None if index is None else rot.member(index))
