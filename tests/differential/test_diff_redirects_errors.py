"""Redirects, HTTP errors, error handlers, request hooks."""

from __future__ import annotations

import dataclasses

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


def redirect_app(fw):
    app = fw.App(__name__)
    app.testing = True
    redirect, url_for, request = fw.redirect, fw.url_for, fw.request

    @app.route("/target", methods=["GET", "POST"])
    def target():
        qs = request.query_string.decode()
        return f"target {request.method} {qs} {request.get_data()!r}"

    @app.route("/r/plain")
    def plain():
        return redirect("/target")

    @app.route("/r/url_for")
    def via_url_for():
        return redirect(url_for("target", x=1, y="a b"))

    @app.route("/r/external")
    def external():
        return redirect(url_for("target", _external=True))

    @app.route("/r/code/<int:code>", methods=["GET", "POST"])
    def with_code(code):
        return redirect("/target?from=" + str(code), code=code)

    @app.route("/r/space")
    def space():
        return redirect("/a b/c d?q=x y&r=1#frag ment")

    @app.route("/r/unicode")
    def unicode():
        return redirect("/caf\u00e9/\u00fc?q=\u00e9")

    @app.route("/r/encoded")
    def encoded():
        return redirect("/already%20encoded?q=%C3%A9")

    @app.route("/r/absolute")
    def absolute():
        return redirect("https://example.com/path?x=1")

    @app.route("/r/idna")
    def idna():
        return redirect("http://b\u00fccher.example/\u00e9")

    @app.route("/r/relative")
    def relative():
        return redirect("target")

    @app.route("/r/chain")
    def chain():
        return redirect("/r/plain")

    @app.route("/r/response-class")
    def response_class():
        rv = redirect("/target", 303)
        return f"{type(rv).__name__} {rv.status_code} {rv.location}"

    @app.route("/r/manual")
    def manual():
        return "moved by hand", 302, {"Location": "/target"}

    @app.route("/r/loop")
    def loop():
        return redirect("/r/loop")

    return app


REDIRECTS = [
    Req("/r/plain"),
    Req("/r/url_for"),
    Req("/r/external"),
    *[Req(f"/r/code/{c}") for c in (301, 302, 303, 307, 308)],
    Req("/r/space"),
    Req("/r/unicode"),
    Req("/r/encoded"),
    Req("/r/absolute"),
    Req("/r/idna"),
    Req("/r/relative"),
    Req("/r/response-class"),
    Req("/r/manual", body=True),
    Req("/r/plain", follow_redirects=True),
    Req("/r/chain", follow_redirects=True),
    Req("/r/url_for", follow_redirects=True),
    Req("/r/external", follow_redirects=True),
    Req("/r/manual", follow_redirects=True),
    *[
        Req(f"/r/code/{c}", method="POST", data="payload", follow_redirects=True)
        for c in (301, 302, 303, 307, 308)
    ],
    Req("/r/loop", follow_redirects=True),
]
# every Location here is written by the app, so it must come out exactly as Flask's
REDIRECTS = [dataclasses.replace(r, exact_location=True) for r in REDIRECTS]


@pytest.mark.parametrize(("app_factory", "req"), cases(redirect_app, REDIRECTS))
def test_redirects(app_factory, req):
    compare(app_factory, req)


# ---------------------------------------------------------------------------
# errors


class MyBase(Exception):
    pass


class MySub(MyBase):
    pass


class Unrelated(Exception):
    pass


def error_app(fw, testing=True):
    app = fw.App(__name__)
    app.testing = testing
    abort, request, exc = fw.abort, fw.request, fw.exceptions
    make_response = fw.make_response

    @app.errorhandler(404)
    def not_found(e):
        return f"custom 404 {request.path} {type(e).__name__} {e.code}", 404

    @app.errorhandler(MyBase)
    def my_base(e):
        return f"handled {type(e).__name__}: {e}", 418

    @app.errorhandler(exc.Forbidden)
    def forbidden(e):
        return {"error": e.description, "code": e.code}, 403

    @app.errorhandler(500)
    def server_error(e):
        original = getattr(e, "original_exception", None)
        return f"custom 500 {type(e).__name__} {type(original).__name__}", 500

    @app.route("/abort404")
    def abort404():
        abort(404)

    @app.route("/abort403")
    def abort403():
        abort(403, "no entry")

    @app.route("/abort400")
    def abort400():
        abort(400)

    @app.route("/abort400-msg")
    def abort400_msg():
        abort(400, description="bad thing")

    @app.route("/abort410")
    def abort410():
        abort(410)

    @app.route("/abort418")
    def abort418():
        abort(418)

    @app.route("/abort-response")
    def abort_response():
        abort(make_response("teapot body", 418))

    @app.route("/raise-notfound")
    def raise_notfound():
        raise exc.NotFound()

    @app.route("/raise-badrequest")
    def raise_badrequest():
        raise exc.BadRequest("bad")

    @app.route("/raise-405")
    def raise_405():
        raise exc.MethodNotAllowed(valid_methods=["GET", "POST"])

    @app.route("/raise-401")
    def raise_401():
        raise exc.Unauthorized(www_authenticate=None)

    @app.route("/http-exception-response")
    def http_exception_response():
        return exc.Conflict()

    @app.route("/base")
    def base():
        raise MyBase("b")

    @app.route("/sub")
    def sub():
        raise MySub("s")

    @app.route("/unrelated")
    def unrelated():
        raise Unrelated("u")

    @app.route("/runtime")
    def runtime():
        raise RuntimeError("boom")

    @app.route("/keyerror")
    def keyerror():
        return request.args["missing"]

    @app.route("/formkey", methods=["POST"])
    def formkey():
        return request.form["missing"]

    @app.route("/strict-json", methods=["POST"])
    def strict_json():
        return {"got": request.get_json()}

    return app


ERRORS = [
    Req("/abort404", body=True),
    Req("/missing", body=True),
    Req("/abort403", body=True),
    Req("/abort400"),
    Req("/abort400-msg"),
    Req("/abort410"),
    Req("/abort418"),
    Req("/abort-response", body=True),
    Req("/raise-notfound", body=True),
    Req("/raise-badrequest"),
    Req("/raise-405"),
    Req("/raise-401"),
    Req("/http-exception-response"),
    Req("/base", body=True),
    Req("/sub", body=True),
    Req("/unrelated"),
    Req("/runtime"),
    Req("/keyerror"),
    Req("/keyerror", query_string="missing=ok", body=True),
    Req("/formkey", method="POST", data={"other": "1"}),
    Req("/strict-json", method="POST", data="{bad", content_type="application/json"),
    Req("/strict-json", method="POST", data="[1]", content_type="text/plain"),
    Req("/strict-json", method="POST", json={"a": [1]}),
    Req("/abort404", method="POST"),
]


@pytest.mark.parametrize(("app_factory", "req"), cases(error_app, ERRORS))
def test_errors_testing(app_factory, req):
    compare(app_factory, req)


@pytest.mark.parametrize(
    ("app_factory", "req"),
    cases(
        error_app,
        [
            Req("/runtime", body=True),
            Req("/unrelated", body=True),
            Req("/base", body=True),
            Req("/abort404", body=True),
        ],
    ),
)
def test_errors_not_testing(app_factory, req):
    """``app.testing = False``: an unhandled error goes to the 500 handler."""
    compare(app_factory, req, testing=False)


def bare_app(fw, testing=True, propagate=None):
    app = fw.App(__name__)
    app.testing = testing
    if propagate is not None:
        app.config["PROPAGATE_EXCEPTIONS"] = propagate

    @app.route("/runtime")
    def runtime():
        raise RuntimeError("boom")

    @app.route("/abort")
    def abort():
        fw.abort(409)

    return app


@pytest.mark.parametrize(
    ("testing", "propagate", "expect"),
    [
        (True, None, "raises"),
        (False, None, 500),
        (True, False, 500),
        (False, True, "raises"),
    ],
)
def test_propagate_exceptions(testing, propagate, expect):
    for fw in (FLASK, KOLBA):
        client = make_app(
            bare_app, fw, testing=testing, propagate=propagate
        ).test_client()
        if expect == "raises":
            with pytest.raises(RuntimeError, match="boom"):
                client.get("/runtime")
        else:
            resp = client.get("/runtime")
            assert (resp.status_code, resp.mimetype) == (500, "text/html"), fw
        # HTTP exceptions are never propagated
        assert client.get("/abort").status_code == 409, fw


@pytest.mark.parametrize(
    ("app_factory", "req"),
    cases(bare_app, [Req("/runtime"), Req("/abort"), Req("/nope")]),
)
def test_default_error_pages_not_testing(app_factory, req):
    compare(app_factory, req, testing=False)


# ---------------------------------------------------------------------------
# hooks


def hooks_app(fw, log=None):
    app = fw.App(__name__)
    app.testing = True
    request, g = fw.request, fw.g
    log = [] if log is None else log

    @app.before_request
    def before():
        g.seen = "before"
        if request.path.startswith("/blocked"):
            return "blocked by hook", 403
        if request.path == "/hook-abort":
            fw.abort(401)
        return None

    @app.after_request
    def after(resp):
        resp.headers["X-After"] = "1"
        resp.headers.add("X-Order", "after-1")
        return resp

    @app.after_request
    def after2(resp):
        resp.headers.add("X-Order", "after-2")
        return resp

    @app.teardown_request
    def teardown(exc):
        log.append(("teardown", request.path, type(exc).__name__ if exc else None))

    @app.route("/ok")
    def ok():
        return f"ok {g.seen}"

    @app.route("/blocked/<x>")
    def blocked(x):
        return "never"

    @app.route("/boom")
    def boom():
        raise ValueError("boom")

    @app.route("/hook-abort")
    def hook_abort():
        return "never"

    return app


HOOKS = [
    Req("/ok"),
    Req("/blocked/1", body=True),
    Req("/hook-abort"),
    Req("/nope"),
    Req("/ok", method="POST"),
]


@pytest.mark.parametrize(("app_factory", "req"), cases(hooks_app, HOOKS))
def test_hooks(app_factory, req):
    compare(app_factory, req)


def test_teardown_called():
    logs = {}
    for fw in (FLASK, KOLBA):
        log = []
        app = make_app(hooks_app, fw, log=log)
        client = app.test_client()
        client.get("/ok")
        client.get("/blocked/2")
        client.get("/nope")
        with pytest.raises(ValueError):
            client.get("/boom")
        app.testing = False
        client.get("/boom")
        logs[fw.name] = log
    assert logs[KOLBA.name] == logs[FLASK.name]
