"""Writing files others may be reading: exports, iCalendar, minutes, retro summaries."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_atomically(target: Path, data: bytes) -> None:
    """Write beside the target and rename: a reader never sees half a file."""
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent or ".")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_text_into(directory: Path, name: str, text: str) -> Path:
    """Write ``text`` atomically as ``directory/name`` (the directory made if missing); return the path."""
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / name
    write_atomically(target, text.encode("utf-8"))
    return target
