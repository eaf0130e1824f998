"""Duty through the real store and the real `socdesk` command: writes, refusals, the event log, `now`."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, date, datetime, time
from pathlib import Path

import pytest

from duty_helpers import weekly
from socdesk.domain import CardDraft, Conflict, FixedClock, InvalidInput, NotFound, Person
from socdesk.domain.duty import OverrideDraft, Role, Rotation, holder
from socdesk.store import Store, open_store


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.fixture
def team(store: Store) -> Store:
    for handle, name in [
        ("alice", "Alice Ng"),
        ("bob", "Bob Ruiz"),
        ("carol", "Carol Okafor"),
        ("dan", "Dan Weiss"),
    ]:
        store.add_person(Person(handle=handle, name=name, email=f"{handle}@soc.example"))
    store.set_rotation(weekly("engineer", "alice", "carol"))
    store.set_rotation(weekly("analyst", "bob", "dan"))
    return store


def file_bytes(path: Path) -> bytes:
    return path.read_bytes()


# ------------------------------------------------------------------------------------ store


def test_rotation_with_an_unknown_member_is_refused_and_writes_nothing(store: Store) -> None:
    store.add_person(Person(handle="alice", name="Alice"))
    before = store.last_event_id()
    with pytest.raises(NotFound, match="zed"):
        store.set_rotation(weekly("engineer", "alice", "zed"))
    assert store.list_rotations() == []
    assert store.last_event_id() == before


def test_rotation_replacement_checks_the_version_it_read(
    team: Store, db_path: Path, clock: FixedClock
) -> None:
    bob = open_store(db_path, actor="bob", clock=clock)
    try:
        current = team.list_rotations()[0]
        bob.set_rotation(
            current.model_copy(update={"members": ("carol", "alice")}), expected_version=current.version
        )
        with pytest.raises(Conflict, match="bob"):
            team.set_rotation(
                current.model_copy(update={"shift_hours": 24}), expected_version=current.version
            )
    finally:
        bob.close()
    assert team.list_rotations()[0].members == ("carol", "alice")
    event = team.recent_events(1)[0]
    assert (event.action, event.entity, event.entity_id, event.actor) == (
        "duty.rotation",
        "rotation",
        current.role.value,
        "bob",
    )


def test_an_override_is_logged_and_changes_who_is_on(team: Store) -> None:
    draft = OverrideDraft(
        role="analyst",
        person="carol",
        starts_at=utc("2026-03-03T18:00"),
        ends_at=utc("2026-03-04T09:00"),
        reason="dentist",
    )
    added = team.add_override(draft)
    assert (added.created_by, added.reason, added.swap_id) == ("alice", "dentist", None)
    assert holder(team.get_roster(), Role.ANALYST, utc("2026-03-03T20:00")).person == "carol"
    event = team.recent_events(1)[0]
    assert (event.action, event.entity_id) == ("duty.override.add", str(added.id))


def test_an_override_for_an_unknown_person_writes_nothing(team: Store) -> None:
    before = team.last_event_id()
    with pytest.raises(NotFound):
        team.add_override(
            OverrideDraft(
                role="analyst",
                person="zed",
                starts_at=utc("2026-03-03T00:00"),
                ends_at=utc("2026-03-04T00:00"),
            )
        )
    assert team.list_overrides() == [] and team.last_event_id() == before


def test_a_swap_is_two_linked_overrides_and_removing_one_removes_both(team: Store) -> None:
    first, second = team.swap_shifts(
        Role.ENGINEER, utc("2026-03-03T12:00"), utc("2026-03-10T12:00"), reason="training"
    )
    assert (first.swap_id, second.swap_id) == (second.id, first.id)
    roster = team.get_roster()
    assert holder(roster, Role.ENGINEER, utc("2026-03-03T12:00")).person == "carol"
    assert holder(roster, Role.ENGINEER, utc("2026-03-10T12:00")).person == "alice"
    removed = team.remove_override(second.id)
    assert {o.id for o in removed} == {first.id, second.id}
    assert team.list_overrides() == []
    assert [e.action for e in team.recent_events(2)] == ["duty.override.remove", "duty.override.remove"]


def test_removing_an_unknown_override_is_a_clear_error(team: Store) -> None:
    with pytest.raises(NotFound, match="no override with id 99"):
        team.remove_override(99)


def test_import_overrides_is_all_or_nothing(team: Store) -> None:
    good = OverrideDraft(
        role="analyst", person="carol", starts_at=utc("2026-03-03T00:00"), ends_at=utc("2026-03-04T00:00")
    )
    bad = good.model_copy(update={"person": "zed"})
    before = team.last_event_id()
    with pytest.raises(NotFound):
        team.import_overrides([good, bad], source="oncall.ics")
    assert team.list_overrides() == [] and team.last_event_id() == before
    added = team.import_overrides([good, good.model_copy(update={"person": "dan"})], source="oncall.ics")
    assert len(added) == 2
    assert team.recent_events(1)[0].meta == {"source": "oncall.ics"}


def test_a_handover_note_lists_open_unplanned_and_in_progress_cards(team: Store, clock: FixedClock) -> None:
    incident = team.add_card(CardDraft(title="INC-7 odd logins", type="unplanned"))
    working = team.add_card(CardDraft(title="Tune EDR", type="engineering", column="In Progress"))
    team.add_card(CardDraft(title="Backlog idea", type="engineering"))
    done = team.add_card(CardDraft(title="INC-6 closed", type="unplanned", column="Done"))
    clock.set(utc("2026-03-09T08:40"))
    note = team.add_handover_note(Role.ENGINEER, "quiet week; watch INC-7")
    assert note.handover_at == utc("2026-03-09T09:00")
    assert [c.id for c in note.cards] == [incident.id, working.id]
    assert done.id not in [c.id for c in note.cards]
    assert team.list_handover_notes(role=Role.ENGINEER) == [note]
    with pytest.raises(InvalidInput, match="invalid handover note: text"):  # one clear line, no traceback
        team.add_handover_note(Role.ENGINEER, "   ")


def test_export_and_import_carry_the_roster(team: Store, tmp_path: Path, clock: FixedClock) -> None:
    team.swap_shifts(Role.ENGINEER, utc("2026-03-03T12:00"), utc("2026-03-10T12:00"))
    team.add_handover_note(Role.ANALYST, "all calm")
    snapshot = team.export_snapshot()
    copy = open_store(tmp_path / "copy.db", actor="alice", clock=clock, create=True)
    try:
        copy.import_snapshot(snapshot)
        again = copy.export_snapshot()
    finally:
        copy.close()
    assert again.rotations == snapshot.rotations
    assert again.overrides == snapshot.overrides
    assert again.handover_notes == snapshot.handover_notes


# ------------------------------------------------------------------------------------ CLI


def test_now_prints_one_line_and_json(socdesk, team: Store) -> None:
    line = socdesk("now", "--at", "2026-03-07T04:30Z")
    assert line.returncode == 0, line.stderr
    assert line.stdout.strip() == (
        "On duty: Alice Ng (engineer) · On call: Bob Ruiz (analyst) · "
        "handover Mon 09:00 (in 2d 4h) → Carol / Dan"
    )
    data = json.loads(socdesk("now", "--json", "--at", "2026-03-09T09:00Z").stdout)
    assert data["engineer"] == {"handle": "carol", "name": "Carol Okafor"}  # the handover instant: incoming
    assert data["analyst"]["handle"] == "dan"
    assert data["handover_at"] == "2026-03-16T09:00:00+00:00"
    assert data["next"]["engineer"]["handle"] == "alice"


def test_now_without_a_roster_says_so(socdesk, store: Store) -> None:
    done = socdesk("now")
    assert (done.returncode, done.stdout.strip()) == (0, "no duty roster yet")


def test_now_on_a_file_that_is_not_sqlite_is_refused_untouched(socdesk, tmp_path: Path) -> None:
    foreign = tmp_path / "notes.db"
    foreign.write_text("not a database")
    done = socdesk("now", db=foreign)
    assert done.returncode == 1 and done.stderr.startswith("error:") and "not an SQLite" in done.stderr
    assert foreign.read_text() == "not a database"


def test_now_never_imports_pydantic_or_textual(team: Store, db_path: Path) -> None:
    code = (
        "import sys, io, contextlib\n"
        "from socdesk.entry import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    main(['--db', {str(db_path)!r}, 'now'])\n"
        "print(sorted(m for m in ('pydantic', 'textual', 'sqlite_utils') if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_duty_cli_sets_up_a_roster_and_shows_it(socdesk, store: Store) -> None:
    for args in (
        (
            "duty",
            "person",
            "add",
            "alice",
            "--name",
            "Alice Ng",
            "--role",
            "engineer",
            "--email",
            "alice@x.org",
        ),
        ("duty", "person", "add", "bob", "--name", "Bob Ruiz", "--role", "analyst"),
        (
            "duty",
            "rotation",
            "set",
            "engineer",
            "--members",
            "alice",
            "--length",
            "7d",
            "--handover",
            "mon 09:00",
            "--tz",
            "Europe/London",
            "--start",
            "2026-03-02",
        ),
        (
            "duty",
            "rotation",
            "set",
            "analyst",
            "--members",
            "bob",
            "--length",
            "12h",
            "--handover",
            "08:00",
            "--tz",
            "Europe/London",
            "--start",
            "2026-03-02",
        ),
    ):
        done = socdesk(*args)
        assert done.returncode == 0, done.stderr
    added = socdesk(
        "duty",
        "override",
        "add",
        "analyst",
        "alice",
        "--from",
        "2026-03-03T18:00",
        "--to",
        "2026-03-04T06:00",
        "--reason",
        "cover",
        "--json",
    )
    assert added.returncode == 0, added.stderr
    override = json.loads(added.stdout)
    assert (override["person"], override["starts_at"]) == ("alice", "2026-03-03T18:00:00Z")
    shown = json.loads(socdesk("duty", "show", "--json", "--at", "2026-03-03T19:00").stdout)
    assert shown["now"]["analyst"]["handle"] == "alice"
    assert [o["id"] for o in shown["overrides"]] == [override["id"]]
    assert socdesk("duty", "override", "rm", str(override["id"])).returncode == 0
    text = socdesk("duty", "show", "--at", "2026-03-03T19:00").stdout
    assert "on-call analyst   Bob Ruiz" in text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            (
                "duty",
                "rotation",
                "set",
                "pilot",
                "--members",
                "a",
                "--length",
                "7d",
                "--handover",
                "mon 09:00",
                "--tz",
                "UTC",
                "--start",
                "2026-03-02",
            ),
            "unknown role",
        ),
        (
            (
                "duty",
                "rotation",
                "set",
                "engineer",
                "--members",
                "ghost",
                "--length",
                "7d",
                "--handover",
                "mon 09:00",
                "--tz",
                "UTC",
                "--start",
                "2026-03-02",
            ),
            "no person with handle 'ghost'",
        ),
        (
            (
                "duty",
                "rotation",
                "set",
                "engineer",
                "--members",
                "a",
                "--length",
                "7 days",
                "--handover",
                "mon 09:00",
                "--tz",
                "UTC",
                "--start",
                "2026-03-02",
            ),
            "shift length",
        ),
        (
            (
                "duty",
                "rotation",
                "set",
                "engineer",
                "--members",
                "a",
                "--length",
                "7d",
                "--handover",
                "mon 09:00",
                "--tz",
                "Mars/Base",
                "--start",
                "2026-03-02",
            ),
            "unknown time zone",
        ),
        (
            (
                "duty",
                "rotation",
                "set",
                "engineer",
                "--members",
                "a",
                "--length",
                "7d",
                "--handover",
                "mon 09:00",
                "--tz",
                "UTC",
                "--start",
                "2 March",
            ),
            "YYYY-MM-DD",
        ),
        (
            (
                "duty",
                "override",
                "add",
                "analyst",
                "a",
                "--from",
                "2026-03-04T00:00",
                "--to",
                "2026-03-03T00:00",
            ),
            "end after it starts",
        ),
        (("duty", "override", "add", "analyst", "a", "--from", "soon", "--to", "2026-03-03T00:00"), "ISO"),
        (("duty", "override", "rm", "42"), "no override with id 42"),
        (("duty", "person", "add", "Bad Handle", "--name", "X"), "handle"),
        (("now", "--at", "yesterday"), "ISO"),
    ],
)
def test_bad_duty_input_is_one_error_line_and_changes_nothing(
    socdesk, store: Store, db_path: Path, args: tuple[str, ...], message: str
) -> None:
    store.add_person(Person(handle="a", name="A"))
    before = store.last_event_id()
    done = socdesk(*args)
    assert done.returncode == 1, done.stdout
    assert done.stderr.startswith("error:") and message in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert store.last_event_id() == before


def test_duty_usage_mistakes_exit_2(socdesk, store: Store) -> None:
    assert socdesk("duty", "rotation", "set", "engineer").returncode == 2
    assert socdesk("now", "--bogus").returncode == 2


def test_invalid_input_type_is_the_domain_error(store: Store) -> None:
    # The store refuses a malformed rotation before SQLite sees it.
    with pytest.raises(ValueError):
        Rotation(
            role="engineer",
            members=("a",),
            shift_hours=0,
            handover_time=time(9),
            tz="UTC",
            start_date=date(2026, 1, 1),
        )
    assert issubclass(InvalidInput, Exception)
