"""The shared meeting timer, pure: a fold over timestamped actions at an injected ``now``.

Every moment is an explicit datetime; nothing sleeps. The properties drive random but valid action
sequences (built by simulating the meeting) and check what every console relies on: the time the
sections used adds up to the time the meeting ran unpaused, time only ever accrues to the running
section, and two folds of the same actions at the same moment agree.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from socdesk.domain.timer import (
    EXTEND_MAX_MINUTES,
    ZERO,
    Act,
    Action,
    SectionTime,
    Timer,
    TimerError,
    check,
    clock_text,
    fold,
)

T0 = datetime(2026, 3, 3, 10, 0, tzinfo=UTC)  # a Tuesday, 10:00 UTC
PLAN = [timedelta(minutes=m) for m in (5, 30, 15, 10)]  # the default handshake: 60 minutes
MIN = timedelta(minutes=1)


def at(minutes: float = 0, seconds: float = 0) -> datetime:
    return T0 + timedelta(minutes=minutes, seconds=seconds)


def a(offset: float, act: Act, /, *, minutes: int = 0, item: int | None = None) -> Action:
    """An action ``offset`` minutes after T0 (``minutes``: what EXTEND adds)."""
    return Action(at(offset), act, minutes=minutes, item=item)


def mins(n: float) -> timedelta:
    return timedelta(minutes=n)


def used(timer: Timer) -> list[timedelta]:
    return [s.used for s in timer.sections]


# ------------------------------------------------------------------------------ before the start


def test_a_timer_that_has_not_started_shows_nothing_running() -> None:
    timer = fold(PLAN, [], at(3))
    assert timer.started_at is None and timer.current is None
    assert not timer.running and not timer.paused
    assert timer.section is None
    assert (timer.remaining, timer.overrun, timer.fraction()) == (ZERO, ZERO, 0.0)
    assert timer.projected_end is None and timer.deadline is None
    assert timer.late_by == ZERO and timer.losing() == []
    assert used(timer) == [ZERO] * 4
    assert timer.now == at(3)


def test_a_timer_needs_a_section() -> None:
    with pytest.raises(TimerError, match="at least one section"):
        fold([], [], T0)


# ------------------------------------------------------------------------------ counting down


def test_remaining_counts_down_in_the_first_section() -> None:
    actions = [a(0, Act.START)]
    timer = fold(PLAN, actions, at(2, 30))
    assert timer.running and timer.current == 0 and timer.started_at == T0
    assert timer.section == SectionTime(planned=mins(5), used=mins(2.5), visited=True)
    assert timer.remaining == mins(2.5)
    assert clock_text(timer.remaining) == "02:30"
    assert timer.fraction() == 0.5
    assert used(timer)[1:] == [ZERO, ZERO, ZERO]
    assert [s.visited for s in timer.sections] == [True, False, False, False]
    later = fold(PLAN, actions, at(4, 59))
    assert later.remaining == timedelta(seconds=1)
    assert clock_text(later.remaining) == "00:01"
    assert clock_text(fold(PLAN, actions, at(5)).remaining) == "00:00"


def test_an_overrun_is_negative_remaining_and_shows_with_a_plus() -> None:
    timer = fold(PLAN, [a(0, Act.START)], at(6, 15))
    assert timer.remaining == -timedelta(minutes=1, seconds=15)
    assert timer.overrun == timedelta(minutes=1, seconds=15)
    assert timer.section is not None and timer.section.overrun == timer.overrun
    assert clock_text(timer.remaining) == "+01:15"
    assert timer.fraction() == 1.25


def test_pause_stops_the_clock_and_resume_continues_without_the_paused_time() -> None:
    actions = [a(0, Act.START), a(1, Act.PAUSE)]
    paused = fold(PLAN, actions, at(4))
    assert paused.paused and paused.paused_since == at(1) and paused.running
    assert paused.section is not None and paused.section.used == mins(1)
    assert fold(PLAN, actions, at(40)).remaining == mins(4)  # however long the pause lasts
    resumed = fold(PLAN, [*actions, a(4, Act.RESUME)], at(6))
    assert not resumed.paused and resumed.paused_since is None
    assert resumed.section is not None and resumed.section.used == mins(3)  # 0-1 and 4-6
    assert resumed.remaining == mins(2)


def test_moving_section_while_paused_keeps_the_new_section_still_until_resumed() -> None:
    actions = [a(0, Act.START), a(2, Act.PAUSE), a(3, Act.NEXT)]
    timer = fold(PLAN, actions, at(10))
    assert timer.current == 1 and timer.paused
    assert used(timer) == [mins(2), ZERO, ZERO, ZERO]
    timer = fold(PLAN, [*actions, a(10, Act.RESUME)], at(12))
    assert used(timer) == [mins(2), mins(2), ZERO, ZERO]


def test_extend_adds_to_the_current_sections_allowance_only() -> None:
    actions = [a(0, Act.START), a(3, Act.EXTEND, minutes=5)]
    timer = fold(PLAN, actions, at(6))
    assert timer.section is not None
    assert (timer.section.planned, timer.section.extended, timer.section.allowance) == (
        mins(5),
        mins(5),
        mins(10),
    )
    assert timer.remaining == mins(4)
    assert [s.extended for s in timer.sections[1:]] == [ZERO, ZERO, ZERO]
    again = fold(PLAN, [*actions, a(6, Act.EXTEND, minutes=EXTEND_MAX_MINUTES)], at(6))
    assert again.section is not None and again.section.extended == mins(35)
    assert again.remaining == mins(34)


def test_extend_of_a_later_section_stays_with_it_after_moving_on() -> None:
    actions = [a(0, Act.START), a(5, Act.NEXT), a(6, Act.EXTEND, minutes=3), a(10, Act.NEXT)]
    timer = fold(PLAN, actions, at(11))
    assert [s.extended for s in timer.sections] == [ZERO, mins(3), ZERO, ZERO]
    assert timer.sections[1].remaining == mins(33 - 5)


def test_next_and_prev_move_between_sections_keeping_each_sections_used_time() -> None:
    actions = [a(0, Act.START), a(4, Act.NEXT), a(10, Act.NEXT), a(12, Act.PREV)]
    timer = fold(PLAN, actions, at(15))
    assert timer.current == 1
    assert used(timer) == [mins(4), mins(6 + 3), mins(2), ZERO]
    assert [s.visited for s in timer.sections] == [True, True, True, False]
    assert timer.remaining == mins(30 - 9)
    back = fold(PLAN, [*actions, a(15, Act.PREV)], at(16))
    assert back.current == 0 and used(back) == [mins(5), mins(9), mins(2), ZERO]


def test_end_freezes_the_clock() -> None:
    actions = [a(0, Act.START), a(5, Act.NEXT), a(20, Act.PAUSE), a(22, Act.END)]
    timer = fold(PLAN, actions, at(90))
    assert not timer.running and not timer.paused
    assert timer.started_at == T0 and timer.ended_at == at(22)
    assert used(timer) == [mins(5), mins(15), ZERO, ZERO]
    assert timer.projected_end == at(22)
    assert timer.now == at(90)
    assert timer.late_by == ZERO
    assert fold(PLAN, actions, at(500)).sections == timer.sections


# ------------------------------------------------------------------------------ refusals

REFUSED: list[tuple[str, list[Action], str]] = [
    ("next before start", [a(0, Act.NEXT)], "not started"),
    ("prev before start", [a(0, Act.PREV)], "not started"),
    ("pause before start", [a(0, Act.PAUSE)], "not started"),
    ("resume before start", [a(0, Act.RESUME)], "not started"),
    ("extend before start", [a(0, Act.EXTEND, minutes=5)], "not started"),
    ("item before start", [a(0, Act.ITEM, item=1)], "not started"),
    ("end before start", [a(0, Act.END)], "not started"),
    ("start twice", [a(0, Act.START), a(1, Act.START)], "already started"),
    (
        "next on the last section",
        [a(0, Act.START), a(1, Act.NEXT), a(2, Act.NEXT), a(3, Act.NEXT), a(4, Act.NEXT)],
        "last section",
    ),
    ("prev on the first section", [a(0, Act.START), a(1, Act.PREV)], "first section"),
    ("pause twice", [a(0, Act.START), a(1, Act.PAUSE), a(2, Act.PAUSE)], "already paused"),
    ("resume unpaused", [a(0, Act.START), a(1, Act.RESUME)], "not paused"),
    (
        "resume twice",
        [a(0, Act.START), a(1, Act.PAUSE), a(2, Act.RESUME), a(3, Act.RESUME)],
        "not paused",
    ),
    ("extend 0", [a(0, Act.START), a(1, Act.EXTEND, minutes=0)], "extend by 1 to 30 minutes, not 0"),
    ("extend 31", [a(0, Act.START), a(1, Act.EXTEND, minutes=31)], "extend by 1 to 30 minutes, not 31"),
    ("extend -5", [a(0, Act.START), a(1, Act.EXTEND, minutes=-5)], "not -5"),
    ("item without an item", [a(0, Act.START), a(1, Act.ITEM)], "which item"),
    *[
        (f"{act.value} after end", [a(0, Act.START), a(1, Act.END), a(2, act, minutes=5, item=1)], "ended")
        for act in (Act.NEXT, Act.PREV, Act.PAUSE, Act.RESUME, Act.EXTEND, Act.ITEM, Act.END)
    ],
    ("start after end", [a(0, Act.START), a(1, Act.END), a(2, Act.START)], "already started"),
]


@pytest.mark.parametrize(("actions", "message"), [r[1:] for r in REFUSED], ids=[r[0] for r in REFUSED])
def test_impossible_actions_are_refused(actions: list[Action], message: str) -> None:
    with pytest.raises(TimerError, match=message):
        fold(PLAN, actions, at(10))
    # check() refuses the same last action, with the same reason
    with pytest.raises(TimerError, match=message):
        check(PLAN, actions[:-1], actions[-1])


def test_timer_error_is_a_value_error() -> None:
    assert issubclass(TimerError, ValueError)


def test_check_refuses_an_action_older_than_the_last_one() -> None:
    with pytest.raises(TimerError, match="older than the last"):
        check(PLAN, [a(0, Act.START), a(5, Act.NEXT)], a(4, Act.PAUSE))


def test_check_accepts_an_action_at_the_same_moment_and_returns_the_timer_after_it() -> None:
    actions = [a(0, Act.START), a(5, Act.NEXT)]
    after = check(PLAN, actions, a(5, Act.EXTEND, minutes=10), item_allowance=mins(2))
    assert after == fold(PLAN, [*actions, a(5, Act.EXTEND, minutes=10)], at(5), item_allowance=mins(2))
    assert after.current == 1 and after.sections[1].allowance == mins(40)
    assert after.now == at(5)


# ------------------------------------------------------------------------------ topics (items)


def test_an_item_timer_accrues_only_for_the_current_item_and_clears_on_section_change() -> None:
    actions = [
        a(0, Act.START),
        a(5, Act.NEXT),
        a(5, Act.ITEM, item=11),
        a(7, Act.ITEM, item=12),
    ]
    timer = fold(PLAN, actions, at(8), item_allowance=mins(2))
    assert timer.item == 12
    assert timer.items == {11: mins(2), 12: mins(1)}
    assert (timer.item_used, timer.item_remaining) == (mins(1), mins(1))
    over = fold(PLAN, actions, at(10, 30), item_allowance=mins(2))
    assert over.item_remaining == -mins(1.5)
    assert clock_text(over.item_remaining) == "+01:30"
    assert over.items[11] == mins(2)  # the earlier item stands still

    moved = fold(PLAN, [*actions, a(9, Act.NEXT)], at(12), item_allowance=mins(2))
    assert moved.item is None and moved.item_used == ZERO
    assert moved.item_remaining == mins(2)
    assert moved.items == {11: mins(2), 12: mins(2)}  # nothing accrues after the section changed

    # Back to the topics section and on with item 11: it continues from its own time.
    back = fold(
        PLAN,
        [*actions, a(9, Act.NEXT), a(12, Act.PREV), a(12, Act.ITEM, item=11)],
        at(13),
        item_allowance=mins(2),
    )
    assert back.item == 11 and back.items == {11: mins(3), 12: mins(2)}


def test_a_paused_item_does_not_accrue() -> None:
    actions = [a(0, Act.START), a(5, Act.NEXT), a(5, Act.ITEM, item=1), a(6, Act.PAUSE)]
    timer = fold(PLAN, actions, at(20), item_allowance=mins(2))
    assert timer.items == {1: mins(1)}


# ------------------------------------------------------------------------------ projection, deadline


def test_projected_end_is_now_plus_what_is_left_of_this_and_the_later_sections() -> None:
    # Section 0 ended early: its unused minute is not added; section 1 has 24 of 30 left.
    timer = fold(PLAN, [a(0, Act.START), a(4, Act.NEXT)], at(10))
    assert timer.projected_end == at(10) + mins(24 + 15 + 10) == at(59)
    assert timer.deadline == at(60)  # started_at + the planned hour
    assert timer.late_by == ZERO and timer.losing() == []


def test_projected_end_counts_an_overrun_current_section_as_nothing_left() -> None:
    timer = fold(PLAN, [a(0, Act.START)], at(8))
    assert timer.remaining == -mins(3)
    assert timer.projected_end == at(8) + mins(30 + 15 + 10)
    assert timer.late_by == mins(3)
    assert timer.losing() == [(1, mins(3))]


def test_projected_end_uses_what_later_visited_sections_have_left_never_less_than_zero() -> None:
    # Section 2 was visited for 20 of its 15 minutes (overran by 5), then the meeting went back.
    actions = [a(0, Act.START), a(5, Act.NEXT), a(10, Act.NEXT), a(30, Act.PREV)]
    timer = fold(PLAN, actions, at(30))
    assert timer.current == 1 and timer.sections[2].remaining == -mins(5)
    assert timer.projected_end == at(30) + mins(25 + 0 + 10)
    # Section 2 has nothing left to give; section 3 gives what is needed.
    assert timer.late_by == mins(5)
    assert timer.losing() == [(3, mins(5))]


def test_extend_pushes_the_projection_but_not_the_deadline() -> None:
    timer = fold(PLAN, [a(0, Act.START), a(1, Act.EXTEND, minutes=10)], at(1))
    assert timer.deadline == at(60)
    assert timer.projected_end == at(1) + mins(14 + 55)
    assert timer.late_by == mins(10)
    assert timer.losing() == [(1, mins(10))]


def test_deadline_is_the_scheduled_time_plus_the_plan_when_scheduled() -> None:
    scheduled = fold(PLAN, [a(7, Act.START)], at(7), scheduled_at=T0)
    assert scheduled.deadline == at(60)
    unscheduled = fold(PLAN, [a(7, Act.START)], at(7))
    assert unscheduled.deadline == at(67)
    assert fold(PLAN, [], at(7), scheduled_at=T0).deadline is None  # not started: no deadline yet


def test_a_late_start_makes_the_later_sections_lose_time_nearest_first() -> None:
    timer = fold(PLAN, [a(7, Act.START)], at(7), scheduled_at=T0)
    assert timer.projected_end == at(67)
    assert timer.late_by == mins(7)
    assert timer.losing() == [(1, mins(7))]
    assert timer.remaining == mins(5)  # the running section keeps its own time


def test_losing_spreads_the_lateness_over_the_later_sections_nearest_first() -> None:
    timer = fold(PLAN, [a(0, Act.START)], at(40), scheduled_at=T0)  # kick-off ran 35 min over
    assert timer.late_by == mins(35)
    assert timer.losing() == [(1, mins(30)), (2, mins(5))]
    timer = fold(PLAN, [a(0, Act.START)], at(50), scheduled_at=T0)
    assert timer.late_by == mins(45)
    assert timer.losing() == [(1, mins(30)), (2, mins(15))]


def test_losing_never_takes_more_than_the_later_sections_have() -> None:
    timer = fold(PLAN, [a(0, Act.START)], at(70), scheduled_at=T0)
    assert timer.late_by == mins(65)
    assert timer.losing() == [(1, mins(30)), (2, mins(15)), (3, mins(10))]


def test_losing_skips_later_sections_with_nothing_left() -> None:
    actions = [a(0, Act.START), a(5, Act.NEXT), a(10, Act.NEXT), a(30, Act.PREV)]
    timer = fold(PLAN, actions, at(52), scheduled_at=T0)
    # Section 1 has used 5 + 22 = 27 of 30; section 2 overran; only section 3 can give.
    assert timer.projected_end == at(52) + mins(3 + 0 + 10)
    assert timer.losing() == [(3, mins(5))]


def test_in_the_last_section_there_is_nothing_later_to_lose() -> None:
    actions = [a(0, Act.START), a(5, Act.NEXT), a(35, Act.NEXT), a(50, Act.NEXT)]
    timer = fold(PLAN, actions, at(70), scheduled_at=T0)
    assert timer.late_by == mins(10)
    assert timer.losing() == []


def test_the_late_by_of_an_ended_meeting_is_measured_at_its_end() -> None:
    timer = fold(PLAN, [a(0, Act.START), a(64, Act.END)], at(120), scheduled_at=T0)
    assert timer.projected_end == at(64)
    assert timer.late_by == mins(4)


def test_an_ended_meeting_has_no_section_left_to_lose_time() -> None:
    timer = fold(PLAN, [a(0, Act.START), a(64, Act.END)], at(120), scheduled_at=T0)
    assert timer.losing() == []


# ------------------------------------------------------------------------------ clock_text


@pytest.mark.parametrize(
    ("delta", "text"),
    [
        (ZERO, "00:00"),
        (timedelta(seconds=59), "00:59"),
        (timedelta(minutes=2, seconds=30), "02:30"),
        (timedelta(minutes=75), "75:00"),
        (timedelta(hours=2, seconds=5), "120:05"),
        (-timedelta(seconds=1), "+00:01"),
        (-timedelta(minutes=1, seconds=15), "+01:15"),
        (-timedelta(minutes=75), "+75:00"),
    ],
)
def test_clock_text(delta: timedelta, text: str) -> None:
    assert clock_text(delta) == text


@given(st.integers(min_value=-100 * 3600, max_value=100 * 3600))
def test_clock_text_reads_back_as_the_same_number_of_seconds(seconds: int) -> None:
    text = clock_text(timedelta(seconds=seconds))
    sign = -1 if text.startswith("+") else 1
    minutes, secs = text.lstrip("+").split(":")
    assert len(secs) == 2 and len(minutes) >= 2 and 0 <= int(secs) < 60
    assert sign * (int(minutes) * 60 + int(secs)) == seconds


# ------------------------------------------------------------------------------ properties


@st.composite
def sessions(draw: st.DrawFn) -> tuple[list[timedelta], list[Action], datetime]:
    """A plan, a valid action sequence built by simulating the meeting, and a ``now`` after it."""
    n = draw(st.integers(min_value=1, max_value=6))
    planned = [timedelta(minutes=draw(st.integers(min_value=1, max_value=30))) for _ in range(n)]
    t = T0 + timedelta(seconds=draw(st.integers(min_value=0, max_value=3600)))
    actions = [Action(t, Act.START)]
    current, paused = 0, False
    for _ in range(draw(st.integers(min_value=0, max_value=30))):
        t += timedelta(seconds=draw(st.integers(min_value=1, max_value=900)))
        choices = [Act.RESUME if paused else Act.PAUSE, Act.EXTEND, Act.ITEM]
        if current + 1 < n:
            choices.append(Act.NEXT)
        if current > 0:
            choices.append(Act.PREV)
        act = draw(st.sampled_from(choices))
        if act is Act.NEXT:
            current += 1
        elif act is Act.PREV:
            current -= 1
        elif act in (Act.PAUSE, Act.RESUME):
            paused = not paused
        minutes = draw(st.integers(1, EXTEND_MAX_MINUTES)) if act is Act.EXTEND else 0
        item = draw(st.integers(1, 5)) if act is Act.ITEM else None
        actions.append(Action(t, act, minutes=minutes, item=item))
    if draw(st.booleans()):
        t += timedelta(seconds=draw(st.integers(min_value=0, max_value=900)))
        actions.append(Action(t, Act.END))
    now = t + timedelta(seconds=draw(st.integers(min_value=0, max_value=7200)))
    return planned, actions, now


def unpaused_running_time(actions: list[Action], now: datetime) -> timedelta:
    """Independently of the fold: the time between start and now (or end) that was not paused."""
    total = ZERO
    since: datetime | None = None
    for action in actions:
        if action.act is Act.START or action.act is Act.RESUME:
            since = action.at
        elif action.act is Act.PAUSE:
            assert since is not None
            total += action.at - since
            since = None
        elif action.act is Act.END:
            if since is not None:
                total += action.at - since
            return total
    if since is not None:
        total += now - since
    return total


@settings(max_examples=300, deadline=None)
@given(sessions())
def test_every_generated_action_is_accepted_by_check(
    session: tuple[list[timedelta], list[Action], datetime],
) -> None:
    planned, actions, now = session
    for i in range(1, len(actions)):
        check(planned, actions[:i], actions[i])
    assert fold(planned, actions, now).started_at == actions[0].at


@settings(max_examples=300, deadline=None)
@given(sessions())
def test_the_sections_used_time_adds_up_to_the_unpaused_running_time(
    session: tuple[list[timedelta], list[Action], datetime],
) -> None:
    planned, actions, now = session
    timer = fold(planned, actions, now, item_allowance=mins(2))
    assert sum(used(timer), ZERO) == unpaused_running_time(actions, now)
    # An item only counts time while its section runs: never more than the sections used.
    assert sum(timer.items.values(), ZERO) <= sum(used(timer), ZERO)
    assert all(s.used >= ZERO for s in timer.sections)


@settings(max_examples=300, deadline=None)
@given(sessions(), st.integers(min_value=1, max_value=10_000))
def test_a_later_now_never_takes_used_time_away_and_only_the_running_section_gains(
    session: tuple[list[timedelta], list[Action], datetime], extra_seconds: int
) -> None:
    planned, actions, now = session
    extra = timedelta(seconds=extra_seconds)
    earlier = fold(planned, actions, now)
    later = fold(planned, actions, now + extra)
    assert all(b.used >= e.used for e, b in zip(earlier.sections, later.sections, strict=True))
    running = earlier.running and not earlier.paused
    for index, (e, b) in enumerate(zip(earlier.sections, later.sections, strict=True)):
        if running and index == earlier.current:
            assert b.used == e.used + extra
        else:
            assert b.used == e.used  # not the current section: time passing leaves it alone
    assert later.current == earlier.current
    for item in {*earlier.items, *later.items}:
        gained = later.items.get(item, ZERO) - earlier.items.get(item, ZERO)
        assert gained == (extra if running and item == earlier.item else ZERO)


@settings(max_examples=300, deadline=None)
@given(sessions())
def test_two_clients_folding_the_same_actions_at_the_same_now_see_the_same_timer(
    session: tuple[list[timedelta], list[Action], datetime],
) -> None:
    planned, actions, now = session
    one = fold(planned, list(actions), now, item_allowance=mins(2), scheduled_at=T0)
    two = fold(list(planned), tuple(actions), now, item_allowance=mins(2), scheduled_at=T0)
    assert one == two
    assert (one.remaining, one.projected_end, one.losing()) == (
        two.remaining,
        two.projected_end,
        two.losing(),
    )


@settings(max_examples=300, deadline=None)
@given(sessions())
def test_the_projection_and_the_loss_are_consistent(
    session: tuple[list[timedelta], list[Action], datetime],
) -> None:
    planned, actions, now = session
    timer = fold(planned, actions, now, scheduled_at=T0)
    assert timer.deadline == T0 + sum(planned, ZERO)
    assert timer.projected_end is not None
    if timer.running:
        assert timer.projected_end >= now
        lost = timer.losing()
        assert [i for i, _ in lost] == sorted(i for i, _ in lost)
        assert all(timer.current is not None and i > timer.current and d > ZERO for i, d in lost)
        assert sum((d for _, d in lost), ZERO) <= timer.late_by
        later = sum((max(s.remaining, ZERO) for s in timer.sections[(timer.current or 0) + 1 :]), ZERO)
        assert sum((d for _, d in lost), ZERO) == min(timer.late_by, later)
    else:
        assert timer.projected_end == timer.ended_at
