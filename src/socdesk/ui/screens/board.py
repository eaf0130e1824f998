"""The board: columns side by side, cards moved by keyboard, WIP limits enforced, always current."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Input

from socdesk.domain.board import FILTER_HELP, CardFilter, parse_filter
from socdesk.domain.errors import Conflict, InvalidInput, SocdeskError, WipLimitReached
from socdesk.domain.models import Card, CardDraft, CardPatch, Column, Event
from socdesk.ui.board_model import BoardModel
from socdesk.ui.screens.base import ViewScreen
from socdesk.ui.screens.dialogs import ConfirmScreen, NewLimit, ReasonScreen, WipLimitScreen
from socdesk.ui.undo import Added, Deleted, Edited, LimitSet, Moved, Reordered, Undoable
from socdesk.ui.widgets.board_column import ColumnHeader, ColumnView

# The card form and detail screens (Select, TextArea, Markdown) are imported when first opened:
# they cost start-up time and nobody needs them for the first frame.

AGE_REFRESH_SECONDS = 60


def minute(moment: datetime) -> datetime:
    """Ages are shown to the minute: repaint when that changes, not on every tick."""
    return moment.replace(second=0, microsecond=0)


class Board(Horizontal, can_focus=True):
    """The columns side by side. It holds the keyboard focus for all of them (see ColumnView)."""


class BoardScreen(ViewScreen):
    VIEW_NAME = "Board"
    WRITE_ACTIONS = frozenset(
        {"move_card", "reorder", "new_card", "edit_card", "delete_card", "undo", "wip_limit"}
    )
    BINDINGS = [
        Binding("left,h", "focus_column(-1)", "Column ←", show=False),
        Binding("right,l", "focus_column(1)", "Column →", show=False),
        Binding("up,k", "cursor(-1)", "Card ↑", show=False),
        Binding("down,j", "cursor(1)", "Card ↓", show=False),
        Binding("pageup", "cursor(-10)", "Page up", show=False),
        Binding("pagedown", "cursor(10)", "Page down", show=False),
        Binding("home", "cursor_to(0)", "First card", show=False),
        Binding("end", "cursor_to(-1)", "Last card", show=False),
        Binding("shift+left,H", "move_card(-1)", "Move ←"),
        Binding("shift+right,L", "move_card(1)", "Move →"),
        Binding("shift+up,K", "reorder(-1)", "Card up", show=False),
        Binding("shift+down,J", "reorder(1)", "Card down", show=False),
        Binding("n", "new_card", "New"),
        Binding("e", "edit_card", "Edit"),
        Binding("enter", "detail", "Detail"),
        Binding("d", "delete_card", "Delete"),
        Binding("u", "undo", "Undo"),
        Binding("slash", "filter", "Filter"),
        Binding("escape", "clear_filter", "Clear filter", show=False),
        Binding("w", "wip_limit", "WIP limit"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.model = BoardModel()
        self._views: dict[str, ColumnView] = {}
        self._headers: dict[str, ColumnHeader] = {}
        self._bottleneck: str | None = None
        self._active: str | None = None

    # ------------------------------------------------------------------ layout and first load

    def compose_body(self) -> ComposeResult:
        store = self.socdesk.store
        self.model.load(store.list_columns(), store.list_cards())
        for index, column in enumerate(self.model.columns):
            self._headers[column.name] = ColumnHeader(id=f"head-{index}", classes="column-header")
            self._views[column.name] = ColumnView(column.name, id=f"col-{index}")
        # Fill the widgets before they mount, so the first frame is drawn once, complete.
        self._repaint(self.model.column_names)
        first = next((v for v in self._views.values() if v.cards), next(iter(self._views.values()), None))
        if first is not None:
            self.activate(first.column)
        with Board(id="board"):
            for column in self.model.columns:
                with Vertical(classes="board-column"):
                    yield self._headers[column.name]
                    yield self._views[column.name]
        yield Input(placeholder=f"filter: {FILTER_HELP}", id="filter")

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one(Board).focus()
        self.set_interval(AGE_REFRESH_SECONDS, self._tick)

    def _now(self) -> datetime:
        return minute(self.socdesk.store.clock.now())

    def _tick(self) -> None:
        self._repaint(self.model.column_names)

    def _repaint(self, names: Iterable[str], *, follow: Card | None = None) -> None:
        """Push the model's state into the named columns (and every header: the bottleneck may move)."""
        now = self._now()
        for name in names:
            if (view := self._views.get(name)) is not None:
                view.set_cards(self.model.visible(name), now, follow=follow.id if follow else None)
        self._bottleneck = self.model.bottleneck(now)
        shown = self.model.filter.active
        for column in self.model.columns:
            self._headers[column.name].show(
                column,
                self.model.count(column.name),
                self.model.wip(column.name),
                shown=len(self.model.visible(column.name)) if shown else None,
                is_bottleneck=column.name == self._bottleneck,
            )

    # ------------------------------------------------------------------ where the focus is

    @property
    def focused_view(self) -> ColumnView | None:
        """The active column: the one the cursor is in."""
        if self._active is None:
            return None
        return self._views.get(self._active)

    @property
    def focused_card(self) -> Card | None:
        view = self.focused_view
        return view.focused_card if view else None

    def activate(self, column: str) -> None:
        for name, view in self._views.items():
            view.active = name == column
            self._headers[name].set_active(name == column)
        self._active = column
        board = self.query(Board)
        if board and self.focused is None:
            board.first().focus()

    def focus_card(self, card: Card) -> None:
        view = self._views.get(card.column)
        if view is not None:
            view.select_card(card.id)
            self.activate(card.column)

    def action_focus_column(self, step: int) -> None:
        view = self.focused_view
        if view is None:
            return
        target = self.model.neighbour(view.column, step)
        if target is not None:
            other = self._views[target]
            if other.cards:
                other.cursor = min(view.cursor, len(other.cards) - 1)
            self.activate(target)

    def action_cursor(self, step: int) -> None:
        if (view := self.focused_view) is not None:
            view.step_cursor(step)

    def action_cursor_to(self, index: int) -> None:
        if (view := self.focused_view) is not None:
            view.cursor_to(index)

    @on(ColumnView.Clicked)
    def _clicked(self, event: ColumnView.Clicked) -> None:
        self.activate(event.view.column)
        self.query_one(Board).focus()

    # ------------------------------------------------------------------ the changes this user makes

    def _try_change(self, change: Callable[[], Card | Column | None]) -> Card | Column | bool | None:
        """Run one store change; report a refusal as a notice. Returns False when it was refused."""
        try:
            return change()
        except SocdeskError as error:
            self.notify(str(error), title=type(error).__name__, severity="error", timeout=8)
            return False

    def _applied(
        self, cards: Iterable[Card] = (), *, removed: Iterable[int] = (), follow: Card | None = None
    ) -> None:
        touched = self.model.put(cards) | self.model.remove(removed)
        self._repaint(touched, follow=follow)
        if follow is not None:
            self.focus_card(follow)

    def action_move_card(self, step: int) -> None:
        card = self.focused_card
        if card is None:
            return
        target = self.model.neighbour(card.column, step)
        if target is None:
            self.app.bell()
            return
        self._move(card, target, reason=None)

    def _move(self, card: Card, target: str, *, reason: str | None) -> None:
        store = self.socdesk.store
        try:
            after = store.move_card(
                card.id, target, expected_version=card.version, force=reason is not None, reason=reason
            )
        except WipLimitReached as refusal:
            self.app.push_screen(
                ReasonScreen(str(refusal), verb="Move"),
                lambda why: self._move(card, target, reason=why) if why else None,
            )
            return
        except SocdeskError as error:
            self.notify(str(error), title=type(error).__name__, severity="error", timeout=8)
            return
        self.socdesk.undo.push(Moved(card, after))
        self._applied([after], follow=after)

    def action_reorder(self, steps: int) -> None:
        card = self.focused_card
        if card is None:
            return
        store = self.socdesk.store
        result = self._try_change(lambda: store.reorder_card(card.id, steps, expected_version=card.version))
        if isinstance(result, Card) and result.version != card.version:
            self.socdesk.undo.push(Reordered(result, steps))
            self._reload_column(card.column, follow=result)

    def _reload_column(self, column: str, *, follow: Card | None = None) -> None:
        cards = self.socdesk.store.list_cards(column=column)
        self._repaint(self.model.replace_column_cards(column, cards), follow=follow)

    def action_new_card(self) -> None:
        from socdesk.ui.screens.card_form import CardForm

        view = self.focused_view
        column = view.column if view else None
        self.app.push_screen(
            CardForm(people=self.socdesk.store.list_people(), save=self._save_new, column=column),
            self._after_form,
        )

    def _save_new(self, values: CardDraft | CardPatch, _version: int | None, reason: str | None) -> Card:
        if not isinstance(values, CardDraft):
            raise InvalidInput("a new card needs a full draft")
        card = self.socdesk.store.add_card(values, force=reason is not None, reason=reason)
        self.socdesk.undo.push(Added(card))
        return card

    def action_edit_card(self) -> None:
        from socdesk.ui.screens.card_form import CardForm

        card = self.focused_card
        if card is None:
            return
        store = self.socdesk.store

        def save(values: CardDraft | CardPatch, version: int | None, _reason: str | None) -> Card:
            if not isinstance(values, CardPatch):
                raise InvalidInput("an edit needs a patch")
            before = store.get_card(card.id)
            after = store.edit_card(card.id, values, expected_version=version)
            if after.version != before.version:
                self.socdesk.undo.push(Edited(before, after, tuple(sorted(values.changes()))))
            return after

        self.app.push_screen(
            CardForm(people=store.list_people(), save=save, card=card, load=store.get_card), self._after_form
        )

    def _after_form(self, card: Card | None) -> None:
        if card is not None:
            self._applied([card], follow=card)

    def action_detail(self) -> None:
        from socdesk.ui.screens.card_detail import CardDetailScreen

        card = self.focused_card
        if card is None:
            return
        store = self.socdesk.store
        self.app.push_screen(CardDetailScreen(card, store.card_history(card.id)))

    def action_delete_card(self) -> None:
        card = self.focused_card
        if card is None:
            return

        def confirmed(yes: bool | None) -> None:
            if not yes:
                return
            store = self.socdesk.store
            result = self._try_change(lambda: store.delete_card(card.id, expected_version=card.version))
            if isinstance(result, Card):
                self.socdesk.undo.push(Deleted(result))
                self._applied(removed=[card.id])
                self.notify(f"Deleted #{card.id}. Press u to undo.", timeout=5)

        self.app.push_screen(
            ConfirmScreen(f"Delete card #{card.id} “{card.title}”?", confirm="Delete"), confirmed
        )

    def action_wip_limit(self) -> None:
        view = self.focused_view
        if view is None:
            return
        column = self.model.column(view.column)

        def chosen(choice: NewLimit | None) -> None:
            if choice is None:
                return
            store = self.socdesk.store
            result = self._try_change(
                lambda: store.set_wip_limit(column.name, choice.limit, expected_version=column.version)
            )
            if isinstance(result, Column) and result.version != column.version:
                self.socdesk.undo.push(LimitSet(column, result))
                self._repaint(self.model.set_columns(self.socdesk.store.list_columns()))

        self.app.push_screen(
            WipLimitScreen(column.name, column.wip_limit, self.model.count(column.name)), chosen
        )

    def action_undo(self) -> None:
        entry = self.socdesk.undo.pop()
        if entry is None:
            self.notify("Nothing of yours to undo.", timeout=3)
            return
        self._undo(entry, reason=None)

    def _undo(self, entry: Undoable, *, reason: str | None) -> None:
        store = self.socdesk.store
        try:
            result = entry.undo(store, reason=reason)
        except WipLimitReached as refusal:
            self.app.push_screen(
                ReasonScreen(f"Cannot {entry.describe()}: {refusal}", verb="Undo"),
                lambda why: self._undo(entry, reason=why) if why else None,
            )
            return
        except Conflict as conflict:
            self.notify(
                f"Cannot {entry.describe()}: {conflict}", title="Undo refused", severity="error", timeout=8
            )
            return
        except SocdeskError as error:
            self.notify(
                f"Cannot {entry.describe()}: {error}", title="Undo refused", severity="error", timeout=8
            )
            return
        self.socdesk.undo.undone(entry, result)
        self.notify(f"Undone: {entry.describe()}", timeout=3)
        if isinstance(entry, Added):
            self._applied(removed=[entry.card.id])
        elif isinstance(entry, Reordered) and isinstance(result, Card):
            self._reload_column(result.column, follow=result)
        elif isinstance(result, Card):
            self._applied([result], follow=result)
        elif isinstance(result, Column):
            self._repaint(self.model.set_columns(store.list_columns()))

    # ------------------------------------------------------------------ filter

    def action_filter(self) -> None:
        field = self.query_one("#filter", Input)
        field.add_class("-shown")
        field.focus()

    @on(Input.Changed, "#filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        try:
            card_filter = parse_filter(event.value)
        except InvalidInput as error:
            # Half a filter hides nothing: the board shows every card until the filter parses.
            event.input.border_subtitle = str(error)
            event.input.add_class("-invalid-filter")
            self._apply_filter(CardFilter())
            return
        event.input.border_subtitle = ""
        event.input.remove_class("-invalid-filter")
        self._apply_filter(card_filter)

    @on(Input.Submitted, "#filter")
    def _filter_submitted(self) -> None:
        self.query_one(Board).focus()

    def _apply_filter(self, card_filter: CardFilter) -> None:
        self._repaint(self.model.set_filter(card_filter))

    def action_clear_filter(self) -> None:
        field = self.query_one("#filter", Input)
        field.value = ""
        field.border_subtitle = ""
        field.remove_class("-shown")
        self._apply_filter(CardFilter())
        self.query_one(Board).focus()

    # ------------------------------------------------------------------ what others change

    def on_store_events(self, events: list[Event]) -> None:
        """Apply other processes' (and our own, already shown) changes: re-read only what they touched."""
        store = self.socdesk.store
        card_ids: set[int] = set()
        reordered: set[str] = set()
        columns_changed = everything = False
        for event in events:
            if event.entity == "card" and event.action == "card.reorder":
                reordered.add(str((event.meta or {}).get("column", "")))
            elif event.entity == "card" and event.entity_id.isdigit():
                card_ids.add(int(event.entity_id))
            elif event.entity == "column":
                columns_changed = True
            elif event.entity == "database":
                everything = True
        if everything:
            self.model.load(store.list_columns(), store.list_cards())
            self._repaint(self.model.column_names)
            return
        touched: set[str] = set()
        if columns_changed:
            touched |= self.model.set_columns(store.list_columns())
        if card_ids:
            found = {card.id: card for card in store.get_cards(card_ids)}
            fresh = [card for card in found.values() if self.model.cards.get(card.id) != card]
            touched |= self.model.put(fresh)
            touched |= self.model.remove(card_id for card_id in card_ids if card_id not in found)
        for column in reordered & set(self.model.column_names):
            touched |= self.model.replace_column_cards(column, store.list_cards(column=column))
        if touched or columns_changed:
            self._repaint(touched)
