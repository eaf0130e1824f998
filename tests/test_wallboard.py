"""The wallboard: read-only, a large duty strip, cycling Board → Duty → Handshake, live from the file.

Every key of every view is pressed on a wallboard over the sample team; the file must not change by a
byte of its content, and every key that would write must say that it is disabled.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.binding import Binding
from textual.screen import ModalScreen

from live import store_changes, until
from socdesk.domain import CardDraft, FixedClock
from socdesk.domain.models import WorkType
from socdesk.domain.timer import Act
from socdesk.sample import load_sample
from socdesk.store import Store, StoreReadOnly, open_store
from socdesk.ui.app import VIEWS, SocdeskApp, make_app
from socdesk.ui.screens.base import ViewScreen
from socdesk.ui.wallboard import WALLBOARD_VIEWS, Wallboard
from socdesk.ui.widgets.board_column import ColumnView
from socdesk.ui.widgets.duty_strip import DutyStrip
from socdesk.ui.widgets.key_bar import KeyBar

SIZE = (140, 44)


def content_digest(path: Path) -> str:
    """A hash of everything stored (schema and rows), read through a connection of its own."""
    conn = sqlite3.connect(path)
    try:
        return hashlib.sha256("\n".join(conn.iterdump()).encode()).hexdigest()
    finally:
        conn.close()


@pytest.fixture
def sample(store: Store) -> Store:
    load_sample(store)
    return store


@pytest.fixture
def wall_store(db_path: Path, clock: FixedClock, sample: Store) -> Iterator[Store]:
    shown = open_store(db_path, actor="wallboard", clock=clock, read_only=True)
    yield shown
    shown.close()


def wallboard_app(store: Store, *, cycle: float = 3600, live: bool = False) -> SocdeskApp:
    return make_app(store, live=live, wallboard=Wallboard(cycle_seconds=cycle))


def read_only_notices(app: SocdeskApp) -> list[str]:
    return [n.message for n in app._notifications if n.title == "Read-only"]


def view_classes() -> dict[str, type[ViewScreen]]:
    return {name: type(factory()) for name, factory in VIEWS.items()}  # type: ignore[misc]


# ------------------------------------------------------------------------------------ the store


def test_a_read_only_store_refuses_every_write_and_sqlite_refuses_raw_sql(wall_store: Store) -> None:
    before = len(wall_store.recent_events(1000))
    with pytest.raises(StoreReadOnly, match="read-only"):
        wall_store.add_card(CardDraft(title="from the wall", type=WorkType.UNPLANNED))
    with pytest.raises(StoreReadOnly):
        wall_store.set_wip_limit("To Do", 99)
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        wall_store._conn.execute("DELETE FROM cards")  # type: ignore[attr-defined]
    assert len(wall_store.recent_events(1000)) == before
    assert wall_store.list_cards()  # reading works


def test_a_file_that_needs_setting_up_is_not_opened_read_only(db_path: Path) -> None:
    db_path.touch()
    with pytest.raises(StoreReadOnly, match="socdesk init"):
        open_store(db_path, actor="wall", read_only=True, create=True)


# ------------------------------------------------------------------------------------ every key


def write_bindings(screen: type[ViewScreen]) -> list[Binding]:
    return [
        b
        for b in screen.BINDINGS
        if isinstance(b, Binding) and b.action.split("(")[0] in screen.WRITE_ACTIONS
    ]


@pytest.mark.parametrize("view", list(VIEWS))
def test_every_write_action_a_view_declares_has_a_key(view: str) -> None:
    screen = view_classes()[view]
    bound = {b.action.split("(")[0] for b in screen.BINDINGS if isinstance(b, Binding)}
    assert bound >= screen.WRITE_ACTIONS


@pytest.mark.parametrize("view", list(VIEWS))
async def test_every_key_of_a_view_leaves_the_file_unchanged_and_writes_say_they_are_disabled(
    view: str, db_path: Path, wall_store: Store
) -> None:
    before = content_digest(db_path)
    app = wallboard_app(wall_store)
    async with app.run_test(size=SIZE) as pilot:
        app.switch_mode(view)
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ViewScreen)
        for binding in screen.BINDINGS:
            assert isinstance(binding, Binding)
            key = binding.key.split(",")[0].strip()
            writes = binding.action.split("(")[0] in screen.WRITE_ACTIONS
            said = len(read_only_notices(app))
            await pilot.press(key)
            await pilot.pause()
            if writes:
                assert app.screen is screen, f"{key} ({binding.description}) opened {app.screen!r}"
                name, params = binding.action.split("(")[0], ()
                if len(read_only_notices(app)) == said:
                    # Only a key that does nothing here in any console may pass in silence (the
                    # focused table took enter between meetings, where "time topic" does not apply).
                    assert screen.check_action(name, params) is False, f"{key} did not say it is disabled"
                else:
                    assert len(read_only_notices(app)) == said + 1
                    assert binding.description in read_only_notices(app)[-1]
            while isinstance(app.screen, ModalScreen):  # a reading key (detail, filter, help) opened one
                await pilot.press("escape")
                await pilot.pause()
            if app.current_mode != view:
                app.switch_mode(view)
                await pilot.pause()
        refused = [n for n in app._notifications if n.severity == "error"]
        assert refused == [], [n.message for n in refused]
    assert content_digest(db_path) == before


async def test_the_wallboard_shows_no_key_it_would_refuse_nor_offers_it_in_the_palette(
    wall_store: Store,
) -> None:
    app = wallboard_app(wall_store)
    async with app.run_test(size=SIZE) as pilot:
        for view in VIEWS:
            app.switch_mode(view)
            await pilot.pause()
            screen = app.screen
            assert isinstance(screen, ViewScreen)
            shown = {b.action.split("(")[0] for b in screen.query_one(KeyBar)._shown()}
            assert not shown & screen.WRITE_ACTIONS
            assert "READ-ONLY WALLBOARD" in str(screen.query_one(KeyBar).render())
            titles = {c.title for c in app.get_system_commands(screen)}
            for binding in write_bindings(type(screen)):
                assert f"{screen.VIEW_NAME}: {binding.description}" not in titles


async def test_a_normal_console_still_shows_and_offers_its_writing_keys(sample: Store) -> None:
    app = make_app(sample, live=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        shown = {b.action.split("(")[0] for b in app.screen.query_one(KeyBar)._shown()}
        assert {"new_card", "move_card"} <= shown
        assert "Board: New" in {c.title for c in app.get_system_commands(app.screen)}
        assert "READ-ONLY" not in str(app.screen.query_one(KeyBar).render())


# ------------------------------------------------------------------------------------ what it shows


async def test_the_duty_strip_is_large_on_the_wallboard(wall_store: Store, sample: Store) -> None:
    app = wallboard_app(wall_store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        strip = app.screen.query_one(DutyStrip)
        assert strip.size.height == 5
        assert "On duty:" in strip.text
    normal = make_app(sample, live=False)
    async with normal.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert normal.screen.query_one(DutyStrip).size.height == 1


async def test_the_wallboard_cycles_board_duty_handshake_and_back(wall_store: Store) -> None:
    app = wallboard_app(wall_store)
    async with app.run_test(size=SIZE) as pilot:
        seen = [app.current_mode]
        for _ in WALLBOARD_VIEWS:
            app.next_wallboard_view()
            await pilot.pause()
            seen.append(app.current_mode)
        assert seen == ["board", "duty", "handshake", "board"]
        await pilot.press("5")  # someone looks at the Mix: the cycle goes on from its start
        assert app.current_mode == "mix"
        app.next_wallboard_view()
        await pilot.pause()
        assert app.current_mode == "board"


async def test_the_wallboard_moves_on_by_itself_every_cycle(wall_store: Store) -> None:
    app = wallboard_app(wall_store, cycle=0.05)
    async with app.run_test(size=SIZE) as pilot:
        seen = {app.current_mode}
        for _ in range(200):  # a deadline, not a sleep: stop as soon as every view has been shown
            if seen == set(WALLBOARD_VIEWS):
                break
            await pilot.pause(0.02)
            seen.add(app.current_mode)
        assert seen == set(WALLBOARD_VIEWS)


def test_a_cycle_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        Wallboard(cycle_seconds=0)


async def test_the_wallboard_shows_another_processes_change_live(
    db_path: Path, wall_store: Store, sample: Store
) -> None:
    arrived, hook = store_changes()
    app = wallboard_app(wall_store, live=True)
    async with app.run_test(size=SIZE, message_hook=hook) as pilot:
        await pilot.pause()
        card = sample.add_card(CardDraft(title="Beaconing from the wall", type=WorkType.UNPLANNED))

        def on_board() -> bool:
            return any(card.id in {c.id for c in v.cards} for v in app.screen.query(ColumnView))

        await until(pilot, arrived, on_board)


async def test_the_wallboard_watches_a_running_handshake_without_attending_or_driving_it(
    db_path: Path, wall_store: Store, sample: Store
) -> None:
    sample.start_meeting()
    sample.meeting_timer(Act.NEXT)  # the topics section, where enter times the selected topic
    attendees = sample.get_meeting().attendees()
    before = content_digest(db_path)
    app = wallboard_app(wall_store)
    async with app.run_test(size=SIZE) as pilot:
        app.switch_mode("handshake")
        await pilot.pause()
        assert app.focused is not None and app.focused.id == "topics"
        for key in ("enter", "n", "space", "x", "E"):
            await pilot.press(key)
            await pilot.pause()
        assert len(read_only_notices(app)) == 5
        assert "Time topic" in read_only_notices(app)[0]
    assert sample.get_meeting().attendees() == attendees
    assert "wallboard" not in attendees
    assert content_digest(db_path) == before


def test_the_command_line_refuses_a_cycle_without_the_wallboard(socdesk) -> None:
    done = socdesk("--cycle", "5")
    assert done.returncode == 1
    assert "add --wallboard" in done.stderr


def test_the_command_line_refuses_a_cycle_that_is_not_a_whole_positive_number(socdesk) -> None:
    assert socdesk("--wallboard", "--cycle", "0").returncode == 2
    assert socdesk("--wallboard", "--cycle", "soon").returncode == 2
