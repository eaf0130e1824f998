"""The board, driven for real: every key of the board through Pilot, checked on screen and in the file.

Each test runs the real app on a real SQLite file (``live=False`` unless the change feed is the point)
and asserts on two things: what the board's widgets show, and what reached the database, read back
through the store. Changes by "other people" go through a second store on the same file (actor bob)
or through a real ``socdesk`` subprocess.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from textual.binding import Binding
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, Select, Static

from live import store_changes, until
from socdesk.domain import (
    Card,
    CardDraft,
    CardPatch,
    Event,
    FixedClock,
    NotFound,
    Person,
    Priority,
    WorkType,
)
from socdesk.store import Store, open_store
from socdesk.ui.app import SocdeskApp, make_app
from socdesk.ui.screens.board import Board, BoardScreen
from socdesk.ui.screens.card_detail import CardDetailScreen
from socdesk.ui.screens.card_form import CardForm
from socdesk.ui.screens.dialogs import ConfirmScreen, ReasonScreen, WipLimitScreen
from socdesk.ui.screens.help import HelpScreen, keys_of
from socdesk.ui.widgets.board_column import ColumnHeader, ColumnView
from socdesk.ui.widgets.card_lines import CARD_HEIGHT
from socdesk.ui.widgets.duty_strip import DutyStrip

SIZE = (120, 40)
COLUMNS = ["Backlog", "To Do", "In Progress", "Review", "Done"]
WORK_TYPES = list(WorkType)  # the order the form's type Select offers them in, after its blank prompt


# ------------------------------------------------------------------------------------ helpers


@pytest.fixture
def people(store: Store) -> Store:
    """The store with alice and bob known as people (assignees must be people)."""
    store.add_person(Person(handle="alice", name="Alice Analyst"))
    store.add_person(Person(handle="bob", name="Bob Builder"))
    return store


@pytest.fixture
def bob(db_path: Path, clock: FixedClock, store: Store) -> Iterator[Store]:
    """Another person's store on the same file (``store`` first: it creates the file)."""
    other = open_store(db_path, actor="bob", clock=clock)
    yield other
    other.close()


def add(
    store: Store, title: str, column: str = "Backlog", type: str = "operations", **fields: object
) -> Card:
    return store.add_card(
        CardDraft.model_validate({"title": title, "type": type, "column": column, **fields})
    )


def board(app: SocdeskApp) -> BoardScreen:
    screen = app.screen
    assert isinstance(screen, BoardScreen), f"expected the board, the app shows {screen!r}"
    return screen


def view(app: SocdeskApp, column: str) -> ColumnView:
    views = {v.column: v for v in board(app).query(ColumnView)}
    return views[column]


def header(app: SocdeskApp, column: str) -> ColumnHeader:
    return board(app).query_one(f"#head-{COLUMNS.index(column)}", ColumnHeader)


def header_line(app: SocdeskApp, column: str) -> str:
    """The header's first line without the active-column mark: ``To Do 2/5``."""
    return text(header(app, column)).split("\n")[0].removeprefix(ColumnHeader.ACTIVE_MARK)


def text(widget: Static) -> str:
    return str(widget.content)


def shown(app: SocdeskApp, column: str) -> list[int]:
    """The ids the column's widget shows, top to bottom."""
    return [card.id for card in view(app, column).cards]


def stored(store: Store, column: str) -> list[int]:
    """The ids the database holds in the column, in board order."""
    return [card.id for card in store.list_cards(column=column)]


def focus(app: SocdeskApp) -> tuple[str, int | None]:
    """Which column is active and which card its cursor is on; checks the board holds the keyboard."""
    screen = board(app)
    assert isinstance(screen.focused, Board), f"keyboard focus is on {screen.focused!r}, not the board"
    active = [v.column for v in screen.query(ColumnView) if v.active]
    focused = screen.focused_view
    assert focused is not None
    assert active == [focused.column], f"active columns {active}, focused view {focused.column}"
    card = focused.focused_card
    return focused.column, card.id if card else None


def newest_event(store: Store) -> Event:
    return store.recent_events(1)[0]


def notices(app: SocdeskApp) -> list[tuple[str, str, str]]:
    return [(n.title, n.severity, n.message) for n in app._notifications]


async def put_focus(pilot: Pilot[int], app: SocdeskApp, card: Card) -> None:
    """Set-up only: put the cursor on ``card`` (the navigation keys have their own test)."""
    board(app).focus_card(card)
    await pilot.pause()
    assert focus(app) == (card.column, card.id)


async def clear_and_type(pilot: Pilot[int], value: str) -> None:
    """Replace the focused Input's text the way a person does: to the start, delete to the end, type."""
    await pilot.press("ctrl+a", "ctrl+k", *value)


async def choose_type(pilot: Pilot[int], work_type: WorkType) -> None:
    """With the form's type Select focused: open it, walk down past the blank prompt, pick."""
    await pilot.press("enter", *["down"] * (WORK_TYPES.index(work_type) + 1), "enter")


async def run_socdesk(db_path: Path, tmp_path: Path, *args: str, user: str = "bob") -> str:
    """The real CLI in another process, without blocking the app's event loop."""
    env = {
        **os.environ,
        "SOCDESK_DB": str(db_path),
        "SOCDESK_USER": user,
        "HOME": str(tmp_path / "home"),
        "XDG_DATA_HOME": str(tmp_path / "xdg"),
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "socdesk",
        *args,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0, err.decode()
    return out.decode()


# ------------------------------------------------------------------------------------ navigation


async def test_arrows_and_hjkl_move_the_cursor_between_columns_and_cards(store: Store) -> None:
    b1, b2, b3 = (add(store, f"backlog {n}") for n in range(3))
    t1, t2 = (add(store, f"todo {n}", "To Do") for n in range(2))
    r1 = add(store, "review 0", "Review")
    app = make_app(store, live=False)
    async with app.run_test(size=SIZE) as pilot:
        assert focus(app) == ("Backlog", b1.id)  # the first column with cards
        await pilot.press("down")
        assert focus(app) == ("Backlog", b2.id)
        await pilot.press("j")
        assert focus(app) == ("Backlog", b3.id)
        await pilot.press("j")  # the bottom holds
        assert focus(app) == ("Backlog", b3.id)
        await pilot.press("k")
        assert focus(app) == ("Backlog", b2.id)
        await pilot.press("right")  # same row in the next column
        assert focus(app) == ("To Do", t2.id)
        await pilot.press("up")
        assert focus(app) == ("To Do", t1.id)
        await pilot.press("l")  # an empty column: active, but no card
        assert focus(app) == ("In Progress", None)
        await pilot.press("l")
        assert focus(app) == ("Review", r1.id)
        await pilot.press("right", "right")  # Done is the last: the second press stays
        assert focus(app) == ("Done", None)
        await pilot.press("h", "h", "left")
        assert focus(app) == ("To Do", t1.id)
        await pilot.press("h", "left")  # Backlog is the first
        assert focus(app) == ("Backlog", b1.id)
    # Navigation writes nothing.
    assert store.last_event_id() == 6


async def test_home_end_and_page_keys_jump_within_the_column(store: Store) -> None:
    cards = [add(store, f"backlog {n}") for n in range(14)]
    app = make_app(store, live=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("end")
        assert focus(app) == ("Backlog", cards[-1].id)
        await pilot.press("home")
        assert focus(app) == ("Backlog", cards[0].id)
        await pilot.press("pagedown")
        assert focus(app) == ("Backlog", cards[10].id)
        await pilot.press("pagedown")  # clamped at the bottom
        assert focus(app) == ("Backlog", cards[13].id)
        await pilot.press("pageup")
        assert focus(app) == ("Backlog", cards[3].id)
        await pilot.press("pageup")
        assert focus(app) == ("Backlog", cards[0].id)


async def test_clicking_a_card_focuses_it(store: Store) -> None:
    add(store, "backlog 0")
    todo = [add(store, f"todo {n}", "To Do") for n in range(3)]
    app = make_app(store, live=False)
    async with app.run_test(size=SIZE) as pilot:
        assert focus(app)[0] == "Backlog"
        # The third card's first line, then its last (blank) line: both belong to it.
        await pilot.click("#col-1", offset=(3, 2 * CARD_HEIGHT))
        assert focus(app) == ("To Do", todo[2].id)
        await pilot.click("#col-1", offset=(3, CARD_HEIGHT + CARD_HEIGHT - 1))
        assert focus(app) == ("To Do", todo[1].id)
        # Below the last card: the column becomes active, the cursor stays where it was.
        await pilot.click("#col-1", offset=(3, 5 * CARD_HEIGHT))
        assert focus(app) == ("To Do", todo[1].id)
        # The keys go on from where the mouse put the cursor.
        await pilot.press("k")
        assert focus(app) == ("To Do", todo[0].id)


# ------------------------------------------------------------------------------------ moving


async def test_shift_arrows_and_HL_move_the_card_and_the_focus_follows(store: Store) -> None:
    card = add(store, "contain the host")
    other = add(store, "stays put")
    app = make_app(store, live=False)
    async with app.run_test(size=SIZE) as pilot:
        assert focus(app) == ("Backlog", card.id)
        for key, column in [
            ("shift+right", "To Do"),
            ("L", "In Progress"),
            ("shift+left", "To Do"),
            ("H", "Backlog"),
        ]:
            await pilot.press(key)
            assert store.get_card(card.id).column == column, key
            assert card.id in shown(app, column), key
            assert focus(app) == (column, card.id), key
            event = newest_event(store)
            assert (event.action, event.entity_id, event.actor) == ("card.move", str(card.id), "alice")
        assert shown(app, "To Do") == [] == stored(store, "To Do")
        assert store.get_card(other.id).column == "Backlog"
        # At the left edge there is nowhere to go: nothing is written.
        events = store.last_event_id()
        await pilot.press("shift+left")
        assert store.last_event_id() == events
        assert store.get_card(card.id).column == "Backlog"
        assert focus(app) == ("Backlog", card.id)


async def test_shift_up_down_and_JK_reorder_within_the_column(store: Store) -> None:
    a, b, c = (add(store, name) for name in "abc")
    app = make_app(store, live=False)
    async with app.run_test(size=SIZE) as pilot:
        assert focus(app) == ("Backlog", a.id)
        steps = [
            ("shift+down", [b.id, a.id, c.id]),
            ("J", [b.id, c.id, a.id]),
            ("K", [b.id, a.id, c.id]),
            ("shift+up", [a.id, b.id, c.id]),
        ]
        for key, order in steps:
            await pilot.press(key)
            assert stored(store, "Backlog") == order, key
            assert shown(app, "Backlog") == order, key
            assert focus(app) == ("Backlog", a.id), key
            assert newest_event(store).action == "card.reorder"
        events = store.last_event_id()
        await pilot.press("K")  # already on top
        assert store.last_event_id() == events
        assert stored(store, "Backlog") == [a.id, b.id, c.id]


async def test_a_move_into_a_full_column_is_refused_and_can_be_forced_with_a_reason(store: Store) -> None:
    full = [add(store, f"working {n}", "In Progress") for n in range(4)]  # In Progress: limit 4
    card = add(store, "urgent", "To Do")
    app = make_app(store, live=False)
    async with app.run_test(size=SIZE) as pilot:
        await put_focus(pilot, app, card)
        events = store.last_event_id()

        # Refused: the dialog names the column and its limit; nothing is written.
        await pilot.press("shift+right")
        dialog = app.screen
        assert isinstance(dialog, ReasonScreen)
        assert "In Progress" in text(dialog.query_one("#refusal", Static))
        assert "4/4" in text(dialog.query_one("#refusal", Static))
        assert store.get_card(card.id).column == "To Do"
        assert store.last_event_id() == events

        # Cancelled: still nothing.
        await pilot.press("escape")
        assert focus(app) == ("To Do", card.id)
        assert store.get_card(card.id).column == "To Do"
        assert store.last_event_id() == events

        # An empty (or blank) reason is refused inline.
        await pilot.press("shift+right", "space", "enter")
        assert app.screen is not None and isinstance(app.screen, ReasonScreen)
        assert "reason" in text(app.screen.query_one("#reason-error", Static)).lower()
        assert store.get_card(card.id).column == "To Do"
        assert store.last_event_id() == events

        # A reason forces it, and the log keeps the reason and the limit that was passed.
        await pilot.press(*"P1 incident", "enter")
        assert store.get_card(card.id).column == "In Progress"
        assert stored(store, "In Progress") == [*(c.id for c in full), card.id]
        event = newest_event(store)
        assert event.action == "card.move"
        assert event.meta is not None
        assert event.meta["reason"] == "P1 incident"
        assert event.meta["wip_override"] == {"column": "In Progress", "count": 4, "limit": 4}
        assert focus(app) == ("In Progress", card.id)
        assert header_line(app, "In Progress") == "In Progress 5/4"
        assert header(app, "In Progress").has_class("-wip-over")


# ------------------------------------------------------------------------------------ the form


async def test_new_card_form_refuses_an_incomplete_card(store: Store) -> None:
    existing = add(store, "already here", "To Do")
    app = make_app(store, live=False)
    async with app.run_test(size=SIZE) as pilot:
        await put_focus(pilot, app, existing)
        events = store.last_event_id()
        await pilot.press("n")
        form = app.screen
        assert isinstance(form, CardForm)
        title_error = form.query_one("#title-error", Static)
        type_error = form.query_one("#type-error", Static)

        # Empty: both required fields complain inline, nothing is written.
        await pilot.press("ctrl+s")
        assert app.screen is form
        assert text(title_error) != ""
        assert text(type_error) != ""
        assert store.last_event_id() == events

        # A title alone is still not a card.
        await pilot.press(*"Phishing wave", "ctrl+s")
        assert app.screen is form
        assert text(title_error) == ""
        assert text(type_error) != ""
        assert store.last_event_id() == events
        assert stored(store, "To Do") == [existing.id]

        # The form's own wording for a missing type (card_form.py special-cases it).
        assert text(type_error) == "choose a work type"


async def test_new_card_with_title_and_type_goes_into_the_focused_column(store: Store) -> None:
    existing = add(store, "already here", "To Do")
    app = make_app(store, live=False)
    async with app.run_test(size=SIZE) as pilot:
        await put_focus(pilot, app, existing)
        await pilot.press("n")
        form = app.screen
        assert isinstance(form, CardForm)
        await pilot.press(*"Phishing wave", "tab")
        await choose_type(pilot, WorkType.UNPLANNED)
        assert form.query_one("#type", Select).value == "unplanned"
        await pilot.press("ctrl+s")
        if app.screen is form:
            errors = {
                f: text(form.query_one(f"#{f}-error", Static)) for f in ("title", "type", "assignee", "form")
            }
            pytest.fail(f"the form refused a card with a title and a type: {errors}")
        assert isinstance(app.screen, BoardScreen)
        todo = store.list_cards(column="To Do")
        assert [c.title for c in todo] == ["already here", "Phishing wave"]
        new = todo[-1]
        assert (new.type, new.priority, new.assignee, new.security) == (
            WorkType.UNPLANNED,
            Priority.MEDIUM,
            None,
            False,
        )
        event = newest_event(store)
        assert (event.action, event.entity_id, event.actor) == ("card.add", str(new.id), "alice")
        assert shown(app, "To Do") == [existing.id, new.id]
        assert focus(app) == ("To Do", new.id)


async def test_new_card_form_sets_priority_assignee_and_security(people: Store) -> None:
    store = people
    app = make_app(store, live=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("n", *"Tune EDR exclusions", "tab")
        await choose_type(pilot, WorkType.ENGINEERING)
        await pilot.press("tab", "enter", "up", "up", "enter")  # priority: medium -> critical
        await pilot.press("tab", "enter", "down", "down", "enter")  # assignee: nobody -> alice -> bob
        await pilot.press("tab", "space")  # security-sensitive
        form = app.screen
        assert isinstance(form, CardForm)
        assert form.values() | {"description": ""} == {
            "title": "Tune EDR exclusions",
            "type": "engineering",
            "priority": "critical",
            "assignee": "bob",
            "security": True,
            "description": "",
        }
        await pilot.press("ctrl+s")
        assert isinstance(app.screen, BoardScreen)
        (card,) = store.list_cards()
        assert (card.title, card.type, card.priority, card.assignee, card.security, card.column) == (
            "Tune EDR exclusions",
            WorkType.ENGINEERING,
            Priority.CRITICAL,
            "bob",
            True,
            "Backlog",
        )
        assert shown(app, "Backlog") == [card.id]
        assert focus(app) == ("Backlog", card.id)


async def test_escape_leaves_the_new_card_form_without_writing(store: Store) -> None:
    app = make_app(store, live=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("n")
        assert isinstance(app.screen, CardForm)
        await pilot.press(*"never mind", "escape")
        assert isinstance(app.screen, BoardScreen)
    assert store.list_cards() == []
    assert store.last_event_id() == 0


@pytest.mark.parametrize("assignee", [None, "alice"], ids=["unassigned", "assigned"])
async def test_e_edits_the_focused_card(people: Store, assignee: str | None) -> None:
    store = people
    card = add(store, "Beaconing host", "To Do", assignee=assignee)
    app = make_app(store, live=False)
    async with app.run_test(size=SIZE) as pilot:
        await put_focus(pilot, app, card)
        await pilot.press("e")
        form = app.screen
        assert isinstance(form, CardForm)
        assert form.query_one("#title", Input).value == "Beaconing host"
        assert form.query_one("#type", Select).value == "operations"
        await clear_and_type(pilot, "Beaconing host in HR")
        await pilot.press("ctrl+s")
        assert isinstance(app.screen, BoardScreen)
        after = store.get_card(card.id)
        assert (after.title, after.type, after.assignee) == (
            "Beaconing host in HR",
            WorkType.OPERATIONS,
            assignee,
        )
        assert after.version == card.version + 1
        event = newest_event(store)
        assert (event.action, event.entity_id, event.actor) == ("card.edit", str(card.id), "alice")
        assert event.meta == {"fields": ["title"]}
        assert view(app, "To Do").cards[0] == after
        assert focus(app) == ("To Do", card.id)


async def test_an_edit_that_lost_a_race_shows_the_conflict_and_reapplies_mine_on_top(
    people: Store, bob: Store
) -> None:
    store = people
    card = add(store, "Beaconing host", "To Do", assignee="alice")
    app = make_app(store, live=False)
    async with app.run_test(size=SIZE) as pilot:
        await put_focus(pilot, app, card)
        await pilot.press("e")
        form = app.screen
        assert isinstance(form, CardForm)
        conflict = form.query_one("#conflict", Static)
        assert not conflict.display

        # Meanwhile bob changes another field of the same card.
        theirs = bob.edit_card(
            card.id, CardPatch(description="seen on 3 hosts"), expected_version=card.version
        )

        await clear_and_type(pilot, "Beaconing host in HR")
        await pilot.press("ctrl+s")
        assert app.screen is form
        assert conflict.display
        assert "bob" in text(conflict)
        assert form.query_one("#conflict-actions").display
        assert store.get_card(card.id) == theirs  # nothing of mine overwrote bob's version

        await pilot.click("#reapply")
        assert isinstance(app.screen, BoardScreen)
        now = store.get_card(card.id)
        assert (now.title, now.description) == ("Beaconing host in HR", "seen on 3 hosts")
        assert now.version == theirs.version + 1
        assert newest_event(store).actor == "alice"
        assert view(app, "To Do").cards[0] == now


async def test_an_edit_that_lost_a_race_can_reload_theirs(people: Store, bob: Store) -> None:
    store = people
    card = add(store, "Beaconing host", "To Do", assignee="alice")
    app = make_app(store, live=False)
    async with app.run_test(size=SIZE) as pilot:
        await put_focus(pilot, app, card)
        await pilot.press("e")
        form = app.screen
        assert isinstance(form, CardForm)
        theirs = bob.edit_card(
            card.id, CardPatch(title="Beaconing: bob's take"), expected_version=card.version
        )
        await clear_and_type(pilot, "Beaconing host in HR")
        await pilot.press("ctrl+s")
        assert form.query_one("#conflict", Static).display
        assert "bob" in text(form.query_one("#conflict", Static))

        await pilot.click("#reload")
        assert app.screen is form
        assert form.query_one("#title", Input).value == "Beaconing: bob's take"
        assert not form.query_one("#conflict", Static).display
        assert store.get_card(card.id) == theirs
        events = store.last_event_id()

        # Saving the reloaded form unchanged writes nothing.
        await pilot.press("ctrl+s")
        assert isinstance(app.screen, BoardScreen)
        assert store.last_event_id() == events
        assert store.get_card(card.id) == theirs


# ------------------------------------------------------------------------------------ detail, delete


async def test_enter_shows_the_card_with_its_history(store: Store, clock: FixedClock) -> None:
    card = add(store, "Rotate SIEM keys", "Backlog", type="engineering", description="**before** Friday")
    clock.advance(timedelta(hours=2))
    store.move_card(card.id, "To Do")
    app = make_app(store, live=False)
    async with app.run_test(size=SIZE) as pilot:
        await put_focus(pilot, app, store.get_card(card.id))
        await pilot.press("enter")
        detail = app.screen
        assert isinstance(detail, CardDetailScreen)
        assert detail.card.id == card.id
        assert [e.action for e in detail.history] == ["card.add", "card.move"]
        history = text(detail.query_one("#history", Static)).splitlines()
        assert len(history) == 2
        assert history[0].startswith("2026-03-02 09:00  alice")
        assert history[1].startswith("2026-03-02 11:00  alice")
        assert "To Do" in history[1]
        assert "in To Do" in text(detail.query_one("#facts", Static))
        await pilot.press("escape")
        assert isinstance(app.screen, BoardScreen)


async def test_d_then_y_deletes_and_d_then_n_keeps(store: Store) -> None:
    keep = add(store, "keep me", "To Do")
    doomed = add(store, "delete me", "To Do")
    app = make_app(store, live=False)
    async with app.run_test(size=SIZE) as pilot:
        await put_focus(pilot, app, keep)
        events = store.last_event_id()
        await pilot.press("d")
        assert isinstance(app.screen, ConfirmScreen)
        assert "keep me" in app.screen.question
        await pilot.press("n")
        assert isinstance(app.screen, BoardScreen)
        assert store.get_card(keep.id).title == "keep me"
        assert store.last_event_id() == events

        await put_focus(pilot, app, doomed)
        await pilot.press("d", "y")
        assert isinstance(app.screen, BoardScreen)
        with pytest.raises(NotFound):
            store.get_card(doomed.id)
        event = newest_event(store)
        assert (event.action, event.entity_id) == ("card.delete", str(doomed.id))
        assert shown(app, "To Do") == [keep.id] == stored(store, "To Do")
        assert focus(app) == ("To Do", keep.id)


# ------------------------------------------------------------------------------------ undo


async def test_u_undoes_a_move(store: Store) -> None:
    card = add(store, "contain the host")
    app = make_app(store, live=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("shift+right")
        assert store.get_card(card.id).column == "To Do"
        await pilot.press("u")
        assert store.get_card(card.id).column == "Backlog"
        event = newest_event(store)
        assert (event.action, event.meta) == ("card.move", {"from": "To Do", "to": "Backlog"})
        assert shown(app, "Backlog") == [card.id]
        assert shown(app, "To Do") == []
        assert focus(app) == ("Backlog", card.id)
        events = store.last_event_id()
        await pilot.press("u")  # nothing left of mine
        assert store.last_event_id() == events
        assert notices(app)[-1][2] == "Nothing of yours to undo."


async def test_u_undoes_several_moves_of_one_card_in_turn(store: Store) -> None:
    card = add(store, "contain the host")
    app = make_app(store, live=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("shift+right", "shift+right")
        assert store.get_card(card.id).column == "In Progress"
        await pilot.press("u")
        assert store.get_card(card.id).column == "To Do"
        assert focus(app) == ("To Do", card.id)
        await pilot.press("u")
        assert store.get_card(card.id).column == "Backlog", notices(app)[-1]
        assert shown(app, "Backlog") == [card.id]
        assert focus(app) == ("Backlog", card.id)


async def test_u_undoes_a_reorder(store: Store) -> None:
    a, b, c = (add(store, name) for name in "abc")
    app = make_app(store, live=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("J")
        assert stored(store, "Backlog") == [b.id, a.id, c.id]
        await pilot.press("u")
        assert stored(store, "Backlog") == [a.id, b.id, c.id] == shown(app, "Backlog")
        assert newest_event(store).action == "card.reorder"
        assert focus(app) == ("Backlog", a.id)


async def test_u_undoes_several_reorders_of_one_card_in_turn(store: Store) -> None:
    a, b, c = (add(store, name) for name in "abc")
    app = make_app(store, live=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("J", "J")
        assert stored(store, "Backlog") == [b.id, c.id, a.id]
        await pilot.press("u")
        assert stored(store, "Backlog") == [b.id, a.id, c.id] == shown(app, "Backlog")
        await pilot.press("u")
        assert stored(store, "Backlog") == [a.id, b.id, c.id], notices(app)[-1]
        assert shown(app, "Backlog") == [a.id, b.id, c.id]


async def test_u_undoes_an_add(people: Store) -> None:
    store = people
    first = add(store, "first")
    app = make_app(store, live=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("n", *"Stray card", "tab")
        await choose_type(pilot, WorkType.BUSINESS)
        await pilot.press("tab", "tab", "enter", "down", "enter")  # assignee alice (see the form tests)
        await pilot.press("ctrl+s")
        assert isinstance(app.screen, BoardScreen)
        added = store.list_cards(column="Backlog")[-1]
        assert added.title == "Stray card"
        assert shown(app, "Backlog") == [first.id, added.id]
        await pilot.press("u")
        with pytest.raises(NotFound):
            store.get_card(added.id)
        assert shown(app, "Backlog") == [first.id] == stored(store, "Backlog")
        assert newest_event(store).action == "card.delete"


async def test_u_undoes_a_delete_with_the_same_id(store: Store) -> None:
    card = add(store, "delete me by mistake", "To Do", type="unplanned", priority="high")
    app = make_app(store, live=False)
    async with app.run_test(size=SIZE) as pilot:
        await put_focus(pilot, app, card)
        await pilot.press("d", "y")
        assert store.list_cards() == []
        await pilot.press("u")
        back = store.get_card(card.id)
        assert (back.title, back.column, back.type, back.priority) == (
            card.title,
            "To Do",
            WorkType.UNPLANNED,
            Priority.HIGH,
        )
        assert newest_event(store).action == "card.restore"
        assert shown(app, "To Do") == [card.id]
        assert focus(app) == ("To Do", card.id)


async def test_u_undoes_an_edit(people: Store) -> None:
    store = people
    card = add(store, "old title", "To Do", assignee="alice")  # unassigned: see test_e_edits_the_focused_card
    app = make_app(store, live=False)
    async with app.run_test(size=SIZE) as pilot:
        await put_focus(pilot, app, card)
        await pilot.press("e")
        await clear_and_type(pilot, "new title")
        await pilot.press("ctrl+s")
        assert store.get_card(card.id).title == "new title"
        await pilot.press("u")
        assert store.get_card(card.id).title == "old title"
        assert view(app, "To Do").cards[0].title == "old title"
        assert newest_event(store).action == "card.edit"


async def test_u_undoes_a_wip_limit_change(store: Store) -> None:
    card = add(store, "queued", "To Do")
    app = make_app(store, live=False)
    async with app.run_test(size=SIZE) as pilot:
        await put_focus(pilot, app, card)
        await pilot.press("w")
        await clear_and_type(pilot, "2")
        await pilot.press("enter")
        assert store.list_columns()[1].wip_limit == 2
        assert header_line(app, "To Do") == "To Do 1/2"
        await pilot.press("u")
        assert store.list_columns()[1].wip_limit == 8
        assert header_line(app, "To Do") == "To Do 1/8"
        assert newest_event(store).action == "column.limit"


async def test_undo_is_refused_when_someone_else_changed_the_card_since(store: Store, bob: Store) -> None:
    card = add(store, "contain the host")
    app = make_app(store, live=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("shift+right")
        moved = store.get_card(card.id)
        assert moved.column == "To Do"
        theirs = bob.edit_card(card.id, CardPatch(title="contain host-17"), expected_version=moved.version)
        events = store.last_event_id()
        await pilot.press("u")
        title, severity, message = notices(app)[-1]
        assert (title, severity) == ("Undo refused", "error")
        assert "bob" in message
        assert store.get_card(card.id) == theirs
        assert store.last_event_id() == events


async def test_undoing_a_move_back_into_a_column_filled_since_asks_for_a_reason(
    store: Store, bob: Store
) -> None:
    working = [add(store, f"working {n}", "In Progress") for n in range(4)]
    app = make_app(store, live=False)
    async with app.run_test(size=SIZE) as pilot:
        await put_focus(pilot, app, working[0])
        await pilot.press("shift+right")  # to Review, which has room
        assert store.get_card(working[0].id).column == "Review"
        add(bob, "bob's new work", "In Progress")  # In Progress is full again
        events = store.last_event_id()
        await pilot.press("u")
        assert isinstance(app.screen, ReasonScreen)
        assert store.get_card(working[0].id).column == "Review"
        assert store.last_event_id() == events
        await pilot.press(*"my mistake", "enter")
        assert store.get_card(working[0].id).column == "In Progress"
        meta = newest_event(store).meta
        assert meta is not None
        assert meta["reason"] == "my mistake"


# ------------------------------------------------------------------------------------ filter


@pytest.fixture
def mixed(people: Store) -> Store:
    store = people
    add(
        store, "Phishing wave from payroll lookalike", type="unplanned", priority="critical", assignee="alice"
    )
    add(store, "Rotate SIEM ingest keys", type="engineering", priority="low", assignee="bob")
    add(store, "Beaconing host in HR", "To Do", type="unplanned", priority="high")
    add(store, "Quarterly access review", "To Do", type="business", assignee="alice")
    add(store, "Tune EDR exclusions", "In Progress", priority="critical", assignee="bob")
    return store


def visible_ids(app: SocdeskApp) -> set[int]:
    return {card_id for column in COLUMNS for card_id in shown(app, column)}


@pytest.mark.parametrize(
    ("query", "keep"),
    [
        ("type:unplanned", lambda c: c.type is WorkType.UNPLANNED),
        ("@alice", lambda c: c.assignee == "alice"),
        ("prio:critical", lambda c: c.priority is Priority.CRITICAL),
        ("edr", lambda c: "EDR" in c.title),
        ("type:unplanned @alice", lambda c: c.type is WorkType.UNPLANNED and c.assignee == "alice"),
    ],
)
async def test_slash_filters_the_board(mixed: Store, query: str, keep: Callable[[Card], bool]) -> None:
    store = mixed
    everything = {c.id for c in store.list_cards()}
    expected = {c.id for c in store.list_cards() if keep(c)}
    assert expected and expected != everything
    app = make_app(store, live=False)
    async with app.run_test(size=SIZE) as pilot:
        assert visible_ids(app) == everything
        await pilot.press("slash")
        field = board(app).query_one("#filter", Input)
        assert field.has_focus
        await pilot.press(*query)
        assert visible_ids(app) == expected
        assert not field.has_class("-invalid-filter")
        # Headers count every card and say how many show.
        todo_total = len(stored(store, "To Do"))
        todo_shown = len(shown(app, "To Do"))
        if todo_shown != todo_total:
            assert f"({todo_shown} shown)" in header_line(app, "To Do")
        # Enter hands the keyboard back to the board, filter kept; escape clears it.
        await pilot.press("enter")
        assert isinstance(board(app).focused, Board)
        assert visible_ids(app) == expected
        await pilot.press("escape")
        assert visible_ids(app) == everything
        assert field.value == ""
        assert isinstance(board(app).focused, Board)
        assert "shown" not in header_line(app, "To Do")


async def test_an_invalid_filter_leaves_the_board_unfiltered_and_marks_the_input(mixed: Store) -> None:
    store = mixed
    everything = {c.id for c in store.list_cards()}
    app = make_app(store, live=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("slash", *"type:zzz")
        field = board(app).query_one("#filter", Input)
        assert field.has_class("-invalid-filter")
        assert "type:zzz" in str(field.border_subtitle)
        assert visible_ids(app) == everything
        await pilot.press("escape")
        assert not field.has_class("-invalid-filter")
        assert visible_ids(app) == everything


# ------------------------------------------------------------------------------------ WIP limits


async def test_w_sets_and_removes_the_focused_columns_wip_limit(store: Store) -> None:
    cards = [add(store, f"todo {n}", "To Do") for n in range(2)]
    app = make_app(store, live=False)
    async with app.run_test(size=SIZE) as pilot:
        await put_focus(pilot, app, cards[0])
        assert header_line(app, "To Do") == "To Do 2/8"
        await pilot.press("w")
        dialog = app.screen
        assert isinstance(dialog, WipLimitScreen)
        assert dialog.query_one("#limit", Input).value == "8"
        await clear_and_type(pilot, "5")
        await pilot.press("enter")
        assert isinstance(app.screen, BoardScreen)
        assert store.list_columns()[1].wip_limit == 5
        assert header_line(app, "To Do") == "To Do 2/5"
        assert header(app, "To Do").has_class("-wip-ok")
        event = newest_event(store)
        assert (event.action, event.entity_id) == ("column.limit", "To Do")

        await pilot.press("w")
        await clear_and_type(pilot, "none")
        await pilot.press("enter")
        assert store.list_columns()[1].wip_limit is None
        assert header_line(app, "To Do") == "To Do 2"
        assert header(app, "To Do").has_class("-wip-ok")


@pytest.mark.parametrize("typed", ["0", "abc", "-3"])
async def test_an_invalid_wip_limit_is_refused_inline(store: Store, typed: str) -> None:
    card = add(store, "todo", "To Do")
    app = make_app(store, live=False)
    async with app.run_test(size=SIZE) as pilot:
        await put_focus(pilot, app, card)
        events = store.last_event_id()
        await pilot.press("w")
        await clear_and_type(pilot, typed)
        await pilot.press("enter")
        dialog = app.screen
        assert isinstance(dialog, WipLimitScreen)
        assert text(dialog.query_one("#limit-error", Static)) != ""
        assert store.last_event_id() == events
        assert store.list_columns()[1].wip_limit == 8
        await pilot.press("escape")
        assert isinstance(app.screen, BoardScreen)
        assert store.last_event_id() == events
        assert header_line(app, "To Do") == "To Do 1/8"


async def test_wip_header_classes_follow_the_limit(store: Store) -> None:
    cards = [add(store, f"todo {n}", "To Do") for n in range(3)]
    app = make_app(store, live=False)
    async with app.run_test(size=SIZE) as pilot:
        await put_focus(pilot, app, cards[0])
        head = header(app, "To Do")
        assert head.has_class("-wip-ok")
        for typed, css_class, line in [
            ("2", "-wip-over", "To Do 3/2"),
            ("3", "-wip-at-limit", "To Do 3/3"),
            ("4", "-wip-ok", "To Do 3/4"),
        ]:
            await pilot.press("w")
            await clear_and_type(pilot, typed)
            await pilot.press("enter")
            assert store.list_columns()[1].wip_limit == int(typed)
            assert header_line(app, "To Do") == line
            states = {c for c in ("-wip-ok", "-wip-at-limit", "-wip-over") if head.has_class(c)}
            assert states == {css_class}


# ------------------------------------------------------------------------------------ bottleneck


async def test_the_column_where_cards_wait_longest_is_marked_the_bottleneck(
    store: Store, clock: FixedClock
) -> None:
    # The oldest cards of all are in the intake and in Done, which are not part of the flow.
    add(store, "ancient backlog item")
    add(store, "done long ago", "Done")
    clock.advance(timedelta(hours=1))
    waiting = add(store, "waiting for review")
    for column in ("To Do", "In Progress", "Review"):
        store.move_card(waiting.id, column)
    clock.advance(timedelta(days=2))
    add(store, "in progress a while", "In Progress")
    clock.advance(timedelta(days=1))
    add(store, "just queued", "To Do")
    clock.advance(timedelta(days=10))
    # Ages now: Done and Backlog 13d1h, Review 13d, In Progress 11d, To Do 10d.
    app = make_app(store, live=False)
    async with app.run_test(size=SIZE) as pilot:

        def marked() -> list[str]:
            return [name for name in COLUMNS if header(app, name).has_class("-bottleneck")]

        assert marked() == ["Review"]
        assert ColumnHeader.BOTTLENECK_SHORT in text(header(app, "Review"))
        assert ColumnHeader.BOTTLENECK_SHORT not in text(header(app, "In Progress"))

        # Moving the waiting card on to Done moves the mark to the next-longest wait.
        await put_focus(pilot, app, store.get_card(waiting.id))
        await pilot.press("shift+right")
        assert store.get_card(waiting.id).column == "Done"
        assert marked() == ["In Progress"]


# ------------------------------------------------------------------------------------ help, views, quit


async def test_question_mark_lists_every_board_binding(store: Store) -> None:
    app = make_app(store, live=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        table = app.screen.query_one("#bindings", DataTable)
        rows = [tuple(str(v) for v in table.get_row_at(i)) for i in range(table.row_count)]
        board_rows = {(keys, does) for where, keys, does in rows if where == "Board"}
        for binding in BoardScreen.BINDINGS:
            assert isinstance(binding, Binding)
            assert (keys_of(binding), binding.description) in board_rows, binding
        does = {row[2] for row in rows}
        for binding in SocdeskApp.BINDINGS:
            assert isinstance(binding, Binding)
            assert binding.description in does
        await pilot.press("escape")
        assert isinstance(app.screen, BoardScreen)


async def test_number_keys_switch_views_and_each_shows_the_duty_strip(store: Store) -> None:
    app = make_app(store, live=False)
    async with app.run_test(size=SIZE) as pilot:
        assert app.current_mode == "board"
        for key, mode in [("2", "duty"), ("3", "handshake"), ("4", "retro"), ("5", "mix"), ("1", "board")]:
            await pilot.press(key)
            assert app.current_mode == mode
            assert len(app.screen.query(DutyStrip)) == 1, mode
        assert isinstance(app.screen, BoardScreen)


async def test_q_quits_with_status_zero(store: Store) -> None:
    app = make_app(store)  # live: quitting must also stop the change feed
    async with app.run_test(size=SIZE) as pilot:
        assert app.return_value is None
        await pilot.press("q")
        await pilot.pause()
    assert app.return_value == 0


# ------------------------------------------------------------------------------------ live


ADD_ON_TOP = """
import sys
from pathlib import Path
from socdesk.domain import CardDraft
from socdesk.store import open_store

store = open_store(Path(sys.argv[1]), actor="carol")
card = store.add_card(CardDraft(title="pushed to the top", type="unplanned", column="To Do"))
store.reorder_card(card.id, -100)
print(card.id)
"""


async def test_focus_stays_on_the_same_card_when_another_process_changes_the_board(
    store: Store, db_path: Path, tmp_path: Path
) -> None:
    a, b, c = (add(store, name, "To Do") for name in ("a", "b", "c"))
    arrived, hook = store_changes()
    app = make_app(store, live=True)
    async with app.run_test(size=SIZE, message_hook=hook) as pilot:
        await put_focus(pilot, app, b)

        # A card added by another process lands at the end of the column.
        title = "Beaconing from HR laptop"
        await run_socdesk(db_path, tmp_path, "card", "add", title, "--type", "unplanned", "--column", "To Do")
        new = store.list_cards(column="To Do")[-1]
        assert new.title == title
        await until(pilot, arrived, lambda: shown(app, "To Do") == [a.id, b.id, c.id, new.id])
        assert focus(app) == ("To Do", b.id)

        # The card above it goes away: the cursor stays on b, now the first.
        await run_socdesk(db_path, tmp_path, "card", "rm", str(a.id))
        await until(pilot, arrived, lambda: shown(app, "To Do") == [b.id, c.id, new.id])
        assert focus(app) == ("To Do", b.id)

        # A card put above it: the cursor still stays on b, now the second.
        env = {**os.environ, "SOCDESK_DB": str(db_path)}
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-c", ADD_ON_TOP, str(db_path), env=env, stdout=asyncio.subprocess.PIPE
        )
        out, _ = await asyncio.wait_for(process.communicate(), 60)
        assert process.returncode == 0
        top = int(out)
        assert stored(store, "To Do") == [top, b.id, c.id, new.id]
        await until(pilot, arrived, lambda: shown(app, "To Do") == [top, b.id, c.id, new.id])
        assert focus(app) == ("To Do", b.id)


async def test_two_consoles_on_one_file_see_each_others_moves(store: Store, bob: Store) -> None:
    card = add(store, "shared card")
    mine_arrived, mine_hook = store_changes()
    theirs_arrived, theirs_hook = store_changes()
    app_a = make_app(store, live=True)
    app_b = make_app(bob, live=True)
    async with (
        app_a.run_test(size=SIZE, message_hook=mine_hook) as pa,
        app_b.run_test(size=SIZE, message_hook=theirs_hook) as pb,
    ):
        assert shown(app_a, "Backlog") == shown(app_b, "Backlog") == [card.id]

        # alice moves it with keys in A; B shows it in To Do.
        await pa.press("shift+right")
        assert store.get_card(card.id).column == "To Do"
        assert focus(app_a) == ("To Do", card.id)
        await until(pb, theirs_arrived, lambda: shown(app_b, "To Do") == [card.id])
        assert shown(app_b, "Backlog") == []

        # bob moves it on with keys in B; A shows it in In Progress, still under alice's cursor.
        await put_focus(pb, app_b, bob.get_card(card.id))
        await pb.press("L")
        assert store.get_card(card.id).column == "In Progress"
        assert newest_event(store).actor == "bob"
        await until(pa, mine_arrived, lambda: shown(app_a, "In Progress") == [card.id])
        assert shown(app_a, "To Do") == []
