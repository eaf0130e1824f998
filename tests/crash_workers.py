"""Crashes: writers killed with SIGKILL at random moments, shared by tests/test_crash.py and
benchmarks/crash.py (one copy, here).

A round copies a freshly migrated file, starts 2 or 3 writer processes on it and, once each has had a
write acknowledged, kills one of them (the others go on writing, then stop by themselves) or all of
them (at once or each at its own moment) after a random delay. The writers:

- ``cards``: many quick writes on their own cards (add, version-checked edit and move);
- ``big``: cards with 20,000-character descriptions, added and rewritten (long transactions);
- ``import``: ``import_snapshot`` of 1,500 cards into a fresh file (one big transaction), between
  quick card adds on the shared file.

Before each write a writer appends an *intent* line to its own log file, and after the store
acknowledges it (the call returned) an *ack* line; each line is flushed at once. The checks then
read the file: ``PRAGMA integrity_check`` is ok, the store opens it, every acknowledged write is in it
exactly as acknowledged, each writer's events are its acknowledged writes in order plus at most the
one write it was killed in (committed before its ack line: present; not committed: absent), every
card's row is what its latest event says, and every import file is all there or not at all.
"""

from __future__ import annotations

import io
import json
import os
import random
import shutil
import signal
import sqlite3
import time
import traceback
from collections import Counter
from contextlib import closing, redirect_stdout, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

START_TIMEOUT = 60.0
FINISH_TIMEOUT = 60.0
AFTER_STOP = 15  # writes a survivor still makes once told its peers were killed
IMPORT_CARDS = 1500
BIG = 20_000  # the longest description a card takes
ROLES = ("cards", "cards", "big", "import")
COLUMNS = ("Backlog", "To Do", "In Progress", "Review", "Done")


# ---------------------------------------------------------------------------------------------------- writers


class AckLog:
    """A writer's own log of what it is about to write and what the store acknowledged.

    Each line is flushed the moment it is written: flush() hands it to the kernel (write(2)), and the
    kernel's page cache outlives a process killed with SIGKILL, so every line flushed before the kill
    is in the file afterwards. No fsync: that would only matter if the machine itself crashed, which
    is not what this tests (the store's own durability there is SQLite's synchronous=FULL).
    """

    def __init__(self, path: Path) -> None:
        self._file = path.open("a", encoding="utf-8")

    def write(self, kind: str, **what: Any) -> None:
        self._file.write(json.dumps({"kind": kind, "t": time.monotonic(), **what}) + "\n")
        self._file.flush()

    def close(self) -> None:
        self._file.close()


def read_log(path: Path) -> tuple[list[dict[str, Any]], bool]:
    """The complete lines of a writer's log, and whether a torn last line was left off."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return [], False
    lines = text.split("\n")
    torn = lines[-1] != ""  # a line the kill cut short: its write is unacknowledged
    return [json.loads(line) for line in lines[:-1]], torn


def import_snapshot(actor: str) -> Any:
    """A board of ``IMPORT_CARDS`` cards, each with its add event: one big import transaction."""
    from socdesk.domain import DEFAULT_COLUMNS, Card, Event, Person, Snapshot, WorkType

    now = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    cards, events = [], []
    for n in range(1, IMPORT_CARDS + 1):
        at = now - timedelta(minutes=n)
        column = COLUMNS[n % len(COLUMNS)]
        cards.append(
            Card(
                id=n,
                title=f"{actor} imported {n}",
                description="imported " * 20,
                type=list(WorkType)[n % 4],
                column=column,
                position=n,
                created_at=at,
                updated_at=at,
                column_since=at,
            )
        )
        events.append(
            Event(
                id=n,
                at=at,
                actor=actor,
                action="card.add",
                entity="card",
                entity_id=str(n),
                after={"column": column, "title": f"{actor} imported {n}", "version": 1},
            )
        )
    columns = tuple(c.model_copy(update={"wip_limit": None}) for c in DEFAULT_COLUMNS)
    return Snapshot(
        exported_at=now,
        people=(Person(handle="importer", name="Importer"),),
        columns=columns,
        cards=tuple(cards),
        events=tuple(events),
    )


def writer(
    db: str,
    actor: str,
    role: str,
    seed: int,
    log_path: str,
    template: str,
    started: Any,
    done: Any,
    stop: Any,
) -> None:
    """Write until told to stop (``stop`` set, then ``AFTER_STOP`` more), or until killed.

    ``started`` gets one message after the first acknowledged write; ``done`` the report at the end.
    ``stop`` is a lock-free shared byte: a peer killed while holding a lock can never block it.
    """
    from socdesk.domain import CardDraft, CardPatch, WorkType
    from socdesk.store import open_store

    report: dict[str, Any] = {"actor": actor, "acked": 0, "failures": []}
    rng = random.Random(seed)
    log = AckLog(Path(log_path))
    types = list(WorkType)
    mine: dict[
        int, tuple[int, str]
    ] = {}  # my card -> (version, column), known exactly: nobody else writes it
    snapshot = import_snapshot(actor) if role == "import" else None
    imports = 0
    left = AFTER_STOP
    try:
        with closing(open_store(Path(db), actor=actor)) as store:
            for seq in range(1_000_000):
                if stop.value:
                    left -= 1
                    if left < 0:
                        break
                op = _pick(rng, role, mine)
                if op == "import":
                    assert snapshot is not None
                    name = f"{actor}-import-{imports}.db"
                    imports += 1
                    target = Path(db).parent / name
                    log.write("intent", op="import", file=name)
                    # A complete copy of the empty file appears at once (rename), or none at all.
                    shutil.copyfile(template, f"{target}.copy")
                    os.replace(f"{target}.copy", target)
                    with closing(open_store(target, actor=actor)) as fresh:
                        fresh.import_snapshot(snapshot)
                    log.write("ack", op="import", file=name, cards=len(snapshot.cards))
                elif op == "add":
                    big = role == "big"
                    title = f"{actor} {seq}"
                    draft = CardDraft(
                        title=title,
                        type=rng.choice(types),
                        description=_text(rng, BIG) if big else "",
                    )
                    log.write("intent", op="add", title=title)
                    card = store.add_card(draft)
                    mine[card.id] = (card.version, card.column)
                    log.write("ack", op="add", card=card.id, version=card.version, title=title)
                elif op == "edit":
                    card_id = rng.choice(sorted(mine))
                    version = mine[card_id][0]
                    title = f"{actor} {seq}"
                    patch = CardPatch(title=title, description=_text(rng, BIG) if role == "big" else None)
                    log.write("intent", op="edit", card=card_id, version=version + 1, title=title)
                    card = store.edit_card(card_id, patch, expected_version=version)
                    mine[card_id] = (card.version, card.column)
                    log.write("ack", op="edit", card=card_id, version=card.version, title=title)
                else:
                    card_id = rng.choice(sorted(mine))
                    version, column = mine[card_id]
                    to = rng.choice([c for c in COLUMNS if c != column])
                    log.write("intent", op="move", card=card_id, version=version + 1, column=to)
                    card = store.move_card(
                        card_id, to, expected_version=version, force=True, reason="crash test"
                    )
                    mine[card_id] = (card.version, card.column)
                    log.write("ack", op="move", card=card_id, version=card.version, column=to)
                report["acked"] += 1
                if report["acked"] == 1:
                    started.send("started")
    except Exception as error:  # nothing is refused here: any exception is a failure
        report["failures"].append(f"{type(error).__name__}: {error}\n{traceback.format_exc(limit=5)}")
        if report["acked"] == 0:
            started.send("failed")
    finally:
        log.close()
    done.send(report)


def _pick(rng: random.Random, role: str, mine: dict[int, tuple[int, str]]) -> str:
    if not mine:
        return "add"
    if role == "import":
        return "import" if rng.random() < 0.3 else "add"
    if role == "big":
        return rng.choice(["add", "edit"])
    return rng.choices(["add", "edit", "move"], [4, 3, 3])[0]


def _text(rng: random.Random, size: int) -> str:
    words = ["alert", "triage", "ioc", "beacon", "lateral", "phish", "edr", "siem", "tune", "suppress"]
    text = ""
    while len(text) < size:
        text += rng.choice(words) + " "
    return text[:size]


# ---------------------------------------------------------------------------------------------------- rounds


def make_template(path: Path) -> Path:
    """A freshly migrated, empty database (closed: no -wal left) that rounds and imports copy."""
    from socdesk.store import open_store

    open_store(path, actor="template", create=True).close()
    return path


@dataclass
class Round:
    number: int
    db: Path
    roles: list[str]
    mode: str
    delay: float
    writers: list[dict[str, Any]] = field(default_factory=list)  # actor, role, log, killed, report
    killed_at: float = 0.0
    problems: list[str] = field(default_factory=list)
    facts: Counter[str] = field(default_factory=Counter)


def run_round(ctx: Any, workdir: Path, template: Path, number: int, seed: int) -> Round:
    """One round: start writers, kill some at a random moment, check the file."""
    rng = random.Random(seed * 10_000 + number)
    here = workdir / f"round-{number:03d}"
    here.mkdir()
    db = here / "team.db"
    shutil.copyfile(template, db)
    roles = [rng.choice(ROLES) for _ in range(rng.choice([2, 3]))]
    mode = rng.choice(["one", "all", "all-staggered"])
    # Right after a write, a little later, or well into the run: some kills land inside a transaction
    # (an import or a 20,000-character card takes a while), some between two writes.
    delay = rng.choice(
        [rng.uniform(0, 0.005), rng.uniform(0, 0.05), rng.uniform(0, 0.3), rng.uniform(0.3, 0.8)]
    )
    result = Round(number, db, roles, mode, delay)
    stop = ctx.RawValue("b", 0)
    procs: list[dict[str, Any]] = []
    for n, role in enumerate(roles):
        actor = f"w{number}-{n}-{role}"
        started_r, started_w = ctx.Pipe(duplex=False)
        done_r, done_w = ctx.Pipe(duplex=False)
        log = here / f"{actor}.log"
        proc = ctx.Process(
            target=writer,
            args=(
                str(db),
                actor,
                role,
                rng.randrange(2**32),
                str(log),
                str(template),
                started_w,
                done_w,
                stop,
            ),
            daemon=True,
        )
        proc.start()
        started_w.close()
        done_w.close()
        procs.append(
            {"actor": actor, "role": role, "proc": proc, "started": started_r, "done": done_r, "log": log}
        )
    try:
        for p in procs:  # synchronise on a real event: each writer's first acknowledged write
            if not p["started"].poll(START_TIMEOUT):
                result.problems.append(f"{p['actor']} never had a write acknowledged")
            elif (message := p["started"].recv()) != "started":
                result.problems.append(f"{p['actor']}: {message}")
        victims = [rng.choice(procs)] if mode == "one" else list(procs)
        for p in procs:
            p["killed"] = any(p is v for v in victims)
        moments = (
            [delay] * len(victims)
            if mode != "all-staggered"
            else sorted(rng.uniform(0, delay * 2) for _ in victims)
        )
        began = time.monotonic()
        for victim, moment in zip(victims, moments, strict=True):
            time.sleep(
                max(0.0, began + moment - time.monotonic())
            )  # the random moment: the point of the test
            os.kill(victim["proc"].pid, signal.SIGKILL)  # alive: a writer only ends once told to stop
            victim["killed_at"] = time.monotonic()
        stop.value = 1
        for p in procs:
            p["report"] = None
            if p["killed"]:
                continue
            if p["done"].poll(FINISH_TIMEOUT):
                p["report"] = p["done"].recv()
            else:
                result.problems.append(f"{p['actor']} (not killed) did not finish")
        for p in procs:
            p["proc"].join(FINISH_TIMEOUT)
            code = p["proc"].exitcode
            if p["killed"] and code != -signal.SIGKILL:
                result.problems.append(f"{p['actor']} exited with {code} before the kill")
            if not p["killed"] and code != 0:
                result.problems.append(f"{p['actor']} exited with {code}")
    finally:
        for p in procs:
            if p["proc"].is_alive():
                p["proc"].kill()
                p["proc"].join(5)
            p["started"].close()
            p["done"].close()
    result.writers = [
        {
            "actor": p["actor"],
            "role": p["role"],
            "log": p["log"],
            "killed": p["killed"],
            "report": p["report"],
        }
        for p in procs
    ]
    result.killed_at = min(v["killed_at"] for v in victims)
    result.facts["kills"] += len(victims)
    check_round(result)
    return result


# ---------------------------------------------------------------------------------------------------- checks


def _event_key(e: dict[str, Any]) -> tuple[Any, ...]:
    op = e["action"].removeprefix("card.")
    after = e["after"]
    detail = after["column"] if op == "move" else after["title"]
    return (op, int(e["entity_id"]), after["version"], detail)


def _line_key(line: dict[str, Any]) -> tuple[Any, ...]:
    return (
        line["op"],
        line["card"],
        line["version"],
        line["column"] if line["op"] == "move" else line["title"],
    )


def check_round(result: Round) -> None:
    """Check the round's file and import files against what its writers logged; adds to ``result``."""
    db, killed_at = result.db, result.killed_at
    problems, facts = result.problems, result.facts
    for p in result.writers:
        for failure in (p.get("report") or {}).get("failures", []):
            problems.append(f"{p['actor']}: {failure}")
    with closing(sqlite3.connect(db)) as conn:  # the first opener after a kill recovers the WAL
        integrity = [r[0] for r in conn.execute("PRAGMA integrity_check")]
        if integrity != ["ok"]:
            problems.append(f"PRAGMA integrity_check: {integrity[:5]}")
            return
        if fk := conn.execute("PRAGMA foreign_key_check").fetchall():
            problems.append(f"PRAGMA foreign_key_check: {fk[:5]}")
        events = [
            {
                "id": r[0],
                "actor": r[1],
                "action": r[2],
                "entity_id": r[3],
                "after": json.loads(r[4] or "null"),
            }
            for r in conn.execute("SELECT id, actor, action, entity_id, after FROM events ORDER BY id")
        ]
        cards = {
            r[0]: (r[1], r[2], r[3])
            for r in conn.execute(
                "SELECT cards.id, title, columns.name, cards.version FROM cards"
                " JOIN columns ON columns.id = cards.column_id"
            )
        }
    _check_opens(db, problems)
    _check_cards(events, cards, problems)
    for p in result.writers:
        killed = p["killed"]
        lines, torn = read_log(p["log"])
        facts["torn log lines"] += torn
        acks = [line for line in lines if line["kind"] == "ack"]
        intents = [line for line in lines if line["kind"] == "intent"]
        pending = intents[len(acks) :]
        if len(pending) > (1 if killed else 0) or len(intents) < len(acks):
            problems.append(f"{p['actor']}: {len(intents)} intents for {len(acks)} acks")
            continue
        shared = [a for a in acks if a["op"] != "import"]
        facts["acknowledged writes checked"] += len(acks)
        if not killed:
            facts["survivor writes after a kill"] += sum(a["t"] > killed_at for a in acks)
        mine = [_event_key(e) for e in events if e["actor"] == p["actor"]]
        acked = [_line_key(a) for a in shared]
        if mine[: len(acked)] != acked:
            missing = [a for a in acked if a not in mine]
            problems.append(f"{p['actor']}: acknowledged writes missing or out of order: {missing[:3]}")
        extra = mine[len(acked) :]
        in_flight = pending[0] if pending else None
        if in_flight is None:
            facts["kills between two writes"] += killed
        if extra:
            # Committed, then killed before the ack line: present though never acknowledged. Only the
            # one write the writer was inside may be in that state.
            if in_flight is None or in_flight["op"] == "import" or len(extra) > 1:
                problems.append(f"{p['actor']}: writes in the file that were never attempted: {extra}")
            elif not _matches(extra[0], in_flight):
                problems.append(f"{p['actor']}: {extra[0]} in the file, but it was writing {in_flight}")
            else:
                facts["kills after a commit, before its ack"] += 1
        elif in_flight is not None and in_flight["op"] != "import":
            facts["kills inside a write, before its commit"] += 1
        _check_imports(db.parent, p, acks, in_flight, problems, facts)


def _matches(event_key: tuple[Any, ...], intent: dict[str, Any]) -> bool:
    op, card, version, detail = event_key
    if op != intent["op"]:
        return False
    if op == "add":
        return bool(detail == intent["title"] and version == 1)
    wanted = intent["column"] if op == "move" else intent["title"]
    return bool((card, version, detail) == (intent["card"], intent["version"], wanted))


def _check_opens(db: Path, problems: list[str]) -> None:
    from socdesk.domain import SocdeskError
    from socdesk.store import open_store

    try:
        with closing(open_store(db, actor="checker")) as store:
            store.list_cards()
            store.events_after(0)
    except (SocdeskError, sqlite3.Error, ValueError) as error:
        problems.append(f"the store cannot open {db.name}: {type(error).__name__}: {error}")


def _check_cards(
    events: list[dict[str, Any]], cards: dict[int, tuple[str, str, int]], problems: list[str]
) -> None:
    """Every card's row is what its latest event says, its version counts its events, and no card the
    log added is missing (none is deleted here)."""
    latest: dict[int, dict[str, Any]] = {}
    count: Counter[int] = Counter()
    for e in events:
        if e["action"] in ("card.add", "card.edit", "card.move"):
            cid = int(e["entity_id"])
            latest[cid] = e
            count[cid] += 1
    for cid in sorted(latest.keys() | cards.keys()):
        row, e = cards.get(cid), latest.get(cid)
        if row is None or e is None:
            problems.append(f"card {cid}: row {row}, latest event {e and e['id']}")
            continue
        title, column, version = row
        after = e["after"]
        if (title, column, version) != (after["title"], after["column"], after["version"]):
            problems.append(f"card {cid}: row {row} but its latest event {e['id']} says {after}")
        if version != count[cid]:
            problems.append(f"card {cid}: version {version} after {count[cid]} events")


def _check_imports(
    directory: Path,
    p: dict[str, Any],
    acks: list[dict[str, Any]],
    in_flight: dict[str, Any] | None,
    problems: list[str],
    facts: Counter[str],
) -> None:
    """An acknowledged import is all there; the one the writer was killed in is all there or not at all."""
    acked = {a["file"]: a["cards"] for a in acks if a["op"] == "import"}
    cut = in_flight["file"] if in_flight and in_flight["op"] == "import" else None
    for name in [*acked, *([cut] if cut else [])]:
        path = directory / name
        if not path.exists():
            if name in acked:
                problems.append(f"{p['actor']}: acknowledged import {name} is gone")
            else:
                facts["kills inside an import, before its commit"] += 1  # killed before the copy landed
            continue
        with closing(sqlite3.connect(path)) as conn:
            integrity = [r[0] for r in conn.execute("PRAGMA integrity_check")]
            counts = [conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("cards", "events")]
        if integrity != ["ok"]:
            problems.append(f"{name}: PRAGMA integrity_check: {integrity[:5]}")
        whole = [IMPORT_CARDS, IMPORT_CARDS + 1]  # the cards, their events and the import's own
        if name in acked and counts != whole:
            problems.append(f"acknowledged import {name} holds {counts}, not {whole}")
        elif name not in acked:
            if counts == whole:
                facts["kills after a commit, before its ack"] += 1
            elif counts == [0, 0]:
                facts["kills inside an import, before its commit"] += 1
            else:
                problems.append(f"import {name} was cut half-way: {counts}")
        _check_opens(path, problems)


# ---------------------------------------------------------------------------------------------------- init


def init_runner(db: str, ready: Any, go: Any) -> None:
    """`socdesk init --db DB`, as the command runs it, once ``go`` says so (imports done beforehand)."""
    import sqlite_utils.migrations  # noqa: F401  (what a pending migration imports: load it before)

    from socdesk.cli import main

    ready.send("ready")
    if go.poll(START_TIMEOUT):
        go.recv()
        with redirect_stdout(io.StringIO()):  # "created PATH"
            main(["init", "--db", db, "--user", "init"])


def check_init(db: Path) -> tuple[str, list[str]]:
    """What a killed `socdesk init` left: ``absent``, ``empty`` (and initialisable) or ``migrated``.

    Anything between (some migrations applied, or tables without the record of them) is a problem.
    """
    from socdesk.domain import InvalidInput
    from socdesk.store import open_store
    from socdesk.store.migrations import check_schema, known_names

    problems: list[str] = []
    if not db.exists():
        state = "absent"
    else:
        with closing(sqlite3.connect(db)) as conn:
            integrity = [r[0] for r in conn.execute("PRAGMA integrity_check")]
            if integrity != ["ok"]:
                return "corrupt", [f"PRAGMA integrity_check: {integrity[:5]}"]
            tables = conn.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0]
            if tables == 0:
                state = "empty"
            else:
                state = "migrated"
                pending = check_schema(conn)
                if pending:
                    problems.append(f"partly migrated: {pending} pending")
                columns = conn.execute("SELECT count(*) FROM columns").fetchone()[0]
                if columns != 5:
                    problems.append(f"migrated, with {columns} columns")
        if state == "empty":
            try:
                open_store(db, actor="checker").close()
                problems.append("an empty file opened as a database")
            except InvalidInput as refusal:
                if "socdesk init" not in str(refusal):
                    problems.append(f"an empty file was refused with {refusal}")
    if state != "migrated":
        try:  # initialisable: `socdesk init` again makes it whole
            open_store(db, actor="checker", create=True).close()
        except Exception as error:
            problems.append(f"cannot initialise after the kill: {type(error).__name__}: {error}")
            return state, problems
    with closing(sqlite3.connect(db)) as conn:
        applied = [r[0] for r in conn.execute("SELECT name FROM _sqlite_migrations ORDER BY id")]
    if applied != known_names():
        problems.append(f"migrations applied: {applied}")
    return state, problems


def run_init_round(
    ctx: Any, directory: Path, window: float, rng: random.Random
) -> tuple[str, float, list[str]]:
    """Start `socdesk init` on a fresh path, kill it ``0..window`` s after it was told to go."""
    db = directory / "fresh.db"
    proc, ready_r, go_w = _start_init(ctx, db)
    try:
        if not _ready(ready_r):
            return "no start", 0.0, ["socdesk init never got ready"]
        delay = rng.uniform(0, window)
        began = time.monotonic()
        go_w.send("go")
        time.sleep(max(0.0, began + delay - time.monotonic()))  # the random moment of the kill
        with suppress(ProcessLookupError):  # it may have finished already
            os.kill(proc.pid, signal.SIGKILL)
        proc.join(FINISH_TIMEOUT)
    finally:
        if proc.is_alive():
            proc.kill()
            proc.join(5)
        ready_r.close()
        go_w.close()
    state, problems = check_init(db)
    if proc.exitcode not in (-signal.SIGKILL, 0):
        problems.append(f"socdesk init exited with {proc.exitcode}")
    if proc.exitcode == 0:
        state = "finished"  # the kill came after the command had ended
    return state, delay, problems


def init_window(ctx: Any, directory: Path, runs: int = 3) -> float:
    """How long an unkilled `socdesk init` takes from go to exit, on this machine: the median of a few
    runs, so that one cold or disturbed run does not stretch the window the kills are spread over
    (most kills would then land after the end, and none before the migration commits)."""
    took = sorted(_init_once(ctx, directory / f"timed-{n}.db") for n in range(runs))
    return took[len(took) // 2]


def _start_init(ctx: Any, db: Path) -> tuple[Any, Any, Any]:
    """A process that runs `socdesk init` on ``db`` once told to go: (process, its ready end, go end)."""
    ready_r, ready_w = ctx.Pipe(duplex=False)
    go_r, go_w = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=init_runner, args=(str(db), ready_w, go_r), daemon=True)
    proc.start()
    ready_w.close()
    go_r.close()
    return proc, ready_r, go_w


def _ready(ready_r: Any) -> bool:
    if not ready_r.poll(START_TIMEOUT):
        return False
    ready_r.recv()
    return True


def _init_once(ctx: Any, db: Path) -> float:
    proc, ready_r, go_w = _start_init(ctx, db)
    if not _ready(ready_r):
        raise RuntimeError("socdesk init never got ready")
    began = time.monotonic()
    go_w.send("go")
    proc.join(FINISH_TIMEOUT)
    took = time.monotonic() - began
    if proc.exitcode != 0 or check_init(db) != ("migrated", []):
        raise RuntimeError(f"socdesk init failed unkilled: {proc.exitcode}, {check_init(db)}")
    return took
