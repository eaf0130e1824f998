"""``?``: every key binding of the view you are on, and the app's own, in one place."""

from __future__ import annotations

from collections.abc import Sequence

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import DataTable, Static

from socdesk.domain.board import FILTER_HELP

HelpSection = tuple[str, Sequence[Binding]]


def keys_of(binding: Binding) -> str:
    return " / ".join(key.strip() for key in binding.key.split(","))


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,question_mark,q", "close", "Close")]

    def __init__(self, sections: Sequence[HelpSection]) -> None:
        super().__init__()
        self.sections = list(sections)

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog help"):
            yield Static("Keys", classes="dialog-title")
            yield DataTable(id="bindings", cursor_type="row", zebra_stripes=True)
            yield Static(f"Filter (/): {FILTER_HELP}; esc clears it.", classes="help-note")
            yield Static("ctrl+p opens the command palette: every action, by name.", classes="help-note")

    def on_mount(self) -> None:
        table = self.query_one("#bindings", DataTable)
        table.add_columns("Where", "Keys", "Does")
        for where, bindings in self.sections:
            for binding in bindings:
                table.add_row(where, keys_of(binding), binding.description or binding.action)
        table.focus()

    def action_close(self) -> None:
        self.dismiss(None)
