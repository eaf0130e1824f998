"""``socdesk duty show`` as plain text or JSON: now, the next weeks per role, overrides, notes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from socdesk.domain.duty import HandoverNote, Override, Role, Roster, Slot, duty_status, schedule, status_json
from socdesk.textfmt import clip, table


def local(moment: datetime, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%a %Y-%m-%d %H:%M %Z")


def span(override: Override) -> str:
    return f"from {override.starts_at:%Y-%m-%d %H:%M} to {override.ends_at:%Y-%m-%d %H:%M} UTC"


def _source(slot: Slot, roster: Roster) -> str:
    if slot.override_id is None:
        return "rotation" if slot.person else "NOBODY"
    override = next((o for o in roster.overrides if o.id == slot.override_id), None)
    reason = override.reason if override else ""
    return f"override #{slot.override_id}" + (f": {reason}" if reason else "")


def as_text(roster: Roster, at: datetime, weeks: int, notes: Sequence[HandoverNote]) -> str:
    zone = roster.zone
    status = duty_status(roster, at)
    lines = [f"Duty at {local(at, zone)}", ""]
    for role in Role:
        slot = status.current[role]
        who = roster.name(slot.person) if slot.person else role.missing
        lines.append(f"  {role.title:<17} {who}  (until {local(slot.end, zone)})")
    if status.handover_at is not None:
        following = " / ".join(roster.name(status.next[role]) for role in Role)
        lines.append(f"  next handover     {local(status.handover_at, zone)} → {following}")
    end = at + timedelta(weeks=weeks)
    rows = [
        [
            slot.role.value,
            local(slot.start, zone),
            local(slot.end, zone),
            roster.name(slot.person),
            _source(slot, roster),
        ]
        for slot in sorted(
            (s for role in Role for s in schedule(roster, role, at, end)), key=lambda s: (s.start, s.role)
        )
    ]
    lines += ["", f"Next {weeks} weeks", table(["ROLE", "FROM", "TO", "WHO", "SOURCE"], rows)]
    lines += ["", "Rotations"]
    for role in Role:
        rotation = roster.rotations.get(role)
        if rotation is None:
            lines.append(f"  {role.value:<9} no rotation set")
            continue
        lines.append(
            f"  {role.value:<9} {', '.join(rotation.members)}; {rotation.length_text} shifts,"
            f" handover {rotation.handover_text} {rotation.tz}, from {rotation.start_date}"
        )
    current = [o for o in roster.overrides if o.ends_at > at]
    lines += ["", "Overrides"]
    if current:
        lines.append(
            table(
                ["ID", "ROLE", "WHO", "FROM", "TO", "REASON"],
                [
                    [
                        str(o.id),
                        o.role.value,
                        o.person,
                        local(o.starts_at, zone),
                        local(o.ends_at, zone),
                        clip(o.reason, 40),
                    ]
                    for o in current
                ],
            )
        )
    else:
        lines.append("  none")
    lines += ["", "Handover notes"]
    for note in notes:
        lines.append(f"  {note.role.value} handover {local(note.handover_at, zone)}, by {note.author}:")
        lines += [f"    {line}" for line in note.text.splitlines()]
        lines += [f"    - #{c.id} {clip(c.title, 60)} [{c.column}]" for c in note.cards]
    if not notes:
        lines.append("  none yet")
    return "\n".join(lines)


def as_json(roster: Roster, at: datetime, weeks: int, notes: Sequence[HandoverNote]) -> dict[str, object]:
    end = at + timedelta(weeks=weeks)
    return {
        "now": status_json(roster, duty_status(roster, at)),
        "schedule": {
            role.value: [
                {
                    "start": s.start.isoformat(),
                    "end": s.end.isoformat(),
                    "person": s.person,
                    "source": s.source,
                    "override_id": s.override_id,
                }
                for s in schedule(roster, role, at, end)
            ]
            for role in Role
        },
        "rotations": [
            r.model_dump(mode="json") for r in roster.rotations.values() if hasattr(r, "model_dump")
        ],
        "overrides": [
            o.model_dump(mode="json") for o in roster.overrides if o.ends_at > at and hasattr(o, "model_dump")
        ],
        "handover_notes": [n.model_dump(mode="json") for n in notes],
    }
