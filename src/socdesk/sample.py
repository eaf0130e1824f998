"""The sample team shipped in sample_data/: found in the installed package or the source tree."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

from socdesk.domain.snapshot import Snapshot, shifted
from socdesk.domain.validation import parse
from socdesk.store import Store

SAMPLE_FILE = "socdesk-sample.json"


def sample_file() -> Path:
    packaged = resources.files("socdesk") / "sample_data" / SAMPLE_FILE
    if packaged.is_file():
        return Path(str(packaged))
    return Path(__file__).resolve().parents[2] / "sample_data" / SAMPLE_FILE


def load_sample(store: Store) -> Snapshot:
    """Import the sample team, its timestamps moved so that its last export moment is now."""
    path = sample_file()
    snapshot = parse(Snapshot, json.loads(path.read_text(encoding="utf-8")), str(path))
    rebased = shifted(snapshot, store.clock.now() - snapshot.exported_at)
    store.import_snapshot(rebased)
    return rebased
