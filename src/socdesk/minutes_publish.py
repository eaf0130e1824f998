"""Ending a handshake: the minutes are written at once to a file and, if configured, published.

Used by ``socdesk handshake end`` and the console alike. The publish command is this user's own
setting (``config.toml``), never the shared database's: nobody can make another person's machine run
a command. It gets the Markdown on stdin; what it did is logged in the meeting's log.
"""

from __future__ import annotations

import shlex
import subprocess
from dataclasses import dataclass
from pathlib import Path

from socdesk.domain.handshake import MeetingRecord
from socdesk.files import write_text_into
from socdesk.minutes import render_markdown
from socdesk.settings import LocalConfig
from socdesk.store import Store

PUBLISH_TIMEOUT_SECONDS = 60


@dataclass(frozen=True)
class Published:
    command: str
    exit_code: int | None
    """None when the command could not be run at all (not found, timed out)."""
    output: str

    @property
    def ok(self) -> bool:
        return self.exit_code == 0


@dataclass(frozen=True)
class Closed:
    record: MeetingRecord
    markdown: str
    path: Path | None
    problem: str | None = None
    """Why the file could not be written (the meeting is ended and its minutes stay in the database)."""
    published: Published | None = None


def minutes_filename(record: MeetingRecord) -> str:
    day = record.meeting.started_at.date().isoformat()
    return f"handshake-{day}-{record.meeting.id}.md"


def write_minutes(directory: Path, record: MeetingRecord, markdown: str) -> Path:
    """Write into ``directory`` (made if missing) under the meeting's file name; returns the path."""
    return write_text_into(directory, minutes_filename(record), markdown)


def publish(command: str, markdown: str, *, timeout: float = PUBLISH_TIMEOUT_SECONDS) -> Published:
    """Run ``command`` (no shell) with the minutes on stdin."""
    try:
        argv = shlex.split(command)
    except ValueError as error:
        return Published(command, None, f"cannot parse the command: {error}")
    if not argv:
        return Published(command, None, "the command is empty")
    try:
        done = subprocess.run(
            argv, input=markdown, capture_output=True, text=True, timeout=timeout, check=False
        )
    except FileNotFoundError:
        return Published(command, None, f"{argv[0]}: command not found")
    except subprocess.TimeoutExpired:
        return Published(command, None, f"timed out after {timeout:.0f} s")
    except OSError as error:
        return Published(command, None, str(error))
    return Published(command, done.returncode, (done.stdout + done.stderr).strip())


def write_and_publish(record: MeetingRecord, config: LocalConfig) -> Closed:
    """Render, write and publish an ended meeting's minutes. Touches no store, so it can run in a thread."""
    markdown = render_markdown(record)
    path: Path | None = None
    problem: str | None = None
    try:
        path = write_minutes(config.minutes_dir, record, markdown)
    except OSError as error:
        problem = f"could not write the minutes to {config.minutes_dir}: {error.strerror or error}"
    published = publish(config.publish_command, markdown) if config.publish_command else None
    return Closed(record=record, markdown=markdown, path=path, problem=problem, published=published)


def log_publish(store: Store, closed: Closed) -> None:
    if closed.published is not None:
        p = closed.published
        store.record_publish(closed.record.meeting.id, p.command, p.exit_code, p.output)


def close_meeting(store: Store, config: LocalConfig) -> Closed:
    """End the running meeting, write its minutes, publish them if configured, log the result."""
    closed = write_and_publish(store.end_meeting(), config)
    log_publish(store, closed)
    return closed
