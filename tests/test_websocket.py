"""WebSockets in-process: the test client's sessions and hand-made ASGI scopes.

Every receive in these tests waits with the session's deadline (30 s by
default); nothing sleeps for a fixed time.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import typing as t

import pytest

from kolba import (
    Blueprint,
    Kolba,
    abort,
    current_app,
    g,
    session,
    url_for,
    websocket,
)
from kolba.cli import ScriptInfo, cli
from kolba.testing.asgi import WebsocketDisconnect, WebsocketRejected

DEADLINE = 60.0
Message = dict[str, t.Any]


def ws_scope(path: str = "/ws", extensions: dict[str, t.Any] | None = None) -> Message:
    return {
        "type": "websocket",
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": "1.1",
        "scheme": "ws",
        "path": path,
        "raw_path": path.encode("ascii"),
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"localhost")],
        "client": ("127.0.0.1", 50000),
        "server": ("localhost", 80),
        "subprotocols": [],
        "extensions": extensions if extensions is not None else {},
    }


async def drive_ws(
    app: Kolba, scope: Message, incoming: list[Message]
) -> list[Message]:
    """Run a websocket scope with scripted client messages; return what was sent."""
    sent: list[Message] = []
    queue: asyncio.Queue[Message] = asyncio.Queue()
    for message in incoming:
        queue.put_nowait(message)

    async def receive() -> Message:
        return await queue.get()

    async def send(message: Message) -> None:
        sent.append(message)

    await asyncio.wait_for(app.asgi_app(scope, receive, send), DEADLINE)
    return sent


def expect_close(ws: t.Any, code: int = 1000) -> None:
    """Read the app's close: the handler ended (and after_websocket ran)."""
    with pytest.raises(WebsocketDisconnect) as info:
        ws.receive()
    assert info.value.code == code


# -- messages ------------------------------------------------------------------------


def test_echo_text_and_bytes(app: Kolba) -> None:
    @app.websocket("/ws")
    async def echo() -> None:
        while True:
            data = await websocket.receive()
            await websocket.send(data)

    with app.test_client().websocket("/ws") as ws:
        ws.send("hello")
        assert ws.receive() == "hello"
        ws.send(b"\x00\xffbin")
        assert ws.receive() == b"\x00\xffbin"
        ws.send("é" * 3)
        assert ws.receive() == "ééé"


def test_json_both_ways(app: Kolba) -> None:
    @app.websocket("/json")
    async def json_ws() -> None:
        data = await websocket.receive_json()
        await websocket.send_json({"got": data, "sum": sum(data["n"])})

    with app.test_client().websocket("/json") as ws:
        ws.send_json({"n": [1, 2, 3]})
        assert ws.receive_json() == {"got": {"n": [1, 2, 3]}, "sum": 6}
        expect_close(ws)


def test_invalid_json_closes_with_1007(app: Kolba) -> None:
    outcome: list[int] = []

    @app.websocket("/json")
    async def json_ws() -> None:
        try:
            await websocket.receive_json()
        except Exception as exc:
            outcome.append(getattr(exc, "code", -1))
            raise

    with app.test_client().websocket("/json") as ws:
        ws.send("{not json")
        with pytest.raises(WebsocketDisconnect) as info:
            ws.receive()
    assert info.value.code == 1007
    assert outcome == [1007]


def test_send_of_other_types_is_a_type_error(app: Kolba) -> None:
    @app.websocket("/ws")
    async def bad() -> None:
        try:
            await websocket.send(123)  # type: ignore[arg-type]
        except TypeError as exc:
            await websocket.send(f"TypeError: {'send_json' in str(exc)}")

    with app.test_client().websocket("/ws") as ws:
        assert ws.receive() == "TypeError: True"
        expect_close(ws)


def test_handler_returning_closes_with_1000(app: Kolba) -> None:
    @app.websocket("/once")
    async def once() -> None:
        await websocket.send("bye")

    with app.test_client().websocket("/once") as ws:
        assert ws.receive() == "bye"
        with pytest.raises(WebsocketDisconnect) as info:
            ws.receive()
    assert info.value.code == 1000


def test_explicit_close_code_and_reason(app: Kolba) -> None:
    @app.websocket("/close")
    async def close() -> None:
        await websocket.accept()
        await websocket.close(4001, "go away")

    ws = app.test_client().websocket("/close")
    with ws, pytest.raises(WebsocketDisconnect) as info:
        ws.receive()
    assert (info.value.code, info.value.reason) == (4001, "go away")


def test_client_close_reaches_handler_with_code(app: Kolba) -> None:
    seen: dict[str, t.Any] = {}
    done = threading.Event()

    @app.websocket("/ws")
    async def handler() -> None:
        try:
            await websocket.send("ready")
            await websocket.receive()
        except Exception as exc:
            seen["type"] = type(exc).__name__
            seen["code"] = getattr(exc, "code", None)
            raise
        finally:
            done.set()

    with app.test_client().websocket("/ws") as ws:
        assert ws.receive() == "ready"
        ws.close(4321)
    assert done.wait(DEADLINE)
    assert seen == {"type": "WebsocketDisconnect", "code": 4321}


def test_handler_error_after_accept_closes_1011_and_is_logged(
    app: Kolba, caplog: pytest.LogCaptureFixture
) -> None:
    @app.websocket("/err")
    async def err() -> None:
        await websocket.send("about to fail")
        raise ValueError("handler exploded")

    with caplog.at_level(logging.ERROR), app.test_client().websocket("/err") as ws:
        assert ws.receive() == "about to fail"
        with pytest.raises(WebsocketDisconnect) as info:
            ws.receive()
    assert info.value.code == 1011
    logged = [r for r in caplog.records if r.exc_info and r.exc_info[0] is ValueError]
    assert len(logged) == 1


def test_handler_error_before_accept_refuses_with_500(
    app: Kolba, caplog: pytest.LogCaptureFixture
) -> None:
    @app.websocket("/err")
    async def err() -> None:
        raise ValueError("secret detail")

    with (
        caplog.at_level(logging.ERROR),
        pytest.raises(WebsocketRejected) as info,
        app.test_client().websocket("/err"),
    ):
        pass  # pragma: no cover - refused on entering
    assert info.value.status == 500
    assert b"secret detail" not in info.value.body
    assert b"Traceback" not in info.value.body


# -- the handshake -------------------------------------------------------------------


def test_accept_with_headers_and_subprotocol(app: Kolba) -> None:
    @app.websocket("/proto")
    async def proto() -> None:
        offered = websocket.requested_subprotocols
        chosen = "v2" if "v2" in offered else None
        await websocket.accept(headers={"X-Server": "kolba"}, subprotocol=chosen)
        await websocket.send(",".join(offered))

    client = app.test_client()
    with client.websocket("/proto", subprotocols=["v1", "v2"]) as ws:
        assert ws.accepted_subprotocol == "v2"
        assert ("X-Server", "kolba") in ws.accept_headers
        assert ws.receive() == "v1,v2"
        expect_close(ws)
    with client.websocket("/proto") as ws:
        assert ws.accepted_subprotocol is None
        assert ws.receive() == ""
        expect_close(ws)


def test_accept_headers_as_pairs(app: Kolba) -> None:
    @app.websocket("/pairs")
    async def pairs() -> None:
        await websocket.accept(headers=[("X-A", "1"), ("X-A", "2")])
        await websocket.send("ok")

    with app.test_client().websocket("/pairs") as ws:
        assert [v for k, v in ws.accept_headers if k.lower() == "x-a"] == ["1", "2"]
        assert ws.receive() == "ok"
        expect_close(ws)


def test_request_data_on_the_websocket(app: Kolba) -> None:
    @app.websocket("/info/<int:room>")
    async def info(room: int) -> None:
        await websocket.send_json(
            {
                "room": room,
                "path": websocket.path,
                "args": websocket.args.to_dict(),
                "header": websocket.headers.get("X-Token"),
                "cookie": websocket.cookies.get("flavour"),
                "url": url_for("info", room=room + 1),
                "app": current_app.name,
            }
        )

    client = app.test_client()
    client.set_cookie("flavour", "oat")
    with client.websocket(
        "/info/7", query_string={"a": "1", "b": "x y"}, headers={"X-Token": "t0k"}
    ) as ws:
        assert ws.receive_json() == {
            "room": 7,
            "path": "/info/7",
            "args": {"a": "1", "b": "x y"},
            "header": "t0k",
            "cookie": "oat",
            "url": "/info/8",
            "app": app.name,
        }
        expect_close(ws)


def test_url_converter_mismatch_is_refused_404(app: Kolba) -> None:
    @app.websocket("/room/<int:n>")
    async def room(n: int) -> None:  # pragma: no cover - never reached
        await websocket.send(str(n))

    with (
        pytest.raises(WebsocketRejected) as info,
        app.test_client().websocket("/room/abc"),
    ):
        pass  # pragma: no cover
    assert info.value.status == 404


def test_session_is_readable(app: Kolba) -> None:
    @app.get("/login")
    def login() -> str:
        session["user"] = "ada"
        return "ok"

    @app.websocket("/who")
    async def who() -> None:
        await websocket.send(session.get("user", "anonymous"))

    client = app.test_client()
    with client.websocket("/who") as ws:
        assert ws.receive() == "anonymous"
        expect_close(ws)
    client.get("/login")
    with client.websocket("/who") as ws:
        assert ws.receive() == "ada"
        expect_close(ws)


def test_g_is_per_connection(app: Kolba) -> None:
    @app.before_websocket
    def before() -> None:
        g.seen = getattr(g, "seen", 0) + 1

    @app.websocket("/g")
    async def g_ws() -> None:
        await websocket.send(str(g.seen))

    client = app.test_client()
    for _ in range(2):
        with client.websocket("/g") as ws:
            assert ws.receive() == "1"
            expect_close(ws)


def test_websocket_global_outside_a_websocket(app: Kolba) -> None:
    @app.get("/http")
    async def http() -> str:
        try:
            websocket.path  # noqa: B018 - the access is the test
        except RuntimeError as exc:
            return str(exc)
        return "no error"  # pragma: no cover

    text = app.test_client(asgi=True).get("/http").text
    assert "WebSocket context" in text
    with pytest.raises(RuntimeError):
        websocket.path  # noqa: B018


# -- hooks and blueprints ------------------------------------------------------------


def test_before_and_after_websocket_hooks_app_and_blueprint(app: Kolba) -> None:
    order: list[str] = []
    bp = Blueprint("chat", __name__, url_prefix="/chat")

    @app.before_websocket
    def app_before() -> None:
        order.append("app before")

    @app.after_websocket
    async def app_after(response: t.Any) -> t.Any:
        order.append(f"app after {response!r}")
        return response

    @bp.before_websocket
    async def bp_before() -> None:
        order.append(f"bp before {websocket.path}")

    @bp.after_websocket
    def bp_after(response: t.Any) -> t.Any:
        order.append("bp after")
        return response

    @bp.websocket("/room/<name>")
    async def room(name: str) -> None:
        order.append(f"handler {name} {websocket.blueprint}")
        await websocket.send(f"welcome to {name}")

    @app.websocket("/plain")
    async def plain() -> None:
        order.append("plain handler")
        await websocket.send("plain")

    app.register_blueprint(bp)
    client = app.test_client()
    with client.websocket("/chat/room/lobby") as ws:
        assert ws.receive() == "welcome to lobby"
        expect_close(ws)
    assert order == [
        "app before",
        "bp before /chat/room/lobby",
        "handler lobby chat",
        "bp after",
        "app after None",
    ]
    order.clear()
    with client.websocket("/plain") as ws:
        assert ws.receive() == "plain"
        expect_close(ws)
    assert order == ["app before", "plain handler", "app after None"]
    with app.test_request_context():
        assert url_for("chat.room", name="x") == "/chat/room/x"


def test_teardown_runs_once_per_connection(app: Kolba) -> None:
    torn_down: list[t.Any] = []
    done = threading.Event()

    @app.teardown_request
    def teardown(exc: BaseException | None) -> None:
        torn_down.append(exc)
        done.set()

    @app.websocket("/ws")
    async def handler() -> None:
        await websocket.send("x")
        await websocket.receive()

    with app.test_client().websocket("/ws") as ws:
        assert ws.receive() == "x"
    assert done.wait(DEADLINE)
    assert torn_down == [None]


def test_hook_returning_a_response_refuses_the_handshake(app: Kolba) -> None:
    @app.before_websocket
    def gate() -> t.Any:
        if websocket.args.get("token") != "good":
            return "no entry", 401, {"X-Why": "token"}
        return None

    @app.websocket("/guarded")
    async def guarded() -> None:
        await websocket.send("inside")

    client = app.test_client()
    with pytest.raises(WebsocketRejected) as info, client.websocket("/guarded"):
        pass  # pragma: no cover
    assert info.value.status == 401
    assert info.value.body == b"no entry"
    assert ("X-Why", "token") in info.value.headers
    with client.websocket("/guarded", query_string={"token": "good"}) as ws:
        assert ws.receive() == "inside"
        expect_close(ws)


def test_abort_refuses_the_handshake(app: Kolba) -> None:
    @app.websocket("/forbidden")
    async def forbidden() -> None:
        abort(403)

    @app.errorhandler(403)
    def custom(e: t.Any) -> t.Any:
        return "custom 403", 403

    with (
        pytest.raises(WebsocketRejected) as info,
        app.test_client().websocket("/forbidden"),
    ):
        pass  # pragma: no cover
    assert info.value.status == 403
    assert info.value.body == b"custom 403"


def test_refusal_without_the_http_response_extension_closes(app: Kolba) -> None:
    @app.websocket("/forbidden")
    async def forbidden() -> None:
        abort(403)

    sent = asyncio.run(
        drive_ws(app, ws_scope("/forbidden"), [{"type": "websocket.connect"}])
    )
    assert [m["type"] for m in sent] == ["websocket.close"]
    assert sent[0].get("code") == 1008


def test_refusal_with_the_http_response_extension(app: Kolba) -> None:
    @app.websocket("/forbidden")
    async def forbidden() -> None:
        abort(403)

    scope = ws_scope("/forbidden", extensions={"websocket.http.response": {}})
    sent = asyncio.run(drive_ws(app, scope, [{"type": "websocket.connect"}]))
    assert [m["type"] for m in sent] == [
        "websocket.http.response.start",
        "websocket.http.response.body",
    ]
    assert sent[0]["status"] == 403


def test_raw_asgi_exchange(app: Kolba) -> None:
    @app.websocket("/ws")
    async def echo() -> None:
        while True:
            await websocket.send((await websocket.receive()).upper())  # type: ignore[union-attr]

    incoming = [
        {"type": "websocket.connect"},
        {"type": "websocket.receive", "text": "abc"},
        {"type": "websocket.receive", "bytes": b"def"},
        {"type": "websocket.disconnect", "code": 1001},
    ]
    sent = asyncio.run(drive_ws(app, ws_scope("/ws"), incoming))
    assert sent == [
        {"type": "websocket.accept"},
        {"type": "websocket.send", "text": "ABC"},
        {"type": "websocket.send", "bytes": b"DEF"},
    ]


def test_asgi2_call_form_serves_websockets(app: Kolba) -> None:
    @app.websocket("/ws")
    async def hi() -> None:
        await websocket.send("asgi2")

    async def main() -> list[Message]:
        sent: list[Message] = []
        incoming = [{"type": "websocket.connect"}]

        async def receive() -> Message:
            return incoming.pop(0)

        async def send(message: Message) -> None:
            sent.append(message)

        await app(ws_scope("/ws"))(receive, send)
        return sent

    sent = asyncio.run(main())
    assert [m["type"] for m in sent] == [
        "websocket.accept",
        "websocket.send",
        "websocket.close",
    ]
    assert sent[1]["text"] == "asgi2"


# -- HTTP on WebSocket routes ----------------------------------------------------------


@pytest.mark.parametrize("asgi", [True, False], ids=["asgi", "wsgi"])
def test_http_get_to_websocket_route_is_426(app: Kolba, asgi: bool) -> None:
    @app.websocket("/ws")
    async def ws() -> None:  # pragma: no cover - not reached over HTTP
        pass

    response = app.test_client(asgi=asgi).get("/ws")
    assert response.status_code == 426


@pytest.mark.parametrize("asgi", [True, False], ids=["asgi", "wsgi"])
def test_shared_path_http_and_websocket(app: Kolba, asgi: bool) -> None:
    @app.get("/feed")
    def feed_page() -> str:
        return "page"

    @app.websocket("/feed")
    async def feed_ws() -> None:
        await websocket.send("socket")

    client = app.test_client(asgi=asgi)
    assert client.get("/feed").text == "page"
    assert client.post("/feed").status_code == 405
    with app.test_client().websocket("/feed") as ws:
        assert ws.receive() == "socket"
        expect_close(ws)


def test_handshake_under_wsgi_is_501_naming_an_asgi_server(app: Kolba) -> None:
    @app.websocket("/ws")
    async def ws() -> None:  # pragma: no cover - not reachable under WSGI
        pass

    response = app.test_client(asgi=False).get(
        "/ws",
        headers={
            "Upgrade": "websocket",
            "Connection": "Upgrade",
            "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
            "Sec-WebSocket-Version": "13",
        },
    )
    assert response.status_code == 501
    assert "uvicorn" in response.text
    assert "ASGI" in response.text


# -- limits ---------------------------------------------------------------------------


def test_message_over_max_size_closes_1009(app: Kolba) -> None:
    app.config["WEBSOCKET_MAX_MESSAGE_SIZE"] = 10

    @app.websocket("/ws")
    async def echo() -> None:
        while True:
            await websocket.send(await websocket.receive())

    with app.test_client().websocket("/ws") as ws:
        ws.send("x" * 10)  # at the limit: fine
        assert ws.receive() == "x" * 10
        ws.send(b"y" * 11)
        with pytest.raises(WebsocketDisconnect) as info:
            ws.receive()
    assert info.value.code == 1009


def test_idle_timeout_closes_1001(app: Kolba) -> None:
    # The client never sends; the handler's receive() gives up after the
    # configured idle time and closes with 1001.
    app.config["WEBSOCKET_IDLE_TIMEOUT"] = 0.05
    caught: list[int] = []

    @app.websocket("/idle")
    async def idle() -> None:
        try:
            await websocket.receive()
        except Exception as exc:
            caught.append(getattr(exc, "code", -1))
            raise

    with app.test_client().websocket("/idle") as ws:
        expect_close(ws, 1001)
    assert caught == [1001]


def test_no_idle_timeout_when_messages_keep_coming(app: Kolba) -> None:
    app.config["WEBSOCKET_IDLE_TIMEOUT"] = DEADLINE

    @app.websocket("/ws")
    async def echo() -> None:
        for _ in range(3):
            await websocket.send(await websocket.receive())

    with app.test_client().websocket("/ws") as ws:
        for i in range(3):
            ws.send(str(i))
            assert ws.receive() == str(i)
        expect_close(ws)


# -- registration ---------------------------------------------------------------------


def test_sync_handler_is_refused_at_registration(app: Kolba) -> None:
    with pytest.raises(TypeError, match="async def"):

        @app.websocket("/sync")
        def sync_handler() -> None:  # pragma: no cover - never registered
            pass

    bp = Blueprint("bp", __name__)
    with pytest.raises(TypeError, match="async def"):

        @bp.websocket("/sync")
        def bp_sync_handler() -> None:  # pragma: no cover
            pass

    assert "sync_handler" not in app.view_functions


def test_websocket_route_takes_no_methods(app: Kolba) -> None:
    with pytest.raises(TypeError, match="methods"):
        app.websocket("/ws", methods=["GET"])


def test_url_for_builds_websocket_routes(app: Kolba) -> None:
    @app.websocket("/live/<int:n>")
    async def live(n: int) -> None:  # pragma: no cover
        pass

    bp = Blueprint("api", __name__, url_prefix="/api")

    @bp.websocket("/events", endpoint="events")
    async def events() -> None:  # pragma: no cover
        pass

    app.register_blueprint(bp)
    with app.test_request_context():
        assert url_for("live", n=5) == "/live/5"
        assert url_for("api.events", since=3) == "/api/events?since=3"


def test_routes_command_shows_websocket(app: Kolba) -> None:
    @app.websocket("/stream-socket")
    async def socket_route() -> None:  # pragma: no cover
        pass

    @app.get("/page")
    def page() -> str:  # pragma: no cover
        return ""

    result = app.test_cli_runner().invoke(
        cli, ["routes"], obj=ScriptInfo(create_app=lambda: app)
    )
    assert result.exit_code == 0, result.output
    line = next(x for x in result.output.splitlines() if "/stream-socket" in x)
    assert "WEBSOCKET" in line
    page_line = next(x for x in result.output.splitlines() if "/page" in x)
    assert "WEBSOCKET" not in page_line


# -- concurrency -----------------------------------------------------------------------


def test_two_connections_talk_through_the_app(app: Kolba) -> None:
    # One handler waits on an asyncio.Event set by the other connection's handler;
    # each session runs on its own loop thread, so the event is shared through a
    # thread-safe hand-off.
    mailbox: list[str] = []
    arrived = threading.Event()

    @app.websocket("/post")
    async def post() -> None:
        mailbox.append(await websocket.receive())  # type: ignore[arg-type]
        arrived.set()
        await websocket.send("posted")

    @app.websocket("/read")
    async def read() -> None:
        await websocket.accept()
        loop = asyncio.get_running_loop()
        assert await loop.run_in_executor(None, arrived.wait, DEADLINE)
        await websocket.send(mailbox[0])

    client = app.test_client()
    with client.websocket("/read") as reader, client.websocket("/post") as poster:
        poster.send("hello reader")
        assert poster.receive() == "posted"
        assert reader.receive() == "hello reader"
        expect_close(poster)
        expect_close(reader)


def test_leaving_a_session_the_app_already_closed(app: Kolba) -> None:
    @app.websocket("/once")
    async def once() -> None:
        await websocket.send("only")

    ws = app.test_client().websocket("/once")
    with ws:
        assert ws.receive() == "only"
        # Make the race deterministic: the app's side (and its loop) has ended.
        ws._thread.join(DEADLINE)
        assert not ws._thread.is_alive()
