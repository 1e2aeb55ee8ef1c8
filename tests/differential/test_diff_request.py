"""Request parsing: views echo what they read as JSON, both echoes must be equal."""

from __future__ import annotations

import base64
import io

import pytest
from kolba_diffkit import Req, cases, compare, skip_without_kolba

skip_without_kolba()


def _basic(user, password):
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def request_app(fw):
    app = fw.App(__name__)
    app.testing = True
    request, jsonify = fw.request, fw.jsonify
    ALL = ["GET", "POST", "PUT", "PATCH", "DELETE"]

    @app.route("/args")
    def args():
        a = request.args
        return jsonify(
            getlist_a=a.getlist("a"),
            get_a=a.get("a"),
            n=a.get("n", type=int),
            n_default=a.get("n", default=-1, type=int),
            missing=a.get("missing", "dflt"),
            items=list(a.items(multi=True)),
            first_items=list(a.items()),
            to_dict=a.to_dict(),
            to_dict_multi=a.to_dict(flat=False),
            keys=list(a.keys()),
            contains_a="a" in a,
            length=len(a),
            query_string=request.query_string.decode("latin-1"),
        )

    @app.route("/form", methods=ALL)
    def form():
        return jsonify(
            form=list(request.form.items(multi=True)),
            values=list(request.values.items(multi=True)),
            files={
                k: [f.filename, f.read().decode(), f.mimetype]
                for k, f in request.files.items()
            },
            args=list(request.args.items(multi=True)),
        )

    @app.route("/json", methods=ALL)
    def json_():
        return jsonify(
            silent=request.get_json(silent=True),
            forced=request.get_json(force=True, silent=True),
            is_json=request.is_json,
            mimetype=request.mimetype,
        )

    @app.route("/json-strict", methods=ALL)
    def json_strict():
        return jsonify(got=request.get_json(), json=request.json)

    @app.route("/data", methods=ALL)
    def data():
        return jsonify(
            data=request.get_data(as_text=True),
            length=request.content_length,
            form=request.form.to_dict(),
        )

    @app.route("/urls", methods=ALL)
    @app.route("/urls/<path:rest>", methods=ALL)
    def urls(rest=None):
        return jsonify(
            path=request.path,
            full_path=request.full_path,
            url=request.url,
            base_url=request.base_url,
            url_root=request.url_root,
            host_url=request.host_url,
            root_url=request.root_url,
            script_root=request.script_root,
            host=request.host,
            scheme=request.scheme,
            is_secure=request.is_secure,
            method=request.method,
            query_string=request.query_string.decode("latin-1"),
        )

    @app.route("/headers")
    def headers():
        h = request.headers
        return jsonify(
            custom=h.get("X-Custom"),
            custom_lower=h.get("x-custom"),
            custom_list=h.getlist("X-Custom"),
            missing=h.get("X-Missing", "none"),
            in_=("X-Custom" in h),
            # the clients' default User-Agent names the framework: compare a given one
            user_agent=(
                request.user_agent.string
                if h.get("User-Agent", "").startswith("ua/")
                else None
            ),
            referrer=request.referrer,
        )

    @app.route("/cookies")
    def cookies():
        c = request.cookies
        return jsonify(cookies=c.to_dict(), all=c.to_dict(flat=False), a=c.get("a"))

    @app.route("/ctype", methods=ALL)
    def ctype():
        return jsonify(
            content_type=request.content_type,
            mimetype=request.mimetype,
            mimetype_params=request.mimetype_params,
            content_length=request.content_length,
            charset=request.mimetype_params.get("charset"),
        )

    @app.route("/accept")
    def accept():
        am = request.accept_mimetypes
        return jsonify(
            best=am.best_match(["application/json", "text/html"]),
            best_default=am.best_match(["image/png"], default="none"),
            best_overall=am.best,
            q_json=am["application/json"],
            accepts_html=am.accept_html,
            accepts_json=am.accept_json,
            langs=request.accept_languages.best_match(["en", "de", "fr"]),
        )

    @app.route("/auth")
    def auth():
        a = request.authorization
        if a is None:
            return jsonify(auth=None)
        return jsonify(
            type=a.type,
            username=a.username,
            password=a.password,
            token=a.token,
        )

    @app.route("/remote")
    def remote():
        return jsonify(
            remote_addr=request.remote_addr, access_route=list(request.access_route)
        )

    @app.route("/ep/<int:x>/<name>")
    def ep(x, name):
        return jsonify(
            endpoint=request.endpoint,
            view_args=request.view_args,
            rule=request.url_rule.rule,
            blueprint=request.blueprint,
        )

    @app.route("/method", methods=["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"])
    def method():
        resp = fw.make_response("method " + request.method)
        resp.headers["X-Method"] = request.method
        return resp

    return app


Q = "/args"
CT_JSON = "application/json"
NOJAR = (("use_cookies", False),)

REQUEST = [
    # query strings
    Req(Q),
    Req(Q, query_string="a=1&a=2&n=5"),
    Req(Q, query_string="n=abc"),
    Req(Q, query_string="n=-3&n=4"),
    Req(Q, query_string="a=&b"),
    Req(Q, query_string="a=x%20y+z&b=%2B"),
    Req(Q, query_string="a=%E2%9C%93&%C3%A9=1"),
    Req(Q, query_string="a=1;b=2"),
    Req(Q, query_string="a=1&&&b=2&"),
    Req(Q, query_string="=v&a==x"),
    Req(Q, query_string="a=%zz&b=%4"),
    Req(Q, query_string="a=caf\u00e9"),
    Req(Q, query_string="b=2&a=1&c=3&a=0"),
    Req(Q + "?a=inline&n=2"),
    Req(Q, query_string={"a": ["p", "q"], "n": "9"}),
    # forms
    Req("/form", method="POST", data={"x": "1", "y": ["a", "b"]}),
    Req("/form", method="POST", data={"x": "caf\u00e9 & ok"}, query_string="x=q&z=2"),
    Req(
        "/form",
        method="PUT",
        data="a=1&a=2&b=%20",
        content_type="application/x-www-form-urlencoded",
    ),
    Req("/form", method="PATCH", data="a=1", content_type="text/plain"),
    Req("/form", method="GET", query_string="a=1"),
    Req("/form", method="DELETE", data={"d": "1"}),
    Req(
        "/form",
        method="POST",
        data=lambda: {"f": (io.BytesIO(b"file body"), "notes.txt"), "k": "v"},
    ),
    Req(
        "/form",
        method="POST",
        data=lambda: {"f": (io.BytesIO(b"png?"), "img.png", "image/png")},
    ),
    # json
    Req("/json", method="POST", json={"a": 1, "b": [True, None]}),
    Req("/json", method="POST", json=[1, 2, 3]),
    Req("/json", method="POST", json="str"),
    Req("/json", method="POST", data="{bad", content_type=CT_JSON),
    Req("/json", method="POST", data='{"a": 1}', content_type="text/plain"),
    Req(
        "/json", method="POST", data='{"a": 1}', content_type="application/vnd.api+json"
    ),
    Req(
        "/json",
        method="POST",
        data='{"a": 1}',
        content_type="application/json; charset=utf-8",
    ),
    Req("/json", method="POST", data="", content_type=CT_JSON),
    Req("/json", method="GET"),
    Req("/json-strict", method="POST", json={"k": "v"}),
    Req("/json-strict", method="POST", data="{bad", content_type=CT_JSON),
    Req("/json-strict", method="POST", data='{"a": 1}', content_type="text/plain"),
    Req("/json-strict", method="POST", data="", content_type=CT_JSON),
    Req("/json-strict", method="POST", data="NaN", content_type=CT_JSON),
    Req("/json-strict", method="POST", data='"\\ud800"', content_type=CT_JSON),
    # raw data
    Req("/data", method="POST", data="hello body", content_type="text/plain"),
    Req(
        "/data",
        method="POST",
        data=b"caf\xc3\xa9",
        content_type="application/octet-stream",
    ),
    Req("/data", method="POST", data={"f": "1"}),
    Req("/data", method="GET"),
    # urls
    Req("/urls"),
    Req("/urls", query_string="a=1&b=%20"),
    Req("/urls/x/y", query_string="q=caf%C3%A9"),
    Req("/urls/caf%C3%A9/a%20b"),
    Req("/urls", extra=(("base_url", "https://example.org:8443/app/"),)),
    Req(
        "/urls/z",
        extra=(("base_url", "http://example.org/root/sub"),),
        query_string="k=v",
    ),
    Req("/urls", headers=(("Host", "example.com:8080"),)),
    Req(
        "/urls", headers=(("Host", "example.com"),), extra=(("base_url", "https://x/"),)
    ),
    Req("/urls", method="POST", data="x"),
    Req("/urls", method="HEAD"),
    # headers, cookies
    Req("/headers"),
    Req(
        "/headers",
        headers=(
            ("X-Custom", "one"),
            ("X-Custom", "two"),
            ("User-Agent", "ua/1.0"),
            ("Referer", "http://ref.example/"),
        ),
    ),
    Req("/headers", headers=(("x-custom", " spaced  "),)),
    Req("/cookies"),
    # Flask's client replaces a Cookie header with its cookie jar: go without the jar
    Req(
        "/cookies",
        headers=(("Cookie", 'a=1; b=two; c="quoted value"'),),
        client_kw=NOJAR,
    ),
    Req(
        "/cookies",
        headers=(("Cookie", "a=1; a=2; bad; =x; d=caf%C3%A9"),),
        client_kw=NOJAR,
    ),
    Req(
        "/cookies",
        headers=(("Cookie", 'e="\\303\\251\\073"; f=\u00e9'),),
        client_kw=NOJAR,
    ),
    # content type
    Req("/ctype"),
    Req("/ctype", method="POST", data="x", content_type="text/plain; charset=latin-1"),
    Req(
        "/ctype",
        method="POST",
        data="x",
        content_type="Application/JSON; Charset=UTF-8",
    ),
    Req("/ctype", method="POST", data={"a": "1"}),
    Req(
        "/ctype",
        method="PUT",
        data=b"12345",
        content_type="multipart/form-data; boundary=xyz",
    ),
    # accept
    Req("/accept"),
    Req("/accept", headers=(("Accept", "application/json"),)),
    Req(
        "/accept",
        headers=(("Accept", "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8"),),
    ),
    Req("/accept", headers=(("Accept", "text/*;q=0.5, application/json;q=0.4"),)),
    Req(
        "/accept",
        headers=(("Accept", "*/*"), ("Accept-Language", "de-DE,de;q=0.9,en;q=0.5")),
    ),
    Req("/accept", headers=(("Accept", "image/png;q=0"),)),
    # authorization
    Req("/auth"),
    Req("/auth", headers=(("Authorization", _basic("user", "pa:ss")),)),
    Req("/auth", headers=(("Authorization", _basic("\u00fcser", "p\u00e4ss")),)),
    Req("/auth", headers=(("Authorization", "Basic !!notbase64"),)),
    Req("/auth", headers=(("Authorization", "Bearer tok.en-123"),)),
    Req("/auth", headers=(("Authorization", 'Digest username="u", realm="r"'),)),
    Req("/auth", extra=(("auth", ("alice", "secret")),)),
    # remote, endpoint, method
    Req("/remote"),
    Req("/remote", extra=(("environ_base", {"REMOTE_ADDR": "10.1.2.3"}),)),
    Req("/remote", headers=(("X-Forwarded-For", "1.1.1.1, 2.2.2.2"),)),
    Req("/ep/3/caf%C3%A9"),
    Req("/method"),
    Req("/method", method="HEAD"),
    Req("/method", method="OPTIONS"),
    Req("/method", method="PATCH"),
]


@pytest.mark.parametrize(("app_factory", "req"), cases(request_app, REQUEST))
def test_request_parsing(app_factory, req):
    compare(app_factory, req)
