"""The work-mix and flow review, pure and through the store: a hand-computed period across a DST change,
cumulative flow from hand-written placements, the store's event log, properties over random boards."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from socdesk.domain import DEFAULT_COLUMNS, Card, CardDraft, FixedClock, InvalidInput, Snapshot, WorkType
from socdesk.domain.handshake import Agenda
from socdesk.domain.kpis import AgeingCard
from socdesk.domain.mix import (
    PERIOD_MAX_DAYS,
    FlowDay,
    MixReport,
    Placement,
    TypeFlow,
    WeekMix,
    _weeks,
    compute_mix,
    cumulative_flow,
    period_bounds,
    previous_period,
)
from socdesk.mix_review import review_mix
from socdesk.store import Store, open_store

AMS = ZoneInfo("Europe/Amsterdam")
BUS, OPS, ENG, UNP = WorkType.BUSINESS, WorkType.OPERATIONS, WorkType.ENGINEERING, WorkType.UNPLANNED
NAMES = tuple(c.name for c in DEFAULT_COLUMNS)  # Backlog, To Do, In Progress, Review, Done
HOUR = timedelta(hours=1)


def at(text: str) -> datetime:
    """A UTC moment. In Amsterdam: CEST (UTC+2) until 2026-10-25 01:00 UTC, CET (UTC+1) after."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def card(id: int, column: str, type: WorkType, created: str, **fields: Any) -> Card:
    created_at = at(created)
    moments = {k: at(v) if isinstance(v, str) else v for k, v in fields.items()}
    base: dict[str, Any] = {
        "id": id,
        "title": f"Card {id}",
        "type": type,
        "column": column,
        "position": id,
        "created_at": created_at,
        "updated_at": created_at,
        "column_since": created_at,
    }
    return Card(**{**base, **moments})


# ------------------------------------------------------------------------------ a known period
#
# The period: Wed 2026-10-21 .. Tue 2026-11-03 in Europe/Amsterdam, 14 local days. Clocks go back on
# Sun 2026-10-25 at 03:00 CEST -> 02:00 CET (01:00 UTC), so in UTC the period is
#     [2026-10-20 22:00, 2026-11-03 23:00)            (14 days and 1 hour)
# and its weeks (Monday-based, clipped) are
#     W1 Wed 10-21 .. Sun 10-25   [10-20 22:00, 10-25 23:00)
#     W2 Mon 10-26 .. Sun 11-01   [10-25 23:00, 11-01 23:00)
#     W3 Mon 11-02 .. Tue 11-03   [11-01 23:00, 11-03 23:00)
# The previous period: Wed 10-07 .. Tue 10-20, [10-06 22:00, 10-20 22:00) UTC (all CEST).

START, END = date(2026, 10, 21), date(2026, 11, 3)
NOW = at("2026-11-04 09:00")  # the morning after the period

BOARD = [
    # done in the period
    card(1, "Done", BUS, "2026-10-19 08:00", started_at="2026-10-21 08:00", done_at="2026-10-22 08:00"),
    #   created before the period; cycle 24 h, lead 72 h; done W1
    card(2, "Done", BUS, "2026-10-20 22:00", started_at="2026-10-26 09:00", done_at="2026-10-27 21:00"),
    #   created exactly at the start (00:00 CEST): in, W1; cycle 36 h, lead 7 d - 1 h = 167 h; done W2
    card(3, "Done", OPS, "2026-10-22 10:00", started_at="2026-10-23 10:00", done_at="2026-10-25 22:30"),
    #   done Sun 23:30 CET: W1 (a +2 offset after the change would put it in W2); cycle 60.5 h, lead 84.5 h
    card(4, "Done", OPS, "2026-10-24 12:00", started_at="2026-10-25 00:30", done_at="2026-10-25 02:30"),
    #   over the change: 02:30 CEST -> 03:30 CET reads 1 h on the wall but is 2 h; lead 14.5 h; W1
    card(5, "Done", OPS, "2026-10-27 09:00", started_at="2026-10-28 09:00", done_at="2026-11-03 22:30"),
    #   done 23:30 CET on the last day: in, W3; cycle 6 d 13.5 h = 157.5 h, lead 181.5 h; created W2
    card(6, "Done", ENG, "2026-10-21 09:00", started_at="2026-10-23 09:00", done_at="2026-10-30 09:00"),
    #   cycle 168 h, lead 216 h; created W1, done W2
    card(7, "Done", UNP, "2026-10-25 23:00", started_at="2026-10-25 23:30", done_at="2026-10-26 03:30"),
    #   created Mon 00:00 CET exactly (still Sunday in UTC): W2; cycle 4 h, lead 4.5 h
    card(8, "Done", UNP, "2026-10-20 21:30", done_at="2026-10-20 22:30"),
    #   created 23:30 CEST the day before: not created in the period; done 00:30 CEST 10-21: W1;
    #   never started: no cycle time, lead 1 h
    card(9, "Done", UNP, "2026-11-02 07:00", started_at="2026-11-02 07:30", done_at="2026-11-02 13:00"),
    #   cycle 5.5 h, lead 6 h; W3
    # created in the period, done after it: 00:00 CET 11-04 is the first moment after the period
    card(10, "Done", UNP, "2026-11-03 22:00", started_at="2026-11-03 22:10", done_at="2026-11-03 23:00"),
    # done in the previous period (2 of 3 unplanned)
    card(11, "Done", UNP, "2026-10-10 08:00", started_at="2026-10-12 08:00", done_at="2026-10-15 10:00"),
    card(12, "Done", UNP, "2026-10-08 08:00", started_at="2026-10-08 09:00", done_at="2026-10-09 10:00"),
    card(13, "Done", OPS, "2026-10-01 08:00", started_at="2026-10-02 08:00", done_at="2026-10-06 22:00"),
    #   exactly 00:00 CEST 10-07, the previous period's start: in
    card(18, "Done", UNP, "2026-10-01 08:00", started_at="2026-10-01 09:00", done_at="2026-10-06 21:59"),
    #   23:59 CEST 10-06: before the previous period
    # in flight
    card(14, "In Progress", ENG, "2026-10-22 08:00", started_at="2026-10-22 09:00",
         column_since="2026-10-29 09:00"),
    #   reopened from Done (its done_at cleared): not done; ageing 13.0 d since it started
    card(15, "Review", UNP, "2026-10-31 10:00", started_at="2026-10-31 11:00",
         column_since="2026-10-31 11:00"),
    #   3 d 22 h since it started: not ageing
    card(16, "In Progress", BUS, "2026-10-05 09:00", column_since="2026-10-26 21:00"),
    #   never started: ageing from its column, 8.5 d
    card(17, "Backlog", ENG, "2026-11-03 23:00"),  # created at the period's end (00:00 CET 11-04): out
]  # fmt: skip


def known() -> MixReport:
    return compute_mix(BOARD, [], DEFAULT_COLUMNS, START, END, tz=AMS, now=NOW)


def test_period_edges_follow_local_midnight_across_the_dst_change() -> None:
    lo, hi = period_bounds(START, END, AMS)
    assert lo == at("2026-10-20 22:00") and hi == at("2026-11-03 23:00")
    assert hi.astimezone(UTC) - lo.astimezone(UTC) == timedelta(days=14, hours=1)  # real, not wall, time
    assert previous_period(START, END) == (date(2026, 10, 7), date(2026, 10, 20))
    assert _weeks(START, END) == [
        (date(2026, 10, 21), date(2026, 10, 25)),
        (date(2026, 10, 26), date(2026, 11, 1)),
        (date(2026, 11, 2), date(2026, 11, 3)),
    ]


def test_known_period_gives_hand_computed_mix() -> None:
    r = known()
    assert (r.period_from, r.period_to, r.days, r.tz, r.at) == (START, END, 14, "Europe/Amsterdam", NOW)
    assert (r.previous_from, r.previous_to) == (date(2026, 10, 7), date(2026, 10, 20))
    # created in the period: 2 | 3 4 5 | 6 14 | 7 9 10 15  (1, 8, 16: before; 17: at the end)
    assert r.created == 10
    # done in the period: 1 2 | 3 4 5 | 6 | 7 8 9  (10: just after; 14: reopened; 11 12 13 18: before)
    assert r.done == 9
    assert r.types == (
        # BUS cycle (24, 36) -> 30; lead (72, 167) -> 119.5
        TypeFlow(type=BUS, created=1, done=2, created_share=0.1, done_share=2 / 9,
                 median_cycle_hours=30.0, median_lead_hours=119.5),
        # OPS cycle (2, 60.5, 157.5) -> 60.5; lead (14.5, 84.5, 181.5) -> 84.5
        TypeFlow(type=OPS, created=3, done=3, created_share=0.3, done_share=3 / 9,
                 median_cycle_hours=60.5, median_lead_hours=84.5),
        TypeFlow(type=ENG, created=2, done=1, created_share=0.2, done_share=1 / 9,
                 median_cycle_hours=168.0, median_lead_hours=216.0),
        # UNP cycle (4, 5.5) -> 4.75 (8 never started); lead (1, 4.5, 6) -> 4.5
        TypeFlow(type=UNP, created=4, done=3, created_share=0.4, done_share=3 / 9,
                 median_cycle_hours=4.75, median_lead_hours=4.5),
    )  # fmt: skip
    assert r.type(UNP).done == 3 and r.type(BUS).created == 1
    # all cycle times: 2 4 5.5 24 | 36 60.5 157.5 168 -> (24 + 36) / 2
    assert r.median_cycle_hours == 30.0
    # all lead times: 1 4.5 6 14.5 [72] 84.5 167 181.5 216
    assert r.median_lead_hours == 72.0
    assert r.throughput_per_week == 4.5  # 9 cards / (14 d / 7)
    # unplanned share: 3 of 9 now; 2 of 3 before (11, 12 of 11 12 13): -33.3 points
    assert r.unplanned_share == pytest.approx(1 / 3)
    assert r.previous_unplanned_share == pytest.approx(2 / 3)
    assert r.unplanned_change == pytest.approx(-100 / 3)


def test_known_period_weeks() -> None:
    r = known()
    zero = dict.fromkeys(WorkType, 0)
    assert r.weeks == (
        # created 2 3 4 6 14; done 1 3 4 8
        WeekMix(start=date(2026, 10, 21), end=date(2026, 10, 25),
                created={**zero, BUS: 1, OPS: 2, ENG: 2}, done={**zero, BUS: 1, OPS: 2, UNP: 1}),
        # created 5 7 15; done 2 6 7
        WeekMix(start=date(2026, 10, 26), end=date(2026, 11, 1),
                created={**zero, OPS: 1, UNP: 2}, done={**zero, BUS: 1, ENG: 1, UNP: 1}),
        # created 9 10; done 5 9
        WeekMix(start=date(2026, 11, 2), end=date(2026, 11, 3),
                created={**zero, UNP: 2}, done={**zero, OPS: 1, UNP: 1}),
    )  # fmt: skip
    assert [w.throughput for w in r.weeks] == [4, 3, 2]
    assert [w.unplanned_share for w in r.weeks] == [1 / 4, 1 / 3, 1 / 2]


def test_known_period_unplanned_cards_and_ageing() -> None:
    r = known()
    # unplanned cards that came in or were finished in the period, by creation: 8 (came the evening
    # before, done in the period), 7 (10-25 23:00), 15, 9, 10
    assert [(u.id, u.column, u.created_at, u.done_at) for u in r.unplanned] == [
        (8, "Done", at("2026-10-20 21:30"), at("2026-10-20 22:30")),
        (7, "Done", at("2026-10-25 23:00"), at("2026-10-26 03:30")),
        (15, "Review", at("2026-10-31 10:00"), None),
        (9, "Done", at("2026-11-02 07:00"), at("2026-11-02 13:00")),
        (10, "Done", at("2026-11-03 22:00"), at("2026-11-03 23:00")),
    ]
    assert r.ageing_days == 7
    assert r.ageing == (
        AgeingCard(id=14, title="Card 14", column="In Progress", type=ENG, days=13.0),  # 10-22 09:00 ->
        AgeingCard(id=16, title="Card 16", column="In Progress", type=BUS, days=8.5),  # 10-26 21:00 ->
    )
    assert [a.id for a in compute_mix(BOARD, [], DEFAULT_COLUMNS, START, END, tz=AMS, now=NOW,
                                      ageing_days=3).ageing] == [14, 16, 15]  # fmt: skip


def test_known_period_flow_counts_cards_without_placements_from_creation() -> None:
    r = known()
    assert r.columns == NAMES
    assert [f.day for f in r.flow] == [START + timedelta(days=n) for n in range(14)]
    flow = {f.day: f.counts for f in r.flow}
    # end of 10-21 = 10-21 22:00 UTC: 16 in progress; 1 2 6 8 11 12 13 18 done
    assert flow[date(2026, 10, 21)] == (0, 0, 1, 0, 8)
    # end of 10-25 = 10-25 23:00 UTC (CET): + 3 4 done, 14 in progress; 7 is created at the very cut
    assert flow[date(2026, 10, 25)] == (0, 0, 2, 0, 10)
    assert flow[date(2026, 10, 26)] == (0, 0, 2, 0, 11)
    # end of 11-03: every card but 17 (created 00:00 CET 11-04)
    assert flow[END] == (0, 0, 2, 1, 14)


def test_known_report_round_trips_through_json() -> None:
    r = known()
    data = json.loads(json.dumps(r.model_dump(mode="json")))
    assert data["at"] == "2026-11-04T09:00:00Z"
    assert data["flow"][-1] == {"day": "2026-11-03", "counts": [0, 0, 2, 1, 14]}
    assert MixReport.model_validate(data) == r


def test_review_moment_in_another_zone_is_stored_in_utc() -> None:
    local = compute_mix(BOARD, [], DEFAULT_COLUMNS, START, END, tz=AMS, now=NOW.astimezone(AMS))
    assert local.at == NOW and local.at.tzinfo == UTC
    assert local == known()


def test_nothing_in_the_period() -> None:
    r = compute_mix(BOARD, [], DEFAULT_COLUMNS, date(2026, 12, 1), date(2026, 12, 7), tz=AMS, now=NOW)
    assert (r.created, r.done) == (0, 0)
    assert all(t.created == t.done == 0 and t.created_share is t.done_share is None for t in r.types)
    assert r.median_cycle_hours is r.median_lead_hours is r.unplanned_share is None
    assert r.previous_unplanned_share is None  # 11-17 .. 11-30: nothing done either
    assert r.unplanned_change is None and r.throughput_per_week == 0.0
    assert r.unplanned == () and r.flow == ()  # the period lies after today
    # 12-01 is a Tuesday: Tue .. Sun, then Monday 12-07 alone
    assert [(w.start, w.end) for w in r.weeks] == [
        (date(2026, 12, 1), date(2026, 12, 6)),
        (date(2026, 12, 7), date(2026, 12, 7)),
    ]
    assert [w.unplanned_share for w in r.weeks] == [None, None]


def test_the_period_before_splits_at_its_local_midnight() -> None:
    # 10-07 .. 10-20: done 11 12 (UNP) and 13 (OPS, at 00:00 CEST 10-07); 8 is done 30 min after it.
    # 09-23 .. 10-06 before it: only 18 (UNP, 23:59 CEST 10-06): 100 %.
    r = compute_mix(BOARD, [], DEFAULT_COLUMNS, date(2026, 10, 7), date(2026, 10, 20), tz=AMS, now=NOW)
    assert r.done == 3 and r.unplanned_share == pytest.approx(2 / 3)
    assert (r.previous_from, r.previous_to) == (date(2026, 9, 23), date(2026, 10, 6))
    assert r.previous_unplanned_share == 1.0
    assert r.unplanned_change == pytest.approx(-100 / 3)


# ------------------------------------------------------------------------------ cumulative flow
#
# Days 10-24 .. 10-27 (Amsterdam). Each day's cut, in UTC:
#     10-24: 10-24 22:00 (CEST)   10-25: 10-25 23:00 (CET)   10-26: 10-26 23:00   10-27: now, 10:00

FLOW_NOW = at("2026-10-27 10:00")
NOW_CUT_BUG = (
    "BUG: today's flow is cut with `at < now`, so a card added or moved at exactly `now` is missing from "
    "the flow though the board (and the done count) already has it; today's cut should include now"
)
FLOW_CARDS = [
    card(1, "Done", OPS, "2026-10-23 10:00"),
    card(3, "In Progress", ENG, "2026-10-25 08:00"),  # imported: no placements
    card(4, "In Progress", BUS, "2026-10-27 09:00"),
    card(5, "In Progress", UNP, "2026-10-22 10:00"),
    card(6, "To Do", OPS, "2026-10-24 08:00"),
    card(7, "To Do", BUS, "2026-10-26 10:00"),
]  # card 2 was deleted
PLACEMENTS = [
    Placement(1, at("2026-10-23 10:00"), "Backlog"),
    Placement(5, at("2026-10-22 10:00"), "Backlog"),
    Placement(5, at("2026-10-23 10:00"), "Done"),
    Placement(1, at("2026-10-24 12:00"), "In Progress"),
    Placement(6, at("2026-10-24 08:00"), "To Do"),
    Placement(2, at("2026-10-24 22:30"), "To Do"),  # 00:30 CEST 10-25: counts from 10-25, not 10-24
    Placement(6, at("2026-10-25 08:00"), None),  # deleted ...
    Placement(5, at("2026-10-25 12:00"), "In Progress"),  # reopened
    Placement(2, at("2026-10-25 22:30"), "Review"),  # 23:30 CET 10-25: still 10-25
    Placement(1, at("2026-10-26 09:00"), "Done"),
    Placement(6, at("2026-10-26 08:00"), "To Do"),  # ... and restored (logged out of time order)
    Placement(7, at("2026-10-26 10:00"), "Backlog"),
    Placement(7, at("2026-10-26 10:00"), "To Do"),  # the same moment: the logged order holds
    Placement(2, at("2026-10-26 12:00"), None),  # deleted for good
    Placement(4, at("2026-10-27 09:00"), "Backlog"),  # today, before now
    Placement(4, at("2026-10-27 11:00"), "In Progress"),  # after now: not yet
]
#                 Backlog  To Do  In Progress  Review  Done
FLOW_EXPECTED = [
    (date(2026, 10, 24), (0, 1, 1, 0, 1)),  # 6 | 1 | 5
    (date(2026, 10, 25), (0, 0, 3, 1, 0)),  # 1 3 5 | 2; 6 deleted
    (date(2026, 10, 26), (0, 2, 2, 0, 1)),  # 6 7 | 3 5 | 1; 2 deleted
    (date(2026, 10, 27), (1, 2, 2, 0, 1)),  # + 4 in the Backlog (its move at 11:00 is after now)
]


def test_cumulative_flow_from_hand_written_placements() -> None:
    days = [d for d, _ in FLOW_EXPECTED]
    flow = cumulative_flow(FLOW_CARDS, PLACEMENTS, DEFAULT_COLUMNS, days, AMS, FLOW_NOW)
    assert flow == [FlowDay(day=d, counts=c) for d, c in FLOW_EXPECTED]


def test_cumulative_flow_follows_board_order_not_argument_order() -> None:
    shuffled = list(reversed(DEFAULT_COLUMNS))
    days = [d for d, _ in FLOW_EXPECTED]
    flow = cumulative_flow(FLOW_CARDS, PLACEMENTS, shuffled, days, AMS, FLOW_NOW)
    assert [f.counts for f in flow] == [c for _, c in FLOW_EXPECTED]


def test_flow_in_the_report_stops_today_and_cuts_today_at_now() -> None:
    r = compute_mix(
        FLOW_CARDS, PLACEMENTS, DEFAULT_COLUMNS, date(2026, 10, 24), date(2026, 10, 30), tz=AMS, now=FLOW_NOW
    )
    assert [(f.day, f.counts) for f in r.flow] == FLOW_EXPECTED  # 10-28 .. 10-30 are not produced
    assert r.days == 7  # but the period is still 7 days long
    later = compute_mix(
        FLOW_CARDS, PLACEMENTS, DEFAULT_COLUMNS, date(2026, 10, 24), date(2026, 10, 30), tz=AMS,
        now=at("2026-10-27 10:59:59"),
    )  # fmt: skip
    assert later.flow == r.flow  # the 11:00 move is still to come
    evening = compute_mix(
        FLOW_CARDS, PLACEMENTS, DEFAULT_COLUMNS, date(2026, 10, 24), date(2026, 10, 30), tz=AMS,
        now=at("2026-10-27 11:00:01"),
    )  # fmt: skip
    assert evening.flow[:-1] == r.flow[:-1]
    assert evening.flow[-1].counts == (0, 2, 3, 0, 1)  # 4 moved to In Progress


def test_a_move_at_exactly_now_is_in_todays_flow() -> None:
    r = compute_mix(
        FLOW_CARDS, PLACEMENTS, DEFAULT_COLUMNS, date(2026, 10, 24), date(2026, 10, 30), tz=AMS,
        now=at("2026-10-27 11:00"),
    )  # fmt: skip
    assert r.flow[-1].counts == (0, 2, 3, 0, 1)  # the board at 11:00 has 4 in progress


def test_flow_starts_from_history_before_the_period() -> None:
    days = [date(2026, 10, 26)]
    assert cumulative_flow(FLOW_CARDS, PLACEMENTS, DEFAULT_COLUMNS, days, AMS, FLOW_NOW) == [
        FlowDay(day=date(2026, 10, 26), counts=(0, 2, 2, 0, 1))
    ]


def test_flow_of_a_period_that_starts_after_today_is_empty() -> None:
    r = compute_mix(
        FLOW_CARDS, PLACEMENTS, DEFAULT_COLUMNS, date(2026, 10, 28), date(2026, 11, 3), tz=AMS, now=FLOW_NOW
    )
    assert r.flow == ()


# ------------------------------------------------------------------------------ through the store


def test_review_through_the_store_with_an_imported_card(store: Store, clock: FixedClock) -> None:
    clock.set(at("2026-10-22 12:00"))
    imported = card(1, "Done", UNP, "2026-10-20 10:00", started_at="2026-10-21 10:00",
                    done_at="2026-10-24 10:00", column_since="2026-10-24 10:00")  # fmt: skip
    store.import_snapshot(
        Snapshot(
            exported_at=clock.now(),
            columns=DEFAULT_COLUMNS,
            cards=(imported,),
            agenda=Agenda(tz="Europe/Amsterdam", ageing_days=3),
        )
    )
    clock.set(at("2026-10-23 08:00"))
    a = store.add_card(CardDraft(title="Patch the VPN", type=OPS))  # 2, Backlog
    e = store.add_card(CardDraft(title="Phishing playbook", type=BUS, column="In Progress"))  # 3
    b = store.add_card(CardDraft(title="Ransomware triage", type=UNP, column="In Progress"))  # 4
    clock.set(at("2026-10-24 08:00"))
    store.move_card(a.id, "In Progress")
    clock.set(at("2026-10-25 10:00"))  # after the change to CET
    store.move_card(b.id, "Done")
    clock.set(at("2026-10-26 08:00"))
    store.move_card(a.id, "Done")
    clock.advance(HOUR)
    c = store.add_card(CardDraft(title="SIEM parser", type=ENG))  # 5, Backlog
    clock.set(at("2026-10-26 12:00"))
    deleted = store.delete_card(c.id)
    clock.set(at("2026-10-27 08:00"))
    d = store.add_card(CardDraft(title="Sigma rule", type=ENG, column="To Do"))  # 6
    for column in ("In Progress", "Done", "Review"):  # done at 10:00, reopened at 11:00
        clock.advance(HOUR)
        store.move_card(d.id, column)
    clock.advance(HOUR / 2)
    store.restore_card(deleted)  # 11:30, back in the Backlog
    clock.advance(HOUR / 2)  # now: 10-27 12:00 UTC, 13:00 CET
    assert (a.id, e.id, b.id, c.id, d.id) == (2, 3, 4, 5, 6)  # after the imported card's id

    assert store.card_placements() == [
        Placement(2, at("2026-10-23 08:00"), "Backlog"),
        Placement(3, at("2026-10-23 08:00"), "In Progress"),
        Placement(4, at("2026-10-23 08:00"), "In Progress"),
        Placement(2, at("2026-10-24 08:00"), "In Progress"),
        Placement(4, at("2026-10-25 10:00"), "Done"),
        Placement(2, at("2026-10-26 08:00"), "Done"),
        Placement(5, at("2026-10-26 09:00"), "Backlog"),
        Placement(5, at("2026-10-26 12:00"), None),
        Placement(6, at("2026-10-27 08:00"), "To Do"),
        Placement(6, at("2026-10-27 09:00"), "In Progress"),
        Placement(6, at("2026-10-27 10:00"), "Done"),
        Placement(6, at("2026-10-27 11:00"), "Review"),
        Placement(5, at("2026-10-27 11:30"), "Backlog"),
    ]  # the imported card 1 has none

    r = review_mix(store, START, END)
    assert (r.tz, r.at, r.ageing_days) == ("Europe/Amsterdam", at("2026-10-27 12:00"), 3)
    # created: 2 (OPS), 3 (BUS), 4 (UNP), 5 and 6 (ENG); the imported 1 came before the period
    assert [(t.type, t.created) for t in r.types] == [(BUS, 1), (OPS, 1), (ENG, 2), (UNP, 1)]
    # done: 1 and 4 (UNP), 2 (OPS); 6 was reopened
    assert r.done == 3 and [t.done for t in r.types] == [0, 1, 0, 2]
    assert r.unplanned_share == pytest.approx(2 / 3) and r.previous_unplanned_share is None
    # cycle: 1 10-21 10:00 -> 10-24 10:00 = 72 h; 4 10-23 08:00 -> 10-25 10:00 = 50 h; 2 48 h
    # lead: 1 96 h; 4 50 h; 2 10-23 08:00 -> 10-26 08:00 = 72 h
    assert (r.type(UNP).median_cycle_hours, r.type(UNP).median_lead_hours) == (61.0, 73.0)
    assert (r.type(OPS).median_cycle_hours, r.type(OPS).median_lead_hours) == (48.0, 72.0)
    assert (r.median_cycle_hours, r.median_lead_hours) == (50.0, 72.0)
    assert [(u.id, u.column) for u in r.unplanned] == [(1, "Done"), (4, "Done")]  # 1: done in it
    # 3 in progress since 10-23 08:00: 4 d 4 h > 3 d; 6 in review since it started at 09:00: 3 h
    assert [(x.id, x.days) for x in r.ageing] == [(3, pytest.approx(4 + 4 / 24))]
    assert [(w.start, sum(w.created.values()), w.throughput) for w in r.weeks] == [
        (date(2026, 10, 21), 3, 2),  # created 2 3 4; done 1 4 (10-25 11:00 CET)
        (date(2026, 10, 26), 2, 1),  # created 5 6; done 2
        (date(2026, 11, 2), 0, 0),
    ]
    #                  Backlog To Do In Progress Review Done
    assert [(f.day, f.counts) for f in r.flow] == [
        (date(2026, 10, 21), (0, 0, 0, 0, 1)),  # 1, imported, counts from its creation
        (date(2026, 10, 22), (0, 0, 0, 0, 1)),
        (date(2026, 10, 23), (1, 0, 2, 0, 1)),
        (date(2026, 10, 24), (0, 0, 3, 0, 1)),
        (date(2026, 10, 25), (0, 0, 2, 0, 2)),
        (date(2026, 10, 26), (0, 0, 1, 0, 3)),  # 5 came and went
        (date(2026, 10, 27), (1, 0, 1, 1, 3)),  # at 12:00 UTC; 10-28 .. 11-03 are still to come
    ]
    board = Counter(x.column for x in store.list_cards())
    assert r.flow[-1].counts == tuple(board[n] for n in NAMES)


def test_review_uses_the_team_zone_for_its_days(store: Store, clock: FixedClock) -> None:
    clock.set(at("2026-10-20 23:00"))  # 10-20 in UTC, 01:00 CEST 10-21 in Amsterdam
    store.add_card(CardDraft(title="Late alert", type=UNP, column="In Progress"))
    clock.set(at("2026-10-22 09:00"))
    day = date(2026, 10, 21)
    assert review_mix(store, day, day).created == 0  # the default agenda's zone: UTC
    store.set_agenda(Agenda(tz="Europe/Amsterdam"))
    r = review_mix(store, day, day)
    assert r.tz == "Europe/Amsterdam" and r.created == 1 and [u.id for u in r.unplanned] == [1]
    assert review_mix(store, day, day, now=at("2026-10-21 12:00")).at == at("2026-10-21 12:00")


def test_a_card_done_at_the_review_moment_shows_in_todays_flow(store: Store, clock: FixedClock) -> None:
    store.add_card(CardDraft(title="Contain host", type=UNP, column="Done"))
    today = clock.now().date()
    r = review_mix(store, today, today)
    assert r.done == 1
    assert r.flow[-1].counts == (0, 0, 0, 0, 1)


# ------------------------------------------------------------------------------ errors


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        (START, START - timedelta(days=1), "the period ends (2026-10-20) before it starts (2026-10-21)"),
        (date(2026, 1, 1), date(2027, 1, 2), f"a period covers at most {PERIOD_MAX_DAYS} days"),  # 367
    ],
)
def test_bad_periods_raise_invalid_input(start: date, end: date, message: str) -> None:
    with pytest.raises(InvalidInput) as info:
        compute_mix([], [], DEFAULT_COLUMNS, start, end, tz=AMS, now=NOW)
    assert str(info.value) == message
    with pytest.raises(InvalidInput):
        period_bounds(start, end, AMS)


def test_longest_and_shortest_periods_are_accepted() -> None:
    longest = compute_mix([], [], DEFAULT_COLUMNS, date(2026, 1, 1), date(2027, 1, 1), tz=AMS, now=NOW)
    assert longest.days == PERIOD_MAX_DAYS == 366
    assert (longest.previous_from, longest.previous_to) == (date(2024, 12, 31), date(2025, 12, 31))
    one = compute_mix([], [], DEFAULT_COLUMNS, END, END, tz=AMS, now=NOW)
    assert one.days == 1 and one.throughput_per_week == 0.0 and len(one.flow) == 1


def test_naive_moment_and_negative_ageing_are_refused() -> None:
    with pytest.raises(InvalidInput, match="time zone"):
        compute_mix([], [], DEFAULT_COLUMNS, START, END, tz=AMS, now=NOW.replace(tzinfo=None))
    with pytest.raises(InvalidInput, match="must not be negative, got -1 days"):
        compute_mix([], [], DEFAULT_COLUMNS, START, END, tz=AMS, now=NOW, ageing_days=-1)


@pytest.mark.parametrize(
    ("start", "end", "weeks"),
    [
        (date(2026, 10, 26), date(2026, 10, 26), [(date(2026, 10, 26), date(2026, 10, 26))]),  # a Monday
        (date(2026, 10, 25), date(2026, 10, 26), [(date(2026, 10, 25),) * 2, (date(2026, 10, 26),) * 2]),
        (date(2026, 10, 26), date(2026, 11, 8), [(date(2026, 10, 26), date(2026, 11, 1)),
                                                 (date(2026, 11, 2), date(2026, 11, 8))]),
    ],
)  # fmt: skip
def test_weeks_are_monday_based_and_clipped(start: date, end: date, weeks: list[tuple[date, date]]) -> None:
    assert _weeks(start, end) == weeks


def test_previous_period_examples() -> None:
    assert previous_period(date(2026, 3, 1), date(2026, 3, 31)) == (date(2026, 1, 29), date(2026, 2, 28))
    assert previous_period(date(2026, 1, 1), date(2026, 1, 1)) == (date(2025, 12, 31), date(2025, 12, 31))


# ------------------------------------------------------------------------------ properties

ZONES = ("UTC", "Europe/Amsterdam", "America/New_York", "America/Santiago", "Australia/Lord_Howe")
EPOCH = date(2026, 8, 20)  # starts reach over the DST changes of Sep .. Nov in these zones
MINUTE = timedelta(minutes=1)


@st.composite
def boards(draw: st.DrawFn) -> dict[str, Any]:
    tz = ZoneInfo(draw(st.sampled_from(ZONES)))
    start = EPOCH + timedelta(days=draw(st.integers(0, 90)))
    end = start + timedelta(days=draw(st.integers(0, 40)))
    first = datetime.combine(start - timedelta(days=30), time(0), tzinfo=tz).astimezone(UTC)
    span = (end - start).days + 35

    def moment(after: datetime | None = None) -> datetime:
        """A minute anywhere around the period, or exactly a local midnight (the edges)."""
        if draw(st.booleans()):
            day = start + timedelta(days=draw(st.integers(-30, span - 30)))
            found = datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)
        else:
            found = first + draw(st.integers(0, span * 24 * 60)) * MINUTE
        return found if after is None or found >= after else after

    now = moment() + timedelta(seconds=30)  # never a placement's moment: see NOW_CUT_BUG
    cards: list[Card] = []
    placements: list[Placement] = []
    for i in range(1, draw(st.integers(0, 16)) + 1):
        created = moment()
        started = moment(created) if draw(st.booleans()) else None
        done = moment(started or created) if draw(st.booleans()) else None
        deleted = draw(st.integers(0, 5)) == 0
        column = draw(st.sampled_from((*NAMES, "Done", "Done")))  # done work is what is measured
        if not deleted:
            cards.append(
                Card(id=i, title=f"Card {i}", type=draw(st.sampled_from(list(WorkType))), column=column,
                     position=i, created_at=created, updated_at=created, column_since=created,
                     started_at=started, done_at=done)
            )  # fmt: skip
        if deleted or draw(st.integers(0, 3)):  # some live cards were imported without a history
            steps = draw(st.lists(st.sampled_from((*NAMES, None)), max_size=4))
            route = [draw(st.sampled_from(NAMES)), *steps, None if deleted else column]
            when = created
            for place in route:
                placements.append(Placement(i, when, place))
                when = moment(when)
    return {"tz": tz, "start": start, "end": end, "now": now, "cards": cards, "placements": placements}


def local_day(moment: datetime, tz: ZoneInfo) -> date:
    return moment.astimezone(tz).date()


@settings(max_examples=300, deadline=None)
@given(boards(), st.integers(0, 10))
def test_properties_of_random_boards(board: dict[str, Any], ageing: int) -> None:
    tz, start, end, now = board["tz"], board["start"], board["end"], board["now"]
    cards: list[Card] = board["cards"]
    placements: list[Placement] = board["placements"]
    r = compute_mix(cards, placements, DEFAULT_COLUMNS, start, end, tz=tz, now=now, ageing_days=ageing)

    # an independent reading of the definitions: local calendar days of the moments
    def within(moment: datetime | None, lo: date, hi: date) -> bool:
        return moment is not None and lo <= local_day(moment, tz) <= hi

    created = [c for c in cards if within(c.created_at, start, end)]
    done = [c for c in cards if c.column == "Done" and within(c.done_at, start, end)]
    before = [c for c in cards if c.column == "Done" and within(c.done_at, r.previous_from, r.previous_to)]
    assert (r.created, r.done) == (len(created), len(done))
    assert [t.type for t in r.types] == list(WorkType)
    assert sum(t.done for t in r.types) == r.done and sum(t.created for t in r.types) == r.created
    assert [t.done for t in r.types] == [sum(c.type is t for c in done) for t in WorkType]
    if r.done:
        assert sum(t.done_share or 0.0 for t in r.types) == pytest.approx(1.0)
        assert r.unplanned_share == r.type(UNP).done_share
    else:
        assert all(t.done_share is None for t in r.types) and r.unplanned_share is None
    if r.created:
        assert sum(t.created_share or 0.0 for t in r.types) == pytest.approx(1.0)
    unp_before = sum(c.type is UNP for c in before)
    assert r.previous_unplanned_share == (unp_before / len(before) if before else None)
    # per week of the period so far: up to today (local), at least one day, at most all of it
    today = board["now"].astimezone(board["tz"]).date()
    elapsed = min(max((min(board["end"], today) - board["start"]).days + 1, 1), r.days)
    assert r.throughput_per_week == pytest.approx(r.done * 7 / elapsed)

    # the previous period: as long, ending the day before
    assert r.previous_to == start - timedelta(days=1)
    assert r.previous_to - r.previous_from == end - start

    # weeks: Monday-based, clipped, covering the period once, adding up
    assert r.weeks[0].start == start and r.weeks[-1].end == end
    assert all(b.start == a.end + timedelta(days=1) for a, b in pairwise(r.weeks))
    assert all(w.start.weekday() == 0 for w in r.weeks[1:])  # Mondays
    assert all(w.end.weekday() == 6 for w in r.weeks[:-1])  # Sundays
    assert all(0 <= (w.end - w.start).days <= 6 for w in r.weeks)
    for t in WorkType:
        assert sum(w.done[t] for w in r.weeks) == r.type(t).done
        assert sum(w.created[t] for w in r.weeks) == r.type(t).created
    for w in r.weeks:
        assert w.throughput == sum(within(c.done_at, w.start, w.end) for c in done)

    # medians lie between the shortest and the longest span they summarise
    for t in [*WorkType, None]:
        mine = [c for c in done if t is None or c.type is t]
        cycles = [(c.done_at - c.started_at) / HOUR for c in mine if c.done_at and c.started_at]
        leads = [(c.done_at - c.created_at) / HOUR for c in mine if c.done_at]
        row = r if t is None else r.type(t)
        for spans, found in ((cycles, row.median_cycle_hours), (leads, row.median_lead_hours)):
            if spans:
                assert found is not None and min(spans) <= found <= max(spans)
            else:
                assert found is None

    # unplanned cards: those created or done in the period, by creation
    came_or_done = {c.id: c for c in [*created, *done]}.values()
    assert [u.id for u in r.unplanned] == [
        c.id for c in sorted(came_or_done, key=lambda c: (c.created_at, c.id)) if c.type is UNP
    ]

    # flow: one row a day from the start up to today, never beyond; each the cards placed at its cut
    today = local_day(now, tz)
    assert [f.day for f in r.flow] == [
        start + timedelta(days=n) for n in range((min(end, today) - start).days + 1)
    ]
    routes: dict[int, list[Placement]] = {}
    for p in placements:
        routes.setdefault(p.card_id, []).append(p)
    for c in cards:
        routes.setdefault(c.id, [Placement(c.id, c.created_at, c.column)])
    for f in r.flow:
        day_end = datetime.combine(f.day + timedelta(days=1), time(0), tzinfo=tz)
        where: Counter[str] = Counter()
        for route in routes.values():
            seen = [p.column for p in route if p.at < day_end and p.at <= now]
            if seen and seen[-1] is not None:
                where[seen[-1]] += 1
        assert sum(f.counts) == sum(where.values())
        assert f.counts == tuple(where[n] for n in NAMES)

    # storable
    assert MixReport.model_validate(json.loads(json.dumps(r.model_dump(mode="json")))) == r


def test_a_fresh_store_reviews_as_empty(tmp_path: Path) -> None:
    # no placements at all, the default zone (UTC) and ageing threshold (7 d)
    clock = FixedClock(at("2026-10-22 09:00"))
    s = open_store(tmp_path / "empty.db", actor="bob", clock=clock, create=True)
    try:
        assert s.card_placements() == []
        r = review_mix(s, START, END)
        assert (r.tz, r.created, r.done, r.ageing_days) == ("UTC", 0, 0, 7)
        assert [f.counts for f in r.flow] == [(0, 0, 0, 0, 0), (0, 0, 0, 0, 0)]
    finally:
        s.close()
