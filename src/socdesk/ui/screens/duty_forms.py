"""The Duty view's forms: an override, a role's rotation, a handover note.

Like the card form: validated by the domain, errors inline under their field, nothing saved until
valid. Saving goes through a callback the view gives, so the forms hold no store logic; a store
refusal (an unknown person, a rotation someone else changed meanwhile) is shown inline too.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from pydantic import TypeAdapter, ValidationError
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, Static, TextArea

from socdesk.domain.duty import (
    HandoverNote,
    NoteCard,
    NoteText,
    Override,
    OverrideDraft,
    Role,
    Rotation,
    parse_handover,
    parse_length,
    parse_moment,
)
from socdesk.domain.errors import Conflict, InvalidInput, NotFound, SocdeskError
from socdesk.domain.models import Person
from socdesk.ui.screens.duty import card_line

OverrideSaver = Callable[[OverrideDraft], Override]
# save(rotation, expected_version) -> the stored rotation; raises SocdeskError (Conflict on a race).
RotationSaver = Callable[[Rotation, int | None], Rotation]
RotationLoader = Callable[[Role], Rotation | None]
NoteSaver = Callable[[Role, str], HandoverNote]

LOCAL_FORMAT = "%Y-%m-%dT%H:%M"
ROLE_OPTIONS = [(f"{role.value} ({role.title})", role.value) for role in Role]

Result = TypeVar("Result")


def local_text(moment: datetime, zone: str) -> str:
    """An instant as the ISO local time the forms take: ``2026-03-09T09:00``."""
    return moment.astimezone(ZoneInfo(zone)).strftime(LOCAL_FORMAT)


def _message(error: ValidationError | SocdeskError | ValueError) -> str:
    if isinstance(error, ValidationError):
        first = error.errors()[0]
        return str(first["msg"]).removeprefix("Value error, ")
    return str(error)


class DutyForm(ModalScreen[Result]):
    """What the three forms share: ctrl+s / enter saves, esc cancels, errors inline per field."""

    BINDINGS = [
        Binding("ctrl+s", "save", "Save"),
        Binding("escape", "cancel", "Cancel"),
    ]
    ERROR_FIELDS: tuple[str, ...] = ()

    def field(self, label: str, name: str, placeholder: str, *, max_length: int = 0) -> ComposeResult:
        """A labelled text input with its inline error line (``#name`` and ``#name-error``)."""
        yield Label(label)
        yield Input(id=name, placeholder=placeholder, max_length=max_length)
        yield Static("", classes="field-error", id=f"{name}-error")

    def buttons(self) -> ComposeResult:
        yield Static("", classes="field-error", id="form-error")
        with Horizontal(classes="dialog-buttons"):
            yield Button("Save (ctrl+s)", variant="primary", id="save")
            yield Button("Cancel (esc)", id="cancel")

    def show_errors(self, errors: Mapping[str, str]) -> None:
        for name in (*self.ERROR_FIELDS, "form"):
            self.query_one(f"#{name}-error", Static).update(errors.get(name, ""))

    def text(self, field: str) -> str:
        return self.query_one(f"#{field}", Input).value

    def chosen(self, field: str) -> str | None:
        select: Select[str] = self.query_one(f"#{field}", Select)
        return None if select.is_blank() else str(select.value)

    @on(Input.Submitted)
    @on(Button.Pressed, "#save")
    def action_save(self) -> None:
        self.submit()

    def submit(self) -> None:
        raise NotImplementedError

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


# ---------------------------------------------------------------------------------- override


class OverrideForm(DutyForm[Override | None]):
    """Someone covers a role for a while: role, person, from, to (local times in the roster's zone)."""

    ERROR_FIELDS = ("role", "person", "starts", "ends", "reason")

    def __init__(
        self,
        *,
        people: Sequence[Person],
        zone: str,
        save: OverrideSaver,
        role: Role = Role.ENGINEER,
        starts: datetime | None = None,
        ends: datetime | None = None,
    ) -> None:
        super().__init__()
        self.people = list(people)
        self.zone = zone
        self.save = save
        self.role = role
        self.starts = starts
        self.ends = ends

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog form", id="override-form"):
            yield Static("New override", classes="dialog-title")
            yield Label("Role *")
            yield Select(ROLE_OPTIONS, id="role", allow_blank=False, value=self.role.value)
            yield Static("", classes="field-error", id="role-error")
            yield Label("Person *")
            yield Select(
                [(f"{p.name} (@{p.handle})", p.handle) for p in self.people],
                id="person",
                prompt="choose a person",
            )
            yield Static("", classes="field-error", id="person-error")
            yield from self.field(f"From * (local time, {self.zone})", "starts", "2026-03-09T09:00")
            yield from self.field(f"To * (local time, {self.zone})", "ends", "2026-03-10T09:00")
            yield from self.field("Reason", "reason", "e.g. sick cover", max_length=200)
            yield from self.buttons()

    def on_mount(self) -> None:
        if self.starts is not None:
            self.query_one("#starts", Input).value = local_text(self.starts, self.zone)
        if self.ends is not None:
            self.query_one("#ends", Input).value = local_text(self.ends, self.zone)
        self.query_one("#person", Select).focus()

    def draft(self) -> OverrideDraft | None:
        errors: dict[str, str] = {}
        person = self.chosen("person")
        if person is None:
            errors["person"] = "choose who covers"
        moments: dict[str, datetime] = {}
        for field in ("starts", "ends"):
            text = self.text(field)
            if not text.strip():
                errors[field] = "give a local date and time, such as 2026-03-09T09:00"
                continue
            try:
                moments[field] = parse_moment(text, zone=self.zone)
            except InvalidInput as error:
                errors[field] = str(error)
        if errors:
            self.show_errors(errors)
            return None
        try:
            return OverrideDraft(
                role=Role(self.chosen("role") or Role.ENGINEER.value),
                person=person or "",
                starts_at=moments["starts"],
                ends_at=moments["ends"],
                reason=self.text("reason"),
            )
        except ValidationError as error:
            for item in error.errors():
                field = str(item["loc"][0]) if item["loc"] else "ends"
                field = {"starts_at": "starts", "ends_at": "ends"}.get(field, field)
                message = str(item["msg"]).removeprefix("Value error, ")
                errors.setdefault(field if field in self.ERROR_FIELDS else "form", message)
            self.show_errors(errors)
            return None

    def submit(self) -> None:
        draft = self.draft()
        if draft is None:
            return
        self.show_errors({})
        try:
            stored = self.save(draft)
        except SocdeskError as error:
            self.show_errors({"form": str(error)})
            return
        self.dismiss(stored)


# ---------------------------------------------------------------------------------- rotation


class RotationForm(DutyForm[Rotation | None]):
    """A role's rotation: members in order, shift length, handover, zone, start date."""

    ERROR_FIELDS = ("members", "length", "handover", "tz", "start")

    def __init__(
        self,
        *,
        rotations: Mapping[Role, Rotation],
        save: RotationSaver,
        load: RotationLoader,
        role: Role = Role.ENGINEER,
        today: date,
        zone: str = "UTC",
    ) -> None:
        super().__init__()
        self.rotations = dict(rotations)
        self.save = save
        self.load = load
        self.role = role
        self.today = today
        self.zone = zone
        self.version: int | None = None

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog form", id="rotation-form"):
            yield Static("Rotation", classes="dialog-title")
            yield Static("", id="conflict", classes="conflict")
            with Horizontal(id="conflict-actions", classes="dialog-buttons"):
                yield Button("Reload theirs", id="reload")
            yield Label("Role *")
            yield Select(ROLE_OPTIONS, id="role", allow_blank=False, value=self.role.value)
            yield from self.field(
                "Members * (handles in turn order, comma-separated)", "members", "alice, bob, carol"
            )
            yield from self.field("Shift length * (such as 7d or 12h)", "length", "7d")
            yield from self.field(
                "Handover * (weekday and local time, such as mon 09:00; or just 09:00)",
                "handover",
                "mon 09:00",
            )
            yield from self.field("Time zone * (IANA name)", "tz", "Europe/London")
            yield from self.field("Start date *", "start", "2026-03-02")
            yield from self.buttons()

    def on_mount(self) -> None:
        self._hide_conflict()
        self._fill(self.rotations.get(self.role))
        self.query_one("#members", Input).focus()

    def _fill(self, rotation: Rotation | None) -> None:
        """The role's rotation as stored (and its version, which guards the save), or defaults."""
        self.version = rotation.version if rotation else None
        values = {
            "members": ", ".join(rotation.members) if rotation else "",
            "length": rotation.length_text if rotation else "7d",
            "handover": rotation.handover_text if rotation else "mon 09:00",
            "tz": rotation.tz if rotation else self.zone,
            "start": rotation.start_date.isoformat() if rotation else self.today.isoformat(),
        }
        for field, value in values.items():
            self.query_one(f"#{field}", Input).value = value
        self.show_errors({})

    @on(Select.Changed, "#role")
    def _role_changed(self, event: Select.Changed) -> None:
        if event.select.is_blank():
            return
        role = Role(str(event.value))
        if role is not self.role:
            self.role = role
            self._hide_conflict()
            self._fill(self.rotations.get(role))

    def rotation(self) -> Rotation | None:
        errors: dict[str, str] = {}
        members = tuple(m.strip() for m in self.text("members").split(",") if m.strip())
        if not members:
            errors["members"] = "list at least one handle"
        values: dict[str, Any] = {"role": self.role, "members": members, "tz": self.text("tz").strip()}
        try:
            values["shift_hours"] = parse_length(self.text("length"))
        except InvalidInput as error:
            errors["length"] = str(error)
        try:
            values["handover_weekday"], values["handover_time"] = parse_handover(self.text("handover"))
        except InvalidInput as error:
            errors["handover"] = str(error)
        try:
            values["start_date"] = date.fromisoformat(self.text("start").strip())
        except ValueError:
            errors["start"] = f"{self.text('start')!r} is not a date such as 2026-03-02"
        try:
            return None if errors else Rotation.model_validate(values)
        except ValidationError as error:
            for item in error.errors():
                field = str(item["loc"][0]) if item["loc"] else "form"
                field = {"shift_hours": "length", "start_date": "start"}.get(field, field)
                message = str(item["msg"]).removeprefix("Value error, ")
                errors.setdefault(field if field in self.ERROR_FIELDS else "form", message)
            return None
        finally:
            self.show_errors(errors)

    def submit(self) -> None:
        rotation = self.rotation()
        if rotation is None:
            return
        try:
            stored = self.save(rotation, self.version)
        except Conflict as conflict:
            self._show_conflict(conflict)
            return
        except SocdeskError as error:
            self.show_errors({"members" if isinstance(error, NotFound) else "form": str(error)})
            return
        self.dismiss(stored)

    def _show_conflict(self, conflict: Conflict) -> None:
        note = self.query_one("#conflict", Static)
        note.update(f"{conflict} while you were editing. Reload theirs, or save again to replace it.")
        note.display = True
        self.query_one("#conflict-actions").display = True
        # Saving again replaces what they saved: the user has been told, so guard against the new version.
        current = self.load(self.role)
        self.version = current.version if current else None

    def _hide_conflict(self) -> None:
        self.query_one("#conflict").display = False
        self.query_one("#conflict-actions").display = False

    @on(Button.Pressed, "#reload")
    def _reload(self) -> None:
        current = self.load(self.role)
        if current is not None:
            self.rotations[self.role] = current
        else:
            self.rotations.pop(self.role, None)
        self._fill(current)
        self._hide_conflict()


# ---------------------------------------------------------------------------------- handover note

NOTE_TEXT: TypeAdapter[str] = TypeAdapter(NoteText)


class NoteForm(DutyForm[HandoverNote | None]):
    """A handover note for a role; the cards it lists are picked by the store when it is saved."""

    ERROR_FIELDS = ("text",)

    def __init__(
        self, *, save: NoteSaver, role: Role = Role.ENGINEER, cards: Sequence[NoteCard] = ()
    ) -> None:
        super().__init__()
        self.save = save
        self.role = role
        self.cards = list(cards)

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog form", id="note-form"):
            yield Static("Handover note", classes="dialog-title")
            yield Label("Role *")
            yield Select(ROLE_OPTIONS, id="role", allow_blank=False, value=self.role.value)
            yield Label("Note * (Markdown)")
            yield TextArea(id="text", soft_wrap=True)
            yield Static("", classes="field-error", id="text-error")
            listed = "\n".join(f"  {card_line(c)}" for c in self.cards) or "  (none right now)"
            yield Static(
                f"It lists open unplanned and in-progress cards by itself:\n{listed}",
                classes="help-note",
                id="note-cards",
                markup=False,
            )
            yield from self.buttons()

    def on_mount(self) -> None:
        self.query_one("#text", TextArea).focus()

    def submit(self) -> None:
        try:
            text = NOTE_TEXT.validate_python(self.query_one("#text", TextArea).text)
        except ValidationError as error:
            self.show_errors(
                {"text": "write something" if "at least" in _message(error) else _message(error)}
            )
            return
        self.show_errors({})
        try:
            note = self.save(Role(self.chosen("role") or Role.ENGINEER.value), text)
        except SocdeskError as error:
            self.show_errors({"form": str(error)})
            return
        self.dismiss(note)
