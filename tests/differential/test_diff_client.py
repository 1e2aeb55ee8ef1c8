"""The test client itself, and the places where Kolba differs from Flask on purpose."""

from __future__ import annotations

import pytest
from kolba_diffkit import FLASK, KOLBA, SELFTEST, make_app, outcome, skip_without_kolba

skip_without_kolba()


def client_app(fw):
    app = fw.App(__name__)
    app.testing = True
    app.secret_key = "differential-secret"
    request, jsonify, session = fw.request, fw.jsonify, fw.session

    @app.route("/set")
    def set_():
        resp = fw.make_response("set")
        resp.set_cookie("a", "1")
        resp.set_cookie("scoped", "s", path="/sub")
        return resp

    @app.route("/read")
    @app.route("/sub/read")
    def read():
        return jsonify(request.cookies.to_dict(flat=False))

    @app.route("/del")
    def del_():
        resp = fw.make_response("del")
        resp.delete_cookie("a")
        return resp

    @app.route("/args")
    def args():
        return "args"

    @app.route("/session/set/<value>")
    def session_set(value):
        session["u"] = value
        return "ok"

    @app.route("/session/get")
    def session_get():
        return jsonify(u=session.get("u"), keys=sorted(session.keys()))

    @app.route("/echo-json", methods=["POST"])
    def echo_json():
        return jsonify(got=request.get_json(), ctype=request.content_type)

    return app


def _each(fn):
    """``fn(fw, client)`` on both sides; returns ``{name: result}``."""
    got = {}
    for fw in (FLASK, KOLBA):
        app = make_app(client_app, fw)
        got[fw.name] = outcome(lambda: fn(fw, app, app.test_client()))  # noqa: B023
    return got[FLASK.name], got[KOLBA.name]


def test_cookies_kept_across_requests():
    def fn(fw, app, c):
        c.get("/set")
        first = c.get("/read").get_json()
        sub = c.get("/sub/read").get_json()
        c.get("/del")
        after = c.get("/read").get_json()
        return first, sub, after

    flask, kolba = _each(fn)
    assert kolba == flask


def test_client_set_get_delete_cookie():
    def fn(fw, app, c):
        c.set_cookie("name", "value")
        c.set_cookie("other", "x", path="/sub")
        c.set_cookie("elsewhere", "y", domain="example.com")
        seen = c.get("/read").get_json(), c.get("/sub/read").get_json()
        cookie = c.get_cookie("name")
        info = (
            (cookie.key, cookie.value, cookie.domain, cookie.path) if cookie else None
        )
        c.delete_cookie("name")
        return seen, info, c.get_cookie("name"), c.get("/read").get_json()

    flask, kolba = _each(fn)
    assert kolba == flask


def test_use_cookies_false():
    def fn(fw, app, c):
        c = app.test_client(use_cookies=False)
        c.get("/set")
        return c.get("/read").get_json()

    flask, kolba = _each(fn)
    assert kolba == flask


def test_with_client_keeps_request_context():
    def fn(fw, app, c):
        with c:
            c.get("/args?a=1&a=2&b=x")
            inside = (
                fw.request.args.getlist("a"),
                fw.request.path,
                fw.request.endpoint,
            )
        return inside

    flask, kolba = _each(fn)
    assert kolba == flask


def test_request_context_gone_after_with_block():
    for fw in (FLASK, KOLBA):
        app = make_app(client_app, fw)
        with app.test_client() as c:
            c.get("/args")
        with pytest.raises(RuntimeError):
            fw.request.args  # noqa: B018


def test_session_transaction():
    def fn(fw, app, c):
        with c.session_transaction() as s:
            s["u"] = "alice"
        before = c.get("/session/get").get_json()
        c.get("/session/set/bob")
        with c.session_transaction() as s:
            in_tx = dict(s)
        return before, c.get("/session/get").get_json(), in_tx

    flask, kolba = _each(fn)
    assert kolba == flask


def test_response_api():
    def fn(fw, app, c):
        rv = c.post("/echo-json", json={"b": [1, 2], "a": "\u00e9"})
        return (
            rv.status_code,
            rv.status,
            rv.mimetype,
            rv.content_type,
            rv.is_json,
            rv.get_json(),
            rv.json,
            rv.text,
            rv.data,
            rv.content_length,
            rv.headers["Content-Type"],
            rv.request.path,
            rv.request.method,
            list(rv.history),
        )

    flask, kolba = _each(fn)
    assert kolba == flask


def test_open_method_variants():
    def fn(fw, app, c):
        return [
            c.open("/args").status_code,
            c.open("/args", method="POST").status_code,
            c.open("/args", method="HEAD").data,
            sorted(c.open("/args", method="OPTIONS").headers.get("Allow").split(", ")),
            c.get("/args", buffered=True).data,
            c.head("/args").status_code,
            c.options("/args").status_code,
            c.post("/args").status_code,
            c.put("/args").status_code,
            c.patch("/args").status_code,
            c.delete("/args").status_code,
        ]

    flask, kolba = _each(fn)
    assert kolba == flask


def test_redirect_history():
    def fn(fw, app, c):
        app.add_url_rule(
            "/hop/<int:n>",
            "hop",
            lambda n: fw.redirect(f"/hop/{n - 1}") if n else "landed",
        )
        rv = c.get("/hop/3", follow_redirects=True)
        return (
            rv.status_code,
            rv.data,
            len(rv.history),
            [h.status_code for h in rv.history],
            [h.location for h in rv.history],
            rv.request.path,
        )

    flask, kolba = _each(fn)
    assert kolba == flask


# ---------------------------------------------------------------------------
# Kolba differs on purpose (and answers better). Not compared: each test asserts Kolba's
# answer and, for the record, Flask's, which documents why the two differ.


def byte_app(fw):
    app = fw.App(__name__)
    app.testing = False
    request = fw.request

    @app.route("/")
    @app.route("/<path:p>")
    def echo(p=None):
        return fw.jsonify(args=request.args.to_dict(flat=False), path=request.path, p=p)

    return app


def _kolba_half(check):
    if SELFTEST:
        pytest.skip(
            "the 'kolba' side is Flask in the self-test; only the Flask half is checked"
        )
    check()


def test_raw_ff_byte_in_query_string():
    """A raw 0xFF byte in QUERY_STRING (a WSGI environ is latin-1: "\\xff").

    Flask 3.1 decodes ``request.args`` as UTF-8 and lets the UnicodeDecodeError become a
    500. Kolba answers 400: it is the client's malformed request, not a server fault."""
    overrides = {"environ_overrides": {"QUERY_STRING": "q=\xff"}}
    flask = make_app(byte_app, FLASK).test_client().get("/", **overrides)
    assert flask.status_code == 500

    def check():
        kolba = make_app(byte_app, KOLBA).test_client().get("/", **overrides)
        assert kolba.status_code == 400

    _kolba_half(check)


@pytest.mark.parametrize(
    ("path", "query", "flask_status", "flask_seen"),
    [
        ("/%ff", None, 200, {"path": "/\ufffd", "p": "\ufffd", "args": {}}),
        ("/x", "q=%ff", 200, {"path": "/x", "p": "x", "args": {"q": ["%FF"]}}),
        ("/x", "q=%C3%28", 200, {"path": "/x", "p": "x", "args": {"q": ["%C3("]}}),
        ("/caf%E9", None, 200, {"path": "/caf\ufffd", "p": "caf\ufffd", "args": {}}),
    ],
    ids=["path-%ff", "query-%ff", "query-bad-sequence", "path-latin1-e9"],
)
def test_invalid_utf8_after_percent_decoding(path, query, flask_status, flask_seen):
    """Percent-escapes that decode to invalid UTF-8 in the path or the query.

    Flask 3.1 quietly substitutes (U+FFFD in the path, the raw escape in the query), so
    the view sees a different value from the one sent. Kolba answers 400 and says which
    part was malformed."""
    flask = make_app(byte_app, FLASK).test_client().get(path, query_string=query)
    assert flask.status_code == flask_status
    assert flask.get_json() == flask_seen

    def check():
        kolba = make_app(byte_app, KOLBA).test_client().get(path, query_string=query)
        assert kolba.status_code == 400
        body = kolba.get_data(as_text=True).lower()
        assert "path" in body or "query" in body, body

    _kolba_half(check)
