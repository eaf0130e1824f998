"""The console, driven for real: Pilot for behaviour, a snapshot for the picture."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from textual.message import Message
from textual.widgets import DataTable

from socdesk.domain import CardDraft, FixedClock
from socdesk.sample import load_sample
from socdesk.store import Store
from socdesk.ui.app import make_app
from socdesk.ui.messages import StoreChanged


def cell(table: DataTable, row: str, column: int) -> str:
    return str(table.get_row(row)[column])


async def test_overview_shows_columns_counts_and_wip_state(store: Store) -> None:
    for n in range(4):
        store.add_card(CardDraft(title=f"triage {n}", type="operations", column="In Progress"))
    app = make_app(store, live=False)
    async with app.run_test(size=(120, 40)):
        columns = app.query_one("#columns", DataTable)
        assert [str(k.value) for k in columns.rows] == ["Backlog", "To Do", "In Progress", "Review", "Done"]
        assert cell(columns, "In Progress", 1) == "4"
        assert cell(columns, "In Progress", 2) == "4"
        assert cell(columns, "In Progress", 3) == "at-limit"
        assert cell(columns, "Backlog", 3) == "ok"
        activity = app.query_one("#activity", DataTable)
        assert activity.row_count == 4


async def test_change_from_another_process_appears_without_a_keypress(store: Store, db_path: Path) -> None:
    arrived = asyncio.Event()

    def hook(message: Message) -> None:
        if isinstance(message, StoreChanged):
            arrived.set()

    app = make_app(store)
    async with app.run_test(size=(120, 40), message_hook=hook) as pilot:
        columns = app.query_one("#columns", DataTable)
        assert cell(columns, "Backlog", 1) == "0"
        env = {**os.environ, "SOCDESK_DB": str(db_path), "SOCDESK_USER": "bob"}
        writer = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "socdesk",
            "card",
            "add",
            "Beaconing from HR laptop",
            "--type",
            "unplanned",
            env=env,
        )
        assert await writer.wait() == 0
        await asyncio.wait_for(arrived.wait(), timeout=10)
        await pilot.pause()
        assert cell(columns, "Backlog", 1) == "1"
        activity = app.query_one("#activity", DataTable)
        newest = activity.get_row_at(0)
        assert newest[1] == "bob"
        assert "Beaconing from HR laptop" in str(newest[2])


async def test_quit_key_ends_the_app(store: Store) -> None:
    app = make_app(store)
    async with app.run_test() as pilot:
        await pilot.press("q")
    assert app.return_value == 0


def test_overview_snapshot(snap_compare, store: Store, clock: FixedClock) -> None:
    load_sample(store)
    app = make_app(store, live=False)
    app.sub_title = "team.db  ·  you are alice"  # the real path differs per test run
    assert snap_compare(app, terminal_size=(120, 40))
