"""The `socdesk` command. A stable contract for scripts: errors are one `error:` line, exit 1; usage exits 2.

Only the console command imports textual; everything else stays fast enough for shell prompts and cron.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from collections import Counter
from collections.abc import Callable, Sequence
from contextlib import ExitStack, closing
from pathlib import Path
from typing import Any

from socdesk import __version__, textfmt
from socdesk.domain.errors import InvalidInput, SocdeskError, WipLimitReached
from socdesk.domain.models import CardDraft, CardPatch, Kind, Priority, WorkType
from socdesk.domain.snapshot import Snapshot
from socdesk.domain.validation import parse
from socdesk.domain.wip import parse_wip_limit
from socdesk.settings import resolve_actor, resolve_db_path
from socdesk.store import Store, open_store

Handler = Callable[[argparse.Namespace], int]


def _print_json(value: Any) -> None:
    print(json.dumps(value, indent=2, ensure_ascii=False))


def _open(args: argparse.Namespace, *, create: bool = False) -> Store:
    """Open the database for this command; ``main`` closes it when the command ends."""
    path, _ = resolve_db_path(args.db)
    stack: ExitStack = args.resources
    return stack.enter_context(closing(open_store(path, actor=resolve_actor(args.user), create=create)))


def _limit(text: str) -> int | None:
    try:
        return parse_wip_limit(text)
    except InvalidInput as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected at least 1, got {value}")
    return value


# ---------------------------------------------------------------------- commands


def cmd_console(args: argparse.Namespace) -> int:
    from socdesk.sample import load_sample

    path, is_default = resolve_db_path(args.db)
    first_run = not path.exists()
    store = _open(args, create=True)
    if first_run and is_default:
        load_sample(store)
    from socdesk.ui.app import run_console  # textual is imported only here

    return run_console(store)


def cmd_init(args: argparse.Namespace) -> int:
    from socdesk.sample import load_sample

    path, _ = resolve_db_path(args.db)
    existed = path.exists() and path.stat().st_size > 0
    store = _open(args, create=True)
    if args.sample:
        snapshot = load_sample(store)
        print(f"loaded sample data: {len(snapshot.people)} people, {len(snapshot.cards)} cards")
    print(f"{'database ready at' if existed else 'created'} {path}")
    return 0


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
    # Write beside the target and rename: a reader never sees half a file.
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent or ".")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
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
    store.import_snapshot(snapshot)
    print(
        f"imported {len(snapshot.cards)} cards, {len(snapshot.people)} people, {len(snapshot.events)} events"
    )
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
            "--if-version", type=_positive, metavar="N", help="refuse if the card is no longer version N"
        )

    init = command(commands, "init", cmd_init, "create or upgrade the database")
    init.add_argument("--sample", action="store_true", help="load the sample team from sample_data/")

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
    show.add_argument("id", type=_positive)
    json_flag(show)

    move = command(cards, "move", cmd_card_move, "move a card to the end of another column")
    move.add_argument("id", type=_positive)
    move.add_argument("--to", required=True, metavar="COLUMN")
    move.add_argument("--force", action="store_true", help="move past the WIP limit (needs --reason)")
    move.add_argument("--reason", metavar="TEXT")
    if_version(move)

    edit = command(cards, "edit", cmd_card_edit, "change a card's fields")
    edit.add_argument("id", type=_positive)
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
    rm.add_argument("id", type=_positive)
    if_version(rm)

    column = commands.add_parser("column", help="columns and their WIP limits")
    columns = column.add_subparsers(title="column commands", metavar="ACTION", required=True)
    clist = command(columns, "list", cmd_column_list, "columns with card counts and WIP limits")
    json_flag(clist)
    climit = command(columns, "limit", cmd_column_limit, "set or clear a column's WIP limit")
    climit.add_argument("name")
    climit.add_argument("limit", type=_limit, metavar="N|none")
    climit.add_argument(
        "--if-version", type=_positive, metavar="N", help="refuse if the column changed meanwhile"
    )

    log = command(commands, "log", cmd_log, "the event log, newest first")
    log.add_argument("--limit", type=_positive, default=50, metavar="N")
    json_flag(log)

    export = command(commands, "export", cmd_export, "the whole database as JSON")
    export.add_argument("--output", "-o", metavar="FILE")

    imp = command(commands, "import", cmd_import, "load an export into an empty database (all or nothing)")
    imp.add_argument("file", metavar="FILE", help="a socdesk export, or - for standard input")
    return parser


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
