"""``url_for``: in views, in test request contexts and outside requests."""

from __future__ import annotations

import typing as t

import pytest

from kolba import Kolba, request, url_for
from kolba.routing import BuildError
from kolba.testing import KolbaClient


@pytest.fixture
def routed(app: Kolba) -> Kolba:
    @app.route("/")
    def index() -> str:
        return "index"

    @app.route("/u/<name>")
    def user(name: str) -> str:
        return name

    @app.route("/p/<int:page>")
    def page(page: int) -> str:
        return str(page)

    @app.route("/files/<path:p>")
    def files(p: str) -> str:
        return p

    return app


def test_url_for_in_view(routed: Kolba, client: KolbaClient) -> None:
    @routed.route("/where")
    def where() -> str:
        return url_for("user", name="bob")

    assert client.get("/where").text == "/u/bob"


def test_url_for_in_view_under_script_root(routed: Kolba, client: KolbaClient) -> None:
    @routed.route("/where")
    def where() -> str:
        return url_for("user", name="bob")

    rv = client.get("/where", base_url="http://example.com/app/")
    assert rv.text == "/app/u/bob"


def test_url_for_external_in_view_uses_request_host(
    routed: Kolba, client: KolbaClient
) -> None:
    @routed.route("/where")
    def where() -> str:
        return url_for("user", name="bob", _external=True)

    rv = client.get("/where", base_url="https://example.com/app/")
    assert rv.text == "https://example.com/app/u/bob"


def test_url_for_int_value(routed: Kolba) -> None:
    with routed.test_request_context():
        assert url_for("page", page=3) == "/p/3"


def test_extra_values_become_query_string(routed: Kolba) -> None:
    with routed.test_request_context():
        assert url_for("user", name="x", q="1", s="two") == "/u/x?q=1&s=two"


def test_list_values_become_repeated_keys(routed: Kolba) -> None:
    with routed.test_request_context():
        assert url_for("user", name="x", n=[1, 2]) == "/u/x?n=1&n=2"


def test_none_extra_value_is_dropped(routed: Kolba) -> None:
    with routed.test_request_context():
        assert url_for("user", name="x", n=None) == "/u/x"


def test_path_value_quoting_matches_flask(routed: Kolba) -> None:
    with routed.test_request_context():
        assert url_for("user", name="a b/?#&é%") == "/u/a%20b/%3F%23&%C3%A9%25"


def test_query_value_quoting_matches_flask(routed: Kolba) -> None:
    with routed.test_request_context():
        rv = url_for("user", name="x", q="a b", r="1/2?3#4&5=6")
    assert rv == "/u/x?q=a+b&r=1/2?3%234%265%3D6"


def test_query_value_unicode_is_utf8_percent_encoded(routed: Kolba) -> None:
    with routed.test_request_context():
        assert url_for("index", q="é") == "/?q=%C3%A9"


def test_path_converter_keeps_slashes(routed: Kolba) -> None:
    with routed.test_request_context():
        assert url_for("files", p="a/b c.txt") == "/files/a/b%20c.txt"


def test_built_url_round_trips(routed: Kolba, client: KolbaClient) -> None:
    with routed.test_request_context():
        target = url_for("user", name="a b?#&é")
    assert client.get(target).text == "a b?#&é"


def test_external(routed: Kolba) -> None:
    with routed.test_request_context():
        assert url_for("index", _external=True) == "http://localhost/"


def test_scheme_with_external(routed: Kolba) -> None:
    with routed.test_request_context():
        assert url_for("index", _scheme="https", _external=True) == "https://localhost/"


def test_scheme_implies_external(routed: Kolba) -> None:
    with routed.test_request_context():
        assert url_for("index", _scheme="https") == "https://localhost/"


def test_scheme_without_external_raises_value_error(routed: Kolba) -> None:
    with routed.test_request_context(), pytest.raises(ValueError, match="_external"):
        url_for("index", _scheme="https", _external=False)


def test_anchor(routed: Kolba) -> None:
    with routed.test_request_context():
        assert url_for("user", name="x", _anchor="frag ment/?é") == (
            "/u/x#frag%20ment/?%C3%A9"
        )


def test_anchor_after_query(routed: Kolba) -> None:
    with routed.test_request_context():
        assert url_for("index", q="1", _anchor="top") == "/?q=1#top"


def test_method_selects_rule(app: Kolba) -> None:
    app.add_url_rule("/read", "item", lambda: "r", methods=["GET"])
    app.add_url_rule("/write", "item", methods=["POST"])
    with app.test_request_context():
        assert url_for("item", _method="GET") == "/read"
        assert url_for("item", _method="POST") == "/write"


def test_method_without_matching_rule_raises(app: Kolba) -> None:
    app.add_url_rule("/m", "m", lambda: "m", methods=["POST"])
    with app.test_request_context(), pytest.raises(BuildError):
        url_for("m", _method="GET")


def test_unknown_endpoint_suggests_close_match(routed: Kolba) -> None:
    with routed.test_request_context(), pytest.raises(BuildError) as info:
        url_for("usr", name="x")
    assert "Did you mean 'user'" in str(info.value)


def test_missing_values_raise_build_error(routed: Kolba) -> None:
    with routed.test_request_context(), pytest.raises(BuildError) as info:
        url_for("user")
    assert "name" in str(info.value)


def test_wrong_value_type_raises_build_error(routed: Kolba) -> None:
    with routed.test_request_context(), pytest.raises((BuildError, ValueError)):
        url_for("page", page="abc")


def test_url_defaults_hook_fills_values(app: Kolba, client: KolbaClient) -> None:
    @app.url_defaults
    def add_lang(endpoint: str, values: dict[str, t.Any]) -> None:
        if app.url_map.is_endpoint_expecting(endpoint, "lang"):
            values.setdefault("lang", "en")

    @app.route("/<lang>/about")
    def about(lang: str) -> str:
        return url_for("about")

    assert client.get("/de/about").text == "/en/about"


def test_url_defaults_and_value_preprocessor(app: Kolba, client: KolbaClient) -> None:
    from kolba import g

    @app.url_value_preprocessor
    def pull_lang(endpoint: str | None, values: dict[str, t.Any] | None) -> None:
        assert values is not None
        g.lang = values.pop("lang")

    @app.url_defaults
    def push_lang(endpoint: str, values: dict[str, t.Any]) -> None:
        if endpoint == "about" and "lang" not in values:
            values["lang"] = g.lang

    @app.route("/<lang>/about")
    def about() -> str:
        return f"{g.lang} {url_for('about')}"

    assert client.get("/de/about").text == "de /de/about"


def test_url_value_preprocessor_sees_endpoint(app: Kolba, client: KolbaClient) -> None:
    seen: list[tuple[str | None, dict[str, t.Any] | None]] = []

    @app.url_value_preprocessor
    def record(endpoint: str | None, values: dict[str, t.Any] | None) -> None:
        seen.append((endpoint, dict(values or {})))

    @app.route("/x/<int:n>")
    def x(n: int) -> str:
        return str(n)

    assert client.get("/x/4").text == "4"
    assert seen == [("x", {"n": 4})]


def test_outside_request_with_server_name(routed: Kolba) -> None:
    routed.config.update(
        SERVER_NAME="example.org",
        APPLICATION_ROOT="/root",
        PREFERRED_URL_SCHEME="https",
    )
    with routed.app_context():
        assert url_for("user", name="x") == "https://example.org/root/u/x"


def test_outside_request_default_scheme_http(routed: Kolba) -> None:
    routed.config["SERVER_NAME"] = "example.org:8080"
    with routed.app_context():
        assert url_for("index") == "http://example.org:8080/"


def test_outside_request_without_server_name_raises_helpful_error(
    routed: Kolba,
) -> None:
    with routed.app_context(), pytest.raises(RuntimeError, match="SERVER_NAME"):
        url_for("index")


def test_outside_app_context_raises_runtime_error(routed: Kolba) -> None:
    with pytest.raises(RuntimeError, match="application context"):
        url_for("index")


def test_relative_endpoint_without_blueprint(routed: Kolba) -> None:
    with routed.test_request_context():
        assert url_for(".index") == "/"


def test_url_for_in_request_uses_request_method_independent_rule(
    app: Kolba, client: KolbaClient
) -> None:
    @app.route("/form", methods=["POST"])
    def form() -> str:
        return url_for("form") + " " + request.method

    assert client.post("/form").text == "/form POST"
