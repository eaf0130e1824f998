"""The kick-off KPIs, pure: a hand-computed board, the window's edges, and properties over random boards."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from itertools import pairwise
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from socdesk.domain import DEFAULT_COLUMNS, Card, Column, InvalidInput, Stage, WorkType
from socdesk.domain.kpis import AgeingCard, ColumnLoad, Kpis, TypeCount, compute_kpis, kpi_lines

NOW = datetime(2026, 3, 9, 9, 0, tzinfo=UTC)  # the window is (2026-03-02 09:00, 2026-03-09 09:00]
BUS, OPS, ENG, UNP = WorkType.BUSINESS, WorkType.OPERATIONS, WorkType.ENGINEERING, WorkType.UNPLANNED


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def card(id: int, column: str, type: WorkType = BUS, **fields: Any) -> Card:
    created = fields.pop("created_at", at("2026-02-01 09:00"))
    base: dict[str, Any] = {
        "id": id,
        "title": f"Card {id}",
        "type": type,
        "column": column,
        "position": 0,
        "created_at": created,
        "updated_at": created,
        "column_since": created,
    }
    return Card(**{**base, **fields})


# ------------------------------------------------------------------------------ a known board

BOARD = [
    # queue columns: never ageing, never done
    card(1, "Backlog", BUS, created_at=at("2026-03-01 09:00")),
    card(2, "Backlog", OPS, created_at=at("2026-03-05 09:00")),
    card(3, "To Do", ENG, created_at=at("2026-03-08 09:00")),
    # In Progress, 4/4: at its limit
    card(4, "In Progress", ENG, created_at=at("2026-02-20 09:00"), started_at=at("2026-02-25 21:00"),
         column_since=at("2026-03-01 09:00")),  # 11.5 d since started, though only 8 d in the column
    card(5, "In Progress", UNP, created_at=at("2026-03-06 09:00"), started_at=at("2026-03-06 09:00")),
    card(16, "In Progress", OPS, started_at=at("2026-03-08 21:00")),
    card(17, "In Progress", BUS, started_at=at("2026-03-09 08:00")),
    # Review, 4/3: over its limit
    card(6, "Review", BUS, created_at=at("2026-02-10 09:00"), started_at=at("2026-02-27 09:00"),
         column_since=at("2026-03-07 09:00")),  # 10.0 d
    card(7, "Review", OPS, created_at=at("2026-02-15 09:00"), column_since=at("2026-03-01 21:00")),  # 7.5 d
    card(8, "Review", ENG, created_at=at("2026-02-25 09:00"), started_at=at("2026-03-02 09:00")),  # 7.0 d: no
    card(14, "Review", UNP, created_at=at("2026-03-07 09:00"), started_at=at("2026-03-08 09:00"),
         done_at=at("2026-03-08 21:00")),  # a stale done_at outside a done column does not count
    # Done
    card(9, "Done", BUS, created_at=at("2026-02-28 09:00"), started_at=at("2026-03-03 09:00"),
         done_at=at("2026-03-04 09:00")),  # cycle 24 h, lead 96 h
    card(10, "Done", OPS, created_at=at("2026-03-02 09:00"), started_at=at("2026-03-05 09:00"),
         done_at=at("2026-03-08 21:00")),  # cycle 84 h, lead 156 h
    card(11, "Done", UNP, created_at=at("2026-03-09 03:00"), done_at=NOW),  # no cycle time, lead 6 h
    card(15, "Done", UNP, created_at=at("2026-03-03 09:00"), started_at=at("2026-03-03 10:00"),
         done_at=at("2026-03-07 10:00")),  # cycle 96 h, lead 97 h
    card(12, "Done", ENG, created_at=at("2026-02-25 09:00"), started_at=at("2026-02-26 09:00"),
         done_at=at("2026-03-02 09:00")),  # exactly at the window's start: out
    card(13, "Done", OPS, created_at=at("2026-02-10 09:00"), started_at=at("2026-02-11 09:00"),
         done_at=at("2026-02-20 09:00")),
]  # fmt: skip


def test_known_board_gives_hand_computed_kpis() -> None:
    k = compute_kpis(BOARD, DEFAULT_COLUMNS, NOW)
    assert k.at == NOW
    assert (k.window_days, k.ageing_days) == (7, 7)
    assert k.wip == (
        ColumnLoad(column="Backlog", count=2, limit=None, state="none"),
        ColumnLoad(column="To Do", count=1, limit=8, state="ok"),
        ColumnLoad(column="In Progress", count=4, limit=4, state="at"),
        ColumnLoad(column="Review", count=4, limit=3, state="over"),
        ColumnLoad(column="Done", count=6, limit=None, state="none"),
    )
    assert k.throughput == 4  # cards 9, 10, 11, 15
    assert k.median_cycle_hours == 84.0  # of 24, 84, 96
    assert k.median_lead_hours == 96.5  # of 6, 96, 97, 156
    assert k.ageing == (
        AgeingCard(id=4, title="Card 4", column="In Progress", type=ENG, days=11.5),
        AgeingCard(id=6, title="Card 6", column="Review", type=BUS, days=10.0),
        AgeingCard(id=7, title="Card 7", column="Review", type=OPS, days=7.5),
    )
    assert k.mix == (
        TypeCount(type=BUS, created=0, done=1, share=0.25),
        TypeCount(type=OPS, created=1, done=1, share=0.25),
        TypeCount(type=ENG, created=1, done=0, share=0.0),
        TypeCount(type=UNP, created=4, done=2, share=0.5),
    )
    assert k.unplanned_share == 0.5


def test_known_board_renders_as_lines() -> None:
    assert kpi_lines(compute_kpis(BOARD, DEFAULT_COLUMNS, NOW)) == [
        "WIP: To Do 1/8 · In Progress 4/4 (at limit) · Review 4/3 (over)",
        "Throughput (7 d): 4 cards",
        "Median cycle time: 3.5 d",
        "Median lead time: 4.0 d",
        "Ageing (> 7 d): 3 cards: #4 Card 4 (11.5 d), #6 Card 6 (10.0 d), #7 Card 7 (7.5 d)",
        "Work mix (done, 7 d): business 1 (25%) · operations 1 (25%) · engineering 0 (0%) · "
        "unplanned 2 (50%)",
        "Work created (7 d): business 0 · operations 1 · engineering 1 · unplanned 4",
        "Unplanned share: 50%",
    ]


def test_window_and_ageing_threshold_are_parameters() -> None:
    k = compute_kpis(BOARD, DEFAULT_COLUMNS, NOW, window_days=2, ageing_days=10)
    assert k.throughput == 3  # 10 (done 12 h ago), 11 (done now), 15 (done 47 h ago)
    assert k.median_cycle_hours == 90.0  # of 84, 96: 11 has no start
    assert k.median_lead_hours == 97.0  # of 6, 97, 156
    assert [a.id for a in k.ageing] == [4]  # 10.0 d is not more than 10
    # created: 3 and 11; 14 was created exactly at the window's start
    assert [(m.created, m.done) for m in k.mix] == [(0, 0), (0, 1), (1, 0), (1, 2)]
    assert k.unplanned_share == 2 / 3
    lines = kpi_lines(k)
    assert lines[1] == "Throughput (2 d): 3 cards"
    assert lines[5] == (
        "Work mix (done, 2 d): business 0 (0%) · operations 1 (33%) · engineering 0 (0%) · unplanned 2 (67%)"
    )
    assert lines[4] == "Ageing (> 10 d): 1 card: #4 Card 4 (11.5 d)"


# ------------------------------------------------------------------------------ edges


def test_empty_board() -> None:
    k = compute_kpis([], DEFAULT_COLUMNS, NOW)
    assert [(w.column, w.count) for w in k.wip] == [(c.name, 0) for c in DEFAULT_COLUMNS]
    assert [w.state for w in k.wip] == ["none", "ok", "ok", "ok", "none"]
    assert k.throughput == 0
    assert k.median_cycle_hours is None and k.median_lead_hours is None
    assert k.ageing == ()
    assert k.mix == tuple(TypeCount(type=t, created=0, done=0, share=None) for t in WorkType)
    assert k.unplanned_share is None
    assert kpi_lines(k) == [
        "WIP: To Do 0/8 · In Progress 0/4 · Review 0/3",
        "Throughput (7 d): 0 cards",
        "Median cycle time: —",
        "Median lead time: —",
        "Ageing (> 7 d): none",
        "Work mix (done, 7 d): nothing done",
        "Work created (7 d): business 0 · operations 0 · engineering 0 · unplanned 0",
        "Unplanned share: —",
    ]


def test_no_columns_and_no_limits() -> None:
    assert compute_kpis([], [], NOW).wip == ()
    assert kpi_lines(compute_kpis([], [], NOW))[0] == "WIP: no limits set"


def test_nothing_done_but_work_in_flight() -> None:
    cards = [
        card(1, "In Progress", UNP, created_at=NOW - timedelta(days=1), started_at=NOW - timedelta(hours=6))
    ]
    k = compute_kpis(cards, DEFAULT_COLUMNS, NOW)
    assert k.throughput == 0
    assert k.median_cycle_hours is None and k.median_lead_hours is None
    assert [m.created for m in k.mix] == [0, 0, 0, 1]
    assert all(m.done == 0 and m.share is None for m in k.mix)
    assert k.unplanned_share is None


def test_done_without_start_counts_for_throughput_but_not_cycle_time() -> None:
    cards = [card(1, "Done", OPS, created_at=NOW - timedelta(hours=12), done_at=NOW - timedelta(hours=1))]
    k = compute_kpis(cards, DEFAULT_COLUMNS, NOW)
    assert k.throughput == 1
    assert k.median_cycle_hours is None
    assert k.median_lead_hours == 11.0
    assert k.mix[1] == TypeCount(type=OPS, created=1, done=1, share=1.0)
    assert k.unplanned_share == 0.0
    lines = kpi_lines(k)
    assert lines[1:4] == ["Throughput (7 d): 1 card", "Median cycle time: —", "Median lead time: 11.0 h"]


@pytest.mark.parametrize(
    ("done_at", "counted"),
    [
        (NOW - timedelta(days=7), False),
        (NOW - timedelta(days=7) + timedelta(microseconds=1), True),
        (NOW - timedelta(days=3), True),
        (NOW, True),
        (NOW + timedelta(microseconds=1), False),
    ],
)
def test_window_is_open_at_its_start_and_closed_at_now(done_at: datetime, counted: bool) -> None:
    cards = [card(1, "Done", ENG, created_at=done_at, started_at=done_at, done_at=done_at)]
    k = compute_kpis(cards, DEFAULT_COLUMNS, NOW)
    assert k.throughput == int(counted)
    assert k.mix[2].done == int(counted)
    assert k.mix[2].created == int(counted)  # the same rule for created_at
    assert k.median_cycle_hours == (0.0 if counted else None)


def test_done_at_outside_a_done_column_and_done_column_without_done_at_do_not_count() -> None:
    cards = [
        card(1, "Review", BUS, started_at=NOW - timedelta(days=2), done_at=NOW - timedelta(days=1)),
        card(2, "Done", BUS, started_at=NOW - timedelta(days=2)),
        card(3, "Nowhere", BUS, started_at=NOW - timedelta(days=9), done_at=NOW - timedelta(days=1)),
    ]
    k = compute_kpis(cards, DEFAULT_COLUMNS, NOW)
    assert k.throughput == 0
    assert k.ageing == ()  # card 3's column is unknown: neither active nor done
    assert sum(w.count for w in k.wip) == 2  # nor counted in any column's load


def test_ageing_falls_back_to_column_since_and_breaks_ties_by_id() -> None:
    cards = [
        card(5, "In Progress", column_since=NOW - timedelta(days=8)),
        card(3, "Review", started_at=NOW - timedelta(days=8), column_since=NOW - timedelta(days=1)),
        card(4, "In Progress", started_at=NOW - timedelta(days=9), column_since=NOW - timedelta(days=30)),
    ]
    k = compute_kpis(cards, DEFAULT_COLUMNS, NOW)
    assert [(a.id, a.days) for a in k.ageing] == [(4, 9.0), (3, 8.0), (5, 8.0)]


def test_ageing_threshold_zero_lists_every_active_card_with_any_age() -> None:
    cards = [
        card(1, "In Progress", started_at=NOW - timedelta(minutes=1)),
        card(2, "In Progress", started_at=NOW),
        card(3, "Backlog", column_since=NOW - timedelta(days=99)),
    ]
    k = compute_kpis(cards, DEFAULT_COLUMNS, NOW, ageing_days=0)
    assert [a.id for a in k.ageing] == [1]
    assert k.ageing[0].days == pytest.approx(1 / (24 * 60))


def test_wip_follows_board_order_and_custom_stages() -> None:
    columns = [
        Column(name="Shipped", position=9, stage=Stage.DONE, wip_limit=1),
        Column(name="Triage", position=0, stage=Stage.QUEUE, wip_limit=2),
        Column(name="Hunting", position=3, stage=Stage.ACTIVE, wip_limit=1),
    ]
    cards = [
        card(1, "Triage"),
        card(2, "Hunting", started_at=NOW - timedelta(days=8)),
        card(3, "Hunting", started_at=NOW),
        card(4, "Shipped", UNP, started_at=NOW - timedelta(hours=30), done_at=NOW - timedelta(hours=1)),
    ]
    k = compute_kpis(cards, columns, NOW)
    assert [(w.column, w.count, w.limit, w.state) for w in k.wip] == [
        ("Triage", 1, 2, "ok"),
        ("Hunting", 2, 1, "over"),
        ("Shipped", 1, 1, "at"),
    ]
    assert [a.id for a in k.ageing] == [2]
    assert (k.throughput, k.median_cycle_hours, k.unplanned_share) == (1, 29.0, 1.0)
    assert kpi_lines(k)[0] == "WIP: Triage 1/2 · Hunting 2/1 (over) · Shipped 1/1 (at limit)"


def test_moment_in_another_zone_is_stored_in_utc() -> None:
    local = NOW.astimezone(timezone(timedelta(hours=-5)))
    k = compute_kpis(BOARD, DEFAULT_COLUMNS, local)
    assert k.at == NOW and k.at.tzinfo == UTC
    assert k == compute_kpis(BOARD, DEFAULT_COLUMNS, NOW)


@pytest.mark.parametrize(
    ("hours", "text"),
    [
        (None, "—"),
        (0.0, "0.0 h"),
        (12.0, "12.0 h"),
        (47.94, "47.9 h"),
        (48.0, "2.0 d"),
        (36 * 24.0, "36.0 d"),
    ],
)
def test_durations_show_hours_under_two_days_else_days(hours: float | None, text: str) -> None:
    k = compute_kpis([], DEFAULT_COLUMNS, NOW).model_copy(update={"median_cycle_hours": hours})
    assert kpi_lines(k)[2] == f"Median cycle time: {text}"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"window_days": 0}, "the KPI window is at least 1 day, got 0"),
        ({"window_days": -7}, "the KPI window is at least 1 day, got -7"),
        ({"ageing_days": -1}, "the ageing threshold must not be negative, got -1 days"),
    ],
)
def test_bad_parameters_raise_invalid_input(kwargs: dict[str, int], message: str) -> None:
    with pytest.raises(InvalidInput) as info:
        compute_kpis([], DEFAULT_COLUMNS, NOW, **kwargs)
    assert str(info.value) == message


def test_naive_moment_is_refused() -> None:
    with pytest.raises(InvalidInput, match="time zone"):
        compute_kpis([], DEFAULT_COLUMNS, NOW.replace(tzinfo=None))


def test_known_result_round_trips_through_json() -> None:
    k = compute_kpis(BOARD, DEFAULT_COLUMNS, NOW)
    data = json.loads(json.dumps(k.model_dump(mode="json")))
    assert data["at"] == "2026-03-09T09:00:00Z"
    assert data["wip"][3] == {"column": "Review", "count": 4, "limit": 3, "state": "over"}
    assert data["mix"][3] == {"type": "unplanned", "created": 4, "done": 2, "share": 0.5}
    assert Kpis.model_validate(data) == k


# ------------------------------------------------------------------------------ properties

HOURS = 24 * 20


@st.composite
def boards(draw: st.DrawFn) -> tuple[list[Column], list[Card]]:
    """A handful of columns of random stages and limits, and cards with random moments around NOW."""
    specs = draw(
        st.lists(
            st.tuples(st.sampled_from(list(Stage)), st.none() | st.integers(1, 4)), min_size=1, max_size=5
        )
    )
    order = draw(st.permutations(range(len(specs))))
    columns = [
        Column(name=f"C{i}", position=p, stage=stage, wip_limit=limit)
        for i, ((stage, limit), p) in enumerate(zip(specs, order, strict=True))
    ]
    moment = st.integers(-HOURS, 2).map(lambda h: NOW + timedelta(hours=h))
    cards = []
    for i in range(draw(st.integers(0, 20))):
        created = draw(moment)
        cards.append(
            card(
                i + 1,
                draw(st.sampled_from(columns)).name,
                draw(st.sampled_from(list(WorkType))),
                created_at=created,
                column_since=draw(moment),
                started_at=draw(st.none() | moment),
                done_at=draw(st.none() | moment),
            )
        )
    return columns, cards


@settings(max_examples=200, deadline=None)
@given(boards(), st.integers(1, 10), st.integers(0, 10))
def test_properties_of_random_boards(
    board: tuple[list[Column], list[Card]], window: int, ageing: int
) -> None:
    columns, cards = board
    k = compute_kpis(cards, columns, NOW, window_days=window, ageing_days=ageing)
    stage = {c.name: c.stage for c in columns}

    # WIP: every column once, in board order, counting every card
    assert [w.column for w in k.wip] == [c.name for c in sorted(columns, key=lambda c: c.position)]
    assert sum(w.count for w in k.wip) == len(cards)
    for w in k.wip:
        if w.limit is None:
            assert w.state == "none"
        else:
            assert w.state == ("ok" if w.count < w.limit else "at" if w.count == w.limit else "over")

    # throughput, mix and shares agree
    start = NOW - timedelta(days=window)
    done = [c for c in cards if stage[c.column] is Stage.DONE and c.done_at and start < c.done_at <= NOW]
    assert k.throughput == len(done) == sum(m.done for m in k.mix)
    assert [m.type for m in k.mix] == list(WorkType)
    if k.throughput:
        assert abs(sum(m.share or 0.0 for m in k.mix) - 1.0) < 1e-9
        assert all(m.share is not None and 0.0 <= m.share <= 1.0 for m in k.mix)
        assert k.unplanned_share == k.mix[3].share
    else:
        assert all(m.share is None for m in k.mix) and k.unplanned_share is None
    assert sum(m.created for m in k.mix) <= len(cards)

    # medians lie among the spans they summarise
    cycles = [(c.done_at - c.started_at) / timedelta(hours=1) for c in done if c.done_at and c.started_at]
    if cycles:
        assert k.median_cycle_hours is not None and min(cycles) <= k.median_cycle_hours <= max(cycles)
    else:
        assert k.median_cycle_hours is None
    assert (k.median_lead_hours is None) == (not done)

    # ageing: exactly the active cards older than the threshold, oldest first
    assert all(stage[a.column] is Stage.ACTIVE and a.days > ageing for a in k.ageing)
    assert all(a.days >= b.days for a, b in pairwise(k.ageing))
    active = [c for c in cards if stage[c.column] is Stage.ACTIVE]
    old = {c.id for c in active if NOW - (c.started_at or c.column_since) > timedelta(days=ageing)}
    assert {a.id for a in k.ageing} == old

    # storable and renderable
    assert Kpis.model_validate(json.loads(json.dumps(k.model_dump(mode="json")))) == k
    lines = kpi_lines(k)
    assert len(lines) == 8 and all(isinstance(line, str) and line for line in lines)
