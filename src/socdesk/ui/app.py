"""The app factory the CLI and the tests share."""

from __future__ import annotations

import asyncio

from textual import work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.widgets import Footer, Header, Static

from socdesk.store import Store
from socdesk.ui.messages import StoreChanged
from socdesk.ui.overview import Overview

RECENT_EVENTS = 30


class SocdeskApp(App[int]):
    CSS_PATH = "socdesk.tcss"
    TITLE = "socdesk"
    BINDINGS = [Binding("q", "quit", "Quit", id="quit")]

    def __init__(self, store: Store, *, live: bool = True) -> None:
        super().__init__()
        self.store = store
        self.live = live
        self._stop_feed = asyncio.Event()
        self.sub_title = f"{store.location}  ·  you are {store.actor}"

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="store-status")
        yield Overview()
        yield Footer()

    def on_mount(self) -> None:
        self.refresh_from_store()
        if self.live:
            self.follow_store()

    def refresh_from_store(self) -> None:
        store = self.store
        self.query_one(Overview).show(
            store.list_columns(), store.list_cards(), store.recent_events(RECENT_EVENTS)
        )
        self.query_one("#store-status", Static).update(f"up to date with event #{store.last_event_id()}")

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
        self.refresh_from_store()

    async def action_quit(self) -> None:
        self._stop_feed.set()
        self.exit(0)


def make_app(store: Store, *, live: bool = True) -> SocdeskApp:
    return SocdeskApp(store, live=live)


def run_console(store: Store) -> int:
    return make_app(store).run() or 0
