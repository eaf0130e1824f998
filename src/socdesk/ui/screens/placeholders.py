"""Views that later issues fill. Until then each says what it will hold, so nobody wonders."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Static

from socdesk.ui.screens.base import ViewScreen


class PlaceholderView(ViewScreen):
    PROMISE = ""

    def compose_body(self) -> ComposeResult:
        yield Static(f"{self.VIEW_NAME}\n\n{self.PROMISE}", classes="placeholder")


class RetroView(PlaceholderView):
    VIEW_NAME = "Retro"
    PROMISE = (
        "The retro board: went well / didn't go well / can be improved, themes, dot votes, and action "
        "items with owner and date."
    )


class MixView(PlaceholderView):
    VIEW_NAME = "Mix"
    PROMISE = (
        "The work mix: business, operations, engineering and unplanned work per period, trends, and flow "
        "figures (throughput, cycle time, ageing work)."
    )
