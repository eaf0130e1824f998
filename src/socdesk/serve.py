"""``socdesk serve``: the console in a web browser, through textual-serve.

Each browser tab gets its own console process (``python -m socdesk --db PATH --user ACTOR``), all of
them sharing the one database like any other pane. There is no login: whoever reaches the port drives
the console as the serving user's actor. So the server binds to loopback unless told ``--public``, and
the way to reach it from a laptop is an SSH tunnel.

textual and textual_serve are imported only when the server starts, so the rest of the CLI stays fast.
"""

from __future__ import annotations

import argparse
import ipaddress
import shlex
import socket
import sys
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from socdesk.console_options import ConsoleOptions, open_console_store, positive
from socdesk.domain.errors import InvalidInput
from socdesk.settings import resolve_actor

if TYPE_CHECKING:
    from aiohttp import web
    from textual_serve.server import Server

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
TITLE = "socdesk"


def tunnel_hint(port: int) -> str:
    return f"ssh -L {port}:127.0.0.1:{port} HOST, then open http://127.0.0.1:{port}"


# ---------------------------------------------------------------------- arguments


def port_number(text: str) -> int:
    """A TCP port a server can listen on: 1..65535 (0, "any free port", would hide where it went)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a port number, got {text!r}") from None
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"a port is 1..65535, got {value}")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--host", default=DEFAULT_HOST, help=f"address to listen on (default {DEFAULT_HOST}, loopback only)"
    )
    parser.add_argument("--port", type=port_number, default=DEFAULT_PORT, help=f"default {DEFAULT_PORT}")
    parser.add_argument(
        "--public",
        action="store_true",
        help="allow a non-loopback --host: there is no authentication, prefer an SSH tunnel",
    )
    # The console's own options, under the names the top-level parser gives them and with no default
    # here, so that `socdesk --wallboard serve` and `socdesk serve --wallboard` mean the same.
    console = parser.add_argument_group("passed on to the console in the browser")
    console.add_argument(
        "--theme", dest="console_theme", metavar="NAME", default=argparse.SUPPRESS, help="colour theme"
    )
    console.add_argument(
        "--wallboard", action="store_true", default=argparse.SUPPRESS, help="the read-only wall display"
    )
    console.add_argument(
        "--cycle",
        type=positive,
        metavar="SECONDS",
        default=argparse.SUPPRESS,
        help="with --wallboard: seconds per view",
    )


# ---------------------------------------------------------------------- addresses


def is_loopback(host: str) -> bool:
    """``localhost`` or a loopback address. Other names count as reachable from elsewhere: they are not
    resolved, because what a name resolves to can change after the check."""
    name = host.strip().strip("[]").rstrip(".").lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def is_wildcard(host: str) -> bool:
    """``0.0.0.0`` / ``::``: listening on every address, which no browser can use as a place to go."""
    try:
        return ipaddress.ip_address(host.strip("[]")).is_unspecified
    except ValueError:
        return False


def url_for(host: str, port: int) -> str:
    """The address to open: the bound host, or this machine's name when bound to every address."""
    name = socket.getfqdn() if is_wildcard(host) else host
    if ":" in name and not name.startswith("["):
        name = f"[{name}]"  # an IPv6 literal
    return f"http://{name}:{port}"


def check_exposure(host: str, port: int, public: bool) -> None:
    """Refuse a non-loopback bind unless ``--public`` says the operator knows there is no login."""
    if public or is_loopback(host):
        return
    raise InvalidInput(
        f"--host {host} is reachable from other machines and socdesk serve has no authentication;"
        f" keep the default loopback and use an SSH tunnel ({tunnel_hint(port)}), or add --public"
    )


def exposure_warning(url: str, actor: str) -> str:
    return (
        f"warning: no authentication: anyone who can reach {url} gets the console as {actor!r},"
        " with this user's access to the database. Prefer the default loopback bind and an SSH tunnel."
    )


# ---------------------------------------------------------------------- the served command


def console_command(db: Path, actor: str, options: ConsoleOptions) -> str:
    """The shell command textual-serve runs once per browser tab: this Python, this database, this actor."""
    return shlex.join([sys.executable, "-m", "socdesk", "--db", str(db), "--user", actor, *options.words()])


def prepare_database(flag: str | None, actor: str) -> Path:
    """Open the database once before serving, as the console itself would: a file that is not SQLite
    is refused here, on the terminal, instead of in every browser tab; the default file gets the
    sample team on first run (the tabs are given an explicit ``--db``, so they would not seed it)."""
    store, path = open_console_store(flag, actor)
    store.close()
    return path.resolve()


# ---------------------------------------------------------------------- the server


def is_foreign_request(request: web.Request, *, loopback_only: bool) -> bool:
    """Whether to refuse a request a web page could have made on someone's behalf.

    Any site open in the same browser may open a WebSocket to 127.0.0.1 (browsers do not apply the
    same-origin rule to WebSockets), so a handshake whose ``Origin`` is not this server is refused.
    On a loopback bind, a ``Host`` that is not a loopback name is refused too: that is DNS rebinding,
    a foreign name made to point at 127.0.0.1. Clients that send no ``Origin`` are not browsers.
    """
    host = request.host.lower()
    if loopback_only and not is_loopback(urlsplit(f"//{host}").hostname or ""):
        return True
    origin = request.headers.get("Origin")
    if origin is None:
        return False
    parts = urlsplit(origin.lower())
    return parts.scheme not in ("http", "https") or parts.netloc != host


def make_server(command: str, host: str, port: int) -> Server:
    """A textual-serve ``Server`` that builds its page's URLs from the address the browser used.

    textual-serve writes one fixed ``public_url`` into the page, for the static files and for the
    WebSocket the console runs over. Bound to 0.0.0.0 that would be ``ws://0.0.0.0:8000``, and through
    ``ssh -L 9000:127.0.0.1:8000`` it would name the wrong port. Taking the scheme and ``Host`` of the
    page's own request instead gives every browser an address it can reach by construction.
    """
    from aiohttp import web
    from textual_serve.server import Server

    loopback_only = is_loopback(host)

    class SocdeskServer(Server):
        async def handle_index(self, request: web.Request) -> web.StreamResponse:
            if is_foreign_request(request, loopback_only=loopback_only):
                raise web.HTTPForbidden(text="socdesk serve answers only to its own address\n")
            # No await between setting the URL and textual-serve rendering the page with it, so
            # concurrent requests cannot see each other's.
            self.public_url = f"{request.scheme}://{request.host}"
            return await super().handle_index(request)

        async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:
            if is_foreign_request(request, loopback_only=loopback_only):
                raise web.HTTPForbidden(text="cross-origin WebSocket refused\n")
            return await super().handle_websocket(request)

    return SocdeskServer(command, host=host, port=port, title=TITLE)


def run(args: argparse.Namespace) -> int:
    host, port = args.host.strip().strip("[]"), args.port
    check_exposure(host, port, args.public)
    options = ConsoleOptions.of(args)
    if options.theme is not None:  # refused here, not in every browser tab after the server is up
        from socdesk.settings import user_themes_dir
        from socdesk.ui.themes import ThemeCatalogue, packaged_themes_dir

        ThemeCatalogue.load([packaged_themes_dir(), user_themes_dir()]).require(options.theme)
    actor = resolve_actor(args.user)
    db = prepare_database(args.db, actor)
    url = url_for(host, port)
    if args.public and not is_loopback(host):
        print(exposure_warning(url, actor), file=sys.stderr, flush=True)
    server = make_server(console_command(db, actor, options), host, port)
    print(f"socdesk serve: open {url} (database {db}, acting as {actor}); ctrl+c stops", flush=True)
    try:
        server.serve()
    except OSError as error:  # the port is taken, or the address is not this machine's
        raise InvalidInput(f"cannot listen on {host}:{port}: {error.strerror or error}") from None
    return 0
