"""The development server, run as a real process and spoken to over sockets."""

from __future__ import annotations

import contextlib
import http.client
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import textwrap
import time
import typing as t
from dataclasses import dataclass
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(
    os.name != "posix", reason="uses POSIX signals and process groups"
)

APP_SOURCE = textwrap.dedent(
    """
    import os
    import time
    from pathlib import Path

    from kolba import Kolba, request

    app = Kolba(__name__)
    PAGE = (Path(__file__).parent / "templates" / "page.html").read_text()
    VERSION = "one"

    @app.route("/")
    def index():
        return f"version {VERSION}"

    @app.route("/page")
    def page():
        return PAGE

    @app.post("/echo")
    def echo():
        return request.get_data()

    @app.post("/chunked")
    def chunked():
        terminated = request.environ.get("wsgi.input_terminated")
        return f"{terminated}:{request.get_data().decode()}"

    @app.route("/stream")
    def stream():
        marker = Path(request.args["marker"])

        def generate():
            yield "first;"
            deadline = time.monotonic() + 10
            while not marker.exists() and time.monotonic() < deadline:
                time.sleep(0.02)
            yield "second"

        return generate()

    @app.route("/boom")
    def explode_here():
        raise ValueError("bad <script>alert(1)</script> value")

    @app.route("/broken-stream")
    def broken_stream():
        def generate():
            yield "partial"
            raise RuntimeError("stream broke")

        return generate()
    """
)


# A shell without job control starts background jobs with SIGINT ignored, and
# an ignored signal stays ignored across fork and exec: a server started from
# such a test run would never see the SIGINT the tests send. So the server is
# started through this tiny launcher, which restores SIGINT's default and
# unblocks it, then execs the real command in the same process (same pid, same
# session). A launcher rather than preexec_fn, which is unsafe with threads.
_DEFAULT_SIGINT = (
    "import os, signal, sys\n"
    "signal.signal(signal.SIGINT, signal.SIG_DFL)\n"
    "signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})\n"
    "os.execv(sys.argv[1], sys.argv[1:])\n"
)


def _with_default_sigint(command: list[str]) -> list[str]:
    """``command``, run with SIGINT at its default whatever this process has."""
    return [sys.executable, "-c", _DEFAULT_SIGINT, *command]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    port: int
    process: subprocess.Popen[bytes]
    stderr_path: Path
    app_dir: Path

    def connection(self, timeout: float = 10) -> http.client.HTTPConnection:
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)

    def get(self, path: str) -> tuple[int, bytes]:
        conn = self.connection()
        try:
            conn.request("GET", path)
            response = conn.getresponse()
            return response.status, response.read()
        finally:
            conn.close()

    def raw(self, data: bytes, timeout: float = 10) -> bytes:
        with socket.create_connection(("127.0.0.1", self.port), timeout) as sock:
            sock.sendall(data)
            chunks = []
            with contextlib.suppress(ConnectionResetError):
                while chunk := sock.recv(65536):
                    chunks.append(chunk)
            return b"".join(chunks)

    @property
    def stderr(self) -> str:
        return self.stderr_path.read_text()


@pytest.fixture
def app_dir(tmp_path: Path) -> Path:
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "page.html").write_text("template one")
    (tmp_path / "served_app.py").write_text(APP_SOURCE)
    return tmp_path


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KOLBA_")}
    env["KOLBA_SKIP_DOTENV"] = "1"
    env.update(extra)
    return env


def _wait_for_port(port: int, process: subprocess.Popen[bytes], stderr: Path) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the server exited early:\n{stderr.read_text()}")
        with (
            contextlib.suppress(OSError),
            socket.create_connection(("127.0.0.1", port), timeout=1),
        ):
            return
        time.sleep(0.05)
    pytest.fail(f"the server did not listen within 20 s:\n{stderr.read_text()}")


def _start(
    app_dir: Path, args: tuple[str, ...], python_m: bool, env: dict[str, str]
) -> Server:
    # The free port may be taken by someone else before the server binds it;
    # then try another one.
    for _ in range(3):
        port = _free_port()
        if python_m:
            command = [sys.executable, "-m", "kolba"]
        else:
            command = [str(Path(sys.executable).with_name("kolba"))]
        command += ["--app", "served_app", "run", "--port", str(port), *args]
        stderr_path = app_dir / f"stderr-{port}.txt"
        with open(stderr_path, "wb") as stderr:
            process = subprocess.Popen(
                _with_default_sigint(command),
                cwd=app_dir,
                env=_env(**env),
                stdout=subprocess.DEVNULL,
                stderr=stderr,
                start_new_session=True,  # so the reloader's child is killed too
            )
        server = Server(port, process, stderr_path, app_dir)
        try:
            _wait_for_port(port, process, stderr_path)
        except BaseException:
            _stop(process)
            if "Address already in use" in server.stderr:
                continue
            raise
        return server
    pytest.fail("no free port found in 3 attempts")


def _stop(process: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)  # the reloader's child too
    process.wait(10)


@contextlib.contextmanager
def serve(
    app_dir: Path, *args: str, python_m: bool = False, **env: str
) -> t.Iterator[Server]:
    server = _start(app_dir, args, python_m, env)
    try:
        yield server
    finally:
        _stop(server.process)


def _eventually(check: t.Callable[[], bool], timeout: float = 15) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError, http.client.HTTPException):
            if check():
                return True
        time.sleep(0.1)
    return False


# -- requests and responses ------------------------------------------------------


def test_console_script_serves_get_and_404(app_dir: Path) -> None:
    with serve(app_dir) as server:
        assert server.get("/") == (200, b"version one")
        status, body = server.get("/missing")
        assert status == 404
        assert b"Not Found" in body


def test_python_m_kolba_serves(app_dir: Path) -> None:
    with serve(app_dir, python_m=True) as server:
        assert server.get("/") == (200, b"version one")


def test_requests_are_logged_like_werkzeug(app_dir: Path) -> None:
    with serve(app_dir) as server:
        server.get("/missing")
        assert _eventually(lambda: '"GET /missing HTTP/1.1" 404 -' in server.stderr)
        line = next(x for x in server.stderr.splitlines() if "/missing" in x)
        assert line.startswith("127.0.0.1 - - [")


def test_banner_says_not_for_production(app_dir: Path) -> None:
    with serve(app_dir) as server:
        assert _eventually(lambda: "gunicorn -w 4 'served_app:app'" in server.stderr)
        assert "development server" in server.stderr


def test_post_body_reaches_the_view(app_dir: Path) -> None:
    with serve(app_dir) as server:
        conn = server.connection()
        conn.request("POST", "/echo", body=b"x" * 100_000)
        response = conn.getresponse()
        assert response.status == 200
        assert response.read() == b"x" * 100_000
        conn.close()


def test_two_requests_share_one_keep_alive_connection(app_dir: Path) -> None:
    with serve(app_dir) as server:
        conn = server.connection()
        conn.request("POST", "/echo", body=b"one")
        first = conn.getresponse()
        assert first.read() == b"one"
        sock = conn.sock
        conn.request("GET", "/")
        second = conn.getresponse()
        assert second.read() == b"version one"
        assert conn.sock is sock  # no reconnect happened
        conn.close()


def test_unread_body_does_not_break_keep_alive(app_dir: Path) -> None:
    with serve(app_dir) as server:
        conn = server.connection()
        conn.request("POST", "/", body=b"ignored by the view")  # 405, body unread
        assert conn.getresponse().read()
        sock = conn.sock
        conn.request("GET", "/")
        assert conn.getresponse().read() == b"version one"
        assert conn.sock is sock
        conn.close()


def test_client_leaving_inside_an_unread_body_is_no_server_error(
    app_dir: Path,
) -> None:
    # The view answers without reading the body; draining it then finds the
    # client gone. That closes the connection quietly (it once escaped as an
    # uncaught BadRequest, logged as "Error on the connection").
    with serve(app_dir) as server:
        port = server.port
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            sock.sendall(
                b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nabc"
            )
            sock.shutdown(socket.SHUT_WR)
            reply = b""
            with contextlib.suppress(ConnectionResetError):
                while chunk := sock.recv(65536):
                    reply += chunk
        assert reply.startswith(b"HTTP/1.1 405 ")
        assert _eventually(lambda: '"POST / HTTP/1.1" 405' in server.stderr)
        assert server.get("/") == (200, b"version one")  # still serving
        assert "Error on the connection" not in server.stderr
        assert "Traceback" not in server.stderr


def test_chunked_request_body_is_decoded(app_dir: Path) -> None:
    with serve(app_dir) as server:
        conn = server.connection()
        conn.request(
            "POST", "/chunked", body=iter([b"hello ", b"chunked ", b"world"])
        )  # an iterator body makes http.client send Transfer-Encoding: chunked
        response = conn.getresponse()
        assert response.read() == b"True:hello chunked world"
        conn.close()


def test_malformed_chunked_body_is_400(app_dir: Path) -> None:
    with serve(app_dir) as server:
        reply = server.raw(
            b"POST /chunked HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
            b"\r\nzz\r\nhello\r\n0\r\n\r\n"
        )
        assert reply.startswith(b"HTTP/1.1 400 ")


def test_streamed_response_arrives_in_chunks(app_dir: Path) -> None:
    marker = app_dir / "go"
    with serve(app_dir) as server:
        conn = server.connection()
        conn.request("GET", f"/stream?marker={marker}")
        response = conn.getresponse()
        assert response.getheader("Transfer-Encoding") == "chunked"
        assert response.getheader("Content-Length") is None
        # The first part arrives while the view is still waiting for the marker.
        assert response.read1() == b"first;"
        marker.touch()
        assert response.read() == b"second"
        conn.close()


def test_http_1_0_stream_is_delimited_by_close(app_dir: Path) -> None:
    marker = app_dir / "go"
    marker.touch()
    with serve(app_dir) as server:
        reply = server.raw(f"GET /stream?marker={marker} HTTP/1.0\r\n\r\n".encode())
        head, _, body = reply.partition(b"\r\n\r\n")
        assert b"Transfer-Encoding" not in head
        assert b"Connection: close" in head
        assert body == b"first;second"


def test_head_of_a_stream_has_no_body_and_no_made_up_length(app_dir: Path) -> None:
    marker = app_dir / "go"
    marker.touch()
    with serve(app_dir) as server:
        conn = server.connection()
        conn.request("HEAD", f"/stream?marker={marker}")
        response = conn.getresponse()
        assert response.status == 200
        assert response.getheader("Content-Length") is None
        assert response.getheader("Transfer-Encoding") is None
        assert response.read() == b""
        conn.request("GET", "/")  # the connection is still usable
        assert conn.getresponse().read() == b"version one"
        conn.close()


def test_expect_100_continue(app_dir: Path) -> None:
    with serve(app_dir) as server:
        with socket.create_connection(("127.0.0.1", server.port), 10) as sock:
            sock.sendall(
                b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n"
                b"Expect: 100-continue\r\nConnection: close\r\n\r\n"
            )
            assert sock.recv(100).startswith(b"HTTP/1.1 100 Continue\r\n\r\n")
            sock.sendall(b"ping")
            reply = b""
            while chunk := sock.recv(65536):
                reply += chunk
        assert reply.startswith(b"HTTP/1.1 200 ")
        assert reply.endswith(b"\r\n\r\nping")


# -- hostile and broken clients ------------------------------------------------------


def test_oversized_header_gets_431(app_dir: Path) -> None:
    with serve(app_dir) as server:
        conn = server.connection()
        conn.request("GET", "/", headers={"X-Big": "a" * 100_000})
        response = conn.getresponse()
        assert response.status == 431
        conn.close()
        assert server.get("/") == (200, b"version one")  # still serving


def test_too_many_headers_get_431(app_dir: Path) -> None:
    with serve(app_dir) as server:
        headers = "".join(f"X-H{i}: v\r\n" for i in range(150))
        reply = server.raw(f"GET / HTTP/1.1\r\nHost: x\r\n{headers}\r\n".encode())
        assert reply.startswith(b"HTTP/1.1 431 ")


def test_long_request_line_gets_414(app_dir: Path) -> None:
    with serve(app_dir) as server:
        reply = server.raw(b"GET /" + b"a" * 20_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n")
        assert reply.startswith(b"HTTP/1.1 414 ")


@pytest.mark.parametrize(
    "request_bytes",
    [
        b"GARBAGE\r\n\r\n",
        b"GET /\r\n\r\n",
        b"GET / HTTP/1.1 extra\r\nHost: x\r\n\r\n",
        b"GET / HTTP/1.1\r\nNo colon here\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost : x\r\n\r\n",
        b"GET / HTTP/1.1\r\n\r\n",  # HTTP/1.1 without Host
        b"GET / HTTP/1.1\r\nHost: x\r\n folded: line\r\n\r\n",
        b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n",
        b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n"
        b"Content-Length: 2\r\n\r\nab",
    ],
)
def test_malformed_requests_get_400(app_dir: Path, request_bytes: bytes) -> None:
    with serve(app_dir) as server:
        reply = server.raw(request_bytes)
        assert reply.startswith(b"HTTP/1.1 400 "), reply[:200]
        assert b"Connection: close" in reply
        assert "Traceback" not in server.stderr


def test_stalled_client_does_not_block_others(app_dir: Path) -> None:
    with (
        serve(app_dir) as server,
        socket.create_connection(("127.0.0.1", server.port), 10) as slow,
    ):
        slow.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ")  # never ends
        time.sleep(0.2)
        started = time.monotonic()
        assert server.get("/") == (200, b"version one")
        assert time.monotonic() - started < 5


def test_control_characters_are_escaped_in_the_log(app_dir: Path) -> None:
    with serve(app_dir) as server:
        server.raw(b"GET /\x1b[31mred HTTP/1.1\r\nHost: x\r\n\r\n")
        assert _eventually(lambda: "\\x1b[31mred" in server.stderr)
        assert "\x1b" not in server.stderr


# -- reloading -------------------------------------------------------------------


def test_reload_serves_edited_python_source(app_dir: Path) -> None:
    with serve(app_dir, "--reload") as server:
        assert server.get("/") == (200, b"version one")
        source = app_dir / "served_app.py"
        source.write_text(source.read_text().replace('"one"', '"two"'))
        assert _eventually(lambda: server.get("/") == (200, b"version two"))


def test_reload_serves_edited_template(app_dir: Path) -> None:
    with serve(app_dir, "--debug") as server:  # debug turns the reloader on
        assert server.get("/page") == (200, b"template one")
        (app_dir / "templates" / "page.html").write_text("template two")
        assert _eventually(lambda: server.get("/page") == (200, b"template two"))


def test_reload_survives_a_syntax_error(app_dir: Path) -> None:
    with serve(app_dir, "--reload") as server:
        source = app_dir / "served_app.py"
        good = source.read_text()
        source.write_text(good + "\nthis is not python\n")
        assert _eventually(lambda: server.get("/")[0] == 500)
        source.write_text(good.replace('"one"', '"three"'))
        assert _eventually(lambda: server.get("/") == (200, b"version three"))


def test_reload_watches_extra_files(app_dir: Path) -> None:
    settings = app_dir / "settings.cfg"
    settings.write_text("a")
    source = app_dir / "served_app.py"
    source.write_text(
        source.read_text() + "\nVERSION = (Path(__file__).parent / 'settings.cfg')"
        ".read_text()\n"
    )
    with serve(app_dir, "--reload", "--extra-files", str(settings)) as server:
        assert server.get("/") == (200, b"version a")
        settings.write_text("b")
        assert _eventually(lambda: server.get("/") == (200, b"version b"))


# -- stopping --------------------------------------------------------------------


@pytest.mark.parametrize("reload", ["--no-reload", "--reload"])
def test_sigint_stops_cleanly(app_dir: Path, reload: str) -> None:
    with serve(app_dir, reload) as server:
        assert server.get("/") == (200, b"version one")
        server.process.send_signal(signal.SIGINT)
        assert server.process.wait(15) == 0
        assert "Traceback" not in server.stderr
        assert "Shutting down" in server.stderr
        with pytest.raises(OSError):
            socket.create_connection(("127.0.0.1", server.port), 1).close()


# -- debug mode ------------------------------------------------------------------


def test_debug_page_shows_the_escaped_traceback(app_dir: Path) -> None:
    with serve(app_dir, "--debug", "--no-reload") as server:
        conn = server.connection()
        conn.request("GET", "/boom")
        response = conn.getresponse()
        body = response.read().decode()
        conn.close()
    assert response.status == 500
    assert response.getheader("Content-Type") == "text/html; charset=utf-8"
    assert "script-src" not in (response.getheader("Content-Security-Policy") or "x")
    assert "default-src 'none'" in (response.getheader("Content-Security-Policy") or "")
    assert "ValueError" in body
    assert "bad &lt;script&gt;alert(1)&lt;/script&gt; value" in body
    assert "<script" not in body.lower()
    assert "explode_here" in body  # the view's function name
    assert "served_app.py" in body
    assert "raise ValueError(&quot;bad &lt;script&gt;" in body  # its source line
    for affordance in ("<form", "<input", "<textarea", "<button", "javascript:"):
        assert affordance not in body.lower()


def test_without_debug_the_500_page_has_no_traceback(app_dir: Path) -> None:
    with serve(app_dir) as server:
        status, body = server.get("/boom")
        assert status == 500
        assert b"Internal Server Error" in body
        for leak in (b"Traceback", b"explode_here", b"ValueError", b"script"):
            assert leak not in body
        assert _eventually(lambda: "ValueError" in server.stderr)  # logged


def test_error_after_streaming_started_cuts_the_response(app_dir: Path) -> None:
    with serve(app_dir, "--debug", "--no-reload") as server:
        conn = server.connection()
        conn.request("GET", "/broken-stream")
        response = conn.getresponse()
        assert response.status == 200
        with pytest.raises(http.client.IncompleteRead):
            response.read()
        conn.close()
        assert _eventually(lambda: "stream broke" in server.stderr)
        assert server.get("/") == (200, b"version one")


# -- HTTPS -----------------------------------------------------------------------


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs openssl")
def test_https_with_cert_and_key(app_dir: Path) -> None:
    cert, key = app_dir / "cert.pem", app_dir / "key.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
            "-keyout", str(key), "-out", str(cert), "-days", "1",
            "-subj", "/CN=localhost",
        ],
        check=True,
        capture_output=True,
        timeout=20,
    )  # fmt: skip
    with serve(app_dir, "--cert", str(cert), "--key", str(key)) as server:
        context = ssl.create_default_context(cafile=str(cert))
        context.check_hostname = False
        conn = http.client.HTTPSConnection(
            "127.0.0.1", server.port, timeout=10, context=context
        )
        conn.request("GET", "/")
        response = conn.getresponse()
        assert response.read() == b"version one"
        conn.close()
        # Plain HTTP on the HTTPS port is dropped, and the server goes on.
        with contextlib.suppress(OSError):
            server.raw(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", timeout=5)
        conn = http.client.HTTPSConnection(
            "127.0.0.1", server.port, timeout=10, context=context
        )
        conn.request("GET", "/")
        assert conn.getresponse().status == 200
        conn.close()


# -- app.run() -------------------------------------------------------------------


def test_app_run_uses_the_same_server_with_debug(app_dir: Path) -> None:
    port = _free_port()
    script = app_dir / "script.py"
    script.write_text(
        APP_SOURCE
        + f"\nif __name__ == '__main__':\n    app.run(port={port}, debug=True)\n"
    )
    stderr_path = app_dir / "stderr.txt"
    with open(stderr_path, "wb") as stderr:
        process = subprocess.Popen(
            _with_default_sigint([sys.executable, str(script)]),
            cwd=app_dir,
            env=_env(),
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            start_new_session=True,
        )
    server = Server(port, process, stderr_path, app_dir)
    try:
        _wait_for_port(port, process, stderr_path)
        status, body = server.get("/boom")
        assert status == 500
        assert b"explode_here" in body  # the debug page
        script.write_text(script.read_text().replace('"one"', '"two"'))
        assert _eventually(lambda: server.get("/") == (200, b"version two"))
        process.send_signal(signal.SIGINT)
        assert process.wait(15) == 0
        assert "KeyboardInterrupt" not in server.stderr
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)


# -- WebSocket routes: ASGI with uvicorn -------------------------------------------

WS_APP_SOURCE = textwrap.dedent(
    """
    from kolba import Kolba, websocket

    app = Kolba(__name__)
    VERSION = "one"

    @app.route("/")
    def index():
        return f"version {VERSION}"

    @app.websocket("/ws")
    async def echo():
        while True:
            message = await websocket.receive()
            await websocket.send(f"{VERSION}:{message}")

    @app.route("/boom")
    def explode_here():
        raise ValueError("bad <script>alert(1)</script> value")
    """
)


@pytest.fixture
def ws_app_dir(tmp_path: Path) -> Path:
    (tmp_path / "served_app.py").write_text(WS_APP_SOURCE)
    return tmp_path


def _ws_echo(port: int, text: str) -> str:
    from websockets.sync.client import connect

    with connect(f"ws://127.0.0.1:{port}/ws", open_timeout=10, close_timeout=5) as ws:
        ws.send(text)
        return str(ws.recv(timeout=10))


def _handshake_status(port: int) -> int:
    """The HTTP status a refused WebSocket handshake got (101 if accepted)."""
    from websockets.exceptions import InvalidStatus
    from websockets.sync.client import connect

    try:
        with connect(f"ws://127.0.0.1:{port}/ws", open_timeout=10, close_timeout=5):
            return 101
    except InvalidStatus as exc:
        return exc.response.status_code


@pytest.fixture
def no_uvicorn(tmp_path: Path) -> dict[str, str]:
    """Environment variables under which ``import uvicorn`` fails."""
    shim = tmp_path / "shim"
    shim.mkdir()
    (shim / "uvicorn.py").write_text(
        "raise ImportError('uvicorn is hidden by the test')\n"
    )
    path = os.environ.get("PYTHONPATH")
    return {"PYTHONPATH": os.pathsep.join(filter(None, [str(shim), path]))}


def test_websocket_app_serves_ws_and_http_on_one_port(ws_app_dir: Path) -> None:
    with serve(ws_app_dir) as server:
        assert server.get("/") == (200, b"version one")
        assert _ws_echo(server.port, "hello") == "one:hello"
        assert server.get("/missing")[0] == 404
        assert "uvicorn --workers 4 'served_app:app.asgi_app'" in server.stderr
        assert "Serving over ASGI with uvicorn" in server.stderr
        assert _eventually(lambda: '"GET /missing HTTP/1.1" 404' in server.stderr)
        assert _eventually(lambda: '"WebSocket /ws" [accepted]' in server.stderr)
        assert "Uvicorn running" not in server.stderr  # our banner, not theirs


def test_websocket_app_reloads_edited_source(ws_app_dir: Path) -> None:
    with serve(ws_app_dir, "--reload") as server:
        assert server.get("/") == (200, b"version one")
        assert _ws_echo(server.port, "a") == "one:a"
        source = ws_app_dir / "served_app.py"
        source.write_text(source.read_text().replace('"one"', '"two"'))
        assert _eventually(lambda: server.get("/") == (200, b"version two"))
        assert _ws_echo(server.port, "b") == "two:b"
        assert "Restarting with the watchfiles reloader" in server.stderr


def test_websocket_app_reload_survives_a_syntax_error(ws_app_dir: Path) -> None:
    with serve(ws_app_dir, "--reload", "--asgi") as server:
        source = ws_app_dir / "served_app.py"
        good = source.read_text()
        source.write_text(good + "\nthis is not python\n")
        assert _eventually(lambda: server.get("/")[0] == 500)
        source.write_text(good.replace('"one"', '"three"'))
        assert _eventually(lambda: server.get("/") == (200, b"version three"))
        assert _ws_echo(server.port, "c") == "three:c"


def test_websocket_app_debug_page(ws_app_dir: Path) -> None:
    with serve(ws_app_dir, "--debug", "--no-reload") as server:
        conn = server.connection()
        conn.request("GET", "/boom")
        response = conn.getresponse()
        body = response.read().decode()
        conn.close()
        assert _ws_echo(server.port, "still") == "one:still"  # still serving
        assert _eventually(lambda: "shown on the debug page" in server.stderr)
    assert response.status == 500
    assert response.getheader("Content-Type") == "text/html; charset=utf-8"
    assert "default-src 'none'" in (response.getheader("Content-Security-Policy") or "")
    assert "<title>ValueError // Kolba debug</title>" in body
    assert "bad &lt;script&gt;alert(1)&lt;/script&gt; value" in body
    assert "<script" not in body.lower()
    assert "explode_here" in body
    assert "served_app.py" in body


def test_websocket_app_without_debug_has_a_plain_500(ws_app_dir: Path) -> None:
    with serve(ws_app_dir) as server:
        status, body = server.get("/boom")
        assert status == 500
        assert b"Internal Server Error" in body
        assert b"explode_here" not in body
        assert _eventually(lambda: "ValueError" in server.stderr)  # logged


@pytest.mark.parametrize("reload", ["--no-reload", "--reload"])
def test_websocket_app_sigint_stops_cleanly(ws_app_dir: Path, reload: str) -> None:
    from websockets.exceptions import ConnectionClosed
    from websockets.sync.client import connect

    with serve(ws_app_dir, reload) as server:
        assert server.get("/") == (200, b"version one")
        # An open WebSocket does not keep the server from stopping.
        with connect(f"ws://127.0.0.1:{server.port}/ws", open_timeout=10) as ws:
            ws.send("x")
            assert ws.recv(timeout=10) == "one:x"
            server.process.send_signal(signal.SIGINT)
            assert server.process.wait(15) == 0
            with pytest.raises(ConnectionClosed):
                ws.recv(timeout=10)
        assert "Traceback" not in server.stderr
        assert "Shutting down" in server.stderr
        with pytest.raises(OSError):
            socket.create_connection(("127.0.0.1", server.port), 1).close()


def test_wsgi_option_refuses_the_handshake_with_501(ws_app_dir: Path) -> None:
    with serve(ws_app_dir, "--wsgi") as server:
        assert server.get("/") == (200, b"version one")
        assert "gunicorn -w 4 'served_app:app'" in server.stderr
        assert _handshake_status(server.port) == 501


def test_wsgi_option_serves_http_and_refuses_the_handshake(ws_app_dir: Path) -> None:
    with serve(ws_app_dir, "--wsgi") as server:
        assert server.get("/") == (200, b"version one")
        assert "gunicorn -w 4 'served_app:app'" in server.stderr
        assert "uvicorn" not in server.stderr
        assert _handshake_status(server.port) in (500, 501)


def test_websocket_app_without_uvicorn_warns_and_serves_wsgi(
    ws_app_dir: Path, no_uvicorn: dict[str, str]
) -> None:
    with serve(ws_app_dir, **no_uvicorn) as server:
        assert server.get("/") == (200, b"version one")
        assert _handshake_status(server.port) != 101
        stderr = server.stderr
    assert "The app has WebSocket routes, but uvicorn is not installed" in stderr
    assert "pip install 'kolba[asgi]'" in stderr
    assert "gunicorn -w 4 'served_app:app'" in stderr  # the WSGI server


def test_asgi_option_without_uvicorn_is_a_usage_error(
    ws_app_dir: Path, no_uvicorn: dict[str, str]
) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "kolba", "--app", "served_app", "run", "--asgi"],
        cwd=ws_app_dir,
        env=_env(**no_uvicorn),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "--asgi needs uvicorn" in result.stderr
    assert "pip install 'kolba[asgi]'" in result.stderr


def test_app_without_websocket_routes_keeps_the_wsgi_server(app_dir: Path) -> None:
    with serve(app_dir, "--no-reload") as server:
        assert server.get("/") == (200, b"version one")
        assert "gunicorn -w 4 'served_app:app'" in server.stderr
        assert "uvicorn" not in server.stderr


def test_asgi_option_serves_an_http_only_app_with_uvicorn(app_dir: Path) -> None:
    with serve(app_dir, "--asgi") as server:
        assert server.get("/") == (200, b"version one")
        assert server.get("/page") == (200, b"template one")
        assert "Serving over ASGI with uvicorn" in server.stderr


def test_app_run_serves_websocket_routes(ws_app_dir: Path) -> None:
    port = _free_port()
    script = ws_app_dir / "script.py"
    script.write_text(
        WS_APP_SOURCE + f"\nif __name__ == '__main__':\n    app.run(port={port})\n"
    )
    stderr_path = ws_app_dir / "stderr.txt"
    with open(stderr_path, "wb") as stderr:
        process = subprocess.Popen(
            _with_default_sigint([sys.executable, str(script)]),
            cwd=ws_app_dir,
            env=_env(),
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            start_new_session=True,
        )
    server = Server(port, process, stderr_path, ws_app_dir)
    try:
        _wait_for_port(port, process, stderr_path)
        assert server.get("/") == (200, b"version one")
        assert _ws_echo(port, "run") == "one:run"
        process.send_signal(signal.SIGINT)
        assert process.wait(15) == 0
        assert "KeyboardInterrupt" not in server.stderr
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs openssl")
def test_websocket_app_with_cert_serves_https_and_wss(ws_app_dir: Path) -> None:
    from websockets.sync.client import connect

    cert, key = ws_app_dir / "cert.pem", ws_app_dir / "key.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
            "-keyout", str(key), "-out", str(cert), "-days", "1",
            "-subj", "/CN=localhost",
        ],
        check=True,
        capture_output=True,
        timeout=20,
    )  # fmt: skip
    context = ssl.create_default_context(cafile=str(cert))
    context.check_hostname = False
    with serve(ws_app_dir, "--cert", str(cert), "--key", str(key)) as server:
        conn = http.client.HTTPSConnection(
            "127.0.0.1", server.port, timeout=10, context=context
        )
        conn.request("GET", "/")
        assert conn.getresponse().read() == b"version one"
        conn.close()
        with connect(
            f"wss://127.0.0.1:{server.port}/ws", ssl=context, open_timeout=10
        ) as ws:
            ws.send("secure")
            assert ws.recv(timeout=10) == "one:secure"
        assert "Running on https://127.0.0.1" in server.stderr
