"""A period's work mix and flow as a terminal table, Markdown or JSON: exact numbers, no charts.

Pure functions of a ``MixReport`` (``socdesk.domain.mix``). Both text forms are built from the same
tables (``_sections``), so they always show the same figures. Shares are percentages with at most one
decimal, changes of a share are percentage points, times are hours; a figure that does not exist (a
share of nothing, a median of no cards) is ``-``. Local times are shown in the report's time zone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from socdesk import markdown_text
from socdesk.domain.mix import FlowDay, MixReport
from socdesk.domain.models import WorkType
from socdesk.textfmt import clip, table

NONE = "-"
TITLE_WIDTH = 60
LEGEND = ", ".join(f"{t.letter} {t.value}" for t in WorkType)


# ---------------------------------------------------------------------- numbers


def number(value: float) -> str:
    """At most one decimal, none when it is whole: ``12``, ``33.3``."""
    text = f"{value:.1f}"
    if text in ("0.0", "-0.0"):
        return "0"
    return text.removesuffix(".0")


def percent(share: float | None) -> str:
    """A share (0..1) as a percentage: ``40%``, ``33.3%``; ``-`` when there is no share."""
    return NONE if share is None else f"{number(share * 100)}%"


def points(change: float | None) -> str:
    """A change in percentage points, signed: ``+12 pts``, ``-4.5 pts``, ``0 pts``."""
    if change is None:
        return NONE
    text = number(abs(change))
    if text == "0":
        return "0 pts"
    return f"{'+' if change > 0 else '-'}{text} pts"


def hours(value: float | None) -> str:
    return NONE if value is None else f"{number(value)} h"


def local(moment: datetime, tz: str) -> str:
    return moment.astimezone(ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M")


def _rounded(value: float | None, places: int = 4) -> float | None:
    """Derived figures for JSON, without float crumbs (``12.000000000000002`` is 12.0)."""
    return None if value is None else round(value, places)


# ---------------------------------------------------------------------- the tables both forms show


@dataclass(frozen=True)
class _Table:
    title: str
    headers: tuple[str, ...]
    rows: list[list[str]]
    numeric: frozenset[int] = frozenset()
    """Columns aligned to the right."""
    before: list[str] = field(default_factory=list)
    """Sentences shown between the title and the table."""
    empty: str = "None."


def _type_rows(report: MixReport) -> list[list[str]]:
    rows = [
        [
            t.type.value,
            str(t.created),
            str(t.done),
            percent(t.done_share),
            percent(t.created_share),
            hours(t.median_cycle_hours),
            hours(t.median_lead_hours),
        ]
        for t in report.types
    ]
    rows.append(
        [
            "total",
            str(report.created),
            str(report.done),
            percent(1.0 if report.done else None),
            percent(1.0 if report.created else None),
            hours(report.median_cycle_hours),
            hours(report.median_lead_hours),
        ]
    )
    return rows


TYPE_HEADERS = ("Type", "Created", "Done", "Share of done", "Share of created", "Median cycle", "Median lead")


def _type_table(report: MixReport) -> _Table:
    return _Table(
        "By type",
        TYPE_HEADERS,
        _type_rows(report),
        frozenset(range(1, 7)),
        before=[
            "Done: finished in the period and still in a done column. Cycle: started to done;"
            " lead: created to done."
        ],
    )


def unplanned_line(report: MixReport) -> str:
    if report.unplanned_share is None:
        now = "nothing was done in the period"
    else:
        now = f"{percent(report.unplanned_share)} of the work done"
    if report.previous_unplanned_share is None:
        before = "nothing was done in the previous period"
    else:
        before = f"{percent(report.previous_unplanned_share)} in the previous period"
    change = "" if report.unplanned_change is None else f", {points(report.unplanned_change)}"
    return f"Unplanned: {now} ({before}){change}."


def throughput_line(report: MixReport) -> str:
    per_week = number(report.throughput_per_week)
    return (
        f"Throughput: {report.done} card{'' if report.done == 1 else 's'} done in {report.days} days,"
        f" {per_week} a week; {report.created} created."
    )


def _week_table(report: MixReport) -> _Table:
    letters = [t.letter for t in WorkType]
    headers = (
        "Week of",
        "Days",
        *(f"New {x}" for x in letters),
        *(f"Done {x}" for x in letters),
        "Throughput",
        "Unplanned",
    )
    rows = [
        [
            w.start.isoformat(),
            str((w.end - w.start).days + 1),
            *(str(w.created.get(t, 0)) for t in WorkType),
            *(str(w.done.get(t, 0)) for t in WorkType),
            str(w.throughput),
            percent(w.unplanned_share),
        ]
        for w in report.weeks
    ]
    return _Table(
        "Weekly trend",
        headers,
        rows,
        frozenset(range(1, len(headers))),
        before=[f"Cards created (new) and done per type ({LEGEND}); weeks start on Monday."],
    )


def _unplanned_table(report: MixReport, width: int | None) -> _Table:
    rows = [
        [
            str(c.id),
            local(c.created_at, report.tz),
            c.column,
            NONE if c.done_at is None else local(c.done_at, report.tz),
            _title(c.title, width),
        ]
        for c in report.unplanned
    ]
    return _Table(
        "Unplanned work",
        ("ID", "Created", "Column", "Done", "Title"),
        rows,
        frozenset({0}),
        before=["Unplanned cards created in the period: candidates to turn into planned work."],
    )


def _ageing_table(report: MixReport, width: int | None) -> _Table:
    rows = [
        [str(a.id), a.type.value, a.column, number(a.days), _title(a.title, width)] for a in report.ageing
    ]
    return _Table(
        "Ageing work in progress",
        ("ID", "Type", "Column", "Days", "Title"),
        rows,
        frozenset({0, 3}),
        before=[f"In an active column more than {report.ageing_days} days since started, as of now."],
    )


def flow_days(report: MixReport) -> list[FlowDay]:
    """The first day, the last day of each week and the last day so far (each once)."""
    flow = report.flow
    if not flow:
        return []
    last_of_weeks = {w.end for w in report.weeks}
    picked = [d for i, d in enumerate(flow) if i in (0, len(flow) - 1) or d.day in last_of_weeks]
    return picked


def _flow_table(report: MixReport) -> _Table:
    rows = [[d.day.isoformat(), *(str(n) for n in d.counts)] for d in flow_days(report)]
    return _Table(
        "Cumulative flow",
        ("Day", *report.columns),
        rows,
        frozenset(range(1, len(report.columns) + 1)),
        before=["Cards in each column at the end of the day: the first day, each week's last, the latest."],
        empty="No day of the period has begun yet.",
    )


def _title(text: str, width: int | None) -> str:
    return text if width is None else clip(text, width)


def _sections(report: MixReport, width: int | None) -> list[_Table]:
    return [
        _type_table(report),
        _week_table(report),
        _unplanned_table(report, width),
        _ageing_table(report, width),
        _flow_table(report),
    ]


def heading(report: MixReport) -> str:
    return f"Work mix {report.period_from.isoformat()} to {report.period_to.isoformat()}"


def period_line(report: MixReport) -> str:
    return (
        f"{report.days} days in {report.tz}; previous period {report.previous_from.isoformat()}"
        f" to {report.previous_to.isoformat()}; as of {local(report.at, report.tz)} {report.tz}."
    )


# ---------------------------------------------------------------------- plain text


def mix_table(report: MixReport) -> str:
    """The whole report for a terminal."""
    out = [heading(report), period_line(report), unplanned_line(report), throughput_line(report)]
    for section in _sections(report, TITLE_WIDTH):
        out += ["", f"{section.title}:", *section.before]
        headers = [h.upper() for h in section.headers]
        out.append(table(headers, section.rows, numeric=section.numeric) if section.rows else section.empty)
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------------- Markdown


def _md(section: _Table) -> str:
    headers = [markdown_text.cell(h) for h in section.headers]
    rows = [[markdown_text.cell(text) for text in row] for row in section.rows]
    return markdown_text.table(headers, rows, section.numeric)


def mix_markdown_table(report: MixReport) -> str:
    """The per-type table alone (with its total row), for a retro's summary."""
    return _md(_type_table(report))


def mix_markdown(report: MixReport) -> str:
    out = [
        f"# {heading(report)}",
        "",
        period_line(report),
        "",
        unplanned_line(report),
        "",
        throughput_line(report),
    ]
    for section in _sections(report, None):
        out += ["", f"## {section.title}", "", *section.before]
        out += ["", _md(section)] if section.rows else ["", section.empty]
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------------- JSON


def mix_json(report: MixReport) -> dict[str, Any]:
    """The report as plain JSON-able data, with the figures the text forms derive from it."""
    data = report.model_dump(mode="json")
    for week, row in zip(report.weeks, data["weeks"], strict=True):
        row["days"] = (week.end - week.start).days + 1
        row["throughput"] = week.throughput
        row["unplanned_share"] = week.unplanned_share
    data["days"] = report.days
    data["unplanned_change_pp"] = _rounded(report.unplanned_change)
    data["throughput_per_week"] = _rounded(report.throughput_per_week)
    return data


def mix_summary_json(report: MixReport) -> dict[str, Any]:
    """The per-type figures and the unplanned share alone (what a retro's summary carries)."""
    full = mix_json(report)
    keep = (
        "period_from",
        "period_to",
        "tz",
        "at",
        "previous_from",
        "previous_to",
        "days",
        "types",
        "created",
        "done",
        "median_cycle_hours",
        "median_lead_hours",
        "unplanned_share",
        "previous_unplanned_share",
        "unplanned_change_pp",
        "throughput_per_week",
    )
    return {key: full[key] for key in keep}
