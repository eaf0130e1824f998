"""The duty strip at the top of every view: who is on duty and on call now, and the next handover.

Filled by the Duty issue; until a roster exists it says so plainly rather than showing stale names.
"""

from __future__ import annotations

from textual.widgets import Static

NO_ROSTER = "On duty: — · On call: — · no duty roster yet (set it up in the Duty view, key 2)"


class DutyStrip(Static):
    def on_mount(self) -> None:
        self.update(NO_ROSTER)
        self.add_class("-no-roster")
