"""The Handshake view's forms: a line of text (topic, note, outcome, feedback), a work type, the agenda.

Each returns what was entered (or None on esc); the view makes the store call, so a refusal comes
back here only as the text the view passes to ``error``.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from socdesk.domain.errors import InvalidInput
from socdesk.domain.handshake import Agenda
from socdesk.domain.models import WorkType


class TextPrompt(ModalScreen[str | None]):
    """A question and one line of text; enter saves, esc cancels. Empty text is refused inline."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(
        self,
        question: str,
        *,
        value: str = "",
        placeholder: str = "",
        max_length: int = 0,
        allow_empty: bool = False,
    ) -> None:
        super().__init__()
        self.question = question
        self.value = value
        self.placeholder = placeholder
        self.max_length = max_length
        self.allow_empty = allow_empty

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.question, classes="dialog-text")
            yield Input(value=self.value, placeholder=self.placeholder, max_length=self.max_length, id="text")
            yield Static("", classes="field-error", id="text-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Save (enter)", variant="primary", id="save")
                yield Button("Cancel (esc)", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#text", Input).focus()

    @on(Input.Submitted, "#text")
    @on(Button.Pressed, "#save")
    def _save(self) -> None:
        text = self.query_one("#text", Input).value.strip()
        if not text and not self.allow_empty:
            self.query_one("#text-error", Static).update("Type something first (esc cancels).")
            return
        self.dismiss(text)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


class TypePrompt(ModalScreen[WorkType | None]):
    """Which kind of work a new card is: one key each (b, o, e, u)."""

    BINDINGS = [
        *(Binding(t.letter.lower(), f"pick('{t.value}')", t.value.title()) for t in WorkType),
        Binding("escape", "cancel", "Cancel"),
    ]

    def __init__(self, question: str) -> None:
        super().__init__()
        self.question = question

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(self.question, classes="dialog-text")
            with Horizontal(classes="dialog-buttons"):
                for work_type in WorkType:
                    yield Button(
                        f"{work_type.value} ({work_type.letter.lower()})", id=f"type-{work_type.value}"
                    )

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(WorkType((event.button.id or "").removeprefix("type-")))

    def action_pick(self, value: str) -> None:
        self.dismiss(WorkType(value))

    def action_cancel(self) -> None:
        self.dismiss(None)


class AgendaForm(ModalScreen[Agenda | None]):
    """The team's agenda: minutes per section, the booked slot and the topic rules. Checked by the domain."""

    BINDINGS = [Binding("ctrl+s", "save", "Save"), Binding("escape", "cancel", "Cancel")]

    def __init__(self, agenda: Agenda) -> None:
        super().__init__()
        self.agenda = agenda

    def compose(self) -> ComposeResult:
        agenda = self.agenda
        with Vertical(classes="dialog -wide", id="agenda-form"):
            yield Static(
                "The team's handshake agenda (shared; a running meeting keeps its own)", classes="dialog-text"
            )
            for index, section in enumerate(agenda.sections):
                yield Label(f"{section.title} ({section.kind.value}): minutes")
                yield Input(str(section.minutes), id=f"minutes-{index}", type="integer")
            yield Label("Booked for (weekday and time, empty = not scheduled)")
            yield Input(agenda.schedule or "", id="schedule", placeholder="tue 10:00")
            yield Label("Time zone")
            yield Input(agenda.tz, id="tz")
            yield Label("Topics at most / minutes per topic")
            with Horizontal(classes="dialog-row"):
                yield Input(str(agenda.topic_cap), id="topic-cap", type="integer")
                yield Input(str(agenda.topic_minutes), id="topic-minutes", type="integer")
            yield Static("", classes="field-error", id="agenda-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Save (ctrl+s)", variant="primary", id="save")
                yield Button("Cancel (esc)", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#minutes-0", Input).focus()

    def _value(self, name: str) -> str:
        return self.query_one(f"#{name}", Input).value.strip()

    @on(Button.Pressed, "#save")
    def action_save(self) -> None:
        data = self.agenda.model_dump(mode="json")
        try:
            for index, section in enumerate(data["sections"]):
                section["minutes"] = int(self._value(f"minutes-{index}") or "0")
            data["topic_cap"] = int(self._value("topic-cap") or "0")
            data["topic_minutes"] = int(self._value("topic-minutes") or "0")
        except ValueError:
            self.query_one("#agenda-error", Static).update("Minutes and counts are whole numbers.")
            return
        data["schedule"] = self._value("schedule") or None
        data["tz"] = self._value("tz")
        try:
            agenda = Agenda.from_data(data)
        except InvalidInput as error:
            self.query_one("#agenda-error", Static).update(str(error))
            return
        self.dismiss(agenda)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
