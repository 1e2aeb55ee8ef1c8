"""The ASGI front end in-process: protocol edges, where code runs, contexts.

Most tests call ``app.asgi_app(scope, receive, send)`` with hand-made scopes
and message lists (the edges a server exercises); the rest use the test
client with ``asgi=True``. Tests that compare the front ends create both
clients explicitly. No test waits on a fixed sleep: threads and tasks are
coordinated with events and generous deadlines.
"""

from __future__ import annotations

import asyncio
import gc
import inspect
import json
import logging
import threading
import typing as t

import pytest

from kolba import (
    Kolba,
    abort,
    after_this_request,
    copy_current_request_context,
    current_app,
    g,
    request,
    send_file,
    session,
    stream_with_context,
)

DEADLINE = 60.0

Message = dict[str, t.Any]


# -- helpers -----------------------------------------------------------------------


def http_scope(
    path: str = "/",
    method: str = "GET",
    headers: t.Sequence[tuple[str, str]] = (),
    query_string: bytes = b"",
) -> Message:
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode("ascii"),
        "root_path": "",
        "query_string": query_string,
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers],
        "client": ("127.0.0.1", 50000),
        "server": ("localhost", 80),
        "extensions": {},
    }


class Exchange:
    """A scripted client: ``receive`` hands out ``incoming`` then waits.

    After the scripted messages, ``receive`` waits until the response is
    complete (or ``disconnect`` is set) and then reports ``http.disconnect``,
    as a server does when the client goes away.
    """

    def __init__(self, incoming: t.Sequence[Message] = ()) -> None:
        self.incoming = list(incoming)
        self.sent: list[Message] = []
        self.disconnect = asyncio.Event()
        self.received = 0

    async def receive(self) -> Message:
        if self.incoming:
            self.received += 1
            return self.incoming.pop(0)
        await self.disconnect.wait()
        return {"type": "http.disconnect"}

    async def send(self, message: Message) -> None:
        self.sent.append(message)
        if message["type"] == "http.response.body" and not message.get("more_body"):
            self.disconnect.set()

    @property
    def status(self) -> int | None:
        for message in self.sent:
            if message["type"] == "http.response.start":
                return int(message["status"])
        return None

    @property
    def headers(self) -> dict[str, str]:
        for message in self.sent:
            if message["type"] == "http.response.start":
                return {k.decode().lower(): v.decode() for k, v in message["headers"]}
        return {}

    @property
    def body(self) -> bytes:
        return b"".join(
            m.get("body", b"") for m in self.sent if m["type"] == "http.response.body"
        )


def body_messages(*chunks: bytes) -> list[Message]:
    """``http.request`` messages carrying ``chunks``; the last ends the body."""
    messages = [
        {"type": "http.request", "body": chunk, "more_body": True} for chunk in chunks
    ]
    messages.append({"type": "http.request", "body": b"", "more_body": False})
    return messages


async def serve(app: Kolba, scope: Message, incoming: t.Sequence[Message]) -> Exchange:
    exchange = Exchange(incoming)
    await asyncio.wait_for(
        app.asgi_app(scope, exchange.receive, exchange.send), DEADLINE
    )
    return exchange


def run(coro: t.Awaitable[t.Any]) -> t.Any:
    return asyncio.run(asyncio.wait_for(coro, DEADLINE))  # type: ignore[arg-type]


@pytest.fixture
def prod_app() -> Kolba:
    """An app in production mode: errors become 500 pages, not exceptions."""
    app = Kolba("kolba_asgi_prod", root_path="/nonexistent-kolba-test-root")
    app.config.update(SECRET_KEY="test key")
    return app


# -- calling conventions -----------------------------------------------------------


def test_asgi_app_is_asgi3_coroutine(app: Kolba) -> None:
    # Servers tell ASGI 3 from 2 by inspecting __call__.
    assert inspect.iscoroutinefunction(type(app.asgi_app).__call__)
    assert app.asgi_app is app.asgi_app  # one instance per app


def test_asgi2_call_form_serves_http(app: Kolba) -> None:
    @app.get("/hello")
    async def hello() -> str:
        return f"hello {request.args['name']}"

    async def main() -> Exchange:
        instance = app(http_scope("/hello", query_string=b"name=asgi2"))
        assert callable(instance)
        exchange = Exchange(body_messages())
        await instance(exchange.receive, exchange.send)
        return exchange

    exchange = run(main())
    assert exchange.status == 200
    assert exchange.body == b"hello asgi2"


def test_asgi2_call_form_serves_lifespan(app: Kolba) -> None:
    ran: list[str] = []
    app.before_serving(lambda: ran.append("start"))
    app.after_serving(lambda: ran.append("stop"))

    async def main() -> list[Message]:
        sent: list[Message] = []
        messages = [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}]

        async def receive() -> Message:
            return messages.pop(0)

        async def send(message: Message) -> None:
            sent.append(message)

        await app({"type": "lifespan", "asgi": {"version": "3.0"}})(receive, send)
        return sent

    sent = run(main())
    assert [m["type"] for m in sent] == [
        "lifespan.startup.complete",
        "lifespan.shutdown.complete",
    ]
    assert ran == ["start", "stop"]


def test_calling_the_app_without_arguments_is_a_type_error(app: Kolba) -> None:
    # uvicorn's --factory probe calls app() and expects TypeError for a non-factory.
    with pytest.raises(TypeError):
        app()  # type: ignore[call-overload]


def test_unknown_scope_type_is_refused(app: Kolba) -> None:
    async def main() -> None:
        async def receive() -> Message:  # pragma: no cover - never called
            raise AssertionError

        async def send(message: Message) -> None:  # pragma: no cover
            raise AssertionError

        await app.asgi_app({"type": "telepathy"}, receive, send)

    with pytest.raises(ValueError, match="telepathy"):
        run(main())


# -- request bodies ----------------------------------------------------------------


def _body_app(app: Kolba, is_async: bool) -> Kolba:
    if is_async:

        @app.post("/data")
        async def data_async() -> dict[str, t.Any]:
            return {"data": request.get_data(as_text=True)}

        @app.post("/form")
        async def form_async() -> dict[str, t.Any]:
            return {"form": request.form.to_dict()}

        @app.post("/json")
        async def json_async() -> t.Any:
            return {"json": request.json}
    else:

        @app.post("/data")
        def data_sync() -> dict[str, t.Any]:
            return {"data": request.get_data(as_text=True)}

        @app.post("/form")
        def form_sync() -> dict[str, t.Any]:
            return {"form": request.form.to_dict()}

        @app.post("/json")
        def json_sync() -> t.Any:
            return {"json": request.json}

    return app


@pytest.mark.parametrize("is_async", [True, False], ids=["async", "sync"])
@pytest.mark.parametrize("with_length", [True, False], ids=["length", "chunked"])
def test_body_in_several_messages(
    app: Kolba, is_async: bool, with_length: bool
) -> None:
    _body_app(app, is_async)
    chunks = [b"first,", b"", b"second,", b"third"]
    framing = (
        ("Content-Length", str(sum(map(len, chunks))))
        if with_length
        else ("Transfer-Encoding", "chunked")
    )
    scope = http_scope("/data", "POST", [framing, ("Content-Type", "text/plain")])
    exchange = run(serve(app, scope, body_messages(*chunks)))
    assert exchange.status == 200
    assert exchange.body.replace(b" ", b"") == b'{"data":"first,second,third"}\n'
    # Every message with data was read (with a length, the empty last one
    # need not be).
    assert exchange.received >= len(chunks)


@pytest.mark.parametrize("is_async", [True, False], ids=["async", "sync"])
def test_form_split_mid_field_over_messages(app: Kolba, is_async: bool) -> None:
    _body_app(app, is_async)
    body = b"name=k%C3%B6lba&" + b"text=" + b"x" * 70_000
    chunks = [body[i : i + 4096] for i in range(0, len(body), 4096)]
    headers = [
        ("Content-Type", "application/x-www-form-urlencoded"),
        ("Content-Length", str(len(body))),
    ]
    exchange = run(
        serve(app, http_scope("/form", "POST", headers), body_messages(*chunks))
    )
    assert exchange.status == 200, exchange.body
    form = json.loads(exchange.body)["form"]
    assert form["name"] == "kölba"
    assert form["text"] == "x" * 70_000


@pytest.mark.parametrize("is_async", [True, False], ids=["async", "sync"])
def test_json_split_over_messages(app: Kolba, is_async: bool) -> None:
    _body_app(app, is_async)
    body = b'{"a": [1, 2, 3], "b": "\xc3\xa9t\xc3\xa9"}'
    chunks = [body[i : i + 3] for i in range(0, len(body), 3)]
    headers = [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
    exchange = run(
        serve(app, http_scope("/json", "POST", headers), body_messages(*chunks))
    )
    assert exchange.status == 200, exchange.body
    assert json.loads(exchange.body) == {"json": {"a": [1, 2, 3], "b": "été"}}


@pytest.mark.parametrize(
    ("limit", "framing"),
    [
        pytest.param(None, ("Transfer-Encoding", "chunked"), id="no-limit-chunked"),
        pytest.param(
            "default",
            ("Transfer-Encoding", "chunked"),
            id="default-limit-chunked",
        ),
        pytest.param(None, ("Content-Length", "60"), id="length"),
    ],
)
def test_async_for_over_request_stream(
    app: Kolba, limit: str | None, framing: tuple[str, str]
) -> None:
    if limit is None:
        app.config["MAX_CONTENT_LENGTH"] = None
    seen: list[bytes] = []

    @app.post("/upload")
    async def upload() -> str:
        try:
            async for chunk in request.stream:  # type: ignore[attr-defined]
                seen.append(chunk)
        except TypeError as exc:  # reported plainly rather than as a 500 page
            return f"TypeError: {exc}"
        return str(sum(map(len, seen)))

    chunks = [b"a" * 10, b"b" * 20, b"c" * 30]
    scope = http_scope("/upload", "POST", [framing])
    exchange = run(serve(app, scope, body_messages(*chunks)))
    assert exchange.status == 200
    assert exchange.body == b"60"
    # Chunks arrive as the client sent them, not re-buffered into one.
    assert seen == chunks


@pytest.mark.parametrize("is_async", [True, False], ids=["async", "sync"])
@pytest.mark.parametrize("with_length", [True, False], ids=["length", "chunked"])
def test_body_over_max_content_length_in_pieces_is_413(
    app: Kolba, is_async: bool, with_length: bool
) -> None:
    app.config["MAX_CONTENT_LENGTH"] = 1000
    _body_app(app, is_async)
    chunks = [b"y" * 300] * 5  # 1500 bytes in 300-byte pieces
    framing = (
        ("Content-Length", "1500") if with_length else ("Transfer-Encoding", "chunked")
    )
    scope = http_scope("/data", "POST", [framing, ("Content-Type", "text/plain")])
    exchange = run(serve(app, scope, body_messages(*chunks)))
    assert exchange.status == 413
    assert b"y" * 300 not in exchange.body


@pytest.mark.parametrize("is_async", [True, False], ids=["async", "sync"])
def test_body_at_max_content_length_is_accepted(app: Kolba, is_async: bool) -> None:
    app.config["MAX_CONTENT_LENGTH"] = 1000
    _body_app(app, is_async)
    scope = http_scope("/data", "POST", [("Transfer-Encoding", "chunked")])
    exchange = run(serve(app, scope, body_messages(*[b"z" * 250] * 4)))
    assert exchange.status == 200
    assert b"z" * 1000 in exchange.body


@pytest.mark.parametrize("is_async", [True, False], ids=["async", "sync"])
def test_disconnect_mid_body_sends_no_500_and_no_traceback(
    prod_app: Kolba, is_async: bool, caplog: pytest.LogCaptureFixture
) -> None:
    _body_app(prod_app, is_async)
    torn_down: list[BaseException | None] = []
    prod_app.teardown_request(torn_down.append)
    incoming = [
        {"type": "http.request", "body": b"partial", "more_body": True},
        {"type": "http.disconnect"},
    ]
    scope = http_scope("/data", "POST", [("Content-Length", "100")])
    with caplog.at_level(logging.ERROR):
        exchange = run(serve(prod_app, scope, incoming))
    statuses = [m.get("status") for m in exchange.sent if "status" in m]
    assert 500 not in statuses
    assert b"Traceback" not in exchange.body
    assert b"partial" not in exchange.body
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    # If the view ran at all, its request was torn down once.
    assert len(torn_down) <= 1


# -- streaming responses -----------------------------------------------------------


class StreamProbe:
    def __init__(self) -> None:
        self.produced = 0
        self.closed = threading.Event()
        self.teardowns = 0


def _streaming_app(app: Kolba, probe: StreamProbe) -> Kolba:
    @app.teardown_request
    def count(exc: BaseException | None) -> None:
        probe.teardowns += 1

    @app.get("/sync-stream")
    def sync_stream() -> t.Any:
        def gen() -> t.Iterator[bytes]:
            try:
                while True:
                    probe.produced += 1
                    yield b"chunk\n"
            finally:
                probe.closed.set()

        return gen()

    @app.get("/async-stream")
    async def async_stream() -> t.Any:
        async def gen() -> t.AsyncIterator[bytes]:
            try:
                while True:
                    probe.produced += 1
                    yield b"chunk\n"
                    await asyncio.sleep(0)
            finally:
                probe.closed.set()

        return gen()

    return app


@pytest.mark.parametrize("path", ["/sync-stream", "/async-stream"])
def test_client_disconnect_stops_an_endless_stream(app: Kolba, path: str) -> None:
    probe = StreamProbe()
    _streaming_app(app, probe)

    async def main() -> Exchange:
        exchange = Exchange()
        original_send = exchange.send

        async def send(message: Message) -> None:
            await original_send(message)
            bodies = [m for m in exchange.sent if m["type"] == "http.response.body"]
            if len(bodies) == 3:
                exchange.disconnect.set()  # the client goes away

        await asyncio.wait_for(
            app.asgi_app(http_scope(path), exchange.receive, send), DEADLINE
        )
        return exchange

    exchange = run(main())
    assert exchange.status == 200
    assert probe.closed.is_set()  # the generator's finally ran
    bodies = [m for m in exchange.sent if m["type"] == "http.response.body"]
    assert len(bodies) >= 3
    assert all(m.get("more_body") for m in bodies)  # never told the body ended
    assert probe.teardowns == 1


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_finite_stream_is_sent_in_chunks_and_ends(app: Kolba, kind: str) -> None:
    if kind == "sync":

        @app.get("/s")
        def view() -> t.Any:
            return (f"{i}," for i in range(5))
    else:

        @app.get("/s")
        async def view() -> t.Any:
            async def gen() -> t.AsyncIterator[str]:
                for i in range(5):
                    yield f"{i},"

            return gen()

    exchange = run(serve(app, http_scope("/s"), body_messages()))
    bodies = [m for m in exchange.sent if m["type"] == "http.response.body"]
    assert [m["body"] for m in bodies[:-1]] == [b"0,", b"1,", b"2,", b"3,", b"4,"]
    assert not bodies[-1].get("more_body")
    assert exchange.body == b"0,1,2,3,4,"


def test_send_file_is_streamed_in_chunks(app: Kolba, tmp_path: t.Any) -> None:
    data = bytes(range(256)) * 4096  # 1 MiB
    path = tmp_path / "big.bin"
    path.write_bytes(data)

    @app.get("/file")
    def file_view() -> t.Any:
        return send_file(path, mimetype="application/octet-stream")

    exchange = run(serve(app, http_scope("/file"), body_messages()))
    assert exchange.status == 200
    assert exchange.headers["content-length"] == str(len(data))
    bodies = [m["body"] for m in exchange.sent if m["type"] == "http.response.body"]
    assert len(bodies) > 2
    assert max(len(b) for b in bodies) < len(data)
    assert b"".join(bodies) == data


def test_send_file_stream_stops_on_disconnect(app: Kolba, tmp_path: t.Any) -> None:
    path = tmp_path / "big.bin"
    path.write_bytes(b"q" * (4 << 20))
    torn_down: list[int] = []
    app.teardown_request(lambda exc: torn_down.append(1))

    @app.get("/file")
    def file_view() -> t.Any:
        return send_file(path)

    async def main() -> Exchange:
        exchange = Exchange()
        original_send = exchange.send

        async def send(message: Message) -> None:
            await original_send(message)
            if message["type"] == "http.response.body":
                exchange.disconnect.set()

        await app.asgi_app(http_scope("/file"), exchange.receive, send)
        return exchange

    exchange = run(main())
    assert len(exchange.body) < 4 << 20
    assert torn_down == [1]


# -- where code runs -----------------------------------------------------------------


def test_async_views_run_on_the_servers_loop(app: Kolba) -> None:
    seen: list[tuple[int, asyncio.AbstractEventLoop]] = []

    @app.get("/where")
    async def where() -> str:
        seen.append((threading.get_ident(), asyncio.get_running_loop()))
        return "ok"

    async def main() -> asyncio.AbstractEventLoop:
        for _ in range(3):
            exchange = await serve(app, http_scope("/where"), body_messages())
            assert exchange.status == 200
        return asyncio.get_running_loop()

    loop = run(main())
    assert len(seen) == 3
    assert {ident for ident, _ in seen} == {threading.get_ident()}
    assert all(view_loop is loop for _, view_loop in seen)


@pytest.mark.parametrize("asgi", [True, False], ids=["asgi", "wsgi"])
def test_async_views_reuse_one_loop_across_requests(app: Kolba, asgi: bool) -> None:
    seen: list[tuple[int, int, bool]] = []

    @app.get("/loop")
    async def loop_view() -> str:
        loop = asyncio.get_running_loop()
        seen.append((threading.get_ident(), id(loop), loop.is_closed()))
        return "ok"

    client = app.test_client(asgi=asgi)
    for _ in range(4):
        assert client.get("/loop").status_code == 200
    assert len(seen) == 4
    assert len({entry[:2] for entry in seen}) == 1  # same thread, same loop
    assert not any(closed for *_, closed in seen)


def test_sync_view_runs_on_pool_thread_while_loop_serves_async(app: Kolba) -> None:
    entered = threading.Event()
    release = threading.Event()
    where: dict[str, str] = {}

    @app.get("/block")
    def block() -> str:
        where["sync"] = threading.current_thread().name
        entered.set()
        assert release.wait(DEADLINE), "never released"
        return "unblocked"

    @app.get("/fast")
    async def fast() -> str:
        where["async"] = threading.current_thread().name
        return "fast"

    async def main() -> tuple[Exchange, Exchange]:
        blocked = asyncio.ensure_future(
            serve(app, http_scope("/block"), body_messages())
        )
        loop = asyncio.get_running_loop()
        assert await loop.run_in_executor(None, entered.wait, DEADLINE)
        fast_exchange = await serve(app, http_scope("/fast"), body_messages())
        # The fast request finished while the sync view still blocks.
        assert not blocked.done()
        release.set()
        return fast_exchange, await blocked

    try:
        fast_exchange, blocked_exchange = run(main())
    finally:
        release.set()
    assert fast_exchange.body == b"fast"
    assert blocked_exchange.body == b"unblocked"
    assert where["sync"].startswith("kolba-sync")
    assert where["async"] == threading.current_thread().name


def test_sync_hooks_around_async_view_run_in_the_pool(app: Kolba) -> None:
    names: dict[str, str] = {}

    @app.before_request
    def before() -> None:
        names["before"] = threading.current_thread().name
        g.before = request.path

    @app.after_request
    def after(response: t.Any) -> t.Any:
        names["after"] = threading.current_thread().name
        response.headers["X-Seen"] = f"{g.before}|{g.view}|{request.method}"
        return response

    @app.get("/hooked")
    async def hooked() -> str:
        names["view"] = threading.current_thread().name
        g.view = "async"
        return "ok"

    response = app.test_client(asgi=True).get("/hooked")
    assert response.headers["X-Seen"] == "/hooked|async|GET"
    assert names["before"].startswith("kolba-sync")
    assert names["after"].startswith("kolba-sync")
    # The async view runs on the loop's thread (the test client's loop thread),
    # not in the pool.
    assert names["view"] == "kolba-test-asgi"


@pytest.mark.parametrize("asgi", [True, False], ids=["asgi", "wsgi"])
def test_async_hooks_around_sync_view(app: Kolba, asgi: bool) -> None:
    @app.before_request
    async def before() -> None:
        await asyncio.sleep(0)
        g.trail = ["before"]

    @app.after_request
    async def after(response: t.Any) -> t.Any:
        await asyncio.sleep(0)
        g.trail.append("after")
        response.headers["X-Trail"] = ",".join(g.trail)
        return response

    @app.get("/plain")
    def plain() -> str:
        g.trail.append(f"view:{request.path}")
        return "ok"

    response = app.test_client(asgi=asgi).get("/plain")
    assert response.headers["X-Trail"] == "before,view:/plain,after"


# -- contexts -----------------------------------------------------------------------


@pytest.mark.parametrize("asgi", [True, False], ids=["asgi", "wsgi"])
def test_contexts_in_async_view(app: Kolba, asgi: bool) -> None:
    @app.get("/set")
    async def set_session() -> str:
        session["user"] = "ada"
        return "set"

    @app.get("/ctx")
    async def ctx_view() -> dict[str, t.Any]:
        g.value = "from g"
        await asyncio.sleep(0)
        return {
            "g": g.value,
            "path": request.path,
            "arg": request.args.get("q"),
            "user": session.get("user"),
            "app": current_app.name,
        }

    client = app.test_client(asgi=asgi)
    client.get("/set")
    assert client.get("/ctx?q=1").json == {
        "g": "from g",
        "path": "/ctx",
        "arg": "1",
        "user": "ada",
        "app": app.name,
    }


def test_session_set_in_async_view_is_saved(app: Kolba) -> None:
    @app.get("/login")
    async def login() -> str:
        await asyncio.sleep(0)
        session["user"] = "grace"
        return "ok"

    @app.get("/me")
    def me() -> str:
        return session.get("user", "nobody")

    client = app.test_client(asgi=True)
    assert client.get("/me").text == "nobody"
    client.get("/login")
    assert client.get("/me").text == "grace"


@pytest.mark.parametrize(
    ("asgi", "view_kind"),
    [(True, "sync"), (True, "async"), (False, "sync")],
    ids=["asgi-sync", "asgi-async", "wsgi-sync"],
)
def test_stream_with_context_sees_the_request(
    app: Kolba, asgi: bool, view_kind: str
) -> None:
    def body() -> t.Iterator[str]:
        yield f"{request.path}|"
        yield f"{request.args['x']}|"
        yield f"{g.marker}|"
        yield current_app.name

    if view_kind == "sync":

        @app.get("/swc")
        def view() -> t.Any:
            g.marker = "sync-g"
            return stream_with_context(body())
    else:

        @app.get("/swc")
        async def view() -> t.Any:
            g.marker = "async-g"
            return stream_with_context(body())

    response = app.test_client(asgi=asgi).get("/swc?x=7")
    assert response.text == f"/swc|7|{view_kind}-g|{app.name}"


def test_stream_with_context_in_async_view_under_wsgi(app: Kolba) -> None:
    def body() -> t.Iterator[str]:
        yield f"{request.path}|"
        yield f"{g.marker}"

    @app.get("/swc")
    async def view() -> t.Any:
        g.marker = "async-g"
        return stream_with_context(body())

    # In a thread of its own: it starts with an empty contextvars Context, so
    # contexts the bug leaves pushed cannot leak into the tests that follow.
    outcome: dict[str, t.Any] = {}

    def call() -> None:
        try:
            outcome["text"] = app.test_client(asgi=False).get("/swc").text
        except Exception as exc:
            outcome["error"] = f"{type(exc).__name__}: {exc}"
        gc.collect()

    thread = threading.Thread(target=call)
    thread.start()
    thread.join(DEADLINE)
    gc.collect()
    assert outcome.get("text") == "/swc|async-g", outcome


def test_stream_without_context_loses_the_request(app: Kolba) -> None:
    # The control for the test above: without the wrapper, request is gone.
    @app.get("/bare")
    async def bare() -> t.Any:
        def body() -> t.Iterator[str]:
            yield "start|"
            yield str(request.path)

        return body()

    with pytest.raises(RuntimeError, match="outside of request context"):
        app.test_client(asgi=True).get("/bare")


def test_tasks_created_in_async_view_see_the_contexts(app: Kolba) -> None:
    @app.get("/task")
    async def task_view() -> str:
        g.token = "abc"

        async def child() -> str:
            await asyncio.sleep(0)
            return f"{request.path}|{g.token}|{current_app.name}"

        return await asyncio.create_task(child())

    response = app.test_client(asgi=True).get("/task")
    assert response.text == f"/task|abc|{app.name}"


def test_gathered_tasks_each_see_the_request(app: Kolba) -> None:
    @app.get("/gather")
    async def gather_view() -> str:
        async def part(i: int) -> str:
            await asyncio.sleep(0)
            return f"{i}:{request.args['n']}"

        parts = await asyncio.gather(*(part(i) for i in range(3)))
        return ",".join(parts)

    assert app.test_client(asgi=True).get("/gather?n=9").text == "0:9,1:9,2:9"


@pytest.mark.parametrize("asgi", [True, False], ids=["asgi", "wsgi"])
def test_copy_current_request_context_in_a_thread(app: Kolba, asgi: bool) -> None:
    result: dict[str, str] = {}

    @app.get("/copy")
    async def copy_view() -> str:
        session["seen"] = "yes"

        @copy_current_request_context
        def worker() -> None:
            # As in Flask 3.1: the request and session, with a fresh app
            # context (so a fresh ``g``) in the other thread.
            result["value"] = (
                f"{request.path}|{session['seen']}|{request.args['k']}"
                f"|{current_app.name}|{g.get('who', 'no g')}"
            )

        thread = threading.Thread(target=worker)
        thread.start()
        await asyncio.get_running_loop().run_in_executor(None, thread.join, DEADLINE)
        return "ok"

    assert app.test_client(asgi=asgi).get("/copy?k=v").status_code == 200
    assert result["value"] == f"/copy|yes|v|{app.name}|no g"


def test_copy_current_request_context_on_a_coroutine(app: Kolba) -> None:
    @app.get("/copy-async")
    async def copy_view() -> str:
        @copy_current_request_context
        async def later() -> str:
            await asyncio.sleep(0)
            return request.args["k"]

        # As in Flask: the wrapper is sync (it runs the coroutine itself).
        return later()

    assert app.test_client(asgi=True).get("/copy-async?k=w").text == "w"


def test_after_this_request_in_async_view(app: Kolba) -> None:
    calls: list[str] = []

    @app.get("/after")
    async def after_view() -> str:
        @after_this_request
        def add_header(response: t.Any) -> t.Any:
            calls.append("sync")
            response.headers["X-After"] = "sync"
            return response

        @after_this_request
        async def add_async_header(response: t.Any) -> t.Any:
            calls.append("async")
            response.headers["X-After-Async"] = request.path
            return response

        await asyncio.sleep(0)
        return "ok"

    response = app.test_client(asgi=True).get("/after")
    assert response.headers["X-After"] == "sync"
    assert response.headers["X-After-Async"] == "/after"
    assert sorted(calls) == ["async", "sync"]


# -- errors ---------------------------------------------------------------------------


class Boom(Exception):
    pass


@pytest.mark.parametrize("handler_kind", ["sync", "async"])
@pytest.mark.parametrize("asgi", [True, False], ids=["asgi", "wsgi"])
def test_async_view_error_reaches_error_handler(
    app: Kolba, handler_kind: str, asgi: bool
) -> None:
    @app.get("/boom")
    async def boom() -> str:
        await asyncio.sleep(0)
        raise Boom("bad things")

    if handler_kind == "sync":

        @app.errorhandler(Boom)
        def handle(e: Boom) -> t.Any:
            return f"handled {e} at {request.path}", 418
    else:

        @app.errorhandler(Boom)
        async def handle(e: Boom) -> t.Any:
            await asyncio.sleep(0)
            return f"handled {e} at {request.path}", 418

    response = app.test_client(asgi=asgi).get("/boom")
    assert response.status_code == 418
    assert response.text == "handled bad things at /boom"


@pytest.mark.parametrize("asgi", [True, False], ids=["asgi", "wsgi"])
def test_abort_in_async_view(app: Kolba, asgi: bool) -> None:
    @app.get("/nope")
    async def nope() -> str:
        abort(403)

    @app.errorhandler(403)
    async def forbidden(e: t.Any) -> t.Any:
        return "custom forbidden", 403

    response = app.test_client(asgi=asgi).get("/nope")
    assert response.status_code == 403
    assert response.text == "custom forbidden"


@pytest.mark.parametrize("asgi", [True, False], ids=["asgi", "wsgi"])
def test_async_view_error_is_500_without_traceback_in_production(
    prod_app: Kolba, asgi: bool, caplog: pytest.LogCaptureFixture
) -> None:
    @prod_app.get("/boom")
    async def boom() -> str:
        raise Boom("secret detail")

    with caplog.at_level(logging.ERROR):
        response = prod_app.test_client(asgi=asgi).get("/boom")
    assert response.status_code == 500
    assert b"Traceback" not in response.data
    assert b"secret detail" not in response.data
    assert b"Boom" not in response.data
    logged = [r for r in caplog.records if r.exc_info and r.exc_info[0] is Boom]
    assert len(logged) == 1


def test_async_view_error_propagates_in_testing_mode(app: Kolba) -> None:
    @app.get("/boom")
    async def boom() -> str:
        raise Boom("propagated")

    with pytest.raises(Boom, match="propagated"):
        app.test_client(asgi=True).get("/boom")


def test_500_handler_for_async_view_in_production(prod_app: Kolba) -> None:
    @prod_app.get("/boom")
    async def boom() -> str:
        raise Boom("x")

    @prod_app.errorhandler(500)
    async def server_error(e: t.Any) -> t.Any:
        return f"sorry: {type(e.original_exception).__name__}", 500

    response = prod_app.test_client(asgi=True).get("/boom")
    assert response.status_code == 500
    assert response.text == "sorry: Boom"


# -- teardown --------------------------------------------------------------------------


@pytest.mark.parametrize("asgi", [True, False], ids=["asgi", "wsgi"])
@pytest.mark.parametrize("outcome", ["ok", "error", "abort"])
@pytest.mark.parametrize("view_kind", ["sync", "async"])
def test_teardown_runs_once_per_request(
    prod_app: Kolba, asgi: bool, outcome: str, view_kind: str
) -> None:
    request_teardowns: list[type | None] = []
    app_teardowns: list[type | None] = []
    prod_app.teardown_request(
        lambda exc: request_teardowns.append(type(exc) if exc else None)
    )
    prod_app.teardown_appcontext(
        lambda exc: app_teardowns.append(type(exc) if exc else None)
    )

    def body() -> str:
        if outcome == "error":
            raise Boom()
        if outcome == "abort":
            abort(404)
        return "ok"

    if view_kind == "sync":
        prod_app.add_url_rule("/t", "t", body)
    else:

        async def async_body() -> str:
            return body()

        prod_app.add_url_rule("/t", "t", async_body)

    client = prod_app.test_client(asgi=asgi)
    for _ in range(2):
        client.get("/t")
    expected = {"ok": None, "error": Boom, "abort": None}[outcome]
    assert request_teardowns == [expected, expected]
    assert app_teardowns == [expected, expected]


@pytest.mark.parametrize(
    ("asgi", "view_kind"),
    [(True, "sync"), (True, "async"), (False, "sync")],
    ids=["asgi-sync", "asgi-async", "wsgi-sync"],
)
def test_teardown_after_streamed_response_once(
    app: Kolba, asgi: bool, view_kind: str
) -> None:
    order: list[str] = []
    app.teardown_request(lambda exc: order.append("teardown"))

    def gen() -> t.Iterator[str]:
        order.append("first chunk")
        yield "a"
        order.append("last chunk")
        yield "b"

    if view_kind == "sync":
        app.add_url_rule("/s", "s", lambda: stream_with_context(gen()))
    else:

        async def view() -> t.Any:
            return stream_with_context(gen())

        app.add_url_rule("/s", "s", view)

    response = app.test_client(asgi=asgi).get("/s")
    assert response.text == "ab"
    # stream_with_context keeps the request until the body is done.
    assert order == ["first chunk", "last chunk", "teardown"]


# -- serving hooks without lifespan ----------------------------------------------------


@pytest.mark.parametrize("asgi", [True, False], ids=["asgi", "wsgi"])
def test_first_request_starts_serving_hooks_without_lifespan(
    app: Kolba, asgi: bool
) -> None:
    ran: list[str] = []

    @app.before_serving
    async def start() -> None:
        ran.append(f"before_serving:{current_app.name}")

    @app.get("/")
    def index() -> str:
        return ",".join(ran)

    client = app.test_client(asgi=asgi)
    assert client.get("/").text == f"before_serving:{app.name}"
    assert client.get("/").text == f"before_serving:{app.name}"
    assert ran == [f"before_serving:{app.name}"]
