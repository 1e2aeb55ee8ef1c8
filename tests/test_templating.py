"""Templates over HTTP: loading, inheritance, escaping, context, hooks, reloading."""

from __future__ import annotations

import logging
import os
import typing as t
from pathlib import Path

import pytest
from jinja2 import Template, TemplateNotFound, TemplatesNotFound
from markupsafe import Markup

from kolba import (
    Blueprint,
    Kolba,
    before_render_template,
    flash,
    g,
    get_template_attribute,
    render_template,
    render_template_string,
    request,
    session,
    stream_template,
    stream_template_string,
    template_rendered,
)
from kolba.testing import KolbaClient

HERE = os.path.dirname(os.path.abspath(__file__))

XSS_PAYLOADS = [
    ("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"),
    ('" onmouseover="alert(1)', "&#34; onmouseover=&#34;alert(1)"),
    ("it's", "it&#39;s"),
    ("fish & chips", "fish &amp; chips"),
]


@pytest.fixture
def app() -> Kolba:
    app = Kolba("kolba_template_tests", root_path=HERE)
    app.config.update(TESTING=True, SECRET_KEY="test key")

    @app.route("/")
    def index() -> str:
        return "index"

    return app


def _view(app: Kolba, func: t.Callable[[], t.Any], rule: str = "/t") -> None:
    app.add_url_rule(rule, "t", func)


# -- loading and composition ----------------------------------------------------


def test_extends_blocks_and_super(app: Kolba, client: KolbaClient) -> None:
    _view(app, lambda: render_template("child.html", name="Ada"))
    response = client.get("/t")
    assert response.status_code == 200
    assert response.text == (
        "<title>Child - Base</title>\n<main>[<p>part for Ada</p>]</main>"
    )


def test_two_levels_of_inheritance(app: Kolba, client: KolbaClient) -> None:
    _view(app, lambda: render_template("grandchild.html", name="Bo"))
    assert client.get("/t").text == (
        "<title>Child - Base</title>\n<main>grand [<p>part for Bo</p>]</main>"
    )


def test_include_sees_the_callers_context(app: Kolba, client: KolbaClient) -> None:
    _view(app, lambda: render_template("_part.html", name="<i>"))
    assert client.get("/t").text == "<p>part for &lt;i&gt;</p>"


def test_imported_macro_uses_url_for_and_escapes(
    app: Kolba, client: KolbaClient
) -> None:
    _view(app, lambda: render_template("uses_macros.html", label="<b>Home</b>"))
    assert client.get("/t").text == '<a href="/">&lt;b&gt;Home&lt;/b&gt;</a>'


def test_get_template_attribute_calls_a_macro(app: Kolba, client: KolbaClient) -> None:
    def view() -> str:
        greet = get_template_attribute("_macros.html", "greet")
        version = get_template_attribute("_macros.html", "version")
        return f"{greet('<Ada>')} v{version}"

    _view(app, view)
    assert client.get("/t").text == "Hello, &lt;Ada&gt;! v1.2"


def test_first_existing_template_of_a_list_is_used(
    app: Kolba, client: KolbaClient
) -> None:
    _view(app, lambda: render_template(["missing.html", "value.txt"], value="x"))
    assert client.get("/t").text == "x"


def test_a_template_object_is_rendered_as_is(app: Kolba, client: KolbaClient) -> None:
    def view() -> str:
        template = app.jinja_env.from_string("{{ request.method }} {{ value }}")
        return render_template(template, value="<v>")

    _view(app, view)
    assert client.get("/t").text == "GET &lt;v&gt;"


def test_missing_template_raises_template_not_found(app: Kolba) -> None:
    with app.test_request_context("/"), pytest.raises(TemplateNotFound) as info:
        render_template("nowhere/missing.html")
    assert info.value.name == "nowhere/missing.html"
    message = str(info.value)
    assert "'nowhere/missing.html' not found" in message
    assert os.path.join(HERE, "templates") in message


def test_missing_template_list_names_every_candidate(app: Kolba) -> None:
    with app.app_context(), pytest.raises(TemplatesNotFound) as info:
        render_template(["a.html", "b.html"])
    assert info.value.templates == ["a.html", "b.html"]


def test_missing_template_is_a_500_for_the_client(
    app: Kolba, caplog: pytest.LogCaptureFixture
) -> None:
    app.config["TESTING"] = False
    _view(app, lambda: render_template("missing.html"))
    with caplog.at_level(logging.ERROR, logger=app.logger.name):
        response = app.test_client().get("/t")
    assert response.status_code == 500
    assert "missing.html" in caplog.text  # logged for the developer
    assert "missing.html" not in response.text


def test_no_template_folder_says_so(app: Kolba) -> None:
    bare = Kolba("bare", root_path=HERE, template_folder=None)
    with (
        bare.app_context(),
        pytest.raises(TemplateNotFound, match="no template folder"),
    ):
        render_template("value.html")


def test_outside_an_app_context_is_a_clear_error() -> None:
    with pytest.raises(RuntimeError, match=r"render_template\(\) needs an app"):
        render_template("value.html")
    with pytest.raises(RuntimeError, match="app_context"):
        render_template_string("x")


def test_works_in_an_app_context_without_a_request(app: Kolba) -> None:
    with app.app_context():
        assert render_template("value.txt", value="<x>") == "<x>"
        assert render_template_string("{{ request is defined }}") == "True"


# -- escaping -----------------------------------------------------------------


@pytest.mark.parametrize(("payload", "escaped"), XSS_PAYLOADS)
@pytest.mark.parametrize("name", ["value.html", "value.svg"])
def test_html_templates_escape_hostile_values(
    app: Kolba, client: KolbaClient, name: str, payload: str, escaped: str
) -> None:
    _view(app, lambda: render_template(name, value=request.args["v"]))
    response = client.get("/t", query_string={"v": payload})
    assert response.text == f'<p title="{escaped}">{escaped}</p>'


@pytest.mark.parametrize(("payload", "escaped"), XSS_PAYLOADS)
def test_template_strings_escape_hostile_values(
    app: Kolba, client: KolbaClient, payload: str, escaped: str
) -> None:
    _view(app, lambda: render_template_string("{{ v }}", v=request.args["v"]))
    assert client.get("/t", query_string={"v": payload}).text == escaped


@pytest.mark.parametrize(("payload", "escaped"), XSS_PAYLOADS)
def test_text_templates_are_not_escaped(
    app: Kolba, client: KolbaClient, payload: str, escaped: str
) -> None:
    _view(app, lambda: render_template("value.txt", value=request.args["v"]))
    assert client.get("/t", query_string={"v": payload}).text == payload


def test_safe_filter_and_markup_are_not_escaped_again(
    app: Kolba, client: KolbaClient
) -> None:
    source = "{{ raw|safe }} {{ marked }} {{ plain }}"
    _view(
        app,
        lambda: render_template_string(
            source, raw="<b>1</b>", marked=Markup("<i>2</i>"), plain="<u>3</u>"
        ),
    )
    assert client.get("/t").text == "<b>1</b> <i>2</i> &lt;u&gt;3&lt;/u&gt;"


def test_select_jinja_autoescape_by_extension(app: Kolba) -> None:
    escaped = [".html", ".htm", ".xml", ".xhtml", ".svg"]
    assert all(app.select_jinja_autoescape(f"a{ext}") for ext in escaped)
    assert not app.select_jinja_autoescape("a.txt")
    assert not app.select_jinja_autoescape("a.js")
    assert app.select_jinja_autoescape(None)


def test_tojson_in_a_script_cannot_break_out(app: Kolba, client: KolbaClient) -> None:
    data = {"html": "</script><script>alert(1)</script>", "q": "it's & <b>"}
    _view(app, lambda: render_template("script.html", data=data))
    text = client.get("/t").text
    assert text == (
        '<script>const data = {"html": "\\u003c/script\\u003e\\u003cscript\\u003e'
        'alert(1)\\u003c/script\\u003e", "q": "it\\u0027s \\u0026 \\u003cb\\u003e"};'
        "</script>"
    )
    assert text.count("</script>") == 1


def test_tojson_uses_the_apps_json_provider(app: Kolba, client: KolbaClient) -> None:
    _view(app, lambda: render_template_string("{{ v|tojson }}|{{ v|tojson(2) }}"))

    def dumps(obj: t.Any, **kwargs: t.Any) -> str:
        return '"custom<"'

    app.json.dumps = dumps  # type: ignore[method-assign]  # a test double
    assert client.get("/t").text == '"custom\\u003c"|"custom\\u003c"'


# -- the template context ---------------------------------------------------------


def test_context_has_request_session_g_config_url_for_and_flashes(
    app: Kolba, client: KolbaClient
) -> None:
    app.config["SITE_NAME"] = "Kolba <site>"

    @app.route("/login")
    def login() -> str:
        session["user"] = "ada"
        flash("one")
        flash("two")
        return "ok"

    def view() -> str:
        g.marker = "gee"
        return render_template("context.html")

    _view(app, view)
    client.get("/login")
    assert client.get("/t").text == (
        "path=/t user=ada g=gee site=Kolba &lt;site&gt; url=/?page=2 flashes=one,two"
    )


def test_caller_values_win_over_request_and_processors(
    app: Kolba, client: KolbaClient
) -> None:
    @app.context_processor
    def processor() -> dict[str, t.Any]:
        return {"who": "processor", "site": "S"}

    _view(
        app,
        lambda: render_template_string(
            "{{ who }} {{ site }} {{ request }}", who="caller", request="mine"
        ),
    )
    assert client.get("/t").text == "caller S mine"


def test_context_processors_run_for_each_render(
    app: Kolba, client: KolbaClient
) -> None:
    calls: list[str] = []

    @app.context_processor
    def processor() -> dict[str, t.Any]:
        calls.append(request.path)
        return {"shout": lambda s: s.upper() + "!"}

    _view(app, lambda: render_template_string("{{ shout('hi') }}"))
    assert client.get("/t").text == "HI!"
    assert client.get("/t").text == "HI!"
    assert calls == ["/t", "/t"]


def test_async_context_processor(app: Kolba, client: KolbaClient) -> None:
    @app.context_processor
    async def processor() -> dict[str, t.Any]:
        return {"x": "async"}

    _view(app, lambda: render_template_string("{{ x }}"))
    assert client.get("/t").text == "async"


def test_a_template_that_ignores_the_session_does_not_open_it(
    app: Kolba, client: KolbaClient
) -> None:
    opened: list[bool] = []
    interface = app.session_interface
    original = interface.open_session

    def open_session(*args: t.Any) -> t.Any:
        opened.append(True)
        return original(*args)

    interface.open_session = open_session  # type: ignore[method-assign]
    try:
        _view(app, lambda: render_template_string("{{ request.path }}"))
        assert client.get("/t").text == "/t"
        assert opened == []
    finally:
        del interface.open_session


def test_url_for_and_get_flashed_messages_are_globals_in_imported_macros(
    app: Kolba, client: KolbaClient
) -> None:
    # An imported template gets no render context: only globals reach it.
    _view(app, lambda: render_template("uses_macros.html", label="x"))
    assert client.get("/t").text == '<a href="/">x</a>'
    globals_ = app.jinja_env.globals
    for name in ("url_for", "get_flashed_messages", "config", "request", "session"):
        assert name in globals_
    assert "g" in globals_


# -- blueprints ---------------------------------------------------------------------


def _shop(app: Kolba) -> Blueprint:
    shop = Blueprint(
        "shop", __name__, root_path=HERE, template_folder="templates/blueprint"
    )

    @shop.context_processor
    def shop_processor() -> dict[str, t.Any]:
        return {"item": "shop-item"}

    @shop.app_context_processor
    def everywhere() -> dict[str, t.Any]:
        return {"everywhere": "yes"}

    @shop.route("/page")
    def page() -> str:
        return render_template("shop/page.html")

    @shop.route("/value")
    def value() -> str:
        return render_template("value.html", value="v")

    @shop.route("/names")
    def names() -> str:
        return render_template_string("{{ item }} {{ everywhere }}")

    app.register_blueprint(shop, url_prefix="/shop")
    return shop


def test_blueprint_template_folder_is_searched(app: Kolba, client: KolbaClient) -> None:
    _shop(app)
    assert client.get("/shop/page").text == "shop page shop-item"


def test_app_templates_win_over_blueprint_templates(
    app: Kolba, client: KolbaClient
) -> None:
    _shop(app)
    assert client.get("/shop/value").text == '<p title="v">v</p>'


def test_blueprint_context_processor_applies_to_its_requests_only(
    app: Kolba, client: KolbaClient
) -> None:
    _shop(app)
    _view(app, lambda: render_template_string("{{ item }} {{ everywhere }}"))
    assert client.get("/shop/names").text == "shop-item yes"
    assert client.get("/t").text == " yes"


def test_list_templates_includes_blueprint_templates(app: Kolba) -> None:
    _shop(app)
    names = app.jinja_env.list_templates()
    assert "shop/page.html" in names
    assert "child.html" in names


def test_explain_template_loading_logs_the_search(
    app: Kolba, client: KolbaClient, caplog: pytest.LogCaptureFixture
) -> None:
    _shop(app)
    app.config["EXPLAIN_TEMPLATE_LOADING"] = True
    with caplog.at_level(logging.INFO, logger=app.logger.name):
        assert client.get("/shop/page").status_code == 200
    text = caplog.text
    assert "Locating template 'shop/page.html'" in text
    assert "application 'kolba_template_tests'" in text
    assert "-> no match" in text
    assert "blueprint 'shop'" in text
    assert "-> found" in text


def test_explain_template_loading_warns_about_duplicates(
    app: Kolba, client: KolbaClient, caplog: pytest.LogCaptureFixture
) -> None:
    _shop(app)
    app.config["EXPLAIN_TEMPLATE_LOADING"] = True
    with caplog.at_level(logging.INFO, logger=app.logger.name):
        client.get("/shop/value")
    assert "several loaders have this template" in caplog.text


def test_explain_template_loading_on_a_miss(
    app: Kolba, caplog: pytest.LogCaptureFixture
) -> None:
    app.config["EXPLAIN_TEMPLATE_LOADING"] = True
    with (
        caplog.at_level(logging.INFO, logger=app.logger.name),
        app.app_context(),
        pytest.raises(TemplateNotFound),
    ):
        render_template("missing.html")
    assert "Error: the template was not found." in caplog.text


# -- filters, tests and globals ----------------------------------------------------


def test_filters_tests_and_globals_by_decorator(
    app: Kolba, client: KolbaClient
) -> None:
    @app.template_filter()
    def reverse(s: str) -> str:
        return s[::-1]

    @app.template_filter("twice")
    def double_it(s: str) -> str:
        return s * 2

    @app.template_test()
    def even(n: int) -> bool:
        return n % 2 == 0

    @app.template_test("odd_number")
    def odd(n: int) -> bool:
        return n % 2 == 1

    @app.template_global()
    def answer() -> int:
        return 42

    @app.template_global("site")
    def site_name() -> str:
        return "<S>"

    source = (
        "{{ 'abc'|reverse }} {{ 'ab'|twice }} {{ 4 is even }} {{ 4 is odd_number }}"
        " {{ answer() }} {{ site() }}"
    )
    _view(app, lambda: render_template_string(source))
    assert client.get("/t").text == "cba abab True False 42 &lt;S&gt;"


def test_filters_tests_and_globals_by_add_methods(
    app: Kolba, client: KolbaClient
) -> None:
    app.add_template_filter(str.upper)
    app.add_template_filter(lambda s: f"[{s}]", name="box")
    app.add_template_test(lambda s: s.startswith("k"), name="kolbaish")
    app.add_template_global(len, name="length")
    source = "{{ 'a'|upper }}{{ 'b'|box }} {{ 'kx' is kolbaish }} {{ length('abc') }}"
    _view(app, lambda: render_template_string(source))
    assert client.get("/t").text == "A[b] True 3"


def test_registration_after_the_first_request_fails(
    app: Kolba, client: KolbaClient
) -> None:
    client.get("/")
    with pytest.raises(AssertionError, match="add_template_filter"):
        app.add_template_filter(str.upper)


# -- the environment ----------------------------------------------------------------


def test_jinja_env_is_created_once_with_jinja_options(app: Kolba) -> None:
    class TrimmingApp(Kolba):
        jinja_options = {"trim_blocks": True}

    trimming = TrimmingApp("trim", root_path=HERE)
    env = trimming.jinja_env
    assert trimming.jinja_env is env
    assert env.trim_blocks
    assert env.app is trimming
    with trimming.app_context():
        assert render_template_string("{% if 1 %}\nx{% endif %}") == "x"


def test_a_template_string_is_compiled_once(app: Kolba, client: KolbaClient) -> None:
    seen: list[Template] = []

    def record(sender: Kolba, template: Template, context: dict[str, t.Any]) -> None:
        seen.append(template)

    _view(app, lambda: render_template_string("{{ request.path }}"))
    with template_rendered.connected_to(record, app):
        client.get("/t")
        client.get("/t")
    assert len(seen) == 2
    assert seen[0] is seen[1]


def _write(path: Path, text: str, mtime: int) -> None:
    path.write_text(text, encoding="utf-8")
    # Set the mtime explicitly: two writes within one clock tick could
    # otherwise look unchanged to the loader.
    os.utime(path, (mtime, mtime))


def _reload_app(tmp_path: Path) -> tuple[Kolba, Path]:
    (tmp_path / "templates").mkdir()
    page = tmp_path / "templates" / "page.html"
    _write(page, "first", 1_000_000)
    app = Kolba("reload_app", root_path=str(tmp_path))
    app.add_url_rule("/", "index", lambda: render_template("page.html"))
    return app, page


def test_debug_mode_reloads_changed_templates(tmp_path: Path) -> None:
    app, page = _reload_app(tmp_path)
    app.debug = True
    client = app.test_client()
    assert client.get("/").text == "first"
    _write(page, "second", 2_000_000)
    assert client.get("/").text == "second"


def test_without_debug_templates_are_cached(tmp_path: Path) -> None:
    app, page = _reload_app(tmp_path)
    client = app.test_client()
    assert client.get("/").text == "first"
    _write(page, "second", 2_000_000)
    assert client.get("/").text == "first"


def test_turning_debug_on_later_enables_reloading(tmp_path: Path) -> None:
    app, page = _reload_app(tmp_path)
    client = app.test_client()
    assert client.get("/").text == "first"
    assert app.jinja_env.auto_reload is False
    app.debug = True
    assert app.jinja_env.auto_reload is True
    _write(page, "second", 2_000_000)
    assert client.get("/").text == "second"


def test_templates_auto_reload_config_overrides_debug(tmp_path: Path) -> None:
    app, page = _reload_app(tmp_path)
    app.config["TEMPLATES_AUTO_RELOAD"] = False
    app.debug = True
    assert app.templates_auto_reload is False
    client = app.test_client()
    assert client.get("/").text == "first"
    _write(page, "second", 2_000_000)
    assert client.get("/").text == "first"
    app.templates_auto_reload = True
    assert app.config["TEMPLATES_AUTO_RELOAD"] is True


# -- streaming ----------------------------------------------------------------------


def test_stream_template_keeps_the_request_context(
    app: Kolba, client: KolbaClient
) -> None:
    source = "{% for i in items %}{{ request.args['p'] }}{{ i }};{% endfor %}"

    def view() -> t.Any:
        return stream_template_string(source, items=["<a>", "b"])

    _view(app, view)
    response = client.get("/t?p=%3C")
    assert response.text == "&lt;&lt;a&gt;;&lt;b;"


def test_stream_template_from_a_file(app: Kolba, client: KolbaClient) -> None:
    _view(app, lambda: stream_template("child.html", name="S"))
    response = client.get("/t")
    assert (
        response.text == "<title>Child - Base</title>\n<main>[<p>part for S</p>]</main>"
    )


def test_stream_template_yields_pieces(app: Kolba) -> None:
    with app.test_request_context("/"):
        pieces = list(
            stream_template_string("a{% for i in [1, 2] %}{{ i }}{% endfor %}")
        )
    assert len(pieces) > 1
    assert "".join(pieces) == "a12"


def test_stream_template_in_an_app_context(app: Kolba) -> None:
    with app.app_context():
        assert "".join(stream_template("value.txt", value="<v>")) == "<v>"


# -- signals ------------------------------------------------------------------------


def test_template_rendered_and_before_render_signals(
    app: Kolba, client: KolbaClient
) -> None:
    events: list[tuple[str, str | None, t.Any]] = []

    def before(sender: Kolba, template: Template, context: dict[str, t.Any]) -> None:
        events.append(("before", template.name, context["value"]))
        context["value"] = "changed <by> receiver"

    def after(sender: Kolba, template: Template, context: dict[str, t.Any]) -> None:
        assert sender is app
        events.append(("after", template.name, context["request"].path))

    _view(app, lambda: render_template("value.txt", value="v"))
    with (
        before_render_template.connected_to(before, app),
        template_rendered.connected_to(after, app),
    ):
        response = client.get("/t")
    assert response.text == "changed <by> receiver"
    assert events == [("before", "value.txt", "v"), ("after", "value.txt", "/t")]


def test_stream_template_sends_rendered_after_the_last_piece(
    app: Kolba, client: KolbaClient
) -> None:
    names: list[str | None] = []

    def after(sender: Kolba, template: Template, context: dict[str, t.Any]) -> None:
        names.append(template.name)

    _view(app, lambda: stream_template("value.txt", value="x"))
    with template_rendered.connected_to(after, app):
        assert client.get("/t").text == "x"
    assert names == ["value.txt"]
