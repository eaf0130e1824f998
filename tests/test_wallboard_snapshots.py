"""What the wallboard and the other shipped themes look like on the sample team.

The fixed clock makes ages and the duty strip stable. A changed snapshot is a changed screen: look at
the diff report before updating it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from socdesk.domain import FixedClock
from socdesk.sample import load_sample
from socdesk.store import Store, open_store
from socdesk.ui.app import make_app
from socdesk.ui.wallboard import Wallboard


def test_the_wallboard_in_high_contrast(snap_compare, store: Store, db_path: Path, clock: FixedClock) -> None:
    load_sample(store)
    wall = open_store(db_path, actor="wallboard", clock=clock, read_only=True)
    try:
        app = make_app(
            wall, live=False, theme="socdesk-high-contrast", wallboard=Wallboard(cycle_seconds=3600)
        )
        assert snap_compare(app, terminal_size=(140, 40))
    finally:
        wall.close()


@pytest.mark.parametrize("theme", ["socdesk-light", "socdesk-colourblind"])
def test_the_board_in_another_theme(snap_compare, store: Store, theme: str) -> None:
    load_sample(store)
    assert snap_compare(make_app(store, live=False, theme=theme), terminal_size=(120, 40))
