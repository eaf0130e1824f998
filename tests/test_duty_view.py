"""The Duty view, driven for real: every key through Pilot, checked on screen and in the file.

Each test runs the real app on a real SQLite file and asserts on what the view's widgets show and on
what reached the database, read back through the store. The team: alice and bob take turns as the
on-duty engineer, carol and dan as the on-call analyst, weekly on Mondays at 09:00 Europe/London from
Monday 2026-03-02 (the clock's day). Europe/London goes to summer time on Sunday 2026-03-29, so the
handover on Monday 2026-03-30 is at 08:00 UTC.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from textual import events
from textual.pilot import Pilot
from textual.widgets import Input, Static, TextArea

from duty_helpers import weekly
from live import store_changes, until
from socdesk.domain import CardDraft, FixedClock, Person
from socdesk.domain.duty import OverrideDraft, Role
from socdesk.store import Store, open_store
from socdesk.ui.app import SocdeskApp, make_app
from socdesk.ui.screens.dialogs import ConfirmScreen
from socdesk.ui.screens.duty import DutyView
from socdesk.ui.screens.duty_forms import NoteForm, OverrideForm, RotationForm
from socdesk.ui.screens.help import keys_of

SIZE = (120, 40)
PEOPLE = {"alice": "Alice Archer", "bob": "Bob Builder", "carol": "Carol Chen", "dan": "Dan Dorn"}
HANDLES = sorted(PEOPLE)  # the order the override form's person Select offers them in


def utc(day: int, hour: int = 9, month: int = 3) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)


@pytest.fixture
def team(store: Store) -> Store:
    for handle, name in PEOPLE.items():
        store.add_person(Person(handle=handle, name=name))
    store.set_rotation(weekly(Role.ENGINEER, "alice", "bob"))
    store.set_rotation(weekly(Role.ANALYST, "carol", "dan"))
    return store


@pytest.fixture
def bob(db_path: Path, clock: FixedClock, team: Store) -> Iterator[Store]:
    """Another person's store on the same file (``team`` first: it creates the file and the roster)."""
    other = open_store(db_path, actor="bob", clock=clock)
    yield other
    other.close()


# ------------------------------------------------------------------------------------ helpers


async def open_duty(pilot: Pilot[int], app: SocdeskApp) -> DutyView:
    await pilot.press("2")
    await pilot.pause()
    return duty(app)


def duty(app: SocdeskApp) -> DutyView:
    screen = app.screen
    assert isinstance(screen, DutyView), f"expected the Duty view, the app shows {screen!r}"
    return screen


def text(app: SocdeskApp, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).content)


def rows(app: SocdeskApp, table: str) -> list[list[str]]:
    widget = duty(app).table(table)
    return [[str(cell) for cell in widget.get_row_at(index)] for index in range(widget.row_count)]


def role_rows(app: SocdeskApp, role: Role) -> list[list[str]]:
    """The schedule's rows of one role: [from, to, who, source]."""
    return [row[1:] for row in rows(app, "schedule") if row[0] == role.value]


def cursor(app: SocdeskApp, table: str) -> str | None:
    return duty(app).table(table).current_key


async def paste(pilot: Pilot[int], value: str) -> None:
    """Paste into the focused field as a terminal does: one event to the app (typing is slow to test)."""
    pilot.app.post_message(events.Paste(value))
    await pilot.pause()


async def fill(pilot: Pilot[int], field: str, value: str) -> None:
    """Focus the form's ``field``, empty it with keys (to the start, delete to the end), paste ``value``."""
    pilot.app.screen.query_one(f"#{field}", Input).focus()
    await pilot.pause()
    await pilot.press("home", "ctrl+k")
    await paste(pilot, value)


# ------------------------------------------------------------------------------------ showing


async def test_now_names_who_holds_each_role_with_since_until_and_source(
    team: Store, clock: FixedClock
) -> None:
    app = make_app(team, live=False)
    async with app.run_test(size=SIZE) as pilot:
        view = await open_duty(pilot, app)
        assert text(app, "#now-engineer") == (
            "On-duty engineer: Alice Archer (@alice) · since Mon 02 Mar 09:00"
            " · until Mon 09 Mar 09:00 (in 7d 0h) · rotation"
        )
        assert text(app, "#now-analyst").startswith("On-call analyst: Carol Chen (@carol) · since Mon 02 Mar")
        assert not view.query_one("#now-engineer").has_class("-missing")
        assert not view.query_one("#now-analyst").has_class("-missing")
        # Time moves on: the next re-render (the minute timer's) shows the new holders.
        clock.advance(utc(10) - utc(2))
        view.refresh_view()
        await pilot.pause()
        assert text(app, "#now-engineer").startswith(
            "On-duty engineer: Bob Builder (@bob) · since Mon 09 Mar"
        )
        assert "until Mon 16 Mar 09:00 (in 6d 0h)" in text(app, "#now-engineer")


async def test_a_role_nobody_holds_is_shown_as_an_error(store: Store) -> None:
    store.add_person(Person(handle="alice", name="Alice Archer"))
    store.set_rotation(weekly(Role.ENGINEER, "alice"))
    app = make_app(store, live=False)
    async with app.run_test(size=SIZE) as pilot:
        view = await open_duty(pilot, app)
        assert text(app, "#now-analyst") == "NO ON-CALL ANALYST · nobody scheduled"
        assert view.query_one("#now-analyst").has_class("-missing")
        assert text(app, "#rotation-analyst") == "analyst: no rotation set (r sets one)"
        assert view.query_one("#rotation-analyst").has_class("-unset")
        assert role_rows(app, Role.ANALYST) == [
            ["Mon 02 Mar 09:00", "Mon 30 Mar 09:00", "NO ON-CALL ANALYST", "—"]
        ]


async def test_the_schedule_lists_four_weeks_per_role_in_local_time_across_the_dst_change(
    team: Store,
) -> None:
    app = make_app(team, live=False)
    async with app.run_test(size=SIZE) as pilot:
        view = await open_duty(pilot, app)
        assert text(app, "#schedule-title") == "Next 4 weeks · times in Europe/London"
        expected = {
            Role.ENGINEER: ["Alice Archer", "Bob Builder", "Alice Archer", "Bob Builder"],
            Role.ANALYST: ["Carol Chen", "Dan Dorn", "Carol Chen", "Dan Dorn"],
        }
        starts = ["Mon 02 Mar 09:00", "Mon 09 Mar 09:00", "Mon 16 Mar 09:00", "Mon 23 Mar 09:00"]
        ends = [*starts[1:], "Mon 30 Mar 09:00"]
        for role, names in expected.items():
            assert role_rows(app, role) == [
                [start, end, name, "rotation"] for start, end, name in zip(starts, ends, names, strict=True)
            ]
        # Sorted by start, both roles interleaved.
        assert [row[0] for row in rows(app, "schedule")] == ["engineer", "analyst"] * 4
        # The last shift ends at the 09:00 handover on the wall: 08:00 UTC, as summer time has begun.
        last = [slot for slot in view.slots.values() if slot.role is Role.ENGINEER][-1]
        assert (last.start, last.end) == (utc(23), utc(30, 8))
        assert text(app, "#rotation-engineer") == (
            "engineer: alice → bob · shift 7d · handover mon 09:00 · Europe/London · from 2026-03-02"
        )


async def test_the_duty_keys_are_in_the_key_bar_and_the_help(team: Store) -> None:
    app = make_app(team, live=False)
    async with app.run_test(size=SIZE) as pilot:
        view = await open_duty(pilot, app)
        sections = dict(app.help_sections())
        described = {(keys_of(b), b.description) for b in sections["Duty"]}
        assert {
            ("a", "Add override"),
            ("x", "Remove override"),
            ("s", "Swap shifts"),
            ("escape", "Cancel swap"),
            ("r", "Rotation"),
            ("N", "Handover note"),
        } <= described
        assert view.focused is view.table("schedule")


# ------------------------------------------------------------------------------------ overrides


async def test_a_adds_an_override_for_the_selected_shift(team: Store) -> None:
    app = make_app(team, live=False)
    async with app.run_test(size=SIZE) as pilot:
        await open_duty(pilot, app)
        await pilot.press("down", "down")  # engineer, Mon 09 Mar: bob's week
        assert cursor(app, "schedule") == f"engineer@{utc(9).isoformat()}"
        await pilot.press("a")
        form = app.screen
        assert isinstance(form, OverrideForm)
        # The form starts from the selected shift, in local time.
        assert form.query_one("#starts", Input).value == "2026-03-09T09:00"
        assert form.query_one("#ends", Input).value == "2026-03-16T09:00"
        await pilot.press("enter", *["down"] * (HANDLES.index("dan") + 1), "enter")
        await fill(pilot, "starts", "2026-03-10T09:00")
        await fill(pilot, "ends", "2026-03-11T21:00")
        await fill(pilot, "reason", "bob at the dentist")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, DutyView)

        [override] = team.list_overrides()
        assert (override.role, override.person, override.reason) == (
            Role.ENGINEER,
            "dan",
            "bob at the dentist",
        )
        assert (override.starts_at, override.ends_at) == (utc(10), utc(11, 21))
        assert override.created_by == "alice"
        assert rows(app, "overrides") == [
            [
                str(override.id),
                "engineer",
                "Dan Dorn",
                "Tue 10 Mar 09:00",
                "Wed 11 Mar 21:00",
                "bob at the dentist",
                "",
            ]
        ]
        assert cursor(app, "overrides") == str(override.id)
        assert role_rows(app, Role.ENGINEER)[1:4] == [
            ["Mon 09 Mar 09:00", "Tue 10 Mar 09:00", "Bob Builder", "rotation"],
            [
                "Tue 10 Mar 09:00",
                "Wed 11 Mar 21:00",
                "Dan Dorn",
                f"override #{override.id}: bob at the dentist",
            ],
            ["Wed 11 Mar 21:00", "Mon 16 Mar 09:00", "Bob Builder", "rotation"],
        ]
        # The cursor stayed on the row it was on.
        assert cursor(app, "schedule") == f"engineer@{utc(9).isoformat()}"


async def test_invalid_override_input_is_refused_inline_and_nothing_is_written(team: Store) -> None:
    app = make_app(team, live=False)
    async with app.run_test(size=SIZE) as pilot:
        await open_duty(pilot, app)
        events = team.last_event_id()
        await pilot.press("a")
        form = app.screen
        assert isinstance(form, OverrideForm)

        def error(field: str) -> str:
            return str(form.query_one(f"#{field}-error", Static).content)

        # Nobody chosen, a time nobody can read.
        await fill(pilot, "starts", "next tuesday-ish")
        await pilot.press("ctrl+s")
        assert error("person") == "choose who covers"
        assert "'next tuesday-ish' is not an ISO date-time" in error("starts")
        assert app.screen is form

        # Someone chosen, but the end before the start.
        form.query_one("#person").focus()
        await pilot.press("enter", *["down"] * (HANDLES.index("carol") + 1), "enter")
        await fill(pilot, "starts", "2026-03-12T09:00")
        await fill(pilot, "ends", "2026-03-11T09:00")
        await pilot.press("enter")  # enter in a field saves too
        assert error("person") == error("starts") == ""
        assert error("ends") == "an override must end after it starts"
        assert app.screen is form
        assert team.last_event_id() == events
        assert team.list_overrides() == []

        await pilot.press("escape")
        assert isinstance(app.screen, DutyView)
        assert team.last_event_id() == events
        assert rows(app, "overrides") == []
        assert text(app, "#no-overrides") == "none now or ahead (a adds one)"


async def test_x_removes_the_selected_override_after_a_confirm(team: Store) -> None:
    keep = team.add_override(OverrideDraft(role=Role.ANALYST, person="dan", starts_at=utc(3), ends_at=utc(4)))
    gone = team.add_override(
        OverrideDraft(role=Role.ENGINEER, person="carol", starts_at=utc(5), ends_at=utc(6), reason="training")
    )
    app = make_app(team, live=False)
    async with app.run_test(size=SIZE) as pilot:
        view = await open_duty(pilot, app)
        view.table("overrides").focus()
        await pilot.press("down")
        assert cursor(app, "overrides") == str(gone.id)

        # No: nothing happens.
        await pilot.press("x")
        assert isinstance(app.screen, ConfirmScreen)
        assert f"Remove override #{gone.id}: Carol Chen as engineer" in app.screen.question
        events = team.last_event_id()
        await pilot.press("n")
        assert isinstance(app.screen, DutyView)
        assert team.last_event_id() == events
        assert len(team.list_overrides()) == 2

        # Yes: it goes, from the file and from both tables.
        await pilot.press("x", "y")
        await pilot.pause()
        assert [o.id for o in team.list_overrides()] == [keep.id]
        assert team.recent_events(1)[0].action == "duty.override.remove"
        assert [row[0] for row in rows(app, "overrides")] == [str(keep.id)]
        assert cursor(app, "overrides") == str(keep.id)
        assert all("override" not in row[3] for row in role_rows(app, Role.ENGINEER))


# ------------------------------------------------------------------------------------ swaps


async def test_s_then_s_swaps_two_shifts_and_x_removes_both_halves(team: Store) -> None:
    app = make_app(team, live=False)
    async with app.run_test(size=SIZE) as pilot:
        view = await open_duty(pilot, app)
        events = team.last_event_id()
        await pilot.press("down", "down", "s")  # engineer Mon 09 Mar (bob)
        assert view.query_one("#swap-hint").display
        assert text(app, "#swap-hint").startswith(
            "Swap engineer Mon 09 Mar 09:00 – Mon 16 Mar 09:00 (Bob Builder)"
        )

        # An analyst shift is not a partner for an engineer's.
        await pilot.press("down", "s")
        assert view.swap_from is not None
        assert team.last_event_id() == events

        await pilot.press("down", "s")  # engineer Mon 16 Mar (alice)
        await pilot.pause()
        assert not view.query_one("#swap-hint").display
        first, second = team.list_overrides()
        assert (first.person, first.starts_at, first.ends_at) == ("alice", utc(9), utc(16))
        assert (second.person, second.starts_at, second.ends_at) == ("bob", utc(16), utc(23))
        assert (first.swap_id, second.swap_id) == (second.id, first.id)
        assert [row[2] for row in role_rows(app, Role.ENGINEER)] == [
            "Alice Archer",
            "Alice Archer",
            "Bob Builder",
            "Bob Builder",
        ]
        assert role_rows(app, Role.ENGINEER)[1][3] == f"override #{first.id}: swap: bob <-> alice"
        assert [row[6] for row in rows(app, "overrides")] == [f"swap ↔ #{second.id}", f"swap ↔ #{first.id}"]

        # Removing one half removes the swap.
        view.table("overrides").focus()
        await pilot.press("x")
        assert isinstance(app.screen, ConfirmScreen)
        assert f"half of a swap: #{second.id} goes too" in app.screen.question
        await pilot.press("y")
        await pilot.pause()
        assert team.list_overrides() == []
        assert rows(app, "overrides") == []
        assert [row[2] for row in role_rows(app, Role.ENGINEER)][1:3] == ["Bob Builder", "Alice Archer"]


async def test_enter_completes_a_swap_and_escape_cancels_one(team: Store) -> None:
    app = make_app(team, live=False)
    async with app.run_test(size=SIZE) as pilot:
        view = await open_duty(pilot, app)
        events = team.last_event_id()
        await pilot.press("down", "s", "escape")  # analyst Mon 02 Mar, then cancelled
        assert view.swap_from is None
        assert not view.query_one("#swap-hint").display
        await pilot.press("down", "down", "enter")  # no swap pending: enter does nothing
        assert team.last_event_id() == events

        await pilot.press("s", "down", "down", "enter")  # analyst Mon 09 Mar (dan) with Mon 16 Mar (carol)
        await pilot.pause()
        assert [(o.role, o.person, o.starts_at) for o in team.list_overrides()] == [
            (Role.ANALYST, "carol", utc(9)),
            (Role.ANALYST, "dan", utc(16)),
        ]
        assert [row[2] for row in role_rows(app, Role.ANALYST)] == [
            "Carol Chen",
            "Carol Chen",
            "Dan Dorn",
            "Dan Dorn",
        ]


# ------------------------------------------------------------------------------------ rotation


async def test_r_edits_the_rotation_of_the_selected_role(team: Store) -> None:
    app = make_app(team, live=False)
    async with app.run_test(size=SIZE) as pilot:
        await open_duty(pilot, app)
        await pilot.press("r")
        form = app.screen
        assert isinstance(form, RotationForm)
        values = {
            f: form.query_one(f"#{f}", Input).value for f in ("members", "length", "handover", "tz", "start")
        }
        assert values == {
            "members": "alice, bob",
            "length": "7d",
            "handover": "mon 09:00",
            "tz": "Europe/London",
            "start": "2026-03-02",
        }

        # A bad length and an unknown person are refused inline; nothing is written.
        events = team.last_event_id()
        await fill(pilot, "length", "a fortnight")
        await pilot.press("ctrl+s")
        assert "give a number of days or hours" in str(form.query_one("#length-error", Static).content)
        await fill(pilot, "length", "12h")
        await fill(pilot, "members", "alice, zed")
        await pilot.press("ctrl+s")
        assert "no person with handle 'zed'" in str(form.query_one("#members-error", Static).content)
        assert team.last_event_id() == events
        assert app.screen is form

        await fill(pilot, "members", "alice, bob, carol")
        await fill(pilot, "handover", "09:00")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, DutyView)
        engineer = {r.role: r for r in team.list_rotations()}[Role.ENGINEER]
        assert (engineer.members, engineer.shift_hours, engineer.handover_weekday) == (
            ("alice", "bob", "carol"),
            12,
            None,
        )
        assert engineer.version == 2
        assert text(app, "#rotation-engineer") == (
            "engineer: alice → bob → carol · shift 12h · handover 09:00 · Europe/London · from 2026-03-02"
        )
        assert [row[2] for row in role_rows(app, Role.ENGINEER)][:4] == [
            "Alice Archer",
            "Bob Builder",
            "Carol Chen",
            "Alice Archer",
        ]


async def test_a_rotation_changed_meanwhile_is_a_conflict_shown_in_the_form(team: Store, bob: Store) -> None:
    app = make_app(team, live=False)
    async with app.run_test(size=SIZE) as pilot:
        await open_duty(pilot, app)
        await pilot.press("down", "r")  # the analyst row: the form opens on the analyst rotation
        form = app.screen
        assert isinstance(form, RotationForm)
        assert form.query_one("#members", Input).value == "carol, dan"

        theirs = bob.set_rotation(weekly(Role.ANALYST, "dan", "carol"), expected_version=1)
        await fill(pilot, "members", "carol, dan, bob")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is form
        assert form.query_one("#conflict").display
        assert "rotation analyst was changed by bob" in str(form.query_one("#conflict", Static).content)
        assert {r.role: r for r in team.list_rotations()}[Role.ANALYST] == theirs

        # Reload theirs: the form shows what bob saved.
        await pilot.click("#reload")
        assert form.query_one("#members", Input).value == "dan, carol"
        assert not form.query_one("#conflict").display
        await pilot.press("escape")
        assert text(app, "#rotation-analyst").startswith("analyst: dan → carol")


# ------------------------------------------------------------------------------------ notes


async def test_N_writes_a_handover_note_that_lists_open_unplanned_cards(team: Store) -> None:
    card = team.add_card(CardDraft(title="Beaconing from HR laptop", type="unplanned", column="Backlog"))
    app = make_app(team, live=False)
    async with app.run_test(size=SIZE) as pilot:
        view = await open_duty(pilot, app)
        assert not view.query_one("#note-0-head").display
        await pilot.press("N")
        form = app.screen
        assert isinstance(form, NoteForm)
        assert f"#{card.id} Beaconing from HR laptop [Backlog]" in str(
            form.query_one("#note-cards", Static).content
        )

        # An empty note is refused.
        events = team.last_event_id()
        await pilot.press("ctrl+s")
        assert str(form.query_one("#text-error", Static).content) == "write something"
        assert team.last_event_id() == events

        await paste(pilot, "Quiet night. Watch host-17.")
        assert form.query_one("#text", TextArea).text == "Quiet night. Watch host-17."
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, DutyView)

        [note] = team.list_handover_notes()
        assert (note.role, note.author, note.text) == (Role.ENGINEER, "alice", "Quiet night. Watch host-17.")
        assert [c.id for c in note.cards] == [card.id]
        assert note.handover_at == utc(2)  # alice just took over: the handover that began her week
        assert text(app, "#note-0-head") == "engineer · handover Mon 02 Mar 09:00 · Alice Archer"
        assert text(app, "#note-0-body") == (
            f"Quiet night. Watch host-17.\n  #{card.id} Beaconing from HR laptop [Backlog]"
        )
        assert not view.query_one("#no-notes").display


# ------------------------------------------------------------------------------------ live


async def test_changes_by_another_process_show_up_and_the_cursor_stays(team: Store, bob: Store) -> None:
    arrived, hook = store_changes()
    app = make_app(team, live=True)
    async with app.run_test(size=SIZE, message_hook=hook) as pilot:
        await open_duty(pilot, app)
        await pilot.press("down", "down", "down", "down")  # engineer Mon 16 Mar
        key = f"engineer@{utc(16).isoformat()}"
        assert cursor(app, "schedule") == key

        # bob covers part of carol's week: the analyst rows split above the cursor, which stays put.
        override = bob.add_override(
            OverrideDraft(role=Role.ANALYST, person="bob", starts_at=utc(3), ends_at=utc(4), reason="cover")
        )
        await until(pilot, arrived, lambda: [row[0] for row in rows(app, "overrides")] == [str(override.id)])
        assert role_rows(app, Role.ANALYST)[1] == [
            "Tue 03 Mar 09:00",
            "Wed 04 Mar 09:00",
            "Bob Builder",
            f"override #{override.id}: cover",
        ]
        assert cursor(app, "schedule") == key

        # A rotation changed elsewhere: the view follows.
        bob.set_rotation(weekly(Role.ENGINEER, "bob", "alice"), expected_version=1)
        await until(
            pilot, arrived, lambda: text(app, "#now-engineer").startswith("On-duty engineer: Bob Builder")
        )
        assert text(app, "#rotation-engineer").startswith("engineer: bob → alice")
        assert cursor(app, "schedule") == key

        bob.add_handover_note(Role.ANALYST, "All yours.")
        await until(pilot, arrived, lambda: duty(app).query_one("#note-0-head").display)
        assert text(app, "#note-0-head").endswith("· Bob Builder")
