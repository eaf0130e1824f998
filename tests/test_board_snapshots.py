"""What the board looks like on the sample team, at a roomy and at a classic terminal size.

The fixed clock makes ages stable; the sample data is re-based to it, so the picture is the same on
every run. A changed snapshot is a changed screen: look at the diff report before updating it.
"""

from __future__ import annotations

import pytest

from socdesk.sample import load_sample
from socdesk.store import Store
from socdesk.ui.app import make_app


@pytest.mark.parametrize("size", [(120, 40), (80, 24)], ids=["120x40", "80x24"])
def test_board_on_sample_data(snap_compare, store: Store, size: tuple[int, int]) -> None:
    load_sample(store)
    assert snap_compare(make_app(store, live=False), terminal_size=size)


def test_board_with_a_move_refused_at_the_wip_limit(snap_compare, store: Store) -> None:
    load_sample(store)
    # To Do is full (8/8): moving the first Backlog card right is refused with the offer to force it.
    assert snap_compare(make_app(store, live=False), terminal_size=(120, 40), press=["shift+right"])


def test_help_screen(snap_compare, store: Store) -> None:
    load_sample(store)
    assert snap_compare(make_app(store, live=False), terminal_size=(120, 40), press=["question_mark"])
