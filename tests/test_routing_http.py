"""Routing, exercised over HTTP through the test client."""

from __future__ import annotations

import typing as t
import uuid

import pytest

from kolba import Kolba, request, url_for
from kolba.routing import BaseConverter
from kolba.testing import KolbaClient


class ListConverter(BaseConverter):
    """``a,b,c`` in the URL ↔ ``["a", "b", "c"]`` in the view."""

    def to_python(self, value: str) -> list[str]:
        return value.split(",")

    def to_url(self, value: t.Any) -> str:
        return ",".join(super(ListConverter, self).to_url(item) for item in value)


# -- registration ------------------------------------------------------------


def test_route_default_method_is_get(app: Kolba, client: KolbaClient) -> None:
    @app.route("/")
    def index() -> str:
        return "home"

    assert client.get("/").text == "home"
    assert client.post("/").status_code == 405


def test_route_methods(app: Kolba, client: KolbaClient) -> None:
    @app.route("/m", methods=["GET", "POST"])
    def m() -> str:
        return request.method

    assert client.get("/m").text == "GET"
    assert client.post("/m").text == "POST"
    assert client.put("/m").status_code == 405


def test_route_methods_lower_case_accepted(app: Kolba, client: KolbaClient) -> None:
    @app.route("/m", methods=["post"])
    def m() -> str:
        return request.method

    assert client.post("/m").text == "POST"


def test_route_methods_as_string_raises(app: Kolba) -> None:
    with pytest.raises(TypeError):
        app.add_url_rule("/x", "x", lambda: "x", methods="POST")


def test_route_endpoint_name(app: Kolba, client: KolbaClient) -> None:
    @app.route("/e", endpoint="custom")
    def e() -> str:
        return request.endpoint or ""

    assert client.get("/e").text == "custom"
    assert "custom" in app.view_functions


def test_route_defaults(app: Kolba, client: KolbaClient) -> None:
    @app.route("/page/", defaults={"n": 1})
    @app.route("/page/<int:n>")
    def page(n: int) -> str:
        return f"page {n}"

    assert client.get("/page/").text == "page 1"
    assert client.get("/page/7").text == "page 7"


def test_route_defaults_url_redirects_to_short_form(
    app: Kolba, client: KolbaClient
) -> None:
    @app.route("/page/", defaults={"n": 1})
    @app.route("/page/<int:n>")
    def page(n: int) -> str:
        return f"page {n}"

    rv = client.get("/page/1")
    assert rv.status_code == 308
    assert rv.headers["Location"].endswith("/page/")


def test_strict_slashes_false_matches_both(app: Kolba, client: KolbaClient) -> None:
    @app.route("/loose/", strict_slashes=False)
    def loose() -> str:
        return "loose"

    assert client.get("/loose/").text == "loose"
    assert client.get("/loose").text == "loose"


def test_redirect_to_string(app: Kolba, client: KolbaClient) -> None:
    app.add_url_rule("/old", "old", redirect_to="/new")

    @app.route("/new")
    def new() -> str:
        return "new"

    rv = client.get("/old")
    assert rv.status_code == 308
    assert rv.headers["Location"].endswith("/new")
    assert client.get("/old", follow_redirects=True).text == "new"


def test_redirect_to_with_placeholder(app: Kolba, client: KolbaClient) -> None:
    app.add_url_rule("/old/<int:id>", "old", redirect_to="/new/<id>")

    @app.route("/new/<int:id>")
    def new(id: int) -> str:
        return f"new {id}"

    rv = client.get("/old/5")
    assert rv.status_code == 308
    assert rv.headers["Location"].endswith("/new/5")


@pytest.mark.parametrize("verb", ["get", "post", "put", "patch", "delete"])
def test_method_shortcut_decorators(app: Kolba, client: KolbaClient, verb: str) -> None:
    decorator: t.Callable[[str], t.Callable[[t.Any], t.Any]] = getattr(app, verb)

    @decorator("/v")
    def v() -> str:
        return request.method

    assert getattr(client, verb)("/v").text == verb.upper()
    other = "post" if verb == "get" else "get"
    assert getattr(client, other)("/v").status_code == 405


def test_method_shortcut_rejects_methods_argument(app: Kolba) -> None:
    with pytest.raises(TypeError):
        app.get("/x", methods=["POST"])


def test_add_url_rule_with_view_func(app: Kolba, client: KolbaClient) -> None:
    def hello() -> str:
        return "hello"

    app.add_url_rule("/hello", view_func=hello)
    assert client.get("/hello").text == "hello"
    assert "hello" in app.view_functions


def test_endpoint_decorator_attaches_view(app: Kolba, client: KolbaClient) -> None:
    app.add_url_rule("/later", "later_ep")

    @app.endpoint("later_ep")
    def later() -> str:
        return "later"

    assert client.get("/later").text == "later"


def test_duplicate_endpoint_with_different_function_raises(app: Kolba) -> None:
    @app.route("/a")
    def view() -> str:
        return "a"

    def other() -> str:
        return "b"

    with pytest.raises(AssertionError, match="overwriting an existing endpoint"):
        app.add_url_rule("/b", "view", other)


def test_same_function_on_two_rules_is_fine(app: Kolba, client: KolbaClient) -> None:
    def view() -> str:
        return request.path

    app.add_url_rule("/a", view_func=view)
    app.add_url_rule("/b", view_func=view)
    assert client.get("/a").text == "/a"
    assert client.get("/b").text == "/b"


def test_route_after_first_request_raises(app: Kolba, client: KolbaClient) -> None:
    @app.route("/")
    def index() -> str:
        return "x"

    client.get("/")
    with pytest.raises(AssertionError, match="first request"):
        app.add_url_rule("/late", "late", lambda: "late")


def test_iter_rules_lists_registered_rules(app: Kolba) -> None:
    @app.route("/one")
    def one() -> str:
        return "1"

    @app.route("/two/<int:x>", methods=["POST"])
    def two(x: int) -> str:
        return "2"

    rules = {rule.rule: rule for rule in app.url_map.iter_rules()}
    assert "/one" in rules and "/two/<int:x>" in rules
    assert rules["/two/<int:x>"].endpoint == "two"
    assert "POST" in rules["/two/<int:x>"].methods  # type: ignore[operator]
    assert [r.rule for r in app.url_map.iter_rules("one")] == ["/one"]


# -- converters ----------------------------------------------------------------


def test_default_converter_is_string_without_slash(
    app: Kolba, client: KolbaClient
) -> None:
    @app.route("/u/<name>")
    def user(name: str) -> str:
        return name

    assert client.get("/u/bob").text == "bob"
    assert client.get("/u/a/b").status_code == 404


def test_string_converter_length(app: Kolba, client: KolbaClient) -> None:
    @app.route("/code/<string(length=3):c>")
    def code(c: str) -> str:
        return c

    assert client.get("/code/abc").text == "abc"
    assert client.get("/code/ab").status_code == 404
    assert client.get("/code/abcd").status_code == 404


def test_string_converter_minlength_maxlength(app: Kolba, client: KolbaClient) -> None:
    @app.route("/n/<string(minlength=2, maxlength=4):n>")
    def n(n: str) -> str:
        return n

    assert client.get("/n/a").status_code == 404
    assert client.get("/n/ab").text == "ab"
    assert client.get("/n/abcd").text == "abcd"
    assert client.get("/n/abcde").status_code == 404


def test_int_converter(app: Kolba, client: KolbaClient) -> None:
    @app.route("/i/<int:i>")
    def i(i: int) -> str:
        return repr(i)

    assert client.get("/i/42").text == "42"
    assert client.get("/i/-1").status_code == 404
    assert client.get("/i/abc").status_code == 404
    assert client.get("/i/1.5").status_code == 404


def test_int_converter_min_max(app: Kolba, client: KolbaClient) -> None:
    @app.route("/r/<int(min=1, max=10):i>")
    def r(i: int) -> str:
        return repr(i)

    assert client.get("/r/1").text == "1"
    assert client.get("/r/10").text == "10"
    assert client.get("/r/0").status_code == 404
    assert client.get("/r/11").status_code == 404


def test_int_converter_signed(app: Kolba, client: KolbaClient) -> None:
    @app.route("/s/<int(signed=True):i>")
    def s(i: int) -> str:
        return repr(i)

    assert client.get("/s/-5").text == "-5"
    assert client.get("/s/5").text == "5"


def test_float_converter(app: Kolba, client: KolbaClient) -> None:
    @app.route("/f/<float:f>")
    def f(f: float) -> str:
        return repr(f)

    assert client.get("/f/1.5").text == "1.5"
    assert client.get("/f/1").status_code == 404


def test_path_converter_accepts_slashes(app: Kolba, client: KolbaClient) -> None:
    @app.route("/files/<path:p>")
    def files(p: str) -> str:
        return p

    assert client.get("/files/a/b/c.txt").text == "a/b/c.txt"


def test_uuid_converter(app: Kolba, client: KolbaClient) -> None:
    @app.route("/id/<uuid:u>")
    def ident(u: uuid.UUID) -> str:
        assert isinstance(u, uuid.UUID)
        return str(u)

    value = uuid.uuid4()
    assert client.get(f"/id/{value}").text == str(value)
    assert client.get("/id/not-a-uuid").status_code == 404


def test_any_converter(app: Kolba, client: KolbaClient) -> None:
    @app.route("/lang/<any(en, de):lang>")
    def lang(lang: str) -> str:
        return lang

    assert client.get("/lang/en").text == "en"
    assert client.get("/lang/de").text == "de"
    assert client.get("/lang/fr").status_code == 404


def test_custom_converter_matches_and_builds(app: Kolba, client: KolbaClient) -> None:
    app.url_map.converters["list"] = ListConverter

    @app.route("/tags/<list:tags>")
    def tags(tags: list[str]) -> dict[str, t.Any]:
        return {"tags": tags, "url": url_for("tags", tags=["x", "y"])}

    rv = client.get("/tags/a,b,c")
    assert rv.json == {"tags": ["a", "b", "c"], "url": "/tags/x,y"}


# -- automatic HEAD / OPTIONS, 404, 405 ----------------------------------------


def test_head_has_get_headers_and_empty_body(app: Kolba, client: KolbaClient) -> None:
    @app.route("/h")
    def h() -> tuple[str, dict[str, str]]:
        return "hello", {"X-Custom": "1"}

    get = client.get("/h")
    head = client.head("/h")
    assert head.status_code == 200
    assert head.data == b""
    assert head.headers["X-Custom"] == "1"
    assert head.headers["Content-Type"] == get.headers["Content-Type"]
    assert head.headers["Content-Length"] == get.headers["Content-Length"] == "5"


def test_automatic_options_lists_allow(app: Kolba, client: KolbaClient) -> None:
    @app.route("/o", methods=["GET", "POST"])
    def o() -> str:
        return "o"

    rv = client.options("/o")
    assert rv.status_code == 200
    assert set(rv.allow) == {"GET", "HEAD", "OPTIONS", "POST"}


def test_405_has_allow_header(app: Kolba, client: KolbaClient) -> None:
    @app.route("/only-get")
    def only_get() -> str:
        return "x"

    rv = client.post("/only-get")
    assert rv.status_code == 405
    assert set(rv.allow) == {"GET", "HEAD", "OPTIONS"}


def test_405_allow_merges_methods_of_all_matching_rules(
    app: Kolba, client: KolbaClient
) -> None:
    app.add_url_rule("/x", "a", lambda: "a", methods=["GET"])
    app.add_url_rule("/x", "b", lambda: "b", methods=["PUT"])
    rv = client.delete("/x")
    assert rv.status_code == 405
    assert {"GET", "PUT"} <= set(rv.allow)
    assert client.put("/x").text == "b"


def test_unknown_url_is_404(app: Kolba, client: KolbaClient) -> None:
    assert client.get("/nope").status_code == 404


# -- trailing-slash redirect -----------------------------------------------------


def test_missing_trailing_slash_redirects_308(app: Kolba, client: KolbaClient) -> None:
    @app.route("/dir/")
    def d() -> str:
        return "dir"

    rv = client.get("/dir")
    assert rv.status_code == 308
    assert rv.headers["Location"] == "http://localhost/dir/"


def test_trailing_slash_redirect_keeps_query_string(
    app: Kolba, client: KolbaClient
) -> None:
    @app.route("/dir/")
    def d() -> str:
        return "dir"

    rv = client.get("/dir?a=1&b=%20x")
    # Same as Flask 3.1: absolute Location, query string kept as sent.
    assert rv.headers["Location"] == "http://localhost/dir/?a=1&b=%20x"


def test_trailing_slash_redirect_under_script_root(
    app: Kolba, client: KolbaClient
) -> None:
    @app.route("/dir/")
    def d() -> str:
        return "dir"

    rv = client.get("/dir?a=1", base_url="http://example.com/app/")
    assert rv.status_code == 308
    assert rv.headers["Location"] == "http://example.com/app/dir/?a=1"


def test_trailing_slash_redirect_followed(app: Kolba, client: KolbaClient) -> None:
    @app.route("/dir/")
    def d() -> str:
        return request.args.get("a", "")

    assert client.get("/dir?a=v", follow_redirects=True).text == "v"


def test_extra_trailing_slash_is_404_on_slashless_rule(
    app: Kolba, client: KolbaClient
) -> None:
    @app.route("/file")
    def f() -> str:
        return "f"

    assert client.get("/file/").status_code == 404


def test_post_redirect_308_preserves_method(app: Kolba, client: KolbaClient) -> None:
    @app.route("/form/", methods=["POST"])
    def form() -> str:
        return request.method + ":" + request.form["x"]

    rv = client.post("/form", data={"x": "1"}, follow_redirects=True)
    assert rv.text == "POST:1"


def test_static_route_wins_over_dynamic(app: Kolba, client: KolbaClient) -> None:
    @app.route("/u/<name>")
    def user(name: str) -> str:
        return "dynamic"

    @app.route("/u/me")
    def me() -> str:
        return "static"

    assert client.get("/u/me").text == "static"
    assert client.get("/u/you").text == "dynamic"


def test_view_args_are_unquoted(app: Kolba, client: KolbaClient) -> None:
    @app.route("/q/<name>")
    def q(name: str) -> str:
        return name

    assert client.get("/q/a%20b").text == "a b"
    assert client.get("/q/%C3%A9").text == "é"
