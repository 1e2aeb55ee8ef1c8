"""WebSockets over real ASGI servers, with the ``websockets`` client library;
and what a WSGI server (gunicorn) answers to a handshake."""

from __future__ import annotations

import json

import httpx
import pytest
from _procs import ServerProc
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import ClientConnection, connect

OPEN_TIMEOUT = 30.0
RECV_TIMEOUT = 30.0


def ws_connect(server: ServerProc, path: str, **kwargs: object) -> ClientConnection:
    return connect(
        server.ws_url + path,
        open_timeout=OPEN_TIMEOUT,
        close_timeout=10,
        **kwargs,  # type: ignore[arg-type]
    )


def refused(server: ServerProc, path: str) -> InvalidStatus:
    with pytest.raises(InvalidStatus) as info, ws_connect(server, path) as ws:
        ws.recv(RECV_TIMEOUT)
    return info.value


def test_echo_text_bytes_args_headers_subprotocol(asgi_server: ServerProc) -> None:
    with ws_connect(
        asgi_server,
        "/ws/echo?room=blue&tag=1&tag=2",
        subprotocols=["kolba.v9", "kolba.v1"],  # type: ignore[list-item]
        additional_headers={"X-Test": "hello header"},
    ) as ws:
        assert ws.subprotocol == "kolba.v1"
        assert ws.response is not None
        if asgi_server.name != "granian":
            # granian (2.x) drops the ``headers`` of ``websocket.accept``.
            assert ws.response.headers["X-Kolba-Ws"] == "yes"
        hello = json.loads(ws.recv(RECV_TIMEOUT))
        assert hello == {
            "path": "/ws/echo",
            "args": {"room": ["blue"], "tag": ["1", "2"]},
            "subprotocol": "kolba.v1",
            "header": "hello header",
            "session": None,
        }
        ws.send("héllo wörld")
        assert ws.recv(RECV_TIMEOUT) == "héllo wörld"
        ws.send(b"\x00\x01\xfe\xff")
        echoed = ws.recv(RECV_TIMEOUT)
        assert isinstance(echoed, bytes)
        assert echoed == b"\x00\x01\xfe\xff"
        big = "0123456789abcdef" * 20000  # 320 kB, under the 1 MiB default limit
        ws.send(big)
        assert ws.recv(RECV_TIMEOUT) == big
        for i in range(50):
            ws.send(f"message {i}")
        assert [ws.recv(RECV_TIMEOUT) for _ in range(50)] == [
            f"message {i}" for i in range(50)
        ]


def test_no_subprotocol_offered(asgi_server: ServerProc) -> None:
    with ws_connect(asgi_server, "/ws/echo") as ws:
        assert ws.subprotocol is None
        hello = json.loads(ws.recv(RECV_TIMEOUT))
        assert hello["subprotocol"] is None
        assert hello["args"] == {}


def test_json_helpers(asgi_server: ServerProc) -> None:
    with ws_connect(asgi_server, "/ws/json") as ws:
        ws.send(json.dumps([1, {"a": "b"}, None]))
        assert json.loads(ws.recv(RECV_TIMEOUT)) == {
            "got": [1, {"a": "b"}, None],
            "kind": "list",
        }
        ws.send(json.dumps({"ünï": 1.5}).encode())  # JSON in a binary frame
        assert json.loads(ws.recv(RECV_TIMEOUT)) == {
            "got": {"ünï": 1.5},
            "kind": "dict",
        }
        ws.send("{not json")
        with pytest.raises(ConnectionClosed) as info:
            ws.recv(RECV_TIMEOUT)
    assert info.value.rcvd is not None
    assert info.value.rcvd.code == 1007


def test_session_from_http_visible_in_websocket(asgi_server: ServerProc) -> None:
    with httpx.Client(base_url=asgi_server.url, timeout=30) as http:
        assert http.get("/session/set/violet").status_code == 200
        cookie = http.cookies["session"]
    with ws_connect(
        asgi_server, "/ws/echo", additional_headers={"Cookie": f"session={cookie}"}
    ) as ws:
        assert json.loads(ws.recv(RECV_TIMEOUT))["session"] == "violet"


def test_handler_close_code_reaches_client(asgi_server: ServerProc) -> None:
    with (
        ws_connect(asgi_server, "/ws/close") as ws,
        pytest.raises(ConnectionClosed) as info,
    ):
        ws.recv(RECV_TIMEOUT)
    assert info.value.rcvd is not None
    assert (info.value.rcvd.code, info.value.rcvd.reason) == (4001, "bye")


def test_close_after_messages(asgi_server: ServerProc) -> None:
    with ws_connect(asgi_server, "/ws/echo") as ws:
        ws.recv(RECV_TIMEOUT)  # the hello
        ws.send("ping")
        assert ws.recv(RECV_TIMEOUT) == "ping"
        ws.send("close-me")
        with pytest.raises(ConnectionClosed) as info:
            ws.recv(RECV_TIMEOUT)
    assert info.value.rcvd is not None
    assert (info.value.rcvd.code, info.value.rcvd.reason) == (4001, "bye")


def test_before_websocket_refuses_with_403(asgi_server: ServerProc) -> None:
    error = refused(asgi_server, "/ws/guarded")
    assert error.response.status_code == 403
    assert b"refused by before_websocket" in error.response.body


@pytest.mark.parametrize("code", [403, 401])
def test_handler_abort_refuses_handshake(asgi_server: ServerProc, code: int) -> None:
    error = refused(asgi_server, f"/ws/abort?code={code}")
    assert error.response.status_code == code


def test_sync_before_websocket_hook_lets_through(asgi_server: ServerProc) -> None:
    with ws_connect(asgi_server, "/sync-guard/ws?let=in") as ws:
        assert ws.recv(RECV_TIMEOUT) == "through the sync guard"


def test_sync_before_websocket_hook_refuses(asgi_server: ServerProc) -> None:
    error = refused(asgi_server, "/sync-guard/ws?let=out")
    assert error.response.status_code == 403
    assert b"refused by a sync hook" in error.response.body


def test_handshake_to_wsgi_server_is_501_naming_asgi(wsgi_server: ServerProc) -> None:
    error = refused(wsgi_server, "/ws/echo")
    assert error.response.status_code == 501
    body = error.response.body or b""
    assert b"ASGI server" in body
    assert b"uvicorn" in body


def test_handshake_to_wsgi_server_is_refused(wsgi_server: ServerProc) -> None:
    """What works today: the handshake fails with an HTTP error, no 101."""
    error = refused(wsgi_server, "/ws/echo")
    assert error.response.status_code >= 500
