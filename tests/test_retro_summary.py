"""A retro's summary, rendered from retros held through the real store on a known timeline.

The team works in Europe/Berlin (UTC+1 in winter). Retro 1 (January) agreed three actions; by retro 2
one is done, one is still in progress and one's card was deleted. Retro 2 covers February, written by
nina and omar (who are not on the board) and alice, its facilitator; its votes put the "Logging" theme
first (4 dots) and "Incidents" second (2). February's board: four cards done, two of them unplanned
(50%), against one of three in January (33.3%).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from syrupy.extensions.single_file import SingleFileSnapshotExtension, WriteMode

from socdesk.domain import FixedClock
from socdesk.domain.handshake import Agenda
from socdesk.domain.mix import MixReport
from socdesk.domain.models import CardDraft, Person, WorkType
from socdesk.domain.retro import ActionDraft, ActionStatus, NoteColumn, Phase, RetroDraft, RetroRecord
from socdesk.mix_review import review_mix
from socdesk.retro_summary import render_markdown, summary_filename, summary_json, write_summary
from socdesk.store import Store, open_store

TZ = "Europe/Berlin"
PERIOD = (date(2026, 2, 2), date(2026, 3, 1))
WRITERS = ("nina", "omar")


class MarkdownSnapshot(SingleFileSnapshotExtension):
    _write_mode = WriteMode.TEXT
    _file_extension = "md"


@pytest.fixture
def md_snapshot(snapshot: Any) -> Any:
    return snapshot.use_extension(MarkdownSnapshot)


def utc(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


@dataclass
class Team:
    """alice facilitates; nina and omar only write notes and vote."""

    path: Path
    clock: FixedClock
    alice: Store
    nina: Store
    omar: Store
    notes: dict[str, int]

    def at(self, month: int, day: int, hour: int, minute: int = 0) -> None:
        self.clock.set(utc(month, day, hour, minute))

    def card(
        self,
        title: str,
        work_type: WorkType,
        created: datetime,
        started: datetime | None = None,
        done: datetime | None = None,
    ) -> int:
        self.clock.set(created)
        card = self.alice.add_card(CardDraft(title=title, type=work_type))
        if started is not None:
            self.move(card.id, "In Progress", started)
        if done is not None:
            self.move(card.id, "Done", done)
        return card.id

    def move(self, card_id: int, column: str, moment: datetime) -> None:
        self.clock.set(moment)
        self.alice.move_card(card_id, column)

    def note(self, who: Store, column: NoteColumn, text: str) -> int:
        note = who.add_note(column, text)
        self.notes[text] = note.id
        return note.id

    def summary(self, retro_id: int | None = None) -> tuple[RetroRecord, list[ActionStatus], MixReport]:
        record = self.alice.get_retro(retro_id)
        retro = record.retro
        mix = review_mix(self.alice, retro.period_from, retro.period_to, now=retro.closed_at)
        return record, self.alice.previous_actions(retro.id), mix


@pytest.fixture
def team(tmp_path: Path) -> Iterator[Team]:
    clock = FixedClock(utc(1, 5, 8))
    path = tmp_path / "team.db"
    alice = open_store(path, actor="alice", clock=clock, create=True)
    nina = open_store(path, actor="nina", clock=clock)
    omar = open_store(path, actor="omar", clock=clock)
    try:
        alice.set_agenda(Agenda(tz=TZ))
        for handle, name in (("bob", "Bob Analyst"), ("carol", "Carol Lead"), ("erin", "Erin Engineer")):
            alice.add_person(Person(handle=handle, name=name))
        yield Team(path, clock, alice, nina, omar, {})
    finally:
        omar.close()
        nina.close()
        alice.close()


def january(team: Team) -> dict[str, int]:
    """January's work and retro 1 with its three actions; returns the actions' card ids by owner."""
    team.card(
        "INC-1: ransomware note on a share", WorkType.UNPLANNED, utc(1, 10, 9), utc(1, 10, 10), utc(1, 11, 9)
    )
    team.card("Sigma rules in CI", WorkType.ENGINEERING, utc(1, 12, 9), utc(1, 13, 9), utc(1, 20, 9))
    team.card("Rotate API keys", WorkType.OPERATIONS, utc(1, 14, 9), utc(1, 14, 12), utc(1, 15, 9))
    team.at(1, 30, 14)
    team.alice.start_retro(
        RetroDraft(title="January retro", period_from=date(2026, 1, 3), period_to=date(2026, 1, 30))
    )
    team.alice.set_retro_phase(Phase.ACTIONS)
    cards = {}
    for text, owner, due, work_type in (
        ("Tune the phishing rule", "bob", date(2026, 2, 10), WorkType.ENGINEERING),
        ("Document the VPN runbook", "erin", date(2026, 2, 13), WorkType.OPERATIONS),
        ("Retire the old dashboards", "carol", date(2026, 2, 6), WorkType.BUSINESS),
    ):
        action = team.alice.add_retro_action(ActionDraft(text=text, owner=owner, due=due, type=work_type))
        assert action.card_id is not None
        cards[owner] = action.card_id
    team.at(1, 30, 15)
    team.alice.set_retro_phase(Phase.CLOSED)
    return cards


def february(team: Team, actions: dict[str, int]) -> None:
    team.at(2, 3, 9)
    team.alice.delete_card(actions["carol"])
    team.move(actions["bob"], "In Progress", utc(2, 4, 10))
    team.move(actions["bob"], "Done", utc(2, 5, 16))
    team.move(actions["erin"], "In Progress", utc(2, 9, 9))
    team.card("Onboard the subsidiary's logs", WorkType.BUSINESS, utc(2, 3, 9), utc(2, 4, 9), utc(2, 6, 9))
    team.card("VPN | proxy outage", WorkType.UNPLANNED, utc(2, 10, 7, 30), utc(2, 10, 8), utc(2, 10, 12, 30))
    team.card(
        "MFA fatigue on an executive", WorkType.UNPLANNED, utc(2, 17, 22), utc(2, 17, 22, 30), utc(2, 18, 10)
    )
    team.card("Patch the domain controllers", WorkType.OPERATIONS, utc(2, 20, 9), utc(2, 20, 10))
    team.card("Detection: new service on a DC", WorkType.ENGINEERING, utc(2, 24, 9))


def written(team: Team, *, anonymous: bool = False, hide_notes: bool = True) -> None:
    """Retro 2 up to the end of its write phase."""
    team.at(3, 2, 9)
    team.alice.start_retro(
        RetroDraft(
            title="February retro",
            objectives="Why did unplanned work grow?\nAre handovers working?",
            period_from=PERIOD[0],
            period_to=PERIOD[1],
            anonymous=anonymous,
            hide_notes=hide_notes,
        )
    )
    team.at(3, 2, 9, 5)
    team.alice.set_retro_phase(Phase.WRITE)
    team.note(team.nina, NoteColumn.WELL, "Pager noise down after the phishing tuning")
    team.note(team.nina, NoteColumn.NOT_WELL, "VPN logs missing again")
    team.note(team.nina, NoteColumn.IMPROVE, "# Automate the VPN log check")
    team.note(team.omar, NoteColumn.WELL, "Handover notes were complete")
    team.note(team.omar, NoteColumn.NOT_WELL, "Two P1s | same weekend")
    team.note(team.omar, NoteColumn.IMPROVE, "Shorter stand-ups")
    team.note(team.alice, NoteColumn.IMPROVE, "Pair on detections")


def grouped(team: Team) -> dict[str, int]:
    team.at(3, 2, 9, 20)
    team.alice.set_retro_phase(Phase.GROUP)
    n = team.notes
    logging = team.alice.add_theme(
        "Logging", [n["VPN logs missing again"], n["# Automate the VPN log check"]]
    )
    incidents = team.alice.add_theme("Incidents", [n["Two P1s | same weekend"]])
    return {"Logging": logging.id, "Incidents": incidents.id}


def voted(team: Team, themes: dict[str, int]) -> None:
    team.at(3, 2, 9, 30)
    team.alice.set_retro_phase(Phase.VOTE)
    n = team.notes
    team.nina.vote(theme_id=themes["Logging"])
    team.nina.vote(note_id=n["VPN logs missing again"])
    team.nina.vote(note_id=n["Two P1s | same weekend"])
    team.omar.vote(note_id=n["# Automate the VPN log check"])
    team.omar.vote(note_id=n["# Automate the VPN log check"])
    team.omar.vote(note_id=n["Pager noise down after the phishing tuning"])
    team.alice.vote(theme_id=themes["Incidents"])
    team.alice.vote(note_id=n["Pair on detections"])
    team.alice.vote(note_id=n["Pair on detections"])


def closed(team: Team) -> None:
    team.at(3, 2, 9, 40)
    team.alice.set_retro_phase(Phase.DISCUSS)
    team.at(3, 2, 9, 50)
    team.alice.set_retro_phase(Phase.ACTIONS)
    team.alice.add_retro_action(
        ActionDraft(text="Automate the VPN log check", owner="erin", due=date(2026, 3, 16))
    )
    team.alice.add_retro_action(
        ActionDraft(
            text="Write a P1 | weekend rota", owner="bob", due=date(2026, 3, 9), type=WorkType.OPERATIONS
        )
    )
    team.at(3, 2, 10)
    team.alice.set_retro_phase(
        Phase.CLOSED, closing_notes="Good session.\nNext time: timebox the write phase."
    )


@pytest.fixture
def held(team: Team) -> Team:
    """Both retros, the second closed at 10:00 UTC on Mon 2026-03-02."""
    february(team, january(team))
    written(team)
    voted(team, grouped(team))
    closed(team)
    return team


def section(markdown: str, title: str) -> str:
    """The body of one ``## title`` section."""
    _, found, rest = markdown.partition(f"\n## {title}\n")
    assert found, f"no section {title!r} in:\n{markdown}"
    return rest.split("\n## ", 1)[0]


def keys(value: Any) -> set[str]:
    """Every key anywhere in a JSON value."""
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in keys(v)}
    if isinstance(value, list):
        return {k for v in value for k in keys(v)}
    return set()


# ------------------------------------------------------------------------------------------ the whole


def test_the_summary_of_a_closed_retro(held: Team, md_snapshot: Any) -> None:
    assert render_markdown(*held.summary(), TZ) == md_snapshot


def test_the_summary_is_a_pure_function_of_its_inputs(held: Team) -> None:
    first = render_markdown(*held.summary(), TZ)
    held.at(6, 1, 12)  # months later: the same retro, the same summary
    assert render_markdown(*held.summary(), TZ) == first


def test_facts_objectives_and_closing_notes(held: Team) -> None:
    md = render_markdown(*held.summary(), TZ)
    assert md.startswith("# Retro 2: February retro\n\n")
    assert "- Period: 2026-02-02 to 2026-03-01\n" in md
    assert "- Facilitator: alice\n" in md
    assert "- Started: 2026-03-02 10:00 CET; closed 2026-03-02 11:00 CET\n" in md
    assert section(md, "Objectives").strip() == "Why did unplanned work grow?\nAre handovers working?"
    assert section(md, "Closing notes").strip() == "Good session.\nNext time: timebox the write phase."


def test_last_retros_actions_with_where_their_cards_are(held: Team) -> None:
    record, previous, mix = held.summary()
    lines = section(render_markdown(record, previous, mix, TZ), "Last retro's actions").strip().splitlines()
    assert [re.sub(r"card #\d+", "card #N", line) for line in lines] == [
        "- Tune the phishing rule — bob, due 2026-02-10, card #N: **done**",
        "- Document the VPN runbook — erin, due 2026-02-13, card #N: **open (In Progress)**",
        "- Retire the old dashboards — carol, due 2026-02-06, card #N: **card deleted**",
    ]
    data = summary_json(record, previous, mix, TZ)
    assert [(a["text"], a["status"], a["done"], a["column"]) for a in data["previous_actions"]] == [
        ("Tune the phishing rule", "done", True, "Done"),
        ("Document the VPN runbook", "open (In Progress)", False, "In Progress"),
        ("Retire the old dashboards", "card deleted", False, None),
    ]
    assert {a["retro_id"] for a in data["previous_actions"]} == {1}


def test_the_first_retro_has_no_last_actions(team: Team) -> None:
    written(team)
    record, previous, mix = team.summary()
    assert previous == []
    assert section(render_markdown(record, previous, mix, TZ), "Last retro's actions").strip() == "None."


def test_themes_are_sorted_by_votes_and_so_are_their_notes(held: Team) -> None:
    record, previous, mix = held.summary()
    themes = section(render_markdown(record, previous, mix, TZ), "Themes by votes").strip().splitlines()
    assert themes == [
        "1. **Logging** — 4 votes (1 on the theme, 3 on its notes)",
        "   - \\# Automate the VPN log check (2 votes)",
        "   - VPN logs missing again (1 vote)",
        "2. **Incidents** — 2 votes (1 on the theme, 1 on its notes)",
        "   - Two P1s | same weekend (1 vote)",
        "",
        "Not in a theme:",
        "",
        "- Pair on detections (2 votes)",
        "- Pager noise down after the phishing tuning (1 vote)",
        "- Handover notes were complete (0 votes)",
        "- Shorter stand-ups (0 votes)",
    ]
    data = summary_json(record, previous, mix, TZ)
    assert [(t["name"], t["votes"], t["total_votes"], t["note_count"]) for t in data["themes"]] == [
        ("Logging", 1, 4, 2),
        ("Incidents", 1, 2, 1),
    ]
    assert [(n["text"], n["votes"]) for n in data["themes"][0]["notes"]] == [
        ("# Automate the VPN log check", 2),
        ("VPN logs missing again", 1),
    ]
    assert [n["votes"] for n in data["ungrouped"]] == [2, 1, 0, 0]


def test_notes_by_column_with_their_theme_and_votes(held: Team) -> None:
    record, previous, mix = held.summary()
    notes = section(render_markdown(record, previous, mix, TZ), "Notes")
    assert "### What didn't go well\n\n- VPN logs missing again (theme “Logging”, 1 vote)\n" in notes
    assert "- Two P1s | same weekend (theme “Incidents”, 1 vote)\n" in notes
    assert (
        "### What can be improved\n\n- \\# Automate the VPN log check (theme “Logging”, 2 votes)\n" in notes
    )
    data = summary_json(record, previous, mix, TZ)
    assert [(c["column"], c["count"]) for c in data["columns"]] == [
        ("well", 2),
        ("not-well", 2),
        ("improve", 3),
    ]
    assert data["columns"][1]["notes"][1] == {
        "id": held.notes["Two P1s | same weekend"],
        "column": "not-well",
        "text": "Two P1s | same weekend",
        "theme_id": data["themes"][1]["id"],
        "theme": "Incidents",
        "votes": 1,
    }


def test_actions_with_owner_due_type_and_card(held: Team) -> None:
    record, previous, mix = held.summary()
    cards = [a.card_id for a in record.actions]
    assert section(render_markdown(record, previous, mix, TZ), "Actions").strip().splitlines() == [
        "| Action | Owner | Due | Type | Card |",
        "| --- | --- | --- | --- | ---: |",
        f"| Automate the VPN log check | erin | 2026-03-16 | engineering | #{cards[0]} |",
        f"| Write a P1 \\| weekend rota | bob | 2026-03-09 | operations | #{cards[1]} |",
    ]
    assert summary_json(record, previous, mix, TZ)["actions"][1] == {
        "id": record.actions[1].id,
        "text": "Write a P1 | weekend rota",
        "owner": "bob",
        "due": "2026-03-09",
        "type": "operations",
        "card_id": cards[1],
    }


def test_the_work_mix_of_the_period(held: Team) -> None:
    record, previous, mix = held.summary()
    text = section(render_markdown(record, previous, mix, TZ), "Work mix")
    assert "| unplanned | 2 | 2 | 50% | 40% |" in text
    assert "| total | 5 | 4 | 100% | 100% |" in text
    assert "Unplanned: 50% of the work done (33.3% in the previous period), +16.7 pts." in text
    data = summary_json(record, previous, mix, TZ)["mix"]
    assert (data["period_from"], data["period_to"], data["done"], data["created"]) == (
        "2026-02-02",
        "2026-03-01",
        4,
        5,
    )
    assert data["unplanned_change_pp"] == 16.6667
    assert render_markdown(record, previous, None, TZ).count("Not available.") == 1
    assert summary_json(record, previous, None, TZ)["mix"] is None


def test_the_json_carries_the_facts(held: Team) -> None:
    record, previous, mix = held.summary()
    data = summary_json(record, previous, mix, TZ)
    assert json.loads(json.dumps(data)) == data
    assert {k: data[k] for k in ("retro_id", "title", "facilitator", "phase", "open", "anonymous")} == {
        "retro_id": 2,
        "title": "February retro",
        "facilitator": "alice",
        "phase": "closed",
        "open": False,
        "anonymous": False,
    }
    assert data["period"] == {"from": "2026-02-02", "to": "2026-03-01"}
    assert (data["hide_notes"], data["notes_hidden"], data["votes_shown"]) == (True, False, True)
    assert data["closed_at"] == "2026-03-02T10:00:00+00:00"
    assert data["objectives"] == "Why did unplanned work grow?\nAre handovers working?"
    assert data["closing_notes"] == "Good session.\nNext time: timebox the write phase."


# ------------------------------------------------------------------------------------------ privacy


def test_a_summary_names_no_author_and_no_voter(held: Team) -> None:
    record, previous, mix = held.summary()
    assert any(n.author == "nina" for n in record.notes)  # the store knows; the summary does not say
    md = render_markdown(record, previous, mix, TZ)
    text = json.dumps(summary_json(record, previous, mix, TZ))
    for writer in WRITERS:
        assert writer not in md
        assert writer not in text
    assert not keys(summary_json(record, previous, mix, TZ)) & {"author", "voter", "created_by", "actor"}


def test_an_anonymous_retro_has_no_author_anywhere(team: Team) -> None:
    written(team, anonymous=True)
    voted(team, grouped(team))
    closed(team)
    record, previous, mix = team.summary()
    assert all(n.author is None for n in record.notes)
    md = render_markdown(record, previous, mix, TZ)
    data = summary_json(record, previous, mix, TZ)
    assert "- Anonymous: yes\n" in md and data["anonymous"] is True
    assert not keys(data) & {"author", "voter", "created_by", "actor"}
    for writer in WRITERS:
        assert writer not in md and writer not in json.dumps(data)
    assert "Pager noise down after the phishing tuning" in md  # the notes themselves are there


def test_while_notes_are_hidden_the_summary_counts_them_and_shows_no_text(team: Team) -> None:
    written(team)
    record, previous, mix = team.summary()
    assert record.retro.notes_hidden()
    md = render_markdown(record, previous, mix, TZ)
    data = summary_json(record, previous, mix, TZ)
    texts = list(team.notes)
    for text in texts:
        assert text not in md
        assert text not in json.dumps(data)
    notes = section(md, "Notes")
    assert "### What went well\n\n2 notes, hidden until the group phase.\n" in notes
    assert "### What can be improved\n\n3 notes, hidden until the group phase.\n" in notes
    assert "- Notes hidden while writing: yes (they are hidden until the group phase)\n" in md
    assert [(c["count"], c["notes"]) for c in data["columns"]] == [(2, []), (2, []), (3, [])]
    assert data["notes_hidden"] is True and data["ungrouped"] == []


def test_back_in_the_write_phase_themes_show_their_size_but_not_their_notes(team: Team) -> None:
    written(team)
    grouped(team)
    team.alice.set_retro_phase(Phase.WRITE)  # going back is allowed: the notes hide again
    record, previous, mix = team.summary()
    md = render_markdown(record, previous, mix, TZ)
    assert section(md, "Themes by votes").strip().splitlines() == [
        "1. **Logging** — 2 notes",
        "2. **Incidents** — 1 note",
    ]
    data = summary_json(record, previous, mix, TZ)
    assert [(t["name"], t["note_count"], t["notes"]) for t in data["themes"]] == [
        ("Logging", 2, []),
        ("Incidents", 1, []),
    ]
    for text in team.notes:
        assert text not in md and text not in json.dumps(data)


def test_shown_notes_before_the_vote_phase_carry_no_vote_counts(team: Team) -> None:
    written(team, hide_notes=False)
    record, previous, mix = team.summary()
    md = render_markdown(record, previous, mix, TZ)
    assert "- Pager noise down after the phishing tuning\n" in section(md, "Notes")
    assert "vote" not in section(md, "Notes") and "vote" not in section(md, "Themes by votes")
    assert "- Started: 2026-03-02 10:00 CET; in progress, phase write (Write)\n" in md
    assert summary_json(record, previous, mix, TZ)["votes_shown"] is False


def test_empty_sections_say_so(team: Team) -> None:
    team.at(3, 2, 9)
    team.alice.start_retro(RetroDraft(title="Quiet", period_from=PERIOD[0], period_to=PERIOD[1]))
    record, previous, mix = team.summary()
    md = render_markdown(record, previous, mix, TZ)
    assert section(md, "Objectives").strip() == "None set."
    assert section(md, "Themes by votes").strip() == "None."
    assert section(md, "Actions").strip() == "None agreed."
    assert section(md, "Notes").count("None.") == 3
    assert "## Closing notes" not in md


# ------------------------------------------------------------------------------------------ the file


def test_write_summary_writes_atomically_under_the_retros_name(held: Team, tmp_path: Path) -> None:
    record, previous, mix = held.summary()
    markdown = render_markdown(record, previous, mix, TZ)
    directory = tmp_path / "wiki" / "retros"
    path = write_summary(record, markdown, directory)
    assert path == directory / "retro-2-2026-03-01.md" == directory / summary_filename(record)
    assert path.read_text(encoding="utf-8") == markdown
    path.write_text("stale", encoding="utf-8")
    assert write_summary(record, markdown, directory).read_text(encoding="utf-8") == markdown
    assert sorted(p.name for p in directory.iterdir()) == ["retro-2-2026-03-01.md"]  # no temporary left
