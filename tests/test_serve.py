"""`socdesk serve`: the console in a real browser, and the guard rails around exposing it.

The browser test starts the real server and Debian's Chromium, drives the page with playwright over
the DevTools protocol, waits for the board to arrive over the console's WebSocket and saves a
screenshot (also copied to tests/artifacts/serve-board.png, ignored by git, for a human to look at).
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import shlex
import shutil
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
import zlib
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Route, WebSocket, sync_playwright

from socdesk.cli import build_parser
from socdesk.serve import ConsoleOptions, console_command, is_loopback

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "tests" / "artifacts"
VIEWPORT = {"width": 1280, "height": 800}
BOARD_WORDS = ("Backlog", "In Progress", "Review", "On duty")
START_TIMEOUT = 60.0
RENDER_TIMEOUT = 90.0


# ---------------------------------------------------------------------- processes


class Output:
    """Everything a child wrote to one stream so far, read by a thread as it comes (so the child never
    blocks on a full pipe), with a way to wait for a line."""

    def __init__(self, stream: object) -> None:
        self.lines: list[str] = []
        self._changed = threading.Condition()
        self._closed = False
        self._thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self._thread.start()

    def _read(self, stream) -> None:
        for raw in stream:
            with self._changed:
                self.lines.append(raw.decode("utf-8", "replace").rstrip("\n"))
                self._changed.notify_all()
        with self._changed:
            self._closed = True
            self._changed.notify_all()

    def wait_for(self, wanted: Callable[[str], bool], timeout: float) -> str:
        deadline = time.monotonic() + timeout
        seen = 0
        with self._changed:
            while True:
                for line in self.lines[seen:]:
                    if wanted(line):
                        return line
                seen = len(self.lines)
                left = deadline - time.monotonic()
                if self._closed or left <= 0:
                    raise AssertionError("never saw the line; the output was:\n" + self.text())
                self._changed.wait(left)

    def text(self) -> str:
        return "\n".join(self.lines)


class Child:
    """A subprocess in its own process group: stopping it stops what it spawned (textual-serve starts
    one console per WebSocket, Chromium its renderers)."""

    def __init__(self, argv: list[str], env: dict[str, str] | None = None) -> None:
        self.argv = argv
        self.process = subprocess.Popen(
            argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True
        )
        self.stdout = Output(self.process.stdout)
        self.stderr = Output(self.process.stderr)

    def output(self) -> str:
        return "\n".join(
            [f"$ {shlex.join(self.argv)}", "--- stdout", self.stdout.text(), "--- stderr", self.stderr.text()]
        )

    def stop(self) -> None:
        """SIGTERM to the group, then SIGKILL to whatever is left of it."""
        self._signal_group(signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(10)
        self._signal_group(signal.SIGKILL)
        self.process.wait(10)

    def _signal_group(self, sig: signal.Signals) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, sig)


@pytest.fixture
def children() -> Iterator[Callable[..., Child]]:
    started: list[Child] = []

    def start(argv: list[str], env: dict[str, str] | None = None) -> Child:
        child = Child(argv, env)
        started.append(child)
        return child

    yield start
    for child in reversed(started):
        child.stop()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_until_listening(child: Child, port: int, timeout: float = START_TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            pass
        if child.process.poll() is not None or time.monotonic() > deadline:
            raise AssertionError(f"the server never listened on {port}:\n{child.output()}")
        time.sleep(0.05)  # bounded polling of the condition above, not synchronisation by sleeping


# ---------------------------------------------------------------------- the server


@pytest.fixture
def serve_env(tmp_path: Path, socdesk) -> dict[str, str]:
    """The environment of the conftest ``socdesk`` runner, with the sample team in its database."""
    assert socdesk("init", "--sample").returncode == 0
    return {
        **os.environ,
        "SOCDESK_DB": str(tmp_path / "team.db"),
        "SOCDESK_USER": "tester",
        "HOME": str(tmp_path / "home"),
        "XDG_DATA_HOME": str(tmp_path / "xdg"),
        "XDG_CONFIG_HOME": str(tmp_path / "xdg-config"),
        "XDG_STATE_HOME": str(tmp_path / "xdg-state"),
    }


def start_serve(children: Callable[..., Child], env: dict[str, str], *args: str) -> tuple[Child, int]:
    port = free_port()
    server = children([sys.executable, "-m", "socdesk", "serve", "--port", str(port), *args], env)
    server.stdout.wait_for(lambda line: "socdesk serve: open http://" in line, START_TIMEOUT)
    wait_until_listening(server, port)
    return server, port


# ---------------------------------------------------------------------- the browser


def chromium_path() -> str:
    """Debian's Chromium; a missing one skips on a workstation but fails in CI, which installs it."""
    found = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
    if found:
        return found
    reason = "Debian's chromium is not installed (apt-get install chromium; .ci/run installs it)"
    if os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no"):
        pytest.fail(f"CI is set but {reason}")
    pytest.skip(reason)


def start_chromium(children: Callable[..., Child], profile: Path) -> str:
    """Start headless Chromium with a fresh profile; return its DevTools WebSocket endpoint."""
    browser = children(
        [
            chromium_path(),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={profile}",
            "--remote-debugging-port=0",
            "about:blank",
        ]
    )
    line = browser.stderr.wait_for(lambda text: "DevTools listening on ws://" in text, START_TIMEOUT)
    return line.split("DevTools listening on ", 1)[1].strip()


def only_loopback(route: Route) -> None:
    """The page links a Google font; the network here is closed, and the test needs nothing outside."""
    if urlsplit(route.request.url).hostname == "127.0.0.1":
        route.continue_()
    else:
        route.abort()


def unfilter(kind: int, line: bytearray, previous: bytes, step: int) -> bytearray:
    """Undo one PNG scanline filter (RFC 2083, 6.2): 0 none, 1 sub, 2 up, 3 average, 4 Paeth."""
    if kind == 2:
        return bytearray((a + b) & 0xFF for a, b in zip(line, previous, strict=True))
    for x in range(len(line) if kind else 0):
        left = line[x - step] if x >= step else 0
        up = previous[x]
        corner = previous[x - step] if x >= step else 0
        if kind == 1:
            line[x] = (line[x] + left) & 0xFF
        elif kind == 3:
            line[x] = (line[x] + (left + up) // 2) & 0xFF
        else:
            guess = left + up - corner
            pa, pb, pc = abs(guess - left), abs(guess - up), abs(guess - corner)
            line[x] = (line[x] + (left if pa <= pb and pa <= pc else up if pb <= pc else corner)) & 0xFF
    return line


def png_pixels(data: bytes) -> tuple[int, int, list[bytes]]:
    """Width, height and the rows (RGB or RGBA bytes) of an 8-bit PNG: the standard library is enough,
    so Pillow need not be a test dependency."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    offset, header, compressed = 8, b"", bytearray()
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        kind, body = data[offset + 4 : offset + 8], data[offset + 8 : offset + 8 + length]
        offset += 12 + length
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            compressed += body
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", header)
    assert depth == 8 and colour in (2, 6) and interlace == 0, (depth, colour, interlace)
    step = 3 if colour == 2 else 4
    raw, stride = zlib.decompress(bytes(compressed)), width * step + 1
    rows: list[bytes] = []
    previous = bytes(stride - 1)
    for y in range(height):
        line = unfilter(raw[y * stride], bytearray(raw[y * stride + 1 : (y + 1) * stride]), previous, step)
        rows.append(bytes(line))
        previous = rows[-1]
    return width, height, rows


def colours(rows: list[bytes], step: int) -> Counter[bytes]:
    """The colours of every 4th pixel of every 4th row."""
    return Counter(row[i : i + 3] for row in rows[::4] for i in range(0, len(row), 4 * step))


def test_the_board_renders_in_a_real_browser(children, serve_env, tmp_path: Path) -> None:
    chromium_path()  # skip or fail before starting anything
    started = time.monotonic()
    server, port = start_serve(children, serve_env)
    endpoint = start_chromium(children, tmp_path / "chromium-profile")
    received: list[str] = []

    def collect(ws: WebSocket) -> None:
        def keep(payload: str | bytes) -> None:
            received.append(payload.decode("utf-8", "replace") if isinstance(payload, bytes) else payload)

        ws.on("framereceived", keep)

    with sync_playwright() as playwright:
        browser = playwright.chromium.connect_over_cdp(endpoint)
        try:
            context = browser.new_context(viewport=VIEWPORT)  # type: ignore[arg-type]
            context.route("**/*", only_loopback)
            page = context.new_page()
            page.on("websocket", collect)
            page.goto(f"http://127.0.0.1:{port}/", timeout=START_TIMEOUT * 1000)
            page.wait_for_function(
                "document.body.classList.contains('-first-byte')", timeout=RENDER_TIMEOUT * 1000
            )
            deadline = time.monotonic() + RENDER_TIMEOUT
            while not all(word in "".join(received) for word in BOARD_WORDS):
                missing = [w for w in BOARD_WORDS if w not in "".join(received)]
                assert time.monotonic() < deadline, f"the board never arrived (missing {missing}):\n" + (
                    server.output()
                )
                page.wait_for_timeout(100)  # lets playwright deliver frames while we poll
            # The terminal fades in (0.3 s) and xterm paints on the next animation frames.
            page.wait_for_function(
                "getComputedStyle(document.querySelector('.textual-terminal')).opacity === '1'",
                timeout=RENDER_TIMEOUT * 1000,
            )
            page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
            assert page.locator(".xterm-screen canvas").count() >= 1
            shot = page.screenshot(path=str(tmp_path / "serve-board.png"))
        finally:
            browser.close()
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "serve-board.png").write_bytes(shot)
    print(f"screenshot: {ARTIFACTS / 'serve-board.png'} ({time.monotonic() - started:.1f}s)")

    width, height, rows = png_pixels(shot)
    assert (width, height) == (VIEWPORT["width"], VIEWPORT["height"])
    palette = colours(rows, len(rows[0]) // width)
    background, most = palette.most_common(1)[0]
    drawn = sum(palette.values()) - most
    assert drawn > 0.05 * sum(palette.values()), f"almost only {background.hex()}: nothing was drawn"
    assert len(palette) >= 8, f"only {len(palette)} colours: the board's styles did not reach the canvas"
    assert bytes.fromhex("0c181f") != background, "the page's own background: the terminal is not shown"


# ---------------------------------------------------------------------- what the server answers to


def get(port: int, path: str, headers: dict[str, str]) -> tuple[int, str]:
    """One plain HTTP request with exactly these headers (``Host`` included, when given)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        return response.status, response.read().decode("utf-8", "replace")
    finally:
        connection.close()


WEBSOCKET_HANDSHAKE = {
    "Connection": "Upgrade",
    "Upgrade": "websocket",
    "Sec-WebSocket-Version": "13",
    "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
}


def test_the_page_connects_back_to_the_address_the_browser_used(children, serve_env) -> None:
    _, port = start_serve(children, serve_env)
    # An SSH tunnel may put the server on another local port: the page must name that one.
    status, page = get(port, "/", {"Host": "localhost:9999"})
    assert status == 200
    assert 'data-session-websocket-url="ws://localhost:9999/ws"' in page
    assert "http://localhost:9999/static/js/textual.js" in page


def test_a_loopback_server_refuses_foreign_names_and_cross_origin_websockets(children, serve_env) -> None:
    _, port = start_serve(children, serve_env)
    # DNS rebinding: a foreign name pointed at 127.0.0.1.
    status, _ = get(port, "/", {"Host": f"attacker.example:{port}"})
    assert status == 403
    # Any page open in the same browser may try the WebSocket; its Origin gives it away.
    status, body = get(port, "/ws", {**WEBSOCKET_HANDSHAKE, "Origin": "http://attacker.example"})
    assert (status, body.strip()) == (403, "cross-origin WebSocket refused")
    status, _ = get(port, "/ws", {**WEBSOCKET_HANDSHAKE, "Origin": "null"})
    assert status == 403


# ---------------------------------------------------------------------- exposure and arguments


@pytest.mark.parametrize("host", ["127.0.0.1", "127.8.9.10", "::1", "[::1]", "localhost", "LocalHost."])
def test_loopback_hosts(host: str) -> None:
    assert is_loopback(host)


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "10.0.0.7", "192.168.1.20", "soc-host", "example.org", ""])
def test_hosts_reachable_from_elsewhere(host: str) -> None:
    # Names other than localhost are not resolved: what they point at can change after the check.
    assert not is_loopback(host)


def test_a_non_loopback_host_without_public_is_refused_and_nothing_starts(socdesk, tmp_path: Path) -> None:
    never = tmp_path / "never.db"
    port = free_port()
    done = socdesk("serve", "--host", "0.0.0.0", "--port", str(port), db=never)
    assert done.returncode == 1
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: --host 0.0.0.0 "), done.stderr
    assert "no authentication" in lines[0]
    assert "--public" in lines[0]
    assert f"ssh -L {port}:127.0.0.1:{port}" in lines[0]
    assert done.stdout == ""
    assert not never.exists()  # refused before even the database was touched
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=1).close()


def test_public_warns_that_there_is_no_authentication(children, serve_env) -> None:
    server, port = start_serve(children, serve_env, "--host", "0.0.0.0", "--public")
    warning = server.stderr.wait_for(lambda line: line.startswith("warning:"), START_TIMEOUT)
    assert "no authentication" in warning
    assert "anyone who can reach" in warning and f":{port}" in warning
    assert "'tester'" in warning  # whose identity the visitors get
    assert "SSH tunnel" in warning
    # Bound to every address, the page still names one a browser can reach: the one it came by.
    status, page = get(port, "/", {"Host": f"soc-host.example:{port}"})
    assert status == 200
    assert f'data-session-websocket-url="ws://soc-host.example:{port}/ws"' in page


def test_a_database_that_is_not_sqlite_is_refused_before_serving(socdesk, tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("not a database\n", encoding="utf-8")
    port = free_port()
    done = socdesk("serve", "--port", str(port), db=notes)
    assert done.returncode == 1
    assert done.stderr.startswith("error:") and len(done.stderr.splitlines()) == 1, done.stderr
    assert notes.read_text(encoding="utf-8") == "not a database\n"


def test_a_port_in_use_is_one_error_line(socdesk) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = socdesk("serve", "--port", str(port))
    assert done.returncode == 1
    assert done.stderr.startswith(f"error: cannot listen on 127.0.0.1:{port}: "), done.stderr
    assert "address already in use" in done.stderr and len(done.stderr.splitlines()) == 1


@pytest.mark.parametrize("port", ["0", "70000", "-1", "http"])
def test_a_bad_port_is_a_usage_error(socdesk, port: str) -> None:
    done = socdesk("serve", "--port", port)
    assert done.returncode == 2
    assert "argument --port" in done.stderr


def test_a_bad_cycle_is_a_usage_error(socdesk) -> None:
    done = socdesk("serve", "--wallboard", "--cycle", "soon")
    assert done.returncode == 2
    assert "argument --cycle" in done.stderr


def test_the_cli_and_serve_module_load_no_web_server_until_it_starts() -> None:
    code = "import json, sys, socdesk.cli, socdesk.serve; print(json.dumps(sorted(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    loaded = {name.split(".")[0] for name in json.loads(done.stdout)}
    assert "socdesk" in loaded
    assert not {"textual", "textual_serve", "aiohttp", "playwright"} & loaded


def served_words(*argv: str) -> list[str]:
    args = build_parser().parse_args(list(argv))
    return shlex.split(console_command(Path("/srv/soc team/socdesk.db"), "o'brien", ConsoleOptions.of(args)))


def test_the_served_command_is_this_python_with_the_database_and_actor() -> None:
    assert served_words("serve") == [
        sys.executable, "-m", "socdesk", "--db", "/srv/soc team/socdesk.db", "--user", "o'brien",
    ]  # fmt: skip


@pytest.mark.parametrize(
    "argv",
    [
        ["serve", "--theme", "socdesk-light", "--wallboard", "--cycle", "30"],
        ["--theme", "socdesk-light", "--wallboard", "serve", "--cycle", "30"],
        ["--wallboard", "--cycle", "30", "--theme", "socdesk-light", "serve"],
    ],
)
def test_console_options_are_passed_on_before_or_after_serve(argv: list[str]) -> None:
    assert served_words(*argv)[7:] == ["--theme", "socdesk-light", "--wallboard", "--cycle", "30"]


def test_a_cycle_without_the_wallboard_is_refused_before_serving(socdesk) -> None:
    done = socdesk("serve", "--cycle", "30")
    assert done.returncode == 1
    assert done.stderr == "error: --cycle sets how long the wallboard shows each view; add --wallboard\n"
