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
    """Shows the keys that apply now: a view hides keys by returning False from ``check_action``.

    A read-only console (the wallboard) shows no key that would change shared data, and says it is one.
    """

    COMPONENT_CLASSES = {"keybar--key", "keybar--description", "keybar--banner"}
    READ_ONLY_BANNER = " READ-ONLY WALLBOARD "

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, lambda _screen: self.refresh())

    def render(self) -> Text:
        key_style = self.get_component_rich_style("keybar--key")
        text_style = self.get_component_rich_style("keybar--description")
        line = Text(no_wrap=True, overflow="ellipsis")
        if self._read_only:
            line.append(self.READ_ONLY_BANNER, self.get_component_rich_style("keybar--banner"))
        for binding in self._shown():
            first_key = replace(binding, key=binding.key.split(",")[0].strip())
            line.append(f" {self.app.get_key_display(first_key)} ", key_style)
            line.append(f"{binding.description} ", text_style)
        return line

    @property
    def _read_only(self) -> bool:
        return bool(getattr(self.app, "read_only", False))

    def _shown(self) -> list[Binding]:
        screen = self.screen
        writes: frozenset[str] = frozenset()
        if self._read_only:
            writes = getattr(screen, "WRITE_ACTIONS", frozenset())
        shown: list[Binding] = []
        for source in (screen.BINDINGS, self.app.BINDINGS):
            for b in source:
                action = b.action.split("(")[0] if isinstance(b, Binding) else ""
                if (
                    isinstance(b, Binding)
                    and b.show
                    and b.description
                    and action not in writes
                    and screen.check_action(action, ()) is not False
                ):
                    shown.append(b)
        return shown
