"""Top-level worker functions for tests/test_multiprocess.py (spawned processes must be able to import them).

Every worker opens its own store on the shared file, waits on a barrier or event so that all of them
write at once, and reports through a multiprocessing queue: what the store acknowledged, how many
expected refusals it met, and any unexpected exception as a string.
"""

from __future__ import annotations

import random
import threading
import traceback
from contextlib import closing
from pathlib import Path
from typing import Any

from socdesk.domain import CardDraft, CardPatch, Conflict, WipLimitReached, WorkType
from socdesk.store import open_store

COLUMNS = ["Backlog", "To Do", "In Progress", "Review", "Done"]
LIMITED = ["To Do", "In Progress", "Review"]
START_TIMEOUT = 60.0


def _describe(op: str, error: BaseException) -> str:
    return f"{op}: {type(error).__name__}: {error}\n{traceback.format_exc(limit=3)}"


def mixed_writer(path: str, actor: str, seed: int, n_ops: int, start: Any, results: Any) -> None:
    """Adds, moves, version-checked edits and WIP limit changes on one shared file."""
    report: dict[str, Any] = {
        "actor": actor,
        "added": [],  # card ids
        "edits": [],  # (card id, resulting version, title written)
        "moves": [],  # (card id, version returned, column): a no-op if someone moved it there meanwhile
        "limits": [],  # (column, limit) acknowledged
        "wip_refusals": 0,
        "conflicts": 0,
        "unexpected": [],
    }
    rng = random.Random(seed)
    try:
        store = open_store(Path(path), actor=actor)
    except BaseException as error:
        report["unexpected"].append(_describe("open", error))
        start.wait(START_TIMEOUT)
        results.put(report)
        return
    with closing(store):
        start.wait(START_TIMEOUT)
        for i in range(n_ops):
            op = rng.choices(["add", "move", "edit", "limit"], weights=[3, 4, 4, 1])[0]
            try:
                if op == "add" or (not report["added"] and op != "limit"):
                    op = "add"
                    column = rng.choice([None, "Backlog", "To Do"])
                    card = store.add_card(
                        CardDraft(title=f"{actor} card {i}", type=rng.choice(list(WorkType)), column=column)
                    )
                    report["added"].append(card.id)
                elif op == "move":
                    cards = store.list_cards()
                    card = rng.choice(cards)
                    target = rng.choice([c for c in COLUMNS if c != card.column])
                    moved = store.move_card(card.id, target)
                    if moved.column != target:
                        raise AssertionError(f"card {moved.id} is in {moved.column}, not {target}")
                    report["moves"].append((moved.id, moved.version, moved.column))
                elif op == "edit":
                    # A few hot cards, so that edits really race each other; read just before writing.
                    hot = sorted(c.id for c in store.list_cards())[:6]
                    card = store.get_card(rng.choice(hot))
                    title = f"{actor} edit {i}"
                    edited = store.edit_card(card.id, CardPatch(title=title), expected_version=card.version)
                    assert edited.version == card.version + 1, (card.version, edited.version)
                    report["edits"].append((edited.id, edited.version, title))
                else:
                    column = rng.choice(LIMITED)
                    limit = rng.choice([None, 2, 3, 4, 6])
                    store.set_wip_limit(column, limit)
                    report["limits"].append((column, limit))
            except WipLimitReached:
                report["wip_refusals"] += 1
            except Conflict:
                report["conflicts"] += 1
            except BaseException as error:
                report["unexpected"].append(_describe(op, error))
    results.put(report)


def title_editor(path: str, actor: str, card_id: int, n_edits: int, start: Any, results: Any) -> None:
    """Edit one card's title ``n_edits`` times, re-reading and retrying on every Conflict."""
    report: dict[str, Any] = {"actor": actor, "versions": [], "conflicts": 0, "unexpected": []}
    try:
        with closing(open_store(Path(path), actor=actor)) as store:
            start.wait(START_TIMEOUT)
            for i in range(n_edits):
                while True:
                    card = store.get_card(card_id)
                    try:
                        edited = store.edit_card(
                            card_id, CardPatch(title=f"{actor} edit {i}"), expected_version=card.version
                        )
                    except Conflict:
                        report["conflicts"] += 1
                        continue
                    if edited.version != card.version + 1:  # the edit was not based on what we read
                        raise AssertionError(f"read version {card.version}, wrote {edited.version}")
                    report["versions"].append(edited.version)
                    break
    except BaseException as error:
        report["unexpected"].append(_describe("edit", error))
    results.put(report)


def card_adder(path: str, actor: str, n_cards: int, go: Any, results: Any) -> None:
    """Wait for ``go``, add ``n_cards`` cards one transaction at a time, report their ids."""
    report: dict[str, Any] = {"ids": [], "unexpected": []}
    try:
        with closing(open_store(Path(path), actor=actor)) as store:
            go.wait(START_TIMEOUT)
            for i in range(n_cards):
                report["ids"].append(store.add_card(CardDraft(title=f"fed {i}", type=WorkType.UNPLANNED)).id)
    except BaseException as error:
        report["unexpected"].append(_describe("add", error))
    results.put(report)


def feed_subscriber(path: str, name: str, expect: int, ready: Any, results: Any, deadline: float) -> None:
    """Open a feed, say ready, then watch until ``expect`` card.add events arrived (or the deadline).

    Reports the ids of the cards added, the ids of every event seen, and what one more poll finds
    once the watch ends (nothing, when each event was handed out exactly once).
    """
    report: dict[str, Any] = {"name": name, "card_ids": [], "event_ids": [], "extra": [], "unexpected": []}
    stop = threading.Event()
    timer = threading.Timer(deadline, stop.set)
    try:
        with closing(open_store(Path(path), actor=name)) as store, closing(store.feed()) as feed:
            ready.put(name)
            timer.start()
            with closing(feed.watch(stop)) as batches:
                for batch in batches:
                    for event in batch:
                        report["event_ids"].append(event.id)
                        if event.action == "card.add":
                            report["card_ids"].append(int(event.entity_id))
                    if len(report["card_ids"]) >= expect:
                        break
            report["extra"] = [e.id for e in feed.poll()]
    except BaseException as error:
        report["unexpected"].append(_describe("watch", error))
    finally:
        timer.cancel()
    results.put(report)
