"""Malformed files: the JSON import, the iCalendar import, theme files and the agenda TOML.

Each file is derived from a real one (a real export of the sample team, the iCalendar fixtures moved to
this week, a shipped theme, the team's agenda) with one thing made wrong, so the outcome is known: a
clear one-line ``error:`` (exit 1) naming the problem, no traceback, and the database byte-for-byte as
it was (see ``bad_input_helpers``). Theme files are not the CLI's: ``load_themes`` must report each bad
file by name, skip it, and never raise.

Where a change may or may not be acceptable (a field given another value of the right type, a line of a
calendar dropped), the property is the weaker one that still matters: the file is taken whole and the
database stays usable, or it is refused cleanly with nothing written.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, get_args

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from bad_input_helpers import (
    INPUTS,
    Bench,
    Case,
    World,
    assert_refused,
    build_world,
    make_bench,
    run_cli,
)
from socdesk.domain.snapshot import Snapshot
from socdesk.ui.themes import (
    DEFAULT_THEME,
    SOCDESK_VARIABLES,
    ThemeCatalogue,
    load_themes,
    packaged_themes_dir,
)

FIXTURES = Path(__file__).parent / "fixtures" / "ics"
FIXTURE_NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # the moment tests/fixtures/ics were written around
GOOD_CALENDARS = ("pagerduty_london.ics", "opsgenie_utc.ics", "weekly_rrule.ics", "google_allday.ics")
SETTINGS = settings(
    deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
)


def budget(examples: int) -> settings:
    return settings(SETTINGS, max_examples=examples)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    return build_world(tmp_path_factory.mktemp("templates"))


@pytest.fixture
def bench(tmp_path: Path, own_user_dirs: Path, monkeypatch: pytest.MonkeyPatch, world: World) -> Bench:
    return make_bench(tmp_path, own_user_dirs, monkeypatch, world)


def usable(bench: Bench, *commands: tuple[str, ...]) -> None:
    """After a file was accepted: the database still answers every read, without a traceback."""
    for argv in commands:
        done = run_cli(argv)
        assert done.crash is None and done.code == 0, f"the database is no longer usable:\n{done.describe()}"


def refused_or_taken(bench: Bench, case: Case, reads: tuple[tuple[str, ...], ...]) -> bool:
    """Run ``case``: a clean refusal with nothing written, or success and a usable database."""
    before = bench.prepare(case)
    outcome = bench.run(case)
    assert outcome.crash is None, outcome.describe()
    if outcome.code == 0:
        usable(bench, *reads)
        return True
    assert_refused(outcome, 1)
    assert bench.snapshot() == before, f"a refusal changed something:\n{outcome.describe()}"
    return False


# ------------------------------------------------------------------------------------------ the JSON import

IMPORT = ("import", f"{INPUTS}/export.json")
AFTER_IMPORT = (
    ("card", "list", "--json"),
    ("export",),
    ("duty", "show"),
    ("now",),
    ("handshake", "status"),
    ("retro", "status"),
    ("report", "mix"),
)
FREE_FORM = {("events", "before"), ("events", "after"), ("events", "meta"), ("meeting_log", "data")}
Path_ = tuple[str | int, ...]


def item_model(section: str) -> type[BaseModel]:
    model = get_args(Snapshot.model_fields[section].annotation)[0]
    assert isinstance(model, type) and issubclass(model, BaseModel)
    return model


LIST_SECTIONS = [name for name, f in Snapshot.model_fields.items() if get_args(f.annotation)[1:] == (...,)]


def nodes(value: Any, path: Path_ = ()) -> Iterator[Path_]:
    """Every value in the export (not the root), except inside events' and log entries' free JSON."""
    if len(path) >= 3 and (path[0], path[2]) in FREE_FORM:
        return
    if path:
        yield path
    children = (
        value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    )
    for key, child in children:
        yield from nodes(child, (*path, key))


def get(data: Any, path: Path_) -> Any:
    for key in path:
        data = data[key]
    return data


def put(data: Any, path: Path_, value: Any) -> Any:
    copy = json.loads(json.dumps(data))
    get(copy, path[:-1])[path[-1]] = value
    return copy


def dotted(path: Path_) -> str:
    return ".".join(str(p) for p in path)


def dumps(data: Any) -> bytes:
    return json.dumps(data, indent=2, ensure_ascii=False).encode()


def import_case(data: bytes, *fragments: str) -> Case:
    return Case(IMPORT, 1, "empty", fragments, files=(("export.json", data),))


def bad_exports(raw: bytes) -> st.SearchStrategy[Case]:
    good = json.loads(raw)
    paths = list(nodes(good))
    listed = [s for s in LIST_SECTIONS if len(good[s]) >= 2 and "id" in good[s][0]]
    required = {
        s: [k for k, f in item_model(s).model_fields.items() if f.is_required()] for s in LIST_SECTIONS
    }
    holding = [s for s in LIST_SECTIONS if good[s] and required[s]]

    def wrong_type(path: Path_) -> Case:
        old = get(good, path)
        new: Any = "not a list" if isinstance(old, list) else 12345 if isinstance(old, dict) else {"bad": [1]}
        return import_case(dumps(put(good, path, new)), "invalid import file", dotted(path))

    def missing(section: str, index: int, key: str) -> Case:
        data = json.loads(raw)
        del data[section][index][key]
        return import_case(dumps(data), f"{section}.{index}.{key}", "Field required")

    def duplicate(section: str, pair: tuple[int, int]) -> Case:
        data = json.loads(raw)
        data[section][pair[1]]["id"] = data[section][pair[0]]["id"]
        return import_case(dumps(data), "repeated")

    def reference(section: str, key: str, value: Any, fragment: str) -> Case:
        data = json.loads(raw)
        item = next(i for i in data[section] if key in i)
        item[key] = value(item[key]) if callable(value) else value
        return import_case(dumps(data), fragment)

    references = [
        ("cards", "column", "Limbo", "unknown column 'Limbo'"),
        ("cards", "assignee", "nobody", "unknown assignee 'nobody'"),
        ("overrides", "person", "nobody", "unknown person 'nobody'"),
        ("overrides", "swap_id", 999_999, "swap partner 999999"),
        ("rotations", "members", lambda m: [*m, "nobody"], "unknown members nobody"),
        ("topics", "meeting_id", 999_999, "unknown meeting 999999"),
        ("topics", "card_id", 999_999, "card 999999 is neither on the board nor in the history"),
        ("meeting_log", "meeting_id", 999_999, "unknown meeting 999999"),
        ("retro_notes", "retro_id", 999_999, "unknown retro 999999"),
        ("retro_notes", "theme_id", 999_999, "unknown theme 999999"),
        ("retro_votes", "retro_id", 999_999, "unknown retro 999999"),
        ("retro_actions", "owner", "nobody", "unknown owner 'nobody'"),
        ("retro_actions", "card_id", 999_999, "card 999999 is neither on the board nor in the history"),
    ]
    values = [  # the right JSON type, a value the model refuses
        ("cards", "title", "", "title"),
        ("cards", "title", "x" * 201, "title"),
        ("cards", "type", "sales", "type"),
        ("cards", "created_at", "2026-01-01T00:00:00", "timezone"),
        ("cards", "created_at", "yesterday", "created_at"),
        ("columns", "wip_limit", 0, "wip_limit"),
        ("people", "handle", "Bad Handle", "handle"),
        ("rotations", "tz", "Mars/Olympus_Mons", "time zone"),
        ("rotations", "start_date", "9999-12-31", "out of range"),
        ("retros", "period_from", "0001-01-01", "out of range"),
        ("events", "id", 0, "events.0.id"),
        ("meetings", "started_at", "2026-13-01T00:00:00Z", "started_at"),
    ]
    return st.one_of(
        st.integers(0, len(raw) - 2).map(lambda n: import_case(raw[:n], "not valid JSON")),
        st.just(import_case(raw + b"\n{}", "not valid JSON")),
        st.just(import_case(b"\xef\xbb\xbf" + raw, "not valid JSON")),  # a BOM an editor added
        st.just(import_case(b"\xff\xfe" + raw, "cannot read")),
        st.sampled_from([[], [1, 2], "socdesk", 3, None, True]).map(
            lambda v: import_case(dumps(v), "invalid import file")
        ),
        st.sampled_from([("format", "trello-export"), ("format_version", 2), ("format_version", "2")]).map(
            lambda kv: import_case(dumps({**good, kv[0]: kv[1]}), kv[0])
        ),
        st.sampled_from(["exported_at", "columns"]).map(
            lambda k: import_case(dumps({key: v for key, v in good.items() if key != k}), k, "Field required")
        ),
        st.sampled_from(paths).map(wrong_type),
        st.sampled_from(holding).flatmap(
            lambda s: st.builds(
                missing, st.just(s), st.integers(0, len(good[s]) - 1), st.sampled_from(required[s])
            )
        ),
        st.sampled_from(listed).flatmap(
            lambda s: st.builds(
                duplicate,
                st.just(s),
                st.lists(st.integers(0, len(good[s]) - 1), min_size=2, max_size=2, unique=True).map(tuple),
            )
        ),
        st.sampled_from(references).map(lambda r: reference(*r)),
        st.sampled_from(values).map(lambda v: reference(*v)),
    )


@pytest.fixture(scope="module")
def export_strategy(world: World) -> st.SearchStrategy[Case]:
    return bad_exports(world.export_json)


def test_the_real_export_imports(bench: Bench, world: World) -> None:
    """The file every bad one is made from is good: the refusals below are about the one change."""
    case = Case(IMPORT, 0, "empty", files=(("export.json", world.export_json),))
    bench.prepare(case)
    done = bench.run(case)
    assert done.code == 0 and done.crash is None, done.describe()
    usable(bench, *AFTER_IMPORT)


def test_a_broken_export_is_refused_and_the_database_is_untouched(
    bench: Bench, export_strategy: st.SearchStrategy[Case]
) -> None:
    @budget(60)
    @given(case=export_strategy)
    def refused(case: Case) -> None:
        bench.check(case)

    refused()


def same_type_values(old: Any) -> st.SearchStrategy[Any]:
    if isinstance(old, bool):
        return st.booleans() | st.none()
    if isinstance(old, int):
        return st.integers(-(10**3), 10**3) | st.integers(2**63, 2**70) | st.none()
    if isinstance(old, str):
        odd = [
            "",
            " ",
            "0",
            "1970-01-01T00:00:00Z",
            "9999-12-31",
            "9999-12-31T23:59:59Z",
            "\x1b[2J",
            "x" * 300,
        ]
        return st.sampled_from(odd) | st.text(max_size=12) | st.none()
    return st.none()


def test_an_export_with_one_value_changed_imports_whole_or_not_at_all(bench: Bench, world: World) -> None:
    """Any scalar replaced by another of its JSON type (or null): refused cleanly, or imported whole
    into a database that every read still works on (a value the model let through must not poison it)."""
    good = json.loads(world.export_json)
    scalars = [p for p in nodes(good) if not isinstance(get(good, p), dict | list)]

    @budget(40)
    @given(data=st.data())
    def imported_whole_or_refused(data: st.DataObject) -> None:
        path = data.draw(st.sampled_from(scalars), label="path")
        value = data.draw(same_type_values(get(good, path)), label="value")
        changed = put(good, path, value)
        case = import_case(dumps(changed))
        if refused_or_taken(bench, case, AFTER_IMPORT):
            cards = json.loads(run_cli(["card", "list", "--json"]).out)
            assert len(cards) == len(changed["cards"])  # all of it, not part

    imported_whole_or_refused()


def _history(bench: Bench) -> dict[str, Any]:
    data = json.loads(run_cli(["export"]).out)
    data.pop("exported_at")
    data["events"] = [e for e in data["events"] if e["action"] != "database.import"]
    return data


def test_events_in_another_order_are_the_same_history(bench: Bench, world: World) -> None:
    """Events carry their ids, so their order in the file is not a malformation: a shuffled log imports
    as the same history (and a repeated id is refused, above)."""
    good = json.loads(world.export_json)
    case = Case(IMPORT, 0, "empty", files=(("export.json", world.export_json),))
    bench.prepare(case)
    assert bench.run(case).code == 0
    expected = _history(bench)

    @budget(3)
    @given(order=st.permutations(range(len(good["events"]))))
    def same_history(order: list[int]) -> None:
        shuffled = {**good, "events": [good["events"][i] for i in order]}
        case = Case(IMPORT, 0, "empty", files=(("export.json", dumps(shuffled)),))
        bench.prepare(case)
        assert bench.run(case).code == 0
        assert _history(bench) == expected

    same_history()


# ------------------------------------------------------------------------------------------ iCalendar

ICS = ("duty", "import-ics", f"{INPUTS}/shifts.ics", "--role=analyst")
AFTER_ICS = (("duty", "show"), ("now",), ("duty", "export-ics", "--role=analyst"), ("export",))
DATE_PROPERTIES = ("DTSTART", "DTEND", "RDATE", "EXDATE", "RECURRENCE-ID")
STAMP = re.compile(r"(?<![0-9])([0-9]{8})((?:T[0-9]{6}Z?)?)(?![0-9])")


def rebased(text: str, weeks: int) -> str:
    """The calendar with its events moved by whole weeks (so weekdays and wall-clock times stay)."""
    out: list[str] = []
    in_event = False

    def move(m: re.Match[str]) -> str:
        day = datetime.strptime(m[1], "%Y%m%d").date() + timedelta(weeks=weeks)
        return day.strftime("%Y%m%d") + m[2]

    for line in text.splitlines(keepends=True):
        in_event = line.startswith("BEGIN:VEVENT") or (in_event and not line.startswith("END:VEVENT"))
        name = re.split(r"[;:]", line, maxsplit=1)[0]
        if in_event and (name in DATE_PROPERTIES or "UNTIL=" in line):
            value_at = line.index(":") + 1
            line = line[:value_at] + STAMP.sub(move, line[value_at:])
        out.append(line)
    return "".join(out)


def events(text: str) -> list[tuple[int, int]]:
    """(first line, last line) of each VEVENT, as indexes into ``text.splitlines(keepends=True)``."""
    lines = text.splitlines(keepends=True)
    starts = [i for i, line in enumerate(lines) if line.startswith("BEGIN:VEVENT")]
    return [(s, next(i for i in range(s, len(lines)) if lines[i].startswith("END:VEVENT"))) for s in starts]


def lines_of(text: str) -> list[str]:
    return text.splitlines(keepends=True)


def ics_case(data: bytes | str, *fragments: str) -> Case:
    raw = data.encode() if isinstance(data, str) else data
    return Case(ICS, 1, "ics_team", (f"{INPUTS}/shifts.ics", *fragments), files=(("shifts.ics", raw),))


@pytest.fixture(scope="module")
def calendars(world: World) -> dict[str, str]:
    weeks = round((world.now - FIXTURE_NOW) / timedelta(weeks=1))
    return {name: rebased((FIXTURES / name).read_text(encoding="utf-8"), weeks) for name in GOOD_CALENDARS}


def _property(lines: list[str], start: int, end: int, name: str) -> int | None:
    return next((i for i in range(start, end) if re.split(r"[;:]", lines[i], maxsplit=1)[0] == name), None)


def bad_calendars(calendars: dict[str, str], now: datetime) -> st.SearchStrategy[Case]:
    def truncated(text: str, fraction: float) -> Case:
        end = text.rindex("END:VCALENDAR")
        return ics_case(text[: int(end * fraction)])

    def without_start(text: str, which: int) -> Case:
        lines = lines_of(text)
        start, end = events(text)[which % len(events(text))]
        del lines[_property(lines, start, end, "DTSTART") or 0]
        return ics_case("".join(lines), "has no start (DTSTART)")

    def backwards(text: str, which: int) -> Case:
        lines = lines_of(text)
        spans = [(s, e) for s, e in events(text) if _property(lines, s, e, "DTEND") is not None]
        start, end = spans[which % len(spans)]
        a, b = _property(lines, start, end, "DTSTART"), _property(lines, start, end, "DTEND")
        assert a is not None and b is not None
        va, vb = lines[a].split(":", 1)[1], lines[b].split(":", 1)[1]
        lines[a] = lines[a].split(":", 1)[0] + ":" + vb
        lines[b] = lines[b].split(":", 1)[0] + ":" + va
        return ics_case("".join(lines), "before it starts")

    def bad_zone(text: str, zone: str) -> Case:
        moved = re.sub(r"^(DTSTART|DTEND);TZID=[^:;]+", rf"\1;TZID={zone}", text, flags=re.MULTILINE)
        return ics_case(moved, zone, "not an IANA name")

    def stranger(text: str) -> Case:
        at = (now + timedelta(days=2)).strftime("%Y%m%dT090000Z")
        until = (now + timedelta(days=3)).strftime("%Y%m%dT090000Z")
        extra = (
            f"BEGIN:VEVENT\r\nUID:x@evil\r\nDTSTART:{at}\r\nDTEND:{until}\r\n"
            "SUMMARY:On-call: Mallory\r\nEND:VEVENT\r\n"
        )
        end = text.rindex("END:VCALENDAR")
        return ics_case(text[:end] + extra + text[end:], "nobody we know", "Mallory")

    def flooded(text: str, which: int, freq: str) -> Case:
        lines = lines_of(text)
        start, end = events(text)[which % len(events(text))]
        rule = _property(lines, start, end, "RRULE")
        flood = f"RRULE:FREQ={freq};COUNT=1000000\r\n"
        if rule is None:
            lines.insert(start + 1, flood)
        else:
            lines[rule] = flood
        return ics_case("".join(lines), f"RRULE FREQ={freq}")

    def crowded(text: str) -> Case:
        first = now.replace(minute=0, second=0, microsecond=0) + timedelta(days=1)
        many = "".join(
            f"BEGIN:VEVENT\r\nUID:{i}@crowd\r\nDTSTART:{first + timedelta(hours=i):%Y%m%dT%H%M%SZ}\r\n"
            f"DTEND:{first + timedelta(hours=i + 1):%Y%m%dT%H%M%SZ}\r\nSUMMARY:bob\r\nEND:VEVENT\r\n"
            for i in range(2001)
        )
        end = text.rindex("END:VCALENDAR")
        return ics_case(text[:end] + many + text[end:], "more than 2000 shifts")

    texts = st.sampled_from(sorted(calendars)).map(calendars.__getitem__)
    zoned = [t for t in calendars.values() if ";TZID=" in t]
    return st.one_of(
        st.builds(truncated, texts, st.floats(0, 0.999)),
        st.builds(without_start, texts, st.integers(0, 10)),
        st.builds(backwards, texts, st.integers(0, 10)),
        st.builds(
            bad_zone, st.sampled_from(zoned), st.sampled_from(["Mars/Olympus_Mons", "Europe/Lndon", "GMT+25"])
        ),
        texts.map(stranger),
        st.builds(flooded, texts, st.integers(0, 10), st.sampled_from(["MINUTELY", "SECONDLY"])),
        st.builds(flooded, st.just(calendars["google_allday.ics"]), st.integers(0, 10), st.just("HOURLY")),
        st.just(crowded(calendars["opsgenie_utc.ics"])),
        texts.map(lambda t: ics_case(t + t, "expected one calendar")),
        st.binary(max_size=300).map(lambda b: ics_case(b, "not an iCalendar file")),
        texts.map(
            lambda t: ics_case(
                t.replace("BEGIN:VEVENT", "BEGIN:VTODO").replace("END:VEVENT", "END:VTODO"), "no events"
            )
        ),
    )


def test_the_fixture_calendars_moved_to_this_week_import(bench: Bench, calendars: dict[str, str]) -> None:
    for name, text in calendars.items():
        case = Case(ICS, 0, "ics_team", files=(("shifts.ics", text.encode()),))
        bench.prepare(case)
        done = bench.run(case)
        assert done.code == 0 and done.crash is None, f"{name}:\n{done.describe()}"
        usable(bench, *AFTER_ICS)


def test_a_broken_calendar_is_refused_and_the_database_is_untouched(
    bench: Bench, calendars: dict[str, str], world: World
) -> None:
    @budget(50)
    @given(case=bad_calendars(calendars, world.now))
    def refused(case: Case) -> None:
        bench.check(case)

    refused()


def test_a_calendar_with_a_line_changed_imports_whole_or_not_at_all(
    bench: Bench, calendars: dict[str, str]
) -> None:
    @budget(30)
    @given(data=st.data())
    def whole_or_refused(data: st.DataObject) -> None:
        text = data.draw(st.sampled_from(sorted(calendars)).map(calendars.__getitem__), label="calendar")
        lines = lines_of(text)
        index = data.draw(st.integers(0, len(lines) - 1), label="line")
        how = data.draw(st.sampled_from(["drop", "twice", "garbage", "bytes"]), label="how")
        if how == "drop":
            del lines[index]
        elif how == "twice":
            lines.insert(index, lines[index])
        elif how == "garbage":
            lines[index] = data.draw(st.text(max_size=40), label="text") + "\r\n"
        raw = "".join(lines).encode()
        if how == "bytes":
            at = data.draw(st.integers(0, len(raw)), label="at")
            raw = raw[:at] + data.draw(st.binary(min_size=1, max_size=8), label="bytes") + raw[at:]
        case = Case(ICS, 1, "ics_team", files=(("shifts.ics", raw),))
        refused_or_taken(bench, case, AFTER_ICS)

    whole_or_refused()


# ------------------------------------------------------------------------------------------ theme files


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)  # a JSON string is a TOML basic string
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{json.dumps(k)} = {toml_value(v)}" for k, v in value.items()) + " }"
    raise TypeError(value)


def toml_document(data: dict[str, Any], tables: str = "") -> str:
    """``data`` as TOML; the list under ``tables`` (if a list of tables) as ``[[tables]]`` blocks."""
    blocks = data.get(tables) if tables else None
    lines = [
        f"{json.dumps(k)} = {toml_value(v)}"
        for k, v in data.items()
        if not (k == tables and isinstance(blocks, list))
    ]
    if isinstance(blocks, list):
        for block in blocks:
            lines.append(f"\n[[{tables}]]")
            lines += [f"{json.dumps(k)} = {toml_value(v)}" for k, v in block.items()]
    return "\n".join(lines) + "\n"


DARK = tomllib.loads((packaged_themes_dir() / f"{DEFAULT_THEME}.toml").read_text(encoding="utf-8"))
TOML_SCALARS = st.one_of(
    st.booleans(),
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12),
)
TOML_VALUES = st.recursive(TOML_SCALARS, lambda inner: st.lists(inner, max_size=3), max_leaves=5)


def theme(name: str, **changes: Any) -> dict[str, Any]:
    return {**DARK, "name": name, **changes}


@st.composite
def theme_file(draw: st.DrawFn, n: int) -> tuple[bytes | None, bool | None]:
    """A theme file's bytes (None: a directory named like one) and whether it is good (None: either)."""
    name = f"mine-{n}"
    kind = draw(
        st.sampled_from(
            [
                "good",
                "bytes",
                "text",
                "key",
                "variable",
                "colour",
                "types",
                "name",
                "default",
                "directory",
                "any",
            ]
        )
    )
    if kind == "good":
        primary = draw(st.sampled_from(["#112233", "rgb(10, 20, 30)", "hsl(120, 50%, 50%)", "red"]))
        return toml_document(theme(name, primary=primary)).encode(), True
    if kind == "bytes":
        return draw(st.binary(max_size=200)), False
    if kind == "text":
        return draw(st.text(max_size=200)).encode(), False  # whatever it is, it has no name and primary
    if kind == "key":
        return toml_document(theme(name, sparkle=draw(TOML_VALUES))).encode(), False
    if kind == "variable":
        variables = {**DARK["variables"], draw(st.sampled_from(["glitter", "type-sales", "wip"])): "#ffffff"}
        return toml_document(theme(name, variables=variables)).encode(), False
    if kind == "colour":
        field = draw(st.sampled_from(["primary", "background", "error"]))
        bad = draw(st.sampled_from(["#12345", "rgb(1, 2)", "not-a-colour", "#gggggg", ""]))
        return toml_document(theme(name, **{field: bad})).encode(), False
    if kind == "types":
        variables = {**DARK["variables"], "type-operations": DARK["variables"]["type-business"]}
        return toml_document(theme(name, variables=variables)).encode(), False
    if kind == "name":
        bad = draw(st.sampled_from(["Has Spaces", "", "x" * 41, "UPPER", "-dash", "dots.dots"]))
        return toml_document(theme(bad)).encode(), False
    if kind == "default":
        variables = {k: v for k, v in DARK["variables"].items() if k not in SOCDESK_VARIABLES[:2]}
        return toml_document(theme(DEFAULT_THEME, variables=variables)).encode(), False
    if kind == "directory":
        return None, False
    changed = theme(name)
    changed[draw(st.sampled_from(sorted(DARK)))] = draw(TOML_VALUES)  # "name" among them
    return toml_document(changed).encode(), None


def test_theme_files_never_raise_and_each_bad_one_is_reported_by_name(tmp_path: Path) -> None:
    @budget(60)
    @given(
        files=st.lists(st.integers(0, 10**6), min_size=1, max_size=6, unique=True).flatmap(
            lambda ns: st.tuples(*[theme_file(n).map(lambda f, n=n: (n, f)) for n in ns])
        )
    )
    def reported_or_loaded(files: tuple[tuple[int, tuple[bytes | None, bool | None]], ...]) -> None:
        directory = tmp_path / "themes"
        if directory.exists():
            for path in sorted(directory.rglob("*"), reverse=True):
                path.rmdir() if path.is_dir() else path.unlink()
            directory.rmdir()
        directory.mkdir()
        (directory / "notes.txt").write_text("not a theme: ignored\n", encoding="utf-8")
        expected: dict[Path, bool | None] = {}
        for n, (data, good) in files:
            path = directory / f"theme-{n}.toml"
            if data is None:
                path.mkdir()
            else:
                path.write_bytes(data)
            expected[path] = good

        themes, problems = load_themes(directory)  # never raises, whatever is in the directory

        assert len(themes) + len(problems) == len(expected)
        for problem in problems:
            assert "\n" not in problem, problem
        reported = {
            p for p in expected if any(m.startswith(f"{p}: ") and len(m) > len(f"{p}: ") for m in problems)
        }
        assert len(reported) == len(problems), problems  # one message per file, naming it
        for path, good in expected.items():
            if good is True:
                assert path not in reported, problems
            elif good is False:
                assert path in reported, f"{path.name} was not reported: {problems}"
        loaded = {t.name for t in themes}
        assert {f"mine-{n}" for n, (_, good) in files if good} <= loaded
        catalogue = ThemeCatalogue.load([packaged_themes_dir(), directory])  # the console still opens
        assert DEFAULT_THEME in catalogue.themes and catalogue.problems == problems

    reported_or_loaded()


# ------------------------------------------------------------------------------------------ agenda TOML

AGENDA_SET = ("handshake", "agenda", "set", f"{INPUTS}/agenda.toml")
AFTER_AGENDA = (("handshake", "agenda", "show", "--toml"), ("handshake", "status"), ("report", "mix"))


def agenda_case(data: dict[str, Any] | bytes, *fragments: str) -> Case:
    raw = data if isinstance(data, bytes) else toml_document(data, "section").encode()
    return Case(AGENDA_SET, 1, "sample", (f"{INPUTS}/agenda.toml", *fragments), files=(("agenda.toml", raw),))


def _is_agenda_toml(raw: bytes) -> bool:
    try:
        return isinstance(tomllib.loads(raw.decode("utf-8")), dict)
    except (UnicodeDecodeError, tomllib.TOMLDecodeError):
        return False


def bad_agendas(agenda: dict[str, Any]) -> st.SearchStrategy[Case]:
    sections: list[dict[str, Any]] = agenda["section"]

    def section(index: int, **changes: Any) -> dict[str, Any]:
        changed = [dict(s) for s in sections]
        changed[index % len(changed)].update(changes)
        return {**agenda, "section": changed}

    spare = 60 - sum(s["minutes"] for s in sections)
    room = 60 - sections[0]["minutes"] - spare  # how far the first section can grow within 60 minutes

    def minutes_over(extra: int) -> dict[str, Any]:
        return section(0, minutes=sections[0]["minutes"] + spare + extra)

    n = st.integers(0, 7)
    return st.one_of(
        st.builds(
            lambda i, v: agenda_case(section(i, minutes=v), "minutes"),
            n,
            st.sampled_from([True, "five", "5", 5.5, 5.0, [5], {"a": 1}]),
        ),
        st.integers(1, room).map(lambda extra: agenda_case(minutes_over(extra), "at most an hour")),
        st.builds(lambda i, v: agenda_case(section(i, minutes=v), "minutes"), n, st.integers(-(10**6), 0)),
        st.sampled_from(["colour", "length", "owner"]).map(
            lambda k: agenda_case({**agenda, k: 1}, k, "Extra inputs are not permitted")
        ),
        st.builds(lambda i: agenda_case(section(i, speaker="alice"), "speaker", "Extra inputs"), n),
        st.sampled_from(["someday 10:00", "tue 25:00", "10:00", "tue", "tuesday at ten"]).map(
            lambda v: agenda_case({**agenda, "schedule": v}, "schedule")
        ),
        st.sampled_from(["Mars/Olympus_Mons", "Europe/Lndon", "GMT+25", ""]).map(
            lambda v: agenda_case({**agenda, "tz": v}, "time zone")
        ),
        st.sampled_from(
            [
                ("topic_cap", 0),
                ("topic_cap", 13),
                ("topic_minutes", 0),
                ("topic_minutes", 11),
                ("ageing_days", -1),
                ("ageing_days", 366),
                ("grace_minutes", -1),
                ("grace_minutes", 31),
                ("topic_cap", "6"),
                ("grace_minutes", True),
            ]
        ).map(lambda kv: agenda_case({**agenda, kv[0]: kv[1]}, kv[0])),
        st.just(
            agenda_case({**{k: v for k, v in agenda.items() if k != "section"}, "sections": []}, "sections")
        ),
        st.just(
            agenda_case(
                {**agenda, "section": [{"title": f"S{i}", "minutes": 5} for i in range(9)]}, "sections"
            )
        ),
        st.just(
            agenda_case(
                {
                    **agenda,
                    "section": [
                        {"title": "A", "minutes": 5, "kind": "topics"},
                        {"title": "B", "minutes": 5, "kind": "topics"},
                    ],
                },
                "only one section",
            )
        ),
        st.builds(
            lambda i, v: agenda_case(section(i, title=v), "title"),
            n,
            st.sampled_from(["", "   ", "x" * 61, "tab\there", "bell\x07"]),
        ),
        st.builds(
            lambda i, v: agenda_case(section(i, kind=v), "kind"),
            n,
            st.sampled_from(["standup", "", "TOPICS2"]),
        ),
        st.just(agenda_case(b'section = "x"\n', "sections")),
        st.binary(min_size=1, max_size=80)
        .filter(lambda b: not _is_agenda_toml(b))
        .map(lambda b: agenda_case(b)),
    )


def test_the_agenda_file_is_good(bench: Bench, world: World) -> None:
    case = Case(AGENDA_SET, 0, "sample", files=(("agenda.toml", world.agenda_toml),))
    bench.prepare(case)
    done = bench.run(case)
    assert done.code == 0 and done.crash is None, done.describe()
    usable(bench, *AFTER_AGENDA)


def test_a_broken_agenda_is_refused_and_the_database_is_untouched(bench: Bench, world: World) -> None:
    agenda = tomllib.loads(world.agenda_toml.decode())

    @budget(50)
    @given(case=bad_agendas(agenda))
    def refused(case: Case) -> None:
        bench.check(case)

    refused()


def test_an_agenda_with_one_value_changed_is_taken_or_refused_cleanly(bench: Bench, world: World) -> None:
    agenda = tomllib.loads(world.agenda_toml.decode())

    @budget(25)
    @given(data=st.data())
    def taken_or_refused(data: st.DataObject) -> None:
        changed = json.loads(json.dumps(agenda))
        if data.draw(st.booleans(), label="in a section"):
            target = data.draw(st.sampled_from(changed["section"]), label="section")
        else:
            target = changed
        key = data.draw(st.sampled_from(sorted(k for k in target if k != "section")), label="key")
        target[key] = data.draw(TOML_VALUES, label="value")
        refused_or_taken(bench, agenda_case(changed), AFTER_AGENDA)

    taken_or_refused()


def test_helpers_see_what_they_claim(world: World) -> None:
    """Guards for the strategies above: the export walk skips only free-form JSON, rebasing moves only
    events, and the TOML writer round-trips."""
    good = json.loads(world.export_json)
    walked = set(nodes(good))
    assert ("cards", 0, "title") in walked and ("events", 0, "actor") in walked
    assert not any(len(p) > 2 and (p[0], p[2]) in FREE_FORM for p in walked)
    text = (FIXTURES / "pagerduty_london.ics").read_text(encoding="utf-8")
    moved = rebased(text, 1)
    assert "DTSTART:19700329T010000" in moved  # the VTIMEZONE's own rule is not an event
    assert moved != text and rebased(moved, -1) == text
    sample = {"a": 1, "b": [True, 2.5, "x\u0001"], "c": {"d": "e"}, "section": [{"t": "x", "m": 5}]}
    assert tomllib.loads(toml_document(sample, "section")) == sample
