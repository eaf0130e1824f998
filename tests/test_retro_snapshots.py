"""What the Retro and Mix views look like: the board while voting, the discussion, the opening phase
with the last retro's actions and the compact work mix, and the Mix view on the sample team.

Everything is set up through the store (or the sample data, re-based to it) on a fixed clock (Monday
2026-03-02 09:00 UTC). The clock never moves while the app runs, so the views' intervals redraw the
same picture. A changed snapshot is a changed screen: look at the diff report before updating it.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from socdesk.domain import FixedClock, Person
from socdesk.domain.retro import NoteColumn, Phase, RetroDraft, TimerKind
from socdesk.sample import load_sample
from socdesk.store import Store, open_store
from socdesk.ui.app import make_app

SIZE = (140, 45)


@pytest.fixture(autouse=True)
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No person's own settings (a minutes folder, a theme) leak into the picture."""
    path = tmp_path / "config.toml"
    path.write_text(f'[handshake]\nminutes_dir = "{tmp_path / "minutes"}"\n', encoding="utf-8")
    monkeypatch.setenv("SOCDESK_CONFIG", str(path))


@pytest.fixture
def board(store: Store, db_path: Path, clock: FixedClock) -> Store:
    """A February retro (alice facilitates) in the vote phase: notes by three people, two themes, dots.

    alice's view: her own notes say "(yours)", her own dots show as stars. The vote timer started two
    minutes ago and runs five.
    """
    for handle, name in [("alice", "Alice Archer"), ("bob", "Bob Builder"), ("carol", "Carol Chen")]:
        store.add_person(Person(handle=handle, name=name))
    store.start_retro(
        RetroDraft(
            title="February retro",
            objectives="Fewer silent failures; less unplanned work pulled mid-sprint",
            period_from=date(2026, 2, 1),
            period_to=date(2026, 2, 28),
        )
    )
    store.set_retro_phase(Phase.WRITE)
    bob = open_store(db_path, actor="bob", clock=clock)
    carol = open_store(db_path, actor="carol", clock=clock)
    try:
        contained = store.add_note(
            NoteColumn.WELL, "The credential-stuffing incident was contained in an hour"
        )
        handover = carol.add_note(NoteColumn.WELL, "Handover notes at shift change were read and used")
        silent = bob.add_note(NoteColumn.NOT_WELL, "GuardDuty went silent for two days and nobody noticed")
        by_hand = carol.add_note(NoteColumn.NOT_WELL, "Blocking CERT IOCs by hand every week eats a morning")
        unplanned = store.add_note(NoteColumn.NOT_WELL, "Too much unplanned work pulled in mid-sprint")
        quiet = store.add_note(NoteColumn.IMPROVE, "Alert when a log source goes quiet, not only when noisy")
        schedule = bob.add_note(NoteColumn.IMPROVE, "Schedule the IOC import instead of pasting lists")
        store.set_retro_phase(Phase.GROUP)
        sources = store.add_theme("Silent log sources", [silent.id, quiet.id])
        iocs = store.add_theme("Manual IOC handling", [by_hand.id, schedule.id])
        store.set_retro_phase(Phase.VOTE)
        store.vote(note_id=unplanned.id)
        store.vote(theme_id=sources.id)
        store.vote(note_id=contained.id)
        bob.vote(theme_id=sources.id)
        bob.vote(note_id=silent.id)
        bob.vote(note_id=unplanned.id)
        carol.vote(theme_id=iocs.id)
        carol.vote(theme_id=iocs.id)
        carol.vote(note_id=handover.id)
    finally:
        bob.close()
        carol.close()
    store.retro_timer(TimerKind.START, minutes=5)
    clock.advance(timedelta(minutes=2))
    return store


def test_the_board_while_voting_with_themes_and_dots(snap_compare, board: Store) -> None:
    assert snap_compare(make_app(board, live=False), terminal_size=SIZE, press=["4"])


def test_the_discussion_most_votes_first(snap_compare, board: Store) -> None:
    board.set_retro_phase(Phase.DISCUSS)
    assert snap_compare(make_app(board, live=False), terminal_size=SIZE, press=["4"])


def test_the_opening_phase_with_the_last_retros_actions_and_the_work_mix(snap_compare, store: Store) -> None:
    load_sample(store)  # the October retro, closed, with two actions: one card done, one in Backlog
    store.start_retro(
        RetroDraft(
            title="November retro",
            objectives="Keep the unplanned share in view",
            period_from=date(2026, 2, 3),
            period_to=date(2026, 3, 2),
        )
    )
    assert snap_compare(make_app(store, live=False), terminal_size=SIZE, press=["4"])


def test_the_mix_view_on_the_sample_team(snap_compare, store: Store) -> None:
    load_sample(store)
    assert snap_compare(make_app(store, live=False), terminal_size=SIZE, press=["5"])
