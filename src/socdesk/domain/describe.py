"""One line of plain language per event, for `socdesk log`, card history and the console."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # only its fields are read: `log`'s fast path passes rows read without pydantic
    from socdesk.domain.models import Event


def _card(state: dict[str, Any] | None, entity_id: str) -> str:
    if not state:
        return f"card #{entity_id}"
    return f"card #{entity_id} “{state.get('title', '')}”"


def describe_event(event: Event) -> str:
    meta = event.meta or {}
    before, after = event.before, event.after
    match event.action:
        case "card.add":
            text = f"added {_card(after, event.entity_id)} to {after and after.get('column')}"
        case "card.move":
            text = f"moved {_card(after, event.entity_id)} {meta.get('from')} → {meta.get('to')}"
        case "card.edit":
            text = f"edited {_card(after, event.entity_id)}: {', '.join(meta.get('fields', []))}"
        case "card.reorder":
            where = meta.get("column", "its column")
            steps = int(meta.get("to_index", 0)) - int(meta.get("from_index", 0))
            text = f"moved {_card(after, event.entity_id)} {'down' if steps > 0 else 'up'} in {where}"
        case "card.restore":
            text = f"restored {_card(after, event.entity_id)} to {after and after.get('column')}"
        case "card.delete":
            text = f"deleted {_card(before, event.entity_id)}"
        case "column.limit":
            old = before and before.get("wip_limit")
            new = after and after.get("wip_limit")
            text = f"set the WIP limit of {event.entity_id}: {old or 'none'} → {new or 'none'}"
        case "person.add":
            text = f"added person {event.entity_id} ({after and after.get('name')})"
        case "retro.start":
            text = f"started retro {event.entity_id} “{after and after.get('title')}”"
        case "retro.phase":
            text = f"moved retro {event.entity_id} to the {after and after.get('phase')} phase"
        case "retro.note.add":
            text = f"added a note to retro {event.entity_id}"  # not its text: it may be hidden still
        case "retro.vote" | "retro.unvote":
            verb = "voted for" if event.action == "retro.vote" else "took back a vote from"
            text = f"{verb} {meta.get('on', 'an item')} in retro {event.entity_id}"
        case "retro.theme.add":
            text = f"made theme “{after and after.get('name')}” in retro {event.entity_id}"
        case "retro.action.add":
            text = (
                f"agreed action “{after and after.get('text')}” ({after and after.get('owner')}) "
                f"in retro {event.entity_id}"
            )
        case "database.import":
            counts = ", ".join(f"{meta.get(k, 0)} {k}" for k in ("cards", "people", "events"))
            text = f"imported {counts}"
        case "database.restore":
            text = f"restored from the backup {meta.get('from')} ({meta.get('cards', 0)} cards)"
        case _:
            text = f"{event.action} {event.entity} {event.entity_id}"
    if override := meta.get("wip_override"):
        text += (
            f" (WIP limit overridden at {override['count']}/{override['limit']}: {meta.get('reason', '')})"
        )
    return text
