"""Top-level workers for tests/test_retro_concurrency.py (forked processes must import them by name).

Each worker opens its own store on the shared file as one teammate's console would, waits on a
barrier so that all of them write at once, and reports through a multiprocessing queue what the store
acknowledged, the message of every refusal (``InvalidInput``), and any unexpected exception as text.
"""

from __future__ import annotations

import traceback
from contextlib import closing
from pathlib import Path
from typing import Any

START_TIMEOUT = 60.0


def _unexpected(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}\n{traceback.format_exc(limit=5)}"


def voter(db: str, user: str, note_ids: list[int], attempts: int, start: Any, results: Any) -> None:
    """Wait on ``start``, then try ``attempts`` votes, going round ``note_ids``."""
    report: dict[str, Any] = {"user": user, "votes": [], "refusals": [], "unexpected": []}
    try:
        from socdesk.domain import InvalidInput
        from socdesk.store import open_store

        with closing(open_store(Path(db), actor=user)) as store:
            start.wait(START_TIMEOUT)
            for n in range(attempts):
                try:
                    vote = store.vote(note_id=note_ids[n % len(note_ids)])
                    report["votes"].append((vote.id, vote.voter, vote.note_id))
                except InvalidInput as refusal:
                    report["refusals"].append(str(refusal))
    except BaseException as error:
        report["unexpected"].append(_unexpected(error))
    results.put(report)


def note_writer(db: str, user: str, count: int, start: Any, results: Any) -> None:
    """Wait on ``start``, then add ``count`` notes, round the three columns."""
    report: dict[str, Any] = {"user": user, "notes": [], "refusals": [], "unexpected": []}
    try:
        from socdesk.domain import InvalidInput
        from socdesk.domain.retro import NoteColumn
        from socdesk.store import open_store

        columns = list(NoteColumn)
        with closing(open_store(Path(db), actor=user)) as store:
            start.wait(START_TIMEOUT)
            for n in range(count):
                try:
                    note = store.add_note(columns[n % 3], f"{user} note {n}")
                    report["notes"].append((note.id, note.author, note.text, note.column.value))
                except InvalidInput as refusal:
                    report["refusals"].append(str(refusal))
    except BaseException as error:
        report["unexpected"].append(_unexpected(error))
    results.put(report)


def retro_starter(db: str, user: str, start: Any, results: Any) -> None:
    """Wait on ``start``, then start a retro once."""
    report: dict[str, Any] = {"user": user, "started": [], "refusals": [], "unexpected": []}
    try:
        from datetime import date

        from socdesk.domain import InvalidInput
        from socdesk.domain.retro import RetroDraft
        from socdesk.store import open_store

        draft = RetroDraft(title=f"{user}'s retro", period_from=date(2026, 2, 16), period_to=date(2026, 3, 1))
        with closing(open_store(Path(db), actor=user)) as store:
            start.wait(START_TIMEOUT)
            try:
                record = store.start_retro(draft)
                report["started"].append((record.retro.id, record.retro.facilitator))
            except InvalidInput as refusal:
                report["refusals"].append(str(refusal))
    except BaseException as error:
        report["unexpected"].append(_unexpected(error))
    results.put(report)
