"""Small modal dialogs: confirm, go past a WIP limit (with a reason), set a WIP limit."""

from __future__ import annotations

from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from socdesk.domain.errors import InvalidInput
from socdesk.domain.wip import parse_wip_limit


class ConfirmScreen(ModalScreen[bool]):
    """A yes/no question; ``y`` confirms, ``n``/``esc`` cancels."""

    BINDINGS = [
        Binding("y", "answer(True)", "Yes"),
        Binding("n,escape", "answer(False)", "No"),
    ]

    def __init__(self, question: str, *, confirm: str = "Yes") -> None:
        super().__init__()
        self.question = question
        self.confirm_label = confirm

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(self.question, classes="dialog-text")
            with Horizontal(classes="dialog-buttons"):
                yield Button(f"{self.confirm_label} (y)", variant="error", id="yes")
                yield Button("Cancel (n)", id="no")

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)


class ReasonScreen(ModalScreen[str | None]):
    """A WIP refusal, with the offer to go past the limit anyway: returns the reason, or None."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, refusal: str, *, verb: str = "Move") -> None:
        super().__init__()
        self.refusal = refusal
        self.verb = verb

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog -warning"):
            yield Static(self.refusal, classes="dialog-text", id="refusal")
            yield Label("Reason to go past the limit (recorded in the log):")
            yield Input(placeholder="e.g. P1 incident, needs a second pair of hands", id="reason")
            yield Static("", classes="field-error", id="reason-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button(f"{self.verb} anyway", variant="warning", id="force")
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#reason", Input).focus()

    @on(Input.Submitted, "#reason")
    @on(Button.Pressed, "#force")
    def _force(self) -> None:
        reason = self.query_one("#reason", Input).value.strip()
        if not reason:
            self.query_one("#reason-error", Static).update("A reason is needed to go past a WIP limit.")
            return
        self.dismiss(reason)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


@dataclass(frozen=True)
class NewLimit:
    limit: int | None


class WipLimitScreen(ModalScreen[NewLimit | None]):
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, column: str, current: int | None, count: int) -> None:
        super().__init__()
        self.column = column
        self.current = current
        self.count = count

    def compose(self) -> ComposeResult:
        current = "none" if self.current is None else str(self.current)
        with Vertical(classes="dialog"):
            yield Static(
                f"WIP limit for {self.column} (now {current}; it holds {self.count} cards)",
                classes="dialog-text",
            )
            yield Input(value=current, placeholder="a number, or none", id="limit")
            yield Static("", classes="field-error", id="limit-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Set", variant="primary", id="set")
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#limit", Input).focus()

    @on(Input.Submitted, "#limit")
    @on(Button.Pressed, "#set")
    def _set(self) -> None:
        try:
            limit = parse_wip_limit(self.query_one("#limit", Input).value)
        except InvalidInput as error:
            self.query_one("#limit-error", Static).update(str(error))
            return
        self.dismiss(NewLimit(limit))

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
