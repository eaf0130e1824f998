"""The work mix and flow of a period, as exact numbers and terminal charts.

Charts are textual-plotext plots (stacked weekly bars, cumulative flow) and Textual's own Sparkline
(throughput per week). Colours come from the theme: one variable per work type (``$type-*``) and the
theme's named colours for the columns, so a theme change recolours the charts too.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.color import Color
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable, Sparkline, Static
from textual_plotext import PlotextPlot

from socdesk.domain.mix import MixReport
from socdesk.domain.models import WorkType
from socdesk.mix_report import hours, percent, points

COLUMN_COLOURS = ("primary", "secondary", "accent", "warning", "success")


def _rgb(variables: dict[str, str], name: str, fallback: str = "white") -> tuple[int, int, int]:
    try:
        return Color.parse(variables.get(name, fallback)).rgb
    except Exception:  # a theme without the variable: plotext's white reads on any background
        return Color.parse(fallback).rgb


class MixPanel(Vertical):
    """One period's mix. ``compact`` (inside a retro) keeps the table, the unplanned line and the bars."""

    def __init__(self, *, compact: bool = False, id: str | None = None) -> None:
        super().__init__(id=id, classes="mix-panel -compact" if compact else "mix-panel")
        self.compact = compact
        self.report: MixReport | None = None

    def compose(self) -> ComposeResult:
        yield Static(classes="mix-head", markup=False)
        with Horizontal(classes="mix-top"):
            yield DataTable[Text](classes="mix-types", cursor_type="none", zebra_stripes=True)
            with Vertical(classes="mix-side"):
                yield Static(classes="mix-unplanned", markup=False)
                yield Static(classes="mix-flow-figures", markup=False)
                yield Static("Throughput per week", classes="mix-caption")
                yield Sparkline([], classes="mix-throughput")
        yield PlotextPlot(classes="mix-weekly")
        if not self.compact:
            yield PlotextPlot(classes="mix-cfd")
            with Horizontal(classes="mix-lists"):
                with Vertical():
                    yield Static(
                        "Unplanned work that came in or was finished (candidates to plan)",
                        classes="section-title",
                    )
                    yield DataTable[Text](
                        classes="mix-unplanned-cards", cursor_type="row", zebra_stripes=True
                    )
                with Vertical():
                    yield Static(classes="section-title mix-ageing-title", markup=False)
                    yield DataTable[Text](classes="mix-ageing", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        self.query_one(".mix-types", DataTable).add_columns(
            "Type", "Created", "Done", "Share done", "Share created", "Cycle (median)", "Lead (median)"
        )
        if not self.compact:
            self.query_one(".mix-unplanned-cards", DataTable).add_columns("#", "Title", "Column", "Created")
            self.query_one(".mix-ageing", DataTable).add_columns("#", "Title", "Column", "Type", "Days")

    def show(self, report: MixReport) -> None:
        self.report = report
        days = f"{report.days} day" + ("s" if report.days != 1 else "")
        self.query_one(".mix-head", Static).update(
            f"Work mix {report.period_from} → {report.period_to} ({days}, {report.tz})"
            f"  ·  compared with {report.previous_from} → {report.previous_to}"
        )
        self._types(report)
        self.query_one(".mix-unplanned", Static).update(
            f"Unplanned share of work done: {percent(report.unplanned_share)}\n"
            f"the period before: {percent(report.previous_unplanned_share)} "
            f"({points(report.unplanned_change)})"
        )
        self.query_one(".mix-flow-figures", Static).update(
            f"Done {report.done} · created {report.created} · "
            f"{report.throughput_per_week:.1f} done per week\n"
            f"Median cycle {hours(report.median_cycle_hours)} · "
            f"lead {hours(report.median_lead_hours)}"
        )
        spark = self.query_one(".mix-throughput", Sparkline)
        spark.data = [float(w.throughput) for w in report.weeks]
        spark.tooltip = " ".join(f"{w.start:%d %b}: {w.throughput}" for w in report.weeks)
        self._weekly(report)
        if not self.compact:
            self._flow(report)
            self._lists(report)

    def _types(self, report: MixReport) -> None:
        table = self.query_one(".mix-types", DataTable)
        table.clear()
        for row in report.types:
            table.add_row(
                Text(row.type.value, style=f"bold {self._type_hex(row.type)}"),
                Text(str(row.created), justify="right"),
                Text(str(row.done), justify="right"),
                Text(percent(row.done_share), justify="right"),
                Text(percent(row.created_share), justify="right"),
                Text(hours(row.median_cycle_hours), justify="right"),
                Text(hours(row.median_lead_hours), justify="right"),
            )
        table.add_row(
            Text("total", style="bold"),
            Text(str(report.created), justify="right"),
            Text(str(report.done), justify="right"),
            Text(""),
            Text(""),
            Text(hours(report.median_cycle_hours), justify="right"),
            Text(hours(report.median_lead_hours), justify="right"),
        )

    def _type_hex(self, work_type: WorkType) -> str:
        return self.app.theme_variables.get(f"type-{work_type.value}", "white")

    def _weekly(self, report: MixReport) -> None:
        plot = self.query_one(".mix-weekly", PlotextPlot)
        plt = plot.plt
        plt.clear_data()
        plt.clear_figure()
        variables = self.app.theme_variables
        labels = [f"{w.start:%d %b}" for w in report.weeks]
        series = [[w.done[t] for w in report.weeks] for t in WorkType]
        plt.title("Done per week, by type")
        if labels:
            # One label and one colour per stacked series (plotext's type hints say one colour).
            series_style: dict[str, Any] = {
                "labels": [t.value for t in WorkType],
                "color": [_rgb(variables, f"type-{t.value}") for t in WorkType],
            }
            plt.stacked_bar(labels, series, **series_style)
        plot.refresh()

    def _flow(self, report: MixReport) -> None:
        plot = self.query_one(".mix-cfd", PlotextPlot)
        plt = plot.plt
        plt.clear_data()
        plt.clear_figure()
        plt.title("Cumulative flow (cards per column at the end of each day)")
        flow = report.flow
        if not flow:
            plot.refresh()
            return
        variables = self.app.theme_variables
        x = [float(i) for i in range(len(flow))]
        names = report.columns
        # Stacked bands: the last column (done) at the bottom; each line is the top of its band.
        # Plot from the top band down so that each fill paints over the one above it.
        for index in range(len(names)):
            top = [sum(day.counts[index:]) for day in flow]
            colour = _rgb(variables, COLUMN_COLOURS[index % len(COLUMN_COLOURS)])
            plt.plot(x, top, fillx=True, color=colour, label=names[index], marker="braille")
        step = max(1, len(flow) // 6)
        ticks = x[::step]
        plt.xticks(ticks, [f"{flow[int(i)].day:%d %b}" for i in ticks])
        plot.refresh()

    def _lists(self, report: MixReport) -> None:
        unplanned = self.query_one(".mix-unplanned-cards", DataTable)
        unplanned.clear()
        for card in report.unplanned:
            unplanned.add_row(
                Text(str(card.id)), Text(card.title), Text(card.column), Text(f"{card.created_at:%d %b}")
            )
        self.query_one(".mix-ageing-title", Static).update(
            f"Ageing work in progress (over {report.ageing_days} days, now)"
        )
        ageing = self.query_one(".mix-ageing", DataTable)
        ageing.clear()
        for item in report.ageing:
            ageing.add_row(
                Text(str(item.id)),
                Text(item.title),
                Text(item.column),
                Text(item.type.value),
                Text(f"{item.days:.1f}", justify="right"),
            )
