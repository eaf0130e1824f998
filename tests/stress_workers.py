"""The mixed-write stress, shared by tests/test_stress.py and benchmarks/stress.py (one copy, here).

``prepare`` seeds a file: six hot cards, a running handshake and a retro in its write phase, run by
``FACILITATOR``. ``run_stress`` starts one process per writer (the caller's multiprocessing context);
each opens its own store on the file, waits on a barrier and makes N writes chosen at random (seeded)
through the store's intents, as many consoles and scripts would:

- card add (some into the WIP-limited To Do, some forced past it with a reason: a WIP override);
- card move (mostly into the limited columns, so that WIP refusals happen; some forced; most
  version-checked, the rest not, so that a move can find the card already there: a no-op);
- version-checked edits of the hot cards, from what the writer last saw (so Conflicts happen);
- handshake topic submissions (the cap of waiting topics refuses some; the facilitator defers now and
  then, which makes room again);
- retro notes (write and group phases only), dot votes and unvotes (vote phase only; the budget per
  person refuses some); the facilitator moves the phase among write, group and vote now and then, and
  the others sometimes try to (refused: only the facilitator does);
- timer actions on the running handshake (pause, resume, extend, next, prev; those that do not fit the
  clock's state, or extend by 0 or 31 minutes, are refused).

Every call is recorded with its outcome: ``ack`` (with the ids and versions the store returned),
``refused`` (with the exception type, its message and what would have been written) or ``failed``
(``StoreBusy``, "database is locked", a refusal with a message nobody expects, anything else: none may
reach a user), and its wall-clock latency. ``reconcile`` then reads the file with plain sqlite3 (and a
read-only store) and lists every way the outcome and the file disagree; no problems means nothing was
lost, nothing refused slipped in, and the event log accounts for every acknowledged write exactly.

A write that changes nothing logs nothing (the store returns the row as it is): a move into the column
the card is in, an edit that sets what is there, a phase change to the current phase, a deferral of a
deferred topic. Only the first can happen here (an unchecked move whose card someone else moved there
first: its answer is that other write's version); the writers never send the others (titles are
unique, the facilitator picks another phase, it defers waiting topics). The reconciliation tells such
a move from a logged one by whose event made the version it was given, and counts it as logging nothing.
"""

from __future__ import annotations

import json
import random
import sqlite3
import time
import traceback
from collections import Counter
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from socdesk.domain import (
    CardDraft,
    CardPatch,
    Conflict,
    InvalidInput,
    Priority,
    SocdeskError,
    WipLimitReached,
    WorkType,
)
from socdesk.domain.retro import NOTE_PHASES, VOTE_PHASES, NoteColumn, Phase, RetroDraft
from socdesk.domain.timer import Act
from socdesk.store import Store, open_store

FACILITATOR = "analyst-0"
HOT_CARDS = 6
SEED_NOTES = 6
BUDGET = 3
START_TIMEOUT = 120.0
PHASES = (Phase.WRITE, Phase.GROUP, Phase.VOTE)
TYPES = list(WorkType)
COLUMNS = ("Backlog", "To Do", "In Progress", "Review", "Done")
MOVE_WEIGHTS = (1, 2, 4, 3, 2)  # mostly into the WIP-limited columns
TIMER_ACTS = (Act.PAUSE, Act.RESUME, Act.EXTEND, Act.NEXT, Act.PREV)
EXTEND_MINUTES = (1, 2, 5, 0, 31)  # 0 and 31 are refused (1 to 30)
BIG_DESCRIPTION = "A long description, as pasted from an alert. " * 45  # about 2 KB

# Every writer's mix (weights); the facilitator adds phase changes and topic deferrals.
WEIGHTS = {
    "add": 12,
    "move": 20,
    "edit": 16,
    "topic": 7,
    "note": 12,
    "vote": 13,
    "unvote": 6,
    "timer": 8,
    "phase": 1,
}
FACILITATOR_WEIGHTS = {**WEIGHTS, "phase": 6, "defer": 4}

# The event each acknowledged write appends (timer actions log ``handshake.<act>``).
ACTIONS = {
    "add": "card.add",
    "move": "card.move",
    "edit": "card.edit",
    "topic": "handshake.topic.add",
    "defer": "handshake.topic.defer",
    "note": "retro.note.add",
    "vote": "retro.vote",
    "unvote": "retro.unvote",
    "phase": "retro.phase",
}

# The refusals each intent may meet, by message: any other InvalidInput is a failure.
REFUSAL_KINDS = {
    "the most it takes": "topic cap",
    "notes are added in the": "wrong retro phase",
    "votes are cast in the": "wrong retro phase",
    "votes are taken back in the": "wrong retro phase",
    "you have used all": "vote budget",
    "you have no vote on": "nothing to take back",
    "only the facilitator": "not the facilitator",
    "already paused": "timer state",
    "is not paused": "timer state",
    "this is the last section": "timer state",
    "this is the first section": "timer state",
    "extend by 1 to": "timer state",
}
EXPECTED_MESSAGES = {
    "topic": ("the most it takes",),
    "note": ("notes are added in the",),
    "vote": ("votes are cast in the", "you have used all"),
    "unvote": ("votes are taken back in the", "you have no vote on"),
    "phase": ("only the facilitator",),
    "timer": (
        "already paused",
        "is not paused",
        "this is the last section",
        "this is the first section",
        "extend by 1 to",
    ),
}


def actors(processes: int) -> list[str]:
    return [f"analyst-{n}" for n in range(processes)]


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def _text(error: BaseException) -> str:
    return f"{error}\n{traceback.format_exc(limit=4)}"


# ---------------------------------------------------------------------------------------------------- setup


def prepare(path: Path) -> dict[str, Any]:
    """Create the file: hot cards, a running handshake, a retro in the write phase with a few notes."""
    with closing(open_store(path, actor="seed", create=True)) as seed:
        hot = [
            seed.add_card(CardDraft(title=f"hot {i}", type=WorkType.OPERATIONS)).id for i in range(HOT_CARDS)
        ]
        meeting = seed.start_meeting()
        cap = seed.get_agenda().topic_cap
    with closing(open_store(path, actor=FACILITATOR)) as lead:
        record = lead.start_retro(
            RetroDraft(
                title="Stress retro",
                period_from=date(2026, 2, 16),
                period_to=date(2026, 3, 1),
                vote_budget=BUDGET,
            )
        )
        lead.set_retro_phase(Phase.WRITE)
        columns = list(NoteColumn)
        notes = [lead.add_note(columns[i % 3], f"seed note {i}").id for i in range(SEED_NOTES)]
        last = lead.last_event_id()
    return {
        "hot": hot,
        "meeting_id": meeting.meeting.id,
        "retro_id": record.retro.id,
        "notes": notes,
        "facilitator": FACILITATOR,
        "budget": BUDGET,
        "topic_cap": cap,
        "last_event_id": last,
    }


# ---------------------------------------------------------------------------------------------------- workers


class Writer:
    """One console's writes: picks an intent, reads what it needs, makes the call, records the outcome."""

    def __init__(self, store: Store, actor: str, rng: random.Random, setup: dict[str, Any]) -> None:
        self.store = store
        self.actor = actor
        self.rng = rng
        # Which intents, in which order, depends on the seed alone (not on what the others did).
        self.picks = random.Random(rng.random())
        self.facilitator = actor == setup["facilitator"]
        self.seen = dict.fromkeys(setup["hot"], 1)  # hot card -> the version this writer last saw
        self.max_card = max(setup["hot"])  # cards are never deleted: every id up to this exists
        self.notes: list[int] = list(setup["notes"])
        self.my_votes: list[tuple[int, int]] = []  # (vote id, note id) still standing
        weights = FACILITATOR_WEIGHTS if self.facilitator else WEIGHTS
        self.ops, self.weights = list(weights), list(weights.values())
        self.error: BaseException | None = None

    def one(self, seq: int) -> dict[str, Any]:
        op = self.picks.choices(self.ops, self.weights)[0]
        record: dict[str, Any] = {"seq": seq, "op": op}
        try:
            getattr(self, f"_{op}")(record, seq)
        except Exception as error:  # a read before the write failed: a user would have seen it too
            record.update(outcome="failed", error=type(error).__name__, message=_text(error))
            record.setdefault("ms", 0.0)
        return record

    def _call(
        self,
        record: dict[str, Any],
        write: Callable[[], Any],
        refusals: tuple[type[BaseException], ...] = (),
    ) -> Any:
        """Make one write, timed; record its outcome. The store's answer when acknowledged, else None."""
        self.error = None
        began = time.perf_counter()
        try:
            result = write()
        except refusals as error:
            record["ms"] = (time.perf_counter() - began) * 1000
            self.error = error
            message = str(error)
            expected = EXPECTED_MESSAGES.get(record["op"])
            if isinstance(error, InvalidInput) and not any(m in message for m in expected or ()):
                record.update(
                    outcome="failed", error="InvalidInput", message=f"unexpected refusal: {message}"
                )
            else:
                record.update(outcome="refused", error=type(error).__name__, message=message)
            return None
        except Exception as error:  # StoreBusy, sqlite3.OperationalError, anything: a failure
            record["ms"] = (time.perf_counter() - began) * 1000
            record.update(outcome="failed", error=type(error).__name__, message=_text(error))
            return None
        record["ms"] = (time.perf_counter() - began) * 1000
        record["outcome"] = "ack"
        return result

    # -------------------------------------------------------------------------------- the board

    def _add(self, record: dict[str, Any], seq: int) -> None:
        column, force = self.rng.choice(
            [
                (None, False),
                (None, False),
                ("Backlog", False),
                ("To Do", False),
                ("To Do", False),
                ("To Do", True),
            ]
        )
        title = f"{self.actor} add {seq}"
        draft = CardDraft(
            title=title,
            type=self.rng.choice(TYPES),
            column=column,
            description=BIG_DESCRIPTION if self.rng.random() < 0.1 else "",
        )
        reason = f"{self.actor} override {seq}" if force else None
        record.update(title=title, column=column, force=force)
        card = self._call(
            record, lambda: self.store.add_card(draft, force=force, reason=reason), (WipLimitReached,)
        )
        if card is not None:
            record.update(card=card.id, version=card.version, placed=card.column)
            self.max_card = max(self.max_card, card.id)

    def _move(self, record: dict[str, Any], seq: int) -> None:
        card_id = self.rng.randint(1, self.max_card)
        versioned = self.rng.random() < 0.7
        force = self.rng.random() < 0.25
        card = self.store.get_card(card_id)
        targets = [(c, w) for c, w in zip(COLUMNS, MOVE_WEIGHTS, strict=True) if c != card.column]
        target = self.rng.choices([c for c, _ in targets], [w for _, w in targets])[0]
        expected = card.version if versioned else None
        reason = f"{self.actor} override {seq}" if force else None
        record.update(card=card_id, target=target, read_version=card.version, expected=expected, force=force)
        moved = self._call(
            record,
            lambda: self.store.move_card(
                card_id, target, expected_version=expected, force=force, reason=reason
            ),
            (WipLimitReached, Conflict),
        )
        if moved is not None:
            record.update(version=moved.version, column=moved.column)
            if card_id in self.seen:
                self.seen[card_id] = moved.version

    def _edit(self, record: dict[str, Any], seq: int) -> None:
        card_id = self.rng.choice(sorted(self.seen))
        if self.rng.random() < 0.5:  # else edit what this console showed a while ago
            self.seen[card_id] = self.store.get_card(card_id).version
        expected = self.seen[card_id]
        title = f"{self.actor} edit {seq}"
        patch = CardPatch(title=title, priority=self.rng.choice(list(Priority)))
        record.update(card=card_id, title=title, expected=expected)
        edited = self._call(
            record, lambda: self.store.edit_card(card_id, patch, expected_version=expected), (Conflict,)
        )
        if edited is not None:
            record["version"] = edited.version
            self.seen[card_id] = edited.version
        elif isinstance(self.error, Conflict) and self.error.actual is not None:
            self.seen[card_id] = self.error.actual  # reload, as the console does after a conflict

    # -------------------------------------------------------------------------------- the handshake

    def _topic(self, record: dict[str, Any], seq: int) -> None:
        record["op"] = "topic"
        text = f"{self.actor} topic {seq}"
        record["text"] = text
        topic = self._call(record, lambda: self.store.add_topic(text), (InvalidInput,))
        if topic is not None:
            record["topic"] = topic.id

    def _defer(self, record: dict[str, Any], seq: int) -> None:
        waiting = [t for t in self.store.list_topics() if not t.deferred]
        if not waiting:
            self._topic(record, seq)  # nothing to defer: submit one instead
            return
        topic = waiting[0]
        record.update(topic=topic.id, read_version=topic.version)
        deferred = self._call(
            record, lambda: self.store.defer_topic(topic.id, expected_version=topic.version), (Conflict,)
        )
        if deferred is not None:
            record["version"] = deferred.version

    def _timer(self, record: dict[str, Any], seq: int) -> None:
        act = self.rng.choice(TIMER_ACTS)
        minutes = self.rng.choice(EXTEND_MINUTES) if act is Act.EXTEND else 0
        record.update(act=act.value, minutes=minutes)
        meeting = self._call(record, lambda: self.store.meeting_timer(act, minutes=minutes), (InvalidInput,))
        if meeting is not None:
            entry = meeting.log[-1]  # read in the same transaction: this call's entry
            record.update(entry=entry.id, kind=entry.kind.value, entry_actor=entry.actor)

    # -------------------------------------------------------------------------------- the retro

    def _refresh_notes(self) -> None:
        record = self.store.current_retro()
        if record is not None:
            self.notes = [n.id for n in record.notes]

    def _note(self, record: dict[str, Any], seq: int) -> None:
        column = self.rng.choice(list(NoteColumn))
        text = f"{self.actor} note {seq}"
        record.update(text=text, column=column.value)
        note = self._call(record, lambda: self.store.add_note(column, text), (InvalidInput,))
        if note is not None:
            record["note"] = note.id
            self.notes.append(note.id)

    def _vote(self, record: dict[str, Any], seq: int) -> None:
        if self.rng.random() < 0.1:
            self._refresh_notes()
        note_id = self.rng.choice(self.notes)
        record["note"] = note_id
        vote = self._call(record, lambda: self.store.vote(note_id=note_id), (InvalidInput,))
        if vote is not None:
            record["vote"] = vote.id
            self.my_votes.append((vote.id, note_id))

    def _unvote(self, record: dict[str, Any], seq: int) -> None:
        if self.my_votes and self.rng.random() < 0.8:
            note_id = self.rng.choice(self.my_votes)[1]
        else:
            note_id = self.rng.choice(self.notes)
        record["note"] = note_id
        vote = self._call(record, lambda: self.store.unvote(note_id=note_id), (InvalidInput,))
        if vote is not None:
            record["vote"] = vote.id
            if (vote.id, note_id) in self.my_votes:
                self.my_votes.remove((vote.id, note_id))

    def _phase(self, record: dict[str, Any], seq: int) -> None:
        if not self.facilitator:
            phase = self.rng.choice(PHASES)
            record["phase"] = phase.value
            self._call(record, lambda: self.store.set_retro_phase(phase), (InvalidInput,))
            return
        current = self.store.current_retro()
        assert current is not None
        if current.retro.phase is Phase.VOTE:
            phase = self.rng.choice([Phase.WRITE, Phase.GROUP])
        else:  # mostly on to the vote, so that votes meet both the budget and the wrong phase
            others = [p for p in PHASES if p is not current.retro.phase]
            phase = Phase.VOTE if self.rng.random() < 0.7 else self.rng.choice(others)
        expected = current.retro.version
        record.update(phase=phase.value, read_version=expected)
        moved = self._call(
            record, lambda: self.store.set_retro_phase(phase, expected_version=expected), (Conflict,)
        )
        if moved is not None:
            record["version"] = moved.retro.version


def worker(
    path: str, actor: str, seed: int, writes: int, setup: dict[str, Any], start: Any, results: Any
) -> None:
    """One process: open a store, wait for the others, make ``writes`` writes, report every outcome."""
    report: dict[str, Any] = {"actor": actor, "records": [], "unexpected": [], "t0": None, "t1": None}
    try:
        store = open_store(Path(path), actor=actor)
    except BaseException as error:
        report["unexpected"].append(f"open: {type(error).__name__}: {_text(error)}")
        start.wait(START_TIMEOUT)
        results.put(report)
        return
    try:
        with closing(store):
            writer = Writer(store, actor, random.Random(seed), setup)
            start.wait(START_TIMEOUT)
            report["t0"] = time.monotonic()
            for seq in range(writes):
                report["records"].append(writer.one(seq))
            report["t1"] = time.monotonic()
    except BaseException as error:
        report["unexpected"].append(f"{type(error).__name__}: {_text(error)}")
    results.put(report)


@dataclass
class Stress:
    setup: dict[str, Any]
    reports: list[dict[str, Any]]

    @property
    def records(self) -> list[tuple[str, dict[str, Any]]]:
        return [(r["actor"], rec) for r in self.reports for rec in r["records"]]

    @property
    def elapsed(self) -> float:
        """From the first writer's start to the last one's end (CLOCK_MONOTONIC is machine-wide)."""
        starts = [r["t0"] for r in self.reports if r["t0"] is not None]
        ends = [r["t1"] for r in self.reports if r["t1"] is not None]
        return max(ends) - min(starts) if starts and ends else float("nan")


def run_stress(
    path: Path, *, processes: int, writes: int, seed: int, ctx: Any, timeout: float = 600.0
) -> Stress:
    """Seed ``path``, run ``processes`` writers of ``writes`` writes each, collect every report."""
    setup = prepare(path)
    start = ctx.Barrier(processes)
    results = ctx.Queue()
    procs = [
        ctx.Process(
            target=worker,
            args=(str(path), actor, seed * 1000 + n, writes, setup, start, results),
            daemon=True,
        )
        for n, actor in enumerate(actors(processes))
    ]
    for proc in procs:
        proc.start()
    try:
        reports = [results.get(timeout=timeout) for _ in procs]  # before join: never block a put
        for proc in procs:
            proc.join(timeout=60)
            if proc.exitcode != 0:
                raise RuntimeError(f"writer {proc.pid} exited with {proc.exitcode}")
    finally:
        for proc in procs:
            if proc.is_alive():
                proc.kill()
                proc.join(timeout=5)
    return Stress(setup, sorted(reports, key=lambda r: r["actor"]))


# ---------------------------------------------------------------------------------------------------- reading


def refusal_kind(record: dict[str, Any]) -> str:
    if record["error"] == "WipLimitReached":
        return "WIP limit"
    if record["error"] == "Conflict":
        return "version conflict"
    return next((kind for m, kind in REFUSAL_KINDS.items() if m in record["message"]), record["error"])


def _json(text: str | None) -> Any:
    return json.loads(text) if text else None


@dataclass
class Reconciliation:
    problems: list[str] = field(default_factory=list)
    facts: Counter[str] = field(default_factory=Counter)

    @property
    def ok(self) -> bool:
        return not self.problems


def reconcile(path: Path, setup: dict[str, Any], reports: list[dict[str, Any]]) -> Reconciliation:
    """Every way the writers' reports and the file disagree (none: nothing lost, nothing slipped in)."""
    result = Reconciliation()
    problems = result.problems
    facts = result.facts

    # Nothing but an acknowledgement or an expected refusal reached a user.
    for report in reports:
        problems += [f"{report['actor']}: {u}" for u in report["unexpected"]]
        for r in report["records"]:
            if r.get("outcome") not in ("ack", "refused"):
                lock = " (database locked)" if "locked" in str(r.get("message")) else ""
                who = f"{report['actor']} #{r['seq']} {r['op']}"
                problems.append(f"{who} failed{lock}: {r.get('error')}: {r.get('message')}")
                facts["failures"] += 1
                facts["lock failures"] += bool(lock) or r.get("error") == "StoreBusy"

    with closing(sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True)) as conn:
        conn.row_factory = sqlite3.Row
        integrity = [r[0] for r in conn.execute("PRAGMA integrity_check")]
        if integrity != ["ok"]:
            problems.append(f"PRAGMA integrity_check: {integrity[:5]}")
        foreign = [tuple(r) for r in conn.execute("PRAGMA foreign_key_check")]
        if foreign:
            problems.append(f"PRAGMA foreign_key_check: {foreign[:5]}")
        events = [
            {**dict(r), "before": _json(r["before"]), "after": _json(r["after"]), "meta": _json(r["meta"])}
            for r in conn.execute("SELECT * FROM events ORDER BY id")
        ]
        cards = {
            r["id"]: dict(r)
            for r in conn.execute(
                "SELECT cards.id, title, columns.name AS col, cards.version FROM cards"
                " JOIN columns ON columns.id = cards.column_id"
            )
        }
        limits = {r["name"]: r["wip_limit"] for r in conn.execute("SELECT name, wip_limit FROM columns")}
        topics = {r["id"]: dict(r) for r in conn.execute("SELECT * FROM topics")}
        notes = {r["id"]: dict(r) for r in conn.execute("SELECT * FROM retro_notes")}
        votes = {r["id"]: dict(r) for r in conn.execute("SELECT * FROM retro_votes")}
        log = [dict(r) for r in conn.execute("SELECT * FROM meeting_log ORDER BY id")]
        retro = dict(conn.execute("SELECT * FROM retros WHERE id = ?", (setup["retro_id"],)).fetchone())

    _replay_board(events, cards, limits, problems, facts)
    _replay_retro(events, votes, retro, setup, problems)
    _replay_topics(events, topics, setup, problems)
    _check_meeting(path, events, log, setup, problems)
    _check_records(events, cards, topics, notes, votes, log, retro, setup, reports, problems, facts)
    return result


def _replay_board(
    events: list[dict[str, Any]],
    cards: dict[int, dict[str, Any]],
    limits: dict[str, int | None],
    problems: list[str],
    facts: Counter[str],
) -> None:
    """Replay the card events in commit order: each saw the state the one before left, the WIP rule held
    at every step (an entry past a limit only with an override and its reason; the stress never changes
    a limit) and the replay ends exactly where the rows are."""
    where: dict[int, str] = {}
    version: dict[int, int] = {}
    title: dict[int, str] = {}
    held: Counter[str] = Counter()
    for e in events:
        action = e["action"]
        if e["entity"] != "card":
            continue
        cid = int(e["entity_id"])
        if action in ("card.add", "card.move"):
            to = e["after"]["column"]
            if action == "card.add":
                if cid in where:
                    problems.append(f"event {e['id']}: card {cid} added twice")
                expected_version = 1
            else:
                if where.get(cid) != e["meta"]["from"] or version.get(cid) != e["before"]["version"]:
                    problems.append(f"event {e['id']}: move of card {cid} did not start from its last state")
                held[where.get(cid, "")] -= 1
                expected_version = version.get(cid, 0) + 1
            limit = limits.get(to)
            override = (e["meta"] or {}).get("wip_override")
            if override is None and limit is not None and held[to] >= limit:
                problems.append(
                    f"event {e['id']}: card {cid} entered {to} at {held[to]}/{limit} with no override"
                )
            if override is not None:
                facts["WIP overrides"] += 1
                if limit is None or held[to] < limit or override["count"] != held[to]:
                    problems.append(f"event {e['id']}: override into {to} at {held[to]}/{limit}: {override}")
                if not (e["meta"].get("reason") or "").strip():
                    problems.append(f"event {e['id']}: WIP override without a reason")
            held[to] += 1
            where[cid] = to
        elif action == "card.edit":
            if version.get(cid) != e["before"]["version"]:
                problems.append(f"event {e['id']}: edit of card {cid} was not based on its last version")
            expected_version = version.get(cid, 0) + 1
        else:
            problems.append(f"event {e['id']}: unexpected card event {action}")
            continue
        if e["after"]["version"] != expected_version:
            problems.append(f"event {e['id']}: card {cid} went to version {e['after']['version']}")
        version[cid] = e["after"]["version"]
        title[cid] = e["after"]["title"]
    rows = {cid: (c["col"], c["version"], c["title"]) for cid, c in cards.items()}
    replayed = {cid: (where[cid], version[cid], title[cid]) for cid in where}
    for cid in sorted(rows.keys() | replayed.keys()):
        if rows.get(cid) != replayed.get(cid):
            problems.append(f"card {cid}: row {rows.get(cid)} but the event log says {replayed.get(cid)}")


def _replay_retro(
    events: list[dict[str, Any]],
    votes: dict[int, dict[str, Any]],
    retro: dict[str, Any],
    setup: dict[str, Any],
    problems: list[str],
) -> None:
    """Notes only in the write/group phases, votes only in the vote phase, never over budget."""
    phase: str | None = None
    live: dict[int, str] = {}
    budget = setup["budget"]
    note_phases = {p.value for p in NOTE_PHASES}
    vote_phases = {p.value for p in VOTE_PHASES}
    for e in events:
        action = e["action"]
        if action == "retro.start":
            phase = e["after"]["phase"]
        elif action == "retro.phase":
            if e["before"]["phase"] != phase:
                problems.append(f"event {e['id']}: phase change from {e['before']['phase']}, not {phase}")
            phase = e["after"]["phase"]
        elif action == "retro.note.add" and phase not in note_phases:
            problems.append(f"event {e['id']}: a note was added in the {phase} phase")
        elif action in ("retro.vote", "retro.unvote"):
            if phase not in vote_phases:
                problems.append(f"event {e['id']}: {action} in the {phase} phase")
            if action == "retro.vote":
                live[e["after"]["id"]] = e["actor"]
                if sum(v == e["actor"] for v in live.values()) > budget:
                    problems.append(f"event {e['id']}: {e['actor']} went over the vote budget")
            elif live.pop(e["before"]["id"], None) is None:
                problems.append(
                    f"event {e['id']}: unvote of vote {e['before']['id']}, which was not standing"
                )
    if phase != retro["phase"]:
        problems.append(f"the retro is in the {retro['phase']} phase, the event log says {phase}")
    stored = {vid: v["voter"] for vid, v in votes.items()}
    if stored != live:
        problems.append(f"votes: rows {sorted(stored.items())} but the event log says {sorted(live.items())}")


def _replay_topics(
    events: list[dict[str, Any]],
    topics: dict[int, dict[str, Any]],
    setup: dict[str, Any],
    problems: list[str],
) -> None:
    """The intake never held more than the cap, and ends as the rows say."""
    intake: set[int] = set()
    for e in events:
        action, tid = e["action"], e["entity_id"]
        if action == "handshake.topic.add":
            if len(intake) >= setup["topic_cap"]:
                problems.append(f"event {e['id']}: topic {tid} admitted with {len(intake)} waiting")
            intake.add(int(tid))
        elif action in ("handshake.topic.take", "handshake.topic.defer"):
            intake.discard(int(tid))
    waiting = {tid for tid, t in topics.items() if t["meeting_id"] is None and not t["deferred"]}
    if waiting != intake:
        problems.append(f"topics waiting: rows {sorted(waiting)} but the event log says {sorted(intake)}")


def _check_meeting(
    path: Path,
    events: list[dict[str, Any]],
    log: list[dict[str, Any]],
    setup: dict[str, Any],
    problems: list[str],
) -> None:
    """The meeting log is in time order, each entry logged once as an event, and folds into a clock."""
    ats = [row["at"] for row in log]
    if ats != sorted(ats):
        problems.append("the meeting log goes back in time")
    logged = Counter(
        (e["after"]["id"], e["action"]) for e in events if e["entity"] == "meeting" and e["after"]
    )
    rows = Counter((row["id"], f"handshake.{row['kind']}") for row in log)
    if logged != rows:
        problems.append(f"meeting log rows and their events differ: {sorted((logged ^ rows).elements())[:5]}")
    # The file as a console opens it: every row parses, the clock folds from the log.
    try:
        with closing(open_store(path, actor="reconcile", read_only=True)) as store:
            store.list_cards()
            store.list_topics()
            store.events_after(0)
            store.get_retro(setup["retro_id"])
            store.get_meeting(setup["meeting_id"]).timer(datetime.now(UTC))
    except (SocdeskError, ValueError) as error:
        problems.append(f"the store cannot read the file back: {type(error).__name__}: {error}")


def _check_records(
    events: list[dict[str, Any]],
    cards: dict[int, dict[str, Any]],
    topics: dict[int, dict[str, Any]],
    notes: dict[int, dict[str, Any]],
    votes: dict[int, dict[str, Any]],
    log: list[dict[str, Any]],
    retro: dict[str, Any],
    setup: dict[str, Any],
    reports: list[dict[str, Any]],
    problems: list[str],
    facts: Counter[str],
) -> None:
    """Each acknowledged write is in the file as its event says; each refused one is nowhere; the events
    per (actor, action) are exactly the acknowledged writes that change something."""
    after_setup = [e for e in events if e["id"] > setup["last_event_id"]]
    card_versions: dict[tuple[int, int], dict[str, Any]] = {}
    for e in events:
        if e["entity"] == "card":
            key = (int(e["entity_id"]), e["after"]["version"])
            if key in card_versions:
                problems.append(f"events {card_versions[key]['id']} and {e['id']}: two writes made {key}")
            card_versions[key] = e
    by_after_id = {
        (e["action"], e["after"]["id"]): e for e in after_setup if e["after"] and "id" in e["after"]
    }
    by_entity = {(e["action"], e["entity_id"], e["actor"]) for e in after_setup}
    unvoted = {e["before"]["id"]: e for e in after_setup if e["action"] == "retro.unvote"}
    texts = {t["text"] for t in topics.values()} | {n["text"] for n in notes.values()}
    titles = {c["title"] for c in cards.values()}
    for e in events:
        for side in (e["before"], e["after"]):
            if side:
                titles.add(side.get("title", ""))
                texts.add(side.get("text", ""))
    log_rows = {row["id"]: row for row in log}
    expected: Counter[tuple[str, str]] = Counter()
    last_edit: dict[int, tuple[int, str]] = {}
    last_phase: tuple[int, str] | None = None

    def bad(actor: str, r: dict[str, Any], what: str) -> None:
        problems.append(f"{actor} #{r['seq']} {r['op']} ({r['outcome']}): {what}")

    for report in reports:
        actor = report["actor"]
        mine: set[int] = set()  # my acknowledged votes
        standing: Counter[int] = Counter()  # my standing votes per note, by my own sequence
        taken: set[int] = set()
        for r in report["records"]:
            op, outcome = r["op"], r.get("outcome")
            if outcome == "refused":
                facts[f"refused: {refusal_kind(r)}"] += 1
                if op in ("add", "edit") and r["title"] in titles:
                    bad(actor, r, f"refused, yet {r['title']!r} is in the file")
                if op in ("topic", "note") and r["text"] in texts:
                    bad(actor, r, f"refused, yet {r['text']!r} is in the file")
                if "you have used all" in r["message"] and sum(standing.values()) != setup["budget"]:
                    bad(actor, r, f"refused for the budget with {sum(standing.values())} votes standing")
                if "you have no vote on" in r["message"] and standing[r["note"]]:
                    bad(actor, r, f"refused with {standing[r['note']]} of its votes on note {r['note']}")
                continue
            if outcome != "ack":
                continue
            facts["acknowledged"] += 1
            if op == "add":
                e = card_versions.get((r["card"], 1))
                if not e or (e["action"], e["actor"], e["after"]["title"]) != ("card.add", actor, r["title"]):
                    bad(actor, r, f"card {r['card']} has no matching card.add event")
                if cards.get(r["card"], {}).get("title") != r["title"]:
                    bad(actor, r, f"card {r['card']} is not in the file as {r['title']!r}")
            elif op == "move":
                e = card_versions.get((r["card"], r["version"]))
                if not e or e["after"]["column"] != r["target"] or r["column"] != r["target"]:
                    bad(
                        actor,
                        r,
                        f"no event put card {r['card']} into {r['target']} at version {r['version']}",
                    )
                    continue
                if (e["actor"], e["action"]) != (actor, "card.move"):
                    # Not this call's event: someone had put the card there meanwhile, and a move to
                    # where a card is changes nothing and logs nothing. Only an unchecked move can.
                    facts["no-op moves"] += 1
                    if r["expected"] is not None:
                        bad(actor, r, "a version-checked move that wrote nothing")
                    continue
                if r["expected"] is not None and e["before"]["version"] != r["expected"]:
                    bad(actor, r, f"moved from version {e['before']['version']}, not {r['expected']}")
            elif op == "edit":
                e = card_versions.get((r["card"], r["version"]))
                if (
                    not e
                    or (e["action"], e["actor"], e["after"]["title"]) != ("card.edit", actor, r["title"])
                    or e["before"]["version"] != r["expected"]
                ):
                    bad(actor, r, f"card {r['card']} version {r['version']} is not this edit")
                if r["version"] > last_edit.get(r["card"], (0, ""))[0]:
                    last_edit[r["card"]] = (r["version"], r["title"])
            elif op == "topic":
                row = topics.get(r["topic"], {})
                if (row.get("text"), row.get("submitted_by")) != (r["text"], actor):
                    bad(actor, r, f"topic {r['topic']} is not in the file as submitted")
                if ("handshake.topic.add", str(r["topic"]), actor) not in by_entity:
                    bad(actor, r, f"topic {r['topic']} has no handshake.topic.add event")
            elif op == "defer":
                if r["version"] != r["read_version"] + 1 or not topics.get(r["topic"], {}).get("deferred"):
                    bad(actor, r, f"topic {r['topic']} is not deferred")
                if ("handshake.topic.defer", str(r["topic"]), actor) not in by_entity:
                    bad(actor, r, f"topic {r['topic']} has no handshake.topic.defer event")
            elif op == "note":
                row = notes.get(r["note"], {})
                if (row.get("text"), row.get("author"), row.get("note_column")) != (
                    r["text"],
                    actor,
                    r["column"],
                ):
                    bad(actor, r, f"note {r['note']} is not in the file as written")
                e = by_after_id.get(("retro.note.add", r["note"]))
                if not e or e["actor"] != actor:
                    bad(actor, r, f"note {r['note']} has no retro.note.add event")
            elif op == "vote":
                mine.add(r["vote"])
                standing[r["note"]] += 1
                e = by_after_id.get(("retro.vote", r["vote"]))
                if not e or (e["actor"], e["after"]["note_id"]) != (actor, r["note"]):
                    bad(actor, r, f"vote {r['vote']} has no retro.vote event")
                row = votes.get(r["vote"])
                if r["vote"] not in unvoted and (
                    not row or (row["voter"], row["note_id"]) != (actor, r["note"])
                ):
                    bad(actor, r, f"vote {r['vote']} on note {r['note']} is not in the file")
            elif op == "unvote":
                if r["vote"] not in mine or r["vote"] in taken:
                    bad(actor, r, f"took back vote {r['vote']}, which was not one of its standing votes")
                taken.add(r["vote"])
                standing[r["note"]] -= 1
                e = unvoted.get(r["vote"])
                if not e or e["actor"] != actor or r["vote"] in votes:
                    bad(actor, r, f"vote {r['vote']} was taken back, yet the file disagrees")
            elif op == "timer":
                row = log_rows.get(r["entry"], {})
                if (row.get("kind"), row.get("actor"), row.get("minutes"), r["entry_actor"]) != (
                    r["act"],
                    actor,
                    r["minutes"],
                    actor,
                ):
                    bad(actor, r, f"meeting log entry {r['entry']} is not this {r['act']}")
                if not by_after_id.get((f"handshake.{r['act']}", r["entry"])):
                    bad(actor, r, f"meeting log entry {r['entry']} has no event")
                expected[(actor, f"handshake.{r['act']}")] += 1
                continue
            elif op == "phase":
                if actor != setup["facilitator"]:
                    bad(actor, r, "acknowledged, though only the facilitator moves the phase")
                e = next(
                    (
                        x
                        for x in after_setup
                        if x["action"] == "retro.phase" and x["after"]["version"] == r["version"]
                    ),
                    None,
                )
                if not e or (e["actor"], e["after"]["phase"]) != (actor, r["phase"]):
                    bad(actor, r, f"no retro.phase event to {r['phase']} at version {r['version']}")
                if last_phase is None or r["version"] > last_phase[0]:
                    last_phase = (r["version"], r["phase"])
            expected[(actor, ACTIONS[op])] += 1
        stored = sum(v["voter"] == actor for v in votes.values())
        if stored != len(mine) - len(taken) or stored > setup["budget"]:
            problems.append(
                f"{actor}: {stored} votes stored, {len(mine)} acknowledged, {len(taken)} taken back"
            )

    actual = Counter((e["actor"], e["action"]) for e in after_setup)
    for key in sorted(expected.keys() | actual.keys()):
        if expected[key] != actual[key]:
            problems.append(f"{key[0]} {key[1]}: {actual[key]} events, {expected[key]} acknowledged writes")
    facts["events"] = len(after_setup)
    for cid, (version, title) in last_edit.items():
        if cards[cid]["title"] != title:
            problems.append(
                f"card {cid} reads {cards[cid]['title']!r}, the last acknowledged edit wrote {title!r}"
            )
        later = sum(1 for (c, v), e in card_versions.items() if c == cid and v > version)
        if cards[cid]["version"] != version + later:
            problems.append(
                f"card {cid} is at version {cards[cid]['version']}, not {version} + {later} later"
            )
    if last_phase is not None and retro["phase"] != last_phase[1]:
        problems.append(
            f"the retro is in {retro['phase']}, the last acknowledged phase change said {last_phase[1]}"
        )


# ---------------------------------------------------------------------------------------------------- figures


def summary(stress: Stress) -> dict[str, Any]:
    """Counts and latencies of a run, for the benchmark's table and the test's sanity checks."""
    records = [r for _, r in stress.records]
    acked = [r["ms"] for r in records if r.get("outcome") == "ack"]
    refused = [r["ms"] for r in records if r.get("outcome") == "refused"]
    return {
        "ops": len(records),
        "acknowledged": len(acked),
        "refused": len(refused),
        "failed": sum(r.get("outcome") not in ("ack", "refused") for r in records),
        "by_op": Counter((r["op"], r.get("outcome")) for r in records),
        "refusals": Counter(refusal_kind(r) for r in records if r.get("outcome") == "refused"),
        "ms_acked": acked,
        "ms_refused": refused,
        "ms_all": acked + refused,
        "per_op_ms": {
            op: [r["ms"] for r in records if r["op"] == op and r.get("outcome") == "ack"]
            for op in sorted({r["op"] for r in records})
        },
        "elapsed": stress.elapsed,
    }
