"""The app factory the CLI and the tests share: views as Textual modes, live from the change feed."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from functools import partial
from typing import TYPE_CHECKING

from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen
from textual.signal import Signal

from socdesk.domain.models import Event
from socdesk.store import Store
from socdesk.ui.messages import StoreChanged
from socdesk.ui.screens.board import BoardScreen
from socdesk.ui.themes import DEFAULT_THEME, load_themes, packaged_themes_dir
from socdesk.ui.undo import UndoStack
from socdesk.ui.widgets.board_column import ColumnView

if TYPE_CHECKING:
    from socdesk.ui.screens.help import HelpSection


def _duty_view() -> Screen[None]:
    # Imported when first shown: the board's first frame need not pay for it.
    from socdesk.ui.screens.duty import DutyView

    return DutyView()


def _handshake_view() -> Screen[None]:
    from socdesk.ui.screens.handshake import HandshakeView

    return HandshakeView()


def _retro_view() -> Screen[None]:
    from socdesk.ui.screens.retro import RetroView

    return RetroView()


def _mix_view() -> Screen[None]:
    from socdesk.ui.screens.mix import MixView

    return MixView()


VIEWS: dict[str, Callable[[], Screen[None]]] = {
    "board": BoardScreen,
    "duty": _duty_view,
    "handshake": _handshake_view,
    "retro": _retro_view,
    "mix": _mix_view,
}


class SocdeskApp(App[int]):
    CSS_PATH = [
        "styles/app.tcss",
        "styles/board.tcss",
        "styles/dialogs.tcss",
        "styles/duty.tcss",
        "styles/handshake.tcss",
        "styles/mix.tcss",
        "styles/retro.tcss",
    ]
    TITLE = "socdesk"
    MODES = dict(VIEWS)
    DEFAULT_MODE = "board"
    BINDINGS = [
        Binding("1", "switch_mode('board')", "Board", show=False, id="view.board"),
        Binding("2", "switch_mode('duty')", "Duty", show=False, id="view.duty"),
        Binding("3", "switch_mode('handshake')", "Handshake", show=False, id="view.handshake"),
        Binding("4", "switch_mode('retro')", "Retro", show=False, id="view.retro"),
        Binding("5", "switch_mode('mix')", "Mix", show=False, id="view.mix"),
        Binding("question_mark", "help", "Help", id="help"),
        Binding("q", "quit", "Quit", id="quit"),
    ]

    def __init__(self, store: Store, *, live: bool = True) -> None:
        super().__init__()
        self.store = store
        self.live = live
        self.undo = UndoStack()
        self.store_changed: Signal[list[Event]] = Signal(self, "store-changed")
        self._stop_feed = asyncio.Event()
        self.theme_problems: list[str] = []
        self._register_themes()
        self.sub_title = f"{store.location}  ·  you are {store.actor}"

    def _register_themes(self) -> None:
        themes, self.theme_problems = load_themes(packaged_themes_dir())
        for theme in themes:
            self.register_theme(theme.to_textual())
        self._variable_defaults = next((dict(t.variables) for t in themes if t.name == DEFAULT_THEME), {})
        self.theme = DEFAULT_THEME

    def get_theme_variable_defaults(self) -> dict[str, str]:
        # Textual's own themes (offered in the palette) lack socdesk's variables: borrow the default's.
        return dict(getattr(self, "_variable_defaults", {}))

    def on_mount(self) -> None:
        for problem in self.theme_problems:
            self.notify(problem, title="Theme skipped", severity="warning")
        if self.live:
            self.follow_store()

    # ------------------------------------------------------------------ live

    @work(exclusive=True, group="store-feed", exit_on_error=False)
    async def follow_store(self) -> None:
        """Relay every batch of new events from the shared file as a ``StoreChanged`` message."""
        feed = self.store.feed()
        try:
            async for events in feed.awatch(self._stop_feed):
                self.post_message(StoreChanged(events))
        finally:
            feed.close()

    def on_store_changed(self, message: StoreChanged) -> None:
        self.store_changed.publish(message.events)

    # ------------------------------------------------------------------ help and palette

    def help_sections(self) -> list[HelpSection]:
        sections: list[HelpSection] = [("Everywhere", [b for b in self.BINDINGS if isinstance(b, Binding)])]
        screen = self.screen
        own = [b for b in screen.BINDINGS if isinstance(b, Binding)]
        if own:
            sections.append((getattr(screen, "VIEW_NAME", "This view"), own))
        if isinstance(screen, BoardScreen):
            sections.append(("In a column", [b for b in ColumnView.BINDINGS if isinstance(b, Binding)]))
        return sections

    def action_help(self) -> None:
        from socdesk.ui.screens.help import HelpScreen

        if isinstance(self.screen, HelpScreen):
            return
        self.push_screen(HelpScreen(self.help_sections()))

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        for name in VIEWS:
            yield SystemCommand(
                f"View: {name.title()}", f"Switch to the {name} view", partial(self.switch_mode, name)
            )
        yield SystemCommand("Help: keys", "Every key binding", self.action_help)
        for binding in screen.BINDINGS:
            if isinstance(binding, Binding) and binding.description:
                yield SystemCommand(
                    f"{getattr(screen, 'VIEW_NAME', 'View')}: {binding.description}",
                    f"key: {binding.key}",
                    partial(screen.run_action, binding.action),
                )

    async def action_quit(self) -> None:
        self._stop_feed.set()
        self.exit(0)


def make_app(store: Store, *, live: bool = True) -> SocdeskApp:
    return SocdeskApp(store, live=live)


def run_console(store: Store) -> int:
    return make_app(store).run() or 0
