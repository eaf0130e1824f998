"""The work-mix report in its three forms, on a small board built by hand with every figure known.

The board (UTC, period Mon 2026-02-02 to Sun 2026-02-15, previous period 2026-01-19 to 2026-02-01):

====  ===========  ==================  ==================  ==================  ===========
card  type         created             started             done                now in
====  ===========  ==================  ==================  ==================  ===========
1     business     02-02 10:00         02-03 10:00         02-04 10:00         Done
2     unplanned    02-03 08:00         02-03 09:00         02-03 13:00         Done
3     unplanned    02-10 08:00         02-10 10:00         02-11 10:00         Done
4     engineering  02-05 09:00         02-06 12:00         -                   In Progress
5     operations   01-20 09:00         01-21 09:00         01-22 09:00         Done
6     unplanned    01-25 09:00         01-25 10:00         01-26 09:00         Done
7     engineering  01-26 09:00         02-11 10:00         02-12 10:00         Done
8     operations   02-12 09:00         -                   -                   Backlog
9     business     01-27 09:00         01-27 10:00         01-28 09:00         Done
====  ===========  ==================  ==================  ==================  ===========

Created in the period: 1, 2, 3, 4, 8 (B 1, O 1, E 1, U 2 of 5). Done in it: 1, 2, 3, 7 (B 1, E 1, U 2 of 4).
Done in the previous period: 5, 6, 9 (one unplanned of three). Cycle hours of the done: 24, 4, 24, 24;
lead hours: 48, 5, 26, 409. Cards 1, 4 and 7 have recorded placements; the others count in their
current column from their creation.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from socdesk.domain.mix import MixReport, Placement, compute_mix
from socdesk.domain.models import DEFAULT_COLUMNS, Card, WorkType
from socdesk.mix_report import (
    hours,
    mix_json,
    mix_markdown,
    mix_markdown_table,
    mix_summary_json,
    mix_table,
    number,
    percent,
    points,
)

NOW = datetime(2026, 2, 16, 12, 0, tzinfo=UTC)
START, END = date(2026, 2, 2), date(2026, 2, 15)
UTC_ZONE = ZoneInfo("UTC")


def at(month: int, day: int, hour: int) -> datetime:
    return datetime(2026, month, day, hour, 0, tzinfo=UTC)


def card(
    id_: int,
    work_type: WorkType,
    column: str,
    created: datetime,
    started: datetime | None = None,
    done: datetime | None = None,
    title: str | None = None,
) -> Card:
    last = done or started or created
    return Card(
        id=id_,
        title=title or f"Card {id_}",
        type=work_type,
        column=column,
        position=id_,
        created_at=created,
        updated_at=last,
        column_since=last,
        started_at=started,
        done_at=done,
    )


CARDS = [
    card(1, WorkType.BUSINESS, "Done", at(2, 2, 10), at(2, 3, 10), at(2, 4, 10), "Onboard | the new SIEM"),
    card(2, WorkType.UNPLANNED, "Done", at(2, 3, 8), at(2, 3, 9), at(2, 3, 13), "VPN outage"),
    card(3, WorkType.UNPLANNED, "Done", at(2, 10, 8), at(2, 10, 10), at(2, 11, 10), "Phishing wave"),
    card(4, WorkType.ENGINEERING, "In Progress", at(2, 5, 9), at(2, 6, 12), None, "EDR rule tuning"),
    card(5, WorkType.OPERATIONS, "Done", at(1, 20, 9), at(1, 21, 9), at(1, 22, 9)),
    card(6, WorkType.UNPLANNED, "Done", at(1, 25, 9), at(1, 25, 10), at(1, 26, 9)),
    card(7, WorkType.ENGINEERING, "Done", at(1, 26, 9), at(2, 11, 10), at(2, 12, 10), "Sigma rules in CI"),
    card(8, WorkType.OPERATIONS, "Backlog", at(2, 12, 9)),
    card(9, WorkType.BUSINESS, "Done", at(1, 27, 9), at(1, 27, 10), at(1, 28, 9)),
]
PLACEMENTS = [
    Placement(1, at(2, 2, 10), "Backlog"),
    Placement(1, at(2, 3, 10), "In Progress"),
    Placement(1, at(2, 4, 10), "Done"),
    Placement(4, at(2, 5, 9), "Backlog"),
    Placement(4, at(2, 6, 12), "In Progress"),
    Placement(7, at(1, 26, 9), "Backlog"),
    Placement(7, at(2, 11, 10), "In Progress"),
    Placement(7, at(2, 12, 10), "Done"),
]


@pytest.fixture
def report() -> MixReport:
    return compute_mix(CARDS, PLACEMENTS, DEFAULT_COLUMNS, START, END, tz=UTC_ZONE, now=NOW)


def cells(line: str) -> list[str]:
    """A plain-table line split on its column gaps (two spaces or more)."""
    return re.split(r"\s{2,}", line.strip())


def block(text: str, title: str) -> list[str]:
    """The lines of one plain-text section, from its title to the next blank line."""
    lines = text.splitlines()
    first = lines.index(f"{title}:")
    end = next((i for i in range(first, len(lines)) if not lines[i]), len(lines))
    return lines[first + 1 : end]


# ---------------------------------------------------------------------------------------- numbers


@pytest.mark.parametrize(
    ("value", "text"),
    [(12.0, "12"), (33.333, "33.3"), (0.04, "0"), (-0.04, "0"), (99.96, "100"), (2.25, "2.2")],
)
def test_number_has_at_most_one_decimal(value: float, text: str) -> None:
    assert number(value) == text


def test_percent_points_and_hours() -> None:
    assert percent(0.4) == "40%"
    assert percent(1 / 3) == "33.3%"
    assert percent(None) == "-"
    assert points((0.40 - 0.28) * 100) == "+12 pts"  # 12.000000000000002 is 12
    assert points(-4.5) == "-4.5 pts"
    assert points(0.01) == "0 pts"
    assert points(None) == "-"
    assert hours(15.5) == "15.5 h"
    assert hours(None) == "-"


# ---------------------------------------------------------------------------------------- the table


def test_the_table_shows_every_figure_of_the_period(report: MixReport) -> None:
    text = mix_table(report)
    lines = text.splitlines()
    assert lines[:4] == [
        "Work mix 2026-02-02 to 2026-02-15",
        "14 days in UTC; previous period 2026-01-19 to 2026-02-01; as of 2026-02-16 12:00 UTC.",
        "Unplanned: 50% of the work done (33.3% in the previous period), +16.7 pts.",
        "Throughput: 4 cards done in 14 days, 2 a week; 5 created.",
    ]
    types = block(text, "By type")
    assert [cells(line) for line in types[1:]] == [
        ["TYPE", "CREATED", "DONE", "SHARE OF DONE", "SHARE OF CREATED", "MEDIAN CYCLE", "MEDIAN LEAD"],
        ["business", "1", "1", "25%", "20%", "24 h", "48 h"],
        ["operations", "1", "0", "0%", "20%", "-", "-"],
        ["engineering", "1", "1", "25%", "20%", "24 h", "409 h"],
        ["unplanned", "2", "2", "50%", "40%", "14 h", "15.5 h"],
        ["total", "5", "4", "100%", "100%", "24 h", "37 h"],
    ]
    # Numbers are aligned to the right under their heading.
    assert types[2].index("1") + 1 == types[1].index("CREATED") + len("CREATED")


NEW = ["NEW B", "NEW O", "NEW E", "NEW U"]
DONE = ["DONE B", "DONE O", "DONE E", "DONE U"]


def test_the_table_shows_the_weekly_trend(report: MixReport) -> None:
    weeks = block(mix_table(report), "Weekly trend")
    assert [cells(line) for line in weeks[1:]] == [
        ["WEEK OF", "DAYS", *NEW, *DONE, "THROUGHPUT", "UNPLANNED"],
        ["2026-02-02", "7", "1", "0", "1", "1", "1", "0", "0", "1", "2", "50%"],
        ["2026-02-09", "7", "0", "1", "0", "1", "0", "0", "1", "1", "2", "50%"],
    ]


def test_the_table_lists_unplanned_cards_ageing_wip_and_the_flow(report: MixReport) -> None:
    text = mix_table(report)
    assert [cells(line) for line in block(text, "Unplanned work")[1:]] == [
        ["ID", "CREATED", "COLUMN", "DONE", "TITLE"],
        ["2", "2026-02-03 08:00", "Done", "2026-02-03 13:00", "VPN outage"],
        ["3", "2026-02-10 08:00", "Done", "2026-02-11 10:00", "Phishing wave"],
    ]
    assert [cells(line) for line in block(text, "Ageing work in progress")] == [
        ["In an active column more than 7 days since started, as of now."],
        ["ID", "TYPE", "COLUMN", "DAYS", "TITLE"],
        ["4", "engineering", "In Progress", "10", "EDR rule tuning"],
    ]
    assert [cells(line) for line in block(text, "Cumulative flow")[1:]] == [
        ["DAY", "BACKLOG", "TO DO", "IN PROGRESS", "REVIEW", "DONE"],
        ["2026-02-02", "2", "0", "0", "0", "3"],
        ["2026-02-08", "1", "0", "1", "0", "5"],
        ["2026-02-15", "1", "0", "1", "0", "7"],
    ]


def test_times_are_shown_in_the_report_zone() -> None:
    berlin = compute_mix(
        CARDS, PLACEMENTS, DEFAULT_COLUMNS, START, END, tz=ZoneInfo("Europe/Berlin"), now=NOW
    )
    rows = block(mix_table(berlin), "Unplanned work")
    assert cells(rows[2])[:2] == ["2", "2026-02-03 09:00"]
    assert "as of 2026-02-16 13:00 Europe/Berlin." in mix_table(berlin)


def test_an_empty_board_says_so_instead_of_inventing_figures() -> None:
    empty = compute_mix([], [], DEFAULT_COLUMNS, START, END, tz=UTC_ZONE, now=NOW)
    text = mix_table(empty)
    assert "Unplanned: nothing was done in the period (nothing was done in the previous period)." in text
    assert "Throughput: 0 cards done in 14 days, 0 a week; 0 created." in text
    assert cells(block(text, "By type")[-1]) == ["total", "0", "0", "-", "-", "-", "-"]
    assert block(text, "Unplanned work")[-1] == "None."
    assert block(text, "Ageing work in progress")[-1] == "None."
    future = compute_mix([], [], DEFAULT_COLUMNS, date(2026, 3, 2), date(2026, 3, 8), tz=UTC_ZONE, now=NOW)
    assert block(mix_table(future), "Cumulative flow")[-1] == "No day of the period has begun yet."


def test_long_titles_are_clipped_in_the_table_but_not_in_markdown() -> None:
    long = "A" * 80
    cards = [card(1, WorkType.UNPLANNED, "Backlog", at(2, 3, 8), title=long)]
    report = compute_mix(cards, [], DEFAULT_COLUMNS, START, END, tz=UTC_ZONE, now=NOW)
    assert cells(block(mix_table(report), "Unplanned work")[-1])[-1] == "A" * 59 + "…"
    assert f"| {long} |" in mix_markdown(report)


# ---------------------------------------------------------------------------------------- Markdown


def test_markdown_has_the_same_figures_as_tables(report: MixReport) -> None:
    md = mix_markdown(report)
    assert md.startswith("# Work mix 2026-02-02 to 2026-02-15\n\n14 days in UTC;")
    assert "\nUnplanned: 50% of the work done (33.3% in the previous period), +16.7 pts.\n" in md
    for row in (
        "| Type | Created | Done | Share of done | Share of created | Median cycle | Median lead |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
        "| business | 1 | 1 | 25% | 20% | 24 h | 48 h |",
        "| unplanned | 2 | 2 | 50% | 40% | 14 h | 15.5 h |",
        "| total | 5 | 4 | 100% | 100% | 24 h | 37 h |",
        "| 2026-02-09 | 7 | 0 | 1 | 0 | 1 | 0 | 0 | 1 | 1 | 2 | 50% |",
        "| 3 | 2026-02-10 08:00 | Done | 2026-02-11 10:00 | Phishing wave |",
        "| 4 | engineering | In Progress | 10 | EDR rule tuning |",
        "| Day | Backlog | To Do | In Progress | Review | Done |",
        "| 2026-02-15 | 1 | 0 | 1 | 0 | 7 |",
    ):
        assert f"\n{row}\n" in md, row
    for heading in (
        "By type",
        "Weekly trend",
        "Unplanned work",
        "Ageing work in progress",
        "Cumulative flow",
    ):
        assert f"\n## {heading}\n" in md
    assert md.endswith("\n") and not md.endswith("\n\n")
    assert not any(line != line.rstrip() for line in md.splitlines())


def test_markdown_cells_escape_what_markdown_would_read() -> None:
    cards = [card(1, WorkType.UNPLANNED, "Backlog", at(2, 3, 8), title="VPN | proxy *down* <script>")]
    report = compute_mix(cards, [], DEFAULT_COLUMNS, START, END, tz=UTC_ZONE, now=NOW)
    assert "| VPN \\| proxy \\*down\\* \\<script\\> |" in mix_markdown(report)


def test_the_embeddable_markdown_table_is_the_type_table_alone(report: MixReport) -> None:
    table = mix_markdown_table(report)
    lines = table.splitlines()
    assert len(lines) == 2 + len(WorkType) + 1
    assert lines[0].startswith("| Type | Created |")
    assert lines[-1] == "| total | 5 | 4 | 100% | 100% | 24 h | 37 h |"
    assert table in mix_markdown(report)


# ---------------------------------------------------------------------------------------- JSON


def test_json_is_the_report_plus_its_derived_figures(report: MixReport) -> None:
    data = mix_json(report)
    assert json.loads(json.dumps(data)) == data  # plain JSON values only
    assert (data["period_from"], data["period_to"]) == ("2026-02-02", "2026-02-15")
    assert (data["previous_from"], data["previous_to"]) == ("2026-01-19", "2026-02-01")
    assert (data["created"], data["done"], data["days"]) == (5, 4, 14)
    assert data["unplanned_share"] == 0.5
    assert data["previous_unplanned_share"] == pytest.approx(1 / 3)
    assert data["unplanned_change_pp"] == 16.6667
    assert data["throughput_per_week"] == 2.0
    assert (data["median_cycle_hours"], data["median_lead_hours"]) == (24.0, 37.0)
    by_type = {t["type"]: t for t in data["types"]}
    assert by_type["unplanned"] == {
        "type": "unplanned",
        "created": 2,
        "done": 2,
        "created_share": 0.4,
        "done_share": 0.5,
        "median_cycle_hours": 14.0,
        "median_lead_hours": 15.5,
    }
    assert by_type["operations"]["done_share"] == 0.0
    assert by_type["operations"]["median_cycle_hours"] is None
    first: dict[str, Any] = data["weeks"][0]
    assert first == {
        "start": "2026-02-02",
        "end": "2026-02-08",
        "created": {"business": 1, "operations": 0, "engineering": 1, "unplanned": 1},
        "done": {"business": 1, "operations": 0, "engineering": 0, "unplanned": 1},
        "days": 7,
        "throughput": 2,
        "unplanned_share": 0.5,
    }
    assert [c["id"] for c in data["unplanned"]] == [2, 3]
    assert data["ageing"] == [
        {"id": 4, "title": "EDR rule tuning", "column": "In Progress", "type": "engineering", "days": 10.0}
    ]
    assert data["columns"] == ["Backlog", "To Do", "In Progress", "Review", "Done"]
    assert len(data["flow"]) == 14
    assert data["flow"][-1] == {"day": "2026-02-15", "counts": [1, 0, 1, 0, 7]}


def test_json_derived_figures_are_null_when_they_do_not_exist() -> None:
    empty = mix_json(compute_mix([], [], DEFAULT_COLUMNS, START, END, tz=UTC_ZONE, now=NOW))
    assert empty["unplanned_change_pp"] is None
    assert empty["unplanned_share"] is None
    assert empty["throughput_per_week"] == 0.0
    assert all(w["throughput"] == 0 and w["unplanned_share"] is None for w in empty["weeks"])


def test_the_summary_json_keeps_the_type_figures_only(report: MixReport) -> None:
    data = mix_summary_json(report)
    assert "flow" not in data and "weeks" not in data and "ageing" not in data
    assert data["types"] == mix_json(report)["types"]
    assert data["unplanned_change_pp"] == 16.6667
