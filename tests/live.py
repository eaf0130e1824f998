"""Waiting for the console to show another process's change: on messages, never on time."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from textual.message import Message
from textual.pilot import Pilot

from socdesk.ui.messages import StoreChanged


def store_changes() -> tuple[asyncio.Event, Callable[[Message], None]]:
    """An event set whenever the app receives ``StoreChanged``, and the ``message_hook`` that sets it."""
    arrived = asyncio.Event()

    def hook(message: Message) -> None:
        if isinstance(message, StoreChanged):
            arrived.set()

    return arrived, hook


async def until(
    pilot: Pilot[int], arrived: asyncio.Event, done: Callable[[], bool], timeout: float = 10
) -> None:
    """Wait for StoreChanged messages (not for time) until ``done()`` holds; fail after ``timeout`` s."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        arrived.clear()
        await pilot.pause()
        if done():
            return
        remaining = deadline - loop.time()
        if remaining <= 0:
            raise AssertionError("the console never showed the change")
        await asyncio.wait_for(arrived.wait(), remaining)
