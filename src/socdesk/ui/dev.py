"""Entry point for `textual run --dev socdesk.ui.dev:app`: the console on the usual database."""

from __future__ import annotations

from socdesk.settings import resolve_actor, resolve_db_path
from socdesk.store import open_store
from socdesk.ui.app import make_app

app = make_app(open_store(resolve_db_path(None)[0], actor=resolve_actor(None), create=True))
