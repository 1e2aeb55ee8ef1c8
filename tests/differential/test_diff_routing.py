"""Routing: rules, converters, methods, slashes, defaults, redirect_to, odd paths."""

from __future__ import annotations

import pytest
from kolba_diffkit import Req, cases, compare, skip_without_kolba

skip_without_kolba()


def _show(**values):
    return ", ".join(f"{k}={type(v).__name__}:{v!r}" for k, v in sorted(values.items()))


def routing_app(fw):
    app = fw.App(__name__)
    app.testing = True
    request = fw.request

    class ListConverter(fw.BaseConverter):
        def to_python(self, value):
            return value.split("+")

        def to_url(self, value):
            return "+".join(value)

    app.url_map.converters["list"] = ListConverter

    @app.route("/")
    def index():
        return "index"

    @app.route("/projects/")
    def projects():
        return "projects " + request.query_string.decode()

    @app.route("/about")
    def about():
        return "about"

    @app.route("/docs/intro")
    def docs_intro():
        return "intro"

    @app.route("/int/<int:n>")
    def int_(n):
        return _show(n=n)

    @app.route("/range/<int(min=1, max=10):n>")
    def int_range(n):
        return _show(n=n)

    @app.route("/signed/<int(signed=True):n>")
    def int_signed(n):
        return _show(n=n)

    @app.route("/fixed/<int(fixed_digits=4):n>")
    def int_fixed(n):
        return _show(n=n)

    @app.route("/float/<float:x>")
    def float_(x):
        return _show(x=x)

    @app.route("/fsigned/<float(signed=True):x>")
    def float_signed(x):
        return _show(x=x)

    @app.route("/path/<path:p>")
    def path_(p):
        return _show(p=p)

    @app.route("/files/", defaults={"p": ""})
    @app.route("/files/<path:p>")
    def files(p):
        return _show(p=p)

    @app.route("/uuid/<uuid:u>")
    def uuid_(u):
        return _show(u=u)

    @app.route("/any/<any(red, green, 'blue'):c>")
    def any_(c):
        return _show(c=c)

    @app.route("/str/<s>")
    def str_(s):
        return _show(s=s)

    @app.route("/len/<string(length=3):s>")
    def str_len(s):
        return _show(s=s)

    @app.route("/minmax/<string(minlength=2, maxlength=4):s>")
    def str_minmax(s):
        return _show(s=s)

    @app.route("/custom/<list:items>")
    def custom(items):
        return _show(items=items)

    @app.route("/two/<a>/<int:b>")
    def two(a, b):
        return _show(a=a, b=b)

    @app.route("/only-get")
    def only_get():
        return "only-get " + request.method

    @app.route("/post-only", methods=["POST"])
    def post_only():
        return "post-only"

    @app.route("/multi", methods=["GET", "POST", "PUT"])
    def multi():
        return "multi " + request.method

    @app.get("/sc")
    def sc_get():
        return "get"

    @app.post("/sc")
    def sc_post():
        return "post"

    @app.put("/sc")
    def sc_put():
        return "put"

    @app.patch("/sc")
    def sc_patch():
        return "patch"

    @app.delete("/sc")
    def sc_delete():
        return "delete"

    @app.route("/page/", defaults={"n": 1})
    @app.route("/page/<int:n>")
    def page(n):
        return _show(n=n)

    @app.route("/old", redirect_to="/new")
    def old():
        return "never"

    @app.route("/old/<int:n>", redirect_to="/new/<n>")
    def old_n(n):
        return "never"

    @app.route("/new")
    @app.route("/new/<int:n>")
    def new(n=None):
        return _show(n=n)

    @app.route("/ep", endpoint="custom_ep")
    def whatever():
        return f"{request.endpoint} {request.url_rule.rule}"

    @app.route("/caf\u00e9")
    def cafe():
        return "caf\u00e9 " + request.path

    @app.route("/\u00fcn\u00ef/<name>")
    def unicode_var(name):
        return _show(name=name)

    @app.route("/long/<path:p>")
    def long(p):
        return str(len(p))

    return app


D = "/docs"
U = "d3b07384-d9a0-4c4e-9b1f-6f2c1e8e4a10"

ROUTING = [
    Req("/"),
    Req("/", method="POST"),
    Req("/nope"),
    Req("/projects/"),
    Req("/projects"),
    Req("/projects", query_string="a=1&b=2&a=3"),
    Req("/projects", method="POST"),
    Req("/projects", follow_redirects=True, query_string="x=%20y"),
    Req("/about"),
    Req("/about/"),
    Req("/ABOUT"),
    Req("/docs//intro"),
    Req("/docs//intro", query_string="q=1"),
    Req("/docs/intro//"),
    Req("/docs//intro", follow_redirects=True),
    # int
    Req("/int/42"),
    Req("/int/0"),
    Req("/int/007"),
    Req("/int/+1"),
    Req("/int/-1"),
    Req("/int/1.5"),
    Req("/int/abc"),
    Req("/int/" + "9" * 40),
    Req("/int/%31%32"),
    Req("/int/"),
    Req("/range/0"),
    Req("/range/1"),
    Req("/range/10"),
    Req("/range/11"),
    Req("/signed/-5"),
    Req("/signed/5"),
    Req("/signed/+5"),
    Req("/fixed/0042"),
    Req("/fixed/42"),
    Req("/fixed/12345"),
    # float
    Req("/float/1.5"),
    Req("/float/1.50"),
    Req("/float/1"),
    Req("/float/-1.5"),
    Req("/float/.5"),
    Req("/float/1e5"),
    Req("/float/0.0"),
    Req("/fsigned/-2.5"),
    # path
    Req("/path/a/b/c"),
    Req("/path/a"),
    Req("/path/"),
    Req("/path/a/b/"),
    Req("/path/a%2Fb"),
    Req("/path/a%20b/%C3%A9"),
    Req("/files/"),
    Req("/files/x/y.txt"),
    Req("/files"),
    # uuid
    Req("/uuid/" + U),
    Req("/uuid/" + U.upper()),
    Req("/uuid/not-a-uuid"),
    Req("/uuid/" + U.replace("-", "")),
    # any
    Req("/any/red"),
    Req("/any/blue"),
    Req("/any/purple"),
    Req("/any/RED"),
    # string
    Req("/str/hello"),
    Req("/str/a%20b"),
    Req("/str/caf%C3%A9"),
    Req("/str/a%2Fb"),
    Req("/str/a+b"),
    Req("/str/%zz"),
    Req("/len/abc"),
    Req("/len/ab"),
    Req("/len/abcd"),
    Req("/minmax/a"),
    Req("/minmax/ab"),
    Req("/minmax/abcd"),
    Req("/minmax/abcde"),
    Req("/custom/a+b+c"),
    Req("/two/x/3"),
    Req("/two/x/y"),
    # methods
    Req("/only-get"),
    Req("/only-get", method="POST"),
    Req("/only-get", method="HEAD"),
    Req("/only-get", method="OPTIONS"),
    Req("/only-get", method="DELETE"),
    Req("/post-only"),
    Req("/post-only", method="POST"),
    Req("/post-only", method="OPTIONS"),
    Req("/multi", method="PUT"),
    Req("/multi", method="DELETE"),
    Req("/multi", method="OPTIONS"),
    Req("/multi", method="HEAD"),
    Req("/sc"),
    Req("/sc", method="POST"),
    Req("/sc", method="PUT"),
    Req("/sc", method="PATCH"),
    Req("/sc", method="DELETE"),
    Req("/sc", method="OPTIONS"),
    Req("/sc", method="HEAD"),
    Req("/sc", method="TRACE"),
    # defaults, redirect_to, endpoint
    Req("/page/"),
    Req("/page/2"),
    Req("/page/1"),
    Req("/page/1", query_string="k=v"),
    Req("/page"),
    Req("/old"),
    Req("/old", query_string="a=1"),
    Req("/old/5"),
    Req("/old", follow_redirects=True),
    Req("/ep"),
    # unicode, encodings, length
    Req("/caf%C3%A9"),
    Req("/caf\u00e9"),
    Req("/CAF%C3%A9"),
    Req("/caf%c3%a9"),
    Req("/%C3%BCn%C3%AF/%E2%9C%93"),
    Req("/\u00fcn\u00ef/x"),
    Req("/%61bout"),
    Req("/long/" + "x" * 5000),
    Req("/str/" + "y" * 3000),
    Req("/long/" + "/".join(["seg"] * 300)),
]


@pytest.mark.parametrize(("app_factory", "req"), cases(routing_app, ROUTING))
def test_routing(app_factory, req):
    compare(app_factory, req)
