"""Request hooks over HTTP: before/after request, teardown, URL processors."""

from __future__ import annotations

import typing as t

import pytest

from kolba import Kolba, Response, g, request, url_for
from kolba.testing import KolbaClient


def test_before_request_runs_before_view(app: Kolba, client: KolbaClient) -> None:
    @app.before_request
    def before() -> None:
        g.user = "ada"

    @app.route("/")
    def index() -> str:
        return g.user  # type: ignore[no-any-return]

    assert client.get("/").text == "ada"


def test_before_request_return_value_short_circuits(
    app: Kolba, client: KolbaClient
) -> None:
    called: list[str] = []

    @app.before_request
    def first() -> t.Any:
        return "blocked", 403

    @app.before_request
    def second() -> None:
        called.append("second")

    @app.route("/")
    def index() -> str:
        called.append("view")
        return "view"

    rv = client.get("/")
    assert rv.status_code == 403
    assert rv.text == "blocked"
    assert called == []


def test_before_request_short_circuit_still_runs_after_request(
    app: Kolba, client: KolbaClient
) -> None:
    @app.before_request
    def block() -> str:
        return "early"

    @app.after_request
    def after(response: Response) -> Response:
        response.headers["X-After"] = "1"
        return response

    @app.route("/")
    def index() -> str:
        return "view"

    assert client.get("/").headers["X-After"] == "1"


def test_before_request_runs_for_unknown_url(app: Kolba, client: KolbaClient) -> None:
    seen: list[str] = []

    @app.before_request
    def before() -> None:
        seen.append(request.path)

    assert client.get("/missing").status_code == 404
    assert seen == ["/missing"]


def test_before_request_can_answer_unknown_url(app: Kolba, client: KolbaClient) -> None:
    @app.before_request
    def before() -> str:
        return "caught"

    rv = client.get("/missing")
    assert rv.status_code == 200
    assert rv.text == "caught"


def test_before_request_order_is_registration(app: Kolba, client: KolbaClient) -> None:
    order: list[int] = []
    app.before_request(lambda: order.append(1))  # type: ignore[arg-type, func-returns-value]
    app.before_request(lambda: order.append(2))  # type: ignore[arg-type, func-returns-value]
    app.add_url_rule("/", "index", lambda: "x")
    client.get("/")
    assert order == [1, 2]


def test_after_request_runs_in_reverse_registration_order(
    app: Kolba, client: KolbaClient
) -> None:
    order: list[str] = []

    @app.after_request
    def first(response: Response) -> Response:
        order.append("first")
        return response

    @app.after_request
    def second(response: Response) -> Response:
        order.append("second")
        return response

    app.add_url_rule("/", "index", lambda: "x")
    client.get("/")
    assert order == ["second", "first"]


def test_after_request_can_replace_response(app: Kolba, client: KolbaClient) -> None:
    @app.after_request
    def replace(response: Response) -> Response:
        return Response("replaced", status=202)

    app.add_url_rule("/", "index", lambda: "x")
    rv = client.get("/")
    assert rv.status_code == 202
    assert rv.text == "replaced"


def test_after_request_runs_for_error_pages(app: Kolba, client: KolbaClient) -> None:
    @app.after_request
    def after(response: Response) -> Response:
        response.headers["X-Seen"] = str(response.status_code)
        return response

    assert client.get("/missing").headers["X-Seen"] == "404"


def test_teardown_request_receives_none_on_success(
    app: Kolba, client: KolbaClient
) -> None:
    seen: list[BaseException | None] = []
    app.teardown_request(seen.append)
    app.add_url_rule("/", "index", lambda: "x")
    client.get("/")
    assert seen == [None]


def test_teardown_appcontext_receives_none_on_success(
    app: Kolba, client: KolbaClient
) -> None:
    seen: list[BaseException | None] = []
    app.teardown_appcontext(seen.append)
    app.add_url_rule("/", "index", lambda: "x")
    client.get("/")
    assert seen == [None]


def test_teardowns_receive_exception_in_production(
    app: Kolba, client: KolbaClient
) -> None:
    app.testing = False
    request_seen: list[BaseException | None] = []
    appctx_seen: list[BaseException | None] = []
    app.teardown_request(request_seen.append)
    app.teardown_appcontext(appctx_seen.append)
    error = ZeroDivisionError("boom")

    @app.route("/")
    def index() -> str:
        raise error

    assert client.get("/").status_code == 500
    assert request_seen == [error]
    assert appctx_seen == [error]


def test_teardowns_receive_exception_when_propagating(
    app: Kolba, client: KolbaClient
) -> None:
    request_seen: list[BaseException | None] = []
    appctx_seen: list[BaseException | None] = []
    app.teardown_request(request_seen.append)
    app.teardown_appcontext(appctx_seen.append)

    @app.route("/")
    def index() -> str:
        raise KeyError("k")

    with pytest.raises(KeyError):
        client.get("/")
    assert isinstance(request_seen[0], KeyError)
    assert isinstance(appctx_seen[0], KeyError)


def test_teardown_not_given_handled_exception(app: Kolba, client: KolbaClient) -> None:
    seen: list[BaseException | None] = []
    app.teardown_request(seen.append)

    @app.errorhandler(ValueError)
    def handle(e: ValueError) -> tuple[str, int]:
        return "handled", 400

    @app.route("/")
    def index() -> str:
        raise ValueError

    assert client.get("/").status_code == 400
    assert seen == [None]


def test_all_teardown_request_functions_run_even_if_one_raises(
    app: Kolba, client: KolbaClient
) -> None:
    ran: list[str] = []

    @app.teardown_request
    def first(exc: BaseException | None) -> None:
        ran.append("first")

    @app.teardown_request
    def broken(exc: BaseException | None) -> None:
        ran.append("broken")
        raise RuntimeError("teardown failed")

    @app.teardown_request
    def last(exc: BaseException | None) -> None:
        ran.append("last")

    app.add_url_rule("/", "index", lambda: "x")
    with pytest.raises(RuntimeError, match="teardown failed"):
        client.get("/")
    assert ran == ["last", "broken", "first"]


def test_all_teardown_appcontext_functions_run_even_if_one_raises(
    app: Kolba,
) -> None:
    ran: list[str] = []

    @app.teardown_appcontext
    def first(exc: BaseException | None) -> None:
        ran.append("first")

    @app.teardown_appcontext
    def broken(exc: BaseException | None) -> None:
        ran.append("broken")
        raise RuntimeError("teardown failed")

    with pytest.raises(RuntimeError, match="teardown failed"), app.app_context():
        pass
    assert ran == ["broken", "first"]


def test_teardown_request_runs_in_reverse_order(
    app: Kolba, client: KolbaClient
) -> None:
    ran: list[int] = []
    app.teardown_request(lambda exc: ran.append(1))
    app.teardown_request(lambda exc: ran.append(2))
    app.add_url_rule("/", "index", lambda: "x")
    client.get("/")
    assert ran == [2, 1]


def test_teardown_request_runs_before_teardown_appcontext(
    app: Kolba, client: KolbaClient
) -> None:
    ran: list[str] = []
    app.teardown_appcontext(lambda exc: ran.append("app"))
    app.teardown_request(lambda exc: ran.append("request"))
    app.add_url_rule("/", "index", lambda: "x")
    client.get("/")
    assert ran == ["request", "app"]


def test_teardown_runs_for_test_request_context(app: Kolba) -> None:
    seen: list[BaseException | None] = []
    app.teardown_request(seen.append)
    with app.test_request_context():
        pass
    assert seen == [None]


def test_url_value_preprocessor_pops_values(app: Kolba, client: KolbaClient) -> None:
    @app.url_value_preprocessor
    def pull_lang(endpoint: str | None, values: dict[str, t.Any] | None) -> None:
        assert values is not None
        g.lang = values.pop("lang")

    @app.route("/<lang>/about")
    def about() -> str:
        return f"about in {g.lang}"

    assert client.get("/fr/about").text == "about in fr"


def test_url_value_preprocessor_runs_before_before_request(
    app: Kolba, client: KolbaClient
) -> None:
    order: list[str] = []
    app.before_request(lambda: order.append("before"))  # type: ignore[arg-type, func-returns-value]
    app.url_value_preprocessor(lambda e, v: order.append("preprocess"))  # type: ignore[func-returns-value]
    app.add_url_rule("/", "index", lambda: "x")
    client.get("/")
    assert order == ["preprocess", "before"]


def test_url_defaults_fill_values(app: Kolba, client: KolbaClient) -> None:
    @app.url_defaults
    def add_lang(endpoint: str, values: dict[str, t.Any]) -> None:
        if "lang" not in values and app.url_map.is_endpoint_expecting(endpoint, "lang"):
            values["lang"] = g.get("lang", "en")

    @app.url_value_preprocessor
    def pull_lang(endpoint: str | None, values: dict[str, t.Any] | None) -> None:
        g.lang = (values or {}).pop("lang", None)

    @app.route("/<lang>/about")
    def about() -> str:
        return url_for("about")

    assert client.get("/de/about").text == "/de/about"


def test_url_defaults_in_app_context(app: Kolba) -> None:
    app.config["SERVER_NAME"] = "example.com"

    @app.url_defaults
    def add_page(endpoint: str, values: dict[str, t.Any]) -> None:
        values.setdefault("page", 1)

    app.add_url_rule("/list/<int:page>", "listing", lambda page: str(page))
    with app.app_context():
        assert url_for("listing") == "http://example.com/list/1"
