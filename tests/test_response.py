"""Responses over HTTP: wrappers, cookies, view return values, conditional requests."""

from __future__ import annotations

import dataclasses
import decimal
import io
import typing as t
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import flask
import pytest

from kolba import (
    Kolba,
    Response,
    abort,
    jsonify,
    make_response,
    redirect,
    request,
    stream_with_context,
)
from kolba.testing import KolbaClient

# -- the Response wrapper --------------------------------------------------------


def test_response_defaults() -> None:
    rv = Response("hello")
    assert rv.status_code == 200
    assert rv.status == "200 OK"
    assert rv.mimetype == flask.Response("hello").mimetype == "text/html"
    assert rv.headers["Content-Type"] == "text/html; charset=utf-8"
    assert rv.get_data() == b"hello"


def test_response_mimetype_argument() -> None:
    rv = Response("<p>", mimetype="text/html")
    assert rv.headers["Content-Type"] == "text/html; charset=utf-8"


def test_response_content_type_argument_is_verbatim() -> None:
    rv = Response(b"x", content_type="application/octet-stream")
    assert rv.headers["Content-Type"] == "application/octet-stream"
    assert rv.mimetype == "application/octet-stream"


def test_response_headers_argument() -> None:
    rv = Response("x", headers={"X-A": "1"})
    assert rv.headers["X-A"] == "1"


def test_response_status_int() -> None:
    rv = Response("x", status=201)
    assert rv.status == "201 CREATED"


def test_response_status_string_with_phrase() -> None:
    rv = Response("x", status="201 CREATED")
    assert rv.status_code == 201
    assert rv.status == "201 CREATED"


def test_response_status_bare_number_string() -> None:
    rv = Response("x", status="299")
    assert rv.status_code == 299
    assert rv.status == flask.Response("x", status="299").status


def test_response_status_unknown_int_matches_flask() -> None:
    assert Response(status=299).status == flask.Response(status=299).status


def test_response_streams_from_generator(app: Kolba, client: KolbaClient) -> None:
    @app.route("/")
    def index() -> t.Any:
        def gen() -> Iterator[str]:
            yield "a"
            yield "b"
            yield "c"

        return Response(gen())

    rv = client.get("/")
    assert rv.data == b"abc"
    assert "Content-Length" not in rv.headers


def test_stream_with_context_keeps_request(app: Kolba, client: KolbaClient) -> None:
    @app.route("/")
    def index() -> t.Any:
        @stream_with_context
        def gen() -> Iterator[str]:
            yield "hello "
            yield request.args["name"]

        return Response(gen())

    assert client.get("/?name=kolba").data == b"hello kolba"


def test_stream_with_context_wrapping_a_generator(
    app: Kolba, client: KolbaClient
) -> None:
    @app.route("/p")
    def index() -> t.Any:
        def gen() -> Iterator[str]:
            yield request.method
            yield request.path

        return Response(stream_with_context(gen()))

    assert client.get("/p").data == b"GET/p"


# -- cookies: compared with Flask's Set-Cookie header for the same call -----------

_COOKIE_CASES: list[dict[str, t.Any]] = [
    {},
    {"max_age": 60},
    {"max_age": timedelta(hours=1)},
    {"expires": datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)},
    {"expires": 1893456000},
    {"path": "/sub"},
    {"path": None},
    {"domain": "example.com"},
    {"secure": True},
    {"httponly": True},
    {"samesite": "Strict"},
    {"samesite": "Lax"},
    {"samesite": "None", "secure": True},
    {"partitioned": True},
    {
        "max_age": 10,
        "path": "/a",
        "domain": "example.com",
        "secure": True,
        "httponly": True,
        "samesite": "Lax",
    },
]


def _set_cookie_header(rv: t.Any) -> str:
    return t.cast(str, rv.headers["Set-Cookie"])


@pytest.mark.parametrize(
    "kwargs", _COOKIE_CASES, ids=lambda kw: ",".join(kw) or "plain"
)
def test_set_cookie_matches_flask(kwargs: dict[str, t.Any]) -> None:
    ours = Response()
    ours.set_cookie("name", "value", **kwargs)
    theirs = flask.Response()
    theirs.set_cookie("name", "value", **kwargs)
    assert _set_cookie_header(ours) == _set_cookie_header(theirs)


def test_set_cookie_partitioned_implies_secure() -> None:
    rv = Response()
    rv.set_cookie("a", "b", partitioned=True)
    header = _set_cookie_header(rv)
    assert "Partitioned" in header
    assert "Secure" in header


def test_set_cookie_value_needing_quotes_matches_flask() -> None:
    ours = Response()
    ours.set_cookie("k", 'a b;c"d')
    theirs = flask.Response()
    theirs.set_cookie("k", 'a b;c"d')
    assert _set_cookie_header(ours) == _set_cookie_header(theirs)


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"path": "/p", "domain": "example.com"},
        {"secure": True, "httponly": True, "samesite": "Lax"},
        {"partitioned": True},
    ],
    ids=lambda kw: ",".join(kw) or "plain",
)
def test_delete_cookie_matches_flask(kwargs: dict[str, t.Any]) -> None:
    ours = Response()
    ours.delete_cookie("name", **kwargs)
    theirs = flask.Response()
    theirs.delete_cookie("name", **kwargs)
    assert _set_cookie_header(ours) == _set_cookie_header(theirs)


def test_set_cookie_over_http(app: Kolba, client: KolbaClient) -> None:
    @app.route("/")
    def index() -> t.Any:
        rv = make_response("ok")
        rv.set_cookie("flavour", "oat", httponly=True, samesite="Lax")
        return rv

    rv = client.get("/")
    assert rv.headers["Set-Cookie"] == "flavour=oat; HttpOnly; Path=/; SameSite=Lax"


# -- make_response --------------------------------------------------------------------


def test_make_response_no_args_is_empty(app: Kolba) -> None:
    with app.test_request_context():
        rv = make_response()
        assert rv.status_code == 200
        assert rv.data == b""


def test_make_response_body_status_headers(app: Kolba) -> None:
    with app.test_request_context():
        rv = make_response("Not here", 404, {"X-Why": "gone"})
        assert rv.status_code == 404
        assert rv.data == b"Not here"
        assert rv.headers["X-Why"] == "gone"


def test_make_response_from_tuple(app: Kolba) -> None:
    with app.test_request_context():
        rv = make_response(("body", 201))
        assert rv.status_code == 201


def test_make_response_from_dict_is_json(app: Kolba) -> None:
    with app.test_request_context():
        rv = make_response({"a": 1})
        assert rv.mimetype == "application/json"
        assert rv.json == {"a": 1}


def test_make_response_passes_response_through(app: Kolba) -> None:
    with app.test_request_context():
        original = Response("x")
        assert make_response(original) is original


# -- jsonify -----------------------------------------------------------------------


def test_jsonify_dict(app: Kolba) -> None:
    with app.app_context():
        rv = jsonify({"a": 1, "b": [1, 2]})
    assert rv.mimetype == "application/json"
    assert rv.get_data(as_text=True) == '{"a":1,"b":[1,2]}\n'


def test_jsonify_list(app: Kolba) -> None:
    with app.app_context():
        assert jsonify([1, 2]).get_json() == [1, 2]


def test_jsonify_kwargs(app: Kolba) -> None:
    with app.app_context():
        assert jsonify(a=1, b="x").get_json() == {"a": 1, "b": "x"}


def test_jsonify_args_become_list(app: Kolba) -> None:
    with app.app_context():
        assert jsonify(1, 2, 3).get_json() == [1, 2, 3]


def test_jsonify_single_arg_is_value(app: Kolba) -> None:
    with app.app_context():
        assert jsonify("x").get_json() == "x"


def test_jsonify_args_and_kwargs_is_type_error(app: Kolba) -> None:
    with app.app_context(), pytest.raises(TypeError):
        jsonify(1, a=2)


def test_jsonify_indents_in_debug(app: Kolba) -> None:
    app.debug = True
    with app.app_context():
        ours = jsonify({"b": 1, "a": [1]}).get_data(as_text=True)
    fapp = flask.Flask("oracle")
    fapp.debug = True
    with fapp.app_context():
        theirs = flask.jsonify({"b": 1, "a": [1]}).get_data(as_text=True)
    assert ours == theirs


@dataclasses.dataclass
class _Point:
    x: int
    y: int


def test_jsonify_special_types_match_flask(app: Kolba) -> None:
    value = {
        "point": _Point(1, 2),
        "when": datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC),
        "price": decimal.Decimal("12.50"),
        "id": uuid.UUID("12345678-1234-5678-1234-567812345678"),
    }
    with app.app_context():
        ours = jsonify(value).get_json()
    fapp = flask.Flask("oracle")
    with fapp.app_context():
        theirs = flask.jsonify(value).get_json()
    assert ours == theirs
    assert ours["when"] == "Mon, 06 May 2024 07:08:09 GMT"


def test_jsonify_over_http(app: Kolba, client: KolbaClient) -> None:
    @app.route("/")
    def index() -> t.Any:
        return jsonify(ok=True)

    rv = client.get("/")
    assert rv.json == {"ok": True}
    assert rv.headers["Content-Type"] == "application/json"


# -- view return values --------------------------------------------------------------


def _route(app: Kolba, value: t.Any) -> None:
    app.add_url_rule("/", "index", lambda: value)


def test_view_returns_str(app: Kolba, client: KolbaClient) -> None:
    _route(app, "héllo")
    rv = client.get("/")
    assert rv.data == "héllo".encode()
    assert rv.headers["Content-Type"] == "text/html; charset=utf-8"


def test_view_returns_bytes(app: Kolba, client: KolbaClient) -> None:
    _route(app, b"raw")
    rv = client.get("/")
    assert rv.data == b"raw"
    assert rv.mimetype == "text/html"


def test_view_returns_dict(app: Kolba, client: KolbaClient) -> None:
    _route(app, {"a": 1})
    rv = client.get("/")
    assert rv.json == {"a": 1}
    assert rv.mimetype == "application/json"


def test_view_returns_list(app: Kolba, client: KolbaClient) -> None:
    _route(app, [1, "a"])
    assert client.get("/").json == [1, "a"]


def test_view_returns_body_and_status(app: Kolba, client: KolbaClient) -> None:
    _route(app, ("made", 201))
    rv = client.get("/")
    assert rv.status == "201 CREATED"
    assert rv.data == b"made"


def test_view_returns_body_and_status_string(app: Kolba, client: KolbaClient) -> None:
    _route(app, ("teapot", "418 I'M A TEAPOT"))
    rv = client.get("/")
    assert rv.status_code == 418


def test_view_returns_body_and_dict_headers(app: Kolba, client: KolbaClient) -> None:
    _route(app, ("x", {"X-A": "1"}))
    rv = client.get("/")
    assert rv.status_code == 200
    assert rv.headers["X-A"] == "1"


def test_view_returns_body_and_list_headers(app: Kolba, client: KolbaClient) -> None:
    _route(app, ("x", [("X-A", "1"), ("X-A", "2")]))
    rv = client.get("/")
    assert rv.headers.getlist("X-A") == ["1", "2"]


def test_view_returns_body_status_headers(app: Kolba, client: KolbaClient) -> None:
    _route(app, ({"e": 1}, 400, {"X-A": "1"}))
    rv = client.get("/")
    assert rv.status_code == 400
    assert rv.json == {"e": 1}
    assert rv.headers["X-A"] == "1"


def test_view_returns_body_status_list_headers(app: Kolba, client: KolbaClient) -> None:
    _route(app, ("x", 202, [("X-B", "2")]))
    rv = client.get("/")
    assert rv.status_code == 202
    assert rv.headers["X-B"] == "2"


def test_view_tuple_headers_extend_response(app: Kolba, client: KolbaClient) -> None:
    @app.route("/")
    def index() -> t.Any:
        return Response("x", headers={"X-A": "1"}), {"X-B": "2"}

    rv = client.get("/")
    assert rv.headers["X-A"] == "1"
    assert rv.headers["X-B"] == "2"


def test_view_tuple_status_overrides_response(app: Kolba, client: KolbaClient) -> None:
    @app.route("/")
    def index() -> t.Any:
        return Response("x", status=200), 203

    assert client.get("/").status_code == 203


def test_view_returns_response(app: Kolba, client: KolbaClient) -> None:
    _route(app, Response("r", status=202, mimetype="text/plain"))
    rv = client.get("/")
    assert rv.status_code == 202
    assert rv.mimetype == "text/plain"


def test_view_returns_generator(app: Kolba, client: KolbaClient) -> None:
    @app.route("/")
    def index() -> t.Any:
        return (part for part in ["a", "b"])

    assert client.get("/").data == b"ab"


def test_view_returns_iterator(app: Kolba, client: KolbaClient) -> None:
    @app.route("/")
    def index() -> t.Any:
        return iter([b"x", b"y"])

    assert client.get("/").data == b"xy"


def test_view_returns_wsgi_callable(app: Kolba, client: KolbaClient) -> None:
    def wsgi(environ: dict[str, t.Any], start_response: t.Any) -> list[bytes]:
        start_response("203 Non-Authoritative Information", [("X-W", "1")])
        return [environ["PATH_INFO"].encode()]

    _route(app, wsgi)
    rv = client.get("/")
    assert rv.status_code == 203
    assert rv.headers["X-W"] == "1"
    assert rv.data == b"/"


def test_view_returns_none_raises_type_error_naming_view(
    app: Kolba, client: KolbaClient
) -> None:
    @app.route("/")
    def nothing_here() -> None:
        return None

    with pytest.raises(TypeError, match="nothing_here"):
        client.get("/")


def test_view_returns_none_is_500_in_production(
    app: Kolba, client: KolbaClient
) -> None:
    app.testing = False

    @app.route("/")
    def nothing_here() -> None:
        return None

    assert client.get("/").status_code == 500


def test_view_returns_wrong_tuple_size(app: Kolba, client: KolbaClient) -> None:
    _route(app, ("a", 200, {}, "extra"))
    with pytest.raises(TypeError, match="tuple"):
        client.get("/")


def test_view_returns_unsupported_type(app: Kolba, client: KolbaClient) -> None:
    _route(app, 42)
    with pytest.raises(TypeError, match="int"):
        client.get("/")


# -- redirect and abort ----------------------------------------------------------------


@pytest.mark.parametrize("code", [301, 302, 303, 307, 308])
def test_redirect_codes(app: Kolba, client: KolbaClient, code: int) -> None:
    @app.route("/")
    def index() -> t.Any:
        return redirect("/target", code)

    rv = client.get("/")
    assert rv.status_code == code
    assert rv.headers["Location"] == "/target"
    assert rv.mimetype == "text/html"
    assert 'href="/target"' in rv.text


def test_redirect_default_is_302() -> None:
    rv = redirect("/x")
    assert rv.status_code == 302


def test_redirect_escapes_location_in_body() -> None:
    rv = redirect('/x"><script>')
    assert "<script>" not in rv.get_data(as_text=True)


def test_abort_with_description(app: Kolba, client: KolbaClient) -> None:
    @app.route("/")
    def index() -> t.Any:
        abort(403, "Members only.")

    rv = client.get("/")
    assert rv.status_code == 403
    assert "Members only." in rv.text


def test_abort_with_response(app: Kolba, client: KolbaClient) -> None:
    @app.route("/")
    def index() -> t.Any:
        abort(Response("custom", status=409))

    rv = client.get("/")
    assert rv.status_code == 409
    assert rv.data == b"custom"


# -- conditional requests and ranges ---------------------------------------------------


def _conditional_app(app: Kolba) -> None:
    @app.route("/")
    def index() -> t.Any:
        rv = Response("0123456789")
        rv.add_etag()
        rv.last_modified = datetime(2024, 1, 1, tzinfo=UTC)
        return rv.make_conditional(request)

    @app.route("/ranged")
    def ranged() -> t.Any:
        rv = Response("0123456789")
        # Flask only honours Range when complete_length is given.
        return rv.make_conditional(request, accept_ranges=True, complete_length=10)


def test_etag_is_set(app: Kolba, client: KolbaClient) -> None:
    _conditional_app(app)
    rv = client.get("/")
    assert rv.status_code == 200
    assert rv.headers["ETag"].startswith('"')


def test_if_none_match_gives_304(app: Kolba, client: KolbaClient) -> None:
    _conditional_app(app)
    etag = client.get("/").headers["ETag"]
    rv = client.get("/", headers={"If-None-Match": etag})
    assert rv.status_code == 304
    assert rv.data == b""
    assert rv.headers["ETag"] == etag


def test_not_modified_sends_no_content_type(app: Kolba, client: KolbaClient) -> None:
    _conditional_app(app)
    rv = client.get("/", headers={"If-None-Match": "*"})
    assert rv.status_code == 304
    assert "Content-Type" not in rv.headers
    assert "Content-Length" not in rv.headers


def test_if_match_other_etag_gives_412(app: Kolba, client: KolbaClient) -> None:
    _conditional_app(app)
    assert client.get("/", headers={"If-Match": '"other"'}).status_code == 412


def test_if_match_current_etag_gives_200(app: Kolba, client: KolbaClient) -> None:
    _conditional_app(app)
    etag = client.get("/").headers["ETag"]
    assert client.get("/", headers={"If-Match": etag}).status_code == 200


def test_if_range_mismatch_sends_full_body(app: Kolba, client: KolbaClient) -> None:
    _conditional_app(app)
    rv = client.get("/ranged", headers={"Range": "bytes=0-1", "If-Range": '"old"'})
    assert rv.status_code == 200
    assert rv.data == b"0123456789"


def test_suffix_range(app: Kolba, client: KolbaClient) -> None:
    _conditional_app(app)
    rv = client.get("/ranged", headers={"Range": "bytes=-3"})
    assert rv.status_code == 206
    assert rv.data == b"789"


def test_head_range_keeps_partial_length(app: Kolba, client: KolbaClient) -> None:
    _conditional_app(app)
    rv = client.head("/ranged", headers={"Range": "bytes=0-1"})
    assert rv.status_code == 206
    assert rv.data == b""
    assert rv.headers["Content-Length"] == "2"


def test_if_none_match_other_etag_gives_200(app: Kolba, client: KolbaClient) -> None:
    _conditional_app(app)
    rv = client.get("/", headers={"If-None-Match": '"nope"'})
    assert rv.status_code == 200


def test_if_modified_since_gives_304(app: Kolba, client: KolbaClient) -> None:
    _conditional_app(app)
    rv = client.get("/", headers={"If-Modified-Since": "Tue, 02 Jan 2024 00:00:00 GMT"})
    assert rv.status_code == 304


def test_if_modified_since_older_gives_200(app: Kolba, client: KolbaClient) -> None:
    _conditional_app(app)
    rv = client.get("/", headers={"If-Modified-Since": "Sun, 31 Dec 2023 00:00:00 GMT"})
    assert rv.status_code == 200
    assert rv.headers["Last-Modified"] == "Mon, 01 Jan 2024 00:00:00 GMT"


def test_range_gives_206(app: Kolba, client: KolbaClient) -> None:
    _conditional_app(app)
    rv = client.get("/ranged", headers={"Range": "bytes=2-4"})
    assert rv.status_code == 206
    assert rv.data == b"234"
    assert rv.headers["Content-Range"] == "bytes 2-4/10"
    assert rv.headers["Content-Length"] == "3"
    assert rv.headers["Accept-Ranges"] == "bytes"


def test_unsatisfiable_range_gives_416(app: Kolba, client: KolbaClient) -> None:
    _conditional_app(app)
    rv = client.get("/ranged", headers={"Range": "bytes=50-60"})
    assert rv.status_code == 416
    assert rv.headers["Content-Range"] == "bytes */10"


def test_head_drops_body_keeps_content_length(app: Kolba, client: KolbaClient) -> None:
    @app.route("/")
    def index() -> str:
        return "twelve chars"

    rv = client.head("/")
    assert rv.status_code == 200
    assert rv.data == b""
    assert rv.headers["Content-Length"] == "12"


def test_response_file_like_body(app: Kolba, client: KolbaClient) -> None:
    @app.route("/")
    def index() -> t.Any:
        return Response(iter([io.BytesIO(b"abc").read()]))

    assert client.get("/").data == b"abc"
