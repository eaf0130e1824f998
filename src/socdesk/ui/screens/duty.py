"""The Duty view: who holds each role now, the next four weeks, overrides, rotations, handover notes.

Everything on it is computed from one roster read (``store.get_roster()``) by the domain's rules, at
``store.clock.now()``: re-read whenever another process changes duty, people or cards, and once a
minute because "now" moves. Times are shown in the roster's zone (the rotations' wall clock).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import DataTable, Static

from socdesk.domain.duty import (
    HANDOVER_HORIZON,
    MAX_SHIFT_HOURS,
    HandoverNote,
    NoteCard,
    Override,
    Role,
    Roster,
    Rotation,
    Slot,
    holder,
    holder_shift,
    note_cards,
    schedule,
    to_utc,
    until,
)
from socdesk.domain.models import Event
from socdesk.ui.screens.base import ViewScreen
from socdesk.ui.screens.dialogs import ConfirmScreen
from socdesk.ui.widgets.keyed_table import KeyedTable

# The forms (Select, TextArea) are imported when first opened, as the board does with its card form.

SCHEDULE_DAYS = 28
NOTES_SHOWN = 5
REFRESH_SECONDS = 60
LOOKBACK = timedelta(hours=MAX_SHIFT_HOURS)
# Events after which the view re-reads the roster: duty itself, the names it shows, a whole import,
# and cards (a handover note lists them).
RELEVANT = frozenset({"rotation", "override", "note", "person", "database", "card"})


class DutyTable(KeyedTable[str]):
    """A row-cursor table whose special rows take their look from the stylesheet (duty.tcss)."""

    COMPONENT_CLASSES = DataTable.COMPONENT_CLASSES | {
        "duty-table--gap",
        "duty-table--override",
        "duty-table--swap",
    }

    def cells(self, values: Sequence[str], kind: str | None = None) -> list[Text]:
        style = self.get_component_rich_style(f"duty-table--{kind}", partial=True) if kind else ""
        return [Text(value, style=style) for value in values]


class DutyView(ViewScreen):
    VIEW_NAME = "Duty"
    WRITE_ACTIONS = frozenset({"add_override", "remove_override", "swap", "edit_rotation", "note"})
    BINDINGS = [
        Binding("a", "add_override", "Add override"),
        Binding("x", "remove_override", "Remove override"),
        Binding("s", "swap", "Swap shifts"),
        Binding("escape", "cancel_swap", "Cancel swap", show=False),
        Binding("r", "edit_rotation", "Rotation"),
        Binding("N", "note", "Handover note"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.roster = Roster(people={}, rotations={}, overrides=())
        self.now = datetime.min.replace(tzinfo=UTC)  # set by the first refresh_view
        self.slots: dict[str, Slot] = {}
        self.overrides: dict[str, Override] = {}
        self.swap_from: Slot | None = None

    # ------------------------------------------------------------------ layout

    def compose_body(self) -> ComposeResult:
        with VerticalScroll(id="duty"):
            yield Static("Now", classes="section-title")
            for role in Role:
                yield Static(id=f"now-{role.value}", classes="now-line", markup=False)
            yield Static("Next 4 weeks", classes="section-title", id="schedule-title", markup=False)
            yield Static("", id="swap-hint", markup=False)
            yield DutyTable(id="schedule")
            yield Static("Overrides", classes="section-title")
            yield DutyTable(id="overrides")
            yield Static("none now or ahead (a adds one)", id="no-overrides", classes="empty")
            yield Static("Rotation", classes="section-title")
            for role in Role:
                yield Static(id=f"rotation-{role.value}", classes="rotation-line", markup=False)
            yield Static("Handover notes", classes="section-title")
            for index in range(NOTES_SHOWN):
                yield Static(id=f"note-{index}-head", classes="note-head", markup=False)
                yield Static(id=f"note-{index}-body", classes="note-body", markup=False)
            yield Static("none yet (N writes one)", id="no-notes", classes="empty")

    def on_mount(self) -> None:
        super().on_mount()
        self.table("schedule").add_columns("Role", "From", "To", "Who", "Source")
        self.table("overrides").add_columns("ID", "Role", "Person", "From", "To", "Reason", "Swap")
        self.refresh_view()
        self.table("schedule").focus()
        self.set_interval(REFRESH_SECONDS, self.refresh_view)

    def table(self, name: str) -> DutyTable:
        return self.query_one(f"#{name}", DutyTable)

    # ------------------------------------------------------------------ rendering

    def refresh_view(self) -> None:
        """Re-read the roster and redraw every section."""
        store = self.socdesk.store
        self.now = store.clock.now()
        self.roster = store.get_roster()
        self._render_now()
        self._render_schedule()
        self._render_overrides()
        self._render_rotations()
        self._render_notes(store.list_handover_notes(limit=NOTES_SHOWN))
        self._render_swap_hint()

    def when(self, moment: datetime) -> str:
        """A moment in the roster's zone: ``Mon 09 Mar 09:00`` (with the year when it is not this one)."""
        zone = self.roster.zone
        local = moment.astimezone(zone)
        year = " %Y" if local.year != self.now.astimezone(zone).year else ""
        return local.strftime(f"%a %d %b{year} %H:%M")

    def source(self, slot: Slot) -> str:
        if slot.override_id is None:
            return "rotation" if slot.person is not None else "—"
        override = next((o for o in self.roster.overrides if o.id == slot.override_id), None)
        reason = f": {override.reason}" if override is not None and override.reason else ""
        return f"override #{slot.override_id}{reason}"

    def who(self, slot: Slot) -> str:
        return self.roster.name(slot.person) if slot.person is not None else slot.role.missing

    def _since(self, role: Role, person: str | None) -> datetime:
        """When ``person`` took ``role`` over: the start of their unbroken run up to now."""
        since = self.now
        for slot in reversed(
            schedule(self.roster, role, self.now - LOOKBACK, self.now + timedelta(minutes=1))
        ):
            if slot.start > self.now:
                continue
            if slot.person != person:
                break
            since = slot.start
        return since

    def _render_now(self) -> None:
        horizon = self.now + HANDOVER_HORIZON
        for role in Role:
            line = self.query_one(f"#now-{role.value}", Static)
            current = holder_shift(self.roster, role, self.now)
            change = holder(self.roster, role, self.now)
            planned = change.end < horizon
            ends = f"{self.when(change.end)} (in {until(change.end, self.now)})"
            if current.person is None:
                after = holder(self.roster, role, change.end).person if planned else None
                coming = f" · {self.roster.name(after)} takes over {ends}" if after else " · nobody scheduled"
                line.update(f"{role.missing}{coming}")
            else:
                person = self.roster.people.get(current.person)
                handle = f" (@{current.person})" if person is not None else ""
                line.update(
                    f"{role.title.capitalize()}: {self.roster.name(current.person)}{handle}"
                    f" · since {self.when(self._since(role, current.person))}"
                    f" · until {ends if planned else 'further notice'}"
                    f" · {self.source(current)}"
                )
            line.set_class(current.person is None, "-missing")

    def _schedule_end(self) -> datetime:
        """Four weeks on in the roster's wall-clock time (so a weekly handover stays on the hour)."""
        zone = self.roster.zone
        local = self.now.astimezone(zone).replace(tzinfo=None)
        return to_utc(local + timedelta(days=SCHEDULE_DAYS), zone)

    def _render_schedule(self) -> None:
        end = self._schedule_end()
        slots: list[Slot] = []
        for role in Role:
            current = holder_shift(self.roster, role, self.now)
            start = current.start if current.person is not None and current.start < self.now else self.now
            slots += schedule(self.roster, role, start, end)
        slots.sort(key=lambda slot: (slot.start, list(Role).index(slot.role)))
        self.slots = {f"{slot.role.value}@{slot.start.isoformat()}": slot for slot in slots}
        table = self.table("schedule")
        pending = self._swap_key()
        rows = []
        for key, slot in self.slots.items():
            kind = "swap" if key == pending else ("gap" if slot.person is None else None)
            kind = kind or ("override" if slot.override_id is not None else None)
            values = [
                slot.role.value,
                self.when(slot.start),
                self.when(slot.end),
                self.who(slot),
                self.source(slot),
            ]
            rows.append((key, table.cells(values, kind)))
        table.fill(rows)
        self.query_one("#schedule-title", Static).update(f"Next 4 weeks · times in {self.roster.zone.key}")

    def _render_overrides(self) -> None:
        current = [o for o in self.roster.overrides if o.ends_at > self.now]
        self.overrides = {str(o.id): o for o in current}
        table = self.table("overrides")
        rows = []
        for o in current:
            values = [
                str(o.id),
                o.role.value,
                self.roster.name(o.person),
                self.when(o.starts_at),
                self.when(o.ends_at),
                o.reason,
                f"swap ↔ #{o.swap_id}" if o.swap_id is not None else "",
            ]
            rows.append((str(o.id), table.cells(values)))
        table.fill(rows)
        table.display = bool(rows)
        self.query_one("#no-overrides").display = not rows

    def _render_rotations(self) -> None:
        for role in Role:
            line = self.query_one(f"#rotation-{role.value}", Static)
            rotation = self.roster.rotations.get(role)
            line.update(f"{role.value}: {describe_rotation(rotation)}")
            line.set_class(rotation is None, "-unset")

    def _render_notes(self, notes: Sequence[HandoverNote]) -> None:
        for index in range(NOTES_SHOWN):
            head = self.query_one(f"#note-{index}-head", Static)
            body = self.query_one(f"#note-{index}-body", Static)
            note = notes[index] if index < len(notes) else None
            head.display = body.display = note is not None
            if note is None:
                continue
            author = self.roster.name(note.author)
            head.update(f"{note.role.value} · handover {self.when(note.handover_at)} · {author}")
            body.update("\n".join([note.text, *(f"  {card_line(card)}" for card in note.cards)]))
        self.query_one("#no-notes").display = not notes

    def _render_swap_hint(self) -> None:
        hint = self.query_one("#swap-hint", Static)
        first = self.swap_from
        hint.display = first is not None
        if first is not None:
            hint.update(
                f"Swap {first.role.value} {self.when(first.start)} – {self.when(first.end)}"
                f" ({self.who(first)}) with: select another {first.role.value} shift and press s"
                " or enter; esc cancels."
            )

    # ------------------------------------------------------------------ selection

    def selected_slot(self) -> Slot | None:
        key = self.table("schedule").current_key
        return self.slots.get(key) if key else None

    def selected_override(self) -> Override | None:
        key = self.table("overrides").current_key
        return self.overrides.get(key) if key else None

    def _swap_key(self) -> str | None:
        first = self.swap_from
        if first is None:
            return None
        return next(
            (k for k, s in self.slots.items() if s.role is first.role and s.start <= first.start < s.end),
            None,
        )

    # ------------------------------------------------------------------ changes

    def action_add_override(self) -> None:
        from socdesk.ui.screens.duty_forms import OverrideForm

        store = self.socdesk.store
        slot = self.selected_slot()

        def added(override: Override | None) -> None:
            self.refresh_view()  # also after a cancel: the form may have met a change made meanwhile
            if override is None:
                return
            self.table("overrides").select_key(str(override.id))
            self.notify(
                f"Override #{override.id}: {self.roster.name(override.person)} covers {override.role}."
            )

        self.app.push_screen(
            OverrideForm(
                people=store.list_people(),
                zone=self.roster.zone.key,
                save=store.add_override,
                role=slot.role if slot else Role.ENGINEER,
                starts=slot.start if slot else None,
                ends=slot.end if slot else None,
            ),
            added,
        )

    def action_remove_override(self) -> None:
        override = self.selected_override()
        if override is None:
            self.notify("No override selected: there are none now or ahead.", severity="warning", timeout=4)
            return
        both = f" It is half of a swap: #{override.swap_id} goes too." if override.swap_id else ""
        question = (
            f"Remove override #{override.id}: {self.roster.name(override.person)} as {override.role.value}"
            f" {self.when(override.starts_at)} – {self.when(override.ends_at)}?{both}"
        )

        def confirmed(yes: bool | None) -> None:
            if not yes:
                return
            store = self.socdesk.store
            removed = self._attempt(
                lambda: store.remove_override(override.id, expected_version=override.version)
            )
            if isinstance(removed, list):
                self.refresh_view()
                ids = ", ".join(f"#{o.id}" for o in removed)
                self.notify(f"Removed override {ids}.", timeout=4)

        self.app.push_screen(ConfirmScreen(question, confirm="Remove"), confirmed)

    def action_swap(self) -> None:
        schedule_table = self.table("schedule")
        if not schedule_table.has_focus:
            schedule_table.focus()
        slot = self.selected_slot()
        if slot is None:
            return
        first = self.swap_from
        if first is None:
            if slot.person is None:
                self.notify("Nobody is on that shift: there is nothing to swap.", severity="warning")
                return
            self.swap_from = slot
            self._render_schedule()
            self._render_swap_hint()
            return
        if slot.role is not first.role:
            self.notify(f"Pick another {first.role.value} shift to swap with.", severity="warning")
            return
        if first.start <= slot.start < first.end:
            self.notify("Pick a different shift to swap with (esc cancels).", severity="warning")
            return
        self.swap_from = None
        store = self.socdesk.store
        result = self._attempt(lambda: store.swap_shifts(first.role, first.start, slot.start))
        self.refresh_view()
        if isinstance(result, tuple):
            a, b = result
            self.notify(f"Swapped: {self.roster.name(a.person)} ↔ {self.roster.name(b.person)}.", timeout=4)

    @on(DataTable.RowSelected, "#schedule")
    async def _row_selected(self) -> None:
        if self.swap_from is not None:
            await self.run_action("swap")

    def action_cancel_swap(self) -> None:
        if self.swap_from is not None:
            self.swap_from = None
            self._render_schedule()
            self._render_swap_hint()

    def action_edit_rotation(self) -> None:
        from socdesk.ui.screens.duty_forms import RotationForm

        store = self.socdesk.store
        slot = self.selected_slot()

        def load(role: Role) -> Rotation | None:
            return next((r for r in store.list_rotations() if r.role is role), None)

        def saved(rotation: Rotation | None) -> None:
            self.refresh_view()  # also after a cancel: the form may have met a change made meanwhile
            if rotation is not None:
                self.notify(f"Rotation of the {rotation.role.title} saved.", timeout=4)

        self.app.push_screen(
            RotationForm(
                rotations=self.roster.rotations,
                save=lambda rotation, version: store.set_rotation(rotation, expected_version=version),
                load=load,
                role=slot.role if slot else Role.ENGINEER,
                today=self.now.astimezone(self.roster.zone).date(),
                zone=self.roster.zone.key,
            ),
            saved,
        )

    def action_note(self) -> None:
        from socdesk.ui.screens.duty_forms import NoteForm

        store = self.socdesk.store
        slot = self.selected_slot()

        def written(note: HandoverNote | None) -> None:
            self.refresh_view()
            if note is not None:
                self.notify(f"Handover note saved ({len(note.cards)} cards listed).", timeout=4)

        self.app.push_screen(
            NoteForm(
                save=store.add_handover_note,
                role=slot.role if slot else Role.ENGINEER,
                cards=note_cards(store.list_cards(), store.list_columns()),
            ),
            written,
        )

    # ------------------------------------------------------------------ what others change

    def on_store_events(self, events: list[Event]) -> None:
        if any(event.entity in RELEVANT for event in events):
            self.refresh_view()


def card_line(card: NoteCard) -> str:
    return f"#{card.id} {card.title} [{card.column}]"


def describe_rotation(rotation: Rotation | None) -> str:
    if rotation is None:
        return "no rotation set (r sets one)"
    return (
        f"{' → '.join(rotation.members)} · shift {rotation.length_text} · handover {rotation.handover_text}"
        f" · {rotation.tz} · from {rotation.start_date.isoformat()}"
    )
