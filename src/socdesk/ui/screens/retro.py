"""The Retro view: a facilitated retrospective everyone on the host works in at once.

The facilitator moves the phases (objectives and last actions → write → group → vote → discuss →
actions → closed) and runs an optional phase timer; everyone writes notes, groups, votes and agrees
actions from their own console. What a person sees comes from ``RetroRecord.view``: others' notes
stay hidden while writing when the retro says so, and in an anonymous retro this console remembers
which notes it wrote itself, because the database does not know.
"""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import ContentSwitcher, Markdown, Static

from socdesk.domain.errors import NotFound, SocdeskError
from socdesk.domain.mix import MixReport
from socdesk.domain.models import Event
from socdesk.domain.retro import (
    ACTION_PHASES,
    NOTE_PHASES,
    THEME_PHASES,
    VOTE_PHASES,
    ActionDraft,
    ActionStatus,
    Note,
    NoteColumn,
    NoteView,
    Phase,
    RetroAction,
    RetroDraft,
    RetroRecord,
    ThemeView,
    TimerKind,
)
from socdesk.domain.timer import ZERO, Timer, clock_text
from socdesk.mix_review import default_period, review_mix
from socdesk.settings import LocalConfig, load_config
from socdesk.textfmt import plural
from socdesk.ui.screens.base import ViewScreen
from socdesk.ui.widgets.keyed_table import KeyedTable
from socdesk.ui.widgets.mix_panel import MixPanel
from socdesk.ui.widgets.note_list import NoteList

TICK_SECONDS = 0.5
EXTEND_MINUTES = 2
WARN_AT = 0.8
BOARD_PHASES = (Phase.WRITE, Phase.GROUP, Phase.VOTE)
FACILITATOR_ACTIONS = {"phase", "timer", "pause", "extend", "close"}
OPEN_ONLY = {"note", "delete_note", "group", "ungroup", "vote", "unvote", "action", *FACILITATOR_ACTIONS}
PHASE_ACTIONS = {
    "note": NOTE_PHASES,
    "delete_note": NOTE_PHASES,
    "group": THEME_PHASES,
    "ungroup": THEME_PHASES,
    "vote": VOTE_PHASES,
    "unvote": VOTE_PHASES,
    "action": ACTION_PHASES,
}


class RetroView(ViewScreen):
    VIEW_NAME = "Retro"
    WRITE_ACTIONS = frozenset(
        {
            *("start", "note", "delete_note", "group", "ungroup", "vote", "unvote", "action"),
            *("phase", "timer", "pause", "extend", "close"),
        }
    )
    BINDINGS = [
        Binding("s", "start", "Start retro", id="retro.start"),
        Binding("n", "note", "Note", id="retro.note"),
        Binding("x", "delete_note", "Take back", id="retro.delete"),
        Binding("g", "group", "Theme…", id="retro.group"),
        Binding("G", "ungroup", "Unthemed", id="retro.ungroup", show=False),
        Binding("v", "vote", "Vote", id="retro.vote"),
        Binding("u", "unvote", "Unvote", id="retro.unvote"),
        Binding("a", "action", "Action…", id="retro.action"),
        Binding("N", "phase(1)", "Next phase", id="retro.next"),
        Binding("B", "phase(-1)", "Back", id="retro.back"),
        Binding("T", "timer", "Timer…", id="retro.timer"),
        Binding("space", "pause", "Pause", id="retro.pause"),
        Binding("E", f"extend({EXTEND_MINUTES})", f"+{EXTEND_MINUTES} min", id="retro.extend", show=False),
        Binding("C", "close", "Close", id="retro.close"),
        Binding("left", "column(-1)", "Column left", show=False),
        Binding("right", "column(1)", "Column right", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.record: RetroRecord | None = None
        self.last: RetroRecord | None = None
        self.previous: list[ActionStatus] = []
        self.mine: set[int] = set()
        self.timer: Timer | None = None
        self.config = LocalConfig()
        self._mix_for: tuple[int, int] | None = None
        self._summary_for: tuple[int, int] | None = None

    # ------------------------------------------------------------------ layout

    def compose_body(self) -> ComposeResult:
        with Vertical(id="retro"):
            yield Static(id="retro-head", markup=False)
            with Horizontal(id="retro-phases"):
                for phase in Phase:
                    yield Static(phase.heading, id=f"phase-{phase.value}", classes="phase", markup=False)
                yield Static(id="retro-clock", markup=False)
            yield Static(id="retro-objectives", markup=False)
            yield Static(id="retro-status", markup=False)
            with ContentSwitcher(id="retro-body", initial="retro-idle"):
                with VerticalScroll(id="retro-idle"):
                    yield Static(id="retro-idle-hint", classes="hint", markup=False)
                    yield Markdown(id="retro-summary")
                with VerticalScroll(id="retro-intro"):
                    yield Static(id="retro-previous-title", classes="section-title", markup=False)
                    yield KeyedTable[int](id="previous-actions")
                    yield MixPanel(compact=True, id="retro-mix")
                with Horizontal(id="retro-board"):
                    for column in NoteColumn:
                        with Vertical(classes="note-column"):
                            yield Static(column.heading, classes="column-title", markup=False)
                            yield NoteList(id=f"notes-{column.value}", classes="notes")
                    with Vertical(id="themes-column", classes="note-column"):
                        yield Static("Themes", classes="column-title")
                        yield NoteList(id="themes", classes="notes")
                with Vertical(id="retro-discuss"):
                    yield Static(
                        "Most votes first: themes (with their notes) and notes in no theme, in one order.",
                        classes="hint",
                    )
                    yield NoteList(id="discussion", classes="notes")
                with Vertical(id="retro-actions"):
                    yield Static(id="retro-actions-hint", classes="hint", markup=False)
                    yield KeyedTable[int](id="actions")

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#previous-actions", KeyedTable).add_columns("#", "Action", "Owner", "Due", "Status")
        self.query_one("#actions", KeyedTable).add_columns("#", "Action", "Owner", "Due", "Type", "Card")
        try:
            self.config = load_config()
        except SocdeskError as error:
            self.notify(str(error), title="Settings ignored", severity="warning", timeout=8)
        self.reload()
        self.set_interval(TICK_SECONDS, self.tick)

    # ------------------------------------------------------------------ state

    @property
    def viewer(self) -> str:
        return self.socdesk.store.actor

    @property
    def phase(self) -> Phase | None:
        return self.record.retro.phase if self.record is not None else None

    @property
    def facilitating(self) -> bool:
        return self.record is not None and self.record.retro.facilitator == self.viewer

    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.socdesk.store.get_agenda().tz)

    def today(self) -> date:
        return self.socdesk.store.clock.now().astimezone(self.zone()).date()

    def reload(self) -> None:
        """Re-read the open retro (or the latest one) and redraw."""
        store = self.socdesk.store
        self.record = store.current_retro()
        if self.record is None:
            try:
                self.last = store.get_retro()
            except NotFound:
                self.last = None
            self.previous = []
        else:
            self.previous = store.previous_actions(self.record.retro.id)
        self._redraw_clock()
        self._draw()
        self.refresh_bindings()

    def tick(self) -> None:
        if self.timer is not None:
            self._redraw_clock()

    # ------------------------------------------------------------------ rendering

    def _draw(self) -> None:
        record = self.record
        self._render_head()
        switcher = self.query_one("#retro-body", ContentSwitcher)
        if record is None or self.phase is Phase.CLOSED:
            switcher.current = "retro-idle"
            self._render_idle()
            return
        phase = record.retro.phase
        if phase is Phase.OBJECTIVES:
            switcher.current = "retro-intro"
            self._render_intro(record)
        elif phase in BOARD_PHASES:
            switcher.current = "retro-board"
            self._render_board(record)
            if not self._board_focused():
                self.query_one("#notes-well", NoteList).focus()
        elif phase is Phase.DISCUSS:
            switcher.current = "retro-discuss"
            self._render_discussion(record)
            self.query_one("#discussion", NoteList).focus()
        else:
            switcher.current = "retro-actions"
            self.query_one("#actions", KeyedTable).focus()
        self._render_actions(record)

    def _board_focused(self) -> bool:
        """Whether the focus is on a visible list of the board (three columns, themes)."""
        focused = self.focused
        board = self.query_one("#retro-board")
        return (
            isinstance(focused, NoteList)
            and board in focused.ancestors
            and isinstance(focused.parent, Vertical)
            and focused.parent.display
        )

    def _render_head(self) -> None:
        record = self.record
        head = self.query_one("#retro-head", Static)
        objectives = self.query_one("#retro-objectives", Static)
        status = self.query_one("#retro-status", Static)
        phases = self.query_one("#retro-phases")
        phases.display = record is not None
        objectives.display = record is not None and bool(record.retro.objectives)
        status.display = record is not None
        if record is None:
            head.update("Retro: none open")
            return
        retro = record.retro
        flags = [f"{retro.vote_budget} votes each"]
        if retro.anonymous:
            flags.append("anonymous")
        if retro.hide_notes:
            flags.append("notes hidden while writing")
        head.update(
            f"Retro #{retro.id} \u201c{retro.title}\u201d  ·  "
            f"{retro.period_from:%d %b} → {retro.period_to:%d %b %Y}  ·  "
            f"facilitator {retro.facilitator}  ·  " + " · ".join(flags)
        )
        for phase in Phase:
            label = self.query_one(f"#phase-{phase.value}", Static)
            label.set_class(phase is retro.phase, "-current")
            label.set_class(phase.order < retro.phase.order, "-done")
        objectives.update(f"Objectives: {retro.objectives}")
        status.update(self._status_line(record))

    def _status_line(self, record: RetroRecord) -> str:
        retro = record.retro
        notes = record.view(self.viewer, frozenset(self.mine))
        mine = sum(1 for n in notes if n.mine)
        if retro.phase in (Phase.OBJECTIVES, Phase.WRITE):
            hidden = sum(1 for n in notes if n.hidden)
            others = f"; {hidden} by others, hidden until the group phase" if hidden else ""
            return f"{plural(len(notes), 'note')}: {mine} yours{others}."
        if retro.phase is Phase.VOTE:
            left = record.votes_left(self.viewer)
            return (
                f"You have {left} of {retro.vote_budget} votes left. "
                "v votes for the selected note or theme, u takes one back."
            )
        counts = f"{plural(len(notes), 'note')}, {plural(len(record.themes), 'theme')}"
        if retro.phase is Phase.GROUP:
            return f"{counts}. g puts the selected note into a theme (a new name makes one)."
        return f"{counts}, {plural(len(record.votes), 'vote')}, {plural(len(record.actions), 'action')}."

    def _redraw_clock(self) -> None:
        record = self.record
        self.timer = record.timer(self.socdesk.store.clock.now()) if record is not None else None
        clock = self.query_one("#retro-clock", Static)
        timer = self.timer
        clock.display = timer is not None
        if timer is None:
            return
        up = timer.remaining <= ZERO
        paused = " (paused)" if timer.paused else ""
        clock.update(f"⏱ {clock_text(timer.remaining)}{paused}")
        clock.set_class(up, "-overrun")
        clock.set_class(not up and timer.fraction() >= WARN_AT, "-warning")
        clock.set_class(timer.paused, "-paused")

    def _render_idle(self) -> None:
        hint = self.query_one("#retro-idle-hint", Static)
        summary = self.query_one("#retro-summary", Markdown)
        shown = self.record if self.record is not None else self.last
        if self.record is None:
            closed = " The last one's summary:" if self.last is not None else ""
            hint.update(f"No retro is open. s starts one (you facilitate it).{closed}")
        else:
            hint.update("This retro is closed. Its summary:")
        if shown is None:
            summary.display = False
            return
        summary.display = True
        key = (shown.retro.id, shown.retro.version)
        if key != self._summary_for:
            self._summary_for = key
            summary.update(self._summary_markdown(shown))

    def _summary_markdown(self, record: RetroRecord) -> str:
        from socdesk.retro_summary import render_markdown

        store = self.socdesk.store
        retro = record.retro
        mix = self._attempt(lambda: review_mix(store, retro.period_from, retro.period_to))
        return render_markdown(
            record,
            store.previous_actions(retro.id),
            mix if isinstance(mix, MixReport) else None,
            store.get_agenda().tz,
        )

    def _render_intro(self, record: RetroRecord) -> None:
        retro = record.retro
        title = self.query_one("#retro-previous-title", Static)
        table = self.query_one("#previous-actions", KeyedTable)
        title.update(
            "Last retro's actions and where they are now"
            if self.previous
            else "No earlier retro: no actions to review."
        )
        table.display = bool(self.previous)
        table.fill(
            [
                (
                    s.action.id,
                    [
                        Text(str(s.action.id)),
                        Text(s.action.text),
                        Text(s.action.owner),
                        Text(s.action.due.isoformat()),
                        Text(("✔ " if s.done else "") + s.status),
                    ],
                )
                for s in self.previous
            ]
        )
        key = (retro.id, retro.version)
        if key != self._mix_for:
            self._mix_for = key
            store = self.socdesk.store
            mix = self._attempt(lambda: review_mix(store, retro.period_from, retro.period_to))
            if isinstance(mix, MixReport):
                self.query_one("#retro-mix", MixPanel).show(mix)

    @staticmethod
    def _note_text(view: NoteView, theme: str | None = None, *, votes: bool) -> Text:
        parts = []
        if votes and view.votes:
            parts.append(f"[{view.votes}{'*' * view.my_votes}] ")
        parts.append(view.text)
        if view.mine:
            parts.append("  (yours)")
        if theme:
            parts.append(f"  ‹{theme}›")
        return Text("".join(parts))

    def _render_board(self, record: RetroRecord) -> None:
        mine = frozenset(self.mine)
        names = {t.id: t.name for t in record.themes}
        votes = record.retro.phase is Phase.VOTE
        for column in NoteColumn:
            views = record.column(column, self.viewer, mine)
            if votes:
                views = sorted(views, key=lambda v: (-v.votes, v.note.id))
            self.query_one(f"#notes-{column.value}", NoteList).fill(
                [
                    (
                        f"note:{v.note.id}",
                        self._note_text(v, names.get(v.note.theme_id or 0), votes=votes),
                    )
                    for v in views
                ]
            )
        themes_column = self.query_one("#themes-column")
        themes_column.display = record.retro.phase in (Phase.GROUP, Phase.VOTE)
        self.query_one("#themes", NoteList).fill(
            [
                (f"theme:{t.theme.id}", self._theme_text(t, votes=votes))
                for t in record.theme_views(self.viewer, mine)
            ]
        )

    @staticmethod
    def _theme_text(view: ThemeView, *, votes: bool) -> Text:
        count = plural(len(view.notes), "note")
        dots = f"[{view.votes}{'*' * view.my_votes}] " if votes and view.votes else ""
        total = f" · {plural(view.total, 'vote')} in all" if votes else ""
        return Text(f"{dots}{view.theme.name} ({count}{total})")

    def _render_discussion(self, record: RetroRecord) -> None:
        """Themes (with their notes) and notes in no theme, in one list: most votes first."""
        mine = frozenset(self.mine)
        ranked: list[tuple[int, int, str, str]] = []
        for theme in record.theme_views(self.viewer, mine):
            own = f"  (theme itself: {theme.votes})" if theme.votes else ""
            lines = [f"{theme.total:>3} ▸ {theme.theme.name}{own}"]
            lines += [f"      {n.votes:>2}  {n.note.column.heading}: {n.text}" for n in theme.notes]
            ranked.append((-theme.total, 0, f"theme:{theme.theme.id}", "\n".join(lines)))
        for note in record.ungrouped(self.viewer, mine):
            text = f"{note.votes:>3}   {note.note.column.heading}: {note.text}"
            ranked.append((-note.votes, 1, f"note:{note.note.id}", text))
        # Stable: ties keep themes before loose notes, each in their own order.
        ranked.sort(key=lambda r: (r[0], r[1]))
        self.query_one("#discussion", NoteList).fill([(key, text) for _, _, key, text in ranked])

    def _render_actions(self, record: RetroRecord) -> None:
        hint = self.query_one("#retro-actions-hint", Static)
        hint.update(
            f"{plural(len(record.actions), 'action')} agreed. a adds one: it becomes a card on the board, "
            "assigned to its owner and labelled with this retro."
        )
        self.query_one("#actions", KeyedTable).fill(
            [
                (
                    a.id,
                    [
                        Text(str(a.id)),
                        Text(a.text),
                        Text(a.owner),
                        Text(a.due.isoformat()),
                        Text(a.type.value),
                        Text(f"#{a.card_id}" if a.card_id else "—"),
                    ],
                )
                for a in record.actions
            ]
        )

    # ------------------------------------------------------------------ keys

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        phase = self.phase
        is_open = phase is not None and phase is not Phase.CLOSED
        if action == "start":
            return not is_open
        if action in OPEN_ONLY and not is_open:
            return False
        if action in FACILITATOR_ACTIONS and not self.facilitating:
            return False
        if action == "delete_note" and self.record is not None and self.record.retro.anonymous:
            return False  # nobody is the author of an anonymous note
        if action in PHASE_ACTIONS:
            return phase in PHASE_ACTIONS[action]
        if action in ("pause", "extend"):
            return self.timer is not None
        if action == "column":
            return phase in BOARD_PHASES
        return True

    def _changed(self, result: object | None, message: str | None = None) -> None:
        if result is not None:
            self.reload()
            if message:
                self.notify(message, timeout=3)

    def _selected(self) -> tuple[str, int] | None:
        """What the focused list points at: ("note" | "theme", id)."""
        focused = self.focused
        if not isinstance(focused, NoteList) or focused.current_key is None:
            return None
        kind, _, ident = focused.current_key.partition(":")
        return kind, int(ident)

    def _focused_column(self) -> NoteColumn:
        focused = self.focused
        if isinstance(focused, NoteList) and (focused.id or "").startswith("notes-"):
            return NoteColumn((focused.id or "").removeprefix("notes-"))
        return NoteColumn.WELL

    def action_start(self) -> None:
        from socdesk.ui.screens.retro_forms import RetroForm

        store = self.socdesk.store

        def started(draft: RetroDraft | None) -> None:
            if draft is not None:
                self.mine.clear()
                self._changed(
                    self._attempt(lambda: store.start_retro(draft)), "Retro started: you facilitate it."
                )

        self.app.push_screen(RetroForm(default_period(self.today())), started)

    def action_phase(self, step: int) -> None:
        record = self.record
        if record is None:
            return
        order = record.retro.phase.order + step
        phases = list(Phase)
        if not 0 <= order < len(phases):
            return
        target = phases[order]
        if target is Phase.CLOSED:
            self.action_close()
            return
        store = self.socdesk.store
        self._changed(self._attempt(lambda: store.set_retro_phase(target)), f"Phase: {target.heading}.")

    def action_close(self) -> None:
        from socdesk.ui.screens.handshake_forms import TextPrompt

        store = self.socdesk.store

        def written(text: str | None) -> None:
            if text is None:
                return
            closed = self._attempt(lambda: store.set_retro_phase(Phase.CLOSED, closing_notes=text))
            if isinstance(closed, RetroRecord):
                self.reload()
                self.write_summary(closed)

        self.app.push_screen(
            TextPrompt(
                "Close the retro for everyone. Closing notes (may be empty):",
                max_length=5000,
                allow_empty=True,
            ),
            written,
        )

    @work(thread=True, exclusive=True, group="retro-summary")
    def write_summary(self, record: RetroRecord) -> None:
        from socdesk.retro_summary import write_summary

        markdown = self.app.call_from_thread(self._summary_markdown, record)
        try:
            path = write_summary(record, markdown, self.config.minutes_dir)
        except OSError as error:
            self.app.call_from_thread(
                self.notify,
                f"Summary not written: {error}",
                title="Retro closed",
                severity="warning",
                timeout=10,
            )
            return
        self.app.call_from_thread(
            self.notify, f"Summary written to {path}.", title="Retro closed", timeout=10
        )

    def action_timer(self) -> None:
        from socdesk.ui.screens.handshake_forms import TextPrompt

        store = self.socdesk.store

        def chosen(text: str | None) -> None:
            if not text:
                return
            if not text.isdigit():
                self.notify("Minutes are a whole number.", severity="error")
                return
            self._changed(self._attempt(lambda: store.retro_timer(TimerKind.START, minutes=int(text))))

        self.app.push_screen(TextPrompt("Minutes for this phase's timer", value="5", max_length=3), chosen)

    def action_pause(self) -> None:
        timer, store = self.timer, self.socdesk.store
        if timer is not None:
            kind = TimerKind.RESUME if timer.paused else TimerKind.PAUSE
            self._changed(self._attempt(lambda: store.retro_timer(kind)))

    def action_extend(self, minutes: int) -> None:
        store = self.socdesk.store
        self._changed(self._attempt(lambda: store.retro_timer(TimerKind.EXTEND, minutes=minutes)))

    def action_note(self) -> None:
        from socdesk.ui.screens.retro_forms import NoteForm

        record, store = self.record, self.socdesk.store
        if record is None:
            return

        def written(entry: tuple[NoteColumn, str] | None) -> None:
            if entry is None:
                return
            column, text = entry
            note = self._attempt(lambda: store.add_note(column, text))
            if isinstance(note, Note):
                self.mine.add(note.id)
                self._changed(note)

        self.app.push_screen(NoteForm(self._focused_column(), anonymous=record.retro.anonymous), written)

    def action_delete_note(self) -> None:
        selected, store = self._selected(), self.socdesk.store
        if selected is None or selected[0] != "note":
            self.notify("Select one of your notes first.", severity="warning")
            return
        note_id = selected[1]
        self._changed(self._attempt(lambda: store.delete_note(note_id)), "Note taken back.")

    def action_group(self) -> None:
        from socdesk.ui.screens.handshake_forms import TextPrompt

        record, selected, store = self.record, self._selected(), self.socdesk.store
        if record is None or selected is None or selected[0] != "note":
            self.notify("Select a note first (in one of the three columns).", severity="warning")
            return
        note_id = selected[1]
        names = ", ".join(t.name for t in record.themes) or "none yet"

        def named(name: str | None) -> None:
            if not name:
                return
            theme = next((t for t in record.themes if t.name.casefold() == name.casefold()), None)
            if theme is None:
                self._changed(
                    self._attempt(lambda: store.add_theme(name, [note_id])), f"Theme {name!r} made."
                )
            else:
                self._changed(self._attempt(lambda: store.group_note(note_id, theme.id)))

        self.app.push_screen(TextPrompt(f"Theme for note #{note_id} (themes: {names})", max_length=80), named)

    def action_ungroup(self) -> None:
        selected, store = self._selected(), self.socdesk.store
        if selected is None or selected[0] != "note":
            return
        note_id = selected[1]
        self._changed(self._attempt(lambda: store.group_note(note_id, None)))

    def _vote_target(self) -> dict[str, int] | None:
        selected = self._selected()
        if selected is None:
            self.notify("Select a note or a theme first.", severity="warning")
            return None
        kind, ident = selected
        return {"note_id": ident} if kind == "note" else {"theme_id": ident}

    def action_vote(self) -> None:
        target, store = self._vote_target(), self.socdesk.store
        if target is not None:
            self._changed(self._attempt(lambda: store.vote(**target)))

    def action_unvote(self) -> None:
        target, store = self._vote_target(), self.socdesk.store
        if target is not None:
            self._changed(self._attempt(lambda: store.unvote(**target)))

    def action_action(self) -> None:
        from socdesk.ui.screens.retro_forms import ActionForm

        store = self.socdesk.store

        def agreed(draft: ActionDraft | None) -> None:
            if draft is not None:
                action = self._attempt(lambda: store.add_retro_action(draft))
                if isinstance(action, RetroAction):
                    self._changed(action, f"Action agreed: card #{action.card_id} is on the board.")

        self.app.push_screen(ActionForm(store.list_people(), self.today(), owner=store.actor), agreed)

    def action_column(self, step: int) -> None:
        lists = [
            w for w in self.query(".notes").results(NoteList) if w.display and w.parent and w.parent.display
        ]
        lists = [w for w in lists if w.id != "discussion"]
        if not lists:
            return
        focused = self.focused
        index = lists.index(focused) if focused in lists else -1
        lists[(index + step) % len(lists)].focus()

    # ------------------------------------------------------------------ what others change

    def on_store_events(self, events: list[Event]) -> None:
        if self.phase is Phase.OBJECTIVES and any(e.entity == "card" for e in events):
            self._mix_for = None  # the period's mix moved with the board
        if any(e.entity == "retro" for e in events) or (
            any(e.entity == "card" for e in events) and self.phase in (Phase.OBJECTIVES, Phase.ACTIONS)
        ):
            self.reload()
