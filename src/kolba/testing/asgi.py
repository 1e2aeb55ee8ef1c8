"""The test client's ASGI side: HTTP requests through ``app.asgi_app``, and
WebSocket sessions.

How this file works: :func:`run_http` turns the environ the client built into
an ASGI ``http`` scope (the same conversion a server makes: percent-decoded
path, raw path, query string, header pairs), calls ``app.asgi_app`` on an
event loop kept per thread, and collects the response messages. So a test can
run over either front end with the same client calls
(``KolbaClient(app, asgi=True)``, or ``KolbaClient.default_asgi``).

:class:`WebsocketSession` runs a ``websocket`` scope on an event loop in a
background thread and talks to it through queues, so a test drives it with
plain calls: ``with client.websocket("/ws") as ws: ws.send("hi");
ws.receive()``.
"""

from __future__ import annotations

import asyncio
import json as _json
import queue
import threading
import typing as t
from urllib.parse import quote

from ..exceptions import HTTP_STATUS_CODES
from ..websocket import WebsocketDisconnect

if t.TYPE_CHECKING:  # pragma: no cover
    from ..app import Kolba

__all__ = [
    "WebsocketDisconnect",
    "WebsocketRejected",
    "WebsocketSession",
    "run_http",
    "scope_from_environ",
]

Message = dict[str, t.Any]


class _LoopThread:
    """One event loop, running in a daemon thread for the whole test session.

    The test client hands each request to it and waits for the answer; since
    the loop keeps running between requests, background tasks a request
    started go on as they would on a server.
    """

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        ready = threading.Event()
        self.thread = threading.Thread(
            target=self._run, args=(ready,), name="kolba-test-asgi", daemon=True
        )
        self.thread.start()
        ready.wait()

    def _run(self, ready: threading.Event) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.call_soon(ready.set)
        self.loop.run_forever()


_loop_thread: _LoopThread | None = None
_loop_lock = threading.Lock()


def _loop() -> asyncio.AbstractEventLoop:
    global _loop_thread
    with _loop_lock:
        if _loop_thread is None or not _loop_thread.thread.is_alive():
            _loop_thread = _LoopThread()
        return _loop_thread.loop


def scope_from_environ(environ: dict[str, t.Any], kind: str = "http") -> Message:
    """The ASGI scope a server would build for the request ``environ`` describes."""
    path_info = str(environ.get("PATH_INFO", "/"))
    script = str(environ.get("SCRIPT_NAME", ""))
    full = (script + path_info).encode("latin-1")
    headers: list[tuple[bytes, bytes]] = []
    for key, value in environ.items():
        if key.startswith("HTTP_"):
            name = key[5:].replace("_", "-").lower()
        elif key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            if value in (None, ""):
                continue
            name = key.replace("_", "-").lower()
        else:
            continue
        text = str(value)
        try:
            raw = text.encode("latin-1")
        except UnicodeEncodeError:  # what a client sending UTF-8 would put on the wire
            raw = text.encode("utf-8")
        headers.append((name.encode("latin-1"), raw))
    scheme = str(environ.get("wsgi.url_scheme", "http"))
    port = environ.get("SERVER_PORT")
    scope: Message = {
        "type": kind,
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": "1.1",
        "method": str(environ.get("REQUEST_METHOD", "GET")),
        "scheme": scheme if kind == "http" else ("wss" if scheme == "https" else "ws"),
        "path": full.decode("utf-8", "replace"),
        "raw_path": quote(full, safe="/:@!$&'()*+,;=-._~%").encode("ascii"),
        "root_path": script.encode("latin-1").decode("utf-8", "replace"),
        "query_string": str(environ.get("QUERY_STRING", "")).encode("latin-1"),
        "headers": headers,
        "client": (str(environ.get("REMOTE_ADDR") or "127.0.0.1"), 50000),
        "server": (
            str(environ.get("SERVER_NAME", "localhost")),
            int(port) if port else None,
        ),
        "extensions": {},
    }
    return scope


def run_http(
    app: Kolba,
    environ: dict[str, t.Any],
    preserve: t.Callable[[t.Any], None] | None = None,
) -> tuple[str, list[tuple[str, str]], list[bytes]]:
    """Send the request ``environ`` describes through ``app.asgi_app``.

    :returns: ``(status line, header pairs, body chunks)``.
    """
    scope = scope_from_environ(environ)
    if preserve is not None:
        scope["extensions"]["kolba.preserve_context"] = preserve
    stream = environ.get("wsgi.input")
    body = stream.read() if stream is not None else b""
    future = asyncio.run_coroutine_threadsafe(_call(app, scope, body), _loop())
    messages = future.result()
    status = 500
    headers: list[tuple[str, str]] = []
    chunks: list[bytes] = []
    for message in messages:
        if message["type"] == "http.response.start":
            status = int(message["status"])
            headers = [
                (bytes(k).decode("latin-1"), bytes(v).decode("latin-1"))
                for k, v in message.get("headers", ())
            ]
        elif message["type"] == "http.response.body":
            chunks.append(bytes(message.get("body", b"")))
    reason = HTTP_STATUS_CODES.get(status, "UNKNOWN")
    return f"{status} {reason}", headers, chunks


async def _call(app: Kolba, scope: Message, body: bytes) -> list[Message]:
    sent: list[Message] = []
    done = asyncio.Event()
    pending = [{"type": "http.request", "body": body, "more_body": False}]

    async def receive() -> Message:
        if pending:
            return pending.pop()
        await done.wait()
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        sent.append(message)
        if message["type"] == "http.response.body" and not message.get("more_body"):
            done.set()

    try:
        asgi: t.Any = app.asgi_app
        await asgi(scope, receive, send)
    finally:
        done.set()
    return sent


# -- WebSockets ------------------------------------------------------------------


class WebsocketRejected(Exception):
    """The app refused the handshake with an HTTP response."""

    def __init__(self, status: int, headers: list[tuple[str, str]], body: bytes):
        super().__init__(f"the app refused the WebSocket handshake with {status}")
        self.status = status
        self.headers = headers
        self.body = body


class WebsocketSession:
    """A WebSocket connection to the app, driven from a test with plain calls.

    :param timeout: seconds each :meth:`receive` waits for the app.
    """

    def __init__(
        self,
        app: Kolba,
        scope: Message,
        timeout: float = 30.0,
    ) -> None:
        self.app = app
        self.scope = scope
        self.timeout = timeout
        self.accepted_subprotocol: str | None = None
        self.accept_headers: list[tuple[str, str]] = []
        self._from_app: queue.Queue[Message] = queue.Queue()
        self._loop = asyncio.new_event_loop()
        self._to_app: asyncio.Queue[Message] | None = None
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._error: BaseException | None = None
        self.closed = False

    def _run(self) -> None:
        loop = self._loop
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(self._serve())
        finally:
            loop.close()

    async def _serve(self) -> None:
        self._to_app = asyncio.Queue()
        self._ready.set()
        to_app = self._to_app

        async def receive() -> Message:
            return await to_app.get()

        async def send(message: Message) -> None:
            self._from_app.put(message)

        try:
            asgi: t.Any = self.app.asgi_app
            await asgi(self.scope, receive, send)
        except BaseException as exc:  # shown to the test on its next call
            self._error = exc
        finally:
            self._from_app.put({"type": "kolba.test.done"})

    def _push(self, message: Message) -> None:
        assert self._to_app is not None
        if self._loop.is_closed():
            return  # the handler has finished; nobody is listening
        try:
            self._loop.call_soon_threadsafe(self._to_app.put_nowait, message)
        except RuntimeError:  # closed between the check and the call
            pass

    def _next(self) -> Message:
        try:
            message = self._from_app.get(timeout=self.timeout)
        except queue.Empty:
            raise TimeoutError(
                f"The app sent nothing on the WebSocket within {self.timeout} s."
            ) from None
        if message["type"] == "kolba.test.done":
            self._from_app.put(message)  # every later call sees the end too
            if self._error is not None:
                raise self._error
        return message

    def __enter__(self) -> WebsocketSession:
        self._thread.start()
        self._ready.wait(self.timeout)
        self._push({"type": "websocket.connect"})
        message = self._next()
        kind = message["type"]
        if kind == "websocket.accept":
            self.accepted_subprotocol = message.get("subprotocol")
            self.accept_headers = [
                (bytes(k).decode("latin-1"), bytes(v).decode("latin-1"))
                for k, v in message.get("headers") or ()
            ]
            return self
        self.closed = True
        self._thread.join(self.timeout)
        if kind == "websocket.http.response.start":
            headers = [
                (bytes(k).decode("latin-1"), bytes(v).decode("latin-1"))
                for k, v in message.get("headers") or ()
            ]
            body = b""
            while True:
                part = self._next()
                if part["type"] != "websocket.http.response.body":
                    break
                body += bytes(part.get("body", b""))
                if not part.get("more_body"):
                    break
            raise WebsocketRejected(int(message["status"]), headers, body)
        if kind == "websocket.close":
            raise WebsocketRejected(403, [], b"")
        raise RuntimeError(f"Unexpected first message from the app: {message!r}")

    def __exit__(self, *exc: object) -> None:
        if not self.closed:
            self.close()
        self._thread.join(self.timeout)
        if self._thread.is_alive():  # pragma: no cover - a hung handler
            raise TimeoutError("The WebSocket handler did not finish after close.")

    def send(self, data: str | bytes) -> None:
        """Send a text (``str``) or binary (``bytes``) message to the app."""
        key = "text" if isinstance(data, str) else "bytes"
        self._push({"type": "websocket.receive", key: data})

    def send_json(self, data: t.Any) -> None:
        """Send ``data`` as a JSON text message."""
        self.send(_json.dumps(data))

    def receive(self) -> str | bytes:
        """The app's next message.

        :raises WebsocketDisconnect: when the app closed the connection.
        """
        message = self._next()
        kind = message["type"]
        if kind == "websocket.send":
            text = message.get("text")
            return text if text is not None else bytes(message.get("bytes") or b"")
        if kind in ("websocket.close", "kolba.test.done"):
            self.closed = True
            raise WebsocketDisconnect(
                int(message.get("code", 1000)), str(message.get("reason") or "")
            )
        raise RuntimeError(f"Unexpected message from the app: {message!r}")

    def receive_json(self) -> t.Any:
        """The app's next message, parsed as JSON."""
        return _json.loads(self.receive())

    def close(self, code: int = 1000) -> None:
        """Close the connection from the client side."""
        if not self.closed:
            self.closed = True
            self._push({"type": "websocket.disconnect", "code": code})
