"""The app factory the CLI and the tests share: views as Textual modes, live from the change feed."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Mapping
from contextlib import suppress
from functools import partial
from typing import TYPE_CHECKING

from textual import work
from textual.actions import ActionParseResult
from textual.actions import parse as parse_action
from textual.app import App, ScreenStackError, SystemCommand, UnknownModeError
from textual.binding import Binding
from textual.dom import DOMNode
from textual.screen import Screen
from textual.signal import Signal
from textual.theme import BUILTIN_THEMES, Theme

from socdesk import settings
from socdesk.domain.models import Event
from socdesk.store import Store
from socdesk.ui.messages import StoreChanged
from socdesk.ui.screens.board import BoardScreen
from socdesk.ui.themes import ThemeCatalogue, packaged_themes_dir
from socdesk.ui.undo import UndoStack
from socdesk.ui.wallboard import Wallboard, refusal
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

    def __init__(
        self,
        store: Store,
        *,
        live: bool = True,
        theme: str | None = None,
        themes: ThemeCatalogue | None = None,
        wallboard: Wallboard | None = None,
    ) -> None:
        super().__init__()
        self.store = store
        self.live = live
        self.wallboard = wallboard
        self.undo = UndoStack()
        self.store_changed: Signal[list[Event]] = Signal(self, "store-changed")
        self._stop_feed = asyncio.Event()
        self.themes = themes or ThemeCatalogue.load([packaged_themes_dir(), settings.user_themes_dir()])
        self.theme_notices = list(self.themes.problems)
        self._use_themes(theme)
        if wallboard is not None:
            self.add_class("-wallboard")
        self.sub_title = f"{store.location}  ·  you are {store.actor}"

    # ------------------------------------------------------------------ themes

    def _use_themes(self, asked: str | None) -> None:
        """Offer socdesk's themes (and the user's) only: Textual's own lack the work-type colours."""
        for theme in self.themes.themes.values():
            self.register_theme(theme.to_textual())
        self._variable_defaults = self.themes.default_variables
        chosen, notice = self.themes.choose(asked, settings.remembered_theme())
        if notice:
            self.theme_notices.append(notice)
        self.theme = self._remembered = chosen
        for name in BUILTIN_THEMES:
            if name not in self.themes.themes:
                self.unregister_theme(name)

    def get_theme_variable_defaults(self) -> dict[str, str]:
        # A theme that leaves out some of socdesk's variables borrows the default theme's.
        return dict(getattr(self, "_variable_defaults", {}))

    def _on_theme_changed(self, theme: Theme) -> None:
        """A theme picked in the palette is this person's choice from now on (``--theme`` is not)."""
        if theme.name == self._remembered:
            return
        self._remembered = theme.name
        try:
            settings.remember_theme(theme.name)
        except OSError as error:
            self.notify(f"could not remember the theme: {error}", title="Theme", severity="warning")

    def on_mount(self) -> None:
        for notice in self.theme_notices:
            self.notify(notice, title="Theme", severity="warning", timeout=10)
        self.theme_changed_signal.subscribe(self, self._on_theme_changed)
        if self.wallboard is not None:
            self.set_interval(self.wallboard.cycle_seconds, self.next_wallboard_view)
        if self.live:
            self.follow_store()

    # ------------------------------------------------------------------ wallboard

    @property
    def read_only(self) -> bool:
        return self.wallboard is not None or self.store.read_only

    def next_wallboard_view(self) -> None:
        """The wallboard's cycle: Board → Duty → Handshake → Board …"""
        if self.wallboard is None:
            return
        # A tick that comes as the app closes its screens finds nothing left to show.
        with suppress(ScreenStackError, UnknownModeError):
            self.switch_mode(self.wallboard.after(self.current_mode))

    def writes(self, target: object, action: str) -> bool:
        return action in getattr(target, "WRITE_ACTIONS", frozenset())

    async def run_action(
        self,
        action: str | ActionParseResult,
        default_namespace: DOMNode | None = None,
        namespaces: Mapping[str, DOMNode] | None = None,
    ) -> bool:
        """Every key and palette command passes here: a read-only console refuses writes, saying so."""
        if self.read_only:
            destination, name, _ = parse_action(action) if isinstance(action, str) else action
            target = default_namespace if not destination and default_namespace is not None else None
            if target is not None and self.writes(target, name):
                said = self._description(target, action if isinstance(action, str) else name)
                self.notify(refusal(said), title="Read-only", severity="warning")
                return True
        return await super().run_action(action, default_namespace, namespaces)

    @staticmethod
    def _description(target: object, action: str) -> str:
        """The words of the key that runs ``action`` (``move_card(1)`` is "Move →", not "Move ←")."""
        bindings = [b for b in getattr(target, "BINDINGS", ()) if isinstance(b, Binding)]
        exact = [b for b in bindings if b.action == action]
        named = [b for b in bindings if b.action.split("(")[0] == action.split("(")[0]]
        return next((b.description for b in exact + named), "")

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
            if not isinstance(binding, Binding) or not binding.description:
                continue
            if self.read_only and self.writes(screen, binding.action.split("(")[0]):
                continue  # the wallboard offers nothing it would refuse
            yield SystemCommand(
                f"{getattr(screen, 'VIEW_NAME', 'View')}: {binding.description}",
                f"key: {binding.key}",
                partial(screen.run_action, binding.action),
            )

    async def action_quit(self) -> None:
        self._stop_feed.set()
        self.exit(0)


def make_app(
    store: Store, *, live: bool = True, theme: str | None = None, wallboard: Wallboard | None = None
) -> SocdeskApp:
    return SocdeskApp(store, live=live, theme=theme, wallboard=wallboard)


def run_console(store: Store, *, theme: str | None = None, wallboard: Wallboard | None = None) -> int:
    return make_app(store, theme=theme, wallboard=wallboard).run() or 0
