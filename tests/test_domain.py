"""The domain rules on their own: field validation, the WIP rule, flow stamps, snapshots and patches."""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from socdesk.domain import (
    Card,
    CardDraft,
    CardPatch,
    Column,
    Event,
    InvalidInput,
    Kind,
    Person,
    Priority,
    Snapshot,
    Stage,
    WipLimitReached,
    WipOverride,
    WorkType,
    check_wip,
)
from socdesk.domain.flow import flow_stamps
from socdesk.domain.snapshot import shifted

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
HANDLE_RE = re.compile(r"[a-z0-9._-]{1,32}")

# The characters trimmed around titles: Unicode's White_Space property (what pydantic's strip uses).
# Python's str.isspace() also counts the separators U+001C..U+001F, which are control characters (Cc)
# and so make a title invalid wherever they appear.
WHITE_SPACE = "".join(ch for ch in map(chr, range(0x3001)) if ch.isspace() and ch not in "\x1c\x1d\x1e\x1f")


def is_control(ch: str) -> bool:
    return unicodedata.category(ch) == "Cc"


def draft(**fields: Any) -> CardDraft:
    return CardDraft(**{"title": "Triage phishing report", "type": "operations", **fields})


def card(**fields: Any) -> Card:
    base: dict[str, Any] = {
        "id": 1,
        "title": "Tune EDR rule",
        "type": "engineering",
        "column": "Backlog",
        "position": 0,
        "created_at": T0,
        "updated_at": T0,
    }
    return Card(**{**base, **fields})


# ---------------------------------------------------------------------------------------------- title

title_chars = st.one_of(
    st.characters(codec="utf-8"),
    st.sampled_from(" \t\n\r\x0b\x0c\x85\xa0\u2003\u3000\x00\x07\x1b\x1c\x1f\x7f\x9f"),
)


@st.composite
def titles(draw: st.DrawFn) -> str:
    pad = st.text(alphabet=st.sampled_from(" \t\n\r\xa0\u2003\x1c\x00"), max_size=3)
    size = draw(st.sampled_from([(0, 5), (0, 40), (195, 205)]))
    core = draw(st.text(alphabet=title_chars, min_size=size[0], max_size=size[1]))
    return draw(pad) + core + draw(pad)


@given(titles())
@settings(max_examples=300)
def test_title_valid_iff_one_to_200_chars_after_stripping_and_no_control_chars(raw: str) -> None:
    stripped = raw.strip(WHITE_SPACE)
    expected_valid = 1 <= len(stripped) <= 200 and not any(is_control(ch) for ch in stripped)
    try:
        got = draft(title=raw)
    except ValidationError:
        assert not expected_valid, f"{raw!r} was refused"
    else:
        assert expected_valid, f"{raw!r} was accepted"
        assert got.title == stripped


@pytest.mark.parametrize(
    ("raw", "stored"),
    [("  Hunt for beacons  ", "Hunt for beacons"), ("x" * 200, "x" * 200), ("\tA\n", "A"), (" é ", "é")],
)
def test_title_examples_accepted_and_stored_stripped(raw: str, stored: str) -> None:
    assert draft(title=raw).title == stored
    assert card(title=raw).title == stored


@pytest.mark.parametrize("raw", ["", "   ", "\n\t", "x" * 201, "bad\x00title", "bell\x07", "esc\x1b[31m"])
def test_title_examples_refused(raw: str) -> None:
    with pytest.raises(ValidationError):
        draft(title=raw)


# ---------------------------------------------------------------------------------------- description


@given(st.text(alphabet=title_chars, max_size=60))
@settings(max_examples=200)
def test_description_may_hold_newlines_and_tabs_but_no_other_control_chars(text: str) -> None:
    expected_valid = all(ch in "\n\r\t" or not is_control(ch) for ch in text)
    try:
        got = draft(description=text)
    except ValidationError:
        assert not expected_valid, f"{text!r} was refused"
    else:
        assert expected_valid, f"{text!r} was accepted"
        assert got.description == text  # kept as written, not stripped


@given(st.integers(min_value=19_990, max_value=20_010))
@settings(max_examples=25)
def test_description_is_at_most_20000_chars(size: int) -> None:
    text = ("line\n" * 4001)[:size]
    if size <= 20_000:
        assert draft(description=text).description == text
    else:
        with pytest.raises(ValidationError):
            draft(description=text)


def test_description_defaults_to_empty() -> None:
    assert draft().description == ""


# --------------------------------------------------------------------------------------------- handle

handle_chars = st.sampled_from("abcxyz0189._-" + "AZ _/@\n\té")


@given(
    st.one_of(
        st.text(alphabet=handle_chars, max_size=40),
        st.from_regex(HANDLE_RE, fullmatch=True),
        st.from_regex(HANDLE_RE, fullmatch=True).map(lambda s: s + "\n"),
        st.text(max_size=8),
    )
)
@settings(max_examples=300)
def test_handle_accepted_iff_it_fullmatches_the_pattern(handle: str) -> None:
    expected_valid = HANDLE_RE.fullmatch(handle) is not None
    for build in (
        lambda: Person(handle=handle, name="Someone").handle,
        lambda: draft(assignee=handle).assignee,
    ):
        try:
            got = build()
        except ValidationError:
            assert not expected_valid, f"{handle!r} was refused"
        else:
            assert expected_valid, f"{handle!r} was accepted"
            assert got == handle


@pytest.mark.parametrize("handle", ["a", "alice", "a.b-c_d", "0", "x" * 32])
def test_handle_examples_accepted(handle: str) -> None:
    assert Person(handle=handle, name="A").handle == handle


@pytest.mark.parametrize("handle", ["", "Alice", "x" * 33, "al ice", "alice\n", " alice", "ålice"])
def test_handle_examples_refused(handle: str) -> None:
    with pytest.raises(ValidationError):
        Person(handle=handle, name="A")


# ------------------------------------------------------------------------------ enums and defaults


def test_work_types_are_exactly_the_four() -> None:
    assert {t.value for t in WorkType} == {"business", "operations", "engineering", "unplanned"}
    assert [t.letter for t in WorkType] == ["B", "O", "E", "U"]
    for value in ("business", "operations", "engineering", "unplanned"):
        assert draft(type=value).type is WorkType(value)


@pytest.mark.parametrize("value", ["Business", "incident", "", None])
def test_unknown_work_type_refused(value: object) -> None:
    with pytest.raises(ValidationError):
        draft(type=value)


def test_work_type_is_required() -> None:
    with pytest.raises(ValidationError):
        CardDraft(title="no type")


def test_defaults_priority_medium_kind_task() -> None:
    d = draft()
    assert d.priority is Priority.MEDIUM
    assert d.kind is Kind.TASK
    assert d.assignee is None
    assert d.security is False
    assert d.labels == ()
    assert d.column is None
    assert card().priority is Priority.MEDIUM
    assert card().kind is Kind.TASK


def test_priority_rank_orders_most_urgent_first() -> None:
    assert sorted(Priority, key=lambda p: p.rank) == [
        Priority.CRITICAL,
        Priority.HIGH,
        Priority.MEDIUM,
        Priority.LOW,
    ]


def test_unknown_fields_refused() -> None:
    with pytest.raises(ValidationError):
        draft(colour="red")


# ----------------------------------------------------------------------------------------- datetimes


def test_naive_datetimes_refused() -> None:
    naive = datetime(2026, 3, 2, 9, 0)
    for field in ("created_at", "updated_at", "started_at", "done_at"):
        with pytest.raises(ValidationError):
            card(**{field: naive})
    with pytest.raises(ValidationError):
        Event(id=1, at=naive, actor="a", action="card.add", entity="card", entity_id="1")


offsets = st.timedeltas(
    min_value=timedelta(hours=-23, minutes=-59), max_value=timedelta(hours=23, minutes=59)
)


@given(
    st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1)),
    offsets.map(timezone),
)
def test_aware_datetimes_are_converted_to_utc(local: datetime, tz: timezone) -> None:
    aware = local.replace(tzinfo=tz)
    c = card(created_at=aware, updated_at=aware, started_at=aware, done_at=aware)
    for value in (c.created_at, c.updated_at, c.started_at, c.done_at):
        assert value is not None
        assert value == aware
        assert value.utcoffset() == timedelta(0)
        assert value.tzinfo is UTC
    event = Event(id=1, at=aware, actor="a", action="card.add", entity="card", entity_id="1")
    assert event.at == aware and event.at.tzinfo is UTC


def test_iso_string_with_offset_is_converted_to_utc() -> None:
    c = card(created_at="2026-03-02T11:30:00+02:00")
    assert c.created_at == datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
    assert c.created_at.tzinfo is UTC


# -------------------------------------------------------------------------------------------- labels


@given(st.lists(st.sampled_from(["ioc", "phish", "edr", "q3", "a"]), max_size=12))
def test_labels_deduplicated_keeping_first_order(labels: list[str]) -> None:
    expected = tuple(dict.fromkeys(labels))
    assert draft(labels=labels).labels == expected
    assert card(labels=labels).labels == expected


def test_labels_are_stripped_before_deduplication() -> None:
    assert draft(labels=["b", " a ", "b", "a"]).labels == ("b", "a")


@pytest.mark.parametrize("label", ["", "two words", "a,b"])
def test_bad_labels_refused(label: str) -> None:
    with pytest.raises(ValidationError):
        draft(labels=[label])


# ------------------------------------------------------------------------------------------ WIP rule

column_names = st.sampled_from(["In Progress", "Review", "To Do", "Triage ✓"])


@given(column_names, st.integers(min_value=1, max_value=50), st.integers(min_value=0, max_value=120))
def test_wip_rule_without_force(name: str, limit: int, count: int) -> None:
    column = Column(name=name, position=0, wip_limit=limit)
    if count < limit:
        assert check_wip(column, count) is None
        return
    with pytest.raises(WipLimitReached) as info:
        check_wip(column, count)
    state = "at" if count == limit else "over"
    assert str(info.value) == f"{name} is {state} its WIP limit ({count}/{limit})"
    assert (info.value.column, info.value.count, info.value.limit) == (name, count, limit)


def test_wip_message_example() -> None:
    column = Column(name="In Progress", position=2, wip_limit=4, stage=Stage.ACTIVE)
    with pytest.raises(WipLimitReached, match=re.escape("In Progress is at its WIP limit (4/4)")):
        check_wip(column, 4)
    with pytest.raises(WipLimitReached, match=re.escape("In Progress is over its WIP limit (6/4)")):
        check_wip(column, 6)


@given(
    column_names,
    st.integers(min_value=1, max_value=50),
    st.integers(min_value=0, max_value=120),
    st.one_of(st.none(), st.text(alphabet=" \t\n\r", max_size=4)),
)
def test_forced_entry_into_full_column_needs_a_reason(
    name: str, limit: int, count: int, reason: str | None
) -> None:
    column = Column(name=name, position=0, wip_limit=limit)
    if count < limit:
        assert check_wip(column, count, force=True, reason=reason) is None
        return
    with pytest.raises(InvalidInput) as info:
        check_wip(column, count, force=True, reason=reason)
    assert name in str(info.value)
    assert f"({count}/{limit})" in str(info.value)


@given(
    column_names,
    st.integers(min_value=1, max_value=50),
    st.integers(min_value=0, max_value=120),
    st.text(alphabet=" \t\n", max_size=2),
    st.text(min_size=1, max_size=30).filter(lambda s: s.strip() != ""),
)
def test_forced_entry_with_reason_records_an_override(
    name: str, limit: int, count: int, pad: str, reason: str
) -> None:
    column = Column(name=name, position=0, wip_limit=limit)
    result = check_wip(column, count, force=True, reason=pad + reason + pad)
    if count < limit:
        assert result is None
        return
    assert result == WipOverride(column=name, count=count, limit=limit, reason=(pad + reason + pad).strip())
    assert result.as_meta() == {
        "wip_override": {"column": name, "count": count, "limit": limit},
        "reason": (pad + reason + pad).strip(),
    }


@given(st.integers(min_value=0, max_value=10_000), st.booleans(), st.one_of(st.none(), st.text(max_size=5)))
def test_no_limit_always_admits(count: int, force: bool, reason: str | None) -> None:
    for stage in Stage:
        column = Column(name="Backlog", position=0, wip_limit=None, stage=stage)
        assert check_wip(column, count, force=force, reason=reason) is None


def test_wip_limit_must_be_at_least_one_and_count_not_negative() -> None:
    with pytest.raises(ValidationError):
        Column(name="Review", position=3, wip_limit=0)
    with pytest.raises(ValueError):
        check_wip(Column(name="Review", position=3, wip_limit=3), -1)


# --------------------------------------------------------------------------------------- flow stamps


@given(
    st.lists(
        st.tuples(st.sampled_from(list(Stage)), st.timedeltas(timedelta(seconds=1), timedelta(days=3))),
        max_size=25,
    )
)
def test_flow_stamps_follow_the_stage_sequence(steps: list[tuple[Stage, timedelta]]) -> None:
    started: datetime | None = None
    done: datetime | None = None
    now = T0
    first_work: datetime | None = None
    done_since: datetime | None = None
    for stage, gap in steps:
        now += gap
        started, done = flow_stamps(stage, started, done, now)
        # the model: work starts the first time a card reaches active/done work ...
        if first_work is None and stage is not Stage.QUEUE:
            first_work = now
        # ... and it is done from the moment it entered the current run of done columns
        done_since = (done_since or now) if stage is Stage.DONE else None
        assert started == first_work
        assert done == done_since
        if stage is not Stage.DONE:
            assert done is None


def test_flow_stamps_examples() -> None:
    t1, t2, t3, t4 = (T0 + timedelta(hours=h) for h in (1, 2, 3, 4))
    assert flow_stamps(Stage.QUEUE, None, None, t1) == (None, None)
    assert flow_stamps(Stage.ACTIVE, None, None, t1) == (t1, None)
    assert flow_stamps(Stage.ACTIVE, t1, None, t2) == (t1, None)
    assert flow_stamps(Stage.DONE, t1, None, t3) == (t1, t3)
    assert flow_stamps(Stage.DONE, None, None, t3) == (t3, t3)  # straight to done: started then too
    assert flow_stamps(Stage.DONE, t1, t3, t4) == (t1, t3)  # done to another done column keeps it
    assert flow_stamps(Stage.ACTIVE, t1, t3, t4) == (t1, None)  # reopened
    assert flow_stamps(Stage.QUEUE, t1, t3, t4) == (t1, None)  # back to the queue keeps started_at


# ------------------------------------------------------------------------------------------ snapshot

COLUMNS = (
    Column(name="Backlog", position=0, stage=Stage.QUEUE),
    Column(name="In Progress", position=1, wip_limit=4, stage=Stage.ACTIVE),
    Column(name="Done", position=2, stage=Stage.DONE),
)
PEOPLE = (Person(handle="alice", name="Alice"), Person(handle="bob", name="Bob"))


def snapshot(**overrides: Any) -> Snapshot:
    c1 = card(id=1, column="Backlog", position=0, assignee="alice")
    c2 = card(
        id=2,
        column="Done",
        position=0,
        created_at=T0,
        updated_at=T0 + timedelta(hours=5),
        started_at=T0 + timedelta(hours=1),
        done_at=T0 + timedelta(hours=5),
    )
    e1 = Event(
        id=1,
        at=T0,
        actor="alice",
        action="card.add",
        entity="card",
        entity_id="1",
        after=c1.model_dump(mode="json"),
    )
    e2 = Event(
        id=2,
        at=T0 + timedelta(hours=5),
        actor="bob",
        action="card.move",
        entity="card",
        entity_id="2",
        before=card(id=2, column="In Progress", started_at=T0 + timedelta(hours=1)).model_dump(mode="json"),
        after=c2.model_dump(mode="json"),
        meta={"from": "In Progress", "to": "Done", "reason": "closed_at noon"},
    )
    data: dict[str, Any] = {
        "exported_at": T0 + timedelta(days=1),
        "people": PEOPLE,
        "columns": COLUMNS,
        "cards": (c1, c2),
        "events": (e1, e2),
    }
    return Snapshot(**{**data, **overrides})


def test_valid_snapshot_accepted() -> None:
    s = snapshot()
    assert s.format == "socdesk-export" and s.format_version == 1
    assert [c.id for c in s.cards] == [1, 2]


def test_snapshot_refuses_repeated_handles() -> None:
    with pytest.raises(ValidationError, match="handle repeated: alice"):
        snapshot(people=(*PEOPLE, Person(handle="alice", name="Alice Again")))


def test_snapshot_refuses_repeated_column_names_ignoring_case() -> None:
    with pytest.raises(ValidationError, match="name repeated"):
        snapshot(columns=(*COLUMNS, Column(name="done", position=3)))


def test_snapshot_refuses_repeated_card_ids() -> None:
    cards = (card(id=1, position=0), card(id=1, position=1))
    with pytest.raises(ValidationError, match="id repeated: 1"):
        snapshot(cards=cards)


def test_snapshot_refuses_cards_in_unknown_columns() -> None:
    with pytest.raises(ValidationError, match="unknown column 'Limbo'"):
        snapshot(cards=(card(id=1, column="Limbo"),))


def test_snapshot_refuses_unknown_assignees() -> None:
    with pytest.raises(ValidationError, match="unknown assignee 'mallory'"):
        snapshot(cards=(card(id=1, assignee="mallory"),))


def test_snapshot_needs_a_column_and_the_right_format() -> None:
    with pytest.raises(ValidationError):
        snapshot(columns=(), cards=())
    with pytest.raises(ValidationError):
        snapshot(format="trello-export")


def _times(value: Any, key: str = "") -> list[tuple[str, datetime]]:
    """Every timestamp under a *_at / at key of a JSON-like value, parsed."""
    if isinstance(value, dict):
        return [item for k, v in value.items() for item in _times(v, k)]
    if isinstance(value, list):
        return [item for v in value for item in _times(v, key)]
    if isinstance(value, str) and (key == "at" or key.endswith(("_at", "_since"))):
        return [(key, datetime.fromisoformat(value))]
    return []


def _semantic(s: Snapshot) -> Any:
    """The snapshot as JSON with every timestamp string parsed, so "Z" and "+00:00" compare equal."""

    def walk(value: Any, key: str = "") -> Any:
        if isinstance(value, dict):
            return {k: walk(v, k) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v, key) for v in value]
        if isinstance(value, str) and (key == "at" or key.endswith(("_at", "_since"))):
            return datetime.fromisoformat(value)
        return value

    return walk(s.model_dump(mode="json"))


@given(st.timedeltas(min_value=timedelta(days=-3000), max_value=timedelta(days=3000)))
def test_shifted_moves_every_timestamp_and_round_trips(delta: timedelta) -> None:
    s = snapshot()
    moved = shifted(s, delta)
    assert moved.exported_at == s.exported_at + delta
    for old, new in zip(s.cards, moved.cards, strict=True):
        stamps = {"created_at", "updated_at", "column_since", "started_at", "done_at"}
        for field in sorted(stamps):
            before, after = getattr(old, field), getattr(new, field)
            assert after == (None if before is None else before + delta)
        assert new.model_dump(exclude=stamps) == old.model_dump(exclude=stamps)
    for old_e, new_e in zip(s.events, moved.events, strict=True):
        assert new_e.at == old_e.at + delta
        for part in ("before", "after"):
            old_times = _times(getattr(old_e, part))
            new_times = _times(getattr(new_e, part))
            assert [k for k, _ in new_times] == [k for k, _ in old_times]
            assert [t for _, t in new_times] == [t + delta for _, t in old_times]
            assert len(old_times) >= (2 if getattr(old_e, part) else 0)
        assert new_e.meta == old_e.meta  # "reason" is free text, not a timestamp
    back = shifted(moved, -delta)
    assert back.people == s.people and back.columns == s.columns and back.cards == s.cards
    assert [e.at for e in back.events] == [e.at for e in s.events]
    assert _semantic(back) == _semantic(s)


def test_shifted_by_zero_keeps_every_value() -> None:
    s = snapshot()
    assert _semantic(shifted(s, timedelta(0))) == _semantic(s)


# ---------------------------------------------------------------------------------------- CardPatch

patch_values: dict[str, st.SearchStrategy[Any]] = {
    "title": st.sampled_from(["New title", "Escalate", "x"]),
    "description": st.sampled_from(["", "details\nmore"]),
    "type": st.sampled_from(list(WorkType)),
    "priority": st.sampled_from(list(Priority)),
    "kind": st.sampled_from(list(Kind)),
    "assignee": st.sampled_from([None, "alice", "bob"]),
    "security": st.booleans(),
    "labels": st.sampled_from([(), ("ioc",), ("ioc", "edr")]),
}


@given(st.fixed_dictionaries({}, optional=patch_values))
def test_patch_changes_are_exactly_the_fields_set(fields: dict[str, Any]) -> None:
    assert CardPatch(**fields).changes() == fields


@given(st.sets(st.sampled_from(sorted(set(patch_values) - {"assignee"}))))
def test_patch_fields_set_to_none_are_not_changes_except_assignee(names: set[str]) -> None:
    fields = dict.fromkeys(names)
    assert CardPatch(**fields).changes() == {}
    assert CardPatch(**fields, assignee=None).changes() == {"assignee": None}


def test_patch_examples() -> None:
    assert CardPatch().changes() == {}
    assert CardPatch(assignee=None).changes() == {"assignee": None}
    assert CardPatch(title="  Renamed  ").changes() == {"title": "Renamed"}
    assert CardPatch(security=False).changes() == {"security": False}
    assert CardPatch(labels=()).changes() == {"labels": ()}
    with pytest.raises(ValidationError):
        CardPatch(title="   ")
    with pytest.raises(ValidationError):
        CardPatch(assignee="Not A Handle")
