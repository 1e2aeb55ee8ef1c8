"""Templates: autoescape, filters, inheritance, the template context, streaming."""

from __future__ import annotations

import pytest
from kolba_diffkit import (
    FLASK,
    KOLBA,
    Req,
    cases,
    compare,
    compare_steps,
    make_app,
    outcome,
    skip_without_kolba,
)
from markupsafe import Markup

skip_without_kolba()

XSS = (
    "<script>alert('x')</script>",
    '"><img src=x onerror=alert(1)>',
    "a & b < c > d ' e \" f",
    "</script><!--",
    "\u2028\u2029 caf\u00e9 \U0001f600",
)

TEMPLATES = {
    "base.html": (
        "<title>{% block title %}Base{% endblock %}</title>\n"
        "<main>{% block body %}base body{% endblock %}</main>\n"
        "{% block footer %}<footer>foot</footer>{% endblock %}"
    ),
    "child.html": (
        '{% extends "base.html" %}{% import "macros.html" as m %}'
        "{% block title %}Child | {{ super() }}{% endblock %}"
        '{% block body %}{% include "part.html" %} {{ m.hello(name) }}'
        "{% endblock %}"
    ),
    "grandchild.html": (
        '{% extends "child.html" %}{% block footer %}[{{ super() }}]{% endblock %}'
    ),
    "part.html": "<p>part {{ name }}</p>",
    "macros.html": (
        "{% macro hello(who) %}Hello {{ who }}!{% endmacro %}"
        "{% macro box(x) %}<b>{{ caller() }}:{{ x }}</b>{% endmacro %}"
    ),
    "caller.html": (
        '{% from "macros.html" import box %}{% call box(v) %}in {{ v }}{% endcall %}'
    ),
    "value.html": "{{ v }}",
    "value.txt": "{{ v }}",
    "value.xml": "<v>{{ v }}</v>",
    "context.html": (
        "path={{ request.path }} args={{ request.args.get('q') }}"
        " user={{ session.get('user') }} g={{ g.marker }}"
        " cfg={{ config['SITE_NAME'] }} url={{ url_for('index', page=2) }}"
        " ext={{ url_for('index', _external=True) }}"
        " flashes={{ get_flashed_messages() }}"
    ),
    "processors.html": "{{ site }}|{{ shout('hi') }}|{{ who }}",
    "custom.html": (
        "{{ 'abc'|rev }} {{ 'abc'|twice }} {{ 4 is even }} {{ 3 is even }}"
        " {{ double(21) }} {{ answer() }}"
    ),
    "list.html": "{% for i in items %}<{{ i }}>{% endfor %}|{{ request.path }}",
    "undefined.html": "[{{ missing }}][{{ missing|default('d') }}]",
    "broken_attr.html": "{{ missing.attr.deeper }}",
    "trailing.html": "line one\nline two\n\n",
    "value.svg": "<svg>{{ v }}</svg>",
    "value.htm": "{{ v }}",
    "sub/page.html": (
        '{% extends "base.html" %}{% block body %}sub {{ v }}{% endblock %}'
    ),
    "with_context.html": (
        '{% import "ctx_macros.html" as c with context %}{{ c.where() }}'
        '|{% import "ctx_macros.html" as n %}{{ n.plain() }}'
    ),
    "ctx_macros.html": (
        "{% macro where() %}{{ request.path }}{% endmacro %}"
        "{% macro plain() %}plain{% endmacro %}"
    ),
    "error.html": "custom {{ code }} page for {{ request.path }}",
    "g_missing.html": (
        "[{{ g.nothing }}][{{ g.get('nothing', 'dflt') }}][{{ g.marker }}]"
    ),
    "flashes.html": (
        "{% for cat, msg in get_flashed_messages(with_categories=true) %}"
        "{{ cat }}:{{ msg }};{% endfor %}"
    ),
}


@pytest.fixture
def folder(tmp_path):
    for name, text in TEMPLATES.items():
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    return str(tmp_path)


def template_app(fw, folder=None):
    app = fw.App(__name__, template_folder=folder)
    app.testing = True
    app.secret_key = "differential-secret"
    app.config["SITE_NAME"] = "Kolba <test>"
    app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    request, g, session = fw.request, fw.g, fw.session
    rts, rt = fw.render_template_string, fw.render_template

    @app.template_filter("rev")
    def rev(s):
        return s[::-1]

    def twice(s):
        return s * 2

    app.add_template_filter(twice)

    @app.template_test("even")
    def even(n):
        return n % 2 == 0

    @app.template_global()
    def double(n):
        return n * 2

    app.add_template_global(lambda: 42, name="answer")

    @app.context_processor
    def processors():
        return {
            "site": "S&P",
            "shout": lambda s: s.upper() + "!",
            "who": "processor",
        }

    @app.before_request
    def mark():
        g.marker = "G<1>"

    @app.route("/")
    def index():
        return "index"

    # -- render_template_string -------------------------------------------------
    @app.route("/s/escape")
    def s_escape():
        return rts("[{{ v }}]", v=request.args.get("v", ""))

    @app.route("/s/attr")
    def s_attr():
        return rts(
            '<a title="{{ v }}" href="/x?{{ v|urlencode }}">', v=request.args["v"]
        )

    @app.route("/s/safe")
    def s_safe():
        return rts("[{{ v|safe }}]", v=request.args["v"])

    @app.route("/s/e")
    def s_e():
        return rts(
            "{% autoescape false %}[{{ v }}][{{ v|e }}]{% endautoescape %}",
            v=request.args["v"],
        )

    @app.route("/s/markup")
    def s_markup():
        return rts(
            "{{ m }} {{ m + v }}", m=Markup("<b>ok</b>"), v=request.args.get("v", "<")
        )

    @app.route("/s/tojson")
    def s_tojson():
        data = {
            "v": request.args.get("v", ""),
            "list": [1, "</script>", "&amp;", "'quoted'"],
            "b": {"z": 1, "a": 2},
        }
        return rts("<script>var d = {{ d|tojson }};</script>", d=data)

    @app.route("/s/tojson-indent")
    def s_tojson_indent():
        return rts("{{ d|tojson(indent=2) }}", d={"b": [1, 2], "a": "<&'>"})

    @app.route("/s/tojson-attr")
    def s_tojson_attr():
        return rts("<div data-x='{{ v|tojson }}'></div>", v=request.args["v"])

    @app.route("/s/tojson-types")
    def s_tojson_types():
        import datetime
        import decimal
        import uuid

        return rts(
            "{{ d|tojson }}",
            d={
                "when": datetime.datetime(2020, 1, 2, 3, 4, 5),
                "day": datetime.date(2020, 1, 2),
                "id": uuid.UUID("12345678-1234-5678-1234-567812345678"),
                "dec": decimal.Decimal("1.50"),
                "nonascii": "caf\u00e9 \u2028",
            },
        )

    @app.route("/s/filters")
    def s_filters():
        return rts(
            "{{ v|upper }}|{{ v|length }}|{{ v|replace('<', '[') }}|{{ v|striptags }}"
            "|{{ items|join(', ') }}|{{ items|first }}|{{ n|round(1) }}",
            v=request.args["v"],
            items=["<a>", "b&"],
            n=2.345,
        )

    @app.route("/s/custom")
    def s_custom():
        return rts("{{ 'xyz'|rev }}-{{ 'ab'|twice }}-{{ 2 is even }}-{{ double(4) }}")

    @app.route("/s/context")
    def s_context():
        session["user"] = request.args.get("user", "ann")
        return rts(
            "{{ request.path }} {{ request.method }} {{ session['user'] }}"
            " {{ g.marker }} {{ config['SITE_NAME'] }} {{ url_for('s_context') }}"
        )

    @app.route("/s/override")
    def s_override():
        return rts("{{ site }}/{{ who }}", who="view")

    @app.route("/s/undefined")
    def s_undefined():
        return rts("[{{ nothing }}][{{ nothing is defined }}]")

    @app.route("/s/syntax-error")
    def s_syntax_error():
        return rts("{% if %}")

    # -- render_template (files) -----------------------------------------------
    @app.route("/t/<path:name>")
    def t_named(name):
        return rt(name, v=request.args.get("v", "<&>"), name=request.args.get("n", "N"))

    @app.route("/t-list")
    def t_list():
        return rt(["missing.html", "part.html"], name="first found")

    @app.route("/t-context")
    def t_context():
        session["user"] = "<bob>"
        fw.flash("flashed <msg>")
        return rt("context.html")

    @app.route("/t-flashes")
    def t_flashes():
        fw.flash("one", "info")
        fw.flash("<two>", "error")
        return rt("flashes.html")

    @app.route("/t-processors")
    def t_processors():
        return rt("processors.html")

    @app.route("/t-processors-override")
    def t_processors_override():
        return rt("processors.html", who="<view>", site="mine")

    # -- streaming ---------------------------------------------------------------
    @app.route("/stream/string")
    def stream_string():
        return fw.stream_template_string(
            "{% for i in items %}[{{ i }}]{% endfor %} {{ request.args.get('v') }}",
            items=["<a>", 2, "&"],
        )

    @app.route("/stream/file")
    def stream_file():
        return fw.stream_template("list.html", items=range(3))

    @app.route("/stream/response")
    def stream_response():
        gen = fw.stream_template("list.html", items=["x", "<y>"])
        return app.response_class(gen, mimetype="text/plain")

    @app.route("/t-error/<int:code>")
    def t_error(code):
        fw.abort(code)

    @app.errorhandler(404)
    def not_found(e):
        if folder is None or not request.path.startswith("/t-error"):
            return e
        return rt("error.html", code=404), 404

    @app.errorhandler(418)
    def teapot(e):
        return rts("teapot {{ e.code }} {{ e.name }} {{ request.path }}", e=e), 418

    @app.route("/s/globals")
    def s_globals():
        return rts(
            "{{ range(3)|list }} {{ dict(a=1)|tojson }} {{ lipsum is defined }}"
            " {{ url_for is defined }} {{ get_flashed_messages is defined }}"
            # "session is defined" is left out: in Flask it opens the session
            # and adds Vary: Cookie; Kolba's lazy proxy does not (README).
            " {{ config is defined }}"
        )

    @app.route("/s/whitespace")
    def s_whitespace():
        return rts(
            "  {% if true %}\n  yes\n  {% endif %}\n"
            "{%- if true %} trim {%+ endif -%}  \n"
        )

    @app.route("/s/tojson-sortkeys")
    def s_tojson_sortkeys():
        app.json.sort_keys = False
        return rts("{{ d|tojson }}", d={"z": 1, "a": 2})

    @app.route("/s/url-for")
    def s_url_for():
        return rts(
            "{{ url_for('t_named', name='a b.html', v='<&>') }}"
            " {{ url_for('index', _anchor='x y') }}"
            " {{ url_for('index', _external=True, _scheme='https') }}"
        )

    @app.route("/no-session")
    def no_session():
        return rts("{{ 1 + 1 }}")

    @app.route("/reads-session")
    def reads_session():
        return rts("{{ session.get('user', 'anon') }}")

    return app


def _xss(path, **kw):
    return [
        Req(path, query_string={"v": v}, id=f"{path} xss{i}", **kw)
        for i, v in enumerate(XSS)
    ]


BUFFERED = (("buffered", True),)

STRING_CASES = [
    *_xss("/s/escape"),
    *_xss("/s/attr"),
    *_xss("/s/safe"),
    *_xss("/s/e"),
    *_xss("/s/tojson"),
    *_xss("/s/tojson-attr"),
    *_xss("/s/filters"),
    Req("/s/escape"),
    Req("/s/markup"),
    Req("/s/markup", query_string={"v": "<i>&"}, id="/s/markup v"),
    Req("/s/tojson-indent"),
    Req("/s/tojson-types"),
    Req("/s/custom"),
    Req("/s/context", mask_cookies=("session",)),
    Req(
        "/s/context", query_string={"user": "<x>"}, mask_cookies=("session",), id="ctx"
    ),
    Req("/s/override"),
    Req("/s/undefined"),
    Req("/s/syntax-error"),
    Req("/no-session"),
    Req("/reads-session"),
    Req("/s/globals"),
    Req("/s/whitespace"),
    Req("/s/tojson-sortkeys"),
    Req("/s/url-for"),
    Req("/t-error/418", body=True),
]

FILE_CASES = [
    Req("/t/child.html"),
    Req("/t/child.html", query_string={"n": "<evil & co>"}, id="child escaped name"),
    Req("/t/grandchild.html"),
    Req("/t/caller.html"),
    Req("/t/caller.html", query_string={"v": "<x>"}, id="caller escaped"),
    *_xss("/t/value.html"),
    *_xss("/t/value.txt"),
    *_xss("/t/value.xml"),
    Req("/t/custom.html"),
    Req("/t/trailing.html"),
    *_xss("/t/value.svg")[:2],
    *_xss("/t/value.htm")[:2],
    Req("/t/sub/page.html", body=True),
    Req("/t/with_context.html"),
    Req("/t/g_missing.html"),
    Req("/t-error/404", body=True),
    Req("/t-error/418", body=True),
    Req("/t/undefined.html"),
    Req("/t/broken_attr.html"),
    Req("/t/missing.html"),
    Req("/t-list"),
    Req("/t-context", mask_cookies=("session",)),
    Req("/t-context", query_string={"q": "<q>"}, mask_cookies=("session",), id="ctxq"),
    Req("/t-flashes", mask_cookies=("session",)),
    Req("/t-processors"),
    Req("/t-processors-override"),
    # buffered: the body is read while the request's context is still the current one
    Req("/stream/string", extra=BUFFERED),
    Req("/stream/string", query_string={"v": "<&>"}, extra=BUFFERED, id="stream esc"),
    Req("/stream/file", extra=BUFFERED),
    Req("/stream/response", extra=BUFFERED),
]


@pytest.mark.parametrize(("app_factory", "req"), cases(template_app, STRING_CASES))
def test_render_template_string(app_factory, req):
    compare(app_factory, req)


@pytest.mark.parametrize(("app_factory", "req"), cases(template_app, FILE_CASES))
def test_template_files(app_factory, req, folder):
    compare(app_factory, req, folder=folder)


@pytest.mark.parametrize("testing", [True, False])
@pytest.mark.parametrize(
    "path", ["/t/broken_attr.html", "/t/missing.html", "/s/syntax-error"]
)
def test_template_errors_not_testing(folder, path, testing):
    """A broken template is the server's fault: 500 (or the exception, when testing)."""

    def factory(fw, folder=None):
        app = template_app(fw, folder)
        app.testing = testing
        return app

    factory.__name__ = "template_app"
    compare(factory, Req(path), folder=folder)


def test_session_in_template_carries_over(folder):
    """A value stored in one request shows in the next one's template context."""
    compare_steps(
        template_app,
        [
            Req("/reads-session"),
            Req(
                "/s/context", query_string={"user": "<ann>"}, mask_cookies=("session",)
            ),
            Req("/reads-session"),
            Req("/t-context", mask_cookies=("session",)),
            # t-context flashed a message and rendered it: the next read has none left
            Req("/t/flashes.html", mask_cookies=("session",)),
        ],
        folder=folder,
    )


def test_template_without_folder():
    """No template folder: rendering a file fails the same way on both sides."""

    def factory(fw):
        return template_app(fw, None)

    factory.__name__ = "no_folder_app"
    compare(factory, Req("/t/child.html"))


def _each(fn, folder):
    got = []
    for fw in (FLASK, KOLBA):
        app = make_app(template_app, fw, folder=folder)
        got.append(outcome(lambda: fn(fw, app)))  # noqa: B023
    return got


def test_get_template_attribute(folder):
    def fn(fw, app):
        with app.app_context():
            hello = fw.get_template_attribute("macros.html", "hello")
            return str(hello("<w>"))

    flask, kolba = _each(fn, folder)
    assert kolba == flask
    assert flask == "Hello &lt;w&gt;!"


def test_jinja_env_surface(folder):
    """The environment's filters/tests/globals registered through the decorators."""

    def fn(fw, app):
        env = app.jinja_env
        return (
            env is app.jinja_env,
            all(n in env.filters for n in ("rev", "twice", "tojson")),
            "even" in env.tests,
            sorted(n for n in ("double", "answer", "url_for") if n in env.globals),
            env.autoescape("x.html"),
            env.autoescape("x.txt"),
            env.autoescape("x.svg"),
            env.autoescape(None),
        )

    flask, kolba = _each(fn, folder)
    assert kolba == flask


def test_render_outside_request(folder):
    """Inside an app context only: ``request`` is not in the context, config is."""

    def fn(fw, app):
        with app.app_context():
            return fw.render_template_string(
                "{{ config['SITE_NAME'] }}|{{ request is defined }}|{{ g is defined }}"
            )

    flask, kolba = _each(fn, folder)
    assert kolba == flask
