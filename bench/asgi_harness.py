"""The ASGI column: HTTP and WebSocket cases against ASGI 3 callables, in-process.

Each HTTP request is ``await app(scope, receive, send)`` on one event loop, with a
fresh shallow copy of a prebuilt scope. ``receive`` returns the request body once
(``http.request``, ``more_body`` false); called again it waits, as a server's does,
until the response has been sent completely and then returns ``http.disconnect``.
``send`` collects the messages. The WebSocket case connects once and times N echo
round trips over the open connection.

Before any request the app's ``lifespan`` startup runs (if the app supports it), and
its shutdown runs when the run ends, as under uvicorn's ``lifespan="auto"``.
"""

from __future__ import annotations

import asyncio
import importlib
import json
from collections import deque
from dataclasses import replace
from time import perf_counter

from apps.spec import HELLO
from harness import BrokenApp, Case

ASGI_FRAMEWORKS = ("kolba_asgi", "starlette", "quart", "raw_asgi")
ASGI_LABELS = {
    "kolba_asgi": "Kolba ASGI",
    "starlette": "Starlette",
    "quart": "Quart",
    "raw_asgi": "raw ASGI",
}
# The WSGI cases every ASGI app can express the same way (db: no async ORM peer).
ASGI_CASES = ("plaintext", "json", "routing", "form", "404", "template", "session")
WEBSOCKET_CASE = "websocket"
WS_PATH = "/ws"
WS_TEXT = HELLO
TIMEOUT = 5.0  # seconds: a handshake or shutdown that takes longer is BROKEN

_ASGI = {"version": "3.0", "spec_version": "2.3"}


# -- scopes --------


def http_scope(case: Case) -> dict:
    """The ASGI ``http`` scope matching ``harness.base_environ`` for ``case``."""
    headers = [
        (b"host", b"localhost"),
        (b"user-agent", b"kolba-bench/1.0"),
        (b"accept", b"*/*"),
        (b"accept-encoding", b"gzip, deflate"),
        (b"connection", b"keep-alive"),
    ]
    if case.body is not None:
        headers.append((b"content-length", str(len(case.body)).encode("ascii")))
        ctype = case.content_type or "application/octet-stream"
        headers.append((b"content-type", ctype.encode("latin-1")))
    if case.cookie is not None:
        headers.append((b"cookie", case.cookie.encode("latin-1")))
    return {
        "type": "http",
        "asgi": _ASGI,
        "http_version": "1.1",
        "method": case.method,
        "scheme": "http",
        "path": case.path,
        "raw_path": case.path.encode("ascii"),
        "query_string": b"",
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 54321),
        "server": ("localhost", 80),
    }


def websocket_scope() -> dict:
    return {
        "type": "websocket",
        "asgi": _ASGI,
        "http_version": "1.1",
        "scheme": "ws",
        "path": WS_PATH,
        "raw_path": WS_PATH.encode("ascii"),
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"localhost"),
            (b"connection", b"Upgrade"),
            (b"upgrade", b"websocket"),
            (b"sec-websocket-version", b"13"),
            (b"sec-websocket-key", b"dGhlIHNhbXBsZSBub25jZQ=="),
        ],
        "client": ("127.0.0.1", 54321),
        "server": ("localhost", 80),
        "subprotocols": [],
    }


# -- loading apps --------


def kolba_asgi_missing() -> str | None:
    """Why Kolba's ASGI column cannot run (None if ``app.asgi_app`` exists)."""
    try:
        import kolba

        probe = kolba.Kolba("kolba_bench_probe")
    except Exception as exc:  # noqa: BLE001
        return f"n/a (kolba not importable: {type(exc).__name__}: {exc})"
    if not callable(getattr(probe, "asgi_app", None)):
        return "n/a (no asgi_app)"
    return None


def load_factory(framework: str):
    """``apps.<framework>_app.make_app``; it returns the ASGI callable to time."""
    return importlib.import_module(f"apps.{framework}_app").make_app


def unsupported_cases(framework: str) -> dict[str, str]:
    module = importlib.import_module(f"apps.{framework}_app")
    return dict(getattr(module, "UNSUPPORTED_CASES", {}))


# -- one HTTP exchange --------


class _Exchange:
    """``receive`` and ``send`` for one request, as a server provides them."""

    __slots__ = ("body", "done", "waiter", "messages")

    def __init__(self, body: bytes):
        self.body = body
        self.done = False
        self.waiter = None
        self.messages = []

    async def receive(self):
        body = self.body
        if body is not None:
            self.body = None
            return {"type": "http.request", "body": body, "more_body": False}
        if not self.done:  # like a server: no disconnect before the response ends
            self.waiter = asyncio.get_running_loop().create_future()
            await self.waiter
        return {"type": "http.disconnect"}

    async def send(self, message):
        self.messages.append(message)
        if message["type"] == "http.response.body" and not message.get(
            "more_body", False
        ):
            self.done = True
            waiter = self.waiter
            if waiter is not None and not waiter.done():
                waiter.set_result(None)


class Lifespan:
    """Drives an app's ``lifespan`` scope; ``state`` goes into every request scope."""

    def __init__(self, loop: asyncio.AbstractEventLoop, app):
        self.loop = loop
        self.app = app
        self.state: dict = {}
        self.supported = False
        self._inbox: asyncio.Queue = asyncio.Queue()
        self._outbox: asyncio.Queue = asyncio.Queue()
        self._task = None

    async def _exchange(self, message: str, expect: str) -> None:
        self._inbox.put_nowait({"type": message})
        reply = asyncio.ensure_future(self._outbox.get())
        done, _ = await asyncio.wait(
            {reply, self._task}, timeout=TIMEOUT, return_when=asyncio.FIRST_COMPLETED
        )
        if reply not in done:
            reply.cancel()
            if self._task in done:  # the app does not speak lifespan (allowed)
                if not self._task.cancelled():
                    self._task.exception()  # retrieved: not logged as unhandled
                raise LookupError
            raise BrokenApp(f"lifespan: no answer to {message} in {TIMEOUT:g} s")
        got = reply.result()["type"]
        if got != expect:
            raise BrokenApp(f"lifespan: {got!r} in answer to {message}")

    def startup(self) -> None:
        scope = {"type": "lifespan", "asgi": _ASGI, "state": self.state}
        self._task = self.loop.create_task(
            self.app(scope, self._inbox.get, self._outbox.put)
        )
        try:
            self.loop.run_until_complete(
                self._exchange("lifespan.startup", "lifespan.startup.complete")
            )
            self.supported = True
        except LookupError:
            self.supported = False

    def shutdown(self) -> None:
        if not self.supported or self._task is None or self._task.done():
            return
        try:
            self.loop.run_until_complete(
                self._exchange("lifespan.shutdown", "lifespan.shutdown.complete")
            )
        except (LookupError, BrokenApp):
            self._task.cancel()


def call_once(loop, app, scope: dict, body: bytes | None):
    """One request; returns ``(status, headers, body)`` with str headers."""
    ex = _Exchange(body or b"")
    loop.run_until_complete(
        asyncio.wait_for(app(scope.copy(), ex.receive, ex.send), TIMEOUT)
    )
    if not ex.messages or ex.messages[0]["type"] != "http.response.start":
        raise BrokenApp(f"first message is not http.response.start: {ex.messages[:1]}")
    if not ex.done:
        raise BrokenApp("the response body was never finished (more_body stayed true)")
    start = ex.messages[0]
    headers = [
        (bytes(k).decode("latin-1"), bytes(v).decode("latin-1"))
        for k, v in start.get("headers", ())
    ]
    body_out = b"".join(
        m.get("body", b"") for m in ex.messages[1:] if m["type"] == "http.response.body"
    )
    return int(start["status"]), headers, body_out


def prepare(loop, app, case: Case, state: dict) -> Case:
    """``case`` with the app's own session cookie if it needs one (cf. harness)."""
    if not case.needs_cookie or case.cookie is not None:
        return case
    status, headers, body = call_once(loop, app, scope_for(case, state), case.body)
    if status != 200 or body != case.first_body:
        raise BrokenApp(
            f"{case.path} without a cookie: {status} {body[:200]!r}, expected "
            f"200 {case.first_body!r}"
        )
    cookies = [v for k, v in headers if k.lower() == "set-cookie"]
    if len(cookies) != 1:
        raise BrokenApp(f"{case.path}: expected one Set-Cookie, got {cookies!r}")
    return replace(case, cookie=cookies[0].split(";", 1)[0])


def scope_for(case: Case, state: dict) -> dict:
    scope = http_scope(case)
    scope["state"] = state
    return scope


def verify(loop, app, case: Case, state: dict) -> Case:
    """Raise BrokenApp unless ``app`` answers ``case`` as the WSGI bench demands.

    Returns the prepared case (with its session cookie) for ``make_runner``.
    """
    case = prepare(loop, app, case, state)
    status, headers, body = call_once(loop, app, scope_for(case, state), case.body)
    shown = body[:200]
    if status != case.status:
        raise BrokenApp(
            f"{case.method} {case.path}: status {status}, expected {case.status}; "
            f"body {shown!r}"
        )
    if case.expect_body is not None and body != case.expect_body:
        raise BrokenApp(
            f"{case.method} {case.path}: body {shown!r}, expected {case.expect_body!r}"
        )
    if case.expect_json is not None:
        try:
            data = json.loads(body)
        except ValueError:
            raise BrokenApp(f"{case.path}: body is not JSON: {shown!r}") from None
        if data != case.expect_json:
            raise BrokenApp(
                f"{case.path}: JSON {data!r}, expected {case.expect_json!r}"
            )
    if case.needs_cookie and not any(k.lower() == "set-cookie" for k, _ in headers):
        raise BrokenApp(f"{case.path}: the updated session was not sent back")
    if case.expect_ctype is not None:
        ctype = next((v for k, v in headers if k.lower() == "content-type"), "")
        if not ctype.lower().startswith(case.expect_ctype):
            raise BrokenApp(
                f"{case.path}: Content-Type {ctype!r}, expected {case.expect_ctype}"
            )
    return case


def make_runner(loop, app, case: Case, state: dict):
    """``run(n) -> seconds`` timing n requests; ``case`` as returned by ``verify``."""
    scope = scope_for(case, state)
    payload = case.body or b""

    async def many(n: int) -> float:
        copy = scope.copy
        exchange = _Exchange
        t0 = perf_counter()
        for _ in range(n):
            s = copy()
            s["state"] = state.copy()  # as uvicorn: a shallow copy per request
            ex = exchange(payload)
            await app(s, ex.receive, ex.send)
        return perf_counter() - t0

    def run(n: int) -> float:
        return loop.run_until_complete(many(n))

    return run


# -- WebSocket echo --------

_CLOSED = {"type": "kolba-bench.app-returned"}


class _Pipe:
    """A minimal one-consumer message channel (cheaper than asyncio.Queue)."""

    __slots__ = ("items", "waiter")

    def __init__(self):
        self.items = deque()
        self.waiter = None

    def put(self, item) -> None:
        waiter = self.waiter
        if waiter is not None:
            self.waiter = None
            if not waiter.done():
                waiter.set_result(item)
                return
        self.items.append(item)

    async def send(self, item) -> None:  # the app's ``send``
        self.put(item)

    async def get(self):
        if self.items:
            return self.items.popleft()
        self.waiter = asyncio.get_running_loop().create_future()
        return await self.waiter


class _Connection:
    """One open WebSocket connection to ``app``, client side."""

    def __init__(self, app, state: dict):
        self.app = app
        self.state = state
        self.to_app = _Pipe()
        self.from_app = _Pipe()
        self.task = None

    async def open(self) -> None:
        scope = websocket_scope()
        scope["state"] = self.state.copy()
        self.to_app.put({"type": "websocket.connect"})
        self.task = asyncio.ensure_future(
            self.app(scope, self.to_app.get, self.from_app.send)
        )
        self.task.add_done_callback(lambda _t: self.from_app.put(_CLOSED))
        reply = await asyncio.wait_for(self.from_app.get(), TIMEOUT)
        if reply.get("type") != "websocket.accept":
            raise BrokenApp(f"{WS_PATH}: {self._describe(reply)} instead of accept")

    def _describe(self, reply) -> str:
        if reply is _CLOSED:
            exc = None if self.task.cancelled() else self.task.exception()
            return "the app returned" + (
                f" ({type(exc).__name__}: {exc})" if exc else ""
            )
        return repr(reply)

    async def echo(self, text: str) -> None:
        self.to_app.put({"type": "websocket.receive", "text": text})
        reply = await asyncio.wait_for(self.from_app.get(), TIMEOUT)
        if reply.get("type") != "websocket.send" or reply.get("text") != text:
            raise BrokenApp(
                f"{WS_PATH}: sent {text!r}, got {self._describe(reply)} "
                "(expected the same text back)"
            )

    async def close(self) -> None:
        """Client disconnects; the app must return within TIMEOUT, without error."""
        self.to_app.put({"type": "websocket.disconnect", "code": 1000})
        try:
            await asyncio.wait_for(asyncio.shield(self.task), TIMEOUT)
        except TimeoutError:
            self.task.cancel()
            raise BrokenApp(
                f"{WS_PATH}: the app did not return within {TIMEOUT:g} s of "
                "websocket.disconnect"
            ) from None
        except Exception as exc:  # noqa: BLE001
            raise BrokenApp(
                f"{WS_PATH}: the app raised after websocket.disconnect: "
                f"{type(exc).__name__}: {exc}"
            ) from exc


def verify_websocket(loop, app, state: dict) -> None:
    """Connect, echo three different texts (one non-ASCII), disconnect cleanly."""

    async def check():
        conn = _Connection(app, state)
        await conn.open()
        for text in ("one", "Zoë <2>", WS_TEXT):
            await conn.echo(text)
        await conn.close()

    loop.run_until_complete(check())


def make_websocket_runner(loop, app, state: dict):
    """``run(n) -> seconds``: connect, time n echo round trips, disconnect.

    Only the round trips are timed. The last echo is checked after the clock stops.
    """

    async def many(n: int) -> float:
        conn = _Connection(app, state)
        await conn.open()
        put, get = conn.to_app.put, conn.from_app.get
        message = {"type": "websocket.receive", "text": WS_TEXT}
        reply = None
        t0 = perf_counter()
        for _ in range(n):
            put(message)
            reply = await get()
            if reply is _CLOSED:  # the app returned: stop instead of waiting forever
                break
        elapsed = perf_counter() - t0
        if reply.get("type") != "websocket.send" or reply.get("text") != WS_TEXT:
            raise BrokenApp(f"{WS_PATH}: echo answered {conn._describe(reply)}")
        await conn.close()
        return elapsed

    def run(n: int) -> float:
        return loop.run_until_complete(many(n))

    return run
