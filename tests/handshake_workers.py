"""Top-level workers for tests/test_handshake_concurrency.py (spawned processes must import them).

Each worker runs the real `socdesk` command in-process (``socdesk.cli.main``) against the shared file,
as a teammate's terminal would, after waiting on a barrier or event so that they all act at once. It
reports every command's exit code, stdout and stderr through a multiprocessing queue, and any
unexpected exception as a string.
"""

from __future__ import annotations

import contextlib
import io
import traceback
from typing import Any

START_TIMEOUT = 60.0


def run_cli(db: str, user: str, *args: str) -> dict[str, Any]:
    from socdesk.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main([*args, "--db", db, "--user", user])
        except SystemExit as exit_:
            code = int(exit_.code or 0)
    return {"args": list(args), "code": code, "out": out.getvalue(), "err": err.getvalue()}


def topic_submitter(db: str, user: str, count: int, start: Any, first_in: Any | None, results: Any) -> None:
    """Wait on ``start``, submit ``count`` topics with --json; set ``first_in`` after the first is in."""
    report: dict[str, Any] = {"user": user, "runs": [], "unexpected": []}
    try:
        import socdesk.cli  # noqa: F401  (imported before the barrier: all start on an equal footing)

        start.wait(START_TIMEOUT)
        for n in range(count):
            run = run_cli(db, user, "handshake", "topic", "add", f"{user} topic {n}", "--json")
            report["runs"].append(run)
            if first_in is not None and run["code"] == 0:
                first_in.set()
    except BaseException as error:
        report["unexpected"].append(f"{type(error).__name__}: {error}\n{traceback.format_exc(limit=5)}")
    finally:
        if first_in is not None:
            first_in.set()  # never leave the starter waiting
    results.put(report)


def meeting_starter(db: str, user: str, start: Any, go: Any | None, results: Any) -> None:
    """Wait on ``start`` (and then on ``go``, if given), run `socdesk handshake start` once."""
    report: dict[str, Any] = {"user": user, "runs": [], "unexpected": []}
    try:
        import socdesk.cli  # noqa: F401

        start.wait(START_TIMEOUT)
        if go is not None and not go.wait(START_TIMEOUT):
            raise TimeoutError("no topic was ever accepted")
        report["runs"].append(run_cli(db, user, "handshake", "start"))
    except BaseException as error:
        report["unexpected"].append(f"{type(error).__name__}: {error}\n{traceback.format_exc(limit=5)}")
    results.put(report)
