"""The Handshake view: the weekly SOC–engineering meeting on one shared clock.

The clock is folded from the meeting's logged actions at ``store.clock.now()`` twice a second (no
database read); the meeting itself is re-read when any process logs to it or changes the board.
Any participant's console can drive it. Between meetings the view collects topics and shows the last
minutes.
"""

from __future__ import annotations

from datetime import datetime

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import ContentSwitcher, DataTable, Markdown, Static

from socdesk.domain.duty import Role
from socdesk.domain.errors import NotFound, SocdeskError, WipLimitReached
from socdesk.domain.handshake import (
    Agenda,
    MeetingColumns,
    MeetingRecord,
    SectionKind,
    Topic,
    meeting_columns,
)
from socdesk.domain.kpis import kpi_lines
from socdesk.domain.models import Card, Event, Kind, Priority
from socdesk.domain.timer import ZERO, Act, Timer, clock_text
from socdesk.settings import LocalConfig, load_config
from socdesk.ui.screens.base import ViewScreen
from socdesk.ui.screens.dialogs import ConfirmScreen, ReasonScreen
from socdesk.ui.widgets.keyed_table import KeyedTable

TICK_SECONDS = 0.5
ROLES = frozenset(role.value for role in Role)
BELL_AT = (0.8, 1.0)
# Events after which the view re-reads: the meeting and its topics, the agenda, the board it works on.
RELEVANT = frozenset({"meeting", "topic", "agenda", "card", "column", "person", "database"})
# Between meetings the view shows topics, the agenda and the last minutes: the board does not matter.
RELEVANT_IDLE = frozenset({"meeting", "topic", "agenda", "database"})
BODY_OF = {
    SectionKind.KICKOFF: "hs-kickoff",
    SectionKind.TOPICS: "hs-topics",
    SectionKind.BACKLOG: "hs-backlog",
    SectionKind.DETECTIONS: "hs-detections",
    SectionKind.OTHER: "hs-other",
}
# Which section's keys an action belongs to (others are hidden from the footer there).
SECTION_ACTIONS = {
    "discuss": SectionKind.TOPICS,
    "outcome": SectionKind.TOPICS,
    "topic_card": SectionKind.TOPICS,
    "raise_priority": SectionKind.BACKLOG,
    "lower_priority": SectionKind.BACKLOG,
    "pull": SectionKind.BACKLOG,
    "approve": SectionKind.DETECTIONS,
    "reject": SectionKind.DETECTIONS,
    "feedback": SectionKind.DETECTIONS,
}
RUNNING_ONLY = frozenset({"next", "back", "pause", "extend", "end", "note"})
IDLE_ONLY = frozenset({"start", "defer", "agenda"})


class HandshakeTable(KeyedTable[int]):
    """Rows keyed by the id of the topic or card they show; cells are plain text."""

    def fill_text(self, rows: list[tuple[int, list[str]]]) -> None:
        self.fill([(key, [Text(cell) for cell in cells]) for key, cells in rows])


class HandshakeView(ViewScreen):
    VIEW_NAME = "Handshake"
    # Everything but the bell (a setting of this console, not of the meeting) changes the shared meeting.
    WRITE_ACTIONS = frozenset(
        {
            *("discuss", "outcome", "topic_card", "raise_priority", "lower_priority", "pull"),
            *("approve", "reject", "feedback", "start", "topic", "defer", "agenda"),
            *("next", "back", "pause", "extend", "note", "end"),
        }
    )
    # The section's own keys first: the key bar is one line and these matter most where they apply.
    BINDINGS = [
        Binding("enter", "discuss", "Time topic"),
        Binding("o", "outcome", "Outcome"),
        Binding("c", "topic_card", "To backlog"),
        Binding("plus", "raise_priority", "Priority +"),
        Binding("minus", "lower_priority", "Priority −"),
        Binding("p", "pull", "Pull to To Do"),
        Binding("a", "approve", "Approve"),
        Binding("r", "reject", "Reject"),
        Binding("f", "feedback", "Tuning card"),
        Binding("S", "start", "Start"),
        Binding("T", "topic", "Submit topic"),
        Binding("D", "defer", "Defer topic"),
        Binding("A", "agenda", "Agenda"),
        Binding("n", "next", "Next"),
        Binding("B", "back", "Back"),
        Binding("space", "pause", "Pause"),
        Binding("x", "extend(1)", "+1 min"),
        Binding("X", "extend(5)", "+5 min"),
        Binding("m", "note", "Note"),
        Binding("E", "end", "End"),
        Binding("exclamation_mark", "bell", "Bell on/off", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.record: MeetingRecord | None = None
        self.last: MeetingRecord | None = None
        self.agenda = Agenda()
        self.intake: list[Topic] = []
        self.columns: MeetingColumns | None = None
        self.cards: dict[int, Card] = {}
        self.timer: Timer | None = None
        self.config = LocalConfig()
        self.bell = False
        self._rung: set[tuple[int, int, float]] = set()
        self._joined: set[int] = set()
        self._topic_rows: list[tuple[int, list[str]]] = []
        self._minutes_shown: tuple[int, int] | None = None

    # ------------------------------------------------------------------ layout

    def compose_body(self) -> ComposeResult:
        with Vertical(id="handshake"):
            yield Static(id="hs-head", markup=False)
            yield Static(id="hs-agenda", markup=False)
            with Horizontal(id="hs-clock"):
                yield Static(id="hs-section", markup=False)
                yield Static(id="hs-remaining", markup=False)
                yield Static(id="hs-topic-clock", markup=False)
            yield Static(id="hs-losing", markup=False)
            with ContentSwitcher(id="hs-body", initial="hs-idle"):
                with VerticalScroll(id="hs-idle"):
                    yield Static(id="hs-intake-title", classes="section-title", markup=False)
                    yield HandshakeTable(id="intake")
                    yield Static(id="hs-last-title", classes="section-title", markup=False)
                    yield Markdown(id="hs-minutes")
                with VerticalScroll(id="hs-kickoff"):
                    yield Static("Duty", classes="section-title")
                    yield Static(id="hs-duty", markup=False)
                    yield Static("Development KPIs (at the start of the meeting)", classes="section-title")
                    yield Static(id="hs-kpis", markup=False)
                with Vertical(id="hs-topics"):
                    yield HandshakeTable(id="topics")
                with Vertical(id="hs-backlog"):
                    yield Static(id="hs-backlog-hint", classes="hint", markup=False)
                    yield HandshakeTable(id="backlog")
                with Vertical(id="hs-detections"):
                    yield Static(id="hs-detections-hint", classes="hint", markup=False)
                    yield HandshakeTable(id="detections")
                with Vertical(id="hs-other"):
                    yield Static("Free discussion: the timer runs; m takes a note.", classes="hint")
            yield Static(id="hs-notes", markup=False)

    def on_mount(self) -> None:
        super().on_mount()
        self.table("intake").add_columns("#", "Topic", "From", "Submitted", "")
        self.table("topics").add_columns("#", "Topic", "From", "Outcome", "Card", "Time")
        self.table("backlog").add_columns("#", "Priority", "Type", "Title", "Assignee")
        self.table("detections").add_columns("#", "Detection", "Column", "Assignee", "")
        try:
            self.config = load_config()
        except SocdeskError as error:
            self.notify(str(error), title="Settings ignored", severity="warning", timeout=8)
        self.bell = self.config.bell
        self.reload()
        self.set_interval(TICK_SECONDS, self.tick)

    def table(self, name: str) -> HandshakeTable:
        return self.query_one(f"#{name}", HandshakeTable)

    # ------------------------------------------------------------------ state

    @property
    def section_kind(self) -> SectionKind | None:
        timer, record = self.timer, self.record
        if record is None or timer is None or timer.current is None:
            return None
        return record.meeting.agenda.sections[timer.current].kind

    def reload(self) -> None:
        """Re-read the meeting (or the intake and last minutes) and redraw everything."""
        store = self.socdesk.store
        self.record = store.current_meeting()
        self.agenda = store.get_agenda()
        if self.record is None:
            self.intake = store.list_topics()
            try:
                self.last = store.get_meeting()  # the latest
            except NotFound:
                self.last = None
        else:
            self._join(self.record)
            self.columns = meeting_columns(store.list_columns())
            self.cards = {c.id: c for c in store.list_cards()}
        self.timer = None
        self._redraw_clock()
        self._render_body()
        self.refresh_bindings()

    def _join(self, record: MeetingRecord) -> None:
        meeting_id = record.meeting.id
        store = self.socdesk.store
        if store.read_only or meeting_id in self._joined or store.actor in record.attendees():
            return  # a wallboard watches the meeting; it does not attend
        self._joined.add(meeting_id)
        self._attempt(self.socdesk.store.join_meeting)

    def tick(self) -> None:
        """Every half second: between meetings nothing moves (``reload`` draws the idle lines)."""
        if self.record is not None:
            self._redraw_clock()

    def _redraw_clock(self) -> None:
        """Fold the clock at now and redraw the clock lines; ring the bell when a threshold passes."""
        record = self.record
        self.timer = record.timer(self.socdesk.store.clock.now()) if record is not None else None
        self._render_head()
        self._render_clock()
        if record is not None and self.section_kind is SectionKind.TOPICS:
            self._render_topics(record)  # the running topic's time column counts too
        if self.bell:
            self._ring()

    def _ring(self) -> None:
        timer, record = self.timer, self.record
        if timer is None or record is None or timer.current is None or timer.paused:
            return
        for threshold in BELL_AT:
            key = (record.meeting.id, timer.current, threshold)
            if timer.fraction() >= threshold and key not in self._rung:
                self._rung.add(key)
                self.app.bell()

    # ------------------------------------------------------------------ rendering

    def when(self, moment: datetime | None, agenda: Agenda | None = None) -> str:
        if moment is None:
            return "—"
        from zoneinfo import ZoneInfo

        return moment.astimezone(ZoneInfo((agenda or self.agenda).tz)).strftime("%a %d %b %H:%M")

    def _render_head(self) -> None:
        head = self.query_one("#hs-head", Static)
        agenda_line = self.query_one("#hs-agenda", Static)
        record, timer = self.record, self.timer
        if record is None or timer is None:
            waiting = len([t for t in self.intake if not t.deferred])
            head.update(
                f"No handshake running · booked {self.agenda.schedule_text()} · "
                f"{waiting}/{self.agenda.topic_cap} topics · S starts it"
            )
            agenda_line.update(
                "Agenda: "
                + " · ".join(f"{s.title} {s.minutes} min" for s in self.agenda.sections)
                + f" · {self.agenda.topic_cap} topics of {self.agenda.topic_minutes} min"
            )
            head.set_class(False, "-late")
            return
        meeting = record.meeting
        agenda = meeting.agenda
        late = meeting.late_by
        if late is None:
            started = f"started {self.when(meeting.started_at, agenda)} (unscheduled)"
        elif late > ZERO:
            minutes = round(late.total_seconds() / 60)
            started = (
                f"booked {self.when(meeting.scheduled_at, agenda)}, started "
                f"{self.when(meeting.started_at, agenda)[-5:]}: {minutes} min late"
            )
        else:
            started = f"started on time {self.when(meeting.started_at, agenda)}"
        projected = timer.projected_end
        over = f" ({clock_text(timer.late_by)} past the booked hour)" if timer.late_by > ZERO else ""
        end = self.when(projected, agenda)[-5:] if projected else "—"
        head.update(f"Handshake #{meeting.id} · {started} · projected end {end}{over}")
        head.set_class(bool(late) or timer.late_by > ZERO, "-late")
        parts = []
        for index, (section, spent) in enumerate(zip(agenda.sections, timer.sections, strict=True)):
            mark = "▸ " if index == timer.current else ("✓ " if spent.visited else "")
            used = f" ({clock_text(spent.used)})" if spent.visited else ""
            extended = f"+{int(spent.extended.total_seconds() // 60)}" if spent.extended else ""
            parts.append(f"{mark}{section.title} {section.minutes}{extended} min{used}")
        agenda_line.update(" · ".join(parts))

    def _render_clock(self) -> None:
        section_line = self.query_one("#hs-section", Static)
        remaining = self.query_one("#hs-remaining", Static)
        topic_clock = self.query_one("#hs-topic-clock", Static)
        losing = self.query_one("#hs-losing", Static)
        record, timer = self.record, self.timer
        self.query_one("#hs-clock").display = record is not None
        if record is None or timer is None or timer.current is None:
            losing.display = False
            return
        agenda = record.meeting.agenda
        section = agenda.sections[timer.current]
        paused = " · PAUSED" if timer.paused else ""
        section_line.update(f"{timer.current + 1}/{len(agenda.sections)} {section.title}{paused}")
        up = timer.remaining <= ZERO
        remaining.update(clock_text(timer.remaining) + (" over" if up else " left"))
        remaining.set_class(up, "-overrun")
        remaining.set_class(not up and timer.fraction() >= BELL_AT[0], "-warning")
        remaining.set_class(timer.paused, "-paused")
        topic = record.topic(timer.item) if timer.item is not None else None
        topic_clock.display = topic is not None
        if topic is not None:
            number = [t.id for t in record.topics].index(topic.id) + 1
            state = "over" if timer.item_remaining <= ZERO else "left"
            topic_clock.update(
                f"topic {number}/{len(record.topics)}: {clock_text(timer.item_remaining)} {state}"
            )
            topic_clock.set_class(timer.item_remaining <= ZERO, "-overrun")
        lost = timer.losing()
        losing.display = bool(lost) or timer.late_by > ZERO
        if lost:
            losing.update(
                "Losing time: " + " · ".join(f"{agenda.sections[i].title} −{clock_text(t)}" for i, t in lost)
            )
        elif timer.late_by > ZERO:
            losing.update(
                f"Running over the hour by {clock_text(timer.late_by)}: no later section has time left"
            )

    def _render_body(self) -> None:
        switcher = self.query_one("#hs-body", ContentSwitcher)
        record = self.record
        if record is None:
            switcher.current = "hs-idle"
            self._render_idle()
            self.query_one("#hs-notes").display = False
            return
        kind = self.section_kind or SectionKind.OTHER
        switcher.current = BODY_OF[kind]
        self._render_kickoff(record)
        self._render_topics(record)
        self._render_backlog()
        self._render_detections()
        self._render_notes(record)
        focus = {
            SectionKind.TOPICS: "topics",
            SectionKind.BACKLOG: "backlog",
            SectionKind.DETECTIONS: "detections",
        }.get(kind)
        if focus is not None and self.in_front:
            self.table(focus).focus()

    def _render_idle(self) -> None:
        waiting = [t for t in self.intake if not t.deferred]
        self.query_one("#hs-intake-title", Static).update(
            f"Topics for the next handshake ({len(waiting)}/{self.agenda.topic_cap}) · T submits, D defers"
        )
        self.table("intake").fill_text(
            [
                (
                    t.id,
                    [
                        str(t.id),
                        t.text,
                        t.submitted_by,
                        self.when(t.submitted_at),
                        "next week" if t.deferred else "",
                    ],
                )
                for t in self.intake
            ]
        )
        last = self.last
        title = self.query_one("#hs-last-title", Static)
        minutes = self.query_one("#hs-minutes", Markdown)
        title.display = minutes.display = last is not None
        shown = (last.meeting.id, len(last.log)) if last is not None else None
        if last is not None and shown != self._minutes_shown:  # re-rendered only when they changed
            from socdesk.minutes import render_markdown

            title.update(f"Minutes of handshake #{last.meeting.id}")
            minutes.update(render_markdown(last))
        self._minutes_shown = shown
        if self.in_front:
            self.table("intake").focus()

    def _render_kickoff(self, record: MeetingRecord) -> None:
        duty = record.meeting.duty
        self.query_one("#hs-duty", Static).update(
            "\n".join(
                f"{Role(role).title.capitalize()}: {name}"
                for role, name in sorted(duty.items(), reverse=True)
                if role in ROLES
            )
        )
        self.query_one("#hs-kpis", Static).update("\n".join(kpi_lines(record.meeting.kpis)))

    def _render_topics(self, record: MeetingRecord) -> None:
        timer = self.timer
        rows = []
        for number, topic in enumerate(record.topics, start=1):
            spent = timer.items.get(topic.id, ZERO) if timer else ZERO
            now = "▸ " if timer is not None and timer.item == topic.id else ""
            rows.append(
                (
                    topic.id,
                    [
                        f"{now}{number}",
                        topic.text,
                        topic.submitted_by,
                        topic.outcome or "—",
                        f"#{topic.card_id}" if topic.card_id else "",
                        clock_text(spent) if spent else "",
                    ],
                )
            )
        if rows != self._topic_rows:  # redrawn on every tick: touch the table only when a cell changed
            self._topic_rows = rows
            self.table("topics").fill_text(rows)

    def _render_backlog(self) -> None:
        columns = self.columns
        if columns is None:
            return
        backlog = sorted(
            (c for c in self.cards.values() if c.column == columns.backlog.name),
            key=lambda c: (c.priority.rank, c.position, c.id),
        )
        todo = sum(1 for c in self.cards.values() if c.column == columns.todo.name)
        limit = columns.todo.wip_limit
        room = f"{todo}/{limit}" if limit is not None else f"{todo}"
        self.query_one("#hs-backlog-hint", Static).update(
            f"{columns.backlog.name} by priority · + / − change priority"
            f" · p pulls into {columns.todo.name} ({room})"
        )
        self.table("backlog").fill_text(
            [(c.id, [str(c.id), c.priority.value, c.type.value, c.title, c.assignee or ""]) for c in backlog]
        )

    def _render_detections(self) -> None:
        columns = self.columns
        if columns is None:
            return
        review = columns.review.name if columns.review else None
        detections = [c for c in self.cards.values() if c.kind is Kind.DETECTION]
        detections.sort(key=lambda c: (c.column != review, c.id))
        waiting = sum(1 for c in detections if c.column == review)
        self.query_one("#hs-detections-hint", Static).update(
            f"{waiting} detection(s) in {review or 'review'} · a approves (→ Done) · r rejects with feedback"
            " · f feedback on any detection → tuning card"
        )
        self.table("detections").fill_text(
            [
                (
                    c.id,
                    [
                        str(c.id),
                        c.title,
                        c.column,
                        c.assignee or "",
                        "awaiting approval" if c.column == review else "",
                    ],
                )
                for c in detections
            ]
        )

    def _render_notes(self, record: MeetingRecord) -> None:
        notes_line = self.query_one("#hs-notes", Static)
        timer = self.timer
        notes = record.notes(timer.current) if timer is not None and timer.current is not None else []
        notes_line.display = bool(notes)
        notes_line.update("\n".join(f"✎ {n.actor}: {n.text}" for n in notes))

    # ------------------------------------------------------------------ keys

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        running = self.record is not None
        if action in RUNNING_ONLY:
            return running
        if action in IDLE_ONLY:
            return not running
        if action in SECTION_ACTIONS:
            return running and self.section_kind is SECTION_ACTIONS[action]
        return True

    def _changed(self, result: object | None, message: str | None = None) -> None:
        if result is not None:
            self.reload()
            if message:
                self.notify(message, timeout=3)

    def action_start(self) -> None:
        self._changed(self._attempt(self.socdesk.store.start_meeting), "Handshake started.")

    def _timer(self, act: Act, *, minutes: int = 0, topic_id: int | None = None) -> None:
        store = self.socdesk.store
        self._changed(self._attempt(lambda: store.meeting_timer(act, minutes=minutes, topic_id=topic_id)))

    def action_next(self) -> None:
        self._timer(Act.NEXT)

    def action_back(self) -> None:
        self._timer(Act.PREV)

    def action_pause(self) -> None:
        timer = self.timer
        if timer is not None and timer.running:
            self._timer(Act.RESUME if timer.paused else Act.PAUSE)

    def action_extend(self, minutes: int) -> None:
        self._timer(Act.EXTEND, minutes=minutes)

    def action_end(self) -> None:
        store = self.socdesk.store

        def confirmed(yes: bool | None) -> None:
            if not yes:
                return
            ended = self._attempt(store.end_meeting)
            if isinstance(ended, MeetingRecord):
                self.reload()
                self.write_minutes(ended)

        self.app.push_screen(
            ConfirmScreen("End the handshake for everyone and write the minutes?", confirm="End"), confirmed
        )

    @work(thread=True, exclusive=True, group="minutes")
    def write_minutes(self, record: MeetingRecord) -> None:
        """Write and publish in a thread: a slow publish command must not freeze the console."""
        from socdesk.minutes_publish import log_publish, write_and_publish

        closed = write_and_publish(record, self.config)
        message = f"Minutes written to {closed.path}." if closed.path else (closed.problem or "")
        severity = "warning" if closed.problem else "information"
        if closed.published is not None:
            p = closed.published
            if p.ok:
                message += " Published."
            else:
                message += f" Publishing failed: {p.output or f'exit {p.exit_code}'}."
                severity = "warning"
            self.app.call_from_thread(self._attempt, lambda: log_publish(self.socdesk.store, closed))
        self.app.call_from_thread(
            self.notify, message, title="Handshake ended", severity=severity, timeout=10
        )

    def action_note(self) -> None:
        from socdesk.ui.screens.handshake_forms import TextPrompt

        store = self.socdesk.store
        title = (
            self.record.meeting.agenda.sections[self.timer.current].title
            if self.record and self.timer and self.timer.current is not None
            else ""
        )

        def written(text: str | None) -> None:
            if text:
                self._changed(self._attempt(lambda: store.meeting_note(text)), "Note saved.")

        self.app.push_screen(TextPrompt(f"Facilitator note on {title}", max_length=5000), written)

    def action_topic(self) -> None:
        from socdesk.ui.screens.handshake_forms import TextPrompt

        store = self.socdesk.store

        def submitted(text: str | None) -> None:
            if not text:
                return
            topic = self._attempt(lambda: store.add_topic(text))
            if isinstance(topic, Topic):
                later = " (this meeting's intake has closed: it waits for the next)" if self.record else ""
                self._changed(topic, f"Topic #{topic.id} submitted{later}.")

        self.app.push_screen(TextPrompt("Topic for the next handshake", max_length=300), submitted)

    def action_defer(self) -> None:
        topic_id = self.table("intake").current_key
        topic = next((t for t in self.intake if t.id == topic_id), None)
        if topic is None:
            self.notify("No topic selected.", severity="warning", timeout=4)
            return
        if topic.deferred:
            self.notify(f"Topic #{topic.id} already waits for a later week.", severity="warning", timeout=4)
            return
        store = self.socdesk.store
        self._changed(
            self._attempt(lambda: store.defer_topic(topic.id, expected_version=topic.version)),
            f"Topic #{topic.id} moved to next week.",
        )

    def action_agenda(self) -> None:
        from socdesk.ui.screens.handshake_forms import AgendaForm

        store = self.socdesk.store
        current = self.agenda

        def saved(agenda: Agenda | None) -> None:
            if agenda is not None:
                self._changed(
                    self._attempt(lambda: store.set_agenda(agenda, expected_version=current.version)),
                    "Agenda saved for the team.",
                )

        self.app.push_screen(AgendaForm(current), saved)

    # ---- topics

    def _selected_topic(self) -> Topic | None:
        record = self.record
        key = self.table("topics").current_key
        return record.topic(key) if record is not None and key is not None else None

    def action_discuss(self) -> None:
        topic = self._selected_topic()
        if topic is not None:
            self._timer(Act.ITEM, topic_id=topic.id)

    @on(DataTable.RowSelected, "#topics")
    async def _topic_chosen(self) -> None:
        await self.run_action("discuss")  # as the key does: a read-only console refuses it by name

    def action_outcome(self) -> None:
        from socdesk.ui.screens.handshake_forms import TextPrompt

        topic = self._selected_topic()
        if topic is None:
            return
        store = self.socdesk.store

        def written(text: str | None) -> None:
            if text is not None:
                self._changed(
                    self._attempt(
                        lambda: store.set_topic_outcome(topic.id, text, expected_version=topic.version)
                    )
                )

        self.app.push_screen(
            TextPrompt(f"Outcome of “{topic.text}”", value=topic.outcome, max_length=2000, allow_empty=True),
            written,
        )

    def action_topic_card(self) -> None:
        from socdesk.ui.screens.handshake_forms import TypePrompt

        topic = self._selected_topic()
        if topic is None:
            return
        store = self.socdesk.store

        def chosen(work_type: object) -> None:
            from socdesk.domain.models import WorkType

            if isinstance(work_type, WorkType):
                card = self._attempt(
                    lambda: store.topic_to_card(topic.id, work_type, expected_version=topic.version)
                )
                if isinstance(card, Card):
                    self._changed(card, f"Card #{card.id} added to {card.column}.")

        self.app.push_screen(TypePrompt(f"Add “{topic.text}” to the backlog as which work?"), chosen)

    # ---- backlog

    def _selected_card(self, table: str) -> Card | None:
        key = self.table(table).current_key
        return self.cards.get(key) if key is not None else None

    def _shift_priority(self, steps: int) -> None:
        card = self._selected_card("backlog")
        if card is None:
            return
        order = list(Priority)
        index = min(max(card.priority.rank - steps, 0), len(order) - 1)
        if order[index] is card.priority:
            return
        store = self.socdesk.store
        self._changed(
            self._attempt(lambda: store.refine_priority(card.id, order[index], expected_version=card.version))
        )

    def action_raise_priority(self) -> None:
        self._shift_priority(1)

    def action_lower_priority(self) -> None:
        self._shift_priority(-1)

    def action_pull(self) -> None:
        card = self._selected_card("backlog")
        if card is None:
            return
        store = self.socdesk.store
        try:
            moved = store.pull_card(card.id, expected_version=card.version)
        except WipLimitReached as refusal:

            def forced(reason: str | None) -> None:
                if reason:
                    self._changed(
                        self._attempt(
                            lambda: store.pull_card(
                                card.id, expected_version=card.version, force=True, reason=reason
                            )
                        ),
                        f"#{card.id} pulled past the WIP limit.",
                    )

            self.app.push_screen(ReasonScreen(str(refusal), verb="Pull"), forced)
            return
        except SocdeskError as error:
            self.notify(str(error), title=type(error).__name__, severity="error", timeout=8)
            return
        self._changed(moved, f"#{card.id} pulled into {moved.column}.")

    # ---- detections

    def action_approve(self) -> None:
        card = self._selected_card("detections")
        if card is None:
            return
        store = self.socdesk.store
        self._changed(
            self._attempt(lambda: store.approve_detection(card.id, expected_version=card.version)),
            f"Detection #{card.id} approved.",
        )

    def action_reject(self) -> None:
        from socdesk.ui.screens.handshake_forms import TextPrompt

        card = self._selected_card("detections")
        if card is None:
            return
        store = self.socdesk.store

        def written(text: str | None) -> None:
            if text:
                self._changed(
                    self._attempt(
                        lambda: store.reject_detection(card.id, text, expected_version=card.version)
                    ),
                    f"Detection #{card.id} sent back.",
                )

        self.app.push_screen(
            TextPrompt(f"Why is #{card.id} “{card.title}” rejected?", max_length=2000), written
        )

    def action_feedback(self) -> None:
        from socdesk.ui.screens.handshake_forms import TextPrompt

        card = self._selected_card("detections")
        if card is None:
            return
        store = self.socdesk.store

        def written(text: str | None) -> None:
            if text:
                tuning = self._attempt(lambda: store.tune_detection(card.id, text))
                if isinstance(tuning, Card):
                    self._changed(tuning, f"Tuning card #{tuning.id} added to the backlog.")

        self.app.push_screen(
            TextPrompt(f"Feedback on detection #{card.id} “{card.title}”", max_length=2000), written
        )

    def action_bell(self) -> None:
        self.bell = not self.bell
        self.notify(f"Bell at 80% and 100% of a section: {'on' if self.bell else 'off'}.", timeout=3)

    # ------------------------------------------------------------------ what others change

    def on_store_events(self, events: list[Event]) -> None:
        relevant = RELEVANT if self.record is not None else RELEVANT_IDLE
        if any(event.entity in relevant for event in events):
            self.reload()
