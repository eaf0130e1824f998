"""The Retro and Mix views, driven for real: every key through Pilot, checked on screen and in the file.

Each test runs the real app on a real SQLite file with a clock that only moves when told (Monday
2026-03-02 09:00 UTC). The team: alice (the store's actor, who facilitates), bob and carol. A retro
is set up through the store when the test is about a later phase; the phases a test is about are
driven with the view's own keys. The Retro view folds its phase timer at ``store.clock.now()`` on a
0.5 s interval; after moving the clock a test calls the view's ``tick()`` instead of waiting.
``SOCDESK_CONFIG`` points at a file in the test's directory, so the person's own settings never leak
in and the retro summaries land there. Two consoles on one file wait on ``StoreChanged`` messages,
never on time.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from rich.text import Text
from textual import events
from textual.dom import DOMNode
from textual.pilot import Pilot
from textual.widgets import (
    Checkbox,
    ContentSwitcher,
    DataTable,
    Input,
    Markdown,
    RadioSet,
    Select,
    Static,
    TextArea,
)

from live import store_changes, until
from socdesk.domain import CardDraft, FixedClock, Person
from socdesk.domain.mix import MixReport
from socdesk.domain.models import Card, WorkType
from socdesk.domain.retro import NoteColumn, Phase, RetroDraft, RetroRecord, TimerKind
from socdesk.mix_review import review_mix
from socdesk.sample import load_sample
from socdesk.store import Store, open_store
from socdesk.ui.app import SocdeskApp, make_app
from socdesk.ui.screens.handshake_forms import TextPrompt
from socdesk.ui.screens.mix import MixView
from socdesk.ui.screens.retro import RetroView
from socdesk.ui.screens.retro_forms import ActionForm, NoteForm, RetroForm
from socdesk.ui.widgets.key_bar import KeyBar
from socdesk.ui.widgets.mix_panel import MixPanel
from socdesk.ui.widgets.note_list import NoteList

SIZE = (120, 40)
PEOPLE = {"alice": "Alice Archer", "bob": "Bob Builder", "carol": "Carol Chen"}
FEBRUARY = (date(2026, 2, 1), date(2026, 2, 28))
MINUTE = timedelta(minutes=1)
SECOND = timedelta(seconds=1)
HIDDEN = "(hidden until the group phase)"


@pytest.fixture(autouse=True)
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """This test's own config.toml: retro summaries go to ``tmp_path/minutes``."""
    minutes = tmp_path / "minutes"
    path = tmp_path / "config.toml"
    path.write_text(f'[handshake]\nminutes_dir = "{minutes}"\n', encoding="utf-8")
    monkeypatch.setenv("SOCDESK_CONFIG", str(path))
    return minutes


@pytest.fixture
def team(store: Store) -> Store:
    for handle, name in PEOPLE.items():
        store.add_person(Person(handle=handle, name=name))
    return store


@pytest.fixture
def bob(db_path: Path, clock: FixedClock, team: Store) -> Iterator[Store]:
    """Another person's store on the same file (``team`` first: it creates the file and the people)."""
    other = open_store(db_path, actor="bob", clock=clock)
    yield other
    other.close()


# ------------------------------------------------------------------------------------ helpers


def retro(
    store: Store,
    phase: Phase = Phase.OBJECTIVES,
    *,
    title: str = "February retro",
    **draft: object,
) -> RetroRecord:
    """Open a retro for February through the store (its actor facilitates) and move it to ``phase``."""
    record = store.start_retro(
        RetroDraft.model_validate(
            {"title": title, "period_from": FEBRUARY[0], "period_to": FEBRUARY[1], **draft}
        )
    )
    for step in list(Phase)[1 : phase.order + 1]:
        record = store.set_retro_phase(step)
    return record


async def open_retro(pilot: Pilot[int], app: SocdeskApp) -> RetroView:
    await pilot.press("4")
    await pilot.pause()
    return view_of(app)


def view_of(app: SocdeskApp) -> RetroView:
    screen = app.screen
    assert isinstance(screen, RetroView), f"expected the Retro view, the app shows {screen!r}"
    return screen


def text(where: DOMNode, selector: str) -> str:
    return str(where.query_one(selector, Static).content)


def shown(view: RetroView, selector: str) -> bool:
    return view.query_one(selector).display


def body(view: RetroView) -> str | None:
    return view.query_one("#retro-body", ContentSwitcher).current


def options(view: RetroView, list_id: str) -> list[str]:
    """What a NoteList shows, one string per entry."""
    widget = view.query_one(f"#{list_id}", NoteList)
    return [str(widget.get_option_at_index(i).prompt) for i in range(widget.option_count)]


def table_rows(table: DataTable[Text]) -> list[list[str]]:
    return [[str(cell) for cell in table.get_row_at(index)] for index in range(table.row_count)]


def rows(view: RetroView, table_id: str) -> list[list[str]]:
    return table_rows(view.query_one(f"#{table_id}", DataTable))


def keys(view: RetroView | MixView) -> set[str]:
    return {b.key for b in view.query_one(KeyBar)._shown()}


def notices(app: SocdeskApp) -> list[tuple[str, str, str]]:
    return [(n.title, n.severity, n.message) for n in app._notifications]


def errors(app: SocdeskApp) -> list[str]:
    return [message for _, severity, message in notices(app) if severity == "error"]


def current(store: Store) -> RetroRecord:
    record = store.current_retro()
    assert record is not None, "no retro is open"
    return record


def card(store: Store, card_id: int) -> Card:
    return store.get_card(card_id)


async def answer(pilot: Pilot[int], value: str) -> None:
    """Type into the open prompt as a terminal pastes (one event), then enter."""
    pilot.app.post_message(events.Paste(value))
    await pilot.pause()
    await pilot.press("enter")
    await pilot.pause()


async def press(pilot: Pilot[int], *names: str) -> None:
    for name in names:
        await pilot.press(name)
        await pilot.pause()


async def write_note(pilot: Pilot[int], note: str) -> None:
    """n, then the text and enter: the note goes to the column the form offers (the focused one)."""
    await press(pilot, "n")
    assert isinstance(pilot.app.screen, NoteForm)
    await answer(pilot, note)


def pressed(form: NoteForm) -> str | None:
    """The id of the column radio button that is on."""
    button = form.query_one("#column", RadioSet).pressed_button
    return None if button is None else button.id


async def later(pilot: Pilot[int], view: RetroView, clock: FixedClock, delta: timedelta) -> None:
    """Move the clock and redraw the phase clock, as the view's 0.5 s tick would."""
    clock.advance(delta)
    view.tick()
    await pilot.pause()


def share_of(cell: str) -> float | None:
    """A share column's text back as a number: ``38%`` → 0.38; a dash is no share."""
    cell = cell.strip()
    return None if cell in ("", "-", "—") else float(cell.removesuffix("%")) / 100


def hours_of(cell: str) -> tuple[float, float] | None:
    """A duration column's text back as hours, with how far its rounding may be off: ``2.0 d``."""
    cell = cell.strip()
    if cell in ("", "-", "—"):
        return None
    value, unit = cell.split()
    per = {"h": 1.0, "d": 24.0}[unit]
    places = len(value.partition(".")[2])
    return float(value) * per, per * 0.5 * 10**-places + 1e-9


def assert_types_match(shown_rows: list[list[str]], report: MixReport) -> None:
    """The types table says what ``report`` computed: counts exactly, shares and times as rounded."""
    expected = [
        (
            r.type.value,
            r.created,
            r.done,
            r.done_share,
            r.created_share,
            r.median_cycle_hours,
            r.median_lead_hours,
        )
        for r in report.types
    ] + [
        (
            "total",
            report.created,
            report.done,
            None,
            None,
            report.median_cycle_hours,
            report.median_lead_hours,
        )
    ]
    assert [row[0] for row in shown_rows] == [e[0] for e in expected]
    for row, (name, created, done, done_share, created_share, cycle, lead) in zip(
        shown_rows, expected, strict=True
    ):
        assert (int(row[1]), int(row[2])) == (created, done), name
        for cell, share in ((row[3], done_share), (row[4], created_share)):
            shown_share = share_of(cell)
            if share is None or name == "total":
                assert shown_share is None, (name, cell)
            else:
                assert shown_share == pytest.approx(share, abs=0.0051), (name, cell, share)
        for cell, value in ((row[5], cycle), (row[6], lead)):
            parsed = hours_of(cell)
            if value is None:
                assert parsed is None, (name, cell)
            else:
                assert parsed is not None, (name, cell, value)
                assert parsed[0] == pytest.approx(value, abs=parsed[1]), (name, cell, value)


def select(view: RetroView, list_id: str, entry: str) -> None:
    """Focus a NoteList and put its cursor on the entry whose text starts with ``entry``."""
    widget = view.query_one(f"#{list_id}", NoteList)
    texts = options(view, list_id)
    widget.focus()
    widget.highlighted = next(i for i, t in enumerate(texts) if t.startswith(entry))


# ------------------------------------------------------------------------------------ starting


async def test_s_opens_the_form_and_ctrl_s_starts_a_retro_the_viewer_facilitates(team: Store) -> None:
    app = make_app(team, live=False)
    async with app.run_test(size=SIZE) as pilot:
        view = await open_retro(pilot, app)
        assert body(view) == "retro-idle"
        assert text(view, "#retro-head") == "Retro: none open"
        assert text(view, "#retro-idle-hint") == "No retro is open. s starts one (you facilitate it)."
        assert not shown(view, "#retro-phases")
        assert not shown(view, "#retro-summary")  # no retro has been held
        assert keys(view) == {"s", "question_mark", "q"}

        await press(pilot, "s")
        form = app.screen
        assert isinstance(form, RetroForm)
        # The period offered is the 28 days up to today.
        assert form.query_one("#from", Input).value == "2026-02-03"
        assert form.query_one("#to", Input).value == "2026-03-02"
        assert form.query_one("#votes", Input).value == "3"
        assert form.query_one("#hide", Checkbox).value is True
        assert form.query_one("#anonymous", Checkbox).value is False
        form.query_one("#title", Input).value = "March retro"
        form.query_one("#objectives", TextArea).text = "Fewer pages at night"
        form.query_one("#votes", Input).value = "5"
        form.query_one("#anonymous", Checkbox).value = True
        form.query_one("#hide", Checkbox).value = False
        await press(pilot, "ctrl+s")
        assert view_of(app) is view

        [made] = team.list_retros()
        assert (made.title, made.objectives, made.facilitator, made.vote_budget) == (
            "March retro",
            "Fewer pages at night",
            "alice",
            5,
        )
        assert (made.anonymous, made.hide_notes, made.phase) == (True, False, Phase.OBJECTIVES)
        assert (made.period_from, made.period_to) == (date(2026, 2, 3), date(2026, 3, 2))
        assert made.closed_at is None
        assert text(view, "#retro-head") == (
            f"Retro #{made.id} \u201cMarch retro\u201d  ·  03 Feb → 02 Mar 2026  ·  facilitator alice"
            "  ·  5 votes each · anonymous"
        )
        assert text(view, "#retro-objectives") == "Objectives: Fewer pages at night"
        assert shown(view, "#retro-phases")
        assert view.query_one("#phase-objectives").has_class("-current")
        assert not view.query_one("#phase-write").has_class("-current")
        assert body(view) == "retro-intro"
        assert text(view, "#retro-previous-title") == "No earlier retro: no actions to review."
        assert ("", "information", "Retro started: you facilitate it.") in notices(app)
        # The facilitator's keys; s is gone while the retro is open.
        assert {"N", "B", "T", "C"} <= keys(view)
        assert "s" not in keys(view)


async def test_the_start_form_refuses_a_period_that_ends_before_it_starts(team: Store) -> None:
    app = make_app(team, live=False)
    async with app.run_test(size=SIZE) as pilot:
        view = await open_retro(pilot, app)
        await press(pilot, "s")
        form = app.screen
        assert isinstance(form, RetroForm)
        form.query_one("#title", Input).value = "Backwards"
        form.query_one("#from", Input).value = "2026-03-01"
        form.query_one("#to", Input).value = "2026-02-01"
        events_before = team.last_event_id()
        await press(pilot, "ctrl+s")
        assert app.screen is form
        assert "ends (2026-02-01) before it starts (2026-03-01)" in text(form, "#retro-error")

        form.query_one("#to", Input).value = "1 March"
        await press(pilot, "ctrl+s")
        assert app.screen is form
        assert text(form, "#retro-error") == "to: not a date (YYYY-MM-DD): '1 March'"
        assert team.last_event_id() == events_before

        await press(pilot, "escape")
        assert view_of(app) is view
        assert team.list_retros() == []
        assert text(view, "#retro-head") == "Retro: none open"


# ------------------------------------------------------------------------------------ objectives


async def test_the_objectives_phase_shows_last_retros_actions_with_their_status_and_the_mix(
    store: Store,
) -> None:
    load_sample(store)  # a closed "October retro" with two actions: one card Done, one in Backlog
    [october] = store.list_retros()
    previous = store.get_retro(october.id)
    done, waiting = previous.actions
    app = make_app(store, live=False)
    async with app.run_test(size=SIZE) as pilot:
        view = await open_retro(pilot, app)
        # Between retros: the last one's summary.
        assert body(view) == "retro-idle"
        summary = view.query_one("#retro-summary", Markdown)
        assert shown(view, "#retro-summary")
        assert summary.source.startswith("# Retro 1: October retro\n")
        assert "Good energy; keep the unplanned share in view" in summary.source

        await press(pilot, "s")
        form = app.screen
        assert isinstance(form, RetroForm)
        form.query_one("#title", Input).value = "November retro"
        await press(pilot, "ctrl+s")
        record = current(store)
        assert record.retro.phase is Phase.OBJECTIVES
        assert body(view) == "retro-intro"
        assert text(view, "#retro-previous-title") == "Last retro's actions and where they are now"
        assert rows(view, "previous-actions") == [
            [str(done.id), done.text, done.owner, done.due.isoformat(), "✔ done"],
            [str(waiting.id), waiting.text, waiting.owner, waiting.due.isoformat(), "open (Backlog)"],
        ]
        assert (done.text, waiting.text) == (
            "Alert on log sources silent for over 6 hours",
            "Schedule the national CERT IOC import",
        )
        assert card(store, done.card_id).column == "Done"
        assert card(store, waiting.card_id).column == "Backlog"

        # The compact work mix covers the retro's own period, with the numbers the review computes.
        retro_ = record.retro
        report = review_mix(store, retro_.period_from, retro_.period_to)
        panel = view.query_one("#retro-mix", MixPanel)
        assert panel.compact and panel.report is not None
        assert (panel.report.period_from, panel.report.period_to) == (retro_.period_from, retro_.period_to)
        assert str(panel.query_one(".mix-head", Static).content) == (
            "Work mix 2026-02-03 → 2026-03-02 (28 days, Europe/London)"
            "  ·  compared with 2026-01-06 → 2026-02-02"
        )
        types = table_rows(panel.query_one(".mix-types", DataTable))
        assert_types_match(types, report)
        assert types[-1][:3] == ["total", "33", "8"]
        # The compact panel has no cumulative flow and no card lists.
        assert not panel.query(".mix-cfd") and not panel.query(".mix-ageing")


async def test_the_last_actions_follow_their_cards_moved_from_another_console(
    store: Store, db_path: Path, clock: FixedClock
) -> None:
    load_sample(store)
    retro(store, title="November retro")
    waiting = next(s for s in store.previous_actions(current(store).retro.id) if not s.done)
    heard, hook = store_changes()
    app = make_app(store, live=True)
    async with app.run_test(size=SIZE, message_hook=hook) as pilot:
        view = await open_retro(pilot, app)
        assert rows(view, "previous-actions")[1][4] == "open (Backlog)"
        dan = open_store(db_path, actor="dan", clock=clock)
        try:
            dan.move_card(waiting.action.card_id, "Done")  # type: ignore[arg-type]
        finally:
            dan.close()
        await until(pilot, heard, lambda: rows(view, "previous-actions")[1][4] != "open (Backlog)")
        assert rows(view, "previous-actions")[1][4] == "✔ done"


async def test_the_compact_mix_follows_a_card_done_during_the_opening_phase(team: Store) -> None:
    work = team.add_card(
        CardDraft(title="Tune the EDR exclusions", type=WorkType.OPERATIONS, column="In Progress")
    )
    record = team.start_retro(
        RetroDraft(title="March retro", period_from=date(2026, 2, 3), period_to=date(2026, 3, 2))
    )
    app = make_app(team, live=False)
    async with app.run_test(size=SIZE) as pilot:
        view = await open_retro(pilot, app)
        panel = view.query_one("#retro-mix", MixPanel)
        assert panel.report is not None and panel.report.done == 0
        last = team.last_event_id()
        team.move_card(work.id, "Done")
        view.on_store_events(team.events_after(last))  # what the change feed delivers
        await pilot.pause()
        assert review_mix(team, record.retro.period_from, record.retro.period_to).done == 1
        assert panel.report.done == 1


async def test_an_action_whose_card_was_deleted_says_so(team: Store) -> None:
    retro(team, Phase.ACTIONS, title="January retro")
    app = make_app(team, live=False)
    async with app.run_test(size=SIZE) as pilot:
        view = await open_retro(pilot, app)
        await press(pilot, "a")
        form = app.screen
        assert isinstance(form, ActionForm)
        form.query_one("#text", Input).value = "Write the on-call guide"
        await press(pilot, "ctrl+s")
        [action] = current(team).actions
        team.set_retro_phase(Phase.CLOSED)
        team.delete_card(action.card_id)
        retro(team, title="February retro")
        view.reload()
        await pilot.pause()
        assert body(view) == "retro-intro"
        assert rows(view, "previous-actions") == [
            [str(action.id), "Write the on-call guide", "alice", "2026-03-16", "card deleted"]
        ]


# ------------------------------------------------------------------------------------ writing


async def test_n_writes_notes_into_the_focused_or_the_chosen_column(team: Store) -> None:
    retro(team, Phase.OBJECTIVES)
    app = make_app(team, live=False)
    async with app.run_test(size=SIZE) as pilot:
        view = await open_retro(pilot, app)
        assert "n" not in keys(view)  # no notes before the write phase
        await press(pilot, "N")
        assert current(team).retro.phase is Phase.WRITE
        assert body(view) == "retro-board"
        assert view.query_one("#phase-write").has_class("-current")
        assert view.query_one("#phase-objectives").has_class("-done")
        assert not shown(view, "#themes-column")  # themes come with the group phase
        assert ("", "information", "Phase: Write.") in notices(app)
        assert view.focused is view.query_one("#notes-well")

        await press(pilot, "n")
        form = app.screen
        assert isinstance(form, NoteForm)
        assert text(form, ".dialog-title") == "A note (signed with your name)"
        # The form offers the focused column.
        assert pressed(form) == "col-well"
        await answer(pilot, "The phishing wave was caught early")
        assert view_of(app) is view

        await press(pilot, "right")
        assert view.focused is view.query_one("#notes-not-well")
        await write_note(pilot, "Nobody read the handover on Friday")

        # Choosing another column in the form: shift+tab to the radio set, arrows, enter. (The radio
        # set's cursor starts on its first button, not on the offered column: two downs.)
        await press(pilot, "n")
        form = app.screen
        assert isinstance(form, NoteForm)
        radio = form.query_one("#column", RadioSet)
        assert pressed(form) == "col-not-well"
        await press(pilot, "shift+tab")
        assert form.focused is radio
        await press(pilot, "down", "enter")  # the cursor starts on the offered column
        assert pressed(form) == "col-improve"
        await press(pilot, "tab")
        await answer(pilot, "Write the handover as a checklist")
        assert view_of(app) is view

        notes = current(team).notes
        assert [(n.column, n.text, n.author, n.theme_id) for n in notes] == [
            (NoteColumn.WELL, "The phishing wave was caught early", "alice", None),
            (NoteColumn.NOT_WELL, "Nobody read the handover on Friday", "alice", None),
            (NoteColumn.IMPROVE, "Write the handover as a checklist", "alice", None),
        ]
        assert options(view, "notes-well") == ["The phishing wave was caught early  (yours)"]
        assert options(view, "notes-not-well") == ["Nobody read the handover on Friday  (yours)"]
        assert options(view, "notes-improve") == ["Write the handover as a checklist  (yours)"]
        assert text(view, "#retro-status") == "3 notes: 3 yours."

        # An empty note is refused in the form; esc writes nothing.
        events_before = team.last_event_id()
        await press(pilot, "n", "enter")
        form = app.screen
        assert isinstance(form, NoteForm)
        assert text(form, "#note-error") == "Type the note first (esc cancels)."
        await press(pilot, "escape")
        assert view_of(app) is view
        assert team.last_event_id() == events_before


async def test_the_note_forms_radio_cursor_starts_on_the_offered_column(team: Store) -> None:
    retro(team, Phase.WRITE)
    app = make_app(team, live=False)
    async with app.run_test(size=SIZE) as pilot:
        view = await open_retro(pilot, app)
        await press(pilot, "right", "right")
        assert view.focused is view.query_one("#notes-improve")
        await press(pilot, "n")
        form = app.screen
        assert isinstance(form, NoteForm)
        assert pressed(form) == "col-improve"
        await press(pilot, "shift+tab", "enter")
        assert pressed(form) == "col-improve"


async def test_x_takes_back_ones_own_note_and_not_anyone_elses(team: Store, bob: Store) -> None:
    retro(team, Phase.WRITE, hide_notes=False)
    theirs = bob.add_note(NoteColumn.WELL, "Bob's note")
    app = make_app(team, live=False)
    async with app.run_test(size=SIZE) as pilot:
        view = await open_retro(pilot, app)
        await write_note(pilot, "A note I regret")
        mine = current(team).notes[-1]
        assert options(view, "notes-well") == ["Bob's note", "A note I regret  (yours)"]

        select(view, "notes-well", "Bob's note")
        await press(pilot, "x")
        assert [n.id for n in current(team).notes] == [theirs.id, mine.id]
        assert f"note #{theirs.id} is bob's; only its author takes it back" in errors(app)

        select(view, "notes-well", "A note I regret")
        await press(pilot, "x")
        assert [n.id for n in current(team).notes] == [theirs.id]
        assert options(view, "notes-well") == ["Bob's note"]
        assert ("", "information", "Note taken back.") in notices(app)


# ------------------------------------------------------------------------------------ two consoles


async def test_while_writing_a_second_console_sees_others_notes_hidden_until_the_group_phase(
    team: Store, bob: Store
) -> None:
    retro(team, Phase.WRITE)  # hide_notes is the default
    heard, hook = store_changes()
    arrived, follower_hook = store_changes()
    leader = make_app(team, live=True)
    follower = make_app(bob, live=True)
    async with (
        leader.run_test(size=SIZE, message_hook=hook) as lead,
        follower.run_test(size=SIZE, message_hook=follower_hook) as follow,
    ):
        mine = await open_retro(lead, leader)
        theirs = await open_retro(follow, follower)
        assert text(theirs, "#retro-status") == "0 notes: 0 yours."

        await write_note(lead, "Alert fatigue on the night shift")
        await until(follow, arrived, lambda: options(theirs, "notes-well") != [])
        assert options(theirs, "notes-well") == [HIDDEN]
        assert text(theirs, "#retro-status") == (
            "1 note: 0 yours; 1 by others, hidden until the group phase."
        )

        await follow.press("right")
        await follow.pause()
        await write_note(follow, "Too many manual IOC imports")
        assert [(n.author, n.column) for n in current(team).notes] == [
            ("alice", NoteColumn.WELL),
            ("bob", NoteColumn.NOT_WELL),
        ]
        await until(lead, heard, lambda: options(mine, "notes-not-well") != [])
        assert options(mine, "notes-not-well") == [HIDDEN]
        assert options(mine, "notes-well") == ["Alert fatigue on the night shift  (yours)"]
        assert options(theirs, "notes-not-well") == ["Too many manual IOC imports  (yours)"]
        assert text(mine, "#retro-status") == "2 notes: 1 yours; 1 by others, hidden until the group phase."

        # The facilitator moves on to grouping: everyone's notes show, on both consoles.
        await lead.press("N")
        await lead.pause()
        await until(
            follow, arrived, lambda: body(theirs) == "retro-board" and shown(theirs, "#themes-column")
        )
        assert options(theirs, "notes-well") == ["Alert fatigue on the night shift"]
        assert options(mine, "notes-not-well") == ["Too many manual IOC imports"]
        assert theirs.query_one("#phase-group").has_class("-current")


async def test_anonymous_notes_store_no_author_and_only_the_writing_console_marks_them_yours(
    team: Store, bob: Store, db_path: Path
) -> None:
    retro(team, Phase.WRITE, anonymous=True, hide_notes=False)
    heard, hook = store_changes()
    arrived, follower_hook = store_changes()
    leader = make_app(team, live=True)
    follower = make_app(bob, live=True)
    async with (
        leader.run_test(size=SIZE, message_hook=hook) as lead,
        follower.run_test(size=SIZE, message_hook=follower_hook) as follow,
    ):
        mine = await open_retro(lead, leader)
        theirs = await open_retro(follow, follower)
        assert "anonymous" in text(mine, "#retro-head")
        await press(lead, "n")
        form = leader.screen
        assert isinstance(form, NoteForm)
        assert text(form, "#note-form .dialog-title") == "A note (anonymous: no author is stored)"
        await answer(lead, "The escalation path is unclear")
        await write_note(follow, "Shift swaps are painful")

        with sqlite3.connect(db_path) as raw:
            stored = raw.execute("SELECT text, author FROM retro_notes ORDER BY id").fetchall()
            logged = raw.execute(
                "SELECT actor, json_extract(after, '$.author') FROM events WHERE action = 'retro.note.add'"
            ).fetchall()
        assert stored == [("The escalation path is unclear", None), ("Shift swaps are painful", None)]
        assert logged == [("anonymous", None), ("anonymous", None)]

        await until(lead, heard, lambda: len(options(mine, "notes-well")) == 2)
        await until(follow, arrived, lambda: len(options(theirs, "notes-well")) == 2)
        assert options(mine, "notes-well") == [
            "The escalation path is unclear  (yours)",
            "Shift swaps are painful",
        ]
        assert options(theirs, "notes-well") == [
            "The escalation path is unclear",
            "Shift swaps are painful  (yours)",
        ]
        assert text(mine, "#retro-status") == "2 notes: 1 yours."

        # Nobody can take back an anonymous note, not even the console that wrote it: x is not offered.
        assert "x" not in keys(mine)
        select(mine, "notes-well", "The escalation path")
        events_before = team.last_event_id()
        await press(lead, "x")
        assert len(current(team).notes) == 2
        assert team.last_event_id() == events_before


# ------------------------------------------------------------------------------------ grouping


async def test_g_makes_a_theme_or_joins_an_existing_one_and_G_takes_a_note_out(
    team: Store, bob: Store
) -> None:
    retro(team, Phase.WRITE)
    well = team.add_note(NoteColumn.WELL, "Handover notes were read")
    bad = bob.add_note(NoteColumn.NOT_WELL, "Handover at 18:00 is too late")
    team.set_retro_phase(Phase.GROUP)
    app = make_app(team, live=False)
    async with app.run_test(size=SIZE) as pilot:
        view = await open_retro(pilot, app)
        assert body(view) == "retro-board"
        assert shown(view, "#themes-column")
        assert {"g", "n"} <= keys(view)  # G (out of a theme) is in the help, not the bar
        assert not {"v", "u", "a"} & keys(view)
        assert text(view, "#retro-status") == (
            "2 notes, 0 themes. g puts the selected note into a theme (a new name makes one)."
        )

        await press(pilot, "g")
        prompt = app.screen
        assert isinstance(prompt, TextPrompt)
        assert prompt.question == f"Theme for note #{well.id} (themes: none yet)"
        await answer(pilot, "Handovers")
        [theme] = current(team).themes
        assert theme.name == "Handovers"
        assert {n.id: n.theme_id for n in current(team).notes} == {well.id: theme.id, bad.id: None}
        assert options(view, "themes") == ["Handovers (1 note)"]
        assert options(view, "notes-well") == ["Handover notes were read  (yours)  ‹Handovers›"]
        assert ("", "information", "Theme 'Handovers' made.") in notices(app)

        # The same name in another case joins the theme rather than making a second one.
        await press(pilot, "right", "g")
        prompt = app.screen
        assert isinstance(prompt, TextPrompt)
        assert prompt.question == f"Theme for note #{bad.id} (themes: Handovers)"
        await answer(pilot, "HANDOVERS")
        assert len(current(team).themes) == 1
        assert {n.id: n.theme_id for n in current(team).notes} == {well.id: theme.id, bad.id: theme.id}
        assert options(view, "themes") == ["Handovers (2 notes)"]
        assert options(view, "notes-not-well") == ["Handover at 18:00 is too late  ‹Handovers›"]
        assert text(view, "#retro-status").startswith("2 notes, 1 theme.")

        await press(pilot, "G")
        assert {n.id: n.theme_id for n in current(team).notes} == {well.id: theme.id, bad.id: None}
        assert options(view, "themes") == ["Handovers (1 note)"]
        assert options(view, "notes-not-well") == ["Handover at 18:00 is too late"]

        # g on the themes list is not about a note: a warning, and no prompt.
        await press(pilot, "right", "right")
        assert view.focused is view.query_one("#themes")
        await press(pilot, "g")
        assert view_of(app) is view
        assert ("", "warning", "Select a note first (in one of the three columns).") in notices(app)


# ------------------------------------------------------------------------------------ voting


async def test_v_votes_until_the_budget_is_spent_then_refuses_and_u_takes_one_back(
    team: Store, bob: Store
) -> None:
    retro(team, Phase.WRITE)
    quiet = team.add_note(NoteColumn.NOT_WELL, "GuardDuty went quiet for two days")
    loud = bob.add_note(NoteColumn.NOT_WELL, "EDR alert storm on build hosts")
    team.set_retro_phase(Phase.GROUP)
    theme = team.add_theme("Log sources", [quiet.id])
    team.set_retro_phase(Phase.VOTE)
    bob.vote(note_id=quiet.id)  # bob's dots count in the totals, never as alice's
    app = make_app(team, live=False)
    async with app.run_test(size=SIZE) as pilot:
        view = await open_retro(pilot, app)
        assert {"v", "u"} <= keys(view)
        assert not {"n", "x", "g", "G", "a"} & keys(view)
        assert text(view, "#retro-status") == (
            "You have 3 of 3 votes left. v votes for the selected note or theme, u takes one back."
        )
        assert options(view, "notes-not-well") == [
            "[1] GuardDuty went quiet for two days  (yours)  ‹Log sources›",
            "EDR alert storm on build hosts",
        ]
        assert options(view, "themes") == ["Log sources (1 note · 1 vote in all)"]

        select(view, "notes-not-well", "EDR alert storm")
        await press(pilot, "v", "v")
        # Most votes first: the cursor stays on the note it voted for.
        assert options(view, "notes-not-well") == [
            "[2**] EDR alert storm on build hosts",
            "[1] GuardDuty went quiet for two days  (yours)  ‹Log sources›",
        ]
        assert view.query_one("#notes-not-well", NoteList).current_key == f"note:{loud.id}"

        await press(pilot, "right", "right")
        assert view.focused is view.query_one("#themes")
        await press(pilot, "v")
        assert options(view, "themes") == ["[1*] Log sources (1 note · 2 votes in all)"]
        assert text(view, "#retro-status").startswith("You have 0 of 3 votes left.")

        # The fourth vote: refused with a notice, nothing written.
        events_before = team.last_event_id()
        await press(pilot, "v")
        assert team.last_event_id() == events_before
        mine = [v for v in current(team).votes if v.voter == "alice"]
        assert Counter((v.note_id, v.theme_id) for v in mine) == {(loud.id, None): 2, (None, theme.id): 1}
        [refusal] = errors(app)
        assert refusal.startswith("you have used all 3 of your votes")

        # u takes one of alice's dots back (never bob's).
        select(view, "notes-not-well", "[2**] EDR")
        await press(pilot, "u")
        votes = current(team).votes
        assert sorted((v.voter, v.note_id, v.theme_id) for v in votes if v.note_id == loud.id) == [
            ("alice", loud.id, None)
        ]
        assert len([v for v in votes if v.voter == "bob"]) == 1
        # A tie: the older note first.
        assert options(view, "notes-not-well") == [
            "[1] GuardDuty went quiet for two days  (yours)  ‹Log sources›",
            "[1*] EDR alert storm on build hosts",
        ]
        assert text(view, "#retro-status").startswith("You have 1 of 3 votes left.")

        # A dot on a note alice has none on: u is refused.
        select(view, "notes-not-well", "[1] GuardDuty")
        await press(pilot, "u")
        assert len(current(team).votes) == 3
        assert f"you have no vote on note #{quiet.id}" in errors(app)


# ------------------------------------------------------------------------------------ discussing


async def test_the_discuss_phase_orders_themes_and_notes_by_votes(team: Store, bob: Store) -> None:
    retro(team, Phase.WRITE)
    a = team.add_note(NoteColumn.WELL, "Containment under an hour")
    b = bob.add_note(NoteColumn.NOT_WELL, "GuardDuty silent for two days")
    c = bob.add_note(NoteColumn.IMPROVE, "Alert when a source goes quiet")
    d = team.add_note(NoteColumn.NOT_WELL, "IOC lists pasted by hand")
    e = team.add_note(NoteColumn.IMPROVE, "Schedule the IOC import")
    f = bob.add_note(NoteColumn.NOT_WELL, "Too much unplanned work")
    team.set_retro_phase(Phase.GROUP)
    team.add_theme("Silent sources", [b.id, c.id])
    manual = team.add_theme("Manual IOCs", [d.id, e.id])
    team.set_retro_phase(Phase.VOTE)
    team.vote(theme_id=manual.id)
    team.vote(note_id=e.id)
    team.vote(note_id=f.id)
    bob.vote(note_id=c.id)
    bob.vote(note_id=f.id)
    bob.vote(note_id=f.id)
    team.set_retro_phase(Phase.DISCUSS)
    app = make_app(team, live=False)
    async with app.run_test(size=SIZE) as pilot:
        view = await open_retro(pilot, app)
        assert body(view) == "retro-discuss"
        assert view.focused is view.query_one("#discussion")
        # One order for themes and loose notes, most votes first: the loose note with 3; Manual IOCs
        # (1 on the theme + 1 on a note = 2); Silent sources (1 on a note); the loose note with none.
        assert options(view, "discussion") == [
            "  3   What didn't go well: Too much unplanned work",
            "  2 ▸ Manual IOCs  (theme itself: 1)\n"
            "       1  What can be improved: Schedule the IOC import\n"
            "       0  What didn't go well: IOC lists pasted by hand",
            "  1 ▸ Silent sources\n"
            "       1  What can be improved: Alert when a source goes quiet\n"
            "       0  What didn't go well: GuardDuty silent for two days",
            "  0   What went well: Containment under an hour",
        ]
        assert text(view, "#retro-status") == "6 notes, 2 themes, 6 votes, 0 actions."
        assert {"a", "N", "B"} <= keys(view)
        assert not {"v", "u", "n", "g"} & keys(view)
        # Voting is over: v does nothing.
        events_before = team.last_event_id()
        await press(pilot, "v")
        assert team.last_event_id() == events_before
        assert errors(app) == []
        assert [n.id for n in current(team).notes] == [a.id, b.id, c.id, d.id, e.id, f.id]


# ------------------------------------------------------------------------------------ actions


async def test_a_agrees_an_action_that_becomes_a_card_for_its_owner(team: Store) -> None:
    record = retro(team, Phase.ACTIONS)
    app = make_app(team, live=False)
    async with app.run_test(size=SIZE) as pilot:
        view = await open_retro(pilot, app)
        assert body(view) == "retro-actions"
        assert text(view, "#retro-actions-hint").startswith("0 actions agreed.")
        await press(pilot, "a")
        form = app.screen
        assert isinstance(form, ActionForm)
        assert form.query_one("#owner", Select).value == "alice"  # the person at this console
        assert form.query_one("#due", Input).value == "2026-03-16"  # two weeks on
        assert form.query_one("#type", Select).value is WorkType.ENGINEERING
        form.query_one("#text", Input).value = "Schedule the IOC import"
        form.query_one("#owner", Select).value = "bob"
        form.query_one("#due", Input).value = "2026-03-20"
        form.query_one("#type", Select).value = WorkType.OPERATIONS
        await press(pilot, "ctrl+s")
        assert view_of(app) is view

        [action] = current(team).actions
        assert (action.text, action.owner, action.due, action.type, action.created_by) == (
            "Schedule the IOC import",
            "bob",
            date(2026, 3, 20),
            WorkType.OPERATIONS,
            "alice",
        )
        made = card(team, action.card_id)
        assert (made.title, made.assignee, made.labels, made.type, made.column) == (
            "Schedule the IOC import",
            "bob",
            (f"retro-{record.retro.id}",),
            WorkType.OPERATIONS,
            "Backlog",
        )
        assert f"Action from retro #{record.retro.id}" in made.description
        assert rows(view, "actions") == [
            [str(action.id), "Schedule the IOC import", "bob", "2026-03-20", "operations", f"#{made.id}"]
        ]
        assert text(view, "#retro-actions-hint").startswith("1 action agreed.")
        assert ("", "information", f"Action agreed: card #{made.id} is on the board.") in notices(app)


async def test_an_action_due_in_the_past_or_without_an_owner_is_refused(team: Store) -> None:
    retro(team, Phase.DISCUSS)
    app = make_app(team, live=False)
    async with app.run_test(size=SIZE) as pilot:
        view = await open_retro(pilot, app)
        cards_before = len(team.list_cards())
        await press(pilot, "a")
        form = app.screen
        assert isinstance(form, ActionForm)
        form.query_one("#text", Input).value = "Too late"
        form.query_one("#owner", Select).clear()
        await press(pilot, "ctrl+s")
        assert app.screen is form  # refused in the form: no owner
        assert "owner" in text(form, "#action-error").lower()

        form.query_one("#owner", Select).value = "carol"
        form.query_one("#due", Input).value = "2026-03-01"
        await press(pilot, "ctrl+s")
        # The form takes it; the store refuses a follow-up date before today.
        assert view_of(app) is view
        assert current(team).actions == ()
        assert len(team.list_cards()) == cards_before
        assert "the follow-up date 2026-03-01 is in the past (today is 2026-03-02)" in errors(app)


# ------------------------------------------------------------------------------------ closing


async def test_C_closes_the_retro_with_closing_notes_and_writes_the_summary(
    team: Store, clock: FixedClock, config: Path
) -> None:
    record = retro(team, Phase.WRITE, objectives="Shorter handovers")
    team.add_note(NoteColumn.WELL, "Handover notes were read")
    team.set_retro_phase(Phase.ACTIONS)
    app = make_app(team, live=False)
    async with app.run_test(size=SIZE) as pilot:
        view = await open_retro(pilot, app)
        clock.advance(45 * MINUTE)

        # esc at the prompt: nothing closes.
        await press(pilot, "C")
        assert isinstance(app.screen, TextPrompt)
        assert app.screen.question == "Close the retro for everyone. Closing notes (may be empty):"
        await press(pilot, "escape")
        assert current(team).retro.phase is Phase.ACTIONS

        # N from the last phase asks the same question.
        await press(pilot, "N")
        assert isinstance(app.screen, TextPrompt)
        await answer(pilot, "Good energy; try a shorter write phase")
        await app.workers.wait_for_complete()
        await pilot.pause()

        assert team.current_retro() is None
        closed = team.get_retro(record.retro.id).retro
        assert closed.phase is Phase.CLOSED
        assert closed.closed_at == clock.now()
        assert closed.closing_notes == "Good energy; try a shorter write phase"

        path = config / f"retro-{record.retro.id}-2026-02-28.md"
        assert path.is_file()
        written = path.read_text(encoding="utf-8")
        assert written.startswith(f"# Retro {record.retro.id}: February retro\n")
        assert "closed 2026-03-02 09:45 UTC" in written
        assert "- Handover notes were read (0 votes)" in written
        assert "## Closing notes\n\nGood energy; try a shorter write phase\n" in written
        assert (
            "Retro closed",
            "information",
            f"Summary written to {path}.",
        ) in notices(app)

        # The view is between retros again and shows the same summary.
        assert body(view) == "retro-idle"
        assert text(view, "#retro-head") == "Retro: none open"
        assert not shown(view, "#retro-phases")
        assert view.query_one("#retro-summary", Markdown).source == written
        assert shown(view, "#retro-summary")
        assert keys(view) == {"s", "question_mark", "q"}


async def test_a_summary_that_cannot_be_written_is_a_warning_and_the_retro_still_closes(
    team: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the minutes folder should be", encoding="utf-8")
    path = tmp_path / "config.toml"
    path.write_text(f'[handshake]\nminutes_dir = "{blocker}"\n', encoding="utf-8")
    monkeypatch.setenv("SOCDESK_CONFIG", str(path))
    record = retro(team, Phase.ACTIONS)
    app = make_app(team, live=False)
    async with app.run_test(size=SIZE) as pilot:
        await open_retro(pilot, app)
        await press(pilot, "C")
        await answer(pilot, "")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert team.get_retro(record.retro.id).retro.phase is Phase.CLOSED
        [(title, severity, message)] = [n for n in notices(app) if n[0] == "Retro closed"]
        assert (title, severity) == ("Retro closed", "warning")
        assert message.startswith("Summary not written:")


async def test_a_second_console_follows_the_phases_and_shows_the_summary_once_closed(
    team: Store, bob: Store, config: Path
) -> None:
    retro(team, Phase.ACTIONS)
    arrived, follower_hook = store_changes()
    leader = make_app(team, live=True)
    follower = make_app(bob, live=True)
    async with (
        leader.run_test(size=SIZE) as lead,
        follower.run_test(size=SIZE, message_hook=follower_hook) as follow,
    ):
        await open_retro(lead, leader)
        theirs = await open_retro(follow, follower)
        assert body(theirs) == "retro-actions"
        assert "a" in keys(theirs)  # everyone may agree actions; only the facilitator closes
        assert "C" not in keys(theirs)

        await press(lead, "C")
        await answer(lead, "Thanks all")
        # The app's change feed is a worker that never completes: wait for the summary's own.
        for worker in [w for w in leader.workers if w.group == "retro-summary"]:
            await worker.wait()
        await until(follow, arrived, lambda: body(theirs) == "retro-idle")
        assert text(theirs, "#retro-head") == "Retro: none open"
        source = theirs.query_one("#retro-summary", Markdown).source
        assert source.startswith("# Retro 1: February retro\n")
        assert "## Closing notes\n\nThanks all\n" in source
        assert source == (config / "retro-1-2026-02-28.md").read_text(encoding="utf-8")
        assert "s" in keys(theirs)  # anyone may start the next one


# ------------------------------------------------------------------------------------ facilitation


async def test_the_facilitators_keys_are_hidden_and_do_nothing_for_everyone_else(
    team: Store, bob: Store
) -> None:
    retro(team, Phase.WRITE)
    team.retro_timer(TimerKind.START, minutes=5)
    app = make_app(bob, live=False)
    async with app.run_test(size=SIZE) as pilot:
        view = await open_retro(pilot, app)
        assert not view.facilitating
        assert "facilitator alice" in text(view, "#retro-head")
        assert shown(view, "#retro-clock")  # everyone sees the timer
        assert text(view, "#retro-clock") == "⏱ 05:00"
        assert {"n", "x"} <= keys(view)
        assert not {"N", "B", "T", "space", "E", "C", "s"} & keys(view)

        events_before = team.last_event_id()
        for key in ("N", "B", "T", "space", "E", "C"):
            await press(pilot, key)
            assert view_of(app) is view, f"{key} opened {app.screen!r}"
        assert team.last_event_id() == events_before
        assert current(team).retro.phase is Phase.WRITE
        assert errors(app) == []

    # The facilitator's own console has them all.
    other = make_app(team, live=False)
    async with other.run_test(size=SIZE) as pilot:
        view = await open_retro(pilot, other)
        assert {"N", "B", "T", "space", "C", "n", "x"} <= keys(view)


async def test_B_goes_back_a_phase(team: Store) -> None:
    retro(team, Phase.GROUP)
    app = make_app(team, live=False)
    async with app.run_test(size=SIZE) as pilot:
        view = await open_retro(pilot, app)
        assert shown(view, "#themes-column")
        await press(pilot, "B")
        assert current(team).retro.phase is Phase.WRITE
        assert not shown(view, "#themes-column")
        await press(pilot, "B")
        assert current(team).retro.phase is Phase.OBJECTIVES
        assert body(view) == "retro-intro"
        await press(pilot, "B")  # nothing before the first phase
        assert current(team).retro.phase is Phase.OBJECTIVES
        assert errors(app) == []


async def test_back_from_discuss_to_vote_focuses_a_note_column_again(team: Store) -> None:
    retro(team, Phase.WRITE)
    note = team.add_note(NoteColumn.WELL, "Containment under an hour")
    for phase in (Phase.GROUP, Phase.VOTE, Phase.DISCUSS):
        team.set_retro_phase(phase)
    app = make_app(team, live=False)
    async with app.run_test(size=SIZE) as pilot:
        view = await open_retro(pilot, app)
        assert view.focused is view.query_one("#discussion")
        await press(pilot, "B")
        assert current(team).retro.phase is Phase.VOTE
        assert body(view) == "retro-board"
        await press(pilot, "v")
        assert [v.note_id for v in current(team).votes] == [note.id]


async def test_T_starts_the_phase_timer_space_pauses_it_and_E_adds_two_minutes(
    team: Store, clock: FixedClock
) -> None:
    retro(team, Phase.WRITE)
    app = make_app(team, live=False)
    async with app.run_test(size=SIZE) as pilot:
        view = await open_retro(pilot, app)
        clock_line = view.query_one("#retro-clock")
        assert not shown(view, "#retro-clock")
        assert "space" not in keys(view)  # nothing to pause yet

        await press(pilot, "T")
        prompt = app.screen
        assert isinstance(prompt, TextPrompt)
        assert prompt.query_one("#text", Input).value == "5"
        await answer(pilot, "4")  # the offered 5 is selected: typing replaces it
        assert view_of(app) is view
        [entry] = current(team).timer_log
        assert (entry.kind, entry.minutes, entry.phase, entry.actor) == (
            TimerKind.START,
            4,
            Phase.WRITE,
            "alice",
        )
        assert shown(view, "#retro-clock")
        assert text(view, "#retro-clock") == "⏱ 04:00"
        assert "space" in keys(view)

        await later(pilot, view, clock, MINUTE + 15 * SECOND)
        assert text(view, "#retro-clock") == "⏱ 02:45"
        assert not clock_line.has_class("-warning")
        await later(pilot, view, clock, 2 * MINUTE)  # 3:15 of 4:00 used: past 80 %
        assert text(view, "#retro-clock") == "⏱ 00:45"
        assert clock_line.has_class("-warning")

        await press(pilot, "space")
        assert current(team).timer_log[-1].kind is TimerKind.PAUSE
        assert text(view, "#retro-clock") == "⏱ 00:45 (paused)"
        assert clock_line.has_class("-paused")
        await later(pilot, view, clock, 5 * MINUTE)
        assert text(view, "#retro-clock") == "⏱ 00:45 (paused)"

        await press(pilot, "space")
        assert current(team).timer_log[-1].kind is TimerKind.RESUME
        await press(pilot, "E")
        assert (current(team).timer_log[-1].kind, current(team).timer_log[-1].minutes) == (
            TimerKind.EXTEND,
            2,
        )
        assert text(view, "#retro-clock") == "⏱ 02:45"
        assert not clock_line.has_class("-warning")

        await later(pilot, view, clock, 3 * MINUTE)
        assert text(view, "#retro-clock") == "⏱ +00:15"
        assert clock_line.has_class("-overrun")

        # A new phase ends the timer.
        await press(pilot, "N")
        assert current(team).timer_log[-1].kind is TimerKind.STOP
        assert not shown(view, "#retro-clock")


async def test_T_refuses_minutes_that_are_not_a_whole_number_or_out_of_range(team: Store) -> None:
    retro(team, Phase.WRITE)
    app = make_app(team, live=False)
    async with app.run_test(size=SIZE) as pilot:
        view = await open_retro(pilot, app)
        await press(pilot, "T")
        await answer(pilot, "ten")
        assert "Minutes are a whole number." in errors(app)
        await press(pilot, "T")
        await answer(pilot, "500")
        assert "a phase timer runs 1 to 120 minutes, not 500" in errors(app)
        assert current(team).timer_log == ()
        assert not shown(view, "#retro-clock")


async def test_the_keys_of_each_phase_are_visible_in_the_key_bar_at_120_columns(team: Store) -> None:
    retro(team, Phase.WRITE)
    team.retro_timer(TimerKind.START, minutes=5)
    app = make_app(team, live=False)
    async with app.run_test(size=SIZE) as pilot:
        view = await open_retro(pilot, app)
        bar = view.query_one(KeyBar)

        def on_screen() -> str:
            return "".join(segment.text for segment in bar.render_line(0))

        seen = {"write": on_screen()}
        team.set_retro_phase(Phase.GROUP)
        team.retro_timer(TimerKind.START, minutes=5)
        view.reload()
        await pilot.pause()
        seen["group"] = on_screen()
        team.set_retro_phase(Phase.VOTE)
        team.retro_timer(TimerKind.START, minutes=5)
        view.reload()
        await pilot.pause()
        seen["vote"] = on_screen()
        for phase, words in {
            "write": ["Note", "Take back", "Pause", "Close", "Quit"],
            "group": ["Theme…", "Pause", "Close", "Quit"],
            "vote": ["Vote", "Unvote", "Close", "Quit"],
        }.items():
            for word in words:
                assert word in seen[phase], f"{word!r} cut off in the {phase} phase: {seen[phase]!r}"


# ------------------------------------------------------------------------------------ the Mix view


def mix_view(app: SocdeskApp) -> MixView:
    screen = app.screen
    assert isinstance(screen, MixView), f"expected the Mix view, the app shows {screen!r}"
    return screen


def mix_head(view: MixView) -> str:
    return str(view.query_one(".mix-head", Static).content)


async def test_the_mix_view_moves_its_period_with_brackets_l_and_t(store: Store) -> None:
    load_sample(store)
    app = make_app(store, live=False)
    async with app.run_test(size=(140, 45)) as pilot:
        await press(pilot, "5")
        view = mix_view(app)
        assert {"left_square_bracket", "right_square_bracket", "l", "t", "p"} <= keys(view)
        # The 28 days up to today (the sample team's zone is Europe/London).
        assert (view.start, view.end) == (date(2026, 2, 3), date(2026, 3, 2))
        assert mix_head(view) == (
            "Work mix 2026-02-03 → 2026-03-02 (28 days, Europe/London)"
            "  ·  compared with 2026-01-06 → 2026-02-02"
        )
        panel = view.query_one(MixPanel)
        types = panel.query_one(".mix-types", DataTable)
        assert_types_match(table_rows(types), review_mix(store, date(2026, 2, 3), date(2026, 3, 2)))
        assert table_rows(types)[-1][:3] == ["total", "33", "8"]

        await press(pilot, "left_square_bracket")
        assert (view.start, view.end) == (date(2026, 1, 6), date(2026, 2, 2))
        assert mix_head(view).startswith("Work mix 2026-01-06 → 2026-02-02 (28 days, Europe/London)")
        assert_types_match(table_rows(types), review_mix(store, date(2026, 1, 6), date(2026, 2, 2)))
        await press(pilot, "right_square_bracket", "right_square_bracket")
        assert (view.start, view.end) == (date(2026, 3, 3), date(2026, 3, 30))

        # l cycles the length (1, 2, 4, 13 weeks), keeping the last day.
        lengths = []
        for _ in range(4):
            await press(pilot, "l")
            assert view.end == date(2026, 3, 30)
            lengths.append((view.end - view.start).days + 1)  # type: ignore[operator]
        assert lengths == [91, 7, 14, 28]
        await press(pilot, "l")
        assert mix_head(view) == (
            "Work mix 2025-12-30 → 2026-03-30 (91 days, Europe/London)"
            "  ·  compared with 2025-09-30 → 2025-12-29"
        )
        # t: the same length, ending today.
        await press(pilot, "t")
        assert (view.start, view.end) == (date(2025, 12, 2), date(2026, 3, 2))
        assert_types_match(table_rows(types), review_mix(store, date(2025, 12, 2), date(2026, 3, 2)))
        assert table_rows(types)[-1][:3] == ["total", "46", "16"]


async def test_p_types_a_period_and_a_bad_one_is_an_error_that_changes_nothing(store: Store) -> None:
    load_sample(store)
    app = make_app(store, live=False)
    async with app.run_test(size=(140, 45)) as pilot:
        await press(pilot, "5")
        view = mix_view(app)
        types = view.query_one(MixPanel).query_one(".mix-types", DataTable)
        before = (view.start, view.end, mix_head(view), table_rows(types))

        for bad, message in [
            ("2026-02-30 2026-03-01", "not dates (YYYY-MM-DD): '2026-02-30 2026-03-01'"),
            ("2026-03-01 2026-02-01", "the period ends (2026-02-01) before it starts (2026-03-01)"),
            ("2026-02-01", "give the first and the last day, e.g. 2026-11-01 2026-11-28"),
            ("last month", "not dates (YYYY-MM-DD): 'last month'"),
        ]:
            await press(pilot, "p")
            prompt = app.screen
            assert isinstance(prompt, TextPrompt)
            assert prompt.query_one("#text", Input).value == "2026-02-03 2026-03-02"
            await answer(pilot, bad)
            assert mix_view(app) is view
            assert ("Period", "error", message) in notices(app)
            assert (view.start, view.end, mix_head(view), table_rows(types)) == before

        await press(pilot, "p")
        await answer(pilot, "2026-01-01 → 2026-01-31")
        assert (view.start, view.end) == (date(2026, 1, 1), date(2026, 1, 31))
        assert mix_head(view).startswith("Work mix 2026-01-01 → 2026-01-31 (31 days, Europe/London)")
        assert_types_match(table_rows(types), review_mix(store, date(2026, 1, 1), date(2026, 1, 31)))


async def test_the_mix_view_redraws_after_another_console_adds_a_card(
    team: Store, db_path: Path, clock: FixedClock
) -> None:
    heard, hook = store_changes()
    app = make_app(team, live=True)
    async with app.run_test(size=(140, 45), message_hook=hook) as pilot:
        await press(pilot, "5")
        view = mix_view(app)
        types = view.query_one(MixPanel).query_one(".mix-types", DataTable)
        assert table_rows(types)[-1][:3] == ["total", "0", "0"]
        carol = open_store(db_path, actor="carol", clock=clock)
        try:
            carol.add_card(CardDraft(title="Beaconing from HR laptop", type=WorkType.UNPLANNED))
        finally:
            carol.close()
        await until(pilot, heard, lambda: view._stale)
        view._refresh_if_stale()  # what the view's once-a-second interval does
        await pilot.pause()
        assert not view._stale
        assert table_rows(types)[-1][:3] == ["total", "1", "0"]
        unplanned = next(row for row in table_rows(types) if row[0] == "unplanned")
        assert unplanned[:2] == ["unplanned", "1"]
