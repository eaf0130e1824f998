"""The Handshake view, driven for real: every key through Pilot, checked on screen and in the file.

Each test runs the real app on a real SQLite file with a clock that only moves when told. The view
folds the meeting's clock at ``store.clock.now()`` on a 0.5 s interval; after moving the clock a test
calls the view's ``tick()`` instead of waiting for the interval. The team: alice and bob take turns as
the on-duty engineer, carol and dan as the on-call analyst; the handshake is booked for Mondays 09:00
UTC, the clock's own moment (Monday 2026-03-02 09:00 UTC). ``SOCDESK_CONFIG`` points at a file in the
test's directory, so the person's own settings never leak in and the minutes land there.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from textual import events
from textual.pilot import Pilot
from textual.widgets import ContentSwitcher, Input, Markdown, Static

from duty_helpers import weekly
from live import store_changes, until
from socdesk.domain import CardDraft, FixedClock, Person
from socdesk.domain.duty import Role
from socdesk.domain.handshake import Agenda, EntryKind
from socdesk.domain.models import Card, Kind, Priority, WorkType
from socdesk.store import Store, open_store
from socdesk.ui.app import SocdeskApp, make_app
from socdesk.ui.screens.dialogs import ConfirmScreen, ReasonScreen
from socdesk.ui.screens.handshake import HandshakeView
from socdesk.ui.screens.handshake_forms import AgendaForm, TextPrompt, TypePrompt
from socdesk.ui.widgets.key_bar import KeyBar

SIZE = (120, 40)
PEOPLE = {"alice": "Alice Archer", "bob": "Bob Builder", "carol": "Carol Chen", "dan": "Dan Dorn"}
MINUTE = timedelta(minutes=1)
SECOND = timedelta(seconds=1)


@pytest.fixture(autouse=True)
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """This test's own config.toml: the minutes go to ``tmp_path/minutes``, the bell stays off."""
    minutes = tmp_path / "minutes"
    path = tmp_path / "config.toml"
    path.write_text(f'[handshake]\nminutes_dir = "{minutes}"\n', encoding="utf-8")
    monkeypatch.setenv("SOCDESK_CONFIG", str(path))
    return minutes


@pytest.fixture
def team(store: Store) -> Store:
    """The roster, the booked slot (now), one topic, a backlog, To Do one card short of full, detections."""
    for handle, name in PEOPLE.items():
        store.add_person(Person(handle=handle, name=name))
    store.set_rotation(weekly(Role.ENGINEER, "alice", "bob"))
    store.set_rotation(weekly(Role.ANALYST, "carol", "dan"))
    store.set_agenda(Agenda(schedule="mon 09:00", tz="UTC"))
    store.set_wip_limit("To Do", 2)
    for title, priority in [
        ("Patch the VPN gateway", Priority.LOW),
        ("Rotate the API keys", Priority.HIGH),
        ("Write the phishing playbook", Priority.MEDIUM),
    ]:
        store.add_card(CardDraft(title=title, type=WorkType.OPERATIONS, priority=priority, column="Backlog"))
    store.add_card(CardDraft(title="Renew the TLS certificates", type=WorkType.OPERATIONS, column="To Do"))
    for title, column in [
        ("Impossible travel rule", "Review"),
        ("DNS tunnelling rule", "Review"),
        ("Old brute-force rule", "Done"),
    ]:
        store.add_card(CardDraft(title=title, type=WorkType.ENGINEERING, kind=Kind.DETECTION, column=column))
    store.add_topic("Noisy EDR alerts on build hosts")
    return store


@pytest.fixture
def bob(db_path: Path, clock: FixedClock, team: Store) -> Iterator[Store]:
    """Another person's store on the same file (``team`` first: it creates the file and the data)."""
    other = open_store(db_path, actor="bob", clock=clock)
    yield other
    other.close()


# ------------------------------------------------------------------------------------ helpers


async def open_handshake(pilot: Pilot[int], app: SocdeskApp) -> HandshakeView:
    await pilot.press("3")
    await pilot.pause()
    return view_of(app)


def view_of(app: SocdeskApp) -> HandshakeView:
    screen = app.screen
    assert isinstance(screen, HandshakeView), f"expected the Handshake view, the app shows {screen!r}"
    return screen


def text(view: HandshakeView, selector: str) -> str:
    return str(view.query_one(selector, Static).content)


def shown(view: HandshakeView, selector: str) -> bool:
    return view.query_one(selector).display


def rows(view: HandshakeView, table: str) -> list[list[str]]:
    widget = view.table(table)
    return [[str(cell) for cell in widget.get_row_at(index)] for index in range(widget.row_count)]


def body(view: HandshakeView) -> str | None:
    return view.query_one("#hs-body", ContentSwitcher).current


def keys(view: HandshakeView) -> set[str]:
    return {b.key for b in view.query_one(KeyBar)._shown()}


def notices(app: SocdeskApp) -> list[tuple[str, str, str]]:
    return [(n.title, n.severity, n.message) for n in app._notifications]


def card(store: Store, title: str) -> Card:
    return next(c for c in store.list_cards() if c.title == title)


async def later(pilot: Pilot[int], view: HandshakeView, clock: FixedClock, delta: timedelta) -> None:
    """Move the clock and redraw the clock lines, as the view's 0.5 s tick would."""
    clock.advance(delta)
    view.tick()
    await pilot.pause()


async def answer(pilot: Pilot[int], value: str) -> None:
    """Type into the open prompt as a terminal pastes (one event), then enter."""
    pilot.app.post_message(events.Paste(value))
    await pilot.pause()
    await pilot.press("enter")
    await pilot.pause()


async def start(pilot: Pilot[int], app: SocdeskApp, *sections: str) -> HandshakeView:
    """Open the view, press S, then ``n`` once per name in ``sections`` (for readability only)."""
    view = await open_handshake(pilot, app)
    await pilot.press("S")
    await pilot.pause()
    for _ in sections:
        await pilot.press("n")
        await pilot.pause()
    return view


# ------------------------------------------------------------------------------------ between meetings


async def test_the_idle_view_lists_the_intake_and_T_submits_a_topic(team: Store) -> None:
    app = make_app(team, live=False)
    async with app.run_test(size=SIZE) as pilot:
        view = await open_handshake(pilot, app)
        assert body(view) == "hs-idle"
        assert not shown(view, "#hs-clock")
        assert text(view, "#hs-head") == (
            "No handshake running · booked mon 09:00 UTC · 1/6 topics · S starts it"
        )
        assert text(view, "#hs-intake-title").startswith("Topics for the next handshake (1/6)")
        [first] = team.list_topics()
        assert rows(view, "intake") == [
            [str(first.id), "Noisy EDR alerts on build hosts", "alice", "Mon 02 Mar 09:00", ""]
        ]
        assert not shown(view, "#hs-minutes")  # no meeting held yet

        await pilot.press("T")
        assert isinstance(app.screen, TextPrompt)
        await answer(pilot, "Who owns the phishing playbook?")
        assert view_of(app) is view
        topics = team.list_topics()
        assert [(t.text, t.submitted_by, t.meeting_id) for t in topics] == [
            ("Noisy EDR alerts on build hosts", "alice", None),
            ("Who owns the phishing playbook?", "alice", None),
        ]
        assert [row[1] for row in rows(view, "intake")] == [t.text for t in topics]
        assert "2/6 topics" in text(view, "#hs-head")
        assert ("", "information", f"Topic #{topics[1].id} submitted.") in notices(app)


async def test_a_seventh_topic_is_refused_with_an_error_and_nothing_is_written(team: Store) -> None:
    for number in range(2, 7):
        team.add_topic(f"Topic number {number}")
    app = make_app(team, live=False)
    async with app.run_test(size=SIZE) as pilot:
        view = await open_handshake(pilot, app)
        assert "6/6 topics" in text(view, "#hs-head")
        events_before = team.last_event_id()
        await pilot.press("T")
        await answer(pilot, "One too many")
        assert view_of(app) is view
        assert team.last_event_id() == events_before
        assert len(team.list_topics()) == 6
        assert "One too many" not in [row[1] for row in rows(view, "intake")]
        [(title, severity, message)] = [n for n in notices(app) if n[1] == "error"]
        assert (title, severity) == ("InvalidInput", "error")
        assert "already has 6 topics" in message


async def test_D_moves_the_selected_topic_to_next_week(team: Store) -> None:
    second = team.add_topic("Phishing playbook owner?")
    app = make_app(team, live=False)
    async with app.run_test(size=SIZE) as pilot:
        view = await open_handshake(pilot, app)
        await pilot.press("down")
        assert view.table("intake").current_key == second.id
        await pilot.press("D")
        await pilot.pause()
        assert {t.id: t.deferred for t in team.list_topics()}[second.id] is True
        assert rows(view, "intake")[1][1:] == [
            "Phishing playbook owner?",
            "alice",
            "Mon 02 Mar 09:00",
            "next week",
        ]
        assert "1/6 topics" in text(view, "#hs-head")
        assert view.table("intake").current_key == second.id


async def test_A_edits_the_teams_agenda_and_refuses_one_longer_than_an_hour(team: Store) -> None:
    app = make_app(team, live=False)
    async with app.run_test(size=SIZE) as pilot:
        view = await open_handshake(pilot, app)
        await pilot.press("A")
        form = app.screen
        assert isinstance(form, AgendaForm)
        assert form.query_one("#schedule", Input).value == "mon 09:00"

        async def fill(field: str, value: str) -> None:
            form.query_one(f"#{field}", Input).value = value
            await pilot.pause()

        events_before = team.last_event_id()
        await fill("minutes-1", "45")  # 5 + 45 + 15 + 10 = 75 minutes
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is form
        assert "75 minutes" in str(form.query_one("#agenda-error", Static).content)
        assert team.last_event_id() == events_before

        await fill("minutes-1", "25")
        await fill("topic-minutes", "3")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert view_of(app) is view
        agenda = team.get_agenda()
        assert ([s.minutes for s in agenda.sections], agenda.topic_minutes) == ([5, 25, 15, 10], 3)
        assert text(view, "#hs-agenda") == (
            "Agenda: Kick-off + sitrep 5 min · Topics discussion 25 min · Backlog refinement 15 min"
            " · Detections review 10 min · 6 topics of 3 min"
        )


# ------------------------------------------------------------------------------------ the clock


async def test_S_starts_the_meeting_and_the_head_says_how_late_against_the_booked_slot(team: Store) -> None:
    team.set_agenda(Agenda(schedule="mon 08:50", tz="UTC"))  # ten minutes ago
    app = make_app(team, live=False)
    async with app.run_test(size=SIZE) as pilot:
        view = await start(pilot, app)
        record = team.current_meeting()
        assert record is not None
        assert record.meeting.started_by == "alice"
        assert [e.kind for e in record.log] == [EntryKind.START]
        assert [t.text for t in record.topics] == ["Noisy EDR alerts on build hosts"]
        assert text(view, "#hs-head") == (
            f"Handshake #{record.meeting.id} · booked Mon 02 Mar 08:50, started 09:00: 10 min late"
            " · projected end 10:00 (10:00 past the booked hour)"
        )
        assert view.query_one("#hs-head").has_class("-late")
        assert text(view, "#hs-section") == "1/4 Kick-off + sitrep"
        assert body(view) == "hs-kickoff"
        assert ("", "information", "Handshake started.") in notices(app)


async def test_the_countdown_runs_over_and_the_losing_time_line_appears(
    team: Store, clock: FixedClock
) -> None:
    app = make_app(team, live=False)
    async with app.run_test(size=SIZE) as pilot:
        view = await start(pilot, app)
        remaining = view.query_one("#hs-remaining")
        assert text(view, "#hs-remaining") == "05:00 left"
        assert not remaining.has_class("-overrun")
        assert not shown(view, "#hs-losing")
        # Started at the booked 09:00: on time.
        record = team.current_meeting()
        assert text(view, "#hs-head") == (
            f"Handshake #{record.meeting.id} · started on time Mon 02 Mar 09:00 · projected end 10:00"
        )
        assert not view.query_one("#hs-head").has_class("-late")

        await later(pilot, view, clock, 2 * MINUTE + timedelta(seconds=30))
        assert text(view, "#hs-remaining") == "02:30 left"
        assert not remaining.has_class("-warning")
        await later(pilot, view, clock, 90 * SECOND)  # 80 % of the section used
        assert text(view, "#hs-remaining") == "01:00 left"
        assert remaining.has_class("-warning")

        await later(pilot, view, clock, 2 * MINUTE)
        assert text(view, "#hs-remaining") == "+01:00 over"
        assert remaining.has_class("-overrun")
        assert not remaining.has_class("-warning")
        # The kick-off ran a minute over the plan: the next section gives up the minute.
        assert shown(view, "#hs-losing")
        assert text(view, "#hs-losing") == "Losing time: Topics discussion −01:00"
        assert "projected end 10:01 (01:00 past the booked hour)" in text(view, "#hs-head")
        assert "▸ Kick-off + sitrep 5 min (06:00)" in text(view, "#hs-agenda")


async def test_n_and_B_move_between_sections_and_the_body_follows(team: Store, clock: FixedClock) -> None:
    app = make_app(team, live=False)
    async with app.run_test(size=SIZE) as pilot:
        view = await start(pilot, app)
        # Kick-off: who is on duty and the KPIs as they stood at the start.
        assert body(view) == "hs-kickoff"
        engineer, analyst = text(view, "#hs-duty").splitlines()
        assert "engineer" in engineer.lower() and engineer.endswith(": Alice Archer")
        assert "analyst" in analyst.lower() and analyst.endswith(": Carol Chen")
        kpis = text(view, "#hs-kpis").splitlines()
        assert kpis[0].startswith("WIP: To Do 1/2")
        assert any(line.startswith("Throughput") for line in kpis)
        assert any(line.startswith("Work mix") for line in kpis)

        await later(pilot, view, clock, 4 * MINUTE)
        await pilot.press("n")
        await pilot.pause()
        assert text(view, "#hs-section") == "2/4 Topics discussion"
        assert text(view, "#hs-remaining") == "30:00 left"
        assert body(view) == "hs-topics"
        assert rows(view, "topics") == [["1", "Noisy EDR alerts on build hosts", "alice", "—", "", ""]]
        assert view.focused is view.table("topics")
        assert "✓ Kick-off + sitrep 5 min (04:00) · ▸ Topics discussion 30 min (00:00)" in text(
            view, "#hs-agenda"
        )

        await pilot.press("n")
        await pilot.pause()
        assert body(view) == "hs-backlog"
        # The backlog, most urgent first.
        assert [row[1:4] for row in rows(view, "backlog")] == [
            ["high", "operations", "Rotate the API keys"],
            ["medium", "operations", "Write the phishing playbook"],
            ["low", "operations", "Patch the VPN gateway"],
        ]
        assert text(view, "#hs-backlog-hint").endswith("p pulls into To Do (1/2)")

        await pilot.press("n")
        await pilot.pause()
        assert body(view) == "hs-detections"
        assert text(view, "#hs-section") == "4/4 Detections review"
        assert [row[1:3] + row[4:] for row in rows(view, "detections")] == [
            ["Impossible travel rule", "Review", "awaiting approval"],
            ["DNS tunnelling rule", "Review", "awaiting approval"],
            ["Old brute-force rule", "Done", ""],
        ]
        assert text(view, "#hs-detections-hint").startswith("2 detection(s) in Review")

        # The last section: n is refused, B goes back.
        await pilot.press("n")
        await pilot.pause()
        assert any(severity == "error" and "last section" in m for _, severity, m in notices(app))
        await pilot.press("B")
        await pilot.pause()
        assert body(view) == "hs-backlog"
        assert text(view, "#hs-section") == "3/4 Backlog refinement"
        record = team.current_meeting()
        assert [e.kind for e in record.log if e.kind is not EntryKind.JOIN] == [
            EntryKind.START,
            EntryKind.NEXT,
            EntryKind.NEXT,
            EntryKind.NEXT,
            EntryKind.PREV,
        ]


async def test_space_pauses_the_clock_and_resumes_it(team: Store, clock: FixedClock) -> None:
    app = make_app(team, live=False)
    async with app.run_test(size=SIZE) as pilot:
        view = await start(pilot, app)
        await later(pilot, view, clock, MINUTE)
        assert text(view, "#hs-remaining") == "04:00 left"

        await pilot.press("space")
        await pilot.pause()
        assert team.current_meeting().log[-1].kind is EntryKind.PAUSE
        assert text(view, "#hs-section") == "1/4 Kick-off + sitrep · PAUSED"
        assert view.query_one("#hs-remaining").has_class("-paused")
        await later(pilot, view, clock, 10 * MINUTE)
        assert text(view, "#hs-remaining") == "04:00 left"  # time does not count while paused

        await pilot.press("space")
        await pilot.pause()
        assert team.current_meeting().log[-1].kind is EntryKind.RESUME
        assert text(view, "#hs-section") == "1/4 Kick-off + sitrep"
        assert not view.query_one("#hs-remaining").has_class("-paused")
        await later(pilot, view, clock, MINUTE)
        assert text(view, "#hs-remaining") == "03:00 left"


async def test_x_and_X_extend_the_section_by_one_and_five_minutes(team: Store) -> None:
    app = make_app(team, live=False)
    async with app.run_test(size=SIZE) as pilot:
        view = await start(pilot, app)
        await pilot.press("x")
        await pilot.pause()
        assert text(view, "#hs-remaining") == "06:00 left"
        await pilot.press("X")
        await pilot.pause()
        assert text(view, "#hs-remaining") == "11:00 left"
        assert "▸ Kick-off + sitrep 5+6 min" in text(view, "#hs-agenda")
        extends = [e.minutes for e in team.current_meeting().log if e.kind is EntryKind.EXTEND]
        assert extends == [1, 5]
        # Six minutes more than an hour's agenda: the later sections are losing them.
        assert text(view, "#hs-losing") == "Losing time: Topics discussion −06:00"


# ------------------------------------------------------------------------------------ topics


async def test_enter_times_a_topic_o_records_its_outcome_and_c_makes_it_a_card(
    team: Store, clock: FixedClock
) -> None:
    team.add_topic("Phishing playbook owner?")
    app = make_app(team, live=False)
    async with app.run_test(size=SIZE) as pilot:
        view = await start(pilot, app, "topics")
        assert not shown(view, "#hs-topic-clock")
        first, second = team.current_meeting().topics

        # enter: the selected topic's own two minutes start.
        await pilot.press("enter")
        await pilot.pause()
        entry = team.current_meeting().log[-1]
        assert (entry.kind, entry.topic_id) == (EntryKind.ITEM, first.id)
        assert shown(view, "#hs-topic-clock")
        assert "topic 1/2" in text(view, "#hs-topic-clock")
        assert "02:00" in text(view, "#hs-topic-clock")
        await later(pilot, view, clock, 3 * MINUTE)
        assert "+01:00" in text(view, "#hs-topic-clock")
        assert view.query_one("#hs-topic-clock").has_class("-overrun")
        assert rows(view, "topics")[0][0] == "▸ 1"

        # o: the outcome, stored and shown.
        await pilot.press("o")
        assert isinstance(app.screen, TextPrompt)
        await answer(pilot, "Tune the EDR exclusions for build hosts")
        assert {t.id: t.outcome for t in team.current_meeting().topics}[first.id] == (
            "Tune the EDR exclusions for build hosts"
        )
        assert rows(view, "topics")[0][3] == "Tune the EDR exclusions for build hosts"
        assert rows(view, "topics")[0][5] == "03:00"  # the table's time column is redrawn on a change

        # The second topic: timed, then c adds it to the backlog as operations work.
        await pilot.press("down", "enter")
        await pilot.pause()
        assert text(view, "#hs-topic-clock").startswith("topic 2/2")
        assert "02:00" in text(view, "#hs-topic-clock")
        await pilot.press("c")
        assert isinstance(app.screen, TypePrompt)
        await pilot.press("o")
        await pilot.pause()
        assert view_of(app) is view
        made = card(team, "Phishing playbook owner?")
        assert (made.column, made.type) == ("Backlog", WorkType.OPERATIONS)
        assert "From handshake topic" in made.description
        assert {t.id: t.card_id for t in team.current_meeting().topics}[second.id] == made.id
        assert rows(view, "topics")[1][4] == f"#{made.id}"
        assert ("", "information", f"Card #{made.id} added to Backlog.") in notices(app)


# ------------------------------------------------------------------------------------ backlog


async def test_plus_and_minus_change_the_selected_cards_priority(team: Store) -> None:
    app = make_app(team, live=False)
    async with app.run_test(size=SIZE) as pilot:
        view = await start(pilot, app, "topics", "backlog")
        assert view.focused is view.table("backlog")
        target = card(team, "Write the phishing playbook")
        await pilot.press("down")
        assert view.table("backlog").current_key == target.id

        await pilot.press("plus")
        await pilot.pause()
        assert card(team, "Write the phishing playbook").priority is Priority.HIGH
        await pilot.press("plus")
        await pilot.pause()
        assert card(team, "Write the phishing playbook").priority is Priority.CRITICAL
        # Now the most urgent: it leads the list and the cursor followed it.
        assert rows(view, "backlog")[0][1:4] == ["critical", "operations", "Write the phishing playbook"]
        assert view.table("backlog").current_key == target.id
        await pilot.press("plus")  # already critical: nothing to do
        await pilot.pause()

        await pilot.press("minus")
        await pilot.pause()
        assert card(team, "Write the phishing playbook").priority is Priority.HIGH
        decisions = [
            (e.data["from"], e.data["to"]) for e in team.current_meeting().log if e.kind is EntryKind.PRIORITY
        ]
        assert decisions == [("medium", "high"), ("high", "critical"), ("critical", "high")]


async def test_p_pulls_into_to_do_and_past_the_limit_a_reason_forces_it(team: Store) -> None:
    app = make_app(team, live=False)
    async with app.run_test(size=SIZE) as pilot:
        view = await start(pilot, app, "topics", "backlog")
        first = card(team, "Rotate the API keys")
        assert view.table("backlog").current_key == first.id
        await pilot.press("p")
        await pilot.pause()
        assert card(team, "Rotate the API keys").column == "To Do"
        assert first.id not in view.table("backlog").keys
        assert text(view, "#hs-backlog-hint").endswith("(2/2)")

        # To Do is full now: the next pull asks for a reason.
        second = card(team, "Write the phishing playbook")
        assert view.table("backlog").current_key == second.id
        events_before = team.last_event_id()
        await pilot.press("p")
        await pilot.pause()
        assert isinstance(app.screen, ReasonScreen)
        assert "To Do" in app.screen.refusal
        assert team.last_event_id() == events_before
        await answer(pilot, "Phishing wave this week")
        assert view_of(app) is view
        assert card(team, "Write the phishing playbook").column == "To Do"
        assert text(view, "#hs-backlog-hint").endswith("(3/2)")
        pulls = [e.card_id for e in team.current_meeting().log if e.kind is EntryKind.PULL]
        assert pulls == [first.id, second.id]
        assert ("", "information", f"#{second.id} pulled past the WIP limit.") in notices(app)


# ------------------------------------------------------------------------------------ detections


async def test_a_approves_r_rejects_with_feedback_and_f_makes_a_tuning_card(team: Store) -> None:
    travel = card(team, "Impossible travel rule")
    dns = card(team, "DNS tunnelling rule")
    old = card(team, "Old brute-force rule")
    app = make_app(team, live=False)
    async with app.run_test(size=SIZE) as pilot:
        view = await start(pilot, app, "topics", "backlog", "detections")
        table = view.table("detections")
        assert table.current_key == travel.id

        await pilot.press("a")
        await pilot.pause()
        assert card(team, "Impossible travel rule").column == "Done"
        assert ("", "information", f"Detection #{travel.id} approved.") in notices(app)

        # The approved one sorts down among the done; the cursor stayed on it: go to the DNS rule.
        table.move_cursor(row=table.keys.index(dns.id))
        await pilot.press("r")
        assert isinstance(app.screen, TextPrompt)
        await answer(pilot, "Too many false positives on the resolver")
        assert card(team, "DNS tunnelling rule").column == "In Progress"
        reject = team.current_meeting().log[-1]
        assert (reject.kind, reject.card_id, reject.text) == (
            EntryKind.REJECT,
            dns.id,
            "Too many false positives on the resolver",
        )
        assert text(view, "#hs-detections-hint").startswith("0 detection(s) in Review")

        table.move_cursor(row=table.keys.index(old.id))
        await pilot.press("f")
        assert isinstance(app.screen, TextPrompt)
        await answer(pilot, "Raise the threshold to 20 failures")
        tuning = card(team, f"Tune #{old.id}: Old brute-force rule")
        assert (tuning.column, tuning.kind, tuning.labels) == ("Backlog", Kind.DETECTION, ("tuning",))
        assert "Raise the threshold to 20 failures" in tuning.description
        # The tuning card is a detection too: it joins the list.
        assert tuning.id in table.keys
        kinds = [e.kind for e in team.current_meeting().log]
        assert kinds[-3:] == [EntryKind.APPROVE, EntryKind.REJECT, EntryKind.TUNING]


# ------------------------------------------------------------------------------------ notes and end


async def test_m_adds_a_facilitator_note_shown_under_the_section(team: Store) -> None:
    app = make_app(team, live=False)
    async with app.run_test(size=SIZE) as pilot:
        view = await start(pilot, app)
        assert not shown(view, "#hs-notes")
        await pilot.press("m")
        assert isinstance(app.screen, TextPrompt)
        assert "Kick-off + sitrep" in app.screen.question
        await answer(pilot, "VPN gateway CPU is still high")
        assert shown(view, "#hs-notes")
        assert text(view, "#hs-notes") == "✎ alice: VPN gateway CPU is still high"
        [note] = team.current_meeting().notes(0)
        assert (note.actor, note.text) == ("alice", "VPN gateway CPU is still high")

        # Notes belong to their section: the next one starts with none.
        await pilot.press("n")
        await pilot.pause()
        assert not shown(view, "#hs-notes")


async def test_E_then_y_ends_the_meeting_writes_the_minutes_and_shows_them(
    team: Store, clock: FixedClock, config: Path
) -> None:
    app = make_app(team, live=False)
    async with app.run_test(size=SIZE) as pilot:
        view = await start(pilot, app)
        await later(pilot, view, clock, 3 * MINUTE)

        # n at the confirm: nothing ends.
        await pilot.press("E")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        await pilot.pause()
        assert team.current_meeting() is not None

        await pilot.press("E", "y")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert team.current_meeting() is None
        [meeting] = team.list_meetings()
        assert meeting.ended_at == clock.now()
        path = config / f"handshake-2026-03-02-{meeting.id}.md"
        assert path.is_file()
        written = path.read_text(encoding="utf-8")
        assert written.startswith("# Handshake 2026-03-02\n")
        assert "Ended 09:03 UTC after 3:00" in written

        # The view is idle again and shows those minutes.
        assert body(view) == "hs-idle"
        assert not shown(view, "#hs-clock")
        assert text(view, "#hs-last-title") == f"Minutes of handshake #{meeting.id}"
        assert view.query_one("#hs-minutes", Markdown).source == written
        assert shown(view, "#hs-minutes")
        assert any(
            title == "Handshake ended" and message == f"Minutes written to {path}."
            for title, _, message in notices(app)
        )


# ------------------------------------------------------------------------------------ the key bar


async def test_keys_that_do_not_apply_are_hidden_from_the_key_bar(team: Store) -> None:
    app = make_app(team, live=False)
    async with app.run_test(size=SIZE) as pilot:
        view = await open_handshake(pilot, app)
        idle = keys(view)
        assert {"S", "T", "D", "A"} <= idle
        assert not {"n", "B", "space", "x", "E", "m", "enter", "p", "a"} & idle

        await pilot.press("S", "n")  # the topics section
        await pilot.pause()
        topics = keys(view)
        assert {"n", "B", "space", "x", "X", "E", "m", "T", "enter", "o", "c"} <= topics
        assert not {"S", "D", "A", "p", "plus", "minus", "a", "r", "f"} & topics

        await pilot.press("n")
        backlog = keys(view)
        assert {"plus", "minus", "p"} <= backlog
        assert not {"S", "enter", "o", "c", "a", "r", "f"} & backlog

        await pilot.press("n")
        detections = keys(view)
        assert {"a", "r", "f"} <= detections
        assert not {"S", "p", "plus", "minus", "o", "c"} & detections

        # A key that is hidden does nothing either: p in the detections section pulls nothing.
        events_before = team.last_event_id()
        await pilot.press("p")
        await pilot.pause()
        assert team.last_event_id() == events_before


# ------------------------------------------------------------------------------------ two consoles


async def test_two_consoles_show_the_same_clock_and_follow_each_other(
    team: Store, bob: Store, clock: FixedClock
) -> None:
    heard, hook = store_changes()
    arrived, follower_hook = store_changes()
    leader = make_app(team, live=True)
    follower = make_app(bob, live=True)
    async with (
        leader.run_test(size=SIZE, message_hook=hook) as lead,
        follower.run_test(size=SIZE, message_hook=follower_hook) as follow,
    ):
        mine = await open_handshake(lead, leader)
        theirs = await open_handshake(follow, follower)
        assert body(theirs) == "hs-idle"

        # Between meetings, bob's topic reaches alice's intake.
        await follow.press("T")
        await answer(follow, "Who owns the phishing playbook?")
        await until(lead, heard, lambda: len(rows(mine, "intake")) == 2)
        assert rows(mine, "intake")[1][1:3] == ["Who owns the phishing playbook?", "bob"]

        await lead.press("S")
        await lead.pause()
        await until(follow, arrived, lambda: body(theirs) == "hs-kickoff")
        assert text(theirs, "#hs-remaining") == text(mine, "#hs-remaining") == "05:00 left"
        assert text(theirs, "#hs-head") == text(mine, "#hs-head")
        assert team.current_meeting().attendees() == ["alice", "bob"]  # bob's console joined him

        clock.advance(2 * MINUTE)
        await lead.press("n")
        await lead.pause()
        await until(follow, arrived, lambda: body(theirs) == "hs-topics")
        clock.advance(timedelta(seconds=40))
        mine.tick()
        theirs.tick()
        await lead.pause()
        await follow.pause()
        assert text(mine, "#hs-remaining") == "29:20 left"
        assert text(theirs, "#hs-remaining") == text(mine, "#hs-remaining")
        assert text(theirs, "#hs-section") == text(mine, "#hs-section") == "2/4 Topics discussion"
        assert text(theirs, "#hs-agenda") == text(mine, "#hs-agenda")

        # bob pauses from his console: alice's shows it.
        await follow.press("space")
        await follow.pause()
        assert team.current_meeting().log[-1].actor == "bob"
        await until(lead, heard, lambda: "PAUSED" in text(mine, "#hs-section"))
        assert text(mine, "#hs-section") == "2/4 Topics discussion · PAUSED"
        assert text(theirs, "#hs-section") == text(mine, "#hs-section")

        # alice resumes: bob's console hears of it through the change feed.
        await lead.press("space")
        await lead.pause()
        await until(follow, arrived, lambda: "PAUSED" not in text(theirs, "#hs-section"))
        clock.advance(MINUTE)
        mine.tick()
        theirs.tick()
        assert text(theirs, "#hs-remaining") == text(mine, "#hs-remaining") == "28:20 left"


async def test_opening_the_view_during_a_meeting_records_that_the_person_joined(
    team: Store, bob: Store
) -> None:
    team.start_meeting()
    assert team.current_meeting().attendees() == ["alice"]
    app = make_app(bob, live=False)
    async with app.run_test(size=SIZE) as pilot:
        view = await open_handshake(pilot, app)
        assert body(view) == "hs-kickoff"
        record = team.current_meeting()
        assert record.attendees() == ["alice", "bob"]
        assert [(e.actor, e.kind) for e in record.log] == [
            ("alice", EntryKind.START),
            ("bob", EntryKind.JOIN),
        ]
        # Once per meeting: a re-read does not join again.
        view.reload()
        await pilot.pause()
        assert len(team.current_meeting().log) == 2


async def test_each_sections_own_keys_are_visible_in_the_key_bar_at_120_columns(team: Store) -> None:
    app = make_app(team, live=False)
    async with app.run_test(size=SIZE) as pilot:
        view = await start(pilot, app, "topics")
        bar = view.query_one(KeyBar)

        def on_screen() -> str:
            return "".join(segment.text for segment in bar.render_line(0))

        seen = {"topics": on_screen()}
        await pilot.press("n")
        await pilot.pause()
        seen["backlog"] = on_screen()
        await pilot.press("n")
        await pilot.pause()
        seen["detections"] = on_screen()
        assert "Outcome" in seen["topics"] and "To backlog" in seen["topics"], seen["topics"]
        assert "Pull to To Do" in seen["backlog"], seen["backlog"]
        assert "Approve" in seen["detections"] and "Reject" in seen["detections"], seen["detections"]
