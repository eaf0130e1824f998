"""The `socdesk` command. A stable contract for scripts: errors are one `error:` line, exit 1; usage exits 2.

Only the console command imports textual; everything else stays fast enough for shell prompts and cron.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from collections.abc import Callable, Sequence
from contextlib import ExitStack, closing
from datetime import date
from pathlib import Path
from typing import Any

from socdesk import __version__, duty_report, textfmt
from socdesk.console_options import ConsoleOptions, open_console_store, positive
from socdesk.domain.duty import OverrideDraft, Role, Rotation, parse_handover, parse_length, parse_moment
from socdesk.domain.errors import InvalidInput, SocdeskError, WipLimitReached
from socdesk.domain.mix import MixReport
from socdesk.domain.models import CardDraft, CardPatch, Kind, Person, Priority, WorkType
from socdesk.domain.retro import ActionDraft, NoteColumn, Phase, RetroDraft, RetroRecord
from socdesk.domain.rota import day_problem
from socdesk.domain.snapshot import Snapshot
from socdesk.domain.validation import parse
from socdesk.domain.wip import parse_wip_limit
from socdesk.files import write_atomically
from socdesk.settings import resolve_actor, resolve_db_path
from socdesk.store import Store, open_store

Handler = Callable[[argparse.Namespace], int]


def _print_json(value: Any) -> None:
    print(json.dumps(value, indent=2, ensure_ascii=False))


def _open(args: argparse.Namespace, *, create: bool = False, read_only: bool = False) -> Store:
    """Open the database for this command; ``main`` closes it when the command ends."""
    path, _ = resolve_db_path(args.db)
    stack: ExitStack = args.resources
    store = open_store(path, actor=resolve_actor(args.user), create=create, read_only=read_only)
    return stack.enter_context(closing(store))


def _limit(text: str) -> int | None:
    try:
        return parse_wip_limit(text)
    except InvalidInput as error:
        raise argparse.ArgumentTypeError(str(error)) from None


MAX_WEEKS = 520  # ten years ahead: a longer --weeks is a typo (and far enough runs past year 9999)


def _weeks(text: str) -> int:
    return positive(text, most=MAX_WEEKS)


# ---------------------------------------------------------------------- commands


def cmd_console(args: argparse.Namespace) -> int:
    options = ConsoleOptions.of(args)
    store, _ = open_console_store(args.db, resolve_actor(args.user))
    args.resources.enter_context(closing(store))
    wallboard = None
    if options.wallboard:
        from socdesk.ui.wallboard import DEFAULT_CYCLE_SECONDS, Wallboard

        store.close()  # reopened read-only: a wallboard shows, it never writes
        store = _open(args, read_only=True)
        wallboard = Wallboard(cycle_seconds=options.cycle or DEFAULT_CYCLE_SECONDS)
    from socdesk.ui.app import run_console  # textual is imported only here

    return run_console(store, theme=options.theme, wallboard=wallboard)


def cmd_init(args: argparse.Namespace) -> int:
    from socdesk.sample import load_sample

    path, _ = resolve_db_path(args.db)
    existed = path.exists() and path.stat().st_size > 0
    plan = None
    if args.shared is not None:
        from socdesk import shared_host

        plan = shared_host.prepare(path, args.shared)  # checks everything before it changes anything
    store = _open(args, create=True)
    if args.sample:
        snapshot = load_sample(store)
        print(f"loaded sample data: {len(snapshot.people)} people, {len(snapshot.cards)} cards")
    print(f"{'database ready at' if existed else 'created'} {path}")
    if plan is not None:
        shared_host.finish(plan)
        print(shared_host.report(plan))
        for warning in shared_host.warnings(plan):
            print(f"warning: {warning}", file=sys.stderr)
    return 0


def cmd_doctor(args: argparse.Namespace) -> int:
    from socdesk import doctor

    path, _ = resolve_db_path(args.db)
    checks = doctor.run_checks(path)
    if args.json:
        _print_json([check.as_json() for check in checks])
    else:
        print(doctor.as_text(path, checks))
    failed = [check.name for check in checks if check.status == "fail"]
    if failed:
        print(f"error: failed checks: {', '.join(failed)}; the fixes are printed above", file=sys.stderr)
    return doctor.exit_code(checks)


def cmd_card_add(args: argparse.Namespace) -> int:
    _reason_needs_force(args)
    draft = parse(
        CardDraft,
        {
            "title": args.title,
            "type": args.type,
            "column": args.column,
            "priority": args.priority,
            "kind": args.kind,
            "assignee": args.assignee,
            "description": args.description,
            "security": args.security,
            "labels": args.label,
        },
        "card",
    )
    store = _open(args)
    card = store.add_card(draft, force=args.force, reason=args.reason)
    if args.json:
        _print_json(card.model_dump(mode="json"))
    else:
        print(f"added card #{card.id} to {card.column}")
    return 0


def cmd_card_list(args: argparse.Namespace) -> int:
    work_type = parse(CardPatch, {"type": args.type}, "filter").type if args.type else None
    store = _open(args)
    cards = store.list_cards(column=args.column, type=work_type, assignee=args.assignee)
    if args.json:
        _print_json([c.model_dump(mode="json") for c in cards])
    elif cards:
        print(textfmt.card_rows(cards))
    else:
        print("no cards")
    return 0


def cmd_card_show(args: argparse.Namespace) -> int:
    store = _open(args)
    card = store.get_card(args.id)
    if args.json:
        _print_json(card.model_dump(mode="json"))
    else:
        print(textfmt.card_detail(card, store.card_history(card.id)))
    return 0


def _reason_needs_force(args: argparse.Namespace) -> None:
    if args.reason and not args.force:
        raise InvalidInput("--reason goes with --force (a reason is recorded only past a WIP limit)")


def cmd_card_move(args: argparse.Namespace) -> int:
    _reason_needs_force(args)
    store = _open(args)
    before = store.get_card(args.id)
    card = store.move_card(
        args.id, args.to, expected_version=args.if_version, force=args.force, reason=args.reason
    )
    if card.version == before.version:
        print(f"card #{card.id} is already in {card.column}")
    else:
        print(f"moved card #{card.id} to {card.column}")
    return 0


def cmd_card_edit(args: argparse.Namespace) -> int:
    fields: dict[str, Any] = {
        name: value
        for name, value in (
            ("title", args.title),
            ("type", args.type),
            ("priority", args.priority),
            ("kind", args.kind),
            ("description", args.description),
            ("security", args.security),
        )
        if value is not None
    }
    if args.assignee is not None:
        fields["assignee"] = None if args.assignee.lower() in ("", "none", "-") else args.assignee
    if args.label is not None:
        fields["labels"] = args.label
    if not fields:
        raise InvalidInput("nothing to change: give at least one of --title, --type, --priority, ...")
    patch = parse(CardPatch, fields, "edit")
    store = _open(args)
    card = store.edit_card(args.id, patch, expected_version=args.if_version)
    if args.json:
        _print_json(card.model_dump(mode="json"))
    else:
        print(f"card #{card.id} is now version {card.version}")
    return 0


def cmd_card_rm(args: argparse.Namespace) -> int:
    store = _open(args)
    card = store.delete_card(args.id, expected_version=args.if_version)
    print(f"deleted card #{card.id} “{card.title}”")
    return 0


def cmd_column_list(args: argparse.Namespace) -> int:
    store = _open(args)
    columns = store.list_columns()
    counts = Counter(c.column for c in store.list_cards())
    if args.json:
        _print_json([{**c.model_dump(mode="json"), "count": counts.get(c.name, 0)} for c in columns])
    else:
        print(textfmt.column_rows(columns, counts))
    return 0


def cmd_column_limit(args: argparse.Namespace) -> int:
    store = _open(args)
    column = store.set_wip_limit(args.name, args.limit, expected_version=args.if_version)
    print(f"{column.name}: WIP limit {column.wip_limit or 'none'}")
    return 0


def cmd_log(args: argparse.Namespace) -> int:
    store = _open(args)
    events = store.recent_events(args.limit)
    if args.json:
        _print_json([e.model_dump(mode="json") for e in events])
    elif events:
        print(textfmt.event_rows(events))
    else:
        print("no events yet")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    store = _open(args)
    text = store.export_snapshot().model_dump_json(indent=2) + "\n"
    if args.output in (None, "-"):
        sys.stdout.write(text)
        return 0
    target = Path(args.output)
    try:
        write_atomically(target, text.encode("utf-8"))
    except OSError as error:
        raise InvalidInput(f"cannot write {target}: {error.strerror or error}") from None
    print(f"exported to {target}", file=sys.stderr)
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    try:
        raw = sys.stdin.read() if args.file == "-" else Path(args.file).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise InvalidInput(f"cannot read {args.file}: {error}") from None
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as error:
        raise InvalidInput(f"{args.file} is not valid JSON: {error}") from None
    snapshot = parse(Snapshot, data, "import file")  # validated before the database is even opened
    store = _open(args, create=True)
    try:
        store.import_snapshot(snapshot)
    except OverflowError:  # a whole number the model takes but SQLite cannot store; rolled back
        raise InvalidInput(
            f"{args.file}: a number in it is beyond what the database stores (at most 2**63 - 1);"
            " nothing was imported"
        ) from None
    print(
        f"imported {len(snapshot.cards)} cards, {len(snapshot.people)} people, {len(snapshot.events)} events"
    )
    return 0


def cmd_backup(args: argparse.Namespace) -> int:
    store = _open(args)
    summary = store.backup_to(Path(args.file).expanduser())
    print(f"backed up {store.location} to {summary.path}: {summary.describe()}")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from socdesk.store import restore_backup

    target, _ = resolve_db_path(args.db)
    summary = restore_backup(Path(args.file).expanduser(), target, actor=resolve_actor(args.user))
    print(f"restored {args.file} as {summary.path}: {summary.describe()}")
    return 0


def cmd_now(args: argparse.Namespace) -> int:
    from socdesk import now

    return now.run(args)


def _role(text: str) -> Role:
    try:
        return Role(text.strip().lower())
    except ValueError:
        raise InvalidInput(f"unknown role {text!r}: engineer or analyst") from None


def _roster_zone(store: Store, role: Role | None = None) -> str:
    """The zone that a time without an offset is read in: the role's rotation's, else the team's."""
    rotations = {r.role: r for r in store.list_rotations()}
    if role is not None and role in rotations:
        return rotations[role].tz
    return next(iter(rotations.values())).tz if rotations else "UTC"


def cmd_duty_show(args: argparse.Namespace) -> int:
    store = _open(args)
    at = parse_moment(args.at, zone=_roster_zone(store)) if args.at else store.clock.now()
    roster = store.get_roster(since=at)
    notes = store.list_handover_notes(limit=5)
    if args.json:
        _print_json(duty_report.as_json(roster, at, args.weeks, notes))
    else:
        print(duty_report.as_text(roster, at, args.weeks, notes))
    return 0


def cmd_duty_person_add(args: argparse.Namespace) -> int:
    roles = [_role(r).value for r in args.role]
    person = parse(
        Person,
        {"handle": args.handle, "name": args.name, "email": args.email, "roles": tuple(dict.fromkeys(roles))},
        "person",
    )
    store = _open(args)
    store.add_person(person)
    print(f"added {person.name} (@{person.handle})")
    return 0


def cmd_duty_rotation_set(args: argparse.Namespace) -> int:
    weekday, at = parse_handover(args.handover)
    members = tuple(m.strip() for m in args.members.split(",") if m.strip())
    start = _day(args.start, "--start")
    rotation = parse(
        Rotation,
        {
            "role": _role(args.role),
            "members": members,
            "shift_hours": parse_length(args.length),
            "handover_weekday": weekday,
            "handover_time": at,
            "tz": args.tz,
            "start_date": start,
        },
        "rotation",
    )
    store = _open(args)
    stored = store.set_rotation(rotation, expected_version=args.if_version)
    print(
        f"{stored.role.value} rotation (version {stored.version}): {', '.join(stored.members)};"
        f" {stored.length_text} shifts, handover {stored.handover_text} {stored.tz}"
    )
    return 0


def cmd_duty_override_add(args: argparse.Namespace) -> int:
    role = _role(args.role)
    store = _open(args)
    zone = _roster_zone(store, role)
    draft = parse(
        OverrideDraft,
        {
            "role": role,
            "person": args.handle,
            "starts_at": parse_moment(args.from_, zone=zone),
            "ends_at": parse_moment(args.to, zone=zone),
            "reason": args.reason or "",
        },
        "override",
    )
    override = store.add_override(draft)
    if args.json:
        _print_json(override.model_dump(mode="json"))
    else:
        print(
            f"added override #{override.id}: {override.person} is {role.title} {duty_report.span(override)}"
        )
    return 0


def cmd_duty_override_rm(args: argparse.Namespace) -> int:
    store = _open(args)
    removed = store.remove_override(args.id, expected_version=args.if_version)
    print("removed override " + " and ".join(f"#{o.id}" for o in removed))
    return 0


def cmd_duty_override_swap(args: argparse.Namespace) -> int:
    role = _role(args.role)
    store = _open(args)
    zone = _roster_zone(store, role)
    first, second = store.swap_shifts(
        role, parse_moment(args.at, zone=zone), parse_moment(args.with_, zone=zone), reason=args.reason or ""
    )
    print(
        f"swapped: #{first.id} {first.person} {duty_report.span(first)};"
        f" #{second.id} {second.person} {duty_report.span(second)}"
    )
    return 0


def cmd_duty_note(args: argparse.Namespace) -> int:
    role = _role(args.role)
    store = _open(args)
    note = store.add_handover_note(role, args.text)
    if args.json:
        _print_json(note.model_dump(mode="json"))
    else:
        print(
            f"handover note #{note.id} for the {role.title} handover of {textfmt.when(note.handover_at)} UTC,"
            f" listing {len(note.cards)} cards"
        )
    return 0


def cmd_duty_import_ics(args: argparse.Namespace) -> int:
    from socdesk import duty_ics

    role = _role(args.role)
    try:
        data = sys.stdin.buffer.read() if args.file == "-" else Path(args.file).read_bytes()
    except OSError as error:
        raise InvalidInput(f"cannot read {args.file}: {error}") from None
    store = _open(args)
    drafts = duty_ics.parse_ics(
        data, role=role, roster=store.get_roster(), now=store.clock.now(), source=args.file
    )
    added = store.import_overrides(drafts, source=args.file)
    print(f"imported {len(added)} shifts as {role.title} overrides from {args.file}")
    return 0


def cmd_duty_export_ics(args: argparse.Namespace) -> int:
    from socdesk import duty_ics

    role = _role(args.role)
    store = _open(args)
    data = duty_ics.export_ics(store.get_roster(), role=role, start=store.clock.now(), weeks=args.weeks)
    if args.output in (None, "-"):
        sys.stdout.buffer.write(data)
        return 0
    try:
        write_atomically(Path(args.output), data)
    except OSError as error:
        raise InvalidInput(f"cannot write {args.output}: {error.strerror or error}") from None
    print(f"exported {role.title} shifts to {args.output}", file=sys.stderr)
    return 0


# ---------------------------------------------------------------------- handshake


def _minutes(text: str) -> int:
    """A whole number for ``extend``; its range (1..30) is the domain's to check (exit 1, not 2)."""
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number of minutes, got {text!r}") from None


def _intake(store: Store) -> int:
    return sum(not t.deferred for t in store.list_topics())


def cmd_handshake_topic_add(args: argparse.Namespace) -> int:
    from socdesk import handshake_report

    store = _open(args)
    topic = store.add_topic(args.text)
    # Read back where it is now: the intake first, then the running meeting, so that a meeting
    # started by someone else in between is seen taking it up rather than missed.
    waiting = [t for t in store.list_topics() if not t.deferred]
    running = store.current_meeting()
    agenda = store.get_agenda()
    in_meeting = None if running is None else running.topic(topic.id)
    taken = in_meeting is not None
    topic = in_meeting or topic
    ids = [t.id for t in waiting]
    position = ids.index(topic.id) + 1 if topic.id in ids else len(ids)
    if args.json:
        _print_json(
            {
                **topic.model_dump(mode="json"),
                "position": None if taken else position,
                "cap": agenda.topic_cap,
                "running_meeting_id": None if running is None else running.meeting.id,
            }
        )
    else:
        print(handshake_report.topic_added_text(topic, position, agenda, running))
    return 0


def cmd_handshake_topic_list(args: argparse.Namespace) -> int:
    from socdesk import handshake_report

    store = _open(args)
    topics, agenda, running = store.list_topics(), store.get_agenda(), store.current_meeting()
    if args.json:
        _print_json(handshake_report.topics_json(topics, agenda, running))
    else:
        print(handshake_report.topics_text(topics, agenda, running))
    return 0


def cmd_handshake_topic_defer(args: argparse.Namespace) -> int:
    store = _open(args)
    topic = store.defer_topic(args.id)
    print(f"topic #{topic.id} moved to a later week: it returns to the intake after the next handshake ends")
    return 0


def cmd_handshake_start(args: argparse.Namespace) -> int:
    from socdesk import handshake_report

    store = _open(args)
    record = store.start_meeting()
    print(handshake_report.start_text(record, store.clock.now()))
    return 0


def _timer_command(act_name: str) -> Handler:
    def run(args: argparse.Namespace) -> int:
        from socdesk import handshake_report
        from socdesk.domain.timer import Act

        store = _open(args)
        record = store.meeting_timer(Act(act_name), minutes=getattr(args, "minutes", 0))
        print(handshake_report.status_line(record, store.clock.now()))
        return 0

    run.__name__ = f"cmd_handshake_{act_name}"
    return run


def cmd_handshake_end(args: argparse.Namespace) -> int:
    from socdesk.minutes_publish import close_meeting
    from socdesk.settings import load_config

    config = load_config()  # a broken config.toml is refused before the meeting is touched
    store = _open(args)
    closed = close_meeting(store, config)
    meeting = closed.record.meeting
    ran = (meeting.ended_at or meeting.started_at) - meeting.started_at
    print(f"handshake {meeting.id} ended after {int(ran.total_seconds() // 60)} min")
    if closed.path is not None:
        print(f"minutes written to {closed.path}")
    if closed.problem is not None:
        print(
            f"warning: {closed.problem}; `socdesk handshake minutes {meeting.id}` prints them",
            file=sys.stderr,
        )
    published = closed.published
    if published is not None:
        if published.ok:
            print(f"published with `{published.command}` (exit 0)")
        else:
            code = "could not run" if published.exit_code is None else f"exit {published.exit_code}"
            detail = published.output.strip().splitlines()[-1:] if published.output.strip() else []
            print(
                f"warning: publishing with `{published.command}` failed ({code})"
                + (f": {detail[0]}" if detail else ""),
                file=sys.stderr,
            )
    return 0


def cmd_handshake_status(args: argparse.Namespace) -> int:
    from socdesk import handshake_report

    store = _open(args)
    record, agenda = store.current_meeting(), store.get_agenda()
    intake, now = _intake(store), store.clock.now()
    if args.json:
        _print_json(handshake_report.status_json(record, agenda, intake, now))
    else:
        print(handshake_report.status_text(record, agenda, intake, now))
    return 0


def cmd_handshake_minutes(args: argparse.Namespace) -> int:
    from socdesk import minutes

    store = _open(args)
    record = store.get_meeting(args.meeting_id)
    if args.format == "json":
        text = json.dumps(minutes.minutes_json(record), indent=2, ensure_ascii=False) + "\n"
    else:
        text = minutes.render_markdown(record)
        text = text if text.endswith("\n") else text + "\n"
    if args.output in (None, "-"):
        sys.stdout.write(text)
        return 0
    target = Path(args.output)
    try:
        write_atomically(target, text.encode("utf-8"))
    except OSError as error:
        raise InvalidInput(f"cannot write {target}: {error.strerror or error}") from None
    print(f"minutes of handshake {record.meeting.id} written to {target}", file=sys.stderr)
    return 0


def cmd_handshake_list(args: argparse.Namespace) -> int:
    from socdesk import handshake_report

    store = _open(args)
    meetings = store.list_meetings()
    counts = Counter({m.id: len(store.get_meeting(m.id).all_topics()) for m in meetings})
    if args.json:
        _print_json(handshake_report.meetings_json(meetings, counts))
    else:
        print(handshake_report.meetings_text(meetings, counts))
    return 0


def cmd_handshake_note(args: argparse.Namespace) -> int:
    store = _open(args)
    entry = store.meeting_note(args.text)
    record = store.get_meeting(entry.meeting_id)
    sections = record.meeting.agenda.sections
    where = "" if entry.section is None else f" on {entry.section + 1}. {sections[entry.section].title}"
    print(f"note added to handshake {entry.meeting_id}{where}")
    return 0


def cmd_handshake_agenda_show(args: argparse.Namespace) -> int:
    from socdesk import handshake_report

    agenda = _open(args).get_agenda()
    if args.toml:
        sys.stdout.write(agenda.to_toml())
    else:
        print(handshake_report.agenda_text(agenda))
    return 0


def cmd_handshake_agenda_set(args: argparse.Namespace) -> int:
    from socdesk.domain.handshake import Agenda

    try:
        raw = sys.stdin.read() if args.file == "-" else Path(args.file).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise InvalidInput(f"cannot read {args.file}: {error}") from None
    source = "standard input" if args.file == "-" else args.file
    agenda = Agenda.from_toml(raw, source=source)  # checked before the database is opened
    store = _open(args)
    before = store.get_agenda()
    stored = store.set_agenda(agenda)
    state = "unchanged" if stored == before else "saved"
    print(
        f"agenda {state} (version {stored.version}): {len(stored.sections)} sections,"
        f" {int(stored.total.total_seconds() // 60)} min, {stored.schedule_text()}"
    )
    return 0


# ---------------------------------------------------------------------- retro and report


def _whole(text: str) -> int:
    """A whole number; its range is the domain's to check (exit 1, not 2)."""
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None


def _day(text: str, flag: str) -> date:
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(f"{flag} {text!r}: give a date as YYYY-MM-DD") from None
    if problem := day_problem(day):
        raise InvalidInput(f"{flag} {problem}")
    return day


def _dates(args: argparse.Namespace) -> tuple[date | None, date | None]:
    """--from and --to as given (checked before the database is opened)."""
    start = None if args.from_ is None else _day(args.from_, "--from")
    end = None if args.to is None else _day(args.to, "--to")
    return start, end


def _period(store: Store, start: date | None, end: date | None) -> tuple[date, date]:
    """A missing end is today (in the team's time zone), a missing start 28 days before the end."""
    from socdesk.mix_review import default_period, team_zone

    if end is None:
        end = store.clock.now().astimezone(team_zone(store)).date()
    if start is None:
        start = default_period(end)[0]
    return start, end


def _note_column(text: str) -> NoteColumn:
    try:
        return NoteColumn(text.strip().lower())
    except ValueError:
        names = ", ".join(c.value for c in NoteColumn)
        raise InvalidInput(f"unknown column {text!r}: one of {names}") from None


def _phase(text: str) -> Phase:
    try:
        return Phase(text.strip().lower())
    except ValueError:
        names = ", ".join(p.value for p in Phase)
        raise InvalidInput(f"unknown phase {text!r}: one of {names}") from None


def _retro_mix(store: Store, record: RetroRecord) -> MixReport | None:
    """The work mix of the retro's period (as of its close, once closed); None, with a warning, if none."""
    from socdesk.mix_review import review_mix

    retro = record.retro
    try:
        return review_mix(store, retro.period_from, retro.period_to, now=retro.closed_at)
    except InvalidInput as error:
        print(f"warning: the summary has no work mix: {error}", file=sys.stderr)
        return None


def _summary(store: Store, record: RetroRecord, form: str) -> str:
    from socdesk import retro_summary

    previous = store.previous_actions(record.retro.id)
    mix = _retro_mix(store, record)
    tz = store.get_agenda().tz
    if form == "json":
        return json.dumps(retro_summary.summary_json(record, previous, mix, tz), indent=2, ensure_ascii=False)
    return retro_summary.render_markdown(record, previous, mix, tz)


def _emit(text: str, output: str | None, what: str) -> None:
    """Print ``text``, or write it to ``output`` (``-``: print) and say so on stderr."""
    text = text if text.endswith("\n") else text + "\n"
    if output in (None, "-"):
        sys.stdout.write(text)
        return
    target = Path(output)
    try:
        write_atomically(target, text.encode("utf-8"))
    except OSError as error:
        raise InvalidInput(f"cannot write {target}: {error.strerror or error}") from None
    print(f"{what} written to {target}", file=sys.stderr)


def cmd_retro_start(args: argparse.Namespace) -> int:
    from socdesk import retro_report

    start, end = _dates(args)
    store = _open(args)
    period_from, period_to = _period(store, start, end)
    fields: dict[str, Any] = {
        "title": args.title,
        "objectives": args.objectives,
        "period_from": period_from,
        "period_to": period_to,
        "anonymous": args.anonymous,
        "hide_notes": not args.show_notes,
    }
    if args.votes is not None:
        fields["vote_budget"] = args.votes
    record = store.start_retro(parse(RetroDraft, fields, "retro"))
    if args.json:
        _print_json(retro_report.status_json(record, store.actor, store.clock.now()))
    else:
        print(retro_report.started_text(record))
    return 0


def cmd_retro_note_add(args: argparse.Namespace) -> int:
    from socdesk import retro_report

    column = _note_column(args.column)
    store = _open(args)
    note = store.add_note(column, args.text)
    if args.json:
        _print_json(retro_report.note_json(note))
    else:
        print(retro_report.note_added_text(note, store.get_retro(note.retro_id)))
    return 0


def _vote_command(taken_back: bool) -> Handler:
    def run(args: argparse.Namespace) -> int:
        from socdesk import retro_report

        store = _open(args)
        target = {"theme_id": args.id} if args.theme else {"note_id": args.id}
        vote = store.unvote(**target) if taken_back else store.vote(**target)
        record = store.get_retro(vote.retro_id)
        if args.json:
            _print_json(retro_report.vote_json(vote, record, store.actor, taken_back=taken_back))
        else:
            print(retro_report.vote_text(vote, record, store.actor, taken_back=taken_back))
        return 0

    run.__name__ = "cmd_retro_unvote" if taken_back else "cmd_retro_vote"
    return run


def cmd_retro_theme_add(args: argparse.Namespace) -> int:
    from socdesk import retro_report

    store = _open(args)
    theme = store.add_theme(args.name, args.note_ids)
    record = store.get_retro(theme.retro_id)
    if args.json:
        _print_json(retro_report.theme_json(theme, record))
    else:
        print(retro_report.theme_added_text(theme, record))
    return 0


def cmd_retro_phase(args: argparse.Namespace) -> int:
    from socdesk import retro_report
    from socdesk.settings import load_config

    phase = _phase(args.phase)
    config = load_config() if phase is Phase.CLOSED else None  # a broken config.toml is refused first
    store = _open(args)
    before = store.current_retro()
    record = store.set_retro_phase(phase, closing_notes=args.notes)
    if before is not None and record.retro.version == before.retro.version:
        print(f"retro {record.retro.id} is already in the {phase.value} phase")
        return 0
    print(retro_report.phase_text(record))
    if config is not None:
        _write_closed_summary(store, record, config.minutes_dir)
    return 0


def _write_closed_summary(store: Store, record: RetroRecord, directory: Path) -> None:
    from socdesk.retro_summary import write_summary

    markdown = _summary(store, record, "md")
    try:
        path = write_summary(record, markdown, directory)
    except OSError as error:
        print(
            f"warning: could not write the summary to {directory}: {error.strerror or error};"
            f" `socdesk retro summary {record.retro.id}` prints it",
            file=sys.stderr,
        )
        return
    print(f"summary written to {path}")


def cmd_retro_action_add(args: argparse.Namespace) -> int:
    from socdesk import retro_report

    draft = parse(
        ActionDraft,
        {"text": args.text, "owner": args.owner, "due": _day(args.due, "--due"), "type": args.type},
        "action",
    )
    store = _open(args)
    action = store.add_retro_action(draft)
    if args.json:
        _print_json(retro_report.action_json(action))
    else:
        print(retro_report.action_added_text(action))
    return 0


def cmd_retro_summary(args: argparse.Namespace) -> int:
    store = _open(args)
    record = store.get_retro(args.retro_id)
    _emit(_summary(store, record, args.format), args.output, f"summary of retro {record.retro.id}")
    return 0


def cmd_retro_status(args: argparse.Namespace) -> int:
    from socdesk import retro_report

    store = _open(args)
    record, now = store.current_retro(), store.clock.now()
    if args.json:
        _print_json(retro_report.status_json(record, store.actor, now))
    else:
        print(retro_report.status_text(record, store.actor, now))
    return 0


def cmd_report_mix(args: argparse.Namespace) -> int:
    from socdesk import mix_report
    from socdesk.mix_review import review_mix

    start, end = _dates(args)
    store = _open(args)
    report = review_mix(store, *_period(store, start, end))
    if args.format == "json":
        text = json.dumps(mix_report.mix_json(report), indent=2, ensure_ascii=False)
    elif args.format == "md":
        text = mix_report.mix_markdown(report)
    else:
        text = mix_report.mix_table(report)
    _emit(text, None, "work mix")
    return 0


# ---------------------------------------------------------------------- parser


def _common() -> argparse.ArgumentParser:
    """--db and --user, accepted before or after the command."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--db", metavar="PATH", default=argparse.SUPPRESS, help="database file (env SOCDESK_DB)"
    )
    common.add_argument(
        "--user", metavar="NAME", default=argparse.SUPPRESS, help="who is acting (env SOCDESK_USER)"
    )
    return common


def build_parser() -> argparse.ArgumentParser:
    common = _common()
    parser = argparse.ArgumentParser(
        prog="socdesk",
        parents=[common],
        description="The SOC team console. With no command, opens the console.",
    )
    parser.add_argument("--version", action="version", version=f"socdesk {__version__}")
    parser.add_argument(
        "--theme",
        dest="console_theme",  # `retro vote --theme` is another option of the same name
        metavar="NAME",
        help="the console's colours for this run (a theme picked in the palette is remembered)",
    )
    parser.add_argument(
        "--wallboard", action="store_true", help="read-only console for a wall screen: Board, Duty, Handshake"
    )
    parser.add_argument(
        "--cycle", type=positive, metavar="SECONDS", help="with --wallboard: seconds per view (default 20)"
    )
    parser.set_defaults(handler=cmd_console)
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")

    def command(sub: Any, name: str, handler: Handler, help: str) -> argparse.ArgumentParser:
        p: argparse.ArgumentParser = sub.add_parser(name, parents=[common], help=help, description=help)
        p.set_defaults(handler=handler)
        return p

    def json_flag(p: argparse.ArgumentParser) -> None:
        p.add_argument("--json", action="store_true", help="machine-readable output")

    def if_version(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--if-version", type=positive, metavar="N", help="refuse if the card is no longer version N"
        )

    init = command(commands, "init", cmd_init, "create or upgrade the database")
    init.add_argument("--sample", action="store_true", help="load the sample team from sample_data/")
    init.add_argument(
        "--shared",
        metavar="GROUP",
        help="for a team on one host: the database's directory gets GROUP and mode 2770 (setgid), the "
        "file and its -wal/-shm GROUP and mode 660, so every member can open it (run as root or a member)",
    )
    doctor = command(
        commands,
        "doctor",
        cmd_doctor,
        "check the database and its set-up, changing nothing: SQLite version, WAL, integrity, schema, "
        "ownership and modes for group use, -wal/-shm, network filesystem, free disk. Exit 0 when "
        "nothing fails (warnings allowed), 1 when a check fails, with the fix printed",
    )
    json_flag(doctor)

    card = commands.add_parser("card", help="add, list, show, move, edit and remove cards")
    cards = card.add_subparsers(title="card commands", metavar="ACTION", required=True)
    # Field values are checked by the domain (exit 1 with a clear message), not by argparse (exit 2).
    types = "{" + ",".join(t.value for t in WorkType) + "}"
    priorities = "{" + ",".join(p.value for p in Priority) + "}"
    kinds = "{" + ",".join(k.value for k in Kind) + "}"

    add = command(cards, "add", cmd_card_add, "add a card at the end of a column (default: Backlog)")
    add.add_argument("title")
    add.add_argument("--type", required=True, metavar=types)
    add.add_argument("--column", metavar="C")
    add.add_argument("--priority", metavar=priorities, default="medium")
    add.add_argument("--kind", metavar=kinds, default="task")
    add.add_argument("--assignee", metavar="HANDLE")
    add.add_argument("--description", metavar="TEXT", default="")
    add.add_argument("--security", action="store_true", help="flag as security-sensitive")
    add.add_argument("--label", action="append", default=[], metavar="L")
    add.add_argument("--force", action="store_true", help="add past the column's WIP limit (needs --reason)")
    add.add_argument("--reason", metavar="TEXT")
    json_flag(add)

    lst = command(cards, "list", cmd_card_list, "list cards, board order")
    lst.add_argument("--column", metavar="C")
    lst.add_argument("--type", metavar=types)
    lst.add_argument("--assignee", metavar="HANDLE")
    json_flag(lst)

    show = command(cards, "show", cmd_card_show, "one card with its history")
    show.add_argument("id", type=positive)
    json_flag(show)

    move = command(cards, "move", cmd_card_move, "move a card to the end of another column")
    move.add_argument("id", type=positive)
    move.add_argument("--to", required=True, metavar="COLUMN")
    move.add_argument("--force", action="store_true", help="move past the WIP limit (needs --reason)")
    move.add_argument("--reason", metavar="TEXT")
    if_version(move)

    edit = command(cards, "edit", cmd_card_edit, "change a card's fields")
    edit.add_argument("id", type=positive)
    edit.add_argument("--title")
    edit.add_argument("--type", metavar=types)
    edit.add_argument("--priority", metavar=priorities)
    edit.add_argument("--kind", metavar=kinds)
    edit.add_argument("--assignee", metavar="HANDLE", help="a handle, or 'none' to unassign")
    edit.add_argument("--description", metavar="TEXT")
    edit.add_argument("--security", action=argparse.BooleanOptionalAction, default=None)
    edit.add_argument("--label", action="append", metavar="L", help="replace the labels (repeatable)")
    if_version(edit)
    json_flag(edit)

    rm = command(cards, "rm", cmd_card_rm, "delete a card (its history stays in the log)")
    rm.add_argument("id", type=positive)
    if_version(rm)

    column = commands.add_parser("column", help="columns and their WIP limits")
    columns = column.add_subparsers(title="column commands", metavar="ACTION", required=True)
    clist = command(columns, "list", cmd_column_list, "columns with card counts and WIP limits")
    json_flag(clist)
    climit = command(columns, "limit", cmd_column_limit, "set or clear a column's WIP limit")
    climit.add_argument("name")
    climit.add_argument("limit", type=_limit, metavar="N|none")
    climit.add_argument(
        "--if-version", type=positive, metavar="N", help="refuse if the column changed meanwhile"
    )

    log = command(commands, "log", cmd_log, "the event log, newest first")
    log.add_argument("--limit", type=positive, default=50, metavar="N")
    json_flag(log)

    export = command(commands, "export", cmd_export, "the whole database as JSON")
    export.add_argument("--output", "-o", metavar="FILE")

    imp = command(commands, "import", cmd_import, "load an export into an empty database (all or nothing)")
    imp.add_argument("file", metavar="FILE", help="a socdesk export, or - for standard input")

    backup = command(
        commands,
        "backup",
        cmd_backup,
        "a consistent copy of the database while others keep working (SQLite's online backup)",
    )
    backup.add_argument("file", metavar="FILE", help="the backup to write (a new file)")
    restore = command(
        commands, "restore", cmd_restore, "a backup as a new database (--db): checked, all or nothing"
    )
    restore.add_argument("file", metavar="FILE", help="a file written by `socdesk backup`")

    from socdesk import now, serve

    now_cmd = command(commands, "now", cmd_now, "who is on duty and on call now (one line, for prompts)")
    now.add_arguments(now_cmd)
    serve_cmd = command(commands, "serve", serve.run, "the console in a web browser (loopback by default)")
    serve.add_arguments(serve_cmd)
    _duty_commands(commands, command, json_flag)
    _handshake_commands(commands, command, json_flag)
    _retro_commands(commands, command, json_flag)
    _report_commands(commands, command)
    return parser


def _duty_commands(commands: Any, command: Any, json_flag: Callable[[argparse.ArgumentParser], None]) -> None:
    roles = "{engineer,analyst}"
    duty = commands.add_parser("duty", help="rotations, overrides, swaps, handover notes, iCalendar")
    duties = duty.add_subparsers(title="duty commands", metavar="ACTION", required=True)

    show = command(duties, "show", cmd_duty_show, "who is on now, the next weeks, overrides and notes")
    show.add_argument("--at", metavar="ISO-TIME", help="as of this moment (default: now)")
    show.add_argument("--weeks", type=_weeks, default=4, metavar="N", help=f"1 to {MAX_WEEKS}")
    json_flag(show)

    person = duties.add_parser("person", help="people who can hold a role")
    people = person.add_subparsers(title="person commands", metavar="ACTION", required=True)
    padd = command(people, "add", cmd_duty_person_add, "add a person")
    padd.add_argument("handle")
    padd.add_argument("--name", required=True)
    padd.add_argument("--email", metavar="ADDR")
    padd.add_argument("--role", action="append", default=[], metavar=roles)

    rotation = duties.add_parser("rotation", help="who takes turns in a role")
    rotations = rotation.add_subparsers(title="rotation commands", metavar="ACTION", required=True)
    rset = command(rotations, "set", cmd_duty_rotation_set, "create or replace a role's rotation")
    rset.add_argument("role", metavar=roles)
    rset.add_argument("--members", required=True, metavar="a,b,c", help="handles in shift order")
    rset.add_argument("--length", required=True, metavar="7d|12h", help="shift length")
    rset.add_argument("--handover", required=True, metavar="'mon 09:00'", help="weekday and local time")
    rset.add_argument("--tz", required=True, metavar="ZONE", help="IANA time zone, e.g. Europe/London")
    rset.add_argument("--start", required=True, metavar="YYYY-MM-DD", help="the rotation's first day")
    rset.add_argument("--if-version", type=positive, metavar="N", help="refuse if the rotation changed")

    override = duties.add_parser("override", help="someone covers a role for a while; swaps")
    overrides = override.add_subparsers(title="override commands", metavar="ACTION", required=True)
    oadd = command(overrides, "add", cmd_duty_override_add, "someone covers a role from one time to another")
    oadd.add_argument("role", metavar=roles)
    oadd.add_argument("handle")
    oadd.add_argument("--from", dest="from_", required=True, metavar="ISO", help="start (no offset: local)")
    oadd.add_argument("--to", required=True, metavar="ISO", help="end (no offset: the rotation's zone)")
    oadd.add_argument("--reason", metavar="TEXT")
    json_flag(oadd)
    orm = command(overrides, "rm", cmd_duty_override_rm, "remove an override (both halves of a swap)")
    orm.add_argument("id", type=positive)
    orm.add_argument("--if-version", type=positive, metavar="N", help="refuse if the override changed")
    oswap = command(overrides, "swap", cmd_duty_override_swap, "two people trade shifts")
    oswap.add_argument("role", metavar=roles)
    oswap.add_argument("--at", required=True, metavar="ISO", help="a moment in the first shift")
    oswap.add_argument("--with", dest="with_", required=True, metavar="ISO", help="a moment in the other")
    oswap.add_argument("--reason", metavar="TEXT")

    note = command(duties, "note", cmd_duty_note, "write the handover note (lists open cards itself)")
    note.add_argument("role", metavar=roles)
    note.add_argument("text")
    json_flag(note)

    imp = command(duties, "import-ics", cmd_duty_import_ics, "on-call shifts from an iCalendar file")
    imp.add_argument("file", metavar="FILE", help="an .ics file, or - for standard input")
    imp.add_argument("--role", required=True, metavar=roles)
    exp = command(duties, "export-ics", cmd_duty_export_ics, "the next weeks' shifts as iCalendar")
    exp.add_argument("--role", required=True, metavar=roles)
    exp.add_argument("--output", "-o", metavar="FILE")
    exp.add_argument("--weeks", type=_weeks, default=4, metavar="N", help=f"1 to {MAX_WEEKS}")


def _handshake_commands(
    commands: Any, command: Any, json_flag: Callable[[argparse.ArgumentParser], None]
) -> None:
    handshake = commands.add_parser("handshake", help="the weekly SOC-engineering handshake")
    actions = handshake.add_subparsers(title="handshake commands", metavar="ACTION", required=True)

    topic = actions.add_parser("topic", help="submit, list and defer topics for the next handshake")
    topics = topic.add_subparsers(title="topic commands", metavar="ACTION", required=True)
    tadd = command(topics, "add", cmd_handshake_topic_add, "submit a topic for the next handshake")
    tadd.add_argument("text")
    json_flag(tadd)
    tlist = command(topics, "list", cmd_handshake_topic_list, "the intake and the topics moved to later")
    json_flag(tlist)
    tdefer = command(topics, "defer", cmd_handshake_topic_defer, "move a waiting topic to next week")
    tdefer.add_argument("id", type=positive)

    command(actions, "start", cmd_handshake_start, "start the handshake (its intake of topics closes)")
    for name, text in (
        ("next", "go on to the next section"),
        ("prev", "go back to the previous section"),
        ("pause", "pause the clock"),
        ("resume", "resume the clock"),
    ):
        command(actions, name, _timer_command(name), text)
    extend = command(actions, "extend", _timer_command("extend"), "give the current section more time")
    extend.add_argument("minutes", type=_minutes, metavar="MINUTES", help="1 to 30")
    command(actions, "end", cmd_handshake_end, "end the handshake, write and publish its minutes")

    status = command(actions, "status", cmd_handshake_status, "the clock: section, time left, projected end")
    json_flag(status)
    minutes = command(
        actions, "minutes", cmd_handshake_minutes, "a handshake's minutes (default: the latest)"
    )
    minutes.add_argument("meeting_id", nargs="?", type=positive, metavar="MEETING_ID")
    minutes.add_argument("--format", choices=["md", "json"], default="md")
    minutes.add_argument("--output", "-o", metavar="FILE")
    hlist = command(actions, "list", cmd_handshake_list, "handshakes held, newest first")
    json_flag(hlist)
    note = command(actions, "note", cmd_handshake_note, "a facilitator's note on the current section")
    note.add_argument("text")

    agenda = actions.add_parser("agenda", help="the team's agenda: sections, schedule, topic cap")
    agendas = agenda.add_subparsers(title="agenda commands", metavar="ACTION", required=True)
    ashow = command(agendas, "show", cmd_handshake_agenda_show, "the team's agenda")
    ashow.add_argument("--toml", action="store_true", help="as TOML, ready to edit and set")
    aset = command(agendas, "set", cmd_handshake_agenda_set, "share an agenda from a TOML file")
    aset.add_argument("file", metavar="FILE", help="a TOML agenda, or - for standard input")


def _period_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--from",
        dest="from_",
        metavar="YYYY-MM-DD",
        help="the period's first day (default: 27 days before its last, so 28 days in all)",
    )
    p.add_argument(
        "--to", metavar="YYYY-MM-DD", help="the period's last day (default: today, team time zone)"
    )


def _retro_commands(
    commands: Any, command: Any, json_flag: Callable[[argparse.ArgumentParser], None]
) -> None:
    retro = commands.add_parser("retro", help="the team's retrospective: notes, themes, votes, actions")
    actions = retro.add_subparsers(title="retro commands", metavar="ACTION", required=True)
    columns = "{" + ",".join(c.value for c in NoteColumn) + "}"
    phases = "{" + ",".join(p.value for p in Phase) + "}"
    types = "{" + ",".join(t.value for t in WorkType) + "}"

    start = command(actions, "start", cmd_retro_start, "start a retro of a period; you facilitate it")
    start.add_argument("title", metavar="TITLE")
    _period_flags(start)
    start.add_argument("--votes", type=_whole, metavar="N", help="dot votes per person, 1 to 20 (default 3)")
    start.add_argument("--anonymous", action="store_true", help="store no author with the notes")
    start.add_argument("--objectives", metavar="TEXT", default="", help="what this retro is for")
    start.add_argument(
        "--show-notes",
        action="store_true",
        help="show notes as they are written (default: hidden from others until the group phase)",
    )
    json_flag(start)

    note = actions.add_parser("note", help="write notes")
    notes = note.add_subparsers(title="note commands", metavar="ACTION", required=True)
    nadd = command(notes, "add", cmd_retro_note_add, "add a note to a column (write and group phases)")
    nadd.add_argument("column", metavar=columns)
    nadd.add_argument("text", metavar="TEXT")
    json_flag(nadd)

    for name, taken_back, text in (
        ("vote", False, "put one of your votes on a note or theme (vote phase)"),
        ("unvote", True, "take one of your votes back from a note or theme (vote phase)"),
    ):
        vote = command(actions, name, _vote_command(taken_back), text)
        vote.add_argument("id", type=positive, metavar="NOTE_ID")
        vote.add_argument("--theme", action="store_true", help="the id is a theme's")
        json_flag(vote)

    theme = actions.add_parser("theme", help="group notes into themes")
    themes = theme.add_subparsers(title="theme commands", metavar="ACTION", required=True)
    tadd = command(themes, "add", cmd_retro_theme_add, "make a theme of some notes (group phase)")
    tadd.add_argument("name", metavar="NAME")
    tadd.add_argument("note_ids", nargs="+", type=positive, metavar="NOTE_ID")
    json_flag(tadd)

    phase = command(
        actions,
        "phase",
        cmd_retro_phase,
        "move the retro to a phase (the facilitator); closed also writes the summary to the minutes dir",
    )
    phase.add_argument("phase", metavar=phases)
    phase.add_argument("--notes", metavar="TEXT", help="the facilitator's closing notes (with closed)")

    action = actions.add_parser("action", help="agree action items (each goes on the board as a card)")
    action_commands = action.add_subparsers(title="action commands", metavar="ACTION", required=True)
    aadd = command(
        action_commands, "add", cmd_retro_action_add, "agree an action: a card linked to the retro (actions)"
    )
    aadd.add_argument("text", metavar="TEXT", help="what is to be done (the card's title)")
    aadd.add_argument("--owner", required=True, metavar="HANDLE", help="who follows it up (a person)")
    aadd.add_argument("--due", required=True, metavar="YYYY-MM-DD", help="when to follow it up")
    aadd.add_argument("--type", metavar=types, default=WorkType.ENGINEERING.value)
    json_flag(aadd)

    summary = command(actions, "summary", cmd_retro_summary, "a retro's summary (default: the latest)")
    summary.add_argument("retro_id", nargs="?", type=positive, metavar="RETRO_ID")
    summary.add_argument("--format", choices=["md", "json"], default="md")
    summary.add_argument("--output", "-o", metavar="FILE")

    status = command(
        actions, "status", cmd_retro_status, "the open retro: phase, timer, counts, your votes left"
    )
    json_flag(status)


def _report_commands(commands: Any, command: Any) -> None:
    report = commands.add_parser("report", help="reports on the board's work")
    reports = report.add_subparsers(title="report commands", metavar="REPORT", required=True)
    mix = command(
        reports,
        "mix",
        cmd_report_mix,
        "the work mix and flow of a period (default: the 28 days ending today): created and done per"
        " type, unplanned share against the previous period, weekly trend, ageing, cumulative flow",
    )
    _period_flags(mix)
    mix.add_argument(
        "--format",
        choices=["table", "md", "json"],
        default="table",
        help="plain table (default), Markdown or JSON",
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    args.db = getattr(args, "db", None)
    args.user = getattr(args, "user", None)
    handler: Handler = args.handler
    try:
        with ExitStack() as args.resources:
            return handler(args)
    except WipLimitReached as error:
        print(f"error: {error}; add --force --reason TEXT to go past it", file=sys.stderr)
        return 1
    except SocdeskError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
