"""Return-value conversions, make_response, JSON bytes, cookies, ETags, status lines."""

from __future__ import annotations

import datetime as dt

import pytest
from kolba_diffkit import (
    FLASK,
    KOLBA,
    Req,
    cases,
    compare,
    make_app,
    skip_without_kolba,
)

skip_without_kolba()

UTC = dt.UTC


def convert_app(fw):
    app = fw.App(__name__)
    app.testing = True
    Response = fw.Response
    make_response = fw.make_response
    jsonify = fw.jsonify

    routes = {
        "/str": lambda: "hello",
        "/unicode": lambda: "h\u00e9llo \u2713",
        "/empty": lambda: "",
        "/html": lambda: "<p>hi</p>",
        "/bytes": lambda: b"raw\x00bytes\xff",
        "/dict": lambda: {
            "b": 1,
            "a": [1, 2],
            "u": "\u00e9\u2713",
            "n": None,
            "f": 1.5,
            "t": True,
        },
        "/dict-nested": lambda: {"z": {"y": {"x": [{}, [], ""]}}, "<tag>": "&'\""},
        "/list": lambda: [1, "two", {"z": 1, "y": 2}],
        "/list-empty": lambda: [],
        "/jsonify-kwargs": lambda: jsonify(b=2, a=1),
        "/jsonify-args": lambda: jsonify(1, 2, "three"),
        "/jsonify-one": lambda: jsonify("only"),
        "/jsonify-none": lambda: jsonify(None),
        "/jsonify-empty": lambda: jsonify(),
        "/jsonify-dt": lambda: jsonify(
            when=dt.datetime(2024, 2, 29, 13, 5, 9, tzinfo=UTC)
        ),
        "/jsonify-date": lambda: jsonify(day=dt.date(2024, 2, 29)),
        "/jsonify-floats": lambda: jsonify(a=0.1, b=1e20, c=-0.0, d=10**20),
        "/tuple-status": lambda: ("created", 201),
        "/tuple-status-str": lambda: ("created", "201 CREATED"),
        "/tuple-status-299": lambda: ("fine", 299),
        "/tuple-status-str-custom": lambda: ("fine", "299 FINE BY ME"),
        "/tuple-204": lambda: ("", 204),
        "/tuple-headers": lambda: (
            "with headers",
            {"X-Thing": "1", "Content-Type": "text/plain"},
        ),
        "/tuple-3": lambda: ("all", 202, [("X-A", "1"), ("X-A", "2")]),
        "/tuple-3-dict": lambda: ("all", 202, {"X-B": "b"}),
        "/tuple-dict-status": lambda: ({"ok": True}, 201),
        "/tuple-list-headers": lambda: ([1, 2], {"X-L": "l"}),
        "/tuple-jsonify-status": lambda: (jsonify(error="x"), 400),
        "/tuple-response-status": lambda: (Response("r"), 202),
        "/response": lambda: Response("resp", status=203, mimetype="text/plain"),
        "/response-default": lambda: Response("plain"),
        "/response-bytes": lambda: Response(b"\x00\x01"),
        "/response-ct": lambda: Response(
            "a,b", content_type="text/csv; charset=latin-1"
        ),
        "/response-mimetype-json": lambda: Response(
            '{"a":1}', mimetype="application/json"
        ),
        "/response-headers": lambda: Response(
            "h", headers=[("X-M", "1"), ("X-M", "2")]
        ),
        "/response-status-str": lambda: Response("s", status="202 ACCEPTED"),
        "/response-list-body": lambda: Response(["a", "b", "c"]),
        "/response-iter-bytes": lambda: Response(iter([b"x", b"y"])),
        "/make-response-str": lambda: make_response("x"),
        "/make-response-3": lambda: make_response("x", 201, {"X-Y": "y"}),
        "/make-response-tuple": lambda: make_response(("x", 201)),
        "/make-response-dict": lambda: make_response({"a": 1}),
        "/make-response-list": lambda: make_response([1]),
        "/make-response-empty": lambda: make_response(),
        "/make-response-response": lambda: make_response(Response("inner", 202)),
        "/make-response-bytes": lambda: make_response(b"by", 200),
    }
    for rule, fn in routes.items():
        app.add_url_rule(rule, rule, fn)

    @app.route("/gen")
    def gen():
        def chunks():
            yield "one "
            yield "two "
            yield b"three"

        return chunks()

    @app.route("/gen-response")
    def gen_response():
        def chunks():
            for i in range(3):
                yield f"{i},"

        return Response(chunks(), mimetype="text/csv")

    @app.route("/headers-multi")
    def headers_multi():
        resp = make_response("multi")
        resp.headers.add("X-Multi", "a")
        resp.headers.add("X-Multi", "b")
        resp.headers["X-Single"] = "s"
        resp.headers.add("Vary", "Accept")
        resp.headers.add("Vary", "Cookie")
        return resp

    @app.route("/set-data")
    def set_data():
        resp = make_response("first")
        resp.set_data("second, longer")
        resp.status_code = 201
        resp.mimetype = "text/plain"
        return resp

    @app.route("/none")
    def none():
        return None

    @app.route("/bad-type")
    def bad_type():
        return 42

    return app


CONVERT = [
    Req(p)
    for p in [
        "/str",
        "/unicode",
        "/empty",
        "/html",
        "/bytes",
        "/dict",
        "/dict-nested",
        "/list",
        "/list-empty",
        "/jsonify-kwargs",
        "/jsonify-args",
        "/jsonify-one",
        "/jsonify-none",
        "/jsonify-empty",
        "/jsonify-dt",
        "/jsonify-date",
        "/jsonify-floats",
        "/tuple-status",
        "/tuple-status-str",
        "/tuple-status-299",
        "/tuple-status-str-custom",
        "/tuple-204",
        "/tuple-headers",
        "/tuple-3",
        "/tuple-3-dict",
        "/tuple-dict-status",
        "/tuple-list-headers",
        "/tuple-response-status",
        "/response",
        "/response-default",
        "/response-bytes",
        "/response-ct",
        "/response-mimetype-json",
        "/response-headers",
        "/response-status-str",
        "/response-list-body",
        "/response-iter-bytes",
        "/make-response-str",
        "/make-response-3",
        "/make-response-tuple",
        "/make-response-dict",
        "/make-response-list",
        "/make-response-empty",
        "/make-response-response",
        "/make-response-bytes",
        "/gen",
        "/gen-response",
        "/headers-multi",
        "/set-data",
    ]
] + [
    Req("/tuple-jsonify-status", body=True),
    Req("/dict", method="HEAD"),
    Req("/gen", method="HEAD"),
    Req("/none"),
    Req("/bad-type"),
]


@pytest.mark.parametrize(("app_factory", "req"), cases(convert_app, CONVERT))
def test_conversions(app_factory, req):
    compare(app_factory, req)


@pytest.mark.parametrize("path", ["/none", "/bad-type"])
def test_bad_return_value_raises_under_testing_and_500s_otherwise(path):
    for fw in (FLASK, KOLBA):
        app = make_app(convert_app, fw)
        app.testing = True
        with pytest.raises(TypeError):
            app.test_client().get(path)
        app.testing = False
        resp = app.test_client().get(path)
        assert resp.status_code == 500, fw
        assert resp.mimetype == "text/html", fw


@pytest.mark.parametrize(
    "path",
    [
        "/str",
        "/tuple-status",
        "/tuple-status-str",
        "/tuple-status-299",
        "/tuple-status-str-custom",
        "/response-status-str",
        "/tuple-204",
        "/nope",
    ],
)
def test_status_line(request, path):
    if path == "/tuple-status-str-custom" and "asgi" in request.node.name:
        pytest.skip("ASGI carries no reason phrase: a custom one cannot arrive")
    """``response.status`` (code and reason phrase) as a Flask user reads it."""
    got = {
        fw.name: make_app(convert_app, fw).test_client().get(path).status
        for fw in (FLASK, KOLBA)
    }
    assert got[KOLBA.name] == got[FLASK.name]


# ---------------------------------------------------------------------------
# cookies, conditional responses


def cookie_app(fw):
    app = fw.App(__name__)
    app.testing = True
    make_response = fw.make_response
    request = fw.request

    def with_cookies(*calls):
        resp = make_response("cookies")
        for method, args, kwargs in calls:
            getattr(resp, method)(*args, **kwargs)
        return resp

    variants = {
        "plain": [("set_cookie", ("a", "1"), {})],
        "empty": [("set_cookie", ("a",), {})],
        "all": [
            (
                "set_cookie",
                ("b", "v"),
                {
                    "max_age": 3600,
                    "path": "/x",
                    "domain": "example.com",
                    "secure": True,
                    "httponly": True,
                    "samesite": "Lax",
                },
            )
        ],
        "max-age-td": [("set_cookie", ("c", "v"), {"max_age": dt.timedelta(days=1)})],
        "expires-dt": [
            (
                "set_cookie",
                ("d", "v"),
                {"expires": dt.datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)},
            )
        ],
        "expires-int": [("set_cookie", ("d", "v"), {"expires": 1700000000})],
        "samesite-strict": [("set_cookie", ("e", "v"), {"samesite": "Strict"})],
        "samesite-none": [
            ("set_cookie", ("e", "v"), {"samesite": "None", "secure": True})
        ],
        "partitioned": [("set_cookie", ("f", "v"), {"partitioned": True})],
        "partitioned-secure": [
            ("set_cookie", ("f", "v"), {"partitioned": True, "secure": True})
        ],
        "quoted": [("set_cookie", ("g", 'a b;"\u00e9",\\'), {})],
        "safe-chars": [("set_cookie", ("h", "abc-._~!#$%&'()*+/:<=>?@[]^`{|}"), {})],
        "no-path": [("set_cookie", ("i", "v"), {"path": None})],
        "delete": [("delete_cookie", ("a",), {})],
        "delete-scoped": [
            (
                "delete_cookie",
                ("b",),
                {
                    "path": "/x",
                    "domain": "example.com",
                    "secure": True,
                    "httponly": True,
                    "samesite": "Lax",
                },
            )
        ],
        "many": [
            ("set_cookie", ("a", "1"), {}),
            ("set_cookie", ("a", "2"), {}),
            ("delete_cookie", ("z",), {}),
        ],
    }

    @app.route("/cookie/<name>")
    def cookie(name):
        return with_cookies(*variants[name])

    @app.route("/etag")
    def etag():
        resp = make_response("etag body")
        resp.add_etag()
        return resp.make_conditional(request)

    @app.route("/etag-fixed")
    def etag_fixed():
        resp = make_response("fixed")
        resp.set_etag("abc")
        return resp.make_conditional(request)

    @app.route("/etag-weak")
    def etag_weak():
        resp = make_response("weak")
        resp.set_etag("w1", weak=True)
        return resp.make_conditional(request)

    @app.route("/last-modified")
    def last_modified():
        resp = make_response("lm")
        resp.last_modified = dt.datetime(2020, 1, 1, tzinfo=UTC)
        return resp.make_conditional(request)

    @app.route("/ranged")
    def ranged():
        resp = make_response("0123456789")
        resp.set_etag("r")
        return resp.make_conditional(request, accept_ranges=True, complete_length=10)

    @app.route("/cache")
    def cache():
        resp = make_response("c")
        resp.cache_control.max_age = 60
        resp.cache_control.public = True
        resp.expires = dt.datetime(2030, 1, 1, tzinfo=UTC)
        return resp

    return app


COOKIES = [
    Req(f"/cookie/{name}")
    for name in [
        "plain",
        "empty",
        "all",
        "max-age-td",
        "expires-dt",
        "expires-int",
        "samesite-strict",
        "samesite-none",
        "partitioned",
        "partitioned-secure",
        "quoted",
        "safe-chars",
        "no-path",
        "delete",
        "delete-scoped",
        "many",
    ]
] + [
    Req("/etag"),
    Req("/etag", headers=(("If-None-Match", '"b1e7fd4a2d0e0e3b1f5d7b0b1a1b6d2f"'),)),
    Req("/etag-fixed"),
    Req("/etag-fixed", headers=(("If-None-Match", '"abc"'),)),
    Req("/etag-fixed", headers=(("If-None-Match", 'W/"abc"'),)),
    Req("/etag-fixed", headers=(("If-None-Match", '"x", "abc"'),)),
    Req("/etag-fixed", headers=(("If-None-Match", "*"),)),
    Req("/etag-fixed", headers=(("If-None-Match", '"nope"'),)),
    Req("/etag-fixed", method="HEAD", headers=(("If-None-Match", '"abc"'),)),
    Req("/etag-fixed", method="POST", headers=(("If-None-Match", '"abc"'),)),
    Req("/etag-weak", headers=(("If-None-Match", 'W/"w1"'),)),
    Req("/etag-weak", headers=(("If-None-Match", '"w1"'),)),
    Req("/last-modified"),
    Req(
        "/last-modified",
        headers=(("If-Modified-Since", "Wed, 01 Jan 2020 00:00:00 GMT"),),
    ),
    Req(
        "/last-modified",
        headers=(("If-Modified-Since", "Tue, 31 Dec 2019 00:00:00 GMT"),),
    ),
    Req("/last-modified", headers=(("If-Modified-Since", "garbage"),)),
    Req("/ranged"),
    Req("/ranged", headers=(("Range", "bytes=0-3"),)),
    Req("/ranged", headers=(("Range", "bytes=-2"),)),
    Req("/ranged", headers=(("Range", "bytes=20-30"),)),
    Req("/ranged", headers=(("Range", "bytes=2-4"), ("If-Range", '"r"'))),
    Req("/ranged", headers=(("Range", "bytes=2-4"), ("If-Range", '"other"'))),
    Req("/cache"),
]


def _etag_of_body(fw):
    return make_app(cookie_app, fw).test_client().get("/etag").headers.get("ETag")


@pytest.mark.parametrize(("app_factory", "req"), cases(cookie_app, COOKIES))
def test_cookies_and_conditional(app_factory, req):
    compare(app_factory, req)


def test_add_etag_round_trip():
    """``add_etag`` then ``If-None-Match`` with the tag it gave: 304 on both."""
    for fw in (FLASK, KOLBA):
        client = make_app(cookie_app, fw).test_client()
        tag = client.get("/etag").headers["ETag"]
        assert client.get("/etag", headers={"If-None-Match": tag}).status_code == 304, (
            fw
        )
    assert _etag_of_body(KOLBA) == _etag_of_body(FLASK)
