"""PEP 3333 compliance, middleware, and serving over a real socket."""

from __future__ import annotations

import http.client
import io
import threading
import typing as t
from collections.abc import Iterator
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server
from wsgiref.util import setup_testing_defaults
from wsgiref.validate import validator

import pytest

from kolba import Kolba, Response, redirect, request, url_for
from kolba.middleware import ProxyFix
from kolba.testing import KolbaClient


@pytest.fixture
def wsgi_app(app: Kolba) -> Kolba:
    @app.route("/")
    def index() -> str:
        return "index"

    @app.route("/submit", methods=["POST"])
    def submit() -> str:
        return f"got {request.form['name']}"

    @app.route("/stream")
    def stream() -> t.Any:
        def gen() -> Iterator[str]:
            yield "one "
            yield "two"

        return Response(gen())

    @app.route("/go")
    def go() -> t.Any:
        return redirect(url_for("index"))

    @app.route("/boom")
    def boom() -> str:
        raise RuntimeError("boom")

    return app


def _call(
    app: t.Any,
    path: str = "/",
    method: str = "GET",
    body: bytes = b"",
    extra: dict[str, str] | None = None,
) -> tuple[str, list[tuple[str, str]], bytes]:
    environ: dict[str, t.Any] = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "SCRIPT_NAME": "",
        "QUERY_STRING": "",
        "wsgi.input": io.BytesIO(body),
    }
    if body:
        environ["CONTENT_LENGTH"] = str(len(body))
        environ["CONTENT_TYPE"] = "application/x-www-form-urlencoded"
    environ.update(extra or {})
    setup_testing_defaults(environ)
    captured: list[t.Any] = []

    def start_response(
        status: str, headers: list[tuple[str, str]], exc_info: t.Any = None
    ) -> t.Callable[[bytes], None]:
        captured[:] = [status, headers]
        return lambda data: None

    iterable = validator(app)(environ, start_response)
    try:
        data = b"".join(iterable)
    finally:
        iterable.close()  # type: ignore[attr-defined]
    return captured[0], captured[1], data


def test_wsgi_validator_get(wsgi_app: Kolba) -> None:
    status, headers, body = _call(wsgi_app)
    assert status == "200 OK"
    assert body == b"index"
    assert ("Content-Length", "5") in headers


def test_wsgi_validator_post_with_body(wsgi_app: Kolba) -> None:
    status, _, body = _call(wsgi_app, "/submit", "POST", b"name=kolba")
    assert status == "200 OK"
    assert body == b"got kolba"


def test_wsgi_validator_404(wsgi_app: Kolba) -> None:
    status, _, body = _call(wsgi_app, "/missing")
    assert status == "404 NOT FOUND"
    assert b"Not Found" in body


def test_wsgi_validator_405(wsgi_app: Kolba) -> None:
    status, headers, _ = _call(wsgi_app, "/submit")
    assert status == "405 METHOD NOT ALLOWED"
    assert any(name == "Allow" for name, _ in headers)


def test_wsgi_validator_500(wsgi_app: Kolba) -> None:
    wsgi_app.testing = False
    status, _, body = _call(wsgi_app, "/boom")
    assert status == "500 INTERNAL SERVER ERROR"
    assert b"boom" not in body


def test_wsgi_validator_streaming(wsgi_app: Kolba) -> None:
    status, headers, body = _call(wsgi_app, "/stream")
    assert status == "200 OK"
    assert body == b"one two"
    assert not any(name == "Content-Length" for name, _ in headers)


def test_wsgi_validator_head(wsgi_app: Kolba) -> None:
    status, headers, body = _call(wsgi_app, "/", "HEAD")
    assert status == "200 OK"
    assert body == b""
    assert ("Content-Length", "5") in headers


def test_wsgi_validator_redirect(wsgi_app: Kolba) -> None:
    status, headers, _ = _call(wsgi_app, "/go")
    assert status == "302 FOUND"
    assert ("Location", "/") in headers


def test_wsgi_validator_strict_slash_redirect(wsgi_app: Kolba) -> None:
    wsgi_app.add_url_rule("/dir/", "dir", lambda: "dir")
    status, headers, _ = _call(wsgi_app, "/dir", extra={"QUERY_STRING": "a=1"})
    assert status == "308 PERMANENT REDIRECT"
    assert dict(headers)["Location"] == "http://127.0.0.1/dir/?a=1"


def test_wsgi_validator_teardown_after_close(wsgi_app: Kolba) -> None:
    torn_down: list[BaseException | None] = []
    wsgi_app.teardown_request(torn_down.append)
    _call(wsgi_app, "/stream")
    assert torn_down == [None]


@pytest.mark.wsgi_only("wraps the WSGI callable; the ASGI twin is below")
def test_wsgi_app_is_replaceable_by_middleware(app: Kolba, client: KolbaClient) -> None:
    inner = app.wsgi_app

    def middleware(environ: dict[str, t.Any], start_response: t.Any) -> t.Any:
        environ["HTTP_X_MIDDLEWARE"] = "seen"
        return inner(environ, start_response)

    app.wsgi_app = middleware  # type: ignore[method-assign]
    app.add_url_rule("/", "index", lambda: request.headers["X-Middleware"])
    assert client.get("/").text == "seen"


def test_asgi_app_is_replaceable_by_middleware(app: Kolba) -> None:
    inner = app.asgi_app

    async def middleware(scope: t.Any, receive: t.Any, send: t.Any) -> None:
        scope = {**scope, "headers": [*scope["headers"], (b"x-middleware", b"seen")]}
        await inner(scope, receive, send)

    app.asgi_app = middleware  # type: ignore[assignment]
    app.add_url_rule("/", "index", lambda: request.headers["X-Middleware"])
    assert app.test_client(asgi=True).get("/").text == "seen"
    # The WSGI path does not see the ASGI middleware.
    assert app.test_client(asgi=False).get("/").status_code == 400


def test_proxy_fix_wraps_either_front_end(app: Kolba) -> None:
    from kolba.middleware import ASGIProxyFix

    assert type(ProxyFix(app.wsgi_app)) is ProxyFix
    assert type(ProxyFix(app.asgi_app)) is ASGIProxyFix


def test_proxy_fix_forwarded_values(app: Kolba, client: KolbaClient) -> None:
    app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)  # type: ignore[method-assign]
    app.asgi_app = ProxyFix(app.asgi_app, x_for=1, x_proto=1, x_host=1)  # type: ignore[assignment]

    @app.route("/")
    def index() -> dict[str, str | None]:
        return {
            "remote_addr": request.remote_addr,
            "scheme": request.scheme,
            "url": url_for("index", _external=True),
        }

    rv = client.get(
        "/",
        headers={
            "X-Forwarded-For": "203.0.113.7",
            "X-Forwarded-Proto": "https",
            "X-Forwarded-Host": "example.com",
        },
    )
    assert rv.json == {
        "remote_addr": "203.0.113.7",
        "scheme": "https",
        "url": "https://example.com/",
    }


def test_proxy_fix_defaults_trust_for_and_proto_only(
    app: Kolba, client: KolbaClient
) -> None:
    app.wsgi_app = ProxyFix(app.wsgi_app)  # type: ignore[method-assign]
    app.asgi_app = ProxyFix(app.asgi_app)  # type: ignore[assignment]

    @app.route("/")
    def index() -> str:
        return f"{request.remote_addr} {request.scheme} {request.host}"

    rv = client.get(
        "/",
        headers={
            "X-Forwarded-For": "198.51.100.1",
            "X-Forwarded-Proto": "https",
            "X-Forwarded-Host": "evil.example",
        },
    )
    assert rv.text == "198.51.100.1 https localhost"


def test_proxy_fix_uses_rightmost_trusted_hop(app: Kolba, client: KolbaClient) -> None:
    app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1)  # type: ignore[method-assign]
    app.asgi_app = ProxyFix(app.asgi_app, x_for=1)  # type: ignore[assignment]
    app.add_url_rule("/", "index", lambda: request.remote_addr)
    rv = client.get("/", headers={"X-Forwarded-For": "6.6.6.6, 203.0.113.9"})
    assert rv.text == "203.0.113.9"


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: t.Any) -> None:
        pass


def test_served_by_wsgiref_simple_server(wsgi_app: Kolba) -> None:
    server: WSGIServer = make_server(
        "127.0.0.1", 0, wsgi_app, handler_class=_QuietHandler
    )
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}
    )
    thread.start()
    try:
        conn = http.client.HTTPConnection("127.0.0.1", server.server_port, timeout=5)
        try:
            conn.request(
                "POST",
                "/submit",
                body=b"name=socket",
                headers={"Content-Type": "application/x-www-form-urlencoded"},
            )
            response = conn.getresponse()
            assert response.status == 200
            assert response.read() == b"got socket"
            conn.request("GET", "/stream")
            streamed = conn.getresponse()
            assert streamed.read() == b"one two"
        finally:
            conn.close()
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
