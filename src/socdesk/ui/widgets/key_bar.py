"""The keys of the current view in one line at the bottom.

One widget drawing one line of text, rather than Textual's Footer (a widget per key): the Footer
cost about 0.2 s of start-up, a third of the budget for the first frame.
"""

from __future__ import annotations

from dataclasses import replace

from rich.text import Text
from textual.binding import Binding
from textual.widget import Widget


class KeyBar(Widget):
    """Shows the keys that apply now: a view hides keys by returning False from ``check_action``."""

    COMPONENT_CLASSES = {"keybar--key", "keybar--description"}

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, lambda _screen: self.refresh())

    def render(self) -> Text:
        key_style = self.get_component_rich_style("keybar--key")
        text_style = self.get_component_rich_style("keybar--description")
        line = Text(no_wrap=True, overflow="ellipsis")
        for binding in self._shown():
            first_key = replace(binding, key=binding.key.split(",")[0].strip())
            line.append(f" {self.app.get_key_display(first_key)} ", key_style)
            line.append(f"{binding.description} ", text_style)
        return line

    def _shown(self) -> list[Binding]:
        screen = self.screen
        shown: list[Binding] = []
        for source in (screen.BINDINGS, self.app.BINDINGS):
            shown += [
                b
                for b in source
                if isinstance(b, Binding)
                and b.show
                and b.description
                and screen.check_action(b.action.split("(")[0], ()) is not False
            ]
        return shown
