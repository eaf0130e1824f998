"""The duty strip, driven for real: it names who is on, flags a missing role, turns over by itself
when the injected clock passes the handover, and follows roster edits made by another process."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from textual.message import Message
from textual.widgets import Static

from duty_helpers import weekly
from socdesk.domain import FixedClock, Person
from socdesk.store import Store
from socdesk.ui.app import SocdeskApp, make_app
from socdesk.ui.widgets.duty_strip import NO_ROSTER, DutyStrip

SIZE = (140, 30)
HANDOVER = datetime(2026, 3, 9, 9, 0, tzinfo=UTC)  # Monday 09:00 in London (GMT)


@pytest.fixture
def team(store: Store) -> Store:
    for handle, name in [
        ("alice", "Alice Ng"),
        ("bob", "Bob Ruiz"),
        ("carol", "Carol Okafor"),
        ("dan", "Dan Weiss"),
    ]:
        store.add_person(Person(handle=handle, name=name))
    store.set_rotation(weekly("engineer", "alice", "carol"))
    store.set_rotation(weekly("analyst", "bob", "dan"))
    return store


def strip(app: SocdeskApp) -> DutyStrip:
    return app.screen.query_one(DutyStrip)


def changes() -> tuple[asyncio.Event, list[str], Callable[[Message], None]]:
    arrived = asyncio.Event()
    texts: list[str] = []

    def hook(message: Message) -> None:
        if isinstance(message, DutyStrip.Changed):
            texts.append(message.text)
            arrived.set()

    return arrived, texts, hook


async def wait_for(arrived: asyncio.Event, texts: list[str], wanted: Callable[[str], bool]) -> str:
    """Wait on the strip's Changed messages (not on time) until one says what we want."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 15
    while True:
        for text in texts:
            if wanted(text):
                return text
        arrived.clear()
        remaining = deadline - loop.time()
        if remaining <= 0:
            raise AssertionError(f"the strip never said it; it said {texts}")
        await asyncio.wait_for(arrived.wait(), remaining)


async def test_the_strip_names_who_is_on_and_the_next_handover(team: Store, clock: FixedClock) -> None:
    clock.set(HANDOVER - timedelta(days=2, hours=4, minutes=30))
    app = make_app(team, live=False)
    async with app.run_test(size=SIZE):
        assert strip(app).text == (
            "On duty: Alice Ng (engineer) · On call: Bob Ruiz (analyst) · "
            "handover Mon 09:00 (in 2d 4h) → Carol / Dan"
        )
        assert not strip(app).query(".-missing")


async def test_a_role_nobody_holds_is_shown_as_an_error(team: Store, clock: FixedClock) -> None:
    analysts = next(r for r in team.list_rotations() if r.role.value == "analyst")
    team.set_rotation(analysts.model_copy(update={"start_date": date(2026, 4, 1)}))  # no analyst yet
    app = make_app(team, live=False)
    async with app.run_test(size=SIZE):
        missing = strip(app).query_one("#duty-analyst", Static)
        assert str(missing.content) == "NO ON-CALL ANALYST"
        assert missing.has_class("-missing")
        assert not strip(app).query_one("#duty-engineer", Static).has_class("-missing")


async def test_without_a_roster_the_strip_says_how_to_set_one_up(store: Store) -> None:
    app = make_app(store, live=False)
    async with app.run_test(size=SIZE):
        assert strip(app).text == NO_ROSTER
        assert strip(app).has_class("-no-roster")


async def test_the_strip_turns_over_by_itself_when_the_clock_passes_the_handover(
    team: Store, clock: FixedClock
) -> None:
    clock.set(HANDOVER - timedelta(minutes=1))
    arrived, texts, hook = changes()
    app = make_app(team, live=False)
    async with app.run_test(size=SIZE, message_hook=hook):
        assert strip(app).text.startswith("On duty: Alice Ng (engineer) · On call: Bob Ruiz (analyst)")
        assert "(in 1m) → Carol / Dan" in strip(app).text
        clock.advance(timedelta(minutes=1))  # the handover instant; no key is pressed
        text = await wait_for(arrived, texts, lambda t: t.startswith("On duty: Carol"))
        assert text.startswith("On duty: Carol Okafor (engineer) · On call: Dan Weiss (analyst)")
        assert "→ Alice / Bob" in text


async def test_the_strip_follows_a_roster_edit_made_by_another_process(
    team: Store, db_path: Path, tmp_path: Path, clock: FixedClock
) -> None:
    clock.set(HANDOVER - timedelta(days=1))
    arrived, texts, hook = changes()
    app = make_app(team, live=True)
    async with app.run_test(size=SIZE, message_hook=hook):
        assert strip(app).text.startswith("On duty: Alice Ng")
        env = {**os.environ, "SOCDESK_DB": str(db_path), "SOCDESK_USER": "bob", "HOME": str(tmp_path)}
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "socdesk", "duty", "override", "add", "engineer", "dan",
            "--from", "2026-03-01T00:00Z", "--to", "2026-03-20T00:00Z", "--reason", "alice ill",
            env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        _, err = await asyncio.wait_for(process.communicate(), 60)
        assert process.returncode == 0, err.decode()
        text = await wait_for(arrived, texts, lambda t: t.startswith("On duty: Dan"))
        assert text.startswith("On duty: Dan Weiss (engineer)")


async def test_every_view_has_the_same_strip(team: Store, clock: FixedClock) -> None:
    clock.set(HANDOVER - timedelta(days=1))
    app = make_app(team, live=False)
    async with app.run_test(size=SIZE) as pilot:
        seen = set()
        for key in "12345":
            await pilot.press(key)
            seen.add(strip(app).text)
        assert len(seen) == 1 and next(iter(seen)).startswith("On duty: Alice Ng")
