"""The retro's rules, pure: the draft, the phases, who sees which note when, dot tallies and their
order, the votes a person has left, the phase timer and where a previous action's card stands."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from socdesk.domain import Card, Stage, WorkType
from socdesk.domain.retro import (
    VOTES_MAX,
    ActionDraft,
    ActionStatus,
    Note,
    NoteColumn,
    Phase,
    Retro,
    RetroAction,
    RetroDraft,
    RetroRecord,
    Theme,
    TimerEntry,
    TimerKind,
    Vote,
    action_card_description,
    phase_timer,
    retro_label,
)

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
HIDDEN = "(hidden until the group phase)"
FROM, TO = date(2026, 2, 16), date(2026, 3, 1)
P = Phase


def mins(n: float) -> timedelta:
    return timedelta(minutes=n)


def draft(**fields: Any) -> RetroDraft:
    return RetroDraft(**{"title": "Sprint 9", "period_from": FROM, "period_to": TO, **fields})


def retro(**fields: Any) -> Retro:
    base = {
        "id": 1,
        "title": "Sprint 9",
        "period_from": FROM,
        "period_to": TO,
        "facilitator": "alice",
        "started_at": T0,
    }
    return Retro(**{**base, **fields})


def note(note_id: int, author: str | None = "alice", *, theme: int | None = None, **fields: Any) -> Note:
    base = {"column": NoteColumn.WELL, "text": f"note {note_id} text"}
    return Note(id=note_id, retro_id=1, author=author, theme_id=theme, **{**base, **fields})


def dot(vote_id: int, voter: str, *, note: int | None = None, theme: int | None = None) -> Vote:
    return Vote(id=vote_id, retro_id=1, voter=voter, note_id=note, theme_id=theme, at=T0)


def theme(theme_id: int, name: str | None = None) -> Theme:
    return Theme(id=theme_id, retro_id=1, name=name or f"theme {theme_id}")


def record(
    phase: Phase = P.WRITE,
    *,
    notes: tuple[Note, ...] = (),
    themes: tuple[Theme, ...] = (),
    votes: tuple[Vote, ...] = (),
    timer_log: tuple[TimerEntry, ...] = (),
    **retro_fields: Any,
) -> RetroRecord:
    return RetroRecord(
        retro=retro(phase=phase, **retro_fields), notes=notes, themes=themes, votes=votes, timer_log=timer_log
    )


# ------------------------------------------------------------------------------ the draft


def test_a_draft_has_sensible_defaults() -> None:
    d = draft()
    assert (d.objectives, d.vote_budget, d.anonymous, d.hide_notes) == ("", 3, False, True)


def test_the_period_may_be_one_day_or_a_whole_year_but_not_backwards_or_longer() -> None:
    assert draft(period_from=TO, period_to=TO).period_to == TO
    # 366 days, both ends included: the longest period the work mix reviews
    assert draft(period_from=date(2025, 3, 2), period_to=date(2026, 3, 2)).period_to == date(2026, 3, 2)
    with pytest.raises(
        ValidationError, match=r"the period ends \(2026-02-15\) before it starts \(2026-02-16\)"
    ):
        draft(period_to=date(2026, 2, 15))
    with pytest.raises(ValidationError, match="the period covers at most 366 days"):
        draft(period_from=date(2025, 3, 1), period_to=date(2026, 3, 2))


@pytest.mark.parametrize("budget", [1, 3, VOTES_MAX])
def test_a_vote_budget_within_bounds_is_kept(budget: int) -> None:
    assert draft(vote_budget=budget).vote_budget == budget


@pytest.mark.parametrize("budget", [0, -1, VOTES_MAX + 1])
def test_a_vote_budget_out_of_bounds_is_refused(budget: int) -> None:
    with pytest.raises(ValidationError, match="vote_budget"):
        draft(vote_budget=budget)


def test_a_title_is_stripped_and_must_say_something_short_and_printable() -> None:
    assert draft(title="  Q1 retro  ").title == "Q1 retro"
    assert draft(title="x" * 200).title == "x" * 200
    for bad in ("", "   ", "x" * 201, "bell\x07", "two\nlines"):
        with pytest.raises(ValidationError, match="title"):
            draft(title=bad)


def test_objectives_may_span_lines_but_hold_no_other_control_characters() -> None:
    assert (
        draft(objectives=" Ship less, finish more.\nSleep.  ").objectives == "Ship less, finish more.\nSleep."
    )
    with pytest.raises(ValidationError, match="objectives"):
        draft(objectives="ring \x07")
    with pytest.raises(ValidationError, match="objectives"):
        draft(objectives="x" * 2_001)


def test_a_draft_refuses_unknown_fields() -> None:
    with pytest.raises(ValidationError, match="votes"):
        draft(votes=3)


def test_a_retro_is_open_until_closed() -> None:
    assert retro().phase is P.OBJECTIVES and retro().open
    assert retro(phase=P.ACTIONS).open
    assert not retro(phase=P.CLOSED).open


# ------------------------------------------------------------------------------ phases


def test_the_phases_run_in_this_order() -> None:
    assert [p.value for p in Phase] == [
        "objectives",
        "write",
        "group",
        "vote",
        "discuss",
        "actions",
        "closed",
    ]
    assert [p.order for p in Phase] == list(range(7))
    assert P.OBJECTIVES.heading == "Objectives and last actions"
    assert P.CLOSED.heading == "Closed"


@pytest.mark.parametrize(
    ("phase", "hidden"),
    [
        (P.OBJECTIVES, True),
        (P.WRITE, True),
        (P.GROUP, False),
        (P.VOTE, False),
        (P.DISCUSS, False),
        (P.ACTIONS, False),
        (P.CLOSED, False),
    ],
)
def test_notes_are_hidden_before_grouping_only_when_the_retro_hides_them(phase: Phase, hidden: bool) -> None:
    assert retro(phase=phase).notes_hidden() is hidden
    assert retro(phase=phase, hide_notes=False).notes_hidden() is False


# ------------------------------------------------------------------------------ who sees what


def test_in_the_hidden_write_phase_a_person_sees_only_their_own_texts() -> None:
    r = record(P.WRITE, notes=(note(1, "alice"), note(2, "bob"), note(3, "carol")))
    seen = {v.note.id: (v.text, v.hidden, v.mine) for v in r.view("bob")}
    assert seen == {
        1: (HIDDEN, True, False),
        2: ("note 2 text", False, True),
        3: (HIDDEN, True, False),
    }


@pytest.mark.parametrize("phase", [P.OBJECTIVES, P.WRITE])
def test_hidden_texts_are_withheld_in_every_view_of_the_record(phase: Phase) -> None:
    r = record(phase, notes=(note(1, "alice", theme=1), note(2, "bob")), themes=(theme(1),))
    assert [v.text for v in r.column(NoteColumn.WELL, "bob")] == [HIDDEN, "note 2 text"]
    assert [v.text for t in r.theme_views("bob") for v in t.notes] == [HIDDEN]
    assert [v.text for v in r.ungrouped("bob")] == ["note 2 text"]


@pytest.mark.parametrize("phase", [P.GROUP, P.VOTE, P.DISCUSS, P.ACTIONS, P.CLOSED])
def test_from_the_group_phase_on_everyone_sees_every_text(phase: Phase) -> None:
    r = record(phase, notes=(note(1, "alice"), note(2, "bob")))
    assert [(v.text, v.hidden, v.mine) for v in r.view("bob")] == [
        ("note 1 text", False, False),
        ("note 2 text", False, True),
    ]


def test_without_hiding_everyone_sees_every_text_while_writing() -> None:
    r = record(P.WRITE, hide_notes=False, notes=(note(1, "alice"), note(2, "bob")))
    assert [(v.text, v.hidden) for v in r.view("bob")] == [("note 1 text", False), ("note 2 text", False)]


def test_in_an_anonymous_retro_only_the_ids_this_console_wrote_are_mine() -> None:
    r = record(P.WRITE, anonymous=True, notes=(note(1, None), note(2, None), note(3, None)))
    assert [(v.text, v.mine) for v in r.view("bob", frozenset({2}))] == [
        (HIDDEN, False),
        ("note 2 text", True),
        (HIDDEN, False),
    ]
    # No author to match: without ``mine`` nobody owns anything, whatever the viewer is called.
    assert [v.hidden for v in r.view("bob")] == [True, True, True]
    assert [v.mine for v in r.view(None)] == [False, False, False]
    assert [v.mine for v in record(P.GROUP, notes=r.notes).view("bob", frozenset({1, 3}))] == [
        True,
        False,
        True,
    ]


def test_column_keeps_one_column_in_writing_order() -> None:
    r = record(
        P.GROUP,
        notes=(
            note(1, column=NoteColumn.IMPROVE),
            note(2, column=NoteColumn.WELL),
            note(3, column=NoteColumn.IMPROVE),
        ),
    )
    assert [v.note.id for v in r.column(NoteColumn.IMPROVE, "alice")] == [1, 3]
    assert [v.note.id for v in r.column(NoteColumn.NOT_WELL, "alice")] == []
    assert NoteColumn.NOT_WELL.heading == "What didn't go well"


# ------------------------------------------------------------------------------ dots and their order

THEMED = (
    note(1, theme=1),
    note(2, "bob", theme=2),
    note(3, "bob", theme=2),
    note(4, "carol", theme=3),
    note(5),
    note(6, "bob"),
)
THEMES = (theme(1, "Alerts"), theme(2, "On-call"), theme(3, "Tooling"))
DOTS = (
    dot(1, "alice", theme=1),
    dot(2, "bob", note=1),
    dot(3, "alice", note=2),
    dot(4, "bob", note=3),
    dot(5, "carol", note=3),
    dot(6, "carol", theme=3),
    dot(7, "carol", theme=3),
    dot(8, "alice", note=5),
    dot(9, "bob", note=6),
    dot(10, "bob", note=6),
)


@pytest.mark.parametrize("phase", [P.VOTE, P.DISCUSS, P.ACTIONS, P.CLOSED])
def test_themes_are_ordered_by_their_own_dots_plus_their_notes_dots(phase: Phase) -> None:
    r = record(phase, notes=THEMED, themes=THEMES, votes=DOTS)
    views = r.theme_views("alice")
    # On-call: 0 + 1 + 2 = 3; Alerts: 1 + 1 = 2; Tooling: 2 + 0 = 2 (a tie: the older theme first).
    assert [(t.theme.name, t.votes, t.total, t.my_votes) for t in views] == [
        ("On-call", 0, 3, 0),
        ("Alerts", 1, 2, 1),
        ("Tooling", 2, 2, 0),
    ]
    assert [[(n.note.id, n.votes, n.my_votes) for n in t.notes] for t in views] == [
        [(3, 2, 0), (2, 1, 1)],
        [(1, 1, 0)],
        [(4, 0, 0)],
    ]
    assert [(n.note.id, n.votes) for n in r.ungrouped("alice")] == [(6, 2), (5, 1)]


@pytest.mark.parametrize("phase", [P.OBJECTIVES, P.WRITE, P.GROUP])
def test_nobody_sees_dots_before_the_vote_phase(phase: Phase) -> None:
    r = record(phase, hide_notes=False, notes=THEMED, themes=THEMES, votes=DOTS)
    views = r.theme_views("bob")
    assert [(t.theme.id, t.votes, t.total) for t in views] == [(1, 0, 0), (2, 0, 0), (3, 0, 0)]
    assert [n.votes for n in r.view("bob")] == [0] * 6
    assert [n.note.id for n in r.ungrouped("bob")] == [5, 6]  # no dots: writing order


def test_a_voter_sees_their_own_dots() -> None:
    r = record(P.VOTE, notes=THEMED, themes=THEMES, votes=DOTS)
    assert {v.note.id: v.my_votes for v in r.view("bob")} == {1: 1, 2: 0, 3: 1, 4: 0, 5: 0, 6: 2}
    assert {t.theme.id: t.my_votes for t in r.theme_views("carol")} == {1: 0, 2: 0, 3: 2}


def test_votes_left_is_the_budget_less_the_dots_used_and_never_negative() -> None:
    r = record(P.VOTE, notes=THEMED, themes=THEMES, votes=DOTS)
    assert [(p, r.votes_used(p), r.votes_left(p)) for p in ("alice", "bob", "carol", "dave")] == [
        ("alice", 3, 0),
        ("bob", 4, 0),  # over the budget (say, an old import): none left, not -1
        ("carol", 3, 0),
        ("dave", 0, 3),
    ]
    assert record(P.VOTE, vote_budget=5, votes=DOTS).votes_left("alice") == 2


def test_a_vote_is_for_exactly_one_note_or_theme() -> None:
    with pytest.raises(ValidationError, match="a vote is for one note or one theme"):
        dot(1, "alice")
    with pytest.raises(ValidationError, match="a vote is for one note or one theme"):
        dot(1, "alice", note=1, theme=1)


@st.composite
def voted_records(draw: st.DrawFn) -> RetroRecord:
    n_themes = draw(st.integers(0, 4))
    themes = tuple(theme(i) for i in range(1, n_themes + 1))
    theme_ids = st.sampled_from([None, *range(1, n_themes + 1)])
    n_notes = draw(st.integers(1, 8))
    notes = tuple(
        note(i, draw(st.sampled_from(["alice", "bob", "carol", None])), theme=draw(theme_ids))
        for i in range(1, n_notes + 1)
    )
    targets = [("note", i) for i in range(1, n_notes + 1)] + [("theme", i) for i in range(1, n_themes + 1)]
    picks = draw(st.lists(st.tuples(st.sampled_from(["alice", "bob", "carol"]), st.sampled_from(targets))))
    votes = tuple(dot(i, voter, **{kind: target}) for i, (voter, (kind, target)) in enumerate(picks, start=1))
    phase = draw(st.sampled_from([P.VOTE, P.DISCUSS, P.ACTIONS, P.CLOSED]))
    return record(phase, notes=notes, themes=themes, votes=votes, vote_budget=VOTES_MAX)


@settings(max_examples=300, deadline=None)
@given(voted_records(), st.sampled_from(["alice", "bob", "carol", None]))
def test_every_dot_is_counted_once_in_themes_and_loose_notes(r: RetroRecord, viewer: str | None) -> None:
    themes = r.theme_views(viewer)
    loose = r.ungrouped(viewer)
    assert sum(t.total for t in themes) + sum(n.votes for n in loose) == len(r.votes)
    assert sum(t.my_votes + sum(n.my_votes for n in t.notes) for t in themes) + sum(
        n.my_votes for n in loose
    ) == r.votes_used(viewer or "")
    # Every note appears exactly once, most dots first within its group.
    placed = [n.note.id for t in themes for n in t.notes] + [n.note.id for n in loose]
    assert sorted(placed) == [n.id for n in r.notes]
    assert [t.total for t in themes] == sorted((t.total for t in themes), reverse=True)
    for group in [*(t.notes for t in themes), loose]:
        assert [(-n.votes, n.note.id) for n in group] == sorted((-n.votes, n.note.id) for n in group)


@settings(max_examples=100, deadline=None)
@given(voted_records(), st.sampled_from([P.OBJECTIVES, P.WRITE, P.GROUP]))
def test_no_dot_shows_before_the_vote_phase(r: RetroRecord, phase: Phase) -> None:
    before = r.model_copy(update={"retro": r.retro.model_copy(update={"phase": phase, "hide_notes": False})})
    assert [t.total for t in before.theme_views("alice")] == [0] * len(r.themes)
    assert [n.votes for n in before.view("alice")] == [0] * len(r.notes)


@st.composite
def hidden_records(draw: st.DrawFn) -> tuple[RetroRecord, str | None, frozenset[int]]:
    anonymous = draw(st.booleans())
    authors = st.just(None) if anonymous else st.sampled_from(["alice", "bob", "carol"])
    n_themes = draw(st.integers(0, 2))
    texts = draw(
        st.lists(
            st.text("abcé 0.,(", min_size=1, max_size=12)
            .map(str.strip)
            .filter(lambda t: t != "" and t != HIDDEN),
            min_size=1,
            max_size=8,
            unique=True,
        )
    )
    notes = tuple(
        Note(
            id=i,
            retro_id=1,
            column=draw(st.sampled_from(list(NoteColumn))),
            text=text,
            author=draw(authors),
            theme_id=draw(st.sampled_from([None, *range(1, n_themes + 1)])),
        )
        for i, text in enumerate(texts, start=1)
    )
    mine = frozenset(draw(st.sets(st.sampled_from([n.id for n in notes]))))
    viewer = draw(st.sampled_from(["alice", "bob", "carol", None]))
    r = record(
        draw(st.sampled_from([P.OBJECTIVES, P.WRITE])),
        notes=notes,
        themes=tuple(theme(i) for i in range(1, n_themes + 1)),
        anonymous=anonymous,
    )
    return r, viewer, mine


@settings(max_examples=200, deadline=None)
@given(hidden_records())
def test_while_hidden_no_view_shows_another_persons_text(
    case: tuple[RetroRecord, str | None, frozenset[int]],
) -> None:
    r, viewer, mine = case

    def own(n: Note) -> bool:
        return n.id in mine or (n.author is not None and n.author == viewer)

    others = {n.text for n in r.notes if not own(n)}
    shown = [v.text for v in r.view(viewer, mine)]
    shown += [v.text for c in NoteColumn for v in r.column(c, viewer, mine)]
    shown += [v.text for t in r.theme_views(viewer, mine) for v in t.notes]
    shown += [v.text for v in r.ungrouped(viewer, mine)]
    assert others.isdisjoint(shown)
    # Own texts show in each of the three listings: the view, the columns, and themes plus loose notes.
    assert sorted(t for t in shown if t != HIDDEN) == sorted(3 * [n.text for n in r.notes if own(n)])
    assert [v.hidden for v in r.view(viewer, mine)] == [not own(n) for n in r.notes]
    assert [v.mine for v in r.view(viewer, mine)] == [own(n) for n in r.notes]


# ------------------------------------------------------------------------------ the phase timer


def entry(n: int, at: float, kind: TimerKind, phase: Phase = P.WRITE, minutes: int = 0) -> TimerEntry:
    return TimerEntry(
        id=n, retro_id=1, at=T0 + mins(at), actor="alice", phase=phase, kind=kind, minutes=minutes
    )


def test_no_timer_until_one_is_started() -> None:
    assert phase_timer([], P.WRITE, T0) is None
    assert phase_timer([entry(1, 0, TimerKind.START, P.GROUP, 5)], P.WRITE, T0 + mins(1)) is None


def test_a_phase_timer_counts_down_pauses_resumes_and_extends() -> None:
    log = [entry(1, 0, TimerKind.START, minutes=10)]
    timer = phase_timer(log, P.WRITE, T0 + mins(3))
    assert timer is not None and timer.remaining == mins(7) and not timer.paused

    log.append(entry(2, 3, TimerKind.PAUSE))
    timer = phase_timer(log, P.WRITE, T0 + mins(8))
    assert timer is not None and timer.remaining == mins(7) and timer.paused

    log.append(entry(3, 8, TimerKind.RESUME))
    timer = phase_timer(log, P.WRITE, T0 + mins(10))
    assert timer is not None and timer.remaining == mins(5) and not timer.paused

    log.append(entry(4, 10, TimerKind.EXTEND, minutes=5))
    timer = phase_timer(log, P.WRITE, T0 + mins(10))
    assert timer is not None and timer.remaining == mins(10)
    late = phase_timer(log, P.WRITE, T0 + mins(25))
    assert late is not None and late.remaining == mins(-5) and late.overrun == mins(5)

    log.append(entry(5, 12, TimerKind.STOP))
    assert phase_timer(log, P.WRITE, T0 + mins(12)) is None
    assert phase_timer(log, P.WRITE, T0 + mins(60)) is None


def test_a_timer_of_another_phase_does_not_touch_this_one() -> None:
    log = [
        entry(1, 0, TimerKind.START, P.WRITE, 10),
        entry(2, 1, TimerKind.START, P.GROUP, 5),
        entry(3, 2, TimerKind.PAUSE, P.GROUP),
        entry(4, 2, TimerKind.EXTEND, P.GROUP, 9),
    ]
    write = phase_timer(log, P.WRITE, T0 + mins(4))
    assert write is not None and write.remaining == mins(6) and not write.paused
    group = phase_timer(log, P.GROUP, T0 + mins(4))
    assert group is not None and group.remaining == mins(13) and group.paused


def test_a_stopped_timer_of_an_earlier_visit_never_comes_back() -> None:
    log = [
        entry(1, 0, TimerKind.START, P.WRITE, 10),
        entry(2, 1, TimerKind.EXTEND, P.WRITE, 5),
        entry(3, 2, TimerKind.STOP, P.WRITE),  # the facilitator moved on to grouping
        entry(4, 3, TimerKind.START, P.GROUP, 5),
        entry(5, 4, TimerKind.STOP, P.GROUP),  # ... and back to writing
    ]
    assert phase_timer(log, P.WRITE, T0 + mins(5)) is None
    assert phase_timer(log, P.GROUP, T0 + mins(5)) is None
    # A new start in the revisited phase runs on its own minutes, not the old run's extension.
    log.append(entry(6, 20, TimerKind.START, P.WRITE, 3))
    again = phase_timer(log, P.WRITE, T0 + mins(21))
    assert again is not None and again.remaining == mins(2)


def test_a_restart_replaces_the_running_timer() -> None:
    log = [entry(1, 0, TimerKind.START, minutes=10), entry(2, 4, TimerKind.START, minutes=3)]
    timer = phase_timer(log, P.WRITE, T0 + mins(5))
    assert timer is not None and timer.remaining == mins(2)


def test_a_records_timer_is_the_current_phases_and_none_once_closed() -> None:
    log = (entry(1, 0, TimerKind.START, P.WRITE, 10), entry(2, 0, TimerKind.START, P.GROUP, 4))
    timer = record(P.GROUP, timer_log=log).timer(T0 + mins(1))
    assert timer is not None and timer.remaining == mins(3)
    assert record(P.VOTE, timer_log=log).timer(T0 + mins(1)) is None
    closed = (*log, entry(3, 0, TimerKind.START, P.CLOSED, 4))
    assert record(P.CLOSED, timer_log=closed).timer(T0 + mins(1)) is None


def test_a_timer_entry_runs_at_most_two_hours() -> None:
    assert entry(1, 0, TimerKind.START, minutes=120).minutes == 120
    with pytest.raises(ValidationError, match="minutes"):
        entry(1, 0, TimerKind.START, minutes=121)


# ------------------------------------------------------------------------------ actions


def action(card_id: int | None = 7) -> RetroAction:
    return RetroAction(
        id=1,
        retro_id=1,
        text="Tune the noisy rule",
        owner="bob",
        due=date(2026, 3, 9),
        type=WorkType.ENGINEERING,
        card_id=card_id,
        created_by="alice",
        created_at=T0,
    )


def card(column: str) -> Card:
    return Card(
        id=7,
        title="Tune the noisy rule",
        type=WorkType.ENGINEERING,
        column=column,
        position=0,
        created_at=T0,
        updated_at=T0,
        column_since=T0,
    )


@pytest.mark.parametrize(
    ("card_id", "column", "stage", "status", "done"),
    [
        (7, "Done", Stage.DONE, "done", True),
        (7, "In Progress", Stage.ACTIVE, "open (In Progress)", False),
        (7, "Backlog", Stage.QUEUE, "open (Backlog)", False),
        (7, None, None, "card deleted", False),
        (None, None, None, "card deleted", False),
    ],
)
def test_an_actions_status_follows_its_card(
    card_id: int | None, column: str | None, stage: Stage | None, status: str, done: bool
) -> None:
    found = ActionStatus(action=action(card_id), card=None if column is None else card(column), stage=stage)
    assert (found.status, found.done) == (status, done)


def test_an_action_draft_defaults_to_engineering_and_needs_a_handle() -> None:
    assert ActionDraft(text="Fix it", owner="bob", due=TO).type is WorkType.ENGINEERING
    with pytest.raises(ValidationError, match="owner"):
        ActionDraft(text="Fix it", owner="Bob Smith", due=TO)
    with pytest.raises(ValidationError, match="text"):
        ActionDraft(text=" ", owner="bob", due=TO)


def test_an_actions_card_names_its_retro() -> None:
    assert retro_label(12) == "retro-12"
    text = action_card_description(
        retro(id=12), ActionDraft(text="Fix it", owner="bob", due=date(2026, 3, 9))
    )
    assert text == (
        "Action from retro #12 \u201cSprint 9\u201d (2026-02-16 to 2026-03-01).\n"
        "Owner: bob. Follow up by 2026-03-09."
    )
