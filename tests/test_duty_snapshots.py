"""What the Duty view looks like on a small team: rotations for both roles, one override, one note.

The fixed clock (Monday 2026-03-02 09:00 UTC) makes every time on it stable. A changed snapshot is a
changed screen: look at the diff report before updating it.
"""

from __future__ import annotations

from datetime import UTC, datetime

from duty_helpers import weekly
from socdesk.domain import CardDraft, Person
from socdesk.domain.duty import OverrideDraft, Role
from socdesk.store import Store
from socdesk.ui.app import make_app


def test_duty_view(snap_compare, store: Store) -> None:
    for handle, name in [
        ("alice", "Alice Archer"),
        ("bob", "Bob Builder"),
        ("carol", "Carol Chen"),
        ("dan", "Dan Dorn"),
    ]:
        store.add_person(Person(handle=handle, name=name))
    store.set_rotation(weekly(Role.ENGINEER, "alice", "bob"))
    store.set_rotation(weekly(Role.ANALYST, "carol", "dan"))
    store.add_override(
        OverrideDraft(
            role=Role.ENGINEER,
            person="carol",
            starts_at=datetime(2026, 3, 4, 9, tzinfo=UTC),
            ends_at=datetime(2026, 3, 5, 9, tzinfo=UTC),
            reason="alice at a conference",
        )
    )
    store.add_card(CardDraft(title="Beaconing from HR laptop", type="unplanned", column="To Do"))
    store.add_handover_note(Role.ENGINEER, "Quiet start to the week.\nWatch the VPN gateway's CPU.")
    assert snap_compare(make_app(store, live=False), terminal_size=(120, 40), press=["2"])
