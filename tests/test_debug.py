"""The debug traceback page: ``kolba.debug.DebugTraceback`` around an app."""

from __future__ import annotations

import typing as t

import pytest

from kolba import Kolba
from kolba.debug import DebugTraceback, render_traceback
from kolba.testing import KolbaClient


@pytest.fixture
def debug_client(app: Kolba) -> KolbaClient:
    app.config["TESTING"] = False
    app.debug = True  # the app re-raises, so the middleware sees the error
    app.wsgi_app = DebugTraceback(app.wsgi_app)  # type: ignore[method-assign]
    return app.test_client()


def test_unhandled_error_renders_escaped_traceback(
    app: Kolba, debug_client: KolbaClient
) -> None:
    @app.route("/")
    def failing_view() -> str:
        raise KeyError("<b>missing</b>")

    response = debug_client.get("/")
    assert response.status_code == 500
    assert response.mimetype == "text/html"
    body = response.text
    assert "KeyError" in body
    assert "&lt;b&gt;missing&lt;/b&gt;" in body
    assert "<b>missing" not in body
    assert "failing_view" in body
    assert "test_debug.py" in body


def test_page_forbids_scripts(app: Kolba, debug_client: KolbaClient) -> None:
    @app.route("/")
    def failing_view() -> str:
        raise RuntimeError("x")

    response = debug_client.get("/")
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-store"
    assert "<script" not in response.text.lower()
    assert "<form" not in response.text.lower()


def test_chained_exceptions_are_all_shown(
    app: Kolba, debug_client: KolbaClient
) -> None:
    def load() -> None:
        raise OSError("disk is gone")

    @app.route("/")
    def index() -> str:
        try:
            load()
        except OSError as exc:
            raise LookupError("could not load the page") from exc
        return "unreachable"

    body = debug_client.get("/").text
    assert body.index("disk is gone") < body.index("direct cause")
    assert body.index("direct cause") < body.rindex("could not load the page")


def test_http_errors_are_not_debug_pages(app: Kolba, debug_client: KolbaClient) -> None:
    response = debug_client.get("/nowhere")
    assert response.status_code == 404
    assert "Traceback" not in response.text


def test_error_after_the_body_started_is_reraised() -> None:
    def app(environ: dict[str, t.Any], start_response: t.Any) -> t.Iterator[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain")])
        yield b"partial"
        raise RuntimeError("stream broke")

    calls: list[str] = []

    def start_response(*args: t.Any) -> None:
        calls.append(args[0])

    iterator = DebugTraceback(app)({"wsgi.errors": None}, start_response)
    assert next(iterator) == b"partial"
    with pytest.raises(RuntimeError, match="stream broke"):
        next(iterator)
    assert calls == ["200 OK"]


def test_iterable_close_is_called() -> None:
    closed: list[bool] = []

    class Body:
        def __iter__(self) -> t.Iterator[bytes]:
            yield b"ok"

        def close(self) -> None:
            closed.append(True)

    def app(environ: dict[str, t.Any], start_response: t.Any) -> Body:
        start_response("200 OK", [])
        return Body()

    assert list(DebugTraceback(app)({}, lambda *a: None)) == [b"ok"]
    assert closed == [True]


def test_render_traceback_is_a_full_document() -> None:
    try:
        raise ValueError("<&>")
    except ValueError as exc:
        page = render_traceback(exc)
    assert page.startswith("<!doctype html>")
    assert "&lt;&amp;&gt;" in page
    assert "test_render_traceback_is_a_full_document" in page
