"""Application and request contexts, ``g``, ``session`` and the context helpers."""

from __future__ import annotations

import asyncio
import contextvars
import threading
import typing as t

import pytest

from kolba import (
    Kolba,
    after_this_request,
    copy_current_request_context,
    current_app,
    g,
    has_app_context,
    has_request_context,
    request,
    session,
)
from kolba.testing import KolbaClient

# -- proxies and pushing contexts ---------------------------------------------------


def test_current_app_in_view(app: Kolba, client: KolbaClient) -> None:
    @app.route("/")
    def index() -> str:
        return current_app.name

    assert client.get("/").text == "kolba_test_app"


def test_request_proxy_in_view(app: Kolba, client: KolbaClient) -> None:
    @app.route("/echo", methods=["POST"])
    def echo() -> str:
        return (
            f"{request.method} {request.path} {request.args['q']} {request.form['f']}"
        )

    rv = client.post("/echo?q=1", data={"f": "2"})
    assert rv.text == "POST /echo 1 2"


def test_app_context_provides_current_app_and_g(app: Kolba) -> None:
    with app.app_context():
        assert current_app._get_current_object() is app  # type: ignore[attr-defined]
        g.x = 1
        assert g.x == 1
        assert has_app_context()
        assert not has_request_context()


def test_test_request_context_provides_request(app: Kolba) -> None:
    with app.test_request_context("/a?b=c", method="POST", headers={"X-H": "v"}):
        assert request.path == "/a"
        assert request.args["b"] == "c"
        assert request.method == "POST"
        assert request.headers["X-H"] == "v"
        assert has_request_context()
        assert has_app_context()


def test_no_context_helpers_false() -> None:
    assert not has_app_context()
    assert not has_request_context()


def test_current_app_outside_context_raises() -> None:
    with pytest.raises(RuntimeError, match="Working outside of application context"):
        current_app.name  # noqa: B018


def test_g_outside_context_raises() -> None:
    with pytest.raises(RuntimeError, match="Working outside of application context"):
        g.x = 1


def test_request_outside_context_raises() -> None:
    with pytest.raises(RuntimeError, match="Working outside of request context"):
        request.args  # noqa: B018


def test_session_outside_context_raises() -> None:
    with pytest.raises(RuntimeError, match="Working outside of request context"):
        session.get("x")


def test_request_in_app_context_only_raises(app: Kolba) -> None:
    with app.app_context(), pytest.raises(RuntimeError, match="request context"):
        request.path  # noqa: B018


def test_request_context_reuses_pushed_app_context(app: Kolba) -> None:
    with app.app_context():
        g.outer = "yes"
        with app.test_request_context():
            assert g.outer == "yes"


def test_nested_request_contexts_restore_outer(app: Kolba) -> None:
    with app.test_request_context("/outer"):
        with app.test_request_context("/inner"):
            assert request.path == "/inner"
        assert request.path == "/outer"


def test_contexts_popped_after_request(app: Kolba, client: KolbaClient) -> None:
    @app.route("/")
    def index() -> str:
        return "x"

    client.get("/")
    assert not has_request_context()
    assert not has_app_context()


# -- isolation ------------------------------------------------------------------------


def test_threads_have_isolated_request_contexts(app: Kolba) -> None:
    barrier = threading.Barrier(2, timeout=5)

    @app.route("/<name>")
    def view(name: str) -> str:
        g.name = name
        barrier.wait()  # both requests are now in flight at once
        return f"{request.view_args['name']}:{g.name}:{request.path}"  # type: ignore[index]

    results: dict[str, str] = {}

    def worker(name: str) -> None:
        results[name] = app.test_client().get(f"/{name}").text

    threads = [threading.Thread(target=worker, args=(n,)) for n in ("one", "two")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert results == {"one": "one:one:/one", "two": "two:two:/two"}


def test_async_view_sees_request(app: Kolba, client: KolbaClient) -> None:
    @app.route("/")
    async def index() -> str:
        await asyncio.sleep(0)
        g.seen = request.args["v"]
        return f"async {g.seen}"

    assert client.get("/?v=1").text == "async 1"


def test_async_hooks_run(app: Kolba, client: KolbaClient) -> None:
    @app.before_request
    async def before() -> None:
        g.before = "b"

    @app.after_request
    async def after(response: t.Any) -> t.Any:
        response.headers["X-After"] = g.before
        return response

    @app.route("/")
    def index() -> str:
        return g.before  # type: ignore[no-any-return]

    rv = client.get("/")
    assert rv.text == "b"
    assert rv.headers["X-After"] == "b"


def test_asyncio_tasks_with_copied_contexts_are_isolated(app: Kolba) -> None:
    async def handle(path: str, started: asyncio.Event, other: asyncio.Event) -> str:
        with app.test_request_context(path):
            started.set()
            await other.wait()  # the other task is inside its own context now
            return request.path

    async def main() -> list[str]:
        a, b = asyncio.Event(), asyncio.Event()
        ctx_a, ctx_b = contextvars.copy_context(), contextvars.copy_context()
        task_a = asyncio.get_running_loop().create_task(
            handle("/a", a, b), context=ctx_a
        )
        task_b = asyncio.get_running_loop().create_task(
            handle("/b", b, a), context=ctx_b
        )
        return list(await asyncio.gather(task_a, task_b))

    assert asyncio.run(main()) == ["/a", "/b"]


def test_copy_current_request_context_in_thread(
    app: Kolba, client: KolbaClient
) -> None:
    seen: list[str] = []

    @app.route("/")
    def index() -> str:
        @copy_current_request_context
        def work() -> None:
            seen.append(request.args["x"])

        thread = threading.Thread(target=work)
        thread.start()
        thread.join(5)
        return "ok"

    client.get("/?x=42")
    assert seen == ["42"]


def test_copy_current_request_context_outside_request_raises() -> None:
    with pytest.raises(RuntimeError, match="request"):
        copy_current_request_context(lambda: None)


def test_after_this_request_modifies_response(app: Kolba, client: KolbaClient) -> None:
    @app.route("/")
    def index() -> str:
        @after_this_request
        def add_header(response: t.Any) -> t.Any:
            response.headers["X-Foo"] = "a header"
            return response

        return "x"

    assert client.get("/").headers["X-Foo"] == "a header"


def test_after_this_request_only_applies_once(app: Kolba, client: KolbaClient) -> None:
    @app.route("/")
    def index() -> str:
        if request.args.get("add"):

            @after_this_request
            def add_header(response: t.Any) -> t.Any:
                response.headers["X-Foo"] = "1"
                return response

        return "x"

    assert client.get("/?add=1").headers.get("X-Foo") == "1"
    assert client.get("/").headers.get("X-Foo") is None


def test_after_this_request_outside_request_raises() -> None:
    with pytest.raises(RuntimeError, match="after_this_request"):
        after_this_request(lambda r: r)


# -- g lifetime ------------------------------------------------------------------------


def test_g_is_fresh_per_request(app: Kolba, client: KolbaClient) -> None:
    @app.route("/")
    def index() -> str:
        before = g.get("counter", 0)
        g.counter = before + 1
        return str(g.counter)

    assert client.get("/").text == "1"
    assert client.get("/").text == "1"


def test_g_is_fresh_per_app_context(app: Kolba) -> None:
    with app.app_context():
        g.value = 1
    with app.app_context():
        assert "value" not in g


def test_g_helpers(app: Kolba) -> None:
    with app.app_context():
        assert g.get("missing", "d") == "d"
        assert g.setdefault("k", 3) == 3
        assert "k" in g
        assert list(g) == ["k"]
        assert g.pop("k") == 3
        assert g.pop("k", None) is None
        with pytest.raises(AttributeError):
            g.nothing  # noqa: B018


# -- session ---------------------------------------------------------------------------


def _session_app(app: Kolba) -> None:
    @app.route("/set/<value>")
    def set_value(value: str) -> str:
        session["value"] = value
        return "set"

    @app.route("/get")
    def get_value() -> str:
        return str(session.get("value", "<none>"))


def test_session_set_then_read(app: Kolba, client: KolbaClient) -> None:
    _session_app(app)
    rv = client.get("/set/apple")
    cookie = rv.headers["Set-Cookie"]
    assert cookie.startswith("session=")
    assert "HttpOnly" in cookie
    assert "apple" not in cookie.split(";")[0].split(".")[-1]
    assert client.get("/get").text == "apple"


def test_session_new_client_is_empty(app: Kolba, client: KolbaClient) -> None:
    _session_app(app)
    client.get("/set/apple")
    assert app.test_client().get("/get").text == "<none>"


def test_session_unmodified_sets_no_cookie(app: Kolba, client: KolbaClient) -> None:
    _session_app(app)
    assert "Set-Cookie" not in client.get("/get").headers


def test_session_without_secret_key_raises_on_write(
    app: Kolba, client: KolbaClient
) -> None:
    app.secret_key = None
    _session_app(app)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        client.get("/set/apple")


def test_session_without_secret_key_reads_empty(
    app: Kolba, client: KolbaClient
) -> None:
    app.secret_key = None
    _session_app(app)
    assert client.get("/get").text == "<none>"


def test_session_tampered_cookie_is_empty(app: Kolba, client: KolbaClient) -> None:
    _session_app(app)
    client.get("/set/apple")
    cookie = client.get_cookie("session")
    assert cookie is not None
    value = cookie.value
    tampered = value[:-2] + ("AA" if not value.endswith("AA") else "BB")
    client.set_cookie("session", tampered)
    assert client.get("/get").text == "<none>"


def test_session_signed_with_other_key_is_empty(
    app: Kolba, client: KolbaClient
) -> None:
    _session_app(app)
    client.get("/set/apple")
    app.secret_key = "another key"
    assert client.get("/get").text == "<none>"


def test_session_clear_deletes_cookie(app: Kolba, client: KolbaClient) -> None:
    _session_app(app)

    @app.route("/clear")
    def clear() -> str:
        session.clear()
        return "cleared"

    client.get("/set/apple")
    rv = client.get("/clear")
    assert "session=;" in rv.headers["Set-Cookie"]
    assert client.get("/get").text == "<none>"


def test_session_permanent_sets_expires(app: Kolba, client: KolbaClient) -> None:
    @app.route("/")
    def index() -> str:
        session.permanent = True
        session["a"] = 1
        return "x"

    assert "Expires=" in client.get("/").headers["Set-Cookie"]
