"""The new/edit card form: validated by the domain, inline messages, nothing saved until valid.

Saving goes through a ``save`` callback given by the board, so the form holds no store logic. A WIP
refusal offers to go past the limit with a reason; an edit that lost a race reports who changed the
card and when, and lets the user reload it or re-apply their changes on top.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from pydantic import ValidationError
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, Label, Select, Static, TextArea

from socdesk.domain.errors import Conflict, SocdeskError, WipLimitReached
from socdesk.domain.models import Card, CardDraft, CardPatch, Person, Priority, WorkType
from socdesk.ui.screens.dialogs import ReasonScreen

FIELDS = ("title", "type", "priority", "assignee", "description", "security")
# save(values, expected_version, reason) -> the stored card; raises SocdeskError.
Saver = Callable[[CardDraft | CardPatch, int | None, str | None], Card]
Loader = Callable[[int], Card]


class CardForm(ModalScreen[Card | None]):
    BINDINGS = [
        Binding("ctrl+s", "save", "Save"),
        Binding("escape", "cancel", "Cancel"),
    ]

    def __init__(
        self,
        *,
        people: Sequence[Person],
        save: Saver,
        card: Card | None = None,
        column: str | None = None,
        load: Loader | None = None,
    ) -> None:
        super().__init__()
        self.people = list(people)
        self.save = save
        self.card = card
        self.column = column
        self.load = load

    # ------------------------------------------------------------------ layout

    def compose(self) -> ComposeResult:
        heading = f"Edit card #{self.card.id}" if self.card else f"New card in {self.column}"
        with VerticalScroll(classes="dialog form"):
            yield Static(heading, classes="dialog-title")
            yield Static("", id="conflict", classes="conflict")
            with Horizontal(id="conflict-actions", classes="dialog-buttons"):
                yield Button("Reload theirs", id="reload")
                yield Button("Re-apply mine", variant="warning", id="reapply")
            yield Label("Title *")
            yield Input(id="title", placeholder="what needs doing", max_length=200)
            yield Static("", classes="field-error", id="title-error")
            yield Label("Work type *")
            yield Select([(t.value, t.value) for t in WorkType], id="type", prompt="choose a type")
            yield Static("", classes="field-error", id="type-error")
            yield Label("Priority")
            yield Select([(p.value, p.value) for p in Priority], id="priority", allow_blank=False)
            yield Label("Assignee")
            yield Select(
                [(f"{p.name} (@{p.handle})", p.handle) for p in self.people], id="assignee", prompt="nobody"
            )
            yield Static("", classes="field-error", id="assignee-error")
            yield Checkbox("Security-sensitive", id="security")
            yield Label("Description (Markdown)")
            yield TextArea(id="description", soft_wrap=True)
            yield Static("", classes="field-error", id="description-error")
            yield Static("", classes="field-error", id="form-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Save (ctrl+s)", variant="primary", id="save")
                yield Button("Cancel (esc)", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#conflict-actions").display = False
        self.query_one("#conflict").display = False
        if self.card is not None:
            self._fill(self.card)
        else:
            self.query_one("#priority", Select).value = Priority.MEDIUM.value
        self.query_one("#title", Input).focus()

    def _fill(self, card: Card) -> None:
        self.query_one("#title", Input).value = card.title
        self.query_one("#type", Select).value = card.type.value
        self.query_one("#priority", Select).value = card.priority.value
        assignee: Select[str] = self.query_one("#assignee", Select)
        if card.assignee:
            assignee.value = card.assignee
        else:
            assignee.clear()
        self.query_one("#security", Checkbox).value = card.security
        self.query_one("#description", TextArea).text = card.description

    # ------------------------------------------------------------------ values

    def values(self) -> dict[str, Any]:
        """What the form holds now, as raw field values (validated by the domain on save)."""

        def chosen(select_id: str) -> str | None:
            select: Select[str] = self.query_one(select_id, Select)
            return None if select.is_blank() else str(select.value)

        return {
            "title": self.query_one("#title", Input).value,
            "type": chosen("#type"),
            "priority": chosen("#priority"),
            "assignee": chosen("#assignee"),
            "security": self.query_one("#security", Checkbox).value,
            "description": self.query_one("#description", TextArea).text,
        }

    def _show_errors(self, errors: dict[str, str]) -> None:
        for name in ("title", "type", "assignee", "description", "form"):
            self.query_one(f"#{name}-error", Static).update(errors.get(name, ""))

    def _validated(self) -> CardDraft | CardPatch | None:
        values = self.values()
        try:
            if self.card is None:
                return CardDraft.model_validate({**values, "column": self.column})
            changed = {k: v for k, v in values.items() if _stored(self.card, k) != v}
            return CardPatch.model_validate(changed)
        except ValidationError as error:
            errors: dict[str, str] = {}
            for item in error.errors():
                field = str(item["loc"][0]) if item["loc"] else "form"
                message = item["msg"].removeprefix("Value error, ")
                if field == "type" and values["type"] is None:
                    message = "choose a work type"
                errors.setdefault(field if field in FIELDS else "form", message)
            self._show_errors(errors)
            return None

    # ------------------------------------------------------------------ actions

    @on(Button.Pressed, "#save")
    def action_save(self) -> None:
        self._submit(reason=None)

    def _submit(self, *, reason: str | None, version: int | None = None) -> None:
        values = self._validated()
        if values is None:
            return
        if isinstance(values, CardPatch) and not values.changes():
            self.dismiss(None)
            return
        self._show_errors({})
        expected = version if version is not None else (self.card.version if self.card else None)
        try:
            stored = self.save(values, expected, reason)
        except WipLimitReached as refusal:
            self.app.push_screen(
                ReasonScreen(str(refusal), verb="Add"),
                lambda why: self._submit(reason=why) if why else None,
            )
            return
        except Conflict as conflict:
            self._show_conflict(conflict)
            return
        except SocdeskError as error:
            self._show_errors({"form": str(error)})
            return
        self.dismiss(stored)

    def _show_conflict(self, conflict: Conflict) -> None:
        note = self.query_one("#conflict", Static)
        note.update(
            f"{conflict} while you were editing. Reload their version, or re-apply your changes on top."
        )
        note.display = True
        self.query_one("#conflict-actions").display = True

    def _hide_conflict(self) -> None:
        self.query_one("#conflict").display = False
        self.query_one("#conflict-actions").display = False

    @on(Button.Pressed, "#reload")
    def _reload(self) -> None:
        if self.card is None or self.load is None:
            return
        try:
            self.card = self.load(self.card.id)
        except SocdeskError as error:
            self._show_errors({"form": str(error)})
            return
        self._fill(self.card)
        self._hide_conflict()

    @on(Button.Pressed, "#reapply")
    def _reapply(self) -> None:
        """Your changed fields (against the card you opened) on top of the card as it is now."""
        if self.card is None or self.load is None:
            return
        mine = self._validated()
        if not isinstance(mine, CardPatch):
            return
        try:
            current = self.load(self.card.id)
        except SocdeskError as error:
            self._show_errors({"form": str(error)})
            return
        self.card = current
        self._hide_conflict()
        try:
            stored = self.save(mine, current.version, None)
        except Conflict as conflict:
            self._show_conflict(conflict)
            return
        except SocdeskError as error:
            self._show_errors({"form": str(error)})
            return
        self.dismiss(stored)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


def _stored(card: Card, name: str) -> object:
    value = getattr(card, name)
    return value.value if hasattr(value, "value") else value
