"""A list of wrapped, keyed entries (retro notes, themes) refilled without losing the reader's place."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.widgets import OptionList
from textual.widgets.option_list import Option


class NoteList(OptionList):
    """Each entry has a key such as ``note:12`` or ``theme:3``; long texts wrap."""

    def fill(self, entries: Sequence[tuple[str, Text | str]]) -> None:
        old_key = self.current_key
        old_index = self.highlighted
        self.clear_options()
        self.add_options(
            [Option(Text(prompt) if isinstance(prompt, str) else prompt, id=key) for key, prompt in entries]
        )
        if not entries:
            return
        keys = [key for key, _ in entries]
        if old_key in keys:
            self.highlighted = keys.index(old_key)
        else:
            self.highlighted = min(max(old_index or 0, 0), len(keys) - 1)

    @property
    def current_key(self) -> str | None:
        index = self.highlighted
        if index is None or not 0 <= index < self.option_count:
            return None
        return self.get_option_at_index(index).id
