"""Regenerate sample_data/socdesk-sample.json: a realistic SOC team's last six weeks.

The history is played through the real store with a fixed clock, so every card's timestamps and
its events agree and WIP limits were respected (or overridden with a reason) along the way.
Deterministic: the same file every run. `socdesk init --sample` re-bases it to the current date.

    python scripts/make_sample_data.py
"""

from __future__ import annotations

import heapq
import random
import tempfile
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from socdesk.domain import CardDraft, CardPatch, FixedClock, Person, WipLimitReached
from socdesk.domain.duty import OverrideDraft, Role, Rotation
from socdesk.domain.handshake import Agenda
from socdesk.domain.models import Priority, WorkType
from socdesk.domain.retro import ActionDraft, NoteColumn, Phase, RetroDraft, TimerKind
from socdesk.domain.timer import Act
from socdesk.store import Store, open_store

EXPORTED_AT = datetime(2026, 11, 20, 17, 0, tzinfo=UTC)
OUTPUT = Path(__file__).resolve().parents[1] / "sample_data" / "socdesk-sample.json"

DOMAIN = "soc.example.org"
PEOPLE = [
    ("alice", "Alice Ng", ("engineer",)),
    ("bob", "Bob Ruiz", ("analyst",)),
    ("carol", "Carol Okafor", ("engineer",)),
    ("dan", "Dan Weiss", ("analyst",)),
    ("erin", "Erin Castillo", ("engineer",)),
    ("farid", "Farid Haddad", ("analyst",)),
    ("grace", "Grace Liu", ("engineer", "analyst")),
    ("hiro", "Hiro Tanaka", ("analyst",)),
]
FLOW = ["Backlog", "To Do", "In Progress", "Review", "Done"]

# title, type, priority, kind, final column, assignee, security, labels, days ago created, description
CARDS: list[tuple[str, str, str, str, str, str | None, bool, tuple[str, ...], int, str]] = [
    (
        "Onboard acquired subsidiary's logs into the SIEM",
        "business",
        "high",
        "task",
        "In Progress",
        "carol",
        False,
        ("siem", "m-and-a"),
        38,
        "Scope: 3 AD forests, O365 tenant, Palo Alto firewalls.\n\n"
        "- [ ] collectors\n- [ ] parsers\n- [ ] use-case mapping",
    ),
    (
        "Quarterly SOC metrics report for the CISO",
        "business",
        "medium",
        "task",
        "Done",
        "grace",
        False,
        ("reporting",),
        30,
        "MTTD/MTTR, alert volume by source, unplanned share.",
    ),
    (
        "PCI DSS 4.0 logging evidence pack",
        "business",
        "high",
        "task",
        "Review",
        "alice",
        True,
        ("compliance", "pci"),
        27,
        "Requirement 10.x evidence for the QSA visit.",
    ),
    ("Evaluate MDR vendor proposals", "business", "low", "task", "Backlog", None, False, ("vendor",), 20, ""),
    (
        "Ransomware tabletop with legal and comms",
        "business",
        "medium",
        "task",
        "To Do",
        "grace",
        False,
        ("exercise",),
        16,
        "Inject list in the wiki; 90 minutes.",
    ),
    (
        "Alert SLAs for the new customer portal",
        "business",
        "medium",
        "task",
        "Backlog",
        None,
        False,
        ("sla",),
        9,
        "",
    ),
    (
        "Q4 phishing simulation campaign",
        "business",
        "low",
        "task",
        "Done",
        "hiro",
        False,
        ("awareness",),
        35,
        "",
    ),
    (
        "Rotate SIEM ingestion API keys",
        "operations",
        "high",
        "task",
        "Done",
        "dan",
        True,
        ("secrets",),
        33,
        "Old keys revoked after 24 h overlap.",
    ),
    (
        "Patch domain controllers: November rollup",
        "operations",
        "critical",
        "task",
        "Done",
        "carol",
        False,
        ("patching",),
        12,
        "",
    ),
    (
        "Review firewall change requests (week 46)",
        "operations",
        "medium",
        "task",
        "Done",
        "farid",
        False,
        ("firewall",),
        8,
        "",
    ),
    (
        "Renew EDR licences before 15 December",
        "operations",
        "high",
        "task",
        "To Do",
        "grace",
        False,
        ("licensing",),
        6,
        "",
    ),
    (
        "Decommission the legacy syslog relay",
        "operations",
        "low",
        "task",
        "Backlog",
        None,
        False,
        ("logging",),
        40,
        "",
    ),
    (
        "Update the on-call runbook for VPN outages",
        "operations",
        "medium",
        "task",
        "Done",
        "bob",
        False,
        ("runbook",),
        26,
        "",
    ),
    (
        "Weekly vulnerability scan triage",
        "operations",
        "medium",
        "task",
        "In Progress",
        "farid",
        False,
        ("vulns",),
        4,
        "",
    ),
    (
        "Certificate expiry sweep for public endpoints",
        "operations",
        "high",
        "task",
        "Done",
        "dan",
        False,
        ("certs",),
        22,
        "",
    ),
    (
        "Offboard leavers from SOAR and ticketing",
        "operations",
        "medium",
        "task",
        "To Do",
        "bob",
        True,
        ("access",),
        3,
        "",
    ),
    (
        "Automate the phishing triage playbook in SOAR",
        "engineering",
        "high",
        "task",
        "Review",
        "erin",
        False,
        ("soar", "phishing"),
        29,
        "Auto-close known-good senders; enrich URLs; open a case above score 70.",
    ),
    (
        "Detection: PowerShell download cradle (Sigma)",
        "engineering",
        "high",
        "detection",
        "Done",
        "erin",
        False,
        ("sigma", "windows"),
        37,
        "ATT&CK T1059.001. Tested against Atomic Red Team.",
    ),
    (
        "Detection: impossible travel for Okta admins",
        "engineering",
        "high",
        "detection",
        "Review",
        "alice",
        False,
        ("okta", "identity"),
        18,
        "ATT&CK T1078.004.",
    ),
    (
        "Detection: new service installed on a domain controller",
        "engineering",
        "medium",
        "detection",
        "In Progress",
        "erin",
        False,
        ("windows",),
        10,
        "Event 7045 on DCs, allow-list for backup agents.",
    ),
    (
        "Tune brute-force rule: exclude service accounts",
        "engineering",
        "medium",
        "detection",
        "Done",
        "alice",
        False,
        ("tuning",),
        24,
        "Feedback from handshake: 40 FP/day from svc-backup.",
    ),
    (
        "Detection: DNS tunnelling via long TXT queries",
        "engineering",
        "medium",
        "detection",
        "Backlog",
        None,
        False,
        ("dns",),
        14,
        "",
    ),
    (
        "Normalise the CloudTrail organisation trail",
        "engineering",
        "medium",
        "task",
        "Done",
        "carol",
        False,
        ("aws", "parsing"),
        41,
        "",
    ),
    (
        "Enrich alerts with asset owner from the CMDB",
        "engineering",
        "medium",
        "task",
        "To Do",
        "erin",
        False,
        ("enrichment",),
        15,
        "",
    ),
    (
        "Deduplicate EDR 'suspicious script' alert floods",
        "engineering",
        "high",
        "task",
        "Done",
        "alice",
        False,
        ("edr", "noise"),
        21,
        "",
    ),
    (
        "Terraform the Vector log pipeline config",
        "engineering",
        "low",
        "task",
        "Backlog",
        None,
        False,
        ("iac",),
        32,
        "",
    ),
    (
        "Unit tests for detections in CI",
        "engineering",
        "medium",
        "task",
        "To Do",
        "carol",
        False,
        ("ci", "detections"),
        11,
        "",
    ),
    (
        "Move escalation policies off Grafana OnCall",
        "engineering",
        "low",
        "task",
        "Backlog",
        None,
        False,
        ("on-call",),
        19,
        "Grafana OnCall OSS is archived.",
    ),
    (
        "Sigma-to-SIEM conversion pipeline",
        "engineering",
        "medium",
        "task",
        "Backlog",
        None,
        False,
        ("sigma",),
        25,
        "",
    ),
    (
        "INC-2291: credential stuffing against customer login",
        "unplanned",
        "critical",
        "task",
        "Done",
        "bob",
        True,
        ("incident",),
        39,
        "Rate limiting + WAF rule; 212 accounts forced to reset.",
    ),
    (
        "INC-2302: malware beaconing from a finance laptop",
        "unplanned",
        "critical",
        "task",
        "Done",
        "farid",
        True,
        ("incident", "malware"),
        31,
        "Host isolated, reimaged; C2 domain blocked.",
    ),
    (
        "SIEM ingestion lag over 30 min after storage outage",
        "unplanned",
        "high",
        "task",
        "Done",
        "carol",
        False,
        ("siem",),
        28,
        "",
    ),
    (
        "INC-2310: suspicious OAuth app consent in M365",
        "unplanned",
        "high",
        "task",
        "Done",
        "dan",
        True,
        ("incident", "m365"),
        23,
        "",
    ),
    (
        "False-positive storm from the new EDR policy",
        "unplanned",
        "high",
        "task",
        "Done",
        "erin",
        False,
        ("edr", "noise"),
        17,
        "",
    ),
    (
        "MFA fatigue attempts on an executive account",
        "unplanned",
        "critical",
        "task",
        "Done",
        "hiro",
        True,
        ("incident", "identity"),
        13,
        "",
    ),
    (
        "Log source silent: AWS GuardDuty",
        "unplanned",
        "medium",
        "task",
        "Done",
        "dan",
        False,
        ("logging",),
        7,
        "",
    ),
    (
        "INC-2318: exposed S3 bucket reported by a researcher",
        "unplanned",
        "high",
        "task",
        "In Progress",
        "bob",
        True,
        ("incident", "aws"),
        5,
        "",
    ),
    (
        "Block IOC list from the national CERT advisory",
        "unplanned",
        "high",
        "task",
        "Review",
        "hiro",
        False,
        ("ioc",),
        2,
        "",
    ),
    (
        "EDR agent crash loop on Linux build servers",
        "unplanned",
        "medium",
        "task",
        "Backlog",
        None,
        False,
        ("edr", "linux"),
        1,
        "",
    ),
    (
        "INC-2325: phishing wave impersonating payroll",
        "unplanned",
        "critical",
        "task",
        "In Progress",
        "farid",
        True,
        ("incident", "phishing"),
        1,
        "Reported by 14 users; mailbox sweep running.",
    ),
    (
        "Backlog grooming: retire stale detection ideas",
        "engineering",
        "low",
        "task",
        "Backlog",
        None,
        False,
        ("hygiene",),
        34,
        "",
    ),
]


LONDON = ZoneInfo("Europe/London")


def _london(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=LONDON).astimezone(UTC)


DUTY_TIMELINE = [
    (EXPORTED_AT - timedelta(days=42) + timedelta(minutes=5), "rotations"),
    (_london("2026-10-26T20:00"), "sick-cover"),
    (_london("2026-11-16T08:50"), "handover-note"),
    (_london("2026-11-18T11:30"), "conference-cover"),
    (_london("2026-11-19T15:10"), "training-swap"),
]


def duty_step(store: Store, action: str) -> None:
    """One step of the sample team's duty history."""
    start = (EXPORTED_AT - timedelta(days=42)).date()
    if action == "rotations":
        store.actor = "grace"
        for role, members in (
            ("engineer", ("alice", "carol", "erin", "grace")),
            ("analyst", ("bob", "dan", "farid", "hiro")),
        ):
            store.set_rotation(
                Rotation(
                    role=role,
                    members=members,
                    shift_hours=7 * 24,
                    handover_weekday=0,
                    handover_time=time(9, 0),
                    tz="Europe/London",
                    start_date=start,
                )
            )
    elif action == "sick-cover":
        store.actor = "farid"
        store.add_override(
            OverrideDraft(
                role="analyst",
                person="bob",
                starts_at=_london("2026-10-27T09:00"),
                ends_at=_london("2026-10-29T09:00"),
                reason="farid off sick",
            )
        )
    elif action == "handover-note":
        store.actor = "alice"
        store.add_handover_note(
            Role.ENGINEER,
            "Quiet week apart from the phishing wave: mailbox rules cleaned up, 3 accounts reset.\n"
            "EDR exclusions review is half done (see the card). Watch the payroll lookalike domain.",
        )
    elif action == "conference-cover":
        store.actor = "farid"
        store.add_override(
            OverrideDraft(
                role="analyst",
                person="hiro",
                starts_at=_london("2026-11-24T18:00"),
                ends_at=_london("2026-11-25T09:00"),
                reason="farid at a family event",
            )
        )
    elif action == "training-swap":
        store.actor = "grace"
        store.swap_shifts(
            Role.ENGINEER,
            _london("2026-11-30T12:00"),
            _london("2026-12-07T12:00"),
            reason="grace on SANS training the week of 30 Nov",
        )


# The handshake of Tuesday 10 November (10:00 London = 10:00 UTC in winter), played step by step in
# the same timeline; then topics for the next one. Kept more than half a week before the export, so
# that re-basing by whole weeks never moves it into the future.
HANDSHAKE_TIMELINE: list[tuple[str, str, str]] = [
    ("2026-11-03T12:00", "grace", "agenda"),
    ("2026-11-06T09:40", "dan", "topic:Noisy EDR alerts from the build servers: tune or exclude?"),
    ("2026-11-06T16:05", "bob", "topic:Who owns the phishing triage playbook after Alice's move?"),
    ("2026-11-09T11:20", "farid", "topic:Firewall log retention: 90 or 180 days?"),
    ("2026-11-09T14:45", "hiro", "topic:Access reviews for the SOAR admin role"),
    ("2026-11-10T10:02", "grace", "start"),
    ("2026-11-10T10:02", "alice", "join"),
    ("2026-11-10T10:03", "bob", "join"),
    ("2026-11-10T10:03", "carol", "join"),
    ("2026-11-10T10:04", "dan", "join"),
    ("2026-11-10T10:08", "grace", "next"),
    ("2026-11-10T10:08", "grace", "item:1"),
    ("2026-11-10T10:11", "dan", "outcome:1:Exclude the build OU from the rule; Erin writes the exclusion"),
    ("2026-11-10T10:11", "grace", "card:1:engineering"),
    ("2026-11-10T10:11", "grace", "item:2"),
    ("2026-11-10T10:14", "bob", "outcome:2:Carol takes it over from December; Alice hands over by the 30th"),
    ("2026-11-10T10:14", "grace", "item:3"),
    ("2026-11-10T10:18", "farid", "outcome:3:180 days for perimeter firewalls, legal to confirm"),
    ("2026-11-10T10:18", "grace", "card:3:operations"),
    ("2026-11-10T10:19", "grace", "note:Topic 4 (SOAR admin access reviews) not reached: carried over"),
    ("2026-11-10T10:31", "grace", "next"),
    ("2026-11-10T10:33", "grace", "priority:Sigma-to-SIEM conversion pipeline:high"),
    ("2026-11-10T10:38", "grace", "pull:Sigma-to-SIEM conversion pipeline"),
    ("2026-11-10T10:44", "grace", "note:To Do is close to its limit: nothing else pulled this week"),
    ("2026-11-10T10:46", "grace", "next"),
    ("2026-11-10T10:50", "erin", "tune:Detection: PowerShell download cradle (Sigma)"),
    ("2026-11-10T10:57", "grace", "end"),
    ("2026-11-16T09:15", "farid", "topic:Should analysts write a handover note every day?"),
    ("2026-11-16T13:30", "alice", "topic:A second EDR console seat for the night shift"),
]


def handshake_step(store: Store, action: str) -> None:
    """One step of the sample team's handshake history (cards are looked up by title)."""
    verb, _, rest = action.partition(":")
    by_title = {card.title: card for card in store.list_cards()}
    record = store.current_meeting()
    topics = {i: t.id for i, t in enumerate(record.topics if record else (), start=1)}
    if verb == "agenda":
        store.set_agenda(Agenda(tz="Europe/London", schedule="tue 10:00"))
    elif verb == "topic":
        store.add_topic(rest)
    elif verb == "start":
        store.start_meeting()
    elif verb == "join":
        store.join_meeting()
    elif verb in ("next", "prev"):
        store.meeting_timer(Act(verb))
    elif verb == "item":
        store.meeting_timer(Act.ITEM, topic_id=topics[int(rest)])
    elif verb == "outcome":
        number, _, text = rest.partition(":")
        store.set_topic_outcome(topics[int(number)], text)
    elif verb == "card":
        number, _, work_type = rest.partition(":")
        store.topic_to_card(topics[int(number)], WorkType(work_type))
    elif verb == "note":
        store.meeting_note(rest)
    elif verb == "priority":
        title, _, priority = rest.rpartition(":")
        store.refine_priority(by_title[title].id, Priority(priority))
    elif verb == "pull":
        if by_title[rest].column == "Backlog":
            try:
                store.pull_card(by_title[rest].id)
            except WipLimitReached:
                store.meeting_note(f"{rest}: To Do is full, pulled next week instead")
    elif verb == "tune":
        store.tune_detection(by_title[rest].id, "Fires on the patch agent's signed updater; allow-list it")
    elif verb == "end":
        store.end_meeting()


# The October retro (Friday 30 October, Grace facilitating): notes, two themes, votes and two actions,
# one of which is done by the export. The next retro a user starts opens by reviewing them.
RETRO_TIMELINE: list[tuple[str, str, str]] = [
    ("2026-10-30T14:00", "grace", "start"),
    ("2026-10-30T14:04", "grace", "phase:write"),
    ("2026-10-30T14:04", "grace", "timer:8"),
    (
        "2026-10-30T14:05",
        "alice",
        "note:well:The credential-stuffing incident was contained in under an hour",
    ),
    ("2026-10-30T14:05", "farid", "note:not-well:GuardDuty went silent for two days and nobody noticed"),
    ("2026-10-30T14:06", "dan", "note:not-well:Blocking CERT IOCs by hand every week eats a morning"),
    ("2026-10-30T14:06", "bob", "note:improve:Alert when a log source goes quiet, not only when it is noisy"),
    ("2026-10-30T14:07", "carol", "note:well:Handover notes at shift change were read and used"),
    ("2026-10-30T14:08", "erin", "note:improve:Schedule the IOC import instead of pasting lists"),
    ("2026-10-30T14:09", "hiro", "note:not-well:Too much unplanned work pulled in mid-sprint"),
    ("2026-10-30T14:12", "grace", "phase:group"),
    ("2026-10-30T14:13", "grace", "theme:Silent log sources:2,4"),
    ("2026-10-30T14:14", "grace", "theme:Manual IOC handling:3,6"),
    ("2026-10-30T14:16", "grace", "phase:vote"),
    ("2026-10-30T14:17", "farid", "vote:note:2"),
    ("2026-10-30T14:17", "farid", "vote:theme:1"),
    ("2026-10-30T14:17", "dan", "vote:theme:2"),
    ("2026-10-30T14:18", "dan", "vote:theme:2"),
    ("2026-10-30T14:18", "bob", "vote:theme:1"),
    ("2026-10-30T14:18", "hiro", "vote:note:7"),
    ("2026-10-30T14:19", "erin", "vote:theme:2"),
    ("2026-10-30T14:19", "carol", "vote:note:1"),
    ("2026-10-30T14:21", "grace", "phase:discuss"),
    ("2026-10-30T14:40", "grace", "phase:actions"),
    (
        "2026-10-30T14:42",
        "grace",
        "action:farid:2026-11-13:engineering:Alert on log sources silent for over 6 hours",
    ),
    ("2026-10-30T14:44", "grace", "action:dan:2026-11-20:engineering:Schedule the national CERT IOC import"),
    ("2026-10-30T14:50", "grace", "close:Good energy; keep the unplanned share in view at the next retro"),
    ("2026-11-04T10:00", "farid", "move-action:1:In Progress"),
    ("2026-11-11T16:30", "farid", "move-action:1:Review"),
    ("2026-11-12T11:00", "grace", "move-action:1:Done"),
]


def retro_step(store: Store, action: str, state: dict[str, list[int]]) -> None:
    """One step of the sample team's October retro (notes and themes are numbered from 1)."""
    verb, _, rest = action.partition(":")
    if verb == "start":
        store.start_retro(
            RetroDraft(
                title="October retro",
                objectives="Fewer silent failures; less unplanned work pulled mid-sprint.",
                period_from=date(2026, 10, 9),
                period_to=date(2026, 10, 30),
            )
        )
    elif verb == "phase":
        store.set_retro_phase(Phase(rest))
    elif verb == "timer":
        store.retro_timer(TimerKind.START, minutes=int(rest))
    elif verb == "note":
        column, _, text = rest.partition(":")
        state["notes"].append(store.add_note(NoteColumn(column), text).id)
    elif verb == "theme":
        name, _, numbers = rest.partition(":")
        notes = [state["notes"][int(n) - 1] for n in numbers.split(",")]
        state["themes"].append(store.add_theme(name, notes).id)
    elif verb == "vote":
        kind, _, number = rest.partition(":")
        if kind == "note":
            store.vote(note_id=state["notes"][int(number) - 1])
        else:
            store.vote(theme_id=state["themes"][int(number) - 1])
    elif verb == "action":
        owner, due, work_type, text = rest.split(":", 3)
        action_made = store.add_retro_action(
            ActionDraft(text=text, owner=owner, due=date.fromisoformat(due), type=WorkType(work_type))
        )
        state["cards"].append(action_made.card_id or 0)
    elif verb == "close":
        store.set_retro_phase(Phase.CLOSED, closing_notes=rest)
    elif verb == "move-action":
        number, _, column = rest.partition(":")
        store.move_card(state["cards"][int(number) - 1], column, force=True, reason="retro action")


def main() -> int:
    rng = random.Random(2291)
    start = EXPORTED_AT - timedelta(days=42)
    clock = FixedClock(start)
    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(Path(tmp) / "sample.db", actor="grace", clock=clock, create=True)
        for handle, name, roles in PEOPLE:
            store.add_person(Person(handle=handle, name=name, email=f"{handle}@{DOMAIN}", roles=roles))
        # A timeline of (when, sequence, action): cards are created, then walk the flow to their final column.
        timeline: list[tuple[datetime, int, str, int, str | None]] = []
        for index, (*_, days_ago, _desc) in enumerate(CARDS):
            created = EXPORTED_AT - timedelta(
                days=days_ago, hours=rng.randint(0, 8), minutes=rng.randint(0, 59)
            )
            timeline.append((created, len(timeline), "add", index, None))
        # A few edits, as the history of a living board has, in time order with everything else.
        edits = {
            10: (timedelta(days=3), CardPatch(priority="critical")),
            16: (timedelta(days=2, hours=4), CardPatch(assignee="alice")),
            39: (
                timedelta(hours=5),
                CardPatch(description=CARDS[39][9] + "\n\nUpdate: 3 mailboxes compromised."),
            ),
        }
        for index, (before_export, _patch) in edits.items():
            timeline.append((EXPORTED_AT - before_export, len(timeline), "edit", index, None))
        # The duty roster: weekly rotations from the start, an override, a swap and a handover note,
        # each at its moment in the same timeline (so the event log stays in time order).
        for when, action in DUTY_TIMELINE:
            timeline.append((when, len(timeline), action, -1, None))
        for local, who, step in HANDSHAKE_TIMELINE:
            timeline.append((_london(local), len(timeline), step, -2, who))
        for local, who, step in RETRO_TIMELINE:
            timeline.append((_london(local), len(timeline), step, -3, who))
        retro_state: dict[str, list[int]] = {"notes": [], "themes": [], "cards": []}
        heapq.heapify(timeline)
        ids: dict[int, int] = {}
        waits: dict[str, int] = {}
        while timeline:
            when, _, action, index, target = heapq.heappop(timeline)
            if when >= EXPORTED_AT:
                continue
            clock.set(when)
            if index == -1:
                duty_step(store, action)
                continue
            if index == -2:
                store.actor = target or "grace"
                handshake_step(store, action)
                continue
            if index == -3:
                store.actor = target or "grace"
                retro_step(store, action, retro_state)
                continue
            title, wtype, prio, kind, final, assignee, security, labels, _, desc = CARDS[index]
            unplanned = wtype == "unplanned"
            actor = assignee or "grace"
            store.actor = "hiro" if unplanned and assignee is None else actor
            if action == "edit":
                store.actor = "grace"
                store.edit_card(ids[index], edits[index][1])
                continue
            if action == "add":
                draft = CardDraft(
                    title=title,
                    type=wtype,
                    priority=prio,
                    kind=kind,
                    assignee=assignee,
                    security=security,
                    labels=labels,
                    description=desc,
                    column="To Do" if unplanned and final != "Backlog" else "Backlog",
                )
                try:
                    card = store.add_card(draft)
                except WipLimitReached:
                    card = store.add_card(draft.model_copy(update={"column": "Backlog"}))
                ids[index] = card.id
                current = card.column
            else:
                assert target is not None
                try:
                    current = store.move_card(ids[index], target).column
                except WipLimitReached as full:
                    if unplanned and prio == "critical":
                        reason = "P1 incident: drops everything else"
                        current = store.move_card(ids[index], target, force=True, reason=reason).column
                    else:  # wait for room, as a real team would
                        retry = when + timedelta(hours=rng.randint(6, 20))
                        heapq.heappush(timeline, (retry, rng.randint(0, 10**6), "move", index, target))
                        waits[full.column] = waits.get(full.column, 0) + 1
                        continue
            if current != final:
                step = FLOW[FLOW.index(current) + 1]
                hours = rng.randint(2, 10) if unplanned else rng.randint(6, 40)
                heapq.heappush(
                    timeline, (when + timedelta(hours=hours), rng.randint(0, 10**6), "move", index, step)
                )
        clock.set(EXPORTED_AT)
        snapshot = store.export_snapshot()
        store.close()
    OUTPUT.write_text(snapshot.model_dump_json(indent=2) + "\n", encoding="utf-8")
    by_column: dict[str, int] = {}
    for card in snapshot.cards:
        by_column[card.column] = by_column.get(card.column, 0) + 1
    print(f"wrote {OUTPUT}: {len(snapshot.cards)} cards {by_column}, {len(snapshot.events)} events")
    print(f"moves that waited for room (times): {waits}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
