"""Cookie sessions: storage across requests, cookie attributes, Vary, expiry, tampering.

The signed cookie *values* differ by design (Kolba signs in its own format), so every
case masks the session cookie's value; an empty value (a deletion) is still compared,
and so are all the attributes (Expires within two seconds).
"""

from __future__ import annotations

import datetime
import uuid

import pytest
from kolba_diffkit import (
    FLASK,
    KOLBA,
    SELFTEST,
    Req,
    cases,
    compare,
    compare_steps,
    make_app,
    skip_without_kolba,
)
from markupsafe import Markup

skip_without_kolba()

MASK = ("session", "custom_session")


def S(path, **kw):  # noqa: N802 - a short constructor for session cases
    kw.setdefault("mask_cookies", MASK)
    return Req(path, **kw)


def session_app(fw, config=None):
    app = fw.App(__name__)
    app.testing = True
    app.secret_key = "differential-secret"
    # Kolba defaults to "Lax" where Flask has None: state it so both sides agree
    app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    app.config.update(config or {})
    session, jsonify, request = fw.session, fw.jsonify, fw.request

    @app.route("/set/<key>/<value>")
    def set_(key, value):
        session[key] = value
        return "set"

    @app.route("/get")
    def get():
        return jsonify(dict(session))

    @app.route("/get/<key>")
    def get_key(key):
        return jsonify(value=session.get(key), present=key in session)

    @app.route("/item/<key>")
    def item(key):
        return str(session[key])

    @app.route("/pop/<key>")
    def pop(key):
        return str(session.pop(key, None))

    @app.route("/clear")
    def clear():
        session.clear()
        return "cleared"

    @app.route("/noop")
    def noop():
        return "noop"

    @app.route("/contains")
    def contains():
        return str("user" in session)

    @app.route("/permanent/<int:on>")
    def permanent(on):
        session.permanent = bool(on)
        session["p"] = on
        return "permanent"

    @app.route("/is-permanent")
    def is_permanent():
        return str(session.permanent)

    @app.route("/list/append/<value>")
    def list_append(value):
        # an in-place change of a mutable value is not noticed without ``modified``
        session.setdefault("items", []).append(value)
        if request.args.get("mark"):
            session.modified = True
        return jsonify(session["items"])

    @app.route("/types/set")
    def types_set():
        session["tuple"] = (1, "two")
        session["bytes"] = b"\x00\xffbytes"
        session["markup"] = Markup("<b>safe</b>")
        session["uuid"] = uuid.UUID("12345678-1234-5678-1234-567812345678")
        session["when"] = datetime.datetime(2021, 5, 6, 7, 8, 9)
        session["nested"] = {" t": "tagged-looking key", "list": [1, 2.5, None, True]}
        session["unicode"] = "caf\u00e9 \U0001f600 \u2028"
        return "types"

    @app.route("/types/get")
    def types_get():
        return jsonify(
            {key: [type(value).__name__, repr(value)] for key, value in session.items()}
        )

    @app.route("/new-modified")
    def new_modified():
        # session.new is left out on purpose: Flask's cookie session always
        # says False, Kolba says True when no valid cookie came in (README).
        return jsonify(modified=session.modified)

    @app.route("/set-and-clear")
    def set_and_clear():
        session["x"] = 1
        session.clear()
        return "gone"

    @app.route("/raise-after-set")
    def raise_after_set():
        session["x"] = 1
        fw.abort(400)

    @app.route("/error-handler-sets")
    def error_handler_sets():
        fw.abort(418)

    @app.route("/rotate")
    def rotate():
        # the old key becomes a fallback: cookies signed with it are still read
        app.config["SECRET_KEY_FALLBACKS"] = [app.secret_key]
        app.secret_key = "rotated-secret"
        return "rotated"

    @app.route("/drop-fallbacks")
    def drop_fallbacks():
        app.config["SECRET_KEY_FALLBACKS"] = []
        return "dropped"

    @app.route("/boom-after-set")
    def boom_after_set():
        session["before_boom"] = True
        raise RuntimeError("boom")

    @app.route("/int-key")
    def int_key():
        session[1] = "one"  # JSON object keys are strings
        return "int key"

    @app.after_request
    def touch_in_after_request(response):
        if request.args.get("after"):
            session["after"] = request.args["after"]
        return response

    @app.errorhandler(418)
    def teapot(e):
        session["handled"] = "yes"
        return "teapot", 418

    return app


def null_session_app(fw):
    """No secret key: a read-only null session, writing to it is an error."""
    app = fw.App(__name__)
    app.testing = False
    app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    session = fw.session

    @app.route("/read")
    def read():
        return f"{dict(session)} {session.get('x')} {session.new}"

    @app.route("/write")
    def write():
        session["x"] = 1
        return "written"

    return app


SINGLE = [
    S("/set/user/ann"),
    S("/get"),
    S("/get/user"),
    S("/noop"),
    S("/contains"),
    S("/is-permanent"),
    S("/permanent/1"),
    S("/permanent/0"),
    S("/clear"),
    S("/pop/user"),
    S("/item/missing", body=True),
    S("/list/append/a"),
    S("/list/append/a", query_string="mark=1", id="list append marked"),
    S("/types/set"),
    S("/new-modified"),
    S("/set-and-clear"),
    S("/raise-after-set"),
    S("/error-handler-sets", body=True),
    S("/get", headers=(("Cookie", "session=garbage"),), id="garbage cookie"),
    S("/get", headers=(("Cookie", "session="),), id="empty cookie"),
    S("/get", headers=(("Cookie", "session=a.b.c"),), id="dotted garbage"),
    S("/get", headers=(("Cookie", "session=" + "A" * 3000),), id="long garbage"),
    S("/get", headers=(("Cookie", 'session="\\"x\\""'),), id="quoted garbage"),
    S("/new-modified", headers=(("Cookie", "session=bad"),), id="bad cookie new"),
    S("/set/k/v", headers=(("Cookie", "session=bad"),), id="set over bad cookie"),
]


@pytest.mark.parametrize(("app_factory", "req"), cases(session_app, SINGLE))
def test_single_requests(app_factory, req):
    compare(app_factory, req)


CONFIGS = {
    "name": {"SESSION_COOKIE_NAME": "custom_session"},
    "domain": {"SESSION_COOKIE_DOMAIN": "example.com"},
    "path": {"SESSION_COOKIE_PATH": "/app"},
    "app-root": {"APPLICATION_ROOT": "/root"},
    "path-beats-root": {"APPLICATION_ROOT": "/root", "SESSION_COOKIE_PATH": "/p"},
    "not-httponly": {"SESSION_COOKIE_HTTPONLY": False},
    "secure": {"SESSION_COOKIE_SECURE": True},
    "samesite-strict": {"SESSION_COOKIE_SAMESITE": "Strict"},
    "samesite-none": {"SESSION_COOKIE_SAMESITE": None},
    "samesite-None-str": {
        "SESSION_COOKIE_SAMESITE": "None",
        "SESSION_COOKIE_SECURE": True,
    },
    "partitioned": {"SESSION_COOKIE_PARTITIONED": True},
    "lifetime-int": {"PERMANENT_SESSION_LIFETIME": 60},
    "lifetime-td": {"PERMANENT_SESSION_LIFETIME": datetime.timedelta(hours=2)},
    "no-refresh": {"SESSION_REFRESH_EACH_REQUEST": False},
}


@pytest.mark.parametrize("path", ["/set/a/1", "/permanent/1", "/clear", "/noop"])
@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_cookie_config(name, path):
    """SESSION_COOKIE_* and friends, reflected in Set-Cookie."""

    def factory(fw):
        return session_app(fw, CONFIGS[name])

    factory.__name__ = f"session_app[{name}]"
    compare(factory, S(path))


def _seq(*steps):
    return list(steps)


def _tamper(client):
    cookie = client.get_cookie("session")
    assert cookie is not None, "the previous step should have set the session cookie"
    value = cookie.value
    # Change the first character of the signature: all six of its bits count,
    # so the decoded signature always changes (the last base64 character may
    # carry padding bits that decode to the same bytes).
    head, _dot, signature = value.rpartition(".")
    first = "A" if signature[0] != "A" else "B"
    client.set_cookie("session", f"{head}.{first}{signature[1:]}")


def _drop_signature(client):
    cookie = client.get_cookie("session")
    assert cookie is not None
    client.set_cookie("session", cookie.value.rsplit(".", 1)[0])


def _foreign_cookie(client):
    client.set_cookie(
        "session", "eyJ1c2VyIjoiZXZlIn0.ZZZZZZ.abcdefghijklmnopqrstuvwxyz0"
    )


SEQUENCES = {
    "set-then-read": _seq(S("/set/user/ann"), S("/get"), S("/get/user"), S("/noop")),
    "overwrite": _seq(S("/set/a/1"), S("/set/a/2"), S("/set/b/3"), S("/get")),
    "pop": _seq(S("/set/a/1"), S("/set/b/2"), S("/pop/a"), S("/get"), S("/pop/b")),
    "pop-last-deletes": _seq(S("/set/a/1"), S("/pop/a"), S("/get"), S("/noop")),
    "clear-deletes-cookie": _seq(S("/set/a/1"), S("/clear"), S("/get")),
    "clear-empty": _seq(S("/clear"), S("/clear"), S("/get")),
    "contains-then-noop": _seq(S("/set/user/x"), S("/contains"), S("/noop")),
    "new-flag": _seq(S("/new-modified"), S("/set/a/1"), S("/new-modified")),
    "permanent": _seq(
        S("/permanent/1"), S("/is-permanent"), S("/get"), S("/noop"), S("/get")
    ),
    "permanent-off": _seq(S("/permanent/1"), S("/permanent/0"), S("/get")),
    "mutable-unnoticed": _seq(
        S("/list/append/a"), S("/list/append/b"), S("/get"), S("/list/append/c")
    ),
    "mutable-marked": _seq(
        S("/list/append/a", query_string="mark=1"),
        S("/list/append/b", query_string="mark=1"),
        S("/get"),
    ),
    "types-round-trip": _seq(S("/types/set"), S("/types/get")),
    "tampered": _seq(S("/set/user/ann"), _tamper, S("/get"), S("/set/x/y"), S("/get")),
    "unsigned": _seq(S("/set/user/ann"), _drop_signature, S("/get")),
    "foreign": _seq(_foreign_cookie, S("/get"), S("/new-modified")),
    "abort-keeps-write": _seq(S("/raise-after-set"), S("/get")),
    "error-handler-write": _seq(S("/error-handler-sets", body=True), S("/get")),
    "key-rotation": _seq(
        S("/set/a/1"),
        S("/rotate"),
        S("/get"),
        S("/set/b/2"),
        S("/drop-fallbacks"),
        S("/get"),
    ),
    "key-rotation-no-fallback": _seq(
        S("/set/a/1"), S("/rotate"), S("/drop-fallbacks"), S("/get")
    ),
    "int-key": _seq(S("/int-key"), S("/get")),
    "after-request-write": _seq(S("/noop", query_string="after=x"), S("/get")),
    "head-and-options": _seq(
        S("/set/a/1", method="HEAD"), S("/get", method="OPTIONS"), S("/get")
    ),
}


def test_unhandled_error_still_saves():
    """A 500 from an unhandled exception still saves the session it changed."""

    def factory(fw):
        app = session_app(fw)
        app.testing = False
        return app

    factory.__name__ = "session_app[not testing]"
    compare_steps(factory, [S("/boom-after-set"), S("/get")])


@pytest.mark.parametrize("name", sorted(SEQUENCES))
def test_sequences(name):
    compare_steps(session_app, SEQUENCES[name])


REFRESH = _seq(
    S("/permanent/1"),
    S("/get"),
    S("/noop"),
    S("/is-permanent"),
    S("/set/a/1"),
    S("/get"),
)


@pytest.mark.parametrize("refresh", [True, False])
@pytest.mark.parametrize("lifetime", [60, 3600])
def test_refresh_each_request(refresh, lifetime):
    """A permanent session's cookie is re-sent on every request that touches it only
    while SESSION_REFRESH_EACH_REQUEST is on; with it off, only when modified."""

    def factory(fw):
        return session_app(
            fw,
            {
                "SESSION_REFRESH_EACH_REQUEST": refresh,
                "PERMANENT_SESSION_LIFETIME": lifetime,
            },
        )

    factory.__name__ = "refresh_app"
    compare_steps(factory, REFRESH)


@pytest.mark.parametrize("req", [Req("/read"), Req("/write")], ids=["read", "write"])
def test_null_session_without_secret_key(req):
    compare(null_session_app, req)


def test_expires_present_only_for_permanent():
    """Not compared by value elsewhere: check the shape on each side directly."""
    for fw in (FLASK, KOLBA):
        client = make_app(session_app, fw).test_client()
        plain = client.get("/set/a/1").headers["Set-Cookie"]
        permanent = client.get("/permanent/1").headers["Set-Cookie"]
        assert "Expires=" not in plain, (fw.name, plain)
        assert "Expires=" in permanent, (fw.name, permanent)


def test_samesite_default_differs_on_purpose():
    """Flask leaves SameSite off the session cookie by default; Kolba sends ``Lax``
    (a CSRF mitigation browsers understand). With the setting stated, they agree."""

    def factory(fw):
        app = session_app(fw)
        app.config["SESSION_COOKIE_SAMESITE"] = fw.App.default_config[
            "SESSION_COOKIE_SAMESITE"
        ]
        return app

    flask = make_app(factory, FLASK).test_client().get("/set/a/1")
    assert "SameSite" not in flask.headers["Set-Cookie"]
    if SELFTEST:
        pytest.skip("the 'kolba' side is Flask in the self-test")
    kolba = make_app(factory, KOLBA).test_client().get("/set/a/1")
    assert "SameSite=Lax" in kolba.headers["Set-Cookie"]
