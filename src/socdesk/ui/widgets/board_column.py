"""A board column: a header with its WIP state, and a virtual list of cards that draws only what shows."""

from __future__ import annotations

from datetime import datetime

from rich.style import Style
from textual.events import Click
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widgets import Static

from socdesk.domain.board import WipState
from socdesk.domain.models import Card, Column
from socdesk.ui.widgets.card_lines import CARD_COMPONENTS, CARD_HEIGHT, card_lines

WIP_CLASSES = {WipState.OK: "-wip-ok", WipState.AT_LIMIT: "-wip-at-limit", WipState.OVER: "-wip-over"}


class ColumnHeader(Static):
    """``In Progress 3/4`` in the style of its WIP state, and the bottleneck mark.

    Two lines: when the name and count do not fit on one, the count moves down next to the mark.
    """

    BOTTLENECK = "⧗ bottleneck"
    BOTTLENECK_SHORT = "⧗"
    ACTIVE_MARK = "▸ "

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._parts: tuple[str, str, bool] = ("", "", False)
        self._active = False

    def show(
        self, column: Column, count: int, state: WipState, *, shown: int | None, is_bottleneck: bool
    ) -> None:
        limit = "" if column.wip_limit is None else f"/{column.wip_limit}"
        counts = f"{count}{limit}"
        if shown is not None and shown != count:
            counts += f" ({shown} shown)"
        for css_class in WIP_CLASSES.values():
            self.set_class(css_class == WIP_CLASSES[state], css_class)
        self.set_class(is_bottleneck, "-bottleneck")
        self._set_parts((column.name, counts, is_bottleneck))

    def set_active(self, active: bool) -> None:
        if active != self._active:
            self._active = active
            self._layout_text()

    def _set_parts(self, parts: tuple[str, str, bool]) -> None:
        if parts != self._parts:
            self._parts = parts
            self._layout_text()

    def on_resize(self) -> None:
        self._layout_text()

    def _layout_text(self) -> None:
        name, counts, is_bottleneck = self._parts
        name = f"{self.ACTIVE_MARK}{name}" if self._active else name
        width = self.content_region.width or 80
        if len(name) + 1 + len(counts) <= width:
            first, second = f"{name} {counts}", self.BOTTLENECK if is_bottleneck else ""
        else:
            roomy = len(counts) + 1 + len(self.BOTTLENECK) <= width
            mark = self.BOTTLENECK if roomy else self.BOTTLENECK_SHORT
            first, second = name, f"{counts} {mark}" if is_bottleneck else counts
        self.update(f"{first}\n{second}", layout=False)


class ColumnView(ScrollView, can_focus=False):
    """The cards of one column, with a cursor on a card (by id, so it survives refreshes).

    Columns never take the keyboard focus themselves: the board holds it and tells one column it is
    active. Moving between columns then changes no focus, so Textual need not re-lay the screen out.
    """

    COMPONENT_CLASSES = set(CARD_COMPONENTS)

    cursor: reactive[int] = reactive(0, always_update=True, layout=False)

    class CursorMoved(Message):
        def __init__(self, view: ColumnView) -> None:
            super().__init__()
            self.view = view

    class Clicked(Message):
        def __init__(self, view: ColumnView) -> None:
            super().__init__()
            self.view = view

    def __init__(self, column: str, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.column = column
        self.cards: list[Card] = []
        self.now: datetime | None = None
        self._cursor_id: int | None = None
        self._active = False
        self._cache: dict[tuple[object, ...], list[Strip]] = {}
        self._base: Style | None = None

    # ------------------------------------------------------------------ data

    @property
    def focused_card(self) -> Card | None:
        return self.cards[self.cursor] if 0 <= self.cursor < len(self.cards) else None

    def set_cards(self, cards: list[Card], now: datetime, *, follow: int | None = None) -> None:
        """Show ``cards``; the cursor stays on the same card by id (or on ``follow`` if given)."""
        keep = follow if follow is not None else self._cursor_id
        self.cards = cards
        if now != self.now:
            self._cache.clear()
        self.now = now
        if self.is_mounted:  # before that, on_resize sets the virtual size
            self._resize_virtual(Size(self.size.width, len(cards) * CARD_HEIGHT))
        index = next((i for i, card in enumerate(cards) if card.id == keep), None)
        if index is None:
            index = min(self.cursor, len(cards) - 1)
        self.cursor = max(index, 0)
        self.refresh()

    def _resize_virtual(self, size: Size) -> None:
        """A new card count changes only this column's scroll range: no need to lay out the screen.

        Assigning ``virtual_size`` would (it is a layout reactive), and a full layout plus repaint of the
        board costs far more than the change; so set it quietly and update the scrollbar ourselves.
        """
        if size == self.virtual_size:
            return
        self.set_reactive(ColumnView.virtual_size, size)
        self._scroll_update(size)
        self.refresh()

    def select_card(self, card_id: int) -> bool:
        for index, card in enumerate(self.cards):
            if card.id == card_id:
                self.cursor = index
                return True
        return False

    def watch_cursor(self, cursor: int) -> None:
        card = self.focused_card
        self._cursor_id = card.id if card else None
        if self.cards:
            self.scroll_to_region(
                Region(0, cursor * CARD_HEIGHT, 1, CARD_HEIGHT), animate=False, immediate=True, x_axis=False
            )
        self.refresh()
        self.post_message(self.CursorMoved(self))

    @property
    def active(self) -> bool:
        return self._active

    @active.setter
    def active(self, value: bool) -> None:
        if value != self._active:
            self._active = value
            self.refresh()  # a plain repaint: a CSS class change would restyle the whole column

    def step_cursor(self, step: int) -> None:
        if self.cards:
            self.cursor = min(max(self.cursor + step, 0), len(self.cards) - 1)

    def cursor_to(self, index: int) -> None:
        if self.cards:
            self.cursor = index % len(self.cards)

    # ------------------------------------------------------------------ drawing

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._cache.clear()
        self._base = None

    @property
    def _base_style(self) -> Style:
        """The column's own colours, under every card: segments that set no background get this one,
        not the terminal's (which a light theme on a dark terminal would show)."""
        if self._base is None:
            self._base = self.rich_style
        return self._base

    def on_resize(self) -> None:
        self.virtual_size = Size(self.size.width, len(self.cards) * CARD_HEIGHT)
        self._cache.clear()

    def _style_of(self, name: str) -> Style:
        """A component's own rules only (a priority mark must not repaint the card's tint), with its
        colours as resolved over the column. Unresolved, a translucent colour loses its alpha (the
        unplanned tint, ``$type-unplanned 15%``, would be solid) and an automatic one (``$text-muted``)
        is always light, which a light theme cannot read."""
        own = self.get_component_rich_style(name, partial=True)
        if own.color is None and own.bgcolor is None:
            return own
        resolved = self.get_component_rich_style(name)
        return own + Style(
            color=resolved.color if own.color is not None else None,
            bgcolor=resolved.bgcolor if own.bgcolor is not None else None,
        )

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        line = y + self.scroll_offset.y
        index, row = divmod(line, CARD_HEIGHT)
        if index >= len(self.cards) or self.now is None:
            return Strip.blank(width, self._base_style)
        card = self.cards[index]
        cursor = index == self.cursor and self._active
        key = (card.id, card.version, width, cursor)
        lines = self._cache.get(key)
        if lines is None:
            if len(self._cache) > 4 * 1024:
                self._cache.clear()
            drawn = card_lines(card, width, self.now, self._style_of, cursor=cursor)
            lines = self._cache[key] = [line.apply_style(self._base_style) for line in drawn]
        return lines[row]

    def on_click(self, event: Click) -> None:
        index = (event.y + self.scroll_offset.y) // CARD_HEIGHT
        if 0 <= index < len(self.cards):
            self.cursor = index
        self.post_message(self.Clicked(self))
