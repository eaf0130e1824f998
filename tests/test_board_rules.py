"""The board's pure rules: the filter language, age in column, WIP state and the bottleneck."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from socdesk.domain import DEFAULT_COLUMNS, Card, Column, InvalidInput, Kind, Priority, Stage, WorkType
from socdesk.domain.board import (
    FILTER_HELP,
    CardFilter,
    WipState,
    _pick,
    age_in_column,
    bottleneck,
    format_age,
    parse_filter,
    wip_state,
)

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
HANDLES = ["alice", "bob", "c.d", "eve-2"]
LABELS = ["Phish", "IOC", "edr", "q3", "Straße"]
WORDS = ["Tune", "EDR", "rule", "phishing", "report", "Ärger", "straße", "ioc", "q3"]


def card(**fields: Any) -> Card:
    base: dict[str, Any] = {
        "id": 1,
        "title": "Tune EDR rule",
        "type": WorkType.ENGINEERING,
        "column": "Backlog",
        "position": 0,
        "created_at": T0,
        "updated_at": T0,
        "column_since": T0,
    }
    return Card(**{**base, **fields})


def titles_of(cards: list[Card], f: CardFilter) -> list[str]:
    return [c.title for c in cards if f.matches(c)]


# ------------------------------------------------------------------------------ filter: examples


def test_empty_filter_is_inactive_and_matches_every_card() -> None:
    cards = [
        card(id=1, title="a"),
        card(id=2, title="b", type=WorkType.UNPLANNED, priority=Priority.CRITICAL, security=True),
        card(id=3, title="c", assignee="bob", kind=Kind.DETECTION, labels=("ioc",)),
    ]
    for text in ("", "   ", "\t \n"):
        f = parse_filter(text)
        assert f.active is False
        assert f == CardFilter()
        assert titles_of(cards, f) == ["a", "b", "c"]
    assert CardFilter().active is False


def test_filter_keeps_its_text_but_text_does_not_affect_equality() -> None:
    f = parse_filter("type:u  @bob")
    assert f.text == "type:u  @bob"
    assert f == CardFilter(types=frozenset({WorkType.UNPLANNED}), assignees=frozenset({"bob"}))


def test_words_are_found_in_title_description_labels_and_card_id() -> None:
    cards = [
        card(id=7, title="Tune EDR rule"),
        card(id=8, title="Other", description="Reported by the CFO's Assistant"),
        card(id=9, title="Third", labels=("Phishing", "q3")),
        card(id=42, title="Fourth"),
    ]
    assert titles_of(cards, parse_filter("edr")) == ["Tune EDR rule"]
    assert titles_of(cards, parse_filter("ASSISTANT")) == ["Other"]
    assert titles_of(cards, parse_filter("phish")) == ["Third"]
    assert titles_of(cards, parse_filter("#42")) == ["Fourth"]
    assert titles_of(cards, parse_filter("#9")) == ["Third"]
    assert titles_of(cards, parse_filter("nothing-like-this")) == []
    # every word must be found, each anywhere
    assert titles_of(cards, parse_filter("tune rule")) == ["Tune EDR rule"]
    assert titles_of(cards, parse_filter("tune q3")) == []
    # the assignee is not free text: @handle is how to find by person
    assert titles_of([card(title="x", assignee="alice")], parse_filter("alice")) == []


def test_words_match_ignoring_case_including_full_case_folding() -> None:
    c = card(title="Straße sperren", description="ÄRGER mit dem Proxy")
    assert parse_filter("STRASSE").matches(c)
    assert parse_filter("straße ärger").matches(c)
    assert parse_filter("proxy").matches(c)


@pytest.mark.parametrize(
    ("member", "enum", "key"),
    [(m, WorkType, "type") for m in WorkType]
    + [(m, Priority, "prio") for m in Priority]
    + [(m, Priority, "priority") for m in Priority]
    + [(m, Kind, "kind") for m in Kind],
)
def test_every_prefix_of_a_value_picks_it_in_any_case(member: StrEnum, enum: type[StrEnum], key: str) -> None:
    field = {"type": "types", "prio": "priorities", "priority": "priorities", "kind": "kinds"}[key]
    for length in range(1, len(member.value) + 1):
        prefix = member.value[:length]
        for text in (f"{key}:{prefix}", f"{key.upper()}:{prefix.upper()}", f"{key.title()}:{prefix.title()}"):
            f = parse_filter(text)
            assert getattr(f, field) == frozenset({member}), text
            assert f.active


class _Sev(StrEnum):
    LOW = "low"
    LOWEST = "lowest"
    LATE = "late"


def test_pick_prefers_an_exact_value_and_refuses_an_ambiguous_prefix() -> None:
    assert _pick(_Sev, "low", "sev") is _Sev.LOW  # exact, though also a prefix of "lowest"
    assert _pick(_Sev, "LOWE", "sev") is _Sev.LOWEST
    assert _pick(_Sev, "la", "sev") is _Sev.LATE
    for ambiguous in ("l", "lo"):
        with pytest.raises(InvalidInput) as info:
            _pick(_Sev, ambiguous, "sev")
        assert str(info.value) == f"sev:{ambiguous} matches no single value (choose from low, lowest, late)"


@pytest.mark.parametrize(
    ("text", "choices"),
    [
        ("type:", list(WorkType)),  # an empty value is a prefix of everything: ambiguous
        ("type:x", list(WorkType)),
        ("type:unplannedd", list(WorkType)),
        ("prio:urgent", list(Priority)),
        ("priority:", list(Priority)),
        ("kind:alert", list(Kind)),
        ("kind:", list(Kind)),
    ],
)
def test_bad_values_raise_naming_the_valid_choices(text: str, choices: list[StrEnum]) -> None:
    with pytest.raises(InvalidInput) as info:
        parse_filter(f"tune {text} @bob")
    message = str(info.value)
    assert message.startswith(f"{text} matches no single value")
    assert f"(choose from {', '.join(c.value for c in choices)})" in message


@pytest.mark.parametrize("text", ["is:open", "is:", "IS:secure", "is:securityy"])
def test_is_accepts_only_security(text: str) -> None:
    with pytest.raises(InvalidInput, match=r"is:security is"):
        parse_filter(text)


@pytest.mark.parametrize("text", ["is:security", "is:sec", "IS:Security", "Is:SEC"])
def test_is_security_keeps_only_security_cards(text: str) -> None:
    cards = [card(id=1, title="plain"), card(id=2, title="secret", security=True)]
    f = parse_filter(text)
    assert f.security is True and f.active
    assert titles_of(cards, f) == ["secret"]


def test_at_handle_matches_the_assignee_ignoring_case() -> None:
    cards = [
        card(id=1, title="a", assignee="alice"),
        card(id=2, title="b", assignee="bob"),
        card(id=3, title="c"),
    ]
    assert titles_of(cards, parse_filter("@Alice")) == ["a"]
    assert parse_filter("@BOB").assignees == frozenset({"bob"})
    # a lone "@" names nobody: it is a word
    assert parse_filter("@") == CardFilter(words=("@",))


def test_label_matches_a_whole_label_ignoring_case() -> None:
    cards = [
        card(id=1, title="a", labels=("Phish", "ioc")),
        card(id=2, title="b", labels=("phishing",)),
        card(id=3, title="c"),
    ]
    assert titles_of(cards, parse_filter("label:PHISH")) == ["a"]
    assert titles_of(cards, parse_filter("Label:ioc")) == ["a"]
    assert titles_of(cards, parse_filter("label:phishing")) == ["b"]
    assert titles_of(cards, parse_filter("label:phi")) == []


def test_repeating_a_key_widens_it() -> None:
    cards = [
        card(id=1, title="b", type=WorkType.BUSINESS, assignee="alice", priority=Priority.LOW),
        card(id=2, title="o", type=WorkType.OPERATIONS, assignee="bob", priority=Priority.HIGH),
        card(id=3, title="e", type=WorkType.ENGINEERING, priority=Priority.CRITICAL, labels=("x",)),
        card(id=4, title="u", type=WorkType.UNPLANNED, kind=Kind.DETECTION, labels=("y",)),
    ]
    assert titles_of(cards, parse_filter("type:b type:o")) == ["b", "o"]
    assert titles_of(cards, parse_filter("type:b type:business")) == ["b"]
    assert titles_of(cards, parse_filter("@alice @bob")) == ["b", "o"]
    assert titles_of(cards, parse_filter("prio:low priority:crit")) == ["b", "e"]
    assert titles_of(cards, parse_filter("kind:task kind:detection")) == ["b", "o", "e", "u"]
    assert titles_of(cards, parse_filter("label:x label:y")) == ["e", "u"]


def test_different_keys_must_all_match() -> None:
    cards = [
        card(id=1, title="both", type=WorkType.UNPLANNED, priority=Priority.CRITICAL),
        card(id=2, title="type only", type=WorkType.UNPLANNED, priority=Priority.LOW),
        card(id=3, title="prio only", type=WorkType.BUSINESS, priority=Priority.CRITICAL),
    ]
    assert titles_of(cards, parse_filter("type:u prio:crit")) == ["both"]
    assert titles_of(cards, parse_filter("type:u prio:crit only")) == []
    assert titles_of(cards, parse_filter("type:u only")) == ["type only"]
    assert titles_of(cards, parse_filter("type:u type:b prio:crit")) == ["both", "prio only"]


@pytest.mark.parametrize("text", ["label:", "foo:bar", "status:open", ":x"])
def test_unknown_keys_and_empty_labels_are_plain_words(text: str) -> None:
    f = parse_filter(text)
    assert f == CardFilter(words=(text.casefold(),))
    assert f.matches(card(title=f"see {text} here"))
    assert not f.matches(card(title="see here"))


def test_filter_help_names_every_key() -> None:
    for key in ("type:", "@", "prio:", "kind:", "label:", "is:security"):
        assert key in FILTER_HELP


# ---------------------------------------------------------------------------- filter: properties


@st.composite
def cards(draw: st.DrawFn) -> Card:
    return card(
        id=draw(st.integers(1, 250)),
        title=" ".join(draw(st.lists(st.sampled_from(WORDS), min_size=1, max_size=4))),
        description=" ".join(draw(st.lists(st.sampled_from(WORDS), max_size=3))),
        type=draw(st.sampled_from(list(WorkType))),
        priority=draw(st.sampled_from(list(Priority))),
        kind=draw(st.sampled_from(list(Kind))),
        assignee=draw(st.sampled_from([None, *HANDLES])),
        security=draw(st.booleans()),
        labels=tuple(draw(st.lists(st.sampled_from(LABELS), max_size=3, unique=True))),
    )


cases = st.sampled_from([str.lower, str.upper, str.title, lambda s: s])
word_chars = st.sampled_from("abcdeirstuqß3#Ä")
free_words = st.one_of(
    st.sampled_from([*WORDS, *LABELS, "#1", "#12", "#2", "zzz"]),
    st.text(word_chars, min_size=1, max_size=3),
)


@st.composite
def filter_specs(draw: st.DrawFn) -> tuple[dict[str, Any], str]:
    """A filter as plain sets of what is wanted, and one way of writing it in the filter language."""
    spec: dict[str, Any] = {
        "types": draw(st.sets(st.sampled_from(list(WorkType)), max_size=2)),
        "priorities": draw(st.sets(st.sampled_from(list(Priority)), max_size=2)),
        "kinds": draw(st.sets(st.sampled_from(list(Kind)), max_size=2)),
        "assignees": draw(st.sets(st.sampled_from(HANDLES), max_size=2)),
        "labels": draw(st.sets(st.sampled_from(LABELS), max_size=2)),
        "security": draw(st.booleans()),
        "words": draw(st.lists(free_words, max_size=3)),
    }

    def prefix(value: str) -> str:
        return draw(cases)(value[: draw(st.integers(1, len(value)))])

    terms: list[str] = []
    terms += [f"{draw(cases)('type')}:{prefix(t.value)}" for t in spec["types"]]
    terms += [
        f"{draw(cases)(draw(st.sampled_from(['prio', 'priority'])))}:{prefix(p.value)}"
        for p in spec["priorities"]
    ]
    terms += [f"{draw(cases)('kind')}:{prefix(k.value)}" for k in spec["kinds"]]
    terms += [f"@{draw(cases)(h)}" for h in spec["assignees"]]
    terms += [f"{draw(cases)('label')}:{draw(cases)(label)}" for label in spec["labels"]]
    if spec["security"]:
        terms.append(f"is:{draw(cases)(draw(st.sampled_from(['security', 'sec'])))}")
    terms += [draw(cases)(w) for w in spec["words"]]
    terms = draw(st.permutations(terms))
    gaps = [draw(st.sampled_from([" ", "  ", "\t", " \n "])) for _ in terms]
    text = "".join(gap + term for gap, term in zip(gaps, terms, strict=True))
    return spec, text


def reference_match(spec: dict[str, Any], c: Card) -> bool:
    """The filter's meaning written out plainly, one rule per key."""
    if spec["types"] and c.type not in spec["types"]:
        return False
    if spec["priorities"] and c.priority not in spec["priorities"]:
        return False
    if spec["kinds"] and c.kind not in spec["kinds"]:
        return False
    if spec["assignees"] and c.assignee not in spec["assignees"]:
        return False
    wanted_labels = {label.casefold() for label in spec["labels"]}
    if wanted_labels and not any(label.casefold() in wanted_labels for label in c.labels):
        return False
    if spec["security"] and not c.security:
        return False
    fields = [c.title, c.description, *c.labels, f"#{c.id}"]
    return all(any(w.casefold() in f.casefold() for f in fields) for w in spec["words"])


@given(filter_specs(), st.lists(cards(), max_size=8))
@settings(max_examples=400)
def test_matches_agrees_with_the_plain_meaning_of_the_filter(
    written: tuple[dict[str, Any], str], board: list[Card]
) -> None:
    spec, text = written
    f = parse_filter(text)
    assert f.text == text
    assert f.active == any(bool(v) for v in spec.values())
    for c in board:
        assert f.matches(c) == reference_match(spec, c), (text, c)


@given(
    cards(),
    st.sets(st.sampled_from(["type", "prio", "priority", "kind", "assignee", "label", "security"])),
    cases,
)
def test_a_filter_built_from_the_cards_own_fields_always_matches_it(
    c: Card, keys: set[str], case: Any
) -> None:
    terms: list[str] = []
    if "type" in keys:
        terms.append(f"type:{case(c.type.value[:2])}")
    if "prio" in keys:
        terms.append(f"prio:{case(c.priority.value)}")
    if "priority" in keys:
        terms.append(f"priority:{case(c.priority.value[:1])}")
    if "kind" in keys:
        terms.append(f"kind:{case(c.kind.value)}")
    if "assignee" in keys and c.assignee:
        terms.append(f"@{case(c.assignee)}")
    if "label" in keys and c.labels:
        terms.append(f"label:{case(c.labels[-1])}")
    if "security" in keys and c.security:
        terms.append("is:security")
    terms.append(case(c.title.split()[0]))
    terms.append(f"#{c.id}")
    assert parse_filter(" ".join(terms)).matches(c)


@given(cards(), st.sampled_from(list(WorkType)), st.sampled_from(list(Priority)), st.sampled_from(HANDLES))
def test_a_filter_naming_another_value_never_matches(c: Card, t: WorkType, p: Priority, handle: str) -> None:
    assert parse_filter(f"type:{t.value}").matches(c) == (c.type is t)
    assert parse_filter(f"prio:{p.value}").matches(c) == (c.priority is p)
    assert parse_filter(f"@{handle}").matches(c) == (c.assignee == handle)


@given(st.text(max_size=40))
@settings(max_examples=300)
def test_parse_filter_either_parses_or_raises_invalid_input(text: str) -> None:
    try:
        f = parse_filter(text)
    except InvalidInput as error:
        assert "choose from" in str(error) or "is:security is" in str(error)
    else:
        assert f.text == text
        assert f.active == bool(text.split())


# --------------------------------------------------------------------------------- age in column

FORM = re.compile(r"now|([1-9][0-9]*)([mhdw])")
UNIT = {"m": timedelta(minutes=1), "h": timedelta(hours=1), "d": timedelta(days=1), "w": timedelta(weeks=1)}


def lower_bound(text: str) -> timedelta:
    """The least age a formatted age can stand for."""
    m = FORM.fullmatch(text)
    assert m is not None, text
    return timedelta(0) if text == "now" else int(m[1]) * UNIT[m[2]]


@pytest.mark.parametrize(
    ("age", "text"),
    [
        (timedelta(0), "now"),
        (timedelta(seconds=59, microseconds=999_999), "now"),
        (timedelta(minutes=-5), "now"),
        (timedelta(days=-400), "now"),
        (timedelta(minutes=1), "1m"),
        (timedelta(minutes=12, seconds=59), "12m"),
        (timedelta(minutes=59, seconds=59), "59m"),
        (timedelta(minutes=60), "1h"),
        (timedelta(hours=5, minutes=59), "5h"),
        (timedelta(hours=23, minutes=59), "23h"),
        (timedelta(hours=24), "1d"),
        (timedelta(days=3, hours=23), "3d"),
        (timedelta(days=13, hours=23, minutes=59), "13d"),
        (timedelta(days=14), "2w"),
        (timedelta(days=20, hours=23), "2w"),
        (timedelta(days=21), "3w"),
        (timedelta(days=42), "6w"),
        (timedelta(days=3650), "521w"),
    ],
)
def test_format_age_examples(age: timedelta, text: str) -> None:
    assert format_age(age) == text


ages = st.timedeltas(min_value=timedelta(days=-30), max_value=timedelta(days=3650))


@given(ages)
@settings(max_examples=500)
def test_format_age_is_one_documented_form_and_never_overstates(age: timedelta) -> None:
    text = format_age(age)
    m = FORM.fullmatch(text)
    assert m is not None, text
    if text != "now":
        n, unit = int(m[1]), m[2]
        # each unit is used only in its own range: 1-59m, 1-23h, 1-13d, then weeks from 2w
        assert {"m": 1 <= n <= 59, "h": 1 <= n <= 23, "d": 1 <= n <= 13, "w": n >= 2}[unit], text
        assert lower_bound(text) <= age < lower_bound(text) + UNIT[unit]
    else:
        assert age < timedelta(minutes=1)


@given(ages, ages)
@settings(max_examples=500)
def test_format_age_is_monotone_in_age(a: timedelta, b: timedelta) -> None:
    younger, older = sorted((a, b))
    assert lower_bound(format_age(younger)) <= lower_bound(format_age(older))


@given(st.timedeltas(min_value=timedelta(days=-30), max_value=timedelta(days=400)))
def test_age_in_column_counts_from_column_since_and_is_never_negative(offset: timedelta) -> None:
    c = card(created_at=T0 - timedelta(days=90), updated_at=T0, column_since=T0)
    now = T0 + offset
    assert age_in_column(c, now) == max(offset, timedelta(0))


# ------------------------------------------------------------------------------------- WIP state


@given(st.integers(1, 50), st.integers(0, 120))
def test_wip_state_ok_below_the_limit_at_limit_on_it_over_above(limit: int, count: int) -> None:
    column = Column(name="Review", position=3, wip_limit=limit, stage=Stage.ACTIVE)
    expected = WipState.OK if count < limit else WipState.AT_LIMIT if count == limit else WipState.OVER
    assert wip_state(column, count) is expected


@given(st.integers(0, 10_000))
def test_wip_state_without_a_limit_is_always_ok(count: int) -> None:
    assert wip_state(Column(name="Backlog", position=0), count) is WipState.OK


def test_wip_state_boundaries() -> None:
    column = Column(name="Review", position=3, wip_limit=3, stage=Stage.ACTIVE)
    assert [wip_state(column, n) for n in range(6)] == [
        WipState.OK,
        WipState.OK,
        WipState.OK,
        WipState.AT_LIMIT,
        WipState.OVER,
        WipState.OVER,
    ]
    assert [str(s) for s in WipState] == ["ok", "at-limit", "over"]


# ------------------------------------------------------------------------------------- bottleneck

NOW = T0 + timedelta(days=30)


def waiting(column: str, age: timedelta, card_id: int = 1) -> Card:
    return card(id=card_id, title=f"card {card_id}", column=column, column_since=NOW - age)


def test_bottleneck_examples_on_the_default_board() -> None:
    cols = list(DEFAULT_COLUMNS)
    h = timedelta(hours=1)
    assert bottleneck(cols, [], NOW) is None
    # only the backlog and Done hold cards: nothing in the flow waits
    only_ends = [waiting("Backlog", 900 * h, 1), waiting("Done", 900 * h, 2)]
    assert bottleneck(cols, only_ends, NOW) is None
    board = [
        *only_ends,
        waiting("To Do", 1 * h, 3),
        waiting("To Do", 2 * h, 4),
        waiting("To Do", 90 * h, 5),  # median of To Do is 2h despite one old card
        waiting("In Progress", 5 * h, 6),
        waiting("In Progress", 7 * h, 7),  # median 6h
        waiting("Review", 3 * h, 8),
    ]
    assert bottleneck(cols, board, NOW) == "In Progress"
    # a tie goes to the column further along
    assert bottleneck(cols, [waiting("To Do", 4 * h, 1), waiting("Review", 4 * h, 2)], NOW) == "Review"
    # cards that just arrived (or whose clock is ahead) do not wait
    assert bottleneck(cols, [waiting("Review", timedelta(0), 1)], NOW) is None
    assert bottleneck(cols, [waiting("Review", -h, 1)], NOW) is None


def test_bottleneck_never_names_the_first_column_even_if_it_is_not_a_queue() -> None:
    cols = [
        Column(name="Triage", position=0, stage=Stage.ACTIVE),
        Column(name="Fix", position=1, stage=Stage.ACTIVE),
        Column(name="Closed", position=2, stage=Stage.DONE),
    ]
    h = timedelta(hours=1)
    assert bottleneck(cols, [waiting("Triage", 100 * h, 1)], NOW) is None
    assert bottleneck(cols, [waiting("Triage", 100 * h, 1), waiting("Fix", h, 2)], NOW) == "Fix"


@st.composite
def boards(draw: st.DrawFn) -> tuple[list[Column], list[Card]]:
    n = draw(st.integers(1, 6))
    stages = draw(st.lists(st.sampled_from(list(Stage)), min_size=n, max_size=n))
    cols = [Column(name=f"C{i}", position=i, stage=stage) for i, stage in enumerate(stages)]
    minutes = st.one_of(st.integers(-120, 0), st.sampled_from([30, 60, 90, 120]), st.integers(1, 50_000))
    placed = draw(st.lists(st.tuples(st.sampled_from([c.name for c in cols]), minutes), max_size=15))
    return cols, [waiting(col, timedelta(minutes=m), i + 1) for i, (col, m) in enumerate(placed)]


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


@given(boards())
@settings(max_examples=400)
def test_bottleneck_is_the_flow_column_with_the_highest_median_wait(
    board: tuple[list[Column], list[Card]],
) -> None:
    cols, placed = board
    found = bottleneck(cols, placed, NOW)
    flow = [c for c in cols[1:] if c.stage is not Stage.DONE]
    medians = {
        col.name: _median(
            [max((NOW - c.column_since).total_seconds(), 0.0) for c in placed if c.column == col.name]
        )
        for col in flow
        if any(c.column == col.name for c in placed)
    }
    if not medians or max(medians.values()) <= 0:
        assert found is None
        return
    assert found is not None
    assert found != cols[0].name
    assert found in {c.name for c in flow}
    best = max(medians.values())
    tied = [col.name for col in flow if medians.get(col.name) == best]
    assert found == tied[-1]  # the one furthest along


@given(boards())
def test_bottleneck_is_none_when_no_card_is_in_a_flow_column(board: tuple[list[Column], list[Card]]) -> None:
    cols, placed = board
    flow = {c.name for c in cols[1:] if c.stage is not Stage.DONE}
    outside = [c for c in placed if c.column not in flow]
    assume(outside or not placed)
    assert bottleneck(cols, outside, NOW) is None
